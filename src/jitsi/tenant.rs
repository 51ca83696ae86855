//! Jitsi tenants: the first path segment of `https://jitsi.example/<tenant>/<room>`.
//!
//! Tenants are deployment paths an admin sets up (nginx maps them to `[tenant]room` JIDs), so
//! the accepted set is deliberately narrow ASCII. Prosody lower-cases what it compares, so the
//! token's `sub` is the lower-case form; the URL keeps the case as given.

use std::fmt;

pub const MAX_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    #[error("the tenant name is empty")]
    Empty,
    #[error("the tenant name is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("the tenant name may only contain letters a-z, digits, '-', '_' and '.'")]
    BadCharacter,
    #[error("the tenant name may not start with '.'")]
    LeadingDot,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Tenant(String);

impl Tenant {
    pub fn parse(raw: &str) -> Result<Self, TenantError> {
        if raw.is_empty() {
            return Err(TenantError::Empty);
        }
        if raw.len() > MAX_LEN {
            return Err(TenantError::TooLong);
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(TenantError::BadCharacter);
        }
        if raw.starts_with('.') {
            return Err(TenantError::LeadingDot);
        }
        Ok(Self(raw.to_owned()))
    }

    /// As given; goes into the Jitsi URL path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What Prosody compares `sub` and `context.tenant` with: docker-jitsi-meet's web config
    /// builds the tenant's MUC host from it lower-cased with every `.` turned into `_`
    /// (`system-config.js`), and that becomes the `[tenant]` of the room JID.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase().replace('.', "_")
    }
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tenant").field(&self.0).finish()
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants() {
        for ok in ["acme", "ACME", "team-1", "a_b", "x.y", "0"] {
            assert!(Tenant::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Tenant::parse("ACME").unwrap().canonical(), "acme");
        assert_eq!(Tenant::parse("Team.EU.1").unwrap().canonical(), "team_eu_1");
        let long = "a".repeat(MAX_LEN + 1);
        let cases: &[(&str, TenantError)] = &[
            ("", TenantError::Empty),
            (&long, TenantError::TooLong),
            ("a/b", TenantError::BadCharacter),
            ("..", TenantError::LeadingDot),
            (".hidden", TenantError::LeadingDot),
            ("évil", TenantError::BadCharacter),
            ("a b", TenantError::BadCharacter),
            ("a%2Fb", TenantError::BadCharacter),
            ("host:80", TenantError::BadCharacter),
            ("[x]", TenantError::BadCharacter),
        ];
        for (raw, want) in cases {
            assert_eq!(Tenant::parse(raw).as_ref().err(), Some(want), "{raw:?}");
        }
    }
}
