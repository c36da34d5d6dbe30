//! The embeddable widget: `GET /widget.js` (the custom element
//! `<babillard-events>`, plain JavaScript embedded in the binary, no build
//! step) and `GET /embed` (a standalone page holding one widget, for sites
//! whose CMS strips scripts: they embed it in an `<iframe>`).
//!
//! The widget reads `{src}/api/v1/events` with the API's parameters, or,
//! once the static export has rewritten its [`STATIC_FLAG_LINE`] to
//! `true`, reads `{src}/api/v1/events.json` once and filters on the client.

use std::sync::OnceLock;

use axum::extract::RawQuery;
use axum::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use crate::cache::{self, CachePolicy};
use crate::calendars::Site;
use crate::layout::{esc, page_lang, tr_esc};
use crate::params::{self, parse_view, widget_attributes, QueryDefaults};
use crate::AppState;

/// The widget's source, served as is.
pub const WIDGET_JS: &str = include_str!("../assets/widget.js");

/// The one line the static export rewrites to `... = true;`.
pub const STATIC_FLAG_LINE: &str = "const BABILLARD_STATIC = false;";

/// The one style of `/embed`, inline: its hash is in the
/// Content-Security-Policy ([`crate::security`]), so it must stay exactly
/// this text.
pub const EMBED_CSS: &str = "html,body{margin:0;padding:0;background:#fff}";

/// How long browsers may keep `/assets/portal.js`.
const WIDGET_CACHE: &str = "public, max-age=3600";

/// How long browsers may keep the plain `/widget.js` (its bytes change
/// with each release): short, revalidated by ETag.
pub const WIDGET_SHORT_CACHE: &str = "public, max-age=300";

/// How long browsers may keep `/widget.js?v=VERSION` when VERSION is the
/// hash of the bytes served: for ever (a new widget has a new URL).
pub const WIDGET_LONG_CACHE: &str = "public, max-age=31536000, immutable";

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget_js))
        .route("/embed", get(embed))
}

fn widget_etag() -> &'static str {
    static ETAG_VALUE: OnceLock<String> = OnceLock::new();
    ETAG_VALUE.get_or_init(|| cache::body_etag(WIDGET_JS.as_bytes()))
}

/// The widget's version: the first 16 hex digits of the SHA-256 of its
/// bytes.
pub fn widget_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(WIDGET_JS.as_bytes())[..8])
    })
}

/// The widget's versioned path, `/widget.js?v=VERSION`, which pages
/// reference so that browsers keep it for a year.
pub fn widget_path() -> String {
    format!("/widget.js?v={}", widget_version())
}

/// The widget gzipped once (level 9: it is served many times).
fn widget_gzip() -> &'static [u8] {
    static GZ: OnceLock<Vec<u8>> = OnceLock::new();
    GZ.get_or_init(|| {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into a Vec cannot fail; an empty result would only mean
        // the plain bytes are sent.
        if enc.write_all(WIDGET_JS.as_bytes()).is_err() {
            return Vec::new();
        }
        enc.finish().unwrap_or_default()
    })
}

/// `GET /widget.js`: gzipped when the client accepts it; with `?v=` equal
/// to [`widget_version`], cached for a year as immutable; else (the plain
/// URL of the contract, or an old version) for a few minutes, revalidated
/// by ETag.
pub async fn widget_js(headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let current = raw.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.strip_prefix("v=") == Some(widget_version()))
    });
    let gz = widget_gzip();
    let gzip = cache::accepts_gzip(&headers) && !gz.is_empty();
    // Each representation has its own strong ETag.
    let etag = if gzip {
        cache::gzip_etag(widget_etag())
    } else {
        widget_etag().to_string()
    };
    let mut response = if cache::if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/javascript; charset=utf-8"),
                ),
                (CONTENT_ENCODING, HeaderValue::from_static("gzip")),
            ],
            gz,
        )
            .into_response()
    } else {
        (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            )],
            WIDGET_JS,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if current {
            WIDGET_LONG_CACHE
        } else {
            WIDGET_SHORT_CACHE
        }),
    );
    response
}

/// A script embedded in the binary: 304 when `etag` matches, else its
/// bytes; cached for an hour and revalidated by ETag.
pub(crate) fn script(headers: &HeaderMap, etag: &str, body: &'static str) -> Response {
    let mut response = if cache::if_none_match(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            )],
            body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(ETAG, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static(WIDGET_CACHE));
    response
}

/// `GET /embed`: one widget on a page of its own, same parameters as the API
/// plus `view`. Links open in the top window; the page may be framed.
pub async fn embed(Site(config): Site, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let defaults = QueryDefaults::upcoming(Utc::now(), &config.languages);
    let checked = params::parse_query_with(raw.as_deref(), config.timezone, &defaults)
        .and_then(|(_, lang)| parse_view(raw.as_deref()).map(|_| lang));
    let lang = match checked {
        Ok(lang) => lang,
        Err(e) => {
            let lang = page_lang(&config, None).to_string();
            return crate::portal::bad_request(&config, &lang, &e);
        }
    };
    if let Err(e) =
        params::parse_query_with(raw.as_deref(), config.timezone, &defaults).and_then(|(q, _)| {
            params::check_territories(
                &q.territories,
                config.network.territories.iter().map(|t| t.id.as_str()),
            )
        })
    {
        let lang = page_lang(&config, None).to_string();
        return crate::portal::bad_request(&config, &lang, &e);
    }
    let lang = page_lang(&config, lang.as_deref()).to_string();
    let mut attrs = widget_attributes(raw.as_deref());
    // The widget reads this calendar's events and wears its branding.
    if let Some(calendar) = &config.network.current {
        attrs.insert(0, ("calendar".into(), calendar.id.clone()));
    }
    if !attrs.iter().any(|(k, _)| k == "lang") {
        attrs.push(("lang".into(), lang.clone()));
    }
    let attrs: String = attrs
        .iter()
        .map(|(k, v)| format!(" {}=\"{}\"", k, esc(v)))
        .collect();
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{name}</title>\n<base target=\"_top\">\n{icon}\n\
<style>{css}</style>\n\
<script src=\"{up}{widget}\" async></script>\n</head>\n<body>\n\
<babillard-events{attrs}></babillard-events>\n\
<noscript><p><a href=\"{up}?lang={lang}\">{all}</a></p></noscript>\n</body>\n</html>\n",
        lang = esc(&lang),
        name = esc(&config.name),
        attrs = attrs,
        all = tr_esc(&lang, "portal-embed-see-calendar"),
        icon = crate::portal::NO_FAVICON,
        css = EMBED_CSS,
        // `/embed` and its exported copy `embed/index.html` both reach the
        // root with `../`; under `/c/{id}/embed`, the calendar's root is
        // `./` (the widget itself is the installation's).
        up = if config.network.prefix.is_empty() {
            "../"
        } else {
            "./"
        },
        widget = widget_path().trim_start_matches('/'),
    );
    cache::by_body(
        &headers,
        CachePolicy::Public,
        StatusCode::OK,
        "text/html; charset=utf-8",
        body.into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_flag_line_is_there_exactly_once() {
        assert_eq!(WIDGET_JS.matches(STATIC_FLAG_LINE).count(), 1);
        assert_eq!(WIDGET_JS.matches("BABILLARD_STATIC =").count(), 1);
    }

    #[test]
    fn the_widget_names_every_contract_attribute() {
        for a in [
            "\"src\"",
            "\"q\"",
            "\"category\"",
            "\"venue\"",
            "\"source\"",
            "\"near\"",
            "\"radius-km\"",
            "\"limit\"",
            "\"lang\"",
            "\"view\"",
            "--babillard-accent",
            "--babillard-font",
            "--babillard-bg",
            "--babillard-fg",
            "attachShadow",
            "customElements.define(\"babillard-events\"",
        ] {
            assert!(WIDGET_JS.contains(a), "{a}");
        }
        // No cookie, no other origin named in the code.
        assert!(!WIDGET_JS.contains("document.cookie"));
        assert!(!WIDGET_JS.contains("http://") && !WIDGET_JS.contains("https://"));
    }
}
