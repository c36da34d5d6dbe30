//! The tantivy search index, derived from the store.
//!
//! One document per public event:
//!
//! | field | type | what |
//! |---|---|---|
//! | `id` | STRING, STORED | the event id (documents are replaced by deleting this term) |
//! | `title_fr`, `title_en` | text, tokenizer `fr` / `en` | the title and every translated title |
//! | `desc_fr`, `desc_en` | text, tokenizer `fr` / `en` | the description, every translated description, the venue's name |
//! | `start` | i64 secs, INDEXED, FAST | start instant |
//! | `end_eff` | i64 secs, INDEXED, FAST | [`Event::effective_end_utc`] |
//! | `span` | STRING | `long` when the event lasts more than [`SHORT_SPAN_SECS`] |
//! | `sort` | u64 FAST | `start` (clamped to u32) << 32 \| 32 bits of a hash of the id |
//! | `category`, `venue`, `source`, `city`, `territory` | STRING, FAST, multi-valued | filters |
//! | `lat`, `lon` | f64 FAST | absent when unknown |
//! | `json` | STORED | the Event JSON, so that answering needs no SQLite |
//!
//! Every text goes into both the French and the English fields, so that a
//! query in either language finds an event written in the other's words
//! too. The analyzers: [`SimpleTokenizer`], [`RemoveLongFilter`],
//! [`LowerCaser`], the French and the English stop words (both, since the
//! text of every language goes into every field), [`AsciiFoldingFilter`]
//! (`é` → `e`, `œ` → `oe`), then the language's [`Stemmer`]. Stop words are
//! removed before folding because the lists are written with accents.
//!
//! A query ([`Search::query`]) is two disjoint [`BooleanQuery`]s (the
//! overlap in two parts, [`Search::overlap`]) of the text clause, the
//! any-of term sets and the bounding boxes, searched one after the other;
//! the [`PageCollector`] then applies the exact radius, counts every match
//! and keeps the smallest sort keys after the cursor. Every query is
//! answered instead from the segments' tables ([`crate::table`]) where
//! they can (its words, venues, sources and calendar asked of the
//! postings alone), to the same page; [`Search::query_by_clauses`] keeps
//! the first path for the tests that compare both.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;

use model::Event;
use sha2::{Digest, Sha256};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{
    BooleanQuery, EnableScoring, Occur, Query as TantivyQuery, QueryParser, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{
    DocAddress, DocId, Index as TantivyIndex, IndexReader, IndexWriter, ReloadPolicy, Score,
    SegmentOrdinal, SegmentReader, TantivyDocument, Term,
};

use crate::query::{Cursor, Page, Query, Scope};
use crate::table::{Best, Filter, GeoBox, PageFruit, Tables, Window};

/// Heap of the one IndexWriter (the whole budget goes to one thread, so a
/// commit makes one segment).
const WRITER_HEAP: usize = 50_000_000;
/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Km per degree of latitude.
const KM_PER_DEGREE: f64 = 111.32;

/// An event lasting longer than this (two days) is `span:long` in the
/// index: the overlap query finds it through that term when it started
/// before the range (see [`Search::overlap`]).
pub(crate) const SHORT_SPAN_SECS: i64 = 2 * 86_400;

/// Whether an event of this start and effective end lasts longer than
/// [`SHORT_SPAN_SECS`]: indexed as `span:long`, and a row of the search
/// tables' long ones.
#[inline]
pub(crate) fn lasts_long(start: i64, end_eff: i64) -> bool {
    end_eff.saturating_sub(start) > SHORT_SPAN_SECS
}
/// The `span` term of a long event.
const LONG_SPAN: &str = "long";

/// The fields of the schema.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    id: Field,
    title_fr: Field,
    title_en: Field,
    desc_fr: Field,
    desc_en: Field,
    start: Field,
    end_eff: Field,
    span: Field,
    sort: Field,
    category: Field,
    venue: Field,
    source: Field,
    city: Field,
    territory: Field,
    lat: Field,
    lon: Field,
    json: Field,
}

fn text_options(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// The schema and its fields.
pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title_fr: b.add_text_field("title_fr", text_options("fr")),
        title_en: b.add_text_field("title_en", text_options("en")),
        desc_fr: b.add_text_field("desc_fr", text_options("fr")),
        desc_en: b.add_text_field("desc_en", text_options("en")),
        start: b.add_i64_field("start", INDEXED | FAST),
        end_eff: b.add_i64_field("end_eff", INDEXED | FAST),
        span: b.add_text_field("span", STRING),
        sort: b.add_u64_field("sort", FAST),
        category: b.add_text_field("category", STRING | FAST),
        venue: b.add_text_field("venue", STRING | FAST),
        source: b.add_text_field("source", STRING | FAST),
        city: b.add_text_field("city", STRING | FAST),
        territory: b.add_text_field("territory", STRING | FAST),
        lat: b.add_f64_field("lat", FAST),
        lon: b.add_f64_field("lon", FAST),
        json: b.add_text_field("json", STORED),
    };
    (b.build(), fields)
}

fn analyzer(language: Language) -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    for stop in [Language::French, Language::English] {
        if let Some(filter) = StopWordFilter::new(stop) {
            builder = builder.filter_dynamic(filter);
        }
    }
    builder
        .filter_dynamic(AsciiFoldingFilter)
        .filter_dynamic(Stemmer::new(language))
        .build()
}

/// Register the `fr` and `en` analyzers (tokenizers are not persisted).
pub(crate) fn register_tokenizers(index: &TantivyIndex) {
    index
        .tokenizers()
        .register("fr", analyzer(Language::French));
    index
        .tokenizers()
        .register("en", analyzer(Language::English));
}

/// The sort key of an event: start seconds (clamped to u32) in the high
/// half, 32 bits of a hash of the id in the low half, so that keys are
/// unique in practice and stable across restarts (cursors stay valid).
pub(crate) fn sort_key(event: &Event) -> u64 {
    let start = event.start.timestamp().clamp(0, i64::from(u32::MAX));
    let start = u64::try_from(start).unwrap_or(0);
    let digest = Sha256::digest(event.id.as_bytes());
    let mut low = [0u8; 4];
    for (dst, src) in low.iter_mut().zip(digest.iter()) {
        *dst = *src;
    }
    (start << 32) | u64::from(u32::from_be_bytes(low))
}

/// Longest text query kept, in characters.
const MAX_QUERY_CHARS: usize = 256;
/// Deepest parenthesis nesting kept; the query grammar's parser recurses.
const MAX_QUERY_DEPTH: usize = 8;

/// Bound a user's text query before the (recursive) query parser sees it:
/// trimmed, at most [`MAX_QUERY_CHARS`] characters, and with its
/// parentheses turned into spaces when they nest deeper than
/// [`MAX_QUERY_DEPTH`].
pub(crate) fn tame(q: &str) -> String {
    let short: String = q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in short.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_QUERY_DEPTH {
        short
            .chars()
            .map(|c| if c == '(' || c == ')' { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string()
    } else {
        short
    }
}

/// A point as a vector of the unit sphere (NaN when a coordinate is).
pub(crate) fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// The points within `km` of a centre along the Earth's surface (mean
/// radius), tested without trigonometry per point: the haversine of the
/// central angle θ is a quarter of the squared chord between the points'
/// unit vectors, and the great-circle distance `2R·asin(√hav θ)` is at
/// most `km` exactly when `hav θ ≤ sin²(km / 2R)`. Both search paths test
/// points with this one function, so they agree to the last bit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Circle {
    centre: [f64; 3],
    /// The largest haversine within the radius (negative: none).
    max_hav: f64,
}

impl Circle {
    pub(crate) fn new(lat: f64, lon: f64, km: f64) -> Circle {
        let half = km / (2.0 * EARTH_RADIUS_KM);
        let max_hav = if half >= std::f64::consts::FRAC_PI_2 {
            1.0
        } else if half >= 0.0 {
            half.sin().powi(2)
        } else {
            -1.0
        };
        Circle {
            centre: unit_vector(lat, lon),
            max_hav,
        }
    }

    /// Whether the point of unit vector `v` is within the radius.
    #[inline(always)]
    pub(crate) fn holds(&self, v: [f64; 3]) -> bool {
        let [a, b, c] = self.centre;
        let chord2 = (v[0] - a).powi(2) + (v[1] - b).powi(2) + (v[2] - c).powi(2);
        chord2 / 4.0 <= self.max_hav
    }
}

/// The search index: its tantivy index, reader, fields and query parser.
pub(crate) struct Search {
    index: TantivyIndex,
    reader: IndexReader,
    fields: Fields,
    parser: QueryParser,
    /// Per segment, answering the queries (see [`crate::table`]).
    tables: Tables,
}

impl Search {
    /// Wrap an opened or created tantivy index (its schema checked by the
    /// caller), registering the analyzers.
    pub(crate) fn new(index: TantivyIndex) -> tantivy::Result<Search> {
        let (_, fields) = schema();
        register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut parser = QueryParser::for_index(
            &index,
            vec![
                fields.title_fr,
                fields.title_en,
                fields.desc_fr,
                fields.desc_en,
            ],
        );
        parser.set_conjunction_by_default();
        parser.set_field_boost(fields.title_fr, 3.0);
        parser.set_field_boost(fields.title_en, 3.0);
        Ok(Search {
            index,
            reader,
            fields,
            parser,
            tables: Tables::default(),
        })
    }

    /// Open the index in `dir`; an error when it is missing, unreadable or
    /// of another schema.
    pub(crate) fn open_dir(dir: &Path) -> tantivy::Result<Search> {
        let index = TantivyIndex::open_in_dir(dir)?;
        let (expected, _) = schema();
        if index.schema() != expected {
            return Err(tantivy::TantivyError::SchemaError(
                "the search index was built with another schema".to_string(),
            ));
        }
        Search::new(index)
    }

    /// Create an empty index in `dir`, which must exist and be empty.
    pub(crate) fn create_dir(dir: &Path) -> tantivy::Result<Search> {
        let (schema, _) = schema();
        Search::new(TantivyIndex::create_in_dir(dir, schema)?)
    }

    /// Create an empty index in memory.
    pub(crate) fn create_in_ram() -> tantivy::Result<Search> {
        let (schema, _) = schema();
        Search::new(TantivyIndex::create_in_ram(schema))
    }

    /// The write side. The tantivy `IndexWriter` (and its lock on the
    /// directory) is only taken at the first write, so that a process that
    /// only reads (`babillard search`, `sources`, `export`) can open the
    /// index while `babillard run` writes to it.
    pub(crate) fn writer(&self) -> tantivy::Result<SearchWriter> {
        Ok(SearchWriter {
            index: self.index.clone(),
            writer: None,
            fields: self.fields,
        })
    }

    /// Make the last commit visible to queries.
    pub(crate) fn reload(&self) -> tantivy::Result<()> {
        self.reader.reload()
    }

    pub(crate) fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A cheap query, for health checks.
    pub(crate) fn ping(&self) -> tantivy::Result<()> {
        let searcher = self.reader.searcher();
        let probe = TermQuery::new(
            Term::from_field_text(self.fields.id, ""),
            IndexRecordOption::Basic,
        );
        searcher.search(&probe, &tantivy::collector::Count)?;
        Ok(())
    }

    /// The query for `q`, as disjoint parts (see [`Search::overlap`]) whose
    /// matches together are its matches: each part is searched and the
    /// collectors' fruits merged. The part of the long events is left out
    /// when `searcher`'s index holds none (it would find nothing).
    fn build_queries(
        &self,
        q: &Query,
        searcher: &tantivy::Searcher,
    ) -> Result<Vec<Box<dyn TantivyQuery>>, SearchFail> {
        let long_events = searcher.doc_freq(&Term::from_field_text(self.fields.span, LONG_SPAN))?;
        let f = &self.fields;
        let mut clauses = self.word_clauses(q);
        for (field, values) in [(f.category, &q.categories), (f.territory, &q.territories)] {
            if !values.is_empty() {
                clauses.push((Occur::Must, self.any_of(field, values)));
            }
        }
        for geo_box in geo_boxes(q) {
            clauses.extend(self.box_clauses(geo_box));
        }
        let [recent, long] = self.overlap(q);
        let parts = if long_events > 0 {
            vec![recent, long]
        } else {
            vec![recent]
        };
        Ok(parts
            .into_iter()
            .map(|mut part| {
                part.extend(clauses.iter().map(|(o, c)| (*o, c.box_clone())));
                Box::new(BooleanQuery::new(part)) as Box<dyn TantivyQuery>
            })
            .collect())
    }

    /// The clauses of `q` that the search tables have no column for: its
    /// words, venues, sources and calendar.
    fn word_clauses(&self, q: &Query) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        if let Some(text) = q.q.as_deref().map(tame).filter(|t| !t.is_empty()) {
            let (parsed, _errors) = self.parser.parse_query_lenient(&text);
            clauses.push((Occur::Must, parsed));
        }
        for (field, values) in [(f.venue, &q.venues), (f.source, &q.sources)] {
            if !values.is_empty() {
                clauses.push((Occur::Must, self.any_of(field, values)));
            }
        }
        if let Some(scope) = &q.scope {
            clauses.push((Occur::Must, self.scope_clause(scope)));
        }
        clauses
    }

    /// The events that overlap `[from, to)` (`end_eff > from` and
    /// `start < to`), as the clauses of two disjoint parts. Two open ranges
    /// each match about half of a season, and intersecting them reads a
    /// value per document of one; so each part leads with a narrow clause
    /// (`effective_end > start` always):
    /// - starting from [`SHORT_SPAN_SECS`] before `from` (and before `to`),
    ///   ending after `from`: every event of two days or less that
    ///   overlaps, and the longer ones that started then;
    /// - lasting longer (`span:long`: few, found through their term),
    ///   started before that and ending after `from` (an exhibition).
    ///
    /// Fast-field ranges all claim the same cost, so the first clause
    /// leads an intersection unless a term (a word, a category) is
    /// rarer. `to` is rounded up to the second, `from` down.
    fn overlap(&self, q: &Query) -> [Vec<(Occur, Box<dyn TantivyQuery>)>; 2] {
        let f = &self.fields;
        let w = window(q);
        let start = |lo: Bound<i64>, hi: Option<i64>| -> Box<dyn TantivyQuery> {
            let term = |t| Term::from_field_i64(f.start, t);
            Box::new(RangeQuery::new(
                lo.map(term),
                hi.map_or(Bound::Unbounded, |hi| Bound::Excluded(term(hi))),
            ))
        };
        let ends_after_from = || -> Box<dyn TantivyQuery> {
            Box::new(RangeQuery::new(
                Bound::Excluded(Term::from_field_i64(f.end_eff, w.from)),
                Bound::Unbounded,
            ))
        };
        let recent = vec![
            (Occur::Must, start(Bound::Included(w.recent_from), w.to)),
            (Occur::Must, ends_after_from()),
        ];
        let long = vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.span, LONG_SPAN),
                    IndexRecordOption::Basic,
                )) as Box<dyn TantivyQuery>,
            ),
            (Occur::Must, start(Bound::Unbounded, Some(w.long_before))),
            (Occur::Must, ends_after_from()),
        ];
        [recent, long]
    }

    /// Documents with any of `values` in `field`.
    fn any_of(&self, field: Field, values: &[String]) -> Box<dyn TantivyQuery> {
        let terms = values.iter().map(|v| Term::from_field_text(field, v));
        Box::new(TermSetQuery::new(terms))
    }

    /// The events of a calendar ([`Scope`]): any of its parts, each part
    /// "listed by one of its sources or placed in one of its territories,
    /// and in one of its categories when it names some". No part: nothing.
    fn scope_clause(&self, scope: &Scope) -> Box<dyn TantivyQuery> {
        let f = &self.fields;
        let parts = scope
            .parts
            .iter()
            .map(|part| {
                let mut either: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
                if !part.sources.is_empty() {
                    either.push((Occur::Should, self.any_of(f.source, &part.sources)));
                }
                if !part.territories.is_empty() {
                    either.push((Occur::Should, self.any_of(f.territory, &part.territories)));
                }
                let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> =
                    vec![(Occur::Must, Box::new(BooleanQuery::new(either)))];
                if let Some(categories) = &part.categories {
                    clauses.push((Occur::Must, self.any_of(f.category, categories)));
                }
                let part: Box<dyn TantivyQuery> = Box::new(BooleanQuery::new(clauses));
                (Occur::Should, part)
            })
            .collect::<Vec<_>>();
        if parts.is_empty() {
            // Matches nothing: a calendar that lists nothing shows nothing.
            return self.any_of(f.id, &[]);
        }
        Box::new(BooleanQuery::new(parts))
    }

    /// Range clauses for a box.
    fn box_clauses(&self, geo_box: GeoBox) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
        let GeoBox {
            minlat,
            maxlat,
            minlon,
            maxlon,
        } = geo_box;
        let f = &self.fields;
        let range = |field: Field, lo: f64, hi: f64| -> Box<dyn TantivyQuery> {
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_f64(field, lo)),
                Bound::Included(Term::from_field_f64(field, hi)),
            ))
        };
        let lon: Box<dyn TantivyQuery> = if minlon <= maxlon {
            range(f.lon, minlon, maxlon)
        } else {
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, range(f.lon, minlon, 180.0)),
                (Occur::Should, range(f.lon, -180.0, maxlon)),
            ]))
        };
        vec![
            (Occur::Must, range(f.lat, minlat, maxlat)),
            (Occur::Must, lon),
        ]
    }

    /// The page of a query from the segments' tables ([`crate::table`]),
    /// its words, venues, sources and calendar asked of the postings
    /// alone; None when a table cannot answer it.
    fn page_from_tables(
        &self,
        q: &Query,
        searcher: &tantivy::Searcher,
        collector: &PageCollector,
    ) -> Result<Option<Vec<PageFruit>>, SearchFail> {
        let clauses = self.word_clauses(q);
        let words = if clauses.is_empty() {
            None
        } else {
            Some(
                BooleanQuery::new(clauses)
                    .weight(EnableScoring::disabled_from_searcher(searcher))?,
            )
        };
        let filter = Filter {
            window: window(q),
            categories: &q.categories,
            territories: &q.territories,
            boxes: geo_boxes(q),
            near: q.near.map(|(lat, lon, km)| Circle::new(lat, lon, km)),
        };
        Ok(self.tables.page(
            searcher,
            &filter,
            words.as_deref(),
            collector.after,
            collector.keep,
        )?)
    }

    /// Answer a query from the index alone.
    pub(crate) fn query(&self, q: &Query) -> Result<Page, SearchFail> {
        self.query_by(q, true)
    }

    /// The same answer through tantivy's clauses alone, as a segment
    /// that a table cannot answer gets it.
    pub(crate) fn query_by_clauses(&self, q: &Query) -> Result<Page, SearchFail> {
        self.query_by(q, false)
    }

    fn query_by(&self, q: &Query, tables: bool) -> Result<Page, SearchFail> {
        let limit = q.limit.clamp(1, 1000);
        let searcher = self.reader.searcher();
        let collector = PageCollector {
            near: q.near,
            after: q.cursor.map(|c| c.0),
            keep: limit + 1,
        };
        let from_tables = if tables {
            self.page_from_tables(q, &searcher, &collector)?
        } else {
            None
        };
        let fruits = match from_tables {
            Some(fruits) => fruits,
            None => {
                let mut fruits = Vec::new();
                for part in self.build_queries(q, &searcher)? {
                    fruits.push(searcher.search(part.as_ref(), &collector)?);
                }
                fruits
            }
        };
        let (total, mut hits) = collector.merge_fruits(fruits)?;
        let more = hits.len() > limit;
        hits.truncate(limit);
        let next_cursor = if more {
            hits.last().map(|(key, _)| Cursor(*key))
        } else {
            None
        };
        let mut events = Vec::with_capacity(hits.len());
        for (_, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let json = doc
                .get_first(self.fields.json)
                .and_then(|v| v.as_str())
                .ok_or_else(|| SearchFail::Corrupt("a document has no json".to_string()))?;
            let event: Event = serde_json::from_str(json)
                .map_err(|e| SearchFail::Corrupt(format!("a document's json: {e}")))?;
            events.push(event);
        }
        Ok(Page {
            events,
            next_cursor,
            total,
        })
    }
}

impl Search {
    /// Count the events matching `q` (its limit and cursor ignored) per
    /// category and per venue.
    pub(crate) fn facets(&self, q: &Query) -> Result<crate::Facets, SearchFail> {
        let searcher = self.reader.searcher();
        let collector = FacetCollector { near: q.near };
        let mut fruits = Vec::new();
        for part in self.build_queries(q, &searcher)? {
            fruits.push(searcher.search(part.as_ref(), &collector)?);
        }
        let fruit = collector.merge_fruits(fruits)?;
        let mut venues = Vec::with_capacity(fruit.venues.len());
        for (id, (count, address)) in fruit.venues {
            let doc: TantivyDocument = searcher.doc(address)?;
            let json = doc
                .get_first(self.fields.json)
                .and_then(|v| v.as_str())
                .ok_or_else(|| SearchFail::Corrupt("a document has no json".to_string()))?;
            let event: Event = serde_json::from_str(json)
                .map_err(|e| SearchFail::Corrupt(format!("a document's json: {e}")))?;
            match event.venue {
                Some(venue) if venue.id == id => venues.push((venue, count)),
                _ => {
                    return Err(SearchFail::Corrupt(format!(
                        "venue {id} is not the venue of its document"
                    )))
                }
            }
        }
        venues.sort_by(|a, b| a.0.name.cmp(&b.0.name).then_with(|| a.0.id.cmp(&b.0.id)));
        Ok(crate::Facets {
            total: fruit.total,
            categories: fruit.categories.into_iter().collect(),
            venues,
        })
    }
}

/// Counts per category and per venue (with one document naming each venue).
struct FacetCollector {
    near: Option<(f64, f64, f64)>,
}

#[derive(Default)]
struct FacetFruit {
    total: usize,
    categories: HashMap<String, usize>,
    venues: HashMap<String, (usize, DocAddress)>,
}

struct FacetSegmentCollector {
    segment: SegmentOrdinal,
    geo: Option<GeoFilter>,
    category: Option<StrColumn>,
    venue: Option<StrColumn>,
    total: usize,
    category_counts: Vec<usize>,
    venue_counts: Vec<(usize, DocId)>,
}

impl Collector for FacetCollector {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let fast = reader.fast_fields();
        let category = fast.str("category")?;
        let venue = fast.str("venue")?;
        let categories = category.as_ref().map_or(0, |c| c.num_terms());
        let venues = venue.as_ref().map_or(0, |c| c.num_terms());
        Ok(FacetSegmentCollector {
            segment,
            geo: geo_filter(reader, self.near)?,
            category,
            venue,
            total: 0,
            category_counts: vec![0; categories],
            venue_counts: vec![(0, 0); venues],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut merged = FacetFruit::default();
        for fruit in fruits {
            merged.total += fruit.total;
            for (slug, n) in fruit.categories {
                *merged.categories.entry(slug).or_insert(0) += n;
            }
            for (id, (n, address)) in fruit.venues {
                merged
                    .venues
                    .entry(id)
                    .and_modify(|(m, _)| *m += n)
                    .or_insert((n, address));
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if !within(&self.geo, doc) {
            return;
        }
        self.total += 1;
        if let Some(column) = &self.category {
            for ord in column.term_ords(doc) {
                let slot = usize::try_from(ord)
                    .ok()
                    .and_then(|i| self.category_counts.get_mut(i));
                if let Some(n) = slot {
                    *n += 1;
                }
            }
        }
        if let Some(column) = &self.venue {
            for ord in column.term_ords(doc) {
                let slot = usize::try_from(ord)
                    .ok()
                    .and_then(|i| self.venue_counts.get_mut(i));
                if let Some((n, first)) = slot {
                    if *n == 0 {
                        *first = doc;
                    }
                    *n += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        let mut fruit = FacetFruit {
            total: self.total,
            ..FacetFruit::default()
        };
        let mut name = String::new();
        if let Some(column) = &self.category {
            for (ord, n) in self.category_counts.iter().enumerate() {
                if *n > 0 && matches!(column.ord_to_str(ord as u64, &mut name), Ok(true)) {
                    fruit.categories.insert(name.clone(), *n);
                }
            }
        }
        if let Some(column) = &self.venue {
            for (ord, (n, doc)) in self.venue_counts.iter().enumerate() {
                if *n > 0 && matches!(column.ord_to_str(ord as u64, &mut name), Ok(true)) {
                    fruit
                        .venues
                        .insert(name.clone(), (*n, DocAddress::new(self.segment, *doc)));
                }
            }
        }
        fruit
    }
}

/// A failure while answering a query.
#[derive(Debug)]
pub(crate) enum SearchFail {
    Tantivy(tantivy::TantivyError),
    Corrupt(String),
}

impl From<tantivy::TantivyError> for SearchFail {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchFail::Tantivy(e)
    }
}

/// The one IndexWriter, kept behind the index's write lock and taken at
/// the first write.
pub(crate) struct SearchWriter {
    index: TantivyIndex,
    writer: Option<IndexWriter<TantivyDocument>>,
    fields: Fields,
}

impl SearchWriter {
    fn writer(&mut self) -> tantivy::Result<&mut IndexWriter<TantivyDocument>> {
        match &mut self.writer {
            Some(w) => Ok(w),
            slot => {
                let threads = std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
                    .clamp(1, 4);
                Ok(slot.insert(
                    self.index
                        .writer_with_num_threads(threads, WRITER_HEAP * threads)?,
                ))
            }
        }
    }

    /// The search document of `event`, whose JSON is `json` (the text its
    /// row in the store holds, given back by a search).
    fn document(&self, event: &Event, json: &str) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &event.id);
        let titles = std::iter::once(event.title.as_str())
            .chain(event.translations.values().map(|t| t.title.as_str()));
        for title in titles {
            doc.add_text(f.title_fr, title);
            doc.add_text(f.title_en, title);
        }
        let descriptions = event
            .description
            .iter()
            .map(String::as_str)
            .chain(
                event
                    .translations
                    .values()
                    .filter_map(|t| t.description.as_deref()),
            )
            .chain(event.venue.iter().map(|v| v.name.as_str()));
        for description in descriptions {
            doc.add_text(f.desc_fr, description);
            doc.add_text(f.desc_en, description);
        }
        let (start, end_eff) = (
            event.start.timestamp(),
            event.effective_end_utc().timestamp(),
        );
        doc.add_i64(f.start, start);
        doc.add_i64(f.end_eff, end_eff);
        if lasts_long(start, end_eff) {
            doc.add_text(f.span, LONG_SPAN);
        }
        doc.add_u64(f.sort, sort_key(event));
        for category in &event.categories {
            doc.add_text(f.category, category);
        }
        for source in &event.sources {
            doc.add_text(f.source, &source.source);
        }
        for territory in &event.territories {
            doc.add_text(f.territory, territory);
        }
        if let Some(venue) = &event.venue {
            doc.add_text(f.venue, &venue.id);
            if let Some(city) = &venue.city {
                doc.add_text(f.city, city);
            }
            if let (Some(lat), Some(lon)) = (venue.lat, venue.lon) {
                if lat.is_finite() && lon.is_finite() {
                    doc.add_f64(f.lat, lat);
                    doc.add_f64(f.lon, lon);
                }
            }
        }
        doc.add_text(f.json, json);
        doc
    }

    /// Replace (or add) the document of an event.
    pub(crate) fn upsert(&mut self, event: &Event, json: &str) -> Result<(), SearchFail> {
        self.remove(&event.id)?;
        self.add(event, json)
    }

    /// Add the document of an event the index does not hold: no deletion
    /// of its id first (at a first pass, a quarter of the time spent on
    /// each document by the writer, and a lookup of the id in every
    /// segment at the commit).
    pub(crate) fn add(&mut self, event: &Event, json: &str) -> Result<(), SearchFail> {
        let doc = self.document(event, json);
        self.writer()?.add_document(doc)?;
        Ok(())
    }

    pub(crate) fn remove(&mut self, id: &str) -> tantivy::Result<()> {
        let id = Term::from_field_text(self.fields.id, id);
        self.writer()?.delete_term(id);
        Ok(())
    }

    /// Delete every document added before this call (at the next commit).
    /// A query deletion, ordered like every other operation: tantivy's
    /// `delete_all_documents` drops the segments at once and winds the
    /// operation stamps back, and documents added after it went missing
    /// now and then (`reindex_and_reopen_give_identical_results` failed 4
    /// times in 30 runs with it).
    pub(crate) fn delete_all(&mut self) -> tantivy::Result<()> {
        self.writer()?
            .delete_query(Box::new(tantivy::query::AllQuery))?;
        Ok(())
    }

    pub(crate) fn commit(&mut self) -> tantivy::Result<()> {
        self.writer()?.commit()?;
        Ok(())
    }

    /// Drop the uncommitted operations after a failure.
    pub(crate) fn rollback(&mut self) -> tantivy::Result<()> {
        if let Some(w) = &mut self.writer {
            w.rollback()?;
        }
        Ok(())
    }
}

/// The overlap of `q`'s `[from, to)` as two disjoint parts (see
/// [`Search::overlap`]): `to` rounded up to the second, `from` down.
fn window(q: &Query) -> Window {
    let from = q.from.timestamp();
    let to = q.to.map(|to| {
        let secs = to.timestamp();
        if to.timestamp_subsec_nanos() > 0 {
            secs.saturating_add(1)
        } else {
            secs
        }
    });
    let recent_from = from.saturating_sub(SHORT_SPAN_SECS);
    Window {
        from,
        to,
        recent_from,
        long_before: to.map_or(recent_from, |to| to.min(recent_from)),
    }
}

/// The boxes `q` asks events to lie in: its `bbox`, and the box around
/// its `near` circle (wrapped across the antimeridian; the whole width of
/// the Earth near a pole), whose exact radius the collector applies after.
fn geo_boxes(q: &Query) -> Vec<GeoBox> {
    let mut boxes = Vec::new();
    if let Some((minlon, minlat, maxlon, maxlat)) = q.bbox {
        boxes.push(GeoBox {
            minlat,
            maxlat,
            minlon,
            maxlon,
        });
    }
    if let Some((lat, lon, km)) = q.near {
        let km = km.max(0.0);
        let dlat = km / KM_PER_DEGREE;
        let cos = lat.to_radians().cos();
        let (minlat, maxlat) = (lat - dlat, lat + dlat);
        if cos > 1e-6 && km / (KM_PER_DEGREE * cos) < 180.0 {
            let dlon = km / (KM_PER_DEGREE * cos);
            let (minlon, maxlon) = (lon - dlon, lon + dlon);
            // Across the antimeridian: wrap the box.
            let minlon = if minlon < -180.0 {
                minlon + 360.0
            } else {
                minlon
            };
            let maxlon = if maxlon > 180.0 {
                maxlon - 360.0
            } else {
                maxlon
            };
            boxes.push(GeoBox {
                minlat,
                maxlat,
                minlon,
                maxlon,
            });
        } else {
            boxes.push(GeoBox {
                minlat,
                maxlat,
                minlon: -180.0,
                maxlon: 180.0,
            });
        }
    }
    boxes
}

/// Counts every match (after the exact radius filter, before the cursor)
/// and keeps the `keep` smallest sort keys greater than `after`.
pub(crate) struct PageCollector {
    pub near: Option<(f64, f64, f64)>,
    pub after: Option<u64>,
    pub keep: usize,
}

/// The exact radius filter of one segment: its `lat` and `lon` columns and
/// the circle.
type GeoFilter = (Column<f64>, Column<f64>, Circle);

/// Whether a document passes the exact radius filter (always, when none).
fn within(geo: &Option<GeoFilter>, doc: DocId) -> bool {
    match geo {
        None => true,
        Some((lat_col, lon_col, circle)) => match (lat_col.first(doc), lon_col.first(doc)) {
            (Some(lat), Some(lon)) => circle.holds(unit_vector(lat, lon)),
            _ => false,
        },
    }
}

fn geo_filter(
    reader: &SegmentReader,
    near: Option<(f64, f64, f64)>,
) -> tantivy::Result<Option<GeoFilter>> {
    let fast = reader.fast_fields();
    Ok(match near {
        Some((lat, lon, km)) => Some((
            fast.f64("lat")?,
            fast.f64("lon")?,
            Circle::new(lat, lon, km),
        )),
        None => None,
    })
}

pub(crate) struct PageSegmentCollector {
    segment: SegmentOrdinal,
    sort: Column<u64>,
    geo: Option<GeoFilter>,
    best: Best,
}

impl Collector for PageCollector {
    type Fruit = PageFruit;
    type Child = PageSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<PageSegmentCollector> {
        Ok(PageSegmentCollector {
            segment,
            sort: reader.fast_fields().u64("sort")?,
            geo: geo_filter(reader, self.near)?,
            best: Best::new(self.after, self.keep),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<PageFruit>) -> tantivy::Result<PageFruit> {
        let mut total = 0;
        let mut all = Vec::new();
        for (count, hits) in fruits {
            total += count;
            all.extend(hits);
        }
        all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.keep);
        Ok((total, all))
    }
}

impl SegmentCollector for PageSegmentCollector {
    type Fruit = PageFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if within(&self.geo, doc) {
            self.best.offer(self.sort.first(doc).unwrap_or(0), doc);
        }
    }

    fn harvest(self) -> PageFruit {
        self.best.harvest(self.segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    impl SearchWriter {
        /// Upsert `event` with the JSON the store would hold.
        fn upsert_event(&mut self, event: &Event) -> Result<(), SearchFail> {
            let json = serde_json::to_string(event).expect("an event serializes");
            self.upsert(event, &json)
        }
    }

    fn event(id: &str, start: &str) -> Event {
        let start = DateTime::parse_from_rfc3339(start).expect("test time");
        let mut event = Event::new(id, id, start, "America/Toronto", start.to_utc());
        event.categories = vec!["musique".to_string()];
        event
    }

    fn searched(search: &Search) -> Vec<tantivy::index::SegmentId> {
        let mut ids: Vec<_> = search
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn the_tables_are_those_of_the_segments_searched() {
        let search = Search::create_in_ram().expect("index");
        let mut writer = search.writer().expect("writer");
        let mut q = Query::from(DateTime::UNIX_EPOCH);
        q.categories = vec!["musique".to_string()];
        for (i, start) in ["2027-01-08T20:00:00-05:00", "2027-01-09T20:00:00-05:00"]
            .iter()
            .enumerate()
        {
            writer
                .upsert_event(&event(&format!("e{i}"), start))
                .expect("upsert");
            writer.commit().expect("commit");
        }
        search.reload().expect("reload");
        assert_eq!(search.query(&q).expect("query").total, 2);
        let mut tables = search.tables.segments();
        tables.sort();
        assert_eq!(tables, searched(&search));
        assert!(!tables.is_empty());
        // Every segment replaced: their tables go when the next one is built.
        writer.delete_all().expect("delete");
        writer
            .upsert_event(&event("e9", "2027-02-01T20:00:00-05:00"))
            .expect("upsert");
        writer.commit().expect("commit");
        search.reload().expect("reload");
        assert_eq!(search.query(&q).expect("query").total, 1);
        let mut now = search.tables.segments();
        now.sort();
        assert_eq!(now, searched(&search));
        assert!(now.iter().all(|id| !tables.contains(id)));
    }
}
