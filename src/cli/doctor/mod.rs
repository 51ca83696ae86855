//! `jitsi-oidc-bridge doctor`: checks the whole chain of a live deployment, one line per check
//! (✔ or ✘ with the fix and the troubleshooting section that explains it). The exit status is
//! 1 when any check fails.
//!
//! Keycloak: discovery with the issuer exactly as configured, the keys, the client secret
//! (a token-endpoint call with a made-up code: `invalid_grant` means the secret was accepted,
//! `invalid_client` that it was not), and with admin credentials the client's settings and
//! mappers (the plan `setup-keycloak` would carry out must be empty). The bridge: its public
//! URL answers, the clocks agree. Jitsi, when its URL answers: `config.js` names this bridge
//! in `tokenAuthUrl` and `tokenLogoutUrl`, and the XMPP domain is the token's `sub`; with
//! RS256 the key server serves the current key. Finally a sample token passes the checks
//! Prosody makes with the printed settings.

use crate::clock::Clock;
use crate::config::Config;
use crate::keycloak::admin::Credentials;
use std::fmt::Write;
use std::time::Duration;

mod admin;
mod jitsi;
mod keycloak;

use self::admin::keycloak_admin;
use self::jitsi::{jitsi, sample_token};
use self::keycloak::{keycloak, test_login};

const GUIDE: &str = "docs/troubleshooting.md";

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Could not be made from here (nothing to compare with, a peer not reachable): said so,
    /// with what would make it possible, and not counted as a pass in the line's wording.
    Unchecked,
}

/// One check's outcome.
pub struct Check {
    pub verdict: Verdict,
    pub what: String,
    /// The fix, and where to read more, when it failed; what would allow it when unchecked.
    pub fix: String,
}

fn pass(what: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Pass,
        what: what.into(),
        fix: String::new(),
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>, section: &str) -> Check {
    Check {
        verdict: Verdict::Fail,
        what: what.into(),
        fix: format!("{} (see {GUIDE}#{section})", fix.into()),
    }
}

fn unchecked(what: impl Into<String>, how: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Unchecked,
        what: what.into(),
        fix: how.into(),
    }
}

/// Largest clock difference accepted. Prosody checks `nbf` and `exp` without leeway and the
/// bridge allows 60 s on the ID token's times; a few seconds is what NTP-synchronised
/// machines show, 10 s leaves room for the time a request takes.
const MAX_SKEW_SECS: i64 = 10;

/// Another machine's clock as seen from here: `theirs` read when `ours` was.
struct ClockReading {
    whose: String,
    skew: i64,
}

impl ClockReading {
    fn new(whose: impl Into<String>, ours: u64, theirs: i64) -> Self {
        Self {
            whose: whose.into(),
            skew: i64::try_from(ours).unwrap_or(i64::MAX) - theirs,
        }
    }

    /// From an HTTP `Date` header (Keycloak 26 sends none; nginx in front of Jitsi does).
    fn from_date(whose: &str, ours: u64, headers: &reqwest::header::HeaderMap) -> Option<Self> {
        let date = headers.get(reqwest::header::DATE)?.to_str().ok()?;
        let theirs = chrono::DateTime::parse_from_rfc2822(date).ok()?.timestamp();
        Some(Self::new(whose, ours, theirs))
    }
}

/// One line for all clock readings: Keycloak's clock matters for the ID token's times,
/// Jitsi's for the `nbf`/`exp` Prosody checks on the bridge's tokens.
fn clocks(readings: &[ClockReading]) -> Check {
    if readings.is_empty() {
        return unchecked(
            "the clocks were not compared: Keycloak sends no Date header and Jitsi did not answer",
            "give admin credentials or --test-user, whose tokens carry Keycloak's time",
        );
    }
    let off: Vec<&ClockReading> = readings
        .iter()
        .filter(|r| r.skew.abs() > MAX_SKEW_SECS)
        .collect();
    let list = |rs: &[&ClockReading]| {
        rs.iter()
            .map(|r| format!("{} {:+} s", r.whose, r.skew))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if off.is_empty() {
        pass(format!(
            "this machine's clock agrees with {}",
            list(&readings.iter().collect::<Vec<_>>())
        ))
    } else {
        fail(
            format!("this machine's clock is off: {}", list(&off)),
            "synchronise the clocks (NTP); Prosody allows no skew on a token's nbf",
            "clocks",
        )
    }
}

/// A test user whose login `doctor` goes through, as a browser would.
pub struct TestUser {
    pub name: String,
    pub password: secrecy::SecretString,
}

/// Runs every check; `admin` adds the checks that need Keycloak's admin API, `user` a real
/// login through Keycloak's form and the claims it brings.
pub async fn run(
    config: &Config,
    admin: Option<&Credentials>,
    user: Option<&TestUser>,
    clock: &dyn Clock,
) -> Vec<Check> {
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => return vec![fail("an HTTP client", e.to_string(), "tools")],
    };
    let mut out = vec![pass("the configuration is valid")];
    let mut readings = Vec::new();
    out.push(public_url(config, &http).await);
    for rc in std::iter::once(&config.realm).chain(config.tenants.values()) {
        out.extend(keycloak(rc, config, &http, clock, &mut readings).await);
    }
    if let Some(creds) = admin {
        out.extend(keycloak_admin(config, creds, clock, &mut readings).await);
    }
    if let Some(u) = user {
        out.push(test_login(config, u, clock, &mut readings).await);
    }
    out.extend(jitsi(config, &http, clock, &mut readings).await);
    out.push(clocks(&readings));
    out.push(sample_token(config, clock.now()));
    out
}

/// The lines to print, and whether all passed.
pub fn render(checks: &[Check]) -> (String, bool) {
    let mut text = String::new();
    for c in checks {
        let _ = match c.verdict {
            Verdict::Pass => writeln!(text, "✔ {}", c.what),
            Verdict::Fail => writeln!(text, "✘ {}: {}", c.what, c.fix),
            Verdict::Unchecked => writeln!(text, "– {}: {}", c.what, c.fix),
        };
    }
    (text, checks.iter().all(|c| c.verdict != Verdict::Fail))
}

async fn public_url(config: &Config, http: &reqwest::Client) -> Check {
    let url = format!(
        "{}/healthz",
        config.server.public_url.as_str().trim_end_matches('/')
    );
    match http.get(&url).send().await {
        Ok(r) if r.status().is_success() => pass(format!("{url} answers")),
        Ok(r) => fail(
            format!("{url} answers {}", r.status()),
            "the reverse proxy must pass the bridge's paths on to it",
            "tools",
        ),
        Err(e) => fail(
            format!("{url} does not answer"),
            format!("start the bridge, or fix DNS/proxy for server.public_url ({e})"),
            "tools",
        ),
    }
}

/// `doctor`: the checks, printed; exit status 1 when any fails, 2 when its own options are
/// wrong.
/// `admin_given`: admin credentials were asked for; `creds`: them, if they could be read.
pub async fn command(
    config: &Config,
    admin_given: bool,
    creds: Option<Credentials>,
    test_user: Option<String>,
    test_password_file: Option<std::path::PathBuf>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let password = match test_password_file {
        Some(f) => std::fs::read_to_string(f).ok(),
        None => std::env::var(crate::config::DOCTOR_TEST_PASSWORD_ENV).ok(),
    };
    let user = match (test_user, password) {
        (Some(name), Some(p)) => Some(TestUser {
            name,
            password: secrecy::SecretString::from(p.trim_end_matches(['\r', '\n']).to_owned()),
        }),
        (Some(_), None) => {
            eprintln!(
                "doctor: --test-user needs --test-password-file (or BRIDGE_DOCTOR_TEST_PASSWORD)"
            );
            return ExitCode::from(2);
        }
        _ => None,
    };
    if admin_given && creds.is_none() {
        eprintln!("doctor: the admin password or client secret cannot be read");
        return ExitCode::from(2);
    }
    let checks = run(
        config,
        creds.as_ref(),
        user.as_ref(),
        &crate::clock::SystemClock,
    )
    .await;
    let (text, ok) = render(&checks);
    #[allow(clippy::print_stdout)] // the checks are the output
    {
        print!("{text}");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
