//! The portal's forms: the search form (its selects carry the counts of
//! the index's facets), the list/month tabs, and the embed form with the
//! snippets that embed the current search elsewhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use index::Facets;

use super::View;
use crate::i18n;
use crate::layout::{esc, tr_esc};
use crate::params::{self, last_value, pairs_without, with_pairs};
use crate::PublishConfig;

pub(super) fn search_form(
    config: &PublishConfig,
    raw: Option<&str>,
    lang: &str,
    view: &View,
    facets: &Facets,
) -> String {
    let q = last_value(raw, "q").unwrap_or_default();
    let date = |k: &str| {
        last_value(raw, k)
            .map(|v| v.chars().take(10).collect::<String>())
            .unwrap_or_default()
    };
    let selected_cat = last_value(raw, "category").unwrap_or_default();
    let selected_venue = last_value(raw, "venue").unwrap_or_default();
    let mut cats: Vec<(String, String, usize)> = config
        .categories
        .iter()
        .map(|c| {
            (
                c.slug.clone(),
                config.category_name(&c.slug, Some(lang)),
                facets.categories.get(&c.slug).copied().unwrap_or(0),
            )
        })
        .collect();
    for (slug, n) in &facets.categories {
        if !cats.iter().any(|(s, _, _)| s == slug) {
            cats.push((slug.clone(), config.category_name(slug, Some(lang)), *n));
        }
    }
    let mut venues: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (v, n) in &facets.venues {
        venues.insert(v.id.clone(), (v.name.clone(), *n));
    }
    for v in &config.venues {
        venues.entry(v.id.clone()).or_insert((v.name.clone(), 0));
    }
    let mut venues: Vec<(String, String, usize)> =
        venues.into_iter().map(|(id, (n, c))| (id, n, c)).collect();
    venues.sort_by_key(|a| a.1.to_lowercase());
    let options = |items: &[(String, String, usize)], selected: &str, all: &str| {
        let mut s = format!("<option value=\"\">{}</option>", esc(all));
        for (id, name, n) in items {
            let _ = write!(
                s,
                "<option value=\"{}\"{}>{} ({n})</option>",
                esc(id),
                if id == selected { " selected" } else { "" },
                esc(name)
            );
        }
        s
    };
    let territories = territory_field(config, raw, lang);
    let mut hidden = String::new();
    let _ = write!(
        hidden,
        "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        esc(lang)
    );
    if view.month.is_some() {
        hidden.push_str("<input type=\"hidden\" name=\"view\" value=\"month\">");
    }
    for (k, v) in pairs_without(raw, &[]) {
        let shown = k == "territory" && !territories.is_empty();
        if matches!(
            k.as_str(),
            "source" | "near" | "radius_km" | "bbox" | "territory"
        ) && !shown
        {
            let _ = write!(
                hidden,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(&k),
                esc(&v)
            );
        }
    }
    format!(
        "<form class=\"search\" method=\"get\" action=\"{action}\" role=\"search\" aria-label=\"{label}\">\n\
<div class=\"f q\"><label for=\"f-q\">{search}</label><input id=\"f-q\" type=\"search\" name=\"q\" value=\"{q}\"></div>\n\
<div class=\"f\"><label for=\"f-from\">{from_l}</label><input id=\"f-from\" type=\"date\" name=\"from\" value=\"{from}\"></div>\n\
<div class=\"f\"><label for=\"f-to\">{to_l}</label><input id=\"f-to\" type=\"date\" name=\"to\" value=\"{to}\"></div>\n\
<div class=\"f\"><label for=\"f-category\">{cat_l}</label><select id=\"f-category\" name=\"category\">{cats}</select></div>\n\
<div class=\"f\"><label for=\"f-venue\">{venue_l}</label><select id=\"f-venue\" name=\"venue\">{venues}</select></div>\n\
{territories}{hidden}<div class=\"f\"><button type=\"submit\">{go}</button></div>\n</form>\n",
        action = esc(&config.link("/")),
        territories = territories,
        label = tr_esc(lang, "portal-search-label"),
        search = tr_esc(lang, "portal-search-field"),
        q = esc(&q),
        from_l = tr_esc(lang, "portal-from"),
        from = esc(&date("from")),
        to_l = tr_esc(lang, "portal-to"),
        to = esc(&date("to")),
        cat_l = tr_esc(lang, "portal-category"),
        cats = options(
            &cats,
            &selected_cat,
            &i18n::tr(lang, "portal-all-categories")
        ),
        venue_l = tr_esc(lang, "portal-venue"),
        venues = options(
            &venues,
            &selected_venue,
            &i18n::tr(lang, "portal-all-venues")
        ),
        hidden = hidden,
        go = tr_esc(lang, "portal-search-button"),
    )
}

/// The territory select of the search form (empty when the installation
/// has no territory).
fn territory_field(config: &PublishConfig, raw: Option<&str>, lang: &str) -> String {
    if config.network.territories.is_empty() {
        return String::new();
    }
    let selected = last_value(raw, "territory").unwrap_or_default();
    let mut options = format!(
        "<option value=\"\">{}</option>",
        tr_esc(lang, "portal-all-territories")
    );
    let mut named: Vec<(String, &str)> = config
        .network
        .territories
        .iter()
        .map(|t| (config.territory_name(&t.id, lang), t.id.as_str()))
        .collect();
    named.sort_by_key(|(name, _)| name.to_lowercase());
    for (name, id) in named {
        let _ = write!(
            options,
            "<option value=\"{}\"{}>{}</option>",
            esc(id),
            if id == selected { " selected" } else { "" },
            esc(&name)
        );
    }
    format!(
        "<div class=\"f\"><label for=\"f-territory\">{}</label><select id=\"f-territory\" name=\"territory\">{options}</select></div>\n",
        tr_esc(lang, "portal-territory")
    )
}

pub(super) fn view_tabs(
    config: &PublishConfig,
    raw: Option<&str>,
    lang: &str,
    view: &View,
) -> String {
    let base = pairs_without(raw, &["view", "month", "cursor"]);
    let list = with_pairs(&config.link("/"), &base);
    let mut month_pairs = base.clone();
    month_pairs.push(("view".into(), "month".into()));
    let month = with_pairs(&config.link("/"), &month_pairs);
    let current = |on: bool| if on { " aria-current=\"page\"" } else { "" };
    format!(
        "<nav class=\"views\" aria-label=\"{}\"><a href=\"{}\"{}>{}</a> <a href=\"{}\"{}>{}</a></nav>\n",
        tr_esc(lang, "portal-view"),
        esc(&list),
        current(view.month.is_none()),
        tr_esc(lang, "portal-view-list"),
        esc(&month),
        current(view.month.is_some()),
        tr_esc(lang, "portal-view-month"),
    )
}

pub(super) fn embed_section(config: &PublishConfig, raw: Option<&str>, lang: &str) -> String {
    // The widget is served at the root of the installation; a calendar's
    // widget names its calendar.
    let base = config
        .base_url
        .trim_end_matches('/')
        .strip_suffix(config.network.prefix.as_str())
        .unwrap_or(&config.base_url)
        .trim_end_matches('/');
    let calendar = config
        .network
        .current
        .as_ref()
        .map(|c| format!(" calendar=\"{}\"", esc(&c.id)))
        .unwrap_or_default();
    let (view, limit) = params::parse_embed_options(raw);
    let mut filters = params::filters_only(raw);
    filters.retain(|(k, _)| k != "lang");
    filters.push(("lang".into(), lang.to_string()));
    filters.push(("view".into(), view.to_string()));
    if view == "list" {
        filters.push(("limit".into(), limit.to_string()));
    }
    let enc = params::encode_pairs(&filters);
    let attrs: String = params::widget_attributes(Some(&enc))
        .iter()
        .map(|(k, v)| format!(" {k}=\"{}\"", esc(v)))
        .collect();
    let widget = format!(
        "<script src=\"{base}{widget}\" async></script>\n<babillard-events{calendar}{attrs}></babillard-events>",
        widget = crate::widget::widget_path()
    );
    let iframe = format!(
        "<iframe src=\"{}/embed?{}\" title=\"{}\" width=\"100%\" height=\"600\" style=\"border:0\" loading=\"lazy\"></iframe>",
        esc(&config.base_url),
        esc(&enc),
        esc(&config.name)
    );
    let mut hidden = String::new();
    for (k, v) in pairs_without(raw, &["embed_view", "embed_limit", "cursor"]) {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(&k),
            esc(&v)
        );
    }
    if last_value(raw, "lang").is_none() {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
            esc(lang)
        );
    }
    format!(
        "<section aria-labelledby=\"integrer\" class=\"embed\" data-copy=\"{copy}\" data-copied=\"{copied}\">\n<h2 id=\"integrer\">{title}</h2>\n\
<p class=\"muted\">{help}</p>\n\
<form method=\"get\" action=\"{action}#integrer\" class=\"search\">{hidden}\
<div class=\"f\"><label for=\"e-view\">{view_l}</label><select id=\"e-view\" name=\"embed_view\">\
<option value=\"list\"{ls}>{list_l}</option><option value=\"month\"{ms}>{month_l}</option></select></div>\
<div class=\"f\"><label for=\"e-limit\">{limit_l}</label><input id=\"e-limit\" type=\"number\" min=\"1\" max=\"1000\" name=\"embed_limit\" value=\"{limit}\"></div>\
<div class=\"f\"><button type=\"submit\">{go}</button></div></form>\n\
<h3 id=\"snip-widget\">{w_l}</h3>\n<pre class=\"snippet\" tabindex=\"0\" aria-labelledby=\"snip-widget\"><code>{widget}</code></pre>\n\
<h3 id=\"snip-iframe\">{i_l}</h3>\n<pre class=\"snippet\" tabindex=\"0\" aria-labelledby=\"snip-iframe\"><code>{iframe}</code></pre>\n\
<script src=\"/assets/portal.js\" defer></script>\n</section>\n",
        action = esc(&config.link("/")),
        title = tr_esc(lang, "portal-embed"),
        help = tr_esc(lang, "portal-embed-help"),
        hidden = hidden,
        view_l = tr_esc(lang, "portal-view"),
        ls = if view == "list" { " selected" } else { "" },
        ms = if view == "month" { " selected" } else { "" },
        list_l = tr_esc(lang, "portal-view-list"),
        month_l = tr_esc(lang, "portal-view-month"),
        limit_l = tr_esc(lang, "portal-embed-limit"),
        limit = limit,
        go = tr_esc(lang, "portal-embed-update"),
        w_l = tr_esc(lang, "portal-embed-widget"),
        i_l = tr_esc(lang, "portal-embed-iframe"),
        widget = esc(&widget),
        iframe = esc(&iframe),
        copy = tr_esc(lang, "portal-copy"),
        copied = tr_esc(lang, "portal-copied"),
    )
}
