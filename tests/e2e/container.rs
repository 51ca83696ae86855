//! The container image that `scripts/image.sh` built from the Dockerfile (`E2E_IMAGE`), run as
//! production runs it: read-only root, every capability dropped, `no-new-privileges`, the
//! image's non-root user, secrets as mounted files. Against the real Keycloak of the run.
//!
//! The container shares the host's network (`--network host`): the bridge must reach Keycloak
//! at the issuer URL the browser uses (`http://127.0.0.1:<port>`), as in the compose file's
//! shared namespace. Without `E2E_IMAGE` these tests fail and say how to run them.

use crate::helpers::*;
use crate::verifier::verify_like_prosody;
use reqwest::StatusCode;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const COOKIE_KEY: &str = "container-cookie-key-0123456789abcdef012345";

fn image() -> String {
    match std::env::var("E2E_IMAGE") {
        Ok(image) if !image.is_empty() => image,
        _ => panic!(
            "E2E_IMAGE is not set. These tests run the image built from the Dockerfile: run \
             `make test`, which builds it with scripts/image.sh and sets the variable."
        ),
    }
}

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .args(["--runtime", "runc"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("podman {args:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The three secrets as files, the way a Kubernetes Secret or compose `secrets:` mounts them.
fn secrets_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bridge-container-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, value) in [
        ("oidc-client-secret", CLIENT_SECRET),
        ("login-cookie-key", COOKIE_KEY),
        ("jitsi-app-secret", JITSI_SECRET),
    ] {
        // A trailing newline, as `kubectl create secret --from-file` or an editor leaves it.
        std::fs::write(dir.join(file), format!("{value}\n")).unwrap();
    }
    dir
}

/// `podman run` arguments of a production-like container listening on `port`.
fn production_args(name: &str, secrets: &std::path::Path, port: u16) -> Vec<String> {
    let mut args: Vec<String> = [
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt",
        "no-new-privileges",
        // This machine's sandbox refuses higher limits than these.
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push("-v".into());
    args.push(format!("{}:/run/secrets:ro", secrets.display()));
    let base = format!("http://127.0.0.1:{port}");
    for (key, value) in [
        ("BRIDGE_SERVER__LISTEN", format!("127.0.0.1:{port}")),
        ("BRIDGE_SERVER__PUBLIC_URL", base),
        ("BRIDGE_OIDC__ISSUER", issuer()),
        ("BRIDGE_OIDC__CLIENT_ID", "jitsi-bridge".into()),
        (
            "BRIDGE_OIDC__CLIENT_SECRET_FILE",
            "/run/secrets/oidc-client-secret".into(),
        ),
        (
            "BRIDGE_LOGIN__COOKIE_KEY_FILE",
            "/run/secrets/login-cookie-key".into(),
        ),
        ("BRIDGE_JITSI__URL", JITSI_URL.into()),
        ("BRIDGE_JITSI__APP_ID", "jitsi-bridge".into()),
        ("BRIDGE_JITSI__AUDIENCE", "jitsi".into()),
        ("BRIDGE_JITSI__SUBJECT", "meet.jitsi".into()),
        (
            "BRIDGE_JITSI__SECRET_FILE",
            "/run/secrets/jitsi-app-secret".into(),
        ),
        ("BRIDGE_MODERATORS__GROUPS", r#"["moderators"]"#.into()),
        ("BRIDGE_LOG__FORMAT", "json".into()),
    ] {
        args.push("-e".into());
        args.push(format!("{key}={value}"));
    }
    args
}

/// A container removed when the test ends, whatever happened.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.0]);
    }
}

fn unique(name: &str) -> String {
    format!("bridge-e2e-{name}-{}", std::process::id())
}

#[test]
fn the_image_checks_its_configuration_from_mounted_secrets() {
    let image = image();
    let secrets = secrets_dir("check");
    let name = unique("check");
    let mut args = vec!["run".to_owned(), "--rm".to_owned()];
    args.extend(production_args(&name, &secrets, free_port()));
    args.push(image.clone());
    args.push("check-config".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = podman(&args);
    assert!(
        out.status.success(),
        "check-config in the image:\n{}",
        text(&out)
    );
    assert!(text(&out).contains("valid"), "{}", text(&out));

    // A secret file that is not there: a verdict that names it, and a failing exit code.
    std::fs::remove_file(secrets.join("jitsi-app-secret")).unwrap();
    let out = podman(&args);
    assert!(!out.status.success(), "a missing secret file must fail");
    assert!(
        text(&out).contains("/run/secrets/jitsi-app-secret"),
        "the verdict names the file:\n{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&secrets);
}

#[tokio::test]
async fn the_image_serves_a_login_as_production_runs_it() {
    let image = image();
    let secrets = secrets_dir("serve");
    let name = unique("serve");
    let port = free_port();
    let mut args = vec!["run".to_owned(), "-d".to_owned()];
    args.extend(production_args(&name, &secrets, port));
    args.push(image);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = podman(&args);
    assert!(out.status.success(), "podman run:\n{}", text(&out));
    let container = Container(name.clone());
    let front = Bridge::detached(&format!("http://127.0.0.1:{port}"));

    let deadline = Instant::now() + Duration::from_secs(20);
    while !reqwest::get(front.url("/healthz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            Instant::now() < deadline,
            "the container did not answer /healthz:\n{}",
            text(&podman(&["logs", &name]))
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = reqwest::get(front.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "Keycloak is reachable");

    // What the runtime made of it: the image's user, no capabilities, a read-only root.
    let top = podman(&["top", &name, "user", "capeff"]);
    let top = text(&top);
    assert!(
        top.contains("nonroot"),
        "runs as the image's user nonroot (65532):\n{top}"
    );
    assert!(
        top.lines().skip(1).all(|l| l.trim_end().ends_with("none")),
        "no effective capabilities:\n{top}"
    );
    let inspect = text(&podman(&[
        "inspect",
        "--format",
        "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}",
        &name,
    ]));
    assert_eq!(inspect.trim(), "true 65532:65532", "read-only, image user");

    // The image's own HEALTHCHECK (the `healthcheck` subcommand), as the runtime runs it.
    let health = podman(&["healthcheck", "run", &name]);
    assert!(health.status.success(), "healthcheck:\n{}", text(&health));

    // A full login: Keycloak's form, the callback, the Jitsi URL with a token Prosody accepts.
    let client = browser();
    let target = login(
        &client,
        &front,
        "Container%20Check",
        "alice",
        "alice-password",
    )
    .await;
    assert!(target.as_str().starts_with(JITSI_URL), "{target}");
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.room, "container%20check");
    assert_eq!(claims.custom.context["user"]["moderator"], true);

    // SIGTERM (podman stop), within the 10 s Docker and compose give by default: exit 0.
    let started = Instant::now();
    let out = podman(&["stop", "-t", "10", &name]);
    assert!(out.status.success(), "podman stop:\n{}", text(&out));
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(9),
        "stopped in {took:?}, not by SIGKILL"
    );
    let code = text(&podman(&[
        "inspect",
        "--format",
        "{{.State.ExitCode}}",
        &name,
    ]));
    assert_eq!(code.trim(), "0", "exit code after SIGTERM");
    let logs = text(&podman(&["logs", &name]));
    assert!(logs.contains("login_succeeded"), "the audit line:\n{logs}");
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    }
    for secret in [CLIENT_SECRET, COOKIE_KEY, JITSI_SECRET] {
        assert!(!logs.contains(secret), "a secret in the log");
    }
    drop(container);
    let _ = std::fs::remove_dir_all(&secrets);
}
