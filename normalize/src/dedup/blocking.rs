//! What the store keeps of each occurrence so that a run finds, without
//! reading every stored occurrence around its own, the few that may be the
//! same event as one of its occurrences.
//!
//! [`cluster`](super::cluster) only compares two occurrences that share a
//! blocking key (a title word's first five letters, a lexicon line, a venue
//! id, a URL, an image) and whose times agree ([`MAX_START_GAP_SECS`] for
//! two timed starts, the same local date when one is all-day). A
//! [`Blocking`] is exactly that part of an occurrence: its local date, start,
//! whether it is all-day, and its keys, each as a 32-bit hash. So
//! [`Blocking::may_pair`] holds for every pair `cluster` could accept (a
//! hash collision only adds a candidate, which `cluster` then refuses).
//!
//! It also carries a hash of the occurrence's venue ([`venue_hash`]): the
//! decision refuses two occurrences at two different places
//! ([`venues_may_pair`]), so the store, which has seen a venue once, need
//! not read again each candidate held there to learn that it cannot pair.
//!
//! The encoding ([`Blocking::encode`]) is versioned by [`BLOCKING_VERSION`]:
//! when the keys or the encoding change, the store computes them again.

use chrono::NaiveDate;
use model::Occurrence;

use super::decide::Features;
use super::places::{place, venue_features, Place, VenueFeatures};
use super::MAX_START_GAP_SECS;

/// The version of the blocking keys and their encoding. Bump it when
/// `Features::block`, [`Blocking`] or [`Blocking::encode`] change: a store
/// whose keys were computed by another version computes them again.
pub const BLOCKING_VERSION: u32 = 6;

/// Two occurrences that may pair start less than this apart: 90 minutes
/// when both are timed, else the same date, whose starts (a UTC midnight
/// for an all-day listing, any time zone's day for a timed one) are at
/// most about a day and a half apart; two days, generously.
pub const BLOCKING_REACH_SECS: i64 = 48 * 3600;

/// The part of an occurrence that decides which others it is compared to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// The start's date in the event's own time zone (UTC date when all-day).
    pub date: NaiveDate,
    /// The start, Unix seconds.
    pub start: i64,
    pub all_day: bool,
    /// The source: two occurrences of one source are never paired.
    pub source: String,
    /// The venue's [`venue_hash`], when the occurrence has a venue.
    pub venue: Option<u64>,
    /// The blocking keys' hashes, sorted, each once.
    pub keys: Vec<u32>,
    /// The title's words as the decision compares them (see
    /// [`title_may_agree`]), when they fit.
    pub title: Option<String>,
}

impl Blocking {
    /// The blocking of one occurrence.
    pub fn of(occ: &Occurrence) -> Blocking {
        Blocking::from_features(&Features::new(occ))
    }

    pub(super) fn from_features(f: &Features<'_>) -> Blocking {
        let mut keys: Vec<u32> = f.block.iter().map(|k| key_hash(k)).collect();
        keys.sort_unstable();
        keys.dedup();
        Blocking {
            date: f.date,
            start: f.start,
            all_day: f.all_day,
            source: f.source.to_string(),
            venue: f.venue.as_ref().map(|v| v.hash),
            keys,
            title: super::decide::title_sketch(f),
        }
    }

    /// Whether `cluster` could compare the two: they are of two sources,
    /// their times agree and they share a key.
    pub fn may_pair(&self, other: &Blocking) -> bool {
        times_agree(self.date, self.start, self.all_day, other)
            && self.source != other.source
            && share(&self.keys, &other.keys)
    }

    /// Bytes for the store: the version, the date (days since the common
    /// era), the start, the all-day flag, whether there is a venue and its
    /// hash (0 when none), the source (its length on two bytes, then its
    /// UTF-8), the title's sketch (likewise; length 0 when none), then the
    /// keys.
    pub fn encode(&self) -> Vec<u8> {
        use chrono::Datelike;
        // A sketch too long for its two bytes of length is left out: the
        // store then reads the record, as it would without one.
        let title = self
            .title
            .as_deref()
            .filter(|t| u16::try_from(t.len()).is_ok())
            .unwrap_or("");
        let mut out =
            Vec::with_capacity(30 + self.source.len() + title.len() + 4 * self.keys.len());
        out.extend_from_slice(&BLOCKING_VERSION.to_le_bytes());
        out.extend_from_slice(&self.date.num_days_from_ce().to_le_bytes());
        out.extend_from_slice(&self.start.to_le_bytes());
        out.push(u8::from(self.all_day));
        out.push(u8::from(self.venue.is_some()));
        out.extend_from_slice(&self.venue.unwrap_or(0).to_le_bytes());
        let source = self.source.as_bytes();
        let len = u16::try_from(source.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(source.get(..usize::from(len)).unwrap_or_default());
        let title_len = u16::try_from(title.len()).unwrap_or(0);
        out.extend_from_slice(&title_len.to_le_bytes());
        out.extend_from_slice(title.as_bytes());
        for k in &self.keys {
            out.extend_from_slice(&k.to_le_bytes());
        }
        out
    }

    /// The blocking [`Blocking::encode`] wrote, or None for bytes of
    /// another version or damaged ones.
    pub fn decode(bytes: &[u8]) -> Option<Blocking> {
        let b = StoredBlocking::decode(bytes)?;
        Some(Blocking {
            date: b.date,
            start: b.start,
            all_day: b.all_day,
            source: b.source.to_string(),
            venue: b.venue,
            keys: b.keys().collect(),
            title: b.title.map(str::to_string),
        })
    }
}

/// Whether a stored occurrence held at `place` (None: at no venue) whose
/// title's sketch is `title` may pair with one of features `other`:
/// always, unless one of the two has no venue and the titles fail what the
/// decision asks at an unknown place (see
/// `decide::titles_may_agree_without_place`).
pub(super) fn title_may_agree(
    place: Option<&PlaceFeatures>,
    title: Option<&str>,
    other: &Features<'_>,
) -> bool {
    let Some(sketch) = title else {
        return true;
    };
    match (place, &other.venue) {
        (Some(_), Some(_)) => true,
        (place, _) => super::decide::titles_may_agree_without_place(
            other,
            sketch,
            place.map_or(&[][..], |p| p.0.place_words.as_slice()),
        ),
    }
}

/// Whether an occurrence starting at `start` (on local date `date`, or
/// all day) and one of blocking `b` have times that may pair: two timed
/// starts at most [`MAX_START_GAP_SECS`] apart, else the same local date.
pub fn times_agree(date: NaiveDate, start: i64, all_day: bool, b: &Blocking) -> bool {
    match (all_day, b.all_day) {
        (false, false) => (start - b.start).abs() <= MAX_START_GAP_SECS,
        _ => date == b.date,
    }
}

/// A [`Blocking`] read in place from its stored bytes, without copying
/// its source or keys: the store reads every blocking of the dates a batch
/// touches, and keeps only the few that may pair.
#[derive(Clone, Copy, Debug)]
pub struct StoredBlocking<'b> {
    pub date: NaiveDate,
    pub start: i64,
    pub all_day: bool,
    pub source: &'b str,
    pub venue: Option<u64>,
    /// The title's sketch, for an occurrence without a venue.
    pub title: Option<&'b str>,
    /// The keys' bytes, four each (see [`StoredBlocking::keys`]).
    keys: &'b [u8],
}

impl<'b> StoredBlocking<'b> {
    /// The blocking [`Blocking::encode`] wrote, or None for bytes of
    /// another version or damaged ones.
    pub fn decode(bytes: &'b [u8]) -> Option<StoredBlocking<'b>> {
        let version = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?);
        if version != BLOCKING_VERSION {
            return None;
        }
        let days = i32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
        let start = i64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        let all_day = *bytes.get(16)? != 0;
        let has_venue = *bytes.get(17)? != 0;
        let venue = u64::from_le_bytes(bytes.get(18..26)?.try_into().ok()?);
        let len = usize::from(u16::from_le_bytes(bytes.get(26..28)?.try_into().ok()?));
        let source = std::str::from_utf8(bytes.get(28..28 + len)?).ok()?;
        let at = 28 + len;
        let title_len = usize::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
        let title = std::str::from_utf8(bytes.get(at + 2..at + 2 + title_len)?).ok()?;
        let keys = bytes.get(at + 2 + title_len..)?;
        if keys.len() % 4 != 0 {
            return None;
        }
        Some(StoredBlocking {
            date: NaiveDate::from_num_days_from_ce_opt(days)?,
            start,
            all_day,
            source,
            venue: has_venue.then_some(venue),
            title: (!title.is_empty()).then_some(title),
            keys,
        })
    }

    /// The keys' hashes, sorted.
    pub fn keys(&self) -> impl Iterator<Item = u32> + 'b {
        self.keys
            .chunks_exact(4)
            .map(|c| c.try_into().map_or(0, u32::from_le_bytes))
    }
}

/// A hash of everything of a venue that [`place`](super::places::place)
/// reads: two venues with one hash are (but for a 64-bit collision, which
/// the store checks for among the venues it reads) the same venue.
pub fn venue_hash(v: &model::Venue) -> u64 {
    let coord = |c: Option<f64>| c.map_or(u64::MAX, f64::to_bits).to_le_bytes();
    let (lat, lon) = (coord(v.lat), coord(v.lon));
    let parts: [&[u8]; 7] = [
        v.id.as_bytes(),
        v.name.as_bytes(),
        v.address.as_deref().unwrap_or("\u{0}").as_bytes(),
        v.city.as_deref().unwrap_or("\u{0}").as_bytes(),
        &lat,
        &lon,
        v.precision.map_or("", |p| p.as_str()).as_bytes(),
    ];
    // Each part followed by a separator no text field holds.
    parts
        .iter()
        .fold(FNV_OFFSET, |h, part| fnv(fnv(h, part), &[0x1f]))
}

/// Whether the decision could pair an occurrence at venue `a` with one at
/// venue `b`: false only when it would find them two places.
pub fn venues_may_pair(a: Option<&model::Venue>, b: Option<&model::Venue>) -> bool {
    let (fa, fb) = (a.map(venue_features), b.map(venue_features));
    place(fa.as_ref(), fb.as_ref()) != Place::Different
}

/// A venue as the decision compares places, read once (its name's words,
/// their lexicon lines, its city, room and coordinates) to be compared
/// with many others ([`PlaceFeatures::may_pair`]).
pub struct PlaceFeatures(VenueFeatures);

impl PlaceFeatures {
    pub fn of(v: &model::Venue) -> PlaceFeatures {
        PlaceFeatures(venue_features(v))
    }

    /// [`venues_may_pair`] of the two venues these were read from.
    pub fn may_pair(&self, other: &PlaceFeatures) -> bool {
        place(Some(&self.0), Some(&other.0)) != Place::Different
    }
}

/// Whether two sorted lists of blocking keys ([`Blocking::keys`]) share
/// one: with times that agree and two sources, what [`Blocking::may_pair`]
/// asks.
pub fn share_key(a: &[u32], b: &[u32]) -> bool {
    share(a, b)
}

/// Whether two sorted lists share an element.
pub(super) fn share<T: Ord>(a: &[T], b: &[T]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// A key's 64-bit FNV-1a hash: a bucket, not a secret; a collision only
/// adds a candidate the decision then refuses.
pub(super) fn key_hash64(key: &str) -> u64 {
    fnv(FNV_OFFSET, key.as_bytes())
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `bytes`, continuing from the hash `h`.
fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The stored key: the 64-bit hash folded to 32 bits.
fn key_hash(key: &str) -> u32 {
    let h = key_hash64(key);
    (h ^ (h >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_reads_back_what_it_wrote_and_refuses_damage() {
        let b = Blocking {
            date: NaiveDate::from_ymd_opt(2027, 3, 5).expect("date"),
            start: 1_804_000_000,
            all_day: false,
            source: "maison-des-arts".to_string(),
            venue: Some(0xdead_beef_0bad_cafe),
            keys: vec![3, 17, 4_000_000_000],
            title: None,
        };
        let bytes = b.encode();
        assert_eq!(Blocking::decode(&bytes), Some(b.clone()));
        let no_venue = Blocking {
            venue: None,
            title: Some("conte heure\u{1}l heure du conte".to_string()),
            ..b.clone()
        };
        assert_eq!(Blocking::decode(&no_venue.encode()), Some(no_venue.clone()));
        let stored = no_venue.encode();
        let read = StoredBlocking::decode(&stored).expect("stored blocking");
        assert_eq!(read.title, no_venue.title.as_deref());
        assert_eq!(read.keys().collect::<Vec<_>>(), no_venue.keys);
        // A sketch too long to encode is left out, not cut.
        let long = Blocking {
            title: Some("x".repeat(70_000)),
            ..no_venue.clone()
        };
        let read = Blocking::decode(&long.encode()).expect("long sketch");
        assert_eq!((read.title, read.keys), (None, no_venue.keys.clone()));
        assert_eq!(
            Blocking::decode(bytes.get(..bytes.len() - 1).unwrap_or_default()),
            None
        );
        let mut other_version = bytes.clone();
        other_version[0] = 9;
        assert_eq!(Blocking::decode(&other_version), None);
        assert_eq!(Blocking::decode(&[]), None);
    }

    #[test]
    fn pairs_need_two_sources_agreeing_times_and_a_shared_key() {
        let at = |source: &str, start: i64, all_day: bool, keys: Vec<u32>| Blocking {
            date: NaiveDate::from_ymd_opt(2027, 3, 5).expect("date"),
            start,
            all_day,
            source: source.to_string(),
            venue: None,
            keys,
            title: None,
        };
        let a = at("a", 0, false, vec![1, 5]);
        assert!(a.may_pair(&at("b", MAX_START_GAP_SECS, false, vec![5, 9])));
        assert!(!a.may_pair(&at("b", MAX_START_GAP_SECS + 1, false, vec![5])));
        assert!(!a.may_pair(&at("a", 0, false, vec![5])));
        assert!(!a.may_pair(&at("b", 0, false, vec![2, 9])));
        // An all-day listing of the same date, whatever the hour.
        assert!(a.may_pair(&at("b", 20 * 3600, true, vec![1])));
    }
}
