//! From `[[territory]]` and `[[calendar]]` (parsed and checked by
//! [`crate::config`]) to what publishing serves ([`publish::calendars`]).

use std::sync::Arc;

use publish::calendars::{CalendarInfo, Network, TerritoryInfo};

use crate::config::Config;

/// The calendars and territories of `config`, each calendar with its
/// flattened scope and every source it lists.
pub fn network(config: &Config) -> Network {
    let territories = config
        .territories_config
        .iter()
        .map(|t| TerritoryInfo {
            id: t.id.clone(),
            name: t.name.clone(),
        })
        .collect();
    let calendars = config
        .calendars
        .iter()
        .map(|c| {
            Arc::new(CalendarInfo {
                id: c.id.clone(),
                name: c.name.clone(),
                languages: if c.languages.is_empty() {
                    config.aggregator.languages.clone()
                } else {
                    c.languages.clone()
                },
                hosts: c.hosts.clone(),
                accent: c.accent.clone(),
                logo: c.logo.clone(),
                intro: c.intro.clone(),
                scope: config.scope(&c.id).unwrap_or_default(),
                sources: config.calendar_sources(&c.id),
            })
        })
        .collect();
    Network {
        territories,
        calendars,
        current: None,
        prefix: String::new(),
    }
}
