//! Every ICS fixture, parsed and normalized, against the events expected
//! beside it (`NAME.expected.json`, computed independently of our code).

use chrono::{DateTime, SecondsFormat, Utc};
use model::SourceId;
use normalize::{Normalizer, Settings, SourceMeta};
use serde_json::{json, Value};

use crate::harness::fixture;

pub(crate) fn actual_events(bytes: &[u8], expected: &Value) -> Value {
    let now: DateTime<Utc> = expected["now"].as_str().unwrap().parse().unwrap();
    let tz: chrono_tz::Tz = expected["timezone"].as_str().unwrap().parse().unwrap();
    let horizon = expected["horizon_days"].as_u64().unwrap() as u32;
    let parsed =
        ingest::ics::parse(bytes, &ingest::ParseContext::default()).expect("the fixture parses");
    let normalizer = Normalizer::new(Settings {
        timezone: tz,
        horizon_days: horizon,
        languages: vec!["fr".into(), "en".into()],
        venues: Vec::new(),
        categories: Vec::new(),
    });
    let meta = SourceMeta {
        id: SourceId::new("fixture").unwrap(),
        priority: 0,
        lang: None,
        categories: Vec::new(),
        venue: None,
    };
    let out = normalizer.normalize(&meta, &parsed.events, now);
    let mut events: Vec<Value> = out
        .occurrences
        .iter()
        .map(|o| {
            let e = &o.event;
            let (start, end) = if e.all_day {
                (
                    json!(e.start.date_naive().to_string()),
                    e.end
                        .map(|d| json!(d.date_naive().to_string()))
                        .unwrap_or(Value::Null),
                )
            } else {
                let utc = |d: DateTime<chrono::FixedOffset>| {
                    json!(d
                        .with_timezone(&Utc)
                        .to_rfc3339_opts(SecondsFormat::Secs, true))
                };
                (utc(e.start), e.end.map(utc).unwrap_or(Value::Null))
            };
            json!({
                "uid": o.record_uid,
                "title": e.title,
                "start": start,
                "end": end,
                "all_day": e.all_day,
                "status": e.status.as_str(),
            })
        })
        .collect();
    sort(&mut events);
    Value::Array(events)
}

fn sort(events: &mut [Value]) {
    events.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["start"].as_str().unwrap_or("").to_string(),
                v["uid"].as_str().unwrap_or("").to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
}

#[test]
fn every_ics_fixture_gives_its_expected_events() {
    let dir = fixture("ics");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().and_then(|e| e.to_str()) != Some("ics") {
            continue;
        }
        let expected_path = path.with_extension("expected.json");
        let Ok(text) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{}: no expected events beside it", path.display()));
            continue;
        };
        let expected: Value = serde_json::from_str(&text).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let actual = actual_events(&bytes, &expected);
        let mut want = expected["events"].as_array().cloned().unwrap_or_default();
        sort(&mut want);
        checked += 1;
        if actual != Value::Array(want.clone()) {
            let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(
                path.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .replace(".ics", ".actual.json"),
            );
            std::fs::write(&out, serde_json::to_string_pretty(&actual).unwrap()).unwrap();
            let a = actual.as_array().unwrap();
            let mut diff = Vec::new();
            for w in &want {
                if !a.contains(w) {
                    diff.push(format!("  missing:    {w}"));
                }
            }
            for x in a {
                if !want.contains(x) {
                    diff.push(format!("  unexpected: {x}"));
                }
            }
            failures.push(format!(
                "{} (actual written to {}):\n{}",
                path.display(),
                out.display(),
                diff.join("\n")
            ));
        }
    }
    assert!(
        checked >= 8,
        "only {checked} ICS fixtures with expectations"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
