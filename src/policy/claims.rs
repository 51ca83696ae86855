//! The identity the bridge reads from a *verified* ID token.
//!
//! Works on the token's JSON payload so it stays independent of the OIDC library and can be fed
//! claims from a file (tests, tooling). Keycloak puts groups, realm roles and client roles in
//! different places depending on the mappers an admin configured; every known place is read.
//!
//! Each claim the rules can ask about is read together with how it arrived ([`Shape`]):
//! Keycloak leaves a claim out both when its mapper is missing and when the list would be
//! empty (a user in no group, keycloak#22340), so "absent" is kept apart from "empty", and a
//! value of the wrong type (a string where a list belongs) is kept apart from both. What the
//! rules make of each shape is decided in [`crate::policy::who`].

use serde_json::Value;
use url::Url;

/// A claim the rules can ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Claim {
    Groups,
    RealmRoles,
    ClientRoles,
    /// `email` with `email_verified`.
    Email,
    /// Keycloak Organizations: `organization`, the aliases of the user's organizations.
    Organizations,
}

impl Claim {
    pub const ALL: [Claim; 5] = [
        Claim::Groups,
        Claim::RealmRoles,
        Claim::ClientRoles,
        Claim::Email,
        Claim::Organizations,
    ];

    /// The name in `oidc.absent_means_empty`, metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Claim::Groups => "groups",
            Claim::RealmRoles => "realm_roles",
            Claim::ClientRoles => "client_roles",
            Claim::Email => "email",
            Claim::Organizations => "organizations",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Where the claim sits in the ID token, as an admin would look for it.
    pub fn in_token(self) -> &'static str {
        match self {
            Claim::Groups => "groups",
            Claim::RealmRoles => "realm_access.roles",
            Claim::ClientRoles => "resource_access.<client_id>.roles",
            Claim::Email => "email",
            Claim::Organizations => "organization",
        }
    }

    /// The Keycloak mapper that puts this claim into the ID token.
    pub fn mapper_advice(self) -> &'static str {
        match self {
            Claim::Groups => {
                "add a \"Group Membership\" mapper (token claim name \"groups\", Full group path on, Add to ID token on) to the client"
            }
            Claim::RealmRoles => {
                "add a \"User Realm Role\" mapper (token claim name \"realm_access.roles\", multivalued, Add to ID token on) to the client"
            }
            Claim::ClientRoles => {
                "add a \"User Client Role\" mapper (token claim name \"resource_access.${client_id}.roles\", multivalued, Add to ID token on) to the client"
            }
            Claim::Email => {
                "request the \"email\" scope (oidc.scopes) so Keycloak sends the address"
            }
            Claim::Organizations => {
                "give the client the \"organization\" client scope with its \"Organization Membership\" mapper (setup-keycloak does; doctor checks it)"
            }
        }
    }
}

/// The claims for which an absent claim means "empty" (`oidc.absent_means_empty`): the
/// operator knows the mapper is there, so Keycloak left the claim out only because the list
/// (or the address) is empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AbsentMeansEmpty(u8);

impl AbsentMeansEmpty {
    pub fn of(claims: impl IntoIterator<Item = Claim>) -> Self {
        Self(claims.into_iter().fold(0, |bits, c| bits | Self::bit(c)))
    }

    pub fn contains(self, claim: Claim) -> bool {
        self.0 & Self::bit(claim) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Claim> {
        Claim::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    fn bit(claim: Claim) -> u8 {
        1 << claim as u8
    }
}

/// How a claim arrived in the ID token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Shape {
    /// There, with the expected type (a list of strings; a string for `email`).
    Present,
    /// Not in the token at all (or, for `email`, an empty string).
    #[default]
    Absent,
    /// There, with another type: what was seen ("a string", "an object", ...).
    WrongType(&'static str),
    /// There, but perhaps not all of it: Keycloak's `organization` claim when the login was
    /// not granted `organization:*` (the browser carries the scope, and can narrow it to one
    /// organization). Its values are true and grant; a part that takes away cannot decide
    /// from them.
    Partial,
    /// Not where the bridge reads it, but a claim of another name is there that may hold it
    /// (realm roles in a top-level `roles`): matches nothing, and a part that takes away
    /// cannot decide, since the roles may well be in it.
    Misplaced(&'static str),
}

/// How each claim the rules ask about arrived (by default: none of them did).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shapes {
    pub groups: Shape,
    pub realm_roles: Shape,
    pub client_roles: Shape,
    pub email: Shape,
    pub organizations: Shape,
}

impl Shapes {
    pub fn of(&self, claim: Claim) -> Shape {
        match claim {
            Claim::Groups => self.groups,
            Claim::RealmRoles => self.realm_roles,
            Claim::ClientRoles => self.client_roles,
            Claim::Email => self.email,
            Claim::Organizations => self.organizations,
        }
    }
}

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
    /// Keycloak groups as the group-membership mapper wrote them (`staff` or `/org/staff`);
    /// empty unless the claim is a list of strings.
    pub groups: Vec<String>,
    pub realm_roles: Vec<String>,
    /// Roles of this bridge's own client (`resource_access.<client_id>.roles`).
    pub client_roles: Vec<String>,
    /// Aliases of the user's Keycloak organizations (`organization`).
    pub organizations: Vec<String>,
    /// How each of those claims arrived.
    pub shapes: Shapes,
}

/// Where Keycloak puts realm roles (its own layout, in the access token by default), and the
/// only place the bridge reads them from. A top-level `roles` claim could come from any
/// mapper, a user-attribute mapper among them, whose values a user may be able to edit in the
/// account console: reading it as realm roles would let them make themselves moderators.
const REALM_ROLES_PATH: [&str; 2] = ["realm_access", "roles"];
/// The top-level claim that earlier mappers (and earlier `setup-keycloak`) wrote realm roles to.
const TOP_LEVEL_ROLES: &str = "roles";

impl Identity {
    /// Reads an identity from ID-token claims. `None` if `sub` is missing or empty, which a
    /// verified OIDC ID token never lacks.
    pub fn from_claims(claims: &Value, client_id: &str) -> Option<Self> {
        let subject = string(claims.get("sub"))?;
        if subject.is_empty() {
            return None;
        }
        let (realm_roles, mut realm_shape) = at(claims, &REALM_ROLES_PATH);
        if realm_shape == Shape::Absent && claims.get(TOP_LEVEL_ROLES).is_some() {
            // Absent might then mean "written elsewhere", not "none": not read as empty.
            realm_shape = Shape::Misplaced(TOP_LEVEL_ROLES);
        }
        // The client id may contain dots, so the path is given as parts.
        let (client_roles, client_shape) = at(claims, &["resource_access", client_id, "roles"]);
        let (groups, groups_shape) = list(claims.get("groups"));
        let (organizations, organizations_shape) = organizations(claims.get("organization"));
        let (email, email_shape) = match claims.get("email") {
            None | Some(Value::Null) => (None, Shape::Absent),
            Some(Value::String(e)) if e.is_empty() => (None, Shape::Absent),
            Some(Value::String(e)) => (Some(e.clone()), Shape::Present),
            Some(other) => (None, Shape::WrongType(type_of(other))),
        };
        let name = string(claims.get("name")).filter(|n| !n.trim().is_empty());
        Some(Self {
            subject,
            username: string(claims.get("preferred_username")),
            name,
            email,
            email_verified: claims.get("email_verified").and_then(Value::as_bool) == Some(true),
            picture: string(claims.get("picture")).filter(|p| is_web_url(p)),
            groups,
            realm_roles,
            client_roles,
            organizations,
            shapes: Shapes {
                groups: groups_shape,
                realm_roles: realm_shape,
                client_roles: client_shape,
                email: email_shape,
                organizations: organizations_shape,
            },
        })
    }

    /// Marks the organizations as perhaps incomplete unless the token response says the
    /// login was granted [`ALL_ORGANIZATIONS`]. The browser carries the authorization
    /// request, so it can ask for `organization:<alias>` (one organization) instead; Keycloak
    /// grants `organization:*` only to a user with at least one organization, so an absent
    /// claim stays absent either way.
    pub fn organizations_granted(&mut self, granted: Option<&[String]>) {
        let all = granted.is_some_and(|g| g.iter().any(|s| s == ALL_ORGANIZATIONS));
        if self.shapes.organizations == Shape::Present && !all {
            self.shapes.organizations = Shape::Partial;
        }
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

    /// The claims that arrived with the wrong type (or where the bridge does not read them),
    /// with what was seen.
    pub fn wrong_types(&self) -> impl Iterator<Item = (Claim, &'static str)> + '_ {
        Claim::ALL
            .into_iter()
            .filter_map(|c| match self.shapes.of(c) {
                Shape::WrongType(seen) => Some((c, seen)),
                Shape::Misplaced(_) => Some((c, "absent, with a top-level \"roles\" claim")),
                _ => None,
            })
    }
}

/// The list of strings at `path`. A container on the way that is not an object
/// (`"realm_access": ["admin"]`) makes the claim the wrong type, not absent: absent may be
/// declared empty, and a mangled claim must never read as "none".
fn at(claims: &Value, path: &[&str]) -> (Vec<String>, Shape) {
    let mut node = claims;
    for key in path {
        match node {
            Value::Object(map) => match map.get(*key) {
                Some(next) => node = next,
                None => return (Vec::new(), Shape::Absent),
            },
            Value::Null => return (Vec::new(), Shape::Absent),
            other => return (Vec::new(), Shape::WrongType(type_of(other))),
        }
    }
    list(Some(node))
}

/// Keycloak's `organization` claim in both of its mapper's shapes
/// (`OrganizationMembershipMapper`): a list of aliases (the default), or an object keyed by
/// alias (when the organization's id or attributes are added: `{"acme": {"id": "…"}}`). A
/// single string is the wrong type, as for every list claim: "multivalued" off may have
/// dropped the other organizations.
fn organizations(v: Option<&Value>) -> (Vec<String>, Shape) {
    match v {
        Some(Value::Object(by_alias)) => (by_alias.keys().cloned().collect(), Shape::Present),
        other => list(other),
    }
}

/// The scope with which Keycloak sends all of a user's organizations.
pub const ALL_ORGANIZATIONS: &str = "organization:*";

fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// A list-of-strings claim. Anything else is the wrong type and yields no values: a single
/// string (a mapper with "multivalued" off), an object, a number, or a list with anything
/// but strings in it. A JSON `null` counts as absent (nothing was sent).
fn list(v: Option<&Value>) -> (Vec<String>, Shape) {
    match v {
        None | Some(Value::Null) => (Vec::new(), Shape::Absent),
        Some(Value::Array(items)) => {
            let strings: Option<Vec<String>> = items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect();
            match strings {
                Some(s) => (s, Shape::Present),
                None => (
                    Vec::new(),
                    Shape::WrongType("a list with items that are not strings"),
                ),
            }
        }
        Some(other) => (Vec::new(), Shape::WrongType(type_of(other))),
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
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
            },
            "organization": ["acme"]
        });
        let id = Identity::from_claims(&claims, "jitsi-bridge").unwrap();
        assert_eq!(id.subject, "0b7c-uuid");
        assert_eq!(id.display_name(), "Alice Moderator");
        assert_eq!(id.verified_email(), Some("alice@example.test"));
        assert_eq!(id.picture.as_deref(), Some("https://img.example/alice.png"));
        assert_eq!(id.groups, ["moderators", "/org/staff"]);
        assert_eq!(
            id.realm_roles,
            ["participant", "offline_access"],
            "a top-level roles claim is not read as realm roles"
        );
        assert_eq!(id.client_roles, ["host"]);
        assert!(
            Claim::ALL
                .iter()
                .all(|c| id.shapes.of(*c) == Shape::Present)
        );
        assert_eq!(id.wrong_types().count(), 0);
    }

    /// The claims Keycloak 26 puts into the ID token of a user in no group, with no role of
    /// the client and no address: it leaves `groups`, `resource_access` and `email` out
    /// instead of sending them empty (keycloak#22340).
    #[test]
    fn keycloak_leaves_empty_claims_out() {
        let claims = json!({
            "exp": 1_765_000_300, "iat": 1_765_000_000, "auth_time": 1_765_000_000,
            "jti": "onrtac:3f7c", "iss": "http://127.0.0.1:8080/realms/jitsi",
            "aud": "jitsi-bridge", "sub": "8a1e-uuid", "typ": "ID", "azp": "jitsi-bridge",
            "nonce": "n", "sid": "s", "at_hash": "h", "acr": "1",
            "email_verified": false, "realm_access": {"roles": ["default-roles-jitsi"]},
            "preferred_username": "frank", "name": "Frank", "given_name": "Frank"
        });
        let id = Identity::from_claims(&claims, "jitsi-bridge").unwrap();
        assert_eq!(id.shapes.groups, Shape::Absent);
        assert_eq!(id.shapes.client_roles, Shape::Absent);
        assert_eq!(id.shapes.email, Shape::Absent);
        assert_eq!(id.shapes.realm_roles, Shape::Present);
        assert!(id.groups.is_empty() && id.client_roles.is_empty());
        // The same user from a client whose realm role mapper writes the top-level `roles`
        // (earlier setup-keycloak): not read, and not "none" either.
        let mut old = claims.clone();
        old["roles"] = old["realm_access"]["roles"].take();
        old.as_object_mut().unwrap().remove("realm_access");
        let id = Identity::from_claims(&old, "jitsi-bridge").unwrap();
        assert_eq!(id.shapes.realm_roles, Shape::Misplaced("roles"));
        assert!(id.realm_roles.is_empty());
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
    fn claims_of_the_wrong_type_yield_nothing_and_say_what_was_seen() {
        let claims = json!({
            "sub": "u", "picture": "javascript:alert(1)", "groups": [1, "ok", null],
            "roles": "single", "realm_access": {"roles": ["kept"]},
            "resource_access": {"c": {"roles": {"not": "a list"}}}, "email": 7
        });
        let id = Identity::from_claims(&claims, "c").unwrap();
        assert_eq!(id.picture, None);
        assert!(id.groups.is_empty());
        // A top-level `roles` is never read, whatever its type.
        assert_eq!(id.realm_roles, ["kept"]);
        assert!(id.client_roles.is_empty());
        assert_eq!(id.email, None);
        assert_eq!(
            id.wrong_types().collect::<Vec<_>>(),
            [
                (Claim::Groups, "a list with items that are not strings"),
                (Claim::ClientRoles, "an object"),
                (Claim::Email, "a number"),
            ]
        );
        // A container of the wrong type is not an absent claim.
        let mangled = Identity::from_claims(
            &json!({"sub": "u", "realm_access": ["banned"], "resource_access": {"c": ["banned"]}}),
            "c",
        )
        .unwrap();
        assert_eq!(mangled.shapes.realm_roles, Shape::WrongType("a list"));
        assert_eq!(mangled.shapes.client_roles, Shape::WrongType("a list"));
        let dotted = Identity::from_claims(
            &json!({"sub": "u", "resource_access": {"jitsi.bridge": {"roles": ["host"]}}}),
            "jitsi.bridge",
        )
        .unwrap();
        assert_eq!(dotted.client_roles, ["host"]);
        let null =
            Identity::from_claims(&json!({"sub": "u", "groups": null, "email": ""}), "c").unwrap();
        assert_eq!(null.shapes.groups, Shape::Absent);
        assert_eq!(null.shapes.email, Shape::Absent);
    }

    /// Both shapes of Keycloak's organization mapper, and the claim left out for a user in no
    /// organization (keycloak#50410).
    #[test]
    fn organizations_are_read_in_every_shape_keycloak_sends() {
        let shapes = [
            json!({"sub": "u", "organization": ["acme", "globex"]}),
            json!({"sub": "u", "organization": {
                "acme": {"id": "5f3c-uuid"},
                "globex": {"id": "9a1e-uuid", "country": ["DE"]}
            }}),
        ];
        for claims in shapes {
            let id = Identity::from_claims(&claims, "c").unwrap();
            assert_eq!(id.organizations, ["acme", "globex"], "{claims}");
            assert_eq!(id.shapes.organizations, Shape::Present);
        }
        let single =
            Identity::from_claims(&json!({"sub": "u", "organization": "acme"}), "c").unwrap();
        assert_eq!(single.shapes.organizations, Shape::WrongType("a string"));
        assert!(single.organizations.is_empty());
        let none = Identity::from_claims(&json!({"sub": "u"}), "c").unwrap();
        assert_eq!(none.shapes.organizations, Shape::Absent);
        let odd = Identity::from_claims(&json!({"sub": "u", "organization": 7}), "c").unwrap();
        assert_eq!(odd.shapes.organizations, Shape::WrongType("a number"));
        assert!(odd.organizations.is_empty());
    }

    /// What Keycloak granted, as its token response's `scope` says (seen with 26.7.3:
    /// `organization:*` is granted only to a member of at least one organization).
    #[test]
    fn organizations_are_whole_only_when_all_were_granted() {
        let claims = json!({"sub": "u", "organization": ["acme"]});
        let granted = |scope: &str| scope.split(' ').map(String::from).collect::<Vec<_>>();
        for (scope, shape) in [
            (Some("openid profile email organization:*"), Shape::Present),
            (
                Some("openid profile organization:acme email"),
                Shape::Partial,
            ),
            (Some("openid profile organization email"), Shape::Partial),
            (None, Shape::Partial),
        ] {
            let mut id = Identity::from_claims(&claims, "c").unwrap();
            let scopes = scope.map(granted);
            id.organizations_granted(scopes.as_deref());
            assert_eq!(id.shapes.organizations, shape, "{scope:?}");
            assert_eq!(id.organizations, ["acme"], "the values still hold");
        }
        let mut none = Identity::from_claims(&json!({"sub": "u"}), "c").unwrap();
        none.organizations_granted(Some(&granted("openid profile email")));
        assert_eq!(none.shapes.organizations, Shape::Absent);
    }

    #[test]
    fn absent_means_empty_is_a_set_of_claims() {
        let set = AbsentMeansEmpty::of([Claim::Groups, Claim::Email]);
        assert!(set.contains(Claim::Groups) && set.contains(Claim::Email));
        assert!(!set.contains(Claim::ClientRoles));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Claim::Groups, Claim::Email]
        );
        assert_eq!(Claim::from_name("realm_roles"), Some(Claim::RealmRoles));
        assert_eq!(Claim::from_name("roles"), None);
    }

    #[test]
    fn refuses_tokens_without_subject() {
        assert_eq!(Identity::from_claims(&json!({}), "c"), None);
        assert_eq!(Identity::from_claims(&json!({"sub": ""}), "c"), None);
        assert_eq!(Identity::from_claims(&json!({"sub": 7}), "c"), None);
    }
}
