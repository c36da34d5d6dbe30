//! `lang=xx`: titles and descriptions in the language asked for.

use model::{Event, Translation};

/// Show `event` in `lang` when it has a translation into it: the
/// translation's title and description take the place of the original,
/// which moves into `translations` under its own language, and `language`
/// becomes `lang`. An event already in `lang`, or with no translation into
/// it, is left as it is.
pub fn localize(event: &mut Event, lang: &str) {
    if event.language.as_deref() == Some(lang) {
        return;
    }
    let Some(translation) = event.translations.remove(lang) else {
        return;
    };
    let original = Translation {
        title: std::mem::replace(&mut event.title, translation.title),
        description: std::mem::replace(&mut event.description, translation.description),
    };
    if let Some(original_lang) = event.language.take() {
        event.translations.insert(original_lang, original);
    }
    event.language = Some(lang.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::event;

    #[test]
    fn swaps_with_the_translation() {
        let mut e = event("a", "2026-12-05T20:00:00-05:00");
        e.title = "Les Belles-sœurs".into();
        e.description = Some("Théâtre".into());
        e.language = Some("fr".into());
        e.translations.insert(
            "en".into(),
            Translation {
                title: "The Sisters-in-Law".into(),
                description: None,
            },
        );
        let mut en = e.clone();
        localize(&mut en, "en");
        assert_eq!(en.title, "The Sisters-in-Law");
        assert_eq!(en.description, None);
        assert_eq!(en.language.as_deref(), Some("en"));
        assert_eq!(
            en.translations.get("fr"),
            Some(&Translation {
                title: "Les Belles-sœurs".into(),
                description: Some("Théâtre".into())
            })
        );
        assert!(!en.translations.contains_key("en"));
        // Back again gives the original.
        localize(&mut en, "fr");
        assert_eq!(en, e);
        // Same language or no translation: unchanged.
        let mut same = e.clone();
        localize(&mut same, "fr");
        assert_eq!(same, e);
        let mut none = e.clone();
        localize(&mut none, "es");
        assert_eq!(none, e);
    }
}
