//! Calendars and territories at scale: 100,000 events of 200 sources at
//! 2,000 venues spread over a region cut into 200 territories (a 20 × 10
//! grid of GeoJSON squares), and 50 calendars of 4 sources and 4
//! territories each.
//!
//! * writing a run of 10,000 new events with no territory and with the
//!   200 (placing every event is part of the write);
//! * the same 30-day query alone, narrowed to one calendar (`/c/{id}/`),
//!   and to one territory (`territory=`).
//!
//! `cargo bench --bench calendars`; results in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, Utc};
use divan::Bencher;
use index::{FetchState, Index, Query, Scope, ScopePart, SourceInfo, SourceRun};
use model::{Event, Occurrence, RawEvent, SourceId, TimeValue, Venue};
use normalize::territory::{Territories, TerritoryConfig};

fn main() {
    divan::main();
}

const SOURCES: usize = 200;
const VENUES: usize = 2_000;
const GRID: (usize, usize) = (20, 10);
const CALENDARS: usize = 50;
/// The region: lon -74.0 .. -73.0, lat 45.3 .. 45.8.
const WEST: f64 = -74.0;
const SOUTH: f64 = 45.3;
const CELL: (f64, f64) = (0.05, 0.05);

fn base() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn source(i: usize) -> String {
    format!("s{:03}", i % SOURCES)
}

fn venue(v: usize) -> Venue {
    // Spread deterministically over the region (a multiplicative walk).
    let x = (v * 7919 % 1000) as f64 / 1000.0;
    let y = (v * 104_729 % 1000) as f64 / 1000.0;
    Venue {
        id: format!("v{v}"),
        name: format!("Salle {v}"),
        address: None,
        city: Some("Laval".into()),
        lat: Some(SOUTH + y * CELL.1 * GRID.1 as f64),
        lon: Some(WEST + x * CELL.0 * GRID.0 as f64),
        precision: None,
    }
}

fn occurrence(i: usize) -> Occurrence {
    let start = (base() + Duration::minutes(i as i64 * 5)).fixed_offset();
    let mut event = Event::new(
        "",
        format!("Spectacle {i}"),
        start,
        "America/Toronto",
        base(),
    );
    event.end = Some(start + Duration::hours(2));
    event.categories = vec!["musique".into()];
    event.language = Some("fr".into());
    event.venue = Some(venue(i % VENUES));
    Occurrence::single(SourceId::new(source(i)).unwrap(), format!("u{i}"), event)
}

fn runs(range: std::ops::Range<usize>) -> Vec<SourceRun> {
    let mut by_source: BTreeMap<String, Vec<Occurrence>> = BTreeMap::new();
    for i in range {
        by_source.entry(source(i)).or_default().push(occurrence(i));
    }
    by_source
        .into_iter()
        .map(|(s, occurrences)| SourceRun {
            source: SourceId::new(&s).unwrap(),
            at: base(),
            duration_ms: 1,
            kind: Some("ics".into()),
            fetch: FetchState::default(),
            records: occurrences
                .iter()
                .map(|o| {
                    RawEvent::new(
                        o.record_uid.clone(),
                        o.event.title.clone(),
                        TimeValue::Offset { at: o.event.start },
                    )
                })
                .collect(),
            occurrences,
            warnings: Vec::new(),
        })
        .collect()
}

/// The 200 grid squares as GeoJSON files in `dir`.
fn territories(dir: &std::path::Path) -> Arc<Territories> {
    let mut configs = Vec::new();
    for gx in 0..GRID.0 {
        for gy in 0..GRID.1 {
            let (w, s) = (WEST + gx as f64 * CELL.0, SOUTH + gy as f64 * CELL.1);
            let (e, n) = (w + CELL.0, s + CELL.1);
            let id = format!("t{gx}-{gy}");
            let file = dir.join(format!("{id}.geojson"));
            std::fs::write(
                &file,
                format!(
                    r#"{{"type":"Polygon","coordinates":[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}}"#
                ),
            )
            .unwrap();
            configs.push(TerritoryConfig {
                id,
                name: BTreeMap::from([("fr".to_string(), format!("Secteur {gx}-{gy}"))]),
                geojson: file,
                municipalities: Vec::new(),
            });
        }
    }
    Arc::new(Territories::load(&configs).unwrap())
}

fn open(dir: &std::path::Path, placed: Option<Arc<Territories>>) -> Index {
    let index = Index::open(dir).unwrap();
    let infos: Vec<SourceInfo> = (0..SOURCES)
        .map(|i| SourceInfo {
            id: SourceId::new(source(i)).unwrap(),
            name: source(i),
            kind: None,
            url: "x".into(),
        })
        .collect();
    index.sync_sources(&infos).unwrap();
    if let Some(t) = placed {
        index.set_territories(t).unwrap();
    }
    index
}

/// Calendar `c`: 4 sources and 4 territories.
fn scope(c: usize) -> Scope {
    Scope {
        parts: vec![ScopePart {
            sources: (0..4).map(|k| source(c * 4 + k)).collect(),
            territories: (0..4)
                .map(|k| {
                    let t = (c * 4 + k) % (GRID.0 * GRID.1);
                    format!("t{}-{}", t / GRID.1, t % GRID.1)
                })
                .collect(),
            categories: None,
        }],
    }
}

/// 100,000 events placed in the 200 territories, built once.
fn hundred_thousand() -> &'static Index {
    static INDEX: OnceLock<(tempfile::TempDir, Index)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = open(dir.path(), Some(territories(dir.path())));
            for run in runs(0..100_000) {
                index.record_success(run).unwrap();
            }
            (dir, index)
        })
        .1
}

/// 10,000 new events (50 runs of 200 sources) into an empty store, with no
/// territory (`false`) and with the 200 (`true`).
#[divan::bench(args = [false, true], sample_count = 3, sample_size = 1)]
fn write_10k_events(bencher: Bencher, with_territories: bool) {
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let placed = with_territories.then(|| territories(dir.path()));
            let index = open(dir.path(), placed);
            (dir, index, runs(0..10_000))
        })
        .bench_local_values(|(dir, index, runs)| {
            for run in runs {
                index.record_success(run).unwrap();
            }
            (dir, index)
        });
}

fn thirty_days(day: i64) -> Query {
    let mut q = Query::from(base() + Duration::days(day));
    q.to = Some(base() + Duration::days(day + 30));
    q.limit = 50;
    q
}

/// The same 30-day query (top 50 of 100k), alone, narrowed to one of the
/// 50 calendars, and to one territory.
#[divan::bench(args = ["alone", "calendar", "territory"])]
fn thirty_days_of_100k(bencher: Bencher, filter: &str) {
    let index = hundred_thousand();
    let mut n = 0usize;
    bencher.bench_local(|| {
        n += 1;
        let mut q = thirty_days((n as i64 * 7) % 300);
        match filter {
            "calendar" => q.scope = Some(scope(n % CALENDARS)),
            "territory" => q.territories = vec![format!("t{}-{}", n % GRID.0, n % GRID.1)],
            _ => {}
        }
        index.query(&q).unwrap()
    });
}
