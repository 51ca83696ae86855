//! The command line: `check-config` lists every problem with its key and exits non-zero;
#![allow(clippy::unwrap_used)]
//! `serve` refuses to start on bad configuration the same way.

use std::process::Command;

fn bridge() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"));
    // Only what the test gives: no BRIDGE_* from the environment of the test runner.
    for (k, _) in std::env::vars() {
        if k.starts_with("BRIDGE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn check_config_lists_every_problem_and_fails() {
    let dir = std::env::temp_dir().join(format!("bridge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[server]\npublic_url = \"http://bridge.example\"\n[jitsi]\nsecret = \"short\"\nsurprise = 1\n").unwrap();
    for sub in ["check-config", "serve"] {
        let out = bridge()
            .arg("--config")
            .arg(&file)
            .arg(sub)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{sub}");
        let err = String::from_utf8_lossy(&out.stderr);
        for key in [
            "server.public_url (env BRIDGE_SERVER__PUBLIC_URL)",
            "oidc.issuer",
            "oidc.client_id",
            "oidc.client_secret",
            "login.cookie_key",
            "jitsi.url",
            "jitsi.app_id",
            "jitsi.secret (env BRIDGE_JITSI__SECRET): must be at least 32 bytes",
            "jitsi.surprise",
        ] {
            assert!(err.contains(key), "{sub}: {key} missing from:\n{err}");
        }
        assert!(!err.contains("short"), "never prints a secret:\n{err}");
    }
}

#[test]
fn check_config_accepts_the_example_and_env_overrides() {
    let out = bridge()
        .arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
        .arg("check-config")
        .env(
            "BRIDGE_SERVER__PUBLIC_URL",
            "https://other.example.org/bridge",
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("https://other.example.org/bridge/callback"),
        "{err}"
    );
}

#[test]
fn missing_config_file_is_named() {
    let out = bridge()
        .args(["--config", "/nonexistent/bridge.toml", "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/bridge.toml"));
}
