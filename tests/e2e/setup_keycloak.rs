//! `setup-keycloak` against the real Keycloak of the test run: an empty realm gets everything
//! the bridge needs, a second run changes nothing, drift shows in `--dry-run`, a setting that
//! something else may need is left alone, and a login through the bridge then works with the
//! moderator rules.

use crate::helpers::*;
use crate::verifier::verify_like_prosody;
use std::ffi::OsStr;
use std::process::Command;

pub(crate) fn setup(
    config: &std::path::Path,
    password: &std::path::Path,
    extra: &[&str],
) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"))
        .arg("--config")
        .arg(config)
        .args([
            "setup-keycloak",
            "--admin-user",
            KEYCLOAK_ADMIN.0,
            "--admin-password-file",
        ])
        .arg(password)
        .args(extra)
        .env_remove("BRIDGE_SETUP_ADMIN_PASSWORD")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A new realm of the test Keycloak with `users`, and a bridge configuration for it whose
/// client secret file does not exist yet.
pub(crate) struct Fixture {
    pub(crate) realm: String,
    pub(crate) issuer: String,
    pub(crate) secret_file: std::path::PathBuf,
    pub(crate) password: std::path::PathBuf,
    pub(crate) listener: tokio::net::TcpListener,
    pub(crate) public: String,
    pub(crate) toml: String,
    pub(crate) config: std::path::PathBuf,
}

pub(crate) async fn fresh_realm(name: &str, users: serde_json::Value) -> Fixture {
    let realm = format!("{name}-{}", std::process::id());
    let body = serde_json::json!({"realm": realm, "enabled": true, "users": users});
    let resp = admin(reqwest::Method::POST, "", Some(body)).await;
    assert!(
        resp.status().is_success(),
        "create realm: {}",
        resp.status()
    );
    let issuer = format!("{}/realms/{realm}", keycloak_url());
    let dir = std::env::temp_dir().join(format!("bridge-{realm}"));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_file = dir.join("client-secret");
    let _ = std::fs::remove_file(&secret_file);
    let password = dir.join("admin-password");
    std::fs::write(&password, KEYCLOAK_ADMIN.1).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://{}", listener.local_addr().unwrap());
    let toml = default_config(&public, &issuer).replace(
        &format!("client_secret = \"{CLIENT_SECRET}\""),
        &format!(
            "client_secret_file = {:?}",
            secret_file.display().to_string()
        ),
    );
    let config = dir.join("bridge.toml");
    std::fs::write(&config, &toml).unwrap();
    Fixture {
        realm,
        issuer,
        secret_file,
        password,
        listener,
        public,
        toml,
        config,
    }
}

// Several threads: the bridge under test must answer the doctor run at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_realm_is_set_up_in_one_command_and_a_login_works() {
    let users = serde_json::json!([{
        "username": "sam", "enabled": true, "email": "sam@example.test", "emailVerified": true,
        "firstName": "Sam", "lastName": "Setup",
        "credentials": [{"type": "password", "value": "sam-password", "temporary": false}]
    }]);
    let Fixture {
        realm,
        issuer,
        secret_file,
        password,
        listener,
        public,
        toml,
        config,
    } = fresh_realm("setup", users).await;

    // First run: everything is created.
    let (code, out) = setup(&config, &password, &["--create-groups"]);
    assert_eq!(code, 0, "{out}");
    for want in [
        "create the client",
        "add the mapper \"groups\"",
        "add the mapper \"client roles\"",
        // The mappers are now there: the line for the configuration is printed.
        "set oidc.absent_means_empty = [\"groups\", \"realm_roles\", \"client_roles\"]",
        "add the client role moderator",
        "create the group moderators",
        "write the client secret",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(
        !out.contains(&std::fs::read_to_string(&secret_file).unwrap()),
        "secret printed"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secret_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // Second run: nothing to do.
    let (code, out) = setup(&config, &password, &["--create-groups"]);
    assert_eq!((code, out.trim()), (0, "no changes"), "{out}");

    // Drift: the redirect URI removed, direct access grants on (for someone else's reason).
    let clients = admin_get(&format!("/{realm}/clients?clientId=jitsi-bridge")).await;
    let mut client = clients[0].clone();
    let id = client["id"].as_str().unwrap().to_owned();
    client["redirectUris"] = serde_json::json!([]);
    client["directAccessGrantsEnabled"] = serde_json::json!(true);
    admin(
        reqwest::Method::PUT,
        &format!("/{realm}/clients/{id}"),
        Some(client),
    )
    .await;
    let (code, out) = setup(&config, &password, &["--dry-run"]);
    assert_eq!(code, 1, "a conflict is left to the admin: {out}");
    assert!(out.contains("add the redirect URI"), "{out}");
    assert!(
        out.contains("! realm") && out.contains("direct access grants is on"),
        "{out}"
    );
    let after = admin_get(&format!("/{realm}/clients/{id}")).await;
    assert_eq!(
        after["redirectUris"],
        serde_json::json!([]),
        "--dry-run changed nothing"
    );
    let (code, _) = setup(&config, &password, &[]);
    assert_eq!(code, 1);
    let after = admin_get(&format!("/{realm}/clients/{id}")).await;
    assert_eq!(after["redirectUris"][0], format!("{public}/callback"));
    assert_eq!(
        after["directAccessGrantsEnabled"], true,
        "left alone without --force"
    );

    // Sam joins the group setup created; a login through the bridge makes them moderator.
    let groups = admin_get(&format!("/{realm}/groups?search=moderators&exact=true")).await;
    let group = groups[0]["id"].as_str().unwrap().to_owned();
    let users = admin_get(&format!("/{realm}/users?username=sam")).await;
    let user = users[0]["id"].as_str().unwrap().to_owned();
    admin(
        reqwest::Method::PUT,
        &format!("/{realm}/users/{user}/groups/{group}"),
        None,
    )
    .await;
    let bridge = Bridge::spawn_on(listener, None, &issuer, |_| toml.clone()).await;
    let client = browser();
    let authorize = start_login_any(&client, &bridge, "set-up").await;
    let target = finish_with_form(&client, &bridge, &authorize, "sam", "sam-password").await;
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.context["user"]["moderator"], true);

    // doctor logs the test user in through Keycloak's form and sees the claims.
    let sam_password = config.parent().unwrap().join("sam-password");
    std::fs::write(&sam_password, "sam-password").unwrap();
    let test_login = ["--test-user", "sam", "--test-password-file"]
        .map(OsStr::new)
        .into_iter()
        .chain([sam_password.as_os_str()])
        .collect::<Vec<_>>();
    let (_, out) = doctor_with(&config, &test_login);
    assert!(
        out.contains("✘ a test login as sam: the ID token carries no client roles"),
        "sam has no client role yet: {out}"
    );
    // With the client role setup created, the claims are complete.
    let role = admin_get(&format!("/{realm}/clients/{id}/roles/moderator")).await;
    admin(
        reqwest::Method::POST,
        &format!("/{realm}/users/{user}/role-mappings/clients/{id}"),
        Some(serde_json::json!([role])),
    )
    .await;
    let (_, out) = doctor_with(&config, &test_login);
    assert!(
        out.contains("✔ a test login as sam: the ID token carries groups [\"/moderators\"], client roles [\"moderator\"]"),
        "{out}"
    );
    bridge.stop().await;
    admin(reqwest::Method::DELETE, &format!("/{realm}"), None).await;
}

pub(crate) fn doctor(
    config: &std::path::Path,
    password: Option<&std::path::Path>,
) -> (i32, String) {
    let args = ["--admin-user", KEYCLOAK_ADMIN.0, "--admin-password-file"].map(OsStr::new);
    match password {
        Some(p) => doctor_with(config, &[&args[..], &[p.as_os_str()]].concat()),
        None => doctor_with(config, &[]),
    }
}

/// `doctor` with `args`: its exit status and standard output.
fn doctor_with(config: &std::path::Path, args: &[&OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"))
        .arg("--config")
        .arg(config)
        .arg("doctor")
        .args(args)
        .env_remove("BRIDGE_SETUP_ADMIN_PASSWORD")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

// Several threads: the bridge under test must answer the doctor, which runs as a process the
// test waits for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_good_setup_and_names_each_broken_piece() {
    let Fixture {
        realm,
        issuer,
        secret_file,
        password,
        listener,
        toml,
        config,
        ..
    } = fresh_realm("doctor", serde_json::json!([])).await;
    // The operator says the mappers are there; doctor checks that it is true.
    let toml = toml.replace(
        "http_timeout_secs = 5",
        "http_timeout_secs = 5\nabsent_means_empty = [\"groups\", \"email\"]",
    );
    std::fs::write(&config, &toml).unwrap();
    let dir = config.parent().unwrap().to_owned();
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!(code, 0, "{out}");
    let bridge = Bridge::spawn_on(listener, None, &issuer, |_| toml.clone()).await;

    // All good.
    let (code, out) = doctor(&config, Some(&password));
    assert_eq!(code, 0, "{out}");
    for want in [
        "✔ the configuration is valid",
        "/healthz answers",
        "issuer is exactly",
        "its secret are accepted",
        "PKCE S256 and flows as required",
        "groups and roles mappers",
        "✔ client jitsi-bridge: oidc.absent_means_empty names groups, and its mapper is there",
        "✔ client jitsi-bridge: oidc.absent_means_empty names email, and its mapper is there",
        // Keycloak sends no Date header: its time comes from the admin token's iat.
        "✔ this machine's clock agrees with Keycloak (the admin sign-in) ",
        "a sample token passes",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(!out.contains('✘'), "{out}");

    // A wrong secret.
    let wrong = dir.join("wrong.toml");
    std::fs::write(
        &wrong,
        toml.replace(
            &format!(
                "client_secret_file = {:?}",
                secret_file.display().to_string()
            ),
            "client_secret = \"not-the-secret\"",
        ),
    )
    .unwrap();
    let (code, out) = doctor(&wrong, None);
    assert_eq!(code, 1);
    assert!(
        out.contains("✘ Keycloak refuses the client jitsi-bridge"),
        "{out}"
    );
    assert!(out.contains("troubleshooting.md#exchange_refused"), "{out}");
    // Without admin credentials nothing carries Keycloak's time: said, not passed.
    assert!(out.contains("– the clocks were not compared"), "{out}");

    // A groups mapper sending bare names (Full group path off): doctor fails on it,
    // setup-keycloak shows and makes the fix.
    let clients = admin_get(&format!("/{realm}/clients?clientId=jitsi-bridge")).await;
    let id = clients[0]["id"].as_str().unwrap().to_owned();
    let mappers = admin_get(&format!("/{realm}/clients/{id}/protocol-mappers/models")).await;
    let mut groups_mapper = mappers
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["protocolMapper"] == "oidc-group-membership-mapper")
        .unwrap()
        .clone();
    let mapper_id = groups_mapper["id"].as_str().unwrap().to_owned();
    groups_mapper["config"]["full.path"] = serde_json::json!("false");
    let resp = admin(
        reqwest::Method::PUT,
        &format!("/{realm}/clients/{id}/protocol-mappers/models/{mapper_id}"),
        Some(groups_mapper),
    )
    .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let (code, out) = doctor(&config, Some(&password));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "✘ client jitsi-bridge: the mapper \"groups\" sends group names without their path"
        ),
        "{out}"
    );
    assert!(
        out.contains("troubleshooting.md#groups-arrive-without-their-path"),
        "{out}"
    );
    let (code, out) = setup(&config, &password, &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("send full group paths from the mapper \"groups\""),
        "{out}"
    );
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!(code, 0, "{out}");
    let fixed = admin_get(&format!(
        "/{realm}/clients/{id}/protocol-mappers/models/{mapper_id}"
    ))
    .await;
    assert_eq!(fixed["config"]["full.path"], "true");
    let (code, out) = doctor(&config, Some(&password));
    assert_eq!(code, 0, "{out}");

    // A missing mapper and a wrong redirect URI (seen through the admin API).
    let clients = admin_get(&format!("/{realm}/clients?clientId=jitsi-bridge")).await;
    let mut client = clients[0].clone();
    let id = client["id"].as_str().unwrap().to_owned();
    // The client first (its representation carries the mappers), then the mapper.
    client["redirectUris"] = serde_json::json!([
        "https://elsewhere.example/callback",
        "https://elsewhere.example/*"
    ]);
    admin(
        reqwest::Method::PUT,
        &format!("/{realm}/clients/{id}"),
        Some(client),
    )
    .await;
    let mappers = admin_get(&format!("/{realm}/clients/{id}/protocol-mappers/models")).await;
    let groups = mappers
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["protocolMapper"] == "oidc-group-membership-mapper")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin(
        reqwest::Method::DELETE,
        &format!("/{realm}/clients/{id}/protocol-mappers/models/{groups}"),
        None,
    )
    .await;
    let (code, out) = doctor(&config, Some(&password));
    assert_eq!(code, 1);
    assert!(
        out.contains("✘ client jitsi-bridge: no \"groups\" mapper"),
        "{out}"
    );
    assert!(
        out.contains(
            "✘ client jitsi-bridge: oidc.absent_means_empty names groups, but the client has no mapper that writes it into the ID token"
        ),
        "{out}"
    );
    assert!(
        out.contains("✘ client jitsi-bridge: needs to add the redirect URI"),
        "{out}"
    );
    assert!(
        out.contains(
            "✘ client jitsi-bridge: the redirect URI https://elsewhere.example/* is a wildcard"
        ),
        "{out}"
    );

    // Keycloak down (a port nothing listens on).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!(
        "http://127.0.0.1:{}/realms/x",
        dead.local_addr().unwrap().port()
    );
    drop(dead);
    let down = dir.join("down.toml");
    std::fs::write(&down, toml.replace(&issuer, &dead_url)).unwrap();
    let (code, out) = doctor(&down, None);
    assert_eq!(code, 1);
    assert!(
        out.contains("✘ Keycloak at") && out.contains("does not answer"),
        "{out}"
    );
    bridge.stop().await;
    admin(reqwest::Method::DELETE, &format!("/{realm}"), None).await;
}

/// A server that answers discovery for the configured issuer with another issuer (a wrong
/// realm, a hijacked name) never gets the client secret: doctor stops at the mismatch. A fake
/// provider, because a real one always names its own issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_sends_no_secret_after_an_issuer_mismatch() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let token_posts = Arc::new(AtomicUsize::new(0));
    let meta = serde_json::json!({
        "issuer": "https://elsewhere.example/realms/jitsi",
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/certs"),
    });
    let meta = meta.to_string();
    let json = |body: String| {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
    };
    let posts = token_posts.clone();
    let app = axum::Router::new()
        .route(
            "/realms/jitsi/.well-known/openid-configuration",
            axum::routing::get(move || async move { json(meta) }),
        )
        .route(
            "/token",
            axum::routing::post(move || async move {
                posts.fetch_add(1, Ordering::SeqCst);
                json(r#"{"error":"invalid_grant"}"#.to_owned())
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = std::env::temp_dir().join(format!("bridge-mismatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bridge.toml");
    std::fs::write(
        &config,
        default_config("http://127.0.0.1:9", &format!("{base}/realms/jitsi")),
    )
    .unwrap();
    let (code, out) = tokio::task::spawn_blocking(move || doctor_with(&config, &[]))
        .await
        .unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("✘ Keycloak names its issuer \"https://elsewhere.example/realms/jitsi\""),
        "{out}"
    );
    assert!(out.contains("the client secret was not sent"), "{out}");
    assert_eq!(token_posts.load(Ordering::SeqCst), 0, "{out}");
}

/// A tenant whose realm lives on another server (its own Keycloak, or whatever its issuer
/// names) never sees the master admin's password: `setup-keycloak` and `doctor` sign in only
/// to the Keycloak of the default realm and say why the other realm was left alone. The
/// other server records every request it gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_password_goes_only_to_the_admin_realms_keycloak() {
    use std::sync::{Arc, Mutex};
    let Fixture {
        config,
        password,
        toml,
        ..
    } = fresh_realm("one-server", serde_json::json!([])).await;
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_base = format!("http://{}", other.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let store = seen.clone();
    let app = axum::Router::new().fallback(move |body: String| async move {
        if let Ok(mut s) = store.lock() {
            s.push(body);
        }
        (axum::http::StatusCode::NOT_FOUND, "")
    });
    tokio::spawn(async move { axum::serve(other, app).await });
    let toml = format!(
        "{toml}\n[tenants.acme.oidc]\nissuer = \"{other_base}/realms/acme\"\nclient_secret = \"acme-test-secret-change-me\"\n"
    );
    std::fs::write(&config, &toml).unwrap();

    let (cfg, pw) = (config.clone(), password.clone());
    let (code, out) = tokio::task::spawn_blocking(move || setup(&cfg, &pw, &[]))
        .await
        .unwrap();
    assert_eq!(code, 1, "the other realm is left to its admin: {out}");
    assert!(
        out.contains("create the client"),
        "the default realm is set up: {out}"
    );
    assert!(
        out.contains(&format!(
            "! realm acme (acme): not signed in to {other_base}"
        )),
        "{out}"
    );
    let (cfg, pw) = (config.clone(), password.clone());
    let (_, out) = tokio::task::spawn_blocking(move || doctor(&cfg, Some(&pw)))
        .await
        .unwrap();
    assert!(
        out.contains(&format!("not signed in to {other_base}")),
        "{out}"
    );
    let admin_password = KEYCLOAK_ADMIN.1;
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .all(|body| !body.contains(admin_password) && !body.contains("password")),
        "the other server got: {seen:?}"
    );
}
