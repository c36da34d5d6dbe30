//! Venues and categories: the gazetteer and the venues events name, the
//! taxonomy, each with its count of upcoming events (the data of
//! `/api/v1/venues` and `/api/v1/categories`), and the words sources gave
//! as categories that matched nothing, with a form that adds a word to a
//! category's `matches` (admin, through [`crate::admin::sources::SourceAdmin`]).

use std::fmt::Write as _;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use index::{Facets, SourceStatus};

use super::frame::{self, Section};
use super::sources::{admin_failed, source_admin};
use super::{encode, tr_args, AdminForm, Ctx, Fields, Form, Screen};
use crate::admin::scope::{Act, Reach};
use crate::api::{category_counts, venue_counts};
use crate::layout::esc;
use crate::params::MAX_LIMIT;

/// The upcoming events' facets (of the calendars an editor curates) and
/// the sources.
async fn read(ctx: &Ctx) -> Result<(Facets, Vec<SourceStatus>), Response> {
    let mut query = index::Query::from(Utc::now());
    query.limit = MAX_LIMIT;
    ctx.reach().restrict(&mut query);
    ctx.read("console catalog", move |ix| {
        Ok((ix.facets(&query)?, ix.sources()?))
    })
    .await
}

fn render(
    ctx: &Ctx,
    query: &Fields,
    section: Section,
    title_id: &str,
    path: &str,
    body: &str,
) -> Response {
    let title = crate::i18n::tr(&ctx.lang, title_id);
    ctx.render(
        StatusCode::OK,
        section,
        &title,
        body,
        path,
        frame::flash(&ctx.lang, query),
    )
}

/// `GET /admin/venues`.
pub async fn venues(Screen { ctx, query, .. }: Screen) -> Response {
    let state = ctx.state.clone();
    let (facets, _) = match read(&ctx).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let config = &state.config();
    let mut counts = venue_counts(config, &facets.venues);
    // An editor of some calendars sees the venues of their events only.
    let everything = ctx.reach() == Reach::All;
    if !everything {
        counts.retain(|c| c.events > 0);
    }
    let targets: Vec<&model::Venue> = config
        .venues
        .iter()
        .filter(|g| everything || counts.iter().any(|c| c.venue.id == g.id))
        .collect();
    let (name_l, where_l, coords_l, events_l, kind_l) = (
        ctx.t("console-field-venue"),
        ctx.t("console-venue-address"),
        ctx.t("console-venue-coordinates"),
        ctx.t("console-col-events"),
        ctx.t("console-venue-kind"),
    );
    let actions_l = ctx.t("console-venue-actions");
    let mut b = format!(
        "<p class=\"hint\">{}</p>\n<table><thead><tr><th scope=\"col\">{name_l}</th><th scope=\"col\">{where_l}</th>\
<th scope=\"col\">{coords_l}</th><th scope=\"col\">{kind_l}</th><th scope=\"col\">{events_l}</th>\
<th scope=\"col\">{actions_l}</th></tr></thead><tbody>\n",
        ctx.t("console-venues-help")
    );
    for c in &counts {
        let v = &c.venue;
        let known = config.venues.iter().any(|g| g.id == v.id);
        let address = [v.address.as_deref(), v.city.as_deref()]
            .into_iter()
            .flatten()
            .map(esc)
            .collect::<Vec<_>>()
            .join(", ");
        let coords = match (v.lat, v.lon) {
            (Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
            _ => "—".into(),
        };
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{name}<br><span class=\"muted\"><code>{id}</code></span></th>\
<td data-label=\"{where_l}\">{address}</td><td data-label=\"{coords_l}\">{coords}</td>\
<td data-label=\"{kind_l}\">{kind}</td><td data-label=\"{events_l}\"><a href=\"{href}\">{events}</a></td>\
<td data-label=\"{actions_l}\">{actions}</td></tr>",
            name = esc(&v.name),
            id = esc(&v.id),
            kind = if known {
                ctx.t("console-venue-gazetteer")
            } else {
                ctx.t("console-venue-seen")
            },
            href = esc(&ctx.href(&format!("/admin/events?venue={}", encode(&v.id)))),
            events = c.events,
            actions = venue_actions(&ctx, &targets, v, known),
        );
    }
    b.push_str("</tbody></table>\n");
    render(
        &ctx,
        &query,
        Section::Venues,
        "console-venues-title",
        "/admin/venues",
        &b,
    )
}

/// `GET /admin/categories`.
pub async fn categories(Screen { ctx, query, .. }: Screen) -> Response {
    let state = ctx.state.clone();
    let (facets, sources) = match read(&ctx).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let config = &state.config();
    let lang = ctx.lang.as_str();
    let counts = category_counts(config, &facets.categories);
    let (cat_l, slug_l, events_l) = (
        ctx.t("console-category"),
        ctx.t("console-category-slug"),
        ctx.t("console-col-events"),
    );
    let mut b = format!(
        "<section aria-labelledby=\"taxonomy\"><h2 id=\"taxonomy\">{}</h2>\n<table><thead><tr><th scope=\"col\">{cat_l}</th>\
<th scope=\"col\">{slug_l}</th><th scope=\"col\">{events_l}</th></tr></thead><tbody>\n",
        ctx.t("console-taxonomy")
    );
    for c in &counts {
        let names: Vec<String> = config
            .languages
            .iter()
            .filter_map(|l| {
                c.name
                    .get(l)
                    .map(|n| format!("<span lang=\"{}\">{}</span>", esc(l), esc(n)))
            })
            .collect();
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{names}</th><td data-label=\"{slug_l}\"><code>{slug}</code></td>\
<td data-label=\"{events_l}\"><a href=\"{href}\">{events}</a></td></tr>",
            names = names.join(" / "),
            slug = esc(&c.slug),
            href = esc(&ctx.href(&format!("/admin/events?category={}", encode(&c.slug)))),
            events = c.events,
        );
    }
    b.push_str("</tbody></table></section>\n");
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"unmapped\"><h2 id=\"unmapped\">{}</h2>\n<p class=\"hint\">{}</p>",
        ctx.t("console-unmapped-title"),
        ctx.t("console-unmapped-help")
    );
    let mut words: Vec<(&str, &str, &str, usize)> = Vec::new();
    for s in &sources {
        for (word, n) in &s.unmapped_categories {
            words.push((word.as_str(), s.id.as_str(), s.name.as_str(), *n));
        }
    }
    words.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(b.0)));
    if words.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", ctx.t("console-unmapped-none"));
    } else {
        let (word_l, source_l, records_l, map_l) = (
            ctx.t("console-word"),
            ctx.t("console-source"),
            ctx.t("console-col-records"),
            ctx.t("console-map-to"),
        );
        let _ = writeln!(
            b,
            "<table><thead><tr><th scope=\"col\">{word_l}</th><th scope=\"col\">{source_l}</th><th scope=\"col\">{records_l}</th>{map}</tr></thead><tbody>",
            map = if ctx.is_admin() {
                format!("<th scope=\"col\">{map_l}</th>")
            } else {
                String::new()
            }
        );
        for (i, (word, source_id, source_name, n)) in words.iter().enumerate() {
            let form = if ctx.is_admin() {
                let options: String = config
                    .categories
                    .iter()
                    .map(|c| {
                        format!(
                            "<option value=\"{}\">{}</option>",
                            esc(&c.slug),
                            esc(&config.category_name(&c.slug, Some(lang)))
                        )
                    })
                    .collect();
                format!(
                    "<td data-label=\"{map_l}\"><form class=\"inline\" method=\"post\" action=\"/admin/categories/map\">{hidden}\
<input type=\"hidden\" name=\"word\" value=\"{word}\"><label class=\"sr\" for=\"map-{i}\">{label}</label>\
<select id=\"map-{i}\" name=\"slug\" required><option value=\"\">{choose}</option>{options}</select> \
<button type=\"submit\">{go}</button></form></td>",
                    hidden = ctx.hidden(),
                    word = esc(word),
                    label = tr_args(lang, "console-map-label", &[("word", word.to_string().into())]),
                    choose = ctx.t("console-choose"),
                    go = ctx.t("console-map"),
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                b,
                "<tr><th scope=\"row\">{word}</th><td data-label=\"{source_l}\">{source} <span class=\"muted\">({source_id})</span></td>\
<td data-label=\"{records_l}\">{n}</td>{form}</tr>",
                word = esc(word),
                source = esc(source_name),
                source_id = esc(source_id),
            );
        }
        b.push_str("</tbody></table>\n");
    }
    b.push_str("</section>\n");
    render(
        &ctx,
        &query,
        Section::Categories,
        "console-categories-title",
        "/admin/categories",
        &b,
    )
}

/// `POST /admin/categories/map` (`word`, `slug`), admin.
pub async fn map(AdminForm(Form { ctx, fields }): AdminForm) -> Response {
    let back = "/admin/categories";
    let (Some(word), Some(slug)) = (fields.get("word"), fields.get("slug")) else {
        let text = tr_args(
            &ctx.lang,
            "console-error-invalid",
            &[
                (
                    "field",
                    crate::i18n::tr(&ctx.lang, "console-category").into(),
                ),
                (
                    "message",
                    crate::i18n::tr(&ctx.lang, "console-invalid-required").into(),
                ),
            ],
        );
        return ctx.error(StatusCode::BAD_REQUEST, "console-error-title", &text, back);
    };
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match admin.map_category(&ctx.staff.who, word, slug).await {
        Ok(()) => ctx.done(back, "mapped"),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            ctx.error(status, "console-error-title", &text, back)
        }
    }
}

/// A venue's forms: edit it (or, for a venue seen in the sources, add it
/// to the gazetteer), and merge it into a venue of the gazetteer, its name
/// then learned as an alias.
fn venue_actions(ctx: &Ctx, targets: &[&model::Venue], v: &model::Venue, known: bool) -> String {
    let id = esc(&v.id);
    let slot = encode(&v.id);
    let number = |x: Option<f64>| x.map(|x| format!("{x}")).unwrap_or_default();
    let field = |name: &str, label_id: &str, value: &str, kind: &str| {
        format!(
            "<p><label for=\"{name}-{slot}\">{label}</label>\
<input id=\"{name}-{slot}\" name=\"{name}\" type=\"{kind}\" value=\"{value}\"{extra}></p>",
            label = ctx.t(label_id),
            value = esc(value),
            extra = if kind == "number" {
                " step=\"any\""
            } else {
                ""
            },
        )
    };
    let mut out = format!(
        "<details><summary>{summary}</summary><form method=\"post\" action=\"/admin/venues/{slot}/edit\">{hidden}{name}{address}{city}{lat}{lon}\
<p><button type=\"submit\">{save}</button></p></form></details>",
        summary = if known { ctx.t("console-venue-edit") } else { ctx.t("console-venue-add") },
        hidden = ctx.hidden(),
        name = field("name", "console-field-venue", &v.name, "text"),
        address = field("address", "console-venue-address", v.address.as_deref().unwrap_or(""), "text"),
        city = field("city", "console-venue-city", v.city.as_deref().unwrap_or(""), "text"),
        lat = field("lat", "console-venue-lat", &number(v.lat), "number"),
        lon = field("lon", "console-venue-lon", &number(v.lon), "number"),
        save = ctx.t("console-venue-save"),
    );
    let targets: String = targets
        .iter()
        .filter(|g| g.id != v.id)
        .map(|g| format!("<option value=\"{}\">{}</option>", esc(&g.id), esc(&g.name)))
        .collect();
    if !targets.is_empty() {
        let _ = write!(
            out,
            "<form class=\"inline\" method=\"post\" action=\"/admin/venues/merge\">{hidden}\
<input type=\"hidden\" name=\"from\" value=\"{id}\"><label for=\"into-{slot}\">{label}</label> \
<select id=\"into-{slot}\" name=\"into\" required><option value=\"\">{choose}</option>{targets}</select> \
<button type=\"submit\">{go}</button></form>",
            hidden = ctx.hidden(),
            label = ctx.t("console-venue-merge-into"),
            choose = ctx.t("console-choose"),
            go = ctx.t("console-venue-merge"),
        );
    }
    out
}

/// `POST /admin/venues/{id}/edit`: the gazetteer's venue `id` takes the
/// form's values (a venue seen in the sources joins the gazetteer); its
/// other names (learned by merges) stay.
pub async fn edit_venue(Path(id): Path<String>, Form { ctx, fields }: Form) -> Response {
    let back = "/admin/venues";
    if let Err(r) = ctx.may(Act::Venues(vec![id.clone()]), back).await {
        return r;
    }
    let mut changes = serde_json::Map::new();
    for key in ["name", "address", "city"] {
        let value = fields
            .get(key)
            .map(|v| serde_json::Value::String(v.to_string()));
        changes.insert(key.to_string(), value.unwrap_or(serde_json::Value::Null));
    }
    for key in ["lat", "lon"] {
        let value = match fields.get(key) {
            None => serde_json::Value::Null,
            Some(text) => match text.replace(',', ".").parse::<f64>() {
                Ok(x) if x.is_finite() => serde_json::json!(x),
                _ => {
                    let text = tr_args(
                        &ctx.lang,
                        "console-error-invalid",
                        &[
                            (
                                "field",
                                crate::i18n::tr(&ctx.lang, &format!("console-venue-{key}")).into(),
                            ),
                            (
                                "message",
                                crate::i18n::tr(&ctx.lang, "console-invalid-number").into(),
                            ),
                        ],
                    );
                    return ctx.error(StatusCode::BAD_REQUEST, "console-error-title", &text, back);
                }
            },
        };
        changes.insert(key.to_string(), value);
    }
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match admin.update_venue(&ctx.staff.who, &id, changes).await {
        Ok(()) => ctx.done(back, "venue-saved"),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            ctx.error(status, "console-error-title", &text, back)
        }
    }
}

/// `POST /admin/venues/merge` (`from`, `into`): `from`'s name becomes an
/// alias of the gazetteer's venue `into`.
pub async fn merge_venue(Form { ctx, fields }: Form) -> Response {
    let back = "/admin/venues";
    let (Some(from), Some(into)) = (fields.get("from"), fields.get("into")) else {
        let text = tr_args(
            &ctx.lang,
            "console-error-invalid",
            &[
                (
                    "field",
                    crate::i18n::tr(&ctx.lang, "console-venue-merge-into").into(),
                ),
                (
                    "message",
                    crate::i18n::tr(&ctx.lang, "console-invalid-required").into(),
                ),
            ],
        );
        return ctx.error(StatusCode::BAD_REQUEST, "console-error-title", &text, back);
    };
    if let Err(r) = ctx
        .may(Act::Venues(vec![from.to_string(), into.to_string()]), back)
        .await
    {
        return r;
    }
    let state = ctx.state.clone();
    let lookup = from.to_string();
    let seen = ctx
        .read("console venue merge", move |_| {
            crate::admin::curation::venue_by_id(&state, &lookup).map_err(|e| match e {
                index::CurationError::Index(e) => e,
                other => index::IndexError::Corrupt(other.to_string()),
            })
        })
        .await;
    let venue = match seen {
        Ok(Some(v)) => v,
        Ok(None) => {
            let text = crate::i18n::tr(&ctx.lang, "console-venue-unknown");
            return ctx.error(StatusCode::NOT_FOUND, "console-error-title", &text, back);
        }
        Err(r) => return r,
    };
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let from = vec![crate::admin::sources::VenueRef {
        id: venue.id,
        name: venue.name,
    }];
    match admin.merge_venues(&ctx.staff.who, into, from).await {
        Ok(()) => ctx.done(back, "venue-merged"),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            ctx.error(status, "console-error-title", &text, back)
        }
    }
}
