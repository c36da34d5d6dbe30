//! # index
//!
//! The store and the search index. SQLite is the truth: sources and their
//! fetch state, the fetch log, raw records per source, occurrences and
//! events (schema and migrations in `migrations.rs`, reads and writes in
//! `store.rs`). The tantivy index (`search.rs`) is derived from it and can be
//! rebuilt at any time ([`Index::reindex`]); [`Index::open`] rebuilds it
//! when it is missing, unreadable, or behind the store (a crash between the
//! two commits). [`Index`] is the one API the rest of babillard uses.
//! The events entered by hand in the console are kept by [`manual`] for
//! the built-in source that lists them.
//!
//! Concurrency: every write (a source run, a sync) takes one lock that
//! guards the write connection and the tantivy `IndexWriter`, commits SQLite
//! in one transaction, then commits the search index and reloads its reader
//! before returning, so a query right after sees the change. Reads use
//! other SQLite connections (WAL) and the tantivy reader, and never wait for
//! a writer. The crate is synchronous: async callers use `spawn_blocking`.
//!
//! Staff accounts, console sessions, API tokens and failed logins are
//! kept by `accounts.rs` (the hashing and the rules live in `publish`).
//!
//! [`Index::generation`] grows on every commit that changed published
//! events (not on an unchanged run, a failure, or a source's fetch state);
//! it is persisted in the store, so ETags built on it survive restarts.

pub mod accounts;
pub mod backup;
mod blocks;
pub mod curation;
pub mod geocache;
pub mod manual;
mod migrations;
pub mod pagecache;
pub mod query;
mod search;
mod store;
mod table;
mod venues;

pub use curation::{AuditEntry, AuditPage, CuratedEvent, CurationError, CONFIG_UNDOABLE};
/// The fields a person may set (and so lock), for the console's forms.
pub use normalize::curation::LOCKABLE;
pub use query::{Cursor, Page, Query, QueryError, Scope, ScopePart};

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use model::{Event, Occurrence, RawEvent, SourceId, Venue};
use rusqlite::{Connection, Transaction};
use serde::Serialize;

use search::{Search, SearchFail, SearchWriter};
use store::{ChangeSet, ReadPool, StoreFail, StoreResult};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("search index {path}: {source}")]
    Search {
        path: String,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl IndexError {
    /// The answer of a run whose writer panicked before it answered (its
    /// answer was dropped unsent, see [`Index::record_success_then`]).
    pub fn lost_run() -> IndexError {
        IndexError::Corrupt(
            "a run was lost by a writer that stopped; run the source again".to_string(),
        )
    }
}

/// A configured source, as the store records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    pub id: SourceId,
    pub name: String,
    /// The configured kind, if any.
    pub kind: Option<String>,
    pub url: String,
}

/// What the store remembers of the last successful fetch of a source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// sha256 of the last body parsed, to skip an unchanged body.
    pub content_hash: Option<String>,
}

/// The result of one successful source run, written in one transaction.
#[derive(Clone, Debug)]
pub struct SourceRun {
    pub source: SourceId,
    pub at: DateTime<Utc>,
    pub duration_ms: u64,
    /// The kind that was read (configured or detected).
    pub kind: Option<String>,
    pub fetch: FetchState,
    /// Every record the source lists now; records it no longer lists go.
    pub records: Vec<RawEvent>,
    /// The occurrences normalized from `records`.
    pub occurrences: Vec<Occurrence>,
    /// Non-fatal problems, kept with the run in the fetch log.
    pub warnings: Vec<String>,
}

/// What the runs of one source since a time did (from the fetch log):
/// what the weekly digest tells (see the binary's `notify`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunsSince {
    pub source: String,
    pub runs: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Events new and updated by its runs.
    pub new: usize,
    pub updated: usize,
}

/// What [`Index::prune`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// Events that ended before the cutoff.
    pub events: usize,
    /// Fetch log rows older than theirs.
    pub fetch_log: usize,
}

/// Counts of one run, over events (occurrences) of that source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    pub found: usize,
    pub new: usize,
    pub updated: usize,
    pub removed: usize,
}

/// The health of a source (`/api/v1/sources`, `babillard sources`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceStatus {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub url: String,
    /// `ok`, `error` or `never`.
    pub status: String,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Stable class of the last error (`timeout`, `status_5xx`, `parse`, ...).
    pub error_class: Option<String>,
    /// Events of this source currently in the store.
    pub events: usize,
    /// Filled by the scheduler, not the store.
    pub next_run: Option<DateTime<Utc>>,
    /// Words the source gave as categories that map to no configured
    /// category, with how many of its records (last successful run) use
    /// each: what the council may want to add to a category's `matches`.
    pub unmapped_categories: BTreeMap<String, usize>,
    /// Problems of the last run that read the source (a broken event, an
    /// unknown time zone, a detail page that failed): the events that could
    /// be read are kept; these say what could not. At most 50.
    pub warnings: Vec<String>,
}

impl SourceStatus {
    /// Read without error but with nothing to show and something to say
    /// (a page where nothing was recognized, a source gone silent): not
    /// "in order", though not failing either.
    pub fn needs_attention(&self) -> bool {
        self.status == "ok" && self.events == 0 && !self.warnings.is_empty()
    }
}

/// How many events match a query, per category and per venue
/// (`/api/v1/categories`, `/api/v1/venues`, the portal's filters).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facets {
    /// Every match.
    pub total: usize,
    /// Category slug → matching events.
    pub categories: BTreeMap<String, usize>,
    /// Each venue (as one of its events names it) and its matching events,
    /// by name.
    pub venues: Vec<(Venue, usize)>,
}

/// Where the search index lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchStorage {
    /// `data_dir/search/`, kept across runs.
    Disk,
    /// In memory, rebuilt from the store on every open (tests, one-shot
    /// commands).
    Ram,
}

/// The write side: the one write connection and the one IndexWriter,
/// behind one lock so that the store and the index change in step.
struct Writer {
    conn: Connection,
    search: SearchWriter,
    /// The stored blockings by key and date (see [`blocks`]).
    blocks: blocks::BlockIndex,
}

/// The meta key of the fingerprint of the territories the stored events
/// were placed in.
const TERRITORIES_KEY: &str = "territories";

/// The store and the search index.
pub struct Index {
    db_path: String,
    search_path: String,
    reads: ReadPool,
    search: Search,
    writer: Mutex<Writer>,
    generation: AtomicU64,
    storage: SearchStorage,
    /// The aggregator's languages, first the one an event is written in
    /// when a member has it (see [`normalize::merge::merge`]), and the
    /// territories events are placed in.
    rules: RwLock<store::Rules>,
    /// Successful runs waiting to be written (see [`Index::record_success`]).
    pending: Mutex<Vec<Pending>>,
    /// Notified (with `pending` held) when runs are in the writer's
    /// transaction and when the writer is free again.
    progress: std::sync::Condvar,
    /// Runs being read or normalized, that will ask to be written soon
    /// (see [`Index::run_coming`]).
    coming: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// A run on its way to [`Index::record_success`] (see
/// [`Index::run_coming`]); dropping it says it is not coming any more.
pub struct RunComing(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for RunComing {
    fn drop(&mut self) {
        self.0.fetch_sub(1, AtomicOrdering::SeqCst);
    }
}

/// A writer with few runs waiting, when more are on their way, waits this
/// long at most for them to join its batch: each batch pays a fixed cost
/// (a transaction, a search commit of ~30 ms), so that many small
/// sources read together are written in a few batches, not one each.
/// A first pass of sources of a thousand occurrences fills the pipeline's
/// queue with eight runs, fewer than [`GATHER_RUNS`], and the writer
/// waits the whole time before most batches (5.3 s of a million
/// occurrences): not waiting once the runs waiting hold 4,096
/// occurrences was slower all the same (171–194 s against 167–170 s,
/// BENCHMARKS.md, session 22), the wait leaving both cores to the runs
/// being read.
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_millis(40);
/// ... and stops waiting once this many runs wait.
const GATHER_RUNS: usize = 16;

/// Where a run's answer goes, once its transaction is committed.
type Answer = Box<dyn FnOnce(Result<RunCounts, IndexError>) + Send>;

/// Called once a run is in the open transaction (see
/// [`Index::record_success_then`]).
type Written = Box<dyn FnOnce() + Send>;

/// A run waiting in [`Index::record_success`], with where its answer goes.
struct Pending {
    run: SourceRun,
    answer: Answer,
    /// Set once the run is in the writer's transaction.
    taken: std::sync::Arc<std::sync::atomic::AtomicBool>,
    written: Option<Written>,
}

/// A batch of runs written together stops growing past this many
/// occurrences (the memory and the time of one clustering stay bounded;
/// a bigger run is written alone).
const BATCH_OCCURRENCES: usize = 50_000;

/// A group of batches written in one transaction and one search commit
/// (see [`Index::write_pending`]) stops growing past this many
/// occurrences...
const GROUP_OCCURRENCES: usize = 65_536;
/// ... or once it has been open this long, so that readers see a first
/// pass progress.
const GROUP_TIME: std::time::Duration = std::time::Duration::from_secs(10);

impl Index {
    /// Open (creating if needed) `data_dir/babillard.sqlite` and
    /// `data_dir/search/`, run migrations, and bring the search index up to
    /// date with the store if a crash left it behind.
    pub fn open(data_dir: &Path) -> Result<Index, IndexError> {
        Index::open_with(data_dir, SearchStorage::Disk)
    }

    /// [`Index::open`], choosing where the search index lives.
    pub fn open_with(data_dir: &Path, storage: SearchStorage) -> Result<Index, IndexError> {
        std::fs::create_dir_all(data_dir).map_err(|source| IndexError::Io {
            path: data_dir.display().to_string(),
            source,
        })?;
        let db_file = data_dir.join("babillard.sqlite");
        let db_path = db_file.display().to_string();
        let search_dir = data_dir.join("search");
        let search_path = match storage {
            SearchStorage::Disk => search_dir.display().to_string(),
            SearchStorage::Ram => "(memory)".to_string(),
        };
        let sql = |source| IndexError::Sqlite {
            path: db_path.clone(),
            source,
        };
        let tantivy_err = |source| IndexError::Search {
            path: search_path.clone(),
            source,
        };

        let mut conn = store::open_connection(&db_file, false).map_err(sql)?;
        let before = migrations::migrate(&mut conn).map_err(sql)?;
        if before > migrations::latest_version() {
            return Err(IndexError::Corrupt(format!(
                "{db_path} is at schema version {before}, newer than this program's {}",
                migrations::latest_version()
            )));
        }
        // The dedup's blockings, computed again when the rule changed.
        {
            let tx = conn.transaction().map_err(sql)?;
            let filled = store::fill_blocks(&tx).map_err(|e| match e {
                StoreFail::Sql(e) => sql(e),
                StoreFail::Corrupt(what) => IndexError::Corrupt(what),
            })?;
            tx.commit().map_err(sql)?;
            if filled > 0 {
                tracing::info!(occurrences = filled, "dedup blockings computed");
            }
        }

        let (search, fresh) = match storage {
            SearchStorage::Ram => (Search::create_in_ram().map_err(tantivy_err)?, true),
            SearchStorage::Disk => match Search::open_dir(&search_dir) {
                Ok(search) => (search, false),
                Err(error) => {
                    if search_dir.exists() {
                        tracing::warn!(
                            path = %search_path,
                            %error,
                            "search index unreadable; rebuilding it from the store"
                        );
                    }
                    reset_dir(&search_dir)?;
                    (Search::create_dir(&search_dir).map_err(tantivy_err)?, true)
                }
            },
        };
        let search_writer = search.writer().map_err(tantivy_err)?;

        let index = Index {
            db_path: db_path.clone(),
            search_path: search_path.clone(),
            reads: ReadPool::new(db_file),
            search,
            writer: Mutex::new(Writer {
                blocks: blocks::BlockIndex::default(),
                conn,
                search: search_writer,
            }),
            generation: AtomicU64::new(0),
            storage,
            rules: RwLock::new(store::Rules::default()),
            pending: Mutex::new(Vec::new()),
            progress: std::sync::Condvar::new(),
            coming: std::sync::Arc::default(),
        };
        {
            let mut guard = index.lock_writer();
            let w = &mut *guard;
            let generation = store::generation(&w.conn).map_err(|e| index.store_err(e))?;
            let indexed = store::search_generation(&w.conn).map_err(|e| index.store_err(e))?;
            let count = store::event_count(&w.conn).map_err(|e| index.store_err(e))?;
            let behind = indexed != Some(generation) || index.search.num_docs() != count;
            if fresh || behind {
                if !fresh {
                    tracing::info!(
                        path = %search_path,
                        "search index behind the store; rebuilding it"
                    );
                }
                match index.reindex_locked(w) {
                    Ok(_) => {}
                    // Another process (`babillard run`) holds the index's
                    // writer and keeps it in step: read what it wrote.
                    Err(IndexError::Search {
                        source: tantivy::TantivyError::LockFailure(..),
                        ..
                    }) if !fresh => {
                        tracing::debug!(path = %search_path, "search index locked by another process");
                    }
                    Err(e) => return Err(e),
                }
            }
            index.generation.store(generation, AtomicOrdering::SeqCst);
        }
        Ok(index)
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while writing left no half-done transaction behind
        // (rusqlite rolls back on drop), so a poisoned lock is usable once
        // the search changes it sent and did not commit are dropped.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| self.recover_writer(poisoned.into_inner()))
    }

    /// The writer a panic left, with the search changes it sent and did
    /// not commit dropped.
    fn recover_writer<'w>(&self, mut w: MutexGuard<'w, Writer>) -> MutexGuard<'w, Writer> {
        if let Err(error) = w.search.rollback() {
            tracing::warn!(%error, "search index rollback failed");
        }
        self.writer.clear_poison();
        w
    }

    fn store_err(&self, fail: StoreFail) -> IndexError {
        match fail {
            StoreFail::Sql(source) => IndexError::Sqlite {
                path: self.db_path.clone(),
                source,
            },
            StoreFail::Corrupt(what) => IndexError::Corrupt(what),
        }
    }

    fn search_err(&self, fail: SearchFail) -> IndexError {
        match fail {
            SearchFail::Tantivy(source) => IndexError::Search {
                path: self.search_path.clone(),
                source,
            },
            SearchFail::Corrupt(what) => IndexError::Corrupt(what),
        }
    }

    /// Run one write transaction, then bring the search index in step
    /// with what it changed.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> StoreResult<(T, ChangeSet)>,
    ) -> Result<T, IndexError> {
        let mut guard = self.lock_writer();
        self.write_locked(&mut guard, |tx, _| f(tx))
    }

    /// [`Index::write`], the writer already held.
    fn write_locked<T>(
        &self,
        w: &mut Writer,
        f: impl FnOnce(&Transaction<'_>, &mut blocks::BlockIndex) -> StoreResult<(T, ChangeSet)>,
    ) -> Result<T, IndexError> {
        let started = std::time::Instant::now();
        let tx = w.conn.transaction().map_err(|e| self.store_err(e.into()))?;
        let (out, changes) = f(&tx, &mut w.blocks).map_err(|e| self.store_err(e))?;
        tx.commit().map_err(|e| self.store_err(e.into()))?;
        let stored = started.elapsed();
        if !changes.is_empty() {
            self.apply_changes(w, &changes)?;
        }
        tracing::debug!(
            sql_ms = stored.as_millis() as u64,
            search_ms = (started.elapsed() - stored).as_millis() as u64,
            upserted = changes.upserted.len(),
            removed = changes.removed.len(),
            "store write"
        );
        Ok(out)
    }

    /// Take the runs waiting, as many as one batch holds (at least one).
    fn take_batch(&self) -> Vec<Pending> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut size = 0usize;
        let mut take = 0usize;
        let mut sources = HashSet::new();
        for p in pending.iter() {
            size += p.run.occurrences.len();
            if take > 0 && size > BATCH_OCCURRENCES {
                break;
            }
            // One run per source: a batch writes its runs' new
            // occurrences after clustering them all (`store::apply_batch`),
            // and a source's next run goes on from its last.
            if !sources.insert(p.run.source.as_str()) {
                break;
            }
            take += 1;
        }
        pending.drain(..take).collect()
    }

    /// Write the runs waiting in one transaction and one search commit,
    /// and give each its answer: a batch (see [`Index::take_batch`]), then,
    /// while more runs wait (a first pass: the writer is the bottleneck),
    /// the next batches in the same transaction, up to
    /// [`GROUP_OCCURRENCES`] or [`GROUP_TIME`]. Each batch is clustered and
    /// its events rebuilt as if committed alone, then its runs are
    /// released (their memory, and their places in the pipeline's queue:
    /// the next runs are read meanwhile) but answered only after the
    /// commit. Fewer commits, because each commit writes every page it
    /// dirtied to the WAL, and the b-trees keyed by hashes (ids) and by
    /// start have new rows on most of their pages in every batch: at a
    /// million occurrences, half the bytes written and a tenth of the time
    /// (BENCHMARKS.md, session 12).
    ///
    /// Each batch is a savepoint: when it fails, each of its runs is
    /// written alone, so that a run's error is its own and the group's
    /// other runs still land. When the transaction itself is lost (SQLite
    /// rolled it back on a full disk or an I/O error), nothing of the
    /// group is committed and every run of it gets the error.
    fn write_pending(&self, w: &mut Writer) -> bool {
        let started = std::time::Instant::now();
        let rules = self.rules();
        let mut answers: Vec<(Answer, Result<RunCounts, IndexError>)> = Vec::new();
        let mut changed = false;
        let mut search: Result<(), SearchFail> = Ok(());
        let (mut occurrences, mut batches) = (0usize, 0usize);
        // Time spent handing the batches' changes to the search index, and
        // waiting for runs between batches.
        let (mut sent, mut gathered) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        let Writer {
            conn,
            search: search_writer,
            blocks,
        } = &mut *w;
        let tx = match conn.transaction() {
            Ok(tx) => tx,
            Err(error) => {
                let batch = self.take_batch();
                let failed = !batch.is_empty();
                let error = self.store_err(error.into());
                self.mark_taken(&batch);
                self.answer_all(
                    batch
                        .into_iter()
                        .map(|p| (p.answer, Err(clone_error(&error)))),
                );
                return failed;
            }
        };
        // Set when the transaction cannot be committed any more.
        let mut lost: Option<IndexError> = None;
        loop {
            let batch = self.take_batch();
            if batch.is_empty() {
                break;
            }
            batches += 1;
            occurrences += batch.iter().map(|p| p.run.occurrences.len()).sum::<usize>();
            let runs: Vec<&SourceRun> = batch.iter().map(|p| &p.run).collect();
            let written: Vec<Result<(Vec<RunCounts>, ChangeSet), Undone>> = match savepoint(
                &tx,
                || store::apply_batch(&tx, &runs, &rules, blocks),
            ) {
                Ok(done) => vec![Ok(done)],
                Err(Undone::Alone(fail)) if batch.len() > 1 => {
                    tracing::warn!(error = ?fail, runs = batch.len(), "a batch of runs failed; writing each alone");
                    let mut each = Vec::with_capacity(runs.len());
                    for run in &runs {
                        let outcome =
                            savepoint(&tx, || store::apply_success(&tx, run, &rules, blocks))
                                .map(|(counts, changes)| (vec![counts], changes));
                        let gone = matches!(outcome, Err(Undone::Everything(_)));
                        each.push(outcome);
                        if gone {
                            break;
                        }
                    }
                    each
                }
                Err(undone) => vec![Err(undone)],
            };
            let mut counts = Vec::with_capacity(batch.len());
            for outcome in written {
                match outcome {
                    Ok((each, changes)) => {
                        if !changes.is_empty() {
                            changed = true;
                            if search.is_ok() {
                                let sending = std::time::Instant::now();
                                search = send_changes(search_writer, &changes);
                                sent += sending.elapsed();
                            }
                        }
                        counts.extend(each.into_iter().map(Ok));
                    }
                    Err(Undone::Alone(fail)) => counts.push(Err(self.store_err(fail))),
                    Err(Undone::Everything(fail)) => {
                        let error = self.store_err(fail);
                        counts.push(Err(clone_error(&error)));
                        lost = Some(error);
                    }
                }
            }
            // A batch written whole has one answer per run; a lost
            // transaction answers the rest of the batch with its error.
            while counts.len() < batch.len() {
                counts.push(Err(match &lost {
                    Some(error) => clone_error(error),
                    None => {
                        IndexError::Corrupt("a run of a failed batch got no answer".to_string())
                    }
                }));
            }
            // The runs' memory goes now, their callers are free to go on;
            // their answers after the commit.
            self.mark_taken(&batch);
            for (p, answer) in batch.into_iter().zip(counts) {
                if let Some(written) = p.written {
                    written();
                }
                answers.push((p.answer, answer));
            }
            if lost.is_some() || occurrences >= GROUP_OCCURRENCES || started.elapsed() >= GROUP_TIME
            {
                break;
            }
            let gathering = std::time::Instant::now();
            self.gather();
            gathered += gathering.elapsed();
        }
        if answers.is_empty() {
            return false;
        }
        let sql_started = std::time::Instant::now();
        let committed = match lost {
            // Nothing of the group lands: every run gets the error (its
            // source keeps its last good events).
            Some(error) => {
                drop(tx);
                Err(error)
            }
            None => tx.commit().map_err(|e| self.store_err(e.into())),
        };
        let commit_ms = sql_started.elapsed().as_millis() as u64;
        let stored = started.elapsed();
        match committed {
            Ok(()) => {
                if changed {
                    let outcome = search.and_then(|()| {
                        let committing = std::time::Instant::now();
                        w.search.commit()?;
                        metrics::histogram!("babillard_index_commit_seconds")
                            .record(committing.elapsed().as_secs_f64());
                        Ok(())
                    });
                    if let Err(error) = self.search_committed(w, outcome) {
                        // As for any write (see `write_locked`): the store
                        // holds the runs, the search index is rebuilt from
                        // it on the next open.
                        for (_, answer) in &mut answers {
                            if answer.is_ok() {
                                *answer = Err(clone_error(&error));
                            }
                        }
                    }
                }
            }
            Err(error) => {
                if let Err(error) = w.search.rollback() {
                    tracing::warn!(%error, "search index rollback failed");
                }
                for (_, answer) in &mut answers {
                    if answer.is_ok() {
                        *answer = Err(clone_error(&error));
                    }
                }
            }
        }
        tracing::debug!(
            sql_ms = stored.as_millis() as u64,
            commit_ms,
            search_ms = (started.elapsed() - stored).as_millis() as u64,
            send_ms = sent.as_millis() as u64,
            gather_ms = gathered.as_millis() as u64,
            batches,
            runs = answers.len(),
            occurrences,
            "store write"
        );
        self.answer_all(answers);
        true
    }

    /// Give each run its answer.
    fn answer_all(
        &self,
        answers: impl IntoIterator<Item = (Answer, Result<RunCounts, IndexError>)>,
    ) {
        for (answer, result) in answers {
            answer(result);
        }
    }

    /// Say that `batch`'s runs are in the writer's transaction: their
    /// callers stop waiting (see [`Index::record_success_then`]).
    fn mark_taken(&self, batch: &[Pending]) {
        let _pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for p in batch {
            p.taken.store(true, AtomicOrdering::SeqCst);
        }
        self.progress.notify_all();
    }

    /// Send committed changes to the search index, commit it, reload the
    /// reader, then publish the new generation.
    fn apply_changes(&self, w: &mut Writer, changes: &ChangeSet) -> Result<(), IndexError> {
        let outcome = send_changes(&mut w.search, changes).and_then(|()| {
            let committing = std::time::Instant::now();
            w.search.commit()?;
            metrics::histogram!("babillard_index_commit_seconds")
                .record(committing.elapsed().as_secs_f64());
            Ok(())
        });
        self.search_committed(w, outcome)
    }

    /// After the store's commit, the search index's: reload the reader and
    /// publish the new generation, or, when sending the changes or the
    /// commit failed, rebuild the index from the store.
    fn search_committed(
        &self,
        w: &mut Writer,
        outcome: Result<(), SearchFail>,
    ) -> Result<(), IndexError> {
        let generation = store::generation(&w.conn).map_err(|e| self.store_err(e))?;
        if let Err(fail) = outcome {
            tracing::warn!(error = ?fail, "search index update failed; rebuilding it");
            if let Err(error) = w.search.rollback() {
                tracing::warn!(%error, "search index rollback failed");
            }
            // The store is committed: a full rebuild makes the index whole.
            self.reindex_locked(w)?;
        } else {
            if self.storage == SearchStorage::Disk {
                store::set_search_generation(&w.conn, generation).map_err(|e| self.store_err(e))?;
            }
            self.search
                .reload()
                .map_err(|e| self.search_err(e.into()))?;
        }
        self.generation.store(generation, AtomicOrdering::SeqCst);
        Ok(())
    }

    /// Rebuild the search index from the store, the write lock held.
    fn reindex_locked(&self, w: &mut Writer) -> Result<usize, IndexError> {
        let generation = store::generation(&w.conn).map_err(|e| self.store_err(e))?;
        w.search
            .delete_all()
            .map_err(|e| self.search_err(e.into()))?;
        let search = &mut w.search;
        let count = store::for_each_event(
            &w.conn,
            |fail| self.store_err(fail),
            |event, json| search.upsert(&event, json).map_err(|e| self.search_err(e)),
        );
        let count = match count {
            Ok(n) => n,
            Err(error) => {
                if let Err(e) = w.search.rollback() {
                    tracing::warn!(error = %e, "search index rollback failed");
                }
                return Err(error);
            }
        };
        w.search.commit().map_err(|e| self.search_err(e.into()))?;
        if self.storage == SearchStorage::Disk {
            store::set_search_generation(&w.conn, generation).map_err(|e| self.store_err(e))?;
        }
        self.search
            .reload()
            .map_err(|e| self.search_err(e.into()))?;
        Ok(count)
    }

    /// Record the configured sources (insert or update name, kind, url).
    /// Sources no longer configured are removed with their records and
    /// events. A source whose url or kind changed forgets its validators
    /// (ETag, Last-Modified, content hash), so its next run reads it anew.
    pub fn sync_sources(&self, sources: &[SourceInfo]) -> Result<(), IndexError> {
        let rules = self.rules();
        self.write(|tx| {
            let changes = store::sync_sources(tx, sources, Utc::now(), &rules)?;
            Ok(((), changes))
        })
    }

    /// The aggregator's languages (`[aggregator] languages`), first the
    /// preferred: an event's title and description then come from a member
    /// in the first language when one has it, the others filling its
    /// translations. Events rebuilt from now on follow them.
    pub fn set_languages(&self, languages: Vec<String>) {
        match self.rules.write() {
            Ok(mut guard) => guard.languages = languages,
            Err(poisoned) => poisoned.into_inner().languages = languages,
        }
    }

    /// The territories (`[[territory]]`) events are placed in from now on.
    /// When they differ from those the stored events were placed with (a
    /// fingerprint kept in the store), every event is placed again, at
    /// once: returns how many changed.
    pub fn set_territories(
        &self,
        territories: std::sync::Arc<normalize::territory::Territories>,
    ) -> Result<usize, IndexError> {
        match self.rules.write() {
            Ok(mut guard) => guard.territories = std::sync::Arc::clone(&territories),
            Err(poisoned) => {
                poisoned.into_inner().territories = std::sync::Arc::clone(&territories)
            }
        }
        let fingerprint = territories.fingerprint();
        self.write(|tx| {
            if store::get_meta(tx, TERRITORIES_KEY)?.as_deref() == Some(fingerprint.as_str()) {
                return Ok((0, store::ChangeSet::default()));
            }
            let changes = store::retag_territories(tx, &territories)?;
            store::set_meta(tx, TERRITORIES_KEY, &fingerprint)?;
            Ok((changes.upserted.len(), changes))
        })
    }

    fn rules(&self) -> store::Rules {
        match self.rules.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn fetch_state(&self, source: &SourceId) -> Result<FetchState, IndexError> {
        self.reads
            .with(|conn| store::fetch_state(conn, source))
            .map_err(|e| self.store_err(e))
    }

    /// Apply a successful run in one transaction, then update the search
    /// index for the events it touched.
    ///
    /// Runs recorded while another is being written wait for it, then the
    /// first of them writes all that wait in one batch (a group commit),
    /// and the batches that keep coming in the same transaction (see
    /// [`Index::write_pending`]): a first pass over hundreds of sources
    /// costs a few transactions and search commits, not one each. Each
    /// caller gets its own run's counts.
    pub fn record_success(&self, run: SourceRun) -> Result<RunCounts, IndexError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.record_success_then(
            run,
            None,
            Box::new(move |answer| {
                // The caller waits below; it cannot have gone.
                let _ = tx.send(answer);
            }),
        );
        rx.recv().unwrap_or_else(|_| Err(IndexError::lost_run()))
    }

    /// [`Index::record_success`] without waiting for the commit: returns
    /// once the run is in the writer's transaction (its memory gone; a
    /// caller may let the next run be read), and `answer` is called with
    /// its counts after the commit (by the thread that writes; dropped
    /// unanswered only when that thread panicked). `written`, when given,
    /// is called by the writer as soon as the run is in the transaction,
    /// the transaction still open (tests hold the writer there).
    ///
    /// The calling thread writes the runs waiting when no other thread
    /// does; else it waits until its run is taken, so that a first pass
    /// over a thousand sources does not keep a thousand threads waiting
    /// for commits.
    pub fn record_success_then(
        &self,
        run: SourceRun,
        written: Option<Box<dyn FnOnce() + Send>>,
        answer: Box<dyn FnOnce(Result<RunCounts, IndexError>) + Send>,
    ) {
        let taken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Pending {
                run,
                answer,
                taken: std::sync::Arc::clone(&taken),
                written,
            });
        loop {
            if taken.load(AtomicOrdering::SeqCst) {
                return;
            }
            let guard = match self.writer.try_lock() {
                Ok(guard) => Some(guard),
                Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                    Some(self.recover_writer(poisoned.into_inner()))
                }
                Err(std::sync::TryLockError::WouldBlock) => None,
            };
            let Some(mut guard) = guard else {
                // Another thread writes: wait until it takes this run or
                // is done (the timeout covers a wake-up missed between
                // `try_lock` and the wait).
                let pending = self
                    .pending
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if !taken.load(AtomicOrdering::SeqCst) {
                    let _ = self
                        .progress
                        .wait_timeout(pending, std::time::Duration::from_millis(20));
                }
                continue;
            };
            if taken.load(AtomicOrdering::SeqCst) {
                return;
            }
            self.gather();
            let wrote = self.write_pending(&mut guard);
            drop(guard);
            // Waiting callers whose runs are still queued may write now.
            {
                let _pending = self
                    .pending
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                self.progress.notify_all();
            }
            if !wrote && !taken.load(AtomicOrdering::SeqCst) {
                // Taken by a writer that panicked: its answer was dropped
                // with it (the caller hears of it as a lost run).
                return;
            }
        }
    }

    /// Say that a run is being read and will soon call
    /// [`Index::record_success`] (or give up: drop the answer): a writer
    /// with few runs waiting waits briefly for the runs coming, so that
    /// they are written in one batch.
    pub fn run_coming(&self) -> RunComing {
        self.coming.fetch_add(1, AtomicOrdering::SeqCst);
        RunComing(std::sync::Arc::clone(&self.coming))
    }

    /// Hold the writer (the caller does) until [`GATHER_RUNS`] runs wait,
    /// no run is coming, or [`GATHER_WAIT`] has passed.
    fn gather(&self) {
        let started = std::time::Instant::now();
        while started.elapsed() < GATHER_WAIT && self.coming.load(AtomicOrdering::SeqCst) > 0 {
            let waiting = self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .len();
            if waiting >= GATHER_RUNS {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// The source answered 304 or an identical body: nothing to parse or
    /// write beyond the fetch time.
    pub fn record_unchanged(
        &self,
        source: &SourceId,
        at: DateTime<Utc>,
        duration_ms: u64,
    ) -> Result<RunCounts, IndexError> {
        self.write(|tx| {
            let counts = store::apply_unchanged(tx, source, at, duration_ms)?;
            Ok((counts, ChangeSet::default()))
        })
    }

    /// The run failed: keep every event, remember the error.
    pub fn record_failure(
        &self,
        source: &SourceId,
        at: DateTime<Utc>,
        duration_ms: u64,
        class: &str,
        message: &str,
    ) -> Result<(), IndexError> {
        self.write(|tx| {
            store::apply_failure(tx, source, at, duration_ms, class, message)?;
            Ok(((), ChangeSet::default()))
        })
    }

    /// Delete the events that ended before `events_before` and the fetch
    /// log rows older than `log_before`, from the store and the search
    /// index, in one transaction.
    pub fn prune(
        &self,
        events_before: DateTime<Utc>,
        log_before: DateTime<Utc>,
    ) -> Result<Pruned, IndexError> {
        self.write(|tx| {
            let (events, fetch_log, changes) = store::prune(tx, events_before, log_before)?;
            Ok((Pruned { events, fetch_log }, changes))
        })
    }

    /// Read the files of the search index once, so that the operating
    /// system holds them in its page cache before queries need them (the
    /// index is memory-mapped: a first query after its files left the
    /// cache reads postings from disk, ten milliseconds and more at a
    /// million events), up to half the memory the system says is available
    /// (`MemAvailable`; all of it when that is unknown): on a server with
    /// less free memory than the index, reading it all would only push
    /// other pages out. Returns the bytes read. `serve` and `run` call it
    /// on a thread of its own at start.
    pub fn warm_search(&self) -> u64 {
        let budget = available_memory().map_or(u64::MAX, |bytes| bytes / 2);
        self.warm_search_within(budget)
    }

    /// [`Index::warm_search`] reading at most `budget` bytes: the files
    /// queries read first (term dictionaries, postings, fast fields) before
    /// the stored documents, which a page of results reads only fifty of.
    /// A file that cannot be read is passed over (this only warms a cache).
    pub fn warm_search_within(&self, budget: u64) -> u64 {
        if self.storage == SearchStorage::Ram {
            return 0;
        }
        let Ok(entries) = std::fs::read_dir(&self.search_path) else {
            return 0;
        };
        let mut files: Vec<std::path::PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        let stored = |p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "store");
        files.sort_by_key(|p| (stored(p), p.clone()));
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        for path in files {
            let Ok(mut file) = std::fs::File::open(&path) else {
                continue;
            };
            loop {
                let left = usize::try_from(budget.saturating_sub(total)).unwrap_or(usize::MAX);
                let want = left.min(buf.len());
                if want == 0 {
                    return total;
                }
                match std::io::Read::read(&mut file, buf.get_mut(..want).unwrap_or_default()) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n as u64,
                }
            }
        }
        total
    }

    /// Rebuild the search index from the store; returns the event count.
    pub fn reindex(&self) -> Result<usize, IndexError> {
        let mut guard = self.lock_writer();
        self.reindex_locked(&mut guard)
    }

    /// One page of the events matching `query`, from the search index
    /// alone. `limit` is clamped to 1..=1000.
    pub fn query(&self, query: &Query) -> Result<Page, IndexError> {
        self.search.query(query).map_err(|e| self.search_err(e))
    }

    /// The answer of [`Index::query`] through tantivy's clauses alone,
    /// without the search tables (what a segment holding more than 64
    /// categories or territories gets): for the tests and benchmarks that
    /// compare both paths.
    pub fn query_by_clauses(&self, query: &Query) -> Result<Page, IndexError> {
        self.search
            .query_by_clauses(query)
            .map_err(|e| self.search_err(e))
    }

    /// Counts of the events matching `query` per category and per venue;
    /// its `limit` and `cursor` are ignored.
    pub fn facets(&self, query: &Query) -> Result<Facets, IndexError> {
        self.search.facets(query).map_err(|e| self.search_err(e))
    }

    pub fn event(&self, id: &str) -> Result<Option<Event>, IndexError> {
        self.reads
            .with(|conn| store::event(conn, id))
            .map_err(|e| self.store_err(e))
    }

    pub fn sources(&self) -> Result<Vec<SourceStatus>, IndexError> {
        self.reads
            .with(store::sources)
            .map_err(|e| self.store_err(e))
    }

    /// What `/metrics` shows of the store: events by status (`hidden` for
    /// those curation keeps out of public answers), the database's size on
    /// disk (with its write-ahead log) and the search index's.
    pub fn stats(&self) -> Result<StoreStats, IndexError> {
        let events_by_status = self
            .reads
            .with(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT CASE WHEN hidden = 1 THEN 'hidden'
                            ELSE COALESCE(json_extract(json, '$.status'), 'scheduled') END,
                            COUNT(*)
                     FROM events GROUP BY 1 ORDER BY 1",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .map_err(|e| self.store_err(e))?;
        let file_len = |p: &str| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let db_bytes = file_len(&self.db_path) + file_len(&format!("{}-wal", self.db_path));
        let index_bytes = match self.storage {
            SearchStorage::Disk => dir_bytes(Path::new(&self.search_path)),
            SearchStorage::Ram => 0,
        };
        Ok(StoreStats {
            events_by_status,
            db_bytes,
            index_bytes,
        })
    }

    /// Per source, what its runs logged at or after `since` did (sources
    /// with no run then are absent); in source order.
    pub fn runs_since(&self, since: DateTime<Utc>) -> Result<Vec<RunsSince>, IndexError> {
        self.reads
            .with(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT f.source, COUNT(*), SUM(f.outcome = 'error'), SUM(f.new), SUM(f.updated)
                     FROM fetch_log f JOIN sources s ON s.id = f.source
                     WHERE f.at >= ?1 GROUP BY f.source ORDER BY MIN(s.ord), f.source",
                )?;
                let count = |v: i64| usize::try_from(v).unwrap_or(0);
                let rows = stmt.query_map([store::ts(since)], |r| {
                    Ok(RunsSince {
                        source: r.get(0)?,
                        runs: count(r.get(1)?),
                        failed: count(r.get(2)?),
                        new: count(r.get(3)?),
                        updated: count(r.get(4)?),
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .map_err(|e| self.store_err(e))
    }

    /// The notifier's state of `source` (see the binary's `notify`), kept
    /// across restarts: an opaque text, None when nothing is pending.
    pub fn notice_state(&self, source: &str) -> Result<Option<String>, IndexError> {
        let key = format!("notify/{source}");
        self.reads
            .with(|conn| store::get_meta(conn, &key))
            .map_err(|e| self.store_err(e))
    }

    /// Keep (or, with None, forget) the notifier's state of `source`.
    pub fn set_notice_state(&self, source: &str, value: Option<&str>) -> Result<(), IndexError> {
        let key = format!("notify/{source}");
        let guard = self.lock_writer();
        let result = match value {
            Some(v) => store::set_meta(&guard.conn, &key, v),
            None => guard
                .conn
                .execute("DELETE FROM meta WHERE key = ?1", [&key])
                .map(|_| ())
                .map_err(Into::into),
        };
        result.map_err(|e| self.store_err(e))
    }

    /// Grows on every commit that changed published data; part of ETags.
    pub fn generation(&self) -> u64 {
        self.generation.load(AtomicOrdering::SeqCst)
    }

    /// Ok when the database and the search index answer.
    pub fn health(&self) -> Result<(), IndexError> {
        self.reads
            .with(|conn| {
                let one: i64 = conn.query_row("SELECT 1", [], |r| r.get(0))?;
                if one == 1 {
                    Ok(())
                } else {
                    Err(StoreFail::Corrupt(
                        "SELECT 1 answered otherwise".to_string(),
                    ))
                }
            })
            .map_err(|e| self.store_err(e))?;
        self.search.ping().map_err(|e| self.search_err(e.into()))
    }
}

/// See [`Index::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// (status, events), in status order.
    pub events_by_status: Vec<(String, u64)>,
    pub db_bytes: u64,
    pub index_bytes: u64,
}

/// Send a write's changes to the search index (committed later).
fn send_changes(search: &mut SearchWriter, changes: &ChangeSet) -> Result<(), SearchFail> {
    for id in &changes.removed {
        search.remove(id)?;
    }
    for upserted in &changes.upserted {
        if upserted.new {
            search.add(&upserted.event, &upserted.json)?;
        } else {
            search.upsert(&upserted.event, &upserted.json)?;
        }
    }
    Ok(())
}

/// The memory the system says is available (`MemAvailable` of
/// `/proc/meminfo`), in bytes; None where it does not say.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Why a savepoint's work did not land.
enum Undone {
    /// Its writes are undone; the transaction goes on.
    Alone(StoreFail),
    /// The transaction itself is gone or cannot be trusted (SQLite rolled
    /// it back on an I/O or full-disk error, or the savepoint could not be
    /// undone): nothing of it may be committed.
    Everything(StoreFail),
}

/// Run `f` in a savepoint of `tx`: what it wrote stays when it succeeds
/// and is undone when it fails.
fn savepoint<T>(tx: &Transaction<'_>, f: impl FnOnce() -> StoreResult<T>) -> Result<T, Undone> {
    tx.execute_batch("SAVEPOINT batch")
        .map_err(|e| Undone::Everything(e.into()))?;
    match f() {
        Ok(out) => match tx.execute_batch("RELEASE batch") {
            Ok(()) => Ok(out),
            Err(e) => Err(Undone::Everything(e.into())),
        },
        // After some errors SQLite has rolled the whole transaction back:
        // the connection is back in autocommit mode, and what follows
        // would be written statement by statement.
        Err(fail) if tx.is_autocommit() => Err(Undone::Everything(fail)),
        Err(fail) => match tx.execute_batch("ROLLBACK TO batch; RELEASE batch") {
            Ok(()) => Err(Undone::Alone(fail)),
            Err(_) => Err(Undone::Everything(fail)),
        },
    }
}

/// The same error for every run of a group that failed together.
fn clone_error(error: &IndexError) -> IndexError {
    match error {
        IndexError::Sqlite {
            path,
            source: rusqlite::Error::SqliteFailure(code, message),
        } => IndexError::Sqlite {
            path: path.clone(),
            source: rusqlite::Error::SqliteFailure(*code, message.clone()),
        },
        IndexError::Sqlite { path, source } => IndexError::Sqlite {
            path: path.clone(),
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(source.to_string()),
            ),
        },
        other => IndexError::Corrupt(other.to_string()),
    }
}

/// The bytes of the files under `dir` (0 when unreadable).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Empty `dir` (or remove a file in its place) and create it again.
fn reset_dir(dir: &Path) -> Result<(), IndexError> {
    let io = |source| IndexError::Io {
        path: dir.display().to_string(),
        source,
    };
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dir).map_err(io)?,
        Ok(_) => std::fs::remove_file(dir).map_err(io)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    std::fs::create_dir_all(dir).map_err(io)
}
