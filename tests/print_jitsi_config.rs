//! `print-jitsi-config` as a Jitsi admin uses it: the real binary prints the docker `.env`
//! lines, and a model of Prosody set up from exactly those lines (docker-jitsi-meet's defaults
//! for everything else, `tests/support/jitsi_model.rs`) decides which rooms a minted token
//! opens. Tenant isolation, guests and who moderates are checked for each case the
//! configuration can imply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/jitsi_model.rs"]
mod jitsi_model;

use jitsi_model::{Joiner, Prosody};
use jitsi_oidc_bridge::config::Config;
use jitsi_oidc_bridge::jitsi::room::RoomName;
use jitsi_oidc_bridge::jitsi::tenant::Tenant;
use jitsi_oidc_bridge::jitsi::token::Minter;
use jitsi_oidc_bridge::policy::claims::Identity;
use jitsi_oidc_bridge::policy::rules::{Decision, Role};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::process::Command;

const BASE: &str = r#"
[server]
public_url = "https://bridge.example.org"
[oidc]
issuer = "https://sso.example.org/realms/jitsi"
client_id = "jitsi-bridge"
client_secret = "a-real-client-secret-from-keycloak"
[login]
cookie_key = "0123456789abcdef0123456789abcdef-cookie"
[jitsi]
url = "https://meet.example.org"
app_id = "bridge-app"
audience = "meet"
secret = "fedcba9876543210fedcba9876543210-hs256"
"#;

const MODERATORS: &str = "[moderators]\ngroups = [\"staff\"]\n";
const GUESTS: &str = "[guests]\nenabled = true\n";

struct Printed {
    text: String,
    env: BTreeMap<String, String>,
    config: Config,
}

/// Runs `print-jitsi-config --with-secrets` on `toml` and reads its `.env` part the way
/// docker compose does: `KEY=value` lines, `#` comments.
fn print(toml: &str, name: &str) -> Printed {
    let dir = std::env::temp_dir().join(format!("bridge-print-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bridge.toml");
    std::fs::write(&file, toml).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"));
    for (k, _) in std::env::vars() {
        if k.starts_with("BRIDGE_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("--config")
        .arg(&file)
        .args(["print-jitsi-config", "--with-secrets"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let env_part = text
        .split("# ---- docker-jitsi-meet: .env ----")
        .nth(1)
        .unwrap()
        .split("\n# ---- ")
        .next()
        .unwrap();
    let env = env_part
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("not KEY=value: {l}"));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Printed {
        text,
        env,
        config: Config::from_toml(toml).unwrap(),
    }
}

/// A token for `room` (in `tenant`) as the bridge mints it under `config`, checked the way
/// Prosody checks it with the printed secret, issuers and audiences; returns (sub, room).
fn token(p: &Printed, room: &str, tenant: Option<&str>) -> (String, String) {
    let minter = Minter::new(p.config.realm.token.clone(), p.config.realm.signer.clone());
    let who = Identity {
        subject: "u1".into(),
        ..Identity::default()
    };
    let room = RoomName::parse(room).unwrap();
    let tenant = tenant.map(|t| Tenant::parse(t).unwrap());
    use jitsi_oidc_bridge::clock::Clock;
    let now = jitsi_oidc_bridge::clock::SystemClock.now();
    let claims = minter.claims_for(
        &who,
        &Decision::plain(Role::Member),
        &room,
        tenant.as_ref(),
        now,
    );
    let token = minter.sign(&claims).unwrap();
    let key = jsonwebtoken::DecodingKey::from_secret(p.env["JWT_APP_SECRET"].as_bytes());
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.set_issuer(&p.env["JWT_ACCEPTED_ISSUERS"].split(',').collect::<Vec<_>>());
    v.set_audience(
        &p.env["JWT_ACCEPTED_AUDIENCES"]
            .split(',')
            .collect::<Vec<_>>(),
    );
    v.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
    let decoded =
        jsonwebtoken::decode::<serde_json::Value>(token.expose_secret(), &key, &v).unwrap();
    (
        decoded.claims["sub"].as_str().unwrap().to_owned(),
        decoded.claims["room"].as_str().unwrap().to_owned(),
    )
}

fn joins(prosody: &Prosody, token: &(String, String), tenant: Option<&str>, room: &str) -> bool {
    let who = Joiner {
        sub: Some(&token.0),
        room: Some(&token.1),
    };
    prosody.may_join(who, &prosody.room_jid(tenant, room))
}

#[test]
fn a_tenant_token_is_refused_in_other_tenants_under_the_printed_settings() {
    for (name, extra) in [
        ("plain", ""),
        ("moderators", MODERATORS),
        ("guests", GUESTS),
        ("both", &*format!("{MODERATORS}{GUESTS}")),
    ] {
        let p = print(&format!("{BASE}{extra}"), name);
        assert_eq!(p.env["JWT_ENABLE_DOMAIN_VERIFICATION"], "1", "{name}");
        let prosody = Prosody::from_docker_env(&p.env);

        let acme = token(&p, "roadmap", Some("acme"));
        assert!(joins(&prosody, &acme, Some("acme"), "roadmap"), "{name}");
        assert!(!joins(&prosody, &acme, Some("globex"), "roadmap"), "{name}");
        assert!(!joins(&prosody, &acme, None, "roadmap"), "{name}");
        assert!(!joins(&prosody, &acme, Some("acme"), "other"), "{name}");

        let root = token(&p, "roadmap", None);
        assert!(joins(&prosody, &root, None, "roadmap"), "{name}");
        assert!(!joins(&prosody, &root, Some("acme"), "roadmap"), "{name}");

        // A dotted tenant: docker's web config turns `.` into `_` for the MUC host.
        let dotted = token(&p, "roadmap", Some("Team.EU"));
        assert!(
            joins(&prosody, &dotted, Some("Team.EU"), "roadmap"),
            "{name}"
        );

        // Without the printed line (docker's default), the same token opens the other
        // tenant's room: the reason the line is printed.
        let mut unsafe_env = p.env.clone();
        unsafe_env.remove("JWT_ENABLE_DOMAIN_VERIFICATION");
        let docker_default = Prosody::from_docker_env(&unsafe_env);
        assert!(joins(&docker_default, &acme, Some("globex"), "roadmap"));
        assert!(joins(&docker_default, &acme, None, "roadmap"));
    }
}

#[test]
fn guests_get_in_only_when_the_configuration_allows_them() {
    for (extra, allowed) in [
        ("", false),
        (GUESTS, true),
        (&*format!("{MODERATORS}{GUESTS}"), true),
    ] {
        let p = print(
            &format!("{BASE}{extra}"),
            &format!("guests-{allowed}-{}", extra.len()),
        );
        let prosody = Prosody::from_docker_env(&p.env);
        let guest = Joiner {
            sub: None,
            room: None,
        };
        // A guest reaches a room only through the guest domain, which exists only with
        // ENABLE_GUESTS, and domain verification lets them in only through the allowlist.
        let jid = prosody.room_jid(Some("acme"), "roadmap");
        assert_eq!(prosody.may_join(guest, &jid), allowed, "{extra}");
        assert_eq!(p.env["ENABLE_GUESTS"], if allowed { "1" } else { "0" });
        assert!(
            !p.env.contains_key("JWT_ALLOW_EMPTY"),
            "not a guest mechanism"
        );
    }
}

#[test]
fn who_moderates_is_printed_as_a_coherent_set() {
    // Moderators named: Jicofo's authentication off (it would make every token user owner),
    // token_affiliation decides; with guests, muc_wait_for_host with what it needs.
    let p = print(&format!("{BASE}{MODERATORS}{GUESTS}"), "set-b-guests");
    assert_eq!(p.env["JICOFO_ENABLE_AUTH"], "0");
    assert_eq!(p.env["ENABLE_AUTO_OWNER"], "0");
    let muc: Vec<&str> = p.env["XMPP_MUC_MODULES"].split(',').collect();
    assert!(muc.contains(&"token_affiliation") && muc.contains(&"muc_wait_for_host"));
    assert!(
        p.env["XMPP_MODULES"]
            .split(',')
            .any(|m| m == "persistent_lobby")
    );
    assert_eq!(p.env["ENABLE_LOBBY"], "1");
    assert_eq!(p.env["WAIT_FOR_HOST_DISABLE_AUTO_OWNERS"], "1");
    assert!(p.text.contains("Moderators: decided by the bridge's rules"));
    assert!(p.text.contains("wait in the lobby"));

    // No guests: no waiting room, and no WAIT_FOR_HOST_* that would do nothing.
    // Token moderators carry lobby_bypass; core token_affiliation does nothing for a user an
    // active lobby holds, so jitsi-contrib's token_lobby_bypass lets them in.
    let p = print(&format!("{BASE}{MODERATORS}"), "set-b");
    assert_eq!(
        p.env["XMPP_MUC_MODULES"],
        "token_affiliation,token_lobby_bypass"
    );
    assert!(p.text.contains("token_lobby_bypass"), "{}", p.text);
    assert!(!p.env.keys().any(|k| k.starts_with("WAIT_FOR_HOST")));
    assert!(!p.env.contains_key("XMPP_MODULES"));

    // A rule that grants moderator counts as naming moderators.
    let rule = "[[rules]]\nrooms = [\"board-*\"]\ngroups = [\"board\"]\nmoderator = true\n";
    let p = print(&format!("{BASE}{rule}"), "set-b-rule");
    assert_eq!(p.env["JICOFO_ENABLE_AUTH"], "0");

    // A rule that sets the room's lobby needs token_security_ondemand.
    let rule = "[[rules]]\nrooms = [\"board-*\"]\nmoderator = true\nroom_lobby = true\nsecurity_bypass = true\n";
    let p = print(&format!("{BASE}{rule}"), "set-b-lobby");
    assert!(
        p.env["XMPP_MUC_MODULES"]
            .split(',')
            .any(|m| m == "token_security_ondemand"),
        "{}",
        p.text
    );
    // It creates the lobby through persistent_lobby's event, with the lobby on.
    assert!(
        p.env["XMPP_MODULES"]
            .split(',')
            .any(|m| m == "persistent_lobby"),
        "{}",
        p.text
    );
    assert_eq!(p.env["ENABLE_LOBBY"], "1");

    // Nobody named: Jicofo's gate, every token user moderates.
    let p = print(BASE, "set-a");
    assert_eq!(p.env["JICOFO_ENABLE_AUTH"], "1");
    assert!(!p.env.contains_key("XMPP_MUC_MODULES"));
    assert!(p.text.contains("Moderators: every signed-in user"));

    {
        let p = print(BASE, "common");
        assert_eq!(
            p.env["TOKEN_AUTH_URL"],
            "https://bridge.example.org/room/{room}?state={state}"
        );
        assert_eq!(p.env["XMPP_DOMAIN"], "meet.jitsi");
        assert!(!p.text.contains("tokenAuthUrlAutoRedirect"));
        assert!(
            p.text
                .contains("config.tokenLogoutUrl = 'https://bridge.example.org/logout';")
        );
        assert!(p.text.contains("context.user.email"));
        assert!(p.text.contains("checked against jitsi-meet 2026-07"));
    }
}

#[test]
fn inline_login_is_printed_only_for_a_bridge_under_the_jitsi_origin() {
    let p = print(BASE, "inline-off");
    assert!(!p.text.contains("config.tokenAuthInline = true"));
    assert!(p.text.contains("Leave config.tokenAuthInline unset"));

    let under = BASE.replace(
        "public_url = \"https://bridge.example.org\"",
        "public_url = \"https://meet.example.org/auth\"",
    );
    let p = print(&under, "inline-on");
    assert!(
        p.text.contains("config.tokenAuthInline = true;"),
        "{}",
        p.text
    );
    assert!(p.text.contains("location /auth/ {"));
    assert_eq!(
        p.env["TOKEN_AUTH_URL"], "https://meet.example.org/auth/room/{room}?state={state}",
        "the tokenAuthUrl has a `?`, which the pop-up's `&nonce=` needs"
    );
    assert!(
        p.text
            .contains("config.tokenLogoutUrl = 'https://meet.example.org/auth/logout';")
    );
}
