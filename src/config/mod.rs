//! Configuration: loaded in layers (built-in defaults, then a TOML file, then `BRIDGE_*`
//! environment variables with `__` between levels), then checked as a whole. Every problem is
//! collected and reported at once, each naming its key and environment variable, so an admin
//! fixes a broken file in one pass. Secrets can come from files (`<key>_file`) and are held as
//! [`SecretString`]s that never print.

use crate::jitsi::room_url::{JitsiTarget, TokenPlacement};
use crate::jitsi::signing::{KeyFile, Signer, SigningAlgorithm};
use crate::jitsi::tenant::Tenant;
use crate::jitsi::token::TokenSettings;
use crate::policy::claims::{AbsentMeansEmpty, Claim};
use crate::policy::rules::{
    Access, JITSI_FEATURES, ModeratorPolicy, PROSODY_FEATURES, Policy, Rule, Who, is_known_feature,
};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Value};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::{Host, Url};

pub mod branding;
mod reader;
mod rules;
mod secrets;
#[cfg(test)]
mod tests;

/// `[server]`, `[oidc]` and `[login]` of a valid configuration (bridge.example.org), for unit
/// tests to add their `[jitsi]` and rules to with `concat!`.
#[cfg(test)]
macro_rules! test_base {
    () => {
        r#"
        [server]
        public_url = "https://bridge.example.org"
        [oidc]
        issuer = "https://sso.example.org/realms/jitsi"
        client_id = "jitsi-bridge"
        client_secret = "s3cret-from-keycloak-0123"
        [login]
        cookie_key = "0123456789abcdef0123456789abcdef"
"#
    };
}
#[cfg(test)]
pub(crate) use test_base;
mod values;

use reader::Reader;

/// Prefix of the environment variables read as configuration.
pub const ENV_PREFIX: &str = "BRIDGE_";
/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_FILE_ENV: &str = "BRIDGE_CONFIG";
/// Secrets for `setup-keycloak` and `doctor` (the admin password, the admin client's secret,
/// the test user's password), read by those commands, never configuration keys.
pub const SETUP_ADMIN_PASSWORD_ENV: &str = "BRIDGE_SETUP_ADMIN_PASSWORD";
pub const SETUP_CLIENT_SECRET_ENV: &str = "BRIDGE_SETUP_CLIENT_SECRET";
pub const DOCTOR_TEST_PASSWORD_ENV: &str = "BRIDGE_DOCTOR_TEST_PASSWORD";
/// Shortest accepted shared secret or cookie key, in bytes (HS256 wants at least 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;
/// The secrets `config.example.toml` ships with: a copied file must not run with them.
const PLACEHOLDER_SECRETS: &[&str] = &[
    "change-me",
    "change-me-to-at-least-32-random-bytes",
    "change-me-to-the-same-secret-as-prosody",
];
/// Default lifetime of a Jitsi token. Prosody checks the token again whenever a session
/// resumes (a network change, a laptop waking up), and an expired one forces a new login in
/// the middle of the meeting; so the default covers a working day of meetings. A token opens
/// only its own room, which bounds what a copied one is worth.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 8 * 3600;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub login: LoginConfig,
    pub jitsi: JitsiConfig,
    /// Keycloak, signing and moderator settings for rooms without a configured tenant.
    pub realm: RealmConfig,
    /// Tenants (lower case) with settings of their own; missing keys inherit from `realm`.
    pub tenants: BTreeMap<String, RealmConfig>,
    /// `[access]` and `[[rules]]`, shared by all realms.
    pub policy: Policy,
    pub inspector_enabled: bool,
    /// `logout.redirect_url`; `None` means the bridge's own `/logged-out` page.
    pub logout_redirect_url: Option<Url>,
    pub guests_enabled: bool,
    /// Language of the pages when neither `?lang=` nor the browser names one the bridge has.
    pub default_language: crate::lang::Lang,
    pub branding: branding::Branding,
    pub log: LogConfig,
    /// `[step_up]` beyond its levels (which are in `policy`).
    pub step_up: StepUpConfig,
}

/// The name `setup-keycloak` gives the browser flow it makes for the levels.
pub const DEFAULT_STEP_UP_FLOW: &str = "jitsi-oidc-bridge step-up";

/// What `setup-keycloak` builds for `[step_up] levels` and `doctor` checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUpConfig {
    /// The browser flow's alias.
    pub flow: String,
    /// How long a level above the lowest stays valid in Keycloak's session (its
    /// "Condition - Level of Authentication" max age); 0: asked for at every login that
    /// needs it.
    pub max_age_secs: u64,
}

/// One organisation: its Keycloak realm and client, its Jitsi signing settings and who
/// moderates.
#[derive(Debug, Clone)]
pub struct RealmConfig {
    pub oidc: OidcConfig,
    pub token: TokenSettings,
    pub signer: Signer,
    pub moderators: ModeratorPolicy,
}

/// One `[[rules]]` entry as written.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleConfig {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    rooms: Vec<String>,
    #[serde(default)]
    tenants: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    realm_roles: Vec<String>,
    #[serde(default)]
    client_roles: Vec<String>,
    #[serde(default)]
    email_domains: Vec<String>,
    #[serde(default)]
    organizations: Vec<String>,
    #[serde(default)]
    require_verified_email: bool,
    #[serde(default = "yes")]
    allow: bool,
    #[serde(default)]
    moderator: Option<bool>,
    #[serde(default)]
    features: BTreeMap<String, bool>,
    #[serde(default)]
    lobby_bypass: Option<bool>,
    #[serde(default)]
    hidden_from_recorder: Option<bool>,
    #[serde(default)]
    security_bypass: Option<bool>,
    #[serde(default)]
    visitor: Option<bool>,
    #[serde(default)]
    room_lobby: Option<bool>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    token_ttl_secs: Option<u64>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// One entry of `jitsi.signing_keys`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileConfig {
    kid: String,
    private_key_file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where `/metrics` is served; `None` turns metrics off.
    pub metrics_listen: Option<SocketAddr>,
    /// The bridge's own public URL; `/callback` is derived from it. Never taken from `Host`.
    pub public_url: Url,
    pub request_timeout_secs: u64,
    /// Seconds a client has to send a request's headers; also the longest a kept-alive
    /// connection may sit idle before its next request.
    pub header_timeout_secs: u64,
    /// Open connections at most (public listener); more are closed at once. `None`: derived
    /// from the process's open-file limit.
    pub max_connections: Option<usize>,
    /// Requests handled at once; as many more may wait, and beyond that requests are shed.
    pub max_in_flight: usize,
}

#[derive(Clone)]
pub struct OidcConfig {
    /// Exactly as configured: OIDC compares issuers as strings, and `Url` would add a `/` to
    /// an issuer at a bare origin (`https://accounts.google.com`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Where the secret is read from, when from a file (`setup-keycloak` writes it there).
    pub client_secret_file: Option<PathBuf>,
    pub scopes: Vec<String>,
    /// Claims whose absence means "empty": the operator knows their mapper is there.
    pub absent_means_empty: AbsentMeansEmpty,
    pub http_timeout_secs: u64,
}

impl fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("absent_means_empty", &self.absent_means_empty)
            .field("http_timeout_secs", &self.http_timeout_secs)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct LoginConfig {
    pub cookie_key: SecretString,
    pub ttl_secs: u64,
}

impl fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginConfig")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct JitsiConfig {
    pub target: JitsiTarget,
}

// `[log]` is the telemetry's own settings; read here with the rest.
pub use crate::telemetry::{LogConfig, LogFormat};

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(
                f,
                "{} (env {}): {}",
                self.key,
                env_name(&self.key),
                self.message
            )
        }
    }
}

/// Everything wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<Problem>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration has {} problem(s):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A TOML syntax error as one problem that names the place and, when it can, the key, but
/// never shows the line: the TOML parser's own message quotes it, and the line may hold a
/// secret. Nothing else is checked in a file that cannot be read.
fn check_syntax(text: &str, source: &str) -> Result<(), ConfigError> {
    let Err(e) = toml::from_str::<toml::Table>(text) else {
        return Ok(());
    };
    let at = e.span().map_or(0, |s| s.start).min(text.len());
    let line_no = text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'))
        .filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
    let section = text
        .lines()
        .take(line_no)
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .map(|s| s.trim_matches(['[', ']']).to_owned())
        })
        .last();
    let place = match (section, key) {
        (Some(s), Some(k)) => format!(" (key {s}.{k})"),
        (None, Some(k)) => format!(" (key {k})"),
        _ => String::new(),
    };
    // The parser's message without its quoted source lines.
    let message = e.message().lines().next().unwrap_or("invalid TOML");
    Err(ConfigError(vec![Problem {
        key: String::new(),
        message: format!(
            "{source} is not valid TOML at line {line_no}{place}: {message} \
             (the line is not shown: it may hold a secret)"
        ),
    }]))
}

/// The environment variable that sets `key` (`jitsi.secret` → `BRIDGE_JITSI__SECRET`).
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase().replace('.', "__"))
}

impl Config {
    /// Loads from an optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, false)
    }

    fn load_with(file: Option<&Path>, setup: bool) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(vec![Problem {
                    key: String::new(),
                    message: format!(
                        "config file {} does not exist or is not a file",
                        path.display()
                    ),
                }]));
            }
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError(vec![Problem {
                    key: String::new(),
                    message: format!("cannot read {}: {e}", path.display()),
                }])
            })?;
            check_syntax(&text, &path.display().to_string())?;
            figment = figment.merge(Toml::string(&text));
        }
        // The variables of the commands share the prefix; they are not configuration keys
        // (figment compares the names without regard to case).
        let commands = [
            CONFIG_FILE_ENV,
            SETUP_ADMIN_PASSWORD_ENV,
            SETUP_CLIENT_SECRET_ENV,
            DOCTOR_TEST_PASSWORD_ENV,
        ]
        .map(|name| name.trim_start_matches(ENV_PREFIX));
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__").ignore(&commands));
        Self::read_figment(&figment, setup)
    }

    /// Every key the bridge reads, dotted (`jitsi.secret`), for documentation checks.
    pub fn known_keys() -> Vec<String> {
        let figment = Figment::new();
        let mut r = Reader {
            figment: &figment,
            problems: Vec::new(),
            known: BTreeSet::new(),
            setup: false,
        };
        // Reading an empty configuration visits every key; the problems are irrelevant here.
        let _ = r.read();
        r.known.into_iter().collect()
    }

    /// Loads from TOML text alone (tests and tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        check_syntax(text, "the configuration")?;
        Self::from_figment(&Figment::from(Toml::string(text)))
    }

    fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        Self::read_figment(figment, false)
    }

    /// Loads for `setup-keycloak`: like [`Self::load`], but the client secret may be missing
    /// (the command creates it and writes it to `oidc.client_secret_file`).
    pub fn load_for_setup(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, true)
    }

    fn read_figment(figment: &Figment, setup: bool) -> Result<Self, ConfigError> {
        let mut r = Reader {
            figment,
            problems: Vec::new(),
            known: BTreeSet::new(),
            setup,
        };
        let config = r.read();
        r.unknown_keys();
        match config {
            Some(c) if r.problems.is_empty() => Ok(c),
            _ => Err(ConfigError(r.problems)),
        }
    }

    /// `<public_url>/callback`, the redirect URI registered in Keycloak.
    pub fn redirect_uri(&self) -> Url {
        let mut url = self.server.public_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("callback");
        }
        url
    }

    /// Every realm with the prefix of its keys: `""` for the default, `tenants.<name>.` for a
    /// tenant's (which may share the default's issuer and client), and the tenant's name.
    pub fn realms(&self) -> impl Iterator<Item = (String, Option<&str>, &RealmConfig)> {
        std::iter::once((String::new(), None, &self.realm)).chain(
            self.tenants
                .iter()
                .map(|(name, rc)| (format!("tenants.{name}."), Some(name.as_str()), rc)),
        )
    }

    /// Whether logins of a realm (the tenant's with its own section, `None`: the default's)
    /// need the `organization` claim: `[access]` or the realm's moderators name
    /// organizations, or a rule naming them covers one of its tenants. A rule for other
    /// tenants asks nothing of it: their provider may not be Keycloak at all.
    pub fn asks_organizations(&self, tenant: Option<&str>, realm: &RealmConfig) -> bool {
        let serves = |t: &String| match tenant {
            Some(own) => t == own,
            None => !self.tenants.contains_key(t),
        };
        !self.policy.access.who.organizations.is_empty()
            || !realm.moderators.organizations.is_empty()
            || self.policy.rules.iter().any(|r| {
                !r.who.organizations.is_empty()
                    && (r.tenants.is_empty() || r.tenants.iter().any(serves))
            })
    }

    /// The HMAC secret of a realm, for printing the Jitsi settings.
    pub fn jitsi_secret_for(&self, realm: &RealmConfig) -> Option<SecretString> {
        realm.signer.hmac_secret.clone()
    }

    /// Where Keycloak sends the browser after logout.
    pub fn logout_redirect(&self) -> Url {
        self.logout_redirect_url
            .clone()
            .unwrap_or_else(|| self.own_logged_out())
    }

    /// Whether cookies get the `Secure` flag.
    pub fn secure_cookies(&self) -> bool {
        self.server.public_url.scheme() == "https"
    }

    /// The path the bridge is served under (`""` at the root, `/auth` for
    /// `https://meet.example.org/auth/`): routes, cookies and links live below it.
    pub fn base_path(&self) -> String {
        self.server
            .public_url
            .path()
            .trim_end_matches('/')
            .to_owned()
    }

    /// The bridge's own "logged out" page (Keycloak must list it as a post-logout redirect).
    pub fn own_logged_out(&self) -> Url {
        let mut url = self.server.public_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("logged-out");
        }
        url
    }

    /// The Jitsi origin, when the bridge is served under it: the condition for Jitsi's inline
    /// (pop-up) login, which accepts the result only from a page of its own origin.
    pub fn inline_origin(&self) -> Option<String> {
        let jitsi = self.jitsi.target.base.origin();
        (self.server.public_url.origin() == jitsi).then(|| jitsi.ascii_serialization())
    }
}
