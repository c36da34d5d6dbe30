//! One source run, end to end: read (fetch, parse, follow links), normalize,
//! store and index in one transaction. Fetching runs concurrently; writes go
//! through the store's one writer, which writes the runs waiting for it
//! together (`Index::record_success`).
//!
//! A run is skipped cheaply when the source answers 304 or the same bytes as
//! last time, unless the normalization inputs changed (the day, so that
//! recurring series roll forward; the configuration; babillard's version):
//! then the source is read in full again.
//!
//! With `[aggregator] geocoder` set, venues that normalization left without
//! coordinates are looked up after normalizing, by the rule of
//! `normalize::geocode` (the store's cache first, then at most
//! [`MAX_GEOCODER_LOOKUPS`] requests per run; a geocoder error is a warning
//! of the run, never its failure). This module only joins the pieces: the
//! Nominatim client of `ingest` (adapted by `Nominatim`) and the store's
//! cache.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use index::{FetchState, Index, RunCounts, SourceRun};
use ingest::fetch::{FetchClient, FetchError, FetchPolicy, Validators};
use ingest::geocode::{GeocodeError, Geocoder};
use ingest::read::{read_source, CachedPage, PageCache, ReadError, ReadSettings, SourceRead};
use ingest::SourceConfig;
use normalize::geocode::GeocodedPlace;
use normalize::{Normalizer, SourceMeta};
use sha2::{Digest, Sha256};

use crate::config::{Config, MANUAL_SOURCE};
use crate::notify::{Health, Notifier};

/// At most this many geocoder requests per source run (cache hits are free).
pub const MAX_GEOCODER_LOOKUPS: usize = normalize::geocode::MAX_LOOKUPS_PER_RUN;

/// What happened to one source in one run.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Read, normalized and stored.
    Updated(RunCounts),
    /// 304 or identical bytes: nothing parsed, nothing written.
    Unchanged { events: usize },
    /// Kept its last good events.
    Failed { class: String, message: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    pub source: String,
    pub outcome: Outcome,
    pub duration: Duration,
    pub warnings: Vec<String>,
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.duration.as_millis();
        match &self.outcome {
            Outcome::Updated(c) => write!(
                f,
                "{:<24} ok         {} found / {} new / {} updated / {} removed  {ms} ms",
                self.source, c.found, c.new, c.updated, c.removed
            )?,
            Outcome::Unchanged { events } => write!(
                f,
                "{:<24} unchanged  {events} found / 0 new / 0 updated / 0 removed  {ms} ms",
                self.source
            )?,
            Outcome::Failed { class, message } => write!(
                f,
                "{:<24} error      [{class}] {message}  {ms} ms",
                self.source
            )?,
        }
        if !self.warnings.is_empty() {
            write!(f, "  ({} warnings)", self.warnings.len())?;
        }
        Ok(())
    }
}

/// Reads sources and writes what they say into the index.
///
/// The configuration can be swapped while running ([`Pipeline::set_config`],
/// after the console wrote `sources.toml` or on SIGHUP): a run uses the
/// configuration and normalizer it started with. The fetch policy
/// (`allow_private_networks`, the user agent) and the geocoder stay those
/// the process started with, except the set of source hosts a redirect may
/// lead onto when private, which follows the configuration.
pub struct Pipeline {
    config: RwLock<Arc<Config>>,
    index: Arc<Index>,
    client: FetchClient,
    normalizer: RwLock<Arc<Normalizer>>,
    /// The geocoding service, when configured (shared: one rate limit).
    geocoder: Option<Arc<Geocoder>>,
    /// Source runs write together (shared); pruning alone (exclusive).
    writer: tokio::sync::RwLock<()>,
    /// Runs between their start and the end of their write: what a first
    /// pass holds in memory (read records, normalized occurrences) is that
    /// of these runs, not of every source at once. Waiting here is not
    /// counted in a run's time budget.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// Runs read and normalized, waiting for the writer or being written:
    /// a run takes places here, one per occurrence it writes (see
    /// [`QUEUED_OCCURRENCES`]), until it is in the writer's transaction
    /// (not until the commit: see `Index::record_success_then`), and
    /// gives its turn in `in_flight` back on taking them, so
    /// that the next runs are read while the writer works and arrive
    /// together (one batch) instead of one becoming ready alone during each
    /// write. Counted in occurrences, not runs, because that is what the
    /// memory holds: a first pass holds the runs in flight and at most
    /// [`QUEUED_OCCURRENCES`] occurrences queued (or one larger run).
    queued: Arc<tokio::sync::Semaphore>,
    /// A fixed clock (tests); None reads the system clock.
    clock: Option<DateTime<Utc>>,
    /// Turns true when the process stops: runs still reading give up
    /// before their write (see [`Pipeline::stop`]).
    stopping: tokio::sync::watch::Sender<bool>,
    /// `[notify]`, told of every run's outcome (follows the configuration).
    notifier: RwLock<Option<Arc<Notifier>>>,
}

/// The occurrences of the runs waiting for the writer (or being written),
/// at most (a larger run waits until it is alone): more than a batch's
/// worth of typical member sources (`Index::record_success` gathers 16
/// runs), far fewer than what reading ahead would pile up while the writer
/// is the bottleneck (a queued occurrence holds its normalized event and
/// its share of the source's records: kilobytes each; BENCHMARKS.md has
/// the peak before and after). 8,192 rather than 16,384: the same time at
/// a million occurrences, 239 MiB less peak.
pub const QUEUED_OCCURRENCES: u32 = 8_192;

/// How many source runs may be in flight at once: enough for every
/// concurrent fetch, plus two per core normalizing or waiting for the
/// writer (who then write together, see `Index::record_success`).
fn runs_in_flight(global_fetches: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    global_fetches.max(1) + 2 * cores.max(2)
}

/// The environment variable naming a hosts(5) file through which, when
/// set, every fetch resolves names instead of DNS (a closed network; tests
/// that must not leave loopback): a name missing from it does not resolve.
pub const HOSTS_ENV: &str = "BABILLARD_HOSTS";

/// The table of [`HOSTS_ENV`], if set.
pub fn hosts_from_env() -> Result<Option<ingest::fetch::HostsTable>, ingest::fetch::FetchError> {
    let Some(path) = std::env::var_os(HOSTS_ENV) else {
        return Ok(None);
    };
    let client = |message: String| ingest::fetch::FetchError::Client { message };
    let shown = std::path::Path::new(&path).display().to_string();
    let text =
        std::fs::read_to_string(&path).map_err(|e| client(format!("{HOSTS_ENV}={shown}: {e}")))?;
    ingest::fetch::HostsTable::parse(&text)
        .map(Some)
        .map_err(|e| client(format!("{HOSTS_ENV}={shown}: {e}")))
}

fn notifier_of(config: &Config, index: &Arc<Index>) -> Option<Arc<Notifier>> {
    config.notify.as_ref().map(|n| {
        Arc::new(Notifier::new(
            n.clone(),
            Arc::clone(index),
            &config.aggregator.name,
        ))
    })
}

impl Pipeline {
    pub fn new(
        config: Arc<Config>,
        index: Arc<Index>,
    ) -> Result<Pipeline, ingest::fetch::FetchError> {
        let policy = FetchPolicy {
            allow_private_networks: config.aggregator.allow_private_networks,
            user_agent: format!(
                "babillard/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                config.aggregator.base_url
            ),
            hosts: hosts_from_env()?,
            ..FetchPolicy::default()
        };
        Pipeline::with_policy(config, index, policy)
    }

    pub fn with_policy(
        config: Arc<Config>,
        index: Arc<Index>,
        policy: FetchPolicy,
    ) -> Result<Pipeline, ingest::fetch::FetchError> {
        // The process's metrics recorder, before the first run records.
        let _ = publish::metrics::handle();
        // Merged events are written in the aggregator's first language.
        index.set_languages(config.aggregator.languages.clone());
        // And placed in its territories.
        if let Err(e) = index.set_territories(Arc::clone(&config.territories)) {
            tracing::warn!(error = %e, "cannot place the events in the territories");
        }
        // The guard lets a redirect onto a private address only reach these
        // hosts (shared with the client: `set_config` replaces them).
        policy
            .source_hosts
            .set(config.sources.iter().map(|s| s.url.as_str()));
        let geocoder = match &config.aggregator.geocoder {
            Some(url) => {
                // An API, not a crawl: robots.txt does not apply; one retry.
                let client = FetchClient::new(FetchPolicy {
                    respect_robots: false,
                    max_retries: 1,
                    ..policy.clone()
                })?;
                let language = config
                    .aggregator
                    .languages
                    .first()
                    .map_or("fr", |l| l.as_str());
                match Geocoder::new(client, url, language) {
                    Ok(g) => Some(Arc::new(g)),
                    Err(e) => {
                        tracing::warn!("geocoding off: {e}");
                        None
                    }
                }
            }
            None => None,
        };
        let global_fetches = policy.global_concurrency;
        let client = FetchClient::new(policy)?;
        let normalizer = Arc::new(Normalizer::new(config.normalize_settings()));
        Ok(Pipeline {
            notifier: RwLock::new(notifier_of(&config, &index)),
            config: RwLock::new(config),
            index,
            client,
            normalizer: RwLock::new(normalizer),
            geocoder,
            writer: tokio::sync::RwLock::new(()),
            in_flight: Arc::new(tokio::sync::Semaphore::new(runs_in_flight(global_fetches))),
            queued: Arc::new(tokio::sync::Semaphore::new(QUEUED_OCCURRENCES as usize)),
            clock: None,
            stopping: tokio::sync::watch::Sender::new(false),
        })
    }

    /// At most `n` source runs in flight at once (at least one); the
    /// default is [`runs_in_flight`] of the fetch policy.
    pub fn with_runs_in_flight(mut self, n: usize) -> Pipeline {
        self.in_flight = Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        self
    }

    /// Run as if the time were `now` (for reproducible tests).
    pub fn at(mut self, now: DateTime<Utc>) -> Pipeline {
        self.clock = Some(now);
        self
    }

    /// Stop: every run still reading, normalizing or waiting for its turn
    /// to write gives up at once, writing nothing (its source keeps what
    /// the store holds); a write already started finishes. Runs started
    /// after this give up at once too.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once [`Pipeline::stop`] was called.
    async fn stopped(&self) {
        let mut rx = self.stopping.subscribe();
        if rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Prune the store and the search index: fetch log rows older than
    /// `[aggregator] keep_fetch_log_days` and events that ended more than
    /// `keep_past_days` ago (from the pipeline's clock).
    pub async fn prune(&self) -> anyhow::Result<index::Pruned> {
        let config = self.config();
        let now = self.now();
        let events_before = past_cutoff(&config, now);
        let log_before =
            now - chrono::Duration::days(i64::from(config.aggregator.keep_fetch_log_days));
        let index = Arc::clone(&self.index);
        let _w = self.writer.write().await;
        let pruned =
            tokio::task::spawn_blocking(move || index.prune(events_before, log_before)).await??;
        if pruned.events + pruned.fetch_log > 0 {
            tracing::info!(
                events = pruned.events,
                fetch_log = pruned.fetch_log,
                "pruned past events and old fetch logs"
            );
        }
        Ok(pruned)
    }

    pub fn index(&self) -> &Arc<Index> {
        &self.index
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        // A poisoned lock only means a writer panicked between two
        // assignments of whole values: the value is usable.
        match self.config.read() {
            Ok(c) => Arc::clone(&c),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    fn normalizer(&self) -> Arc<Normalizer> {
        match self.normalizer.read() {
            Ok(n) => Arc::clone(&n),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Take a new configuration (already validated): runs started from now
    /// on use it. The caller syncs the store's sources and reschedules.
    pub fn set_config(&self, config: Arc<Config>) {
        self.index
            .set_languages(config.aggregator.languages.clone());
        if let Err(e) = self.index.set_territories(Arc::clone(&config.territories)) {
            tracing::warn!(error = %e, "cannot place the events in the territories");
        }
        self.client
            .policy()
            .source_hosts
            .set(config.sources.iter().map(|s| s.url.as_str()));
        let settings = config.normalize_settings();
        let normalizer = Arc::new(Normalizer::new(settings));
        match self.normalizer.write() {
            Ok(mut n) => *n = normalizer,
            Err(p) => *p.into_inner() = normalizer,
        }
        let notifier = notifier_of(&config, &self.index);
        match self.notifier.write() {
            Ok(mut n) => *n = notifier,
            Err(p) => *p.into_inner() = notifier,
        }
        match self.config.write() {
            Ok(mut c) => *c = config,
            Err(p) => *p.into_inner() = config,
        }
    }

    /// The notifier of `[notify]` in force, if any.
    pub fn notifier(&self) -> Option<Arc<Notifier>> {
        match self.notifier.read() {
            Ok(n) => n.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Tell `[notify]` what this run said of the source: failing, silent
    /// (read, but nothing where something was expected), or good.
    async fn notify(&self, source: &SourceConfig, outcome: &Outcome) {
        let Some(notifier) = self.notifier() else {
            return;
        };
        let health = match outcome {
            // Stopping the process says nothing of the source.
            Outcome::Failed { class, .. } if class == CANCELLED => return,
            Outcome::Failed { message, .. } => Health::Bad(message.clone()),
            _ => {
                let index = Arc::clone(&self.index);
                let status = tokio::task::spawn_blocking(move || index.sources())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .and_then(|all| all.into_iter().find(|s| s.id == source.id.as_str()));
                match status {
                    Some(s) if s.needs_attention() => Health::Bad(s.warnings.join("\n")),
                    _ => Health::Good,
                }
            }
        };
        notifier
            .observe(source.id.as_str(), &source.name, health)
            .await;
    }

    /// The client every fetch goes through (its policy: the guards).
    pub fn client(&self) -> &FetchClient {
        &self.client
    }

    /// The clock of runs: fixed in tests, else the system's.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// Normalize records as a run of `source` would, without storing
    /// anything (a preview).
    pub async fn normalize_only(
        &self,
        source: &SourceConfig,
        records: Vec<model::RawEvent>,
    ) -> anyhow::Result<normalize::Normalized> {
        let meta = source_meta(source);
        let normalizer = self.normalizer();
        let now = self.now();
        let (_, normalized) = tokio::task::spawn_blocking(move || {
            normalize_in_parallel(&normalizer, &meta, records, now)
        })
        .await??;
        Ok(normalized)
    }

    /// Every enabled source of the file, or those named (the built-in
    /// source of events entered by hand too, when named), concurrently (the
    /// fetch client bounds concurrency globally and per host). Reports come
    /// in configuration order. `on_done` is called as each source finishes.
    pub async fn ingest(
        self: &Arc<Self>,
        only: &[String],
        on_done: impl Fn(&RunReport),
    ) -> Vec<RunReport> {
        let config = self.config();
        let sources: Vec<SourceConfig> = if only.is_empty() {
            config
                .sources
                .iter()
                .filter(|s| s.enabled)
                .cloned()
                .collect()
        } else {
            config
                .sources
                .iter()
                .cloned()
                .chain(std::iter::once(config.manual_source()))
                .filter(|s| only.iter().any(|o| o == s.id.as_str()))
                .collect()
        };
        let mut set = tokio::task::JoinSet::new();
        for (i, source) in sources.into_iter().enumerate() {
            let me = Arc::clone(self);
            set.spawn(async move { (i, me.run_source(&source).await) });
        }
        let mut reports = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, report)) => {
                    on_done(&report);
                    reports.push((i, report));
                }
                Err(e) => tracing::error!("a source run task failed: {e}"),
            }
        }
        reports.sort_by_key(|(i, _)| *i);
        reports.into_iter().map(|(_, r)| r).collect()
    }

    /// One run of one source. Never fails: failures are stored with the
    /// source and reported. Runs in a span `source_run` carrying the
    /// source's id. The run is bounded by its time budget
    /// ([`Config::timeout_of`]): over it, it fails with class `timeout`
    /// and the source keeps its last good events. On [`Pipeline::stop`] a
    /// run that has not started writing gives up (class `cancelled`,
    /// nothing written).
    pub async fn run_source(&self, source: &SourceConfig) -> RunReport {
        use tracing::Instrument;
        let span = tracing::info_span!("source_run", source = %source.id);
        self.run_source_inner(source).instrument(span).await
    }

    async fn run_source_inner(&self, source: &SourceConfig) -> RunReport {
        let mut report = RunReport {
            source: source.id.to_string(),
            outcome: Outcome::Unchanged { events: 0 },
            duration: Duration::ZERO,
            warnings: Vec::new(),
        };
        // The turn among the runs in flight, held until the run waits for
        // the writer with what it read (see `queued`).
        let turn = tokio::select! {
            biased;
            _ = self.stopped() => None,
            permit = Arc::clone(&self.in_flight).acquire_owned() => permit.ok(),
        };
        if turn.is_none() {
            report.outcome = Outcome::Failed {
                class: CANCELLED.to_string(),
                message:
                    "stopped before it started: nothing was written, the source keeps its events"
                        .to_string(),
            };
            return report;
        }
        // Until it asks to be written, the run is one the writer may wait
        // for (see `Index::run_coming`).
        let coming = self.index.run_coming();
        let started = Instant::now();
        let now = self.now();
        let budget = self.config().timeout_of(source);
        let prepared = tokio::select! {
            biased;
            _ = self.stopped() => None,
            p = tokio::time::timeout(budget, self.prepare(source, now, started, &mut report.warnings)) => Some(p),
        };
        drop(coming);
        report.outcome = match prepared {
            None => Ok(Outcome::Failed {
                class: CANCELLED.to_string(),
                message: "stopped before it finished: nothing was written, the source keeps its events".to_string(),
            }),
            Some(Err(_elapsed)) => {
                let message = format!(
                    "the run took longer than its time budget of {} s (`timeout` of the source, else `[aggregator] source_timeout`); its last good events are kept",
                    budget.as_secs()
                );
                let failed = Prepared::Failed {
                    class: "timeout".to_string(),
                    message,
                };
                self.record(source, now, started, failed, turn).await
            }
            Some(Ok(Err(e))) => Ok(Outcome::Failed {
                class: "internal".to_string(),
                message: format!("{e:#}"),
            }),
            Some(Ok(Ok(prepared))) => self.record(source, now, started, prepared, turn).await,
        }
        .unwrap_or_else(|e| Outcome::Failed {
            class: "internal".to_string(),
            message: format!("{e:#}"),
        });
        report.duration = started.elapsed();
        metrics::histogram!(
            "babillard_source_run_duration_seconds",
            "source" => source.id.to_string()
        )
        .record(report.duration.as_secs_f64());
        self.notify(source, &report.outcome).await;
        match &report.outcome {
            Outcome::Failed { class, message } => {
                tracing::warn!(source = %source.id, class = %class, "source failed: {message}")
            }
            _ => tracing::info!(source = %source.id, "{report}"),
        }
        report
    }

    /// Everything before the write: read, normalize, geocode. Dropped
    /// (cancelled) when the budget runs out or the process stops.
    async fn prepare(
        &self,
        source: &SourceConfig,
        now: DateTime<Utc>,
        started: Instant,
        warnings: &mut Vec<String>,
    ) -> anyhow::Result<Prepared> {
        let id = source.id.clone();
        let index = Arc::clone(&self.index);
        let state = {
            let id = id.clone();
            tokio::task::spawn_blocking(move || index.fetch_state(&id)).await??
        };
        let config = self.config();
        let normalizer = self.normalizer();
        let today = now.with_timezone(&config.aggregator.timezone).date_naive();
        let fingerprint = fingerprint(&config, &normalizer, source, today);
        let (stored_body, stored_fp) = split_hash(state.content_hash.as_deref());
        let same_inputs = stored_fp == Some(fingerprint.as_str());
        let validators = if same_inputs {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        } else {
            Validators::default()
        };

        let settings = ReadSettings {
            page_cache: Some(Arc::new(StorePages {
                index: Arc::clone(&self.index),
                at: now,
            })),
            max_body_bytes: config.max_body_of(source),
            ..ReadSettings::new(today)
        };
        let read = if source.id.as_str() == MANUAL_SOURCE {
            Ok(self.read_manual(source).await?)
        } else {
            let reading = Instant::now();
            let read = read_source(&self.client, source, &validators, &settings).await;
            let class = match &read {
                Ok(SourceRead::NotModified) => "not_modified",
                Ok(SourceRead::Read(_)) => "ok",
                Err(e) => e.class(),
            };
            let label = source.id.to_string();
            metrics::counter!("babillard_fetches_total", "source" => label.clone(), "class" => class)
                .increment(1);
            metrics::histogram!("babillard_fetch_duration_seconds", "source" => label)
                .record(reading.elapsed().as_secs_f64());
            read.map(|r| match r {
                SourceRead::NotModified => None,
                SourceRead::Read(r) => Some(Read {
                    kind: Some(r.kind.as_str().to_string()),
                    records: r.records,
                    warnings: r.warnings,
                    body_hash: r.body_hash,
                    validators: r.validators,
                }),
            })
        };
        let elapsed = || started.elapsed().as_millis() as u64;
        let result = match read {
            Err(e) => {
                let mut message = e.to_string();
                if matches!(e, ReadError::Fetch(FetchError::TooLarge { .. })) {
                    message.push_str(" ; if the source is really this large, raise `max_body_mb` (of the source, or of [aggregator])");
                }
                return Ok(Prepared::Failed {
                    class: e.class().to_string(),
                    message,
                });
            }
            Ok(None) => None,
            Ok(Some(r)) if same_inputs && stored_body == Some(r.body_hash.as_str()) => {
                *warnings = r.warnings;
                None
            }
            Ok(Some(r)) => Some(r),
        };
        let Some(read) = result else {
            return Ok(Prepared::Unchanged);
        };

        let mut read = read;
        if read.records.is_empty() && source.id.as_str() != MANUAL_SOURCE {
            if let Some(w) = self.silent_zero(source, read.kind.as_deref()).await {
                tracing::warn!(source = %source.id, "{w}");
                read.warnings.push(w);
            }
        }
        let meta = source_meta(source);
        let records = read.records;
        let read_ms = elapsed();
        let (records, mut normalized) = tokio::task::spawn_blocking(move || {
            normalize_in_parallel(&normalizer, &meta, records, now)
        })
        .await??;
        // Events ended longer ago than `keep_past_days` are not brought
        // back (pruning removed them from the store).
        let cutoff = past_cutoff(&config, now);
        normalized
            .occurrences
            .retain(|o| o.event.end.unwrap_or(o.event.start) >= cutoff);
        let normalized_ms = elapsed();
        self.geocode(&mut normalized.occurrences, &mut normalized.warnings)
            .await;
        warnings.extend(read.warnings);
        warnings.extend(normalized.warnings);
        tracing::debug!(
            source = %source.id,
            read_ms,
            normalize_ms = normalized_ms - read_ms,
            "source run read"
        );
        Ok(Prepared::Write(Box::new(SourceRun {
            source: id,
            at: now,
            duration_ms: 0,
            kind: read.kind,
            fetch: FetchState {
                etag: read.validators.etag,
                last_modified: read.validators.last_modified,
                content_hash: Some(format!("{}:{}", read.body_hash, fingerprint)),
            },
            records,
            occurrences: normalized.occurrences,
            warnings: warnings.clone(),
        })))
    }

    /// Write what a run prepared, in one transaction (never cut: a
    /// write started finishes, even when the process stops).
    async fn record(
        &self,
        source: &SourceConfig,
        now: DateTime<Utc>,
        started: Instant,
        prepared: Prepared,
        turn: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> anyhow::Result<Outcome> {
        // A run with events to write trades its turn for a place in the
        // writer's queue; the turn goes to the next run to read.
        let place = match &prepared {
            Prepared::Write(run) => {
                let weight = u32::try_from(run.occurrences.len())
                    .unwrap_or(u32::MAX)
                    .clamp(1, QUEUED_OCCURRENCES);
                let place = tokio::select! {
                    biased;
                    _ = self.stopped() => None,
                    permit = Arc::clone(&self.queued).acquire_many_owned(weight) => permit.ok(),
                };
                if place.is_none() {
                    return Ok(Outcome::Failed {
                        class: CANCELLED.to_string(),
                        message: "stopped before it finished: nothing was written, the source keeps its events".to_string(),
                    });
                }
                drop(turn);
                place
            }
            _ => turn,
        };
        let id = source.id.clone();
        let index = Arc::clone(&self.index);
        // Waiting for the turn to write is still abandoned on stop.
        let _w = tokio::select! {
            biased;
            _ = self.stopped() => {
                return Ok(Outcome::Failed {
                    class: CANCELLED.to_string(),
                    message: "stopped before it finished: nothing was written, the source keeps its events".to_string(),
                });
            }
            w = self.writer.read() => w,
        };
        let ms = started.elapsed().as_millis() as u64;
        let stored_from = Instant::now();
        match prepared {
            Prepared::Failed { class, message } => {
                let (c, m) = (class.clone(), message.clone());
                tokio::task::spawn_blocking(move || index.record_failure(&id, now, ms, &c, &m))
                    .await??;
                Ok(Outcome::Failed { class, message })
            }
            Prepared::Unchanged => {
                let counts =
                    tokio::task::spawn_blocking(move || index.record_unchanged(&id, now, ms))
                        .await??;
                Ok(Outcome::Unchanged {
                    events: counts.found,
                })
            }
            Prepared::Write(mut run) => {
                run.duration_ms = ms;
                // The place in the queue is given back once the run is in
                // the writer's transaction (its memory gone), not when it
                // is committed: the next runs are read meanwhile. The
                // answer (after the commit) is awaited here, not on a
                // blocking thread.
                let (tx, rx) = tokio::sync::oneshot::channel();
                tokio::task::spawn_blocking(move || {
                    index.record_success_then(
                        *run,
                        None,
                        Box::new(move |answer| {
                            // The run's task may be gone (the process stops).
                            let _ = tx.send(answer);
                        }),
                    )
                })
                .await?;
                drop(place);
                let counts = rx
                    .await
                    .unwrap_or_else(|_| Err(index::IndexError::lost_run()))?;
                tracing::debug!(
                    source = %source.id,
                    records = counts.found,
                    store_ms = stored_from.elapsed().as_millis() as u64,
                    "source run stored"
                );
                Ok(Outcome::Updated(counts))
            }
        }
    }

    /// The warning of a read that found no event, when that is suspect: a
    /// web page where nothing was recognized (no structured data, or
    /// selectors that match nothing), or a source that gave events until
    /// now. It points at the likely fix, naming the feed the page
    /// announces when there is one.
    async fn silent_zero(&self, source: &SourceConfig, kind: Option<&str>) -> Option<String> {
        let index = Arc::clone(&self.index);
        let before = tokio::task::spawn_blocking(move || index.sources())
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|all| all.into_iter().find(|s| s.id == source.id.as_str()))
            .map_or(0, |s| s.events);
        let html = kind == Some("html");
        if !html && before == 0 {
            return None;
        }
        let feeds = if html {
            crate::check::announced_feeds(&self.client, &source.url).await
        } else {
            Vec::new()
        };
        if let Some(feed) = feeds.first() {
            return Some(format!(
                "no event found on this page ; the page announces a feed: use url = \"{feed}\" in sources.toml"
            ));
        }
        if before > 0 {
            return Some(format!(
                "no event found, where the source gave {before} until now ; check the URL (the agenda may have moved){}",
                if html { ", or the selectors against the page as it is now" } else { "" }
            ));
        }
        Some(if source.selectors.is_some() {
            "no event found: the selectors matched nothing on this page ; check [source.selectors] against the page as it is now, or check the URL".to_string()
        } else {
            "no event found: this page has no structured data and the source no selectors ; add [source.selectors] for its events, check the URL, or use the site's feed if it has one".to_string()
        })
    }

    /// Fill the coordinates (and the city, when unknown) of venues that have
    /// none, from the geocoder's cache or the geocoder (see the module doc).
    async fn geocode(&self, occurrences: &mut [model::Occurrence], warnings: &mut Vec<String>) {
        let Some(client) = &self.geocoder else {
            return;
        };
        let queries = normalize::geocode::queries(occurrences);
        if queries.is_empty() {
            return;
        }
        let geocoder = Nominatim {
            client: Arc::clone(client),
            runtime: tokio::runtime::Handle::current(),
        };
        let index = Arc::clone(&self.index);
        let resolved = tokio::task::spawn_blocking(move || {
            normalize::geocode::resolve(&queries, &geocoder, &*index, MAX_GEOCODER_LOOKUPS)
        })
        .await;
        match resolved {
            Ok(answers) => {
                answers.apply(occurrences);
                warnings.extend(answers.warnings);
            }
            Err(e) => warnings.push(format!("geocoder: {e}")),
        }
    }

    /// The built-in source's records: the events entered by hand, read
    /// from the store (their hash plays the part of the body's).
    async fn read_manual(&self, source: &SourceConfig) -> anyhow::Result<Option<Read>> {
        let index = Arc::clone(&self.index);
        let id = source.id.to_string();
        let stored = tokio::task::spawn_blocking(move || index.manual_events(&id)).await??;
        let records: Vec<model::RawEvent> = stored.into_iter().map(|m| m.raw).collect();
        let body_hash = hex::encode(Sha256::digest(serde_json::to_vec(&records)?));
        Ok(Some(Read {
            kind: None,
            records,
            warnings: Vec::new(),
            body_hash,
            validators: Validators::default(),
        }))
    }
}

/// The class of a run given up because the process stops.
pub const CANCELLED: &str = "cancelled";

/// What a run has to write once read.
enum Prepared {
    Failed { class: String, message: String },
    Unchanged,
    Write(Box<SourceRun>),
}

/// Events that ended before this are pruned and not brought back.
fn past_cutoff(config: &Config, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(config.aggregator.keep_past_days))
}

/// What one run read, whatever the source.
struct Read {
    /// The kind read (None for the built-in source).
    kind: Option<String>,
    records: Vec<model::RawEvent>,
    warnings: Vec<String>,
    body_hash: String,
    validators: Validators,
}

fn source_meta(source: &SourceConfig) -> SourceMeta {
    SourceMeta {
        id: source.id.clone(),
        priority: source.priority,
        lang: source.lang.clone(),
        categories: source.categories.clone(),
        venue: source.venue.clone(),
    }
}

/// What normalization depends on besides the bytes.
fn fingerprint(
    config: &Config,
    normalizer: &Normalizer,
    source: &SourceConfig,
    today: chrono::NaiveDate,
) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    // What stored validators mean (a listing's only when it was read as one
    // document): validators stored under other rules are not sent.
    h.update("validators: one document");
    h.update(today.to_string());
    h.update(format!("{source:?}"));
    h.update(format!("{:?}", normalizer.settings()));
    h.update(format!("{:?}", config.aggregator.geocoder));
    hex::encode(&h.finalize()[..8])
}

/// `ingest`'s Nominatim client as normalize's geocoder (ingest does not
/// depend on normalize, so the binary joins them). Called on a blocking
/// thread (see `normalize::geocode`), it blocks on the async client; the
/// client's rate limit is shared by every source through the `Arc`.
struct Nominatim {
    client: Arc<Geocoder>,
    runtime: tokio::runtime::Handle,
}

impl normalize::geocode::Geocoder for Nominatim {
    type Error = GeocodeError;

    fn lookup(&self, query: &str) -> Result<Option<GeocodedPlace>, GeocodeError> {
        let hit = self.runtime.block_on(self.client.search(query))?;
        // Coordinates out of range are no place.
        Ok(hit.and_then(|h| {
            model::GeoPoint::new(h.lat, h.lon).map(|point| GeocodedPlace {
                point,
                city: h.city,
            })
        }))
    }
}

fn split_hash(stored: Option<&str>) -> (Option<&str>, Option<&str>) {
    match stored.and_then(|s| s.split_once(':')) {
        Some((body, fp)) => (Some(body), Some(fp)),
        None => (stored, None),
    }
}

/// Normalize a large source on every core: records are split by uid (so a
/// series and its overrides stay together), each part is normalized on its
/// own thread, and the results are joined in the records' order of parts.
/// Small sources are normalized on the calling thread. A part that panics
/// fails the run (the source keeps its events), never shortens it.
fn normalize_in_parallel(
    normalizer: &Normalizer,
    meta: &SourceMeta,
    records: Vec<model::RawEvent>,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<model::RawEvent>, normalize::Normalized)> {
    const PER_THREAD: usize = 1000;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(records.len() / PER_THREAD)
        .max(1);
    if threads == 1 {
        let n = normalizer.normalize(meta, &records, now);
        return Ok((records, n));
    }
    let mut parts: Vec<Vec<model::RawEvent>> = vec![Vec::new(); threads];
    for r in &records {
        let h = Sha256::digest(r.uid.as_bytes());
        let slot = usize::from(h[0]) % threads;
        if let Some(part) = parts.get_mut(slot) {
            part.push(r.clone());
        }
    }
    let results: Vec<Option<normalize::Normalized>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| scope.spawn(move || normalizer.normalize(meta, part, now)))
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });
    let mut out = normalize::Normalized::default();
    for r in results {
        let r = r.ok_or_else(|| anyhow::anyhow!("normalizing {} panicked", meta.id))?;
        out.occurrences.extend(r.occurrences);
        out.warnings.extend(r.warnings);
    }
    Ok((records, out))
}

/// Detail pages remembered in the store between runs. A store error only
/// costs the page a full fetch: it is logged, never fails the run.
struct StorePages {
    index: Arc<Index>,
    at: DateTime<Utc>,
}

impl PageCache for StorePages {
    fn get(&self, key: &str) -> Option<CachedPage> {
        match self.index.page_cache_get(key) {
            Ok(page) => page.map(|p| CachedPage {
                validators: Validators {
                    etag: p.etag,
                    last_modified: p.last_modified,
                },
                events: p.events,
                body_hash: p.body_hash,
            }),
            Err(e) => {
                tracing::warn!("page cache: {e}");
                None
            }
        }
    }

    fn put(&self, key: &str, page: &CachedPage) {
        let stored = index::pagecache::StoredPage {
            etag: page.validators.etag.clone(),
            last_modified: page.validators.last_modified.clone(),
            events: page.events.clone(),
            body_hash: page.body_hash.clone(),
        };
        if let Err(e) = self.index.page_cache_put(key, &stored, self.at) {
            tracing::warn!("page cache: {e}");
        }
    }

    fn touch(&self, key: &str) {
        if let Err(e) = self.index.page_cache_touch(key, self.at) {
            tracing::warn!("page cache: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{RawEvent, SourceId, TimeValue};

    /// Normalizing a large source on several threads gives exactly what one
    /// thread gives (series stay with their overrides).
    #[test]
    fn parallel_normalization_matches_the_sequential_one() {
        let normalizer = Normalizer::new(normalize::Settings {
            timezone: chrono_tz::America::Toronto,
            horizon_days: 365,
            languages: vec!["fr".into(), "en".into()],
            venues: Vec::new(),
            categories: Vec::new(),
        });
        let meta = SourceMeta {
            id: SourceId::new("s").unwrap(),
            priority: 0,
            lang: None,
            categories: Vec::new(),
            venue: None,
        };
        let mut records = Vec::new();
        for i in 0..3000u32 {
            let local = chrono::NaiveDate::from_ymd_opt(2027, 1 + i % 12, 1 + i % 28)
                .unwrap()
                .and_hms_opt(20, 0, 0)
                .unwrap();
            let mut r = RawEvent::new(
                format!("u{i}"),
                format!("Concert {i}"),
                TimeValue::Zoned {
                    local,
                    tzid: "America/Toronto".into(),
                },
            );
            if i % 100 == 0 {
                r.rrule = vec!["FREQ=WEEKLY;COUNT=4".into()];
                // An override of its second instance, moved one hour later.
                let mut o = r.clone();
                o.rrule.clear();
                o.recurrence_id = Some(TimeValue::Zoned {
                    local: local + chrono::Duration::days(7),
                    tzid: "America/Toronto".into(),
                });
                o.start = TimeValue::Zoned {
                    local: local + chrono::Duration::days(7) + chrono::Duration::hours(1),
                    tzid: "America/Toronto".into(),
                };
                records.push(o);
            }
            records.push(r);
        }
        let now: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let sequential = normalizer.normalize(&meta, &records, now);
        let (_, parallel) = normalize_in_parallel(&normalizer, &meta, records, now).unwrap();
        let key = |n: &normalize::Normalized| {
            let mut v: Vec<(String, String)> = n
                .occurrences
                .iter()
                .map(|o| (o.event.id.clone(), o.event.start.to_rfc3339()))
                .collect();
            v.sort();
            v
        };
        assert!(sequential.occurrences.len() > 3000);
        assert_eq!(key(&parallel), key(&sequential));
    }
}
