//! Why a source could not be read, in words the council's staff act on.
//!
//! The store keeps, per source, the stable class of its last error
//! (`ingest::FetchError::class` and `ingest::ReadError::class`: `timeout`,
//! `status_4xx`, `wrong_kind`, ...; `internal` from the pipeline) and its
//! raw message (`https://...: HTTP status 404`). The JSON API and the CLI
//! give both as they are; pages that people read (`/sources`, the staff
//! console) show [`explain`]: one sentence, French first, saying what
//! happened and what to do. The raw message only refines the sentence
//! (which 4xx status, which kind of refusal) or, for an error passed on
//! without its class, tells the class by its wording; it never appears
//! in the sentence.
//!
//! `publish` does not depend on `ingest`, so the classes are matched here
//! as the strings the store holds; a class this module does not know reads
//! as a generic failure rather than as its name.

use crate::i18n::{self, FluentValue};

/// The sentence explaining an error of class `class` (as stored with the
/// source) whose raw message is `message`, in `lang`. Without a class (an
/// error passed on as text only, such as a preview's), the class is read
/// from the message's wording when `ingest` worded it.
pub fn explain(lang: &str, class: Option<&str>, message: Option<&str>) -> String {
    let message = message.unwrap_or_default();
    let code = status_code(message);
    let class = class.or_else(|| class_of(message));
    let (id, code) = match class.unwrap_or_default() {
        "invalid_url" => ("source-error-invalid-url", None),
        "timeout" => ("source-error-timeout", None),
        "tls" => ("source-error-tls", None),
        "dns" => ("source-error-dns", None),
        "connect" => ("source-error-connect", None),
        "refused" => (refusal(message), None),
        "status_4xx" => match code {
            Some(404) => ("source-error-not-found", None),
            Some(c @ (401 | 403 | 407)) => ("source-error-forbidden", Some(c)),
            Some(410) => ("source-error-gone", None),
            Some(429) => ("source-error-rate-limited", None),
            c => ("source-error-client", Some(c.unwrap_or(0))),
        },
        "status_5xx" => ("source-error-server", Some(code.unwrap_or(0))),
        "too_large" => ("source-error-too-large", None),
        "io" => ("source-error-io", None),
        "client" => ("source-error-http-client", None),
        "parse" => ("source-error-parse", None),
        "wrong_kind" => ("source-error-wrong-kind", None),
        "unknown_kind" => ("source-error-unknown-kind", None),
        "internal" => ("source-error-internal", None),
        _ => ("source-error-other", None),
    };
    match code {
        Some(code) => i18n::tr_args(lang, id, &[("code", FluentValue::from(code))]),
        None => i18n::tr(lang, id),
    }
}

/// The class of a message as `ingest`'s errors word it (their `Display`),
/// for errors that reach us without their class.
fn class_of(message: &str) -> Option<&'static str> {
    if let Some((_, class)) = WORDING.iter().find(|(w, _)| message.contains(w)) {
        return Some(class);
    }
    match status_code(message) {
        Some(c) if message.contains("HTTP status ") && c < 500 => Some("status_4xx"),
        Some(_) if message.contains("HTTP status ") => Some("status_5xx"),
        _ => None,
    }
}

/// How `ingest`'s errors word each class.
const WORDING: &[(&str, &str)] = &[
    (": not a valid http(s) URL or file path: ", "invalid_url"),
    (": timed out after ", "timeout"),
    (": TLS error: ", "tls"),
    (": DNS lookup failed: ", "dns"),
    (": connection failed: ", "connect"),
    (": refused: ", "refused"),
    (": body larger than ", "too_large"),
    ("the HTTP client could not be set up: ", "client"),
    (
        ": could not tell what kind of source this is: ",
        "unknown_kind",
    ),
    (" but the source answered ", "wrong_kind"),
];

/// Which refusal: `ingest`'s fetch guard words its reasons
/// ("disallowed by robots.txt", "... set allow_private_networks = true",
/// "more than N redirects", "redirect to ...").
fn refusal(message: &str) -> &'static str {
    if message.contains("robots.txt") {
        "source-error-robots"
    } else if message.contains("allow_private_networks") {
        "source-error-private"
    } else if message.contains("redirect") {
        "source-error-redirects"
    } else {
        "source-error-refused"
    }
}

/// The HTTP status in a raw message ("https://x: HTTP status 404"), else
/// a lone three-digit number from 400 to 599 (a message worded otherwise).
fn status_code(message: &str) -> Option<u16> {
    let after = |marker: &str| {
        message.rfind(marker).and_then(|i| {
            let digits: String = message[i + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u16>().ok()
        })
    };
    after("HTTP status ").or_else(|| {
        // Only the text after the URL: a path may hold digits.
        let text = message.rsplit_once(": ").map_or(message, |(_, t)| t);
        text.split(|c: char| !c.is_ascii_digit())
            .filter(|w| w.len() == 3)
            .filter_map(|w| w.parse::<u16>().ok())
            .find(|c| (400..600).contains(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every class the pipeline stores, with a message as `ingest` words it.
    const CASES: &[(&str, &str)] = &[
        ("invalid_url", "ftp://x: not a valid http(s) URL or file path: scheme"),
        ("timeout", "https://mda.example.org/agenda.ics: timed out after 30 s"),
        ("tls", "https://mda.example.org/: TLS error: certificate expired"),
        ("dns", "https://mda.example.org/: DNS lookup failed: no record"),
        ("connect", "https://mda.example.org/: connection failed: refused"),
        (
            "refused",
            "https://mda.example.org/a: refused: disallowed by robots.txt (rule \"/a\")",
        ),
        (
            "refused",
            "http://intranet/: refused: intranet resolves to 10.0.0.2, which is private; set allow_private_networks = true to allow it",
        ),
        ("refused", "https://mda.example.org/: refused: more than 10 redirects"),
        ("refused", "https://mda.example.org/: refused: policy"),
        ("status_4xx", "https://mda.example.org/agenda: HTTP status 404"),
        ("status_4xx", "https://mda.example.org/agenda: HTTP status 403"),
        ("status_4xx", "https://mda.example.org/agenda: HTTP status 410"),
        ("status_4xx", "https://mda.example.org/agenda: HTTP status 429"),
        ("status_4xx", "https://mda.example.org/agenda: HTTP status 418"),
        ("status_5xx", "https://mda.example.org/agenda: HTTP status 503"),
        ("too_large", "https://mda.example.org/big: body larger than 10485760 bytes"),
        ("io", "/srv/agenda.ics: No such file or directory"),
        ("client", "the HTTP client could not be set up: no CA certificates"),
        ("parse", "https://mda.example.org/a.ics: line 3: unterminated VEVENT"),
        (
            "wrong_kind",
            "https://mda.example.org/a.ics: expected ICS but the source answered HTML",
        ),
        (
            "unknown_kind",
            "https://mda.example.org/: could not tell what kind of source this is: it answered a PDF; set `kind` in sources.toml",
        ),
        ("internal", "database is locked"),
        ("something_new", "who knows"),
    ];

    const CLASSES: &[&str] = &[
        "invalid_url",
        "timeout",
        "tls",
        "dns",
        "connect",
        "refused",
        "status_4xx",
        "status_5xx",
        "too_large",
        "io",
        "client",
        "parse",
        "wrong_kind",
        "unknown_kind",
        "internal",
        "something_new",
    ];

    #[test]
    fn each_error_reads_as_its_own_sentence_in_both_languages() {
        for lang in i18n::LANGUAGES {
            let mut seen = BTreeSet::new();
            for (class, message) in CASES {
                let text = explain(lang, Some(class), Some(message));
                assert!(
                    text.ends_with('.') && text.len() > 60,
                    "{lang} {class}: {text:?} is no sentence"
                );
                assert!(
                    seen.insert(text.clone()),
                    "{lang} {class} ({message}) says the same as another: {text}"
                );
                // Neither a class's name nor the raw message shows through.
                let words: BTreeSet<String> = text
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map(str::to_lowercase)
                    .collect();
                for name in CLASSES {
                    assert!(!words.contains(*name), "{lang}: {name} in {text}");
                }
                assert!(
                    !text.contains('_') && !text.contains("mda.example.org"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn french_first_and_english_differ() {
        for (class, message) in CASES {
            let fr = explain("fr", Some(class), Some(message));
            let en = explain("en", Some(class), Some(message));
            assert_ne!(fr, en, "{class}");
            // An unknown language reads French, the reference.
            assert_eq!(explain("de", Some(class), Some(message)), fr);
        }
    }

    #[test]
    fn the_status_code_refines_the_sentence() {
        let at = |code: &str| format!("https://mda.example.org/agenda: HTTP status {code}");
        assert_eq!(
            explain("fr", Some("status_4xx"), Some(&at("404"))),
            "Le site a répondu 404 (page introuvable)\u{a0}: l’adresse a sans doute changé\u{a0}; \
             ouvrez-la dans un navigateur et corrigez l’URL du membre."
        );
        assert!(explain("fr", Some("status_4xx"), Some(&at("401"))).contains("(erreur 401)"));
        assert!(explain("en", Some("status_4xx"), Some(&at("403"))).contains("(error 403)"));
        assert!(explain("fr", Some("status_5xx"), Some(&at("502"))).contains("(erreur 502)"));
        // No code to read: the sentence without it, never "erreur 0".
        let bare = explain("fr", Some("status_4xx"), None);
        assert!(
            bare.starts_with("Le site a refusé la demande\u{a0}:"),
            "{bare}"
        );
        let bare = explain("en", Some("status_5xx"), Some("it broke"));
        assert!(bare.starts_with("The site’s server is failing:"), "{bare}");
        // Digits in the URL are not a status.
        assert!(!explain(
            "fr",
            Some("status_4xx"),
            Some("https://x.org/404/a: HTTP status 418")
        )
        .contains("introuvable"));
        // No class at all (a source that never failed the new way).
        assert_eq!(
            explain("fr", None, None),
            explain("fr", Some("something_new"), None)
        );
    }

    #[test]
    fn without_a_class_the_message_tells_it() {
        for (class, message) in CASES {
            // Messages worded by ingest's fetch and read errors only.
            if matches!(*class, "io" | "parse" | "internal" | "something_new") {
                continue;
            }
            assert_eq!(
                explain("fr", None, Some(message)),
                explain("fr", Some(class), Some(message)),
                "{message}"
            );
        }
        assert_eq!(
            explain("en", None, Some("who knows")),
            explain("en", Some("something_new"), None)
        );
    }

    /// The wording read here is ingest's own: each fragment is in the
    /// `#[error]` attributes of its errors (publish does not depend on
    /// ingest, so its sources are read as text).
    #[test]
    fn the_wording_matches_ingests_errors() {
        let ingest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/src");
        let sources: String = ["fetch.rs", "fetch/guard.rs", "read.rs", "lib.rs"]
            .iter()
            .map(|f| std::fs::read_to_string(ingest.join(f)).unwrap())
            .collect();
        let fragments = [
            ": not a valid http(s) URL or file path: ",
            ": timed out after ",
            ": TLS error: ",
            ": DNS lookup failed: ",
            ": connection failed: ",
            ": refused: ",
            ": body larger than ",
            "the HTTP client could not be set up: ",
            ": could not tell what kind of source this is: ",
            " but the source answered ",
            ": HTTP status {code}",
            "disallowed by robots.txt",
            "set allow_private_networks = true",
            "redirects",
            "redirect to",
        ];
        for fragment in fragments {
            assert!(
                sources.contains(fragment),
                "ingest no longer says {fragment:?}"
            );
        }
        for (w, _) in WORDING {
            assert!(fragments.contains(w), "{w:?} is not checked above");
        }
    }

    #[test]
    fn status_codes_are_read_from_messages() {
        assert_eq!(status_code("https://a.org/x: HTTP status 404"), Some(404));
        assert_eq!(
            status_code("https://a.org/2026/x: HTTP status 503"),
            Some(503)
        );
        assert_eq!(
            status_code("the server said 429 Too Many Requests"),
            Some(429)
        );
        assert_eq!(
            status_code("https://a.org/404/x: timed out after 30 s"),
            None
        );
        assert_eq!(status_code(""), None);
    }
}
