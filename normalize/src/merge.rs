//! One public Event from the occurrences [`crate::dedup::cluster`] grouped.
//!
//! Members are ranked by their source's `priority` (higher first), then by
//! completeness (how many of description, end, URL, image, venue, venue
//! coordinates, categories, organizer and price they give), then by source
//! and occurrence id so that the result never depends on input order.
//!
//! * Title, start, end, time zone, all-day, status, series and language come
//!   from the best record; an end is taken from the next records only when
//!   the best has none and it falls after the start.
//! * Description, URL, image, venue, organizer and price come from the first
//!   record in rank order that has them; the description only from a record
//!   in the event's language. A venue missing its address, city or
//!   coordinates takes them from another record naming the same venue id.
//! * Categories are the union, in rank order; `sources` lists every
//!   member's source reference, best first, once each.
//! * Records in another language fill `translations.<lang>` with their
//!   title and description (the best record of that language wins); the
//!   members' own translations fill what is still missing. With a
//!   non-empty `languages`, only those languages are kept.
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

/// Merge a group of occurrences into one Event (see the module doc).
/// An empty group gives None.
pub fn merge(members: &[&Occurrence], languages: &[String]) -> Option<Event> {
    let mut ranked: Vec<&Occurrence> = members.to_vec();
    ranked.sort_by(|a, b| rank_order(a, b));
    let (first, rest) = ranked.split_first()?;
    let mut event = first.event.clone();
    if event.language.is_none() {
        event.language = languages.first().cloned();
    }
    let language = event.language.clone();
    let same_language = |o: &Occurrence| o.event.language.is_none() || o.event.language == language;

    if event.end.is_none_or(|end| end <= event.start) {
        event.end = rest
            .iter()
            .filter_map(|o| o.event.end)
            .find(|end| *end > event.start)
            .or(event.end);
    }
    if event.description.is_none() {
        if let Some(o) = rest
            .iter()
            .find(|o| same_language(o) && o.event.description.is_some())
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
    for o in rest {
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
    for o in rest {
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
