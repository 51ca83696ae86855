//! What an operator relies on: replicas without sticky sessions, restarts mid-login, Keycloak
//! down / stopping / hanging / rotating keys, metrics, and hostile input at volume.

use crate::helpers::*;
use crate::proxy::{Mode, Proxy};
use crate::verifier::verify_like_prosody;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// A browser that opens a new connection per request, so a round-robin proxy spreads them.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_login_started_on_one_replica_finishes_on_another() {
    let (la, lb) = (
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    );
    let lb_proxy = Proxy::start(vec![la.local_addr().unwrap(), lb.local_addr().unwrap()]).await;
    let public = lb_proxy.url();
    let _a = Bridge::spawn_on(la, Some(public.clone()), &issuer(), |t| t).await;
    let _b = Bridge::spawn_on(lb, Some(public.clone()), &issuer(), |t| t).await;
    let front = Bridge::detached(&public);

    let client = fresh_connections();
    // /room goes to one replica, the callback (next bridge request) to the other.
    let authorize = start_login(&client, &front, "replicated").await;
    let target = finish_with_form(&client, &front, &authorize, "bob", "bob-password").await;
    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    let served: Vec<usize> = lb_proxy
        .served
        .iter()
        .map(|c| c.load(std::sync::atomic::Ordering::SeqCst))
        .collect();
    assert_eq!(served, [1, 1], "one request on each replica");
}

#[tokio::test]
async fn a_login_survives_a_bridge_restart_between_room_and_callback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let first = Bridge::spawn_on(listener, None, &issuer(), |t| t).await;
    let client = browser();
    let authorize = start_login(&client, &first, "restart").await;
    let action = login_form(&client, &authorize).await;
    let keycloak_back = submit(&client, &action, "bob", "bob-password").await;
    first.stop().await;

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let second = Bridge::spawn_on(listener, None, &issuer(), |t| t).await;
    let target = follow_callback(&client, &second, keycloak_back).await;
    assert_eq!(target.path(), "/restart");
    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
}

#[tokio::test]
async fn keycloak_down_at_start_then_up_without_restart() {
    let upstream = keycloak_upstream();
    let proxy = Proxy::start(vec![upstream]).await;
    proxy.set(Mode::Down);
    let via = format!("{}/realms/jitsi", proxy.url());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge = Bridge::spawn_on(listener, None, &via, |t| t).await;
    let client = browser();
    assert_eq!(
        get(&client, bridge.url("/readyz")).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let resp = client.get(bridge.url("/room/team")).send().await.unwrap();
    assert_error_page(resp, StatusCode::SERVICE_UNAVAILABLE, "cannot be reached").await;

    proxy.set(Mode::Forward);
    // Discovery is retried at most every 2 s after a failure.
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&client, bridge.url("/readyz")).await.status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "never became ready");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let resp = client.get(bridge.url("/room/team")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let authorize = location(resp.headers());
    assert!(authorize.as_str().starts_with(&via));
    let target = finish_with_form(&client, &bridge, &authorize, "bob", "bob-password").await;
    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
}

#[tokio::test]
async fn keycloak_stopping_or_hanging_mid_login_gives_a_prompt_clear_page() {
    let upstream = keycloak_upstream();
    let proxy = Proxy::start(vec![upstream]).await;
    let via = format!("{}/realms/jitsi", proxy.url());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge = Bridge::spawn_on(listener, None, &via, |t| {
        t.replace("http_timeout_secs = 5", "http_timeout_secs = 2")
    })
    .await;

    for (mode, what) in [(Mode::Down, "stopped"), (Mode::Blackhole, "hangs")] {
        proxy.set(Mode::Forward);
        let client = browser();
        let authorize = start_login_any(&client, &bridge, "team").await;
        let action = login_form(&client, &authorize).await;
        let back = submit(&client, &action, "bob", "bob-password").await;
        let callback = location(back.headers());
        proxy.set(mode);
        let started = Instant::now();
        let resp = client.get(callback).send().await.unwrap();
        let took = started.elapsed();
        assert_error_page(resp, StatusCode::SERVICE_UNAVAILABLE, "cannot be reached").await;
        assert!(
            took < Duration::from_secs(8),
            "Keycloak {what}: answered after {took:?}"
        );
    }
    proxy.set(Mode::Forward);
}

#[tokio::test]
async fn keycloak_key_rotation_needs_no_restart() {
    // The second test realm, so that the rotation does not surprise other tests.
    let acme_issuer = format!("{}/realms/acme", keycloak_url());
    let bridge = Bridge::spawn_with(|t| {
        t.replace(&issuer(), &acme_issuer)
            .replace(CLIENT_SECRET, "acme-test-secret-change-me")
    })
    .await;
    let client = browser();
    let before = login_or_sso_any(&client, &bridge, "before", "zoe").await;
    verify_like_prosody(&jwt_of(&before), JITSI_SECRET, "jitsi-bridge", "jitsi");

    let realm = admin_get("/acme").await;
    let component = serde_json::json!({
        "name": format!("rotated-{}", std::process::id()),
        "providerId": "rsa-generated",
        "providerType": "org.keycloak.keys.KeyProvider",
        "parentId": realm["id"],
        "config": {"priority": ["1000"], "enabled": ["true"], "active": ["true"], "keySize": ["2048"], "algorithm": ["RS256"]}
    });
    let created = admin(reqwest::Method::POST, "/acme/components", Some(component)).await;
    assert_eq!(created.status(), StatusCode::CREATED, "new signing key");

    // A fresh browser, so the ID token is signed with the new key the bridge has not seen.
    let client = browser();
    let after = login_or_sso_any(&client, &bridge, "after", "zoe").await;
    verify_like_prosody(&jwt_of(&after), JITSI_SECRET, "jitsi-bridge", "jitsi");
}

#[tokio::test]
async fn metrics_count_logins_by_outcome_without_rooms_or_users() {
    let bridge = Bridge::spawn("[metrics]\nlisten = \"127.0.0.1:0\"\n").await;
    let client = browser();
    login(
        &client,
        &bridge,
        "Secret%20Project",
        "alice",
        "alice-password",
    )
    .await;
    let _ = get(&client, bridge.url("/room/%2F%2Fevil")).await;
    let text = metrics_text(bridge.metrics.expect("metrics address")).await;
    for want in [
        "bridge_logins_started_total",
        "bridge_logins_succeeded_total",
        "bridge_tokens_minted_total{alg=\"HS256\"}",
        "bridge_logins_failed_total{reason=\"bad_room\"}",
        "bridge_idp_request_duration_seconds_bucket{op=\"token\"",
        "bridge_idp_request_duration_seconds_bucket{op=\"discovery\"",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    for never in ["secret", "alice", "evil"] {
        assert!(
            !text.to_lowercase().contains(never),
            "{never} in metrics:\n{text}"
        );
    }
}

#[tokio::test]
async fn random_hostile_input_never_redirects_off_the_keycloak_endpoint() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let kc_auth = format!("{}/protocol/openid-connect/auth?", issuer());
    let mut runner = TestRunner::deterministic();
    let segment = proptest::collection::vec(any::<u8>(), 0..200);
    for _ in 0..300 {
        let bytes = segment.new_tree(&mut runner).unwrap().current();
        let encoded: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        for path in [
            format!("/room/{encoded}"),
            format!("/room/{encoded}/x"),
            format!("/room/x?state={encoded}"),
            format!("/callback?state={encoded}&code={encoded}&error={encoded}"),
        ] {
            let resp = client.get(bridge.url(&path)).send().await.unwrap();
            assert!(resp.status() != StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            if let Some(loc) = resp.headers().get("location") {
                let loc = loc.to_str().unwrap();
                assert!(loc.starts_with(&kc_auth), "{path} redirected to {loc}");
            }
        }
    }
    // Oversized input is refused before any work.
    let huge = "a".repeat(20_000);
    let resp = get(&client, bridge.url(&format!("/room/{huge}"))).await;
    assert_error_page(resp, StatusCode::URI_TOO_LONG, "too long").await;
}

/// `/readyz` follows Keycloak after start: not ready soon after Keycloak
/// stops or hangs (the body says no more than that; the metric and the log say which realm), never slower to answer than a probe's timeout, and ready again when it is
/// back; probes are cached, so a burst of `/readyz` makes at most a few requests to Keycloak.
#[tokio::test]
async fn readiness_follows_keycloak_going_away_and_coming_back() {
    let upstream = keycloak_upstream();
    let proxy = Proxy::start(vec![upstream]).await;
    let via = format!("{}/realms/jitsi", proxy.url());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge = Bridge::spawn_on(listener, None, &via, |t| t).await;
    let client = browser();
    let ready = |client: reqwest::Client, url: String| async move {
        let started = Instant::now();
        let resp = client.get(url).send().await.unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "/readyz took {took:?}");
        (resp.status(), resp.text().await.unwrap())
    };
    let wait_for = |want: StatusCode| {
        let (client, url) = (client.clone(), bridge.url("/readyz"));
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let (status, body) = ready(client.clone(), url.clone()).await;
                if status == want {
                    return body;
                }
                assert!(Instant::now() < deadline, "never {want}: {body}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    wait_for(StatusCode::OK).await;

    // A burst of probes while ready: answered from the cache.
    let before = proxy.served[0].load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..50 {
        assert_eq!(
            ready(client.clone(), bridge.url("/readyz")).await.0,
            StatusCode::OK
        );
    }
    let probes = proxy.served[0].load(std::sync::atomic::Ordering::SeqCst) - before;
    assert!(
        probes <= 2,
        "{probes} connections to Keycloak for 50 probes"
    );

    for mode in [Mode::Down, Mode::Blackhole] {
        proxy.set(mode);
        let body = wait_for(StatusCode::SERVICE_UNAVAILABLE).await;
        // Terse to the public: no realm, URL or error.
        assert_eq!(body, "not ready\n", "{mode:?}");
        proxy.set(Mode::Forward);
        wait_for(StatusCode::OK).await;
    }
    // Logins work again without a restart.
    let authorize = start_login_any(&client, &bridge, "team").await;
    let target = finish_with_form(&client, &bridge, &authorize, "bob", "bob-password").await;
    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
}

/// One tenant's own Keycloak is down: that is no reason to take the bridge out of service for
/// everyone else (every replica sees the same outage). `/readyz` stays ready, the realm's
/// gauge says which provider is gone, and the other realms' logins go on.
#[tokio::test]
async fn a_tenant_providers_outage_does_not_make_the_bridge_unready() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_issuer = format!("http://{}/realms/acme", dead.local_addr().unwrap());
    drop(dead);
    let extra = format!(
        "[metrics]\nlisten = \"127.0.0.1:0\"\n\
         [tenants.outage.oidc]\nissuer = \"{dead_issuer}\"\nclient_secret = \"acme-test-secret-change-me\"\n"
    );
    let bridge = Bridge::spawn(&extra).await;
    let client = browser();
    let resp = client.get(bridge.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "ready\n");
    // The recorder is shared by every bridge of this test process, so only this test's own
    // tenant is looked at (other tests' bridges set the default realm's gauge).
    let text = metrics_text(bridge.metrics.expect("metrics address")).await;
    assert!(
        text.lines()
            .any(|l| l == "bridge_idp_reachable{realm=\"outage\"} 0"),
        "{text}"
    );
    let health = client.get(bridge.url("/healthz")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let authorize = start_login_any(&client, &bridge, "team").await;
    let target = finish_with_form(&client, &bridge, &authorize, "bob", "bob-password").await;
    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
}
