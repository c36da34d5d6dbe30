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

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use index::Index;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::Notify;

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
        let err = |e: &dyn std::fmt::Display| NotifyError::Mail(e.to_string());
        let smtp = self.settings.smtp.as_deref().unwrap_or_default();
        let url = url::Url::parse(smtp).map_err(|e| err(&e))?;
        let host = url
            .host_str()
            .ok_or_else(|| NotifyError::Mail(format!("{smtp}: no host")))?;
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(url.port().unwrap_or(25))
            .timeout(Some(SEND_TIMEOUT));
        let env = |name: &Option<String>| name.as_ref().and_then(|n| std::env::var(n).ok());
        if let (Some(user), Some(pass)) = (
            env(&self.settings.username_env),
            env(&self.settings.password_env),
        ) {
            transport = transport.credentials(Credentials::new(user, pass));
        }
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
            .build()
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| err(&e))
    }
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
            "sources.toml:6:8: `smtp` \"mail.example\" must be smtp://HOST:PORT",
            "has `smtp` but no `from`",
            "`to` \"not an address\" is not an e-mail address",
            "sources.toml:8:11: `webhook` \"ftp://x\" must be an http(s) URL",
            "sources.toml:9:1: unknown key `secret` in [notify]",
        ] {
            assert!(err.contains(what), "{what} in\n{err}");
        }
    }
}
