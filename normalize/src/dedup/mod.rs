//! Duplicates across sources: which occurrences are the same event.
//!
//! Pure and synchronous. [`cluster`] groups occurrences; the store gives
//! each group one event id and [`crate::merge::merge`] builds its Event.
//!
//! ## Titles
//!
//! [`title_key`] folds a title (case, accents, punctuation), drops its
//! decoration (leading or trailing "COMPLET", "ANNULÉ", "REPORTÉ",
//! "NOUVELLE DATE", "SOLD OUT", "CANCELLED", "POSTPONED", "DERNIÈRE
//! CHANCE", trailing "supplémentaire"; a leading genre label followed by a
//! colon: "Concert :", "Spectacle :", "Théâtre :", "Première :", ...) and
//! stop words, then sorts the words, so that word order does not matter.
//! Two titles are compared word by word, a word matching another when they
//! are equal or share a prefix of at least 5 letters and three quarters of
//! the shorter (plurals, "orchestre"/"orchestra", "symphonique"/
//! "symphony"); from the matched count come a Jaccard index and a
//! containment (matched / words of the shorter title). An edit distance on
//! the keys catches typos.
//!
//! ## The decision ([`same_event`])
//!
//! Never the same event:
//! * two records of the same source;
//! * starts more than 90 minutes apart (timed), or on different local dates
//!   (all-day), which also keeps the same title on different days apart;
//! * different cities, venues more than 1 km apart, or two named venues
//!   that are not the same place (see below), which also keeps the same
//!   story hour in two library branches apart.
//!
//! Places: the same venue id, or coordinates less than 250 m apart, or the
//! same street address (number and street name), or one venue name whose
//! words are all in the other's, is the *same place*. A missing venue, or a
//! venue that is only a city's name, is an *unknown place*.
//!
//! Then, at the same place, the titles must agree: Jaccard ≥ 0.5, or every
//! word of the shorter title (at least two) in the longer, or an edit
//! similarity of the keys ≥ 0.85. At an unknown place they must agree
//! more: Jaccard ≥ 0.75 or edit similarity ≥ 0.9. So two different shows in
//! the same venue at the same time never merge.
//!
//! **Translations.** A French and an English listing of a show usually
//! have titles that do not agree in words. They merge when all of these
//! hold: both records declare a language and the languages differ; same
//! place; starts at most 15 minutes apart (or the same date, both all-day);
//! and they share either a URL (same host and path once a leading
//! language segment such as `/fr/` or `/en/` and a trailing slash are
//! dropped) or a proper noun: a word written with a capital or in capitals,
//! of at least 3 letters, that is not a stop word, a generic word of event
//! titles (concert, festival, orchestre, heure, story...), a day or a month,
//! nor a word of either venue's name or city. Records in the same
//! language never merge through this rule.
//!
//! ## Clustering ([`cluster`])
//!
//! Occurrences are blocked by local start date (in the event's own zone);
//! within a day, and between a day and the early hours of the next,
//! candidates are only pairs that share a title word (by its first five
//! letters) or a venue id, so the work grows with the number of
//! occurrences, never with its square. Accepted pairs are joined best
//! score first with a union-find that refuses to join two groups holding
//! occurrences of the same source: an occurrence joins the group it
//! resembles most.
//!
//! ## Where things are
//!
//! `lexicon` holds the word lists, `titles` the keys and title
//! similarity, `places` the venue comparison and URL keys, `decide` the
//! decision for one pair, `cluster` the grouping of many; the numbers of
//! the rule are the constants below.

mod cluster;
mod decide;
mod lexicon;
mod places;
mod titles;

#[cfg(test)]
mod tests;

pub use cluster::cluster;
pub use decide::same_event;
pub use titles::{
    edit_similarity, edit_similarity_at_least, title_key, title_similarity, TitleSimilarity,
};

/// Timed starts further apart than this are different events.
pub const MAX_START_GAP_SECS: i64 = 90 * 60;
/// The translation rule's tolerance on starts.
pub const TRANSLATION_START_GAP_SECS: i64 = 15 * 60;
/// Ends at most this far apart are the same end (translation evidence).
pub const SAME_END_SECS: i64 = 5 * 60;
/// Coordinates closer than this are the same place.
pub const SAME_PLACE_METRES: f64 = 250.0;
/// Coordinates further apart than this are different places.
pub const OTHER_PLACE_METRES: f64 = 1000.0;
