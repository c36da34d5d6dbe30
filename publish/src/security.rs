//! The security headers of every public answer, as one layer keyed by
//! path (so that no route can forget them):
//!
//! * a strict `Content-Security-Policy` without `'unsafe-inline'`: scripts
//!   only from this origin (the pages have no inline script; the JSON-LD
//!   `<script type="application/ld+json">` of event pages is a data block,
//!   never executed, which CSP does not govern), styles from this origin
//!   plus the SHA-256 hashes of the inline stylesheets — the pages'
//!   ([`crate::layout::CSS`]), the portal's and `/sources`' extra one
//!   ([`crate::portal::PORTAL_CSS`]) and `/embed`'s
//!   ([`crate::widget::EMBED_CSS`]), computed once from their exact text,
//!   so editing one keeps the policy right (a new inline style must be
//!   added here: the tests parse every page for one without its hash); no `style` attribute anywhere (hashes do not cover them);
//! * `X-Content-Type-Options: nosniff` and
//!   `Referrer-Policy: strict-origin-when-cross-origin`;
//! * framing: `frame-ancestors 'none'` and `X-Frame-Options: DENY`, but on
//!   `/embed`, made to be framed by any site: `frame-ancestors *` and no
//!   `X-Frame-Options`.
//!
//! The staff console (`/admin`, `/api/v1/admin/`) is left alone: its own
//! layer ([`crate::admin`]) sets a stricter policy.
//!
//! The widget (`/widget.js`) runs under the policy of the page that embeds
//! it, not this one; it styles its shadow root with a constructed
//! stylesheet, which no policy blocks.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The path that may be framed by other sites.
pub const EMBED_PATH: &str = "/embed";

/// `'sha256-…'` of an inline text, as CSP wants it.
pub fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy but its `frame-ancestors`.
fn base_policy() -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' {} {} {}; \
img-src 'self' data: https: http:; connect-src 'self'; form-action 'self'; \
base-uri 'self'",
        csp_hash(crate::layout::CSS),
        csp_hash(crate::portal::PORTAL_CSS),
        csp_hash(crate::widget::EMBED_CSS)
    )
}

/// The policy of every public answer but `/embed`.
pub static CONTENT_SECURITY_POLICY_VALUE: LazyLock<String> =
    LazyLock::new(|| format!("{}; frame-ancestors 'none'", base_policy()));

/// The policy of `/embed`: framed by anyone.
pub static EMBED_CONTENT_SECURITY_POLICY_VALUE: LazyLock<String> =
    LazyLock::new(|| format!("{}; frame-ancestors *", base_policy()));

/// Whether `path` belongs to the staff console, which sets its own headers.
fn is_console(path: &str) -> bool {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    under("/admin") || under("/api/v1/admin")
}

/// The layer: see the module doc.
pub async fn headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    harden(&path, &mut response);
    response
}

/// Give the answer to `path` the headers of the module doc (for answers
/// made outside the router: [`crate::calendars::route`]'s).
pub fn harden(path: &str, response: &mut Response) {
    if is_console(path) {
        return;
    }
    let embed = path == EMBED_PATH;
    let policy = if embed {
        &*EMBED_CONTENT_SECURITY_POLICY_VALUE
    } else {
        &*CONTENT_SECURITY_POLICY_VALUE
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(policy) {
        h.insert(CONTENT_SECURITY_POLICY, v);
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if embed {
        h.remove(X_FRAME_OPTIONS);
    } else {
        h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use index::Index;

    use super::*;
    use crate::params::{MAX_LIST_ITEMS, MAX_Q_CHARS};
    use crate::testdata::{at, occurrence, request, serve_router, source_run, two_sources, Resp};
    use crate::{AppState, PublishConfig};

    const HOSTILE_TITLE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

    struct Server {
        addr: SocketAddr,
        event_id: String,
        _dir: tempfile::TempDir,
    }

    /// The real router over a real index holding one event with a hostile
    /// title, description and image, and a source with a hostile name.
    async fn serve() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let index = Arc::new(Index::open(dir.path()).unwrap());
        two_sources(&index, "<style>body{display:none}</style>Salle");
        let mut o = occurrence("mda", "x", HOSTILE_TITLE, at("2030-12-05T20:00:00-05:00"));
        o.event.description = Some(format!("{HOSTILE_TITLE}</script><script>alert(2)</script>"));
        o.event.image = Some("https://img.example.org/a.png\" onload=\"alert(4)".into());
        let event_id = o.event.id.clone();
        index.record_success(source_run("mda", vec![o])).unwrap();
        let config = PublishConfig {
            name: "<b>Agenda</b>".into(),
            base_url: "https://agenda.example.org".into(),
            timezone: chrono_tz::America::Toronto,
            languages: vec!["fr".into(), "en".into()],
            categories: Vec::new(),
            venues: Vec::new(),
            paused: Vec::new(),
            network: Default::default(),
            source_kinds: Vec::new(),
        };
        let state = AppState::new(index, Arc::new(config), Default::default());
        Server {
            addr: serve_router(state).await,
            event_id,
            _dir: dir,
        }
    }

    async fn get_html(addr: SocketAddr, path: &str) -> Resp {
        request(addr, "GET", path, &[("Accept", "text/html")]).await
    }

    /// The sources a directive of `policy` allows.
    fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
        policy
            .split(';')
            .map(str::trim)
            .find_map(|d| {
                let mut words = d.split_whitespace();
                (words.next() == Some(name)).then(|| words.collect())
            })
            .unwrap_or_else(|| panic!("no {name} in {policy}"))
    }

    /// One element start tag: its name and attributes (lower-cased names).
    struct Tag {
        name: String,
        attrs: Vec<(String, String)>,
    }

    /// Every start tag of `html`, and the raw text of each `<script>` and
    /// `<style>` (what a hash must cover). A small scanner: the pages'
    /// text is escaped, so a `<` in text is `&lt;`, and raw-text elements
    /// end at their first closing tag, as in a browser.
    fn scan(html: &str) -> Vec<(Tag, Option<String>)> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            if rest.starts_with('/') || rest.starts_with('!') {
                continue;
            }
            let name_end = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len());
            let name = rest[..name_end].to_ascii_lowercase();
            let mut attrs = Vec::new();
            let mut chars = rest[name_end..].char_indices().peekable();
            let mut end = rest.len();
            let base = name_end;
            // Attributes: name, optionally = and a quoted or bare value.
            loop {
                while chars
                    .peek()
                    .is_some_and(|(_, c)| c.is_whitespace() || *c == '/')
                {
                    chars.next();
                }
                let Some(&(i, c)) = chars.peek() else { break };
                if c == '>' {
                    end = base + i + 1;
                    break;
                }
                let mut key = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || c == '=' || c == '>' {
                        break;
                    }
                    key.push(c);
                    chars.next();
                }
                let mut value = String::new();
                if chars.peek().is_some_and(|(_, c)| *c == '=') {
                    chars.next();
                    match chars.peek().map(|(_, c)| *c) {
                        Some(q @ ('"' | '\'')) => {
                            chars.next();
                            for (_, c) in chars.by_ref() {
                                if c == q {
                                    break;
                                }
                                value.push(c);
                            }
                        }
                        _ => {
                            while let Some(&(_, c)) = chars.peek() {
                                if c.is_whitespace() || c == '>' {
                                    break;
                                }
                                value.push(c);
                                chars.next();
                            }
                        }
                    }
                }
                attrs.push((key.to_ascii_lowercase(), value));
            }
            rest = &rest[end.min(rest.len())..];
            let text = if name == "script" || name == "style" {
                let close = format!("</{name}");
                let stop = rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
                let text = rest[..stop].to_string();
                rest = &rest[stop..];
                Some(text)
            } else {
                None
            };
            out.push((Tag { name, attrs }, text));
        }
        out
    }

    /// What a page must be under `policy`: every inline style hashed,
    /// scripts only from this origin (or JSON-LD data blocks), no style
    /// or event-handler attribute.
    fn check_page(path: &str, html: &str, policy: &str) {
        let styles = directive(policy, "style-src");
        let scripts = directive(policy, "script-src");
        assert!(!policy.contains("unsafe"), "{path}: {policy}");
        assert_eq!(scripts, ["'self'"], "{path}");
        let tags = scan(html);
        assert!(tags.iter().any(|(t, _)| t.name == "body"), "{path}: {html}");
        for (tag, text) in &tags {
            for (k, v) in &tag.attrs {
                assert!(k != "style", "{path}: a style attribute on <{}>", tag.name);
                assert!(!k.starts_with("on"), "{path}: {k}={v:?} on <{}>", tag.name);
                if ["href", "src", "action"].contains(&k.as_str()) {
                    assert!(
                        !v.trim_start().starts_with("javascript:"),
                        "{path}: {k}={v:?}"
                    );
                }
            }
            let attr = |name: &str| tag.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            match (tag.name.as_str(), text) {
                ("style", Some(text)) => assert!(
                    styles.contains(&csp_hash(text).as_str()),
                    "{path}: inline style without its hash: {text}"
                ),
                ("script", Some(text)) => match attr("src") {
                    Some(src) => {
                        assert!(text.is_empty(), "{path}");
                        assert!(
                            !src.contains(':') && !src.starts_with("//"),
                            "{path}: script from elsewhere: {src}"
                        );
                    }
                    None => assert_eq!(
                        attr("type").map(String::as_str),
                        Some("application/ld+json"),
                        "{path}: an inline script that would run: {text}"
                    ),
                },
                _ => {}
            }
        }
    }

    fn check_headers(path: &str, r: &Resp, framed: bool) -> String {
        let policy = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"))
            .to_string();
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            r.header("referrer-policy"),
            Some("strict-origin-when-cross-origin"),
            "{path}"
        );
        if framed {
            assert_eq!(directive(&policy, "frame-ancestors"), ["*"], "{path}");
            assert_eq!(r.header("x-frame-options"), None, "{path}");
        } else {
            assert_eq!(directive(&policy, "frame-ancestors"), ["'none'"], "{path}");
            assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        }
        assert_eq!(directive(&policy, "default-src"), ["'none'"], "{path}");
        policy
    }

    #[tokio::test]
    async fn every_html_answer_has_a_strict_policy_its_inline_parts_match() {
        let s = serve().await;
        let long_q = format!("/?q={}", "a".repeat(MAX_Q_CHARS + 1));
        let event = format!("/events/{}", s.event_id);
        let event_en = format!("/events/{}?lang=en", s.event_id);
        let pages: Vec<(&str, u16)> = vec![
            ("/", 200),
            ("/?view=month&month=2030-12", 200),
            ("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&lang=en", 200),
            (&event, 200),
            (&event_en, 200),
            ("/sources", 200),
            ("/sources?lang=en", 200),
            ("/embed", 200),
            ("/embed?view=month&category=%22%3E%3Cscript%3E", 200),
            ("/?from=tomorrow", 400),
            ("/embed?limit=0", 400),
            (&long_q, 400),
            ("/events/nope", 404),
            ("/no/such/page", 404),
        ];
        for (path, status) in pages {
            let r = get_html(s.addr, path).await;
            assert_eq!(r.status, status, "{path}: {}", r.text());
            assert!(
                r.header("content-type")
                    .is_some_and(|c| c.starts_with("text/html")),
                "{path}"
            );
            let framed = path.starts_with("/embed?") || path == "/embed";
            let policy = check_headers(path, &r, framed);
            let html = r.text();
            check_page(path, &html, &policy);
            assert!(!html.contains("<script>alert"), "{path}");
            assert!(!html.contains("<img src=x"), "{path}");
        }
        // The event page keeps its JSON-LD, as data.
        let html = get_html(s.addr, &event).await.text();
        assert!(html.contains("<script type=\"application/ld+json\">"));
    }

    #[tokio::test]
    async fn every_other_answer_is_not_sniffed_nor_framed() {
        let s = serve().await;
        for path in [
            "/api/v1/events",
            "/api/v1/events?q=x&category=%3Cb%3E",
            "/feeds/events.ics",
            "/feeds/events.rss",
            "/widget.js",
            "/openapi.json",
            "/api/v1/nothing",
        ] {
            let r = request(s.addr, "GET", path, &[]).await;
            check_headers(path, &r, false);
        }
        // The console keeps its own, stricter policy.
        let r = get_html(s.addr, "/admin/login").await;
        assert_eq!(
            r.header("content-security-policy"),
            Some(crate::admin::CONTENT_SECURITY_POLICY_VALUE)
        );
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert!(!is_console("/administration") && is_console("/admin"));
        assert!(is_console("/api/v1/admin/sources") && !is_console("/api/v1/adminx"));
    }

    #[tokio::test]
    async fn out_of_bounds_queries_are_refused_naming_the_parameter() {
        let s = serve().await;
        let long_q = format!("q={}", "a".repeat(10_000));
        let many: String = (0..1000).map(|i| format!("category=c{i}&")).collect();
        let over_list: String = (0..=MAX_LIST_ITEMS)
            .map(|i| format!("venue=v{i}&"))
            .collect();
        for (path, parameter) in [
            ("/api/v1/events", long_q.as_str(), "q"),
            ("/api/v1/events", many.as_str(), "category"),
            ("/feeds/events.ics", over_list.as_str(), "venue"),
            ("/feeds/events.rss", long_q.as_str(), "q"),
            ("/api/v1/categories", long_q.as_str(), "q"),
        ]
        .map(|(p, q, n)| (format!("{p}?{q}"), n))
        {
            let r = request(s.addr, "GET", &path, &[]).await;
            assert_eq!(r.status, 400, "{}", &path[..40]);
            let json = r.json();
            assert_eq!(json["parameter"], parameter, "{json}");
            assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
        // The portal answers a person with its page naming the parameter.
        let r = get_html(s.addr, &format!("/?{many}")).await;
        assert_eq!(r.status, 400);
        assert!(r.text().contains("<code>category</code>"), "{}", r.text());
    }
}
