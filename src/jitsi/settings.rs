//! The Jitsi side of a bridge configuration, printed for admins to paste: docker-jitsi-meet
//! `.env` lines, the Debian Prosody lines and the `config.js` lines that accept exactly the
//! tokens this configuration mints (`jitsi-oidc-bridge print-jitsi-config`).

use crate::config::{Config, RealmConfig};
use crate::signing::SigningAlgorithm;
use secrecy::ExposeSecret;
use std::fmt::Write;

/// Renders the settings. Secrets are shown only when `with_secrets` (the shared HMAC secret
/// is the one thing Jitsi needs that the bridge cannot publish).
pub fn render(config: &Config, with_secrets: bool) -> String {
    let mut out = String::new();
    let realm = &config.realm;
    let public = config.server.public_url.as_str().trim_end_matches('/');
    let token_auth_url = format!("{public}/room/{{room}}?state={{state}}");
    let logout_url = format!("{public}/logout");
    let secret = |r: &RealmConfig| -> String {
        match (
            &r.signer.algorithm,
            with_secrets,
            &config.jitsi_secret_for(r),
        ) {
            (a, _, _) if !a.is_hmac() => String::new(),
            (_, true, Some(s)) => s.expose_secret().to_owned(),
            _ => "<the value of jitsi.secret>".to_owned(),
        }
    };
    let alg = realm.signer.algorithm;
    let t = &realm.token;

    let _ = writeln!(out, "# ---- docker-jitsi-meet: .env ----");
    let _ = writeln!(out, "ENABLE_AUTH=1\nAUTH_TYPE=jwt");
    let _ = writeln!(out, "JWT_APP_ID={}", t.issuer);
    if alg.is_hmac() {
        let _ = writeln!(out, "JWT_APP_SECRET={}", secret(realm));
    } else {
        let _ = writeln!(out, "JWT_ASAP_KEYSERVER={public}/asap");
    }
    if alg != SigningAlgorithm::HS256 && alg != SigningAlgorithm::RS256 {
        let _ = writeln!(out, "JWT_SIGN_TYPE={}", alg.name());
    }
    let issuers: Vec<&str> = std::iter::once(t.issuer.as_str())
        .chain(config.tenants.values().map(|r| r.token.issuer.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let audiences: Vec<&str> = std::iter::once(t.audience.as_str())
        .chain(config.tenants.values().map(|r| r.token.audience.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(out, "JWT_ACCEPTED_ISSUERS={}", issuers.join(","));
    let _ = writeln!(out, "JWT_ACCEPTED_AUDIENCES={}", audiences.join(","));
    if t.subject != "*" {
        let _ = writeln!(out, "XMPP_DOMAIN={}", t.subject);
    }
    let _ = writeln!(out, "TOKEN_AUTH_URL={token_auth_url}");
    let _ = writeln!(
        out,
        "# Moderator rights from the token instead of \"everyone with a token\":\n\
         XMPP_MUC_MODULES=token_affiliation\nENABLE_AUTO_OWNER=false\nJICOFO_ENABLE_AUTH=0\n\
         WAIT_FOR_HOST_DISABLE_AUTO_OWNERS=true"
    );
    let _ = writeln!(
        out,
        "# No .env variable exists for the logout URL; add to custom-config.js:\n\
         # config.tokenLogoutUrl = '{logout_url}';"
    );
    if !config.tenants.is_empty() {
        let _ = writeln!(
            out,
            "# Tenants with their own realm: {}. Prosody accepts one secret or key server;\n\
             # give tenants with their own HMAC secret their own Jitsi (or use RS256 everywhere:\n\
             # all keys are published at the same key server).",
            config
                .tenants
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let host = if t.subject == "*" {
        "<your XMPP domain>"
    } else {
        t.subject.as_str()
    };
    let _ = writeln!(
        out,
        "\n# ---- Debian (jitsi-meet-tokens): /etc/prosody/conf.avail/{host}.cfg.lua ----"
    );
    let _ = writeln!(
        out,
        "VirtualHost \"{host}\"\n    authentication = \"token\""
    );
    let _ = writeln!(out, "    app_id = \"{}\"", t.issuer);
    if alg.is_hmac() {
        let _ = writeln!(out, "    app_secret = \"{}\"", secret(realm));
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
    let _ = writeln!(
        out,
        "    asap_accepted_issuers = {{ {} }}",
        quoted(&issuers)
    );
    let _ = writeln!(
        out,
        "    asap_accepted_audiences = {{ {} }}",
        quoted(&audiences)
    );
    let _ = writeln!(
        out,
        "Component \"conference.{host}\" \"muc\"\n    modules_enabled = {{ \"token_verification\", \"token_affiliation\" }}\n    \
         -- and in the [main] MUC config: wait_for_host_disable_auto_owners = true"
    );

    let _ = writeln!(
        out,
        "\n# ---- config.js (/etc/jitsi/meet/{host}-config.js or custom-config.js) ----"
    );
    let _ = writeln!(out, "config.tokenAuthUrl = '{token_auth_url}';");
    let _ = writeln!(out, "config.tokenLogoutUrl = '{logout_url}';");
    out
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
mod tests {
    use super::*;
    use crate::claims::Identity;
    use crate::jitsi::room::RoomName;
    use crate::jitsi::token::Minter;
    use crate::rules::{Decision, Role};

    const CONFIG: &str = r#"
        [server]
        public_url = "https://bridge.example.org"
        [oidc]
        issuer = "https://sso.example.org/realms/jitsi"
        client_id = "jitsi-bridge"
        client_secret = "s3cret"
        [login]
        cookie_key = "0123456789abcdef0123456789abcdef"
        [jitsi]
        url = "https://meet.example.org"
        app_id = "bridge-app"
        audience = "meet"
        subject = "meet.jitsi"
        algorithm = "HS512"
        secret = "fedcba9876543210fedcba9876543210-hs512"
    "#;

    /// A token minted under a config passes the checks Prosody makes with the settings printed
    /// for that config (algorithm, secret, accepted issuers and audiences, sub = XMPP domain).
    #[test]
    fn printed_settings_accept_the_minted_token() {
        let config = Config::from_toml(CONFIG).unwrap();
        let env = env_lines(&render(&config, true));
        let minter = Minter::new(config.realm.token.clone(), config.realm.signer.clone());
        let who = Identity {
            subject: "u1".into(),
            ..Identity::default()
        };
        let room = RoomName::parse("team").unwrap();
        let claims = minter.claims_for(
            &who,
            &Decision::plain(Role::Member),
            &room,
            None,
            1_800_000_000,
        );
        let token = minter.sign(&claims).unwrap();

        let alg: jsonwebtoken::Algorithm = env
            .get("JWT_SIGN_TYPE")
            .map_or("HS256", String::as_str)
            .parse()
            .unwrap();
        let key = jsonwebtoken::DecodingKey::from_secret(env["JWT_APP_SECRET"].as_bytes());
        let mut v = jsonwebtoken::Validation::new(alg);
        v.set_issuer(&env["JWT_ACCEPTED_ISSUERS"].split(',').collect::<Vec<_>>());
        v.set_audience(&env["JWT_ACCEPTED_AUDIENCES"].split(',').collect::<Vec<_>>());
        v.validate_exp = false;
        let decoded =
            jsonwebtoken::decode::<serde_json::Value>(token.expose_secret(), &key, &v).unwrap();
        assert_eq!(decoded.claims["sub"], env["XMPP_DOMAIN"].as_str());
        assert_eq!(
            env["TOKEN_AUTH_URL"],
            "https://bridge.example.org/room/{room}?state={state}"
        );
    }

    #[test]
    fn secrets_only_on_request_and_rs256_points_at_the_key_server() {
        let config = Config::from_toml(CONFIG).unwrap();
        let text = render(&config, false);
        assert!(!text.contains("fedcba9876543210"), "{text}");
        assert!(text.contains("JWT_APP_SECRET=<the value of jitsi.secret>"));
        assert!(text.contains("signature_algorithm = \"HS512\""));
        assert!(text.contains("config.tokenLogoutUrl = 'https://bridge.example.org/logout';"));

        let dir = std::env::temp_dir().join(format!("bridge-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("k.pem");
        std::fs::write(&key, crate::signing::test_keys::rsa_pem()).unwrap();
        let rs = CONFIG.replace(
            "algorithm = \"HS512\"\n        secret = \"fedcba9876543210fedcba9876543210-hs512\"",
            &format!("algorithm = \"RS256\"\nsigning_keys = [{{ kid = \"k1\", private_key_file = {:?} }}]", key.display().to_string()),
        );
        let config = Config::from_toml(&rs).unwrap();
        let env = env_lines(&render(&config, true));
        assert_eq!(env["JWT_ASAP_KEYSERVER"], "https://bridge.example.org/asap");
        assert!(!env.contains_key("JWT_APP_SECRET"));
        assert!(
            !env.contains_key("JWT_SIGN_TYPE"),
            "RS256 is Prosody's default with a key server"
        );
    }
}
