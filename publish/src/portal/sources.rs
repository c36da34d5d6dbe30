//! `GET /sources`: the health of every source, readable at a glance. A
//! failing source's last error reads as a sentence saying what to do
//! ([`crate::explain`]), its raw message folded under it.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{bad_request, server_error, NO_FAVICON, PORTAL_CSS};
use crate::cache::{self, CachePolicy};
use crate::calendars::Site;
use crate::explain::explain;
use crate::handler::sources_with_next_runs;
use crate::i18n;
use crate::layout::{self, esc, page_lang, tr_esc, Page};
use crate::params;
use crate::AppState;

/// `GET /sources`: the health of every source, readable at a glance. The
/// ETag is a hash of the page (fetch states and next runs change without
/// the index generation growing).
pub async fn sources_page(
    State(state): State<AppState>,
    Site(config): Site,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let config = &config;
    let lang = match params::parse_lang(raw.as_deref(), &config.languages) {
        Ok(l) => page_lang(config, l.as_deref()).to_string(),
        Err(e) => return bad_request(config, page_lang(config, None), &e),
    };
    let sources = match sources_with_next_runs(&state, "sources page").await {
        Ok(s) => crate::calendars::own_sources(config, s),
        // The cause is logged by `run_index`; people get a page.
        Err(_) => return server_error(config, &lang),
    };
    let tz = config.timezone;
    let when = |d: Option<DateTime<Utc>>| match d {
        Some(d) => {
            let local = d.with_timezone(&tz);
            format!(
                "<time datetime=\"{}\">{}</time>",
                esc(&d.to_rfc3339()),
                esc(&local.format("%Y-%m-%d %H:%M").to_string())
            )
        }
        None => "—".to_string(),
    };
    let ok = sources
        .iter()
        .filter(|s| s.status == "ok" && !s.needs_attention())
        .count();
    let failing = sources.iter().filter(|s| s.status == "error").count();
    let st = tr_esc(&lang, "portal-sources-col-status");
    let lf = tr_esc(&lang, "portal-sources-col-last-fetch");
    let ls = tr_esc(&lang, "portal-sources-col-last-success");
    let le = tr_esc(&lang, "portal-sources-col-last-error");
    let ev = tr_esc(&lang, "portal-sources-col-events");
    let nr = tr_esc(&lang, "portal-sources-col-next-run");
    let count = |id: &str, n: usize| esc(&i18n::tr_args(&lang, id, &[("count", n.into())]));
    let mut b = format!(
        "<h1>{title}</h1>\n<p role=\"status\"><span class=\"ok\">● {ok}</span> · \
<span class=\"error\">▲ {failing}</span> · {total} · {tz}</p>\n\
<table class=\"sources\">\n<caption class=\"muted\">{cap}</caption>\n<thead><tr>\
<th scope=\"col\">{src}</th><th scope=\"col\">{st}</th><th scope=\"col\">{lf}</th><th scope=\"col\">{ls}</th>\
<th scope=\"col\">{le}</th><th scope=\"col\">{ev}</th><th scope=\"col\">{nr}</th></tr></thead>\n<tbody>\n",
        title = tr_esc(&lang, "portal-sources-title"),
        ok = count("portal-sources-summary-ok", ok),
        failing = count("portal-sources-summary-failing", failing),
        total = count("portal-sources-summary-total", sources.len()),
        tz = esc(&i18n::tr_args(
            &lang,
            "portal-sources-timezone",
            &[("zone", config.timezone.name().into())]
        )),
        cap = tr_esc(&lang, "portal-sources-caption"),
        src = tr_esc(&lang, "portal-sources-col-source"),
    );
    let detail = tr_esc(&lang, "portal-sources-error-detail");
    for s in &sources {
        let (cls, label) = match s.status.as_str() {
            "ok" if s.needs_attention() => (
                "warning",
                format!("▲ {}", tr_esc(&lang, "portal-sources-status-warning")),
            ),
            "ok" => (
                "ok",
                format!("● {}", tr_esc(&lang, "portal-sources-status-ok")),
            ),
            "error" => (
                "error",
                format!("▲ {}", tr_esc(&lang, "portal-sources-status-error")),
            ),
            _ => (
                "never",
                format!("○ {}", tr_esc(&lang, "portal-sources-status-never")),
            ),
        };
        let error = match s.last_error.as_deref() {
            Some(raw) => format!(
                "<span class=\"error\">{}</span>\
<details><summary>{detail}</summary><code>{}</code></details>",
                esc(&explain(&lang, s.error_class.as_deref(), Some(raw))),
                esc(raw)
            ),
            None if s.needs_attention() => format!(
                "<span class=\"error\">{}</span><details><summary>{detail}</summary><code>{}</code></details>",
                tr_esc(&lang, "portal-sources-silent"),
                esc(&s.warnings.join("\n"))
            ),
            None => "—".into(),
        };
        let _ = writeln!(
            b,
            "<tr class=\"{cls}-row\"><th scope=\"row\">{name}<br><span class=\"muted\">{id} · {kind}</span><br>\
<a href=\"{url}\" class=\"muted\">{url_text}</a></th>\
<td data-label=\"{st}\" class=\"status {cls}\">{label}</td><td data-label=\"{lf}\">{fetch}</td>\
<td data-label=\"{ls}\">{success}</td><td data-label=\"{le}\" class=\"why\">{error}</td>\
<td data-label=\"{ev}\">{events}</td><td data-label=\"{nr}\">{next}</td></tr>",
            // The built-in source of events entered by hand is named in
            // the page's language.
            name = if s.id == crate::admin::sources::MANUAL_SOURCE {
                tr_esc(&lang, "onboard-manual-source")
            } else {
                esc(&s.name)
            },
            id = esc(&s.id),
            kind = match s.kind.as_deref() {
                Some(kind) => esc(kind),
                None => tr_esc(&lang, "portal-sources-kind-unknown"),
            },
            url = esc(&s.url),
            url_text = esc(&s.url),
            fetch = when(s.last_fetch_at),
            success = when(s.last_success_at),
            events = s.events,
            next = when(s.next_run),
        );
    }
    b.push_str("</tbody></table>\n");
    let switch = config.link("/sources");
    let body = layout::page(
        config,
        &Page {
            title: &i18n::tr(&lang, "portal-sources-title"),
            lang: &lang,
            head: &format!("{NO_FAVICON}<style>{PORTAL_CSS}</style>"),
            body: &b,
            switch_path: Some(&switch),
        },
    );
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        StatusCode::OK,
        "text/html; charset=utf-8",
        body.into_bytes(),
    )
}
