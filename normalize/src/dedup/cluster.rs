//! Clustering: blocking by day and shared keys, then a union-find that
//! joins accepted pairs best first and never puts one source twice in a
//! group.

use std::collections::HashMap;

use chrono::NaiveDate;
use model::Occurrence;

use super::decide::{score, venue_of, Features};
use super::grouping::TitleBook;
use super::places::{place, Place};
use super::MAX_START_GAP_SECS;

/// A union-find over occurrences that keeps, per group, the sources it
/// holds.
struct Groups {
    parent: Vec<usize>,
    sources: Vec<Vec<u32>>,
}

impl Groups {
    fn new(sources: Vec<u32>) -> Groups {
        Groups {
            parent: (0..sources.len()).collect(),
            sources: sources.into_iter().map(|s| vec![s]).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        let mut root = i;
        while let Some(&p) = self.parent.get(root) {
            if p == root {
                break;
            }
            root = p;
        }
        while let Some(&p) = self.parent.get(i) {
            if p == root {
                break;
            }
            if let Some(slot) = self.parent.get_mut(i) {
                *slot = root;
            }
            i = p;
        }
        root
    }

    /// Join the groups of `a` and `b` unless they share a source.
    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (Some(sa), Some(sb)) = (self.sources.get(ra), self.sources.get(rb)) else {
            return;
        };
        if sa.iter().any(|s| sb.contains(s)) {
            return;
        }
        let (keep, gone) = if sa.len() >= sb.len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let moved = self
            .sources
            .get_mut(gone)
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(s) = self.sources.get_mut(keep) {
            s.extend(moved);
        }
        if let Some(p) = self.parent.get_mut(gone) {
            *p = keep;
        }
    }
}

/// Group occurrences that are the same event (see the module doc). Every
/// index of `occs` is in exactly one group; groups are in order of their
/// first member, members in increasing order.
pub fn cluster(occs: &[&Occurrence]) -> Vec<Vec<usize>> {
    let mut titles = TitleBook::default();
    let features: Vec<Features<'_>> = occs
        .iter()
        .map(|o| Features::with_title(o, titles.get_or_read(o), venue_of(o)))
        .collect();
    let mut edges = scored_pairs(&features);
    drop_ambiguous(&features, &mut edges);
    edges.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    join_in_order(&features, &edges, 0..features.len())
}

/// Join the sorted `edges` with a union-find that never puts one source
/// twice in a group, and list the groups of the occurrences `order` names:
/// groups in order of their first member, members in that order.
pub(super) fn join_in_order(
    features: &[Features<'_>],
    edges: &[(f64, usize, usize)],
    order: impl Iterator<Item = usize>,
) -> Vec<Vec<usize>> {
    let mut source_ids: HashMap<&str, u32> = HashMap::new();
    let sources: Vec<u32> = features
        .iter()
        .map(|f| {
            let next = u32::try_from(source_ids.len()).unwrap_or(u32::MAX);
            *source_ids.entry(f.source).or_insert(next)
        })
        .collect();
    let mut groups = Groups::new(sources);
    for &(_, i, j) in edges {
        groups.join(i, j);
    }
    let mut by_root: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let root = groups.find(i);
        let slot = *by_root.entry(root).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        if let Some(g) = out.get_mut(slot) {
            g.push(i);
        }
    }
    out
}

/// Every pair that shares a blocking key, compared once, with its score
/// when the decision accepts it.
fn scored_pairs(features: &[Features<'_>]) -> Vec<(f64, usize, usize)> {
    let mut by_day: HashMap<NaiveDate, Vec<usize>> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        by_day.entry(f.date).or_default().push(i);
    }
    let mut days: Vec<NaiveDate> = by_day.keys().copied().collect();
    days.sort_unstable();

    let mut edges: Vec<(f64, usize, usize)> = Vec::new();
    let mut seen: Vec<usize> = vec![usize::MAX; features.len()];
    let mut postings: HashMap<&str, Vec<usize>> = HashMap::new();
    let empty: Vec<usize> = Vec::new();
    for day in &days {
        let today = by_day.get(day).unwrap_or(&empty);
        // The early hours of the next day, for events near midnight.
        let latest = today
            .iter()
            .filter_map(|&i| features.get(i))
            .filter(|f| !f.all_day)
            .map(|f| f.start)
            .max();
        let next: Vec<usize> = match (day.succ_opt().and_then(|d| by_day.get(&d)), latest) {
            (Some(n), Some(latest)) => n
                .iter()
                .copied()
                .filter(|&j| {
                    features
                        .get(j)
                        .is_some_and(|f| !f.all_day && f.start - latest <= MAX_START_GAP_SECS)
                })
                .collect(),
            _ => Vec::new(),
        };
        postings.clear();
        for &i in today.iter().chain(next.iter()) {
            let Some(f) = features.get(i) else { continue };
            for key in &f.block {
                postings.entry(key.as_str()).or_default().push(i);
            }
        }
        for &i in today {
            let Some(fi) = features.get(i) else { continue };
            for key in &fi.block {
                for &j in postings.get(key.as_str()).unwrap_or(&empty) {
                    let Some(fj) = features.get(j) else { continue };
                    // Each pair once: within the day by index order, across
                    // days from the earlier day.
                    let later_day = fj.date != fi.date;
                    if j == i || (!later_day && j < i) {
                        continue;
                    }
                    if seen.get(j) == Some(&i) {
                        continue;
                    }
                    if let Some(s) = seen.get_mut(j) {
                        *s = i;
                    }
                    if let Some(s) = score(fi, fj) {
                        edges.push((s, i, j));
                    }
                }
            }
        }
    }
    edges
}

/// Whether an accepted pair was only accepted with one place unknown.
pub(super) fn at_unknown_place(a: &Features<'_>, b: &Features<'_>) -> bool {
    place(a.venue.as_deref(), b.venue.as_deref()) == Place::Unknown
}

/// Drop the pairs of a listing with no known venue (or only its city)
/// when it matches listings at two different places: which of them it
/// lists is unknown ("Christmas concert" in Montréal at 19:00, while two
/// maisons de la culture hold one).
pub(super) fn drop_ambiguous(features: &[Features<'_>], edges: &mut Vec<(f64, usize, usize)>) {
    let mut partners: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(_, i, j) in edges.iter() {
        let (Some(fi), Some(fj)) = (features.get(i), features.get(j)) else {
            continue;
        };
        if at_unknown_place(fi, fj) {
            partners.entry(i).or_default().push(j);
            partners.entry(j).or_default().push(i);
        }
    }
    let ambiguous: Vec<usize> = partners
        .iter()
        .filter(|(_, js)| {
            js.iter().enumerate().any(|(n, &j)| {
                js.iter()
                    .skip(n + 1)
                    .any(|&k| match (features.get(j), features.get(k)) {
                        (Some(fj), Some(fk)) => {
                            place(fj.venue.as_deref(), fk.venue.as_deref()) == Place::Different
                        }
                        _ => false,
                    })
            })
        })
        .map(|(&i, _)| i)
        .collect();
    if ambiguous.is_empty() {
        return;
    }
    edges.retain(|&(_, i, j)| {
        let unknown = match (features.get(i), features.get(j)) {
            (Some(fi), Some(fj)) => at_unknown_place(fi, fj),
            _ => false,
        };
        !(unknown && (ambiguous.contains(&i) || ambiguous.contains(&j)))
    });
}
