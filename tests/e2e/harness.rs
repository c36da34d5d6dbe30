//! The end-to-end harness: a fixture server on 127.0.0.1 whose answers a
//! test changes at will (body, status, delay, ETag), a configuration in a
//! temporary folder pointing at it, the real pipeline, and the real router
//! served on 127.0.0.1.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use babillard::config::Config;
use babillard::pipeline::{Pipeline, RunReport};
use index::Index;
use ingest::fetch::FetchPolicy;
use publish::{AppState, NextRuns};

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// What the fixture server answers for one path.
#[derive(Clone, Debug)]
pub struct Resource {
    pub body: Vec<u8>,
    pub content_type: String,
    pub status: u16,
    pub delay: Duration,
    /// Answer ETag and honour If-None-Match.
    pub etag: bool,
}

impl Resource {
    pub fn ok(body: Vec<u8>, content_type: &str) -> Resource {
        Resource {
            body,
            content_type: content_type.to_string(),
            status: 200,
            delay: Duration::ZERO,
            etag: true,
        }
    }
}

#[derive(Default)]
struct ServerState {
    resources: HashMap<String, Resource>,
    hits: HashMap<String, usize>,
    not_modified: HashMap<String, usize>,
}

/// A fixture server on 127.0.0.1.
#[derive(Clone)]
pub struct FixtureServer {
    pub base: String,
    state: Arc<Mutex<ServerState>>,
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        let state = Arc::new(Mutex::new(ServerState::default()));
        let app = axum::Router::new()
            .fallback(axum::routing::get(serve_fixture))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FixtureServer {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn put(&self, path: &str, res: Resource) {
        self.state
            .lock()
            .unwrap()
            .resources
            .insert(path.trim_start_matches('/').to_string(), res);
    }

    pub fn put_fixture(&self, path: &str, fixture_rel: &str, content_type: &str) {
        self.put(path, Resource::ok(read_fixture(fixture_rel), content_type));
    }

    /// Serve a fixture whose links to `origins` (e.g. `https://maisondesarts.example`)
    /// point at this server instead, so that nothing is fetched off the machine.
    pub fn put_rewritten(
        &self,
        path: &str,
        fixture_rel: &str,
        content_type: &str,
        origins: &[&str],
    ) {
        let mut text = String::from_utf8_lossy(&read_fixture(fixture_rel)).into_owned();
        for origin in origins {
            text = text.replace(origin, &self.base);
            text = text.replace(&origin.replace('/', "\\/"), &self.base.replace('/', "\\/"));
        }
        self.put(path, Resource::ok(text.into_bytes(), content_type));
    }

    pub fn edit(&self, path: &str, f: impl FnOnce(&mut Resource)) {
        let mut st = self.state.lock().unwrap();
        let res = st
            .resources
            .get_mut(path.trim_start_matches('/'))
            .expect("no such resource");
        f(res);
    }

    pub fn hits(&self, path: &str) -> usize {
        *self
            .state
            .lock()
            .unwrap()
            .hits
            .get(path.trim_start_matches('/'))
            .unwrap_or(&0)
    }

    pub fn not_modified(&self, path: &str) -> usize {
        *self
            .state
            .lock()
            .unwrap()
            .not_modified
            .get(path.trim_start_matches('/'))
            .unwrap_or(&0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}

/// Resources are keyed by path and query (`evenements?page=1`); a request
/// whose exact path and query are not known gets the resource of its path.
async fn serve_fixture(
    State(state): State<Arc<Mutex<ServerState>>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let bare = uri.path().trim_start_matches('/').to_string();
    let full = match uri.query() {
        Some(q) => format!("{bare}?{q}"),
        None => bare.clone(),
    };
    let (path, res) = {
        let mut st = state.lock().unwrap();
        let path = if st.resources.contains_key(&full) {
            full
        } else {
            bare
        };
        *st.hits.entry(path.clone()).or_default() += 1;
        let res = st.resources.get(&path).cloned();
        (path, res)
    };
    let Some(res) = res else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if !res.delay.is_zero() {
        tokio::time::sleep(res.delay).await;
    }
    let status = StatusCode::from_u16(res.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status != StatusCode::OK {
        return (status, "fixture error").into_response();
    }
    let etag = format!("\"{:x}\"", fnv(&res.body));
    if res.etag {
        let inm = headers.get("if-none-match").and_then(|v| v.to_str().ok());
        if inm == Some(etag.as_str()) {
            *state.lock().unwrap().not_modified.entry(path).or_default() += 1;
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            r.headers_mut()
                .insert("etag", HeaderValue::from_str(&etag).unwrap());
            return r;
        }
    }
    let mut r = (StatusCode::OK, res.body).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_str(&res.content_type).unwrap(),
    );
    if res.etag {
        r.headers_mut()
            .insert("etag", HeaderValue::from_str(&etag).unwrap());
    }
    r
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A configuration in a temporary folder, the index, the pipeline and the
/// router.
pub struct World {
    pub dir: tempfile::TempDir,
    pub config: Arc<Config>,
    pub index: Arc<Index>,
    pub pipeline: Arc<Pipeline>,
}

pub const AGGREGATOR: &str = r#"[aggregator]
name = "Signé Laval (tests)"
base_url = "https://agenda.example.org"
timezone = "America/Toronto"
languages = ["fr", "en"]
horizon_days = 365
allow_private_networks = true
"#;

pub const TAXONOMY: &str = r#"
[[venue]]
id = "maison-des-arts"
name = "Maison des arts de Laval"
aliases = ["MDA", "Salle Alfred-Pellan"]
address = "1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1"
city = "Laval"
lat = 45.5605
lon = -73.7130

[[category]]
slug = "musique"
name = { fr = "Musique", en = "Music" }
matches = ["music", "concert", "chanson", "musique"]

[[category]]
slug = "theatre"
name = { fr = "Théâtre", en = "Theatre" }
matches = ["théâtre", "theatre", "theater"]
"#;

/// The day the fixtures were made, as the pipeline's clock.
pub fn fixture_now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-01T00:00:00Z".parse().unwrap()
}

/// A fast-failing fetch policy for tests on loopback.
pub fn test_policy() -> FetchPolicy {
    FetchPolicy {
        allow_private_networks: true,
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(2),
        max_body_bytes: 2 * 1024 * 1024,
        max_retries: 1,
        retry_base_delay: Duration::from_millis(10),
        max_retry_wait: Duration::from_millis(100),
        ..FetchPolicy::default()
    }
}

impl World {
    /// `sources` is the `[[source]]` part of a sources.toml.
    pub fn new(sources: &str) -> World {
        World::with_policy(sources, test_policy())
    }

    pub fn with_policy(sources: &str, policy: FetchPolicy) -> World {
        World::from_config(&format!("{AGGREGATOR}\n{sources}\n{TAXONOMY}"), policy)
    }

    /// A world from a whole sources.toml (its own `[aggregator]`), written
    /// in a temporary folder, its sources known to the store.
    pub fn from_config(text: &str, policy: FetchPolicy) -> World {
        World::from_files(text, &[], policy)
    }

    /// [`World::from_config`] with more files beside the configuration
    /// (territories' GeoJSON, logos), by path relative to its folder.
    pub fn from_files(text: &str, files: &[(&str, &[u8])], policy: FetchPolicy) -> World {
        let dir = tempfile::tempdir().unwrap();
        for (rel, bytes) in files {
            let file = dir.path().join(rel);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(file, bytes).unwrap();
        }
        let path = dir.path().join("sources.toml");
        std::fs::write(&path, text).unwrap();
        let config = Arc::new(Config::parse(text, &path).unwrap_or_else(|e| panic!("{e}")));
        let index = Arc::new(Index::open(&dir.path().join("data")).unwrap());
        index.sync_sources(&config.source_infos()).unwrap();
        let pipeline =
            Pipeline::with_policy(Arc::clone(&config), Arc::clone(&index), policy).unwrap();
        // The fixtures' dates are fixed: run as on the day they were made.
        let pipeline = Arc::new(pipeline.at(fixture_now()));
        World {
            dir,
            config,
            index,
            pipeline,
        }
    }

    pub async fn ingest(&self) -> Vec<RunReport> {
        self.pipeline.ingest(&[], |_| {}).await
    }

    pub async fn ingest_one(&self, id: &str) -> RunReport {
        let mut r = self.pipeline.ingest(&[id.to_string()], |_| {}).await;
        assert_eq!(r.len(), 1);
        r.remove(0)
    }

    /// A pipeline over this world at today's clock (for fixtures written
    /// relative to today), after one ingest in which every source read.
    pub async fn ingest_today(&self) -> Arc<Pipeline> {
        let pipeline = Arc::new(
            Pipeline::with_policy(
                Arc::clone(&self.config),
                Arc::clone(&self.index),
                test_policy(),
            )
            .unwrap()
            .at(chrono::Utc::now()),
        );
        for r in pipeline.ingest(&[], |_| {}).await {
            assert!(
                matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
                "{r}"
            );
        }
        pipeline
    }

    /// The router's state over this world's index and configuration.
    pub fn state(&self) -> AppState {
        AppState::new(
            Arc::clone(&self.index),
            Arc::new(self.config.publish_config()),
            NextRuns::default(),
        )
    }

    /// A world whose sources are these ICS fixtures
    /// (`tests/fixtures/ics/NAME.ics`, source id NAME with `-` for `_`),
    /// served on 127.0.0.1 and ingested; every source must read.
    pub async fn with_ics_fixtures(names: &[&str]) -> World {
        let server = FixtureServer::start().await;
        let mut toml = String::new();
        for n in names {
            server.put_fixture(
                &format!("{n}.ics"),
                &format!("ics/{n}.ics"),
                "text/calendar",
            );
            toml.push_str(&format!(
                "[[source]]\nid = \"{}\"\nurl = \"{}\"\n\n",
                n.replace('_', "-"),
                server.url(&format!("{n}.ics"))
            ));
        }
        let world = World::new(&toml);
        let reports = world.ingest().await;
        assert_eq!(reports.len(), names.len(), "one report per source");
        for r in reports {
            assert!(
                matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
                "{r}"
            );
        }
        world
    }

    /// Serve the real router on 127.0.0.1; returns its base URL.
    pub async fn serve(&self) -> String {
        let app = publish::router(self.state());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }
}

/// A `babillard serve` of a test, on a free port of 127.0.0.1 in `dir`;
/// stopped when dropped, even after a failed assertion.
pub struct ServedBinary {
    child: std::process::Child,
    pub base: String,
}

impl ServedBinary {
    /// Start `babillard serve` in `dir` (which holds its `sources.toml`)
    /// and wait until `/healthz` answers.
    pub async fn start(dir: &Path) -> ServedBinary {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_babillard"))
            .current_dir(dir)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "error")
            .spawn()
            .unwrap();
        let served = ServedBinary {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if client()
                .get(format!("{}/healthz", served.base))
                .send()
                .await
                .is_ok()
            {
                return served;
            }
        }
        panic!("babillard serve does not answer on {}", served.base);
    }
}

impl Drop for ServedBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for the tests (plain http on loopback).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    let json =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {body}"));
    (status, json)
}

/// Runs the `babillard` binary in `dir`: (exit code, stdout, stderr).
pub fn babillard(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_babillard"))
        .current_dir(dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every page of an event listing, from `url` (which has a query) on,
/// following `next_cursor`; each must answer 200.
pub async fn listing_pages(url: &str) -> Vec<serde_json::Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page_url = url.to_string();
        if let Some(c) = &cursor {
            page_url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get_json(&page_url).await;
        assert_eq!(status, 200, "{page_url}: {page}");
        cursor = page["next_cursor"].as_str().map(str::to_string);
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
    }
}

/// The ids of the events of listing pages, in order.
pub fn page_ids(pages: &[serde_json::Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["events"].as_array().unwrap())
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// The headless browser the browser tests drive: Debian's Chromium (or
/// `BABILLARD_CHROMIUM`), with playwright-core installed; a panic says how
/// to get what is missing.
pub fn chromium() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("BABILLARD_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install -y chromium (scripts/test does it)"
    );
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .is_dir(),
        "playwright-core is missing: run scripts/setup-test-clients"
    );
    chromium
}

/// Run the browser script `tests/browser/SCRIPT` with node on `cfg`
/// (written beside the world, in `dir`); asserts that every check passed
/// and returns what it printed.
pub async fn run_browser_script(dir: &Path, script: &str, cfg: &serde_json::Value) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg_path = dir.join(format!("{script}.json"));
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let script_path = root.join("tests/browser").join(script);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script_path)
            .arg(cfg_path)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script}: browser checks failed:\n{stderr}\n{stdout}"
    );
    stdout
}
