//! Language detection for records whose source declares none.
//!
//! Event texts are short (a title and a line of description), where
//! trigram detectors such as `whatlang` guess wildly; babillard only ever
//! chooses between French and English, so a small scorer of words that
//! belong to one of the two languages does better:
//!
//! * function words ("le", "des", "pour", "avec" / "the", "and", "with"),
//!   French elisions ("l'", "d'", "qu'") and English "'s", and the common
//!   words of event listings ("atelier", "spectacle", "heure du conte" /
//!   "workshop", "story time", "free") each count for their language;
//! * a lowercase word with French accents ("été", "à") counts half for
//!   French; capitalized words do not (names such as "André-Mathieu" appear
//!   in English texts too);
//! * words shared by both languages ("concert", "jazz", "a", "art") count
//!   for neither.
//!
//! The winner must score at least [`MIN_SCORE`] and twice the other;
//! otherwise (names only, "Vernissage", "Jazz") nothing is detected and the
//! caller falls back to the source's or the aggregator's default.
//! Precedence, in [`crate::Normalizer`]: the record's language, the source's
//! `lang`, the detected language, the first configured language.

/// The lowest score a language must reach to be detected.
pub const MIN_SCORE: f64 = 1.0;

/// French words with their weight.
const FRENCH: &[(&str, f64)] = &[
    // Function words.
    ("le", 1.0),
    ("la", 1.0),
    ("les", 1.0),
    ("des", 1.0),
    ("du", 1.0),
    ("de", 1.0),
    ("et", 1.0),
    ("à", 1.0),
    ("au", 1.0),
    ("aux", 1.0),
    ("pour", 1.0),
    ("avec", 1.0),
    ("une", 1.0),
    ("un", 1.0),
    ("en", 0.5),
    ("sur", 1.0),
    ("dans", 1.0),
    ("par", 1.0),
    ("est", 1.0),
    ("sont", 1.0),
    ("nous", 1.0),
    ("vous", 1.0),
    ("ce", 1.0),
    ("cette", 1.0),
    ("ces", 1.0),
    ("son", 0.5),
    ("sa", 1.0),
    ("ses", 1.0),
    ("leur", 1.0),
    ("leurs", 1.0),
    ("qui", 1.0),
    ("que", 1.0),
    ("où", 1.0),
    ("ou", 0.5),
    ("mais", 1.0),
    ("plus", 0.5),
    ("pas", 1.0),
    ("ne", 1.0),
    ("chez", 1.0),
    ("entre", 1.0),
    ("sous", 1.0),
    ("sans", 1.0),
    ("vers", 1.0),
    ("aussi", 1.0),
    ("tout", 1.0),
    ("tous", 1.0),
    ("toutes", 1.0),
    ("votre", 1.0),
    ("vos", 1.0),
    ("notre", 1.0),
    ("nos", 1.0),
    ("il", 1.0),
    ("elle", 1.0),
    ("ils", 1.0),
    ("se", 1.0),
    // Words of event listings.
    ("venez", 1.0),
    ("découvrez", 1.0),
    ("spectacle", 1.0),
    ("spectacles", 1.0),
    ("atelier", 1.0),
    ("ateliers", 1.0),
    ("conte", 1.0),
    ("contes", 1.0),
    ("heure", 1.0),
    ("soirée", 1.0),
    ("gratuit", 1.0),
    ("gratuite", 1.0),
    ("enfants", 1.0),
    ("enfant", 1.0),
    ("famille", 1.0),
    ("ans", 1.0),
    ("inscription", 0.5),
    ("conférence", 1.0),
    ("bibliothèque", 1.0),
    ("rencontre", 1.0),
    ("causerie", 1.0),
    ("initiation", 0.5),
    ("danse", 1.0),
    ("chanson", 1.0),
    ("chansons", 1.0),
    ("musique", 1.0),
    ("théâtre", 1.0),
    ("cinéma", 1.0),
    ("visite", 1.0),
    ("guidée", 1.0),
    ("marché", 1.0),
    ("fête", 1.0),
    ("lundi", 1.0),
    ("mardi", 1.0),
    ("mercredi", 1.0),
    ("jeudi", 1.0),
    ("vendredi", 1.0),
    ("samedi", 1.0),
    ("dimanche", 1.0),
    ("janvier", 1.0),
    ("février", 1.0),
    ("avril", 1.0),
    ("juin", 1.0),
    ("juillet", 1.0),
    ("août", 1.0),
    ("septembre", 1.0),
    ("octobre", 1.0),
    ("novembre", 1.0),
    ("décembre", 1.0),
    ("parc", 1.0),
    ("jeunesse", 1.0),
    ("lecture", 0.5),
    ("livre", 1.0),
    ("livres", 1.0),
    ("club", 0.0),
    ("nuit", 1.0),
    ("soir", 1.0),
    ("matin", 1.0),
    ("salle", 0.5),
    ("exposition", 0.5),
    ("heures", 1.0),
    ("places", 0.0),
    ("billets", 1.0),
    ("réservation", 1.0),
    ("requise", 1.0),
    ("artistes", 0.5),
    ("concerts", 0.0),
    ("ainés", 1.0),
    ("aînés", 1.0),
    ("bienvenue", 1.0),
    ("bricolage", 1.0),
    ("jeux", 1.0),
    ("jeu", 1.0),
    ("cours", 1.0),
    ("été", 1.0),
    ("hiver", 1.0),
    ("printemps", 1.0),
    ("automne", 1.0),
];

/// English words with their weight.
const ENGLISH: &[(&str, f64)] = &[
    // Function words.
    ("the", 1.0),
    ("and", 1.0),
    ("of", 1.0),
    ("with", 1.0),
    ("for", 1.0),
    ("an", 0.5),
    ("at", 1.0),
    ("on", 0.5),
    ("in", 1.0),
    ("to", 1.0),
    ("from", 1.0),
    ("by", 1.0),
    ("is", 1.0),
    ("are", 1.0),
    ("be", 1.0),
    ("will", 1.0),
    ("this", 1.0),
    ("that", 1.0),
    ("these", 1.0),
    ("your", 1.0),
    ("our", 1.0),
    ("you", 1.0),
    ("we", 1.0),
    ("all", 1.0),
    ("about", 1.0),
    ("into", 1.0),
    ("it", 1.0),
    ("its", 1.0),
    ("their", 1.0),
    ("or", 0.5),
    ("not", 1.0),
    ("no", 0.5),
    ("how", 1.0),
    ("what", 1.0),
    ("who", 1.0),
    ("join", 1.0),
    ("come", 1.0),
    ("bring", 1.0),
    ("meet", 1.0),
    ("learn", 1.0),
    ("discover", 1.0),
    ("enjoy", 1.0),
    // Words of event listings.
    ("show", 1.0),
    ("shows", 1.0),
    ("workshop", 1.0),
    ("workshops", 1.0),
    ("story", 1.0),
    ("stories", 1.0),
    ("time", 1.0),
    ("free", 1.0),
    ("kids", 1.0),
    ("children", 1.0),
    ("family", 1.0),
    ("families", 1.0),
    ("years", 1.0),
    ("old", 1.0),
    ("registration", 1.0),
    ("required", 1.0),
    ("music", 1.0),
    ("dance", 0.5),
    ("night", 1.0),
    ("evening", 1.0),
    ("morning", 1.0),
    ("afternoon", 1.0),
    ("library", 1.0),
    ("tour", 0.5),
    ("guided", 1.0),
    ("market", 1.0),
    ("screening", 1.0),
    ("talk", 1.0),
    ("opening", 1.0),
    ("reading", 1.0),
    ("book", 1.0),
    ("books", 1.0),
    ("live", 1.0),
    ("play", 1.0),
    ("game", 1.0),
    ("games", 1.0),
    ("ages", 1.0),
    ("new", 1.0),
    ("tickets", 1.0),
    ("seniors", 1.0),
    ("craft", 1.0),
    ("crafts", 1.0),
    ("monday", 1.0),
    ("tuesday", 1.0),
    ("wednesday", 1.0),
    ("thursday", 1.0),
    ("friday", 1.0),
    ("saturday", 1.0),
    ("sunday", 1.0),
    ("january", 1.0),
    ("february", 1.0),
    ("march", 1.0),
    ("april", 1.0),
    ("june", 1.0),
    ("july", 1.0),
    ("august", 1.0),
    ("september", 1.0),
    ("october", 1.0),
    ("november", 1.0),
    ("december", 1.0),
    ("park", 1.0),
    ("summer", 1.0),
    ("winter", 1.0),
    ("spring", 1.0),
    ("fall", 1.0),
    ("hall", 1.0),
    ("welcome", 1.0),
    ("everyone", 1.0),
    ("party", 1.0),
    ("festive", 1.0),
    ("songs", 1.0),
    ("singing", 1.0),
    ("art", 0.0),
    ("exhibition", 1.0),
    ("exhibit", 1.0),
];

/// French elided words ("l'", "d'", "qu'") when an apostrophe follows.
const ELISIONS: &[&str] = &["l", "d", "qu", "j", "n", "c", "s", "m", "jusqu", "lorsqu"];

/// Letters only French writes (in lowercase words).
fn has_french_accent(word: &str) -> bool {
    word.chars().any(|c| "éèêëàâîïôûùüçœ".contains(c))
}

/// The scores of a text: (French, English).
pub fn scores(text: &str) -> (f64, f64) {
    let (mut fr, mut en) = (0.0, 0.0);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars.get(i).is_some_and(|c| c.is_alphabetic()) {
            i += 1;
            continue;
        }
        let start = i;
        while chars.get(i).is_some_and(|c| c.is_alphabetic()) {
            i += 1;
        }
        let word: String = chars.get(start..i).unwrap_or_default().iter().collect();
        let apostrophe_after = chars.get(i).is_some_and(|c| matches!(c, '\'' | '’'))
            && chars.get(i + 1).is_some_and(|c| c.is_alphabetic());
        let apostrophe_before = start > 0
            && chars
                .get(start - 1)
                .is_some_and(|c| matches!(c, '\'' | '’'));
        let lower = word.to_lowercase();
        if apostrophe_after && ELISIONS.contains(&lower.as_str()) {
            fr += 1.0;
            continue;
        }
        if apostrophe_before {
            // "children's", "don't": English endings.
            if matches!(lower.as_str(), "s" | "t" | "ll" | "re" | "ve") {
                en += 1.0;
            }
            continue;
        }
        let capitalized = word.chars().next().is_some_and(char::is_uppercase);
        if let Some((_, w)) = FRENCH.iter().find(|(w, _)| *w == lower) {
            fr += w;
        } else if let Some((_, w)) = ENGLISH.iter().find(|(w, _)| *w == lower) {
            en += w;
        } else if !capitalized && has_french_accent(&lower) {
            fr += 0.5;
        }
    }
    (fr, en)
}

/// The language of a text among `allowed` (codes such as `fr`, `en`), or
/// None when not confident (see the module doc). Only French and English
/// are recognized; both must be allowed for detection to say anything.
pub fn detect(text: &str, allowed: &[String]) -> Option<&'static str> {
    let allows = |code: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(code));
    if !(allows("fr") && allows("en")) {
        return None;
    }
    let (fr, en) = scores(text);
    if fr >= MIN_SCORE && fr >= 2.0 * en {
        Some("fr")
    } else if en >= MIN_SCORE && en >= 2.0 * fr {
        Some("en")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> Vec<String> {
        vec!["fr".to_string(), "en".to_string()]
    }

    const FR: &[&str] = &[
        "Jazz au parc",
        "Heure du conte",
        "Heure du conte en pyjama pour les 3 à 5 ans",
        "Les Belles-sœurs — Une pièce de Michel Tremblay mise en scène par René Richard Cyr",
        "Atelier de bricolage de Noël",
        "Spectacle de Fred Pellerin",
        "Concert de l'Orchestre symphonique de Laval",
        "Vernissage de l'exposition « Lumières du Nord »",
        "Conférence : l'histoire de l'île Jésus",
        "Club de lecture jeunesse",
        "Soirée jeux de société",
        "Marché de Noël du Vieux-Sainte-Rose",
        "Cinéma en plein air : film familial",
        "Visite guidée du Centre de la nature",
        "Initiation au tricot pour débutants",
        "Danse en ligne pour les aînés",
        "Fête nationale au parc des Prairies",
        "Chansons d'ici avec Marie-Josée Lord",
        "Atelier d'écriture",
        "Causerie avec l'autrice Kim Thúy",
        "Gratuit, inscription requise",
        "Rencontre d'auteur",
        "Les petits explorateurs",
        "Théâtre jeunesse : Le Petit Prince",
        "Yoga sur la plage",
        "Contes et comptines pour les tout-petits",
        "Exposition des finissants en arts visuels",
        "Soirée d'improvisation",
        "Festival des sucres : tire sur la neige et musique traditionnelle",
        "Bricolage de printemps pour enfants",
        "Projection du documentaire suivie d'une discussion",
        "Découvrez les oiseaux de la rivière des Mille Îles",
        "Club de Scrabble",
        "Cours de peinture à l'huile",
        "Lancement du livre de Dany Laferrière",
        "Programmation estivale des bibliothèques",
        "Musique de chambre : quatuor à cordes",
        "Rallye familial dans le Vieux-Terrebonne",
        "Venez jouer aux échecs avec nous",
        "L'heure du conte en anglais",
    ];

    const EN: &[&str] = &[
        "Story time",
        "Story time for toddlers",
        "Jazz in the park",
        "Family movie night",
        "Knitting for beginners",
        "Book club: The Handmaid's Tale",
        "An evening with the Laval Symphony Orchestra",
        "Holiday craft workshop",
        "Opening of the exhibition \"Northern Lights\"",
        "Talk: the history of Île Jésus",
        "Board games night",
        "Christmas market in Old Sainte-Rose",
        "Outdoor cinema: a family film",
        "Guided tour of the Nature Centre",
        "Line dancing for seniors",
        "Songs from here with Marie-Josée Lord",
        "Writing workshop",
        "Meet the author Kim Thúy",
        "Free, registration required",
        "Children's theatre: The Little Prince",
        "Yoga on the beach",
        "Nursery rhymes for little ones",
        "Graduating students' visual arts exhibition",
        "Improv night",
        "Sugar shack festival: maple taffy and live music",
        "Spring crafts for kids",
        "Documentary screening followed by a discussion",
        "Discover the birds of the Mille Îles River",
        "Scrabble club for adults",
        "Oil painting class",
        "Launch of Dany Laferrière's new book",
        "Summer programming at the libraries",
        "Chamber music: string quartet",
        "Family rally in Old Terrebonne",
        "Come play chess with us",
        "Teen gaming afternoon",
        "LEGO challenge for ages 6 to 12",
        "Homework help is back",
        "Bilingual story time with puppets",
        "Halloween party at the library",
    ];

    #[test]
    fn french_titles_are_french_or_undecided() {
        let mut detected = 0;
        for t in FR {
            match detect(t, &both()) {
                Some("fr") => detected += 1,
                None => eprintln!("undecided: {t:?} {:?}", scores(t)),
                other => panic!("{t:?} detected as {other:?} {:?}", scores(t)),
            }
        }
        eprintln!("French: {detected}/{} detected", FR.len());
        assert!(detected >= 36, "{detected}");
    }

    #[test]
    fn english_titles_are_english_or_undecided() {
        let mut detected = 0;
        for t in EN {
            match detect(t, &both()) {
                Some("en") => detected += 1,
                None => eprintln!("undecided: {t:?} {:?}", scores(t)),
                other => panic!("{t:?} detected as {other:?} {:?}", scores(t)),
            }
        }
        eprintln!("English: {detected}/{} detected", EN.len());
        assert!(detected >= 36, "{detected}");
    }

    #[test]
    fn names_and_shared_words_are_undecided() {
        for t in [
            "Vernissage",
            "Jazz",
            "Fred Pellerin",
            "Marie-Josée Lord",
            "Kim Thúy",
            "Orchestre Métropolitain",
            "Concert",
            "",
            "2026",
            "Yoga",
            "Salle André-Mathieu",
        ] {
            assert_eq!(detect(t, &both()), None, "{t:?} {:?}", scores(t));
        }
    }

    #[test]
    fn descriptions_add_evidence() {
        let t = "Vernissage\nVenez rencontrer les artistes autour d'un verre.";
        assert_eq!(detect(t, &both()), Some("fr"));
        let t = "Vernissage\nMeet the artists and enjoy a drink with us.";
        assert_eq!(detect(t, &both()), Some("en"));
    }

    /// The whole normalizer: precedence of the language sources, and the
    /// other enrichments of a record (sanitized HTML, city).
    #[test]
    fn normalizer_precedence_and_enrichment() {
        use crate::{Normalizer, Settings, SourceMeta};
        use chrono::TimeZone;
        use model::{RawEvent, SourceId, TimeValue};

        let settings = Settings {
            timezone: chrono_tz::America::Toronto,
            horizon_days: 365,
            languages: both(),
            venues: vec![],
            categories: vec![],
        };
        let n = Normalizer::new(settings);
        let mut source = SourceMeta {
            id: SourceId::new("src").expect("id"),
            priority: 0,
            lang: None,
            categories: vec![],
            venue: None,
        };
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 15, 12, 0, 0)
            .single()
            .expect("now");
        let start = || TimeValue::Zoned {
            local: chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
                .and_then(|d| d.and_hms_opt(20, 0, 0))
                .expect("date"),
            tzid: "America/Toronto".into(),
        };
        let language = |n: &Normalizer, s: &SourceMeta, r: RawEvent| {
            n.normalize(s, &[r], now)
                .occurrences
                .first()
                .and_then(|o| o.event.language.clone())
        };
        let story = RawEvent::new("s", "Story time for toddlers", start());
        // Detected when nothing is declared.
        assert_eq!(language(&n, &source, story.clone()).as_deref(), Some("en"));
        // Names only: the aggregator's first language.
        let names = RawEvent::new("n", "Fred Pellerin", start());
        assert_eq!(language(&n, &source, names.clone()).as_deref(), Some("fr"));
        // The source's declaration beats detection; the record's beats both.
        source.lang = Some("fr-CA".into());
        assert_eq!(language(&n, &source, story.clone()).as_deref(), Some("fr"));
        let mut declared = story;
        declared.language = Some("en".into());
        assert_eq!(language(&n, &source, declared).as_deref(), Some("en"));
        source.lang = Some("en".into());
        assert_eq!(language(&n, &source, names).as_deref(), Some("en"));
        source.lang = None;

        // The description detects too, and keeps its markup when it had some.
        let mut r = RawEvent::new("h", "Vernissage", start());
        r.description = Some(
            "<p>Venez rencontrer <b>les artistes</b>.</p><script>x()</script>\
             <a href=\"https://ex.org\" onclick=\"y()\">Billets</a>"
                .into(),
        );
        r.location = Some("Galerie Verticale, Laval".into());
        let out = n.normalize(&source, &[r], now);
        let e = &out.occurrences.first().expect("occurrence").event;
        assert_eq!(e.language.as_deref(), Some("fr"));
        assert_eq!(
            e.description.as_deref(),
            Some("Venez rencontrer les artistes.\n\nBillets")
        );
        assert_eq!(
            e.description_html.as_deref(),
            Some(
                "<p>Venez rencontrer <b>les artistes</b>.</p>\
                 <a href=\"https://ex.org\" rel=\"noopener nofollow\">Billets</a>"
            )
        );
        assert_eq!(
            e.venue.as_ref().and_then(|v| v.city.as_deref()),
            Some("Laval")
        );
        // Plain text: no HTML copy.
        let mut r = RawEvent::new("p", "Heure du conte", start());
        r.description = Some("Pour les 3 à 5 ans & leurs parents".into());
        r.geo = model::GeoPoint::new(45.70, -73.647);
        r.location = Some("Sous le chapiteau".into());
        let out = n.normalize(&source, &[r], now);
        let e = &out.occurrences.first().expect("occurrence").event;
        assert_eq!(e.description_html, None);
        assert_eq!(
            e.venue.as_ref().and_then(|v| v.city.as_deref()),
            Some("Terrebonne")
        );
    }

    #[test]
    fn only_configured_languages_are_detected() {
        assert_eq!(detect("Story time for toddlers", &["fr".to_string()]), None);
        assert_eq!(detect("Heure du conte", &["en".to_string()]), None);
        assert_eq!(detect("Heure du conte", &[]), None);
        assert_eq!(
            detect("Heure du conte", &["FR".to_string(), "en".to_string()]),
            Some("fr")
        );
    }
}
