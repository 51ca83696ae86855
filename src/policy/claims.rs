//! The identity the bridge reads from a *verified* ID token.
//!
//! Works on the token's JSON payload so it stays independent of the OIDC library and can be fed
//! claims from a file (tests, tooling). Keycloak puts groups, realm roles and client roles in
//! different places depending on the mappers an admin configured; every known place is read.

use serde_json::Value;
use url::Url;

/// Who logged in, as far as the Jitsi token is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `sub`: Keycloak's stable user id.
    pub subject: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    /// `picture`, only when it is an absolute http(s) URL.
    pub picture: Option<String>,
    /// Keycloak groups as the group-membership mapper wrote them (`staff` or `/org/staff`).
    pub groups: Vec<String>,
    pub realm_roles: Vec<String>,
    /// Roles of this bridge's own client (`resource_access.<client_id>.roles`).
    pub client_roles: Vec<String>,
    /// Whether the token carried these claims at all (a missing mapper leaves them out).
    pub has_groups: bool,
    pub has_realm_roles: bool,
    pub has_client_roles: bool,
}

/// Where Keycloak mappers put realm roles: the access-token default and the common
/// "realm roles" mapper with claim name `roles`.
const REALM_ROLE_PATHS: &[&str] = &["realm_access.roles", "roles"];

impl Identity {
    /// Reads an identity from ID-token claims. `None` if `sub` is missing or empty, which a
    /// verified OIDC ID token never lacks.
    pub fn from_claims(claims: &Value, client_id: &str) -> Option<Self> {
        let subject = string(claims.get("sub"))?;
        if subject.is_empty() {
            return None;
        }
        let mut realm_roles = Vec::new();
        for path in REALM_ROLE_PATHS {
            for role in strings(lookup(claims, path)) {
                if !realm_roles.contains(&role) {
                    realm_roles.push(role);
                }
            }
        }
        let client_roles_claim = claims
            .get("resource_access")
            .and_then(|r| r.get(client_id))
            .and_then(|c| c.get("roles"));
        let client_roles = strings(client_roles_claim);
        let has_realm_roles = REALM_ROLE_PATHS.iter().any(|p| lookup(claims, p).is_some());
        let name = string(claims.get("name")).filter(|n| !n.trim().is_empty());
        Some(Self {
            subject,
            username: string(claims.get("preferred_username")),
            name,
            email: string(claims.get("email")).filter(|e| !e.is_empty()),
            email_verified: claims.get("email_verified").and_then(Value::as_bool) == Some(true),
            picture: string(claims.get("picture")).filter(|p| is_web_url(p)),
            groups: strings(claims.get("groups")),
            realm_roles,
            client_roles,
            has_groups: claims.get("groups").is_some(),
            has_realm_roles,
            has_client_roles: client_roles_claim.is_some(),
        })
    }

    /// The name Jitsi shows: full name, else username, else the subject.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.username.as_deref())
            .unwrap_or(&self.subject)
    }

    /// The e-mail address, only when Keycloak says it is verified: Jitsi shows it to others
    /// and uses it for avatars, so an unverified address is not passed on.
    pub fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

fn lookup<'a>(claims: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(claims, |v, key| v.get(key))
}

fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn is_web_url(s: &str) -> bool {
    Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_keycloak_shape() {
        let claims = json!({
            "sub": "0b7c-uuid",
            "preferred_username": "alice",
            "name": "Alice Moderator",
            "email": "alice@example.test",
            "email_verified": true,
            "picture": "https://img.example/alice.png",
            "groups": ["moderators", "/org/staff"],
            "roles": ["moderator", "participant"],
            "realm_access": {"roles": ["participant", "offline_access"]},
            "resource_access": {
                "jitsi-bridge": {"roles": ["host"]},
                "other-client": {"roles": ["admin"]}
            }
        });
        let id = Identity::from_claims(&claims, "jitsi-bridge").unwrap();
        assert_eq!(id.subject, "0b7c-uuid");
        assert_eq!(id.display_name(), "Alice Moderator");
        assert_eq!(id.verified_email(), Some("alice@example.test"));
        assert_eq!(id.picture.as_deref(), Some("https://img.example/alice.png"));
        assert_eq!(id.groups, ["moderators", "/org/staff"]);
        assert_eq!(
            id.realm_roles,
            ["participant", "offline_access", "moderator"]
        );
        assert_eq!(id.client_roles, ["host"]);
    }

    #[test]
    fn tolerates_missing_and_odd_claims() {
        let cases = [
            (json!({"sub": "u1"}), "u1", None, false),
            (
                json!({"sub": "u2", "preferred_username": "bob", "name": "  "}),
                "bob",
                None,
                false,
            ),
            (
                json!({"sub": "u3", "email": "e@x.test", "email_verified": "true"}),
                "u3",
                None,
                false,
            ),
            (
                json!({"sub": "u4", "email": "e@x.test", "email_verified": false}),
                "u4",
                None,
                false,
            ),
            (
                json!({"sub": "u5", "email": "e@x.test", "email_verified": true}),
                "u5",
                Some("e@x.test"),
                true,
            ),
        ];
        for (claims, shown, email, verified) in cases {
            let id = Identity::from_claims(&claims, "c").unwrap();
            assert_eq!(id.display_name(), shown);
            assert_eq!(id.verified_email(), email);
            assert_eq!(id.email_verified, verified);
        }
    }

    #[test]
    fn ignores_unusable_values() {
        let claims = json!({
            "sub": "u", "picture": "javascript:alert(1)", "groups": [1, "ok", null],
            "roles": "single", "resource_access": {"c": {"roles": {"not": "a list"}}}
        });
        let id = Identity::from_claims(&claims, "c").unwrap();
        assert_eq!(id.picture, None);
        assert_eq!(id.groups, ["ok"]);
        assert_eq!(id.realm_roles, ["single"]);
        assert!(id.client_roles.is_empty());
    }

    #[test]
    fn refuses_tokens_without_subject() {
        assert_eq!(Identity::from_claims(&json!({}), "c"), None);
        assert_eq!(Identity::from_claims(&json!({"sub": ""}), "c"), None);
        assert_eq!(Identity::from_claims(&json!({"sub": 7}), "c"), None);
    }
}
