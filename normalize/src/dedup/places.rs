//! Places: what is known of an occurrence's venue, and whether two venues
//! are the same place, different places or unknown. Also the URL key the
//! translation rule compares.

use super::lexicon::is_stop_word;
use super::{OTHER_PLACE_METRES, SAME_PLACE_METRES};
use crate::text::fold_for_match;

/// What two places have in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Place {
    /// Not the same place: never merge.
    Different,
    /// Nothing known on one side (or a city only).
    Unknown,
    Same,
}

pub(super) struct VenueFeatures<'a> {
    pub(super) id: &'a str,
    /// Folded name words, stop words dropped.
    pub(super) name: Vec<String>,
    pub(super) city: Option<String>,
    /// The venue's name is its city's.
    city_only: bool,
    geo: Option<(f64, f64)>,
    street: Option<String>,
}

pub(super) fn venue_features(v: &model::Venue) -> VenueFeatures<'_> {
    let name: Vec<String> = fold_for_match(&v.name)
        .split_whitespace()
        .filter(|w| !is_stop_word(w))
        .map(str::to_string)
        .collect();
    let city = v
        .city
        .as_deref()
        .map(fold_for_match)
        .filter(|c| !c.is_empty());
    let city_only = city
        .as_deref()
        .is_some_and(|c| name.join(" ") == c || name.is_empty());
    VenueFeatures {
        id: v.id.as_str(),
        name,
        city,
        city_only,
        // A municipality's centre says nothing of where in town it is.
        geo: v
            .lat
            .zip(v.lon)
            .filter(|_| v.precision != Some(model::Precision::Municipality))
            .filter(|(la, lo)| la.is_finite() && lo.is_finite()),
        street: v.address.as_deref().and_then(street_key),
    }
}

/// "1395, boul. de la Concorde Ouest, Laval" → "1395 concorde".
fn street_key(address: &str) -> Option<String> {
    const STREET_WORDS: &[&str] = &[
        "boulevard",
        "boul",
        "bd",
        "blvd",
        "rue",
        "street",
        "st",
        "avenue",
        "av",
        "ave",
        "chemin",
        "ch",
        "place",
        "pl",
        "montee",
        "rang",
        "route",
        "road",
        "rd",
        "de",
        "la",
        "du",
        "des",
        "le",
        "l",
        "d",
        "the",
        "saint",
        "st",
        "sainte",
        "ste",
        "n",
        "e",
        "o",
        "s",
        "w",
        "nord",
        "est",
        "ouest",
        "sud",
        "north",
        "east",
        "west",
        "south",
    ];
    let folded = fold_for_match(address);
    let mut words = folded.split_whitespace();
    let number = words.find(|w| w.chars().all(|c| c.is_ascii_digit()))?;
    let street = words.find(|w| !STREET_WORDS.contains(w) && w.chars().count() >= 3)?;
    Some(format!("{number} {street}"))
}

/// A URL's host and path, without `www.`, a leading language segment, the
/// query, the fragment and a trailing slash; None when the path is empty.
pub(super) fn url_key(url: &str) -> Option<String> {
    let lower = url.trim().to_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .first()
        .is_some_and(|s| matches!(*s, "fr" | "en" | "fr-ca" | "en-ca" | "fr_ca" | "en_ca"))
    {
        segments.remove(0);
    }
    if segments.is_empty() || host.is_empty() {
        return None;
    }
    Some(format!("{host}/{}", segments.join("/")))
}

/// Great-circle distance in metres.
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

pub(super) fn place(a: Option<&VenueFeatures<'_>>, b: Option<&VenueFeatures<'_>>) -> Place {
    let (Some(a), Some(b)) = (a, b) else {
        return Place::Unknown;
    };
    if a.id == b.id {
        return Place::Same;
    }
    if let (Some(ca), Some(cb)) = (&a.city, &b.city) {
        if ca != cb {
            return Place::Different;
        }
    }
    if let (Some(ga), Some(gb)) = (a.geo, b.geo) {
        let d = distance_m(ga, gb);
        if d <= SAME_PLACE_METRES {
            return Place::Same;
        }
        if d > OTHER_PLACE_METRES {
            return Place::Different;
        }
    }
    if a.street.is_some() && a.street == b.street {
        return Place::Same;
    }
    if a.city_only || b.city_only {
        return Place::Unknown;
    }
    let contained = |x: &[String], y: &[String]| !x.is_empty() && x.iter().all(|w| y.contains(w));
    if contained(&a.name, &b.name) || contained(&b.name, &a.name) {
        return Place::Same;
    }
    Place::Different
}
