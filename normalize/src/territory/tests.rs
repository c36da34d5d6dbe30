use std::path::Path;

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn config(id: &str, geojson: PathBuf, towns: &[&str]) -> TerritoryConfig {
    TerritoryConfig {
        id: id.to_string(),
        name: BTreeMap::from([("fr".to_string(), id.to_string())]),
        geojson,
        municipalities: towns.iter().map(|t| t.to_string()).collect(),
    }
}

fn at(lat: f64, lon: f64) -> Venue {
    Venue {
        id: "v".into(),
        name: "Salle".into(),
        address: None,
        city: None,
        lat: Some(lat),
        lon: Some(lon),
        precision: None,
    }
}

fn in_town(city: &str) -> Venue {
    Venue {
        city: Some(city.to_string()),
        lat: None,
        lon: None,
        ..at(0.0, 0.0)
    }
}

/// A 10 × 10 square (lon 0..10, lat 0..10) with a hole (4..6 × 4..6).
const SQUARE_WITH_HOLE: &str = r#"{"type": "Polygon", "coordinates": [
  [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
  [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]}"#;

/// Two islands (lon 20..21 and 30..31, lat 0..1), as a MultiPolygon in a
/// Feature.
const ISLANDS: &str = r#"{"type": "Feature", "properties": {"nom": "Îles"}, "geometry":
  {"type": "MultiPolygon", "coordinates": [
    [[[20, 0], [21, 0], [21, 1], [20, 1], [20, 0]]],
    [[[30, 0], [31, 0], [31, 1], [30, 1], [30, 0]]]]}}"#;

/// Two adjacent squares sharing the edge lon = 50, in a FeatureCollection.
const NEIGHBOURS: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates":
    [[[40, 0], [50, 0], [50, 10], [40, 10], [40, 0]]]}},
  {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates":
    [[[50, 0], [60, 0], [60, 10], [50, 10], [50, 0]]]}}]}"#;

fn fixture() -> (tempfile::TempDir, Territories) {
    let dir = tempfile::tempdir().unwrap();
    let configs = vec![
        config(
            "carre",
            write(dir.path(), "carre.geojson", SQUARE_WITH_HOLE),
            &["Sainte-Dorothée"],
        ),
        config(
            "iles",
            write(dir.path(), "iles.geojson", ISLANDS),
            &["Saint-François"],
        ),
        config(
            "voisins",
            write(dir.path(), "voisins.geojson", NEIGHBOURS),
            &[],
        ),
    ];
    let t = Territories::load(&configs).unwrap();
    (dir, t)
}

#[test]
fn a_point_inside_on_an_edge_or_on_a_vertex_is_in_and_a_hole_is_out() {
    let (_dir, t) = fixture();
    assert_eq!(t.of(Some(&at(1.0, 1.0))), vec!["carre"]);
    // On the outer edge and on a vertex: inside.
    assert_eq!(t.of(Some(&at(5.0, 0.0))), vec!["carre"]);
    assert_eq!(t.of(Some(&at(10.0, 10.0))), vec!["carre"]);
    // In the hole: outside; on the hole's edge: on the area's border.
    assert!(t.of(Some(&at(5.0, 5.0))).is_empty());
    assert_eq!(t.of(Some(&at(4.0, 5.0))), vec!["carre"]);
    // Outside everything.
    assert!(t.of(Some(&at(-1.0, -1.0))).is_empty());
}

#[test]
fn a_multipolygon_holds_both_its_parts_and_a_shared_border_is_in_both() {
    let (_dir, t) = fixture();
    assert_eq!(t.of(Some(&at(0.5, 20.5))), vec!["iles"]);
    assert_eq!(t.of(Some(&at(0.5, 30.5))), vec!["iles"]);
    assert!(t.of(Some(&at(0.5, 25.0))).is_empty());
    // A FeatureCollection of two squares: one territory; on their shared
    // edge, still that one (once).
    assert_eq!(t.of(Some(&at(5.0, 45.0))), vec!["voisins"]);
    assert_eq!(t.of(Some(&at(5.0, 50.0))), vec!["voisins"]);
}

#[test]
fn a_venue_known_by_its_town_is_placed_by_the_municipalities() {
    let (_dir, t) = fixture();
    for city in [
        "Sainte-Dorothée",
        "sainte dorothee",
        "STE-DOROTHÉE",
        "Ste Dorothée",
    ] {
        assert_eq!(t.of(Some(&in_town(city))), vec!["carre"], "{city}");
    }
    assert_eq!(t.of(Some(&in_town("St-François"))), vec!["iles"]);
    assert!(t.of(Some(&in_town("Vimont"))).is_empty());
    // No city, but the town in the address.
    let addressed = Venue {
        city: None,
        address: Some("1200, rue des Érables, Ste-Dorothée, QC".into()),
        ..in_town("x")
    };
    assert_eq!(t.of(Some(&addressed)), vec!["carre"]);
    let nowhere = Venue {
        city: None,
        address: Some("Vimont".into()),
        ..in_town("x")
    };
    assert!(t.of(Some(&nowhere)).is_empty());
    // Coordinates that only locate the town's centre: by name, not by point.
    let mut centre = at(0.5, 20.5);
    centre.precision = Some(Precision::Municipality);
    centre.city = Some("Sainte-Dorothée".into());
    assert_eq!(t.of(Some(&centre)), vec!["carre"]);
    // No place at all: none.
    assert!(t.of(None).is_empty());
    assert!(t
        .of(Some(&Venue {
            city: None,
            ..in_town("x")
        }))
        .is_empty());
}

#[test]
fn every_invalid_file_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("not json", "expected"),
        (
            r#"{"type": "Point", "coordinates": [1, 2]}"#,
            "a Point, not an area",
        ),
        (
            r#"{"type": "LineString", "coordinates": [[1, 2], [3, 4]]}"#,
            "a LineString, not an area",
        ),
        (
            r#"{"type": "FeatureCollection", "features": []}"#,
            "no Polygon or MultiPolygon",
        ),
        (
            r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}"#,
            "at least 4",
        ),
        (
            r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}"#,
            "not closed",
        ),
        (
            r#"{"type": "Polygon", "coordinates": [[[10, 120], [10, 121], [11, 121], [10, 120]]]}"#,
            "swapped",
        ),
        (
            r#"{"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}"#,
            "out of range",
        ),
    ];
    let configs: Vec<TerritoryConfig> = cases
        .iter()
        .enumerate()
        .map(|(i, (text, _))| {
            config(
                &format!("t{i}"),
                write(dir.path(), &format!("t{i}.geojson"), text),
                &[],
            )
        })
        .chain([config("absent", dir.path().join("absent.geojson"), &[])])
        .collect();
    let problems = Territories::load(&configs).unwrap_err();
    assert_eq!(problems.len(), cases.len() + 1, "{problems:?}");
    for ((i, problem), (_, want)) in problems.iter().zip(cases) {
        let text = problem.to_string();
        assert!(text.contains(&format!("t{i}.geojson")), "{text}");
        assert!(text.contains(want), "case {i}: {text}");
    }
    let last = problems.last().unwrap();
    assert_eq!(last.0, cases.len());
    assert!(
        matches!(last.1, TerritoryError::Read { .. }),
        "{:?}",
        last.1
    );
}

#[test]
fn the_fingerprint_is_stable_and_follows_what_places_venues() {
    let (dir, t) = fixture();
    let again = Territories::load(&[
        config(
            "carre",
            dir.path().join("carre.geojson"),
            &["Sainte-Dorothée"],
        ),
        config("iles", dir.path().join("iles.geojson"), &["Saint-François"]),
        config("voisins", dir.path().join("voisins.geojson"), &[]),
    ])
    .unwrap();
    assert_eq!(t.fingerprint(), again.fingerprint());
    let other_towns = Territories::load(&[config(
        "carre",
        dir.path().join("carre.geojson"),
        &["Vimont"],
    )])
    .unwrap();
    let same_file = Territories::load(&[config(
        "carre",
        dir.path().join("carre.geojson"),
        &["Sainte-Dorothée"],
    )])
    .unwrap();
    assert_ne!(other_towns.fingerprint(), same_file.fingerprint());
    assert_ne!(t.fingerprint(), Territories::empty().fingerprint());
    assert_eq!(
        t.ids().collect::<Vec<_>>(),
        vec!["carre", "iles", "voisins"]
    );
}

/// 200 random triangles-and-squares territories: the R-tree's answers are a
/// brute-force scan's.
#[test]
fn the_spatial_index_answers_as_a_full_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = testsupport::Rng::new(7);
    let mut configs = Vec::new();
    for i in 0..200 {
        let (x, y) = (rng.below(1000) as f64 / 10.0, rng.below(700) as f64 / 10.0);
        let (w, h) = (
            1.0 + rng.below(100) as f64 / 10.0,
            1.0 + rng.below(100) as f64 / 10.0,
        );
        let text = format!(
            r#"{{"type": "Polygon", "coordinates": [[[{x}, {y}], [{}, {y}], [{}, {}], [{x}, {y}]]]}}"#,
            x + w,
            x + w,
            y + h
        );
        configs.push(config(
            &format!("t{i}"),
            write(dir.path(), &format!("t{i}.geojson"), &text),
            &[],
        ));
    }
    let t = Territories::load(&configs).unwrap();
    for _ in 0..2000 {
        let (lon, lat) = (rng.below(1100) as f64 / 10.0, rng.below(800) as f64 / 10.0);
        let point = Point::new(lon, lat);
        let brute: Vec<String> = t
            .entries
            .iter()
            .filter(|e| e.area.intersects(&point))
            .map(|e| e.id.clone())
            .collect();
        assert_eq!(t.of(Some(&at(lat, lon))), brute, "({lon}, {lat})");
    }
}
