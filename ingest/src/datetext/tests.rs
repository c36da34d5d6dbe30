//! The date tables write expected values as text: "2026-12-05" for a date,
//! "2026-12-05 20:30" for a floating time, an RFC 3339 time for one with an
//! offset, "START .. END" for a range and "" for nothing found.

use super::*;
use chrono::{DateTime, NaiveDateTime};
use model::TimeValue;

fn reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default()
}

/// A value as the tables write it.
fn value(text: &str) -> TimeValue {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return TimeValue::Date { date };
    }
    if let Ok(local) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        return TimeValue::Floating { local };
    }
    let at = DateTime::parse_from_rfc3339(text).expect("a table value");
    TimeValue::Offset { at }
}

/// What `find_date` should find, as the table writes it.
fn found(text: &str) -> Option<FoundDate> {
    if text.is_empty() {
        return None;
    }
    let (start, end) = match text.split_once(" .. ") {
        Some((start, end)) => (start, Some(value(end))),
        None => (text, None),
    };
    Some(FoundDate {
        start: value(start),
        end,
    })
}

// ------------------------------------------------------------- find_date

#[test]
fn find_date_table() {
    #[rustfmt::skip]
    let cases: Vec<(&str, &str)> = vec![
        // French, full.
        ("le samedi 5 décembre 2026 à 20 h",    "2026-12-05 20:00"),
        ("5 déc. 2026, 20h30",                  "2026-12-05 20:30"),
        ("Samedi 5 decembre 2026 - 19h",        "2026-12-05 19:00"),
        ("SAMEDI 5 DÉCEMBRE 2026 À 20 H 30",    "2026-12-05 20:30"),
        ("5 décembre 2026, 20 h 30",            "2026-12-05 20:30"),
        ("5 décembre 2026 20h",                 "2026-12-05 20:00"),
        ("5 décembre 2026 à midi",              "2026-12-05 12:00"),
        ("5 décembre 2026 20:00",               "2026-12-05 20:00"),
        ("1er décembre",                        "2026-12-01"),
        ("vendredi 1er janvier 2027",           "2027-01-01"),
        ("Concert le 5 décembre",               "2026-12-05"),
        ("3 janvier",                           "2027-01-03"),
        // A week of slack before the reference.
        ("10 novembre",                         "2026-11-10"),
        ("1 novembre",                          "2027-11-01"),
        // Ranges of days: exclusive end.
        ("du 3 au 5 décembre",                  "2026-12-03 .. 2026-12-06"),
        ("du 28 novembre au 2 décembre 2026",   "2026-11-28 .. 2026-12-03"),
        ("du 28 décembre au 2 janvier 2027",    "2026-12-28 .. 2027-01-03"),
        ("du 30 décembre au 2 janvier",         "2026-12-30 .. 2027-01-03"),
        ("3-5 décembre",                        "2026-12-03 .. 2026-12-06"),
        ("3 – 5 déc.",                          "2026-12-03 .. 2026-12-06"),
        ("jusqu'au 5 décembre",                 "2026-12-05"),
        ("5 et 6 décembre",                     "2026-12-05"),
        // Times.
        ("5 décembre de 19 h à 21 h",           "2026-12-05 19:00 .. 2026-12-05 21:00"),
        ("5 décembre 2026, 19h-21h",            "2026-12-05 19:00 .. 2026-12-05 21:00"),
        ("5 décembre, 22 h à 2 h",              "2026-12-05 22:00 .. 2026-12-06 02:00"),
        ("du 3 au 5 décembre, de 19 h à 21 h",  "2026-12-03 19:00 .. 2026-12-05 21:00"),
        ("le 5 décembre dès 19 h 30",           "2026-12-05 19:30"),
        // English.
        ("December 5, 2026 at 8 PM",            "2026-12-05 20:00"),
        ("Dec 5, 2026 8:30pm",                  "2026-12-05 20:30"),
        ("Saturday, December 5 at 8pm",         "2026-12-05 20:00"),
        ("5 December 2026",                     "2026-12-05"),
        ("December 5th, 2026 at 7:30 p.m.",     "2026-12-05 19:30"),
        ("Dec 5, 2026, 8 PM - 10 PM",           "2026-12-05 20:00 .. 2026-12-05 22:00"),
        ("Dec 5, 8 - 10 pm",                    "2026-12-05 20:00 .. 2026-12-05 22:00"),
        ("December 3-5, 2026",                  "2026-12-03 .. 2026-12-06"),
        ("Sept 12",                             "2027-09-12"),
        ("Sep. 12, 2027 at noon",               "2027-09-12 12:00"),
        ("12 sept. 2027",                       "2027-09-12"),
        ("mar. 8 déc. 2026",                    "2026-12-08"),
        ("Mar 8, 2027",                         "2027-03-08"),
        // Abbreviations.
        ("3 févr. 2027",                        "2027-02-03"),
        ("3 fév 2027",                          "2027-02-03"),
        ("14 juil. 2027",                       "2027-07-14"),
        ("14 janv 2027",                        "2027-01-14"),
        ("14 avr 2027",                         "2027-04-14"),
        ("15 août 2027",                        "2027-08-15"),
        // Numeric.
        ("2026-12-05 20:00",                    "2026-12-05 20:00"),
        ("2026-12-05T20:00:00",                 "2026-12-05 20:00"),
        ("2026-12-05",                          "2026-12-05"),
        ("05/12/2026",                          "2026-12-05"),
        ("12/25/2026",                          "2026-12-25"),
        ("05/12/26 à 20 h",                     "2026-12-05 20:00"),
        // No date.
        ("Concert bénéfice",                    ""),
        ("Ouvert à tous",                       ""),
        ("Billets: 25 $",                       ""),
        ("2 pour 1",                            ""),
        ("Salle 2026",                          ""),
        ("Info : 450 662-4440",                 ""),
        ("450-662-4440",                        ""),
        ("20 h",                                ""),
        ("31 février 2027",                     ""),
        ("",                                    ""),
        ("Décembre 2026",                       ""),
    ];
    let mut failures = Vec::new();
    for (text, want) in &cases {
        let (got, want) = (find_date(text, reference()), found(want));
        if got != want {
            failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(cases.len() >= 40);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn find_date_takes_the_first_date_in_a_longer_text() {
    let text = "<p>La troupe présente Les Belles-sœurs, le vendredi 4 décembre à 19 h 30. \
                Supplémentaire le 12 décembre.</p>";
    let got = find_date(text, reference());
    assert_eq!(got, found("2026-12-04 19:30"));
}

#[test]
fn find_date_never_panics_on_odd_input() {
    for text in [
        "99999999999999999999 décembre",
        "31/31/31",
        "9999-99-99",
        "5 décembre 99:99",
        "- - - au au et",
        "du au",
        "\u{0301}\u{0301}",
        "ﬁ ß İ 𝔡",
        "0 janvier 2026",
        "29 février",
    ] {
        let _ = find_date(text, reference());
        let _ = find_date(text, NaiveDate::MIN);
        let _ = find_date(text, NaiveDate::MAX);
    }
    assert_eq!(find_date("29 février", reference()), found("2028-02-29"));
}

// ----------------------------------------------------- parse_with_format

#[test]
fn parse_with_format_table() {
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, &str)> = vec![
        // Month and day names, French or English, any case, dots, accents.
        ("5 décembre 2026 20 h 30",       "%d %B %Y %H h %M",       "2026-12-05 20:30"),
        ("05 DECEMBRE 2026 20h30",        "%d %B %Y %H h %M",       "2026-12-05 20:30"),
        ("Samedi 5 déc. 2026 à 20 h 00",  "%A %d %b %Y à %H h %M",  "2026-12-05 20:00"),
        ("samedi 5 dec 2026 a 20h00",     "%A %d %b %Y à %H h %M",  "2026-12-05 20:00"),
        ("December 5, 2026 8:30 PM",      "%B %d, %Y %I:%M %p",     "2026-12-05 20:30"),
        ("Dec 5, 2026 8:30 p.m.",         "%b %e, %Y %I:%M %p",     "2026-12-05 20:30"),
        ("Sat, Dec 5 2026",               "%a, %b %d %Y",           "2026-12-05"),
        // Numbers and shorthands.
        ("2026-12-05",                    "%Y-%m-%d",               "2026-12-05"),
        ("2026-12-05 20:00:00",           "%F %T",                  "2026-12-05 20:00"),
        ("5/12/26",                       "%d/%m/%y",               "2026-12-05"),
        ("5.12.2026 - 20:00",             "%d.%m.%Y - %H:%M",       "2026-12-05 20:00"),
        // Literals, text after the match, an offset, the time first.
        ("1er janvier 2027",              "%der %B %Y",             "2027-01-01"),
        ("5 décembre 2026 — complet",     "%d %B %Y",               "2026-12-05"),
        ("2026-12-05T20:00-05:00",        "%Y-%m-%dT%H:%M%z",       "2026-12-05T20:00:00-05:00"),
        ("12 h 00, 5 février 2027",       "%H h %M, %d %B %Y",      "2027-02-05 12:00"),
        // No year, no such day or month, a missing field, no word boundary,
        // an hour out of range, an unknown spec, nothing.
        ("5 février",                     "%d %B",                  ""),
        ("31 février 2027",               "%d %B %Y",               ""),
        ("5 brumaire 2026",               "%d %B %Y",               ""),
        ("5 décembre 2026",               "%d %B %Y %H h",          ""),
        ("5 décembre 20261",              "%d %B %Y",               ""),
        ("25 h 00, 5 février 2027",       "%H h %M, %d %B %Y",      ""),
        ("5 décembre 2026",               "%d %B %Q",               ""),
        ("",                              "%d %B %Y",               ""),
    ];
    let mut failures = Vec::new();
    for (text, format, want) in &cases {
        let got = parse_with_format(text, format);
        let want = (!want.is_empty()).then(|| value(want));
        if got != want {
            failures.push(format!("{text:?} / {format:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn parse_with_format_on_infers_the_year() {
    for (text, format, want) in [
        ("5 décembre", "%d %B", "2026-12-05"),
        ("3 janvier à 20 h", "%d %B à %H h", "2027-01-03 20:00"),
        ("5 décembre 2030", "%d %B %Y", "2030-12-05"),
    ] {
        let got = parse_with_format_on(text, format, reference());
        assert_eq!(got, Some(value(want)), "{text:?} / {format:?}");
    }
}

// ---------------------------------------------------------------- fuzzing

#[test]
fn random_token_soup_never_panics_and_ranges_never_go_backwards() {
    const VOCAB: &[&str] = &[
        "5",
        "12",
        "2026",
        "décembre",
        "au",
        "-",
        "h",
        "à",
        " ",
        ":",
        "/",
        "pm",
        "du",
        "30",
        "1er",
        "samedi",
        ",",
        "midi",
        "et",
        "99",
        "0",
        "31",
        "févr",
        ".",
        "'",
        "Dec",
        "to",
        "29",
        "février",
        "24",
        "am",
        "jusqu",
        "de",
        "23",
        "59",
        "1999",
        "05",
    ];
    const FORMATS: &[&str] = &[
        "%d %B %Y %H h %M",
        "%B %d, %Y %I:%M %p",
        "%d/%m/%y",
        "%A %e %b",
    ];
    let mut rng = testsupport::Rng::new(0x2545_F491_4F6C_DD1D);
    let mut next = move || rng.next_u64();
    for _ in 0..20_000 {
        let len = 1 + (next() % 9) as usize;
        let text: String = (0..len)
            .map(|_| VOCAB[(next() % VOCAB.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(if next() % 2 == 0 { " " } else { "" });
        if let Some(found) = find_date(&text, reference()) {
            if let Some(end) = &found.end {
                assert!(
                    end.as_written() >= found.start.as_written(),
                    "{text:?}: {found:?}"
                );
                assert_eq!(end.is_date(), found.start.is_date(), "{text:?}");
            }
        }
        for format in FORMATS {
            let _ = parse_with_format(&text, format);
            let _ = parse_with_format_on(&text, format, reference());
        }
    }
}
