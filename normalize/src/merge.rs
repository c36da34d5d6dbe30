//! One public Event from the occurrences [`crate::dedup::cluster`] grouped.
//!
//! Members are ranked by their source's `priority` (higher first), then by
//! completeness (how many of description, end, URL, image, venue, venue
//! coordinates, categories, organizer and price they give), then by source
//! and occurrence id so that the result never depends on input order.
//!
//! * Start, end, time zone, all-day, status and series come from the best
//!   record; an end is taken from the next records only when the best has
//!   none and it falls after the start.
//! * Title, description and language come from the best record written in
//!   the aggregator's first language (`languages[0]`, French-first) when a
//!   member is, else from the best record: an English listing of higher
//!   priority still gives the times and the venue, and its title goes to
//!   `translations.en`.
//! * Description, URL, image, venue, organizer and price come from the first
//!   record in rank order that has them; the description only from a record
//!   in the event's language. A venue missing its address, city or
//!   coordinates takes them from another record naming the same venue id.
//! * Categories are the union, in rank order; `sources` lists every
//!   member's source reference, best first, once each.
//! * Records in another language (the best record among them too) fill
//!   `translations.<lang>` with their title and description (the best
//!   record of that language wins); the members' own translations fill
//!   what is still missing. With a non-empty `languages`, only those
//!   languages are kept.
//! * `sequence` is the members' highest, `updated_at` their latest; `id` is
//!   the best member's occurrence id, which the caller replaces with the
//!   event's id.

use std::cmp::Ordering;

use model::{Event, Occurrence, Translation};

/// How many optional fields a record fills.
fn completeness(o: &Occurrence) -> usize {
    let e = &o.event;
    let venue = e.venue.as_ref();
    [
        e.description.is_some(),
        e.end.is_some(),
        e.url.is_some(),
        e.image.is_some(),
        venue.is_some(),
        // A municipality's centre is not the venue's position.
        venue.is_some_and(|v| {
            v.lat.is_some()
                && v.lon.is_some()
                && v.precision.is_none_or(model::Precision::is_the_place)
        }),
        venue.is_some_and(|v| v.address.is_some()),
        !e.categories.is_empty(),
        e.organizer.is_some(),
        e.price.is_some(),
    ]
    .into_iter()
    .filter(|b| *b)
    .count()
}

/// The order in which members give their fields: best first.
pub fn rank_order(a: &Occurrence, b: &Occurrence) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| completeness(b).cmp(&completeness(a)))
        .then_with(|| a.source.cmp(&b.source))
        .then_with(|| a.event.id.cmp(&b.event.id))
}

/// The index of the best member (see the module doc); None when empty.
pub fn best(members: &[&Occurrence]) -> Option<usize> {
    (0..members.len()).min_by(|&i, &j| match (members.get(i), members.get(j)) {
        (Some(a), Some(b)) => rank_order(a, b),
        _ => Ordering::Equal,
    })
}

/// Whether two language tags name one language ("fr", "fr-CA").
fn same_language(a: &str, b: &str) -> bool {
    let base = |t: &str| t.split(['-', '_']).next().unwrap_or(t).to_ascii_lowercase();
    base(a) == base(b)
}

/// Merge a group of occurrences into one Event (see the module doc).
/// An empty group gives None.
pub fn merge(members: &[&Occurrence], languages: &[String]) -> Option<Event> {
    let mut ranked: Vec<&Occurrence> = members.to_vec();
    ranked.sort_by(|a, b| rank_order(a, b));
    let (first, rest) = ranked.split_first()?;
    let mut event = first.event.clone();
    // French-first: the text comes from the best record in the first
    // language, when the best record is not in it.
    let preferred = languages.first();
    let in_preferred = |o: &&&Occurrence| {
        preferred.is_some_and(|p| {
            o.event
                .language
                .as_deref()
                .is_some_and(|l| same_language(l, p))
        })
    };
    let writer: &Occurrence = if in_preferred(&first) {
        first
    } else {
        rest.iter().find(in_preferred).copied().unwrap_or(first)
    };
    if !std::ptr::eq(writer, *first) {
        event.title = writer.event.title.clone();
        event.description = writer.event.description.clone();
        event.description_html = writer.event.description_html.clone();
        event.language = writer.event.language.clone();
    }
    if event.language.is_none() {
        event.language = languages.first().cloned();
    }
    let language = event.language.clone();
    let in_event_language =
        |o: &Occurrence| o.event.language.is_none() || o.event.language == language;
    // Every member but the one the text came from, in rank order.
    let others: Vec<&Occurrence> = ranked
        .iter()
        .copied()
        .filter(|o| !std::ptr::eq(*o, writer))
        .collect();

    if event.end.is_none_or(|end| end <= event.start) {
        event.end = rest
            .iter()
            .filter_map(|o| o.event.end)
            .find(|end| *end > event.start)
            .or(event.end);
    }
    if event.description.is_none() {
        if let Some(o) = others
            .iter()
            .find(|o| in_event_language(o) && o.event.description.is_some())
        {
            event.description = o.event.description.clone();
            event.description_html = o.event.description_html.clone();
        }
    }
    macro_rules! fill {
        ($field:ident) => {
            if event.$field.is_none() {
                event.$field = rest.iter().find_map(|o| o.event.$field.clone());
            }
        };
    }
    fill!(url);
    fill!(image);
    fill!(venue);
    fill!(organizer);
    fill!(price);
    if let Some(venue) = event.venue.as_mut() {
        for other in rest.iter().filter_map(|o| o.event.venue.as_ref()) {
            if other.id != venue.id {
                continue;
            }
            if venue.address.is_none() {
                venue.address = other.address.clone();
            }
            if venue.city.is_none() {
                venue.city = other.city.clone();
            }
            // A municipality's centre gives way to the place's own.
            let stand_in = venue.precision == Some(model::Precision::Municipality);
            let better = other.precision.is_none_or(model::Precision::is_the_place);
            if venue.lat.is_none() || venue.lon.is_none() || (stand_in && better) {
                if let (Some(lat), Some(lon)) = (other.lat, other.lon) {
                    venue.lat = Some(lat);
                    venue.lon = Some(lon);
                    venue.precision = other.precision;
                }
            }
        }
    }

    for o in rest {
        for c in &o.event.categories {
            if !event.categories.contains(c) {
                event.categories.push(c.clone());
            }
        }
        for s in &o.event.sources {
            if !event.sources.contains(s) {
                event.sources.push(s.clone());
            }
        }
        event.sequence = event.sequence.max(o.event.sequence);
        event.updated_at = event.updated_at.max(o.event.updated_at);
    }

    // Translations: other-language records first (in rank order), then
    // the translations the members carried.
    for o in &others {
        let Some(lang) = o.event.language.as_ref() else {
            continue;
        };
        if Some(lang) == language.as_ref() || event.translations.contains_key(lang) {
            continue;
        }
        event.translations.insert(
            lang.clone(),
            Translation {
                title: o.event.title.clone(),
                description: o.event.description.clone(),
            },
        );
    }
    for o in &others {
        for (lang, t) in &o.event.translations {
            if Some(lang) != language.as_ref() && !event.translations.contains_key(lang) {
                event.translations.insert(lang.clone(), t.clone());
            }
        }
    }
    // A same-language translation entry is never useful.
    if let Some(lang) = &language {
        event.translations.remove(lang);
    }
    if !languages.is_empty() {
        event
            .translations
            .retain(|lang, _| languages.contains(lang));
    }
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use model::SourceId;

    fn listing(source: &str, priority: i32, lang: &str, title: &str, start: &str) -> Occurrence {
        let start = DateTime::parse_from_rfc3339(start).expect("start");
        let mut e = Event::new("", title, start, "America/Toronto", Utc::now());
        e.language = Some(lang.to_string());
        e.description = Some(format!("{title} ({lang})"));
        let mut o = Occurrence::single(SourceId::new(source).expect("id"), title, e);
        o.priority = priority;
        o
    }

    fn languages() -> Vec<String> {
        vec!["fr".to_string(), "en".to_string()]
    }

    #[test]
    fn an_english_record_of_higher_priority_gives_the_times_not_the_title() {
        let en = listing(
            "tourism",
            10,
            "en",
            "Storytelling night for adults",
            "2027-01-15T19:30:00-05:00",
        );
        let fr = listing(
            "biblio",
            0,
            "fr",
            "Soirée de contes pour adultes",
            "2027-01-15T19:00:00-05:00",
        );
        let event = merge(&[&en, &fr], &languages()).expect("event");
        assert_eq!(event.title, "Soirée de contes pour adultes");
        assert_eq!(event.language.as_deref(), Some("fr"));
        assert_eq!(
            event.description.as_deref(),
            Some("Soirée de contes pour adultes (fr)")
        );
        // Times still from the record of higher priority.
        assert_eq!(event.start, en.event.start);
        let t = event.translations.get("en").expect("translations.en");
        assert_eq!(t.title, "Storytelling night for adults");
        assert_eq!(
            t.description.as_deref(),
            Some("Storytelling night for adults (en)")
        );
        assert!(!event.translations.contains_key("fr"));
        // Input order does not matter.
        assert_eq!(merge(&[&fr, &en], &languages()), Some(event));
    }

    #[test]
    fn without_a_record_in_the_first_language_the_best_record_writes() {
        let en = listing(
            "tourism",
            10,
            "en",
            "Printmaking workshop",
            "2027-02-01T13:00:00-05:00",
        );
        let event = merge(&[&en], &languages()).expect("event");
        assert_eq!(event.title, "Printmaking workshop");
        assert_eq!(event.language.as_deref(), Some("en"));
        assert!(event.translations.is_empty());
        // With no configured languages, the best record writes, as before.
        let fr = listing(
            "biblio",
            0,
            "fr",
            "Atelier de gravure",
            "2027-02-01T13:00:00-05:00",
        );
        let event = merge(&[&en, &fr], &[]).expect("event");
        assert_eq!(event.title, "Printmaking workshop");
        assert_eq!(
            event.translations.get("fr").map(|t| t.title.as_str()),
            Some("Atelier de gravure")
        );
    }
}
