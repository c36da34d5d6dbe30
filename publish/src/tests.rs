//! Router tests: placeholder
