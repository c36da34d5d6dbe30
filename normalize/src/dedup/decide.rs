//! The decision for one pair: hard rules, the title agreement the place
//! requires, the translation rule, and the score that ranks accepted pairs.

use chrono::NaiveDate;
use model::Occurrence;

use super::lexicon::{is_stop_word, GENERIC_WORDS};
use super::places::{place, url_key, venue_features, Place, VenueFeatures};
use super::titles::{
    core_words, edit_similarity, key_tokens, similarity_at_least, TitleSimilarity,
};
use super::{MAX_START_GAP_SECS, TRANSLATION_START_GAP_SECS};

/// Everything [`same_event`] needs, computed once per occurrence.
pub(super) struct Features<'a> {
    pub(super) source: &'a str,
    key: String,
    /// Comparison words, sorted.
    pub(super) tokens: Vec<String>,
    /// The title's folded words in their order (for acronyms and names).
    ordered: Vec<String>,
    /// Capitalized, non-generic words of the title.
    proper: Vec<String>,
    /// Folded words of the venue's name and city.
    place_words: Vec<String>,
    language: Option<&'a str>,
    pub(super) start: i64,
    pub(super) date: NaiveDate,
    pub(super) all_day: bool,
    pub(super) url: Option<String>,
    pub(super) venue: Option<VenueFeatures<'a>>,
}

impl<'a> Features<'a> {
    pub(super) fn new(occ: &'a Occurrence) -> Features<'a> {
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
pub(super) fn score(a: &Features<'_>, b: &Features<'_>) -> Option<f64> {
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
