//! Backups of the store and their restoration.
//!
//! [`backup`] copies the database with SQLite's online backup API from a
//! read connection: in WAL mode a reader never blocks the writer, so a
//! `babillard run` goes on writing meanwhile, and the copy is the database
//! as of one instant (one read transaction). The copy is written beside
//! its destination, checked, then renamed into place: a failed backup
//! leaves no half-written file under the name asked for.
//!
//! [`restore`] checks a backup, moves the current database and search
//! index aside, puts the backup in place and rebuilds the search index
//! from it; on any failure the old ones come back. The search index is
//! never part of a backup: it is rebuilt from the database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{migrations, store, Index, IndexError};

/// The database's file name in a data directory.
pub const DB_FILE: &str = "babillard.sqlite";

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a babillard backup: {why}")]
    NotABackup { path: String, why: String },
    #[error("{path} already holds a store; restore with --force to replace it (the current one is kept aside until the restore succeeded)")]
    Occupied { path: String },
    #[error("restoring into {path}: {source} (the previous store was put back)")]
    Restore {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
    pub events: usize,
}

/// Copy the database of `data_dir` to `out` (see the module doc).
pub fn backup(data_dir: &Path, out: &Path) -> Result<BackupReport, BackupError> {
    let db = data_dir.join(DB_FILE);
    if !db.is_file() {
        return Err(BackupError::Io {
            path: db.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no store here"),
        });
    }
    let src = store::open_connection(&db, true).map_err(sql(&db))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".babillard-backup-")
        .tempfile_in(&dir)
        .map_err(io(&dir))?;
    {
        let mut dst = Connection::open(tmp.path()).map_err(sql(tmp.path()))?;
        {
            let copy = rusqlite::backup::Backup::new(&src, &mut dst).map_err(sql(&db))?;
            // All pages in one step: one read transaction, so one instant
            // of the database, and no restart when `run` writes meanwhile.
            loop {
                match copy.step(-1).map_err(sql(&db))? {
                    rusqlite::backup::StepResult::Done => break,
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        // A plain file, with no WAL beside it.
        let _mode: String = dst
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
            .map_err(sql(tmp.path()))?;
        dst.close().map_err(|(_, e)| sql(tmp.path())(e))?;
    }
    let events = check_backup(tmp.path())?;
    let file = tmp.persist(out).map_err(|e| io(out)(e.error))?;
    file.sync_all().map_err(io(out))?;
    let bytes = file.metadata().map_err(io(out))?.len();
    Ok(BackupReport { bytes, events })
}

/// Check that `file` is a sound babillard database this program can read;
/// returns its number of events.
pub fn check_backup(file: &Path) -> Result<usize, BackupError> {
    let not = |why: String| BackupError::NotABackup {
        path: file.display().to_string(),
        why,
    };
    if !file.is_file() {
        return Err(not("no such file".to_string()));
    }
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| not(e.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    if check != "ok" {
        return Err(not(format!("integrity check: {check}")));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    if version < 1 {
        return Err(not("no babillard schema in it".to_string()));
    }
    if version > migrations::latest_version() {
        return Err(not(format!(
            "schema version {version}, newer than this program's {}",
            migrations::latest_version()
        )));
    }
    let events: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .map_err(|e| not(e.to_string()))?;
    Ok(usize::try_from(events).unwrap_or(0))
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreReport {
    /// Events in the search index rebuilt from the backup.
    pub events: usize,
    /// A store was there before (and was replaced).
    pub replaced: bool,
}

/// The files of a store in a data directory, besides the database.
const STORE_FILES: &[&str] = &[
    DB_FILE,
    "babillard.sqlite-wal",
    "babillard.sqlite-shm",
    "search",
];

/// Bring `file` back into `data_dir` (see the module doc). A directory that
/// holds a store is refused unless `force`. Stop `babillard run` on that
/// directory first.
pub fn restore(file: &Path, data_dir: &Path, force: bool) -> Result<RestoreReport, BackupError> {
    check_backup(file)?;
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let db = data_dir.join(DB_FILE);
    let replaced = db.exists();
    if replaced && !force {
        return Err(BackupError::Occupied {
            path: data_dir.display().to_string(),
        });
    }
    // The current store, aside.
    let aside = data_dir.join(format!(
        "before-restore-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    std::fs::create_dir(&aside).map_err(io(&aside))?;
    let mut moved = Vec::new();
    for name in STORE_FILES {
        let from = data_dir.join(name);
        if from.exists() {
            let to = aside.join(name);
            if let Err(e) = std::fs::rename(&from, &to) {
                put_back(data_dir, &aside, &moved);
                return Err(io(&from)(e));
            }
            moved.push(*name);
        }
    }
    let attempt = (|| -> Result<usize, BackupError> {
        let staging = data_dir.join(format!("{DB_FILE}.restoring"));
        std::fs::copy(file, &staging).map_err(io(&staging))?;
        std::fs::rename(&staging, &db).map_err(io(&db))?;
        let index = Index::open(data_dir)?;
        Ok(index.reindex()?)
    })();
    match attempt {
        Ok(events) => {
            if let Err(e) = std::fs::remove_dir_all(&aside) {
                tracing::warn!(path = %aside.display(), "the previous store stays aside: {e}");
            }
            Ok(RestoreReport { events, replaced })
        }
        Err(e) => {
            for name in STORE_FILES {
                let p = data_dir.join(name);
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
            let _ = std::fs::remove_file(data_dir.join(format!("{DB_FILE}.restoring")));
            put_back(data_dir, &aside, &moved);
            Err(BackupError::Restore {
                path: data_dir.display().to_string(),
                source: Box::new(e),
            })
        }
    }
}

fn put_back(data_dir: &Path, aside: &Path, moved: &[&str]) {
    for name in moved {
        if let Err(e) = std::fs::rename(aside.join(name), data_dir.join(name)) {
            tracing::error!("cannot put {} back from {}: {e}", name, aside.display());
        }
    }
    let _ = std::fs::remove_dir(aside);
}
