//! Physical lines to content lines.
//!
//! [`unfold`] works on BYTES, before any decoding, so that a fold that
//! splits a multi-byte UTF-8 character (as many producers do when they fold
//! at exactly 75 octets) is repaired. It accepts CRLF, LF and lone CR line
//! ends and remembers, for every logical line, the number of its first
//! physical line. [`ContentLine::parse`] splits `NAME;PARAM=v;P="q:v":VALUE`
//! without allocating.

/// The unfolded document: logical lines joined by `\n`, and the 1-based
/// physical line number where each logical line starts.
pub(crate) struct Unfolded {
    pub bytes: Vec<u8>,
    pub line_numbers: Vec<usize>,
}

/// Join folded lines (a line starting with a space or a tab continues the
/// previous one, minus that first character). Blank lines are dropped.
pub(crate) fn unfold(input: &[u8]) -> Unfolded {
    let mut bytes = Vec::with_capacity(input.len());
    let mut line_numbers = Vec::with_capacity(input.len() / 40 + 1);
    let mut physical = 0usize;
    let mut rest = input;
    while !rest.is_empty() {
        physical += 1;
        let len = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let line = rest.get(..len).unwrap_or_default();
        let mut next = len;
        if rest.get(next) == Some(&b'\r') {
            next += 1;
        }
        if rest.get(next) == Some(&b'\n') {
            next += 1;
        }
        rest = rest.get(next..).unwrap_or_default();
        match line.first() {
            None => {}
            Some(b' ' | b'\t') if !line_numbers.is_empty() => {
                bytes.extend_from_slice(line.get(1..).unwrap_or_default());
            }
            Some(_) => {
                if !line_numbers.is_empty() {
                    bytes.push(b'\n');
                }
                bytes.extend_from_slice(line);
                line_numbers.push(physical);
            }
        }
    }
    Unfolded {
        bytes,
        line_numbers,
    }
}

/// One content line, borrowed from the unfolded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentLine<'a> {
    pub name: &'a str,
    /// The raw parameter section, between the first `;` and the value's `:`.
    params: &'a str,
    pub value: &'a str,
}

impl<'a> ContentLine<'a> {
    /// Split a logical line; `None` when it is not a content line (no
    /// colon, or a name that is not `[A-Za-z0-9_-]+`).
    pub fn parse(line: &'a str) -> Option<ContentLine<'a>> {
        let line = line.trim_start();
        let bytes = line.as_bytes();
        let name_len = bytes
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))?;
        if name_len == 0 {
            return None;
        }
        let name = line.get(..name_len)?;
        match bytes.get(name_len)? {
            b':' => Some(ContentLine {
                name,
                params: "",
                value: line.get(name_len + 1..)?,
            }),
            b';' => {
                let after = line.get(name_len + 1..)?;
                let colon = value_colon(after.as_bytes())?;
                Some(ContentLine {
                    name,
                    params: after.get(..colon)?,
                    value: after.get(colon + 1..)?,
                })
            }
            _ => None,
        }
    }

    /// The value of parameter `wanted` (case-insensitive name), without its
    /// surrounding quotes.
    pub fn param(&self, wanted: &str) -> Option<&'a str> {
        self.params_iter()
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(wanted))
            .map(|(_, value)| {
                let value = value.trim();
                value
                    .strip_prefix('"')
                    .map(|v| v.strip_suffix('"').unwrap_or(v))
                    .unwrap_or(value)
            })
    }

    /// Whether parameter `wanted` equals `expected` (both case-insensitive).
    pub fn param_is(&self, wanted: &str, expected: &str) -> bool {
        self.param(wanted)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
    }

    fn params_iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let mut rest = Some(self.params);
        std::iter::from_fn(move || loop {
            let current = rest?;
            let bytes = current.as_bytes();
            let mut quoted = false;
            let mut end = bytes.len();
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'"' => quoted = !quoted,
                    b';' if !quoted => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let param = current.get(..end)?;
            rest = current.get(end + 1..);
            if let Some(pair) = param.split_once('=') {
                return Some(pair);
            }
        })
    }
}

/// Where the value starts in the text after the first `;`: the first colon
/// outside quotes and outside parentheses (Outlook writes unquoted
/// `TZID=(UTC-05:00) Eastern Time (US & Canada):2026...`), else the first
/// colon outside quotes, else the first colon.
fn value_colon(bytes: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth = depth.saturating_sub(1),
            b':' if !quoted && depth == 0 => return Some(i),
            _ => {}
        }
    }
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return Some(i),
            _ => {}
        }
    }
    bytes.iter().position(|&b| b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> (Vec<String>, Vec<usize>) {
        let u = unfold(input);
        let text = String::from_utf8(u.bytes).unwrap();
        let lines = if text.is_empty() {
            Vec::new()
        } else {
            text.split('\n').map(str::to_string).collect()
        };
        (lines, u.line_numbers)
    }

    #[test]
    fn unfolds_every_line_ending() {
        let (l, n) = lines(b"A:1\r\nB:2\nC:3\rD:4");
        assert_eq!(l, ["A:1", "B:2", "C:3", "D:4"]);
        assert_eq!(n, [1, 2, 3, 4]);
    }

    #[test]
    fn unfolds_continuations_and_keeps_first_line_numbers() {
        let (l, n) = lines(b"SUMMARY:Con\r\n cert\r\n\tde No\xc3\r\n \xabl\r\n\r\nX:y\r\n");
        assert_eq!(l, ["SUMMARY:Concertde No\u{eb}l", "X:y"]);
        assert_eq!(n, [1, 6]);
    }

    #[test]
    fn leading_continuation_and_blank_input() {
        let (l, n) = lines(b" BEGIN:VCALENDAR\n");
        assert_eq!(l, [" BEGIN:VCALENDAR"]);
        assert_eq!(n, [1]);
        assert_eq!(lines(b"").0.len(), 0);
        assert_eq!(lines(b"\r\n\r\n\n").0.len(), 0);
    }

    #[test]
    fn splits_content_lines() {
        let c = ContentLine::parse("DTSTART;TZID=America/Toronto:20261205T200000").unwrap();
        assert_eq!(c.name, "DTSTART");
        assert_eq!(c.value, "20261205T200000");
        assert_eq!(c.param("tzid"), Some("America/Toronto"));
        assert_eq!(c.param("VALUE"), None);

        let c = ContentLine::parse("summary:a:b").unwrap();
        assert_eq!((c.name, c.value), ("summary", "a:b"));

        let c =
            ContentLine::parse(r#"ATTACH;FMTTYPE=image/jpeg;X-LABEL="a;b:c":https://x.org/a.jpg"#)
                .unwrap();
        assert_eq!(c.value, "https://x.org/a.jpg");
        assert_eq!(c.param("x-label"), Some("a;b:c"));
        assert!(c.param_is("FmtType", "IMAGE/JPEG"));
    }

    #[test]
    fn outlook_tzids() {
        let c =
            ContentLine::parse(r#"DTSTART;TZID="Eastern Standard Time":20261205T200000"#).unwrap();
        assert_eq!(c.param("TZID"), Some("Eastern Standard Time"));
        let c = ContentLine::parse(
            "DTSTART;TZID=(UTC-05:00) Eastern Time (US & Canada):20261205T200000",
        )
        .unwrap();
        assert_eq!(
            c.param("TZID"),
            Some("(UTC-05:00) Eastern Time (US & Canada)")
        );
        assert_eq!(c.value, "20261205T200000");
        // An unbalanced parenthesis falls back to the first colon.
        let c = ContentLine::parse("ORGANIZER;CN=Ann (x:mailto:a@b.c").unwrap();
        assert_eq!(c.value, "mailto:a@b.c");
    }

    #[test]
    fn refuses_junk() {
        for junk in [
            "no colon here",
            "<html>",
            ":value",
            "NAME",
            "NAME;PARAM=x",
            "é:x",
            "A B:c",
        ] {
            assert_eq!(ContentLine::parse(junk), None, "{junk:?}");
        }
    }
}
