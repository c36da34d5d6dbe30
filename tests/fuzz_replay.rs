//! Every fuzz target's body (the `babillard-fuzz` crate, `fuzz/src/lib.rs`)
//! run on each of its seeds and on every input a fuzzing run crashed on
//! (`tests/fixtures/fuzz/TARGET/`), without libFuzzer: the targets keep
//! holding on what they were seeded with and on what once broke them.

use babillard_fuzz::{regressions, seeds, TARGETS};

#[test]
fn every_target_holds_on_its_seeds_and_past_crashes() {
    for target in TARGETS {
        let inputs: Vec<_> = seeds(target.name)
            .into_iter()
            .chain(regressions(target.name))
            .collect();
        assert!(!inputs.is_empty(), "no seed for target {}", target.name);
        for (name, bytes) in inputs {
            let run = std::panic::catch_unwind(|| (target.run)(&bytes));
            assert!(run.is_ok(), "fuzz target {} fails on {name}", target.name);
        }
    }
}

#[test]
fn every_target_has_a_binary() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/Cargo.toml"))
        .expect("fuzz/Cargo.toml");
    for target in TARGETS {
        assert!(
            manifest.contains(&format!(
                "name = \"{}\"\npath = \"fuzz_targets/{}.rs\"",
                target.name, target.name
            )),
            "no [[bin]] for fuzz target {}",
            target.name
        );
    }
}
