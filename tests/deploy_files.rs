//! Checks what can be checked of the deployment files without a Docker engine: every bridge
//! environment variable they set is a real configuration key, and every variable the compose
//! file reads is documented in docker/env.example (and nothing there is unused).

#![allow(clippy::unwrap_used)]

use jitsi_oidc_bridge::config::{CONFIG_FILE_ENV, Config, env_name};
use std::collections::BTreeSet;

const COMPOSE: &str = include_str!("../docker-compose.yml");
const ENV_EXAMPLE: &str = include_str!("../docker/env.example");
const DOCKERFILE: &str = include_str!("../Dockerfile");
const DOCKERIGNORE: &str = include_str!("../.dockerignore");

fn words_with_prefix(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let word: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        // "BRIDGE_MODERATORS__*" and "BRIDGE_<SECTION>" in prose name families, not variables.
        let word = word.trim_end_matches('_');
        if !rest[i + word.len()..]
            .trim_start_matches('_')
            .starts_with(['*', '<'])
        {
            out.insert(word.to_owned());
        }
        rest = &rest[i + prefix.len()..];
    }
    out
}

#[test]
fn bridge_variables_are_configuration_keys() {
    let known: BTreeSet<String> = Config::known_keys()
        .iter()
        .map(|k| env_name(k))
        .chain([CONFIG_FILE_ENV.to_owned()])
        .collect();
    for (file, text) in [
        ("docker-compose.yml", COMPOSE),
        ("docker/env.example", ENV_EXAMPLE),
        ("Dockerfile", DOCKERFILE),
    ] {
        for var in words_with_prefix(text, "BRIDGE_") {
            assert!(
                known.contains(&var),
                "{file}: {var} is not a configuration key"
            );
        }
    }
}

#[test]
fn compose_variables_are_documented_and_used() {
    let mut used = BTreeSet::new();
    let mut rest = COMPOSE;
    while let Some(i) = rest.find("${") {
        let name: String = rest[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        used.insert(name);
        rest = &rest[i + 2..];
    }
    let documented: BTreeSet<String> = ENV_EXAMPLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
        .collect();
    assert_eq!(used, documented);
}

#[test]
fn jitsi_is_wired_to_the_bridge() {
    assert!(COMPOSE.contains("TOKEN_AUTH_URL: http://localhost:3000/room/{room}?state={state}"));
    assert!(COMPOSE.contains("AUTH_TYPE: jwt"));
    assert!(
        COMPOSE.contains("BRIDGE_JITSI__SUBJECT: meet.jitsi"),
        "sub must be the XMPP domain"
    );
}

/// The compose file's Jitsi settings are the ones `print-jitsi-config` prints for the demo's
/// configuration (moderators named, no guests).
#[test]
fn compose_jitsi_settings_match_what_print_jitsi_config_prints() {
    let demo = r#"
        [server]
        public_url = "http://localhost:3000"
        [oidc]
        issuer = "http://localhost:8180/realms/jitsi"
        client_id = "jitsi-bridge"
        client_secret = "demo-client-secret-change-me-not-a-placeholder"
        [login]
        cookie_key = "demo-only-cookie-key-0123456789abcdef"
        [jitsi]
        url = "http://localhost:8000"
        app_id = "jitsi-bridge"
        secret = "demo-only-jitsi-secret-0123456789abcdef"
        [moderators]
        groups = ["moderators"]
        client_roles = ["moderator"]
    "#;
    let config = Config::from_toml(demo).unwrap();
    let printed = jitsi_oidc_bridge::cli::print_jitsi_config::render(&config, false);
    let env = jitsi_oidc_bridge::cli::print_jitsi_config::env_lines(&printed);
    for key in [
        "ENABLE_AUTH",
        "AUTH_TYPE",
        "ENABLE_GUESTS",
        "XMPP_DOMAIN",
        "JWT_ENABLE_DOMAIN_VERIFICATION",
        "XMPP_MUC_MODULES",
        "JICOFO_ENABLE_AUTH",
        "ENABLE_AUTO_OWNER",
        "TOKEN_AUTH_URL",
    ] {
        let want = &env[key];
        let plain = format!("{key}: {want}\n");
        let quoted = format!("{key}: \"{want}\"\n");
        assert!(
            COMPOSE.contains(&plain) || COMPOSE.contains(&quoted),
            "docker-compose.yml should set {key}={want}"
        );
    }
    for absent in [
        "JWT_ALLOW_EMPTY",
        "WAIT_FOR_HOST",
        "tokenAuthUrlAutoRedirect",
    ] {
        assert!(
            !COMPOSE.contains(absent),
            "{absent} does not belong in the demo"
        );
    }
}

/// The paths the builder stage copies (`COPY <src> <dest>` lines before the runtime stage).
fn builder_copies() -> Vec<String> {
    DOCKERFILE
        .split("# ---- runtime")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| w.trim_end_matches('/').to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The fast half of the image check (the real build is `scripts/image.sh`, run by `make
/// test`): cargo accepts the manifest with only the copied files (it wants the files of every
/// target it names), every file the code reads at compile time is among them, and the
/// allow-list in `.dockerignore` lets each of them into the build context.
#[test]
fn the_image_build_copies_what_the_build_reads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let copies = builder_copies();
    let allowed: Vec<&str> = DOCKERIGNORE
        .lines()
        .filter_map(|l| l.strip_prefix('!'))
        .collect();
    assert!(
        DOCKERIGNORE.lines().any(|l| l == "*"),
        ".dockerignore is an allow-list"
    );
    for c in &copies {
        assert!(
            allowed
                .iter()
                .any(|a| c == a || c.starts_with(&format!("{a}/"))),
            ".dockerignore keeps {c} out of the build context, and the Dockerfile copies it"
        );
    }
    let dir = std::env::temp_dir().join(format!("bridge-docker-context-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for c in &copies {
        std::fs::create_dir_all(dir.join(c).parent().unwrap()).unwrap();
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(root.join(c))
            .arg(dir.join(c))
            .status()
            .unwrap();
        assert!(status.success(), "COPY {c}: no such file in the repository");
    }
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo does not accept the copied tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What src/ reads while compiling: include_str!/include_bytes! paths, fluent-templates'
    // locales directory, askama's templates directory.
    let mut needed = BTreeSet::new();
    let mut stack = vec![root.join("src")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // Test-only modules (`tests.rs`) are not part of the release build.
            if path.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["include_str!(\"", "include_bytes!(\""] {
                for part in text.split(marker).skip(1) {
                    let rel = part.split('"').next().unwrap();
                    let file = path.parent().unwrap().join(rel).canonicalize().unwrap();
                    let top = file
                        .strip_prefix(root)
                        .unwrap()
                        .components()
                        .next()
                        .unwrap();
                    needed.insert(top.as_os_str().to_string_lossy().into_owned());
                }
            }
            if text.contains("locales: \"./locales\"") {
                needed.insert("locales".to_owned());
            }
            if text.contains("#[template(") {
                needed.insert("templates".to_owned());
            }
        }
    }
    for n in needed {
        assert!(
            copies.contains(&n),
            "the Dockerfile does not COPY {n}, which the build reads"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The chart's default image is the one `scripts/image.sh` builds and `make test` runs:
/// `localhost/jitsi-oidc-bridge:<version>`, where the chart's appVersion is the crate's.
#[test]
fn the_chart_defaults_to_the_image_this_build_makes() {
    let values = include_str!("../deploy/helm/jitsi-oidc-bridge/values.yaml");
    let chart = include_str!("../deploy/helm/jitsi-oidc-bridge/Chart.yaml");
    let script = include_str!("../scripts/image.sh");
    assert!(
        values.contains("\n  repository: localhost/jitsi-oidc-bridge\n"),
        "values.yaml: image.repository"
    );
    assert!(
        values.contains("\n  tag: \"\"\n"),
        "the tag defaults to appVersion"
    );
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        chart.contains(&format!("\nappVersion: \"{version}\"\n")),
        "Chart.yaml appVersion is the crate's version {version}"
    );
    assert!(
        script.contains("build \"localhost/jitsi-oidc-bridge:$(sed -n 's/^version"),
        "scripts/image.sh tags localhost/jitsi-oidc-bridge:<Cargo.toml version>"
    );
}
