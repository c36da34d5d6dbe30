//! The iCalendar feeds: `/feeds/events.ics` (any search, subscribed to) and
//! `/events/{id}.ics` (one event, "add to my calendar"); `/events/{id}`
//! without the suffix is the event's HTML page (see [`crate::pages`]).
//!
//! The feed takes the parameters of the API, with two other defaults: `from`
//! is **now minus 30 days**, so that subscribed calendars keep the recent
//! past instead of seeing events vanish as soon as they end, and `limit` is
//! 1000 (the largest page). `lang` gives titles, descriptions and category
//! names in that language.

use axum::extract::Path;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use crate::cache::CachePolicy;
use crate::handler::{Defaults, Request};
use crate::ics::{write_calendar, CalendarMeta};
use crate::{AppState, PublishConfig};

/// How far back the feed goes when `from` is not given.
pub use crate::params::FEED_PAST_DAYS;

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/feeds/events.ics", get(events_ics))
        .route("/events/{file}", get(event_file))
}

/// How often subscribers are asked to refresh.
pub const FEED_REFRESH_MINUTES: u32 = 60;

/// The feed's color (RFC 7986 `COLOR` takes a CSS3 color name): the
/// portal's accent, as near as a name gets.
pub const FEED_COLOR: &str = "crimson";

/// "Les événements culturels de {name}": how a feed describes itself.
pub(crate) fn description(lang: &str, name: &str) -> String {
    crate::i18n::tr_args(lang, "feeds-description", &[("name", name.into())])
}

/// What the calendar says about itself, in `lang` (else the default
/// language): name, description, color, category names.
pub(crate) fn calendar_meta(config: &PublishConfig, lang: Option<&str>) -> CalendarMeta {
    let page_lang = crate::layout::page_lang(config, lang);
    let description = description(page_lang, &config.name);
    CalendarMeta {
        name: config.name.clone(),
        description: Some(description),
        base_url: config.base_url.trim_end_matches('/').to_string(),
        timezone: config.timezone.name().to_string(),
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
pub async fn events_ics(req: Request) -> Response {
    req.events(
        CachePolicy::Public,
        Defaults::Feed,
        "feed query",
        |page, search| {
            let lang = search.lang.as_deref();
            let meta = calendar_meta(&req.config, lang);
            let body = write_calendar(&page.events, &meta, lang, search.now);
            calendar_response(body, "events.ics")
        },
    )
    .await
}

/// `GET /events/{file}`: `{id}.ics` is one event as a calendar (404 in
/// JSON when unknown); a bare `{id}` is the event's page (404 in HTML).
pub async fn event_file(Path(file): Path<String>, req: Request) -> Response {
    let Some(id) = file.strip_suffix(".ics") else {
        return crate::pages::event_page(req, file).await;
    };
    req.event(CachePolicy::Public, id, |event, lang| {
        let body = write_calendar(
            std::slice::from_ref(&event),
            &calendar_meta(&req.config, lang.as_deref()),
            lang.as_deref(),
            Utc::now(),
        );
        calendar_response(body, &format!("{id}.ics"))
    })
    .await
}
