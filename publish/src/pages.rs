//! The event page, `/events/{id}`: the event for people (title, date and
//! time in French or English in the event's own zone, status, venue with
//! its address and a map link, description, categories, image, "add to my
//! calendar" links, the sources it came from) and for search engines
//! (schema.org `Event` JSON-LD, as Google's event rich results read it).
//!
//! Also the subscribe links every feed offers ([`subscribe_links`]):
//! `webcal://`, Google Calendar and Outlook.com.
//!
//! The route itself is `feeds::event_file`, which serves `{id}.ics` and
//! hands a bare `{id}` to [`event_page`]: this module has no route of its
//! own.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use model::{Event, Precision, Status, Venue};
use serde_json::{json, Map, Value};

use crate::cache::CachePolicy;
use crate::handler::Request;
use crate::i18n;
use crate::lang::localize;
use crate::layout::{
    date_text, date_time_text, esc, json_for_script, page, page_lang, time_text, tr_esc, tr_html,
    Page,
};
use crate::params::{self, encode_value as enc};
use crate::portal::{bad_request, error_page, server_error};
use crate::respond::{html, run_index};
use crate::PublishConfig;

/// The ways to subscribe to a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribeLinks {
    /// `webcal://host/feeds/events.ics?...`: Apple Calendar, Thunderbird,
    /// Outlook on the desktop.
    pub webcal: String,
    /// The feed itself over HTTP(S).
    pub https: String,
    /// Google Calendar's "add by URL".
    pub google: String,
    /// Outlook.com's "subscribe from the web".
    pub outlook: String,
}

impl SubscribeLinks {
    /// The same links, Outlook.com's naming the calendar `name`.
    pub fn named(mut self, name: &str) -> SubscribeLinks {
        self.outlook = format!("{}&name={}", self.outlook, enc(name));
        self
    }
}

/// The subscribe links of `/feeds/events.ics` with the raw query `query`
/// (the parameters of a search, so that any search can be subscribed to;
/// `cursor` is dropped, a subscription has no page).
pub fn subscribe_links(base_url: &str, query: Option<&str>) -> SubscribeLinks {
    let base = base_url.trim_end_matches('/');
    let kept = params::pairs_without(query.map(|q| q.trim_start_matches('?')), &["cursor"]);
    let https = params::with_pairs(&format!("{base}/feeds/events.ics"), &kept);
    let webcal = match https.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => https.clone(),
    };
    SubscribeLinks {
        google: format!(
            "https://calendar.google.com/calendar/r?cid={}",
            enc(&webcal)
        ),
        outlook: format!(
            "https://outlook.live.com/calendar/0/addfromweb?url={}",
            enc(&https)
        ),
        webcal,
        https,
    }
}

/// `GET /events/{id}`: the page, or an HTML 404 (the route is
/// [`crate::feeds::event_file`]'s); its errors are pages too, in the
/// visitor's language.
pub async fn event_page(req: Request, id: String) -> Response {
    req.cached(CachePolicy::Public, async {
        let config = &req.config;
        let lang = match req.lang() {
            Ok(lang) => lang,
            Err(e) => return bad_request(config, page_lang(config, None), &e),
        };
        let lang = page_lang(config, lang.as_deref()).to_string();
        let lookup = id.clone();
        let found = run_index(&req.state.index, "event page", move |ix| {
            let event = ix.event(&lookup)?;
            let sources = match event {
                Some(_) => ix.sources()?,
                None => Vec::new(),
            };
            Ok((event, sources))
        })
        .await;
        let (event, sources) = match found {
            Ok(found) => found,
            // The cause is logged by `run_index`.
            Err(_) => return server_error(config, &lang),
        };
        // An event of another calendar is not one of this one's.
        let event = event.filter(|e| config.scope().is_none_or(|s| s.matches(e)));
        match event {
            Some(event) => {
                let names: Vec<(String, String)> =
                    sources.into_iter().map(|s| (s.id, s.name)).collect();
                html(StatusCode::OK, render_event(config, event, &lang, &names))
            }
            None => not_found_page(config, &lang, &id),
        }
    })
    .await
}

fn not_found_page(config: &PublishConfig, lang: &str, id: &str) -> Response {
    let title = i18n::tr(lang, "error-event-not-found-title");
    let body = format!(
        "<h1>{title}</h1>\n<p>{msg}</p>\n<p><a href=\"{p}/?lang={lang}\">{back}</a></p>",
        p = esc(&config.network.prefix),
        title = esc(&title),
        msg = tr_html(
            lang,
            "error-event-not-found",
            &[("id", &format!("<code>{}</code>", esc(id)))]
        ),
        lang = esc(lang),
        back = tr_esc(lang, "error-all-events"),
    );
    error_page(config, lang, StatusCode::NOT_FOUND, &title, &body)
}

/// The whole page of `event` in `lang`; `source_names` maps source ids to
/// their names.
pub fn render_event(
    config: &PublishConfig,
    mut event: Event,
    lang: &str,
    source_names: &[(String, String)],
) -> String {
    let original_language = event.language.clone();
    localize(&mut event, lang);
    // The HTML description is in the original language: shown only when
    // the text shown is the original.
    let description_html = if event.language == original_language {
        event.description_html.clone()
    } else {
        None
    };
    let base = config.base_url.trim_end_matches('/');
    let page_url = format!("{base}/events/{}", event.id);
    let jsonld = event_jsonld(config, &event, lang);
    // No icon to fetch (a 404 on every first visit otherwise).
    let mut head = format!(
        "{icon}\n<link rel=\"canonical\" href=\"{url}\">\n\
<link rel=\"alternate\" type=\"text/calendar\" href=\"{p}/events/{id}.ics\">\n\
<meta property=\"og:type\" content=\"website\">\n\
<meta property=\"og:title\" content=\"{title}\">\n\
<meta property=\"og:url\" content=\"{url}\">\n",
        url = esc(&page_url),
        p = esc(&config.network.prefix),
        id = esc(&event.id),
        title = esc(&event.title),
        icon = crate::portal::NO_FAVICON,
    );
    if let Some(d) = event
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        let short: String = d.chars().take(200).collect();
        head.push_str(&format!(
            "<meta name=\"description\" content=\"{}\">\n",
            esc(short.trim())
        ));
    }
    if let Some(img) = event.image.as_deref() {
        head.push_str(&format!(
            "<meta property=\"og:image\" content=\"{}\">\n",
            esc(img)
        ));
    }
    head.push_str(&format!(
        "<script type=\"application/ld+json\">{}</script>",
        json_for_script(&jsonld.to_string())
    ));

    let mut body = String::new();
    body.push_str("<article class=\"event\">\n");
    match event.status {
        Status::Cancelled => body.push_str(&format!(
            "<p class=\"status cancelled\" role=\"status\"><strong>{}</strong></p>\n",
            tr_esc(lang, "status-cancelled")
        )),
        Status::Postponed => body.push_str(&format!(
            "<p class=\"status postponed\" role=\"status\"><strong>{}</strong></p>\n",
            tr_esc(lang, "status-postponed")
        )),
        Status::Scheduled => {}
    }
    let title_lang = event
        .language
        .as_deref()
        .filter(|l| *l != lang)
        .map(|l| format!(" lang=\"{}\"", esc(l)))
        .unwrap_or_default();
    body.push_str(&format!("<h1{title_lang}>{}</h1>\n", esc(&event.title)));
    body.push_str(&format!(
        "<p class=\"when\"><time datetime=\"{}\">{}</time></p>\n",
        esc(&iso_start(&event)),
        esc(&when_text(&event, lang))
    ));
    if let Some(venue) = &event.venue {
        body.push_str(&venue_html(venue, lang));
    }
    if let Some(img) = event.image.as_deref().filter(|i| !i.trim().is_empty()) {
        body.push_str(&format!(
            "<p><img class=\"event-image\" src=\"{}\" alt=\"\" loading=\"lazy\"></p>\n",
            esc(img)
        ));
    }
    match (description_html, event.description.as_deref()) {
        (Some(h), _) if !h.trim().is_empty() => {
            body.push_str(&format!(
                "<div class=\"description\"{title_lang}>{h}</div>\n"
            ));
        }
        (_, Some(d)) if !d.trim().is_empty() => {
            body.push_str(&format!(
                "<div class=\"description\"{title_lang}>{}</div>\n",
                paragraphs(d)
            ));
        }
        _ => {}
    }
    if !event.categories.is_empty() {
        let items: Vec<String> = event
            .categories
            .iter()
            .map(|c| {
                format!(
                    "<li><a href=\"{}/?category={}&amp;lang={}\">{}</a></li>",
                    esc(&config.network.prefix),
                    esc(&enc(c)),
                    esc(lang),
                    esc(&config.category_name(c, Some(lang)))
                )
            })
            .collect();
        body.push_str(&format!(
            "<h2>{}</h2>\n<ul class=\"categories\">{}</ul>\n",
            tr_esc(lang, "pages-categories"),
            items.join("")
        ));
    }
    // The territories it takes place in, each a link to its events.
    let territories: Vec<String> = event
        .territories
        .iter()
        .filter(|t| config.network.territories.iter().any(|k| k.id == **t))
        .map(|t| {
            format!(
                "<li><a href=\"{}/?territory={}&amp;lang={}\">{}</a></li>",
                esc(&config.network.prefix),
                esc(&enc(t)),
                esc(lang),
                esc(&config.territory_name(t, lang))
            )
        })
        .collect();
    if !territories.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2>\n<ul class=\"categories\">{}</ul>\n",
            tr_esc(lang, "pages-territories"),
            territories.join("")
        ));
    }
    if let Some(price) = event.price.as_deref().filter(|p| !p.trim().is_empty()) {
        body.push_str(&format!(
            "<p class=\"price\">{}</p>\n",
            tr_html(lang, "pages-price", &[("price", &esc(price))])
        ));
    }
    if let Some(org) = event.organizer.as_deref().filter(|o| !o.trim().is_empty()) {
        body.push_str(&format!(
            "<p class=\"organizer\">{}</p>\n",
            tr_html(lang, "pages-organizer", &[("organizer", &esc(org))])
        ));
    }
    if let Some(u) = event.url.as_deref().filter(|u| is_http(u)) {
        body.push_str(&format!(
            "<p><a href=\"{}\" rel=\"noopener\">{}</a></p>\n",
            esc(u),
            tr_esc(lang, "pages-more-info")
        ));
    }
    body.push_str(&calendar_links_html(&config.network.prefix, &event, lang));
    body.push_str(&sources_html(&event, lang, source_names));
    body.push_str("</article>\n");

    let switch = format!("{}/events/{}", config.network.prefix, enc(&event.id));
    page(
        config,
        &Page {
            title: &event.title,
            lang,
            head: &head,
            body: &body,
            switch_path: Some(&switch),
        },
    )
}

fn is_http(u: &str) -> bool {
    let lower = u.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Plain text as paragraphs: blank lines separate them, single line breaks
/// become `<br>`.
fn paragraphs(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    normalized
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(|l| esc(l.trim())).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn venue_html(venue: &Venue, lang: &str) -> String {
    let mut out = format!(
        "<div class=\"venue\"><h2>{}</h2>\n<p><strong>{}</strong>",
        tr_esc(lang, "pages-venue"),
        esc(&venue.name)
    );
    let location = crate::ics::location_text(venue);
    let rest = location
        .strip_prefix(venue.name.trim())
        .map(|r| r.trim_start_matches(", ").to_string())
        .unwrap_or(location);
    if !rest.is_empty() {
        out.push_str(&format!("<br>\n{}", esc(&rest)));
    }
    out.push_str("</p>\n");
    if let Some(map) = map_link(venue) {
        out.push_str(&format!(
            "<p><a href=\"{}\" rel=\"noopener\">{}</a>{}</p>\n",
            esc(&map),
            tr_esc(lang, "pages-map"),
            approximate_note(venue, lang)
        ));
    }
    out.push_str("</div>\n");
    out
}

/// " (approximate position: town centre)" when the venue's coordinates
/// are only its municipality's centre, in the page's language; else "".
pub fn approximate_note(venue: &Venue, lang: &str) -> String {
    match venue.precision {
        Some(Precision::Municipality) if venue.lat.is_some() && venue.lon.is_some() => format!(
            " <span class=\"approx\">{}</span>",
            tr_esc(lang, "pages-approximate")
        ),
        _ => String::new(),
    }
}

/// OpenStreetMap at the venue's coordinates, else a search for its
/// address; None when neither is known. A municipality's centre is no
/// pin for the venue: its address is searched when it has one, else the
/// town is shown, not a street.
pub fn map_link(venue: &Venue) -> Option<String> {
    let location = crate::ics::location_text(venue);
    let has_address = venue
        .address
        .as_deref()
        .is_some_and(|a| !a.trim().is_empty());
    let search = || {
        has_address.then(|| {
            format!(
                "https://www.openstreetmap.org/search?query={}",
                enc(&location)
            )
        })
    };
    let in_town = venue.precision == Some(Precision::Municipality);
    match (venue.lat, venue.lon) {
        (Some(_), Some(_)) if in_town && has_address => search(),
        (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => Some(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map={zoom}/{lat}/{lon}",
            lat = round6(lat),
            lon = round6(lon),
            zoom = if in_town { 13 } else { 17 }
        )),
        _ => search(),
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn calendar_links_html(prefix: &str, event: &Event, lang: &str) -> String {
    format!(
        "<div class=\"add\"><h2>{h}</h2>\n<ul>\
<li><a href=\"{p}/events/{id}.ics?lang={lang}\" download>{ics}</a></li>\
<li><a href=\"{google}\" rel=\"noopener\">{google_l}</a></li>\
<li><a href=\"{outlook}\" rel=\"noopener\">Outlook.com</a></li></ul></div>\n",
        h = tr_esc(lang, "pages-add-to-calendar"),
        p = esc(prefix),
        id = esc(&enc(&event.id)),
        lang = esc(lang),
        ics = tr_esc(lang, "pages-ics-file"),
        google = esc(&google_link(event)),
        google_l = tr_esc(lang, "google-calendar"),
        outlook = esc(&outlook_link(event)),
    )
}

fn sources_html(event: &Event, lang: &str, names: &[(String, String)]) -> String {
    if event.sources.is_empty() {
        return String::new();
    }
    let items: Vec<String> = event
        .sources
        .iter()
        .map(|s| {
            let name = names
                .iter()
                .find(|(id, _)| *id == s.source)
                .map(|(_, n)| n.as_str())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(&s.source);
            match s.url.as_deref().filter(|u| is_http(u)) {
                Some(u) => format!(
                    "<li><a href=\"{}\" rel=\"noopener\">{}</a></li>",
                    esc(u),
                    esc(name)
                ),
                None => format!("<li>{}</li>", esc(name)),
            }
        })
        .collect();
    format!(
        "<div class=\"sources\"><h2>{}</h2>\n<ul>{}</ul></div>\n",
        esc(&i18n::tr_args(
            lang,
            "pages-sources",
            &[("count", items.len().into())]
        )),
        items.join("")
    )
}

/// The event's zone, else its start's fixed offset.
fn local(event: &Event, at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    match event.timezone.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).fixed_offset(),
        Err(_) => at,
    }
}

fn iso_start(event: &Event) -> String {
    if event.all_day {
        local(event, event.start).date_naive().to_string()
    } else {
        local(event, event.start).to_rfc3339()
    }
}

/// The last day of an all-day event (its end is exclusive).
fn last_day(event: &Event) -> NaiveDate {
    let first = local(event, event.start).date_naive();
    event
        .end
        .map(|e| local(event, e).date_naive())
        .filter(|e| *e > first)
        .and_then(|e| e.pred_opt())
        .unwrap_or(first)
}

/// When the event happens, in words, in its own zone:
/// "samedi 5 décembre 2026, 20 h à 22 h", "Saturday, December 5, 2026,
/// 8:00 PM – 10:00 PM", all-day and multi-day forms.
pub fn when_text(event: &Event, lang: &str) -> String {
    let start = local(event, event.start);
    let range = |id: &str, start: String, end: String| {
        i18n::tr_args(lang, id, &[("start", start.into()), ("end", end.into())])
    };
    if event.all_day {
        let first = start.date_naive();
        let last = last_day(event);
        return if last == first {
            date_text(first, lang)
        } else {
            range("when-range", date_text(first, lang), date_text(last, lang))
        };
    }
    let start_text = date_time_text(
        lang,
        start.date_naive(),
        &time_text(start.hour(), start.minute(), lang),
    );
    let Some(end) = event
        .end
        .filter(|e| *e > event.start)
        .map(|e| local(event, e))
    else {
        return start_text;
    };
    let end_time = time_text(end.hour(), end.minute(), lang);
    if end.date_naive() == start.date_naive() {
        range("when-same-day", start_text, end_time)
    } else {
        let end_text = date_time_text(lang, end.date_naive(), &end_time);
        range("when-range", start_text, end_text)
    }
}

/// Google Calendar's "create event" link, prefilled.
pub fn google_link(event: &Event) -> String {
    let dates = if event.all_day {
        let first = local(event, event.start).date_naive();
        let after = last_day(event).succ_opt().unwrap_or(first);
        format!("{}/{}", first.format("%Y%m%d"), after.format("%Y%m%d"))
    } else {
        let utc = |d: DateTime<FixedOffset>| d.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ");
        let end = event
            .end
            .filter(|e| *e > event.start)
            .unwrap_or(event.start);
        format!("{}/{}", utc(event.start), utc(end))
    };
    let mut link = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}",
        enc(&event.title),
        dates
    );
    if let Some(details) = details(event) {
        link.push_str(&format!("&details={}", enc(&details)));
    }
    if let Some(venue) = &event.venue {
        link.push_str(&format!(
            "&location={}",
            enc(&crate::ics::location_text(venue))
        ));
    }
    if !event.all_day && event.timezone.parse::<Tz>().is_ok() {
        link.push_str(&format!("&ctz={}", enc(&event.timezone)));
    }
    link
}

/// Outlook.com's "new event" link, prefilled.
pub fn outlook_link(event: &Event) -> String {
    let (start, end) = if event.all_day {
        let first = local(event, event.start).date_naive();
        let after = last_day(event).succ_opt().unwrap_or(first);
        (first.to_string(), after.to_string())
    } else {
        let end = event
            .end
            .filter(|e| *e > event.start)
            .unwrap_or(event.start + Duration::hours(1));
        (
            local(event, event.start).to_rfc3339(),
            local(event, end).to_rfc3339(),
        )
    };
    let mut link = format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&allday={}",
        enc(&event.title),
        enc(&start),
        enc(&end),
        event.all_day
    );
    if let Some(venue) = &event.venue {
        link.push_str(&format!(
            "&location={}",
            enc(&crate::ics::location_text(venue))
        ));
    }
    if let Some(details) = details(event) {
        link.push_str(&format!("&body={}", enc(&details)));
    }
    link
}

/// The description (cut to keep links short) and the event's URL.
fn details(event: &Event) -> Option<String> {
    let mut text: String = event
        .description
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(1000)
        .collect();
    if let Some(u) = event.url.as_deref().filter(|u| is_http(u)) {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(u);
    }
    (!text.trim().is_empty()).then_some(text)
}

/// The schema.org `Event` of an event (already in `lang`), as Google's
/// event rich results want it.
pub fn event_jsonld(config: &PublishConfig, event: &Event, lang: &str) -> Value {
    let base = config.base_url.trim_end_matches('/');
    let mut o = Map::new();
    o.insert("@context".into(), json!("https://schema.org"));
    o.insert("@type".into(), json!("Event"));
    o.insert("@id".into(), json!(format!("{base}/events/{}", event.id)));
    o.insert("name".into(), json!(event.title));
    if let Some(d) = event
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        o.insert("description".into(), json!(d));
    }
    o.insert("startDate".into(), json!(iso_start(event)));
    if event.all_day {
        o.insert("endDate".into(), json!(last_day(event).to_string()));
    } else if let Some(end) = event.end.filter(|e| *e > event.start) {
        o.insert("endDate".into(), json!(local(event, end).to_rfc3339()));
    }
    let status = match event.status {
        Status::Scheduled => "https://schema.org/EventScheduled",
        Status::Cancelled => "https://schema.org/EventCancelled",
        Status::Postponed => "https://schema.org/EventPostponed",
    };
    o.insert("eventStatus".into(), json!(status));
    o.insert(
        "eventAttendanceMode".into(),
        json!("https://schema.org/OfflineEventAttendanceMode"),
    );
    if let Some(venue) = &event.venue {
        o.insert("location".into(), place(venue));
    }
    if let Some(img) = event.image.as_deref().filter(|i| is_http(i)) {
        o.insert("image".into(), json!([img]));
    }
    o.insert(
        "url".into(),
        json!(event
            .url
            .as_deref()
            .filter(|u| is_http(u))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{base}/events/{}", event.id))),
    );
    o.insert(
        "inLanguage".into(),
        json!(event.language.as_deref().unwrap_or(lang)),
    );
    if let Some(org) = event
        .organizer
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        let mut organizer = Map::new();
        organizer.insert("@type".into(), json!("Organization"));
        let address = org.strip_prefix("mailto:").unwrap_or(org);
        if address.contains('@') && !address.contains(' ') {
            organizer.insert("name".into(), json!(address));
            organizer.insert("email".into(), json!(address));
        } else {
            organizer.insert("name".into(), json!(org));
        }
        o.insert("organizer".into(), Value::Object(organizer));
    }
    if let Some(price) = event.price.as_deref() {
        match parse_price(price) {
            Some(Price::Free) => {
                o.insert("isAccessibleForFree".into(), json!(true));
            }
            Some(Price::Amount { value, currency }) => {
                o.insert(
                    "offers".into(),
                    json!({
                        "@type": "Offer",
                        "price": value,
                        "priceCurrency": currency,
                        "url": event.url.as_deref().filter(|u| is_http(u))
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{base}/events/{}", event.id)),
                    }),
                );
            }
            None => {}
        }
    }
    Value::Object(o)
}

/// A price the JSON-LD can state.
#[derive(Debug, PartialEq)]
enum Price {
    Free,
    Amount {
        value: String,
        currency: &'static str,
    },
}

/// "Gratuit", "free", "entrée libre" → free; "25 $", "$25.50", "12,50 €",
/// "20 CAD" → an amount with its currency; anything else (no currency, a
/// range of prices said in words) → nothing.
fn parse_price(text: &str) -> Option<Price> {
    let lower = text.trim().to_lowercase();
    if ["gratuit", "free", "entrée libre", "entree libre"]
        .iter()
        .any(|w| lower.contains(w))
        && !lower.chars().any(|c| c.is_ascii_digit())
    {
        return Some(Price::Free);
    }
    let currency = if lower.contains('$') || lower.contains("cad") {
        "CAD"
    } else if lower.contains('€') || lower.contains("eur") {
        "EUR"
    } else {
        return None;
    };
    let start = lower.find(|c: char| c.is_ascii_digit())?;
    let number: String = lower[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
        .collect();
    let number = number.trim_end_matches([',', '.']).replace(',', ".");
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Price::Amount {
        value: format!("{value:.2}"),
        currency,
    })
}

/// schema.org `Place` with a `PostalAddress` and `GeoCoordinates`.
fn place(venue: &Venue) -> Value {
    let mut p = Map::new();
    p.insert("@type".into(), json!("Place"));
    p.insert("name".into(), json!(venue.name));
    if let Some(address) = postal_address(venue) {
        p.insert("address".into(), address);
    }
    // A municipality's centre is not the place's position: its town is
    // said by `address.addressLocality` instead.
    let own_position = venue.precision.is_none_or(Precision::is_the_place);
    if let (Some(lat), Some(lon), true) = (venue.lat, venue.lon, own_position) {
        if lat.is_finite() && lon.is_finite() {
            p.insert(
                "geo".into(),
                json!({"@type": "GeoCoordinates", "latitude": round6(lat), "longitude": round6(lon)}),
            );
        }
    }
    Value::Object(p)
}

/// Canadian provinces and territories, by what addresses write.
const PROVINCES: [(&str, &str); 26] = [
    ("qc", "QC"),
    ("québec", "QC"),
    ("quebec", "QC"),
    ("on", "ON"),
    ("ontario", "ON"),
    ("bc", "BC"),
    ("ab", "AB"),
    ("alberta", "AB"),
    ("mb", "MB"),
    ("manitoba", "MB"),
    ("sk", "SK"),
    ("saskatchewan", "SK"),
    ("ns", "NS"),
    ("nb", "NB"),
    ("nl", "NL"),
    ("pe", "PE"),
    ("yt", "YT"),
    ("yukon", "YT"),
    ("nt", "NT"),
    ("nu", "NU"),
    ("nunavut", "NU"),
    ("colombie-britannique", "BC"),
    ("british columbia", "BC"),
    ("nouvelle-écosse", "NS"),
    ("nova scotia", "NS"),
    ("nouveau-brunswick", "NB"),
];

/// A Canadian postal code (`H7N 5W1`, `h7n5w1`) in `s`, normalized.
fn find_postal_code(s: &str) -> Option<(usize, usize, String)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for i in 0..chars.len() {
        let mut j = i;
        let mut code = String::new();
        for (k, want_letter) in [true, false, true, false, true, false].iter().enumerate() {
            if k == 3 && chars.get(j).is_some_and(|(_, c)| *c == ' ' || *c == '-') {
                j += 1;
            }
            let Some((_, c)) = chars.get(j) else {
                break;
            };
            let ok = if *want_letter {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_digit()
            };
            if !ok {
                break;
            }
            code.push(c.to_ascii_uppercase());
            j += 1;
        }
        let bounded_before = i == 0 || chars.get(i - 1).is_some_and(|(_, c)| !c.is_alphanumeric());
        let bounded_after = chars.get(j).is_none_or(|(_, c)| !c.is_alphanumeric());
        if code.len() == 6 && bounded_before && bounded_after {
            let start = chars.get(i).map(|(b, _)| *b).unwrap_or(0);
            let end = chars.get(j).map(|(b, _)| *b).unwrap_or(s.len());
            return Some((start, end, format!("{} {}", &code[..3], &code[3..])));
        }
    }
    None
}

/// The venue's address split as schema.org wants it.
fn postal_address(venue: &Venue) -> Option<Value> {
    let address = venue.address.as_deref().map(str::trim).unwrap_or("");
    let city = venue
        .city
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if address.is_empty() && city.is_none() {
        return None;
    }
    let mut postal_code = None;
    let mut region = None;
    let mut country = None;
    let mut locality = city.map(str::to_string);
    let mut street: Vec<String> = Vec::new();
    let segments: Vec<&str> = address
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for (i, segment) in segments.iter().enumerate() {
        let mut rest = segment.to_string();
        let mut had_code = false;
        if let Some((a, b, code)) = find_postal_code(&rest) {
            postal_code = Some(code);
            had_code = true;
            rest = format!("{} {}", &rest[..a], &rest[b..]).trim().to_string();
        }
        let lower = rest.to_lowercase();
        if lower == "canada" {
            country = Some("CA");
            continue;
        }
        // A province alone, or a province after a postal code or a city.
        let words: Vec<&str> = rest.split_whitespace().collect();
        // "Laval QC", "Laval (Québec)", "Laval Québec H7N 5W1"; not
        // "avenue Ontario".
        let province_at_end = words.last().and_then(|w| {
            let bare = w.trim_matches(|c| matches!(c, '.' | '(' | ')'));
            let marked = had_code
                || w.starts_with('(')
                || (bare.len() == 2 && bare.chars().all(|c| c.is_ascii_uppercase()));
            let lower = bare.to_lowercase();
            PROVINCES
                .iter()
                .find(|(k, _)| marked && *k == lower)
                .map(|(_, v)| *v)
        });
        let whole_province = PROVINCES.iter().find(|(k, _)| *k == lower).map(|(_, v)| *v);
        let is_first = i == 0;
        if let Some(code) = whole_province.filter(|_| !is_first) {
            region = Some(code);
            continue;
        }
        if let (Some(code), true) = (province_at_end, !is_first && words.len() <= 4) {
            region = Some(code);
            let before = words[..words.len().saturating_sub(1)].join(" ");
            if !before.is_empty() && locality.is_none() {
                locality = Some(before);
            }
            continue;
        }
        if rest.is_empty() {
            continue;
        }
        if let Some(c) = city {
            if !is_first && rest.eq_ignore_ascii_case(c) {
                continue;
            }
        }
        street.push(rest);
    }
    // "1395, boulevard X, Laval" without a city field: the last segment
    // after the street is the locality.
    if locality.is_none() && street.len() >= 2 && region.is_some() {
        locality = street.pop();
    }
    if region.is_some() || postal_code.is_some() {
        country = Some("CA");
    }
    let mut a = Map::new();
    a.insert("@type".into(), json!("PostalAddress"));
    if !street.is_empty() {
        a.insert("streetAddress".into(), json!(street.join(", ")));
    }
    if let Some(l) = locality {
        a.insert("addressLocality".into(), json!(l));
    }
    if let Some(r) = region {
        a.insert("addressRegion".into(), json!(r));
    }
    if let Some(p) = postal_code {
        a.insert("postalCode".into(), json!(p));
    }
    if let Some(c) = country {
        a.insert("addressCountry".into(), json!(c));
    }
    Some(Value::Object(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{at, event, feed_events};

    fn venue(address: Option<&str>, city: Option<&str>) -> Venue {
        Venue {
            id: "v".into(),
            name: "Salle".into(),
            address: address.map(str::to_string),
            city: city.map(str::to_string),
            lat: None,
            lon: None,
            precision: None,
        }
    }

    #[test]
    fn a_town_centre_is_no_place_position_and_is_said_approximate() {
        let mut v = venue(None, Some("Terrebonne"));
        v.lat = Some(45.70004);
        v.lon = Some(-73.64732);
        v.precision = Some(Precision::Municipality);
        let ld = place(&v);
        assert!(ld.get("geo").is_none(), "{ld}");
        assert_eq!(ld["address"]["addressLocality"], "Terrebonne");
        let fr = venue_html(&v, "fr");
        assert!(
            fr.contains("(position approximative : centre de la municipalité)"),
            "{fr}"
        );
        let en = venue_html(&v, "en");
        assert!(en.contains("(approximate position: town centre)"), "{en}");
        // The venue's own position (or one stored before precision
        // existed): geo, no note.
        for precision in [Some(Precision::Venue), Some(Precision::Address), None] {
            v.precision = precision;
            assert_eq!(place(&v)["geo"]["latitude"], 45.70004, "{precision:?}");
            assert!(!venue_html(&v, "fr").contains("approximative"));
        }
    }

    #[test]
    fn dates_in_french_and_english() {
        let e = &feed_events()[0];
        assert_eq!(when_text(e, "fr"), "samedi 5 décembre 2026, 20 h à 22 h");
        assert_eq!(
            when_text(e, "en"),
            "Saturday, December 5, 2026, 8:00 PM – 10:00 PM"
        );
        // Across midnight and the fall-back night, in the event's zone.
        let e = &feed_events()[1];
        assert_eq!(
            when_text(e, "fr"),
            "du samedi 31 octobre 2026, 22 h au dimanche 1er novembre 2026, 3 h"
        );
        assert_eq!(
            when_text(e, "en"),
            "Saturday, October 31, 2026, 10:00 PM – Sunday, November 1, 2026, 3:00 AM"
        );
        let mut e = event("x", "2026-07-01T19:30:00-04:00");
        assert_eq!(when_text(&e, "fr"), "mercredi 1er juillet 2026, 19 h 30");
        assert_eq!(when_text(&e, "en"), "Wednesday, July 1, 2026, 7:30 PM");
        e.start = at("2026-07-01T00:05:00-04:00");
        assert_eq!(when_text(&e, "en"), "Wednesday, July 1, 2026, 12:05 AM");
        e.start = at("2026-07-01T12:00:00-04:00");
        assert_eq!(when_text(&e, "en"), "Wednesday, July 1, 2026, 12:00 PM");
        // All-day, one and several days (the end is exclusive).
        let events = feed_events();
        assert_eq!(when_text(&events[3], "fr"), "samedi 12 décembre 2026");
        assert_eq!(
            when_text(&events[4], "fr"),
            "du vendredi 6 mars 2026 au dimanche 8 mars 2026"
        );
        assert_eq!(
            when_text(&events[4], "en"),
            "Friday, March 6, 2026 – Sunday, March 8, 2026"
        );
        assert_eq!(when_text(&events[5], "en"), "Wednesday, May 20, 2026");
        // A time given in UTC for a Toronto event is shown in Toronto.
        let mut e = event("utc", "2026-12-06T01:00:00+00:00");
        e.timezone = "America/Toronto".into();
        assert_eq!(when_text(&e, "fr"), "samedi 5 décembre 2026, 20 h");
    }

    #[test]
    fn subscribe_links_for_a_search() {
        let l = subscribe_links(
            "https://agenda.example.org/",
            Some("category=musique&cursor=00000000000000ff&lang=en"),
        );
        assert_eq!(
            l.https,
            "https://agenda.example.org/feeds/events.ics?category=musique&lang=en"
        );
        assert_eq!(
            l.webcal,
            "webcal://agenda.example.org/feeds/events.ics?category=musique&lang=en"
        );
        assert_eq!(
            l.google,
            "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fagenda.example.org%2Ffeeds%2Fevents.ics%3Fcategory%3Dmusique%26lang%3Den"
        );
        assert_eq!(
            l.outlook,
            "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fagenda.example.org%2Ffeeds%2Fevents.ics%3Fcategory%3Dmusique%26lang%3Den"
        );
        let named = l.named("Signé Laval");
        assert!(named.outlook.ends_with("&name=Sign%C3%A9+Laval"));
        let bare = subscribe_links("http://127.0.0.1:8080", None);
        assert_eq!(bare.https, "http://127.0.0.1:8080/feeds/events.ics");
        assert_eq!(bare.webcal, "webcal://127.0.0.1:8080/feeds/events.ics");
    }

    #[test]
    fn calendar_links_carry_the_event() {
        let e = &feed_events()[0];
        let g = google_link(e);
        assert!(g.starts_with(
            "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Les+Belles-s%C5%93urs&dates=20261206T010000Z/20261206T030000Z"
        ), "{g}");
        assert!(
            g.contains("&location=Maison+des+arts+de+Laval%2C+1395"),
            "{g}"
        );
        assert!(g.contains("&ctz=America%2FToronto"), "{g}");
        assert!(g.contains("&details=Une+pi%C3%A8ce"), "{g}");
        let o = outlook_link(e);
        assert!(o.starts_with("https://outlook.live.com/calendar/0/deeplink/compose?"));
        assert!(o.contains("&subject=Les+Belles-s%C5%93urs"), "{o}");
        assert!(
            o.contains("&startdt=2026-12-05T20%3A00%3A00-05%3A00"),
            "{o}"
        );
        assert!(o.contains("&enddt=2026-12-05T22%3A00%3A00-05%3A00"), "{o}");
        assert!(o.contains("&allday=false"), "{o}");
        let all_day = &feed_events()[4];
        assert!(google_link(all_day).contains("&dates=20260306/20260309"));
        let o = outlook_link(all_day);
        assert!(
            o.contains("&startdt=2026-03-06&enddt=2026-03-09&allday=true"),
            "{o}"
        );
    }

    #[test]
    fn addresses_split_for_schema_org() {
        let a = postal_address(&venue(
            Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1"),
            Some("Laval"),
        ))
        .unwrap();
        assert_eq!(
            a,
            json!({"@type": "PostalAddress", "streetAddress": "1395, boulevard de la Concorde Ouest",
                   "addressLocality": "Laval", "addressRegion": "QC", "postalCode": "H7N 5W1",
                   "addressCountry": "CA"})
        );
        let a = postal_address(&venue(
            Some("4, boulevard des Laurentides, Laval (Québec) h7g2s6"),
            None,
        ))
        .unwrap();
        assert_eq!(a["postalCode"], "H7G 2S6");
        assert_eq!(a["addressRegion"], "QC");
        assert_eq!(a["addressLocality"], "Laval");
        assert_eq!(a["streetAddress"], "4, boulevard des Laurentides");
        assert_eq!(a["addressCountry"], "CA");
        let a = postal_address(&venue(
            Some("12 rue Principale, Sainte-Rose, Québec, Canada"),
            None,
        ))
        .unwrap();
        assert_eq!(
            a,
            json!({"@type": "PostalAddress", "streetAddress": "12 rue Principale",
                   "addressLocality": "Sainte-Rose", "addressRegion": "QC", "addressCountry": "CA"})
        );
        let a = postal_address(&venue(Some("1395, avenue Ontario, Laval QC"), None)).unwrap();
        assert_eq!(a["streetAddress"], "1395, avenue Ontario");
        assert_eq!(a["addressLocality"], "Laval");
        // No country guessed from nothing.
        let a = postal_address(&venue(Some("8 rue des Lilas"), Some("Paris"))).unwrap();
        assert_eq!(
            a,
            json!({"@type": "PostalAddress", "streetAddress": "8 rue des Lilas", "addressLocality": "Paris"})
        );
        assert_eq!(postal_address(&venue(None, None)), None);
        assert_eq!(
            postal_address(&venue(None, Some("Laval"))).unwrap(),
            json!({"@type": "PostalAddress", "addressLocality": "Laval"})
        );
    }

    #[test]
    fn prices() {
        assert_eq!(parse_price("Gratuit"), Some(Price::Free));
        assert_eq!(parse_price("Entrée libre"), Some(Price::Free));
        assert_eq!(
            parse_price("25 $"),
            Some(Price::Amount {
                value: "25.00".into(),
                currency: "CAD"
            })
        );
        assert_eq!(
            parse_price("$12.5 (taxes incluses)"),
            Some(Price::Amount {
                value: "12.50".into(),
                currency: "CAD"
            })
        );
        assert_eq!(
            parse_price("12,50 €"),
            Some(Price::Amount {
                value: "12.50".into(),
                currency: "EUR"
            })
        );
        assert_eq!(parse_price("20"), None);
        assert_eq!(parse_price("Contribution volontaire"), None);
    }

    #[test]
    fn map_links() {
        let mut v = venue(Some("1 rue X"), Some("Laval"));
        assert_eq!(
            map_link(&v).unwrap(),
            "https://www.openstreetmap.org/search?query=Salle%2C+1+rue+X%2C+Laval"
        );
        v.lat = Some(45.5605);
        v.lon = Some(-73.713);
        assert_eq!(
            map_link(&v).unwrap(),
            "https://www.openstreetmap.org/?mlat=45.5605&mlon=-73.713#map=17/45.5605/-73.713"
        );
        assert_eq!(map_link(&venue(None, Some("Laval"))), None);
        // A town's centre: the address searched, else the town shown.
        v.precision = Some(Precision::Municipality);
        assert_eq!(
            map_link(&v).unwrap(),
            "https://www.openstreetmap.org/search?query=Salle%2C+1+rue+X%2C+Laval"
        );
        v.address = None;
        assert_eq!(
            map_link(&v).unwrap(),
            "https://www.openstreetmap.org/?mlat=45.5605&mlon=-73.713#map=13/45.5605/-73.713"
        );
    }

    #[test]
    fn description_paragraphs_are_escaped() {
        assert_eq!(
            paragraphs("Un <b>\r\ndeux\n\n\ntrois & quatre"),
            "<p>Un &lt;b&gt;<br>\ndeux</p>\n<p>trois &amp; quatre</p>"
        );
    }
}
