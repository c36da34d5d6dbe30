//! Runs each enabled source again on its own cron schedule, in the
//! aggregator's time zone. One task per source: sleep until the next time
//! the expression matches (recomputed from the clock after every wake, so a
//! suspended machine or a long run never causes a burst of catch-up runs),
//! run, repeat. A run in progress is never cut: on shutdown the scheduler
//! stops starting runs and waits for those under way.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use publish::NextRuns;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::parse_schedule;
use crate::pipeline::Pipeline;

/// Start one task per enabled source. They stop when `shutdown` turns true;
/// await the returned set to let runs in progress finish.
pub fn start(
    pipeline: Arc<Pipeline>,
    next_runs: NextRuns,
    shutdown: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let config = Arc::clone(pipeline.config());
    for source in config.sources.iter().filter(|s| s.enabled) {
        let expr = config.schedule_of(source).to_string();
        let cron = match parse_schedule(&expr) {
            Ok(c) => c,
            Err(e) => {
                // `check` already refused such a configuration.
                tracing::error!(source = %source.id, "not scheduled: {e}");
                continue;
            }
        };
        let pipeline = Arc::clone(&pipeline);
        let next_runs = Arc::clone(&next_runs);
        let mut shutdown = shutdown.clone();
        let source = source.clone();
        let tz = config.aggregator.timezone;
        set.spawn(async move {
            loop {
                if *shutdown.borrow() {
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
                }
                if *shutdown.borrow() {
                    break;
                }
                pipeline.run_source(&source).await;
            }
            set_next(&next_runs, source.id.as_str(), None);
        });
    }
    set
}

fn set_next(next_runs: &NextRuns, id: &str, at: Option<DateTime<Utc>>) {
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
