//! Which event id each cluster of occurrences keeps: the identity rule of
//! public events, pure. The store reads (the occurrences around a run, the
//! events' `first_seen`, who holds an id) and writes (`event_id`); this
//! module decides, with no SQL.
//!
//! Every occurrence holds an event id; an occurrence new to this run holds
//! its own occurrence id as a placeholder. Once [`crate::dedup::cluster`]
//! has regrouped the occurrences around what a run touched, [`assign`]
//! gives each cluster to reassign one id, by this chain:
//!
//! 1. **Kept clusters claim their ids.** A cluster not reassigned
//!    ([`Cluster::reassign`] false: no member near what the run touched)
//!    keeps the ids its members hold, and no other cluster may take them.
//! 2. **Votes.** Each member that is not new this run votes for the id it
//!    holds (a new one's placeholder is no vote). A cluster's candidates
//!    are ranked: first the ids a person's decisions are pinned to
//!    ([`Ledger::pinned`]), then by votes, then the oldest event ([`Ledger::first_seen`];
//!    an id with no event row last), then the smallest id.
//! 3. **Who chooses first.** A cluster whose top candidate is pinned, then
//!    the one whose top candidate has the most votes, then the one whose top candidate is the smallest id, then the
//!    order given. So when a cluster splits, the part holding most of its
//!    members keeps the id; the rest take their next free candidate, else
//!    fall through to 5.
//! 4. **Free candidates.** A cluster takes its first candidate that is
//!    free: claimed by no cluster before it (1, or an earlier choice) and
//!    held by no occurrence outside the clusters given
//!    ([`Ledger::held_outside`]: the rest of an event that spans the
//!    window's edge keeps its id).
//! 5. **Own ids.** Else the best member's occurrence id
//!    ([`crate::merge::best`]), else another member's, in the order given,
//!    the first free.
//! 6. **Derived.** Else `stable_hash(["event", best occurrence id, n])` for
//!    n = 1, 2, … the first free.
//!
//! The chosen id is claimed; the members holding another id move to it
//! ([`Assignment::moves`]), and both ids are touched: their events must be
//! rebuilt ([`Assignment::touched`]). A new member's placeholder is not
//! touched: no stored event is built from it (the store writes a run's
//! new occurrences with the id they were given, see `index::store`).
//!
//! **Curation.** The staff console's decisions plug in around this chain,
//! not inside the store's SQL ([`crate::curation`]): forced merges and
//! splits reshape the clusters before they are passed to [`assign`] (dedup
//! proposes, curation disposes), and an id with locks or a hide is pinned
//! (step 2), so it stays on its event.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::Occurrence;

/// One occurrence of a cluster.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a> {
    /// The occurrence (its `event.id` is the occurrence id).
    pub occurrence: &'a Occurrence,
    /// The event id it holds now.
    pub event_id: &'a str,
    /// Inserted by this run: its event id is a placeholder, not a vote.
    pub new: bool,
}

/// Occurrences that are the same event.
#[derive(Clone, Debug)]
pub struct Cluster<'a> {
    pub members: Vec<Member<'a>>,
    /// Whether the cluster is given an id. When false, its members keep
    /// the ids they hold, which no other cluster may take (step 1).
    pub reassign: bool,
}

/// What the rule asks of the store. Lookups may fail (they are queries);
/// their error is the caller's, returned as is.
pub trait Ledger {
    type Error: From<NoFreeId>;
    /// When the event `event_id` was first stored; `None` when it has no
    /// row (the placeholder of a new occurrence).
    fn first_seen(&mut self, event_id: &str) -> Result<Option<DateTime<Utc>>, Self::Error>;
    /// Whether an occurrence outside the clusters given holds `event_id`.
    fn held_outside(&mut self, event_id: &str) -> Result<bool, Self::Error>;
    /// Whether a person's decisions (locks, a hide) are attached to
    /// `event_id`: such an id is ranked before every vote, so that the
    /// decisions stay on the event they were made on (see
    /// [`crate::curation`]).
    fn pinned(&mut self, _event_id: &str) -> Result<bool, Self::Error> {
        Ok(false)
    }
}

/// Every derived id is taken (never in practice: 2³² of them).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no free event id derived from {0}")]
pub struct NoFreeId(pub String);

/// What [`assign`] decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Per cluster, in the order given: the id it was given (`None` for a
    /// cluster not reassigned).
    pub event_ids: Vec<Option<String>>,
    /// (occurrence id, event id) for each member whose event id changes.
    pub moves: Vec<(String, String)>,
    /// The event ids whose members changed, old and new (a new member's
    /// placeholder is not one).
    pub touched: BTreeSet<String>,
}

/// A cluster to reassign and its ranked candidates (steps 2 and 3).
struct Plan {
    cluster: usize,
    /// Whether the top candidate is pinned (a curated event).
    pinned: bool,
    /// Votes for the top candidate (0 when nobody votes).
    top: usize,
    candidates: Vec<String>,
}

/// Give each cluster to reassign its event id (see the module doc).
pub fn assign<L: Ledger + ?Sized>(
    clusters: &[Cluster<'_>],
    ledger: &mut L,
) -> Result<Assignment, L::Error> {
    // 1. Kept clusters claim the ids they hold.
    let mut claimed: HashSet<String> = clusters
        .iter()
        .filter(|c| !c.reassign)
        .flat_map(|c| c.members.iter().map(|m| m.event_id.to_string()))
        .collect();
    // 2 and 3.
    let mut plans = Vec::new();
    for (i, cluster) in clusters.iter().enumerate().filter(|(_, c)| c.reassign) {
        plans.push(plan(i, cluster, ledger)?);
    }
    plans.sort_by(|a, b| {
        b.pinned
            .cmp(&a.pinned)
            .then_with(|| b.top.cmp(&a.top))
            .then_with(|| a.candidates.first().cmp(&b.candidates.first()))
            .then_with(|| a.cluster.cmp(&b.cluster))
    });

    let mut out = Assignment {
        event_ids: vec![None; clusters.len()],
        ..Assignment::default()
    };
    for plan in plans {
        let Some(cluster) = clusters.get(plan.cluster) else {
            continue;
        };
        let event_id = choose(cluster, plan.candidates, &claimed, ledger)?;
        for m in &cluster.members {
            if m.event_id != event_id {
                out.moves
                    .push((m.occurrence.event.id.clone(), event_id.clone()));
                if !m.new {
                    out.touched.insert(m.event_id.to_string());
                }
                out.touched.insert(event_id.clone());
            }
        }
        claimed.insert(event_id.clone());
        if let Some(slot) = out.event_ids.get_mut(plan.cluster) {
            *slot = Some(event_id);
        }
    }
    Ok(out)
}

/// Step 2: the ids the cluster's members hold, ranked by votes, then the
/// oldest event, then the smallest id.
fn plan<L: Ledger + ?Sized>(
    index: usize,
    cluster: &Cluster<'_>,
    ledger: &mut L,
) -> Result<Plan, L::Error> {
    let mut votes: HashMap<&str, usize> = HashMap::new();
    for m in cluster.members.iter().filter(|m| !m.new) {
        *votes.entry(m.event_id).or_insert(0) += 1;
    }
    let mut ranked: Vec<(bool, usize, Option<DateTime<Utc>>, &str)> = Vec::new();
    for (id, n) in votes {
        ranked.push((ledger.pinned(id)?, n, ledger.first_seen(id)?, id));
    }
    ranked.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| match (&a.2, &b.2) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| a.3.cmp(b.3))
    });
    Ok(Plan {
        cluster: index,
        pinned: ranked.first().is_some_and(|r| r.0),
        top: ranked.first().map_or(0, |r| r.1),
        candidates: ranked.into_iter().map(|r| r.3.to_string()).collect(),
    })
}

/// Steps 4 to 6: the first free id among the candidates, the members' own
/// ids (best first), then ids derived from the best's.
fn choose<L: Ledger + ?Sized>(
    cluster: &Cluster<'_>,
    candidates: Vec<String>,
    claimed: &HashSet<String>,
    ledger: &mut L,
) -> Result<String, L::Error> {
    let mut free = |id: &str| -> Result<bool, L::Error> {
        Ok(!claimed.contains(id) && !ledger.held_outside(id)?)
    };
    for id in candidates {
        if free(&id)? {
            return Ok(id);
        }
    }
    let occurrences: Vec<&Occurrence> = cluster.members.iter().map(|m| m.occurrence).collect();
    let mut own: Vec<&str> = occurrences.iter().map(|o| o.event.id.as_str()).collect();
    let best = crate::merge::best(&occurrences).unwrap_or(0);
    if best < own.len() {
        let b = own.remove(best);
        own.insert(0, b);
    }
    for id in &own {
        if free(id)? {
            return Ok(id.to_string());
        }
    }
    let base = own.first().copied().unwrap_or_default();
    for n in 1..=u32::MAX {
        let id = model::ids::stable_hash(&["event", base, &n.to_string()]);
        if free(&id)? {
            return Ok(id);
        }
    }
    Err(NoFreeId(base.to_string()).into())
}

#[cfg(test)]
pub(crate) mod tests {
    use model::{Event, SourceId};

    use super::*;

    /// An occurrence of `source`'s record `uid`, at one fixed time (the
    /// geocoding tests use it too).
    pub(crate) fn occ(source: &str, uid: &str) -> Occurrence {
        let start = DateTime::parse_from_rfc3339("2026-12-05T20:00:00-05:00").unwrap();
        let mut event = Event::new("", "Concert", start, "America/Toronto", start.to_utc());
        event.language = Some("fr".to_string());
        Occurrence::single(SourceId::new(source).unwrap(), uid, event)
    }

    /// The store as the rule sees it: events' first_seen, ids held outside
    /// the window, and every lookup asked.
    #[derive(Default)]
    struct Book {
        first_seen: HashMap<String, DateTime<Utc>>,
        outside: HashSet<String>,
        pinned: HashSet<String>,
        asked: Vec<String>,
    }

    impl Book {
        fn event(mut self, id: &str, first_seen: &str) -> Book {
            let at = DateTime::parse_from_rfc3339(first_seen).unwrap();
            self.first_seen
                .insert(id.to_string(), at.with_timezone(&Utc));
            self
        }

        fn outside(mut self, id: &str) -> Book {
            self.outside.insert(id.to_string());
            self
        }
    }

    impl Ledger for Book {
        type Error = NoFreeId;
        fn pinned(&mut self, id: &str) -> Result<bool, NoFreeId> {
            Ok(self.pinned.contains(id))
        }
        fn first_seen(&mut self, id: &str) -> Result<Option<DateTime<Utc>>, NoFreeId> {
            Ok(self.first_seen.get(id).copied())
        }
        fn held_outside(&mut self, id: &str) -> Result<bool, NoFreeId> {
            self.asked.push(id.to_string());
            Ok(self.outside.contains(id))
        }
    }

    /// A member holding `event_id` (not new).
    fn held<'a>(o: &'a Occurrence, event_id: &'a str) -> Member<'a> {
        Member {
            occurrence: o,
            event_id,
            new: false,
        }
    }

    /// A member inserted by this run, holding its own id as placeholder.
    fn fresh(o: &Occurrence) -> Member<'_> {
        Member {
            occurrence: o,
            event_id: &o.event.id,
            new: true,
        }
    }

    fn open(members: Vec<Member<'_>>) -> Cluster<'_> {
        Cluster {
            members,
            reassign: true,
        }
    }

    fn kept(members: Vec<Member<'_>>) -> Cluster<'_> {
        Cluster {
            members,
            reassign: false,
        }
    }

    fn ids(a: &Assignment) -> Vec<Option<&str>> {
        a.event_ids.iter().map(Option::as_deref).collect()
    }

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn derived(base: &str, n: u32) -> String {
        model::ids::stable_hash(&["event", base, &n.to_string()])
    }

    #[test]
    fn a_pinned_id_wins_the_votes_and_chooses_first() {
        // Two held by "old" (older, more votes), one by "curated" (locked).
        let (a, b, c) = (occ("a", "x"), occ("b", "x"), occ("c", "x"));
        let clusters = vec![open(vec![
            held(&a, "old"),
            held(&b, "old"),
            held(&c, "curated"),
        ])];
        let mut book = Book::default()
            .event("old", "2026-01-01T00:00:00Z")
            .event("curated", "2026-06-01T00:00:00Z");
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![Some("old")], "unpinned: votes win");
        book.pinned.insert("curated".into());
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(
            ids(&out),
            vec![Some("curated")],
            "pinned: the person's event keeps its id"
        );
        // A cluster pinned to an id chooses before a cluster with more
        // votes for the same id.
        let d = occ("d", "x");
        let clusters = vec![
            open(vec![held(&a, "curated"), held(&b, "curated")]),
            open(vec![held(&c, "curated"), held(&d, "other")]),
        ];
        let mut book = Book::default();
        book.pinned.insert("other".into());
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![Some("curated"), Some("other")]);
    }

    #[test]
    fn a_new_cluster_takes_its_best_members_id() {
        let mut a = occ("a", "x");
        let mut b = occ("b", "x");
        // b gives more fields: it is the best record.
        b.event.url = Some("https://b.example.org/x".to_string());
        b.event.description = Some("Un concert.".to_string());
        let clusters = vec![open(vec![fresh(&a), fresh(&b)])];
        let out = assign(&clusters, &mut Book::default()).unwrap();
        assert_eq!(ids(&out), vec![Some(b.event.id.as_str())]);
        assert_eq!(out.moves, vec![(a.event.id.clone(), b.event.id.clone())]);
        // a's placeholder is no event to rebuild.
        assert_eq!(out.touched, set(&[&b.event.id]));

        // A higher priority beats completeness.
        a.priority = 10;
        let clusters = vec![open(vec![fresh(&a), fresh(&b)])];
        let out = assign(&clusters, &mut Book::default()).unwrap();
        assert_eq!(ids(&out), vec![Some(a.event.id.as_str())]);
    }

    #[test]
    fn an_event_keeps_its_id_when_a_record_changes_time_or_title() {
        // The occurrence is not new (its id is stable across edits): it
        // votes for the event it holds, which is not its own id.
        let mut a = occ("a", "x");
        a.event.title = "Concert (reprise)".to_string();
        a.event.start = DateTime::parse_from_rfc3339("2026-12-05T21:00:00-05:00").unwrap();
        let b = occ("b", "x");
        let event = b.event.id.clone();
        let clusters = vec![open(vec![held(&a, &event), held(&b, &event)])];
        let mut book = Book::default().event(&event, "2026-11-01T10:00:00Z");
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![Some(event.as_str())]);
        assert!(out.moves.is_empty());
        assert!(out.touched.is_empty());
    }

    #[test]
    fn the_id_most_members_hold_wins() {
        let (a, b, c) = (occ("a", "x"), occ("b", "x"), occ("c", "x"));
        let clusters = vec![open(vec![
            held(&a, "old"),
            held(&b, "young"),
            held(&c, "young"),
        ])];
        // The majority beats an older event.
        let mut book = Book::default()
            .event("old", "2026-01-01T00:00:00Z")
            .event("young", "2026-06-01T00:00:00Z");
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![Some("young")]);
        assert_eq!(out.moves, vec![(a.event.id.clone(), "young".to_string())]);
        assert_eq!(out.touched, set(&["old", "young"]));
    }

    #[test]
    fn a_tie_goes_to_the_oldest_event_then_the_smallest_id() {
        let (a, b) = (occ("a", "x"), occ("b", "x"));
        let clusters = vec![open(vec![held(&a, "m"), held(&b, "z")])];
        let mut book = Book::default()
            .event("m", "2026-06-01T00:00:00Z")
            .event("z", "2026-01-01T00:00:00Z");
        assert_eq!(ids(&assign(&clusters, &mut book).unwrap()), vec![Some("z")]);

        // Sub-second first_seen compare as instants, not as text.
        let mut book = Book::default()
            .event("m", "2026-01-01T00:00:00.123456Z")
            .event("z", "2026-01-01T00:00:00.123Z");
        assert_eq!(ids(&assign(&clusters, &mut book).unwrap()), vec![Some("z")]);

        // Same age: the smallest id.
        let mut book = Book::default()
            .event("m", "2026-01-01T00:00:00Z")
            .event("z", "2026-01-01T00:00:00Z");
        assert_eq!(ids(&assign(&clusters, &mut book).unwrap()), vec![Some("m")]);

        // An id with no event row comes after one with a row.
        let mut book = Book::default().event("z", "2026-01-01T00:00:00Z");
        assert_eq!(ids(&assign(&clusters, &mut book).unwrap()), vec![Some("z")]);
    }

    #[test]
    fn a_split_leaves_the_id_to_the_larger_part_and_a_stable_new_one_to_the_rest() {
        // Three records were one event "e"; c moved away and is a cluster
        // of its own, given first (the order must not matter).
        let (a, b, c) = (occ("a", "x"), occ("b", "x"), occ("c", "x"));
        let clusters = vec![
            open(vec![held(&c, "e")]),
            open(vec![held(&a, "e"), held(&b, "e")]),
        ];
        let mut book = Book::default().event("e", "2026-11-01T10:00:00Z");
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(
            ids(&out),
            vec![Some(c.event.id.as_str()), Some("e")],
            "c falls back to its own occurrence id"
        );
        assert_eq!(out.moves, vec![(c.event.id.clone(), c.event.id.clone())]);
        assert_eq!(out.touched, set(&["e", &c.event.id]));
        // The same input gives the same answer.
        let mut book = Book::default().event("e", "2026-11-01T10:00:00Z");
        assert_eq!(assign(&clusters, &mut book).unwrap(), out);
    }

    #[test]
    fn two_clusters_wanting_the_same_id_the_one_holding_more_members_wins() {
        let (a, b, c, d) = (occ("a", "x"), occ("b", "x"), occ("c", "x"), occ("d", "x"));
        let clusters = vec![
            open(vec![held(&a, "e"), held(&d, "f")]),
            open(vec![held(&b, "e"), held(&c, "e")]),
        ];
        let mut book = Book::default()
            .event("e", "2026-01-01T00:00:00Z")
            .event("f", "2026-06-01T00:00:00Z");
        let out = assign(&clusters, &mut book).unwrap();
        // The second holds two of e's members: it keeps e; the first takes
        // its next candidate.
        assert_eq!(ids(&out), vec![Some("f"), Some("e")]);
        assert_eq!(out.moves, vec![(a.event.id.clone(), "f".to_string())]);

        // Equal votes: the smallest top candidate chooses first, then the
        // order given.
        let clusters = vec![
            open(vec![held(&a, "e")]),
            open(vec![held(&b, "e")]),
            open(vec![held(&c, "d")]),
        ];
        let out = assign(&clusters, &mut Book::default()).unwrap();
        assert_eq!(
            ids(&out),
            vec![Some("e"), Some(b.event.id.as_str()), Some("d")]
        );
    }

    #[test]
    fn ids_kept_by_clusters_not_reassigned_are_taken() {
        let (a, b) = (occ("a", "x"), occ("b", "x"));
        let clusters = vec![kept(vec![held(&a, "e")]), open(vec![held(&b, "e")])];
        let out = assign(&clusters, &mut Book::default()).unwrap();
        assert_eq!(ids(&out), vec![None, Some(b.event.id.as_str())]);
        assert_eq!(out.moves, vec![(b.event.id.clone(), b.event.id.clone())]);
    }

    #[test]
    fn an_id_held_outside_the_window_is_not_reused() {
        let (a, b) = (occ("a", "x"), occ("b", "x"));
        let clusters = vec![open(vec![held(&a, "e"), fresh(&b)])];
        let mut book = Book::default()
            .event("e", "2026-01-01T00:00:00Z")
            .outside("e");
        let out = assign(&clusters, &mut book).unwrap();
        // Both have the same rank: a's source sorts first.
        assert_eq!(ids(&out), vec![Some(a.event.id.as_str())]);
        // b's placeholder is not touched: no event is built from it.
        assert_eq!(out.touched, set(&["e", &a.event.id]));

        // Nor is an own occurrence id held outside.
        let mut book = Book::default().outside("e").outside(&a.event.id);
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![Some(b.event.id.as_str())]);
        assert_eq!(
            book.asked,
            vec!["e".to_string(), a.event.id.clone(), b.event.id.clone()]
        );
    }

    #[test]
    fn a_new_occurrence_does_not_vote() {
        // Two new records join one old one: the old one's event wins,
        // though the new placeholders outnumber it.
        let (a, b, c) = (occ("a", "x"), occ("b", "x"), occ("c", "x"));
        let clusters = vec![open(vec![fresh(&a), fresh(&b), held(&c, "e")])];
        let mut book = Book::default().event("e", "2026-11-01T10:00:00Z");
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![Some("e")]);
        assert_eq!(
            out.moves,
            vec![
                (a.event.id.clone(), "e".to_string()),
                (b.event.id.clone(), "e".to_string())
            ]
        );
        // Only e changes: a's and b's placeholders are no events.
        assert_eq!(out.touched, set(&["e"]));
    }

    #[test]
    fn a_derived_id_when_every_own_id_is_taken() {
        // a and b held e, which an occurrence outside the window holds too;
        // after earlier splits, c and d hold a's and b's occurrence ids in
        // a cluster the run did not touch.
        let (a, b, c, d) = (occ("a", "x"), occ("b", "x"), occ("c", "x"), occ("d", "x"));
        let clusters = vec![
            kept(vec![held(&c, &a.event.id), held(&d, &b.event.id)]),
            open(vec![held(&a, "e"), held(&b, "e")]),
        ];
        // a is the best (its source sorts first): ids derive from its id.
        let base = a.event.id.clone();
        let mut book = Book::default().outside("e");
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![None, Some(derived(&base, 1).as_str())]);

        // The first derived id is taken too: the next one.
        let mut book = Book::default().outside("e").outside(&derived(&base, 1));
        let out = assign(&clusters, &mut book).unwrap();
        assert_eq!(ids(&out), vec![None, Some(derived(&base, 2).as_str())]);
        assert_eq!(out.touched, set(&["e", &derived(&base, 2)]));
    }
}
