//! A region generator for `scripts/bench`: writes, into a folder, the member
//! sources of an imaginary Laval-like culture council as local files of every
//! kind babillard reads, plus the `sources.toml` that lists them.
//!
//! ```sh
//! cargo run --release --bin region -- --out target/bench/small --sources 200 --occurrences 20000
//! cargo run --release --bin region -- --out target/bench/cmp --compare 20000 200
//! ```
//!
//! A region (`--sources N --occurrences M`, M approximate): member `s` is
//! written in the kind `KINDS[s % KINDS.len()]`: ICS (weekly series as
//! `RRULE`, the other shows single), RSS 2.0 with the event module, JSON Feed
//! with the `_event` extension, pages with schema.org JSON-LD, microdata or
//! h-event, and The Events Calendar's WordPress JSON (read from a local file
//! whose name carries the `?start_date=` query, as the kind asks for its API
//! URL). Kinds with no recurrence rule list each date of a series as its own
//! item, as such sites do. 30% of each member's shows are listed again by the
//! next member, in that member's kind and wording (the title decorated or
//! shortened, the venue spelled otherwise), so dedup has real work.
//!
//! As a council's region is: each hall has its coordinates within a
//! kilometre or two of its district's centre, given with its events by four
//! members in five (GEO, `georss:point`, schema.org `geo`, h-card
//! `p-latitude`, The Events Calendar's `geo_lat`; the others give the
//! address only, and babillard places those by municipality); the
//! `sources.toml` carries the council's taxonomy (`[[category]]`, one per
//! genre slug) and three territories cutting Laval west to east
//! (`[[territory]]`, GeoJSON polygons written to `territories/`), so that a
//! search by category, territory or place matches part of the region.
//!
//! `--feeds-without-venue`: the RSS members name no venue at all (no
//! `ev:location`, no point), as many a blog's or a borough's news feed
//! does; their listings have no venue for dedup to go by.
//!
//! Halls: the 42 of Laval's districts (`--halls N` for another number); a
//! region of more than 100,800 occurrences gets one more hall per 2,400
//! (about six shows a day each, a busy real hall), so that a large region
//! is a wider one, not the same 42 halls holding ever more shows a day.
//!
//! `--compare EVENTS SOURCES` writes the same EVENTS single events twice:
//! `one/` holds them as one ICS source, `split/` as SOURCES ICS sources.
//!
//! Deterministic: the same flags (and `--seed`, `--start`) give the same
//! bytes. `--start` (a date, default 2027-01-04) is the first day of the
//! season; shows fall within 360 days of it, so it must be within babillard's
//! horizon of the day the region is ingested (the bench script passes the
//! coming Monday).
//!
//! A binary of the main package (not an example) so that it needs none of
//! the dev-dependencies in a release build; `default-run` keeps `cargo run`
//! on `babillard`. Its random generator is `testsupport::Rng`'s xorshift,
//! repeated below because testsupport is a dev-dependency only.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::America::Toronto;

/// The kinds written, in rotation over the members.
const KINDS: &[Kind] = &[
    Kind::Ics,
    Kind::Rss,
    Kind::JsonLd,
    Kind::Ics,
    Kind::WordPress,
    Kind::JsonFeed,
    Kind::Ics,
    Kind::Microdata,
    Kind::HEvent,
    Kind::Ics,
];

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Ics,
    Rss,
    JsonFeed,
    JsonLd,
    Microdata,
    HEvent,
    WordPress,
}

impl Kind {
    /// `kind = "..."` in sources.toml.
    fn config_name(self) -> &'static str {
        match self {
            Kind::Ics => "ics",
            Kind::Rss | Kind::JsonFeed => "feed",
            Kind::JsonLd | Kind::Microdata | Kind::HEvent => "html",
            Kind::WordPress => "wordpress",
        }
    }

    fn file_name(self, s: usize) -> String {
        match self {
            Kind::Ics => format!("m{s:04}.ics"),
            Kind::Rss => format!("m{s:04}.rss.xml"),
            Kind::JsonFeed => format!("m{s:04}.feed.json"),
            Kind::JsonLd => format!("m{s:04}.jsonld.html"),
            Kind::Microdata => format!("m{s:04}.microdata.html"),
            Kind::HEvent => format!("m{s:04}.hevent.html"),
            Kind::WordPress => {
                format!("wp-m{s:04}/wp-json/tribe/events/v1/events?start_date=2020-01-01")
            }
        }
    }
}

const QUARTIERS: &[&str] = &[
    "Chomedey",
    "Sainte-Rose",
    "Vimont",
    "Auteuil",
    "Fabreville",
    "Laval-des-Rapides",
    "Pont-Viau",
    "Duvernay",
    "Saint-François",
    "Sainte-Dorothée",
    "Laval-Ouest",
    "Saint-Vincent-de-Paul",
    "Îles-Laval",
    "Laval-sur-le-Lac",
];

/// About the centre of each of [`QUARTIERS`] (lat, lon): halls are spread
/// within a kilometre or two of theirs, so that a search near a point or in
/// a territory matches part of the region, as in a real one.
const CENTRES: &[(f64, f64)] = &[
    (45.545, -73.750),
    (45.612, -73.785),
    (45.610, -73.722),
    (45.625, -73.745),
    (45.585, -73.830),
    (45.557, -73.705),
    (45.552, -73.685),
    (45.590, -73.655),
    (45.635, -73.610),
    (45.527, -73.815),
    (45.550, -73.865),
    (45.600, -73.655),
    (45.562, -73.885),
    (45.515, -73.870),
];

const VENUE_KINDS: &[&str] = &[
    "Maison de la culture",
    "Bibliothèque",
    "Centre communautaire",
    "Salle de spectacle",
    "Église",
    "Centre d'art",
];

const STREETS: &[&str] = &[
    "boulevard de la Concorde Ouest",
    "boulevard de l'Avenir",
    "boulevard Chomedey",
    "boulevard Sainte-Rose",
    "boulevard des Laurentides",
    "rue Notre-Dame",
    "boulevard Lévesque Est",
    "montée Saint-François",
    "boulevard Saint-Martin Ouest",
    "rue Principale",
];

const GENRES_FR: &[(&str, &str)] = &[
    ("Théâtre", "theatre"),
    ("Concert", "musique"),
    ("Heure du conte", "jeunesse"),
    ("Atelier de création", "ateliers"),
    ("Exposition", "arts-visuels"),
    ("Ciné-club", "cinema"),
    ("Danse contemporaine", "danse"),
    ("Conférence", "conferences"),
    ("Spectacle jeunesse", "jeunesse"),
    ("Récital", "musique"),
    ("Lecture publique", "litterature"),
    ("Théâtre d'été", "theatre"),
];

const GENRES_EN: &[(&str, &str)] = &[
    ("Theatre", "theatre"),
    ("Jazz night", "musique"),
    ("Storytime", "jeunesse"),
    ("Film club", "cinema"),
    ("Artist talk", "conferences"),
    ("Dance workshop", "danse"),
];

const WORKS: &[&str] = &[
    "Les Belles-sœurs",
    "Le Malade imaginaire",
    "Trio Lévesque",
    "Orchestre symphonique de Laval",
    "Paysages intérieurs",
    "La Sagouine",
    "Quatuor Molinari",
    "Contes de la rivière des Mille Îles",
    "Les Fourberies de Scapin",
    "Chœur de Sainte-Rose",
    "Mémoires du Vieux-Moulin",
    "Ensemble vocal Vimont",
    "Cabaret des saisons",
    "Les voix du fleuve",
    "Harmonie de Fabreville",
    "Un tramway nommé Désir",
    "Les Oiseaux de passage",
    "Duo Tremblay-Nguyen",
    "Fables de La Fontaine",
    "Big Band de Laval",
];

const PEOPLE: &[&str] = &[
    "Marie-Ève Gagnon",
    "Jean-François Roy",
    "Amina Diallo",
    "Luc Bergeron",
    "Sophie Nguyen",
    "Karim Haddad",
    "Isabelle Côté",
    "Olivier Paquette",
    "Nadia Beaulieu",
    "Daniel O'Brien",
];

const BLURBS: &[&str] = &[
    "Une soirée pour toute la famille, entrée libre.",
    "Billets en vente à la billetterie et en ligne.",
    "Places limitées, inscription requise auprès de la bibliothèque.",
    "Free admission; the show is in French with English surtitles.",
    "Le spectacle sera suivi d'une rencontre avec les artistes.",
    "Apportez vos coussins : on s'installe sur la pelouse.",
];

#[derive(Clone)]
struct Venue {
    name: String,
    /// Another spelling, as a second member writes it.
    alias: String,
    address: String,
    /// (lat, lon) in its district; None where the member that lists it
    /// gives an address only (see [`gives_coordinates`]).
    geo: Option<(f64, f64)>,
}

#[derive(Clone)]
struct Show {
    uid: String,
    title: String,
    category: &'static str,
    description: String,
    venue: usize,
    /// First date, local time (America/Toronto).
    start: NaiveDateTime,
    minutes: i64,
    /// Weekly dates: 1 for a single show.
    count: usize,
    lang: &'static str,
    /// Listed again by the next member.
    cross_listed: bool,
}

impl Show {
    fn dates(&self) -> impl Iterator<Item = NaiveDateTime> + '_ {
        (0..self.count).map(|w| self.start + Duration::weeks(w as i64))
    }

    /// The same show as another member words it.
    fn reworded(&self, rng: &mut Rng) -> Show {
        let mut other = self.clone();
        other.title = match rng.below(4) {
            0 => format!("{} — Laval", self.title),
            1 => self.title.to_uppercase(),
            2 => match self.title.split_once(" : ") {
                Some((_, rest)) => rest.to_string(),
                None => format!("« {} »", self.title),
            },
            _ => format!("{} (complet bientôt)", self.title),
        };
        other.description = format!("Présenté en collaboration. {}", self.description);
        other
    }
}

/// People halls are named after, for the halls beyond the first 42.
const DEDICATEES: &[&str] = &[
    "Marius-Barbeau",
    "Gabrielle-Roy",
    "Émile-Nelligan",
    "Félix-Leclerc",
    "Anne-Hébert",
    "Gilles-Vigneault",
    "Marie-Claire-Blais",
    "Jean-Paul-Riopelle",
    "Pauline-Julien",
    "Michel-Tremblay",
    "Antonine-Maillet",
    "Oscar-Peterson",
    "Alanis-Obomsawin",
    "Dany-Laferrière",
    "Monique-Leyrac",
    "Claude-Léveillée",
];

/// The occurrences a year one hall holds, beyond which the generator adds
/// halls (see [`halls_for`]).
const OCCURRENCES_PER_HALL: usize = 2_400;

/// How many halls a region of `occurrences` has by default: the 42 of
/// Laval's districts, and more as the region grows, so that a hall keeps
/// about six shows a day (a busy real hall's load) instead of every
/// member of a 1,000-member region sharing 42 halls.
fn halls_for(occurrences: usize) -> usize {
    BASE_HALLS.max(occurrences.div_ceil(OCCURRENCES_PER_HALL))
}

/// The halls of the districts: each district has half of the kinds.
const BASE_HALLS: usize = 42;

/// `n` halls (at least the 42 of the districts): the districts' halls,
/// then, wave after wave, halls of the same kinds named after someone, each
/// at its own address.
fn venues(n: usize) -> Vec<Venue> {
    let mut out = Vec::new();
    for wave in 0.. {
        if out.len() >= n.max(BASE_HALLS) {
            break;
        }
        for (q, quartier) in QUARTIERS.iter().enumerate() {
            for (k, kind) in VENUE_KINDS.iter().enumerate() {
                if (q + k) % 2 == 1 || (wave > 0 && out.len() >= n) {
                    continue;
                }
                out.push(hall(wave, q, quartier, k, kind));
            }
        }
    }
    out
}

/// Hall `k` of district `q` in wave `wave` (0: the district's own hall).
fn hall(wave: usize, q: usize, quartier: &str, k: usize, kind: &str) -> Venue {
    // "de Chomedey", "d'Auteuil", "des Îles-Laval"
    let of = match quartier.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U' | 'É') => format!("d'{quartier}"),
        _ => match quartier.strip_prefix("Îles-") {
            Some(rest) => format!("des Îles-{rest}"),
            None => format!("de {quartier}"),
        },
    };
    let name = match wave {
        0 => format!("{kind} {quartier}"),
        _ => {
            let who = DEDICATEES[(wave - 1 + q) % DEDICATEES.len()];
            match (wave - 1) / DEDICATEES.len() {
                0 => format!("{kind} {who} {of}"),
                round => format!("{kind} {who} {} {of}", round + 1),
            }
        }
    };
    let alias = name
        .replace("Bibliothèque", "Bibl.")
        .replace("Maison de la culture", "MCL")
        .replace("Centre communautaire", "C.C.")
        .replace(['é', 'è'], "e");
    let street = STREETS[(q * 3 + k + wave) % STREETS.len()];
    // Within about ±1.3 km north-south and ±1.3 km east-west of the
    // district's centre, the same for the same hall.
    let mut spread = Rng::new(0x5eed ^ ((wave as u64) << 32) ^ ((q as u64) << 16) ^ k as u64);
    let (lat, lon) = CENTRES.get(q).copied().unwrap_or((45.58, -73.75));
    let jitter = |rng: &mut Rng, span: f64| (rng.below(2001) as f64 / 1000.0 - 1.0) * span;
    let geo = (
        lat + jitter(&mut spread, 0.012),
        lon + jitter(&mut spread, 0.017),
    );
    Venue {
        name,
        alias,
        address: format!(
            "{}, {street}, Laval, QC",
            100 + 37 * (q * 7 + k) + 1_000 * wave
        ),
        geo: Some(geo),
    }
}

/// The shows member `s` owns, about `budget` occurrences of them.
fn own_shows(
    rng: &mut Rng,
    s: usize,
    budget: usize,
    start: NaiveDate,
    n_venues: usize,
) -> Vec<Show> {
    let home = rng.below(n_venues);
    let mut shows = Vec::new();
    let mut used = 0;
    while used < budget {
        let day = rng.below(300) as i64;
        let weeks_left = ((359 - day) / 7) as usize;
        let count = if rng.chance(0.3) && budget - used >= 4 {
            (4 + rng.below(49))
                .min(weeks_left)
                .min(budget - used)
                .max(1)
        } else {
            1
        };
        let english = rng.chance(0.2);
        let (genre, category) = if english {
            *rng.pick(GENRES_EN).unwrap_or(&GENRES_EN[0])
        } else {
            *rng.pick(GENRES_FR).unwrap_or(&GENRES_FR[0])
        };
        let subject = if rng.coin() {
            rng.pick(WORKS).copied().unwrap_or("Soirée")
        } else {
            rng.pick(PEOPLE).copied().unwrap_or("Invité")
        };
        let venue = if rng.chance(0.7) {
            home
        } else {
            rng.below(n_venues)
        };
        let hour = 10 + rng.below(11) as u32;
        let minute = if rng.coin() { 0 } else { 30 };
        let first = start.and_hms_opt(hour, minute, 0).unwrap_or_default() + Duration::days(day);
        let n = shows.len();
        shows.push(Show {
            uid: format!("show-{s}-{n}@membre-{s}.laval.example"),
            title: format!("{genre} : {subject}"),
            category,
            description: format!(
                "{} {}",
                rng.pick(BLURBS).copied().unwrap_or(""),
                if count > 1 { "Chaque semaine." } else { "" }
            ),
            venue,
            start: first,
            minutes: [60, 90, 120, 150][rng.below(4)],
            count,
            lang: if english { "en" } else { "fr" },
            cross_listed: rng.chance(0.3),
        });
        used += count;
    }
    shows
}

/// An RFC 3339 time with the zone's offset on that date.
fn rfc3339(local: NaiveDateTime) -> String {
    match Toronto.from_local_datetime(&local).earliest() {
        Some(t) => t.to_rfc3339(),
        None => format!("{}-05:00", local.format("%Y-%m-%dT%H:%M:%S")),
    }
}

fn ics_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// One listed date of a show, as kinds with no recurrence rule write it.
struct Item<'a> {
    show: &'a Show,
    venue: &'a Venue,
    id: String,
    start: NaiveDateTime,
}

fn items<'a>(shows: &'a [(Show, Venue)]) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    for (show, venue) in shows {
        for (i, start) in show.dates().enumerate() {
            out.push(Item {
                show,
                venue,
                id: format!("{}-{i}", show.uid),
                start,
            });
        }
    }
    out
}

fn write_ics(name: &str, shows: &[(Show, Venue)]) -> String {
    let mut out = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//babillard bench//region//FR\r\nX-WR-CALNAME:{}\r\nX-WR-TIMEZONE:America/Toronto\r\n",
        ics_escape(name)
    );
    for (show, venue) in shows {
        let _ = write!(
            out,
            "BEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART;TZID=America/Toronto:{}\r\nDURATION:PT{}M\r\nSUMMARY:{}\r\nDESCRIPTION:{}\r\nLOCATION:{}\\, {}\r\nCATEGORIES:{}\r\n",
            show.uid,
            show.start.format("%Y%m%dT%H%M%S"),
            show.minutes,
            ics_escape(&show.title),
            ics_escape(&show.description),
            ics_escape(&venue.name),
            ics_escape(&venue.address),
            show.category,
        );
        if let Some((lat, lon)) = venue.geo {
            let _ = write!(out, "GEO:{lat:.5};{lon:.5}\r\n");
        }
        if show.count > 1 {
            let _ = write!(out, "RRULE:FREQ=WEEKLY;COUNT={}\r\n", show.count);
        }
        out.push_str("END:VEVENT\r\n");
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn write_rss(name: &str, s: usize, shows: &[(Show, Venue)]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\" xmlns:georss=\"http://www.georss.org/georss\">\n<channel><title>{}</title><link>https://membre-{s}.laval.example/</link><description>Agenda</description><language>fr-CA</language>\n",
        xml_escape(name)
    );
    for it in items(shows) {
        let end = it.start + Duration::minutes(it.show.minutes);
        let _ = writeln!(
            out,
            "<item><title>{}</title><link>https://membre-{s}.laval.example/agenda/{}</link><guid isPermaLink=\"false\">{}</guid><description>{}</description><category>{}</category><ev:startdate>{}</ev:startdate><ev:enddate>{}</ev:enddate>{}{}</item>",
            xml_escape(&it.show.title),
            it.id,
            it.id,
            xml_escape(&it.show.description),
            it.show.category,
            rfc3339(it.start),
            rfc3339(end),
            if it.venue.name.is_empty() {
                String::new()
            } else {
                format!(
                    "<ev:location>{}, {}</ev:location>",
                    xml_escape(&it.venue.name),
                    xml_escape(&it.venue.address)
                )
            },
            it.venue.geo.map_or(String::new(), |(lat, lon)| format!(
                "<georss:point>{lat:.5} {lon:.5}</georss:point>"
            )),
        );
    }
    out.push_str("</channel></rss>\n");
    out
}

fn write_json_feed(name: &str, s: usize, shows: &[(Show, Venue)]) -> String {
    let entries: Vec<String> = items(shows)
        .iter()
        .map(|it| {
            format!(
                "{{\"id\":{},\"url\":\"https://membre-{s}.laval.example/agenda/{}\",\"title\":{},\"content_html\":{},\"tags\":[\"{}\"],\"_event\":{{\"start\":\"{}\",\"end\":\"{}\",\"location\":{{\"name\":{},\"address\":{}{}}}}}}}",
                json(&it.id),
                it.id,
                json(&it.show.title),
                json(&format!("<p>{}</p>", it.show.description)),
                it.show.category,
                rfc3339(it.start),
                rfc3339(it.start + Duration::minutes(it.show.minutes)),
                json(&it.venue.name),
                json(&it.venue.address),
                it.venue.geo.map_or(String::new(), |(lat, lon)| format!(
                    ",\"latitude\":{lat:.5},\"longitude\":{lon:.5}"
                )),
            )
        })
        .collect();
    format!(
        "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":{},\"home_page_url\":\"https://membre-{s}.laval.example/\",\"language\":\"fr-CA\",\"items\":[\n{}\n]}}\n",
        json(name),
        entries.join(",\n")
    )
}

fn page(name: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{} — Programmation</title>{head}</head>\n<body><header><nav><a href=\"/\">Accueil</a> <a href=\"/programmation\">Programmation</a></nav></header>\n<main><h1>Programmation</h1>\n{body}</main><footer>© {}</footer></body></html>\n",
        xml_escape(name),
        xml_escape(name)
    )
}

fn write_jsonld(name: &str, s: usize, shows: &[(Show, Venue)]) -> String {
    let events: Vec<String> = items(shows)
        .iter()
        .map(|it| {
            format!(
                "{{\"@type\":\"Event\",\"@id\":\"https://membre-{s}.laval.example/agenda/{}\",\"name\":{},\"description\":{},\"startDate\":\"{}\",\"endDate\":\"{}\",\"inLanguage\":\"{}\",\"location\":{{\"@type\":\"Place\",\"name\":{},\"address\":{}{}}}}}",
                it.id,
                json(&it.show.title),
                json(&it.show.description),
                rfc3339(it.start),
                rfc3339(it.start + Duration::minutes(it.show.minutes)),
                it.show.lang,
                json(&it.venue.name),
                json(&it.venue.address),
                it.venue.geo.map_or(String::new(), |(lat, lon)| format!(
                    ",\"geo\":{{\"@type\":\"GeoCoordinates\",\"latitude\":{lat:.5},\"longitude\":{lon:.5}}}"
                )),
            )
        })
        .collect();
    let head = format!(
        "<script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@graph\":[\n{}\n]}}</script>",
        events.join(",\n")
    );
    page(name, &head, "<p>Toute la saison en un coup d'œil.</p>\n")
}

fn write_microdata(name: &str, s: usize, shows: &[(Show, Venue)]) -> String {
    let mut body = String::from("<ul class=\"activites\">\n");
    for it in items(shows) {
        let _ = writeln!(
            body,
            "<li class=\"activite\" itemscope itemtype=\"https://schema.org/Event\"><h2><a itemprop=\"url\" href=\"https://membre-{s}.laval.example/activites/{}\"><span itemprop=\"name\">{}</span></a></h2><meta itemprop=\"startDate\" content=\"{}\"><meta itemprop=\"endDate\" content=\"{}\"><p itemprop=\"description\">{}</p><div itemprop=\"location\" itemscope itemtype=\"https://schema.org/Place\"><span itemprop=\"name\">{}</span>, <span itemprop=\"address\">{}</span>{}</div></li>",
            it.id,
            xml_escape(&it.show.title),
            it.start.format("%Y-%m-%dT%H:%M"),
            (it.start + Duration::minutes(it.show.minutes)).format("%Y-%m-%dT%H:%M"),
            xml_escape(&it.show.description),
            xml_escape(&it.venue.name),
            xml_escape(&it.venue.address),
            it.venue.geo.map_or(String::new(), |(lat, lon)| format!(
                "<span itemprop=\"geo\" itemscope itemtype=\"https://schema.org/GeoCoordinates\"><meta itemprop=\"latitude\" content=\"{lat:.5}\"><meta itemprop=\"longitude\" content=\"{lon:.5}\"></span>"
            )),
        );
    }
    body.push_str("</ul>\n");
    page(name, "", &body)
}

fn write_hevent(name: &str, s: usize, shows: &[(Show, Venue)]) -> String {
    let mut body = String::new();
    for it in items(shows) {
        let _ = writeln!(
            body,
            "<article class=\"h-event\"><h2 class=\"p-name\">{}</h2><p><time class=\"dt-start\" datetime=\"{}\">{}</time> – <time class=\"dt-end\" datetime=\"{}\"></time></p><p class=\"p-location h-card\"><span class=\"p-name\">{}</span>, <span class=\"p-street-address\">{}</span>{}</p><p class=\"p-summary\">{}</p><p><span class=\"p-category\">{}</span></p><a class=\"u-url\" href=\"https://membre-{s}.laval.example/programmation/{}\">Détails</a></article>",
            xml_escape(&it.show.title),
            rfc3339(it.start),
            it.start.format("%d/%m/%Y %H h %M"),
            rfc3339(it.start + Duration::minutes(it.show.minutes)),
            xml_escape(&it.venue.name),
            xml_escape(&it.venue.address),
            it.venue.geo.map_or(String::new(), |(lat, lon)| format!(
                "<data class=\"p-latitude\" value=\"{lat:.5}\"></data><data class=\"p-longitude\" value=\"{lon:.5}\"></data>"
            )),
            xml_escape(&it.show.description),
            it.show.category,
            it.id,
        );
    }
    page(name, "", &body)
}

fn write_wordpress(s: usize, shows: &[(Show, Venue)]) -> String {
    let events: Vec<String> = items(shows)
        .iter()
        .enumerate()
        .map(|(n, it)| {
            let end = it.start + Duration::minutes(it.show.minutes);
            format!(
                "{{\"id\":{},\"url\":\"https://membre-{s}.laval.example/evenement/{}/\",\"title\":{},\"description\":{},\"all_day\":false,\"start_date\":\"{}\",\"end_date\":\"{}\",\"timezone\":\"America/Toronto\",\"categories\":[{{\"name\":\"{}\",\"slug\":\"{}\"}}],\"venue\":{{\"venue\":{},\"address\":{},\"city\":\"Laval\",\"province\":\"QC\",\"country\":\"Canada\"{}}}}}",
                1000 + n,
                it.id,
                json(&it.show.title),
                json(&format!("<p>{}</p>", it.show.description)),
                it.start.format("%Y-%m-%d %H:%M:%S"),
                end.format("%Y-%m-%d %H:%M:%S"),
                it.show.category,
                it.show.category,
                json(&it.venue.name),
                json(&it.venue.address),
                it.venue.geo.map_or(String::new(), |(lat, lon)| format!(
                    ",\"geo_lat\":{lat:.5},\"geo_lng\":{lon:.5}"
                )),
            )
        })
        .collect();
    format!(
        "{{\"events\":[\n{}\n],\"total\":{},\"total_pages\":1}}\n",
        events.join(",\n"),
        events.len()
    )
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// The council's categories: every genre's slug, with the words members
/// use for it.
const TAXONOMY: &[(&str, &str, &str, &[&str])] = &[
    ("theatre", "Théâtre", "Theatre", &["theatre", "théâtre"]),
    (
        "musique",
        "Musique",
        "Music",
        &["musique", "music", "concert"],
    ),
    (
        "jeunesse",
        "Jeunesse",
        "Youth",
        &["jeunesse", "enfants", "famille"],
    ),
    (
        "ateliers",
        "Ateliers",
        "Workshops",
        &["ateliers", "atelier", "workshop"],
    ),
    (
        "arts-visuels",
        "Arts visuels",
        "Visual arts",
        &["arts-visuels", "exposition", "arts visuels"],
    ),
    ("cinema", "Cinéma", "Film", &["cinema", "cinéma", "film"]),
    ("danse", "Danse", "Dance", &["danse", "dance"]),
    (
        "conferences",
        "Conférences",
        "Talks",
        &["conferences", "conférence", "talk"],
    ),
    (
        "litterature",
        "Littérature",
        "Literature",
        &["litterature", "lecture", "livres"],
    ),
];

/// The council's territories: Laval cut in three by longitude, west to
/// east, each a polygon written to `territories/{id}.geojson`.
const TERRITORIES: &[(&str, &str, &str, f64, f64)] = &[
    ("ouest", "Secteur ouest", "West sector", -73.95, -73.80),
    ("centre", "Secteur centre", "Central sector", -73.80, -73.70),
    ("est", "Secteur est", "East sector", -73.70, -73.50),
];

/// Whether member `s` gives its venues' coordinates (four in five do; the
/// others an address only, placed by municipality).
fn gives_coordinates(s: usize) -> bool {
    (s / KINDS.len()) % 5 != 4
}

/// The `[[category]]` and `[[territory]]` tables of the region's
/// `sources.toml`; writes the territories' GeoJSON files into `out`.
fn council_tables(out: &Path) -> std::io::Result<String> {
    let mut config = String::new();
    for (slug, fr, en, matches) in TAXONOMY {
        let _ =
            write!(
            config,
            "[[category]]\nslug = \"{slug}\"\nname = {{ fr = {}, en = {} }}\nmatches = [{}]\n\n",
            json(fr),
            json(en),
            matches.iter().map(|m| json(m)).collect::<Vec<_>>().join(", ")
        );
    }
    for (id, fr, en, west, east) in TERRITORIES {
        let (south, north) = (45.45, 45.75);
        let geojson = format!(
            "{{\"type\":\"Polygon\",\"coordinates\":[[[{west},{south}],[{east},{south}],[{east},{north}],[{west},{north}],[{west},{south}]]]}}\n"
        );
        write(&out.join(format!("territories/{id}.geojson")), &geojson)?;
        let _ = write!(
            config,
            "[[territory]]\nid = \"{id}\"\nname = {{ fr = {}, en = {} }}\ngeojson = \"territories/{id}.geojson\"\n\n",
            json(fr),
            json(en)
        );
    }
    Ok(config)
}

const AGGREGATOR: &str = "[aggregator]\nname = \"Région de banc d'essai\"\nbase_url = \"http://127.0.0.1:8080\"\ntimezone = \"America/Toronto\"\nlanguages = [\"fr\", \"en\"]\nhorizon_days = 400\ndata_dir = \"data\"\n\n";

/// Writes a region; returns (sources, halls, occurrences listed, bytes).
fn region(
    out: &Path,
    sources: usize,
    occurrences: usize,
    seed: u64,
    start: NaiveDate,
    halls: Option<usize>,
    feeds_without_venue: bool,
) -> std::io::Result<(usize, usize, usize, u64)> {
    let mut rng = Rng::new(seed);
    let venues = venues(halls.unwrap_or_else(|| halls_for(occurrences)));
    // Cross-listing adds ~30% to what the members own.
    let budget = ((occurrences as f64 / 1.3) / sources as f64)
        .ceil()
        .max(1.0) as usize;
    let owned: Vec<Vec<Show>> = (0..sources)
        .map(|s| own_shows(&mut rng, s, budget, start, venues.len()))
        .collect();
    let mut config = String::from(AGGREGATOR);
    config.push_str(&council_tables(out)?);
    let mut total = 0;
    let mut bytes = 0u64;
    for s in 0..sources {
        let kind = KINDS[s % KINDS.len()];
        let name = format!(
            "{} {}",
            VENUE_KINDS[s % VENUE_KINDS.len()],
            QUARTIERS[(s / VENUE_KINDS.len()) % QUARTIERS.len()]
        );
        let name = format!("{name} (membre {s})");
        let venue = |v: usize| -> Venue {
            let mut venue = venues[v].clone();
            if !gives_coordinates(s) {
                venue.geo = None;
            }
            if feeds_without_venue && kind == Kind::Rss {
                venue.name.clear();
                venue.alias.clear();
                venue.address.clear();
                venue.geo = None;
            }
            venue
        };
        let mut listed: Vec<(Show, Venue)> = owned[s]
            .iter()
            .map(|show| (show.clone(), venue(show.venue)))
            .collect();
        if sources > 1 {
            let previous = (s + sources - 1) % sources;
            for show in owned[previous].iter().filter(|show| show.cross_listed) {
                let mut again = show.reworded(&mut rng);
                again.uid = format!("{}-relaye-par-{s}", show.uid);
                // the second member spells the venue its own way
                let mut venue = venue(show.venue);
                venue.name = venue.alias.clone();
                listed.push((again, venue));
            }
        }
        total += listed.iter().map(|(show, _)| show.count).sum::<usize>();
        let text = match kind {
            Kind::Ics => write_ics(&name, &listed),
            Kind::Rss => write_rss(&name, s, &listed),
            Kind::JsonFeed => write_json_feed(&name, s, &listed),
            Kind::JsonLd => write_jsonld(&name, s, &listed),
            Kind::Microdata => write_microdata(&name, s, &listed),
            Kind::HEvent => write_hevent(&name, s, &listed),
            Kind::WordPress => write_wordpress(s, &listed),
        };
        let file = kind.file_name(s);
        write(&out.join("members").join(&file), &text)?;
        bytes += text.len() as u64;
        let _ = write!(
            config,
            "[[source]]\nid = \"m{s:04}\"\nname = {}\nkind = \"{}\"\nurl = {}\nlang = \"fr\"\n\n",
            json(&name),
            kind.config_name(),
            json(&format!("members/{file}")),
        );
    }
    write(&out.join("sources.toml"), &config)?;
    Ok((sources, venues.len(), total, bytes))
}

/// `--compare`: the same single events as one ICS source and as `split` ones.
fn compare(
    out: &Path,
    events: usize,
    split: usize,
    seed: u64,
    start: NaiveDate,
) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let venues = venues(BASE_HALLS);
    let mut shows: Vec<Show> = Vec::with_capacity(events);
    while shows.len() < events {
        for mut show in own_shows(&mut rng, shows.len(), events, start, venues.len()) {
            show.count = 1;
            show.uid = format!("evt-{}@compare.laval.example", shows.len());
            shows.push(show);
            if shows.len() == events {
                break;
            }
        }
    }
    let listed: Vec<(Show, Venue)> = shows
        .iter()
        .map(|s| (s.clone(), venues[s.venue].clone()))
        .collect();
    write(
        &out.join("one/members/all.ics"),
        &write_ics("Tout le calendrier", &listed),
    )?;
    write(
        &out.join("one/sources.toml"),
        &format!(
            "{AGGREGATOR}[[source]]\nid = \"all\"\nkind = \"ics\"\nurl = \"members/all.ics\"\n"
        ),
    )?;
    let mut config = String::from(AGGREGATOR);
    let per = events.div_ceil(split.max(1));
    for (i, chunk) in listed.chunks(per).enumerate() {
        let file = format!("members/part{i:04}.ics");
        write(
            &out.join("split").join(&file),
            &write_ics(&format!("Membre {i}"), chunk),
        )?;
        let _ = write!(
            config,
            "[[source]]\nid = \"part{i:04}\"\nkind = \"ics\"\nurl = \"{file}\"\n\n"
        );
    }
    write(&out.join("split/sources.toml"), &config)
}

struct Args {
    out: PathBuf,
    sources: usize,
    occurrences: usize,
    seed: u64,
    start: NaiveDate,
    compare: Option<(usize, usize)>,
    /// `--halls`: the number of halls, instead of [`halls_for`]'s.
    halls: Option<usize>,
    /// `--feeds-without-venue`: the RSS members name no venue.
    feeds_without_venue: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::from("region"),
        sources: 200,
        occurrences: 20_000,
        seed: 13,
        start: NaiveDate::from_ymd_opt(2027, 1, 4).ok_or("bad default date")?,
        compare: None,
        halls: None,
        feeds_without_venue: false,
    };
    let mut it = std::env::args().skip(1);
    let number = |v: Option<String>, flag: &str| -> Result<usize, String> {
        v.ok_or(format!("{flag} needs a value"))?
            .replace('_', "")
            .parse()
            .map_err(|e| format!("{flag}: {e}"))
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--out" => a.out = PathBuf::from(it.next().ok_or("--out needs a folder")?),
            "--sources" => a.sources = number(it.next(), "--sources")?.max(1),
            "--occurrences" => a.occurrences = number(it.next(), "--occurrences")?,
            "--halls" => a.halls = Some(number(it.next(), "--halls")?.max(1)),
            "--feeds-without-venue" => a.feeds_without_venue = true,
            "--seed" => a.seed = number(it.next(), "--seed")? as u64,
            "--start" => {
                let v = it.next().ok_or("--start needs a date")?;
                a.start = v.parse().map_err(|e| format!("--start {v}: {e}"))?;
            }
            "--compare" => {
                let events = number(it.next(), "--compare")?;
                let split = number(it.next(), "--compare")?;
                a.compare = Some((events, split));
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (see the doc at the top of src/bin/region.rs)"
                ))
            }
        }
    }
    Ok(a)
}

/// testsupport's xorshift64 (shifts 13, 7, 17): the same seed, the same region.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn coin(&mut self) -> bool {
        self.next_u64().is_multiple_of(2)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("region: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match a.compare {
        Some((events, split)) => compare(&a.out, events, split, a.seed, a.start).map(|()| {
            println!(
                "{events} events as 1 source and as {split} sources in {}",
                a.out.display()
            )
        }),
        None => region(
            &a.out,
            a.sources,
            a.occurrences,
            a.seed,
            a.start,
            a.halls,
            a.feeds_without_venue,
        )
        .map(|(s, h, o, b)| {
            println!(
                "{s} sources, {h} halls, {o} occurrences listed, {b} bytes in {}",
                a.out.display()
            )
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("region: cannot write into {}: {e}", a.out.display());
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join("members").join(name)).expect("member file")
    }

    #[test]
    fn feeds_without_venue_leave_only_the_rss_members_without_a_place() {
        let start = NaiveDate::from_ymd_opt(2027, 1, 4).expect("date");
        for without in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            region(dir.path(), 10, 400, 13, start, None, without).expect("region");
            // m0001 is an RSS member (its own shows and m0000's relayed).
            let rss = member(dir.path(), "m0001.rss.xml");
            assert!(rss.contains("<item>"), "{rss}");
            assert_eq!(
                rss.contains("<ev:location>"),
                !without,
                "without: {without}"
            );
            assert_eq!(
                rss.contains("<georss:point>"),
                !without,
                "without: {without}"
            );
            // Other kinds keep their venues either way.
            assert!(member(dir.path(), "m0000.ics").contains("LOCATION:"));
        }
    }
}
