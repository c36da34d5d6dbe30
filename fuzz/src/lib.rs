//! The bodies of babillard's fuzz targets, one per parser, and their seeds.
//!
//! Each target calls the public function the pipeline calls on what a
//! source sent (`ingest::ics::parse`, `ingest::html::parse`, ...) and
//! asserts the cheap invariants the code documents: no panic, at most
//! [`bounds::MAX_RECORDS`] records, every field within its cap, every
//! undated record with its detail link, a series within
//! [`normalize::MAX_OCCURRENCES_PER_SERIES`] occurrences. `fuzz_targets/`
//! wraps each in `libfuzzer_sys::fuzz_target!`; the root crate's
//! `tests/fuzz_replay.rs` runs each on every seed ([`seeds`]) and every
//! input a fuzzing run crashed on (`tests/fixtures/fuzz/TARGET/`).
//!
//! Some targets wrap their input so that the fuzzer mutates what the
//! parser under test reads rather than the page around it: `jsonld` puts
//! it in a `<script type="application/ld+json">`, `microdata` and `hevent`
//! in a page's `<body>`, `recurrence` in a VEVENT (its first line is the
//! RRULE's value). `selectors` reads `field = css` lines up to the first
//! blank line, then the page; `datetext` and `robots` split their input
//! at the first NUL byte (see each function).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use ingest::{bounds, Link, ParseContext, ParseError, Parsed, Selectors};

/// A fuzz target: its name (the binary's, the corpus directory's) and body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, in the order `scripts/fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "ics",
        run: ics,
    },
    Target {
        name: "feed",
        run: feed,
    },
    Target {
        name: "jsonld",
        run: jsonld,
    },
    Target {
        name: "microdata",
        run: microdata,
    },
    Target {
        name: "hevent",
        run: hevent,
    },
    Target {
        name: "wordpress",
        run: wordpress,
    },
    Target {
        name: "datetext",
        run: datetext,
    },
    Target {
        name: "selectors",
        run: selectors,
    },
    Target {
        name: "robots",
        run: robots,
    },
    Target {
        name: "sniff",
        run: sniff,
    },
    Target {
        name: "recurrence",
        run: recurrence,
    },
];

/// The run's day every target parses on.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default()
}

fn ctx(url: &str) -> ParseContext {
    ParseContext {
        content_type: None,
        url: url.to_string(),
        lang: None,
        selectors: None,
        today: today(),
    }
}

/// A message shown to a person (a warning, an error) never carries a
/// whole document: a few quoted fields at most.
const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// The invariants every parser's answer holds.
pub fn check_parsed(result: &Result<Parsed, ParseError>) {
    let parsed = match result {
        Ok(p) => p,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.len() <= MAX_MESSAGE_BYTES,
                "an error of {} bytes",
                message.len()
            );
            return;
        }
    };
    assert!(
        parsed.events.len() + parsed.undated.len() <= bounds::MAX_RECORDS,
        "{} records kept from one document",
        parsed.events.len() + parsed.undated.len()
    );
    for rec in parsed.events.iter().chain(&parsed.undated) {
        let chars = |s: &str| s.chars().count();
        assert!(chars(&rec.title) <= bounds::MAX_TITLE_CHARS, "title");
        assert!(chars(&rec.uid) <= bounds::MAX_SHORT_FIELD_CHARS, "uid");
        if let Some(d) = &rec.description {
            assert!(chars(d) <= bounds::MAX_DESCRIPTION_CHARS, "description");
        }
        for s in [
            &rec.location,
            &rec.address,
            &rec.city,
            &rec.url,
            &rec.image,
            &rec.organizer,
            &rec.price,
        ]
        .into_iter()
        .flatten()
        {
            assert!(chars(s) <= bounds::MAX_SHORT_FIELD_CHARS, "short field");
        }
        assert!(rec.categories.len() <= bounds::MAX_CATEGORIES, "categories");
        for c in &rec.categories {
            assert!(chars(c) <= bounds::MAX_CATEGORY_CHARS, "category");
        }
    }
    for rec in &parsed.undated {
        assert!(
            parsed
                .links
                .iter()
                .any(|l| matches!(l, Link::Detail { uid, .. } if *uid == rec.uid)),
            "an undated record ({:?}) with no detail link",
            rec.uid
        );
    }
    for w in &parsed.warnings {
        assert!(
            w.message.len() <= MAX_MESSAGE_BYTES,
            "a warning of {} bytes",
            w.message.len()
        );
    }
}

/// An iCalendar file (`ingest::ics::parse`).
pub fn ics(data: &[u8]) {
    check_parsed(&ingest::ics::parse(
        data,
        &ctx("https://example.org/agenda.ics"),
    ));
}

/// An RSS, Atom, RDF or JSON Feed document (`ingest::feed::parse`).
pub fn feed(data: &[u8]) {
    check_parsed(&ingest::feed::parse(
        data,
        &ctx("https://example.org/feed/"),
    ));
}

fn page_with(prefix: &[u8], data: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut page = Vec::with_capacity(prefix.len() + data.len() + suffix.len());
    page.extend_from_slice(prefix);
    page.extend_from_slice(data);
    page.extend_from_slice(suffix);
    page
}

fn html_page(page: &[u8]) {
    check_parsed(&ingest::html::parse(
        page,
        &ctx("https://example.org/agenda/"),
    ));
}

/// A JSON-LD block, in a page's `<script type="application/ld+json">`
/// (`ingest::html::parse`).
pub fn jsonld(data: &[u8]) {
    html_page(&page_with(
        b"<!doctype html><html lang=\"fr\"><head><title>Agenda</title>\
          <script type=\"application/ld+json\">",
        data,
        b"</script></head><body><p>Agenda</p></body></html>",
    ));
}

const BODY_START: &[u8] =
    b"<!doctype html><html lang=\"fr\"><head><title>Agenda</title></head><body>";
const BODY_END: &[u8] = b"</body></html>";

/// Microdata items, in a page's body (`ingest::html::parse`).
pub fn microdata(data: &[u8]) {
    html_page(&page_with(BODY_START, data, BODY_END));
}

/// h-event microformats, in a page's body (`ingest::html::parse`).
pub fn hevent(data: &[u8]) {
    html_page(&page_with(BODY_START, data, BODY_END));
}

/// A page of The Events Calendar's REST API (`ingest::wordpress::parse`).
pub fn wordpress(data: &[u8]) {
    check_parsed(&ingest::wordpress::parse(
        data,
        &ctx("https://example.org/wp-json/tribe/events/v1/events?start_date=2026-11-15"),
    ));
}

/// Before the first NUL byte and the rest, if there is one.
fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}

/// Dates in words (`ingest::datetext`): the whole input as free text
/// (`find_date`); with a NUL byte, what comes before it is a source's
/// `date_format` and what follows the text it reads
/// (`parse_with_format_on`, `parse_with_format`).
pub fn datetext(data: &[u8]) {
    let (first, rest) = split_nul(data);
    let text = String::from_utf8_lossy(first);
    let _ = ingest::datetext::find_date(&text, today());
    if let Some(rest) = rest {
        let rest = String::from_utf8_lossy(rest);
        let _ = ingest::datetext::find_date(&rest, today());
        let _ = ingest::datetext::parse_with_format_on(&rest, &text, today());
        let _ = ingest::datetext::parse_with_format(&rest, &text);
    }
}

/// A page read with a source's `[source.selectors]` (`ingest::html::parse`
/// with selectors): `field = css` lines up to the first blank line (fields
/// `event`, `title`, `start`, `end`, `location`, `url`, `description`,
/// `image`, `date_format`), then the page.
pub fn selectors(data: &[u8]) {
    let (sel, page) = split_selectors(data);
    let mut c = ctx("https://example.org/agenda/");
    c.selectors = Some(sel);
    check_parsed(&ingest::html::parse(page, &c));
}

fn split_selectors(data: &[u8]) -> (Selectors, &[u8]) {
    let mut sel = Selectors::default();
    let mut at = 0;
    while at < data.len() {
        let end = data[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| at + i);
        let line = String::from_utf8_lossy(&data[at..end]);
        at = (end + 1).min(data.len());
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = Some(value.trim().to_string());
        match key.trim() {
            "event" => sel.event = value,
            "title" => sel.title = value,
            "start" => sel.start = value,
            "end" => sel.end = value,
            "location" => sel.location = value,
            "url" => sel.url = value,
            "description" => sel.description = value,
            "image" => sel.image = value,
            "date_format" => sel.date_format = value,
            _ => {}
        }
    }
    (sel, &data[at..])
}

/// A robots.txt (`RobotsRules::parse`, then `check`): before the first NUL
/// byte; each line after it is a path checked, else a few usual paths.
pub fn robots(data: &[u8]) {
    use ingest::fetch::robots::{RobotsRules, PRODUCT_TOKEN};
    let (text, paths) = split_nul(data);
    // As the client reads it: UTF-8, U+FFFD for what is not.
    let text = String::from_utf8_lossy(text);
    let rules = RobotsRules::parse(&text, PRODUCT_TOKEN);
    let paths = paths.map(String::from_utf8_lossy);
    let paths: Vec<&str> = match &paths {
        Some(p) => p.lines().collect(),
        None => vec!["/", "/agenda/", "/agenda/2026-12?page=2", "/%7Euser/a%2fb"],
    };
    for path in paths {
        if let Err(rule) = rules.check(path) {
            // The deciding rule, as written in the file.
            assert!(rule.len() <= text.len() + 16, "a rule longer than the file");
        }
    }
}

/// The Content-Types the first byte of a `sniff` input picks from.
pub const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("text/html; charset=utf-8"),
    Some("application/json"),
    Some("text/calendar"),
    Some("application/rss+xml"),
    Some("text/xml; charset=iso-8859-1"),
    Some("text/plain; charset=windows-1252"),
    Some("application/octet-stream"),
];

/// Content sniffing and decoding (`ingest::sniff::sniff`, `describe`,
/// `ingest::decode::decode_checked`): the first byte picks the
/// Content-Type ([`CONTENT_TYPES`]), the rest is the body.
pub fn sniff(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ct = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let _ = ingest::sniff::sniff(body, ct);
    let described = ingest::sniff::describe(body, ct);
    assert!(
        described.len() <= 512,
        "a description of {} bytes",
        described.len()
    );
    let decoded = ingest::decode::decode_checked(body, ct);
    // Decoding never loses more than it replaces: at most a few chars per
    // input byte (U+FFFD, or a Windows-1252 char, is 3 bytes of UTF-8).
    assert!(
        decoded.text.len() <= 3 * body.len() + 3,
        "decoded text grew"
    );
}

/// The normalizer the recurrence target normalizes with, built once.
fn normalizer() -> &'static normalize::Normalizer {
    static NORMALIZER: std::sync::OnceLock<normalize::Normalizer> = std::sync::OnceLock::new();
    NORMALIZER.get_or_init(|| {
        normalize::Normalizer::new(normalize::Settings {
            timezone: chrono_tz::America::Toronto,
            horizon_days: 365,
            languages: vec!["fr".into(), "en".into()],
            venues: Vec::new(),
            categories: Vec::new(),
        })
    })
}

/// An RRULE and its companions, read and expanded as the pipeline does: the
/// input's first line is an RRULE's value, its other lines more properties
/// of the same VEVENT (`DTSTART`, `RDATE`, `EXDATE`, another `RRULE`, an
/// override's `RECURRENCE-ID`...). The VEVENT is parsed
/// (`ingest::ics::parse`) and normalized (`Normalizer::normalize`, which
/// expands); each rule is also expanded over ten years
/// (`normalize::recurrence::expand`). A series keeps at most
/// [`normalize::MAX_OCCURRENCES_PER_SERIES`] occurrences, an expansion at
/// most [`normalize::recurrence::MAX_COLLECT`] starts, sorted and unique.
pub fn recurrence(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let rule = lines.next().unwrap_or_default();
    let mut doc = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//babillard//fuzz//FR\r\nBEGIN:VEVENT\r\n\
         UID:serie@example.org\r\nSUMMARY:Atelier\r\n",
    );
    let more: Vec<&str> = lines.collect();
    if !more
        .iter()
        .any(|l| l.trim_start().to_ascii_uppercase().starts_with("DTSTART"))
    {
        doc.push_str("DTSTART;TZID=America/Toronto:20261103T193000\r\nDURATION:PT2H\r\n");
    }
    doc.push_str("RRULE:");
    doc.push_str(rule);
    doc.push_str("\r\n");
    for l in &more {
        doc.push_str(l);
        doc.push_str("\r\n");
    }
    doc.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let parsed = ingest::ics::parse(doc.as_bytes(), &ctx("https://example.org/agenda.ics"));
    check_parsed(&parsed);
    let Ok(parsed) = parsed else {
        return;
    };

    let source = normalize::SourceMeta {
        id: model::SourceId::new("fuzz").expect("a valid id"),
        priority: 0,
        lang: None,
        categories: Vec::new(),
        venue: None,
    };
    let now = Utc
        .with_ymd_and_hms(2026, 11, 15, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let out = normalizer().normalize(&source, &parsed.events, now);
    let mut per_record: HashMap<&str, usize> = HashMap::new();
    for o in &out.occurrences {
        *per_record.entry(o.record_uid.as_str()).or_default() += 1;
    }
    for (uid, n) in per_record {
        assert!(
            n <= normalize::MAX_OCCURRENCES_PER_SERIES,
            "{n} occurrences of {uid:?}"
        );
    }

    let dtstart = NaiveDate::from_ymd_opt(2026, 11, 3)
        .and_then(|d| d.and_hms_opt(19, 30, 0))
        .unwrap_or_default();
    let from = dtstart - chrono::TimeDelta::days(31);
    let to = dtstart + chrono::TimeDelta::days(3650);
    for rec in &parsed.events {
        if rec.rrule.is_empty() {
            continue;
        }
        let expanded = normalize::recurrence::expand(
            &rec.rrule,
            dtstart,
            chrono_tz::America::Toronto,
            &[],
            &normalize::recurrence::Exclusions::default(),
            from,
            to,
        );
        if let Ok(e) = expanded {
            assert!(e.walls.len() <= normalize::recurrence::MAX_COLLECT, "walls");
            assert!(
                e.walls.windows(2).all(|w| w[0] < w[1]),
                "walls not sorted and unique"
            );
            assert!(
                e.walls
                    .iter()
                    .all(|w: &NaiveDateTime| *w >= from && *w <= to),
                "a wall outside the range"
            );
        }
    }
}

/// The repository's `tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Files larger than this are left out of the seeds: libFuzzer's inputs
/// stay small (a seed sets the largest input it tries) and fast.
pub const MAX_SEED_BYTES: u64 = 128 * 1024;

/// The documents of `tests/fixtures/KIND` (`NAME.EXT`, one dot, not a
/// README), up to [`MAX_SEED_BYTES`], sorted.
fn fixture_documents(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fixtures_dir().join(kind);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let small = entry.metadata().is_ok_and(|m| m.len() <= MAX_SEED_BYTES);
        if name.matches('.').count() != 1
            || name.ends_with(".md")
            || name.ends_with(".sh")
            || !small
        {
            continue;
        }
        if let Ok(bytes) = std::fs::read(entry.path()) {
            out.push((format!("{kind}-{name}"), bytes));
        }
    }
    out.sort();
    out
}

/// The hand-written seeds of `fuzz/seeds/TARGET/`.
fn written_seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                out.push((entry.file_name().to_string_lossy().into_owned(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Every `<script type="application/ld+json">` block of the HTML fixtures.
fn jsonld_blocks() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, bytes) in fixture_documents("html") {
        let page = String::from_utf8_lossy(&bytes);
        let mut rest: &str = &page;
        let mut n = 0;
        while let Some(i) = rest.find("application/ld+json") {
            rest = &rest[i..];
            let Some(open_end) = rest.find('>') else {
                break;
            };
            rest = &rest[open_end + 1..];
            let Some(close) = rest.find("</script") else {
                break;
            };
            n += 1;
            out.push((
                format!("{name}-{n}.json"),
                rest.as_bytes()[..close].to_vec(),
            ));
            rest = &rest[close..];
        }
    }
    out
}

/// The HTML fixtures whose expectations give selectors, as `selectors`
/// inputs (`field = css` lines, a blank line, the page).
fn selector_pages() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, bytes) in fixture_documents("html") {
        let stem = name
            .trim_start_matches("html-")
            .split('.')
            .next()
            .unwrap_or("");
        let expected = fixtures_dir()
            .join("html")
            .join(format!("{stem}.expected.json"));
        let Ok(text) = std::fs::read_to_string(expected) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let Some(sel) = v.get("selectors").and_then(|s| s.as_object()) else {
            continue;
        };
        let mut input = Vec::new();
        for (k, v) in sel {
            if let Some(v) = v.as_str() {
                input.extend_from_slice(format!("{k} = {v}\n").as_bytes());
            }
        }
        input.push(b'\n');
        input.extend_from_slice(&bytes);
        out.push((name, input));
    }
    out
}

/// The RRULE values of the ICS fixtures, one seed each, with the
/// DTSTART, RDATE and EXDATE lines of the same VEVENT.
fn rrules() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, bytes) in fixture_documents("ics") {
        let text = String::from_utf8_lossy(&bytes);
        let mut n = 0;
        for event in text.split("BEGIN:VEVENT").skip(1) {
            let lines: Vec<&str> = event.lines().map(str::trim_end).collect();
            let Some(rule) = lines.iter().find_map(|l| l.strip_prefix("RRULE:")) else {
                continue;
            };
            let mut seed = format!("{rule}\n");
            for l in &lines {
                if ["DTSTART", "RDATE", "EXDATE"]
                    .iter()
                    .any(|p| l.starts_with(p))
                {
                    seed.push_str(l);
                    seed.push('\n');
                }
            }
            n += 1;
            out.push((format!("{name}-{n}.txt"), seed.into_bytes()));
        }
    }
    out
}

/// The seeds of `target`: fixtures of its kind (or the parts of them its
/// input is), then the hand-written ones of `fuzz/seeds/TARGET/`.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = match target {
        "ics" => fixture_documents("ics"),
        "feed" => fixture_documents("feed"),
        "wordpress" => fixture_documents("wordpress"),
        "jsonld" => jsonld_blocks(),
        "microdata" => keep_containing(fixture_documents("html"), "itemscope"),
        "hevent" => keep_containing(fixture_documents("html"), "h-event"),
        "selectors" => selector_pages(),
        "recurrence" => rrules(),
        "sniff" => ["ics", "feed", "html", "wordpress"]
            .iter()
            .flat_map(|k| fixture_documents(k))
            .map(|(name, bytes)| {
                let mut input = vec![0u8];
                input.extend(bytes);
                (name, input)
            })
            .collect(),
        _ => Vec::new(),
    };
    out.extend(written_seeds(target));
    out
}

fn keep_containing(docs: Vec<(String, Vec<u8>)>, needle: &str) -> Vec<(String, Vec<u8>)> {
    docs.into_iter()
        .filter(|(_, b)| String::from_utf8_lossy(b).contains(needle))
        .collect()
}

/// The inputs fuzzing runs crashed on, kept as regressions:
/// `tests/fixtures/fuzz/TARGET/*` (README.md excepted).
pub fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fixtures_dir().join("fuzz").join(target);
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "README.md" {
                continue;
            }
            if let Ok(bytes) = std::fs::read(entry.path()) {
                out.push((name, bytes));
            }
        }
    }
    out.sort();
    out
}
