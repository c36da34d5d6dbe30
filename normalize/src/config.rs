//! The parts of `sources.toml` that normalization reads.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use model::SourceId;

/// `[[venue]]`: the gazetteer.
#[derive(Clone, Debug, PartialEq)]
pub struct VenueConfig {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// `[[category]]`: the taxonomy.
#[derive(Clone, Debug, PartialEq)]
pub struct CategoryConfig {
    pub slug: String,
    /// Language code → name (`fr`, `en`).
    pub name: BTreeMap<String, String>,
    /// Words compared, ignoring case and accents, with the source's
    /// categories, tags and keywords.
    pub matches: Vec<String>,
}

/// Everything normalization needs from `[aggregator]`, `[[venue]]` and
/// `[[category]]`.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Zone for floating times and all-day events.
    pub timezone: Tz,
    /// How far ahead recurring events are expanded.
    pub horizon_days: u32,
    /// First one is the default language.
    pub languages: Vec<String>,
    pub venues: Vec<VenueConfig>,
    pub categories: Vec<CategoryConfig>,
}

/// The source-level settings that apply to each of its records.
#[derive(Clone, Debug)]
pub struct SourceMeta {
    pub id: SourceId,
    pub priority: i32,
    /// Language of the source's text when its records do not say.
    pub lang: Option<String>,
    /// Category slugs added to each event.
    pub categories: Vec<String>,
    /// Venue id for events that name none.
    pub venue: Option<String>,
}
