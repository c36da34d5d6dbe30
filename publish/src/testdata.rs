//! Hand-made events for the unit tests, the index runs that store them,
//! and the router served on 127.0.0.1 with a plain HTTP/1.0 client.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use index::{FetchState, Index, SourceInfo, SourceRun};
use model::{
    Event, Occurrence, RawEvent, SourceId, SourceRef, Status, TimeValue, Translation, Venue,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::AppState;

pub(crate) fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A timed event in Toronto, with no end, scheduled, in French.
pub(crate) fn event(id: &str, start: &str) -> Event {
    let updated = "2026-11-01T12:00:00Z"
        .parse::<DateTime<Utc>>()
        .unwrap_or_default();
    let mut e = Event::new(
        id,
        format!("Événement {id}"),
        at(start),
        "America/Toronto",
        updated,
    );
    e.language = Some("fr".to_string());
    e.sources = vec![SourceRef {
        source: "mda".to_string(),
        uid: format!("uid-{id}"),
        url: None,
    }];
    e
}

/// About ten events covering what feeds must get right: time zones, DST,
/// all-day and multi-day events, statuses, long accented text to fold,
/// characters to escape, translations, venues, images.
pub(crate) fn feed_events() -> Vec<Event> {
    let mut out = Vec::new();

    let mut e = event("belles-soeurs", "2026-12-05T20:00:00-05:00");
    e.title = "Les Belles-sœurs".into();
    e.description = Some("Une pièce de Michel Tremblay.\nMise en scène: René Richard Cyr".into());
    e.end = Some(at("2026-12-05T22:00:00-05:00"));
    e.url = Some("https://mda.example.org/belles-soeurs".into());
    e.categories = vec!["theatre".into()];
    e.translations.insert(
        "en".into(),
        Translation {
            title: "The Sisters-in-Law".into(),
            description: Some("A play by Michel Tremblay.".into()),
        },
    );
    e.venue = Some(Venue {
        id: "maison-des-arts".into(),
        name: "Maison des arts de Laval".into(),
        address: Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1".into()),
        city: Some("Laval".into()),
        lat: Some(45.5605),
        lon: Some(-73.713),
        precision: None,
    });
    e.image = Some("https://mda.example.org/img/belles.jpg".into());
    e.sequence = 2;
    out.push(e);

    // Across the fall-back night.
    let mut e = event("nuit-blanche", "2026-10-31T22:00:00-04:00");
    e.title = "Nuit d'Halloween".into();
    e.end = Some(at("2026-11-01T03:00:00-05:00"));
    out.push(e);

    // Summer, no end.
    let mut e = event("fete-canada", "2026-07-01T19:30:00-04:00");
    e.title = "Feux d'artifice".into();
    out.push(e);

    // All-day, one day.
    let mut e = event("marche-noel", "2026-12-12T00:00:00-05:00");
    e.title = "Marché de Noël".into();
    e.all_day = true;
    e.end = Some(at("2026-12-13T00:00:00-05:00"));
    out.push(e);

    // All-day over three days, across the spring-forward night.
    let mut e = event("festival", "2026-03-06T00:00:00-05:00");
    e.title = "Festival des neiges".into();
    e.all_day = true;
    e.end = Some(at("2026-03-09T00:00:00-04:00"));
    out.push(e);

    // All-day with no end: one day.
    let mut e = event("journee", "2026-05-20T00:00:00-04:00");
    e.title = "Journée portes ouvertes".into();
    e.all_day = true;
    out.push(e);

    // Paris, across its spring-forward night.
    let mut e = event("paris", "2026-03-29T01:30:00+01:00");
    e.title = "Concert à Paris".into();
    e.timezone = "Europe/Paris".into();
    e.end = Some(at("2026-03-29T03:30:00+02:00"));
    out.push(e);

    // Cancelled.
    let mut e = event("annule", "2027-01-15T19:00:00-05:00");
    e.title = "Récital (ANNULÉ)".into();
    e.status = Status::Cancelled;
    e.sequence = 3;
    e.end = Some(at("2027-01-15T21:00:00-05:00"));
    out.push(e);

    // Postponed, in Regina, long accented text with things to escape.
    let mut e = event("long", "2026-08-01T20:00:00-06:00");
    e.timezone = "America/Regina".into();
    e.status = Status::Postponed;
    e.title = "Théâtre; danse, musique \\ « Spectacle » — édition spéciale".into();
    e.description = Some(
        "Œuvres de Debussy, Ravel; Satie et Fauré — « l'été », à l'église Sainte-Rose-de-Lima. "
            .repeat(6)
            + "\r\nFin.",
    );
    e.categories = vec![
        "musique".into(),
        "danse, contemporaine".into(),
        "théâtre;rue".into(),
    ];
    e.organizer = Some("billets@mda.example.org".into());
    e.end = Some(at("2026-08-01T22:30:00-06:00"));
    out.push(e);

    // Given in UTC: written as a UTC time, with no VTIMEZONE.
    let mut e = event("utc", "2026-09-12T18:00:00+00:00");
    e.title = "Diffusion en ligne".into();
    e.timezone = "UTC".into();
    e.end = Some(at("2026-09-12T19:00:00+00:00"));
    out.push(e);

    out
}

/// An occurrence of `source` at `start`, with a description, a venue (`mda`)
/// and the category `musique`.
pub(crate) fn occurrence(
    source: &str,
    uid: &str,
    title: &str,
    start: DateTime<FixedOffset>,
) -> Occurrence {
    let source_id = SourceId::new(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut event = event(
        &model::ids::occurrence_id(&source_id, uid, ""),
        &start.to_rfc3339(),
    );
    event.title = title.to_string();
    event.description = Some(format!("À propos de {title}"));
    event.end = Some(start + Duration::hours(2));
    event.categories = vec!["musique".to_string()];
    event.venue = Some(Venue {
        id: "mda".into(),
        name: "Maison des arts".into(),
        address: None,
        city: Some("Laval".into()),
        lat: Some(45.56),
        lon: Some(-73.71),
        precision: None,
    });
    event.sources = vec![SourceRef {
        source: source.to_string(),
        uid: uid.to_string(),
        url: None,
    }];
    event.updated_at = at("2026-01-01T00:00:00Z").with_timezone(&Utc);
    Occurrence {
        source: source_id,
        record_uid: uid.to_string(),
        key: String::new(),
        priority: 0,
        unmapped_categories: Vec::new(),
        event,
    }
}

/// A successful run of `source` that read `occurrences`.
pub(crate) fn source_run(source: &str, occurrences: Vec<Occurrence>) -> SourceRun {
    SourceRun {
        source: SourceId::new(source).unwrap_or_else(|e| panic!("{source}: {e}")),
        at: Utc::now(),
        duration_ms: 5,
        kind: Some("ics".into()),
        fetch: FetchState::default(),
        records: occurrences
            .iter()
            .map(|o| {
                RawEvent::new(
                    o.record_uid.clone(),
                    o.event.title.clone(),
                    TimeValue::Offset { at: o.event.start },
                )
            })
            .collect(),
        occurrences,
        warnings: Vec::new(),
    }
}

/// Declare the sources `mda` (Maison des arts, ICS) and `salle` (named
/// `salle_name`, kind unknown, never run).
pub(crate) fn two_sources(index: &Index, salle_name: &str) {
    index
        .sync_sources(&[
            SourceInfo {
                id: SourceId::new("mda").unwrap_or_else(|e| panic!("{e}")),
                name: "Maison des arts".into(),
                kind: Some("ics".into()),
                url: "https://mda.example.org/events.ics".into(),
            },
            SourceInfo {
                id: SourceId::new("salle").unwrap_or_else(|e| panic!("{e}")),
                name: salle_name.into(),
                kind: None,
                url: "https://salle.example.org/".into(),
            },
        ])
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Language → name, from pairs.
pub(crate) fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The router over `state`, served on a free port of 127.0.0.1.
pub(crate) async fn serve_router(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = crate::router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// One HTTP/1.0 request (no chunked encoding, the server closes).
pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.0\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str("Host: 127.0.0.1\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body,
    }
}

/// A GET from another origin (as browsers send it).
pub(crate) async fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[("Origin", "https://example.net")]).await
}

/// The schema of the JSON answer of `GET path` with `status` in the
/// OpenAPI document `doc` (`path` as written in it, e.g.
/// `/api/v1/events/{id}`).
pub(crate) fn response_schema<'a>(doc: &'a Value, path: &str, status: u16) -> Option<&'a Value> {
    doc.get("paths")?
        .get(path)?
        .get("get")?
        .get("responses")?
        .get(status.to_string())?
        .get("content")?
        .get("application/json")?
        .get("schema")
}

/// Check `value` against `schema`, a schema of the OpenAPI document `doc`
/// (JSON Schema 2020-12, `format` asserted); every violation as `instance
/// path: message`. The document's components go into the schema, so that
/// its `#/components/...` references resolve.
pub(crate) fn validate(doc: &Value, schema: &Value, value: &Value) -> Result<(), Vec<String>> {
    let mut schema = schema.clone();
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("not a schema ({e}): {schema:#}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
