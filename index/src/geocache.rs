//! The geocoder's cache: one row per query (table `geocache`, migration 3).
//!
//! A query is keyed by its normalized form (whitespace collapsed,
//! lowercase), so "Salle X,  Laval" and "salle x, laval" share an answer.
//! A found place is kept for good; "no such place" is kept for
//! [`NEGATIVE_TTL_DAYS`] days, after which the query may be asked again.
//! Writes take the writer lock but touch no published data: the generation
//! does not move. [`Index`] is the pipeline's
//! [`normalize::geocode::GeocodeCache`].

use chrono::{DateTime, TimeDelta, Utc};
use model::GeoPoint;
use rusqlite::{params, OptionalExtension};

use crate::store::{self, StoreFail};
use crate::{Index, IndexError};

/// How long an answer "not found" is trusted.
pub const NEGATIVE_TTL_DAYS: i64 = 30;

pub use normalize::geocode::GeocodedPlace;

/// The cache key of a query.
pub fn cache_key(query: &str) -> String {
    query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Index {
    /// The cached answer for `query`: `None` when never asked (or when a
    /// "not found" expired), `Some(None)` for "no such place",
    /// `Some(Some(place))` for a place.
    pub fn geocache_get(&self, query: &str) -> Result<Option<Option<GeocodedPlace>>, IndexError> {
        self.geocache_get_at(query, Utc::now())
    }

    /// [`Index::geocache_get`] as of `now`.
    pub fn geocache_get_at(
        &self,
        query: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Option<GeocodedPlace>>, IndexError> {
        let key = cache_key(query);
        type Row = (bool, Option<f64>, Option<f64>, Option<String>, String);
        let row: Option<Row> = self
            .reads
            .with(|conn| {
                conn.query_row(
                    "SELECT found, lat, lon, city, at FROM geocache WHERE query = ?1",
                    params![key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .map_err(StoreFail::from)
            })
            .map_err(|e| self.store_err(e))?;
        let Some((found, lat, lon, city, at)) = row else {
            return Ok(None);
        };
        if !found {
            let at = DateTime::parse_from_rfc3339(&at)
                .map_err(|e| IndexError::Corrupt(format!("geocache time {at:?}: {e}")))?
                .with_timezone(&Utc);
            let expired = TimeDelta::try_days(NEGATIVE_TTL_DAYS)
                .and_then(|ttl| at.checked_add_signed(ttl))
                .is_none_or(|until| until <= now);
            return Ok(if expired { None } else { Some(None) });
        }
        match (lat, lon) {
            (Some(lat), Some(lon)) => Ok(GeoPoint::new(lat, lon)
                .map(|point| Some(Some(GeocodedPlace { point, city })))
                // Coordinates out of range: as if never asked.
                .unwrap_or(None)),
            _ => Err(IndexError::Corrupt(format!(
                "geocache {key:?}: found without coordinates"
            ))),
        }
    }

    /// Remember the answer for `query` (`None`: no such place).
    pub fn geocache_put(
        &self,
        query: &str,
        answer: Option<&GeocodedPlace>,
    ) -> Result<(), IndexError> {
        self.geocache_put_at(query, answer, Utc::now())
    }

    /// [`Index::geocache_put`] as of `at`.
    pub fn geocache_put_at(
        &self,
        query: &str,
        answer: Option<&GeocodedPlace>,
        at: DateTime<Utc>,
    ) -> Result<(), IndexError> {
        let key = cache_key(query);
        let w = self.lock_writer();
        w.conn
            .execute(
                "INSERT INTO geocache (query, found, lat, lon, city, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(query) DO UPDATE SET found = excluded.found,
                   lat = excluded.lat, lon = excluded.lon, city = excluded.city,
                   at = excluded.at",
                params![
                    key,
                    answer.is_some(),
                    answer.map(|a| a.point.lat),
                    answer.map(|a| a.point.lon),
                    answer.and_then(|a| a.city.as_deref()),
                    store::ts(at),
                ],
            )
            .map_err(|e| self.store_err(e.into()))?;
        Ok(())
    }
}

impl normalize::geocode::GeocodeCache for Index {
    type Error = IndexError;

    fn get(&self, query: &str) -> Result<Option<Option<GeocodedPlace>>, IndexError> {
        self.geocache_get(query)
    }

    fn put(&self, query: &str, answer: Option<&GeocodedPlace>) -> Result<(), IndexError> {
        self.geocache_put(query, answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SearchStorage;

    fn place(lat: f64, lon: f64, city: Option<&str>) -> GeocodedPlace {
        GeocodedPlace {
            point: GeoPoint::new(lat, lon).expect("point"),
            city: city.map(str::to_string),
        }
    }

    #[test]
    fn answers_are_kept_and_negative_ones_expire() -> Result<(), IndexError> {
        let dir = tempfile::tempdir().map_err(|source| IndexError::Io {
            path: "tempdir".into(),
            source,
        })?;
        let index = Index::open_with(dir.path(), SearchStorage::Ram)?;
        let now = Utc::now();
        assert_eq!(index.geocache_get_at("Salle X, Laval", now)?, None);

        let x = place(45.57, -73.69, Some("Laval"));
        index.geocache_put_at("Salle X,  Laval", Some(&x), now)?;
        assert_eq!(
            index.geocache_get_at("salle x, laval", now)?,
            Some(Some(x.clone()))
        );
        // A found place does not expire.
        let later = now + TimeDelta::days(400);
        assert_eq!(
            index.geocache_get_at("Salle X, Laval", later)?,
            Some(Some(x))
        );

        index.geocache_put_at("Nulle part", None, now)?;
        assert_eq!(index.geocache_get_at("Nulle part", now)?, Some(None));
        let day29 = now + TimeDelta::days(29);
        assert_eq!(index.geocache_get_at("Nulle part", day29)?, Some(None));
        let day31 = now + TimeDelta::days(31);
        assert_eq!(index.geocache_get_at("Nulle part", day31)?, None);

        // A new answer replaces the old one; the generation does not move.
        let generation = index.generation();
        let y = place(45.6, -73.8, None);
        index.geocache_put_at("Nulle part", Some(&y), day31)?;
        assert_eq!(index.geocache_get_at("Nulle part", day31)?, Some(Some(y)));
        assert_eq!(index.generation(), generation);

        // Survives reopening.
        drop(index);
        let index = Index::open_with(dir.path(), SearchStorage::Ram)?;
        assert!(index.geocache_get_at("salle x, laval", now)?.is_some());

        // The pipeline reaches the same rows through normalize's trait.
        use normalize::geocode::GeocodeCache;
        let x = place(45.57, -73.69, Some("Laval"));
        assert_eq!(GeocodeCache::get(&index, "SALLE X, LAVAL")?, Some(Some(x)));
        GeocodeCache::put(&index, "Ailleurs", None)?;
        assert_eq!(index.geocache_get("ailleurs")?, Some(None));
        assert_eq!(GeocodeCache::get(&index, "Ailleurs")?, Some(None));
        Ok(())
    }

    #[test]
    fn keys_are_normalized() {
        assert_eq!(cache_key("  Salle  X,\tLAVAL "), "salle x, laval");
    }
}
