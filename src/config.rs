//! Configuration: loaded in layers (built-in defaults, then a TOML file, then `BRIDGE_*`
//! environment variables with `__` between levels), then checked as a whole. Every problem is
//! collected and reported at once, each naming its key and environment variable, so an admin
//! fixes a broken file in one pass. Secrets can come from files (`<key>_file`) and are held as
//! [`SecretString`]s that never print.

use crate::jitsi::room_url::{JitsiTarget, TokenPlacement};
use crate::jitsi::tenant::Tenant;
use crate::jitsi::token::TokenSettings;
use crate::rules::{Access, JITSI_FEATURES, ModeratorPolicy, Policy, Rule, Who};
use crate::signing::{KeyFile, Signer, SigningAlgorithm};
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

/// Prefix of the environment variables read as configuration.
pub const ENV_PREFIX: &str = "BRIDGE_";
/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_FILE_ENV: &str = "BRIDGE_CONFIG";
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
    pub log: LogConfig,
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
    group: Option<String>,
    #[serde(default)]
    token_ttl_secs: Option<u64>,
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
}

#[derive(Clone)]
pub struct OidcConfig {
    /// Exactly as configured: OIDC compares issuers as strings, and `Url` would add a `/` to
    /// an issuer at a bare origin (`https://accounts.google.com`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
    pub http_timeout_secs: u64,
}

impl fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `info,jitsi_oidc_bridge=debug`.
    pub level: String,
}

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

/// The environment variable that sets `key` (`jitsi.secret` → `BRIDGE_JITSI__SECRET`).
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase().replace('.', "__"))
}

impl Config {
    /// Loads from an optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
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
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__").ignore(&["config"]));
        Self::from_figment(&figment)
    }

    /// Every key the bridge reads, dotted (`jitsi.secret`), for documentation checks.
    pub fn known_keys() -> Vec<String> {
        let figment = Figment::new();
        let mut r = Reader {
            figment: &figment,
            problems: Vec::new(),
            known: BTreeSet::new(),
        };
        // Reading an empty configuration visits every key; the problems are irrelevant here.
        let _ = r.read();
        r.known.into_iter().collect()
    }

    /// Loads from TOML text alone (tests and tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_figment(&Figment::from(Toml::string(text)))
    }

    fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        let mut r = Reader {
            figment,
            problems: Vec::new(),
            known: BTreeSet::new(),
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

/// Reads keys one by one so that every problem is collected, and remembers which keys exist
/// so that anything else can be reported as unknown (usually a typo).
struct Reader<'a> {
    figment: &'a Figment,
    problems: Vec<Problem>,
    known: BTreeSet<String>,
}

impl Reader<'_> {
    /// Reads and checks every key; `None` when something required is missing or invalid.
    fn read(&mut self) -> Option<Config> {
        let r = self;
        let listen = r.parsed::<SocketAddr>("server.listen", "127.0.0.1:3000");
        let public_url = r
            .required::<String>("server.public_url")
            .and_then(|s| r.web_url("server.public_url", &s));
        let request_timeout_secs = r.ranged("server.request_timeout_secs", 30, 1..=600);
        let metrics_listen =
            r.opt::<String>("metrics.listen")
                .and_then(|text| match text.parse::<SocketAddr>() {
                    Ok(a) => Some(a),
                    Err(e) => {
                        r.problem("metrics.listen", format!("{text:?} is not valid: {e}"));
                        None
                    }
                });

        let cookie_key = r.secret("login.cookie_key", MIN_SECRET_BYTES);
        let login_ttl = r.ranged("login.ttl_secs", 600, 30..=3600);

        let jitsi_url = r
            .required::<String>("jitsi.url")
            .and_then(|s| r.web_url("jitsi.url", &s));
        let placement = r.get("jitsi.token_placement", TokenPlacement::Query);
        let skip_prejoin = r.get("jitsi.skip_prejoin", true);
        let electron_scheme = r.app_scheme("jitsi.electron_scheme", "jitsi-meet");
        let mobile_scheme = r.app_scheme("jitsi.mobile_scheme", "org.jitsi.meet");

        let default_realm = r.realm("", None);
        let tenants = match &default_realm {
            Some(base) => r.tenant_realms(base),
            None => BTreeMap::new(),
        };
        // Prosody finds keys by kid alone, so one kid must mean one key across all realms.
        let mut by_kid: BTreeMap<&str, &crate::signing::PublicKey> = BTreeMap::new();
        let all_keys = default_realm
            .iter()
            .chain(tenants.values())
            .flat_map(|rc| rc.signer.published.iter());
        let mut clashes = BTreeSet::new();
        for key in all_keys {
            if let Some(seen) = by_kid.insert(&key.kid, key) {
                if seen != key {
                    clashes.insert(key.kid.clone());
                }
            }
        }
        for kid in clashes {
            r.problem("jitsi.signing_keys", format!("kid {kid:?} names different keys in different realms; give every key its own kid"));
        }

        let policy = r.policy();
        let inspector_enabled = r.get("inspector.enabled", false);
        let logout_redirect_url = r
            .opt::<String>("logout.redirect_url")
            .and_then(|s| r.web_url("logout.redirect_url", &s));
        let guests_enabled = r.get("guests.enabled", false);
        let log = LogConfig {
            format: r.get("log.format", LogFormat::Text),
            level: r.get("log.level", "info".to_owned()),
        };
        if tracing_subscriber::EnvFilter::try_new(&log.level).is_err() {
            r.problem(
                "log.level",
                "is not a valid filter (try \"info\" or \"debug\")".into(),
            );
        }

        Some(Config {
            server: ServerConfig {
                listen: listen?,
                metrics_listen,
                public_url: public_url?,
                request_timeout_secs,
            },
            login: LoginConfig {
                cookie_key: cookie_key?,
                ttl_secs: login_ttl,
            },
            jitsi: JitsiConfig {
                target: JitsiTarget {
                    base: jitsi_url?,
                    placement,
                    skip_prejoin,
                    electron_scheme,
                    mobile_scheme,
                },
            },
            realm: default_realm?,
            tenants,
            policy,
            inspector_enabled,
            logout_redirect_url,
            guests_enabled,
            log,
        })
    }

    /// The Keycloak and signing settings of the default realm (`prefix` empty, `base` None),
    /// or of one tenant (`prefix` `tenants.<name>.`), where every key left out is inherited.
    fn realm(&mut self, prefix: &str, base: Option<&RealmConfig>) -> Option<RealmConfig> {
        let r = self;
        let k = |key: &str| format!("{prefix}{key}");
        // A tenant inherits a key it does not set (the key still counts as known).
        let inherit = |r: &mut Reader<'_>, key: &str| -> bool {
            r.known.insert(k(key));
            base.is_some() && !r.figment.contains(&k(key))
        };

        let issuer = match base {
            Some(b) if inherit(r, "oidc.issuer") => Some(b.oidc.issuer.clone()),
            _ => r
                .required::<String>(&k("oidc.issuer"))
                .and_then(|s| r.web_url(&k("oidc.issuer"), &s).map(|_| s)),
        };
        let client_id = match base {
            Some(b) if inherit(r, "oidc.client_id") => Some(b.oidc.client_id.clone()),
            _ => r
                .required::<String>(&k("oidc.client_id"))
                .and_then(|s| r.non_empty(&k("oidc.client_id"), s)),
        };
        let client_secret = match base {
            Some(b)
                if inherit(r, "oidc.client_secret") && inherit(r, "oidc.client_secret_file") =>
            {
                Some(b.oidc.client_secret.clone())
            }
            _ => r.secret(&k("oidc.client_secret"), 1),
        };
        let scopes = match base {
            Some(b) if inherit(r, "oidc.scopes") => b.oidc.scopes.clone(),
            _ => r.scopes(&k("oidc.scopes")),
        };
        let http_timeout_secs = match base {
            Some(b) => b.oidc.http_timeout_secs,
            None => r.ranged("oidc.http_timeout_secs", 10, 1..=120),
        };

        let app_id = match base {
            Some(b) if inherit(r, "jitsi.app_id") => Some(b.token.issuer.clone()),
            _ => r
                .required::<String>(&k("jitsi.app_id"))
                .and_then(|s| r.non_empty(&k("jitsi.app_id"), s)),
        };
        let audience = match base {
            Some(b) if inherit(r, "jitsi.audience") => Some(b.token.audience.clone()),
            _ => {
                let a = r.get::<String>(&k("jitsi.audience"), "jitsi".into());
                r.non_empty(&k("jitsi.audience"), a)
            }
        };
        let ttl_secs = match base {
            Some(b) if inherit(r, "jitsi.token_ttl_secs") => b.token.ttl_secs,
            _ => r.ranged(
                &k("jitsi.token_ttl_secs"),
                DEFAULT_TOKEN_TTL_SECS,
                60..=86_400,
            ),
        };
        let (subject, nbf_backdate_secs) = match base {
            Some(b) => (Some(b.token.subject.clone()), b.token.nbf_backdate_secs),
            None => {
                let s = r.get::<String>("jitsi.subject", "meet.jitsi".into());
                let s = if s.trim() == "*" {
                    r.problem(
                        "jitsi.subject",
                        "\"*\" lets a token open the room of the same name in every tenant; \
                         set Jitsi's XMPP domain (docker-jitsi-meet: meet.jitsi)"
                            .into(),
                    );
                    None
                } else {
                    r.non_empty("jitsi.subject", s)
                };
                (s, r.ranged("jitsi.nbf_backdate_secs", 30, 0..=300))
            }
        };
        let signing_keys = [
            "jitsi.algorithm",
            "jitsi.secret",
            "jitsi.secret_file",
            "jitsi.signing_keys",
        ];
        let signer = match base {
            Some(b) if signing_keys.iter().all(|key| inherit(r, key)) => Some(b.signer.clone()),
            _ => r.signer(prefix, base.map(|b| b.signer.algorithm)),
        };

        let moderators = match base {
            Some(b)
                if [
                    "moderators.groups",
                    "moderators.realm_roles",
                    "moderators.client_roles",
                ]
                .iter()
                .all(|key| inherit(r, key)) =>
            {
                b.moderators.clone()
            }
            _ => ModeratorPolicy {
                groups: r.names(&k("moderators.groups")),
                realm_roles: r.names(&k("moderators.realm_roles")),
                client_roles: r.names(&k("moderators.client_roles")),
                email_domains: Vec::new(),
            },
        };

        Some(RealmConfig {
            oidc: OidcConfig {
                issuer: issuer?,
                client_id: client_id?,
                client_secret: client_secret?,
                scopes,
                http_timeout_secs,
            },
            token: TokenSettings {
                issuer: app_id?,
                audience: audience?,
                subject: subject?,
                ttl_secs,
                nbf_backdate_secs,
            },
            signer: signer?,
            moderators,
        })
    }

    /// `[tenants.<name>]` sections: realms of their own for some Jitsi tenants.
    fn tenant_realms(&mut self, base: &RealmConfig) -> BTreeMap<String, RealmConfig> {
        let mut out = BTreeMap::new();
        let names: Vec<String> = match self.figment.find_value("tenants") {
            Ok(Value::Dict(_, d)) => d.keys().cloned().collect(),
            Ok(_) => {
                self.problem(
                    "tenants",
                    "must be a table of [tenants.<name>] sections".into(),
                );
                return out;
            }
            Err(_) => return out,
        };
        for name in names {
            let key = format!("tenants.{name}");
            let tenant = match Tenant::parse(&name) {
                Ok(t) => t,
                Err(e) => {
                    self.problem(&key, format!("is not a valid tenant name: {e}"));
                    continue;
                }
            };
            if out.contains_key(&tenant.canonical()) {
                self.problem(
                    &key,
                    "is configured twice (tenant names are case-insensitive)".into(),
                );
                continue;
            }
            if let Some(realm) = self.realm(&format!("{key}."), Some(base)) {
                out.insert(tenant.canonical(), realm);
            }
        }
        out
    }

    /// `[access]` and `[[rules]]`.
    fn policy(&mut self) -> Policy {
        let access = Access {
            who: Who {
                groups: self.names("access.groups"),
                realm_roles: self.names("access.realm_roles"),
                client_roles: self.names("access.client_roles"),
                email_domains: self.domains("access.email_domains"),
            },
            require_verified_email: self.get("access.require_verified_email", false),
            reason: self.opt("access.reason"),
        };
        let show_reasons = self.get("access.show_reasons", true);
        let raw: Vec<RuleConfig> = self.opt("rules").unwrap_or_default();
        let mut rules = Vec::new();
        for (i, rc) in raw.into_iter().enumerate() {
            let key = format!("rules[{i}]");
            rules.push(self.rule(&key, rc));
        }
        Policy {
            access,
            rules,
            show_reasons,
        }
    }

    fn rule(&mut self, key: &str, rc: RuleConfig) -> Rule {
        let problem = |this: &mut Self, field: &str, message: String| {
            this.problem(&format!("{key}.{field}"), message)
        };
        for p in &rc.rooms {
            if p.is_empty()
                || p.chars().count() > 128
                || p.contains(['/', '\\'])
                || p.chars().any(char::is_control)
            {
                problem(
                    self,
                    "rooms",
                    format!(
                        "{p:?} is not a room pattern (1-128 characters, * and ? as wildcards, no /)"
                    ),
                );
            }
        }
        let mut tenants = Vec::new();
        for t in &rc.tenants {
            match Tenant::parse(t) {
                Ok(t) => tenants.push(t.canonical()),
                Err(e) => problem(self, "tenants", format!("{t:?}: {e}")),
            }
        }
        for name in rc.features.keys() {
            if !JITSI_FEATURES.contains(&name.as_str()) {
                problem(
                    self,
                    "features",
                    format!(
                        "{name:?} is not a Jitsi feature (known: {})",
                        JITSI_FEATURES.join(", ")
                    ),
                );
            }
        }
        if let Some(ttl) = rc.token_ttl_secs {
            if !(60..=86_400).contains(&ttl) {
                problem(
                    self,
                    "token_ttl_secs",
                    "must be between 60 and 86400".into(),
                );
            }
        }
        if let Some(g) = &rc.group {
            if g.is_empty() || g.len() > 256 || g.chars().any(char::is_control) {
                problem(
                    self,
                    "group",
                    "must be 1 to 256 printable characters".into(),
                );
            }
        }
        let sets_effects = rc.moderator.is_some()
            || !rc.features.is_empty()
            || rc.lobby_bypass.is_some()
            || rc.group.is_some()
            || rc.token_ttl_secs.is_some();
        if !rc.allow && sets_effects {
            problem(self, "allow", "a rule with allow = false denies; it cannot also set moderator, features, lobby_bypass, group or token_ttl_secs".into());
        }
        for (field, names) in [
            ("groups", &rc.groups),
            ("realm_roles", &rc.realm_roles),
            ("client_roles", &rc.client_roles),
        ] {
            if names.iter().any(|n| n.trim().is_empty()) {
                problem(self, field, "contains an empty name".into());
            }
        }
        let email_domains = rc
            .email_domains
            .iter()
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect::<Vec<_>>();
        if email_domains
            .iter()
            .any(|d| d.is_empty() || !d.contains('.') || d.contains('@'))
        {
            problem(
                self,
                "email_domains",
                "entries must be domains like example.org".into(),
            );
        }
        Rule {
            name: rc.name.unwrap_or_else(|| key.to_owned()),
            rooms: rc.rooms.iter().map(|p| p.to_lowercase()).collect(),
            tenants,
            who: Who {
                groups: rc.groups,
                realm_roles: rc.realm_roles,
                client_roles: rc.client_roles,
                email_domains,
            },
            require_verified_email: rc.require_verified_email,
            allow: rc.allow,
            moderator: rc.moderator,
            features: rc.features,
            lobby_bypass: rc.lobby_bypass,
            group: rc.group,
            token_ttl_secs: rc.token_ttl_secs,
            reason: rc.reason,
        }
    }

    /// E-mail domains: lower case, without a leading `@`.
    fn domains(&mut self, key: &str) -> Vec<String> {
        let raw: Vec<String> = self.get(key, Vec::new());
        let domains: Vec<String> = raw
            .iter()
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect();
        if domains
            .iter()
            .any(|d| d.is_empty() || !d.contains('.') || d.contains('@'))
        {
            self.problem(key, "entries must be domains like example.org".into());
        }
        domains
    }

    fn scopes(&mut self, key: &str) -> Vec<String> {
        let mut scopes: Vec<String> =
            self.get(key, vec!["openid".into(), "profile".into(), "email".into()]);
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(|c: char| c.is_whitespace() || c.is_control()))
        {
            let message = format!("scope {bad:?} is not a single scope name");
            self.problem(key, message);
        }
        scopes
    }

    /// `jitsi.algorithm` with `jitsi.secret` (HS*) or `jitsi.signing_keys` (RS256).
    fn signer(&mut self, prefix: &str, default: Option<SigningAlgorithm>) -> Option<Signer> {
        let alg_key = format!("{prefix}jitsi.algorithm");
        let secret_key = format!("{prefix}jitsi.secret");
        let keys_key = format!("{prefix}jitsi.signing_keys");
        let algorithm = self.get(&alg_key, default.unwrap_or(SigningAlgorithm::HS256));
        if algorithm.is_hmac() {
            self.known.insert(keys_key.clone());
            if self.figment.contains(&keys_key) {
                self.problem(
                    &keys_key,
                    format!(
                        "is only used with algorithm RS256, not {}",
                        algorithm.name()
                    ),
                );
            }
            let secret = self.secret(&secret_key, MIN_SECRET_BYTES)?;
            return Some(Signer::hmac(algorithm, &secret));
        }
        for k in [secret_key.clone(), format!("{secret_key}_file")] {
            self.known.insert(k.clone());
            if self.figment.contains(&k) {
                self.problem(
                    &k,
                    "is not used with RS256 (remove it; Prosody gets public keys instead)".into(),
                );
            }
        }
        let files: Vec<KeyFileConfig> = match self.opt(&keys_key) {
            Some(f) => f,
            None => {
                self.problem(
                    &keys_key,
                    "is required with RS256: [{ kid = \"...\", private_key_file = \"...\" }]"
                        .into(),
                );
                return None;
            }
        };
        let mut seen = BTreeSet::new();
        let mut key_files = Vec::new();
        for f in files {
            if f.kid.trim().is_empty() || f.kid.len() > 200 || f.kid.chars().any(char::is_control) {
                self.problem(
                    &keys_key,
                    format!("kid {:?} must be 1 to 200 printable characters", f.kid),
                );
                return None;
            }
            if !seen.insert(f.kid.clone()) {
                self.problem(&keys_key, format!("kid {:?} is listed twice", f.kid));
                return None;
            }
            key_files.push(KeyFile {
                kid: f.kid,
                path: f.private_key_file,
            });
        }
        match Signer::rsa(&key_files) {
            Ok(s) => Some(s),
            Err(e) => {
                self.problem(&keys_key, e.to_string());
                None
            }
        }
    }

    fn problem(&mut self, key: &str, message: String) {
        self.problems.push(Problem {
            key: key.to_owned(),
            message,
        });
    }

    fn opt<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        self.known.insert(key.to_owned());
        if !self.figment.contains(key) {
            return None;
        }
        match self.figment.extract_inner::<T>(key) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = match e.kind {
                    figment::error::Kind::InvalidType(actual, expected) => {
                        format!("expected {expected}, found {actual}")
                    }
                    figment::error::Kind::UnknownVariant(found, allowed) => {
                        format!("{found:?} is not one of {}", allowed.join(", "))
                    }
                    other => other.to_string(),
                };
                self.problem(key, message);
                None
            }
        }
    }

    fn get<T: DeserializeOwned>(&mut self, key: &str, default: T) -> T {
        self.opt(key).unwrap_or(default)
    }

    fn required<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let present = self.figment.contains(key);
        let value = self.opt(key);
        if !present {
            self.problem(key, "is required".into());
        }
        value
    }

    fn ranged(&mut self, key: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> u64 {
        let value = self.get(key, default);
        if !range.contains(&value) {
            self.problem(
                key,
                format!("must be between {} and {}", range.start(), range.end()),
            );
        }
        value
    }

    fn parsed<T: std::str::FromStr>(&mut self, key: &str, default: &str) -> Option<T>
    where
        T::Err: fmt::Display,
    {
        let text = self.get::<String>(key, default.to_owned());
        match text.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(key, format!("{text:?} is not valid: {e}"));
                None
            }
        }
    }

    fn non_empty(&mut self, key: &str, value: String) -> Option<String> {
        if value.trim().is_empty() {
            self.problem(key, "must not be empty".into());
            None
        } else {
            Some(value)
        }
    }

    /// A custom URL scheme of a Jitsi app (never one a browser would treat as a web page or
    /// script).
    fn app_scheme(&mut self, key: &str, default: &str) -> String {
        let scheme = self
            .get::<String>(key, default.to_owned())
            .to_ascii_lowercase();
        let well_formed = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
            && scheme.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
            });
        let reserved = matches!(
            scheme.as_str(),
            "http" | "https" | "javascript" | "data" | "file" | "vbscript" | "blob" | "about"
        );
        if !well_formed || reserved {
            self.problem(key, format!("{scheme:?} is not a usable app URL scheme"));
        }
        scheme
    }

    /// A list of group or role names: no empty entries.
    fn names(&mut self, key: &str) -> Vec<String> {
        let names: Vec<String> = self.get(key, Vec::new());
        if names.iter().any(|n| n.trim().is_empty()) {
            self.problem(key, "contains an empty name".into());
        }
        names
    }

    /// An absolute http(s) URL with a host, without credentials, query or fragment. Plain
    /// http is accepted only for loopback hosts (local demos and tests).
    fn web_url(&mut self, key: &str, text: &str) -> Option<Url> {
        let url = match Url::parse(text) {
            Ok(u) => u,
            Err(e) => {
                self.problem(key, format!("{text:?} is not a URL: {e}"));
                return None;
            }
        };
        let message = if !matches!(url.scheme(), "http" | "https") {
            Some("must start with https://")
        } else if url.host().is_none() {
            Some("must name a host")
        } else if !url.username().is_empty() || url.password().is_some() {
            Some("must not contain a user name or password")
        } else if url.query().is_some() || url.fragment().is_some() {
            Some("must not contain a query (?) or fragment (#)")
        } else if url.scheme() == "http" && !is_loopback(&url) {
            Some("must use https:// (plain http is accepted only for localhost and 127.0.0.1)")
        } else {
            None
        };
        match message {
            Some(m) => {
                self.problem(key, m.into());
                None
            }
            None => Some(url),
        }
    }

    /// A secret given inline (`key`) or in a file (`key_file`), exactly one of the two.
    fn secret(&mut self, key: &str, min_bytes: usize) -> Option<SecretString> {
        let file_key = format!("{key}_file");
        let inline = self.opt::<Value>(key);
        let file = self.opt::<PathBuf>(&file_key);
        let text = match (inline, file) {
            (Some(_), Some(_)) => {
                self.problem(key, format!("set either {key} or {file_key}, not both"));
                return None;
            }
            (None, None) => {
                self.problem(
                    key,
                    format!("is required (or put it in a file named by {file_key})"),
                );
                return None;
            }
            (Some(Value::String(_, s)), None) => s,
            (Some(_), None) => {
                self.problem(key, "must be a string (quote it)".into());
                return None;
            }
            (None, Some(path)) => match std::fs::read_to_string(&path) {
                // Files usually end with a newline that is not part of the secret.
                Ok(s) => s.trim_end_matches(['\r', '\n']).to_owned(),
                Err(e) => {
                    self.problem(&file_key, format!("cannot read {}: {e}", path.display()));
                    return None;
                }
            },
        };
        if PLACEHOLDER_SECRETS.contains(&text.as_str()) {
            self.problem(
                key,
                "is still the placeholder from config.example.toml; set a real secret".into(),
            );
            return None;
        }
        let secret = SecretString::from(text);
        if secret.expose_secret().len() < min_bytes {
            self.problem(key, format!("must be at least {min_bytes} bytes long"));
            return None;
        }
        Some(secret)
    }

    fn unknown_keys(&mut self) {
        let data = match self.figment.extract::<Dict>() {
            Ok(d) => d,
            Err(e) => {
                self.problem("", format!("the configuration cannot be read: {e}"));
                return;
            }
        };
        let mut leaves = Vec::new();
        flatten("", &data, &mut leaves);
        for key in leaves {
            if !self.known.contains(&key) {
                self.problem(
                    &key,
                    "unknown key (misspelt, or not supported by this version)".into(),
                );
            }
        }
    }
}

fn flatten(prefix: &str, dict: &Dict, out: &mut Vec<String>) {
    for (k, v) in dict {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Dict(_, inner) => flatten(&key, inner, out),
            _ => out.push(key),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const VALID: &str = r#"
        [server]
        public_url = "https://bridge.example"
        [oidc]
        issuer = "https://sso.example/realms/jitsi"
        client_id = "jitsi-bridge"
        client_secret = "s3cret"
        [login]
        cookie_key = "0123456789abcdef0123456789abcdef"
        [jitsi]
        url = "https://meet.example"
        app_id = "jitsi-bridge"
        secret = "fedcba9876543210fedcba9876543210"
        [moderators]
        groups = ["moderators"]
    "#;

    #[test]
    fn loads_a_valid_file_with_defaults() {
        let c = Config::from_toml(VALID).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.redirect_uri().as_str(), "https://bridge.example/callback");
        assert_eq!(c.realm.token.subject, "meet.jitsi");
        assert_eq!(c.realm.token.audience, "jitsi");
        assert_eq!(c.realm.token.ttl_secs, 8 * 3600);
        assert_eq!(c.jitsi.target.placement, TokenPlacement::Query);
        assert!(c.jitsi.target.skip_prejoin);
        assert!(!c.inspector_enabled);
        assert!(c.secure_cookies());
        assert_eq!(c.realm.oidc.scopes, ["openid", "profile", "email"]);
        assert_eq!(c.realm.moderators.groups, ["moderators"]);
    }

    #[test]
    fn lists_every_problem_with_its_key() {
        let text = r#"
            [server]
            public_url = "http://bridge.example/x?y=1"
            listen = "nowhere"
            [oidc]
            issuer = "ftp://sso.example"
            client_secret = "a"
            client_secret_file = "/nonexistent"
            [login]
            cookie_key = "short"
            [jitsi]
            url = "javascript:alert(1)"
            app_id = ""
            secret = 42
            token_ttl_secs = 5
            token_placement = "header"
            tokn_ttl = 3
            [moderators]
            groups = ["", "ok"]
        "#;
        let err = Config::from_toml(text).unwrap_err();
        let keys: Vec<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        for want in [
            "server.listen",
            "server.public_url",
            "oidc.issuer",
            "oidc.client_id",
            "oidc.client_secret",
            "login.cookie_key",
            "jitsi.url",
            "jitsi.app_id",
            "jitsi.secret",
            "jitsi.token_ttl_secs",
            "jitsi.token_placement",
            "jitsi.tokn_ttl",
            "moderators.groups",
        ] {
            assert!(keys.contains(&want), "{want} missing from {err}");
        }
        let text = err.to_string();
        assert!(text.contains("BRIDGE_JITSI__SECRET"), "{text}");
        assert!(text.contains("unknown key"), "{text}");
        assert!(!text.contains("short"), "never echoes a secret: {text}");
    }

    #[test]
    fn secrets_from_files_and_never_in_debug() {
        let dir = std::env::temp_dir().join(format!("bridge-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("jitsi-secret");
        std::fs::write(&file, "from-a-file-0123456789abcdef0123456789\n").unwrap();
        let text = VALID.replace(
            r#"secret = "fedcba9876543210fedcba9876543210""#,
            &format!("secret_file = {:?}", file.display().to_string()),
        );
        let c = Config::from_toml(&text).unwrap();
        // The file's secret (without its newline) is what signs.
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({"x": 1}),
            &c.realm.signer.key,
        )
        .unwrap();
        let key = jsonwebtoken::DecodingKey::from_secret(b"from-a-file-0123456789abcdef0123456789");
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &v).unwrap();
        let shown = format!("{c:?}");
        for secret in ["from-a-file", "s3cret", "0123456789abcdef0123456789abcdef"] {
            assert!(!shown.contains(secret), "{secret} leaked into {shown}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for (url, ok) in [
            ("http://127.0.0.1:8080", true),
            ("http://localhost:8000/base", true),
            ("http://[::1]:3000", true),
            ("http://meet.example", false),
            ("https://meet.example", true),
            ("https://user:pw@meet.example", false),
            ("https://meet.example/#x", false),
        ] {
            let text = VALID.replace("https://meet.example", url);
            assert_eq!(Config::from_toml(&text).is_ok(), ok, "{url}");
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bridge-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn rs256_with_rotating_keys() {
        let dir = temp_dir("rs256");
        let (new, old) = (dir.join("new.pem"), dir.join("old.pem"));
        std::fs::write(&new, crate::signing::test_keys::rsa_pem()).unwrap();
        std::fs::write(&old, crate::signing::test_keys::rsa_pem()).unwrap();
        let text = VALID.replace(
            r#"secret = "fedcba9876543210fedcba9876543210""#,
            &format!(
                "algorithm = \"RS256\"\nsigning_keys = [{{ kid = \"2026-11\", private_key_file = {:?} }}, {{ kid = \"2026-05\", private_key_file = {:?} }}]",
                new.display().to_string(),
                old.display().to_string()
            ),
        );
        let c = Config::from_toml(&text).unwrap();
        assert_eq!(c.realm.signer.algorithm, SigningAlgorithm::RS256);
        assert_eq!(c.realm.signer.kid.as_deref(), Some("2026-11"));
        let kids: Vec<&str> = c
            .realm
            .signer
            .published
            .iter()
            .map(|k| k.kid.as_str())
            .collect();
        assert_eq!(kids, ["2026-11", "2026-05"]);

        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let cases = [
            (
                text.replace(
                    "algorithm = \"RS256\"",
                    "algorithm = \"RS256\"\nsecret = \"fedcba9876543210fedcba9876543210\"",
                ),
                "jitsi.secret",
            ),
            (
                VALID.replace(
                    r#"secret = "fedcba9876543210fedcba9876543210""#,
                    "algorithm = \"RS256\"",
                ),
                "jitsi.signing_keys",
            ),
            (
                text.replace(&new.display().to_string(), &broken.display().to_string()),
                "jitsi.signing_keys",
            ),
            (text.replace("2026-05", "2026-11"), "jitsi.signing_keys"),
            (
                VALID.replace(
                    r#"secret = "fedcba"#,
                    r#"algorithm = "ES256"
secret = "fedcba"#,
                ),
                "jitsi.algorithm",
            ),
        ];
        for (text, key) in cases {
            let err = Config::from_toml(&text).unwrap_err();
            assert!(err.0.iter().any(|p| p.key == key), "{key} not in {err}");
        }
        // One kid must mean one key in every realm.
        let clash = format!(
            "{text}\n[tenants.acme.jitsi]\nalgorithm = \"RS256\"\nsigning_keys = [{{ kid = \"2026-11\", private_key_file = {:?} }}]\n",
            old.display().to_string()
        );
        let err = Config::from_toml(&clash).unwrap_err();
        assert!(
            err.to_string()
                .contains("kid \"2026-11\" names different keys"),
            "{err}"
        );
        let same = format!(
            "{text}\n[tenants.acme.jitsi]\nalgorithm = \"RS256\"\nsigning_keys = [{{ kid = \"2026-11\", private_key_file = {:?} }}]\n",
            new.display().to_string()
        );
        assert!(Config::from_toml(&same).is_ok());
    }

    #[test]
    fn tenants_inherit_what_they_do_not_set() {
        let text = format!(
            "{VALID}\n[tenants.Acme.oidc]\nissuer = \"https://sso.acme.example/realms/acme\"\nclient_secret = \"acme-secret\"\n\
             [tenants.Acme.moderators]\nrealm_roles = [\"teacher\"]\n[tenants.beta]\n"
        );
        let c = Config::from_toml(&text).unwrap();
        let acme = &c.tenants["acme"];
        assert_eq!(
            acme.oidc.issuer.as_str(),
            "https://sso.acme.example/realms/acme"
        );
        assert_eq!(acme.oidc.client_id, "jitsi-bridge");
        assert_eq!(acme.moderators.realm_roles, ["teacher"]);
        assert!(
            acme.moderators.groups.is_empty(),
            "a tenant's [moderators] replaces the default"
        );
        assert_eq!(acme.token, c.realm.token);
        assert_eq!(c.tenants["beta"].oidc.issuer, c.realm.oidc.issuer);

        let cases = [
            (
                format!("{VALID}\n[tenants.acme]\n[tenants.ACME]\n"),
                "tenants.acme",
            ),
            (format!("{VALID}\n[tenants.\"a/b\"]\n"), "tenants.a/b"),
            (
                format!("{VALID}\n[tenants.acme.oidc]\nissuer = \"http://evil.example\"\n"),
                "tenants.acme.oidc.issuer",
            ),
            (
                format!("{VALID}\n[tenants.acme.jitsi]\nurl = \"https://x.example\"\n"),
                "tenants.acme.jitsi.url",
            ),
            (
                format!("{VALID}\n[tenants.acme.jitsi]\nsecret = \"short\"\n"),
                "tenants.acme.jitsi.secret",
            ),
        ];
        for (text, key) in cases {
            let err = Config::from_toml(&text).unwrap_err();
            assert!(
                err.0.iter().any(|p| p.key.eq_ignore_ascii_case(key)),
                "{key} not in {err}"
            );
        }
    }

    #[test]
    fn rules_are_checked_whole() {
        let good = format!(
            "{VALID}\n[access]\nemail_domains = [\"@Example.ORG\"]\n\
             [[rules]]\nrooms = [\"Staff-*\"]\ngroups = [\"staff\"]\nfeatures = {{ recording = true }}\n\
             [[rules]]\nrooms = [\"staff-*\"]\nallow = false\nreason = \"Staff only\"\n"
        );
        let c = Config::from_toml(&good).unwrap();
        assert_eq!(c.policy.rules.len(), 2);
        assert_eq!(c.policy.rules[0].rooms, ["staff-*"]);
        assert_eq!(c.policy.rules[1].name, "rules[1]");
        assert_eq!(c.policy.access.who.email_domains, ["example.org"]);

        let bad = format!(
            "{VALID}\n[access]\nemail_domains = [\"nodot\"]\n\
             [[rules]]\nrooms = [\"\"]\nfeatures = {{ recordng = true }}\n\
             [[rules]]\nallow = false\nmoderator = true\ntenants = [\"a/b\"]\ntoken_ttl_secs = 5\n"
        );
        let err = Config::from_toml(&bad).unwrap_err();
        let keys: Vec<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        for want in [
            "access.email_domains",
            "rules[0].rooms",
            "rules[0].features",
            "rules[1].allow",
            "rules[1].tenants",
            "rules[1].token_ttl_secs",
        ] {
            assert!(keys.contains(&want), "{want} missing from {err}");
        }
        let typo = format!("{VALID}\n[[rules]]\nroms = [\"x\"]\n");
        assert!(
            Config::from_toml(&typo)
                .unwrap_err()
                .0
                .iter()
                .any(|p| p.key == "rules")
        );
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("jitsi.secret_file"), "BRIDGE_JITSI__SECRET_FILE");
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../config.example.toml");

    /// config.example.toml documents every key the code reads, with its environment variable,
    /// and nothing else.
    #[test]
    fn example_file_documents_every_key() {
        // `[tenants.<name>]` sections repeat keys documented above them.
        let mut section = String::new();
        let mut documented = BTreeSet::new();
        for line in EXAMPLE.lines() {
            let line = line.trim();
            let header = line.trim_start_matches("# ");
            if header == "[[rules]]" {
                documented.insert("rules".to_owned());
                section = "rules".to_owned();
            } else if let Some(name) = header.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_owned();
            } else if let Some((key, _)) = line.trim_start_matches("# ").split_once(" = ") {
                if !key.contains(' ') && !section.is_empty() {
                    documented.insert(format!("{section}.{key}"));
                }
            }
        }
        documented.retain(|k| !k.starts_with("tenants.") && !k.starts_with("rules."));
        let known: BTreeSet<String> = Config::known_keys().into_iter().collect();
        assert_eq!(documented, known);
        for key in &known {
            let env = env_name(key.trim_end_matches("_file"));
            assert!(EXAMPLE.contains(&env), "{env} is not mentioned");
        }
    }

    /// The example is complete except for its placeholder secrets, which are refused.
    #[test]
    fn example_file_is_valid_but_for_its_placeholder_secrets() {
        let err = Config::from_toml(EXAMPLE).unwrap_err();
        let keys: BTreeSet<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["oidc.client_secret", "login.cookie_key", "jitsi.secret"])
        );
        assert!(err.to_string().contains("placeholder"), "{err}");
        let filled = EXAMPLE
            .replace("\"change-me\"", "\"a-client-secret-from-keycloak\"")
            .replace(
                "change-me-to-at-least-32-random-bytes",
                "0123456789abcdef0123456789abcdef-random",
            )
            .replace(
                "change-me-to-the-same-secret-as-prosody",
                "fedcba9876543210fedcba9876543210-shared",
            );
        let c = Config::from_toml(&filled).unwrap();
        assert_eq!(c.server.public_url.as_str(), "https://bridge.example.org/");
    }
}
