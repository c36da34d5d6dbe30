//! The store re-clusters only what a run changed (its occurrences, the
//! stored ones that may be their duplicates, and the events they belong
//! to) and writes runs that wait together. Both must give exactly the
//! events that clustering every occurrence at once gives, whatever the
//! order the sources come in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use index::{FetchState, Index, SourceInfo, SourceRun};
use model::{Event, Occurrence, RawEvent, SourceId, TimeValue, Venue};

fn sid(s: &str) -> SourceId {
    SourceId::new(s).expect("test source id")
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("small")
    }
}

const WORDS: &[&str] = &[
    "Orchestre",
    "Quatuor",
    "Molinari",
    "Danse",
    "Contes",
    "Jazz",
    "Cirque",
    "Marionnettes",
    "Chorale",
    "Opéra",
    "Fanfare",
    "Poésie",
    "Cinéma",
    "Atelier",
    "Gravure",
    "Piano",
    "Violon",
    "Tango",
    "Flamenco",
    "Slam",
];
const VENUES: &[&str] = &[
    "Maison des arts",
    "Salle André-Mathieu",
    "Bibliothèque Philippe-Panneton",
    "Centre d'art de Sainte-Rose",
    "Théâtre du Bout de l'île",
];

fn occurrence(
    source: &str,
    uid: &str,
    title: &str,
    start: DateTime<FixedOffset>,
    venue: usize,
    alias: bool,
) -> Occurrence {
    let mut event = Event::new("", title, start, "America/Toronto", Utc::now());
    event.end = Some(start + Duration::hours(2));
    event.language = Some("fr".to_string());
    let name = VENUES.get(venue).copied().unwrap_or("Salle");
    // Another source's record of the same hall: another id and name, the
    // same address (the store must not take it for another place).
    let (id, name) = if alias {
        (format!("v{venue}-laval"), format!("{name} (Laval)"))
    } else {
        (format!("v{venue}"), name.to_string())
    };
    event.venue = Some(Venue {
        id,
        name,
        address: Some(format!("{} boulevard Saint-Martin", 100 + venue * 10)),
        city: Some("Laval".to_string()),
        lat: None,
        lon: None,
        precision: None,
    });
    Occurrence::single(sid(source), uid, event)
}

/// Add to `region` a listing by its source number `s` (named `sNN`): at
/// hall `hall` (see [`occurrence`]), or without a venue.
fn list_in(
    region: &mut [(String, Vec<Occurrence>)],
    s: usize,
    uid: &str,
    title: &str,
    start: DateTime<FixedOffset>,
    hall: Option<usize>,
    alias: bool,
) {
    let mut o = occurrence(
        &format!("s{s:02}"),
        uid,
        title,
        start,
        hall.unwrap_or(0),
        alias,
    );
    if hall.is_none() {
        o.event.venue = None;
    }
    if let Some((_, list)) = region.get_mut(s) {
        list.push(o);
    }
}

/// Sources of shows over ten days at five halls; about a third of each
/// source's shows listed again by the next source (title decorated or cut,
/// start moved by the doors' half hour, the hall's name sometimes written
/// otherwise), and shows of other titles at the same hall and hour (that
/// must stay apart).
fn region(sources: usize, shows: usize) -> Vec<(String, Vec<Occurrence>)> {
    let mut rng = Rng(0x5eed_2026);
    let zone = FixedOffset::west_opt(5 * 3600).expect("offset");
    let base = zone
        .with_ymd_and_hms(2027, 3, 1, 0, 0, 0)
        .single()
        .expect("date");
    let mut out: Vec<(String, Vec<Occurrence>)> = (0..sources)
        .map(|s| (format!("s{s:02}"), Vec::new()))
        .collect();
    for s in 0..sources {
        for k in 0..shows {
            let title = format!(
                "{} {} {}",
                WORDS[rng.below(WORDS.len())],
                WORDS[rng.below(WORDS.len())],
                WORDS[rng.below(WORDS.len())]
            );
            let day = rng.below(10) as i64;
            let hour = [14i64, 19, 20][rng.below(3)];
            let start = base + Duration::days(day) + Duration::hours(hour);
            let venue = rng.below(VENUES.len());
            list_in(
                &mut out,
                s,
                &format!("u{k}"),
                &title,
                start,
                Some(venue),
                false,
            );
            if rng.below(3) == 0 {
                let alias = rng.below(2) == 0;
                let next = (s + 1) % sources;
                let (title, start) = match rng.below(3) {
                    0 => (format!("COMPLET - {title}"), start),
                    1 => (title.to_uppercase(), start - Duration::minutes(30)),
                    _ => (format!("{title} (supplémentaire)"), start),
                };
                let uid = format!("x{s}-{k}");
                list_in(&mut out, next, &uid, &title, start, Some(venue), alias);
            }
        }
    }
    out
}

fn run(source: &str, occurrences: Vec<Occurrence>) -> SourceRun {
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
        at: Utc::now(),
        duration_ms: 1,
        kind: Some("ics".to_string()),
        fetch: FetchState::default(),
        records,
        occurrences,
        warnings: Vec::new(),
    }
}

fn open(dir: &Path, region: &[(String, Vec<Occurrence>)]) -> Index {
    let index = Index::open(dir).expect("open index");
    let infos: Vec<SourceInfo> = region
        .iter()
        .map(|(id, _)| SourceInfo {
            id: sid(id),
            name: id.clone(),
            kind: None,
            url: format!("https://{id}.example.org/events.ics"),
        })
        .collect();
    index.sync_sources(&infos).expect("sync sources");
    index
}

/// The store's events as sets of occurrence ids.
fn partition(dir: &Path) -> BTreeSet<BTreeSet<String>> {
    let conn = rusqlite::Connection::open(dir.join("babillard.sqlite")).expect("sqlite");
    let mut stmt = conn
        .prepare("SELECT id, event_id FROM occurrences")
        .expect("prepare");
    let mut events: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("query");
    for row in rows {
        let (id, event) = row.expect("row");
        events.entry(event).or_default().insert(id);
    }
    events.into_values().collect()
}

/// What clustering every occurrence at once gives, in the store's order
/// (by start, then id).
fn expected(region: &[(String, Vec<Occurrence>)]) -> BTreeSet<BTreeSet<String>> {
    let mut all: Vec<Occurrence> = region
        .iter()
        .flat_map(|(_, list)| list.iter().cloned())
        .map(|mut o| {
            o.event.id = model::ids::occurrence_id(&o.source, &o.record_uid, &o.key);
            o
        })
        .collect();
    all.sort_by(|a, b| {
        a.event
            .start
            .timestamp()
            .cmp(&b.event.start.timestamp())
            .then_with(|| a.event.id.cmp(&b.event.id))
    });
    let refs: Vec<&Occurrence> = all.iter().collect();
    normalize::dedup::cluster(&refs)
        .into_iter()
        .map(|group| {
            group
                .into_iter()
                .filter_map(|i| all.get(i))
                .map(|o| o.event.id.clone())
                .collect()
        })
        .collect()
}

fn merged(p: &BTreeSet<BTreeSet<String>>) -> usize {
    p.iter().filter(|g| g.len() > 1).count()
}

/// Each source of `region` written alone, in order and in reverse, into a
/// fresh store: the store's events are `want` both ways.
fn one_source_after_another_either_way(
    region: &[(String, Vec<Occurrence>)],
    want: &BTreeSet<BTreeSet<String>>,
) {
    for reverse in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = open(dir.path(), region);
        let mut order: Vec<&(String, Vec<Occurrence>)> = region.iter().collect();
        if reverse {
            order.reverse();
        }
        for (id, list) in order {
            index.record_success(run(id, list.clone())).expect("run");
        }
        drop(index);
        assert_eq!(&partition(dir.path()), want, "reverse order: {reverse}");
    }
}

#[test]
fn one_source_after_another_in_either_order_gives_the_events_of_clustering_everything() {
    let region = region(12, 30);
    let want = expected(&region);
    assert!(
        merged(&want) >= 60,
        "the region has cross-listings: {}",
        merged(&want)
    );
    one_source_after_another_either_way(&region, &want);
}

/// `region` with the venue taken off one listing in four (a feed that
/// gives none): those are compared with every show sharing a word, and
/// the shows at a hall with them too.
fn some_without_venue(
    mut region: Vec<(String, Vec<Occurrence>)>,
) -> Vec<(String, Vec<Occurrence>)> {
    for (i, occ) in region
        .iter_mut()
        .flat_map(|(_, list)| list.iter_mut())
        .enumerate()
    {
        if i % 4 == 1 {
            occ.event.venue = None;
        }
    }
    region
}

#[test]
fn listings_without_a_venue_give_the_events_of_clustering_everything() {
    let region = some_without_venue(region(12, 30));
    let want = expected(&region);
    let without: BTreeSet<String> = region
        .iter()
        .flat_map(|(_, list)| list.iter())
        .filter(|o| o.event.venue.is_none())
        .map(|o| model::ids::occurrence_id(&o.source, &o.record_uid, &o.key))
        .collect();
    // Merged events that join a listing without a venue to one with a
    // venue: found only if each side looks at the other.
    let mixed = want
        .iter()
        .filter(|g| {
            g.iter().any(|id| without.contains(id)) && g.iter().any(|id| !without.contains(id))
        })
        .count();
    assert!(mixed >= 10, "the region mixes them: {mixed}");
    one_source_after_another_either_way(&region, &want);
}

/// `region` with story hours: on each of nine days one title at 10:00,
/// held at one, two or three halls (each listed by its own source), and
/// listed without a venue by one or two feeds of other sources. Where it
/// is at one hall the feeds' listings are that show; at two or more,
/// which one they list is unknown (ambiguous: left alone).
fn story_hours(mut region: Vec<(String, Vec<Occurrence>)>) -> Vec<(String, Vec<Occurrence>)> {
    let zone = FixedOffset::west_opt(5 * 3600).expect("offset");
    let n = region.len();
    for (day, word) in WORDS.iter().enumerate().take(9) {
        let start = zone
            .with_ymd_and_hms(2027, 3, 1 + day as u32, 10, 0, 0)
            .single()
            .expect("date");
        let title = format!("Heure du conte {word}");
        let halls = 1 + day % 3;
        for hall in 0..halls {
            let uid = format!("conte{day}-{hall}");
            list_in(
                &mut region,
                (day + hall) % n,
                &uid,
                &title,
                start,
                Some(hall),
                false,
            );
        }
        let feeds = 1 + day % 2;
        for feed in 0..feeds {
            let uid = format!("fil{day}-{feed}");
            list_in(
                &mut region,
                (day + 5 + feed) % n,
                &uid,
                &title,
                start,
                None,
                false,
            );
        }
    }
    // Day ten: one hall's source, then one source listing the show at two
    // other halls at once: the feed's listing, first joined to the one
    // hall, becomes ambiguous in a single run (its two new pairs at once).
    let start = zone
        .with_ymd_and_hms(2027, 3, 10, 10, 0, 0)
        .single()
        .expect("date");
    let title = format!("Heure du conte {}", WORDS[9]);
    list_in(&mut region, 2 % n, "fil9", &title, start, None, false);
    list_in(
        &mut region,
        9 % n,
        "conte9-0",
        &title,
        start,
        Some(0),
        false,
    );
    list_in(
        &mut region,
        10 % n,
        "conte9-1",
        &title,
        start,
        Some(1),
        false,
    );
    list_in(
        &mut region,
        10 % n,
        "conte9-2",
        &title,
        start,
        Some(2),
        false,
    );
    region
}

#[test]
fn listings_without_a_venue_at_several_halls_give_the_events_of_clustering_everything() {
    // The store does not follow the pairs of an ambiguous listing (they
    // are dropped when clustering): the events must still be those of
    // clustering everything at once, in either order, including a listing
    // that pairs with one hall first and becomes ambiguous when a second
    // hall's source comes.
    let region = story_hours(some_without_venue(region(12, 30)));
    let want = expected(&region);
    let group_of = |id: &str| want.iter().find(|g| g.contains(id)).cloned();
    let id = |s: usize, uid: &str| model::ids::occurrence_id(&sid(&format!("s{s:02}")), uid, "");
    // Day 0: one hall, one feed: the feed's listing joins the hall's show.
    let day0 = group_of(&id(0, "conte0-0")).expect("day 0");
    assert!(day0.contains(&id(5, "fil0-0")), "{day0:?}");
    // Day 1: two halls, two feeds: each listing stays alone; day 10 too.
    for (s, uid) in [
        (1, "conte1-0"),
        (2, "conte1-1"),
        (6, "fil1-0"),
        (7, "fil1-1"),
        (2, "fil9"),
        (9, "conte9-0"),
        (10, "conte9-1"),
        (10, "conte9-2"),
    ] {
        assert_eq!(group_of(&id(s, uid)).map(|g| g.len()), Some(1), "{uid}");
    }
    one_source_after_another_either_way(&region, &want);
}

#[test]
fn runs_written_together_give_each_its_counts_and_the_same_events() {
    let region = region(12, 30);
    let want = expected(&region);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &region));
    let handles: Vec<_> = region
        .iter()
        .map(|(id, list)| {
            let index = Arc::clone(&index);
            let (id, list) = (id.clone(), list.clone());
            std::thread::spawn(move || {
                let n = list.len();
                let counts = index.record_success(run(&id, list)).expect("run");
                (n, counts)
            })
        })
        .collect();
    for h in handles {
        let (n, counts) = h.join().expect("thread");
        assert_eq!((counts.found, counts.new), (n, n));
    }
    let sources = index.sources().expect("sources");
    assert!(sources.iter().all(|s| s.status == "ok"), "{sources:?}");
    drop(index);
    assert_eq!(partition(dir.path()), want);
}

/// [`Index::record_success_then`] with `written`, waiting for the answer.
fn record_then(
    index: &Index,
    run: SourceRun,
    written: Box<dyn FnOnce() + Send>,
) -> Result<index::RunCounts, index::IndexError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    index.record_success_then(
        run,
        Some(written),
        Box::new(move |answer| {
            let _ = tx.send(answer);
        }),
    );
    rx.recv().expect("an answer")
}

/// A run of `source` that holds the writer, its transaction open, until
/// the returned sender says go: returns once the run is in the
/// transaction, with the thread that answers it.
fn hold_writer(
    index: &Arc<Index>,
    source: &str,
    list: Vec<Occurrence>,
) -> (
    std::thread::JoinHandle<Result<index::RunCounts, index::IndexError>>,
    std::sync::mpsc::Sender<()>,
) {
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (in_tx, in_rx) = std::sync::mpsc::channel::<()>();
    let held = {
        let index = Arc::clone(index);
        let source = source.to_string();
        std::thread::spawn(move || {
            let written = Box::new(move || {
                in_tx.send(()).expect("send");
                go_rx.recv().expect("go");
            });
            record_then(&index, run(&source, list), written)
        })
    };
    in_rx.recv().expect("the held run in the transaction");
    (held, go_tx)
}

/// Occurrences of `source` that another connection sees (committed).
fn committed(dir: &Path, source: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("babillard.sqlite")).expect("sqlite");
    conn.query_row(
        "SELECT count(*) FROM occurrences WHERE source = ?1",
        [source],
        |r| r.get(0),
    )
    .expect("count")
}

#[test]
fn runs_queued_while_a_group_is_written_join_its_transaction_and_are_released_before_it_commits() {
    let region = region(12, 30);
    let want = expected(&region);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &region));
    let (first, rest) = region.split_first().expect("a region");
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<(String, i64)>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    // The first run's `written` is called inside the writer, its
    // transaction open: it waits there until the other runs are queued.
    let writer = {
        let index = Arc::clone(&index);
        let (id, list) = first.clone();
        let path = dir.path().to_path_buf();
        let seen = seen_tx.clone();
        std::thread::spawn(move || {
            let n = list.len();
            let source = id.clone();
            let written = Box::new(move || {
                seen.send((id.clone(), committed(&path, &id)))
                    .expect("send");
                go_rx.recv().expect("go");
            });
            let counts = record_then(&index, run(&source, list), written).expect("run");
            assert_eq!((counts.found, counts.new), (n, n));
        })
    };
    let (id, before) = seen_rx.recv().expect("first written");
    assert_eq!(before, 0, "{id} is in the transaction, not committed");
    let others: Vec<_> = rest
        .iter()
        .map(|(id, list)| {
            let index = Arc::clone(&index);
            let (id, list) = (id.clone(), list.clone());
            let path = dir.path().to_path_buf();
            let first = first.0.clone();
            let seen = seen_tx.clone();
            std::thread::spawn(move || {
                let n = list.len();
                let source = id.clone();
                let written = Box::new(move || {
                    seen.send((id.clone(), committed(&path, &first)))
                        .expect("send");
                });
                let counts = record_then(&index, run(&source, list), written).expect("run");
                assert_eq!((counts.found, counts.new), (n, n));
            })
        })
        .collect();
    drop(seen_tx);
    // Time for the other threads to queue their runs (they then wait for
    // the writer, which is held by the first run's `written`).
    std::thread::sleep(std::time::Duration::from_millis(500));
    go_tx.send(()).expect("go");
    writer.join().expect("writer");
    for h in others {
        h.join().expect("run");
    }
    // Every other run was written in the first one's transaction: none of
    // their `written` saw the first run committed.
    let seen: Vec<(String, i64)> = seen_rx.iter().collect();
    assert_eq!(seen.len(), rest.len(), "{seen:?}");
    assert!(seen.iter().all(|(_, n)| *n == 0), "{seen:?}");
    assert_eq!(committed(dir.path(), &first.0), first.1.len() as i64);
    drop(index);
    assert_eq!(partition(dir.path()), want);
}

#[test]
fn a_caller_is_released_once_its_run_is_in_the_transaction_not_at_the_commit() {
    let region = region(3, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &region));
    let [a, b, c] = [0, 1, 2].map(|i| region[i].clone());
    // A holds the writer until B and C are queued.
    let (writer, go) = hold_writer(&index, &a.0, a.1);
    // C's caller says when `record_success_then` returned, and when the
    // answer came.
    let (c_returned, c_returned_rx) = std::sync::mpsc::channel::<()>();
    let (c_answer, c_answer_rx) = std::sync::mpsc::channel();
    let c_caller = {
        let index = Arc::clone(&index);
        std::thread::spawn(move || {
            index.record_success_then(
                run(&c.0, c.1),
                None,
                Box::new(move |answer| {
                    let _ = c_answer.send(answer);
                }),
            );
            c_returned.send(()).expect("send");
        })
    };
    // B's `written` runs in the writer after B and C were written together,
    // the transaction still open and the writer's lock held: C's caller
    // must be free by then, and C not answered yet.
    let (b_saw, b_saw_rx) = std::sync::mpsc::channel::<(bool, bool)>();
    let b_caller = {
        let index = Arc::clone(&index);
        let path = dir.path().to_path_buf();
        let first = region[0].0.clone();
        std::thread::spawn(move || {
            let written = Box::new(move || {
                let returned = c_returned_rx
                    .recv_timeout(std::time::Duration::from_secs(5))
                    .is_ok();
                let answered = c_answer_rx.try_recv().is_ok();
                assert_eq!(committed(&path, &first), 0, "the group is not committed");
                b_saw.send((returned, answered)).expect("send");
            });
            record_then(&index, run(&b.0, b.1), written)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    go.send(()).expect("go");
    assert!(writer.join().expect("A").is_ok());
    assert!(b_caller.join().expect("B").is_ok());
    c_caller.join().expect("C");
    let (returned, answered) = b_saw_rx.recv().expect("B's written ran");
    assert!(
        returned,
        "C's caller still waits: it waits for the commit or the lock"
    );
    assert!(
        !answered,
        "C was answered before its transaction was committed"
    );
    drop(index);
    assert_eq!(partition(dir.path()), expected(&region));
}

/// A store that refuses the occurrences of `source` inside a transaction
/// with `raise` (`ABORT`: the statement fails, as on a constraint or a
/// corrupt row; `ROLLBACK`: SQLite rolls the whole transaction back, as it
/// does on a full disk or an I/O error). Returns the connection that holds
/// the trigger.
fn refuse(dir: &Path, source: &str, raise: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join("babillard.sqlite")).expect("sqlite");
    conn.execute_batch(&format!(
        "CREATE TRIGGER refuse BEFORE INSERT ON occurrences WHEN NEW.source = '{source}'
         BEGIN SELECT RAISE({raise}, 'refused by the test'); END;"
    ))
    .expect("trigger");
    conn
}

/// Write `region`'s runs as one group: the first run's `written` holds the
/// writer, its transaction open, until the others are queued behind it.
/// Each run's source, number of occurrences and answer, the first's first.
fn write_as_one_group(
    index: &Arc<Index>,
    region: &[(String, Vec<Occurrence>)],
) -> Vec<(String, usize, Result<index::RunCounts, index::IndexError>)> {
    let (first, rest) = region.split_first().expect("a region");
    let (held, go_tx) = hold_writer(index, &first.0, first.1.clone());
    let others: Vec<_> = rest
        .iter()
        .map(|(id, list)| {
            let index = Arc::clone(index);
            let (id, list) = (id.clone(), list.clone());
            std::thread::spawn(move || {
                let n = list.len();
                let answer = index.record_success(run(&id, list));
                (id, n, answer)
            })
        })
        .collect();
    // Time for the other threads to queue their runs.
    std::thread::sleep(std::time::Duration::from_millis(500));
    go_tx.send(()).expect("go");
    let held = held.join().expect("run");
    std::iter::once((first.0.clone(), first.1.len(), held))
        .chain(others.into_iter().map(|h| h.join().expect("run")))
        .collect()
}

#[test]
fn a_run_that_fails_inside_a_group_fails_alone_and_the_group_lands() {
    let region = region(12, 30);
    let refused = region[3].0.clone();
    let healthy: Vec<(String, Vec<Occurrence>)> = region
        .iter()
        .filter(|(id, _)| *id != refused)
        .cloned()
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open(dir.path(), &region));
    drop(refuse(dir.path(), &refused, "ABORT"));
    let index = Arc::new(Index::open(dir.path()).expect("reopen"));
    for (id, n, answer) in write_as_one_group(&index, &region) {
        if id == refused {
            let error = answer.expect_err("the refused run fails").to_string();
            assert!(error.contains("refused by the test"), "{error}");
        } else {
            // Written once: what the failed batch wrote was undone.
            let counts = answer.expect("a healthy run lands");
            assert_eq!((counts.found, counts.new), (n, n), "{id}");
        }
    }
    assert_eq!(committed(dir.path(), &refused), 0);
    let sources = index.sources().expect("sources");
    let status = |id: &str| {
        sources
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.status.clone())
    };
    assert_eq!(status(&refused).as_deref(), Some("never"));
    assert_eq!(status(&region[0].0).as_deref(), Some("ok"));
    drop(index);
    assert_eq!(partition(dir.path()), expected(&healthy));
}

#[test]
fn a_transaction_sqlite_rolled_back_inside_a_group_is_never_committed() {
    let region = region(6, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open(dir.path(), &region));
    let conn = refuse(dir.path(), &region[3].0, "ROLLBACK");
    let index = Arc::new(Index::open(dir.path()).expect("reopen"));
    // Every run of the group fails, the first one's included: none of it
    // is in the store, not even what came after the rollback.
    for (id, _, answer) in write_as_one_group(&index, &region) {
        assert!(answer.is_err(), "{id}: {answer:?}");
    }
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM occurrences", [], |r| r.get(0))
        .expect("count");
    assert_eq!(stored, 0);
    // Once the store accepts them again, the same runs land.
    conn.execute_batch("DROP TRIGGER refuse")
        .expect("drop trigger");
    for (id, list) in &region {
        index.record_success(run(id, list.clone())).expect("run");
    }
    drop(index);
    blockings_in_step(dir.path());
    assert_eq!(partition(dir.path()), expected(&region));
}

#[test]
fn a_show_taken_out_of_one_source_leaves_its_event_to_the_other() {
    let region = region(6, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &region);
    for (id, list) in &region {
        index.record_success(run(id, list.clone())).expect("run");
    }
    // Source s01 drops its cross-listings of s00's shows.
    let mut changed = region.clone();
    if let Some((_, list)) = changed.get_mut(1) {
        list.retain(|o| !o.record_uid.starts_with("x0-"));
    }
    // And s00 moves one of its shows by an hour (a changed start).
    if let Some(o) = changed.get_mut(0).and_then(|(_, list)| list.first_mut()) {
        o.event.start += Duration::hours(1);
        o.event.end = o.event.end.map(|e| e + Duration::hours(1));
    }
    for i in [1, 0] {
        let (id, list) = changed.get(i).cloned().expect("source");
        let counts = index.record_success(run(&id, list)).expect("run");
        assert!(counts.removed > 0 || counts.updated > 0, "{id}: {counts:?}");
    }
    drop(index);
    blockings_in_step(dir.path());
    assert_eq!(partition(dir.path()), expected(&changed));
}

#[test]
fn a_source_run_twice_in_one_batch_keeps_no_blocking_of_what_its_second_run_took_out() {
    let region = region(4, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &region));
    let (source, full) = region.get(1).cloned().expect("a second source");
    let (kept, taken) = full.split_at(20);
    assert!(!taken.is_empty());
    for (i, (id, list)) in region.iter().enumerate() {
        let list = if i == 1 { kept.to_vec() } else { list.clone() };
        index.record_success(run(id, list)).expect("run");
    }
    // A run of another source holds the writer, its transaction open,
    // while two runs of `source` queue behind it, in one batch: the first
    // lists more shows (inserted, at the table's last rowids), the
    // second no longer does (deleted again, in the same batch).
    let (hold, hold_list) = region.first().cloned().expect("a source");
    let (holder, go_tx) = hold_writer(&index, &hold, hold_list);
    let queue = |list: Vec<Occurrence>| {
        let index = Arc::clone(&index);
        let source = source.clone();
        let handle = std::thread::spawn(move || index.record_success(run(&source, list)));
        // Queued before the next one.
        std::thread::sleep(std::time::Duration::from_millis(300));
        handle
    };
    let with = queue(full.clone());
    let without = queue(kept.to_vec());
    go_tx.send(()).expect("go");
    holder.join().expect("holder").expect("held run");
    let with = with.join().expect("run").expect("answer");
    let without = without.join().expect("run").expect("answer");
    // (Counts are read once the batch is written: both runs find what
    // the second left.)
    assert_eq!(with.new, taken.len());
    assert_eq!((without.removed, without.found), (taken.len(), kept.len()));
    drop(index);
    blockings_in_step(dir.path());
    let mut now = region.clone();
    if let Some((_, list)) = now.get_mut(1) {
        *list = kept.to_vec();
    }
    assert_eq!(partition(dir.path()), expected(&now));
}

/// A run of thousands of events: each row is the event of its own
/// members, under its own id.
#[test]
fn a_run_of_thousands_of_events_gives_each_row_its_own_event() {
    // One source: its listings never merge, each is an event.
    let region = region(1, 3_200);
    let (id, list) = region.first().cloned().expect("a source");
    assert!(list.len() > 4_096, "{}", list.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &region);
    let counts = index.record_success(run(&id, list.clone())).expect("run");
    assert_eq!(counts.new, list.len());
    drop(index);
    let conn = rusqlite::Connection::open(dir.path().join("babillard.sqlite")).expect("sqlite");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let n = i64::try_from(list.len()).expect("count");
    assert_eq!(count("SELECT count(*) FROM events"), n);
    assert_eq!(
        count(
            "SELECT count(*) FROM events e JOIN occurrences o ON o.event_id = e.id
             WHERE json_extract(e.json, '$.id') = e.id AND e.start_utc = o.start_utc
               AND json_extract(e.json, '$.sources[0].uid') = o.record_uid
               AND json_array_length(e.json, '$.sources') = 1"
        ),
        n
    );
}

/// Every stored occurrence has its one blocking, keyed by its rowid, at
/// its start, and no other blocking is left.
fn blockings_in_step(dir: &Path) {
    let conn = rusqlite::Connection::open(dir.join("babillard.sqlite")).expect("sqlite");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let occurrences = count("SELECT count(*) FROM occurrences");
    assert!(occurrences > 0);
    assert_eq!(count("SELECT count(*) FROM dedup_blocks"), occurrences);
    assert_eq!(
        count(
            "SELECT count(*) FROM dedup_blocks b JOIN occurrences o
               ON o.rowid = b.occurrence_row AND o.id = b.occurrence AND o.start_utc = b.start_utc"
        ),
        occurrences
    );
}

#[test]
fn a_store_without_blockings_computes_them_on_open_and_still_merges() {
    let region = region(4, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let (last, first) = region.split_last().expect("sources");
    {
        let index = open(dir.path(), &region);
        for (id, list) in first {
            index.record_success(run(id, list.clone())).expect("run");
        }
    }
    // As a store written before the blockings were kept.
    {
        let conn = rusqlite::Connection::open(dir.path().join("babillard.sqlite")).expect("sqlite");
        conn.execute_batch(
            "DELETE FROM dedup_blocks; DELETE FROM meta WHERE key = 'dedup_blocks_version';",
        )
        .expect("forget blockings");
    }
    let index = open(dir.path(), &region);
    index
        .record_success(run(&last.0, last.1.clone()))
        .expect("run");
    drop(index);
    let got = partition(dir.path());
    let want = expected(&region);
    assert!(
        got.iter().any(|g| g.len() > 1
            && g.iter().any(|id| {
                last.1
                    .iter()
                    .any(|o| model::ids::occurrence_id(&o.source, &o.record_uid, &o.key) == *id)
            })),
        "the last source's cross-listings merged with stored shows"
    );
    assert_eq!(got, want);
    // Computed again keyed by each occurrence's rowid, at its start.
    blockings_in_step(dir.path());
}

#[test]
fn runs_another_connection_wrote_are_seen_by_a_writer_kept_open() {
    // The writer keeps the stored blockings indexed in memory between
    // batches; another connection (another process: `babillard ingest`
    // beside `babillard run`) writes occurrences it did not see. The
    // cross-listings of those must still merge.
    let region = region(6, 30);
    let want = expected(&region);
    let dir = tempfile::tempdir().expect("tempdir");
    let kept = open(dir.path(), &region);
    for (id, list) in region.iter().take(2) {
        kept.record_success(run(id, list.clone())).expect("run");
    }
    {
        // Its own search index in memory: the kept one holds the disk's.
        let other = Index::open_with(dir.path(), index::SearchStorage::Ram).expect("open again");
        for (id, list) in region.iter().skip(2).take(2) {
            other.record_success(run(id, list.clone())).expect("run");
        }
    }
    // s04 lists s03's shows again, s05 s04's: they must find them.
    for (id, list) in region.iter().skip(4) {
        kept.record_success(run(id, list.clone())).expect("run");
    }
    drop(kept);
    assert_eq!(partition(dir.path()), want);
}

#[test]
fn a_curation_between_runs_leaves_the_writers_blockings_whole() {
    // A curation re-clusters without the writer's block index and writes
    // no blocking; the runs after it still find every stored duplicate.
    let region = region(6, 30);
    let want = expected(&region);
    let dir = tempfile::tempdir().expect("tempdir");
    let kept = open(dir.path(), &region);
    for (id, list) in region.iter().take(3) {
        kept.record_success(run(id, list.clone())).expect("run");
    }
    let event: String = rusqlite::Connection::open(dir.path().join("babillard.sqlite"))
        .expect("sqlite")
        .query_row("SELECT id FROM events ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .expect("an event");
    let mut fields = serde_json::Map::new();
    fields.insert("title".to_string(), serde_json::json!("Titre corrigé"));
    kept.patch_event("equipe@conseil.example", &event, fields)
        .expect("curation");
    for (id, list) in region.iter().skip(3) {
        kept.record_success(run(id, list.clone())).expect("run");
    }
    drop(kept);
    assert_eq!(partition(dir.path()), want);
}

/// What this thread wrote, in bytes (Linux's per-thread I/O accounting:
/// `wchar`, every write(2) and pwrite(2), to a file or not).
#[cfg(target_os = "linux")]
fn written_by_this_thread() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("wchar:"))?
        .trim()
        .parse()
        .ok()
}

/// The writer's statements copy no page to SQLite's sub-journal one
/// statement after another (see migration 10): writing a region costs a
/// few times the store's size (the WAL, the checkpoints, each batch's
/// savepoint), not a multiple of its statements. Measured on this
/// region: 5.1 times the store; 20 times with the trigger and the
/// statements that needed a statement journal.
#[cfg(target_os = "linux")]
#[test]
fn a_first_pass_writes_a_few_times_the_store_not_a_page_per_statement() {
    let region = region(12, 300);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = open(dir.path(), &region);
    let before = written_by_this_thread().expect("/proc/thread-self/io");
    for (id, list) in &region {
        index.record_success(run(id, list.clone())).expect("run");
    }
    let written = written_by_this_thread().expect("/proc/thread-self/io") - before;
    drop(index);
    let store: u64 = ["babillard.sqlite", "babillard.sqlite-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    eprintln!("written {written} bytes for a store of {store}");
    assert!(store > 0);
    assert!(
        written < 10 * store,
        "{written} bytes written for a store of {store}"
    );
}

/// Write `held`'s run, and while the writer holds it, queue two runs of
/// `source` one after the other: both join its transaction, in two
/// batches (one run per source in a batch). Returns their counts.
fn two_runs_in_one_group(
    index: &Arc<Index>,
    held: &(String, Vec<Occurrence>),
    source: &str,
    earlier: Vec<Occurrence>,
    later: Vec<Occurrence>,
) -> (index::RunCounts, index::RunCounts) {
    let (writer, go) = hold_writer(index, &held.0, held.1.clone());
    let queue = |list: Vec<Occurrence>| {
        let index = Arc::clone(index);
        let source = source.to_string();
        let handle = std::thread::spawn(move || index.record_success(run(&source, list)));
        // Time for the run to join the queue before the next one.
        std::thread::sleep(std::time::Duration::from_millis(300));
        handle
    };
    let first = queue(earlier);
    let second = queue(later);
    go.send(()).expect("go");
    writer.join().expect("writer").expect("the held run");
    let first = first.join().expect("first").expect("first run");
    let second = second.join().expect("second").expect("second run");
    (first, second)
}

/// Two runs of one source queued together (a source read twice while the
/// writer was busy) are written one after the other, in the order they
/// came: the second sees the first's new occurrences, keeps those it
/// lists again, removes the one it no longer lists.
#[test]
fn two_runs_of_one_source_queued_together_are_written_in_order() {
    let region = region(2, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &region));
    let b = region[1].clone();
    let later: Vec<Occurrence> = b.1[10..].to_vec();
    let (first, second) =
        two_runs_in_one_group(&index, &region[0], &b.0, b.1[..20].to_vec(), later.clone());
    assert_eq!((first.found, first.new, first.removed), (20, 20, 0));
    assert_eq!(
        (second.found, second.new, second.removed),
        (later.len(), later.len() - 10, 10),
        "the later run goes on from the earlier"
    );
    drop(index);
    let conn = rusqlite::Connection::open(dir.path().join("babillard.sqlite")).expect("sqlite");
    let stored: BTreeSet<String> = conn
        .prepare("SELECT record_uid FROM occurrences WHERE source = ?1")
        .expect("prepare")
        .query_map([&b.0], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let want: BTreeSet<String> = later.iter().map(|o| o.record_uid.clone()).collect();
    assert_eq!(stored, want);
    // Every stored occurrence's event has a row.
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM occurrences WHERE event_id NOT IN (SELECT id FROM events)",
            [],
            |r| r.get(0),
        )
        .expect("orphans");
    assert_eq!(orphans, 0);
}

#[test]
fn an_event_made_then_changed_within_one_group_has_one_search_document() {
    // A new event's document is added without deleting its id first (no
    // row held it, so the search index has no document of it); changed in
    // the next batch of the same transaction, its row exists and the
    // document is replaced. Were the change taken for new, the search
    // index would serve the event twice, once with its old title.
    let region = region(2, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(open(dir.path(), &region));
    let b = region[1].clone();
    let earlier: Vec<Occurrence> = b.1[..20].to_vec();
    let mut later = earlier.clone();
    for o in &mut later[..10] {
        o.event.title = format!("Reporté : {}", o.event.title);
    }
    let (first, second) = two_runs_in_one_group(&index, &region[0], &b.0, earlier, later);
    assert_eq!(first.new, 20);
    assert_eq!(second.new, 0);
    // Some of the changed listings changed their events (others are
    // cross-listings whose event keeps the other source's title).
    assert!(second.updated >= 1, "{second:?}");
    let mut q = index::Query::from(
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .expect("date"),
    );
    q.limit = 1000;
    let page = index.query(&q).expect("query");
    let served: BTreeMap<String, String> = page
        .events
        .iter()
        .map(|e| (e.id.clone(), e.title.clone()))
        .collect();
    assert_eq!(page.events.len(), served.len(), "an event served twice");
    assert_eq!(page.total, served.len());
    assert!(served.values().any(|t| t.starts_with("Reporté")));
    let mut stored: BTreeMap<String, String> = BTreeMap::new();
    drop(index);
    let conn = rusqlite::Connection::open(dir.path().join("babillard.sqlite")).expect("sqlite");
    let mut stmt = conn
        .prepare("SELECT id, json FROM events WHERE hidden = 0")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("query");
    for row in rows {
        let (id, json) = row.expect("row");
        let event: Event = serde_json::from_str(&json).expect("event json");
        stored.insert(id, event.title);
    }
    assert_eq!(
        served, stored,
        "the search index serves what the store holds"
    );
}
