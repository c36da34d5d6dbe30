//! `babillard export`: the static publication served by a plain static
//! server (Python's `http.server`) reads as the live server answers: the
//! feed, the JSON listing, the event pages with their JSON-LD, the widget in
//! static mode; and the real binary exports the repository's own examples.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use serde_json::Value;

use crate::harness::{babillard, client, get_json, listing_pages, page_ids, World};

/// A static file server on 127.0.0.1, killed when dropped.
struct StaticServer {
    child: Child,
    base: String,
}

impl StaticServer {
    async fn start(port: u16, dir: &Path) -> StaticServer {
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 -m http.server: {e}"));
        let server = StaticServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(r) = client().get(format!("{}/", server.base)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the static server did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = client()
            .get(format!("{}/{}", self.base, path.trim_start_matches('/')))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn world_with_fixtures() -> World {
    World::with_ics_fixtures(&[
        "google_calendar_export",
        "outlook_eastern_standard_time",
        "apple_calendar_export",
        "wordpress_the_events_calendar",
        "eventbrite_export",
        "montreal_alias_tzid",
    ])
    .await
}

/// Every id of a listing, following `next_cursor`, and its total.
async fn live_ids(api: &str, query: &str) -> (Vec<String>, u64) {
    let pages = listing_pages(&format!("{api}/api/v1/events?{query}&limit=1000")).await;
    let total = pages.last().and_then(|p| p["total"].as_u64()).unwrap();
    (page_ids(&pages), total)
}

fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
}

fn python_ics_events(file: &Path) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/clients/validate_ics.py"))
        .arg(file)
        .env("PYTHONPATH", root.join("target/pyclients"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        out.status.success(),
        "python icalendar rejected the exported feed:\n{}\n(if a module is missing, run scripts/setup-test-clients)",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The JSON-LD objects of an HTML page.
fn json_ld(html: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("application/ld+json") {
        rest = &rest[at..];
        let Some(open) = rest.find('>') else { break };
        let Some(close) = rest.find("</script>") else {
            break;
        };
        if let Ok(v) = serde_json::from_str::<Value>(&rest[open + 1..close]) {
            out.push(v);
        }
        rest = &rest[close..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_served_by_a_static_server_reads_like_the_live_one() {
    let world = world_with_fixtures().await;
    let api = world.serve().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let out = world.dir.path().join("public");
    let report = publish::export::export(world.state(), &out, Some(&base))
        .await
        .unwrap_or_else(|e| panic!("export failed: {e}"));
    println!("{report}");
    // Everything is exported but the OpenAPI document, which is optional.
    for s in &report.skipped {
        assert!(
            s.file == "api/v1/openapi.json",
            "{} was left out: {} answered {}",
            s.file,
            s.route,
            s.status
        );
    }
    let statics = StaticServer::start(port, &out).await;

    // The listing: every upcoming event, as the live API lists them.
    let now = Utc::now();
    let (want, total) = live_ids(
        &api,
        &format!("from={}", now.to_rfc3339_opts(SecondsFormat::Secs, true)),
    )
    .await;
    assert!(total > 10, "the fixtures give {total} upcoming events");
    let (status, body) = statics.get("api/v1/events.json").await;
    assert_eq!(status, 200);
    let listing: Value = serde_json::from_str(&body).unwrap();
    let got: Vec<String> = listing["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want, "api/v1/events.json lists what the API lists");
    assert_eq!(listing["total"].as_u64(), Some(total));
    assert_eq!(listing["next_cursor"], Value::Null);
    assert_eq!(report.events as u64, total);

    // The RSS feeds: the next 50 upcoming events, in order, each linking to
    // its exported page; and per category.
    let from = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    for (path, query) in [
        ("feeds/events.rss", format!("from={from}")),
        (
            "feeds/category/musique.rss",
            format!("from={from}&category=musique"),
        ),
    ] {
        let (status, rss) = statics.get(path).await;
        assert_eq!(status, 200, "{path} is exported");
        assert!(rss.contains("<rss"), "{rss}");
        let guids: Vec<&str> = rss
            .split("<guid isPermaLink=\"false\">")
            .skip(1)
            .filter_map(|item| item.split('<').next())
            .collect();
        let (upcoming, _) = live_ids(&api, &query).await;
        assert_eq!(guids, upcoming[..upcoming.len().min(50)], "{path}: {rss}");
        for id in &guids {
            let link = format!("<link>{base}/events/{id}</link>");
            assert!(rss.contains(&link), "{path}: {link}");
        }
    }
    assert!(
        statics.get("feeds/events.rss").await.1.contains("<item>"),
        "the fixtures give upcoming events"
    );

    // The feed: one VEVENT per event of the live feed's window, read by
    // Python's icalendar, and every link to an event page answers.
    let (status, feed) = statics.get("feeds/events.ics").await;
    assert_eq!(status, 200);
    let window_from = now - chrono::Duration::days(publish::feeds::FEED_PAST_DAYS);
    let (window_ids, window_total) = live_ids(
        &api,
        &format!(
            "from={}",
            window_from.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    )
    .await;
    assert_eq!(feed.matches("BEGIN:VEVENT").count() as u64, window_total);
    let feed_file = world.dir.path().join("exported-feed.ics");
    std::fs::write(&feed_file, &feed).unwrap();
    assert_eq!(python_ics_events(&feed_file).len() as u64, window_total);
    let page_links: Vec<String> = unfold(&feed)
        .lines()
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.starts_with("URL")))
        .map(|(_, v)| v.to_string())
        .filter(|v| v.starts_with(&format!("{base}/events/")))
        .collect();
    // Events without their own URL link to their page here: the fixtures
    // have some, so an empty list means the links are gone.
    assert!(!page_links.is_empty(), "no link to an event page in {feed}");
    for link in &page_links {
        let r = client().get(link).send().await.unwrap();
        assert_eq!(r.status(), 200, "{link}");
    }
    assert_eq!(report.event_pages, window_ids.len());

    // Per category.
    let (musique, _) = live_ids(
        &api,
        &format!(
            "from={}&category=musique",
            window_from.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    )
    .await;
    let (status, cat_feed) = statics.get("feeds/category/musique.ics").await;
    assert_eq!(status, 200);
    assert_eq!(cat_feed.matches("BEGIN:VEVENT").count(), musique.len());
    let (status, _) = statics.get("feeds/category/theatre.ics").await;
    assert_eq!(status, 200);

    // An event page, at /events/{id} (redirected to the folder) and
    // /events/{id}/, with its JSON-LD; its JSON and its calendar.
    let id = &want[0];
    let (_, live_event) = get_json(&format!("{api}/api/v1/events/{id}")).await;
    for path in [format!("events/{id}"), format!("events/{id}/")] {
        let (status, html) = statics.get(&path).await;
        assert_eq!(status, 200, "{path}");
        let ld = json_ld(&html);
        let event = ld
            .iter()
            .find(|v| v["@type"] == "Event")
            .unwrap_or_else(|| panic!("{path}: no schema.org Event JSON-LD in {html}"));
        assert_eq!(event["name"], live_event["title"], "{path}");
        assert!(event["startDate"].is_string(), "{event}");
    }
    let (status, body) = statics.get(&format!("api/v1/events/{id}.json")).await;
    assert_eq!(status, 200);
    let exported_event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(exported_event, live_event);
    let (status, one) = statics.get(&format!("events/{id}.ics")).await;
    assert_eq!(status, 200);
    assert_eq!(one.matches("BEGIN:VEVENT").count(), 1);

    // The widget reads the static JSON.
    let (status, widget) = statics.get("widget.js").await;
    assert_eq!(status, 200);
    assert!(widget.contains("const BABILLARD_STATIC = true;"));
    assert!(!widget.contains("const BABILLARD_STATIC = false;"));

    // The rest of the publication.
    for path in [
        "index.html",
        "sources/",
        "embed/",
        "api/v1/categories.json",
        "api/v1/venues.json",
        "api/v1/sources.json",
    ] {
        let (status, _) = statics.get(path).await;
        assert_eq!(status, 200, "{path}");
    }
    let (_, categories) = statics.get("api/v1/categories.json").await;
    let categories: Value = serde_json::from_str(&categories).unwrap();
    assert!(
        categories
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == "musique"),
        "{categories}"
    );
    // Every link of every exported page to the site itself answers on the
    // static host (with its query dropped, as a static host does).
    let mut links = std::collections::BTreeSet::new();
    let mut stack = vec![out.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let html = std::fs::read_to_string(&path).unwrap();
                for attr in ["href=\"", "src=\"", "action=\""] {
                    for piece in html.split(attr).skip(1) {
                        let value = piece.split('"').next().unwrap_or("");
                        if value.starts_with('/') && !value.starts_with("//") {
                            let bare = value.split(['?', '#']).next().unwrap_or("/");
                            links.insert(bare.to_string());
                        }
                    }
                }
            }
        }
    }
    assert!(links.len() > 10, "{links:?}");
    for link in &links {
        let (status, _) = statics.get(link).await;
        assert_eq!(status, 200, "{link} is linked from an exported page");
    }
    drop(statics);

    // A second export replaces the first whole; nothing is left beside it.
    std::fs::write(out.join("stale.txt"), "from before").unwrap();
    publish::export::export(world.state(), &out, None)
        .await
        .unwrap();
    assert!(!out.join("stale.txt").exists());
    assert!(out.join("index.html").is_file());
    let beside: Vec<String> = std::fs::read_dir(world.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    // Without --base-url, links use the configured base URL.
    let feed = std::fs::read_to_string(out.join("feeds/events.ics")).unwrap();
    assert!(!unfold(&feed).contains(&base));
}

#[test]
fn the_binary_exports_the_repository_examples() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = root.join("sources.toml");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("site");
    let common = [
        "--config",
        config.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    let args = |rest: &[&str]| -> Vec<String> {
        common
            .iter()
            .chain(rest.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |rest: &[&str]| {
        let a = args(rest);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        babillard(tmp.path(), &a)
    };
    let (code, stdout, stderr) = run(&["ingest"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--base-url",
        "https://agenda.example.org/",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("exported to"), "{stdout}");
    for file in [
        "index.html",
        "sources/index.html",
        "embed/index.html",
        "widget.js",
        "feeds/events.ics",
        "api/v1/events.json",
        "api/v1/categories.json",
        "api/v1/venues.json",
        "api/v1/sources.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing; {stdout}");
    }
    let listing: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("api/v1/events.json")).unwrap())
            .unwrap();
    let events = listing["events"].as_array().unwrap();
    assert!(
        !events.is_empty(),
        "the examples always have upcoming events"
    );
    for e in events {
        let id = e["id"].as_str().unwrap();
        assert!(
            out.join(format!("events/{id}/index.html")).is_file(),
            "{id}"
        );
        assert!(out.join(format!("events/{id}.ics")).is_file(), "{id}");
    }
    let feed = std::fs::read_to_string(out.join("feeds/events.ics")).unwrap();
    assert!(
        unfold(&feed).contains("https://agenda.example.org/events/"),
        "links use --base-url"
    );
    // The sources page knows each source's next run.
    let sources: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("api/v1/sources.json")).unwrap())
            .unwrap();
    assert!(
        sources
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["next_run"].is_string()),
        "{sources}"
    );

    // A folder that is not an export is refused and left alone.
    let precious = tmp.path().join("documents");
    std::fs::create_dir_all(&precious).unwrap();
    std::fs::write(precious.join("thesis.odt"), "precious").unwrap();
    let (code, _, stderr) = run(&["export", "--out", precious.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not an earlier export"), "{stderr}");
    assert!(precious.join("thesis.odt").is_file());
    // A bad base URL is said so.
    let (code, _, stderr) = run(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--base-url",
        "agenda.example.org",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("base URL"), "{stderr}");
    assert!(out.join("index.html").is_file(), "the old export stays");
}
