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

/// Logs `user` in through the real Keycloak for `room`; the bridge's answer to the callback.
async fn callback_answer(bridge: &Bridge, room: &str, user: &str) -> reqwest::Response {
    let client = browser();
    let authorize = start_login(&client, bridge, room).await;
    let action = login_form(&client, &authorize).await;
    let resp = submit(&client, &action, user, &format!("{user}-password")).await;
    assert_eq!(resp.status(), StatusCode::FOUND, "{user}");
    client.get(location(resp.headers())).send().await.unwrap()
}

/// Frank is in no group, so the real Keycloak leaves `groups` out of his ID token. A deny rule
/// about groups cannot tell "in no group" from "no mapper": it refuses, naming the claim and
/// the fix, instead of being skipped; once the configuration says the mapper is there
/// (`oidc.absent_means_empty`), the absent claim is "no group" and he gets in.
#[tokio::test]
async fn a_deny_rule_that_cannot_be_decided_refuses_until_absence_is_declared_empty() {
    let bridge = Bridge::spawn(&format!("{RULES}\n[metrics]\nlisten = \"127.0.0.1:0\"\n")).await;
    let resp = callback_answer(&bridge, "town-hall", "frank").await;
    let body = assert_error_page(
        resp,
        StatusCode::FORBIDDEN,
        "The rules of this meeting could not be checked for your account",
    )
    .await;
    assert!(body.contains("Group Membership"), "{body}");
    assert!(
        body.contains("add &quot;groups&quot; to oidc.absent_means_empty")
            || body.contains("add &#34;groups&#34; to oidc.absent_means_empty")
            || body.contains("add \"groups\" to oidc.absent_means_empty"),
        "the fix is named: {body}"
    );
    assert!(
        !body.contains("Outsiders may not join meetings"),
        "the rule's reason would be a guess about this user: {body}"
    );
    let count = metric_value(
        &bridge,
        "bridge_logins_missing_claim_total{claim=\"groups\"}",
    )
    .await;
    assert!(count >= 1.0, "{count}");

    let declared = Bridge::spawn_with(|t| {
        t.replace(
            "http_timeout_secs = 5",
            "http_timeout_secs = 5\nabsent_means_empty = [\"groups\"]",
        ) + RULES
    })
    .await;
    let resp = callback_answer(&declared, "town-hall", "frank").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let claims = verify_like_prosody(
        &jwt_of(&location(resp.headers())),
        JITSI_SECRET,
        "jitsi-bridge",
        "jitsi",
    );
    assert_eq!(claims.custom.context["user"]["moderator"], false);
    // Dave, in /outsiders, is still refused by the rule itself.
    let resp = callback_answer(&declared, "town-hall", "dave").await;
    assert_error_page(
        resp,
        StatusCode::FORBIDDEN,
        "Outsiders may not join meetings",
    )
    .await;
}

/// Gina is in no group and holds only a client role. A rule that only gives moderator rights
/// to a group does not lock her out of the tenant's rooms: she lands as a member.
#[tokio::test]
async fn a_user_in_no_group_admitted_by_a_client_role_is_a_member_under_a_group_only_rule() {
    let rules = r#"
[access]
groups = ["/staff"]
client_roles = ["attendee"]

[[rules]]
name = "team moderators"
tenants = ["team"]
groups = ["/moderators"]
moderator = true
"#;
    let bridge = Bridge::spawn(rules).await;
    let resp = callback_answer(&bridge, "team/weekly", "gina").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let target = location(resp.headers());
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.subject.as_deref(), Some("team"));
    let user = &claims.custom.context["user"];
    assert_eq!(user["moderator"], false);
    assert_eq!(user["affiliation"], "member");
    assert!(user.get("lobby_bypass").is_none(), "{user}");
    // Alice, in /moderators, moderates the same room and passes its lobby.
    let resp = callback_answer(&bridge, "team/weekly", "alice").await;
    let claims = verify_like_prosody(
        &jwt_of(&location(resp.headers())),
        JITSI_SECRET,
        "jitsi-bridge",
        "jitsi",
    );
    assert_eq!(claims.custom.context["user"]["affiliation"], "owner");
    assert_eq!(claims.custom.context["user"]["lobby_bypass"], true);
}

/// Erin's address is in a denied domain but not verified: a deny by domain trusts only
/// verified addresses, so it cannot rule her out, and she is asked to verify it. Bob, verified
/// in the same domain, is refused by the rule itself; outside the rule's rooms Erin gets in.
#[tokio::test]
async fn an_unverified_address_of_a_denied_domain_is_refused() {
    let rules = r#"
[[rules]]
name = "no example.test in partner rooms"
rooms = ["partners-*"]
email_domains = ["example.test"]
allow = false
reason = "Partner rooms are for partners"
"#;
    let bridge = Bridge::spawn(rules).await;
    let resp = callback_answer(&bridge, "partners-q3", "erin").await;
    assert_error_page(
        resp,
        StatusCode::FORBIDDEN,
        "Please verify the address of your account",
    )
    .await;
    let resp = callback_answer(&bridge, "partners-q3", "bob").await;
    assert_error_page(
        resp,
        StatusCode::FORBIDDEN,
        "Partner rooms are for partners",
    )
    .await;
    let resp = callback_answer(&bridge, "town-hall", "erin").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}
