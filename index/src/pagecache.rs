//! Detail pages remembered between runs (table `page_cache`, migration 5):
//! the validators a page answered and the events read from it, so that the
//! next run asks for it conditionally and a 304 costs no parsing. Entries
//! unused for [`PAGE_CACHE_TTL_DAYS`] days are dropped. Like the geocoder's
//! cache, it touches no published data: the generation does not move.

use chrono::{DateTime, TimeDelta, Utc};
use model::RawEvent;
use rusqlite::{params, OptionalExtension};

use crate::store;
use crate::{Index, IndexError};

/// How long an unused page is remembered.
pub const PAGE_CACHE_TTL_DAYS: i64 = 30;

/// A remembered detail page.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPage {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The events read from the page.
    pub events: Vec<RawEvent>,
    /// sha256 (hex) of the page's body.
    pub body_hash: String,
}

impl Index {
    /// The page remembered under `key`, if any.
    pub fn page_cache_get(&self, key: &str) -> Result<Option<StoredPage>, IndexError> {
        let row: Option<(Option<String>, Option<String>, String, String)> = self
            .reads
            .with(|conn| {
                Ok(conn
                    .query_row(
                        "SELECT etag, last_modified, events, body_hash FROM page_cache WHERE key = ?1",
                        [key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?)
            })
            .map_err(|e| self.store_err(e))?;
        let Some((etag, last_modified, events, body_hash)) = row else {
            return Ok(None);
        };
        // A row that no longer reads (another version's shape) is a miss.
        let Ok(events) = serde_json::from_str::<Vec<RawEvent>>(&events) else {
            return Ok(None);
        };
        Ok(Some(StoredPage {
            etag,
            last_modified,
            events,
            body_hash,
        }))
    }

    /// Remember `page` under `key`, and forget pages unused for
    /// [`PAGE_CACHE_TTL_DAYS`] days.
    pub fn page_cache_put(
        &self,
        key: &str,
        page: &StoredPage,
        at: DateTime<Utc>,
    ) -> Result<(), IndexError> {
        let events = serde_json::to_string(&page.events)
            .map_err(|e| IndexError::Corrupt(format!("cannot serialize a page's events: {e}")))?;
        let w = self.lock_writer();
        let run = || -> rusqlite::Result<()> {
            w.conn.execute(
                "INSERT INTO page_cache (key, etag, last_modified, events, body_hash, used_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(key) DO UPDATE SET etag = excluded.etag,
                   last_modified = excluded.last_modified, events = excluded.events,
                   body_hash = excluded.body_hash, used_at = excluded.used_at",
                params![
                    key,
                    page.etag,
                    page.last_modified,
                    events,
                    page.body_hash,
                    store::ts(at)
                ],
            )?;
            let horizon = at - TimeDelta::days(PAGE_CACHE_TTL_DAYS);
            w.conn.execute(
                "DELETE FROM page_cache WHERE used_at < ?1",
                [store::ts(horizon)],
            )?;
            Ok(())
        };
        run().map_err(|e| self.store_err(e.into()))
    }

    /// Mark the page under `key` as used at `at` (it answered 304).
    pub fn page_cache_touch(&self, key: &str, at: DateTime<Utc>) -> Result<(), IndexError> {
        let w = self.lock_writer();
        w.conn
            .execute(
                "UPDATE page_cache SET used_at = ?2 WHERE key = ?1",
                params![key, store::ts(at)],
            )
            .map_err(|e| self.store_err(e.into()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::TimeValue;

    #[test]
    fn pages_are_remembered_and_forgotten_when_unused() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let start = TimeValue::Date {
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
        };
        let page = StoredPage {
            etag: Some("\"v1\"".into()),
            last_modified: None,
            events: vec![RawEvent::new("https://x.example/a", "Concert", start)],
            body_hash: "abc".into(),
        };
        let t0: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        index.page_cache_put("k1", &page, t0).unwrap();
        assert_eq!(index.page_cache_get("k1").unwrap(), Some(page.clone()));
        assert_eq!(index.page_cache_get("nope").unwrap(), None);
        index
            .page_cache_touch("k1", t0 + TimeDelta::days(20))
            .unwrap();
        // Another page put 45 days later sweeps k1 only if unused for 30 days.
        index
            .page_cache_put("k2", &page, t0 + TimeDelta::days(45))
            .unwrap();
        assert!(
            index.page_cache_get("k1").unwrap().is_some(),
            "touched on day 20"
        );
        index
            .page_cache_put("k2", &page, t0 + TimeDelta::days(55))
            .unwrap();
        assert_eq!(index.page_cache_get("k1").unwrap(), None);
        let reopened = Index::open(dir.path()).unwrap();
        assert!(reopened.page_cache_get("k2").unwrap().is_some());
    }
}
