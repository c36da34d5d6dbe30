//! What a staff member curates: the contract's "`editor` curates events
//! and venues (of the calendars named, or all)".
//!
//! Admins, and editors whose account names no calendar, curate everything
//! ([`Reach::All`]). An editor whose account names calendars curates the
//! events of those calendars only ([`Reach::Calendars`], the parts of their
//! scopes put together; a calendar that no longer exists adds nothing):
//!
//! * an event when its calendar's scope matches it, read with its
//!   curation view so that a hidden event counts too;
//! * a venue when some (published) event of their calendars is at it;
//! * the events entered by hand (the built-in source [`MANUAL_SOURCE`])
//!   when one of their calendars lists that source among its sources;
//! * an audit entry, to undo it, when what it changed is theirs (the
//!   events it names that still exist, or its venue); nothing else.
//!
//! [`check`] is the one decision, which the JSON API ([`api_check`]) and
//! the console's forms (`console::Ctx::may`) both ask before they act;
//! lists narrow their queries with [`Reach::restrict`].

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use index::{Index, IndexError, Query, Scope};
use model::Event;
use serde_json::Value;

use super::auth::{lang_of, Staff};
use super::sources::MANUAL_SOURCE;
use crate::respond::{internal_error, json_error};
use crate::{i18n, AppState, PublishConfig};

/// How far a staff member's curation reaches.
#[derive(Clone, Debug, PartialEq)]
pub enum Reach {
    /// Admins, and editors whose account names no calendar.
    All,
    /// An editor of these calendars.
    Calendars {
        /// The parts of the scopes of the calendars named that exist: no
        /// part matches nothing.
        scope: Scope,
        /// Whether one of them lists the events entered by hand.
        manual: bool,
    },
}

impl Reach {
    /// The reach of `staff` under `config`'s calendars.
    pub fn of(staff: &Staff, config: &PublishConfig) -> Reach {
        if staff.is_admin() || staff.calendars.is_empty() {
            return Reach::All;
        }
        let mine: Vec<_> = config
            .network
            .calendars
            .iter()
            .filter(|c| staff.curates(&c.id))
            .collect();
        Reach::Calendars {
            scope: Scope {
                parts: mine
                    .iter()
                    .flat_map(|c| c.scope.parts.iter().cloned())
                    .collect(),
            },
            manual: mine
                .iter()
                .any(|c| c.sources.iter().any(|s| s == MANUAL_SOURCE)),
        }
    }

    /// The scope to narrow lists to; `None`: everything.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            Reach::All => None,
            Reach::Calendars { scope, .. } => Some(scope),
        }
    }

    /// Whether `event` is curated.
    pub fn event(&self, event: &Event) -> bool {
        self.scope().is_none_or(|s| s.matches(event))
    }

    /// Whether events entered by hand may be created, changed or deleted.
    pub fn manual(&self) -> bool {
        match self {
            Reach::All => true,
            Reach::Calendars { manual, .. } => *manual,
        }
    }

    /// `query` narrowed to what is curated.
    pub fn restrict(&self, query: &mut Query) {
        if let Some(scope) = self.scope() {
            query.scope = Some(scope.clone());
        }
    }
}

/// What a staff member asks to do.
#[derive(Clone, Debug)]
pub enum Act {
    /// Read or change one event (patch, unlock, hide, unhide, split).
    Event(String),
    /// Merge these events: every one must be curated.
    Events(Vec<String>),
    /// Edit or merge these venues: every one must host a curated event.
    Venues(Vec<String>),
    /// Create, change or delete an event entered by hand.
    Manual,
    /// Undo this audit entry.
    Undo(i64),
}

/// Why [`check`] said no.
#[derive(Debug)]
pub enum Denied {
    /// The event belongs to none of the calendars.
    Event(String),
    /// No event of the calendars takes place at this venue.
    Venue(String),
    /// None of the calendars lists the events entered by hand.
    Manual,
    /// The audit entry changed nothing of the calendars.
    Undo(i64),
    /// The index could not be read.
    Internal(String),
}

impl Denied {
    /// The sentence that tells `staff` why, in `lang` (plain text).
    pub fn message(&self, lang: &str, staff: &Staff) -> String {
        let calendars = staff.calendars.join(", ");
        match self {
            Denied::Event(id) => i18n::tr_args(
                lang,
                "scope-event",
                &[("id", id.clone().into()), ("calendars", calendars.into())],
            ),
            Denied::Venue(id) => i18n::tr_args(
                lang,
                "scope-venue",
                &[("id", id.clone().into()), ("calendars", calendars.into())],
            ),
            Denied::Manual => i18n::tr_args(
                lang,
                "scope-manual",
                &[
                    ("source", MANUAL_SOURCE.into()),
                    ("calendars", calendars.into()),
                ],
            ),
            Denied::Undo(id) => i18n::tr_args(
                lang,
                "scope-undo",
                &[
                    ("id", id.to_string().into()),
                    ("calendars", calendars.into()),
                ],
            ),
            Denied::Internal(_) => i18n::tr(lang, "auth-internal"),
        }
    }
}

/// Whether `staff` may do `act`: the one decision behind every route of
/// the API and every form of the console that curates. An event or audit
/// entry that does not exist passes, for the action to answer 404 as
/// before.
pub async fn check(state: &AppState, staff: &Staff, act: Act) -> Result<(), Denied> {
    let reach = Reach::of(staff, &state.config());
    let Reach::Calendars { scope, manual } = reach else {
        return Ok(());
    };
    if let Act::Manual = act {
        return if manual { Ok(()) } else { Err(Denied::Manual) };
    }
    let index = Arc::clone(&state.index);
    match tokio::task::spawn_blocking(move || decide(&index, &scope, act)).await {
        Ok(Ok(decision)) => decision,
        Ok(Err(e)) => Err(Denied::Internal(e.to_string())),
        Err(e) => Err(Denied::Internal(e.to_string())),
    }
}

/// [`check`] for the JSON API: 403 `{"error"}` in the aggregator's first
/// language.
pub async fn api_check(state: &AppState, staff: &Staff, act: Act) -> Result<(), Response> {
    match check(state, staff, act).await {
        Ok(()) => Ok(()),
        Err(Denied::Internal(detail)) => Err(internal_error("curation scope", &detail)),
        Err(denied) => Err(json_error(
            StatusCode::FORBIDDEN,
            denied.message(lang_of(state), staff),
        )),
    }
}

/// `act` judged against `scope` (an editor of calendars).
fn decide(index: &Index, scope: &Scope, act: Act) -> Result<Result<(), Denied>, IndexError> {
    match act {
        Act::Manual => Ok(Err(Denied::Manual)),
        Act::Event(id) => events(index, scope, vec![id]),
        Act::Events(ids) => events(index, scope, ids),
        Act::Venues(ids) => {
            for id in ids {
                if !venue_in(index, scope, &id)? {
                    return Ok(Err(Denied::Venue(id)));
                }
            }
            Ok(Ok(()))
        }
        Act::Undo(entry_id) => {
            let Some(entry) = index.audit_entry(entry_id)? else {
                return Ok(Ok(()));
            };
            match entry.action.as_str() {
                "venue.update" | "venue.merge" => Ok(if venue_in(index, scope, &entry.target)? {
                    Ok(())
                } else {
                    Err(Denied::Venue(entry.target))
                }),
                action if action.starts_with("event.") => {
                    // The events it names (a merge names them all, and the
                    // one kept; a split the one it made): those still here.
                    let mut ids: Vec<String> =
                        entry.target.split(',').map(str::to_string).collect();
                    for key in ["into", "new_event"] {
                        if let Some(Value::String(id)) =
                            entry.after.as_ref().and_then(|a| a.get(key))
                        {
                            ids.push(id.clone());
                        }
                    }
                    let mut seen = false;
                    for id in ids {
                        match event_in(index, scope, &id)? {
                            None => {}
                            Some(true) => seen = true,
                            Some(false) => return Ok(Err(Denied::Event(id))),
                        }
                    }
                    Ok(if seen {
                        Ok(())
                    } else {
                        Err(Denied::Undo(entry_id))
                    })
                }
                _ => Ok(Err(Denied::Undo(entry_id))),
            }
        }
    }
}

/// Every one of `ids` that exists must be curated.
fn events(
    index: &Index,
    scope: &Scope,
    ids: Vec<String>,
) -> Result<Result<(), Denied>, IndexError> {
    for id in ids {
        if event_in(index, scope, &id)? == Some(false) {
            return Ok(Err(Denied::Event(id)));
        }
    }
    Ok(Ok(()))
}

/// Whether event `id` (hidden or not) is in `scope`; `None`: no such event.
fn event_in(index: &Index, scope: &Scope, id: &str) -> Result<Option<bool>, IndexError> {
    Ok(index
        .curated_event(id)?
        .map(|curated| scope.matches(&curated.event)))
}

/// Whether some event of `scope`, past or upcoming, takes place at venue `id`.
fn venue_in(index: &Index, scope: &Scope, id: &str) -> Result<bool, IndexError> {
    let mut query = Query::from(DateTime::<Utc>::MIN_UTC);
    query.venues = vec![id.to_string()];
    query.scope = Some(scope.clone());
    query.limit = 1;
    Ok(index.query(&query)?.total > 0)
}

#[cfg(test)]
mod tests;
