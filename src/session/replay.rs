//! The `state`s of finished logins, refused for as long as their login could still be used.
//!
//! An entry is added only after Keycloak accepted the login's code, so traffic that has not
//! logged in cannot add entries, let alone push earlier ones out; and no entry leaves before
//! its login's expiry. Memory is bounded by the number of real logins within one login
//! lifetime, capped at [`MAX_ENTRIES`]; at the cap a new login is refused (fail closed) rather
//! than an old one forgotten. Replicas each keep their own set; across them, Keycloak's
//! single-use codes stop a replayed callback.

use crate::clock::UnixTime;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept at most: about 40 bytes each, so some 20 MB at the very most.
pub const MAX_ENTRIES: usize = 500_000;
/// How often expired entries are swept out, in seconds.
const SWEEP_EVERY_SECS: u64 = 10;

/// The set is full of unexpired logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the set of finished logins is full ({MAX_ENTRIES} within one login lifetime)")]
pub struct Full;

#[derive(Debug, Default)]
struct Inner {
    /// The first 128 bits of the (random) state, and when the login expires.
    expiry: HashMap<u128, UnixTime>,
    last_sweep: UnixTime,
}

#[derive(Debug)]
pub struct UsedStates {
    inner: Mutex<Inner>,
    cap: usize,
}

impl Default for UsedStates {
    fn default() -> Self {
        Self::with_cap(MAX_ENTRIES)
    }
}

impl UsedStates {
    pub fn with_cap(cap: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            cap,
        }
    }

    /// Whether `state` finished a login that has not expired yet.
    pub fn contains(&self, state: &str, now: UnixTime) -> bool {
        let Some(k) = key(state) else { return false };
        self.inner
            .lock()
            .map(|i| i.expiry.get(&k).is_some_and(|&e| now < e))
            // A poisoned lock means a panic elsewhere; refusing is the safe answer.
            .unwrap_or(true)
    }

    /// Remembers that `state` finished a login that expires at `expires`.
    pub fn insert(&self, state: &str, expires: UnixTime, now: UnixTime) -> Result<(), Full> {
        let k = key(state).ok_or(Full)?;
        let mut inner = self.inner.lock().map_err(|_| Full)?;
        // Every few seconds, and at the cap at most once a second: a sweep walks the whole set.
        let full = inner.expiry.len() >= self.cap && now > inner.last_sweep;
        if full || now >= inner.last_sweep.saturating_add(SWEEP_EVERY_SECS) {
            inner.expiry.retain(|_, &mut e| now < e);
            inner.last_sweep = now;
        }
        if inner.expiry.len() >= self.cap {
            return Err(Full);
        }
        inner.expiry.insert(k, expires);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.expiry.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// States are 256 random bits; the first 128 identify one as well as all of them.
fn key(state: &str) -> Option<u128> {
    let bytes = URL_SAFE_NO_PAD.decode(state).ok()?;
    let first: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
    Some(u128::from_le_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::pending::random_token;

    #[test]
    fn a_used_state_stays_refused_for_its_lifetime_whatever_the_load() {
        let used = UsedStates::with_cap(50_000);
        let victim = random_token();
        used.insert(&victim, 1600, 1000).unwrap();
        // Heavy load of other finished logins, up to the cap: nothing pushes the victim out.
        let mut refused = 0;
        for i in 0..60_000u64 {
            if used.insert(&random_token(), 1600, 1000 + i / 200).is_err() {
                refused += 1;
            }
        }
        assert_eq!(
            refused, 10_001,
            "at the cap new logins are refused, not old ones forgotten"
        );
        assert!(used.contains(&victim, 1599));
        // After its login's lifetime it may go, and memory is given back.
        assert!(!used.contains(&victim, 1600));
        used.insert(&random_token(), 2300, 1700).unwrap();
        assert_eq!(used.len(), 1);
    }

    #[test]
    fn odd_states_are_never_taken_for_used_ones() {
        let used = UsedStates::default();
        assert!(!used.contains("not base64 !", 0));
        assert!(!used.contains("", 0));
        assert_eq!(used.insert("short", 10, 0), Err(Full));
    }
}
