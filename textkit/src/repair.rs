//! Repairing text that a source damaged before we read it.
//!
//! Sources hand over text that went through one escaping or decoding step
//! too many. Each repair here undoes one such step, only where the damage
//! is certain, and leaves correct text alone (the tests hold French,
//! Portuguese, Polish, Vietnamese and German text that must come out as it
//! went in). Every function is idempotent: `f(f(x)) == f(x)`.
//!
//! * [`escapes`]: text escaped twice (ICS and JSON written by PHP plugins):
//!   a literal `\n`, `\N`, `\r\n` (backslash, letter) becomes a line break,
//!   `\t` a tab, `\,` `\;` `\'` `\"` the character. A run of two backslashes
//!   (`\\n`) is an escaped backslash and stays; so does every backslash of
//!   a Windows path (`C:\new folder`, `\\serveur\partage`), from its drive
//!   or `\\` to the first word without a backslash.
//! * [`entities`]: HTML escaped twice: `&amp;` followed by a reference that
//!   decodes (`&amp;eacute;`, `&amp;#8217;`, `&amp;quot;`, `&amp;amp;`) loses
//!   its `amp;`, until none is left; the caller's HTML-to-text step then
//!   decodes it. `&amp;xyz;`, `R&amp;D` stay.
//! * [`mojibake`]: UTF-8 read as Windows-1252 or Latin-1 (`Ã©` → `é`,
//!   `â€™` → `’`, `Ã‰` → `É`, `Å“` → `œ`, `Â ` → no-break space, `Ã ` → `à`,
//!   twice over: `ÃƒÂ©` → `é`). A suspect sequence is a lead character
//!   followed by the continuation characters its byte asks for; re-encoded
//!   as Windows-1252 bytes (`encoding_rs`; C1 controls as the Latin-1 byte
//!   they came from) it must be valid UTF-8. Sequences that decode to Latin-1
//!   and Latin Extended-A, to punctuation and symbols, to Vietnamese letters,
//!   CJK or emoji are repaired alone; others (Greek, Cyrillic, IPA...) only
//!   with a second suspect sequence in the same word, so that `«ÉTÉ»` (`É»`
//!   is valid UTF-8 for `ɻ`) or `„Straße“` stay; so do three-byte
//!   sequences holding a no-break space (`été\u{a0}»` is valid UTF-8).
//!   `Ã` and `Â` whose no-break space a whitespace fold turned into a space
//!   are repaired where a capital cannot be meant: `voilÃ  !`, `Ã  la`,
//!   `20Â $`, but `IRMÃ E SÃO` stays. The whole repair is kept only when
//!   the result has fewer suspect sequences than the input.
//!   The reverse damage (Latin-1 bytes read as UTF-8) left U+FFFD where the
//!   letters were: nothing to repair from the text; [`lost_characters`]
//!   counts them so the caller can warn.
//! * [`apostrophes`]: the straight apostrophe between two letters
//!   (`L'Orchestre`, `aujourd'hui`, `rock'n'roll`) and its stand-ins (`´`,
//!   `` ` ``, `‘`, `ʼ`) become the typographic `’` (U+2019), except inside
//!   URLs and e-mail addresses. Used on titles and descriptions alike: the
//!   apostrophe is the one mark every source of one event writes
//!   differently, and it is never a quote when letters surround it.
//! * [`typeset_title`]: a title's quotes in its language's style: in
//!   French, straight double quotes around words become « » with a no-break
//!   space (U+00A0) inside, as the Office québécois de la langue française
//!   writes them; in English, “ ”. Only when every straight double quote of
//!   the title pairs cleanly (an opening one after a space or at the start,
//!   before a non-space; a closing one after a non-space, before a space,
//!   punctuation or the end): `12" et 7"` or an odd count stay as written.
//!   Descriptions keep their quotes: long texts quote code, measures and
//!   other languages, and nobody compares them.
//!
//! [`repair`] is the first three in order, for a raw value before it is
//! turned into plain text. Pure functions, no panics on any input.

use std::borrow::Cow;

use crate::entities::{decode_entities, named, rewrite_ampersands};

/// Escapes, doubled entities and mojibake, in that order (see the module
/// doc): for a raw title or description, HTML or plain text.
pub fn repair(s: &str) -> String {
    let s = escapes(s);
    let s = entities(&s);
    mojibake(&s).into_owned()
}

// ---------------------------------------------------------------------------
// Double-escaped newlines, tabs, commas and semicolons.

/// Literal escapes left by a second escaping (see the module doc).
pub fn escapes(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let protected = path_backslashes(&chars);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars
            .get(i..)
            .map_or(0, |r| r.iter().take_while(|c| **c == '\\').count());
        if run > 1 || protected.get(i).copied().unwrap_or(false) {
            // An escaped backslash, or a path: as written.
            for _ in 0..run {
                out.push('\\');
            }
            i += run;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (replacement, used) = match next {
            Some('n' | 'N') => ('\n', 2),
            Some('t') => ('\t', 2),
            Some('r')
                if chars.get(i + 2) == Some(&'\\')
                    && matches!(chars.get(i + 3), Some('n' | 'N')) =>
            {
                ('\n', 4)
            }
            Some(c @ (',' | ';' | '\'' | '"')) => (c, 2),
            _ => ('\\', 1),
        };
        out.push(replacement);
        i += used;
    }
    Cow::Owned(out)
}

/// For each character, whether it is a backslash of a Windows path: from a
/// drive (`C:\`) or a UNC start (`\\host`) at the start of a word, through
/// the following words as long as each holds a backslash.
fn path_backslashes(chars: &[char]) -> Vec<bool> {
    let mut protected = vec![false; chars.len()];
    let mut in_path = false;
    let mut start = 0;
    while start < chars.len() {
        let end = chars
            .get(start..)
            .and_then(|r| r.iter().position(|c| c.is_whitespace()))
            .map_or(chars.len(), |p| start + p);
        let word = chars.get(start..end).unwrap_or(&[]);
        let body_at = word
            .iter()
            .position(|c| !matches!(c, '"' | '\'' | '(' | '[' | '«' | '“'))
            .unwrap_or(word.len());
        let body = word.get(body_at..).unwrap_or(&[]);
        let drive = matches!(body, [d, ':', '\\', ..] if d.is_ascii_alphabetic());
        let unc = matches!(body, ['\\', '\\', h, ..] if h.is_alphanumeric());
        let has_backslash = word.contains(&'\\');
        in_path = drive || unc || (in_path && has_backslash);
        if in_path {
            for flag in protected.get_mut(start..end).unwrap_or(&mut []) {
                *flag = true;
            }
        }
        // A line break ends a path.
        if chars.get(end) == Some(&'\n') {
            in_path = false;
        }
        start = end + 1;
    }
    protected
}

// ---------------------------------------------------------------------------
// Doubled HTML escaping.

/// `&amp;` before a reference that decodes loses its `amp;`, until none is
/// left (see the module doc).
pub fn entities(s: &str) -> Cow<'_, str> {
    if !s.contains("&amp;") && !s.contains("&AMP;") {
        return Cow::Borrowed(s);
    }
    let mut current = s.to_string();
    // Each pass removes one level; more than a few levels is not escaping.
    for _ in 0..8 {
        let next = undouble_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    Cow::Owned(current)
}

/// One pass of [`entities`].
fn undouble_once(s: &str) -> String {
    rewrite_ampersands(s, |body| {
        let inner = body
            .strip_prefix("amp;")
            .or_else(|| body.strip_prefix("AMP;"))?;
        // Without `amp;`, the inner reference is the caller's to decode.
        reference_decodes(inner).then_some(('&', 4))
    })
}

/// Whether `s` (after an `&`) starts with a complete reference (`name;`,
/// `#233;`, `#xE9;`) that decodes to a character.
fn reference_decodes(s: &str) -> bool {
    let Some(end) = s
        .char_indices()
        .take(34)
        .find(|(_, c)| *c == ';')
        .map(|(at, _)| at)
        .filter(|end| *end > 0)
    else {
        return false;
    };
    let body = s.get(..end).unwrap_or("");
    match body.strip_prefix('#') {
        Some(num) => {
            let (digits, radix) = match num.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (num, 10),
            };
            !digits.is_empty()
                && digits.chars().all(|c| c.is_digit(radix))
                && decode_entities(&format!("&{body};")) != "\u{fffd}"
        }
        None => body.chars().all(|c| c.is_ascii_alphanumeric()) && named(body).is_some(),
    }
}

// ---------------------------------------------------------------------------
// Mojibake.

/// The Windows-1252 (or Latin-1) byte a character was read from, if it can
/// have been: ASCII, U+0080–U+00FF (Latin-1 and its C1 controls), and the
/// typographic characters Windows-1252 puts in 0x80–0x9F.
fn cp1252_byte(c: char) -> Option<u8> {
    let v = u32::from(c);
    if v < 0x100 {
        return u8::try_from(v).ok();
    }
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
    match (had_errors, bytes.as_ref()) {
        (false, [b]) => Some(*b),
        _ => None,
    }
}

/// How many continuation bytes a UTF-8 lead byte asks for, for the leads a
/// mojibake sequence can start with.
fn continuation_count(lead: u8) -> Option<usize> {
    match lead {
        0xC2..=0xDF => Some(1),
        0xE0..=0xEF => Some(2),
        0xF0..=0xF4 => Some(3),
        _ => None,
    }
}

/// How sure a repaired character is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strength {
    /// Repaired on its own.
    Alone,
    /// Repaired only with another suspect sequence in the same word.
    WithAnother,
}

/// A suspect sequence: where it starts (in chars), how many chars it
/// spans, what it stands for.
#[derive(Debug)]
struct Suspect {
    at: usize,
    len: usize,
    repaired: char,
    strength: Strength,
}

/// Where the decoded character of a sequence falls.
fn strength(c: char) -> Strength {
    let v = u32::from(c);
    let alone = matches!(v,
        0xA0..=0x17F            // Latin-1 letters and signs, Latin Extended-A
        | 0x1E00..=0x1EFF       // Latin Extended Additional (Vietnamese)
        | 0x2000..=0x2BFF       // punctuation, currency, letterlike, arrows, symbols
        | 0x3000..=0x9FFF       // CJK
        | 0xAC00..=0xD7AF       // Hangul
        | 0xFB00..=0xFB06       // ligatures
        | 0xFE00..=0xFE0F       // variation selectors (emoji)
        | 0xFF00..=0xFFEF       // full-width forms
        | 0x10000..             // emoji and the rest of the astral planes
    );
    if alone {
        Strength::Alone
    } else {
        Strength::WithAnother
    }
}

/// Every suspect sequence of `chars`.
fn suspects(chars: &[char]) -> Vec<Suspect> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let Some((lead, need)) = cp1252_byte(c).and_then(|b| Some((b, continuation_count(b)?)))
        else {
            i += 1;
            continue;
        };
        let mut bytes = vec![lead];
        for k in 1..=need {
            match chars.get(i + k).copied().and_then(cp1252_byte) {
                Some(b @ 0x80..=0xBF) => bytes.push(b),
                _ => break,
            }
        }
        let decoded = (bytes.len() == need + 1)
            .then(|| std::str::from_utf8(&bytes).ok())
            .flatten()
            .and_then(|s| s.chars().next());
        match decoded {
            // C1 controls are never what a source meant.
            Some(r) if !('\u{80}'..='\u{9f}').contains(&r) => {
                // French puts a no-break space before a closing guillemet
                // or after `à` (`été\u{a0}»`, `à\u{a0}«`): after a lowercase
                // letter, it proves nothing alone. `Ã\u{a0}` (à) and
                // `Â\u{a0}` (no-break space) are mojibake.
                let french_marks = need > 1 && bytes.get(1..).is_some_and(|b| b.contains(&0xA0));
                out.push(Suspect {
                    at: i,
                    len: need + 1,
                    repaired: r,
                    strength: if french_marks {
                        Strength::WithAnother
                    } else {
                        strength(r)
                    },
                });
                i += need + 1;
            }
            _ => {
                if let Some(s) = space_lost(chars, i) {
                    out.push(s);
                }
                i += 1;
            }
        }
    }
    out
}

/// `Ã` and `Â` whose second byte, a no-break space (0xA0), was turned into
/// a plain space by a whitespace fold: `voilÃ  !`, `Ã  la`, `20Â $`. Only
/// where the capital cannot be meant: `Ã` after a lowercase letter, or
/// alone between spaces before a word; `Â` not after a capital (`SÃO`,
/// `IRMÃ`, `ÂGE` stay). The space stays: it was the nbsp's neighbour.
fn space_lost(chars: &[char], i: usize) -> Option<Suspect> {
    let c = *chars.get(i)?;
    if chars.get(i + 1) != Some(&' ') {
        return None;
    }
    // The no-break space became a space of its own, or merged with the
    // space after it.
    let own_space = chars.get(i + 2) == Some(&' ');
    let before = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
    let after_space = chars.get(i + if own_space { 3 } else { 2 }).copied();
    let repaired = match c {
        'Ã' => {
            let after_lower = before.is_some_and(char::is_lowercase);
            let alone = before.is_none_or(char::is_whitespace)
                && after_space.is_some_and(char::is_alphabetic);
            (after_lower || alone).then_some('à')?
        }
        'Â' => (!before.is_some_and(char::is_uppercase)).then_some('\u{a0}')?,
        _ => return None,
    };
    Some(Suspect {
        at: i,
        // The no-break space `Â` stood for was the space: it goes.
        len: if c == 'Â' || own_space { 2 } else { 1 },
        repaired,
        strength: Strength::Alone,
    })
}

/// One pass: the suspect sequences that qualify, replaced.
fn mojibake_once(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let found = suspects(&chars);
    if found.is_empty() {
        return None;
    }
    // The word of each char: sequences of one word vouch for each other.
    let mut word_of = Vec::with_capacity(chars.len());
    let mut word = 0usize;
    for c in &chars {
        if c.is_ascii_whitespace() {
            word += 1;
        }
        word_of.push(word);
    }
    let word_at = |at: usize| word_of.get(at).copied().unwrap_or(0);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut changed = false;
    for s in &found {
        let accepted = s.strength == Strength::Alone
            || found
                .iter()
                .filter(|o| word_at(o.at) == word_at(s.at))
                .count()
                >= 2;
        if !accepted {
            continue;
        }
        out.extend(chars.get(i..s.at).unwrap_or(&[]));
        out.push(s.repaired);
        i = s.at + s.len;
        changed = true;
    }
    out.extend(chars.get(i..).unwrap_or(&[]));
    changed.then_some(out)
}

/// How many suspect sequences a text holds.
fn suspect_count(s: &str) -> usize {
    let chars: Vec<char> = s.chars().collect();
    suspects(&chars).len()
}

/// Whether `s` has a lead character (U+00C2–U+00F4) followed by a
/// continuation character, or `Ã`/`Â` by a space: a cheap test that
/// correct text, French included, fails.
fn may_be_mojibake(s: &str) -> bool {
    let mut previous = '\0';
    for c in s.chars() {
        let continuation = ('\u{80}'..='\u{bf}').contains(&c)
            || (u32::from(c) > 0xff && cp1252_byte(c).is_some_and(|b| b >= 0x80));
        let lead = ('\u{c2}'..='\u{f4}').contains(&previous);
        if lead && continuation || matches!(previous, 'Ã' | 'Â') && c == ' ' {
            return true;
        }
        previous = c;
    }
    false
}

/// UTF-8 read as Windows-1252, repaired (see the module doc).
pub fn mojibake(s: &str) -> Cow<'_, str> {
    if !may_be_mojibake(s) {
        return Cow::Borrowed(s);
    }
    let mut current = s.to_string();
    // Each pass undoes one wrong decoding; three is already rare.
    for _ in 0..4 {
        match mojibake_once(&current) {
            Some(next) => current = next,
            None => break,
        }
    }
    if current == s || suspect_count(&current) >= suspect_count(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(current)
}

/// How many characters a wrong decoding lost (U+FFFD): text read as UTF-8
/// that was not. Nothing can bring them back.
pub fn lost_characters(s: &str) -> usize {
    s.chars().filter(|c| *c == '\u{fffd}').count()
}

// ---------------------------------------------------------------------------
// Typography.

/// The typographic apostrophe.
pub const APOSTROPHE: char = '\u{2019}';

/// Characters written for an apostrophe between two letters.
fn apostrophe_like(c: char) -> bool {
    matches!(c, '\'' | '`' | '\u{b4}' | '\u{2018}' | '\u{2bc}')
}

/// Whether a word is a URL or an e-mail address, where an apostrophe is a
/// character of the address.
fn is_address(word: &str) -> bool {
    word.contains("://") || word.contains('@') || word.starts_with("www.")
}

/// Apostrophes between letters to `’` (see the module doc).
pub fn apostrophes(s: &str) -> Cow<'_, str> {
    if !s.chars().any(apostrophe_like) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for (n, word) in s.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        // Lines inside a word (a description) are words too.
        for (m, part) in word.split('\n').enumerate() {
            if m > 0 {
                out.push('\n');
            }
            if is_address(part) {
                out.push_str(part);
                continue;
            }
            let chars: Vec<char> = part.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                let between_letters = i > 0
                    && chars.get(i - 1).is_some_and(|p| p.is_alphabetic())
                    && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
                if apostrophe_like(*c) && between_letters {
                    out.push(APOSTROPHE);
                } else {
                    out.push(*c);
                }
            }
        }
    }
    Cow::Owned(out)
}

/// [`apostrophes`] on the text of sanitized HTML, not inside its tags (the
/// link addresses). The markup must be well formed, as a sanitizer writes
/// it: `<` and `>` only around tags.
pub fn apostrophes_in_html(html: &str) -> Cow<'_, str> {
    if !html.chars().any(apostrophe_like) {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let (text, tag) = rest.split_at(open);
        out.push_str(&apostrophes(text));
        let close = tag.find('>').map_or(tag.len(), |c| c + 1);
        out.push_str(tag.get(..close).unwrap_or(tag));
        rest = tag.get(close..).unwrap_or("");
    }
    out.push_str(&apostrophes(rest));
    Cow::Owned(out)
}

/// A title's apostrophes and quotes in the style of its language (the
/// primary subtag, `fr` or `en`; other languages get the apostrophe only).
/// See the module doc.
pub fn typeset_title(title: &str, language: Option<&str>) -> String {
    let title = apostrophes(title);
    let (open, close) = match language {
        Some("fr") => ("«\u{a0}", "\u{a0}»"),
        Some("en") => ("\u{201c}", "\u{201d}"),
        _ => return title.into_owned(),
    };
    if !quotes_pair_cleanly(&title) {
        return title.into_owned();
    }
    let mut out = String::with_capacity(title.len() + 8);
    for (n, part) in title.split('"').enumerate() {
        if n > 0 {
            out.push_str(if n % 2 == 1 { open } else { close });
        }
        out.push_str(part);
    }
    out
}

/// Whether `s` has straight double quotes, in pairs, every one of them
/// opening or closing cleanly, in turn.
fn quotes_pair_cleanly(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut count = 0;
    for (i, c) in chars.iter().enumerate() {
        if *c != '"' {
            continue;
        }
        let before = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let after = chars.get(i + 1).copied();
        let clean = if count % 2 == 0 {
            before.is_none_or(|b| b.is_whitespace() || matches!(b, '(' | '[' | '-' | '—' | '–'))
                && after.is_some_and(|a| !a.is_whitespace() && a != '"')
        } else {
            before.is_some_and(|b| !b.is_whitespace() && !b.is_ascii_digit() && b != '"')
                && after.is_none_or(|a| {
                    a.is_whitespace() || matches!(a, ',' | '.' | ':' | ';' | '!' | '?' | ')' | ']')
                })
        };
        if !clean {
            return false;
        }
        count += 1;
    }
    count > 0 && count % 2 == 0
}

#[cfg(test)]
mod tests;
