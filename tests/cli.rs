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
        // check-config answers on standard output; serve refuses on standard error.
        let err = String::from_utf8_lossy(if sub == "check-config" {
            &out.stdout
        } else {
            &out.stderr
        });
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
        if sub == "check-config" {
            assert!(
                err.contains("verdict: the configuration is NOT valid"),
                "{err}"
            );
        }
    }
}

#[test]
fn check_config_refuses_the_example_placeholders_and_accepts_real_secrets_from_env() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let out = bridge()
        .args(["--config", example, "check-config"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for key in ["oidc.client_secret", "login.cookie_key", "jitsi.secret"] {
        assert!(
            text.lines()
                .any(|l| l.contains(key) && l.contains("placeholder")),
            "{key}: {text}"
        );
    }

    let out = bridge()
        .args(["--config", example, "check-config"])
        .env(
            "BRIDGE_SERVER__PUBLIC_URL",
            "https://other.example.org/bridge",
        )
        .env(
            "BRIDGE_OIDC__CLIENT_SECRET",
            "a-client-secret-from-keycloak",
        )
        .env(
            "BRIDGE_LOGIN__COOKIE_KEY",
            "0123456789abcdef0123456789abcdef-random",
        )
        .env(
            "BRIDGE_JITSI__SECRET",
            "fedcba9876543210fedcba9876543210-shared",
        )
        // The secrets of setup-keycloak and doctor share the prefix without being keys.
        .env("BRIDGE_SETUP_ADMIN_PASSWORD", "admin-password")
        .env("BRIDGE_SETUP_CLIENT_SECRET", "admin-client-secret")
        .env("BRIDGE_DOCTOR_TEST_PASSWORD", "test-password")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("verdict: the configuration is valid"),
        "{text}"
    );
    assert!(
        text.contains("https://other.example.org/bridge/callback"),
        "{text}"
    );
}

#[test]
fn missing_config_file_is_named() {
    let out = bridge()
        .args(["--config", "/nonexistent/bridge.toml", "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/nonexistent/bridge.toml"));
}

/// A TOML syntax error names the file, line and key, but never shows the line: it may hold
/// a secret, and the parser's own message would quote it.
#[test]
fn a_toml_syntax_error_never_echoes_the_line() {
    let dir = std::env::temp_dir().join(format!("bridge-cli-syntax-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.toml");
    std::fs::write(
        &file,
        "[server]\npublic_url = \"https://b.example\"\n[oidc]\nclient_secret = \"very-secret-value\nissuer = \"x\"\n",
    )
    .unwrap();
    for sub in ["check-config", "serve"] {
        let out = bridge()
            .arg("--config")
            .arg(&file)
            .arg(sub)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{sub}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("very-secret"), "{sub}: {all}");
        assert!(
            all.contains("line 4 (key oidc.client_secret)"),
            "{sub}: {all}"
        );
    }
}
