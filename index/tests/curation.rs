//! People's decisions on a real store: locks, hides, forced merges and
//! splits each survive later ingests whose sources changed, keep their
//! event ids, are audited, and can be undone.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use index::{CurationError, FetchState, Index, Query, SourceInfo, SourceRun};
use model::{Event, Occurrence, RawEvent, SourceId, TimeValue, Venue};
use serde_json::{json, Map, Value};

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test time")
}

fn utc(s: &str) -> DateTime<Utc> {
    t(s).with_timezone(&Utc)
}

fn sid(s: &str) -> SourceId {
    SourceId::new(s).expect("test source id")
}

/// A single record of `source` at the Maison des arts.
fn occ(source: &str, uid: &str, title: &str, start: &str) -> Occurrence {
    let mut event = Event::new(
        "",
        title,
        t(start),
        "America/Toronto",
        utc("2026-01-01T00:00:00Z"),
    );
    event.end = Some(t(start) + chrono::Duration::hours(2));
    event.language = Some("fr".to_string());
    event.venue = Some(Venue {
        id: "mda".to_string(),
        name: "Maison des arts de Laval".to_string(),
        address: None,
        city: Some("Laval".to_string()),
        lat: Some(45.5605),
        lon: Some(-73.713),
        precision: None,
    });
    Occurrence::single(sid(source), uid, event)
}

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
        duration_ms: 5,
        kind: Some("ics".to_string()),
        fetch: FetchState::default(),
        records,
        occurrences,
        warnings: Vec::new(),
    }
}

fn open(dir: &Path) -> Index {
    let index = Index::open(dir).expect("open index");
    index.set_languages(vec!["fr".to_string(), "en".to_string()]);
    let infos: Vec<SourceInfo> = ["a", "b", "c", "d"]
        .iter()
        .map(|s| SourceInfo {
            id: sid(s),
            name: format!("Source {s}"),
            kind: None,
            url: format!("https://{s}.example.org/events.ics"),
        })
        .collect();
    index.sync_sources(&infos).expect("sync");
    index
}

fn everything(index: &Index) -> Vec<Event> {
    let mut q = Query::from(utc("2000-01-01T00:00:00Z"));
    q.limit = 1000;
    index.query(&q).expect("query").events
}

/// The public event whose sources are exactly `sources`.
fn event_of(index: &Index, sources: &[&str]) -> Option<Event> {
    let want: BTreeSet<&str> = sources.iter().copied().collect();
    everything(index).into_iter().find(|e| {
        e.sources
            .iter()
            .map(|s| s.source.as_str())
            .collect::<BTreeSet<_>>()
            == want
    })
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// a and b list the same concert (dedup merges them); c a play; d the
/// concert under another title at another time (dedup keeps it apart).
fn first_ingest(index: &Index) {
    let at = "2026-11-01T00:00:00Z";
    index
        .record_success(run(
            "a",
            at,
            vec![occ(
                "a",
                "noel",
                "Concert de Noël",
                "2026-12-05T20:00:00-05:00",
            )],
        ))
        .unwrap();
    index
        .record_success(run(
            "b",
            at,
            vec![occ(
                "b",
                "n1",
                "Concert de Noël",
                "2026-12-05T20:00:00-05:00",
            )],
        ))
        .unwrap();
    index
        .record_success(run(
            "c",
            at,
            vec![occ(
                "c",
                "bs",
                "Les Belles-sœurs",
                "2026-12-06T20:00:00-05:00",
            )],
        ))
        .unwrap();
    index
        .record_success(run(
            "d",
            at,
            vec![occ(
                "d",
                "x",
                "Chorale des Fêtes : grand récital",
                "2026-12-05T21:30:00-05:00",
            )],
        ))
        .unwrap();
}

#[test]
fn a_lock_survives_ingests_and_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    first_ingest(&index);
    let ab = event_of(&index, &["a", "b"]).expect("a and b merged by the dedup");
    let edited = index
        .patch_event(
            "ed@conseil.example",
            &ab.id,
            fields(json!({"title": "Concert de Noël des Petits Chanteurs", "image": "https://img.example.org/n.jpg"})),
        )
        .unwrap();
    assert_eq!(edited.id, ab.id);
    assert_eq!(edited.title, "Concert de Noël des Petits Chanteurs");
    assert!(edited.sequence > ab.sequence, "calendar apps see an update");
    // Two later ingests where the sources change the title and the time.
    for (n, at) in [(1, "2026-11-02T00:00:00Z"), (2, "2026-11-03T00:00:00Z")] {
        let mut o = occ(
            "a",
            "noel",
            &format!("Concert de Noël (v{n})"),
            "2026-12-05T19:30:00-05:00",
        );
        o.event.description = Some(format!("Révision {n}"));
        index.record_success(run("a", at, vec![o])).unwrap();
        let mut o = occ("b", "n1", "Concert de Noël", "2026-12-05T19:30:00-05:00");
        o.event.url = Some(format!("https://b.example.org/{n}"));
        index.record_success(run("b", at, vec![o])).unwrap();
        let now = index.event(&ab.id).unwrap().expect("same id");
        assert_eq!(
            now.title, "Concert de Noël des Petits Chanteurs",
            "ingest {n}"
        );
        assert_eq!(now.image.as_deref(), Some("https://img.example.org/n.jpg"));
        assert_eq!(
            now.start,
            t("2026-12-05T19:30:00-05:00"),
            "unlocked fields follow the sources"
        );
        let found = everything(&index);
        assert_eq!(found.iter().filter(|e| e.id == ab.id).count(), 1);
        assert!(
            found
                .iter()
                .any(|e| e.title == "Concert de Noël des Petits Chanteurs"),
            "in the search index too"
        );
    }
    let locked = index.locked_fields().unwrap();
    assert_eq!(locked.get(&ab.id).map(Vec::len), Some(2));
    let back = index.unlock("ed@conseil.example", &ab.id, "title").unwrap();
    assert!(back.title.starts_with("Concert de Noël"), "{}", back.title);
    assert_ne!(back.title, "Concert de Noël des Petits Chanteurs");
    assert_eq!(
        back.image.as_deref(),
        Some("https://img.example.org/n.jpg"),
        "the other lock stays"
    );
}

#[test]
fn a_hidden_event_stays_hidden_until_unhidden() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    first_ingest(&index);
    let play = event_of(&index, &["c"]).unwrap();
    index.hide("ed@conseil.example", &play.id, false).unwrap();
    assert!(
        index.event(&play.id).unwrap().is_none(),
        "gone from the API"
    );
    assert!(
        everything(&index).iter().all(|e| e.id != play.id),
        "gone from search"
    );
    assert_eq!(index.hidden_events().unwrap().len(), 1);
    for (n, at) in [(1, "2026-11-02T00:00:00Z"), (2, "2026-11-03T00:00:00Z")] {
        let o = occ(
            "c",
            "bs",
            &format!("Les Belles-sœurs ({n})"),
            "2026-12-06T19:00:00-05:00",
        );
        index.record_success(run("c", at, vec![o])).unwrap();
        assert!(
            everything(&index)
                .iter()
                .all(|e| !e.title.starts_with("Les Belles")),
            "ingest {n}"
        );
        let console = index
            .curated_event(&play.id)
            .unwrap()
            .expect("the console still sees it");
        assert!(console.hidden);
        assert_eq!(console.event.title, format!("Les Belles-sœurs ({n})"));
    }
    // A rebuilt search index keeps it out too.
    index.reindex().unwrap();
    assert!(everything(&index).iter().all(|e| e.id != play.id));
    index.unhide("ed@conseil.example", &play.id, false).unwrap();
    assert_eq!(
        index.event(&play.id).unwrap().unwrap().title,
        "Les Belles-sœurs (2)"
    );
    assert!(everything(&index).iter().any(|e| e.id == play.id));
}

#[test]
fn a_series_is_hidden_whole() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let mut weekly = Vec::new();
    for day in ["2026-12-01", "2026-12-08", "2026-12-15"] {
        let mut o = occ(
            "c",
            "atelier",
            "Atelier de dessin",
            &format!("{day}T18:00:00-05:00"),
        );
        o.key = day.to_string();
        o.event.id = model::ids::occurrence_id(&sid("c"), "atelier", day);
        o.event.series_id = Some("serie-atelier".to_string());
        weekly.push(o);
    }
    index
        .record_success(run("c", "2026-11-01T00:00:00Z", weekly))
        .unwrap();
    let first = everything(&index);
    assert_eq!(first.len(), 3);
    assert!(matches!(
        index.hide("ed", "nope", true),
        Err(CurationError::NotFound(_))
    ));
    index
        .hide("ed@conseil.example", &first[1].id, true)
        .unwrap();
    assert!(
        everything(&index).is_empty(),
        "every occurrence of the series"
    );
    index
        .unhide("ed@conseil.example", &first[1].id, true)
        .unwrap();
    assert_eq!(everything(&index).len(), 3);
}

#[test]
fn a_forced_merge_and_a_split_survive_ingests_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    first_ingest(&index);
    let ab = event_of(&index, &["a", "b"]).unwrap();
    let d = event_of(&index, &["d"]).expect("d apart after the dedup");
    let merged = index
        .merge("ed@conseil.example", &[ab.id.clone(), d.id.clone()])
        .unwrap();
    assert!(
        merged.id == ab.id || merged.id == d.id,
        "one of the given ids"
    );
    assert_eq!(merged.id, ab.id, "the event with more records keeps its id");
    assert_eq!(
        everything(&index).len(),
        2,
        "the merged concert and the play"
    );
    // d moves its event to another day and renames it, twice.
    for (n, at) in [(1, "2026-11-02T00:00:00Z"), (2, "2026-11-03T00:00:00Z")] {
        let o = occ(
            "d",
            "x",
            &format!("Récital {n}"),
            "2026-12-07T14:00:00-05:00",
        );
        index.record_success(run("d", at, vec![o])).unwrap();
        let now = event_of(&index, &["a", "b", "d"]).expect("still one event");
        assert_eq!(now.id, ab.id, "ingest {n}");
    }
    // Split b out: a keeps the id, b becomes its own event, and stays so.
    let kept = index.split("ed@conseil.example", &ab.id, "b").unwrap();
    assert_eq!(kept.id, ab.id);
    let b_alone = event_of(&index, &["b"]).expect("b on its own");
    assert_ne!(b_alone.id, ab.id);
    for (n, at) in [(3, "2026-11-04T00:00:00Z"), (4, "2026-11-05T00:00:00Z")] {
        let mut o = occ("b", "n1", "Concert de Noël", "2026-12-05T20:00:00-05:00");
        o.event.description = Some(format!("Billets {n}"));
        index.record_success(run("b", at, vec![o])).unwrap();
        let o = occ("a", "noel", "Concert de Noël", "2026-12-05T20:00:00-05:00");
        index.record_success(run("a", at, vec![o])).unwrap();
        assert_eq!(
            event_of(&index, &["a", "d"]).map(|e| e.id),
            Some(ab.id.clone()),
            "ingest {n}"
        );
        assert_eq!(
            event_of(&index, &["b"]).map(|e| e.id),
            Some(b_alone.id.clone()),
            "ingest {n}"
        );
    }
    // Errors name what is wrong.
    match index.split("ed", &ab.id, "zz") {
        Err(CurationError::Invalid(e)) => assert_eq!(e.field, "source"),
        other => panic!("{other:?}"),
    }
    match index.merge("ed", std::slice::from_ref(&ab.id)) {
        Err(CurationError::Invalid(e)) => assert_eq!(e.field, "ids"),
        other => panic!("{other:?}"),
    }
    // The audit trail, newest first; undo the split, then the merge.
    let page = index.audit(10, None).unwrap();
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["event.split", "event.merge"]);
    assert!(page
        .entries
        .iter()
        .all(|e| e.who == "ed@conseil.example" && e.undoable));
    index
        .undo("ed@conseil.example", page.entries[0].id)
        .unwrap();
    assert_eq!(
        event_of(&index, &["a", "b", "d"]).map(|e| e.id),
        Some(ab.id.clone())
    );
    assert!(matches!(
        index.undo("ed@conseil.example", page.entries[0].id),
        Err(CurationError::Conflict(_))
    ));
    index
        .undo("ed@conseil.example", page.entries[1].id)
        .unwrap();
    assert_eq!(
        event_of(&index, &["a", "b"]).map(|e| e.id),
        Some(ab.id.clone())
    );
    assert_eq!(
        event_of(&index, &["d"]).map(|e| e.id),
        Some(d.id.clone()),
        "d gets its id back"
    );
    let page = index.audit(2, None).unwrap();
    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.entries[0].action, "undo");
    let rest = index.audit(10, page.next).unwrap();
    assert_eq!(rest.entries.len(), 2);
    assert!(rest
        .entries
        .iter()
        .all(|e| e.undone_by.is_some() && !e.undoable));
}

#[test]
fn patches_are_checked_audited_and_undone() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    first_ingest(&index);
    let play = event_of(&index, &["c"]).unwrap();
    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"start": "demain"}), "start"),
        (json!({"end": "2026-12-06T10:00:00-05:00"}), "end"),
        (json!({"id": "x"}), "id"),
        (json!({}), "body"),
    ] {
        match index.patch_event("ed", &play.id, fields(body.clone())) {
            Err(CurationError::Invalid(e)) => assert_eq!(e.field, field, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    assert!(matches!(
        index.patch_event("ed", "no-such-event", fields(json!({"title": "x"}))),
        Err(CurationError::NotFound(_))
    ));
    assert!(
        index.audit(10, None).unwrap().entries.is_empty(),
        "refusals write nothing"
    );
    let moved = index
        .patch_event(
            "ed",
            &play.id,
            fields(json!({"start": "2026-12-06T19:00:00-05:00", "status": "postponed"})),
        )
        .unwrap();
    assert_eq!(
        moved.end,
        Some(t("2026-12-06T21:00:00-05:00")),
        "the end moves with the start"
    );
    let entry = &index.audit(1, None).unwrap().entries[0];
    assert_eq!(entry.action, "event.patch");
    assert_eq!(entry.target, play.id);
    assert_eq!(
        entry.before.as_ref().unwrap()["values"]["status"],
        json!("scheduled")
    );
    assert_eq!(
        entry.after.as_ref().unwrap()["locks"]["status"],
        json!("postponed")
    );
    index.undo("admin@conseil.example", entry.id).unwrap();
    let back = index.event(&play.id).unwrap().unwrap();
    assert_eq!(back.start, play.start);
    assert_eq!(back.status, play.status);
    assert!(index.locked_fields().unwrap().is_empty());
    let id = index
        .log_action(
            "admin@conseil.example",
            "source.add",
            "biblio",
            None,
            Some(json!({"url": "x"})),
        )
        .unwrap();
    assert!(matches!(
        index.undo("admin", id),
        Err(CurationError::Conflict(_))
    ));
}
