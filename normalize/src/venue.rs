//! Venues: the place a record names, matched against the gazetteer.
//!
//! * No place text at all (no location, no address): the source's default
//!   `venue` if it has one, else none.
//! * Otherwise the location text is compared, folded, with each venue's name
//!   and aliases: equal, or containing one as whole words (the longest such
//!   name wins); else the record's address (or the location read as an
//!   address) is compared with the venue's address after folding, expanding
//!   street abbreviations and dropping the city, province and postal code.
//! * Then, fuzzily: the location text and each of its segments (cut at
//!   commas, parentheses, semicolons, dashes) against each name and alias,
//!   compared as token sets after dropping articles and prepositions ("de",
//!   "la", "the") and place names ("Laval"): the distinctive words must be
//!   the same on both sides (a typo of one letter allowed in words of five
//!   letters or more, two from nine), and generic words ("salle", "maison",
//!   "bibliothèque") must share one when both sides have some. So "Maison
//!   des Arts" finds "Maison des arts de Laval" and "Salle Andre Mathieu"
//!   finds "Salle André-Mathieu", while "Bibliothèque Multicentre" never
//!   finds "Bibliothèque Philippe-Panneton", nor "Salle A" "Salle B". Two
//!   venues equally close: no match. Addresses likewise: same civic number,
//!   same street words (street type, direction when both give one, the city
//!   and postal code aside): "1395 boul. de la Concorde O., Laval H7N 5W1" is
//!   "1395, boulevard de la Concorde Ouest".
//! * Every way of matching skips the venues of another town: when the
//!   record names a municipality (its city field, else the place text, else
//!   the city of its address) and the venue's city, address or name names
//!   another, they are namesakes ("Maison des arts de Terrebonne" is not the
//!   Maison des arts de Laval, whose fuzzy name it shares): a show moved
//!   from one to the other moves.
//! * A matched venue is the configured one (its coordinates, else the
//!   source's). An unmatched place becomes a venue of its own: id `loc-` +
//!   12 hex digits of the hash of the folded text, name the part before the
//!   first comma, address the rest.
//! * Coordinates and their `precision`: the gazetteer's or the source's are
//!   the venue's own (`venue`); a venue still without any takes the centre
//!   of its municipality (`municipality`): its city when that is a listed
//!   municipality or a borough of one ("Montréal-Nord" is in Montréal),
//!   else one named in its city field, the place text, or its own name and
//!   address. The optional geocoder ([`crate::geocode`]) may replace a
//!   centre (`address` when its query named a street).
//! * Addresses are read by [`crate::address`] ([`city_from_address`]).
//! * The city, in order: the venue's or the record's own; the one written
//!   before a province or postal code in the address; a municipality named
//!   in the place text ([`crate::places::place_in_text`]); the municipality
//!   nearest to the coordinates ([`crate::places::ReverseGeocoder`]). Text
//!   comes before coordinates because the nearest GeoNames point is often the
//!   neighbouring town for a venue near a border (a hall in Sainte-Rose,
//!   Laval, is nearer Rosemère's point than Laval's).

use model::{GeoPoint, Precision, Venue};

use crate::address::{address_key, street_type};
pub use crate::address::{city_from_address, names_a_street};
use crate::config::VenueConfig;
use crate::places::{self, ReverseGeocoder};
use crate::text::{clean_title, fold_for_match};

/// The gazetteer, folded once, with the offline reverse geocoder (built on
/// first use).
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    venues: Vec<Entry>,
    reverse: ReverseGeocoder,
}

#[derive(Debug, Clone)]
struct Entry {
    config: VenueConfig,
    /// Folded name and aliases.
    names: Vec<String>,
    /// The names and aliases as token sets, for fuzzy matching.
    name_tokens: Vec<Tokens>,
    /// The address's comparison key, if any.
    address_key: Option<String>,
    /// The address's street, for fuzzy matching.
    street: Option<Street>,
    /// The municipality the venue is in, when its city, address or name
    /// says: a record in another town never matches it.
    town: Option<&'static places::Place>,
}

impl Entry {
    /// Whether the venue may be in `town` (the town a record names): the
    /// same municipality, or either unknown.
    fn in_town(&self, town: Option<&places::Place>) -> bool {
        match (self.town, town) {
            (Some(a), Some(b)) => a.folded == b.folded,
            _ => true,
        }
    }
}

/// The municipality a city name designates (a borough's town), or one it
/// names ("Ville de Laval").
fn town_of(city: &str) -> Option<&'static places::Place> {
    places::municipality(city).or_else(|| places::place_in_text(city))
}

/// Articles and prepositions, ignored when comparing names.
pub(crate) const STOP_WORDS: &[&str] = &[
    "la", "le", "les", "l", "de", "des", "du", "d", "the", "of", "et", "and", "au", "aux",
];

/// Words that name a kind of place rather than one place.
pub(crate) const GENERIC_WORDS: &[&str] = &[
    "salle",
    "maison",
    "centre",
    "center",
    "bibliotheque",
    "library",
    "theatre",
    "theater",
    "parc",
    "park",
    "eglise",
    "church",
    "cafe",
    "studio",
    "galerie",
    "gallery",
    "musee",
    "museum",
    "espace",
    "complexe",
    "pavillon",
    "chalet",
    "auditorium",
    "amphitheatre",
    "hall",
    "local",
    "grande",
    "petite",
    "culturel",
    "culturelle",
    "culture",
    "communautaire",
    "municipal",
    "municipale",
    "arena",
    "cegep",
    "college",
    "ecole",
    "school",
    "bar",
    "restaurant",
    "librairie",
    "agora",
    "jardin",
    "chapelle",
    "scene",
    "cinema",
    "club",
    "sportif",
    "quartier",
];

/// A name as token sets: generic words and distinctive words.
#[derive(Debug, Clone, Default, PartialEq)]
struct Tokens {
    generic: Vec<String>,
    distinctive: Vec<String>,
}

impl Tokens {
    fn of(text: &str) -> Tokens {
        let folded = fold_for_match(text);
        let mut words: Vec<&str> = folded.split_whitespace().collect();
        // A trailing place name is where the venue is, not what it is
        // ("Maison des arts de Laval").
        strip_trailing_place(&mut words);
        let mut t = Tokens::default();
        for w in words {
            if STOP_WORDS.contains(&w) || places::is_place_name(w) {
                continue;
            }
            let w = match w {
                "biblio" | "library" => "bibliotheque",
                "center" => "centre",
                "theater" => "theatre",
                "museum" => "musee",
                "gallery" => "galerie",
                "church" => "eglise",
                "park" => "parc",
                other => other,
            };
            let list = if GENERIC_WORDS.contains(&w) {
                &mut t.generic
            } else {
                &mut t.distinctive
            };
            if !list.iter().any(|x| x == w) {
                list.push(w.to_string());
            }
        }
        t
    }

    /// The similarity of two names: None when they are not the same place,
    /// else a score (higher is closer).
    fn score(&self, other: &Tokens) -> Option<usize> {
        if self.distinctive.is_empty() || other.distinctive.is_empty() {
            return None;
        }
        if !same_words(&self.distinctive, &other.distinctive) {
            return None;
        }
        let shared_generic = self
            .generic
            .iter()
            .filter(|g| other.generic.contains(g))
            .count();
        if !self.generic.is_empty() && !other.generic.is_empty() && shared_generic == 0 {
            return None;
        }
        let exact = self
            .distinctive
            .iter()
            .filter(|d| other.distinctive.contains(d))
            .count();
        Some(10 * exact + 5 * (self.distinctive.len() - exact) / 2 + shared_generic)
    }
}

/// A street address reduced to its civic number, street words and direction.
#[derive(Debug, Clone, PartialEq)]
struct Street {
    number: String,
    words: Vec<String>,
    direction: Option<String>,
}

impl Street {
    fn of(address: &str) -> Option<Street> {
        let key = address_key(address)?;
        let mut tokens: Vec<&str> = key.split_whitespace().collect();
        let number = tokens.first()?.to_string();
        tokens.remove(0);
        strip_trailing_place(&mut tokens);
        let mut direction = None;
        let mut words = Vec::new();
        for t in tokens {
            if matches!(t, "ouest" | "est" | "nord" | "sud") {
                direction = Some(t.to_string());
            } else if !STOP_WORDS.contains(&t) && street_type(t).is_none() {
                words.push(t.to_string());
            }
        }
        (!words.is_empty()).then_some(Street {
            number,
            words,
            direction,
        })
    }

    fn same(&self, other: &Street) -> bool {
        self.number == other.number
            && same_words(&self.words, &other.words)
            && match (&self.direction, &other.direction) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// Drop a place name (up to four words) at the end of a word list, when
/// words remain before it.
fn strip_trailing_place(words: &mut Vec<&str>) {
    for n in (1..=4).rev() {
        if words.len() > n {
            let tail = words.get(words.len() - n..).unwrap_or_default().join(" ");
            if places::is_place_name(&tail) {
                words.truncate(words.len() - n);
                return;
            }
        }
    }
}

/// Whether two word sets are the same, up to small typos.
fn same_words(a: &[String], b: &[String]) -> bool {
    let covers = |x: &[String], y: &[String]| {
        x.iter()
            .all(|w| y.iter().any(|v| w == v || near_word(w, v)))
    };
    a.len() == b.len() && covers(a, b) && covers(b, a)
}

/// One edit apart in words of 5+ letters, two in words of 9+; never for
/// numbers.
fn near_word(a: &str, b: &str) -> bool {
    let len = a.chars().count().min(b.chars().count());
    if len < 5 || a.chars().any(|c| c.is_ascii_digit()) || b.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let max = if len >= 9 { 2 } else { 1 };
    levenshtein(a, b) <= max
}

/// Edit distance between two short strings.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX - 1) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX - 1) + 1;
            let ins = cur.get(j).copied().unwrap_or(usize::MAX - 1) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The segments of a place text, for fuzzy matching: the whole text and its
/// parts between commas, parentheses, semicolons, line breaks and dashes.
fn segments(text: &str) -> Vec<&str> {
    let mut out = vec![text];
    for part in text
        .split([',', ';', '(', ')', '\n', '|'])
        .flat_map(|s| s.split(" - "))
        .flat_map(|s| s.split(" – "))
    {
        let part = part.trim();
        if !part.is_empty() && !out.contains(&part) {
            out.push(part);
        }
    }
    out
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
                let name_tokens = std::iter::once(&v.name)
                    .chain(v.aliases.iter())
                    .map(|n| Tokens::of(n))
                    .collect();
                Entry {
                    config: v.clone(),
                    names,
                    name_tokens,
                    address_key: v.address.as_deref().and_then(address_key),
                    street: v.address.as_deref().and_then(Street::of),
                    town: v
                        .city
                        .as_deref()
                        .and_then(town_of)
                        .or_else(|| {
                            v.address
                                .as_deref()
                                .and_then(city_from_address)
                                .and_then(|c| town_of(&c))
                        })
                        .or_else(|| places::place_in_text(&v.name)),
                }
            })
            .collect();
        Gazetteer {
            venues,
            reverse: ReverseGeocoder::default(),
        }
    }

    /// The offline reverse geocoder this gazetteer uses.
    pub fn reverse_geocoder(&self) -> &ReverseGeocoder {
        &self.reverse
    }

    /// The configured venue with this id.
    pub fn by_id(&self, id: &str) -> Option<Venue> {
        self.venues
            .iter()
            .find(|e| e.config.id == id)
            .map(|e| self.with_city(to_venue(&e.config, None), None))
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
        let text = [location.as_deref(), address.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        // The town the record names: a venue of the gazetteer in another
        // town is a namesake ("Maison des arts de Terrebonne" is not the
        // Maison des arts de Laval).
        let town = city
            .as_deref()
            .and_then(town_of)
            .or_else(|| places::place_in_text(&text))
            .or_else(|| {
                [address.as_deref(), location.as_deref()]
                    .into_iter()
                    .flatten()
                    .find_map(|a| city_from_address(a).and_then(|c| town_of(&c)))
            });
        let matched = location
            .as_deref()
            .and_then(|l| self.by_name(l, town))
            .or_else(|| {
                location
                    .as_deref()
                    .and_then(|l| self.by_fuzzy_name(l, town))
            })
            .or_else(|| address.as_deref().and_then(|a| self.by_address(a, town)))
            .or_else(|| location.as_deref().and_then(|l| self.by_address(l, town)));
        if let Some(e) = matched {
            return Some(self.with_city(to_venue(&e.config, place.geo), Some(&text)));
        }
        let venue = unmatched(location.as_deref(), address.as_deref(), city, place.geo);
        Some(self.with_city(venue, Some(&text)))
    }

    /// Fill the city when it is missing: from a municipality named in the
    /// place text (or the venue's name and address), else from the
    /// coordinates. Then a venue still without coordinates takes its
    /// municipality's centre (see [`municipality_of`]).
    fn with_city(&self, mut venue: Venue, text: Option<&str>) -> Venue {
        let own = [Some(venue.name.as_str()), venue.address.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        if venue.city.is_none() {
            venue.city = text
                .and_then(places::place_in_text)
                .or_else(|| places::place_in_text(&own))
                .map(|p| p.name.clone())
                .or_else(|| match (venue.lat, venue.lon) {
                    (Some(lat), Some(lon)) => self.reverse.city(lat, lon),
                    _ => None,
                });
        }
        if venue.lat.is_none() || venue.lon.is_none() {
            if let Some(p) = municipality_of(venue.city.as_deref(), text, &own) {
                venue.lat = Some(p.lat);
                venue.lon = Some(p.lon);
                venue.precision = Some(Precision::Municipality);
            }
        }
        venue
    }

    /// The venue whose name or alias is the same token set as the location
    /// or one of its segments (see the module doc); None when two venues
    /// are equally close.
    fn by_fuzzy_name(&self, location: &str, town: Option<&places::Place>) -> Option<&Entry> {
        let mut best: Option<(usize, &Entry)> = None;
        let mut tie = false;
        for seg in segments(location) {
            let tokens = Tokens::of(seg);
            for e in self.venues.iter().filter(|e| e.in_town(town)) {
                let Some(score) = e.name_tokens.iter().filter_map(|n| n.score(&tokens)).max()
                else {
                    continue;
                };
                match best {
                    Some((s, b)) if score == s && b.config.id != e.config.id => tie = true,
                    Some((s, _)) if score <= s => {}
                    _ => {
                        best = Some((score, e));
                        tie = false;
                    }
                }
            }
        }
        if tie {
            return None;
        }
        best.map(|(_, e)| e)
    }

    fn by_name(&self, location: &str, town: Option<&places::Place>) -> Option<&Entry> {
        let folded = fold_for_match(location);
        if folded.is_empty() {
            return None;
        }
        let venues = || self.venues.iter().filter(|e| e.in_town(town));
        if let Some(e) = venues().find(|e| e.names.contains(&folded)) {
            return Some(e);
        }
        let padded = format!(" {folded} ");
        venues()
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

    fn by_address(&self, address: &str, town: Option<&places::Place>) -> Option<&Entry> {
        let key = address_key(address)?;
        // Equal, or one a whole-word prefix of the other (a city left in).
        let prefix = |long: &str, short: &str| {
            long.strip_prefix(short)
                .is_some_and(|rest| rest.starts_with(' '))
        };
        let street = Street::of(address);
        let venues = || self.venues.iter().filter(|e| e.in_town(town));
        venues()
            .find(|e| {
                e.address_key
                    .as_deref()
                    .is_some_and(|v| v == key || prefix(&key, v) || prefix(v, &key))
            })
            .or_else(|| {
                let street = street.as_ref()?;
                let mut found =
                    venues().filter(|e| e.street.as_ref().is_some_and(|s| s.same(street)));
                let first = found.next()?;
                // Two venues at one address: the name decides, not this.
                found.next().is_none().then_some(first)
            })
    }
}

/// The municipality whose centre stands for a venue known only by its
/// town: its city when that is a listed municipality (or a borough of one,
/// "Montréal-Nord"), else one named in the city field ("Ville de Laval"),
/// the place text or the venue's own name and address (a city field may
/// hold a district the list does not know: "Sainte-Rose" with "…, Laval"
/// in the text is in Laval).
fn municipality_of(
    city: Option<&str>,
    text: Option<&str>,
    own: &str,
) -> Option<&'static places::Place> {
    city.and_then(places::municipality)
        .or_else(|| city.and_then(places::place_in_text))
        .or_else(|| text.and_then(places::place_in_text))
        .or_else(|| places::place_in_text(own))
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
        precision: lat.and(lon).map(|_| Precision::Venue),
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
        precision: geo.map(|_| Precision::Venue),
    }
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

    fn region() -> Gazetteer {
        let v = |id: &str, name: &str, address: Option<&str>| VenueConfig {
            id: id.into(),
            name: name.into(),
            aliases: vec![],
            address: address.map(str::to_string),
            city: None,
            lat: None,
            lon: None,
        };
        Gazetteer::new(&[
            v(
                "maison-des-arts",
                "Maison des arts de Laval",
                Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1"),
            ),
            v("salle-andre-mathieu", "Salle André-Mathieu", None),
            v(
                "multicentre",
                "Bibliothèque Multicentre",
                Some("2900, boulevard Saint-Martin Ouest, Laval"),
            ),
            v(
                "panneton",
                "Bibliothèque Philippe-Panneton",
                Some("4747, boulevard Arthur-Sauvé, Laval"),
            ),
            v("salle-a", "Salle A", None),
            v("centre-nature", "Centre de la nature", None),
        ])
    }

    fn id(g: &Gazetteer, location: &str) -> String {
        g.resolve(&loc(location), None)
            .map(|v| v.id)
            .unwrap_or_default()
    }

    #[test]
    fn fuzzy_names_find_the_same_venue() {
        let g = region();
        for (text, want) in [
            ("Salle Andre Mathieu", "salle-andre-mathieu"),
            ("La salle André-Mathieu (Laval)", "salle-andre-mathieu"),
            ("salle andré mathieu", "salle-andre-mathieu"),
            ("Salle André-Matthieu", "salle-andre-mathieu"),
            ("Maison des Arts", "maison-des-arts"),
            ("La Maison des arts, Laval", "maison-des-arts"),
            (
                "Maison des arts (Laval) - Salle principale",
                "maison-des-arts",
            ),
            ("Bibliothèque Multicentre", "multicentre"),
            ("Bibliotheque multi-centre", "loc-"),
            ("Biblio Multicentre", "multicentre"),
            ("Bibliothèque Philippe Panneton", "panneton"),
            ("Salle A", "salle-a"),
        ] {
            let got = id(&g, text);
            assert!(got.starts_with(want), "{text:?} gave {got}, want {want}");
        }
    }

    #[test]
    fn fuzzy_names_do_not_confuse_similar_venues() {
        let g = region();
        for text in [
            "Salle B",
            "Salle AB",
            "Bibliothèque Marius-Barbeau",
            "Bibliothèque",
            "Maison des arts martiaux",
            "Maison de la culture",
            "Théâtre des arts",
            "Salle Alfred-Pellan",
            "Centre communautaire",
            "Parc de la Rivière",
        ] {
            let got = id(&g, text);
            assert!(got.starts_with("loc-"), "{text:?} matched {got}");
        }
        assert!(id(&g, "Bibliothèque Philippe-Panneton").starts_with("panneton"));
        assert!(!id(&g, "Bibliothèque Multicentre").starts_with("panneton"));
        // Two equally close venues: no guess.
        let twins = Gazetteer::new(&[
            VenueConfig {
                id: "mda-laval".into(),
                name: "Maison des arts de Laval".into(),
                aliases: vec![],
                address: None,
                city: None,
                lat: None,
                lon: None,
            },
            VenueConfig {
                id: "mda-terrebonne".into(),
                name: "Maison des arts de Terrebonne".into(),
                aliases: vec![],
                address: None,
                city: None,
                lat: None,
                lon: None,
            },
        ]);
        assert!(id(&twins, "Maison des Arts").starts_with("loc-"));
        assert_eq!(
            id(&twins, "Maison des arts de Terrebonne"),
            "mda-terrebonne"
        );
    }

    #[test]
    fn fuzzy_addresses_find_the_venue() {
        let g = region();
        for address in [
            "1395 boul. de la Concorde O., Laval, QC H7N 5W1",
            "1395, boulevard de la Concorde Ouest",
            "1395 boul de la Concorde Ouest, Laval H7N5W1",
            "1395, Boulevard de la Concorde O, Laval (Québec)",
            "1395 Concorde Ouest, Laval",
            "1395 boulevard Concorde, Laval",
        ] {
            let place = PlaceText {
                location: Some("Grande salle"),
                address: Some(address),
                ..PlaceText::default()
            };
            assert_eq!(
                g.resolve(&place, None).map(|v| v.id).as_deref(),
                Some("maison-des-arts"),
                "{address}"
            );
        }
        for address in [
            "1395 boulevard de la Concorde Est, Laval",
            "1397 boulevard de la Concorde Ouest, Laval",
            "1395 rue Principale, Laval",
        ] {
            let place = PlaceText {
                location: Some("Grande salle"),
                address: Some(address),
                ..PlaceText::default()
            };
            let got = g.resolve(&place, None).map(|v| v.id).unwrap_or_default();
            assert!(got.starts_with("loc-"), "{address} matched {got}");
        }
    }

    #[test]
    fn the_city_is_filled_from_text_then_coordinates() {
        let g = region();
        // A gazetteer venue with no address: its name says where.
        let v = g.resolve(&loc("Maison des Arts"), None).expect("venue");
        assert_eq!(v.city.as_deref(), Some("Laval"));
        // Named in the location text.
        let v = g
            .resolve(&loc("Café Le Signet, Terrebonne"), None)
            .expect("venue");
        assert_eq!(v.city.as_deref(), Some("Terrebonne"));
        let v = g
            .resolve(&loc("Cabaret du Vieux-Bourg (Montréal)"), None)
            .expect("venue");
        assert_eq!(v.city.as_deref(), Some("Montréal"));
        // Only coordinates: the nearest municipality.
        let place = PlaceText {
            location: Some("Sous le chapiteau"),
            geo: GeoPoint::new(45.572, -73.69),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert_eq!(v.city.as_deref(), Some("Laval"));
        // The record's own city comes first.
        let place = PlaceText {
            location: Some("Sous le chapiteau"),
            city: Some("Boisbriand"),
            geo: GeoPoint::new(45.572, -73.69),
            ..PlaceText::default()
        };
        assert_eq!(
            g.resolve(&place, None).and_then(|v| v.city).as_deref(),
            Some("Boisbriand")
        );
        // A district alone is no municipality; no coordinates: unknown.
        let v = g.resolve(&loc("Salle paroissiale, Sainte-Rose"), None);
        assert_eq!(v.and_then(|v| v.city), None);
        // The source's default venue gets its city too.
        let v = g.resolve(&PlaceText::default(), Some("maison-des-arts"));
        assert_eq!(v.and_then(|v| v.city).as_deref(), Some("Laval"));
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("mathieu", "matthieu"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert!(near_word("panneton", "paneton"));
        assert!(!near_word("salle", "selle2"));
        assert!(!near_word("arts", "art"));
    }

    /// Real-looking Québec and Ontario addresses, both languages, and the
    /// city a reader finds in each. A borough written without a comma
    /// ("Montréal-Nord") is kept as written: the places list has no
    /// boroughs, and [`places::municipality`] places it in its town.

    #[test]
    fn venues_known_by_their_town_get_its_centre() {
        let g = region();
        let laval = places::municipality("Laval").expect("Laval");
        // Named in the place text.
        let v = g
            .resolve(&loc("Café Le Signet, 12 rue Principale, Terrebonne"), None)
            .expect("venue");
        assert_eq!(v.city.as_deref(), Some("Terrebonne"));
        assert_eq!(v.precision, Some(Precision::Municipality));
        assert!((v.lat.unwrap_or_default() - 45.70).abs() < 0.01, "{v:?}");
        // The record's city field; a borough is in its town.
        let place = PlaceText {
            location: Some("Chapiteau"),
            city: Some("Montréal-Nord"),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert_eq!(v.city.as_deref(), Some("Montréal-Nord"));
        assert_eq!(v.precision, Some(Precision::Municipality));
        assert!((v.lat.unwrap_or_default() - 45.5088).abs() < 0.01, "{v:?}");
        // A district the list does not know, with the town in the text.
        let place = PlaceText {
            location: Some("Salle paroissiale, Laval"),
            city: Some("Sainte-Rose"),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert_eq!(v.city.as_deref(), Some("Sainte-Rose"));
        assert_eq!((v.lat, v.lon), (Some(laval.lat), Some(laval.lon)));
        // A gazetteer venue without coordinates: its town.
        let v = g
            .resolve(&loc("Bibliothèque Multicentre"), None)
            .expect("venue");
        assert_eq!(v.id, "multicentre");
        assert_eq!(v.precision, Some(Precision::Municipality));
        // Coordinates of the venue: venue precision, kept.
        let place = PlaceText {
            location: Some("Sous le chapiteau, Laval"),
            geo: GeoPoint::new(45.572, -73.69),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert_eq!((v.lat, v.precision), (Some(45.572), Some(Precision::Venue)));
        let v = gazetteer().resolve(&loc("MDA"), None).expect("venue");
        assert_eq!(
            (v.lat, v.precision),
            (Some(45.5605), Some(Precision::Venue))
        );
        // No town known: no coordinates, no precision.
        let v = g.resolve(&loc("Salle paroissiale"), None).expect("venue");
        assert_eq!((v.lat, v.precision), (None, None));
    }

    /// A venue of the same kind and name in another town is another venue:
    /// a show moved from the Maison des arts de Laval to Terrebonne's
    /// must not stay in Laval.
    #[test]
    fn a_namesake_in_another_town_is_another_venue() {
        let g = gazetteer();
        for text in [
            "Maison des arts de Terrebonne",
            "Maison des Arts, Terrebonne",
            "Maison des arts (Montréal-Nord)",
            "Salle Alfred-Pellan, 12 rue Principale, Sainte-Thérèse QC",
        ] {
            let v = g.resolve(&loc(text), None).expect("venue");
            assert!(v.id.starts_with("loc-"), "{text:?} matched {}", v.id);
            assert_ne!(v.city.as_deref(), Some("Laval"), "{text:?}");
        }
        let place = PlaceText {
            location: Some("Maison des arts"),
            city: Some("Terrebonne"),
            ..PlaceText::default()
        };
        let v = g.resolve(&place, None).expect("venue");
        assert!(v.id.starts_with("loc-"), "{v:?}");
        assert_eq!(v.city.as_deref(), Some("Terrebonne"));
        // The same town, or none said: the venue.
        for text in ["Maison des arts, Laval", "Maison des Arts", "MDA (Laval)"] {
            let v = g.resolve(&loc(text), None).expect("venue");
            assert_eq!(v.id, "maison-des-arts", "{text:?}");
        }
        let place = PlaceText {
            location: Some("Maison des arts"),
            city: Some("Laval"),
            ..PlaceText::default()
        };
        assert_eq!(
            g.resolve(&place, None).map(|v| v.id).as_deref(),
            Some("maison-des-arts")
        );
    }
}
