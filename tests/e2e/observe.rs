//! Telling the staff when something breaks: `/metrics` parsed by a real
//! Prometheus text parser after an ingest against local servers.

use std::collections::HashMap;

use prometheus_parse::{Sample, Scrape, Value};

use crate::harness::{FixtureServer, Resource, World};

/// GET `url` and return the body.
async fn get_text(url: &str) -> String {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.text().await.unwrap()
}

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
}

/// The samples of `metric` whose labels include every one of `labels`.
fn find<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect()
}

fn one<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> &'a Sample {
    let found = find(scrape, metric, labels);
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    found[0]
}

fn counter(s: &Sample) -> f64 {
    match s.value {
        Value::Counter(v) => v,
        ref other => panic!("{} is not a counter: {other:?}", s.metric),
    }
}

fn gauge(s: &Sample) -> f64 {
    match s.value {
        Value::Gauge(v) => v,
        ref other => panic!("{} is not a gauge: {other:?}", s.metric),
    }
}

/// The `+Inf` bucket: how many observations the histogram holds.
fn histogram_count(s: &Sample) -> f64 {
    match &s.value {
        Value::Histogram(buckets) => buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map(|b| b.count)
            .unwrap_or_else(|| panic!("{} has no +Inf bucket", s.metric)),
        other => panic!("{} is not a histogram: {other:?}", s.metric),
    }
}

#[tokio::test]
async fn metrics_after_an_ingest_parse_as_prometheus_text_with_every_family() {
    let server = FixtureServer::start().await;
    server.put_fixture(
        "agenda.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    server.put(
        "gone.ics",
        Resource {
            status: 404,
            ..Resource::ok(Vec::new(), "text/plain")
        },
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"obs-metrics-good\"\nurl = \"{}\"\n\n[[source]]\nid = \"obs-metrics-gone\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("agenda.ics"),
        server.url("gone.ics"),
    ));
    let reports = world.ingest().await;
    assert_eq!(reports.len(), 2);
    // Twice: the second answers 304 (not_modified) or the same bytes.
    world.ingest_one("obs-metrics-good").await;
    let base = world.serve().await;
    // The same query twice: one render (a miss), then the answer cache.
    get_text(&format!("{base}/api/v1/events?q=obs-metrics")).await;
    get_text(&format!("{base}/api/v1/events?q=obs-metrics")).await;
    let text = get_text(&format!("{base}/metrics")).await;
    let scrape = parse(&text);

    // Fetches by source and class.
    assert!(
        counter(one(
            &scrape,
            "babillard_fetches_total",
            &[("source", "obs-metrics-good"), ("class", "ok")]
        )) >= 1.0
    );
    let gone = one(
        &scrape,
        "babillard_fetches_total",
        &[("source", "obs-metrics-gone")],
    );
    assert_eq!(gone.labels.get("class"), Some("status_4xx"), "{gone:?}");
    assert_eq!(counter(gone), 1.0);
    let good_fetches: f64 = find(
        &scrape,
        "babillard_fetches_total",
        &[("source", "obs-metrics-good")],
    )
    .iter()
    .map(|s| counter(s))
    .sum();
    assert_eq!(good_fetches, 2.0, "two runs, two fetches");

    // Durations, as histograms, one observation per run.
    let fetch = one(
        &scrape,
        "babillard_fetch_duration_seconds",
        &[("source", "obs-metrics-good")],
    );
    assert_eq!(histogram_count(fetch), 2.0);
    let run = one(
        &scrape,
        "babillard_source_run_duration_seconds",
        &[("source", "obs-metrics-gone")],
    );
    assert_eq!(histogram_count(run), 1.0);
    let commits = one(&scrape, "babillard_index_commit_seconds", &[]);
    assert!(histogram_count(commits) >= 1.0);

    // Events by status, sizes, the source gauges.
    let events = world.index.sources().unwrap();
    let good_events = events
        .iter()
        .find(|s| s.id == "obs-metrics-good")
        .unwrap()
        .events;
    assert!(good_events > 0);
    assert_eq!(
        gauge(one(
            &scrape,
            "babillard_source_events",
            &[("source", "obs-metrics-good")]
        )),
        good_events as f64
    );
    assert_eq!(
        gauge(one(
            &scrape,
            "babillard_source_up",
            &[("source", "obs-metrics-gone")]
        )),
        0.0
    );
    let stats = world.index.stats().unwrap();
    let by_status: HashMap<&str, f64> = find(&scrape, "babillard_events", &[])
        .into_iter()
        .map(|s| (s.labels.get("status").unwrap(), gauge(s)))
        .collect();
    for (status, n) in &stats.events_by_status {
        assert_eq!(
            by_status.get(status.as_str()),
            Some(&(*n as f64)),
            "{status}"
        );
    }
    assert!(by_status.get("scheduled").copied().unwrap_or(0.0) > 0.0);
    assert!(gauge(one(&scrape, "babillard_database_bytes", &[])) > 0.0);
    assert!(gauge(one(&scrape, "babillard_search_index_bytes", &[])) > 0.0);

    // Requests and the answer cache.
    assert!(
        counter(one(
            &scrape,
            "babillard_http_requests_total",
            &[("route", "/api/v1/events"), ("status", "200")]
        )) >= 2.0
    );
    assert!(
        counter(one(
            &scrape,
            "babillard_answer_cache_total",
            &[("result", "hit")]
        )) >= 1.0
    );
    assert!(
        counter(one(
            &scrape,
            "babillard_answer_cache_total",
            &[("result", "miss")]
        )) >= 1.0
    );
    assert!(text.contains("# TYPE babillard_fetch_duration_seconds histogram"));
}

/// The 1-based line and column where `needle` starts in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fetches_every_source_and_warns_of_exactly_those_that_answer_nothing_usable() {
    let server = FixtureServer::start().await;
    server.put_fixture(
        "agenda.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    server.put(
        "ancien-agenda.ics",
        Resource {
            status: 404,
            ..Resource::ok(Vec::new(), "text/plain")
        },
    );
    server.put_fixture(
        "programmation.pdf",
        "health/programmation.pdf",
        "application/pdf",
    );
    server.put_fixture(
        "a-propos/",
        "health/no_events.html",
        "text/html; charset=utf-8",
    );
    // A closed port: bound, then released.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let urls = [
        ("bon", server.url("agenda.ics")),
        ("disparu", server.url("ancien-agenda.ics")),
        ("ferme", format!("http://127.0.0.1:{closed}/agenda.ics")),
        ("brochure", server.url("programmation.pdf")),
        ("vide", server.url("a-propos/")),
    ];
    let mut toml = crate::harness::AGGREGATOR.to_string();
    for (id, url) in &urls {
        toml.push_str(&format!("\n[[source]]\nid = \"{id}\"\nurl = \"{url}\"\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), &toml).unwrap();

    let d = dir.path().to_path_buf();
    let started = std::time::Instant::now();
    let (code, out, err) =
        tokio::task::spawn_blocking(move || crate::harness::babillard(&d, &["check"]))
            .await
            .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "bounded in time"
    );
    assert_eq!(code, 0, "the configuration is valid: {out}\n{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains(": warning: ")).collect();
    assert_eq!(warnings.len(), 4, "exactly the bad ones:\n{err}");
    let expect = |id: &str, what: &[&str]| {
        let url = &urls.iter().find(|(i, _)| *i == id).unwrap().1;
        let (line, col) = position(&toml, &format!("\"{url}\""));
        let prefix = format!("sources.toml:{line}:{col}: warning: source {id}: ");
        let line = warnings
            .iter()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no warning {prefix}:\n{err}"));
        assert!(line.contains(" ; "), "says what to do: {line}");
        for w in what {
            assert!(line.contains(w), "{w} in {line}");
        }
    };
    expect("disparu", &["404", "check the URL"]);
    expect("ferme", &["connection", "check the host and port"]);
    expect("brochure", &["pdf", "not a document"]);
    expect("vide", &["nothing was recognized", "selectors"]);
    assert!(!err.contains("source bon:"), "{err}");
    // The detected kind of the good one is shown.
    assert!(
        out.lines()
            .any(|l| l.contains("bon") && l.contains("ics (detected)")),
        "{out}"
    );
    assert_eq!(server.hits("agenda.ics"), 1, "each source fetched once");

    // Offline: nothing fetched, nothing warned.
    let d = dir.path().to_path_buf();
    let (code, _out, err) =
        tokio::task::spawn_blocking(move || crate::harness::babillard(&d, &["check", "--offline"]))
            .await
            .unwrap();
    assert_eq!(code, 0);
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(server.hits("agenda.ics"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_warns_of_a_host_name_that_does_not_resolve_with_class_dns() {
    let server = FixtureServer::start().await;
    server.put_fixture(
        "agenda.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    // Names resolve through this table only (BABILLARD_HOSTS): no DNS
    // query leaves the machine, and a name missing from it does not
    // resolve.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hosts"),
        "# the members' hosts, for this test\n127.0.0.1 agenda.maison.test\n",
    )
    .unwrap();
    let good = server
        .url("agenda.ics")
        .replace("127.0.0.1", "agenda.maison.test");
    let bad = server
        .url("agenda.ics")
        .replace("127.0.0.1", "agenda.maison-typo.test");
    let toml = format!(
        "{}\n[[source]]\nid = \"bon\"\nurl = \"{good}\"\n\n[[source]]\nid = \"faute\"\nurl = \"{bad}\"\n",
        crate::harness::AGGREGATOR
    );
    std::fs::write(dir.path().join("sources.toml"), &toml).unwrap();
    let d = dir.path().to_path_buf();
    let hosts = dir.path().join("hosts").display().to_string();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        crate::notify::babillard_env(&d, &["check"], &[("BABILLARD_HOSTS", &hosts)])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "the configuration is valid: {out}\n{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains(": warning: ")).collect();
    assert_eq!(
        warnings.len(),
        1,
        "only the name that does not resolve:\n{err}"
    );
    let (line, col) = position(&toml, &format!("\"{bad}\""));
    let prefix = format!("sources.toml:{line}:{col}: warning: source faute: ");
    assert!(warnings[0].starts_with(&prefix), "{prefix} in {err}");
    for what in [
        "DNS lookup failed",
        "agenda.maison-typo.test",
        "the name does not resolve: check the spelling of the host",
    ] {
        assert!(warnings[0].contains(what), "{what} in {}", warnings[0]);
    }
    // The mapped name reached the server on loopback.
    assert_eq!(server.hits("agenda.ics"), 1);
    assert!(
        out.lines()
            .any(|l| l.contains("bon") && l.contains("ics (detected)")),
        "{out}"
    );
}

#[tokio::test]
async fn a_silent_zero_is_a_warning_stored_on_the_source_with_the_likely_fix() {
    let server = FixtureServer::start().await;
    server.put_fixture(
        "a-propos/",
        "health/no_events.html",
        "text/html; charset=utf-8",
    );
    server.put_fixture(
        "agenda/",
        "health/announces_feed.html",
        "text/html; charset=utf-8",
    );
    server.put_fixture(
        "saison.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    server.put_fixture("bon.ics", "ics/google_calendar_export.ics", "text/calendar");
    let world = World::new(&format!(
        "[[source]]\nid = \"vide\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"agenda-js\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"saison\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"bon\"\nurl = \"{}\"\n",
        server.url("a-propos/"),
        server.url("agenda/"),
        server.url("saison.ics"),
        server.url("bon.ics"),
    ));
    for r in world.ingest().await {
        assert!(
            matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
            "{r}"
        );
    }
    let warned = |id: &str| -> Vec<String> {
        let all = world.index.sources().unwrap();
        let s = all.iter().find(|s| s.id == id).unwrap().clone();
        assert_eq!(s.status, "ok", "{s:?}");
        s.warnings
    };
    // A page with no structured data and no selectors.
    let w = warned("vide").join("\n");
    assert!(w.contains("add [source.selectors]"), "{w}");
    // A page that announces its feeds: the first one is named, absolute.
    let w = warned("agenda-js").join("\n");
    assert!(
        w.contains(&format!("url = \"{}\"", server.url("feed/"))),
        "{w}"
    );
    // Sources that give events are not warned.
    assert!(warned("saison").is_empty());
    assert!(warned("bon").is_empty());

    // A calendar that used to give events and now gives none.
    let before = world
        .index
        .sources()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "saison")
        .unwrap()
        .events;
    assert!(before > 0);
    server.edit("saison.ics", |r| {
        r.body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 15.1//EN\r\nCALSCALE:GREGORIAN\r\nEND:VCALENDAR\r\n".to_vec();
    });
    let r = world.ingest_one("saison").await;
    assert!(
        matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
        "{r}"
    );
    let w = warned("saison").join("\n");
    assert!(
        w.contains(&format!("gave {before} until now")) && w.contains("check the URL"),
        "{w}"
    );

    // Shown by the API and the sources page, which does not say "En ordre".
    let base = world.serve().await;
    let api: serde_json::Value =
        serde_json::from_str(&get_text(&format!("{base}/api/v1/sources")).await).unwrap();
    let list = api
        .as_array()
        .or_else(|| api["sources"].as_array())
        .unwrap();
    let vide = list.iter().find(|s| s["id"] == "vide").unwrap();
    assert!(
        vide["warnings"]
            .to_string()
            .contains("add [source.selectors]"),
        "{vide}"
    );
    let page = reqwest::Client::new()
        .get(format!("{base}/sources"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("● En ordre</td>").count(), 1, "{page}");
    assert_eq!(page.matches("▲ À vérifier</td>").count(), 3, "{page}");
}

/// An SMTP server on 127.0.0.1 (Python's aiosmtpd) that keeps every
/// message in a maildir; stopped when dropped.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let maildir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let child = std::process::Command::new("python3")
            .env("PYTHONPATH", root.join("target/pyclients"))
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup-test-clients)");
        let sink = SmtpSink {
            child,
            port,
            maildir,
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every message received, its quoted-printable body decoded.
    fn decoded(&self) -> Vec<String> {
        self.messages()
            .iter()
            .map(|m| quoted_printable(m))
            .collect()
    }

    /// Every message received, as text.
    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(dir) = std::fs::read_dir(self.maildir.path().join("box").join(sub)) else {
                continue;
            };
            for e in dir.flatten() {
                out.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
        out
    }
}

/// Undo quoted-printable (soft line breaks and `=XX` bytes).
pub(crate) fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn notify_sends_one_failure_and_one_recovery_message_across_a_restart() {
    let smtp = SmtpSink::start().await;
    let server = FixtureServer::start().await;
    server.put_fixture(
        "agenda.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    server.edit("agenda.ics", |r| r.status = 503);
    let text = format!(
        "{}\n[[source]]\nid = \"maison\"\nname = \"Maison des arts\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [notify]\nafter_secs = 1\nsmtp = \"smtp://127.0.0.1:{}\"\nfrom = \"babillard@agenda.example.org\"\n\
         to = [\"culture@laval.example\", \"veille@laval.example\"]\n",
        crate::harness::AGGREGATOR,
        server.url("agenda.ics"),
        smtp.port
    );
    let world = World::from_config(&text, crate::harness::test_policy());
    // Failing, but not yet for `after`: nothing sent.
    let r = world.ingest_one("maison").await;
    assert!(
        matches!(r.outcome, babillard::pipeline::Outcome::Failed { .. }),
        "{r}"
    );
    assert!(smtp.messages().is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Failing for longer: one message; the runs after it send nothing.
    world.ingest_one("maison").await;
    world.ingest_one("maison").await;
    let got = smtp.decoded();
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert!(m.contains("Subject:"), "{m}");
    assert!(
        m.contains("culture@laval.example") && m.contains("veille@laval.example"),
        "{m}"
    );
    let fr = m.find("ne donne rien d'utilisable").expect(m);
    let en = m.find("has given nothing usable").expect(m);
    assert!(fr < en, "French first: {m}");
    assert!(m.contains("503"), "the cause: {m}");

    // A restart (a new pipeline over the same store) does not send again.
    let restarted = babillard::pipeline::Pipeline::with_policy(
        std::sync::Arc::clone(&world.config),
        std::sync::Arc::clone(&world.index),
        crate::harness::test_policy(),
    )
    .unwrap()
    .at(crate::harness::fixture_now());
    restarted
        .run_source(&world.config.source("maison").unwrap())
        .await;
    assert_eq!(smtp.messages().len(), 1);

    // Recovered: one message, once.
    server.edit("agenda.ics", |r| r.status = 200);
    let r = restarted
        .run_source(&world.config.source("maison").unwrap())
        .await;
    assert!(
        matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
        "{r}"
    );
    restarted
        .run_source(&world.config.source("maison").unwrap())
        .await;
    let got = smtp.decoded();
    assert_eq!(got.len(), 2, "{got:?}");
    let recovery = got
        .iter()
        .find(|m| m.contains("fonctionne de nouveau"))
        .expect("a recovery message");
    assert!(recovery.contains("works again"), "{recovery}");
}
