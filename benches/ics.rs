//! ICS parsing throughput, and one whole source run (read, parse,
//! normalize, store, index) of a 10,000-event calendar.
//!
//! `cargo bench --bench ics`; results in BENCHMARKS.md.

use std::fmt::Write as _;
use std::sync::Arc;

use babillard::config::Config;
use babillard::pipeline::{Outcome, Pipeline};
use divan::counter::BytesCount;
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

/// A realistic calendar of `n` events: zoned times, accented folded text,
/// categories, locations, a few weekly series.
fn generate_ics(n: usize) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//FR\r\nX-WR-TIMEZONE:America/Toronto\r\n",
    );
    for i in 0..n {
        let day = 1 + (i % 28);
        let month = 1 + (i / 28) % 12;
        let hour = 10 + (i % 11);
        let _ = write!(
            s,
            "BEGIN:VEVENT\r\nUID:event-{i}@bench.example\r\nDTSTAMP:20261101T120000Z\r\n\
             DTSTART;TZID=America/Toronto:2027{month:02}{day:02}T{hour:02}0000\r\n\
             DTEND;TZID=America/Toronto:2027{month:02}{day:02}T{:02}3000\r\n\
             SUMMARY:Spectacle numéro {i} : théâtre\\, musique et poésie québécoise\r\n\
             DESCRIPTION:Une soirée exceptionnelle à la Maison des arts\\, avec des artis\r\n tes d'ici et d'ailleurs. Billets en vente à la billetterie\\; tarif réd\r\n uit pour les étudiants.\\nRéservation conseillée.\r\n\
             LOCATION:Maison des arts de Laval\\, 1395\\, boulevard de la Concorde Ouest\r\n\
             CATEGORIES:Théâtre,Musique\r\nURL:https://bench.example/events/{i}\r\n{}END:VEVENT\r\n",
            hour + 1,
            if i % 100 == 0 { "RRULE:FREQ=WEEKLY;COUNT=10\r\n" } else { "" }
        );
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

#[divan::bench(args = [100, 10_000])]
fn parse_ics(bencher: Bencher, n: usize) {
    let data = generate_ics(n);
    let ctx = ingest::ParseContext::default();
    bencher
        .counter(BytesCount::new(data.len()))
        .bench(|| ingest::ics::parse(black_box(data.as_bytes()), &ctx));
}

/// One source run of a 10,000-event local calendar into a fresh store.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn source_run_10k_events(bencher: Bencher) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let data = generate_ics(10_000);
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("big.ics"), &data).unwrap();
            let text = "[aggregator]\ntimezone = \"America/Toronto\"\n\n[[source]]\nid = \"big\"\nkind = \"ics\"\nurl = \"big.ics\"\n";
            let path = dir.path().join("sources.toml");
            let config = Arc::new(Config::parse(text, &path).unwrap());
            let index = Arc::new(index::Index::open(&dir.path().join("data")).unwrap());
            index
                .sync_sources(&[index::SourceInfo {
                    id: config.sources[0].id.clone(),
                    name: "big".into(),
                    kind: Some("ics".into()),
                    url: config.sources[0].url.clone(),
                }])
                .unwrap();
            let pipeline = Arc::new(Pipeline::new(config, index).unwrap());
            (dir, pipeline)
        })
        .bench_local_values(|(dir, pipeline)| {
            let reports = runtime.block_on(pipeline.ingest(&[], |_| {}));
            match &reports[0].outcome {
                Outcome::Updated(c) => assert!(c.found >= 10_000),
                other => panic!("{other:?}"),
            }
            // Returned, so that the folder is deleted outside the timing.
            dir
        });
}
