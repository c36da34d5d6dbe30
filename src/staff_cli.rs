//! `babillard user ...` and `babillard token ...`: the staff accounts and
//! API tokens of the console, from the terminal.
//!
//! A password is never an argument (it would sit in the shell's history
//! and in `ps`): it is one line of standard input. A new token is printed
//! alone on standard output, once, so that `babillard token create ... >
//! file` keeps exactly the token; everything else goes to standard error.
//! Each change is a row of the audit trail, by `cli:USER`. The messages
//! are in the aggregator's first language (`publish::i18n`).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Subcommand;
use index::Index;
use publish::admin::auth::{normalize_email, secret, Role, MIN_PASSWORD_CHARS};
use publish::i18n::{tr, tr_args};

use babillard::config::CalendarConfig;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; its password is read from standard input (one line).
    Add {
        email: String,
        /// admin or editor.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A calendar this account curates (repeatable; none: all).
        #[arg(long = "calendar", value_name = "ID")]
        calendars: Vec<String>,
    },
    /// List the accounts.
    List,
    /// Remove an account (its sessions end).
    Remove { email: String },
    /// Set an account's password from standard input (its sessions end).
    Password { email: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token and print it, once, alone on standard output.
    Create {
        /// admin or editor.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A name for the token (what the audit trail shows).
        #[arg(long)]
        name: String,
        /// A calendar this token curates (repeatable; none: all).
        #[arg(long = "calendar", value_name = "ID")]
        calendars: Vec<String>,
    },
    /// List the API tokens (never their secret), revoked ones too.
    List,
    /// Revoke an API token.
    Revoke { name: String },
}

/// The message `id` in `lang`, with text arguments.
fn say(lang: &str, id: &str, args: &[(&'static str, &str)]) -> String {
    let args: Vec<_> = args.iter().map(|(k, v)| (*k, (*v).into())).collect();
    tr_args(lang, id, &args)
}

/// A list of calendars as `list` shows it: "all" when empty.
fn calendars_text(lang: &str, calendars: &[String]) -> String {
    if calendars.is_empty() {
        tr(lang, "cli-all-calendars")
    } else {
        calendars.join(",")
    }
}

fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

/// Who the audit trail says acted: the operating-system user.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    format!("cli:{user}")
}

/// Each id must be a configured `[[calendar]]`.
fn check_calendars(
    lang: &str,
    calendars: &[String],
    configured: &[CalendarConfig],
) -> anyhow::Result<()> {
    for id in calendars {
        let fine = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !fine {
            bail!(say(lang, "cli-bad-calendar", &[("id", id)]));
        }
        if !configured.iter().any(|c| c.id == *id) {
            let known: Vec<&str> = configured.iter().map(|c| c.id.as_str()).collect();
            bail!(tr_args(
                lang,
                "cli-unknown-calendar",
                &[
                    ("id", id.as_str().into()),
                    ("known", known.join(", ").into()),
                    ("count", known.len().into()),
                ]
            ));
        }
    }
    Ok(())
}

/// One line of standard input, without its line ending, long enough.
fn read_password(lang: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "{} ",
            tr_args(
                lang,
                "cli-password-prompt",
                &[("min", MIN_PASSWORD_CHARS.into())]
            )
        );
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context(tr(lang, "cli-password-unreadable"))?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line)
        .to_string();
    if password.is_empty() {
        bail!(tr(lang, "cli-password-missing"));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!(tr_args(
            lang,
            "cli-password-short",
            &[("min", MIN_PASSWORD_CHARS.into())]
        ));
    }
    Ok(password)
}

fn hash(password: &str) -> anyhow::Result<String> {
    secret::hash_password(password).map_err(|e| anyhow::anyhow!(e))
}

fn email_or_fail(lang: &str, raw: &str) -> anyhow::Result<String> {
    normalize_email(raw)
        .ok_or_else(|| anyhow::anyhow!(say(lang, "cli-bad-email", &[("email", raw)])))
}

/// The language of the messages: the aggregator's first.
fn first(languages: &[String]) -> &str {
    languages.first().map(String::as_str).unwrap_or_default()
}

/// `babillard user ...`; `languages` are the aggregator's, `calendars`
/// the configured ones (what `--calendar` may name).
pub fn user(
    index: &Index,
    languages: &[String],
    calendars_configured: &[CalendarConfig],
    command: UserCommand,
) -> anyhow::Result<()> {
    let lang = first(languages);
    match command {
        UserCommand::Add {
            email,
            role,
            calendars,
        } => {
            let email = email_or_fail(lang, &email)?;
            check_calendars(lang, &calendars, calendars_configured)?;
            if index.account(&email)?.is_some() {
                bail!(say(lang, "cli-account-exists", &[("email", &email)]));
            }
            let password = read_password(lang)?;
            let hash = hash(&password)?;
            if !index.create_account(&email, role.as_str(), &calendars, &hash)? {
                bail!(say(lang, "cli-account-exists", &[("email", &email)]));
            }
            index.log_action(
                &actor(),
                "account.create",
                &email,
                None,
                Some(json!({ "email": email, "role": role, "calendars": calendars })),
            )?;
            eprintln!(
                "{}",
                say(
                    lang,
                    "cli-account-created",
                    &[("email", &email), ("role", role.as_str())]
                )
            );
        }
        UserCommand::List => {
            for a in index.accounts()? {
                let calendars = calendars_text(lang, &a.calendars);
                println!(
                    "{:<32} {:<7} {:<24} {}",
                    a.email,
                    a.role,
                    calendars,
                    stamp(a.created_at)
                );
            }
        }
        UserCommand::Remove { email } => {
            let email = email.trim().to_lowercase();
            let Some(before) = index.account(&email)? else {
                bail!(say(lang, "cli-no-account", &[("email", &email)]));
            };
            if !index.remove_account(&email)? {
                bail!(say(lang, "cli-no-account", &[("email", &email)]));
            }
            index.log_action(
                &actor(),
                "account.remove",
                &email,
                Some(json!({ "email": before.email, "role": before.role, "calendars": before.calendars })),
                None,
            )?;
            eprintln!("{}", say(lang, "cli-account-removed", &[("email", &email)]));
        }
        UserCommand::Password { email } => {
            let email = email.trim().to_lowercase();
            if index.account(&email)?.is_none() {
                bail!(say(lang, "cli-no-account", &[("email", &email)]));
            }
            let password = read_password(lang)?;
            let hash = hash(&password)?;
            if !index.set_password_hash(&email, &hash)? {
                bail!(say(lang, "cli-no-account", &[("email", &email)]));
            }
            // The audit says that it changed, never what to.
            index.log_action(&actor(), "account.password", &email, None, None)?;
            eprintln!(
                "{}",
                say(lang, "cli-password-changed", &[("email", &email)])
            );
        }
    }
    Ok(())
}

/// `babillard token ...`; `languages` are the aggregator's, `calendars`
/// the configured ones (what `--calendar` may name).
pub fn token(
    index: &Index,
    languages: &[String],
    calendars_configured: &[CalendarConfig],
    command: TokenCommand,
) -> anyhow::Result<()> {
    let lang = first(languages);
    match command {
        TokenCommand::Create {
            role,
            name,
            calendars,
        } => {
            let name = name.trim().to_string();
            // No `@`: the audit trail must not mistake a token for an account.
            let fine = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !fine {
                bail!(tr(lang, "cli-bad-token-name"));
            }
            check_calendars(lang, &calendars, calendars_configured)?;
            let token = secret::new_api_token().map_err(|e| anyhow::anyhow!(e))?;
            if !index.create_token(&name, role.as_str(), &calendars, &token.hash)? {
                bail!(say(lang, "cli-token-exists", &[("name", &name)]));
            }
            index.log_action(
                &actor(),
                "token.create",
                &name,
                None,
                Some(json!({ "name": name, "role": role, "calendars": calendars })),
            )?;
            eprintln!(
                "{}",
                say(
                    lang,
                    "cli-token-created",
                    &[("name", &name), ("role", role.as_str())]
                )
            );
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", token.secret).context("cannot write the token")?;
            out.flush().context("cannot write the token")?;
        }
        TokenCommand::List => {
            for t in index.tokens()? {
                let calendars = calendars_text(lang, &t.calendars);
                let revoked = t
                    .revoked_at
                    .map(|at| say(lang, "cli-token-revoked-at", &[("at", &stamp(at))]))
                    .unwrap_or_default();
                println!(
                    "{:<24} {:<7} {:<24} {} {revoked}",
                    t.name,
                    t.role,
                    calendars,
                    stamp(t.created_at)
                );
            }
        }
        TokenCommand::Revoke { name } => {
            if !index.revoke_token(&name)? {
                bail!(say(lang, "cli-no-token", &[("name", &name)]));
            }
            index.log_action(&actor(), "token.revoke", &name, None, None)?;
            eprintln!("{}", say(lang, "cli-token-revoked", &[("name", &name)]));
        }
    }
    Ok(())
}
