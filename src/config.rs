//! `sources.toml`: parsed in one pass that collects *every* problem, each
//! with its position, then composed into the sections each stage reads
//! (`ingest::SourceConfig`, `normalize::{VenueConfig, CategoryConfig}`,
//! `publish::PublishConfig`).
//!
//! `babillard check` prints the problems as `FILE:LINE:COL: message`; every
//! other command refuses a configuration with problems, with the same lines.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use ingest::{Selectors, SourceConfig, SourceKind};
use model::SourceId;
use normalize::{CategoryConfig, VenueConfig};
use toml_edit::{Item, TableLike, Value};

mod calendars;

pub use calendars::{CalendarConfig, CALENDAR_KEYS, TERRITORY_KEYS};

/// `[aggregator]`.
#[derive(Clone, Debug)]
pub struct Aggregator {
    pub name: String,
    pub base_url: String,
    pub timezone: Tz,
    pub languages: Vec<String>,
    pub horizon_days: u32,
    pub schedule: String,
    pub data_dir: Option<PathBuf>,
    pub allow_private_networks: bool,
    /// Base URL of a geocoding service speaking the Nominatim API; None:
    /// no geocoding.
    pub geocoder: Option<String>,
    /// Time budget of one source run, retries included (`source_timeout`,
    /// seconds; a `[[source]] timeout` overrides it).
    pub source_timeout: std::time::Duration,
    /// Fetch log rows older than this many days are pruned.
    pub keep_fetch_log_days: u32,
    /// Events that ended more than this many days ago are pruned.
    pub keep_past_days: u32,
    /// Cap on a body fetched over the network (`max_body_mb`; a
    /// `[[source]] max_body_mb` overrides it); None: 20 MB. Local files
    /// are not held to it.
    pub max_body_bytes: Option<usize>,
}

/// The whole configuration, known good.
#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    pub aggregator: Aggregator,
    pub sources: Vec<SourceConfig>,
    pub venues: Vec<VenueConfig>,
    pub categories: Vec<CategoryConfig>,
    /// `[[territory]]`, as written.
    pub territories_config: Vec<normalize::territory::TerritoryConfig>,
    /// The territories, their GeoJSON read.
    pub territories: std::sync::Arc<normalize::territory::Territories>,
    /// `[[calendar]]`.
    pub calendars: Vec<CalendarConfig>,
    /// `[notify]`: whom to tell when a source fails or goes silent.
    pub notify: Option<Notify>,
}

/// `[notify]`: when a source has been failing (or silent) for `after`, one
/// message, and one when it recovers; by e-mail, webhook, or both. And, if
/// asked, a weekly digest.
#[derive(Clone, Debug, PartialEq)]
pub struct Notify {
    /// `after` (hours, may be fractional) or `after_secs`.
    pub after: std::time::Duration,
    /// `smtp://HOST[:PORT]` or `smtps://HOST[:PORT]`.
    pub smtp: Option<String>,
    /// How the SMTP connection is protected (from the scheme and
    /// `smtp_tls`; see [`SmtpTls`]).
    pub smtp_tls: SmtpTls,
    /// The SMTP port: the URL's, else 465 (TLS), 587 (STARTTLS), 25 (none).
    pub smtp_port: u16,
    /// `smtp_user`: the SMTP user name, written in the file.
    pub smtp_user: Option<String>,
    /// `smtp_password_env`: the environment variable holding the password
    /// (a password is never read from the file).
    pub smtp_password_env: Option<String>,
    /// `smtp_ca_file`: a PEM file of certificates trusted besides the
    /// system's (a private CA); absolute.
    pub smtp_ca_file: Option<PathBuf>,
    /// Names of environment variables holding the SMTP user name and
    /// password (the first way of giving credentials; still read).
    pub username_env: Option<String>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    /// An http(s) URL that gets each message as JSON (POST).
    pub webhook: Option<String>,
    /// `digest = "weekly"`: when the weekly digest goes (None: off).
    pub digest: Option<DigestSchedule>,
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://`, or `smtp_tls = "tls"`: TLS from the first byte (port 465).
    Implicit,
    /// `smtp_tls = "starttls"` (the default but on loopback): STARTTLS,
    /// required; a server that does not offer it is not used.
    StartTls,
    /// `smtp_tls = "none"` (the default on loopback): plain text.
    None,
}

impl SmtpTls {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::Implicit => "tls",
            SmtpTls::StartTls => "starttls",
            SmtpTls::None => "none",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            SmtpTls::Implicit => 465,
            SmtpTls::StartTls => 587,
            SmtpTls::None => 25,
        }
    }
}

/// When the weekly digest goes: `digest_day` at `digest_hour`, local time
/// of `[aggregator] timezone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSchedule {
    pub day: chrono::Weekday,
    /// 0 to 23.
    pub hour: u32,
}

const NOTIFY_KEYS: &[&str] = &[
    "after",
    "after_secs",
    "smtp",
    "smtp_tls",
    "smtp_user",
    "smtp_password_env",
    "smtp_ca_file",
    "username_env",
    "password_env",
    "from",
    "to",
    "webhook",
    "digest",
    "digest_day",
    "digest_hour",
];

/// One problem, at a 1-based line and column of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(.path, .problems))]
    Invalid {
        path: String,
        problems: Vec<Problem>,
    },
}

fn render(path: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{path}:{}:{}: {}", p.line, p.col, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

const AGGREGATOR_KEYS: &[&str] = &[
    "name",
    "base_url",
    "timezone",
    "languages",
    "horizon_days",
    "schedule",
    "data_dir",
    "allow_private_networks",
    "geocoder",
    "source_timeout",
    "keep_fetch_log_days",
    "keep_past_days",
    "max_body_mb",
];
/// The keys of a `[[source]]`.
pub const SOURCE_KEYS: &[&str] = &[
    "id",
    "name",
    "kind",
    "url",
    "schedule",
    "priority",
    "lang",
    "categories",
    "venue",
    "enabled",
    "selectors",
    "timeout",
    "max_body_mb",
];
const SELECTOR_KEYS: &[&str] = &[
    "event",
    "title",
    "start",
    "end",
    "location",
    "url",
    "description",
    "image",
    "date_format",
];
const VENUE_KEYS: &[&str] = &["id", "name", "aliases", "address", "city", "lat", "lon"];
const CATEGORY_KEYS: &[&str] = &["slug", "name", "matches"];
const TOP_KEYS: &[&str] = &[
    "aggregator",
    "source",
    "venue",
    "category",
    "territory",
    "calendar",
    "notify",
];

/// The largest `max_body_mb`: 2 GiB, what a local file may be.
pub const MAX_BODY_MB: u64 = 2048;

/// `[aggregator] source_timeout` when absent, in seconds.
pub const DEFAULT_SOURCE_TIMEOUT: u64 = 60;

/// The id of the built-in source that lists the events entered by hand in
/// the console (table `manual_events`): always known to the store, never
/// written in `sources.toml`, where `check` refuses it.
pub use publish::admin::sources::MANUAL_SOURCE;

/// Its name as the store records it (the sources page translates it).
pub const MANUAL_SOURCE_NAME: &str = "Saisie manuelle";

impl Config {
    /// Read and validate `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validate `text` as if read from `path` (relative source paths are
    /// resolved against the file's folder).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut cx = Cx {
            text,
            problems: Vec::new(),
        };
        let config = cx.config(path, &base_dir);
        if cx.problems.is_empty() {
            if let Some(config) = config {
                return Ok(config);
            }
        }
        let mut problems = cx.problems;
        problems.sort_by_key(|p| (p.line, p.col));
        problems.dedup();
        Err(ConfigError::Invalid {
            path: path.display().to_string(),
            problems,
        })
    }

    /// Where the database and the index live: `--data`, else `data_dir`
    /// (relative to the configuration file), else `./data`.
    pub fn data_dir(&self, cli: Option<&Path>) -> PathBuf {
        if let Some(d) = cli {
            return d.to_path_buf();
        }
        match &self.aggregator.data_dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => self
                .path
                .parent()
                .map(|p| p.join(d))
                .unwrap_or_else(|| d.clone()),
            None => PathBuf::from("data"),
        }
    }

    /// The time budget of one run of `source`, retries included.
    pub fn timeout_of(&self, source: &SourceConfig) -> std::time::Duration {
        source.timeout.unwrap_or(self.aggregator.source_timeout)
    }

    /// The cap on a body `source` fetches over the network: its own
    /// `max_body_mb`, else `[aggregator] max_body_mb`, else None (the fetch
    /// policy's, 20 MB).
    pub fn max_body_of(&self, source: &SourceConfig) -> Option<usize> {
        source.max_body_bytes.or(self.aggregator.max_body_bytes)
    }

    /// The cron expression that applies to `source`.
    pub fn schedule_of<'a>(&'a self, source: &'a SourceConfig) -> &'a str {
        source
            .schedule
            .as_deref()
            .unwrap_or(&self.aggregator.schedule)
    }

    /// The configured sources as the store records them, then the
    /// built-in source of the events entered by hand ([`MANUAL_SOURCE`]).
    pub fn source_infos(&self) -> Vec<index::SourceInfo> {
        let manual = self.manual_source();
        self.sources
            .iter()
            .chain(std::iter::once(&manual))
            .map(|s| index::SourceInfo {
                id: s.id.clone(),
                name: s.name.clone(),
                kind: s.kind.map(|k| k.as_str().to_string()),
                url: s.url.clone(),
            })
            .collect()
    }

    /// The built-in source of the events entered by hand: read from the
    /// store (never fetched), on the aggregator's schedule so that its
    /// recurring events roll forward, and in the aggregator's first
    /// language. Its `url` is where a person manages them.
    pub fn manual_source(&self) -> SourceConfig {
        let mut s = SourceConfig::new(
            SourceId::new(MANUAL_SOURCE).unwrap_or_else(|_| unreachable!("a valid id")),
            format!("{}/admin", self.aggregator.base_url.trim_end_matches('/')),
            None,
        );
        s.name = MANUAL_SOURCE_NAME.to_string();
        s.lang = self.aggregator.languages.first().cloned();
        s
    }

    /// A source of the file, or the built-in one, by id.
    pub fn source(&self, id: &str) -> Option<SourceConfig> {
        if id == MANUAL_SOURCE {
            return Some(self.manual_source());
        }
        self.sources.iter().find(|s| s.id.as_str() == id).cloned()
    }

    pub fn normalize_settings(&self) -> normalize::Settings {
        normalize::Settings {
            timezone: self.aggregator.timezone,
            horizon_days: self.aggregator.horizon_days,
            languages: self.aggregator.languages.clone(),
            venues: self.venues.clone(),
            categories: self.categories.clone(),
        }
    }

    pub fn publish_config(&self) -> publish::PublishConfig {
        publish::PublishConfig {
            name: self.aggregator.name.clone(),
            base_url: self.aggregator.base_url.trim_end_matches('/').to_string(),
            timezone: self.aggregator.timezone,
            languages: self.aggregator.languages.clone(),
            categories: self
                .categories
                .iter()
                .map(|c| publish::CategoryInfo {
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                })
                .collect(),
            venues: self
                .venues
                .iter()
                .map(|v| model::Venue {
                    id: v.id.clone(),
                    name: v.name.clone(),
                    address: v.address.clone(),
                    city: v.city.clone(),
                    lat: v.lat,
                    lon: v.lon,
                    // A `[[venue]]` with coordinates is placed by them.
                    precision: v.lat.and(v.lon).map(|_| model::Precision::Venue),
                })
                .collect(),
            source_kinds: ingest::kind::names().map(str::to_string).collect(),
            paused: self
                .sources
                .iter()
                .filter(|s| !s.enabled)
                .map(|s| s.id.as_str().to_string())
                .collect(),
            network: crate::calendars::network(self),
        }
    }
}

/// Parse a schedule: Unix cron with 5 fields, or 6 with seconds first;
/// weekday 0 and 7 are Sunday; names; `@hourly`, `@daily`, `@weekly`...
pub fn parse_schedule(expr: &str) -> Result<croner::Cron, String> {
    let trimmed = expr.trim();
    let fields = trimmed.split_whitespace().count();
    if !(trimmed.starts_with('@') || fields == 5 || fields == 6) {
        return Err(format!(
            "invalid cron expression {expr:?}: expected 5 fields (min hour day month weekday) or 6 with seconds first, found {fields}"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(trimmed)
        .map_err(|e| format!("invalid cron expression {expr:?}: {e}"))
}

struct Cx<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

type Span = Option<Range<usize>>;

impl Cx<'_> {
    fn problem(&mut self, span: &Span, message: impl Into<String>) {
        let offset = span.as_ref().map(|r| r.start).unwrap_or(0);
        let (line, col) = line_col(self.text, offset);
        self.problems.push(Problem {
            line,
            col,
            message: message.into(),
        });
    }

    fn config(&mut self, path: &Path, base_dir: &Path) -> Option<Config> {
        let doc = match toml_edit::Document::parse(self.text) {
            Ok(doc) => doc,
            Err(e) => {
                let msg = e.message().trim().to_string();
                self.problems_push_syntax(e.span(), &msg);
                return None;
            }
        };
        let root = doc.as_table();
        self.unknown_keys(root, TOP_KEYS, "the top level");

        let aggregator = match root.get("aggregator") {
            None => self.aggregator(None, &None),
            Some(item) => match item.as_table_like() {
                Some(t) => self.aggregator(Some(t), &item.span()),
                None => {
                    self.problem(&item.span(), "`aggregator` must be a table: [aggregator]");
                    None
                }
            },
        };

        let venues = self
            .tables(root, "venue")
            .into_iter()
            .filter_map(|(t, span)| self.venue(t, &span))
            .collect::<Vec<_>>();
        let mut seen = HashSet::new();
        for (t, _) in self.tables(root, "venue") {
            if let Some((id, span)) = str_of(t, "id") {
                if !seen.insert(id.to_string()) {
                    self.problem(&span, format!("duplicate venue id {id:?}"));
                }
            }
        }
        let categories = self
            .tables(root, "category")
            .into_iter()
            .filter_map(|(t, span)| self.category(t, &span))
            .collect::<Vec<_>>();
        let mut seen = HashSet::new();
        for (t, _) in self.tables(root, "category") {
            if let Some((slug, span)) = str_of(t, "slug") {
                if !seen.insert(slug.to_string()) {
                    self.problem(&span, format!("duplicate category slug {slug:?}"));
                }
            }
        }

        let venue_ids: HashSet<String> = venues.iter().map(|v| v.id.clone()).collect();
        let category_slugs: HashSet<String> = categories.iter().map(|c| c.slug.clone()).collect();
        let mut sources = Vec::new();
        let mut seen = HashSet::new();
        for (t, span) in self.tables(root, "source") {
            if let Some((id, id_span)) = str_of(t, "id") {
                if !seen.insert(id.to_string()) {
                    self.problem(&id_span, format!("duplicate source id {id:?}"));
                }
            }
            if let Some(s) = self.source(t, &span, base_dir, &venue_ids, &category_slugs) {
                sources.push(s);
            }
        }

        let mut source_ids: HashSet<String> = sources
            .iter()
            .map(|s: &SourceConfig| s.id.as_str().to_string())
            .collect();
        source_ids.insert(MANUAL_SOURCE.to_string());
        let network = self.network(root, base_dir, &source_ids, &category_slugs);
        let notify = match root.get("notify") {
            None => None,
            Some(item) => match item.as_table_like() {
                Some(t) => self.notify(t, &item.span(), base_dir),
                None => {
                    self.problem(&item.span(), "`notify` must be a table: [notify]");
                    None
                }
            },
        };

        Some(Config {
            path: path.to_path_buf(),
            aggregator: aggregator?,
            sources,
            venues,
            categories,
            territories_config: network.territories_config,
            territories: network.territories,
            calendars: network.calendars,
            notify,
        })
    }

    fn problems_push_syntax(&mut self, span: Span, msg: &str) {
        let msg = if msg.is_empty() {
            "invalid TOML".to_string()
        } else {
            format!("invalid TOML: {msg}")
        };
        self.problem(&span, msg);
    }

    fn unknown_keys(&mut self, t: &dyn TableLike, known: &[&str], section: &str) {
        for (k, _) in t.iter() {
            if !known.contains(&k) {
                let span = t.key(k).and_then(|k| k.span());
                self.problem(
                    &span,
                    format!(
                        "unknown key `{k}` in {section} (expected one of: {})",
                        known.join(", ")
                    ),
                );
            }
        }
    }

    /// The tables of `[[name]]`.
    fn tables<'d>(
        &mut self,
        root: &'d toml_edit::Table,
        name: &str,
    ) -> Vec<(&'d dyn TableLike, Span)> {
        match root.get(name) {
            None => Vec::new(),
            Some(Item::ArrayOfTables(aot)) => aot
                .iter()
                .map(|t| (t as &dyn TableLike, t.span()))
                .collect(),
            Some(Item::Value(Value::Array(arr))) => {
                let mut out = Vec::new();
                for v in arr.iter() {
                    match v.as_inline_table() {
                        Some(t) => out.push((t as &dyn TableLike, t.span())),
                        None => self.problem(&v.span(), format!("each `{name}` must be a table")),
                    }
                }
                out
            }
            Some(other) => {
                self.problem(
                    &other.span(),
                    format!("`{name}` must be an array of tables: [[{name}]]"),
                );
                Vec::new()
            }
        }
    }

    fn string(&mut self, t: &dyn TableLike, key: &str) -> Option<(String, Span)> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some((s.to_string(), item.span())),
            None => {
                self.problem(
                    &item.span(),
                    format!("`{key}` must be a string, not {}", kind(item)),
                );
                None
            }
        }
    }

    fn required(
        &mut self,
        t: &dyn TableLike,
        key: &str,
        span: &Span,
        section: &str,
    ) -> Option<(String, Span)> {
        if t.get(key).is_none() {
            self.problem(span, format!("{section} has no `{key}`"));
            return None;
        }
        let (s, sp) = self.string(t, key)?;
        if s.trim().is_empty() {
            self.problem(&sp, format!("`{key}` cannot be empty"));
            return None;
        }
        Some((s, sp))
    }

    fn strings(&mut self, t: &dyn TableLike, key: &str) -> Vec<(String, Span)> {
        let Some(item) = t.get(key) else {
            return Vec::new();
        };
        let Some(arr) = item.as_array() else {
            self.problem(&item.span(), format!("`{key}` must be an array of strings"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in arr.iter() {
            match v.as_str() {
                Some(s) => out.push((s.to_string(), v.span())),
                None => self.problem(&v.span(), format!("`{key}` must contain only strings")),
            }
        }
        out
    }

    fn integer(&mut self, t: &dyn TableLike, key: &str) -> Option<(i64, Span)> {
        let item = t.get(key)?;
        match item.as_integer() {
            Some(i) => Some((i, item.span())),
            None => {
                self.problem(
                    &item.span(),
                    format!("`{key}` must be an integer, not {}", kind(item)),
                );
                None
            }
        }
    }

    fn float(&mut self, t: &dyn TableLike, key: &str) -> Option<(f64, Span)> {
        let item = t.get(key)?;
        match (item.as_float(), item.as_integer()) {
            (Some(f), _) => Some((f, item.span())),
            (_, Some(i)) => Some((i as f64, item.span())),
            _ => {
                self.problem(
                    &item.span(),
                    format!("`{key}` must be a number, not {}", kind(item)),
                );
                None
            }
        }
    }

    fn boolean(&mut self, t: &dyn TableLike, key: &str) -> Option<bool> {
        let item = t.get(key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                self.problem(
                    &item.span(),
                    format!("`{key}` must be true or false, not {}", kind(item)),
                );
                None
            }
        }
    }

    fn schedule(&mut self, t: &dyn TableLike) -> Option<String> {
        let (expr, span) = self.string(t, "schedule")?;
        match parse_schedule(&expr) {
            Ok(_) => Some(expr),
            Err(e) => {
                self.problem(&span, e);
                None
            }
        }
    }

    fn notify(&mut self, t: &dyn TableLike, span: &Span, base_dir: &Path) -> Option<Notify> {
        if let Some(key) = ["smtp_password", "password"]
            .into_iter()
            .find(|k| t.contains_key(k))
        {
            let sp = t.key(key).and_then(|k| k.span());
            self.problem(
                &sp,
                format!("`{key}` is never read from the file: put the password in an environment variable and name it in `smtp_password_env`"),
            );
        }
        let known: Vec<&str> = NOTIFY_KEYS.to_vec();
        for (k, _) in t.iter() {
            if !known.contains(&k) && k != "smtp_password" && k != "password" {
                let sp = t.key(k).and_then(|k| k.span());
                self.problem(
                    &sp,
                    format!(
                        "unknown key `{k}` in [notify] (expected one of: {})",
                        NOTIFY_KEYS.join(", ")
                    ),
                );
            }
        }
        let mut after = std::time::Duration::from_secs(6 * 3600);
        if let Some((hours, sp)) = self.float(t, "after") {
            if !(0.0..=24.0 * 365.0).contains(&hours) {
                self.problem(&sp, "`after` must be a number of hours between 0 and 8760");
            } else {
                after = std::time::Duration::from_secs_f64(hours * 3600.0);
            }
        }
        if let Some((secs, sp)) = self.integer(t, "after_secs") {
            match u64::try_from(secs) {
                Ok(s) => after = std::time::Duration::from_secs(s),
                Err(_) => self.problem(&sp, "`after_secs` must not be negative"),
            }
        }
        let smtp = self.string(t, "smtp");
        let parsed = smtp.as_ref().and_then(|(u, sp)| {
            let ok = url::Url::parse(u).ok().filter(|p| {
                matches!(p.scheme(), "smtp" | "smtps")
                    && p.host_str().is_some_and(|h| !h.is_empty())
                    && p.username().is_empty()
                    && p.password().is_none()
                    && matches!(p.path(), "" | "/")
            });
            if ok.is_none() {
                self.problem(
                    sp,
                    format!("`smtp` {u:?} must be smtp://HOST[:PORT] or smtps://HOST[:PORT] (credentials go in `smtp_user` and `smtp_password_env`)"),
                );
            }
            ok
        });
        let tls_key = self.string(t, "smtp_tls").and_then(|(v, sp)| {
            let mode = match v.as_str() {
                "tls" => Some(SmtpTls::Implicit),
                "starttls" => Some(SmtpTls::StartTls),
                "none" => Some(SmtpTls::None),
                _ => None,
            };
            if mode.is_none() {
                self.problem(
                    &sp,
                    format!("`smtp_tls` {v:?} must be \"starttls\", \"tls\" or \"none\""),
                );
            }
            mode.map(|m| (m, sp))
        });
        let smtp_tls = match (&parsed, tls_key) {
            (Some(u), Some((mode, sp))) if u.scheme() == "smtps" && mode != SmtpTls::Implicit => {
                self.problem(
                    &sp,
                    format!(
                        "`smtp_tls` {:?} contradicts `smtp` smtps://, which is TLS from the first byte: use smtp://HOST for {:?}",
                        mode.as_str(),
                        mode.as_str()
                    ),
                );
                SmtpTls::Implicit
            }
            (Some(u), _) if u.scheme() == "smtps" => SmtpTls::Implicit,
            (_, Some((mode, _))) => mode,
            (Some(u), None) if is_loopback_host(u) => SmtpTls::None,
            _ => SmtpTls::StartTls,
        };
        let smtp_port = parsed
            .as_ref()
            .and_then(url::Url::port)
            .unwrap_or(smtp_tls.default_port());
        let smtp_user = self.string(t, "smtp_user");
        let smtp_password_env = self.string(t, "smtp_password_env");
        for (key, value) in [
            ("smtp_password_env", &smtp_password_env),
            ("username_env", &self.string(t, "username_env")),
            ("password_env", &self.string(t, "password_env")),
        ] {
            if let Some((name, sp)) = value {
                if !is_env_name(name) {
                    self.problem(
                        sp,
                        format!("`{key}` {name:?} must be the name of an environment variable (letters, digits and _, such as \"BABILLARD_SMTP_PASSWORD\"), not the secret itself"),
                    );
                }
            }
        }
        match (&smtp_user, &smtp_password_env) {
            (Some((_, sp)), None) => self.problem(
                sp,
                "[notify] has `smtp_user` but no `smtp_password_env` (the environment variable that holds the password)",
            ),
            (None, Some((_, sp))) => self.problem(
                sp,
                "[notify] has `smtp_password_env` but no `smtp_user`",
            ),
            _ => {}
        }
        if let (Some(_), Some(key)) = (
            &smtp_user,
            ["username_env", "password_env"]
                .into_iter()
                .find(|k| t.contains_key(k)),
        ) {
            let sp = t.key(key).and_then(|k| k.span());
            self.problem(
                &sp,
                format!("`{key}` and `smtp_user` both give credentials: keep `smtp_user` and `smtp_password_env`"),
            );
        }
        if smtp_tls == SmtpTls::None && smtp_user.is_some() {
            if let Some(u) = parsed.as_ref().filter(|u| !is_loopback_host(u)) {
                let sp = t.get("smtp_tls").and_then(Item::span);
                self.problem(
                    &sp,
                    format!(
                        "`smtp_tls = \"none\"` would send the password to {} in clear text: use \"starttls\" or \"tls\"",
                        u.host_str().unwrap_or_default()
                    ),
                );
            }
        }
        let smtp_ca_file = self.string(t, "smtp_ca_file").and_then(|(f, sp)| {
            let p = Path::new(&f);
            let p = if p.is_absolute() { p.to_path_buf() } else { base_dir.join(p) };
            match std::fs::read(&p) {
                Ok(bytes) if pem_certificates(&bytes) > 0 => Some(p),
                Ok(_) => {
                    self.problem(
                        &sp,
                        format!("`smtp_ca_file` {f:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
                    );
                    None
                }
                Err(e) => {
                    self.problem(
                        &sp,
                        format!("`smtp_ca_file` {f:?} cannot be read ({}): {e}", p.display()),
                    );
                    None
                }
            }
        });
        if smtp.is_none() {
            for key in ["smtp_tls", "smtp_user", "smtp_password_env", "smtp_ca_file"] {
                if let Some(k) = t.key(key) {
                    self.problem(&k.span(), format!("`{key}` is set but `smtp` is not"));
                }
            }
        }
        let from = self.string(t, "from");
        let to: Vec<String> = self.strings(t, "to").into_iter().map(|(s, _)| s).collect();
        if smtp.is_some() {
            if from.is_none() {
                self.problem(span, "[notify] has `smtp` but no `from`");
            }
            if to.is_empty() {
                self.problem(
                    span,
                    "[notify] has `smtp` but no `to` (a list of addresses)",
                );
            }
        }
        for key in ["from"] {
            if let Some((a, sp)) = &from {
                if a.parse::<lettre::message::Mailbox>().is_err() {
                    self.problem(sp, format!("`{key}` {a:?} is not an e-mail address"));
                }
            }
        }
        if let Some(item) = t.get("to") {
            for a in &to {
                if a.parse::<lettre::message::Mailbox>().is_err() {
                    self.problem(&item.span(), format!("`to` {a:?} is not an e-mail address"));
                }
            }
        }
        let webhook = self.string(t, "webhook");
        if let Some((u, sp)) = &webhook {
            if !url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) {
                self.problem(sp, format!("`webhook` {u:?} must be an http(s) URL"));
            }
        }
        let digest = self.digest(t, smtp.is_some() || webhook.is_some());
        Some(Notify {
            after,
            smtp: smtp.map(|(s, _)| s),
            smtp_tls,
            smtp_port,
            smtp_user: smtp_user.map(|(s, _)| s),
            smtp_password_env: smtp_password_env.map(|(s, _)| s),
            smtp_ca_file,
            username_env: self.string(t, "username_env").map(|(s, _)| s),
            password_env: self.string(t, "password_env").map(|(s, _)| s),
            from: from.map(|(s, _)| s),
            to,
            webhook: webhook.map(|(s, _)| s),
            digest,
        })
    }

    /// `digest`, `digest_day`, `digest_hour` of `[notify]`.
    fn digest(&mut self, t: &dyn TableLike, can_send: bool) -> Option<DigestSchedule> {
        let on = match self.string(t, "digest") {
            None => false,
            Some((v, sp)) => match v.as_str() {
                "weekly" => true,
                "off" => false,
                _ => {
                    self.problem(&sp, format!("`digest` {v:?} must be \"weekly\" or \"off\""));
                    false
                }
            },
        };
        let mut schedule = DigestSchedule {
            day: chrono::Weekday::Mon,
            hour: 8,
        };
        if let Some((d, sp)) = self.string(t, "digest_day") {
            match weekday(&d) {
                Some(day) => schedule.day = day,
                None => self.problem(
                    &sp,
                    format!("`digest_day` {d:?} is not a day of the week (\"monday\" or \"lundi\", ... \"sunday\" or \"dimanche\")"),
                ),
            }
        }
        if let Some((h, sp)) = self.integer(t, "digest_hour") {
            match u32::try_from(h).ok().filter(|h| *h < 24) {
                Some(h) => schedule.hour = h,
                None => self.problem(&sp, "`digest_hour` must be an hour between 0 and 23"),
            }
        }
        if on && !can_send {
            let sp = t.get("digest").and_then(Item::span);
            self.problem(
                &sp,
                "`digest = \"weekly\"` needs `smtp` or `webhook` to send it",
            );
        }
        on.then_some(schedule)
    }

    fn aggregator(&mut self, t: Option<&dyn TableLike>, span: &Span) -> Option<Aggregator> {
        let _ = span;
        let mut agg = Aggregator {
            name: "babillard".to_string(),
            base_url: "http://127.0.0.1:8080".to_string(),
            timezone: Tz::UTC,
            languages: vec!["fr".to_string(), "en".to_string()],
            horizon_days: 365,
            schedule: "*/30 * * * *".to_string(),
            data_dir: None,
            allow_private_networks: false,
            geocoder: None,
            source_timeout: std::time::Duration::from_secs(DEFAULT_SOURCE_TIMEOUT),
            keep_fetch_log_days: 30,
            keep_past_days: 90,
            max_body_bytes: None,
        };
        let Some(t) = t else {
            return Some(agg);
        };
        self.unknown_keys(t, AGGREGATOR_KEYS, "[aggregator]");
        let mut ok = true;
        if let Some((name, _)) = self.string(t, "name") {
            agg.name = name;
        }
        if let Some((url, sp)) = self.string(t, "base_url") {
            match url::Url::parse(&url) {
                Ok(u) if u.scheme() == "http" || u.scheme() == "https" => agg.base_url = url,
                _ => {
                    self.problem(
                        &sp,
                        format!("base_url {url:?} must be an absolute http(s) URL"),
                    );
                    ok = false;
                }
            }
        }
        if let Some((tz, sp)) = self.string(t, "timezone") {
            match Tz::from_str(&tz) {
                Ok(z) => agg.timezone = z,
                Err(_) => {
                    self.problem(&sp, format!("unknown time zone {tz:?} (expected an IANA name such as \"America/Toronto\")"));
                    ok = false;
                }
            }
        }
        if t.get("languages").is_some() {
            let langs = self.strings(t, "languages");
            let mut out = Vec::new();
            for (l, sp) in langs {
                if is_language(&l) {
                    out.push(l.to_ascii_lowercase());
                } else {
                    self.problem(
                        &sp,
                        format!("{l:?} is not a language code such as \"fr\" or \"en\""),
                    );
                    ok = false;
                }
            }
            if out.is_empty() {
                let sp = t.get("languages").and_then(Item::span);
                self.problem(&sp, "`languages` needs at least one language");
                ok = false;
            }
            agg.languages = out;
        }
        if let Some((days, sp)) = self.integer(t, "horizon_days") {
            if (1..=3660).contains(&days) {
                agg.horizon_days = days as u32;
            } else {
                self.problem(&sp, "`horizon_days` must be between 1 and 3660");
                ok = false;
            }
        }
        if t.get("schedule").is_some() {
            match self.schedule(t) {
                Some(s) => agg.schedule = s,
                None => ok = false,
            }
        }
        if let Some((dir, _)) = self.string(t, "data_dir") {
            agg.data_dir = Some(PathBuf::from(dir));
        }
        if let Some(b) = self.boolean(t, "allow_private_networks") {
            agg.allow_private_networks = b;
        }
        if let Some((url, sp)) = self.string(t, "geocoder") {
            match url::Url::parse(&url) {
                Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.has_host() => {
                    agg.geocoder = Some(url)
                }
                _ => {
                    self.problem(
                        &sp,
                        format!("geocoder {url:?} must be an absolute http(s) URL"),
                    );
                    ok = false;
                }
            }
        }
        if let Some(secs) = self.seconds(t, "source_timeout") {
            agg.source_timeout = secs;
        } else if t.get("source_timeout").is_some() {
            ok = false;
        }
        for (key, slot) in [
            ("keep_fetch_log_days", &mut agg.keep_fetch_log_days),
            ("keep_past_days", &mut agg.keep_past_days),
        ] {
            if let Some((days, sp)) = self.integer(t, key) {
                if (1..=36600).contains(&days) {
                    *slot = days as u32;
                } else {
                    self.problem(&sp, format!("`{key}` must be between 1 and 36600 days"));
                    ok = false;
                }
            }
        }
        if let Some(bytes) = self.megabytes(t, "max_body_mb") {
            agg.max_body_bytes = Some(bytes);
        } else if t.get("max_body_mb").is_some() {
            ok = false;
        }
        ok.then_some(agg)
    }

    /// A size in megabytes (MiB, may be fractional), more than 0 and at
    /// most [`MAX_BODY_MB`]; in bytes.
    fn megabytes(&mut self, t: &dyn TableLike, key: &str) -> Option<usize> {
        let (mb, sp) = self.float(t, key)?;
        if mb > 0.0 && mb <= MAX_BODY_MB as f64 {
            Some((mb * 1024.0 * 1024.0).round() as usize)
        } else {
            self.problem(
                &sp,
                format!(
                    "`{key}` must be a number of megabytes more than 0 and at most {MAX_BODY_MB}"
                ),
            );
            None
        }
    }

    /// A time budget in whole seconds, 1 to 86400.
    fn seconds(&mut self, t: &dyn TableLike, key: &str) -> Option<std::time::Duration> {
        let (secs, sp) = self.integer(t, key)?;
        if (1..=86_400).contains(&secs) {
            Some(std::time::Duration::from_secs(secs as u64))
        } else {
            self.problem(
                &sp,
                format!("`{key}` must be a number of seconds between 1 and 86400"),
            );
            None
        }
    }

    fn source(
        &mut self,
        t: &dyn TableLike,
        span: &Span,
        base_dir: &Path,
        venues: &HashSet<String>,
        categories: &HashSet<String>,
    ) -> Option<SourceConfig> {
        self.unknown_keys(t, SOURCE_KEYS, "[[source]]");
        let before = self.problems.len();
        let id = self
            .required(t, "id", span, "this [[source]]")
            .and_then(|(id, sp)| match SourceId::new(id) {
                Ok(id) if id.as_str() == MANUAL_SOURCE => {
                    self.problem(
                        &sp,
                        format!("source id {MANUAL_SOURCE:?} is reserved for the events entered by hand in the console"),
                    );
                    None
                }
                Ok(id) => Some(id),
                Err(e) => {
                    self.problem(&sp, format!("{e}"));
                    None
                }
            });
        let name = self.string(t, "name").map(|(n, _)| n);
        let kind = self
            .string(t, "kind")
            .and_then(|(k, sp)| match SourceKind::from_name(&k) {
                Some(k) => Some(k),
                None => {
                    let expected = either(&ingest::kind::names().collect::<Vec<_>>());
                    self.problem(&sp, format!("unknown kind {k:?} (expected {expected})"));
                    None
                }
            });
        let url = self.required(t, "url", span, "this [[source]]").and_then(|(u, sp)| {
            let lower = u.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                match url::Url::parse(&u) {
                    Ok(parsed) if parsed.host_str().is_some() => Some(u),
                    _ => {
                        self.problem(&sp, format!("url {u:?} is not a valid http(s) URL"));
                        None
                    }
                }
            } else if lower.contains("://") {
                self.problem(&sp, format!("url {u:?} must be an http(s) URL or a file path"));
                None
            } else {
                let p = Path::new(&u);
                let p = if p.is_absolute() { p.to_path_buf() } else { base_dir.join(p) };
                if p.is_file() {
                    Some(p.display().to_string())
                } else {
                    self.problem(&sp, format!("url {u:?} is neither an http(s) URL nor an existing file ({} not found)", p.display()));
                    None
                }
            }
        });
        let schedule = if t.get("schedule").is_some() {
            self.schedule(t)
        } else {
            None
        };
        let priority = self
            .integer(t, "priority")
            .map(|(p, _)| p.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
            .unwrap_or(0);
        let lang = self.string(t, "lang").and_then(|(l, sp)| {
            if is_language(&l) {
                Some(l.to_ascii_lowercase())
            } else {
                self.problem(
                    &sp,
                    format!("lang {l:?} is not a language code such as \"fr\" or \"en\""),
                );
                None
            }
        });
        let mut cats = Vec::new();
        for (c, sp) in self.strings(t, "categories") {
            if !categories.contains(&c) {
                self.problem(
                    &sp,
                    format!("unknown category {c:?}: no [[category]] has this slug"),
                );
            } else {
                cats.push(c);
            }
        }
        let venue = self.string(t, "venue").and_then(|(v, sp)| {
            if venues.contains(&v) {
                Some(v)
            } else {
                self.problem(
                    &sp,
                    format!("unknown venue {v:?}: no [[venue]] has this id"),
                );
                None
            }
        });
        let enabled = self.boolean(t, "enabled").unwrap_or(true);
        let timeout = self.seconds(t, "timeout");
        let max_body_bytes = self.megabytes(t, "max_body_mb");
        let selectors = match t.get("selectors") {
            None => None,
            Some(item) => match item.as_table_like() {
                Some(st) => Some(self.selectors(st)),
                None => {
                    self.problem(
                        &item.span(),
                        "`selectors` must be a table: [source.selectors]",
                    );
                    None
                }
            },
        };
        if self.problems.len() != before {
            return None;
        }
        let id = id?;
        Some(SourceConfig {
            name: name.unwrap_or_else(|| id.to_string()),
            id,
            kind,
            url: url?,
            schedule,
            priority,
            lang,
            categories: cats,
            venue,
            enabled,
            selectors,
            timeout,
            max_body_bytes,
        })
    }

    fn selectors(&mut self, t: &dyn TableLike) -> Selectors {
        self.unknown_keys(t, SELECTOR_KEYS, "[source.selectors]");
        let mut get = |k: &str| self.string(t, k).map(|(s, _)| s);
        Selectors {
            event: get("event"),
            title: get("title"),
            start: get("start"),
            end: get("end"),
            location: get("location"),
            url: get("url"),
            description: get("description"),
            image: get("image"),
            date_format: get("date_format"),
        }
    }

    fn venue(&mut self, t: &dyn TableLike, span: &Span) -> Option<VenueConfig> {
        self.unknown_keys(t, VENUE_KEYS, "[[venue]]");
        let before = self.problems.len();
        let id = self
            .required(t, "id", span, "this [[venue]]")
            .and_then(|(id, sp)| {
                if is_slug(&id) {
                    Some(id)
                } else {
                    self.problem(
                        &sp,
                        format!("venue id {id:?} must contain only a-z, 0-9 and '-'"),
                    );
                    None
                }
            });
        let name = self
            .required(t, "name", span, "this [[venue]]")
            .map(|(n, _)| n);
        let aliases = self
            .strings(t, "aliases")
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let address = self.string(t, "address").map(|(a, _)| a);
        let city = self.string(t, "city").map(|(a, _)| a);
        let lat = self.float(t, "lat").and_then(|(v, sp)| {
            if (-90.0..=90.0).contains(&v) {
                Some(v)
            } else {
                self.problem(&sp, "`lat` must be between -90 and 90");
                None
            }
        });
        let lon = self.float(t, "lon").and_then(|(v, sp)| {
            if (-180.0..=180.0).contains(&v) {
                Some(v)
            } else {
                self.problem(&sp, "`lon` must be between -180 and 180");
                None
            }
        });
        if lat.is_some() != lon.is_some() {
            self.problem(span, "a venue needs both `lat` and `lon`, or neither");
        }
        if self.problems.len() != before {
            return None;
        }
        Some(VenueConfig {
            id: id?,
            name: name?,
            aliases,
            address,
            city,
            lat,
            lon,
        })
    }

    fn category(&mut self, t: &dyn TableLike, span: &Span) -> Option<CategoryConfig> {
        self.unknown_keys(t, CATEGORY_KEYS, "[[category]]");
        let before = self.problems.len();
        let slug = self
            .required(t, "slug", span, "this [[category]]")
            .and_then(|(s, sp)| {
                if is_slug(&s) {
                    Some(s)
                } else {
                    self.problem(
                        &sp,
                        format!("category slug {s:?} must contain only a-z, 0-9 and '-'"),
                    );
                    None
                }
            });
        let names = self.names(t, span, "category");
        let matches = self
            .strings(t, "matches")
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        if self.problems.len() != before {
            return None;
        }
        Some(CategoryConfig {
            slug: slug?,
            name: names?,
            matches,
        })
    }
}

fn str_of<'t>(t: &'t dyn TableLike, key: &str) -> Option<(&'t str, Span)> {
    let item = t.get(key)?;
    Some((item.as_str()?, item.span()))
}

/// `a, b or c`.
fn either(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(Value::String(_)) => "a string",
        Item::Value(Value::Integer(_)) => "an integer",
        Item::Value(Value::Float(_)) => "a float",
        Item::Value(Value::Boolean(_)) => "a boolean",
        Item::Value(Value::Datetime(_)) => "a date",
        Item::Value(Value::Array(_)) => "an array",
        Item::Value(Value::InlineTable(_)) | Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// True when `url`'s host is a loopback address or `localhost`.
fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        // smtp:// is not a special scheme: its hosts are opaque, an IPv4
        // address included.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
        }
        None => false,
    }
}

/// A plausible environment variable name.
fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// How many PEM certificates `bytes` holds.
pub fn pem_certificates(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes)
        .matches("-----BEGIN CERTIFICATE-----")
        .count()
}

/// A day of the week, in English or French, full or in three letters.
fn weekday(s: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    let lower = s.trim().to_lowercase();
    let day = match lower.as_str() {
        "monday" | "mon" | "lundi" | "lun" => Mon,
        "tuesday" | "tue" | "mardi" | "mar" => Tue,
        "wednesday" | "wed" | "mercredi" | "mer" => Wed,
        "thursday" | "thu" | "jeudi" | "jeu" => Thu,
        "friday" | "fri" | "vendredi" | "ven" => Fri,
        "saturday" | "sat" | "samedi" | "sam" => Sat,
        "sunday" | "sun" | "dimanche" | "dim" => Sun,
        _ => return None,
    };
    Some(day)
}

fn is_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Where the value of `key` of the `[[source]]` whose id is `id` starts in
/// `text` (1-based line and column), for messages about a source that the
/// configuration accepted (`check`'s online warnings).
pub fn source_value_position(text: &str, id: &str, key: &str) -> Option<(usize, usize)> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let sources = doc.get("source")?.as_array_of_tables()?;
    let table = sources
        .iter()
        .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))?;
    let span = table.get(key)?.span()?;
    Some(line_col(text, span.start))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut line = 1;
    let mut line_start = 0;
    for (i, b) in text.bytes().enumerate() {
        if i >= offset {
            break;
        }
        if b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = text
        .get(line_start..offset)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.toml");
        match Config::parse(text, &path) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_repository_config_is_valid_and_mentions_every_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sources.toml");
        let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!config.sources.is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        for key in AGGREGATOR_KEYS
            .iter()
            .chain(SOURCE_KEYS)
            .chain(SELECTOR_KEYS)
            .chain(VENUE_KEYS)
            .chain(CATEGORY_KEYS)
            .chain(TERRITORY_KEYS)
            .chain(CALENDAR_KEYS)
        {
            assert!(
                text.contains(&format!("{key} ="))
                    || text.contains(&format!("{key}="))
                    || text.contains(&format!("[source.{key}]")),
                "sources.toml never shows `{key}`"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_position() {
        let text = r#"[aggregator]
name = "Test"
timezone = "America/Nowhere"
colour = "red"

[[source]]
id = "Bad_Id"
url = "https://example.org/a.ics"
schedule = "61 * * * *"

[[source]]
id = "ok"
url = "ftp://example.org/x"
venue = "nope"
unknown = 1

[[source]]
id = "ok"
url = "missing-file.ics"
categories = ["nope"]

[[category]]
slug = "musique"
"#;
        let p = problems(text);
        let joined = p.join("\n");
        assert!(
            joined.contains("3:12: unknown time zone \"America/Nowhere\""),
            "{joined}"
        );
        assert!(
            joined.contains("4:1: unknown key `colour` in [aggregator]"),
            "{joined}"
        );
        assert!(joined.contains("7:6: source id \"Bad_Id\""), "{joined}");
        assert!(joined.contains("9:12: invalid cron expression"), "{joined}");
        assert!(
            joined.contains(
                "13:7: url \"ftp://example.org/x\" must be an http(s) URL or a file path"
            ),
            "{joined}"
        );
        assert!(joined.contains("14:9: unknown venue \"nope\""), "{joined}");
        assert!(
            joined.contains("15:1: unknown key `unknown` in [[source]]"),
            "{joined}"
        );
        assert!(
            joined.contains("18:6: duplicate source id \"ok\""),
            "{joined}"
        );
        assert!(
            joined.contains("19:7: url \"missing-file.ics\" is neither"),
            "{joined}"
        );
        assert!(
            joined.contains("20:15: unknown category \"nope\""),
            "{joined}"
        );
        assert!(joined.contains("has no `name`"), "{joined}");
        assert_eq!(p.len(), 11, "{joined}");
    }

    #[test]
    fn bad_toml_is_reported_with_its_position() {
        let p = problems("[aggregator]\nname = \"x\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("2:"), "{p:?}");
        assert!(p[0].contains("invalid TOML"), "{p:?}");
    }

    #[test]
    fn schedules_speak_unix_cron() {
        for ok in [
            "*/30 * * * *",
            "0 * * * *",
            "0 8 * * 0",
            "0 8 * * 7",
            "0 8 * * Mon-Fri",
            "0 0 8 * * *",
            "@hourly",
            "@daily",
            "@weekly",
        ] {
            assert!(
                parse_schedule(ok).is_ok(),
                "{ok}: {:?}",
                parse_schedule(ok).err()
            );
        }
        for bad in [
            "* * * *",
            "61 * * * *",
            "0 25 * * *",
            "nonsense",
            "0 0 0 * * * 2026",
        ] {
            assert!(parse_schedule(bad).is_err(), "{bad}");
        }
        // Weekday 0 and 7 are Sunday, as in Unix cron.
        let tz = Tz::America__Toronto;
        let from = chrono::TimeZone::with_ymd_and_hms(&tz, 2026, 11, 23, 0, 0, 0).unwrap(); // a Monday
        for expr in ["0 8 * * 0", "0 8 * * 7", "0 8 * * sun"] {
            let next = parse_schedule(expr)
                .unwrap()
                .find_next_occurrence(&from, false)
                .unwrap();
            assert_eq!(next.format("%a %H:%M").to_string(), "Sun 08:00", "{expr}");
        }
    }

    #[test]
    fn sources_resolve_relative_paths_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.ics"),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let path = dir.path().join("sources.toml");
        let c = Config::parse("[[source]]\nid = \"a\"\nurl = \"a.ics\"\n", &path).unwrap();
        assert_eq!(
            c.sources[0].url,
            dir.path().join("a.ics").display().to_string()
        );
        assert_eq!(c.sources[0].name, "a");
        assert!(c.sources[0].enabled);
        assert_eq!(c.aggregator.languages, vec!["fr", "en"]);
        assert_eq!(c.aggregator.geocoder, None);
    }

    #[test]
    fn the_geocoder_must_be_an_http_url() {
        let bad = problems("[aggregator]\ngeocoder = \"ftp://geo.example.org\"\n");
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].starts_with("2:12: geocoder"), "{bad:?}");
        assert_eq!(
            problems("[aggregator]\ngeocoder = \"nominatim\"\n").len(),
            1
        );
        assert!(problems("[aggregator]\ngeocoder = \"https://geo.example.org/\"\n").is_empty());
    }
}
