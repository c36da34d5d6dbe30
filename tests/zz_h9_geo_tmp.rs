#![allow(dead_code, unused_imports)]
#[path = "e2e/harness.rs"]
mod harness;
#[path = "e2e/geo.rs"]
mod geo;
