//! The limits of `babillard serve` seen by a client on 127.0.0.1: a client
//! that never finishes its headers (slowloris) loses its connection, while
//! other clients are answered; the peer's address still reaches the router
//! (the console's login limit reads it: see `admin_auth`).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{client, ServedBinary, AGGREGATOR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_ends_its_headers_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), AGGREGATOR).unwrap();
    let served = ServedBinary::start(dir.path()).await;
    let base = served.base.clone();
    let port = base.rsplit(':').next().unwrap_or_default().to_string();

    // Half a request, then silence.
    let mut slow = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    slow.write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    // Others are answered meanwhile, with the security headers.
    let r = client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("content-security-policy"));
    // The server ends the slow connection (an answer or a close), far
    // before this generous bound; the bound only keeps a broken server from
    // hanging the test.
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(120), slow.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "the connection of a client that never ends its headers stays open"
    );
    let text = String::from_utf8_lossy(&got);
    assert!(
        got.is_empty() || text.starts_with("HTTP/1.1 408"),
        "unexpected answer: {text}"
    );
    // And the server still answers.
    let r = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
