//! Hand-made events for the unit tests.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use model::{Event, SourceRef, Status, Translation, Venue};

pub(crate) fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A timed event in Toronto, with no end, scheduled, in French.
pub(crate) fn event(id: &str, start: &str) -> Event {
    Event {
        id: id.to_string(),
        series_id: None,
        title: format!("Événement {id}"),
        description: None,
        description_html: None,
        start: at(start),
        end: None,
        all_day: false,
        timezone: "America/Toronto".to_string(),
        status: Status::Scheduled,
        url: None,
        image: None,
        categories: Vec::new(),
        language: Some("fr".to_string()),
        translations: BTreeMap::new(),
        venue: None,
        sources: vec![SourceRef {
            source: "mda".to_string(),
            uid: format!("uid-{id}"),
            url: None,
        }],
        updated_at: "2026-11-01T12:00:00Z"
            .parse::<DateTime<Utc>>()
            .unwrap_or_default(),
        sequence: 0,
        organizer: None,
        price: None,
    }
}

/// About ten events covering what feeds must get right: time zones, DST,
/// all-day and multi-day events, statuses, long accented text to fold,
/// characters to escape, translations, venues, images.
pub(crate) fn feed_events() -> Vec<Event> {
    let mut out = Vec::new();

    let mut e = event("belles-soeurs", "2026-12-05T20:00:00-05:00");
    e.title = "Les Belles-sœurs".into();
    e.description = Some("Une pièce de Michel Tremblay.\nMise en scène: René Richard Cyr".into());
    e.end = Some(at("2026-12-05T22:00:00-05:00"));
    e.url = Some("https://mda.example.org/belles-soeurs".into());
    e.categories = vec!["theatre".into()];
    e.translations.insert(
        "en".into(),
        Translation {
            title: "The Sisters-in-Law".into(),
            description: Some("A play by Michel Tremblay.".into()),
        },
    );
    e.venue = Some(Venue {
        id: "maison-des-arts".into(),
        name: "Maison des arts de Laval".into(),
        address: Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1".into()),
        city: Some("Laval".into()),
        lat: Some(45.5605),
        lon: Some(-73.713),
    });
    e.image = Some("https://mda.example.org/img/belles.jpg".into());
    e.sequence = 2;
    out.push(e);

    // Across the fall-back night.
    let mut e = event("nuit-blanche", "2026-10-31T22:00:00-04:00");
    e.title = "Nuit d'Halloween".into();
    e.end = Some(at("2026-11-01T03:00:00-05:00"));
    out.push(e);

    // Summer, no end.
    let mut e = event("fete-canada", "2026-07-01T19:30:00-04:00");
    e.title = "Feux d'artifice".into();
    out.push(e);

    // All-day, one day.
    let mut e = event("marche-noel", "2026-12-12T00:00:00-05:00");
    e.title = "Marché de Noël".into();
    e.all_day = true;
    e.end = Some(at("2026-12-13T00:00:00-05:00"));
    out.push(e);

    // All-day over three days, across the spring-forward night.
    let mut e = event("festival", "2026-03-06T00:00:00-05:00");
    e.title = "Festival des neiges".into();
    e.all_day = true;
    e.end = Some(at("2026-03-09T00:00:00-04:00"));
    out.push(e);

    // All-day with no end: one day.
    let mut e = event("journee", "2026-05-20T00:00:00-04:00");
    e.title = "Journée portes ouvertes".into();
    e.all_day = true;
    out.push(e);

    // Paris, across its spring-forward night.
    let mut e = event("paris", "2026-03-29T01:30:00+01:00");
    e.title = "Concert à Paris".into();
    e.timezone = "Europe/Paris".into();
    e.end = Some(at("2026-03-29T03:30:00+02:00"));
    out.push(e);

    // Cancelled.
    let mut e = event("annule", "2027-01-15T19:00:00-05:00");
    e.title = "Récital (ANNULÉ)".into();
    e.status = Status::Cancelled;
    e.sequence = 3;
    e.end = Some(at("2027-01-15T21:00:00-05:00"));
    out.push(e);

    // Postponed, in Regina, long accented text with things to escape.
    let mut e = event("long", "2026-08-01T20:00:00-06:00");
    e.timezone = "America/Regina".into();
    e.status = Status::Postponed;
    e.title = "Théâtre; danse, musique \\ « Spectacle » — édition spéciale".into();
    e.description = Some(
        "Œuvres de Debussy, Ravel; Satie et Fauré — « l'été », à l'église Sainte-Rose-de-Lima. "
            .repeat(6)
            + "\r\nFin.",
    );
    e.categories = vec![
        "musique".into(),
        "danse, contemporaine".into(),
        "théâtre;rue".into(),
    ];
    e.organizer = Some("billets@mda.example.org".into());
    e.end = Some(at("2026-08-01T22:30:00-06:00"));
    out.push(e);

    // Given in UTC: written as a UTC time, with no VTIMEZONE.
    let mut e = event("utc", "2026-09-12T18:00:00+00:00");
    e.title = "Diffusion en ligne".into();
    e.timezone = "UTC".into();
    e.end = Some(at("2026-09-12T19:00:00+00:00"));
    out.push(e);

    out
}
