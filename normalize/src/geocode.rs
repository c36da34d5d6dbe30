//! Geocoding the venues that normalization left without coordinates: the
//! rule is here, the service and the cache behind two traits.
//!
//! For one source run, after normalizing:
//!
//! 1. [`queries`]: each venue without coordinates asks "name, address,
//!    city" ([`query`]), leaving out what an earlier part already says;
//!    each query once, in the order of the occurrences. A venue placed at
//!    its municipality's centre asks too.
//! 2. [`resolve`]: every query is first looked up in the cache
//!    ([`GeocodeCache`]), all of them before any request; the misses are
//!    asked of the service ([`Geocoder`]), at most `max_lookups` per run
//!    ([`MAX_LOOKUPS_PER_RUN`]); past the cap, one warning, and the rest
//!    wait for the next run. Every answer, "no such place" included, goes
//!    into the cache. A service error is a warning of the run, never its
//!    failure, and ends this run's requests (the service is down or
//!    refuses us: asking again would only wait). A cache error is a
//!    warning: the query counts as not cached, the answer is still used.
//! 3. [`Answers::apply`]: each venue found takes the coordinates, and the
//!    city when it has none.
//!
//! Both traits are synchronous, on purpose. Normalize has no executor; the
//! cache is SQLite (a blocking call that may wait for the store's writer
//! lock, so it must stay off the async workers anyway); and the service
//! allows about one request a second, so holding one blocking thread for a
//! run's lookups costs nothing. The pipeline runs [`resolve`] in
//! `spawn_blocking`, its Nominatim adapter blocking on the async client;
//! the tests below drive the whole chain with fakes and no runtime.

use std::collections::HashMap;
use std::fmt::Display;

use model::{GeoPoint, Occurrence, Precision, Venue};

/// At most this many service requests per source run (cache hits are free).
pub const MAX_LOOKUPS_PER_RUN: usize = 50;

/// A geocoded place: its coordinates and, when the service said, its city.
#[derive(Clone, Debug, PartialEq)]
pub struct GeocodedPlace {
    pub point: GeoPoint,
    pub city: Option<String>,
}

/// A geocoding service.
pub trait Geocoder {
    type Error: Display;
    /// The place `query` names: `Ok(None)` when the service knows none.
    fn lookup(&self, query: &str) -> Result<Option<GeocodedPlace>, Self::Error>;
}

/// Answers kept between runs.
pub trait GeocodeCache {
    type Error: Display;
    /// `None` when never asked (or forgotten), `Some(None)` for "no such
    /// place", `Some(Some(place))` for a place.
    fn get(&self, query: &str) -> Result<Option<Option<GeocodedPlace>>, Self::Error>;
    /// Remember the answer for `query` (`None`: no such place).
    fn put(&self, query: &str, answer: Option<&GeocodedPlace>) -> Result<(), Self::Error>;
}

/// The query for a venue without coordinates: "name, address, city",
/// leaving out what an earlier part already says. `None` when the venue
/// has coordinates or nothing to ask.
pub fn query(venue: &Venue) -> Option<String> {
    // A municipality's centre is a stand-in: the geocoder may do better.
    let stand_in = venue.precision == Some(Precision::Municipality);
    if venue.lat.is_some() && venue.lon.is_some() && !stand_in {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in [
        Some(venue.name.as_str()),
        venue.address.as_deref(),
        venue.city.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    {
        let lower = part.to_lowercase();
        if !part.is_empty() && !parts.iter().any(|p| p.to_lowercase().contains(&lower)) {
            parts.push(part);
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The queries the occurrences' venues need, each once, in order.
pub fn queries(occurrences: &[Occurrence]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for q in occurrences
        .iter()
        .filter_map(|o| o.event.venue.as_ref().and_then(query))
    {
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

/// What [`resolve`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answers {
    /// The places found, by query.
    pub places: HashMap<String, GeocodedPlace>,
    /// Warnings of the run: cache errors, a service error, the cap.
    pub warnings: Vec<String>,
    /// How many requests the service was sent.
    pub lookups: usize,
}

/// Answer `queries` from the cache, else the service (see the module doc).
pub fn resolve<G, C>(queries: &[String], geocoder: &G, cache: &C, max_lookups: usize) -> Answers
where
    G: Geocoder + ?Sized,
    C: GeocodeCache + ?Sized,
{
    let mut out = Answers::default();
    let cached: Vec<_> = queries.iter().map(|q| cache.get(q)).collect();
    let mut stopped = false;
    for (query, cached) in queries.iter().zip(cached) {
        let known = cached.unwrap_or_else(|e| {
            out.warnings.push(format!("geocoder cache: {e}"));
            None
        });
        let answer = match known {
            Some(answer) => answer,
            None if stopped => continue,
            None if out.lookups >= max_lookups => {
                out.warnings.push(format!(
                    "geocoder: more than {max_lookups} places to look up; the rest wait for the next run"
                ));
                stopped = true;
                continue;
            }
            None => {
                out.lookups += 1;
                match geocoder.lookup(query) {
                    Ok(place) => {
                        if let Err(e) = cache.put(query, place.as_ref()) {
                            out.warnings.push(format!("geocoder cache: {e}"));
                        }
                        place
                    }
                    Err(e) => {
                        tracing::warn!("{e}");
                        out.warnings.push(e.to_string());
                        stopped = true;
                        continue;
                    }
                }
            }
        };
        if let Some(place) = answer {
            out.places.insert(query.clone(), place);
        }
    }
    out
}

impl Answers {
    /// Give each venue its place, when its query found one.
    pub fn apply(&self, occurrences: &mut [Occurrence]) {
        for venue in occurrences
            .iter_mut()
            .filter_map(|o| o.event.venue.as_mut())
        {
            if let Some(place) = query(venue).and_then(|q| self.places.get(&q)) {
                apply_place(venue, place);
            }
        }
    }
}

/// The place's coordinates, and its city when the venue has none. The
/// precision is "address" when the query named a street (the venue's
/// address or name: [`crate::venue::names_a_street`]), else
/// "municipality".
pub fn apply_place(venue: &mut Venue, place: &GeocodedPlace) {
    venue.lat = Some(place.point.lat);
    venue.lon = Some(place.point.lon);
    let street = [venue.address.as_deref(), Some(venue.name.as_str())]
        .into_iter()
        .flatten()
        .any(crate::venue::names_a_street);
    venue.precision = Some(if street {
        Precision::Address
    } else {
        Precision::Municipality
    });
    if venue.city.is_none() {
        venue.city = place.city.clone();
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn venue(name: &str, address: Option<&str>, city: Option<&str>) -> Venue {
        Venue {
            id: name.to_lowercase().replace(' ', "-"),
            name: name.to_string(),
            address: address.map(str::to_string),
            city: city.map(str::to_string),
            lat: None,
            lon: None,
            precision: None,
        }
    }

    fn occ(uid: &str, venue: Option<Venue>) -> Occurrence {
        let mut o = crate::identity::tests::occ("s", uid);
        o.event.venue = venue;
        o
    }

    fn place(lat: f64, lon: f64, city: Option<&str>) -> GeocodedPlace {
        GeocodedPlace {
            point: GeoPoint::new(lat, lon).unwrap(),
            city: city.map(str::to_string),
        }
    }

    /// A service that knows the places given, fails on queries containing
    /// "Boum", and records what it was asked.
    #[derive(Default)]
    struct FakeService {
        places: HashMap<String, GeocodedPlace>,
        asked: RefCell<Vec<String>>,
    }

    impl Geocoder for FakeService {
        type Error = String;
        fn lookup(&self, query: &str) -> Result<Option<GeocodedPlace>, String> {
            self.asked.borrow_mut().push(query.to_string());
            if query.contains("Boum") {
                return Err("geocoder: 500 Internal Server Error".to_string());
            }
            Ok(self.places.get(query).cloned())
        }
    }

    /// A cache in memory; `broken` makes every call fail.
    #[derive(Default)]
    struct MemoryCache {
        answers: RefCell<HashMap<String, Option<GeocodedPlace>>>,
        broken: bool,
    }

    impl GeocodeCache for MemoryCache {
        type Error = &'static str;
        fn get(&self, query: &str) -> Result<Option<Option<GeocodedPlace>>, &'static str> {
            if self.broken {
                return Err("disk I/O error");
            }
            Ok(self.answers.borrow().get(query).cloned())
        }
        fn put(&self, query: &str, answer: Option<&GeocodedPlace>) -> Result<(), &'static str> {
            if self.broken {
                return Err("disk I/O error");
            }
            self.answers
                .borrow_mut()
                .insert(query.to_string(), answer.cloned());
            Ok(())
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_query_is_name_address_city_without_repeats() {
        let v = venue(
            "Maison des arts",
            Some("1395 boul. de la Concorde"),
            Some("Laval"),
        );
        assert_eq!(
            query(&v).as_deref(),
            Some("Maison des arts, 1395 boul. de la Concorde, Laval")
        );
        // What an earlier part says is not repeated (case aside).
        let v = venue(
            "Centre communautaire Val-des-Arbres",
            Some(" 3485 boul. Sainte-Rose, LAVAL "),
            Some("Laval"),
        );
        assert_eq!(
            query(&v).as_deref(),
            Some("Centre communautaire Val-des-Arbres, 3485 boul. Sainte-Rose, LAVAL")
        );
        let v = venue("Salle Laval", None, Some("laval"));
        assert_eq!(query(&v).as_deref(), Some("Salle Laval"));
        // Nothing to ask.
        assert_eq!(query(&venue("  ", Some(""), None)), None);
        // Coordinates already known: no query; one of the two is not enough.
        let mut v = venue("Salle A", None, None);
        v.lat = Some(45.5);
        assert_eq!(query(&v).as_deref(), Some("Salle A"));
        v.lon = Some(-73.6);
        assert_eq!(query(&v), None);
    }

    #[test]
    fn each_venue_without_coordinates_is_asked_once_in_order() {
        let mut located = venue("Salle C", None, None);
        located.lat = Some(45.5);
        located.lon = Some(-73.6);
        let occs = vec![
            occ("1", Some(venue("Salle B", None, Some("Laval")))),
            occ("2", None),
            occ("3", Some(venue("Salle A", None, None))),
            occ("4", Some(venue("Salle B", None, Some("Laval")))),
            occ("5", Some(located)),
        ];
        assert_eq!(queries(&occs), strings(&["Salle B, Laval", "Salle A"]));
        assert!(queries(&[]).is_empty());
        // A municipality's centre is a stand-in: still asked.
        let mut in_town = venue("Salle D", None, Some("Laval"));
        in_town.lat = Some(45.57);
        in_town.lon = Some(-73.69);
        in_town.precision = Some(Precision::Municipality);
        assert_eq!(query(&in_town).as_deref(), Some("Salle D, Laval"));
        in_town.precision = Some(Precision::Venue);
        assert_eq!(query(&in_town), None);
    }

    #[test]
    fn the_cache_answers_first_and_keeps_every_answer() {
        let a = place(45.6012, -73.7801, Some("Laval"));
        let service = FakeService {
            places: HashMap::from([("Salle A".to_string(), a.clone())]),
            ..FakeService::default()
        };
        let cache = MemoryCache::default();
        let b = place(45.55, -73.72, None);
        cache.answers.borrow_mut().extend([
            ("Salle B".to_string(), Some(b.clone())),
            ("Nulle part".to_string(), None),
        ]);
        let asked = strings(&["Salle A", "Salle B", "Nulle part", "Ailleurs"]);
        let answers = resolve(&asked, &service, &cache, MAX_LOOKUPS_PER_RUN);
        assert_eq!(*service.asked.borrow(), strings(&["Salle A", "Ailleurs"]));
        assert_eq!(answers.lookups, 2);
        assert!(answers.warnings.is_empty(), "{:?}", answers.warnings);
        assert_eq!(
            answers.places,
            HashMap::from([
                ("Salle A".to_string(), a.clone()),
                ("Salle B".to_string(), b)
            ])
        );
        // Found and not found are both remembered.
        assert_eq!(cache.answers.borrow().get("Salle A"), Some(&Some(a)));
        assert_eq!(cache.answers.borrow().get("Ailleurs"), Some(&None));

        // The next run asks nothing.
        let again = resolve(&asked, &service, &cache, MAX_LOOKUPS_PER_RUN);
        assert_eq!(again.lookups, 0);
        assert_eq!(again.places, answers.places);
        assert_eq!(service.asked.borrow().len(), 2);
    }

    #[test]
    fn past_the_cap_the_rest_wait_for_the_next_run_with_one_warning() {
        let service = FakeService::default();
        let cache = MemoryCache::default();
        let hit = place(45.5, -73.6, None);
        cache
            .answers
            .borrow_mut()
            .insert("cached".to_string(), Some(hit.clone()));
        let asked = strings(&["q1", "q2", "q3", "q4", "cached"]);
        let answers = resolve(&asked, &service, &cache, 2);
        assert_eq!(*service.asked.borrow(), strings(&["q1", "q2"]));
        assert_eq!(
            answers.warnings,
            strings(&["geocoder: more than 2 places to look up; the rest wait for the next run"])
        );
        // A cached answer past the cap is still used.
        assert_eq!(answers.places.get("cached"), Some(&hit));
        // The next run goes on where this one stopped.
        let next = resolve(&asked, &service, &cache, 2);
        assert_eq!(service.asked.borrow()[2..], strings(&["q3", "q4"]));
        assert!(next.warnings.is_empty(), "{:?}", next.warnings);
        assert_eq!(MAX_LOOKUPS_PER_RUN, 50, "the production cap");
    }

    #[test]
    fn a_service_error_is_a_warning_and_ends_the_runs_requests() {
        let a = place(45.6, -73.8, Some("Laval"));
        let service = FakeService {
            places: HashMap::from([("Salle A".to_string(), a.clone())]),
            ..FakeService::default()
        };
        let cache = MemoryCache::default();
        cache
            .answers
            .borrow_mut()
            .insert("Salle C".to_string(), Some(a.clone()));
        let asked = strings(&["Salle Boum", "Salle A", "Salle C"]);
        let answers = resolve(&asked, &service, &cache, MAX_LOOKUPS_PER_RUN);
        assert_eq!(*service.asked.borrow(), strings(&["Salle Boum"]));
        assert_eq!(
            answers.warnings,
            strings(&["geocoder: 500 Internal Server Error"])
        );
        assert_eq!(answers.places, HashMap::from([("Salle C".to_string(), a)]));
        // A failure is not "no such place": nothing is cached for it.
        assert_eq!(cache.answers.borrow().get("Salle Boum"), None);
    }

    #[test]
    fn a_cache_error_is_a_warning_and_the_service_answers() {
        let a = place(45.6, -73.8, None);
        let service = FakeService {
            places: HashMap::from([("Salle A".to_string(), a.clone())]),
            ..FakeService::default()
        };
        let cache = MemoryCache {
            broken: true,
            ..MemoryCache::default()
        };
        let answers = resolve(&strings(&["Salle A"]), &service, &cache, 5);
        assert_eq!(answers.places.get("Salle A"), Some(&a));
        assert_eq!(
            answers.warnings,
            strings(&[
                "geocoder cache: disk I/O error",
                "geocoder cache: disk I/O error"
            ]),
            "one for the read, one for the write"
        );
    }

    #[test]
    fn answers_fill_coordinates_and_a_missing_city() {
        let laval = place(45.6012, -73.7801, Some("Laval"));
        let mut located = venue("Salle A", None, None);
        located.lat = Some(1.0);
        located.lon = Some(2.0);
        let mut occs = vec![
            occ("1", Some(venue("Salle A", None, None))),
            occ(
                "2",
                Some(venue("Salle A", Some("1 rue X"), Some("Montréal"))),
            ),
            occ("3", Some(located.clone())),
            occ("4", Some(venue("Salle Z", None, None))),
            occ("5", None),
        ];
        let answers = Answers {
            places: HashMap::from([
                ("Salle A".to_string(), laval.clone()),
                ("Salle A, 1 rue X, Montréal".to_string(), laval.clone()),
            ]),
            ..Answers::default()
        };
        answers.apply(&mut occs);
        let venues: Vec<Option<&Venue>> = occs.iter().map(|o| o.event.venue.as_ref()).collect();
        let filled = |name: &str, address: Option<&str>, city: &str, precision| Venue {
            lat: Some(45.6012),
            lon: Some(-73.7801),
            precision: Some(precision),
            ..venue(name, address, Some(city))
        };
        // A name alone is found in its town; a street, at its address.
        assert_eq!(
            venues[0],
            Some(&filled("Salle A", None, "Laval", Precision::Municipality))
        );
        // The venue's own city stays.
        assert_eq!(
            venues[1],
            Some(&filled(
                "Salle A",
                Some("1 rue X"),
                "Montréal",
                Precision::Address
            ))
        );
        // Known coordinates are not replaced; unknown places stay as they are.
        assert_eq!(venues[2], Some(&located));
        assert_eq!(venues[3], Some(&venue("Salle Z", None, None)));
        assert_eq!(venues[4], None);
    }

    #[test]
    fn an_answer_replaces_a_town_centre() {
        let mut v = venue("Salle D", Some("12 rue Principale"), Some("Laval"));
        v.lat = Some(45.57);
        v.lon = Some(-73.69);
        v.precision = Some(Precision::Municipality);
        let mut occs = vec![occ("1", Some(v))];
        let q = query(occs[0].event.venue.as_ref().unwrap()).unwrap();
        let answers = Answers {
            places: HashMap::from([(q, place(45.6012, -73.7801, Some("Laval")))]),
            ..Answers::default()
        };
        answers.apply(&mut occs);
        let v = occs[0].event.venue.as_ref().unwrap();
        assert_eq!((v.lat, v.lon), (Some(45.6012), Some(-73.7801)));
        assert_eq!(v.precision, Some(Precision::Address));
    }
}
