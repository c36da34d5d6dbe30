//! The word lists the rule reads: stop words, title decoration, genre
//! labels, generic words of event titles, the short English–French glossary
//! of title keys, and the bilingual lexicon of cultural-event terms
//! (`lexicon_fr_en.txt`, read once into hash maps of Snowball stems) that
//! lets a French and an English title agree. Tuning the rule on a new kind
//! of listing usually means editing these.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use crate::text::fold_for_match;

/// Words dropped before comparing titles (French and English).
pub(super) const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les",
    "ou", "par", "pour", "sur", "un", "une", "the", "an", "and", "at", "by", "for", "in", "of",
    "on", "or", "to", "with", "s", "y",
];

/// Status words that decorate a title at its start or end.
pub(super) const STATUS_PHRASES: &[&[&str]] = &[
    &["complet"],
    &["annule"],
    &["annulee"],
    &["reporte"],
    &["reportee"],
    &["nouvelle", "date"],
    &["sold", "out"],
    &["cancelled"],
    &["canceled"],
    &["postponed"],
    &["derniere", "chance"],
    &["last", "chance"],
    &["supplementaire"],
    &["representation", "supplementaire"],
    &["supp"],
    &["extra", "show"],
];

/// Genre labels dropped when a colon follows them at a title's start.
pub(super) const GENRE_LABELS: &[&str] = &[
    "concert",
    "spectacle",
    "theatre",
    "premiere",
    "danse",
    "humour",
    "musique",
    "cinema",
    "film",
    "show",
    "exposition",
    "exhibition",
    "conference",
    "atelier",
    "workshop",
    "jeunesse",
    "famille",
    "family",
];

/// Capitalized words that are not names (for the translation rule).
pub(super) const GENERIC_WORDS: &[&str] = &[
    "concert",
    "concerts",
    "festival",
    "spectacle",
    "show",
    "theatre",
    "theater",
    "gala",
    "atelier",
    "workshop",
    "exposition",
    "exhibition",
    "soiree",
    "evening",
    "night",
    "nuit",
    "heure",
    "hour",
    "conte",
    "contes",
    "story",
    "time",
    "film",
    "cinema",
    "danse",
    "dance",
    "musique",
    "music",
    "jazz",
    "blues",
    "rock",
    "classique",
    "classical",
    "orchestre",
    "orchestra",
    "symphonique",
    "symphony",
    "choeur",
    "choir",
    "quatuor",
    "quartet",
    "trio",
    "duo",
    "marche",
    "market",
    "fete",
    "party",
    "conference",
    "lecture",
    "visite",
    "tour",
    "club",
    "rencontre",
    "meeting",
    "premiere",
    "complet",
    "grand",
    "grande",
    "petit",
    "petite",
    "the",
    "les",
    "une",
    "des",
    "pour",
    "avec",
    "and",
    "with",
    "for",
    "from",
    "noel",
    "christmas",
    "new",
    "nouveau",
    "nouvelle",
    "edition",
    "annual",
    "annuel",
    "annuelle",
    "public",
    "famille",
    "family",
    "enfants",
    "kids",
    "jeunesse",
    "youth",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

pub(super) fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.contains(&w)
}

/// Common English words of event titles and their French equivalents
/// (folded), so that a French and an English title can agree in words.
pub(super) const GLOSSARY: &[(&str, &[&str])] = &[
    ("christmas", &["noel"]),
    ("circus", &["cirque"]),
    ("youth", &["jeunes"]),
    ("spring", &["printemps"]),
    ("summer", &["ete"]),
    ("winter", &["hiver"]),
    ("autumn", &["automne"]),
    ("fall", &["automne"]),
    ("opening", &["ouverture"]),
    ("closing", &["cloture"]),
    ("night", &["soiree"]),
    ("evening", &["soiree"]),
    ("movie", &["film"]),
    ("cinema", &["film"]),
    ("outdoor", &["plein", "air"]),
    ("outdoors", &["plein", "air"]),
    ("story", &["conte"]),
    ("stories", &["contes"]),
    ("storytelling", &["conte"]),
    ("tales", &["contes"]),
    ("hour", &["heure"]),
    ("talk", &["conference"]),
    ("lecture", &["conference"]),
    ("workshop", &["atelier"]),
    ("exhibition", &["exposition"]),
    ("exhibit", &["exposition"]),
    ("show", &["spectacle"]),
    ("choir", &["choeur"]),
    ("market", &["marche"]),
    ("fireworks", &["feux"]),
    ("dance", &["danse"]),
    ("music", &["musique"]),
    ("theater", &["theatre"]),
    ("book", &["livre"]),
    ("books", &["livres"]),
    ("free", &["gratuit"]),
    ("family", &["famille"]),
    ("kids", &["enfants"]),
    ("children", &["enfants"]),
    ("star", &["etoile"]),
    ("stars", &["etoiles"]),
    ("snow", &["neige"]),
    ("king", &["roi"]),
];

/// The bilingual lexicon's text: `french|english` lines in `[generic]` and
/// `[topic]` sections (see the file's header).
const LEXICON_FR_EN: &str = include_str!("lexicon_fr_en.txt");

/// A record's language, as far as the lexicon cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Fr,
    En,
}

impl Lang {
    pub(super) fn of(code: Option<&str>) -> Option<Lang> {
        let code = code?.to_ascii_lowercase();
        if code.starts_with("fr") {
            Some(Lang::Fr)
        } else if code.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// One line of the lexicon: a concept both languages name.
struct Concept {
    /// The French side, folded (the canonical form of its words).
    french: String,
    /// In the `[topic]` section: what an event is about, not its format.
    topic: bool,
}

/// The lexicon, stemmed: stem phrase → the concepts (line numbers) that
/// phrase names, one map per language.
pub(super) struct Lexicon {
    concepts: Vec<Concept>,
    fr: HashMap<String, Vec<u32>>,
    en: HashMap<String, Vec<u32>>,
    /// The most words in one side of a line.
    longest: usize,
}

fn stemmer(lang: Lang) -> &'static Stemmer {
    static FR: OnceLock<Stemmer> = OnceLock::new();
    static EN: OnceLock<Stemmer> = OnceLock::new();
    match lang {
        Lang::Fr => FR.get_or_init(|| Stemmer::create(Algorithm::French)),
        Lang::En => EN.get_or_init(|| Stemmer::create(Algorithm::English)),
    }
}

/// A folded word's Snowball stem in `lang`.
pub(super) fn stem(word: &str, lang: Lang) -> Cow<'_, str> {
    stemmer(lang).stem(word)
}

/// The content words of a lexicon side or a title run, folded, stop words
/// dropped.
fn content_words(text: &str) -> Vec<String> {
    fold_for_match(text)
        .split_whitespace()
        .filter(|w| !is_stop_word(w))
        .map(str::to_string)
        .collect()
}

fn stem_phrase(words: &[String], lang: Lang) -> String {
    words
        .iter()
        .map(|w| stem(w, lang).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lexicon, parsed on first use.
pub(super) fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| Lexicon::parse(LEXICON_FR_EN))
}

impl Lexicon {
    fn parse(text: &str) -> Lexicon {
        let mut lexicon = Lexicon {
            concepts: Vec::new(),
            fr: HashMap::new(),
            en: HashMap::new(),
            longest: 1,
        };
        let mut topic = false;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') {
                topic = line == "[topic]";
                continue;
            }
            let Some((fr, en)) = line.split_once('|') else {
                continue;
            };
            let (fr, en) = (content_words(fr), content_words(en));
            if fr.is_empty() || en.is_empty() {
                continue;
            }
            let Ok(id) = u32::try_from(lexicon.concepts.len()) else {
                break;
            };
            lexicon.longest = lexicon.longest.max(fr.len()).max(en.len());
            for (map, words, lang) in [
                (&mut lexicon.fr, &fr, Lang::Fr),
                (&mut lexicon.en, &en, Lang::En),
            ] {
                let ids = map.entry(stem_phrase(words, lang)).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            lexicon.concepts.push(Concept {
                french: fr.join(" "),
                topic,
            });
        }
        lexicon
    }

    /// The concepts of a stemmed phrase (stems joined by spaces) in `lang`.
    fn phrase(&self, stems: &str, lang: Lang) -> Option<&[u32]> {
        let map = match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        };
        map.get(stems).map(Vec::as_slice)
    }

    /// The concepts each of `words` (folded content words, in order)
    /// takes part in: its own, and those of every phrase of the lexicon
    /// it belongs to. Words are read in `lang` first, then in the other
    /// language when that finds nothing (titles mix languages); with no
    /// language, in both. Each word is stemmed once per language.
    pub(super) fn concepts_of(&self, words: &[String], lang: Option<Lang>) -> Vec<Vec<u32>> {
        let order: &[Lang] = match lang {
            Some(Lang::Fr) => &[Lang::Fr, Lang::En],
            Some(Lang::En) => &[Lang::En, Lang::Fr],
            None => &[Lang::Fr, Lang::En],
        };
        let stems: Vec<(Lang, Vec<String>)> = order
            .iter()
            .map(|&l| (l, words.iter().map(|w| stem(w, l).into_owned()).collect()))
            .collect();
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); words.len()];
        for start in 0..words.len() {
            for len in 1..=self.longest.min(words.len() - start) {
                let mut found: Vec<u32> = Vec::new();
                for (l, stemmed) in &stems {
                    let Some(run) = stemmed.get(start..start + len) else {
                        continue;
                    };
                    if let Some(ids) = self.phrase(&run.join(" "), *l) {
                        found.extend_from_slice(ids);
                        if lang.is_some() {
                            break;
                        }
                    }
                }
                for slot in out.iter_mut().skip(start).take(len) {
                    for id in &found {
                        if !slot.contains(id) {
                            slot.push(*id);
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether a concept says what an event is about (`[topic]`).
    pub(super) fn is_topic(&self, id: u32) -> bool {
        self.concepts.get(id as usize).is_some_and(|c| c.topic)
    }

    /// A word's French form when the lexicon has one word for it (so that
    /// "Hall" and "Salle", "Gallery" and "Galerie" compare equal), else the
    /// word itself.
    pub(super) fn french_form(&self, word: &str) -> String {
        let one = |lang: Lang| {
            self.phrase(&stem(word, lang), lang).and_then(|ids| {
                ids.iter()
                    .filter_map(|id| self.concepts.get(*id as usize))
                    .map(|c| c.french.as_str())
                    .find(|f| !f.contains(' '))
            })
        };
        one(Lang::Fr)
            .map(|_| word)
            .or_else(|| one(Lang::En))
            .unwrap_or(word)
            .to_string()
    }
}
