//! Reading a date with a source's `date_format`: a strftime pattern
//! compiled to items, then matched against the folded text.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use model::TimeValue;

use super::{fold, infer_year, is_weekday, month_of, ymd};

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
/// first such date on or after `reference` minus 7 days, as
/// [`find_date`](super::find_date) does.
pub fn parse_with_format_on(text: &str, format: &str, reference: NaiveDate) -> Option<TimeValue> {
    parse_format(text, format, Some(reference))
}

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
