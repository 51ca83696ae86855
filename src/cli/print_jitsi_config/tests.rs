use super::*;
use crate::jitsi::room::RoomName;
use crate::jitsi::token::Minter;
use crate::policy::claims::Identity;
use crate::policy::rules::{Decision, Role};

const CONFIG: &str = concat!(
    crate::config::test_base!(),
    r#"
    [jitsi]
    url = "https://meet.example.org"
    app_id = "bridge-app"
    audience = "meet"
    subject = "meet.jitsi"
    algorithm = "HS512"
    secret = "fedcba9876543210fedcba9876543210-hs512"
"#
);

/// A token minted under a config passes the checks Prosody makes with the settings printed
/// for that config (algorithm, secret, accepted issuers and audiences, sub = XMPP domain).
#[test]
fn printed_settings_accept_the_minted_token() {
    let config = Config::from_toml(CONFIG).unwrap();
    let env = env_lines(&render(&config, true));
    let minter = Minter::new(config.realm.token.clone(), config.realm.signer.clone());
    let who = Identity {
        subject: "u1".into(),
        ..Identity::default()
    };
    let room = RoomName::parse("team").unwrap();
    let claims = minter.claims_for(
        &who,
        &Decision::plain(Role::Member),
        &room,
        None,
        1_800_000_000,
    );
    let token = minter.sign(&claims).unwrap();

    let alg: jsonwebtoken::Algorithm = env
        .get("JWT_SIGN_TYPE")
        .map_or("HS256", String::as_str)
        .parse()
        .unwrap();
    let key = jsonwebtoken::DecodingKey::from_secret(env["JWT_APP_SECRET"].as_bytes());
    let mut v = jsonwebtoken::Validation::new(alg);
    v.set_issuer(&env["JWT_ACCEPTED_ISSUERS"].split(',').collect::<Vec<_>>());
    v.set_audience(&env["JWT_ACCEPTED_AUDIENCES"].split(',').collect::<Vec<_>>());
    v.validate_exp = false;
    let decoded =
        jsonwebtoken::decode::<serde_json::Value>(token.expose_secret(), &key, &v).unwrap();
    assert_eq!(decoded.claims["sub"], env["XMPP_DOMAIN"].as_str());
    assert_eq!(
        env["TOKEN_AUTH_URL"],
        "https://bridge.example.org/room/{room}?state={state}"
    );
}

#[test]
fn secrets_only_on_request_and_rs256_points_at_the_key_server() {
    let config = Config::from_toml(CONFIG).unwrap();
    let text = render(&config, false);
    assert!(!text.contains("fedcba9876543210"), "{text}");
    assert!(text.contains("JWT_APP_SECRET=<the value of jitsi.secret>"));
    assert!(text.contains("signature_algorithm = \"HS512\""));
    assert!(text.contains("config.tokenLogoutUrl = 'https://bridge.example.org/logout';"));

    let dir = std::env::temp_dir().join(format!("bridge-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("k.pem");
    std::fs::write(&key, crate::jitsi::signing::test_keys::rsa_pem()).unwrap();
    let rs = CONFIG.replace(
        "algorithm = \"HS512\"\n    secret = \"fedcba9876543210fedcba9876543210-hs512\"",
        &format!(
            "algorithm = \"RS256\"\nsigning_keys = [{{ kid = \"k1\", private_key_file = {:?} }}]",
            key.display().to_string()
        ),
    );
    let config = Config::from_toml(&rs).unwrap();
    let env = env_lines(&render(&config, true));
    assert_eq!(env["JWT_ASAP_KEYSERVER"], "https://bridge.example.org/asap");
    assert!(!env.contains_key("JWT_APP_SECRET"));
    assert!(
        !env.contains_key("JWT_SIGN_TYPE"),
        "RS256 is Prosody's default with a key server"
    );
}
