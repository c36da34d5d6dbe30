//! Caps on what one hostile source can make us keep: the length of every
//! text field of a record, the number of records per document, the length
//! of an iCalendar content line. All in one place so that every kind is
//! held to the same bounds; [`bound_parsed`] is applied by each kind's
//! `parse` to what it found, and cuts at a char boundary with a warning
//! naming the record and the field, so the damage is never silent.
//!
//! The caps are far above anything a real calendar writes (a 1,000-char
//! title is already a paragraph), so that they only ever touch abuse.

use model::RawEvent;

use crate::{ParseWarning, Parsed};

/// A title's length, in chars.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// A description's length, in chars.
pub const MAX_DESCRIPTION_CHARS: usize = 100_000;
/// A location, address, city, URL, image URL, organizer, price or uid,
/// in chars.
pub const MAX_SHORT_FIELD_CHARS: usize = 2_000;
/// One category's length, in chars.
pub const MAX_CATEGORY_CHARS: usize = 200;
/// Categories kept per record.
pub const MAX_CATEGORIES: usize = 100;
/// Records (events and undated ones together) kept from one document.
pub const MAX_RECORDS: usize = 50_000;
/// Cut fields listed one by one per document; the rest are counted.
pub const MAX_CUT_WARNINGS: usize = 20;
/// One unfolded iCalendar content line, in bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// `s` cut to at most `max` chars (at a char boundary); whether it was cut.
/// Linear in `max`, not in the length of `s`.
pub fn cap_chars(s: &mut String, max: usize) -> bool {
    match s.char_indices().nth(max) {
        Some((at, _)) => {
            s.truncate(at);
            true
        }
        None => false,
    }
}

/// The byte length of the longest prefix of `s` that is at most `max`
/// bytes and ends on a char boundary.
pub fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut at = max;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A record's name in a warning: its uid, itself cut short.
fn record_name(uid: &str) -> String {
    let mut shown: String = uid.chars().take(81).collect();
    if cap_chars(&mut shown, 80) {
        shown.push('…');
    }
    shown
}

/// Cap every text field of `rec`; one message per field that was cut.
pub fn bound_record(rec: &mut RawEvent) -> Vec<String> {
    let mut cut: Vec<(&'static str, usize)> = Vec::new();
    let mut cap = |name: &'static str, s: &mut String, max: usize| {
        let len = s.len();
        if cap_chars(s, max) {
            cut.push((name, len));
        }
    };
    let name = record_name(&rec.uid);
    cap("uid", &mut rec.uid, MAX_SHORT_FIELD_CHARS);
    cap("title", &mut rec.title, MAX_TITLE_CHARS);
    if let Some(d) = rec.description.as_mut() {
        cap("description", d, MAX_DESCRIPTION_CHARS);
    }
    for (name, field) in [
        ("location", &mut rec.location),
        ("address", &mut rec.address),
        ("city", &mut rec.city),
        ("url", &mut rec.url),
        ("image", &mut rec.image),
        ("organizer", &mut rec.organizer),
        ("price", &mut rec.price),
        ("language", &mut rec.language),
        ("default_tzid", &mut rec.default_tzid),
    ] {
        if let Some(s) = field.as_mut() {
            cap(name, s, MAX_SHORT_FIELD_CHARS);
        }
    }
    for t in rec.translations.values_mut() {
        cap("title (translation)", &mut t.title, MAX_TITLE_CHARS);
        if let Some(d) = t.description.as_mut() {
            cap("description (translation)", d, MAX_DESCRIPTION_CHARS);
        }
    }
    for c in rec.categories.iter_mut() {
        cap("category", c, MAX_CATEGORY_CHARS);
    }
    let mut messages: Vec<String> = Vec::new();
    for (field, len) in cut {
        messages.push(format!(
            "{name}: {field} cut to its first {} chars (it had {len} bytes)",
            match field {
                "title" | "title (translation)" => MAX_TITLE_CHARS,
                "description" | "description (translation)" => MAX_DESCRIPTION_CHARS,
                "category" => MAX_CATEGORY_CHARS,
                _ => MAX_SHORT_FIELD_CHARS,
            }
        ));
    }
    if rec.categories.len() > MAX_CATEGORIES {
        messages.push(format!(
            "{name}: {} categories dropped: a record keeps at most {MAX_CATEGORIES}",
            rec.categories.len() - MAX_CATEGORIES
        ));
        rec.categories.truncate(MAX_CATEGORIES);
    }
    messages
}

/// Apply every bound to what a parser found: at most [`MAX_RECORDS`]
/// records (the dated first), each field capped, a warning for each cut.
pub fn bound_parsed(parsed: &mut Parsed) {
    let total = parsed.events.len() + parsed.undated.len();
    if total > MAX_RECORDS {
        parsed.events.truncate(MAX_RECORDS);
        parsed
            .undated
            .truncate(MAX_RECORDS.saturating_sub(parsed.events.len()));
        parsed.warnings.push(ParseWarning {
            line: None,
            message: format!(
                "{} records dropped: a document gives at most {MAX_RECORDS}",
                total - MAX_RECORDS
            ),
        });
    }
    // Listed one by one up to a point, then counted: fifty thousand
    // records with overlong titles are one problem, not fifty thousand.
    let mut more = 0usize;
    let mut listed = 0usize;
    let mut renamed: Vec<(String, String)> = Vec::new();
    for rec in parsed.events.iter_mut().chain(parsed.undated.iter_mut()) {
        let uid = rec.uid.clone();
        let messages = bound_record(rec);
        if rec.uid != uid {
            renamed.push((uid, rec.uid.clone()));
        }
        for message in messages {
            if listed < MAX_CUT_WARNINGS {
                listed += 1;
                parsed.warnings.push(ParseWarning {
                    line: None,
                    message,
                });
            } else {
                more += 1;
            }
        }
    }
    if more > 0 {
        parsed.warnings.push(ParseWarning {
            line: None,
            message: format!("{more} more fields cut to their bounds"),
        });
    }
    // An undated record is completed by the detail link naming its uid:
    // a cut uid is cut in its link too (found by the fuzz targets'
    // invariant: a 2,100-char detail URL, the uid of its record, left the
    // record with no link, so dropped).
    if !renamed.is_empty() {
        let renamed: std::collections::HashMap<String, String> = renamed.into_iter().collect();
        for link in parsed.links.iter_mut() {
            if let crate::Link::Detail { uid, .. } = link {
                if let Some(cut) = renamed.get(uid.as_str()) {
                    uid.clone_from(cut);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use model::TimeValue;

    fn rec(uid: &str) -> RawEvent {
        let date = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default();
        RawEvent::new(uid, "Concert", TimeValue::Date { date })
    }

    #[test]
    fn cap_chars_cuts_at_a_char_boundary() {
        let mut s = "é".repeat(10);
        assert!(cap_chars(&mut s, 3));
        assert_eq!(s, "ééé");
        let mut s = "abc".to_string();
        assert!(!cap_chars(&mut s, 3));
        assert_eq!(s, "abc");
        assert_eq!(floor_char_boundary("aé", 2), 1);
        assert_eq!(floor_char_boundary("aé", 3), 3);
        assert_eq!(floor_char_boundary("aé", 99), 3);
    }

    #[test]
    fn every_text_field_is_capped_with_a_warning_naming_record_and_field() {
        let mut r = rec("ev-1");
        r.title = "é".repeat(5_000);
        r.description = Some("d".repeat(300_000));
        r.location = Some("l".repeat(3_000));
        r.url = Some(format!("https://x.test/{}", "a".repeat(3_000)));
        r.categories = (0..150).map(|i| format!("c{i}")).collect();
        let messages = bound_record(&mut r);
        assert_eq!(r.title.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(
            r.description.as_deref().map(str::len),
            Some(MAX_DESCRIPTION_CHARS)
        );
        assert_eq!(
            r.location.as_deref().map(str::len),
            Some(MAX_SHORT_FIELD_CHARS)
        );
        assert_eq!(r.url.as_deref().map(str::len), Some(MAX_SHORT_FIELD_CHARS));
        assert_eq!(r.categories.len(), MAX_CATEGORIES);
        for field in ["title", "description", "location", "url"] {
            assert!(
                messages
                    .iter()
                    .any(|m| m.starts_with(&format!("ev-1: {field} cut"))),
                "{field}: {messages:?}"
            );
        }
        assert!(messages.iter().any(|m| m.contains("50 categories dropped")));
        // Within bounds: untouched, silent.
        let mut ok = rec("ev-2");
        ok.title = "t".repeat(MAX_TITLE_CHARS);
        assert!(bound_record(&mut ok).is_empty());
        assert_eq!(ok.title.len(), MAX_TITLE_CHARS);
    }

    #[test]
    fn a_huge_uid_is_cut_and_named_short() {
        let mut r = rec(&"u".repeat(1 << 20));
        let messages = bound_record(&mut r);
        assert_eq!(r.uid.len(), MAX_SHORT_FIELD_CHARS);
        assert_eq!(messages.len(), 1);
        assert!(messages[0].len() < 200, "{}", messages[0]);
    }

    #[test]
    fn cut_fields_past_twenty_are_counted_in_one_warning() {
        let mut parsed = Parsed {
            events: (0..30)
                .map(|i| {
                    let mut r = rec(&format!("e{i}"));
                    r.title = "t".repeat(MAX_TITLE_CHARS + 1);
                    r
                })
                .collect(),
            ..Parsed::default()
        };
        bound_parsed(&mut parsed);
        assert_eq!(parsed.warnings.len(), MAX_CUT_WARNINGS + 1);
        assert_eq!(
            parsed.warnings.last().map(|w| w.message.as_str()),
            Some("10 more fields cut to their bounds")
        );
        assert!(parsed
            .events
            .iter()
            .all(|e| e.title.len() == MAX_TITLE_CHARS));
    }

    #[test]
    fn a_cut_uid_is_cut_in_its_detail_link_too() {
        // tests/fixtures/fuzz/selectors/long-detail-url.txt: a listing entry
        // whose detail URL (its uid) is over the cap.
        let url = format!("https://x.test/e/{}", "a".repeat(2_100));
        let mut parsed = Parsed {
            undated: vec![rec(&url)],
            links: vec![
                crate::Link::NextPage("https://x.test/?page=2".into()),
                crate::Link::Detail {
                    url: url.clone(),
                    uid: url.clone(),
                },
            ],
            ..Parsed::default()
        };
        bound_parsed(&mut parsed);
        let uid = &parsed.undated[0].uid;
        assert_eq!(uid.chars().count(), MAX_SHORT_FIELD_CHARS);
        assert_eq!(
            parsed.links[1],
            crate::Link::Detail {
                url,
                uid: uid.clone()
            },
            "the link keeps the whole URL to fetch and names the cut uid"
        );
    }

    #[test]
    fn records_per_document_are_capped() {
        let mut parsed = Parsed {
            events: (0..MAX_RECORDS + 10)
                .map(|i| rec(&format!("e{i}")))
                .collect(),
            undated: vec![rec("u")],
            ..Parsed::default()
        };
        bound_parsed(&mut parsed);
        assert_eq!(parsed.events.len(), MAX_RECORDS);
        assert!(parsed.undated.is_empty());
        assert_eq!(parsed.warnings.len(), 1);
        assert!(parsed.warnings[0].message.starts_with("11 records dropped"));
    }
}
