//! Duplicates across sources: which occurrences are the same event.
//!
//! Pure and synchronous. [`cluster`] groups occurrences; the store gives
//! each group one event id and [`crate::merge::merge`] builds its Event.
//!
//! ## Titles
//!
//! [`title_key`] folds a title (case, accents, punctuation), drops its
//! decoration (leading or trailing "COMPLET", "ANNULÉ", "REPORTÉ",
//! "NOUVELLE DATE", "SOLD OUT", "CANCELLED", "POSTPONED", "DERNIÈRE
//! CHANCE", trailing "supplémentaire"; a leading genre label followed by a
//! colon: "Concert :", "Spectacle :", "Théâtre :", "Première :", ...) and
//! stop words, then sorts the words, so that word order does not matter.
//! Two titles are compared word by word, a word matching another when they
//! are equal or share a prefix of at least 5 letters and three quarters of
//! the shorter (plurals, "orchestre"/"orchestra", "symphonique"/
//! "symphony"); from the matched count come a Jaccard index and a
//! containment (matched / words of the shorter title). An edit distance on
//! the keys catches typos.
//!
//! ## The decision ([`same_event`])
//!
//! Never the same event:
//! * two records of the same source;
//! * starts more than 90 minutes apart (timed), or on different local dates
//!   (all-day), which also keeps the same title on different days apart;
//! * different cities, venues more than 1 km apart, or two named venues
//!   that are not the same place (see below), which also keeps the same
//!   story hour in two library branches apart.
//!
//! Places: the same venue id, or coordinates less than 250 m apart, or the
//! same street address (number and street name), or one venue name whose
//! words are all in the other's, is the *same place*. A missing venue, or a
//! venue that is only a city's name, is an *unknown place*.
//!
//! Then, at the same place, the titles must agree: Jaccard ≥ 0.5, or every
//! word of the shorter title (at least two) in the longer, or an edit
//! similarity of the keys ≥ 0.85. At an unknown place they must agree
//! more: Jaccard ≥ 0.75 or edit similarity ≥ 0.9. So two different shows in
//! the same venue at the same time never merge.
//!
//! **Translations.** A French and an English listing of a show usually
//! have titles that do not agree in words. They merge when all of these
//! hold: both records declare a language and the languages differ; same
//! place; starts at most 15 minutes apart (or the same date, both all-day);
//! and they share either a URL (same host and path once a leading
//! language segment such as `/fr/` or `/en/` and a trailing slash are
//! dropped) or a proper noun: a word written with a capital or in capitals,
//! of at least 3 letters, that is not a stop word, a generic word of event
//! titles (concert, festival, orchestre, heure, story...), a day or a month,
//! nor a word of either venue's name or city. Records in the same
//! language never merge through this rule.
//!
//! ## Clustering ([`cluster`])
//!
//! Occurrences are blocked by local start date (in the event's own zone);
//! within a day, and between a day and the early hours of the next,
//! candidates are only pairs that share a title word (by its first five
//! letters) or a venue id, so the work grows with the number of
//! occurrences, never with its square. Accepted pairs are joined best
//! score first with a union-find that refuses to join two groups holding
//! occurrences of the same source: an occurrence joins the group it
//! resembles most.

use std::collections::HashMap;

use chrono::NaiveDate;
use model::Occurrence;

use crate::text::fold_for_match;

/// Timed starts further apart than this are different events.
pub const MAX_START_GAP_SECS: i64 = 90 * 60;
/// The translation rule's tolerance on starts.
pub const TRANSLATION_START_GAP_SECS: i64 = 15 * 60;
/// Coordinates closer than this are the same place.
pub const SAME_PLACE_METRES: f64 = 250.0;
/// Coordinates further apart than this are different places.
pub const OTHER_PLACE_METRES: f64 = 1000.0;

/// Words dropped before comparing titles (French and English).
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les",
    "ou", "par", "pour", "sur", "un", "une", "the", "an", "and", "at", "by", "for", "in", "of",
    "on", "or", "to", "with", "s", "y",
];

/// Status words that decorate a title at its start or end.
const STATUS_PHRASES: &[&[&str]] = &[
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
const GENRE_LABELS: &[&str] = &[
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
const GENERIC_WORDS: &[&str] = &[
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

fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.contains(&w)
}

/// One word of a title, folded, and what surrounds it in the original.
struct Word {
    folded: String,
    /// Written with a capital first letter or in capitals.
    capital: bool,
    /// A colon follows it (spaces aside).
    colon_after: bool,
}

/// Split a title into folded words, keeping capitalization and colons.
fn words(title: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<Word>| {
        if current.is_empty() {
            return;
        }
        let capital = current.chars().next().is_some_and(char::is_uppercase);
        for part in fold_for_match(current).split_whitespace() {
            out.push(Word {
                folded: part.to_string(),
                capital,
                colon_after: false,
            });
        }
        current.clear();
    };
    for c in title.chars() {
        if c.is_alphanumeric() {
            current.push(c);
        } else {
            flush(&mut current, &mut out);
            if c == ':' {
                if let Some(last) = out.last_mut() {
                    last.colon_after = true;
                }
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// How many words at the start of `words` form a status phrase.
fn status_prefix(words: &[Word]) -> Option<usize> {
    STATUS_PHRASES
        .iter()
        .filter(|p| {
            p.len() <= words.len() && p.iter().zip(words).all(|(a, w)| *a == w.folded.as_str())
        })
        .map(|p| p.len())
        .max()
}

/// How many words at the end of `words` form a status phrase.
fn status_suffix(words: &[Word]) -> Option<usize> {
    STATUS_PHRASES
        .iter()
        .filter(|p| {
            p.len() <= words.len()
                && p.iter()
                    .rev()
                    .zip(words.iter().rev())
                    .all(|(a, w)| *a == w.folded.as_str())
        })
        .map(|p| p.len())
        .max()
}

/// The words of a title that carry its meaning: decoration removed.
fn core_words(title: &str) -> Vec<Word> {
    let all = words(title);
    let mut start = 0;
    let mut end = all.len();
    while let Some(rest) = all.get(start..end) {
        if let Some(n) = status_prefix(rest).filter(|n| *n < rest.len()) {
            start += n;
            continue;
        }
        if let Some(first) = rest.first() {
            if first.colon_after && rest.len() > 1 && GENRE_LABELS.contains(&first.folded.as_str())
            {
                start += 1;
                continue;
            }
        }
        if let Some(n) = status_suffix(rest).filter(|n| *n < rest.len()) {
            end -= n;
            continue;
        }
        break;
    }
    let mut kept: Vec<Word> = all
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    if kept.iter().any(|w| !is_stop_word(&w.folded)) {
        kept.retain(|w| !is_stop_word(&w.folded));
    }
    kept
}

/// Common English words of event titles and their French equivalents
/// (folded), so that a French and an English title can agree in words.
const GLOSSARY: &[(&str, &[&str])] = &[
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

/// A folded word's comparison form (see [`GLOSSARY`]).
fn canonical(word: &str) -> Vec<String> {
    match GLOSSARY.iter().find(|(en, _)| *en == word) {
        Some((_, fr)) => fr.iter().map(|w| w.to_string()).collect(),
        None => vec![word.to_string()],
    }
}

/// The comparison words of a title, sorted and without repeats.
fn key_tokens(core: &[Word]) -> Vec<String> {
    let mut tokens: Vec<String> = core.iter().flat_map(|w| canonical(&w.folded)).collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

/// A title's comparison key: folded, decoration and stop words dropped,
/// common English words put in French, words sorted (see the module doc).
pub fn title_key(title: &str) -> String {
    key_tokens(&core_words(title)).join(" ")
}

/// Whether two folded words match: equal, or a long shared prefix.
fn word_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let shorter = la.min(lb);
    if shorter < 5 {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common >= 5 && common * 4 >= shorter * 3
}

/// How alike two titles are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TitleSimilarity {
    /// Matched words / words in either.
    pub jaccard: f64,
    /// Matched words / words of the shorter title.
    pub containment: f64,
    /// Words matched.
    pub matched: usize,
    /// 1 − edit distance / longer key length.
    pub edit: f64,
}

impl TitleSimilarity {
    /// One number for ranking candidate pairs.
    pub fn score(&self) -> f64 {
        self.jaccard.max(self.edit).max(self.containment * 0.9)
    }
}

/// Compare two titles by their keys.
pub fn title_similarity(a: &str, b: &str) -> TitleSimilarity {
    let ka = title_key(a);
    let kb = title_key(b);
    let ta: Vec<&str> = ka.split_whitespace().collect();
    let tb: Vec<&str> = kb.split_whitespace().collect();
    similarity_of(&ka, &kb, &ta, &tb)
}

fn similarity_of(ka: &str, kb: &str, ta: &[&str], tb: &[&str]) -> TitleSimilarity {
    similarity_at_least(ka, kb, ta, tb, 0.0)
}

/// [`similarity_of`], where an edit similarity below `edit_floor` may be
/// reported as 0 (it is then not computed in full: see
/// [`edit_similarity_at_least`]).
fn similarity_at_least(
    ka: &str,
    kb: &str,
    ta: &[&str],
    tb: &[&str],
    edit_floor: f64,
) -> TitleSimilarity {
    let (short, long) = if ta.len() <= tb.len() {
        (ta, tb)
    } else {
        (tb, ta)
    };
    let mut used = vec![false; long.len()];
    let mut matched = 0usize;
    for w in short {
        let hit = long
            .iter()
            .enumerate()
            .find(|(i, l)| !used.get(*i).copied().unwrap_or(true) && word_match(w, l));
        if let Some((i, _)) = hit {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            matched += 1;
        }
    }
    let union = ta.len() + tb.len() - matched;
    let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    TitleSimilarity {
        jaccard: ratio(matched, union),
        containment: ratio(matched, short.len()),
        matched,
        edit: edit_similarity_at_least(ka, kb, edit_floor),
    }
}

/// 1 − Levenshtein distance / length of the longer string (in chars);
/// 0 when either is empty. Strings longer than 200 chars are cut.
pub fn edit_similarity(a: &str, b: &str) -> f64 {
    edit_similarity_at_least(a, b, 0.0)
}

/// [`edit_similarity`] when it is at least `floor`; below that, 0. Only the
/// band of the distance matrix that can stay within the allowed distance is
/// computed, and the computation stops as soon as no path can, so telling
/// two different titles apart costs a few cells per character instead of a
/// full matrix.
pub fn edit_similarity_at_least(a: &str, b: &str, floor: f64) -> f64 {
    let a: Vec<char> = a.chars().take(200).collect();
    let b: Vec<char> = b.chars().take(200).collect();
    let longest = a.len().max(b.len());
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    // Too different in length to reach any threshold used here.
    if a.len().abs_diff(b.len()) * 2 > longest {
        return 0.0;
    }
    // The largest distance that still reaches `floor`.
    let allowed = ((1.0 - floor.clamp(0.0, 1.0)) * longest as f64 + 1e-9).floor() as usize;
    if a.len().abs_diff(b.len()) > allowed {
        return 0.0;
    }
    let over = allowed + 1;
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(over)).collect();
    let mut cur = vec![over; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let row = i + 1;
        let lo = row.saturating_sub(allowed).max(1);
        let hi = (row + allowed).min(b.len());
        for c in cur.iter_mut() {
            *c = over;
        }
        if let Some(c0) = cur.first_mut() {
            *c0 = row.min(over);
        }
        let mut best = cur.first().copied().unwrap_or(over);
        for j in lo..=hi {
            let cb = b.get(j - 1);
            let sub = prev.get(j - 1).copied().unwrap_or(over) + usize::from(Some(ca) != cb);
            let del = prev.get(j).copied().unwrap_or(over) + 1;
            let ins = cur.get(j - 1).copied().unwrap_or(over) + 1;
            let v = sub.min(del).min(ins).min(over);
            if let Some(c) = cur.get_mut(j) {
                *c = v;
            }
            best = best.min(v);
        }
        if best >= over {
            return 0.0;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let distance = prev.get(b.len()).copied().unwrap_or(over);
    if distance > allowed {
        return 0.0;
    }
    1.0 - distance as f64 / longest as f64
}

/// What two places have in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    /// Not the same place: never merge.
    Different,
    /// Nothing known on one side (or a city only).
    Unknown,
    Same,
}

/// Everything [`same_event`] needs, computed once per occurrence.
struct Features<'a> {
    source: &'a str,
    key: String,
    /// Comparison words, sorted.
    tokens: Vec<String>,
    /// The title's folded words in their order (for acronyms and names).
    ordered: Vec<String>,
    /// Capitalized, non-generic words of the title.
    proper: Vec<String>,
    /// Folded words of the venue's name and city.
    place_words: Vec<String>,
    language: Option<&'a str>,
    start: i64,
    date: NaiveDate,
    all_day: bool,
    url: Option<String>,
    venue: Option<VenueFeatures<'a>>,
}

struct VenueFeatures<'a> {
    id: &'a str,
    /// Folded name words, stop words dropped.
    name: Vec<String>,
    city: Option<String>,
    /// The venue's name is its city's.
    city_only: bool,
    geo: Option<(f64, f64)>,
    street: Option<String>,
}

impl<'a> Features<'a> {
    fn new(occ: &'a Occurrence) -> Features<'a> {
        let e = &occ.event;
        let core = core_words(&e.title);
        let tokens = key_tokens(&core);
        let key = tokens.join(" ");
        let venue = e.venue.as_ref().map(venue_features);
        let mut place_words: Vec<String> = venue
            .iter()
            .flat_map(|v| v.name.iter().chain(v.city.iter()))
            .flat_map(|w| w.split_whitespace())
            .map(str::to_string)
            .collect();
        place_words.sort();
        place_words.dedup();
        let mut proper: Vec<String> = core
            .iter()
            .filter(|w| {
                w.capital
                    && w.folded.chars().count() >= 3
                    && !w.folded.chars().all(|c| c.is_ascii_digit())
                    && !is_stop_word(&w.folded)
                    && !GENERIC_WORDS.contains(&w.folded.as_str())
                    && !place_words.contains(&w.folded)
            })
            .map(|w| w.folded.clone())
            .collect();
        proper.sort();
        proper.dedup();
        Features {
            source: occ.source.as_str(),
            key,
            tokens,
            ordered: core.into_iter().map(|w| w.folded).collect(),
            proper,
            place_words,
            language: e.language.as_deref(),
            start: e.start.timestamp(),
            date: e.start.date_naive(),
            all_day: e.all_day,
            url: e.url.as_deref().and_then(url_key),
            venue,
        }
    }
}

fn venue_features(v: &model::Venue) -> VenueFeatures<'_> {
    let name: Vec<String> = fold_for_match(&v.name)
        .split_whitespace()
        .filter(|w| !is_stop_word(w))
        .map(str::to_string)
        .collect();
    let city = v
        .city
        .as_deref()
        .map(fold_for_match)
        .filter(|c| !c.is_empty());
    let city_only = city
        .as_deref()
        .is_some_and(|c| name.join(" ") == c || name.is_empty());
    VenueFeatures {
        id: v.id.as_str(),
        name,
        city,
        city_only,
        geo: v
            .lat
            .zip(v.lon)
            .filter(|(la, lo)| la.is_finite() && lo.is_finite()),
        street: v.address.as_deref().and_then(street_key),
    }
}

/// "1395, boul. de la Concorde Ouest, Laval" → "1395 concorde".
fn street_key(address: &str) -> Option<String> {
    const STREET_WORDS: &[&str] = &[
        "boulevard",
        "boul",
        "bd",
        "blvd",
        "rue",
        "street",
        "st",
        "avenue",
        "av",
        "ave",
        "chemin",
        "ch",
        "place",
        "pl",
        "montee",
        "rang",
        "route",
        "road",
        "rd",
        "de",
        "la",
        "du",
        "des",
        "le",
        "l",
        "d",
        "the",
        "saint",
        "st",
        "sainte",
        "ste",
        "n",
        "e",
        "o",
        "s",
        "w",
        "nord",
        "est",
        "ouest",
        "sud",
        "north",
        "east",
        "west",
        "south",
    ];
    let folded = fold_for_match(address);
    let mut words = folded.split_whitespace();
    let number = words.find(|w| w.chars().all(|c| c.is_ascii_digit()))?;
    let street = words.find(|w| !STREET_WORDS.contains(w) && w.chars().count() >= 3)?;
    Some(format!("{number} {street}"))
}

/// A URL's host and path, without `www.`, a leading language segment, the
/// query, the fragment and a trailing slash; None when the path is empty.
fn url_key(url: &str) -> Option<String> {
    let lower = url.trim().to_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .first()
        .is_some_and(|s| matches!(*s, "fr" | "en" | "fr-ca" | "en-ca" | "fr_ca" | "en_ca"))
    {
        segments.remove(0);
    }
    if segments.is_empty() || host.is_empty() {
        return None;
    }
    Some(format!("{host}/{}", segments.join("/")))
}

/// Great-circle distance in metres.
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

fn place(a: Option<&VenueFeatures<'_>>, b: Option<&VenueFeatures<'_>>) -> Place {
    let (Some(a), Some(b)) = (a, b) else {
        return Place::Unknown;
    };
    if a.id == b.id {
        return Place::Same;
    }
    if let (Some(ca), Some(cb)) = (&a.city, &b.city) {
        if ca != cb {
            return Place::Different;
        }
    }
    if let (Some(ga), Some(gb)) = (a.geo, b.geo) {
        let d = distance_m(ga, gb);
        if d <= SAME_PLACE_METRES {
            return Place::Same;
        }
        if d > OTHER_PLACE_METRES {
            return Place::Different;
        }
    }
    if a.street.is_some() && a.street == b.street {
        return Place::Same;
    }
    if a.city_only || b.city_only {
        return Place::Unknown;
    }
    let contained = |x: &[String], y: &[String]| !x.is_empty() && x.iter().all(|w| y.contains(w));
    if contained(&a.name, &b.name) || contained(&b.name, &a.name) {
        return Place::Same;
    }
    Place::Different
}

/// The time agreement of two occurrences: None when they cannot be the
/// same event, else a score in (0, 1] and the gap in seconds.
fn time_match(a: &Features<'_>, b: &Features<'_>) -> Option<(f64, i64)> {
    match (a.all_day, b.all_day) {
        (true, true) => (a.date == b.date).then_some((1.0, 0)),
        (true, false) | (false, true) => (a.date == b.date).then_some((0.5, i64::MAX)),
        (false, false) => {
            let gap = (a.start - b.start).abs();
            (gap <= MAX_START_GAP_SECS).then(|| {
                let score = if gap == 0 {
                    1.0
                } else if gap <= 15 * 60 {
                    0.9
                } else if gap <= 60 * 60 {
                    0.7
                } else {
                    0.5
                };
                (score, gap)
            })
        }
    }
}

/// The pair's score when they are the same event (see the module doc).
fn score(a: &Features<'_>, b: &Features<'_>) -> Option<f64> {
    if a.source == b.source {
        return None;
    }
    let (time_score, gap) = time_match(a, b)?;
    let place = place(a.venue.as_ref(), b.venue.as_ref());
    if place == Place::Different {
        return None;
    }
    let floor = if place == Place::Same { 0.85 } else { 0.9 };
    let mut sim = compare_titles(a, b, floor);
    let titles_agree = match place {
        Place::Same => {
            sim.jaccard >= 0.5 || (sim.containment >= 1.0 && sim.matched >= 2) || sim.edit >= 0.85
        }
        _ => sim.jaccard >= 0.75 || sim.edit >= 0.9,
    };
    // A timed and an all-day listing agree only on a strong title.
    let titles_agree = titles_agree && (gap != i64::MAX || sim.score() >= 0.75);
    let place_score = if place == Place::Same { 1.0 } else { 0.5 };
    if titles_agree {
        if sim.edit < floor {
            // Agreed on words: the exact edit similarity still ranks the pair.
            sim.edit = edit_similarity(&a.key, &b.key);
        }
        return Some(2.0 * sim.score() + time_score + place_score);
    }
    if translation(a, b, place, gap) {
        return Some(1.0 + time_score + place_score);
    }
    None
}

/// Compare two titles' words, leaving out the words of either venue's name
/// and city ("Fête des neiges au Centre de la nature" / "Fête des neiges de
/// Laval") unless nothing else remains, and reading an acronym of one as
/// the words it abbreviates in the other ("LNI" / "Ligue nationale
/// d'improvisation").
fn compare_titles(a: &Features<'_>, b: &Features<'_>, edit_floor: f64) -> TitleSimilarity {
    let is_place =
        |w: &str| a.place_words.iter().any(|p| p == w) || b.place_words.iter().any(|p| p == w);
    let strip = |tokens: &[String]| -> Vec<String> {
        let kept: Vec<String> = tokens.iter().filter(|t| !is_place(t)).cloned().collect();
        if kept.is_empty() {
            tokens.to_vec()
        } else {
            kept
        }
    };
    let mut ta = strip(&a.tokens);
    let mut tb = strip(&b.tokens);
    expand_acronyms(&mut ta, &b.ordered);
    expand_acronyms(&mut tb, &a.ordered);
    let ra: Vec<&str> = ta.iter().map(String::as_str).collect();
    let rb: Vec<&str> = tb.iter().map(String::as_str).collect();
    similarity_at_least(&a.key, &b.key, &ra, &rb, edit_floor)
}

/// Replace a word of 2 to 5 letters that spells the initials of a run of
/// `other`'s words with those words.
fn expand_acronyms(tokens: &mut Vec<String>, other: &[String]) {
    let mut added: Vec<String> = Vec::new();
    tokens.retain(|t| {
        let n = t.chars().count();
        if !(2..=5).contains(&n) || !t.chars().all(|c| c.is_alphabetic()) {
            return true;
        }
        let letters: Vec<char> = t.chars().collect();
        let found = other
            .windows(n)
            .find(|run| run.iter().zip(&letters).all(|(w, l)| w.starts_with(*l)));
        match found {
            Some(run) if !run.iter().any(|w| w == t) => {
                added.extend(run.iter().cloned());
                false
            }
            _ => true,
        }
    });
    if !added.is_empty() {
        tokens.extend(added);
        tokens.sort();
        tokens.dedup();
    }
}

/// The translation rule (see the module doc).
fn translation(a: &Features<'_>, b: &Features<'_>, place: Place, gap: i64) -> bool {
    let languages_differ = matches!((a.language, b.language), (Some(x), Some(y)) if x != y);
    if !languages_differ || place != Place::Same {
        return false;
    }
    let close = if a.all_day && b.all_day {
        a.date == b.date
    } else {
        gap <= TRANSLATION_START_GAP_SECS
    };
    if !close {
        return false;
    }
    let same_url = a.url.is_some() && a.url == b.url;
    same_url
        || a.proper.iter().any(|p| b.ordered.contains(p))
        || b.proper.iter().any(|p| a.ordered.contains(p))
}

/// Whether two occurrences are the same event (see the module doc).
pub fn same_event(a: &Occurrence, b: &Occurrence) -> bool {
    score(&Features::new(a), &Features::new(b)).is_some()
}

/// A union-find over occurrences that keeps, per group, the sources it
/// holds.
struct Groups {
    parent: Vec<usize>,
    sources: Vec<Vec<u32>>,
}

impl Groups {
    fn new(sources: Vec<u32>) -> Groups {
        Groups {
            parent: (0..sources.len()).collect(),
            sources: sources.into_iter().map(|s| vec![s]).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        let mut root = i;
        while let Some(&p) = self.parent.get(root) {
            if p == root {
                break;
            }
            root = p;
        }
        while let Some(&p) = self.parent.get(i) {
            if p == root {
                break;
            }
            if let Some(slot) = self.parent.get_mut(i) {
                *slot = root;
            }
            i = p;
        }
        root
    }

    /// Join the groups of `a` and `b` unless they share a source.
    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (Some(sa), Some(sb)) = (self.sources.get(ra), self.sources.get(rb)) else {
            return;
        };
        if sa.iter().any(|s| sb.contains(s)) {
            return;
        }
        let (keep, gone) = if sa.len() >= sb.len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let moved = self
            .sources
            .get_mut(gone)
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(s) = self.sources.get_mut(keep) {
            s.extend(moved);
        }
        if let Some(p) = self.parent.get_mut(gone) {
            *p = keep;
        }
    }
}

/// Index keys of a title word: its first five letters.
fn block_key(word: &str) -> &str {
    match word.char_indices().nth(5) {
        Some((i, _)) => word.get(..i).unwrap_or(word),
        None => word,
    }
}

/// Group occurrences that are the same event (see the module doc). Every
/// index of `occs` is in exactly one group; groups are in order of their
/// first member, members in increasing order.
pub fn cluster(occs: &[&Occurrence]) -> Vec<Vec<usize>> {
    let features: Vec<Features<'_>> = occs.iter().map(|o| Features::new(o)).collect();
    let mut source_ids: HashMap<&str, u32> = HashMap::new();
    let sources: Vec<u32> = features
        .iter()
        .map(|f| {
            let next = u32::try_from(source_ids.len()).unwrap_or(u32::MAX);
            *source_ids.entry(f.source).or_insert(next)
        })
        .collect();

    let mut by_day: HashMap<NaiveDate, Vec<usize>> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        by_day.entry(f.date).or_default().push(i);
    }
    let mut days: Vec<NaiveDate> = by_day.keys().copied().collect();
    days.sort_unstable();

    let mut edges: Vec<(f64, usize, usize)> = Vec::new();
    let mut seen: Vec<usize> = vec![usize::MAX; features.len()];
    let mut postings: HashMap<&str, Vec<usize>> = HashMap::new();
    let empty: Vec<usize> = Vec::new();
    for day in &days {
        let today = by_day.get(day).unwrap_or(&empty);
        // The early hours of the next day, for events near midnight.
        let latest = today
            .iter()
            .filter_map(|&i| features.get(i))
            .filter(|f| !f.all_day)
            .map(|f| f.start)
            .max();
        let next: Vec<usize> = match (day.succ_opt().and_then(|d| by_day.get(&d)), latest) {
            (Some(n), Some(latest)) => n
                .iter()
                .copied()
                .filter(|&j| {
                    features
                        .get(j)
                        .is_some_and(|f| !f.all_day && f.start - latest <= MAX_START_GAP_SECS)
                })
                .collect(),
            _ => Vec::new(),
        };
        postings.clear();
        for &i in today.iter().chain(next.iter()) {
            let Some(f) = features.get(i) else { continue };
            for t in &f.tokens {
                postings.entry(block_key(t)).or_default().push(i);
            }
            if let Some(v) = &f.venue {
                postings.entry(v.id).or_default().push(i);
            }
            if let Some(u) = &f.url {
                postings.entry(u.as_str()).or_default().push(i);
            }
        }
        for &i in today {
            let Some(fi) = features.get(i) else { continue };
            let venue_key = fi.venue.as_ref().map(|v| v.id);
            let keys = fi
                .tokens
                .iter()
                .map(|t| block_key(t))
                .chain(venue_key)
                .chain(fi.url.as_deref());
            for key in keys {
                for &j in postings.get(key).unwrap_or(&empty) {
                    let Some(fj) = features.get(j) else { continue };
                    // Each pair once: within the day by index order, across
                    // days from the earlier day.
                    let later_day = fj.date != fi.date;
                    if j == i || (!later_day && j < i) {
                        continue;
                    }
                    if seen.get(j) == Some(&i) {
                        continue;
                    }
                    if let Some(s) = seen.get_mut(j) {
                        *s = i;
                    }
                    if let Some(s) = score(fi, fj) {
                        edges.push((s, i, j));
                    }
                }
            }
        }
    }
    edges.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    let mut groups = Groups::new(sources);
    for (_, i, j) in edges {
        groups.join(i, j);
    }
    let mut by_root: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in 0..features.len() {
        let root = groups.find(i);
        let slot = *by_root.entry(root).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        if let Some(g) = out.get_mut(slot) {
            g.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset, Utc};
    use model::{Event, SourceId, SourceRef, Status, Venue};
    use std::collections::{BTreeMap, BTreeSet};

    fn venue(id: &str, name: &str, city: &str) -> Venue {
        Venue {
            id: id.to_string(),
            name: name.to_string(),
            address: None,
            city: Some(city.to_string()),
            lat: None,
            lon: None,
        }
    }

    fn mda() -> Venue {
        Venue {
            address: Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1".to_string()),
            lat: Some(45.5605),
            lon: Some(-73.7130),
            ..venue("maison-des-arts", "Maison des arts de Laval", "Laval")
        }
    }

    fn occ(source: &str, title: &str, start: &str, venue: Option<Venue>) -> Occurrence {
        let source_id = SourceId::new(source).expect("source id");
        let uid = format!("{source}:{title}:{start}");
        Occurrence {
            source: source_id.clone(),
            record_uid: uid.clone(),
            key: String::new(),
            priority: 0,
            unmapped_categories: Vec::new(),
            event: Event {
                id: model::ids::occurrence_id(&source_id, &uid, ""),
                series_id: None,
                title: title.to_string(),
                description: None,
                description_html: None,
                start: DateTime::parse_from_rfc3339(start).expect("start"),
                end: None,
                all_day: false,
                timezone: "America/Toronto".to_string(),
                status: Status::Scheduled,
                url: None,
                image: None,
                categories: Vec::new(),
                language: Some("fr".to_string()),
                translations: BTreeMap::new(),
                venue,
                sources: vec![SourceRef {
                    source: source.to_string(),
                    uid,
                    url: None,
                }],
                updated_at: Utc::now(),
                sequence: 0,
                organizer: None,
                price: None,
            },
        }
    }

    fn lang(mut o: Occurrence, l: &str) -> Occurrence {
        o.event.language = Some(l.to_string());
        o
    }

    fn url(mut o: Occurrence, u: &str) -> Occurrence {
        o.event.url = Some(u.to_string());
        o
    }

    #[test]
    fn title_key_drops_decoration_case_accents_and_word_order() {
        let k = title_key("Les Belles-sœurs");
        assert_eq!(k, "belles soeurs");
        assert_eq!(title_key("COMPLET – Les Belles-Sœurs"), k);
        assert_eq!(title_key("Les belles-soeurs (COMPLET)"), k);
        assert_eq!(title_key("Théâtre : Les Belles-sœurs"), k);
        assert_eq!(title_key("ANNULÉ - Théâtre : Les Belles-sœurs"), k);
        assert_eq!(title_key("Les Belles-sœurs – supplémentaire"), k);
        assert_eq!(title_key("Sœurs, les belles"), k);
        assert_eq!(title_key("SOLD OUT: Les Belles-sœurs"), k);
        assert_eq!(title_key("Première : Les Belles-sœurs"), k);
        // A genre word without a colon is part of the title.
        assert_eq!(title_key("Concert de Noël"), "concert noel");
        // A title that is only decoration keeps its words.
        assert_eq!(title_key("Complet"), "complet");
        assert_eq!(title_key("Spectacle :"), "spectacle");
        assert_eq!(title_key(""), "");
    }

    #[test]
    fn similarity_matches_plurals_cognates_and_typos() {
        let s = title_similarity("Orchestre symphonique de Laval", "Laval Symphony Orchestra");
        assert_eq!(s.matched, 3);
        assert!((s.jaccard - 1.0).abs() < 1e-9);
        let s = title_similarity("Les Belles-sœurs", "Les Belle-soeurs");
        assert!(s.edit >= 0.85, "{s:?}");
        let s = title_similarity("Le Dîner de cons", "Les Belles-sœurs");
        assert_eq!(s.matched, 0);
        assert!(edit_similarity("abc", "") == 0.0);
    }

    #[test]
    fn must_merge_doors_open_complet_and_venue_named_otherwise() {
        let a = occ(
            "mda",
            "Les Belles-sœurs",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        let doors = occ(
            "conseil",
            "COMPLET – Les Belles-Sœurs",
            "2026-12-05T19:00:00-05:00",
            Some(Venue {
                address: Some("1395 boul. de la Concorde O., Laval".to_string()),
                ..venue("loc-aaaa", "Maison des arts", "Laval")
            }),
        );
        assert!(same_event(&a, &doors));
        let by_geo = occ(
            "tourisme",
            "Belles-sœurs, Les",
            "2026-12-05T20:00:00-05:00",
            Some(Venue {
                lat: Some(45.5607),
                lon: Some(-73.7127),
                ..venue("loc-bbbb", "Salle Alfred-Pellan", "Laval")
            }),
        );
        assert!(same_event(&a, &by_geo));
        // No venue on one side: a strong title is enough.
        let no_place = occ(
            "agenda",
            "Les Belles-sœurs",
            "2026-12-05T20:30:00-05:00",
            None,
        );
        assert!(same_event(&a, &no_place));
    }

    #[test]
    fn never_merge_two_records_of_the_same_source() {
        let a = occ(
            "mda",
            "Les Belles-sœurs",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        let mut b = a.clone();
        b.record_uid = "other".to_string();
        assert!(!same_event(&a, &b));
        let c = occ(
            "autre",
            "Les Belles-sœurs",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        let groups = cluster(&[&a, &b, &c]);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups.iter().all(|g| g.len() <= 2));
    }

    #[test]
    fn never_merge_the_same_title_on_different_days() {
        let a = occ(
            "mda",
            "Les Belles-sœurs",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        let b = occ(
            "autre",
            "Les Belles-sœurs",
            "2026-12-06T20:00:00-05:00",
            Some(mda()),
        );
        assert!(!same_event(&a, &b));
        // Nor a matinee and an evening show the same day.
        let m = occ(
            "autre",
            "Les Belles-sœurs",
            "2026-12-05T14:00:00-05:00",
            Some(mda()),
        );
        assert!(!same_event(&a, &m));
    }

    #[test]
    fn never_merge_the_same_title_in_different_cities() {
        let a = occ(
            "sam",
            "Kevin Parent en spectacle",
            "2027-02-13T20:00:00-05:00",
            Some(venue("salle-andre-mathieu", "Salle André-Mathieu", "Laval")),
        );
        let b = occ(
            "agenda",
            "Kevin Parent en spectacle",
            "2027-02-13T20:00:00-05:00",
            Some(venue(
                "theatre-de-la-ville",
                "Théâtre de la Ville",
                "Longueuil",
            )),
        );
        assert!(!same_event(&a, &b));
    }

    #[test]
    fn never_merge_different_titles_in_the_same_venue_at_the_same_time() {
        let a = occ(
            "mda",
            "Les Belles-sœurs",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        let b = occ(
            "autre",
            "Le Dîner de cons",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        assert!(!same_event(&a, &b));
        // In two languages either, without a shared name or URL.
        let c = lang(
            occ(
                "tourism",
                "Storytelling Evening",
                "2026-12-05T20:00:00-05:00",
                Some(mda()),
            ),
            "en",
        );
        assert!(!same_event(&a, &c));
        // A shared venue word is not a shared name.
        let d = lang(
            occ(
                "tourism",
                "Laval Jazz Night",
                "2026-12-05T20:00:00-05:00",
                Some(mda()),
            ),
            "en",
        );
        let e = occ(
            "autre",
            "Soirée blues à Laval",
            "2026-12-05T20:00:00-05:00",
            Some(mda()),
        );
        assert!(!same_event(&d, &e));
    }

    #[test]
    fn never_merge_the_same_story_hour_in_two_library_branches() {
        let a = occ(
            "biblio",
            "Heure du conte",
            "2027-01-09T10:00:00-05:00",
            Some(venue(
                "bibliotheque-multiculturelle",
                "Bibliothèque Multiculturelle",
                "Laval",
            )),
        );
        let b = occ(
            "conseil",
            "Heure du conte",
            "2027-01-09T10:00:00-05:00",
            Some(venue(
                "bibliotheque-gabrielle-roy",
                "Bibliothèque Gabrielle-Roy",
                "Laval",
            )),
        );
        assert!(!same_event(&a, &b));
    }

    #[test]
    fn a_french_and_an_english_listing_merge_on_a_name_or_a_url() {
        let fr = occ(
            "pda",
            "Les Grands Ballets : Casse-Noisette",
            "2026-12-19T19:30:00-05:00",
            Some(mda()),
        );
        let en = lang(
            occ(
                "tourism",
                "The Nutcracker – Les Grands Ballets",
                "2026-12-19T19:30:00-05:00",
                Some(mda()),
            ),
            "en",
        );
        assert!(same_event(&fr, &en));
        let fr2 = url(
            occ(
                "gb",
                "Casse-Noisette",
                "2026-12-19T19:30:00-05:00",
                Some(mda()),
            ),
            "https://www.grandsballets.com/fr/casse-noisette",
        );
        let en2 = url(
            lang(
                occ(
                    "tourism",
                    "The Nutcracker",
                    "2026-12-19T19:30:00-05:00",
                    Some(mda()),
                ),
                "en",
            ),
            "https://grandsballets.com/en/casse-noisette/",
        );
        assert!(same_event(&fr2, &en2));
        // Same language: the rule does not apply.
        let fr3 = url(
            occ(
                "tourism",
                "Le Roi lion",
                "2026-12-19T19:30:00-05:00",
                Some(mda()),
            ),
            "https://grandsballets.com/en/casse-noisette/",
        );
        assert!(!same_event(&fr2, &fr3));
        // More than 15 minutes apart: no.
        let late = lang(
            occ(
                "tourism",
                "The Nutcracker – Les Grands Ballets",
                "2026-12-19T20:00:00-05:00",
                Some(mda()),
            ),
            "en",
        );
        assert!(!same_event(&fr, &late));
        // Another venue: no.
        let elsewhere = lang(
            occ(
                "tourism",
                "The Nutcracker – Les Grands Ballets",
                "2026-12-19T19:30:00-05:00",
                Some(venue("salle-andre-mathieu", "Salle André-Mathieu", "Laval")),
            ),
            "en",
        );
        assert!(!same_event(&fr, &elsewhere));
    }

    #[test]
    fn events_near_midnight_are_compared_across_days() {
        let a = occ(
            "fest",
            "Nuit blanche à Montréal",
            "2027-02-27T23:30:00-05:00",
            Some(mda()),
        );
        let b = occ(
            "agenda",
            "Nuit Blanche Montréal",
            "2027-02-28T00:15:00-05:00",
            Some(mda()),
        );
        assert_eq!(cluster(&[&a, &b]), vec![vec![0, 1]]);
    }

    #[test]
    fn an_occurrence_joins_the_group_it_resembles_most() {
        // The library lists two sessions; the council's listing of the
        // 10:00 one must join it, not the 10:30 one.
        let v = Some(venue("panneton", "Bibliothèque Philippe-Panneton", "Laval"));
        let ten = occ(
            "biblio",
            "Heure du conte",
            "2027-01-10T10:00:00-05:00",
            v.clone(),
        );
        let half = occ(
            "biblio",
            "Heure du conte",
            "2027-01-10T10:30:00-05:00",
            v.clone(),
        );
        let council = occ(
            "conseil",
            "L'heure du conte",
            "2027-01-10T10:00:00-05:00",
            v,
        );
        assert_eq!(cluster(&[&half, &council, &ten]), vec![vec![0], vec![1, 2]]);
    }

    #[test]
    fn cluster_of_nothing_is_empty() {
        assert!(cluster(&[]).is_empty());
    }

    // ------------------------------------------------------------ evaluation

    #[derive(serde::Deserialize)]
    struct EvalFile {
        records: Vec<EvalRecord>,
    }

    #[derive(serde::Deserialize)]
    struct EvalRecord {
        cluster: String,
        source: String,
        priority: i32,
        uid: String,
        title: String,
        start: DateTime<FixedOffset>,
        end: Option<DateTime<FixedOffset>>,
        all_day: bool,
        language: Option<String>,
        url: Option<String>,
        venue: Option<Venue>,
        description: Option<String>,
    }

    fn load_evaluation() -> Vec<(String, Occurrence)> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/dedup/evaluation.json");
        let text = std::fs::read_to_string(&path).expect("evaluation set");
        let file: EvalFile = serde_json::from_str(&text).expect("evaluation JSON");
        file.records
            .into_iter()
            .map(|r| {
                let source = SourceId::new(r.source.clone()).expect("source id");
                let occ = Occurrence {
                    source: source.clone(),
                    record_uid: r.uid.clone(),
                    key: String::new(),
                    priority: r.priority,
                    unmapped_categories: Vec::new(),
                    event: Event {
                        id: model::ids::occurrence_id(&source, &r.uid, ""),
                        series_id: None,
                        title: r.title,
                        description: r.description,
                        description_html: None,
                        start: r.start,
                        end: r.end,
                        all_day: r.all_day,
                        timezone: "America/Toronto".to_string(),
                        status: Status::Scheduled,
                        url: r.url.clone(),
                        image: None,
                        categories: Vec::new(),
                        language: r.language,
                        translations: BTreeMap::new(),
                        venue: r.venue,
                        sources: vec![SourceRef {
                            source: r.source,
                            uid: r.uid,
                            url: r.url,
                        }],
                        updated_at: Utc::now(),
                        sequence: 0,
                        organizer: None,
                        price: None,
                    },
                };
                (r.cluster, occ)
            })
            .collect()
    }

    #[test]
    fn evaluation_set_precision_and_recall() {
        let labelled = load_evaluation();
        assert!(labelled.len() >= 150, "{} records", labelled.len());
        let occs: Vec<&Occurrence> = labelled.iter().map(|(_, o)| o).collect();
        let groups = cluster(&occs);
        let mut predicted = vec![usize::MAX; occs.len()];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                predicted[m] = g;
            }
        }
        assert!(predicted.iter().all(|&g| g != usize::MAX));
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        let mut mistakes = Vec::new();
        for i in 0..occs.len() {
            for j in i + 1..occs.len() {
                let truth = labelled[i].0 == labelled[j].0;
                let said = predicted[i] == predicted[j];
                match (truth, said) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    (false, false) => continue,
                }
                if truth != said {
                    mistakes.push(format!(
                        "{} {:?} [{}] / {:?} [{}]",
                        if said { "merged wrongly:" } else { "missed:" },
                        occs[i].event.title,
                        labelled[i].0,
                        occs[j].event.title,
                        labelled[j].0
                    ));
                }
            }
        }
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / (tp + fn_).max(1) as f64;
        let clusters: BTreeSet<&str> = labelled.iter().map(|(c, _)| c.as_str()).collect();
        println!(
            "dedup evaluation: {} records, {} true clusters, {} predicted; pairs: {tp} right, \
             {fp} wrongly merged, {fn_} missed; precision {precision:.4}, recall {recall:.4}",
            occs.len(),
            clusters.len(),
            groups.len()
        );
        for m in &mistakes {
            println!("  {m}");
        }
        assert!(precision >= 0.99, "precision {precision:.4} < 0.99");
        assert!(recall >= 0.97, "recall {recall:.4} < 0.97");
    }

    /// The banded edit similarity is the full one whenever that reaches the
    /// floor, and 0 otherwise.
    #[test]
    fn banded_edit_similarity_matches_the_full_matrix() {
        fn full(a: &str, b: &str) -> f64 {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            let longest = a.len().max(b.len());
            if a.is_empty() || b.is_empty() || a.len().abs_diff(b.len()) * 2 > longest {
                return 0.0;
            }
            let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
            for (i, row) in d.iter_mut().enumerate() {
                row[0] = i;
            }
            for (j, cell) in d[0].iter_mut().enumerate() {
                *cell = j;
            }
            for i in 1..=a.len() {
                for j in 1..=b.len() {
                    let sub = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
                    d[i][j] = sub.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
                }
            }
            1.0 - d[a.len()][b.len()] as f64 / longest as f64
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: Vec<char> = "abcé ".chars().collect();
        for _ in 0..5000 {
            let la = (next() % 30) as usize;
            let a: String = (0..la).map(|_| alphabet[(next() % 5) as usize]).collect();
            // b: a with a few edits, or unrelated.
            let mut b: Vec<char> = a.chars().collect();
            if next() % 4 == 0 {
                b = (0..(next() % 30))
                    .map(|_| alphabet[(next() % 5) as usize])
                    .collect();
            } else {
                for _ in 0..(next() % 6) {
                    let pos = if b.is_empty() {
                        0
                    } else {
                        (next() as usize) % b.len()
                    };
                    match next() % 3 {
                        0 if !b.is_empty() => {
                            b.remove(pos);
                        }
                        1 => b.insert(pos, alphabet[(next() % 5) as usize]),
                        _ if !b.is_empty() => b[pos] = alphabet[(next() % 5) as usize],
                        _ => {}
                    }
                }
            }
            let b: String = b.into_iter().collect();
            let want = full(&a, &b);
            assert!((edit_similarity(&a, &b) - want).abs() < 1e-9, "{a:?} {b:?}");
            for floor in [0.5, 0.85, 0.9] {
                let got = edit_similarity_at_least(&a, &b, floor);
                if want >= floor {
                    assert!(
                        (got - want).abs() < 1e-9,
                        "{a:?} {b:?} floor {floor}: {got} != {want}"
                    );
                } else {
                    assert_eq!(got, 0.0, "{a:?} {b:?} floor {floor}: {want}");
                }
            }
        }
    }
}
