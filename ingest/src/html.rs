//! The `html` source kind: a web page, or one page of a listing.
//!
//! The page is parsed once (`scraper::Html::parse_document`) and walked once
//! to find what it carries:
//!
//! 1. schema.org JSON-LD blocks ([`jsonld`]), read even when broken in the
//!    usual ways; a block that cannot be read is a warning, the others count;
//! 2. microdata items ([`microdata`]);
//! 3. h-event microformats ([`hevent`]);
//! 4. the source's `[source.selectors]` ([`selectors`]) when given.
//!
//! The first three become schema.org JSON values read by one mapper
//! ([`schema`]). Structured data comes first; an event found again by a
//! later way (same `@id`, same URL and start, or same title and start) only
//! fills the fields still missing. Selector records without a date become
//! `undated` with a [`Link::Detail`]; pagination (`rel="next"`, the usual
//! pager classes) gives a [`Link::NextPage`].
//!
//! Identity: the `@id` (or `itemid`, `u-uid`), else the event's absolute URL
//! (with `#` and the start when one URL carries several events), else
//! [`model::ids::fallback_uid`] of title, start and place. A page holding a
//! single event with no URL of its own is that event's page: the event takes
//! the page's URL.

mod hevent;
mod jsonld;
mod microdata;
mod nesting;
mod schema;
mod selectors;

use std::collections::{HashMap, HashSet};

use model::RawEvent;
use scraper::{ElementRef, Html};
use serde_json::Value;
use url::Url;

use crate::kind::Kind;
use crate::sniff::{Confidence, Head};
use crate::{Link, ParseContext, ParseError, ParseWarning, Parsed};
use schema::{Candidate, Env};

/// The `html` kind: a web page, or the pages of a listing.
pub struct HtmlKind;

impl Kind for HtmlKind {
    fn name(&self) -> &'static str {
        "html"
    }

    fn describe(&self) -> &'static str {
        "an HTML page"
    }

    fn sniff(&self, head: &Head) -> Option<Confidence> {
        if !head.is_markup() {
            return None;
        }
        let text = head.text();
        if head.root_element() == "html"
            || text.starts_with("<!doctype html")
            || text.contains("<html")
            || text.contains("<body")
            || text.contains("<head")
        {
            return Some(Confidence::Shape);
        }
        // Markup of no known kind: an HTML fragment, if the server says so.
        head.content_type()
            .contains("html")
            .then_some(Confidence::ContentType)
    }

    fn conditional(&self) -> bool {
        false
    }

    fn parse(&self, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
        parse(bytes, ctx)
    }
}

/// Parse one HTML page.
pub fn parse(bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    let content_type = ctx.content_type.as_deref();
    let decoded = crate::decode::decode_checked(bytes, content_type);
    let source = decoded.text;
    if source.trim().is_empty() {
        return Ok(Parsed::default());
    }
    if !looks_like_html(bytes, &source, content_type) {
        return Err(ParseError::WrongKind {
            expected: HtmlKind.describe(),
            found: crate::sniff::describe(bytes, content_type),
        });
    }
    let (flat, flattened) = nesting::flatten(&source);
    let doc = Html::parse_document(&flat);
    let scan = Scan::run(&doc);

    let page_url = Url::parse(ctx.url.trim()).ok();
    let base = match (scan.base_href, &page_url) {
        (Some(href), Some(page)) => page.join(href.trim()).ok().or_else(|| page_url.clone()),
        (Some(href), None) => Url::parse(href.trim()).ok(),
        (None, page) => page.clone(),
    };
    let page_lang = scan.lang.map(str::trim).filter(|l| !l.is_empty());
    let env = Env {
        base: base.as_ref(),
        today: ctx.today,
        page_lang,
    };
    let mut parsed = Parsed::default();
    if let Some(invalid) = decoded.invalid_utf8 {
        parsed.warnings.push(ParseWarning {
            line: Some(invalid.first_line),
            message: invalid.to_string(),
        });
    }
    if flattened > 0 {
        parsed.warnings.push(ParseWarning {
            line: None,
            message: format!(
                "{flattened} elements nested deeper than {} levels were flattened",
                nesting::MAX_NESTING
            ),
        });
    }

    // 1. JSON-LD.
    let mut blocks = Vec::new();
    for script in &scan.scripts {
        let raw: String = script.text().collect();
        match jsonld::parse_block(&raw) {
            Ok(v) => blocks.push(v),
            Err(e) => parsed.warnings.push(ParseWarning {
                line: line_of(&source, &raw),
                message: format!("a JSON-LD block could not be read: {e}"),
            }),
        }
    }
    let mut found: Vec<Candidate> = Vec::new();
    schema::map_roots(&blocks, &env, &mut found, &mut parsed.warnings);

    // 2. Microdata, 3. h-event: merged into what JSON-LD gave.
    let items: Vec<Value> = scan.items.iter().map(|i| microdata::item(*i)).collect();
    let hevents: Vec<Value> = scan.hevents.iter().map(|h| hevent::event(*h)).collect();
    for roots in [items, hevents] {
        let mut more = Vec::new();
        schema::map_roots(&roots, &env, &mut more, &mut parsed.warnings);
        for c in more {
            merge(&mut found, c);
        }
    }

    // 4. Selectors.
    let mut undated: Vec<Candidate> = Vec::new();
    if let Some(sel) = &ctx.selectors {
        let page = page_url.as_ref().map(Url::as_str);
        let got = selectors::extract(&doc, sel, base.as_ref(), page, ctx.today)?;
        parsed.warnings.extend(got.warnings);
        for c in got.events {
            if c.dated {
                merge(&mut found, c);
            } else if let Some(f) = found.iter_mut().find(|f| same_undated(f, &c)) {
                fill(&mut f.ev, c.ev);
            } else if c.ev.url.is_some() {
                if !undated.iter().any(|u| u.ev.url == c.ev.url) {
                    undated.push(c);
                }
            } else {
                parsed.warnings.push(ParseWarning {
                    line: None,
                    message: format!(
                        "event {:?} has neither a date nor a link to its page",
                        c.ev.title
                    ),
                });
            }
        }
    }

    // A page with one event is that event's page.
    if found.len() == 1 {
        if let (Some(c), Some(page)) = (found.first_mut(), &page_url) {
            if c.ev.url.is_none() {
                c.ev.url = Some(page.to_string());
            }
        }
    }
    parsed.events = finish(found);
    for c in undated {
        if let Some(url) = c.ev.url.clone() {
            let mut ev = c.ev;
            ev.uid = url.clone();
            parsed.links.push(Link::Detail {
                url,
                uid: ev.uid.clone(),
            });
            parsed.undated.push(ev);
        }
    }
    if let Some(next) = scan.next.and_then(|n| resolve_url(base.as_ref(), n)) {
        if page_url.as_ref().map(Url::as_str) != Some(next.as_str()) {
            parsed.links.insert(0, Link::NextPage(next));
        }
    }
    crate::bounds::bound_parsed(&mut parsed);
    Ok(parsed)
}

/// HTML, or at least not another kind we know (an HTML fragment passes).
fn looks_like_html(bytes: &[u8], text: &str, content_type: Option<&str>) -> bool {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype html") || head.contains("<body") {
        return true;
    }
    if let Some(kind) = crate::sniff::sniff(bytes, content_type) {
        return kind.is(&HtmlKind);
    }
    let t = head.trim_start_matches('\u{feff}').trim_start();
    !(t.starts_with('{') || t.starts_with('[') || t.starts_with("<?xml")) && t.contains('<')
}

/// The 1-based line where a script's text starts in the page.
fn line_of(source: &str, raw: &str) -> Option<usize> {
    let probe = raw.trim_start();
    let end = probe.char_indices().nth(60).map_or(probe.len(), |(i, _)| i);
    let probe = probe.get(..end)?;
    if probe.is_empty() {
        return None;
    }
    let at = source.find(probe)?;
    Some(source.get(..at)?.matches('\n').count() + 1)
}

/// The feeds a page announces (`<link rel="alternate">` of type RSS, Atom
/// or iCalendar), as absolute URLs resolved against `base`, in page order:
/// what to suggest when a page itself gives no events.
pub fn announced_feeds(bytes: &[u8], base: Option<&Url>) -> Vec<String> {
    const TYPES: &[&str] = &[
        "application/rss+xml",
        "application/atom+xml",
        "text/calendar",
    ];
    let text = String::from_utf8_lossy(bytes);
    let doc = Html::parse_document(&text);
    let Ok(links) = scraper::Selector::parse("link[rel][href]") else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for link in doc.select(&links) {
        let el = link.value();
        let alternate = el.attr("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|w| w.eq_ignore_ascii_case("alternate"))
        });
        let feed_type = el.attr("type").is_some_and(|t| {
            let t = t.trim().to_ascii_lowercase();
            TYPES.iter().any(|k| t.starts_with(k))
        });
        if !(alternate && feed_type) {
            continue;
        }
        if let Some(url) = el.attr("href").and_then(|h| resolve_url(base, h)) {
            if !out.contains(&url) {
                out.push(url);
            }
        }
    }
    out
}

/// An absolute URL for `href` (http, https or file), resolved against `base`.
pub(crate) fn resolve_url(base: Option<&Url>, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') && base.is_none() {
        return None;
    }
    let url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https" | "file").then(|| url.to_string())
}

/// What one walk over the document collects.
#[derive(Default)]
struct Scan<'a> {
    scripts: Vec<ElementRef<'a>>,
    items: Vec<ElementRef<'a>>,
    hevents: Vec<ElementRef<'a>>,
    /// The next page's href: `<link rel=next>`, else `<a rel=next>`, else a pager.
    next: Option<&'a str>,
    base_href: Option<&'a str>,
    lang: Option<&'a str>,
}

impl<'a> Scan<'a> {
    fn run(doc: &'a Html) -> Scan<'a> {
        let mut scan = Scan::default();
        let mut next_rank = u8::MAX;
        for el in doc.root_element().descendent_elements() {
            let v = el.value();
            match v.name() {
                "script" if v.attr("type").is_some_and(jsonld::is_jsonld_type) => {
                    scan.scripts.push(el);
                }
                "base" if scan.base_href.is_none() => {
                    scan.base_href = v.attr("href");
                }
                "html" if scan.lang.is_none() => {
                    scan.lang = v.attr("lang").or_else(|| v.attr("xml:lang"));
                }
                "link" | "a" => {
                    if let (Some(rank), Some(href)) = (next_rank_of(el), v.attr("href")) {
                        if rank < next_rank {
                            next_rank = rank;
                            scan.next = Some(href);
                        }
                    }
                }
                _ => {}
            }
            if v.attr("itemscope").is_some() && v.attr("itemprop").is_none() {
                scan.items.push(el);
            }
            if hevent::is_root(el) {
                scan.hevents.push(el);
            }
        }
        scan
    }
}

/// How surely a link points at the next page (lower is surer), if it does.
fn next_rank_of(el: ElementRef<'_>) -> Option<u8> {
    let v = el.value();
    let rel_next = v
        .attr("rel")
        .is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("next")));
    if rel_next {
        return Some(if v.name() == "link" { 0 } else { 1 });
    }
    if v.name() != "a" {
        return None;
    }
    let has = |e: ElementRef<'_>, c: &str| e.value().classes().any(|x| x == c);
    if has(el, "tribe-events-c-nav__next") || (has(el, "next") && has(el, "page-numbers")) {
        return Some(2);
    }
    let ancestors = || el.ancestors().filter_map(ElementRef::wrap).take(4);
    if has(el, "next") && ancestors().any(|a| has(a, "pagination") || has(a, "pager")) {
        return Some(2);
    }
    if ancestors()
        .take(2)
        .any(|a| has(a, "pager__item--next") || has(a, "pager-next"))
    {
        return Some(2);
    }
    None
}

fn norm_title(t: &str) -> String {
    t.to_lowercase()
}

/// The same event found twice on the page?
fn same(a: &Candidate, b: &Candidate) -> bool {
    if let (Some(x), Some(y)) = (&a.id, &b.id) {
        return x == y && a.ev.start == b.ev.start;
    }
    if a.ev.start.as_written() != b.ev.start.as_written() {
        return false;
    }
    matches!((&a.ev.url, &b.ev.url), (Some(x), Some(y)) if x == y)
        || norm_title(&a.ev.title) == norm_title(&b.ev.title)
}

/// An undated selector record that structured data already gave?
fn same_undated(found: &Candidate, c: &Candidate) -> bool {
    matches!((&found.ev.url, &c.ev.url), (Some(x), Some(y)) if x == y)
        || norm_title(&found.ev.title) == norm_title(&c.ev.title)
}

fn merge(found: &mut Vec<Candidate>, c: Candidate) {
    match found.iter_mut().find(|f| same(f, &c)) {
        Some(f) => {
            if f.id.is_none() {
                f.id = c.id;
            }
            fill(&mut f.ev, c.ev);
        }
        None => found.push(c),
    }
}

/// Fill what `base` lacks from `other`.
fn fill(base: &mut RawEvent, other: RawEvent) {
    fn opt<T>(a: &mut Option<T>, b: Option<T>) {
        if a.is_none() {
            *a = b;
        }
    }
    opt(&mut base.description, other.description);
    opt(&mut base.end, other.end);
    opt(&mut base.duration_secs, other.duration_secs);
    opt(&mut base.location, other.location);
    opt(&mut base.address, other.address);
    opt(&mut base.city, other.city);
    opt(&mut base.geo, other.geo);
    opt(&mut base.url, other.url);
    opt(&mut base.image, other.image);
    opt(&mut base.status, other.status);
    opt(&mut base.organizer, other.organizer);
    opt(&mut base.price, other.price);
    opt(&mut base.language, other.language);
    if base.categories.is_empty() {
        base.categories = other.categories;
    }
    if base.rrule.is_empty() {
        base.rrule = other.rrule;
        base.exdate = other.exdate;
    }
}

/// Settle each event's uid (see the module docs) and drop exact repeats.
fn finish(found: Vec<Candidate>) -> Vec<RawEvent> {
    let mut events: Vec<RawEvent> = Vec::with_capacity(found.len());
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for c in found {
        let mut ev = c.ev;
        ev.uid = match (c.id, &ev.url) {
            (Some(id), _) => id,
            (None, Some(url)) => url.clone(),
            (None, None) => model::ids::fallback_uid(
                &ev.title,
                &ev.start
                    .as_written()
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string(),
                ev.location.as_deref().unwrap_or(""),
            ),
        };
        // The same uid and the same start: one event found twice.
        if seen.insert((ev.uid.clone(), format!("{:?}", ev.start))) {
            events.push(ev);
        }
    }
    let mut count: HashMap<String, usize> = HashMap::new();
    for e in &events {
        *count.entry(e.uid.clone()).or_default() += 1;
    }
    for e in &mut events {
        if count.get(&e.uid).is_some_and(|n| *n > 1) {
            let at = e.start.as_written();
            let suffix = if e.start.is_date() {
                at.format("%Y-%m-%d").to_string()
            } else {
                at.format("%Y-%m-%dT%H:%M").to_string()
            };
            e.uid = format!("{}#{suffix}", e.uid);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Selectors;
    use chrono::NaiveDate;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default()
    }

    fn ctx(url: &str, selectors: Option<Selectors>) -> ParseContext {
        ParseContext {
            content_type: Some("text/html".into()),
            url: url.into(),
            lang: None,
            selectors,
            today: today(),
        }
    }

    #[test]
    fn other_kinds_are_refused() {
        let c = ctx("https://example.org/", None);
        for body in [
            &b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"[..],
            b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel></channel></rss>",
            b"{\"events\": []}",
            b"just some text",
        ] {
            match parse(body, &c) {
                Err(ParseError::WrongKind { expected, .. }) => assert_eq!(expected, "an HTML page"),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
        assert_eq!(parse(b"", &c), Ok(Parsed::default()));
        assert_eq!(parse(b"  \n", &c), Ok(Parsed::default()));
        let fragment = parse(b"<div class=\"h-event\"><span class=\"p-name\">X</span><time class=\"dt-start\" datetime=\"2026-12-01\"></time></div>", &c);
        assert_eq!(fragment.map(|p| p.events.len()), Ok(1));
    }

    #[test]
    fn a_bad_selector_names_itself() {
        let sel = Selectors {
            event: Some("article.event".into()),
            title: Some("h2[".into()),
            ..Selectors::default()
        };
        match parse(
            b"<html><body></body></html>",
            &ctx("https://example.org/", Some(sel)),
        ) {
            Err(ParseError::Malformed { message, .. }) => {
                assert!(
                    message.contains("title") && message.contains("h2["),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        let sel = Selectors {
            event: Some("..".into()),
            ..Selectors::default()
        };
        assert!(matches!(
            parse(b"<html></html>", &ctx("https://example.org/", Some(sel))),
            Err(ParseError::Malformed { .. })
        ));
    }

    #[test]
    fn a_detail_page_read_with_selectors_is_one_event_with_the_page_url() {
        let sel = Selectors {
            event: Some("article.event".into()),
            title: Some("h1".into()),
            start: Some(".quand time@datetime".into()),
            location: Some(".salle".into()),
            ..Selectors::default()
        };
        let page = b"<html><body><h1>Hamlet</h1><p class=quand><time datetime=\"2027-02-03T20:00\">3 fevrier</time></p><p class=salle>Grande salle</p></body></html>";
        let url = "https://theatredesmuses.example/spectacles/hamlet?saison=2026";
        let parsed = parse(page, &ctx(url, Some(sel))).unwrap_or_default();
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(parsed.events[0].uid, url);
        assert_eq!(parsed.events[0].location.as_deref(), Some("Grande salle"));
    }

    #[test]
    fn structured_data_wins_and_selectors_fill_the_gaps() {
        let sel = Selectors {
            event: Some("article".into()),
            title: Some("h2".into()),
            start: Some("time@datetime".into()),
            image: Some("img@src".into()),
            location: Some(".lieu".into()),
            ..Selectors::default()
        };
        let page = br#"<html><head><script type="application/ld+json">
            {"@type":"Event","name":"Concert","startDate":"2026-12-05T20:00","location":"Salle A"}
            </script></head><body>
            <article><h2>concert</h2><time datetime="2026-12-05T20:00"></time><p class=lieu>Autre salle</p><img src="/a.jpg"></article>
            </body></html>"#;
        let parsed = parse(page, &ctx("https://example.org/p", Some(sel))).unwrap_or_default();
        assert_eq!(parsed.events.len(), 1, "{:?}", parsed.events);
        let ev = &parsed.events[0];
        assert_eq!(ev.title, "Concert");
        assert_eq!(ev.location.as_deref(), Some("Salle A"));
        assert_eq!(ev.image.as_deref(), Some("https://example.org/a.jpg"));
    }

    #[test]
    fn one_url_with_several_dates_gets_the_start_in_its_uid() {
        let page = br#"<html><script type="application/ld+json">[
            {"@type":"TheaterEvent","name":"Hamlet","url":"/hamlet","startDate":"2027-02-03T20:00"},
            {"@type":"TheaterEvent","name":"Hamlet","url":"/hamlet","startDate":"2027-02-04T20:00"},
            {"@type":"TheaterEvent","name":"Hamlet","url":"/hamlet","startDate":"2027-02-04T20:00"},
            {"@type":"CourseInstance","name":"Cours","startDate":"2027-02-04"},
            {"@type":"Event","startDate":"2027-02-04"},
            {"@type":"Event","name":"Sans date"}
            ]</script></html>"#;
        let parsed = parse(page, &ctx("https://example.org/", None)).unwrap_or_default();
        let uids: Vec<&str> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(
            uids,
            [
                "https://example.org/hamlet#2027-02-03T20:00",
                "https://example.org/hamlet#2027-02-04T20:00"
            ]
        );
        assert_eq!(parsed.warnings.len(), 2, "{:?}", parsed.warnings);
    }

    #[test]
    fn cycles_of_sub_events_end() {
        let page = br##"<html><script type="application/ld+json">{"@graph": [
            {"@type":"Festival","@id":"#a","name":"A","startDate":"2027-02-03",
             "subEvent":[{"@id":"#b"},{"@id":"#b"},{"@id":"#a"}]},
            {"@type":"Event","@id":"#b","name":"B","startDate":"2027-02-04",
             "subEvent":[{"@id":"#a"},{"@id":"#b"},{"@id":"#a"}], "superEvent": {"@id":"#a"}}
            ]}</script></html>"##;
        let parsed = parse(page, &ctx("https://example.org/f", None)).unwrap_or_default();
        let uids: Vec<&str> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["https://example.org/f#a", "https://example.org/f#b"]);
    }

    #[test]
    fn events_without_id_or_url_get_a_fallback_uid() {
        let page = br#"<html><script type="application/ld+json">[
            {"@type":"Event","name":"A","startDate":"2027-02-03","location":"Ici"},
            {"@type":"Event","name":"B","startDate":"2027-02-03"}]</script></html>"#;
        let parsed = parse(page, &ctx("not a url", None)).unwrap_or_default();
        assert_eq!(parsed.events.len(), 2);
        let expected = model::ids::fallback_uid("A", "2027-02-03T00:00:00", "Ici");
        assert_eq!(parsed.events[0].uid, expected);
        assert!(parsed.events[1].uid.starts_with("hash:"));
    }

    #[test]
    fn a_large_listing_is_read_quickly() {
        let mut page = String::from(
            "<!DOCTYPE html><html lang=fr><head><script type=\"application/ld+json\">[",
        );
        for i in 0..120 {
            if i > 0 {
                page.push(',');
            }
            page.push_str(&format!(
                "{{\"@type\":\"Event\",\"name\":\"Spectacle n&deg; {i}\",\"url\":\"/e/{i}\",\"startDate\":\"2027-01-{:02}T20:00:00-05:00\",\"location\":{{\"@type\":\"Place\",\"name\":\"Salle\",\"address\":{{\"streetAddress\":\"1 rue\",\"addressLocality\":\"Laval\"}}}}}}",
                i % 28 + 1
            ));
        }
        page.push_str("]</script></head><body>");
        while page.len() < 100_000 {
            page.push_str("<div class=\"card\"><h3>Titre</h3><p>Un paragraphe de texte ordinaire pour remplir la page.</p><a href=\"/x\">lien</a></div>\n");
        }
        page.push_str("</body></html>");
        let c = ctx("https://example.org/", None);
        let started = std::time::Instant::now();
        let parsed = parse(page.as_bytes(), &c).unwrap_or_default();
        let took = started.elapsed();
        assert_eq!(parsed.events.len(), 120);
        assert_eq!(parsed.events[3].title, "Spectacle n° 3");
        // Generous: a debug build on a busy machine, document parsing included.
        assert!(took.as_millis() < 2000, "{took:?}");
    }

    // -----------------------------------------------------------------------
    // Hostile pages: bounded, never a panic or a stack overflow.

    const GOOD_EVENT: &str = r#"<script type="application/ld+json">{"@context":"https://schema.org",
        "@type":"Event","name":"Concert","startDate":"2026-12-05T20:00:00-05:00",
        "url":"https://example.org/c"}</script>"#;

    #[test]
    fn a_hundred_thousand_nested_tags_are_read() {
        let n = 100_000;
        for open in [
            "<div>",
            "<div itemscope itemprop=x>",
            "<div class=\"h-event\">",
            "<span>",
        ] {
            let page = format!(
                "<html><head>{GOOD_EVENT}</head><body>{}deep{}</body></html>",
                open.repeat(n),
                "</div>".repeat(n)
            );
            let parsed = parse(page.as_bytes(), &ctx("https://example.org/p", None)).unwrap();
            assert!(
                parsed.events.iter().any(|e| e.title == "Concert"),
                "{open}: {:?}",
                parsed.warnings
            );
            assert!(
                parsed.warnings.iter().any(|w| w
                    .message
                    .contains("elements nested deeper than 512 levels were flattened")),
                "{open}: {:?}",
                parsed.warnings
            );
        }
    }

    #[test]
    fn json_ld_ten_thousand_levels_deep_is_a_warning() {
        let deep = format!(
            r#"<script type="application/ld+json">{}{}</script>"#,
            r#"{"@type":"Event","about":"#.repeat(10_000),
            "}".repeat(10_000)
        );
        let page = format!("<html><head>{GOOD_EVENT}{deep}</head><body></body></html>");
        let parsed = parse(page.as_bytes(), &ctx("https://example.org/p", None)).unwrap();
        assert!(parsed.events.iter().any(|e| e.title == "Concert"));
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.message.contains("a JSON-LD block could not be read")),
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn declared_utf8_with_invalid_bytes_and_overlong_fields_warn() {
        let long = "n".repeat(3_000);
        let mut page = format!(
            r#"<html><head><meta charset="utf-8"><script type="application/ld+json">
            {{"@type":"Event","name":"{long}","startDate":"2026-12-05T20:00:00-05:00",
            "url":"https://example.org/c","location":{{"@type":"Place","name":"{long}"}}}}</script>
            </head><body><p>"#
        )
        .into_bytes();
        page.extend_from_slice(b"caf\xff</p></body></html>");
        let parsed = parse(&page, &ctx("https://example.org/p", None)).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.title.chars().count(), crate::bounds::MAX_TITLE_CHARS);
        assert_eq!(e.location.as_deref().map(str::len), Some(2_000));
        let all: Vec<String> = parsed.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            all.iter()
                .any(|w| w.contains("declared UTF-8 but holds 1 invalid byte sequence")),
            "{all:?}"
        );
        assert!(all.iter().any(|w| w.contains(": title cut")), "{all:?}");
        assert!(all.iter().any(|w| w.contains(": location cut")), "{all:?}");
    }
}
