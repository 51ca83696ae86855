//! How Jitsi deployments send users to the bridge and check its tokens: `{state}` with
//! settings and tenants, the desktop and mobile apps, RS256 with a key server, logout,
//! guests, and a second Keycloak realm for a tenant.

use crate::helpers::*;
use crate::jitsi_model::encode_uri_component;
use crate::verifier::{kid_of, verify_like_prosody, verify_rs256};
use jwt_simple::prelude::RS256PublicKey;
use reqwest::StatusCode;
use serde_json::json;

fn with_state(room: &str, state: &serde_json::Value) -> String {
    let encoded: String =
        url::form_urlencoded::byte_serialize(state.to_string().as_bytes()).collect();
    format!("{room}?state={encoded}")
}

async fn login_with_form(
    client: &reqwest::Client,
    bridge: &Bridge,
    path: &str,
    user: &str,
) -> reqwest::Response {
    let authorize = start_login(client, bridge, path).await;
    let action = login_form(client, &authorize).await;
    let resp = submit(client, &action, user, &format!("{user}-password")).await;
    let callback = location(resp.headers());
    client.get(callback).send().await.unwrap()
}

#[tokio::test]
async fn state_carries_settings_back_and_its_tenant_becomes_sub() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let state = json!({
        "room": "WeeklySync", "roomSafe": "weeklysync", "tenant": "acme",
        "config.startWithAudioMuted": true, "config.prejoinConfig.enabled": false,
        "config.subject": "Weekly & more", "iceServers.replace": [], "refreshToken": "x"
    });
    let target = login(
        &client,
        &bridge,
        &with_state("WeeklySync", &state),
        "bob",
        "bob-password",
    )
    .await;
    assert_eq!(target.origin().ascii_serialization(), JITSI_URL);
    assert_eq!(target.path(), "/acme/WeeklySync");
    assert_eq!(
        target.fragment(),
        Some(
            "config.prejoinConfig.enabled=false&config.startWithAudioMuted=true&config.subject=%22Weekly%20%26%20more%22"
        )
    );
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.subject.as_deref(), Some("acme"));
    assert_eq!(claims.custom.room, "weeklysync");
    assert_eq!(claims.custom.context["tenant"], "acme");
}

/// What jitsi-meet 2026-08 sends: the state of `_getTokenAuthState`
/// (`react/features/authentication/functions.any.ts`) in the URL of `getTokenAuthUrl`
/// (`functions.web.ts`). Since jitsi-meet PR #17623 an audio-only start is
/// `config.startLowBandwidthMode`, and a Jitsi that knows only that name ignores
/// `startAudioOnly`; the state also carries the refresh token of an earlier inline login.
#[tokio::test]
async fn jitsi_meet_2026_08_gets_low_bandwidth_mode_back_and_never_the_refresh_token() {
    const REFRESH_TOKEN: &str = "eyJhbGciOiJIUzUxMiJ9.e30.cmVmcmVzaA";
    let bridge = Bridge::spawn("").await;
    let client = bare_browser();
    // `_getTokenAuthState`'s keys in its order, as `JSON.stringify` writes them: the refresh
    // token, the address bar's room, its backend-safe form, the tenant, the start settings that
    // are on, the pre-join skip, then the page's own hash parameters.
    let state = format!(
        r#"{{"refreshToken":"{REFRESH_TOKEN}","room":"Caf%C3%A9%20Z%C3%BCrich","roomSafe":"caf%c3%a9%20z%c3%bcrich","tenant":"acme","config.startWithAudioMuted":true,"config.startLowBandwidthMode":true,"config.prejoinConfig.enabled":false,"config.subject":"Weekly"}}"#
    );
    // `getTokenAuthUrl`: the documented tokenAuthUrl, `{state}` replaced by
    // encodeURIComponent(JSON.stringify(state)), `{room}` by the address bar's room as it is.
    let path = "/room/{room}?state={state}"
        .replacen("{state}", &encode_uri_component(&state), 1)
        .replacen("{room}", "Caf%C3%A9%20Z%C3%BCrich", 1);
    // The JSON is encoded once, so the encoded room inside it is encoded a second time.
    assert!(
        path.contains("%22room%22%3A%22Caf%25C3%25A9%2520Z%25C3%25BCrich%22"),
        "{path}"
    );

    // `location.href = url` from a Jitsi page: the browsers' default referrer policy sends
    // the page's origin.
    let resp = client
        .get(bridge.url(&path))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .header("referer", format!("{JITSI_URL}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
    let authorize = location(resp.headers());
    let target = finish_with_form(&client, &bridge, &authorize, "bob", "bob-password").await;
    assert_eq!(target.origin().ascii_serialization(), JITSI_URL);
    assert_eq!(target.path(), "/acme/Caf%C3%A9%20Z%C3%BCrich");
    assert_eq!(
        target.fragment(),
        Some(
            "config.prejoinConfig.enabled=false&config.startLowBandwidthMode=true&config.startWithAudioMuted=true&config.subject=%22Weekly%22"
        )
    );
    assert!(!target.as_str().contains("refreshToken"), "{target}");
    assert!(!target.as_str().contains(REFRESH_TOKEN), "{target}");
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.subject.as_deref(), Some("acme"));
    assert_eq!(claims.custom.room, "caf%c3%a9%20z%c3%bcrich");

    // The same link from another site (single sign-on now): low-bandwidth mode only takes
    // something away, so it still comes back; the pre-join skip and the subject do not.
    let resp = client
        .get(bridge.url(&path))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
    let keycloak = client.get(location(resp.headers())).send().await.unwrap();
    let target = follow_callback(&client, &bridge, keycloak).await;
    assert_eq!(
        target.fragment(),
        Some("config.startLowBandwidthMode=true&config.startWithAudioMuted=true")
    );
    assert!(!target.as_str().contains(REFRESH_TOKEN), "{target}");
}

#[tokio::test]
async fn tenant_in_the_path_and_unicode_rooms_from_state() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let target = login(&client, &bridge, "Team-A/Stand%20Up", "bob", "bob-password").await;
    assert_eq!(target.path(), "/Team-A/Stand%20Up");
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(
        (claims.subject.as_deref(), claims.custom.room.as_str()),
        (Some("team-a"), "stand%20up")
    );

    // Jitsi's {room} for an upper-case Cyrillic room, with its state (SSO: no form again).
    let state =
        json!({"room": "ВСТРЕЧА", "roomSafe": "%d0%b2%d1%81%d1%82%d1%80%d0%b5%d1%87%d0%b0"});
    let path = with_state("%D0%92%D0%A1%D0%A2%D0%A0%D0%95%D0%A7%D0%90", &state);
    let authorize = start_login(&client, &bridge, &path).await;
    let target = follow_callback(
        &client,
        &bridge,
        client.get(authorize).send().await.unwrap(),
    )
    .await;
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(
        claims.custom.room,
        "%d0%b2%d1%81%d1%82%d1%80%d0%b5%d1%87%d0%b0"
    );
    assert_eq!(claims.subject.as_deref(), Some("meet.jitsi"));
}

#[tokio::test]
async fn malformed_or_unsafe_state_gets_a_400_page() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let cases = [
        ("team?state=%7Bnot%20json", "not a JSON object"),
        (
            &*with_state("team", &json!({"room": "other"})),
            "different room",
        ),
        (&*with_state("team", &json!({"roomSafe": "*"})), "roomSafe"),
        (
            &*with_state("acme/team", &json!({"tenant": "other"})),
            "different tenant",
        ),
        (
            &*with_state("team", &json!({"tenant": "../evil.example"})),
            "tenant",
        ),
        (
            &*with_state("team", &json!({"config.__proto__": 1})),
            "setting name",
        ),
        (
            &*with_state("team", &json!({"ios": true, "android": true})),
            "more than one",
        ),
    ];
    // Users read one plain page for all of them (with a way back to the meeting); which check
    // failed is in the log line (`cause`), not in words users do not know.
    for (path, _cause) in cases {
        let resp = get(&client, bridge.url(&format!("/room/{path}"))).await;
        let page = assert_error_page(resp, StatusCode::BAD_REQUEST, "does not work").await;
        for jargon in ["JSON", "state", "tenant", "roomSafe"] {
            assert!(!page.contains(jargon), "{jargon} on the page: {page}");
        }
    }
}

#[tokio::test]
async fn jitsi_apps_get_a_page_that_opens_the_app() {
    // The operator's stylesheet is on every page but this one, which carries the token: CSS
    // from that host could read the link's `href` through attribute selectors.
    let bridge =
        Bridge::spawn("[branding]\nstylesheet_url = \"https://cdn.example.org/brand.css\"\n").await;
    let ordinary = browser().get(bridge.url("/")).send().await.unwrap();
    let csp = csp_of(&ordinary);
    assert!(
        csp.contains("style-src 'self' https://cdn.example.org;"),
        "{csp}"
    );
    assert!(
        ordinary
            .text()
            .await
            .unwrap()
            .contains("https://cdn.example.org/brand.css")
    );
    for (flag, scheme) in [
        ("electron", "jitsi-meet://"),
        ("android", "org.jitsi.meet://"),
    ] {
        let client = browser();
        let path = with_state(
            "team",
            &json!({ flag: true, "config.startWithVideoMuted": true }),
        );
        let resp = login_with_form(&client, &bridge, &path, "alice").await;
        assert_eq!(resp.status(), StatusCode::OK, "{flag}");
        let csp = csp_of(&resp);
        assert!(csp.contains("style-src 'self';"), "{flag}: {csp}");
        assert!(!csp.contains("cdn.example.org"), "{flag}: {csp}");
        let html = resp.text().await.unwrap();
        assert!(!html.contains("cdn.example.org"), "{flag}: {html}");
        let link = html
            .split("href=\"")
            .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"))
            .find(|h| h.starts_with(scheme))
            .unwrap_or_else(|| panic!("{flag}: no {scheme} link in {html}"));
        assert!(
            link.starts_with(&format!("{scheme}meet.example.test/team?jwt=")),
            "{link}"
        );
        assert!(link.contains("#config.startWithVideoMuted=true"), "{link}");
        let token = link
            .split("jwt=")
            .nth(1)
            .unwrap()
            .split('#')
            .next()
            .unwrap();
        verify_like_prosody(token, JITSI_SECRET, "jitsi-bridge", "jitsi");
        assert!(
            html.contains("https://meet.example.test/team?jwt="),
            "fallback to the browser"
        );
    }
}

#[tokio::test]
async fn rs256_keys_are_published_the_way_prosody_fetches_them_and_rotate() {
    let dir = std::env::temp_dir().join(format!("bridge-e2e-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (old, new) = (dir.join("old.pem"), dir.join("new.pem"));
    for path in [&old, &new] {
        let status = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
            ])
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success());
    }
    let rs256 = |keys: &[(&str, &std::path::Path)]| {
        let list: Vec<String> = keys
            .iter()
            .map(|(kid, p)| {
                format!(
                    "{{ kid = \"{kid}\", private_key_file = {:?} }}",
                    p.display().to_string()
                )
            })
            .collect();
        let keys = format!(
            "algorithm = \"RS256\"\nsigning_keys = [{}]",
            list.join(", ")
        );
        move |t: String| t.replace(&format!("secret = \"{JITSI_SECRET}\""), &keys)
    };
    let client = browser();
    let fetch_key = |bridge: &Bridge, kid: &str| {
        // Prosody: asap_key_server .. "/" .. lowercase hex sha256(kid) .. ".pem"
        let digest: String = <sha2::Sha256 as sha2::Digest>::digest(kid.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        bridge.url(&format!("/asap/{digest}.pem"))
    };

    // Before rotation: only the old key.
    let before = Bridge::spawn_with(rs256(&[("2026-05", &old)])).await;
    let target = login_or_sso(&client, &before, "team", "bob", "bob-password").await;
    let old_token = jwt_of(&target);
    assert_eq!(kid_of(&old_token), "2026-05");
    let pem = get(&client, fetch_key(&before, "2026-05")).await;
    assert_eq!(pem.status(), StatusCode::OK);
    let pem = pem.text().await.unwrap();
    assert!(
        pem.starts_with("-----BEGIN PUBLIC KEY-----"),
        "a PEM body, not JSON"
    );
    verify_rs256(
        &old_token,
        &RS256PublicKey::from_pem(&pem).unwrap(),
        "jitsi-bridge",
        "jitsi",
    )
    .unwrap();

    // During rotation: the new key signs, the old one stays published.
    let during = Bridge::spawn_with(rs256(&[("2026-11", &new), ("2026-05", &old)])).await;
    let target = login_or_sso(&client, &during, "team", "bob", "bob-password").await;
    let new_token = jwt_of(&target);
    assert_eq!(kid_of(&new_token), "2026-11");
    let jwks: serde_json::Value = get(&client, during.url("/jwks.json"))
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["2026-11", "2026-05"]);
    let jwk = &jwks["keys"][0];
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    };
    let from_jwk = RS256PublicKey::from_components(
        &b64(jwk["n"].as_str().unwrap()),
        &b64(jwk["e"].as_str().unwrap()),
    )
    .unwrap();
    verify_rs256(&new_token, &from_jwk, "jitsi-bridge", "jitsi").unwrap();
    let old_pem = get(&client, fetch_key(&during, "2026-05"))
        .await
        .text()
        .await
        .unwrap();
    verify_rs256(
        &old_token,
        &RS256PublicKey::from_pem(&old_pem).unwrap(),
        "jitsi-bridge",
        "jitsi",
    )
    .unwrap();

    // After rotation: the old key is retired and no longer published, so its tokens fail.
    let after = Bridge::spawn_with(rs256(&[("2026-11", &new)])).await;
    let gone = get(&client, fetch_key(&after, "2026-05")).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let new_pem = get(&client, fetch_key(&after, "2026-11"))
        .await
        .text()
        .await
        .unwrap();
    let err = verify_rs256(
        &old_token,
        &RS256PublicKey::from_pem(&new_pem).unwrap(),
        "jitsi-bridge",
        "jitsi",
    );
    assert!(
        err.is_err(),
        "a token of a retired key must not verify with the published key"
    );
}

#[tokio::test]
async fn logout_ends_the_keycloak_session() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    login(&client, &bridge, "team", "alice", "alice-password").await;
    let resp = client.get(bridge.url("/logout")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let end_session = location(resp.headers());
    assert!(
        end_session
            .as_str()
            .starts_with(&format!("{}/protocol/openid-connect/logout?", issuer())),
        "{end_session}"
    );
    let q: std::collections::HashMap<_, _> = end_session.query_pairs().into_owned().collect();
    assert!(
        q["id_token_hint"].starts_with("eyJ"),
        "id_token_hint lets Keycloak skip its confirmation page"
    );
    assert_eq!(q["post_logout_redirect_uri"], bridge.url("/logged-out"));
    let kc = client.get(end_session).send().await.unwrap();
    assert_eq!(
        kc.status(),
        StatusCode::FOUND,
        "Keycloak logs out without asking"
    );
    let landing = location(kc.headers());
    // Keycloak returns the state, which keeps the page in the language of the logout.
    assert_eq!(landing.as_str(), bridge.url("/logged-out?state=lang-en"));
    let page = client.get(landing).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("logged out"));

    // The next room needs the login form again.
    let authorize = start_login(&client, &bridge, "next").await;
    let resp = client.get(authorize).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "Keycloak shows the form: the SSO session is gone"
    );
    assert!(form_action(&resp.text().await.unwrap()).is_some());
}

#[tokio::test]
async fn guests_are_offered_the_room_when_login_is_cancelled() {
    let bridge = Bridge::spawn("[guests]\nenabled = true\n").await;
    let client = browser();
    let body = cancelled_login(&client, &bridge, "acme/Town%20Hall").await;
    assert!(
        body.contains(r#"href="https://meet.example.test/acme/Town%20Hall""#),
        "{body}"
    );
    assert!(body.contains(r#"href="/room/acme/Town%20Hall""#), "{body}");

    // Off by default.
    let plain = Bridge::spawn("").await;
    let client = browser();
    let body = cancelled_login(&client, &plain, "room").await;
    assert!(!body.contains("as a guest"));
}

#[tokio::test]
async fn a_tenant_can_have_its_own_keycloak_realm_and_signing() {
    let acme_issuer = format!("{}/realms/acme", keycloak_url());
    let extra = format!(
        "[tenants.acme.oidc]\nissuer = \"{acme_issuer}\"\nclient_secret = \"acme-test-secret-change-me\"\n\
         [tenants.acme.jitsi]\nsecret = \"acme-jitsi-secret-0123456789abcdef0123\"\napp_id = \"acme-bridge\"\n\
         [tenants.acme.moderators]\nrealm_roles = [\"teacher\"]\n"
    );
    let bridge = Bridge::spawn(&extra).await;
    let client = browser();
    let authorize = start_login_any(&client, &bridge, "acme/class-1").await;
    assert!(
        authorize.as_str().starts_with(&acme_issuer),
        "acme rooms log in at the acme realm: {authorize}"
    );
    let target = finish_with_form(&client, &bridge, &authorize, "zoe", "zoe-password").await;
    let claims = verify_like_prosody(
        &jwt_of(&target),
        "acme-jitsi-secret-0123456789abcdef0123",
        "acme-bridge",
        "jitsi",
    );
    assert_eq!(claims.subject.as_deref(), Some("acme"));
    assert_eq!(
        claims.custom.context["user"]["affiliation"], "owner",
        "teacher role of the acme realm"
    );

    // Other rooms still use the default realm.
    let client = browser();
    let target = login(&client, &bridge, "general", "bob", "bob-password").await;
    verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
}
