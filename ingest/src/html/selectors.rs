//! `[source.selectors]`: events read from a page with no structured data.
//!
//! `event` selects one element per event; each field selector is CSS,
//! optionally followed by `@attr` to read an attribute instead of the text,
//! and is looked up inside the event element (a selector that is only
//! `@attr` reads the event element itself). Dates are read as ISO 8601, else
//! with `date_format`, else as French or English words
//! ([`crate::datetext`]). An event element with a title and a link but no
//! date becomes an undated record whose detail page will date it.
//!
//! When `event` is absent or selects nothing, the whole page is read as one
//! event (a detail page), kept only when a title and a date are found.

use chrono::NaiveDate;
use model::{RawEvent, TimeValue};
use scraper::{ElementRef, Html, Selector};
use textkit::collapse_ws;
use url::Url;

use super::schema::Candidate;
use crate::{ParseError, ParseWarning, Selectors};

/// One compiled field selector.
struct Field {
    /// None: the event element itself.
    css: Option<Selector>,
    attr: Option<String>,
}

fn compile(field: &str, raw: &str) -> Result<Field, ParseError> {
    let raw_trim = raw.trim();
    let (css, attr) = match raw_trim.rfind('@') {
        Some(i)
            if raw_trim[i + 1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
                && i + 1 < raw_trim.len() =>
        {
            (raw_trim[..i].trim(), Some(raw_trim[i + 1..].to_string()))
        }
        _ => (raw_trim, None),
    };
    let css = if css.is_empty() {
        if attr.is_none() {
            return Err(bad(field, raw, "it is empty"));
        }
        None
    } else {
        Some(Selector::parse(css).map_err(|e| bad(field, raw, &e.to_string()))?)
    };
    Ok(Field { css, attr })
}

fn bad(field: &str, raw: &str, why: &str) -> ParseError {
    ParseError::Malformed {
        line: None,
        message: format!("selector {field} = {raw:?} does not parse: {why}"),
    }
}

struct Compiled {
    event: Option<Selector>,
    title: Option<Field>,
    start: Option<Field>,
    end: Option<Field>,
    location: Option<Field>,
    url: Option<Field>,
    description: Option<Field>,
    image: Option<Field>,
}

fn compile_all(s: &Selectors) -> Result<Compiled, ParseError> {
    let field =
        |name: &str, v: &Option<String>| v.as_deref().map(|raw| compile(name, raw)).transpose();
    let event = match s.event.as_deref() {
        Some(raw) => {
            Some(Selector::parse(raw.trim()).map_err(|e| bad("event", raw, &e.to_string()))?)
        }
        None => None,
    };
    Ok(Compiled {
        event,
        title: field("title", &s.title)?,
        start: field("start", &s.start)?,
        end: field("end", &s.end)?,
        location: field("location", &s.location)?,
        url: field("url", &s.url)?,
        description: field("description", &s.description)?,
        image: field("image", &s.image)?,
    })
}

/// What a field selector found: the attribute's value (the text when the
/// element lacks it and `text_fallback`), or the text.
fn read(scope: ElementRef<'_>, f: &Field, text_fallback: bool) -> Option<String> {
    let el = match &f.css {
        None => scope,
        Some(sel) => scope.select(sel).next()?,
    };
    let value = match &f.attr {
        Some(a) => match el.value().attr(a) {
            Some(v) => v.trim().to_string(),
            None if text_fallback => text(el),
            None => return None,
        },
        None => text(el),
    };
    (!value.is_empty()).then_some(value)
}

fn text(el: ElementRef<'_>) -> String {
    collapse_ws(&el.text().collect::<String>())
}

/// A date as ISO 8601, else with `date_format`, else in words.
fn date(s: &str, format: Option<&str>, today: NaiveDate) -> Option<(TimeValue, Option<TimeValue>)> {
    if let Some(t) = textkit::parse_iso(s) {
        return Some((t, None));
    }
    if let Some(fmt) = format {
        if let Some(t) = crate::datetext::parse_with_format(s, fmt) {
            return Some((t, None));
        }
    }
    crate::datetext::find_date(s, today).map(|f| (f.start, f.end))
}

pub(crate) struct Found {
    pub events: Vec<Candidate>,
    pub warnings: Vec<ParseWarning>,
}

/// Read the events the selectors point at.
pub(crate) fn extract(
    doc: &Html,
    sel: &Selectors,
    base: Option<&Url>,
    page_url: Option<&str>,
    today: NaiveDate,
) -> Result<Found, ParseError> {
    let c = compile_all(sel)?;
    let format = sel
        .date_format
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let mut found = Found {
        events: Vec::new(),
        warnings: Vec::new(),
    };
    let elements: Vec<ElementRef<'_>> = match &c.event {
        Some(s) => doc.select(s).collect(),
        None => Vec::new(),
    };
    if elements.is_empty() {
        // A detail page: the whole document is the event.
        let root = doc.root_element();
        if let Some(mut cand) = one(root, &c, base, format, today, &mut found.warnings) {
            if cand.dated {
                if cand.ev.url.is_none() {
                    cand.ev.url = page_url.map(str::to_string);
                }
                found.events.push(cand);
            }
        }
        return Ok(found);
    }
    for el in elements {
        if let Some(cand) = one(el, &c, base, format, today, &mut found.warnings) {
            found.events.push(cand);
        }
    }
    Ok(found)
}

fn one(
    el: ElementRef<'_>,
    c: &Compiled,
    base: Option<&Url>,
    format: Option<&str>,
    today: NaiveDate,
    warnings: &mut Vec<ParseWarning>,
) -> Option<Candidate> {
    let get = |f: &Option<Field>, fallback: bool| f.as_ref().and_then(|f| read(el, f, fallback));
    let title = get(&c.title, false)?;
    let start_text = get(&c.start, true);
    let start = start_text.as_deref().and_then(|s| date(s, format, today));
    if let (Some(raw), None) = (&start_text, &start) {
        warnings.push(ParseWarning {
            line: None,
            message: format!("event {title:?}: no date found in {raw:?}"),
        });
    }
    let end = get(&c.end, true)
        .and_then(|s| date(&s, format, today))
        .map(|(s, _)| s)
        .map(last_day_exclusive)
        .or_else(|| start.as_ref().and_then(|(_, e)| e.clone()));
    let dated = start.is_some();
    let start = start
        .map(|(s, _)| s)
        .unwrap_or(TimeValue::Date { date: today });
    let mut ev = RawEvent::new(String::new(), title, start);
    ev.end = end;
    ev.location = get(&c.location, false);
    ev.url = get(&c.url, false).and_then(|u| super::resolve_url(base, &u));
    ev.description = c.description.as_ref().and_then(|f| {
        let target = match &f.css {
            None => el,
            Some(sel) => el.select(sel).next()?,
        };
        let v = match &f.attr {
            Some(a) => target.value().attr(a)?.trim().to_string(),
            None => target.inner_html().trim().to_string(),
        };
        (!v.is_empty()).then_some(v)
    });
    ev.image = get(&c.image, false).and_then(|u| super::resolve_url(base, &u));
    Some(Candidate {
        ev,
        id: None,
        dated,
    })
}

/// A date-only end names the last day: make it exclusive.
fn last_day_exclusive(t: TimeValue) -> TimeValue {
    match t {
        TimeValue::Date { date } => TimeValue::Date {
            date: date.succ_opt().unwrap_or(date),
        },
        other => other,
    }
}
