//! The WAL's checkpoints, on a thread of their own.
//!
//! In WAL mode every commit appends the pages it changed to the log, and
//! a checkpoint copies them back into the database file and syncs it.
//! SQLite's automatic checkpoint runs inside the committing call, on the
//! writer's one thread: at a million occurrences each group of batches
//! (see `Index::write_pending`) changes about 200 MB of pages, and copying
//! and syncing them held the writer for about a tenth of a first pass
//! while the second core waited. Here the writer's connection hands every
//! commit to this thread instead (its WAL hook, which replaces SQLite's
//! automatic checkpoint, [`Checkpointer::attach`]); the thread's own
//! connection copies what is committed (`PASSIVE`: it never waits for the
//! writer or a reader, and copies what no reader still needs) while the
//! writer goes on.
//!
//! The log restarts from its start only when a write transaction begins
//! after a checkpoint copied all of it. A writer always busy would begin
//! its next transaction before the checkpoint of its last commit is done,
//! and the log would grow for the whole pass; so once the log holds more
//! than [`LOG_BOUND_FRAMES`], the writer waits for the checkpoint of its
//! last commit before beginning ([`Checkpointer::before_write`]), and the
//! log restarts. A long reader can still hold the log (as with SQLite's
//! own checkpoint).

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::Connection;

/// Past this many frames in the log (about 1 GB of 4 KB pages), the
/// writer waits for the checkpoint it asked before writing again.
const LOG_BOUND_FRAMES: i64 = 262_144;

/// A commit asks for a checkpoint once the log grew by this many frames
/// since the last one asked (SQLite's own automatic checkpoint waits for
/// as many): the server's small writes (a person's correction, the search
/// generation after a commit) do not each copy and sync the database.
const ASK_FRAMES: i64 = 1_000;

#[derive(Default)]
struct State {
    /// The writer's commits so far.
    commits: u64,
    /// The commits the last checkpoint asked for covers, and the last one
    /// done.
    asked: u64,
    done: u64,
    /// The frames in the log after the writer's last commit, and when the
    /// last checkpoint was asked for.
    log_frames: i64,
    asked_at_frames: i64,
    stop: bool,
}

impl State {
    /// Ask for a checkpoint of every commit so far.
    fn ask(&mut self) {
        self.asked = self.commits;
        self.asked_at_frames = self.log_frames;
    }
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is counters: a panic elsewhere leaves them usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The checkpointing thread of one database (see the module doc).
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// [`LOG_BOUND_FRAMES`], smaller in tests.
    bound_frames: i64,
}

impl Checkpointer {
    /// Open a connection of its own to `path` and start the thread; then
    /// [`Checkpointer::attach`] the writer's connection.
    pub(crate) fn start(path: &Path) -> std::io::Result<Checkpointer> {
        Checkpointer::bounded(path, LOG_BOUND_FRAMES)
    }

    /// [`Checkpointer::start`] with the log's bound in frames.
    fn bounded(path: &Path, bound_frames: i64) -> std::io::Result<Checkpointer> {
        let conn = crate::store::open_connection(path, false).map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("babillard-checkpoint".to_string())
                .spawn(move || run(&conn, &shared))?
        };
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
            bound_frames,
        })
    }

    /// Make every commit of `conn` (the writer's: transactions and single
    /// statements alike) ask this thread for a checkpoint, instead of
    /// checkpointing in the commit (SQLite's WAL hook; setting the
    /// `wal_autocheckpoint` pragma on `conn` afterwards would undo it).
    pub(crate) fn attach(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        let shared = Arc::clone(&self.shared);
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, frames: i32| {
            let mut state = shared.lock();
            state.commits = state.commits.wrapping_add(1);
            state.log_frames = i64::from(frames);
            // Grown enough, or restarted since.
            let grown = state.log_frames - state.asked_at_frames;
            if grown >= ASK_FRAMES || grown < 0 {
                state.ask();
                shared.changed.notify_all();
            }
            Ok(())
        }))
    }

    /// Before a write transaction begins: when the log is long, wait for
    /// a checkpoint of every commit, so that the log restarts.
    pub(crate) fn before_write(&self) {
        let mut state = self.shared.lock();
        if state.log_frames <= self.bound_frames {
            return;
        }
        if state.asked != state.commits {
            state.ask();
            self.shared.changed.notify_all();
        }
        let asked = state.asked;
        while state.done != asked && !state.stop {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Ask for a checkpoint of every commit so far and wait for it.
    #[cfg(test)]
    fn settle(&self) {
        let mut state = self.shared.lock();
        state.ask();
        self.shared.changed.notify_all();
        let asked = state.asked;
        while state.done != asked && !state.stop {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!("the checkpoint thread panicked");
            }
        }
    }
}

/// The thread: a checkpoint for each batch of asks, until stopped.
fn run(conn: &Connection, shared: &Shared) {
    loop {
        let asked = {
            let mut state = shared.lock();
            while state.done == state.asked && !state.stop {
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.stop {
                return;
            }
            state.asked
        };
        let started = std::time::Instant::now();
        // (busy, frames in the log, frames copied); busy only when another
        // checkpoint (another process's) runs.
        let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
        match outcome {
            Ok((busy, log, copied)) => tracing::debug!(
                busy,
                log,
                copied,
                ms = started.elapsed().as_millis() as u64,
                "wal checkpoint"
            ),
            Err(error) => tracing::warn!(%error, "wal checkpoint failed"),
        }
        let mut state = shared.lock();
        state.done = asked;
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer's connection whose commits go to the thread, with a table.
    fn writer(path: &Path) -> (Connection, Checkpointer) {
        writer_bounded(path, LOG_BOUND_FRAMES)
    }

    fn writer_bounded(path: &Path, bound_frames: i64) -> (Connection, Checkpointer) {
        let mut conn = crate::store::open_connection(path, false).expect("open");
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .expect("table");
        let checkpointer = Checkpointer::bounded(path, bound_frames).expect("thread");
        checkpointer.attach(&mut conn).expect("hook");
        (conn, checkpointer)
    }

    /// One transaction of `rows` rows of 2 KB (about one page each).
    fn write(conn: &mut Connection, rows: usize) {
        let tx = conn.transaction().expect("begin");
        {
            let mut insert = tx
                .prepare("INSERT INTO t (body) VALUES (?1)")
                .expect("insert");
            for i in 0..rows {
                insert.execute([format!("{i:>2048}")]).expect("row");
            }
        }
        tx.commit().expect("commit");
    }

    fn len(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn the_writer_commits_without_copying_and_the_thread_copies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("c.sqlite");
        let wal = dir.path().join("c.sqlite-wal");
        let (mut conn, checkpointer) = writer(&db);
        checkpointer.settle();
        // With the thread stopped, a commit of 2,000 pages (past SQLite's
        // own automatic checkpoint, at 1,000) copies nothing back.
        let before = len(&db);
        let (mut quiet, stopped) = writer(&dir.path().join("q.sqlite"));
        drop(stopped);
        let quiet_before = len(&dir.path().join("q.sqlite"));
        write(&mut quiet, 2_000);
        assert_eq!(
            len(&dir.path().join("q.sqlite")),
            quiet_before,
            "the writer checkpointed in its commit"
        );
        // With the thread, the same commit reaches the database file.
        write(&mut conn, 2_000);
        checkpointer.settle();
        assert!(
            len(&db) > before + 4_000_000,
            "the rows were not copied into the database file: {} bytes",
            len(&db)
        );
        assert!(len(&wal) > 0, "the log is there until the last close");
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, 2_000);
    }

    #[test]
    fn a_writer_that_waits_past_the_bound_keeps_the_log_short() {
        // 300 frames at most before a wait; each transaction ~100 pages.
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("c.sqlite");
        let wal = dir.path().join("c.sqlite-wal");
        let (mut conn, checkpointer) = writer_bounded(&db, 300);
        let mut longest = 0;
        for i in 0..60 {
            checkpointer.before_write();
            write(&mut conn, 100);
            // As the index's writer does after a commit: one more small
            // write on its own, which the checkpoint must cover too.
            conn.execute("INSERT INTO t (body) VALUES (?1)", [format!("mark {i}")])
                .expect("mark");
            longest = longest.max(len(&wal));
        }
        // Without the waits the log holds all 60 transactions (~25 MB);
        // with them it restarts once past 300 frames, so it never holds
        // much more than the bound and the two transactions written while
        // the last checkpoint ran.
        assert!(longest < 800 * 4_120, "the log grew to {longest} bytes");
    }

    #[test]
    fn small_commits_wait_for_a_thousand_frames_before_a_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("c.sqlite");
        let (mut conn, checkpointer) = writer(&db);
        for _ in 0..20 {
            write(&mut conn, 3);
        }
        {
            let state = checkpointer.shared.lock();
            assert_eq!(state.commits, 20);
            assert_eq!(state.asked, 0, "a checkpoint asked for a few pages");
        }
        write(&mut conn, 1_200);
        let state = checkpointer.shared.lock();
        assert_eq!(state.asked, 21, "the large commit asked for no checkpoint");
    }

    #[test]
    fn dropping_it_stops_the_thread_and_the_last_close_removes_the_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("c.sqlite");
        let (mut conn, checkpointer) = writer(&db);
        write(&mut conn, 50);
        drop(checkpointer);
        drop(conn);
        assert!(
            !dir.path().join("c.sqlite-wal").exists(),
            "the log was left behind"
        );
        let conn = Connection::open(&db).expect("reopen");
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, 50);
    }
}
