//! The skeleton of every answer computed from the index, written once.
//!
//! A handler takes a [`Request`] (an extractor: the state, the index
//! generation read first, the headers, the path and the raw query) and
//! says only what is its own: which defaults its query takes, what it asks
//! the index and how it writes the answer. [`Request::search`] parses the
//! query (a bad parameter is the JSON 400), runs the index call on the
//! blocking pool and answers through [`cache::by_generation`]: the ETag is
//! computed before anything else, so an unchanged answer costs a 304 or a
//! copy from the cache without parsing or querying anything.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use index::{Index, IndexError, Query, SourceStatus};
use model::Event;

use crate::cache::{self, CachePolicy};
use crate::params::{self, ParamError, QueryDefaults};
use crate::respond::{json_error, param_error, run_index};
use crate::{AppState, PublishConfig};

/// What a handler of an index answer gets from the request.
pub struct Request {
    pub state: AppState,
    /// The configuration of the calendar asked for (the installation's
    /// at the root): its scope narrows every search, its name and links
    /// make the pages ([`crate::calendars`]).
    pub config: Arc<PublishConfig>,
    /// The index generation, read before anything else (it names the
    /// data the answer is computed from, in the ETag).
    pub generation: u64,
    pub headers: HeaderMap,
    /// Where the answer is served (the calendar's base URL, then the
    /// path): the route part of the ETag.
    pub path: String,
    /// The raw query string.
    pub raw: Option<String>,
}

impl FromRequestParts<AppState> for Request {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let config = crate::calendars::site_of(parts, state);
        Ok(Request {
            state: state.clone(),
            // A new configuration (categories' names, the gazetteer...)
            // changes answers as new data does: its version counts in.
            generation: state
                .index
                .generation()
                .wrapping_add(state.live_config.version() << 40),
            headers: parts.headers.clone(),
            // Two calendars (or a calendar at its host and under `/c/`)
            // answer the same path differently: the route part of the ETag
            // and of the answer cache names where it is served.
            path: format!("{}{}", config.base_url, parts.uri.path()),
            raw: parts.uri.query().map(str::to_string),
            config,
        })
    }
}

/// Which defaults a search takes when the query leaves them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defaults {
    /// The API's: upcoming events, 50 a page ([`QueryDefaults::upcoming`]).
    Upcoming,
    /// The iCalendar feed's: the recent past too, the largest page
    /// ([`QueryDefaults::feed`]).
    Feed,
}

/// A parsed search: the index query, the language asked for and the
/// instant the defaults were taken at.
pub struct Search {
    pub query: Query,
    pub lang: Option<String>,
    pub now: DateTime<Utc>,
}

impl Request {
    /// The raw query, borrowed.
    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// The search the query asks for, with `defaults`.
    pub fn search_query(&self, defaults: Defaults) -> Result<Search, ParamError> {
        let now = Utc::now();
        let languages = &self.config.languages;
        let defaults = match defaults {
            Defaults::Upcoming => QueryDefaults::upcoming(now, languages),
            Defaults::Feed => QueryDefaults::feed(now, languages),
        };
        let (mut query, lang) =
            params::parse_query_with(self.raw(), self.config.timezone, &defaults)?;
        params::check_territories(
            &query.territories,
            self.config
                .network
                .territories
                .iter()
                .map(|t| t.id.as_str()),
        )?;
        query.scope = self.config.scope().cloned();
        Ok(Search { query, lang, now })
    }

    /// The only parameter of routes that take no search: `lang`.
    pub fn lang(&self) -> Result<Option<String>, ParamError> {
        params::parse_lang(self.raw(), &self.config.languages)
    }

    /// `render`'s answer through the ETag, the 304 and the router's cache
    /// of rendered answers ([`cache::by_generation`]).
    pub async fn cached(
        &self,
        policy: CachePolicy,
        render: impl Future<Output = Response>,
    ) -> Response {
        cache::by_generation(
            &self.state.responses,
            self.generation,
            &self.headers,
            &self.path,
            self.raw(),
            policy,
            render,
        )
        .await
    }

    /// A search answered from the index: parse the query with `defaults`
    /// (a bad parameter is the JSON 400), `ask` the index on the blocking
    /// pool, `respond` with what it found.
    pub async fn search<T, A, R>(
        &self,
        policy: CachePolicy,
        defaults: Defaults,
        context: &'static str,
        ask: A,
        respond: R,
    ) -> Response
    where
        T: Send + 'static,
        A: FnOnce(&Index, &Query) -> Result<T, IndexError> + Send + 'static,
        R: FnOnce(T, Search) -> Response,
    {
        self.cached(policy, async {
            let search = match self.search_query(defaults) {
                Ok(search) => search,
                Err(e) => return param_error(e),
            };
            let query = search.query.clone();
            match run_index(&self.state.index, context, move |ix| ask(ix, &query)).await {
                Ok(found) => respond(found, search),
                Err(response) => response,
            }
        })
        .await
    }

    /// A page of events answered from the index ([`Request::search`]
    /// asking [`Index::query`]).
    pub async fn events(
        &self,
        policy: CachePolicy,
        defaults: Defaults,
        context: &'static str,
        respond: impl FnOnce(index::Page, Search) -> Response,
    ) -> Response {
        self.search(policy, defaults, context, |ix, q| ix.query(q), respond)
            .await
    }

    /// One event by id, in the language asked for (a bad `lang` is the
    /// JSON 400, an unknown id the JSON 404).
    pub async fn event(
        &self,
        policy: CachePolicy,
        id: &str,
        respond: impl FnOnce(Event, Option<String>) -> Response,
    ) -> Response {
        self.cached(policy, async {
            let lang = match self.lang() {
                Ok(lang) => lang,
                Err(e) => return param_error(e),
            };
            let lookup = id.to_string();
            let scope = self.config.scope().cloned();
            match run_index(&self.state.index, "event lookup", move |ix| {
                ix.event(&lookup)
            })
            .await
            {
                // An event of another calendar is not one of this one's.
                Ok(Some(event)) if scope.as_ref().is_none_or(|s| s.matches(&event)) => {
                    respond(event, lang)
                }
                Ok(_) => json_error(StatusCode::NOT_FOUND, format!("no event with id {id}")),
                Err(response) => response,
            }
        })
        .await
    }
}

/// Every source's status, with its next run from the scheduler.
pub async fn sources_with_next_runs(
    state: &AppState,
    context: &'static str,
) -> Result<Vec<SourceStatus>, Response> {
    let mut sources = run_index(&state.index, context, |ix| ix.sources()).await?;
    let next = state.next_runs.read().unwrap_or_else(|e| e.into_inner());
    for s in &mut sources {
        s.next_run = next.get(&s.id).copied();
    }
    Ok(sources)
}
