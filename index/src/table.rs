//! Queries without words, answered from a table per search segment.
//!
//! A query by dates, categories, territories or place (what a portal's
//! filters, a borough's feed or a "near me" ask) matches a large part of
//! the season, and the inverted index answers it by intersecting
//! fast-field ranges one document at a time, reading a value per document
//! per clause: tens of milliseconds at a million events, all of it to
//! count `total`. Here each segment's documents are a table sorted by
//! start (start, effective end, sort key, coordinates, and a bit per
//! category and per territory), built once per segment (segments never
//! change; deletions are read from the segment's alive bitset at query
//! time) and kept while the segment is searched. A query binary-searches
//! its first row and reads the columns it needs in order: a few bytes per
//! row.
//!
//! What the table has no column for (words, venues, sources, a calendar)
//! is asked of tantivy's postings alone, without the range clauses: the
//! documents they match ([`Matching`]) are then either looked up one by
//! one ([`SegmentTable::row_of`], when they are few against the rows of
//! the window) or tested as a bit per row of the scan.
//!
//! The answer is the one [`crate::search::Search`]'s tantivy query gives,
//! document for document: the same two disjoint parts of the overlap
//! ([`Window`]), the same boxes ([`GeoBox`]) and exact radius, the same
//! count and smallest sort keys after the cursor ([`Best`]); a randomized
//! test in `tests/index.rs` compares both paths with each other and with a
//! plain filter. A query this table cannot answer (a segment holding more
//! than 64 categories or territories) returns `None` and goes to tantivy.
//!
//! Places: each row also has a cell of a grid cut at the quantiles of the
//! segment's latitudes and longitudes ([`Grid`]); a query with a box or a
//! radius classes each cell once (wholly in, wholly out, or across the
//! edge, [`Cells`]), and only the rows of the cells across the edge are
//! tested point by point.

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::columnar::StrColumn;
use tantivy::fastfield::AliveBitSet;
use tantivy::index::SegmentId;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Searcher, SegmentOrdinal, SegmentReader};

use crate::search::{unit_vector, Circle, SHORT_SPAN_SECS};

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
    /// the event lasts longer than [`SHORT_SPAN_SECS`]); its end is
    /// [`RowTest`]'s.
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

/// What a query without words asks of every row.
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

/// Bands per axis of a segment's [`Grid`].
const BANDS: usize = 64;

/// The cell of the rows without coordinates (or with coordinates that
/// are not numbers): always tested point by point.
const NO_CELL: u16 = (BANDS * BANDS) as u16;

/// A grid over one segment's points, cut at the quantiles of their
/// latitudes and of their longitudes (so that the rows spread over the
/// bands whatever the region: one town, or cities a continent apart).
/// Band `i` of an axis holds the values in `[cuts[i], cuts[i + 1]]`, and a
/// row is in the band its value falls in by comparison alone, so that the
/// bounds of its cell hold it exactly.
struct Grid {
    lat_cuts: Vec<f64>,
    lon_cuts: Vec<f64>,
    /// Per row: `lat band × BANDS + lon band`, or [`NO_CELL`].
    cell: Vec<u16>,
}

impl Grid {
    fn build(lat: &[f64], lon: &[f64]) -> Grid {
        let placed = |a: f64, b: f64| a.is_finite() && b.is_finite();
        let cuts = |values: &[f64], other: &[f64]| -> Vec<f64> {
            let mut v: Vec<f64> = values
                .iter()
                .zip(other)
                .filter(|(&a, &b)| placed(a, b))
                .map(|(&a, _)| a)
                .collect();
            v.sort_unstable_by(f64::total_cmp);
            let mut cuts: Vec<f64> = (0..BANDS)
                .filter_map(|i| v.get(i * v.len() / BANDS).copied())
                .chain(v.last().copied())
                .collect();
            cuts.dedup();
            if cuts.len() == 1 {
                cuts.push(cuts[0]);
            }
            cuts
        };
        let lat_cuts = cuts(lat, lon);
        let lon_cuts = cuts(lon, lat);
        let band = |cuts: &[f64], x: f64| -> usize {
            cuts.partition_point(|&c| c <= x)
                .saturating_sub(1)
                .min(cuts.len().saturating_sub(2))
        };
        let cell = lat
            .iter()
            .zip(lon)
            .map(|(&a, &b)| {
                if placed(a, b) {
                    (band(&lat_cuts, a) * BANDS + band(&lon_cuts, b)) as u16
                } else {
                    NO_CELL
                }
            })
            .collect();
        Grid {
            lat_cuts,
            lon_cuts,
            cell,
        }
    }

    /// How the query's boxes and radius take each cell.
    fn classes(&self, boxes: &[GeoBox], near: Option<Circle>) -> Vec<Class> {
        let mut classes = vec![Class::Edge; BANDS * BANDS + 1];
        // The corners' unit vectors, as `unit_vector` makes them.
        let trig = |cuts: &[f64]| -> Vec<(f64, f64)> {
            cuts.iter()
                .map(|c| (c.to_radians().cos(), c.to_radians().sin()))
                .collect()
        };
        let (lat_trig, lon_trig) = match near {
            Some(_) => (trig(&self.lat_cuts), trig(&self.lon_cuts)),
            None => (Vec::new(), Vec::new()),
        };
        let corner = |i: usize, j: usize| -> Option<[f64; 3]> {
            let (&(pc, ps), &(lc, ls)) = (lat_trig.get(i)?, lon_trig.get(j)?);
            Some([pc * lc, pc * ls, ps])
        };
        for (i, lat) in self.lat_cuts.windows(2).enumerate() {
            for (j, lon) in self.lon_cuts.windows(2).enumerate() {
                let ([la0, la1], [lo0, lo1]) = ([lat[0], lat[1]], [lon[0], lon[1]]);
                let mut class = Class::In;
                for b in boxes {
                    match b.takes(la0, la1, lo0, lo1) {
                        Class::Out => class = Class::Out,
                        Class::Edge if class == Class::In => class = Class::Edge,
                        _ => {}
                    }
                }
                if let (Some(circle), Class::In) = (near, class) {
                    let corners = [(i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)];
                    let inside = !circle.opposite_crosses(lo0, lo1)
                        && corners
                            .iter()
                            .all(|&(a, b)| corner(a, b).is_some_and(|v| circle.well_within(v)));
                    if !inside {
                        class = Class::Edge;
                    }
                }
                if let Some(slot) = classes.get_mut(i * BANDS + j) {
                    *slot = class;
                }
            }
        }
        classes
    }
}

/// How a query's place takes the rows of one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Every row is in every box and the radius.
    In,
    /// No row is in some box.
    Out,
    /// Each row is tested.
    Edge,
}

impl GeoBox {
    /// How this box takes the points of `[la0, la1] × [lo0, lo1]`, as
    /// [`GeoBox::contains`] would take each.
    fn takes(&self, la0: f64, la1: f64, lo0: f64, lo1: f64) -> Class {
        let lat_in = la0 >= self.minlat && la1 <= self.maxlat;
        let lat_out = la1 < self.minlat || la0 > self.maxlat;
        let (lon_in, lon_out) = if self.minlon <= self.maxlon {
            (
                lo0 >= self.minlon && lo1 <= self.maxlon,
                lo1 < self.minlon || lo0 > self.maxlon,
            )
        } else {
            (
                (lo0 >= self.minlon && lo1 <= 180.0) || (lo0 >= -180.0 && lo1 <= self.maxlon),
                (lo1 < self.minlon || lo0 > 180.0) && (lo1 < -180.0 || lo0 > self.maxlon),
            )
        };
        if lat_out || lon_out {
            Class::Out
        } else if lat_in && lon_in {
            Class::In
        } else {
            Class::Edge
        }
    }
}

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
    /// NaN when the event has no coordinates.
    lat: Vec<f64>,
    lon: Vec<f64>,
    grid: Grid,
    category: Option<Bits>,
    territory: Option<Bits>,
    /// The rows of the events lasting longer than
    /// [`SHORT_SPAN_SECS`] (`span:long`), in order.
    long: Vec<u32>,
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
        let long = (0..start.len())
            .filter(|&i| end_eff[i].saturating_sub(start[i]) > SHORT_SPAN_SECS)
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let lat: Vec<f64> = doc
            .iter()
            .map(|&d| lat_col.first(d).unwrap_or(f64::NAN))
            .collect();
        let lon: Vec<f64> = doc
            .iter()
            .map(|&d| lon_col.first(d).unwrap_or(f64::NAN))
            .collect();
        Ok(SegmentTable {
            grid: Grid::build(&lat, &lon),
            lat,
            lon,
            category: Bits::read(reader, "category", &doc)?,
            territory: Bits::read(reader, "territory", &doc)?,
            sort: rows.iter().map(|r| r.1).collect(),
            start,
            end_eff,
            doc,
            row_of,
            long,
        })
    }

    /// The matches of `filter` in this segment into `best`, among
    /// `matching` (the documents matching what the table has no column
    /// for, in order) when given; false when this table cannot answer.
    fn collect(
        &self,
        alive: Option<&AliveBitSet>,
        filter: &Filter<'_>,
        matching: Option<&[DocId]>,
        best: &mut Best,
    ) -> bool {
        let n = self.doc.len();
        let lengths = [
            self.end_eff.len(),
            self.sort.len(),
            self.lat.len(),
            self.lon.len(),
            self.grid.cell.len(),
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
        let classes = if placed {
            self.grid.classes(&filter.boxes, filter.near)
        } else {
            Vec::new()
        };
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
                let test = RowTest::new(self, filter, &classes, alive, categories, territories);
                for row in docs.iter().filter_map(|&d| row_of(d)) {
                    let long = end_eff[row].saturating_sub(start[row]) > SHORT_SPAN_SECS;
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
        let test = RowTest {
            only: matching.map(|_| only.as_slice()),
            ..RowTest::new(self, filter, &classes, alive, categories, territories)
        };
        for row in first..last {
            if test.passes(row) {
                best.offer(sort[row], doc[row]);
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
    lat: &'t [f64],
    lon: &'t [f64],
    doc: &'t [DocId],
    /// A bit per row: the rows matching words (venues, sources, a
    /// calendar), when the query has some.
    only: Option<&'t [u64]>,
    /// (bits per row, bits asked) of the fields the query names.
    categories: Option<(&'t [u64], u64)>,
    territories: Option<(&'t [u64], u64)>,
    from: i64,
    /// Per row its cell, and the class of each cell, when the query has a
    /// box or a radius.
    cells: Option<(&'t [u16], &'t [Class])>,
    boxes: &'t [GeoBox],
    near: Option<Circle>,
    alive: Option<&'t AliveBitSet>,
}

impl<'t> RowTest<'t> {
    fn new(
        table: &'t SegmentTable,
        filter: &'t Filter<'_>,
        classes: &'t [Class],
        alive: Option<&'t AliveBitSet>,
        categories: Option<(&'t [u64], u64)>,
        territories: Option<(&'t [u64], u64)>,
    ) -> RowTest<'t> {
        RowTest {
            end_eff: &table.end_eff,
            lat: &table.lat,
            lon: &table.lon,
            doc: &table.doc,
            only: None,
            categories,
            territories,
            from: filter.window.from,
            cells: (!classes.is_empty()).then_some((table.grid.cell.as_slice(), classes)),
            boxes: &filter.boxes,
            near: filter.near,
            alive,
        }
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
        if let Some((cell, classes)) = self.cells {
            match classes.get(cell[row] as usize) {
                Some(Class::In) => {}
                Some(Class::Out) => return false,
                _ => {
                    let (lat, lon) = (self.lat[row], self.lon[row]);
                    if !self.boxes.iter().all(|b| b.contains(lat, lon)) {
                        return false;
                    }
                    if let Some(circle) = self.near {
                        if !circle.holds(unit_vector(lat, lon)) {
                            return false;
                        }
                    }
                }
            }
        }
        self.alive.is_none_or(|a| a.is_alive(self.doc[row]))
    }
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
            if !table.collect(reader.alive_bitset(), filter, matching, &mut best) {
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

    /// Numbers in [0, 1) from a fixed seed.
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn a_cell_wholly_in_or_out_takes_each_of_its_points_as_the_exact_test() {
        // Points over a region (Laval and around), one in fifty a
        // continent away, one in ninety-seven without coordinates; radii
        // from half a kilometre to thirty, centred anywhere and on points
        // themselves (the cells' corners), with the box around the circle
        // or a box of their own.
        let mut next = uniform(0x6e0c);
        let (mut lat, mut lon) = (Vec::new(), Vec::new());
        for i in 0..4000 {
            let (a, b) = if i % 97 == 0 {
                (f64::NAN, f64::NAN)
            } else if i % 50 == 0 {
                (48.85 + next(), 2.35 + next())
            } else {
                (45.4 + 0.4 * next(), -73.9 + 0.5 * next())
            };
            lat.push(a);
            lon.push(b);
        }
        let grid = Grid::build(&lat, &lon);
        let mut seen = [0usize; 3];
        for round in 0..300 {
            let (clat, clon) = if round % 3 == 0 {
                let k = (next() * 3999.0) as usize;
                (lat[k], lon[k])
            } else {
                (45.4 + 0.4 * next(), -73.9 + 0.5 * next())
            };
            if !clat.is_finite() {
                continue;
            }
            let km = [0.5, 2.0, 5.0, 12.0, 30.0][round % 5];
            let (dlat, dlon) = (km / 111.0, km / (111.0 * clat.to_radians().cos()));
            let around = GeoBox {
                minlat: clat - dlat,
                maxlat: clat + dlat,
                minlon: clon - dlon,
                maxlon: clon + dlon,
            };
            let (boxes, near) = match round % 4 {
                0 => (vec![around], None),
                _ => (vec![around], Some(Circle::new(clat, clon, km))),
            };
            let classes = grid.classes(&boxes, near);
            for (row, (&a, &b)) in lat.iter().zip(&lon).enumerate() {
                let exact = boxes.iter().all(|bx| bx.contains(a, b))
                    && near.is_none_or(|c| c.holds(unit_vector(a, b)));
                match classes[grid.cell[row] as usize] {
                    Class::In => {
                        assert!(exact, "round {round}: row {row} ({a}, {b}) in an In cell");
                        seen[0] += 1;
                    }
                    Class::Out => {
                        assert!(!exact, "round {round}: row {row} ({a}, {b}) in an Out cell");
                        seen[1] += 1;
                    }
                    Class::Edge => seen[2] += 1,
                }
            }
        }
        // Most rows are settled by their cell.
        assert!(seen[0] > 50_000 && seen[1] > seen[2], "{seen:?}");
    }

    #[test]
    fn one_place_or_none_makes_a_grid_of_one_cell_or_none() {
        let grid = Grid::build(&[45.5, 45.5, f64::NAN], &[-73.7, -73.7, 1.0]);
        assert_eq!(grid.cell, vec![0, 0, NO_CELL]);
        let far = GeoBox {
            minlat: 10.0,
            maxlat: 11.0,
            minlon: 0.0,
            maxlon: 1.0,
        };
        assert_eq!(grid.classes(&[far], None)[0], Class::Out);
        assert_eq!(grid.classes(&[far], None)[NO_CELL as usize], Class::Edge);
        let none = Grid::build(&[f64::NAN], &[f64::NAN]);
        assert_eq!(none.cell, vec![NO_CELL]);
        assert!(none.classes(&[far], None).iter().all(|&c| c == Class::Edge));
    }
}
