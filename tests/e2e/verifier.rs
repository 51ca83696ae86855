//! An independent check of the Jitsi token: `jwt-simple` (not the bridge's `jsonwebtoken`)
//! verifies signature, issuer, audience and times with zero leeway, and the raw JSON is held
//! against what Prosody's `luajwtjitsi` and `token/util.lib.lua` demand.

use base64::Engine;
use jwt_simple::prelude::*;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JitsiCustom {
    pub room: String,
    pub context: Value,
}

fn segment(token: &str, i: usize) -> Value {
    let part = token.split('.').nth(i).expect("segment");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The raw checks luajwtjitsi and token/util.lib.lua make before and besides the signature.
pub fn check_shape(token: &str, alg: &str) -> Value {
    assert_eq!(token.split('.').count(), 3);
    let header = segment(token, 0);
    assert_eq!(header["typ"], "JWT", "typ must be exactly JWT");
    assert_eq!(header["alg"], alg);
    if alg.starts_with("RS") {
        assert!(header["kid"].is_string(), "key-server mode needs a kid");
    }
    let payload = segment(token, 1);
    assert!(
        payload["aud"].is_string(),
        "aud must be a single string (Prosody compares with ==)"
    );
    for t in ["exp", "nbf", "iat"] {
        assert!(payload[t].is_u64(), "{t} must be an integer");
    }
    assert!(payload["sub"].is_string(), "sub claim is required");
    assert!(payload["room"].is_string(), "room claim is required");
    let user = payload["context"]["user"]
        .as_object()
        .expect("context.user");
    for (k, v) in user {
        assert!(
            v.is_string() || v.is_boolean(),
            "context.user.{k} must be a string or boolean, is {v}"
        );
    }
    let (exp, nbf, iat) = (
        payload["exp"].as_u64().unwrap(),
        payload["nbf"].as_u64().unwrap(),
        payload["iat"].as_u64().unwrap(),
    );
    assert!(nbf < iat && iat < exp, "nbf back-dated, exp after iat");
    header
}

fn options(issuer: &str, audience: &str) -> VerificationOptions {
    VerificationOptions {
        allowed_issuers: Some(HashSet::from([issuer.to_owned()])),
        allowed_audiences: Some(HashSet::from([audience.to_owned()])),
        time_tolerance: Some(Duration::from_secs(0)),
        ..VerificationOptions::default()
    }
}

/// Verifies `token` as a default Jitsi install would (HS256 shared secret, `iss` = app id,
/// single `aud`, no clock leeway) and returns its claims.
pub fn verify_like_prosody(
    token: &str,
    secret: &str,
    issuer: &str,
    audience: &str,
) -> JWTClaims<JitsiCustom> {
    check_shape(token, "HS256");
    let key = HS256Key::from_bytes(secret.as_bytes());
    let claims = key
        .verify_token::<JitsiCustom>(token, Some(options(issuer, audience)))
        .unwrap_or_else(|e| panic!("independent verification failed: {e}"));
    // A different key must not verify it.
    let wrong = HS256Key::from_bytes(b"not-the-shared-secret-0123456789abcdef");
    assert!(wrong.verify_token::<JitsiCustom>(token, None).is_err());
    claims
}

/// Verifies an RS256 token with a public key fetched the way Prosody fetches it.
pub fn verify_rs256(
    token: &str,
    key: &RS256PublicKey,
    issuer: &str,
    audience: &str,
) -> Result<JWTClaims<JitsiCustom>, String> {
    check_shape(token, "RS256");
    key.verify_token::<JitsiCustom>(token, Some(options(issuer, audience)))
        .map_err(|e| e.to_string())
}

/// The `kid` in a token's header.
pub fn kid_of(token: &str) -> String {
    segment(token, 0)["kid"].as_str().expect("kid").to_owned()
}
