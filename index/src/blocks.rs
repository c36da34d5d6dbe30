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
//! When the stale entries could outnumber the live ones (it grew past
//! twice the table's rows when last counted, and a count says so) it is
//! rebuilt too, so its size follows the store's; a first pass, whose
//! entries are all live, is never rebuilt.
//!
//! A member held at a venue need not look at every blocking sharing one of
//! its keys: in a dense region most of those are shows at other halls,
//! which the venue rule refuses (98% of them at a million occurrences).
//! So the blockings are also kept by (venue, date) with their keys
//! ([`BlockIndex::at_venue`]): such a member looks at the venues that may
//! pair with its own ([`crate::venues::VenueBook::compatible`]), the venues
//! the writer has not met yet, and the blockings without a venue
//! ([`BlockIndex::near_without_venue`]); what it finds is what the key
//! postings would have given and the venue rule let through.
//!
//! Memory: 48 bytes per stored occurrence, its id's bytes and 4 per key,
//! plus, in the postings, 4 per key and 4 per occurrence at a venue, and
//! an entry (about 40 bytes, buckets of one or two inline) per distinct
//! (key, date) and (venue, date): about 190 MB at a million occurrences
//! of 8.5 keys (862,825 keys and dates, 441,819 venues and dates). Each
//! distinct title sketch is held once (about 50 bytes, and 16 in a map):
//! the occurrences of a series share theirs.

use std::hash::BuildHasher;

use chrono::NaiveDate;
use normalize::dedup::{Blocking, MAX_START_GAP_SECS};
use rusqlite::Transaction;
use rustc_hash::FxHashMap;

use crate::store::{block_row, StoreResult};
use crate::venues::VenueBook;

/// One stored blocking, as the pre-filters read it: 48 bytes, its
/// occurrence's id and its keys in the index's arenas ([`BlockIndex::id`],
/// [`BlockIndex::keys`]).
pub(crate) struct Slot {
    pub start: i64,
    /// The venue's hash (meaningless when `has_venue` is false).
    venue_hash: u64,
    pub date: NaiveDate,
    pub source: u32,
    /// The id's bytes in [`Built::ids`].
    id_at: u32,
    /// The keys (sorted) in [`Built::keys`].
    keys_at: u32,
    /// The title's sketch in [`Built::sketches`] (none when its length is
    /// 0: a sketch is never empty).
    title_at: u32,
    /// The occurrence's rowid when it was written ([`NO_ROW`]: unknown or
    /// beyond 32 bits), so that a candidate is read in one B-tree
    /// descent, not two (its id's index, then the table).
    row: u32,
    id_len: u16,
    keys_len: u16,
    title_len: u16,
    pub all_day: bool,
    has_venue: bool,
}

// What the memory figures above count on.
const _: () = assert!(std::mem::size_of::<Slot>() == 48);

/// [`Slot::row`] when the rowid is not known.
const NO_ROW: u32 = u32::MAX;

impl Slot {
    /// The venue's hash, when the occurrence has a venue.
    pub fn venue(&self) -> Option<u64> {
        self.has_venue.then_some(self.venue_hash)
    }

    /// The rowid its occurrence had when the blocking was written: a hint
    /// (the occurrence may have gone since, and the rowid been given to
    /// another), to check against the id read.
    pub fn row(&self) -> Option<i64> {
        (self.row != NO_ROW).then_some(i64::from(self.row))
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
    /// (key, date) → the slots without a venue.
    without_venue: FxHashMap<(u32, NaiveDate), Bucket>,
    /// (venue hash, date) → the slots held at that venue.
    by_venue: FxHashMap<(u64, NaiveDate), Bucket>,
    /// The venue hashes some slot holds.
    venues: rustc_hash::FxHashSet<u64>,
    slots: Vec<Slot>,
    /// The slots' occurrence ids, one after the other.
    ids: String,
    /// The slots' keys, one list after the other.
    keys: Vec<u32>,
    /// Sources, interned: a slot holds the number.
    source_of: FxHashMap<Box<str>, u32>,
    /// The distinct title sketches of the slots
    /// ([`normalize::dedup::Blocking::title`]), one after the other: the
    /// occurrences of a series share theirs.
    sketches: String,
    /// A sketch's hash → where it is in `sketches`.
    sketch_at: FxHashMap<u64, (u32, u16)>,
    /// Rows read when built, or the table's rows when last counted: the
    /// index is rebuilt once it holds over twice as many slots (its stale
    /// entries then outnumber the live ones).
    rows: usize,
    /// Whether the initial build is running (buckets sorted at its end).
    building: bool,
}

/// The index may hold this many entries beyond twice the rows last counted
/// before the table is counted again (and the index rebuilt when the
/// stale entries outnumber the live ones). Small in unit tests, so that
/// they reach it.
const MIN_REBUILD_SLACK: usize = if cfg!(test) { 100 } else { 100_000 };

impl BlockIndex {
    /// Bring the index in step with the store `tx` reads (rebuilding it
    /// when it was never built, another connection wrote, or it holds too
    /// many stale entries). Returns how many rows a rebuild read.
    pub fn ready(&mut self, tx: &Transaction<'_>) -> StoreResult<Option<usize>> {
        let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if let Some(b) = self.built.as_mut().filter(|b| b.data_version == version) {
            if b.slots.len() <= 2 * b.rows + MIN_REBUILD_SLACK {
                return Ok(None);
            }
            // Grown past twice the rows last counted: stale entries, or
            // only new ones (a first pass)? The table says.
            let live: i64 = tx.query_row("SELECT COUNT(*) FROM dedup_blocks", [], |r| r.get(0))?;
            let live = usize::try_from(live).unwrap_or(usize::MAX);
            if b.slots.len() <= live.saturating_mul(2).saturating_add(MIN_REBUILD_SLACK) {
                b.rows = live;
                return Ok(None);
            }
        }
        self.built = None;
        let mut built = Built {
            data_version: version,
            postings: FxHashMap::default(),
            without_venue: FxHashMap::default(),
            by_venue: FxHashMap::default(),
            venues: Default::default(),
            slots: Vec::new(),
            ids: String::new(),
            keys: Vec::new(),
            source_of: FxHashMap::default(),
            sketches: String::new(),
            sketch_at: FxHashMap::default(),
            rows: 0,
            building: true,
        };
        let mut stmt = tx.prepare("SELECT occurrence, block, occurrence_row FROM dedup_blocks")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, block) = block_row(row)?;
            let rowid: i64 = row.get(2)?;
            if !built.push(
                id,
                Some(rowid),
                block.start,
                block.venue,
                block.date,
                block.all_day,
                block.source,
                block.keys(),
                block.title,
            ) {
                // More than 2³² blockings: the window scan serves.
                return Ok(None);
            }
        }
        built.rows = built.slots.len();
        built.building = false;
        let slots = &built.slots;
        for bucket in built
            .postings
            .values_mut()
            .chain(built.without_venue.values_mut())
            .chain(built.by_venue.values_mut())
        {
            bucket.sort_unstable_by_key(|&s| order(slots, s));
            bucket.shrink_to_fit();
        }
        built.postings.shrink_to_fit();
        built.without_venue.shrink_to_fit();
        built.by_venue.shrink_to_fit();
        built.ids.shrink_to_fit();
        built.keys.shrink_to_fit();
        built.sketches.shrink_to_fit();
        built.sketch_at.shrink_to_fit();
        let rows = built.rows;
        self.built = Some(built);
        Ok(Some(rows))
    }

    /// Take in the blocking just written for occurrence `id`.
    pub fn add(&mut self, id: &str, row: Option<i64>, block: &Blocking) {
        let full = self.built.as_mut().is_some_and(|b| {
            !b.push(
                id,
                row,
                block.start,
                block.venue,
                block.date,
                block.all_day,
                &block.source,
                block.keys.iter().copied(),
                block.title.as_deref(),
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
        self.in_bucket(move |b| b.postings.get(&(key, date)), date, member)
    }

    /// [`BlockIndex::near`] among the stored occurrences without a venue.
    pub fn near_without_venue<'s>(
        &'s self,
        key: u32,
        date: NaiveDate,
        member: &Blocking,
    ) -> impl Iterator<Item = (u32, &'s Slot)> + 's {
        self.in_bucket(move |b| b.without_venue.get(&(key, date)), date, member)
    }

    /// The stored occurrences held at the venue of hash `venue` on `date`
    /// whose times agree with `member`'s, whatever their keys (see
    /// [`BlockIndex::keys`]).
    pub fn at_venue<'s>(
        &'s self,
        venue: u64,
        date: NaiveDate,
        member: &Blocking,
    ) -> impl Iterator<Item = (u32, &'s Slot)> + 's {
        self.in_bucket(move |b| b.by_venue.get(&(venue, date)), date, member)
    }

    /// The venue hashes some stored occurrence holds.
    pub fn venues(&self) -> impl Iterator<Item = u64> + '_ {
        self.built.iter().flat_map(|b| b.venues.iter().copied())
    }

    /// The slots of the bucket `pick` chooses (a bucket of `date`, in
    /// [`order`]) whose times agree with `member`'s.
    fn in_bucket<'s>(
        &'s self,
        pick: impl FnOnce(&'s Built) -> Option<&'s Bucket>,
        date: NaiveDate,
        member: &Blocking,
    ) -> impl Iterator<Item = (u32, &'s Slot)> + 's {
        let found = self
            .built
            .as_ref()
            .and_then(|b| pick(b).map(|p| (b, p.as_slice())));
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

    /// The blocking keys of `slot`, sorted.
    pub fn keys(&self, slot: &Slot) -> &[u32] {
        let at = slot.keys_at as usize;
        self.built
            .as_ref()
            .and_then(|b| b.keys.get(at..at + usize::from(slot.keys_len)))
            .unwrap_or_default()
    }

    /// The title sketch of slot number `s`, when its blocking has one (see
    /// [`normalize::dedup::Grouping::may_agree_on_title`]).
    pub fn title(&self, s: u32) -> Option<&str> {
        let b = self.built.as_ref()?;
        let slot = b.slots.get(s as usize)?;
        let at = slot.title_at as usize;
        (slot.title_len > 0)
            .then(|| b.sketches.get(at..at + usize::from(slot.title_len)))
            .flatten()
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
    /// Where `sketch` is in [`Built::sketches`], added when new; None when
    /// it does not fit (the slot's occurrence is then read, as without
    /// one).
    fn sketch(&mut self, sketch: &str) -> Option<(u32, u16)> {
        let hash = rustc_hash::FxBuildHasher.hash_one(sketch);
        let held = |&(at, len): &(u32, u16)| {
            self.sketches
                .get(at as usize..at as usize + usize::from(len))
                == Some(sketch)
        };
        if let Some(&found) = self.sketch_at.get(&hash).filter(|f| held(f)) {
            return Some(found);
        }
        let at = u32::try_from(self.sketches.len()).ok()?;
        let len = u16::try_from(sketch.len()).ok()?;
        u32::try_from(self.sketches.len() + sketch.len()).ok()?;
        self.sketches.push_str(sketch);
        // A hash two sketches share keeps the first: the second is held
        // twice, never mistaken.
        self.sketch_at.entry(hash).or_insert((at, len));
        Some((at, len))
    }

    /// Add one blocking; false when the index is full (2³² slots, sources
    /// or bytes of ids) or the id is longer than 65,535 bytes.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &str,
        row: Option<i64>,
        start: i64,
        venue: Option<u64>,
        date: NaiveDate,
        all_day: bool,
        source: &str,
        keys: impl Iterator<Item = u32>,
        title: Option<&str>,
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
        let Ok(keys_at) = u32::try_from(self.keys.len()) else {
            return false;
        };
        self.keys.extend(keys);
        let count = self.keys.len() - keys_at as usize;
        let (Ok(keys_len), Ok(_)) = (u16::try_from(count), u32::try_from(self.keys.len())) else {
            self.keys.truncate(keys_at as usize);
            return false;
        };
        if let Some(mine) = self.keys.get_mut(keys_at as usize..) {
            mine.sort_unstable();
        }
        let source = match self.source_of.get(source) {
            Some(&n) => n,
            None => {
                let Ok(n) = u32::try_from(self.source_of.len()) else {
                    self.keys.truncate(keys_at as usize);
                    return false;
                };
                self.source_of.insert(source.into(), n);
                n
            }
        };
        self.ids.push_str(id);
        // A sketch that does not fit is left out: the slot's occurrence is
        // then read, as without one.
        let (title_at, title_len) = title.and_then(|t| self.sketch(t)).unwrap_or((0, 0));
        self.slots.push(Slot {
            start,
            venue_hash: venue.unwrap_or(0),
            date,
            source,
            id_at,
            keys_at,
            title_at,
            row: row
                .and_then(|r| u32::try_from(r).ok())
                .filter(|&r| r != NO_ROW)
                .unwrap_or(NO_ROW),
            id_len,
            keys_len,
            title_len,
            all_day,
            has_venue: venue.is_some(),
        });
        let mine = self
            .keys
            .get(keys_at as usize..)
            .unwrap_or_default()
            .iter()
            .copied();
        for k in mine.clone() {
            file(
                &mut self.postings,
                (k, date),
                slot,
                &self.slots,
                self.building,
            );
        }
        match venue {
            Some(v) => {
                self.venues.insert(v);
                file(
                    &mut self.by_venue,
                    (v, date),
                    slot,
                    &self.slots,
                    self.building,
                );
            }
            None => {
                for k in mine {
                    file(
                        &mut self.without_venue,
                        (k, date),
                        slot,
                        &self.slots,
                        self.building,
                    );
                }
            }
        }
        true
    }
}

/// File `slot` under `key`: buckets are kept in [`order`] (the initial
/// build, `building`, sorts them once at its end).
fn file<K: std::hash::Hash + Eq>(
    map: &mut FxHashMap<K, Bucket>,
    key: K,
    slot: u32,
    slots: &[Slot],
    building: bool,
) {
    let bucket = map.entry(key).or_default();
    if building {
        bucket.push(slot);
    } else {
        let at = order(slots, slot);
        let i = bucket.partition_point(|&s| order(slots, s) <= at);
        bucket.insert(i, slot);
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
        let source = format!("s{}", rng.below(3));
        // Four halls, and a listing in five without a venue.
        let venue = match rng.below(5) {
            0 => None,
            v => Some(1000 + v),
        };
        // Every listing carries its title's sketch, but one in seven
        // (too long to keep).
        let title = (rng.below(7) != 0)
            .then(|| format!("concert k{}\u{1}concert k{}", keys.len(), keys.len()));
        Blocking {
            date: day,
            start,
            all_day,
            source,
            venue,
            keys,
            title,
        }
    }

    #[test]
    fn the_index_is_rebuilt_for_stale_entries_not_for_new_ones() {
        let mut rng = Rng(0x5eed);
        let mut conn = rusqlite::Connection::open_in_memory().expect("sqlite");
        conn.execute_batch(
            "CREATE TABLE dedup_blocks (occurrence_row INTEGER PRIMARY KEY, start_utc INTEGER,
                                        occurrence TEXT, block BLOB)",
        )
        .expect("table");
        let tx = conn.transaction().expect("tx");
        let mut next = 0i64;
        let mut write = |tx: &Transaction<'_>, index: &mut BlockIndex, in_table: bool| {
            next += 1;
            let (id, b) = (format!("o{next}"), blocking(&mut rng));
            if in_table {
                tx.execute(
                    "INSERT INTO dedup_blocks VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![next, b.start, id, b.encode()],
                )
                .expect("insert");
            }
            index.add(&id, Some(next), &b);
        };
        let mut index = BlockIndex::default();
        assert_eq!(index.ready(&tx).expect("empty"), Some(0));
        // A first pass: every entry added is a live row, however many.
        for _ in 0..350 {
            write(&tx, &mut index, true);
        }
        assert_eq!(index.ready(&tx).expect("grown"), None);
        assert_eq!(index.slot_count(), 350);
        // Entries whose rows are gone (a rolled-back batch): once they
        // outnumber the live ones, the index is built again from the table.
        for _ in 0..500 {
            write(&tx, &mut index, false);
        }
        assert_eq!(index.ready(&tx).expect("stale"), Some(350));
        assert_eq!(index.slot_count(), 350);
    }

    #[test]
    fn near_gives_exactly_the_stored_blockings_whose_times_agree() {
        let mut rng = Rng(0x00b1_0c4e);
        let conn = rusqlite::Connection::open_in_memory().expect("sqlite");
        conn.execute_batch(
            "CREATE TABLE dedup_blocks (occurrence_row INTEGER PRIMARY KEY, start_utc INTEGER,
                                        occurrence TEXT, block BLOB)",
        )
        .expect("table");
        let stored: Vec<(String, Blocking)> = (0..400)
            .map(|i| (format!("o{i}"), blocking(&mut rng)))
            .collect();
        // Each occurrence's rowid (the last ones' beyond 32 bits: unknown).
        let row_of = |id: &str| -> i64 {
            let i: i64 = id.trim_start_matches('o').parse().expect("number");
            if i >= 390 {
                (1 << 40) + i
            } else {
                7 + 3 * i
            }
        };
        // Half in the table (the initial build sorts its buckets), half
        // added after (each inserted in order).
        let (table, added) = stored.split_at(200);
        for (id, b) in table {
            conn.execute(
                "INSERT INTO dedup_blocks VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![row_of(id), b.start, id, b.encode()],
            )
            .expect("insert");
        }
        let mut conn = conn;
        let tx = conn.transaction().expect("tx");
        let mut index = BlockIndex::default();
        assert_eq!(index.ready(&tx).expect("build"), Some(200));
        for (id, b) in added {
            index.add(id, Some(row_of(id)), b);
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
                    // Each slot's title sketch is its blocking's, whether
                    // built from the table or added.
                    for (s, slot) in index.near(key, date, &member) {
                        let id = index.id(slot);
                        let row = row_of(id);
                        assert_eq!(slot.row(), (row < 1 << 32).then_some(row), "{id}");
                        let kept = stored.iter().find(|(i, _)| i == id).map(|(_, b)| b);
                        assert_eq!(
                            index.title(s),
                            kept.and_then(|b| b.title.as_deref()),
                            "{id}"
                        );
                    }
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
                    // The same among the listings without a venue.
                    let mut got: Vec<&str> = index
                        .near_without_venue(key, date, &member)
                        .map(|(_, s)| index.id(s))
                        .collect();
                    got.sort_unstable();
                    let mut without: Vec<&str> = stored
                        .iter()
                        .filter(|(id, b)| b.venue.is_none() && want.contains(&id.as_str()))
                        .map(|(id, _)| id.as_str())
                        .collect();
                    without.sort_unstable();
                    assert_eq!(got, without, "key {key} on {date}, no venue");
                }
                // By venue: every listing held there whose times agree,
                // whatever its keys, and its keys as stored.
                for date in [member.date.pred_opt(), Some(member.date)]
                    .into_iter()
                    .flatten()
                {
                    for venue in 1001..1005 {
                        let mut got: Vec<(&str, Vec<u32>)> = index
                            .at_venue(venue, date, &member)
                            .map(|(_, s)| (index.id(s), index.keys(s).to_vec()))
                            .collect();
                        got.sort_unstable();
                        let mut want: Vec<(&str, Vec<u32>)> = stored
                            .iter()
                            .filter(|(_, b)| {
                                b.date == date
                                    && b.venue == Some(venue)
                                    && times_agree(b.date, b.start, b.all_day, &member)
                            })
                            .map(|(id, b)| (id.as_str(), b.keys.clone()))
                            .collect();
                        want.sort_unstable();
                        assert_eq!(got, want, "venue {venue} on {date} for {member:?}");
                    }
                }
            }
        }
        let mut venues: Vec<u64> = index.venues().collect();
        venues.sort_unstable();
        assert_eq!(venues, vec![1001, 1002, 1003, 1004]);
        // Each distinct sketch is held once: the occurrences of a series
        // share theirs.
        let mut distinct: Vec<&str> = stored
            .iter()
            .filter_map(|(_, b)| b.title.as_deref())
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        let held = index.built.as_ref().map_or(0, |b| b.sketches.len());
        assert_eq!(held, distinct.iter().map(|t| t.len()).sum::<usize>());
    }
}
