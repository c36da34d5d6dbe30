//! The cap on a body fetched over the network (`max_body_mb`, aggregator-
//! wide and per source) and local files, which are not held to it.

use babillard::pipeline::Outcome;

use crate::harness::{test_policy, FixtureServer, Resource, World, AGGREGATOR};

/// One VEVENT of a large season export (about 1 KB with its description).
fn vevent(i: usize) -> String {
    let day = 1 + (i / 12) % 28;
    let month = 1 + (i / (12 * 28)) % 9;
    let hour = 8 + i % 12;
    let description = "Atelier ouvert à tous, matériel fourni. Les participants façonnent \
        une pièce au tour puis la décorent d'engobes ; la cuisson a lieu la semaine suivante \
        et les pièces sont à récupérer à l'accueil du centre. "
        .repeat(4);
    format!(
        "BEGIN:VEVENT\r\nUID:atelier-{i}@centre-ceramique.example\r\n\
         DTSTAMP:20261020T120000Z\r\n\
         DTSTART;TZID=America/Toronto:2027{month:02}{day:02}T{hour:02}0000\r\n\
         DURATION:PT1H\r\nSUMMARY:Atelier de céramique n° {i}\r\n\
         LOCATION:Centre de céramique\\, 12 rue des Potiers\\, Laval\r\n\
         DESCRIPTION:{description}\r\nEND:VEVENT\r\n"
    )
}

/// A calendar of `n` events, as a centre's yearly export.
fn season(n: usize) -> Vec<u8> {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Centre de céramique//Saison 2027//FR\r\n",
    );
    for i in 0..n {
        out.push_str(&vevent(i));
    }
    out.push_str("END:VCALENDAR\r\n");
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_source_over_its_cap_fails_and_keeps_its_events_while_a_local_file_is_read_whole()
{
    let server = FixtureServer::start().await;
    server.put_fixture(
        "agenda.ics",
        "ics/apple_calendar_export.ics",
        "text/calendar",
    );
    let big = season(3000);
    assert!(big.len() > 2 * 1024 * 1024, "{}", big.len());
    server.put("saison.ics", Resource::ok(big.clone(), "text/calendar"));
    let text = format!(
        "{AGGREGATOR}max_body_mb = 1\n\n\
         [[source]]\nid = \"maison\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"reseau\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"permis\"\nkind = \"ics\"\nurl = \"{}\"\nmax_body_mb = 4\n\n\
         [[source]]\nid = \"export\"\nkind = \"ics\"\nurl = \"saison-2027.ics\"\n",
        server.url("agenda.ics"),
        server.url("saison.ics"),
        server.url("saison.ics"),
    );
    // The harness's policy caps at 2 MB; the configuration's 1 MB wins.
    let world = World::from_files(&text, &[("saison-2027.ics", &big)], test_policy());
    let reports = world.ingest().await;
    let outcome = |id: &str| {
        reports
            .iter()
            .find(|r| r.source == id)
            .unwrap()
            .outcome
            .clone()
    };
    let Outcome::Updated(first) = outcome("maison") else {
        panic!("{:?}", outcome("maison"));
    };
    assert!(first.found > 0);

    // Over the aggregator's cap, on the network: a clear failure.
    match outcome("reseau") {
        Outcome::Failed { class, message } => {
            assert_eq!(class, "too_large");
            assert!(
                message.contains("body larger than 1048576 bytes")
                    && message.contains("raise `max_body_mb`"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A source's own cap overrides the aggregator's.
    let Outcome::Updated(permis) = outcome("permis") else {
        panic!("{:?}", outcome("permis"));
    };
    assert_eq!(permis.found, 3000);
    // A local file larger than the network cap is read in full.
    let Outcome::Updated(export) = outcome("export") else {
        panic!("{:?}", outcome("export"));
    };
    assert_eq!(export.found, 3000);

    // A source that grows past the cap fails and keeps its last good events.
    let events_of = |id: &str| {
        let all = world.index.sources().unwrap();
        let s = all.into_iter().find(|s| s.id == id).unwrap();
        (s.status, s.events, s.error_class)
    };
    let before = events_of("maison");
    assert_eq!(before.0, "ok");
    assert!(before.1 > 0);
    server.edit("agenda.ics", |r| r.body = big.clone());
    let r = world.ingest_one("maison").await;
    assert!(
        matches!(&r.outcome, Outcome::Failed { class, .. } if class == "too_large"),
        "{r}"
    );
    let after = events_of("maison");
    assert_eq!(after.0, "error");
    assert_eq!(after.1, before.1, "its events are kept");
    assert_eq!(after.2.as_deref(), Some("too_large"));
}
