//! Authenticated encryption of what the bridge keeps in the browser (pending logins, the
//! session, the inline login's logout hint): AES-256-GCM, a random 96-bit nonce per value, the
//! cookie's name as associated data so that values cannot be swapped between cookies.
//!
//! The layout and the key are those of the `cookie` crate's private jar (its HKDF-derived
//! encryption key; `nonce | ciphertext | tag`), so values sealed by earlier versions still open
//! and the jar itself can check this module (tests below). The jar is not used on the request
//! path because it builds a new cipher for every value and needs a jar per value: sealing
//! through aws-lc-rs with the key prepared once is what made sealing cheap (docs/benchmarks.md).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use rand::RngCore;
use std::fmt;

/// Bytes of the authentication tag after the ciphertext.
const TAG_LEN: usize = 16;

/// Seals and opens values with one key.
pub struct Sealer {
    key: LessSafeKey,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(AES-256-GCM)")
    }
}

/// The key is not an AES-256 key (cannot happen with a `cookie::Key`).
#[derive(Debug, thiserror::Error)]
#[error("the sealing key is not a 256-bit AES key")]
pub struct BadKey;

impl Sealer {
    /// The sealer of the `cookie` crate's private jar for `key`.
    pub fn new(key: &cookie::Key) -> Result<Self, BadKey> {
        let unbound = UnboundKey::new(&AES_256_GCM, key.encryption()).map_err(|_| BadKey)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// `nonce | ciphertext | tag` of `value`, bound to `name`.
    pub fn seal(&self, name: &str, value: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + value.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(value);
        let sealed = self.key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(name.as_bytes()),
            &mut out[NONCE_LEN..],
        );
        match sealed {
            Ok(tag) => out.extend_from_slice(tag.as_ref()),
            // Only beyond GCM's limit of 64 GiB per value: nothing is sealed, nothing opens.
            Err(_) => out.clear(),
        }
        out
    }

    /// The value sealed under `name`, if `sealed` is authentic and its content is text.
    pub fn open(&self, name: &str, mut sealed: Vec<u8>) -> Option<String> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[..NONCE_LEN]).ok()?;
        let len = self
            .key
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut sealed[NONCE_LEN..])
            .ok()?
            .len();
        sealed.truncate(NONCE_LEN + len);
        sealed.drain(..NONCE_LEN);
        String::from_utf8(sealed).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use cookie::{Cookie, CookieJar, Key};

    fn key() -> Key {
        Key::derive_from(b"a master key of at least thirty-two bytes")
    }

    /// Values sealed by the `cookie` crate's private jar (what earlier versions set) open here.
    #[test]
    fn opens_what_the_cookie_crates_private_jar_sealed() {
        let key = key();
        let mut jar = CookieJar::new();
        jar.private_mut(&key)
            .add(Cookie::new("jb_login_abc", r#"{"room":"café"}"#));
        let sealed = jar.get("jb_login_abc").map(|c| c.value().to_owned());
        let bytes = STANDARD.decode(sealed.as_deref().unwrap_or("")).unwrap();
        let sealer = Sealer::new(&key).unwrap();
        assert_eq!(
            sealer.open("jb_login_abc", bytes.clone()).as_deref(),
            Some(r#"{"room":"café"}"#)
        );
        // The name is bound in: the same value under another name does not open.
        assert_eq!(sealer.open("jb_session", bytes), None);
    }

    /// What this module seals, the jar opens: same key, layout and associated data.
    #[test]
    fn the_cookie_crates_private_jar_opens_what_is_sealed_here() {
        let key = key();
        let sealer = Sealer::new(&key).unwrap();
        let sealed = STANDARD.encode(sealer.seal("jb_session", b"{\"tenant\":null}"));
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new("jb_session", sealed));
        let opened = jar.private(&key).get("jb_session");
        assert_eq!(
            opened.as_ref().map(Cookie::value),
            Some("{\"tenant\":null}")
        );
    }

    #[test]
    fn tampered_truncated_or_foreign_values_do_not_open() {
        let sealer = Sealer::new(&key()).unwrap();
        let sealed = sealer.seal("n", b"value");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(sealer.open("n", bad), None, "byte {i} flipped");
        }
        assert_eq!(sealer.open("n", sealed[..sealed.len() - 1].to_vec()), None);
        assert_eq!(sealer.open("n", Vec::new()), None);
        let other = Sealer::new(&Key::derive_from(&[7u8; 32])).unwrap();
        assert_eq!(other.open("n", sealed.clone()), None);
        assert_eq!(sealer.open("n", sealed).as_deref(), Some("value"));
    }

    #[test]
    fn each_seal_has_its_own_nonce() {
        let sealer = Sealer::new(&key()).unwrap();
        assert_ne!(sealer.seal("n", b"v"), sealer.seal("n", b"v"));
    }
}
