//! The SQLite store: connections, and every read and write of the tables
//! described in [`crate::migrations`].
//!
//! Writes run on the one write connection, inside a transaction the caller
//! opens ([`crate::Index`] holds it behind its write lock). Reads use a
//! small pool of other connections ([`ReadPool`]): with WAL, a reader sees
//! the last committed state and never waits for the writer.
//!
//! From occurrences to public events, after a run's occurrences are
//! written:
//!
//! 1. [`assign_events`] re-clusters every occurrence (of all sources)
//!    starting within six hours of a start the run added, moved or
//!    removed, with `normalize::dedup::cluster`, and gives each cluster an
//!    event id by the chain of `normalize::identity` (the id most of its
//!    members hold, else its best member's occurrence id, else a derived
//!    one; an id goes to one cluster only). The store only reads what the
//!    rule asks (`first_seen`, who holds an id) and writes its moves. Only
//!    clusters with a member within those six hours are reassigned, and the
//!    window read is six hours wider, so that no cluster is judged on half
//!    its members.
//!    People's links (forced merges and splits, `crate::curation`)
//!    reshape the dedup's clusters before the ids are given, and an id
//!    with locks or a hide is pinned.
//! 2. [`rebuild_events`] is given the ids of the events whose members
//!    changed and brings their rows in `events` up to date with
//!    `normalize::merge::merge` (insert, update with `sequence + 1` when
//!    the published content changed, or delete when no member is left),
//!    then applies people's locks and hides: a hidden event keeps its row
//!    (`hidden = 1`, for the console) and leaves the search index and
//!    every public read.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use model::{Event, Occurrence, SourceId};
use normalize::dedup::{Blocking, StoredBlocking};
use normalize::identity;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use crate::blocks::BlockIndex;
use crate::blocks::Slot;
use crate::venues::VenueBook;
use crate::{FetchState, RunCounts, SourceInfo, SourceRun, SourceStatus};

/// What rebuilding an event follows besides its occurrences: the
/// aggregator's languages (which member's text comes first) and the
/// territories (which of them its venue lies in).
#[derive(Clone, Debug, Default)]
pub(crate) struct Rules {
    pub languages: Vec<String>,
    pub territories: std::sync::Arc<normalize::territory::Territories>,
}

/// How long a connection waits for a lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read connections kept open between calls.
const POOL_SIZE: usize = 8;

/// A failure inside the store, before it is given the database path.
#[derive(Debug)]
pub(crate) enum StoreFail {
    Sql(rusqlite::Error),
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreFail {
    fn from(e: rusqlite::Error) -> Self {
        StoreFail::Sql(e)
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreFail>;

/// The size of a new database's pages (see [`open_connection`]).
const PAGE_SIZE: i64 = 8192;

/// Open a connection with the pragmas every connection needs.
pub(crate) fn open_connection(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if read_only {
        conn.pragma_update(None, "query_only", true)?;
    } else {
        // A new database's pages are 8 KB, not SQLite's 4 KB: rows of
        // occurrences and events are 1-1.4 KB, so a page holds five or six
        // of them instead of two or three, with less left unused, and a
        // b-tree is often a level shallower (BENCHMARKS.md, session 19).
        // Only before the database has a page: an existing one keeps its
        // pages' size.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        // journal_mode answers with the new mode: read it as a query.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A run of 10,000 events writes ~40 MB through several indexes:
        // a 64 MB page cache (instead of 2 MB) keeps them in memory.
        // 128 MB was no faster at a million occurrences, nor was letting
        // the WAL grow to 1 GB between checkpoints (BENCHMARKS.md,
        // session 22).
        conn.pragma_update(None, "cache_size", -65536)?;
        // Temporary files on disk, not in memory: the writer keeps each
        // batch of a group in a savepoint (`Index::write_pending`), whose
        // sub-journal (the pages as they were before the batch) grows
        // with the batch; in memory, every statement's end walks it from
        // its start (SQLite's memory journal truncates by walking its
        // chunks): 8 s per batch at a million occurrences instead of
        // 0.3. In a file it is written once and truncated in one call.
        conn.pragma_update(None, "temp_store", "FILE")?;
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

/// A small pool of read connections, checked out per call.
pub(crate) struct ReadPool {
    path: PathBuf,
    conns: Mutex<Vec<Connection>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf) -> ReadPool {
        ReadPool {
            path,
            conns: Mutex::new(Vec::new()),
        }
    }

    /// Run `f` on a pooled connection (opening one when none is free).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self
            .conns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path, true)?,
        };
        let result = f(&conn);
        let mut conns = self
            .conns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if conns.len() < POOL_SIZE {
            conns.push(conn);
        }
        result
    }
}

/// What a write changed in the published events, for the search index.
#[derive(Debug, Default)]
pub(crate) struct ChangeSet {
    pub new: usize,
    pub updated: usize,
    /// Events inserted or updated, as now stored.
    pub upserted: Vec<Upserted>,
    /// Ids of events deleted.
    pub removed: Vec<String>,
}

/// An event inserted or updated, with the JSON its row holds: the search
/// document stores the same text, not a second serialization of the
/// event (two fifths of the writer's time on the search index at a
/// million occurrences).
#[derive(Debug)]
pub(crate) struct Upserted {
    pub event: Event,
    pub json: String,
    /// No row held the event before: the search index, which holds only
    /// what the store's rows publish, has no document of it to replace.
    pub new: bool,
}

impl ChangeSet {
    pub(crate) fn is_empty(&self) -> bool {
        self.upserted.is_empty() && self.removed.is_empty()
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn parse_ts(s: Option<String>) -> StoreResult<Option<DateTime<Utc>>> {
    match s {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| StoreFail::Corrupt(format!("bad time {s:?}: {e}"))),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreFail::Corrupt(format!("cannot serialize: {e}")))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> StoreResult<T> {
    serde_json::from_str(json).map_err(|e| StoreFail::Corrupt(format!("{what}: {e}")))
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The hash of an occurrence without its record's `updated_at`, so that a
/// source that stamps every answer with the current time does not make
/// every occurrence look changed.
fn occurrence_hash(occ: &Occurrence) -> StoreResult<String> {
    let mut bare = occ.clone();
    bare.event.updated_at = DateTime::<Utc>::UNIX_EPOCH;
    Ok(sha256_hex(to_json(&bare)?.as_bytes()))
}

/// An occurrence's JSON and its [`occurrence_hash`], serialized once: the
/// hash is that of the same JSON with the one `"updated_at":` member's
/// value read as the epoch (a key inside a string value is escaped, so the
/// member found is the field). Same bytes hashed as [`occurrence_hash`]'s.
fn occurrence_json_and_hash(occ: &Occurrence) -> StoreResult<(String, String)> {
    use sha2::Digest;
    let json = to_json(occ)?;
    let stamp = format!("\"updated_at\":{}", to_json(&occ.event.updated_at)?);
    let mut found = json.match_indices(&stamp).map(|(at, _)| at);
    let hash = match (found.next(), found.next()) {
        (Some(at), None) => {
            let epoch = format!("\"updated_at\":{}", to_json(&DateTime::<Utc>::UNIX_EPOCH)?);
            let mut hasher = sha2::Sha256::new();
            hasher.update(&json.as_bytes()[..at]);
            hasher.update(epoch.as_bytes());
            hasher.update(&json.as_bytes()[at + stamp.len()..]);
            hex::encode(hasher.finalize())
        }
        _ => occurrence_hash(occ)?,
    };
    Ok((json, hash))
}

/// Per unmapped category word, how many records of the run use it.
fn unmapped_counts(occurrences: &[Occurrence]) -> BTreeMap<String, usize> {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut counts = BTreeMap::new();
    for occ in occurrences {
        for word in &occ.unmapped_categories {
            if seen.insert((occ.record_uid.as_str(), word.as_str())) {
                *counts.entry(word.clone()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// The hash of an event's published content, without `sequence` and
/// `updated_at` (which the store manages).
pub(crate) fn content_hash(event: &Event) -> StoreResult<String> {
    let mut bare = event.clone();
    bare.sequence = 0;
    bare.updated_at = DateTime::<Utc>::UNIX_EPOCH;
    Ok(sha256_hex(to_json(&bare)?.as_bytes()))
}

// ---------------------------------------------------------------- meta

pub(crate) fn get_meta(conn: &Connection, key: &str) -> StoreResult<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn meta_u64(conn: &Connection, key: &str) -> StoreResult<Option<u64>> {
    match get_meta(conn, key)? {
        None => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .map(Some)
            .map_err(|_| StoreFail::Corrupt(format!("meta {key} is not a number: {v:?}"))),
    }
}

pub(crate) fn generation(conn: &Connection) -> StoreResult<u64> {
    Ok(meta_u64(conn, "generation")?.unwrap_or(0))
}

/// The generation the search index reflects, if it was ever recorded.
pub(crate) fn search_generation(conn: &Connection) -> StoreResult<Option<u64>> {
    meta_u64(conn, "search_generation")
}

pub(crate) fn set_search_generation(conn: &Connection, generation: u64) -> StoreResult<()> {
    set_meta(conn, "search_generation", &generation.to_string())
}

pub(crate) fn bump_generation(tx: &Transaction<'_>) -> StoreResult<u64> {
    let next = generation(tx)?.saturating_add(1);
    set_meta(tx, "generation", &next.to_string())?;
    Ok(next)
}

// ---------------------------------------------------------------- sources

/// Insert a placeholder row for a source the configuration did not sync
/// (so that its runs are not lost); `sync_sources` fixes or removes it.
fn ensure_source(tx: &Transaction<'_>, source: &SourceId) -> StoreResult<()> {
    tx.execute(
        "INSERT OR IGNORE INTO sources (id, ord, name, url)
         VALUES (?1, (SELECT COALESCE(MAX(ord), -1) + 1 FROM sources), ?1, '')",
        [source.as_str()],
    )?;
    Ok(())
}

/// Upsert the configured sources in order; delete the others with their
/// records, occurrences and events.
pub(crate) fn sync_sources(
    tx: &Transaction<'_>,
    sources: &[SourceInfo],
    at: DateTime<Utc>,
    rules: &Rules,
) -> StoreResult<ChangeSet> {
    let configured: HashSet<&str> = sources.iter().map(|s| s.id.as_str()).collect();
    let existing: Vec<String> = {
        let mut stmt = tx.prepare("SELECT id FROM sources")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut touched = BTreeSet::new();
    for id in existing
        .iter()
        .filter(|id| !configured.contains(id.as_str()))
    {
        touched.extend(source_event_ids(tx, id)?);
        delete_source_rows(tx, id)?;
    }
    for (ord, s) in sources.iter().enumerate() {
        // A new URL or kind makes the old validators meaningless.
        tx.execute(
            "INSERT INTO sources (id, ord, name, kind, url) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET
               ord = excluded.ord,
               name = excluded.name,
               etag = CASE WHEN sources.url IS excluded.url AND sources.kind IS excluded.kind
                           THEN sources.etag END,
               last_modified = CASE WHEN sources.url IS excluded.url AND sources.kind IS excluded.kind
                                    THEN sources.last_modified END,
               content_hash = CASE WHEN sources.url IS excluded.url AND sources.kind IS excluded.kind
                                   THEN sources.content_hash END,
               kind = excluded.kind,
               url = excluded.url",
            params![s.id.as_str(), to_i64(ord), s.name, s.kind, s.url],
        )?;
    }
    let changes = rebuild_events(tx, &touched, at, &HashMap::new(), rules)?;
    if !changes.is_empty() {
        bump_generation(tx)?;
    }
    Ok(changes)
}

fn source_event_ids(conn: &Connection, source: &str) -> StoreResult<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT event_id FROM occurrences WHERE source = ?1")?;
    let rows = stmt.query_map([source], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn delete_source_rows(tx: &Transaction<'_>, source: &str) -> StoreResult<()> {
    // The foreign keys cascade too; being explicit keeps this correct even
    // on a connection where they are off.
    tx.execute("DELETE FROM occurrences WHERE source = ?1", [source])?;
    tx.execute("DELETE FROM records WHERE source = ?1", [source])?;
    tx.execute("DELETE FROM fetch_log WHERE source = ?1", [source])?;
    tx.execute("DELETE FROM sources WHERE id = ?1", [source])?;
    Ok(())
}

pub(crate) fn fetch_state(conn: &Connection, source: &SourceId) -> StoreResult<FetchState> {
    Ok(conn
        .query_row(
            "SELECT etag, last_modified, content_hash FROM sources WHERE id = ?1",
            [source.as_str()],
            |r| {
                Ok(FetchState {
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                    content_hash: r.get(2)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

pub(crate) fn sources(conn: &Connection) -> StoreResult<Vec<SourceStatus>> {
    let mut stmt = conn.prepare(
        "SELECT s.id, s.name, COALESCE(s.kind, s.detected_kind), s.url, s.status,
                s.last_fetch_at, s.last_success_at, s.last_error, s.error_class,
                (SELECT COUNT(DISTINCT o.event_id) FROM occurrences o WHERE o.source = s.id),
                s.unmapped_categories,
                (SELECT f.warnings FROM fetch_log f WHERE f.source = s.id AND f.outcome = 'ok'
                 ORDER BY f.id DESC LIMIT 1)
         FROM sources s ORDER BY s.ord, s.id",
    )?;
    type Row = (
        String,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        String,
        Option<String>,
    );
    let rows = stmt.query_map([], |r| -> rusqlite::Result<Row> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, kind, url, status, fetch, success, error, class, events, unmapped, warnings) =
            row?;
        let unmapped_categories = from_json("sources.unmapped_categories", &unmapped)?;
        let mut warnings: Vec<String> = match warnings {
            Some(w) => from_json("fetch_log.warnings", &w)?,
            None => Vec::new(),
        };
        warnings.truncate(50);
        out.push(SourceStatus {
            id,
            name,
            kind,
            url,
            status,
            last_fetch_at: parse_ts(fetch)?,
            last_success_at: parse_ts(success)?,
            last_error: error,
            error_class: class,
            events: to_usize(events),
            next_run: None,
            unmapped_categories,
            warnings,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- runs

struct LogEntry<'a> {
    source: &'a str,
    at: DateTime<Utc>,
    outcome: &'a str,
    class: Option<&'a str>,
    message: Option<&'a str>,
    counts: RunCounts,
    duration_ms: u64,
    warnings: &'a [String],
}

fn append_log(tx: &Transaction<'_>, e: &LogEntry<'_>) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO fetch_log (source, at, outcome, class, message, found, new, updated,
                                removed, duration_ms, warnings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            e.source,
            ts(e.at),
            e.outcome,
            e.class,
            e.message,
            to_i64(e.counts.found),
            to_i64(e.counts.new),
            to_i64(e.counts.updated),
            to_i64(e.counts.removed),
            i64::try_from(e.duration_ms).unwrap_or(i64::MAX),
            to_json(&e.warnings)?,
        ],
    )?;
    Ok(())
}

fn occurrence_count(conn: &Connection, source: &str) -> StoreResult<usize> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM occurrences WHERE source = ?1",
        [source],
        |r| r.get(0),
    )?;
    Ok(to_usize(n))
}

/// Apply a successful run: records, occurrences, events, fetch state, log.
pub(crate) fn apply_success(
    tx: &Transaction<'_>,
    run: &SourceRun,
    rules: &Rules,
    blocks: &mut BlockIndex,
) -> StoreResult<(RunCounts, ChangeSet)> {
    let (counts, changes) = apply_batch(tx, &[run], rules, blocks)?;
    Ok((counts.into_iter().next().unwrap_or_default(), changes))
}

/// What writing one run's records and occurrences changed, before the
/// re-clustering.
struct Written<'r> {
    run: &'r SourceRun,
    latest: HashMap<&'r str, &'r Occurrence>,
    touched: BTreeSet<String>,
    new_ids: HashSet<String>,
    changed_ids: Vec<String>,
    /// The event each written occurrence holds (a new one: its own id,
    /// a placeholder).
    event_of: HashMap<String, String>,
    /// The new occurrences, written once the re-clustering has given
    /// each its event.
    inserts: Vec<NewOccurrence<'r>>,
    /// Events that lost a member or whose member changed.
    former: BTreeSet<String>,
    /// The occurrences the source no longer lists, deleted.
    removed: Vec<String>,
    /// Time spent on the records (the rest of [`write_run`] is on the
    /// occurrences).
    records: std::time::Duration,
    warnings: Vec<String>,
}

/// Apply successful runs of several sources in one transaction: each
/// run's records and occurrences, then one re-clustering of all they
/// changed and one rebuild of the events it touched, then each source's
/// counts, fetch state and log. The answer is as applying them one after
/// the other would give, at a fraction of the cost (one transaction, one
/// search commit, the group around shared shows clustered once).
pub(crate) fn apply_batch(
    tx: &Transaction<'_>,
    runs: &[&SourceRun],
    rules: &Rules,
    blocks: &mut BlockIndex,
) -> StoreResult<(Vec<RunCounts>, ChangeSet)> {
    let t0 = std::time::Instant::now();
    // A run's new occurrences are written after the batch's re-clustering
    // (see `Seeds::inserts`): a later run of the same source would not
    // see them. The writer's batches hold one run per source.
    let mut sources = HashSet::new();
    if let Some(run) = runs.iter().find(|r| !sources.insert(r.source.as_str())) {
        return Err(StoreFail::Corrupt(format!(
            "a batch holds two runs of source {}",
            run.source
        )));
    }
    let mut written = Vec::with_capacity(runs.len());
    for run in runs {
        written.push(write_run(tx, run)?);
    }
    let t_occ = t0.elapsed();
    let mut seeds = Seeds::default();
    let mut touched = BTreeSet::new();
    for w in &mut written {
        seeds
            .occurrences
            .extend(w.new_ids.iter().chain(w.changed_ids.iter()).cloned());
        seeds.events.extend(w.former.iter().cloned());
        seeds.new.extend(w.new_ids.iter().cloned());
        seeds.event_of.extend(std::mem::take(&mut w.event_of));
        seeds.inserts.append(&mut w.inserts);
        seeds.fresh.extend(w.latest.iter().map(|(k, v)| (*k, *v)));
        touched.extend(w.touched.iter().cloned());
    }
    // In the order of their ids: the id's and the event's indexes are
    // then written from one end to the other.
    seeds.inserts.sort_unstable_by(|a, b| a.id.cmp(b.id));
    let arena = typed_arena::Arena::new();
    let (assigned, mut known) = assign_events_in(tx, &seeds, Some(blocks), &arena)?;
    touched.extend(assigned);
    let t_assign = t0.elapsed();
    let at = runs.iter().map(|r| r.at).max().unwrap_or_else(Utc::now);
    // What the re-clustering decoded is not decoded again.
    known.extend(seeds.fresh.iter().map(|(k, v)| (*k, *v)));
    let changes = rebuild_events(tx, &touched, at, &known, rules)?;
    tracing::debug!(
        runs = runs.len(),
        records_and_occurrences_ms = t_occ.as_millis() as u64,
        records_ms = written
            .iter()
            .map(|w| w.records)
            .sum::<std::time::Duration>()
            .as_millis() as u64,
        assign_ms = (t_assign - t_occ).as_millis() as u64,
        rebuild_ms = (t0.elapsed() - t_assign).as_millis() as u64,
        "apply_success phases"
    );
    let updated_events: HashSet<&str> = changes
        .upserted
        .iter()
        .map(|u| u.event.id.as_str())
        .collect();
    let mut counts = Vec::with_capacity(written.len());
    for w in &written {
        counts.push(finish_run(tx, w, &updated_events)?);
    }
    if !changes.is_empty() {
        bump_generation(tx)?;
    }
    Ok((counts, changes))
}

/// An occurrence's row, inserted, or updated in place when its id is
/// stored.
const UPSERT_OCCURRENCE: &str =
    "INSERT INTO occurrences (id, source, record_uid, key, event_id, start_utc, end_utc, json, hash)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT(id) DO UPDATE SET
       record_uid = excluded.record_uid, key = excluded.key,
       event_id = excluded.event_id, start_utc = excluded.start_utc,
       end_utc = excluded.end_utc, json = excluded.json, hash = excluded.hash";

/// A run's new occurrence, serialized, waiting for the event the
/// re-clustering gives it (see [`Seeds::inserts`]).
pub(crate) struct NewOccurrence<'a> {
    pub id: &'a str,
    pub occ: &'a Occurrence,
    pub json: String,
    pub hash: String,
}

/// Write one run's records and its stored occurrences' changes; its new
/// occurrences are written by the re-clustering (see [`Seeds::inserts`]).
fn write_run<'r>(tx: &Transaction<'_>, run: &'r SourceRun) -> StoreResult<Written<'r>> {
    let started = std::time::Instant::now();
    let source = run.source.as_str();
    let at = ts(run.at);
    ensure_source(tx, &run.source)?;

    // Records: write the new and changed ones, touch the rest, drop what
    // is no longer listed.
    let stored: HashMap<String, String> = {
        let mut stmt = tx.prepare("SELECT record_key, hash FROM records WHERE source = ?1")?;
        let rows = stmt.query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    tx.execute(
        "UPDATE records SET last_seen = ?2 WHERE source = ?1",
        params![source, at],
    )?;
    let mut keys = HashSet::new();
    {
        let mut upsert = tx.prepare(
            "INSERT INTO records (source, record_key, uid, raw, hash, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT(source, record_key) DO UPDATE SET
               uid = excluded.uid, raw = excluded.raw, hash = excluded.hash,
               last_seen = excluded.last_seen",
        )?;
        // Serialized and hashed on the writer's threads (a first pass
        // writes every record and occurrence: the writer's one busy thread
        // would otherwise spend a tenth of its time here).
        let raws = normalize::parallel::map(
            run.records.iter().collect(),
            normalize::parallel::threads(),
            SERIALIZED_PER_THREAD,
            |record| -> StoreResult<(String, String)> {
                let raw = to_json(record)?;
                let hash = sha256_hex(raw.as_bytes());
                Ok((raw, hash))
            },
        );
        for (record, serialized) in run.records.iter().zip(raws) {
            let (raw, hash) = serialized?;
            let key = record.record_key();
            if stored.get(&key) != Some(&hash) {
                upsert.execute(params![source, key, record.uid, raw, hash, at])?;
            }
            keys.insert(key);
        }
    }
    {
        let mut delete = tx.prepare("DELETE FROM records WHERE source = ?1 AND record_key = ?2")?;
        for key in stored.keys().filter(|k| !keys.contains(k.as_str())) {
            delete.execute(params![source, key])?;
        }
    }

    let records = started.elapsed();

    // Occurrences: the last one of a duplicated id wins.
    let mut warnings = run.warnings.clone();
    let mut latest: HashMap<&str, &Occurrence> = HashMap::new();
    for occ in &run.occurrences {
        if occ.source != run.source {
            warnings.push(format!(
                "occurrence {} names source {} in a run of {}: skipped",
                occ.event.id, occ.source, run.source
            ));
            continue;
        }
        latest.insert(occ.event.id.as_str(), occ);
    }
    /// What the store held of an occurrence before this run.
    struct Held {
        hash: String,
        event_id: String,
    }
    let existing: HashMap<String, Held> = {
        let mut stmt =
            tx.prepare("SELECT id, hash, event_id FROM occurrences WHERE source = ?1")?;
        let rows = stmt.query_map([source], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Held {
                    hash: r.get(1)?,
                    event_id: r.get(2)?,
                },
            ))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    // Events whose members changed, the blockings of what was written,
    // and what happened to this source's occurrences.
    let mut touched = BTreeSet::new();
    let mut new_ids: HashSet<String> = HashSet::new();
    let mut changed_ids: Vec<String> = Vec::new();
    let mut event_of: HashMap<String, String> = HashMap::new();
    let mut inserts: Vec<NewOccurrence<'r>> = Vec::new();
    let mut former: BTreeSet<String> = BTreeSet::new();
    {
        let mut upsert = tx.prepare(UPSERT_OCCURRENCE)?;
        let mut entries: Vec<(&str, &Occurrence)> = latest.iter().map(|(k, v)| (*k, *v)).collect();
        entries.sort_unstable_by_key(|(id, _)| *id);
        let serialized = normalize::parallel::map(
            entries.clone(),
            normalize::parallel::threads(),
            SERIALIZED_PER_THREAD,
            |(_, occ)| occurrence_json_and_hash(occ),
        );
        for ((id, occ), serialized) in entries.into_iter().zip(serialized) {
            let (json, hash) = serialized?;
            match existing.get(id) {
                Some(held) if held.hash == hash => {}
                // A changed occurrence is written in place, in the event
                // it holds; the clustering moves it if it must.
                Some(held) => {
                    changed_ids.push(id.to_string());
                    former.insert(held.event_id.clone());
                    upsert.execute(params![
                        id,
                        source,
                        occ.record_uid,
                        occ.key,
                        held.event_id,
                        occ.event.start.timestamp(),
                        occ.event.end.map(|e| e.timestamp()),
                        json,
                        hash
                    ])?;
                    event_of.insert(id.to_string(), held.event_id.clone());
                    touched.insert(held.event_id.clone());
                }
                // A new one is clustered holding its own id (a
                // placeholder), then written once, in the event it was
                // given (`assign_events_in`): not written, then moved.
                None => {
                    new_ids.insert(id.to_string());
                    event_of.insert(id.to_string(), id.to_string());
                    inserts.push(NewOccurrence {
                        id,
                        occ,
                        json,
                        hash,
                    });
                }
            }
        }
    }
    let mut removed = Vec::new();
    {
        let mut delete = tx.prepare("DELETE FROM occurrences WHERE id = ?1")?;
        for (id, held) in existing
            .iter()
            .filter(|(id, _)| !latest.contains_key(id.as_str()))
        {
            delete.execute([id])?;
            touched.insert(held.event_id.clone());
            former.insert(held.event_id.clone());
            removed.push(id.clone());
        }
    }

    Ok(Written {
        run,
        latest,
        touched,
        new_ids,
        changed_ids,
        event_of,
        inserts,
        former,
        removed,
        records,
        warnings,
    })
}

/// A written run's counts, fetch state and log entry.
fn finish_run(
    tx: &Transaction<'_>,
    w: &Written<'_>,
    updated_events: &HashSet<&str>,
) -> StoreResult<RunCounts> {
    let run = w.run;
    let source = run.source.as_str();
    // Counts are over this source's occurrences: an occurrence is updated
    // when it changed and so did the event it belongs to.
    let mut updated = 0usize;
    {
        let mut event_of = tx.prepare_cached("SELECT event_id FROM occurrences WHERE id = ?1")?;
        for id in &w.changed_ids {
            let event_id: Option<String> = event_of.query_row([id], |r| r.get(0)).optional()?;
            if event_id.is_some_and(|e| updated_events.contains(e.as_str())) {
                updated += 1;
            }
        }
    }
    let counts = RunCounts {
        found: occurrence_count(tx, source)?,
        new: w.new_ids.len(),
        updated,
        removed: w.removed.len(),
    };
    let unmapped = to_json(&unmapped_counts(&run.occurrences))?;
    tx.execute(
        "UPDATE sources SET etag = ?2, last_modified = ?3, content_hash = ?4, status = 'ok',
                last_fetch_at = ?5, last_success_at = ?5, last_error = NULL, error_class = NULL,
                detected_kind = COALESCE(?6, detected_kind), unmapped_categories = ?7
         WHERE id = ?1",
        params![
            source,
            run.fetch.etag,
            run.fetch.last_modified,
            run.fetch.content_hash,
            ts(run.at),
            run.kind,
            unmapped
        ],
    )?;
    append_log(
        tx,
        &LogEntry {
            source,
            at: run.at,
            outcome: "ok",
            class: None,
            message: None,
            counts,
            duration_ms: run.duration_ms,
            warnings: &w.warnings,
        },
    )?;
    Ok(counts)
}

/// The source answered 304 or an identical body.
pub(crate) fn apply_unchanged(
    tx: &Transaction<'_>,
    source: &SourceId,
    at: DateTime<Utc>,
    duration_ms: u64,
) -> StoreResult<RunCounts> {
    ensure_source(tx, source)?;
    tx.execute(
        "UPDATE sources SET status = 'ok', last_fetch_at = ?2, last_success_at = ?2,
                last_error = NULL, error_class = NULL
         WHERE id = ?1",
        params![source.as_str(), ts(at)],
    )?;
    let counts = RunCounts {
        found: occurrence_count(tx, source.as_str())?,
        ..RunCounts::default()
    };
    append_log(
        tx,
        &LogEntry {
            source: source.as_str(),
            at,
            outcome: "unchanged",
            class: None,
            message: None,
            counts,
            duration_ms,
            warnings: &[],
        },
    )?;
    Ok(counts)
}

/// The run failed: remember why, keep every record and event.
pub(crate) fn apply_failure(
    tx: &Transaction<'_>,
    source: &SourceId,
    at: DateTime<Utc>,
    duration_ms: u64,
    class: &str,
    message: &str,
) -> StoreResult<()> {
    ensure_source(tx, source)?;
    tx.execute(
        "UPDATE sources SET status = 'error', last_fetch_at = ?2, last_error = ?3,
                error_class = ?4
         WHERE id = ?1",
        params![source.as_str(), ts(at), message, class],
    )?;
    append_log(
        tx,
        &LogEntry {
            source: source.as_str(),
            at,
            outcome: "error",
            class: Some(class),
            message: Some(message),
            counts: RunCounts::default(),
            duration_ms,
            warnings: &[],
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------- events

/// The public event of a group of occurrences that belong together.
fn build_event(event_id: &str, members: &[&Occurrence], languages: &[String]) -> Option<Event> {
    let mut event = normalize::merge::merge(members, languages)?;
    event.id = event_id.to_string();
    Some(event)
}

/// An occurrence read for re-clustering.
pub(crate) struct Member<'a> {
    pub(crate) occ: &'a Occurrence,
    pub(crate) event_id: String,
    pub(crate) start: i64,
}

/// What [`normalize::identity::assign`] asks of the store, answered in the
/// write transaction. The assignment's updates are written after it
/// decided; they only move occurrences it was given, so who holds an id
/// outside them does not change meanwhile.
struct Ledger<'c, 'm> {
    first_seen: rusqlite::Statement<'c>,
    /// How many stored occurrences hold an event id: counted in the index
    /// by event, the rows not read.
    holders: rusqlite::Statement<'c>,
    pinned: rusqlite::Statement<'c>,
    /// Per event id, how many of the occurrences given to the assignment
    /// hold it in the table (a run's new occurrences are not there yet).
    loaded: HashMap<&'m str, usize>,
}

impl normalize::identity::Ledger for Ledger<'_, '_> {
    type Error = StoreFail;

    fn first_seen(&mut self, event_id: &str) -> StoreResult<Option<DateTime<Utc>>> {
        let at: Option<String> = self
            .first_seen
            .query_row([event_id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten();
        parse_ts(at)
    }

    fn held_outside(&mut self, event_id: &str) -> StoreResult<bool> {
        let stored: i64 = self.holders.query_row([event_id], |r| r.get(0))?;
        let given = self.loaded.get(event_id).copied().unwrap_or(0);
        Ok(to_usize(stored) > given)
    }

    fn pinned(&mut self, event_id: &str) -> StoreResult<bool> {
        Ok(self.pinned.query_row([event_id], |r| r.get::<_, bool>(0))?)
    }
}

impl From<normalize::identity::NoFreeId> for StoreFail {
    fn from(e: normalize::identity::NoFreeId) -> Self {
        StoreFail::Corrupt(e.to_string())
    }
}

/// Writes blockings, keyed by their occurrence's rowid.
///
/// The rowid is read first and the row inserted from values: an `INSERT
/// ... SELECT` or an `INSERT OR REPLACE` into a table with an index needs
/// a statement journal, which inside the writer's savepoint per batch
/// copies every page the statement changes (see migration 10).
pub(crate) struct BlockWriter<'t> {
    row: rusqlite::Statement<'t>,
    insert: rusqlite::Statement<'t>,
}

impl<'t> BlockWriter<'t> {
    pub(crate) fn new(tx: &'t Transaction<'_>) -> StoreResult<BlockWriter<'t>> {
        Ok(BlockWriter {
            row: tx.prepare("SELECT rowid FROM occurrences WHERE id = ?1")?,
            insert: tx.prepare(
                "INSERT INTO dedup_blocks (occurrence_row, start_utc, occurrence, block)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (occurrence_row) DO UPDATE SET
                   start_utc = excluded.start_utc, occurrence = excluded.occurrence,
                   block = excluded.block",
            )?,
        })
    }

    /// Write the blocking of an occurrence just written, in place of the
    /// one it had (a changed occurrence's is stale: every occurrence a run
    /// wrote is clustered and gets its blocking again, which is why no
    /// trigger drops it, see migration 10). An occurrence not in the table
    /// has none. `known`: the rowid its insert got, when the writer has it
    /// (else it is read). Returns the occurrence's rowid.
    pub(crate) fn write(
        &mut self,
        id: &str,
        known: Option<i64>,
        block: &Blocking,
    ) -> StoreResult<Option<i64>> {
        let row: Option<i64> = match known {
            Some(row) => Some(row),
            None => self.row.query_row([id], |r| r.get(0)).optional()?,
        };
        if let Some(row) = row {
            self.write_at(row, id, block)?;
        }
        Ok(row)
    }

    /// Write the blocking of occurrence `id`, whose rowid is `row`.
    pub(crate) fn write_at(&mut self, row: i64, id: &str, block: &Blocking) -> StoreResult<()> {
        self.insert
            .execute(params![row, block.start, id, block.encode()])?;
        Ok(())
    }
}

/// Compute every occurrence's blocking again when the store's were
/// computed by another version of the rule (or before migrations 7 and
/// 9, which forget the version).
/// Returns how many were written.
pub(crate) fn fill_blocks(tx: &Transaction<'_>) -> StoreResult<usize> {
    let version = normalize::dedup::BLOCKING_VERSION.to_string();
    if get_meta(tx, "dedup_blocks_version")?.as_deref() == Some(version.as_str()) {
        return Ok(0);
    }
    tx.execute("DELETE FROM dedup_blocks", [])?;
    let mut insert = BlockWriter::new(tx)?;
    let mut read = tx.prepare("SELECT rowid, id, json FROM occurrences")?;
    let mut rows = read.query([])?;
    let mut n = 0usize;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let id: String = row.get(1)?;
        let json: String = row.get(2)?;
        let occ: Occurrence = from_json("occurrence", &json)?;
        insert.write_at(rowid, &id, &Blocking::of(&occ))?;
        n += 1;
    }
    set_meta(tx, "dedup_blocks_version", &version)?;
    Ok(n)
}

/// What changed, for [`assign_events`] to re-cluster.
#[derive(Default)]
pub(crate) struct Seeds<'a> {
    /// Occurrences written or to be judged again.
    pub occurrences: Vec<String>,
    /// Events to re-cluster whole (they lost or may lose a member).
    pub events: BTreeSet<String>,
    /// Occurrences holding a placeholder event id (their own id), which is
    /// no vote: a run's new ones (not in the table yet, see `inserts`) or,
    /// in a curation, those leaving their event (in the table).
    pub new: HashSet<String>,
    /// The event each occurrence this run wrote holds (its blocking is
    /// written after the re-clustering).
    pub event_of: HashMap<String, String>,
    /// The occurrences new to this run, in `fresh`, `new` and `event_of`
    /// (holding their own id) but not yet in the table: each is written
    /// once the assignment has given it its event, so that a new
    /// occurrence that joins another event (a cross-listing, a series'
    /// next date) is not written, then moved, and its placeholder is no
    /// event to rebuild.
    pub inserts: Vec<NewOccurrence<'a>>,
    /// This run's occurrences, in memory (not decoded again).
    pub fresh: HashMap<&'a str, &'a Occurrence>,
}

/// The members whose candidates are looked for in one round, indexed by
/// (blocking key, date) for each of the dates a candidate may be on: the
/// stored blockings of the round's windows are read one by one and each is
/// looked up here, so that nothing is kept of the many that pair with no
/// member.
struct Due<'m> {
    members: Vec<DueMember<'m>>,
    /// (key, a date the member may pair on) → members.
    by_key: HashMap<(u32, chrono::NaiveDate), Vec<usize>>,
}

struct DueMember<'m> {
    /// The member's number in [`Loaded`].
    at: usize,
    block: Blocking,
    /// The member's venue, with the hash its blocking holds.
    venue: Option<(u64, &'m model::Venue)>,
}

impl<'m> Due<'m> {
    fn new(members: Vec<DueMember<'m>>) -> Due<'m> {
        let mut by_key: HashMap<(u32, chrono::NaiveDate), Vec<usize>> = HashMap::new();
        for (m, member) in members.iter().enumerate() {
            let date = member.block.date;
            for day in [date.pred_opt(), Some(date), date.succ_opt()]
                .into_iter()
                .flatten()
            {
                for &k in &member.block.keys {
                    by_key.entry((k, day)).or_default().push(m);
                }
            }
        }
        Due { members, by_key }
    }

    /// The members a stored blocking may pair with (see
    /// [`Blocking::may_pair`]): of another source, sharing a key on its
    /// date or the next or previous one, whose times agree. A member may
    /// come more than once.
    fn pairing<'s>(
        &'s self,
        row: &'s StoredBlocking<'_>,
    ) -> impl Iterator<Item = &'s DueMember<'m>> + 's {
        row.keys()
            .filter_map(|k| self.by_key.get(&(k, row.date)))
            .flatten()
            .filter_map(|&m| self.members.get(m))
            .filter(|m| {
                normalize::dedup::times_agree(row.date, row.start, row.all_day, &m.block)
                    && m.block.source != row.source
            })
    }
}

/// Read the stored blockings starting within `windows` and return the
/// occurrences, not loaded yet, that may pair with a member of `due` (the
/// venue pre-filter of [`VenueBook::may_pair`] applied, see
/// [`consider`]), with how many rows were read and how many candidates the
/// venue rule refused.
fn scan_candidates(
    stmt: &mut rusqlite::Statement<'_>,
    windows: &[(i64, i64)],
    due: &Due<'_>,
    loaded: &mut Loaded<'_, '_>,
) -> StoreResult<(BTreeSet<String>, usize, usize)> {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let (mut rows_read, mut venue_skips) = (0usize, 0usize);
    for &(lo, hi) in windows {
        let mut rows = stmt.query(params![lo, hi])?;
        while let Some(row) = rows.next()? {
            rows_read += 1;
            let (id, block) = block_row(row)?;
            if loaded.at.contains_key(id) || wanted.contains(id) {
                continue;
            }
            consider(
                id,
                block.venue,
                due.pairing(&block),
                loaded,
                &mut wanted,
                &mut venue_skips,
            )?;
        }
    }
    Ok((wanted, rows_read, venue_skips))
}

/// A row `(occurrence, block)` of `dedup_blocks`, read in place.
pub(crate) fn block_row<'r>(
    row: &'r rusqlite::Row<'_>,
) -> StoreResult<(&'r str, StoredBlocking<'r>)> {
    let (id, bytes) = (row.get_ref(0)?, row.get_ref(1)?);
    let (Ok(id), Ok(bytes)) = (id.as_str(), bytes.as_blob()) else {
        return Err(StoreFail::Corrupt(
            "dedup_blocks: a row is not an occurrence id and its blocking".to_string(),
        ));
    };
    let Some(block) = StoredBlocking::decode(bytes) else {
        return Err(StoreFail::Corrupt(format!(
            "dedup_blocks: unreadable blocking of occurrence {id}"
        )));
    };
    Ok((id, block))
}

/// [`scan_candidates`] through the [`BlockIndex`]: only the stored
/// blockings that share a key with one of `members` on a date it may pair
/// on are looked at, each once per member whichever keys it shares (a
/// show at another hall at the same hour often shares several: a title
/// word, `#concert`, `#musique`).
///
/// A member held at a venue the writer's [`VenueBook`] knows looks only
/// at the blockings held at the venues that may pair with its own, at
/// venues not known yet, and without a venue (the others the venue rule
/// would refuse one by one); the rest look at every blocking sharing a
/// key.
fn indexed_candidates(
    index: &BlockIndex,
    members: &[DueMember<'_>],
    loaded: &mut Loaded<'_, '_>,
) -> StoreResult<Found> {
    let mut look = Look {
        index,
        wanted: BTreeSet::new(),
        alone: BTreeSet::new(),
        rows_read: 0,
        venue_skips: 0,
        title_skips: 0,
        seen: vec![0; index.slot_count()],
        stamp: 0,
    };
    let mut lazy = Vec::new();
    // The venues of stored blockings the book does not know (any member
    // may pair with those), again when the book starts afresh.
    let unknown = |book: &VenueBook| -> (u64, Vec<u64>) {
        let venues = index.venues().filter(|&v| !book.knows(v)).collect();
        (book.epoch(), venues)
    };
    let (mut epoch, mut unknown_venues) = unknown(&loaded.book);
    for member in members {
        look.next_member();
        if member.block.venue.is_none() {
            // A member without a venue: what it alone wants is loaded by
            // `Loaded::load_until_settled`, a few at a time.
            look.by_keys(member, loaded)?;
            lazy.push((member.at, std::mem::take(&mut look.alone)));
            continue;
        }
        if loaded.book.epoch() != epoch {
            (epoch, unknown_venues) = unknown(&loaded.book);
        }
        let compatible = member
            .venue
            .and_then(|(hash, venue)| loaded.book.compatible(hash, venue));
        let Some(venues) = compatible else {
            look.by_keys(member, loaded)?;
            continue;
        };
        let source = index.source_id(&member.block.source);
        let date = member.block.date;
        let days = [date.pred_opt(), Some(date), date.succ_opt()];
        for day in days.into_iter().flatten() {
            for &venue in venues.iter().chain(&unknown_venues) {
                for (s, slot) in index.at_venue(venue, day, &member.block) {
                    if normalize::dedup::share_key(index.keys(slot), &member.block.keys) {
                        look.at(s, slot, source, member, loaded)?;
                    }
                }
            }
            for &key in &member.block.keys {
                for (s, slot) in index.near_without_venue(key, day, &member.block) {
                    look.at(s, slot, source, member, loaded)?;
                }
            }
        }
    }
    // What another member wants is loaded with it, at once.
    let lazy = lazy
        .into_iter()
        .map(|(at, alone)| {
            let ids: Vec<String> = alone
                .into_iter()
                .filter(|id| !look.wanted.contains(id))
                .collect();
            (at, ids)
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect();
    Ok(Found {
        wanted: look.wanted,
        lazy,
        rows_read: look.rows_read,
        venue_skips: look.venue_skips,
        title_skips: look.title_skips,
    })
}

/// The stored candidates a round found: those to load at once, and per
/// member without a venue those only it wants (loaded a few at a time,
/// until it is settled: see [`Loaded::load_until_settled`]).
#[derive(Default)]
struct Found {
    wanted: BTreeSet<String>,
    lazy: Vec<(usize, Vec<String>)>,
    rows_read: usize,
    venue_skips: usize,
    title_skips: usize,
}

/// The stored blockings [`indexed_candidates`] looks at, and what it found.
struct Look<'i> {
    index: &'i BlockIndex,
    wanted: BTreeSet<String>,
    /// The candidates of the member without a venue being looked at.
    alone: BTreeSet<String>,
    rows_read: usize,
    venue_skips: usize,
    /// Listings without a venue whose titles cannot agree with the
    /// member's, not read.
    title_skips: usize,
    /// seen[slot] == stamp: the slot was looked at for the member whose
    /// stamp that is.
    seen: Vec<u32>,
    stamp: u32,
}

impl Look<'_> {
    fn next_member(&mut self) {
        self.stamp = match self.stamp.checked_add(1) {
            Some(s) => s,
            None => {
                self.seen.fill(0);
                1
            }
        };
    }

    /// Look at every blocking sharing a key with `member` on its dates
    /// (for a member without a venue, or at a venue the book cannot
    /// narrow to the venues that may pair with it).
    fn by_keys(&mut self, member: &DueMember<'_>, loaded: &mut Loaded<'_, '_>) -> StoreResult<()> {
        let index = self.index;
        let source = index.source_id(&member.block.source);
        let date = member.block.date;
        for day in [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
        {
            for &key in &member.block.keys {
                for (s, slot) in index.near(key, day, &member.block) {
                    self.at(s, slot, source, member, loaded)?;
                }
            }
        }
        Ok(())
    }

    /// Look at `slot` (number `s`) for `member` (whose source is `source`
    /// in the index), once.
    fn at(
        &mut self,
        s: u32,
        slot: &Slot,
        source: Option<u32>,
        member: &DueMember<'_>,
        loaded: &mut Loaded<'_, '_>,
    ) -> StoreResult<()> {
        match self.seen.get_mut(s as usize) {
            Some(at) if *at == self.stamp => return Ok(()),
            Some(at) => *at = self.stamp,
            None => {}
        }
        self.rows_read += 1;
        // The cheap checks first: most slots of a dense day are shows at
        // other halls, refused on their venue's hash.
        let pairs = Some(slot.source) != source
            && normalize::dedup::times_agree(slot.date, slot.start, slot.all_day, &member.block);
        if !pairs {
            return Ok(());
        }
        if !loaded.book.may_pair(member.venue, slot.venue()) {
            self.venue_skips += 1;
            return Ok(());
        }
        // Two listings one of which has no venue pair only on their
        // titles: a stored one whose title cannot agree with the member's
        // is not read. (One held at a venue the book has not met is: the
        // book learns that venue from it.)
        let place = match slot.venue() {
            None => Some(None),
            Some(hash) => loaded.book.place(hash).map(Some),
        };
        if place.is_some_and(|place| {
            !loaded
                .grouping
                .may_agree_on_title(member.at, place, self.index.title(s))
        }) {
            self.title_skips += 1;
            return Ok(());
        }
        let id: &str = self.index.id(slot);
        if loaded.at.contains_key(id) || self.wanted.contains(id) {
            return Ok(());
        }
        if let Some(row) = slot.row() {
            loaded.rows.entry(id.to_string()).or_insert(row);
        }
        let wanted = if member.block.venue.is_none() {
            &mut self.alone
        } else {
            &mut self.wanted
        };
        consider(
            id,
            slot.venue(),
            std::iter::once(member),
            loaded,
            wanted,
            &mut self.venue_skips,
        )
    }
}

/// One stored candidate `id` (held at the venue of hash `venue`) against
/// the members it may pair with: wanted when one of them passes the venue
/// pre-filter, else counted in `venue_skips`. The first candidate held at
/// a venue the writer's [`VenueBook`] does not know yet is loaded at once,
/// so that the book knows that venue for the candidates that follow, in
/// this batch and the next ones (in a dense region most candidates sharing
/// a concept and a time are at other halls: one read per hall, not one
/// per show).
fn consider<'s, 'm: 's>(
    id: &str,
    venue: Option<u64>,
    pairing: impl Iterator<Item = &'s DueMember<'m>>,
    loaded: &mut Loaded<'_, '_>,
    wanted: &mut BTreeSet<String>,
    venue_skips: &mut usize,
) -> StoreResult<()> {
    let mut refused = 0usize;
    for member in pairing {
        if !loaded.book.may_pair(member.venue, venue) {
            refused += 1;
            continue;
        }
        match venue {
            Some(hash) if !loaded.book.knows(hash) => {
                loaded.load(id)?;
            }
            _ => {
                wanted.insert(id.to_string());
            }
        }
        return Ok(());
    }
    *venue_skips += refused;
    Ok(())
}

/// Merge overlapping `[t - radius, t + radius)` intervals.
fn windows(starts: impl Iterator<Item = i64>, radius: i64) -> Vec<(i64, i64)> {
    let mut sorted: Vec<i64> = starts.collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for t in sorted {
        let (lo, hi) = (t.saturating_sub(radius), t.saturating_add(radius));
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The occurrences loaded for one re-clustering, and their grouping.
struct Loaded<'c, 'a> {
    arena: &'a typed_arena::Arena<Occurrence>,
    fresh: &'a HashMap<&'a str, &'a Occurrence>,
    members: Vec<Member<'a>>,
    grouping: normalize::dedup::Grouping<'a>,
    at: HashMap<String, usize>,
    /// Whether each member is part of the group being re-clustered (else
    /// only a candidate, read to see whether it joins).
    core: Vec<bool>,
    /// Members whose candidates were looked for.
    expanded: Vec<bool>,
    /// The venues met (every member's is taken in) and the pairs of them
    /// decided: the writer's, lent for this re-clustering.
    book: VenueBook,
    by_id: rusqlite::Statement<'c>,
    /// An occurrence by the rowid its blocking gave ([`Loaded::rows`]).
    by_row: rusqlite::Statement<'c>,
    by_event: rusqlite::Statement<'c>,
    /// The rowids the writer's block index gave for candidates wanted
    /// (a hint: the row read must have the id).
    rows: HashMap<String, i64>,
    /// Threads decoding and computing features may use.
    threads: usize,
}

/// Stored occurrences decoded on one thread at least (see
/// [`normalize::parallel::map`]): decoding one takes about ten
/// microseconds.
const DECODED_PER_THREAD: usize = 64;

/// Records and occurrences serialized on one thread at least (see
/// [`normalize::parallel::map`]): one takes a few microseconds.
const SERIALIZED_PER_THREAD: usize = 256;

/// A member without a venue reads this many of its own candidates first,
/// then twice as many each time (see [`Loaded::load_until_settled`]).
const LAZY_FIRST_READ: usize = 8;

impl<'a> Loaded<'_, 'a> {
    fn push(&mut self, occ: &'a Occurrence, event_id: String, start: i64) -> usize {
        self.grouping.add(occ);
        self.taken_in(occ, event_id, start)
    }

    /// Take in occurrences (each with its event and start), in order, as
    /// [`Loaded::push`] one after the other would, their features computed
    /// on the writer's threads. The caller gives each once, none loaded.
    fn push_all(&mut self, items: Vec<(&'a Occurrence, String, i64)>) {
        let occs: Vec<&'a Occurrence> = items.iter().map(|(o, _, _)| *o).collect();
        self.grouping.add_all(&occs, self.threads);
        for (occ, event_id, start) in items {
            self.taken_in(occ, event_id, start);
        }
    }

    /// The member's bookkeeping, once the grouping has it.
    fn taken_in(&mut self, occ: &'a Occurrence, event_id: String, start: i64) -> usize {
        let i = self.members.len();
        self.at.insert(occ.event.id.clone(), i);
        self.members.push(Member {
            occ,
            event_id,
            start,
        });
        self.core.push(false);
        self.expanded.push(false);
        if let Some(v) = &occ.event.venue {
            self.book.learn(normalize::dedup::venue_hash(v), v);
        }
        i
    }

    /// Occurrence `id`'s JSON, event and start, read at the rowid its
    /// blocking gave, when it is still there (None: read it by id).
    fn read_by_row(&mut self, id: &str) -> StoreResult<Option<(String, String, i64)>> {
        let Some(row) = self.rows.get(id).copied() else {
            return Ok(None);
        };
        let read: Option<(String, String, String, i64)> = self
            .by_row
            .query_row([row], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        Ok(read
            .filter(|(at, _, _, _)| at == id)
            .map(|(_, json, event_id, start)| (json, event_id, start)))
    }

    /// Load the stored occurrences `ids` not loaded yet, in order (an id
    /// not stored is passed over): read one by one, decoded (the run's own
    /// are in memory) and their features computed on the writer's threads.
    fn load_all<'i>(&mut self, ids: impl IntoIterator<Item = &'i str>) -> StoreResult<()> {
        let mut rows: Vec<(String, String, String, i64)> = Vec::new();
        let mut asked: HashSet<&str> = HashSet::new();
        for id in ids {
            if self.at.contains_key(id) || !asked.insert(id) {
                continue;
            }
            let row = match self.read_by_row(id)? {
                Some(row) => Some(row),
                None => self
                    .by_id
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?,
            };
            if let Some((json, event_id, start)) = row {
                rows.push((id.to_string(), json, event_id, start));
            }
        }
        let fresh = self.fresh;
        let jobs: Vec<(&str, &str)> = rows
            .iter()
            .map(|(id, json, _, _)| (id.as_str(), json.as_str()))
            .collect();
        let decoded = normalize::parallel::map(
            jobs,
            self.threads,
            DECODED_PER_THREAD,
            |(id, json)| -> StoreResult<Option<Occurrence>> {
                if fresh.contains_key(id) {
                    return Ok(None);
                }
                from_json("occurrence", json).map(Some)
            },
        );
        let mut items = Vec::with_capacity(rows.len());
        for ((id, _, event_id, start), occ) in rows.into_iter().zip(decoded) {
            let occ: &'a Occurrence = match occ? {
                Some(o) => self.arena.alloc(o),
                None => match self.fresh.get(id.as_str()) {
                    Some(o) => o,
                    None => continue,
                },
            };
            items.push((occ, event_id, start));
        }
        self.push_all(items);
        Ok(())
    }

    /// Load the candidates of members without a venue that no other
    /// member wants (`lazy`: each member with its own), a few per member
    /// at a time, all members' few at once (8 each, then 16, 32...), each
    /// time pairing them with the group, until each member is settled
    /// ([`normalize::dedup::Grouping::settled`]: ambiguous, so every pair
    /// it has is dropped and it makes no other listing ambiguous) or has
    /// none left: the rest could change nothing. Returns the pairs
    /// accepted and how many candidates were left unread.
    ///
    /// A candidate left unread pairs with no other member of the group
    /// that looked for its candidates: that member would have wanted it.
    /// A story hour listed without a venue pairs with that title at that
    /// hour at every library of the region; two of them settle it.
    fn load_until_settled(
        &mut self,
        lazy: &[(usize, Vec<String>)],
    ) -> StoreResult<(Vec<(usize, usize)>, usize)> {
        let mut pairs = Vec::new();
        let mut unread = 0;
        let mut left: Vec<(usize, &[String])> = lazy
            .iter()
            .map(|(member, ids)| (*member, ids.as_slice()))
            .collect();
        let mut step = LAZY_FIRST_READ;
        while !left.is_empty() {
            let mut now: Vec<&str> = Vec::new();
            left.retain_mut(|(member, rest)| {
                if self.grouping.settled(*member) {
                    unread += rest.iter().filter(|id| !self.at.contains_key(*id)).count();
                    return false;
                }
                let (take, later) = rest.split_at(step.min(rest.len()));
                now.extend(take.iter().map(String::as_str));
                *rest = later;
                !later.is_empty()
            });
            self.load_all(now)?;
            pairs.extend(self.grouping.pair_new());
            step = step.saturating_mul(2);
        }
        Ok((pairs, unread))
    }

    /// Load one stored occurrence by id. None when it is not stored.
    fn load(&mut self, id: &str) -> StoreResult<Option<usize>> {
        self.load_all(std::iter::once(id))?;
        Ok(self.at.get(id).copied())
    }

    /// Load every occurrence of an event into the core.
    fn load_event(&mut self, event_id: &str) -> StoreResult<()> {
        let rows: Vec<(String, i64)> = self
            .by_event
            .query_map([event_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        self.load_all(rows.iter().map(|(id, _)| id.as_str()))?;
        for (id, _) in rows {
            if let Some(&i) = self.at.get(&id) {
                self.set_core(i);
            }
        }
        Ok(())
    }

    /// Take member `i` into the group: its pairs with the candidates read
    /// are scored at the next `pair_new` (a candidate's are only with the
    /// group's members until then).
    fn set_core(&mut self, i: usize) -> bool {
        match self.core.get_mut(i) {
            Some(c) if !*c => {
                *c = true;
                self.grouping.activate(i);
                true
            }
            _ => false,
        }
    }
}

/// Re-cluster what `seeds` names with every stored occurrence that may
/// join it, and give each cluster its event id (see the module doc).
/// Returns the event ids whose members changed (old and new), and writes
/// the blockings of the run's occurrences.
///
/// The group re-clustered is closed: it starts with the seeds and the
/// events they and `seeds.events` belong to, then takes in, until nothing
/// more comes, every stored occurrence the dedup accepts as a pair of one
/// of its members (found through the stored blockings: only those sharing
/// a key at a compatible time are read) and the events those belong to.
/// Every pair the dedup could accept from a member of the group is then in
/// the group, so clustering it alone gives the groups clustering everything
/// would, at a cost that follows what changed, not what is stored. Each
/// occurrence's features are computed once and each pair scored once
/// ([`normalize::dedup::Grouping`]).
pub(crate) fn assign_events(
    tx: &Transaction<'_>,
    seeds: &Seeds<'_>,
    blocks: Option<&mut BlockIndex>,
) -> StoreResult<BTreeSet<String>> {
    let arena = typed_arena::Arena::new();
    Ok(assign_events_in(tx, seeds, blocks, &arena)?.0)
}

/// [`assign_events`], the occurrences it decodes kept in `arena`: also
/// returns every occurrence it had in memory (the group and the
/// candidates read), by id, which the events' rebuild need not decode
/// again (the re-clustering changes an occurrence's event, not its JSON).
pub(crate) fn assign_events_in<'a>(
    tx: &Transaction<'_>,
    seeds: &'a Seeds<'a>,
    blocks: Option<&mut BlockIndex>,
    arena: &'a typed_arena::Arena<Occurrence>,
) -> StoreResult<(BTreeSet<String>, HashMap<&'a str, &'a Occurrence>)> {
    if seeds.occurrences.is_empty() && seeds.events.is_empty() {
        debug_assert!(seeds.inserts.is_empty(), "new occurrences not seeded");
        return Ok((BTreeSet::new(), HashMap::new()));
    }
    // The writer's index of the stored blockings, in step with the store;
    // without it (a curation, or an index that cannot be built) the
    // blockings around the members are read from the table.
    let mut blocks = match blocks {
        Some(index) => {
            let t = std::time::Instant::now();
            if let Some(rows) = index.ready(tx)? {
                tracing::debug!(
                    rows,
                    ms = t.elapsed().as_millis() as u64,
                    "dedup blockings indexed"
                );
            }
            index.is_built().then_some(index)
        }
        None => None,
    };
    let mut loaded = Loaded {
        arena,
        fresh: &seeds.fresh,
        members: Vec::new(),
        grouping: normalize::dedup::Grouping::deferring(),
        at: HashMap::new(),
        core: Vec::new(),
        expanded: Vec::new(),
        book: blocks
            .as_deref_mut()
            .map(BlockIndex::take_venues)
            .unwrap_or_default(),
        by_id: tx.prepare("SELECT json, event_id, start_utc FROM occurrences WHERE id = ?1")?,
        by_row: tx
            .prepare("SELECT id, json, event_id, start_utc FROM occurrences WHERE rowid = ?1")?,
        by_event: tx.prepare("SELECT id, start_utc FROM occurrences WHERE event_id = ?1")?,
        rows: HashMap::new(),
        threads: normalize::parallel::threads(),
    };
    let mut blocks_stmt = tx.prepare(
        "SELECT occurrence, block FROM dedup_blocks WHERE start_utc >= ?1 AND start_utc < ?2",
    )?;
    let mut events_done: HashSet<String> = HashSet::new();
    let mut events_due: Vec<String> = seeds.events.iter().cloned().collect();
    // The run's own occurrences are in memory with the event they hold;
    // the others are read.
    let (mut own, mut stored) = (Vec::new(), Vec::new());
    let mut taken: HashSet<&str> = HashSet::new();
    for id in &seeds.occurrences {
        match (seeds.fresh.get(id.as_str()), seeds.event_of.get(id)) {
            (Some(occ), Some(event_id)) if taken.insert(id) => {
                own.push((*occ, event_id.clone(), occ.event.start.timestamp()));
            }
            (Some(_), Some(_)) => {}
            _ => stored.push(id.as_str()),
        }
    }
    let t_start = std::time::Instant::now();
    loaded.push_all(own);
    loaded.load_all(stored)?;
    let own_ms = t_start.elapsed().as_millis() as u64;
    for id in &seeds.occurrences {
        if let Some(&i) = loaded.at.get(id) {
            loaded.set_core(i);
            if let Some(m) = loaded.members.get(i) {
                // A new occurrence's placeholder event holds only itself.
                if !seeds.new.contains(id) {
                    events_due.push(m.event_id.clone());
                }
            }
        }
    }
    let mut next: HashMap<usize, Vec<usize>> = HashMap::new();
    let t0 = std::time::Instant::now();
    let (mut t_read, mut t_pairs, mut rounds) = (0u128, 0u128, 0u32);
    let (mut venue_skips, mut title_skips, mut rows_read, mut settled_unread) =
        (0usize, 0usize, 0usize, 0usize);
    loop {
        rounds += 1;
        // Whole events: a cluster is judged on all its members.
        for event_id in std::mem::take(&mut events_due) {
            if events_done.insert(event_id.clone()) {
                loaded.load_event(&event_id)?;
            }
        }
        // The candidates of the members not looked at yet.
        let due: Vec<usize> = (0..loaded.members.len())
            .filter(|&i| {
                loaded.core.get(i) == Some(&true) && loaded.expanded.get(i) == Some(&false)
            })
            .collect();
        if due.is_empty() {
            break;
        }
        let t = std::time::Instant::now();
        let mut members = Vec::with_capacity(due.len());
        for &i in &due {
            if let Some(e) = loaded.expanded.get_mut(i) {
                *e = true;
            }
            // An ambiguous listing without a venue: every pair it has is
            // dropped, so there is nothing to look for.
            if loaded.grouping.settled(i) {
                continue;
            }
            let Some(block) = loaded.grouping.blocking(i) else {
                continue;
            };
            let venue = loaded
                .members
                .get(i)
                .and_then(|m| m.occ.event.venue.as_ref())
                .zip(block.venue)
                .map(|(v, hash)| (hash, v));
            members.push(DueMember {
                at: i,
                block,
                venue,
            });
        }
        let found = match blocks.as_deref() {
            Some(index) => indexed_candidates(index, &members, &mut loaded)?,
            None => {
                let due = Due::new(members);
                let around = windows(
                    due.members.iter().map(|m| m.block.start),
                    normalize::dedup::BLOCKING_REACH_SECS,
                );
                let (wanted, rows_read, venue_skips) =
                    scan_candidates(&mut blocks_stmt, &around, &due, &mut loaded)?;
                Found {
                    wanted,
                    rows_read,
                    venue_skips,
                    ..Found::default()
                }
            }
        };
        rows_read += found.rows_read;
        venue_skips += found.venue_skips;
        title_skips += found.title_skips;
        loaded.load_all(found.wanted.iter().map(String::as_str))?;
        t_read += t.elapsed().as_millis();
        let t = std::time::Instant::now();
        // Which loaded occurrences the accepted pairs reach from the group.
        let mut pairs = loaded.grouping.pair_new();
        t_pairs += t.elapsed().as_millis();
        let t = std::time::Instant::now();
        let (more, unread) = loaded.load_until_settled(&found.lazy)?;
        pairs.extend(more);
        settled_unread += unread;
        t_read += t.elapsed().as_millis();
        for (a, b) in pairs {
            next.entry(a).or_default().push(b);
            next.entry(b).or_default().push(a);
        }
        let mut stack: Vec<usize> = (0..loaded.members.len())
            .filter(|&i| loaded.core.get(i) == Some(&true))
            .collect();
        while let Some(i) = stack.pop() {
            for &j in next.get(&i).map(Vec::as_slice).unwrap_or_default() {
                // Out of an ambiguous listing without a venue, its pairs
                // join nothing: what lies past it is not drawn in.
                if !loaded.grouping.follows(i, j) {
                    continue;
                }
                if loaded.set_core(j) {
                    stack.push(j);
                    events_due.extend(loaded.members.get(j).map(|m| m.event_id.clone()));
                }
            }
        }
    }
    // People's links: a forced merge may join occurrences of other days.
    let mut group: Vec<Member<'_>> = (0..loaded.members.len())
        .filter(|&i| loaded.core.get(i) == Some(&true))
        .filter_map(|i| loaded.members.get(i))
        .map(|m| Member {
            occ: m.occ,
            event_id: m.event_id.clone(),
            start: m.start,
        })
        .collect();
    let before = group.len();
    tracing::debug!(
        seeds = seeds.occurrences.len(),
        loaded = loaded.members.len(),
        group = before,
        rows = rows_read,
        rounds,
        venue_skips,
        title_skips,
        settled_unread,
        read_ms = t_read as u64,
        pairs_ms = t_pairs as u64,
        close_ms = t0.elapsed().as_millis() as u64,
        own_ms,
        "dedup group closed"
    );
    let t_after = std::time::Instant::now();
    let links = crate::curation::links_of(tx, &mut group, &seeds.fresh, arena)?;
    let mut subset: Vec<usize> = (0..loaded.members.len())
        .filter(|&i| loaded.core.get(i) == Some(&true))
        .collect();
    for m in group.into_iter().skip(before) {
        let i = match loaded.at.get(&m.occ.event.id) {
            Some(&i) => i,
            None => loaded.push(m.occ, m.event_id, m.start),
        };
        loaded.grouping.activate(i);
        subset.push(i);
    }
    loaded.grouping.pair_new();
    let Loaded {
        members,
        grouping,
        book,
        ..
    } = loaded;
    if let Some(index) = blocks.as_deref_mut() {
        index.put_venues(book);
    }
    let ids: Vec<&str> = members.iter().map(|m| m.occ.event.id.as_str()).collect();
    let clusters: Vec<identity::Cluster<'_>> = links
        .reshape(grouping.cluster(&subset), &ids)
        .iter()
        .map(|cluster| identity::Cluster {
            reassign: true,
            members: cluster
                .iter()
                .filter_map(|&i| members.get(i))
                .map(|m| identity::Member {
                    occurrence: m.occ,
                    event_id: &m.event_id,
                    new: seeds.new.contains(&m.occ.event.id),
                })
                .collect(),
        })
        .collect();
    // The members given, each once, that the table holds.
    let unwritten: HashSet<&str> = seeds.inserts.iter().map(|n| n.id).collect();
    let each_once: BTreeSet<usize> = subset.iter().copied().collect();
    let mut loaded: HashMap<&str, usize> = HashMap::new();
    for m in each_once.iter().filter_map(|&i| members.get(i)) {
        if !unwritten.contains(m.occ.event.id.as_str()) {
            *loaded.entry(m.event_id.as_str()).or_default() += 1;
        }
    }
    let mut ledger = Ledger {
        first_seen: tx.prepare("SELECT first_seen FROM events WHERE id = ?1")?,
        holders: tx.prepare("SELECT count(*) FROM occurrences WHERE event_id = ?1")?,
        pinned: tx.prepare(
            "SELECT EXISTS (SELECT 1 FROM locks WHERE event_id = ?1)
                 OR EXISTS (SELECT 1 FROM hidden WHERE target = ?1 AND series = 0)",
        )?,
        loaded,
    };
    // People's links read and the group cut into clusters.
    let cluster_ms = t_after.elapsed().as_millis() as u64;
    let assignment = identity::assign(&clusters, &mut ledger)?;
    let ledger_ms = (t_after.elapsed().as_millis() as u64).saturating_sub(cluster_ms);
    let mut touched = assignment.touched;
    // The run's new occurrences, in the events they were given.
    let event_given: HashMap<&str, &str> = assignment
        .moves
        .iter()
        .map(|(occurrence, event)| (occurrence.as_str(), event.as_str()))
        .collect();
    let mut rows: HashMap<&str, i64> = HashMap::with_capacity(seeds.inserts.len());
    if !seeds.inserts.is_empty() {
        let mut insert = tx.prepare_cached(UPSERT_OCCURRENCE)?;
        for new in &seeds.inserts {
            let event_id = event_given.get(new.id).copied().unwrap_or(new.id);
            let last_row = tx.last_insert_rowid();
            insert.execute(params![
                new.id,
                new.occ.source.as_str(),
                new.occ.record_uid,
                new.occ.key,
                event_id,
                new.occ.event.start.timestamp(),
                new.occ.event.end.map(|e| e.timestamp()),
                new.json,
                new.hash
            ])?;
            // A row inserted (not updated in place) moved the last rowid
            // to its own: its blocking is written at that rowid without
            // asking for it (`RETURNING` would need a statement journal).
            let row = tx.last_insert_rowid();
            if row != last_row {
                rows.insert(new.id, row);
            }
            touched.insert(event_id.to_string());
        }
    }
    // The stored occurrences that move (a curation's new ones too: they
    // are in the table, holding their placeholder).
    let mut update = tx.prepare("UPDATE occurrences SET event_id = ?2 WHERE id = ?1")?;
    let mut moves: Vec<&(String, String)> = assignment
        .moves
        .iter()
        .filter(|(occurrence, _)| !unwritten.contains(occurrence.as_str()))
        .collect();
    moves.sort_unstable();
    let moved = moves.len();
    for (occurrence_id, event_id) in moves {
        update.execute(params![occurrence_id, event_id])?;
    }
    // New occurrences inserted, stored ones moved.
    let rows_ms = (t_after.elapsed().as_millis() as u64).saturating_sub(cluster_ms + ledger_ms);
    // The blockings of what the run wrote, from the features computed.
    // Only runs write blockings, and runs go through the writer's index,
    // which must see each one (see `crate::blocks`).
    debug_assert!(
        blocks.is_some() || seeds.event_of.is_empty(),
        "a run's blockings written without the writer's block index"
    );
    let mut insert_block = BlockWriter::new(tx)?;
    for (i, m) in members.iter().enumerate() {
        if seeds.event_of.contains_key(&m.occ.event.id) {
            if let Some(block) = grouping.blocking(i) {
                let id = &m.occ.event.id;
                let row = insert_block.write(id, rows.get(id.as_str()).copied(), &block)?;
                if let Some(index) = blocks.as_deref_mut() {
                    index.add(id, row, &block);
                }
            }
        }
    }
    tracing::debug!(
        cluster_ms,
        ledger_ms,
        rows_ms,
        inserted = seeds.inserts.len(),
        moved,
        blocks_ms =
            (t_after.elapsed().as_millis() as u64).saturating_sub(cluster_ms + ledger_ms + rows_ms),
        "dedup group assigned"
    );
    touched.extend(seeds.events.iter().cloned());
    let known = members
        .iter()
        .map(|m| (m.occ.event.id.as_str(), m.occ))
        .collect();
    Ok((touched, known))
}

/// Bring the rows of `events` named by `ids` up to date with their
/// occurrences: insert new events, bump `sequence` and `updated_at` of those
/// whose content changed, delete those left with no occurrence. The
/// occurrences in `fresh` (the run's own, those the re-clustering read)
/// are taken from there, not decoded from their rows.
///
/// In slices of [`REBUILT_AT_ONCE`] events: what each needs is read (its
/// members, its row's sequence and hash, its locks), then each is built on
/// the writer's threads (decoded, merged, people's decisions applied,
/// placed, hashed, serialized), then the rows are written, in order.
pub(crate) fn rebuild_events(
    tx: &Transaction<'_>,
    ids: &BTreeSet<String>,
    at: DateTime<Utc>,
    fresh: &HashMap<&str, &Occurrence>,
    rules: &Rules,
) -> StoreResult<ChangeSet> {
    let mut changes = ChangeSet::default();
    let mut occs_stmt = tx.prepare("SELECT id, json FROM occurrences WHERE event_id = ?1")?;
    let mut current_stmt = tx.prepare("SELECT sequence, hash FROM events WHERE id = ?1")?;
    let mut delete_stmt = tx.prepare("DELETE FROM events WHERE id = ?1")?;
    let mut upsert_stmt = tx.prepare(
        "INSERT INTO events (id, json, start_utc, end_utc, sequence, updated_at, hash,
                             first_seen, hidden)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET
           json = excluded.json, start_utc = excluded.start_utc, end_utc = excluded.end_utc,
           sequence = excluded.sequence, updated_at = excluded.updated_at,
           hash = excluded.hash, hidden = excluded.hidden",
    )?;
    let mut decisions = crate::curation::Decisions::read(tx)?;
    let (mut empty, mut read_ms, mut build_ms) = (0usize, 0u128, 0u128);
    let t_rebuild = std::time::Instant::now();
    let ids: Vec<&String> = ids.iter().collect();
    let first_seen = ts(at);
    for slice in ids.chunks(REBUILT_AT_ONCE) {
        let t = std::time::Instant::now();
        let mut due = Vec::with_capacity(slice.len());
        for &id in slice {
            // The JSON of those not in memory only.
            let members: Vec<(String, Option<String>)> = occs_stmt
                .query_map([id], |r| {
                    let occ_id = r.get::<_, String>(0)?;
                    let json = if fresh.contains_key(occ_id.as_str()) {
                        None
                    } else {
                        Some(r.get::<_, String>(1)?)
                    };
                    Ok((occ_id, json))
                })?
                .collect::<Result<_, _>>()?;
            let locks = if members.is_empty() {
                crate::curation::Locks::new()
            } else {
                decisions.locks_of(id)?
            };
            let current: Option<(i64, String)> = current_stmt
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            due.push(Rebuilding {
                id,
                members,
                locks,
                current,
            });
        }
        let t_built = std::time::Instant::now();
        read_ms += (t_built - t).as_millis();
        let hides = decisions.hides();
        let built = normalize::parallel::map(
            due,
            normalize::parallel::threads(),
            REBUILT_PER_THREAD,
            |due| due.build(at, fresh, rules, hides),
        );
        build_ms += t_built.elapsed().as_millis();
        for (&id, built) in slice.iter().zip(built) {
            match built? {
                Built::Empty => {
                    empty += 1;
                    if delete_stmt.execute([id])? > 0 {
                        changes.removed.push(id.clone());
                    }
                }
                Built::Same => {}
                Built::Changed {
                    event,
                    json,
                    hash,
                    hidden,
                    new,
                } => {
                    if new {
                        changes.new += 1;
                    } else {
                        changes.updated += 1;
                    }
                    upsert_stmt.execute(params![
                        id,
                        &json,
                        event.start.timestamp(),
                        event.effective_end_utc().timestamp(),
                        event.sequence,
                        ts(event.updated_at),
                        hash,
                        first_seen,
                        hidden
                    ])?;
                    if hidden {
                        // Out of every public answer, as a removed event is.
                        changes.removed.push(event.id);
                    } else {
                        changes.upserted.push(Upserted {
                            event: *event,
                            json,
                            new,
                        });
                    }
                }
            }
        }
    }
    tracing::debug!(
        ids = ids.len(),
        empty,
        read_ms = read_ms as u64,
        build_ms = build_ms as u64,
        ms = t_rebuild.elapsed().as_millis() as u64,
        "events rebuilt"
    );
    Ok(changes)
}

/// Events [`rebuild_events`] reads, then builds, then writes at once.
const REBUILT_AT_ONCE: usize = 4096;

/// Events built on one thread at least (see [`normalize::parallel::map`]):
/// one takes tens of microseconds.
const REBUILT_PER_THREAD: usize = 64;

/// What an event's rebuild reads from the store.
struct Rebuilding<'i> {
    id: &'i str,
    /// Its occurrences' ids, each with its JSON unless it is in memory.
    members: Vec<(String, Option<String>)>,
    locks: crate::curation::Locks,
    /// Its row's sequence and content hash, when it has one.
    current: Option<(i64, String)>,
}

/// An event rebuilt.
enum Built {
    /// No occurrence holds it any more.
    Empty,
    /// Its content did not change.
    Same,
    Changed {
        event: Box<Event>,
        json: String,
        hash: String,
        hidden: bool,
        /// No row held it.
        new: bool,
    },
}

impl Rebuilding<'_> {
    /// Build the event from what [`rebuild_events`] read (no store
    /// access).
    fn build(
        self,
        at: DateTime<Utc>,
        fresh: &HashMap<&str, &Occurrence>,
        rules: &Rules,
        hides: &HashMap<String, bool>,
    ) -> StoreResult<Built> {
        let decoded = self
            .members
            .iter()
            .filter_map(|(_, j)| j.as_deref())
            .map(|j| from_json::<Occurrence>("occurrence", j))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut decoded = decoded.iter();
        let occurrences: Vec<&Occurrence> = self
            .members
            .iter()
            .filter_map(|(occ_id, j)| match j {
                Some(_) => decoded.next(),
                None => fresh.get(occ_id.as_str()).copied(),
            })
            .collect();
        let Some(mut event) = build_event(self.id, &occurrences, &rules.languages) else {
            return Ok(Built::Empty);
        };
        // People's decisions win over the sources: locked fields, hides.
        let hidden = crate::curation::Decisions::apply(hides, &mut event, &self.locks);
        // After the decisions: a venue set by a person places the event.
        event.territories = rules.territories.of(event.venue.as_ref());
        let mut hash = content_hash(&event)?;
        if hidden {
            hash.push_str("-hidden");
        }
        let new = match self.current {
            Some((_, old_hash)) if old_hash == hash => return Ok(Built::Same),
            Some((sequence, _)) => {
                event.sequence = event.sequence.max(sequence.saturating_add(1));
                event.updated_at = at;
                false
            }
            None => true,
        };
        let json = to_json(&event)?;
        Ok(Built::Changed {
            event: Box::new(event),
            json,
            hash,
            hidden,
            new,
        })
    }
}

pub(crate) fn event(conn: &Connection, id: &str) -> StoreResult<Option<Event>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT json FROM events WHERE id = ?1 AND hidden = 0",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    json.map(|j| from_json("event", &j)).transpose()
}

pub(crate) fn event_count(conn: &Connection) -> StoreResult<u64> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM events WHERE hidden = 0", [], |r| {
        r.get(0)
    })?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Call `f` on every public (not hidden) event, in id order; store failures become `E`
/// through `map`.
/// Give every stored event the territories `territories` places it in,
/// where they changed (a new `[[territory]]` configuration); the events
/// changed come back for the search index. Nothing else about an event
/// changes: its hash, sequence and time of update stay.
pub(crate) fn retag_territories(
    tx: &Transaction<'_>,
    territories: &normalize::territory::Territories,
) -> StoreResult<ChangeSet> {
    let mut changes = ChangeSet::default();
    let mut update = tx.prepare("UPDATE events SET json = ?2 WHERE id = ?1")?;
    let rows: Vec<(String, String, bool)> = tx
        .prepare("SELECT id, json, hidden FROM events")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, json, hidden) in rows {
        let mut event: Event = from_json("event", &json)?;
        let placed = territories.of(event.venue.as_ref());
        if placed == event.territories {
            continue;
        }
        event.territories = placed;
        let json = to_json(&event)?;
        update.execute(params![id, &json])?;
        if !hidden {
            changes.upserted.push(Upserted {
                event,
                json,
                new: false,
            });
        }
    }
    if !changes.upserted.is_empty() {
        bump_generation(tx)?;
    }
    Ok(changes)
}

pub(crate) fn for_each_event<E>(
    conn: &Connection,
    map: impl Fn(StoreFail) -> E,
    mut f: impl FnMut(Event, &str) -> Result<(), E>,
) -> Result<usize, E> {
    let mut stmt = conn
        .prepare("SELECT json FROM events WHERE hidden = 0 ORDER BY id")
        .map_err(|e| map(e.into()))?;
    let mut rows = stmt.query([]).map_err(|e| map(e.into()))?;
    let mut n = 0;
    while let Some(row) = rows.next().map_err(|e| map(e.into()))? {
        let json: String = row.get(0).map_err(|e| map(e.into()))?;
        f(from_json("event", &json).map_err(&map)?, &json)?;
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------- pruning

/// Delete the events that ended before `events_before` (with their
/// occurrences) and the fetch log rows older than `log_before`.
/// Returns (events deleted, log rows deleted, the change for the index).
pub(crate) fn prune(
    tx: &Transaction<'_>,
    events_before: DateTime<Utc>,
    log_before: DateTime<Utc>,
) -> StoreResult<(usize, usize, ChangeSet)> {
    let cutoff = events_before.timestamp();
    let ids: Vec<String> = {
        let mut stmt = tx.prepare("SELECT id FROM events WHERE end_utc < ?1")?;
        let rows = stmt.query_map([cutoff], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if !ids.is_empty() {
        tx.execute(
            "DELETE FROM occurrences WHERE event_id IN (SELECT id FROM events WHERE end_utc < ?1)",
            [cutoff],
        )?;
        tx.execute("DELETE FROM events WHERE end_utc < ?1", [cutoff])?;
        bump_generation(tx)?;
    }
    let logs = tx.execute("DELETE FROM fetch_log WHERE at < ?1", [ts(log_before)])?;
    let changes = ChangeSet {
        removed: ids,
        ..ChangeSet::default()
    };
    Ok((changes.removed.len(), logs, changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occurrence(description: Option<&str>, updated_at: &str) -> Occurrence {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("test time");
        let mut event = model::Event::new(
            "",
            "Théâtre : « Les Belles-sœurs »",
            at("2027-01-08T20:00:00-05:00"),
            "America/Toronto",
            at(updated_at).with_timezone(&Utc),
        );
        event.description = description.map(str::to_string);
        let source = model::SourceId::new("maison").expect("test source id");
        Occurrence::single(source, "show-1@maison.example", event)
    }

    #[test]
    fn one_serialization_gives_the_json_and_the_hash_of_the_bare_occurrence() {
        for description in [
            None,
            Some("Billets en vente."),
            // The key and a stamp inside a string value: escaped, not the field.
            Some("{\"updated_at\":\"2026-12-06T05:00:00Z\"} \"updated_at\":"),
        ] {
            let occ = occurrence(description, "2026-12-06T05:00:00Z");
            let (json, hash) = occurrence_json_and_hash(&occ).expect("hash");
            assert_eq!(json, to_json(&occ).expect("json"), "{description:?}");
            assert_eq!(
                hash,
                occurrence_hash(&occ).expect("hash"),
                "{description:?}"
            );
            // The time a source stamps its answer with is not content.
            let later = occurrence(description, "2026-12-07T09:30:00Z");
            assert_eq!(occurrence_json_and_hash(&later).expect("hash").1, hash);
            let other = occurrence(Some("Autre chose."), "2026-12-06T05:00:00Z");
            assert_ne!(occurrence_json_and_hash(&other).expect("hash").1, hash);
        }
    }

    /// A story hour at 10:00 listed by `source` (at hall `hall`, or
    /// without a venue).
    fn story_hour(source: &str, hall: Option<usize>) -> crate::SourceRun {
        listing(source, "Heure du conte", hall)
    }

    /// `title` at 10:00 listed by `source` (at hall `hall`, or without a
    /// venue).
    fn listing(source: &str, title: &str, hall: Option<usize>) -> crate::SourceRun {
        let start = DateTime::parse_from_rfc3339("2027-03-06T10:00:00-05:00").expect("time");
        let mut event = model::Event::new("", title, start, "America/Toronto", Utc::now());
        event.language = Some("fr".to_string());
        event.venue = hall.map(|h| model::Venue {
            id: format!("biblio-{h}"),
            name: format!("Bibliothèque de quartier numéro {h}"),
            address: Some(format!("{} rue des Érables", 100 + h)),
            city: Some("Laval".to_string()),
            lat: None,
            lon: None,
            precision: None,
        });
        let id = SourceId::new(source).expect("test source id");
        let occ = Occurrence::single(id.clone(), "conte@example.org", event);
        source_run(
            id,
            vec![model::RawEvent::new(
                "conte@example.org".to_string(),
                title.to_string(),
                model::TimeValue::Offset { at: start },
            )],
            vec![occ],
        )
    }

    /// A successful run of `source` listing `records`, read into
    /// `occurrences`, now.
    fn source_run(
        source: SourceId,
        records: Vec<model::RawEvent>,
        occurrences: Vec<Occurrence>,
    ) -> crate::SourceRun {
        crate::SourceRun {
            source,
            at: Utc::now(),
            duration_ms: 1,
            kind: Some("ics".to_string()),
            fetch: FetchState::default(),
            records,
            occurrences,
            warnings: Vec::new(),
        }
    }

    /// Re-cluster the stored occurrence of `source`'s listing; returns
    /// how many occurrences that had in memory and the event's members.
    fn recluster(conn: &mut Connection, blocks: &mut BlockIndex, source: &str) -> (usize, usize) {
        let id = model::ids::occurrence_id(
            &SourceId::new(source).expect("test source id"),
            "conte@example.org",
            "",
        );
        let tx = conn.transaction().expect("transaction");
        let seeds = Seeds {
            occurrences: vec![id.clone()],
            events: BTreeSet::new(),
            new: HashSet::new(),
            event_of: HashMap::new(),
            inserts: Vec::new(),
            fresh: HashMap::new(),
        };
        let arena = typed_arena::Arena::new();
        let (_, known) = assign_events_in(&tx, &seeds, Some(blocks), &arena).expect("assign");
        let read = known.len();
        drop(known);
        let members: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM occurrences WHERE event_id =
                     (SELECT event_id FROM occurrences WHERE id = ?1)",
                [&id],
                |r| r.get(0),
            )
            .expect("members");
        (read, usize::try_from(members).unwrap_or(0))
    }

    /// A store in a temporary directory (kept while the first is held),
    /// its writer's connection and a block index.
    fn fresh_store() -> (tempfile::TempDir, Connection, BlockIndex) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = open_connection(&dir.path().join("s.sqlite"), false).expect("open");
        crate::migrations::migrate(&mut conn).expect("migrate");
        (dir, conn, BlockIndex::default())
    }

    /// Apply `run` alone in a transaction of its own, committed; what it
    /// did.
    fn commit_run(
        conn: &mut Connection,
        blocks: &mut BlockIndex,
        run: crate::SourceRun,
    ) -> (RunCounts, ChangeSet) {
        let tx = conn.transaction().expect("transaction");
        let done = apply_success(&tx, &run, &Rules::default(), blocks).expect("run");
        tx.commit().expect("commit");
        done
    }

    /// `n` concerts of one source, an hour apart, each described by
    /// `description`: `n` events (a source's listings never pair).
    fn concerts(n: usize, description: &str) -> crate::SourceRun {
        let id = SourceId::new("salle").expect("test source id");
        let first = DateTime::parse_from_rfc3339("2027-03-06T10:00:00-05:00").expect("time");
        let mut records = Vec::with_capacity(n);
        let mut occurrences = Vec::with_capacity(n);
        for i in 0..n {
            let hours = i64::try_from(i).expect("small");
            let start = first + chrono::Duration::hours(hours);
            let (uid, title) = (format!("concert-{i}@salle.example"), format!("Concert {i}"));
            let mut event = model::Event::new("", &title, start, "America/Toronto", Utc::now());
            event.description = Some(description.to_string());
            occurrences.push(Occurrence::single(id.clone(), uid.clone(), event));
            records.push(model::RawEvent::new(
                uid,
                title,
                model::TimeValue::Offset { at: start },
            ));
        }
        source_run(id, records, occurrences)
    }

    /// A run's new occurrences are written once, in the event the
    /// re-clustering gave them: a cross-listing of a stored event is
    /// inserted holding that event's id (not inserted holding its own,
    /// then moved), a listing of its own holds its own id, and no event
    /// row is made of a placeholder.
    #[test]
    fn a_new_occurrence_is_written_once_in_the_event_it_joins() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        commit_run(&mut conn, &mut blocks, story_hour("biblio00", Some(0)));
        let library_event: String = conn
            .query_row(
                "SELECT event_id FROM occurrences WHERE source = 'biblio00'",
                [],
                |r| r.get(0),
            )
            .expect("the library's event");
        // Every write of an occurrence's event id on the writer's connection.
        conn.execute_batch(
            "CREATE TEMP TABLE seen (what TEXT, id TEXT, event_id TEXT);
             CREATE TEMP TRIGGER seen_insert AFTER INSERT ON occurrences BEGIN
                 INSERT INTO seen VALUES ('insert', NEW.id, NEW.event_id);
             END;
             CREATE TEMP TRIGGER seen_move AFTER UPDATE OF event_id ON occurrences BEGIN
                 INSERT INTO seen VALUES ('move', NEW.id, NEW.event_id);
             END;",
        )
        .expect("triggers");
        // A feed lists the same story hour at the same library, and a
        // workshop nobody else lists.
        let mut run = story_hour("fil", Some(0));
        let workshop = listing("fil", "Atelier de robotique pour ados", Some(0))
            .occurrences
            .into_iter()
            .next()
            .expect("the workshop")
            .event;
        run.occurrences.push(Occurrence::single(
            run.source.clone(),
            "robotique@example.org",
            workshop,
        ));
        let story = run
            .occurrences
            .first()
            .map(|o| o.event.id.clone())
            .expect("story");
        let robotics = run
            .occurrences
            .last()
            .map(|o| o.event.id.clone())
            .expect("workshop");
        assert_ne!(story, robotics);

        let (counts, changes) = commit_run(&mut conn, &mut blocks, run);
        assert_eq!((counts.found, counts.new), (2, 2));

        let seen: BTreeSet<(String, String, String)> = conn
            .prepare("SELECT what, id, event_id FROM seen")
            .expect("seen")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        let write =
            |id: &str, event: &str| ("insert".to_string(), id.to_string(), event.to_string());
        assert_eq!(
            seen,
            BTreeSet::from([write(&story, &library_event), write(&robotics, &robotics)]),
            "each new occurrence inserted once, in its event; nothing moved"
        );
        let events: BTreeSet<String> = conn
            .prepare("SELECT id FROM events")
            .expect("events")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            events,
            BTreeSet::from([library_event.clone(), robotics.clone()])
        );
        let upserted: BTreeSet<&str> = changes
            .upserted
            .iter()
            .map(|u| u.event.id.as_str())
            .collect();
        assert_eq!(
            upserted,
            BTreeSet::from([library_event.as_str(), robotics.as_str()])
        );
        assert!(changes.removed.is_empty(), "{:?}", changes.removed);
    }

    /// A new occurrence whose own id is already an event's, held by an
    /// occurrence the re-clustering does not hold (it is not a candidate):
    /// that id is not free, the new one gets an id of its own and the
    /// other event keeps its member.
    #[test]
    fn a_new_occurrence_does_not_take_an_event_id_held_outside_its_group() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        commit_run(
            &mut conn,
            &mut blocks,
            listing("autre", "Conférence sur les oiseaux migrateurs", Some(3)),
        );
        let other = model::ids::occurrence_id(
            &SourceId::new("autre").expect("test source id"),
            "conte@example.org",
            "",
        );
        // The id the feed's story hour will have names the lecture's event
        // (as when an occurrence left the event named after it).
        let feed = story_hour("fil", Some(0));
        let new = feed
            .occurrences
            .first()
            .map(|o| o.event.id.clone())
            .expect("one");
        conn.execute(
            "UPDATE occurrences SET event_id = ?1 WHERE id = ?2",
            params![new, other],
        )
        .expect("move");
        conn.execute(
            "UPDATE events SET id = ?1 WHERE id = ?2",
            params![new, other],
        )
        .expect("rename");
        commit_run(&mut conn, &mut blocks, feed);
        let event_of = |id: &str| -> String {
            conn.query_row(
                "SELECT event_id FROM occurrences WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("event")
        };
        assert_eq!(event_of(&other), new, "the lecture keeps its event");
        let given = event_of(&new);
        assert_ne!(given, new, "the story hour does not join the lecture");
        assert_eq!(given, model::ids::stable_hash(&["event", &new, "1"]));
        let events: i64 = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("events");
        assert_eq!(events, 2);
    }

    /// A batch's runs' new occurrences are written after clustering them
    /// all: two runs of one source in one batch are refused (the writer
    /// then writes each alone).
    #[test]
    fn a_batch_with_two_runs_of_one_source_is_refused() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        let (first, second) = (story_hour("fil", Some(0)), story_hour("fil", Some(1)));
        let tx = conn.transaction().expect("transaction");
        let refused = apply_batch(&tx, &[&first, &second], &Rules::default(), &mut blocks);
        match refused {
            Err(StoreFail::Corrupt(message)) => assert!(message.contains("fil"), "{message}"),
            other => panic!("expected a refusal, got {:?}", other.map(|(c, _)| c)),
        }
    }

    /// A rebuild of more events than one slice ([`REBUILT_AT_ONCE`]), built
    /// on the writer's threads: every event is written once, the changes
    /// come in the order of the ids, and people's locks and hides apply in
    /// the first slice as in the last.
    #[test]
    fn a_rebuild_past_one_slice_writes_every_event_with_its_locks_and_hides() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        let n = REBUILT_AT_ONCE + 300;
        let rules = Rules::default();
        let tx = conn.transaction().expect("transaction");
        let (_, changes) =
            apply_success(&tx, &concerts(n, "Programme à venir."), &rules, &mut blocks)
                .expect("first run");
        tx.commit().expect("commit");
        assert_eq!((changes.new, changes.upserted.len()), (n, n));
        let ids: Vec<String> = conn
            .prepare("SELECT id FROM events ORDER BY id")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("event ids");
        assert_eq!(ids.len(), n);
        let upserted: Vec<&str> = changes
            .upserted
            .iter()
            .map(|u| u.event.id.as_str())
            .collect();
        assert_eq!(upserted, ids.iter().map(String::as_str).collect::<Vec<_>>());
        // Each carries the text of its row, and is new: no row held it.
        for u in &changes.upserted {
            let row: String = conn
                .query_row(
                    "SELECT json FROM events WHERE id = ?1",
                    [&u.event.id],
                    |r| r.get(0),
                )
                .expect("row");
            assert_eq!(u.json, row);
            assert!(u.new, "{}", u.event.id);
        }

        // A person locks the title of the first event and of the last, and
        // hides the one before the last; then every description changes.
        let (first, last, hidden) = (&ids[0], &ids[n - 1], &ids[n - 2]);
        for id in [first, last] {
            conn.execute(
                "INSERT INTO locks (event_id, field, value) VALUES (?1, 'title', ?2)",
                params![id, "\"Titre fixé\""],
            )
            .expect("lock");
        }
        conn.execute(
            "INSERT INTO hidden (target, series) VALUES (?1, 0)",
            [hidden],
        )
        .expect("hide");
        let tx = conn.transaction().expect("transaction");
        let (_, changes) = apply_success(
            &tx,
            &concerts(n, "Programme : Brahms et Schumann."),
            &rules,
            &mut blocks,
        )
        .expect("second run");
        tx.commit().expect("commit");
        assert_eq!((changes.new, changes.updated), (0, n));
        assert_eq!(changes.removed, vec![hidden.clone()]);
        let upserted: Vec<&str> = changes
            .upserted
            .iter()
            .map(|u| u.event.id.as_str())
            .collect();
        let shown: Vec<&str> = ids
            .iter()
            .filter(|id| *id != hidden)
            .map(String::as_str)
            .collect();
        assert_eq!(upserted, shown);
        for u in &changes.upserted {
            // Rows held them: their documents are replaced.
            assert!(!u.new, "{}", u.event.id);
            let e = &u.event;
            let locked = e.id == *first || e.id == *last;
            assert_eq!(e.title == "Titre fixé", locked, "{}: {}", e.id, e.title);
            assert_eq!(e.sequence, 1, "{}", e.id);
            assert_eq!(
                e.description.as_deref(),
                Some("Programme : Brahms et Schumann.")
            );
        }
        let (hidden_rows, bumped): (i64, i64) = conn
            .query_row(
                "SELECT SUM(hidden), SUM(sequence = 1) FROM events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("rows");
        assert_eq!((hidden_rows, bumped), (1, i64::try_from(n).expect("small")));
        let stored = event(&conn, last).expect("read").expect("stored");
        assert_eq!(stored.title, "Titre fixé");
    }

    #[test]
    fn a_listing_without_a_venue_reads_candidates_only_until_it_is_ambiguous() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        // One library's listing and a feed's listing without a venue: the
        // same story hour, one event.
        commit_run(&mut conn, &mut blocks, story_hour("biblio00", Some(0)));
        commit_run(&mut conn, &mut blocks, story_hour("fil", None));
        let (read, members) = recluster(&mut conn, &mut blocks, "fil");
        assert_eq!((read, members), (2, 2));
        // Eighteen libraries hold one at the same hour: which one the feed
        // lists is unknown, so it stands alone, and two of them tell
        // (the candidates are read eight at a time, then sixteen).
        for hall in 1..18 {
            commit_run(
                &mut conn,
                &mut blocks,
                story_hour(&format!("biblio{hall:02}"), Some(hall)),
            );
        }
        let (read, members) = recluster(&mut conn, &mut blocks, "fil");
        assert_eq!(members, 1, "ambiguous: left alone");
        assert_eq!(
            read,
            1 + LAZY_FIRST_READ,
            "the feed's listing and its first candidates"
        );
    }

    #[test]
    fn a_listing_without_a_venue_whose_title_cannot_agree_is_not_read() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        // Twelve feeds list, without a venue, twelve concerts at 10:00:
        // each shares "concert" with the library's listing below, only one
        // is that show.
        let names = [
            "Orchestre",
            "Quatuor",
            "Chorale",
            "Fanfare",
            "Violon",
            "Piano",
            "Tango",
            "Flamenco",
            "Slam",
            "Opéra",
            "Cirque",
            "Jazz",
        ];
        for (k, name) in names.iter().enumerate() {
            commit_run(
                &mut conn,
                &mut blocks,
                listing(&format!("fil{k:02}"), &format!("Concert {name}"), None),
            );
        }
        commit_run(
            &mut conn,
            &mut blocks,
            listing("biblio00", "Concert Orchestre", Some(0)),
        );
        let (read, members) = recluster(&mut conn, &mut blocks, "biblio00");
        // The library's listing and the one feed whose title agrees: the
        // eleven others are refused on their titles, unread.
        assert_eq!((read, members), (2, 2));
    }

    #[test]
    fn a_listing_at_a_venue_whose_title_cannot_agree_with_one_without_is_not_read() {
        let (_dir, mut conn, mut blocks) = fresh_store();
        // Twelve libraries each hold a concert at 10:00; a feed lists one of
        // them without a venue. Each shares "concert" with the feed's
        // listing; only one is that show.
        let names = [
            "Orchestre",
            "Quatuor",
            "Chorale",
            "Fanfare",
            "Violon",
            "Piano",
            "Tango",
            "Flamenco",
            "Slam",
            "Opéra",
            "Cirque",
            "Jazz",
        ];
        for (hall, name) in names.iter().enumerate() {
            commit_run(
                &mut conn,
                &mut blocks,
                listing(
                    &format!("biblio{hall:02}"),
                    &format!("Concert {name}"),
                    Some(hall),
                ),
            );
        }
        commit_run(
            &mut conn,
            &mut blocks,
            listing("fil", "Concert Orchestre", None),
        );
        let (read, members) = recluster(&mut conn, &mut blocks, "fil");
        // The feed's listing and the one library whose title agrees: the
        // eleven other halls' concerts are refused on their titles (and
        // their halls' names), unread.
        assert_eq!((read, members), (2, 2));
    }

    #[test]
    fn a_new_database_has_8_kb_pages_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let page_size = |conn: &Connection| -> i64 {
            conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                .expect("page size")
        };
        let new = dir.path().join("new.sqlite");
        let mut conn = open_connection(&new, false).expect("open");
        crate::migrations::migrate(&mut conn).expect("migrate");
        assert_eq!(page_size(&conn), PAGE_SIZE);
        drop(conn);
        // A store written before, with SQLite's default pages.
        let old = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&old).expect("old");
            conn.execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x);",
            )
            .expect("old store");
        }
        let mut conn = open_connection(&old, false).expect("reopen");
        crate::migrations::migrate(&mut conn).expect("migrate the old one");
        assert_eq!(page_size(&conn), 4096);
        conn.execute("INSERT INTO t (x) VALUES (1)", [])
            .expect("write");
        let reader = open_connection(&old, true).expect("reader");
        let rows: i64 = reader
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("read");
        assert_eq!((page_size(&reader), rows), (4096, 1));
    }
}
