//! Logins through the real Keycloak: the right token for each user, SSO, parallel logins,
//! and every way a callback can be wrong.

use crate::helpers::*;
use crate::verifier::verify_like_prosody;
use reqwest::StatusCode;
use serde_json::json;

fn user(
    claims: &jwt_simple::prelude::JWTClaims<crate::verifier::JitsiCustom>,
) -> &serde_json::Value {
    &claims.custom.context["user"]
}

#[tokio::test]
async fn moderator_by_group_gets_an_owner_token_for_the_room() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let target = login(&client, &bridge, "Team%20Sync", "alice", "alice-password").await;

    assert_eq!(target.origin().ascii_serialization(), JITSI_URL);
    assert_eq!(target.path(), "/Team%20Sync");
    assert_eq!(
        target.fragment(),
        Some("config.prejoinConfig.enabled=false")
    );
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.subject.as_deref(), Some("meet.jitsi"));
    assert_eq!(claims.custom.room, "team%20sync");
    let u = user(&claims);
    assert_eq!(u["moderator"], json!(true));
    assert_eq!(u["affiliation"], "owner");
    assert_eq!(u["name"], "Alice Moderator");
    assert_eq!(u["email"], "alice@example.test");
    assert_eq!(u["avatar"], "https://avatars.example.test/alice.png");
    assert!(
        u["id"].as_str().is_some_and(|id| id.len() >= 32),
        "id is Keycloak's user id: {u}"
    );
    let lifetime = claims.expires_at.unwrap().as_secs() - claims.issued_at.unwrap().as_secs();
    assert_eq!(
        lifetime,
        8 * 3600,
        "the default covers a working day of reconnects"
    );
}

#[tokio::test]
async fn member_and_client_role_moderator_and_unverified_email() {
    let bridge = Bridge::spawn("").await;
    let cases = [
        ("bob", "bob-password", false, Some("bob@example.test")),
        ("carol", "carol-password", true, Some("carol@example.test")),
        ("erin", "erin-password", false, None),
    ];
    for (name, password, moderator, email) in cases {
        let client = browser();
        let target = login(&client, &bridge, "standup", name, password).await;
        let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
        let u = user(&claims);
        assert_eq!(u["moderator"], json!(moderator), "{name}");
        assert_eq!(
            u["affiliation"],
            if moderator { "owner" } else { "member" },
            "{name}"
        );
        assert_eq!(u.get("email").and_then(|e| e.as_str()), email, "{name}");
        assert!(
            u.get("avatar").is_none(),
            "{name} has no picture, so no avatar key (never null)"
        );
    }
}

#[tokio::test]
async fn wrong_password_stays_on_keycloak() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "room").await;
    let action = login_form(&client, &authorize).await;
    let resp = submit(&client, &action, "alice", "wrong-password").await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "Keycloak shows the form again"
    );
    let html = resp.text().await.unwrap();
    assert!(form_action(&html).is_some());
    assert!(html.contains("Invalid username or password"));
}

#[tokio::test]
async fn second_room_in_the_same_browser_needs_no_form() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    login(&client, &bridge, "first", "alice", "alice-password").await;
    let authorize = start_login(&client, &bridge, "second").await;
    let resp = client.get(authorize).send().await.unwrap();
    let target = follow_callback(&client, &bridge, resp).await;
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.room, "second");
    assert_eq!(target.path(), "/second");
}

#[tokio::test]
async fn two_parallel_logins_in_one_browser_both_succeed() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let tab_a = start_login(&client, &bridge, "room-a").await;
    let tab_b = start_login(&client, &bridge, "room-b").await;
    // Finish B first with the form, then A through the SSO session B created.
    let b = finish_with_form(&client, &bridge, &tab_b, "bob", "bob-password").await;
    let a = follow_callback(&client, &bridge, client.get(tab_a).send().await.unwrap()).await;
    assert_eq!(a.path(), "/room-a");
    assert_eq!(b.path(), "/room-b");
    let ca = verify_like_prosody(&jwt_of(&a), JITSI_SECRET, "jitsi-bridge", "jitsi");
    let cb = verify_like_prosody(&jwt_of(&b), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(
        (ca.custom.room.as_str(), cb.custom.room.as_str()),
        ("room-a", "room-b")
    );
}

#[tokio::test]
async fn replayed_callback_gets_a_page_and_no_token() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "room").await;
    let action = login_form(&client, &authorize).await;
    let resp = submit(&client, &action, "bob", "bob-password").await;
    let callback = location(resp.headers());
    let first = client.get(callback.clone()).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    // Same browser: the login cookie is gone.
    let again = client.get(callback.clone()).send().await.unwrap();
    assert_error_page(again, StatusCode::BAD_REQUEST, "no record of this login").await;
}

#[tokio::test]
async fn replay_with_a_copied_cookie_is_refused() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let room = client.get(bridge.url("/room/room")).send().await.unwrap();
    let cookie = room
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let authorize = location(room.headers());
    let action = login_form(&client, &authorize).await;
    let callback = location(
        submit(&client, &action, "bob", "bob-password")
            .await
            .headers(),
    );
    let first = client.get(callback.clone()).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    // An attacker who copied both the callback URL and the login cookie.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = replay
        .get(callback)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_error_page(resp, StatusCode::BAD_REQUEST, "already used").await;
}

#[tokio::test]
async fn forged_state_and_missing_cookie_get_pages() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "room").await;
    let state = state_of(&authorize);

    let forged = format!("/callback?state={}&code=abc", "A".repeat(43));
    assert_error_page(
        client.get(bridge.url(&forged)).send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "no record",
    )
    .await;
    let no_state = get(&client, bridge.url("/callback?code=abc")).await;
    assert_error_page(no_state, StatusCode::BAD_REQUEST, "incomplete").await;

    // The real state, from a browser without the cookie.
    let stranger = browser();
    let resp = get(
        &stranger,
        bridge.url(&format!("/callback?state={state}&code=abc")),
    )
    .await;
    assert_error_page(resp, StatusCode::BAD_REQUEST, "no record of this login").await;
}

#[tokio::test]
async fn cancelled_login_gets_its_own_page_with_a_retry_link() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    // What Keycloak sends when the user declines (e.g. on a consent screen).
    let body = cancelled_login(&client, &bridge, "Caf%C3%A9").await;
    assert!(
        body.contains(r#"href="/room/Caf%C3%A9""#),
        "retry link: {body}"
    );
}

/// What a client can cause by itself (a made-up code, an error code Keycloak never sends) is
/// a 4xx page logged at WARN; only what the operator must fix is a 5xx at ERROR, so that the
/// 5xx alert cannot be fired from outside.
#[tokio::test]
async fn client_caused_callback_failures_are_4xx_and_operator_ones_5xx() {
    let bridge = Bridge::spawn("").await;
    let cases = [
        // Keycloak advertises authorization_response_iss_parameter_supported: no iss, no login.
        (
            "code=x",
            StatusCode::BAD_REQUEST,
            "did not say which login server",
        ),
        (
            "error=access_denied",
            StatusCode::BAD_REQUEST,
            "did not say which login server",
        ),
        (
            "code=not-a-real-code&iss=ISS",
            StatusCode::BAD_REQUEST,
            "no longer accepts",
        ),
        (
            "error=foo&iss=ISS",
            StatusCode::BAD_REQUEST,
            "not one this service knows",
        ),
        (
            "error=server_error&iss=ISS",
            StatusCode::BAD_GATEWAY,
            "reported a problem",
        ),
        (
            "error=temporarily_unavailable&iss=ISS",
            StatusCode::SERVICE_UNAVAILABLE,
            "reported a problem",
        ),
    ];
    let iss: String = url::form_urlencoded::byte_serialize(issuer().as_bytes()).collect();
    for (query, status, text) in cases {
        let client = browser();
        let authorize = start_login(&client, &bridge, "room").await;
        let state = state_of(&authorize);
        let query = query.replace("ISS", &iss);
        let url = bridge.url(&format!("/callback?state={state}&{query}"));
        assert_error_page(client.get(url).send().await.unwrap(), status, text).await;
    }
}

#[tokio::test]
async fn wrong_client_secret_is_a_bad_gateway_page() {
    let bridge = Bridge::spawn_with(|t| t.replace(CLIENT_SECRET, "not-the-client-secret")).await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "room").await;
    let action = login_form(&client, &authorize).await;
    let resp = submit(&client, &action, "bob", "bob-password").await;
    let callback = location(resp.headers());
    assert_error_page(
        client.get(callback).send().await.unwrap(),
        StatusCode::BAD_GATEWAY,
        "refused",
    )
    .await;
}

#[tokio::test]
async fn mismatched_iss_parameter_is_refused() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "room").await;
    let state = state_of(&authorize);
    let url = bridge.url(&format!(
        "/callback?state={state}&code=x&iss=https%3A%2F%2Fevil.example%2Frealms%2Fjitsi"
    ));
    assert_error_page(
        client.get(url).send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "wrong server",
    )
    .await;
}

#[tokio::test]
async fn keycloak_unreachable_is_a_503_page_and_not_ready() {
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!(
        "http://127.0.0.1:{}/realms/jitsi",
        dead.local_addr().unwrap().port()
    );
    drop(dead);
    let bridge = Bridge::spawn_with(|t| t.replace(&issuer(), &dead_url)).await;
    let client = browser();
    let resp = client.get(bridge.url("/room/team")).send().await.unwrap();
    let body = assert_error_page(resp, StatusCode::SERVICE_UNAVAILABLE, "cannot be reached").await;
    assert!(body.contains(r#"href="/room/team""#), "{body}");
    // A typed start is not trusted, and its "Try again" (a same-origin click) says so.
    let resp = get(&typing_browser(), bridge.url("/room/team")).await;
    let body = assert_error_page(resp, StatusCode::SERVICE_UNAVAILABLE, "cannot be reached").await;
    assert!(
        body.contains(r#"href="/room/team?from=elsewhere""#),
        "{body}"
    );
    let ready = client.get(bridge.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        get(&client, bridge.url("/healthz")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn ready_with_keycloak_and_headers_on_every_page() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    assert_eq!(
        get(&client, bridge.url("/readyz")).await.status(),
        StatusCode::OK
    );
    for path in ["/", "/room/team", "/callback", "/nope"] {
        let resp = client.get(bridge.url(path)).send().await.unwrap();
        let h = resp.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer", "{path}");
        assert_eq!(h.get("cache-control").unwrap(), "no-store", "{path}");
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert!(h.get("x-request-id").is_some(), "{path}");
    }
    let not_found = client.get(bridge.url("/nope")).send().await.unwrap();
    assert_error_page(not_found, StatusCode::NOT_FOUND, "Page not found").await;
}

#[tokio::test]
async fn authorization_request_carries_pkce_s256_state_and_nonce() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "room").await;
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "jitsi-bridge");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["state"].len(), 43);
    assert_eq!(q["nonce"].len(), 43);
    assert_eq!(q["redirect_uri"], bridge.url("/callback"));
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
}

#[tokio::test]
async fn fragment_placement_and_token_inspector() {
    let bridge = Bridge::spawn_with(|t| {
        t.replace(
            "url = \"https://meet.example.test\"",
            "url = \"https://meet.example.test\"\ntoken_placement = \"fragment\"",
        )
    })
    .await;
    let client = browser();
    let target = login(&client, &bridge, "room", "bob", "bob-password").await;
    assert_eq!(target.query(), None, "no token in the query string");
    let fragment = target.fragment().unwrap();
    assert!(
        fragment.starts_with("jwt=%22eyJ")
            && fragment.ends_with("&config.prejoinConfig.enabled=false"),
        "{fragment}"
    );
    let token = fragment
        .trim_start_matches("jwt=%22")
        .split("%22")
        .next()
        .unwrap();
    verify_like_prosody(token, JITSI_SECRET, "jitsi-bridge", "jitsi");

    // The inspector: Jitsi URL pointed at the bridge itself, as in the demo.
    let inspect = Bridge::spawn_with(|t| {
        t.replace(
            "url = \"https://meet.example.test\"",
            "url = \"http://127.0.0.1:1/inspect\"",
        ) + "\n[inspector]\nenabled = true\n"
    })
    .await;
    let client = browser();
    let target = login(&client, &inspect, "Demo%20Room", "alice", "alice-password").await;
    let own = target
        .as_str()
        .replace("http://127.0.0.1:1/", &inspect.url("/"));
    let page = client.get(own).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for text in ["Demo Room", "demo%20room", "owner", "Alice Moderator"] {
        assert!(html.contains(text), "inspector shows {text}: {html}");
    }
}
