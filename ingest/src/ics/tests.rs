//! Tests of the iCalendar parser: one per quirk, then the fixtures of
//! `tests/fixtures/ics/` one by one. Cut and mutated bytes, garbage and the
//! raw records of `NAME.records.json` are the conformance suite's
//! (`crate::conformance`).

use super::*;
use chrono::{NaiveDate, NaiveDateTime};

/// A context that carries only a Content-Type, as the parser reads nothing else.
fn ctx(content_type: Option<&str>) -> ParseContext {
    ParseContext {
        content_type: content_type.map(str::to_string),
        ..ParseContext::default()
    }
}

fn ok(text: &str) -> Parsed {
    parse(text.as_bytes(), &ctx(None)).expect("an iCalendar document")
}

fn one(text: &str) -> RawEvent {
    let parsed = ok(text);
    assert_eq!(parsed.events.len(), 1, "{:?}", parsed.warnings);
    parsed.events.into_iter().next().unwrap()
}

fn wrap(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n")
}

fn event(props: &str) -> RawEvent {
    one(&wrap(&format!(
        "BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20261205T200000\r\n{props}END:VEVENT\r\n"
    )))
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&local(s))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An all-day value.
fn day(y: i32, m: u32, d: u32) -> TimeValue {
    TimeValue::Date {
        date: date(y, m, d),
    }
}

/// Definitions without their parts, for the tests of what else they say
/// (the parts are `vtimezone_parts_are_kept_as_written`'s).
fn without_observances(defs: &[TzDefinition]) -> Vec<TzDefinition> {
    defs.iter()
        .map(|d| TzDefinition {
            observances: Vec::new(),
            ..d.clone()
        })
        .collect()
}

fn zoned(s: &str, tzid: &str) -> TimeValue {
    TimeValue::Zoned {
        local: local(s),
        tzid: tzid.into(),
    }
}

#[test]
fn reads_a_minimal_event() {
    let e = one("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:abc@x\nSUMMARY:Concert\nDTSTART:20261205T010000Z\nDTEND:20261205T030000Z\nEND:VEVENT\nEND:VCALENDAR\n");
    assert_eq!(e.uid, "abc@x");
    assert_eq!(e.title, "Concert");
    assert_eq!(
        e.start,
        TimeValue::Utc {
            at: utc("20261205T010000")
        }
    );
    assert_eq!(
        e.end,
        Some(TimeValue::Utc {
            at: utc("20261205T030000")
        })
    );
    assert_eq!(e.default_tzid, None);
    assert!(e.timezones.is_empty());
}

#[test]
fn lowercase_names_lone_cr_and_bom() {
    let doc = "\u{feff}begin:vcalendar\rbegin:vevent\ruid:x\rsummary:Bas de casse\rdtstart;value=date:20261224\rend:vevent\rend:vcalendar\r";
    let e = one(doc);
    assert_eq!(e.title, "Bas de casse");
    assert_eq!(e.start, day(2026, 12, 24));
}

#[test]
fn a_fold_inside_a_utf8_character_is_repaired() {
    let mut doc =
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20261205T200000\r\nSUMMARY:Th\xc3"
            .to_vec();
    doc.extend_from_slice(
        b"\r\n \xa9\xc3\xa2\r\n\ttre d'\xc3\xa9t\xc3\xa9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let e = parse(&doc, &ctx(None)).unwrap().events.remove(0);
    assert_eq!(e.title, "Théâtre d'été");
}

#[test]
fn windows_1252_and_declared_charsets() {
    let doc = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:l\nDTSTART:20261205\nSUMMARY:Th\xe9\xe2tre \x96 \xc9t\xe9 \xa4\nEND:VEVENT\nEND:VCALENDAR\n";
    let e = parse(doc, &ctx(None)).unwrap().events.remove(0);
    assert_eq!(e.title, "Théâtre – Été ¤");
    let e = parse(doc, &ctx(Some("text/calendar; charset=ISO-8859-15")))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(e.title, "Théâtre \u{96} Été €");
}

#[test]
fn text_is_unescaped_and_categories_accumulate() {
    let e = event(concat!(
        "SUMMARY:Soirée\\, contes\\; musique\r\n",
        "DESCRIPTION:Ligne 1\\nLigne 2\\N\\\\fin\r\n",
        "LOCATION:Salle 2\\, Laval\r\n",
        "CATEGORIES:Théâtre,Arts\\, culture\r\n",
        "categories;LANGUAGE=fr:Famille, Théâtre ,\r\n",
    ));
    assert_eq!(e.title, "Soirée, contes; musique");
    assert_eq!(e.description.as_deref(), Some("Ligne 1\nLigne 2\n\\fin"));
    assert_eq!(e.location.as_deref(), Some("Salle 2, Laval"));
    assert_eq!(e.categories, ["Théâtre", "Arts, culture", "Famille"]);
}

#[test]
fn missing_uid_gets_the_fallback() {
    let e = one(&wrap(
            "BEGIN:VEVENT\r\nSUMMARY:Conte\r\nDTSTART;TZID=America/Toronto:20261205T200000\r\nLOCATION:Bibliothèque\\, Laval\r\nEND:VEVENT\r\n",
        ));
    assert_eq!(
        e.uid,
        model::ids::fallback_uid("Conte", "20261205T200000", "Bibliothèque, Laval")
    );
    let blank = event("UID: \r\n");
    assert_eq!(blank.uid, "u1", "the first non-empty UID wins");
}

#[test]
fn events_without_a_usable_dtstart_are_skipped_with_a_warning() {
    let parsed = ok(&wrap(concat!(
        "BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20261205\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:nodate\r\nSUMMARY:?\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:garbage\r\nDTSTART:demain soir\r\nEND:VEVENT\r\n",
    )));
    let uids: Vec<_> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(uids, ["good"]);
    let skip_nodate = parsed
        .warnings
        .iter()
        .find(|w| w.message.contains("nodate"))
        .unwrap();
    assert_eq!(skip_nodate.line, Some(7));
    let bad_value = parsed
        .warnings
        .iter()
        .find(|w| w.message.contains("bad DTSTART"))
        .unwrap();
    assert_eq!(bad_value.line, Some(13));
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.line == Some(11) && w.message.contains("garbage")));
}

#[test]
fn an_event_without_summary_keeps_an_empty_title() {
    assert_eq!(event("").title, "");
}

#[test]
fn durations() {
    assert_eq!(event("DURATION:P1W\r\n").duration_secs, Some(604_800));
    assert_eq!(event("DURATION:PT1H30M\r\n").duration_secs, Some(5400));
    let parsed = ok(&wrap(
        "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261205\r\nDURATION:-PT1H\r\nEND:VEVENT\r\n",
    ));
    assert_eq!(parsed.events[0].duration_secs, None);
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.line == Some(6) && w.message.contains("negative")));
}

#[test]
fn geo() {
    assert_eq!(
        event("GEO:45.5569;-73.7218\r\n").geo,
        GeoPoint::new(45.5569, -73.7218)
    );
    assert_eq!(
        event("GEO:45.5569,-73.7218\r\n").geo,
        GeoPoint::new(45.5569, -73.7218)
    );
    let parsed = ok(&wrap(
        "BEGIN:VEVENT\r\nUID:g\r\nDTSTART:20261205\r\nGEO:200;10\r\nEND:VEVENT\r\n",
    ));
    assert_eq!(parsed.events[0].geo, None);
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.line == Some(6) && w.message.contains("GEO")));
    let apple =
        event("X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=Place Bell:geo:45.55,-73.71\r\n");
    assert_eq!(apple.geo, GeoPoint::new(45.55, -73.71));
}

#[test]
fn images() {
    let typed = event("ATTACH;FMTTYPE=image/jpeg:https://x.org/wp-content/uploads/a\r\n");
    assert_eq!(
        typed.image.as_deref(),
        Some("https://x.org/wp-content/uploads/a")
    );
    let by_name = event("ATTACH:https://x.org/affiche.PNG?v=2\r\n");
    assert_eq!(
        by_name.image.as_deref(),
        Some("https://x.org/affiche.PNG?v=2")
    );
    assert_eq!(event("ATTACH:https://x.org/programme.pdf\r\n").image, None);
    assert_eq!(
        event("ATTACH;FMTTYPE=image/png;ENCODING=BASE64;VALUE=BINARY:iVBORw0KGgo=\r\n").image,
        None
    );
    let both = event("ATTACH;FMTTYPE=image/jpeg:https://x.org/a.jpg\r\nIMAGE;VALUE=URI;DISPLAY=BADGE:https://x.org/b.jpg\r\n");
    assert_eq!(both.image.as_deref(), Some("https://x.org/b.jpg"));
}

#[test]
fn status_organizer_and_bookkeeping() {
    assert_eq!(
        event("STATUS:CANCELLED\r\n").status,
        Some(Status::Cancelled)
    );
    assert_eq!(
        event("STATUS:tentative\r\n").status,
        Some(Status::Scheduled)
    );
    assert_eq!(
        event("STATUS:CONFIRMED\r\n").status,
        Some(Status::Scheduled)
    );
    assert_eq!(event("X-MICROSOFT-CDO-BUSYSTATUS:FREE\r\n").status, None);
    assert_eq!(
        event("ORGANIZER;CN=\"Maison des arts\":MAILTO:info@x.ca\r\n")
            .organizer
            .as_deref(),
        Some("Maison des arts")
    );
    assert_eq!(
        event("ORGANIZER:mailto:info@x.ca\r\n").organizer.as_deref(),
        Some("info@x.ca")
    );
    let e = event("LAST-MODIFIED:20261019T181500Z\r\nSEQUENCE:3\r\nURL:https://x.org/e\r\n");
    assert_eq!(e.last_modified, Some(utc("20261019T181500")));
    assert_eq!(e.sequence, Some(3));
    assert_eq!(e.url.as_deref(), Some("https://x.org/e"));
}

#[test]
fn descriptions_and_language() {
    let alt = event("X-ALT-DESC;FMTTYPE=text/html:<p>Un <b>concert</b></p>\r\nSUMMARY;LANGUAGE=fr-CA:Concert\r\n");
    assert_eq!(alt.description.as_deref(), Some("<p>Un <b>concert</b></p>"));
    assert_eq!(alt.language.as_deref(), Some("fr-CA"));
    let plain = event("X-ALT-DESC;FMTTYPE=text/html:<p>html</p>\r\nDESCRIPTION:texte\r\n");
    assert_eq!(plain.description.as_deref(), Some("texte"));
    let empty = event("DESCRIPTION:\r\nX-ALT-DESC;FMTTYPE=text/html:<p>html</p>\r\n");
    assert_eq!(empty.description.as_deref(), Some("<p>html</p>"));
}

#[test]
fn time_values() {
    let e = one(&wrap(concat!(
        "BEGIN:VEVENT\r\nUID:t\r\n",
        "DTSTART;TZID=\"Eastern Standard Time\":20261205T200000\r\n",
        "DTEND;TZID=(UTC-05:00) Eastern Time (US & Canada):20261205T2200\r\n",
        "END:VEVENT\r\n"
    )));
    assert_eq!(e.start, zoned("20261205T200000", "Eastern Standard Time"));
    assert_eq!(
        e.end,
        Some(zoned(
            "20261205T220000",
            "(UTC-05:00) Eastern Time (US & Canada)"
        ))
    );
    assert_eq!(
        event("").start,
        TimeValue::Floating {
            local: local("20261205T200000")
        }
    );
}

#[test]
fn recurrence_properties() {
    let parsed = ok(&wrap(concat!(
        "BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20261205T200000\r\n",
        "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330T000000Z\r\n",
        "RRULE:FREQ=MONTHLY;BYDAY=1SA\r\n",
        "RDATE;TZID=America/Toronto:20261210T190000,20261211T190000\r\n",
        "RDATE;VALUE=DATE:20261224\r\n",
        "RDATE;VALUE=PERIOD:20270105T180000Z/PT2H\r\n",
        "EXDATE;TZID=America/Toronto:20261229T190000\r\n",
        "EXDATE:20270105T000000Z,20270112T000000Z\r\n",
        "END:VEVENT\r\n",
    )));
    // The period's two hours make an override of its instance (see
    // `rdate_periods_keep_their_own_end`).
    assert_eq!(parsed.events.len(), 2, "{:?}", parsed.warnings);
    let e = parsed.events[0].clone();
    assert_eq!(
        e.rrule,
        [
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330T000000Z",
            "FREQ=MONTHLY;BYDAY=1SA"
        ]
    );
    assert_eq!(
        e.rdate,
        [
            zoned("20261210T190000", "America/Toronto"),
            zoned("20261211T190000", "America/Toronto"),
            day(2026, 12, 24),
            TimeValue::Utc {
                at: utc("20270105T180000")
            },
        ]
    );
    assert_eq!(
        e.exdate,
        [
            zoned("20261229T190000", "America/Toronto"),
            TimeValue::Utc {
                at: utc("20270105T000000")
            },
            TimeValue::Utc {
                at: utc("20270112T000000")
            },
        ]
    );
    assert!(e.is_recurring());

    let o = event("RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=America/Toronto:20261215T190000\r\n");
    assert_eq!(
        o.recurrence_id,
        Some(zoned("20261215T190000", "America/Toronto"))
    );
    assert!(o.this_and_future);
    let o = event("RECURRENCE-ID;VALUE=DATE:20261215\r\n");
    assert_eq!(o.recurrence_id, Some(day(2026, 12, 15)));
    assert!(!o.this_and_future);
}

const TORONTO: &str = "BEGIN:VTIMEZONE\r\nTZID:America/Toronto\r\nX-LIC-LOCATION:America/Toronto\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
const WINDOWS: &str = "BEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:STANDARD\r\nDTSTART:16011104T020000\r\nTZOFFSETTO:-0600\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

#[test]
fn calendar_zone_defaults_and_definitions() {
    // X-WR-TIMEZONE wins, even after the events.
    let parsed = ok(&wrap(&format!(
            "{TORONTO}{WINDOWS}BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Eastern Standard Time:20261205T200000\r\nEND:VEVENT\r\nX-WR-TIMEZONE:America/Montreal\r\n"
        )));
    let e = &parsed.events[0];
    assert_eq!(e.default_tzid.as_deref(), Some("America/Montreal"));
    assert_eq!(
        without_observances(&e.timezones),
        [TzDefinition {
            tzid: "Eastern Standard Time".into(),
            standard_offset: Some(-18_000),
            daylight_offset: None,
            location: None,
            observances: Vec::new(),
        }],
        "only the zones the event uses; the STANDARD with the latest DTSTART"
    );

    // No X-WR-TIMEZONE and one VTIMEZONE: that one.
    let parsed = ok(&wrap(&format!(
            "{TORONTO}BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261205T200000\r\nEXDATE;TZID=America/Toronto:20261212T200000\r\nEND:VEVENT\r\n"
        )));
    let e = &parsed.events[0];
    assert_eq!(e.default_tzid.as_deref(), Some("America/Toronto"));
    assert_eq!(
        without_observances(&e.timezones),
        [TzDefinition {
            tzid: "America/Toronto".into(),
            standard_offset: Some(-18_000),
            daylight_offset: Some(-14_400),
            location: Some("America/Toronto".into()),
            observances: Vec::new(),
        }]
    );

    // Two VTIMEZONEs and no X-WR-TIMEZONE: no default.
    let parsed = ok(&wrap(&format!(
        "{TORONTO}{WINDOWS}BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261205T200000\r\nEND:VEVENT\r\n"
    )));
    assert_eq!(parsed.events[0].default_tzid, None);
    assert!(parsed.events[0].timezones.is_empty());
}

#[test]
fn several_calendars_keep_their_own_defaults() {
    let doc = concat!(
            "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:America/Toronto\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261205T200000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261206T200000\r\nEND:VEVENT\r\n",
        );
    let parsed = ok(doc);
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(
        parsed.events[0].default_tzid.as_deref(),
        Some("America/Toronto")
    );
    assert_eq!(parsed.events[1].default_tzid, None);
    assert!(
        parsed.warnings.is_empty(),
        "a missing END:VCALENDAR at EOF is fine: {:?}",
        parsed.warnings
    );
}

#[test]
fn missing_end_vevent() {
    let parsed = ok("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:20261205\nBEGIN:VEVENT\nUID:2\nDTSTART:20261206\nSUMMARY:Coupé\n");
    let uids: Vec<_> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(uids, ["1", "2"]);
    assert_eq!(parsed.events[1].title, "Coupé");
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.line == Some(5) && w.message.contains("line 2")));
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.line == Some(5) && w.message.contains("the document ends")));
}

#[test]
fn skipped_components_and_junk() {
    let parsed = ok(&wrap(concat!(
        "BEGIN:VTODO\r\nUID:todo\r\nDTSTART:20261205\r\nSUMMARY:Acheter du lait\r\nEND:VTODO\r\n",
        "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20261205\r\n",
        "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Rappel\r\nSUMMARY:Alarme\r\nEND:VALARM\r\n",
        "SUMMARY:Le vrai titre\r\n",
        "this line has no colon\r\n",
        "END:VEVENT\r\n",
        "BEGIN:X-SOMETHING\r\nBEGIN:VEVENT-ISH\r\nFOO:bar\r\nEND:VEVENT-ISH\r\nEND:X-SOMETHING\r\n",
        "END:VTODO\r\n",
    )));
    assert_eq!(parsed.events.len(), 1);
    let e = &parsed.events[0];
    assert_eq!(e.title, "Le vrai titre");
    assert_eq!(e.description, None);
    let lines: Vec<_> = parsed.warnings.iter().map(|w| w.line).collect();
    assert_eq!(
        lines,
        [Some(17), Some(19), Some(24)],
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn bare_vevents_and_empty_calendars() {
    let e = one("BEGIN:VEVENT\nUID:bare\nDTSTART:20261205\nEND:VEVENT\n");
    assert_eq!(e.uid, "bare");
    let empty = ok("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n");
    assert!(empty.events.is_empty());
    assert!(empty.warnings.is_empty());
}

#[test]
fn utf16_with_bom() {
    let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART:20261205\r\nSUMMARY:Été\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let parsed = parse(&bytes, &ctx(None)).unwrap();
    assert_eq!(parsed.events[0].title, "Été");
}

#[test]
fn not_icalendar_is_wrong_kind() {
    let html = b"<!DOCTYPE html>\n<html><head><title>Agenda: 404</title></head>\n<body>Page introuvable</body></html>\n";
    assert_eq!(
        parse(html, &ctx(Some("text/html"))),
        Err(ParseError::WrongKind {
            expected: "an iCalendar file",
            found: "an HTML page".into()
        })
    );
    assert!(
        matches!(parse(b"", &ctx(None)), Err(ParseError::WrongKind { found, .. }) if found == "an empty body")
    );
    assert!(parse(b"SUMMARY:x\nDTSTART:20261205\n", &ctx(None)).is_err());
    assert!(parse(b"{\"events\": []}", &ctx(Some("application/json"))).is_err());
}

#[test]
fn warnings_are_capped() {
    let mut doc = String::from("BEGIN:VCALENDAR\n");
    for _ in 0..(MAX_WARNINGS + 50) {
        doc.push_str("junk\n");
    }
    let parsed = ok(&doc);
    assert_eq!(parsed.warnings.len(), MAX_WARNINGS + 1);
    assert!(parsed
        .warnings
        .last()
        .unwrap()
        .message
        .starts_with("50 more"));
}

// ---------------------------------------------------------------- fixtures

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ics")
}

fn fixture(name: &str) -> Parsed {
    let bytes = std::fs::read(fixture_dir().join(format!("{name}.ics"))).unwrap();
    parse(&bytes, &ctx(Some("text/calendar"))).unwrap()
}

/// A fixture read without a warning, with `events` events.
fn clean_fixture(name: &str, events: usize) -> Parsed {
    let p = fixture(name);
    assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
    assert_eq!(p.events.len(), events, "{name}");
    p
}

fn by_uid<'a>(parsed: &'a Parsed, uid: &str) -> Vec<&'a RawEvent> {
    parsed.events.iter().filter(|e| e.uid == uid).collect()
}

#[test]
fn fixture_google_calendar_export() {
    let p = clean_fixture("google_calendar_export", 7);
    let series = by_uid(&p, "3f9d2kq7v1m8l0c5r6h4t2b9ne@google.com");
    assert_eq!(series.len(), 3);
    assert_eq!(series[0].rrule, ["FREQ=WEEKLY;BYDAY=TU"]);
    assert_eq!(
        series[0].exdate,
        [zoned("20261229T183000", "America/Toronto")]
    );
    assert_eq!(
        series[0].location.as_deref(),
        Some("Bibliothèque Multiculturelle, 1535 Boulevard Chomedey, Laval, QC H7V 3Z2, Canada")
    );
    assert_eq!(
        series[1].recurrence_id,
        Some(zoned("20261117T183000", "America/Toronto"))
    );
    assert_eq!(
        series[1].title,
        "Heure du conte en pyjama – édition spéciale"
    );
    assert_eq!(series[2].status, Some(Status::Cancelled));
    for e in &p.events {
        assert_eq!(e.default_tzid.as_deref(), Some("America/Toronto"));
    }
    assert_eq!(series[0].timezones.len(), 1);
    assert_eq!(
        series[0].timezones[0].location.as_deref(),
        Some("America/Toronto")
    );
    let conf = &by_uid(&p, "0b7c1e5d9a2f4h6j8k0m2n4p6q@google.com")[0];
    assert_eq!(
        conf.start,
        TimeValue::Utc {
            at: utc("20261119T000000")
        }
    );
    assert!(conf.timezones.is_empty());
    assert_eq!(
            conf.description.as_deref(),
            Some("Conférence gratuite, inscription requise.\nAnimée par Marie Tremblay; historienne.\n\nPlaces limitées, arrivez tôt.")
        );
    let sale = &by_uid(&p, "6r1t3y5u7i9o0p2a4s6d8f0g1h@google.com")[0];
    assert_eq!(sale.start, day(2026, 12, 5));
    assert_eq!(sale.end, Some(day(2026, 12, 6)));
    let workshop = &by_uid(&p, "9z8x7c6v5b4n3m2l1k0j9h8g7f@google.com")[0];
    assert_eq!(
        workshop.title,
        "Atelier de création numérique : films d'animation à la bibliothèque Émile-Nelligan"
    );
    let club = &by_uid(&p, "1q2w3e4r5t6y7u8i9o0p1a2s3d@google.com")[0];
    assert_eq!(club.description, None);
    assert_eq!(club.title, "Club de lecture : « Kukum » de Michel Jean");
}

#[test]
fn fixture_outlook_eastern_standard_time() {
    let p = clean_fixture("outlook_eastern_standard_time", 4);
    let rehearsal = &p.events[0];
    assert_eq!(
        rehearsal.start,
        zoned("20270307T193000", "Eastern Standard Time")
    );
    assert_eq!(rehearsal.rrule, ["FREQ=WEEKLY;COUNT=3;BYDAY=SU"]);
    assert_eq!(rehearsal.language.as_deref(), Some("fr-ca"));
    assert_eq!(
        rehearsal
            .description
            .as_deref()
            .map(|d| d.contains("Reminder")),
        Some(false)
    );
    assert_eq!(
        without_observances(&rehearsal.timezones),
        [TzDefinition {
            tzid: "Eastern Standard Time".into(),
            standard_offset: Some(-18_000),
            daylight_offset: Some(-14_400),
            location: None,
            observances: Vec::new(),
        }]
    );
    assert_eq!(
        rehearsal.default_tzid.as_deref(),
        Some("Eastern Standard Time")
    );
    let open_house = &p.events[2];
    assert_eq!(open_house.start, day(2027, 2, 6));
    assert_eq!(open_house.end, Some(day(2027, 2, 7)));
    assert!(open_house.timezones.is_empty());
    assert_eq!(
        p.events[1].location.as_deref(),
        Some("Salle André-Mathieu, 475 boul. de l'Avenir, Laval")
    );
}

#[test]
fn fixture_outlook_no_vtimezone() {
    let p = clean_fixture("outlook_no_vtimezone", 3);
    for e in &p.events {
        assert!(
            matches!(&e.start, TimeValue::Zoned { tzid, .. } if tzid == "Eastern Standard Time")
        );
        assert!(e.timezones.is_empty());
        assert_eq!(e.default_tzid, None);
    }
    assert_eq!(p.events[0].title, "Les Belles-sœurs");
    assert_eq!(p.events[1].duration_secs, Some(5400));
    assert_eq!(p.events[1].end, None);
}

#[test]
fn fixture_outlook_custom_tzid() {
    let p = clean_fixture("outlook_custom_tzid", 3);
    let tzid = "(UTC-05:00) Eastern Time (US & Canada)";
    for e in &p.events {
        assert!(
            matches!(&e.start, TimeValue::Zoned { tzid: t, .. } if t == tzid),
            "{:?}",
            e.start
        );
        assert_eq!(e.default_tzid.as_deref(), Some(tzid));
        assert_eq!(e.timezones.len(), 1);
        assert_eq!(e.timezones[0].standard_offset, Some(-18_000));
        assert_eq!(e.timezones[0].daylight_offset, Some(-14_400));
    }
    assert_eq!(p.events[1].end, Some(zoned("20270212T203000", tzid)));
}

#[test]
fn fixture_apple_calendar_export() {
    let p = clean_fixture("apple_calendar_export", 4);
    let festival = &p.events[0];
    assert_eq!(festival.start, day(2027, 2, 19));
    assert_eq!(festival.end, Some(day(2027, 2, 22)));
    assert_eq!(festival.geo, GeoPoint::new(45.5601, -73.6696));
    assert_eq!(
        festival.location.as_deref(),
        Some("Centre de la nature de Laval\n901 Avenue du Parc, Laval QC H7E 2T8, Canada")
    );
    for e in &p.events {
        assert_eq!(e.default_tzid.as_deref(), Some("America/Toronto"));
    }
    assert_eq!(
        p.events[1].timezones[0].location.as_deref(),
        Some("America/Toronto")
    );
    assert_eq!(p.events[3].end, None);
}

#[test]
fn fixture_wordpress_the_events_calendar() {
    let p = clean_fixture("wordpress_the_events_calendar", 4);
    let play = &p.events[0];
    assert_eq!(play.categories, ["Théâtre", "Spectacles"]);
    assert_eq!(play.geo, GeoPoint::new(45.5569, -73.7218));
    assert_eq!(
        play.image.as_deref(),
        Some(
            "https://maisondesarts.laval.ca/wp-content/uploads/2026/09/belles-soeurs-1024x683.jpg"
        )
    );
    assert_eq!(
        play.location.as_deref(),
        Some("Salle Alfred-Pellan, 1395 boul. de la Concorde Ouest, Laval, QC, H7N 5W1, Canada")
    );
    assert_eq!(play.organizer.as_deref(), Some("Maison des arts de Laval"));
    assert_eq!(
        play.url.as_deref(),
        Some("https://maisondesarts.laval.ca/evenement/les-belles-soeurs/")
    );
    assert_eq!(play.last_modified, Some(utc("20261019T181500")));
    assert_eq!(play.default_tzid.as_deref(), Some("America/Toronto"));
    assert_eq!(
        without_observances(&play.timezones),
        [TzDefinition {
            tzid: "America/Toronto".into(),
            standard_offset: Some(-18_000),
            daylight_offset: Some(-14_400),
            location: None,
            observances: Vec::new(),
        }]
    );
    assert_eq!(
        p.events[1].categories,
        ["Expositions", "Arts visuels", "Famille"]
    );
    assert_eq!(
        p.events[2].description.as_deref(),
        Some("<p>Projection suivie d'une discussion avec <em>Philippe Falardeau</em>.</p>")
    );
    assert_eq!(p.events[2].image, None);
}

#[test]
fn fixture_eventbrite_export() {
    let p = clean_fixture("eventbrite_export", 3);
    let jazz = &p.events[0];
    assert_eq!(
        jazz.start,
        TimeValue::Utc {
            at: utc("20261114T000000")
        }
    );
    assert_eq!(jazz.organizer.as_deref(), Some("Productions Swing Laval"));
    assert_eq!(
        jazz.url.as_deref(),
        Some("https://www.eventbrite.ca/e/soiree-jazz-manouche-billets-1038475629183")
    );
    assert_eq!(
        p.events[1].organizer.as_deref(),
        Some("Association des auteurs de Laval")
    );
    assert_eq!(p.events[2].status, Some(Status::Cancelled));
    assert_eq!(p.events[2].sequence, Some(2));
}

#[test]
fn fixture_montreal_alias_tzid() {
    let p = fixture("montreal_alias_tzid");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let uids: Vec<_> = p.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(
        uids,
        [
            "mtl-2026-001@quartierdesspectacles.com",
            "mtl-2026-002@quartierdesspectacles.com",
            "mtl-2027-003@quartierdesspectacles.com",
            "mtl-2027-004@quartierdesspectacles.com"
        ]
    );
    assert_eq!(
        p.events[0].start,
        zoned("20261212T170000", "America/Montreal")
    );
    assert_eq!(
        p.events[1].start,
        TimeValue::Floating {
            local: local("20261219T190000")
        }
    );
    assert_eq!(p.events[1].title, "Concert de Noël sous les étoiles");
    assert_eq!(p.events[1].default_tzid, None);
    assert_eq!(
        p.events[3].default_tzid.as_deref(),
        Some("America/Montreal")
    );
}

#[test]
fn fixture_broken_partial() {
    let p = fixture("broken_partial");
    let uids: Vec<_> = p.events.iter().map(|e| e.uid.as_str()).collect();
    let fallback = model::ids::fallback_uid(
        "Chorale de Vimont : concert de Noël",
        "20261220T190000",
        "Église Saint-Elzéar, Laval",
    );
    assert_eq!(
        uids,
        ["good-001@centre-culturel-vimont.ca", fallback.as_str()]
    );
    let lines: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
    // No DTSTART (VEVENT at 12), bad DTSTART value (19), its VEVENT
    // skipped (17), the line without a colon (22), the unfinished last
    // VEVENT (23).
    assert_eq!(
        lines,
        [Some(12), Some(19), Some(17), Some(22), Some(23)],
        "{:?}",
        p.warnings
    );
    assert!(p.warnings[0]
        .message
        .contains("nodate-002@centre-culturel-vimont.ca"));
}

#[test]
fn fixture_latin1_windows1252() {
    let p = clean_fixture("latin1_windows1252", 3);
    assert_eq!(p.events[0].title, "Théâtre jeunesse : Le Petit Prince");
    assert_eq!(
        p.events[0].description.as_deref(),
        Some("Une adaptation d’Antoine de Saint-Exupéry pour les 5 à 10 ans.")
    );
    assert_eq!(p.events[0].categories, ["Théâtre", "Jeunesse"]);
    assert_eq!(
        p.events[1].title,
        "Été indien – exposition de photographies"
    );
    assert_eq!(
        p.events[2].description.as_deref(),
        Some("Piaf, Brel et Aznavour… avec le trio Ça Swingue.")
    );
}

/// Every fixture has its expected file, and every fixture's events are
/// at least as many as its expected distinct uids.
#[test]
fn every_fixture_has_an_expected_file() {
    let mut count = 0;
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ics") {
            continue;
        }
        count += 1;
        let expected_path = path.with_extension("expected.json");
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&expected_path).unwrap()).unwrap();
        let parsed = parse(&std::fs::read(&path).unwrap(), &ctx(None)).unwrap();
        for item in expected["events"].as_array().unwrap() {
            let uid = item["uid"].as_str().unwrap();
            assert!(
                parsed.events.iter().any(|e| e.uid == uid),
                "{}: {uid} expected but not parsed",
                path.display()
            );
        }
    }
    assert!(count >= 10);
}

/// RFC 5545 3.8.5.2: an RDATE PERIOD is an instance with its own end (an
/// explicit end, or a duration); a date-only period in a timed series runs
/// midnight to midnight on the series' clock. Each reaches `normalize` as
/// an override of that instance.
#[test]
fn rdate_periods_keep_their_own_end() {
    let parsed = ok(&wrap(concat!(
        "BEGIN:VEVENT\r\nUID:p1\r\n",
        "DTSTART;TZID=America/Vancouver:20230920T120000\r\n",
        "DTEND;TZID=America/Vancouver:20230920T140000\r\n",
        "RDATE;VALUE=PERIOD;TZID=America/Vancouver:20231213T120000/20231213T150000,",
        "20231214T120000/PT2H\r\n",
        "END:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:p2\r\nDTSTART:19970101T180000Z\r\n",
        "RDATE;VALUE=PERIOD:19970105/19970106\r\n",
        "END:VEVENT\r\n",
    )));
    let uids: Vec<(&str, bool)> = parsed
        .events
        .iter()
        .map(|e| (e.uid.as_str(), e.recurrence_id.is_some()))
        .collect();
    // The 2-hour period is as long as the series' instances: no override.
    assert_eq!(
        uids,
        [("p1", false), ("p2", false), ("p1", true), ("p2", true)]
    );
    let master = &parsed.events[0];
    assert_eq!(
        master.rdate,
        [
            zoned("20231213T120000", "America/Vancouver"),
            zoned("20231214T120000", "America/Vancouver")
        ]
    );
    let o = &parsed.events[2];
    assert_eq!(
        o.recurrence_id,
        Some(zoned("20231213T120000", "America/Vancouver"))
    );
    assert_eq!(o.start, zoned("20231213T120000", "America/Vancouver"));
    assert_eq!(o.end, Some(zoned("20231213T150000", "America/Vancouver")));
    assert!(o.rrule.is_empty() && o.rdate.is_empty());
    // Date-only period of a UTC series: UTC midnight to midnight.
    let midnight = TimeValue::Utc {
        at: utc("19970105T000000"),
    };
    assert_eq!(parsed.events[1].rdate, std::slice::from_ref(&midnight));
    let o = &parsed.events[3];
    assert_eq!(o.recurrence_id, Some(midnight.clone()));
    assert_eq!(o.start, midnight);
    assert_eq!(
        o.end,
        Some(TimeValue::Utc {
            at: utc("19970106T000000")
        })
    );
}

/// An override the source wrote for a period's instance wins over the one
/// the period makes.
#[test]
fn a_written_override_wins_over_a_period() {
    let parsed = ok(&wrap(concat!(
        "BEGIN:VEVENT\r\nUID:p1\r\nDTSTART:20231213T120000Z\r\n",
        "DTEND:20231213T130000Z\r\n",
        "RDATE;VALUE=PERIOD:20231220T120000Z/PT5H\r\n",
        "END:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:p1\r\nRECURRENCE-ID:20231220T120000Z\r\n",
        "DTSTART:20231220T140000Z\r\nSUMMARY:moved\r\n",
        "END:VEVENT\r\n",
    )));
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(parsed.events[1].title, "moved");
}

/// A VTIMEZONE's STANDARD and DAYLIGHT parts are kept as written (onset,
/// offsets, RRULE, RDATE), so that `normalize` can read a zone no IANA zone
/// matches by its own rules.
#[test]
fn vtimezone_parts_are_kept_as_written() {
    let parsed = ok(&wrap(concat!(
        "BEGIN:VTIMEZONE\r\nTZID:MyTimezone\r\n",
        "BEGIN:STANDARD\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1200\r\n",
        "DTSTART:20240101T000000\r\nRDATE:20250101T000000\r\nEND:STANDARD\r\n",
        "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+1200\r\nTZOFFSETTO:+1000\r\n",
        "DTSTART:20240505T080000\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=5\r\n",
        "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n",
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=MyTimezone:20240303T080000\r\nEND:VEVENT\r\n",
    )));
    let defs = &parsed.events[0].timezones;
    assert_eq!(defs.len(), 1);
    assert_eq!(
        defs[0].observances,
        [
            TzObservance {
                daylight: false,
                start: local("20240101T000000"),
                offset_from: 36_000,
                offset_to: 43_200,
                rrule: Vec::new(),
                rdate: vec![local("20250101T000000")],
            },
            TzObservance {
                daylight: true,
                start: local("20240505T080000"),
                offset_from: 43_200,
                offset_to: 36_000,
                rrule: vec!["FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=5".into()],
                rdate: Vec::new(),
            },
        ]
    );
}

// ---------------------------------------------------------------------------
// Hostile documents: bounded, with a warning, never a panic.

fn has_warning(parsed: &Parsed, needle: &str) -> bool {
    parsed
        .warnings
        .iter()
        .any(|w| w.to_string().contains(needle))
}

#[test]
fn declared_utf8_with_invalid_bytes_keeps_its_utf8_and_warns() {
    let mut bytes = wrap("BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20261205T200000\r\nSUMMARY:Été à ")
        .replace("END:VCALENDAR\r\n", "")
        .into_bytes();
    bytes.extend_from_slice(b"Th\xe9\xe2tre\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let parsed = parse(&bytes, &ctx(Some("text/calendar; charset=utf-8"))).unwrap();
    assert_eq!(parsed.events.len(), 1);
    // Mostly UTF-8: the pasted Latin-1 word is recovered, and named.
    assert_eq!(parsed.events[0].title, "Été à Théâtre");
    assert!(
        has_warning(&parsed, "declared UTF-8 but holds 2 invalid byte sequences"),
        "{:?}",
        parsed.warnings
    );
    assert!(
        has_warning(&parsed, "byte 91, line 6"),
        "{:?}",
        parsed.warnings
    );
    assert!(has_warning(&parsed, "the stray bytes read as Windows-1252"));

    // No valid multi-byte UTF-8 at all: U+FFFD, and the warning says so.
    let mut bytes = wrap("BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20261205T200000\r\nSUMMARY:Caf")
        .replace("END:VCALENDAR\r\n", "")
        .into_bytes();
    bytes.extend_from_slice(b"\xff noir\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let parsed = parse(&bytes, &ctx(Some("text/calendar; charset=utf-8"))).unwrap();
    assert_eq!(parsed.events[0].title, "Caf\u{fffd} noir");
    assert!(
        has_warning(&parsed, "1 invalid byte sequence (the first at byte"),
        "{:?}",
        parsed.warnings
    );
    assert!(has_warning(
        &parsed,
        "read as UTF-8 with U+FFFD in their place"
    ));
}

#[test]
fn an_overlong_content_line_is_cut_with_a_warning() {
    // A 10 MB DESCRIPTION on one line, multi-byte so the cut must find a
    // char boundary; the events around it are kept.
    let huge = "é".repeat(5 << 20);
    let text = wrap(&format!(
        "BEGIN:VEVENT\r\nUID:big\r\nDTSTART:20261205T200000\r\nSUMMARY:Big\r\n\
         DESCRIPTION:{huge}\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20261206T200000\r\nSUMMARY:Good\r\nEND:VEVENT\r\n"
    ));
    let parsed = ok(&text);
    assert_eq!(parsed.events.len(), 2, "{:?}", parsed.warnings);
    assert!(
        has_warning(&parsed, "line 7: content line of"),
        "{:?}",
        parsed.warnings
    );
    let big = parsed.events.iter().find(|e| e.uid == "big").unwrap();
    let description = big.description.as_deref().unwrap_or_default();
    assert_eq!(
        description.chars().count(),
        crate::bounds::MAX_DESCRIPTION_CHARS
    );
    assert!(
        has_warning(&parsed, "big: description cut"),
        "{:?}",
        parsed.warnings
    );
    assert!(parsed
        .events
        .iter()
        .any(|e| e.uid == "good" && e.title == "Good"));
}

#[test]
fn overlong_fields_are_capped_and_named() {
    let e_title = "T".repeat(1_500);
    let text = wrap(&format!(
        "BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20261205T200000\r\nSUMMARY:{e_title}\r\n\
         LOCATION:{}\r\nURL:https://x.test/{}\r\nEND:VEVENT\r\n",
        "L".repeat(2_500),
        "p".repeat(2_500)
    ));
    let parsed = ok(&text);
    let e = &parsed.events[0];
    assert_eq!(e.title.len(), crate::bounds::MAX_TITLE_CHARS);
    assert_eq!(e.location.as_deref().map(str::len), Some(2_000));
    assert!(e.url.as_deref().map(str::len).unwrap_or(0) <= 2_000);
    for field in ["u1: title cut", "u1: location cut", "u1: url cut"] {
        assert!(
            has_warning(&parsed, field),
            "{field}: {:?}",
            parsed.warnings
        );
    }
}

#[test]
fn vevents_past_the_record_cap_are_dropped_with_a_warning() {
    let n = crate::bounds::MAX_RECORDS + 25;
    let mut body = String::with_capacity(n * 80);
    for i in 0..n {
        body.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:20261205T200000\r\nSUMMARY:E\r\nEND:VEVENT\r\n"
        ));
    }
    let parsed = ok(&wrap(&body));
    assert_eq!(parsed.events.len(), crate::bounds::MAX_RECORDS);
    assert!(
        has_warning(&parsed, "25 VEVENTs dropped"),
        "{:?}",
        parsed.warnings
    );
}
