//! The real binary: `check`, `ingest`, `sources`, `search`, `reindex`.

use std::process::Command;

use crate::harness::babillard;

/// A temporary folder holding `apple.ics` (the Apple Calendar fixture) and
/// this `sources.toml`.
fn dir_with_apple_calendar(sources_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("tests/fixtures/ics/apple_calendar_export.ics"),
        dir.path().join("apple.ics"),
    )
    .unwrap();
    std::fs::write(dir.path().join("sources.toml"), sources_toml).unwrap();
    dir
}

#[test]
fn check_reports_every_problem_as_file_line_col_and_every_command_refuses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        "[aggregator]\ntimezone = \"Mars/Olympus\"\n\n[[source]]\nid = \"a b\"\nurl = \"nowhere.ics\"\nschedule = \"every hour\"\n",
    )
    .unwrap();
    let (code, _out, err) = babillard(dir.path(), &["check"]);
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("sources.toml:2:12: unknown time zone")),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("sources.toml:5:6: ")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("sources.toml:6:7: url \"nowhere.ics\"")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("sources.toml:7:12: invalid cron expression")),
        "{err}"
    );
    for cmd in [
        &["ingest"][..],
        &["sources"],
        &["reindex"],
        &["search", "x"],
    ] {
        let (code, _, err2) = babillard(dir.path(), cmd);
        assert_eq!(code, 2, "{cmd:?}");
        assert_eq!(err2, err, "{cmd:?} prints the same problems");
    }
}

#[test]
fn ingest_prints_a_line_per_source_and_exits_0_when_some_fail() {
    let dir = dir_with_apple_calendar(
        "[aggregator]\ntimezone = \"America/Toronto\"\n\n[[source]]\nid = \"apple\"\nurl = \"apple.ics\"\n\n[[source]]\nid = \"page\"\nkind = \"ics\"\nurl = \"page.ics\"\n",
    );
    std::fs::write(
        dir.path().join("page.ics"),
        "<!DOCTYPE html><html><body>Oups</body></html>",
    )
    .unwrap();
    let (code, out, err) = babillard(dir.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
    // `check` says what a source without `kind` is.
    assert!(
        out.lines()
            .any(|l| l.contains("apple") && l.contains("ics (detected)")),
        "{out}"
    );
    let (code, out, err) = babillard(dir.path(), &["--data", "store", "ingest"]);
    assert_eq!(code, 0, "{out}{err}");
    let mut lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    // Each line comes as its source ends: in whatever order they end.
    lines.sort();
    assert!(
        lines[0].starts_with("apple")
            && lines[0].contains(" ok ")
            && lines[0].contains("found /")
            && lines[0].contains(" ms"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("page")
            && lines[1].contains("error")
            && lines[1].contains("wrong_kind"),
        "{out}"
    );
    assert!(dir.path().join("store/babillard.sqlite").exists());

    let (code, out, _) = babillard(dir.path(), &["--data", "store", "sources", "--json"]);
    assert_eq!(code, 0);
    let sources: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sources[0]["status"], "ok");
    assert_eq!(sources[0]["kind"], "ics", "the detected kind is reported");
    assert_eq!(sources[1]["status"], "error");
    assert!(sources[0]["next_run"].is_string());

    let (code, out, err) = babillard(
        dir.path(),
        &[
            "--data",
            "store",
            "search",
            "",
            "--from",
            "2026-01-01",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let found: serde_json::Value = serde_json::from_str(&out).unwrap();
    let total = found["total"].as_u64().unwrap();
    assert!(total > 0);

    let (code, out, _) = babillard(dir.path(), &["--data", "store", "reindex"]);
    assert_eq!(code, 0);
    assert!(out.contains("reindexed"), "{out}");
    let (_, out, _) = babillard(
        dir.path(),
        &[
            "--data",
            "store",
            "search",
            "",
            "--from",
            "2026-01-01",
            "--json",
        ],
    );
    let again: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        again["total"].as_u64().unwrap(),
        total,
        "reindex gives the same index"
    );

    let (code, _, err) = babillard(
        dir.path(),
        &["--data", "store", "ingest", "--source", "nope"],
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_repository_config_checks_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = babillard(root, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn run_serves_and_stops_cleanly_on_sigterm() {
    let dir = dir_with_apple_calendar("[[source]]\nid = \"apple\"\nurl = \"apple.ics\"\n");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_babillard"))
        .current_dir(dir.path())
        .args(["run", "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .spawn()
        .unwrap();
    // Wait for the first ingest pass to be visible through HTTP.
    let mut ok = false;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /api/v1/sources HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut body = String::new();
            let _ = s.read_to_string(&mut body);
            if body.contains("\"status\":\"ok\"") {
                ok = true;
                break;
            }
        }
    }
    assert!(ok, "run ingests and serves");
    // Read-only commands work while `run` holds the index.
    let (code, out, err) = babillard(dir.path(), &["sources", "--json"]);
    assert_eq!(code, 0, "sources while run is running: {err}");
    assert!(out.contains("\"status\": \"ok\""), "{out}");
    let (code, _, err) = babillard(dir.path(), &["search", "", "--from", "2026-01-01"]);
    assert_eq!(code, 0, "search while run is running: {err}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut waited = 0;
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        waited += 1;
        assert!(waited < 100, "run did not stop within 10 s of SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(code.success(), "{code:?}");
    assert!(dir.path().join("data/babillard.sqlite").exists());
}
