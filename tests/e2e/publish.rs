//! What is published, read by the clients that read it: every fixture of
//! every kind served on 127.0.0.1 and ingested, then the ICS feed read by
//! ical.js, Python's icalendar and the strict `ical` package, the RSS feed
//! read by feedparser, the event pages' JSON-LD, the single-event
//! calendars, and categories and venues checked against the OpenAPI
//! document.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use babillard::pipeline::Outcome;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::harness::{client, get_json, read_fixture, FixtureServer, Resource, World};

const RANGE: &str = "from=2026-09-01&to=2028-01-01&limit=1000";

/// Every host the fixtures name, rewritten to the fixture server.
const ORIGINS: [&str; 15] = [
    "https://maisondesarts.example.org",
    "https://verticale.example",
    "https://culture.example.ca",
    "https://festival.example.org",
    "https://theatreduquartier.example",
    "https://www.laval.example",
    "https://theatredesmuses.example",
    "https://www.zonelibre-collectif.example",
    "https://maisondesarts.example",
    "https://www.laval.example.ca",
    "https://www.bibliotheques.example.qc.ca",
    "https://culture-sainte-rose.example.org",
    "https://cinema-ciel.example.org",
    "http://www.theatredesmuses.example.qc.ca",
    "https://static.wixstatic.example",
];

/// Serve `fixture_rel` at `path` with every origin pointing at `base`
/// (the server plus a prefix of this fixture's own).
fn put_under(server: &FixtureServer, prefix: &str, path: &str, fixture_rel: &str, ct: &str) {
    let bytes = read_fixture(fixture_rel);
    // Windows-1252 fixtures stay bytes: only ASCII is replaced.
    let base = format!("{}/{prefix}", server.base);
    let mut out = bytes;
    // Longest origins first, so that `https://www.laval.example.ca` is not
    // cut by `https://www.laval.example`.
    let mut origins = ORIGINS.to_vec();
    origins.sort_by_key(|o| std::cmp::Reverse(o.len()));
    for origin in origins {
        out = replace_bytes(&out, origin.as_bytes(), base.as_bytes());
        out = replace_bytes(
            &out,
            origin.replace('/', "\\/").as_bytes(),
            base.replace('/', "\\/").as_bytes(),
        );
    }
    server.put(&format!("{prefix}/{path}"), Resource::ok(out, ct));
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn detail_page(title: &str, start: &str) -> Vec<u8> {
    format!(
        r#"<!DOCTYPE html><html lang="fr"><head><title>{title}</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"Event","name":"{title}","startDate":"{start}","location":{{"@type":"Place","name":"Maison des arts de Laval","address":"1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1"}}}}</script>
</head><body><h1>{title}</h1></body></html>"#
    )
    .into_bytes()
}

const EMPTY_HTML: &[u8] = b"<!DOCTYPE html><html lang=\"fr\"><head><title>Fin</title></head><body><p>Aucun autre \xc3\xa9v\xc3\xa9nement.</p></body></html>";

/// The path (with query) of `url` once its origin is rewritten under
/// `prefix`.
fn local_path(url: &str, prefix: &str) -> String {
    let mut url = url.to_string();
    let mut origins = ORIGINS.to_vec();
    origins.sort_by_key(|o| std::cmp::Reverse(o.len()));
    for origin in origins {
        if let Some(rest) = url.strip_prefix(origin) {
            url = format!("{prefix}{rest}");
            break;
        }
    }
    url.trim_start_matches('/').to_string()
}

/// A world with one source per fixture of every kind (all of them), the
/// pages their items and listings link to, ingested on the fixtures' day.
async fn world_with_every_fixture() -> (World, String) {
    let server = FixtureServer::start().await;
    let mut toml = String::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let names = |dir: &str, ext: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".expected.json") && ext.iter().any(|x| n.ends_with(x)))
            .collect();
        v.sort();
        v
    };

    // ICS: every file, at its name.
    for file in names("ics", &[".ics"]) {
        let stem = file.trim_end_matches(".ics").replace('_', "-");
        put_under(
            &server,
            &stem,
            &file,
            &format!("ics/{file}"),
            "text/calendar",
        );
        toml.push_str(&format!(
            "[[source]]\nid = \"ics-{stem}\"\nkind = \"ics\"\nurl = \"{}\"\n\n",
            server.url(&format!("{stem}/{file}"))
        ));
    }

    // Feeds: at the URL their tests parse them with; next pages are empty
    // feeds, detail pages carry a date.
    let feeds = [
        (
            "wordpress_rss2_event_module.xml",
            "https://maisondesarts.example.org/feed/",
            "application/rss+xml",
        ),
        (
            "drupal_rss_no_dates.xml",
            "https://www.bibliotheques.example.qc.ca/rss.xml",
            "application/rss+xml",
        ),
        (
            "atom_municipal_news_with_dates_in_text.xml",
            "https://www.laval.example.ca/nouvelles.atom",
            "application/atom+xml",
        ),
        (
            "jsonfeed_event_extension.json",
            "https://culture-sainte-rose.example.org/agenda.json",
            "application/feed+json",
        ),
        (
            "rss_latin1_bare_ampersand.xml",
            "http://www.theatredesmuses.example.qc.ca/rss.php",
            "application/rss+xml",
        ),
        (
            "rss10_rdf_xcal.rdf",
            "https://cinema-ciel.example.org/rss",
            "application/rdf+xml",
        ),
    ];
    assert_eq!(
        feeds.len(),
        names("feed", &[".xml", ".json", ".rdf"]).len(),
        "every feed fixture"
    );
    for (file, url, ct) in feeds {
        let stem = file.split('.').next().unwrap().replace('_', "-");
        let expected: Value = serde_json::from_slice(&read_fixture(&format!(
            "feed/{}.expected.json",
            file.split('.').next().unwrap()
        )))
        .unwrap();
        let path = local_path(url, &stem);
        put_under(
            &server,
            &stem,
            path.trim_start_matches(&format!("{stem}/")),
            &format!("feed/{file}"),
            ct,
        );
        serve_links(&server, &stem, &expected, ct);
        toml.push_str(&format!(
            "[[source]]\nid = \"feed-{stem}\"\nkind = \"feed\"\nurl = \"{}\"\n\n",
            server.url(&path)
        ));
    }

    // HTML: at the URL of their expected file, with their selectors.
    for file in names("html", &[".html"]) {
        let base_name = file.trim_end_matches(".html");
        let stem = base_name.replace('_', "-");
        let expected: Value =
            serde_json::from_slice(&read_fixture(&format!("html/{base_name}.expected.json")))
                .unwrap();
        let path = local_path(expected["url"].as_str().unwrap(), &stem);
        put_under(
            &server,
            &stem,
            path.trim_start_matches(&format!("{stem}/")),
            &format!("html/{file}"),
            "text/html",
        );
        serve_links(&server, &stem, &expected, "text/html");
        toml.push_str(&format!(
            "[[source]]\nid = \"html-{stem}\"\nkind = \"html\"\nurl = \"{}\"\n",
            server.url(&path)
        ));
        if let Some(selectors) = expected["selectors"].as_object() {
            toml.push_str("[source.selectors]\n");
            for (k, v) in selectors {
                toml.push_str(&format!(
                    "{k} = {}\n",
                    Value::String(v.as_str().unwrap().into())
                ));
            }
        }
        toml.push('\n');
    }

    // WordPress: The Events Calendar's API over its two pages.
    assert_eq!(
        names("wordpress", &[".json"]).len(),
        2,
        "every wordpress fixture"
    );
    put_under(
        &server,
        "wp",
        "wp-json/tribe/events/v1/events",
        "wordpress/tec_page1.json",
        "application/json",
    );
    put_under(
        &server,
        "wp",
        "wp-json/tribe/events/v1/events?start_date=2026-11-15&per_page=3&page=2",
        "wordpress/tec_page2.json",
        "application/json",
    );
    toml.push_str(&format!(
        "[[source]]\nid = \"wordpress-tec\"\nkind = \"wordpress\"\nurl = \"{}\"\n\n",
        server.url("wp")
    ));

    let world = World::new(&toml);
    let reports = world.ingest().await;
    let mut kinds_with_events = BTreeSet::new();
    for r in &reports {
        match &r.outcome {
            Outcome::Updated(c) => {
                assert!(c.found > 0, "{r}: {:?}", r.warnings);
                kinds_with_events.insert(r.source.split('-').next().unwrap().to_string());
            }
            other => panic!("{}: {other:?} {:?}", r.source, r.warnings),
        }
    }
    assert_eq!(
        kinds_with_events.into_iter().collect::<Vec<_>>(),
        ["feed", "html", "ics", "wordpress"]
    );
    let api = world.serve().await;
    std::mem::forget(server);
    (world, api)
}

/// Next pages (empty documents of the same kind) and detail pages (a
/// dated JSON-LD event) that a fixture links to.
fn serve_links(server: &FixtureServer, prefix: &str, expected: &Value, ct: &str) {
    let Some(links) = expected["links"].as_array() else {
        return;
    };
    for (i, link) in links.iter().enumerate() {
        if let Some(next) = link["next_page"].as_str() {
            let empty: Vec<u8> = match ct {
                "text/html" => EMPTY_HTML.to_vec(),
                "application/atom+xml" => b"<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Fin</title><id>urn:fin</id><updated>2026-11-01T00:00:00Z</updated></feed>".to_vec(),
                "application/feed+json" => br#"{"version":"https://jsonfeed.org/version/1.1","title":"Fin","items":[]}"#.to_vec(),
                _ => b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Fin</title><link>http://127.0.0.1/</link><description>Fin</description></channel></rss>".to_vec(),
            };
            // Relative links resolve against the server's root: both.
            server.put(&local_path(next, prefix), Resource::ok(empty.clone(), ct));
            server.put(&local_path(next, ""), Resource::ok(empty, ct));
        }
        if let Some(url) = link["detail"]["url"].as_str() {
            let day = 10 + (i % 15);
            let page = detail_page(
                &format!("Activité {prefix} {i}"),
                &format!("2026-12-{day:02}T19:00:00-05:00"),
            );
            server.put(
                &local_path(url, prefix),
                Resource::ok(page.clone(), "text/html"),
            );
            server.put(&local_path(url, ""), Resource::ok(page, "text/html"));
        }
    }
}

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn pyclients() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/pyclients")
        .display()
        .to_string()
}

/// Run a client's validator on `file`; its JSON output.
fn validator(program: &str, script: &str, file: &Path) -> Value {
    let mut cmd = Command::new(program);
    cmd.arg(clients_dir().join(script)).arg(file);
    if program == "python3" {
        cmd.env("PYTHONPATH", pyclients());
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {program}: {e}; run scripts/setup-test-clients first")
    });
    assert!(
        out.status.success(),
        "{script} rejected {}:\n{}\n{}\n(if a module is missing, run scripts/setup-test-clients)",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script}: not JSON: {e}"))
}

const ICS_VALIDATORS: [(&str, &str); 3] = [
    ("node", "validate_ics.mjs"),
    ("python3", "validate_ics.py"),
    ("python3", "validate_ics_strict.py"),
];

/// (summary, start) of each event as a client read it, sorted.
fn summaries_and_starts(parsed: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = parsed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["summary"].as_str().unwrap().to_string(),
                e["start"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// (title, start) of API events as calendar clients write starts: UTC for
/// timed events, the date for all-day ones.
fn api_titles_and_starts(events: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            let start = if e["all_day"].as_bool().unwrap() {
                e["start"].as_str().unwrap()[..10].to_string()
            } else {
                let dt: DateTime<Utc> = e["start"].as_str().unwrap().parse().unwrap();
                dt.to_rfc3339_opts(SecondsFormat::Secs, true)
            };
            (e["title"].as_str().unwrap().to_string(), start)
        })
        .collect();
    v.sort();
    v
}

async fn get_bytes(url: &str) -> (u16, String, Vec<u8>) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// Check an answer of `GET path` (200) against its schema in the OpenAPI
/// document `doc` with `jsonschema`; the document's components join the
/// schema so that its `#/components/...` references resolve.
fn assert_documented(doc: &Value, path: &str, answer: &Value) {
    let pointer = format!(
        "/paths/{}/get/responses/200/content/application~1json/schema",
        path.replace('/', "~1")
    );
    let mut schema = doc
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("{path} is not documented"))
        .clone();
    schema["components"] = doc["components"].clone();
    let errors: Vec<String> = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{path}: not a schema: {e}"))
        .iter_errors(answer)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{path}: {errors:#?}");
}

async fn api_events(api: &str) -> Vec<Value> {
    let (status, body) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_published_is_read_right_by_real_clients() {
    let (world, api) = world_with_every_fixture().await;
    let events = api_events(&api).await;
    assert!(
        events.len() > 40,
        "the fixtures give {} events",
        events.len()
    );
    let want = api_titles_and_starts(&events);

    // The ICS feed, in both languages, by all three calendar parsers.
    for lang in ["fr", "en"] {
        let (status, ct, feed) =
            get_bytes(&format!("{api}/feeds/events.ics?{RANGE}&lang={lang}")).await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("text/calendar"), "{ct}");
        let text = String::from_utf8(feed.clone()).unwrap();
        for line in [
            "COLOR:crimson",
            "X-PUBLISHED-TTL:PT1H",
            "NAME:Signé Laval (tests)",
        ] {
            assert!(text.contains(&format!("{line}\r\n")), "{line}");
        }
        let file = world.dir.path().join(format!("feed-{lang}.ics"));
        std::fs::write(&file, &feed).unwrap();
        let lang_events = if lang == "fr" {
            events.clone()
        } else {
            let (_, body) = get_json(&format!("{api}/api/v1/events?{RANGE}&lang=en")).await;
            body["events"].as_array().unwrap().clone()
        };
        let want = api_titles_and_starts(&lang_events);
        for (program, script) in ICS_VALIDATORS {
            let parsed = validator(program, script, &file);
            assert_eq!(
                summaries_and_starts(&parsed),
                want,
                "{script} reads the {lang} feed as the API says"
            );
        }
    }
    // Category names in the requested language.
    let (_, _, fr) = get_bytes(&format!("{api}/feeds/events.ics?{RANGE}&category=musique")).await;
    let (_, _, en) = get_bytes(&format!(
        "{api}/feeds/events.ics?{RANGE}&category=musique&lang=en"
    ))
    .await;
    let fr = String::from_utf8(fr).unwrap();
    let en = String::from_utf8(en).unwrap();
    assert!(
        fr.contains("CATEGORIES:Musique") || fr.contains(",Musique"),
        "{fr}"
    );
    assert!(
        en.contains("CATEGORIES:Music") || en.contains(",Music"),
        "{en}"
    );

    // The RSS feed by feedparser: one item per event, with its start.
    let (status, ct, rss) = get_bytes(&format!("{api}/feeds/events.rss?{RANGE}")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/rss+xml; charset=utf-8");
    let file = world.dir.path().join("feed.rss");
    std::fs::write(&file, &rss).unwrap();
    let parsed = validator("python3", "validate_rss.py", &file);
    let items = parsed["items"].as_array().unwrap();
    assert_eq!(items.len(), events.len(), "one item per event");
    assert_eq!(parsed["channel"]["language"], "fr");
    assert!(parsed["channel"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/feeds/events.rss?{RANGE}")));
    for (item, event) in items.iter().zip(&events) {
        assert_eq!(item["id"], event["id"]);
        assert_eq!(item["title"], event["title"]);
        assert_eq!(
            item["link"],
            format!(
                "https://agenda.example.org/events/{}",
                event["id"].as_str().unwrap()
            )
        );
        let start: DateTime<Utc> = item["startdate"].as_str().unwrap().parse().unwrap();
        let api_start: DateTime<Utc> = event["start"].as_str().unwrap().parse().unwrap();
        assert_eq!(start, api_start, "{item}");
    }

    // Every event's page has JSON-LD that parses with the rich-result
    // fields; those with a venue have a Place, with an address when known.
    let mut with_address = 0;
    for event in &events {
        let id = event["id"].as_str().unwrap();
        let (status, ct, body) = get_bytes(&format!("{api}/events/{id}")).await;
        assert_eq!(status, 200, "{id}");
        assert_eq!(ct, "text/html; charset=utf-8");
        let html = String::from_utf8(body).unwrap();
        let open = "<script type=\"application/ld+json\">";
        let start = html.find(open).expect("JSON-LD") + open.len();
        let end = start + html[start..].find("</script>").unwrap();
        let ld: Value =
            serde_json::from_str(&html[start..end]).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(ld["@context"], "https://schema.org");
        assert_eq!(ld["@type"], "Event");
        assert_eq!(ld["name"], event["title"]);
        let ld_start = ld["startDate"].as_str().unwrap();
        if event["all_day"].as_bool().unwrap() {
            assert_eq!(ld_start, &event["start"].as_str().unwrap()[..10]);
        } else {
            let a: DateTime<Utc> = ld_start.parse().unwrap();
            let b: DateTime<Utc> = event["start"].as_str().unwrap().parse().unwrap();
            assert_eq!(a, b);
        }
        assert!(ld["eventStatus"]
            .as_str()
            .unwrap()
            .starts_with("https://schema.org/Event"));
        if event["venue"].is_object() {
            assert_eq!(ld["location"]["@type"], "Place", "{id}");
            assert_eq!(ld["location"]["name"], event["venue"]["name"]);
            if event["venue"]["address"].is_string() {
                let a = &ld["location"]["address"];
                assert_eq!(a["@type"], "PostalAddress", "{id}");
                assert!(
                    a["streetAddress"].is_string() || a["addressLocality"].is_string(),
                    "{a}"
                );
                with_address += 1;
            }
        }
    }
    assert!(with_address >= 5, "{with_address} events with an address");

    // A single event as a calendar: one VEVENT, accepted by all three.
    let picks: Vec<&Value> = [
        events.iter().find(|e| e["all_day"] == true),
        events
            .iter()
            .find(|e| e["all_day"] == false && e["venue"].is_object()),
        events.iter().find(|e| e["status"] == "cancelled"),
    ]
    .into_iter()
    .map(|e| e.expect("the fixtures have all-day, timed and cancelled events"))
    .collect();
    for event in picks {
        let id = event["id"].as_str().unwrap();
        let (status, ct, body) = get_bytes(&format!("{api}/events/{id}.ics")).await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("text/calendar"));
        let file = world.dir.path().join("one.ics");
        std::fs::write(&file, &body).unwrap();
        let want = api_titles_and_starts(std::slice::from_ref(event));
        for (program, script) in ICS_VALIDATORS {
            let parsed = validator(program, script, &file);
            assert_eq!(summaries_and_starts(&parsed), want, "{script}: {id}");
        }
        if event["status"] == "cancelled" {
            assert!(String::from_utf8(body)
                .unwrap()
                .contains("STATUS:CANCELLED\r\n"));
        }
    }
    assert!(!want.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_and_venues_answer_the_contract() {
    let (_world, api) = world_with_every_fixture().await;
    let (_, doc) = get_json(&format!("{api}/api/v1/openapi.json")).await;
    let events = api_events(&api).await;

    let (status, cats) = get_json(&format!("{api}/api/v1/categories?{RANGE}")).await;
    assert_eq!(status, 200);
    assert_documented(&doc, "/api/v1/categories", &cats);
    let cats = cats.as_array().unwrap();
    let slugs: Vec<&str> = cats.iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["musique", "theatre"]);
    for c in cats {
        assert!(
            c["name"]["fr"].is_string() && c["name"]["en"].is_string(),
            "{c}"
        );
        let slug = c["slug"].as_str().unwrap();
        let count = events
            .iter()
            .filter(|e| {
                e["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == slug)
            })
            .count();
        assert_eq!(c["events"], count, "{slug}");
    }
    assert_eq!(cats[0]["name"]["en"], "Music");

    let (status, venues) = get_json(&format!("{api}/api/v1/venues?{RANGE}")).await;
    assert_eq!(status, 200);
    assert_documented(&doc, "/api/v1/venues", &venues);
    let venues = venues.as_array().unwrap();
    assert!(venues.len() > 5);
    assert_eq!(venues[0]["id"], "maison-des-arts", "the gazetteer first");
    assert_eq!(venues[0]["lat"], 45.5605);
    assert_eq!(venues[0]["precision"], "venue", "placed by its coordinates");
    for v in venues {
        for key in ["id", "name", "address", "city", "lat", "lon", "events"] {
            assert!(v.get(key).is_some(), "{key} in {v}");
        }
    }
    let with_venue = events.iter().filter(|e| e["venue"].is_object()).count() as u64;
    let counted: u64 = venues.iter().map(|v| v["events"].as_u64().unwrap()).sum();
    assert_eq!(counted, with_venue, "each event with a venue counted once");

    // The events answer validates too.
    let (_, page) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    assert_documented(&doc, "/api/v1/events", &page);
}
