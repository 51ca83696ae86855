//! Keys that sign Jitsi tokens, and the public halves Jitsi fetches.
//!
//! HS256/384/512 use the secret shared with Prosody (`app_secret`). RS256 uses private keys
//! from PEM files, each with a `kid`; the first configured key signs and every configured key
//! is published, so a new key can be added first, Prosody's cache catches up, and the old one
//! is removed later. Public keys are served in both layouts Prosody understands:
//! `asap_key_server` (`<base>/<lowercase hex sha256(kid)>.pem`, a PEM body) and
//! `cache_keys_url` (a JWKS).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::fmt;
use std::path::{Path, PathBuf};

/// The algorithms Prosody accepts that the bridge can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum SigningAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
}

impl SigningAlgorithm {
    pub fn jwt(self) -> Algorithm {
        match self {
            SigningAlgorithm::HS256 => Algorithm::HS256,
            SigningAlgorithm::HS384 => Algorithm::HS384,
            SigningAlgorithm::HS512 => Algorithm::HS512,
            SigningAlgorithm::RS256 => Algorithm::RS256,
        }
    }

    pub fn is_hmac(self) -> bool {
        self != SigningAlgorithm::RS256
    }

    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::HS256 => "HS256",
            SigningAlgorithm::HS384 => "HS384",
            SigningAlgorithm::HS512 => "HS512",
            SigningAlgorithm::RS256 => "RS256",
        }
    }
}

/// A configured RS256 key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    pub kid: String,
    pub path: PathBuf,
}

/// The public half of a signing key, as published.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    /// SubjectPublicKeyInfo DER.
    spki: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PublicKey {
    /// `-----BEGIN PUBLIC KEY-----` PEM, the body Prosody's key-server mode expects.
    pub fn pem(&self) -> String {
        pem::encode(&pem::Pem::new("PUBLIC KEY", self.spki.clone()))
    }

    /// The file name under `asap_key_server`: lowercase hex SHA-256 of the kid, plus `.pem`.
    pub fn asap_file_name(&self) -> String {
        asap_file_name(&self.kid)
    }

    /// One JWK (RFC 7517) for `cache_keys_url`.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.n), "e": URL_SAFE_NO_PAD.encode(&self.e),
        })
    }
}

/// `<hex sha256(kid)>.pem`.
pub fn asap_file_name(kid: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, kid.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.pem")
}

/// What signs: the key, its `kid` (RS256), and the public keys to publish.
#[derive(Clone)]
pub struct Signer {
    pub algorithm: SigningAlgorithm,
    pub key: EncodingKey,
    /// Verifies what `key` signs (the token inspector uses it).
    pub verify_key: DecodingKey,
    /// The shared secret (HS*), kept only to print the Jitsi settings on request.
    pub hmac_secret: Option<SecretString>,
    pub kid: Option<String>,
    /// All configured RS256 keys, the signing one first.
    pub published: Vec<PublicKey>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("published", &self.published)
            .finish_non_exhaustive()
    }
}

/// A key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0} is not a PEM file")]
    NotPem(PathBuf),
    #[error(
        "{0} holds a {1:?}, not an RSA private key (PKCS#8 \"PRIVATE KEY\" or PKCS#1 \"RSA PRIVATE KEY\")"
    )]
    WrongKind(PathBuf, String),
    #[error("{0} is not a usable RSA private key of 2048 bits or more")]
    BadKey(PathBuf),
    #[error("no signing key is configured")]
    NoKeys,
}

impl Signer {
    pub fn hmac(algorithm: SigningAlgorithm, secret: &SecretString) -> Self {
        Self {
            algorithm,
            key: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            verify_key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            hmac_secret: Some(secret.clone()),
            kid: None,
            published: Vec::new(),
        }
    }

    /// RS256 with the first key signing and all keys published.
    pub fn rsa(files: &[KeyFile]) -> Result<Self, KeyError> {
        let mut published = Vec::new();
        let mut signing = None;
        for file in files {
            let (key, public) = load_rsa(&file.path, &file.kid)?;
            if signing.is_none() {
                signing = Some((key, file.kid.clone()));
            }
            published.push(public);
        }
        let (key, kid) = signing.ok_or(KeyError::NoKeys)?;
        let first = published.first().ok_or(KeyError::NoKeys)?;
        let verify_key = DecodingKey::from_rsa_raw_components(&first.n, &first.e);
        Ok(Self {
            algorithm: SigningAlgorithm::RS256,
            key,
            verify_key,
            hmac_secret: None,
            kid: Some(kid),
            published,
        })
    }
}

/// Reads a PEM private key (PKCS#8 or PKCS#1); returns the signing key and the public key.
fn load_rsa(path: &Path, kid: &str) -> Result<(EncodingKey, PublicKey), KeyError> {
    let text = std::fs::read(path).map_err(|e| KeyError::Read(path.to_owned(), e))?;
    let block = pem::parse(&text).map_err(|_| KeyError::NotPem(path.to_owned()))?;
    let pair = match block.tag() {
        "PRIVATE KEY" => KeyPair::from_pkcs8(block.contents()),
        "RSA PRIVATE KEY" => KeyPair::from_der(block.contents()),
        other => return Err(KeyError::WrongKind(path.to_owned(), other.to_owned())),
    }
    .map_err(|_| KeyError::BadKey(path.to_owned()))?;
    if pair.public_modulus_len() < 256 {
        return Err(KeyError::BadKey(path.to_owned()));
    }
    let public = pair.public_key();
    let spki = public
        .as_der()
        .map_err(|_| KeyError::BadKey(path.to_owned()))?
        .as_ref()
        .to_vec();
    let key = PublicKey {
        kid: kid.to_owned(),
        spki,
        n: public.modulus().big_endian_without_leading_zero().to_vec(),
        e: public.exponent().big_endian_without_leading_zero().to_vec(),
    };
    let signing =
        EncodingKey::from_rsa_pem(&text).map_err(|_| KeyError::BadKey(path.to_owned()))?;
    Ok((signing, key))
}

/// The JWKS document for `cache_keys_url`.
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a PublicKey>) -> Value {
    json!({ "keys": keys.into_iter().map(PublicKey::jwk).collect::<Vec<_>>() })
}

#[cfg(test)]
pub(crate) mod test_keys {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};

    /// A fresh 2048-bit RSA key as PKCS#8 PEM.
    pub fn rsa_pem() -> String {
        let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
        pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_keys_sign_and_publish_matching_public_keys() {
        let dir = std::env::temp_dir().join(format!("bridge-signing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.pem"), dir.join("b.pem"));
        std::fs::write(&a, test_keys::rsa_pem()).unwrap();
        std::fs::write(&b, test_keys::rsa_pem()).unwrap();
        let signer = Signer::rsa(&[
            KeyFile {
                kid: "a".into(),
                path: a,
            },
            KeyFile {
                kid: "b".into(),
                path: b,
            },
        ])
        .unwrap();
        assert_eq!(signer.kid.as_deref(), Some("a"));
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = signer.kid.clone();
        let token = jsonwebtoken::encode(&header, &json!({"x": 1}), &signer.key).unwrap();
        let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let by_pem = DecodingKey::from_rsa_pem(signer.published[0].pem().as_bytes()).unwrap();
        assert!(jsonwebtoken::decode::<Value>(&token, &by_pem, &v).is_ok());
        let jwk = &jwks(&signer.published)["keys"][0];
        let by_jwk = DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap(),
            jwk["e"].as_str().unwrap(),
        )
        .unwrap();
        assert!(jsonwebtoken::decode::<Value>(&token, &by_jwk, &v).is_ok());
        let other = DecodingKey::from_rsa_pem(signer.published[1].pem().as_bytes()).unwrap();
        assert!(jsonwebtoken::decode::<Value>(&token, &other, &v).is_err());
        assert!(
            signer.published[0]
                .pem()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
    }

    #[test]
    fn asap_file_names_are_hex_sha256_of_the_kid() {
        // Computed independently: `printf 'jitsi/2026' | sha256sum`.
        assert_eq!(
            asap_file_name("jitsi/2026"),
            "a9bb777e6911e0e2a66606a47b6f26bef05c09f2de659776a913767a5a6ee236.pem"
        );
    }
}
