//! The HTML shell shared by the portal, the event pages and the sources
//! page: escaping, the page frame (header, language switch, footer), the
//! one stylesheet. No external asset: no CDN font, script or image.
//!
//! Words come from [`crate::i18n`]: [`tr_esc`] and [`tr_html`] put a
//! message into HTML. The names of days and months are data (the tables
//! below); the way a date or a time is written, with its words ("1er",
//! "h", "PM"), is the Fluent messages `date-long` and `time-of-day`.

use chrono::{Datelike, NaiveDate};

use crate::i18n::{self, FluentValue};
use crate::PublishConfig;

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape JSON for embedding inside `<script type="application/ld+json">`.
pub fn json_for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Pick the page language: `lang` if configured, else the default.
pub fn page_lang<'a>(config: &'a PublishConfig, lang: Option<&'a str>) -> &'a str {
    match lang {
        Some(l) if config.languages.iter().any(|c| c == l) => l,
        _ => config.languages.first().map(String::as_str).unwrap_or("fr"),
    }
}

/// The message `id` in `lang` with its arguments, as HTML: the message's
/// own text is escaped, each argument is inserted as given (already HTML:
/// escape text arguments with [`esc`], or wrap them in markup such as
/// `<code>`). This keeps a whole sentence in one message even when a part
/// of it is markup.
pub fn tr_html(lang: &str, id: &str, args: &[(&'static str, &str)]) -> String {
    // Private-use characters stand for the arguments while the message
    // is formatted and escaped; neither Fluent nor `esc` touches them.
    let marker = |i: usize| format!("\u{E000}{i}\u{E001}");
    let values: Vec<(&'static str, FluentValue<'_>)> = args
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (*name, FluentValue::from(marker(i))))
        .collect();
    let mut out = esc(&i18n::tr_args(lang, id, &values));
    for (i, (_, html)) in args.iter().enumerate() {
        out = out.replace(&marker(i), html);
    }
    out
}

/// The message `id` in `lang`, escaped for HTML.
pub fn tr_esc(lang: &str, id: &str) -> String {
    esc(&i18n::tr(lang, id))
}

/// Weekday names from Monday, in `lang` (French unless `en`).
pub fn weekday_names(lang: &str) -> &'static [&'static str; 7] {
    const FR: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    if lang == "en" {
        &EN
    } else {
        &FR
    }
}

/// The name of `month` (1-12) in `lang`.
pub fn month_name(lang: &str, month: u32) -> &'static str {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let i = (month.clamp(1, 12) - 1) as usize;
    if lang == "en" {
        EN[i]
    } else {
        FR[i]
    }
}

/// "samedi 5 décembre 2026", "mardi 1er décembre 2026" / "Saturday, December 5, 2026"
/// (the names from the tables above, their order from `date-long`).
pub fn date_text(date: NaiveDate, lang: &str) -> String {
    let weekday = weekday_names(lang)[date.weekday().num_days_from_monday() as usize % 7];
    i18n::tr_args(
        lang,
        "date-long",
        &[
            ("weekday", weekday.into()),
            ("day", date.day().into()),
            ("month", month_name(lang, date.month()).into()),
            // A string: a number could be formatted with a group separator.
            ("year", date.year().to_string().into()),
        ],
    )
}

/// "20 h", "20 h 30" / "8:00 PM" (`time-of-day`).
pub fn time_text(hour: u32, minute: u32, lang: &str) -> String {
    let hour12 = match hour % 12 {
        0 => 12,
        h => h,
    };
    i18n::tr_args(
        lang,
        "time-of-day",
        &[
            ("hour", hour.into()),
            ("minute", minute.into()),
            ("mm", format!("{minute:02}").into()),
            ("hour12", hour12.into()),
            ("pm", u32::from(hour >= 12).into()),
        ],
    )
}

/// "samedi 5 décembre 2026, 20 h" (`when-date-time`), `time` already
/// written by [`time_text`].
pub fn date_time_text(lang: &str, date: NaiveDate, time: &str) -> String {
    i18n::tr_args(
        lang,
        "when-date-time",
        &[
            ("date", date_text(date, lang).into()),
            ("time", time.into()),
        ],
    )
}

/// What goes into a page.
pub struct Page<'a> {
    pub title: &'a str,
    pub lang: &'a str,
    /// Extra elements for `<head>` (JSON-LD, alternate links, ...), already HTML.
    pub head: &'a str,
    /// The main content, already HTML.
    pub body: &'a str,
    /// The path and query of this page without `lang`, for the language
    /// switch (e.g. `/events/abc`); None hides the switch.
    pub switch_path: Option<&'a str>,
}

/// A whole HTML document in the shared frame.
pub fn page(config: &PublishConfig, p: &Page<'_>) -> String {
    let lang = p.lang;
    let switch = match p.switch_path {
        Some(path) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            config
                .languages
                .iter()
                .map(|l| {
                    if l == lang {
                        format!(
                            "<span aria-current=\"true\">{}</span>",
                            esc(&l.to_uppercase())
                        )
                    } else {
                        format!(
                            "<a href=\"{}{sep}lang={}\" hreflang=\"{}\" lang=\"{}\">{}</a>",
                            esc(path),
                            esc(l),
                            esc(l),
                            esc(l),
                            esc(&l.to_uppercase())
                        )
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        None => String::new(),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{css}</style>\n{brand}{head}\n</head>\n<body>\n\
<a class=\"skip\" href=\"#main\">{skip}</a>\n\
<header class=\"site\"><a class=\"brand\" href=\"{p}/?lang={lang}\">{logo}{name}</a>\
<nav class=\"lang\" aria-label=\"{langs}\">{switch}</nav></header>\n\
<main id=\"main\">\n{body}\n</main>\n\
<footer class=\"site\"><a href=\"{p}/sources?lang={lang}\">{sources}</a> · \
<a href=\"{p}/feeds/events.ics\">iCalendar</a> · <a href=\"{p}/feeds/events.rss\">RSS</a> · \
<a href=\"{p}/api/v1/events\">API</a> · babillard</footer>\n</body>\n</html>\n",
        lang = esc(lang),
        title = esc(p.title),
        css = CSS,
        brand = config.brand_head(),
        p = esc(&config.network.prefix),
        logo = logo_html(config),
        head = p.head,
        skip = tr_esc(lang, "skip-to-content"),
        name = esc(&config.name),
        langs = tr_esc(lang, "language-switch"),
        switch = switch,
        body = p.body,
        sources = tr_esc(lang, "footer-sources"),
    )
}

/// The calendar's logo before its name in the page header (decorative:
/// the name follows), or nothing.
fn logo_html(config: &PublishConfig) -> String {
    match config.network.current.as_ref() {
        Some(c) if c.logo.is_some() => format!(
            "<img class=\"logo\" src=\"{}\" alt=\"\" height=\"32\">",
            esc(&config.link("/logo"))
        ),
        _ => String::new(),
    }
}

/// The one stylesheet: readable on a phone, WCAG AA contrast, themable.
pub const CSS: &str = "\
:root{--accent:#8a1c3c;--fg:#1d1d1f;--muted:#555;--bg:#fff;--line:#ddd;--font:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
*{box-sizing:border-box}body{margin:0;font-family:var(--font);color:var(--fg);background:var(--bg);line-height:1.5}\
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
header.site,footer.site{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line)}\
footer.site{border-top:1px solid var(--line);border-bottom:0;color:var(--muted);font-size:.9rem;justify-content:center}\
.brand{font-weight:700;font-size:1.2rem;text-decoration:none;color:var(--fg);display:inline-flex;align-items:center;gap:.5rem}\
.brand .logo{height:2rem;width:auto}.intro{border-left:4px solid var(--accent);padding:.25rem 1rem;margin:0 0 1rem}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
h1{line-height:1.2}.muted{color:var(--muted)}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line);vertical-align:top}\
.ok{color:#1b6e2a}.error{color:#a4161a}.never{color:var(--muted)}\
.event-image{max-width:100%;height:auto}\
summary{cursor:pointer;color:var(--muted)}details code{overflow-wrap:anywhere}\
@media (max-width:40rem){main{padding:.5rem}table,tbody,tr,td,th{display:block}thead{display:none}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_needs() {
        assert_eq!(
            esc("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            json_for_script("{\"a\":\"</script>\"}"),
            "{\"a\":\"\\u003c/script\\u003e\"}"
        );
    }

    #[test]
    fn a_message_with_markup_keeps_its_sentence_whole() {
        // The message's text is escaped, the argument goes in as HTML.
        assert_eq!(
            tr_html(
                "fr",
                "error-event-not-found",
                &[("id", "<code>a&amp;b</code>")]
            ),
            "Aucun événement ne porte l’identifiant <code>a&amp;b</code>. \
             Il a peut-être été retiré par son organisateur."
        );
        assert_eq!(
            tr_html("en", "pages-price", &[("price", "&lt;25 $&gt;")]),
            "Price: &lt;25 $&gt;"
        );
        assert_eq!(tr_esc("en", "skip-to-content"), "Skip to content");
    }
}
