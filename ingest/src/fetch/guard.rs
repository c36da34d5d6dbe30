//! The private-network guard: which addresses a source may reach.
//!
//! A source is refused when it resolves only to addresses that are not on the
//! public Internet (loopback, private, link-local, CGNAT, multicast,
//! documentation ranges...). The check happens three times: on an IP literal
//! in the URL before any request ([`check_url_host`]), after DNS resolution
//! ([`GuardedResolver`], which keeps only the public addresses of a name), and
//! on every redirect target ([`check_redirect`]), so that a public page cannot
//! bounce the fetcher onto the council's intranet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// A host refused by the guard; travels through reqwest's error chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to {addr}, which is {why}; set allow_private_networks = true to allow it")]
pub(crate) struct GuardRefusal {
    pub(crate) host: String,
    pub(crate) addr: IpAddr,
    pub(crate) why: &'static str,
}

/// A redirect refused by [`check_redirect`]; travels through reqwest's error
/// chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedirectRefusal {
    #[error("more than {max} redirects")]
    TooMany { max: usize },
    #[error("redirect to {url}, which is not an http(s) URL")]
    Scheme { url: String },
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

/// True when `ip` is a globally routable unicast address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    non_public_reason(ip).is_none()
}

/// Why `ip` is not public, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_broadcast() {
        Some("the broadcast address")
    } else if a == 0 {
        Some("an unspecified (\"this network\") address")
    } else if a == 127 {
        Some("a loopback address")
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        Some("a private network address")
    } else if a == 169 && b == 254 {
        Some("a link-local address")
    } else if a == 100 && (64..=127).contains(&b) {
        Some("a carrier-grade NAT address")
    } else if (224..=239).contains(&a) {
        Some("a multicast address")
    } else if a >= 240 {
        Some("a reserved address")
    } else if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        Some("a documentation address")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("a benchmarking address")
    } else if a == 192 && b == 0 && c == 0 {
        Some("an IETF protocol assignment address")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible
    // (::a.b.c.d): judge the embedded IPv4 address.
    if seg[..5] == [0, 0, 0, 0, 0] && (seg[5] == 0xffff || seg[5] == 0) {
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        return v4_reason(v4).or(if seg[5] == 0 {
            Some("a deprecated IPv4-compatible address")
        } else {
            None
        });
    }
    // NAT64 (64:ff9b::/96) embeds an IPv4 address too.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        return v4_reason(v4);
    }
    if seg[0] & 0xfe00 == 0xfc00 {
        Some("a unique-local (private) address")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if seg[0] & 0xffc0 == 0xfec0 {
        Some("a site-local (private) address")
    } else if seg[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        Some("a documentation address")
    } else if seg[..4] == [0x0100, 0, 0, 0] {
        Some("a discard-only address")
    } else if seg[0] == 0x2002 {
        // 6to4 embeds an IPv4 address in bits 16..48.
        let v4 = Ipv4Addr::new(
            (seg[1] >> 8) as u8,
            seg[1] as u8,
            (seg[2] >> 8) as u8,
            seg[2] as u8,
        );
        v4_reason(v4)
    } else {
        None
    }
}

/// Refuse a URL whose host is a non-public IP literal (such URLs never reach
/// the resolver). Names pass: the resolver judges them.
pub(crate) fn check_url_host(url: &Url, allow_private: bool) -> Result<(), GuardRefusal> {
    if allow_private {
        return Ok(());
    }
    let addr = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match non_public_reason(addr) {
        Some(why) => Err(GuardRefusal {
            host: url.host_str().unwrap_or_default().to_owned(),
            addr,
            why,
        }),
        None => Ok(()),
    }
}

/// The redirect policy, as a plain function: `redirects_so_far` counts the
/// redirects already followed before this one (reqwest's `previous()` holds
/// the original URL too, so it is `previous().len() - 1`). Refuses the
/// redirect past `max`, non-http(s) targets and non-public IP literals.
pub(crate) fn check_redirect(
    next: &Url,
    redirects_so_far: usize,
    max: usize,
    allow_private: bool,
) -> Result<(), RedirectRefusal> {
    if redirects_so_far >= max {
        return Err(RedirectRefusal::TooMany { max });
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Err(RedirectRefusal::Scheme {
            url: next.to_string(),
        });
    }
    check_url_host(next, allow_private).map_err(|refusal| RedirectRefusal::Private {
        url: next.to_string(),
        refusal,
    })
}

/// Keep the public addresses of `host`; refuse when none is public.
pub(crate) fn filter_addrs(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, GuardRefusal> {
    if allow_private {
        return Ok(addrs);
    }
    let mut first_refused = None;
    let mut kept = Vec::with_capacity(addrs.len());
    for addr in addrs {
        match non_public_reason(addr.ip()) {
            None => kept.push(addr),
            Some(why) => {
                if first_refused.is_none() {
                    first_refused = Some((addr.ip(), why));
                }
            }
        }
    }
    match (kept.is_empty(), first_refused) {
        (true, Some((addr, why))) => Err(GuardRefusal {
            host: host.to_owned(),
            addr,
            why,
        }),
        _ => Ok(kept),
    }
}

/// reqwest's resolver: tokio's `lookup_host`, then [`filter_addrs`].
#[derive(Clone, Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let lookup = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(|addrs| addrs.collect::<Vec<SocketAddr>>());
            let found = match lookup {
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
            let kept = filter_addrs(&host, found, allow_private)
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
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public_ip(ip(s)), "{s} should be public");
        }
    }

    #[test]
    fn each_non_public_range_is_refused_with_its_reason() {
        let cases = [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.254", "private"),
            ("192.168.1.10", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("240.0.0.1", "reserved"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("::ffff:169.254.1.1", "link-local"),
            ("::ffff:100.64.0.1", "carrier-grade NAT"),
            ("64:ff9b::a00:1", "private"),
            ("2002:c0a8:0101::1", "private"),
        ];
        for (s, want) in cases {
            let why = non_public_reason(ip(s));
            assert!(
                why.is_some_and(|w| w.contains(want)),
                "{s}: expected {want}, got {why:?}"
            );
            assert!(!is_public_ip(ip(s)));
        }
    }

    #[test]
    fn ip_literal_urls_are_checked_before_any_request() {
        let url = Url::parse("http://10.0.0.1/cal.ics").unwrap();
        let err = check_url_host(&url, false).unwrap_err();
        assert_eq!(err.addr, ip("10.0.0.1"));
        assert!(err.to_string().contains("private network"), "{err}");
        assert!(check_url_host(&url, true).is_ok());
        let v6 = Url::parse("http://[::ffff:127.0.0.1]:8080/").unwrap();
        assert!(check_url_host(&v6, false).is_err());
        let name = Url::parse("http://example.org/").unwrap();
        assert!(check_url_host(&name, false).is_ok());
    }

    #[test]
    fn redirect_to_a_private_address_is_refused() {
        let next = Url::parse("http://10.0.0.1/admin").unwrap();
        let err = check_redirect(&next, 0, 5, false).unwrap_err();
        assert!(matches!(err, RedirectRefusal::Private { .. }));
        assert!(err.to_string().contains("10.0.0.1"), "{err}");
        assert!(check_redirect(&next, 0, 5, true).is_ok());
        let public = Url::parse("https://93.184.216.34/x").unwrap();
        assert!(check_redirect(&public, 4, 5, false).is_ok());
    }

    #[test]
    fn redirect_count_and_scheme_are_checked() {
        let next = Url::parse("https://example.org/").unwrap();
        assert_eq!(
            check_redirect(&next, 5, 5, false),
            Err(RedirectRefusal::TooMany { max: 5 })
        );
        let ftp = Url::parse("ftp://example.org/x").unwrap();
        assert!(matches!(
            check_redirect(&ftp, 0, 5, false),
            Err(RedirectRefusal::Scheme { .. })
        ));
        let file = Url::parse("file:///etc/passwd").unwrap();
        assert!(check_redirect(&file, 0, 5, true).is_err());
    }

    #[test]
    fn resolved_addresses_keep_only_public_ones() {
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        let private: SocketAddr = "192.168.0.2:0".parse().unwrap();
        let kept = filter_addrs("mixed.example", vec![private, public], false).unwrap();
        assert_eq!(kept, vec![public]);
        let err = filter_addrs("intranet.example", vec![private], false).unwrap_err();
        assert_eq!(err.addr, private.ip());
        assert!(err
            .to_string()
            .starts_with("intranet.example resolves to 192.168.0.2"));
        assert_eq!(
            filter_addrs("x", vec![private], true).unwrap(),
            vec![private]
        );
    }

    #[tokio::test]
    async fn resolver_refuses_localhost() {
        use reqwest::dns::Resolve;
        let resolver = GuardedResolver {
            allow_private: false,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = match resolver.resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        let refusal = err.downcast_ref::<GuardRefusal>().unwrap();
        assert_eq!(refusal.why, "a loopback address");
    }
}
