//! The `babillard` command line: wires configuration, pipeline, scheduler
//! and the HTTP surface together. See README.md and CONTRACT.md.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use babillard::config::{parse_schedule, Config, ConfigError};
use babillard::control::Control;
use babillard::pipeline::{Outcome, Pipeline};
use babillard::scheduler::Scheduler;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use clap::{Parser, Subcommand};
use index::{Index, Query};
use publish::{AppState, NextRuns};

mod staff_cli;

/// A normalize-and-dedup run allocates and frees many small strings (folded
/// words, stems, keys) on two threads; glibc's malloc spent a fifth of an
/// ingest in its own bookkeeping (`perf`, 100,000 occurrences), mimalloc
/// much less (see [`tune_allocator`] and BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "babillard",
    version,
    about = "One cultural agenda from many sources: ICS, RSS/Atom, web pages, WordPress."
)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        default_value = "sources.toml",
        value_name = "PATH"
    )]
    config: PathBuf,
    /// Where the SQLite database and the search index live (default: `data_dir` from the config, else ./data).
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// How log lines on stderr look: `text` (colours only on a terminal) or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ingest every source now, then again on its schedule, while serving HTTP (the default).
    Run {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Fetch, normalize and index every source (or those named) now, then exit.
    Ingest {
        /// Only this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// Serve what is already indexed; no fetching.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Write the whole publication as static files.
    Export {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Only this calendar (`[[calendar]]`), at the root of DIR.
        #[arg(long, value_name = "ID")]
        calendar: Option<String>,
    },
    /// Validate the configuration; print every problem as FILE:LINE:COL: message.
    Check {
        /// Do not fetch the sources (to say what those with no `kind` are,
        /// and warn of those that answer nothing usable).
        #[arg(long)]
        offline: bool,
    },
    /// Search the index from the terminal.
    Search {
        query: String,
        /// RFC 3339 date or date-time (default: now).
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        /// Category slug (repeatable).
        #[arg(long = "category", value_name = "SLUG")]
        categories: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// The health of every source.
    Sources {
        /// Only the sources of this calendar (`[[calendar]]`).
        #[arg(long, value_name = "ID")]
        calendar: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// A consistent copy of the database (SQLite's online backup), safe while `run` runs.
    Backup {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Bring a backup back into --data and rebuild the search index.
    Restore {
        file: PathBuf,
        /// Replace the store the data directory already holds.
        #[arg(long)]
        force: bool,
    },
    /// Staff accounts of the console (`user add EMAIL --role admin|editor`, `list`, `remove`, `password`).
    User {
        #[command(subcommand)]
        command: staff_cli::UserCommand,
    },
    /// API tokens of the console's JSON API (`token create --role ROLE --name NAME`, `revoke`).
    Token {
        #[command(subcommand)]
        command: staff_cli::TokenCommand,
    },
    /// Messages of `[notify]` (`notify digest [--dry-run]`).
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
    },
}

#[derive(Subcommand, Debug)]
enum NotifyCommand {
    /// Build the weekly digest now (the week since the last one) and send it to `[notify]`.
    Digest {
        /// Print it instead; send nothing, remember nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A failure that maps to an exit code.
enum Failure {
    Config(ConfigError),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Some(
            Command::Ingest { .. }
                | Command::Check { .. }
                | Command::Search { .. }
                | Command::Sources { .. }
                | Command::Reindex
                | Command::Backup { .. }
                | Command::Restore { .. }
                | Command::Export { .. }
                | Command::User { .. }
                | Command::Token { .. }
        )
    );
    init_tracing(if quiet { "warn" } else { "info" }, cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("babillard: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // Blocking work still under way (a normalization abandoned on stop)
    // does not hold the exit; writes were awaited by `dispatch`.
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(code) => code,
        Err(Failure::Config(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("babillard: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs go to stderr: text (ANSI colours only when stderr is a
/// terminal) or one JSON object per line, each carrying the fields of its
/// spans (a source run's `source`).
fn init_tracing(default: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}

fn load(path: &Path) -> Result<Config, Failure> {
    Config::load(path).map_err(Failure::Config)
}

/// Open the store. `sync` records the configured sources (commands that
/// write); read-only commands leave that to the process that writes, so
/// that they work while `babillard run` is running.
fn open_index(config: &Config, data: Option<&Path>, sync: bool) -> anyhow::Result<Arc<Index>> {
    let dir = config.data_dir(data);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let index =
        Index::open(&dir).with_context(|| format!("cannot open the store in {}", dir.display()))?;
    index.set_languages(config.aggregator.languages.clone());
    let infos = config.source_infos();
    if sync {
        index
            .sync_sources(&infos)
            .context("cannot record the configured sources")?;
        // Events are placed in the territories of this configuration;
        // when they changed, every stored event is placed again now.
        let placed = index
            .set_territories(Arc::clone(&config.territories))
            .context("cannot place the events in the territories")?;
        if placed > 0 {
            tracing::info!("{placed} events placed again in the territories");
        }
    }
    Ok(Arc::new(index))
}

async fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let command = cli.command.unwrap_or(Command::Run {
        addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
    });
    if let Command::Check { offline } = command {
        let config = load(&cli.config)?;
        println!(
            "{}: ok: {} sources ({} enabled), {} venues, {} categories",
            cli.config.display(),
            config.sources.len(),
            config.sources.iter().filter(|s| s.enabled).count(),
            config.venues.len(),
            config.categories.len()
        );
        // Sources with no `kind`: say what their URL answers, so that a
        // member can be added by pasting a URL.
        // Unless offline, fetch each source once: say what the URL of a
        // source with no `kind` answers, and warn of each that answers
        // nothing usable (the exit code stays about the configuration).
        let probes = if offline {
            std::collections::HashMap::new()
        } else {
            match babillard::check::client(&config, babillard::check::PER_SOURCE) {
                Ok(client) => {
                    babillard::check::probe_sources(
                        &config,
                        &client,
                        babillard::check::PER_SOURCE,
                        babillard::check::TOTAL,
                    )
                    .await
                }
                Err(e) => {
                    eprintln!(
                        "{}: warning: cannot fetch the sources: {e}",
                        cli.config.display()
                    );
                    std::collections::HashMap::new()
                }
            }
        };
        for s in &config.sources {
            let probe = probes.get(s.id.as_str());
            let kind = match (s.kind, probe.and_then(|p| p.kind)) {
                (Some(k), _) => k.as_str().to_string(),
                (None, Some(k)) => format!("{} (detected)", k.as_str()),
                (None, None) if probe.is_some() => "unknown".to_string(),
                (None, None) => "detected at the first run".to_string(),
            };
            println!("  {:<24} {:<10} {}", s.id, kind, s.url);
        }
        let text = std::fs::read_to_string(&cli.config).unwrap_or_default();
        for s in &config.sources {
            if let Some(warning) = probes.get(s.id.as_str()).and_then(|p| p.warning.as_ref()) {
                let (line, col) =
                    babillard::config::source_value_position(&text, s.id.as_str(), "url")
                        .unwrap_or((1, 1));
                eprintln!(
                    "{}:{line}:{col}: warning: source {}: {warning}",
                    cli.config.display(),
                    s.id
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let config = Arc::new(load(&cli.config)?);
    match &command {
        Command::Backup { out } => return backup(&config, cli.data.as_deref(), out).await,
        Command::Restore { file, force } => {
            return restore(&config, cli.data.as_deref(), file, *force).await
        }
        _ => {}
    }
    let writes = !matches!(
        command,
        Command::Search { .. }
            | Command::Sources { .. }
            | Command::Export { .. }
            | Command::User { .. }
            | Command::Token { .. }
            | Command::Notify { .. }
    );
    let index = open_index(&config, cli.data.as_deref(), writes)?;
    match command {
        Command::Check { .. } | Command::Backup { .. } | Command::Restore { .. } => {
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { addr } => run(config, index, addr, true).await,
        Command::Serve { addr } => run(config, index, addr, false).await,
        Command::Ingest { sources } => ingest(config, index, sources).await,
        Command::Search {
            query,
            from,
            to,
            categories,
            json,
        } => search(&config, &index, query, from, to, categories, json),
        Command::Sources { calendar, json } => sources(&config, &index, calendar, json),
        Command::User { command } => {
            staff_cli::user(
                &index,
                &config.aggregator.languages,
                &config.calendars,
                command,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => {
            staff_cli::token(
                &index,
                &config.aggregator.languages,
                &config.calendars,
                command,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Notify {
            command: NotifyCommand::Digest { dry_run },
        } => notify_digest(&config, index, dry_run).await,
        Command::Reindex => {
            let n = tokio::task::spawn_blocking(move || index.reindex())
                .await
                .context("reindex task")?
                .context("reindex failed")?;
            println!("reindexed {n} events");
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            out,
            base_url,
            calendar,
        } => {
            if let Some(id) = &calendar {
                if config.scope(id).is_none() {
                    return Ok(unknown_calendar(&config, id));
                }
            }
            // The sources page shows each source's next scheduled run.
            let tz = config.aggregator.timezone;
            let now = Utc::now().with_timezone(&tz);
            let next_runs: NextRuns = NextRuns::default();
            if let Ok(mut map) = next_runs.write() {
                let manual = config.manual_source();
                for src in config
                    .sources
                    .iter()
                    .filter(|s| s.enabled)
                    .chain(std::iter::once(&manual))
                {
                    if let Some(at) = parse_schedule(config.schedule_of(src))
                        .ok()
                        .and_then(|c| c.find_next_occurrence(&now, false).ok())
                    {
                        map.insert(src.id.as_str().to_string(), at.with_timezone(&Utc));
                    }
                }
            }
            let state = AppState::new(index, Arc::new(config.publish_config()), next_runs);
            let report = publish::export::export_calendar(
                state,
                &out,
                base_url.as_deref(),
                calendar.as_deref(),
            )
            .await
            .with_context(|| format!("cannot export to {}", out.display()))?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `notify digest`: the weekly digest now, sent (and remembered) or printed.
async fn notify_digest(
    config: &Config,
    index: Arc<Index>,
    dry_run: bool,
) -> Result<ExitCode, Failure> {
    let Some(settings) = config.notify.clone() else {
        return Err(anyhow::anyhow!(
            "{}: no [notify] section: nowhere to send a digest",
            config.path.display()
        )
        .into());
    };
    if !dry_run && settings.smtp.is_none() && settings.webhook.is_none() {
        return Err(anyhow::anyhow!(
            "{}: [notify] has neither `smtp` nor `webhook`: nowhere to send a digest",
            config.path.display()
        )
        .into());
    }
    let notifier = babillard::notify::Notifier::new(settings, index, &config.aggregator.name);
    let now = Utc::now();
    if dry_run {
        let digest = notifier.digest(config, now).await.context("digest")?;
        println!("Subject: {}\n\n{}", digest.subject, digest.text);
        return Ok(ExitCode::SUCCESS);
    }
    let digest = notifier
        .send_digest(config, now)
        .await
        .context("the digest was not sent")?;
    println!("digest sent: {}", digest.subject);
    Ok(ExitCode::SUCCESS)
}

async fn ingest(
    config: Arc<Config>,
    index: Arc<Index>,
    only: Vec<String>,
) -> Result<ExitCode, Failure> {
    for id in &only {
        if config.source(id).is_none() {
            eprintln!("{}: no source has the id {id:?}", config.path.display());
            return Ok(ExitCode::from(2));
        }
    }
    let pipeline = Arc::new(
        Pipeline::new(Arc::clone(&config), index).context("cannot build the HTTP client")?,
    );
    let count = if only.is_empty() {
        config.sources.iter().filter(|s| s.enabled).count()
    } else {
        only.len()
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(count as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} sources  {msg}")
        {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    if let Err(e) = pipeline.prune().await {
        tracing::warn!("pruning: {e:#}");
    }
    let verbose = std::env::var_os("BABILLARD_VERBOSE").is_some();
    // Each source's line as soon as it ends (above the bar on a terminal).
    pipeline
        .ingest(&only, |r| {
            let mut text = r.to_string();
            if matches!(r.outcome, Outcome::Failed { .. }) || verbose {
                for w in &r.warnings {
                    text.push_str(&format!("\n    warning: {w}"));
                }
            }
            match &bar {
                Some(bar) => {
                    bar.println(&text);
                    bar.inc(1);
                    bar.set_message(r.source.clone());
                }
                None => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{text}");
                    let _ = out.flush();
                }
            }
        })
        .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(ExitCode::SUCCESS)
}

async fn run(
    config: Arc<Config>,
    index: Arc<Index>,
    addr: SocketAddr,
    fetch: bool,
) -> Result<ExitCode, Failure> {
    // The search index's files into the page cache, in the background:
    // the first queries after a restart do not wait on the disk.
    let warm = Arc::clone(&index);
    if let Err(e) = std::thread::Builder::new()
        .name("warm-search".to_string())
        .spawn(move || {
            let bytes = warm.warm_search();
            tracing::debug!(bytes, "search index read into the page cache");
        })
    {
        tracing::warn!("cannot start the search index's warm-up: {e}");
    }
    let next_runs: NextRuns = NextRuns::default();
    // Under `serve` too: what a person asks for in the console (a preview,
    // a new source, "run now") is fetched at once.
    let pipeline = Arc::new(
        Pipeline::new(Arc::clone(&config), Arc::clone(&index))
            .context("cannot build the HTTP client")?,
    );
    let control = Control::new(Arc::clone(&pipeline));
    let mut state = AppState::new(
        Arc::clone(&index),
        Arc::new(config.publish_config()),
        Arc::clone(&next_runs),
    );
    control.publish_to(state.live_config.clone());
    state.source_admin = Some(control.clone());
    let app = publish::router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut server_rx = rx.clone();
    let server = tokio::spawn(async move {
        serve_http(listener, app, async move {
            let _ = server_rx.wait_for(|stop| *stop).await;
        })
        .await
    });
    tracing::info!("serving {} on http://{addr}", config.aggregator.name);

    // Fetching, parsing, normalizing and writing run on their own threads,
    // at a lower priority: under load, the answers come first.
    let background = background_runtime().context("cannot start the ingest threads")?;
    let mut work = tokio::task::JoinSet::new();
    if fetch {
        let first = Arc::clone(&pipeline);
        let sched_rx = rx.clone();
        let nr = Arc::clone(&next_runs);
        let steer = Arc::clone(&control);
        work.spawn_on(
            async move {
                if let Err(e) = first.prune().await {
                    tracing::warn!("pruning: {e:#}");
                }
                let reports = first.ingest(&[], |_| {}).await;
                let failed = reports
                    .iter()
                    .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
                    .count();
                tracing::info!(
                    "first ingest pass done: {} sources, {failed} failed",
                    reports.len()
                );
                if let Err(e) = first.prune().await {
                    tracing::warn!("pruning: {e:#}");
                }
                let scheduler = Scheduler::start(Arc::clone(&first), nr, sched_rx.clone());
                // `[notify] digest`: the weekly digest, when due.
                tokio::spawn(babillard::notify::digest_loop(first, sched_rx));
                steer.set_scheduler(Arc::clone(&scheduler));
                scheduler.wait_for_shutdown().await;
            },
            background.handle(),
        );
    }
    // SIGHUP: read sources.toml again; a file `check` refuses is logged
    // and the running configuration stays.
    #[cfg(unix)]
    {
        let steer = Arc::clone(&control);
        let mut stop = rx.clone();
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(mut hup) => {
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            got = hup.recv() => {
                                if got.is_none() {
                                    break;
                                }
                                tracing::info!("SIGHUP: reading the configuration again");
                                if let Err(e) = steer.reload().await {
                                    tracing::error!("configuration refused, the running one stays:\n{e}");
                                }
                            }
                            _ = async { stop.wait_for(|s| *s).await.is_ok() } => break,
                        }
                    }
                });
            }
            Err(e) => tracing::warn!("no SIGHUP reload: {e}"),
        }
    }

    // A change of sources.toml on disk (an edit by hand, a deployment)
    // is taken as SIGHUP takes it.
    {
        let steer = Arc::clone(&control);
        let stop = rx.clone();
        let path = config.path.clone();
        tokio::spawn(watch_config(path, steer, stop));
    }

    shutdown_signal().await;
    tracing::info!(
        "stopping: abandoning the source runs still reading, finishing the writes under way"
    );
    // Runs not yet writing give up now (nothing half-written); a write
    // under way finishes.
    pipeline.stop();
    let _ = tx.send(true);
    let drain = async { while work.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, drain).await.is_err() {
        tracing::warn!(
            "a write still under way after {} s; stopping anyway (its transaction rolls back)",
            STOP_GRACE.as_secs()
        );
        work.abort_all();
    }
    // Blocking work still under way (a normalization abandoned on stop)
    // does not hold the exit.
    background.shutdown_background();
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Failure::Other(anyhow::Error::new(e).context("HTTP server"))),
        Err(e) => return Err(Failure::Other(anyhow::anyhow!("HTTP server task: {e}"))),
    }
    Ok(ExitCode::SUCCESS)
}

/// How much lower than the HTTP answers the ingest threads run (a nice
/// value: at 10, a busy server gets about nine tenths of a contended core).
const INGEST_NICENESS: i32 = 10;

/// The runtime of `run`'s source runs (first pass, scheduler, digest),
/// whose threads, the blocking ones too, and every thread they start run
/// at [`INGEST_NICENESS`]: a first pass that parses, normalizes and writes
/// on every core does not slow the answers of the server beside it.
fn background_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("babillard-ingest")
        .on_thread_start(lower_priority)
        .enable_all()
        .build()
}

/// mimalloc 3's option numbers, from the `mi_option_e` enum of the
/// `include/mimalloc.h` that libmimalloc-sys 0.1.49 vendors (its bindings
/// name neither; the version is pinned in Cargo.toml).
mod mimalloc_options {
    pub const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    pub const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    pub const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;
    /// Their defaults in that header (`options.c`), on Linux: how
    /// [`super::tune_allocator`] knows the numbers still name them.
    pub const ARENA_EAGER_COMMIT_DEFAULT: std::os::raw::c_long = 2;
    pub const PURGE_DELAY_DEFAULT: std::os::raw::c_long = 1000;
    pub const ALLOW_THP_DEFAULT: std::os::raw::c_long = 1;
}

/// Give memory back to the system at once: mimalloc keeps freed pages for a
/// second before returning them, commits its arenas eagerly and backs them
/// with transparent huge pages (purged 2 MB at a time), which raised the
/// peak RSS of a 100,000-occurrence ingest from 410–440 MB (glibc) to
/// 670–800 MB. Purging at once, committing on demand and no huge pages keep
/// it at 380–390 MB, and most of the gain in time (BENCHMARKS.md). The
/// options are set only when they still hold the defaults of the header
/// their numbers come from, so that another mimalloc, or `MIMALLOC_*`
/// options in the environment, are left alone.
fn tune_allocator() {
    use mimalloc_options::*;
    // SAFETY: mi_option_get and mi_option_set read and write one integer
    // of mimalloc's option table, which is valid for any option number
    // below `_mi_option_last` (these two are), from any thread.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == PURGE_DELAY_DEFAULT
            && libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT) == ARENA_EAGER_COMMIT_DEFAULT
        {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
            libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        }
        if libmimalloc_sys::mi_option_get(ALLOW_THP) == ALLOW_THP_DEFAULT {
            libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
        }
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and
        // touches no memory of ours.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

/// Lower the calling thread's scheduling priority (Linux: the nice value
/// is per thread, and the threads it starts inherit it). Elsewhere, and
/// when refused, the thread keeps its priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority takes plain integers and touches no memory
        // of ours; `who = 0` is the calling thread under Linux's threads.
        let refused = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, INGEST_NICENESS) } != 0;
        if refused {
            tracing::debug!(
                "cannot lower the ingest threads' priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// How often `run` and `serve` look whether `sources.toml` changed on disk.
const CONFIG_WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// Read `path` again whenever its bytes change (looked at every
/// [`CONFIG_WATCH_INTERVAL`], once they have stopped changing between two
/// looks, so that a file being written is not read half-way): the same
/// reload as SIGHUP, a file `check` refuses logged once and the running
/// configuration kept. The console's own writes change the file too; their
/// reload finds nothing new to do.
async fn watch_config(
    path: PathBuf,
    control: Arc<Control>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    use sha2::{Digest, Sha256};
    let digest = |path: PathBuf| async move {
        tokio::fs::read(&path)
            .await
            .ok()
            .map(|bytes| Sha256::digest(&bytes).to_vec())
    };
    let mut taken = digest(path.clone()).await;
    let mut seen = taken.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CONFIG_WATCH_INTERVAL) => {}
            _ = async { stop.wait_for(|s| *s).await.is_ok() } => return,
        }
        let now = digest(path.clone()).await;
        // Gone, or still changing: look again later.
        if now.is_none() || now != seen {
            seen = now;
            continue;
        }
        if now == taken {
            continue;
        }
        taken = now;
        tracing::info!(
            "{} changed: reading the configuration again",
            path.display()
        );
        if let Err(e) = control.reload().await {
            tracing::error!("configuration refused, the running one stays:\n{e}");
        }
    }
}

/// How long a stop waits for the writes under way.
const STOP_GRACE: Duration = Duration::from_secs(6);

/// `backup --out FILE`: no index opened, nothing locked but one read
/// transaction, so that it works while `run` runs.
async fn backup(config: &Config, data: Option<&Path>, out: &Path) -> Result<ExitCode, Failure> {
    let dir = config.data_dir(data);
    let out_path = out.to_path_buf();
    let report = tokio::task::spawn_blocking(move || index::backup::backup(&dir, &out_path))
        .await
        .context("backup task")?
        .with_context(|| format!("backup to {} failed", out.display()))?;
    println!(
        "backed up {} events ({} bytes) to {}",
        report.events,
        report.bytes,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `restore FILE [--force]`.
async fn restore(
    config: &Config,
    data: Option<&Path>,
    file: &Path,
    force: bool,
) -> Result<ExitCode, Failure> {
    let dir = config.data_dir(data);
    let (f, d) = (file.to_path_buf(), dir.clone());
    let report = tokio::task::spawn_blocking(move || index::backup::restore(&f, &d, force))
        .await
        .context("restore task")?;
    match report {
        Ok(r) => {
            println!(
                "restored {} into {}{}; search index rebuilt: {} events",
                file.display(),
                dir.display(),
                if r.replaced {
                    " (replacing its store)"
                } else {
                    ""
                },
                r.events
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("babillard: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// How long a client may take to send a request's headers: a slow client
/// (slowloris) holds a connection no longer than this.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve `app` on `listener` over HTTP/1.1 until `stop` completes, then
/// let the connections finish their requests. What `axum::serve` does,
/// plus a header-read timeout ([`HEADER_READ_TIMEOUT`]), which it does not
/// offer. Each request carries the peer's `ConnectInfo<SocketAddr>` (the
/// login rate limit reads it), as `into_make_service_with_connect_info`
/// would give.
async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather
                    // than spin; the listener itself stays good.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        );
        let mut closing = closing_rx.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            tokio::pin!(connection);
            let done = tokio::select! {
                done = connection.as_mut() => done,
                // (The guard `wait_for` returns is dropped at once.)
                _ = async { closing.wait_for(|c| *c).await.is_ok() } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = done {
                tracing::debug!("connection from {peer}: {e}");
            }
        });
        // Reap the finished connections as we go.
        while connections.try_join_next().is_some() {}
    }
    let _ = closing_tx.send(true);
    drop(listener);
    while connections.join_next().await.is_some() {}
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// `--from`/`--to`: an RFC 3339 date (local midnight) or date-time.
fn parse_when(s: &str, tz: chrono_tz::Tz, what: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(dt) = tz
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .earliest()
        {
            return Ok(dt.with_timezone(&Utc));
        }
    }
    anyhow::bail!("--{what} {s:?} is not an RFC 3339 date (2026-12-05) or date-time (2026-12-05T20:00:00-05:00)")
}

fn search(
    config: &Config,
    index: &Index,
    q: String,
    from: Option<String>,
    to: Option<String>,
    categories: Vec<String>,
    json: bool,
) -> Result<ExitCode, Failure> {
    let tz = config.aggregator.timezone;
    let from = match from {
        Some(f) => parse_when(&f, tz, "from")?,
        None => Utc::now(),
    };
    let to = to.map(|t| parse_when(&t, tz, "to")).transpose()?;
    if let Some(to) = to {
        if to <= from {
            return Err(Failure::Other(anyhow::anyhow!("--to must be after --from")));
        }
    }
    let mut query = Query::from(from);
    query.q = Some(q).filter(|q| !q.trim().is_empty());
    query.to = to;
    query.categories = categories;
    query.limit = 1000;
    let page = index.query(&query).context("search failed")?;
    if json {
        let out = serde_json::json!({"events": page.events, "total": page.total});
        println!("{}", serde_json::to_string_pretty(&out).context("JSON")?);
    } else {
        for e in &page.events {
            let when = if e.all_day {
                e.start.format("%Y-%m-%d       ").to_string()
            } else {
                e.start.format("%Y-%m-%d %H:%M").to_string()
            };
            let place = e.venue.as_ref().map(|v| v.name.as_str()).unwrap_or("");
            let status = if e.status == model::Status::Scheduled {
                ""
            } else {
                e.status.as_str()
            };
            println!("{when}  {}  {place} {status}  [{}]", e.title, e.id);
        }
        println!("{} events", page.total);
    }
    Ok(ExitCode::SUCCESS)
}

/// `calendar` is not a calendar of `config`: say which are, exit 2.
fn unknown_calendar(config: &Config, id: &str) -> ExitCode {
    let known: Vec<&str> = config.calendars.iter().map(|c| c.id.as_str()).collect();
    if known.is_empty() {
        eprintln!(
            "{}: no calendar {id:?}: the configuration has no [[calendar]]",
            config.path.display()
        );
    } else {
        eprintln!(
            "{}: no calendar {id:?} (known: {})",
            config.path.display(),
            known.join(", ")
        );
    }
    ExitCode::from(2)
}

fn sources(
    config: &Config,
    index: &Index,
    calendar: Option<String>,
    json: bool,
) -> Result<ExitCode, Failure> {
    let mut list = index.sources().context("cannot read the sources")?;
    if let Some(id) = &calendar {
        if config.scope(id).is_none() {
            return Ok(unknown_calendar(config, id));
        }
        let own = config.calendar_sources(id);
        list.retain(|s| own.contains(&s.id));
    }
    let tz = config.aggregator.timezone;
    let now = Utc::now().with_timezone(&tz);
    for s in &mut list {
        if let Some(src) = config.source(&s.id) {
            if src.enabled {
                s.next_run = parse_schedule(config.schedule_of(&src))
                    .ok()
                    .and_then(|c| c.find_next_occurrence(&now, false).ok())
                    .map(|t| t.with_timezone(&Utc));
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&list).context("JSON")?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in &list {
        let last = s
            .last_fetch_at
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "never".to_string());
        println!(
            "{:<24} {:<6} {:<10} {:>5} events  last fetch {last}{}",
            s.id,
            s.status,
            s.kind.as_deref().unwrap_or("?"),
            s.events,
            match (&s.last_error, s.needs_attention()) {
                (Some(e), _) => format!("  error: {e}"),
                (None, true) => format!("  warning: {}", s.warnings.join(" | ")),
                (None, false) => String::new(),
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::mimalloc_options::*;

    #[test]
    fn the_allocator_options_set_are_the_ones_named() {
        // The numbers still name options holding the documented defaults
        // (a mimalloc whose enum moved would fail here, not silently set
        // something else), and tune_allocator sets them. (Run without
        // MIMALLOC_* options in the environment.)
        // SAFETY: as in tune_allocator.
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        assert_eq!(get(PURGE_DELAY), PURGE_DELAY_DEFAULT);
        assert_eq!(get(ARENA_EAGER_COMMIT), ARENA_EAGER_COMMIT_DEFAULT);
        assert_eq!(get(ALLOW_THP), ALLOW_THP_DEFAULT);
        super::tune_allocator();
        assert_eq!(get(PURGE_DELAY), 0);
        assert_eq!(get(ARENA_EAGER_COMMIT), 0);
        assert_eq!(get(ALLOW_THP), 0);
    }
}
