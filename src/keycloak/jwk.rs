//! The identity provider's signing keys, as openidconnect's [`CoreJsonWebKey`] with one
//! change: RSA signatures (RS256, RS384, RS512, what Keycloak signs ID tokens with) are checked
//! with aws-lc-rs instead of the pure-Rust `rsa` crate, whose big-number arithmetic was a
//! quarter of the bridge's CPU per login (docs/benchmarks.md). Everything else (which key,
//! which algorithms, the claims) stays with openidconnect's verifier; other algorithms are
//! checked by `CoreJsonWebKey` itself.

use base64::Engine;
use openidconnect::core::{
    CoreJsonWebKey, CoreJsonWebKeyType, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm,
};
use openidconnect::{JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, SignatureVerificationError};
use serde::{Deserialize, Deserializer, Serialize};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Jwk {
    core: CoreJsonWebKey,
    /// Modulus and exponent, big-endian, when the key is an RSA key.
    #[serde(skip)]
    rsa: Option<(Vec<u8>, Vec<u8>)>,
    /// The RSA key as aws-lc-rs uses it, per algorithm (RS256, RS384, RS512), built on first
    /// use: building it again for every signature (the modulus in Montgomery form) was a
    /// sixth of the cost of each check (docs/benchmarks.md).
    #[serde(skip)]
    parsed: Arc<[OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>; 3]>,
}

impl<'de> Deserialize<'de> for Jwk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        // Big-endian integers; leading zero octets (which some providers send) are dropped,
        // as aws-lc-rs wants the minimal encoding.
        let bytes = |name: &str| {
            value[name].as_str().and_then(|s| {
                let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s.trim_end_matches('='))
                    .ok()?;
                let first = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
                Some(raw[first..].to_vec())
            })
        };
        let rsa = bytes("n").zip(bytes("e"));
        let core = CoreJsonWebKey::deserialize(value).map_err(serde::de::Error::custom)?;
        Ok(Self {
            core,
            rsa,
            parsed: Arc::default(),
        })
    }
}

impl JsonWebKey for Jwk {
    type KeyUse = CoreJsonWebKeyUse;
    type SigningAlgorithm = CoreJwsSigningAlgorithm;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.core.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.core.key_type()
    }

    fn key_use(&self) -> Option<&CoreJsonWebKeyUse> {
        self.core.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&CoreJwsSigningAlgorithm> {
        self.core.signing_alg()
    }

    fn new_symmetric(key: Vec<u8>) -> Self {
        Self {
            core: CoreJsonWebKey::new_symmetric(key),
            rsa: None,
            parsed: Arc::default(),
        }
    }

    fn verify_signature(
        &self,
        alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureVerificationError> {
        use aws_lc_rs::signature as sig;
        let (slot, params) = match alg {
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256 => (0, &sig::RSA_PKCS1_2048_8192_SHA256),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384 => (1, &sig::RSA_PKCS1_2048_8192_SHA384),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512 => (2, &sig::RSA_PKCS1_2048_8192_SHA512),
            _ => return self.core.verify_signature(alg, message, signature),
        };
        // The checks CoreJsonWebKey makes before any signature (RFC 7517 4.1-4.3): an RSA
        // key, meant for signatures, and for this algorithm when it names one.
        if *self.core.key_type() != CoreJsonWebKeyType::RSA {
            return Err(invalid("the key is not an RSA key"));
        }
        if self
            .core
            .key_use()
            .is_some_and(|u| *u != CoreJsonWebKeyUse::Signature)
        {
            return Err(invalid("the key is not for signatures"));
        }
        match self.core.signing_alg() {
            JsonWebKeyAlgorithm::Algorithm(a) if a != alg => {
                return Err(invalid("the key is for another algorithm"));
            }
            JsonWebKeyAlgorithm::Unsupported => {
                return Err(invalid("the key's algorithm cannot sign"));
            }
            _ => {}
        }
        let (n, e) = self
            .rsa
            .as_ref()
            .ok_or_else(|| invalid("the RSA key has no modulus or exponent"))?;
        let key = self.parsed[slot]
            .get_or_init(|| {
                sig::RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(params)
                    .ok()
            })
            .as_ref()
            .ok_or_else(|| invalid("the RSA key's modulus and exponent do not form a key"))?;
        // Keys below 2048 bits are refused (by `params`, at each check), as NIST SP 800-131A
        // has asked since 2014.
        key.verify_sig(message, signature)
            .map_err(|_| SignatureVerificationError::CryptoError("bad signature".into()))
    }

    fn hash_bytes(&self, bytes: &[u8], alg: &CoreJwsSigningAlgorithm) -> Result<Vec<u8>, String> {
        self.core.hash_bytes(bytes, alg)
    }
}

fn invalid(why: &str) -> SignatureVerificationError {
    SignatureVerificationError::InvalidKey(why.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A key pair and its JWK as a provider publishes it, with `extra` members.
    fn key(extra: serde_json::Value, leading_zero: bool) -> (KeyPair, Jwk) {
        let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let public = pair.public_key();
        let mut n = public.modulus().big_endian_without_leading_zero().to_vec();
        if leading_zero {
            n.insert(0, 0);
        }
        let mut jwk = serde_json::json!({"kty": "RSA", "kid": "k1",
            "n": b64(&n), "e": b64(public.exponent().big_endian_without_leading_zero())});
        jwk.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        (pair, serde_json::from_value(jwk).unwrap())
    }

    fn signed(pair: &KeyPair, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .unwrap();
        signature
    }

    #[test]
    fn rs256_signatures_are_checked_and_the_key_must_fit() {
        let rs256 = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
        let (pair, jwk) = key(serde_json::json!({"use": "sig", "alg": "RS256"}), true);
        let signature = signed(&pair, b"header.payload");
        assert!(
            jwk.verify_signature(&rs256, b"header.payload", &signature)
                .is_ok()
        );
        assert!(
            jwk.verify_signature(&rs256, b"header.payloaD", &signature)
                .is_err()
        );
        let mut bad = signature.clone();
        bad[10] ^= 1;
        assert!(
            jwk.verify_signature(&rs256, b"header.payload", &bad)
                .is_err()
        );
        // The same key under another algorithm than the one it names.
        let rs512 = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512;
        assert!(matches!(
            jwk.verify_signature(&rs512, b"header.payload", &signature),
            Err(SignatureVerificationError::InvalidKey(_))
        ));
        // A key meant for encryption.
        let (pair, enc) = key(serde_json::json!({"use": "enc"}), false);
        let signature = signed(&pair, b"m");
        assert!(matches!(
            enc.verify_signature(&rs256, b"m", &signature),
            Err(SignatureVerificationError::InvalidKey(_))
        ));
        // What CoreJsonWebKey itself accepts, this accepts (no alg, no use).
        let (pair, plain) = key(serde_json::json!({}), false);
        let signature = signed(&pair, b"m");
        assert!(plain.verify_signature(&rs256, b"m", &signature).is_ok());
        assert!(
            plain
                .core
                .verify_signature(&rs256, b"m", &signature)
                .is_ok()
        );
    }

    /// A 1024-bit key with a valid RS256 signature (made with `openssl dgst -sha256 -sign`):
    /// `CoreJsonWebKey` accepts it, the bridge does not, and a key checked once keeps being
    /// refused (the parsed key is kept, the size is checked at each signature).
    #[test]
    fn rsa_keys_below_2048_bits_are_refused() {
        let jwk: Jwk = serde_json::from_value(serde_json::json!({"kty": "RSA", "kid": "small",
            "n": "-zUkZZTktrJ-4jJRnD9Ef7iyS-UUzTFtrZ4_q_N1FY32QLw6Y7JssbMUx4_4IEqitgzF-zzGDxCKOi79DzmVarr2YKBXQv51GDmKL_O5_TYaV0GPzNyvHu8iphTA9NkqaL7DO9_Fk0JyR57m9ihfe2zGWnvDiSch57lcCbNn49M",
            "e": "AQAB"}))
        .unwrap();
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode("ok6pg6h1v-b9b6VCHvORNzaaKT2prAhRuzTArEO0kv8LPhTL85vToHONSW8_leSeQ5Nssc0q0VsDBbD9OVmsyhxepb1qvafT5QgaLmg_ZWsTJwjdDhtezvD3v6y4yXl7MNkCZ1qnAWMbFI-GS5iZ0kozhy0htiugyQeg6RPdyf8")
            .unwrap();
        let rs256 = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
        assert!(
            jwk.core
                .verify_signature(&rs256, b"header.payload", &signature)
                .is_ok(),
            "the signature itself is valid"
        );
        for _ in 0..2 {
            assert!(
                jwk.verify_signature(&rs256, b"header.payload", &signature)
                    .is_err()
            );
        }
    }
}
