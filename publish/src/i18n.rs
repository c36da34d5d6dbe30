//! The one localization layer: every string a person reads on a page we
//! render (the portal, `/sources`, error pages, the staff console, the
//! sentences that explain a source's error) comes from Mozilla Fluent
//! files, `publish/locales/{fr,en}/*.ftl`, embedded at build time.
//!
//! French is the reference language and the fallback: a message missing in
//! English is shown in French rather than as its id. The test below keeps
//! both languages holding the same messages, so that can only happen while
//! a translation is being written.
//!
//! ```text
//! i18n::tr("fr", "portal-search")                                  // « Rechercher »
//! i18n::tr_args("en", "sources-events", &[("count", 3.into())])   // "3 events"
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

pub use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "fr",
        // No Unicode isolation marks around arguments: our pages are
        // left-to-right, and the marks would end up in attributes and
        // plain-text answers.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages we have messages for, French first.
pub const LANGUAGES: &[&str] = &["fr", "en"];

fn language(lang: &str) -> &'static LanguageIdentifier {
    static IDS: OnceLock<Vec<(String, LanguageIdentifier)>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        LANGUAGES
            .iter()
            .filter_map(|l| l.parse().ok().map(|id| (l.to_string(), id)))
            .collect()
    });
    // An unknown language reads French, the reference.
    ids.iter()
        .find(|(code, _)| code == lang)
        .or_else(|| ids.first())
        .map(|(_, id)| id)
        .unwrap_or_else(|| LOCALES.fallback())
}

/// The message `id` in `lang` (French when `lang` has none).
pub fn tr(lang: &str, id: &str) -> String {
    LOCALES.lookup(language(lang), id)
}

/// The message `id` in `lang` with its arguments (`{ $name }` in Fluent).
pub fn tr_args(lang: &str, id: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
        .collect();
    LOCALES.lookup_with_args(language(lang), id, &map)
}

/// Whether `id` is a message (in French, the reference).
pub fn has(id: &str) -> bool {
    LOCALES
        .try_lookup(language("fr"), id)
        .is_some_and(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The messages an `.ftl` file defines (terms and attributes aside),
    /// each with the names of the variables it uses.
    fn ids(text: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let starts_message = !line.starts_with(' ') && !line.starts_with('#');
            if starts_message {
                current = line.split_once('=').and_then(|(id, _)| {
                    let id = id.trim_end();
                    let ok = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                        && id
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    ok.then(|| id.to_string())
                });
            }
            if let Some(id) = &current {
                let vars = out.entry(id.clone()).or_default();
                for part in line.split('$').skip(1) {
                    let name: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .collect();
                    if !name.is_empty() {
                        vars.insert(name);
                    }
                }
            }
        }
        out
    }

    fn files(lang: &str) -> Vec<(String, BTreeMap<String, BTreeSet<String>>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut out: Vec<(String, BTreeMap<String, BTreeSet<String>>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, ids(&std::fs::read_to_string(&p).unwrap()))
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn french_and_english_hold_the_same_messages() {
        let fr = files("fr");
        let en = files("en");
        assert!(!fr.is_empty());
        let names = |v: &[(String, BTreeMap<String, BTreeSet<String>>)]| -> Vec<String> {
            v.iter().map(|(n, _)| n.clone()).collect()
        };
        assert_eq!(names(&fr), names(&en), "the same .ftl files in fr and en");
        for ((file, f), (_, e)) in fr.iter().zip(&en) {
            let only_fr: Vec<_> = f.keys().filter(|k| !e.contains_key(*k)).collect();
            let only_en: Vec<_> = e.keys().filter(|k| !f.contains_key(*k)).collect();
            assert!(
                only_fr.is_empty() && only_en.is_empty(),
                "{file}: only in fr {only_fr:?}, only in en {only_en:?}"
            );
        }
    }

    #[test]
    fn every_message_resolves_in_both_languages() {
        // Every variable a message uses in either language is given.
        let mut vars: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for lang in LANGUAGES {
            for (_, ids) in files(lang) {
                for (id, v) in ids {
                    vars.entry(id).or_default().extend(v);
                }
            }
        }
        for (file, ids) in files("fr") {
            for id in ids.keys() {
                let names: Vec<&'static str> = vars[id]
                    .iter()
                    .map(|n| &*Box::leak(n.clone().into_boxed_str()))
                    .collect();
                let args: Vec<(&'static str, FluentValue<'_>)> =
                    names.iter().map(|n| (*n, FluentValue::from(2))).collect();
                for lang in LANGUAGES {
                    let text = tr_args(lang, id, &args);
                    assert!(
                        !text.is_empty() && text != *id && !text.contains("Unknown localization"),
                        "{file}: {id} in {lang} gives {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn french_first_and_arguments() {
        assert_eq!(tr("fr", "language-name"), "Français");
        assert_eq!(tr("en", "language-name"), "English");
        // An unknown language reads French.
        assert_eq!(tr("de", "language-name"), "Français");
        assert_eq!(
            tr_args("fr", "events-count", &[("count", 1.into())]),
            "1 événement"
        );
        assert_eq!(
            tr_args("fr", "events-count", &[("count", 3.into())]),
            "3 événements"
        );
        assert_eq!(
            tr_args("en", "events-count", &[("count", 1.into())]),
            "1 event"
        );
        assert_eq!(
            tr_args("en", "events-count", &[("count", 0.into())]),
            "0 events"
        );
        assert!(has("language-name"));
        assert!(!has("no-such-message"));
    }
}
