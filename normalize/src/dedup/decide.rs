//! The decision for one pair: hard rules, the title agreement the place
//! requires, the distinctive-word and language vetoes, the translation
//! rule, and the score that ranks accepted pairs.

use chrono::NaiveDate;
use model::Occurrence;

use super::lexicon::{is_stop_word, Lang, GENERIC_WORDS};
use super::places::{place, url_key, venue_features, Place, VenueFeatures};
use super::titles::{
    core_words, edit_similarity, key_tokens, match_terms, series_parts, similarity_at_least, terms,
    Marker, Term, TermKind, TitleSimilarity,
};
use super::{DOORS_GAP_SECS, MAX_START_GAP_SECS, SAME_END_SECS, TRANSLATION_START_GAP_SECS};
use crate::text::fold_for_match;

/// How much of a description is read for names.
const DESCRIPTION_CHARS: usize = 4000;

/// Everything [`same_event`] needs, computed once per occurrence.
pub(super) struct Features<'a> {
    pub(super) source: &'a str,
    /// What the title gives, shared by the occurrences of a series.
    pub(super) title: std::sync::Arc<TitleFeatures>,
    /// The title's [`TitleFeatures::proper`] names, the venue's words left
    /// out.
    proper: Vec<String>,
    /// The title's terms without the venue's words, when it had some and
    /// others remain (None: [`TitleFeatures::terms`], all of them).
    place_free_terms: Option<Vec<Term>>,
    language: Option<&'a str>,
    /// Folded words of the venue's name and city.
    place_words: Vec<String>,
    /// The record's description, and its folded words, sorted (names are
    /// looked up in them), computed the first time a pair needs them: most
    /// pairs never do, and descriptions are the longest text of a record.
    description_text: Option<&'a str>,
    description: std::cell::OnceCell<Vec<String>>,
    /// Keys the clustering indexes the occurrence by.
    pub(super) block: Vec<String>,
    image: Option<String>,
    end: Option<i64>,
    pub(super) start: i64,
    pub(super) date: NaiveDate,
    pub(super) all_day: bool,
    pub(super) url: Option<String>,
    /// Shared: the occurrences of a [`Grouping`](super::Grouping) at one
    /// venue read it once.
    pub(super) venue: Option<std::sync::Arc<VenueFeatures>>,
}

/// What a title, read in the language its record gives, brings to the
/// comparison: the same for every occurrence of a series, so a
/// [`Grouping`](super::Grouping) computes it once per title (the words
/// through the stemmers and the lexicon are most of an occurrence's
/// features).
pub(super) struct TitleFeatures {
    pub(super) key: String,
    /// The key without a trailing parenthesis ("Les Misérables (comédie
    /// musicale)"), when the title has one and words remain.
    bare_key: Option<String>,
    /// Comparison words, sorted.
    pub(super) tokens: Vec<String>,
    /// The title's folded words in their order (for acronyms and names).
    pub(super) ordered: Vec<String>,
    /// Capitalized, non-generic words of the title, sorted, each once
    /// (before a venue's words are left out).
    proper: Vec<String>,
    /// The cross-language comparison's words, every one.
    terms: Vec<Term>,
    /// The language the title says the event is held in.
    marker: Option<Marker>,
    /// The title's series and own part (see [`series_parts`]).
    series: Option<(String, String)>,
    /// The title names one moment of a longer run (an opening, a guided
    /// tour), genre label included.
    occasion: bool,
    /// The title is a pre-concert (or pre-show) talk.
    pre_talk: bool,
}

impl TitleFeatures {
    pub(super) fn new(title: &str, language: Option<&str>) -> TitleFeatures {
        let core = core_words(title);
        let tokens = key_tokens(&core);
        let key = tokens.join(" ");
        let bare_key = bare_title(title)
            .map(|t| key_tokens(&core_words(t)).join(" "))
            .filter(|k| !k.is_empty() && *k != key);
        let mut proper: Vec<String> = core
            .iter()
            .filter(|w| {
                w.capital
                    && w.folded.chars().count() >= 3
                    && !w.folded.chars().all(|c| c.is_ascii_digit())
                    && !is_stop_word(&w.folded)
                    && !GENERIC_WORDS.contains(&w.folded.as_str())
            })
            .map(|w| w.folded.clone())
            .collect();
        proper.sort();
        proper.dedup();
        let (terms, marker) = terms(title, Lang::of(language));
        TitleFeatures {
            key,
            bare_key,
            tokens,
            ordered: core.into_iter().map(|w| w.folded).collect(),
            proper,
            terms,
            marker,
            series: series_parts(title),
            occasion: fold_for_match(title)
                .split_whitespace()
                .any(|w| OCCASION_WORDS.contains(&w)),
            pre_talk: is_pre_talk(title),
        }
    }
}

/// Words that name one moment of a run (an exhibition's opening or a
/// tour of it), not the run itself.
const OCCASION_WORDS: &[&str] = &[
    "vernissage",
    "finissage",
    "opening",
    "closing",
    "lancement",
    "launch",
    "visite",
    "tour",
    "tours",
];

/// The features of `occ`'s venue, read afresh (a
/// [`Grouping`](super::Grouping) reads each venue once).
pub(super) fn venue_of(occ: &Occurrence) -> Option<std::sync::Arc<VenueFeatures>> {
    occ.event
        .venue
        .as_ref()
        .map(|v| std::sync::Arc::new(venue_features(v)))
}

impl<'a> Features<'a> {
    pub(super) fn new(occ: &'a Occurrence) -> Features<'a> {
        let e = &occ.event;
        let title = std::sync::Arc::new(TitleFeatures::new(&e.title, e.language.as_deref()));
        Features::with_title(occ, title, venue_of(occ))
    }

    /// [`Features::new`] with the title's features already read (they
    /// must be those of `occ`'s title and language) and the venue's (those
    /// of `occ`'s venue).
    pub(super) fn with_title(
        occ: &'a Occurrence,
        title: std::sync::Arc<TitleFeatures>,
        venue: Option<std::sync::Arc<VenueFeatures>>,
    ) -> Features<'a> {
        let e = &occ.event;
        let place_words: Vec<String> = venue
            .as_ref()
            .map(|v| v.place_words.clone())
            .unwrap_or_default();
        let proper: Vec<String> = title
            .proper
            .iter()
            .filter(|w| !place_words.contains(w))
            .cloned()
            .collect();
        let place_free_terms = if title.terms.iter().any(|t| place_words.contains(&t.word)) {
            let kept: Vec<Term> = title
                .terms
                .iter()
                .filter(|t| !place_words.contains(&t.word))
                .cloned()
                .collect();
            (!kept.is_empty()).then_some(kept)
        } else {
            None
        };
        let url = e.url.as_deref().and_then(url_key);
        // An image compared without its query (sizes, cache keys).
        let image = e.image.as_deref().and_then(url_key);
        let terms = place_free_terms.as_deref().unwrap_or(&title.terms);
        let mut block: Vec<String> = title
            .tokens
            .iter()
            .map(|t| block_key(t).to_string())
            .collect();
        block.extend(
            terms
                .iter()
                .flat_map(|t| t.concepts.iter())
                .map(|c| format!("#{c}")),
        );
        block.extend(venue.as_ref().map(|v| format!("@{}", v.id)));
        block.extend(url.iter().map(|u| format!("/{u}")));
        block.extend(image.iter().map(|i| format!("!{i}")));
        block.sort();
        block.dedup();
        Features {
            source: occ.source.as_str(),
            title,
            proper,
            place_free_terms,
            place_words,
            language: e.language.as_deref(),
            description_text: e.description.as_deref(),
            description: std::cell::OnceCell::new(),
            block,
            image,
            end: e.end.map(|t| t.timestamp()),
            start: e.start.timestamp(),
            date: local_date(e),
            all_day: e.all_day,
            url,
            venue,
        }
    }

    /// The cross-language comparison's words, the venue's words left out
    /// unless nothing else remains.
    fn terms(&self) -> &[Term] {
        self.place_free_terms
            .as_deref()
            .unwrap_or(&self.title.terms)
    }

    /// The description's folded words, sorted and once each.
    fn description_words(&self) -> &[String] {
        self.description.get_or_init(|| {
            let mut words: Vec<String> = self
                .description_text
                .map(|d| {
                    let cut: String = d.chars().take(DESCRIPTION_CHARS).collect();
                    fold_for_match(&cut)
                        .split_whitespace()
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            words.sort();
            words.dedup();
            words
        })
    }

    /// Whether a name of the other title is in this record's title words
    /// or description.
    fn mentions(&self, word: &str) -> bool {
        self.title.ordered.iter().any(|w| w == word)
            || self
                .description_words()
                .binary_search_by(|d| d.as_str().cmp(word))
                .is_ok()
            || spells_initials(word, &self.title.ordered)
    }

    /// The language the event is held in, as far as the title and the
    /// record's language say.
    fn held_in(&self) -> Option<&str> {
        match self.title.marker {
            Some(Marker::Language(code)) => Some(code),
            None => None,
        }
    }
}

/// A pre-concert talk's title ("Causerie préconcert", "Pre-concert
/// talk", "Causerie d'avant-spectacle"): the talk is an event of its own,
/// never the concert it precedes.
fn is_pre_talk(title: &str) -> bool {
    let words: Vec<String> = fold_for_match(title)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).map(String::as_str);
        match w.as_str() {
            "preconcert" | "prespectacle" => true,
            "pre" | "avant" => matches!(next, Some("concert" | "show" | "spectacle")),
            _ => false,
        }
    })
}

/// A title without its trailing parenthesis, when it ends with one.
fn bare_title(title: &str) -> Option<&str> {
    let t = title.trim_end();
    let inner = t.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    Some(inner.get(..open)?.trim_end()).filter(|rest| !rest.is_empty())
}

/// One title is the other with a parenthesis added ("Les Misérables" /
/// "Les Misérables (comédie musicale)"), and what they share is more than
/// generic words.
fn same_but_parenthesis(a: &Features<'_>, b: &Features<'_>) -> bool {
    let plain = |f: &Features<'_>| f.terms().iter().any(|t| t.kind != TermKind::Generic);
    (a.title.bare_key.as_deref() == Some(b.title.key.as_str()) && plain(b))
        || (b.title.bare_key.as_deref() == Some(a.title.key.as_str()) && plain(a))
}

/// The start's date in the event's own time zone (a ticketing site's UTC
/// time of an evening show is the previous day there), else in the
/// start's offset.
fn local_date(e: &model::Event) -> NaiveDate {
    match e.timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) if !e.all_day => e.start.with_timezone(&tz).date_naive(),
        _ => e.start.date_naive(),
    }
}

/// Index keys of a title word: its first five letters.
pub(super) fn block_key(word: &str) -> &str {
    match word.char_indices().nth(5) {
        Some((i, _)) => word.get(..i).unwrap_or(word),
        None => word,
    }
}

/// Whether the titles say the events are held in different languages: both
/// name a language and they differ, or one names a language other than the
/// one the other record is written in ("Heure du conte" and "English story
/// time"; but "Story time (in French)" and "Heure du conte" agree).
fn other_languages(a: &Features<'_>, b: &Features<'_>) -> bool {
    let listing = |f: &Features<'_>| match Lang::of(f.language) {
        Some(Lang::Fr) => Some("fr"),
        Some(Lang::En) => Some("en"),
        None => None,
    };
    match (a.held_in(), b.held_in()) {
        (Some(x), Some(y)) => x != y,
        (Some(x), None) => listing(b).is_some_and(|l| l != x),
        (None, Some(y)) => listing(a).is_some_and(|l| l != y),
        (None, None) => false,
    }
}

/// What the words of two titles say once matched across languages.
struct WordEvidence {
    /// Matched words / words of both (Dice).
    dice: f64,
    /// Matched words / words of the shorter title.
    containment: f64,
    /// Each title has a name the other record never mentions, and they
    /// share no name of two words or more ("Les Grands Ballets").
    names_conflict: bool,
    /// Each title has a topic word, or a number, the other lacks; or both
    /// are one series ("Ciné-club : ...") with parts that share no word.
    topics_conflict: bool,
    /// A name of one title is in the other record (title or description).
    shared_name: bool,
}

/// Both titles are "series : part" with the same series and parts that
/// share no word ("Ciné-club : Amélie" / "Ciné-club : Incendies").
fn other_parts_of_a_series(a: &Features<'_>, b: &Features<'_>) -> bool {
    let (Some((sa, pa)), Some((sb, pb))) = (&a.title.series, &b.title.series) else {
        return false;
    };
    if sa != sb {
        return false;
    }
    let (ta, tb): (Vec<&str>, Vec<&str>) = (
        pa.split_whitespace().collect(),
        pb.split_whitespace().collect(),
    );
    similarity_at_least(pa, pb, &ta, &tb, 1.0).matched == 0
}

fn word_evidence(a: &Features<'_>, b: &Features<'_>) -> WordEvidence {
    let m = match_terms(a.terms(), b.terms());
    let left = |terms: &[Term], idx: &[usize], kind: TermKind| -> Vec<String> {
        idx.iter()
            .filter_map(|i| terms.get(*i))
            .filter(|t| t.kind == kind)
            .map(|t| t.word.clone())
            .collect()
    };
    let names_a: Vec<String> = left(a.terms(), &m.left_a, TermKind::Name)
        .into_iter()
        .filter(|n| !b.mentions(n))
        .collect();
    let names_b: Vec<String> = left(b.terms(), &m.left_b, TermKind::Name)
        .into_iter()
        .filter(|n| !a.mentions(n))
        .collect();
    let both = |kind: TermKind| {
        !left(a.terms(), &m.left_a, kind).is_empty() && !left(b.terms(), &m.left_b, kind).is_empty()
    };
    let is_name = |t: &Term| t.kind == TermKind::Name;
    let shared_name = a
        .terms()
        .iter()
        .filter(|t| is_name(t))
        .any(|t| b.mentions(&t.word))
        || b.terms()
            .iter()
            .filter(|t| is_name(t))
            .any(|t| a.mentions(&t.word));
    let (na, nb) = (a.terms().len(), b.terms().len());
    let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    // A phrase's absorbed words count as matched on their side.
    let (ca, cb) = (m.matched + m.absorbed_a, m.matched + m.absorbed_b);
    WordEvidence {
        dice: ratio(ca + cb, na + nb),
        containment: ratio(ca, na).max(ratio(cb, nb)),
        names_conflict: !names_a.is_empty() && !names_b.is_empty() && m.capitals < 2,
        topics_conflict: both(TermKind::Topic)
            || both(TermKind::Number)
            || other_parts_of_a_series(a, b),
        shared_name,
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
    if a.source == b.source || a.title.pre_talk != b.title.pre_talk {
        return None;
    }
    let (time_score, gap) = time_match(a, b)?;
    let place = place(a.venue.as_deref(), b.venue.as_deref());
    if place == Place::Different {
        return None;
    }
    let floor = if place == Place::Same { 0.85 } else { 0.9 };
    let mut sim = compare_titles(a, b, floor);
    let titles_agree = match place {
        Place::Same => {
            sim.jaccard >= 0.5
                || (sim.containment >= 1.0 && sim.matched >= 2)
                || sim.edit >= 0.85
                || same_but_parenthesis(a, b)
        }
        _ => sim.jaccard >= 0.75 || sim.edit >= 0.9,
    };
    // A timed and an all-day listing agree only on a strong title, and
    // not when one names a moment of the other ("Vernissage : X" at 17:00,
    // "Exposition : X" all day).
    let titles_agree = titles_agree
        && (gap != i64::MAX || (sim.score() >= 0.75 && a.title.occasion == b.title.occasion));
    let place_score = if place == Place::Same { 1.0 } else { 0.5 };
    let strong = same_url(a, b) || same_image(a, b);
    // Titles that agree in words still name two events when each has a
    // distinctive word the other lacks ("Ciné-club : Amélie" / "Ciné-club :
    // Incendies"), or when they are held in two languages.
    let titles_agree = titles_agree && {
        let w = word_evidence(a, b);
        // Listings in two languages more than a few minutes apart agree
        // only on a name ("Klô Pelgag live" at the doors' time), not on
        // words the glossary translated.
        let translated_far = declared_apart(a, b)
            && gap > TRANSLATION_START_GAP_SECS
            && !w.shared_name
            && !strong
            && !(place == Place::Same
                && gap <= DOORS_GAP_SECS
                && ends_allow_doors(a, b)
                && strong_words(&w));
        strong
            || !(w.names_conflict || w.topics_conflict || other_languages(a, b) || translated_far)
    };
    if titles_agree {
        if sim.edit < floor {
            // Agreed on words: the exact edit similarity still ranks the pair.
            sim.edit = edit_similarity(&a.title.key, &b.title.key);
        }
        return Some(2.0 * sim.score() + time_score + place_score);
    }
    if translation(a, b, place, gap) && (a.title.occasion == b.title.occasion || !mixed_day(a, b)) {
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
    compare_words(
        (&a.title.key, &a.title.tokens, &a.title.ordered),
        (&b.title.key, &b.title.tokens, &b.title.ordered),
        is_place,
        edit_floor,
    )
}

/// [`compare_titles`] on each title's key, comparison words and folded
/// words in order, the words `is_place` names left out.
fn compare_words<A: AsRef<str>, B: AsRef<str>>(
    (a_key, a_tokens, a_ordered): (&str, &[A], &[A]),
    (b_key, b_tokens, b_ordered): (&str, &[B], &[B]),
    is_place: impl Fn(&str) -> bool,
    edit_floor: f64,
) -> TitleSimilarity {
    let mut ta = strip_places(a_tokens, &is_place);
    let mut tb = strip_places(b_tokens, &is_place);
    expand_acronyms(&mut ta, b_ordered);
    expand_acronyms(&mut tb, a_ordered);
    similarity_at_least(a_key, b_key, &ta, &tb, edit_floor)
}

/// `tokens` without the words of a place, unless nothing else remains.
fn strip_places<T: AsRef<str>>(tokens: &[T], is_place: impl Fn(&str) -> bool) -> Vec<&str> {
    let all = tokens.iter().map(AsRef::as_ref);
    let kept: Vec<&str> = all.clone().filter(|t| !is_place(t)).collect();
    if kept.is_empty() {
        all.collect()
    } else {
        kept
    }
}

/// A record's title as [`titles_may_agree_without_place`] reads it: its
/// key (its comparison words, sorted, joined by spaces) and its folded
/// words in order, joined by `\u{1}` and spaces. None when a word would
/// not read back (empty, or holding a separator).
pub(super) fn title_sketch(f: &Features<'_>) -> Option<String> {
    let fits = |w: &String| !w.is_empty() && !w.contains([' ', '\u{1}']);
    if !(f.title.tokens.iter().all(fits) && f.title.ordered.iter().all(fits)) {
        return None;
    }
    debug_assert_eq!(f.title.key, f.title.tokens.join(" "));
    Some(format!("{}\u{1}{}", f.title.key, f.title.ordered.join(" ")))
}

/// The words of a part of a [`title_sketch`].
fn sketch_words(part: &str) -> Vec<&str> {
    if part.is_empty() {
        Vec::new()
    } else {
        part.split(' ').collect()
    }
}

/// Whether the record `a` and a record whose title's sketch is `sketch`
/// ([`title_sketch`]) and whose venue's words are `their_place` (empty
/// when it has no venue), one of the two held at no venue, may agree on
/// their titles as [`score`] asks at an unknown place (where nothing else
/// can make them one event: the translation rule needs a place on both
/// sides): a title Jaccard of 0.75 or an edit similarity of 0.9, computed
/// as [`compare_titles`] does, either venue's words left out (in both
/// orders: the word matching is greedy). When false, [`score`] refuses
/// the pair; so the store need not read the other record. The caller
/// checks that one of them has no venue.
pub(super) fn titles_may_agree_without_place(
    a: &Features<'_>,
    sketch: &str,
    their_place: &[String],
) -> bool {
    let Some((key, ordered)) = sketch.split_once('\u{1}') else {
        return true;
    };
    let (tokens, ordered) = (sketch_words(key), sketch_words(ordered));
    let is_place =
        |w: &str| a.place_words.iter().any(|p| p == w) || their_place.iter().any(|p| p == w);
    let agree = |sim: TitleSimilarity| sim.jaccard >= 0.75 || sim.edit >= 0.9;
    agree(compare_words(
        (&a.title.key, &a.title.tokens, &a.title.ordered),
        (key, &tokens, &ordered),
        is_place,
        0.9,
    )) || agree(compare_words(
        (key, &tokens, &ordered),
        (&a.title.key, &a.title.tokens, &a.title.ordered),
        is_place,
        0.9,
    ))
}

/// Whether a word of 2 to 5 letters spells the initials of a run of
/// `words` ("lni", "Ligue nationale d'improvisation").
fn spells_initials(word: &str, words: &[String]) -> bool {
    let letters: Vec<char> = word.chars().collect();
    (2..=5).contains(&letters.len())
        && letters.iter().all(|c| c.is_alphabetic())
        && words
            .windows(letters.len())
            .any(|run| run.iter().zip(&letters).all(|(w, l)| w.starts_with(*l)))
}

/// Replace a word of 2 to 5 letters that spells the initials of a run of
/// `other`'s words with those words.
fn expand_acronyms<'t, O: AsRef<str>>(tokens: &mut Vec<&'t str>, other: &'t [O]) {
    let mut added: Vec<&'t str> = Vec::new();
    tokens.retain(|t| {
        let n = t.chars().count();
        if !(2..=5).contains(&n) || !t.chars().all(|c| c.is_alphabetic()) {
            return true;
        }
        let letters: Vec<char> = t.chars().collect();
        let found = other.windows(n).find(|run| {
            run.iter()
                .zip(&letters)
                .all(|(w, l)| w.as_ref().starts_with(*l))
        });
        match found {
            Some(run) if !run.iter().any(|w| w.as_ref() == *t) => {
                added.extend(run.iter().map(AsRef::as_ref));
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

/// Whether both records declare a language and it is the same one
/// ("fr", "fr-CA"): Some(true); two languages: Some(false); None when one
/// does not say.
fn declared_same(a: &Features<'_>, b: &Features<'_>) -> Option<bool> {
    let (x, y) = (a.language?, b.language?);
    Some(x == y || Lang::of(Some(x)).is_some_and(|l| Lang::of(Some(y)) == Some(l)))
}

/// Both records declare a language, and not the same one.
fn declared_apart(a: &Features<'_>, b: &Features<'_>) -> bool {
    declared_same(a, b) == Some(false)
}

fn same_url(a: &Features<'_>, b: &Features<'_>) -> bool {
    a.url.is_some() && a.url == b.url
}

fn same_image(a: &Features<'_>, b: &Features<'_>) -> bool {
    a.image.is_some() && a.image == b.image
}

fn mixed_day(a: &Features<'_>, b: &Features<'_>) -> bool {
    a.all_day != b.all_day
}

/// Whether the ends allow one listing to give the doors' (or a
/// pre-concert talk's) time of the other: neither ends by the time the
/// other starts (two sessions of a repeated show, an hour apart, each
/// listed by one source), and two ends given are the same end.
fn ends_allow_doors(a: &Features<'_>, b: &Features<'_>) -> bool {
    let over = |x: &Features<'_>, y: &Features<'_>| x.end.is_some_and(|e| e <= y.start);
    let ends_differ = matches!((a.end, b.end), (Some(x), Some(y)) if (x - y).abs() > SAME_END_SECS);
    !over(a, b) && !over(b, a) && !ends_differ
}

/// Words that agree across languages well enough to stand on their own.
fn strong_words(w: &WordEvidence) -> bool {
    w.dice >= 0.6 && w.containment >= 0.5 && !w.names_conflict && !w.topics_conflict
}

/// Both venues are known only by the same city (or one is, and the other
/// is in that city).
fn same_city(a: &Features<'_>, b: &Features<'_>) -> bool {
    match (&a.venue, &b.venue) {
        (Some(x), Some(y)) => x.city.is_some() && x.city == y.city,
        _ => false,
    }
}

/// The translation rule (see the module doc).
fn translation(a: &Features<'_>, b: &Features<'_>, place: Place, gap: i64) -> bool {
    if declared_same(a, b) == Some(true) || other_languages(a, b) {
        return false;
    }
    // At a place known only by its city, only the same start and words
    // that say the same thing (or the same page).
    let in_town = place == Place::Unknown && same_city(a, b);
    if place != Place::Same && !in_town {
        return false;
    }
    if in_town && (a.all_day || b.all_day || gap != 0) {
        return false;
    }
    // A timed and an all-day listing of one date: only on words.
    let mixed = mixed_day(a, b);
    let doors = !a.all_day
        && !b.all_day
        && gap > TRANSLATION_START_GAP_SECS
        && gap <= DOORS_GAP_SECS
        && ends_allow_doors(a, b);
    let close = if a.all_day || b.all_day {
        a.date == b.date
    } else {
        gap <= TRANSLATION_START_GAP_SECS || doors
    };
    if !close {
        return false;
    }
    if !mixed && (same_url(a, b) || same_image(a, b)) {
        return true;
    }
    let w = word_evidence(a, b);
    if w.names_conflict || w.topics_conflict {
        return false;
    }
    let lexical = w.dice >= 0.6 && w.containment >= 0.5;
    if mixed {
        return lexical && w.dice >= 0.75;
    }
    if in_town {
        return lexical && w.dice >= 0.75;
    }
    let same_end = matches!((a.end, b.end), (Some(x), Some(y)) if (x - y).abs() <= SAME_END_SECS);
    let shared_proper = a.proper.iter().any(|p| b.title.ordered.contains(p))
        || b.proper.iter().any(|p| a.title.ordered.contains(p));
    if doors {
        // At the doors' time, the weak evidence below is not enough.
        return lexical || (declared_apart(a, b) && shared_proper);
    }
    lexical
        || (declared_apart(a, b) && shared_proper)
        || usize::from(same_end) + usize::from(w.shared_name) + usize::from(w.dice > 0.0) >= 2
}

/// Whether two occurrences are the same event (see the module doc).
pub fn same_event(a: &Occurrence, b: &Occurrence) -> bool {
    score(&Features::new(a), &Features::new(b)).is_some()
}
