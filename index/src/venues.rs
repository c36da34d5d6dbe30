//! What the writer knows of venues while it closes dedup groups, kept from
//! one batch to the next.
//!
//! A stored blocking holds only its venue's hash
//! ([`normalize::dedup::venue_hash`]). Closing a group, a candidate need not
//! be read when its venue is known and the decision finds it another place
//! than the member's ([`normalize::dedup::venues_may_pair`]): in a dense
//! region most candidates sharing a title word and an hour are shows at
//! other halls. This book holds each venue met, by hash, with what the
//! decision reads of it ([`PlaceFeatures`]: its name through the stemmers
//! and the lexicon), and the answer for each pair of venues asked, so that
//! a hall is learnt once per process rather than once per batch, and a
//! pair is decided once (deciding afresh was 40% of the writer's time at a
//! million occurrences).
//!
//! Everything here is a pure function of the venues, not of the store: it
//! never goes stale. A hash two different venues share says nothing (both
//! may pair with anything), so a 64-bit collision costs a read, never a
//! missed pair. Its size is bounded: the answers take two bits per pair of
//! venues asked (a million occurrences at 2,045 venues: under a megabyte);
//! past [`MAX_VENUES`] venues the book starts again empty.
//!
//! For each member's venue it also keeps the list of the venues known that
//! may pair with it ([`VenueBook::compatible`]), so that the writer looks
//! up the stored blockings held at those few venues rather than every
//! blocking sharing a key on the day and refusing most one by one.

use model::Venue;
use normalize::dedup::PlaceFeatures;
use rustc_hash::FxHashMap;

/// Venues kept at most: the answers then take at most 64 MB.
const MAX_VENUES: usize = 16_384;

/// A venue met, with what the decision reads of it.
struct Known {
    venue: Venue,
    place: PlaceFeatures,
}

/// Venues by hash and the pairs decided (see the module doc).
#[derive(Default)]
pub(crate) struct VenueBook {
    /// Venue hash → its number (into `known` and `answers`).
    number: FxHashMap<u64, u32>,
    /// By number; None: two different venues share the hash.
    known: Vec<Option<Known>>,
    /// By the member's venue's number: two bits per other venue's number,
    /// (asked, may pair).
    answers: Vec<Vec<u64>>,
    /// By number: the venue's hash.
    hash_of: Vec<u64>,
    /// By the member's venue's number: how many venue numbers were looked
    /// at, and the hashes of those that may pair with it
    /// ([`VenueBook::compatible`]). Emptied when a hash becomes shared.
    compatible: FxHashMap<u32, (u32, Vec<u64>)>,
    /// How many times the book started again empty: a caller holding what
    /// it knew before sees it change.
    epoch: u64,
}

impl VenueBook {
    /// Take in venue `v`, whose hash is `hash`.
    pub fn learn(&mut self, hash: u64, v: &Venue) {
        match self.number.get(&hash) {
            Some(&n) => {
                if let Some(known) = self.known.get_mut(n as usize) {
                    if known.as_ref().is_some_and(|k| k.venue != *v) {
                        *known = None;
                        // It may pair with anything now: the lists that
                        // left it out are wrong.
                        self.compatible.clear();
                    }
                }
            }
            None => {
                if self.known.len() >= MAX_VENUES {
                    let epoch = self.epoch.wrapping_add(1);
                    *self = VenueBook {
                        epoch,
                        ..VenueBook::default()
                    };
                }
                let Ok(n) = u32::try_from(self.known.len()) else {
                    return;
                };
                self.number.insert(hash, n);
                self.hash_of.push(hash);
                self.known.push(Some(Known {
                    venue: v.clone(),
                    place: PlaceFeatures::of(v),
                }));
            }
        }
    }

    /// Whether the venue of hash `hash` is known (a collision counts as
    /// known: nothing more would be learnt by reading another).
    pub fn knows(&self, hash: u64) -> bool {
        self.number.contains_key(&hash)
    }

    /// What the decision reads of the venue of hash `hash`, when the book
    /// knows it as one venue (None: not met yet, or two venues share the
    /// hash).
    pub fn place(&self, hash: u64) -> Option<&PlaceFeatures> {
        let &n = self.number.get(&hash)?;
        self.known.get(n as usize)?.as_ref().map(|k| &k.place)
    }

    /// How many times the book started again empty (see [`MAX_VENUES`]):
    /// what [`VenueBook::knows`] answered before another epoch may have
    /// changed.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The hashes of the venues known that an occurrence at venue `mine`
    /// (of hash `hash`) may pair with, as far as venues go
    /// ([`VenueBook::may_pair`]): its own, the same place under other
    /// spellings, and any hash two venues share. None when the book does
    /// not know `hash` as one venue (then any venue may pair). A venue the
    /// book does not know may pair with anything: the caller looks at those
    /// itself. Kept per venue and extended as the book learns more.
    pub fn compatible(&mut self, hash: u64, mine: &Venue) -> Option<Vec<u64>> {
        let a = *self.number.get(&hash)?;
        self.known.get(a as usize)?.as_ref()?;
        let (mut checked, mut list) = self.compatible.remove(&a).unwrap_or_default();
        let known = u32::try_from(self.known.len()).unwrap_or(u32::MAX);
        while checked < known {
            if let Some(&theirs) = self.hash_of.get(checked as usize) {
                if self.may_pair(Some((hash, mine)), Some(theirs)) {
                    list.push(theirs);
                }
            }
            checked += 1;
        }
        let out = list.clone();
        self.compatible.insert(a, (checked, list));
        Some(out)
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
        let Some(&b) = self.number.get(&theirs) else {
            return true;
        };
        let Some(Some(seen)) = self.known.get(b as usize) else {
            return true;
        };
        // The answer is kept under the member's venue's number when the
        // book knows its hash as one venue (every member's venue is learnt
        // when it is loaded, before its candidates are looked for); else
        // decided afresh.
        let a = match self.number.get(&hash) {
            Some(&a) if matches!(self.known.get(a as usize), Some(Some(_))) => a,
            _ => return PlaceFeatures::of(mine).may_pair(&seen.place),
        };
        let Some(Some(member)) = self.known.get(a as usize) else {
            return true;
        };
        let (word, bit) = ((2 * b as usize) / 64, (2 * b as usize) % 64);
        if let Some(w) = self.answers.get(a as usize).and_then(|row| row.get(word)) {
            if w >> bit & 1 == 1 {
                return w >> (bit + 1) & 1 == 1;
            }
        }
        let decided = member.place.may_pair(&seen.place);
        // The decision is symmetric (`normalize::dedup::places::place`):
        // the answer is kept both ways, so that each pair of venues is
        // decided once, not once from each side.
        self.keep(a, b, decided);
        self.keep(b, a, decided);
        decided
    }

    /// Keep the answer for a member at venue number `a` and a candidate at
    /// venue number `b`.
    fn keep(&mut self, a: u32, b: u32, decided: bool) {
        let (word, bit) = ((2 * b as usize) / 64, (2 * b as usize) % 64);
        if self.answers.len() <= a as usize {
            self.answers.resize_with(a as usize + 1, Vec::new);
        }
        if let Some(row) = self.answers.get_mut(a as usize) {
            if row.len() <= word {
                row.resize(word + 1, 0);
            }
            if let Some(w) = row.get_mut(word) {
                *w |= (1 | u64::from(decided) << 1) << bit;
            }
        }
    }

    /// Whether the answer for venue numbers (`a`, `b`) is kept, and what
    /// it is.
    #[cfg(test)]
    fn kept(&self, a: u32, b: u32) -> Option<bool> {
        let (word, bit) = ((2 * b as usize) / 64, (2 * b as usize) % 64);
        let w = self.answers.get(a as usize)?.get(word)?;
        (w >> bit & 1 == 1).then_some(w >> (bit + 1) & 1 == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use normalize::dedup::venue_hash;

    /// A venue known by its name and town only, as the Event JSON has it.
    fn venue(id: &str, name: &str, city: &str) -> Venue {
        let json = serde_json::json!({ "id": id, "name": name, "city": city });
        serde_json::from_value(json).expect("a venue")
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
        // The mda's number is known once it is learnt; the pair is then
        // kept both ways.
        book.learn(h_mda, &mda);
        assert!(!book.may_pair(Some((h_mda, &mda)), Some(h_other)));
        let (n_mda, n_other) = (book.number[&h_mda], book.number[&h_other]);
        assert_eq!(book.kept(n_mda, n_other), Some(false));
        assert_eq!(
            book.kept(n_other, n_mda),
            Some(false),
            "the other side's answer is kept too"
        );
        assert!(!book.may_pair(Some((h_other, &other)), Some(h_mda)));
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

    #[test]
    fn the_compatible_venues_are_those_known_that_may_pair_as_the_book_learns() {
        let venues: Vec<Venue> = (0..40)
            .map(|i| match i % 4 {
                0 => venue(&format!("v{i}"), &format!("Salle {i}"), "Laval"),
                1 => venue(&format!("w{i}"), &format!("Salle {}", i - 1), "Laval"),
                2 => venue(&format!("x{i}"), "Centre culturel", "Laval"),
                _ => venue(&format!("y{i}"), "Centre culturel", "Terrebonne"),
            })
            .collect();
        let want = |book: &mut VenueBook, a: &Venue, known: &[Venue]| -> Vec<u64> {
            known
                .iter()
                .map(venue_hash)
                .filter(|&h| book.may_pair(Some((venue_hash(a), a)), Some(h)))
                .collect()
        };
        let mut book = VenueBook::default();
        let (first, rest) = venues.split_at(20);
        for v in first {
            book.learn(venue_hash(v), v);
        }
        for a in first {
            let got = book.compatible(venue_hash(a), a).expect("known");
            assert_eq!(got, want(&mut book, a, first), "{}", a.id);
            assert!(got.contains(&venue_hash(a)), "its own venue");
        }
        // Venues learnt afterwards are looked at too.
        for v in rest {
            book.learn(venue_hash(v), v);
        }
        for a in &venues {
            let got = book.compatible(venue_hash(a), a).expect("known");
            assert_eq!(got, want(&mut book, a, &venues), "{}", a.id);
        }
        // Not known: no list (any venue may pair).
        let unknown = venue("z", "Salle Z", "Laval");
        assert_eq!(book.compatible(venue_hash(&unknown), &unknown), None);
        // A hash two venues come to share may pair with anything: it is in
        // every list again, and its own venue has none.
        let far = venues.get(3).expect("a venue in Terrebonne");
        let mda = venues.first().expect("a venue in Laval");
        let before = book.compatible(venue_hash(mda), mda).expect("known");
        assert!(!before.contains(&venue_hash(far)));
        book.learn(venue_hash(far), &unknown);
        let after = book.compatible(venue_hash(mda), mda).expect("known");
        assert!(after.contains(&venue_hash(far)));
        assert_eq!(book.compatible(venue_hash(far), far), None);
        // Past the most venues kept the book starts again, in a new epoch.
        let epoch = book.epoch();
        for i in 0..MAX_VENUES {
            let v = venue(&format!("n{i}"), &format!("Lieu {i}"), "Laval");
            book.learn(venue_hash(&v), &v);
        }
        assert_ne!(book.epoch(), epoch);
        assert!(!book.knows(venue_hash(mda)));
    }

    #[test]
    fn the_answers_kept_are_the_decisions_for_every_pair() {
        // Enough venues that the two-bit answers span several words, some
        // of them the same place under two spellings.
        let venues: Vec<Venue> = (0..70)
            .map(|i| match i % 3 {
                0 => venue(&format!("v{i}"), &format!("Salle {i}"), "Laval"),
                1 => venue(&format!("w{i}"), &format!("Salle {}", i - 1), "Laval"),
                _ => venue(
                    &format!("x{i}"),
                    "Centre culturel",
                    if i % 2 == 0 { "Laval" } else { "Terrebonne" },
                ),
            })
            .collect();
        let mut book = VenueBook::default();
        for v in &venues {
            book.learn(venue_hash(v), v);
        }
        for _ in 0..2 {
            for a in &venues {
                for b in &venues {
                    let want = venue_hash(a) == venue_hash(b)
                        || normalize::dedup::venues_may_pair(Some(a), Some(b));
                    assert_eq!(
                        book.may_pair(Some((venue_hash(a), a)), Some(venue_hash(b))),
                        want,
                        "{} / {}",
                        a.id,
                        b.id
                    );
                }
            }
        }
    }
}
