//! People's decisions in the store: the staff console's writes (locks,
//! hides, forced merges and splits), the audit trail and undo.
//!
//! The rules are `normalize::curation` (pure); this module reads and writes
//! their rows (`locks`, `hidden`, `links`, `audit`, see
//! [`crate::migrations`]) and calls the same two steps as a source run:
//! `store::assign_events` (which reads the links through [`links_of`] and
//! reshapes the dedup's clusters with them) and `store::rebuild_events`
//! (which applies locks and hides through [`Decisions`]). So a decision
//! holds on every later ingest by construction: each ingest passes through
//! the same steps and reads the same rows.
//!
//! Every change is one transaction that also writes its audit row (who,
//! when, the action, its target, the state before and after as JSON), and
//! every change to an event can be undone ([`Index::undo`]) from that row.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::{Event, Occurrence};
use normalize::curation::{self as rule, pair, FieldError, Links};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::store::{self, ChangeSet, Member, Rules, StoreFail, StoreResult};
use crate::{Index, IndexError};

/// Why a person's change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CurationError {
    /// No such event (or audit entry).
    #[error("{0}")]
    NotFound(String),
    /// A value that cannot be: the field and why.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The change cannot be made in the current state (undo of an undo...).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

fn invalid(field: &str, reason: &str) -> CurationError {
    CurationError::Invalid(FieldError {
        field: field.to_string(),
        reason: reason.to_string(),
    })
}

/// One row of the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The account's e-mail or the token's name.
    pub who: String,
    /// `event.patch`, `event.unlock`, `event.hide`, `event.unhide`,
    /// `event.merge`, `event.split`, `undo`, or what other writers log
    /// (`source.add`, `account.add`, ...).
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The id of the entry that undid this one.
    pub undone_by: Option<i64>,
    /// Whether [`Index::undo`] can undo it now.
    pub undoable: bool,
}

/// A page of the audit trail, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page.
    pub next: Option<i64>,
}

/// An event as the console shows it: hidden or not, what is locked, and
/// every source record it was built from.
#[derive(Clone, Debug, Serialize)]
pub struct CuratedEvent {
    pub event: Event,
    pub hidden: bool,
    /// Field → the person's value (Event JSON shape).
    pub locks: BTreeMap<String, Value>,
    /// The occurrences of each source that make the event.
    pub records: Vec<Occurrence>,
}

/// Changes of the gazetteer and the taxonomy: undone by the binary, which
/// writes `sources.toml` (`SourceAdmin::undo_change`), then marked undone
/// here with [`Index::record_undo`].
pub const CONFIG_UNDOABLE: &[&str] = &["venue.update", "venue.merge", "category.map"];

/// The actions [`Index::undo`] knows how to undo.
const UNDOABLE: &[&str] = &[
    "event.patch",
    "event.unlock",
    "event.hide",
    "event.unhide",
    "event.merge",
    "event.split",
];

/// A write's own outcome inside its transaction: a refusal commits
/// nothing (it is decided before anything is written).
type Decided<T> = StoreResult<(Result<T, CurationError>, ChangeSet)>;

fn refuse<T>(e: CurationError) -> Decided<T> {
    Ok((Err(e), ChangeSet::default()))
}

// ------------------------------------------------------- read by the store

/// The links that touch `members`, as `normalize::curation::Links`. An
/// occurrence `same`-linked to a member but outside the window read is
/// added to `members` (a forced merge may join two days), transitively.
pub(crate) fn links_of<'a>(
    tx: &Transaction<'_>,
    members: &mut Vec<Member<'a>>,
    fresh: &HashMap<&str, &'a Occurrence>,
    arena: &'a typed_arena::Arena<Occurrence>,
) -> StoreResult<Links> {
    let mut links = Links::default();
    let any: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM links)", [], |r| r.get(0))?;
    if !any {
        return Ok(links);
    }
    let mut of = tx.prepare(
        "SELECT a, b, kind FROM links WHERE a = ?1
         UNION SELECT a, b, kind FROM links WHERE b = ?1",
    )?;
    let mut load = tx.prepare("SELECT json, event_id, start_utc FROM occurrences WHERE id = ?1")?;
    let mut seen: HashSet<String> = members.iter().map(|m| m.occ.event.id.clone()).collect();
    let mut i = 0;
    while let Some(id) = members.get(i).map(|m| m.occ.event.id.clone()) {
        i += 1;
        let rows: Vec<(String, String, String)> = of
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (a, b, kind) in rows {
            let other = if a == id { b.clone() } else { a.clone() };
            match kind.as_str() {
                "same" => {
                    links.same.insert((a, b));
                    if seen.insert(other.clone()) {
                        let row: Option<(String, String, i64)> = load
                            .query_row([&other], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                            .optional()?;
                        if let Some((json, event_id, start)) = row {
                            let occ: &'a Occurrence = match fresh.get(other.as_str()) {
                                Some(o) => o,
                                None => arena.alloc(store::from_json("occurrence", &json)?),
                            };
                            members.push(Member {
                                occ,
                                event_id,
                                start,
                            });
                        }
                    }
                }
                "apart" => {
                    links.apart.insert((a, b));
                }
                _ => {}
            }
        }
    }
    Ok(links)
}

/// Locks and hides, read once per rebuild: the hides at once, each
/// event's locks when asked ([`Decisions::locks_of`]); applied with
/// [`Decisions::apply`], which reads nothing (so on any thread).
pub(crate) struct Decisions<'c> {
    /// Hidden target → whether it names a series.
    hidden: HashMap<String, bool>,
    locks: rusqlite::Statement<'c>,
}

/// The locked fields of one event, their values as set.
pub(crate) type Locks = BTreeMap<String, Value>;

impl<'c> Decisions<'c> {
    pub(crate) fn read(tx: &'c Transaction<'_>) -> StoreResult<Decisions<'c>> {
        let hidden = {
            let mut stmt = tx.prepare("SELECT target, series FROM hidden")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        Ok(Decisions {
            hidden,
            locks: tx.prepare("SELECT field, value FROM locks WHERE event_id = ?1")?,
        })
    }

    /// The locks of the event `event_id`.
    pub(crate) fn locks_of(&mut self, event_id: &str) -> StoreResult<Locks> {
        let rows: Vec<(String, String)> = self
            .locks
            .query_map([event_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut locks = BTreeMap::new();
        for (field, value) in rows {
            locks.insert(field, store::from_json::<Value>("lock", &value)?);
        }
        Ok(locks)
    }

    /// What [`Decisions::apply`] needs, which may go to other threads.
    pub(crate) fn hides(&self) -> &HashMap<String, bool> {
        &self.hidden
    }

    /// Apply `locks` (the event's, from [`Decisions::locks_of`]) to
    /// `event`; whether it is hidden (`hidden` from [`Decisions::hides`]).
    pub(crate) fn apply(hidden: &HashMap<String, bool>, event: &mut Event, locks: &Locks) -> bool {
        // Values were checked when set; one that no longer applies (a
        // model change) must not stop an ingest.
        if let Err(e) = rule::apply_locks(event, locks) {
            tracing::warn!(event = %event.id, error = %e, "a lock could not be applied");
        }
        rule::is_hidden(event, hidden)
    }
}

// ------------------------------------------------------------- helpers

fn audit_row(
    tx: &Transaction<'_>,
    who: &str,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> StoreResult<i64> {
    tx.execute(
        "INSERT INTO audit (at, who, action, target, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            store::ts(Utc::now()),
            who,
            action,
            target,
            before.map(Value::to_string),
            after.map(Value::to_string)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The event row of `id`, hidden or not.
fn stored_event(conn: &Connection, id: &str) -> StoreResult<Option<(Event, bool)>> {
    let row: Option<(String, bool)> = conn
        .query_row("SELECT json, hidden FROM events WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    row.map(|(json, hidden)| Ok((store::from_json("event", &json)?, hidden)))
        .transpose()
}

fn locks_of(conn: &Connection, id: &str) -> StoreResult<BTreeMap<String, Value>> {
    let mut stmt = conn.prepare("SELECT field, value FROM locks WHERE event_id = ?1")?;
    let rows: Vec<(String, String)> = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(f, v)| Ok((f, store::from_json::<Value>("lock", &v)?)))
        .collect()
}

/// (occurrence id, source, start) of the occurrences making event `id`.
fn members_of(conn: &Connection, id: &str) -> StoreResult<Vec<(String, String, i64)>> {
    let mut stmt = conn
        .prepare("SELECT id, source, start_utc FROM occurrences WHERE event_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn event_of(tx: &Transaction<'_>, occurrence: &str) -> StoreResult<Option<String>> {
    Ok(tx
        .query_row(
            "SELECT event_id FROM occurrences WHERE id = ?1",
            [occurrence],
            |r| r.get(0),
        )
        .optional()?)
}

/// Insert a link; whether it was new.
fn link(tx: &Transaction<'_>, a: &str, b: &str, kind: &str) -> StoreResult<bool> {
    let (a, b) = pair(a, b);
    Ok(tx.execute(
        "INSERT OR IGNORE INTO links (a, b, kind) VALUES (?1, ?2, ?3)",
        params![a, b, kind],
    )? > 0)
}

/// Remove a link; whether there was one.
fn unlink(tx: &Transaction<'_>, a: &str, b: &str, kind: &str) -> StoreResult<bool> {
    let (a, b) = pair(a, b);
    Ok(tx.execute(
        "DELETE FROM links WHERE a = ?1 AND b = ?2 AND kind = ?3",
        params![a, b, kind],
    )? > 0)
}

fn pairs_json(pairs: &[(String, String)]) -> Value {
    Value::Array(pairs.iter().map(|(a, b)| json!([a, b])).collect())
}

fn pairs_from(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    Some((
                        p.get(0)?.as_str()?.to_string(),
                        p.get(1)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set_lock(tx: &Transaction<'_>, id: &str, field: &str, value: &Value) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO locks (event_id, field, value) VALUES (?1, ?2, ?3)
         ON CONFLICT(event_id, field) DO UPDATE SET value = excluded.value",
        params![id, field, value.to_string()],
    )?;
    Ok(())
}

/// Events whose hidden state follows `target` (an event id, or every
/// event of a series).
fn hide_targets(tx: &Transaction<'_>, target: &str, series: bool) -> StoreResult<BTreeSet<String>> {
    if !series {
        return Ok(BTreeSet::from([target.to_string()]));
    }
    let mut stmt =
        tx.prepare("SELECT id FROM events WHERE json_extract(json, '$.series_id') = ?1")?;
    let rows = stmt.query_map([target], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Hide (or publish again) `target`; the events whose hidden state
/// follows it, to rebuild.
fn set_hidden_row(
    tx: &Transaction<'_>,
    target: &str,
    series: bool,
    hide: bool,
) -> StoreResult<BTreeSet<String>> {
    if hide {
        tx.execute(
            "INSERT OR REPLACE INTO hidden (target, series) VALUES (?1, ?2)",
            params![target, series],
        )?;
    } else {
        tx.execute(
            "DELETE FROM hidden WHERE target = ?1 AND series = ?2",
            params![target, series],
        )?;
    }
    hide_targets(tx, target, series)
}

/// Re-cluster `occurrences` (with what may join them), rebuild what moved
/// plus `also`, and bump the generation when the public events changed.
fn settle(
    tx: &Transaction<'_>,
    occurrences: &[String],
    new_ids: &HashSet<String>,
    also: BTreeSet<String>,
    rules: &Rules,
) -> StoreResult<ChangeSet> {
    let mut touched = recluster(tx, occurrences, new_ids)?;
    touched.extend(also);
    let changes = store::rebuild_events(tx, &touched, Utc::now(), &HashMap::new(), rules)?;
    if !changes.is_empty() {
        store::bump_generation(tx)?;
    }
    Ok(changes)
}

/// Re-cluster stored occurrences (see `store::assign_events`).
fn recluster(
    tx: &Transaction<'_>,
    occurrences: &[String],
    new_ids: &HashSet<String>,
) -> StoreResult<BTreeSet<String>> {
    store::assign_events(
        tx,
        &store::Seeds {
            occurrences: occurrences.to_vec(),
            new: new_ids.clone(),
            ..store::Seeds::default()
        },
        // A curation touches a few occurrences: the window scan serves.
        // It writes no blocking (no run's occurrences: `event_of` is
        // empty), so the writer's index stays a superset of the table.
        None,
    )
}

// ------------------------------------------------------------- the API

impl Index {
    /// Run a curation in one write transaction (see [`Decided`]).
    fn curate<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>, &Rules) -> Decided<T>,
    ) -> Result<T, CurationError> {
        let rules = self.rules();
        self.write(|tx| f(tx, &rules))?
    }

    fn stored(&self, id: &str) -> Result<Event, CurationError> {
        self.curated_event(id)?
            .map(|c| c.event)
            .ok_or_else(|| CurationError::NotFound(format!("no event {id}")))
    }

    /// Set fields of event `id` and lock them (values in the Event JSON
    /// shape; `venue` a whole venue object). Returns the event as now
    /// published.
    pub fn patch_event(
        &self,
        who: &str,
        id: &str,
        fields: Map<String, Value>,
    ) -> Result<Event, CurationError> {
        if fields.is_empty() {
            return Err(invalid("body", "no field to set"));
        }
        let mut checked = BTreeMap::new();
        for (field, value) in &fields {
            checked.insert(field.clone(), rule::check_field(field, value)?);
        }
        let current = self.stored(id)?;
        rule::check_times(checked.get("start"), checked.get("end"), current.start)?;
        self.curate(|tx, rules| {
            if stored_event(tx, id)?.is_none() {
                return refuse(CurationError::NotFound(format!("no event {id}")));
            }
            let previous = locks_of(tx, id)?;
            let now =
                serde_json::to_value(&current).map_err(|e| StoreFail::Corrupt(e.to_string()))?;
            let mut before_locks = Map::new();
            let mut before_values = Map::new();
            for (field, value) in &checked {
                before_locks.insert(
                    field.clone(),
                    previous.get(field).cloned().unwrap_or(Value::Null),
                );
                before_values.insert(
                    field.clone(),
                    now.get(field).cloned().unwrap_or(Value::Null),
                );
                set_lock(tx, id, field, value)?;
            }
            let changes = settle(
                tx,
                &[],
                &HashSet::new(),
                BTreeSet::from([id.to_string()]),
                rules,
            )?;
            let before = json!({"locks": before_locks, "values": before_values});
            let after = json!({"locks": checked});
            audit_row(tx, who, "event.patch", id, Some(&before), Some(&after))?;
            Ok((Ok(()), changes))
        })?;
        self.stored(id)
    }

    /// Give `field` of event `id` back to the sources.
    pub fn unlock(&self, who: &str, id: &str, field: &str) -> Result<Event, CurationError> {
        self.curate(|tx, rules| {
            if stored_event(tx, id)?.is_none() {
                return refuse(CurationError::NotFound(format!("no event {id}")));
            }
            let locks = locks_of(tx, id)?;
            let Some(value) = locks.get(field) else {
                return refuse(invalid("field", &format!("{field} is not locked")));
            };
            tx.execute(
                "DELETE FROM locks WHERE event_id = ?1 AND field = ?2",
                params![id, field],
            )?;
            let changes = settle(
                tx,
                &[],
                &HashSet::new(),
                BTreeSet::from([id.to_string()]),
                rules,
            )?;
            let before = json!({"locks": {field: value}});
            let after = json!({"locks": {field: Value::Null}});
            audit_row(tx, who, "event.unlock", id, Some(&before), Some(&after))?;
            Ok((Ok(()), changes))
        })?;
        self.stored(id)
    }

    /// Keep event `id` (or, with `series`, every event of its series) out
    /// of every public answer.
    pub fn hide(&self, who: &str, id: &str, series: bool) -> Result<(), CurationError> {
        self.set_hidden(who, id, series, true)
    }

    /// Publish again what [`Index::hide`] hid.
    pub fn unhide(&self, who: &str, id: &str, series: bool) -> Result<(), CurationError> {
        self.set_hidden(who, id, series, false)
    }

    fn set_hidden(
        &self,
        who: &str,
        id: &str,
        series: bool,
        hide: bool,
    ) -> Result<(), CurationError> {
        self.curate(|tx, rules| {
            let Some((event, _)) = stored_event(tx, id)? else {
                return refuse(CurationError::NotFound(format!("no event {id}")));
            };
            let target = if series {
                match event.series_id {
                    Some(s) => s,
                    None => return refuse(invalid("series", "this event is not part of a series")),
                }
            } else {
                id.to_string()
            };
            let was: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM hidden WHERE target = ?1 AND series = ?2)",
                params![target, series],
                |r| r.get(0),
            )?;
            let affected = set_hidden_row(tx, &target, series, hide)?;
            let changes = settle(tx, &[], &HashSet::new(), affected, rules)?;
            let before = json!({"target": target, "series": series, "hidden": was});
            let after = json!({"target": target, "series": series, "hidden": hide});
            let action = if hide { "event.hide" } else { "event.unhide" };
            audit_row(tx, who, action, id, Some(&before), Some(&after))?;
            Ok((Ok(()), changes))
        })
    }

    /// Make one event of `ids`, now and after every later ingest. The
    /// answer is the merged event, whose id is one of `ids`.
    pub fn merge(&self, who: &str, ids: &[String]) -> Result<Event, CurationError> {
        let mut unique: Vec<&str> = Vec::new();
        for id in ids {
            if !unique.contains(&id.as_str()) {
                unique.push(id);
            }
        }
        if unique.len() < 2 {
            return Err(invalid("ids", "give at least two different event ids"));
        }
        if unique.len() > 50 {
            return Err(invalid("ids", "at most 50 events at once"));
        }
        let merged = self.curate(|tx, rules| {
            let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut order: Vec<Vec<String>> = Vec::new();
            for id in &unique {
                let members = members_of(tx, id)?;
                if members.is_empty() {
                    return refuse(CurationError::NotFound(format!("no event {id}")));
                }
                let occs: Vec<String> = members.into_iter().map(|m| m.0).collect();
                groups.insert(id.to_string(), occs.clone());
                order.push(occs);
            }
            let (mut added, mut removed_apart) = (Vec::new(), Vec::new());
            for (i, left) in order.iter().enumerate() {
                for right in order.iter().skip(i + 1) {
                    for a in left {
                        for b in right {
                            if link(tx, a, b, "same")? {
                                added.push(pair(a, b));
                            }
                            if unlink(tx, a, b, "apart")? {
                                removed_apart.push(pair(a, b));
                            }
                        }
                    }
                }
            }
            let all: Vec<String> = order.iter().flatten().cloned().collect();
            let mut touched: BTreeSet<String> = unique.iter().map(|s| s.to_string()).collect();
            touched.extend(recluster(tx, &all, &HashSet::new())?);
            let first = order
                .first()
                .and_then(|o| o.first())
                .cloned()
                .unwrap_or_default();
            let Some(into) = event_of(tx, &first)? else {
                return Err(StoreFail::Corrupt(format!("occurrence {first} vanished")));
            };
            // The decisions made on the other events follow them.
            let mut moved = Vec::new();
            for id in unique.iter().filter(|id| **id != into) {
                for (field, value) in locks_of(tx, id)? {
                    let taken = tx.execute(
                        "INSERT OR IGNORE INTO locks (event_id, field, value) VALUES (?1, ?2, ?3)",
                        params![into, field, value.to_string()],
                    )? > 0;
                    moved.push(json!({"from": id, "field": field, "value": value, "kept": taken}));
                }
                tx.execute("DELETE FROM locks WHERE event_id = ?1", [id])?;
            }
            touched.insert(into.clone());
            let changes = store::rebuild_events(tx, &touched, Utc::now(), &HashMap::new(), rules)?;
            if !changes.is_empty() {
                store::bump_generation(tx)?;
            }
            let before = json!({"events": groups});
            let after = json!({
                "into": into,
                "same": pairs_json(&added),
                "removed_apart": pairs_json(&removed_apart),
                "moved_locks": moved,
            });
            audit_row(
                tx,
                who,
                "event.merge",
                &unique.join(","),
                Some(&before),
                Some(&after),
            )?;
            Ok((Ok(into), changes))
        })?;
        self.stored(&merged)
    }

    /// Take `source`'s record out of event `id`, now and later: it becomes
    /// its own event. The answer is the event that keeps `id`.
    pub fn split(&self, who: &str, id: &str, source: &str) -> Result<Event, CurationError> {
        self.curate(|tx, rules| {
            let members = members_of(tx, id)?;
            if members.is_empty() {
                return refuse(CurationError::NotFound(format!("no event {id}")));
            }
            let (out, stay): (Vec<_>, Vec<_>) = members.iter().partition(|m| m.1 == source);
            if out.is_empty() {
                return refuse(invalid(
                    "source",
                    &format!("the event has no record from {source}"),
                ));
            }
            if stay.is_empty() {
                return refuse(invalid("source", "this source's record is the whole event"));
            }
            let (mut added, mut removed_same) = (Vec::new(), Vec::new());
            for (a, _, _) in &out {
                for (b, _, _) in &stay {
                    if link(tx, a, b, "apart")? {
                        added.push(pair(a, b));
                    }
                    if unlink(tx, a, b, "same")? {
                        removed_same.push(pair(a, b));
                    }
                }
            }
            // What leaves has no vote for the id: the rest keeps it.
            let leaving: HashSet<String> = out.iter().map(|m| m.0.clone()).collect();
            for occ in &leaving {
                tx.execute("UPDATE occurrences SET event_id = ?1 WHERE id = ?1", [occ])?;
            }
            let seeds: Vec<String> = members.iter().map(|m| m.0.clone()).collect();
            // A leaving occurrence may keep the id it now holds (no move):
            // its event is built all the same.
            let mut also: BTreeSet<String> = leaving.iter().cloned().collect();
            also.insert(id.to_string());
            let changes = settle(tx, &seeds, &leaving, also, rules)?;
            let first = out.first().map(|m| m.0.clone()).unwrap_or_default();
            let new_event = event_of(tx, &first)?;
            let before = json!({"event": id, "source": source});
            let after = json!({
                "new_event": new_event,
                "apart": pairs_json(&added),
                "removed_same": pairs_json(&removed_same),
            });
            audit_row(tx, who, "event.split", id, Some(&before), Some(&after))?;
            Ok((Ok(()), changes))
        })?;
        self.stored(id)
    }

    /// Undo the change of audit entry `audit_id` (a change to an event),
    /// as a new audited change.
    pub fn undo(&self, who: &str, audit_id: i64) -> Result<(), CurationError> {
        self.curate(|tx, rules| {
            /// action, target, before, after, undone_by
            type Row = (String, String, Option<String>, Option<String>, Option<i64>);
            let row: Option<Row> = tx
                .query_row(
                    "SELECT action, target, before, after, undone_by FROM audit WHERE id = ?1",
                    [audit_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((action, target, before, after, undone_by)) = row else {
                return refuse(CurationError::NotFound(format!("no audit entry {audit_id}")));
            };
            if undone_by.is_some() {
                return refuse(CurationError::Conflict(format!("entry {audit_id} is already undone")));
            }
            if !UNDOABLE.contains(&action.as_str()) {
                return refuse(CurationError::Conflict(format!(
                    "{action} cannot be undone from the audit trail"
                )));
            }
            let parse = |s: &Option<String>| -> StoreResult<Value> {
                s.as_deref()
                    .map(|j| store::from_json::<Value>("audit", j))
                    .transpose()
                    .map(|v| v.unwrap_or(Value::Null))
            };
            let (before, after) = (parse(&before)?, parse(&after)?);
            let changes = match action.as_str() {
                "event.patch" | "event.unlock" => {
                    let empty = Map::new();
                    let locks = before.get("locks").and_then(Value::as_object).unwrap_or(&empty);
                    for (field, value) in locks {
                        if value.is_null() {
                            tx.execute(
                                "DELETE FROM locks WHERE event_id = ?1 AND field = ?2",
                                params![target, field],
                            )?;
                        } else {
                            set_lock(tx, &target, field, value)?;
                        }
                    }
                    settle(tx, &[], &HashSet::new(), BTreeSet::from([target.clone()]), rules)?
                }
                "event.hide" | "event.unhide" => {
                    let hidden_target = before.get("target").and_then(Value::as_str).unwrap_or(&target);
                    let series = before.get("series").and_then(Value::as_bool).unwrap_or(false);
                    let was = before.get("hidden").and_then(Value::as_bool).unwrap_or(false);
                    let affected = set_hidden_row(tx, hidden_target, series, was)?;
                    settle(tx, &[], &HashSet::new(), affected, rules)?
                }
                "event.merge" => {
                    let mut occurrences = Vec::new();
                    for (a, b) in pairs_from(after.get("same")) {
                        unlink(tx, &a, &b, "same")?;
                        occurrences.extend([a, b]);
                    }
                    for (a, b) in pairs_from(after.get("removed_apart")) {
                        link(tx, &a, &b, "apart")?;
                    }
                    let into = after.get("into").and_then(Value::as_str).unwrap_or_default();
                    let mut touched = BTreeSet::from([into.to_string()]);
                    for m in after.get("moved_locks").and_then(Value::as_array).into_iter().flatten() {
                        let (Some(from), Some(field), Some(value)) = (
                            m.get("from").and_then(Value::as_str),
                            m.get("field").and_then(Value::as_str),
                            m.get("value"),
                        ) else {
                            continue;
                        };
                        set_lock(tx, from, field, value)?;
                        if m.get("kept").and_then(Value::as_bool) == Some(true) {
                            tx.execute(
                                "DELETE FROM locks WHERE event_id = ?1 AND field = ?2 AND value = ?3",
                                params![into, field, value.to_string()],
                            )?;
                        }
                        touched.insert(from.to_string());
                    }
                    // Each part goes back to the id it had, by its votes.
                    if let Some(groups) = before.get("events").and_then(Value::as_object) {
                        for (event_id, occs) in groups {
                            for occ in occs.as_array().into_iter().flatten().filter_map(Value::as_str) {
                                tx.execute(
                                    "UPDATE occurrences SET event_id = ?2 WHERE id = ?1",
                                    params![occ, event_id],
                                )?;
                                occurrences.push(occ.to_string());
                            }
                            touched.insert(event_id.clone());
                        }
                    }
                    settle(tx, &occurrences, &HashSet::new(), touched, rules)?
                }
                "event.split" => {
                    let mut occurrences = Vec::new();
                    for (a, b) in pairs_from(after.get("apart")) {
                        unlink(tx, &a, &b, "apart")?;
                        occurrences.extend([a, b]);
                    }
                    for (a, b) in pairs_from(after.get("removed_same")) {
                        link(tx, &a, &b, "same")?;
                    }
                    let mut touched = BTreeSet::from([target.clone()]);
                    if let Some(new_event) = after.get("new_event").and_then(Value::as_str) {
                        touched.insert(new_event.to_string());
                    }
                    settle(tx, &occurrences, &HashSet::new(), touched, rules)?
                }
                _ => ChangeSet::default(),
            };
            let undo = audit_row(tx, who, "undo", &audit_id.to_string(), Some(&after), Some(&before))?;
            tx.execute(
                "UPDATE audit SET undone_by = ?2 WHERE id = ?1",
                params![audit_id, undo],
            )?;
            Ok((Ok(()), changes))
        })
    }

    /// Entry `id` of the audit trail.
    pub fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>, IndexError> {
        let page = self.audit(1, id.checked_add(1))?;
        Ok(page.entries.into_iter().find(|e| e.id == id))
    }

    /// Mark entry `audit_id` undone by a change made outside the index (a
    /// change of `sources.toml` put back): an `undo` row, as
    /// [`Index::undo`] writes.
    pub fn record_undo(&self, who: &str, audit_id: i64) -> Result<(), CurationError> {
        self.curate(|tx, _| {
            type Row = (Option<String>, Option<String>, Option<i64>);
            let row: Option<Row> = tx
                .query_row(
                    "SELECT before, after, undone_by FROM audit WHERE id = ?1",
                    [audit_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((before, after, undone_by)) = row else {
                return refuse(CurationError::NotFound(format!(
                    "no audit entry {audit_id}"
                )));
            };
            if undone_by.is_some() {
                return refuse(CurationError::Conflict(format!(
                    "entry {audit_id} is already undone"
                )));
            }
            let parse = |s: Option<String>| -> StoreResult<Option<Value>> {
                s.map(|j| store::from_json("audit", &j)).transpose()
            };
            let (before, after) = (parse(before)?, parse(after)?);
            let undo = audit_row(
                tx,
                who,
                "undo",
                &audit_id.to_string(),
                after.as_ref(),
                before.as_ref(),
            )?;
            tx.execute(
                "UPDATE audit SET undone_by = ?2 WHERE id = ?1",
                params![audit_id, undo],
            )?;
            Ok((Ok(()), ChangeSet::default()))
        })
    }

    /// Record a change made outside the index (a source added, an
    /// account removed) in the audit trail; returns its id.
    pub fn log_action(
        &self,
        who: &str,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<i64, IndexError> {
        self.write(|tx| {
            let id = audit_row(tx, who, action, target, before.as_ref(), after.as_ref())?;
            Ok((id, ChangeSet::default()))
        })
    }

    /// The audit trail, newest first: at most `limit` entries (1 to 500)
    /// with ids below `before`.
    pub fn audit(&self, limit: usize, before: Option<i64>) -> Result<AuditPage, IndexError> {
        let limit = limit.clamp(1, 500);
        self.reads
            .with(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT id, at, who, action, target, before, after, undone_by FROM audit
                     WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
                )?;
                let rows = stmt.query_map(
                    params![
                        before.unwrap_or(i64::MAX),
                        i64::try_from(limit + 1).unwrap_or(501)
                    ],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, Option<i64>>(7)?,
                        ))
                    },
                )?;
                let mut entries = Vec::new();
                for row in rows {
                    let (id, at, who, action, target, before, after, undone_by) = row?;
                    let json = |s: Option<String>| -> StoreResult<Option<Value>> {
                        s.map(|j| store::from_json("audit", &j)).transpose()
                    };
                    let undoable = undone_by.is_none()
                        && (UNDOABLE.contains(&action.as_str())
                            || CONFIG_UNDOABLE.contains(&action.as_str()));
                    entries.push(AuditEntry {
                        id,
                        at: store::parse_ts(Some(at))?.unwrap_or_default(),
                        who,
                        action,
                        target,
                        before: json(before)?,
                        after: json(after)?,
                        undone_by,
                        undoable,
                    });
                }
                let next = if entries.len() > limit {
                    entries.truncate(limit);
                    entries.last().map(|e| e.id)
                } else {
                    None
                };
                Ok(AuditPage { entries, next })
            })
            .map_err(|e| self.store_err(e))
    }

    /// Event `id` as the console shows it, hidden or not.
    pub fn curated_event(&self, id: &str) -> Result<Option<CuratedEvent>, IndexError> {
        self.reads
            .with(|conn| {
                let Some((event, hidden)) = stored_event(conn, id)? else {
                    return Ok(None);
                };
                let locks = locks_of(conn, id)?;
                let mut stmt = conn.prepare(
                    "SELECT json FROM occurrences WHERE event_id = ?1 ORDER BY source, start_utc",
                )?;
                let records = stmt
                    .query_map([id], |r| r.get::<_, String>(0))?
                    .map(|j| store::from_json("occurrence", &j?))
                    .collect::<StoreResult<Vec<Occurrence>>>()?;
                Ok(Some(CuratedEvent {
                    event,
                    hidden,
                    locks,
                    records,
                }))
            })
            .map_err(|e| self.store_err(e))
    }

    /// Every hidden event, in start order.
    pub fn hidden_events(&self) -> Result<Vec<Event>, IndexError> {
        self.reads
            .with(|conn| {
                let mut stmt = conn
                    .prepare("SELECT json FROM events WHERE hidden = 1 ORDER BY start_utc, id")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                rows.map(|j| store::from_json("event", &j?)).collect()
            })
            .map_err(|e| self.store_err(e))
    }

    /// Event id → its locked fields.
    pub fn locked_fields(&self) -> Result<HashMap<String, Vec<String>>, IndexError> {
        self.reads
            .with(|conn| {
                let mut stmt =
                    conn.prepare("SELECT event_id, field FROM locks ORDER BY event_id, field")?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                let mut out: HashMap<String, Vec<String>> = HashMap::new();
                for row in rows {
                    let (id, field) = row?;
                    out.entry(id).or_default().push(field);
                }
                Ok(out)
            })
            .map_err(|e| self.store_err(e))
    }
}
