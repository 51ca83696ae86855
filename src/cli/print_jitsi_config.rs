//! The Jitsi side of a bridge configuration, printed for admins to paste: docker-jitsi-meet
//! `.env` lines, the Debian Prosody and Jicofo lines and the `config.js` lines that accept
//! exactly the tokens this configuration mints (`jitsi-oidc-bridge print-jitsi-config`).
//!
//! What is printed follows what jitsi-meet, docker-jitsi-meet and jicofo do in 2026
//! (`docs/upstream-facts.md` §5-§6), for the case the configuration implies:
//! - who moderates: the bridge's rules when they name moderators (Jicofo authentication off,
//!   Prosody's `token_affiliation` sets owner or member from the token), otherwise every
//!   signed-in user (Jicofo's authentication makes each token user owner);
//! - guests or not: people without a token wait in the lobby for a signed-in user
//!   (`muc_wait_for_host`) or, with Jicofo authentication, until one has opened the room;
//! - tenants: domain verification is always on, since without it Prosody checks only the end of
//!   the room name and a token for `acme/roadmap` opens `globex/roadmap` and `/roadmap` too.

use crate::config::{Config, RealmConfig};
use crate::jitsi::signing::SigningAlgorithm;
use secrecy::ExposeSecret;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The Jitsi versions these settings were read from and checked against.
pub const CHECKED_AGAINST: &str =
    "jitsi-meet 2026-07 (Prosody token plugins), docker-jitsi-meet 2026-08, jicofo 2026-08";

/// Which set of Jitsi settings a configuration needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitsiCase {
    /// The bridge's rules decide who moderates (they name at least one moderator).
    pub roles_from_token: bool,
    /// People without a token may join (`[guests] enabled`).
    pub guests: bool,
    /// `[tenants.<name>]` sections exist.
    pub tenants: bool,
    /// Some tokens carry `context.user.lobby_bypass` (moderators always do): jitsi-contrib's
    /// `token_lobby_bypass` lets them past an active lobby. Without it core Prosody's
    /// `token_affiliation` does nothing for a user the lobby holds, so a token moderator
    /// would wait behind their own lobby.
    pub lobby_bypass: bool,
    /// Some rule turns a room's lobby on or off or sets `security_bypass`: jitsi-contrib's
    /// `token_security_ondemand` reads them.
    pub security_ondemand: bool,
    /// Some rule turns a room's lobby on (`context.room.lobby`), which needs the
    /// `persistent_lobby` module; such rules always make their users moderators.
    pub room_lobby: bool,
}

impl JitsiCase {
    pub fn of(config: &Config) -> Self {
        let names_moderators = std::iter::once(&config.realm)
            .chain(config.tenants.values())
            .any(|r| !r.moderators.is_empty())
            || config
                .policy
                .rules
                .iter()
                .any(|r| r.moderator == Some(true));
        let rules = &config.policy.rules;
        Self {
            roles_from_token: names_moderators,
            guests: config.guests_enabled,
            tenants: !config.tenants.is_empty(),
            lobby_bypass: names_moderators || rules.iter().any(|r| r.lobby_bypass == Some(true)),
            security_ondemand: rules
                .iter()
                .any(|r| r.room_lobby.is_some() || r.security_bypass == Some(true)),
            room_lobby: rules.iter().any(|r| r.room_lobby == Some(true)),
        }
    }

    /// The MUC modules of the conference component the tokens need, in load order.
    fn muc_modules(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.roles_from_token {
            out.push("token_affiliation");
            if self.guests {
                out.push("muc_wait_for_host");
            }
        }
        if self.lobby_bypass {
            out.push("token_lobby_bypass");
        }
        if self.security_ondemand {
            out.push("token_security_ondemand");
        }
        out
    }

    fn describe(&self, config: &Config) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# The case printed, from this configuration:");
        if self.roles_from_token {
            let _ = writeln!(
                out,
                "# - Moderators: decided by the bridge's rules ([moderators] or [[rules]] name\n\
                 #   moderators). Jicofo's authentication is off, because with it every token user\n\
                 #   becomes owner whatever the token says; Prosody's token_affiliation module makes\n\
                 #   the token's owners owners and everyone else a member."
            );
        } else {
            let _ = writeln!(
                out,
                "# - Moderators: every signed-in user (the configuration names no moderators).\n\
                 #   Jicofo's authentication makes each token user owner and lets only them open\n\
                 #   a room. Name moderators in [moderators] to let the token decide instead."
            );
        }
        match (self.guests, self.roles_from_token) {
            (true, true) => {
                let _ = writeln!(
                    out,
                    "# - Guests: allowed ([guests] enabled). People without a token join through the\n\
                     #   guest domain and wait in the lobby until a signed-in user is in the room\n\
                     #   (muc_wait_for_host, which needs persistent_lobby and the lobby)."
                );
            }
            (true, false) => {
                let _ = writeln!(
                    out,
                    "# - Guests: allowed ([guests] enabled). People without a token join through the\n\
                     #   guest domain; Jicofo lets them in once a signed-in user has opened the room\n\
                     #   (until then Jitsi shows them \"waiting for the host\")."
                );
            }
            (false, _) => {
                let _ = writeln!(
                    out,
                    "# - Guests: none ([guests] enabled = false). Everyone logs in; Jitsi sends people\n\
                     #   without a token to the bridge at once."
                );
            }
        }
        if self.lobby_bypass || self.security_ondemand {
            let _ = writeln!(
                out,
                "# - Lobby: tokens carry lobby_bypass (moderators, and whom rules name) or rules set\n\
                 #   the room's lobby: jitsi-contrib's prosody-plugins (token_lobby_bypass,\n\
                 #   token_security_ondemand) read them. docker-jitsi-meet's Prosody image fetches\n\
                 #   that collection (or mount a plugin into /prosody-plugins-custom); on Debian\n\
                 #   install them from github.com/jitsi-contrib/prosody-plugins."
            );
        }
        let tenants = if self.tenants {
            format!("configured: {}", tenant_names(config))
        } else {
            "none configured (links to /<tenant>/<room> still work)".to_owned()
        };
        let _ = writeln!(
            out,
            "# - Tenants: {tenants}.\n\
             #   Domain verification is on, so a token opens only its own tenant's room\n\
             #   (sub = the tenant, or the XMPP domain for rooms without one). Keep it on:\n\
             #   without it a token for acme/roadmap also opens globex/roadmap and /roadmap."
        );
        out
    }
}

/// The configured tenants, for comments.
fn tenant_names(config: &Config) -> String {
    config
        .tenants
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the parts of the printout share, worked out once.
struct Printed<'a> {
    config: &'a Config,
    case: JitsiCase,
    /// The bridge's public URL without its trailing slash.
    public: &'a str,
    token_auth_url: String,
    logout_url: String,
    /// The shared secret, or a placeholder (empty with RS256).
    secret: String,
    alg: SigningAlgorithm,
    issuer: &'a str,
    issuers: Vec<&'a str>,
    audiences: Vec<&'a str>,
    /// The XMPP domain: the token's `sub` for rooms without a tenant.
    xmpp_domain: &'a str,
}

/// Renders the settings. Secrets are shown only when `with_secrets` (the shared HMAC secret
/// is the one thing Jitsi needs that the bridge cannot publish).
pub fn render(config: &Config, with_secrets: bool) -> String {
    let p = Printed::of(config, with_secrets);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Jitsi settings for this bridge, checked against {CHECKED_AGAINST}."
    );
    out.push_str(&p.case.describe(config));
    docker_env(&p, &mut out);
    debian_prosody(&p, &mut out);
    debian_jicofo(&p, &mut out);
    config_js(&p, &mut out);
    out
}

impl<'a> Printed<'a> {
    fn of(config: &'a Config, with_secrets: bool) -> Self {
        let realm = &config.realm;
        let public = config.server.public_url.as_str().trim_end_matches('/');
        let alg = realm.signer.algorithm;
        let secret = match (alg.is_hmac(), with_secrets, config.jitsi_secret_for(realm)) {
            (false, _, _) => String::new(),
            (true, true, Some(s)) => s.expose_secret().to_owned(),
            _ => "<the value of jitsi.secret>".to_owned(),
        };
        let t = &realm.token;
        let sorted = |pick: fn(&'a RealmConfig) -> &'a str| -> Vec<&'a str> {
            std::iter::once(realm)
                .chain(config.tenants.values())
                .map(pick)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        Self {
            config,
            case: JitsiCase::of(config),
            public,
            token_auth_url: format!("{public}/room/{{room}}?state={{state}}"),
            logout_url: format!("{public}/logout"),
            secret,
            alg,
            issuer: t.issuer.as_str(),
            issuers: sorted(|r| r.token.issuer.as_str()),
            audiences: sorted(|r| r.token.audience.as_str()),
            xmpp_domain: t.subject.as_str(),
        }
    }
}

/// docker-jitsi-meet's `.env`.
fn docker_env(p: &Printed<'_>, out: &mut String) {
    let (public, alg, xmpp_domain) = (p.public, p.alg, p.xmpp_domain);
    let (token_auth_url, logout_url) = (&p.token_auth_url, &p.logout_url);
    let (issuers, audiences, config) = (&p.issuers, &p.audiences, p.config);
    let _ = writeln!(out, "\n# ---- docker-jitsi-meet: .env ----");
    let _ = writeln!(out, "ENABLE_AUTH=1\nAUTH_TYPE=jwt");
    let _ = writeln!(out, "JWT_APP_ID={}", p.issuer);
    if alg.is_hmac() {
        let _ = writeln!(out, "JWT_APP_SECRET={}", p.secret);
    } else {
        let _ = writeln!(out, "JWT_ASAP_KEYSERVER={public}/asap");
    }
    if alg != SigningAlgorithm::HS256 && alg != SigningAlgorithm::RS256 {
        let _ = writeln!(out, "JWT_SIGN_TYPE={}", alg.name());
    }
    let _ = writeln!(out, "JWT_ACCEPTED_ISSUERS={}", issuers.join(","));
    let _ = writeln!(out, "JWT_ACCEPTED_AUDIENCES={}", audiences.join(","));
    let _ = writeln!(out, "XMPP_DOMAIN={xmpp_domain}");
    let _ = writeln!(
        out,
        "# Security: a token opens only the room and tenant it names (docker's default is off).\n\
         JWT_ENABLE_DOMAIN_VERIFICATION=1"
    );
    let _ = writeln!(out, "TOKEN_AUTH_URL={token_auth_url}");
    if p.case.guests {
        let _ = writeln!(
            out,
            "ENABLE_GUESTS=1\n\
             # Domain verification refuses people without a token unless their domain is listed:\n\
             XMPP_MUC_CONFIGURATION=token_verification_allowlist = {{ \"guest.{xmpp_domain}\" }}"
        );
    } else {
        let _ = writeln!(out, "ENABLE_GUESTS=0");
    }
    let muc_modules = p.case.muc_modules();
    if !muc_modules.is_empty() {
        let _ = writeln!(out, "XMPP_MUC_MODULES={}", muc_modules.join(","));
    }
    if p.case.roles_from_token {
        let _ = writeln!(
            out,
            "# Moderators from the token: Jicofo's authentication off, no automatic owners.\n\
             JICOFO_ENABLE_AUTH=0\nENABLE_AUTO_OWNER=0"
        );
        if p.case.guests {
            let _ = writeln!(
                out,
                "# Guests wait in the lobby until a signed-in user joins; joining gives no owner rights.\n\
                 XMPP_MODULES=persistent_lobby\nENABLE_LOBBY=1\nWAIT_FOR_HOST_DISABLE_AUTO_OWNERS=1"
            );
        } else if p.case.room_lobby {
            let _ = writeln!(
                out,
                "# Rules turn rooms' lobbies on: token_security_ondemand creates them through persistent_lobby.\n\
                 XMPP_MODULES=persistent_lobby\nENABLE_LOBBY=1"
            );
        }
    } else {
        let _ = writeln!(
            out,
            "# Every signed-in user moderates; only they can open a room.\nJICOFO_ENABLE_AUTH=1"
        );
    }
    let _ = writeln!(
        out,
        "# No .env variable exists for the logout URL; add to custom-config.js:\n\
         # config.tokenLogoutUrl = '{logout_url}';"
    );
    if p.case.tenants {
        let _ = writeln!(
            out,
            "# Tenants with their own realm: {}. Prosody accepts one secret or key server;\n\
             # give tenants with their own HMAC secret their own Jitsi (or use RS256 everywhere:\n\
             # all keys are published at the same key server).",
            tenant_names(config)
        );
    }
}

/// Debian's Prosody configuration (jitsi-meet-tokens).
fn debian_prosody(p: &Printed<'_>, out: &mut String) {
    let (public, alg) = (p.public, p.alg);
    let (issuers, audiences) = (&p.issuers, &p.audiences);
    let host = p.xmpp_domain;
    let _ = writeln!(
        out,
        "\n# ---- Debian (jitsi-meet-tokens): /etc/prosody/conf.avail/{host}.cfg.lua ----"
    );
    let _ = writeln!(
        out,
        "-- merge into the existing blocks; do not add second ones"
    );
    let _ = writeln!(
        out,
        "VirtualHost \"{host}\"\n    authentication = \"token\""
    );
    let _ = writeln!(out, "    app_id = \"{}\"", p.issuer);
    if alg.is_hmac() {
        let _ = writeln!(out, "    app_secret = \"{}\"", p.secret);
    } else {
        let _ = writeln!(out, "    asap_key_server = \"{public}/asap\"");
        let _ = writeln!(
            out,
            "    -- or, Jitsi 10650 and later: cache_keys_url = \"{public}/jwks.json\""
        );
    }
    let _ = writeln!(out, "    signature_algorithm = \"{}\"", alg.name());
    let quoted = |v: &[&str]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "    asap_accepted_issuers = {{ {} }}", quoted(issuers));
    let _ = writeln!(
        out,
        "    asap_accepted_audiences = {{ {} }}",
        quoted(audiences)
    );
    let _ = writeln!(out, "    enable_domain_verification = true");
    if p.case.roles_from_token && (p.case.guests || p.case.room_lobby) {
        let _ = writeln!(
            out,
            "    modules_enabled = {{ \"persistent_lobby\" }} -- add to the list"
        );
    }
    if p.case.guests {
        let _ = writeln!(
            out,
            "VirtualHost \"guest.{host}\"\n    authentication = \"anonymous\"\n    c2s_require_encryption = false"
        );
    }
    let muc_modules: Vec<String> = std::iter::once("token_verification")
        .chain(p.case.muc_modules())
        .map(|m| format!("\"{m}\""))
        .collect();
    let _ = writeln!(
        out,
        "Component \"conference.{host}\" \"muc\"\n    modules_enabled = {{ {} }} -- add to the list",
        muc_modules.join(", ")
    );
    if p.case.guests {
        let _ = writeln!(
            out,
            "    token_verification_allowlist = {{ \"guest.{host}\" }}"
        );
    }
    if p.case.roles_from_token && (p.case.guests || p.case.room_lobby) {
        let _ = writeln!(out, "    wait_for_host_disable_auto_owners = true");
    }
}

/// Debian's Jicofo configuration.
fn debian_jicofo(p: &Printed<'_>, out: &mut String) {
    let host = p.xmpp_domain;
    let _ = writeln!(out, "\n# ---- Debian: /etc/jitsi/jicofo/jicofo.conf ----");
    if p.case.roles_from_token {
        let _ = writeln!(
            out,
            "jicofo.authentication.enabled = false\njicofo.conference.enable-auto-owner = false"
        );
    } else {
        let _ = writeln!(
            out,
            "jicofo.authentication {{ enabled = true, type = JWT, login-url = \"{host}\" }}"
        );
    }
}

/// Jitsi's `config.js`.
fn config_js(p: &Printed<'_>, out: &mut String) {
    let (host, config) = (p.xmpp_domain, p.config);
    let (token_auth_url, logout_url) = (&p.token_auth_url, &p.logout_url);
    let _ = writeln!(
        out,
        "\n# ---- config.js (docker: custom-config.js; Debian: /etc/jitsi/meet/{host}-config.js) ----"
    );
    if p.case.guests {
        let _ = writeln!(
            out,
            "config.hosts.anonymousdomain = 'guest.{host}'; // Debian only"
        );
    }
    let _ = writeln!(out, "config.tokenAuthUrl = '{token_auth_url}';");
    let _ = writeln!(out, "config.tokenLogoutUrl = '{logout_url}';");
    match config.inline_origin() {
        Some(_) => {
            let base = config.base_path();
            let _ = writeln!(
                out,
                "// The bridge is served under the Jitsi origin, so Jitsi may log in in a pop-up\n\
                 // and log out in a hidden frame (jitsi-meet 2026):\n\
                 config.tokenAuthInline = true;\n\
                 // The web server of the Jitsi site passes {base}/ to the bridge unchanged, e.g. nginx:\n\
                 //   location {base}/ {{ proxy_pass http://<bridge address>; proxy_set_header Host $host; }}"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "// Leave config.tokenAuthInline unset: Jitsi accepts a pop-up login only from a page\n\
                 // of its own origin; serve the bridge under it (public_url = <jitsi url>/auth) for that."
            );
        }
    }
    let _ = writeln!(
        out,
        "// Jitsi shows its Logout button only when the token has context.user.email; the bridge\n\
         // puts the user's e-mail there when Keycloak says it is verified."
    );
}

/// `KEY=value` lines of the `.env` part, for checks.
pub fn env_lines(rendered: &str) -> std::collections::BTreeMap<String, String> {
    rendered
        .lines()
        .take_while(|l| !l.starts_with("# ---- Debian"))
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests;
