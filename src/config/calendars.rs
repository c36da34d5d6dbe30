//! `[[territory]]` and `[[calendar]]`: parsed with every problem at its
//! position like the rest of the file, then the calendars' scopes
//! (a network flattened into the parts of [`index::Scope`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use normalize::territory::{Territories, TerritoryConfig};
use toml_edit::TableLike;

use super::{is_language, is_slug, Config, Cx, Span};

/// The keys of a `[[territory]]`.
pub const TERRITORY_KEYS: &[&str] = &["id", "name", "geojson", "municipalities"];
/// The keys of a `[[calendar]]`.
pub const CALENDAR_KEYS: &[&str] = &[
    "id",
    "name",
    "sources",
    "territories",
    "calendars",
    "categories",
    "languages",
    "hosts",
    "accent",
    "logo",
    "intro",
];

/// The logo files a calendar may show.
const LOGO_EXTENSIONS: &[&str] = &["svg", "png", "jpg", "jpeg", "webp"];

/// One `[[calendar]]`, known good.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarConfig {
    pub id: String,
    pub name: String,
    /// Member sources.
    pub sources: Vec<String>,
    /// Every event that takes place in these.
    pub territories: Vec<String>,
    /// Every event of these calendars (a network).
    pub calendars: Vec<String>,
    /// Only these categories; empty: all.
    pub categories: Vec<String>,
    /// Empty: the aggregator's.
    pub languages: Vec<String>,
    /// Lowercase host names served at their root.
    pub hosts: Vec<String>,
    pub accent: Option<String>,
    /// Resolved against the configuration's folder.
    pub logo: Option<PathBuf>,
    pub intro: BTreeMap<String, String>,
}

/// What `[[territory]]` and `[[calendar]]` give the configuration.
pub(super) struct Network {
    pub territories_config: Vec<TerritoryConfig>,
    pub territories: Arc<Territories>,
    pub calendars: Vec<CalendarConfig>,
}

impl Cx<'_> {
    /// Every `[[territory]]` and `[[calendar]]` of `root`; the GeoJSON
    /// files are read here, their problems reported at their `geojson`.
    pub(super) fn network(
        &mut self,
        root: &toml_edit::Table,
        base_dir: &Path,
        source_ids: &HashSet<String>,
        category_slugs: &HashSet<String>,
    ) -> Network {
        let mut territories_config = Vec::new();
        let mut geojson_spans = Vec::new();
        let mut seen = HashSet::new();
        for (t, span) in self.tables(root, "territory") {
            if let Some((id, sp)) = super::str_of(t, "id") {
                if !seen.insert(id.to_string()) {
                    self.problem(&sp, format!("duplicate territory id {id:?}"));
                }
            }
            if let Some((c, geo_span)) = self.territory(t, &span, base_dir) {
                territories_config.push(c);
                geojson_spans.push(geo_span);
            }
        }
        let territories = match Territories::load(&territories_config) {
            Ok(t) => Arc::new(t),
            Err(problems) => {
                for (i, e) in problems {
                    let span = geojson_spans.get(i).cloned().flatten();
                    self.problem(&span, e.to_string());
                }
                Arc::new(Territories::empty())
            }
        };
        let territory_ids: HashSet<String> =
            territories_config.iter().map(|t| t.id.clone()).collect();

        let tables = self.tables(root, "calendar");
        let calendar_ids: HashSet<String> = tables
            .iter()
            .filter_map(|(t, _)| super::str_of(*t, "id").map(|(id, _)| id.to_string()))
            .collect();
        let mut calendars = Vec::new();
        let mut seen = HashSet::new();
        let mut hosts_seen: BTreeMap<String, String> = BTreeMap::new();
        let mut member_spans = BTreeMap::new();
        for (t, span) in tables {
            if let Some((id, sp)) = super::str_of(t, "id") {
                if !seen.insert(id.to_string()) {
                    self.problem(&sp, format!("duplicate calendar id {id:?}"));
                }
            }
            let known = Known {
                sources: source_ids,
                territories: &territory_ids,
                calendars: &calendar_ids,
                categories: category_slugs,
            };
            if let Some((c, spans)) = self.calendar(t, &span, base_dir, &known) {
                for (host, sp) in c.hosts.iter().zip(&spans.hosts) {
                    if let Some(other) = hosts_seen.insert(host.clone(), c.id.clone()) {
                        self.problem(
                            sp,
                            format!("host {host:?} already serves the calendar {other:?}"),
                        );
                    }
                }
                member_spans.insert(c.id.clone(), spans.calendars_key);
                calendars.push(c);
            }
        }
        self.cycles(&calendars, &member_spans);
        Network {
            territories_config,
            territories,
            calendars,
        }
    }

    fn territory(
        &mut self,
        t: &dyn TableLike,
        span: &Span,
        base_dir: &Path,
    ) -> Option<(TerritoryConfig, Span)> {
        self.unknown_keys(t, TERRITORY_KEYS, "[[territory]]");
        let before = self.problems.len();
        let id = self.slug_id(t, span, "territory");
        let name = self.names(t, span, "territory");
        let geojson = self.required(t, "geojson", span, "this [[territory]]");
        let municipalities = self
            .strings(t, "municipalities")
            .into_iter()
            .filter_map(|(m, sp)| {
                if m.trim().is_empty() {
                    self.problem(&sp, "a municipality name cannot be empty");
                    None
                } else {
                    Some(m)
                }
            })
            .collect();
        if self.problems.len() != before {
            return None;
        }
        let (file, geo_span) = geojson?;
        Some((
            TerritoryConfig {
                id: id?,
                name: name?,
                geojson: base_dir.join(file),
                municipalities,
            },
            geo_span,
        ))
    }

    fn calendar(
        &mut self,
        t: &dyn TableLike,
        span: &Span,
        base_dir: &Path,
        known: &Known<'_>,
    ) -> Option<(CalendarConfig, CalendarSpans)> {
        self.unknown_keys(t, CALENDAR_KEYS, "[[calendar]]");
        let before = self.problems.len();
        let id = self.slug_id(t, span, "calendar");
        let name = self
            .required(t, "name", span, "this [[calendar]]")
            .map(|(n, _)| n);
        let sources = self.references(t, "sources", "source", known.sources, "[[source]]");
        let territories = self.references(
            t,
            "territories",
            "territory",
            known.territories,
            "[[territory]]",
        );
        let calendars =
            self.references(t, "calendars", "calendar", known.calendars, "[[calendar]]");
        if let Some(own) = &id {
            for (c, sp) in self.strings(t, "calendars") {
                if c == *own {
                    self.problem(&sp, format!("the calendar {own:?} cannot list itself"));
                }
            }
        }
        let categories = self.references(
            t,
            "categories",
            "category",
            known.categories,
            "[[category]]",
        );
        let mut languages = Vec::new();
        for (l, sp) in self.strings(t, "languages") {
            if is_language(&l) {
                languages.push(l);
            } else {
                self.problem(&sp, format!("{l:?} is not a language code"));
            }
        }
        if t.get("languages").is_some() && languages.is_empty() && self.problems.len() == before {
            self.problem(
                &t.get("languages").and_then(|i| i.span()),
                "`languages` needs at least one language",
            );
        }
        let mut hosts = Vec::new();
        let mut host_spans = Vec::new();
        for (h, sp) in self.strings(t, "hosts") {
            let host = h.trim().trim_end_matches('.').to_ascii_lowercase();
            if is_host_name(&host) {
                hosts.push(host);
                host_spans.push(sp);
            } else {
                self.problem(
                    &sp,
                    format!("{h:?} is not a host name (e.g. \"agenda.montreal-nord.example\", without scheme, port or path)"),
                );
            }
        }
        let accent = self.string(t, "accent").and_then(|(a, sp)| {
            if publish::calendars::is_colour(&a) {
                Some(a)
            } else {
                self.problem(
                    &sp,
                    format!(
                        "accent {a:?} must be a colour written #rgb or #rrggbb (e.g. \"#0b6e4f\")"
                    ),
                );
                None
            }
        });
        let logo = self.string(t, "logo").and_then(|(l, sp)| {
            let path = base_dir.join(&l);
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if !LOGO_EXTENSIONS.contains(&ext.as_str()) {
                self.problem(
                    &sp,
                    format!(
                        "logo {l:?} must be an image file: {}",
                        super::either(LOGO_EXTENSIONS)
                    ),
                );
                None
            } else if !path.is_file() {
                self.problem(
                    &sp,
                    format!("logo {l:?}: no such file ({})", path.display()),
                );
                None
            } else {
                Some(path)
            }
        });
        let intro = self.by_language(t, "intro");
        let calendars_key = t.get("calendars").and_then(|i| i.span());
        if sources.is_empty() && territories.is_empty() && calendars.is_empty() {
            self.problem(
                span,
                "this [[calendar]] lists nothing: give it `sources`, `territories` or `calendars`",
            );
        }
        if self.problems.len() != before {
            return None;
        }
        Some((
            CalendarConfig {
                id: id?,
                name: name?,
                sources,
                territories,
                calendars,
                categories,
                languages,
                hosts,
                accent,
                logo,
                intro,
            },
            CalendarSpans {
                hosts: host_spans,
                calendars_key,
            },
        ))
    }

    /// A required `id` of `[a-z0-9-]+`.
    fn slug_id(&mut self, t: &dyn TableLike, span: &Span, what: &str) -> Option<String> {
        let (id, sp) = self.required(t, "id", span, &format!("this [[{what}]]"))?;
        if is_slug(&id) {
            Some(id)
        } else {
            self.problem(
                &sp,
                format!("{what} id {id:?} must contain only a-z, 0-9 and '-'"),
            );
            None
        }
    }

    /// A required `name` (of a territory or a category): a string (in
    /// French), or a table of names by language.
    pub(super) fn names(
        &mut self,
        t: &dyn TableLike,
        span: &Span,
        what: &str,
    ) -> Option<BTreeMap<String, String>> {
        match t.get("name") {
            None => {
                self.problem(
                    span,
                    format!("this [[{what}]] has no `name` (e.g. name = {{ fr = \"...\", en = \"...\" }}, or a string in the first language)"),
                );
                None
            }
            Some(item) if item.is_str() => {
                let s = item.as_str().unwrap_or_default().trim().to_string();
                if s.is_empty() {
                    self.problem(&item.span(), "`name` cannot be empty");
                    return None;
                }
                Some(BTreeMap::from([("fr".to_string(), s)]))
            }
            Some(_) => {
                let names = self.by_language(t, "name");
                if names.is_empty() {
                    None
                } else {
                    Some(names)
                }
            }
        }
    }

    /// A table of texts by language code (`{ fr = "...", en = "..." }`).
    fn by_language(&mut self, t: &dyn TableLike, key: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(item) = t.get(key) else {
            return out;
        };
        let Some(table) = item.as_table_like() else {
            self.problem(
                &item.span(),
                format!("`{key}` must be a table of texts by language (e.g. {key} = {{ fr = \"...\", en = \"...\" }})"),
            );
            return out;
        };
        for (lang, v) in table.iter() {
            let sp = v.span().or_else(|| table.key(lang).and_then(|k| k.span()));
            if !is_language(lang) {
                self.problem(&sp, format!("{lang:?} is not a language code"));
            } else if let Some(s) = v.as_str().filter(|s| !s.trim().is_empty()) {
                out.insert(lang.to_string(), s.to_string());
            } else {
                self.problem(
                    &sp,
                    format!("the {lang} `{key}` must be a non-empty string"),
                );
            }
        }
        if table.is_empty() {
            self.problem(&item.span(), format!("`{key}` is empty"));
        }
        out
    }

    /// The ids of `key`, each one of `known` (else a problem naming what
    /// exists).
    fn references(
        &mut self,
        t: &dyn TableLike,
        key: &str,
        what: &str,
        known: &HashSet<String>,
        section: &str,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (id, sp) in self.strings(t, key) {
            if known.contains(&id) {
                if !out.contains(&id) {
                    out.push(id);
                }
            } else {
                let mut names: Vec<&str> = known.iter().map(String::as_str).collect();
                names.sort_unstable();
                let hint = if names.is_empty() {
                    format!("there is no {section}")
                } else {
                    format!("known: {}", names.join(", "))
                };
                self.problem(&sp, format!("unknown {what} {id:?} ({hint})"));
            }
        }
        out
    }

    /// Report each cycle of member calendars once, with its path, at the
    /// `calendars` key of the calendar it is reported from.
    fn cycles(&mut self, calendars: &[CalendarConfig], spans: &BTreeMap<String, Span>) {
        let members: BTreeMap<&str, &[String]> = calendars
            .iter()
            .map(|c| (c.id.as_str(), c.calendars.as_slice()))
            .collect();
        let mut reported: BTreeSet<BTreeSet<String>> = BTreeSet::new();
        for c in calendars {
            let mut path = vec![c.id.clone()];
            if let Some(cycle) = find_cycle(&members, &c.id, &mut path) {
                let set: BTreeSet<String> = cycle.iter().cloned().collect();
                if reported.insert(set) {
                    let span = spans.get(&c.id).cloned().flatten();
                    self.problem(&span, format!("calendar cycle: {}", cycle.join(" -> ")));
                }
            }
        }
    }
}

/// What a calendar may name.
struct Known<'a> {
    sources: &'a HashSet<String>,
    territories: &'a HashSet<String>,
    calendars: &'a HashSet<String>,
    categories: &'a HashSet<String>,
}

/// Where a calendar's hosts and its `calendars` are written.
struct CalendarSpans {
    hosts: Vec<Span>,
    calendars_key: Span,
}

/// A path from `path`'s first calendar back to itself, if there is one
/// through `at` (depth first; `path` ends with `at`).
fn find_cycle(
    members: &BTreeMap<&str, &[String]>,
    at: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in members.get(at).copied().unwrap_or_default() {
        if *next == path[0] {
            let mut cycle = path.clone();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if path.contains(next) {
            // A cycle that does not go through the start: found from its
            // own members.
            continue;
        }
        path.push(next.clone());
        if let Some(cycle) = find_cycle(members, next, path) {
            return Some(cycle);
        }
        path.pop();
    }
    None
}

/// A DNS host name: labels of a-z, 0-9 and '-', not starting or ending
/// with '-', at most 253 characters.
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

impl Config {
    /// The events of calendar `id`: its own part (its members and
    /// territories, in its categories), then each member calendar's parts
    /// narrowed by its categories. `None` when no calendar has that id.
    pub fn scope(&self, id: &str) -> Option<index::Scope> {
        let mut parts = Vec::new();
        self.parts(id, None, &mut Vec::new(), &mut parts)?;
        let mut unique: Vec<index::ScopePart> = Vec::new();
        for p in parts {
            if !unique.contains(&p) {
                unique.push(p);
            }
        }
        Some(index::Scope { parts: unique })
    }

    /// The parts of `id` narrowed by `within` (None: every category).
    fn parts(
        &self,
        id: &str,
        within: Option<&BTreeSet<String>>,
        visiting: &mut Vec<String>,
        out: &mut Vec<index::ScopePart>,
    ) -> Option<()> {
        let c = self.calendars.iter().find(|c| c.id == id)?;
        if visiting.iter().any(|v| v == id) {
            // `check` refuses cycles; never loop on one anyway.
            return Some(());
        }
        visiting.push(id.to_string());
        let own: Option<BTreeSet<String>> =
            (!c.categories.is_empty()).then(|| c.categories.iter().cloned().collect());
        let narrowed: Option<BTreeSet<String>> = match (within, own) {
            (None, None) => None,
            (Some(w), None) => Some(w.clone()),
            (None, Some(o)) => Some(o),
            (Some(w), Some(o)) => Some(w.intersection(&o).cloned().collect()),
        };
        // Restricted to no category at all: nothing of it is in.
        if narrowed.as_ref().is_none_or(|n| !n.is_empty()) {
            if !c.sources.is_empty() || !c.territories.is_empty() {
                out.push(index::ScopePart {
                    sources: c.sources.clone(),
                    territories: c.territories.clone(),
                    categories: narrowed.as_ref().map(|n| n.iter().cloned().collect()),
                });
            }
            for member in &c.calendars {
                self.parts(member, narrowed.as_ref(), visiting, out);
            }
        }
        visiting.pop();
        Some(())
    }

    /// Every source calendar `id` lists, its member calendars' included,
    /// in configuration order (the built-in manual source last).
    pub fn calendar_sources(&self, id: &str) -> Vec<String> {
        let listed: BTreeSet<String> = self
            .scope(id)
            .map(|s| s.parts.into_iter().flat_map(|p| p.sources).collect())
            .unwrap_or_default();
        self.source_infos()
            .into_iter()
            .map(|s| s.id.as_str().to_string())
            .filter(|s| listed.contains(s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::ConfigError;

    const HEAD: &str = r#"[aggregator]
name = "Test"

[[source]]
id = "a"
url = "a.ics"

[[source]]
id = "b"
url = "b.ics"

[[source]]
id = "c"
url = "c.ics"

[[category]]
slug = "musique"
name = "Musique"

[[category]]
slug = "theatre"
name = "Théâtre"

[[category]]
slug = "danse"
name = "Danse"
"#;

    /// A folder with the source files, a square GeoJSON and a logo.
    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.ics", "b.ics", "c.ics"] {
            std::fs::write(dir.path().join(f), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").unwrap();
        }
        std::fs::write(
            dir.path().join("carre.geojson"),
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("logo.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        dir
    }

    fn parse(dir: &Path, tail: &str) -> Result<Config, Vec<String>> {
        let text = format!("{HEAD}\n{tail}");
        match Config::parse(&text, &dir.join("sources.toml")) {
            Ok(c) => Ok(c),
            Err(ConfigError::Invalid { problems, .. }) => {
                Err(problems.iter().map(|p| p.to_string()).collect())
            }
            Err(e) => panic!("{e}"),
        }
    }

    /// The line of `needle` in the whole text (1-based).
    fn line_of(tail: &str, needle: &str) -> usize {
        let text = format!("{HEAD}\n{tail}");
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn every_problem_of_territories_and_calendars_is_reported_where_it_is() {
        let dir = folder();
        std::fs::write(
            dir.path().join("point.geojson"),
            r#"{"type":"Point","coordinates":[0,0]}"#,
        )
        .unwrap();
        let tail = r#"
[[territory]]
id = "carre"
name = { fr = "Carré" }
geojson = "carre.geojson"

[[territory]]
id = "point"
name = "Point"
geojson = "point.geojson"

[[territory]]
id = "Bad Id"
name = "x"
geojson = "absent.geojson"
colour = "red"

[[calendar]]
id = "un"
name = "Un"
sources = ["a", "zz"]
territories = ["nulle-part"]
categories = ["cinema"]
languages = ["fr", "klingon!"]
hosts = ["agenda.un.example", "http://bad/"]
accent = "red; background: url(x)"
logo = "absent.png"
intro = { fr = "Bienvenue", xx_1 = "?" }

[[calendar]]
id = "deux"
name = "Deux"
hosts = ["agenda.deux.example"]
sources = ["b"]

[[calendar]]
id = "trois"
name = "Trois"
hosts = ["AGENDA.Deux.example"]
sources = ["c"]

[[calendar]]
id = "vide"
name = "Vide"

[[calendar]]
id = "deux"
name = "Encore"
calendars = ["deux"]
"#;
        let problems = parse(dir.path(), tail).unwrap_err();
        let joined = problems.join("\n");
        let at = |needle: &str, message: &str| {
            let line = line_of(tail, needle);
            assert!(
                problems
                    .iter()
                    .any(|p| p.starts_with(&format!("{line}:")) && p.contains(message)),
                "no `{message}` at line {line} ({needle}):\n{joined}"
            );
        };
        at(
            "geojson = \"point.geojson\"",
            "point.geojson: invalid GeoJSON: the geometry is a Point, not an area",
        );
        at(
            "id = \"Bad Id\"",
            "territory id \"Bad Id\" must contain only",
        );
        at("colour = \"red\"", "unknown key `colour` in [[territory]]");
        at(
            "sources = [\"a\", \"zz\"]",
            "unknown source \"zz\" (known: a, b, c, saisie)",
        );
        at(
            "territories = [\"nulle-part\"]",
            "unknown territory \"nulle-part\" (known: carre, point)",
        );
        at("categories = [\"cinema\"]", "unknown category \"cinema\"");
        at(
            "languages = [\"fr\", \"klingon!\"]",
            "\"klingon!\" is not a language code",
        );
        at(
            "hosts = [\"agenda.un.example\", \"http://bad/\"]",
            "\"http://bad/\" is not a host name",
        );
        at(
            "accent = \"red; background",
            "must be a colour written #rgb or #rrggbb",
        );
        at("logo = \"absent.png\"", "no such file");
        at("intro = { fr", "\"xx_1\" is not a language code");
        at(
            "hosts = [\"AGENDA.Deux.example\"]",
            "host \"agenda.deux.example\" already serves the calendar \"deux\"",
        );
        // At its table's header.
        let header = line_of(tail, "id = \"vide\"") - 1;
        assert!(
            problems.contains(&format!(
                "{header}:1: this [[calendar]] lists nothing: give it `sources`, `territories` or `calendars`"
            )),
            "{joined}"
        );
        let second = line_of(tail, "name = \"Encore\"") - 1;
        assert!(
            problems.contains(&format!("{second}:6: duplicate calendar id \"deux\"")),
            "{joined}"
        );
        at("calendars = [\"deux\"]", "cannot list itself");
    }

    #[test]
    fn a_cycle_of_calendars_is_reported_once_with_its_path() {
        let dir = folder();
        let tail = r#"
[[calendar]]
id = "nord"
name = "Nord"
sources = ["a"]
calendars = ["est"]

[[calendar]]
id = "est"
name = "Est"
sources = ["b"]
calendars = ["sud"]

[[calendar]]
id = "sud"
name = "Sud"
calendars = ["nord"]
"#;
        let problems = parse(dir.path(), tail).unwrap_err();
        let cycles: Vec<&String> = problems.iter().filter(|p| p.contains("cycle")).collect();
        assert_eq!(cycles.len(), 1, "{problems:?}");
        let line = line_of(tail, "calendars = [\"est\"]");
        assert_eq!(
            cycles[0],
            &format!("{line}:13: calendar cycle: nord -> est -> sud -> nord")
        );
    }

    #[test]
    fn a_network_is_flattened_with_each_member_narrowed_by_the_categories_above_it() {
        let dir = folder();
        let tail = r##"
[[territory]]
id = "carre"
name = "Carré"
geojson = "carre.geojson"
municipalities = ["Sainte-Dorothée"]

[[calendar]]
id = "musique-a"
name = "Musique de A"
sources = ["a"]
categories = ["musique", "danse"]
accent = "#0b6e4f"
logo = "logo.svg"
intro = { fr = "Bonjour", en = "Hello" }

[[calendar]]
id = "quartier"
name = "Le quartier"
territories = ["carre"]
sources = ["b"]

[[calendar]]
id = "region"
name = "La région"
calendars = ["musique-a", "quartier"]
categories = ["musique", "theatre"]

[[calendar]]
id = "tout"
name = "Tout"
sources = ["c"]
calendars = ["region", "quartier"]
"##;
        let config = parse(dir.path(), tail).unwrap_or_else(|p| panic!("{p:?}"));
        let part = |sources: &[&str], territories: &[&str], categories: Option<&[&str]>| {
            index::ScopePart {
                sources: sources.iter().map(|s| s.to_string()).collect(),
                territories: territories.iter().map(|s| s.to_string()).collect(),
                categories: categories.map(|c| c.iter().map(|s| s.to_string()).collect()),
            }
        };
        assert_eq!(
            config.scope("musique-a").unwrap().parts,
            vec![part(&["a"], &[], Some(&["danse", "musique"]))]
        );
        // The network's categories narrow each member: music only (dance
        // is not the network's, theatre is not the member's).
        assert_eq!(
            config.scope("region").unwrap().parts,
            vec![
                part(&["a"], &[], Some(&["musique"])),
                part(&["b"], &["carre"], Some(&["musique", "theatre"])),
            ]
        );
        // Three levels; `quartier` reached twice, narrowed and not: both
        // parts kept once each.
        assert_eq!(
            config.scope("tout").unwrap().parts,
            vec![
                part(&["c"], &[], None),
                part(&["a"], &[], Some(&["musique"])),
                part(&["b"], &["carre"], Some(&["musique", "theatre"])),
                part(&["b"], &["carre"], None),
            ]
        );
        assert_eq!(config.calendar_sources("tout"), vec!["a", "b", "c"]);
        assert_eq!(config.calendar_sources("region"), vec!["a", "b"]);
        assert!(config.scope("absent").is_none());
        let c = &config.calendars[0];
        assert_eq!(c.accent.as_deref(), Some("#0b6e4f"));
        assert_eq!(
            c.logo.as_deref(),
            Some(dir.path().join("logo.svg").as_path())
        );
        assert_eq!(c.intro.get("en").map(String::as_str), Some("Hello"));
        assert_eq!(c.languages, Vec::<String>::new());
        // Published: the root keeps the aggregator's name, each calendar its own.
        let published = config.publish_config();
        assert_eq!(published.name, "Test");
        assert_eq!(published.network.calendars.len(), 4);
        assert_eq!(published.network.calendars[0].languages, vec!["fr", "en"]);
        assert_eq!(published.network.territories[0].id, "carre");
        assert_eq!(config.territories.ids().collect::<Vec<_>>(), vec!["carre"]);
    }

    #[test]
    fn without_calendars_nothing_changes() {
        let dir = folder();
        let config = parse(dir.path(), "").unwrap_or_else(|p| panic!("{p:?}"));
        assert!(config.calendars.is_empty());
        assert!(config.territories.is_empty());
        let published = config.publish_config();
        assert!(published.network.calendars.is_empty());
        assert!(published.network.current.is_none());
        assert_eq!(published.network.prefix, "");
    }
}
