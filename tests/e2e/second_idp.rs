//! Any OIDC provider, not only Keycloak: the PyPI `oidc-provider-mock` server (authlib), whose
//! issuer is a bare origin (`http://127.0.0.1:<port>`, no path, no trailing slash) as Google's
//! `https://accounts.google.com` is. `make test` installs it in a cached virtualenv and names
//! the program in `E2E_OIDC_MOCK`.

use crate::helpers::*;
use crate::verifier::verify_like_prosody;
use std::process::{Child, Command, Stdio};

struct MockIdp {
    child: Child,
    issuer: String,
}

impl Drop for MockIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_mock_idp() -> MockIdp {
    start_mock_idp_with(&[
        r#"{"sub":"mock-user-1","name":"Mock User","email":"mock@example.test","email_verified":true}"#,
    ])
    .await
}

/// The mock with these predefined users (JSON claims, each with its `sub`), which its form
/// picks by `sub`; claims outside the standard scopes go into the ID token as they are.
async fn start_mock_idp_with(users: &[&str]) -> MockIdp {
    let program = std::env::var("E2E_OIDC_MOCK").unwrap_or_else(|_| {
        panic!("E2E_OIDC_MOCK is not set: run `make test`, which installs oidc-provider-mock")
    });
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let issuer = format!("http://127.0.0.1:{port}");
    // Owned by the guard at once, so that the process is killed and reaped on every path.
    let idp = MockIdp {
        child: Command::new(program)
            .args(["--port", &port.to_string(), "--require-nonce", "true"])
            .args(users.iter().flat_map(|u| ["--user-claims", u]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start oidc-provider-mock"),
        issuer,
    };
    let discovery = format!("{}/.well-known/openid-configuration", idp.issuer);
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(&discovery).await {
            if r.status().is_success() {
                return idp;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("oidc-provider-mock did not start on port {port}");
}

#[tokio::test]
async fn an_issuer_at_a_bare_origin_logs_in() {
    let idp = start_mock_idp().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge = Bridge::spawn_on(listener, None, &idp.issuer, |t| t).await;
    let client = browser();

    let resp = get(&client, bridge.url("/room/Caf%C3%A9")).await;
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
    let authorize = location(resp.headers());
    assert!(
        authorize.as_str().starts_with(&format!("{}/", idp.issuer)),
        "{authorize}"
    );
    let pairs: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(pairs["code_challenge_method"], "S256");
    assert!(pairs.contains_key("nonce"));

    // The mock's form: pick the predefined user.
    let resp = client
        .post(authorize.clone())
        .form(&[("sub", "mock-user-1")])
        .send()
        .await
        .unwrap();
    let target = follow_callback(&client, &bridge, resp).await;
    assert_eq!(target.path(), "/Caf%C3%A9");
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.room, "caf%c3%a9");
    assert_eq!(claims.custom.context["user"]["name"], "Mock User");
    assert_eq!(claims.custom.context["user"]["id"], "mock-user-1");

    // A mix-up: the callback names another issuer (RFC 9207) and is refused.
    let client = browser();
    let authorize = start_login_any(&client, &bridge, "team").await;
    let state = state_of(&authorize);
    let resp = client
        .get(bridge.url(&format!(
            "/callback?state={state}&code=x&iss=http%3A%2F%2F127.0.0.1%3A1"
        )))
        .send()
        .await
        .unwrap();
    assert_error_page(resp, reqwest::StatusCode::BAD_REQUEST, "").await;
    bridge.stop().await;
}

/// A provider that is not Keycloak and ignores `acr_values`: the bridge reads its `acr` as it
/// reads Keycloak's, so only a known level at or above the room's opens the board room; a
/// lower one, none or a look-alike name are refused with the step-up page, and an `acr` that
/// is not a string (OIDC Core 2) makes the ID token itself invalid.
#[tokio::test]
async fn an_acr_below_the_rooms_level_is_refused_whoever_signs_it() {
    let users: Vec<String> = [
        ("otp", r#""otp""#),
        ("two", r#""2""#),
        ("low", r#""password""#),
        ("one", r#""1""#),
        ("number", "2"),
        ("lookalike", r#""OTP""#),
        ("none", "null"),
    ]
    .iter()
    .map(|(sub, acr)| {
        let acr = if *acr == "null" {
            String::new()
        } else {
            format!(r#","acr":{acr}"#)
        };
        format!(r#"{{"sub":"{sub}","name":"User {sub}"{acr}}}"#)
    })
    .collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let idp = start_mock_idp_with(&users).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge =
        Bridge::spawn_on(listener, None, &idp.issuer, |t| t + crate::step_up::STEP_UP).await;
    use reqwest::StatusCode as S;
    for (sub, status) in [
        ("otp", S::SEE_OTHER),
        ("two", S::SEE_OTHER),
        ("low", S::FORBIDDEN),
        ("one", S::FORBIDDEN),
        ("number", S::BAD_GATEWAY),
        ("lookalike", S::FORBIDDEN),
        ("none", S::FORBIDDEN),
    ] {
        let client = browser();
        let authorize = start_login_any(&client, &bridge, "board").await;
        assert!(authorize.as_str().contains("acr_values=otp"), "{authorize}");
        let resp = client
            .post(authorize.clone())
            .form(&[("sub", sub)])
            .send()
            .await
            .unwrap();
        let callback = location(resp.headers());
        let resp = client.get(callback).send().await.unwrap();
        assert_eq!(resp.status(), status, "{sub}");
        if status == S::SEE_OTHER {
            let target = location(resp.headers());
            let claims =
                verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
            assert_eq!(claims.custom.room, "board", "{sub}");
        } else if status == S::BAD_GATEWAY {
            assert_error_page(resp, status, "").await;
        } else {
            let page = assert_error_page(resp, status, "A stronger sign-in is needed").await;
            // Not a Keycloak realm: no account console to point to.
            assert!(!page.contains("/account/"), "{sub}");
        }
    }
    bridge.stop().await;
}
