//! End to end on a generated region: 200 member sources (ICS, RSS with the
//! event module, schema.org pages) served on 127.0.0.1, 30% of the shows
//! cross-listed by a second member, read by one ingest pass into a fresh
//! store, then queried through the index.
//!
//! `cargo bench --bench region`; results in BENCHMARKS.md.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::Path;
use babillard::config::Config;
use babillard::pipeline::{Outcome, Pipeline};
use divan::Bencher;
use ingest::fetch::FetchPolicy;

fn main() {
    divan::main();
}

const SOURCES: usize = 200;
const EVENTS_PER_SOURCE: usize = 50;

/// The shows of member `s`: (uid, title, start as local ISO, venue, civic
/// number of the venue's address).
fn shows(s: usize) -> Vec<(String, String, String, String, usize)> {
    (0..EVENTS_PER_SOURCE)
        .map(|i| {
            // 30% of a member's shows are the previous member's, listed again.
            let (owner, n) = if i % 10 < 3 && s > 0 {
                (s - 1, i + 3)
            } else {
                (s, i)
            };
            let day = 1 + (owner * 7 + n) % 28;
            let month = 1 + (owner + n) % 12;
            let hour = 13 + (n % 8);
            (
                format!("show-{owner}-{n}@member-{s}"),
                format!("Spectacle {owner}-{n} : théâtre et musique d'ici"),
                format!("2027-{month:02}-{day:02}T{hour:02}:00:00"),
                format!("Salle {owner} de Laval"),
                10 * owner + 1,
            )
        })
        .collect()
}

fn ics(s: usize) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//FR\r\nX-WR-TIMEZONE:America/Toronto\r\n");
    for (uid, title, start, venue, venue_no) in shows(s) {
        let compact = start.replace(['-', ':'], "");
        let _ = write!(
            out,
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=America/Toronto:{compact}\r\nDURATION:PT2H\r\nSUMMARY:{title}\r\nLOCATION:{venue}\\, {venue_no} boul. du Test\\, Laval\\, QC\r\nCATEGORIES:Théâtre\r\nEND:VEVENT\r\n"
        );
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn rss(s: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\"><channel><title>Membre</title><link>https://member.example/</link><description>x</description>\n",
    );
    for (uid, title, start, venue, _venue_no) in shows(s) {
        let _ = writeln!(
            out,
            "<item><title>{title}</title><link>https://member.example/{uid}</link><guid isPermaLink=\"false\">{uid}</guid><description>Une soirée.</description><ev:startdate>{start}-05:00</ev:startdate><ev:location>{venue}</ev:location></item>"
        );
    }
    out.push_str("</channel></rss>\n");
    out
}

fn page(s: usize) -> String {
    let events: Vec<String> = shows(s)
        .into_iter()
        .map(|(uid, title, start, venue, venue_no)| {
            format!(
                "{{\"@type\":\"TheaterEvent\",\"@id\":\"{uid}\",\"name\":\"{title}\",\"startDate\":\"{start}-05:00\",\"location\":{{\"@type\":\"Place\",\"name\":\"{venue}\",\"address\":\"{venue_no} boul. du Test, Laval, QC\"}}}}"
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@graph\":[{}]}}</script></head><body><h1>Programmation</h1></body></html>",
        events.join(",")
    )
}

async fn serve() -> String {
    let app = axum::Router::new().route(
        "/m/{file}",
        axum::routing::get(|Path(file): Path<String>| async move {
            let (stem, ext) = file.split_once('.').unwrap_or((file.as_str(), ""));
            let s: usize = stem.parse().unwrap_or(0);
            match ext {
                "ics" => ([("content-type", "text/calendar")], ics(s)),
                "rss" => ([("content-type", "application/rss+xml")], rss(s)),
                _ => ([("content-type", "text/html")], page(s)),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn world(base: &str, dir: &std::path::Path) -> Arc<Pipeline> {
    let mut text = String::from(
        "[aggregator]\ntimezone = \"America/Toronto\"\nallow_private_networks = true\n\n",
    );
    for s in 0..SOURCES {
        let (kind, ext) = match s % 3 {
            0 => ("ics", "ics"),
            1 => ("feed", "rss"),
            _ => ("html", "html"),
        };
        let _ = write!(
            text,
            "[[source]]\nid = \"m{s}\"\nkind = \"{kind}\"\nurl = \"{base}/m/{s}.{ext}\"\n\n"
        );
    }
    let path = dir.join("sources.toml");
    let config = Arc::new(Config::parse(&text, &path).unwrap());
    let index = Arc::new(index::Index::open(&dir.join("data")).unwrap());
    index.sync_sources(&config.source_infos()).unwrap();
    let policy = FetchPolicy {
        allow_private_networks: true,
        respect_robots: false,
        per_host_concurrency: 16,
        ..FetchPolicy::default()
    };
    Arc::new(
        Pipeline::with_policy(config, index, policy)
            .unwrap()
            .at("2026-11-01T00:00:00Z".parse().unwrap()),
    )
}

/// One ingest pass over the whole region into a fresh store.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn ingest_region(bencher: Bencher) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = runtime.block_on(serve());
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let pipeline = world(&base, dir.path());
            (dir, pipeline)
        })
        .bench_local_values(|(dir, pipeline)| {
            let reports = runtime.block_on(pipeline.ingest(&[], |_| {}));
            let found: usize = reports
                .iter()
                .map(|r| match &r.outcome {
                    Outcome::Updated(c) => c.found,
                    other => panic!("{}: {other:?}", r.source),
                })
                .sum();
            assert_eq!(found, SOURCES * EVENTS_PER_SOURCE);
            dir
        });
}

/// Queries on the ingested region: a text search over a month, the first
/// page of everything.
#[divan::bench(args = ["theatre", ""])]
fn query_region(bencher: Bencher, q: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = runtime.block_on(serve());
    let dir = tempfile::tempdir().unwrap();
    let pipeline = world(&base, dir.path());
    runtime.block_on(pipeline.ingest(&[], |_| {}));
    let index = Arc::clone(pipeline.index());
    let mut query = index::Query::from("2027-03-01T00:00:00Z".parse().unwrap());
    query.to = Some("2027-04-01T00:00:00Z".parse().unwrap());
    query.q = Some(q.to_string()).filter(|q| !q.is_empty());
    query.limit = 20;
    bencher.bench(|| index.query(divan::black_box(&query)).unwrap());
}
