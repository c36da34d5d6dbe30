//! One source run's reading half: fetch, detect the kind, parse, follow
//! links (next pages, detail pages), bounded in count. What comes out are the
//! source's records as it lists them now; the caller normalizes and stores.
//!
//! Order of precedence for a record's date and place (feeds and listings):
//! the document's own structured data (RSS event module, JSON-LD on the
//! listing), then the detail page's structured data, then dates found in the
//! record's text.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use model::RawEvent;
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::bounds::MAX_RECORDS;
use crate::fetch::{FetchClient, FetchError, FetchOutcome, Fetched, Validators};
use crate::{html, kind, sniff, Link, ParseContext, ParseError, Parsed, SourceConfig, SourceKind};

/// A detail page remembered between runs: what it answered and what was
/// read from it.
#[derive(Clone, Debug, PartialEq)]
pub struct CachedPage {
    pub validators: Validators,
    pub events: Vec<RawEvent>,
    /// sha256 (hex) of the page's body.
    pub body_hash: String,
}

/// Where detail pages are remembered between runs (the store implements
/// it), so that an unchanged page costs a conditional request and a 304.
/// Calls are quick and synchronous; they run off the async threads.
pub trait PageCache: Send + Sync {
    fn get(&self, key: &str) -> Option<CachedPage>;
    fn put(&self, key: &str, page: &CachedPage);
    /// The page under `key` answered 304.
    fn touch(&self, key: &str);
}

/// Bounds and context of one read.
#[derive(Clone)]
pub struct ReadSettings {
    /// The run's date in the aggregator's zone.
    pub today: NaiveDate,
    /// Pages of a listing followed through "next" links (the first included).
    pub max_pages: usize,
    /// Detail pages fetched per run.
    pub max_details: usize,
    /// Detail pages remembered between runs, if any.
    pub page_cache: Option<Arc<dyn PageCache>>,
    /// Cap on each body fetched over the network (the source's
    /// `max_body_mb`); None: the client's policy. Local files are not
    /// held to it.
    pub max_body_bytes: Option<usize>,
}

impl std::fmt::Debug for ReadSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadSettings")
            .field("today", &self.today)
            .field("max_pages", &self.max_pages)
            .field("max_details", &self.max_details)
            .field("page_cache", &self.page_cache.is_some())
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl ReadSettings {
    pub fn new(today: NaiveDate) -> ReadSettings {
        ReadSettings {
            today,
            max_pages: 20,
            max_details: 1000,
            page_cache: None,
            max_body_bytes: None,
        }
    }
}

/// What a read produced.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceRead {
    /// The source answered 304 to the conditional GET.
    NotModified,
    Read(ReadResult),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadResult {
    pub kind: SourceKind,
    /// Every record the source lists now.
    pub records: Vec<RawEvent>,
    /// Non-fatal problems, each naming its document.
    pub warnings: Vec<String>,
    /// sha256 over every document read, to skip unchanged sources.
    pub body_hash: String,
    /// Validators of the first document, for the next conditional GET.
    pub validators: Validators,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {error}")]
    Parse { url: String, error: ParseError },
    #[error("{url}: could not tell what kind of source this is: it answered {found}; set `kind` in sources.toml")]
    UnknownKind { url: String, found: String },
}

impl ReadError {
    /// The stable class stored with the source.
    pub fn class(&self) -> &'static str {
        match self {
            ReadError::Fetch(e) => e.class(),
            ReadError::Parse {
                error: ParseError::WrongKind { .. },
                ..
            } => "wrong_kind",
            ReadError::Parse { .. } => "parse",
            ReadError::UnknownKind { .. } => "unknown_kind",
        }
    }
}

/// Read a source: its first document conditionally on `validators` (which
/// a read returns only when that document was the whole source, see the
/// end), then its next pages and detail pages.
pub async fn read_source(
    client: &FetchClient,
    source: &SourceConfig,
    validators: &Validators,
    settings: &ReadSettings,
) -> Result<SourceRead, ReadError> {
    let mut hasher = Sha256::new();
    let mut warnings = Vec::new();

    // The first document, and the kind.
    let (kind, first) = match source.kind {
        Some(kind) => {
            let url = kind.first_url(source, settings.today);
            // A kind read from several documents has validators stored
            // only when its last read was one document (see below).
            let v = validators.clone();
            match client
                .fetch_capped(&url, &v, settings.max_body_bytes)
                .await?
            {
                FetchOutcome::NotModified => return Ok(SourceRead::NotModified),
                FetchOutcome::Fetched(f) => (kind, f),
            }
        }
        None => detect(client, source, settings).await?,
    };
    let first_validators = first.validators.clone();

    let mut parsed_all = Parsed::default();
    let mut queue = vec![first];
    let mut seen_pages: HashSet<String> = HashSet::new();
    seen_pages.insert(source.url.clone());
    let mut pages = 0usize;
    while let Some(doc) = queue.pop() {
        pages += 1;
        let url = doc.final_url.clone();
        let (parsed, h) = parse_off_thread(kind, source, doc, settings, hasher).await?;
        hasher = h;
        for w in &parsed.warnings {
            warnings.push(format!("{url}: {w}"));
        }
        parsed_all.events.extend(parsed.events);
        parsed_all.undated.extend(parsed.undated);
        for link in parsed.links {
            match link {
                Link::NextPage(url) => {
                    if pages + queue.len() >= settings.max_pages {
                        if !seen_pages.contains(&url) {
                            warnings.push(format!(
                                "{url}: not read: a run follows at most {} pages",
                                settings.max_pages
                            ));
                        }
                        continue;
                    }
                    if seen_pages.insert(url.clone()) {
                        // A listing whose page 3 fails must not pass for a
                        // listing that dropped its events: the run fails.
                        queue.push(fetch_body(client, &url, settings).await?);
                    }
                }
                detail @ Link::Detail { .. } => parsed_all.links.push(detail),
            }
        }
    }

    // Each document is bounded by its parser; a listing's pages together
    // are bounded here.
    let listed = parsed_all.events.len() + parsed_all.undated.len();
    if listed > MAX_RECORDS {
        parsed_all.events.truncate(MAX_RECORDS);
        let room = MAX_RECORDS.saturating_sub(parsed_all.events.len());
        parsed_all.undated.truncate(room);
        warnings.push(format!(
            "{} records dropped: a source gives at most {MAX_RECORDS} per run",
            listed - MAX_RECORDS
        ));
    }

    // The first document's validators judge the whole source when it is
    // all there is: a kind that is one document by nature, or a listing
    // read this time as one page with no detail page. Else none are kept,
    // so that the next run reads every page again.
    let one_document = kind.conditional() || (pages == 1 && parsed_all.links.is_empty());
    let records = complete_with_details(
        client,
        source,
        parsed_all,
        settings,
        &mut warnings,
        &mut hasher,
    )
    .await;
    Ok(SourceRead::Read(ReadResult {
        kind,
        records,
        warnings,
        body_hash: hex::encode(hasher.finalize()),
        validators: if one_document {
            first_validators
        } else {
            Validators::default()
        },
    }))
}

/// Fetch `url` unconditionally, under the read's body cap.
async fn fetch_body(
    client: &FetchClient,
    url: &str,
    settings: &ReadSettings,
) -> Result<Fetched, ReadError> {
    let v = Validators::default();
    match client
        .fetch_capped(url, &v, settings.max_body_bytes)
        .await?
    {
        FetchOutcome::Fetched(f) => Ok(f),
        // Without validators a 304 is the server's mistake; treat as empty.
        FetchOutcome::NotModified => Ok(Fetched {
            body: Vec::new(),
            content_type: None,
            final_url: url.to_string(),
            validators: Validators::default(),
        }),
    }
}

/// No `kind` configured: find it from what the URL answers, or from what
/// that answer reveals (a kind [`hidden behind`](crate::Kind::hidden_behind)
/// it, whose first document must then sniff as that kind).
async fn detect(
    client: &FetchClient,
    source: &SourceConfig,
    settings: &ReadSettings,
) -> Result<(SourceKind, Fetched), ReadError> {
    let fetched = fetch_body(client, &source.url, settings).await?;
    let ct = fetched.content_type.as_deref();
    let Some(found) = sniff::sniff(&fetched.body, ct) else {
        return Err(ReadError::UnknownKind {
            url: source.url.clone(),
            found: sniff::describe(&fetched.body, ct),
        });
    };
    // A local file has no site behind it.
    if !source.is_local() {
        for behind in kind::all().filter(|k| k.hidden_behind(found, &fetched.body)) {
            let url = behind.first_url(source, settings.today);
            if let Ok(doc) = fetch_body(client, &url, settings).await {
                if sniff::sniff(&doc.body, doc.content_type.as_deref()) == Some(behind) {
                    return Ok((behind, doc));
                }
            }
        }
    }
    Ok((found, fetched))
}

/// The kind of a source with no `kind`, found from what its URL answers
/// (what `babillard check` reports).
pub async fn detect_kind(
    client: &FetchClient,
    source: &SourceConfig,
    settings: &ReadSettings,
) -> Result<SourceKind, ReadError> {
    detect(client, source, settings).await.map(|(kind, _)| kind)
}

/// Hash and parse one document on a blocking thread: a large document
/// parses for long enough to hold up everything else the async threads
/// serve (the HTTP answers of `babillard run`). A parser that panics fails
/// the read with a parse error naming the document, never the process.
async fn parse_off_thread(
    kind: SourceKind,
    source: &SourceConfig,
    doc: Fetched,
    settings: &ReadSettings,
    mut hasher: Sha256,
) -> Result<(Parsed, Sha256), ReadError> {
    let url = doc.final_url.clone();
    let (source, settings) = (source.clone(), settings.clone());
    let joined = tokio::task::spawn_blocking(move || {
        hasher.update(&doc.body);
        hasher.update([0u8]);
        parse_document(kind, &source, &doc, &settings).map(|parsed| (parsed, hasher))
    })
    .await;
    match joined {
        Ok(result) => result.map_err(|error| ReadError::Parse { url, error }),
        Err(e) => Err(ReadError::Parse {
            url,
            error: ParseError::Malformed {
                line: None,
                message: format!(
                    "the parser stopped on this document ({e}), a defect of babillard"
                ),
            },
        }),
    }
}

pub(crate) fn parse_document(
    kind: SourceKind,
    source: &SourceConfig,
    doc: &Fetched,
    settings: &ReadSettings,
) -> Result<Parsed, ParseError> {
    let ctx = ParseContext {
        content_type: doc.content_type.clone(),
        url: doc.final_url.clone(),
        lang: source.lang.clone(),
        selectors: source.selectors.clone(),
        today: settings.today,
    };
    let mut parsed = kind.parse(&doc.body, &ctx)?;
    // The kinds bound what they read themselves; this holds any kind to the
    // same caps (a second pass over bounded records finds nothing to cut).
    crate::bounds::bound_parsed(&mut parsed);
    Ok(parsed)
}

/// Fetch the detail pages named by `Link::Detail` (bounded, concurrently
/// within the client's per-host limit) and complete or date their records.
async fn complete_with_details(
    client: &FetchClient,
    source: &SourceConfig,
    parsed: Parsed,
    settings: &ReadSettings,
    warnings: &mut Vec<String>,
    hasher: &mut Sha256,
) -> Vec<RawEvent> {
    let Parsed {
        mut events,
        undated,
        links,
        ..
    } = parsed;
    let mut details: Vec<(String, String)> = Vec::new();
    let mut seen = HashSet::new();
    for link in links {
        if let Link::Detail { url, uid } = link {
            if seen.insert(uid.clone()) {
                details.push((url, uid));
            }
        }
    }
    if details.len() > settings.max_details {
        warnings.push(format!(
            "{} detail pages not read: a run reads at most {}",
            details.len() - settings.max_details,
            settings.max_details
        ));
        details.truncate(settings.max_details);
    }

    let mut set = JoinSet::new();
    for (i, (url, _)) in details.iter().enumerate() {
        let client = client.clone();
        let url = url.clone();
        let today = settings.today;
        // Detail pages with no structured data are read with the source's
        // selectors (the page as one event when `event` matches nothing).
        let selectors = source.selectors.clone();
        let lang = source.lang.clone();
        let cache = settings.page_cache.clone();
        let cap = settings.max_body_bytes;
        // What is read from a page depends on how it is read (and, for
        // dates without a year, on the day).
        let key = hex::encode(Sha256::digest(
            format!("{url}\u{0}{selectors:?}\u{0}{lang:?}\u{0}{today}").as_bytes(),
        ));
        set.spawn(async move {
            let cached = match &cache {
                Some(c) => {
                    let (c, k) = (Arc::clone(c), key.clone());
                    tokio::task::spawn_blocking(move || c.get(&k))
                        .await
                        .ok()
                        .flatten()
                }
                None => None,
            };
            let validators = cached
                .as_ref()
                .map(|c| c.validators.clone())
                .unwrap_or_default();
            let result = match client.fetch_capped(&url, &validators, cap).await {
                Ok(FetchOutcome::Fetched(f)) => {
                    let ctx = ParseContext {
                        content_type: f.content_type.clone(),
                        url: f.final_url.clone(),
                        lang,
                        selectors,
                        today,
                    };
                    // A detail page is a web page whatever the listing's
                    // kind; parsed off the async threads (see
                    // `parse_off_thread`).
                    let body = f.body;
                    let parsed = tokio::task::spawn_blocking(move || {
                        (Sha256::digest(&body).to_vec(), html::parse(&body, &ctx))
                    })
                    .await;
                    let (hash, parsed) = match parsed {
                        Ok((hash, parsed)) => (hash, parsed.map_err(|e| format!("{url}: {e}"))),
                        Err(e) => (Vec::new(), Err(format!("{url}: the parser stopped ({e})"))),
                    };
                    if let (Ok(p), Some(c)) = (&parsed, &cache) {
                        let v = &f.validators;
                        if v.etag.is_some() || v.last_modified.is_some() {
                            let page = CachedPage {
                                validators: v.clone(),
                                events: p.events.clone(),
                                body_hash: hex::encode(&hash),
                            };
                            let c = Arc::clone(c);
                            let _ = tokio::task::spawn_blocking(move || c.put(&key, &page)).await;
                        }
                    }
                    parsed.map(|p| (p, hash))
                }
                Ok(FetchOutcome::NotModified) => match (cached, &cache) {
                    (Some(page), Some(c)) => {
                        let c = Arc::clone(c);
                        let _ = tokio::task::spawn_blocking(move || c.touch(&key)).await;
                        let hash = hex::decode(&page.body_hash).unwrap_or_default();
                        Ok((
                            Parsed {
                                events: page.events,
                                ..Parsed::default()
                            },
                            hash,
                        ))
                    }
                    _ => Err(format!("{url}: answered 304 without validators")),
                },
                Err(e) => Err(e.to_string()),
            };
            (i, result)
        });
    }
    let mut pages: HashMap<usize, Parsed> = HashMap::new();
    let mut hashes: Vec<(usize, Vec<u8>)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok((p, h)))) => {
                hashes.push((i, h));
                pages.insert(i, p);
            }
            Ok((_, Err(msg))) => warnings.push(format!("detail page not read: {msg}")),
            Err(e) => warnings.push(format!("detail page task failed: {e}")),
        }
    }
    hashes.sort();
    for (_, h) in hashes {
        hasher.update(h);
    }

    let mut undated: HashMap<String, RawEvent> =
        undated.into_iter().map(|r| (r.uid.clone(), r)).collect();
    for (i, (url, uid)) in details.iter().enumerate() {
        let Some(page) = pages.remove(&i) else {
            continue;
        };
        let Some(found) = pick_page_event(page.events, url) else {
            continue;
        };
        if let Some(rec) = events.iter_mut().find(|r| &r.uid == uid) {
            merge_page_into(rec, found, true);
        } else if let Some(mut rec) = undated.remove(uid) {
            merge_page_into(&mut rec, found, true);
            events.push(rec);
        }
    }
    for (uid, _) in undated {
        warnings.push(format!(
            "{uid}: dropped: neither the record nor its page gives a date"
        ));
    }
    events
}

/// The event of a detail page: the one whose url is the page's, else the first.
fn pick_page_event(events: Vec<RawEvent>, url: &str) -> Option<RawEvent> {
    let pos = events
        .iter()
        .position(|e| e.url.as_deref() == Some(url))
        .unwrap_or(0);
    events.into_iter().nth(pos)
}

/// Complete `rec` with what its detail page says. The page's structured
/// dates replace dates found in text; other fields only fill gaps.
pub(crate) fn merge_page_into(rec: &mut RawEvent, page: RawEvent, dates_from_page: bool) {
    if dates_from_page {
        rec.start = page.start;
        rec.end = page.end;
        rec.duration_secs = page.duration_secs;
        if rec.rrule.is_empty() {
            rec.rrule = page.rrule;
            rec.rdate = page.rdate;
            rec.exdate = page.exdate;
        }
    }
    fn fill<T>(slot: &mut Option<T>, v: Option<T>) {
        if slot.is_none() {
            *slot = v;
        }
    }
    fill(&mut rec.location, page.location);
    fill(&mut rec.address, page.address);
    fill(&mut rec.city, page.city);
    fill(&mut rec.geo, page.geo);
    fill(&mut rec.image, page.image);
    fill(&mut rec.description, page.description);
    fill(&mut rec.organizer, page.organizer);
    fill(&mut rec.price, page.price);
    fill(&mut rec.language, page.language);
    fill(&mut rec.status, page.status);
    fill(&mut rec.url, page.url);
    if rec.title.trim().is_empty() {
        rec.title = page.title;
    }
    for c in page.categories {
        if !rec.categories.contains(&c) {
            rec.categories.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::TimeValue;

    #[test]
    fn page_dates_replace_text_dates_and_fill_gaps() {
        let d = |s: &str| TimeValue::Date {
            date: NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap(),
        };
        let mut rec = RawEvent::new("item-1", "Concert", d("2026-12-01"));
        rec.location = Some("Salle A".into());
        let mut page = RawEvent::new("page", "", d("2026-12-05"));
        page.location = Some("Other".into());
        page.address = Some("1 rue X".into());
        page.categories = vec!["musique".into()];
        merge_page_into(&mut rec, page, true);
        assert_eq!(rec.start, d("2026-12-05"));
        assert_eq!(rec.location.as_deref(), Some("Salle A"));
        assert_eq!(rec.address.as_deref(), Some("1 rue X"));
        assert_eq!(rec.title, "Concert");
        assert_eq!(rec.categories, vec!["musique"]);
    }

    #[test]
    fn read_errors_have_stable_classes() {
        let e = ReadError::Parse {
            url: "u".into(),
            error: ParseError::WrongKind {
                expected: "an iCalendar file",
                found: "an HTML page".into(),
            },
        };
        assert_eq!(e.class(), "wrong_kind");
        assert_eq!(
            e.to_string(),
            "u: expected an iCalendar file but the source answered an HTML page"
        );
        let e = ReadError::Fetch(FetchError::Status {
            url: "u".into(),
            code: 503,
        });
        assert_eq!(e.class(), "status_5xx");
    }
}
