//! Sources served on loopback, read by the real pipeline into a real store
//! and index, and checked through the real router.

use std::sync::Arc;
use std::time::Duration;

use babillard::pipeline::{Outcome, Pipeline};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::harness::{
    fixture_now, get_json, read_fixture, test_policy, FixtureServer, Resource, World, AGGREGATOR,
};

/// A small calendar whose events the tests change.
fn calendar(events: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Théâtre du Test//FR\r\nX-WR-TIMEZONE:America/Toronto\r\n",
    );
    for (uid, start, title) in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=America/Toronto:{start}\r\nDURATION:PT2H\r\nSUMMARY:{title}\r\nLOCATION:MDA\r\nCATEGORIES:Théâtre\r\nEND:VEVENT\r\n"
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s.into_bytes()
}

fn three_events() -> Vec<u8> {
    calendar(&[
        ("a@test", "20261205T200000", "Les Belles-sœurs"),
        ("b@test", "20261206T140000", "Concert de Noël"),
        ("c@test", "20261207T193000", "Le Malade imaginaire"),
    ])
}

const RANGE: &str = "from=2026-09-01&to=2028-01-01&limit=1000";

fn counts(outcome: &Outcome) -> index::RunCounts {
    match outcome {
        Outcome::Updated(c) => *c,
        other => panic!("expected an update, got {other:?}"),
    }
}

async fn events_of(api: &str, query: &str) -> Vec<Value> {
    let (status, body) = get_json(&format!("{api}/api/v1/events?{query}")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

fn utc(v: &Value) -> String {
    let dt: DateTime<Utc> = v.as_str().unwrap().parse().unwrap();
    dt.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ics_fixtures_travel_through_the_api() {
    let server = FixtureServer::start().await;
    let names = [
        "outlook_eastern_standard_time",
        "outlook_no_vtimezone",
        "apple_calendar_export",
        "wordpress_the_events_calendar",
        "eventbrite_export",
        "google_calendar_export",
    ];
    let mut toml = String::new();
    for n in names {
        server.put_fixture(
            &format!("{n}.ics"),
            &format!("ics/{n}.ics"),
            "text/calendar; charset=utf-8",
        );
        toml.push_str(&format!(
            "[[source]]\nid = \"{}\"\nkind = \"ics\"\nurl = \"{}\"\n\n",
            n.replace('_', "-"),
            server.url(&format!("{n}.ics"))
        ));
    }
    let world = World::new(&toml);
    let reports = world.ingest().await;
    let api = world.serve().await;
    for (n, report) in names.iter().zip(&reports) {
        let expected: Value =
            serde_json::from_slice(&read_fixture(&format!("ics/{n}.expected.json"))).unwrap();
        let want = expected["events"].as_array().unwrap();
        let c = counts(&report.outcome);
        assert_eq!(c.found, want.len(), "{n}: {report}");
        assert_eq!(c.new, want.len(), "{n}");
        let got = events_of(&api, &format!("{RANGE}&source={}", n.replace('_', "-"))).await;
        assert_eq!(got.len(), want.len(), "{n}");
        let mut got_starts: Vec<(String, bool)> = got
            .iter()
            .map(|e| {
                let all_day = e["all_day"].as_bool().unwrap();
                let start = if all_day {
                    e["start"].as_str().unwrap()[..10].to_string()
                } else {
                    utc(&e["start"])
                };
                (start, all_day)
            })
            .collect();
        let mut want_starts: Vec<(String, bool)> = want
            .iter()
            .map(|e| {
                (
                    e["start"].as_str().unwrap().to_string(),
                    e["all_day"].as_bool().unwrap(),
                )
            })
            .collect();
        got_starts.sort();
        want_starts.sort();
        assert_eq!(got_starts, want_starts, "{n}");
        // Results are in start order.
        let starts: Vec<DateTime<Utc>> = got
            .iter()
            .map(|e| e["start"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(
            starts.windows(2).all(|w| w[0] <= w[1]),
            "{n}: not in start order"
        );
    }
}

/// A fixture server answering `three_events()` at `t.ics`, and a world
/// whose one source `t` reads it under `policy`.
async fn one_calendar_source(policy: ingest::fetch::FetchPolicy) -> (FixtureServer, World) {
    let server = FixtureServer::start().await;
    server.put("t.ics", Resource::ok(three_events(), "text/calendar"));
    let world = World::with_policy(
        &format!(
            "[[source]]\nid = \"t\"\nkind = \"ics\"\nurl = \"{}\"\n",
            server.url("t.ics")
        ),
        policy,
    );
    (server, world)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_source_costs_one_conditional_request() {
    let (server, world) = one_calendar_source(test_policy()).await;
    assert_eq!(counts(&world.ingest_one("t").await.outcome).new, 3);
    let generation = world.index.generation();
    let second = world.ingest_one("t").await;
    assert_eq!(second.outcome, Outcome::Unchanged { events: 3 }, "{second}");
    assert_eq!(
        server.not_modified("t.ics"),
        1,
        "the second fetch was conditional"
    );
    assert_eq!(
        world.index.generation(),
        generation,
        "nothing published changed"
    );
    // Without ETag support on the server, identical bytes are skipped too.
    server.edit("t.ics", |r| r.etag = false);
    let third = world.ingest_one("t").await;
    assert_eq!(third.outcome, Outcome::Unchanged { events: 3 }, "{third}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_file_is_read_again_only_when_its_size_or_time_changes() {
    let body = three_events();
    let world = World::from_files(
        &format!("{AGGREGATOR}\n[[source]]\nid = \"t\"\nkind = \"ics\"\nurl = \"t.ics\"\n"),
        &[("t.ics", &body)],
        test_policy(),
    );
    let path = world.dir.path().join("t.ics");
    let settled = std::time::SystemTime::now() - Duration::from_secs(60);
    let touch = |when: std::time::SystemTime| {
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(when).unwrap();
    };
    touch(settled);
    assert_eq!(counts(&world.ingest_one("t").await.outcome).new, 3);

    // Other bytes of the same size under the same time: taken as unchanged,
    // not read (what the size and time validator promises, and costs).
    let edited = String::from_utf8(body.clone())
        .unwrap()
        .replace("Malade imaginaire", "Malade imaginairE");
    assert_eq!(edited.len(), body.len());
    std::fs::write(&path, &edited).unwrap();
    touch(settled);
    let second = world.ingest_one("t").await;
    assert_eq!(second.outcome, Outcome::Unchanged { events: 3 }, "{second}");

    // Another time: read, and the edit is seen.
    touch(settled + Duration::from_secs(30));
    let third = world.ingest_one("t").await;
    assert_eq!(counts(&third.outcome).updated, 1, "{third}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_keeps_its_events_and_says_why() {
    let (server, world) = one_calendar_source(test_policy()).await;
    world.ingest().await;
    let api = world.serve().await;
    assert_eq!(events_of(&api, RANGE).await.len(), 3);

    server.edit("t.ics", |r| r.status = 500);
    let report = world.ingest_one("t").await;
    match &report.outcome {
        Outcome::Failed { class, message } => {
            assert_eq!(class, "status_5xx");
            assert!(message.contains("500"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        events_of(&api, RANGE).await.len(),
        3,
        "a failing source keeps its last good events"
    );
    let (status, sources) = get_json(&format!("{api}/api/v1/sources")).await;
    assert_eq!(status, 200);
    let s = &sources[0];
    assert_eq!(s["id"], "t");
    assert_eq!(s["status"], "error");
    assert_eq!(s["events"], 3);
    assert!(s["last_error"].as_str().unwrap().contains("500"), "{s}");
    assert!(
        s["last_success_at"].is_string() && s["last_fetch_at"].is_string(),
        "{s}"
    );
    for key in [
        "id",
        "name",
        "kind",
        "url",
        "status",
        "last_fetch_at",
        "last_success_at",
        "last_error",
        "events",
        "next_run",
    ] {
        assert!(s.get(key).is_some(), "sources answer lacks {key}: {s}");
    }

    // A body that is not a calendar at all is a parse failure, not an empty source.
    server.edit("t.ics", |r| {
        r.status = 200;
        r.body = b"<!DOCTYPE html><html><body>Maintenance</body></html>".to_vec();
        r.content_type = "text/html".into();
    });
    let report = world.ingest_one("t").await;
    match &report.outcome {
        Outcome::Failed { class, message } => {
            assert_eq!(class, "wrong_kind");
            assert!(
                message.contains("expected an iCalendar file but the source answered an HTML page"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events_of(&api, RANGE).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_record_is_removed_and_a_corrected_one_keeps_its_id() {
    let (server, world) = one_calendar_source(test_policy()).await;
    world.ingest().await;
    let api = world.serve().await;
    let before = events_of(&api, RANGE).await;
    let id_of = |events: &[Value], uid: &str| -> String {
        events
            .iter()
            .find(|e| e["sources"][0]["uid"] == uid)
            .map(|e| e["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no event with uid {uid}"))
    };
    let (a, c) = (id_of(&before, "a@test"), id_of(&before, "c@test"));

    // b vanishes; a moves to another day and is retitled.
    server.edit("t.ics", |r| {
        r.body = calendar(&[
            (
                "a@test",
                "20261212T200000",
                "Les Belles-sœurs (supplémentaire)",
            ),
            ("c@test", "20261207T193000", "Le Malade imaginaire"),
        ])
    });
    let report = world.ingest_one("t").await;
    let c2 = counts(&report.outcome);
    assert_eq!(
        (c2.found, c2.new, c2.updated, c2.removed),
        (2, 0, 1, 1),
        "{report}"
    );
    let after = events_of(&api, RANGE).await;
    assert_eq!(after.len(), 2);
    assert_eq!(id_of(&after, "a@test"), a, "a corrected event keeps its id");
    assert_eq!(id_of(&after, "c@test"), c);
    let moved = after.iter().find(|e| e["id"] == a.as_str()).unwrap();
    assert_eq!(utc(&moved["start"]), "2026-12-13T01:00:00Z");
    assert_eq!(moved["title"], "Les Belles-sœurs (supplémentaire)");
    assert!(
        moved["sequence"].as_i64().unwrap() >= 1,
        "SEQUENCE grows on change: {moved}"
    );
    let (status, _) = get_json(&format!("{api}/api/v1/events/{}", id_of(&before, "b@test"))).await;
    assert_eq!(status, 404, "a vanished event is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_oversized_and_unreachable_sources_fail_with_their_class() {
    let server = FixtureServer::start().await;
    server.put(
        "slow.ics",
        Resource {
            delay: Duration::from_secs(6),
            ..Resource::ok(three_events(), "text/calendar")
        },
    );
    let mut huge = three_events();
    huge.truncate(huge.len() - "END:VCALENDAR\r\n".len());
    while huge.len() < 3 * 1024 * 1024 {
        huge.extend_from_slice(
            b"X-FILLER:0123456789012345678901234567890123456789012345678901234567890\r\n",
        );
    }
    server.put("huge.ics", Resource::ok(huge, "text/calendar"));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let toml = format!(
        "[[source]]\nid = \"slow\"\nkind = \"ics\"\nurl = \"{}\"\n\n[[source]]\nid = \"huge\"\nkind = \"ics\"\nurl = \"{}\"\n\n[[source]]\nid = \"gone\"\nkind = \"ics\"\nurl = \"http://127.0.0.1:{closed}/x.ics\"\n\n[[source]]\nid = \"missing\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("slow.ics"),
        server.url("huge.ics"),
        server.url("missing.ics"),
    );
    let world = World::new(&toml);
    let reports = world.ingest().await;
    let class = |i: usize| match &reports[i].outcome {
        Outcome::Failed { class, .. } => class.clone(),
        other => panic!("{}: {other:?}", reports[i].source),
    };
    assert_eq!(class(0), "timeout");
    assert_eq!(class(1), "too_large");
    assert_eq!(class(2), "connect");
    assert_eq!(class(3), "status_4xx");
    let sources = world.index.sources().unwrap();
    // Every configured source failed (the built-in source of events entered
    // by hand, never run here, aside).
    assert!(
        sources
            .iter()
            .filter(|s| s.id != babillard::config::MANUAL_SOURCE)
            .all(|s| s.status == "error"),
        "{sources:?}"
    );
}

/// Source runs take turns (what a first pass holds in memory is that of
/// the runs in flight, not of every source at once), and waiting for a turn
/// is not counted in a run's time budget: three sources that each answer
/// in 1.2 s, with a budget of 2 s and one run in flight at a time, all
/// succeed, one after another. Without the turns, the per-host limit of
/// two fetches makes the third wait for a fetch inside its budget, and it
/// fails with class `timeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_take_turns_and_the_wait_is_not_in_their_budget() {
    let server = FixtureServer::start().await;
    let mut toml = format!("{AGGREGATOR}source_timeout = 2\n");
    for i in 0..3 {
        server.put(
            &format!("s{i}.ics"),
            Resource {
                delay: Duration::from_millis(1200),
                ..Resource::ok(three_events(), "text/calendar")
            },
        );
        toml.push_str(&format!(
            "\n[[source]]\nid = \"s{i}\"\nkind = \"ics\"\nurl = \"{}\"\n",
            server.url(&format!("s{i}.ics"))
        ));
    }
    let mut world = World::from_config(&toml, test_policy());
    world.pipeline = Arc::new(
        Pipeline::with_policy(
            Arc::clone(&world.config),
            Arc::clone(&world.index),
            test_policy(),
        )
        .unwrap()
        .at(fixture_now())
        .with_runs_in_flight(1),
    );
    let started = std::time::Instant::now();
    let reports = world.ingest().await;
    for r in &reports {
        assert!(matches!(r.outcome, Outcome::Updated(_)), "{r}");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(3 * 1200),
        "one run at a time: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_larger_than_the_writers_queue_is_written_beside_small_ones() {
    // The writer's queue counts occurrences: a run with more than it holds
    // waits to be alone in it, and is written.
    let big = babillard::pipeline::QUEUED_OCCURRENCES as usize + 16;
    let first = chrono::NaiveDate::from_ymd_opt(2027, 1, 4)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let listed: Vec<(String, String, String)> = (0..big)
        .map(|i| {
            let start = first + chrono::Duration::minutes(10 * i as i64);
            (
                format!("big-{i}@test"),
                start.format("%Y%m%dT%H%M%S").to_string(),
                format!("Atelier numéro {i}"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = listed
        .iter()
        .map(|(u, s, t)| (u.as_str(), s.as_str(), t.as_str()))
        .collect();
    let server = FixtureServer::start().await;
    server.put("big.ics", Resource::ok(calendar(&refs), "text/calendar"));
    let mut toml = format!(
        "[[source]]\nid = \"big\"\nkind = \"ics\"\nurl = \"{}\"\nmax_body_mb = 16\n",
        server.url("big.ics")
    );
    for i in 0..3 {
        server.put(
            &format!("s{i}.ics"),
            Resource::ok(three_events(), "text/calendar"),
        );
        toml.push_str(&format!(
            "\n[[source]]\nid = \"s{i}\"\nkind = \"ics\"\nurl = \"{}\"\n",
            server.url(&format!("s{i}.ics"))
        ));
    }
    let world = World::with_policy(&toml, test_policy());
    // A run that could never take its places would wait for ever.
    let reports = tokio::time::timeout(Duration::from_secs(300), world.ingest())
        .await
        .expect("the first pass finishes");
    assert_eq!(reports.len(), 4);
    for r in &reports {
        let found = counts(&r.outcome).found;
        let want = if r.source == "big" { big } else { 3 };
        assert_eq!(found, want, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_unless_allowed() {
    let (server, world) = one_calendar_source(ingest::fetch::FetchPolicy {
        allow_private_networks: false,
        ..test_policy()
    })
    .await;
    let report = world.ingest_one("t").await;
    match &report.outcome {
        Outcome::Failed { class, message } => {
            assert_eq!(class, "refused", "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.hits("t.ics"),
        0,
        "nothing was sent to a private address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_broken_source_keeps_what_it_could_read_and_says_what_it_could_not() {
    let server = FixtureServer::start().await;
    server.put_fixture("broken.ics", "ics/broken_partial.ics", "text/calendar");
    let world = World::new(&format!(
        "[[source]]\nid = \"broken\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("broken.ics")
    ));
    let report = world.ingest_one("broken").await;
    let expected: Value =
        serde_json::from_slice(&read_fixture("ics/broken_partial.expected.json")).unwrap();
    assert_eq!(
        counts(&report.outcome).found,
        expected["events"].as_array().unwrap().len(),
        "{report}"
    );
    let api = world.serve().await;
    let (_, sources) = get_json(&format!("{api}/api/v1/sources")).await;
    let warnings: Vec<&str> = sources[0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(!warnings.is_empty(), "{sources}");
    assert!(
        warnings.iter().any(|w| w.contains("line ")),
        "warnings say where: {warnings:?}"
    );
    assert_eq!(sources[0]["status"], "ok");
}
