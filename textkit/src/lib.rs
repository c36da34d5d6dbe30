//! The text helpers the pipeline stages share, written once.
//!
//! Parsers (`ingest`) and the normalizer (`normalize`) read the same kinds of
//! text: HTML fragments with character references, whitespace of every kind,
//! ISO 8601 dates. Each helper lives here, with its tests, so that a quirk
//! fixed for one source kind is fixed for all.
//!
//! * [`entities`]: one HTML character reference decoder (named, decimal,
//!   hexadecimal, Windows-1252 numeric references, legacy names without `;`).
//! * [`html`]: HTML to plain text (block tags to line breaks, scripts and
//!   styles dropped), [`strip_tags`], [`has_markup`], [`clean_text`].
//! * [`ws`]: whitespace folding, on one line or keeping lines.
//! * [`repair`]: text a source damaged: newlines escaped twice, HTML
//!   escaped twice, UTF-8 read as Windows-1252 (mojibake), and one
//!   apostrophe and quotation style per language.
//! * [`iso8601`]: dates, date-times, offsets, times and durations as
//!   schema.org, microformats, feeds and WordPress write them.
//!
//! Pure functions, no I/O, no panics on any input.

pub mod entities;
pub mod html;
pub mod iso8601;
pub mod repair;
pub mod ws;

pub use entities::decode_entities;
pub use html::{clean_text, has_markup, html_to_text, strip_tags};
pub use iso8601::parse_iso;
pub use ws::collapse_ws;
