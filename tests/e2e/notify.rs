//! `[notify]` over TLS and the weekly digest, against real SMTP servers on
//! 127.0.0.1 (Python's aiosmtpd, tests/clients/smtp_sink.py: plain,
//! STARTTLS required, or TLS from the first byte) whose certificate is
//! signed by a CA made for the test with the `openssl` command.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use babillard::pipeline::{Outcome, Pipeline};

use crate::harness::{FixtureServer, Resource, World, AGGREGATOR};
use crate::observe::quoted_printable;

/// A private CA and a server certificate it signed for 127.0.0.1 and
/// localhost, in a temporary folder.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let steps: Vec<Vec<&str>> = vec![
            [
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
                &["-subj", "/CN=babillard test CA"],
                &["-addext", "basicConstraints=critical,CA:TRUE"],
                &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ]
            .concat(),
            [
                &["req"][..],
                &ec,
                &["-keyout", "server.key", "-out", "server.csr"],
                &["-subj", "/CN=localhost"],
            ]
            .concat(),
            vec![
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        ];
        for args in steps {
            let out = Command::new("openssl")
                .current_dir(d)
                .args(&args)
                .output()
                .expect("the openssl command");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// An SMTP server on 127.0.0.1 that keeps every message; stopped when
/// dropped.
struct Sink {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Sink {
    /// `mode`: `plain`, `starttls` or `tls`; `auth`: the only user and
    /// password accepted (AUTH then required).
    async fn start(mode: &str, pki: Option<&Pki>, auth: Option<(&str, &str)>) -> Sink {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let maildir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut cmd = Command::new("python3");
        cmd.env("PYTHONPATH", root.join("target/pyclients"))
            .arg(root.join("tests/clients/smtp_sink.py"))
            .arg(port.to_string())
            .arg(maildir.path().join("box"))
            .arg(mode)
            .stdout(Stdio::null())
            // Its log (the refused handshakes of the untrusted-certificate
            // test are expected), shown if it does not start.
            .stderr(std::fs::File::create(maildir.path().join("sink.log")).unwrap());
        if let Some(pki) = pki {
            cmd.arg("--cert")
                .arg(pki.path("server.pem"))
                .arg("--key")
                .arg(pki.path("server.key"));
        }
        if let Some((user, password)) = auth {
            cmd.args(["--user", user, "--password", password]);
        }
        let child = cmd
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup-test-clients)");
        let sink = Sink {
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
        let log = std::fs::read_to_string(sink.maildir.path().join("sink.log")).unwrap_or_default();
        panic!("the SMTP sink did not start on port {port}:\n{log}");
    }

    /// Every message received, quoted-printable undone.
    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(dir) = std::fs::read_dir(self.maildir.path().join("box").join(sub)) else {
                continue;
            };
            for e in dir.flatten() {
                out.push(quoted_printable(
                    &std::fs::read_to_string(e.path()).unwrap(),
                ));
            }
        }
        out
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `babillard ARGS` in `dir` with `env`: (exit code, stdout, stderr).
pub(crate) fn babillard_env(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_babillard"))
        .current_dir(dir)
        .args(args)
        .env("RUST_LOG", "error")
        .env_remove("BABILLARD_TEST_SMTP_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A sources.toml whose `[notify]` is `notify` (from, to added), in a
/// folder with the test CA's certificate as `ca.pem`.
fn folder(notify: &str, pki: &Pki) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(pki.path("ca.pem"), dir.path().join("ca.pem")).unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        format!(
            "{AGGREGATOR}\n[notify]\n{notify}from = \"babillard@agenda.example.org\"\n\
             to = [\"culture@laval.example\"]\n"
        ),
    )
    .unwrap();
    dir
}

async fn digest(dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let (d, env): (PathBuf, Vec<(String, String)>) = (
        dir.to_path_buf(),
        env.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        babillard_env(&d, &["notify", "digest"], &env)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_starttls_required_with_a_password_from_the_environment() {
    let pki = Pki::new();
    let sink = Sink::start("starttls", Some(&pki), Some(("agenda", "s3cret"))).await;
    let dir = folder(
        &format!(
            "smtp = \"smtp://127.0.0.1:{}\"\nsmtp_tls = \"starttls\"\nsmtp_ca_file = \"ca.pem\"\n\
             smtp_user = \"agenda\"\nsmtp_password_env = \"BABILLARD_TEST_SMTP_PASSWORD\"\n",
            sink.port
        ),
        &pki,
    );
    let env = [("BABILLARD_TEST_SMTP_PASSWORD", "s3cret")];
    let (code, out, err) = digest(dir.path(), &env).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let got = sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("Bilan de la semaine"), "{}", got[0]);

    // The password is read from the environment, nowhere else.
    let (code, _out, err) = digest(dir.path(), &[]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "the environment variable BABILLARD_TEST_SMTP_PASSWORD (named by `smtp_password_env`) is not set"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_implicit_tls() {
    let pki = Pki::new();
    let sink = Sink::start("tls", Some(&pki), None).await;
    let dir = folder(
        &format!(
            "smtp = \"smtps://127.0.0.1:{}\"\nsmtp_ca_file = \"ca.pem\"\n",
            sink.port
        ),
        &pki,
    );
    let (code, out, err) = digest(dir.path(), &[]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let got = sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("Weekly digest"), "{}", got[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_certificate_is_not_trusted_gets_nothing_and_the_error_is_logged() {
    let pki = Pki::new();
    for (mode, smtp, words) in [
        ("starttls", "smtp", "STARTTLS required"),
        ("tls", "smtps", "TLS"),
    ] {
        let sink = Sink::start(mode, Some(&pki), None).await;
        // No smtp_ca_file: the test CA is not trusted. STARTTLS is the
        // default off loopback; here it is asked for.
        let tls = if mode == "starttls" {
            "smtp_tls = \"starttls\"\n"
        } else {
            ""
        };
        let dir = folder(
            &format!("smtp = \"{smtp}://127.0.0.1:{}\"\n{tls}", sink.port),
            &pki,
        );
        let (code, out, err) = digest(dir.path(), &[]).await;
        assert_eq!(code, 1, "{mode}: {out}\n{err}");
        assert!(!err.contains("panicked"), "{err}");
        let logged = format!(
            "[notify] e-mail: {smtp}://127.0.0.1:{} ({words}): ",
            sink.port
        );
        let line = err
            .lines()
            .find(|l| l.contains(&logged))
            .unwrap_or_else(|| panic!("{mode}: no {logged} in\n{err}"));
        assert!(
            line.contains("invalid peer certificate") && line.contains("UnknownIssuer"),
            "{mode}: says why: {line}"
        );
        assert!(sink.messages().is_empty(), "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_digest_names_the_failing_recovered_and_changed_sources_once() {
    let sink = Sink::start("plain", None, None).await;
    let server = FixtureServer::start().await;
    server.put_fixture(
        "agenda.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    server.put_fixture(
        "saison.ics",
        "ics/google_calendar_export.ics",
        "text/calendar",
    );
    server.put(
        "fermee.ics",
        Resource {
            status: 503,
            ..Resource::ok(Vec::new(), "text/plain")
        },
    );
    server.edit("saison.ics", |r| r.status = 503);
    let text = format!(
        "{AGGREGATOR}\n\
         [[source]]\nid = \"maison\"\nname = \"Maison des arts\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"theatre\"\nname = \"Théâtre du Bic\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"salle\"\nname = \"Salle fermée\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [notify]\nafter = 24\nsmtp = \"smtp://127.0.0.1:{}\"\nfrom = \"babillard@agenda.example.org\"\n\
         to = [\"culture@laval.example\"]\ndigest = \"weekly\"\ndigest_day = \"lundi\"\ndigest_hour = 8\n",
        server.url("agenda.ics"),
        server.url("saison.ics"),
        server.url("fermee.ics"),
        sink.port
    );
    let world = World::from_config(&text, crate::harness::test_policy());
    // Runs logged now (the digest covers the week before now).
    let pipeline = Arc::new(
        Pipeline::with_policy(
            Arc::clone(&world.config),
            Arc::clone(&world.index),
            crate::harness::test_policy(),
        )
        .unwrap()
        .at(chrono::Utc::now()),
    );
    let reports = pipeline.ingest(&[], |_| {}).await;
    assert!(
        matches!(reports[0].outcome, Outcome::Updated(_)),
        "{}",
        reports[0]
    );
    assert!(
        matches!(reports[1].outcome, Outcome::Failed { .. }),
        "{}",
        reports[1]
    );
    // The theatre comes back.
    server.edit("saison.ics", |r| r.status = 200);
    let r = pipeline
        .run_source(&world.config.source("theatre").unwrap())
        .await;
    assert!(matches!(r.outcome, Outcome::Updated(_)), "{r}");
    assert!(
        sink.messages().is_empty(),
        "`after` not reached: no failure message"
    );

    // --dry-run prints it, sends nothing, keeps nothing.
    let d = world.dir.path().to_path_buf();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        crate::harness::babillard(&d, &["notify", "digest", "--dry-run"])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Subject: [Signé Laval (tests)] Bilan de la semaine"),
        "{out}"
    );
    assert!(sink.messages().is_empty());
    assert_eq!(
        world
            .index
            .notice_state(babillard::notify::DIGEST_STATE)
            .unwrap(),
        None
    );

    let d = world.dir.path().to_path_buf();
    let (code, out, err) =
        tokio::task::spawn_blocking(move || crate::harness::babillard(&d, &["notify", "digest"]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    let got = sink.messages();
    assert_eq!(got.len(), 1, "exactly one digest: {got:?}");
    let m = &got[0];
    assert!(m.contains("culture@laval.example"), "{m}");
    let fr = m.find("Bilan de la semaine de").expect(m);
    let en = m.find("Weekly digest of").expect(m);
    assert!(fr < en, "French first: {m}");
    let (fr, en) = (&m[fr..en], &m[en..]);
    // Failing now, since when, and why.
    let failing = section(fr, "Sources en panne ou muettes (1)", "Sources rétablies");
    assert!(
        failing.contains("Salle fermée (salle) : depuis le ") && failing.contains("503"),
        "{failing}"
    );
    assert!(
        !failing.contains("theatre") && !failing.contains("maison"),
        "{failing}"
    );
    // Recovered.
    let back = section(fr, "Sources rétablies cette semaine (1)", "Événements");
    assert!(back.contains("Théâtre du Bic (theatre)"), "{back}");
    // New events, by source.
    let maison = count_new(&world, "maison");
    assert!(maison > 0);
    assert!(
        fr.contains(&format!("Maison des arts (maison) : {maison} nouveaux")),
        "{fr}"
    );
    assert!(en.contains("Sources failing or silent (1):"), "{en}");
    assert!(en.contains("Salle fermée (salle): since "), "{en}");
    assert!(en.contains("Sources that recovered this week (1):"), "{en}");
    assert!(
        en.contains(&format!("Maison des arts (maison): {maison} new")),
        "{en}"
    );

    // Remembered in the store, by the binary that sent it.
    let kept = world
        .index
        .notice_state(babillard::notify::DIGEST_STATE)
        .unwrap()
        .expect("when the digest went is kept");
    assert!(kept.contains("\"last\""), "{kept}");
    // A notifier started anew (a restart) finds no digest due before the
    // next Monday 8:00; stopped over that slot and back two days later,
    // it sends the missed one, once.
    let notifier = babillard::notify::Notifier::new(
        world.config.notify.clone().unwrap(),
        Arc::clone(&world.index),
        &world.config.aggregator.name,
    );
    let now = chrono::Utc::now();
    assert!(!notifier.digest_if_due(&world.config, now).await.unwrap());
    assert_eq!(sink.messages().len(), 1);
    let schedule = world.config.notify.as_ref().unwrap().digest.unwrap();
    let next = babillard::notify::next_slot(now, schedule, world.config.aggregator.timezone);
    let back = next + chrono::Duration::days(2);
    assert!(notifier.digest_if_due(&world.config, back).await.unwrap());
    assert!(!notifier
        .digest_if_due(&world.config, back + chrono::Duration::hours(1))
        .await
        .unwrap());
    assert_eq!(sink.messages().len(), 2);
}

/// What `text` holds between `from` and `to`.
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let a = text
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in {text}"));
    let b = text[a..].find(to).map_or(text.len(), |b| a + b);
    &text[a..b]
}

/// The events `source` logged as new (its runs' counts).
fn count_new(world: &World, source: &str) -> usize {
    world
        .index
        .runs_since(chrono::Utc::now() - chrono::Duration::days(7))
        .unwrap()
        .into_iter()
        .find(|r| r.source == source)
        .map_or(0, |r| r.new)
}
