//! `babillard export`: the whole publication as static files, for any web
//! server or CDN.
//!
//! Nothing is rendered twice: every file is the body the real router
//! answers for a path, asked in process (`tower::ServiceExt::oneshot`), so
//! an exported file is byte for byte what `babillard serve` would send
//! (with `base_url` set to `--base-url`), except that pages' links to the
//! JSON API without parameters (`href="/api/v1/events"`) point at the
//! exported file (`/api/v1/events.json`). The layout follows the server's
//! paths, so that links keep working on a static host:
//!
//! | file | route |
//! |---|---|
//! | `index.html`, `sources/index.html`, `embed/index.html` | `/`, `/sources`, `/embed` |
//! | `feeds/events.ics`, `feeds/events.rss` | the feeds |
//! | `feeds/category/{slug}.ics`, `.rss` | the feeds with `?category={slug}` |
//! | `api/v1/events.json` | every upcoming event: `/api/v1/events` followed page by page |
//! | `api/v1/events/{id}.json`, `api/v1/categories.json`, `api/v1/venues.json`, `api/v1/sources.json` | the API |
//! | `events/{id}/index.html`, `events/{id}.ics` | the event page and its calendar |
//! | `widget.js` | `/widget.js` switched to static mode |
//!
//! Event pages (and their `.ics` and JSON) are written for every event in
//! the window of the ICS feed (from 30 days ago), so that every link in the
//! feeds has its page. Local assets that the pages name (`src="/x.js"`,
//! `href="/x.css"`) are exported too.
//!
//! The export is rendered into `DIR.tmp-…` beside `DIR`, then renamed into
//! place, so that a CDN sync never sees half an export. An existing `DIR`
//! is replaced only when it is empty or is an earlier export (it holds the
//! marker file [`MARKER`]): `--out ~` never deletes a home folder.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::Value;
use tower::ServiceExt;

use crate::feeds::FEED_PAST_DAYS;
use crate::params::{encode_value as encode, MAX_LIMIT};
use crate::AppState;

/// The file that marks a folder as a babillard export.
pub const MARKER: &str = ".babillard-export";

/// The line of `widget.js` that the export switches to `true`.
pub const WIDGET_FLAG_OFF: &str = "const BABILLARD_STATIC = false;";
/// What it becomes.
pub const WIDGET_FLAG_ON: &str = "const BABILLARD_STATIC = true;";

/// The largest body read from one route.
const MAX_BODY: usize = 512 * 1024 * 1024;
/// A bound on the pages followed through `next_cursor`.
const MAX_PAGES: usize = 100_000;
/// File extensions of the local assets that pages may name.
const ASSET_EXTENSIONS: &[&str] = &[
    "js",
    "mjs",
    "css",
    "svg",
    "png",
    "jpg",
    "ico",
    "webmanifest",
    "woff2",
];

/// Why an export failed. Nothing is left in place of the old export then.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("base URL {url:?} is not an absolute http(s) URL: {reason}")]
    BaseUrl { url: String, reason: String },
    #[error("no calendar {id:?} to export (known: {known})")]
    UnknownCalendar { id: String, known: String },
    #[error("{path}: the output must name a folder (e.g. --out public)")]
    OutPath { path: PathBuf },
    #[error(
        "{path} exists and is not an earlier export (no {MARKER} in it); \
         choose an empty or new folder, it would be replaced"
    )]
    NotAnExport { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{route} answered {status}: {body}")]
    Route {
        route: String,
        status: u16,
        body: String,
    },
    #[error("{route}: cannot read the answer: {source}")]
    Body {
        route: String,
        #[source]
        source: axum::Error,
    },
    #[error("{route}: {reason}")]
    Json { route: String, reason: String },
    #[error(
        "/widget.js has no line `{WIDGET_FLAG_OFF}`: the widget cannot be switched to \
         static mode (it would call an API that a static host does not have)"
    )]
    WidgetFlag,
}

/// A route that answered 404 and was left out (a format this version does
/// not serve).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub route: String,
    pub file: String,
    pub status: u16,
}

/// What an export wrote.
#[derive(Clone, Debug, Default)]
pub struct ExportReport {
    /// The folder, as given.
    pub out: PathBuf,
    /// The base URL of absolute links in the export.
    pub base_url: String,
    /// Files written (the marker included).
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Upcoming events in `api/v1/events.json`.
    pub events: usize,
    /// Event pages (`events/{id}/index.html`): the feed's window.
    pub event_pages: usize,
    /// Categories with their own feeds.
    pub categories: usize,
    /// Optional routes this version does not serve.
    pub skipped: Vec<Skipped>,
    /// Things a person should know (names that cannot be file names, …).
    pub warnings: Vec<String>,
}

impl fmt::Display for ExportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exported to {}: {} files, {} bytes; {} upcoming events, {} event pages, \
             {} category feeds; links use {}",
            self.out.display(),
            self.files,
            self.bytes,
            self.events,
            self.event_pages,
            self.categories,
            self.base_url
        )?;
        for s in &self.skipped {
            write!(
                f,
                "\n  skipped {} ({} answered {})",
                s.file, s.route, s.status
            )?;
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

/// Whether a missing route fails the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Required,
    /// A 404 leaves the file out and is reported in [`ExportReport::skipped`].
    Optional,
}

/// One file of the export and the route it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Path and query asked of the router.
    pub route: String,
    /// Path of the file, relative to the export, `/`-separated.
    pub file: String,
    pub need: Need,
}

fn item(route: impl Into<String>, file: impl Into<String>, need: Need) -> Item {
    Item {
        route: route.into(),
        file: file.into(),
        need,
    }
}

/// The files that do not depend on the events.
pub fn fixed_items() -> Vec<Item> {
    use Need::*;
    vec![
        item("/", "index.html", Required),
        item("/sources", "sources/index.html", Required),
        item("/embed", "embed/index.html", Required),
        item("/feeds/events.ics", "feeds/events.ics", Required),
        item("/feeds/events.rss", "feeds/events.rss", Optional),
        item("/api/v1/categories", "api/v1/categories.json", Required),
        item("/api/v1/venues", "api/v1/venues.json", Required),
        item("/api/v1/sources", "api/v1/sources.json", Required),
        item("/api/v1/openapi.json", "api/v1/openapi.json", Optional),
    ]
}

/// The feeds of one category.
pub fn category_items(slug: &str) -> Vec<Item> {
    let q = encode(slug);
    vec![
        item(
            format!("/feeds/events.ics?category={q}"),
            format!("feeds/category/{slug}.ics"),
            Need::Required,
        ),
        item(
            format!("/feeds/events.rss?category={q}"),
            format!("feeds/category/{slug}.rss"),
            Need::Optional,
        ),
    ]
}

/// The files of one event.
pub fn event_items(id: &str) -> Vec<Item> {
    vec![
        item(
            format!("/events/{id}"),
            format!("events/{id}/index.html"),
            Need::Required,
        ),
        item(
            format!("/events/{id}.ics"),
            format!("events/{id}.ics"),
            Need::Required,
        ),
        item(
            format!("/api/v1/events/{id}"),
            format!("api/v1/events/{id}.json"),
            Need::Required,
        ),
    ]
}

/// Whether `name` can be one path segment on every static host: ASCII
/// letters, digits, `-` and `_`, at most 200 of them.
pub fn safe_segment(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `widget.js` with its static flag switched on.
pub fn widget_static(source: &str) -> Result<String, ExportError> {
    if source.matches(WIDGET_FLAG_OFF).count() != 1 {
        return Err(ExportError::WidgetFlag);
    }
    Ok(source.replacen(WIDGET_FLAG_OFF, WIDGET_FLAG_ON, 1))
}

/// The local assets (`src="/…"`, `href="/…"` with an asset extension) an
/// HTML page names, as paths without query or fragment.
pub fn local_assets(html: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for attr in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = html.get(at + attr.len()..).unwrap_or("");
            let Some(end) = rest.find('"') else { continue };
            let value = rest.get(..end).unwrap_or("");
            let path = value.split(['?', '#']).next().unwrap_or("");
            if !path.starts_with('/') || path.starts_with("//") {
                continue;
            }
            let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            let well_formed = segments.iter().all(|s| {
                !s.is_empty()
                    && *s != ".."
                    && *s != "."
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
            let ext_ok = segments
                .last()
                .and_then(|s| s.rsplit_once('.'))
                .is_some_and(|(_, ext)| ASSET_EXTENSIONS.contains(&ext));
            if well_formed && ext_ok {
                out.insert(path.to_string());
            }
        }
    }
    out
}

/// The JSON routes whose exported file has another name.
const JSON_ROUTES: &[&str] = &[
    "/api/v1/events",
    "/api/v1/categories",
    "/api/v1/venues",
    "/api/v1/sources",
];

/// Links of a page to the JSON API without parameters
/// (`href="/api/v1/events"`) pointed at their files
/// (`href="/api/v1/events.json"`): a static host has no route without the
/// extension. Every other link is kept as the server wrote it.
pub fn static_api_links(html: &str) -> String {
    let mut out = html.to_string();
    for route in JSON_ROUTES {
        for attr in ["href", "src"] {
            out = out.replace(
                &format!("{attr}=\"{route}\""),
                &format!("{attr}=\"{route}.json\""),
            );
        }
    }
    out
}

/// Check and normalize a base URL: absolute http(s), no trailing slash.
pub fn check_base_url(url: &str) -> Result<String, ExportError> {
    let bad = |reason: &str| ExportError::BaseUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Write the whole publication of `state` into `out`, with absolute links
/// on `base_url` (default: the configured one), replacing an earlier
/// export there in one rename.
pub async fn export(
    state: AppState,
    out: &Path,
    base_url: Option<&str>,
) -> Result<ExportReport, ExportError> {
    export_calendar(state, out, base_url, None).await
}

/// [`export`], of only `calendar` when one is named: written at the root
/// of `out`, its links on `base_url` (by default its `/c/{id}` surface).
pub async fn export_calendar(
    state: AppState,
    out: &Path,
    base_url: Option<&str>,
    calendar: Option<&str>,
) -> Result<ExportReport, ExportError> {
    let current = state.config();
    let mut config = match calendar {
        None => (*current).clone(),
        Some(id) => {
            let Some(found) = current.network.calendars.iter().find(|c| c.id == id) else {
                return Err(ExportError::UnknownCalendar {
                    id: id.to_string(),
                    known: current
                        .network
                        .calendars
                        .iter()
                        .map(|c| c.id.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let mut config = current.for_calendar(found, None);
            // Written at the root of `out`: its links have no prefix.
            config.network.prefix = String::new();
            config
        }
    };
    let base_url = check_base_url(base_url.unwrap_or(&config.base_url))?;
    config.base_url = base_url.clone();
    let slugs: Vec<String> = config.categories.iter().map(|c| c.slug.clone()).collect();
    let app = crate::router(AppState {
        live_config: crate::LiveConfig::new(Arc::new(config)),
        ..state
    });
    export_router(&app, &slugs, out, base_url).await
}

/// [`export`] through `app`, whatever router it is.
async fn export_router(
    app: &Router,
    slugs: &[String],
    out: &Path,
    base_url: String,
) -> Result<ExportReport, ExportError> {
    let target = Target::prepare(out)?;
    let mut report = ExportReport {
        out: out.to_path_buf(),
        base_url,
        ..ExportReport::default()
    };
    let tmp = target.create_tmp()?;
    if let Err(e) = render(app, slugs, &tmp, &mut report).await {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Some(warning) = target.replace_with(&tmp)? {
        report.warnings.push(warning);
    }
    Ok(report)
}

/// The output folder, checked before anything is rendered.
#[derive(Debug)]
pub struct Target {
    /// Absolute path of the folder.
    path: PathBuf,
    parent: PathBuf,
    name: String,
}

impl Target {
    /// Check that `out` can be (re)placed: a folder name whose folder, if
    /// it exists, is empty or an earlier export.
    pub fn prepare(out: &Path) -> Result<Target, ExportError> {
        let path = std::path::absolute(out).map_err(|source| ExportError::Io {
            path: out.to_path_buf(),
            source,
        })?;
        let bad = || ExportError::OutPath {
            path: out.to_path_buf(),
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(bad)?
            .to_string();
        let parent = path.parent().ok_or_else(bad)?.to_path_buf();
        let io = |source| ExportError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                let empty = std::fs::read_dir(&path).map_err(io)?.next().is_none();
                if !empty && !path.join(MARKER).is_file() {
                    return Err(ExportError::NotAnExport { path });
                }
            }
            Ok(_) => return Err(ExportError::NotAnExport { path }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        Ok(Target { path, parent, name })
    }

    fn sibling(&self, what: &str) -> PathBuf {
        let nanos = Utc::now().timestamp_subsec_nanos();
        self.parent.join(format!(
            ".{}.{what}-{}-{nanos:08x}",
            self.name,
            std::process::id()
        ))
    }

    /// A fresh folder beside the target to render into.
    pub fn create_tmp(&self) -> Result<PathBuf, ExportError> {
        std::fs::create_dir_all(&self.parent).map_err(|source| ExportError::Io {
            path: self.parent.clone(),
            source,
        })?;
        let tmp = self.sibling("tmp");
        std::fs::create_dir(&tmp).map_err(|source| ExportError::Io {
            path: tmp.clone(),
            source,
        })?;
        Ok(tmp)
    }

    /// Put `tmp` in place of the target: the old export is renamed away,
    /// the new one renamed in, then the old one deleted. Returns a warning
    /// when the old one could not be deleted.
    pub fn replace_with(&self, tmp: &Path) -> Result<Option<String>, ExportError> {
        let io = |path: &Path, source| ExportError::Io {
            path: path.to_path_buf(),
            source,
        };
        if std::fs::symlink_metadata(&self.path).is_err() {
            std::fs::rename(tmp, &self.path).map_err(|e| io(&self.path, e))?;
            return Ok(None);
        }
        let old = self.sibling("old");
        std::fs::rename(&self.path, &old).map_err(|e| io(&self.path, e))?;
        if let Err(e) = std::fs::rename(tmp, &self.path) {
            let _ = std::fs::rename(&old, &self.path);
            let _ = std::fs::remove_dir_all(tmp);
            return Err(io(&self.path, e));
        }
        Ok(std::fs::remove_dir_all(&old)
            .err()
            .map(|e| format!("cannot delete the previous export {}: {e}", old.display())))
    }
}

/// Writes files under the export's temporary folder and counts them.
struct Files<'a> {
    root: &'a Path,
    written: BTreeSet<String>,
    report: &'a mut ExportReport,
}

impl Files<'_> {
    async fn put(&mut self, file: &str, body: &[u8]) -> Result<(), ExportError> {
        let path = file
            .split('/')
            .fold(self.root.to_path_buf(), |p, seg| p.join(seg));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| ExportError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        tokio::fs::write(&path, body)
            .await
            .map_err(|source| ExportError::Io { path, source })?;
        self.written.insert(file.to_string());
        self.report.files += 1;
        self.report.bytes += body.len() as u64;
        Ok(())
    }
}

/// What the router answered.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

async fn get(app: &Router, route: &str) -> Result<Answer, ExportError> {
    let request = Request::builder()
        .uri(route)
        .body(Body::empty())
        .map_err(|e| ExportError::Route {
            route: route.to_string(),
            status: 0,
            body: format!("not a valid request path: {e}"),
        })?;
    let response = match app.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), MAX_BODY)
        .await
        .map_err(|source| ExportError::Body {
            route: route.to_string(),
            source,
        })?;
    Ok(Answer {
        status,
        body: body.to_vec(),
    })
}

/// The body of `route`, which must answer 200.
async fn get_ok(app: &Router, route: &str) -> Result<Vec<u8>, ExportError> {
    let answer = get(app, route).await?;
    if answer.status != StatusCode::OK {
        return Err(route_error(route, &answer));
    }
    Ok(answer.body)
}

fn route_error(route: &str, answer: &Answer) -> ExportError {
    let text = String::from_utf8_lossy(&answer.body);
    ExportError::Route {
        route: route.to_string(),
        status: answer.status.as_u16(),
        body: text.chars().take(300).collect(),
    }
}

/// Fetch `item` and write it; an optional route that answers 404 is
/// reported as skipped.
async fn export_item(app: &Router, files: &mut Files<'_>, item: &Item) -> Result<(), ExportError> {
    let answer = get(app, &item.route).await?;
    if answer.status == StatusCode::OK {
        if item.file.ends_with(".html") {
            let html = static_api_links(&String::from_utf8_lossy(&answer.body));
            return files.put(&item.file, html.as_bytes()).await;
        }
        return files.put(&item.file, &answer.body).await;
    }
    if answer.status == StatusCode::NOT_FOUND && item.need == Need::Optional {
        files.report.skipped.push(Skipped {
            route: item.route.clone(),
            file: item.file.clone(),
            status: answer.status.as_u16(),
        });
        return Ok(());
    }
    Err(route_error(&item.route, &answer))
}

/// Every event of `/api/v1/events?from=…`, page after page.
async fn collect_events(app: &Router, from: &str, limit: usize) -> Result<Vec<Value>, ExportError> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    let mut seen = BTreeSet::new();
    for _ in 0..MAX_PAGES {
        let mut route = format!("/api/v1/events?from={}&limit={limit}", encode(from));
        if let Some(c) = &cursor {
            route.push_str("&cursor=");
            route.push_str(&encode(c));
        }
        let body = get_ok(app, &route).await?;
        let json_err = |reason: String| ExportError::Json {
            route: route.clone(),
            reason,
        };
        let mut page: Value = serde_json::from_slice(&body).map_err(|e| json_err(e.to_string()))?;
        match page.get_mut("events").map(Value::take) {
            Some(Value::Array(list)) => events.extend(list),
            _ => return Err(json_err("no \"events\" list".to_string())),
        }
        match page.get("next_cursor") {
            Some(Value::String(next)) => {
                if !seen.insert(next.clone()) {
                    return Err(json_err(format!("the cursor {next:?} came back")));
                }
                cursor = Some(next.clone());
            }
            Some(Value::Null) | None => return Ok(events),
            Some(other) => return Err(json_err(format!("next_cursor is {other}"))),
        }
    }
    Err(ExportError::Json {
        route: "/api/v1/events".to_string(),
        reason: format!("more than {MAX_PAGES} pages"),
    })
}

fn event_ids(events: &[Value], report: &mut ExportReport) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut ids = Vec::new();
    for e in events {
        match e.get("id").and_then(Value::as_str) {
            Some(id) if safe_segment(id) => {
                if seen.insert(id.to_string()) {
                    ids.push(id.to_string());
                }
            }
            Some(id) => report.warnings.push(format!(
                "event id {id:?} cannot be a file name; no page for it"
            )),
            None => report.warnings.push("an event without an id".to_string()),
        }
    }
    ids
}

async fn render(
    app: &Router,
    slugs: &[String],
    root: &Path,
    report: &mut ExportReport,
) -> Result<(), ExportError> {
    let now = Utc::now();
    let upcoming_from = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let window_from =
        (now - Duration::days(FEED_PAST_DAYS)).to_rfc3339_opts(SecondsFormat::Secs, true);

    // Collected first, so that the export is one view of the index.
    let upcoming = collect_events(app, &upcoming_from, MAX_LIMIT).await?;
    let window = collect_events(app, &window_from, MAX_LIMIT).await?;

    let mut files = Files {
        root,
        written: BTreeSet::new(),
        report,
    };
    files
        .put(
            MARKER,
            b"This folder is a babillard static export; babillard export replaces it.\n",
        )
        .await?;

    files.report.events = upcoming.len();
    let listing = serde_json::json!({
        "events": upcoming,
        "next_cursor": null,
        "total": files.report.events,
    });
    let listing = serde_json::to_vec(&listing).map_err(|e| ExportError::Json {
        route: "/api/v1/events".to_string(),
        reason: e.to_string(),
    })?;
    files.put("api/v1/events.json", &listing).await?;

    let widget = get_ok(app, "/widget.js").await.map_err(|e| match e {
        ExportError::Route { status: 404, .. } => ExportError::WidgetFlag,
        e => e,
    })?;
    let widget = widget_static(&String::from_utf8_lossy(&widget))?;
    files.put("widget.js", widget.as_bytes()).await?;

    let mut items = fixed_items();
    for slug in slugs {
        if safe_segment(slug) {
            items.extend(category_items(slug));
            files.report.categories += 1;
        } else {
            files.report.warnings.push(format!(
                "category {slug:?} cannot be a file name; no feed for it"
            ));
        }
    }
    let ids = event_ids(&window, files.report);
    for id in &ids {
        items.extend(event_items(id));
    }
    files.report.event_pages = ids.len();

    let mut assets = BTreeSet::new();
    for it in &items {
        export_item(app, &mut files, it).await?;
        if it.file.ends_with(".html") && files.written.contains(&it.file) {
            let path = it
                .file
                .split('/')
                .fold(root.to_path_buf(), |p, seg| p.join(seg));
            let html = tokio::fs::read_to_string(&path)
                .await
                .map_err(|source| ExportError::Io { path, source })?;
            assets.extend(local_assets(&html));
        }
    }
    for asset in assets {
        let file = asset.trim_start_matches('/').to_string();
        if files.written.contains(&file) {
            continue;
        }
        let answer = get(app, &asset).await?;
        if answer.status == StatusCode::OK {
            files.put(&file, &answer.body).await?;
        } else {
            files.report.warnings.push(format!(
                "a page names {asset}, which answered {}",
                answer.status.as_u16()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_where_a_static_host_serves_the_route() {
        let id = "3f9a0c1d2e";
        let files: Vec<(String, String)> = event_items(id)
            .into_iter()
            .map(|i| (i.route, i.file))
            .collect();
        assert_eq!(
            files,
            vec![
                (format!("/events/{id}"), format!("events/{id}/index.html")),
                (format!("/events/{id}.ics"), format!("events/{id}.ics")),
                (
                    format!("/api/v1/events/{id}"),
                    format!("api/v1/events/{id}.json")
                ),
            ]
        );
        let cat = category_items("arts-visuels");
        assert_eq!(cat[0].route, "/feeds/events.ics?category=arts-visuels");
        assert_eq!(cat[0].file, "feeds/category/arts-visuels.ics");
        assert_eq!(cat[0].need, Need::Required);
        assert_eq!(cat[1].route, "/feeds/events.rss?category=arts-visuels");
        assert_eq!(cat[1].file, "feeds/category/arts-visuels.rss");
        assert_eq!(cat[1].need, Need::Optional);

        let fixed = fixed_items();
        let find = |route: &str| fixed.iter().find(|i| i.route == route).cloned();
        assert_eq!(find("/").map(|i| i.file), Some("index.html".into()));
        assert_eq!(
            find("/sources").map(|i| i.file),
            Some("sources/index.html".into())
        );
        assert_eq!(
            find("/embed").map(|i| i.file),
            Some("embed/index.html".into())
        );
        assert_eq!(
            find("/feeds/events.ics").map(|i| (i.file, i.need)),
            Some(("feeds/events.ics".into(), Need::Required))
        );
        assert_eq!(
            find("/feeds/events.rss").map(|i| (i.file, i.need)),
            Some(("feeds/events.rss".into(), Need::Optional))
        );
        for route in ["/api/v1/categories", "/api/v1/venues", "/api/v1/sources"] {
            assert_eq!(
                find(route).map(|i| i.file),
                Some(format!("{}.json", route.trim_start_matches('/')))
            );
        }
        // No two routes write the same file.
        let mut all: Vec<Item> = fixed;
        all.extend(category_items("musique"));
        all.extend(event_items("a"));
        all.extend(event_items("b"));
        let mut names: Vec<&str> = all.iter().map(|i| i.file.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(names
            .iter()
            .all(|f| !f.starts_with('/') && !f.contains("..")));
    }

    #[test]
    fn names_that_cannot_be_files_are_refused() {
        assert!(safe_segment("3f9a0c1d2e"));
        assert!(safe_segment("arts-visuels"));
        for bad in ["", "..", "a/b", "a b", "é", "a?b", &"x".repeat(201)] {
            assert!(!safe_segment(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_widget_flag_is_switched_once_or_the_export_fails() {
        let js = format!("(() => {{\n  {WIDGET_FLAG_OFF}\n  const x = 1;\n}})();\n");
        let out = widget_static(&js).unwrap();
        assert!(out.contains(WIDGET_FLAG_ON));
        assert!(!out.contains(WIDGET_FLAG_OFF));
        assert_eq!(out.len(), js.len() - 1);
        assert!(matches!(
            widget_static("const BABILLARD_STATIC=false;"),
            Err(ExportError::WidgetFlag)
        ));
        let twice = format!("{WIDGET_FLAG_OFF}\n{WIDGET_FLAG_OFF}\n");
        assert!(matches!(
            widget_static(&twice),
            Err(ExportError::WidgetFlag)
        ));
    }

    #[test]
    fn pages_name_their_local_assets() {
        let html = r#"<link rel="stylesheet" href="/assets/portal.css?v=2">
            <script src="/portal.js" defer></script>
            <a href="/events/abc">x</a> <a href="/feeds/events.ics?category=x">ics</a>
            <img src="https://mda.example.org/a.png"> <script src="//cdn.example/x.js"></script>
            <link rel="icon" href="/favicon.ico"> <script src="/../etc/passwd.js"></script>"#;
        let got: Vec<String> = local_assets(html).into_iter().collect();
        assert_eq!(
            got,
            vec![
                "/assets/portal.css".to_string(),
                "/favicon.ico".to_string(),
                "/portal.js".to_string()
            ]
        );
    }

    #[test]
    fn pages_link_to_the_json_files() {
        let html = r#"<a href="/api/v1/events">API</a> <a href="/api/v1/events?category=x">x</a>
            <a href="/api/v1/sources">s</a> <a href="/api/v1/events/abc">e</a>"#;
        assert_eq!(
            static_api_links(html),
            r#"<a href="/api/v1/events.json">API</a> <a href="/api/v1/events?category=x">x</a>
            <a href="/api/v1/sources.json">s</a> <a href="/api/v1/events/abc">e</a>"#
        );
    }

    #[test]
    fn base_urls_must_be_absolute_http() {
        assert_eq!(
            check_base_url("https://cdn.example.org/agenda/").unwrap(),
            "https://cdn.example.org/agenda"
        );
        for bad in [
            "agenda.example.org",
            "ftp://x.org",
            "https://x.org/?a=b",
            "/x",
        ] {
            assert!(
                matches!(check_base_url(bad), Err(ExportError::BaseUrl { .. })),
                "{bad}"
            );
        }
    }

    fn write(path: &Path, text: &str) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    fn leftovers(parent: &Path) -> Vec<String> {
        std::fs::read_dir(parent)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
            .collect()
    }

    #[test]
    fn a_new_export_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        // First export: the folder does not exist yet.
        let target = Target::prepare(&out).unwrap();
        let tmp = target.create_tmp().unwrap();
        assert_eq!(tmp.parent(), Some(dir.path()));
        write(&tmp.join(MARKER), "m");
        write(&tmp.join("events/old/index.html"), "old");
        assert!(!out.exists(), "nothing in place before the rename");
        assert_eq!(target.replace_with(&tmp).unwrap(), None);
        assert!(out.join("events/old/index.html").is_file());

        // Second export: the old one is replaced, not merged.
        let target = Target::prepare(&out).unwrap();
        let tmp = target.create_tmp().unwrap();
        write(&tmp.join(MARKER), "m");
        write(&tmp.join("events/new/index.html"), "new");
        // While rendering, the old export is still whole.
        assert!(out.join("events/old/index.html").is_file());
        assert_eq!(target.replace_with(&tmp).unwrap(), None);
        assert!(out.join("events/new/index.html").is_file());
        assert!(!out.join("events/old").exists());
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[test]
    fn a_folder_that_is_not_an_export_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        write(&home.join("thesis.odt"), "precious");
        assert!(matches!(
            Target::prepare(&home),
            Err(ExportError::NotAnExport { .. })
        ));
        let file = dir.path().join("file.txt");
        write(&file, "x");
        assert!(matches!(
            Target::prepare(&file),
            Err(ExportError::NotAnExport { .. })
        ));
        // An empty folder is fine.
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(Target::prepare(&empty).is_ok());
        assert!(matches!(
            Target::prepare(Path::new("/")),
            Err(ExportError::OutPath { .. })
        ));
        assert!(home.join("thesis.odt").is_file());
    }

    // ---- Through a router ----

    use axum::extract::{Path as UrlPath, RawQuery};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get as route_get;

    const IDS: [&str; 5] = ["e1", "e2", "e3", "e4", "e5"];

    /// A stand-in for the router: the routes the export asks for, paging
    /// `/api/v1/events` two by two through `next_cursor`.
    fn fake_router(widget: &'static str, embed_status: u16) -> Router {
        async fn events(RawQuery(q): RawQuery) -> Response {
            let q = q.unwrap_or_default();
            let start: usize = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("cursor=c"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = IDS
                .iter()
                .skip(start)
                .take(2)
                .map(|id| serde_json::json!({"id": id, "title": format!("Titre {id}")}))
                .collect();
            let next = (start + 2 < IDS.len()).then(|| format!("c{}", start + 2));
            axum::Json(serde_json::json!({"events": page, "next_cursor": next, "total": IDS.len()}))
                .into_response()
        }
        async fn event_file(UrlPath(file): UrlPath<String>) -> String {
            match file.strip_suffix(".ics") {
                Some(id) => format!("BEGIN:VCALENDAR\r\nUID:{id}\r\nEND:VCALENDAR\r\n"),
                None => format!("<html><body><h1>{file}</h1></body></html>"),
            }
        }
        let embed = move || async move {
            (
                StatusCode::from_u16(embed_status).unwrap_or(StatusCode::OK),
                "<html>embed</html>",
            )
        };
        Router::new()
            .route("/api/v1/events", route_get(events))
            .route(
                "/api/v1/events/{id}",
                route_get(|UrlPath(id): UrlPath<String>| async move {
                    axum::Json(serde_json::json!({ "id": id }))
                }),
            )
            .route("/events/{file}", route_get(event_file))
            .route(
                "/",
                route_get(|| async {
                    r#"<html><link href="/portal.css" rel="stylesheet"><a href="/events/e1">e1</a></html>"#
                }),
            )
            .route("/portal.css", route_get(|| async { "body{margin:0}" }))
            .route("/sources", route_get(|| async { "<html>sources</html>" }))
            .route("/embed", route_get(embed))
            .route("/widget.js", route_get(move || async move { widget }))
            .route(
                "/feeds/events.ics",
                route_get(|RawQuery(q): RawQuery| async move {
                    format!("BEGIN:VCALENDAR\r\nX-QUERY:{}\r\nEND:VCALENDAR\r\n", q.unwrap_or_default())
                }),
            )
            .route("/api/v1/categories", route_get(|| async { "[]" }))
            .route("/api/v1/venues", route_get(|| async { "[]" }))
            .route("/api/v1/sources", route_get(|| async { "[]" }))
    }

    const WIDGET: &str = "(() => {\n  const BABILLARD_STATIC = false;\n})();\n";

    fn read(root: &Path, rel: &str) -> String {
        std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    #[tokio::test]
    async fn every_route_lands_in_its_file_and_missing_formats_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let app = fake_router(WIDGET, 200);
        let slugs = vec!["musique".to_string(), "bad slug".to_string()];
        let report = export_router(&app, &slugs, &out, "https://cdn.example.org".into())
            .await
            .unwrap();

        // Every page of the listing, in one file.
        let listing: Value = serde_json::from_str(&read(&out, "api/v1/events.json")).unwrap();
        let ids: Vec<&str> = listing["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, IDS);
        assert_eq!(listing["total"], 5);
        assert_eq!(listing["next_cursor"], Value::Null);
        assert_eq!(report.events, 5);
        assert_eq!(report.event_pages, 5);

        for id in IDS {
            assert_eq!(
                read(&out, &format!("events/{id}/index.html")),
                format!("<html><body><h1>{id}</h1></body></html>")
            );
            assert!(read(&out, &format!("events/{id}.ics")).contains(&format!("UID:{id}")));
            assert_eq!(
                read(&out, &format!("api/v1/events/{id}.json")),
                format!("{{\"id\":\"{id}\"}}")
            );
        }
        assert!(read(&out, "feeds/events.ics").contains("X-QUERY:\r\n"));
        assert!(read(&out, "feeds/category/musique.ics").contains("X-QUERY:category=musique"));
        assert_eq!(read(&out, "embed/index.html"), "<html>embed</html>");
        assert_eq!(read(&out, "sources/index.html"), "<html>sources</html>");
        assert_eq!(read(&out, "api/v1/categories.json"), "[]");
        assert_eq!(
            read(&out, "portal.css"),
            "body{margin:0}",
            "assets the pages name"
        );
        let widget = read(&out, "widget.js");
        assert!(widget.contains(WIDGET_FLAG_ON) && !widget.contains(WIDGET_FLAG_OFF));
        assert!(out.join(MARKER).is_file());

        // The fake serves no RSS and no OpenAPI: left out and said so.
        let skipped: Vec<&str> = report.skipped.iter().map(|s| s.file.as_str()).collect();
        assert_eq!(
            skipped,
            [
                "feeds/events.rss",
                "api/v1/openapi.json",
                "feeds/category/musique.rss"
            ]
        );
        assert!(!out.join("feeds/events.rss").exists());
        assert_eq!(report.categories, 1);
        assert!(
            report.warnings.iter().any(|w| w.contains("bad slug")),
            "{:?}",
            report.warnings
        );

        // Counted right.
        let mut files = 0;
        let mut bytes = 0;
        let mut stack = vec![out.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_dir() {
                    stack.push(entry.path());
                } else {
                    files += 1;
                    bytes += entry.metadata().unwrap().len();
                }
            }
        }
        assert_eq!((report.files, report.bytes), (files, bytes));
        let text = report.to_string();
        assert!(
            text.contains("5 upcoming events") && text.contains("skipped feeds/events.rss"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_failed_export_leaves_the_previous_one_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        export_router(
            &fake_router(WIDGET, 200),
            &[],
            &out,
            "https://a.example".into(),
        )
        .await
        .unwrap();
        let before = read(&out, "api/v1/events.json");

        let err = export_router(
            &fake_router(WIDGET, 500),
            &[],
            &out,
            "https://a.example".into(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, ExportError::Route { route, status: 500, .. } if route == "/embed"),
            "{err}"
        );
        let err = export_router(
            &fake_router("(() => {})();", 200),
            &[],
            &out,
            "https://a.example".into(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ExportError::WidgetFlag), "{err}");
        assert!(err.to_string().contains(WIDGET_FLAG_OFF));

        assert_eq!(read(&out, "api/v1/events.json"), before);
        assert!(out.join("embed/index.html").is_file());
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[tokio::test]
    async fn the_real_api_is_followed_page_by_page() {
        use crate::testdata::{at, occurrence, source_run};
        use index::{Index, SourceInfo};
        use model::{Occurrence, SourceId};

        let dir = tempfile::tempdir().unwrap();
        let index = Arc::new(Index::open(dir.path()).unwrap());
        let source = SourceId::new("mda").unwrap();
        index
            .sync_sources(&[SourceInfo {
                id: source.clone(),
                name: "Maison des arts".into(),
                kind: Some("ics".into()),
                url: "https://mda.example.org/events.ics".into(),
            }])
            .unwrap();
        let occurrences: Vec<Occurrence> = (1..=5)
            .map(|i| {
                let start = at(&format!("2030-0{i}-10T20:00:00-05:00"));
                occurrence("mda", &format!("e{i}"), "x", start)
            })
            .collect();
        let want: Vec<String> = occurrences.iter().map(|o| o.event.id.clone()).collect();
        index
            .record_success(source_run("mda", occurrences))
            .unwrap();
        let state = AppState {
            index,
            live_config: crate::LiveConfig::new(Arc::new(crate::PublishConfig {
                name: "Signé Laval".into(),
                base_url: "https://agenda.example.org".into(),
                timezone: chrono_tz::America::Toronto,
                languages: vec!["fr".into(), "en".into()],
                categories: Vec::new(),
                venues: Vec::new(),
                paused: Vec::new(),
                network: Default::default(),
                source_kinds: Vec::new(),
            })),
            next_runs: crate::NextRuns::default(),
            responses: Default::default(),
            auth: Default::default(),
            source_admin: None,
        };
        let app = crate::router(state);
        for limit in [1, 2, 5, 1000] {
            let got = collect_events(&app, "2026-01-01T00:00:00Z", limit)
                .await
                .unwrap();
            let ids: Vec<String> = got
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(ids, want, "limit {limit}");
        }
        let none = collect_events(&app, "2031-01-01T00:00:00Z", 2)
            .await
            .unwrap();
        assert!(none.is_empty());
    }
}
