//! Server-side request forgery: sources on loopback (private networks
//! allowed, as an intranet deployment would) that redirect the fetcher to
//! cloud metadata, unspecified and unconfigured private addresses, and names
//! that resolve to refused addresses. Each refusal is the source's error,
//! with its reason, and the source keeps its last good events.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use babillard::pipeline::Outcome;
use serde_json::Value;

use crate::harness::{get_json, test_policy, World};

const CALENDAR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//SSRF//FR\r\n\
BEGIN:VEVENT\r\nUID:a@ssrf\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261205T200000Z\r\n\
SUMMARY:Récital\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b@ssrf\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261206T200000Z\r\n\
SUMMARY:Conte\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const RANGE: &str = "from=2026-09-01&to=2028-01-01&limit=1000";

/// A server on `ip` whose every path but robots.txt answers the calendar,
/// or a 302 to the location set with [`Switch::redirect_to`]; counts those
/// requests.
#[derive(Clone)]
struct Switch {
    base: String,
    location: Arc<Mutex<Option<String>>>,
    hits: Arc<AtomicUsize>,
}

impl Switch {
    async fn start(ip: &str) -> Switch {
        let switch = Switch {
            base: String::new(),
            location: Arc::new(Mutex::new(None)),
            hits: Arc::new(AtomicUsize::new(0)),
        };
        let app = axum::Router::new()
            .fallback(axum::routing::get(answer))
            .with_state(switch.clone());
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Switch {
            base: format!("http://{addr}"),
            ..switch
        }
    }

    fn redirect_to(&self, location: Option<String>) {
        *self.location.lock().unwrap() = location;
    }

    fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn answer(State(s): State<Switch>, uri: axum::http::Uri) -> axum::response::Response {
    // No robots.txt (which allows all), and not counted: the counts are
    // those of the calendar requests.
    if uri.path() == "/robots.txt" {
        return StatusCode::NOT_FOUND.into_response();
    }
    s.hits.fetch_add(1, Ordering::SeqCst);
    let location = s.location.lock().unwrap().clone();
    match location {
        Some(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        None => ([(header::CONTENT_TYPE, "text/calendar")], CALENDAR).into_response(),
    }
}

fn world_of(sources: &[(&str, String)], allow_private: bool) -> World {
    let mut text = String::new();
    for (id, url) in sources {
        text.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nkind = \"ics\"\nurl = \"{url}\"\n\n"
        ));
    }
    World::with_policy(
        &text,
        ingest::fetch::FetchPolicy {
            allow_private_networks: allow_private,
            ..test_policy()
        },
    )
}

async fn event_count(api: &str) -> usize {
    let (status, body) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().len()
}

async fn source_of(api: &str, id: &str) -> Value {
    let (status, body) = get_json(&format!("{api}/api/v1/sources")).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no source {id}: {body}"))
}

/// Ingest `id`; it must fail as refused with `reason` in its message, in
/// the sources API too, and keep its `events`.
async fn assert_refused(world: &World, api: &str, id: &str, reason: &str, events: usize) {
    let report = world.ingest_one(id).await;
    match &report.outcome {
        Outcome::Failed { class, message } => {
            assert_eq!(class, "refused", "{message}");
            assert!(message.contains(reason), "{message}");
        }
        other => panic!("expected a refusal ({reason}), got {other:?}"),
    }
    let s = source_of(api, id).await;
    assert_eq!(s["status"], "error", "{s}");
    assert!(
        s["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains(reason),
        "{s}"
    );
    assert_eq!(s["events"], events, "{s}");
    assert_eq!(
        event_count(api).await,
        events,
        "a refused source keeps its last good events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_metadata_unspecified_and_unconfigured_private_hosts_are_refused() {
    let source = Switch::start("127.0.0.1").await;
    // A live server on a second loopback address (all of 127/8 is loopback
    // on Linux), not configured as a source; 0.0.0.0 reaches it too.
    let inside = Switch::start("127.0.0.2").await;
    let world = world_of(&[("t", format!("{}/t.ics", source.base))], true);
    let api = world.serve().await;
    let first = world.ingest_one("t").await;
    assert!(matches!(first.outcome, Outcome::Updated(_)), "{first}");
    assert_eq!(event_count(&api).await, 2);

    let cases = [
        (
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "link-local/cloud metadata address 169.254.169.254 is never fetched".to_owned(),
        ),
        (
            "http://[::ffff:169.254.169.254]/".to_owned(),
            "link-local/cloud metadata address ::ffff:169.254.169.254 is never fetched".to_owned(),
        ),
        (
            "http://2852039166/computeMetadata/v1/".to_owned(),
            "link-local/cloud metadata address 169.254.169.254 is never fetched".to_owned(),
        ),
        (
            "http://[fd00:ec2::254]/".to_owned(),
            "cloud metadata address fd00:ec2::254 is never fetched".to_owned(),
        ),
        (
            format!("http://0.0.0.0:{}/secret", inside.port()),
            "address 0.0.0.0 is never fetched".to_owned(),
        ),
        (
            format!("http://0.0.0.0:{}/secret", source.port()),
            "address 0.0.0.0 is never fetched".to_owned(),
        ),
        (
            format!("http://[::ffff:0.0.0.0]:{}/", source.port()),
            "is never fetched".to_owned(),
        ),
        (
            format!("{}/secret", inside.base),
            "127.0.0.2 resolves to 127.0.0.2, which is a loopback address, reached by a redirect"
                .to_owned(),
        ),
        (
            // A name for the loopback, not a configured host.
            format!("http://localhost:{}/secret", inside.port()),
            "localhost resolves to".to_owned(),
        ),
    ];
    for (location, reason) in cases {
        source.redirect_to(Some(location));
        let hits_before = source.hits();
        assert_refused(&world, &api, "t", &reason, 2).await;
        assert_eq!(
            source.hits(),
            hits_before + 1,
            "only the redirecting request reached the source's host ({reason})"
        );
    }
    assert_eq!(inside.hits(), 0, "nothing reached the unconfigured host");

    // The source answers again: it recovers.
    source.redirect_to(None);
    let report = world.ingest_one("t").await;
    assert!(
        matches!(
            report.outcome,
            Outcome::Unchanged { .. } | Outcome::Updated(_)
        ),
        "{report}"
    );
    assert_eq!(source_of(&api, "t").await["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_may_reach_the_host_of_another_configured_source() {
    let source = Switch::start("127.0.0.1").await;
    let other = Switch::start("127.0.0.2").await;
    let world = world_of(
        &[
            ("t", format!("{}/t.ics", source.base)),
            ("other", format!("{}/other.ics", other.base)),
        ],
        true,
    );
    source.redirect_to(Some(format!("{}/moved.ics", other.base)));
    let report = world.ingest_one("t").await;
    assert!(matches!(report.outcome, Outcome::Updated(_)), "{report}");
    assert_eq!(other.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_for_the_loopback_are_refused_when_private_networks_are_not_allowed() {
    let source = Switch::start("127.0.0.1").await;
    let world = world_of(
        &[
            ("named", format!("http://localhost:{}/t.ics", source.port())),
            (
                "decimal",
                format!("http://2130706433:{}/t.ics", source.port()),
            ),
            ("short", format!("http://127.1:{}/t.ics", source.port())),
            (
                "mapped",
                format!("http://[::ffff:7f00:1]:{}/t.ics", source.port()),
            ),
        ],
        false,
    );
    let api = world.serve().await;
    for id in ["named", "decimal", "short", "mapped"] {
        assert_refused(
            &world,
            &api,
            id,
            "which is a loopback address; set allow_private_networks = true",
            0,
        )
        .await;
    }
    assert_eq!(source.hits(), 0);
}
