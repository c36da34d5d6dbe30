//! Identifiers and the identity chain.
//!
//! * A source is named by its [`SourceId`] from `sources.toml` (`[a-z0-9-]+`).
//! * A record is identified inside its source by its `uid`: the ICS `UID`, the
//!   feed item's guid (else its link), the HTML event's `@id` or URL, the
//!   WordPress event id; when the source gives none, the parser derives one
//!   from the title, start and place (see [`fallback_uid`]).
//! * An occurrence id is derived from (source, uid, occurrence key), where the
//!   key is empty for a single event and the original local start date of the
//!   instance for a recurring one (so that editing a series' time keeps its
//!   occurrences' ids).
//! * The series id is derived from (source, uid).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The id of a configured source: `[a-z0-9-]+`, unique, stable.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceIdError {
    #[error("a source id cannot be empty")]
    Empty,
    #[error("source id {0:?} must contain only lowercase letters a-z, digits and '-'")]
    Invalid(String),
}

impl SourceId {
    pub fn new(id: impl Into<String>) -> Result<Self, SourceIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(SourceIdError::Empty);
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(SourceIdError::Invalid(id));
        }
        Ok(SourceId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceId {
    type Error = SourceIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SourceId::new(value)
    }
}

impl From<SourceId> for String {
    fn from(value: SourceId) -> Self {
        value.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` honours width and alignment (`{:<24}`).
        f.pad(&self.0)
    }
}

impl AsRef<str> for SourceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A short, stable, URL-safe hash of its parts (20 lowercase hex digits).
/// Parts are separated by a NUL so that ("ab","c") and ("a","bc") differ.
pub fn stable_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    hex::encode(&digest[..10])
}

/// The id of one occurrence of a source record.
/// `key` is "" for a non-recurring record, else the instance's original
/// local start date (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` when a series has
/// several instances the same day).
pub fn occurrence_id(source: &SourceId, uid: &str, key: &str) -> String {
    stable_hash(&["occ", source.as_str(), uid, key])
}

/// The id of a series (a recurring record) in a source.
pub fn series_id(source: &SourceId, uid: &str) -> String {
    stable_hash(&["series", source.as_str(), uid])
}

/// The uid of a record whose source gives no identity: a hash of its title,
/// start and place, as written by the source.
pub fn fallback_uid(title: &str, start: &str, place: &str) -> String {
    format!(
        "hash:{}",
        stable_hash(&[title.trim(), start.trim(), place.trim()])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_id_accepts_slugs_and_rejects_the_rest() {
        assert!(SourceId::new("maison-des-arts-2").is_ok());
        assert_eq!(SourceId::new(""), Err(SourceIdError::Empty));
        assert!(matches!(
            SourceId::new("Maison"),
            Err(SourceIdError::Invalid(_))
        ));
        assert!(SourceId::new("a_b").is_err());
        assert!(SourceId::new("é").is_err());
        // Tables of sources line up.
        let id = SourceId::new("mda").unwrap();
        assert_eq!(format!("[{id:<6}]"), "[mda   ]");
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let s = SourceId::new("mda").unwrap();
        let a = occurrence_id(&s, "uid-1", "");
        assert_eq!(a, occurrence_id(&s, "uid-1", ""));
        assert_eq!(a.len(), 20);
        assert_ne!(a, occurrence_id(&s, "uid-1", "2026-12-05"));
        assert_ne!(a, series_id(&s, "uid-1"));
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
    }
}
