//! The iCalendar feeds: `/feeds/events.ics` (any search, subscribed to) and
//! `/events/{id}.ics` (one event, "add to my calendar"); `/events/{id}`
//! without the suffix is the event's HTML page (see [`crate::pages`]).
//!
//! The feed takes the parameters of the API, with two other defaults: `from`
//! is **now minus 30 days**, so that subscribed calendars keep the recent
//! past instead of seeing events vanish as soon as they end, and `limit` is
//! 1000 (the largest page). `lang` gives titles, descriptions and category
//! names in that language.

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};

use crate::api::{aggregator_tz, cached, generation, json_error, param_error, run_index};
use crate::cache::CachePolicy;
use crate::ics::{write_calendar, CalendarMeta};
use crate::params::{self, QueryDefaults, MAX_LIMIT};
use crate::AppState;

/// How far back the feed goes when `from` is not given.
pub const FEED_PAST_DAYS: i64 = 30;
/// How often subscribers are asked to refresh.
pub const FEED_REFRESH_MINUTES: u32 = 60;

/// The feed's color (RFC 7986 `COLOR` takes a CSS3 color name): the
/// portal's accent, as near as a name gets.
pub const FEED_COLOR: &str = "crimson";

/// What the calendar says about itself, in `lang` (else the default
/// language): name, description, color, category names.
pub(crate) fn calendar_meta(state: &AppState, lang: Option<&str>) -> CalendarMeta {
    let config = &state.config;
    let page_lang = crate::layout::page_lang(config, lang);
    let description = format!(
        "{} {}",
        crate::layout::t(
            page_lang,
            "Les événements culturels de",
            "Cultural events from"
        ),
        config.name
    );
    CalendarMeta {
        name: config.name.clone(),
        description: Some(description),
        base_url: config.base_url.trim_end_matches('/').to_string(),
        timezone: config.timezone.clone(),
        refresh_minutes: FEED_REFRESH_MINUTES,
        color: Some(FEED_COLOR.to_string()),
        image: None,
        category_names: config
            .categories
            .iter()
            .map(|c| {
                (
                    c.slug.clone(),
                    config.category_name(&c.slug, Some(page_lang)),
                )
            })
            .collect(),
    }
}

fn calendar_response(body: String, filename: &str) -> Response {
    let mut response = (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )],
        body,
    )
        .into_response();
    let safe: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{safe}\"")) {
        response.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    response
}

/// `GET /feeds/events.ics`.
pub async fn events_ics(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let generation = generation(&state);
    let render = async {
        let now = Utc::now();
        let defaults = QueryDefaults {
            from: now - Duration::days(FEED_PAST_DAYS),
            limit: MAX_LIMIT,
            languages: &state.config.languages,
        };
        let (query, lang) =
            match params::parse_query_with(raw.as_deref(), aggregator_tz(&state), &defaults) {
                Ok(parsed) => parsed,
                Err(e) => return param_error(e),
            };
        let page = match run_index(&state.index, "feed query", move |ix| ix.query(&query)).await {
            Ok(page) => page,
            Err(response) => return response,
        };
        let meta = calendar_meta(&state, lang.as_deref());
        let body = write_calendar(&page.events, &meta, lang.as_deref(), now);
        calendar_response(body, "events.ics")
    };
    cached(
        &state,
        generation,
        &headers,
        &uri,
        raw.as_deref(),
        CachePolicy::Public,
        render,
    )
    .await
}

/// `GET /events/{file}`: `{id}.ics` is one event as a calendar (404 in
/// JSON when unknown); a bare `{id}` is the event's page (404 in HTML).
pub async fn event_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(id) = file.strip_suffix(".ics").map(str::to_string) else {
        return crate::pages::event_page(state, file, headers, uri, raw).await;
    };
    let generation = generation(&state);
    let render = async {
        let lang = match params::parse_lang(raw.as_deref(), &state.config.languages) {
            Ok(lang) => lang,
            Err(e) => return param_error(e),
        };
        let lookup = id.clone();
        match run_index(&state.index, "event lookup", move |ix| ix.event(&lookup)).await {
            Ok(Some(event)) => {
                let body = write_calendar(
                    std::slice::from_ref(&event),
                    &calendar_meta(&state, lang.as_deref()),
                    lang.as_deref(),
                    Utc::now(),
                );
                calendar_response(body, &format!("{id}.ics"))
            }
            Ok(None) => json_error(StatusCode::NOT_FOUND, format!("no event with id {id}")),
            Err(response) => response,
        }
    };
    cached(
        &state,
        generation,
        &headers,
        &uri,
        raw.as_deref(),
        CachePolicy::Public,
        render,
    )
    .await
}
