//! The running process, steered from the console: [`Control`] implements
//! `publish`'s [`SourceAdmin`] over the pipeline, the scheduler and
//! `sources.toml`.
//!
//! A change of sources is written into the file first ([`crate::onboard`]:
//! validated as `check` does, written atomically), then taken at once: the
//! file is the configuration the pipeline swaps in, the store's sources are
//! synced, the scheduler starts, stops or restarts the tasks that changed,
//! and a new or changed source runs now. SIGHUP takes the file the same way
//! ([`Control::reload`]); a file `check` refuses is logged with its
//! messages and the running configuration stays.
//!
//! A preview reads a URL exactly as a source run would (the pipeline's
//! client, so its guards and `allow_private_networks`; kind detection,
//! parsing, next and detail pages, normalization), stores nothing, and
//! answers up to [`PREVIEW_EVENTS`] public events with warnings a person
//! can act on, in the aggregator's first language.
//!
//! Events entered by hand are rows of `manual_events` that the built-in
//! source ([`MANUAL_SOURCE`]) lists; saving or deleting one runs that
//! source at once, so the event is published (and deduplicated) as any
//! other. Every change is an audit row.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use ingest::fetch::{FetchOutcome, Validators};
use ingest::read::{read_source, ReadError, ReadSettings, SourceRead};
use ingest::SourceConfig;
use model::SourceId;
use publish::admin::sources::{
    AdminFuture, ManualEvent, Preview, SourceAdmin, SourceAdminError, VenueRef,
};
use publish::i18n::{self, FluentValue};
use publish::LiveConfig;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{Config, ConfigError, MANUAL_SOURCE};
use crate::onboard::{self, Written};
use crate::pipeline::{Outcome, Pipeline};
use crate::scheduler::Scheduler;
use crate::venues;

/// At most this many events in a preview.
pub const PREVIEW_EVENTS: usize = 50;

/// The console's hold on the running process.
pub struct Control {
    pipeline: Arc<Pipeline>,
    path: PathBuf,
    /// None under `serve`, where nothing runs on a schedule.
    scheduler: RwLock<Option<Arc<Scheduler>>>,
    /// The router's configuration, swapped with the pipeline's.
    published: RwLock<Option<LiveConfig>>,
    /// One edit of the file at a time (each reads, changes, writes it all).
    edits: tokio::sync::Mutex<()>,
    ids: AtomicU64,
}

impl Control {
    /// Over `pipeline`, whose configuration was read from its `path`.
    pub fn new(pipeline: Arc<Pipeline>) -> Arc<Control> {
        let path = pipeline.config().path.clone();
        Arc::new(Control {
            pipeline,
            path,
            scheduler: RwLock::new(None),
            edits: tokio::sync::Mutex::new(()),
            ids: AtomicU64::new(0),
            published: RwLock::new(None),
        })
    }

    /// From now on, a configuration taken is also what the router
    /// publishes with (category names, the gazetteer, ...).
    pub fn publish_to(&self, live: LiveConfig) {
        match self.published.write() {
            Ok(mut p) => *p = Some(live),
            Err(p) => *p.into_inner() = Some(live),
        }
    }

    /// From now on, changes reschedule through `scheduler` (under `run`).
    pub fn set_scheduler(&self, scheduler: Arc<Scheduler>) {
        match self.scheduler.write() {
            Ok(mut s) => *s = Some(scheduler),
            Err(p) => *p.into_inner() = Some(scheduler),
        }
    }

    fn scheduler(&self) -> Option<Arc<Scheduler>> {
        match self.scheduler.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    /// Read `sources.toml` again (SIGHUP): when `check` accepts it, take it
    /// at once (sources synced, rescheduled, new or changed ones run);
    /// else keep the running configuration and answer `check`'s error.
    pub async fn reload(&self) -> Result<(), ConfigError> {
        let path = self.path.clone();
        let config = {
            let _edit = self.edits.lock().await;
            let loaded = tokio::task::spawn_blocking(move || Config::load(&path)).await;
            match loaded {
                Ok(result) => result?,
                Err(join) => {
                    tracing::error!("reading the configuration: {join}");
                    return Ok(());
                }
            }
        };
        match self.take(config).await {
            Ok(changed) => {
                tracing::info!("configuration reloaded");
                self.run_all(changed).await;
            }
            Err(e) => tracing::error!("configuration reloaded, but: {e}"),
        }
        Ok(())
    }

    /// Swap in `config`: the pipeline, the store's sources, the schedule.
    /// Returns the enabled sources that are new or changed (to run now).
    async fn take(&self, config: Config) -> Result<Vec<SourceConfig>, SourceAdminError> {
        let old = self.pipeline.config();
        // A source whose table changed (or that is new, or resumed) runs
        // now. When only the taxonomy or the gazetteer changed, the others
        // follow at their next run, read in full (their fingerprint moved).
        let changed: Vec<SourceConfig> = config
            .sources
            .iter()
            .filter(|s| s.enabled && !old.sources.iter().any(|o| o == *s))
            .cloned()
            .collect();
        let infos = config.source_infos();
        let published = match self.published.read() {
            Ok(p) => p.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if let Some(live) = published {
            live.set(config.publish_config());
        }
        self.pipeline.set_config(Arc::new(config));
        let index = Arc::clone(self.pipeline.index());
        tokio::task::spawn_blocking(move || index.sync_sources(&infos))
            .await
            .map_err(|e| SourceAdminError::Failed(e.to_string()))?
            .map_err(|e| SourceAdminError::Failed(e.to_string()))?;
        if let Some(scheduler) = self.scheduler() {
            scheduler.reschedule();
        }
        Ok(changed)
    }

    async fn run_all(&self, sources: Vec<SourceConfig>) {
        for s in sources {
            self.pipeline.run_source(&s).await;
        }
    }

    /// Edit the file with `edit` (under the edit lock, off the runtime),
    /// take the result, audit it, then run what changed.
    async fn write(
        &self,
        who: &str,
        action: &str,
        target: &str,
        edit: impl FnOnce(&std::path::Path) -> Result<Written, SourceAdminError> + Send + 'static,
    ) -> Result<(), SourceAdminError> {
        self.write_then(Some((who, action, target)), edit).await
    }

    /// [`Control::write`], audited as `(who, action, target)` when given
    /// (an undo is audited by its caller, as the undo of its entry).
    async fn write_then(
        &self,
        audit: Option<(&str, &str, &str)>,
        edit: impl FnOnce(&std::path::Path) -> Result<Written, SourceAdminError> + Send + 'static,
    ) -> Result<(), SourceAdminError> {
        let changed = {
            let _edit = self.edits.lock().await;
            let path = self.path.clone();
            let written = tokio::task::spawn_blocking(move || edit(&path))
                .await
                .map_err(|e| SourceAdminError::Failed(e.to_string()))??;
            let changed = self.take(written.config).await?;
            if let Some((who, action, target)) = audit {
                self.audit(who, action, target, written.before, written.after)
                    .await;
            }
            changed
        };
        self.run_all(changed).await;
        Ok(())
    }

    /// One audit row; a failure to write it is logged (the change is made).
    async fn audit(
        &self,
        who: &str,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) {
        let index = Arc::clone(self.pipeline.index());
        let (who, action, target) = (who.to_string(), action.to_string(), target.to_string());
        let logged = tokio::task::spawn_blocking(move || {
            index.log_action(&who, &action, &target, before, after)
        })
        .await;
        match logged {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("audit: {e}"),
            Err(e) => tracing::error!("audit: {e}"),
        }
    }

    fn lang(&self) -> String {
        self.pipeline
            .config()
            .aggregator
            .languages
            .first()
            .cloned()
            .unwrap_or_else(|| "fr".to_string())
    }

    async fn do_preview(&self, url: &str) -> Result<Preview, SourceAdminError> {
        let lang = self.lang();
        let url = url.trim();
        // Never a local file: a preview reads the web, as a person asked.
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(SourceAdminError::Invalid {
                    field: "url".to_string(),
                    message: i18n::tr(&lang, "onboard-preview-bad-url"),
                })
            }
        }
        let config = self.pipeline.config();
        let id = SourceId::new("preview").map_err(|e| SourceAdminError::Failed(e.to_string()))?;
        let mut source = SourceConfig::new(id, url, None);
        source.lang = None;
        let today = self
            .pipeline
            .now()
            .with_timezone(&config.aggregator.timezone)
            .date_naive();
        let settings = ReadSettings {
            max_pages: 3,
            max_details: PREVIEW_EVENTS,
            max_body_bytes: config.aggregator.max_body_bytes,
            ..ReadSettings::new(today)
        };
        let client = self.pipeline.client();
        let read = match read_source(client, &source, &Validators::default(), &settings).await {
            Ok(SourceRead::Read(r)) => r,
            // Without validators a 304 is the server's mistake.
            Ok(SourceRead::NotModified) => {
                return Err(SourceAdminError::Failed(publish::explain::explain(
                    &lang,
                    None,
                    Some("HTTP status 304"),
                )))
            }
            Err(e) => return Err(SourceAdminError::Failed(explain(&lang, &e))),
        };
        let normalized = self
            .pipeline
            .normalize_only(&source, read.records)
            .await
            .map_err(|e| SourceAdminError::Failed(format!("{e:#}")))?;
        let languages = config.aggregator.languages.clone();
        let mut events: Vec<model::Event> = normalized
            .occurrences
            .iter()
            .filter_map(|o| normalize::merge::merge(&[o], &languages))
            .collect();
        // Upcoming first, then the most recent past.
        let now = self.pipeline.now();
        let (mut upcoming, mut past): (Vec<_>, Vec<_>) =
            events.drain(..).partition(|e| e.effective_end_utc() >= now);
        upcoming.sort_by_key(|e| e.start);
        past.sort_by_key(|e| std::cmp::Reverse(e.start));
        let found = upcoming.len() + past.len();
        events = upcoming
            .into_iter()
            .chain(past)
            .take(PREVIEW_EVENTS)
            .collect();

        let mut warnings = Vec::new();
        if events.is_empty() {
            let feeds = alternate_feeds(client, url).await;
            warnings.push(match feeds.first() {
                Some(feed) => i18n::tr_args(
                    &lang,
                    "onboard-preview-nothing-feed",
                    &[("feed", FluentValue::from(feed.as_str()))],
                ),
                None => i18n::tr(&lang, "onboard-preview-nothing"),
            });
        }
        if found > events.len() {
            warnings.push(i18n::tr_args(
                &lang,
                "onboard-preview-more",
                &[
                    ("count", FluentValue::from(found)),
                    ("shown", FluentValue::from(events.len())),
                ],
            ));
        }
        let problems: Vec<&String> = read.warnings.iter().chain(&normalized.warnings).collect();
        if let Some(first) = problems.first() {
            warnings.push(i18n::tr_args(
                &lang,
                "onboard-preview-warnings",
                &[
                    ("count", FluentValue::from(problems.len())),
                    ("detail", FluentValue::from(first.as_str())),
                ],
            ));
        }
        Ok(Preview {
            kind: read.kind.as_str().to_string(),
            events,
            warnings,
        })
    }

    fn new_manual_id(&self) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let h = Sha256::digest(format!("{nanos}\u{0}{n}\u{0}{}", std::process::id()));
        format!("m-{}", hex::encode(&h[..8]))
    }

    /// Run the built-in source now; its failure is the request's.
    async fn run_manual(&self) -> Result<(), SourceAdminError> {
        let source = self.pipeline.config().manual_source();
        let report = self.pipeline.run_source(&source).await;
        match report.outcome {
            Outcome::Failed { message, .. } => Err(SourceAdminError::Failed(message)),
            _ => Ok(()),
        }
    }

    async fn do_save_manual(
        &self,
        who: &str,
        id: Option<&str>,
        event: ManualEvent,
    ) -> Result<String, SourceAdminError> {
        let config = self.pipeline.config();
        let index = Arc::clone(self.pipeline.index());
        let id = match id {
            Some(id) => {
                let (index, wanted) = (Arc::clone(&index), id.to_string());
                let found = tokio::task::spawn_blocking(move || index.manual_event(&wanted))
                    .await
                    .map_err(|e| SourceAdminError::Failed(e.to_string()))?
                    .map_err(|e| SourceAdminError::Failed(e.to_string()))?;
                if found.is_none() {
                    return Err(SourceAdminError::NotFound(format!("manual event {id:?}")));
                }
                id.to_string()
            }
            None => self.new_manual_id(),
        };
        let raw = event.to_raw(&id, &config.publish_config())?;
        let at = self.pipeline.now();
        let (who2, id2) = (who.to_string(), id.clone());
        let before = tokio::task::spawn_blocking(move || {
            index.save_manual_event(&who2, &id2, MANUAL_SOURCE, &raw, at)
        })
        .await
        .map_err(|e| SourceAdminError::Failed(e.to_string()))?
        .map_err(|e| SourceAdminError::Failed(e.to_string()))?;
        let pc = config.publish_config();
        let action = if before.is_some() {
            "manual_event.update"
        } else {
            "manual_event.add"
        };
        let before = before.map(|b| json!(ManualEvent::from_raw(&b.raw, &pc)));
        self.audit(who, action, &id, before, Some(json!(event)))
            .await;
        self.run_manual().await?;
        Ok(id)
    }

    async fn do_delete_manual(&self, who: &str, id: &str) -> Result<(), SourceAdminError> {
        let index = Arc::clone(self.pipeline.index());
        let wanted = id.to_string();
        let before = tokio::task::spawn_blocking(move || index.delete_manual_event(&wanted))
            .await
            .map_err(|e| SourceAdminError::Failed(e.to_string()))?
            .map_err(|e| SourceAdminError::Failed(e.to_string()))?
            .ok_or_else(|| SourceAdminError::NotFound(format!("manual event {id:?}")))?;
        let pc = self.pipeline.config().publish_config();
        let before = json!(ManualEvent::from_raw(&before.raw, &pc));
        self.audit(who, "manual_event.delete", id, Some(before), None)
            .await;
        self.run_manual().await
    }

    async fn do_run_now(&self, who: &str, id: &str) -> Result<(), SourceAdminError> {
        let source = self
            .pipeline
            .config()
            .source(id)
            .ok_or_else(|| SourceAdminError::NotFound(format!("source {id:?}")))?;
        let report = self.pipeline.run_source(&source).await;
        let outcome = match &report.outcome {
            Outcome::Updated(c) => {
                json!({"outcome": "ok", "found": c.found, "new": c.new, "updated": c.updated, "removed": c.removed})
            }
            Outcome::Unchanged { events } => json!({"outcome": "unchanged", "found": events}),
            Outcome::Failed { class, message } => {
                json!({"outcome": "error", "class": class, "message": message})
            }
        };
        self.audit(who, "source.run", id, None, Some(outcome)).await;
        Ok(())
    }

    /// `enabled = true/false` in the source's table.
    async fn set_enabled(
        &self,
        who: &str,
        id: &str,
        enabled: bool,
    ) -> Result<(), SourceAdminError> {
        if id == MANUAL_SOURCE {
            return Err(not_in_file(id));
        }
        let changes: Map<String, Value> = [("enabled".to_string(), Value::Bool(enabled))]
            .into_iter()
            .collect();
        let target = id.to_string();
        let action = if enabled {
            "source.resume"
        } else {
            "source.pause"
        };
        self.write(who, action, id, move |path| {
            onboard::update_source(path, &target, &changes)
        })
        .await
    }
}

fn not_in_file(id: &str) -> SourceAdminError {
    SourceAdminError::Invalid {
        field: "id".to_string(),
        message: format!(
            "{id:?} is the built-in source of the events entered by hand: it has no settings"
        ),
    }
}

/// What went wrong reading a URL, in words a person can act on: the
/// sentence `/sources` and the console give for the same error.
fn explain(lang: &str, e: &ReadError) -> String {
    publish::explain::explain(lang, Some(e.class()), Some(&e.to_string()))
}

/// The feeds and calendars a page announces (`<link rel="alternate">`),
/// absolute, read through the same client as the preview.
async fn alternate_feeds(client: &ingest::fetch::FetchClient, url: &str) -> Vec<String> {
    let Ok(FetchOutcome::Fetched(page)) = client.fetch(url, &Validators::default()).await else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&page.body);
    let base = url::Url::parse(&page.final_url).ok();
    let doc = scraper::Html::parse_document(&text);
    let Ok(selector) = scraper::Selector::parse("link[rel~=alternate][href]") else {
        return Vec::new();
    };
    const FEEDS: &[&str] = &[
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "text/calendar",
        "application/rdf+xml",
    ];
    doc.select(&selector)
        .filter(|l| {
            l.value()
                .attr("type")
                .is_some_and(|t| FEEDS.contains(&t.trim().to_ascii_lowercase().as_str()))
        })
        .filter_map(|l| l.value().attr("href"))
        .filter_map(|href| match &base {
            Some(b) => b.join(href.trim()).ok().map(|u| u.to_string()),
            None => Some(href.trim().to_string()),
        })
        .collect()
}

impl SourceAdmin for Control {
    fn preview(&self, url: &str) -> AdminFuture<'_, Preview> {
        let url = url.to_string();
        Box::pin(async move { self.do_preview(&url).await })
    }

    fn add(&self, who: &str, source: Map<String, Value>) -> AdminFuture<'_, ()> {
        let who = who.to_string();
        Box::pin(async move {
            let id = source
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            self.write(&who, "source.add", &id, move |path| {
                onboard::add_source(path, &source)
            })
            .await
        })
    }

    fn update(&self, who: &str, id: &str, changes: Map<String, Value>) -> AdminFuture<'_, ()> {
        let (who, id) = (who.to_string(), id.to_string());
        Box::pin(async move {
            if id == MANUAL_SOURCE {
                return Err(not_in_file(&id));
            }
            let target = id.clone();
            self.write(&who, "source.update", &id, move |path| {
                onboard::update_source(path, &target, &changes)
            })
            .await
        })
    }

    fn run_now(&self, who: &str, id: &str) -> AdminFuture<'_, ()> {
        let (who, id) = (who.to_string(), id.to_string());
        Box::pin(async move { self.do_run_now(&who, &id).await })
    }

    fn pause(&self, who: &str, id: &str) -> AdminFuture<'_, ()> {
        let (who, id) = (who.to_string(), id.to_string());
        Box::pin(async move { self.set_enabled(&who, &id, false).await })
    }

    fn resume(&self, who: &str, id: &str) -> AdminFuture<'_, ()> {
        let (who, id) = (who.to_string(), id.to_string());
        Box::pin(async move { self.set_enabled(&who, &id, true).await })
    }

    fn map_category(&self, who: &str, word: &str, slug: &str) -> AdminFuture<'_, ()> {
        let (who, word, slug) = (who.to_string(), word.to_string(), slug.to_string());
        Box::pin(async move {
            let target = slug.clone();
            self.write(&who, "category.map", &target, move |path| {
                onboard::map_category(path, &word, &slug)
            })
            .await
        })
    }

    fn save_manual_event(
        &self,
        who: &str,
        id: Option<&str>,
        event: ManualEvent,
    ) -> AdminFuture<'_, String> {
        let (who, id) = (who.to_string(), id.map(str::to_string));
        Box::pin(async move { self.do_save_manual(&who, id.as_deref(), event).await })
    }

    fn delete_manual_event(&self, who: &str, id: &str) -> AdminFuture<'_, ()> {
        let (who, id) = (who.to_string(), id.to_string());
        Box::pin(async move { self.do_delete_manual(&who, &id).await })
    }

    fn update_venue(
        &self,
        who: &str,
        id: &str,
        changes: Map<String, Value>,
    ) -> AdminFuture<'_, ()> {
        let (who, id) = (who.to_string(), id.to_string());
        Box::pin(async move {
            let target = id.clone();
            self.write(&who, "venue.update", &id, move |path| {
                venues::update_venue(path, &target, &changes)
            })
            .await?;
            self.rerun_everything();
            Ok(())
        })
    }

    fn undo_change(&self, _who: &str, entry: index::AuditEntry) -> AdminFuture<'_, ()> {
        Box::pin(async move { self.undo_entry(entry).await })
    }

    fn merge_venues(&self, who: &str, into: &str, from: Vec<VenueRef>) -> AdminFuture<'_, ()> {
        let (who, into) = (who.to_string(), into.to_string());
        Box::pin(async move {
            let target = into.clone();
            self.write(&who, "venue.merge", &into, move |path| {
                venues::merge_venues(path, &target, &from)
            })
            .await?;
            self.rerun_everything();
            Ok(())
        })
    }
}

impl Control {
    async fn undo_entry(&self, entry: index::AuditEntry) -> Result<(), SourceAdminError> {
        self.write_then(None, move |path| {
            venues::revert(path, &entry.action, &entry.target, entry.before.as_ref())
        })
        .await?;
        self.rerun_everything();
        Ok(())
    }

    /// Run every enabled source again, in the background: the gazetteer
    /// changed, and every event's place is read against it.
    fn rerun_everything(&self) {
        let pipeline = Arc::clone(&self.pipeline);
        tokio::spawn(async move {
            let config = pipeline.config();
            for source in config.sources.iter().filter(|s| s.enabled) {
                pipeline.run_source(source).await;
            }
        });
    }
}
