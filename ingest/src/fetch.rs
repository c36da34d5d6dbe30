//! The one HTTP client every source kind goes through.
//!
//! Policy (see [`FetchPolicy`]): connect and total timeouts, a body cap that
//! also bounds decompressed size, at most 5 redirects, gzip/brotli,
//! conditional GET, a guard against private networks checked after DNS
//! resolution and on every redirect, per-host and global concurrency,
//! bounded retries with backoff honouring Retry-After, and robots.txt. Local
//! file paths are read from disk in one pass, without the network's body
//! cap: only under a hard ceiling ([`FetchPolicy::max_local_file_bytes`],
//! 2 GiB), so that a large export on disk can be read.
//!
//! One [`FetchClient::fetch`] of an http(s) URL:
//! 1. refuses an IP literal host the guard does not allow ([`guard`]:
//!    link-local, cloud metadata, unspecified, multicast, broadcast and
//!    reserved addresses always, private ones unless allowed);
//! 2. takes a global permit, then a permit for the URL's `host:port`, held
//!    until the fetch (retries included) ends;
//! 3. checks the origin's robots.txt, fetched at most once per origin per
//!    [`FetchPolicy::robots_cache_ttl`] through the same client (guard,
//!    redirects, a 512 KB cap; a 4xx, 5xx or unreachable robots.txt allows
//!    everything) ([`robots`]);
//! 4. sends the GET (`If-None-Match`/`If-Modified-Since` from the
//!    validators), following at most `max_redirects` redirects by hand,
//!    each one re-checked by the guard; names resolve through a resolver
//!    that refuses a name when any of its addresses is refused; with private
//!    networks allowed, a redirect reaches a private address only on a
//!    configured source's host (`source_hosts`) or on the private host it
//!    came from;
//! 5. streams the body, decompressed, and stops past `max_body_bytes` (or
//!    the cap given to [`FetchClient::fetch_capped`], a source's own);
//! 6. on a connection error, 429 or 5xx, tries again up to `max_retries`
//!    times, waiting `retry_base_delay` doubled each time, or what
//!    `Retry-After` asks when that is at most `max_retry_wait` (a longer
//!    wait gives up at once with the status).
//!
//! `total_timeout` bounds each attempt (request and body), not the retries.
//! Too many redirects, a redirect to a refused address or to a non-http(s)
//! URL, and a robots.txt refusal are all [`FetchError::Refused`] (class
//! `refused`), with a reason that says which.

pub mod guard;
pub mod robots;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use url::Url;

use guard::{DnsFailure, GuardRefusal, GuardedResolver, PrivateRule, RedirectRefusal};
use robots::{RobotsCache, RobotsRules, PRODUCT_TOKEN};

pub use guard::{
    classify, host_key, is_public_ip, non_public_reason, AddrClass, HostsTable, SourceHosts,
};

/// The `Accept` header: calendars and feeds first, then pages.
pub const ACCEPT: &str = "text/calendar, application/calendar+json;q=0.9, \
application/rss+xml, application/atom+xml, application/feed+json, \
application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, \
text/html;q=0.7, application/xhtml+xml;q=0.7, */*;q=0.5";

/// Cap on a robots.txt body; a longer one is read up to here (RFC 9309
/// asks for at least 500 KiB).
pub const ROBOTS_MAX_BYTES: usize = 512 * 1024;

/// The default cap on a body fetched over the network: 20 MB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// The default ceiling on a local file: 2 GiB.
pub const MAX_LOCAL_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// How sources are fetched.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    pub connect_timeout: Duration,
    /// Bounds each attempt: the request, redirects and the whole body.
    pub total_timeout: Duration,
    /// Cap on a body fetched over the network, after decompression
    /// (default 20 MB); [`FetchClient::fetch_capped`] may set another.
    pub max_body_bytes: usize,
    /// Ceiling on a local file (default 2 GiB): local files are not held
    /// to `max_body_bytes`.
    pub max_local_file_bytes: u64,
    pub max_redirects: usize,
    /// When false (the default), a source that resolves to a loopback or
    /// private address is refused. Link-local, cloud metadata, unspecified,
    /// multicast, broadcast and reserved addresses are refused always.
    pub allow_private_networks: bool,
    /// The hosts of the configured sources: with private networks allowed,
    /// a redirect may reach a private address only on one of these hosts
    /// (or stay on the private host it came from).
    pub source_hosts: SourceHosts,
    pub per_host_concurrency: usize,
    pub global_concurrency: usize,
    /// Retries after the first attempt, on connection errors, 429 and 5xx.
    pub max_retries: u32,
    /// First backoff; doubles each retry.
    pub retry_base_delay: Duration,
    /// A longer Retry-After than this gives up instead of waiting.
    pub max_retry_wait: Duration,
    pub user_agent: String,
    /// Obey the origin's robots.txt (product token `babillard`, else `*`).
    pub respect_robots: bool,
    /// How long one origin's robots.txt is trusted before it is fetched
    /// again (default 1 hour).
    pub robots_cache_ttl: Duration,
    /// Resolve names through this table only, never DNS (None, the
    /// default: the system's resolver). See [`HostsTable`].
    pub hosts: Option<HostsTable>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_local_file_bytes: MAX_LOCAL_FILE_BYTES,
            max_redirects: 5,
            allow_private_networks: false,
            source_hosts: SourceHosts::default(),
            per_host_concurrency: 2,
            global_concurrency: 16,
            max_retries: 2,
            retry_base_delay: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
            user_agent: format!("babillard/{}", env!("CARGO_PKG_VERSION")),
            respect_robots: true,
            robots_cache_ttl: Duration::from_secs(3600),
            hosts: None,
        }
    }
}

/// Conditional-GET validators remembered from the last successful fetch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A body that was fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// The Content-Type header, if any (none for local files).
    pub content_type: Option<String>,
    /// The URL after redirects (the path for local files).
    pub final_url: String,
    pub validators: Validators,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 304: the source has not changed since `Validators`.
    NotModified,
    Fetched(Fetched),
}

/// Why a fetch failed. [`FetchError::class`] is the stable class stored per
/// source; `Display` is the human message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not a valid http(s) URL or file path: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url}: timed out after {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url}: TLS error: {message}")]
    Tls { url: String, message: String },
    #[error("{url}: DNS lookup failed: {message}")]
    Dns { url: String, message: String },
    #[error("{url}: connection failed: {message}")]
    Connect { url: String, message: String },
    /// Refused by policy (private address, robots.txt, too many redirects).
    #[error("{url}: refused: {reason}")]
    Refused { url: String, reason: String },
    #[error("{url}: HTTP status {code}")]
    Status { url: String, code: u16 },
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// A local file over [`FetchPolicy::max_local_file_bytes`].
    #[error("{path}: the file is {size} bytes, more than the {limit} bytes a local source may be")]
    FileTooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// The HTTP client could not be set up (an invalid user agent, no CA
    /// certificates on the system).
    #[error("the HTTP client could not be set up: {message}")]
    Client { message: String },
}

impl FetchError {
    /// The stable class: `invalid_url`, `timeout`, `tls`, `dns`, `connect`,
    /// `refused`, `status_4xx`, `status_5xx`, `too_large`, `io`, `client`.
    pub fn class(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Tls { .. } => "tls",
            FetchError::Dns { .. } => "dns",
            FetchError::Connect { .. } => "connect",
            FetchError::Refused { .. } => "refused",
            FetchError::Status { code, .. } if *code < 500 => "status_4xx",
            FetchError::Status { .. } => "status_5xx",
            FetchError::TooLarge { .. } | FetchError::FileTooLarge { .. } => "too_large",
            FetchError::Io { .. } => "io",
            FetchError::Client { .. } => "client",
        }
    }
}

/// The shared client. Cheap to clone: clones share the connection pool, the
/// semaphores and the robots.txt cache.
#[derive(Clone)]
pub struct FetchClient {
    policy: FetchPolicy,
    inner: Arc<Inner>,
}

struct Inner {
    /// The reqwest clients, or why they could not be built (local files
    /// still work then).
    http: Result<Clients, String>,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    robots: RobotsCache,
}

/// Two clients, so that each connection resolves under the rule of its hop
/// (and a pooled connection is only reused under the same rule).
struct Clients {
    /// Private addresses per `allow_private_networks`: the first request
    /// and redirects onto a configured source's host.
    open: reqwest::Client,
    /// Private addresses refused: a redirect onto another host.
    redirected: reqwest::Client,
}

/// What to fetch.
enum Target {
    Http(Url),
    File(PathBuf),
}

/// One attempt's result.
enum Attempt {
    Done(FetchOutcome),
    /// Worth another try (connection error, 429, 5xx); `retry_after` is
    /// what the server asked for, if anything.
    Retry {
        error: FetchError,
        retry_after: Option<Duration>,
    },
    Fail(FetchError),
}

/// Install ring as rustls' process-wide provider, once. reqwest's
/// `rustls-no-provider` feature builds its TLS config (and the platform
/// verifier) from the process default.
fn ensure_crypto_provider() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Err means another provider is already installed: use that one.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl FetchClient {
    /// Build the client. Fails only on an invalid policy (a user agent that
    /// is not a valid header value); when TLS cannot be set up (no CA
    /// certificates), local files still work and http(s) fetches fail with
    /// [`FetchError::Client`].
    pub fn new(policy: FetchPolicy) -> Result<FetchClient, FetchError> {
        let lookup: guard::LookupFn = match &policy.hosts {
            Some(table) => table.lookup(),
            None => Arc::new(guard::futures_lookup::system),
        };
        FetchClient::with_lookup(policy, lookup)
    }

    /// [`FetchClient::new`] with another name lookup than the system's
    /// (tests map names to chosen addresses).
    pub(crate) fn with_lookup(
        policy: FetchPolicy,
        lookup: guard::LookupFn,
    ) -> Result<FetchClient, FetchError> {
        let user_agent =
            HeaderValue::from_str(&policy.user_agent).map_err(|e| FetchError::Client {
                message: format!("invalid user agent {:?}: {e}", policy.user_agent),
            })?;
        ensure_crypto_provider();
        let open_rule = PrivateRule::from_allow(policy.allow_private_networks);
        let build = |rule: PrivateRule| {
            // Redirects are followed by hand (`send_following`), each hop
            // judged with what is known of the hop before.
            reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .connect_timeout(policy.connect_timeout)
                .timeout(policy.total_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(GuardedResolver {
                    rule,
                    lookup: lookup.clone(),
                })
                .no_proxy()
                .build()
        };
        let http = build(open_rule)
            .and_then(|open| {
                Ok(Clients {
                    open,
                    redirected: build(PrivateRule::RefuseAfterRedirect)?,
                })
            })
            .map_err(|e| {
                let message = error_chain(&e);
                tracing::warn!(error = %message, "HTTP client unavailable; only local files can be read");
                message
            });
        Ok(FetchClient {
            inner: Arc::new(Inner {
                http,
                global: Arc::new(Semaphore::new(policy.global_concurrency.max(1))),
                hosts: Mutex::new(HashMap::new()),
                robots: RobotsCache::default(),
            }),
            policy,
        })
    }

    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Fetch `url` (http(s), a `file://` URL or a local path), conditionally
    /// on `validators`, under the policy's body cap.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_capped(url, validators, None).await
    }

    /// [`FetchClient::fetch`] with another cap on a body fetched over the
    /// network than the policy's `max_body_bytes` (a source's own), when
    /// `max_body_bytes` is Some. A local file is never held to it (only to
    /// `max_local_file_bytes`).
    pub async fn fetch_capped(
        &self,
        url: &str,
        validators: &Validators,
        max_body_bytes: Option<usize>,
    ) -> Result<FetchOutcome, FetchError> {
        match parse_target(url)? {
            Target::File(path) => self.fetch_file(&path, validators).await,
            Target::Http(parsed) => {
                let cap = max_body_bytes.unwrap_or(self.policy.max_body_bytes);
                self.fetch_http(url, parsed, validators, cap).await
            }
        }
    }

    /// Read a local file; `NotModified` when its [`file_validator`] is the
    /// ETag in `validators` (what the last read of it gave).
    async fn fetch_file(
        &self,
        path: &Path,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let shown = path.display().to_string();
        tracing::debug!(path = %shown, "reading local source");
        let io_err = |e: std::io::Error| FetchError::Io {
            path: shown.clone(),
            message: describe_io(&e),
        };
        let mut file = tokio::fs::File::open(path).await.map_err(io_err)?;
        let meta = file.metadata().await.map_err(io_err)?;
        if meta.is_dir() {
            return Err(FetchError::Io {
                path: shown,
                message: "is a directory, not a file".to_owned(),
            });
        }
        // Read once, straight into a buffer of the file's size; never more
        // than the ceiling, even if the file grows meanwhile.
        let limit = self.policy.max_local_file_bytes;
        let too_large = |size: u64| FetchError::FileTooLarge {
            path: shown.clone(),
            size,
            limit,
        };
        // Taken before reading: a file changed while it is read has
        // another validator the next time.
        let validator = file_validator(&meta, std::time::SystemTime::now());
        if validator.is_some() && validator == validators.etag {
            tracing::debug!(path = %shown, "local source unchanged (size and modification time)");
            return Ok(FetchOutcome::NotModified);
        }
        if meta.len() > limit {
            return Err(too_large(meta.len()));
        }
        let mut body = Vec::new();
        body.try_reserve_exact(usize::try_from(meta.len()).unwrap_or(usize::MAX))
            .map_err(|e| FetchError::Io {
                path: shown.clone(),
                message: format!("cannot hold the file's {} bytes in memory: {e}", meta.len()),
            })?;
        let mut capped = (&mut file).take(limit.saturating_add(1));
        capped.read_to_end(&mut body).await.map_err(io_err)?;
        if body.len() as u64 > limit {
            return Err(too_large(body.len() as u64));
        }
        Ok(FetchOutcome::Fetched(Fetched {
            body,
            content_type: None,
            final_url: shown,
            validators: Validators {
                etag: validator,
                last_modified: None,
            },
        }))
    }

    async fn fetch_http(
        &self,
        shown: &str,
        url: Url,
        validators: &Validators,
        cap: usize,
    ) -> Result<FetchOutcome, FetchError> {
        let rule = PrivateRule::from_allow(self.policy.allow_private_networks);
        guard::check_url_host(&url, rule).map_err(|refusal| FetchError::Refused {
            url: shown.to_owned(),
            reason: refusal.to_string(),
        })?;
        let http = self
            .inner
            .http
            .as_ref()
            .map_err(|message| FetchError::Client {
                message: message.clone(),
            })?;

        let _global = self.inner.global.clone().acquire_owned().await;
        let _host = self.host_semaphore(&url).acquire_owned().await;

        if self.policy.respect_robots {
            self.robots_check(http, shown, &url).await?;
        }

        let mut retries = 0u32;
        loop {
            tracing::debug!(url = %shown, attempt = retries + 1, "fetching");
            let attempt = self
                .attempt(http, shown, &url, validators, cap, false)
                .await;
            let (error, retry_after) = match attempt {
                Attempt::Done(outcome) => return Ok(outcome),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, retry_after } => (error, retry_after),
            };
            if retries >= self.policy.max_retries {
                return Err(error);
            }
            let delay = match retry_after {
                Some(wait) if wait > self.policy.max_retry_wait => {
                    tracing::warn!(url = %shown, error = %error, wait_secs = wait.as_secs(),
                        "the server asks to retry later than max_retry_wait; giving up");
                    return Err(error);
                }
                Some(wait) => wait,
                None => backoff(
                    self.policy.retry_base_delay,
                    retries,
                    self.policy.max_retry_wait,
                ),
            };
            tracing::warn!(url = %shown, error = %error, retry = retries + 1,
                delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }

    /// The semaphore of `url`'s `host:port`.
    fn host_semaphore(&self, url: &Url) -> Arc<Semaphore> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let permits = self.policy.per_host_concurrency.max(1);
        let mut hosts = self.inner.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(permits)))
            .clone()
    }

    /// Refuse `url` when its origin's robots.txt disallows it.
    async fn robots_check(&self, http: &Clients, shown: &str, url: &Url) -> Result<(), FetchError> {
        let origin = url.origin().ascii_serialization();
        let rules = self
            .inner
            .robots
            .get_or_load(&origin, self.policy.robots_cache_ttl, || {
                self.load_robots(http, &origin)
            })
            .await;
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        rules.check(&path).map_err(|rule| FetchError::Refused {
            url: shown.to_owned(),
            reason: format!("disallowed by robots.txt (rule \"{rule}\")"),
        })
    }

    /// Fetch and parse `origin`/robots.txt; anything but a 2xx allows all.
    async fn load_robots(&self, http: &Clients, origin: &str) -> RobotsRules {
        let robots_url = format!("{origin}/robots.txt");
        let Ok(parsed) = Url::parse(&robots_url) else {
            return RobotsRules::allow_all();
        };
        let attempt = self
            .attempt(
                http,
                &robots_url,
                &parsed,
                &Validators::default(),
                ROBOTS_MAX_BYTES,
                true,
            )
            .await;
        match attempt {
            Attempt::Done(FetchOutcome::Fetched(mut f)) => {
                if f.body.len() >= ROBOTS_MAX_BYTES {
                    // Cut off: drop the partial last line.
                    let end = f.body.iter().rposition(|&b| b == b'\n').unwrap_or(0);
                    f.body.truncate(end);
                }
                let text = String::from_utf8_lossy(&f.body);
                tracing::debug!(url = %robots_url, "robots.txt read");
                RobotsRules::parse(&text, PRODUCT_TOKEN)
            }
            Attempt::Done(FetchOutcome::NotModified) => RobotsRules::allow_all(),
            Attempt::Retry { error, .. } | Attempt::Fail(error) => {
                tracing::debug!(url = %robots_url, error = %error, "no usable robots.txt; allowing all");
                RobotsRules::allow_all()
            }
        }
    }

    /// One GET under the total timeout. With `truncate`, a body past `cap`
    /// is cut at `cap` instead of failing.
    async fn attempt(
        &self,
        http: &Clients,
        shown: &str,
        url: &Url,
        validators: &Validators,
        cap: usize,
        truncate: bool,
    ) -> Attempt {
        let total = self.policy.total_timeout;
        let run = self.attempt_inner(http, shown, url, validators, cap, truncate);
        match tokio::time::timeout(total, run).await {
            Ok(attempt) => attempt,
            Err(_) => Attempt::Fail(FetchError::Timeout {
                url: shown.to_owned(),
                secs: whole_secs(total),
            }),
        }
    }

    async fn attempt_inner(
        &self,
        http: &Clients,
        shown: &str,
        url: &Url,
        validators: &Validators,
        cap: usize,
        truncate: bool,
    ) -> Attempt {
        let sent = self.send_following(http, shown, url, validators).await;
        let mut response = match sent {
            Ok(r) => r,
            Err(Hop::Refused(error)) => return Attempt::Fail(error),
            Err(Hop::Http(e)) => {
                let error = map_reqwest_error(shown, &self.policy, &e);
                // A connect timeout is a connection error too.
                let connecting = e.is_connect() && e.is_timeout();
                return if connecting || matches!(error, FetchError::Connect { .. }) {
                    Attempt::Retry {
                        error,
                        retry_after: None,
                    }
                } else {
                    Attempt::Fail(error)
                };
            }
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            tracing::debug!(url = %shown, "not modified");
            return Attempt::Done(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            let error = FetchError::Status {
                url: shown.to_owned(),
                code: status.as_u16(),
            };
            return if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                Attempt::Retry {
                    error,
                    retry_after: retry_after(response.headers()),
                }
            } else {
                Attempt::Fail(error)
            };
        }
        let too_large = || FetchError::TooLarge {
            url: shown.to_owned(),
            limit: cap,
        };
        let declared = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if !truncate && declared.is_some_and(|len| len > cap as u64) {
            return Attempt::Fail(too_large());
        }
        let headers = response.headers().clone();
        let final_url = response.url().to_string();
        let mut body: Vec<u8> = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        if truncate {
                            let room = cap - body.len();
                            body.extend_from_slice(chunk.get(..room).unwrap_or_default());
                            break;
                        }
                        return Attempt::Fail(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let error = map_reqwest_error(shown, &self.policy, &e);
                    return if matches!(error, FetchError::Connect { .. }) {
                        Attempt::Retry {
                            error,
                            retry_after: None,
                        }
                    } else {
                        Attempt::Fail(error)
                    };
                }
            }
        }
        tracing::debug!(url = %shown, status = status.as_u16(), bytes = body.len(), "fetched");
        Attempt::Done(FetchOutcome::Fetched(Fetched {
            body,
            content_type: header_string(&headers, header::CONTENT_TYPE),
            final_url,
            validators: Validators {
                etag: header_string(&headers, header::ETAG),
                last_modified: header_string(&headers, header::LAST_MODIFIED),
            },
        }))
    }
}

/// Why following a redirect chain stopped short of a response.
enum Hop {
    /// The guard or the redirect policy refused a hop.
    Refused(FetchError),
    /// The request itself failed.
    Http(reqwest::Error),
}

impl FetchClient {
    /// GET `url`, following up to `max_redirects` redirects by hand: each
    /// target is checked by the guard (scheme, IP literal, count), and a hop
    /// onto another host than a configured source's, after a public hop,
    /// goes through the client whose resolver refuses private addresses.
    async fn send_following(
        &self,
        http: &Clients,
        shown: &str,
        url: &Url,
        validators: &Validators,
    ) -> Result<reqwest::Response, Hop> {
        let allow_private = self.policy.allow_private_networks;
        let refused = |reason: String| {
            Hop::Refused(FetchError::Refused {
                url: shown.to_owned(),
                reason,
            })
        };
        let mut current = url.clone();
        let mut client = &http.open;
        let mut hop_rule = PrivateRule::from_allow(allow_private);
        let mut redirects = 0usize;
        loop {
            let mut request = client
                .get(current.clone())
                .header(header::ACCEPT, HeaderValue::from_static(ACCEPT));
            if let Some(etag) = validators
                .etag
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = validators
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
            let response = request.send().await.map_err(Hop::Http)?;
            // The address actually connected to, judged again under this
            // hop's rule, in case an address slipped past the resolver (it
            // never should).
            let remote = response.remote_addr().map(|a| a.ip());
            if let Some(addr) = remote {
                let host = current.host_str().unwrap_or_default();
                if let Err(refusal) = guard::check_addr(host, addr, hop_rule) {
                    return Err(refused(refusal.to_string()));
                }
            }
            let status = response.status();
            let location = response.headers().get(header::LOCATION);
            let redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let Some(location) = location.filter(|_| redirect) else {
                return Ok(response);
            };
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            let next = current.join(location.trim()).map_err(|e| {
                refused(
                    RedirectRefusal::Invalid {
                        location: location.clone(),
                        reason: e.to_string(),
                    }
                    .to_string(),
                )
            })?;
            let from_was_private =
                remote.is_some_and(|a| matches!(guard::classify(a), AddrClass::Private(_)));
            let rule = guard::redirect_rule(
                allow_private,
                &next,
                &current,
                from_was_private,
                &self.policy.source_hosts,
            );
            guard::check_redirect(&next, redirects, self.policy.max_redirects, rule)
                .map_err(|e| refused(e.to_string()))?;
            tracing::debug!(from = %current, to = %next, "following a redirect");
            client = match rule {
                PrivateRule::RefuseAfterRedirect => &http.redirected,
                PrivateRule::Allow | PrivateRule::Refuse => &http.open,
            };
            current = next;
            hop_rule = rule;
            redirects += 1;
        }
    }
}

/// Sort `url` into an http(s) URL or a local file.
fn parse_target(url: &str) -> Result<Target, FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let trimmed = url.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let parsed = Url::parse(trimmed).map_err(|e| invalid(e.to_string()))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host".to_owned()));
        }
        return Ok(Target::Http(parsed));
    }
    if lower.starts_with("file:") {
        let parsed = Url::parse(trimmed).map_err(|e| invalid(e.to_string()))?;
        let path = parsed
            .to_file_path()
            .map_err(|()| invalid("not a local file URL".to_owned()))?;
        return Ok(Target::File(path));
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(invalid(format!(
                "the scheme \"{scheme}\" is not supported (use http, https or a file path)"
            )));
        }
    }
    Ok(Target::File(PathBuf::from(trimmed)))
}

/// The backoff before retry number `retries + 1`: `base * 2^retries`,
/// at most `max`.
fn backoff(base: Duration, retries: u32, max: Duration) -> Duration {
    2u32.checked_pow(retries)
        .and_then(|factor| base.checked_mul(factor))
        .unwrap_or(max)
        .min(max)
}

/// A `Retry-After` header: delay-seconds or an HTTP date (a past date means
/// now).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, chrono::Utc::now())
}

fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Whole seconds, rounded up (a 1.5 s timeout reads "2 s", 300 ms "1 s").
fn whole_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => format!("cannot read the file: {e}"),
    }
}

/// The messages of `e`'s sources, joined with ": ", without reqwest's and
/// hyper's wrappers ("error sending request for url (...)", "client error
/// (Connect)") and without repeats: `FetchError` already shows the URL.
fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for err in chain(e).into_iter().skip(1) {
        let text = err.to_string();
        if text.starts_with("client error (") || text.starts_with("error sending request") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// Every error in `e`'s source chain, `e` first. An `io::Error`'s
/// `source()` skips the error it wraps (tokio-rustls wraps rustls errors in
/// io errors, hyper wraps those again), so wrapped errors are listed too.
fn chain<'a>(e: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut all = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        all.push(err);
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    all
}

/// Find one of our markers or a TLS error in an error's source chain.
fn classify_chain(url: &str, e: &(dyn StdError + 'static)) -> Option<FetchError> {
    for err in chain(e) {
        if let Some(refusal) = err.downcast_ref::<GuardRefusal>() {
            return Some(FetchError::Refused {
                url: url.to_owned(),
                reason: refusal.to_string(),
            });
        }
        if let Some(refusal) = err.downcast_ref::<RedirectRefusal>() {
            return Some(FetchError::Refused {
                url: url.to_owned(),
                reason: refusal.to_string(),
            });
        }
        if let Some(dns) = err.downcast_ref::<DnsFailure>() {
            return Some(FetchError::Dns {
                url: url.to_owned(),
                message: dns.to_string(),
            });
        }
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(FetchError::Tls {
                url: url.to_owned(),
                message: tls.to_string(),
            });
        }
    }
    None
}

/// The `io::ErrorKind` deepest in the chain, if any.
fn io_kind(e: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    chain(e)
        .into_iter()
        .filter_map(|err| err.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .last()
}

fn map_reqwest_error(url: &str, policy: &FetchPolicy, e: &reqwest::Error) -> FetchError {
    if let Some(mapped) = classify_chain(url, e) {
        return mapped;
    }
    if e.is_timeout() {
        let limit = if e.is_connect() {
            policy.connect_timeout
        } else {
            policy.total_timeout
        };
        return FetchError::Timeout {
            url: url.to_owned(),
            secs: whole_secs(limit),
        };
    }
    let message = match io_kind(e) {
        Some(std::io::ErrorKind::ConnectionRefused) => {
            "the server refused the connection".to_owned()
        }
        Some(std::io::ErrorKind::ConnectionReset) => "the server reset the connection".to_owned(),
        Some(std::io::ErrorKind::ConnectionAborted) => {
            "the server aborted the connection".to_owned()
        }
        _ if e.is_decode() => format!("the response body is corrupt: {}", error_chain(e)),
        _ => error_chain(e),
    };
    FetchError::Connect {
        url: url.to_owned(),
        message,
    }
}

/// A local file's validator, kept as its ETag: its size and modification
/// time to the nanosecond, as `make` and `rsync` judge a file unchanged.
/// None when the file was modified less than [`FRESH_FILE_SECS`] before
/// `now` (or the time is unknown): a file system that keeps coarse times
/// could show the same time for a file written twice in that second, so a
/// file that fresh is read again next time (as git does for "racy" files).
fn file_validator(meta: &std::fs::Metadata, now: std::time::SystemTime) -> Option<String> {
    let modified = meta.modified().ok()?;
    let age = now.duration_since(modified).ok()?;
    if age.as_secs() < FRESH_FILE_SECS {
        return None;
    }
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!(
        "W/\"file-{}-{}.{:09}\"",
        meta.len(),
        since.as_secs(),
        since.subsec_nanos()
    ))
}

/// See [`file_validator`].
const FRESH_FILE_SECS: u64 = 2;
