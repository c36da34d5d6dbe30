//! Running unattended (issue 11, part A), with the real binary: a fast
//! stop during a slow first pass, the per-source time budget, the logs,
//! pruning, backup and restore.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{babillard, read_fixture, FixtureServer, Resource, World, AGGREGATOR};

const APPLE: &str = "ics/apple_calendar_export.ics";

/// A folder holding `apple.ics` and this `sources.toml`.
fn dir_with(sources_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apple.ics"), read_fixture(APPLE)).unwrap();
    std::fs::write(dir.path().join("sources.toml"), sources_toml).unwrap();
    dir
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `babillard run` in `dir`; killed when dropped.
struct Running {
    child: Child,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(dir: &Path) -> Running {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_babillard"))
            .current_dir(dir)
            .args(["run", "--addr", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "error")
            .spawn()
            .unwrap();
        Running { child, port }
    }

    async fn sources(&self) -> Option<serde_json::Value> {
        let url = format!("http://127.0.0.1:{}/api/v1/sources", self.port);
        let r = crate::harness::client().get(url).send().await.ok()?;
        serde_json::from_str(&r.text().await.ok()?).ok()
    }

    /// Wait until source `id` has been stored with status ok.
    async fn wait_ok(&self, id: &str) {
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Some(list) = self.sources().await {
                if list
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["id"] == id && s["status"] == "ok")
                {
                    return;
                }
            }
        }
        panic!("{id} never became ok under `run`");
    }

    /// The nice value of each of the process's threads, by thread name
    /// (`/proc/PID/task/TID/stat`, Linux).
    fn thread_niceness(&self) -> Vec<(String, i64)> {
        let tasks = format!("/proc/{}/task", self.child.id());
        let mut out = Vec::new();
        for task in std::fs::read_dir(tasks).unwrap() {
            let Ok(stat) = std::fs::read_to_string(task.unwrap().path().join("stat")) else {
                continue; // the thread ended meanwhile
            };
            // "TID (NAME) S PPID ...": the fields after the name, whose 17th
            // is the nice value (field 19 of the whole line).
            let open = stat.find('(').unwrap();
            let close = stat.rfind(')').unwrap();
            let name = stat[open + 1..close].to_string();
            let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
            out.push((name, fields[16].parse().unwrap()));
        }
        out
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Wait for the exit, at most `bound`; the time it took.
    async fn wait_exit(&mut self, bound: Duration) -> (std::process::ExitStatus, Duration) {
        let from = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return (s, from.elapsed());
            }
            assert!(
                from.elapsed() < bound,
                "run did not stop within {bound:?} of the signal"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn search_all(dir: &Path, data: &str) -> serde_json::Value {
    let (code, out, err) = babillard(
        dir,
        &[
            "--data",
            data,
            "search",
            "",
            "--from",
            "2000-01-01",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn ids(found: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = found["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// SIGTERM during a first pass whose six http sources drip (each answers
/// after 30 s; two at a time per host, so four wait in the queue): `run`
/// exits within a generous bound, not after the sources; the source
/// already done keeps its events; the slow ones wrote nothing, and the
/// store opens fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_slow_first_pass_stops_fast_and_loses_nothing() {
    let server = FixtureServer::start().await;
    let ics = read_fixture(APPLE);
    let mut toml =
        format!("{AGGREGATOR}\n[[source]]\nid = \"apple\"\nkind = \"ics\"\nurl = \"apple.ics\"\n");
    for i in 0..6 {
        let mut res = Resource::ok(ics.clone(), "text/calendar");
        res.delay = Duration::from_secs(30);
        server.put(&format!("slow{i}.ics"), res);
        toml.push_str(&format!(
            "\n[[source]]\nid = \"slow{i}\"\nkind = \"ics\"\nurl = \"{}\"\n",
            server.url(&format!("slow{i}.ics"))
        ));
    }
    let dir = dir_with(&toml);
    let mut run = Running::start(dir.path());
    run.wait_ok("apple").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fetched = (0..6)
        .map(|i| server.hits(&format!("slow{i}.ics")))
        .sum::<usize>();
    assert!(fetched >= 1, "the slow sources are in flight");
    // The source runs work at a lower priority than the server's answers.
    let threads = run.thread_niceness();
    let ingest: Vec<_> = threads
        .iter()
        .filter(|(name, _)| name.starts_with("babillard-inge"))
        .collect();
    assert!(!ingest.is_empty(), "no ingest thread in {threads:?}");
    assert!(ingest.iter().all(|(_, nice)| *nice == 10), "{threads:?}");
    assert!(
        threads
            .iter()
            .any(|(name, nice)| name.starts_with("tokio-r") && *nice == 0),
        "the server's threads keep their priority: {threads:?}"
    );
    run.signal("TERM");
    // Well under the 6 s that `run` grants a write under way before it
    // aborts: the runs are abandoned at once, not waited for.
    let (status, took) = run.wait_exit(Duration::from_secs(5)).await;
    eprintln!("run stopped {took:?} after SIGTERM (6 slow sources in flight)");
    assert!(status.success(), "{status:?}");

    // Nothing lost, nothing half-written: the store opens and says so.
    let (code, out, err) = babillard(dir.path(), &["sources", "--json"]);
    assert_eq!(code, 0, "{err}");
    let sources: serde_json::Value = serde_json::from_str(&out).unwrap();
    let apple = &sources[0];
    assert_eq!(apple["id"], "apple");
    assert_eq!(apple["status"], "ok");
    assert!(apple["events"].as_u64().unwrap() > 0, "{apple}");
    for s in sources.as_array().unwrap().iter().skip(1) {
        if s["id"].as_str().unwrap().starts_with("slow") {
            assert_eq!(s["status"], "never", "abandoned runs write nothing: {s}");
            assert_eq!(s["events"], 0);
        }
    }
    assert!(search_all(dir.path(), "data")["total"].as_u64().unwrap() > 0);
}

/// `ingest` with a source that hangs (budget 2 s) and two fast ones: the
/// fast ones' lines are printed first, as they end; the slow one fails
/// with a clear error once its budget is spent and keeps its last good
/// events; the whole command ends soon after the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_over_its_budget_fails_alone_and_ingest_prints_each_source_as_it_ends() {
    let server = FixtureServer::start().await;
    let ics = read_fixture(APPLE);
    for p in ["fast1.ics", "fast2.ics", "hangs.ics"] {
        server.put(p, Resource::ok(ics.clone(), "text/calendar"));
    }
    // The aggregator's budget is long; the hanging source has its own.
    let toml = format!(
        "{AGGREGATOR}source_timeout = 120\n\n\
         [[source]]\nid = \"hangs\"\nkind = \"ics\"\nurl = \"{}\"\ntimeout = 2\n\n\
         [[source]]\nid = \"fast1\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"fast2\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("hangs.ics"),
        server.url("fast1.ics"),
        server.url("fast2.ics"),
    );
    let dir = dir_with(&toml);
    // A first ingest where every source answers: the last good events.
    let (code, out, err) = babillard(dir.path(), &["ingest"]);
    assert_eq!(code, 0, "{out}{err}");
    let events_before = {
        let (_, out, _) = babillard(dir.path(), &["sources", "--json"]);
        let s: serde_json::Value = serde_json::from_str(&out).unwrap();
        s[0]["events"].as_u64().unwrap()
    };
    assert!(events_before > 0);
    // Now it hangs (and its bytes changed, so nothing is skipped).
    server.edit("hangs.ics", |r| {
        r.delay = Duration::from_secs(60);
        r.body.extend_from_slice(b"\r\n");
    });
    for p in ["fast1.ics", "fast2.ics"] {
        server.edit(p, |r| r.body.extend_from_slice(b"\r\n"));
    }

    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_babillard"))
        .current_dir(dir.path())
        .arg("ingest")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map(|l| (l.unwrap(), started.elapsed()))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(status.success());
    let lines: Vec<_> = lines
        .into_iter()
        .filter(|(l, _)| !l.starts_with("    "))
        .collect();
    let text: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    assert!(
        lines[0].0.starts_with("fast") && lines[1].0.starts_with("fast"),
        "{text:?}"
    );
    assert!(lines[2].0.starts_with("hangs"), "{text:?}");
    assert!(
        lines[2].0.contains("error") && lines[2].0.contains("[timeout]"),
        "{text:?}"
    );
    assert!(lines[2].0.contains("time budget of 2 s"), "{text:?}");
    // Printed as they ended, not all at the end.
    assert!(
        lines[1].1 + Duration::from_millis(1000) < lines[2].1,
        "the fast lines came at {:?} and {:?}, the slow one at {:?}",
        lines[0].1,
        lines[1].1,
        lines[2].1
    );
    assert!(took < Duration::from_secs(10), "ingest took {took:?}");
    eprintln!("ingest with a 2 s budget took {took:?}");

    let (_, out, _) = babillard(dir.path(), &["sources", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s[0]["id"], "hangs");
    assert_eq!(s[0]["status"], "error");
    assert!(s[0]["last_error"].as_str().unwrap().contains("time budget"));
    assert_eq!(s[0]["events"].as_u64().unwrap(), events_before, "kept");
}

/// `check` refuses a budget out of range, naming the place.
#[test]
fn a_bad_budget_or_retention_is_a_configuration_error() {
    let dir = dir_with(
        "[aggregator]\nsource_timeout = 0\nkeep_past_days = \"long\"\n\n[[source]]\nid = \"apple\"\nurl = \"apple.ics\"\ntimeout = -3\n",
    );
    let (code, _, err) = babillard(dir.path(), &["check", "--offline"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("sources.toml:2:18: `source_timeout` must be a number of seconds"),
        "{err}"
    );
    assert!(
        err.contains("sources.toml:3:18: `keep_past_days` must be an integer"),
        "{err}"
    );
    assert!(
        err.contains("sources.toml:8:11: `timeout` must be a number of seconds"),
        "{err}"
    );
}

/// Logs on a pipe have no colour codes; `--log-format json` writes one
/// JSON object per line, and a source run's lines carry its id.
#[test]
fn logs_are_plain_on_a_pipe_and_json_on_request_with_the_source_id() {
    let dir = dir_with(
        "[[source]]\nid = \"apple\"\nurl = \"apple.ics\"\n\n[[source]]\nid = \"broken\"\nkind = \"ics\"\nurl = \"broken.ics\"\n",
    );
    std::fs::write(dir.path().join("broken.ics"), "<html>not a calendar</html>").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_babillard"))
            .current_dir(dir.path())
            .args(args)
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let text = run(&["--data", "d1", "ingest"]);
    assert!(text.contains("apple"), "{text}");
    assert!(!text.contains("\x1b["), "ANSI codes on a pipe: {text:?}");
    // The span's field shows in text too.
    assert!(
        text.lines()
            .any(|l| l.contains("source_run{source=broken}")),
        "{text}"
    );

    let json = run(&["--data", "d2", "--log-format", "json", "ingest"]);
    let mut of_runs = Vec::new();
    for line in json.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
        if v["span"]["name"] == "source_run" {
            of_runs.push(v);
        }
    }
    assert!(!json.contains("\x1b["));
    for id in ["apple", "broken"] {
        assert!(
            of_runs.iter().any(|v| v["span"]["source"] == id),
            "no line of {id}'s run carries its id: {json}"
        );
    }
    let failed = of_runs
        .iter()
        .find(|v| v["span"]["source"] == "broken" && v["level"] == "WARN")
        .unwrap_or_else(|| panic!("{json}"));
    assert!(failed["fields"]["message"]
        .as_str()
        .unwrap()
        .contains("source failed"));
}

/// An ICS with one event that ended on 2026-06-01 and one on 2026-12-15.
fn past_and_future_ics(extra: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//prune//FR\r\n\
         BEGIN:VEVENT\r\nUID:passe@tests\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART:20260601T230000Z\r\nDTEND:20260602T010000Z\r\nSUMMARY:Concert passé\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:futur@tests\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART:20261215T230000Z\r\nDTEND:20261216T010000Z\r\nSUMMARY:Concert à venir{extra}\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n"
    )
    .into_bytes()
}

fn titles(world: &World, from: &str) -> Vec<String> {
    let mut q = index::Query::from(from.parse().unwrap());
    q.limit = 1000;
    let mut t: Vec<String> = world
        .index
        .query(&q)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.title)
        .collect();
    t.sort();
    t
}

/// Past events (ended more than `keep_past_days` ago) and old fetch logs
/// are pruned from the store and the search index, and a later run that
/// reads the source again does not bring the past event back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_events_and_old_fetch_logs_are_pruned_and_stay_out() {
    let server = FixtureServer::start().await;
    server.put(
        "agenda.ics",
        Resource::ok(past_and_future_ics(""), "text/calendar"),
    );
    let text = format!(
        "{AGGREGATOR}keep_past_days = 90\nkeep_fetch_log_days = 30\n\n\
         [[source]]\nid = \"agenda\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("agenda.ics")
    );
    let world = World::from_config(&text, crate::harness::test_policy());
    // Read on 2026-05-01: both events are ahead.
    let may = std::sync::Arc::new(
        babillard::pipeline::Pipeline::with_policy(
            world.config.clone(),
            world.index.clone(),
            crate::harness::test_policy(),
        )
        .unwrap()
        .at("2026-05-01T00:00:00Z".parse().unwrap()),
    );
    let r = may.ingest(&[], |_| {}).await;
    assert!(
        matches!(r[0].outcome, babillard::pipeline::Outcome::Updated(_)),
        "{}",
        r[0]
    );
    assert_eq!(titles(&world, "2026-01-01T00:00:00Z").len(), 2);
    let past_id = world
        .index
        .query(&index::Query::from("2026-01-01T00:00:00Z".parse().unwrap()))
        .unwrap()
        .events
        .into_iter()
        .find(|e| e.title == "Concert passé")
        .unwrap()
        .id;
    // Nothing to prune yet on that day.
    assert_eq!(may.prune().await.unwrap(), index::Pruned::default());

    // On 2026-11-01 (the world's clock) the past concert ended 153 days
    // ago and the May log row is 184 days old.
    let pruned = world.pipeline.prune().await.unwrap();
    assert_eq!(
        pruned,
        index::Pruned {
            events: 1,
            fetch_log: 1
        }
    );
    assert_eq!(titles(&world, "2026-01-01T00:00:00Z"), ["Concert à venir"]);
    assert!(
        world.index.event(&past_id).unwrap().is_none(),
        "gone from the store"
    );
    // Pruning again finds nothing.
    assert_eq!(
        world.pipeline.prune().await.unwrap(),
        index::Pruned::default()
    );

    // The source changes and is read again: the past event stays out.
    server.edit("agenda.ics", |r| r.body = past_and_future_ics(" (complet)"));
    let r = world.ingest_one("agenda").await;
    match &r.outcome {
        babillard::pipeline::Outcome::Updated(c) => assert_eq!(c.found, 1, "{r}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        titles(&world, "2026-01-01T00:00:00Z"),
        ["Concert à venir (complet)"]
    );
    assert!(world.index.event(&past_id).unwrap().is_none());
}

/// `backup` while `run` is in its first pass (a slow source in flight)
/// writes a valid database; `restore` puts it into a new data directory
/// and rebuilds the index: the same events; a directory holding a store
/// is refused without --force and replaced with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_during_an_ingest_restores_the_same_events() {
    let server = FixtureServer::start().await;
    let mut slow = Resource::ok(read_fixture(APPLE), "text/calendar");
    slow.delay = Duration::from_secs(20);
    server.put("slow.ics", slow);
    let toml = format!(
        "{AGGREGATOR}\n[[source]]\nid = \"apple\"\nkind = \"ics\"\nurl = \"apple.ics\"\n\n\
         [[source]]\nid = \"slow\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("slow.ics")
    );
    let dir = dir_with(&toml);
    let mut run = Running::start(dir.path());
    run.wait_ok("apple").await;
    // The search index is committed just after the store: wait for it.
    let mut original = search_all(dir.path(), "data");
    for _ in 0..100 {
        if original["total"].as_u64().unwrap() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        original = search_all(dir.path(), "data");
    }
    assert!(original["total"].as_u64().unwrap() > 0);
    assert_eq!(server.hits("slow.ics"), 1, "the first pass is under way");

    let (code, out, err) = babillard(dir.path(), &["backup", "--out", "copy.sqlite"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("backed up"), "{out}");
    // A valid database on its own: no WAL beside it, the integrity check
    // passes (restore checks it).
    assert!(!dir.path().join("copy.sqlite-wal").exists());
    run.signal("TERM");
    run.wait_exit(Duration::from_secs(15)).await;

    let (code, out, err) = babillard(
        dir.path(),
        &["--data", "restored", "restore", "copy.sqlite"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("search index rebuilt"), "{out}");
    let restored = search_all(dir.path(), "restored");
    assert_eq!(ids(&restored), ids(&original));
    assert_eq!(restored["total"], original["total"]);

    // A data directory that holds a store: refused, left as it was.
    let (code, _, err) = babillard(
        dir.path(),
        &["--data", "restored", "restore", "copy.sqlite"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("already holds a store") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(ids(&search_all(dir.path(), "restored")), ids(&original));
    // Not a backup: refused, nothing touched.
    std::fs::write(dir.path().join("junk.sqlite"), "not a database").unwrap();
    let (code, _, err) = babillard(
        dir.path(),
        &["--data", "restored", "restore", "junk.sqlite", "--force"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("is not a babillard backup"), "{err}");
    assert_eq!(ids(&search_all(dir.path(), "restored")), ids(&original));
    // --force replaces it; nothing left aside once it succeeded.
    let (code, out, err) = babillard(
        dir.path(),
        &["--data", "restored", "restore", "copy.sqlite", "--force"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("replacing"), "{out}");
    assert_eq!(ids(&search_all(dir.path(), "restored")), ids(&original));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("restored"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("before-restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
