//! The other source kinds: JSON-LD extraction from a 100 KB page, feed
//! parsing, French date parsing, and a 1,000-event listing whose entries
//! are dated by their detail pages, read on loopback.
//!
//! `cargo bench --bench kinds`; results in BENCHMARKS.md.

use std::fmt::Write as _;

use axum::extract::Path;
use chrono::NaiveDate;
use divan::counter::BytesCount;
use divan::{black_box, Bencher};
use ingest::fetch::{FetchClient, FetchPolicy, Validators};
use ingest::read::{read_source, ReadSettings, SourceRead};
use ingest::{ParseContext, Selectors, SourceConfig, SourceKind};
use model::SourceId;

fn main() {
    divan::main();
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
}

fn ctx(url: &str) -> ParseContext {
    ParseContext {
        content_type: Some("text/html; charset=utf-8".into()),
        url: url.into(),
        lang: Some("fr".into()),
        selectors: None,
        today: today(),
    }
}

/// A theatre's season page as WordPress themes make them: about 100 KB of
/// markup (menus, cards, scripts), 24 events in one JSON-LD block.
fn season_page() -> String {
    let mut events = Vec::new();
    let mut cards = String::new();
    for i in 0..24 {
        events.push(format!(
            r#"{{"@type":"TheaterEvent","@id":"https://theatre.example/spectacles/{i}#event","name":"Les Belles-s&oelig;urs &#8211; représentation {i}","startDate":"2026-12-{d:02}T20:00:00-05:00","endDate":"2026-12-{d:02}T22:15:00-05:00","eventStatus":"https://schema.org/EventScheduled","location":{{"@type":"Place","name":"Salle André-Mathieu","address":{{"@type":"PostalAddress","streetAddress":"475, boulevard de l'Avenir","addressLocality":"Laval","postalCode":"H7N 5H9","addressRegion":"QC"}},"geo":{{"@type":"GeoCoordinates","latitude":45.5589,"longitude":-73.7201}}}},"image":["https://theatre.example/img/{i}.jpg"],"description":"La pièce de Michel Tremblay, dans une mise en scène nouvelle.","offers":{{"@type":"Offer","price":"35","priceCurrency":"CAD","url":"https://theatre.example/billets/{i}"}},"organizer":{{"@type":"Organization","name":"Théâtre du Bench"}}}}"#,
            d = 1 + i
        ));
        let _ = write!(
            cards,
            r#"<article class="card spectacle"><a href="/spectacles/{i}"><img src="/img/{i}.jpg" alt="" loading="lazy" width="640" height="360"></a><div class="card__body"><h3 class="card__title"><a href="/spectacles/{i}">Les Belles-sœurs – représentation {i}</a></h3><p class="card__meta"><time datetime="2026-12-{d:02}T20:00">{d} décembre 2026, 20 h</time> · Salle André-Mathieu</p><p class="card__excerpt">La pièce de Michel Tremblay, dans une mise en scène nouvelle. Une distribution de quinze comédiennes, des décors signés par une équipe lavalloise et une trame sonore originale.</p><ul class="card__tags"><li>Théâtre</li><li>Création</li></ul><a class="button button--primary" href="/billets/{i}">Billets</a></div></article>"#,
            d = 1 + i
        );
    }
    let menu: String = (0..60).map(|i| format!(r#"<li class="menu-item menu-item-type-post_type"><a href="/page-{i}/">Rubrique {i}</a></li>"#)).collect();
    let script =
        "var wpData = {\"ajaxurl\":\"/wp-admin/admin-ajax.php\",\"nonce\":\"abcdef\"};".repeat(750);
    format!(
        r#"<!DOCTYPE html><html lang="fr-CA"><head><meta charset="utf-8"><title>Saison 2026-2027</title><script>{script}</script><script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{}]}}</script></head><body class="page-template"><header><nav><ul class="menu">{menu}</ul></nav></header><main><h1>Saison 2026-2027</h1><div class="grid">{cards}</div></main><footer><ul>{menu}</ul></footer></body></html>"#,
        events.join(",")
    )
}

#[divan::bench]
fn jsonld_extraction_100kb_page(bencher: Bencher) {
    let page = season_page();
    let c = ctx("https://theatre.example/saison/");
    bencher
        .counter(BytesCount::new(page.len()))
        .bench(|| ingest::html::parse(black_box(page.as_bytes()), &c).unwrap());
}

/// A WordPress RSS feed with the event module, 100 items.
fn feed() -> String {
    let mut items = String::new();
    for i in 0..100 {
        let _ = write!(
            items,
            r#"<item><title>Concert {i} &#8211; Orchestre symphonique de Laval</title><link>https://osl.example/concerts/{i}/</link><guid isPermaLink="false">https://osl.example/?p={i}</guid><pubDate>Mon, 02 Nov 2026 14:00:00 +0000</pubDate><category><![CDATA[Musique classique]]></category><description><![CDATA[Un programme Beethoven et Brahms.]]></description><content:encoded><![CDATA[<p>Un programme <strong>Beethoven</strong> et Brahms, avec la soliste invitée.</p><p><img src="/img/{i}.jpg"></p>]]></content:encoded><ev:startdate>2026-12-{d:02}T19:30:00-05:00</ev:startdate><ev:enddate>2026-12-{d:02}T21:30:00-05:00</ev:enddate><ev:location>Salle André-Mathieu</ev:location><ev:organizer>OSL</ev:organizer></item>"#,
            d = 1 + i % 28
        );
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>OSL</title><link>https://osl.example/</link><description>Concerts</description><language>fr-CA</language>{items}</channel></rss>"#
    )
}

#[divan::bench]
fn feed_with_event_module_100_items(bencher: Bencher) {
    let f = feed();
    let c = ParseContext {
        content_type: Some("application/rss+xml".into()),
        ..ctx("https://osl.example/feed/")
    };
    bencher
        .counter(BytesCount::new(f.len()))
        .bench(|| ingest::feed::parse(black_box(f.as_bytes()), &c).unwrap());
}

const PHRASES: [&str; 12] = [
    "le samedi 5 décembre 2026 à 20 h",
    "5 déc. 2026, 20h30",
    "du 3 au 5 décembre",
    "December 5, 2026 at 8 PM",
    "5 décembre",
    "Vendredi 1er janvier 2027 de 19 h à 21 h",
    "Dec 5, 2026 8:30pm",
    "du 28 novembre au 2 décembre 2026",
    "Samedi 5 decembre 2026 - 19h",
    "Heure du conte en pyjama pour les 3 à 6 ans",
    "Billets: 25 $ — 450 662-4440",
    "2026-12-05 20:00",
];

#[divan::bench]
fn french_and_english_dates_12_phrases(bencher: Bencher) {
    bencher.bench(|| {
        PHRASES
            .iter()
            .filter_map(|p| ingest::datetext::find_date(black_box(p), today()))
            .count()
    });
}

/// A listing of 1,000 shows with only titles and links, each dated by its
/// detail page (JSON-LD), served on 127.0.0.1.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn listing_of_1000_with_detail_pages(bencher: Bencher) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = runtime.block_on(async {
        let app = axum::Router::new()
            .route(
                "/programmation",
                axum::routing::get(|| async {
                    let mut body = String::from("<!DOCTYPE html><html lang=\"fr\"><body><h1>Programmation</h1>");
                    for i in 0..1000 {
                        let _ = write!(body, "<div class=\"spectacle\"><h3>Spectacle {i}</h3><a href=\"/spectacles/{i}\">Détails</a></div>");
                    }
                    body.push_str("</body></html>");
                    ([("content-type", "text/html; charset=utf-8")], body)
                }),
            )
            .route(
                "/spectacles/{i}",
                axum::routing::get(|Path(i): Path<usize>| async move {
                    let body = format!(
                        r#"<!DOCTYPE html><html lang="fr"><head><script type="application/ld+json">{{"@context":"https://schema.org","@type":"Event","name":"Spectacle {i}","startDate":"2027-{m:02}-{d:02}T20:00:00-05:00","location":{{"@type":"Place","name":"Salle {i}","address":"{i}, rue du Test, Laval, QC"}}}}</script></head><body><h1>Spectacle {i}</h1></body></html>"#,
                        m = 1 + i % 12,
                        d = 1 + i % 28
                    );
                    ([("content-type", "text/html; charset=utf-8")], body)
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    });
    let policy = FetchPolicy {
        allow_private_networks: true,
        respect_robots: false,
        ..FetchPolicy::default()
    };
    let client = FetchClient::new(policy).unwrap();
    let mut source = SourceConfig::new(
        SourceId::new("listing").unwrap(),
        format!("{base}/programmation"),
        SourceKind::from_name("html"),
    );
    source.selectors = Some(Selectors {
        event: Some(".spectacle".into()),
        title: Some("h3".into()),
        url: Some("a@href".into()),
        ..Selectors::default()
    });
    let settings = ReadSettings {
        max_details: 1000,
        ..ReadSettings::new(today())
    };
    bencher.bench_local(|| {
        let read = runtime
            .block_on(read_source(
                &client,
                &source,
                &Validators::default(),
                &settings,
            ))
            .unwrap();
        match read {
            SourceRead::Read(r) => assert_eq!(r.records.len(), 1000, "{:?}", r.warnings.first()),
            SourceRead::NotModified => panic!("not modified"),
        }
    });
}
