#[path = "e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "e2e/browser.rs"]
mod browser;
