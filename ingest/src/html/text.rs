//! Small text helpers shared by the HTML and WordPress parsers: HTML entity
//! decoding, whitespace folding, ISO 8601 dates and durations.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use model::TimeValue;

/// Fold every run of whitespace (U+00A0 included) into one space and trim.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{200b}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Decode and fold: what a title or a place name should look like.
pub(crate) fn clean_text(s: &str) -> String {
    collapse_ws(&decode_entities(s))
}

/// The Latin-1 entities, U+00A0 to U+00FF, in code point order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// Other named entities met in event pages.
const OTHER: [(&str, char); 33] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("dagger", '†'),
    ("bull", '•'),
    ("hellip", '…'),
    ("permil", '‰'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("euro", '€'),
    ("trade", '™'),
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1.iter().position(|n| *n == name) {
        return char::from_u32(0xa0 + i as u32);
    }
    OTHER.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Decode HTML character references (`&eacute;`, `&#8211;`, `&#x2013;`).
/// Unknown or malformed references are kept as written.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // A reference is at most 32 characters up to its ';'.
        let semi = after
            .char_indices()
            .take(33)
            .find(|(_, c)| *c == ';' || *c == '&' || c.is_whitespace())
            .filter(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|semi| {
            let name = &after[..semi];
            let c = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                };
                code.map(|c| match c {
                    // Windows-1252 punctuation written as numeric references.
                    0x91 => '‘',
                    0x92 => '’',
                    0x93 => '“',
                    0x94 => '”',
                    0x96 => '–',
                    0x97 => '—',
                    0 => '\u{fffd}',
                    _ => char::from_u32(c).unwrap_or('\u{fffd}'),
                })
            } else {
                named_entity(name)
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An ISO 8601 / RFC 3339 date or date-time, as schema.org and microformats
/// write them: `2026-12-05` → Date, `...Z` → Utc, `...-05:00` → Offset,
/// `...[America/Toronto]` → Zoned, no zone → Floating. A space may separate
/// the date and the time; seconds and fractions are optional.
pub(crate) fn parse_iso(s: &str) -> Option<TimeValue> {
    let s = s.trim();
    let (s, bracket_zone) = match s.find('[') {
        Some(i) => {
            let zone = s[i + 1..].trim_end_matches(']').trim();
            (s[..i].trim(), (!zone.is_empty()).then_some(zone))
        }
        None => (s, None),
    };
    let date_part = s.get(..10)?;
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(TimeValue::Date { date });
    }
    let time_and_zone = rest.strip_prefix(['T', 't', ' '])?.trim();
    let (time_str, zone) = split_zone(time_and_zone);
    let time = parse_time(time_str)?;
    let local = date.and_time(time);
    if let Some(tzid) = bracket_zone {
        return Some(TimeValue::Zoned {
            local,
            tzid: tzid.to_string(),
        });
    }
    match zone {
        Zone::None => Some(TimeValue::Floating { local }),
        Zone::Utc => Some(TimeValue::Utc {
            at: Utc.from_utc_datetime(&local),
        }),
        Zone::Offset(secs) => offset_value(local, secs),
    }
}

/// A local time with a fixed offset in seconds east of UTC.
pub(crate) fn offset_value(local: NaiveDateTime, secs: i32) -> Option<TimeValue> {
    let off = FixedOffset::east_opt(secs)?;
    let at = off.from_local_datetime(&local).single()?;
    Some(TimeValue::Offset { at })
}

enum Zone {
    None,
    Utc,
    Offset(i32),
}

fn split_zone(s: &str) -> (&str, Zone) {
    if let Some(t) = s.strip_suffix(['Z', 'z']) {
        return (t.trim_end(), Zone::Utc);
    }
    if let Some(i) = s.rfind(['+', '-']) {
        if let Some(secs) = parse_offset(&s[i..]) {
            return (s[..i].trim_end(), Zone::Offset(secs));
        }
    }
    (s, Zone::None)
}

/// `+05:00`, `-0500`, `+05`, `-5`, `+5:30`, `+5.5` → seconds east of UTC.
pub(crate) fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, digits) = match s.chars().next()? {
        '+' => (1, &s[1..]),
        '-' | '−' => (-1, s.trim_start_matches(['-', '−'])),
        _ => return None,
    };
    if digits.is_empty()
        || digits.len() > 5
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return None;
    }
    let (h, m): (i32, i32) = if let Some((h, m)) = digits.split_once(':') {
        (h.parse().ok()?, m.parse().ok()?)
    } else if let Some((h, frac)) = digits.split_once('.') {
        let h: i32 = h.parse().ok()?;
        let frac: f64 = format!("0.{frac}").parse().ok()?;
        (h, (frac * 60.0).round() as i32)
    } else if digits.len() == 4 {
        (digits[..2].parse().ok()?, digits[2..].parse().ok()?)
    } else if digits.len() <= 2 {
        (digits.parse().ok()?, 0)
    } else {
        return None;
    };
    if !(0..=18).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// `20:00`, `20:00:00`, `20:00:00.000`, `2000`, `20`.
pub(crate) fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    for fmt in ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%H%M%S", "%H%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    if s.len() <= 2 {
        let h: u32 = s.parse().ok()?;
        return NaiveTime::from_hms_opt(h, 0, 0);
    }
    None
}

/// An ISO 8601 duration (`PT2H`, `PT1H30M`, `P1DT2H`, `P2W`) in seconds.
/// Years and months have no fixed length: None.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let body = s.strip_prefix(['P', 'p'])?;
    if body.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in body.chars() {
        match c {
            'T' | 't' => {
                if !num.is_empty() || in_time {
                    return None;
                }
                in_time = true;
            }
            '0'..='9' | '.' | ',' => num.push(if c == ',' { '.' } else { c }),
            _ => {
                let n: f64 = num.parse().ok()?;
                num.clear();
                let unit = match (in_time, c.to_ascii_uppercase()) {
                    (false, 'W') => 7.0 * 86400.0,
                    (false, 'D') => 86400.0,
                    (true, 'H') => 3600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return None,
                };
                total += n * unit;
                any = true;
            }
        }
    }
    if !num.is_empty() || !any || !total.is_finite() || total > 1e10 {
        return None;
    }
    Some(total.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_named_numeric_and_broken() {
        assert_eq!(
            decode_entities("Caf&eacute; &amp; th&#233;&acirc;tre"),
            "Café & théâtre"
        );
        assert_eq!(decode_entities("A &#8211; B &#x2019;"), "A – B ’");
        assert_eq!(
            decode_entities("Les Belles-s&oelig;urs"),
            "Les Belles-sœurs"
        );
        assert_eq!(
            decode_entities("R&D & co &unknown; &"),
            "R&D & co &unknown; &"
        );
        assert_eq!(decode_entities("&#99999999999;"), "&#99999999999;");
        assert_eq!(decode_entities("&#0;"), "\u{fffd}");
        assert_eq!(clean_text("  a&nbsp;\n b "), "a b");
    }

    #[test]
    fn iso_dates_keep_what_the_source_said() {
        let d = |s| parse_iso(s);
        assert!(matches!(d("2026-12-05"), Some(TimeValue::Date { .. })));
        assert!(matches!(
            d("2026-12-05T20:00:00Z"),
            Some(TimeValue::Utc { .. })
        ));
        assert!(matches!(
            d("2026-12-05T20:00"),
            Some(TimeValue::Floating { .. })
        ));
        assert!(matches!(
            d("2026-12-05 20:00:00.000"),
            Some(TimeValue::Floating { .. })
        ));
        match d("2026-12-05T20:00:00-05:00") {
            Some(TimeValue::Offset { at }) => assert_eq!(at.offset().local_minus_utc(), -5 * 3600),
            other => panic!("{other:?}"),
        }
        match d("2026-12-05T20:00-0330") {
            Some(TimeValue::Offset { at }) => assert_eq!(at.offset().local_minus_utc(), -12600),
            other => panic!("{other:?}"),
        }
        match d("2026-12-05T20:00:00-05:00[America/Toronto]") {
            Some(TimeValue::Zoned { tzid, .. }) => assert_eq!(tzid, "America/Toronto"),
            other => panic!("{other:?}"),
        }
        assert_eq!(d("5 décembre"), None);
        assert_eq!(d("2026-13-05"), None);
        assert_eq!(d("2026-12-05X"), None);
        assert_eq!(d("2026-12-05T25:00"), None);
        assert_eq!(d("2026-12-0é"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT2H"), Some(7200));
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("P1DT2H"), Some(93600));
        assert_eq!(parse_duration("PT90M"), Some(5400));
        assert_eq!(parse_duration("P1W"), Some(604800));
        assert_eq!(parse_duration("PT1.5H"), Some(5400));
        assert_eq!(parse_duration("P1M"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("2h"), None);
        assert_eq!(parse_duration("P99999999999999999999D"), None);
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("-5"), Some(-18000));
        assert_eq!(parse_offset("+5:30"), Some(19800));
        assert_eq!(parse_offset("+5.5"), Some(19800));
        assert_eq!(parse_offset("+0530"), Some(19800));
        assert_eq!(parse_offset("+99"), None);
        assert_eq!(parse_offset("+"), None);
    }
}
