//! `/feeds/events.rss`: the events as RSS 2.0 with the RSS event module
//! (`ev:startdate`, `ev:enddate`, `ev:location`, `ev:organizer`), for feed
//! readers and for the sites that re-publish an agenda from a feed.
//!
//! The feed takes the parameters of the API, with the same defaults (`from`
//! now, 50 items); `lang` picks the titles, descriptions and category names.
//! Each item links to the event's page and has the event id as its guid, so
//! a reader sees an event once however often it changes; `pubDate` is when
//! it last changed.

use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use model::Event;

use crate::cache::CachePolicy;
use crate::handler::{Defaults, Request};
use crate::i18n;
use crate::lang::localize;
use crate::layout::page_lang;
use crate::{AppState, PublishConfig};

/// The RSS event module's namespace.
pub const EVENT_NS: &str = "http://purl.org/rss/1.0/modules/event/";

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/feeds/events.rss", get(events_rss))
}

/// `GET /feeds/events.rss`.
pub async fn events_rss(req: Request) -> Response {
    req.events(
        CachePolicy::Public,
        Defaults::Upcoming,
        "rss query",
        |page, search| {
            let lang = search.lang.as_deref();
            let body = write_rss(&page.events, &req.config, lang, req.raw());
            (
                [(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/rss+xml; charset=utf-8"),
                )],
                body,
            )
                .into_response()
        },
    )
    .await
}

/// The whole RSS document. `raw_query` is the request's query, for the
/// feed's own address (`atom:link rel="self"`).
pub fn write_rss(
    events: &[Event],
    config: &PublishConfig,
    lang: Option<&str>,
    raw_query: Option<&str>,
) -> String {
    let base = config.base_url.trim_end_matches('/');
    let channel_lang = page_lang(config, lang).to_string();
    let mut self_url = format!("{base}/feeds/events.rss");
    if let Some(q) = raw_query.filter(|q| !q.is_empty()) {
        self_url.push('?');
        self_url.push_str(q);
    }
    let mut out = String::with_capacity(1024 + events.len() * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<rss version=\"2.0\" xmlns:ev=\"{EVENT_NS}\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
    ));
    element(&mut out, 1, "title", &config.name);
    element(&mut out, 1, "link", &format!("{base}/?lang={channel_lang}"));
    element(
        &mut out,
        1,
        "description",
        &crate::feeds::description(&channel_lang, &config.name),
    );
    element(&mut out, 1, "language", &channel_lang);
    out.push_str(&format!(
        "  <atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        xml_escape(&self_url)
    ));
    if let Some(latest) = events.iter().map(|e| e.updated_at).max() {
        element(&mut out, 1, "lastBuildDate", &rfc822(latest));
    }
    element(&mut out, 1, "generator", "babillard");
    element(
        &mut out,
        1,
        "ttl",
        &crate::feeds::FEED_REFRESH_MINUTES.to_string(),
    );
    for event in events {
        let mut event = event.clone();
        if let Some(lang) = lang {
            localize(&mut event, lang);
        }
        item(&mut out, &event, config, &channel_lang);
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

fn item(out: &mut String, event: &Event, config: &PublishConfig, lang: &str) {
    let base = config.base_url.trim_end_matches('/');
    out.push_str("  <item>\n");
    element(out, 2, "title", &event.title);
    element(out, 2, "link", &format!("{base}/events/{}", event.id));
    out.push_str(&format!(
        "    <guid isPermaLink=\"false\">{}</guid>\n",
        xml_escape(&event.id)
    ));
    let mut description = match event.status {
        model::Status::Scheduled => String::new(),
        model::Status::Cancelled => format!("{} — ", i18n::tr(lang, "feeds-cancelled")),
        model::Status::Postponed => format!("{} — ", i18n::tr(lang, "feeds-postponed")),
    };
    description.push_str(&crate::pages::when_text(event, lang));
    if let Some(venue) = &event.venue {
        description.push_str(" — ");
        description.push_str(&crate::ics::location_text(venue));
    }
    if let Some(d) = event
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        description.push_str("\n\n");
        description.push_str(d.trim());
    }
    element(out, 2, "description", &description);
    element(out, 2, "pubDate", &rfc822(event.updated_at));
    for c in &event.categories {
        element(out, 2, "category", &config.category_name(c, Some(lang)));
    }
    element(out, 2, "ev:startdate", &event.start.to_rfc3339());
    if let Some(end) = event.end.filter(|e| *e > event.start) {
        element(out, 2, "ev:enddate", &end.to_rfc3339());
    }
    if let Some(venue) = &event.venue {
        let location = crate::ics::location_text(venue);
        if !location.is_empty() {
            element(out, 2, "ev:location", &location);
        }
    }
    if let Some(org) = event
        .organizer
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        element(out, 2, "ev:organizer", org);
    }
    out.push_str("  </item>\n");
}

/// `<name>text</name>` on its own line, indented by `depth` levels.
fn element(out: &mut String, depth: usize, name: &str, text: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(&format!("<{name}>{}</{name}>\n", xml_escape(text)));
}

/// `Sun, 01 Nov 2026 12:00:00 +0000`.
fn rfc822(at: DateTime<Utc>) -> String {
    at.to_rfc2822()
}

/// Escape text for XML content and attributes, dropping the characters
/// XML 1.0 does not allow at all.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::feed_events;
    use crate::CategoryInfo;

    fn config() -> PublishConfig {
        PublishConfig {
            name: "Signé Laval & co".into(),
            base_url: "https://agenda.example.org/".into(),
            timezone: chrono_tz::America::Toronto,
            languages: vec!["fr".into(), "en".into()],
            categories: vec![CategoryInfo {
                slug: "theatre".into(),
                name: [("fr", "Théâtre"), ("en", "Theatre")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }],
            venues: Vec::new(),
            paused: Vec::new(),
            network: Default::default(),
            source_kinds: Vec::new(),
        }
    }

    #[test]
    fn items_carry_the_event_module() {
        let events = feed_events();
        let xml = write_rss(&events, &config(), Some("en"), Some("lang=en&q=a<b"));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\""));
        for want in [
            "<title>Signé Laval &amp; co</title>",
            "<language>en</language>",
            "<atom:link href=\"https://agenda.example.org/feeds/events.rss?lang=en&amp;q=a&lt;b\" rel=\"self\" type=\"application/rss+xml\"/>",
            "<title>The Sisters-in-Law</title>",
            "<link>https://agenda.example.org/events/belles-soeurs</link>",
            "<guid isPermaLink=\"false\">belles-soeurs</guid>",
            "<pubDate>Sun, 1 Nov 2026 12:00:00 +0000</pubDate>",
            "<category>Theatre</category>",
            "<ev:startdate>2026-12-05T20:00:00-05:00</ev:startdate>",
            "<ev:enddate>2026-12-05T22:00:00-05:00</ev:enddate>",
            "<ev:location>Maison des arts de Laval, 1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1</ev:location>",
            "<ev:organizer>billets@mda.example.org</ev:organizer>",
            "<description>CANCELLED — Friday, January 15, 2027, 7:00 PM – 9:00 PM</description>",
            "<description>Saturday, December 5, 2026, 8:00 PM – 10:00 PM — Maison des arts de Laval",
        ] {
            assert!(xml.contains(want), "missing {want} in\n{xml}");
        }
        assert_eq!(xml.matches("<item>").count(), events.len());
        // No end: no ev:enddate for that item.
        let fete = xml
            .split("<item>")
            .find(|i| i.contains("<guid isPermaLink=\"false\">fete-canada</guid>"))
            .unwrap();
        assert!(!fete.contains("ev:enddate"));
    }

    #[test]
    fn text_is_escaped_and_invalid_characters_dropped() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}\u{7}d\te\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;d\te\n"
        );
    }
}
