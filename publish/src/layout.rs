//! The HTML shell shared by the portal, the event pages and the sources
//! page: escaping, the page frame (header, language switch, footer), the
//! one stylesheet. No external asset: no CDN font, script or image.

use chrono::{Datelike, NaiveDate};

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

/// French or English UI string.
pub fn t<'a>(lang: &str, fr: &'a str, en: &'a str) -> &'a str {
    if lang == "en" {
        en
    } else {
        fr
    }
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

/// "samedi 5 décembre 2026", "mardi 1er décembre 2026" / "Saturday, December 5, 2026".
pub fn date_text(date: NaiveDate, lang: &str) -> String {
    let weekday = weekday_names(lang)[date.weekday().num_days_from_monday() as usize % 7];
    let month = month_name(lang, date.month());
    if lang == "en" {
        format!("{weekday}, {month} {}, {}", date.day(), date.year())
    } else if date.day() == 1 {
        format!("{weekday} 1er {month} {}", date.year())
    } else {
        format!("{weekday} {} {month} {}", date.day(), date.year())
    }
}

/// "20 h", "20 h 30" / "8:00 PM".
pub fn time_text(hour: u32, minute: u32, lang: &str) -> String {
    if lang == "en" {
        let (h12, ampm) = match hour {
            0 => (12, "AM"),
            1..=11 => (hour, "AM"),
            12 => (12, "PM"),
            _ => (hour - 12, "PM"),
        };
        format!("{h12}:{minute:02} {ampm}")
    } else if minute == 0 {
        format!("{hour} h")
    } else {
        format!("{hour} h {minute:02}")
    }
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
<title>{title}</title>\n<style>{css}</style>\n{head}\n</head>\n<body>\n\
<a class=\"skip\" href=\"#main\">{skip}</a>\n\
<header class=\"site\"><a class=\"brand\" href=\"/?lang={lang}\">{name}</a>\
<nav class=\"lang\" aria-label=\"{langs}\">{switch}</nav></header>\n\
<main id=\"main\">\n{body}\n</main>\n\
<footer class=\"site\"><a href=\"/sources?lang={lang}\">{sources}</a> · \
<a href=\"/feeds/events.ics\">iCalendar</a> · <a href=\"/feeds/events.rss\">RSS</a> · \
<a href=\"/api/v1/events\">API</a> · babillard</footer>\n</body>\n</html>\n",
        lang = esc(lang),
        title = esc(p.title),
        css = CSS,
        head = p.head,
        skip = t(lang, "Aller au contenu", "Skip to content"),
        name = esc(&config.name),
        langs = t(lang, "Langue", "Language"),
        switch = switch,
        body = p.body,
        sources = t(lang, "Sources", "Sources"),
    )
}

/// The one stylesheet: readable on a phone, WCAG AA contrast, themable.
pub const CSS: &str = "\
:root{--accent:#8a1c3c;--fg:#1d1d1f;--muted:#555;--bg:#fff;--line:#ddd;--font:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
*{box-sizing:border-box}body{margin:0;font-family:var(--font);color:var(--fg);background:var(--bg);line-height:1.5}\
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
header.site,footer.site{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line)}\
footer.site{border-top:1px solid var(--line);border-bottom:0;color:var(--muted);font-size:.9rem;justify-content:center}\
.brand{font-weight:700;font-size:1.2rem;text-decoration:none;color:var(--fg)}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
h1{line-height:1.2}.muted{color:var(--muted)}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line);vertical-align:top}\
.ok{color:#1b6e2a}.error{color:#a4161a}.never{color:var(--muted)}\
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
}
