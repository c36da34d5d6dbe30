//! Titles: words, their decoration, comparison keys, word-by-word
//! similarity and the banded edit distance.

use super::lexicon::{is_stop_word, GENRE_LABELS, GLOSSARY, STATUS_PHRASES};
use crate::text::fold_for_match;

/// One word of a title, folded, and what surrounds it in the original.
pub(super) struct Word {
    pub(super) folded: String,
    /// Written with a capital first letter or in capitals.
    pub(super) capital: bool,
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
