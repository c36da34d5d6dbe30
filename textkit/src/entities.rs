//! HTML character references: the one decoder.
//!
//! [`decode_entities`] follows what browsers do with the references found in
//! event titles and descriptions:
//! * named references from [`named`] (XML's five, all of Latin-1, the
//!   typographic ones and a few HTML5 names), `&amp;` and friends also in
//!   capitals;
//! * decimal (`&#233;`) and hexadecimal (`&#xE9;`) references, with or
//!   without the closing `;`; 128–159 mean their Windows-1252 characters
//!   (`&#146;` is `’`), and a code point that is not a character (0,
//!   surrogates, beyond U+10FFFF, too many digits) becomes U+FFFD;
//! * the legacy names written without `;` in the wild (`&amp`, `&copy`...),
//!   only when no letter or digit follows;
//! * anything else (`R&D`, `&unknown;`, a lone `&`) is kept as written.

/// Decode HTML character references (see the module doc). Never panics.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    rewrite_ampersands(s, decode_one)
}

/// Each `&` of `s` and what follows it, rewritten: `at` gets the text after
/// the `&` and answers the character to write instead and how many bytes
/// of that text it stands for, or None to keep the `&`.
pub(crate) fn rewrite_ampersands(s: &str, at: impl Fn(&str) -> Option<(char, usize)>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        let body = after.get(1..).unwrap_or("");
        match at(body) {
            Some((c, used)) => {
                out.push(c);
                rest = body.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = body;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Names browsers decode without their `;`.
const LEGACY: [&str; 7] = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

/// Decode the reference at the start of `body` (after `&`): the character
/// and how many bytes of `body` it used.
fn decode_one(body: &str) -> Option<(char, usize)> {
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
        if len == 0 {
            return None;
        }
        let mut used = skip + len;
        if digits.get(len..len + 1) == Some(";") {
            used += 1;
        }
        // Every digit belongs to the reference, as in HTML5: a value too
        // large for u32 is out of range like any other.
        let c = u32::from_str_radix(digits.get(..len)?, radix)
            .ok()
            .and_then(numeric)
            .unwrap_or('\u{fffd}');
        return Some((c, used));
    }
    let len = body
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(32)
        .count();
    if len == 0 {
        return None;
    }
    let name = body.get(..len)?;
    if body.get(len..len + 1) == Some(";") {
        return named(name).map(|c| (c, len + 1));
    }
    if !LEGACY.contains(&name) {
        return None;
    }
    named(name).map(|c| (c, len))
}

/// The character a numeric reference means, if it is one.
fn numeric(value: u32) -> Option<char> {
    match value {
        0x80..=0x9f => cp1252(value),
        _ => char::from_u32(value).filter(|c| *c != '\0'),
    }
}

/// Windows-1252 characters that numeric references in 128–159 mean.
fn cp1252(v: u32) -> Option<char> {
    Some(match v {
        0x80 => '€',
        0x82 => '‚',
        0x83 => 'ƒ',
        0x84 => '„',
        0x85 => '…',
        0x86 => '†',
        0x87 => '‡',
        0x88 => 'ˆ',
        0x89 => '‰',
        0x8a => 'Š',
        0x8b => '‹',
        0x8c => 'Œ',
        0x8e => 'Ž',
        0x91 => '\u{2018}',
        0x92 => '\u{2019}',
        0x93 => '\u{201c}',
        0x94 => '\u{201d}',
        0x95 => '•',
        0x96 => '–',
        0x97 => '—',
        0x98 => '˜',
        0x99 => '™',
        0x9a => 'š',
        0x9b => '›',
        0x9c => 'œ',
        0x9e => 'ž',
        0x9f => 'Ÿ',
        _ => return None,
    })
}

/// The character of a named reference (`eacute` → `é`), without `&` and
/// `;`: XML's, all of Latin-1, and the common typographic ones. Also for
/// the XML readers, which meet HTML names in feeds.
pub fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "iexcl" => '¡',
        "cent" => '¢',
        "pound" => '£',
        "curren" => '¤',
        "yen" => '¥',
        "brvbar" => '¦',
        "sect" => '§',
        "uml" => '¨',
        "copy" | "COPY" => '©',
        "ordf" => 'ª',
        "laquo" => '«',
        "not" => '¬',
        "shy" => '\u{ad}',
        "reg" | "REG" => '®',
        "macr" => '¯',
        "deg" => '°',
        "plusmn" => '±',
        "sup2" => '²',
        "sup3" => '³',
        "acute" => '´',
        "micro" => 'µ',
        "para" => '¶',
        "middot" => '·',
        "cedil" => '¸',
        "sup1" => '¹',
        "ordm" => 'º',
        "raquo" => '»',
        "frac14" => '¼',
        "frac12" => '½',
        "frac34" => '¾',
        "iquest" => '¿',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Atilde" => 'Ã',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Igrave" => 'Ì',
        "Iacute" => 'Í',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "ETH" => 'Ð',
        "Ntilde" => 'Ñ',
        "Ograve" => 'Ò',
        "Oacute" => 'Ó',
        "Ocirc" => 'Ô',
        "Otilde" => 'Õ',
        "Ouml" => 'Ö',
        "times" => '×',
        "Oslash" => 'Ø',
        "Ugrave" => 'Ù',
        "Uacute" => 'Ú',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        "Yacute" => 'Ý',
        "THORN" => 'Þ',
        "szlig" => 'ß',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "eth" => 'ð',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "divide" => '÷',
        "oslash" => 'ø',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "thorn" => 'þ',
        "yuml" => 'ÿ',
        "OElig" => 'Œ',
        "oelig" => 'œ',
        "Scaron" => 'Š',
        "scaron" => 'š',
        "Yuml" => 'Ÿ',
        "fnof" => 'ƒ',
        "circ" => 'ˆ',
        "tilde" => '˜',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        "lrm" => '\u{200e}',
        "rlm" => '\u{200f}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "sbquo" => '‚',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "bdquo" => '„',
        "dagger" => '†',
        "Dagger" => '‡',
        "bull" => '•',
        "hellip" => '…',
        "permil" => '‰',
        "prime" => '′',
        "Prime" => '″',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "oline" => '‾',
        "euro" => '€',
        "trade" => '™',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "harr" => '↔',
        "hearts" => '♥',
        "spades" => '♠',
        "clubs" => '♣',
        "diams" => '♦',
        "star" => '☆',
        "check" => '✓',
        "minus" => '−',
        "infin" => '∞',
        "le" => '≤',
        "ge" => '≥',
        "ne" => '≠',
        "asymp" => '≈',
        "loz" => '◊',
        "numero" => '№',
        "half" => '½',
        "dash" | "hyphen" => '‐',
        "period" => '.',
        "comma" => ',',
        "colon" => ':',
        "excl" => '!',
        "quest" => '?',
        "lpar" => '(',
        "rpar" => ')',
        "sol" => '/',
        "num" => '#',
        "dollar" => '$',
        "percnt" => '%',
        "commat" => '@',
        "NewLine" => '\n',
        "Tab" => '\t',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_named_numeric_and_broken() {
        assert_eq!(
            decode_entities("Caf&eacute; &amp; th&#233;&acirc;tre"),
            "Café & théâtre"
        );
        assert_eq!(decode_entities("A &#8211; B &#x2019;"), "A – B ’");
        assert_eq!(
            decode_entities("Les Belles-s&oelig;urs"),
            "Les Belles-sœurs"
        );
        assert_eq!(
            decode_entities("R&D & co &unknown; &"),
            "R&D & co &unknown; &"
        );
        // Was kept as written by the HTML parsers' copy, and became
        // "\u{fffd}999;" in normalize's (it read 8 digits): out of range
        // like `&#x110000;`, so U+FFFD as in HTML5.
        assert_eq!(decode_entities("&#99999999999;"), "\u{fffd}");
        assert_eq!(decode_entities("&#0;"), "\u{fffd}");
    }

    #[test]
    fn numeric_references_without_semicolon_and_windows_1252() {
        assert_eq!(decode_entities("&#233t&#xe9;"), "été");
        assert_eq!(
            decode_entities("&#128; &#x9C;uvre &#x81;"),
            "€ œuvre \u{fffd}"
        );
        assert_eq!(decode_entities("&#0000000233;"), "é");
        assert_eq!(decode_entities("&#x110000; &#xD800;"), "\u{fffd} \u{fffd}");
        assert_eq!(decode_entities("&#; &#x; &#"), "&#; &#x; &#");
    }

    #[test]
    fn legacy_names_without_semicolon_only_before_a_non_alphanumeric() {
        assert_eq!(
            decode_entities("a &amp b &copy 2026 &lt;"),
            "a & b © 2026 <"
        );
        assert_eq!(
            decode_entities("&copy2026 &ampx &eacute x"),
            "&copy2026 &ampx &eacute x"
        );
        assert_eq!(decode_entities("&AMP; &QUOT; &Prime;"), "& \" ″");
    }

    #[test]
    fn named_knows_every_name_the_parsers_met() {
        for (name, c) in [
            ("nbsp", '\u{a0}'),
            ("yuml", 'ÿ'),
            ("OElig", 'Œ'),
            ("trade", '™'),
            ("hellip", '…'),
            ("rsquo", '\u{2019}'),
            ("deg", '°'),
            ("numero", '№'),
        ] {
            assert_eq!(named(name), Some(c), "{name}");
        }
        assert_eq!(named("unknown"), None);
        assert_eq!(named(""), None);
    }
}
