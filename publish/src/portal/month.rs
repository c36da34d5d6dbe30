//! The portal's month view: a table of the month's days (weeks start on
//! Monday), each with its events, and links to the previous and next
//! months.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use model::{Event, Status};

use super::{event_days, event_link, status_badge};
use crate::i18n;
use crate::layout::{self, esc, tr_esc};
use crate::params;

/// "décembre 2026" / "December 2026".
pub fn month_label(lang: &str, year: i32, month: u32) -> String {
    i18n::tr_args(
        lang,
        "month-year",
        &[
            ("month", layout::month_name(lang, month).into()),
            ("year", year.to_string().into()),
        ],
    )
}

/// The instants a month covers in `tz`: local midnight of its first day,
/// local midnight of the next month's (`None` out of chrono's range).
pub(super) fn month_range(y: i32, m: u32, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (ny, nm) = next_month(y, m);
    let midnight = |d: NaiveDate| params::local_to_utc(d.and_time(NaiveTime::MIN), tz);
    Some((
        midnight(month_start(y, m)?)?,
        midnight(month_start(ny, nm)?)?,
    ))
}

fn month_start(y: i32, m: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, 1)
}

fn next_month(y: i32, m: u32) -> (i32, u32) {
    if m == 12 {
        (y + 1, 1)
    } else {
        (y, m + 1)
    }
}

fn prev_month(y: i32, m: u32) -> (i32, u32) {
    if m == 1 {
        (y - 1, 12)
    } else {
        (y, m - 1)
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn month_table(
    prefix: &str,
    raw: Option<&str>,
    lang: &str,
    y: i32,
    m: u32,
    events: &[Event],
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    let (Some(first), Some(next)) = (month_start(y, m), {
        let (ny, nm) = next_month(y, m);
        month_start(ny, nm)
    }) else {
        return String::new();
    };
    let mut by_day: BTreeMap<NaiveDate, Vec<&Event>> = BTreeMap::new();
    for e in events {
        let (a, z) = event_days(e);
        let mut d = a.max(first);
        while d <= z && d < next {
            by_day.entry(d).or_default().push(e);
            d += Duration::days(1);
        }
    }
    let base = params::pairs_without(raw, &["view", "month", "cursor", "from", "to"]);
    let link = |(yy, mm): (i32, u32)| {
        let mut p = base.clone();
        p.push(("view".into(), "month".into()));
        p.push(("month".into(), format!("{yy}-{mm:02}")));
        params::with_pairs(&format!("{prefix}/"), &p)
    };
    let prev = prev_month(y, m);
    let nextm = next_month(y, m);
    let mut b = format!(
        "<nav class=\"months\" aria-label=\"{nav}\"><a rel=\"prev\" href=\"{ph}\">← {pl}</a> \
<a rel=\"next\" href=\"{nh}\">{nl} →</a></nav>\n\
<table class=\"month\"><caption>{cap}</caption>\n<thead><tr>",
        nav = tr_esc(lang, "portal-months"),
        ph = esc(&link(prev)),
        pl = esc(&month_label(lang, prev.0, prev.1)),
        nh = esc(&link(nextm)),
        nl = esc(&month_label(lang, nextm.0, nextm.1)),
        cap = esc(&month_label(lang, y, m)),
    );
    let days = layout::weekday_names(lang);
    for d in days {
        let short: String = d.chars().take(3).collect();
        let _ = write!(
            b,
            "<th scope=\"col\"><abbr title=\"{d}\">{short}</abbr></th>"
        );
    }
    b.push_str("</tr></thead>\n<tbody>\n<tr>");
    let today = now.with_timezone(&tz).date_naive();
    let lead = first.weekday().num_days_from_monday();
    for _ in 0..lead {
        b.push_str("<td class=\"off\"></td>");
    }
    let mut col = lead;
    let mut d = first;
    while d < next {
        if col == 7 {
            b.push_str("</tr>\n<tr>");
            col = 0;
        }
        let evs = by_day.get(&d).map(Vec::as_slice).unwrap_or(&[]);
        let _ = write!(
            b,
            "<td class=\"{cls}\"{cur}><span class=\"dn\" aria-hidden=\"true\">{n}</span><span class=\"dl\">{label}</span>",
            cls = if evs.is_empty() { "empty" } else { "has" },
            cur = if d == today {
                " aria-current=\"date\""
            } else {
                ""
            },
            n = d.day(),
            label = esc(&layout::date_text(d, lang)),
        );
        if !evs.is_empty() {
            b.push_str("<ul>");
            for e in evs {
                let time = if e.all_day {
                    String::new()
                } else {
                    format!(
                        "{} ",
                        layout::time_text(e.start.hour(), e.start.minute(), lang)
                    )
                };
                let _ = write!(
                    b,
                    "<li{cls}>{badge}<a href=\"{href}\">{time}{title}</a></li>",
                    cls = if e.status == Status::Cancelled {
                        " class=\"cancelled\""
                    } else {
                        ""
                    },
                    badge = status_badge(lang, e),
                    href = esc(&event_link(prefix, e, lang)),
                    time = esc(&time),
                    title = esc(&e.title),
                );
            }
            b.push_str("</ul>");
        }
        b.push_str("</td>");
        col += 1;
        d += Duration::days(1);
    }
    while col < 7 {
        b.push_str("<td class=\"off\"></td>");
        col += 1;
    }
    b.push_str("</tr>\n</tbody></table>\n");
    b
}
