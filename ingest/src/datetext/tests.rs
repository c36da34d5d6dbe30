use super::*;
use model::TimeValue;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn date(y: i32, m: u32, day: u32) -> TimeValue {
    TimeValue::Date { date: d(y, m, day) }
}

fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> TimeValue {
    TimeValue::Floating {
        local: d(y, m, day).and_hms_opt(h, min, 0).unwrap_or_default(),
    }
}

type Expected = Option<(TimeValue, Option<TimeValue>)>;

fn reference() -> NaiveDate {
    d(2026, 11, 15)
}

#[test]
fn find_date_table() {
    let cases: Vec<(&str, Expected)> = vec![
        // French, full.
        (
            "le samedi 5 décembre 2026 à 20 h",
            Some((at(2026, 12, 5, 20, 0), None)),
        ),
        ("5 déc. 2026, 20h30", Some((at(2026, 12, 5, 20, 30), None))),
        (
            "Samedi 5 decembre 2026 - 19h",
            Some((at(2026, 12, 5, 19, 0), None)),
        ),
        (
            "SAMEDI 5 DÉCEMBRE 2026 À 20 H 30",
            Some((at(2026, 12, 5, 20, 30), None)),
        ),
        (
            "5 décembre 2026, 20 h 30",
            Some((at(2026, 12, 5, 20, 30), None)),
        ),
        ("5 décembre 2026 20h", Some((at(2026, 12, 5, 20, 0), None))),
        (
            "5 décembre 2026 à midi",
            Some((at(2026, 12, 5, 12, 0), None)),
        ),
        (
            "5 décembre 2026 20:00",
            Some((at(2026, 12, 5, 20, 0), None)),
        ),
        ("1er décembre", Some((date(2026, 12, 1), None))),
        ("vendredi 1er janvier 2027", Some((date(2027, 1, 1), None))),
        ("Concert le 5 décembre", Some((date(2026, 12, 5), None))),
        ("3 janvier", Some((date(2027, 1, 3), None))),
        // A week of slack before the reference.
        ("10 novembre", Some((date(2026, 11, 10), None))),
        ("1 novembre", Some((date(2027, 11, 1), None))),
        // Ranges of days: exclusive end.
        (
            "du 3 au 5 décembre",
            Some((date(2026, 12, 3), Some(date(2026, 12, 6)))),
        ),
        (
            "du 28 novembre au 2 décembre 2026",
            Some((date(2026, 11, 28), Some(date(2026, 12, 3)))),
        ),
        (
            "du 28 décembre au 2 janvier 2027",
            Some((date(2026, 12, 28), Some(date(2027, 1, 3)))),
        ),
        (
            "du 30 décembre au 2 janvier",
            Some((date(2026, 12, 30), Some(date(2027, 1, 3)))),
        ),
        (
            "3-5 décembre",
            Some((date(2026, 12, 3), Some(date(2026, 12, 6)))),
        ),
        (
            "3 – 5 déc.",
            Some((date(2026, 12, 3), Some(date(2026, 12, 6)))),
        ),
        ("jusqu'au 5 décembre", Some((date(2026, 12, 5), None))),
        ("5 et 6 décembre", Some((date(2026, 12, 5), None))),
        // Times.
        (
            "5 décembre de 19 h à 21 h",
            Some((at(2026, 12, 5, 19, 0), Some(at(2026, 12, 5, 21, 0)))),
        ),
        (
            "5 décembre 2026, 19h-21h",
            Some((at(2026, 12, 5, 19, 0), Some(at(2026, 12, 5, 21, 0)))),
        ),
        (
            "5 décembre, 22 h à 2 h",
            Some((at(2026, 12, 5, 22, 0), Some(at(2026, 12, 6, 2, 0)))),
        ),
        (
            "du 3 au 5 décembre, de 19 h à 21 h",
            Some((at(2026, 12, 3, 19, 0), Some(at(2026, 12, 5, 21, 0)))),
        ),
        (
            "le 5 décembre dès 19 h 30",
            Some((at(2026, 12, 5, 19, 30), None)),
        ),
        // English.
        (
            "December 5, 2026 at 8 PM",
            Some((at(2026, 12, 5, 20, 0), None)),
        ),
        ("Dec 5, 2026 8:30pm", Some((at(2026, 12, 5, 20, 30), None))),
        (
            "Saturday, December 5 at 8pm",
            Some((at(2026, 12, 5, 20, 0), None)),
        ),
        ("5 December 2026", Some((date(2026, 12, 5), None))),
        (
            "December 5th, 2026 at 7:30 p.m.",
            Some((at(2026, 12, 5, 19, 30), None)),
        ),
        (
            "Dec 5, 2026, 8 PM - 10 PM",
            Some((at(2026, 12, 5, 20, 0), Some(at(2026, 12, 5, 22, 0)))),
        ),
        (
            "Dec 5, 8 - 10 pm",
            Some((at(2026, 12, 5, 20, 0), Some(at(2026, 12, 5, 22, 0)))),
        ),
        (
            "December 3-5, 2026",
            Some((date(2026, 12, 3), Some(date(2026, 12, 6)))),
        ),
        ("Sept 12", Some((date(2027, 9, 12), None))),
        (
            "Sep. 12, 2027 at noon",
            Some((at(2027, 9, 12, 12, 0), None)),
        ),
        ("12 sept. 2027", Some((date(2027, 9, 12), None))),
        ("mar. 8 déc. 2026", Some((date(2026, 12, 8), None))),
        ("Mar 8, 2027", Some((date(2027, 3, 8), None))),
        // Abbreviations.
        ("3 févr. 2027", Some((date(2027, 2, 3), None))),
        ("3 fév 2027", Some((date(2027, 2, 3), None))),
        ("14 juil. 2027", Some((date(2027, 7, 14), None))),
        ("14 janv 2027", Some((date(2027, 1, 14), None))),
        ("14 avr 2027", Some((date(2027, 4, 14), None))),
        ("15 août 2027", Some((date(2027, 8, 15), None))),
        // Numeric.
        ("2026-12-05 20:00", Some((at(2026, 12, 5, 20, 0), None))),
        ("2026-12-05T20:00:00", Some((at(2026, 12, 5, 20, 0), None))),
        ("2026-12-05", Some((date(2026, 12, 5), None))),
        ("05/12/2026", Some((date(2026, 12, 5), None))),
        ("12/25/2026", Some((date(2026, 12, 25), None))),
        ("05/12/26 à 20 h", Some((at(2026, 12, 5, 20, 0), None))),
        // No date.
        ("Concert bénéfice", None),
        ("Ouvert à tous", None),
        ("Billets: 25 $", None),
        ("2 pour 1", None),
        ("Salle 2026", None),
        ("Info : 450 662-4440", None),
        ("450-662-4440", None),
        ("20 h", None),
        ("31 février 2027", None),
        ("", None),
        ("Décembre 2026", None),
    ];
    let mut failures = Vec::new();
    for (text, want) in &cases {
        let got = find_date(text, reference()).map(|f| (f.start, f.end));
        if &got != want {
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
    assert_eq!(
        got,
        Some(FoundDate {
            start: at(2026, 12, 4, 19, 30),
            end: None
        })
    );
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
    assert_eq!(
        find_date("29 février", reference()),
        Some(FoundDate {
            start: date(2028, 2, 29),
            end: None
        })
    );
}

#[test]
fn parse_with_format_table() {
    let cases: Vec<(&str, &str, Option<TimeValue>)> = vec![
        (
            "5 décembre 2026 20 h 30",
            "%d %B %Y %H h %M",
            Some(at(2026, 12, 5, 20, 30)),
        ),
        (
            "05 DECEMBRE 2026 20h30",
            "%d %B %Y %H h %M",
            Some(at(2026, 12, 5, 20, 30)),
        ),
        (
            "Samedi 5 déc. 2026 à 20 h 00",
            "%A %d %b %Y à %H h %M",
            Some(at(2026, 12, 5, 20, 0)),
        ),
        (
            "samedi 5 dec 2026 a 20h00",
            "%A %d %b %Y à %H h %M",
            Some(at(2026, 12, 5, 20, 0)),
        ),
        (
            "December 5, 2026 8:30 PM",
            "%B %d, %Y %I:%M %p",
            Some(at(2026, 12, 5, 20, 30)),
        ),
        (
            "Dec 5, 2026 8:30 p.m.",
            "%b %e, %Y %I:%M %p",
            Some(at(2026, 12, 5, 20, 30)),
        ),
        ("Sat, Dec 5 2026", "%a, %b %d %Y", Some(date(2026, 12, 5))),
        ("2026-12-05", "%Y-%m-%d", Some(date(2026, 12, 5))),
        ("2026-12-05 20:00:00", "%F %T", Some(at(2026, 12, 5, 20, 0))),
        ("5/12/26", "%d/%m/%y", Some(date(2026, 12, 5))),
        (
            "5.12.2026 - 20:00",
            "%d.%m.%Y - %H:%M",
            Some(at(2026, 12, 5, 20, 0)),
        ),
        ("1er janvier 2027", "%der %B %Y", Some(date(2027, 1, 1))),
        (
            "5 décembre 2026 — complet",
            "%d %B %Y",
            Some(date(2026, 12, 5)),
        ),
        (
            "2026-12-05T20:00-05:00",
            "%Y-%m-%dT%H:%M%z",
            chrono::DateTime::parse_from_rfc3339("2026-12-05T20:00:00-05:00")
                .ok()
                .map(|at| TimeValue::Offset { at }),
        ),
        (
            "12 h 00, 5 février 2027",
            "%H h %M, %d %B %Y",
            Some(at(2027, 2, 5, 12, 0)),
        ),
        ("5 février", "%d %B", None),
        ("31 février 2027", "%d %B %Y", None),
        ("5 brumaire 2026", "%d %B %Y", None),
        ("5 décembre 2026", "%d %B %Y %H h", None),
        ("5 décembre 20261", "%d %B %Y", None),
        ("25 h 00, 5 février 2027", "%H h %M, %d %B %Y", None),
        ("5 décembre 2026", "%d %B %Q", None),
        ("", "%d %B %Y", None),
    ];
    let mut failures = Vec::new();
    for (text, format, want) in &cases {
        let got = parse_with_format(text, format);
        if &got != want {
            failures.push(format!("{text:?} / {format:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn parse_with_format_on_infers_the_year() {
    assert_eq!(
        parse_with_format_on("5 décembre", "%d %B", reference()),
        Some(date(2026, 12, 5))
    );
    assert_eq!(
        parse_with_format_on("3 janvier à 20 h", "%d %B à %H h", reference()),
        Some(at(2027, 1, 3, 20, 0))
    );
    assert_eq!(
        parse_with_format_on("5 décembre 2030", "%d %B %Y", reference()),
        Some(date(2030, 12, 5))
    );
}

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
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
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
