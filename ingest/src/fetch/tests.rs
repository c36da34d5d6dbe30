//! Tests of the fetch client against real axum servers on 127.0.0.1, plus
//! unit tests of its helpers. Nothing here leaves loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::*;

/// Serve `router` on an ephemeral loopback port; returns `http://127.0.0.1:PORT`.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

/// Loopback allowed, fast backoff, no robots.txt unless a test wants it.
fn policy() -> FetchPolicy {
    FetchPolicy {
        allow_private_networks: true,
        retry_base_delay: Duration::from_millis(10),
        respect_robots: false,
        ..FetchPolicy::default()
    }
}

fn client(policy: FetchPolicy) -> FetchClient {
    FetchClient::new(policy).unwrap()
}

fn fetched(outcome: FetchOutcome) -> Fetched {
    match outcome {
        FetchOutcome::Fetched(f) => f,
        FetchOutcome::NotModified => panic!("expected a body, got 304"),
    }
}

/// A router answering `answer` at `path`, and how many times it was asked.
/// More routes can be added to it.
fn counted<T>(path: &str, answer: T) -> (Router, Arc<AtomicUsize>)
where
    T: IntoResponse + Clone + Send + Sync + 'static,
{
    let hits = counter();
    let router = Router::new()
        .route(
            path,
            get(move |State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                answer
            }),
        )
        .with_state(hits.clone());
    (router, hits)
}

/// The body of a fetch that must succeed.
async fn fetch_ok(c: &FetchClient, url: &str) -> Fetched {
    fetched(c.fetch(url, &Validators::default()).await.unwrap())
}

/// The error of a fetch that must fail.
async fn fetch_err(c: &FetchClient, url: &str) -> FetchError {
    c.fetch(url, &Validators::default()).await.unwrap_err()
}

/// `err` is the final HTTP status `code` of `url`, with its class and text.
fn assert_status(err: &FetchError, url: &str, code: u16, class: &str) {
    assert_eq!(
        *err,
        FetchError::Status {
            url: url.to_string(),
            code
        }
    );
    assert_eq!(err.class(), class);
    assert_eq!(err.to_string(), format!("{url}: HTTP status {code}"));
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "babillard-fetch-{}-{nanos}-{name}",
        std::process::id()
    ))
}

// ---------------------------------------------------------------- local files

#[tokio::test]
async fn local_files_are_read_by_path_and_file_url() {
    let path = temp_path("cal.ics");
    std::fs::write(&path, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").unwrap();
    let c = client(policy());
    let shown = path.to_str().unwrap();
    let f = fetch_ok(&c, shown).await;
    assert_eq!(f.body, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    assert_eq!(f.final_url, shown);
    assert_eq!(f.content_type, None);
    assert_eq!(f.validators, Validators::default());

    let file_url = Url::from_file_path(&path).unwrap().to_string();
    let f = fetch_ok(&c, &file_url).await;
    assert_eq!(f.body, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn an_unchanged_local_file_is_not_read_again() {
    let path = temp_path("validated.ics");
    let body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
    std::fs::write(&path, body).unwrap();
    let set_mtime = |secs_ago: u64| {
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(std::time::SystemTime::now() - Duration::from_secs(secs_ago))
            .unwrap();
    };
    let c = client(policy());
    let shown = path.to_str().unwrap();
    // Just written: no validator (a coarse clock could hide a second write).
    assert_eq!(fetch_ok(&c, shown).await.validators.etag, None);

    set_mtime(60);
    let first = fetch_ok(&c, shown).await;
    assert_eq!(first.body, body);
    let etag = first
        .validators
        .etag
        .clone()
        .expect("a validator for a settled file");
    assert!(etag.starts_with("W/\"file-32-"), "{etag}");
    let again = c.fetch(shown, &first.validators).await.unwrap();
    assert!(matches!(again, FetchOutcome::NotModified), "{again:?}");

    // The same size, other bytes, another time: read again.
    std::fs::write(&path, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\n\n").unwrap();
    set_mtime(30);
    let changed = fetched(c.fetch(shown, &first.validators).await.unwrap());
    assert_eq!(changed.body, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\n\n");
    assert_ne!(changed.validators.etag, first.validators.etag);
    // Validators of another kind (an HTTP ETag) never match a file.
    let http = Validators {
        etag: Some("\"abc\"".to_string()),
        last_modified: Some("Tue, 01 Dec 2026 10:00:00 GMT".to_string()),
    };
    fetched(c.fetch(shown, &http).await.unwrap());
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn local_file_errors_name_the_path() {
    let c = client(FetchPolicy {
        max_local_file_bytes: 10,
        ..policy()
    });
    let missing = temp_path("missing.ics");
    let shown = missing.to_str().unwrap();
    let err = fetch_err(&c, shown).await;
    assert_eq!(err.class(), "io");
    assert_eq!(err.to_string(), format!("{shown}: file not found"));

    let big = temp_path("big.ics");
    std::fs::write(&big, [b'x'; 11]).unwrap();
    let err = fetch_err(&c, big.to_str().unwrap()).await;
    assert_eq!(err.class(), "too_large");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the file is 11 bytes, more than the 10 bytes a local source may be",
            big.display()
        )
    );
    std::fs::remove_file(&big).unwrap();

    let dir = std::env::temp_dir();
    let err = fetch_err(&c, dir.to_str().unwrap()).await;
    assert_eq!(err.class(), "io");
    assert!(err.to_string().contains("directory"), "{err}");
}

#[tokio::test]
async fn invalid_urls_are_rejected() {
    let c = client(policy());
    for url in [
        "ftp://example.org/cal.ics",
        "http://",
        "https://:80/x",
        "  ",
    ] {
        let err = fetch_err(&c, url).await;
        assert_eq!(err.class(), "invalid_url", "{url}: {err}");
    }
}

// ---------------------------------------------------------------- basics

#[tokio::test]
async fn sends_user_agent_accept_and_accept_encoding() {
    let seen: Arc<Mutex<Option<HeaderMap>>> = Arc::default();
    let router = Router::new()
        .route(
            "/",
            get(
                |State(seen): State<Arc<Mutex<Option<HeaderMap>>>>, headers: HeaderMap| async move {
                    *seen.lock().unwrap() = Some(headers);
                    (
                        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                        "BEGIN:VCALENDAR",
                    )
                },
            ),
        )
        .with_state(seen.clone());
    let base = serve(router).await;
    let c = client(FetchPolicy {
        user_agent: "babillard-test/9".into(),
        ..policy()
    });
    let f = fetch_ok(&c, &format!("{base}/")).await;
    assert_eq!(f.body, b"BEGIN:VCALENDAR");
    assert_eq!(
        f.content_type.as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(f.final_url, format!("{base}/"));
    let headers = seen.lock().unwrap().take().unwrap();
    let get = |name: header::HeaderName| headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(get(header::USER_AGENT), "babillard-test/9");
    let accept = get(header::ACCEPT);
    for kind in [
        "text/calendar",
        "application/rss+xml",
        "application/atom+xml",
        "text/html",
    ] {
        assert!(accept.contains(kind), "{accept}");
    }
    let encoding = get(header::ACCEPT_ENCODING);
    assert!(
        encoding.contains("gzip") && encoding.contains("br"),
        "{encoding}"
    );
}

#[tokio::test]
async fn final_error_status_is_reported_without_retry() {
    let (router, hits) = counted("/gone.ics", StatusCode::NOT_FOUND);
    let base = serve(router).await;
    let url = format!("{base}/gone.ics");
    let err = fetch_err(&client(policy()), &url).await;
    assert_status(&err, &url, 404, "status_4xx");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------- guard

#[tokio::test]
async fn loopback_is_refused_by_default() {
    let (router, hits) = counted("/", "hello");
    let base = serve(router).await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let c = client(FetchPolicy::default());

    let err = fetch_err(&c, &format!("{base}/")).await;
    assert_eq!(err.class(), "refused");
    assert!(
        err.to_string().contains("127.0.0.1") && err.to_string().contains("loopback"),
        "{err}"
    );

    // A name goes through the guarded resolver.
    let err = fetch_err(&c, &format!("http://localhost:{port}/")).await;
    assert_eq!(err.class(), "refused", "{err}");
    assert!(err.to_string().contains("loopback"), "{err}");

    let err = fetch_err(&c, &format!("http://[::ffff:127.0.0.1]:{port}/")).await;
    assert_eq!(err.class(), "refused", "{err}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no request may reach the server"
    );

    // The same server is reachable once private networks are allowed.
    let f = fetch_ok(&client(policy()), &format!("http://localhost:{port}/")).await;
    assert_eq!(f.body, b"hello");
}

// ---------------------------------------------------------------- timeouts

#[tokio::test]
async fn slow_server_times_out() {
    let router = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let base = serve(router).await;
    let c = client(FetchPolicy {
        total_timeout: Duration::from_secs(1),
        ..policy()
    });
    let started = Instant::now();
    let url = format!("{base}/slow");
    let err = fetch_err(&c, &url).await;
    assert_eq!(
        err,
        FetchError::Timeout {
            url: url.clone(),
            secs: 1
        }
    );
    assert_eq!(err.to_string(), format!("{url}: timed out after 1 s"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client(FetchPolicy {
        max_retries: 1,
        ..policy()
    });
    let err = fetch_err(&c, &format!("http://{addr}/x.ics")).await;
    assert_eq!(err.class(), "connect", "{err}");
    assert!(err.to_string().contains("refused the connection"), "{err}");
}

#[tokio::test]
async fn tls_handshake_failure_is_a_tls_error() {
    // An https request to a plain-HTTP server fails in the TLS handshake.
    let base = serve(Router::new().route("/", get(|| async { "plain" }))).await;
    let https = base.replacen("http://", "https://", 1);
    let err = client(FetchPolicy {
        max_retries: 0,
        ..policy()
    })
    .fetch(&format!("{https}/"), &Validators::default())
    .await
    .unwrap_err();
    assert_eq!(err.class(), "tls", "{err}");
}

// ---------------------------------------------------------------- body cap

/// A gzip member holding `1 + 258 * refs` bytes of `a`, in a few bytes per
/// 258 (one fixed-Huffman back-reference each): a small "zip bomb".
fn gzip_bomb(refs: usize) -> (Vec<u8>, usize) {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn lsb(&mut self, value: u32, len: u32) {
            for i in 0..len {
                self.acc |= ((value >> i) & 1) << self.n;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            for i in (0..len).rev() {
                self.lsb((code >> i) & 1, 1);
            }
        }
    }
    let mut bits = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        acc: 0,
        n: 0,
    };
    bits.lsb(1, 1); // BFINAL
    bits.lsb(1, 2); // BTYPE = fixed Huffman
    bits.code(0x30 + u32::from(b'a'), 8); // literal 'a'
    for _ in 0..refs {
        bits.code(0xc0 + (285 - 280), 8); // length 258
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    let size = 1 + 258 * refs;
    let mut crc = 0xffff_ffffu32;
    for _ in 0..size {
        crc ^= u32::from(b'a');
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    bits.out.extend_from_slice(&(!crc).to_le_bytes());
    bits.out.extend_from_slice(&(size as u32).to_le_bytes());
    (bits.out, size)
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_a_zip_bomb_is_stopped() {
    let (small, small_size) = gzip_bomb(100);
    let (bomb, bomb_size) = gzip_bomb(16_000);
    assert!(bomb.len() < 30_000 && bomb_size > 4_000_000);
    let gz = |body: Vec<u8>| {
        move || async move { ([(header::CONTENT_ENCODING, "gzip")], body).into_response() }
    };
    let router = Router::new()
        .route("/small", get(gz(small)))
        .route("/bomb", get(gz(bomb)));
    let base = serve(router).await;
    let c = client(FetchPolicy {
        max_body_bytes: 1024 * 1024,
        ..policy()
    });
    let f = fetch_ok(&c, &format!("{base}/small")).await;
    assert_eq!(f.body.len(), small_size);
    assert!(f.body.iter().all(|&b| b == b'a'));

    let url = format!("{base}/bomb");
    let err = fetch_err(&c, &url).await;
    assert_eq!(
        err,
        FetchError::TooLarge {
            url,
            limit: 1024 * 1024
        }
    );
}

#[tokio::test]
async fn a_local_file_is_not_held_to_the_network_cap() {
    // 3 MB on disk, a 1 MB cap on the network: read in full, byte for byte.
    let path = temp_path("export.ics");
    let body: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    std::fs::write(&path, &body).unwrap();
    let c = client(FetchPolicy {
        max_body_bytes: 1024 * 1024,
        ..policy()
    });
    let f = fetch_ok(&c, path.to_str().unwrap()).await;
    assert_eq!(f.body, body);
    // Nor to a source's own cap.
    let f = c
        .fetch_capped(path.to_str().unwrap(), &Validators::default(), Some(10))
        .await
        .unwrap();
    assert_eq!(fetched(f).body.len(), body.len());
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn a_cap_given_per_fetch_replaces_the_policys_on_the_network() {
    let router = Router::new().route("/mid", get(|| async { vec![b'x'; 5000] }));
    let base = serve(router).await;
    let c = client(FetchPolicy {
        max_body_bytes: 1_000_000,
        ..policy()
    });
    let url = format!("{base}/mid");
    assert_eq!(fetch_ok(&c, &url).await.body.len(), 5000);
    let err = c
        .fetch_capped(&url, &Validators::default(), Some(4000))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::TooLarge {
            url: url.clone(),
            limit: 4000
        }
    );
    let small = client(FetchPolicy {
        max_body_bytes: 1000,
        ..policy()
    });
    let f = small
        .fetch_capped(&url, &Validators::default(), Some(10_000))
        .await
        .unwrap();
    assert_eq!(fetched(f).body.len(), 5000);
}

#[test]
fn a_hosts_table_reads_the_hosts_format_and_says_which_line_is_wrong() {
    let t = HostsTable::parse(
        "# members\n127.0.0.1   agenda.maison.test Agenda.Autre.test\n\n::1 six.test # v6\n",
    )
    .unwrap();
    let lo: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    assert_eq!(t.get("agenda.maison.test"), Some(&[lo][..]));
    assert_eq!(t.get("AGENDA.autre.test."), Some(&[lo][..]));
    assert_eq!(t.get("six.test"), Some(&["::1".parse().unwrap()][..]));
    assert_eq!(t.get("absent.test"), None);
    assert_eq!(
        HostsTable::parse("127.0.0.1 a.test\nlocalhost b.test\n").unwrap_err(),
        "line 2: \"localhost\" is not an IP address"
    );
    assert_eq!(
        HostsTable::parse("10.0.0.1\n").unwrap_err(),
        "line 1: 10.0.0.1 has no name"
    );
}

#[tokio::test]
async fn with_a_hosts_table_names_resolve_through_it_only() {
    let router = Router::new().route("/x", get(|| async { "hello" }));
    let base = serve(router).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let c = client(FetchPolicy {
        hosts: Some(HostsTable::parse("127.0.0.1 agenda.maison.test\n").unwrap()),
        ..policy()
    });
    let f = fetch_ok(&c, &format!("http://agenda.maison.test:{port}/x")).await;
    assert_eq!(f.body, b"hello");
    // Not in the table: no DNS query, a DNS failure.
    let err = fetch_err(&c, &format!("http://localhost:{port}/x")).await;
    assert_eq!(err.class(), "dns", "{err}");
    assert!(
        err.to_string().contains("no such name in the hosts table"),
        "{err}"
    );
}

#[tokio::test]
async fn declared_content_length_over_the_cap_is_rejected() {
    let router = Router::new().route("/big", get(|| async { vec![b'x'; 5000] }));
    let base = serve(router).await;
    let c = client(FetchPolicy {
        max_body_bytes: 1000,
        ..policy()
    });
    let err = fetch_err(&c, &format!("{base}/big")).await;
    assert_eq!(err.class(), "too_large");
    assert!(
        err.to_string().ends_with("body larger than 1000 bytes"),
        "{err}"
    );
}

// ---------------------------------------------------------------- redirects

#[tokio::test]
async fn five_redirects_are_followed_and_the_sixth_is_refused() {
    let router = Router::new().route(
        "/r/{n}",
        get(|Path(n): Path<u32>| async move {
            if n == 0 {
                "arrived".into_response()
            } else {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, format!("/r/{}", n - 1))],
                )
                    .into_response()
            }
        }),
    );
    let base = serve(router).await;
    let c = client(policy());
    let f = fetch_ok(&c, &format!("{base}/r/5")).await;
    assert_eq!(f.body, b"arrived");
    assert_eq!(f.final_url, format!("{base}/r/0"));

    let err = fetch_err(&c, &format!("{base}/r/6")).await;
    assert_eq!(err.class(), "refused");
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
}

// ---------------------------------------------------------------- conditional GET

#[tokio::test]
async fn conditional_get_uses_and_returns_validators() {
    const ETAG: &str = "\"v1\"";
    const LAST_MODIFIED: &str = "Tue, 04 Nov 2025 10:00:00 GMT";
    let router = Router::new().route(
        "/cal.ics",
        get(|headers: HeaderMap| async move {
            let etag_matches = headers
                .get(header::IF_NONE_MATCH)
                .is_some_and(|v| v == ETAG);
            let date_matches = headers
                .get(header::IF_MODIFIED_SINCE)
                .is_some_and(|v| v == LAST_MODIFIED);
            if etag_matches && date_matches {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            (
                [(header::ETAG, ETAG), (header::LAST_MODIFIED, LAST_MODIFIED)],
                "BEGIN:VCALENDAR",
            )
                .into_response()
        }),
    );
    let base = serve(router).await;
    let c = client(policy());
    let url = format!("{base}/cal.ics");
    let f = fetch_ok(&c, &url).await;
    assert_eq!(
        f.validators,
        Validators {
            etag: Some(ETAG.into()),
            last_modified: Some(LAST_MODIFIED.into()),
        }
    );
    assert_eq!(
        c.fetch(&url, &f.validators).await.unwrap(),
        FetchOutcome::NotModified
    );
    let stale = Validators {
        etag: Some("\"v0\"".into()),
        last_modified: Some(LAST_MODIFIED.into()),
    };
    assert!(matches!(
        c.fetch(&url, &stale).await.unwrap(),
        FetchOutcome::Fetched(_)
    ));
}

// ---------------------------------------------------------------- retries

/// A server whose `/flaky` answers `status` (with `retry_after` if given)
/// `failures` times, then 200; returns its base URL and hit counter.
async fn flaky(
    failures: usize,
    status: StatusCode,
    retry_after: Option<&'static str>,
) -> (String, Arc<AtomicUsize>) {
    let hits = counter();
    let router = Router::new()
        .route(
            "/flaky",
            get(move |State(hits): State<Arc<AtomicUsize>>| async move {
                let n = hits.fetch_add(1, Ordering::SeqCst);
                if n < failures {
                    let mut response = status.into_response();
                    if let Some(wait) = retry_after {
                        response
                            .headers_mut()
                            .insert(header::RETRY_AFTER, wait.parse().unwrap());
                    }
                    response
                } else {
                    "ok".into_response()
                }
            }),
        )
        .with_state(hits.clone());
    (serve(router).await, hits)
}

#[tokio::test]
async fn two_503_then_200_succeeds_after_retries() {
    let (base, hits) = flaky(2, StatusCode::SERVICE_UNAVAILABLE, None).await;
    let f = fetch_ok(&client(policy()), &format!("{base}/flaky")).await;
    assert_eq!(f.body, b"ok");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let (base, hits) = flaky(10, StatusCode::INTERNAL_SERVER_ERROR, None).await;
    let url = format!("{base}/flaky");
    let err = fetch_err(&client(policy()), &url).await;
    assert_status(&err, &url, 500, "status_5xx");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "one attempt and two retries"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (base, hits) = flaky(1, StatusCode::TOO_MANY_REQUESTS, Some("1")).await;
    let started = Instant::now();
    let f = fetch_ok(&client(policy()), &format!("{base}/flaky")).await;
    assert_eq!(f.body, b"ok");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn too_long_retry_after_gives_up_at_once() {
    let (base, hits) = flaky(1, StatusCode::TOO_MANY_REQUESTS, Some("120")).await;
    let started = Instant::now();
    let err = fetch_err(&client(policy()), &format!("{base}/flaky")).await;
    assert_eq!(err.class(), "status_4xx");
    assert!(matches!(err, FetchError::Status { code: 429, .. }));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------- concurrency

/// A server whose `/slow/{n}` counts requests in flight and records the
/// highest count.
async fn in_flight_server() -> (String, Arc<AtomicUsize>) {
    #[derive(Clone, Default)]
    struct Counts {
        now: Arc<AtomicUsize>,
        max: Arc<AtomicUsize>,
    }
    let counts = Counts::default();
    let max = counts.max.clone();
    let router = Router::new()
        .route(
            "/slow/{n}",
            get(|State(c): State<Counts>| async move {
                let now = c.now.fetch_add(1, Ordering::SeqCst) + 1;
                c.max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(150)).await;
                c.now.fetch_sub(1, Ordering::SeqCst);
                "done"
            }),
        )
        .with_state(counts);
    (serve(router).await, max)
}

async fn fetch_six(c: &FetchClient, base: &str) {
    let mut tasks = Vec::new();
    for n in 0..6 {
        let c = c.clone();
        let url = format!("{base}/slow/{n}");
        tasks.push(tokio::spawn(async move {
            c.fetch(&url, &Validators::default()).await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
}

#[tokio::test]
async fn per_host_concurrency_is_bounded() {
    let (base, max) = in_flight_server().await;
    let c = client(FetchPolicy {
        per_host_concurrency: 2,
        ..policy()
    });
    fetch_six(&c, &base).await;
    assert_eq!(max.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn global_concurrency_is_bounded() {
    let (base, max) = in_flight_server().await;
    let c = client(FetchPolicy {
        per_host_concurrency: 6,
        global_concurrency: 1,
        ..policy()
    });
    fetch_six(&c, &base).await;
    assert_eq!(max.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------- robots.txt

async fn robots_server(robots: Option<&'static str>) -> (String, Arc<AtomicUsize>) {
    let (router, robots_hits) = counted("/robots.txt", robots.ok_or(StatusCode::NOT_FOUND));
    let router = router
        .route("/public/cal.ics", get(|| async { "public" }))
        .route("/private/cal.ics", get(|| async { "private" }));
    (serve(router).await, robots_hits)
}

#[tokio::test]
async fn robots_txt_is_obeyed_and_cached() {
    let (base, robots_hits) = robots_server(Some(
        "User-agent: *\nDisallow: /\n\nUser-agent: babillard\nDisallow: /private\n",
    ))
    .await;
    let c = client(FetchPolicy {
        respect_robots: true,
        ..policy()
    });
    let f = fetch_ok(&c, &format!("{base}/public/cal.ics")).await;
    assert_eq!(f.body, b"public");
    let url = format!("{base}/private/cal.ics");
    let err = fetch_err(&c, &url).await;
    assert_eq!(
        err,
        FetchError::Refused {
            url: url.clone(),
            reason: "disallowed by robots.txt (rule \"Disallow: /private\")".into(),
        }
    );
    assert!(c.fetch(&url, &Validators::default()).await.is_err());
    assert_eq!(
        robots_hits.load(Ordering::SeqCst),
        1,
        "robots.txt is cached"
    );
}

#[tokio::test]
async fn missing_robots_txt_allows_everything_and_can_be_ignored() {
    let (base, robots_hits) = robots_server(None).await;
    let c = client(FetchPolicy {
        respect_robots: true,
        ..policy()
    });
    assert!(c
        .fetch(&format!("{base}/private/cal.ics"), &Validators::default())
        .await
        .is_ok());
    assert_eq!(robots_hits.load(Ordering::SeqCst), 1);

    let (base, robots_hits) = robots_server(Some("User-agent: *\nDisallow: /\n")).await;
    let f = fetch_ok(&client(policy()), &format!("{base}/private/cal.ics")).await;
    assert_eq!(f.body, b"private");
    assert_eq!(
        robots_hits.load(Ordering::SeqCst),
        0,
        "respect_robots = false"
    );
}

#[tokio::test]
async fn failing_robots_txt_allows_everything_without_retry() {
    let (router, robots_hits) = counted("/robots.txt", StatusCode::SERVICE_UNAVAILABLE);
    let router = router.route("/private/cal.ics", get(|| async { "private" }));
    let base = serve(router).await;
    let c = client(FetchPolicy {
        respect_robots: true,
        ..policy()
    });
    let f = fetch_ok(&c, &format!("{base}/private/cal.ics")).await;
    assert_eq!(f.body, b"private");
    assert_eq!(robots_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn robots_cache_expires() {
    let (base, robots_hits) = robots_server(Some("User-agent: *\nDisallow: /private\n")).await;
    let c = client(FetchPolicy {
        respect_robots: true,
        robots_cache_ttl: Duration::from_millis(100),
        ..policy()
    });
    let url = format!("{base}/public/cal.ics");
    assert!(c.fetch(&url, &Validators::default()).await.is_ok());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(c.fetch(&url, &Validators::default()).await.is_ok());
    assert_eq!(robots_hits.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------- helpers

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let now = chrono::DateTime::parse_from_rfc3339("2025-11-04T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Tue, 04 Nov 2025 10:00:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Tue, 04 Nov 2025 09:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let base = Duration::from_millis(500);
    let max = Duration::from_secs(30);
    assert_eq!(backoff(base, 0, max), Duration::from_millis(500));
    assert_eq!(backoff(base, 1, max), Duration::from_secs(1));
    assert_eq!(backoff(base, 3, max), Duration::from_secs(4));
    assert_eq!(backoff(base, 10, max), max);
    assert_eq!(backoff(base, 40, max), max);
}

#[test]
fn error_chain_classification_finds_our_markers() {
    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect)")]
    struct Wrapper(#[source] Box<dyn StdError + Send + Sync>);

    let dns = Wrapper(Box::new(DnsFailure {
        host: "nowhere.example".into(),
        message: "failed to lookup address information".into(),
    }));
    let err = classify_chain("https://nowhere.example/", &dns).unwrap();
    assert_eq!(err.class(), "dns");
    assert_eq!(
        err.to_string(),
        "https://nowhere.example/: DNS lookup failed: nowhere.example: failed to lookup address information"
    );

    let tls = Wrapper(Box::new(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
    )));
    assert_eq!(classify_chain("https://x/", &tls).unwrap().class(), "tls");

    let plain = Wrapper(Box::new(std::io::Error::from(
        std::io::ErrorKind::ConnectionRefused,
    )));
    assert!(classify_chain("https://x/", &plain).is_none());
    assert_eq!(io_kind(&plain), Some(std::io::ErrorKind::ConnectionRefused));
}

#[test]
fn targets_are_sorted_into_http_and_files() {
    assert!(matches!(
        parse_target("https://example.org/cal.ics"),
        Ok(Target::Http(_))
    ));
    assert!(matches!(
        parse_target("HTTP://example.org/"),
        Ok(Target::Http(_))
    ));
    assert!(matches!(
        parse_target("examples/cal.ics"),
        Ok(Target::File(_))
    ));
    assert!(matches!(parse_target("/srv/cal.ics"), Ok(Target::File(_))));
    match parse_target("file:///srv/cal%20a.ics") {
        Ok(Target::File(p)) => assert_eq!(p, std::path::PathBuf::from("/srv/cal a.ics")),
        _ => panic!("file URL"),
    }
    assert_eq!(
        parse_target("gopher://x/").err().map(|e| e.class()),
        Some("invalid_url")
    );
}

#[test]
fn client_errors_and_classes() {
    let bad = FetchClient::new(FetchPolicy {
        user_agent: "bad\nagent".into(),
        ..FetchPolicy::default()
    });
    assert_eq!(bad.err().map(|e| e.class()), Some("client"));
    assert_eq!(whole_secs(Duration::from_millis(300)), 1);
    assert_eq!(whole_secs(Duration::from_secs(10)), 10);
}

// ---------------------------------------------------------------- SSRF guard

/// A server on 127.0.0.1 whose `/go` redirects to `location`.
async fn redirector(location: String) -> String {
    let router = Router::new().route(
        "/go",
        get(move || async move { (StatusCode::FOUND, [(header::LOCATION, location)]) }),
    );
    serve(router).await
}

/// A client whose resolver answers from `table` (names missing from it do
/// not resolve).
fn client_with_table(
    policy: FetchPolicy,
    table: Vec<(&'static str, Vec<&'static str>)>,
) -> FetchClient {
    let table: Arc<HashMap<String, Vec<std::net::SocketAddr>>> = Arc::new(
        table
            .into_iter()
            .map(|(name, addrs)| {
                let addrs = addrs
                    .into_iter()
                    .map(|a| std::net::SocketAddr::new(a.parse().unwrap(), 0))
                    .collect();
                (name.to_owned(), addrs)
            })
            .collect(),
    );
    let lookup: guard::LookupFn = Arc::new(move |host: String| {
        let found = table.get(&host).cloned();
        Box::pin(async move {
            found.ok_or_else(|| std::io::Error::other("no such name in the test table"))
        }) as guard::futures_lookup::LookupFuture
    });
    FetchClient::with_lookup(policy, lookup).unwrap()
}

/// `err` is a refusal whose reason contains `want`.
fn assert_refused(err: &FetchError, want: &str) {
    match err {
        FetchError::Refused { reason, .. } => assert!(reason.contains(want), "{reason}"),
        other => panic!("expected a refusal ({want}), got {other:?}"),
    }
    assert_eq!(err.class(), "refused");
}

#[tokio::test]
async fn never_fetched_addresses_are_refused_even_with_private_networks_allowed() {
    let c = client(policy());
    for (u, want) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "link-local/cloud metadata address 169.254.169.254 is never fetched",
        ),
        (
            "http://2852039166/",
            "link-local/cloud metadata address 169.254.169.254",
        ),
        (
            "http://0251.0376.0251.0376/",
            "link-local/cloud metadata address 169.254.169.254",
        ),
        (
            "http://[::ffff:169.254.169.254]/",
            "link-local/cloud metadata address ::ffff:169.254.169.254",
        ),
        (
            "http://[fd00:ec2::254]/",
            "cloud metadata address fd00:ec2::254",
        ),
        (
            "http://100.100.100.200/",
            "cloud metadata address 100.100.100.200",
        ),
        ("http://[fe80::1]/", "link-local address fe80::1"),
        ("http://0.0.0.0:9/", "unspecified"),
        ("http://[::]:9/", "unspecified address ::"),
        ("http://224.0.0.1/", "multicast address 224.0.0.1"),
        ("http://[ff02::1]/", "multicast address ff02::1"),
        ("http://255.255.255.255/", "broadcast address"),
        ("http://240.0.0.1/", "reserved address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local/cloud metadata"),
        ("http://[2002:a9fe:a9fe::1]/", "link-local/cloud metadata"),
    ] {
        let err = fetch_err(&c, u).await;
        assert_refused(&err, want);
    }
    // A zone index never makes a valid URL.
    let err = fetch_err(&c, "http://[fe80::1%25eth0]/").await;
    assert_eq!(err.class(), "invalid_url", "{err}");
}

#[tokio::test]
async fn private_literals_in_any_notation_are_refused_unless_allowed() {
    let hits = counter();
    let router = Router::new()
        .route(
            "/x",
            get(|State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                "inside"
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let strict = client(FetchPolicy {
        allow_private_networks: false,
        ..policy()
    });
    for host in [
        "2130706433",
        "0177.0.0.1",
        "0x7f.1",
        "127.1",
        "[::ffff:127.0.0.1]",
    ] {
        let err = fetch_err(&strict, &format!("http://{host}:{port}/x")).await;
        assert_refused(
            &err,
            "a loopback address; set allow_private_networks = true",
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let f = fetch_ok(&client(policy()), &format!("http://0x7f.1:{port}/x")).await;
    assert_eq!(f.body, b"inside");
}

#[tokio::test]
async fn redirects_to_never_fetched_addresses_are_refused() {
    // The 0.0.0.0 target points at a live server: on Linux, connecting to
    // 0.0.0.0 reaches the loopback, so it must be refused before connecting.
    let (router, hits) = counted("/secret", "metadata");
    let target = serve(router).await;
    let port = target.rsplit(':').next().unwrap().to_owned();
    let c = client(policy());
    for (location, want) in [
        ("http://169.254.169.254/".to_owned(), "redirect to http://169.254.169.254/: link-local/cloud metadata address 169.254.169.254 is never fetched"),
        ("http://[::ffff:169.254.169.254]/".to_owned(), "link-local/cloud metadata address ::ffff:169.254.169.254 is never fetched"),
        ("http://[::ffff:a9fe:a9fe]/latest".to_owned(), "link-local/cloud metadata address ::ffff:169.254.169.254"),
        (format!("http://0.0.0.0:{port}/secret"), "unspecified (\"this network\") address 0.0.0.0 is never fetched"),
        (format!("http://0:{port}/secret"), "unspecified"),
        (format!("http://[::]:{port}/secret"), "unspecified address :: is never fetched"),
        ("http://[fe80::1%25lo]/".to_owned(), "not a valid URL"),
        ("gopher://127.0.0.1:70/".to_owned(), "not an http(s) URL"),
    ] {
        let base = redirector(location.clone()).await;
        let err = fetch_err(&c, &format!("{base}/go")).await;
        assert_refused(&err, want);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// Binds 127.0.0.2 (all of 127/8 is loopback on Linux): a second private
/// host.
async fn serve_on_second_host(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_redirect_to_another_private_host_needs_it_configured() {
    let (router, hits) = counted("/cal.ics", "BEGIN:VCALENDAR");
    let other = serve_on_second_host(router).await;
    let start = redirector(format!("{other}/cal.ics")).await;

    // Not configured: refused before any connection to it.
    let err = fetch_err(&client(policy()), &format!("{start}/go")).await;
    assert_refused(
        &err,
        "127.0.0.2 resolves to 127.0.0.2, which is a loopback address, reached by a redirect",
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    // Configured as a source's host (another port, another path): followed.
    let configured = client(FetchPolicy {
        source_hosts: SourceHosts::from_urls(["http://127.0.0.2/other.ics"]),
        ..policy()
    });
    let f = fetch_ok(&configured, &format!("{start}/go")).await;
    assert_eq!(f.body, b"BEGIN:VCALENDAR");
    assert_eq!(f.final_url, format!("{other}/cal.ics"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // The set follows the configuration.
    configured.policy().source_hosts.set(["http://127.0.0.3/"]);
    let err = fetch_err(&configured, &format!("{start}/go")).await;
    assert_refused(&err, "reached by a redirect");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn names_resolving_to_refused_addresses_are_refused() {
    let (router, hits) = counted("/cal.ics", "BEGIN:VCALENDAR");
    let base = serve(router).await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let table = vec![
        ("metadata.google.internal", vec!["169.254.169.254"]),
        ("metadata6.example", vec!["fd00:ec2::254"]),
        // The loopback would answer; the metadata address refuses the name.
        ("mixed.example", vec!["127.0.0.1", "169.254.169.254"]),
        ("mapped.example", vec!["::ffff:169.254.169.254"]),
        ("calendar.example", vec!["127.0.0.1"]),
        ("intranet.example", vec!["127.0.0.1"]),
    ];
    let c = client_with_table(policy(), table.clone());
    for (name, want) in [
        ("metadata.google.internal", "metadata.google.internal resolves to link-local/cloud metadata address 169.254.169.254, which is never fetched"),
        ("metadata6.example", "cloud metadata address fd00:ec2::254"),
        ("mixed.example", "mixed.example resolves to link-local/cloud metadata address 169.254.169.254"),
        ("mapped.example", "::ffff:169.254.169.254, which is never fetched"),
    ] {
        let err = fetch_err(&c, &format!("http://{name}:{port}/cal.ics")).await;
        assert_refused(&err, want);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    // A name resolving to the loopback: fetched only with private networks
    // allowed.
    let f = fetch_ok(&c, &format!("http://calendar.example:{port}/cal.ics")).await;
    assert_eq!(f.body, b"BEGIN:VCALENDAR");
    let strict = client_with_table(
        FetchPolicy {
            allow_private_networks: false,
            ..policy()
        },
        table,
    );
    let err = fetch_err(&strict, &format!("http://calendar.example:{port}/cal.ics")).await;
    assert_refused(
        &err,
        "calendar.example resolves to 127.0.0.1, which is a loopback address",
    );
    // The system resolver too.
    let system = client(FetchPolicy {
        allow_private_networks: false,
        ..policy()
    });
    let err = fetch_err(&system, &format!("http://localhost:{port}/cal.ics")).await;
    assert_refused(&err, "localhost resolves to");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Redirected onto a name: judged after resolution, under the redirect
    // rule (private only on a configured source's host).
    let meta = redirector(format!("http://metadata.google.internal:{port}/cal.ics")).await;
    let err = fetch_err(&c, &format!("{meta}/go")).await;
    assert_refused(
        &err,
        "link-local/cloud metadata address 169.254.169.254, which is never fetched",
    );
    let intranet = redirector(format!("http://intranet.example:{port}/cal.ics")).await;
    let err = fetch_err(&c, &format!("{intranet}/go")).await;
    assert_refused(
        &err,
        "intranet.example resolves to 127.0.0.1, which is a loopback address, reached by a redirect",
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let configured = client_with_table(
        FetchPolicy {
            source_hosts: SourceHosts::from_urls(["https://intranet.example/"]),
            ..policy()
        },
        vec![("intranet.example", vec!["127.0.0.1"])],
    );
    let f = fetch_ok(&configured, &format!("{intranet}/go")).await;
    assert_eq!(f.body, b"BEGIN:VCALENDAR");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
