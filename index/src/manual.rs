//! Events entered by hand in the console (`manual_events`): each is kept as
//! the [`RawEvent`] its built-in source lists, so that a run of that source
//! takes it through the same normalize, dedup and store as any other
//! record. Saving or deleting one changes no public event by itself: the
//! caller runs the source afterwards.

use chrono::{DateTime, Utc};
use model::RawEvent;
use rusqlite::{params, OptionalExtension};

use crate::store::{self, ChangeSet, StoreFail};
use crate::{Index, IndexError};

/// One event entered by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct ManualRecord {
    pub id: String,
    /// The built-in source that lists it.
    pub source: String,
    pub raw: RawEvent,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type Row = (String, String, String, String, String, String);

fn record(row: Row) -> Result<ManualRecord, StoreFail> {
    let (id, source, raw, created_by, created_at, updated_at) = row;
    let raw = serde_json::from_str(&raw)
        .map_err(|e| StoreFail::Corrupt(format!("manual event {id}: {e}")))?;
    let time = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreFail::Corrupt(format!("manual event {id}: bad time {s:?}: {e}")))
    };
    Ok(ManualRecord {
        created_at: time(&created_at)?,
        updated_at: time(&updated_at)?,
        id,
        source,
        raw,
        created_by,
    })
}

const COLUMNS: &str = "id, source, raw, created_by, created_at, updated_at";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn by_id(conn: &rusqlite::Connection, id: &str) -> Result<Option<ManualRecord>, StoreFail> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM manual_events WHERE id = ?1"),
        params![id],
        read_row,
    )
    .optional()?
    .map(record)
    .transpose()
}

impl Index {
    /// Insert or replace the manual event `id` of `source`; returns what it
    /// was before (None when new). Its creator and creation time stay.
    pub fn save_manual_event(
        &self,
        who: &str,
        id: &str,
        source: &str,
        raw: &RawEvent,
        at: DateTime<Utc>,
    ) -> Result<Option<ManualRecord>, IndexError> {
        let json = serde_json::to_string(raw)
            .map_err(|e| IndexError::Corrupt(format!("cannot serialize: {e}")))?;
        self.write(|tx| {
            let before = by_id(tx, id)?;
            let now = store::ts(at);
            tx.execute(
                "INSERT INTO manual_events (id, source, raw, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT(id) DO UPDATE SET
                   source = excluded.source, raw = excluded.raw, updated_at = excluded.updated_at",
                params![id, source, json, who, now],
            )?;
            Ok((before, ChangeSet::default()))
        })
    }

    /// The manual events of `source`, oldest first.
    pub fn manual_events(&self, source: &str) -> Result<Vec<ManualRecord>, IndexError> {
        self.reads
            .with(|conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT {COLUMNS} FROM manual_events WHERE source = ?1 ORDER BY created_at, id"
                ))?;
                let rows = stmt
                    .query_map(params![source], read_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter().map(record).collect()
            })
            .map_err(|e| self.store_err(e))
    }

    /// One manual event.
    pub fn manual_event(&self, id: &str) -> Result<Option<ManualRecord>, IndexError> {
        self.reads
            .with(|conn| by_id(conn, id))
            .map_err(|e| self.store_err(e))
    }

    /// Remove the manual event `id`; returns what it was (None: no such).
    pub fn delete_manual_event(&self, id: &str) -> Result<Option<ManualRecord>, IndexError> {
        self.write(|tx| {
            let before = by_id(tx, id)?;
            tx.execute("DELETE FROM manual_events WHERE id = ?1", params![id])?;
            Ok((before, ChangeSet::default()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::TimeValue;

    #[test]
    fn manual_events_are_saved_listed_replaced_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open_with(dir.path(), crate::SearchStorage::Ram).unwrap();
        let at: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let start = TimeValue::Zoned {
            local: "2026-12-05T20:00:00".parse().unwrap(),
            tzid: "America/Toronto".into(),
        };
        let raw = RawEvent::new("m1", "Contes d'hiver", start.clone());
        assert_eq!(
            index
                .save_manual_event("a@example.org", "m1", "saisie", &raw, at)
                .unwrap(),
            None
        );
        let mut changed = raw.clone();
        changed.title = "Contes d'hiver (complet)".into();
        let later = at + chrono::Duration::hours(1);
        let before = index
            .save_manual_event("b@example.org", "m1", "saisie", &changed, later)
            .unwrap()
            .unwrap();
        assert_eq!(before.raw, raw);
        let other = RawEvent::new("m2", "Autre", start);
        index
            .save_manual_event("a@example.org", "m2", "autre", &other, at)
            .unwrap();

        let list = index.manual_events("saisie").unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].raw, changed);
        assert_eq!(list[0].created_by, "a@example.org");
        assert_eq!(list[0].created_at, at);
        assert_eq!(list[0].updated_at, later);

        assert_eq!(
            index.delete_manual_event("m1").unwrap().unwrap().raw,
            changed
        );
        assert!(index.manual_event("m1").unwrap().is_none());
        assert!(index.delete_manual_event("m1").unwrap().is_none());
        assert!(index.manual_events("saisie").unwrap().is_empty());
    }
}
