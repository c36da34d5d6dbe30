//! Audit rows for actions taken outside the index (sources written into
//! `sources.toml`, events entered by hand): who, when, what, before, after.

use chrono::Utc;
use rusqlite::params;
use serde_json::Value;

use crate::store::{self, ChangeSet, StoreFail};
use crate::{Index, IndexError};

impl Index {
    /// Append one audit row; returns its id.
    pub fn log_action(
        &self,
        who: &str,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<i64, IndexError> {
        let json = |v: Option<Value>| -> Result<Option<String>, StoreFail> {
            v.map(|v| serde_json::to_string(&v))
                .transpose()
                .map_err(|e| StoreFail::Corrupt(format!("cannot serialize: {e}")))
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO audit (at, who, action, target, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    store::ts(Utc::now()),
                    who,
                    action,
                    target,
                    json(before)?,
                    json(after)?
                ],
            )?;
            Ok((tx.last_insert_rowid(), ChangeSet::default()))
        })
    }
}
