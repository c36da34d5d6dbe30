//! Placing venues in territories: 200 GeoJSON territories (irregular
//! polygons of 8 to 60 vertices over the Montréal region, some with a hole,
//! some of two parts, overlapping), read with `Territories::load`, then
//! `Territories::of` for 10,000 venues with coordinates (R-tree of the
//! polygons' boxes, then the exact test), and for 10,000 venues known only
//! by their city.
//!
//! `cargo bench --bench territory`; results in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::f64::consts::TAU;
use std::fmt::Write as _;
use std::sync::OnceLock;

use divan::{black_box, Bencher};
use model::{Precision, Venue};
use normalize::territory::{Territories, TerritoryConfig};
use testsupport::Rng;

fn main() {
    divan::main();
}

const TERRITORIES: usize = 200;
const VENUES: usize = 10_000;

fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A closed star-shaped ring of `k` vertices around (cx, cy), as GeoJSON.
fn ring(rng: &mut Rng, cx: f64, cy: f64, r: f64, k: usize) -> String {
    let mut pts = Vec::with_capacity(k + 1);
    for i in 0..k {
        let a = i as f64 / k as f64 * TAU;
        let d = r * (0.4 + 0.6 * unit(rng));
        pts.push(format!(
            "[{:.6},{:.6}]",
            cx + d * a.cos(),
            cy + d * a.sin() * 0.7
        ));
    }
    pts.push(pts[0].clone());
    format!("[{}]", pts.join(","))
}

struct Fixture {
    _dir: tempfile::TempDir,
    configs: Vec<TerritoryConfig>,
    territories: Territories,
    placed: Vec<Venue>,
    by_city: Vec<Venue>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = Rng::new(0x7e77);
        let mut configs = Vec::new();
        for t in 0..TERRITORIES {
            let cx = -74.2 + 0.8 * unit(&mut rng);
            let cy = 45.3 + 0.5 * unit(&mut rng);
            let r = 0.01 + 0.06 * unit(&mut rng);
            let k = 8 + rng.below(53);
            let mut polygon = ring(&mut rng, cx, cy, r, k);
            if t % 5 == 0 {
                let hole = ring(&mut rng, cx, cy, r * 0.3, 6);
                polygon = format!("{polygon},{hole}");
            }
            let mut json = format!("{{\"type\":\"MultiPolygon\",\"coordinates\":[[{polygon}]");
            if t % 7 == 0 {
                let islet = ring(&mut rng, cx + 2.5 * r, cy, r * 0.5, 10);
                let _ = write!(json, ",[{islet}]");
            }
            json.push_str("]}");
            let path = dir.path().join(format!("t{t}.geojson"));
            std::fs::write(&path, json).unwrap();
            configs.push(TerritoryConfig {
                id: format!("t{t:03}"),
                name: BTreeMap::new(),
                geojson: path,
                municipalities: vec![format!("Ville {t}"), format!("Saint-Lieu-{t}")],
            });
        }
        let territories = Territories::load(&configs).unwrap();
        let placed = (0..VENUES)
            .map(|i| Venue {
                id: format!("v{i}"),
                name: format!("Salle {i}"),
                address: None,
                city: None,
                lat: Some(45.2 + 0.7 * unit(&mut rng)),
                lon: Some(-74.3 + 1.0 * unit(&mut rng)),
                precision: Some(Precision::Venue),
            })
            .collect();
        let by_city = (0..VENUES)
            .map(|i| Venue {
                id: format!("c{i}"),
                name: format!("Salle {i}"),
                address: None,
                city: Some(format!("St-Lieu-{}", rng.below(2 * TERRITORIES))),
                lat: None,
                lon: None,
                precision: None,
            })
            .collect();
        Fixture {
            _dir: dir,
            configs,
            territories,
            placed,
            by_city,
        }
    })
}

/// 10,000 venues with coordinates, point in polygon.
#[divan::bench(sample_count = 20)]
fn of_10k_venues_200_territories(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| {
        let mut n = 0;
        for v in &f.placed {
            n += f.territories.of(black_box(Some(v))).len();
        }
        n
    });
}

/// 10,000 venues known only by their city ("St-Lieu-12" = "Saint-Lieu-12").
#[divan::bench(sample_count = 20)]
fn of_10k_cities_200_territories(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| {
        let mut n = 0;
        for v in &f.by_city {
            n += f.territories.of(black_box(Some(v))).len();
        }
        n
    });
}

/// Reading and checking the 200 GeoJSON files, building the R-tree.
#[divan::bench(sample_count = 10)]
fn load_200_territories(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| {
        Territories::load(black_box(&f.configs))
            .map(|t| t.is_empty())
            .ok()
    });
}
