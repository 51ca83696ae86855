//! Reading the layered configuration key by key into a checked [`Config`]: the sections,
//! realms and tenants, rules and signing keys.

use super::*;
use crate::policy::claims::ALL_ORGANIZATIONS;

/// Reads keys one by one so that every problem is collected, and remembers which keys exist
/// so that anything else can be reported as unknown (usually a typo).
pub(super) struct Reader<'a> {
    pub(super) figment: &'a Figment,
    pub(super) problems: Vec<Problem>,
    pub(super) known: BTreeSet<String>,
    /// Read for `setup-keycloak`: a client secret that does not exist yet is no problem.
    pub(super) setup: bool,
}

impl Reader<'_> {
    /// Reads and checks every key; `None` when something required is missing or invalid.
    /// Every section is read even when an earlier one failed, so that all problems are listed.
    pub(super) fn read(&mut self) -> Option<Config> {
        let r = self;
        let server = r.server();
        let login = r.login();
        let jitsi = r.jitsi();
        let default_realm = r.realm("", None);
        let tenants = match &default_realm {
            Some(base) => r.tenant_realms(base),
            None => BTreeMap::new(),
        };
        r.unique_kids(default_realm.iter().chain(tenants.values()));
        let policy = r.policy();
        let inspector_enabled = r.get("inspector.enabled", false);
        let logout_redirect_url = r
            .opt::<String>("logout.redirect_url")
            .and_then(|s| r.web_url("logout.redirect_url", &s));
        let guests_enabled = r.get("guests.enabled", false);
        let default_language = r.default_language();
        let branding = r.branding();
        let log = r.log();
        let step_up = r.step_up();
        let config = Config {
            server: server?,
            login: login?,
            jitsi: jitsi?,
            realm: default_realm?,
            tenants,
            policy,
            inspector_enabled,
            logout_redirect_url,
            guests_enabled,
            default_language,
            branding,
            log,
            step_up,
        };
        r.strong_secrets(&config);
        r.organization_scopes(&config);
        Some(config)
    }

    fn server(&mut self) -> Option<ServerConfig> {
        let r = self;
        let listen = r.parsed::<SocketAddr>("server.listen", "127.0.0.1:3000");
        let public_url = r
            .required::<String>("server.public_url")
            .and_then(|s| r.web_url("server.public_url", &s));
        let request_timeout_secs = r.ranged("server.request_timeout_secs", 30, 1..=600);
        let header_timeout_secs = r.ranged("server.header_timeout_secs", 10, 1..=120);
        let max_in_flight =
            usize::try_from(r.ranged("server.max_in_flight", 1024, 1..=100_000)).unwrap_or(1024);
        let max_connections = r.opt::<u64>("server.max_connections").and_then(|n| {
            if (16..=1_000_000).contains(&n) {
                usize::try_from(n).ok()
            } else {
                r.problem(
                    "server.max_connections",
                    "must be between 16 and 1000000".into(),
                );
                None
            }
        });
        let metrics_listen =
            r.opt::<String>("metrics.listen")
                .and_then(|text| match text.parse::<SocketAddr>() {
                    Ok(a) => Some(a),
                    Err(e) => {
                        r.problem("metrics.listen", format!("{text:?} is not valid: {e}"));
                        None
                    }
                });
        Some(ServerConfig {
            listen: listen?,
            metrics_listen,
            public_url: public_url?,
            request_timeout_secs,
            header_timeout_secs,
            max_connections,
            max_in_flight,
        })
    }

    fn login(&mut self) -> Option<LoginConfig> {
        let cookie_key = self.secret("login.cookie_key", MIN_SECRET_BYTES);
        let ttl_secs = self.ranged("login.ttl_secs", 600, 30..=3600);
        Some(LoginConfig {
            cookie_key: cookie_key?,
            ttl_secs,
        })
    }

    fn jitsi(&mut self) -> Option<JitsiConfig> {
        let r = self;
        let jitsi_url = r
            .required::<String>("jitsi.url")
            .and_then(|s| r.web_url("jitsi.url", &s));
        let placement = r.get("jitsi.token_placement", TokenPlacement::Query);
        let skip_prejoin = r.get("jitsi.skip_prejoin", true);
        let electron_scheme = r.app_scheme("jitsi.electron_scheme", "jitsi-meet");
        let mobile_scheme = r.app_scheme("jitsi.mobile_scheme", "org.jitsi.meet");
        Some(JitsiConfig {
            target: JitsiTarget {
                base: jitsi_url?,
                placement,
                skip_prejoin,
                electron_scheme,
                mobile_scheme,
            },
        })
    }

    /// Keycloak sends `organization` only when the login asks for one of its scopes, and all
    /// of the user's organizations only for `organization:*`, so rules that name
    /// organizations need that in each realm's `oidc.scopes`: without it members would read
    /// as members of none, or of one.
    fn organization_scopes(&mut self, config: &Config) {
        for (prefix, tenant, rc) in config.realms() {
            let asks = rc.oidc.scopes.iter().any(|s| s == ALL_ORGANIZATIONS);
            if config.asks_organizations(tenant, rc) && !asks {
                self.problem(
                    &format!("{prefix}oidc.scopes"),
                    format!("the rules name organizations, but the login does not ask for all of the user's: add \"{ALL_ORGANIZATIONS}\" (\"organization\" or \"organization:<alias>\" give one organization)"),
                );
            }
        }
    }

    /// Prosody finds keys by kid alone, so one kid must mean one key across all realms.
    fn unique_kids<'r>(&mut self, realms: impl Iterator<Item = &'r RealmConfig>) {
        let mut by_kid: BTreeMap<&str, &crate::jitsi::signing::PublicKey> = BTreeMap::new();
        let mut clashes = BTreeSet::new();
        for key in realms.flat_map(|rc| rc.signer.published.iter()) {
            if let Some(seen) = by_kid.insert(&key.kid, key) {
                if seen != key {
                    clashes.insert(key.kid.clone());
                }
            }
        }
        for kid in clashes {
            self.problem("jitsi.signing_keys", format!("kid {kid:?} names different keys in different realms; give every key its own kid"));
        }
    }

    fn default_language(&mut self) -> crate::lang::Lang {
        let code = self.get::<String>("ui.default_language", "en".into());
        crate::lang::Lang::parse(&code).unwrap_or_else(|| {
            self.problem(
                "ui.default_language",
                "must be one of \"en\", \"de\", \"fr\"".into(),
            );
            crate::lang::Lang::En
        })
    }

    fn log(&mut self) -> LogConfig {
        let log = LogConfig {
            format: self.get("log.format", LogFormat::Text),
            level: self.get("log.level", "info".to_owned()),
        };
        if tracing_subscriber::EnvFilter::try_new(&log.level).is_err() {
            self.problem(
                "log.level",
                "is not a valid filter (try \"info\" or \"debug\")".into(),
            );
        }
        log
    }

    /// `[tenants.<name>]` sections: realms of their own for some Jitsi tenants.
    pub(super) fn tenant_realms(&mut self, base: &RealmConfig) -> BTreeMap<String, RealmConfig> {
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

    pub(super) fn scopes(&mut self, key: &str) -> Vec<String> {
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
    pub(super) fn signer(
        &mut self,
        prefix: &str,
        default: Option<SigningAlgorithm>,
    ) -> Option<Signer> {
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

    fn branding(&mut self) -> super::branding::Branding {
        let url = |r: &mut Self, key: &str| r.opt::<String>(key).and_then(|s| r.web_url(key, &s));
        // Pages people are sent to may have a query (`imprint?id=3`).
        let page = |r: &mut Self, key: &str| r.opt::<String>(key).and_then(|s| r.page_url(key, &s));
        let primary_color = self.opt::<String>("branding.primary_color").and_then(|c| {
            match super::branding::contrast_with_white(&c) {
                Some(ratio) if ratio >= 4.5 => Some(c.to_ascii_lowercase()),
                Some(ratio) => {
                    self.problem(
                        "branding.primary_color",
                        format!(
                            "white text on {c} has a contrast of {ratio:.1}:1; WCAG AA needs 4.5:1, choose a darker colour"
                        ),
                    );
                    None
                }
                None => {
                    self.problem("branding.primary_color", "must be a colour like \"#1a5fc8\"".into());
                    None
                }
            }
        });
        super::branding::Branding {
            product_name: self
                .opt::<String>("branding.product_name")
                .filter(|n| !n.trim().is_empty()),
            logo_url: url(self, "branding.logo_url"),
            primary_color,
            stylesheet_url: url(self, "branding.stylesheet_url"),
            imprint_url: page(self, "branding.imprint_url"),
            privacy_url: page(self, "branding.privacy_url"),
            help_url: page(self, "branding.help_url"),
            support_contact: self
                .opt::<String>("branding.support_contact")
                .filter(|n| !n.trim().is_empty()),
        }
    }
}

/// The origin of a URL, `None` when it does not parse (that is reported where it is read).
fn origin_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

mod realm;
