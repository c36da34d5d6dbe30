//! Territories (`[[territory]]`): which of them an event's venue lies in.
//!
//! Each territory is an area read from a GeoJSON file (a Polygon, a
//! MultiPolygon, a Feature of one, or a FeatureCollection of them, read
//! with the `geojson` crate) and, optionally, the names of municipalities
//! for venues known only by their town. [`Territories::of`] places a venue:
//!
//! * a venue with coordinates that locate it (not only its town's centre):
//!   the territories whose area holds the point, a point on a border or a
//!   vertex counting as inside (`geo`'s `Intersects`), a point in a hole
//!   outside. An R-tree over the areas' bounding boxes keeps this cheap
//!   whatever the number of territories;
//! * otherwise (no coordinates, or only the centre of its municipality):
//!   the territories that name its `city` (else a comma-separated part of
//!   its address), compared ignoring case, accents, punctuation and the
//!   abbreviations `St`/`Ste` of `Saint`/`Sainte`.
//!
//! The answer is in configuration order. [`Territories::fingerprint`]
//! changes whenever an answer may change, so that the store can place its
//! events again when the configuration changes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo::{Coord, Intersects, LineString, MultiPolygon, Point, Polygon};
use model::{Precision, Venue};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// One `[[territory]]` as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct TerritoryConfig {
    /// `[a-z0-9-]+`, unique.
    pub id: String,
    /// Language code → name.
    pub name: BTreeMap<String, String>,
    /// The GeoJSON file (already resolved against the configuration's folder).
    pub geojson: PathBuf,
    /// Municipality names for venues known only by their city.
    pub municipalities: Vec<String>,
}

/// Why a territory's GeoJSON cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TerritoryError {
    #[error("{path}: cannot read the GeoJSON file: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: invalid GeoJSON: {reason}")]
    Invalid { path: String, reason: String },
}

/// The largest GeoJSON file read (a detailed borough is a few hundred KB).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One territory, ready to place points.
#[derive(Clone, Debug)]
struct Entry {
    id: String,
    area: MultiPolygon<f64>,
    /// Folded municipality names.
    towns: Vec<String>,
}

/// The configured territories, ready to place venues.
#[derive(Clone, Debug, Default)]
pub struct Territories {
    entries: Vec<Entry>,
    /// Bounding boxes of every polygon, with the index of its entry.
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    fingerprint: String,
}

impl Territories {
    /// No territory: every venue is in none.
    pub fn empty() -> Territories {
        Territories::default()
    }

    /// Read every territory's GeoJSON. Every problem is reported, with the
    /// index (in `configs`) of the territory it belongs to.
    pub fn load(configs: &[TerritoryConfig]) -> Result<Territories, Vec<(usize, TerritoryError)>> {
        let mut problems = Vec::new();
        let mut entries = Vec::with_capacity(configs.len());
        let mut hash = Sha256::new();
        for (i, c) in configs.iter().enumerate() {
            let path = c.geojson.display().to_string();
            let bytes = match read_bounded(&c.geojson) {
                Ok(bytes) => bytes,
                Err(reason) => {
                    problems.push((i, TerritoryError::Read { path, reason }));
                    continue;
                }
            };
            let area = match parse_area(&bytes) {
                Ok(area) => area,
                Err(reason) => {
                    problems.push((i, TerritoryError::Invalid { path, reason }));
                    continue;
                }
            };
            for part in [c.id.as_bytes(), b"\0", &bytes, b"\0"] {
                hash.update(part);
            }
            for town in &c.municipalities {
                hash.update(town.as_bytes());
                hash.update(b"\0");
            }
            hash.update(b"\n");
            entries.push(Entry {
                id: c.id.clone(),
                area,
                towns: c.municipalities.iter().map(|m| fold_town(m)).collect(),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Territories::from_entries(
            entries,
            hex::encode(hash.finalize()),
        ))
    }

    fn from_entries(entries: Vec<Entry>, fingerprint: String) -> Territories {
        let boxes = entries
            .iter()
            .enumerate()
            .flat_map(|(i, e)| {
                e.area.0.iter().filter_map(move |polygon| {
                    let (lo, hi) = bounds(polygon)?;
                    Some(GeomWithData::new(Rectangle::from_corners(lo, hi), i))
                })
            })
            .collect();
        Territories {
            entries,
            tree: RTree::bulk_load(boxes),
            fingerprint,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ids, in configuration order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.id.as_str())
    }

    /// The territories `venue` lies in, in configuration order.
    pub fn of(&self, venue: Option<&Venue>) -> Vec<String> {
        let Some(venue) = venue else {
            return Vec::new();
        };
        if self.entries.is_empty() {
            return Vec::new();
        }
        let located = venue.precision != Some(Precision::Municipality);
        match (venue.lat, venue.lon) {
            (Some(lat), Some(lon)) if located && lat.is_finite() && lon.is_finite() => {
                self.at_point(lon, lat)
            }
            _ => self.by_town(venue),
        }
    }

    /// The territories that name the venue's town: its `city`, else a part
    /// of its address ("Bibliothèque Gabrielle-Roy, Vimont" read as a
    /// place with no city gives the address "Vimont").
    fn by_town(&self, venue: &Venue) -> Vec<String> {
        if let Some(city) = venue.city.as_deref().filter(|c| !c.trim().is_empty()) {
            return self.in_town(city);
        }
        let Some(address) = venue.address.as_deref() else {
            return Vec::new();
        };
        let mut found: Vec<String> = Vec::new();
        for part in address.split(',') {
            for id in self.in_town(part) {
                if !found.contains(&id) {
                    found.push(id);
                }
            }
        }
        // Configuration order, as everywhere.
        self.ids()
            .filter(|id| found.iter().any(|f| f == id))
            .map(str::to_string)
            .collect()
    }

    /// The territories whose area holds (`lon`, `lat`), border included.
    fn at_point(&self, lon: f64, lat: f64) -> Vec<String> {
        let point = Point::new(lon, lat);
        let mut hits: Vec<usize> = self
            .tree
            .locate_all_at_point(&[lon, lat])
            .map(|r| r.data)
            .filter(|&i| self.entries[i].area.intersects(&point))
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits.into_iter()
            .map(|i| self.entries[i].id.clone())
            .collect()
    }

    /// The territories that name `city`.
    fn in_town(&self, city: &str) -> Vec<String> {
        let town = fold_town(city);
        if town.is_empty() {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|e| e.towns.contains(&town))
            .map(|e| e.id.clone())
            .collect()
    }

    /// Changes whenever what [`Territories::of`] answers may change (ids,
    /// the files' bytes, municipalities): the same configuration gives the
    /// same fingerprint on every machine.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes, more than {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// The area a GeoJSON document describes, or why it describes none.
fn parse_area(bytes: &[u8]) -> Result<MultiPolygon<f64>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let doc: geojson::GeoJson = text.parse().map_err(|e: geojson::Error| e.to_string())?;
    let mut polygons = Vec::new();
    match doc {
        geojson::GeoJson::Geometry(g) => add_geometry(&g, &mut polygons, "the geometry")?,
        geojson::GeoJson::Feature(f) => add_feature(&f, &mut polygons, "the feature")?,
        geojson::GeoJson::FeatureCollection(fc) => {
            for (i, f) in fc.features.iter().enumerate() {
                add_feature(f, &mut polygons, &format!("feature {}", i + 1))?;
            }
        }
    }
    if polygons.is_empty() {
        return Err("no Polygon or MultiPolygon in it".to_string());
    }
    Ok(MultiPolygon::new(polygons))
}

fn add_feature(
    f: &geojson::Feature,
    out: &mut Vec<Polygon<f64>>,
    what: &str,
) -> Result<(), String> {
    match &f.geometry {
        Some(g) => add_geometry(g, out, what),
        None => Err(format!("{what} has no geometry")),
    }
}

fn add_geometry(
    g: &geojson::Geometry,
    out: &mut Vec<Polygon<f64>>,
    what: &str,
) -> Result<(), String> {
    use geojson::GeometryValue as V;
    match &g.value {
        V::Polygon { coordinates } => out.push(polygon(coordinates, what)?),
        V::MultiPolygon { coordinates } => {
            for (i, p) in coordinates.iter().enumerate() {
                out.push(polygon(p, &format!("{what}, polygon {}", i + 1))?);
            }
        }
        V::GeometryCollection { geometries } => {
            for (i, g) in geometries.iter().enumerate() {
                add_geometry(g, out, &format!("{what}, geometry {}", i + 1))?;
            }
        }
        other => {
            return Err(format!(
                "{what} is a {}, not an area; use a Polygon or MultiPolygon",
                other.type_name()
            ))
        }
    }
    Ok(())
}

/// A polygon from its rings (the exterior, then holes), checked.
fn polygon(rings: &[Vec<geojson::Position>], what: &str) -> Result<Polygon<f64>, String> {
    let mut rings = rings.iter().enumerate().map(|(i, ring)| {
        let name = if i == 0 {
            format!("{what}: its outer ring")
        } else {
            format!("{what}: hole {i}")
        };
        linear_ring(ring, &name)
    });
    let exterior = match rings.next() {
        Some(ring) => ring?,
        None => return Err(format!("{what} has no ring")),
    };
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn linear_ring(ring: &[geojson::Position], what: &str) -> Result<LineString<f64>, String> {
    if ring.len() < 4 {
        return Err(format!(
            "{what} has {} positions; a ring needs at least 4, the last equal to the first",
            ring.len()
        ));
    }
    let mut coords = Vec::with_capacity(ring.len());
    for (i, p) in ring.iter().enumerate() {
        let xy = p.as_slice();
        let (Some(&lon), Some(&lat)) = (xy.first(), xy.get(1)) else {
            return Err(format!(
                "{what}: position {} has fewer than 2 numbers",
                i + 1
            ));
        };
        if !lon.is_finite() || !lat.is_finite() {
            return Err(format!("{what}: position {} is not a number", i + 1));
        }
        if lon.abs() > 180.0 || lat.abs() > 90.0 {
            let hint = if swapped_fits_all(ring) {
                " (latitude and longitude look swapped: GeoJSON writes [longitude, latitude])"
            } else {
                ""
            };
            return Err(format!(
                "{what}: position {} [{lon}, {lat}] is out of range{hint}",
                i + 1
            ));
        }
        coords.push(Coord { x: lon, y: lat });
    }
    if coords.first() != coords.last() {
        return Err(format!(
            "{what} is not closed: its last position must repeat its first"
        ));
    }
    Ok(LineString::new(coords))
}

/// Whether every position of `ring` would be in range read as
/// [latitude, longitude].
fn swapped_fits_all(ring: &[geojson::Position]) -> bool {
    ring.iter().all(|p| {
        let xy = p.as_slice();
        matches!((xy.first(), xy.get(1)), (Some(a), Some(b)) if a.abs() <= 90.0 && b.abs() <= 180.0)
    })
}

/// The bounding box of a polygon's exterior.
fn bounds(polygon: &Polygon<f64>) -> Option<([f64; 2], [f64; 2])> {
    let mut points = polygon.exterior().points();
    let first = points.next()?;
    let init = ([first.x(), first.y()], [first.x(), first.y()]);
    Some(points.fold(init, |(lo, hi), p| {
        (
            [lo[0].min(p.x()), lo[1].min(p.y())],
            [hi[0].max(p.x()), hi[1].max(p.y())],
        )
    }))
}

/// A town's name for comparison: lowercase, no accents, words separated by
/// one space, `st`/`ste` written out.
fn fold_town(name: &str) -> String {
    let plain: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    plain
        .split_whitespace()
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
