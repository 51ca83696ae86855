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
    let program = std::env::var("E2E_OIDC_MOCK").unwrap_or_else(|_| {
        panic!("E2E_OIDC_MOCK is not set: run `make test`, which installs oidc-provider-mock")
    });
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let user = r#"{"sub":"mock-user-1","name":"Mock User","email":"mock@example.test","email_verified":true}"#;
    let issuer = format!("http://127.0.0.1:{port}");
    // Owned by the guard at once, so that the process is killed and reaped on every path.
    let idp = MockIdp {
        child: Command::new(program)
            .args(["--port", &port.to_string(), "--require-nonce", "true"])
            .args(["--user-claims", user])
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
