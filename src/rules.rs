//! Who is a moderator. Pure: an [`Identity`] in, a [`Role`] out.
//!
//! A user is a moderator when any configured group, realm role or client role matches;
//! everyone else is a member. Group names match Keycloak's two shapes: a configured name
//! starting with `/` is a full path and must match exactly; a bare name matches the bare
//! claim value or a top-level group path (`staff` matches `staff` and `/staff`, not
//! `/org/staff`). Roles match exactly. Matching is case-sensitive, as Keycloak's names are.

use crate::claims::Identity;

/// What the token says about the user's rights in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `affiliation: owner`, `moderator: true`.
    Moderator,
    /// `affiliation: member`, `moderator: false`.
    Member,
}

/// The configured sources of moderator rights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModeratorPolicy {
    pub groups: Vec<String>,
    pub realm_roles: Vec<String>,
    pub client_roles: Vec<String>,
}

impl ModeratorPolicy {
    pub fn role_of(&self, id: &Identity) -> Role {
        let by_group = self
            .groups
            .iter()
            .any(|want| id.groups.iter().any(|have| group_matches(want, have)));
        let by_realm_role = self.realm_roles.iter().any(|r| id.realm_roles.contains(r));
        let by_client_role = self
            .client_roles
            .iter()
            .any(|r| id.client_roles.contains(r));
        if by_group || by_realm_role || by_client_role {
            Role::Moderator
        } else {
            Role::Member
        }
    }
}

fn group_matches(configured: &str, claim: &str) -> bool {
    if configured.is_empty() {
        false
    } else if configured.starts_with('/') {
        configured == claim
    } else {
        claim == configured || claim.strip_prefix('/') == Some(configured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(groups: &[&str], realm: &[&str], client: &[&str]) -> Identity {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Identity {
            subject: "u".into(),
            groups: own(groups),
            realm_roles: own(realm),
            client_roles: own(client),
            ..Identity::default()
        }
    }

    fn policy(groups: &[&str], realm: &[&str], client: &[&str]) -> ModeratorPolicy {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        ModeratorPolicy {
            groups: own(groups),
            realm_roles: own(realm),
            client_roles: own(client),
        }
    }

    #[test]
    fn decides_moderators() {
        use Role::*;
        let cases = [
            (
                policy(&["moderators"], &[], &[]),
                id(&["moderators"], &[], &[]),
                Moderator,
            ),
            (
                policy(&["moderators"], &[], &[]),
                id(&["/moderators"], &[], &[]),
                Moderator,
            ),
            (
                policy(&["moderators"], &[], &[]),
                id(&["/org/moderators"], &[], &[]),
                Member,
            ),
            (
                policy(&["/org/moderators"], &[], &[]),
                id(&["/org/moderators"], &[], &[]),
                Moderator,
            ),
            (
                policy(&["/org/moderators"], &[], &[]),
                id(&["moderators"], &[], &[]),
                Member,
            ),
            (
                policy(&["Moderators"], &[], &[]),
                id(&["moderators"], &[], &[]),
                Member,
            ),
            (
                policy(&[], &["moderator"], &[]),
                id(&[], &["moderator"], &[]),
                Moderator,
            ),
            (
                policy(&[], &["moderator"], &[]),
                id(&[], &[], &["moderator"]),
                Member,
            ),
            (
                policy(&[], &[], &["moderator"]),
                id(&[], &[], &["moderator"]),
                Moderator,
            ),
            (
                policy(&[], &[], &[]),
                id(&["moderators"], &["moderator"], &["moderator"]),
                Member,
            ),
            (
                policy(&["staff"], &["x"], &["y"]),
                id(&[], &[], &[]),
                Member,
            ),
            (policy(&[""], &[], &[]), id(&["/"], &[], &[]), Member),
        ];
        for (i, (p, who, want)) in cases.into_iter().enumerate() {
            assert_eq!(p.role_of(&who), want, "case {i}");
        }
    }
}
