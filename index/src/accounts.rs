//! Staff accounts, console sessions, API tokens and failed logins (the
//! tables of migration 6).
//!
//! This module stores what it is given: the password's PHC string, the
//! SHA-256 of a token, the key of a session, the session layer's bytes. The
//! hashing, the comparisons and the rules (who may do what, how many
//! failures are too many) live in `publish::admin::auth`, which holds the
//! secrets only long enough to hash them.
//!
//! * Removing an account or changing its password deletes its sessions, so
//!   a stolen cookie dies with the old password.
//! * Session rows carry the account they belong to (`sessions.account`)
//!   for that reason; a row past its `expiry` is never loaded and is
//!   deleted by [`Index::delete_expired_sessions`]; a deleted row is never
//!   brought back by a later save ([`Index::update_session`]).
//! * A revoked token keeps its row (`revoked_at`), so its name stays taken
//!   and the audit trail keeps meaning something.
//! * Failed logins are rows `(key, at)`: the caller picks the keys (one per
//!   account, one per address) and their limits; an attempt is checked
//!   against them and counted in one transaction
//!   ([`Index::begin_login_attempt`]), before the password is, and
//!   uncounted when it succeeds. Being rows, they survive a restart.
//!
//! Writes take the writer lock but touch no published data: the generation
//! does not move.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::store::{self, StoreFail, StoreResult};
use crate::{Index, IndexError};

/// A staff account, without its password hash.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub email: String,
    /// `admin` or `editor` (publish decides what each may do).
    pub role: String,
    /// The calendars the account curates; empty: all of them.
    pub calendars: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// An API token, without its hash.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub name: String,
    pub role: String,
    pub calendars: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A limit on failed logins: at most `max` under `key` within the window.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimit<'a> {
    pub key: &'a str,
    pub max: u32,
}

/// What [`Index::begin_login_attempt`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The attempt may go on; it is already counted as a failure under
    /// each key (these rows), until [`Index::forget_login_attempt`].
    Allowed { rows: Vec<i64> },
    /// A limit is reached: no attempt before `retry_at` (Unix seconds),
    /// when the oldest failure counted leaves the window.
    Refused { retry_at: i64 },
}

fn parse_time(what: &str, s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreFail::Corrupt(format!("{what}: bad time {s:?}: {e}")))
}

fn parse_calendars(what: &str, json: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(json)
        .map_err(|e| StoreFail::Corrupt(format!("{what}: bad calendars {json:?}: {e}")))
}

fn calendars_json(calendars: &[String]) -> StoreResult<String> {
    serde_json::to_string(calendars)
        .map_err(|e| StoreFail::Corrupt(format!("cannot serialize calendars: {e}")))
}

type AccountRow = (String, String, String, String);

fn account_from_row(row: AccountRow) -> StoreResult<Account> {
    let (email, role, calendars, created_at) = row;
    let what = format!("account {email}");
    Ok(Account {
        calendars: parse_calendars(&what, &calendars)?,
        created_at: parse_time(&what, &created_at)?,
        email,
        role,
    })
}

type TokenRow = (String, String, String, String, Option<String>);

fn token_from_row(row: TokenRow) -> StoreResult<ApiToken> {
    let (name, role, calendars, created_at, revoked_at) = row;
    let what = format!("token {name}");
    Ok(ApiToken {
        calendars: parse_calendars(&what, &calendars)?,
        created_at: parse_time(&what, &created_at)?,
        revoked_at: revoked_at.map(|t| parse_time(&what, &t)).transpose()?,
        name,
        role,
    })
}

impl Index {
    /// Run one statement (or a few) on the write connection, outside any
    /// published-data transaction.
    fn write_plain<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> StoreResult<T>,
    ) -> Result<T, IndexError> {
        let w = self.lock_writer();
        f(&w.conn).map_err(|e| self.store_err(e))
    }

    fn read_plain<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> StoreResult<T>,
    ) -> Result<T, IndexError> {
        self.reads.with(f).map_err(|e| self.store_err(e))
    }

    // --- accounts ---

    /// Create an account. `false` when the e-mail (compared without case)
    /// already has one; nothing is changed then.
    pub fn create_account(
        &self,
        email: &str,
        role: &str,
        calendars: &[String],
        password_hash: &str,
    ) -> Result<bool, IndexError> {
        self.create_account_at(email, role, calendars, password_hash, Utc::now())
    }

    /// [`Index::create_account`] as of `at`.
    pub fn create_account_at(
        &self,
        email: &str,
        role: &str,
        calendars: &[String],
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let n = conn.execute(
                "INSERT INTO accounts (email, role, calendars, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(email) DO NOTHING",
                params![
                    email,
                    role,
                    calendars_json(calendars)?,
                    password_hash,
                    store::ts(at)
                ],
            )?;
            Ok(n == 1)
        })
    }

    /// Every account, by e-mail.
    pub fn accounts(&self) -> Result<Vec<Account>, IndexError> {
        self.read_plain(|conn| {
            let mut stmt = conn.prepare(
                "SELECT email, role, calendars, created_at FROM accounts ORDER BY email",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<Vec<AccountRow>>>()?;
            rows.into_iter().map(account_from_row).collect()
        })
    }

    /// The account of `email` (without case).
    pub fn account(&self, email: &str) -> Result<Option<Account>, IndexError> {
        Ok(self.account_with_hash(email)?.map(|(account, _)| account))
    }

    /// The account of `email` with its password hash, for signing in.
    pub fn account_with_hash(&self, email: &str) -> Result<Option<(Account, String)>, IndexError> {
        self.read_plain(|conn| {
            let row = conn
                .query_row(
                    "SELECT email, role, calendars, created_at, password_hash
                     FROM accounts WHERE email = ?1",
                    params![email],
                    |r| {
                        Ok((
                            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                            r.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(row, hash)| Ok((account_from_row(row)?, hash)))
                .transpose()
        })
    }

    /// Remove an account and its sessions. `false` when there was none.
    pub fn remove_account(&self, email: &str) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let tx = conn.unchecked_transaction()?;
            tx.execute(
                "DELETE FROM sessions WHERE account = ?1 COLLATE NOCASE",
                params![email],
            )?;
            let n = tx.execute("DELETE FROM accounts WHERE email = ?1", params![email])?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    /// Replace an account's password hash and end its sessions. `false`
    /// when there is no such account.
    pub fn set_password_hash(&self, email: &str, password_hash: &str) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let tx = conn.unchecked_transaction()?;
            let n = tx.execute(
                "UPDATE accounts SET password_hash = ?2 WHERE email = ?1",
                params![email, password_hash],
            )?;
            tx.execute(
                "DELETE FROM sessions WHERE account = ?1 COLLATE NOCASE",
                params![email],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    /// Change what an account may do. Its sessions stay: every request
    /// reads the account's role anew. `false` when there is no such account.
    pub fn set_account_access(
        &self,
        email: &str,
        role: &str,
        calendars: &[String],
    ) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let n = conn.execute(
                "UPDATE accounts SET role = ?2, calendars = ?3 WHERE email = ?1",
                params![email, role, calendars_json(calendars)?],
            )?;
            Ok(n == 1)
        })
    }

    // --- sessions ---

    /// The data and expiry (Unix seconds) of session `key`, unless it
    /// expired at or before `now` (Unix seconds).
    pub fn load_session(&self, key: &str, now: i64) -> Result<Option<(Vec<u8>, i64)>, IndexError> {
        self.read_plain(|conn| {
            Ok(conn
                .query_row(
                    "SELECT data, expiry FROM sessions WHERE id = ?1 AND expiry > ?2",
                    params![key, now],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    /// Insert session `key`; `false` (and nothing written) when the key is
    /// taken.
    pub fn create_session(
        &self,
        key: &str,
        account: Option<&str>,
        data: &[u8],
        expiry: i64,
    ) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let n = conn.execute(
                "INSERT INTO sessions (id, account, data, expiry) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO NOTHING",
                params![key, account, data, expiry],
            )?;
            Ok(n == 1)
        })
    }

    /// Replace the data and expiry of session `key`, when its row is still
    /// there: `false` when it is gone. Never inserts: a session deleted
    /// while a request of it was under way (a logout, a new password, a
    /// removed account) stays deleted.
    pub fn update_session(
        &self,
        key: &str,
        account: Option<&str>,
        data: &[u8],
        expiry: i64,
    ) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let n = conn.execute(
                "UPDATE sessions SET account = ?2, data = ?3, expiry = ?4 WHERE id = ?1",
                params![key, account, data, expiry],
            )?;
            Ok(n == 1)
        })
    }

    /// Delete session `key` (signing out).
    pub fn delete_session(&self, key: &str) -> Result<(), IndexError> {
        self.write_plain(|conn| {
            conn.execute("DELETE FROM sessions WHERE id = ?1", params![key])?;
            Ok(())
        })
    }

    /// Delete the sessions that expired before `now` (Unix seconds); the
    /// number deleted.
    pub fn delete_expired_sessions(&self, now: i64) -> Result<usize, IndexError> {
        self.write_plain(|conn| {
            Ok(conn.execute("DELETE FROM sessions WHERE expiry <= ?1", params![now])?)
        })
    }

    /// Delete every session of `account`; the number deleted.
    pub fn delete_sessions_of(&self, account: &str) -> Result<usize, IndexError> {
        self.write_plain(|conn| {
            Ok(conn.execute(
                "DELETE FROM sessions WHERE account = ?1 COLLATE NOCASE",
                params![account],
            )?)
        })
    }

    // --- API tokens ---

    /// Record a token by the SHA-256 of its secret. `false` when the name
    /// is taken (by a live or a revoked token).
    pub fn create_token(
        &self,
        name: &str,
        role: &str,
        calendars: &[String],
        token_hash: &str,
    ) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let n = conn.execute(
                "INSERT INTO api_tokens (name, role, calendars, token_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![
                    name,
                    role,
                    calendars_json(calendars)?,
                    token_hash,
                    store::ts(Utc::now())
                ],
            )?;
            Ok(n == 1)
        })
    }

    /// The live (not revoked) token whose secret hashes to `token_hash`.
    pub fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>, IndexError> {
        self.read_plain(|conn| {
            let row = conn
                .query_row(
                    "SELECT name, role, calendars, created_at, revoked_at FROM api_tokens
                     WHERE token_hash = ?1 AND revoked_at IS NULL",
                    params![token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            row.map(token_from_row).transpose()
        })
    }

    /// Every token, revoked ones included, by name.
    pub fn tokens(&self) -> Result<Vec<ApiToken>, IndexError> {
        self.read_plain(|conn| {
            let mut stmt = conn.prepare(
                "SELECT name, role, calendars, created_at, revoked_at FROM api_tokens
                 ORDER BY name",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<Vec<TokenRow>>>()?;
            rows.into_iter().map(token_from_row).collect()
        })
    }

    /// Revoke the token `name`. `false` when there is no live token of
    /// that name.
    pub fn revoke_token(&self, name: &str) -> Result<bool, IndexError> {
        self.write_plain(|conn| {
            let n = conn.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![name, store::ts(Utc::now())],
            )?;
            Ok(n == 1)
        })
    }

    // --- failed logins ---

    /// Begin a login attempt at `now` (Unix seconds): refused when a limit
    /// is reached within the `window` (seconds) before `now`, else counted
    /// at once as a failure under every key. Checking and counting are one
    /// transaction under the write lock, so attempts sent all at once
    /// cannot all pass the check before any is counted. Failures older
    /// than the window are forgotten on the way.
    pub fn begin_login_attempt(
        &self,
        limits: &[LoginLimit<'_>],
        now: i64,
        window: i64,
    ) -> Result<LoginAttempt, IndexError> {
        let since = now.saturating_sub(window);
        self.write_plain(|conn| {
            let tx = conn.unchecked_transaction()?;
            tx.execute("DELETE FROM login_failures WHERE at < ?1", params![since])?;
            let mut retry_at: Option<i64> = None;
            for limit in limits {
                let (count, oldest): (i64, Option<i64>) = tx.query_row(
                    "SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = ?1 AND at >= ?2",
                    params![limit.key, since],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if count >= i64::from(limit.max) {
                    let at = oldest.unwrap_or(now).saturating_add(window);
                    retry_at = Some(retry_at.map_or(at, |r| r.max(at)));
                }
            }
            if let Some(retry_at) = retry_at {
                return Ok(LoginAttempt::Refused { retry_at });
            }
            let mut rows = Vec::with_capacity(limits.len());
            for limit in limits {
                tx.execute(
                    "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
                    params![limit.key, now],
                )?;
                rows.push(tx.last_insert_rowid());
            }
            tx.commit()?;
            Ok(LoginAttempt::Allowed { rows })
        })
    }

    /// Uncount an attempt that succeeded.
    pub fn forget_login_attempt(&self, rows: &[i64]) -> Result<(), IndexError> {
        self.write_plain(|conn| {
            let tx = conn.unchecked_transaction()?;
            for row in rows {
                tx.execute("DELETE FROM login_failures WHERE rowid = ?1", params![row])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Forget the failures of `key` (a successful login).
    pub fn clear_login_failures(&self, key: &str) -> Result<(), IndexError> {
        self.write_plain(|conn| {
            conn.execute("DELETE FROM login_failures WHERE key = ?1", params![key])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SearchStorage;

    fn open() -> (tempfile::TempDir, Index) {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open_with(dir.path(), SearchStorage::Ram).unwrap();
        (dir, index)
    }

    #[test]
    fn accounts_are_created_once_listed_and_removed() {
        let (_dir, index) = open();
        assert!(index
            .create_account("a@example.org", "admin", &[], "$argon2id$x")
            .unwrap());
        // The e-mail is compared without case.
        assert!(!index
            .create_account("A@Example.org", "editor", &[], "$argon2id$y")
            .unwrap());
        let cals = vec!["laval".to_string()];
        assert!(index
            .create_account("b@example.org", "editor", &cals, "$argon2id$z")
            .unwrap());
        let all = index.accounts().unwrap();
        assert_eq!(
            all.iter().map(|a| a.email.as_str()).collect::<Vec<_>>(),
            ["a@example.org", "b@example.org"]
        );
        assert_eq!(all[1].calendars, cals);
        assert_eq!(all[0].role, "admin");
        let (a, hash) = index.account_with_hash("A@EXAMPLE.ORG").unwrap().unwrap();
        assert_eq!(a.email, "a@example.org");
        assert_eq!(hash, "$argon2id$x");

        assert!(index
            .set_account_access("b@example.org", "admin", &[])
            .unwrap());
        assert_eq!(
            index.account("b@example.org").unwrap().unwrap().role,
            "admin"
        );
        assert!(index.remove_account("b@example.org").unwrap());
        assert!(!index.remove_account("b@example.org").unwrap());
        assert_eq!(index.account("b@example.org").unwrap(), None);
        assert!(!index.set_password_hash("b@example.org", "h").unwrap());
    }

    #[test]
    fn removing_an_account_or_changing_its_password_ends_its_sessions() {
        let (_dir, index) = open();
        index
            .create_account("a@example.org", "admin", &[], "h1")
            .unwrap();
        index
            .create_account("b@example.org", "admin", &[], "h2")
            .unwrap();
        let far = 4_000_000_000;
        for (key, account, data) in [
            ("s1", Some("a@example.org"), &b"one"[..]),
            ("s2", Some("a@example.org"), b"two"),
            ("s3", Some("B@example.org"), b"three"),
            ("s4", None, b"anonymous"),
        ] {
            assert!(index.create_session(key, account, data, far).unwrap());
        }

        assert!(index.set_password_hash("a@example.org", "h1b").unwrap());
        assert_eq!(index.load_session("s1", 0).unwrap(), None);
        assert_eq!(index.load_session("s2", 0).unwrap(), None);
        // A request of s1 that was under way does not bring it back.
        assert!(!index
            .update_session("s1", Some("a@example.org"), b"one", far)
            .unwrap());
        assert_eq!(index.load_session("s1", 0).unwrap(), None);
        assert_eq!(
            index.account_with_hash("a@example.org").unwrap().unwrap().1,
            "h1b"
        );
        assert_eq!(index.load_session("s3", 0).unwrap().unwrap().0, b"three");

        assert!(index.remove_account("b@example.org").unwrap());
        assert_eq!(index.load_session("s3", 0).unwrap(), None);
        assert_eq!(
            index.load_session("s4", 0).unwrap().unwrap().0,
            b"anonymous"
        );
    }

    #[test]
    fn sessions_expire_and_are_saved_deleted_and_swept() {
        let (_dir, index) = open();
        assert!(index.create_session("k", None, b"a", 100).unwrap());
        // A taken key is not overwritten by create.
        assert!(!index.create_session("k", None, b"b", 100).unwrap());
        assert_eq!(
            index.load_session("k", 99).unwrap().unwrap(),
            (b"a".to_vec(), 100)
        );
        assert_eq!(index.load_session("k", 100).unwrap(), None);
        assert!(index
            .update_session("k", Some("a@example.org"), b"c", 200)
            .unwrap());
        assert_eq!(
            index.load_session("k", 150).unwrap().unwrap(),
            (b"c".to_vec(), 200)
        );
        assert!(index.create_session("old", None, b"d", 50).unwrap());
        assert_eq!(index.delete_expired_sessions(100).unwrap(), 1);
        assert_eq!(index.delete_sessions_of("a@example.org").unwrap(), 1);
        assert_eq!(index.load_session("k", 0).unwrap(), None);
        assert!(index.create_session("k2", None, b"e", 200).unwrap());
        index.delete_session("k2").unwrap();
        assert_eq!(index.load_session("k2", 0).unwrap(), None);
    }

    #[test]
    fn tokens_are_found_by_hash_until_revoked() {
        let (_dir, index) = open();
        assert!(index.create_token("ci", "editor", &[], "hash-1").unwrap());
        assert!(!index.create_token("ci", "admin", &[], "hash-2").unwrap());
        let t = index.token_by_hash("hash-1").unwrap().unwrap();
        assert_eq!((t.name.as_str(), t.role.as_str()), ("ci", "editor"));
        assert_eq!(index.token_by_hash("hash-2").unwrap(), None);
        assert!(index.revoke_token("ci").unwrap());
        assert!(!index.revoke_token("ci").unwrap());
        assert_eq!(index.token_by_hash("hash-1").unwrap(), None);
        let all = index.tokens().unwrap();
        assert_eq!(all.len(), 1);
        assert!(all[0].revoked_at.is_some());
        // The name of a revoked token stays taken.
        assert!(!index.create_token("ci", "editor", &[], "hash-3").unwrap());
    }

    #[test]
    fn login_attempts_are_counted_before_they_are_tried_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open_with(dir.path(), SearchStorage::Ram).unwrap();
        let limits = |max_account, max_address| {
            [
                LoginLimit {
                    key: "account:a",
                    max: max_account,
                },
                LoginLimit {
                    key: "address:1.2.3.4",
                    max: max_address,
                },
            ]
        };
        let window = 100;
        // Three attempts at 100, 110, 120, all failed: the third reaches
        // the account's limit of three.
        for at in [100, 110, 120] {
            let attempt = index
                .begin_login_attempt(&limits(3, 10), at, window)
                .unwrap();
            assert!(matches!(attempt, LoginAttempt::Allowed { ref rows } if rows.len() == 2));
        }
        assert_eq!(
            index
                .begin_login_attempt(&limits(3, 10), 130, window)
                .unwrap(),
            LoginAttempt::Refused { retry_at: 200 }
        );
        // Kept in the file.
        drop(index);
        let index = Index::open_with(dir.path(), SearchStorage::Ram).unwrap();
        assert_eq!(
            index
                .begin_login_attempt(&limits(3, 10), 199, window)
                .unwrap(),
            LoginAttempt::Refused { retry_at: 200 }
        );
        // The oldest leaves the window: one more attempt, which succeeds
        // and is uncounted, and the account's failures are cleared.
        let LoginAttempt::Allowed { rows } = index
            .begin_login_attempt(&limits(3, 10), 201, window)
            .unwrap()
        else {
            panic!("allowed once the oldest failure left the window");
        };
        index.forget_login_attempt(&rows).unwrap();
        index.clear_login_failures("account:a").unwrap();
        // The address keeps its failures at 110 and 120 (the one at 100
        // left the window, the refused attempts were never counted, the
        // success was uncounted): a limit of two refuses until 210.
        assert_eq!(
            index
                .begin_login_attempt(&limits(3, 2), 202, window)
                .unwrap(),
            LoginAttempt::Refused { retry_at: 210 }
        );
        assert!(matches!(
            index
                .begin_login_attempt(&limits(3, 3), 202, window)
                .unwrap(),
            LoginAttempt::Allowed { .. }
        ));
    }
}
