//! The store and the search index at 100,000 events: writing runs of
//! 10,000 new events, a text + 30-day query (top 20), a date range alone,
//! and a full rebuild from the store.
//!
//! `cargo bench --bench search`; results in BENCHMARKS.md.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use divan::Bencher;
use index::{FetchState, Index, Query, SourceInfo, SourceRun};
use model::{Event, Occurrence, RawEvent, SourceId, TimeValue};

fn main() {
    divan::main();
}

const WORDS: [&str; 7] = [
    "Concert",
    "Théâtre",
    "Exposition",
    "Conférence",
    "Atelier",
    "Danse",
    "Cinéma",
];

fn base() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn occurrence(i: i64) -> Occurrence {
    let word = WORDS[(i as usize) % WORDS.len()];
    let start = (base() + Duration::minutes(i * 5)).fixed_offset();
    let mut event = Event::new("", format!("{word} {i}"), start, "America/Toronto", base());
    event.description = Some(format!(
        "Une soirée de {word} à la Maison des arts, avec des artistes d'ici. Billets en vente."
    ));
    event.end = Some(start + Duration::hours(2));
    event.categories = vec!["musique".into()];
    event.language = Some("fr".into());
    Occurrence::single(SourceId::new("s").unwrap(), format!("u{i}"), event)
}

fn run(occurrences: Vec<Occurrence>) -> SourceRun {
    let records = occurrences
        .iter()
        .map(|o| {
            RawEvent::new(
                o.record_uid.clone(),
                o.event.title.clone(),
                TimeValue::Offset { at: o.event.start },
            )
        })
        .collect();
    SourceRun {
        source: SourceId::new("s").unwrap(),
        at: base(),
        duration_ms: 1,
        kind: Some("ics".into()),
        fetch: FetchState::default(),
        records,
        occurrences,
        warnings: Vec::new(),
    }
}

fn open(dir: &std::path::Path) -> Index {
    let index = Index::open(dir).unwrap();
    index
        .sync_sources(&[SourceInfo {
            id: SourceId::new("s").unwrap(),
            name: "s".into(),
            kind: None,
            url: "x".into(),
        }])
        .unwrap();
    index
}

/// An index of 100,000 events, built once for the query benchmarks.
fn hundred_thousand() -> &'static Index {
    static INDEX: OnceLock<(tempfile::TempDir, Index)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = open(dir.path());
            index
                .record_success(run((0..100_000).map(occurrence).collect()))
                .unwrap();
            (dir, index)
        })
        .1
}

/// One source run of 10,000 new events into an empty store (SQLite and
/// the search index, committed).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn write_10k_new_events(bencher: Bencher) {
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = open(dir.path());
            (dir, index, run((0..10_000).map(occurrence).collect()))
        })
        .bench_local_values(|(dir, index, run)| {
            index.record_success(run).unwrap();
            (dir, index)
        });
}

#[divan::bench]
fn text_and_30_days_top_20_of_100k(bencher: Bencher) {
    let index = hundred_thousand();
    let mut day = 0i64;
    bencher.bench_local(|| {
        day = (day + 7) % 300;
        let mut q = Query::from(base() + Duration::days(day));
        q.to = Some(base() + Duration::days(day + 30));
        q.q = Some("théâtre".into());
        q.limit = 20;
        index.query(&q).unwrap()
    });
}

#[divan::bench]
fn date_range_alone_top_50_of_100k(bencher: Bencher) {
    let index = hundred_thousand();
    let mut day = 0i64;
    bencher.bench_local(|| {
        day = (day + 7) % 300;
        let mut q = Query::from(base() + Duration::days(day));
        q.to = Some(base() + Duration::days(day + 30));
        index.query(&q).unwrap()
    });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn reindex_100k(bencher: Bencher) {
    let index = hundred_thousand();
    bencher.bench_local(|| index.reindex().unwrap());
}
