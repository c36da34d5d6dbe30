//! Recurrence: RRULE/RDATE/EXDATE expanded to the original starts of a
//! series' instances, with the `rrule` crate.
//!
//! Expansion runs on the series' *wall clock*: the DTSTART's local time in
//! the series' zone is handed to `rrule` as if it were UTC, and each
//! resulting wall-clock time is placed in the real zone afterwards (a time in
//! a spring-forward gap moves forward, an ambiguous one takes the first
//! instant, as everywhere in [`crate::time`]). This keeps "every Tuesday at
//! 20:00" at 20:00 across DST changes, never lets `rrule` fall back to the
//! server's local zone, and lets all-day series expand in plain dates.
//!
//! Rules are cleaned first: an `RRULE:` prefix, empty and `X-` parts are
//! dropped, names and values upper-cased, and UNTIL rewritten on the same
//! wall clock (a DATE means the end of that day; a UTC time is converted to
//! the series' zone; a local time is taken as written).
//!
//! DTSTART always counts as the first instance (RFC 5545), even when the
//! rule does not produce it, except when every RRULE ends (UNTIL) before
//! DTSTART: Confluence marks a deleted series so, and dateutil (the Python
//! readers) gives it no instance. A negative COUNT (`COUNT=-1`, also
//! Confluence's) is dropped: the rule runs to its UNTIL.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use rrule::{RRule, RRuleSet, Unvalidated};

/// Stop walking a rule after this many candidate instances (a dense rule
/// that started long before the window).
pub const MAX_SCAN: usize = 500_000;
/// Never keep more than this many wall-clock instances from one expansion.
pub const MAX_COLLECT: usize = 20_000;

/// Why a rule could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("invalid RRULE {rule:?}: {reason}")]
    Invalid { rule: String, reason: String },
    #[error("invalid UNTIL {0:?}")]
    Until(String),
}

/// The instants to leave out, on the series' wall clock.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    /// Exact wall-clock starts (EXDATE with a time).
    pub at: HashSet<NaiveDateTime>,
    /// Whole days (EXDATE;VALUE=DATE, or any EXDATE of an all-day series).
    pub days: HashSet<NaiveDate>,
}

impl Exclusions {
    pub fn excludes(&self, wall: &NaiveDateTime) -> bool {
        self.at.contains(wall) || self.days.contains(&wall.date())
    }
}

/// What one expansion produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Wall-clock starts inside the requested range, sorted and unique.
    pub walls: Vec<NaiveDateTime>,
    /// True when [`MAX_SCAN`] or [`MAX_COLLECT`] stopped the walk early.
    pub truncated: bool,
}

/// Expand `rules` from `dtstart` (a wall-clock time in `zone`), add
/// `rdates`, remove `exclusions`, and keep the starts within
/// `[from, to]` (wall clock).
pub fn expand(
    rules: &[String],
    dtstart: NaiveDateTime,
    zone: Tz,
    rdates: &[NaiveDateTime],
    exclusions: &Exclusions,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Expansion, RuleError> {
    let start = rrule::Tz::UTC.from_utc_datetime(&dtstart);
    let mut set = RRuleSet::new(start).limit();
    let mut ended = 0;
    for rule in rules {
        match build_rule(rule, start, zone)? {
            Some(r) => set = set.rrule(r),
            None => ended += 1,
        }
    }
    let mut walls: Vec<NaiveDateTime> = Vec::new();
    let mut truncated = false;
    let keep = |w: &NaiveDateTime| *w >= from && *w <= to && !exclusions.excludes(w);
    // Every rule ending before it starts is how Confluence deletes a
    // series: no instance, not even DTSTART (as dateutil reads it).
    let deleted = ended > 0 && ended == rules.len();
    if keep(&dtstart) && !deleted {
        walls.push(dtstart);
    }
    if !set.get_rrule().is_empty() {
        for (scanned, dt) in (&set).into_iter().enumerate() {
            if scanned >= MAX_SCAN || walls.len() >= MAX_COLLECT {
                truncated = true;
                break;
            }
            let wall = dt.naive_utc();
            if wall > to {
                break;
            }
            if keep(&wall) {
                walls.push(wall);
            }
        }
    }
    walls.extend(rdates.iter().filter(|w| keep(w)).copied());
    walls.sort_unstable();
    walls.dedup();
    Ok(Expansion { walls, truncated })
}

/// One RRULE, cleaned and validated against `start`. `Ok(None)` when its
/// UNTIL is before the start (the rule adds nothing to DTSTART).
fn build_rule(
    rule: &str,
    start: DateTime<rrule::Tz>,
    zone: Tz,
) -> Result<Option<RRule>, RuleError> {
    let invalid = |reason: String| RuleError::Invalid {
        rule: rule.to_string(),
        reason,
    };
    let (cleaned, until) = clean_rule(rule);
    // RFC 5545 rules are ASCII; the `rrule` crate slices the parts by byte
    // and panics inside a multi-byte char (`BYDAY=TÕ`, found by fuzzing).
    if !cleaned.is_ascii() {
        return Err(invalid("it holds characters other than ASCII".to_string()));
    }
    let parsed: RRule<Unvalidated> = cleaned
        .parse()
        .map_err(|e: rrule::RRuleError| invalid(e.to_string()))?;
    let parsed = match until {
        Some(u) => {
            let wall = until_wall(&u, zone).ok_or(RuleError::Until(u))?;
            let until = rrule::Tz::UTC.from_utc_datetime(&wall);
            if until < start {
                return Ok(None);
            }
            parsed.until(until)
        }
        None => parsed,
    };
    parsed
        .validate(start)
        .map(Some)
        .map_err(|e| invalid(e.to_string()))
}

/// The rule without prefix, empty or `X-` parts, upper-cased, and its UNTIL
/// value apart.
pub fn clean_rule(rule: &str) -> (String, Option<String>) {
    let trimmed = rule.trim();
    let body = match trimmed.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("rrule:") => trimmed.get(6..).unwrap_or(""),
        _ => trimmed,
    };
    let mut parts: Vec<String> = Vec::new();
    let mut until = None;
    for part in body.split(';') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim().to_ascii_uppercase();
        if key.is_empty() || key.starts_with("X-") || value.is_empty() {
            continue;
        }
        // `COUNT=-1` (Confluence's "no count"): no limit, rather than a
        // rule refused whole.
        if key == "COUNT" && value.starts_with('-') {
            continue;
        }
        if key == "UNTIL" {
            until = Some(value);
            continue;
        }
        parts.push(format!("{key}={value}"));
    }
    (parts.join(";"), until)
}

/// An UNTIL value on the series' wall clock (see the module doc).
pub fn until_wall(value: &str, zone: Tz) -> Option<NaiveDateTime> {
    let v = value.trim();
    if v.len() == 8 {
        let date = NaiveDate::parse_from_str(v, "%Y%m%d").ok()?;
        return date.and_hms_opt(23, 59, 59);
    }
    if let Some(utc) = v.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(
            chrono::Utc
                .from_utc_datetime(&naive)
                .with_timezone(&zone)
                .naive_local(),
        );
    }
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(v.get(..8)?, "%Y%m%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    fn run(rule: &str, start: NaiveDateTime) -> Result<Expansion, RuleError> {
        expand(
            &[rule.to_string()],
            start,
            chrono_tz::America::Toronto,
            &[],
            &Exclusions::default(),
            wall(2000, 1, 1, 0, 0),
            wall(2030, 1, 1, 0, 0),
        )
    }

    #[test]
    fn cleaning_drops_prefix_x_parts_and_splits_until() {
        assert_eq!(
            clean_rule("RRULE:freq=weekly;X-NAME=foo;;byday=tu;UNTIL=20261231"),
            (
                "FREQ=WEEKLY;BYDAY=TU".to_string(),
                Some("20261231".to_string())
            )
        );
    }

    #[test]
    fn count_and_monthly_second_saturday() {
        let e = run("FREQ=WEEKLY;COUNT=3", wall(2026, 12, 1, 20, 0)).expect("ok");
        assert_eq!(
            e.walls,
            vec![
                wall(2026, 12, 1, 20, 0),
                wall(2026, 12, 8, 20, 0),
                wall(2026, 12, 15, 20, 0)
            ]
        );
        let e = run("FREQ=MONTHLY;BYDAY=2SA;COUNT=3", wall(2026, 12, 12, 10, 0)).expect("ok");
        assert_eq!(
            e.walls,
            vec![
                wall(2026, 12, 12, 10, 0),
                wall(2027, 1, 9, 10, 0),
                wall(2027, 2, 13, 10, 0)
            ]
        );
    }

    #[test]
    fn until_as_date_local_and_utc() {
        let start = wall(2026, 12, 1, 20, 0);
        for until in ["20261215", "20261215T200000", "20261216T010000Z"] {
            let e = run(&format!("FREQ=WEEKLY;UNTIL={until}"), start).expect(until);
            assert_eq!(e.walls.len(), 3, "{until}: {:?}", e.walls);
        }
        // UNTIL before DTSTART: a deleted series, no instance at all.
        let e = run("FREQ=WEEKLY;UNTIL=20200101", start).expect("ok");
        assert_eq!(e.walls, Vec::<NaiveDateTime>::new());
        assert!(matches!(
            run("FREQ=WEEKLY;UNTIL=garbage", start),
            Err(RuleError::Until(_))
        ));
    }

    #[test]
    fn broken_rules_are_errors() {
        let start = wall(2026, 12, 1, 20, 0);
        assert!(run("FREQ=SOMETIMES", start).is_err());
        assert!(run("BYDAY=MO", start).is_err());
        assert!(run("FREQ=MONTHLY;BYMONTHDAY=40", start).is_err());
        // Impossible but valid: ends without hanging.
        let e = run("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", start).expect("ok");
        assert_eq!(e.walls, vec![start]);
    }

    #[test]
    fn non_ascii_rules_are_errors_not_panics() {
        // Found by fuzzing (tests/fixtures/fuzz/recurrence/): the `rrule`
        // crate sliced `TÕ` inside its multi-byte char and panicked.
        let start = wall(2026, 11, 3, 19, 30);
        for rule in [
            "FREQ=WEEKLY;BYDAY=\u{FFFD}",
            "FREQ=WEEKLY;BYDAY=TU,\u{FFFD}H",
            "FREQ=WEEKLY;BYDAY=TÕ,TH",
            "FREQ=DAILY;BYHOUR=２０",
        ] {
            let got = run(rule, start);
            assert!(
                matches!(got, Err(RuleError::Invalid { .. })),
                "{rule:?} gave {got:?}"
            );
        }
    }

    #[test]
    fn dtstart_counts_even_off_rule_and_exclusions_apply() {
        // DTSTART on a Monday, rule on Tuesdays.
        let start = wall(2026, 11, 30, 20, 0);
        let mut ex = Exclusions::default();
        ex.at.insert(wall(2026, 12, 8, 20, 0));
        ex.days
            .insert(NaiveDate::from_ymd_opt(2026, 12, 15).expect("date"));
        let e = expand(
            &["FREQ=WEEKLY;BYDAY=TU;COUNT=4".into()],
            start,
            chrono_tz::America::Toronto,
            &[wall(2026, 12, 25, 14, 0)],
            &ex,
            wall(2000, 1, 1, 0, 0),
            wall(2030, 1, 1, 0, 0),
        )
        .expect("ok");
        assert_eq!(
            e.walls,
            vec![
                wall(2026, 11, 30, 20, 0),
                wall(2026, 12, 1, 20, 0),
                wall(2026, 12, 22, 20, 0),
                wall(2026, 12, 25, 14, 0)
            ]
        );
    }

    #[test]
    fn odd_but_parseable_rules_do_not_panic() {
        let rules = [
            "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
            "FREQ=YEARLY;BYWEEKNO=-1",
            "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU",
            "FREQ=DAILY;INTERVAL=65535",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=YEARLY;BYYEARDAY=366",
            "FREQ=YEARLY;BYYEARDAY=-366;BYMONTH=2",
            "FREQ=MONTHLY;BYMONTHDAY=-31",
            "FREQ=WEEKLY;COUNT=0",
            "FREQ=WEEKLY;WKST=SU;BYDAY=-1SU",
            "FREQ=SECONDLY;BYSECOND=59;BYMINUTE=59;BYHOUR=23",
            "FREQ=HOURLY;BYHOUR=25",
            "FREQ=YEARLY;BYEASTER=0",
            "FREQ=MINUTELY;INTERVAL=1441;COUNT=99999999999",
        ];
        let starts = [
            wall(2026, 12, 1, 20, 0),
            wall(9999, 12, 31, 23, 59),
            wall(1, 1, 1, 0, 0),
        ];
        for rule in rules {
            for start in starts {
                let _ = expand(
                    &[rule.to_string()],
                    start,
                    chrono_tz::America::Toronto,
                    &[],
                    &Exclusions::default(),
                    start,
                    start
                        .checked_add_signed(chrono::TimeDelta::days(400))
                        .unwrap_or(NaiveDateTime::MAX),
                );
            }
        }
        let e = expand(
            &["FREQ=DAILY".to_string()],
            wall(9999, 12, 30, 0, 0),
            chrono_tz::UTC,
            &[],
            &Exclusions::default(),
            NaiveDateTime::MIN,
            NaiveDateTime::MAX,
        )
        .expect("ok");
        assert!(!e.walls.is_empty());
    }

    #[test]
    fn dense_rules_stop() {
        let e = run("FREQ=SECONDLY", wall(2026, 12, 1, 0, 0)).expect("ok");
        assert!(e.truncated);
        assert!(e.walls.len() >= MAX_COLLECT - 1);
    }
}
