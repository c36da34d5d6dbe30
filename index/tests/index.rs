//! The index end to end: real SQLite files and tantivy directories in temp
//! dirs, runs built by hand, queries checked against what was written.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use index::{
    Cursor, FetchState, Index, Query, Scope, ScopePart, SearchStorage, SourceInfo, SourceRun,
};
use model::{Event, Occurrence, RawEvent, SourceId, TimeValue, Translation, Venue};

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test time")
}

fn utc(s: &str) -> DateTime<Utc> {
    t(s).with_timezone(&Utc)
}

fn sid(s: &str) -> SourceId {
    SourceId::new(s).expect("test source id")
}

/// An occurrence of a single (non-recurring) record.
fn occ(source: &str, uid: &str, title: &str, start: &str, end: Option<&str>) -> Occurrence {
    let mut event = Event::new(
        "",
        title,
        t(start),
        "America/Toronto",
        utc("2026-01-01T00:00:00Z"),
    );
    event.end = end.map(t);
    event.language = Some("fr".to_string());
    Occurrence::single(sid(source), uid, event)
}

fn with_venue(mut o: Occurrence, id: &str, lat: Option<f64>, lon: Option<f64>) -> Occurrence {
    o.event.venue = Some(Venue {
        id: id.to_string(),
        name: format!("Salle {id}"),
        address: None,
        city: Some("Laval".to_string()),
        lat,
        lon,
        precision: None,
    });
    o
}

fn with_categories(mut o: Occurrence, cats: &[&str]) -> Occurrence {
    o.event.categories = cats.iter().map(|c| c.to_string()).collect();
    o
}

/// A run whose records are derived from its occurrences.
fn run(source: &str, at: &str, occurrences: Vec<Occurrence>) -> SourceRun {
    let records = occurrences
        .iter()
        .map(|o| {
            RawEvent::new(
                o.record_uid.clone(),
                o.event.title.clone(),
                TimeValue::Offset { at: o.event.start },
            )
        })
        .collect();
    SourceRun {
        source: sid(source),
        at: utc(at),
        duration_ms: 12,
        kind: Some("ics".to_string()),
        fetch: FetchState {
            etag: Some("\"v1\"".to_string()),
            last_modified: None,
            content_hash: Some("abc".to_string()),
        },
        records,
        occurrences,
        warnings: Vec::new(),
    }
}

fn info(id: &str) -> SourceInfo {
    SourceInfo {
        id: sid(id),
        name: format!("Source {id}"),
        kind: None,
        url: format!("https://{id}.example.org/events.ics"),
    }
}

fn open(dir: &Path, sources: &[&str]) -> Index {
    let index = Index::open(dir).expect("open index");
    let infos: Vec<SourceInfo> = sources.iter().map(|s| info(s)).collect();
    index.sync_sources(&infos).expect("sync sources");
    index
}

fn everything() -> Query {
    let mut q = Query::from(utc("2000-01-01T00:00:00Z"));
    q.limit = 1000;
    q
}

fn titles(index: &Index, q: &Query) -> Vec<String> {
    index
        .query(q)
        .expect("query")
        .events
        .into_iter()
        .map(|e| e.title)
        .collect()
}

fn search(index: &Index, text: &str) -> Vec<String> {
    let mut q = everything();
    q.q = Some(text.to_string());
    let mut found = titles(index, &q);
    found.sort();
    found
}

#[test]
fn a_run_inserts_and_an_identical_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    let g0 = index.generation();
    let occs = vec![
        occ("mda", "a", "Concert", "2026-12-05T20:00:00-05:00", None),
        occ("mda", "b", "Théâtre", "2026-12-06T20:00:00-05:00", None),
    ];
    let counts = index
        .record_success(run("mda", "2026-11-01T10:00:00Z", occs.clone()))
        .expect("run");
    assert_eq!(
        (counts.found, counts.new, counts.updated, counts.removed),
        (2, 2, 0, 0)
    );
    let g1 = index.generation();
    assert!(g1 > g0);
    let id = &occs[0].event.id;
    let stored = index.event(id).expect("event").expect("present");
    assert_eq!(stored.title, "Concert");
    assert_eq!(stored.sequence, 0);
    assert_eq!(stored.updated_at, utc("2026-01-01T00:00:00Z"));
    assert_eq!(index.query(&everything()).expect("query").total, 2);

    let counts = index
        .record_success(run("mda", "2026-11-02T10:00:00Z", occs.clone()))
        .expect("run");
    assert_eq!(
        (counts.found, counts.new, counts.updated, counts.removed),
        (2, 0, 0, 0)
    );
    assert_eq!(
        index.generation(),
        g1,
        "an unchanged run keeps the generation"
    );
    let again = index.event(id).expect("event").expect("present");
    assert_eq!(again, stored);

    let state = index.fetch_state(&sid("mda")).expect("fetch state");
    assert_eq!(state.etag.as_deref(), Some("\"v1\""));
    assert_eq!(state.content_hash.as_deref(), Some("abc"));
    let sources = index.sources().expect("sources");
    assert_eq!(sources[0].status, "ok");
    assert_eq!(sources[0].events, 2);
    assert_eq!(sources[0].kind.as_deref(), Some("ics"), "the detected kind");
    assert_eq!(
        sources[0].last_success_at,
        Some(utc("2026-11-02T10:00:00Z"))
    );
}

#[test]
fn a_changed_title_bumps_sequence_and_updated_at() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    let first = occ(
        "mda",
        "a",
        "Concert de Noël",
        "2026-12-05T20:00:00-05:00",
        None,
    );
    let other = occ("mda", "b", "Exposition", "2026-12-06T20:00:00-05:00", None);
    index
        .record_success(run(
            "mda",
            "2026-11-01T10:00:00Z",
            vec![first.clone(), other.clone()],
        ))
        .expect("run");
    let g1 = index.generation();
    let mut changed = first.clone();
    changed.event.title = "Récital de Noël".to_string();
    let counts = index
        .record_success(run(
            "mda",
            "2026-11-02T10:00:00Z",
            vec![changed, other.clone()],
        ))
        .expect("run");
    assert_eq!(
        (counts.found, counts.new, counts.updated, counts.removed),
        (2, 0, 1, 0)
    );
    assert!(index.generation() > g1);
    let e = index
        .event(&first.event.id)
        .expect("event")
        .expect("present");
    assert_eq!(e.title, "Récital de Noël");
    assert_eq!(e.sequence, 1);
    assert_eq!(e.updated_at, utc("2026-11-02T10:00:00Z"));
    let untouched = index
        .event(&other.event.id)
        .expect("event")
        .expect("present");
    assert_eq!(untouched.sequence, 0);
    assert_eq!(search(&index, "récital"), vec!["Récital de Noël"]);
    assert!(search(&index, "concert").is_empty());
    // The search index serves the stored event, sequence included.
    let page = index.query(&everything()).expect("query");
    let served = page
        .events
        .iter()
        .find(|e| e.id == first.event.id)
        .expect("served");
    assert_eq!(served.sequence, 1);
}

#[test]
fn a_record_gone_from_its_source_is_removed_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    let a = occ("mda", "a", "Concert", "2026-12-05T20:00:00-05:00", None);
    let b = occ("mda", "b", "Théâtre", "2026-12-06T20:00:00-05:00", None);
    index
        .record_success(run(
            "mda",
            "2026-11-01T10:00:00Z",
            vec![a.clone(), b.clone()],
        ))
        .expect("run");
    let g1 = index.generation();
    let counts = index
        .record_success(run("mda", "2026-11-02T10:00:00Z", vec![a.clone()]))
        .expect("run");
    assert_eq!(
        (counts.found, counts.new, counts.updated, counts.removed),
        (1, 0, 0, 1)
    );
    assert!(index.generation() > g1);
    assert!(index.event(&b.event.id).expect("event").is_none());
    assert!(search(&index, "theatre").is_empty());
    assert_eq!(titles(&index, &everything()), vec!["Concert"]);
    assert_eq!(index.sources().expect("sources")[0].events, 1);
    // The raw records follow the source too.
    let conn = rusqlite::Connection::open(dir.path().join("babillard.sqlite")).expect("sqlite");
    let rows: Vec<(String, String, String)> = conn
        .prepare("SELECT record_key, first_seen, last_seen FROM records ORDER BY record_key")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        rows,
        vec![(
            "a".to_string(),
            "2026-11-01T10:00:00Z".to_string(),
            "2026-11-02T10:00:00Z".to_string()
        )]
    );
}

#[test]
fn a_failure_keeps_events_and_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    let a = occ("mda", "a", "Concert", "2026-12-05T20:00:00-05:00", None);
    index
        .record_success(run("mda", "2026-11-01T10:00:00Z", vec![a.clone()]))
        .expect("run");
    let g1 = index.generation();
    index
        .record_failure(
            &sid("mda"),
            utc("2026-11-02T10:00:00Z"),
            30_000,
            "timeout",
            "no answer in 30 s",
        )
        .expect("failure");
    assert_eq!(index.generation(), g1);
    let s = &index.sources().expect("sources")[0];
    assert_eq!(s.status, "error");
    assert_eq!(s.error_class.as_deref(), Some("timeout"));
    assert_eq!(s.last_error.as_deref(), Some("no answer in 30 s"));
    assert_eq!(s.last_fetch_at, Some(utc("2026-11-02T10:00:00Z")));
    assert_eq!(s.last_success_at, Some(utc("2026-11-01T10:00:00Z")));
    assert_eq!(s.events, 1);
    assert!(index.event(&a.event.id).expect("event").is_some());
    assert_eq!(titles(&index, &everything()), vec!["Concert"]);

    let counts = index
        .record_unchanged(&sid("mda"), utc("2026-11-03T10:00:00Z"), 5)
        .expect("unchanged");
    assert_eq!(
        (counts.found, counts.new, counts.updated, counts.removed),
        (1, 0, 0, 0)
    );
    assert_eq!(index.generation(), g1);
    let s = &index.sources().expect("sources")[0];
    assert_eq!(s.status, "ok");
    assert_eq!(s.last_error, None);
    assert_eq!(s.last_success_at, Some(utc("2026-11-03T10:00:00Z")));
}

#[test]
fn sources_are_listed_in_config_order_and_a_removed_source_takes_its_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["zeta", "alpha", "mid"]);
    let names: Vec<String> = index
        .sources()
        .expect("sources")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(names, vec!["zeta", "alpha", "mid"]);
    assert!(index
        .sources()
        .expect("sources")
        .iter()
        .all(|s| s.status == "never" && s.events == 0));

    index
        .record_success(run(
            "zeta",
            "2026-11-01T10:00:00Z",
            vec![occ("zeta", "z", "Zumba", "2026-12-05T20:00:00-05:00", None)],
        ))
        .expect("run");
    index
        .record_success(run(
            "alpha",
            "2026-11-01T10:00:00Z",
            vec![occ(
                "alpha",
                "a",
                "Aquarelle",
                "2026-12-05T21:00:00-05:00",
                None,
            )],
        ))
        .expect("run");
    let g = index.generation();
    index
        .sync_sources(&[info("alpha"), info("mid")])
        .expect("sync");
    assert!(index.generation() > g);
    let names: Vec<String> = index
        .sources()
        .expect("sources")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(names, vec!["alpha", "mid"]);
    assert_eq!(titles(&index, &everything()), vec!["Aquarelle"]);
    assert!(search(&index, "zumba").is_empty());

    // Same list again: nothing changes.
    let g = index.generation();
    index
        .sync_sources(&[info("alpha"), info("mid")])
        .expect("sync");
    assert_eq!(index.generation(), g);
}

#[test]
fn a_new_url_forgets_the_validators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    index
        .record_success(run("mda", "2026-11-01T10:00:00Z", vec![]))
        .expect("run");
    assert_eq!(
        index
            .fetch_state(&sid("mda"))
            .expect("state")
            .etag
            .as_deref(),
        Some("\"v1\"")
    );
    let mut renamed = info("mda");
    renamed.name = "Maison des arts".to_string();
    index.sync_sources(&[renamed.clone()]).expect("sync");
    assert_eq!(
        index
            .fetch_state(&sid("mda"))
            .expect("state")
            .etag
            .as_deref(),
        Some("\"v1\"")
    );
    renamed.url = "https://elsewhere.example.org/".to_string();
    index.sync_sources(&[renamed]).expect("sync");
    assert_eq!(
        index.fetch_state(&sid("mda")).expect("state"),
        FetchState::default()
    );
    assert_eq!(
        index.fetch_state(&sid("unknown")).expect("state"),
        FetchState::default()
    );
}

#[test]
fn ranges_overlap_from_inclusive_to_exclusive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let occs = vec![
        // Ends exactly at `from`: out.
        occ(
            "s",
            "ends-at-from",
            "EndsAtFrom",
            "2026-12-01T08:00:00Z",
            Some("2026-12-01T10:00:00Z"),
        ),
        // Starts exactly at `from`, no end: in.
        occ(
            "s",
            "starts-at-from",
            "StartsAtFrom",
            "2026-12-01T10:00:00Z",
            None,
        ),
        // Multi-day, started before `from`: in.
        occ(
            "s",
            "multi-day",
            "MultiDay",
            "2026-11-28T10:00:00Z",
            Some("2026-12-03T10:00:00Z"),
        ),
        // No end, one second before `from`: out.
        occ(
            "s",
            "just-before",
            "JustBefore",
            "2026-12-01T09:59:59Z",
            None,
        ),
        // Inside.
        occ(
            "s",
            "inside",
            "Inside",
            "2026-12-01T15:00:00Z",
            Some("2026-12-01T16:00:00Z"),
        ),
        // Starts exactly at `to`: out.
        occ(
            "s",
            "starts-at-to",
            "StartsAtTo",
            "2026-12-02T10:00:00Z",
            None,
        ),
        // Starts one second before `to`: in.
        occ(
            "s",
            "before-to",
            "BeforeTo",
            "2026-12-02T09:59:59Z",
            Some("2026-12-02T12:00:00Z"),
        ),
        // An end before the start counts as no end.
        occ(
            "s",
            "bad-end",
            "BadEnd",
            "2026-12-01T11:00:00Z",
            Some("2026-12-01T10:30:00Z"),
        ),
    ];
    index
        .record_success(run("s", "2026-11-01T00:00:00Z", occs))
        .expect("run");
    let mut q = Query::from(utc("2026-12-01T10:00:00Z"));
    q.to = Some(utc("2026-12-02T10:00:00Z"));
    assert_eq!(
        titles(&index, &q),
        vec!["MultiDay", "StartsAtFrom", "BadEnd", "Inside", "BeforeTo"],
        "in start order"
    );
    // No `to`: everything still running at `from`.
    let q = Query::from(utc("2026-12-01T10:00:00Z"));
    assert_eq!(
        titles(&index, &q),
        vec![
            "MultiDay",
            "StartsAtFrom",
            "BadEnd",
            "Inside",
            "BeforeTo",
            "StartsAtTo"
        ]
    );
    // A sub-second `to` still includes an event starting in that second.
    let mut q = Query::from(utc("2026-12-02T09:00:00Z"));
    q.to = Some(utc("2026-12-02T09:59:59.500Z"));
    assert_eq!(titles(&index, &q), vec!["MultiDay", "BeforeTo"]);
}

/// Deterministic numbers in `0..n` (a 64-bit LCG from `seed`).
fn numbers(mut seed: u64) -> impl FnMut(i64) -> i64 {
    move |n: i64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as i64).rem_euclid(n.max(1))
    }
}

#[test]
fn overlap_matches_a_plain_filter_for_events_of_every_length() {
    // Shows, events with no end, multi-day festivals and months-long
    // exhibitions, against ranges of every width (and empty ones), compared
    // with `end > from && start < to` over the events themselves.
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let base = utc("2027-03-01T00:00:00Z");
    let mut next = numbers(0x5eed);
    let hour = 3600;
    let lengths = [
        0,
        1,
        hour,
        2 * hour,
        47 * hour,
        48 * hour,
        49 * hour,
        10 * 24 * hour,
        120 * 24 * hour,
    ];
    let mut events = Vec::new();
    for i in 0..300 {
        let start = base + Duration::seconds(next(60 * 24 * hour));
        let length = lengths[next(lengths.len() as i64) as usize];
        let end = (length > 0).then(|| start + Duration::seconds(length));
        events.push((format!("E{i:03}"), start, end));
    }
    let occs: Vec<Occurrence> = events
        .iter()
        .enumerate()
        .map(|(i, (title, start, end))| {
            let end_s = end.map(|e| e.to_rfc3339());
            occ(
                "s",
                &format!("u{i}"),
                title,
                &start.to_rfc3339(),
                end_s.as_deref(),
            )
        })
        .collect();
    index
        .record_success(run("s", "2026-12-01T00:00:00Z", occs))
        .expect("write");
    for _ in 0..200 {
        let from = base + Duration::seconds(next(70 * 24 * hour) - 5 * 24 * hour);
        let width = [0, 1, hour, 24 * hour, 7 * 24 * hour, 90 * 24 * hour][next(6) as usize];
        let to = (next(5) > 0).then(|| from + Duration::seconds(width));
        let mut q = Query::from(from);
        q.to = to;
        q.limit = 1000;
        let mut got = titles(&index, &q);
        got.sort();
        let mut want: Vec<String> = events
            .iter()
            .filter(|(_, start, end)| {
                let effective_end = end
                    .filter(|e| e > start)
                    .unwrap_or(*start + Duration::seconds(1));
                effective_end > from && to.is_none_or(|to| *start < to)
            })
            .map(|(title, _, _)| title.clone())
            .collect();
        want.sort();
        assert_eq!(got, want, "from {from} to {to:?}");
    }
}

#[test]
fn text_search_ignores_accents_case_and_inflection_in_french_and_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let mut belles = occ(
        "s",
        "1",
        "Les Belles-sœurs",
        "2026-12-05T20:00:00-05:00",
        None,
    );
    belles.event.description = Some("Une pièce de Michel Tremblay.".to_string());
    let theatre = occ(
        "s",
        "2",
        "Théâtre jeunesse",
        "2026-12-06T20:00:00-05:00",
        None,
    );
    let concert = occ(
        "s",
        "3",
        "Concert symphonique",
        "2026-12-07T20:00:00-05:00",
        None,
    );
    let mut expo = occ("s", "4", "Vernissage", "2026-12-08T20:00:00-05:00", None);
    expo.event.translations.insert(
        "en".to_string(),
        Translation {
            title: "Exhibition opening".to_string(),
            description: Some("Paintings and drawings".to_string()),
        },
    );
    let venue = with_venue(
        occ("s", "5", "Conte", "2026-12-09T20:00:00-05:00", None),
        "bibli",
        None,
        None,
    );
    index
        .record_success(run(
            "s",
            "2026-11-01T00:00:00Z",
            vec![belles, theatre, concert, expo, venue],
        ))
        .expect("run");

    assert_eq!(search(&index, "theatre"), vec!["Théâtre jeunesse"]);
    assert_eq!(search(&index, "THÉÂTRES"), vec!["Théâtre jeunesse"]);
    assert_eq!(search(&index, "concerts"), vec!["Concert symphonique"]);
    assert_eq!(search(&index, "belles soeurs"), vec!["Les Belles-sœurs"]);
    assert_eq!(search(&index, "Belles-soeurs"), vec!["Les Belles-sœurs"]);
    assert_eq!(search(&index, "belles-sœurs"), vec!["Les Belles-sœurs"]);
    assert_eq!(
        search(&index, "tremblay"),
        vec!["Les Belles-sœurs"],
        "descriptions are searched"
    );
    assert_eq!(
        search(&index, "exhibitions"),
        vec!["Vernissage"],
        "translations are searched"
    );
    assert_eq!(search(&index, "painting"), vec!["Vernissage"]);
    assert_eq!(
        search(&index, "salle bibli"),
        vec!["Conte"],
        "venue names are searched"
    );
    assert_eq!(
        search(&index, "(((((((( concert ))))))))"),
        vec!["Concert symphonique"]
    );
    assert_eq!(
        search(&index, "((((((((( concert )))))))))"),
        vec!["Concert symphonique"],
        "too deep: parentheses dropped"
    );
    // Every word must match.
    assert!(search(&index, "concert theatre").is_empty());
    // Empty or blank q is no text clause at all.
    assert_eq!(search(&index, "   ").len(), 5);
    // User syntax never errors.
    for odd in [
        "(".repeat(100_000),
        "((a) OR (".repeat(20_000),
        "\"".repeat(10_001),
        "a ".repeat(50_000),
        "NOT ".repeat(64),
        "-".repeat(300),
        "+-".repeat(150),
        "a^".repeat(150),
        "[".repeat(300),
        "{".repeat(300),
        "a:".repeat(150),
        "title_fr:(".repeat(30),
        "(((((((( concert ))))))))".to_string(),
    ] {
        let mut q = everything();
        q.q = Some(odd);
        index.query(&q).expect("huge or nested queries do not fail");
    }
    for odd in [
        "\"unbalanced",
        "(",
        "title_fr:",
        "AND OR",
        "*",
        "json:x",
        "start:[1 TO",
        "-",
        "^2",
    ] {
        let mut q = everything();
        q.q = Some(odd.to_string());
        index.query(&q).expect("lenient parsing");
    }
}

#[test]
fn category_venue_and_source_filters_are_any_of() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s1", "s2"]);
    let a = with_venue(
        with_categories(
            occ("s1", "a", "A", "2026-12-01T20:00:00Z", None),
            &["musique"],
        ),
        "v1",
        None,
        None,
    );
    let b = with_venue(
        with_categories(
            occ("s1", "b", "B", "2026-12-02T20:00:00Z", None),
            &["theatre", "jeunesse"],
        ),
        "v2",
        None,
        None,
    );
    let c = with_categories(
        occ("s2", "c", "C", "2026-12-03T20:00:00Z", None),
        &["danse"],
    );
    index
        .record_success(run("s1", "2026-11-01T00:00:00Z", vec![a, b]))
        .expect("run");
    index
        .record_success(run("s2", "2026-11-01T00:00:00Z", vec![c]))
        .expect("run");

    let mut q = everything();
    q.categories = vec!["musique".into(), "danse".into()];
    assert_eq!(titles(&index, &q), vec!["A", "C"]);
    q.categories = vec!["jeunesse".into()];
    assert_eq!(titles(&index, &q), vec!["B"]);
    q.categories = vec!["nothing".into()];
    assert!(titles(&index, &q).is_empty());

    let mut q = everything();
    q.venues = vec!["v1".into(), "v2".into()];
    assert_eq!(titles(&index, &q), vec!["A", "B"]);
    let mut q = everything();
    q.sources = vec!["s2".into()];
    assert_eq!(titles(&index, &q), vec!["C"]);
    // Filters combine with AND.
    q.sources = vec!["s1".into()];
    q.categories = vec!["theatre".into(), "danse".into()];
    assert_eq!(titles(&index, &q), vec!["B"]);
}

#[test]
fn facets_count_matches_per_category_and_venue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s1", "s2"]);
    let a = with_venue(
        with_categories(
            occ("s1", "a", "Concert A", "2026-12-01T20:00:00Z", None),
            &["musique"],
        ),
        "v1",
        Some(45.56),
        Some(-73.71),
    );
    let b = with_venue(
        with_categories(
            occ("s1", "b", "Concert B", "2026-12-02T20:00:00Z", None),
            &["musique", "jeunesse"],
        ),
        "v1",
        Some(45.56),
        Some(-73.71),
    );
    let c = with_venue(
        with_categories(
            occ("s2", "c", "Danse C", "2026-12-03T20:00:00Z", None),
            &["danse"],
        ),
        "v2",
        None,
        None,
    );
    let past = with_categories(
        occ("s2", "p", "Old", "2025-01-01T20:00:00Z", None),
        &["danse"],
    );
    index
        .record_success(run("s1", "2026-11-01T00:00:00Z", vec![a, b]))
        .expect("run");
    index
        .record_success(run("s2", "2026-11-01T00:00:00Z", vec![c, past]))
        .expect("run");

    let f = index
        .facets(&Query::from(utc("2026-11-01T00:00:00Z")))
        .expect("facets");
    assert_eq!(f.total, 3);
    assert_eq!(
        f.categories.into_iter().collect::<Vec<_>>(),
        vec![
            ("danse".to_string(), 1),
            ("jeunesse".to_string(), 1),
            ("musique".to_string(), 2)
        ]
    );
    let venues: Vec<(String, String, usize)> = f
        .venues
        .into_iter()
        .map(|(v, n)| (v.id, v.name, n))
        .collect();
    assert_eq!(
        venues,
        vec![
            ("v1".into(), "Salle v1".into(), 2),
            ("v2".into(), "Salle v2".into(), 1)
        ]
    );

    let mut q = Query::from(utc("2026-11-01T00:00:00Z"));
    q.q = Some("concert".into());
    q.near = Some((45.56, -73.71, 1.0));
    let f = index.facets(&q).expect("facets");
    assert_eq!(f.total, 2);
    assert_eq!(f.categories.get("musique"), Some(&2));
    assert_eq!(f.categories.get("danse"), None);
    assert_eq!(f.venues.len(), 1);
}

#[test]
fn bbox_and_near_filter_by_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    // Maison des arts de Laval, the Olympic Stadium, Quebec City, and one
    // with no coordinates.
    let mda = with_venue(
        occ("s", "mda", "Laval", "2026-12-01T20:00:00Z", None),
        "mda",
        Some(45.5605),
        Some(-73.7130),
    );
    let stade = with_venue(
        occ("s", "stade", "Stade", "2026-12-02T20:00:00Z", None),
        "stade",
        Some(45.5579),
        Some(-73.5516),
    );
    let quebec = with_venue(
        occ("s", "qc", "Quebec", "2026-12-03T20:00:00Z", None),
        "qc",
        Some(46.8139),
        Some(-71.2080),
    );
    let nowhere = with_venue(
        occ("s", "x", "Nowhere", "2026-12-04T20:00:00Z", None),
        "x",
        None,
        None,
    );
    index
        .record_success(run(
            "s",
            "2026-11-01T00:00:00Z",
            vec![mda, stade, quebec, nowhere],
        ))
        .expect("run");

    let mut q = everything();
    q.bbox = Some((-74.0, 45.4, -73.6, 45.7));
    assert_eq!(titles(&index, &q), vec!["Laval"]);
    q.bbox = Some((-74.0, 45.4, -73.0, 45.7));
    assert_eq!(titles(&index, &q), vec!["Laval", "Stade"]);
    q.bbox = Some((-80.0, 40.0, -60.0, 50.0));
    assert_eq!(titles(&index, &q), vec!["Laval", "Stade", "Quebec"]);

    // The stadium is ~12.6 km east of MDA.
    let mut q = everything();
    q.near = Some((45.5605, -73.7130, 5.0));
    assert_eq!(titles(&index, &q), vec!["Laval"]);
    assert_eq!(index.query(&q).expect("query").total, 1);
    q.near = Some((45.5605, -73.7130, 12.0));
    assert_eq!(titles(&index, &q), vec!["Laval"]);
    q.near = Some((45.5605, -73.7130, 13.0));
    assert_eq!(titles(&index, &q), vec!["Laval", "Stade"]);
    q.near = Some((45.5605, -73.7130, 1000.0));
    assert_eq!(titles(&index, &q), vec!["Laval", "Stade", "Quebec"]);
}

#[test]
fn near_uses_the_exact_circle_not_its_box() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    // From the centre, one venue 9 km due north (inside a 10 km circle) and
    // one 9 km north and 9 km east (inside the 10 km box, 12.7 km away).
    let (lat, lon): (f64, f64) = (45.5, -73.6);
    let dlat = 9.0 / 111.32;
    let dlon = 9.0 / (111.32 * lat.to_radians().cos());
    let north = with_venue(
        occ("s", "n", "North", "2026-12-01T20:00:00Z", None),
        "n",
        Some(lat + dlat),
        Some(lon),
    );
    let corner = with_venue(
        occ("s", "c", "Corner", "2026-12-02T20:00:00Z", None),
        "c",
        Some(lat + dlat),
        Some(lon + dlon),
    );
    index
        .record_success(run("s", "2026-11-01T00:00:00Z", vec![north, corner]))
        .expect("run");
    let mut q = everything();
    q.near = Some((lat, lon, 10.0));
    let page = index.query(&q).expect("query");
    assert_eq!(
        page.events
            .iter()
            .map(|e| e.title.as_str())
            .collect::<Vec<_>>(),
        vec!["North"]
    );
    assert_eq!(page.total, 1);
    q.near = Some((lat, lon, 13.0));
    assert_eq!(titles(&index, &q), vec!["North", "Corner"]);
}

#[test]
fn cursor_paging_visits_every_event_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let base = utc("2026-12-01T00:00:00Z");
    let mut occs = Vec::new();
    for i in 0..120 {
        // Pairs of events share a start, to exercise the id tie-break.
        let start = (base + Duration::hours(i / 2)).to_rfc3339();
        occs.push(occ(
            "s",
            &format!("e{i}"),
            &format!("Event {i}"),
            &start,
            None,
        ));
    }
    index
        .record_success(run("s", "2026-11-01T00:00:00Z", occs))
        .expect("run");
    let mut q = everything();
    q.limit = 50;
    let mut seen = HashSet::new();
    let mut sizes = Vec::new();
    let mut last_start = None;
    loop {
        let page = index.query(&q).expect("query");
        assert_eq!(page.total, 120);
        sizes.push(page.events.len());
        for e in &page.events {
            assert!(seen.insert(e.id.clone()), "duplicate {}", e.id);
            if let Some(prev) = last_start {
                assert!(e.start >= prev, "start order");
            }
            last_start = Some(e.start);
        }
        match page.next_cursor {
            Some(c) => {
                let decoded = Cursor::decode(&c.encode()).expect("cursor round-trips");
                q.cursor = Some(decoded);
            }
            None => break,
        }
    }
    assert_eq!(sizes, vec![50, 50, 20]);
    assert_eq!(seen.len(), 120);
    // Exactly `limit` results left: no cursor after them.
    q.cursor = None;
    q.limit = 120;
    assert_eq!(index.query(&q).expect("query").next_cursor, None);
    q.limit = 119;
    assert!(index.query(&q).expect("query").next_cursor.is_some());
}

#[test]
fn reindex_and_reopen_give_identical_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let queries = {
        let mut text = everything();
        text.q = Some("concert".into());
        let mut paged = everything();
        paged.limit = 7;
        vec![everything(), text, paged]
    };
    let (before, generation) = {
        let index = open(dir.path(), &["s"]);
        let occs = (0..30)
            .map(|i| {
                let title = if i % 3 == 0 {
                    format!("Concert {i}")
                } else {
                    format!("Atelier {i}")
                };
                occ(
                    "s",
                    &format!("u{i}"),
                    &title,
                    &format!("2026-12-{:02}T19:00:00-05:00", i % 28 + 1),
                    None,
                )
            })
            .collect();
        index
            .record_success(run("s", "2026-11-01T00:00:00Z", occs))
            .expect("run");
        let before: Vec<_> = queries
            .iter()
            .map(|q| index.query(q).expect("query"))
            .collect();
        assert_eq!(index.reindex().expect("reindex"), 30);
        let after: Vec<_> = queries
            .iter()
            .map(|q| index.query(q).expect("query"))
            .collect();
        assert_eq!(before, after);
        (before, index.generation())
    };
    let index = Index::open(dir.path()).expect("reopen");
    assert_eq!(index.generation(), generation);
    let reopened: Vec<_> = queries
        .iter()
        .map(|q| index.query(q).expect("query"))
        .collect();
    assert_eq!(before, reopened);
    index.health().expect("healthy");
    drop(index);

    // A deleted search directory is rebuilt from the store.
    std::fs::remove_dir_all(dir.path().join("search")).expect("remove search dir");
    let index = Index::open(dir.path()).expect("reopen without search dir");
    let rebuilt: Vec<_> = queries
        .iter()
        .map(|q| index.query(q).expect("query"))
        .collect();
    assert_eq!(before, rebuilt);
    drop(index);

    // So is a corrupt one.
    std::fs::write(dir.path().join("search").join("meta.json"), b"{ not json").expect("corrupt");
    let index = Index::open(dir.path()).expect("reopen with corrupt search dir");
    let rebuilt: Vec<_> = queries
        .iter()
        .map(|q| index.query(q).expect("query"))
        .collect();
    assert_eq!(before, rebuilt);
    drop(index);

    // And a RAM index answers the same.
    let index = Index::open_with(dir.path(), SearchStorage::Ram).expect("open in RAM");
    let ram: Vec<_> = queries
        .iter()
        .map(|q| index.query(q).expect("query"))
        .collect();
    assert_eq!(before, ram);
}

#[test]
fn a_search_index_behind_the_store_catches_up_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = occ("s", "a", "Concert", "2026-12-05T20:00:00-05:00", None);
    {
        let index = open(dir.path(), &["s"]);
        index
            .record_success(run("s", "2026-11-01T00:00:00Z", vec![a.clone()]))
            .expect("run");
    }
    // Simulate a crash between the store's commit and the index's: an event
    // committed to SQLite, the generation bumped, the index not told.
    {
        let conn = rusqlite::Connection::open(dir.path().join("babillard.sqlite")).expect("sqlite");
        let mut e = a.event.clone();
        e.id = "ghost".to_string();
        e.title = "Fantôme".to_string();
        conn.execute(
            "INSERT INTO events (id, json, start_utc, end_utc, sequence, updated_at, hash)
             VALUES (?1, ?2, ?3, ?4, 0, '2026-11-01T00:00:00Z', 'x')",
            rusqlite::params![
                e.id,
                serde_json::to_string(&e).expect("json"),
                e.start.timestamp(),
                e.effective_end_utc().timestamp()
            ],
        )
        .expect("insert");
        conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'",
            [],
        )
        .expect("bump");
    }
    let index = Index::open(dir.path()).expect("reopen");
    assert_eq!(search(&index, "fantome"), vec!["Fantôme"]);
    assert_eq!(index.query(&everything()).expect("query").total, 2);
}

#[test]
fn concurrent_reads_during_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &["s"]));
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let index = Arc::clone(&index);
        let stop = Arc::clone(&stop);
        readers.push(std::thread::spawn(move || {
            let mut reads = 0u32;
            while !stop.load(Ordering::SeqCst) || reads < 5 {
                let page = index.query(&everything()).expect("query");
                // Each run replaces the whole set: a reader sees one run or
                // the next, never a mix.
                assert!(page.total == 0 || page.total == 20, "total {}", page.total);
                let round: HashSet<&str> = page
                    .events
                    .iter()
                    .map(|e| e.title.split(' ').next().unwrap_or(""))
                    .collect();
                assert!(round.len() <= 1, "mixed runs {round:?}");
                index.sources().expect("sources");
                index.health().expect("health");
                reads += 1;
            }
            reads
        }));
    }
    for round in 0..15 {
        let occs = (0..20)
            .map(|i| {
                occ(
                    "s",
                    &format!("r{round}-{i}"),
                    &format!("R{round} {i}"),
                    "2026-12-05T20:00:00Z",
                    None,
                )
            })
            .collect();
        let counts = index
            .record_success(run("s", "2026-11-01T00:00:00Z", occs))
            .expect("write");
        assert_eq!(counts.new, 20);
    }
    stop.store(true, Ordering::SeqCst);
    for r in readers {
        assert!(r.join().expect("reader thread") >= 5);
    }
    assert_eq!(index.query(&everything()).expect("query").total, 20);
}

#[test]
fn the_index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Index>();
}

#[test]
fn runs_of_unknown_sources_are_kept_until_the_next_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Index::open(dir.path()).expect("open");
    index
        .record_success(run(
            "new",
            "2026-11-01T00:00:00Z",
            vec![occ("new", "a", "A", "2026-12-01T20:00:00Z", None)],
        ))
        .expect("run");
    assert_eq!(index.sources().expect("sources")[0].id, "new");
    assert_eq!(titles(&index, &everything()), vec!["A"]);
    index.sync_sources(&[]).expect("sync");
    assert!(index.sources().expect("sources").is_empty());
    assert!(titles(&index, &everything()).is_empty());
}

#[test]
fn ten_thousand_events_index_and_query_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let base = utc("2026-01-01T00:00:00Z");
    let words = ["Concert", "Théâtre", "Exposition", "Conférence", "Atelier"];
    let occs: Vec<Occurrence> = (0..10_000i64)
        .map(|i| {
            let start = (base + Duration::minutes(i * 53)).to_rfc3339();
            let title = format!(
                "{} numéro {i}",
                words[usize::try_from(i).unwrap_or(0) % words.len()]
            );
            occ("s", &format!("u{i}"), &title, &start, None)
        })
        .collect();
    let started = std::time::Instant::now();
    let counts = index
        .record_success(run("s", "2026-01-01T00:00:00Z", occs))
        .expect("run");
    let write = started.elapsed();
    assert_eq!(counts.new, 10_000);
    let mut q = Query::from(utc("2026-03-01T00:00:00Z"));
    q.to = Some(utc("2026-03-31T00:00:00Z"));
    q.q = Some("theatre".into());
    q.limit = 20;
    let started = std::time::Instant::now();
    let page = index.query(&q).expect("query");
    let read = started.elapsed();
    assert_eq!(page.events.len(), 20);
    assert!(page.events.iter().all(|e| e.title.starts_with("Théâtre")));
    // 30 days of one event every 53 minutes, a fifth of them theatre.
    let expected = (0..10_000i64)
        .filter(|i| i % 5 == 1)
        .map(|i| base + Duration::minutes(i * 53))
        .filter(|s| *s >= utc("2026-03-01T00:00:00Z") && *s < utc("2026-03-31T00:00:00Z"))
        .count();
    assert_eq!(page.total, expected);
    eprintln!("10k events written in {write:?}; text + 30-day query in {read:?}");
}

// ---------------------------------------------------------------- dedup

/// The same show as two sources list it: the venue in French (priority 10)
/// and a tourism site in English (priority 1), doors-open time, a
/// "COMPLET –" prefix.
fn cross_listed() -> (Occurrence, Occurrence) {
    let mut fr = with_venue(
        occ(
            "mda",
            "belles-soeurs-1205",
            "Les Belles-sœurs",
            "2026-12-05T20:00:00-05:00",
            Some("2026-12-05T22:15:00-05:00"),
        ),
        "maison-des-arts",
        Some(45.5605),
        Some(-73.7130),
    );
    fr.priority = 10;
    fr.event.description = Some("La pièce de Michel Tremblay.".to_string());
    fr.event.categories = vec!["theatre".to_string()];
    let mut en = with_venue(
        occ(
            "tourisme",
            "https://tourisme.example.org/en/events/42",
            "SOLD OUT – Les Belles-sœurs by Michel Tremblay",
            "2026-12-05T19:00:00-05:00",
            None,
        ),
        "maison-des-arts",
        None,
        None,
    );
    en.priority = 1;
    en.event.language = Some("en".to_string());
    en.event.description = Some("Michel Tremblay's classic play.".to_string());
    en.event.categories = vec!["famille".to_string()];
    (fr, en)
}

#[test]
fn two_sources_listing_the_same_show_give_one_event_that_keeps_its_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda", "tourisme"]);
    let (fr, en) = cross_listed();
    let other = occ(
        "tourisme",
        "other",
        "Le Dîner de cons",
        "2026-12-05T20:00:00-05:00",
        None,
    );
    let other = with_venue(other, "maison-des-arts", None, None);
    index
        .record_success(run(
            "tourisme",
            "2026-11-01T10:00:00Z",
            vec![en.clone(), other.clone()],
        ))
        .expect("tourism run");
    let counts = index
        .record_success(run("mda", "2026-11-01T11:00:00Z", vec![fr.clone()]))
        .expect("venue run");
    assert_eq!(
        (counts.found, counts.new, counts.updated, counts.removed),
        (1, 1, 0, 0),
        "counts are over the source's own occurrences"
    );

    let page = index.query(&everything()).expect("query");
    assert_eq!(page.total, 2, "{:?}", titles(&index, &everything()));
    let event = page
        .events
        .iter()
        .find(|e| e.title == "Les Belles-sœurs")
        .expect("the merged event, titled by the venue")
        .clone();
    // The tourism site listed it first: its id stays the event's id.
    assert_eq!(event.id, en.event.id);
    assert_eq!(event.language.as_deref(), Some("fr"));
    assert_eq!(event.start, t("2026-12-05T20:00:00-05:00"));
    assert_eq!(event.end, Some(t("2026-12-05T22:15:00-05:00")));
    assert_eq!(
        event.description.as_deref(),
        Some("La pièce de Michel Tremblay.")
    );
    assert_eq!(event.categories, vec!["theatre", "famille"]);
    let sources: Vec<&str> = event.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(sources, vec!["mda", "tourisme"]);
    assert_eq!(
        event.translations.get("en"),
        Some(&Translation {
            title: "SOLD OUT – Les Belles-sœurs by Michel Tremblay".to_string(),
            description: Some("Michel Tremblay's classic play.".to_string()),
        })
    );
    assert_eq!(index.event(&event.id).expect("event"), Some(event.clone()));
    assert!(index.event(&fr.event.id).expect("event").is_none());
    // A search finds it once.
    assert_eq!(search(&index, "belles soeurs"), vec!["Les Belles-sœurs"]);
    assert_eq!(search(&index, "tremblay"), vec!["Les Belles-sœurs"]);
    let statuses = index.sources().expect("sources");
    assert!(statuses
        .iter()
        .all(|s| s.events == if s.id == "mda" { 1 } else { 2 }));

    // The lower-priority source corrects its time: same event, same id.
    let mut en2 = en.clone();
    en2.event.start = t("2026-12-05T19:30:00-05:00");
    let seq = event.sequence;
    index
        .record_success(run(
            "tourisme",
            "2026-11-02T10:00:00Z",
            vec![en2.clone(), other.clone()],
        ))
        .expect("corrected run");
    let page = index.query(&everything()).expect("query");
    assert_eq!(page.total, 2);
    let again = index.event(&event.id).expect("event").expect("kept its id");
    assert_eq!(again.sources.len(), 2);
    assert_eq!(again.start, t("2026-12-05T20:00:00-05:00"));
    assert_eq!(again.sequence, seq, "nothing published changed");

    // The venue corrects its title and time: still the same event.
    let mut fr2 = fr.clone();
    fr2.event.title = "Les Belles-sœurs (reprise)".to_string();
    fr2.event.start = t("2026-12-05T19:45:00-05:00");
    index
        .record_success(run("mda", "2026-11-02T11:00:00Z", vec![fr2.clone()]))
        .expect("venue correction");
    let again = index.event(&event.id).expect("event").expect("kept its id");
    assert_eq!(again.title, "Les Belles-sœurs (reprise)");
    assert!(again.sequence > seq, "SEQUENCE grows on a change");
    assert_eq!(index.query(&everything()).expect("query").total, 2);

    // One source drops it: the event keeps its id and lists one source.
    index
        .record_success(run("tourisme", "2026-11-03T10:00:00Z", vec![other.clone()]))
        .expect("tourism drops it");
    let left = index.event(&event.id).expect("event").expect("kept its id");
    let sources: Vec<&str> = left.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(sources, vec!["mda"]);
    assert!(left.translations.is_empty());
    assert_eq!(
        search(&index, "belles soeurs"),
        vec!["Les Belles-sœurs (reprise)"]
    );

    // Both drop it: gone.
    let counts = index
        .record_success(run("mda", "2026-11-03T11:00:00Z", vec![]))
        .expect("venue drops it");
    assert_eq!((counts.found, counts.removed), (0, 1));
    assert!(index.event(&event.id).expect("event").is_none());
    assert!(search(&index, "belles soeurs").is_empty());
    assert_eq!(titles(&index, &everything()), vec!["Le Dîner de cons"]);
}

#[test]
fn a_cluster_that_splits_keeps_its_id_on_the_larger_part() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["a", "b", "c"]);
    let show = |source: &str, start: &str| {
        with_venue(
            occ(source, "show", "Fred Pellerin", start, None),
            "salle-andre-mathieu",
            None,
            None,
        )
    };
    for s in ["a", "b", "c"] {
        index
            .record_success(run(
                s,
                "2026-11-01T10:00:00Z",
                vec![show(s, "2026-12-05T20:00:00-05:00")],
            ))
            .expect("run");
    }
    let page = index.query(&everything()).expect("query");
    assert_eq!(page.total, 1);
    let id = page.events[0].id.clone();
    assert_eq!(page.events[0].sources.len(), 3);
    // Source c moves its record to the next day: it leaves the cluster.
    index
        .record_success(run(
            "c",
            "2026-11-02T10:00:00Z",
            vec![show("c", "2026-12-06T20:00:00-05:00")],
        ))
        .expect("run");
    let page = index.query(&everything()).expect("query");
    assert_eq!(page.total, 2);
    let kept = index
        .event(&id)
        .expect("event")
        .expect("the larger part keeps the id");
    assert_eq!(kept.sources.len(), 2);
    assert_eq!(kept.start, t("2026-12-05T20:00:00-05:00"));
    let moved = page
        .events
        .iter()
        .find(|e| e.id != id)
        .expect("the other part");
    assert_eq!(moved.start, t("2026-12-06T20:00:00-05:00"));
    assert_eq!(moved.sources[0].source, "c");
}

#[test]
fn a_single_source_event_moved_to_another_day_keeps_its_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    let a = occ("mda", "a", "Concert", "2026-12-05T20:00:00-05:00", None);
    index
        .record_success(run("mda", "2026-11-01T10:00:00Z", vec![a.clone()]))
        .expect("run");
    let mut moved = a.clone();
    moved.event.start = t("2026-12-19T20:00:00-05:00");
    index
        .record_success(run("mda", "2026-11-02T10:00:00Z", vec![moved]))
        .expect("run");
    let e = index.event(&a.event.id).expect("event").expect("same id");
    assert_eq!(e.start, t("2026-12-19T20:00:00-05:00"));
    assert_eq!(e.sequence, 1);
}

#[test]
fn unmapped_categories_are_counted_per_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["mda"]);
    let mut a = occ("mda", "a", "Concert", "2026-12-05T20:00:00-05:00", None);
    a.unmapped_categories = vec!["Slam".to_string(), "Cirque".to_string()];
    let mut a2 = a.clone();
    a2.key = "2026-12-12".to_string();
    a2.event.id = "a-second-occurrence".to_string();
    a2.event.start = t("2026-12-12T20:00:00-05:00");
    let mut b = occ("mda", "b", "Théâtre", "2026-12-06T20:00:00-05:00", None);
    b.unmapped_categories = vec!["Slam".to_string()];
    index
        .record_success(run("mda", "2026-11-01T10:00:00Z", vec![a, a2, b]))
        .expect("run");
    let s = &index.sources().expect("sources")[0];
    let expected: BTreeMap<String, usize> = [("Cirque".to_string(), 1), ("Slam".to_string(), 2)]
        .into_iter()
        .collect();
    assert_eq!(s.unmapped_categories, expected, "counted once per record");
}

/// Territories by municipality name, written as files the way the
/// configuration gives them.
fn territories(dir: &Path, entries: &[(&str, &[&str])]) -> Arc<normalize::territory::Territories> {
    let configs: Vec<normalize::territory::TerritoryConfig> = entries
        .iter()
        .map(|(id, towns)| {
            let file = dir.join(format!("{id}.geojson"));
            // A square far from every venue of these tests: only the
            // municipality names place events.
            std::fs::write(
                &file,
                r#"{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}"#,
            )
            .expect("write geojson");
            normalize::territory::TerritoryConfig {
                id: id.to_string(),
                name: BTreeMap::from([("fr".to_string(), id.to_string())]),
                geojson: file,
                municipalities: towns.iter().map(|t| t.to_string()).collect(),
            }
        })
        .collect();
    Arc::new(normalize::territory::Territories::load(&configs).expect("territories load"))
}

fn in_town(o: Occurrence, id: &str, town: &str) -> Occurrence {
    let mut o = with_venue(o, id, None, None);
    if let Some(v) = o.event.venue.as_mut() {
        v.city = Some(town.to_string());
    }
    o
}

#[test]
fn territories_are_set_on_write_and_again_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let geo = tempfile::tempdir().unwrap();
    let index = open(dir.path(), &["a", "b"]);
    index
        .set_territories(territories(geo.path(), &[("ouest", &["Sainte-Dorothée"])]))
        .unwrap();
    index
        .record_success(run(
            "a",
            "2026-05-01T00:00:00Z",
            vec![
                in_town(
                    occ(
                        "a",
                        "1",
                        "Conte à Sainte-Dorothée",
                        "2026-06-01T10:00:00-04:00",
                        None,
                    ),
                    "v1",
                    "Sainte-Dorothée",
                ),
                in_town(
                    occ(
                        "a",
                        "2",
                        "Concert à Vimont",
                        "2026-06-02T10:00:00-04:00",
                        None,
                    ),
                    "v2",
                    "Vimont",
                ),
                occ(
                    "a",
                    "3",
                    "Causerie sans lieu",
                    "2026-06-03T10:00:00-04:00",
                    None,
                ),
            ],
        ))
        .unwrap();
    let page = index.query(&everything()).unwrap();
    let placed: Vec<(String, Vec<String>)> = page
        .events
        .iter()
        .map(|e| (e.title.clone(), e.territories.clone()))
        .collect();
    assert_eq!(
        placed,
        vec![
            (
                "Conte à Sainte-Dorothée".to_string(),
                vec!["ouest".to_string()]
            ),
            ("Concert à Vimont".to_string(), vec![]),
            ("Causerie sans lieu".to_string(), vec![]),
        ]
    );
    // The stored copy agrees with the search index's.
    let id = &page.events[0].id;
    assert_eq!(index.event(id).unwrap().unwrap().territories, vec!["ouest"]);

    // `territory=` filters.
    let mut q = everything();
    q.territories = vec!["ouest".to_string()];
    assert_eq!(titles(&index, &q), vec!["Conte à Sainte-Dorothée"]);
    q.territories = vec!["nulle-part".to_string()];
    assert!(titles(&index, &q).is_empty());

    // A new configuration places every stored event again, at once, and
    // only once.
    let changed = index
        .set_territories(territories(
            geo.path(),
            &[("ouest", &["Sainte-Dorothée"]), ("vimont", &["Vimont"])],
        ))
        .unwrap();
    assert_eq!(changed, 1);
    let mut q = everything();
    q.territories = vec!["vimont".to_string()];
    assert_eq!(titles(&index, &q), vec!["Concert à Vimont"]);
    let again = index
        .set_territories(territories(
            geo.path(),
            &[("ouest", &["Sainte-Dorothée"]), ("vimont", &["Vimont"])],
        ))
        .unwrap();
    assert_eq!(again, 0);
    // It holds across a reopen (the search index is rebuilt from the store).
    drop(index);
    let index = open(dir.path(), &["a", "b"]);
    assert_eq!(titles(&index, &q), vec!["Concert à Vimont"]);
}

#[test]
fn a_scope_is_any_of_its_parts_each_narrowed_by_its_categories() {
    let dir = tempfile::tempdir().unwrap();
    let geo = tempfile::tempdir().unwrap();
    let index = open(dir.path(), &["a", "b", "c"]);
    index
        .set_territories(territories(geo.path(), &[("nord", &["Montréal-Nord"])]))
        .unwrap();
    for (source, items) in [
        (
            "a",
            vec![
                ("1", "A musique", "musique", None),
                ("2", "A théâtre", "theatre", None),
            ],
        ),
        ("b", vec![("1", "B musique", "musique", None)]),
        (
            "c",
            vec![
                ("1", "C au nord", "theatre", Some("Montréal-Nord")),
                ("2", "C ailleurs", "musique", Some("Laval")),
            ],
        ),
    ] {
        let occurrences = items
            .into_iter()
            .enumerate()
            .map(|(i, (uid, title, cat, town))| {
                let start = format!("2026-06-0{}T1{}:00:00-04:00", i + 1, source.len());
                let o = with_categories(occ(source, uid, title, &start, None), &[cat]);
                match town {
                    Some(town) => in_town(o, &format!("{source}{uid}"), town),
                    None => o,
                }
            })
            .collect();
        index
            .record_success(run(source, "2026-05-01T00:00:00Z", occurrences))
            .unwrap();
    }
    let scoped = |scope: index::Scope| {
        let mut q = everything();
        q.scope = Some(scope);
        let mut t = titles(&index, &q);
        t.sort();
        // The pure rule agrees with the index.
        let mut pure: Vec<String> = index
            .query(&everything())
            .unwrap()
            .events
            .into_iter()
            .filter(|e| q.scope.as_ref().is_some_and(|s| s.matches(e)))
            .map(|e| e.title)
            .collect();
        pure.sort();
        assert_eq!(t, pure);
        t
    };
    let part =
        |sources: &[&str], territories: &[&str], categories: Option<&[&str]>| index::ScopePart {
            sources: sources.iter().map(|s| s.to_string()).collect(),
            territories: territories.iter().map(|s| s.to_string()).collect(),
            categories: categories.map(|c| c.iter().map(|s| s.to_string()).collect()),
        };
    // Members only.
    assert_eq!(
        scoped(index::Scope {
            parts: vec![part(&["a"], &[], None)]
        }),
        vec!["A musique", "A théâtre"]
    );
    // Members or territory, narrowed to music.
    assert_eq!(
        scoped(index::Scope {
            parts: vec![part(&["a", "b"], &["nord"], Some(&["musique"]))]
        }),
        vec!["A musique", "B musique"]
    );
    // A network: the union of its members' parts, each with its own narrowing.
    assert_eq!(
        scoped(index::Scope {
            parts: vec![part(&["b"], &[], None), part(&[], &["nord"], None)]
        }),
        vec!["B musique", "C au nord"]
    );
    // No part: nothing.
    assert!(scoped(index::Scope { parts: vec![] }).is_empty());
}

/// Mean Earth radius, km, as the index's.
fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0088 * a.sqrt().asin()
}

/// Every page of `q` (`limit` per page, cursor to cursor): the ids in
/// order and the `total` of each page.
/// Every page of `q`, from the search tables or (`by_clauses`) through
/// tantivy's clauses alone.
fn all_pages(index: &Index, q: &Query, by_clauses: bool) -> (Vec<String>, Vec<usize>) {
    let (mut ids, mut totals) = (Vec::new(), Vec::new());
    let mut q = q.clone();
    loop {
        let page = if by_clauses {
            index.query_by_clauses(&q).expect("query")
        } else {
            index.query(&q).expect("query")
        };
        ids.extend(page.events.iter().map(|e| e.id.clone()));
        totals.push(page.total);
        match page.next_cursor {
            Some(c) if totals.len() < 500 => q.cursor = Some(c),
            _ => return (ids, totals),
        }
    }
}

#[test]
fn the_search_tables_match_the_inverted_index_and_a_plain_filter() {
    // Queries are answered from a table per segment, their words, venues,
    // sources and calendar asked of the postings alone; the same query
    // through tantivy's clauses alone must give the same pages, and both
    // what a plain filter over the events gives: dates of every length,
    // several categories and territories (one town in two), coordinates
    // or none (most events at a few halls: a verdict per place), boxes
    // across the antimeridian and radii that take some halls and leave
    // others, common and rare words (matches marked for the scan or looked
    // up one by one), several segments, deleted documents.
    let dir = tempfile::tempdir().expect("tempdir");
    let geo = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s", "t"]);
    index
        .set_territories(territories(
            geo.path(),
            &[
                ("nord", &["Sainte-Rose", "Auteuil"]),
                ("sud", &["Chomedey"]),
                ("centre", &["Auteuil", "Vimont"]),
            ],
        ))
        .expect("territories");
    let base = utc("2027-03-01T00:00:00Z");
    let mut next = numbers(0x7ab1e);
    let hour = 3600;
    let lengths = [
        0,
        hour,
        2 * hour,
        48 * hour,
        49 * hour,
        10 * 24 * hour,
        90 * 24 * hour,
    ];
    let towns = ["Sainte-Rose", "Auteuil", "Chomedey", "Vimont", "Montréal"];
    let categories = ["musique", "theatre", "danse", "cinema"];
    let made = |source: &str, i: usize, next: &mut dyn FnMut(i64) -> i64| -> Occurrence {
        let start = base + Duration::seconds(next(60 * 24 * hour));
        let length = lengths[next(lengths.len() as i64) as usize];
        let end = (length > 0).then(|| (start + Duration::seconds(length)).to_rfc3339());
        let o = occ(
            source,
            &format!("{source}{i}"),
            &format!("Spectacle numéro {source}{i}"),
            &start.to_rfc3339(),
            end.as_deref(),
        );
        // Most events at one of a few halls (places shared by many rows),
        // some at places of their own, some without coordinates.
        // (Two of them on one parallel: a place is both of its coordinates.)
        let halls = [
            (45.5612, -73.7123),
            (45.5489, -73.7301),
            (45.6003, -73.69),
            (45.5612, -73.60),
        ];
        let (lat, lon) = match next(20) {
            0..=3 => (None, None),
            4 => (
                Some(10.0 + next(70) as f64),
                Some(if next(2) == 0 { 179.95 } else { -179.95 }),
            ),
            5..=11 => {
                let (a, b) = halls[next(halls.len() as i64) as usize];
                (Some(a), Some(b))
            }
            _ => (
                Some(45.55 + (next(4000) - 2000) as f64 / 10_000.0),
                Some(-73.72 + (next(4000) - 2000) as f64 / 10_000.0),
            ),
        };
        let mut o = with_venue(o, &format!("salle-{}", next(30)), lat, lon);
        if let Some(v) = o.event.venue.as_mut() {
            v.city = Some(towns[next(towns.len() as i64) as usize].to_string());
        }
        let cats: Vec<&str> = categories
            .iter()
            .copied()
            .filter(|_| next(3) == 0)
            .collect();
        with_categories(o, &cats)
    };
    let s: Vec<Occurrence> = (0..240).map(|i| made("s", i, &mut next)).collect();
    let t: Vec<Occurrence> = (0..160).map(|i| made("t", i, &mut next)).collect();
    index
        .record_success(run("s", "2026-12-01T00:00:00Z", s.clone()))
        .expect("write s");
    index
        .record_success(run("t", "2026-12-01T01:00:00Z", t))
        .expect("write t");
    // A third of s's events go away: deleted documents in a segment.
    let kept: Vec<Occurrence> = s
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, o)| o)
        .collect();
    index
        .record_success(run("s", "2026-12-02T00:00:00Z", kept))
        .expect("rewrite s");
    let mut all = everything();
    all.sources = vec!["s".into(), "t".into()];
    let events: Vec<Event> = index.query(&all).expect("all").events;
    assert!(events.len() > 250, "{}", events.len());
    assert!(events.iter().any(|e| !e.territories.is_empty()));

    for round in 0..300 {
        let from = base + Duration::seconds(next(70 * 24 * hour) - 5 * 24 * hour);
        let width = [hour, 24 * hour, 7 * 24 * hour, 90 * 24 * hour][next(4) as usize];
        // Now and then on the boundaries: `from` at an event's end, `to`
        // at an event's start.
        let from = match next(3) {
            0 => events[next(events.len() as i64) as usize].effective_end_utc(),
            _ => from,
        };
        let mut q = Query::from(from);
        q.to = match next(4) {
            0 => None,
            1 => Some(
                events[next(events.len() as i64) as usize]
                    .start
                    .with_timezone(&Utc),
            )
            .filter(|to| *to > from),
            _ => Some(from + Duration::seconds(width)),
        };
        q.limit = [1, 7, 50][next(3) as usize];
        let pick = |list: &[&str], next: &mut dyn FnMut(i64) -> i64| -> Vec<String> {
            list.iter()
                .filter(|_| next(4) == 0)
                .map(|s| s.to_string())
                .collect()
        };
        if next(2) == 0 {
            q.categories = pick(
                &["musique", "theatre", "danse", "cinema", "cirque"],
                &mut next,
            );
        }
        if next(2) == 0 {
            q.territories = pick(&["nord", "sud", "centre", "ailleurs"], &mut next);
        }
        match next(6) {
            0 => q.near = Some((45.55, -73.72, [0.5, 3.0, 10.0, 30.0][next(4) as usize])),
            1 => q.near = Some((40.0, 179.9, 3000.0)),
            2 => q.bbox = Some((-73.8, 45.5, -73.65, 45.6)),
            3 => q.bbox = Some((179.0, 0.0, -179.0, 85.0)),
            _ => {}
        }
        let scope = Scope {
            parts: vec![
                ScopePart {
                    sources: vec!["t".into()],
                    territories: vec![],
                    categories: None,
                },
                ScopePart {
                    sources: vec![],
                    territories: vec!["sud".into()],
                    categories: Some(vec!["danse".into(), "cirque".into()]),
                },
            ],
        };
        // A word of every title, a word of one or none, venues, a
        // source, a calendar.
        let word = match next(8) {
            0 => Some("spectacle".to_string()),
            1 => Some(format!("s{}", next(260))),
            2 => Some(format!("t{} Numéro", next(170))),
            _ => None,
        };
        q.q = word.clone();
        match next(6) {
            0 => q.venues = vec![format!("salle-{}", next(30)), "salle-7".into()],
            1 => q.sources = vec!["t".into()],
            2 => q.scope = Some(scope.clone()),
            _ => {}
        }
        let (by_table, table_totals) = all_pages(&index, &q, false);
        let (by_clauses, clause_totals) = all_pages(&index, &q, true);
        assert_eq!(by_table, by_clauses, "round {round}: {q:?}");
        assert_eq!(table_totals, clause_totals, "round {round}: {q:?}");
        assert_eq!(table_totals[0], by_table.len(), "round {round}: {q:?}");

        let overlaps = |e: &Event| {
            e.effective_end_utc() > from && q.to.is_none_or(|to| e.start.with_timezone(&Utc) < to)
        };
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        let at = |e: &Event| e.venue.as_ref().and_then(|v| v.lat.zip(v.lon));
        let in_box = |e: &Event| {
            q.bbox.is_none_or(|(minlon, minlat, maxlon, maxlat)| {
                at(e).is_some_and(|(lat, lon)| {
                    let lon_in = if minlon <= maxlon {
                        lon >= minlon && lon <= maxlon
                    } else {
                        lon >= minlon || lon <= maxlon
                    };
                    lat >= minlat && lat <= maxlat && lon_in
                })
            })
        };
        let said = |e: &Event| {
            let title = e.title.to_lowercase();
            let words: Vec<&str> = title.split_whitespace().collect();
            word.as_deref().is_none_or(|w| {
                w.to_lowercase()
                    .replace("numéro", "numero")
                    .split_whitespace()
                    .all(|w| words.iter().any(|t| t.replace("numéro", "numero") == w))
            })
        };
        let listed = |e: &Event| {
            let venue = e.venue.as_ref().map(|v| v.id.clone()).unwrap_or_default();
            (q.venues.is_empty() || q.venues.contains(&venue))
                && (q.sources.is_empty() || e.sources.iter().any(|s| q.sources.contains(&s.source)))
                && q.scope.as_ref().is_none_or(|scope| scope.matches(e))
        };
        let base_match = |e: &&Event| {
            overlaps(e)
                && any(&q.categories, &e.categories)
                && any(&q.territories, &e.territories)
                && in_box(e)
                && said(e)
                && listed(e)
        };
        let got: HashSet<&String> = by_table.iter().collect();
        assert_eq!(got.len(), by_table.len(), "round {round}: an event twice");
        match q.near {
            None => {
                let want: HashSet<&String> =
                    events.iter().filter(base_match).map(|e| &e.id).collect();
                assert_eq!(got, want, "round {round}: {q:?}");
            }
            Some((lat, lon, km)) => {
                // Within the radius; the box around it may leave out what
                // lies on the very rim.
                let within = |e: &Event, km: f64| {
                    at(e).is_some_and(|(a, b)| haversine(lat, lon, a, b) <= km)
                };
                let at_most: HashSet<&String> = events
                    .iter()
                    .filter(base_match)
                    .filter(|e| within(e, km))
                    .map(|e| &e.id)
                    .collect();
                let at_least: HashSet<&String> = events
                    .iter()
                    .filter(base_match)
                    .filter(|e| within(e, km * 0.99))
                    .map(|e| &e.id)
                    .collect();
                assert!(got.is_subset(&at_most), "round {round}: {q:?}");
                assert!(at_least.is_subset(&got), "round {round}: {q:?}");
            }
        }
    }
}

/// `n` shows of source "s", record `e{i}` titled "`title` {i}", starting
/// at `start(i)`.
fn numbered(n: usize, title: &str, start: impl Fn(usize) -> String) -> Vec<Occurrence> {
    (0..n)
        .map(|i| {
            occ(
                "s",
                &format!("e{i}"),
                &format!("{title} {i}"),
                &start(i),
                None,
            )
        })
        .collect()
}

#[test]
fn a_search_after_more_deletions_in_a_segment_leaves_them_out() {
    // The tables keep a bit per row alive for the deletions they last saw
    // (a segment's deletions only grow): each new deletion must be seen,
    // by counts and pages, whether or not the same query came before.
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let made = numbered(300, "Atelier", |i| {
        format!("2027-03-{:02}T{:02}:00:00Z", 1 + i % 28, 8 + i % 12)
    });
    let mut q = Query::from(utc("2027-03-01T00:00:00Z"));
    q.limit = 10;
    let mut at = 1;
    let mut keep = |n: usize| {
        let kept: Vec<Occurrence> = made.iter().take(n).cloned().collect();
        index
            .record_success(run("s", &format!("2026-12-{at:02}T00:00:00Z"), kept))
            .expect("write s");
        at += 1;
        let mut everything = everything();
        everything.from = q.from;
        let all = index.query(&everything).expect("all");
        let page = index.query(&q).expect("page");
        assert_eq!(all.total, n, "kept {n}");
        assert_eq!(page.total, n, "kept {n}");
        let ids: HashSet<String> = all.events.iter().map(|e| e.id.clone()).collect();
        assert!(page.events.iter().all(|e| ids.contains(&e.id)), "kept {n}");
        assert_eq!(page.events.len(), 10);
    };
    for n in [300, 250, 240, 120, 119, 30] {
        keep(n);
    }
}

#[test]
fn warming_the_search_index_reads_each_of_its_files_once_within_its_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &["s"]);
    let made = numbered(50, "Conte", |i| {
        format!("2027-04-{:02}T10:00:00Z", 1 + i % 28)
    });
    index
        .record_success(run("s", "2026-12-01T00:00:00Z", made))
        .expect("write s");
    let on_disk: u64 = std::fs::read_dir(dir.path().join("search"))
        .expect("search dir")
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.metadata().expect("metadata").len())
        .sum();
    assert!(on_disk > 1000, "{on_disk}");
    assert_eq!(index.warm_search(), on_disk);
    // Within a budget: exactly that much, whatever the files' sizes.
    assert_eq!(index.warm_search_within(on_disk - 1), on_disk - 1);
    assert_eq!(index.warm_search_within(777), 777);
    assert_eq!(index.warm_search_within(0), 0);
    assert_eq!(index.warm_search_within(u64::MAX), on_disk);
    // An index in memory has no files to read.
    let other = tempfile::tempdir().expect("tempdir");
    let ram = Index::open_with(other.path(), index::SearchStorage::Ram).expect("open in memory");
    assert_eq!(ram.warm_search(), 0);
}
