//! Places: what is known of an occurrence's venue, and whether two venues
//! are the same place, different places or unknown. Also the URL key the
//! translation rule compares.
//!
//! Rooms: a venue name may name a hall of a building ("Maison des arts –
//! Salle Alfred-Pellan", "Théâtre de la Maison du citoyen", "Galerie 2").
//! Its room is the words of the parts of the name (cut at commas,
//! parentheses, dashes...) that begin or end with a room word (salle,
//! studio, galerie, théâtre, agora, café...), read in French through the
//! lexicon ("Alfred-Pellan Hall" is "salle alfred pellan"). Two venues at
//! one address or one point whose rooms are both known and neither's
//! words are all in the other's are different places; a venue that names
//! only the building is the same place as any of its rooms.

use std::borrow::Cow;

use super::lexicon::{is_stop_word, lexicon};
use super::titles::word_match;
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

pub(super) struct VenueFeatures {
    pub(super) id: String,
    /// The venue's [`venue_hash`](super::blocking::venue_hash).
    pub(super) hash: u64,
    pub(super) city: Option<String>,
    /// The words of the name and the city, sorted, each once: what a
    /// title's comparison leaves out ("Fête des neiges au Centre de la
    /// nature").
    pub(super) place_words: Vec<String>,
    /// The name's words with the lexicon lines they take part in, for
    /// comparing names across languages ("Laval House of Arts").
    canonical: Vec<(String, Vec<u32>)>,
    /// The room's words, French forms, sorted (see the module doc).
    room: Vec<String>,
    /// The venue's name is its city's.
    city_only: bool,
    geo: Option<(f64, f64)>,
    street: Option<String>,
}

pub(super) fn venue_features(v: &model::Venue) -> VenueFeatures {
    let name: Vec<String> = fold_for_match(&v.name)
        .split_whitespace()
        .filter(|w| !is_stop_word(w))
        .map(str::to_string)
        .collect();
    let city = v.city.as_deref().map(city_key).filter(|c| !c.is_empty());
    let city_only = city
        .as_deref()
        .is_some_and(|c| name.join(" ") == c || city_key(&v.name) == c || name.is_empty());
    let lex = lexicon();
    let canonical = name
        .iter()
        .cloned()
        .zip(lex.concepts_of(&name, None))
        .collect();
    let room = room_words(&v.name, city.as_deref());
    let mut place_words: Vec<String> = name
        .iter()
        .chain(city.iter())
        .flat_map(|w| w.split_whitespace())
        .map(str::to_string)
        .collect();
    place_words.sort();
    place_words.dedup();
    VenueFeatures {
        id: v.id.clone(),
        hash: super::blocking::venue_hash(v),
        place_words,
        canonical,
        room,
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

/// A city's comparison key: folded, without "ville de", "city", the
/// province ("Québec" and "Quebec City", "Ville de Laval" and "Laval").
fn city_key(city: &str) -> String {
    const DROPPED: &[&str] = &[
        "ville", "city", "de", "du", "of", "the", "town", "qc", "canada", "cite",
    ];
    let folded = fold_for_match(city);
    let kept: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| !DROPPED.contains(w))
        .collect();
    if kept.is_empty() {
        folded
    } else {
        kept.join(" ")
    }
}

/// Words that make a part of a venue's name a room (French forms).
const ROOM_WORDS: &[&str] = &[
    "salle",
    "studio",
    "galerie",
    "theatre",
    "agora",
    "auditorium",
    "amphitheatre",
    "chapelle",
    "cafe",
    "foyer",
    "atrium",
    "pavillon",
    "cabaret",
    "scene",
    "loge",
    "local",
];

/// Words that may stand before a room word ("Petite salle", "Cinquième
/// Salle", "Grand Théâtre").
const ROOM_ADJECTIVES: &[&str] = &[
    "petite",
    "petit",
    "grande",
    "grand",
    "nouvelle",
    "nouveau",
    "premiere",
    "deuxieme",
    "troisieme",
    "quatrieme",
    "cinquieme",
    "main",
    "small",
    "little",
    "big",
    "fifth",
    "second",
    "first",
];

/// The room a venue's name names (see the module doc): the French forms
/// of the words of its room parts, sorted, without the city; empty when
/// no part is a room.
fn room_words(name: &str, city: Option<&str>) -> Vec<String> {
    let lex = lexicon();
    let mut out: Vec<String> = Vec::new();
    let parts = name
        .split([',', '(', ')', '[', ']', ';', '|', '/', '–', '—', ':', '·'])
        .flat_map(|p| p.split(" - "));
    for part in parts {
        let words: Vec<String> = fold_for_match(part)
            .split_whitespace()
            .filter(|w| !is_stop_word(w))
            .map(|w| lex.french_form(w))
            .collect();
        let mut content = words
            .iter()
            .filter(|w| !ROOM_ADJECTIVES.contains(&w.as_str()) && !is_ordinal(w));
        let first = content.next();
        let last = words.last();
        let is_room = |w: Option<&String>| w.is_some_and(|w| ROOM_WORDS.contains(&w.as_str()));
        if is_room(first) || is_room(last) {
            out.extend(
                words
                    .into_iter()
                    .filter(|w| city.is_none_or(|c| !c.split_whitespace().any(|cw| cw == w))),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// "1re", "2e", "5th"...
fn is_ordinal(word: &str) -> bool {
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && matches!(
            word.get(digits..).unwrap_or_default(),
            "e" | "re" | "er" | "eme" | "st" | "nd" | "rd" | "th"
        )
}

/// Whether two venues name different rooms (see the module doc).
fn other_rooms(a: &VenueFeatures, b: &VenueFeatures) -> bool {
    let within = |x: &[String], y: &[String]| x.iter().all(|w| y.contains(w));
    !a.room.is_empty()
        && !b.room.is_empty()
        && !within(&a.room, &b.room)
        && !within(&b.room, &a.room)
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
    // A language subdomain ("fr.example.com", "en.example.com").
    let host = ["fr.", "en."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .filter(|rest| rest.contains('.'))
        .unwrap_or(host);
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

pub(super) fn place(a: Option<&VenueFeatures>, b: Option<&VenueFeatures>) -> Place {
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
    // One building, two rooms: two places.
    let same_unless_rooms = if other_rooms(a, b) {
        Place::Different
    } else {
        Place::Same
    };
    if let (Some(ga), Some(gb)) = (a.geo, b.geo) {
        let d = distance_m(ga, gb);
        if d <= SAME_PLACE_METRES {
            return same_unless_rooms;
        }
        if d > OTHER_PLACE_METRES {
            return Place::Different;
        }
    }
    if a.street.is_some() && a.street == b.street {
        return same_unless_rooms;
    }
    if a.city_only || b.city_only {
        return Place::Unknown;
    }
    // The same named room ("Salle Alfred-Pellan (MDA)" / "Maison des arts
    // de Laval – Salle Alfred-Pellan").
    if !a.room.is_empty() && a.room == b.room && a.room.len() >= 2 {
        return Place::Same;
    }
    // Every word of one name is a word of the other (or its French or
    // English form: "Multicultural" / "Multiculturelle"), or says the same;
    // an acronym reads as the words it abbreviates ("NAC" / "National Arts
    // Centre").
    let contained = |x: &Named, y: &Named| {
        !x.is_empty()
            && x.iter().all(|(w, c)| {
                y.iter()
                    .any(|(v, d)| word_match(v, w) || c.iter().any(|id| d.contains(id)))
            })
    };
    let (ca, cb) = (
        expand_initials(&a.canonical, &b.canonical),
        expand_initials(&b.canonical, &a.canonical),
    );
    if contained(&ca, &cb) || contained(&cb, &ca) {
        return same_unless_rooms;
    }
    Place::Different
}

/// A venue name's words with their lexicon lines.
type Named = [(String, Vec<u32>)];

/// `x` with each word of 2 to 5 letters that spells the initials of a run
/// of `y`'s words replaced by those words (`x` itself when none does: most
/// pairs of venues asked, so nothing is copied for them).
fn expand_initials<'x>(x: &'x Named, y: &Named) -> Cow<'x, Named> {
    let run_of = |w: &str| -> Option<&[(String, Vec<u32>)]> {
        let letters = w.chars().count();
        if !(2..=5).contains(&letters) || !w.chars().all(char::is_alphabetic) {
            return None;
        }
        y.windows(letters).find(|run| {
            run.iter()
                .zip(w.chars())
                .all(|((v, _), l)| v.starts_with(l))
                && !run.iter().any(|(v, _)| v == w)
        })
    };
    if x.iter().all(|(w, _)| run_of(w).is_none()) {
        return Cow::Borrowed(x);
    }
    let mut out = Vec::with_capacity(x.len());
    for (w, c) in x {
        match run_of(w) {
            Some(run) => out.extend(run.iter().cloned()),
            None => out.push((w.clone(), c.clone())),
        }
    }
    Cow::Owned(out)
}
