//! What the writer knows of venues while it closes dedup groups, kept from
//! one batch to the next.
//!
//! A stored blocking holds only its venue's hash
//! ([`normalize::dedup::venue_hash`]). Closing a group, a candidate need not
//! be read when its venue is known and the decision finds it another place
//! than the member's ([`normalize::dedup::venues_may_pair`]): in a dense
//! region most candidates sharing a title word and an hour are shows at
//! other halls. This book holds each venue met, by hash, and each pair of
//! hashes decided, so that a hall is learnt once per process rather than
//! once per batch, and a pair of halls is decided once rather than once per
//! batch (deciding reads both names through the stemmers and the lexicon:
//! it was 40% of the writer's time at a million occurrences).
//!
//! Everything here is a pure function of the venues, not of the store: it
//! never goes stale. A hash two different venues share says nothing (both
//! may pair with anything), so a 64-bit collision costs a read, never a
//! missed pair. Its size is bounded: past [`MAX_VENUES`] venues or
//! [`MAX_PAIRS`] pairs it starts again empty.

use model::Venue;
use rustc_hash::FxHashMap;

/// Venues kept at most (a region has hundreds; a coop's many thousands).
const MAX_VENUES: usize = 100_000;
/// Decided pairs kept at most (~24 bytes each).
const MAX_PAIRS: usize = 2_000_000;

/// Venues by hash and the pairs decided (see the module doc).
#[derive(Default)]
pub(crate) struct VenueBook {
    /// None: two different venues share the hash.
    venues: FxHashMap<u64, Option<Venue>>,
    /// (member's venue hash, candidate's venue hash) → may pair.
    pairs: FxHashMap<(u64, u64), bool>,
}

impl VenueBook {
    /// Take in venue `v`, whose hash is `hash`.
    pub fn learn(&mut self, hash: u64, v: &Venue) {
        if self.venues.len() >= MAX_VENUES && !self.venues.contains_key(&hash) {
            self.venues.clear();
            self.pairs.clear();
        }
        match self.venues.get_mut(&hash) {
            Some(known) => {
                if known.as_ref().is_some_and(|k| k != v) {
                    *known = None;
                }
            }
            None => {
                self.venues.insert(hash, Some(v.clone()));
            }
        }
    }

    /// Whether the venue of hash `hash` is known (a collision counts as
    /// known: nothing more would be learnt by reading another).
    pub fn knows(&self, hash: u64) -> bool {
        self.venues.contains_key(&hash)
    }

    /// Whether an occurrence at venue `mine` (with its hash) may pair, as
    /// far as venues go, with one at the venue of hash `other`: false only
    /// when that venue is known and the decision finds it another place.
    pub fn may_pair(&mut self, mine: Option<(u64, &Venue)>, other: Option<u64>) -> bool {
        let (Some((hash, mine)), Some(theirs)) = (mine, other) else {
            return true;
        };
        if hash == theirs {
            return true;
        }
        let Some(Some(seen)) = self.venues.get(&theirs) else {
            return true;
        };
        // The pair is kept under the member's hash only when the book knows
        // that hash as one venue (every member's venue is learnt when it is
        // loaded, before its candidates are looked for); else decided
        // afresh.
        if !matches!(self.venues.get(&hash), Some(Some(_))) {
            return normalize::dedup::venues_may_pair(Some(mine), Some(seen));
        }
        if let Some(&decided) = self.pairs.get(&(hash, theirs)) {
            return decided;
        }
        let decided = normalize::dedup::venues_may_pair(Some(mine), Some(seen));
        if self.pairs.len() >= MAX_PAIRS {
            self.pairs.clear();
        }
        self.pairs.insert((hash, theirs), decided);
        decided
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use normalize::dedup::venue_hash;

    fn venue(id: &str, name: &str, city: &str) -> Venue {
        Venue {
            id: id.to_string(),
            name: name.to_string(),
            address: None,
            city: Some(city.to_string()),
            lat: None,
            lon: None,
            precision: None,
        }
    }

    #[test]
    fn a_known_venue_elsewhere_is_refused_and_an_unknown_one_is_not() {
        let mut book = VenueBook::default();
        let mda = venue("mda", "Maison des arts de Laval", "Laval");
        let other = venue("salle-x", "Salle André-Mathieu", "Laval");
        let (h_mda, h_other) = (venue_hash(&mda), venue_hash(&other));
        // Not known yet: may pair (the candidate must be read).
        assert!(book.may_pair(Some((h_mda, &mda)), Some(h_other)));
        book.learn(h_other, &other);
        assert!(book.knows(h_other));
        assert!(!book.may_pair(Some((h_mda, &mda)), Some(h_other)));
        // Decided once, answered the same from the book.
        assert!(!book.may_pair(Some((h_mda, &mda)), Some(h_other)));
        // The same place under another spelling may pair.
        let same = venue(
            "mda-2",
            "Maison des arts de Laval – Salle Alfred-Pellan",
            "Laval",
        );
        let h_same = venue_hash(&same);
        book.learn(h_same, &same);
        assert!(book.may_pair(Some((h_mda, &mda)), Some(h_same)));
        // No venue on either side says nothing.
        assert!(book.may_pair(None, Some(h_other)));
        assert!(book.may_pair(Some((h_mda, &mda)), None));
    }

    #[test]
    fn a_hash_two_venues_share_says_nothing() {
        let mut book = VenueBook::default();
        let mda = venue("mda", "Maison des arts de Laval", "Laval");
        let a = venue("salle-x", "Salle André-Mathieu", "Laval");
        let b = venue("salle-y", "Théâtre du Vieux-Terrebonne", "Terrebonne");
        let h = 42;
        book.learn(h, &a);
        assert!(!book.may_pair(Some((venue_hash(&mda), &mda)), Some(h)));
        // Another venue under the same hash: the book no longer refuses.
        book.learn(h, &b);
        assert!(book.knows(h));
        assert!(book.may_pair(Some((venue_hash(&mda), &mda)), Some(h)));
        // And a member whose hash is shared is decided without the book.
        let mut book = VenueBook::default();
        book.learn(7, &a);
        book.learn(7, &b);
        book.learn(venue_hash(&mda), &mda);
        assert!(!book.may_pair(Some((7, &a)), Some(venue_hash(&mda))));
    }
}
