//! Tests of the feed parser: quirks, one test each. Every fixture in
//! `tests/fixtures/feed/` against the JSON beside it, and no panic on cut
//! or mutated bytes, are the conformance suite's (`crate::conformance`).

use super::*;
use serde_json::json;

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/feed")
}

fn read_fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn ctx(url: &str) -> ParseContext {
    ParseContext {
        content_type: None,
        url: url.to_string(),
        lang: None,
        selectors: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default(),
    }
}

/// A fixture parsed with the context its expected file gives.
fn parse_fixture(name: &str) -> Parsed {
    crate::conformance::parse_fixture("feed", name)
}

#[test]
fn wordpress_items_carry_content_image_geo_categories_and_language() {
    let parsed = parse_fixture("wordpress_rss2_event_module");
    let first = &parsed.events[0];
    assert_eq!(
        first.url.as_deref(),
        Some("https://maisondesarts.example.org/evenement/les-belles-soeurs/")
    );
    // content:encoded wins over description, kept as HTML.
    let description = first.description.as_deref().unwrap_or_default();
    assert!(description.contains("<p>Quinze femmes"), "{description}");
    assert!(description.contains("René Richard Cyr"));
    // The first <img> of the content, made absolute.
    assert_eq!(
        first.image.as_deref(),
        Some("https://maisondesarts.example.org/wp-content/uploads/2026/10/belles-soeurs-1024x683.jpg")
    );
    assert_eq!(first.geo, GeoPoint::new(45.5605, -73.7130));
    assert_eq!(first.organizer.as_deref(), Some("Maison des arts de Laval"));
    assert_eq!(first.categories, vec!["Théâtre", "Tout public"]);
    assert_eq!(first.language.as_deref(), Some("fr-ca"));
    // ev:type is added to the categories when new.
    assert_eq!(parsed.events[1].categories, vec!["Arts visuels"]);
    // An enclosure of an image type.
    assert_eq!(
        parsed.events[2].image.as_deref(),
        Some("https://maisondesarts.example.org/wp-content/uploads/2026/11/petit-prince.jpg")
    );
    // Items dated by the event module need no detail page.
    assert!(!parsed
        .links
        .iter()
        .any(|l| matches!(l, Link::Detail { .. })));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn drupal_items_without_dates_wait_for_their_page_and_keep_their_fields() {
    let parsed = parse_fixture("drupal_rss_no_dates");
    let club = &parsed.undated[1];
    assert_eq!(club.title, "Club de lecture ados : saison 2026");
    // The placeholder start is the run's day, never the pubDate.
    assert_eq!(
        club.start,
        TimeValue::Date {
            date: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default()
        }
    );
    assert_eq!(
        club.image.as_deref(),
        Some("https://www.bibliotheques.example.qc.ca/sites/default/files/club-ados.png")
    );
    assert_eq!(club.language.as_deref(), Some("fr"));
    assert_eq!(parsed.undated[2].categories, vec!["Arts"]);
}

#[test]
fn atom_news_item_without_date_nor_link_is_dropped_with_a_warning() {
    let parsed = parse_fixture("atom_municipal_news_with_dates_in_text");
    assert!(!parsed
        .events
        .iter()
        .chain(&parsed.undated)
        .any(|e| e.title.contains("fermeture temporaire")));
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    assert!(parsed.warnings[0].message.contains("fermeture temporaire"));
    // xml:lang on the feed element.
    assert_eq!(parsed.events[0].language.as_deref(), Some("fr"));
    assert_eq!(parsed.events[0].categories, vec!["Marchés publics"]);
}

#[test]
fn json_feed_event_extension_gives_place_geo_image_and_tags() {
    let parsed = parse_fixture("jsonfeed_event_extension");
    let jazz = &parsed.events[0];
    assert_eq!(
        jazz.address.as_deref(),
        Some("221, boulevard Sainte-Rose, Laval")
    );
    assert_eq!(jazz.geo, GeoPoint::new(45.6098, -73.7857));
    assert_eq!(
        jazz.image.as_deref(),
        Some("https://culture-sainte-rose.example.org/img/trio-levesque.jpg")
    );
    assert_eq!(jazz.categories, vec!["jazz", "musique"]);
    assert_eq!(jazz.language.as_deref(), Some("fr-CA"));
    assert_eq!(
        jazz.description.as_deref(),
        Some("<p>Standards et compositions originales.</p>")
    );
}

#[test]
fn latin1_feed_with_bare_ampersands_is_repaired_and_decoded() {
    let parsed = parse_fixture("rss_latin1_bare_ampersand");
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.message.contains("bare '&'")));
    // The third item (no link, no date) is news.
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.message.contains("Fermeture de la billetterie")));
    assert_eq!(parsed.events.len(), 2);
}

#[test]
fn a_latin1_line_in_a_utf8_feed_keeps_the_rest_utf8() {
    let mut bytes = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
        <title>Été</title><item><title>Soirée à Laval</title>\
        <link>https://example.org/a</link><description>"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"Th\xe9\xe2tre");
    bytes.extend_from_slice(b"</description><ev:startdate xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\">2026-12-05T20:00:00-05:00</ev:startdate></item></channel></rss>");
    let parsed = parse(&bytes, &ctx("https://example.org/feed")).unwrap();
    assert_eq!(parsed.events.len(), 1, "{parsed:?}");
    assert_eq!(parsed.events[0].title, "Soirée à Laval");
    assert_eq!(parsed.events[0].description.as_deref(), Some("Théâtre"));
}

#[test]
fn rss10_xcal_reads_geo_lat_long() {
    let parsed = parse_fixture("rss10_rdf_xcal");
    assert_eq!(parsed.events[0].geo, GeoPoint::new(45.5612, -73.7));
    assert_eq!(parsed.events[1].geo, None);
}

#[test]
fn a_truncated_feed_keeps_its_complete_items() {
    let bytes = read_fixture("wordpress_rss2_event_module.xml");
    let text = String::from_utf8_lossy(&bytes);
    let cut = text.find("Matinée jeunesse").unwrap_or(text.len());
    let truncated = text.get(..cut).unwrap_or_default();
    let parsed = parse(
        truncated.as_bytes(),
        &ctx("https://maisondesarts.example.org/feed/"),
    );
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let uids: Vec<_> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(
        uids,
        vec![
            "https://maisondesarts.example.org/?p=1234",
            "https://maisondesarts.example.org/?p=1241"
        ]
    );
    assert!(parsed.warnings.iter().any(|w| w.message.contains("cut")));
}

#[test]
fn documents_that_are_not_feeds_are_the_wrong_kind() {
    let c = ctx("https://example.org/agenda");
    for body in [
        &b"<!DOCTYPE html><html><head><title>Agenda</title></head><body></body></html>"[..],
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        b"",
        b"{\"events\": []}",
        b"{\"version\": \"1.0\", \"items\": []}",
        b"Bonjour",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    ] {
        match parse(body, &c) {
            Err(ParseError::WrongKind { expected, found }) => {
                assert_eq!(expected, "an RSS, Atom or JSON feed");
                // The description is sniff's, whatever its wording.
                assert_eq!(found, crate::sniff::describe(body, None));
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
}

#[test]
fn broken_feeds_are_malformed() {
    let c = ctx("https://example.org/feed");
    for body in [
        &br#"{"version": "https://jsonfeed.org/version/1.1", "items": [ {"id": "#[..],
        br#"{"version": "https://jsonfeed.org/version/1.1", "items": "none"}"#,
        br#"<rss version="9.9"><channel><title>x</title></channel></rss>"#,
        b"<?xml version=\"1.0\"?>\n<rss",
    ] {
        match parse(body, &c) {
            Err(ParseError::Malformed { message, .. }) => assert!(!message.is_empty()),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
}

#[test]
fn an_empty_feed_is_ok_and_empty() {
    let body =
        br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Vide</title></channel></rss>"#;
    let parsed = parse(body, &ctx("https://example.org/feed")).map_err(|e| e.to_string());
    assert_eq!(parsed, Ok(Parsed::default()));
}

#[test]
fn event_module_with_any_prefix_and_unreadable_dates_fall_back_to_text() {
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:e="http://purl.org/rss/1.0/modules/event/">
<channel><title>T</title><language>en</language>
<item><title>Open house</title><link>https://example.org/a</link>
<e:startdate>2026-12-05T10:00:00-0500</e:startdate><e:location>Hall</e:location></item>
<item><title>Gala — December 12 at 7 PM</title><link>https://example.org/b</link>
<e:startdate>soon</e:startdate></item>
<item xml:lang="fr"><title>Sans date</title><guid>g-3</guid><link>https://example.org/c</link></item>
</channel></rss>"#;
    let parsed = match parse(body.as_bytes(), &ctx("https://example.org/feed")) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let starts: Vec<Value> = parsed
        .events
        .iter()
        .map(|e| serde_json::to_value(&e.start).unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        starts,
        vec![
            json!({"type": "offset", "at": "2026-12-05T10:00:00-05:00"}),
            json!({"type": "floating", "local": "2026-12-12T19:00:00"}),
        ]
    );
    assert_eq!(parsed.events[0].location.as_deref(), Some("Hall"));
    assert_eq!(parsed.events[0].language.as_deref(), Some("en"));
    assert_eq!(parsed.undated.len(), 1);
    assert_eq!(parsed.undated[0].uid, "g-3");
    assert_eq!(parsed.undated[0].language.as_deref(), Some("fr"));
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    assert!(parsed.warnings[0].message.contains("soon"));
}

#[test]
fn item_without_guid_or_link_gets_a_fallback_uid() {
    let body = r#"<rss version="2.0"><channel><title>T</title>
<item><title>Concert le 5 décembre à 20 h</title></item></channel></rss>"#;
    let parsed = match parse(body.as_bytes(), &ctx("https://example.org/feed")) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(parsed.events.len(), 1);
    assert_eq!(
        parsed.events[0].uid,
        fallback_uid("Concert le 5 décembre à 20 h", "", "")
    );
    assert!(parsed.links.is_empty());
}

#[test]
fn content_type_charset_is_used_when_the_document_says_nothing() {
    let body = encoding_rs::WINDOWS_1252
        .encode("<rss version=\"2.0\"><channel><title>T</title><item><title>Théâtre</title><link>https://example.org/t</link></item></channel></rss>")
        .0
        .into_owned();
    let mut c = ctx("https://example.org/feed");
    c.content_type = Some("application/rss+xml; charset=windows-1252".to_string());
    let parsed = parse(&body, &c).map_err(|e| e.to_string());
    let title = parsed.map(|p| p.undated.first().map(|e| e.title.clone()));
    // Whatever crate::decode does with the charset, the text is never lost.
    assert!(matches!(title, Ok(Some(_))), "{title:?}");
}

#[test]
fn bare_ampersands_are_escaped_outside_cdata_only() {
    let (out, n) = escape_bare_ampersands(
        "<a>A & B &amp; &#233; &#x00E9; &nbsp; &x</a><![CDATA[ & ]]><!-- & -->&",
    );
    assert_eq!(
        out,
        "<a>A &amp; B &amp; &#233; &#x00E9; &nbsp; &amp;x</a><![CDATA[ & ]]><!-- & -->&amp;"
    );
    assert_eq!(n, 3);
}

#[test]
fn images_come_from_media_rss_then_enclosures_then_the_content() {
    let body = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>
<item><title>A</title><link>https://example.org/a</link>
  <media:content url="https://cdn.example.org/a.jpg" type="image/jpeg" medium="image"/></item>
<item><title>B</title><link>https://example.org/b</link>
  <media:thumbnail url="https://cdn.example.org/b-thumb.jpg" width="150" height="150"/></item>
<item><title>C</title><link>https://example.org/c</link>
  <enclosure url="https://cdn.example.org/c.mp3" length="1000" type="audio/mpeg"/>
  <content:encoded><![CDATA[<p>Texte <IMG class="x" SRC='images/c.png?w=300&amp;h=200'></p>]]></content:encoded></item>
</channel></rss>"#;
    let parsed = match parse(body.as_bytes(), &ctx("https://example.org/blog/feed")) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let images: Vec<Option<&str>> = parsed.undated.iter().map(|e| e.image.as_deref()).collect();
    assert_eq!(
        images,
        vec![
            Some("https://cdn.example.org/a.jpg"),
            Some("https://cdn.example.org/b-thumb.jpg"),
            Some("https://example.org/blog/images/c.png?w=300&h=200"),
        ]
    );
}

#[test]
fn a_local_file_path_as_url_still_parses() {
    let mut c = ctx("examples/agenda.xml");
    c.lang = Some("fr".to_string());
    let body = r#"<rss version="2.0"><channel><title>T</title>
<item><title>Atelier</title><link>atelier.html</link><description>Le 5 décembre à 10 h.</description></item>
</channel></rss>"#;
    let parsed = match parse(body.as_bytes(), &c) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(parsed.events.len(), 1);
    assert_eq!(parsed.events[0].url.as_deref(), Some("atelier.html"));
    assert_eq!(parsed.events[0].language.as_deref(), Some("fr"));
}

// ---------------------------------------------------------------------------
// Hostile feeds: entities refused, invalid UTF-8 named, fields bounded.

const GOOD_ITEM: &str = "<item><title>Concert</title><link>https://example.org/c</link>\
    <ev:startdate>2026-12-05T20:00:00-05:00</ev:startdate></item>";

fn hostile_rss(doctype: &str, title: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doctype}\n\
         <rss version=\"2.0\" xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\"><channel>\
         <title>T</title><item><title>{title}</title><link>https://example.org/h</link>\
         <ev:startdate>2026-12-06T20:00:00-05:00</ev:startdate></item>{GOOD_ITEM}</channel></rss>"
    )
}

#[test]
fn billion_laughs_is_refused_with_a_warning_and_the_items_kept() {
    let mut doctype = String::from("<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doctype.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doctype.push_str("<!ENTITY tricky \"a > b ]\">\n]>");
    let text = hostile_rss(&doctype, "Laughs &lol9;");
    let parsed = parse(text.as_bytes(), &ctx("https://example.org/feed")).unwrap();
    assert_eq!(parsed.events.len(), 2, "{:?}", parsed.warnings);
    let hostile = parsed
        .events
        .iter()
        .find(|e| e.url.as_deref() == Some("https://example.org/h"));
    // Not expanded: the reference is kept as written.
    assert_eq!(hostile.map(|e| e.title.as_str()), Some("Laughs &lol9;"));
    let warning = parsed
        .warnings
        .iter()
        .find(|w| w.message.starts_with("DOCTYPE removed"))
        .unwrap_or_else(|| panic!("{:?}", parsed.warnings));
    assert!(
        warning.message.contains("11 entities"),
        "{}",
        warning.message
    );
    assert_eq!(warning.line, Some(2));
}

#[test]
fn external_entities_are_never_read() {
    let doctype = "<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
    let text = hostile_rss(doctype, "Leak &xxe;");
    let parsed = parse(text.as_bytes(), &ctx("https://example.org/feed")).unwrap();
    assert_eq!(parsed.events.len(), 2, "{:?}", parsed.warnings);
    assert!(parsed.events.iter().all(|e| !e.title.contains("root:")));
    assert!(parsed.events.iter().any(|e| e.title == "Leak &xxe;"));
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.message.contains("1 entity, some external (never read)")));
}

#[test]
fn a_doctype_without_internal_subset_is_left_alone() {
    let doctype = "<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \
                   \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">";
    let text = hostile_rss(doctype, "Plain");
    let parsed = parse(text.as_bytes(), &ctx("https://example.org/feed")).unwrap();
    assert_eq!(parsed.events.len(), 2);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn declared_utf8_with_invalid_bytes_warns() {
    let mut bytes = hostile_rss("", "Soirée à ").into_bytes();
    let at = bytes.windows(3).position(|w| w == b"</t").unwrap_or(0);
    // The second `</title>` (the item's): after "Soirée à ".
    let at = at
        + 3
        + bytes[at + 3..]
            .windows(8)
            .position(|w| w == b"</title>")
            .unwrap_or(0);
    bytes.splice(at..at, b"\xff\xfe".iter().copied());
    let parsed = parse(&bytes, &ctx("https://example.org/feed")).unwrap();
    assert_eq!(parsed.events.len(), 2, "{:?}", parsed.warnings);
    assert!(
        parsed.warnings.iter().any(|w| w
            .message
            .starts_with("declared UTF-8 but holds 2 invalid byte sequences")),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn an_overlong_item_title_is_capped_with_a_warning() {
    let text = hostile_rss("", &"T".repeat(5_000));
    let parsed = parse(text.as_bytes(), &ctx("https://example.org/feed")).unwrap();
    assert!(parsed
        .events
        .iter()
        .all(|e| e.title.len() <= crate::bounds::MAX_TITLE_CHARS));
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.message.contains(": title cut to its first 1000 chars")));
}

#[test]
fn a_hundred_thousand_nested_elements_are_refused_with_a_clear_error() {
    for (open, close) in [("<x>", "</x>"), ("<description>", "</description>")] {
        let inner = format!("{}deep{}", open.repeat(100_000), close.repeat(100_000));
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
             xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\"><channel><title>T</title>\
             <item><title>Deep</title><link>https://example.org/d</link>{inner}\
             <ev:startdate>2026-12-06T20:00:00-05:00</ev:startdate></item>{GOOD_ITEM}</channel></rss>"
        );
        // feed-rs refuses past its nesting limit: an error naming it, no crash.
        match parse(text.as_bytes(), &ctx("https://example.org/feed")) {
            Err(ParseError::Malformed { message, .. }) => {
                assert!(
                    message.contains("nests elements deeper"),
                    "{open}: {message}"
                )
            }
            other => panic!("{open}: {other:?}"),
        }
    }
}
