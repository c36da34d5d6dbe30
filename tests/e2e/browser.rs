//! The widget, `/embed`, the portal and `/sources` in real headless
//! Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core from
//! `tests/browser/run.mjs`).
//!
//! Three servers on 127.0.0.1: the aggregator (A) over a source written
//! relative to today, a host page on another origin (B) whose CSS is
//! hostile, and a folder served as the static export would serve it (C:
//! `widget.js` with its static flag set, and `api/v1/events.json`). The
//! script checks what renders, filters, month navigation, that the host's
//! CSS stays out, keyboard access, 280 px, static mode, and that nothing
//! is requested from any other origin and no cookie is set; it saves
//! screenshots to `target/screenshots/`.

use std::path::Path;

use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use chrono_tz::America::Toronto;
use serde_json::{json, Value};

use crate::harness::{chromium, client, run_browser_script, FixtureServer, World};

/// One event of the generated source.
struct Ev {
    uid: &'static str,
    title: &'static str,
    /// Local date in Toronto; None for a timed event means all day.
    day: NaiveDate,
    time: Option<(u32, u32)>,
    extra: &'static str,
    music: bool,
    at_mda: bool,
}

fn ics_for(events: &[Ev]) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//babillard tests//browser//FR\r\n",
    );
    for e in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{}@browser.test\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{}\r\n",
            e.uid, e.title
        ));
        match e.time {
            Some((h, m)) => {
                let start = e.day.and_hms_opt(h, m, 0).unwrap_or_default();
                let end = start + Duration::hours(2);
                s.push_str(&format!(
                    "DTSTART;TZID=America/Toronto:{}\r\nDTEND;TZID=America/Toronto:{}\r\n",
                    start.format("%Y%m%dT%H%M%S"),
                    end.format("%Y%m%dT%H%M%S")
                ));
            }
            None => s.push_str(&format!(
                "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\n",
                e.day.format("%Y%m%d"),
                (e.day + Duration::days(1)).format("%Y%m%d")
            )),
        }
        s.push_str(if e.at_mda {
            "LOCATION:Maison des arts de Laval\r\n"
        } else {
            "LOCATION:Salle André-Mathieu\r\n"
        });
        s.push_str(e.extra);
        s.push_str("END:VEVENT\r\n");
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn first_of(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

fn shift_month(d: NaiveDate, n: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + n;
    first_of(total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

/// A tiny server for fixed bodies, with CORS like a CDN that allows it.
async fn serve_bodies(bodies: Vec<(&'static str, &'static str, Vec<u8>)>) -> String {
    let mut app = axum::Router::new();
    for (path, content_type, body) in bodies {
        app = app.route(
            path,
            get(move || {
                let body = body.clone();
                async move {
                    (
                        [
                            (CONTENT_TYPE, content_type),
                            (ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                        ],
                        body,
                    )
                        .into_response()
                }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_embed_and_portal_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = chromium();

    // A source written relative to today, in Toronto.
    let today = Utc::now().with_timezone(&Toronto).date_naive();
    let this_month = first_of(today.year(), today.month());
    let events = [
        Ev {
            uid: "noel",
            title: "Concert de Noël",
            day: today + Duration::days(1),
            time: Some((19, 30)),
            extra: "CATEGORIES:Concert\r\n",
            music: true,
            at_mda: true,
        },
        Ev {
            uid: "belles",
            title: "Les Belles-sœurs",
            day: today + Duration::days(2),
            time: Some((20, 0)),
            extra: "CATEGORIES:Théâtre\r\n",
            music: false,
            at_mda: false,
        },
        Ev {
            uid: "marche",
            title: "Marché de Noël & artisans",
            day: today + Duration::days(3),
            time: None,
            extra: "",
            music: false,
            at_mda: true,
        },
        Ev {
            uid: "recital",
            title: "Récital de chansons",
            day: today + Duration::days(4),
            time: Some((19, 0)),
            extra: "CATEGORIES:Chanson\r\nSTATUS:CANCELLED\r\n",
            music: true,
            at_mda: true,
        },
        Ev {
            uid: "prochain",
            title: "Concert du mois prochain",
            day: shift_month(this_month, 1) + Duration::days(14),
            time: Some((20, 0)),
            extra: "CATEGORIES:Musique\r\n",
            music: true,
            at_mda: true,
        },
        Ev {
            uid: "dernier",
            title: "Exposition du mois dernier",
            day: shift_month(this_month, -1) + Duration::days(9),
            time: Some((14, 0)),
            extra: "",
            music: false,
            at_mda: false,
        },
    ];
    let server = FixtureServer::start().await;
    server.put(
        "agenda.ics",
        crate::harness::Resource::ok(ics_for(&events).into_bytes(), "text/calendar"),
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"maison-des-arts\"\nname = \"Maison des arts\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("agenda.ics")
    ));
    // The fixture is relative to today: ingest at today's clock.
    world.ingest_today().await;
    let api = world.serve().await;

    // What each view must show.
    let upcoming: Vec<&Ev> = events.iter().filter(|e| e.day >= today).collect();
    let titles = |f: &dyn Fn(&Ev) -> bool| -> Vec<&str> {
        upcoming.iter().filter(|e| f(e)).map(|e| e.title).collect()
    };
    let month = |first: NaiveDate| {
        let next = shift_month(first, 1);
        json!({
            "label": format!("{} {}", FR_MONTHS[first.month0() as usize], first.year()),
            "titles": events.iter().filter(|e| e.day >= first && e.day < next).map(|e| e.title).collect::<Vec<_>>(),
        })
    };
    let fr_time = |e: &Ev| match e.time {
        Some((h, m)) => format!("{h} h {m:02}"),
        None => String::new(),
    };
    let first_timed = upcoming.iter().find(|e| e.time.is_some()).unwrap();
    let en_days: Vec<String> = upcoming
        .iter()
        .take(2)
        .map(|e| e.day.format("%A, %B %-d, %Y").to_string())
        .collect();
    let expect = json!({
        "list": titles(&|_| true),
        "music": titles(&|e| e.music),
        "q": ["Les Belles-sœurs"],
        "near": titles(&|e| e.at_mda),
        "months": [month(shift_month(this_month, -1)), month(this_month), month(shift_month(this_month, 1))],
        "fr_time": [fr_time(first_timed)],
        "en_day": en_days,
        "escaped": "Marché de Noël & artisans",
    });

    // The host page on another origin, with hostile CSS.
    let host_page = format!(
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Page hôte</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>* {{ color: red !important; font-size: 40px }} div {{ display: none }}</style>
<script src="{api}/widget.js" async></script></head>
<body><h1>Hôte</h1>
<babillard-events id="list"></babillard-events>
<babillard-events id="music" category="musique" style="--babillard-accent:#00503c"></babillard-events>
<babillard-events id="month" view="month"></babillard-events>
<section lang="en"><babillard-events id="en" limit="2"></babillard-events></section>
<iframe src="{api}/embed?category=musique" title="Agenda" width="100%" height="400"></iframe>
</body></html>"#
    );
    // The static export: widget.js with its flag set, and every upcoming event.
    let js = publish::widget::WIDGET_JS.replace(
        publish::widget::STATIC_FLAG_LINE,
        "const BABILLARD_STATIC = true;",
    );
    assert_ne!(js, publish::widget::WIDGET_JS);
    let all = client()
        .get(format!("{api}/api/v1/events?limit=1000"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let static_base = serve_bodies(vec![
        (
            "/widget.js",
            "application/javascript; charset=utf-8",
            js.into_bytes(),
        ),
        ("/api/v1/events.json", "application/json", all),
    ])
    .await;
    let static_page = format!(
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Statique</title>
<script src="{static_base}/widget.js" async></script></head>
<body>
<babillard-events id="s-list" limit="3"></babillard-events>
<babillard-events id="s-music" category="musique"></babillard-events>
<babillard-events id="s-q" q="soeurs"></babillard-events>
<babillard-events id="s-near" near="45.5605,-73.7130" radius-km="1"></babillard-events>
<babillard-events id="s-month" view="month"></babillard-events>
</body></html>"#
    );
    let host = serve_bodies(vec![
        ("/", "text/html; charset=utf-8", host_page.into_bytes()),
        (
            "/static",
            "text/html; charset=utf-8",
            static_page.into_bytes(),
        ),
    ])
    .await;

    let shots = root.join("target/screenshots");
    let cfg = json!({
        "api": api,
        "host": host,
        "static": static_base,
        "shots": shots,
        "chromium": chromium,
        "expect": expect,
    });
    let stdout = run_browser_script(world.dir.path(), "run.mjs", &cfg).await;
    let measured: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    println!("browser measurements: {measured}");
    println!("screenshots in {}", shots.display());
    assert!(measured["widget_gzip_bytes"].as_u64().unwrap_or(u64::MAX) < 12 * 1024);
    std::mem::forget(server);
}
