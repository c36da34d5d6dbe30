//! Sources run again on their own cron schedule, and stop cleanly.

use std::time::Duration;

use publish::NextRuns;

use crate::harness::{FixtureServer, Resource, World};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_source_runs_on_its_own_schedule_and_stops_on_shutdown() {
    let server = FixtureServer::start().await;
    let ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261205T010000Z\r\nSUMMARY:X\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    server.put(
        "every-second.ics",
        Resource::ok(ics.to_vec(), "text/calendar"),
    );
    server.put("hourly.ics", Resource::ok(ics.to_vec(), "text/calendar"));
    server.put("disabled.ics", Resource::ok(ics.to_vec(), "text/calendar"));
    let toml = format!(
        "[[source]]\nid = \"fast\"\nkind = \"ics\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\n\n\
         [[source]]\nid = \"slow\"\nkind = \"ics\"\nurl = \"{}\"\nschedule = \"@hourly\"\n\n\
         [[source]]\nid = \"off\"\nkind = \"ics\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\nenabled = false\n",
        server.url("every-second.ics"),
        server.url("hourly.ics"),
        server.url("disabled.ics"),
    );
    let world = World::new(&toml);
    let next_runs = NextRuns::default();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut tasks = babillard::scheduler::start(world.pipeline.clone(), next_runs.clone(), rx);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    {
        let map = next_runs.read().unwrap();
        assert!(
            map.contains_key("fast") && map.contains_key("slow"),
            "{map:?}"
        );
        assert!(
            !map.contains_key("off"),
            "a disabled source is not scheduled"
        );
        let slow = map["slow"];
        assert_eq!(
            slow.format("%M:%S").to_string(),
            "00:00",
            "@hourly runs on the hour: {slow}"
        );
    }
    assert!(
        server.hits("every-second.ics") >= 2,
        "ran {} times",
        server.hits("every-second.ics")
    );
    assert_eq!(server.hits("hourly.ics"), 0);
    assert_eq!(server.hits("disabled.ics"), 0);
    // /metrics holds the lag of the scheduled runs: how late each started
    // after its time (a sane value: not negative, well under the second
    // between two runs of `fast` plus a run, 30 s); none for sources that never
    // ran on schedule.
    let base = world.serve().await;
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let lag = |source: &str| {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == "babillard_scheduler_lag_seconds")
            .find(|s| s.labels.get("source") == Some(source))
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v) => v,
                ref other => panic!("not a gauge: {other:?}"),
            })
    };
    let fast = lag("fast").unwrap_or_else(|| panic!("no lag for fast in\n{text}"));
    assert!((0.0..30.0).contains(&fast), "lag of fast: {fast} s");
    assert_eq!(lag("slow"), None, "slow has not run on schedule yet");
    assert_eq!(lag("off"), None);
    tx.send(true).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    assert!(stopped.is_ok(), "the scheduler stops on shutdown");
    let after = server.hits("every-second.ics");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        server.hits("every-second.ics"),
        after,
        "nothing runs after shutdown"
    );
    assert!(next_runs.read().unwrap().is_empty());
}
