//! Hostile inputs: each must be bounded (a warning, a cap) and take time
//! linear in its size, never minutes. The figures are in BENCHMARKS.md
//! ("Hostile inputs"); the behaviour itself (the warnings, the caps) is
//! tested in the crates and in `tests/e2e/hostile.rs`.
//!
//! `cargo bench --bench hostile`

use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::{NaiveDate, NaiveDateTime};
use divan::counter::BytesCount;
use divan::{black_box, Bencher};
use ingest::ParseContext;

fn main() {
    divan::main();
}

const CAL_HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n";

fn ctx(content_type: &str) -> ParseContext {
    ParseContext {
        content_type: Some(content_type.to_string()),
        url: "https://hostile.example/".to_string(),
        today: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default(),
        ..ParseContext::default()
    }
}

/// One 10 MB content line (a DESCRIPTION), between two good events.
fn ics_long_line() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        format!(
            "{CAL_HEAD}BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261205T200000\r\nSUMMARY:A\r\n\
             DESCRIPTION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "x".repeat(10 << 20)
        )
    })
}

/// A million minimal VEVENTs (about 70 MB).
fn ics_million() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut s = String::from(CAL_HEAD);
        for i in 0..1_000_000 {
            let _ = write!(
                s,
                "BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:20261205T200000\r\nSUMMARY:E\r\nEND:VEVENT\r\n"
            );
        }
        s.push_str("END:VCALENDAR\r\n");
        s
    })
}

/// 10 MB declared UTF-8, one invalid byte every 100.
fn ics_invalid_utf8() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut b =
            format!("{CAL_HEAD}BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261205T200000\r\nSUMMARY:")
                .into_bytes();
        for i in 0..(10 << 20) {
            b.push(if i % 100 == 0 { 0xFF } else { b'x' });
        }
        b.extend_from_slice(b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        b
    })
}

fn nested_html(open: &str) -> String {
    format!(
        "<html><head><script type=\"application/ld+json\">{{\"@type\":\"Event\",\"name\":\"C\",\
         \"startDate\":\"2026-12-05T20:00:00-05:00\"}}</script></head><body>{}deep{}</body></html>",
        open.repeat(100_000),
        "</div>".repeat(100_000)
    )
}

fn jsonld_deep() -> String {
    format!(
        "<html><head><script type=\"application/ld+json\">{}{}</script></head><body></body></html>",
        "{\"@type\":\"Event\",\"about\":".repeat(10_000),
        "}".repeat(10_000)
    )
}

fn billion_laughs() -> String {
    let mut d = String::from("<!DOCTYPE rss [<!ENTITY lol \"lol\">");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        let _ = write!(d, "<!ENTITY lol{i} \"{}\">", format!("&{prev};").repeat(10));
    }
    d.push_str("]>");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{d}<rss version=\"2.0\" \
         xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\"><channel><title>T</title>\
         <item><title>&lol9;</title><link>https://hostile.example/a</link>\
         <ev:startdate>2026-12-05T20:00:00-05:00</ev:startdate></item></channel></rss>"
    )
}

#[divan::bench(sample_count = 3)]
fn ics_10mb_line(bencher: Bencher) {
    let doc = ics_long_line();
    bencher
        .counter(BytesCount::new(doc.len()))
        .bench(|| ingest::ics::parse(black_box(doc.as_bytes()), &ctx("text/calendar")));
}

#[divan::bench(sample_count = 3)]
fn ics_million_vevents(bencher: Bencher) {
    let doc = ics_million();
    bencher
        .counter(BytesCount::new(doc.len()))
        .bench(|| ingest::ics::parse(black_box(doc.as_bytes()), &ctx("text/calendar")));
}

#[divan::bench(sample_count = 3)]
fn ics_10mb_invalid_utf8(bencher: Bencher) {
    let doc = ics_invalid_utf8();
    bencher
        .counter(BytesCount::new(doc.len()))
        .bench(|| ingest::ics::parse(black_box(doc), &ctx("text/calendar; charset=utf-8")));
}

#[divan::bench(sample_count = 3, args = ["<div>", "<div itemscope itemprop=x>", "<div class=\"h-event\">"])]
fn html_100k_nested(bencher: Bencher, open: &str) {
    let doc = nested_html(open);
    bencher
        .counter(BytesCount::new(doc.len()))
        .bench(|| ingest::html::parse(black_box(doc.as_bytes()), &ctx("text/html")));
}

#[divan::bench(sample_count = 3)]
fn jsonld_10k_deep(bencher: Bencher) {
    let doc = jsonld_deep();
    bencher
        .counter(BytesCount::new(doc.len()))
        .bench(|| ingest::html::parse(black_box(doc.as_bytes()), &ctx("text/html")));
}

#[divan::bench(sample_count = 3)]
fn feed_billion_laughs(bencher: Bencher) {
    let doc = billion_laughs();
    bencher.bench(|| ingest::feed::parse(black_box(doc.as_bytes()), &ctx("application/rss+xml")));
}

/// `FREQ=SECONDLY` with no end, expanded over a year: stopped by the
/// occurrence cap, not by the horizon.
#[divan::bench(sample_count = 3)]
fn rrule_secondly_unbounded(bencher: Bencher) {
    let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap_or_default();
    let rules = vec!["FREQ=SECONDLY".to_string()];
    bencher.bench(|| {
        normalize::recurrence::expand(
            black_box(&rules),
            at("2026-12-05T20:00:00"),
            chrono_tz::America::Toronto,
            &[],
            &normalize::recurrence::Exclusions::default(),
            at("2026-12-01T00:00:00"),
            at("2027-12-01T00:00:00"),
        )
    });
}
