//! Dedup at the scale of a region: 200,000 occurrences from 2,000 sources,
//! 30% of them cross-listings of another source's event (other title
//! decoration, word order, doors-open time, the venue named otherwise,
//! some in English), clustered with `normalize::dedup::cluster` and each
//! cluster merged with `normalize::merge::merge`.
//!
//! `cargo bench --bench normalize`; results in BENCHMARKS.md.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use divan::{black_box, Bencher};
use model::{Event, Occurrence, SourceId, Venue};
use testsupport::Rng;

fn main() {
    divan::main();
}

const OCCURRENCES: usize = 200_000;
const SOURCES: usize = 2_000;
const CROSS_LISTED: f64 = 0.30;

const WORDS: &[&str] = &[
    "Belles-sœurs",
    "Dîner",
    "Noël",
    "Printemps",
    "Jazz",
    "Symphonie",
    "Fables",
    "Village",
    "Cirque",
    "Lumière",
    "Étoiles",
    "Aquarelle",
    "Robotique",
    "Conte",
    "Légendes",
    "Sculpture",
    "Cinéma",
    "Orchestre",
    "Chorale",
    "Harmonie",
    "Danse",
    "Improvisation",
    "Humour",
    "Poésie",
    "Marché",
    "Fête",
    "Neiges",
    "Récital",
    "Piano",
    "Violon",
    "Quatuor",
    "Ballet",
    "Opéra",
    "Cabaret",
    "Slam",
    "Théâtre",
    "Marionnettes",
    "Jardin",
    "Forêt",
    "Rivière",
    "Montagne",
    "Hiver",
    "Été",
    "Automne",
    "Mémoire",
    "Voyage",
    "Rêves",
    "Ombres",
    "Couleurs",
    "Portraits",
];

const NAMES: &[&str] = &[
    "Tremblay",
    "Pellerin",
    "Pelgag",
    "Laprise",
    "Lord",
    "Payare",
    "Pellan",
    "Roy",
    "Vigneault",
    "Dion",
    "Charlebois",
    "Leclerc",
    "Ferland",
    "Dufresne",
    "Gagnon",
    "Bouchard",
    "Côté",
    "Lavoie",
    "Fortin",
    "Gauthier",
    "Morin",
    "Lapointe",
    "Bélanger",
    "Lévesque",
    "Bergeron",
];

const CITIES: &[&str] = &[
    "Laval",
    "Montréal",
    "Longueuil",
    "Terrebonne",
    "Blainville",
    "Boisbriand",
    "Repentigny",
    "Saint-Jérôme",
    "Mirabel",
    "Brossard",
];

fn venues(rng: &mut Rng) -> Vec<Venue> {
    (0..400)
        .map(|i| {
            let city = CITIES[i % CITIES.len()];
            Venue {
                id: format!("venue-{i}"),
                name: format!("Salle {} {i}", NAMES[rng.below(NAMES.len())]),
                address: Some(format!("{}, rue Principale, {city}", 100 + i)),
                city: Some(city.to_string()),
                lat: Some(45.3 + (i as f64) * 0.002),
                lon: Some(-73.9 + (i as f64) * 0.002),
                precision: None,
            }
        })
        .collect()
}

fn occurrence(
    source: usize,
    n: usize,
    title: String,
    start: DateTime<FixedOffset>,
    venue: Venue,
    lang: &str,
) -> Occurrence {
    let source_id = SourceId::new(format!("source-{source}")).expect("source id");
    let mut event = Event::new("", title, start, "America/Toronto", Utc::now());
    event.description = Some("Une soirée à ne pas manquer.".to_string());
    event.end = Some(start + Duration::hours(2));
    event.url = Some(format!("https://source-{source}.example.org/events/{n}"));
    event.categories = vec!["musique".to_string()];
    event.language = Some(lang.to_string());
    event.venue = Some(venue);
    let mut occurrence = Occurrence::single(source_id, format!("record-{n}"), event);
    occurrence.priority = (source % 10) as i32;
    occurrence
}

/// The region: originals, then their cross-listings.
fn region() -> &'static Vec<Occurrence> {
    static REGION: OnceLock<Vec<Occurrence>> = OnceLock::new();
    REGION.get_or_init(|| {
        let mut rng = Rng::new(0x5eed_cafe_f00d_d00d);
        let venues = venues(&mut rng);
        let zone = FixedOffset::west_opt(5 * 3600).expect("offset");
        let base = zone
            .with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
            .single()
            .expect("base date");
        let originals = (OCCURRENCES as f64 * (1.0 - CROSS_LISTED)) as usize;
        let mut out = Vec::with_capacity(OCCURRENCES);
        for n in 0..originals {
            let title = format!(
                "{} {} et {}",
                NAMES[rng.below(NAMES.len())],
                WORDS[rng.below(WORDS.len())],
                WORDS[rng.below(WORDS.len())]
            );
            let start = base
                + Duration::days(rng.below(365) as i64)
                + Duration::hours(10 + rng.below(11) as i64)
                + Duration::minutes(30 * rng.below(2) as i64);
            let venue = venues[rng.below(venues.len())].clone();
            out.push(occurrence(n % SOURCES, n, title, start, venue, "fr"));
        }
        for n in originals..OCCURRENCES {
            let original = out[rng.below(originals)].clone();
            let source = (original.source.as_str()["source-".len()..]
                .parse::<usize>()
                .unwrap_or(0)
                + 1
                + rng.below(SOURCES - 1))
                % SOURCES;
            let e = &original.event;
            let title = match rng.below(4) {
                0 => format!("COMPLET – {}", e.title),
                1 => e.title.to_lowercase(),
                2 => {
                    let mut w: Vec<&str> = e.title.split(' ').collect();
                    w.reverse();
                    w.join(" ")
                }
                _ => e.title.clone(),
            };
            let start = e.start - Duration::minutes(30 * rng.below(3) as i64);
            let mut venue = e.venue.clone().expect("venue");
            if rng.below(3) == 0 {
                venue.id = format!("loc-{n}");
                venue.name = format!("{} (salle)", venue.name);
            }
            let lang = if rng.below(5) == 0 { "en" } else { "fr" };
            out.push(occurrence(source, n, title, start, venue, lang));
        }
        out
    })
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn cluster_and_merge_200k(bencher: Bencher) {
    let occs = region();
    bencher.bench(|| {
        let refs: Vec<&Occurrence> = occs.iter().collect();
        let groups = normalize::dedup::cluster(&refs);
        let mut merged = 0usize;
        for g in &groups {
            let members: Vec<&Occurrence> = g.iter().map(|&i| refs[i]).collect();
            if normalize::merge::merge(&members, &[]).is_some() {
                merged += 1;
            }
        }
        black_box((groups.len(), merged))
    });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn cluster_only_200k(bencher: Bencher) {
    let occs = region();
    bencher.bench(|| {
        let refs: Vec<&Occurrence> = occs.iter().collect();
        black_box(normalize::dedup::cluster(&refs).len())
    });
}
