//! The HTTP surface on ingested fixtures: ETag/304, bad parameters, paging,
//! and the ICS feed read by the parsers real calendar apps use.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::harness::{client, get_json, listing_pages, page_ids, World};

async fn world_with_fixtures() -> (World, String) {
    let world = World::with_ics_fixtures(&[
        "google_calendar_export",
        "outlook_eastern_standard_time",
        "apple_calendar_export",
        "wordpress_the_events_calendar",
        "eventbrite_export",
        "montreal_alias_tzid",
        "outlook_custom_tzid",
    ])
    .await;
    let api = world.serve().await;
    (world, api)
}

const RANGE: &str = "from=2026-09-01&to=2028-01-01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_get_has_an_etag_and_honours_if_none_match() {
    let (_world, api) = world_with_fixtures().await;
    for path in [
        format!("/api/v1/events?{RANGE}"),
        "/api/v1/sources".to_string(),
        format!("/feeds/events.ics?{RANGE}"),
    ] {
        let url = format!("{api}{path}");
        let r = client().get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let etag = r
            .headers()
            .get("etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"))
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            r.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some("*"),
            "{path}: CORS"
        );
        let r2 = client()
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r2.status(), 304, "{path}");
        assert!(r2.text().await.unwrap().is_empty());
        let r3 = client()
            .get(&url)
            .header("If-None-Match", "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(r3.status(), 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_400_with_json_naming_them() {
    let (_world, api) = world_with_fixtures().await;
    let cases = [
        ("from=yesterday", "from"),
        ("to=2026-13-45", "to"),
        ("from=2026-12-01&to=2026-11-01", "to"),
        ("near=45.5", "near"),
        ("near=abc,def", "near"),
        ("near=45.5,-73.7&radius_km=-3", "radius_km"),
        ("bbox=1,2,3", "bbox"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("lang=de", "lang"),
        ("cursor=not-a-cursor", "cursor"),
    ];
    for (query, param) in cases {
        for path in ["/api/v1/events", "/feeds/events.ics"] {
            let (status, body) = get_json(&format!("{api}{path}?{query}")).await;
            assert_eq!(status, 400, "{path}?{query}: {body}");
            assert_eq!(body["parameter"], param, "{path}?{query}: {body}");
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let (_world, api) = world_with_fixtures().await;
    let (_, all) = get_json(&format!("{api}/api/v1/events?{RANGE}&limit=1000")).await;
    let total = all["total"].as_u64().unwrap() as usize;
    assert!(total > 20, "the fixtures give {total} events");
    assert_eq!(all["events"].as_array().unwrap().len(), total);
    let pages = listing_pages(&format!("{api}/api/v1/events?{RANGE}&limit=7")).await;
    assert!(pages.len() > 2, "{} pages", pages.len());
    for page in &pages {
        assert_eq!(
            page["total"].as_u64().unwrap() as usize,
            total,
            "total counts every page"
        );
    }
    let ids = page_ids(&pages);
    let want = page_ids(std::slice::from_ref(&all));
    assert_eq!(ids, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_french_words_without_accents_and_by_stem() {
    let (_world, api) = world_with_fixtures().await;
    let (_, all) = get_json(&format!("{api}/api/v1/events?{RANGE}&limit=1000")).await;
    let titles: Vec<String> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_lowercase())
        .collect();
    // Pick a word with an accent from the fixtures, and search it without.
    let accented = titles
        .iter()
        .flat_map(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .find(|w| w.chars().count() > 4 && w.chars().any(|c| "éèêàâçôîû".contains(c)))
        .expect("a fixture title with an accented word");
    let plain: String = accented
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'à' | 'â' => 'a',
            'ç' => 'c',
            'ô' => 'o',
            'î' => 'i',
            'û' => 'u',
            c => c,
        })
        .collect();
    let (status, found) = get_json(&format!("{api}/api/v1/events?{RANGE}&q={plain}")).await;
    assert_eq!(status, 200);
    assert!(
        found["total"].as_u64().unwrap() >= 1,
        "q={plain} finds {accented}"
    );
    for e in found["events"].as_array().unwrap() {
        let text = format!("{} {}", e["title"], e["description"]).to_lowercase();
        assert!(
            text.contains(&accented) || text.contains(&plain),
            "{plain}: {text}"
        );
    }
}

/// Where the client parsers were installed by scripts/setup-test-clients.
fn clients_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn run_validator(program: &str, args: &[&str], env: &[(&str, String)]) -> Value {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {program}: {e}; run scripts/setup-test-clients first")
    });
    assert!(
        out.status.success(),
        "{program} {args:?} rejected the feed:\n{}\n{}\n(if a module is missing, run scripts/setup-test-clients)",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{program}: not JSON: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_read_right_by_thunderbird_and_python_parsers() {
    let (world, api) = world_with_fixtures().await;
    let r = client()
        .get(format!("{api}/feeds/events.ics?{RANGE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let feed = r.bytes().await.unwrap();
    let path = world.dir.path().join("feed.ics");
    std::fs::write(&path, &feed).unwrap();
    let text = String::from_utf8(feed.to_vec()).expect("UTF-8");
    assert!(text.contains("X-WR-CALNAME:Signé Laval (tests)"));
    assert!(text.contains("REFRESH-INTERVAL;VALUE=DURATION:"));
    assert!(
        text.split("\r\n").all(|l| l.len() <= 75),
        "lines fold at 75 octets"
    );

    let (_, api_events) = get_json(&format!("{api}/api/v1/events?{RANGE}&limit=1000")).await;
    let api_events = api_events["events"].as_array().unwrap().clone();
    let mut want: Vec<(String, String)> = api_events
        .iter()
        .map(|e| {
            let start = if e["all_day"].as_bool().unwrap() {
                e["start"].as_str().unwrap()[..10].to_string()
            } else {
                let dt: DateTime<Utc> = e["start"].as_str().unwrap().parse().unwrap();
                dt.to_rfc3339_opts(SecondsFormat::Secs, true)
            };
            (e["title"].as_str().unwrap().to_string(), start)
        })
        .collect();
    want.sort();

    let dir = clients_dir();
    let file = path.to_str().unwrap();
    let node = run_validator(
        "node",
        &[dir.join("validate_ics.mjs").to_str().unwrap(), file],
        &[],
    );
    let pypath = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyclients");
    let python = run_validator(
        "python3",
        &[dir.join("validate_ics.py").to_str().unwrap(), file],
        &[("PYTHONPATH", pypath.display().to_string())],
    );
    for (who, parsed) in [("ical.js", node), ("python icalendar", python)] {
        let mut got: Vec<(String, String)> = parsed
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["summary"].as_str().unwrap().to_string(),
                    e["start"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{who} reads the feed as the API says");
    }
}
