//! Configuration tests.

use super::*;

mod loading {
    use super::*;

    pub(crate) const VALID: &str = r#"
        [server]
        public_url = "https://bridge.example"
        [oidc]
        issuer = "https://sso.example/realms/jitsi"
        client_id = "jitsi-bridge"
        client_secret = "s3cret-from-keycloak-0123"
        [login]
        cookie_key = "0123456789abcdef0123456789abcdef"
        [jitsi]
        url = "https://meet.example"
        app_id = "jitsi-bridge"
        secret = "fedcba9876543210fedcba9876543210"
        [moderators]
        groups = ["moderators"]
    "#;

    #[test]
    fn loads_a_valid_file_with_defaults() {
        let c = Config::from_toml(VALID).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.redirect_uri().as_str(), "https://bridge.example/callback");
        assert_eq!(c.realm.token.subject, "meet.jitsi");
        assert_eq!(c.realm.token.audience, "jitsi");
        assert_eq!(c.realm.token.ttl_secs, 8 * 3600);
        assert_eq!(c.jitsi.target.placement, TokenPlacement::Query);
        assert!(c.jitsi.target.skip_prejoin);
        assert!(!c.inspector_enabled);
        assert!(c.secure_cookies());
        assert_eq!(c.realm.oidc.scopes, ["openid", "profile", "email"]);
        assert_eq!(c.realm.moderators.groups, ["moderators"]);
    }

    #[test]
    fn lists_every_problem_with_its_key() {
        let text = r#"
            [server]
            public_url = "http://bridge.example/x?y=1"
            listen = "nowhere"
            [oidc]
            issuer = "ftp://sso.example"
            client_secret = "a"
            client_secret_file = "/nonexistent"
            [login]
            cookie_key = "short"
            [jitsi]
            url = "javascript:alert(1)"
            app_id = ""
            secret = 42
            token_ttl_secs = 5
            token_placement = "header"
            tokn_ttl = 3
            [moderators]
            groups = ["", "ok"]
        "#;
        let err = Config::from_toml(text).unwrap_err();
        let keys: Vec<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        for want in [
            "server.listen",
            "server.public_url",
            "oidc.issuer",
            "oidc.client_id",
            "oidc.client_secret",
            "login.cookie_key",
            "jitsi.url",
            "jitsi.app_id",
            "jitsi.secret",
            "jitsi.token_ttl_secs",
            "jitsi.token_placement",
            "jitsi.tokn_ttl",
            "moderators.groups",
        ] {
            assert!(keys.contains(&want), "{want} missing from {err}");
        }
        let text = err.to_string();
        assert!(text.contains("BRIDGE_JITSI__SECRET"), "{text}");
        assert!(text.contains("unknown key"), "{text}");
        assert!(!text.contains("short"), "never echoes a secret: {text}");
    }

    #[test]
    fn secrets_from_files_and_never_in_debug() {
        let dir = std::env::temp_dir().join(format!("bridge-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("jitsi-secret");
        std::fs::write(&file, "from-a-file-0123456789abcdef0123456789\n").unwrap();
        let text = VALID.replace(
            r#"secret = "fedcba9876543210fedcba9876543210""#,
            &format!("secret_file = {:?}", file.display().to_string()),
        );
        let c = Config::from_toml(&text).unwrap();
        // The file's secret (without its newline) is what signs.
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({"x": 1}),
            &c.realm.signer.key,
        )
        .unwrap();
        let key = jsonwebtoken::DecodingKey::from_secret(b"from-a-file-0123456789abcdef0123456789");
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &v).unwrap();
        let shown = format!("{c:?}");
        for secret in ["from-a-file", "s3cret", "0123456789abcdef0123456789abcdef"] {
            assert!(!shown.contains(secret), "{secret} leaked into {shown}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for (url, ok) in [
            ("http://127.0.0.1:8080", true),
            ("http://localhost:8000/base", true),
            ("http://[::1]:3000", true),
            ("http://meet.example", false),
            ("https://meet.example", true),
            ("https://user:pw@meet.example", false),
            ("https://meet.example/#x", false),
        ] {
            let text = VALID.replace("https://meet.example", url);
            assert_eq!(Config::from_toml(&text).is_ok(), ok, "{url}");
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bridge-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn rs256_with_rotating_keys() {
        let dir = temp_dir("rs256");
        let (new, old) = (dir.join("new.pem"), dir.join("old.pem"));
        std::fs::write(&new, crate::jitsi::signing::test_keys::rsa_pem()).unwrap();
        std::fs::write(&old, crate::jitsi::signing::test_keys::rsa_pem()).unwrap();
        let text = VALID.replace(
            r#"secret = "fedcba9876543210fedcba9876543210""#,
            &format!(
                "algorithm = \"RS256\"\nsigning_keys = [{{ kid = \"2026-11\", private_key_file = {:?} }}, {{ kid = \"2026-05\", private_key_file = {:?} }}]",
                new.display().to_string(),
                old.display().to_string()
            ),
        );
        let c = Config::from_toml(&text).unwrap();
        assert_eq!(c.realm.signer.algorithm, SigningAlgorithm::RS256);
        assert_eq!(c.realm.signer.kid.as_deref(), Some("2026-11"));
        let kids: Vec<&str> = c
            .realm
            .signer
            .published
            .iter()
            .map(|k| k.kid.as_str())
            .collect();
        assert_eq!(kids, ["2026-11", "2026-05"]);

        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let cases = [
            (
                text.replace(
                    "algorithm = \"RS256\"",
                    "algorithm = \"RS256\"\nsecret = \"fedcba9876543210fedcba9876543210\"",
                ),
                "jitsi.secret",
            ),
            (
                VALID.replace(
                    r#"secret = "fedcba9876543210fedcba9876543210""#,
                    "algorithm = \"RS256\"",
                ),
                "jitsi.signing_keys",
            ),
            (
                text.replace(&new.display().to_string(), &broken.display().to_string()),
                "jitsi.signing_keys",
            ),
            (text.replace("2026-05", "2026-11"), "jitsi.signing_keys"),
            (
                VALID.replace(
                    r#"secret = "fedcba"#,
                    r#"algorithm = "ES256"
secret = "fedcba"#,
                ),
                "jitsi.algorithm",
            ),
        ];
        for (text, key) in cases {
            let err = Config::from_toml(&text).unwrap_err();
            assert!(err.0.iter().any(|p| p.key == key), "{key} not in {err}");
        }
        // One kid must mean one key in every realm.
        let clash = format!(
            "{text}\n[tenants.acme.jitsi]\nalgorithm = \"RS256\"\nsigning_keys = [{{ kid = \"2026-11\", private_key_file = {:?} }}]\n",
            old.display().to_string()
        );
        let err = Config::from_toml(&clash).unwrap_err();
        assert!(
            err.to_string()
                .contains("kid \"2026-11\" names different keys"),
            "{err}"
        );
        let same = format!(
            "{text}\n[tenants.acme.jitsi]\nalgorithm = \"RS256\"\nsigning_keys = [{{ kid = \"2026-11\", private_key_file = {:?} }}]\n",
            new.display().to_string()
        );
        assert!(Config::from_toml(&same).is_ok());
    }

    #[test]
    fn tenants_inherit_what_they_do_not_set() {
        let text = format!(
            "{VALID}\n[tenants.Acme.oidc]\nissuer = \"https://sso.acme.example/realms/acme\"\nclient_secret = \"acme-secret-from-keycloak\"\n\
             [tenants.Acme.moderators]\nrealm_roles = [\"teacher\"]\n[tenants.beta]\n"
        );
        let c = Config::from_toml(&text).unwrap();
        let acme = &c.tenants["acme"];
        assert_eq!(
            acme.oidc.issuer.as_str(),
            "https://sso.acme.example/realms/acme"
        );
        assert_eq!(acme.oidc.client_id, "jitsi-bridge");
        assert_eq!(acme.moderators.realm_roles, ["teacher"]);
        assert!(
            acme.moderators.groups.is_empty(),
            "a tenant's [moderators] replaces the default"
        );
        assert_eq!(acme.token, c.realm.token);
        assert_eq!(c.tenants["beta"].oidc.issuer, c.realm.oidc.issuer);

        let cases = [
            (
                format!("{VALID}\n[tenants.acme]\n[tenants.ACME]\n"),
                "tenants.acme",
            ),
            (format!("{VALID}\n[tenants.\"a/b\"]\n"), "tenants.a/b"),
            (
                format!("{VALID}\n[tenants.acme.oidc]\nissuer = \"http://evil.example\"\n"),
                "tenants.acme.oidc.issuer",
            ),
            (
                format!("{VALID}\n[tenants.acme.jitsi]\nurl = \"https://x.example\"\n"),
                "tenants.acme.jitsi.url",
            ),
            (
                format!("{VALID}\n[tenants.acme.jitsi]\nsecret = \"short\"\n"),
                "tenants.acme.jitsi.secret",
            ),
            // Another server must not receive the default realm's client secret.
            (
                format!(
                    "{VALID}\n[tenants.acme.oidc]\nissuer = \"https://sso.acme.example/realms/acme\"\n"
                ),
                "tenants.acme.oidc.client_secret",
            ),
        ];
        for (text, key) in cases {
            let err = Config::from_toml(&text).unwrap_err();
            assert!(
                err.0.iter().any(|p| p.key.eq_ignore_ascii_case(key)),
                "{key} not in {err}"
            );
        }
    }

    #[test]
    fn rules_are_checked_whole() {
        let good = format!(
            "{VALID}\n[access]\nemail_domains = [\"@Example.ORG\"]\n\
             [[rules]]\nrooms = [\"Staff-*\"]\ngroups = [\"staff\"]\nfeatures = {{ recording = true }}\n\
             [[rules]]\nrooms = [\"staff-*\"]\nallow = false\nreason = \"Staff only\"\n"
        );
        let c = Config::from_toml(&good).unwrap();
        assert_eq!(c.policy.rules.len(), 2);
        assert_eq!(c.policy.rules[0].rooms, ["staff-*"]);
        assert_eq!(c.policy.rules[1].name, "rules[1]");
        assert_eq!(c.policy.access.who.email_domains, ["example.org"]);

        let bad = format!(
            "{VALID}\n[access]\nemail_domains = [\"nodot\"]\n\
             [[rules]]\nrooms = [\"\"]\nfeatures = {{ recordng = true }}\n\
             [[rules]]\nallow = false\nmoderator = true\ntenants = [\"a/b\"]\ntoken_ttl_secs = 5\n"
        );
        let err = Config::from_toml(&bad).unwrap_err();
        let keys: Vec<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        for want in [
            "access.email_domains",
            "rules[0].rooms",
            "rules[0].features",
            "rules[1].allow",
            "rules[1].tenants",
            "rules[1].token_ttl_secs",
        ] {
            assert!(keys.contains(&want), "{want} missing from {err}");
        }
        let typo = format!("{VALID}\n[[rules]]\nroms = [\"x\"]\n");
        assert!(
            Config::from_toml(&typo)
                .unwrap_err()
                .0
                .iter()
                .any(|p| p.key == "rules")
        );
    }

    /// The Jitsi of 2026-08 (Prosody's own features, user flags, jitsi-contrib's lobby
    /// plugins) and the claims declared empty when absent.
    #[test]
    fn jitsi_2026_rule_keys_and_claims_declared_empty() {
        let good = format!(
            "{VALID}\n[[rules]]\nrooms = [\"town-*\"]\n\
             features = {{ name-readonly = true, live-translation-subscribe = false, recording = true }}\n\
             hidden_from_recorder = true\nvisitor = true\nmoderator = true\nroom_lobby = false\nsecurity_bypass = true\nlobby_bypass = false\n"
        )
        .replace(
            "client_secret = \"s3cret-from-keycloak-0123\"",
            "client_secret = \"s3cret-from-keycloak-0123\"\nabsent_means_empty = [\"groups\", \"email\"]",
        );
        let c = Config::from_toml(&good).unwrap();
        let r = &c.policy.rules[0];
        assert_eq!(r.features.get("name-readonly"), Some(&true));
        assert_eq!(
            (
                r.hidden_from_recorder,
                r.visitor,
                r.room_lobby,
                r.security_bypass,
                r.lobby_bypass
            ),
            (Some(true), Some(true), Some(false), Some(true), Some(false))
        );
        let declared = c.realm.oidc.absent_means_empty;
        assert!(declared.contains(Claim::Groups) && declared.contains(Claim::Email));
        assert!(!declared.contains(Claim::ClientRoles));

        let bad = format!(
            "{VALID}\n[[rules]]\nallow = false\nvisitor = true\n[[rules]]\nfeatures = {{ name_readonly = true }}\n[[rules]]\nroom_lobby = true\n"
        )
        .replace(
            "client_secret = \"s3cret-from-keycloak-0123\"",
            "client_secret = \"s3cret-from-keycloak-0123\"\nabsent_means_empty = [\"roles\"]",
        );
        let err = Config::from_toml(&bad).unwrap_err();
        let keys: Vec<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        for want in [
            "oidc.absent_means_empty",
            "rules[0].allow",
            "rules[1].features",
        ] {
            assert!(keys.contains(&want), "{want} missing from {err}");
        }
    }

    /// An https deployment refuses the demo's secrets, values that are not random, a client
    /// secret typed by hand and one value used twice; loopback http (the demo) keeps them.
    #[test]
    fn an_https_deployment_refuses_weak_secrets() {
        let weak = VALID
            .replace(
                "client_secret = \"s3cret-from-keycloak-0123\"",
                "client_secret = \"x\"",
            )
            .replace(
                "cookie_key = \"0123456789abcdef0123456789abcdef\"",
                &format!("cookie_key = \"{}\"", "a".repeat(32)),
            );
        let err = Config::from_toml(&weak).unwrap_err().to_string();
        assert!(
            err.contains("oidc.client_secret") && err.contains("shorter than 16"),
            "{err}"
        );
        assert!(
            err.contains("login.cookie_key") && err.contains("not random"),
            "{err}"
        );

        // docker/env.example's values.
        let demo = VALID
            .replace(
                "client_secret = \"s3cret-from-keycloak-0123\"",
                "client_secret = \"demo-client-secret-change-me\"",
            )
            .replace(
                "secret = \"fedcba9876543210fedcba9876543210\"",
                "secret = \"demo-only-jitsi-secret-0123456789abcdef\"",
            );
        let err = Config::from_toml(&demo).unwrap_err().to_string();
        assert!(
            err.contains("oidc.client_secret") && err.contains("docker/env.example"),
            "{err}"
        );
        assert!(
            err.contains("jitsi.secret") && err.contains("docker/env.example"),
            "{err}"
        );

        let twice = VALID.replace(
            "secret = \"fedcba9876543210fedcba9876543210\"",
            "secret = \"0123456789abcdef0123456789abcdef\"",
        );
        let err = Config::from_toml(&twice).unwrap_err().to_string();
        assert!(err.contains("is the same value as"), "{err}");

        // The local demo over loopback http keeps its values.
        let local = demo
            .replace("https://bridge.example", "http://localhost:3000")
            .replace("https://meet.example", "http://localhost:8000")
            .replace("https://sso.example", "http://localhost:8180");
        Config::from_toml(&local).unwrap();
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("jitsi.secret_file"), "BRIDGE_JITSI__SECRET_FILE");
    }
}

mod reference_tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../config.example.toml");

    /// config.example.toml documents every key the code reads, with its environment variable,
    /// and nothing else.
    #[test]
    fn example_file_documents_every_key() {
        // `[tenants.<name>]` sections repeat keys documented above them.
        let mut section = String::new();
        let mut documented = BTreeSet::new();
        for line in EXAMPLE.lines() {
            let line = line.trim();
            let header = line.trim_start_matches("# ");
            if header == "[[rules]]" {
                documented.insert("rules".to_owned());
                section = "rules".to_owned();
            } else if let Some(name) = header.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_owned();
            } else if let Some((key, _)) = line.trim_start_matches("# ").split_once(" = ") {
                if !key.contains(' ') && !section.is_empty() {
                    documented.insert(format!("{section}.{key}"));
                }
            }
        }
        documented.retain(|k| !k.starts_with("tenants.") && !k.starts_with("rules."));
        let known: BTreeSet<String> = Config::known_keys().into_iter().collect();
        assert_eq!(documented, known);
        for key in &known {
            let env = env_name(key.trim_end_matches("_file"));
            assert!(EXAMPLE.contains(&env), "{env} is not mentioned");
        }
    }

    /// The example is complete except for its placeholder secrets, which are refused.
    #[test]
    fn example_file_is_valid_but_for_its_placeholder_secrets() {
        let err = Config::from_toml(EXAMPLE).unwrap_err();
        let keys: BTreeSet<&str> = err.0.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["oidc.client_secret", "login.cookie_key", "jitsi.secret"])
        );
        assert!(err.to_string().contains("placeholder"), "{err}");
        let filled = EXAMPLE
            .replace("\"change-me\"", "\"a-client-secret-from-keycloak\"")
            .replace(
                "change-me-to-at-least-32-random-bytes",
                "0123456789abcdef0123456789abcdef-random",
            )
            .replace(
                "change-me-to-the-same-secret-as-prosody",
                "fedcba9876543210fedcba9876543210-shared",
            );
        let c = Config::from_toml(&filled).unwrap();
        assert_eq!(c.server.public_url.as_str(), "https://bridge.example.org/");
    }
}

mod branding_checks {
    use super::*;

    #[test]
    fn a_primary_colour_without_enough_contrast_is_refused() {
        let text = format!(
            "{}\n[branding]\nprimary_color = \"#ffcc00\"\n",
            loading::VALID
        );
        let err = Config::from_toml(&text).unwrap_err().to_string();
        assert!(
            err.contains("branding.primary_color") && err.contains("4.5:1"),
            "{err}"
        );
        let text = format!(
            "{}\n[branding]\nprimary_color = \"#0B5D1E\"\n",
            loading::VALID
        );
        let c = Config::from_toml(&text).unwrap();
        assert_eq!(c.branding.primary_color.as_deref(), Some("#0b5d1e"));
        let text = format!(
            "{}\n[branding]\nimprint_url = \"https://www.example.org/index.php?id=3\"\n",
            loading::VALID
        );
        let c = Config::from_toml(&text).unwrap();
        assert_eq!(
            c.branding.imprint_url.unwrap().as_str(),
            "https://www.example.org/index.php?id=3"
        );
    }
}
