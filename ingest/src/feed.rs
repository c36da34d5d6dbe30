//! The `feed` source kind: RSS 0.9x/1.0/2.0, Atom and JSON Feed.
//!
//! Three passes over one document:
//! 1. **feed-rs** reads what every feed has (titles, links, guids, content,
//!    media, categories, language). A document that feed-rs rejects is
//!    repaired once ([`repair_xml`]: bare `&` escaped, a truncated or broken
//!    document cut after its last complete item and closed) and parsed again.
//! 2. **quick-xml** reads, per item, the namespaced extensions feed-rs drops:
//!    the RSS event module (`ev:startdate`, `ev:enddate`, `ev:location`,
//!    `ev:organizer`, `ev:type`), xCal (`xcal:dtstart`, `xcal:dtend`,
//!    `xcal:location`), georss (`georss:point`, `geo:lat`/`geo:long`) and
//!    `xml:lang`. For JSON Feed, serde_json reads the `_event` extension
//!    object (`start`, `end`, `location`).
//! 3. An adapter maps each item onto a [`RawEvent`]:
//!    * identity: guid (Atom/JSON `id`), else the link, else
//!      `fallback_uid(title, "", "")`;
//!    * dates: from the event module or xCal (ISO 8601: an offset gives
//!      `Offset`, `Z` gives `Utc`, a date gives `Date`, no offset gives
//!      `Floating`). Without them the item gets a [`Link::Detail`] to its
//!      page, and goes to `events` when its title or text carries a date in
//!      words ([`datetext::find_date`], with the item's publication day as
//!      reference), else to `undated`. The publication date is never the
//!      event's date. An item with neither dates, nor link, nor a date in
//!      its text is news, not an event: it is dropped with a warning.
//!
//! `rel="next"` links (Atom, or `atom:link` inside RSS; `next_url` in JSON
//! Feed) become [`Link::NextPage`].

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use feed_rs::model::{Entry, Feed};
use model::{ids::fallback_uid, GeoPoint, RawEvent, TimeValue};
use quick_xml::events::Event as XmlEvent;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Reader};
use scraper::{Html, Selector};
use serde_json::Value;
use textkit::{html_to_text, parse_iso};

use crate::datetext;
use crate::decode::Decoded;
use crate::kind::Kind;
use crate::sniff::{Confidence, Head};
use crate::{Link, ParseContext, ParseError, ParseWarning, Parsed};

const EXPECTED: &str = "an RSS, Atom or JSON feed";

const NS_EV: &str = "http://purl.org/rss/1.0/modules/event/";
const NS_XCAL: &str = "urn:ietf:params:xml:ns:xcal";
const NS_GEORSS: &str = "http://www.georss.org/georss";
const NS_GEO: &str = "http://www.w3.org/2003/01/geo/wgs84_pos#";
const NS_ATOM: &str = "http://www.w3.org/2005/atom";
const NS_RSS1: &str = "http://purl.org/rss/1.0/";
const NS_RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const NS_RSS2: &str = "http://backend.userland.com/rss2";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss";

/// The `feed` kind: RSS, Atom or JSON Feed, over its `next` pages.
pub struct FeedKind;

impl Kind for FeedKind {
    fn name(&self) -> &'static str {
        "feed"
    }

    fn describe(&self) -> &'static str {
        "an RSS/Atom feed"
    }

    fn sniff(&self, head: &Head) -> Option<Confidence> {
        if head.is_json() {
            return head
                .text()
                .contains("jsonfeed.org/version")
                .then_some(Confidence::Declared);
        }
        if !head.is_markup() {
            return None;
        }
        if matches!(head.root_element(), "rss" | "feed" | "rdf:rdf" | "rdf") {
            return Some(Confidence::Declared);
        }
        // A feed behind something else at the root (a stylesheet, a wrapper):
        // less sure than an HTML page's own tags.
        let text = head.text();
        (text.contains("<rss") || text.contains("<feed")).then_some(Confidence::Mention)
    }

    fn conditional(&self) -> bool {
        true
    }

    fn parse(&self, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
        parse(bytes, ctx)
    }
}

/// Parse one document of this kind.
pub fn parse(bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    let content_type = ctx.content_type.as_deref();
    let decoded = decode(bytes, content_type);
    let body = decoded.text.trim_start_matches('\u{feff}').trim_start();
    let wrong = || ParseError::WrongKind {
        expected: EXPECTED,
        found: crate::sniff::describe(bytes, content_type),
    };
    let mut warnings = Vec::new();
    if let Some(invalid) = decoded.invalid_utf8 {
        warnings.push(ParseWarning {
            line: Some(invalid.first_line),
            message: invalid.to_string(),
        });
    }
    let mut parsed = match body.chars().next() {
        Some('{') => parse_json(body, ctx).map_err(|e| e.unwrap_or_else(wrong))?,
        Some('<') => {
            let (body, refused) = refuse_entities(body);
            warnings.extend(refused);
            parse_xml(&body, ctx).map_err(|e| e.unwrap_or_else(wrong))?
        }
        _ => return Err(wrong()),
    };
    warnings.append(&mut parsed.warnings);
    parsed.warnings = warnings;
    crate::bounds::bound_parsed(&mut parsed);
    Ok(parsed)
}

// ---------------------------------------------------------------------------
// Entities

/// Remove a DOCTYPE that declares entities (or names an external DTD
/// together with an internal subset), so that nothing downstream can expand
/// them: the "billion laughs" (entities defined by entities, exponentially)
/// and external entities (`SYSTEM "file:///etc/passwd"`) alike. References
/// to the entities it declared are escaped, so they show as written
/// (`&lol9;`) instead of breaking the parse. A DOCTYPE without an internal
/// subset (RSS 0.91's `PUBLIC ... rss-0.91.dtd`) is left alone: no parser
/// here reads external DTDs. One pass, linear in the document.
fn refuse_entities(text: &str) -> (Cow<'_, str>, Option<ParseWarning>) {
    let Some((start, end)) = doctype_span(text) else {
        return (Cow::Borrowed(text), None);
    };
    let decl = text.get(start..end).unwrap_or_default();
    let Some(subset_at) = decl.find('[') else {
        return (Cow::Borrowed(text), None);
    };
    let subset = decl.get(subset_at..).unwrap_or_default();
    let names: std::collections::HashSet<&str> = subset
        .match_indices("<!ENTITY")
        .filter_map(|(at, _)| {
            let rest = subset.get(at + "<!ENTITY".len()..)?.trim_start();
            // A parameter entity (`<!ENTITY % name ...>`) is only usable
            // inside the DTD, which is removed whole.
            let rest = rest.strip_prefix('%').map(str::trim_start).unwrap_or(rest);
            let len = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '"' || c == '\'')
                .unwrap_or(rest.len());
            rest.get(..len).filter(|n| !n.is_empty())
        })
        .collect();
    let external = subset.contains("SYSTEM") || subset.contains("PUBLIC");
    let head = text.get(..start).unwrap_or_default();
    let tail = text.get(end..).unwrap_or_default();
    let mut out = String::with_capacity(text.len() - (end - start));
    out.push_str(head);
    // Escape `&name;` for each declared name.
    let mut rest = tail;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        let name_len = after.find(';').filter(|&n| n <= 64).unwrap_or(0);
        let name = after.get(..name_len).unwrap_or_default();
        if name_len > 0 && names.contains(name) {
            out.push_str("&amp;");
        } else {
            out.push('&');
        }
        rest = after;
    }
    out.push_str(rest);
    let line = 1 + head.matches('\n').count();
    let message = format!(
        "DOCTYPE removed: it declares {} entit{}{}; entity expansion is refused and \
         references to them are kept as written",
        names.len(),
        if names.len() == 1 { "y" } else { "ies" },
        if external {
            ", some external (never read)"
        } else {
            ""
        }
    );
    (
        Cow::Owned(out),
        Some(ParseWarning {
            line: Some(line),
            message,
        }),
    )
}

/// Byte span of the `<!DOCTYPE ...>` declaration in the prolog (after the
/// XML declaration, comments and processing instructions), internal subset
/// included: quotes and brackets are followed so that a `>` inside an
/// entity value does not end it. None when there is none, or it never ends.
fn doctype_span(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let rest = bytes.get(i..)?;
        if rest.starts_with(b"<?") {
            i += rest.windows(2).position(|w| w == b"?>")? + 2;
        } else if rest.starts_with(b"<!--") {
            i += rest.windows(3).position(|w| w == b"-->")? + 3;
        } else if rest.len() >= 9 && rest.get(..9)?.eq_ignore_ascii_case(b"<!DOCTYPE") {
            break;
        } else {
            return None;
        }
    }
    let start = i;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut j = start + 9;
    while let Some(&b) = bytes.get(j) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'[') => depth += 1,
            (None, b']') => depth = depth.saturating_sub(1),
            (None, b'>') if depth == 0 => return Some((start, j + 1)),
            _ => {}
        }
        j += 1;
    }
    None
}

// ---------------------------------------------------------------------------
// Decoding

/// Bytes to UTF-8 text: a BOM, else the XML declaration's `encoding`, else
/// [`crate::decode::decode`] (Content-Type charset, UTF-8, Windows-1252).
/// The XML declaration is rewritten to say UTF-8, so that feed-rs does not
/// decode the text a second time.
fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    let decoded = if encoding_rs::Encoding::for_bom(bytes).is_some() {
        crate::decode::decode_checked(bytes, None)
    } else if let Some(enc) = declared_encoding(bytes) {
        if enc == encoding_rs::UTF_8 {
            // Declared UTF-8: invalid bytes are counted, the valid text is
            // never garbled (a pasted Latin-1 line is read as such).
            crate::decode::declared_utf8(bytes)
        } else {
            Decoded {
                text: enc.decode_without_bom_handling(bytes).0.into_owned(),
                invalid_utf8: None,
            }
        }
    } else {
        crate::decode::decode_checked(bytes, content_type)
    };
    Decoded {
        text: rewrite_declaration(decoded.text),
        invalid_utf8: decoded.invalid_utf8,
    }
}

/// The `encoding` of an `<?xml ...?>` declaration at the start of `bytes`.
fn declared_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = bytes.get(..bytes.len().min(256)).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start();
    if !head.starts_with("<?xml") {
        return None;
    }
    let decl = head.get(..head.find("?>")?)?;
    let after = decl.get(decl.find("encoding")? + "encoding".len()..)?;
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = after.get(1..)?;
    let label = value.get(..value.find(quote)?)?;
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
}

fn rewrite_declaration(text: String) -> String {
    let start = text.len()
        - text
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .len();
    let rest = text.get(start..).unwrap_or_default();
    if !rest.starts_with("<?xml") {
        return text;
    }
    match rest.find("?>") {
        Some(end) if !rest.get(..end).unwrap_or_default().contains('\n') => {
            let tail = rest.get(end + 2..).unwrap_or_default();
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{tail}")
        }
        _ => text,
    }
}

// ---------------------------------------------------------------------------
// feed-rs

fn run_feed_rs(text: &str, ctx: &ParseContext) -> Result<Feed, feed_rs::parser::ParseFeedError> {
    let today = ctx.today;
    let mut builder = feed_rs::parser::Builder::new()
        .sanitize_content(false)
        // An empty id tells the adapter that the item had no guid.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(move |s| parse_timestamp(s, today));
    // feed-rs fails on a base that is not an absolute URL (a local file).
    if url::Url::parse(&ctx.url).is_ok() {
        builder = builder.base_uri(Some(&ctx.url));
    }
    builder.build().parse(text.as_bytes())
}

/// Publication dates: RFC 2822 (also with a wrong or long weekday, a
/// French one, or "UTC"), RFC 3339, ISO 8601, or a date in words.
fn parse_timestamp(s: &str, today: NaiveDate) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // Drop a leading weekday ("Thurs, ", "sam., ") and retry.
    if let Some((_, rest)) = s.split_once(',') {
        let rest = rest.trim().replace("UTC", "+0000");
        if let Ok(dt) = DateTime::parse_from_rfc2822(&rest) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    let tv = parse_iso(s).or_else(|| datetext::find_date(s, today).map(|f| f.start))?;
    Some(match tv {
        TimeValue::Utc { at } => at,
        TimeValue::Offset { at } => at.with_timezone(&Utc),
        other => other.as_written().and_utc(),
    })
}

// ---------------------------------------------------------------------------
// XML

#[derive(Debug, PartialEq, Eq)]
enum Root {
    Feed,
    Other,
    None,
}

/// The kind of the first element of an XML document.
fn root_element(text: &str) -> Root {
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Start(e) | XmlEvent::Empty(e)) => {
                let name = e.local_name();
                return match name.as_ref() {
                    b"rss" | b"feed" | b"RDF" | b"entry" => Root::Feed,
                    _ => Root::Other,
                };
            }
            Ok(XmlEvent::Eof) | Err(_) => return Root::None,
            Ok(_) => {}
        }
    }
}

fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(pos)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// `Err(None)` means "not a feed" (the caller builds `WrongKind`).
fn parse_xml(text: &str, ctx: &ParseContext) -> Result<Parsed, Option<ParseError>> {
    match root_element(text) {
        Root::Feed => {}
        Root::Other => return Err(None),
        Root::None => {
            let lower = text
                .get(..text.len().min(4096))
                .unwrap_or(text)
                .to_ascii_lowercase();
            if lower.contains("<rss") || lower.contains("<feed") || lower.contains("<rdf:rdf") {
                return Err(Some(ParseError::Malformed {
                    line: None,
                    message: "the feed is cut or broken before its first element".to_string(),
                }));
            }
            return Err(None);
        }
    }
    let mut warnings = Vec::new();
    let (feed, used): (Feed, Cow<'_, str>) = match run_feed_rs(text, ctx) {
        Ok(feed) => (feed, Cow::Borrowed(text)),
        Err(first) => {
            let repair = repair_xml(text);
            let retried = repair
                .as_ref()
                .and_then(|r| run_feed_rs(&r.text, ctx).ok().map(|feed| (feed, r)));
            match retried {
                Some((feed, r)) => {
                    warnings.extend(r.warnings.iter().cloned());
                    (feed, Cow::Owned(r.text.clone()))
                }
                None => {
                    return Err(Some(ParseError::Malformed {
                        line: repair.and_then(|r| r.error_line),
                        message: first.to_string(),
                    }))
                }
            }
        }
    };
    let ext = scan_xml(&used);
    Ok(build(&feed, &ext.items, ext.lang, None, ctx, warnings))
}

/// A document made readable, and what was done to it.
#[derive(Debug)]
struct Repair {
    text: String,
    warnings: Vec<ParseWarning>,
    /// Where the document broke, when it did.
    error_line: Option<usize>,
}

/// Escape bare `&` (outside CDATA and comments), then cut a truncated or
/// broken document after its last complete item and close the elements
/// still open. None when there is nothing to repair.
fn repair_xml(text: &str) -> Option<Repair> {
    let (escaped, bare) = escape_bare_ampersands(text);
    let mut warnings = Vec::new();
    if bare > 0 {
        warnings.push(ParseWarning {
            line: None,
            message: format!("escaped {bare} bare '&' that the feed left unescaped"),
        });
    }
    let mut reader = Reader::from_str(&escaped);
    let mut stack: Vec<String> = Vec::new();
    let mut item_depth: Option<usize> = None;
    // A position where cutting keeps only complete items, and the elements
    // open there.
    let mut safe: (usize, Vec<String>) = (0, Vec::new());
    let mut broken_at: Option<usize> = None;
    loop {
        let event = reader.read_event();
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Ok(XmlEvent::Start(e)) => {
                let local = e.local_name();
                if item_depth.is_none() && matches!(local.as_ref(), b"item" | b"entry") {
                    item_depth = Some(stack.len());
                }
                stack.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Ok(XmlEvent::End(_)) => {
                stack.pop();
                if item_depth == Some(stack.len()) {
                    item_depth = None;
                }
            }
            Ok(XmlEvent::Eof) => {
                if !stack.is_empty() {
                    broken_at = Some(pos);
                }
                break;
            }
            Err(_) => {
                broken_at = Some(usize::try_from(reader.error_position()).unwrap_or(pos));
                break;
            }
            Ok(_) => {}
        }
        if item_depth.is_none() {
            safe = (pos, stack.clone());
        }
    }
    let error_line = broken_at.map(|p| line_of(&escaped, p));
    let text = match broken_at {
        None if bare == 0 => return None,
        None => escaped,
        Some(_) => {
            let (cut, open) = safe;
            if open.is_empty() {
                return Some(Repair {
                    text: escaped,
                    warnings,
                    error_line,
                });
            }
            let mut fixed = escaped.get(..cut).unwrap_or_default().to_string();
            for name in open.iter().rev() {
                fixed.push_str("</");
                fixed.push_str(name);
                fixed.push('>');
            }
            warnings.push(ParseWarning {
                line: error_line,
                message: "the feed is cut or broken here: read the items before it".to_string(),
            });
            fixed
        }
    };
    Some(Repair {
        text,
        warnings,
        error_line,
    })
}

/// Replace each `&` that does not start an entity or character reference
/// with `&amp;`, outside CDATA sections and comments. Returns the text and
/// how many were replaced.
fn escape_bare_ampersands(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len() + 16);
    let mut count = 0;
    let mut rest = text;
    while let Some(pos) = rest.find(['&', '<']) {
        let (before, here) = rest.split_at(pos);
        out.push_str(before);
        if here.starts_with('<') {
            let verbatim_end = if here.starts_with("<![CDATA[") {
                here.find("]]>").map(|e| e + 3)
            } else if here.starts_with("<!--") {
                here.find("-->").map(|e| e + 3)
            } else {
                Some(1)
            };
            let end = verbatim_end.unwrap_or(here.len());
            out.push_str(here.get(..end).unwrap_or(here));
            rest = here.get(end..).unwrap_or_default();
        } else {
            if starts_reference(here) {
                out.push('&');
            } else {
                out.push_str("&amp;");
                count += 1;
            }
            rest = here.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    (out, count)
}

/// Whether `s` (starting with '&') starts `&name;`, `&#123;` or `&#x1F;`.
fn starts_reference(s: &str) -> bool {
    let body = s.get(1..).unwrap_or_default();
    let Some(end) = body.get(..body.len().min(40)).and_then(|b| b.find(';')) else {
        return false;
    };
    let name = body.get(..end).unwrap_or_default();
    if let Some(num) = name.strip_prefix('#') {
        if let Some(hex) = num.strip_prefix(['x', 'X']) {
            return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
        }
        return !num.is_empty() && num.chars().all(|c| c.is_ascii_digit());
    }
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// What the quick-xml pass found in one item.
#[derive(Debug, Default, Clone, PartialEq)]
struct ItemExt {
    guid: Option<String>,
    link: Option<String>,
    start: Option<String>,
    end: Option<String>,
    location: Option<String>,
    address: Option<String>,
    organizer: Option<String>,
    kind: Option<String>,
    geo: Option<GeoPoint>,
    lat: Option<String>,
    lon: Option<String>,
    lang: Option<String>,
    /// media:content (image), media:thumbnail, or JSON Feed `image`.
    image: Option<String>,
    image_from_content: bool,
}

#[derive(Debug, Default)]
struct DocExt {
    items: Vec<ItemExt>,
    lang: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Ev,
    Xcal,
    GeoRss,
    Geo,
    Atom,
    Media,
    Plain,
    Other,
}

fn ns_kind(resolved: &ResolveResult<'_>) -> Ns {
    let uri = match resolved {
        ResolveResult::Unbound => return Ns::Plain,
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).to_ascii_lowercase(),
        // An undeclared prefix: go by the usual prefix.
        ResolveResult::Unknown(prefix) => {
            return match String::from_utf8_lossy(prefix)
                .to_ascii_lowercase()
                .as_str()
            {
                "ev" => Ns::Ev,
                "xcal" => Ns::Xcal,
                "georss" => Ns::GeoRss,
                "geo" => Ns::Geo,
                "media" => Ns::Media,
                _ => Ns::Other,
            }
        }
    };
    match uri.trim_end_matches('/') {
        u if u == NS_EV.trim_end_matches('/') => Ns::Ev,
        u if u == NS_XCAL => Ns::Xcal,
        u if u == NS_GEORSS => Ns::GeoRss,
        u if u == NS_GEO.trim_end_matches('#') || u == NS_GEO => Ns::Geo,
        u if u == NS_ATOM => Ns::Atom,
        u if u == NS_MEDIA => Ns::Media,
        u if u == NS_RSS1.trim_end_matches('/')
            || u == NS_RSS090.trim_end_matches('/')
            || u == NS_RSS2 =>
        {
            Ns::Plain
        }
        _ => Ns::Other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Guid,
    Link,
    Start,
    End,
    Location,
    Organizer,
    Kind,
    Point,
    Lat,
    Lon,
}

fn field_of(ns: Ns, local: &[u8], direct_child: bool) -> Option<Field> {
    Some(match (ns, local) {
        (Ns::Ev, b"startdate") => Field::Start,
        (Ns::Ev, b"enddate") => Field::End,
        (Ns::Ev, b"location") => Field::Location,
        (Ns::Ev, b"organizer") => Field::Organizer,
        (Ns::Ev, b"type") => Field::Kind,
        (Ns::Xcal, b"dtstart") => Field::Start,
        (Ns::Xcal, b"dtend") => Field::End,
        (Ns::Xcal, b"location") => Field::Location,
        (Ns::GeoRss, b"point") => Field::Point,
        (Ns::Geo, b"lat") => Field::Lat,
        (Ns::Geo, b"long" | b"lon") => Field::Lon,
        (Ns::Plain, b"guid") | (Ns::Atom, b"id") if direct_child => Field::Guid,
        (Ns::Plain, b"link") if direct_child => Field::Link,
        _ => return None,
    })
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.trim().to_string()))
        .filter(|v| !v.is_empty())
}

/// Second pass: the extensions of each item, in document order. Stops
/// quietly at the first XML error (feed-rs accepted the text, so there is
/// none in practice).
fn scan_xml(text: &str) -> DocExt {
    let mut doc = DocExt::default();
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut depth = 0usize;
    let mut item: Option<(usize, ItemExt)> = None;
    let mut capture: Option<(usize, Field, String)> = None;
    while let Ok((resolved, event)) = reader.read_resolved_event() {
        let ns = ns_kind(&resolved);
        match event {
            XmlEvent::Start(e) => {
                depth += 1;
                let local = e.local_name();
                if depth == 1 {
                    doc.lang = attr(&e, b"xml:lang");
                }
                match &mut item {
                    None => {
                        if matches!(local.as_ref(), b"item" | b"entry")
                            && matches!(ns, Ns::Plain | Ns::Atom)
                        {
                            let ext = ItemExt {
                                lang: attr(&e, b"xml:lang"),
                                ..ItemExt::default()
                            };
                            item = Some((depth, ext));
                        }
                    }
                    Some((item_depth, ext)) => {
                        if capture.is_none() {
                            let direct = depth == *item_depth + 1;
                            if ns == Ns::Atom && local.as_ref() == b"link" {
                                atom_link(&e, ext);
                            } else if ns == Ns::Media {
                                media_image(&e, ext);
                            } else if ns == Ns::Xcal && local.as_ref() == b"location" {
                                // xCal may nest the address in parameters.
                                if let Some(a) = attr(&e, b"altrep") {
                                    ext.address.get_or_insert(a);
                                }
                            }
                            if let Some(field) = field_of(ns, local.as_ref(), direct) {
                                capture = Some((depth, field, String::new()));
                            }
                        }
                    }
                }
            }
            XmlEvent::Empty(e) => {
                if let Some((_, ext)) = &mut item {
                    let local = e.local_name();
                    if ns == Ns::Atom && local.as_ref() == b"link" {
                        atom_link(&e, ext);
                    } else if ns == Ns::Media {
                        media_image(&e, ext);
                    }
                }
            }
            XmlEvent::Text(t) => {
                if let Some((_, _, buf)) = &mut capture {
                    if let Ok(s) = t.xml_content() {
                        buf.push_str(&s);
                    }
                }
            }
            XmlEvent::CData(t) => {
                if let Some((_, _, buf)) = &mut capture {
                    if let Ok(s) = t.decode() {
                        buf.push_str(&s);
                    }
                }
            }
            XmlEvent::GeneralRef(r) => {
                if let Some((_, _, buf)) = &mut capture {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => buf.push(c),
                        _ => {
                            let name = r.decode().unwrap_or_default();
                            match textkit::entities::named(&name) {
                                Some(c) => buf.push(c),
                                None => {
                                    buf.push('&');
                                    buf.push_str(&name);
                                    buf.push(';');
                                }
                            }
                        }
                    }
                }
            }
            XmlEvent::End(_) => {
                if let Some((cap_depth, field, buf)) = capture.take() {
                    if cap_depth == depth {
                        if let Some((_, ext)) = &mut item {
                            store(ext, field, buf);
                        }
                    } else {
                        capture = Some((cap_depth, field, buf));
                    }
                }
                if let Some((item_depth, _)) = &item {
                    if *item_depth == depth {
                        if let Some((_, ext)) = item.take() {
                            doc.items.push(finish(ext));
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    doc
}

fn atom_link(e: &quick_xml::events::BytesStart<'_>, ext: &mut ItemExt) {
    let rel = attr(e, b"rel");
    if matches!(rel.as_deref(), None | Some("alternate")) && ext.link.is_none() {
        ext.link = attr(e, b"href");
    }
}

/// `media:content` of an image (by `medium` or `type`) wins over a
/// `media:thumbnail` (feed-rs drops a thumbnail that has no content).
fn media_image(e: &quick_xml::events::BytesStart<'_>, ext: &mut ItemExt) {
    let Some(url) = attr(e, b"url") else {
        return;
    };
    match e.local_name().as_ref() {
        b"content" => {
            let medium = attr(e, b"medium");
            let kind = attr(e, b"type");
            let is_image = medium.as_deref() == Some("image")
                || kind.as_deref().is_some_and(|t| t.starts_with("image/"));
            if is_image && !ext.image_from_content {
                ext.image = Some(url);
                ext.image_from_content = true;
            }
        }
        b"thumbnail" if ext.image.is_none() => ext.image = Some(url),
        _ => {}
    }
}

fn store(ext: &mut ItemExt, field: Field, value: String) {
    let value = value.trim().to_string();
    if value.is_empty() {
        return;
    }
    let slot = match field {
        Field::Guid => &mut ext.guid,
        Field::Link => &mut ext.link,
        Field::Start => &mut ext.start,
        Field::End => &mut ext.end,
        Field::Location => &mut ext.location,
        Field::Organizer => &mut ext.organizer,
        Field::Kind => &mut ext.kind,
        Field::Lat => &mut ext.lat,
        Field::Lon => &mut ext.lon,
        Field::Point => {
            let mut parts = value.split([' ', ',']).filter(|p| !p.is_empty());
            let lat = parts.next().and_then(|p| p.parse::<f64>().ok());
            let lon = parts.next().and_then(|p| p.parse::<f64>().ok());
            if let (Some(lat), Some(lon)) = (lat, lon) {
                ext.geo = ext.geo.or(GeoPoint::new(lat, lon));
            }
            return;
        }
    };
    if slot.is_none() {
        *slot = Some(value);
    }
}

fn finish(mut ext: ItemExt) -> ItemExt {
    if ext.geo.is_none() {
        let lat = ext
            .lat
            .as_deref()
            .and_then(|s| s.trim().parse::<f64>().ok());
        let lon = ext
            .lon
            .as_deref()
            .and_then(|s| s.trim().parse::<f64>().ok());
        if let (Some(lat), Some(lon)) = (lat, lon) {
            ext.geo = GeoPoint::new(lat, lon);
        }
    }
    ext
}

// ---------------------------------------------------------------------------
// JSON Feed

/// `Err(None)` means "not a JSON Feed" (the caller builds `WrongKind`).
fn parse_json(text: &str, ctx: &ParseContext) -> Result<Parsed, Option<ParseError>> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            if text.contains("jsonfeed.org") {
                return Err(Some(ParseError::Malformed {
                    line: Some(e.line()),
                    message: format!("unable to parse JSON: {e}"),
                }));
            }
            return Err(None);
        }
    };
    let is_feed = value
        .get("version")
        .and_then(Value::as_str)
        .is_some_and(|v| v.contains("jsonfeed.org"));
    if !is_feed {
        return Err(None);
    }
    let feed = run_feed_rs(text, ctx).map_err(|e| {
        Some(ParseError::Malformed {
            line: None,
            message: e.to_string(),
        })
    })?;
    let items: Vec<ItemExt> = value
        .get("items")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(json_item_ext).collect())
        .unwrap_or_default();
    let next = value
        .get("next_url")
        .and_then(Value::as_str)
        .map(|u| resolve_url(u, &ctx.url));
    let lang = value
        .get("language")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(build(&feed, &items, lang, next, ctx, Vec::new()))
}

fn json_str(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_f64(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn json_item_ext(item: &Value) -> ItemExt {
    let mut ext = ItemExt {
        guid: json_str(item, "id"),
        link: json_str(item, "url"),
        lang: json_str(item, "language"),
        image: json_str(item, "image").or_else(|| json_str(item, "banner_image")),
        ..ItemExt::default()
    };
    let Some(event) = item.get("_event").filter(|e| e.is_object()) else {
        return ext;
    };
    ext.start = json_str(event, "start");
    ext.end = json_str(event, "end");
    ext.organizer = json_str(event, "organizer");
    ext.kind = json_str(event, "type");
    match event.get("location") {
        Some(Value::String(s)) if !s.trim().is_empty() => ext.location = Some(s.trim().to_string()),
        Some(loc @ Value::Object(_)) => {
            ext.location = json_str(loc, "name");
            ext.address = json_str(loc, "address");
            let lat = json_f64(loc, &["latitude", "lat"]);
            let lon = json_f64(loc, &["longitude", "lon", "lng"]);
            if let (Some(lat), Some(lon)) = (lat, lon) {
                ext.geo = GeoPoint::new(lat, lon);
            }
        }
        _ => {}
    }
    ext
}

// ---------------------------------------------------------------------------
// The adapter

fn resolve_url(href: &str, base: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(href.trim()))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| href.trim().to_string())
}

fn entry_link(entry: &Entry) -> Option<String> {
    entry
        .links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// The extension record of `entry`: same position when both passes saw as
/// many items, else the one with the same guid or link.
fn match_ext<'a>(
    index: usize,
    entry: &Entry,
    link: Option<&str>,
    exts: &'a [ItemExt],
    same_count: bool,
    base: &str,
) -> Option<&'a ItemExt> {
    if same_count {
        return exts.get(index);
    }
    let id = entry.id.trim();
    exts.iter()
        .find(|x| !id.is_empty() && x.guid.as_deref() == Some(id))
        .or_else(|| {
            let link = link?;
            exts.iter().find(|x| {
                x.link
                    .as_deref()
                    .is_some_and(|l| l == link || resolve_url(l, base) == link)
            })
        })
}

fn build(
    feed: &Feed,
    exts: &[ItemExt],
    doc_lang: Option<String>,
    next: Option<String>,
    ctx: &ParseContext,
    warnings: Vec<ParseWarning>,
) -> Parsed {
    let mut parsed = Parsed {
        warnings,
        ..Parsed::default()
    };
    let same_count = exts.len() == feed.entries.len();
    let empty = ItemExt::default();
    for (index, entry) in feed.entries.iter().enumerate() {
        let link = entry_link(entry);
        let ext =
            match_ext(index, entry, link.as_deref(), exts, same_count, &ctx.url).unwrap_or(&empty);
        let lang = ext
            .lang
            .clone()
            .or_else(|| entry.language.clone())
            .or_else(|| feed.language.clone())
            .or_else(|| doc_lang.clone())
            .or_else(|| ctx.lang.clone());
        item(entry, link, ext, lang, ctx, &mut parsed);
    }
    for l in &feed.links {
        if l.rel.as_deref() == Some("next") && !l.href.trim().is_empty() {
            parsed.links.push(Link::NextPage(l.href.trim().to_string()));
        }
    }
    if let Some(next) = next {
        if !parsed.links.contains(&Link::NextPage(next.clone())) {
            parsed.links.push(Link::NextPage(next));
        }
    }
    parsed
}

/// One item onto a record, into `events`, `undated` or nowhere.
fn item(
    entry: &Entry,
    link: Option<String>,
    ext: &ItemExt,
    language: Option<String>,
    ctx: &ParseContext,
    parsed: &mut Parsed,
) {
    let title = entry
        .title
        .as_ref()
        .map(|t| t.content.trim().to_string())
        .unwrap_or_default();
    let description = entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .filter(|b| !b.trim().is_empty())
        .or_else(|| {
            entry
                .summary
                .as_ref()
                .map(|s| s.content.clone())
                .filter(|s| !s.trim().is_empty())
        });
    let guid = Some(entry.id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    let uid = guid
        .or_else(|| link.clone())
        .unwrap_or_else(|| fallback_uid(&title, "", ""));
    let reference = entry
        .published
        .or(entry.updated)
        .map(|p| p.date_naive())
        .unwrap_or(ctx.today);

    let mut record = RawEvent::new(
        uid.clone(),
        title.clone(),
        TimeValue::Date { date: ctx.today },
    );
    record.description = description.clone();
    record.url = link.clone();
    record.language = language;
    record.location = ext.location.clone();
    record.address = ext.address.clone();
    record.organizer = ext.organizer.clone();
    record.geo = ext.geo;
    record.image = image_of(entry, ext, description.as_deref(), &ctx.url);
    record.categories = entry
        .categories
        .iter()
        .map(|c| {
            c.label
                .clone()
                .unwrap_or_else(|| c.term.clone())
                .trim()
                .to_string()
        })
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(kind) = &ext.kind {
        if !record.categories.contains(kind) {
            record.categories.push(kind.clone());
        }
    }

    // (1) The event module or xCal.
    if let Some(start) = &ext.start {
        let found = parse_iso(start)
            .map(|s| (s, None))
            .or_else(|| datetext::find_date(start, reference).map(|f| (f.start, f.end)));
        match found {
            Some((start, text_end)) => {
                record.start = start;
                record.end = ext
                    .end
                    .as_deref()
                    .and_then(|e| {
                        parse_iso(e).or_else(|| datetext::find_date(e, reference).map(|f| f.start))
                    })
                    .or(text_end);
                parsed.events.push(record);
                return;
            }
            None => parsed.warnings.push(ParseWarning {
                line: None,
                message: format!("item {uid:?}: unreadable event start date {start:?}"),
            }),
        }
    }

    // (2) The detail page, and meanwhile any date in the text.
    if let Some(url) = &link {
        parsed.links.push(Link::Detail {
            url: url.clone(),
            uid: uid.clone(),
        });
    }
    let found = datetext::find_date(&html_to_text(&title), reference).or_else(|| {
        description
            .as_deref()
            .and_then(|d| datetext::find_date(&html_to_text(d), reference))
    });
    match (found, &link) {
        (Some(found), _) => {
            record.start = found.start;
            record.end = found.end;
            parsed.events.push(record);
        }
        (None, Some(_)) => parsed.undated.push(record),
        // (3) News, not an event.
        (None, None) => parsed.warnings.push(ParseWarning {
            line: None,
            message: format!("item {title:?} has no event date and no link: skipped"),
        }),
    }
}

fn image_of(entry: &Entry, ext: &ItemExt, description: Option<&str>, base: &str) -> Option<String> {
    let is_image_url = |u: &str| {
        let path = u
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"]
            .iter()
            .any(|ext| path.ends_with(ext))
    };
    let media = entry.media.iter().find_map(|m| {
        m.content
            .iter()
            .find(|c| match (&c.content_type, &c.url) {
                (Some(t), Some(_)) => t.to_string().starts_with("image/"),
                (None, Some(u)) => is_image_url(u.as_str()),
                _ => false,
            })
            .and_then(|c| c.url.as_ref().map(|u| u.to_string()))
            .or_else(|| m.thumbnails.first().map(|t| t.image.uri.clone()))
    });
    media
        .or_else(|| ext.image.clone())
        .or_else(|| description.and_then(first_img_src))
        .map(|u| resolve_url(&u, base))
        .filter(|u| !u.is_empty())
}

/// The `src` of the first `<img>` in an HTML fragment that has one.
fn first_img_src(html: &str) -> Option<String> {
    static IMG: LazyLock<Option<Selector>> = LazyLock::new(|| Selector::parse("img[src]").ok());
    let img = IMG.as_ref()?;
    Html::parse_fragment(html)
        .select(img)
        .filter_map(|el| el.value().attr("src"))
        .map(str::trim)
        .find(|src| !src.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests;
