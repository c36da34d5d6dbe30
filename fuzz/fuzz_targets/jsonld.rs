#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| babillard_fuzz::jsonld(data));
