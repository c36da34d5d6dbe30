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
//! table: another connection's commit (`PRAGMA data_version` moved).
//! (Curations re-cluster through the window scan and write no blocking.)
//! When the stale entries could outnumber the live ones it is rebuilt too,
//! so its size follows the store's.
//!
//! Memory: 32 bytes per stored occurrence and its id's bytes, plus 4 per
//! key and date (buckets of one or two inline).

use chrono::NaiveDate;
use normalize::dedup::{Blocking, MAX_START_GAP_SECS};
use rusqlite::Transaction;
use rustc_hash::FxHashMap;

use crate::store::{block_row, StoreResult};
use crate::venues::VenueBook;

/// One stored blocking, as the pre-filters read it: 32 bytes, its
/// occurrence's id in the index's arena ([`BlockIndex::id`]).
pub(crate) struct Slot {
    pub start: i64,
    /// The venue's hash (meaningless when `has_venue` is false).
    venue_hash: u64,
    pub date: NaiveDate,
    pub source: u32,
    /// The id's bytes in [`Built::ids`].
    id_at: u32,
    id_len: u16,
    pub all_day: bool,
    has_venue: bool,
}

impl Slot {
    /// The venue's hash, when the occurrence has a venue.
    pub fn venue(&self) -> Option<u64> {
        self.has_venue.then_some(self.venue_hash)
    }
}

/// A bucket of slots: most (key, date) pairs hold one or two occurrences,
/// kept inline.
type Bucket = smallvec::SmallVec<[u32; 2]>;

/// The index, built on first use (see the module doc).
#[derive(Default)]
pub(crate) struct BlockIndex {
    built: Option<Built>,
    /// The venues met and the pairs of them decided: a pure cache, valid
    /// whatever the store holds, kept when the index is rebuilt.
    venues: VenueBook,
}

struct Built {
    /// `PRAGMA data_version` of the writer's connection when the index was
    /// last in step: another connection's commit changes it.
    data_version: i64,
    /// (key, date) → slots.
    postings: FxHashMap<(u32, NaiveDate), Bucket>,
    slots: Vec<Slot>,
    /// The slots' occurrence ids, one after the other.
    ids: String,
    /// Sources, interned: a slot holds the number.
    source_of: FxHashMap<Box<str>, u32>,
    /// Rows read when built.
    rows: usize,
    /// Whether the initial build is running (buckets sorted at its end).
    building: bool,
}

/// The index may hold this many entries added since it was built (beyond
/// the rows it was built from) before it is rebuilt.
const MIN_REBUILD_SLACK: usize = 100_000;

impl BlockIndex {
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
            ids: String::new(),
            source_of: FxHashMap::default(),
            rows: 0,
            building: true,
        };
        let mut stmt = tx.prepare("SELECT occurrence, block FROM dedup_blocks")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, block) = block_row(row)?;
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
        built.building = false;
        let slots = &built.slots;
        for bucket in built.postings.values_mut() {
            bucket.sort_unstable_by_key(|&s| order(slots, s));
            bucket.shrink_to_fit();
        }
        built.postings.shrink_to_fit();
        built.ids.shrink_to_fit();
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

    /// The stored occurrences (each with its slot's number) with `key` on
    /// `date` whose times agree with `member`'s
    /// ([`normalize::dedup::times_agree`]): when both are timed, those
    /// starting within [`MAX_START_GAP_SECS`] of it, found by a binary
    /// search; else those of its own date. Empty when the index
    /// is not built (call [`BlockIndex::ready`] first).
    pub fn near<'s>(
        &'s self,
        key: u32,
        date: NaiveDate,
        member: &Blocking,
    ) -> impl Iterator<Item = (u32, &'s Slot)> + 's {
        let found = self
            .built
            .as_ref()
            .and_then(|b| b.postings.get(&(key, date)).map(|p| (b, p.as_slice())));
        let (all_day, timed): (&[u32], &[u32]) = match found {
            Some((b, bucket)) => {
                let timed_from = bucket.partition_point(|&s| !order(&b.slots, s).0);
                let (all_day, timed) = bucket.split_at(timed_from);
                let same_date = member.date == date;
                if member.all_day {
                    if same_date {
                        (all_day, timed)
                    } else {
                        (&[], &[])
                    }
                } else {
                    let start = |s: u32| b.slots.get(s as usize).map_or(i64::MIN, |x| x.start);
                    let lo =
                        timed.partition_point(|&s| start(s) < member.start - MAX_START_GAP_SECS);
                    let hi =
                        timed.partition_point(|&s| start(s) <= member.start + MAX_START_GAP_SECS);
                    (
                        if same_date { all_day } else { &[] },
                        timed.get(lo..hi).unwrap_or_default(),
                    )
                }
            }
            None => (&[], &[]),
        };
        let slots = self.built.as_ref().map_or(&[][..], |b| b.slots.as_slice());
        all_day
            .iter()
            .chain(timed)
            .filter_map(move |&s| Some((s, slots.get(s as usize)?)))
    }

    /// The id of the occurrence whose blocking `slot` is.
    pub fn id(&self, slot: &Slot) -> &str {
        let at = slot.id_at as usize;
        self.built
            .as_ref()
            .and_then(|b| b.ids.get(at..at + usize::from(slot.id_len)))
            .unwrap_or_default()
    }

    /// How many slots the index holds: every number [`BlockIndex::near`]
    /// gives is below it.
    pub fn slot_count(&self) -> usize {
        self.built.as_ref().map_or(0, |b| b.slots.len())
    }

    /// The number [`Slot::source`] holds for `source` (None: no stored
    /// blocking is of that source).
    pub fn source_id(&self, source: &str) -> Option<u32> {
        self.built
            .as_ref()
            .and_then(|b| b.source_of.get(source).copied())
    }

    /// Whether the index is built.
    pub fn is_built(&self) -> bool {
        self.built.is_some()
    }

    /// The writer's [`VenueBook`], lent out for one re-clustering (give it
    /// back with [`BlockIndex::put_venues`]; one lost on an error is only a
    /// cache emptied).
    pub fn take_venues(&mut self) -> VenueBook {
        std::mem::take(&mut self.venues)
    }

    pub fn put_venues(&mut self, venues: VenueBook) {
        self.venues = venues;
    }
}

impl Built {
    /// Add one blocking; false when the index is full (2³² slots, sources
    /// or bytes of ids) or the id is longer than 65,535 bytes.
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
        let (Ok(id_at), Ok(id_len)) = (u32::try_from(self.ids.len()), u16::try_from(id.len()))
        else {
            return false;
        };
        if u32::try_from(self.ids.len() + id.len()).is_err() {
            return false;
        }
        let source = match self.source_of.get(source) {
            Some(&n) => n,
            None => {
                let Ok(n) = u32::try_from(self.source_of.len()) else {
                    return false;
                };
                self.source_of.insert(source.into(), n);
                n
            }
        };
        self.ids.push_str(id);
        self.slots.push(Slot {
            start,
            venue_hash: venue.unwrap_or(0),
            date,
            source,
            id_at,
            id_len,
            all_day,
            has_venue: venue.is_some(),
        });
        let at = order(&self.slots, slot);
        for k in keys {
            let bucket = self.postings.entry((k, date)).or_default();
            // Kept in order (see [`order`]); the initial build sorts once.
            if self.building {
                bucket.push(slot);
            } else {
                let i = bucket.partition_point(|&s| order(&self.slots, s) <= at);
                bucket.insert(i, slot);
            }
        }
        true
    }
}

/// A bucket's order: the all-day listings first, then the timed ones by
/// start.
fn order(slots: &[Slot], s: u32) -> (bool, i64) {
    match slots.get(s as usize) {
        Some(x) => (!x.all_day, x.start),
        None => (true, i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use normalize::dedup::times_agree;

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn blocking(rng: &mut Rng) -> Blocking {
        let base = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
        let day = base + chrono::Days::new(rng.below(3));
        let all_day = rng.below(5) == 0;
        let midnight = day
            .and_hms_opt(0, 0, 0)
            .expect("time")
            .and_utc()
            .timestamp();
        let start = if all_day {
            midnight
        } else {
            // Every ten minutes of the day, so that starts fall exactly
            // 90 minutes apart too.
            midnight + 600 * rng.below(144) as i64
        };
        let mut keys: Vec<u32> = (0..1 + rng.below(3)).map(|_| rng.below(4) as u32).collect();
        keys.sort_unstable();
        keys.dedup();
        Blocking {
            date: day,
            start,
            all_day,
            source: format!("s{}", rng.below(3)),
            venue: None,
            keys,
        }
    }

    #[test]
    fn near_gives_exactly_the_stored_blockings_whose_times_agree() {
        let mut rng = Rng(0x00b1_0c4e);
        let conn = rusqlite::Connection::open_in_memory().expect("sqlite");
        conn.execute_batch(
            "CREATE TABLE dedup_blocks (start_utc INTEGER, occurrence TEXT, block BLOB)",
        )
        .expect("table");
        let stored: Vec<(String, Blocking)> = (0..400)
            .map(|i| (format!("o{i}"), blocking(&mut rng)))
            .collect();
        // Half in the table (the initial build sorts its buckets), half
        // added after (each inserted in order).
        let (table, added) = stored.split_at(200);
        for (id, b) in table {
            conn.execute(
                "INSERT INTO dedup_blocks VALUES (?1, ?2, ?3)",
                rusqlite::params![b.start, id, b.encode()],
            )
            .expect("insert");
        }
        let mut conn = conn;
        let tx = conn.transaction().expect("tx");
        let mut index = BlockIndex::default();
        assert_eq!(index.ready(&tx).expect("build"), Some(200));
        for (id, b) in added {
            index.add(id, b);
        }
        assert_eq!(index.ready(&tx).expect("in step"), None);
        for _ in 0..300 {
            let member = blocking(&mut rng);
            for &key in &member.keys {
                for date in [
                    member.date.pred_opt(),
                    Some(member.date),
                    member.date.succ_opt(),
                ]
                .into_iter()
                .flatten()
                {
                    let mut got: Vec<&str> = index
                        .near(key, date, &member)
                        .map(|(_, s)| index.id(s))
                        .collect();
                    got.sort_unstable();
                    let mut want: Vec<&str> = stored
                        .iter()
                        .filter(|(_, b)| {
                            b.date == date
                                && b.keys.contains(&key)
                                && times_agree(b.date, b.start, b.all_day, &member)
                        })
                        .map(|(id, _)| id.as_str())
                        .collect();
                    want.sort_unstable();
                    assert_eq!(got, want, "key {key} on {date} for {member:?}");
                }
            }
        }
    }
}
