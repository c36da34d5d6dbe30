//! Venues: the place a record names, matched against the gazetteer.
//!
//! * No place text at all (no location, no address): the source's default
//!   `venue` if it has one, else none.
//! * Otherwise the location text is compared, folded, with each venue's name
//!   and aliases: equal, or containing one as whole words (the longest such
//!   name wins); else the record's address (or the location read as an
//!   address) is compared with the venue's address after folding, expanding
//!   street abbreviations and dropping the city, province and postal code.
//! * A matched venue is the configured one (its coordinates, else the
//!   source's). An unmatched place becomes a venue of its own: id `loc-` +
//!   12 hex digits of the hash of the folded text, name the part before the
//!   first comma, address the rest, city the record's or the one written
//!   before a province or postal code.

use model::{GeoPoint, Venue};

use crate::config::VenueConfig;
use crate::text::{clean_title, fold_for_match};

/// The gazetteer, folded once.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    venues: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    config: VenueConfig,
    /// Folded name and aliases.
    names: Vec<String>,
    /// The address's comparison key, if any.
    address_key: Option<String>,
}

/// What a record says about its place.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlaceText<'a> {
    pub location: Option<&'a str>,
    pub address: Option<&'a str>,
    pub city: Option<&'a str>,
    pub geo: Option<GeoPoint>,
}

impl Gazetteer {
    pub fn new(venues: &[VenueConfig]) -> Gazetteer {
        let venues = venues
            .iter()
            .map(|v| {
                let mut names: Vec<String> = std::iter::once(&v.name)
                    .chain(v.aliases.iter())
                    .map(|n| fold_for_match(n))
                    .filter(|n| !n.is_empty())
                    .collect();
                names.dedup();
                Entry {
                    config: v.clone(),
                    names,
                    address_key: v.address.as_deref().and_then(address_key),
                }
            })
            .collect();
        Gazetteer { venues }
    }

    /// The configured venue with this id.
    pub fn by_id(&self, id: &str) -> Option<Venue> {
        self.venues
            .iter()
            .find(|e| e.config.id == id)
            .map(|e| to_venue(&e.config, None))
    }

    /// The venue of a record (see the module doc).
    pub fn resolve(&self, place: &PlaceText<'_>, source_default: Option<&str>) -> Option<Venue> {
        let location = place
            .location
            .map(crate::text::html_to_text)
            .filter(|s| !s.is_empty());
        let address = place.address.map(clean_title).filter(|s| !s.is_empty());
        let city = place.city.map(clean_title).filter(|s| !s.is_empty());
        if location.is_none() && address.is_none() {
            return source_default.and_then(|id| self.by_id(id));
        }
        if let Some(e) = location.as_deref().and_then(|l| self.by_name(l)) {
            return Some(to_venue(&e.config, place.geo));
        }
        let by_address = address
            .as_deref()
            .and_then(|a| self.by_address(a))
            .or_else(|| location.as_deref().and_then(|l| self.by_address(l)));
        if let Some(e) = by_address {
            return Some(to_venue(&e.config, place.geo));
        }
        Some(unmatched(
            location.as_deref(),
            address.as_deref(),
            city,
            place.geo,
        ))
    }

    fn by_name(&self, location: &str) -> Option<&Entry> {
        let folded = fold_for_match(location);
        if folded.is_empty() {
            return None;
        }
        if let Some(e) = self.venues.iter().find(|e| e.names.contains(&folded)) {
            return Some(e);
        }
        let padded = format!(" {folded} ");
        self.venues
            .iter()
            .filter_map(|e| {
                e.names
                    .iter()
                    .filter(|n| padded.contains(&format!(" {n} ")))
                    .map(|n| n.len())
                    .max()
                    .map(|len| (len, e))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, e)| e)
    }

    fn by_address(&self, address: &str) -> Option<&Entry> {
        let key = address_key(address)?;
        // Equal, or one a whole-word prefix of the other (a city left in).
        let prefix = |long: &str, short: &str| {
            long.strip_prefix(short)
                .is_some_and(|rest| rest.starts_with(' '))
        };
        self.venues.iter().find(|e| {
            e.address_key
                .as_deref()
                .is_some_and(|v| v == key || prefix(&key, v) || prefix(v, &key))
        })
    }
}

fn to_venue(v: &VenueConfig, geo: Option<GeoPoint>) -> Venue {
    let (lat, lon) = match (v.lat, v.lon) {
        (Some(lat), Some(lon)) => (Some(lat), Some(lon)),
        _ => (geo.map(|g| g.lat), geo.map(|g| g.lon)),
    };
    let city = v
        .city
        .clone()
        .or_else(|| v.address.as_deref().and_then(city_from_address));
    Venue {
        id: v.id.clone(),
        name: v.name.clone(),
        address: v.address.clone(),
        city,
        lat,
        lon,
    }
}

/// A venue for a place the gazetteer does not know.
fn unmatched(
    location: Option<&str>,
    address: Option<&str>,
    city: Option<String>,
    geo: Option<GeoPoint>,
) -> Venue {
    let text = location.or(address).unwrap_or_default();
    let first_line = text.lines().next().unwrap_or_default().trim();
    let (name, rest) = match location {
        Some(_) if !first_line.starts_with(|c: char| c.is_ascii_digit()) => {
            match first_line.split_once(',') {
                Some((n, r)) if !n.trim().is_empty() => {
                    (n.trim().to_string(), r.trim().to_string())
                }
                _ => (first_line.to_string(), String::new()),
            }
        }
        _ => (first_line.to_string(), first_line.to_string()),
    };
    // Lines after the first are the address too ("Salle X\n12, rue Y").
    let rest_lines: Vec<&str> = text
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let address = address.map(str::to_string).or_else(|| {
        let mut parts: Vec<&str> = Vec::new();
        if !rest.is_empty() {
            parts.push(&rest);
        }
        parts.extend(rest_lines.iter().copied());
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    let city = city.or_else(|| address.as_deref().and_then(city_from_address));
    let hash = model::ids::stable_hash(&[&fold_for_match(text)]);
    Venue {
        id: format!("loc-{}", hash.get(..12).unwrap_or(&hash)),
        name: clean_title(&name),
        address,
        city,
        lat: geo.map(|g| g.lat),
        lon: geo.map(|g| g.lon),
    }
}

/// Whether a token is a Canadian postal code or its first half (`H7N`).
fn is_postal_part(token: &str) -> bool {
    // Letter-digit-letter (`H7N`), digit-letter-digit (`5W1`), or both.
    let shape = |b: &[u8], letter_first: bool| {
        b.len() == 3
            && b.iter().enumerate().all(|(i, c)| {
                if (i % 2 == 0) == letter_first {
                    c.is_ascii_alphabetic()
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let b = token.as_bytes();
    match b.len() {
        3 => shape(b, true) || shape(b, false),
        6 => {
            b.get(..3).is_some_and(|h| shape(h, true))
                && b.get(3..).is_some_and(|l| shape(l, false))
        }
        _ => false,
    }
}

fn is_province(token: &str) -> bool {
    let folded = fold_for_match(token);
    matches!(folded.as_str(), "qc" | "quebec" | "ontario")
        || matches!(
            token,
            "ON" | "BC" | "AB" | "MB" | "SK" | "NS" | "NB" | "NL" | "PE" | "YT" | "NT" | "NU"
        )
}

/// The city written before a province or postal code:
/// "1395, boul. de la Concorde O., Laval, QC H7N 5W1" → "Laval".
pub fn city_from_address(address: &str) -> Option<String> {
    let segments: Vec<&str> = address
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for (i, seg) in segments.iter().enumerate() {
        let tokens: Vec<&str> = seg
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter(|t| !t.is_empty())
            .collect();
        let Some(p) = tokens
            .iter()
            .position(|t| is_province(t) || is_postal_part(t))
        else {
            continue;
        };
        let city = if p > 0 {
            tokens.get(..p).map(|t| t.join(" "))
        } else if i > 0 {
            segments.get(i - 1).map(|s| s.to_string())
        } else {
            None
        };
        if let Some(c) =
            city.filter(|c| !c.starts_with(|ch: char| ch.is_ascii_digit()) && !c.is_empty())
        {
            return Some(c);
        }
    }
    None
}

/// An address reduced for comparison: folded, street words expanded, the
/// city, province, postal code and country dropped. None when nothing
/// that looks like a street address remains.
fn address_key(address: &str) -> Option<String> {
    let city = city_from_address(address).map(|c| fold_for_match(&c));
    let mut folded = fold_for_match(address);
    if let Some(c) = city.filter(|c| !c.is_empty()) {
        folded = format!(" {folded} ").replace(&format!(" {c} "), " ");
    }
    let raw_tokens: Vec<&str> = address
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let postal: Vec<String> = raw_tokens
        .iter()
        .filter(|t| is_postal_part(t) || is_province(t))
        .map(|t| fold_for_match(t))
        .collect();
    let tokens: Vec<&str> = folded
        .split_whitespace()
        .filter(|t| !postal.iter().any(|p| p == t))
        .filter(|t| !matches!(*t, "canada" | "qc" | "quebec"))
        .map(|t| match t {
            "boul" | "boulv" | "bd" | "blvd" => "boulevard",
            "av" | "ave" => "avenue",
            "ch" => "chemin",
            "o" | "w" | "west" => "ouest",
            "e" | "east" => "est",
            "n" | "north" => "nord",
            "s" | "south" => "sud",
            "st" => "saint",
            "ste" => "sainte",
            "pl" => "place",
            "mtee" | "mont" => "montee",
            other => other,
        })
        .collect();
    let starts_with_number = tokens
        .first()
        .is_some_and(|t| t.chars().all(|c| c.is_ascii_digit()));
    (starts_with_number && tokens.len() >= 2).then(|| tokens.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        Gazetteer::new(&[
            VenueConfig {
                id: "maison-des-arts".into(),
                name: "Maison des arts de Laval".into(),
                aliases: vec!["MDA".into(), "Salle Alfred-Pellan".into()],
                address: Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1".into()),
                city: None,
                lat: Some(45.5605),
                lon: Some(-73.7130),
            },
            VenueConfig {
                id: "salle-andre-mathieu".into(),
                name: "Salle André-Mathieu".into(),
                aliases: vec![],
                address: Some("475, boulevard de l'Avenir, Laval (Québec) H7N 5H9".into()),
                city: Some("Laval".into()),
                lat: None,
                lon: None,
            },
        ])
    }

    fn loc(s: &str) -> PlaceText<'_> {
        PlaceText {
            location: Some(s),
            ..PlaceText::default()
        }
    }

    #[test]
    fn exact_name_and_alias_match_ignoring_case_and_accents() {
        let g = gazetteer();
        assert_eq!(
            g.resolve(&loc("maison des arts de laval"), None)
                .map(|v| v.id)
                .as_deref(),
            Some("maison-des-arts")
        );
        assert_eq!(
            g.resolve(&loc("Salle Alfred Pellan"), None)
                .map(|v| v.id)
                .as_deref(),
            Some("maison-des-arts")
        );
        assert_eq!(
            g.resolve(&loc("MDA"), None).map(|v| v.id).as_deref(),
            Some("maison-des-arts")
        );
        assert_eq!(
            g.resolve(&loc("SALLE ANDRE-MATHIEU"), None)
                .map(|v| v.id)
                .as_deref(),
            Some("salle-andre-mathieu")
        );
    }

    #[test]
    fn location_containing_a_name_as_whole_words_matches() {
        let g = gazetteer();
        let v = g
            .resolve(
                &loc("Salle Alfred-Pellan, Maison des arts de Laval, 1395 boul. de la Concorde"),
                None,
            )
            .expect("venue");
        assert_eq!(v.id, "maison-des-arts");
        assert_eq!(v.lat, Some(45.5605));
        assert_eq!(v.city.as_deref(), Some("Laval"));
        // "MDAX" is not the word "MDA".
        let v = g.resolve(&loc("MDAX Studio"), None).expect("venue");
        assert!(v.id.starts_with("loc-"));
    }

    #[test]
    fn address_matches_the_venue_address() {
        let g = gazetteer();
        let place = PlaceText {
            location: Some("Grande salle"),
            address: Some("1395 boul. de la Concorde O., Laval, QC  H7N 5W1"),
            ..PlaceText::default()
        };
        assert_eq!(
            g.resolve(&place, None).map(|v| v.id).as_deref(),
            Some("maison-des-arts")
        );
        let v = g
            .resolve(&loc("475 boul. de l'Avenir, Laval"), None)
            .expect("venue");
        assert_eq!(v.id, "salle-andre-mathieu");
        // The source's geo fills a venue that has none.
        let place = PlaceText {
            location: Some("Salle André-Mathieu"),
            geo: GeoPoint::new(45.55, -73.72),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert_eq!((v.lat, v.lon), (Some(45.55), Some(-73.72)));
    }

    #[test]
    fn unknown_place_becomes_its_own_venue() {
        let g = gazetteer();
        let place = PlaceText {
            location: Some(
                "Centre communautaire Val-des-Arbres, 3485, boul. Sainte-Rose, Laval, QC H7P 4K5",
            ),
            geo: GeoPoint::new(45.6, -73.8),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert!(v.id.starts_with("loc-"));
        assert_eq!(v.id.len(), 16);
        assert_eq!(v.name, "Centre communautaire Val-des-Arbres");
        assert_eq!(
            v.address.as_deref(),
            Some("3485, boul. Sainte-Rose, Laval, QC H7P 4K5")
        );
        assert_eq!(v.city.as_deref(), Some("Laval"));
        assert_eq!(v.lat, Some(45.6));
        // Stable, and insensitive to case and accents.
        let again = g
            .resolve(&loc("CENTRE COMMUNAUTAIRE VAL-DES-ARBRES, 3485, boul. Sainte-Rose, Laval, QC H7P 4K5"), None)
            .expect("venue");
        assert_eq!(again.id, v.id);
        let with_city = PlaceText {
            location: Some("Parc Centre-de-la-nature"),
            city: Some("Laval"),
            ..PlaceText::default()
        };
        let v = g.resolve(&with_city, None).expect("venue");
        assert_eq!(v.city.as_deref(), Some("Laval"));
        assert_eq!(v.address, None);
    }

    #[test]
    fn nothing_known_uses_the_source_default_or_none() {
        let g = gazetteer();
        assert_eq!(g.resolve(&PlaceText::default(), None), None);
        let v = g
            .resolve(&PlaceText::default(), Some("maison-des-arts"))
            .expect("default");
        assert_eq!(v.name, "Maison des arts de Laval");
        assert_eq!(g.resolve(&PlaceText::default(), Some("nope")), None);
        assert_eq!(g.resolve(&loc("  "), None), None);
    }

    #[test]
    fn cities_are_read_before_a_province_or_postal_code() {
        assert_eq!(
            city_from_address("1395, boul. de la Concorde O., Laval, QC H7N 5W1").as_deref(),
            Some("Laval")
        );
        assert_eq!(
            city_from_address("475, boulevard de l'Avenir, Laval (Québec) H7N 5H9").as_deref(),
            Some("Laval")
        );
        assert_eq!(
            city_from_address("12 rue Principale, Sainte-Thérèse QC").as_deref(),
            Some("Sainte-Thérèse")
        );
        assert_eq!(
            city_from_address("100 Queen St W, Toronto, ON M5H 2N2").as_deref(),
            Some("Toronto")
        );
        assert_eq!(city_from_address("12 rue Principale"), None);
        assert_eq!(city_from_address(""), None);
    }
}
