//! Finding the first date (or range) in free text: a tokenizer, then a
//! small recursive-descent scanner tried at every position.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use model::TimeValue;

use super::{fold, infer_year, is_weekday, month_of, ymd};

/// A date or range found in a text: `Floating` for a time of day, `Date`
/// for a day with no time.
///
/// Conventions:
/// * A range of days with no time ("du 3 au 5 décembre") is
///   `start = Date(3 Dec)` and `end = Date(6 Dec)`: the end is **exclusive**,
///   the day after the last day, as for iCalendar all-day events.
/// * A time range on one day ("5 décembre de 19 h à 21 h") gives two
///   `Floating` values on that day; an end time earlier than the start time
///   ("22 h à 2 h") falls on the next day.
/// * A range of days with times ("du 3 au 5 décembre, 19 h à 21 h") starts on
///   the first day at the first time and ends on the last day at the second
///   time; with a single time it has no end.
/// * A list of days ("5 et 6 décembre") gives the first day only, no end.
/// * Numeric dates `05/12/2026` are read day first (French and Québec usage),
///   unless the first number cannot be a month day pair that way round (the
///   second number is above 12 and the first is not): `12/25/2026` is read
///   as 25 December.
/// * A time alone ("20 h") is not a date: `find_date` needs a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    pub start: TimeValue,
    pub end: Option<TimeValue>,
}

/// Find the first event date (or range) in `text`. A date with no year takes
/// the first such date on or after `reference` minus 7 days (the item's
/// publication date or the run's day; the week of slack keeps an event of
/// last Saturday mentioned in a Monday post in the right year). None when the
/// text carries no date.
pub fn find_date(text: &str, reference: NaiveDate) -> Option<FoundDate> {
    let toks = tokenize(&fold(text));
    let p = Scanner {
        t: &toks,
        reference,
    };
    (0..toks.len()).find_map(|i| p.date_at(i))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A run of ASCII digits: its value (saturating) and its length.
    Num(u32, usize),
    Word(String),
    Punct(char),
}

fn tokenize(folded: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = folded.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let (mut v, mut len) = (0u32, 0usize);
            while let Some(&d) = chars.peek() {
                let Some(digit) = d.to_digit(10).filter(|_| d.is_ascii_digit()) else {
                    break;
                };
                v = v.saturating_mul(10).saturating_add(digit);
                len += 1;
                chars.next();
            }
            toks.push(Tok::Num(v, len));
        } else if c.is_alphabetic() {
            let mut w = String::new();
            while let Some(&d) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                w.push(d);
                chars.next();
            }
            toks.push(Tok::Word(w));
        } else {
            if !c.is_whitespace() {
                toks.push(Tok::Punct(c));
            }
            chars.next();
        }
    }
    merge_meridiem(toks)
}

/// "a.m." / "p.m." (tokens a . m .) become the words "am" / "pm".
fn merge_meridiem(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let here = toks.get(i);
        let is_ap = matches!(here, Some(Tok::Word(w)) if w == "a" || w == "p");
        let dot = |k: usize| matches!(toks.get(k), Some(Tok::Punct('.')));
        let m = matches!(toks.get(i + 2), Some(Tok::Word(w)) if w == "m");
        if is_ap && dot(i + 1) && m {
            let w = if matches!(here, Some(Tok::Word(w)) if w == "a") {
                "am"
            } else {
                "pm"
            };
            out.push(Tok::Word(w.to_string()));
            i += if dot(i + 3) { 4 } else { 3 };
        } else {
            if let Some(t) = here {
                out.push(t.clone());
            }
            i += 1;
        }
    }
    out
}

fn is_day_suffix(word: &str) -> bool {
    matches!(
        word,
        "er" | "re" | "e" | "eme" | "ieme" | "st" | "nd" | "rd" | "th"
    )
}

/// The first `month`/`day` on or after `from`.
fn on_or_after(month: u32, day: u32, from: NaiveDate) -> Option<NaiveDate> {
    (0..9).find_map(|k| ymd(from.year() + k, month, day).filter(|d| *d >= from))
}

/// A day as written, before its year and month are settled.
#[derive(Debug, Clone, Copy)]
struct Partial {
    day: u32,
    month: Option<u32>,
    year: Option<i32>,
    /// English order ("December 5"): a bare day may follow as a range end.
    month_first: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Range,
    List,
}

struct Scanner<'a> {
    t: &'a [Tok],
    reference: NaiveDate,
}

impl Scanner<'_> {
    fn word(&self, i: usize) -> Option<&str> {
        match self.t.get(i) {
            Some(Tok::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn num(&self, i: usize) -> Option<(u32, usize)> {
        match self.t.get(i) {
            Some(Tok::Num(v, len)) => Some((*v, *len)),
            _ => None,
        }
    }

    fn punct(&self, i: usize) -> Option<char> {
        match self.t.get(i) {
            Some(Tok::Punct(c)) => Some(*c),
            _ => None,
        }
    }

    fn is_word(&self, i: usize, words: &[&str]) -> bool {
        self.word(i).is_some_and(|w| words.contains(&w))
    }

    /// A day number (1-31, one or two digits) and its optional suffix.
    fn day_at(&self, i: usize) -> Option<(u32, usize)> {
        let (d, len) = self.num(i)?;
        if len > 2 || !(1..=31).contains(&d) {
            return None;
        }
        let mut j = i + 1;
        if self.word(j).is_some_and(is_day_suffix) {
            j += 1;
        }
        Some((d, j))
    }

    /// A month name, with its optional abbreviation dot.
    fn month_at(&self, i: usize) -> Option<(u32, usize)> {
        let m = month_of(self.word(i)?)?;
        let j = if self.punct(i + 1) == Some('.') {
            i + 2
        } else {
            i + 1
        };
        Some((m, j))
    }

    /// A four-digit year, optionally after a comma.
    fn year_at(&self, i: usize) -> Option<(i32, usize)> {
        let i = if self.punct(i) == Some(',') { i + 1 } else { i };
        let (y, len) = self.num(i)?;
        if len != 4 || !(1900..=2200).contains(&y) {
            return None;
        }
        // "2026:..." or "2026h" is not a year.
        if matches!(self.punct(i + 1), Some(':')) || self.is_word(i + 1, &["h"]) {
            return None;
        }
        Some((i32::try_from(y).ok()?, i + 1))
    }

    /// A day as written: numeric forms, "[weekday] [le] 5 décembre [2026]",
    /// "[weekday,] December 5[, 2026]", or a bare day (range start only).
    fn partial_at(&self, i: usize) -> Option<(Partial, usize)> {
        if self.word(i).is_some_and(is_weekday) {
            let mut j = i + 1;
            while matches!(self.punct(j), Some(',' | '.')) {
                j += 1;
            }
            if let Some(found) = self.partial_inner(j).filter(|(p, _)| p.month.is_some()) {
                return Some(found);
            }
        }
        self.partial_inner(i)
    }

    fn partial_inner(&self, i: usize) -> Option<(Partial, usize)> {
        let i = if self.is_word(i, &["le", "the"]) {
            i + 1
        } else {
            i
        };
        if let Some(found) = self.numeric_at(i) {
            return Some(found);
        }
        if let Some((day, j)) = self.day_at(i) {
            let j = if self.is_word(j, &["of"]) { j + 1 } else { j };
            let Some((month, j)) = self.month_at(j) else {
                return Some((
                    Partial {
                        day,
                        month: None,
                        year: None,
                        month_first: false,
                    },
                    j,
                ));
            };
            let (year, j) = match self.year_at(j) {
                Some((y, k)) => (Some(y), k),
                None => (None, j),
            };
            return Some((
                Partial {
                    day,
                    month: Some(month),
                    year,
                    month_first: false,
                },
                j,
            ));
        }
        let (month, j) = self.month_at(i)?;
        let (day, j) = self.day_at(j)?;
        // "Dec 8:30" or "Dec 8 pm" is not a day.
        if self.punct(j) == Some(':') || self.is_word(j, &["h", "am", "pm"]) {
            return None;
        }
        let (year, j) = match self.year_at(j) {
            Some((y, k)) => (Some(y), k),
            None => (None, j),
        };
        Some((
            Partial {
                day,
                month: Some(month),
                year,
                month_first: true,
            },
            j,
        ))
    }

    /// `2026-12-05`, `2026/12/05`, `05/12/2026`, `05/12/26`, `05.12.2026`.
    fn numeric_at(&self, i: usize) -> Option<(Partial, usize)> {
        let (a, alen) = self.num(i)?;
        let s1 = self.punct(i + 1)?;
        let (b, blen) = self.num(i + 2)?;
        let s2 = self.punct(i + 3)?;
        let (c, clen) = self.num(i + 4)?;
        if s1 != s2 || blen > 2 {
            return None;
        }
        let full = |year: u32, month: u32, day: u32| {
            let year = i32::try_from(year).ok()?;
            ymd(year, month, day)?;
            Some((
                Partial {
                    day,
                    month: Some(month),
                    year: Some(year),
                    month_first: false,
                },
                i + 5,
            ))
        };
        if alen == 4 && matches!(s1, '-' | '/') && clen <= 2 {
            return full(a, b, c);
        }
        if alen > 2 {
            return None;
        }
        let year = match (s1, clen) {
            ('/', 4) | ('.', 4) | ('-', 4) => c,
            ('/', 2) => 2000 + c,
            _ => return None,
        };
        if a > 12 || b <= 12 {
            full(year, b, a)
        } else {
            full(year, a, b)
        }
    }

    /// A separator between two days: "au", "-", "to", "jusqu'au" (a range),
    /// "et", "and", "&", "," (a list). Returns the index after it.
    fn sep_at(&self, i: usize) -> Option<(Sep, usize)> {
        match self.t.get(i)? {
            Tok::Punct('-') => Some((Sep::Range, i + 1)),
            Tok::Punct('&') => Some((Sep::List, i + 1)),
            Tok::Word(w) => match w.as_str() {
                "au" | "a" | "to" | "until" | "till" | "through" | "thru" => {
                    Some((Sep::Range, i + 1))
                }
                "jusqu" | "jusque" => {
                    let mut j = i + 1;
                    if self.punct(j) == Some('\'') {
                        j += 1;
                    }
                    if self.is_word(j, &["au", "a"]) {
                        j += 1;
                    }
                    Some((Sep::Range, j))
                }
                "et" | "and" => Some((Sep::List, i + 1)),
                _ => None,
            },
            _ => None,
        }
    }

    /// A date, a range or a list of dates at `i`, with an optional time or
    /// time range after it.
    fn date_at(&self, i: usize) -> Option<FoundDate> {
        let (p1, mut j) = self.partial_at(i)?;
        let mut second: Option<(Partial, Sep)> = None;
        if let Some((sep, k)) = self.sep_at(j) {
            // "5 décembre - 19 h": a time, not a second day.
            let time_follows = p1.month.is_some() && self.time_at(k).is_some();
            if !time_follows {
                if let Some((mut p2, k2)) = self.partial_at(k) {
                    if p2.month.is_some() {
                        second = Some((p2, sep));
                        j = k2;
                    } else if p1.month_first && p1.year.is_none() {
                        // "December 3-5, 2026"
                        let (year, k3) = match self.year_at(k2) {
                            Some((y, k3)) => (Some(y), k3),
                            None => (None, k2),
                        };
                        p2.month = p1.month;
                        p2.year = year;
                        second = Some((p2, sep));
                        j = k3;
                    }
                }
            }
        }
        let (d1, d2) = self.resolve(p1, second.as_ref().map(|(p, _)| *p))?;
        let is_range = matches!(second, Some((_, Sep::Range)));
        let d2 = if is_range { d2 } else { None };

        let times = self.time_part(j);
        Some(match (times, d2) {
            (None, None) => FoundDate {
                start: TimeValue::Date { date: d1 },
                end: None,
            },
            (None, Some(last)) => FoundDate {
                start: TimeValue::Date { date: d1 },
                end: last.succ_opt().map(|date| TimeValue::Date { date }),
            },
            (Some((t1, t2)), last) => {
                let start = NaiveDateTime::new(d1, t1);
                let end = t2.and_then(|t2| match last {
                    Some(last) => Some(NaiveDateTime::new(last, t2)),
                    None if t2 < t1 => d1.succ_opt().map(|d| NaiveDateTime::new(d, t2)),
                    None => Some(NaiveDateTime::new(d1, t2)),
                });
                FoundDate {
                    start: TimeValue::Floating { local: start },
                    end: end.map(|local| TimeValue::Floating { local }),
                }
            }
        })
    }

    /// Settle years and months: the first day takes what it lacks from the
    /// second; a missing year is inferred from the reference.
    fn resolve(&self, p1: Partial, p2: Option<Partial>) -> Option<(NaiveDate, Option<NaiveDate>)> {
        let Some(p2) = p2 else {
            let m = p1.month?;
            let d = match p1.year {
                Some(y) => ymd(y, m, p1.day)?,
                None => infer_year(m, p1.day, self.reference)?,
            };
            return Some((d, None));
        };
        let m2 = p2.month?;
        let m1 = p1.month.unwrap_or(m2);
        let y1 = p1.year.or(if p1.month.is_none() { p2.year } else { None });
        let d1 = match (y1, p2.year) {
            (Some(y), _) => ymd(y, m1, p1.day)?,
            (None, Some(y2)) => {
                let same = ymd(y2, m1, p1.day);
                let end = ymd(y2, m2, p2.day);
                match (same, end) {
                    (Some(s), Some(e)) if s > e => ymd(y2 - 1, m1, p1.day)?,
                    (Some(s), _) => s,
                    (None, _) => ymd(y2 - 1, m1, p1.day)?,
                }
            }
            (None, None) => infer_year(m1, p1.day, self.reference)?,
        };
        let d2 = match p2.year {
            Some(y) => ymd(y, m2, p2.day),
            None => on_or_after(m2, p2.day, d1),
        };
        Some((d1, d2.filter(|d2| *d2 >= d1)))
    }

    /// A time of day: "20 h", "20h30", "20 h 30", "20:00", "8 PM", "8:30pm",
    /// "midi", "noon", "minuit", "midnight". Returns the time, whether it had
    /// an am/pm marker, and the index after it.
    fn time_at(&self, i: usize) -> Option<(NaiveTime, bool, usize)> {
        match self.word(i) {
            Some("midi" | "noon") => {
                return Some((NaiveTime::from_hms_opt(12, 0, 0)?, false, i + 1))
            }
            Some("minuit" | "midnight") => return Some((NaiveTime::MIN, false, i + 1)),
            _ => {}
        }
        let (h, hlen) = self.num(i)?;
        if hlen > 2 {
            return None;
        }
        let mut j = i + 1;
        let mut minute = 0;
        let mut second = 0;
        let mut marked = false;
        if self.is_word(j, &["h", "hr", "hrs", "heure", "heures", "hres"]) {
            marked = true;
            j += 1;
            if let Some((m, 2)) = self.num(j) {
                minute = m;
                j += 1;
            }
        } else if self.punct(j) == Some(':') {
            let (m, 2) = self.num(j + 1)? else {
                return None;
            };
            minute = m;
            marked = true;
            j += 2;
            if self.punct(j) == Some(':') {
                if let Some((s, 2)) = self.num(j + 1) {
                    second = s;
                    j += 2;
                }
            }
        }
        let meridiem = match self.word(j) {
            Some("am") => Some(false),
            Some("pm") => Some(true),
            _ => None,
        };
        let hour = match meridiem {
            Some(pm) => {
                if !(1..=12).contains(&h) {
                    return None;
                }
                j += 1;
                (h % 12) + if pm { 12 } else { 0 }
            }
            None if marked => h,
            None => return None,
        };
        let t = NaiveTime::from_hms_opt(hour, minute, second)?;
        Some((t, meridiem.is_some(), j))
    }

    /// The optional time or time range after a date: connectors ("à", "at",
    /// ",", "-", "de", "dès", "from", "@"...), then a time, then optionally a
    /// separator and a second time ("de 19 h à 21 h", "8 - 10 PM").
    fn time_part(&self, mut j: usize) -> Option<(NaiveTime, Option<NaiveTime>)> {
        const CONNECTORS: &[&str] = &[
            "a", "at", "de", "des", "from", "vers", "t", "starting", "begins", "debut", "heure",
            "time", "le", "the", "partir", "compter", "of", "d",
        ];
        for _ in 0..4 {
            let skip = match self.t.get(j) {
                Some(Tok::Punct(',' | '-' | '|' | '@' | '.' | ':' | '/' | '\'' | '(' | ';')) => {
                    true
                }
                Some(Tok::Word(w)) => CONNECTORS.contains(&w.as_str()),
                _ => false,
            };
            if !skip || self.time_at(j).is_some() {
                break;
            }
            j += 1;
        }
        if let Some((t1, _, k)) = self.time_at(j) {
            let t2 = self
                .sep_at(k)
                .filter(|(sep, _)| *sep == Sep::Range)
                .and_then(|(_, k2)| self.time_at(k2))
                .map(|(t, _, _)| t);
            return Some((t1, t2));
        }
        // "8 - 10 PM": a bare hour shares the second time's am/pm.
        let (h, hlen) = self.num(j)?;
        if hlen > 2 || !(1..=12).contains(&h) {
            return None;
        }
        let (sep, k) = self.sep_at(j + 1)?;
        if sep != Sep::Range {
            return None;
        }
        let (t2, true, _) = self.time_at(k)? else {
            return None;
        };
        let pm = t2.hour() >= 12;
        let t1 = NaiveTime::from_hms_opt((h % 12) + if pm { 12 } else { 0 }, 0, 0)?;
        Some((t1, Some(t2)))
    }
}
