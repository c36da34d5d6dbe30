//! Several calendars on one installation (`[[calendar]]`), and the
//! territories events are placed in (`[[territory]]`).
//!
//! One ingest feeds every calendar: a calendar is a view of the one store,
//! an [`index::Scope`] that every query of its surface carries. Each
//! calendar has the whole public surface under `/c/{id}/` and at the root
//! of its `hosts`; the root of the installation serves every event under
//! the aggregator's name, as before.
//!
//! How a request reaches its calendar: [`route`] runs before the router.
//! It strips `/c/{id}` from the path (or recognizes a calendar's `Host`)
//! and hands the handlers that calendar's [`PublishConfig`] (a [`Scoped`]
//! extension, read with the [`Site`] extractor): its name, languages,
//! branding, the prefix of its links and its scope. Handlers never look at
//! the path prefix themselves, so one handler serves every calendar.
//!
//! The variants of the configuration (one per calendar, one per host) are
//! derived once, when the configuration is set ([`Variants`]), not per
//! request. Every answer computed from the index keys its ETag and the
//! answer cache on the variant's `base_url` plus the path
//! ([`crate::handler::Request`]), so two calendars never share an answer.
//!
//! Also here: `/api/v1/calendars`, `/api/v1/calendar` (the one served),
//! `/api/v1/territories`, and each calendar's `brand.css` (its accent
//! colour, a stylesheet rather than an inline style, for the strict CSP)
//! and `logo`.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use index::Scope;
use serde::Serialize;

use crate::cache::{self, CachePolicy};
use crate::respond::json_error;
use crate::{AppState, LiveConfig, PublishConfig};

/// A `[[territory]]` as publishing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerritoryInfo {
    pub id: String,
    /// Language code → name.
    pub name: BTreeMap<String, String>,
}

/// A `[[calendar]]` as publishing serves it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarInfo {
    pub id: String,
    pub name: String,
    /// First one is the default.
    pub languages: Vec<String>,
    /// Host names served at their root (lowercase).
    pub hosts: Vec<String>,
    /// `#rgb` or `#rrggbb` (checked by the configuration).
    pub accent: Option<String>,
    /// The logo file (svg, png, jpeg or webp).
    pub logo: Option<PathBuf>,
    /// Language code → a short text shown atop its portal.
    pub intro: BTreeMap<String, String>,
    /// Which events are its own.
    pub scope: Scope,
    /// Every source it lists (its members, and its member calendars'):
    /// what its sources page shows.
    pub sources: Vec<String>,
}

/// The calendars and territories of the installation, and which calendar
/// a configuration serves.
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub territories: Vec<TerritoryInfo>,
    pub calendars: Vec<Arc<CalendarInfo>>,
    /// The calendar served; `None`: the whole installation.
    pub current: Option<Arc<CalendarInfo>>,
    /// What the links of its pages start with: `""`, or `/c/{id}` under
    /// the path prefix.
    pub prefix: String,
}

impl PublishConfig {
    /// The configuration of `calendar`, served under `/c/{id}/` (`host`
    /// None) or at the root of `host`.
    pub fn for_calendar(&self, calendar: &Arc<CalendarInfo>, host: Option<&str>) -> PublishConfig {
        let mut config = self.clone();
        config.name = calendar.name.clone();
        if !calendar.languages.is_empty() {
            config.languages = calendar.languages.clone();
        }
        match host {
            None => {
                config.network.prefix = format!("/c/{}", calendar.id);
                config.base_url = format!("{}/c/{}", self.base_url, calendar.id);
            }
            Some(host) => {
                let scheme = self.base_url.split("://").next().unwrap_or("https");
                config.network.prefix = String::new();
                config.base_url = format!("{scheme}://{host}");
            }
        }
        config.network.current = Some(Arc::clone(calendar));
        config
    }

    /// The scope of the calendar served, if one is.
    pub fn scope(&self) -> Option<&Scope> {
        self.network.current.as_ref().map(|c| &c.scope)
    }

    /// `path` (starting with `/`) under this calendar's prefix: where a
    /// page links to its own surface.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.network.prefix, path)
    }

    /// The name of a territory in `lang`, else in the default language,
    /// else its id.
    pub fn territory_name(&self, id: &str, lang: &str) -> String {
        self.network
            .territories
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| {
                t.name
                    .get(lang)
                    .or_else(|| self.languages.first().and_then(|l| t.name.get(l)))
                    .or_else(|| t.name.values().next())
            })
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The intro of the calendar served, in `lang` else its first language.
    pub fn intro(&self, lang: &str) -> Option<&str> {
        let calendar = self.network.current.as_ref()?;
        calendar
            .intro
            .get(lang)
            .or_else(|| self.languages.first().and_then(|l| calendar.intro.get(l)))
            .or_else(|| calendar.intro.values().next())
            .map(String::as_str)
    }

    /// The `<head>` links of the calendar's branding (its accent colour):
    /// empty at the root or without an accent.
    pub fn brand_head(&self) -> String {
        match self.network.current.as_ref() {
            Some(c) if c.accent.is_some() => format!(
                "<link rel=\"stylesheet\" href=\"{}\">",
                crate::layout::esc(&self.link("/brand.css"))
            ),
            _ => String::new(),
        }
    }
}

/// The configuration of every calendar, by id and by host, derived from
/// the root configuration when it is set.
#[derive(Debug, Default)]
pub struct Variants {
    by_id: HashMap<String, Arc<PublishConfig>>,
    by_host: HashMap<String, Arc<PublishConfig>>,
}

impl Variants {
    pub fn of(root: &PublishConfig) -> Variants {
        let mut variants = Variants::default();
        for calendar in &root.network.calendars {
            variants.by_id.insert(
                calendar.id.clone(),
                Arc::new(root.for_calendar(calendar, None)),
            );
            for host in &calendar.hosts {
                variants.by_host.insert(
                    host.to_ascii_lowercase(),
                    Arc::new(root.for_calendar(calendar, Some(host))),
                );
            }
        }
        variants
    }

    pub fn calendar(&self, id: &str) -> Option<Arc<PublishConfig>> {
        self.by_id.get(id).cloned()
    }

    pub fn host(&self, host: &str) -> Option<Arc<PublishConfig>> {
        self.by_host.get(host).cloned()
    }
}

/// The configuration a request is served with, put there by [`route`].
#[derive(Clone, Debug)]
pub struct Scoped(pub Arc<PublishConfig>);

/// The configuration of the calendar a request is for (the installation's
/// when none): what handlers read instead of [`AppState::config`].
pub struct Site(pub Arc<PublishConfig>);

impl FromRequestParts<AppState> for Site {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Site(site_of(parts, state)))
    }
}

/// The configuration `parts` are served with.
pub fn site_of(parts: &Parts, state: &AppState) -> Arc<PublishConfig> {
    parts
        .extensions
        .get::<Scoped>()
        .map(|s| Arc::clone(&s.0))
        .unwrap_or_else(|| state.config())
}

/// The host a request names (`Host`, else the URI's authority), lowercase,
/// without its port.
fn host_of(request: &Request) -> Option<String> {
    let raw = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))?;
    let host = match raw.strip_prefix('[') {
        // An IPv6 literal: never a calendar's host name.
        Some(_) => return None,
        None => raw.split(':').next().unwrap_or(raw),
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

/// The layer before the router: see the module doc. `/c/{id}` alone is
/// sent to `/c/{id}/`; an unknown id is a 404 (JSON under `/api/` and
/// `/feeds/`, a page in French otherwise).
pub async fn route(State(live): State<LiveConfig>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if let Some(rest) = path.strip_prefix("/c/") {
        let (id, tail) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let Some(config) = live.variants().calendar(id) else {
            let mut response = unknown_calendar(&live.get(), id, tail, request.headers());
            crate::security::harden(&path, &mut response);
            return response;
        };
        let query = request.uri().query().map(str::to_string);
        if tail.is_empty() {
            let to = match &query {
                Some(q) => format!("/c/{id}/?{q}"),
                None => format!("/c/{id}/"),
            };
            let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
            if let Ok(v) = HeaderValue::from_str(&to) {
                response.headers_mut().insert(LOCATION, v);
            }
            crate::security::harden(&path, &mut response);
            return response;
        }
        let rewritten = match &query {
            Some(q) => format!("{tail}?{q}"),
            None => tail.to_string(),
        };
        match Uri::try_from(rewritten) {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return json_error(StatusCode::BAD_REQUEST, "malformed path"),
        }
        request.extensions_mut().insert(Scoped(config));
    } else if let Some(config) = host_of(&request).and_then(|h| live.variants().host(&h)) {
        request.extensions_mut().insert(Scoped(config));
    }
    next.run(request).await
}

/// The 404 of `/c/{id}/...` for an id no calendar has.
fn unknown_calendar(root: &PublishConfig, id: &str, tail: &str, headers: &HeaderMap) -> Response {
    let known: Vec<&str> = root
        .network
        .calendars
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let machine = tail.starts_with("/api/")
        || tail.starts_with("/feeds/")
        || tail.ends_with(".ics")
        || tail.ends_with(".json")
        || tail.ends_with(".js")
        || !headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.contains("text/html") || v.contains("*/*"));
    if machine {
        let message = if known.is_empty() {
            format!("no calendar {id:?}: this installation has none")
        } else {
            format!("no calendar {id:?} (known: {})", known.join(", "))
        };
        return json_error(StatusCode::NOT_FOUND, message);
    }
    // French first, always: nothing says which language the visitor of an
    // unknown calendar reads.
    let lang = root.languages.first().map(String::as_str).unwrap_or("fr");
    crate::portal::unknown_calendar_page(root, lang, id)
}

/// The sources of the calendar `config` serves (all at the root), in their
/// order.
pub fn own_sources(
    config: &PublishConfig,
    sources: Vec<index::SourceStatus>,
) -> Vec<index::SourceStatus> {
    match &config.network.current {
        None => sources,
        Some(c) => sources
            .into_iter()
            .filter(|s| c.sources.contains(&s.id))
            .collect(),
    }
}

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calendars", get(calendars))
        .route("/api/v1/calendar", get(calendar))
        .route("/api/v1/territories", get(territories))
        .route("/brand.css", get(brand_css))
        .route("/logo", get(logo))
}

/// One calendar in `/api/v1/calendars` and `/api/v1/calendar`.
#[derive(Serialize)]
struct CalendarJson<'a> {
    id: Option<&'a str>,
    name: &'a str,
    languages: &'a [String],
    hosts: &'a [String],
    /// Its own surface, absolute.
    url: String,
    accent: Option<&'a str>,
    /// Absolute, when it has one.
    logo: Option<String>,
    intro: Option<&'a BTreeMap<String, String>>,
}

fn calendar_json<'a>(root: &'a PublishConfig, c: Option<&'a CalendarInfo>) -> CalendarJson<'a> {
    match c {
        Some(c) => CalendarJson {
            id: Some(&c.id),
            name: &c.name,
            languages: if c.languages.is_empty() {
                &root.languages
            } else {
                &c.languages
            },
            hosts: &c.hosts,
            url: format!("{}/c/{}/", root.base_url, c.id),
            accent: c.accent.as_deref(),
            logo: c
                .logo
                .as_ref()
                .map(|_| format!("{}/c/{}/logo", root.base_url, c.id)),
            intro: Some(&c.intro),
        },
        None => CalendarJson {
            id: None,
            name: &root.name,
            languages: &root.languages,
            hosts: &[],
            url: format!("{}/", root.base_url),
            accent: None,
            logo: None,
            intro: None,
        },
    }
}

fn json_answer(headers: &HeaderMap, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => cache::by_body(
            headers,
            CachePolicy::Revalidate,
            StatusCode::OK,
            "application/json",
            body,
        ),
        Err(e) => crate::respond::internal_error("calendars json", &e),
    }
}

/// `GET /api/v1/calendars`: every calendar of the installation.
async fn calendars(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let root = state.config();
    let list: Vec<CalendarJson<'_>> = root
        .network
        .calendars
        .iter()
        .map(|c| calendar_json(&root, Some(c)))
        .collect();
    json_answer(&headers, &list)
}

/// `GET /api/v1/calendar`: the calendar served (under `/c/{id}/` or its
/// host), with its branding; `id` null at the root of the installation.
async fn calendar(State(state): State<AppState>, Site(site): Site, headers: HeaderMap) -> Response {
    let root = state.config();
    json_answer(
        &headers,
        &calendar_json(&root, site.network.current.as_deref()),
    )
}

#[derive(Serialize)]
struct TerritoryJson<'a> {
    id: &'a str,
    name: &'a BTreeMap<String, String>,
}

/// `GET /api/v1/territories`: every territory, for filters.
async fn territories(Site(site): Site, headers: HeaderMap) -> Response {
    let list: Vec<TerritoryJson<'_>> = site
        .network
        .territories
        .iter()
        .map(|t| TerritoryJson {
            id: &t.id,
            name: &t.name,
        })
        .collect();
    json_answer(&headers, &list)
}

/// `GET /brand.css` of a calendar: its accent colour as the custom property
/// the pages' stylesheet reads (`--accent`). Empty elsewhere.
async fn brand_css(Site(site): Site, headers: HeaderMap) -> Response {
    let accent = site
        .network
        .current
        .as_ref()
        .and_then(|c| c.accent.as_deref())
        .filter(|a| is_colour(a));
    let body = match accent {
        Some(a) => format!(":root{{--accent:{a}}}\n"),
        None => String::new(),
    };
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        StatusCode::OK,
        "text/css; charset=utf-8",
        body.into_bytes(),
    )
}

/// `#rgb` or `#rrggbb`: the only colours that reach a stylesheet (the
/// configuration checks them too).
pub fn is_colour(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|hex| {
        (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The largest logo served.
const MAX_LOGO_BYTES: u64 = 1024 * 1024;

/// `GET /logo` of a calendar: its logo file.
async fn logo(Site(site): Site, headers: HeaderMap) -> Response {
    let Some(path) = site.network.current.as_ref().and_then(|c| c.logo.clone()) else {
        return json_error(StatusCode::NOT_FOUND, "this calendar has no logo");
    };
    let kind = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => return json_error(StatusCode::NOT_FOUND, "the logo is not an image"),
    };
    let read = async {
        let meta = tokio::fs::metadata(&path).await?;
        if meta.len() > MAX_LOGO_BYTES {
            return Err(std::io::Error::other("larger than 1 MB"));
        }
        tokio::fs::read(&path).await
    };
    match read.await {
        Ok(bytes) => {
            let mut response = cache::by_body(
                &headers,
                CachePolicy::Revalidate,
                StatusCode::OK,
                kind,
                bytes,
            );
            let h = response.headers_mut();
            h.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            if let Ok(v) = HeaderValue::from_str(kind) {
                h.insert(CONTENT_TYPE, v);
            }
            response
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "calendar logo unreadable");
            json_error(StatusCode::NOT_FOUND, "the logo cannot be read")
        }
    }
}

#[cfg(test)]
#[path = "calendars_tests.rs"]
mod tests;
