//! The network guard: which addresses a source may reach.
//!
//! Addresses fall in three classes ([`classify`]):
//!
//! - **never fetched**, whatever the configuration: link-local and cloud
//!   metadata endpoints (169.254.0.0/16, fe80::/10, fd00:ec2::254,
//!   100.100.100.200), unspecified (0.0.0.0/8, ::), multicast, broadcast and
//!   reserved (240.0.0.0/4) addresses, and each of them embedded in IPv6
//!   (v4-mapped, v4-compatible, NAT64, 6to4, Teredo);
//! - **private** (loopback, RFC 1918, CGNAT, unique-local, benchmarking,
//!   documentation...): fetched only with `allow_private_networks = true`,
//!   and then reached by a redirect only when the target is the host of a
//!   configured source or the private host the redirect came from, so that a
//!   public page cannot bounce the fetcher onto the council's intranet;
//! - **public**.
//!
//! The check happens on an IP literal in the URL before any request
//! ([`check_url_host`]; the `url` crate has already normalised decimal,
//! octal, hex and short IPv4 notations), after DNS resolution
//! ([`GuardedResolver`]: a name with any refused address is refused whole,
//! so a mixed answer cannot be used to slip a private address in), and on
//! every redirect ([`check_redirect`], then the resolver again).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, RwLock};

use url::{Host, Url};

/// The class of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrClass {
    Public,
    /// Fetched only when private networks are allowed; the label reads
    /// "a loopback address".
    Private(&'static str),
    /// Never fetched; the label reads "multicast address".
    Forbidden(&'static str),
}

/// The class of `ip`.
pub fn classify(ip: IpAddr) -> AddrClass {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

/// True when `ip` is a globally routable unicast address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    non_public_reason(ip).is_none()
}

/// Why `ip` is not public, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match classify(ip) {
        AddrClass::Public => None,
        AddrClass::Private(why) | AddrClass::Forbidden(why) => Some(why),
    }
}

const LINK_LOCAL_V4: &str = "link-local/cloud metadata address";

fn v4_class(ip: Ipv4Addr) -> AddrClass {
    use AddrClass::{Forbidden, Private, Public};
    let [a, b, c, d] = ip.octets();
    if ip.is_broadcast() {
        Forbidden("broadcast address")
    } else if a == 0 {
        Forbidden("unspecified (\"this network\") address")
    } else if a == 169 && b == 254 {
        // 169.254.169.254 (AWS, GCP, Azure, OpenStack...), 169.254.170.2
        // (ECS task credentials): the whole block is off limits.
        Forbidden(LINK_LOCAL_V4)
    } else if [a, b, c, d] == [100, 100, 100, 200] {
        // Alibaba Cloud's metadata service sits inside the CGNAT block.
        Forbidden("cloud metadata address")
    } else if (224..=239).contains(&a) {
        Forbidden("multicast address")
    } else if a >= 240 {
        Forbidden("reserved address")
    } else if a == 127 {
        Private("a loopback address")
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        Private("a private network address")
    } else if a == 100 && (64..=127).contains(&b) {
        Private("a carrier-grade NAT address")
    } else if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        Private("a documentation address")
    } else if a == 198 && (b == 18 || b == 19) {
        Private("a benchmarking address")
    } else if a == 192 && b == 0 && c == 0 {
        Private("an IETF protocol assignment address")
    } else {
        Public
    }
}

/// The IPv4 address in the last 32 bits of `seg`.
fn low_v4(seg: &[u16; 8]) -> Ipv4Addr {
    Ipv4Addr::new(
        (seg[6] >> 8) as u8,
        seg[6] as u8,
        (seg[7] >> 8) as u8,
        seg[7] as u8,
    )
}

fn v6_class(ip: Ipv6Addr) -> AddrClass {
    use AddrClass::{Forbidden, Private, Public};
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Forbidden("unspecified address");
    }
    if ip.is_loopback() {
        return Private("a loopback address");
    }
    // IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and
    // the deprecated IPv4-compatible (::a.b.c.d): the stack may well connect
    // to the embedded IPv4 address, so judge that.
    let mapped = seg[..5] == [0, 0, 0, 0, 0] && seg[5] == 0xffff;
    let translated = seg[..4] == [0, 0, 0, 0] && seg[4] == 0xffff && seg[5] == 0;
    let compatible = seg[..6] == [0, 0, 0, 0, 0, 0];
    if mapped || translated || compatible {
        return match v4_class(low_v4(&seg)) {
            Public if compatible => Private("a deprecated IPv4-compatible address"),
            class => class,
        };
    }
    // NAT64 (64:ff9b::/96) embeds an IPv4 address too.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_class(low_v4(&seg));
    }
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1 {
        return Private("a local-use NAT64 address");
    }
    // 6to4 embeds an IPv4 address in bits 16..48.
    if seg[0] == 0x2002 {
        let v4 = Ipv4Addr::new(
            (seg[1] >> 8) as u8,
            seg[1] as u8,
            (seg[2] >> 8) as u8,
            seg[2] as u8,
        );
        return v4_class(v4);
    }
    // Teredo (2001::/32): the client's IPv4 address, bit-inverted, in the
    // last 32 bits.
    if seg[0] == 0x2001 && seg[1] == 0 {
        let client = Ipv4Addr::from(!u32::from(low_v4(&seg)));
        return v4_class(client);
    }
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        // AWS's metadata service over IPv6, inside the unique-local block.
        return Forbidden("link-local/cloud metadata address");
    }
    if seg[0] & 0xffc0 == 0xfe80 {
        Forbidden("link-local address")
    } else if seg[0] & 0xff00 == 0xff00 {
        Forbidden("multicast address")
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Private("a unique-local (private) address")
    } else if seg[0] & 0xffc0 == 0xfec0 {
        Private("a site-local (private) address")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        Private("a documentation address")
    } else if seg[..4] == [0x0100, 0, 0, 0] {
        Private("a discard-only address")
    } else {
        Public
    }
}

/// What to do with a private address at one point of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateRule {
    /// Private networks are allowed and this host may be private.
    Allow,
    /// Private networks are not allowed.
    Refuse,
    /// Private networks are allowed, but this host was reached by a redirect
    /// and is neither a configured source's host nor the private host the
    /// redirect came from.
    RefuseAfterRedirect,
}

impl PrivateRule {
    pub(crate) fn from_allow(allow_private: bool) -> PrivateRule {
        if allow_private {
            PrivateRule::Allow
        } else {
            PrivateRule::Refuse
        }
    }
}

/// Why a host is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefusalKind {
    /// An address that is never fetched.
    Never,
    /// A private address while private networks are not allowed.
    Private,
    /// A private address reached by a redirect it may not follow.
    PrivateAfterRedirect,
}

/// A host refused by the guard; travels through reqwest's error chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) struct GuardRefusal {
    pub(crate) host: String,
    pub(crate) addr: IpAddr,
    pub(crate) why: &'static str,
    pub(crate) kind: RefusalKind,
}

impl std::fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (host, addr, why) = (&self.host, self.addr, self.why);
        let literal = is_literal_of(host, addr);
        match self.kind {
            RefusalKind::Never if literal => write!(f, "{why} {addr} is never fetched"),
            RefusalKind::Never => {
                write!(f, "{host} resolves to {why} {addr}, which is never fetched")
            }
            RefusalKind::Private => write!(
                f,
                "{host} resolves to {addr}, which is {why}; set allow_private_networks = true to allow it"
            ),
            RefusalKind::PrivateAfterRedirect => write!(
                f,
                "{host} resolves to {addr}, which is {why}, reached by a redirect; a redirect \
                 may reach a private host only when it is a configured source's host or the \
                 private host it came from"
            ),
        }
    }
}

/// True when `host` is `addr` written as a URL host.
fn is_literal_of(host: &str, addr: IpAddr) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|h| h == addr)
}

/// A redirect refused by [`check_redirect`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedirectRefusal {
    #[error("more than {max} redirects")]
    TooMany { max: usize },
    #[error("redirect to {url}, which is not an http(s) URL")]
    Scheme { url: String },
    #[error("redirect to {location:?}, which is not a valid URL ({reason})")]
    Invalid { location: String, reason: String },
    #[error("redirect to {url}: {refusal}")]
    Private { url: String, refusal: GuardRefusal },
}

/// A name that could not be resolved; travels through reqwest's error chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host}: {message}")]
pub(crate) struct DnsFailure {
    pub(crate) host: String,
    pub(crate) message: String,
}

/// Judge one address of `host` under `rule`.
pub(crate) fn check_addr(host: &str, addr: IpAddr, rule: PrivateRule) -> Result<(), GuardRefusal> {
    let refuse = |why, kind| {
        Err(GuardRefusal {
            host: host.to_owned(),
            addr,
            why,
            kind,
        })
    };
    match (classify(addr), rule) {
        (AddrClass::Public, _) | (AddrClass::Private(_), PrivateRule::Allow) => Ok(()),
        (AddrClass::Forbidden(why), _) => refuse(why, RefusalKind::Never),
        (AddrClass::Private(why), PrivateRule::Refuse) => refuse(why, RefusalKind::Private),
        (AddrClass::Private(why), PrivateRule::RefuseAfterRedirect) => {
            refuse(why, RefusalKind::PrivateAfterRedirect)
        }
    }
}

/// The IP address of `url`'s host when it is a literal (IPv4 in any of the
/// notations the URL standard accepts, or bracketed IPv6).
pub(crate) fn literal_addr(url: &Url) -> Option<IpAddr> {
    match url.host() {
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        _ => None,
    }
}

/// Refuse a URL whose host is an IP literal that `rule` does not allow
/// (such URLs never reach the resolver). Names pass: the resolver judges
/// them.
pub(crate) fn check_url_host(url: &Url, rule: PrivateRule) -> Result<(), GuardRefusal> {
    match literal_addr(url) {
        Some(addr) => check_addr(url.host_str().unwrap_or_default(), addr, rule),
        None => Ok(()),
    }
}

/// The redirect policy, as a plain function: `redirects_so_far` counts the
/// redirects already followed before this one. Refuses the redirect past
/// `max`, non-http(s) targets and IP literals that `rule` does not allow.
pub(crate) fn check_redirect(
    next: &Url,
    redirects_so_far: usize,
    max: usize,
    rule: PrivateRule,
) -> Result<(), RedirectRefusal> {
    if redirects_so_far >= max {
        return Err(RedirectRefusal::TooMany { max });
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Err(RedirectRefusal::Scheme {
            url: next.to_string(),
        });
    }
    check_url_host(next, rule).map_err(|refusal| RedirectRefusal::Private {
        url: next.to_string(),
        refusal,
    })
}

/// The rule for a redirect hop to `next` when private networks are allowed:
/// a private target must be a configured source's host, or the same host as
/// the hop it came from when that hop was itself private.
pub(crate) fn redirect_rule(
    allow_private: bool,
    next: &Url,
    from: &Url,
    from_was_private: bool,
    sources: &SourceHosts,
) -> PrivateRule {
    if !allow_private {
        return PrivateRule::Refuse;
    }
    let host = host_key(next);
    let same_private_host = from_was_private && host.is_some() && host == host_key(from);
    if same_private_host || host.is_some_and(|h| sources.contains(&h)) {
        PrivateRule::Allow
    } else {
        PrivateRule::RefuseAfterRedirect
    }
}

/// A URL's host as [`SourceHosts`] keeps it: lowercase, IPv6 in brackets,
/// without the port.
pub fn host_key(url: &Url) -> Option<String> {
    url.host_str()
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
}

/// The hosts of the configured sources, shared between the pipeline (which
/// replaces them when the configuration changes) and the client. A redirect
/// may lead onto a private address only on one of these hosts.
#[derive(Clone, Debug, Default)]
pub struct SourceHosts(Arc<RwLock<HashSet<String>>>);

impl SourceHosts {
    /// The hosts of the http(s) URLs among `urls` (other entries, local
    /// files, are ignored).
    pub fn from_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> SourceHosts {
        let hosts = SourceHosts::default();
        hosts.set(urls);
        hosts
    }

    /// Replace the set with the hosts of `urls`.
    pub fn set<'a>(&self, urls: impl IntoIterator<Item = &'a str>) {
        let set: HashSet<String> = urls
            .into_iter()
            .filter_map(|u| Url::parse(u.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .filter_map(|u| host_key(&u))
            .collect();
        match self.0.write() {
            Ok(mut hosts) => *hosts = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    pub fn contains(&self, host: &str) -> bool {
        match self.0.read() {
            Ok(hosts) => hosts.contains(host),
            Err(poisoned) => poisoned.into_inner().contains(host),
        }
    }
}

/// Judge every resolved address of `host`: one refused address refuses the
/// name (a resolver answer mixing a public and a metadata address must not
/// leave the choice to the connector).
pub(crate) fn filter_addrs(
    host: &str,
    addrs: Vec<SocketAddr>,
    rule: PrivateRule,
) -> Result<Vec<SocketAddr>, GuardRefusal> {
    // A forbidden address is reported before a merely private one.
    let mut refusals: Vec<GuardRefusal> = addrs
        .iter()
        .filter_map(|a| check_addr(host, a.ip(), rule).err())
        .collect();
    refusals.sort_by_key(|r| r.kind != RefusalKind::Never);
    match refusals.into_iter().next() {
        Some(refusal) => Err(refusal),
        None => Ok(addrs),
    }
}

/// How a [`GuardedResolver`] looks a name up; tests inject a fixed table.
pub(crate) type LookupFn = Arc<dyn Fn(String) -> futures_lookup::LookupFuture + Send + Sync>;

pub(crate) mod futures_lookup {
    use std::future::Future;
    use std::net::SocketAddr;
    use std::pin::Pin;

    pub(crate) type LookupFuture =
        Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

    /// The system resolver, through tokio.
    pub(crate) fn system(host: String) -> LookupFuture {
        Box::pin(async move {
            tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect())
        })
    }
}

/// Names resolved from a fixed table instead of DNS
/// ([`FetchPolicy::hosts`](super::FetchPolicy::hosts)): a name missing
/// from it does not resolve, and no DNS query is made. For a closed
/// network, or tests that must not leave loopback. Every address found is
/// still judged by the guard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostsTable(Arc<std::collections::HashMap<String, Vec<IpAddr>>>);

impl HostsTable {
    /// A table of `(name, address)` pairs; a name may have several.
    pub fn new(entries: impl IntoIterator<Item = (String, IpAddr)>) -> HostsTable {
        let mut map: std::collections::HashMap<String, Vec<IpAddr>> = Default::default();
        for (name, addr) in entries {
            map.entry(name.trim_end_matches('.').to_ascii_lowercase())
                .or_default()
                .push(addr);
        }
        HostsTable(Arc::new(map))
    }

    /// Read the hosts(5) format: `ADDRESS NAME [NAME...]` per line, `#`
    /// comments. An error names the line.
    pub fn parse(text: &str) -> Result<HostsTable, String> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let Some(addr) = words.next() else {
                continue;
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("line {}: {addr:?} is not an IP address", i + 1))?;
            let names: Vec<&str> = words.collect();
            if names.is_empty() {
                return Err(format!("line {}: {addr} has no name", i + 1));
            }
            entries.extend(names.into_iter().map(|n| (n.to_string(), addr)));
        }
        Ok(HostsTable::new(entries))
    }

    /// The addresses of `name`, if it is in the table.
    pub fn get(&self, name: &str) -> Option<&[IpAddr]> {
        self.0
            .get(&name.trim_end_matches('.').to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    /// The lookup that answers from this table only.
    pub(crate) fn lookup(&self) -> LookupFn {
        let table = self.clone();
        Arc::new(move |host: String| {
            let found = table
                .get(&host)
                .map(|addrs| addrs.iter().map(|a| SocketAddr::new(*a, 0)).collect());
            Box::pin(async move {
                found.ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such name in the hosts table (names resolve only through it)",
                    )
                })
            }) as futures_lookup::LookupFuture
        })
    }
}

/// reqwest's resolver: a lookup (the system's, or a test table), then
/// [`filter_addrs`].
#[derive(Clone)]
pub(crate) struct GuardedResolver {
    pub(crate) rule: PrivateRule,
    pub(crate) lookup: LookupFn,
}

impl std::fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedResolver")
            .field("rule", &self.rule)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
impl GuardedResolver {
    pub(crate) fn system(rule: PrivateRule) -> GuardedResolver {
        GuardedResolver {
            rule,
            lookup: Arc::new(futures_lookup::system),
        }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let rule = self.rule;
        let lookup = (self.lookup)(host.clone());
        Box::pin(async move {
            let found = match lookup.await {
                Ok(found) => found,
                Err(e) => {
                    return Err(Box::new(DnsFailure {
                        host,
                        message: e.to_string(),
                    })
                        as Box<dyn std::error::Error + Send + Sync>)
                }
            };
            if found.is_empty() {
                return Err(Box::new(DnsFailure {
                    host,
                    message: "the name has no address".to_owned(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let kept = filter_addrs(&host, found, rule)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            tracing::debug!(host = %host, addrs = ?kept, "resolved");
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "169.255.0.1",
            "192.169.0.1",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "fe7f::1",
        ] {
            assert_eq!(classify(ip(s)), AddrClass::Public, "{s} should be public");
            assert!(is_public_ip(ip(s)));
        }
    }

    /// Every address that is never fetched, in IPv4 and each IPv6 form that
    /// embeds an IPv4 address, with the label its refusal names.
    #[test]
    fn forbidden_classes_in_every_form() {
        let cases = [
            ("169.254.169.254", "link-local/cloud metadata address"),
            ("169.254.0.1", "link-local/cloud metadata address"),
            ("169.254.170.2", "link-local/cloud metadata address"),
            ("100.100.100.200", "cloud metadata address"),
            ("0.0.0.0", "unspecified"),
            ("0.255.1.2", "unspecified"),
            ("224.0.0.1", "multicast address"),
            ("239.255.255.250", "multicast address"),
            ("255.255.255.255", "broadcast address"),
            ("240.0.0.1", "reserved address"),
            ("254.1.2.3", "reserved address"),
            ("fe80::1", "link-local address"),
            ("febf:ffff::1", "link-local address"),
            ("fd00:ec2::254", "link-local/cloud metadata address"),
            ("::", "unspecified address"),
            ("ff02::1", "multicast address"),
            ("ff0e::fb", "multicast address"),
            // v4-mapped
            (
                "::ffff:169.254.169.254",
                "link-local/cloud metadata address",
            ),
            ("::ffff:a9fe:a9fe", "link-local/cloud metadata address"),
            ("::ffff:0.0.0.0", "unspecified"),
            ("::ffff:224.0.0.251", "multicast address"),
            ("::ffff:255.255.255.255", "broadcast address"),
            ("::ffff:100.100.100.200", "cloud metadata address"),
            // IPv4-translated
            (
                "::ffff:0:169.254.169.254",
                "link-local/cloud metadata address",
            ),
            // v4-compatible
            ("::169.254.169.254", "link-local/cloud metadata address"),
            ("::0.0.0.2", "unspecified"),
            ("::240.0.0.1", "reserved address"),
            // NAT64
            (
                "64:ff9b::169.254.169.254",
                "link-local/cloud metadata address",
            ),
            ("64:ff9b::e000:1", "multicast address"),
            ("64:ff9b::ffff:ffff", "broadcast address"),
            // 6to4
            ("2002:a9fe:a9fe::1", "link-local/cloud metadata address"),
            ("2002:e000:0001::", "multicast address"),
            ("2002::1", "unspecified"),
            // Teredo: client 169.254.169.254 inverted is 86.1.86.1.
            (
                "2001:0:4136:e378:8000:63bf:5601:5601",
                "link-local/cloud metadata address",
            ),
        ];
        for (s, want) in cases {
            match classify(ip(s)) {
                AddrClass::Forbidden(why) => assert!(why.contains(want), "{s}: {why}"),
                other => panic!("{s}: expected never fetched ({want}), got {other:?}"),
            }
            for rule in [PrivateRule::Allow, PrivateRule::Refuse] {
                let err = check_addr(s, ip(s), rule).unwrap_err();
                assert_eq!(err.kind, RefusalKind::Never, "{s}");
                assert!(err.to_string().ends_with("is never fetched"), "{err}");
            }
        }
        let metadata =
            check_addr("169.254.169.254", ip("169.254.169.254"), PrivateRule::Allow).unwrap_err();
        assert_eq!(
            metadata.to_string(),
            "link-local/cloud metadata address 169.254.169.254 is never fetched"
        );
        let named = check_addr(
            "metadata.google.internal",
            ip("169.254.169.254"),
            PrivateRule::Allow,
        )
        .unwrap_err();
        assert_eq!(
            named.to_string(),
            "metadata.google.internal resolves to link-local/cloud metadata address \
             169.254.169.254, which is never fetched"
        );
    }

    #[test]
    fn private_classes_only_when_allowed() {
        let cases = [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.254", "private"),
            ("192.168.1.10", "private"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.1", "benchmarking"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("::1", "loopback"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fd00:ec2::253", "unique-local"),
            ("fec0::1", "site-local"),
            ("2001:db8::1", "documentation"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("::ffff:100.64.0.1", "carrier-grade NAT"),
            ("::127.0.0.1", "loopback"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("64:ff9b::a00:1", "private"),
            ("64:ff9b:1::a00:1", "local-use NAT64"),
            ("2002:c0a8:0101::1", "private"),
            ("2002:7f00:1::", "loopback"),
        ];
        for (s, want) in cases {
            match classify(ip(s)) {
                AddrClass::Private(why) => assert!(why.contains(want), "{s}: {why}"),
                other => panic!("{s}: expected private ({want}), got {other:?}"),
            }
            assert!(check_addr(s, ip(s), PrivateRule::Allow).is_ok());
            let err = check_addr(s, ip(s), PrivateRule::Refuse).unwrap_err();
            assert_eq!(err.kind, RefusalKind::Private);
            assert!(err.to_string().contains("allow_private_networks"), "{err}");
            let err = check_addr(s, ip(s), PrivateRule::RefuseAfterRedirect).unwrap_err();
            assert_eq!(err.kind, RefusalKind::PrivateAfterRedirect);
            assert!(err.to_string().contains("configured source"), "{err}");
        }
    }

    /// The URL standard reads decimal, octal, hex and short IPv4 hosts as
    /// addresses; each must reach the guard as the address it means.
    #[test]
    fn ip_literal_urls_in_every_notation_are_checked() {
        for (u, addr) in [
            ("http://2130706433/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://0x7F000001/", "127.0.0.1"),
            ("http://2852039166/", "169.254.169.254"),
            ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"),
            ("http://0251.0376.0251.0376/", "169.254.169.254"),
            ("http://169.254.43518/", "169.254.169.254"),
            ("http://0/", "0.0.0.0"),
            ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
            ("http://[::ffff:a9fe:a9fe]:8080/", "::ffff:169.254.169.254"),
            ("http://[0:0:0:0:0:ffff:7f00:1]/", "::ffff:127.0.0.1"),
            ("http://[fe80::1]/", "fe80::1"),
            ("http://[::]/", "::"),
        ] {
            let parsed = url(u);
            assert_eq!(literal_addr(&parsed), Some(ip(addr)), "{u}");
            assert!(check_url_host(&parsed, PrivateRule::Refuse).is_err(), "{u}");
        }
        // A zone index is not valid in a URL: such a host never parses.
        assert!(Url::parse("http://[fe80::1%25eth0]/").is_err());
        assert!(Url::parse("http://[fe80::1%eth0]/").is_err());

        let private = url("http://10.0.0.1/cal.ics");
        let err = check_url_host(&private, PrivateRule::Refuse).unwrap_err();
        assert_eq!(err.addr, ip("10.0.0.1"));
        assert!(err.to_string().contains("private network"), "{err}");
        assert!(check_url_host(&private, PrivateRule::Allow).is_ok());
        let metadata = url("http://169.254.169.254/latest/meta-data/");
        assert!(check_url_host(&metadata, PrivateRule::Allow).is_err());
        let name = url("http://example.org/");
        assert!(check_url_host(&name, PrivateRule::Refuse).is_ok());
    }

    #[test]
    fn redirect_targets_are_checked() {
        let next = url("http://10.0.0.1/admin");
        let err = check_redirect(&next, 0, 5, PrivateRule::Refuse).unwrap_err();
        assert!(matches!(err, RedirectRefusal::Private { .. }));
        assert!(err.to_string().contains("10.0.0.1"), "{err}");
        assert!(check_redirect(&next, 0, 5, PrivateRule::Allow).is_ok());
        assert!(check_redirect(&next, 0, 5, PrivateRule::RefuseAfterRedirect).is_err());
        let metadata = url("http://[::ffff:169.254.169.254]/");
        let err = check_redirect(&metadata, 0, 5, PrivateRule::Allow).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "link-local/cloud metadata address ::ffff:169.254.169.254 is never fetched"
            ),
            "{err}"
        );
        let public = url("https://93.184.216.34/x");
        assert!(check_redirect(&public, 4, 5, PrivateRule::Refuse).is_ok());
    }

    #[test]
    fn redirect_count_and_scheme_are_checked() {
        let next = url("https://example.org/");
        assert_eq!(
            check_redirect(&next, 5, 5, PrivateRule::Refuse),
            Err(RedirectRefusal::TooMany { max: 5 })
        );
        let ftp = url("ftp://example.org/x");
        assert!(matches!(
            check_redirect(&ftp, 0, 5, PrivateRule::Refuse),
            Err(RedirectRefusal::Scheme { .. })
        ));
        let file = url("file:///etc/passwd");
        assert!(check_redirect(&file, 0, 5, PrivateRule::Allow).is_err());
    }

    #[test]
    fn a_redirect_reaches_a_private_host_only_when_configured_or_staying() {
        let sources = SourceHosts::from_urls([
            "http://Intranet.Example:8080/agenda.ics",
            "https://[fd12::5]/feed",
            "/srv/local.ics",
            "file:///srv/other.ics",
        ]);
        assert!(sources.contains("intranet.example"));
        assert!(sources.contains("[fd12::5]"));
        let public = url("https://www.example.org/");
        let private = url("http://127.0.0.1:4000/");
        use PrivateRule::{Allow, RefuseAfterRedirect};
        let cases = [
            // Public to an unconfigured private host (literal or name).
            ("http://10.0.0.7/", &public, false, RefuseAfterRedirect),
            (
                "http://unknown.example/",
                &public,
                false,
                RefuseAfterRedirect,
            ),
            // Public to a configured host, whatever its port.
            ("https://intranet.example/x", &public, false, Allow),
            ("http://[fd12::5]:81/", &public, false, Allow),
            // Private to the same private host; to another one.
            ("http://127.0.0.1:4000/next", &private, true, Allow),
            (
                "http://127.0.0.2:4000/",
                &private,
                true,
                RefuseAfterRedirect,
            ),
            // A public host staying on its own name is judged afresh (the
            // name may now resolve elsewhere).
            (
                "https://www.example.org/next",
                &public,
                false,
                RefuseAfterRedirect,
            ),
        ];
        for (next, from, from_private, want) in cases {
            assert_eq!(
                redirect_rule(true, &url(next), from, from_private, &sources),
                want,
                "{from} to {next}"
            );
        }
        // Private networks not allowed: refused everywhere.
        assert_eq!(
            redirect_rule(
                false,
                &url("http://intranet.example/"),
                &public,
                false,
                &sources
            ),
            PrivateRule::Refuse
        );
        sources.set(["http://other.example/"]);
        assert!(!sources.contains("intranet.example"));
        assert!(sources.contains("other.example"));
    }

    #[test]
    fn one_refused_address_refuses_the_name() {
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        let private: SocketAddr = "192.168.0.2:0".parse().unwrap();
        let metadata: SocketAddr = "169.254.169.254:0".parse().unwrap();
        let v6_metadata: SocketAddr = "[fd00:ec2::254]:0".parse().unwrap();
        assert_eq!(
            filter_addrs("www.example", vec![public], PrivateRule::Refuse).unwrap(),
            vec![public]
        );
        // Not just the first address: any refused one refuses the name.
        let err =
            filter_addrs("mixed.example", vec![public, private], PrivateRule::Refuse).unwrap_err();
        assert_eq!(err.addr, private.ip());
        assert!(err
            .to_string()
            .starts_with("mixed.example resolves to 192.168.0.2"));
        assert_eq!(
            filter_addrs("x", vec![private, public], PrivateRule::Allow).unwrap(),
            vec![private, public]
        );
        // Allowed private or not, a metadata address among others refuses
        // the name, and is the address reported.
        for rule in [PrivateRule::Allow, PrivateRule::Refuse] {
            let err =
                filter_addrs("meta.example", vec![public, private, metadata], rule).unwrap_err();
            assert_eq!(err.addr, metadata.ip());
            assert_eq!(err.kind, RefusalKind::Never);
            let err = filter_addrs("meta6.example", vec![public, v6_metadata], rule).unwrap_err();
            assert_eq!(err.addr, v6_metadata.ip());
        }
        let err = filter_addrs(
            "late.example",
            vec![public, private],
            PrivateRule::RefuseAfterRedirect,
        )
        .unwrap_err();
        assert_eq!(err.kind, RefusalKind::PrivateAfterRedirect);
    }

    #[tokio::test]
    async fn resolver_refuses_localhost_unless_allowed() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = match GuardedResolver::system(PrivateRule::Refuse)
            .resolve(name)
            .await
        {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        let refusal = err.downcast_ref::<GuardRefusal>().unwrap();
        assert_eq!(refusal.why, "a loopback address");
        assert!(GuardedResolver::system(PrivateRule::Allow)
            .resolve("localhost".parse().unwrap())
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn resolver_judges_every_address_of_an_injected_answer() {
        use reqwest::dns::Resolve;
        let resolver = GuardedResolver {
            rule: PrivateRule::Allow,
            lookup: Arc::new(|host: String| {
                Box::pin(async move {
                    Ok(match host.as_str() {
                        "metadata.google.internal" => vec!["169.254.169.254:0".parse().unwrap()],
                        _ => vec![
                            "10.0.0.1:0".parse().unwrap(),
                            "[ff02::1]:0".parse().unwrap(),
                        ],
                    })
                }) as futures_lookup::LookupFuture
            }),
        };
        for (host, addr) in [
            ("metadata.google.internal", "169.254.169.254"),
            ("mixed.example", "ff02::1"),
        ] {
            let err = match resolver.resolve(host.parse().unwrap()).await {
                Ok(_) => panic!("{host} must be refused"),
                Err(e) => e,
            };
            let refusal = err.downcast_ref::<GuardRefusal>().unwrap();
            assert_eq!(refusal.addr, ip(addr));
            assert_eq!(refusal.kind, RefusalKind::Never);
        }
    }
}
