//! The SQLite schema, as an append-only list of migrations.
//!
//! Migration `n` (1-based) is `MIGRATIONS[n - 1]`; the version a database is
//! at lives in `PRAGMA user_version`. A migration, once released, is never
//! edited: a change to the schema is a new entry at the end.
//!
//! The tables (after every migration):
//!
//! * `meta(key, value)`: `generation` (grows on every commit that changed
//!   published data) and `search_generation` (the generation the tantivy
//!   index reflects; when it lags, the index is rebuilt on open).
//! * `sources`: one row per configured source, in config order (`ord`), with
//!   its fetch state (`etag`, `last_modified`, `content_hash`), its health
//!   (`status` = `never`/`ok`/`error`, `last_fetch_at`, `last_success_at`,
//!   `last_error`, `error_class`), the kind last read (`detected_kind`)
//!   and, from the last successful run, the source's words that mapped to no
//!   category with the number of records using each
//!   (`unmapped_categories`, a JSON object).
//! * `fetch_log`: one row per run (`outcome` = `ok`/`unchanged`/`error`),
//!   with its counts, duration and warnings (a JSON array of strings).
//! * `records`: the raw records of each source (`raw` = the `RawEvent` JSON),
//!   keyed by `(source, record_key)` where `record_key` is
//!   `RawEvent::record_key()`.
//! * `occurrences`: one row per normalized occurrence (`json` = the
//!   `Occurrence` JSON), with the id of the event it belongs to
//!   (`event_id`: occurrences that are the same event across sources share
//!   it, see `store.rs`), and `hash`, the hash of the JSON without the
//!   record's `updated_at`.
//! * `events`: the public events (`json` = the `Event` JSON with its stored
//!   `sequence` and `updated_at`), `hash` being the hash of the event's
//!   content without those two fields.
//!   `first_seen` is when the id was first given (migration 4).
//!
//! * `geocache`: the geocoder's answers by normalized query (`found` = 0
//!   for "no such place", kept 30 days; else `lat`, `lon`, `city`).
//! * `page_cache`: detail pages read by HTML sources, by URL.
//!
//! People's decisions and accounts (migration 6, the staff console):
//!
//! * `accounts(email, role, calendars, password_hash, created_at)`: staff
//!   accounts; `role` is `admin` or `editor`, `calendars` a JSON array of
//!   calendar ids (empty: all); `password_hash` a PHC Argon2id string.
//! * `sessions(id, account, data, expiry)`: console sessions (the session
//!   layer's records; `expiry` in Unix seconds; `account` so that removing
//!   an account or changing its password revokes its sessions).
//! * `api_tokens(name, role, calendars, token_hash, created_at, revoked_at)`:
//!   only the SHA-256 of a token is kept.
//! * `login_failures(key, at)`: failed logins by account and by address,
//!   for the rate limit.
//! * `audit(id, at, who, action, target, before, after, undone_by)`: one row
//!   per change a person made; `before`/`after` are JSON; `undone_by` is
//!   the id of the row that undid it.
//! * `locks(event_id, field, value)`: a field of an event set by a person
//!   (`value` is the field's JSON in the Event shape); it wins over every
//!   source until released.
//! * `hidden(target, series)`: an event id (`series` 0) or a series id
//!   (`series` 1) kept out of every public answer.
//! * `links(a, b, kind)`: occurrence ids that a person said are the same
//!   event (`same`) or never the same (`apart`), with `a < b`; the dedup
//!   honours them on every later ingest.
//! * `manual_events(id, source, raw, created_by, created_at, updated_at)`:
//!   events entered by hand in the console (`raw` is the `RawEvent` JSON);
//!   a built-in source reads them like any other.
//! * `events.hidden`: 1 when `hidden` keeps the event out of public answers
//!   (the row stays, for the console).
//!
//! Dedup (migration 7):
//!
//! * `dedup_blocks(occurrence_row, start_utc, occurrence, block)`: each
//!   occurrence's `normalize::dedup::Blocking` (its local date, start and
//!   blocking keys, encoded), keyed by the occurrence's rowid (migration 9:
//!   rows are added where the table ends, as occurrences are), with an
//!   index by start so that a curation's re-clustering reads the few rows
//!   around its own starts (the writer reads them all once, into memory:
//!   `blocks.rs`). Triggers drop a row when its occurrence is deleted or
//!   its start or content change; the store writes the new one.
//!   `meta.dedup_blocks_version` is the blocking version the rows were
//!   computed with: on open, a store of another version (or one migrated
//!   from before 7 or 9) computes them all again.
//!
//! Times are RFC 3339 text, except `start_utc`/`end_utc` which are Unix
//! seconds (for range scans).

use rusqlite::Connection;

/// The migrations, in order. Append only.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the base schema.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE sources (
        id              TEXT PRIMARY KEY,
        ord             INTEGER NOT NULL,
        name            TEXT NOT NULL,
        kind            TEXT,
        url             TEXT NOT NULL,
        etag            TEXT,
        last_modified   TEXT,
        content_hash    TEXT,
        status          TEXT NOT NULL DEFAULT 'never',
        last_fetch_at   TEXT,
        last_success_at TEXT,
        last_error      TEXT,
        error_class     TEXT
    );
    CREATE TABLE fetch_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        source      TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        at          TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        class       TEXT,
        message     TEXT,
        found       INTEGER NOT NULL DEFAULT 0,
        new         INTEGER NOT NULL DEFAULT 0,
        updated     INTEGER NOT NULL DEFAULT 0,
        removed     INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER NOT NULL,
        warnings    TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE records (
        source     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        record_key TEXT NOT NULL,
        uid        TEXT NOT NULL,
        raw        TEXT NOT NULL,
        hash       TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        PRIMARY KEY (source, record_key)
    );
    CREATE TABLE occurrences (
        id         TEXT PRIMARY KEY,
        source     TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        record_uid TEXT NOT NULL,
        key        TEXT NOT NULL,
        event_id   TEXT NOT NULL,
        start_utc  INTEGER NOT NULL,
        end_utc    INTEGER,
        json       TEXT NOT NULL,
        hash       TEXT NOT NULL
    );
    CREATE TABLE events (
        id         TEXT PRIMARY KEY,
        json       TEXT NOT NULL,
        start_utc  INTEGER NOT NULL,
        end_utc    INTEGER NOT NULL,
        sequence   INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        hash       TEXT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('generation', '0');",
    // 2: the kind a run actually read, and the indexes the queries use.
    "ALTER TABLE sources ADD COLUMN detected_kind TEXT;
    CREATE INDEX occurrences_source ON occurrences(source);
    CREATE INDEX occurrences_event ON occurrences(event_id);
    CREATE INDEX events_start ON events(start_utc);
    CREATE INDEX fetch_log_source_at ON fetch_log(source, at);",
    // 3: the geocoder's answers (see geocache.rs): found or not.
    "CREATE TABLE geocache (
        query TEXT PRIMARY KEY,
        found INTEGER NOT NULL,
        lat   REAL,
        lon   REAL,
        city  TEXT,
        at    TEXT NOT NULL
    );",
    // 4: events merged across sources (see store.rs): the time an event id
    // was first given (the older event keeps its id on a tie), the words
    // of each source that mapped to no category, and the index the
    // re-clustering of a time window uses.
    "ALTER TABLE events ADD COLUMN first_seen TEXT;
    ALTER TABLE sources ADD COLUMN unmapped_categories TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX occurrences_start ON occurrences(start_utc);",
    // 5: detail pages remembered between runs (their validators and the
    // events read from them), so that an unchanged page costs a 304.
    "CREATE TABLE page_cache (
        key           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT,
        events        TEXT NOT NULL,
        body_hash     TEXT NOT NULL,
        used_at       TEXT NOT NULL
    );",
    // 6: the staff console: accounts, sessions, tokens, the audit trail and
    // people's decisions (see the module doc).
    "CREATE TABLE accounts (
        email         TEXT PRIMARY KEY COLLATE NOCASE,
        role          TEXT NOT NULL,
        calendars     TEXT NOT NULL DEFAULT '[]',
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id      TEXT PRIMARY KEY,
        account TEXT,
        data    BLOB NOT NULL,
        expiry  INTEGER NOT NULL
    );
    CREATE INDEX sessions_account ON sessions(account);
    CREATE TABLE api_tokens (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL,
        calendars  TEXT NOT NULL DEFAULT '[]',
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE login_failures (
        key TEXT NOT NULL,
        at  INTEGER NOT NULL
    );
    CREATE INDEX login_failures_key ON login_failures(key, at);
    CREATE TABLE audit (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT NOT NULL,
        who       TEXT NOT NULL,
        action    TEXT NOT NULL,
        target    TEXT NOT NULL,
        before    TEXT,
        after     TEXT,
        undone_by INTEGER
    );
    CREATE TABLE locks (
        event_id TEXT NOT NULL,
        field    TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (event_id, field)
    );
    CREATE TABLE hidden (
        target TEXT PRIMARY KEY,
        series INTEGER NOT NULL
    );
    CREATE TABLE links (
        a    TEXT NOT NULL,
        b    TEXT NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (a, b, kind)
    );
    CREATE INDEX links_b ON links(b);
    CREATE TABLE manual_events (
        id         TEXT PRIMARY KEY,
        source     TEXT NOT NULL,
        raw        TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX manual_events_source ON manual_events(source);
    ALTER TABLE events ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;",
    // 7: each occurrence's dedup blocking (see store.rs), so that a run
    // reads only the stored occurrences that may be its own's duplicates.
    // Filled by the store (`store::fill_blocks`), not by SQL.
    "CREATE TABLE dedup_blocks (
        start_utc  INTEGER NOT NULL,
        occurrence TEXT NOT NULL,
        block      BLOB NOT NULL,
        PRIMARY KEY (start_utc, occurrence)
    ) WITHOUT ROWID;
    CREATE TRIGGER occurrences_block_gone AFTER DELETE ON occurrences BEGIN
        DELETE FROM dedup_blocks WHERE start_utc = OLD.start_utc AND occurrence = OLD.id;
    END;
    CREATE TRIGGER occurrences_block_stale AFTER UPDATE OF start_utc, json ON occurrences BEGIN
        DELETE FROM dedup_blocks WHERE start_utc = OLD.start_utc AND occurrence = OLD.id;
    END;",
    // 8: the re-clustering reads the dedup blockings (7), no longer the
    // occurrences by start: an index that every write kept up to date
    // and that no query reads.
    "DROP INDEX IF EXISTS occurrences_start;",
    // 9: the dedup blockings in the order their occurrences were written
    // (keyed by the occurrence's rowid), not by start: a batch's rows then
    // go to the table's last pages instead of to most of its pages (it
    // was a quarter of what a first pass wrote to the WAL at a million
    // occurrences); the re-clustering of a curation reads them by start
    // through a small index. The store computes them again (the version
    // is forgotten).
    "DROP TRIGGER IF EXISTS occurrences_block_gone;
    DROP TRIGGER IF EXISTS occurrences_block_stale;
    DROP TABLE dedup_blocks;
    CREATE TABLE dedup_blocks (
        occurrence_row INTEGER PRIMARY KEY,
        start_utc      INTEGER NOT NULL,
        occurrence     TEXT NOT NULL,
        block          BLOB NOT NULL
    );
    CREATE INDEX dedup_blocks_start ON dedup_blocks(start_utc);
    CREATE TRIGGER occurrences_block_gone AFTER DELETE ON occurrences BEGIN
        DELETE FROM dedup_blocks WHERE occurrence_row = OLD.rowid;
    END;
    CREATE TRIGGER occurrences_block_stale AFTER UPDATE OF start_utc, json ON occurrences BEGIN
        DELETE FROM dedup_blocks WHERE occurrence_row = OLD.rowid;
    END;
    DELETE FROM meta WHERE key = 'dedup_blocks_version';",
    // 10: no trigger on an occurrence's update. A statement that may fire
    // one needs a statement journal, and inside the writer's savepoint
    // per batch every page it changes is copied there, statement after
    // statement (with 9's trigger, a first pass at 100,000 occurrences
    // wrote 3.4 GB to temporary files for a 330 MB store). A changed
    // occurrence's blocking needs no dropping: every occurrence a run
    // writes is clustered and its blocking written again in its place
    // (`store::BlockWriter`).
    "DROP TRIGGER IF EXISTS occurrences_block_stale;",
];

/// The version a fully migrated database is at.
pub(crate) fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Apply every migration the database has not seen, each in its own
/// transaction together with the `user_version` bump. Returns the version
/// the database was at before.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<i64> {
    let before: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if version <= before {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_database_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("babillard.sqlite");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(MIGRATIONS[0]).expect("v1 schema");
            conn.pragma_update(None, "user_version", 1)
                .expect("version");
            conn.execute(
                "INSERT INTO sources (id, ord, name, kind, url, status, last_fetch_at,
                                      last_success_at)
                 VALUES ('mda', 0, 'Maison des arts', NULL, 'https://example.org/a.ics', 'ok',
                         '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z')",
                [],
            )
            .expect("old row");
        }
        let index = crate::Index::open(dir.path()).expect("open and migrate");
        let sources = index.sources().expect("sources");
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].id, "mda");
        assert_eq!(sources[0].status, "ok");
        assert_eq!(sources[0].kind, None);
        drop(index);

        let mut conn = Connection::open(&path).expect("reopen");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(version, latest_version());
        // Migration 4's index is gone again (8); the others are there.
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'occurrences' AND sql IS NOT NULL ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("indexes");
        assert_eq!(indexes, ["occurrences_event", "occurrences_source"]);
        // The blockings are keyed by their occurrence's rowid (9).
        let blocks: String = conn
            .query_row(
                "SELECT group_concat(name, ',') FROM pragma_table_info('dedup_blocks')",
                [],
                |r| r.get(0),
            )
            .expect("dedup_blocks columns");
        assert_eq!(blocks, "occurrence_row,start_utc,occurrence,block");
        // The column migration 2 added is there, and migrating again is a
        // no-op.
        conn.execute("UPDATE sources SET detected_kind = 'ics'", [])
            .expect("new column");
        assert_eq!(migrate(&mut conn).expect("migrate again"), latest_version());
    }

    #[test]
    fn a_database_newer_than_the_program_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let conn = Connection::open(dir.path().join("babillard.sqlite")).expect("open");
            conn.pragma_update(None, "user_version", latest_version() + 1)
                .expect("version");
        }
        assert!(matches!(
            crate::Index::open(dir.path()),
            Err(crate::IndexError::Corrupt(_))
        ));
    }
}
