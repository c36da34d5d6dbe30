//! `tower-sessions`' store over our SQLite `sessions` table
//! (`index::Index`'s session methods).
//!
//! A row's key is the SHA-256 of the session id, not the id: the cookie's
//! value is a bearer secret, and a copy of the database should not hand
//! out live sessions. The row also names the account signed in (read from
//! the session's data), so that removing the account or changing its
//! password deletes its sessions. Expired rows are never loaded, and are
//! swept each time a session is created. Saving only ever updates a row:
//! a session deleted on the server stays deleted, whatever its requests
//! still under way do.

use std::sync::Arc;

use async_trait::async_trait;
use index::{Index, IndexError};
use sha2::{Digest, Sha256};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{SessionStaff, STAFF_KEY};

/// The session store of the console.
#[derive(Clone)]
pub struct SqliteSessionStore {
    index: Arc<Index>,
}

impl std::fmt::Debug for SqliteSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteSessionStore")
    }
}

impl SqliteSessionStore {
    pub fn new(index: Arc<Index>) -> SqliteSessionStore {
        SqliteSessionStore { index }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Index) -> Result<T, IndexError> + Send + 'static,
    ) -> session_store::Result<T> {
        let index = Arc::clone(&self.index);
        match tokio::task::spawn_blocking(move || f(&index)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(session_store::Error::Backend(e.to_string())),
            Err(e) => Err(session_store::Error::Backend(e.to_string())),
        }
    }
}

/// The row key of a session id.
fn key_of(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

/// The row's columns: the account signed in, the data, the expiry.
fn encode(record: &Record) -> session_store::Result<(Option<String>, Vec<u8>, i64)> {
    let account = record
        .data
        .get(STAFF_KEY)
        .and_then(|v| serde_json::from_value::<SessionStaff>(v.clone()).ok())
        .map(|s| s.email);
    let data = serde_json::to_vec(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    // Whole seconds, rounded up: a session never ends before its time.
    let expiry = record.expiry_date.unix_timestamp();
    let expiry = if record.expiry_date.nanosecond() > 0 {
        expiry.saturating_add(1)
    } else {
        expiry
    };
    Ok((account, data, expiry))
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let (account, data, expiry) = encode(record)?;
        let now = now();
        self.blocking(move |index| index.delete_expired_sessions(now).map(|_| ()))
            .await?;
        loop {
            let key = key_of(&record.id);
            let (account, data) = (account.clone(), data.clone());
            let created = self
                .blocking(move |index| {
                    index.create_session(&key, account.as_deref(), &data, expiry)
                })
                .await?;
            if created {
                return Ok(());
            }
            // 128 random bits collided: draw another id.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (account, data, expiry) = encode(record)?;
        let key = key_of(&record.id);
        // Only an update: a row deleted meanwhile (logout, new password,
        // removed account) is not brought back by a request that was
        // under way; the next request finds no session.
        let kept = self
            .blocking(move |index| index.update_session(&key, account.as_deref(), &data, expiry))
            .await?;
        if !kept {
            tracing::debug!("session ended while a request of it was under way");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let key = key_of(id);
        let now = now();
        let Some((data, expiry)) = self
            .blocking(move |index| index.load_session(&key, now))
            .await?
        else {
            return Ok(None);
        };
        let data = serde_json::from_slice(&data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expiry)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let key = key_of(id);
        self.blocking(move |index| index.delete_session(&key)).await
    }
}
