//! `GET /sources`: the health of every source, readable at a glance.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{bad_request, NO_FAVICON, PORTAL_CSS};
use crate::cache::{self, CachePolicy};
use crate::handler::sources_with_next_runs;
use crate::layout::{self, esc, page_lang, t, Page};
use crate::params;
use crate::AppState;

/// `GET /sources`: the health of every source, readable at a glance. The
/// ETag is a hash of the page (fetch states and next runs change without
/// the index generation growing).
pub async fn sources_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let config = &state.config;
    let lang = match params::parse_lang(raw.as_deref(), &config.languages) {
        Ok(l) => page_lang(config, l.as_deref()).to_string(),
        Err(e) => return bad_request(config, page_lang(config, None), &e),
    };
    let sources = match sources_with_next_runs(&state, "sources page").await {
        Ok(s) => s,
        Err(response) => return response,
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
    let ok = sources.iter().filter(|s| s.status == "ok").count();
    let failing = sources.iter().filter(|s| s.status == "error").count();
    let st = t(&lang, "État", "Status");
    let lf = t(&lang, "Dernière lecture", "Last fetch");
    let ls = t(&lang, "Dernier succès", "Last success");
    let le = t(&lang, "Dernière erreur", "Last error");
    let ev = t(&lang, "Événements", "Events");
    let nr = t(&lang, "Prochaine lecture", "Next run");
    let mut b = format!(
        "<h1>{title}</h1>\n<p role=\"status\"><span class=\"ok\">● {ok} {ok_l}</span> · \
<span class=\"error\">▲ {failing} {err_l}</span> · {total} source{plural} · {tz_l} {tz}</p>\n\
<table class=\"sources\">\n<caption class=\"muted\">{cap}</caption>\n<thead><tr>\
<th scope=\"col\">Source</th><th scope=\"col\">{st}</th><th scope=\"col\">{lf}</th><th scope=\"col\">{ls}</th>\
<th scope=\"col\">{le}</th><th scope=\"col\">{ev}</th><th scope=\"col\">{nr}</th></tr></thead>\n<tbody>\n",
        title = t(&lang, "État des sources", "Sources' health"),
        ok_l = t(&lang, "en ordre", "ok"),
        err_l = t(&lang, "en erreur", "failing"),
        total = sources.len(),
        plural = if sources.len() == 1 { "" } else { "s" },
        tz_l = t(&lang, "heures de", "times in"),
        tz = esc(config.timezone.name()),
        cap = t(
            &lang,
            "Les mêmes données que /api/v1/sources.",
            "The same data as /api/v1/sources."
        ),
    );
    for s in &sources {
        let (cls, label) = match s.status.as_str() {
            "ok" => ("ok", t(&lang, "● En ordre", "● OK")),
            "error" => ("error", t(&lang, "▲ Erreur", "▲ Error")),
            _ => ("never", t(&lang, "○ Jamais lue", "○ Never read")),
        };
        let _ = writeln!(
            b,
            "<tr class=\"{cls}-row\"><th scope=\"row\">{name}<br><span class=\"muted\">{id} · {kind}</span><br>\
<a href=\"{url}\" class=\"muted\">{url_text}</a></th>\
<td data-label=\"{st}\" class=\"status {cls}\">{label}</td><td data-label=\"{lf}\">{fetch}</td>\
<td data-label=\"{ls}\">{success}</td><td data-label=\"{le}\">{error}</td>\
<td data-label=\"{ev}\">{events}</td><td data-label=\"{nr}\">{next}</td></tr>",
            name = esc(&s.name),
            id = esc(&s.id),
            kind = esc(s.kind.as_deref().unwrap_or("?")),
            url = esc(&s.url),
            url_text = esc(&s.url),
            fetch = when(s.last_fetch_at),
            success = when(s.last_success_at),
            error = s
                .last_error
                .as_deref()
                .map(|e| format!("<span class=\"error\">{}</span>", esc(e)))
                .unwrap_or_else(|| "—".into()),
            events = s.events,
            next = when(s.next_run),
        );
    }
    b.push_str("</tbody></table>\n");
    let switch = "/sources".to_string();
    let body = layout::page(
        config,
        &Page {
            title: t(&lang, "État des sources", "Sources' health"),
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
