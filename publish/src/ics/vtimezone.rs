//! VTIMEZONE components generated from chrono-tz.
//!
//! The UTC-offset transitions of a zone over a range of years are found by
//! sampling the offset once a week and bisecting between two samples that
//! differ, down to the second. When, in every year of the range, the zone
//! has exactly one "to daylight" and one "to standard" transition, each on
//! the n-th (or last) weekday of a fixed month at a fixed local time, the
//! zone is written in the compact RRULE form that Outlook prefers
//! (`RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU`); otherwise every transition is
//! written as its own observance, after one that gives the offset in force
//! at the start of the range. A zone with no transition at all gets one
//! STANDARD observance.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// The offset of `tz` at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    /// Seconds east of UTC.
    offset: i32,
    dst: bool,
    name: String,
}

fn state_at(tz: Tz, at: DateTime<Utc>) -> State {
    let off = tz.offset_from_utc_datetime(&at.naive_utc());
    State {
        offset: off.fix().local_minus_utc(),
        dst: !off.dst_offset().is_zero(),
        name: off
            .abbreviation()
            .map(str::to_string)
            .unwrap_or_else(|| format_offset(off.fix().local_minus_utc())),
    }
}

/// One change of offset (or of name).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Transition {
    /// The instant of the change.
    at: DateTime<Utc>,
    from: State,
    to: State,
}

impl Transition {
    /// The local time of the onset, on the clock in force before it.
    fn local_onset(&self) -> NaiveDateTime {
        self.at.naive_utc() + Duration::seconds(i64::from(self.from.offset))
    }
}

fn at_secs(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn year_start(year: i32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

/// Every transition of `tz` from January 1st of `first_year` to January 1st
/// of `last_year + 1`.
fn transitions(tz: Tz, first_year: i32, last_year: i32) -> Vec<Transition> {
    let start = year_start(first_year);
    let end = year_start(last_year.saturating_add(1));
    let step = Duration::days(7);
    let mut out = Vec::new();
    let mut t0 = start;
    let mut s0 = state_at(tz, t0);
    while t0 < end {
        let t1 = (t0 + step).min(end);
        let s1 = state_at(tz, t1);
        if s1 != s0 {
            // Bisect on whole seconds: state(lo) == s0, state(hi) != s0.
            let (mut lo, mut hi) = (t0.timestamp(), t1.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if state_at(tz, at_secs(mid)) == s0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = at_secs(hi);
            let to = state_at(tz, hi);
            out.push(Transition {
                at: hi,
                from: s0,
                to: to.clone(),
            });
            // Another change inside the same week is picked up from `hi` on.
            t0 = hi;
            s0 = to;
            continue;
        }
        t0 = t1;
        s0 = s1;
    }
    out
}

/// `+0100`, `-0430`, `+053328` (seconds only when needed).
pub(crate) fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, (a / 60) % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|n| n.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// The yearly rule a set of transitions (one per year, consecutive years)
/// follows, as `BYMONTH=..;BYDAY=..`, if any.
fn yearly_rule(group: &[&Transition]) -> Option<String> {
    let first = group.first()?;
    let onset = first.local_onset();
    let (month, weekday, time) = (onset.month(), onset.weekday(), onset.time());
    let nth = |d: NaiveDateTime| (d.day() - 1) / 7 + 1;
    let is_last = |d: NaiveDateTime| d.day() + 7 > days_in_month(d.year(), d.month());
    let same_shape = group.iter().zip(group.iter().skip(1)).all(|(a, b)| {
        b.local_onset().year() == a.local_onset().year() + 1
            && a.from.offset == b.from.offset
            && a.to == b.to
    }) && group.iter().all(|t| {
        let d = t.local_onset();
        d.month() == month && d.weekday() == weekday && d.time() == time
    });
    if !same_shape {
        return None;
    }
    let n = nth(onset);
    if group.iter().all(|t| nth(t.local_onset()) == n) && n <= 4 {
        return Some(format!(
            "BYMONTH={month};BYDAY={n}{}",
            weekday_code(weekday)
        ));
    }
    if group.iter().all(|t| is_last(t.local_onset())) {
        return Some(format!("BYMONTH={month};BYDAY=-1{}", weekday_code(weekday)));
    }
    None
}

fn observance(
    out: &mut Vec<String>,
    dst: bool,
    onset: NaiveDateTime,
    from: i32,
    to: i32,
    name: &str,
    rrule: Option<&str>,
) {
    let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
    out.push(format!("BEGIN:{kind}"));
    out.push(format!("DTSTART:{}", onset.format("%Y%m%dT%H%M%S")));
    if let Some(rule) = rrule {
        out.push(format!("RRULE:FREQ=YEARLY;{rule}"));
    }
    out.push(format!("TZOFFSETFROM:{}", format_offset(from)));
    out.push(format!("TZOFFSETTO:{}", format_offset(to)));
    out.push(format!("TZNAME:{}", super::escape_text(name)));
    out.push(format!("END:{kind}"));
}

/// The unfolded content lines of a VTIMEZONE for `tz` covering every
/// instant from January 1st of `first_year` to the end of `last_year`.
pub(crate) fn vtimezone_lines(tz: Tz, first_year: i32, last_year: i32) -> Vec<String> {
    let first_year = first_year.clamp(1900, 2200);
    let last_year = last_year.clamp(first_year, 2200);
    let mut out = vec![
        "BEGIN:VTIMEZONE".to_string(),
        format!("TZID:{}", tz.name()),
        format!("X-LIC-LOCATION:{}", tz.name()),
    ];
    let all = transitions(tz, first_year, last_year);
    let start_state = state_at(tz, year_start(first_year));
    if all.is_empty() {
        observance(
            &mut out,
            false,
            NaiveDate::from_ymd_opt(1970, 1, 1)
                .unwrap_or(NaiveDate::MIN)
                .and_time(chrono::NaiveTime::MIN),
            start_state.offset,
            start_state.offset,
            &start_state.name,
            None,
        );
        out.push("END:VTIMEZONE".to_string());
        return out;
    }

    // The compact form: one rule to daylight time, one to standard time,
    // each applying every year of the range.
    let to_dst: Vec<&Transition> = all.iter().filter(|t| t.to.dst).collect();
    let to_std: Vec<&Transition> = all.iter().filter(|t| !t.to.dst).collect();
    let years = (last_year - first_year + 1) as usize;
    if to_dst.len() == years && to_std.len() == years {
        if let (Some(dst_rule), Some(std_rule)) = (yearly_rule(&to_dst), yearly_rule(&to_std)) {
            for (group, rule) in [(&to_dst, dst_rule), (&to_std, std_rule)] {
                if let Some(t) = group.first() {
                    observance(
                        &mut out,
                        t.to.dst,
                        t.local_onset(),
                        t.from.offset,
                        t.to.offset,
                        &t.to.name,
                        Some(&rule),
                    );
                }
            }
            out.push("END:VTIMEZONE".to_string());
            return out;
        }
    }

    // Explicit observances, after the state in force at the start.
    let start_local =
        year_start(first_year).naive_utc() + Duration::seconds(i64::from(start_state.offset));
    observance(
        &mut out,
        start_state.dst,
        start_local,
        start_state.offset,
        start_state.offset,
        &start_state.name,
        None,
    );
    for t in &all {
        observance(
            &mut out,
            t.to.dst,
            t.local_onset(),
            t.from.offset,
            t.to.offset,
            &t.to.name,
            None,
        );
    }
    out.push("END:VTIMEZONE".to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(tz: Tz, a: i32, b: i32) -> String {
        vtimezone_lines(tz, a, b).join("\n")
    }

    #[test]
    fn toronto_uses_the_rrule_form() {
        let got = joined(chrono_tz::America::Toronto, 2025, 2027);
        let want = "BEGIN:VTIMEZONE
TZID:America/Toronto
X-LIC-LOCATION:America/Toronto
BEGIN:DAYLIGHT
DTSTART:20250309T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20251102T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
END:STANDARD
END:VTIMEZONE";
        assert_eq!(got, want);
    }

    #[test]
    fn paris_uses_last_sunday_rules() {
        let got = joined(chrono_tz::Europe::Paris, 2025, 2027);
        assert!(got.contains(
            "BEGIN:DAYLIGHT\nDTSTART:20250330T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\nEND:DAYLIGHT"
        ), "{got}");
        assert!(got.contains(
            "BEGIN:STANDARD\nDTSTART:20251026T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET\nEND:STANDARD"
        ), "{got}");
    }

    #[test]
    fn regina_has_one_standard_observance() {
        let got = joined(chrono_tz::America::Regina, 2025, 2027);
        let want = "BEGIN:VTIMEZONE
TZID:America/Regina
X-LIC-LOCATION:America/Regina
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:-0600
TZOFFSETTO:-0600
TZNAME:CST
END:STANDARD
END:VTIMEZONE";
        assert_eq!(got, want);
    }

    #[test]
    fn a_change_of_rules_gives_explicit_observances() {
        // The United States moved their DST dates in 2007.
        let got = joined(chrono_tz::America::Toronto, 2006, 2007);
        assert!(!got.contains("RRULE"), "{got}");
        for onset in [
            "DTSTART:20051231T190000",
            "DTSTART:20060402T020000",
            "DTSTART:20061029T020000",
            "DTSTART:20070311T020000",
            "DTSTART:20071104T020000",
        ] {
            assert!(got.contains(onset), "{onset} in {got}");
        }
        assert_eq!(got.matches("BEGIN:DAYLIGHT").count(), 2);
        assert_eq!(got.matches("BEGIN:STANDARD").count(), 3);
    }

    #[test]
    fn southern_hemisphere_and_half_hours() {
        // Adelaide: +1030 in January (daylight), +0930 in winter.
        let got = joined(chrono_tz::Australia::Adelaide, 2025, 2027);
        assert!(
            got.contains("TZOFFSETFROM:+1030\nTZOFFSETTO:+0930"),
            "{got}"
        );
        assert!(got.contains("BYMONTH=4;BYDAY=1SU"), "{got}");
        assert!(got.contains("BYMONTH=10;BYDAY=1SU"), "{got}");
    }

    #[test]
    fn offsets_format() {
        assert_eq!(format_offset(-18000), "-0500");
        assert_eq!(format_offset(0), "+0000");
        assert_eq!(format_offset(19800), "+0530");
        assert_eq!(format_offset(-12600), "-0330");
        assert_eq!(format_offset(561), "+000921");
    }
}
