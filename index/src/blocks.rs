//! The stored blockings in memory, by key and date, for the writer.
//!
//! Closing a re-clustered group ([`crate::store::assign_events`]) looks for
//! the stored occurrences that share a blocking key with one of its members
//! on a date near the member's. Read from `dedup_blocks`, that is every
//! blocking starting within two days of every member: in a season whose
//! days each hold thousands of shows, a batch of runs spread over the
//! season reads the whole table, and a first pass reads it once per batch
//! (quadratic). This index holds, for each (key, date), the occurrences
//! whose blocking has that key on that date, with what the pre-filters need
//! (start, all-day, source, venue hash), so a batch reads only the
//! occurrences that share one of its keys on one of its dates.
//!
//! It is a **superset** of the table, never less: the writer adds every
//! blocking it writes ([`BlockIndex::add`]); what the store deletes (an
//! occurrence removed or rewritten, a source dropped, a rolled-back batch)
//! stays as a stale entry, which at worst makes a candidate that is not
//! there any more (its load finds nothing) or is there in another version
//! (which has its own entry). Writes it cannot see make it rebuild from the
//! table: another connection's commit (`PRAGMA data_version` moved), a
//! curation (which re-clusters through the window scan and calls
//! [`BlockIndex::forget`]). When the stale entries could outnumber the
//! live ones it is rebuilt too, so its size follows the store's.
//!
//! Memory: about 60 bytes per stored occurrence plus 4 per key (a million
//! occurrences with ~8 keys each: ~100 MB).

use chrono::NaiveDate;
use normalize::dedup::{Blocking, StoredBlocking};
use rusqlite::Transaction;
use rustc_hash::FxHashMap;

use crate::store::{StoreFail, StoreResult};

/// One stored blocking, as the pre-filters read it.
pub(crate) struct Slot {
    pub id: Box<str>,
    pub start: i64,
    pub venue: Option<u64>,
    pub date: NaiveDate,
    source: u32,
    pub all_day: bool,
}

/// The index, built on first use (see the module doc).
#[derive(Default)]
pub(crate) struct BlockIndex {
    built: Option<Built>,
}

struct Built {
    /// `PRAGMA data_version` of the writer's connection when the index was
    /// last in step: another connection's commit changes it.
    data_version: i64,
    /// (key, date) → slots.
    postings: FxHashMap<(u32, NaiveDate), Vec<u32>>,
    slots: Vec<Slot>,
    /// Sources, interned: a slot holds the number.
    sources: Vec<Box<str>>,
    source_of: FxHashMap<Box<str>, u32>,
    /// Rows read when built.
    rows: usize,
}

/// The index may hold this many entries added since it was built (beyond
/// the rows it was built from) before it is rebuilt.
const MIN_REBUILD_SLACK: usize = 100_000;

impl BlockIndex {
    /// Forget everything: the next use rebuilds from the table.
    pub fn forget(&mut self) {
        self.built = None;
    }

    /// Bring the index in step with the store `tx` reads (rebuilding it
    /// when it was never built, another connection wrote, or it holds too
    /// many stale entries). Returns how many rows a rebuild read.
    pub fn ready(&mut self, tx: &Transaction<'_>) -> StoreResult<Option<usize>> {
        let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let fresh = self.built.as_ref().is_some_and(|b| {
            b.data_version == version && b.slots.len() <= 2 * b.rows + MIN_REBUILD_SLACK
        });
        if fresh {
            return Ok(None);
        }
        self.built = None;
        let mut built = Built {
            data_version: version,
            postings: FxHashMap::default(),
            slots: Vec::new(),
            sources: Vec::new(),
            source_of: FxHashMap::default(),
            rows: 0,
        };
        let mut stmt = tx.prepare("SELECT occurrence, block FROM dedup_blocks")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, bytes) = (row.get_ref(0)?, row.get_ref(1)?);
            let (Ok(id), Ok(bytes)) = (id.as_str(), bytes.as_blob()) else {
                return Err(StoreFail::Corrupt(
                    "dedup_blocks: a row is not an occurrence id and its blocking".to_string(),
                ));
            };
            let Some(block) = StoredBlocking::decode(bytes) else {
                return Err(StoreFail::Corrupt(format!(
                    "dedup_blocks: unreadable blocking of occurrence {id}"
                )));
            };
            if !built.push(
                id,
                block.start,
                block.venue,
                block.date,
                block.all_day,
                block.source,
                block.keys(),
            ) {
                // More than 2³² blockings: the window scan serves.
                return Ok(None);
            }
        }
        built.rows = built.slots.len();
        built.postings.shrink_to_fit();
        let rows = built.rows;
        self.built = Some(built);
        Ok(Some(rows))
    }

    /// Take in the blocking just written for occurrence `id`.
    pub fn add(&mut self, id: &str, block: &Blocking) {
        let full = self.built.as_mut().is_some_and(|b| {
            !b.push(
                id,
                block.start,
                block.venue,
                block.date,
                block.all_day,
                &block.source,
                block.keys.iter().copied(),
            )
        });
        if full {
            // Not a superset any more: rebuilt (or not used) next time.
            self.built = None;
        }
    }

    /// The stored occurrences with `key` on `date` (empty when the index
    /// is not built: call [`BlockIndex::ready`] first).
    pub fn bucket(&self, key: u32, date: NaiveDate) -> impl Iterator<Item = &Slot> + '_ {
        self.built
            .as_ref()
            .and_then(|b| b.postings.get(&(key, date)).map(|p| (b, p)))
            .into_iter()
            .flat_map(|(b, p)| p.iter().filter_map(|&s| b.slots.get(s as usize)))
    }

    /// The source of a slot.
    pub fn source(&self, slot: &Slot) -> &str {
        self.built
            .as_ref()
            .and_then(|b| b.sources.get(slot.source as usize))
            .map_or("", |s| s)
    }

    /// Whether the index is built.
    pub fn is_built(&self) -> bool {
        self.built.is_some()
    }
}

impl Built {
    /// Add one blocking; false when the index is full (2³² slots or
    /// sources).
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &str,
        start: i64,
        venue: Option<u64>,
        date: NaiveDate,
        all_day: bool,
        source: &str,
        keys: impl Iterator<Item = u32>,
    ) -> bool {
        let Ok(slot) = u32::try_from(self.slots.len()) else {
            return false;
        };
        let source = match self.source_of.get(source) {
            Some(&n) => n,
            None => {
                let Ok(n) = u32::try_from(self.sources.len()) else {
                    return false;
                };
                self.sources.push(source.into());
                self.source_of.insert(source.into(), n);
                n
            }
        };
        self.slots.push(Slot {
            id: id.into(),
            start,
            venue,
            date,
            source,
            all_day,
        });
        for k in keys {
            self.postings.entry((k, date)).or_default().push(slot);
        }
        true
    }
}
