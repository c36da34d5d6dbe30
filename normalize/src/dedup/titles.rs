//! Titles: words, their decoration, comparison keys, word-by-word
//! similarity and the banded edit distance.

use super::lexicon::{
    is_stop_word, lexicon, Lang, GENERIC_WORDS, GENRE_LABELS, GLOSSARY, STATUS_PHRASES,
};
use crate::text::fold_for_match;

/// One word of a title, folded, and what surrounds it in the original.
pub(super) struct Word {
    pub(super) folded: String,
    /// Written with a capital first letter or in capitals.
    pub(super) capital: bool,
    /// The title's first word (capitalized by convention).
    initial: bool,
    /// A colon follows it (spaces aside).
    colon_after: bool,
    /// The title's first word, capitalized only as its first, with a
    /// lower-case preposition or article after it ("Veillée de danse",
    /// "Causerie sur les oiseaux"): the head noun of a description, not a
    /// name.
    head: bool,
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
                initial: out.is_empty(),
                colon_after: false,
                head: false,
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
    // Prepositions and articles that follow a description's head noun;
    // not "et"/"and" ("Roméo et Juliette"), "en"/"in" ("Kleztory en
    // concert") nor a possessive ("Mahler's Fifth"), which follow names.
    const HEAD_LINKS: &[&str] = &[
        "de", "du", "des", "d", "sur", "avec", "pour", "au", "aux", "a", "la", "le", "les", "l",
        "of", "on", "with", "for", "about", "the",
    ];
    let next_is_article = out
        .get(1)
        .is_some_and(|n| !n.capital && HEAD_LINKS.contains(&n.folded.as_str()));
    if let Some(first) = out.first_mut() {
        first.head = next_is_article;
    }
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
pub(super) fn core_words(title: &str) -> Vec<Word> {
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

/// A folded word's comparison form (see [`GLOSSARY`]).
fn canonical(word: &str) -> Vec<String> {
    match GLOSSARY.iter().find(|(en, _)| *en == word) {
        Some((_, fr)) => fr.iter().map(|w| w.to_string()).collect(),
        None => vec![word.to_string()],
    }
}

/// The comparison words of a title, sorted and without repeats.
pub(super) fn key_tokens(core: &[Word]) -> Vec<String> {
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

/// What a word of a title is, for the cross-language comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TermKind {
    /// A lexicon word of format, audience, time or place ("atelier").
    Generic,
    /// A lexicon word of what the event is about ("gravure", "jazz").
    Topic,
    /// A capitalized word the lexicon does not know: a proper name.
    Name,
    /// Digits (an ordinal's suffix dropped: "5e", "5th" are "5").
    Number,
    /// Any other word.
    Plain,
}

/// One word of a title as the cross-language comparison sees it.
#[derive(Debug, Clone)]
pub(super) struct Term {
    pub(super) word: String,
    /// The lexicon lines the word takes part in (see
    /// [`super::lexicon::Lexicon::concepts_of`]).
    pub(super) concepts: Vec<u32>,
    pub(super) kind: TermKind,
    /// Capitalized, and not the title's first word: part of a name even
    /// when the lexicon knows it ("Les Grands Ballets").
    pub(super) capital: bool,
}

impl Term {
    /// Whether two terms say the same: the same word, a shared lexicon
    /// line, or (outside the lexicon) a long shared prefix.
    pub(super) fn matches(&self, other: &Term) -> bool {
        self.word == other.word
            || self.concepts.iter().any(|c| other.concepts.contains(c))
            || (self.concepts.is_empty()
                && other.concepts.is_empty()
                && word_match(&self.word, &other.word))
    }
}

/// The language a title says its event is held in ("en anglais", "in
/// French", "bilingue"), when it says one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Language(&'static str),
}

/// Language names in titles, folded, and the code they stand for.
const LANGUAGE_WORDS: &[(&str, &str)] = &[
    ("francais", "fr"),
    ("francaise", "fr"),
    ("french", "fr"),
    ("anglais", "en"),
    ("anglaise", "en"),
    ("english", "en"),
    ("espagnol", "es"),
    ("espagnole", "es"),
    ("spanish", "es"),
    ("espanol", "es"),
    ("arabe", "ar"),
    ("arabic", "ar"),
    ("mandarin", "zh"),
    ("chinois", "zh"),
    ("chinese", "zh"),
    ("italien", "it"),
    ("italienne", "it"),
    ("italian", "it"),
    ("portugais", "pt"),
    ("portuguese", "pt"),
    ("allemand", "de"),
    ("allemande", "de"),
    ("german", "de"),
    ("creole", "ht"),
    ("bilingue", "bilingual"),
    ("bilingual", "bilingual"),
];

/// Words next to which a language name is about captions, not the event.
const CAPTION_WORDS: &[&str] = &[
    "surtitres",
    "surtitre",
    "surtitles",
    "surtitled",
    "subtitles",
    "subtitled",
    "sous",
    "titres",
    "st",
    "stf",
    "sta",
    "vo",
    "vostf",
];

/// A title's terms for the cross-language comparison, and the language
/// its event is said to be held in. `lang` is the record's language: the
/// lexicon reads its words in that language first.
pub(super) fn terms(title: &str, lang: Option<Lang>) -> (Vec<Term>, Option<Marker>) {
    let core = core_words(title);
    // In a title written in capitals, a capital says nothing of a name.
    let has_lower = title.chars().any(char::is_lowercase);
    let mut marker = None;
    let mut words: Vec<(String, bool, bool)> = Vec::with_capacity(core.len());
    for (i, w) in core.iter().enumerate() {
        if let Some((_, code)) = LANGUAGE_WORDS.iter().find(|(l, _)| *l == w.folded) {
            let near = |j: Option<usize>| {
                j.and_then(|j| core.get(j))
                    .is_some_and(|n| CAPTION_WORDS.contains(&n.folded.as_str()))
            };
            if !near(i.checked_sub(1)) && !near(i.checked_add(1)) {
                marker = Some(Marker::Language(code));
            }
            continue;
        }
        words.push((
            w.folded.clone(),
            w.capital && has_lower && !w.head,
            w.initial,
        ));
    }
    let folded: Vec<String> = words.iter().map(|(w, _, _)| w.clone()).collect();
    let lex = lexicon();
    let concepts = lex.concepts_of(&folded, lang);
    let terms = words
        .into_iter()
        .zip(concepts)
        .map(|((word, capital, initial), concepts)| {
            let digits = ordinal_digits(&word);
            let kind = if digits.is_some() {
                TermKind::Number
            } else if !concepts.is_empty() {
                if concepts.iter().all(|c| lex.is_topic(*c)) {
                    TermKind::Topic
                } else {
                    TermKind::Generic
                }
            } else if capital
                && word.chars().count() >= 2
                && !GENERIC_WORDS.contains(&word.as_str())
                && !CAPTION_WORDS.contains(&word.as_str())
            {
                TermKind::Name
            } else {
                TermKind::Plain
            };
            Term {
                word: digits.unwrap_or(word),
                concepts,
                kind,
                capital: capital && !initial,
            }
        })
        .collect();
    (terms, marker)
}

/// Ordinals and numbers written in words, French and English.
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("premier", "1"),
    ("premiere", "1"),
    ("first", "1"),
    ("deuxieme", "2"),
    ("second", "2"),
    ("troisieme", "3"),
    ("third", "3"),
    ("quatrieme", "4"),
    ("fourth", "4"),
    ("cinquieme", "5"),
    ("fifth", "5"),
    ("sixieme", "6"),
    ("sixth", "6"),
    ("septieme", "7"),
    ("seventh", "7"),
    ("huitieme", "8"),
    ("eighth", "8"),
    ("neuvieme", "9"),
    ("ninth", "9"),
    ("dixieme", "10"),
    ("tenth", "10"),
];

/// A title's series and its own part, when it is written "series : part"
/// (or with a dash): the words before the first separator and after it,
/// both non-empty.
pub(super) fn series_parts(title: &str) -> Option<(String, String)> {
    let cut = [" : ", ": ", " – ", " — ", " - "]
        .iter()
        .filter_map(|sep| title.find(sep).map(|i| (i, sep.len())))
        .min_by_key(|(i, _)| *i)?;
    let (head, tail) = (title.get(..cut.0)?, title.get(cut.0 + cut.1..)?);
    let (head, tail) = (title_key(head), title_key(tail));
    (!head.is_empty() && !tail.is_empty()).then_some((head, tail))
}

/// "5", "5e", "5th", "1er", "2nd", "fifth", "cinquième" → "5", "1", "2";
/// else None.
fn ordinal_digits(word: &str) -> Option<String> {
    if let Some((_, d)) = NUMBER_WORDS.iter().find(|(w, _)| *w == word) {
        return Some(d.to_string());
    }
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let rest = word.get(digits.len()..).unwrap_or_default();
    matches!(
        rest,
        "" | "e" | "er" | "re" | "eme" | "st" | "nd" | "rd" | "th"
    )
    .then_some(digits)
}

/// How two titles' terms agree: the matched pairs, found greedily, and
/// what is left unmatched on each side.
pub(super) struct TermMatch {
    pub(super) matched: usize,
    /// Matched pairs where both words are capitalized inside their title.
    pub(super) capitals: usize,
    /// Unmatched terms of the first title, then of the second.
    pub(super) left_a: Vec<usize>,
    pub(super) left_b: Vec<usize>,
    /// Terms of the first title, then of the second, that are one phrase
    /// with a matched term of their title and match the same word of the
    /// other ("casse noisette" / "nutcracker"): neither matched nor left.
    pub(super) absorbed_a: usize,
    pub(super) absorbed_b: usize,
}

pub(super) fn match_terms(a: &[Term], b: &[Term]) -> TermMatch {
    let mut used = vec![false; b.len()];
    let mut left_a = Vec::new();
    let mut matched = 0;
    // Exact words first, so that a lexicon line does not take a word
    // another word of the title is equal to.
    let mut capitals = 0;
    // The index of the term of `b` that the `i`th of `a` matches, marked
    // used.
    let pair = |i: usize, exact: bool, used: &mut Vec<bool>| -> Option<usize> {
        let t = a.get(i)?;
        let hit = b.iter().enumerate().position(|(j, u)| {
            !used.get(j).copied().unwrap_or(true)
                && if exact {
                    t.word == u.word
                } else {
                    t.matches(u)
                }
        })?;
        *used.get_mut(hit)? = true;
        Some(hit)
    };
    let mut count = |i: usize, j: usize, matched: &mut usize| {
        *matched += 1;
        if a.get(i).is_some_and(|t| t.capital) && b.get(j).is_some_and(|u| u.capital) {
            capitals += 1;
        }
    };
    let mut pending = Vec::new();
    for i in 0..a.len() {
        match pair(i, true, &mut used) {
            Some(j) => count(i, j, &mut matched),
            None => pending.push(i),
        }
    }
    for i in pending {
        match pair(i, false, &mut used) {
            Some(j) => count(i, j, &mut matched),
            None => left_a.push(i),
        }
    }
    let left_b: Vec<usize> = (0..b.len())
        .filter(|j| !used.get(*j).copied().unwrap_or(true))
        .collect();
    // The other words of a lexicon phrase whose one word matched: the
    // phrase is one term ("casse noisette" / "nutcracker").
    let absorbed = |x: &[Term], y: &[Term], left: &[usize]| -> Vec<usize> {
        left.iter()
            .copied()
            .filter(|&i| {
                let Some(t) = x.get(i) else { return false };
                let phrase = |n: &Term| t.concepts.iter().any(|c| n.concepts.contains(c));
                let neighbours = [i.checked_sub(1), i.checked_add(1)];
                neighbours
                    .iter()
                    .flatten()
                    .filter_map(|&n| x.get(n))
                    .any(|n| phrase(n) && y.iter().any(|u| t.matches(u) && n.matches(u)))
            })
            .collect()
    };
    let gone_a = absorbed(a, b, &left_a);
    let gone_b = absorbed(b, a, &left_b);
    TermMatch {
        matched,
        capitals,
        absorbed_a: gone_a.len(),
        absorbed_b: gone_b.len(),
        left_a: left_a.into_iter().filter(|i| !gone_a.contains(i)).collect(),
        left_b: left_b.into_iter().filter(|i| !gone_b.contains(i)).collect(),
    }
}

/// Whether two folded words match: equal, or a long shared prefix.
pub(super) fn word_match(a: &str, b: &str) -> bool {
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
pub(super) fn similarity_at_least(
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
