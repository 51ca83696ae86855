//! Secrets that must not guard a real deployment: an https `public_url` means real users, so
//! the demo values this repository ships, values that are plainly not random, a client secret
//! too short to be Keycloak's, and one value used for two purposes are refused whole, after
//! every secret has been read. Loopback http (the demo, the tests) keeps its demo values.

use super::reader::Reader;
use super::*;

/// The demo's values (`docker/env.example`, `scripts/demo/bridge.toml`).
const DEMO_SECRETS: &[&str] = &[
    "demo-client-secret-change-me",
    "demo-only-cookie-key-0123456789abcdef",
    "demo-only-jitsi-secret-0123456789abcdef",
];
/// Keycloak generates 32-character client secrets; anything much shorter was typed by hand.
const MIN_CLIENT_SECRET_BYTES: usize = 16;
/// Fewer different characters than this in a 16+ byte secret (`aaaa…`, `abab…`) is no random
/// value: 32 random base64 characters have more than 20 different ones.
const MIN_DISTINCT_BYTES: usize = 8;

impl Reader<'_> {
    /// Checks the secrets of a deployment served over https.
    pub(super) fn strong_secrets(&mut self, config: &Config) {
        if config.server.public_url.scheme() != "https" {
            return;
        }
        let mut named: Vec<(String, &SecretString, &str)> = vec![(
            "login.cookie_key".into(),
            &config.login.cookie_key,
            "cookie",
        )];
        for (prefix, _, realm) in config.realms() {
            // Before setup-keycloak has written it, the client secret is empty.
            if !realm.oidc.client_secret.expose_secret().is_empty() {
                named.push((
                    format!("{prefix}oidc.client_secret"),
                    &realm.oidc.client_secret,
                    "client",
                ));
            }
            if let Some(secret) = &realm.signer.hmac_secret {
                named.push((format!("{prefix}jitsi.secret"), secret, "jitsi"));
            }
        }
        let mut problems = BTreeSet::new();
        for (key, secret, kind) in &named {
            let text = secret.expose_secret();
            if DEMO_SECRETS.contains(&text) {
                problems.insert((
                    key.clone(),
                    "is the demo value from docker/env.example; set a random secret (openssl rand -base64 48)".to_owned(),
                ));
            } else if text.len() >= MIN_CLIENT_SECRET_BYTES
                && distinct_bytes(text) < MIN_DISTINCT_BYTES
            {
                problems.insert((
                    key.clone(),
                    format!(
                        "has fewer than {MIN_DISTINCT_BYTES} different characters, so it is not random; set a random secret (openssl rand -base64 48)"
                    ),
                ));
            }
            if *kind == "client" && text.len() < MIN_CLIENT_SECRET_BYTES {
                problems.insert((
                    key.clone(),
                    format!(
                        "is shorter than {MIN_CLIENT_SECRET_BYTES} bytes; copy the secret Keycloak generated (Clients → Credentials)"
                    ),
                ));
            }
            // One value for two purposes: whoever holds one (a Jitsi admin, Keycloak) could
            // forge what the other guards. A tenant inheriting a secret shares its purpose.
            if let Some((other, _, _)) = named
                .iter()
                .find(|(_, s, k)| k != kind && s.expose_secret() == text)
            {
                let (first, second) = if key < other {
                    (key, other)
                } else {
                    (other, key)
                };
                problems.insert((
                    second.clone(),
                    format!("is the same value as {first}; give each its own secret"),
                ));
            }
        }
        for (key, message) in problems {
            self.problem(&key, message);
        }
    }
}

fn distinct_bytes(text: &str) -> usize {
    text.bytes().collect::<BTreeSet<u8>>().len()
}
