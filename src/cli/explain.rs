//! `jitsi-oidc-bridge explain`: what token a user would get for a room, and which setting
//! decided each part. Works offline on ID-token claims (JSON) or a raw ID token, whose
//! signature is NOT checked here: the output is an explanation, never a usable token.

use crate::clock::UnixTime;
use crate::config::Config;
use crate::jitsi::room::RoomName;
use crate::jitsi::tenant::Tenant;
use crate::jitsi::token::claims_for;
use crate::policy::claims::Identity;
use crate::policy::rules::{self, Verdict};
use base64::Engine;
use serde_json::{Value, json};
use std::fmt::Write;

/// Reads claims from JSON text or from a JWT's payload (without verifying it).
pub fn read_claims(input: &str) -> Result<Value, String> {
    let input = input.trim();
    if input.starts_with('{') {
        return serde_json::from_str(input)
            .map_err(|e| format!("the claims are not valid JSON: {e}"));
    }
    let payload = input
        .split('.')
        .nth(1)
        .ok_or("expected JSON claims or an ID token (three dot-separated parts)")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| format!("the token's payload is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the token's payload is not JSON: {e}"))
}

/// What `explain` found.
#[derive(Debug)]
pub struct Explanation {
    pub text: String,
    /// The user would get a token (the command's exit status says so too).
    pub allowed: bool,
}

/// The explanation.
pub fn explain(
    config: &Config,
    claims: &Value,
    room: &str,
    tenant: Option<&str>,
    now: UnixTime,
) -> Result<Explanation, String> {
    let room = RoomName::parse(room).map_err(|e| format!("room: {e}"))?;
    let tenant = tenant
        .map(Tenant::parse)
        .transpose()
        .map_err(|e| format!("tenant: {e}"))?;
    let realm = tenant
        .as_ref()
        .and_then(|t| config.tenants.get(&t.canonical()))
        .unwrap_or(&config.realm);
    // Read as a login the browser left alone, granted what `oidc.scopes` asks (which holds
    // `organization:*` whenever the rules name organizations); a narrowed scope is the
    // callback's concern (`Identity::organizations_granted`).
    let who =
        Identity::from_claims(claims, &realm.oidc.client_id).ok_or("the claims have no \"sub\"")?;
    let realm_rules = rules::RealmRules {
        moderators: &realm.moderators,
        absent_means_empty: realm.oidc.absent_means_empty,
    };
    let decision = rules::decide(&config.policy, realm_rules, &who, &room, tenant.as_ref());
    let too_low = config
        .policy
        .check_level(&room, tenant.as_ref(), claims.get("acr"))
        .err();
    let mut out = String::new();
    let _ = writeln!(out, "user     {} ({})", who.display_name(), who.subject);
    let _ = writeln!(
        out,
        "room     {} -> room claim {:?}",
        room,
        room.backend_safe()
    );
    let _ = writeln!(
        out,
        "tenant   {}",
        tenant.as_ref().map_or("(none)", Tenant::as_str)
    );
    let _ = writeln!(out, "realm    {}\n", realm.oidc.issuer);
    let _ = writeln!(out, "{:<14} {:<28} DECIDED BY", "PART", "VALUE");
    out.push_str(&decision.explain());
    match &decision.verdict {
        Verdict::Deny {
            reason,
            undecided,
            notes,
            ..
        } => {
            let why = match reason {
                _ if *undecided => " (a deny rule cannot be decided from these claims)".into(),
                Some(r) => format!(" ({r})"),
                None => String::new(),
            };
            let _ = writeln!(out, "\nNo token: access denied{why}");
            for advice in notes.iter().map(|n| n.advice()).filter(|a| !a.is_empty()) {
                let _ = writeln!(out, "hint: {advice}");
            }
        }
        Verdict::Allow if too_low.is_some() => {
            if let Some(e) = &too_low {
                let _ = writeln!(
                    out,
                    "\nNo token: the room needs {}, and these claims show {} (the user \
                     would be asked to sign in again at that level)",
                    e.needed, e.reached
                );
            }
        }
        Verdict::Allow => {
            let claims = claims_for(&realm.token, &who, &decision, &room, tenant.as_ref(), now);
            let mut header = json!({"alg": realm.signer.algorithm.name(), "typ": "JWT"});
            if let Some(kid) = &realm.signer.kid {
                header["kid"] = json!(kid);
            }
            let _ = writeln!(out, "\nThe token (not signed by this command):");
            let _ = writeln!(out, "header  {header}");
            let payload = serde_json::to_string_pretty(&claims).unwrap_or_default();
            let _ = writeln!(out, "payload {payload}");
        }
    }
    Ok(Explanation {
        allowed: decision.verdict == Verdict::Allow && too_low.is_none(),
        text: out,
    })
}

/// `explain`: reads the claims from `claims` (`-`: standard input) and prints the decision;
/// exit status 0 with a token, 1 without, 2 on errors.
pub fn command(
    config: &crate::config::Config,
    room: &str,
    tenant: Option<&str>,
    claims: &std::path::Path,
) -> std::process::ExitCode {
    use crate::clock::{Clock, SystemClock};
    use std::io::Read;
    let mut input = String::new();
    let read = if claims.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut input).map(|_| ())
    } else {
        std::fs::read_to_string(claims).map(|s| input = s)
    };
    if let Err(e) = read {
        eprintln!("cannot read {}: {e}", claims.display());
        return std::process::ExitCode::from(2);
    }
    let result =
        read_claims(&input).and_then(|c| explain(config, &c, room, tenant, SystemClock.now()));
    match result {
        Ok(found) => {
            #[allow(clippy::print_stdout)] // the output is the point of this command
            {
                print!("{}", found.text);
            }
            // 1 for "no token", as a script checking a user's access would expect.
            if found.allowed {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = concat!(
        crate::config::test_base!(),
        r#"
        [jitsi]
        url = "https://meet.example.org"
        app_id = "jitsi-bridge"
        secret = "fedcba9876543210fedcba9876543210"
        [moderators]
        groups = ["moderators"]
        [[rules]]
        name = "staff rooms"
        rooms = ["staff-*"]
        groups = ["staff"]
        features = { recording = true }
        [[rules]]
        rooms = ["staff-*"]
        allow = false
        reason = "Staff only"
    "#
    );

    #[test]
    fn explains_each_part_and_denials() {
        let config = Config::from_toml(CONFIG).unwrap();
        let claims = json!({"sub": "u1", "name": "Ann", "groups": ["staff", "moderators"]});
        let found = explain(&config, &claims, "staff-meeting", None, 1000).unwrap();
        assert!(found.allowed);
        let text = found.text;
        assert!(text.contains("staff rooms"), "{text}");
        assert!(text.contains("[moderators]: group moderators"), "{text}");
        assert!(text.contains("\"recording\": true"), "{text}");
        let outsider = json!({"sub": "u2"});
        // No groups claim at all: the staff rule only gives, so it does not match, and the
        // catch-all denies; the absent claim is named as the likely cause.
        let found = explain(&config, &outsider, "staff-meeting", None, 1000).unwrap();
        assert!(!found.allowed);
        let text = found.text;
        assert!(
            text.contains("No token: access denied (Staff only)"),
            "{text}"
        );
        assert!(
            text.contains("staff rooms: no \"groups\" claim: treated as empty"),
            "{text}"
        );
        assert!(
            text.contains("Group Membership"),
            "hint about the missing mapper: {text}"
        );
    }

    /// A deny rule by group and a user in no group: undecided, then admitted once the realm
    /// declares the absent claim empty.
    #[test]
    fn explains_undecided_denials_and_claims_declared_empty() {
        let deny = format!(
            "{CONFIG}\n[[rules]]\nname = \"no outsiders\"\ngroups = [\"/outsiders\"]\nallow = false\n"
        );
        let frank = json!({"sub": "u3", "preferred_username": "frank"});
        let config = Config::from_toml(&deny).unwrap();
        let found = explain(&config, &frank, "town-hall", None, 1000).unwrap();
        assert!(!found.allowed);
        assert!(
            found
                .text
                .contains("no outsiders (cannot decide: no \"groups\" claim)"),
            "{}",
            found.text
        );
        assert!(
            found.text.contains("a deny rule cannot be decided"),
            "{}",
            found.text
        );
        let declared = deny.replace(
            "client_secret = \"s3cret-from-keycloak-0123\"",
            "client_secret = \"s3cret-from-keycloak-0123\"\nabsent_means_empty = [\"groups\"]",
        );
        let config = Config::from_toml(&declared).unwrap();
        let found = explain(&config, &frank, "town-hall", None, 1000).unwrap();
        assert!(found.allowed, "{}", found.text);
        assert!(
            found
                .text
                .contains("no outsiders: no \"groups\" claim: empty (oidc.absent_means_empty)"),
            "{}",
            found.text
        );
    }

    /// Claims from Keycloak's "Generated ID token" are read as a login that was granted
    /// `organization:*`, as the configuration asks: a deny by organization decides on them.
    #[test]
    fn explains_organizations_as_a_login_granted_all_of_them() {
        let orgs = CONFIG.replace(
            "client_secret = ",
            "scopes = [\"openid\", \"organization:*\"]\nclient_secret = ",
        ) + "[[rules]]\nname = \"no rivals\"\norganizations = [\"rivals\"]\nallow = false\n\
             [[rules]]\nname = \"own organization\"\norganizations = [\"{tenant}\"]\n";
        let config = Config::from_toml(&orgs).unwrap();
        let ann = json!({"sub": "u4", "organization": {"acme": {"id": "5f3c"}}});
        let found = explain(&config, &ann, "board", Some("acme"), 1000).unwrap();
        assert!(found.allowed, "{}", found.text);
        assert!(found.text.contains("own organization"), "{}", found.text);
        let rex = json!({"sub": "u5", "organization": ["acme", "rivals"]});
        let found = explain(&config, &rex, "board", Some("acme"), 1000).unwrap();
        assert!(!found.allowed);
        assert!(found.text.contains("no rivals"), "{}", found.text);
    }

    #[test]
    fn reads_raw_id_tokens() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
        assert_eq!(
            read_claims(&format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig")).unwrap(),
            json!({"sub": "x"})
        );
        assert!(read_claims("nonsense").is_err());
    }
}
