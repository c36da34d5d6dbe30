//! The Content-Security-Policy seen from real headless Chromium (Debian's
//! `/usr/bin/chromium`, driven by playwright-core from
//! `tests/browser/csp.mjs`).
//!
//! A source on 127.0.0.1 whose events carry hostile text (a title
//! `<script>alert(1)</script>`, another `"><img src=x onerror=alert(1)>`,
//! entity-encoded markup, a description that closes a `<script>` element),
//! ingested by the real pipeline and served by the real router; a host page
//! on another origin frames `/embed` (allowed) and `/sources` (refused).
//! With a `securitypolicyviolation` listener in every frame, the script
//! loads the portal (list, month view, a filter, a search submitted through
//! the form), the hostile event pages, `/sources` and the framed `/embed`:
//! zero violations, no dialog opened (nothing executed), and every page
//! still renders and works. A positive control first shows that the policy
//! is enforced and the listener hears it.

use chrono::{Duration, Utc};
use chrono_tz::America::Toronto;
use serde_json::{json, Value};

use crate::harness::{chromium, get_json, run_browser_script, FixtureServer, Resource, World};

/// A hostile title, and the category that files it.
const HOSTILE: [(&str, &str); 4] = [
    ("<script>alert(1)</script>", "musique"),
    ("\"><img src=x onerror=alert(1)>", "theatre"),
    ("&lt;script&gt;alert(2)&lt;/script&gt; concert", "musique"),
    ("Spectacle <b onmouseover=alert(3)>gras</b>", "theatre"),
];

fn hostile_ics() -> String {
    let today = Utc::now().with_timezone(&Toronto).date_naive();
    let mut s =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//babillard tests//csp//FR\r\n");
    for (i, (title, category)) in HOSTILE.iter().enumerate() {
        let day = today + Duration::days(i as i64 + 1);
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:hostile-{i}@csp.test\r\nDTSTAMP:20261101T000000Z\r\n\
SUMMARY:{title}\r\nDESCRIPTION:</script><script>alert({i})</script><style>body{{display:none}}</style>\r\n\
DTSTART;TZID=America/Toronto:{}T200000\r\nDTEND;TZID=America/Toronto:{}T220000\r\n\
CATEGORIES:{category}\r\nLOCATION:Maison des arts de Laval\r\n\
URL:javascript:alert({i})\r\nEND:VEVENT\r\n",
            day.format("%Y%m%d"),
            day.format("%Y%m%d"),
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

/// A host page on its own origin that frames `/embed` twice and `/sources`.
fn host_page(api: &str) -> Resource {
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Hôte</title></head>
<body><h1>Hôte</h1>
<iframe id="embed" src="{api}/embed?view=month" title="Agenda" width="100%" height="500"></iframe>
<iframe id="embed-list" src="{api}/embed?category=musique" title="Agenda musique" width="100%" height="400"></iframe>
<iframe id="sources" src="{api}/sources" title="Sources" width="100%" height="200"></iframe>
</body></html>"#
    );
    Resource::ok(page.into_bytes(), "text/html; charset=utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_csp_violation_and_nothing_executed_in_chromium() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = chromium();
    let server = FixtureServer::start().await;
    server.put(
        "hostile.ics",
        Resource::ok(hostile_ics().into_bytes(), "text/calendar"),
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"hostile\"\nname = \"<script>alert('source')</script>\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("hostile.ics")
    ));
    world.ingest_today().await;
    let api = world.serve().await;

    // The stored events, as the API gives them: their pages and titles.
    let (status, listing) = get_json(&format!("{api}/api/v1/events?limit=100")).await;
    assert_eq!(status, 200, "{listing}");
    let events = listing["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), HOSTILE.len(), "{listing}");
    let pages: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "path": format!("/events/{}", e["id"].as_str().unwrap_or_default()),
                "title": e["title"],
            })
        })
        .collect();
    println!(
        "stored titles: {:?}",
        events.iter().map(|e| &e["title"]).collect::<Vec<_>>()
    );
    let music: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["categories"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "musique"))
        })
        .map(|e| &e["title"])
        .collect();
    assert!(!music.is_empty() && music.len() < events.len());

    let host = FixtureServer::start().await;
    host.put("host.html", host_page(&api));
    let cfg = json!({
        "api": api,
        "host": host.url("host.html"),
        "chromium": chromium,
        "shots": root.join("target/screenshots"),
        "pages": pages,
        "music": music,
        "total": events.len(),
    });
    let stdout = run_browser_script(world.dir.path(), "csp.mjs", &cfg).await;
    println!("{stdout}");
    std::mem::forget((server, host));
}
