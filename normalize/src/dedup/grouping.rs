//! Clustering that grows: occurrences are added a few at a time, each
//! one's features computed once, and each pair scored once, when its later
//! member comes. The store uses it to close the group of occurrences a run
//! touched (adding the candidates it reads, following the pairs accepted)
//! and then to cluster that group, without computing anything twice.
//!
//! [`Grouping::cluster`] of a set of occurrences gives the groups
//! [`cluster`](super::cluster) gives for the same occurrences ordered by
//! start, then occurrence id: the same pairs (those sharing a blocking key
//! on the same or the next local date, that the decision accepts), joined
//! in the same order. A test checks it on the labelled sets.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use model::Occurrence;

use super::blocking::{key_hash64, share, venue_hash};
use super::blocking::{Blocking, PlaceFeatures};
use super::cluster::{at_unknown_place, join_in_order};
use super::decide::{score, Features, TitleFeatures};
use super::places::{place, venue_features, Place, VenueFeatures};
use super::MAX_START_GAP_SECS;

/// [`Grouping::add_all`] computes features on several threads from this
/// many occurrences per thread (a thread costs tens of microseconds; an
/// occurrence's features about ten).
pub const PARALLEL_FROM: usize = 64;

/// Occurrences added so far, their features, and the pairs accepted
/// among them.
#[derive(Default)]
pub struct Grouping<'a> {
    occs: Vec<&'a Occurrence>,
    features: Vec<Features<'a>>,
    /// Each occurrence's source, as a number (compared for every pair
    /// looked at: numbers, not strings).
    source_of: Vec<u32>,
    sources: HashMap<&'a str, u32>,
    /// (hash of a blocking key, local date) → occurrences.
    postings: HashMap<(u64, NaiveDate), Vec<usize>>,
    /// Accepted pairs `(score, first, second)`, the first being the one
    /// that comes first in (date, start, id) order.
    pairs: Vec<(f64, usize, usize)>,
    /// Occurrences below this were paired among themselves.
    paired: usize,
    /// The venues read, by hash: a hall's shows share its features.
    venues: HashMap<u64, (&'a model::Venue, Arc<VenueFeatures>)>,
    /// The titles read, with the language they were read in: a series'
    /// occurrences share their title's features.
    titles: TitleBook<'a>,
    /// Per occurrence, the partners of its pairs accepted at an unknown
    /// place, until it is ambiguous.
    unknown_partners: Vec<Vec<usize>>,
    /// Per occurrence: its pairs at an unknown place reach two different
    /// places, so clustering drops them all (see
    /// [`drop_ambiguous`](super::cluster::drop_ambiguous)). More pairs
    /// never make it unambiguous again.
    ambiguous: Vec<bool>,
    /// Members are added deferred ([`Grouping::deferring`]).
    deferring: bool,
    /// Per member: its pairs with every member sharing a key are scored.
    active: Vec<bool>,
    /// Per member: activated since the last [`Grouping::pair_new`].
    activated: Vec<bool>,
    /// The members activated since the last [`Grouping::pair_new`], in
    /// order.
    pending: Vec<usize>,
    /// Per member, the last look of [`Grouping::each_near`] that met it.
    seen: Vec<u64>,
    /// Looks so far (the first is 1: `seen` starts at 0).
    looks: u64,
}

impl<'a> Grouping<'a> {
    pub fn new() -> Grouping<'a> {
        Grouping::default()
    }

    pub fn len(&self) -> usize {
        self.occs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.occs.is_empty()
    }

    /// Add an occurrence; returns its index.
    pub fn add(&mut self, occ: &'a Occurrence) -> usize {
        let venue = self.venue(occ);
        let title = self.titles.get_or_read(occ);
        self.push(occ, Features::with_title(occ, title, venue))
    }

    /// Add occurrences, in order, as [`Grouping::add`] one after the
    /// other would; the features of the titles not read yet (their words
    /// through the stemmers, most of the cost), then the occurrences',
    /// are computed on up to `threads` threads at once
    /// ([`crate::parallel::map`], from [`PARALLEL_FROM`] per thread).
    /// Returns the index of the first.
    pub fn add_all(&mut self, occs: &[&'a Occurrence], threads: usize) -> usize {
        let first = self.occs.len();
        self.titles.read_all(occs, threads);
        let jobs: Vec<(&'a Occurrence, _, _)> = occs
            .iter()
            .map(|&occ| (occ, self.titles.get_or_read(occ), self.venue(occ)))
            .collect();
        let features = crate::parallel::map(jobs, threads, PARALLEL_FROM, |(occ, title, venue)| {
            Features::with_title(occ, title, venue)
        });
        for (occ, f) in occs.iter().zip(features) {
            self.push(occ, f);
        }
        first
    }

    /// The features of `occ`'s venue, read once per venue (a hash two
    /// venues share keeps the first one's).
    fn venue(&mut self, occ: &'a Occurrence) -> Option<Arc<VenueFeatures>> {
        occ.event.venue.as_ref().map(|v| {
            let hash = venue_hash(v);
            match self.venues.get(&hash) {
                Some((seen, features)) if *seen == v => Arc::clone(features),
                _ => {
                    let features = Arc::new(venue_features(v));
                    self.venues
                        .entry(hash)
                        .or_insert_with(|| (v, Arc::clone(&features)));
                    features
                }
            }
        })
    }

    fn push(&mut self, occ: &'a Occurrence, features: Features<'a>) -> usize {
        self.occs.push(occ);
        self.features.push(features);
        let next = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
        self.source_of
            .push(*self.sources.entry(occ.source.as_str()).or_insert(next));
        self.unknown_partners.push(Vec::new());
        self.ambiguous.push(false);
        self.active.push(false);
        self.activated.push(!self.deferring);
        self.occs.len() - 1
    }

    /// Note an accepted pair: at an unknown place, each member learns its
    /// partner, and becomes ambiguous when two of its partners are at
    /// different places.
    fn accepted(&mut self, a: usize, b: usize) {
        let (Some(fa), Some(fb)) = (self.features.get(a), self.features.get(b)) else {
            return;
        };
        if !at_unknown_place(fa, fb) {
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            if self.ambiguous.get(x) != Some(&false) {
                continue;
            }
            let venue_of = |i: usize| self.features.get(i).and_then(|f| f.venue.as_deref());
            let apart = self.unknown_partners.get(x).is_some_and(|partners| {
                partners
                    .iter()
                    .any(|&k| place(venue_of(y), venue_of(k)) == Place::Different)
            });
            if apart {
                if let Some(flag) = self.ambiguous.get_mut(x) {
                    *flag = true;
                }
                if let Some(partners) = self.unknown_partners.get_mut(x) {
                    *partners = Vec::new();
                }
            } else if let Some(partners) = self.unknown_partners.get_mut(x) {
                partners.push(y);
            }
        }
    }

    /// Whether the store's closure goes from member `i` to `j` over their
    /// accepted pair: not when `i` is ambiguous and the pair is at an
    /// unknown place (clustering drops it, so nothing past `i` joins
    /// through it; an ambiguous listing without a venue would otherwise
    /// draw in every show of its title and hour across the region). Into
    /// an ambiguous listing it goes: the listing's stored event, formed
    /// before the pair that made it ambiguous came, must be clustered
    /// again.
    pub fn follows(&self, i: usize, j: usize) -> bool {
        self.ambiguous.get(i) != Some(&true) || self.joinable(i, j)
    }

    /// Whether member `i` is ambiguous and has no venue at all: each pair
    /// it may have is at an unknown place and dropped, so clustering leaves
    /// it alone whatever other pairs it has, and it makes no other listing
    /// ambiguous (a place it does not have cannot differ from another).
    pub fn settled(&self, i: usize) -> bool {
        self.ambiguous.get(i) == Some(&true)
            && self.features.get(i).is_some_and(|f| f.venue.is_none())
    }

    /// Whether the accepted pair `(a, b)` can join its members in
    /// [`Grouping::cluster`]: not when it is at an unknown place and one of
    /// them is ambiguous among the pairs found so far. Once false, it stays
    /// false.
    pub fn joinable(&self, a: usize, b: usize) -> bool {
        let (Some(fa), Some(fb)) = (self.features.get(a), self.features.get(b)) else {
            return false;
        };
        let ambiguous = |i: usize| self.ambiguous.get(i) == Some(&true);
        !(at_unknown_place(fa, fb) && (ambiguous(a) || ambiguous(b)))
    }

    /// Whether member `i` may pair on its title with a stored occurrence
    /// held at `place` (None: at no venue) whose blocking carries the title
    /// sketch `title` ([`Blocking::title`]): false only when one of the two
    /// has no venue and the titles fail what the decision asks at an
    /// unknown place, so that the decision would refuse the pair (the
    /// store then does not read it).
    pub fn may_agree_on_title(
        &self,
        i: usize,
        place: Option<&PlaceFeatures>,
        title: Option<&str>,
    ) -> bool {
        self.features
            .get(i)
            .is_none_or(|f| super::blocking::title_may_agree(place, title, f))
    }

    /// The blocking of the occurrence at `i` (see [`Blocking`]).
    pub fn blocking(&self, i: usize) -> Option<Blocking> {
        self.features.get(i).map(Blocking::from_features)
    }

    /// Score the pairs not scored yet that have a member added or activated
    /// since the last call (the other sharing one of its blocking keys on
    /// the same or the next or previous date); returns the pairs accepted
    /// now. A pair of two deferred members waits until one of them is
    /// activated (see [`Grouping::deferring`]); every other pair is scored
    /// once.
    pub fn pair_new(&mut self) -> Vec<(usize, usize)> {
        let from = self.paired;
        let to = self.features.len();
        for i in from..to {
            let Some(f) = self.features.get(i) else {
                continue;
            };
            for key in &f.block {
                self.postings
                    .entry((key_hash64(key), f.date))
                    .or_default()
                    .push(i);
            }
        }
        let pending = std::mem::take(&mut self.pending);
        let mut found = Vec::new();
        // Each pair once: the look (see `each_near`) each member was last
        // seen by, kept from call to call (the store calls this for every
        // few candidates it reads: a fresh list each time would cost the
        // whole grouping every time).
        let mut seen = std::mem::take(&mut self.seen);
        seen.resize(to, 0);
        // The new members, each with those added before it: one of the two
        // active (or activated now) for the pair to be scored.
        for i in from..to {
            let i_active = self.is_active(i);
            self.each_near(
                i,
                &mut seen,
                |g, j| (j < i).then_some(i_active || g.is_active(j)),
                &mut found,
            );
        }
        // The members added before and activated now, one after the other,
        // with those added before that are still deferred (their pairs with
        // the new ones and the active ones are scored already).
        for k in pending {
            if k >= from || self.active.get(k) == Some(&true) {
                continue;
            }
            self.each_near(
                k,
                &mut seen,
                |g, j| (j < from).then(|| j != k && g.active.get(j) == Some(&false)),
                &mut found,
            );
            if let Some(a) = self.active.get_mut(k) {
                *a = true;
            }
        }
        for i in from..to {
            if self.is_active(i) {
                if let Some(a) = self.active.get_mut(i) {
                    *a = true;
                }
            }
        }
        self.paired = to;
        self.seen = seen;
        for &(a, b) in &found {
            self.accepted(a, b);
        }
        found
    }

    /// Whether member `i` is active, or activated since the last
    /// [`Grouping::pair_new`].
    fn is_active(&self, i: usize) -> bool {
        self.active.get(i) == Some(&true) || self.activated.get(i) == Some(&true)
    }

    /// Score member `i` against the members sharing one of its keys on the
    /// same, previous or next date whose times can agree, of another
    /// source: those for which `wanted` says `Some(true)` (`None`: stop this
    /// list, which is in the order added); the accepted pairs go to `found`.
    ///
    /// `seen` holds, per member, the number of the last look that met it
    /// (each look takes the next number, so a member met under two keys is
    /// scored once).
    fn each_near(
        &mut self,
        i: usize,
        seen: &mut [u64],
        wanted: impl Fn(&Self, usize) -> Option<bool>,
        found: &mut Vec<(usize, usize)>,
    ) {
        self.looks += 1;
        let look = self.looks;
        let (Some(fi), Some(si)) = (self.features.get(i), self.source_of.get(i)) else {
            return;
        };
        let mut accepted = Vec::new();
        let dates = [fi.date.pred_opt(), Some(fi.date), fi.date.succ_opt()];
        for key in &fi.block {
            let h = key_hash64(key);
            for date in dates.iter().flatten() {
                let Some(list) = self.postings.get(&(h, *date)) else {
                    continue;
                };
                for &j in list {
                    match wanted(self, j) {
                        None => break,
                        Some(false) => continue,
                        Some(true) => {}
                    }
                    let Some(fj) = self.features.get(j) else {
                        continue;
                    };
                    // What the decision refuses first, cheaply: times
                    // that cannot agree.
                    let times = if fi.all_day || fj.all_day {
                        fi.date == fj.date
                    } else {
                        (fi.start - fj.start).abs() <= MAX_START_GAP_SECS
                    };
                    if !times || self.source_of.get(j) == Some(si) {
                        continue;
                    }
                    match seen.get_mut(j) {
                        Some(s) if *s == look => continue,
                        Some(s) => *s = look,
                        None => continue,
                    }
                    if !share(&fi.block, &fj.block) {
                        continue;
                    }
                    let (a, b) = if self.comes_first(j, i) {
                        (j, i)
                    } else {
                        (i, j)
                    };
                    let (Some(fa), Some(fb)) = (self.features.get(a), self.features.get(b)) else {
                        continue;
                    };
                    if let Some(s) = score(fa, fb) {
                        accepted.push((s, a, b));
                    }
                }
            }
        }
        for (s, a, b) in accepted {
            self.pairs.push((s, a, b));
            found.push((a, b));
        }
    }

    /// A grouping whose members are added deferred: a pair of two deferred
    /// members is not scored until one of them is activated
    /// ([`Grouping::activate`]). The store adds the stored candidates it
    /// reads this way (most never join the group; their pairs among
    /// themselves were decided when they were stored) and activates those
    /// that join it; [`Grouping::cluster`] must only be given activated
    /// members.
    pub fn deferring() -> Grouping<'a> {
        Grouping {
            deferring: true,
            ..Grouping::default()
        }
    }

    /// Activate member `i`: its pairs with the deferred members are scored
    /// at the next [`Grouping::pair_new`].
    pub fn activate(&mut self, i: usize) {
        if self.is_active(i) {
            return;
        }
        if let Some(a) = self.activated.get_mut(i) {
            *a = true;
            self.pending.push(i);
        }
    }

    /// Whether `a` comes before `b` in the order [`cluster`](super::cluster)
    /// compares pairs in: the earlier local date, then the earlier start,
    /// then the smaller occurrence id.
    fn comes_first(&self, a: usize, b: usize) -> bool {
        self.order_key(a) < self.order_key(b)
    }

    fn order_key(&self, i: usize) -> (Option<NaiveDate>, i64, &str) {
        let f = self.features.get(i);
        let o = self.occs.get(i);
        (
            f.map(|f| f.date),
            o.map_or(0, |o| o.event.start.timestamp()),
            o.map_or("", |o| o.event.id.as_str()),
        )
    }

    /// Group the occurrences of `subset` (indexes of this grouping; pairs
    /// are those [`Grouping::pair_new`] found). Groups come in order of
    /// their first member, members by (start, id). A listing is ambiguous
    /// by all the pairs found, not only those within `subset`: every pair
    /// of a member the store expanded is found (but those of a listing
    /// without a venue after it is settled, which would all be dropped,
    /// and those the title pre-filter refuses, which the decision refuses
    /// too), so this is what clustering everything at once decides, even
    /// where the store's closure did not follow a pair
    /// [`Grouping::joinable`] refused.
    pub fn cluster(&self, subset: &[usize]) -> Vec<Vec<usize>> {
        let mut ranked: Vec<usize> = subset.to_vec();
        ranked.sort_by(|&a, &b| {
            let (ka, kb) = (self.order_key(a), self.order_key(b));
            (ka.1, ka.2).cmp(&(kb.1, kb.2))
        });
        ranked.dedup();
        let mut rank: HashMap<usize, usize> = HashMap::with_capacity(ranked.len());
        for (r, &i) in ranked.iter().enumerate() {
            rank.insert(i, r);
        }
        let mut edges: Vec<(f64, usize, usize)> = self
            .pairs
            .iter()
            .filter(|(_, a, b)| rank.contains_key(a) && rank.contains_key(b))
            .copied()
            .collect();
        edges.retain(|&(_, a, b)| self.joinable(a, b));
        let r = |i: &usize| rank.get(i).copied().unwrap_or(usize::MAX);
        edges.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| r(&a.1).cmp(&r(&b.1)))
                .then_with(|| r(&a.2).cmp(&r(&b.2)))
        });
        join_in_order(&self.features, &edges, ranked.into_iter())
    }
}

/// The features of the titles read, by title and the language it is read
/// in (see [`TitleFeatures`]).
#[derive(Default)]
pub(super) struct TitleBook<'a> {
    read: HashMap<(&'a str, Option<&'a str>), Arc<TitleFeatures>>,
}

impl<'a> TitleBook<'a> {
    fn key(occ: &'a Occurrence) -> (&'a str, Option<&'a str>) {
        (occ.event.title.as_str(), occ.event.language.as_deref())
    }

    /// The features of `occ`'s title, read now if they were not.
    pub(super) fn get_or_read(&mut self, occ: &'a Occurrence) -> Arc<TitleFeatures> {
        let key = Self::key(occ);
        Arc::clone(
            self.read
                .entry(key)
                .or_insert_with(|| Arc::new(TitleFeatures::new(key.0, key.1))),
        )
    }

    /// Read the titles of `occs` not read yet, on up to `threads` threads.
    pub(super) fn read_all(&mut self, occs: &[&'a Occurrence], threads: usize) {
        let mut new: Vec<(&'a str, Option<&'a str>)> = Vec::new();
        let mut asked = std::collections::HashSet::new();
        for &occ in occs {
            let key = Self::key(occ);
            if !self.read.contains_key(&key) && asked.insert(key) {
                new.push(key);
            }
        }
        let read =
            crate::parallel::map(new.clone(), threads, PARALLEL_FROM, |(title, language)| {
                TitleFeatures::new(title, language)
            });
        for (key, features) in new.into_iter().zip(read) {
            self.read.insert(key, Arc::new(features));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labelled sets, clustered at once and grown a few at a time in
    /// a shuffled order, give the same groups.
    #[test]
    fn growing_gives_the_groups_of_clustering_at_once() {
        for set in ["evaluation.json", "tuning_fr_en.json", "holdout.json"] {
            let mut occs = crate::dedup::tests::labelled_occurrences(set);
            occs.sort_by(|a, b| {
                a.event
                    .start
                    .timestamp()
                    .cmp(&b.event.start.timestamp())
                    .then_with(|| a.event.id.cmp(&b.event.id))
            });
            let ids: std::collections::HashSet<&str> =
                occs.iter().map(|o| o.event.id.as_str()).collect();
            assert_eq!(ids.len(), occs.len(), "{set}: occurrence ids are unique");
            let refs: Vec<&Occurrence> = occs.iter().collect();
            let mut want: Vec<Vec<String>> = super::super::cluster(&refs)
                .into_iter()
                .map(|g| g.into_iter().map(|i| occs[i].event.id.clone()).collect())
                .collect();
            want.sort();
            // Added in a scrambled order, paired every 7 additions.
            let mut order: Vec<usize> = (0..occs.len()).collect();
            let n = order.len();
            for i in 0..n {
                order.swap(i, (i * 7919 + 13) % n);
            }
            let mut g = Grouping::new();
            for (k, &i) in order.iter().enumerate() {
                g.add(&occs[i]);
                if k % 7 == 6 {
                    g.pair_new();
                }
            }
            g.pair_new();
            // The groups of everything added, as `cluster` gives them.
            let groups = |g: &Grouping<'_>| -> Vec<Vec<String>> {
                let all: Vec<usize> = (0..g.len()).collect();
                let mut got: Vec<Vec<String>> = g
                    .cluster(&all)
                    .into_iter()
                    .map(|grp| grp.into_iter().map(|i| order_id(g, i)).collect())
                    .collect();
                for grp in &mut got {
                    grp.sort_by_key(|id| occs.iter().position(|o| &o.event.id == id));
                }
                got.sort();
                got
            };
            assert_eq!(groups(&g), want, "{set}");
            // The same added in batches whose features are computed on
            // three threads: the same features, the same groups.
            let mut h = Grouping::new();
            let scrambled: Vec<&Occurrence> = order.iter().map(|&i| &occs[i]).collect();
            for batch in scrambled.chunks(3 * PARALLEL_FROM + 5) {
                let first = h.len();
                assert_eq!(h.add_all(batch, 3), first);
                h.pair_new();
            }
            assert_eq!(h.len(), g.len());
            for i in 0..g.len() {
                assert_eq!(h.blocking(i), g.blocking(i), "{set}: blocking {i}");
            }
            assert_eq!(groups(&h), want, "{set}, in batches");
        }
    }

    /// A deferring grouping scores, once each, exactly the pairs of the
    /// full one that have an activated member, whatever the order members
    /// are added and activated in; its clusters of the activated members
    /// and ambiguous listings are the full one's.
    #[test]
    fn deferred_members_are_paired_with_the_activated_ones_only() {
        for set in ["evaluation.json", "tuning_fr_en.json", "holdout.json"] {
            let occs = crate::dedup::tests::labelled_occurrences(set);
            let n = occs.len();
            let mut order: Vec<usize> = (0..n).collect();
            for i in 0..n {
                order.swap(i, (i * 7919 + 29) % n);
            }
            let mut full = Grouping::new();
            let mut lazy = Grouping::deferring();
            let mut active = vec![false; n];
            // Rounds: a batch added (some activated at once), then some
            // members of earlier batches activated, then pairs.
            let mut next = 1u64;
            let mut rand = |m: usize| {
                next = next
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((next >> 33) as usize) % m.max(1)
            };
            for batch in order.chunks(11) {
                for &i in batch {
                    full.add(&occs[i]);
                    lazy.add(&occs[i]);
                }
                let added = full.len();
                for _ in 0..4 {
                    let k = rand(added);
                    if !active[k] && rand(3) == 0 {
                        active[k] = true;
                        lazy.activate(k);
                    }
                }
                full.pair_new();
                lazy.pair_new();
            }
            let with_active = |pairs: &[(f64, usize, usize)]| -> Vec<(usize, usize)> {
                let mut v: Vec<(usize, usize)> = pairs
                    .iter()
                    .filter(|(_, a, b)| active[*a] || active[*b])
                    .map(|&(_, a, b)| (a, b))
                    .collect();
                v.sort_unstable();
                v
            };
            let mut scored: Vec<(usize, usize)> =
                lazy.pairs.iter().map(|&(_, a, b)| (a, b)).collect();
            scored.sort_unstable();
            let before = scored.len();
            scored.dedup();
            assert_eq!(scored.len(), before, "{set}: a pair scored twice");
            assert!(with_active(&full.pairs).len() >= 20, "{set}: pairs to find");
            assert_eq!(with_active(&lazy.pairs), with_active(&full.pairs), "{set}");
            assert!(
                active.iter().filter(|&&a| a).count() * 4 < n,
                "{set}: most members stay deferred"
            );
            let subset: Vec<usize> = (0..n).filter(|&i| active[i]).collect();
            assert_eq!(lazy.cluster(&subset), full.cluster(&subset), "{set}");
            for &i in &subset {
                assert_eq!(lazy.ambiguous[i], full.ambiguous[i], "{set}: member {i}");
            }
        }
    }

    fn order_id(g: &Grouping<'_>, i: usize) -> String {
        g.occs
            .get(i)
            .map(|o| o.event.id.clone())
            .unwrap_or_default()
    }
}
