//! Categories: the source's words mapped onto the configured taxonomy.
//!
//! Each of a record's categories (a string may hold several, separated by
//! commas or semicolons) is folded with [`fold_for_match`] and compared with
//! each `[[category]]`'s `matches`, `slug` and names: equal as a whole
//! phrase, or containing one of them as a whole-word phrase ("Concert
//! classique" contains "concert"). Mapped slugs and the source's own
//! categories are deduplicated and sorted; words that mapped to nothing are
//! kept aside as `unmapped`.

use std::collections::BTreeSet;

use crate::config::CategoryConfig;
use crate::text::fold_for_match;

/// The taxonomy, folded once.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    /// (slug, folded phrases that map to it).
    entries: Vec<(String, Vec<String>)>,
}

/// What a record's categories became.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// Slugs, sorted and unique.
    pub slugs: Vec<String>,
    /// The source's words that matched no category, as written (trimmed).
    pub unmapped: Vec<String>,
}

impl Taxonomy {
    pub fn new(categories: &[CategoryConfig]) -> Taxonomy {
        let entries = categories
            .iter()
            .map(|c| {
                let mut phrases: Vec<String> = c
                    .matches
                    .iter()
                    .chain(std::iter::once(&c.slug))
                    .chain(c.name.values())
                    .map(|p| fold_for_match(p))
                    .filter(|p| !p.is_empty())
                    .collect();
                phrases.sort();
                phrases.dedup();
                (c.slug.clone(), phrases)
            })
            .collect();
        Taxonomy { entries }
    }

    /// The slugs one folded word maps to.
    fn slugs_for(&self, folded: &str) -> Vec<&str> {
        let padded = format!(" {folded} ");
        self.entries
            .iter()
            .filter(|(_, phrases)| {
                phrases
                    .iter()
                    .any(|p| p == folded || padded.contains(&format!(" {p} ")))
            })
            .map(|(slug, _)| slug.as_str())
            .collect()
    }

    /// Map a record's categories, adding the source's own slugs.
    pub fn map(&self, words: &[String], source_slugs: &[String]) -> Mapped {
        let mut slugs: BTreeSet<String> = source_slugs
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut unmapped: Vec<String> = Vec::new();
        let mut seen_unmapped: BTreeSet<String> = BTreeSet::new();
        for word in words.iter().flat_map(|w| w.split([',', ';'])) {
            let word = crate::text::clean_title(word);
            let folded = fold_for_match(&word);
            if folded.is_empty() {
                continue;
            }
            let found = self.slugs_for(&folded);
            if found.is_empty() {
                if seen_unmapped.insert(folded) {
                    unmapped.push(word);
                }
            } else {
                slugs.extend(found.into_iter().map(str::to_string));
            }
        }
        Mapped {
            slugs: slugs.into_iter().collect(),
            unmapped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cat(slug: &str, fr: &str, en: &str, matches: &[&str]) -> CategoryConfig {
        CategoryConfig {
            slug: slug.into(),
            name: BTreeMap::from([("fr".into(), fr.into()), ("en".into(), en.into())]),
            matches: matches.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn taxonomy() -> Taxonomy {
        Taxonomy::new(&[
            cat(
                "musique",
                "Musique",
                "Music",
                &["concert", "spectacle musical", "chanson"],
            ),
            cat("theatre", "Théâtre", "Theatre", &["théâtre", "pièce"]),
            cat(
                "arts-visuels",
                "Arts visuels",
                "Visual arts",
                &["exposition"],
            ),
        ])
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accents_case_and_names_match() {
        let m = taxonomy().map(&words(&["Théâtre", "MUSIC"]), &[]);
        assert_eq!(m.slugs, vec!["musique", "theatre"]);
        assert!(m.unmapped.is_empty());
        let m = taxonomy().map(&words(&["theatre"]), &[]);
        assert_eq!(m.slugs, vec!["theatre"]);
    }

    #[test]
    fn phrases_contained_as_whole_words_match() {
        let m = taxonomy().map(
            &words(&["Concert classique", "Spectacle musical jeunesse"]),
            &[],
        );
        assert_eq!(m.slugs, vec!["musique"]);
        // "concerto" does not contain the word "concert".
        let m = taxonomy().map(&words(&["Concerto"]), &[]);
        assert!(m.slugs.is_empty());
        assert_eq!(m.unmapped, vec!["Concerto"]);
    }

    #[test]
    fn comma_separated_slugs_and_source_categories() {
        let m = taxonomy().map(
            &words(&["Exposition, Danse ; danse", "arts visuels"]),
            &["famille".to_string(), "musique".to_string()],
        );
        assert_eq!(m.slugs, vec!["arts-visuels", "famille", "musique"]);
        assert_eq!(m.unmapped, vec!["Danse"]);
    }

    #[test]
    fn empty_words_are_ignored() {
        let m = taxonomy().map(&words(&["", " , ;", "&nbsp;"]), &[]);
        assert_eq!(m, Mapped::default());
    }
}
