//! The portal, `/sources`, `/widget.js` and `/embed` over a real index
//! (SQLite + tantivy in a temporary folder) and the real router on
//! 127.0.0.1, with plain HTTP/1.0 requests.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::NaiveDate;
use index::Index;
use model::{Occurrence, Status};

use crate::cache;
use crate::layout;
use crate::testdata::{
    at, names, occurrence, request, serve_router, source_run, two_sources, Resp,
};
use crate::{AppState, CategoryInfo, PublishConfig};

/// An event of `mda` at the Maison des arts in `category`, cancelled when
/// its uid says so.
fn occ(uid: &str, title: &str, start: &str, category: &str) -> Occurrence {
    let mut o = occurrence("mda", uid, title, at(start));
    let e = &mut o.event;
    e.description = None;
    e.categories = vec![category.to_string()];
    if uid == "annule" {
        e.status = Status::Cancelled;
    }
    if let Some(v) = e.venue.as_mut() {
        v.id = "maison-des-arts".into();
        v.name = "Maison des arts".into();
    }
    o
}

/// The aggregator the pages are rendered for.
fn config() -> PublishConfig {
    let category = |slug: &str, fr: &str, en: &str| CategoryInfo {
        slug: slug.into(),
        name: names(&[("fr", fr), ("en", en)]),
    };
    PublishConfig {
        name: "Signé Laval".into(),
        base_url: "https://agenda.example.org".into(),
        timezone: chrono_tz::America::Toronto,
        languages: vec!["fr".into(), "en".into()],
        categories: vec![
            category("musique", "Musique", "Music"),
            category("theatre", "Théâtre", "Theatre"),
        ],
        venues: Vec::new(),
        paused: Vec::new(),
        network: Default::default(),
        source_kinds: Vec::new(),
    }
}

/// Record a failed run of the source `salle`.
fn salle_failed(index: &Index, class: &str, message: &str) {
    let salle = model::SourceId::new("salle").unwrap();
    let when = at("2030-11-30T08:00:00-05:00").to_utc();
    index
        .record_failure(&salle, when, 120, class, message)
        .unwrap();
}

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

async fn serve() -> Server {
    serve_with(|_| {}).await
}

/// [`serve`], with `prepare` run on the index before serving.
async fn serve_with(prepare: impl FnOnce(&Index)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(Index::open(dir.path()).unwrap());
    two_sources(&index, "Salle <b>");
    let occurrences = vec![
        occ(
            "a",
            "Concert de Noël",
            "2030-12-05T20:00:00-05:00",
            "musique",
        ),
        occ(
            "b",
            "Les Belles-sœurs",
            "2030-12-06T19:30:00-05:00",
            "theatre",
        ),
        occ("annule", "Récital", "2030-12-20T19:00:00-05:00", "musique"),
        occ(
            "c",
            "Concert du Nouvel An",
            "2031-01-01T20:00:00-05:00",
            "musique",
        ),
    ];
    index
        .record_success(source_run("mda", occurrences))
        .unwrap();
    prepare(&index);
    let state = AppState::new(index, Arc::new(config()), Default::default());
    Server {
        addr: serve_router(state).await,
        _dir: dir,
    }
}

/// A page as text.
struct Page {
    status: u16,
    body: String,
    resp: Resp,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.resp.header(name)
    }
}

async fn get_with(addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Page {
    let mut headers = vec![("Origin", "https://example.net")];
    headers.extend_from_slice(extra);
    page(request(addr, "GET", path, &headers).await)
}

fn page(resp: Resp) -> Page {
    Page {
        status: resp.status,
        body: resp.text(),
        resp,
    }
}

async fn get(addr: SocketAddr, path: &str) -> Page {
    get_with(addr, path, &[]).await
}

async fn revalidates(addr: SocketAddr, path: &str, r: &Page) {
    let etag = r
        .header("etag")
        .unwrap_or_else(|| panic!("{path}: no ETag"));
    let again = get_with(addr, path, &[("If-None-Match", etag)]).await;
    assert_eq!(again.status, 304, "{path}");
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn widget_js_is_served_with_etag_cache_and_cors() {
    let s = serve().await;
    let r = get(s.addr, "/widget.js").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/javascript; charset=utf-8")
    );
    // The plain URL of the contract: a short cache, revalidated.
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    assert!(r.header("content-encoding").is_none());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.body, crate::widget::WIDGET_JS);
    assert_eq!(
        r.header("etag"),
        Some(cache::body_etag(crate::widget::WIDGET_JS.as_bytes()).as_str())
    );
    revalidates(s.addr, "/widget.js", &r).await;
}

/// The versioned URL (`/widget.js?v=HASH`, HASH from the bytes) is
/// cached for a year as immutable; an old version or the plain URL only a
/// few minutes; gzip when accepted, with its own ETag, and the bytes
/// decompress to the widget.
#[tokio::test]
async fn the_versioned_widget_is_gzipped_and_cached_for_a_year() {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let s = serve().await;
    let version = hex::encode(&Sha256::digest(crate::widget::WIDGET_JS.as_bytes())[..8]);
    assert_eq!(crate::widget::widget_version(), version);
    let path = format!("/widget.js?v={version}");
    let gz = request(
        s.addr,
        "GET",
        &path,
        &[("Accept-Encoding", "br, gzip;q=0.8")],
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_eq!(
        gz.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz
        .header("vary")
        .unwrap()
        .eq_ignore_ascii_case("accept-encoding"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, crate::widget::WIDGET_JS);
    assert!(
        gz.body.len() * 2 < crate::widget::WIDGET_JS.len(),
        "{} bytes gzipped of {}",
        gz.body.len(),
        crate::widget::WIDGET_JS.len()
    );
    // The gzip variant revalidates by its own ETag.
    let etag = gz.header("etag").unwrap().to_string();
    assert_ne!(
        etag,
        cache::body_etag(crate::widget::WIDGET_JS.as_bytes()),
        "each representation has its ETag"
    );
    let again = request(
        s.addr,
        "GET",
        &path,
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(again.status, 304);
    // gzip refused: the plain bytes, still immutable under this URL.
    let no = get_with(s.addr, &path, &[("Accept-Encoding", "gzip;q=0")]).await;
    assert!(no.header("content-encoding").is_none());
    assert_eq!(no.body, crate::widget::WIDGET_JS);
    assert_eq!(
        no.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // An old version's URL gets today's widget, not for a year.
    let old = request(
        s.addr,
        "GET",
        "/widget.js?v=0000000000000000",
        &[("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(old.status, 200);
    assert_eq!(old.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(old.header("content-encoding"), Some("gzip"));
    // The portal and the embed page reference the versioned URL.
    let portal = get(s.addr, "/").await.body;
    assert!(
        portal.contains(&format!("widget.js?v={version}")),
        "{portal}"
    );
    let embed = get(s.addr, "/embed").await.body;
    assert!(
        embed.contains(&format!("src=\"../widget.js?v={version}\"")),
        "{embed}"
    );
}

#[tokio::test]
async fn the_portal_script_is_served_with_etag_and_cache() {
    let s = serve().await;
    let r = get(s.addr, "/assets/portal.js").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/javascript; charset=utf-8")
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(r.body, super::PORTAL_JS);
    assert_eq!(
        r.header("etag"),
        Some(cache::body_etag(super::PORTAL_JS.as_bytes()).as_str())
    );
    revalidates(s.addr, "/assets/portal.js", &r).await;
    // Its words come from the page, in the page's language.
    let fr = get(s.addr, "/").await.body;
    assert!(fr.contains("data-copy=\"Copier\""), "{fr}");
    let en = get(s.addr, "/?lang=en").await.body;
    assert!(en.contains("data-copy=\"Copy\""));
}

#[tokio::test]
async fn embed_is_a_framable_page_holding_the_widget() {
    let s = serve().await;
    let path =
        "/embed?category=musique&category=theatre&radius_km=3&near=45.5,-73.7&view=month&lang=en";
    let r = get(s.addr, path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.header("x-frame-options").is_none());
    assert!(r.body.contains("<html lang=\"en\">"));
    assert!(r.body.contains(
        "<babillard-events category=\"musique,theatre\" radius-km=\"3\" near=\"45.5,-73.7\" view=\"month\" lang=\"en\"></babillard-events>"
    ), "{}", r.body);
    assert!(r.body.contains(&format!(
        "<script src=\"../widget.js?v={}\" async></script>",
        crate::widget::widget_version()
    )));
    assert!(r.body.contains("<base target=\"_top\">"));
    revalidates(s.addr, path, &r).await;
    // No lang: the default language; bad parameters: a 400 page naming them.
    let r = get(s.addr, "/embed").await;
    assert!(r.body.contains("<babillard-events lang=\"fr\">"));
    let bad = [
        ("from=hier", "from"),
        ("view=grid", "view"),
        ("limit=0", "limit"),
        ("lang=de", "lang"),
    ];
    html_400_names_the_parameter(s.addr, "/embed", &bad).await;
}

/// Each query on `path` is a 400 HTML page naming its parameter.
async fn html_400_names_the_parameter(addr: SocketAddr, path: &str, cases: &[(&str, &str)]) {
    for (query, param) in cases {
        let r = get(addr, &format!("{path}?{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(
            r.body.contains(&format!("<code>{param}</code>")),
            "{query}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn the_portal_lists_filters_subscribes_and_embeds() {
    let s = serve().await;
    let path = "/?from=2030-12-01&category=musique";
    let r = get(s.addr, path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let b = &r.body;
    assert!(b.contains("<html lang=\"fr\">"));
    assert!(b.contains("Concert de Noël") && b.contains("Concert du Nouvel An"));
    assert!(!b.contains("Les Belles-sœurs"), "category filter");
    assert!(b.contains("<strong class=\"badge cancelled\">Annulé</strong>"));
    // Days in French, times in the event's zone.
    assert!(b.contains("jeudi 5 décembre 2030"), "{b}");
    assert!(b.contains("20 h – 22 h"));
    assert!(b.contains("3 événements"));
    // Selects: the chosen category selected, counts from the facets
    // without the category filter.
    assert!(
        b.contains("<option value=\"musique\" selected>Musique (3)</option>"),
        "{b}"
    );
    assert!(b.contains("<option value=\"theatre\">Théâtre (1)</option>"));
    assert!(b.contains("<option value=\"maison-des-arts\">Maison des arts (4)</option>"));
    assert!(b.contains("<label for=\"f-q\">") && b.contains("role=\"search\""));
    // Event links, subscribe links for the filters (without dates).
    assert!(b.contains("href=\"/events/"));
    assert!(b.contains("href=\"webcal://agenda.example.org/feeds/events.ics?category=musique\""));
    assert!(b.contains("href=\"https://agenda.example.org/feeds/events.rss?category=musique\""));
    assert!(b.contains(
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fagenda.example.org%2Ffeeds%2Fevents.ics%3Fcategory%3Dmusique"
    ));
    assert!(b.contains(
        "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fagenda.example.org"
    ));
    // Embed snippets for the same search.
    assert!(b.contains(&format!(
        "&lt;script src=&quot;https://agenda.example.org/widget.js?v={}&quot; async&gt;&lt;/script&gt;",
        crate::widget::widget_version()
    )));
    assert!(b.contains(
        "&lt;babillard-events category=&quot;musique&quot; lang=&quot;fr&quot; view=&quot;list&quot; limit=&quot;10&quot;&gt;"
    ), "{b}");
    assert!(b.contains("https://agenda.example.org/embed?category=musique&amp;amp;lang=fr&amp;amp;view=list&amp;amp;limit=10"), "{b}");
    // No external asset: the one script is the portal's own.
    assert_eq!(b.matches("<script").count(), 1);
    assert!(b.contains("<script src=\"/assets/portal.js\" defer></script>"));
    assert!(!b.contains("<link rel=\"stylesheet\""));
    // Language switch keeps the filters.
    assert!(b.contains("href=\"/?from=2030-12-01&amp;category=musique&lang=en\""));
    revalidates(s.addr, path, &r).await;

    let r = get(s.addr, "/?from=2030-12-01&lang=en&embed_view=month").await;
    assert!(r.body.contains("Thursday, December 5, 2030"), "{}", r.body);
    assert!(r.body.contains("8:00 PM – 10:00 PM"));
    assert!(r.body.contains("4 events"));
    assert!(r.body.contains("view=&quot;month&quot;"));
}

#[tokio::test]
async fn the_portal_month_view_is_a_table_with_prev_and_next() {
    let s = serve().await;
    let r = get(s.addr, "/?view=month&month=2030-12&category=musique").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert!(b.contains("<table class=\"month\"><caption>décembre 2030</caption>"));
    assert!(
        b.contains("href=\"/?category=musique&amp;view=month&amp;month=2030-11\""),
        "{b}"
    );
    assert!(b.contains("href=\"/?category=musique&amp;view=month&amp;month=2031-01\""));
    assert!(b.contains("20 h Concert de Noël"));
    assert!(!b.contains("Nouvel An"), "January is another month");
    assert!(b.contains("2 événements"));
    assert!(b.contains("aria-current=\"page\">Mois</a>"));
    // 2030-12-01 is a Sunday: six empty cells before it (weeks start on Monday).
    assert!(b.contains(&"<td class=\"off\"></td>".repeat(6)));
    let r = get(s.addr, "/?view=month&month=2031-01&lang=en").await;
    assert!(r.body.contains("<caption>January 2031</caption>"));
    assert!(r.body.contains("8:00 PM Concert du Nouvel An"));
    let bad = [
        ("month=2030-13", "month"),
        ("view=week", "view"),
        ("from=2030-12-01&to=2030-11-01", "to"),
        ("near=45", "near"),
    ];
    html_400_names_the_parameter(s.addr, "/", &bad).await;
    // In words: what the parameter expects; the parser's message folded.
    let b = get(s.addr, "/?view=month&month=2030-13").await.body;
    assert!(b.contains("Il attend un mois, comme 2026-12."), "{b}");
    assert!(b.contains("<summary>Détail technique</summary>"), "{b}");
    let b = get(s.addr, "/?limit=0&lang=en").await.body;
    assert!(
        b.contains("It expects a whole number from 1 to 1000."),
        "{b}"
    );
    let b = get(s.addr, "/?lang=de").await.body;
    assert!(
        b.contains("une des langues de l’agenda\u{a0}: fr, en."),
        "{b}"
    );
}

#[tokio::test]
async fn the_sources_page_shows_each_sources_health() {
    let s = serve().await;
    let r = get(s.addr, "/sources").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert!(
        b.contains("<td data-label=\"État\" class=\"status ok\">● En ordre</td>"),
        "{b}"
    );
    assert!(b.contains("class=\"status never\">○ Jamais lue</td>"));
    assert!(b.contains("Salle &lt;b&gt;"), "escaped");
    assert!(b.contains("<td data-label=\"Événements\">4</td>"));
    assert!(b.contains("● 1 en ordre"));
    assert!(b.contains("salle · type encore inconnu"), "{b}");
    revalidates(s.addr, "/sources", &r).await;
    let r = get(s.addr, "/sources?lang=en").await;
    assert!(r.body.contains("● OK") && r.body.contains("Last success"));
    assert_eq!(get(s.addr, "/sources?lang=xx").await.status, 400);
}

#[test]
fn dates_read_naturally_in_both_languages() {
    let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    assert_eq!(layout::date_text(d, "fr"), "samedi 5 décembre 2026");
    assert_eq!(layout::date_text(d, "en"), "Saturday, December 5, 2026");
    let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    assert_eq!(layout::date_text(first, "fr"), "mardi 1er décembre 2026");
    assert_eq!(layout::time_text(20, 0, "fr"), "20 h");
    assert_eq!(layout::time_text(9, 5, "fr"), "9 h 05");
    assert_eq!(layout::time_text(20, 0, "en"), "8:00 PM");
    assert_eq!(layout::time_text(0, 30, "en"), "12:30 AM");
    assert_eq!(layout::time_text(12, 0, "en"), "12:00 PM");
}

#[tokio::test]
async fn the_sources_page_explains_a_failing_source_in_plain_words() {
    let raw = "https://salle.example.org/: HTTP status 404";
    let s = serve_with(|index| salle_failed(index, "status_4xx", raw)).await;
    for lang in ["fr", "en"] {
        let r = get(s.addr, &format!("/sources?lang={lang}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = &r.body;
        let sentence = crate::explain::explain(lang, Some("status_4xx"), Some(raw));
        assert!(b.contains(&layout::esc(&sentence)), "{lang}: {b}");
        // The raw message stays within reach, folded, never the class.
        assert!(b.contains(&format!("<code>{raw}</code></details>")), "{b}");
        assert!(!b.contains("status_4xx"), "{b}");
        assert!(b.contains("class=\"status error\">▲ "), "{b}");
    }
    let b = get(s.addr, "/sources").await.body;
    assert!(
        b.contains("Le site a répondu 404 (page introuvable)"),
        "{b}"
    );
    assert!(b.contains("<summary>Détail technique</summary>"));
    assert!(b.contains("▲ 1 en erreur"));
}

/// The messages of a file of ours (`portal`, `pages`, ...) with no
/// variable, as `(id, French, English)`, where the languages differ.
fn plain_messages(file: &str) -> Vec<(String, String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales/fr")
        .join(format!("{file}.ftl"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_string()))
        .map(|id| {
            let fr = crate::i18n::tr("fr", &id);
            let en = crate::i18n::tr("en", &id);
            (id, fr, en)
        })
        .filter(|(_, fr, en)| fr != en && !fr.contains('{') && !en.contains('{'))
        .collect()
}

/// Whether `text` holds `word` between non-letters (so that "List" is
/// not found in "Liste").
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[tokio::test]
async fn each_language_reads_only_its_own_messages() {
    let s = serve_with(|index| salle_failed(index, "timeout", "x: timed out after 30 s")).await;
    let list = get(s.addr, "/?from=2030-12-01").await.body;
    let id_start = list.find("href=\"/events/").unwrap() + "href=\"/events/".len();
    let id = &list[id_start..id_start + list[id_start..].find('?').unwrap()];
    let paths = [
        "/?from=2030-12-01".to_string(),
        "/?view=month&month=2030-12".to_string(),
        "/?q=introuvable-zzz".to_string(),
        "/sources".to_string(),
        format!("/events/{id}"),
        "/events/nope".to_string(),
        "/?view=week".to_string(),
        "/embed".to_string(),
    ];
    let mut messages = Vec::new();
    for file in ["common", "portal", "pages", "errors", "feeds"] {
        messages.extend(plain_messages(file));
    }
    assert!(messages.len() > 50, "{}", messages.len());
    let mut shown = std::collections::BTreeSet::new();
    for path in &paths {
        let sep = if path.contains('?') { '&' } else { '?' };
        for (lang, other) in [("fr", "en"), ("en", "fr")] {
            let b = get(s.addr, &format!("{path}{sep}lang={lang}")).await.body;
            for (id, fr, en) in &messages {
                let (mine, theirs) = if lang == "fr" { (fr, en) } else { (en, fr) };
                assert!(
                    !has_word(&b, &layout::esc(theirs)),
                    "{path} in {lang} shows {id} in {other}: {theirs:?}\n{b}"
                );
                if has_word(&b, &layout::esc(mine)) {
                    shown.insert(id.as_str());
                }
            }
        }
    }
    // The pages did show our messages: a sample of each kind.
    for id in [
        "skip-to-content",
        "status-cancelled",
        "portal-no-match",
        "portal-search-label",
        "portal-subscribe-help",
        "portal-embed-help",
        "portal-view-month",
        "portal-sources-title",
        "portal-sources-col-next-run",
        "portal-sources-error-detail",
        "pages-add-to-calendar",
        "pages-venue",
        "error-bad-request-title",
        "error-event-not-found-title",
        "error-all-events",
        "source-error-timeout",
        "portal-embed-see-calendar",
    ] {
        assert!(shown.contains(id), "{id} was shown on none of the pages");
    }
}

#[test]
fn a_server_error_is_a_page_in_the_visitors_language() {
    let config = config();
    for (lang, title) in [("fr", "Erreur du serveur"), ("en", "Server error")] {
        let r = super::server_error(&config, lang);
        assert_eq!(r.status(), 500);
        let body = body_text(r);
        assert!(body.contains(&format!("<h1>{title}</h1>")), "{body}");
        assert!(body.contains(&format!("<html lang=\"{lang}\">")));
        assert!(body.contains("noindex"));
    }
}

/// The body of an answer built in memory.
fn body_text(r: axum::response::Response) -> String {
    let bytes = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(axum::body::to_bytes(r.into_body(), usize::MAX))
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn an_unknown_path_is_a_page_for_browsers_and_json_for_programs() {
    let s = serve().await;
    let html = [("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")];
    let r = get_with(s.addr, "/agenda/2030?lang=en", &html).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.body.contains("<h1>Page not found</h1>"), "{}", r.body);
    assert!(r.body.contains("<code>/agenda/2030</code>"));
    let r = get_with(s.addr, "/agenda/%3Cb%3E", &html).await;
    assert!(r.body.contains("<h1>Page introuvable</h1>"), "{}", r.body);
    assert!(
        r.body.contains("<code>/agenda/%3Cb%3E</code>"),
        "{}",
        r.body
    );
    // Programs, and anything under the API, keep the JSON error.
    for (path, headers) in [("/agenda", &[][..]), ("/api/v1/nothing", &html[..])] {
        let r = get_with(s.addr, path, headers).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        assert!(r.body.contains("no page at"), "{}", r.body);
    }
}
