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
//!   story hour in two library branches apart;
//! * a pre-concert (or pre-show) talk ("Causerie préconcert", "Pre-concert
//!   talk") and a title that is not one: the talk is an event of its own;
//! * a timed and an all-day listing when one title names a moment of a run
//!   ("Vernissage", "Opening", "Visite", "Tour") and the other does not
//!   ("Exposition : X" all day).
//!
//! Places: the same venue id, or coordinates less than 250 m apart, or the
//! same street address (number and street name), or the same named room,
//! or one venue name whose words are all in the other's (words matched
//! through the lexicon: "Laval House of Arts" is "Maison des arts de
//! Laval"; or by a long shared prefix: "Multicultural Library" is
//! "Bibliothèque Multiculturelle"; an acronym read as the words it
//! abbreviates: "NAC Southam Hall" is in "National Arts Centre"; cities
//! compared without "Ville de", "City", the province), is
//! the *same place*, unless the two venues name different rooms
//! of the building ("Salle Alfred-Pellan" / "Théâtre des Muses", "Galerie
//! 1" / "Galerie 2"; see `places`): a venue that names only the building is
//! the same place as any of its rooms. A missing venue, or a venue that is
//! only a city's name, is an *unknown place*.
//!
//! Then, at the same place, the titles must agree: Jaccard ≥ 0.5, or every
//! word of the shorter title (at least two) in the longer, or an edit
//! similarity of the keys ≥ 0.85. At an unknown place they must agree
//! more: Jaccard ≥ 0.75 or edit similarity ≥ 0.9. So two different shows in
//! the same venue at the same time never merge. At the same place, one
//! title that is the other plus a trailing parenthesis ("Les Misérables" /
//! "Les Misérables (comédie musicale)") agrees too, unless the shared words
//! are all generic ("Concert"). Titles that agree so still
//! name two events (unless they share a URL or an image) when:
//! * each has a distinctive word the other lacks: a proper name (a
//!   capitalized word the lexicon does not know, not found in the other
//!   record's title or description), a topic word of the lexicon
//!   ("gravure", "jazz") or a number; or both are one series with parts
//!   that share no word ("Ciné-club : Amélie" / "Ciné-club : Incendies",
//!   "Les Midis-musique : Quatuor Molinari" / "… : Trio Fibonacci");
//! * the titles say the events are held in different languages ("Heure du
//!   conte" / "Heure du conte en espagnol"; "English story time" against a
//!   French listing);
//! * the records declare two languages, start more than 15 minutes apart
//!   and share no name: words the glossary translated are not enough at
//!   the doors' time, unless the place is the same, the starts at most an
//!   hour apart, the ends allow it (see the doors' time below) and the
//!   words agree across the languages.
//!
//! **Translations.** A French and an English listing of a show usually
//! have titles that share no word ("Soirée de contes pour adultes" /
//! "Storytelling night for adults"). The lexicon (`lexicon_fr_en.txt`,
//! several hundred `fr|en` terms of cultural listings, read into hash maps
//! of Snowball stems once) turns each title word into the lexicon lines it
//! takes part in, phrases included ("heure du conte" / "story time"; a
//! short list of well-known repertoire titles: "Casse-Noisette" / "The
//! Nutcracker", "Le Messie" / "Messiah"); the other words of a phrase one
//! word of which matched count as matched ("casse noisette" /
//! "nutcracker"). Words it does not know are names when capitalized
//! (unless the title is in capitals, or the word is the title's first and
//! a lower-case preposition or article follows it: "Veillée de danse",
//! "Causerie sur les oiseaux" lead with a common noun), numbers when digits
//! or ordinals, and are compared as they are. Such a pair merges when all
//! of these hold: the records do not declare the same language; same place
//! (or, at the very same start, one of the two known only by the city the
//! other is in, then on words alone, Dice ≥ 0.75); starts at most 15
//! minutes apart, or at most an hour apart (the doors' or a pre-concert
//! talk's time) when neither listing ends by the time the other starts and
//! two ends given are the same end (two sessions of a repeated show, an
//! hour apart, are two events), then on words or a shared proper noun
//! only; or the same date when one is all-day, then on words alone, Dice ≥
//! 0.75; the titles do not say different languages; and either
//! * the same URL (host and path once a language subdomain such as `fr.`
//!   or `en.`, a leading language segment such as `/fr/` or `/en/`, the
//!   query and a trailing slash are dropped) or the same image (compared
//!   the same way);
//! * or, when neither title has a name the other record lacks (unless they
//!   share a name of two capitalized words, "Les Grands Ballets") nor a
//!   topic word or number the other lacks: the words agree across the
//!   languages (Dice ≥ 0.6 and at least half of the shorter title
//!   matched); or both declare their language and share a proper noun (a
//!   capitalized word of at least 3 letters that is not a stop word, a
//!   generic word of event titles, a day or a month, nor a word of either
//!   venue's name or city); or two of: the same end (±5 minutes), a name
//!   of one title in the other record, a word in common.
//!
//! ## Clustering ([`cluster`])
//!
//! Occurrences are blocked by local start date (in the event's own zone);
//! within a day (the start's date in the event's own time zone), and
//! between a day and the early hours of the next, candidates are only
//! pairs that share a title word (by its first five letters), a lexicon
//! line, a venue id, a URL or an image, so the work grows with the number
//! of occurrences, never with its square. Accepted pairs are joined best
//! score first with a union-find that refuses to join two groups holding
//! occurrences of the same source: an occurrence joins the group it
//! resembles most. Before that, a listing whose pairs were accepted with
//! an unknown place (no venue, or only the city) and reach two different
//! places loses those pairs: which of the two it lists is unknown.
//!
//! The store does not cluster every occurrence around a run's: it keeps
//! each occurrence's [`Blocking`] (its date, start and keys) and reads only
//! those that may pair with the run's, then follows the pairs accepted ([`Grouping`]) and
//! the events they belong to until the group of occurrences a run touched
//! is closed (see `index/src/store.rs`).
//!
//! ## Where things are
//!
//! `lexicon` holds the word lists and the bilingual lexicon, `titles` the
//! keys, title similarity and the cross-language terms, `places` the venue
//! and room comparison and URL keys, `decide` the decision for one pair,
//! `cluster` the grouping of many; the numbers of the rule are the
//! constants below.

mod blocking;
mod cluster;
mod decide;
mod grouping;
mod lexicon;
mod places;
mod titles;

#[cfg(test)]
mod tests;

pub use blocking::{
    share_key, times_agree, venue_hash, venues_may_pair, Blocking, PlaceFeatures, StoredBlocking,
    BLOCKING_REACH_SECS, BLOCKING_VERSION,
};
pub use cluster::cluster;
pub use decide::same_event;
pub use grouping::Grouping;
pub use titles::{
    edit_similarity, edit_similarity_at_least, title_key, title_similarity, TitleSimilarity,
};

/// Timed starts further apart than this are different events.
pub const MAX_START_GAP_SECS: i64 = 90 * 60;
/// The translation rule's tolerance on starts.
pub const TRANSLATION_START_GAP_SECS: i64 = 15 * 60;
/// A listing in the other language this far from a show's start may give
/// its doors' or pre-concert talk's time.
pub const DOORS_GAP_SECS: i64 = 60 * 60;
/// Ends at most this far apart are the same end (translation evidence).
pub const SAME_END_SECS: i64 = 5 * 60;
/// Coordinates closer than this are the same place.
pub const SAME_PLACE_METRES: f64 = 250.0;
/// Coordinates further apart than this are different places.
pub const OTHER_PLACE_METRES: f64 = 1000.0;
