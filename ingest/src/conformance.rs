//! One conformance suite for every parser.
//!
//! For each kind, `tests/fixtures/KIND/` holds documents `NAME.EXT` (one dot
//! in the name) and, beside those that have one, their expectations
//! `NAME.expected.json` (for ICS `NAME.records.json`: the ICS
//! `NAME.expected.json` are the normalized occurrences the e2e golden test
//! reads). Every fixture is parsed with a [`ParseContext`] built from its
//! expectations and checked by the same rules whatever the kind (see
//! `tests/fixtures/README.md`): adding a fixture is dropping two files.
//!
//! Every parser must also hold the same properties: empty input gives no
//! events, garbage gives an error or no events, and cut or mutated bytes
//! (every document of the kind, expectations or not) never panic.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use testsupport::{cut_points, mutate, Rng, STRUCTURAL};

use crate::{Link, ParseContext, ParseError, Parsed, Selectors};

/// Parses `bytes` with the parser of `kind`, found in the registry.
fn parse_kind(kind: &str, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    match crate::kind::SourceKind::from_name(kind) {
        Some(k) => k.parse(bytes, ctx),
        None => panic!("no parser for kind {kind:?}"),
    }
}

/// The file of expectations beside a document of `kind`, by its suffix.
fn expectations_suffix(kind: &str) -> &'static str {
    if kind == "ics" {
        "records.json"
    } else {
        "expected.json"
    }
}

fn fixture_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(kind)
}

/// Every document of `kind` (`NAME.EXT`, one dot), sorted.
fn documents(kind: &str) -> Vec<PathBuf> {
    let dir = fixture_dir(kind);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.matches('.').count() == 1 && !name.starts_with('.') && name != "README.md"
        })
        .collect();
    out.sort();
    out
}

/// A document with expectations: (name, document, expectations).
struct Fixture {
    name: String,
    document: PathBuf,
    expected: Value,
}

/// Every document of `kind` that has expectations beside it. An
/// expectations file with no document (or two) is an error.
fn fixtures(kind: &str) -> Vec<Fixture> {
    let suffix = format!(".{}", expectations_suffix(kind));
    let docs = documents(kind);
    let dir = fixture_dir(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(&suffix).map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let mut matching = docs
                .iter()
                .filter(|d| d.file_stem().and_then(|s| s.to_str()) == Some(name.as_str()));
            let (Some(document), None) = (matching.next(), matching.next()) else {
                panic!("{kind}/{name}{suffix}: needs exactly one document {name}.EXT beside it");
            };
            let path = dir.join(format!("{name}{suffix}"));
            let expected = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Fixture {
                name: format!("{kind}/{name}"),
                document: document.clone(),
                expected,
            }
        })
        .collect()
}

/// The context the expectations describe: `url` and `today` required,
/// `content_type`, `lang` and `selectors` optional.
fn context(name: &str, expected: &Value) -> ParseContext {
    let text = |key: &str| expected.get(key).and_then(Value::as_str).map(String::from);
    let url = text("url").unwrap_or_else(|| panic!("{name}: no \"url\""));
    let today = text("today")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{name}: no \"today\" (YYYY-MM-DD)"));
    let selectors = expected.get("selectors").filter(|s| !s.is_null()).map(|s| {
        serde_json::from_value::<Selectors>(s.clone())
            .unwrap_or_else(|e| panic!("{name}: selectors: {e}"))
    });
    ParseContext {
        content_type: text("content_type"),
        url,
        lang: text("lang"),
        selectors,
        today,
    }
}

/// The fixture `kind/NAME` parsed with the context of its expectations, for
/// the tests that pin one quirk of it.
pub(crate) fn parse_fixture(kind: &str, name: &str) -> Parsed {
    let all = fixtures(kind);
    let wanted = format!("{kind}/{name}");
    let Some(f) = all.iter().find(|f| f.name == wanted) else {
        panic!("no fixture {wanted} with expectations");
    };
    let bytes = std::fs::read(&f.document).unwrap();
    parse_kind(kind, &bytes, &context(&f.name, &f.expected))
        .unwrap_or_else(|e| panic!("{wanted}: {e}"))
}

/// A context for documents that have no expectations, and for garbage.
fn plain_context() -> ParseContext {
    ParseContext {
        content_type: None,
        url: "https://example.org/a/b".into(),
        lang: None,
        selectors: None,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
    }
}

/// The links as the expectations write them.
fn links_json(links: &[Link]) -> Value {
    links
        .iter()
        .map(|l| match l {
            Link::NextPage(u) => json!({ "next_page": u }),
            Link::Detail { url, uid } => json!({ "detail": { "url": url, "uid": uid } }),
        })
        .collect()
}

/// What differs between a parse and its expectations: events (count, then
/// every key an expected event names, a missing field being null), undated
/// uids, links and the number of warnings.
fn differences(parsed: &Parsed, expected: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let actual: Vec<Value> = parsed
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    match expected["events"].as_array() {
        None => out.push("no \"events\" list".into()),
        Some(events) if events.len() != actual.len() => out.push(format!(
            "{} events expected, {} parsed: {}",
            events.len(),
            actual.len(),
            serde_json::to_string_pretty(&actual).unwrap()
        )),
        Some(events) => {
            for (i, (want, got)) in events.iter().zip(&actual).enumerate() {
                for (key, value) in want.as_object().into_iter().flatten() {
                    let found = got.get(key).unwrap_or(&Value::Null);
                    if found != value {
                        out.push(format!("event {i} {key}: expected {value}, got {found}"));
                    }
                }
            }
        }
    }
    let undated: Value = parsed.undated.iter().map(|e| json!(e.uid)).collect();
    if undated != expected["undated"] {
        out.push(format!(
            "undated: expected {}, got {undated}",
            expected["undated"]
        ));
    }
    let links = links_json(&parsed.links);
    if links != expected["links"] {
        out.push(format!(
            "links: expected {}, got {links}",
            expected["links"]
        ));
    }
    let warnings = parsed.warnings.len() as u64;
    if expected["warnings"].as_u64() != Some(warnings) {
        out.push(format!(
            "warnings: expected {}, got {warnings}: {:?}",
            expected["warnings"], parsed.warnings
        ));
    }
    out
}

/// Every fixture of `kind` gives what its expectations say.
fn fixtures_match_their_expectations(kind: &str) {
    let fixtures = fixtures(kind);
    assert!(!fixtures.is_empty(), "{kind}: no fixture with expectations");
    let mut failures = Vec::new();
    for f in &fixtures {
        let bytes = std::fs::read(&f.document).unwrap();
        match parse_kind(kind, &bytes, &context(&f.name, &f.expected)) {
            Ok(parsed) => failures.extend(
                differences(&parsed, &f.expected)
                    .into_iter()
                    .map(|d| format!("{}: {d}", f.name)),
            ),
            Err(e) => failures.push(format!("{}: {e}", f.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Empty (or blank) input gives no events, whether as an error or not.
fn empty_input_gives_no_events(kind: &str) {
    for body in [&b""[..], b" ", b"\r\n", b"\xef\xbb\xbf"] {
        if let Ok(p) = parse_kind(kind, body, &plain_context()) {
            assert!(
                p.events.is_empty() && p.undated.is_empty() && p.links.is_empty(),
                "{kind}: {body:?} gave {p:?}"
            );
        }
    }
}

/// Garbage gives an error or no events: text, binary noise, and the
/// documents of every other kind.
fn garbage_gives_an_error_or_no_events(kind: &str) {
    let mut bodies: Vec<Vec<u8>> = [
        &b"just some text"[..],
        b"\x00\x01\x02\x03",
        b"\xff\xfe\xfd",
        b"<<<>>>&&&;;;",
        b"{{{[[[",
        b"null",
        b"42",
        b"BEGIN:",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    let mut rng = Rng::new(0x5eed_0000_0000_0001);
    for _ in 0..200 {
        let len = rng.below(4096);
        bodies.push((0..len).map(|_| rng.byte()).collect());
    }
    for other in crate::kind::names() {
        if other != kind {
            bodies.extend(documents(other).iter().map(|d| std::fs::read(d).unwrap()));
        }
    }
    for body in &bodies {
        if let Ok(p) = parse_kind(kind, body, &plain_context()) {
            assert!(
                p.events.is_empty(),
                "{kind}: garbage gave events: {:?}\n{:?}",
                String::from_utf8_lossy(body),
                p.events
            );
        }
    }
}

/// Cut and mutated documents never panic. `PARSER_FUZZ_SCALE=10` for a
/// longer run.
fn damaged_documents_never_panic(kind: &str) {
    let scale: usize = std::env::var("PARSER_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let contexts: Vec<(PathBuf, ParseContext)> = fixtures(kind)
        .into_iter()
        .map(|f| {
            let ctx = context(&f.name, &f.expected);
            (f.document, ctx)
        })
        .collect();
    let docs = documents(kind);
    assert!(!docs.is_empty(), "{kind}: no documents");
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    for doc in docs {
        let bytes = std::fs::read(&doc).unwrap();
        let ctx = contexts
            .iter()
            .find(|(d, _)| *d == doc)
            .map_or_else(plain_context, |(_, c)| c.clone());
        for cut in cut_points(bytes.len(), 4200 * scale) {
            let _ = parse_kind(kind, &bytes[..cut], &ctx);
        }
        for _ in 0..300 * scale {
            let _ = parse_kind(kind, &mutate(&mut rng, &bytes, STRUCTURAL), &ctx);
        }
    }
}

/// The suite for each kind, one test per property so that they run in
/// parallel and fail by name.
macro_rules! conformance {
    ($($kind:ident),*) => {$(
        mod $kind {
            #[test]
            fn fixtures_match_their_expectations() {
                super::fixtures_match_their_expectations(stringify!($kind));
            }

            #[test]
            fn empty_input_gives_no_events() {
                super::empty_input_gives_no_events(stringify!($kind));
            }

            #[test]
            fn garbage_gives_an_error_or_no_events() {
                super::garbage_gives_an_error_or_no_events(stringify!($kind));
            }

            #[test]
            fn damaged_documents_never_panic() {
                super::damaged_documents_never_panic(stringify!($kind));
            }
        }
    )*
        /// The kinds the suite runs on, in registry order.
        const COVERED: &[&str] = &[$(stringify!($kind)),*];
    };
}

conformance!(ics, feed, html, wordpress);

/// A kind added to the registry must be added to the suite too.
#[test]
fn every_registered_kind_runs_the_suite() {
    assert_eq!(crate::kind::names().collect::<Vec<_>>(), COVERED);
}

/// The rules themselves: a missing field counts as null, extra fields are
/// not checked, every other difference is reported.
#[test]
fn differences_follow_the_documented_rules() {
    let mut ev = model::RawEvent::new(
        "a",
        "Titre",
        model::TimeValue::Date {
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
        },
    );
    ev.location = Some("Salle".into());
    let parsed = Parsed {
        events: vec![ev],
        undated: vec![],
        links: vec![Link::NextPage("https://example.org/2".into())],
        warnings: vec![],
    };
    let good = json!({
        "events": [{"uid": "a", "end": null, "location": "Salle",
                    "start": {"type": "date", "date": "2026-12-05"}}],
        "undated": [], "links": [{"next_page": "https://example.org/2"}], "warnings": 0
    });
    assert_eq!(differences(&parsed, &good), Vec::<String>::new());
    let bad = json!({
        "events": [{"uid": "b", "city": "Laval"}],
        "undated": ["x"], "links": [], "warnings": 1
    });
    assert_eq!(
        differences(&parsed, &bad).len(),
        5,
        "{:?}",
        differences(&parsed, &bad)
    );
    assert_eq!(differences(&parsed, &json!({})).len(), 4);
}
