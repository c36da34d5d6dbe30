//! Temporary runner for tests/e2e/publish.rs (removed before hand-off).
#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;
#[path = "e2e/publish.rs"]
mod publish;
