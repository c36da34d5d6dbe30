//! Territories (`[[territory]]`): which of them an event's venue lies in.
//!
//! SKELETON: the interface the rest of the workspace builds against. The
//! geometry (GeoJSON read with `geojson`, point in polygon with `geo`) is
//! filled in by the territory slice; until then only municipality names
//! match.

use std::collections::BTreeMap;
use std::path::PathBuf;

use model::Venue;

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

/// The configured territories, ready to place venues.
#[derive(Clone, Debug, Default)]
pub struct Territories {
    entries: Vec<TerritoryConfig>,
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
        for (i, c) in configs.iter().enumerate() {
            if let Err(e) = std::fs::read(&c.geojson) {
                problems.push((
                    i,
                    TerritoryError::Read {
                        path: c.geojson.display().to_string(),
                        reason: e.to_string(),
                    },
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Territories {
            entries: configs.to_vec(),
        })
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
        let Some(city) = venue.and_then(|v| v.city.as_deref()) else {
            return Vec::new();
        };
        let city = city.trim().to_lowercase();
        self.entries
            .iter()
            .filter(|e| {
                e.municipalities
                    .iter()
                    .any(|m| m.trim().to_lowercase() == city)
            })
            .map(|e| e.id.clone())
            .collect()
    }

    /// Changes whenever what [`Territories::of`] answers may change (ids,
    /// geometry, municipalities), so that a store can tell its events'
    /// territories are stale.
    pub fn fingerprint(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            s.push_str(&e.id);
            s.push('|');
            s.push_str(&e.municipalities.join(","));
            s.push('\n');
        }
        s
    }
}
