//! A bench tool: serves a folder over HTTP on 127.0.0.1 the way a member
//! organization's web server does, with `ETag` and `Last-Modified` on every
//! file and `304 Not Modified` for a conditional request whose validator
//! still holds, so that `scripts/bench recrawl` measures a re-crawl of
//! sources that did not change. Any `Host` is served the same folder (the
//! bench gives each source its own host name through `BABILLARD_HOSTS`);
//! `/robots.txt` is a 404, as on most small sites.
//!
//! `origin DIR PORT`; prints `listening on 127.0.0.1:PORT` when ready and,
//! on SIGTERM or Ctrl-C, how many answers were full and how many 304.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

struct Origin {
    root: PathBuf,
    /// Answers given, by kind (printed on stop).
    full: AtomicU64,
    not_modified: AtomicU64,
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(port)) = (args.next(), args.next()) else {
        eprintln!("usage: origin DIR PORT");
        return std::process::ExitCode::from(2);
    };
    let Ok(port) = port.parse::<u16>() else {
        eprintln!("origin: {port}: not a port");
        return std::process::ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("origin: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let origin = Arc::new(Origin {
        root: PathBuf::from(root),
        full: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    let served = Arc::clone(&origin);
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on 127.0.0.1:{port}");
        let app = Router::new().fallback(serve).with_state(served);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // SIGTERM (the bench's `kill`) or Ctrl-C.
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = term.recv() => {}
                            _ = tokio::signal::ctrl_c() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            })
            .await
    });
    println!(
        "answered {} in full, {} not modified",
        origin.full.load(Ordering::Relaxed),
        origin.not_modified.load(Ordering::Relaxed)
    );
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("origin: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(State(origin): State<Arc<Origin>>, uri: Uri, headers: HeaderMap) -> Response {
    // A file named with its query first (the generator writes a WordPress
    // API answer as `…/events?start_date=2020-01-01`), else the path's.
    let named = uri
        .query()
        .and_then(|q| inside(&origin.root, &format!("{}?{q}", uri.path())));
    let mut found = None;
    for path in named.into_iter().chain(inside(&origin.root, uri.path())) {
        if let Ok(meta) = tokio::fs::metadata(&path).await {
            if meta.is_file() {
                found = Some((path, meta));
                break;
            }
        }
    }
    let Some((path, meta)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let modified = meta.modified().ok();
    let nanos = modified
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"{:x}-{:x}\"", meta.len(), nanos);
    let last_modified = modified.map(|m| {
        chrono::DateTime::<chrono::Utc>::from(m)
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string()
    });
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map_or_else(
            || {
                let since = headers
                    .get(header::IF_MODIFIED_SINCE)
                    .and_then(|v| v.to_str().ok());
                since.is_some() && since == last_modified.as_deref()
            },
            |tags| tags.split(',').any(|t| t.trim() == etag),
        );
    let mut out = if fresh {
        origin.not_modified.fetch_add(1, Ordering::Relaxed);
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let Ok(body) = tokio::fs::read(&path).await else {
            return StatusCode::NOT_FOUND.into_response();
        };
        origin.full.fetch_add(1, Ordering::Relaxed);
        let mut r = body.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(&path)),
        );
        r
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.headers_mut().insert(header::ETAG, v);
    }
    if let Some(v) = last_modified.and_then(|d| HeaderValue::from_str(&d).ok()) {
        out.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    out
}

/// The file `path` names under `root`, or None when it would leave it.
fn inside(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| root.join(relative))
}

fn content_type(path: &Path) -> &'static str {
    let name = path.to_string_lossy();
    if name.ends_with(".ics") {
        "text/calendar; charset=utf-8"
    } else if name.ends_with(".rss.xml") {
        "application/rss+xml"
    } else if name.ends_with(".atom.xml") {
        "application/atom+xml"
    } else if name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".html") {
        "text/html; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_never_leaves_the_folder() {
        let root = Path::new("/srv/region");
        assert_eq!(
            inside(root, "/members/m0001.ics"),
            Some(root.join("members/m0001.ics"))
        );
        assert_eq!(inside(root, "/members/../../etc/passwd"), None);
        assert_eq!(inside(root, "/./members/m0001.ics"), None);
        assert_eq!(
            inside(root, "//etc/passwd").map(|p| p.starts_with(root)),
            Some(true)
        );
    }
}
