//! iCalendar property values: TEXT escapes and lists, DATE and DATE-TIME,
//! DURATION, UTC-OFFSET and GEO. Every function is total: bad input gives
//! `None` or an error message, never a panic.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use model::{GeoPoint, TimeValue};

/// Undo TEXT escapes: `\n` and `\N` become a newline; `\,` `\;` `\\` (and
/// the common but invalid `\:` and `\"`) their character. Any other
/// backslash is kept as written. Borrows when there is nothing to undo.
pub(crate) fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(e @ (',' | ';' | '\\' | ':' | '"')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Split a TEXT list on its unescaped commas (the parts stay escaped).
pub(crate) fn split_list(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let bytes = current.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => i += 2,
                b',' => {
                    rest = current.get(i + 1..);
                    return current.get(..i);
                }
                _ => i += 1,
            }
        }
        rest = None;
        Some(current)
    })
}

/// Parse a DATE or DATE-TIME value as written.
///
/// `YYYYMMDD` (or any value under `VALUE=DATE`) is a date; a trailing `Z` is
/// UTC; otherwise a TZID makes it zoned and its absence floating. Lenient
/// where unambiguous: seconds may be missing (`T2000`), the `T` may be
/// missing or a space, and ISO punctuation (`2026-12-05T20:00:00`) is
/// accepted.
pub(crate) fn parse_time(
    value: &str,
    tzid: Option<&str>,
    date_only: bool,
) -> Result<TimeValue, String> {
    let trimmed = value.trim();
    let compact: Cow<'_, str> = if trimmed.contains(['-', ':']) {
        Cow::Owned(trimmed.chars().filter(|c| *c != '-' && *c != ':').collect())
    } else {
        Cow::Borrowed(trimmed)
    };
    let bytes = compact.as_bytes();
    let bad = || format!("{trimmed:?} is not a date or date-time");
    let date = bytes.get(..8).and_then(digits_date).ok_or_else(bad)?;
    let rest = bytes.get(8..).unwrap_or_default();
    if rest.is_empty() || date_only {
        return Ok(TimeValue::Date { date });
    }
    let rest = match rest.first() {
        Some(b'T' | b't' | b' ') => rest.get(1..).unwrap_or_default(),
        _ => rest,
    };
    let (rest, utc) = match rest.last() {
        Some(b'Z' | b'z') => (rest.get(..rest.len() - 1).unwrap_or_default(), true),
        _ => (rest, false),
    };
    // Fractional seconds (`200000.000`) carry nothing iCalendar can use.
    let rest = match rest.iter().position(|&b| b == b'.') {
        Some(dot)
            if rest
                .get(dot + 1..)
                .is_some_and(|f| f.iter().all(u8::is_ascii_digit)) =>
        {
            rest.get(..dot).unwrap_or_default()
        }
        _ => rest,
    };
    let (h, m, s) = match rest.len() {
        6 => (num(rest, 0, 2), num(rest, 2, 4), num(rest, 4, 6)),
        4 => (num(rest, 0, 2), num(rest, 2, 4), Some(0)),
        _ => return Err(bad()),
    };
    let time = match (h, m, s) {
        (Some(h), Some(m), Some(s)) => NaiveTime::from_hms_opt(h, m, s.min(59)),
        _ => None,
    }
    .ok_or_else(bad)?;
    let local = NaiveDateTime::new(date, time);
    if utc {
        return Ok(TimeValue::Utc {
            at: Utc.from_utc_datetime(&local),
        });
    }
    match tzid.map(str::trim).filter(|t| !t.is_empty()) {
        Some(tzid) => Ok(TimeValue::Zoned {
            local,
            tzid: tzid.to_string(),
        }),
        None => Ok(TimeValue::Floating { local }),
    }
}

fn num(bytes: &[u8], from: usize, to: usize) -> Option<u32> {
    let part = bytes.get(from..to)?;
    if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        part.iter()
            .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')),
    )
}

fn digits_date(bytes: &[u8]) -> Option<NaiveDate> {
    let y = num(bytes, 0, 4)?;
    let m = num(bytes, 4, 6)?;
    let d = num(bytes, 6, 8)?;
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// A DURATION in seconds (`P1W`, `PT1H30M`, `-P1D`, `P1DT2H`). Weeks and
/// days are 7 and 1 nominal days. Months and years do not exist in
/// iCalendar durations and are refused.
pub(crate) fn parse_duration(value: &str) -> Option<i64> {
    let v = value.trim().as_bytes();
    let (negative, v) = match v.first() {
        Some(b'-') => (true, v.get(1..)?),
        Some(b'+') => (false, v.get(1..)?),
        _ => (false, v),
    };
    let mut v = match v.first() {
        Some(b'P' | b'p') => v.get(1..)?,
        _ => return None,
    };
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut any = false;
    while let Some(&first) = v.first() {
        if first == b'T' || first == b't' {
            in_time = true;
            v = v.get(1..)?;
            continue;
        }
        let len = v.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return None;
        }
        let n = i64::from(num(v, 0, len)?);
        let unit = match v.get(len)?.to_ascii_uppercase() {
            b'W' if !in_time => 604_800,
            b'D' if !in_time => 86_400,
            b'H' => 3_600,
            b'M' if in_time => 60,
            b'S' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
        v = v.get(len + 1..)?;
    }
    if !any {
        return None;
    }
    Some(if negative { -total } else { total })
}

/// A UTC-OFFSET (`-0500`, `+0530`, `-045612`; `-05:00` tolerated) in
/// seconds east of UTC.
pub(crate) fn parse_utc_offset(value: &str) -> Option<i32> {
    let v = value.trim();
    let (sign, digits) = match v.as_bytes().first()? {
        b'-' => (-1, v.get(1..)?),
        b'+' => (1, v.get(1..)?),
        _ => (1, v),
    };
    let compact: String = digits.chars().filter(|c| *c != ':').collect();
    let b = compact.as_bytes();
    let (h, m, s) = match b.len() {
        4 => (num(b, 0, 2)?, num(b, 2, 4)?, 0),
        6 => (num(b, 0, 2)?, num(b, 2, 4)?, num(b, 4, 6)?),
        2 => (num(b, 0, 2)?, 0, 0),
        _ => return None,
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let secs = i32::try_from(h * 3600 + m * 60 + s).ok()?;
    Some(sign * secs)
}

/// A GEO value, `lat;lon` (RFC 5545) or `lat,lon` (seen in the wild).
pub(crate) fn parse_geo(value: &str) -> Option<GeoPoint> {
    let v = value.trim();
    let (lat, lon) = v
        .split_once(';')
        .or_else(|| v.split_once("\\,"))
        .or_else(|| v.split_once(','))?;
    GeoPoint::new(lat.trim().parse().ok()?, lon.trim().parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn unescapes_text() {
        assert_eq!(unescape("plain"), "plain");
        assert!(matches!(unescape("plain"), Cow::Borrowed(_)));
        assert_eq!(
            unescape(r"Salle 2\, étage\; entrée\nLigne\NFin \\ ok"),
            "Salle 2, étage; entrée\nLigne\nFin \\ ok"
        );
        assert_eq!(unescape(r"a\:b \x end\"), "a:b \\x end\\");
    }

    #[test]
    fn splits_lists_on_unescaped_commas() {
        let parts: Vec<_> = split_list(r"Théâtre,Arts\, culture,,Famille").collect();
        assert_eq!(parts, vec!["Théâtre", r"Arts\, culture", "", "Famille"]);
        assert_eq!(split_list("one").collect::<Vec<_>>(), vec!["one"]);
        assert_eq!(split_list(r"end\").collect::<Vec<_>>(), vec![r"end\"]);
        assert_eq!(split_list("a,").collect::<Vec<_>>(), vec!["a", ""]);
    }

    #[test]
    fn parses_dates_and_date_times() {
        assert_eq!(
            parse_time("20261205", None, false),
            Ok(TimeValue::Date {
                date: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
            })
        );
        assert_eq!(
            parse_time("20261205T200000", Some("Eastern Standard Time"), true),
            Ok(TimeValue::Date {
                date: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
            })
        );
        assert_eq!(
            parse_time("20261205T010000Z", Some("America/Toronto"), false),
            Ok(TimeValue::Utc {
                at: Utc.from_utc_datetime(&dt("2026-12-05 01:00:00"))
            })
        );
        assert_eq!(
            parse_time(" 20261205T200000 ", Some(" America/Toronto "), false),
            Ok(TimeValue::Zoned {
                local: dt("2026-12-05 20:00:00"),
                tzid: "America/Toronto".into()
            })
        );
        assert_eq!(
            parse_time("20261205T200000", Some(""), false),
            Ok(TimeValue::Floating {
                local: dt("2026-12-05 20:00:00")
            })
        );
    }

    #[test]
    fn lenient_date_time_shapes() {
        let floating = Ok(TimeValue::Floating {
            local: dt("2026-12-05 20:30:00"),
        });
        assert_eq!(parse_time("20261205T2030", None, false), floating);
        assert_eq!(parse_time("20261205203000", None, false), floating);
        assert_eq!(parse_time("2026-12-05T20:30:00", None, false), floating);
        assert_eq!(parse_time("2026-12-05 20:30", None, false), floating);
        assert_eq!(parse_time("20261205t203000.000", None, false), floating);
        assert!(matches!(
            parse_time("20261205T203000z", None, false),
            Ok(TimeValue::Utc { .. })
        ));
    }

    #[test]
    fn refuses_garbage_dates() {
        for bad in [
            "",
            "2026",
            "hier soir",
            "20261305",
            "20260230",
            "20261205T25",
            "20261205T250000",
            "20261205T2000001",
            "20261205X200000",
            "２０２６１２０５",
            "20261205T20é000",
        ] {
            assert!(parse_time(bad, None, false).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("P1W"), Some(604_800));
        assert_eq!(parse_duration("P2DT3H"), Some(2 * 86_400 + 3 * 3600));
        assert_eq!(parse_duration("+PT45S"), Some(45));
        assert_eq!(parse_duration("-PT15M"), Some(-900));
        assert_eq!(parse_duration("P1W2D"), Some(9 * 86_400));
        assert_eq!(parse_duration("pt2h"), Some(7200));
        for bad in [
            "",
            "P",
            "PT",
            "1H",
            "P1M",
            "PT1X",
            "P99999999999999W",
            "PTH",
            "P1",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parses_utc_offsets() {
        assert_eq!(parse_utc_offset("-0500"), Some(-18_000));
        assert_eq!(parse_utc_offset("+0530"), Some(19_800));
        assert_eq!(
            parse_utc_offset("-045612"),
            Some(-(4 * 3600 + 56 * 60 + 12))
        );
        assert_eq!(parse_utc_offset("-04:00"), Some(-14_400));
        assert_eq!(parse_utc_offset("0000"), Some(0));
        assert_eq!(parse_utc_offset("-2500"), None);
        assert_eq!(parse_utc_offset("EST"), None);
        assert_eq!(parse_utc_offset(""), None);
    }

    #[test]
    fn parses_geo() {
        assert_eq!(
            parse_geo("45.5569;-73.7218"),
            GeoPoint::new(45.5569, -73.7218)
        );
        assert_eq!(
            parse_geo("45.5569,-73.7218"),
            GeoPoint::new(45.5569, -73.7218)
        );
        assert_eq!(parse_geo(r" 45.5 \, -73.7 "), GeoPoint::new(45.5, -73.7));
        assert_eq!(parse_geo("95;10"), None);
        assert_eq!(parse_geo("NaN;10"), None);
        assert_eq!(parse_geo("Laval"), None);
        assert_eq!(parse_geo("45.5"), None);
    }
}
