//! JSON-LD blocks: from the text of a `<script type="application/ld+json">`
//! to JSON values, tolerating what real sites write (HTML comments or CDATA
//! around the JSON, trailing commas, raw control characters and invalid
//! escapes in strings, HTML entities instead of quotes).

use serde_json::Value;
use textkit::decode_entities;

/// True for a `type` attribute naming JSON-LD (any case, with parameters).
pub(crate) fn is_jsonld_type(ty: &str) -> bool {
    ty.split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
}

/// Parse one block; Err carries serde's message for a warning.
pub(crate) fn parse_block(raw: &str) -> Result<Value, String> {
    let text = strip_wrappers(raw);
    if text.is_empty() {
        return Ok(Value::Null);
    }
    let first = match serde_json::from_str::<Value>(text) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let cleaned = clean(text);
    if let Ok(v) = serde_json::from_str::<Value>(&cleaned) {
        return Ok(v);
    }
    if text.contains("&quot;") || text.contains("&#34;") || text.contains("&#034;") {
        let decoded = clean(&decode_entities(text));
        if let Ok(v) = serde_json::from_str::<Value>(&decoded) {
            return Ok(v);
        }
    }
    Err(first.to_string())
}

/// Remove `<!-- -->`, `<![CDATA[ ]]>` (possibly behind `//`) and a trailing `;`.
fn strip_wrappers(raw: &str) -> &str {
    let mut s = raw.trim().trim_start_matches('\u{feff}').trim();
    loop {
        let before = s.len();
        for prefix in ["<!--", "//<![CDATA[", "/*<![CDATA[*/", "<![CDATA["] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
            }
        }
        for suffix in ["-->", "//]]>", "/*]]>*/", "]]>", ";"] {
            if let Some(rest) = s.strip_suffix(suffix) {
                s = rest.trim_end();
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// Fix the usual breakage outside and inside strings in one pass.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_string = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                '\\' => match chars.next() {
                    Some(e @ ('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u')) => {
                        out.push('\\');
                        out.push(e);
                    }
                    // `\'` and other invalid escapes: keep the character.
                    Some(e) if (e as u32) >= 0x20 => out.push(e),
                    Some(_) | None => out.push(' '),
                },
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push(' '),
                c => out.push(c),
            }
        } else {
            match c {
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                ',' => {
                    // A comma followed (after blanks) by a closing bracket.
                    let mut look = chars.clone();
                    let next = loop {
                        match look.next() {
                            Some(w) if w.is_whitespace() => continue,
                            other => break other,
                        }
                    };
                    if !matches!(next, Some('}' | ']')) {
                        out.push(c);
                    }
                }
                c => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_attribute_variants() {
        assert!(is_jsonld_type("application/ld+json"));
        assert!(is_jsonld_type("Application/LD+JSON; charset=utf-8"));
        assert!(!is_jsonld_type("application/json"));
    }

    #[test]
    fn tolerated_breakage() {
        let v = parse_block("<!-- {\"a\": [1, 2,], \"b\": {\"c\": 1,},} -->").unwrap_or_default();
        assert_eq!(v["a"][1], 2);
        assert_eq!(v["b"]["c"], 1);
        let v = parse_block("{\"name\": \"ligne 1\nligne\t2 \\'x\\'\"}").unwrap_or_default();
        assert_eq!(v["name"], "ligne 1\nligne\t2 'x'");
        let v = parse_block("{&quot;name&quot;: &quot;Caf&eacute;&quot;}").unwrap_or_default();
        assert_eq!(v["name"], "Café");
        let v = parse_block("//<![CDATA[\n{\"a\": \"x, ]\"};\n//]]>").unwrap_or_default();
        assert_eq!(v["a"], "x, ]");
        assert!(parse_block("{\"a\": ").is_err());
        assert_eq!(parse_block("  "), Ok(Value::Null));
    }
}
