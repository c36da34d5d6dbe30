//! Runs each enabled source again on its own cron schedule, in the
//! aggregator's time zone. One task per source: sleep until the next time
//! the expression matches (recomputed from the clock after every wake, so a
//! suspended machine or a long run never causes a burst of catch-up runs),
//! run, repeat. A run in progress is never cut: on shutdown the scheduler
//! stops starting runs and waits for those under way.
//!
//! The built-in source of events entered by hand is scheduled too (on the
//! aggregator's schedule), so that its recurring events roll forward.
//!
//! [`Scheduler::reschedule`] follows a new configuration (the console wrote
//! `sources.toml`, or SIGHUP): a task whose source is gone or paused stops
//! (after its run under way, if any), one whose source or schedule changed
//! restarts, a new source gets its task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use ingest::SourceConfig;
use publish::NextRuns;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::parse_schedule;
use crate::pipeline::Pipeline;

/// Start one task per enabled source (see [`Scheduler::start`]), without
/// a handle to reschedule: the set ends once `shutdown` turned true and the
/// runs under way finished.
pub fn start(
    pipeline: Arc<Pipeline>,
    next_runs: NextRuns,
    shutdown: watch::Receiver<bool>,
) -> JoinSet<()> {
    let scheduler = Scheduler::start(pipeline, next_runs, shutdown);
    let mut set = JoinSet::new();
    set.spawn(async move { scheduler.wait_for_shutdown().await });
    set
}

/// The schedule of every source, following the configuration.
pub struct Scheduler {
    pipeline: Arc<Pipeline>,
    next_runs: NextRuns,
    shutdown: watch::Receiver<bool>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Source id → (what the task was started with, its stop signal).
    running: HashMap<String, (String, watch::Sender<bool>)>,
    tasks: JoinSet<()>,
}

impl Scheduler {
    /// Start one task per enabled source. They stop when `shutdown` turns
    /// true; [`Scheduler::wait_for_shutdown`] lets runs in progress finish.
    pub fn start(
        pipeline: Arc<Pipeline>,
        next_runs: NextRuns,
        shutdown: watch::Receiver<bool>,
    ) -> Arc<Scheduler> {
        let scheduler = Arc::new(Scheduler {
            pipeline,
            next_runs,
            shutdown,
            state: Mutex::new(State::default()),
        });
        scheduler.reschedule();
        scheduler
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic between two whole updates.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bring the tasks in line with the pipeline's configuration; returns
    /// the ids of the sources whose task was started or restarted.
    pub fn reschedule(&self) -> Vec<String> {
        let config = self.pipeline.config();
        let wanted: HashMap<String, (SourceConfig, String)> = config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .cloned()
            .chain(std::iter::once(config.manual_source()))
            .map(|s| {
                let expr = config.schedule_of(&s).to_string();
                let key = format!("{expr}\u{0}{:?}\u{0}{}", s, config.aggregator.timezone);
                (s.id.to_string(), (s, key))
            })
            .collect();
        let mut state = self.state();
        let mut started = Vec::new();
        let ids: Vec<String> = state.running.keys().cloned().collect();
        for id in ids {
            let keep = matches!(
                (state.running.get(&id), wanted.get(&id)),
                (Some((had, _)), Some((_, key))) if had == key
            );
            if !keep {
                if let Some((_, stop)) = state.running.remove(&id) {
                    let _ = stop.send(true);
                }
                if !wanted.contains_key(&id) {
                    set_next(&self.next_runs, &id, None);
                }
            }
        }
        if *self.shutdown.borrow() {
            return started;
        }
        for (id, (source, key)) in wanted {
            if state.running.contains_key(&id) {
                continue;
            }
            let expr = config.schedule_of(&source).to_string();
            let cron = match parse_schedule(&expr) {
                Ok(c) => c,
                Err(e) => {
                    // `check` already refused such a configuration.
                    tracing::error!(source = %source.id, "not scheduled: {e}");
                    continue;
                }
            };
            let (stop_tx, stop_rx) = watch::channel(false);
            state.running.insert(id.clone(), (key, stop_tx));
            started.push(id);
            let pipeline = Arc::clone(&self.pipeline);
            let next_runs = Arc::clone(&self.next_runs);
            let shutdown = self.shutdown.clone();
            let tz = config.aggregator.timezone;
            state.tasks.spawn(async move {
                run_on_schedule(pipeline, next_runs, shutdown, stop_rx, source, cron, tz).await
            });
        }
        // Forget tasks that ended (their results are ()).
        while state.tasks.try_join_next().is_some() {}
        started
    }

    /// Wait for shutdown to turn true, then for the runs under way.
    pub async fn wait_for_shutdown(&self) {
        let mut shutdown = self.shutdown.clone();
        let _ = shutdown.wait_for(|stop| *stop).await;
        let mut tasks = std::mem::take(&mut self.state().tasks);
        while tasks.join_next().await.is_some() {}
    }
}

async fn run_on_schedule(
    pipeline: Arc<Pipeline>,
    next_runs: NextRuns,
    mut shutdown: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
    source: SourceConfig,
    cron: croner::Cron,
    tz: chrono_tz::Tz,
) {
    loop {
        if *shutdown.borrow() || *stop.borrow() {
            break;
        }
        let now = Utc::now().with_timezone(&tz);
        let next = match cron.find_next_occurrence(&now, false) {
            Ok(n) => n.with_timezone(&Utc),
            Err(e) => {
                tracing::error!(source = %source.id, "no next run: {e}");
                break;
            }
        };
        set_next(&next_runs, source.id.as_str(), Some(next));
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => break,
            _ = stop.changed() => break,
        }
        if *shutdown.borrow() || *stop.borrow() {
            break;
        }
        let lag = (Utc::now() - next).to_std().unwrap_or_default();
        metrics::gauge!("babillard_scheduler_lag_seconds", "source" => source.id.to_string())
            .set(lag.as_secs_f64());
        pipeline.run_source(&source).await;
        // Keep the data in bounds (`keep_past_days`, `keep_fetch_log_days`).
        if let Err(e) = pipeline.prune().await {
            tracing::warn!("pruning: {e:#}");
        }
    }
    // A stopped task leaves its entry to the scheduler (a restarted one
    // has already written its own).
    if *shutdown.borrow() {
        set_next(&next_runs, source.id.as_str(), None);
    }
}

pub fn set_next(next_runs: &NextRuns, id: &str, at: Option<DateTime<Utc>>) {
    // A poisoned lock only means a reader panicked; the map is still usable.
    let mut map = match next_runs.write() {
        Ok(m) => m,
        Err(p) => p.into_inner(),
    };
    match at {
        Some(at) => {
            map.insert(id.to_string(), at);
        }
        None => {
            map.remove(id);
        }
    }
}
