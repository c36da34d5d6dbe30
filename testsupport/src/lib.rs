//! # testsupport
//!
//! Dev-only helpers shared by the workspace's tests and benches, so that
//! each test does not carry its own copy:
//!
//! - [`Rng`]: a tiny deterministic generator (xorshift64), so that a test
//!   needs no dependency and fails the same way every time, and a bench
//!   measures the same data on every run;
//! - [`mutate`] and [`cut_points`]: the byte damage parser robustness tests
//!   apply to their fixtures (cuts, flipped bytes, deleted bytes and ranges,
//!   inserted markup), with [`STRUCTURAL`], the markup pieces of every format
//!   babillard reads.
//!
//! Only ever a `[dev-dependencies]` entry.

/// A seeded xorshift64 generator (shifts 13, 7, 17). Not for anything but
/// tests: the same seed always gives the same sequence.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`. Xorshift stays at zero forever from a zero
    /// state, so a zero seed is replaced by a fixed non-zero one.
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`: never when `p <= 0`, always when `p >= 1`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// True one time in two.
    pub fn coin(&mut self) -> bool {
        self.next_u64().is_multiple_of(2)
    }

    /// One item of `items`, or `None` when there is none.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

/// Markup that parsers split on, for every format babillard reads: XML and
/// HTML, JSON, iCalendar, plus bytes that break UTF-8. Inserting these finds
/// more bugs than random bytes do.
pub const STRUCTURAL: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"&",
    b"&#",
    b";",
    b"\"",
    b"'",
    b"=",
    b"/",
    b"#",
    b"@",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"0",
    b"-",
    b".",
    b"x",
    b"(",
    b")",
    b"\\",
    b" ",
    b"\r",
    b"\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"T",
    b"Z",
    b"BEGIN:VEVENT\n",
    b"END:VEVENT\n",
    b"BEGIN:VALARM\n",
    b"END:VCALENDAR\n",
    b"BEGIN:VTIMEZONE\n",
    b"BEGIN:STANDARD\n",
    b"TZID=",
    b"VALUE=DATE:",
];

/// The prefix lengths a truncation test parses: every length when the
/// document is at most `max` bytes, else about `max` lengths spread evenly
/// plus every one of the last 64 (where a cut lands inside the closing
/// markup). Always includes 0 and the full length.
pub fn cut_points(len: usize, max: usize) -> Vec<usize> {
    if len <= max {
        return (0..=len).collect();
    }
    let step = (len / max.max(1)).max(1);
    let mut cuts: Vec<usize> = (0..len).step_by(step).collect();
    cuts.extend(len.saturating_sub(64)..=len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// `bytes` with one to eight random edits: a byte replaced by a random
/// byte, a byte replaced by a structural byte, a byte deleted, a piece of
/// `structural` inserted, a range of up to 64 bytes deleted, or the end cut
/// off. Empty input gets pieces inserted.
pub fn mutate(rng: &mut Rng, bytes: &[u8], structural: &[&[u8]]) -> Vec<u8> {
    let mut m = bytes.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(m.len());
        let piece: &[u8] = rng.pick(structural).copied().unwrap_or(b"<");
        match rng.below(6) {
            0 if !m.is_empty() => m[at] = rng.byte(),
            1 if !m.is_empty() => m[at] = piece.first().copied().unwrap_or(b'<'),
            2 if !m.is_empty() => {
                m.remove(at);
            }
            4 if !m.is_empty() => {
                let len = rng.below(64);
                m.drain(at..(at + len).min(m.len()));
            }
            5 if !m.is_empty() => m.truncate(at),
            _ => {
                m.splice(at..at, piece.iter().copied());
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let a: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..100).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(42);
        let b: Vec<u64> = (0..100).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut other = Rng::new(43);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn it_is_xorshift64() {
        // The sequence the copies this crate replaced produced: benches and
        // tests keep measuring and checking the same data.
        let mut r = Rng::new(1);
        assert_eq!(r.next_u64(), 1082269761);
        assert_eq!(r.next_u64(), 1152992998833853505);
    }

    #[test]
    fn a_zero_seed_does_not_stick() {
        let mut r = Rng::new(0);
        assert!((0..10).any(|_| r.next_u64() != 0));
    }

    #[test]
    fn below_stays_below_and_reaches_everything() {
        let mut r = Rng::new(7);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let n = r.below(10);
            assert!(n < 10);
            seen[n] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn pick_and_chance() {
        let mut r = Rng::new(9);
        let items = ["a", "b", "c"];
        for _ in 0..100 {
            assert!(items.contains(r.pick(&items).unwrap_or(&"")));
        }
        assert_eq!(r.pick::<u8>(&[]), None);
        assert!((0..100).all(|_| !r.chance(0.0)));
        assert!((0..100).all(|_| r.chance(1.0)));
        let heads = (0..10_000).filter(|_| r.chance(0.25)).count();
        assert!((2000..3000).contains(&heads), "{heads}");
        let coins = (0..10_000).filter(|_| r.coin()).count();
        assert!((4500..5500).contains(&coins), "{coins}");
    }

    #[test]
    fn cut_points_cover_small_documents_fully_and_large_ones_sparsely() {
        assert_eq!(cut_points(3, 10), [0, 1, 2, 3]);
        assert_eq!(cut_points(0, 10), [0]);
        let cuts = cut_points(10_000, 100);
        assert!(cuts.len() < 200, "{}", cuts.len());
        assert_eq!(cuts.first(), Some(&0));
        assert_eq!(cuts.last(), Some(&10_000));
        assert!((9_936..=10_000).all(|c| cuts.contains(&c)));
        assert!(cuts.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn mutations_change_the_bytes_and_are_deterministic() {
        let doc = b"<rss><channel><item><title>A</title></item></channel></rss>";
        let mut r = Rng::new(5);
        let mutated: Vec<Vec<u8>> = (0..200).map(|_| mutate(&mut r, doc, STRUCTURAL)).collect();
        assert!(mutated.iter().filter(|m| m.as_slice() != doc).count() > 150);
        // Both cuts and insertions show up.
        assert!(mutated.iter().any(|m| m.len() < doc.len()));
        assert!(mutated.iter().any(|m| m.len() > doc.len()));
        let mut again = Rng::new(5);
        assert_eq!(mutate(&mut again, doc, STRUCTURAL), mutated[0]);
        // Empty input and an empty piece list do not panic (a later cut may
        // empty the result again).
        for _ in 0..100 {
            let _ = mutate(&mut again, b"", STRUCTURAL);
            let _ = mutate(&mut again, b"", &[]);
        }
    }
}
