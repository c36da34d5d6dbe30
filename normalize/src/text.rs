//! Text: what normalize does with the words of a record, on top of the
//! shared helpers of [`textkit`] (HTML to plain text, entities, whitespace).
//!
//! * [`html_to_text`], [`decode_entities`], [`has_markup`]: textkit's,
//!   re-exported for the callers of this module.
//! * [`clean_title`]: repaired ([`repair`]: escapes and HTML escaped twice,
//!   mojibake), then [`html_to_text`] on one line; [`typeset_title`] gives
//!   it its language's apostrophes and quotes once the language is known.
//! * [`clean_description`]: repaired, [`html_to_text`], apostrophes
//!   typographic; [`description_html`]: the same repair, then
//!   [`sanitize_html`].
//! * [`lost_characters`]: U+FFFD left by a wrong decoding upstream, which
//!   no repair can undo: the caller warns.
//! * [`fold_for_match`]: lowercase, accents removed, punctuation (straight
//!   and typographic apostrophes alike) to spaces.
//! * [`sanitize_html`]: the description as safe HTML (ammonia): paragraphs,
//!   line breaks, emphasis, lists, headings h3–h6, quotes and http(s)/mailto
//!   links with `rel="noopener nofollow"`; no images, scripts or styles.

use unicode_normalization::char::is_combining_mark;

pub use textkit::repair::{self, lost_characters, typeset_title};
pub use textkit::{decode_entities, has_markup, html_to_text};

/// A title: repaired, [`html_to_text`], on one line. Mojibake is looked for
/// again in the text, for the sources that wrote it as entities
/// (`&Atilde;&copy;`).
pub fn clean_title(input: &str) -> String {
    let text = html_to_text(&repair::repair(input));
    textkit::collapse_ws(&repair::mojibake(&text))
}

/// A description as plain text: repaired, [`html_to_text`], mojibake
/// written as entities repaired, apostrophes typographic (quotes kept as
/// written: see [`repair`]).
pub fn clean_description(input: &str) -> String {
    let text = html_to_text(&repair::repair(input));
    let text = repair::mojibake(&text);
    repair::apostrophes(&text).into_owned()
}

/// A description as sanitized HTML: repaired, [`sanitize_html`],
/// apostrophes typographic in its text (never in its links).
pub fn description_html(input: &str) -> String {
    let html = sanitize_html(&repair::repair(input));
    repair::apostrophes_in_html(&html).into_owned()
}

/// Lowercase, accents removed (NFD without combining marks; œ → oe,
/// æ → ae, ß → ss), anything not a letter or digit to a space, whitespace
/// collapsed.
pub fn fold_for_match(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut space = true;
    for c in input.chars() {
        if c.is_ascii() {
            // Most of a French text: no decomposition to look up.
            fold_one(&mut out, c.to_ascii_lowercase(), &mut space);
        } else {
            // Decomposing char by char gives what decomposing the string
            // does once the marks are dropped: canonical reordering only
            // moves marks among marks.
            unicode_normalization::char::decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    for l in d.to_lowercase() {
                        fold_one(&mut out, l, &mut space);
                    }
                }
            });
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// One lowercase, decomposed character of [`fold_for_match`] into `out`
/// (`space`: whether `out` ends with a space or is empty).
fn fold_one(out: &mut String, c: char, space: &mut bool) {
    let mut push = |c: char| {
        if c.is_alphanumeric() {
            out.push(c);
            *space = false;
        } else if !*space {
            out.push(' ');
            *space = true;
        }
    };
    match c {
        'œ' => {
            push('o');
            push('e');
        }
        'æ' => {
            push('a');
            push('e');
        }
        'ß' => {
            push('s');
            push('s');
        }
        'ø' => push('o'),
        'đ' => push('d'),
        'ł' => push('l'),
        // The modifier letter apostrophe is a letter to Unicode: as `'`
        // and `’`, it separates words.
        '\u{2bc}' => push(' '),
        other => push(other),
    }
}

/// The elements [`sanitize_html`] keeps; everything else is unwrapped (its
/// text kept) or, for scripts and styles, dropped with its content.
const SAFE_TAGS: &[&str] = &[
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
];

/// Elements dropped with their content by [`sanitize_html`].
const SANITIZE_DROPPED: &[&str] = &[
    "script", "style", "head", "noscript", "template", "svg", "iframe", "object", "title",
    "textarea", "select", "math",
];

static SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(SAFE_TAGS.iter().copied().collect())
        .clean_content_tags(SANITIZE_DROPPED.iter().copied().collect())
        .tag_attributes(std::iter::once(("a", std::iter::once("href").collect())).collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener nofollow"))
        .strip_comments(true);
    b
});

/// The description as sanitized HTML (see the module doc): allowed elements
/// kept with no attribute but a link's `href` (http, https or mailto only;
/// relative links lose their `href`), others unwrapped, scripts and styles
/// removed with their content; trimmed. Never panics.
pub fn sanitize_html(input: &str) -> String {
    SANITIZER.clean(input).to_string().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line() {
        assert_eq!(
            clean_title("<h2>Les Belles-s&oelig;urs</h2>\n<p>COMPLET</p>"),
            "Les Belles-sœurs COMPLET"
        );
        assert_eq!(clean_title("  \u{a0} "), "");
        assert_eq!(clean_title("<b></b>"), "");
    }

    #[test]
    fn broken_html_does_not_panic_in_titles_nor_folding() {
        for s in [
            "<",
            "<<>>",
            "<p",
            "</",
            "<!--",
            "<script>never closed",
            "&#",
            "&#x;",
            "&",
            "<é>é</é>",
            "&#99999999999999999;",
            "<a href='>'>x</a>",
        ] {
            let _ = clean_title(s);
            let _ = fold_for_match(s);
        }
        assert_eq!(clean_title("<script>never closed"), "");
    }

    #[test]
    fn sanitized_html_keeps_the_safe_subset() {
        let html = "<div class=\"x\" style=\"color:red\"><h2>Titre</h2><p onclick=\"x()\">Un \
                    <strong>gras</strong> <em>it</em> <b>b</b> <i>i</i><br>suite</p>\
                    <ul><li>un</li></ul><ol><li>deux</li></ol><h3>Sous-titre</h3>\
                    <blockquote>cit</blockquote><img src=\"https://x.org/a.png\">\
                    <script>alert(1)</script><style>p{}</style><!-- c --></div>";
        assert_eq!(
            sanitize_html(html),
            "Titre<p>Un <strong>gras</strong> <em>it</em> <b>b</b> <i>i</i><br>suite</p>\
             <ul><li>un</li></ul><ol><li>deux</li></ol><h3>Sous-titre</h3>\
             <blockquote>cit</blockquote>"
        );
    }

    #[test]
    fn sanitized_links_are_http_or_mailto_with_rel() {
        assert_eq!(
            sanitize_html("<a href=\"https://ex.org/a?b=1&amp;c=2\" target=\"_blank\">x</a>"),
            "<a href=\"https://ex.org/a?b=1&amp;c=2\" rel=\"noopener nofollow\">x</a>"
        );
        assert_eq!(
            sanitize_html("<a href=\"mailto:info@ex.org\">m</a>"),
            "<a href=\"mailto:info@ex.org\" rel=\"noopener nofollow\">m</a>"
        );
        for bad in [
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"data:text/html,x\">x</a>",
            "<a href=\"/relative\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        ] {
            assert_eq!(
                sanitize_html(bad),
                "<a rel=\"noopener nofollow\">x</a>",
                "{bad}"
            );
        }
    }

    #[test]
    fn sanitizing_escapes_text_and_survives_broken_html() {
        assert_eq!(sanitize_html("a < b & c"), "a &lt; b &amp; c");
        assert_eq!(sanitize_html("<p>non fermé"), "<p>non fermé</p>");
        assert_eq!(sanitize_html("<svg><script>x</script></svg>ok"), "ok");
        for s in ["<", "<<>>", "<p", "</", "<!--", "<a href=", "&#99999999;"] {
            let _ = sanitize_html(s);
        }
    }

    #[test]
    fn titles_and_descriptions_are_repaired() {
        // ICS by a PHP plugin: escaped twice, then read once.
        assert_eq!(
            clean_description("Entrée libre\\, vin d'honneur.\\nInfos : 450 662-4440"),
            "Entrée libre, vin d’honneur.\nInfos : 450 662-4440"
        );
        // In HTML, the repaired line break is a space like any other.
        assert_eq!(
            clean_description("<p>Un\\nDeux</p>\\n<p>Trois</p>"),
            "Un Deux\n\nTrois"
        );
        assert_eq!(
            description_html("<p>L'été</p>\\n<p><a href=\"https://ex.org/l'a\">l'a</a></p>"),
            "<p>L’été</p>\n<p><a href=\"https://ex.org/l'a\" rel=\"noopener nofollow\">l’a</a></p>"
        );
        // HTML escaped twice, mojibake as characters and as entities.
        assert_eq!(
            clean_title("Caf&amp;eacute; &amp;amp; th&amp;#233;"),
            "Café & thé"
        );
        assert_eq!(clean_title("Th&Atilde;&copy;&Atilde;&cent;tre"), "Théâtre");
        assert_eq!(
            clean_title("Les Belles-sÅ“urs â€“ COMPLET"),
            "Les Belles-sœurs – COMPLET"
        );
        assert_eq!(
            clean_description("RÃ©servation\nÃ  la billetterie"),
            "Réservation\nà la billetterie"
        );
        // A Windows path keeps its backslashes.
        assert_eq!(
            clean_description("Fiche : S:\\Expositions\\nouvelles.pdf"),
            "Fiche : S:\\Expositions\\nouvelles.pdf"
        );
        // Lost characters are counted.
        assert_eq!(lost_characters(&clean_title("Th\u{fffd}\u{fffd}tre")), 2);
        // Cleaning twice changes nothing more.
        for s in [
            "Caf&amp;amp;eacute; L'Orchestre\\n",
            "ThÃƒÂ©Ã¢tre",
            "<p>a\\nb</p>",
        ] {
            assert_eq!(clean_title(&clean_title(s)), clean_title(s), "{s:?}");
            assert_eq!(
                clean_description(&clean_description(s)),
                clean_description(s),
                "{s:?}"
            );
        }
    }

    #[test]
    fn every_apostrophe_folds_the_same() {
        let folded = fold_for_match("L'Orchestre");
        assert_eq!(folded, "l orchestre");
        for t in [
            "L’Orchestre",
            "Lʼorchestre",
            "L´Orchestre",
            "L`Orchestre",
            "L‘Orchestre",
        ] {
            assert_eq!(fold_for_match(t), folded, "{t}");
        }
        // The dedup key of a title, typeset or not.
        assert_eq!(
            crate::dedup::title_key("Le \"Messie\" de L'Orchestre"),
            crate::dedup::title_key(&typeset_title("Le \"Messie\" de L'Orchestre", Some("fr")))
        );
        assert_eq!(
            crate::dedup::title_key("Lʼorchestre joue"),
            crate::dedup::title_key("L'Orchestre joue")
        );
    }

    #[test]
    fn a_merged_event_writes_its_apostrophes_one_way() {
        use chrono::{NaiveDate, TimeZone, Utc};
        use model::{RawEvent, SourceId, TimeValue};

        let settings = crate::Settings {
            timezone: chrono_tz::America::Toronto,
            horizon_days: 365,
            languages: vec!["fr".into(), "en".into()],
            venues: vec![],
            categories: vec![],
        };
        let normalizer = crate::Normalizer::new(settings);
        let start = TimeValue::Zoned {
            local: NaiveDate::from_ymd_opt(2026, 12, 5)
                .and_then(|d| d.and_hms_opt(20, 0, 0))
                .expect("date"),
            tzid: "America/Toronto".into(),
        };
        let source = |id: &str, lang: &str, priority| crate::SourceMeta {
            id: SourceId::new(id).expect("id"),
            priority,
            lang: Some(lang.into()),
            categories: vec![],
            venue: None,
        };
        let now = Utc
            .with_ymd_and_hms(2026, 11, 15, 12, 0, 0)
            .single()
            .expect("now");
        let mut fr = RawEvent::new("a", "L'Orchestre joue le \"Messie\"", start.clone());
        fr.description = Some("Billets : 35 $\\nDurée : 2 h".into());
        let fr2 = RawEvent::new("b", "L’Orchestre joue le \"Messie\"", start.clone());
        let en = RawEvent::new("c", "The Orchestra's \"Messiah\"", start);
        let a = normalizer.normalize(&source("venue", "fr", 10), &[fr], now);
        let b = normalizer.normalize(&source("tourisme", "fr", 5), &[fr2], now);
        let c = normalizer.normalize(&source("tourism", "en", 1), &[en], now);
        let (a, b, c) = (&a.occurrences[0], &b.occurrences[0], &c.occurrences[0]);
        assert_eq!(a.event.title, "L’Orchestre joue le «\u{a0}Messie\u{a0}»");
        assert_eq!(a.event.title, b.event.title);
        assert_eq!(
            a.event.description.as_deref(),
            Some("Billets : 35 $\nDurée : 2 h")
        );
        let event = crate::merge::merge(&[a, b, c], &["fr".into(), "en".into()]).expect("event");
        assert_eq!(event.title, "L’Orchestre joue le «\u{a0}Messie\u{a0}»");
        assert_eq!(
            event.translations.get("en").map(|t| t.title.as_str()),
            Some("The Orchestra’s \u{201c}Messiah\u{201d}")
        );
        // Letters lost upstream cannot be repaired: the run says so.
        let lost = RawEvent::new(
            "d",
            "Th\u{fffd}\u{fffd}tre",
            TimeValue::Date {
                date: NaiveDate::from_ymd_opt(2026, 12, 6).expect("date"),
            },
        );
        let d = normalizer.normalize(&source("venue", "fr", 10), &[lost], now);
        assert_eq!(d.occurrences[0].event.title, "Th\u{fffd}\u{fffd}tre");
        assert_eq!(
            d.warnings,
            ["d: 2 characters lost to a wrong encoding (U+FFFD) in the title or description"]
        );
    }

    #[test]
    fn folding_removes_case_accents_and_punctuation() {
        assert_eq!(fold_for_match("Théâtre"), "theatre");
        assert_eq!(
            fold_for_match("  Cœur & ÂME—l'Œuvre!  "),
            "coeur ame l oeuvre"
        );
        assert_eq!(fold_for_match("Straße, Æsir"), "strasse aesir");
        assert_eq!(fold_for_match("Spectacle   musical"), "spectacle musical");
        assert_eq!(fold_for_match("---"), "");
    }

    use unicode_normalization::UnicodeNormalization;

    /// The folding as first written: the whole string decomposed (NFD),
    /// then char by char.
    fn fold_reference(input: &str) -> String {
        let mut out = String::new();
        let mut space = true;
        for c in input.nfd() {
            if !is_combining_mark(c) {
                for l in c.to_lowercase() {
                    fold_one(&mut out, l, &mut space);
                }
            }
        }
        if out.ends_with(' ') {
            out.pop();
        }
        out
    }

    #[test]
    fn folding_char_by_char_equals_folding_the_decomposed_string() {
        // Precomposed and decomposed accents, marks stacked in either
        // order, ligatures, Hangul, Greek, Cyrillic, apostrophes, digits.
        let pool: Vec<char> = "aAeEzZ09 -'’\u{2bc}éÉèêëàâäçÇîïôöùûüÿœŒæÆßøØđłİıΣςσΩЖжÅ\u{301}\u{300}\u{327}\u{323}\u{308}\u{31b}한글ﬁ①²Ⅻ\u{1e9b}\u{fb2c}"
            .chars()
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let len = (state % 12) as usize;
            let text: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    pool[(state % pool.len() as u64) as usize]
                })
                .collect();
            assert_eq!(fold_for_match(&text), fold_reference(&text), "{text:?}");
            state = state.wrapping_add(1);
        }
    }
}
