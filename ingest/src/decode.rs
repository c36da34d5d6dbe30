//! Bytes to text, never failing.
//!
//! [`decode`] picks the charset in this order: a byte-order mark (UTF-8,
//! UTF-16LE, UTF-16BE), the `charset=` of the Content-Type header, the
//! document's own declaration within its first 1024 bytes (`<meta charset>`,
//! `<meta http-equiv content="...; charset=...">`, `<?xml encoding="..."?>`),
//! else UTF-8 when the bytes are valid UTF-8, else Windows-1252 (which is
//! also what `ISO-8859-1` labels mean, as in every browser).
//!
//! Undeclared bytes that are *mostly* UTF-8 (valid multi-byte sequences with
//! a few stray bytes: a Latin-1 line pasted into a UTF-8 calendar) are read
//! sequence by sequence ([`decode_mixed`]): the UTF-8 stays UTF-8 and only
//! the stray bytes are read as Windows-1252, instead of the whole document
//! turning into mojibake ("Ã©").
//!
//! [`decode_utf8_first`] is the order that suits formats whose standard says
//! UTF-8 (iCalendar): a BOM, then valid UTF-8, then the Content-Type
//! charset, then Windows-1252.
//!
//! The BOM is always stripped.
//!
//! A document that *declares* UTF-8 (a UTF-8 BOM, the Content-Type charset,
//! its own declaration) but holds invalid bytes is read as UTF-8 with
//! U+FFFD in place of each invalid sequence ([`declared_utf8`]), so that its
//! valid text is never garbled; when it is mostly UTF-8 (valid multi-byte
//! sequences and a few stray bytes, the pasted Latin-1 line again) the stray
//! bytes are read as Windows-1252 instead, which recovers that line. The
//! `*_checked` variants say how many invalid sequences there were and where
//! the first one is ([`InvalidUtf8`]), for the parsers to warn about.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// How far into a document its own charset declaration is looked for.
const SNIFF_LIMIT: usize = 1024;

/// Invalid byte sequences in a document that declared UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// How many invalid sequences (each became one U+FFFD).
    pub count: usize,
    /// Byte offset of the first one in the decoded bytes.
    pub first_offset: usize,
    /// 1-based line of the first one.
    pub first_line: usize,
    /// The stray bytes were read as Windows-1252 (the rest being UTF-8),
    /// rather than replaced by U+FFFD.
    pub read_as_windows_1252: bool,
}

impl std::fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = if self.count == 1 { "" } else { "s" };
        write!(
            f,
            "declared UTF-8 but holds {} invalid byte sequence{plural} (the first at byte {}, line {}); {}",
            self.count,
            self.first_offset,
            self.first_line,
            if self.read_as_windows_1252 {
                "the UTF-8 kept, the stray bytes read as Windows-1252"
            } else {
                "read as UTF-8 with U+FFFD in their place"
            }
        )
    }
}

/// Text and what was wrong with the bytes, if anything worth a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub invalid_utf8: Option<InvalidUtf8>,
}

impl Decoded {
    fn clean(text: String) -> Decoded {
        Decoded {
            text,
            invalid_utf8: None,
        }
    }
}

/// Decode `bytes` to a String, never failing (see the module doc for the
/// order in which the charset is chosen).
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    decode_checked(bytes, content_type).text
}

/// [`decode`], saying whether a document declared UTF-8 held invalid bytes.
pub fn decode_checked(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        if encoding == UTF_8 {
            return declared_utf8(body);
        }
        return Decoded::clean(encoding.decode_without_bom_handling(body).0.into_owned());
    }
    let declared = content_type
        .and_then(charset_from_content_type)
        .or_else(|| charset_from_document(bytes));
    match declared {
        Some(encoding) if encoding == UTF_8 => declared_utf8(bytes),
        Some(encoding) => {
            Decoded::clean(encoding.decode_without_bom_handling(bytes).0.into_owned())
        }
        None => Decoded::clean(match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => decode_mixed(bytes),
        }),
    }
}

/// Bytes that declare UTF-8: [`utf8_lossy`], or, when they are mostly
/// UTF-8 (valid multi-byte sequences besides the invalid ones),
/// [`decode_mixed`]; the invalid sequences counted either way.
pub fn declared_utf8(bytes: &[u8]) -> Decoded {
    let lossy = utf8_lossy(bytes);
    match lossy.invalid_utf8 {
        Some(invalid) if has_utf8_multibyte(bytes) => Decoded {
            text: decode_mixed(bytes),
            invalid_utf8: Some(InvalidUtf8 {
                read_as_windows_1252: true,
                ..invalid
            }),
        },
        _ => lossy,
    }
}

/// `bytes` as UTF-8, each invalid sequence replaced by U+FFFD (as
/// `String::from_utf8_lossy` does), counting them. One pass, linear.
pub fn utf8_lossy(bytes: &[u8]) -> Decoded {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut count = 0usize;
    let mut first_offset = None;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // `good` was just checked to be valid UTF-8.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push('\u{FFFD}');
                count += 1;
                if first_offset.is_none() {
                    first_offset = Some(bytes.len() - bad.len());
                }
                let skip = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                rest = bad.get(skip..).unwrap_or_default();
            }
        }
    }
    let invalid_utf8 = first_offset.map(|first_offset| InvalidUtf8 {
        count,
        first_offset,
        first_line: 1 + bytes
            .get(..first_offset)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        read_as_windows_1252: false,
    });
    Decoded {
        text: out,
        invalid_utf8,
    }
}

/// Bytes that are not valid UTF-8 and declare no charset: when they hold
/// valid multi-byte UTF-8 sequences, those are kept as UTF-8 and each stray
/// byte is read as Windows-1252; with none, the whole is Windows-1252.
pub fn decode_mixed(bytes: &[u8]) -> String {
    if !has_utf8_multibyte(bytes) {
        return WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned();
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // `good` was just checked to be valid UTF-8.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let stray = e.error_len().unwrap_or(bad.len()).max(1);
                let (stray, after) = bad.split_at(stray.min(bad.len()));
                out.push_str(&WINDOWS_1252.decode_without_bom_handling(stray).0);
                rest = after;
            }
        }
    }
}

/// Whether `bytes` hold at least one valid multi-byte UTF-8 sequence.
fn has_utf8_multibyte(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while !rest.is_empty() {
        let (good, after) = match std::str::from_utf8(rest) {
            Ok(text) => (text, &[][..]),
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                let skip = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                (std::str::from_utf8(good).unwrap_or_default(), &bad[skip..])
            }
        };
        if good.len() != good.chars().count() {
            return true;
        }
        rest = after;
    }
    false
}

/// Decode bytes of a format that is UTF-8 by standard: a BOM first, then
/// UTF-8 when the bytes are valid UTF-8 (without copying them), then the
/// Content-Type charset (UTF-8 with replacement when it says UTF-8), else
/// the stray bytes as Windows-1252 ([`decode_mixed`]). Never fails.
pub fn decode_utf8_first(bytes: Vec<u8>, content_type: Option<&str>) -> String {
    decode_utf8_first_checked(bytes, content_type).text
}

/// [`decode_utf8_first`], saying whether bytes declared UTF-8 (a UTF-8 BOM
/// or the Content-Type charset) were invalid.
pub fn decode_utf8_first_checked(bytes: Vec<u8>, content_type: Option<&str>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        if encoding == UTF_8 {
            return declared_utf8(body);
        }
        return Decoded::clean(encoding.decode_without_bom_handling(body).0.into_owned());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Decoded::clean(text),
        Err(err) => {
            let bytes = err.into_bytes();
            match content_type.and_then(charset_from_content_type) {
                Some(encoding) if encoding == UTF_8 => declared_utf8(&bytes),
                Some(encoding) => {
                    Decoded::clean(encoding.decode_without_bom_handling(&bytes).0.into_owned())
                }
                None => Decoded::clean(decode_mixed(&bytes)),
            }
        }
    }
}

/// The encoding named by the `charset` parameter of a Content-Type value
/// (`text/calendar; charset="ISO-8859-1"`), when it names a known one.
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let label = value.trim().trim_matches(|c| c == '"' || c == '\'');
        encoding_for_label(label.as_bytes())
    })
}

/// The encoding a document declares for itself within its first 1024 bytes:
/// an XML declaration's `encoding`, or an HTML `<meta>` carrying `charset`.
/// A declared UTF-16 without a BOM means UTF-8 (the bytes could not have
/// been read as ASCII otherwise), as browsers do.
pub fn charset_from_document(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes.get(..bytes.len().min(SNIFF_LIMIT))?;
    let lower = head.to_ascii_lowercase();
    let found = xml_declared(&lower).or_else(|| meta_declared(&lower))?;
    if found == UTF_16LE || found == UTF_16BE {
        Some(UTF_8)
    } else {
        Some(found)
    }
}

/// A label to an encoding, ignoring labels that only mean "replace
/// everything" and treating `x-user-defined` as Windows-1252.
fn encoding_for_label(label: &[u8]) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label_no_replacement(label)?;
    if encoding == encoding_rs::X_USER_DEFINED {
        Some(WINDOWS_1252)
    } else {
        Some(encoding)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `<?xml version="1.0" encoding="ISO-8859-1"?>` at the start of `lower`.
fn xml_declared(lower: &[u8]) -> Option<&'static Encoding> {
    let start = lower.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = lower.get(start..)?;
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = find(rest, b"?>").unwrap_or(rest.len());
    let decl = rest.get(..end)?;
    let at = find(decl, b"encoding")?;
    label_after_equals(decl.get(at + b"encoding".len()..)?)
}

/// `<meta charset="...">` or `<meta ... content="text/html; charset=...">`.
fn meta_declared(lower: &[u8]) -> Option<&'static Encoding> {
    let mut rest = lower;
    while let Some(at) = find(rest, b"<meta") {
        let tag_start = rest.get(at + b"<meta".len()..)?;
        let tag_end = tag_start
            .iter()
            .position(|&b| b == b'>')
            .unwrap_or(tag_start.len());
        let tag = tag_start.get(..tag_end)?;
        let mut search = tag;
        while let Some(c) = find(search, b"charset") {
            let after = search.get(c + b"charset".len()..)?;
            if let Some(encoding) = label_after_equals(after) {
                return Some(encoding);
            }
            search = after;
        }
        rest = tag_start.get(tag_end..)?;
    }
    None
}

/// After a parameter name: optional spaces, `=`, optional spaces, an
/// optionally quoted label.
fn label_after_equals(bytes: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    if bytes.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    if matches!(bytes.get(i), Some(b'"') | Some(b'\'')) {
        i += 1;
    }
    let rest = bytes.get(i..)?;
    let len = rest
        .iter()
        .position(|&b| {
            matches!(b, b'"' | b'\'' | b';' | b'>' | b'/' | b'?') || b.is_ascii_whitespace()
        })
        .unwrap_or(rest.len());
    encoding_for_label(rest.get(..len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Théâtre d'été" in Windows-1252.
    const LATIN: &[u8] = b"Th\xe9\xe2tre d'\xe9t\xe9";

    #[test]
    fn mostly_utf8_keeps_its_utf8_and_reads_stray_bytes_as_windows_1252() {
        // A UTF-8 calendar with one line pasted in Latin-1 ("Théâtre").
        let mut bytes = "SUMMARY:Été à Laval\nLOCATION:".as_bytes().to_vec();
        bytes.extend_from_slice(b"Th\xe9\xe2tre\n");
        assert_eq!(
            decode(&bytes, None),
            "SUMMARY:Été à Laval\nLOCATION:Théâtre\n"
        );
        assert_eq!(
            decode_utf8_first(bytes, None),
            "SUMMARY:Été à Laval\nLOCATION:Théâtre\n"
        );
        // Only Latin-1: read whole as Windows-1252, as before.
        assert_eq!(decode(b"Caf\xe9 \x96 \x93x\x94", None), "Café – “x”");
        // A truncated sequence at the very end.
        assert_eq!(
            decode(
                "é".as_bytes()
                    .iter()
                    .chain(b"\xc3")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
                None
            ),
            "éÃ"
        );
        // A declared UTF-8 document keeps the replacement character.
        assert_eq!(
            decode(b"a\xe9b", Some("text/html; charset=utf-8")),
            "a\u{fffd}b"
        );
    }

    #[test]
    fn utf8_bom_is_stripped() {
        assert_eq!(decode(b"\xef\xbb\xbfCaf\xc3\xa9", None), "Café");
    }

    #[test]
    fn utf16_boms_are_honoured() {
        let le = [0xFF, 0xFE, b'E', 0, 0xE9, 0];
        assert_eq!(decode(&le, None), "Eé");
        let be = [0xFE, 0xFF, 0, b'E', 0, 0xE9];
        assert_eq!(decode(&be, None), "Eé");
    }

    #[test]
    fn bom_wins_over_the_header() {
        assert_eq!(
            decode(
                b"\xef\xbb\xbf\xc3\xa9",
                Some("text/html; charset=iso-8859-1")
            ),
            "é"
        );
    }

    #[test]
    fn content_type_charset_is_used() {
        assert_eq!(
            decode(LATIN, Some("text/calendar; charset=ISO-8859-1")),
            "Théâtre d'été"
        );
        assert_eq!(
            decode(LATIN, Some("text/html;charset=\"windows-1252\"")),
            "Théâtre d'été"
        );
        // A header charset wins over valid UTF-8 bytes.
        assert_eq!(
            decode(b"\xc3\xa9", Some("text/plain; charset=latin1")),
            "Ã©"
        );
    }

    #[test]
    fn unknown_header_charset_falls_through() {
        assert_eq!(decode(b"\xc3\xa9", Some("text/html; charset=bogus")), "é");
        assert_eq!(decode(LATIN, Some("text/html")), "Théâtre d'été");
    }

    #[test]
    fn meta_charset_is_used() {
        let mut page =
            b"<!doctype html><html><head><meta charset=\"iso-8859-1\"></head><body>".to_vec();
        page.extend_from_slice(LATIN);
        assert!(decode(&page, None).ends_with("<body>Théâtre d'été"));
    }

    #[test]
    fn meta_http_equiv_is_used() {
        let mut page = b"<html><head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1252\"><title>".to_vec();
        page.extend_from_slice(b"\x93x\x94");
        assert!(decode(&page, None).ends_with("<title>\u{201c}x\u{201d}"));
    }

    #[test]
    fn meta_utf16_means_utf8() {
        let page = b"<meta charset=utf-16><p>\xc3\xa9";
        assert!(decode(page, None).ends_with("<p>é"));
    }

    #[test]
    fn xml_declaration_is_used() {
        let mut doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><title>".to_vec();
        doc.extend_from_slice(LATIN);
        assert!(decode(&doc, None).ends_with("<title>Théâtre d'été"));
        let single = b"<?xml version='1.0' encoding='utf-8'?><a>\xc3\xa9</a>";
        assert_eq!(
            decode(single, None),
            "<?xml version='1.0' encoding='utf-8'?><a>é</a>"
        );
    }

    #[test]
    fn declaration_after_1024_bytes_is_ignored() {
        let mut page = vec![b' '; 1100];
        page.extend_from_slice(b"<meta charset=\"iso-8859-1\">\xc3\xa9");
        assert!(decode(&page, None).ends_with('é'));
    }

    #[test]
    fn valid_utf8_is_utf8_and_invalid_is_windows_1252() {
        assert_eq!(decode("Été à Laval".as_bytes(), None), "Été à Laval");
        assert_eq!(decode(LATIN, None), "Théâtre d'été");
        assert_eq!(decode(b"", None), "");
    }

    #[test]
    fn utf8_first_order() {
        // Valid UTF-8 wins over a wrong header.
        assert_eq!(
            decode_utf8_first(
                b"\xc3\xa9".to_vec(),
                Some("text/calendar; charset=iso-8859-1")
            ),
            "é"
        );
        // Invalid UTF-8: the header's charset.
        let koi8 = decode_utf8_first(vec![0xC1, 0xC2], Some("text/calendar; charset=koi8-r"));
        assert_eq!(koi8, "аб");
        // Invalid UTF-8 and no header charset: the stray bytes as Windows-1252.
        assert_eq!(decode_utf8_first(LATIN.to_vec(), None), "Théâtre d'été");
        // Invalid UTF-8 that the header declares UTF-8: UTF-8 with
        // replacement (see `declared_utf8_with_invalid_bytes_is_counted`).
        assert_eq!(
            decode_utf8_first(LATIN.to_vec(), Some("text/calendar; charset=utf-8")),
            "Th\u{fffd}\u{fffd}tre d'\u{fffd}t\u{fffd}"
        );
        // The BOM first, and stripped.
        assert_eq!(
            decode_utf8_first(b"\xef\xbb\xbfBEGIN".to_vec(), None),
            "BEGIN"
        );
        assert_eq!(decode_utf8_first(vec![0xFF, 0xFE, b'B', 0], None), "B");
    }

    #[test]
    fn content_type_parsing() {
        assert_eq!(charset_from_content_type("text/calendar"), None);
        assert_eq!(
            charset_from_content_type("text/calendar; Charset = UTF-8"),
            Some(UTF_8)
        );
        assert_eq!(
            charset_from_content_type("text/html; x=1; charset='latin1'"),
            Some(WINDOWS_1252)
        );
        assert_eq!(charset_from_content_type("charset=utf-8"), None);
    }

    #[test]
    fn declared_utf8_with_invalid_bytes_is_counted() {
        // Valid UTF-8 text with two stray Latin-1 bytes on line 2, declared
        // UTF-8: the valid text stays intact (no "Ã©"), the stray bytes are
        // read as Windows-1252, and counted.
        let mut bytes = "Été\nà Laval ".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xe9t\xe9");
        let offset = "Été\nà Laval ".len();
        let expected = "Été\nà Laval été";
        let want = Some(InvalidUtf8 {
            count: 2,
            first_offset: offset,
            first_line: 2,
            read_as_windows_1252: true,
        });
        let d = decode_checked(&bytes, Some("text/calendar; charset=UTF-8"));
        assert_eq!(d.text, expected);
        assert_eq!(d.invalid_utf8, want);
        let d = decode_utf8_first_checked(bytes.clone(), Some("text/calendar; charset=utf-8"));
        assert_eq!(d.text, expected);
        assert_eq!(d.invalid_utf8, want);
        // Declared by the document itself, or by a UTF-8 BOM.
        let mut doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>".to_vec();
        doc.extend_from_slice(b"\xff</a>");
        let d = decode_checked(&doc, None);
        assert_eq!(
            d.text,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\u{fffd}</a>"
        );
        assert_eq!(
            d.invalid_utf8.map(|i| (i.count, i.first_offset)),
            Some((1, 41))
        );
        let d = decode_utf8_first_checked(b"\xef\xbb\xbfa\xffb".to_vec(), None);
        assert_eq!(d.text, "a\u{fffd}b");
        assert_eq!(d.invalid_utf8.map(|i| i.count), Some(1));
        let message = d.invalid_utf8.map(|i| i.to_string()).unwrap_or_default();
        assert!(
            message.contains("1 invalid byte sequence (the first at byte 1, line 1)"),
            "{message}"
        );
        // Undeclared: no warning, the mixed reading as before.
        let d = decode_checked(&bytes, None);
        assert_eq!(d.text, "Été\nà Laval été");
        assert_eq!(d.invalid_utf8, None);
        // Declared, no valid multi-byte UTF-8 at all: U+FFFD, counted.
        let d = decode_checked(b"a\xe9b\xffc", Some("text/html; charset=utf-8"));
        assert_eq!(d.text, "a\u{fffd}b\u{fffd}c");
        assert_eq!(
            d.invalid_utf8,
            Some(InvalidUtf8 {
                count: 2,
                first_offset: 1,
                first_line: 1,
                read_as_windows_1252: false
            })
        );
        // Valid declared UTF-8: nothing to say.
        assert_eq!(
            decode_checked("é".as_bytes(), Some("text/plain; charset=utf-8")).invalid_utf8,
            None
        );
    }

    #[test]
    fn utf8_lossy_is_linear_on_all_invalid_bytes() {
        // A megabyte of nothing but invalid bytes: one U+FFFD each, counted.
        let d = utf8_lossy(&vec![0xFFu8; 1 << 20]);
        assert_eq!(d.text.chars().count(), 1 << 20);
        assert_eq!(
            d.invalid_utf8.map(|i| (i.count, i.first_offset)),
            Some((1 << 20, 0))
        );
    }
}
