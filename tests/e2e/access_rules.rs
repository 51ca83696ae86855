//! Keycloak decides: each test-realm user logs in through the real Keycloak and gets exactly
//! the expected token, or the denial page and no token.

use crate::helpers::*;
use crate::verifier::verify_like_prosody;
use reqwest::StatusCode;
use serde_json::json;

const RULES: &str = r#"
[[rules]]
name = "no outsiders"
groups = ["outsiders"]
allow = false
reason = "Outsiders may not join meetings"

[[rules]]
name = "staff rooms"
rooms = ["staff-*"]
groups = ["staff"]
require_verified_email = true
features = { recording = true, livestreaming = false }
group = "staff"
lobby_bypass = true
token_ttl_secs = 600

[[rules]]
name = "staff rooms are closed"
rooms = ["staff-*"]
allow = false
reason = "Staff rooms need a verified staff account"
"#;

enum Want {
    Token { moderator: bool, features: bool },
    Denied(&'static str),
}

#[tokio::test]
async fn every_test_user_gets_exactly_the_expected_token_or_page() {
    let bridge = Bridge::spawn(RULES).await;
    let cases = [
        (
            "alice",
            "staff-weekly",
            Want::Token {
                moderator: true,
                features: true,
            },
        ),
        (
            "carol",
            "staff-weekly",
            Want::Token {
                moderator: true,
                features: true,
            },
        ),
        (
            "bob",
            "staff-weekly",
            Want::Token {
                moderator: false,
                features: true,
            },
        ),
        (
            "bob",
            "town-hall",
            Want::Token {
                moderator: false,
                features: false,
            },
        ),
        (
            "erin",
            "staff-weekly",
            Want::Denied("Staff rooms need a verified staff account"),
        ),
        (
            "erin",
            "town-hall",
            Want::Token {
                moderator: false,
                features: false,
            },
        ),
        (
            "dave",
            "town-hall",
            Want::Denied("Outsiders may not join meetings"),
        ),
    ];
    for (user, room, want) in cases {
        let client = browser();
        let authorize = start_login(&client, &bridge, room).await;
        let action = login_form(&client, &authorize).await;
        let resp = submit(&client, &action, user, &format!("{user}-password")).await;
        assert_eq!(resp.status(), StatusCode::FOUND, "{user}");
        let callback = location(resp.headers());
        let resp = client.get(callback).send().await.unwrap();
        match want {
            Want::Denied(reason) => {
                let body = assert_error_page(resp, StatusCode::FORBIDDEN, reason).await;
                assert!(body.contains("Access denied"), "{user}: {body}");
            }
            Want::Token {
                moderator,
                features,
            } => {
                assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{user} {room}");
                let target = location(resp.headers());
                let claims =
                    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
                let ctx = &claims.custom.context;
                assert_eq!(ctx["user"]["moderator"], json!(moderator), "{user} {room}");
                assert_eq!(
                    ctx["user"]["affiliation"],
                    if moderator { "owner" } else { "member" }
                );
                if features {
                    assert_eq!(
                        ctx["features"],
                        json!({"recording": true, "livestreaming": false}),
                        "{user}"
                    );
                    assert_eq!(ctx["group"], "staff");
                    assert_eq!(ctx["user"]["lobby_bypass"], true);
                    let lifetime =
                        claims.expires_at.unwrap().as_secs() - claims.issued_at.unwrap().as_secs();
                    assert_eq!(lifetime, 600);
                } else {
                    assert!(ctx.get("features").is_none(), "{user} {room}: {ctx}");
                    assert!(ctx.get("group").is_none());
                    assert!(ctx["user"].get("lobby_bypass").is_none());
                }
            }
        }
    }
}

#[tokio::test]
async fn access_section_limits_who_gets_a_token_at_all() {
    let bridge = Bridge::spawn("[access]\nclient_roles = [\"moderator\"]\nemail_domains = [\"example.test\"]\nrequire_verified_email = true\nreason = \"Members only\"\n").await;
    for (user, allowed) in [("carol", true), ("bob", true), ("erin", false)] {
        let client = browser();
        let authorize = start_login(&client, &bridge, "room").await;
        let action = login_form(&client, &authorize).await;
        let resp = submit(&client, &action, user, &format!("{user}-password")).await;
        let resp = client.get(location(resp.headers())).send().await.unwrap();
        if allowed {
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{user}");
        } else {
            assert_error_page(resp, StatusCode::FORBIDDEN, "Members only").await;
        }
    }
}

/// A token without any groups claim (Keycloak leaves it out when the mapper is missing, and
/// for a user in no group): a rule that asks about groups cannot be decided, so the login is
/// refused with the missing mapper named, instead of the deny rule being skipped.
#[tokio::test]
async fn a_rule_needing_a_claim_the_token_lacks_fails_closed() {
    let bridge = Bridge::spawn(&format!("{RULES}\n[metrics]\nlisten = \"127.0.0.1:0\"\n")).await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "town-hall").await;
    let action = login_form(&client, &authorize).await;
    let resp = submit(&client, &action, "frank", "frank-password").await;
    let resp = client.get(location(resp.headers())).send().await.unwrap();
    let body = assert_error_page(resp, StatusCode::FORBIDDEN, "Access denied").await;
    assert!(body.contains("Group Membership"), "{body}");
    let count = metric_value(
        &bridge,
        "bridge_logins_missing_claim_total{claim=\"groups\"}",
    )
    .await;
    assert!(count >= 1.0, "{count}");
}
