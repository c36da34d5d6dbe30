//! robots.txt (RFC 9309): parsing, matching, and a per-origin cache.
//!
//! Groups start with one or more `User-agent` lines; the rules of every group
//! naming our product token ([`PRODUCT_TOKEN`], case-insensitive) apply, else
//! those of the `*` groups, else nothing is disallowed. A rule's path may use
//! `*` (any run of characters) and a final `$` (end of the URL); the longest
//! matching rule wins and `Allow` wins a tie. `/robots.txt` itself is always
//! allowed. Unknown lines (`Sitemap`, `Crawl-delay`) are ignored.
//!
//! The cache keeps one answer per origin (`scheme://host[:port]`) for a
//! time-to-live; the fetching itself is the client's job (see
//! `FetchClient::robots_check`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The product token babillard answers to in robots.txt.
pub const PRODUCT_TOKEN: &str = "babillard";

/// One Allow or Disallow line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    allow: bool,
    /// As written, for messages.
    pattern: String,
    /// Normalized for matching (see [`normalize`]).
    norm: Vec<u8>,
}

/// The rules that apply to us on one origin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RobotsRules {
    rules: Vec<Rule>,
}

#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
}

impl RobotsRules {
    /// Nothing disallowed (no robots.txt, a 4xx, an unreachable server).
    pub fn allow_all() -> RobotsRules {
        RobotsRules::default()
    }

    /// Parse a robots.txt body and keep the group(s) for `token`.
    pub fn parse(text: &str, token: &str) -> RobotsRules {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut groups: Vec<Group> = Vec::new();
        let mut last_was_agent = false;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !last_was_agent || groups.is_empty() {
                        groups.push(Group::default());
                    }
                    let agent = value
                        .split(|c: char| c == '/' || c.is_whitespace())
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(agent);
                    }
                    last_was_agent = true;
                }
                "allow" | "disallow" => {
                    last_was_agent = false;
                    if value.is_empty() {
                        continue;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.rules.push(Rule {
                            allow: key == "allow",
                            pattern: value.to_owned(),
                            norm: normalize(value),
                        });
                    }
                }
                _ => {}
            }
        }
        let token = token.to_ascii_lowercase();
        let named: Vec<&Group> = groups
            .iter()
            .filter(|g| g.agents.contains(&token))
            .collect();
        let chosen = if named.is_empty() {
            groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect()
        } else {
            named
        };
        RobotsRules {
            rules: chosen
                .into_iter()
                .flat_map(|g| g.rules.iter().cloned())
                .collect(),
        }
    }

    /// Whether `path_and_query` (as in the URL, e.g. `/a/b?x=1`) may be
    /// fetched; `Err` carries the deciding rule, e.g. `Disallow: /private`.
    pub fn check(&self, path_and_query: &str) -> Result<(), String> {
        if path_and_query == "/robots.txt" {
            return Ok(());
        }
        let path = normalize(path_and_query);
        let mut best: Option<&Rule> = None;
        for rule in &self.rules {
            if !matches(&rule.norm, &path) {
                continue;
            }
            best = match best {
                None => Some(rule),
                Some(b) if rule.norm.len() > b.norm.len() => Some(rule),
                Some(b) if rule.norm.len() == b.norm.len() && rule.allow && !b.allow => Some(rule),
                keep => keep,
            };
        }
        match best {
            Some(rule) if !rule.allow => Err(format!("Disallow: {}", rule.pattern)),
            _ => Ok(()),
        }
    }
}

/// Percent-encode bytes outside ASCII and upper-case existing `%xx`
/// escapes, so that a rule written with raw UTF-8 matches the encoded URL.
fn normalize(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    out.push(b'%');
                    out.push(h.to_ascii_uppercase());
                    out.push(l.to_ascii_uppercase());
                    i += 3;
                    continue;
                }
                _ => out.push(b),
            }
        } else if b >= 0x80 {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// Whether `pattern` (with `*` and a final `$`) matches from the start of
/// `path`. Without `$` the pattern is a prefix.
fn matches(pattern: &[u8], path: &[u8]) -> bool {
    let (pattern, anchored) = match pattern.split_last() {
        Some((b'$', rest)) => (rest, true),
        _ => (pattern, false),
    };
    // Iterative wildcard matching with one backtracking point per `*`.
    let (mut p, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pattern.get(p) {
            None if !anchored || s == path.len() => return true,
            Some(b'*') => {
                star = Some((p, s));
                p += 1;
                continue;
            }
            Some(&c) if path.get(s) == Some(&c) => {
                p += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch (or the anchored end not reached): let the last `*`
        // swallow one more character.
        match star {
            Some((sp, ss)) if ss < path.len() => {
                star = Some((sp, ss + 1));
                p = sp + 1;
                s = ss + 1;
            }
            _ => return false,
        }
    }
}

/// One origin's cached rules.
struct Cached {
    at: Instant,
    rules: Arc<RobotsRules>,
}

/// Per-origin slot; the async mutex makes concurrent first fetches of one
/// origin wait for a single robots.txt request.
type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// robots.txt answers per origin, each kept for a time-to-live.
#[derive(Default)]
pub(crate) struct RobotsCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl RobotsCache {
    /// The rules for `origin`, from the cache when younger than `ttl`,
    /// else from `load` (whose answer is cached).
    pub(crate) async fn get_or_load<F, Fut>(
        &self,
        origin: &str,
        ttl: Duration,
        load: F,
    ) -> Arc<RobotsRules>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = RobotsRules>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(origin.to_owned()).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref() {
            if c.at.elapsed() < ttl {
                return c.rules.clone();
            }
        }
        let rules = Arc::new(load().await);
        *cached = Some(Cached {
            at: Instant::now(),
            rules: rules.clone(),
        });
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> RobotsRules {
        RobotsRules::parse(text, PRODUCT_TOKEN)
    }

    #[test]
    fn star_group_applies_when_no_group_names_us() {
        let r = rules("User-agent: *\nDisallow: /private\n");
        assert_eq!(r.check("/private/a.ics"), Err("Disallow: /private".into()));
        assert_eq!(r.check("/privateer"), Err("Disallow: /private".into()));
        assert!(r.check("/public").is_ok());
        assert!(r.check("/").is_ok());
    }

    #[test]
    fn our_group_replaces_the_star_group() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: Babillard/1.0\nDisallow: /admin\n";
        let r = rules(text);
        assert!(r.check("/events").is_ok());
        assert!(r.check("/admin/x").is_err());
        // Another crawler's group does not apply to us.
        let other = rules("User-agent: googlebot\nDisallow: /\n");
        assert!(other.check("/anything").is_ok());
    }

    #[test]
    fn consecutive_user_agents_share_a_group_and_groups_merge() {
        let text = "User-agent: foo\nUser-agent: babillard\nDisallow: /a\n\nUser-agent: bar\nDisallow: /b\n\nuser-agent: BABILLARD\ndisallow: /c\n";
        let r = rules(text);
        assert!(r.check("/a").is_err());
        assert!(r.check("/b").is_ok());
        assert!(r.check("/c").is_err());
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let r = rules("User-agent: *\nDisallow: /events\nAllow: /events/public\n");
        assert!(r.check("/events/public/1").is_ok());
        assert!(r.check("/events/private").is_err());
        let r = rules("User-agent: *\nAllow: /page\nDisallow: /*.php\n");
        // "/*.php" (6) is longer than "/page" (5).
        assert!(r.check("/page.php").is_err());
        let tie = rules("User-agent: *\nDisallow: /x\nAllow: /x\n");
        assert!(tie.check("/x").is_ok());
        let root = rules("User-agent: *\nDisallow: /\nAllow: /$\n");
        assert!(root.check("/").is_ok());
        assert!(root.check("/a").is_err());
    }

    #[test]
    fn wildcards_and_end_anchor() {
        let r = rules("User-agent: *\nDisallow: /*.ics$\nDisallow: /tmp/*/cache\n");
        assert!(r.check("/cal/events.ics").is_err());
        assert!(r.check("/cal/events.ics?x=1").is_ok());
        assert!(r.check("/cal/events.icsx").is_ok());
        assert!(r.check("/tmp/a/b/cache/1").is_err());
        assert!(r.check("/tmp/cache").is_ok());
        assert!(matches(b"/*", b"/"));
        assert!(matches(b"*", b""));
        assert!(matches(b"/a*b*c$", b"/axxbyyc"));
        assert!(!matches(b"/a*b*c$", b"/axxbyycd"));
        assert!(matches(b"/$", b"/"));
        assert!(!matches(b"/$", b"/x"));
    }

    #[test]
    fn query_strings_are_matched() {
        let r = rules("User-agent: *\nDisallow: /*?session=\n");
        assert!(r.check("/events?session=1").is_err());
        assert!(r.check("/events?page=2").is_ok());
    }

    #[test]
    fn comments_empty_rules_bom_and_unknown_lines() {
        let text = "\u{feff}# hello\nUser-agent: * # everyone\nCrawl-delay: 10\nDisallow: # nothing\nSitemap: https://x/sitemap.xml\nDisallow: /secret # keep out\nnonsense line\n";
        let r = rules(text);
        assert!(r.check("/").is_ok());
        assert_eq!(r.check("/secret"), Err("Disallow: /secret".into()));
        assert_eq!(rules(""), RobotsRules::allow_all());
        assert_eq!(rules("Disallow: /orphan\n"), RobotsRules::allow_all());
    }

    #[test]
    fn robots_txt_itself_is_always_allowed() {
        let r = rules("User-agent: *\nDisallow: /\n");
        assert!(r.check("/robots.txt").is_ok());
        assert!(r.check("/index.html").is_err());
    }

    #[test]
    fn percent_encoding_is_normalized() {
        let r = rules("User-agent: *\nDisallow: /événements\nDisallow: /a%2fb\n");
        assert!(r.check("/%C3%A9v%C3%A9nements/1").is_err());
        assert!(r.check("/a%2Fb").is_err());
    }

    #[tokio::test]
    async fn cache_loads_once_then_expires() {
        let cache = RobotsCache::default();
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let calls = &counter;
        let load = move || async move {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            RobotsRules::allow_all()
        };
        let ttl = Duration::from_millis(200);
        cache.get_or_load("http://a", ttl, load).await;
        cache.get_or_load("http://a", ttl, load).await;
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        cache.get_or_load("http://b", ttl, load).await;
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_millis(250)).await;
        cache.get_or_load("http://a", ttl, load).await;
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
