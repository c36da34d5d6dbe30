//! Hostile source bodies through the real pipeline: served from a local
//! fixture server, read, normalized and stored; each run ends with its good
//! events kept and a warning on the source saying what was bounded or
//! refused (`/api/v1/sources` `warnings`).

use serde_json::Value;

use crate::harness::{get_json, test_policy, FixtureServer, Resource, World};

const CAL_HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hostile//FR\r\n";

/// A date `n` days after the day four weeks from now, as an ICS date
/// (`20270105`) and an ISO one (`2027-01-05`): the events stay upcoming,
/// whatever day the test runs.
fn day(n: u64) -> (String, String) {
    let d = chrono::Utc::now().date_naive() + chrono::Days::new(28 + n);
    (
        d.format("%Y%m%d").to_string(),
        d.format("%Y-%m-%d").to_string(),
    )
}

fn good_vevent(uid: &str) -> String {
    let (d, _) = day(0);
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;TZID=America/Toronto:{d}T200000\r\n\
         SUMMARY:Concert {uid}\r\nLOCATION:Maison des arts de Laval\r\nEND:VEVENT\r\n"
    )
}

fn hostile_bodies() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    // Declared UTF-8, a stray byte in an otherwise ASCII title.
    let mut invalid = format!("{CAL_HEAD}{}", good_vevent("good-1")).into_bytes();
    invalid.extend_from_slice(b"BEGIN:VEVENT\r\nUID:bad-1\r\nDTSTART;TZID=America/Toronto:");
    invalid.extend_from_slice(day(1).0.as_bytes());
    invalid.extend_from_slice(
        b"T200000\r\n\
          SUMMARY:Caf\xff noir\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    // A content line of 1.5 MB and a 5,000-char title.
    let long = format!(
        "{CAL_HEAD}{}BEGIN:VEVENT\r\nUID:long-1\r\nDTSTART;TZID=America/Toronto:{}T200000\r\n\
         SUMMARY:{}\r\nDESCRIPTION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        good_vevent("good-2"),
        day(2).0,
        "T".repeat(5_000),
        "d".repeat(1_500_000)
    )
    .into_bytes();
    // Billion laughs and an external entity.
    let mut doctype = String::from(
        "<!DOCTYPE rss [<!ENTITY lol \"lol\"><!ENTITY xxe SYSTEM \"file:///etc/passwd\">",
    );
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doctype.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    doctype.push_str("]>");
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doctype}\n<rss version=\"2.0\" \
         xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\"><channel><title>Laughs</title>\
         <item><title>Rires &lol9; &xxe;</title><link>https://hostile.example/laughs</link>\
         <ev:startdate>{laughs}T20:00:00-05:00</ev:startdate></item>\
         <item><title>Concert good-3</title><link>https://hostile.example/good</link>\
         <ev:startdate>{good}T20:00:00-05:00</ev:startdate></item></channel></rss>",
        laughs = day(3).1,
        good = day(4).1,
    )
    .into_bytes();
    // 100,000 nested tags around a page whose JSON-LD gives one event.
    let page = format!(
        "<html><head><script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\
         \"@type\":\"Event\",\"name\":\"Concert good-4\",\"startDate\":\"{}T20:00:00-05:00\",\
         \"url\":\"https://hostile.example/deep\"}}</script></head><body>{}deep{}</body></html>",
        day(5).1,
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    )
    .into_bytes();
    // FREQ=SECONDLY with no end.
    let secondly = format!(
        "{CAL_HEAD}{}BEGIN:VEVENT\r\nUID:secondly\r\nDTSTART;TZID=America/Toronto:{}T200000\r\n\
         SUMMARY:Chaque seconde\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        good_vevent("good-5"),
        day(0).0
    )
    .into_bytes();
    vec![
        ("secondly", secondly, "text/calendar"),
        ("invalid-utf8", invalid, "text/calendar; charset=utf-8"),
        ("long-line", long, "text/calendar"),
        ("laughs", feed, "application/rss+xml"),
        ("deep-html", page, "text/html; charset=utf-8"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_are_bounded_with_warnings_and_the_good_events_kept() {
    let server = FixtureServer::start().await;
    let mut sources = String::new();
    for (id, body, content_type) in hostile_bodies() {
        let kind = match content_type.split(';').next() {
            Some("text/calendar") => "ics",
            Some("application/rss+xml") => "feed",
            _ => "html",
        };
        server.put(id, Resource::ok(body, content_type));
        sources.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nkind = \"{kind}\"\nurl = \"{}\"\n\n",
            server.url(id)
        ));
    }
    let mut policy = test_policy();
    policy.max_body_bytes = 8 * 1024 * 1024;
    policy.total_timeout = std::time::Duration::from_secs(30);
    let world = World::with_policy(&sources, policy);
    for report in world.ingest().await {
        assert!(
            matches!(report.outcome, babillard::pipeline::Outcome::Updated(_)),
            "{report}"
        );
    }
    let api = world.serve().await;
    let (status, listed) = get_json(&format!("{api}/api/v1/sources")).await;
    assert_eq!(status, 200);
    let warnings_of = |id: &str| -> Vec<String> {
        listed
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == id))
            .and_then(|s| s["warnings"].as_array())
            .map(|w| {
                w.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let expect = [
        (
            "invalid-utf8",
            "declared UTF-8 but holds 1 invalid byte sequence",
        ),
        ("long-line", "content line of 1500012 bytes cut to 1048576"),
        ("long-line", "long-1: title cut to its first 1000 chars"),
        (
            "laughs",
            "DOCTYPE removed: it declares 11 entities, some external (never read)",
        ),
        (
            "deep-html",
            "elements nested deeper than 512 levels were flattened",
        ),
        ("secondly", "series too dense, expansion stopped early"),
    ];
    for (id, needle) in expect {
        let warnings = warnings_of(id);
        assert!(
            warnings.iter().any(|w| w.contains(needle)),
            "{id}: no {needle:?} in {warnings:?}"
        );
    }

    // The good events are all there, and nothing was expanded or leaked.
    let (status, events) = get_json(&format!("{api}/api/v1/events?limit=100")).await;
    assert_eq!(status, 200, "{events}");
    let titles: Vec<String> = events["events"]
        .as_array()
        .or_else(|| events["items"].as_array())
        .or_else(|| events.as_array())
        .map(|all| {
            all.iter()
                .filter_map(|e| e["title"].as_str().or_else(|| e["title"]["fr"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for good in ["good-1", "good-2", "good-3", "good-4", "good-5"] {
        assert!(
            titles.iter().any(|t| t.contains(good)),
            "{good} not in {titles:?}"
        );
    }
    assert!(
        titles.iter().any(|t| t.starts_with("Caf\u{fffd} noir")),
        "{titles:?}"
    );
    assert!(titles.iter().all(|t| t.chars().count() <= 1_000));
    assert!(titles
        .iter()
        .all(|t| !t.contains("lollol") && !t.contains("root:")));

    // The endless series is stored bounded: at most the per-series cap.
    let (_, secondly) = get_json(&format!("{api}/api/v1/events?source=secondly&limit=1000")).await;
    let total = secondly["total"].as_u64().unwrap_or(u64::MAX);
    assert!(
        (2..=normalize::MAX_OCCURRENCES_PER_SERIES as u64 + 1).contains(&total),
        "{total}"
    );
}
