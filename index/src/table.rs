//! Queries answered from a table per search segment.
//!
//! A query by dates, categories, territories or place (what a portal's
//! filters, a borough's feed or a "near me" ask) matches a large part of
//! the season, and the inverted index answers it by intersecting
//! fast-field ranges one document at a time, reading a value per document
//! per clause: tens of milliseconds at a million events, all of it to
//! count `total`. Here each segment's documents are a table sorted by
//! start (start, effective end, sort key, place, and a bit per category
//! and per territory), built once per segment (segments never change;
//! deletions are read from the segment's alive bitset at query time) and
//! kept while the segment is searched. A query binary-searches its first
//! row and reads the columns it needs in order, 64 rows at a time: each
//! test turns a block's values into a word of bits (no branch per row), the
//! deletions too (a bit per row alive, kept per segment for its current
//! deletions). As rows come in the order of their sort keys, once a page's
//! worth of keys is kept the rest of the window is only counted, a
//! popcount per block.
//!
//! What the table has no column for (words, venues, sources, a calendar)
//! is asked of tantivy's postings alone, without the range clauses or any
//! scoring: the documents they match are then either looked up one by one
//! (by `SegmentTable::row_of`, when they are few against the rows of the
//! window, [`LOOKUP_RATIO`]) or marked as a bit per row for the scan.
//!
//! The answer is the one [`crate::search::Search`]'s tantivy query gives,
//! document for document: the same two disjoint parts of the overlap
//! ([`Window`]), the same boxes ([`GeoBox`]) and exact radius, the same
//! count and smallest sort keys after the cursor ([`Best`]); a randomized
//! test in `tests/index.rs` compares both paths with each other and with a
//! plain filter. A query this table cannot answer (a segment holding more
//! than 64 categories or territories) returns `None` and goes to tantivy.
//!
//! Places: a segment's events happen at far fewer places than there are
//! events (a council's agenda: a few hundred halls), so the table keeps
//! each distinct pair of coordinates once ([`Places`]) and each row its
//! place; a query with a box or a radius decides each place the first
//! time a row of it comes (the same exact test the tantivy path makes on
//! each document), and every other row of that place reads the verdict.

use std::cell::Cell;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::columnar::StrColumn;
use tantivy::fastfield::AliveBitSet;
use tantivy::index::SegmentId;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Searcher, SegmentOrdinal, SegmentReader};

use crate::search::{lasts_long, unit_vector, Circle};

/// The instants of "overlaps `[from, to)`" as two disjoint parts (see
/// `Search::overlap`): events starting in `[recent_from, to)` and ending
/// after `from`, and events lasting longer than two days that started
/// before `long_before` and end after `from`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub from: i64,
    /// Exclusive, rounded up to the second.
    pub to: Option<i64>,
    pub recent_from: i64,
    pub long_before: i64,
}

impl Window {
    /// Whether a row of this `start` is in one of the two parts (`long`:
    /// the event lasts long, [`lasts_long`]); its end is [`RowTest`]'s.
    #[inline]
    fn starts_in(&self, start: i64, long: bool) -> bool {
        (start >= self.recent_from && self.to.is_none_or(|to| start < to))
            || (long && start < self.long_before)
    }
}

/// A latitude and longitude box, bounds included; `minlon > maxlon` means
/// it crosses the antimeridian.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GeoBox {
    pub minlat: f64,
    pub maxlat: f64,
    pub minlon: f64,
    pub maxlon: f64,
}

impl GeoBox {
    /// As the range clauses of the box match: NaN (no coordinates) never.
    fn contains(&self, lat: f64, lon: f64) -> bool {
        let lat_in = lat >= self.minlat && lat <= self.maxlat;
        let lon_in = if self.minlon <= self.maxlon {
            lon >= self.minlon && lon <= self.maxlon
        } else {
            (lon >= self.minlon && lon <= 180.0) || (lon >= -180.0 && lon <= self.maxlon)
        };
        lat_in && lon_in
    }
}

/// What one segment collected: its count and its best (key, doc) pairs.
pub(crate) type PageFruit = (usize, Vec<(u64, DocAddress)>);

/// What a query asks of every row (its words, venues, sources and
/// calendar aside: those are asked of the postings).
pub(crate) struct Filter<'q> {
    pub window: Window,
    pub categories: &'q [String],
    pub territories: &'q [String],
    /// Every box must hold the event.
    pub boxes: Vec<GeoBox>,
    /// The exact radius, after the boxes.
    pub near: Option<Circle>,
}

/// The count of the matches of one segment and its `keep` smallest sort
/// keys greater than `after`, with their documents (the page collector's
/// rule, shared so that both paths keep the same documents).
pub(crate) struct Best {
    after: Option<u64>,
    keep: usize,
    pub count: usize,
    heap: BinaryHeap<(u64, DocId)>,
}

impl Best {
    pub fn new(after: Option<u64>, keep: usize) -> Best {
        Best {
            after,
            keep,
            count: 0,
            heap: BinaryHeap::with_capacity(keep.saturating_add(1).min(1024)),
        }
    }

    /// A match of sort key `key`.
    pub fn offer(&mut self, key: u64, doc: DocId) {
        self.count += 1;
        if self.after.is_some_and(|after| key <= after) {
            return;
        }
        if self.heap.len() < self.keep {
            self.heap.push((key, doc));
        } else if let Some(&top) = self.heap.peek() {
            if (key, doc) < top {
                self.heap.pop();
                self.heap.push((key, doc));
            }
        }
    }

    /// Whether no match of sort key `key` or greater can enter: `keep`
    /// kept, all smaller than `key`.
    #[inline]
    fn shut_to(&self, key: u64) -> bool {
        self.heap.len() >= self.keep && self.heap.peek().is_some_and(|&(top, _)| top < key)
    }

    pub fn harvest(self, segment: SegmentOrdinal) -> PageFruit {
        let hits = self
            .heap
            .into_iter()
            .map(|(key, doc)| (key, DocAddress::new(segment, doc)))
            .collect();
        (self.count, hits)
    }
}

/// A bit per term of a multi-valued string field, for a segment whose
/// dictionary holds at most 64 terms.
struct Bits {
    terms: HashMap<String, u32>,
    /// Per row.
    rows: Vec<u64>,
}

impl Bits {
    /// The bits of `field` for `docs` (rows in that order); None when the
    /// segment holds more than 64 of its terms.
    fn read(reader: &SegmentReader, field: &str, docs: &[DocId]) -> tantivy::Result<Option<Bits>> {
        let Some(column): Option<StrColumn> = reader.fast_fields().str(field)? else {
            return Ok(Some(Bits {
                terms: HashMap::new(),
                rows: vec![0; docs.len()],
            }));
        };
        if column.num_terms() > 64 {
            return Ok(None);
        }
        let mut terms = HashMap::new();
        let mut name = String::new();
        for ord in 0..column.num_terms() as u64 {
            if column.ord_to_str(ord, &mut name)? {
                terms.insert(name.clone(), ord as u32);
            }
        }
        let rows = docs
            .iter()
            .map(|&doc| {
                column
                    .term_ords(doc)
                    .filter(|&ord| ord < 64)
                    .fold(0u64, |bits, ord| bits | (1 << ord))
            })
            .collect();
        Ok(Some(Bits { terms, rows }))
    }

    /// For a query naming `wanted` terms of this field: None when the
    /// table cannot answer it, `Some(None)` when it names none, else the
    /// bits of the `n` rows and those asked.
    fn asked<'t>(
        bits: &'t Option<Bits>,
        wanted: &[String],
        n: usize,
    ) -> Option<Option<(&'t [u64], u64)>> {
        if wanted.is_empty() {
            return Some(None);
        }
        let b = bits.as_ref()?;
        Some(Some((b.rows.get(..n)?, b.mask(wanted))))
    }

    /// The bits of any of `wanted` (0: none is in this segment).
    fn mask(&self, wanted: &[String]) -> u64 {
        wanted
            .iter()
            .filter_map(|t| self.terms.get(t))
            .fold(0, |bits, &ord| bits | (1 << ord))
    }
}

/// The distinct coordinates of one segment's events, each with its unit
/// vector, and the place of each row. A document without coordinates has
/// the place (NaN, NaN), which no box or radius holds; places are told
/// apart by their bits, so each row's place has exactly its coordinates.
struct Places {
    lat: Vec<f64>,
    lon: Vec<f64>,
    unit: Vec<[f64; 3]>,
    /// Per row.
    of_row: Vec<u32>,
}

impl Places {
    fn build(points: impl Iterator<Item = (f64, f64)>) -> Places {
        let mut at: HashMap<(u64, u64), u32> = HashMap::new();
        let mut places = Places {
            lat: Vec::new(),
            lon: Vec::new(),
            unit: Vec::new(),
            of_row: Vec::new(),
        };
        for (lat, lon) in points {
            let next = places.lat.len() as u32;
            let place = *at.entry((lat.to_bits(), lon.to_bits())).or_insert(next);
            if place == next {
                places.lat.push(lat);
                places.lon.push(lon);
                places.unit.push(unit_vector(lat, lon));
            }
            places.of_row.push(place);
        }
        places
    }

    /// Whether place `p` is in every box and the radius, as the tantivy
    /// path tests a document at its coordinates.
    fn holds(&self, p: usize, boxes: &[GeoBox], near: Option<Circle>) -> bool {
        let (Some(&lat), Some(&lon), Some(&unit)) =
            (self.lat.get(p), self.lon.get(p), self.unit.get(p))
        else {
            return false;
        };
        boxes.iter().all(|b| b.contains(lat, lon)) && near.is_none_or(|c| c.holds(unit))
    }
}

/// A query's verdict on one place: not decided yet, in, out.
const UNDECIDED: u8 = 0;
const PLACE_IN: u8 = 1;
const PLACE_OUT: u8 = 2;

/// How many times fewer than the rows of the window the documents
/// matching words (or venues, sources, a calendar) must be to be looked up
/// one by one rather than marked for the scan: a lookup reads a few
/// scattered cache lines, a row of the scan a few bytes in order.
const LOOKUP_RATIO: usize = 16;

/// One segment's documents sorted by (start, sort key, document).
pub(crate) struct SegmentTable {
    start: Vec<i64>,
    end_eff: Vec<i64>,
    sort: Vec<u64>,
    doc: Vec<DocId>,
    /// Per document, its row (`u32::MAX`: none).
    row_of: Vec<u32>,
    places: Places,
    category: Option<Bits>,
    territory: Option<Bits>,
    /// The rows of the events that last long ([`lasts_long`],
    /// `span:long`), in order.
    long: Vec<u32>,
    /// Every row's effective end is at or after its start (as
    /// `Event::effective_end_utc` makes it): a row starting after a query's
    /// `from` ends after it.
    ends_follow_starts: bool,
    /// A bit per row alive in the deletions last asked for, with their
    /// count (a segment's deletions only grow, so their count names them).
    alive_rows: Mutex<Option<(u32, Arc<Vec<u64>>)>>,
}

impl SegmentTable {
    fn build(reader: &SegmentReader) -> tantivy::Result<SegmentTable> {
        let fast = reader.fast_fields();
        let (start_col, end_col) = (fast.i64("start")?, fast.i64("end_eff")?);
        let sort_col = fast.u64("sort")?;
        let (lat_col, lon_col) = (fast.f64("lat")?, fast.f64("lon")?);
        let max = reader.max_doc();
        // Every document has a start; one without would match no range.
        let mut rows: Vec<(i64, u64, DocId)> = (0..max)
            .filter_map(|doc| {
                let start = start_col.first(doc)?;
                Some((start, sort_col.first(doc).unwrap_or(0), doc))
            })
            .collect();
        rows.sort_unstable();
        let doc: Vec<DocId> = rows.iter().map(|r| r.2).collect();
        let mut row_of = vec![u32::MAX; max as usize];
        for (row, &d) in doc.iter().enumerate() {
            if let (Some(slot), Ok(row)) = (row_of.get_mut(d as usize), u32::try_from(row)) {
                *slot = row;
            }
        }
        let end_eff: Vec<i64> = doc
            .iter()
            .map(|&d| end_col.first(d).unwrap_or(i64::MIN))
            .collect();
        let start: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let ends_follow_starts = start.iter().zip(&end_eff).all(|(s, e)| e >= s);
        let long = (0..start.len())
            .filter(|&i| lasts_long(start[i], end_eff[i]))
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let places = Places::build(doc.iter().map(|&d| {
            (
                lat_col.first(d).unwrap_or(f64::NAN),
                lon_col.first(d).unwrap_or(f64::NAN),
            )
        }));
        Ok(SegmentTable {
            places,
            category: Bits::read(reader, "category", &doc)?,
            territory: Bits::read(reader, "territory", &doc)?,
            sort: rows.iter().map(|r| r.1).collect(),
            start,
            end_eff,
            doc,
            row_of,
            long,
            ends_follow_starts,
            alive_rows: Mutex::new(None),
        })
    }

    /// A bit per row, set when its document is alive in `alive`, a bitset
    /// with `deleted` deletions; built once per deletions (outside the lock)
    /// and kept for the queries that follow.
    fn alive_rows(&self, alive: &AliveBitSet, deleted: u32) -> Arc<Vec<u64>> {
        {
            let kept = self.alive_rows.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((n, rows)) = kept.as_ref() {
                if *n == deleted {
                    return Arc::clone(rows);
                }
            }
        }
        let mut rows = vec![u64::MAX; self.doc.len().div_ceil(64)];
        for (row, &doc) in self.doc.iter().enumerate() {
            if !alive.is_alive(doc) {
                rows[row / 64] &= !(1 << (row % 64));
            }
        }
        let rows = Arc::new(rows);
        let mut kept = self.alive_rows.lock().unwrap_or_else(|p| p.into_inner());
        *kept = Some((deleted, Arc::clone(&rows)));
        rows
    }

    /// The matches of `filter` in this segment into `best`, among
    /// `matching` (the documents matching what the table has no column
    /// for, in order) when given; false when this table cannot answer.
    fn collect(
        &self,
        alive: Option<&AliveBitSet>,
        deleted: u32,
        filter: &Filter<'_>,
        matching: Option<&[DocId]>,
        best: &mut Best,
    ) -> bool {
        let n = self.doc.len();
        let lengths = [
            self.end_eff.len(),
            self.sort.len(),
            self.places.of_row.len(),
        ];
        if lengths.iter().any(|&l| l != n) {
            return false;
        }
        let (start, end_eff, sort) = (&self.start[..], &self.end_eff[..], &self.sort[..]);
        let doc = self.doc.as_slice();
        let (Some(categories), Some(territories)) = (
            Bits::asked(&self.category, filter.categories, n),
            Bits::asked(&self.territory, filter.territories, n),
        ) else {
            return false;
        };
        let placed = filter.near.is_some() || !filter.boxes.is_empty();
        let verdicts = if placed {
            vec![Cell::new(UNDECIDED); self.places.lat.len()]
        } else {
            Vec::new()
        };
        let verdicts = placed.then_some(verdicts.as_slice());
        let w = filter.window;
        // Starting in [recent_from, to), ending after from.
        let first = start.partition_point(|&s| s < w.recent_from);
        let last = match w.to {
            Some(to) => first + start[first..].partition_point(|&s| s < to),
            None => n,
        };
        let row_of = |d: DocId| -> Option<usize> {
            let row = *self.row_of.get(d as usize)? as usize;
            (row < n).then_some(row)
        };
        let mut only = Vec::new();
        if let Some(docs) = matching {
            if docs.len().saturating_mul(LOOKUP_RATIO) < (last - first) + self.long.len() {
                let test = RowTest::new(self, filter, verdicts, alive, categories, territories);
                for row in docs.iter().filter_map(|&d| row_of(d)) {
                    let long = lasts_long(start[row], end_eff[row]);
                    if w.starts_in(start[row], long) && test.passes(row) {
                        best.offer(sort[row], doc[row]);
                    }
                }
                return true;
            }
            only = vec![0u64; n.div_ceil(64)];
            for row in docs.iter().filter_map(|&d| row_of(d)) {
                only[row / 64] |= 1 << (row % 64);
            }
        }
        // A scan of more rows than there are places decides every place
        // first, so that the place test is a column test like the others.
        let decided = match verdicts {
            Some(verdicts) if verdicts.len() <= (last - first) + self.long.len() => {
                for (place, v) in verdicts.iter().enumerate() {
                    let holds = self.places.holds(place, &filter.boxes, filter.near);
                    v.set(if holds { PLACE_IN } else { PLACE_OUT });
                }
                true
            }
            _ => false,
        };
        // Rows starting after `from` end after it: their end is not read.
        let ends_until = if self.ends_follow_starts {
            first + start[first..last].partition_point(|&s| s <= w.from)
        } else {
            last
        };
        let test = RowTest {
            only: matching.map(|_| only.as_slice()),
            decided,
            ends_until,
            ..RowTest::new(self, filter, verdicts, alive, categories, territories)
        };
        // By blocks of 64 rows: the rows of the window a block holds, those
        // alive and matching the words, then the column tests as one word of
        // bits (no branch per row). Rows are in the order of their sort keys
        // (sorted by start, and a key's high half is its start): once `best`
        // holds `keep` keys all smaller than a row's, no later row of the
        // window can enter it, and the rest are only counted.
        let alive_rows = match alive {
            Some(alive) if first < last => Some(self.alive_rows(alive, deleted)),
            _ => None,
        };
        let mut shut = false;
        if first < last {
            for block in first / 64..=(last - 1) / 64 {
                let mut rows = span(block, first, last);
                if let Some(only) = test.only {
                    rows &= only.get(block).copied().unwrap_or(0);
                }
                if let Some(alive) = alive_rows.as_deref() {
                    rows &= alive.get(block).copied().unwrap_or(0);
                }
                let mut rows = test.block(block * 64, rows);
                if !test.decided && test.verdicts.is_some() {
                    rows = test.placed_of(block * 64, rows);
                }
                if alive_rows.is_none() {
                    rows = test.alive_of(block * 64, rows);
                }
                while rows != 0 && !shut {
                    let row = block * 64 + rows.trailing_zeros() as usize;
                    if best.shut_to(sort[row]) {
                        shut = true;
                    } else {
                        best.offer(sort[row], doc[row]);
                        rows &= rows - 1;
                    }
                }
                best.count += rows.count_ones() as usize;
            }
        }
        // Long, started before long_before, ending after from.
        for &row in &self.long {
            let row = row as usize;
            if start.get(row).is_none_or(|&s| s >= w.long_before) {
                break;
            }
            if test.passes(row) {
                best.offer(sort[row], doc[row]);
            }
        }
        true
    }
}

/// What a row must pass, with the columns it reads (all of the same
/// length).
struct RowTest<'t> {
    end_eff: &'t [i64],
    doc: &'t [DocId],
    /// A bit per row: the rows matching words (venues, sources, a
    /// calendar), when the query has some.
    only: Option<&'t [u64]>,
    /// (bits per row, bits asked) of the fields the query names.
    categories: Option<(&'t [u64], u64)>,
    territories: Option<(&'t [u64], u64)>,
    from: i64,
    places: &'t Places,
    /// The query's verdict on each place, when it has a box or a radius.
    verdicts: Option<&'t [Cell<u8>]>,
    /// Every place has its verdict: [`RowTest::block`] tests places.
    decided: bool,
    /// [`RowTest::block`] tests the end of the rows before this one only.
    ends_until: usize,
    boxes: &'t [GeoBox],
    near: Option<Circle>,
    alive: Option<&'t AliveBitSet>,
}

impl<'t> RowTest<'t> {
    fn new(
        table: &'t SegmentTable,
        filter: &'t Filter<'_>,
        verdicts: Option<&'t [Cell<u8>]>,
        alive: Option<&'t AliveBitSet>,
        categories: Option<(&'t [u64], u64)>,
        territories: Option<(&'t [u64], u64)>,
    ) -> RowTest<'t> {
        RowTest {
            end_eff: &table.end_eff,
            doc: &table.doc,
            only: None,
            categories,
            territories,
            from: filter.window.from,
            places: &table.places,
            verdicts,
            decided: false,
            ends_until: usize::MAX,
            boxes: &filter.boxes,
            near: filter.near,
            alive,
        }
    }

    /// Of `rows` (bit `i`: row `base + i`), those whose place holds.
    fn placed_of(&self, base: usize, rows: u64) -> u64 {
        rows_where(base, rows, |row| self.placed(row))
    }

    /// Of `rows` (bit `i`: row `base + i`), those alive.
    fn alive_of(&self, base: usize, rows: u64) -> u64 {
        if self.alive.is_none() {
            return rows;
        }
        rows_where(base, rows, |row| self.alive(row))
    }

    /// The cheap, selective tests first; the alive bitset last.
    #[inline(always)]
    fn passes(&self, row: usize) -> bool {
        if let Some(only) = self.only {
            if only[row / 64] & (1 << (row % 64)) == 0 {
                return false;
            }
        }
        if let Some((rows, mask)) = self.categories {
            if rows[row] & mask == 0 {
                return false;
            }
        }
        if let Some((rows, mask)) = self.territories {
            if rows[row] & mask == 0 {
                return false;
            }
        }
        if self.end_eff[row] <= self.from {
            return false;
        }
        self.placed(row) && self.alive(row)
    }

    /// Of `rows` (bit `i`: row `base + i`, all in the table), those
    /// passing the categories, territories and end tests (the end in the
    /// blocks before `ends_until` only), and the place test once every
    /// place is decided: each column read in order over the block and
    /// turned into a word of bits, a test skipped once no row is left.
    #[inline(always)]
    fn block(&self, base: usize, mut rows: u64) -> u64 {
        let end = (base + 64).min(self.end_eff.len());
        if let Some((bits, mask)) = self.categories {
            rows &= word_of(bits.get(base..end), |b| b & mask != 0);
        }
        if let Some((bits, mask)) = self.territories {
            if rows != 0 {
                rows &= word_of(bits.get(base..end), |b| b & mask != 0);
            }
        }
        if rows != 0 && base < self.ends_until {
            let from = self.from;
            rows &= word_of(self.end_eff.get(base..end), |&e| e > from);
        }
        if let (Some(verdicts), true) = (self.verdicts, self.decided) {
            if rows != 0 {
                rows &= word_of(self.places.of_row.get(base..end), |&p| {
                    verdicts
                        .get(p as usize)
                        .is_some_and(|v| v.get() == PLACE_IN)
                });
            }
        }
        rows
    }

    /// Whether the row's place is in the query's boxes and radius (true
    /// when it has none), each place decided the first time a row of it
    /// comes.
    #[inline(always)]
    fn placed(&self, row: usize) -> bool {
        let Some(verdicts) = self.verdicts else {
            return true;
        };
        let place = self.places.of_row[row] as usize;
        match verdicts.get(place) {
            Some(v) if v.get() == UNDECIDED => {
                let holds = self.places.holds(place, self.boxes, self.near);
                v.set(if holds { PLACE_IN } else { PLACE_OUT });
                holds
            }
            Some(v) => v.get() == PLACE_IN,
            None => self.places.holds(place, self.boxes, self.near),
        }
    }

    #[inline(always)]
    fn alive(&self, row: usize) -> bool {
        self.alive.is_none_or(|a| a.is_alive(self.doc[row]))
    }
}

/// Of `rows` (bit `i`: row `base + i`), those for which `test` holds,
/// each tested alone.
fn rows_where(base: usize, mut rows: u64, test: impl Fn(usize) -> bool) -> u64 {
    let mut left = rows;
    while left != 0 {
        let bit = left.trailing_zeros();
        left &= left - 1;
        if !test(base + bit as usize) {
            rows &= !(1 << bit);
        }
    }
    rows
}

/// The rows of block `block` (bit `i`: row `64 * block + i`) in
/// `[first, last)`.
#[inline(always)]
fn span(block: usize, first: usize, last: usize) -> u64 {
    let base = block * 64;
    let low = first.saturating_sub(base).min(64);
    let high = last.saturating_sub(base).min(64);
    let below = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    below(high) & !below(low)
}

/// A word whose bit `i` says whether `test` holds for `column[i]` (at most
/// 64 values; none when the column is missing).
#[inline(always)]
fn word_of<T>(column: Option<&[T]>, test: impl Fn(&T) -> bool) -> u64 {
    column.map_or(0, |values| {
        values
            .iter()
            .take(64)
            .enumerate()
            .fold(0u64, |word, (i, v)| word | (u64::from(test(v)) << i))
    })
}

/// The tables of the segments being searched, by segment.
#[derive(Default)]
pub(crate) struct Tables {
    by_segment: Mutex<HashMap<SegmentId, Arc<SegmentTable>>>,
}

impl Tables {
    /// The tables of `searcher`'s segments, built for those that have none
    /// (outside the lock); the tables of segments no longer searched are
    /// dropped when one is built.
    fn of(&self, searcher: &Searcher) -> tantivy::Result<Vec<Arc<SegmentTable>>> {
        let readers = searcher.segment_readers();
        let mut known: Vec<Option<Arc<SegmentTable>>> = {
            let map = self.by_segment.lock().unwrap_or_else(|p| p.into_inner());
            readers
                .iter()
                .map(|r| map.get(&r.segment_id()).cloned())
                .collect()
        };
        let mut built = Vec::new();
        for (reader, slot) in readers.iter().zip(known.iter_mut()) {
            if slot.is_none() {
                let t = std::time::Instant::now();
                let table = Arc::new(SegmentTable::build(reader)?);
                tracing::debug!(
                    rows = table.doc.len(),
                    ms = t.elapsed().as_millis() as u64,
                    "search table built"
                );
                built.push((reader.segment_id(), Arc::clone(&table)));
                *slot = Some(table);
            }
        }
        if !built.is_empty() {
            let mut map = self.by_segment.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|id, _| readers.iter().any(|r| r.segment_id() == *id));
            map.extend(built);
        }
        Ok(known.into_iter().flatten().collect())
    }

    /// The segments that have a table now.
    #[cfg(test)]
    pub(crate) fn segments(&self) -> Vec<SegmentId> {
        let map = self.by_segment.lock().unwrap_or_else(|p| p.into_inner());
        map.keys().copied().collect()
    }

    /// Each segment's count and best documents for `filter`, as the page
    /// collector gives them; None when a table cannot answer it.
    ///
    /// `words`: what the table has no column for (words, venues, sources,
    /// a calendar), asked of each segment's postings.
    pub(crate) fn page(
        &self,
        searcher: &Searcher,
        filter: &Filter<'_>,
        words: Option<&dyn Weight>,
        after: Option<u64>,
        keep: usize,
    ) -> tantivy::Result<Option<Vec<PageFruit>>> {
        let tables = self.of(searcher)?;
        let mut fruits = Vec::with_capacity(tables.len());
        let mut matching = Vec::new();
        for (ord, (reader, table)) in searcher.segment_readers().iter().zip(&tables).enumerate() {
            let mut best = Best::new(after, keep);
            if let Some(weight) = words {
                matching.clear();
                weight.for_each_no_score(reader, &mut |docs| matching.extend_from_slice(docs))?;
            }
            let matching = words.map(|_| matching.as_slice());
            let (alive, deleted) = (reader.alive_bitset(), reader.num_deleted_docs());
            if !table.collect(alive, deleted, filter, matching, &mut best) {
                return Ok(None);
            }
            fruits.push(best.harvest(ord as SegmentOrdinal));
        }
        Ok(Some(fruits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_span_holds_exactly_the_rows_of_the_window() {
        for (first, last) in [
            (0, 1),
            (0, 64),
            (3, 64),
            (63, 65),
            (64, 128),
            (70, 200),
            (5, 6),
        ] {
            let mut seen = Vec::new();
            for block in first / 64..=(last - 1) / 64 {
                let mut rows = span(block, first, last);
                while rows != 0 {
                    seen.push(block * 64 + rows.trailing_zeros() as usize);
                    rows &= rows - 1;
                }
            }
            assert_eq!(seen, (first..last).collect::<Vec<_>>(), "[{first}, {last})");
        }
        assert_eq!(span(0, 64, 128), 0);
        assert_eq!(span(2, 0, 64), 0);
    }

    #[test]
    fn a_column_word_has_a_bit_per_value_passing() {
        let column: Vec<i64> = (0..70).collect();
        let word = word_of(column.get(0..64), |&v| v % 3 == 0);
        for i in 0..64 {
            assert_eq!(word >> i & 1 == 1, i % 3 == 0, "bit {i}");
        }
        // The last block of a table: fewer than 64 rows, no bit past them.
        assert_eq!(word_of(column.get(64..70), |_| true), 0b11_1111);
        assert_eq!(word_of(column.get(64..80), |_| true), 0);
    }

    #[test]
    fn a_place_is_kept_once_and_each_row_has_exactly_its_coordinates() {
        let points = [
            (45.5, -73.7),
            (f64::NAN, f64::NAN),
            (45.5, -73.7),
            (45.5, -73.700_000_000_000_01),
            (f64::NAN, f64::NAN),
            (-0.0, 0.0),
            (0.0, 0.0),
        ];
        let places = Places::build(points.iter().copied());
        assert_eq!(places.of_row, vec![0, 1, 0, 2, 1, 3, 4]);
        for (row, &(lat, lon)) in points.iter().enumerate() {
            let p = places.of_row[row] as usize;
            assert_eq!(places.lat[p].to_bits(), lat.to_bits());
            assert_eq!(places.lon[p].to_bits(), lon.to_bits());
        }
        // A document without coordinates is in no box and no radius.
        let everywhere = GeoBox {
            minlat: -90.0,
            maxlat: 90.0,
            minlon: -180.0,
            maxlon: 180.0,
        };
        let near = Some(Circle::new(45.5, -73.7, 20_000.0));
        assert!(places.holds(0, &[everywhere], near));
        assert!(!places.holds(1, &[everywhere], None));
        assert!(!places.holds(1, &[], near));
        assert!(!places.holds(99, &[], None));
    }
}
