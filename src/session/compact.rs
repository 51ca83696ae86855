//! ID tokens packed small enough for a cookie.
//!
//! The bridge keeps the user's ID token for logout (Keycloak ends the session without asking
//! only with it as a hint). A user in many groups has a large token, and a cookie above 4 KB is
//! dropped by browsers. The payload of a JWT is base64 of JSON whose group paths repeat, which
//! compresses well only once decoded, so the payload is stored decoded and everything deflated;
//! unpacking re-encodes it, byte for byte the token Keycloak signed (checked when packing:
//! a token that would not come back exactly is kept as it is). Packing costs CPU on every
//! login, so a token that fits a cookie as it is stays unpacked, and [`unpack`] passes such
//! a token through.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::read::DeflateDecoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::io::Read;

/// Largest unpacked token accepted back (a packed value is authenticated, so this only guards
/// against a bug elsewhere).
const MAX_UNPACKED: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
enum Packed {
    /// `header`, decoded payload, `signature`.
    Jwt(String, String, String),
    Raw(String),
}

/// `token` as a short URL-safe string.
pub fn pack(token: &str) -> String {
    let split = token.split('.').collect::<Vec<_>>();
    let packed = match split.as_slice() {
        [header, payload, signature] => URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|json| URL_SAFE_NO_PAD.encode(json) == *payload)
            .map(|json| Packed::Jwt((*header).to_owned(), json, (*signature).to_owned())),
        _ => None,
    }
    .unwrap_or_else(|| Packed::Raw(token.to_owned()));
    let json = serde_json::to_vec(&packed).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(deflate(&json))
}

thread_local! {
    /// A compressor per thread, reset for each token: a new one allocates and clears its
    /// tables (a few hundred KiB) every time, which was a quarter of the cost of packing.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::best(), false));
}

/// Raw deflate (RFC 1951) of `data` at the best compression.
fn deflate(data: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 128);
        // Each round either finishes or fills the output; the output grows by at least 1 KiB
        // a round, so the rounds are bounded by the size of the input.
        for _ in 0..=data.len() / 1024 + 8 {
            let consumed = usize::try_from(c.total_in()).unwrap_or(data.len());
            if out.capacity() - out.len() < 64 {
                out.reserve(1024);
            }
            match c.compress_vec(
                data.get(consumed..).unwrap_or_default(),
                &mut out,
                FlushCompress::Finish,
            ) {
                Ok(Status::StreamEnd) => return out,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Vec::new()
    })
}

/// The token [`pack`] packed, or `stored` itself when it is a token kept as it is (a packed
/// value is base64url, which has no `.`; every JWS has two).
pub fn unpack(stored: &str) -> Option<String> {
    if stored.contains('.') {
        return Some(stored.to_owned());
    }
    let packed = stored;
    let deflated = URL_SAFE_NO_PAD.decode(packed).ok()?;
    let mut json = Vec::new();
    DeflateDecoder::new(deflated.as_slice())
        .take(MAX_UNPACKED)
        .read_to_end(&mut json)
        .ok()?;
    match serde_json::from_slice(&json).ok()? {
        Packed::Jwt(header, payload, signature) => Some(format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(payload)
        )),
        Packed::Raw(token) => Some(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            "s".repeat(342)
        )
    }

    #[test]
    fn a_token_with_a_hundred_groups_packs_small_and_comes_back_exactly() {
        let groups: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    "\"/organisation/department-{:02}/working-group-{i}\"",
                    i % 10
                )
            })
            .collect();
        let payload = format!(
            r#"{{"iss":"https://sso.example.org/realms/jitsi","sub":"3f0c1d2e-aaaa-bbbb-cccc-0123456789ab","groups":[{}]}}"#,
            groups.join(",")
        );
        let token = jwt(&payload);
        let packed = pack(&token);
        assert!(token.len() > 6000, "{}", token.len());
        assert!(packed.len() < 1200, "{} bytes", packed.len());
        assert_eq!(unpack(&packed).as_deref(), Some(token.as_str()));
    }

    #[test]
    fn the_reused_compressor_starts_afresh_each_time() {
        // Large and poorly compressible (the output grows over several rounds), then small.
        let big: String = (0..20_000u32)
            .map(|i| char::from(b'!' + u8::try_from(i.wrapping_mul(2_654_435_761) >> 26).unwrap()))
            .collect();
        for token in [big.as_str(), "a.b.c", big.as_str(), "x"] {
            let first = pack(token);
            assert_eq!(pack(token), first);
            assert_eq!(unpack(&first).as_deref(), Some(token));
        }
    }

    #[test]
    fn anything_else_comes_back_as_it_was() {
        for token in ["not-a-jwt", "a.b.c", "a.!!.c", "", "eyJ9.eyJ9.x.y"] {
            assert_eq!(unpack(&pack(token)).as_deref(), Some(token), "{token}");
        }
        assert_eq!(unpack("%%%"), None);
        // Kept as it is (no `.` ever appears in a packed value).
        assert_eq!(unpack("eyJ9.eyJ9.sig").as_deref(), Some("eyJ9.eyJ9.sig"));
        assert_eq!(unpack("AAAA"), None);
    }
}
