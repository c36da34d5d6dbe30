//! Telling the staff (`[notify]`): when a source has been failing, or
//! reading without error but giving nothing where something was expected
//! (see [`index::SourceStatus::needs_attention`]), for longer than
//! `after`, ONE message (French first, then English) by e-mail and/or
//! webhook; ONE more when it recovers. The state of each source (since
//! when it is down, whether the staff were told) is kept in the store, so a
//! restart neither forgets nor repeats.
//!
//! Timing follows the system clock, not the pipeline's (which tests fix to
//! the fixtures' day).
//!
//! E-mail goes through `smtp` as `[notify] smtp_tls` says ([`SmtpTls`]):
//! TLS from the first byte (`smtps://`, port 465), STARTTLS required
//! (`smtp://`, port 587: a server that does not offer it is not used), or
//! plain text (the default only on loopback, for a local MTA). Certificates
//! are always checked, against the system's roots plus `smtp_ca_file`.
//!
//! With `digest = "weekly"`, one more message a week ([`Notifier::digest`],
//! [`digest_loop`]): the sources failing or silent now and since when, those
//! that recovered, the events new and updated, the warnings. When the last
//! one went is kept in the store (under [`DIGEST_STATE`]), so that a restart
//! neither sends it again nor skips one ([`digest_due`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use chrono_tz::Tz;
use index::Index;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::{Config, DigestSchedule, Notify, SmtpTls};

/// The key, among the notifier's states of sources (which are
/// `[a-z0-9-]+`), of the weekly digest's: when the last one went.
pub const DIGEST_STATE: &str = "#digest";

/// The longest the digest task sleeps between two looks at the clock (a
/// new configuration is followed within it).
const DIGEST_LOOK: Duration = Duration::from_secs(600);

/// How long one delivery may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// What a run said of a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    Good,
    /// Failing or silent, and why.
    Bad(String),
}

/// What is kept per source while it is down.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Down {
    since: DateTime<Utc>,
    why: String,
    /// The failure message was sent.
    told: bool,
}

/// Sends the messages of `[notify]`.
pub struct Notifier {
    settings: Notify,
    index: Arc<Index>,
    /// The aggregator's name, in subjects.
    name: String,
    http: Option<reqwest::Client>,
    /// Serializes the read-modify-write of a source's state.
    lock: tokio::sync::Mutex<()>,
}

/// Why a message could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("e-mail: {0}")]
    Mail(String),
    #[error("webhook {url}: {message}")]
    Webhook { url: String, message: String },
    #[error("the store: {0}")]
    Store(String),
}

impl Notifier {
    pub fn new(settings: Notify, index: Arc<Index>, name: &str) -> Notifier {
        let http = settings.webhook.as_ref().and_then(|_| {
            // reqwest is built without a default crypto provider.
            let _ = rustls::crypto::ring::default_provider().install_default();
            match reqwest::Client::builder().timeout(SEND_TIMEOUT).build() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!("[notify] webhook off: cannot build an HTTP client: {e}");
                    None
                }
            }
        });
        Notifier {
            settings,
            index,
            name: name.to_string(),
            http,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Take what a run of `source` said; send what is due. Never fails:
    /// a delivery that fails is logged and tried again at the next run.
    pub async fn observe(&self, source: &str, source_name: &str, health: Health) {
        let _guard = self.lock.lock().await;
        let now = Utc::now();
        let before = self.load(source).await;
        match (health, before) {
            (Health::Good, None) => {}
            (Health::Good, Some(down)) => {
                if down.told {
                    let (subject, text) = recovered(&self.name, source, source_name, &down, now);
                    let json = serde_json::json!({
                        "event": "recovered",
                        "source": source,
                        "name": source_name,
                        "since": down.since,
                        "text": text,
                    });
                    if let Err(e) = self.send(&subject, &text, &json).await {
                        tracing::error!(source, "[notify] recovery message not sent: {e}");
                        return;
                    }
                }
                self.save(source, None).await;
            }
            (Health::Bad(why), before) => {
                let mut down = before.unwrap_or(Down {
                    since: now,
                    why: why.clone(),
                    told: false,
                });
                down.why = why;
                let due = (now - down.since).to_std().unwrap_or_default() >= self.settings.after;
                if !down.told && due {
                    let (subject, text) = failing(&self.name, source, source_name, &down, now);
                    let json = serde_json::json!({
                        "event": "failing",
                        "source": source,
                        "name": source_name,
                        "since": down.since,
                        "reason": down.why,
                        "text": text,
                    });
                    match self.send(&subject, &text, &json).await {
                        Ok(()) => down.told = true,
                        Err(e) => tracing::error!(source, "[notify] failure message not sent: {e}"),
                    }
                }
                self.save(source, Some(&down)).await;
            }
        }
    }

    async fn load(&self, source: &str) -> Option<Down> {
        let index = Arc::clone(&self.index);
        let id = source.to_string();
        let text = tokio::task::spawn_blocking(move || index.notice_state(&id))
            .await
            .ok()?
            .map_err(|e| tracing::error!("[notify] cannot read the state of {source}: {e}"))
            .ok()??;
        serde_json::from_str(&text)
            .map_err(|e| tracing::warn!("[notify] state of {source} unreadable, started anew: {e}"))
            .ok()
    }

    async fn save(&self, source: &str, down: Option<&Down>) {
        let index = Arc::clone(&self.index);
        let id = source.to_string();
        let text = down.and_then(|d| serde_json::to_string(d).ok());
        let saved =
            tokio::task::spawn_blocking(move || index.set_notice_state(&id, text.as_deref())).await;
        match saved {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("[notify] cannot keep the state of {source}: {e}"),
            Err(e) => tracing::error!("[notify] cannot keep the state of {source}: {e}"),
        }
    }

    /// Deliver through every configured channel; Ok when at least one
    /// took the message (or none is configured).
    async fn send(
        &self,
        subject: &str,
        text: &str,
        json: &serde_json::Value,
    ) -> Result<(), NotifyError> {
        let mut sent = false;
        let mut last = None;
        if self.settings.smtp.is_some() {
            match self.mail(subject, text).await {
                Ok(()) => sent = true,
                Err(e) => {
                    tracing::error!("[notify] {e}");
                    last = Some(e);
                }
            }
        }
        if let (Some(url), Some(http)) = (&self.settings.webhook, &self.http) {
            let answer = http
                .post(url)
                .header("content-type", "application/json")
                .body(json.to_string())
                .send()
                .await;
            match answer.map(|r| r.status()) {
                Ok(s) if s.is_success() => sent = true,
                Ok(s) => {
                    last = Some(NotifyError::Webhook {
                        url: url.clone(),
                        message: format!("HTTP status {s}"),
                    })
                }
                Err(e) => {
                    last = Some(NotifyError::Webhook {
                        url: url.clone(),
                        message: e.to_string(),
                    })
                }
            }
        }
        match (sent, last) {
            (false, Some(e)) => Err(e),
            _ => Ok(()),
        }
    }

    async fn mail(&self, subject: &str, text: &str) -> Result<(), NotifyError> {
        let smtp = self.settings.smtp.as_deref().unwrap_or_default();
        let how = format!("{smtp} ({})", tls_words(self.settings.smtp_tls));
        let err = |e: &dyn std::fmt::Display| NotifyError::Mail(format!("{how}: {e}"));
        let transport = transport(&self.settings).map_err(|e| err(&e))?;
        let from = self.settings.from.as_deref().unwrap_or_default();
        let mut message = Message::builder()
            .from(from.parse().map_err(|e| err(&e))?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        for to in &self.settings.to {
            message = message.to(to.parse().map_err(|e| err(&e))?);
        }
        let message = message.body(text.to_string()).map_err(|e| err(&e))?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| err(&error_chain(&e)))
    }
}

/// What `smtp_tls` means, in a log line.
fn tls_words(tls: SmtpTls) -> &'static str {
    match tls {
        SmtpTls::Implicit => "TLS",
        SmtpTls::StartTls => "STARTTLS required",
        SmtpTls::None => "no TLS",
    }
}

/// `e` and its sources, joined with ": ", without repeats.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// The SMTP transport of `[notify]`: its host and port, its TLS (with the
/// certificates of `smtp_ca_file` trusted besides the system's), its
/// credentials.
fn transport(settings: &Notify) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let smtp = settings.smtp.as_deref().unwrap_or_default();
    let url = url::Url::parse(smtp).map_err(|e| e.to_string())?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        None => return Err("no host".to_string()),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
        .port(settings.smtp_port)
        .timeout(Some(SEND_TIMEOUT));
    if settings.smtp_tls != SmtpTls::None {
        // lettre builds its TLS on the process's rustls provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut params = TlsParameters::builder(host.clone());
        if let Some(file) = &settings.smtp_ca_file {
            let pem =
                std::fs::read(file).map_err(|e| format!("smtp_ca_file {}: {e}", file.display()))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("smtp_ca_file {}: {e}", file.display()))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| format!("TLS: {}", error_chain(&e)))?;
        builder = builder.tls(match settings.smtp_tls {
            SmtpTls::Implicit => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    let env = |name: &Option<String>| name.as_ref().and_then(|n| std::env::var(n).ok());
    if let (Some(user), Some(var)) = (&settings.smtp_user, &settings.smtp_password_env) {
        let password = std::env::var(var).map_err(|_| {
            format!("the environment variable {var} (named by `smtp_password_env`) is not set: it holds the SMTP password")
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    } else if let (Some(user), Some(pass)) =
        (env(&settings.username_env), env(&settings.password_env))
    {
        builder = builder.credentials(Credentials::new(user, pass));
    }
    Ok(builder.build())
}

/// What the weekly digest says, built by [`Notifier::digest`].
#[derive(Clone, Debug, PartialEq)]
pub struct Digest {
    pub subject: String,
    /// French, then English.
    pub text: String,
    /// What the webhook gets.
    pub json: serde_json::Value,
    /// The week it covers: from the last digest (or 7 days back) to now.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// What is kept of the digest in the store.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct DigestState {
    /// When the last digest went (or, before the first, when the schedule
    /// started).
    last: DateTime<Utc>,
}

/// One source in the digest.
#[derive(Clone, Debug, Serialize)]
struct Line {
    source: String,
    name: String,
    /// Failing or silent since then (None: not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_success: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
    #[serde(skip_serializing_if = "is_zero")]
    new: usize,
    #[serde(skip_serializing_if = "is_zero")]
    updated: usize,
    /// Warnings beyond the one in `detail`.
    #[serde(skip_serializing_if = "is_zero")]
    more: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The languages of a message, French first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Fr,
    En,
}

impl Notifier {
    /// The digest for the week ending `now` (see the module doc); nothing
    /// is sent or kept.
    pub async fn digest(&self, config: &Config, now: DateTime<Utc>) -> Result<Digest, NotifyError> {
        let last = self.load_digest().await;
        let from = match last {
            Some(s) if s.last < now => s.last,
            _ => now - chrono::Duration::days(7),
        };
        let index = Arc::clone(&self.index);
        let read = tokio::task::spawn_blocking(move || {
            let sources = index.sources()?;
            let runs = index.runs_since(from)?;
            Ok::<_, index::IndexError>((sources, runs))
        })
        .await
        .map_err(|e| NotifyError::Store(e.to_string()))?
        .map_err(|e| NotifyError::Store(e.to_string()))?;
        let (sources, runs) = read;
        let enabled: std::collections::HashSet<&str> = config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| s.id.as_str())
            .chain(std::iter::once(crate::config::MANUAL_SOURCE))
            .collect();
        let (mut failing, mut recovered, mut changed, mut warned) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut new, mut updated) = (0, 0);
        for s in sources.iter().filter(|s| enabled.contains(s.id.as_str())) {
            let ran = runs.iter().find(|r| r.source == s.id);
            let line = |detail: String| Line {
                source: s.id.clone(),
                name: s.name.clone(),
                since: None,
                last_success: s.last_success_at,
                detail,
                new: ran.map_or(0, |r| r.new),
                updated: ran.map_or(0, |r| r.updated),
                more: 0,
            };
            if let Some(r) = ran {
                new += r.new;
                updated += r.updated;
                if r.new + r.updated > 0 {
                    changed.push(line(String::new()));
                }
            }
            if s.status == "error" || s.needs_attention() {
                let why = s
                    .last_error
                    .clone()
                    .filter(|_| s.status == "error")
                    .unwrap_or_else(|| s.warnings.join(" | "));
                let mut l = line(why);
                l.since = self.load(&s.id).await.map(|d| d.since);
                failing.push(l);
            } else if ran.is_some_and(|r| r.failed > 0) && s.status == "ok" {
                recovered.push(line(String::new()));
            }
            if s.status == "ok" && !s.needs_attention() && !s.warnings.is_empty() {
                let more = s.warnings.len() - 1;
                let first = s.warnings.first().cloned().unwrap_or_default();
                let mut l = line(first);
                l.more = more;
                warned.push(l);
            }
        }
        let tz = config.aggregator.timezone;
        let name = &config.aggregator.name;
        let mut text = String::new();
        for (i, lang) in [Lang::Fr, Lang::En].into_iter().enumerate() {
            if i > 0 {
                text.push_str("\n---\n\n");
            }
            text.push_str(&digest_text(
                lang, name, tz, from, now, &failing, &recovered, &changed, &warned, new, updated,
            ));
        }
        let subject = format!(
            "[{name}] Bilan de la semaine : {} source(s) à vérifier / Weekly digest: {} source(s) to check",
            failing.len(),
            failing.len()
        );
        let json = serde_json::json!({
            "event": "digest",
            "from": from,
            "to": now,
            "failing": failing,
            "recovered": recovered,
            "changed": changed,
            "warnings": warned,
            "new": new,
            "updated": updated,
            "text": text,
        });
        Ok(Digest {
            subject,
            text,
            json,
            from,
            to: now,
        })
    }

    /// Build the digest for the week ending `now`, send it, and remember
    /// that it went.
    pub async fn send_digest(
        &self,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<Digest, NotifyError> {
        let _guard = self.lock.lock().await;
        let digest = self.digest(config, now).await?;
        self.send(&digest.subject, &digest.text, &digest.json)
            .await?;
        self.save_digest(&DigestState { last: now }).await?;
        Ok(digest)
    }

    /// Send the digest when one is due at `now` ([`digest_due`]); whether
    /// one went. The first time (nothing kept yet) only starts the
    /// schedule: the first digest goes at the next slot.
    pub async fn digest_if_due(
        &self,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<bool, NotifyError> {
        let Some(schedule) = self.settings.digest else {
            return Ok(false);
        };
        let tz = config.aggregator.timezone;
        match self.load_digest().await {
            None => {
                self.save_digest(&DigestState { last: now }).await?;
                Ok(false)
            }
            Some(s) if digest_due(Some(s.last), now, schedule, tz) => {
                self.send_digest(config, now).await?;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    async fn load_digest(&self) -> Option<DigestState> {
        let index = Arc::clone(&self.index);
        let text = tokio::task::spawn_blocking(move || index.notice_state(DIGEST_STATE))
            .await
            .ok()?
            .map_err(|e| tracing::error!("[notify] cannot read when the last digest went: {e}"))
            .ok()??;
        serde_json::from_str(&text)
            .map_err(|e| tracing::warn!("[notify] digest state unreadable, started anew: {e}"))
            .ok()
    }

    async fn save_digest(&self, state: &DigestState) -> Result<(), NotifyError> {
        let index = Arc::clone(&self.index);
        let text = serde_json::to_string(state).map_err(|e| NotifyError::Store(e.to_string()))?;
        tokio::task::spawn_blocking(move || index.set_notice_state(DIGEST_STATE, Some(&text)))
            .await
            .map_err(|e| NotifyError::Store(e.to_string()))?
            .map_err(|e| NotifyError::Store(e.to_string()))
    }
}

/// Is a digest due at `now`, the last one having gone at `last`? Due when
/// the latest slot (`schedule.day` at `schedule.hour`, local time of `tz`)
/// at or before `now` is later than `last`: a slot passed while the process
/// was stopped is caught up once (not skipped, not repeated). With nothing
/// kept (`last` None) no digest is due: the schedule starts.
pub fn digest_due(
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    schedule: DigestSchedule,
    tz: Tz,
) -> bool {
    last.is_some_and(|last| last < last_slot(now, schedule, tz))
}

/// The latest slot of `schedule` at or before `now`.
pub fn last_slot(now: DateTime<Utc>, schedule: DigestSchedule, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    let back =
        (7 + today.weekday().num_days_from_monday() - schedule.day.num_days_from_monday()) % 7;
    let mut date = today - chrono::Days::new(u64::from(back));
    loop {
        let at = slot_on(date, schedule.hour, tz);
        if at <= now {
            return at;
        }
        date = date - chrono::Days::new(7);
    }
}

/// The first slot of `schedule` after `now`.
pub fn next_slot(now: DateTime<Utc>, schedule: DigestSchedule, tz: Tz) -> DateTime<Utc> {
    let mut date = last_slot(now, schedule, tz).with_timezone(&tz).date_naive();
    loop {
        date = date + chrono::Days::new(7);
        let at = slot_on(date, schedule.hour, tz);
        if at > now {
            return at;
        }
    }
}

/// `hour`:00 local time on `date` in `tz`; in a daylight-saving gap, the
/// first local time after it; when the hour happens twice, the first.
fn slot_on(date: chrono::NaiveDate, hour: u32, tz: Tz) -> DateTime<Utc> {
    let naive = date.and_time(chrono::NaiveTime::MIN) + chrono::Duration::hours(i64::from(hour));
    let mut probe = naive;
    for _ in 0..12 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += chrono::Duration::minutes(15);
    }
    Utc.from_utc_datetime(&naive)
}

/// Send the weekly digest when due, until `stop` turns true; follows the
/// pipeline's configuration (`[notify] digest`, its day and hour, the
/// zone). A delivery that fails is logged and tried again at the next look.
pub async fn digest_loop(
    pipeline: Arc<crate::pipeline::Pipeline>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let config = pipeline.config();
        let now = Utc::now();
        let mut wait = DIGEST_LOOK;
        if let (Some(notifier), Some(schedule)) = (
            pipeline.notifier(),
            config.notify.as_ref().and_then(|n| n.digest),
        ) {
            match notifier.digest_if_due(&config, now).await {
                Ok(true) => tracing::info!("[notify] weekly digest sent"),
                Ok(false) => {}
                Err(e) => tracing::error!("[notify] weekly digest not sent: {e}"),
            }
            let next = next_slot(now, schedule, config.aggregator.timezone);
            wait = wait.min((next - Utc::now()).to_std().unwrap_or_default());
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// A time in `tz`, as the digest shows it.
fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// The digest's text in one language.
#[allow(clippy::too_many_arguments)]
fn digest_text(
    lang: Lang,
    name: &str,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    failing: &[Line],
    recovered: &[Line],
    changed: &[Line],
    warned: &[Line],
    new: usize,
    updated: usize,
) -> String {
    let fr = lang == Lang::Fr;
    let t = |f: &'static str, e: &'static str| if fr { f } else { e };
    let mut out = String::new();
    let push = |out: &mut String, s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    push(
        &mut out,
        if fr {
            format!(
                "Bilan de la semaine de {name}, du {} au {}.",
                local(from, tz),
                local(to, tz)
            )
        } else {
            format!(
                "Weekly digest of {name}, from {} to {}.",
                local(from, tz),
                local(to, tz)
            )
        },
    );
    out.push('\n');
    let colon = t(" :", ":");
    push(
        &mut out,
        format!(
            "{} ({}){colon}",
            t("Sources en panne ou muettes", "Sources failing or silent"),
            failing.len()
        ),
    );
    if failing.is_empty() {
        push(&mut out, t("  aucune", "  none").to_string());
    }
    for l in failing {
        let since = match (l.since, l.last_success) {
            (Some(s), _) => format!("{} {}", t("depuis le", "since"), local(s, tz)),
            (None, Some(s)) => format!(
                "{} {}",
                t("dernier succès le", "last success"),
                local(s, tz)
            ),
            (None, None) => t("jamais lue avec succès", "never read successfully").to_string(),
        };
        push(
            &mut out,
            format!("  - {} ({}){colon} {since}", l.name, l.source),
        );
        if !l.detail.is_empty() {
            push(
                &mut out,
                format!("    {} {}", t("Cause :", "Cause:"), l.detail),
            );
        }
    }
    out.push('\n');
    push(
        &mut out,
        format!(
            "{} ({}){}",
            t(
                "Sources rétablies cette semaine",
                "Sources that recovered this week"
            ),
            recovered.len(),
            colon
        ),
    );
    if recovered.is_empty() {
        push(&mut out, t("  aucune", "  none").to_string());
    }
    for l in recovered {
        push(&mut out, format!("  - {} ({})", l.name, l.source));
    }
    out.push('\n');
    push(
        &mut out,
        if fr {
            format!("Événements cette semaine : {new} nouveaux, {updated} mis à jour.")
        } else {
            format!("Events this week: {new} new, {updated} updated.")
        },
    );
    for l in changed {
        push(
            &mut out,
            if fr {
                format!(
                    "  - {} ({}) : {} nouveaux, {} mis à jour",
                    l.name, l.source, l.new, l.updated
                )
            } else {
                format!(
                    "  - {} ({}): {} new, {} updated",
                    l.name, l.source, l.new, l.updated
                )
            },
        );
    }
    out.push('\n');
    push(
        &mut out,
        format!(
            "{} ({}){}",
            t("Sources avec des avertissements", "Sources with warnings"),
            warned.len(),
            colon
        ),
    );
    if warned.is_empty() {
        push(&mut out, t("  aucune", "  none").to_string());
    }
    for l in warned {
        let more = if l.more == 0 {
            String::new()
        } else if fr {
            format!(" (et {} autres)", l.more)
        } else {
            format!(" (and {} more)", l.more)
        };
        push(
            &mut out,
            format!("  - {} ({}){colon} {}{more}", l.name, l.source, l.detail),
        );
    }
    out
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn hours(d: chrono::Duration) -> String {
    format!("{:.1}", d.num_seconds().max(0) as f64 / 3600.0)
}

/// Subject and text of the failure message, French first.
fn failing(
    name: &str,
    id: &str,
    source: &str,
    down: &Down,
    now: DateTime<Utc>,
) -> (String, String) {
    let (since, h) = (when(down.since), hours(now - down.since));
    (
        format!("[{name}] Source en panne : {source} / Source failing: {source}"),
        format!(
            "La source « {source} » ({id}) ne donne rien d'utilisable depuis le {since} ({h} h).\n\
             Cause : {why}\n\
             Ses événements déjà publiés sont conservés. Un seul message est envoyé ; \
             un autre suivra quand la source fonctionnera de nouveau.\n\
             \n\
             ---\n\
             \n\
             The source “{source}” ({id}) has given nothing usable since {since} ({h} h).\n\
             Cause: {why}\n\
             Its events already published are kept. This message is sent once; \
             another follows when the source works again.\n",
            why = down.why
        ),
    )
}

/// Subject and text of the recovery message, French first.
fn recovered(
    name: &str,
    id: &str,
    source: &str,
    down: &Down,
    now: DateTime<Utc>,
) -> (String, String) {
    let (since, h) = (when(down.since), hours(now - down.since));
    (
        format!("[{name}] Source rétablie : {source} / Source recovered: {source}"),
        format!(
            "La source « {source} » ({id}) fonctionne de nouveau, après une panne commencée le {since} ({h} h).\n\
             \n\
             ---\n\
             \n\
             The source “{source}” ({id}) works again, after a failure that began {since} ({h} h).\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const AGG: &str = "[aggregator]\ntimezone = \"America/Toronto\"\n";

    #[test]
    fn the_notify_section_is_read_and_checked() {
        let text = format!(
            "{AGG}\n[notify]\nafter = 1.5\nsmtp = \"smtp://127.0.0.1:2525\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\nwebhook = \"https://hooks.example/x\"\n"
        );
        let c = Config::parse(&text, Path::new("sources.toml")).unwrap();
        let n = c.notify.unwrap();
        assert_eq!(n.after, std::time::Duration::from_secs(5400));
        assert_eq!(n.to, vec!["c@d.example".to_string()]);
        assert!(Config::parse(AGG, Path::new("sources.toml"))
            .unwrap()
            .notify
            .is_none());

        let bad = format!(
            "{AGG}\n[notify]\nafter = -1\nsmtp = \"mail.example\"\nto = [\"not an address\"]\nwebhook = \"ftp://x\"\nsecret = \"x\"\n"
        );
        let err = Config::parse(&bad, Path::new("sources.toml"))
            .unwrap_err()
            .to_string();
        for what in [
            "sources.toml:5:9: `after` must be",
            "sources.toml:6:8: `smtp` \"mail.example\" must be smtp://HOST[:PORT] or smtps://HOST[:PORT]",
            "has `smtp` but no `from`",
            "`to` \"not an address\" is not an e-mail address",
            "sources.toml:8:11: `webhook` \"ftp://x\" must be an http(s) URL",
            "sources.toml:9:1: unknown key `secret` in [notify]",
        ] {
            assert!(err.contains(what), "{what} in\n{err}");
        }
    }

    /// `sources.toml:LINE:COL: ` of the first `needle` in `text`.
    fn at(text: &str, needle: &str) -> String {
        let i = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
        let line = text[..i].matches('\n').count() + 1;
        let col = text[..i].rsplit('\n').next().unwrap().chars().count() + 1;
        format!("sources.toml:{line}:{col}: ")
    }

    fn notify_of(section: &str) -> super::Notify {
        let text =
            format!("{AGG}\n[notify]\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n{section}");
        Config::parse(&text, Path::new("sources.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
            .notify
            .unwrap()
    }

    #[test]
    fn smtp_tls_follows_the_scheme_and_is_required_off_loopback() {
        use crate::config::SmtpTls;
        let n = notify_of("smtp = \"smtps://mail.example.org\"\n");
        assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::Implicit, 465));
        let n = notify_of("smtp = \"smtp://mail.example.org\"\n");
        assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::StartTls, 587));
        let n = notify_of("smtp = \"smtp://mail.example.org:2525\"\n");
        assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::StartTls, 2525));
        // A local MTA: plain text unless asked.
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            let n = notify_of(&format!("smtp = \"smtp://{host}\"\n"));
            assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::None, 25), "{host}");
        }
        let n = notify_of("smtp = \"smtp://127.0.0.1:2525\"\nsmtp_tls = \"starttls\"\n");
        assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::StartTls, 2525));
        let n = notify_of("smtp = \"smtp://mail.example.org\"\nsmtp_tls = \"tls\"\n");
        assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::Implicit, 465));
        let n = notify_of("smtp = \"smtp://relay.example.org\"\nsmtp_tls = \"none\"\n");
        assert_eq!((n.smtp_tls, n.smtp_port), (SmtpTls::None, 25));
        let n = notify_of(
            "smtp = \"smtps://mail.example.org\"\nsmtp_user = \"agenda\"\nsmtp_password_env = \"BABILLARD_SMTP_PASSWORD\"\n",
        );
        assert_eq!(n.smtp_user.as_deref(), Some("agenda"));
        assert_eq!(
            n.smtp_password_env.as_deref(),
            Some("BABILLARD_SMTP_PASSWORD")
        );
        assert_eq!(n.digest, None, "off by default");
        // The first way of giving credentials still holds.
        let n = notify_of(
            "smtp = \"smtp://127.0.0.1:25\"\nusername_env = \"U\"\npassword_env = \"P\"\n",
        );
        assert_eq!(n.password_env.as_deref(), Some("P"));
    }

    #[test]
    fn the_tls_credential_and_digest_keys_are_checked_with_their_position() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("not-a-cert.pem"), "hello\n").unwrap();
        let text = format!(
            "{AGG}\n[notify]\nsmtp = \"smtps://mail.example.org\"\nsmtp_tls = \"starttls\"\n\
             smtp_user = \"agenda\"\nsmtp_password = \"hunter2\"\n\
             smtp_ca_file = \"missing.pem\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n\
             digest = \"daily\"\ndigest_day = \"funday\"\ndigest_hour = 24\n"
        );
        let err = Config::parse(&text, &dir.path().join("sources.toml"))
            .unwrap_err()
            .to_string();
        let err = err.replace(&format!("{}/", dir.path().display()), "");
        for (needle, what) in [
            (
                "\"starttls\"",
                "`smtp_tls` \"starttls\" contradicts `smtp` smtps://",
            ),
            (
                "\"agenda\"",
                "[notify] has `smtp_user` but no `smtp_password_env`",
            ),
            (
                "smtp_password =",
                "`smtp_password` is never read from the file",
            ),
            (
                "\"missing.pem\"",
                "`smtp_ca_file` \"missing.pem\" cannot be read",
            ),
            (
                "\"daily\"",
                "`digest` \"daily\" must be \"weekly\" or \"off\"",
            ),
            (
                "\"funday\"",
                "`digest_day` \"funday\" is not a day of the week",
            ),
            ("24", "`digest_hour` must be an hour between 0 and 23"),
        ] {
            let want = format!("{}{what}", at(&text, needle));
            assert!(err.contains(&want), "{want}\nin\n{err}");
        }

        let text = format!(
            "{AGG}\n[notify]\nsmtp = \"smtp://relay.example.org\"\nsmtp_tls = \"ssl\"\n\
             smtp_password_env = \"hunter2!\"\nsmtp_ca_file = \"not-a-cert.pem\"\n\
             from = \"a@b.example\"\nto = [\"c@d.example\"]\n"
        );
        let err = Config::parse(&text, &dir.path().join("sources.toml"))
            .unwrap_err()
            .to_string();
        let err = err.replace(&format!("{}/", dir.path().display()), "");
        for (needle, what) in [
            (
                "\"ssl\"",
                "`smtp_tls` \"ssl\" must be \"starttls\", \"tls\" or \"none\"",
            ),
            (
                "\"hunter2!\"",
                "`smtp_password_env` \"hunter2!\" must be the name of an environment variable",
            ),
            (
                "\"hunter2!\"",
                "[notify] has `smtp_password_env` but no `smtp_user`",
            ),
            (
                "\"not-a-cert.pem\"",
                "`smtp_ca_file` \"not-a-cert.pem\" holds no PEM certificate",
            ),
        ] {
            let want = format!("{}{what}", at(&text, needle));
            assert!(err.contains(&want), "{want}\nin\n{err}");
        }

        // A password in clear text to a remote host; TLS keys with no smtp;
        // a digest with nowhere to go.
        let text = format!(
            "{AGG}\n[notify]\nsmtp = \"smtp://relay.example.org\"\nsmtp_tls = \"none\"\n\
             smtp_user = \"agenda\"\nsmtp_password_env = \"PW\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n"
        );
        let err = Config::parse(&text, Path::new("sources.toml"))
            .unwrap_err()
            .to_string();
        let want = format!(
            "{}`smtp_tls = \"none\"` would send the password to relay.example.org in clear text",
            at(&text, "\"none\"")
        );
        assert!(err.contains(&want), "{want}\nin\n{err}");
        let text = format!("{AGG}\n[notify]\nsmtp_tls = \"tls\"\ndigest = \"weekly\"\n");
        let err = Config::parse(&text, Path::new("sources.toml"))
            .unwrap_err()
            .to_string();
        for (needle, what) in [
            ("smtp_tls", "`smtp_tls` is set but `smtp` is not"),
            (
                "\"weekly\"",
                "`digest = \"weekly\"` needs `smtp` or `webhook` to send it",
            ),
        ] {
            let want = format!("{}{what}", at(&text, needle));
            assert!(err.contains(&want), "{want}\nin\n{err}");
        }

        let n = notify_of("smtp = \"smtp://127.0.0.1\"\ndigest = \"weekly\"\ndigest_day = \"vendredi\"\ndigest_hour = 17\n");
        assert_eq!(
            n.digest,
            Some(crate::config::DigestSchedule {
                day: chrono::Weekday::Fri,
                hour: 17
            })
        );
        let n = notify_of("webhook = \"https://hooks.example/x\"\ndigest = \"weekly\"\n");
        assert_eq!(
            n.digest,
            Some(crate::config::DigestSchedule {
                day: chrono::Weekday::Mon,
                hour: 8
            })
        );
    }

    #[test]
    fn max_body_mb_is_read_for_the_aggregator_and_each_source_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("export.ics"),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let text = "[aggregator]\nmax_body_mb = 5\n\n[[source]]\nid = \"a\"\nurl = \"https://a.example/x.ics\"\nmax_body_mb = 0.5\n\n[[source]]\nid = \"b\"\nurl = \"https://b.example/x.ics\"\n";
        let c = Config::parse(text, &dir.path().join("sources.toml")).unwrap();
        assert_eq!(c.aggregator.max_body_bytes, Some(5 * 1024 * 1024));
        assert_eq!(c.max_body_of(&c.sources[0]), Some(512 * 1024));
        assert_eq!(c.max_body_of(&c.sources[1]), Some(5 * 1024 * 1024));
        let c = Config::parse(
            "[[source]]\nid = \"b\"\nurl = \"https://b.example/x.ics\"\n",
            Path::new("sources.toml"),
        )
        .unwrap();
        assert_eq!(
            c.max_body_of(&c.sources[0]),
            None,
            "the fetch policy's 20 MB"
        );

        let text = "[aggregator]\nmax_body_mb = 0\n\n[[source]]\nid = \"a\"\nurl = \"https://a.example/x.ics\"\nmax_body_mb = 4096\n\n[[source]]\nid = \"b\"\nurl = \"https://b.example/x.ics\"\nmax_body_mb = \"big\"\n";
        let err = Config::parse(text, Path::new("sources.toml"))
            .unwrap_err()
            .to_string();
        for (needle, what) in [
            (
                "0\n",
                "`max_body_mb` must be a number of megabytes more than 0 and at most 2048",
            ),
            (
                "4096",
                "`max_body_mb` must be a number of megabytes more than 0 and at most 2048",
            ),
            ("\"big\"", "`max_body_mb` must be a number, not"),
        ] {
            let want = format!("{}{what}", at(text, needle));
            assert!(err.contains(&want), "{want}\nin\n{err}");
        }
    }

    fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_digest_is_due_once_per_slot_in_local_time_caught_up_not_repeated() {
        use super::{digest_due, last_slot, next_slot};
        use crate::config::DigestSchedule;
        let tz = chrono_tz::America::Toronto;
        // Mondays at 8:00 in Toronto: 13:00 UTC in winter (EST).
        let monday8 = DigestSchedule {
            day: chrono::Weekday::Mon,
            hour: 8,
        };
        let sent = utc("2026-11-30T13:00:05Z");
        assert_eq!(
            last_slot(utc("2026-12-05T09:00:00Z"), monday8, tz),
            utc("2026-11-30T13:00:00Z")
        );
        assert_eq!(
            next_slot(utc("2026-12-05T09:00:00Z"), monday8, tz),
            utc("2026-12-07T13:00:00Z")
        );
        // Not before the next Monday 8:00 local.
        assert!(!digest_due(
            Some(sent),
            utc("2026-12-05T09:00:00Z"),
            monday8,
            tz
        ));
        assert!(!digest_due(
            Some(sent),
            utc("2026-12-07T12:59:59Z"),
            monday8,
            tz
        ));
        assert!(digest_due(
            Some(sent),
            utc("2026-12-07T13:00:00Z"),
            monday8,
            tz
        ));
        // Once sent, not again that week (a restart reads the same `last`).
        assert!(!digest_due(
            Some(utc("2026-12-07T13:00:02Z")),
            utc("2026-12-07T18:00:00Z"),
            monday8,
            tz
        ));
        // Stopped over the slot: caught up when back, once.
        assert!(digest_due(
            Some(sent),
            utc("2026-12-09T15:00:00Z"),
            monday8,
            tz
        ));
        assert!(digest_due(
            Some(sent),
            utc("2026-12-29T15:00:00Z"),
            monday8,
            tz
        ));
        assert!(!digest_due(
            Some(utc("2026-12-09T15:00:00Z")),
            utc("2026-12-13T15:00:00Z"),
            monday8,
            tz
        ));
        // Nothing kept yet: the schedule starts, nothing is due.
        assert!(!digest_due(None, utc("2026-12-07T13:00:00Z"), monday8, tz));
        // Summer time: 8:00 EDT is 12:00 UTC.
        assert_eq!(
            last_slot(utc("2026-07-08T00:00:00Z"), monday8, tz),
            utc("2026-07-06T12:00:00Z")
        );
        // Sunday 2:00 on the day clocks spring forward (2026-03-08, 2:00
        // does not exist): the first local time after the gap, 3:00 EDT.
        let sunday2 = DigestSchedule {
            day: chrono::Weekday::Sun,
            hour: 2,
        };
        assert_eq!(
            last_slot(utc("2026-03-08T12:00:00Z"), sunday2, tz),
            utc("2026-03-08T07:00:00Z")
        );
        // And on the day they fall back (2026-11-01, 1:00 happens twice):
        // the first 1:00.
        let sunday1 = DigestSchedule {
            day: chrono::Weekday::Sun,
            hour: 1,
        };
        assert_eq!(
            last_slot(utc("2026-11-01T12:00:00Z"), sunday1, tz),
            utc("2026-11-01T05:00:00Z")
        );
    }
}
