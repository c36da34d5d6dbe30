//! ISO 8601 dates, times, offsets and durations, as schema.org, microformats,
//! the RSS event module, xCal and WordPress write them.
//!
//! [`parse_iso`] keeps what the source said:
//! * `2026-12-05`, `20261205` → `Date`;
//! * `...Z` → `Utc`; `...-05:00`, `-0500`, `+05`, `-5`, `+5:30` → `Offset`;
//! * `...[America/Toronto]` → `Zoned` (the bracketed zone wins over an
//!   offset);
//! * no zone → `Floating`.
//!
//! The date is extended (`2026-12-05`) or basic (`20261205`); a `T` or a
//! space separates it from the time; the time is `20:00`, `20:00:00`,
//! `20:00:00.000`, `200000`, `2000` or an hour alone (`20`). RFC 2822
//! (`Sat, 05 Dec 2026 20:00:00 -0500`) is read as a last resort.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use model::TimeValue;

/// An ISO 8601 / RFC 3339 date or date-time (see the module doc).
pub fn parse_iso(s: &str) -> Option<TimeValue> {
    let s = s.trim();
    iso(s).or_else(|| {
        DateTime::parse_from_rfc2822(s)
            .ok()
            .map(|at| TimeValue::Offset { at })
    })
}

fn iso(s: &str) -> Option<TimeValue> {
    let (s, bracket_zone) = match s.find('[') {
        Some(i) => {
            let zone = s[i + 1..].trim_end_matches(']').trim();
            (s[..i].trim(), (!zone.is_empty()).then_some(zone))
        }
        None => (s, None),
    };
    let (date_part, time_and_zone) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let date = ["%Y-%m-%d", "%Y%m%d"]
        .iter()
        .find_map(|fmt| NaiveDate::parse_from_str(date_part, fmt).ok())?;
    let Some(time_and_zone) = time_and_zone else {
        return Some(TimeValue::Date { date });
    };
    let (time_str, zone) = split_zone(time_and_zone);
    let local = date.and_time(parse_time(time_str)?);
    if let Some(tzid) = bracket_zone {
        return Some(TimeValue::Zoned {
            local,
            tzid: tzid.to_string(),
        });
    }
    match zone {
        Zone::None => Some(TimeValue::Floating { local }),
        Zone::Utc => Some(TimeValue::Utc {
            at: local.and_utc(),
        }),
        Zone::Offset(secs) => offset_value(local, secs),
    }
}

/// A local time with a fixed offset in seconds east of UTC.
pub fn offset_value(local: NaiveDateTime, secs: i32) -> Option<TimeValue> {
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
pub fn parse_offset(s: &str) -> Option<i32> {
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

/// `20:00`, `20:00:00`, `20:00:00.000`, `2000`, `200000`, `20`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
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
pub fn parse_duration(s: &str) -> Option<i64> {
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
    use serde_json::json;

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
    fn parse_iso_covers_the_usual_writings() {
        let cases = [
            (
                "2026-12-05T20:00:00-05:00",
                json!({"type": "offset", "at": "2026-12-05T20:00:00-05:00"}),
            ),
            (
                "2026-12-05T20:00-0500",
                json!({"type": "offset", "at": "2026-12-05T20:00:00-05:00"}),
            ),
            (
                "2026-12-05T20:00:00Z",
                json!({"type": "utc", "at": "2026-12-05T20:00:00Z"}),
            ),
            (
                "20261205T200000Z",
                json!({"type": "utc", "at": "2026-12-05T20:00:00Z"}),
            ),
            (
                "2026-12-05T20:00:00",
                json!({"type": "floating", "local": "2026-12-05T20:00:00"}),
            ),
            (
                "2026-12-05 20:00",
                json!({"type": "floating", "local": "2026-12-05T20:00:00"}),
            ),
            (
                "20261205T200000",
                json!({"type": "floating", "local": "2026-12-05T20:00:00"}),
            ),
            ("2026-12-05", json!({"type": "date", "date": "2026-12-05"})),
            ("20261205", json!({"type": "date", "date": "2026-12-05"})),
            (
                "Sat, 05 Dec 2026 20:00:00 -0500",
                json!({"type": "offset", "at": "2026-12-05T20:00:00-05:00"}),
            ),
        ];
        for (text, want) in cases {
            let got = parse_iso(text).and_then(|t| serde_json::to_value(t).ok());
            assert_eq!(got, Some(want), "{text}");
        }
        assert_eq!(parse_iso("bientôt"), None);
        assert_eq!(parse_iso("2026-13-45"), None);
    }

    /// What only one of the two former parsers read, the other now reads.
    #[test]
    fn the_union_of_both_former_parsers() {
        let got = |s| parse_iso(s).and_then(|t| serde_json::to_value(t).ok());
        let offset = json!({"type": "offset", "at": "2026-12-05T20:00:00-05:00"});
        assert_eq!(got("20261205T200000-0500"), Some(offset.clone()));
        assert_eq!(got("2026-12-05 20:00:00 -05:00"), Some(offset.clone()));
        assert_eq!(got("2026-12-05t20:00-5"), Some(offset));
        assert_eq!(
            got("20261205T2000z"),
            Some(json!({"type": "utc", "at": "2026-12-05T20:00:00Z"}))
        );
        assert_eq!(
            got("2026-12-05T20"),
            Some(json!({"type": "floating", "local": "2026-12-05T20:00:00"}))
        );
        assert_eq!(
            got("  2026-12-05T20:00:00.250  "),
            Some(json!({"type": "floating", "local": "2026-12-05T20:00:00.250"}))
        );
        assert_eq!(
            got("20261205T200000[Europe/Paris]"),
            Some(json!({"type": "zoned", "local": "2026-12-05T20:00:00", "tzid": "Europe/Paris"}))
        );
        assert_eq!(parse_iso(""), None);
        assert_eq!(parse_iso("T20:00"), None);
        assert_eq!(parse_iso("2026-12-05T"), None);
        assert_eq!(parse_iso("2026-12-05T20:00+99:00"), None);
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

    #[test]
    fn times() {
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s);
        assert_eq!(parse_time("20:00"), t(20, 0, 0));
        assert_eq!(parse_time(" 20:00:30 "), t(20, 0, 30));
        assert_eq!(parse_time("2030"), t(20, 30, 0));
        assert_eq!(parse_time("203015"), t(20, 30, 15));
        assert_eq!(parse_time("9"), t(9, 0, 0));
        assert_eq!(parse_time("24"), None);
        assert_eq!(parse_time("20h"), None);
    }
}
