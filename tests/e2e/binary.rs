//! The real binary as an operator runs it: JSON logs that never contain a token, code,
//! cookie or secret, and a SIGTERM that lets requests in flight finish and exits 0.

use crate::helpers::*;
use crate::proxy::{Mode, Proxy};
use reqwest::StatusCode;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running {
    child: Child,
    log: std::path::PathBuf,
    config: std::path::PathBuf,
    base: String,
}

impl Running {
    /// `jitsi-oidc-bridge healthcheck` against this instance, as a container runtime runs it.
    fn healthcheck(&self) -> bool {
        Command::new(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"))
            .arg("--config")
            .arg(&self.config)
            .arg("healthcheck")
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(name: &str, issuer: &str, extra: &str) -> Running {
    let dir = std::env::temp_dir().join(format!("bridge-bin-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = default_config(&base, issuer).replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    ) + "\n[log]\nformat = \"json\"\nlevel = \"debug\"\n"
        + extra;
    let file = dir.join("bridge.toml");
    std::fs::write(&file, config).unwrap();
    let log = dir.join("bridge.log");
    let child = Command::new(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"))
        .arg("--config")
        .arg(&file)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let running = Running {
        child,
        log,
        config: file,
        base,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if reqwest::get(format!("{}/healthz", running.base))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(Instant::now() < deadline, "the bridge binary did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the bridge did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn logs_never_contain_tokens_codes_cookies_or_secrets() {
    let mut bridge = start("logs", &issuer(), "").await;
    let front = Bridge::detached(&bridge.base);
    let client = browser();
    let mut secrets: Vec<String> = vec![
        CLIENT_SECRET.into(),
        JITSI_SECRET.into(),
        "e2e-cookie-key-0123456789abcdef0123456789".into(),
    ];

    let room = get(&client, front.url("/room/Log%20Check")).await;
    for c in room.headers().get_all("set-cookie") {
        secrets.push(
            c.to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .split_once('=')
                .unwrap()
                .1
                .to_owned(),
        );
    }
    let authorize = location(room.headers());
    let action = login_form(&client, &authorize).await;
    let back = submit(&client, &action, "alice", "alice-password").await;
    let callback = location(back.headers());
    secrets.push(
        callback
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned(),
    );
    let done = client.get(callback.clone()).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    for c in done.headers().get_all("set-cookie") {
        if let Some((_, v)) = c
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
        {
            if !v.is_empty() {
                secrets.push(v.to_owned());
            }
        }
    }
    let token = jwt_of(&location(done.headers()));
    secrets.push(token.clone());
    secrets.push(token.split('.').nth(2).unwrap().to_owned());
    // A replay and a forged code go through the error path too.
    let _ = client.get(callback).send().await.unwrap();
    let _ = client.get(front.url("/callback?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=forged-code-value-1234")).send().await.unwrap();
    secrets.push("forged-code-value-1234".into());

    assert!(bridge.healthcheck(), "healthcheck passes while running");
    terminate(&bridge.child);
    assert!(wait_exit(&mut bridge.child, Duration::from_secs(10)).success());
    assert!(!bridge.healthcheck(), "healthcheck fails once stopped");
    let log = std::fs::read_to_string(&bridge.log).unwrap();
    assert!(
        log.contains("login_succeeded"),
        "the audit event is logged:\n{log}"
    );
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    }
    for secret in &secrets {
        assert!(secret.len() >= 16, "a meaningful probe: {secret}");
        assert!(
            !log.contains(secret.as_str()),
            "the log contains a secret value ({}…)",
            &secret[..8]
        );
    }
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_and_exits_0() {
    // Keycloak that hangs, so that a request is still running when SIGTERM arrives.
    let proxy = Proxy::start(vec![keycloak_upstream()]).await;
    proxy.set(Mode::Blackhole);
    let issuer = format!("{}/realms/jitsi", proxy.url());
    let mut bridge = start("sigterm", &issuer, "").await;
    let url = format!("{}/room/team", bridge.base);
    let in_flight = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(700)).await;
    terminate(&bridge.child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
        .get(format!("{}/healthz", bridge.base))
        .send()
        .await;
    assert!(refused.is_err(), "no new requests after SIGTERM");
    let status = in_flight
        .await
        .unwrap()
        .expect("the request in flight got its answer");
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "Keycloak timed out, clear 503 page"
    );
    assert!(
        wait_exit(&mut bridge.child, Duration::from_secs(15)).success(),
        "exit code 0"
    );
}

/// Right after start, before any login, every counter is exported at 0 (alerts on a rate or
/// on an absent series work from the first scrape).
#[tokio::test]
async fn every_counter_is_exported_at_zero_from_the_start() {
    let metrics_port = free_port();
    let bridge = start(
        "metrics-zero",
        &issuer(),
        &format!("[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n"),
    )
    .await;
    let text = metrics_text(([127, 0, 0, 1], metrics_port).into()).await;
    for series in [
        "bridge_logins_started_total 0",
        "bridge_logins_succeeded_total 0",
        "bridge_logins_denied_total 0",
        "bridge_logins_failed_total{reason=\"idp_unavailable\"} 0",
        "bridge_logins_failed_total{reason=\"login_unknown\"} 0",
        "bridge_logins_failed_total{reason=\"bad_state\"} 0",
        "bridge_tokens_minted_total{alg=\"HS256\"} 0",
    ] {
        assert!(text.lines().any(|l| l == series), "{series} in:\n{text}");
    }
    drop(bridge);
}
