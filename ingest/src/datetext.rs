//! Dates written in words, in French and English ("le samedi 5 décembre 2026
//! à 20 h", "December 5, 2026 at 8 PM", "du 3 au 5 décembre"), and
//! `date_format` patterns with French or English month and day names.
//!
//! Both halves are pure and hand-written (no regex): the text is folded
//! (lower case, accents removed, dashes and apostrophes unified), cut into
//! numbers, words and punctuation, and a small recursive-descent parser tries
//! every position in turn. Nothing here reads a clock: a date without a year
//! takes its year from a reference date given by the caller.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use model::TimeValue;

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

/// Parse `text` with a chrono strftime `format`, where numbers may be
/// unpadded, month and day names may be French or English in any case, and
/// literal words (`à`, `h`) match themselves.
///
/// Supported: `%d %e %m %B %b %h %A %a %Y %y %H %I %M %S %p %z %%`, the
/// shorthands `%F %T %R %D`, the padding flags `%-d %_d %0d`, and literals.
/// Whitespace is optional everywhere. The match must cover the start of the
/// text and stop at a word boundary; text after it is ignored ("5 décembre
/// 2026 — complet" matches `%d %B %Y`). Returns `Floating` (or `Offset` with
/// `%z`) when the format has a time field, else `Date`; None when the text
/// does not match, the date does not exist, or the format has no year (see
/// [`parse_with_format_on`] for that case).
pub fn parse_with_format(text: &str, format: &str) -> Option<TimeValue> {
    parse_format(text, format, None)
}

/// [`parse_with_format`], where a format with no year (`%d %B`) takes the
/// first such date on or after `reference` minus 7 days, as [`find_date`]
/// does.
pub fn parse_with_format_on(text: &str, format: &str, reference: NaiveDate) -> Option<TimeValue> {
    parse_format(text, format, Some(reference))
}

// ---------------------------------------------------------------------------
// Folding and tokens

/// Lower case, accents removed, dashes to '-', apostrophes to '\'', every
/// kind of space to ' '.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' | 'ý' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2018}' | '\u{2019}' | '\u{02bc}' => out.push('\''),
            // Combining accents (text in NFD).
            '\u{0300}'..='\u{036f}' => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    out
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

fn month_of(word: &str) -> Option<u32> {
    Some(match word {
        "janvier" | "janv" | "jan" | "january" => 1,
        "fevrier" | "fevr" | "fev" | "feb" | "february" | "febr" => 2,
        "mars" | "mar" | "march" => 3,
        "avril" | "avr" | "apr" | "april" => 4,
        "mai" | "may" => 5,
        "juin" | "jun" | "june" => 6,
        "juillet" | "juil" | "jul" | "july" => 7,
        "aout" | "aug" | "august" => 8,
        "septembre" | "sept" | "sep" | "september" => 9,
        "octobre" | "oct" | "october" => 10,
        "novembre" | "nov" | "november" => 11,
        "decembre" | "dec" | "december" => 12,
        _ => return None,
    })
}

fn is_weekday(word: &str) -> bool {
    matches!(
        word,
        "lundi"
            | "lun"
            | "mardi"
            | "mar"
            | "mercredi"
            | "mer"
            | "jeudi"
            | "jeu"
            | "vendredi"
            | "ven"
            | "samedi"
            | "sam"
            | "dimanche"
            | "dim"
            | "monday"
            | "mon"
            | "tuesday"
            | "tue"
            | "tues"
            | "wednesday"
            | "wed"
            | "thursday"
            | "thu"
            | "thur"
            | "thurs"
            | "friday"
            | "fri"
            | "saturday"
            | "sat"
            | "sunday"
            | "sun"
    )
}

fn is_day_suffix(word: &str) -> bool {
    matches!(
        word,
        "er" | "re" | "e" | "eme" | "ieme" | "st" | "nd" | "rd" | "th"
    )
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    if !(1900..=2200).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The first `month`/`day` on or after `reference - 7 days`.
fn infer_year(month: u32, day: u32, reference: NaiveDate) -> Option<NaiveDate> {
    let from = reference.checked_sub_signed(Duration::days(7))?;
    (0..9).find_map(|k| ymd(from.year() + k, month, day).filter(|d| *d >= from))
}

/// The first `month`/`day` on or after `from`.
fn on_or_after(month: u32, day: u32, from: NaiveDate) -> Option<NaiveDate> {
    (0..9).find_map(|k| ymd(from.year() + k, month, day).filter(|d| *d >= from))
}

// ---------------------------------------------------------------------------
// find_date

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

// ---------------------------------------------------------------------------
// parse_with_format

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Spec(char),
    Lit(char),
    Space,
}

fn compile(format: &str) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let mut spec = chars.next()?;
            if matches!(spec, '-' | '_' | '0') {
                spec = chars.next()?;
            }
            match spec {
                'F' => items.extend(expand("%Y-%m-%d")),
                'T' => items.extend(expand("%H:%M:%S")),
                'R' => items.extend(expand("%H:%M")),
                'D' => items.extend(expand("%m/%d/%y")),
                'n' | 't' => items.push(Item::Space),
                '%' => items.push(Item::Lit('%')),
                'd' | 'e' | 'm' | 'B' | 'b' | 'h' | 'A' | 'a' | 'Y' | 'y' | 'H' | 'I' | 'M'
                | 'S' | 'p' | 'P' | 'z' => items.push(Item::Spec(spec)),
                _ => return None,
            }
        } else if c.is_whitespace() {
            items.push(Item::Space);
        } else {
            items.extend(fold(&c.to_string()).chars().map(|f| {
                if f == ' ' {
                    Item::Space
                } else {
                    Item::Lit(f)
                }
            }));
        }
    }
    Some(items)
}

fn expand(short: &str) -> Vec<Item> {
    compile(short).unwrap_or_default()
}

#[derive(Debug, Default)]
struct Fields {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    hour12: bool,
    minute: u32,
    second: u32,
    pm: Option<bool>,
    offset: Option<i32>,
    has_time: bool,
}

struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c == ' ') {
            self.pos += 1;
        }
    }

    fn digits(&mut self, max: usize) -> Option<u32> {
        let mut v = 0u32;
        let mut n = 0;
        while n < max {
            let Some(d) = self
                .peek()
                .filter(char::is_ascii_digit)
                .and_then(|c| c.to_digit(10))
            else {
                break;
            };
            v = v * 10 + d;
            n += 1;
            self.pos += 1;
        }
        (n > 0).then_some(v)
    }

    fn letters(&mut self) -> String {
        let mut w = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_alphabetic()) {
            w.push(c);
            self.pos += 1;
        }
        w
    }
}

fn parse_format(text: &str, format: &str, reference: Option<NaiveDate>) -> Option<TimeValue> {
    let items = compile(format)?;
    let folded = fold(text)
        .replace("a.m.", "am")
        .replace("p.m.", "pm")
        .trim()
        .to_string();
    let mut cur = Cursor {
        chars: folded.chars().collect(),
        pos: 0,
    };
    let mut f = Fields::default();
    for (n, item) in items.iter().enumerate() {
        match item {
            Item::Space => cur.skip_ws(),
            Item::Lit(c) => {
                cur.skip_ws();
                if cur.peek() != Some(*c) {
                    return None;
                }
                cur.pos += 1;
            }
            Item::Spec(spec) => {
                cur.skip_ws();
                let next_is_dot = matches!(items.get(n + 1), Some(Item::Lit('.')));
                read_spec(&mut cur, *spec, next_is_dot, &mut f)?;
            }
        }
    }
    // The match must end at a word boundary.
    if cur.peek().is_some_and(char::is_alphanumeric)
        && cur
            .pos
            .checked_sub(1)
            .and_then(|p| cur.chars.get(p))
            .is_some_and(|c| c.is_alphanumeric())
    {
        return None;
    }
    let month = f.month?;
    let day = f.day?;
    let date = match (f.year, reference) {
        (Some(y), _) => ymd(y, month, day)?,
        (None, Some(r)) => infer_year(month, day, r)?,
        (None, None) => return None,
    };
    if !f.has_time {
        return Some(TimeValue::Date { date });
    }
    let mut hour = f.hour.unwrap_or(0);
    match f.pm {
        Some(pm) => {
            if !(1..=12).contains(&hour) && f.hour.is_some() {
                return None;
            }
            hour = (hour % 12) + if pm { 12 } else { 0 };
        }
        None if f.hour12 && !(1..=12).contains(&hour) => return None,
        None => {}
    }
    let local = NaiveDateTime::new(date, NaiveTime::from_hms_opt(hour, f.minute, f.second)?);
    match f.offset {
        Some(secs) => {
            let off = chrono::FixedOffset::east_opt(secs)?;
            let at = local.checked_sub_signed(Duration::seconds(i64::from(secs)))?;
            Some(TimeValue::Offset {
                at: chrono::DateTime::from_naive_utc_and_offset(at, off),
            })
        }
        None => Some(TimeValue::Floating { local }),
    }
}

fn read_spec(cur: &mut Cursor, spec: char, next_is_dot: bool, f: &mut Fields) -> Option<()> {
    let name_dot = |cur: &mut Cursor| {
        if !next_is_dot && cur.peek() == Some('.') {
            cur.pos += 1;
        }
    };
    match spec {
        'd' | 'e' => f.day = Some(cur.digits(2)?),
        'm' => f.month = Some(cur.digits(2).filter(|m| (1..=12).contains(m))?),
        'Y' => f.year = Some(i32::try_from(cur.digits(4)?).ok()?),
        'y' => f.year = Some(2000 + i32::try_from(cur.digits(2)?).ok()?),
        'B' | 'b' | 'h' => {
            f.month = Some(month_of(&cur.letters())?);
            name_dot(cur);
        }
        'A' | 'a' => {
            if !is_weekday(&cur.letters()) {
                return None;
            }
            name_dot(cur);
        }
        'H' | 'I' => {
            f.hour = Some(cur.digits(2).filter(|h| *h <= 23)?);
            f.hour12 = spec == 'I';
            f.has_time = true;
        }
        'M' => {
            f.minute = cur.digits(2).filter(|m| *m <= 59)?;
            f.has_time = true;
        }
        'S' => {
            f.second = cur.digits(2).filter(|s| *s <= 60)?.min(59);
            f.has_time = true;
        }
        'p' | 'P' => {
            f.pm = match cur.letters().as_str() {
                "am" => Some(false),
                "pm" => Some(true),
                _ => return None,
            };
            f.has_time = true;
        }
        'z' => {
            if cur.peek() == Some('z') {
                cur.pos += 1;
                f.offset = Some(0);
            } else {
                let sign = match cur.peek()? {
                    '+' => 1,
                    '-' => -1,
                    _ => return None,
                };
                cur.pos += 1;
                let h = cur.digits(2)?;
                if cur.peek() == Some(':') {
                    cur.pos += 1;
                }
                let m = cur.digits(2).unwrap_or(0);
                if h > 23 || m > 59 {
                    return None;
                }
                f.offset = Some(sign * i32::try_from(h * 3600 + m * 60).ok()?);
            }
            f.has_time = true;
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
