//! `check` online: fetch each source once, as ingest would (the same client
//! policy and fetch guard), concurrently ([`CONCURRENCY`] at a time) and
//! bounded in time ([`PER_SOURCE`] each, [`TOTAL`] in all), and say of each
//! that answers nothing usable what is wrong and what to do. Nothing is
//! stored. The configuration's validity, and so `check`'s exit code, does
//! not depend on it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ingest::fetch::{FetchClient, FetchError, FetchOutcome, FetchPolicy, SourceHosts, Validators};
use ingest::read::{read_source, ReadError, ReadSettings, SourceRead};
use ingest::{SourceConfig, SourceKind};
use tokio::sync::Semaphore;

use crate::config::Config;

/// Sources fetched at once.
pub const CONCURRENCY: usize = 8;
/// The longest one source may take (its fetches and parsing).
pub const PER_SOURCE: Duration = Duration::from_secs(15);
/// The longest the whole check may take; sources not done by then are
/// reported as not answering in time.
pub const TOTAL: Duration = Duration::from_secs(60);

/// What fetching one source told.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// The kind read (detected when the source has no `kind`).
    pub kind: Option<SourceKind>,
    /// `<what> ; <what to do>` when the source answers nothing usable.
    pub warning: Option<String>,
    /// Records recognized.
    pub records: usize,
}

/// The client ingest would use for `config` (its fetch guard, its user
/// agent), without retries and with `per_source` as the fetch timeout.
pub fn client(config: &Config, per_source: Duration) -> Result<FetchClient, FetchError> {
    let policy = FetchPolicy {
        allow_private_networks: config.aggregator.allow_private_networks,
        source_hosts: SourceHosts::from_urls(config.sources.iter().map(|s| s.url.as_str())),
        total_timeout: per_source,
        max_retries: 0,
        user_agent: format!(
            "babillard/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            config.aggregator.base_url
        ),
        hosts: crate::pipeline::hosts_from_env()?,
        ..FetchPolicy::default()
    };
    FetchClient::new(policy)
}

/// Fetch every enabled source once (see the module doc); by source id.
pub async fn probe_sources(
    config: &Config,
    client: &FetchClient,
    per_source: Duration,
    total: Duration,
) -> HashMap<String, Probe> {
    let today = Utc::now()
        .with_timezone(&config.aggregator.timezone)
        .date_naive();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    let enabled: Vec<SourceConfig> = config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .cloned()
        .collect();
    for source in enabled.iter().cloned() {
        let (client, slots) = (client.clone(), Arc::clone(&slots));
        let cap = config.max_body_of(&source);
        set.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let probe =
                match tokio::time::timeout(per_source, probe(&client, &source, today, cap)).await {
                    Ok(p) => p,
                    Err(_) => not_in_time(per_source),
                };
            (source.id.to_string(), probe)
        });
    }
    let mut out = HashMap::new();
    let deadline = tokio::time::Instant::now() + total;
    loop {
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((id, probe)))) => {
                out.insert(id, probe);
            }
            Ok(Some(Err(e))) => tracing::error!("a source check failed: {e}"),
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    for s in &enabled {
        out.entry(s.id.to_string())
            .or_insert_with(|| not_in_time(total));
    }
    out
}

fn not_in_time(limit: Duration) -> Probe {
    Probe {
        kind: None,
        warning: Some(format!(
            "no usable answer within {} s ; check that the site answers in a browser, or try again later",
            limit.as_secs()
        )),
        records: 0,
    }
}

async fn probe(
    client: &FetchClient,
    source: &SourceConfig,
    today: chrono::NaiveDate,
    max_body_bytes: Option<usize>,
) -> Probe {
    let settings = ReadSettings {
        // One look is enough: the first pages tell whether events are there.
        max_pages: 2,
        max_details: 0,
        max_body_bytes,
        ..ReadSettings::new(today)
    };
    match read_source(client, source, &Validators::default(), &settings).await {
        Ok(SourceRead::Read(r)) if r.records.is_empty() => {
            let feeds = if r.kind.as_str() == "html" {
                announced_feeds(client, &source.url).await
            } else {
                Vec::new()
            };
            Probe {
                kind: Some(r.kind),
                warning: Some(nothing_recognized(
                    r.kind,
                    source.selectors.is_some(),
                    &feeds,
                )),
                records: 0,
            }
        }
        Ok(SourceRead::Read(r)) => Probe {
            kind: Some(r.kind),
            warning: None,
            records: r.records.len(),
        },
        // No validators were sent: a 304 would be the server's odd choice,
        // but it answered.
        Ok(SourceRead::NotModified) => Probe {
            kind: source.kind,
            warning: None,
            records: 0,
        },
        Err(e) => Probe {
            kind: source.kind,
            warning: Some(advice(&e)),
            records: 0,
        },
    }
}

/// The feeds the page at `url` announces (fetched again: a read keeps no
/// body).
pub async fn announced_feeds(client: &FetchClient, url: &str) -> Vec<String> {
    match client.fetch(url, &Validators::default()).await {
        Ok(FetchOutcome::Fetched(f)) => {
            let base = url::Url::parse(&f.final_url).ok();
            ingest::html::announced_feeds(&f.body, base.as_ref())
        }
        _ => Vec::new(),
    }
}

/// The warning of a source read that found no event: what, then what to do.
pub fn nothing_recognized(kind: SourceKind, has_selectors: bool, feeds: &[String]) -> String {
    match (kind, feeds.first()) {
        (k, None) if k.as_str() == "html" && has_selectors => "the selectors matched no event on this page ; check [source.selectors] against the page as it is now, or check the URL".to_string(),
        (k, Some(feed)) if k.as_str() == "html" => format!(
            "nothing was recognized as an event on this page ; the page announces a feed: use url = \"{feed}\""
        ),
        (k, None) if k.as_str() == "html" => "nothing was recognized as an event on this page (no structured data) ; add [source.selectors] for its events, or check the URL".to_string(),
        (kind, _) => format!(
            "the {} answered but holds no event ; check the URL, or whether the member still publishes there",
            kind.as_str()
        ),
    }
}

/// `<what> ; <what to do>` for a failed read.
pub fn advice(e: &ReadError) -> String {
    match e {
        ReadError::Fetch(FetchError::Status { code: 404 | 410, .. }) => {
            format!("{e} (not found) ; check the URL: the page may have moved or been removed")
        }
        ReadError::Fetch(FetchError::Status { code, .. }) if *code >= 500 => {
            format!("{e} (server error) ; check that the site works in a browser, or tell the member")
        }
        ReadError::Fetch(FetchError::Status { .. }) => {
            format!("{e} ; check the URL and whether the site lets robots read it")
        }
        ReadError::Fetch(FetchError::Connect { .. }) => {
            format!("{e} ; check the host and port in the URL, or whether the site is down")
        }
        ReadError::Fetch(FetchError::Dns { .. }) => {
            format!("{e} ; the name does not resolve: check the spelling of the host")
        }
        ReadError::Fetch(FetchError::Timeout { .. }) => {
            format!("{e} ; check that the site answers in a browser, or try again later")
        }
        ReadError::Fetch(FetchError::TooLarge { .. }) => {
            format!("{e} ; if the source is really this large, raise `max_body_mb` (of the source, or of [aggregator])")
        }
        ReadError::Fetch(FetchError::Refused { .. }) => {
            format!("{e} ; the fetch guard refused it: check the URL")
        }
        ReadError::Fetch(_) => format!("{e} ; check the URL"),
        ReadError::UnknownKind { .. } => format!(
            "{e} ; point `url` at the page, feed or calendar that lists the events (not a document or an image)"
        ),
        ReadError::Parse { .. } => {
            format!("{e} ; check `kind` and that the URL gives the events themselves")
        }
    }
}
