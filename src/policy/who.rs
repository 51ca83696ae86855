//! Sets of users (by Keycloak groups, roles, e-mail domains and organizations) and how a user is matched
//! against one when the ID token does not carry every claim the set asks about.
//!
//! The one rule for unknown claims, used by `[access]`, `[[rules]]` and `[moderators]` alike:
//! - a part that can only **give** (an allow rule, `[access]`'s list, `[moderators]`) reads an
//!   absent list claim as empty and a claim of the wrong type (or an unverified address) as
//!   matching nothing: the user simply is not in the set, and the next rule decides. Keycloak
//!   leaves `groups` out for a user in no group (keycloak#22340) and client roles out for a
//!   user without any, so absence is usually just "none".
//! - a part that **takes away** (`allow = false`) cannot be decided when a claim it asks about
//!   is absent, of the wrong type, or (for e-mail domains) absent or not verified: the login
//!   is refused, naming the claim, rather than let a user the rule was meant for through.
//! - `oidc.absent_means_empty` names the claims whose mapper the operator knows is there; for
//!   them absence is "empty" in both kinds of part. Not for organizations: their scope is
//!   asked for through the browser, which can drop it, and it can narrow it to one
//!   organization, so a deny by organization trusts only a login granted `organization:*`.
//!
//! A match of any one listed value decides a match, whatever the other claims say.

use crate::jitsi::tenant::Tenant;
use crate::policy::claims::{ALL_ORGANIZATIONS, AbsentMeansEmpty, Claim, Identity, Shape};

/// In `organizations`: the organization whose alias is the room's tenant.
pub const TENANT_ORGANIZATION: &str = "{tenant}";

/// Why a list of organizations holds a misspelt placeholder (`{Tenant}`, `{ tenant }`), if it
/// does: it would be taken as an alias and match nobody.
pub fn misspelt_placeholder(names: &[String]) -> Option<String> {
    let bad = names
        .iter()
        .find(|n| n.as_str() != TENANT_ORGANIZATION && (n.contains('{') || n.contains('}')))?;
    Some(format!(
        "{bad:?} is not an organization alias: the only placeholder is \"{TENANT_ORGANIZATION}\""
    ))
}

/// A set of users, by Keycloak groups, roles, e-mail domains and organizations (any one
/// suffices).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    pub groups: Vec<String>,
    pub realm_roles: Vec<String>,
    pub client_roles: Vec<String>,
    /// Lower case, without `@`.
    pub email_domains: Vec<String>,
    /// Organization aliases, or [`TENANT_ORGANIZATION`].
    pub organizations: Vec<String>,
}

/// Whether the part that asks can only give, or can take away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Gives,
    TakesAway,
}

/// How a claim a set asked about was read, when it was not simply there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Absent, read as empty because the part only gives.
    AbsentAsEmpty,
    /// Absent, read as empty because `oidc.absent_means_empty` names it.
    DeclaredEmpty,
    /// Absent, in a part that takes away: undecidable.
    Absent,
    /// Of the wrong type (what was seen): matches nothing; undecidable where it takes away.
    WrongType(&'static str),
    /// Absent where the bridge reads it, while a claim of this name is there: the same.
    Misplaced(&'static str),
    /// An e-mail address that is not verified: matches no domain; undecidable where it takes
    /// away.
    NotVerified,
    /// Organizations from a login not granted `organization:*`: they grant, and a part that
    /// takes away and does not match them cannot decide.
    Partial,
}

/// One claim a set asked about and how it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note {
    pub claim: Claim,
    pub reading: Reading,
    pub part: Part,
}

impl Note {
    /// Whether this reading leaves a part that takes away undecided.
    pub fn undecidable(&self) -> bool {
        self.part == Part::TakesAway
            && matches!(
                self.reading,
                Reading::Absent
                    | Reading::WrongType(_)
                    | Reading::Misplaced(_)
                    | Reading::NotVerified
                    | Reading::Partial
            )
    }

    /// Whether the claim was not in the token (for the missing-claim metric).
    pub fn absent(&self) -> bool {
        matches!(self.reading, Reading::Absent | Reading::AbsentAsEmpty)
    }

    /// What happened, as `explain` shows it.
    pub fn describe(&self) -> String {
        let name = self.claim.in_token();
        let cannot = if self.undecidable() {
            "cannot decide: "
        } else {
            ""
        };
        match (self.claim, self.reading) {
            (Claim::Email, Reading::AbsentAsEmpty) => "no e-mail address: no domain matches".into(),
            (Claim::Email, Reading::DeclaredEmpty) => {
                "no e-mail address: none (oidc.absent_means_empty)".into()
            }
            (Claim::Email, Reading::Absent) => format!("{cannot}no e-mail address"),
            (Claim::Email, Reading::NotVerified) if self.undecidable() => {
                format!("{cannot}no verified e-mail address")
            }
            (Claim::Email, Reading::NotVerified) => {
                "the e-mail address is not verified: no domain matches".into()
            }
            (Claim::Email, Reading::WrongType(seen)) => {
                let tail = if self.undecidable() { "" } else { ": ignored" };
                format!("{cannot}\"email\" is {seen}, not a string{tail}")
            }
            (_, Reading::AbsentAsEmpty) => format!("no \"{name}\" claim: treated as empty"),
            (_, Reading::DeclaredEmpty) => {
                format!("no \"{name}\" claim: empty (oidc.absent_means_empty)")
            }
            (_, Reading::Absent) => format!("{cannot}no \"{name}\" claim"),
            (_, Reading::WrongType(seen)) => {
                let tail = if self.undecidable() { "" } else { ": ignored" };
                format!("{cannot}\"{name}\" is {seen}, not a list of strings{tail}")
            }
            (_, Reading::Misplaced(other)) => {
                let tail = if self.undecidable() { "" } else { ": none" };
                format!(
                    "{cannot}no \"{name}\" claim, and a top-level \"{other}\" claim is not read as it{tail}"
                )
            }
            (_, Reading::NotVerified) => "the e-mail address is not verified".into(),
            (_, Reading::Partial) => format!(
                "{cannot}\"{name}\" may be incomplete: the login was not granted \"{ALL_ORGANIZATIONS}\""
            ),
        }
    }

    /// What the administrator can change, for the log and the folded part of the page.
    pub fn advice(&self) -> String {
        let key = self.claim.name();
        match (self.claim, self.reading) {
            (_, Reading::DeclaredEmpty) => String::new(),
            (Claim::Email, Reading::NotVerified) if self.part == Part::Gives => {
                "the user's e-mail address is not verified, and e-mail domains match only \
                 verified addresses: have the user verify it (Keycloak's \"Verify Email\" \
                 required action) or mark it verified"
                    .into()
            }
            (Claim::Email, Reading::NotVerified) => {
                "the user's e-mail address is not verified, and a rule that denies by e-mail \
                 domain trusts only verified addresses: have the user verify it (Keycloak's \
                 \"Verify Email\" required action) or mark it verified"
                    .into()
            }
            (Claim::Email, Reading::AbsentAsEmpty) => format!(
                "the ID token has no e-mail address: the user has none, or the client does not \
                 get the \"email\" scope ({})",
                self.claim.mapper_advice()
            ),
            (Claim::Organizations, Reading::AbsentAsEmpty) => format!(
                "the ID token has no \"organization\" claim: Keycloak leaves it out for a user \
                 in no organization, and when the login does not get the organization scope; \
                 if members are refused too, {}",
                self.claim.mapper_advice()
            ),
            (Claim::Organizations, Reading::Absent) => format!(
                "the ID token has no \"organization\" claim: the user is in no organization, or \
                 the login did not get the organization scope (the browser carries the request \
                 and can drop it), and a rule that denies by organization cannot tell the two \
                 apart; name the organizations that may enter in allow rules instead, and if \
                 members are refused too, {}",
                self.claim.mapper_advice()
            ),
            (Claim::Organizations, Reading::WrongType(seen)) => format!(
                "the ID token's \"organization\" claim is {seen}, not a list or an object keyed \
                 by alias: check the client scope's \"Organization Membership\" mapper \
                 (Multivalued on)"
            ),
            (_, Reading::Partial) => format!(
                "the login was not granted \"{ALL_ORGANIZATIONS}\" (the token response's scope), \
                 so the \"organization\" claim may leave out some of the user's organizations: \
                 the browser changed the authorization request's scope (oidc.scopes asks for it)"
            ),
            (_, Reading::AbsentAsEmpty) => format!(
                "the ID token has no \"{}\" claim: Keycloak leaves it out for a user who has \
                 none, and when the client has no mapper for it; if users should have it, {}",
                self.claim.in_token(),
                self.claim.mapper_advice()
            ),
            (Claim::Email, Reading::Absent) => format!(
                "the ID token has no e-mail address: the user has none, or the client does not \
                 get the \"email\" scope ({}); if every address reaches the token, add \
                 \"email\" to oidc.absent_means_empty",
                self.claim.mapper_advice()
            ),
            (_, Reading::Absent) => format!(
                "the ID token has no \"{}\" claim: Keycloak leaves it out for a user who has \
                 none, and when the client has no mapper for it; if the mapper is there, add \
                 \"{key}\" to oidc.absent_means_empty (a tenant with its own realm: its \
                 [tenants.<name>.oidc] section; doctor checks it), otherwise {}",
                self.claim.in_token(),
                self.claim.mapper_advice()
            ),
            (Claim::Email, Reading::WrongType(seen)) => format!(
                "the ID token's \"email\" claim is {seen}, not a string: check the client's email mapper"
            ),
            (_, Reading::WrongType(seen)) => format!(
                "the ID token's \"{}\" claim is {seen}, not a list of strings: turn on \
                 \"Multivalued\" in its mapper",
                self.claim.in_token()
            ),
            (_, Reading::Misplaced(other)) => format!(
                "the ID token has a top-level \"{other}\" claim but no \"{}\": the bridge reads \
                 realm roles only where Keycloak puts them, since any mapper (a user attribute \
                 one too) may write \"{other}\". Set the realm role mapper's Token Claim Name \
                 to \"{}\" (setup-keycloak does)",
                self.claim.in_token(),
                self.claim.in_token()
            ),
            (_, Reading::NotVerified) => String::new(),
        }
    }
}

/// The outcome of matching a user against a set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Test {
    /// What matched, e.g. `group moderators`.
    pub matched: Option<String>,
    /// Every claim the set asked about that was not simply there.
    pub notes: Vec<Note>,
}

impl Test {
    /// A part that takes away and neither matched nor could rule the user out.
    pub fn undecided(&self) -> bool {
        self.matched.is_none() && self.notes.iter().any(Note::undecidable)
    }
}

impl Who {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.realm_roles.is_empty()
            && self.client_roles.is_empty()
            && self.email_domains.is_empty()
            && self.organizations.is_empty()
    }

    /// Matches `id` entering a room under `tenant` against the set for a part of the given
    /// kind.
    pub fn test(
        &self,
        id: &Identity,
        tenant: Option<&Tenant>,
        part: Part,
        declared: AbsentMeansEmpty,
    ) -> Test {
        let mut notes = Vec::new();
        let mut note = |claim: Claim, asked: bool| {
            if !asked {
                return;
            }
            // An address at hand is there, whatever built the identity.
            let shape = match claim {
                Claim::Email if id.email.is_some() => Shape::Present,
                _ => id.shapes.of(claim),
            };
            let reading = match shape {
                Shape::Present if claim == Claim::Email && !id.email_verified => {
                    Reading::NotVerified
                }
                Shape::Present => return,
                Shape::Absent if declared.contains(claim) => Reading::DeclaredEmpty,
                Shape::Absent if part == Part::Gives => Reading::AbsentAsEmpty,
                Shape::Absent => Reading::Absent,
                Shape::WrongType(seen) => Reading::WrongType(seen),
                Shape::Misplaced(other) => Reading::Misplaced(other),
                // What is there is true, and a grant needs no more.
                Shape::Partial if part == Part::Gives => return,
                Shape::Partial => Reading::Partial,
            };
            notes.push(Note {
                claim,
                reading,
                part,
            });
        };
        note(Claim::Groups, !self.groups.is_empty());
        note(Claim::RealmRoles, !self.realm_roles.is_empty());
        note(Claim::ClientRoles, !self.client_roles.is_empty());
        note(Claim::Email, !self.email_domains.is_empty());
        note(Claim::Organizations, !self.organizations.is_empty());
        Test {
            matched: self.matched_by(id, tenant),
            notes,
        }
    }

    /// What made `id` (entering a room under `tenant`) match, e.g. `group moderators`; `None`
    /// when nothing does. Values of a claim of the wrong type never reach here (they are read
    /// as none).
    pub fn matched_by(&self, id: &Identity, tenant: Option<&Tenant>) -> Option<String> {
        if let Some(g) = self
            .groups
            .iter()
            .find(|want| id.groups.iter().any(|have| group_matches(want, have)))
        {
            return Some(format!("group {g}"));
        }
        if let Some(r) = self.realm_roles.iter().find(|r| id.realm_roles.contains(r)) {
            return Some(format!("realm role {r}"));
        }
        if let Some(r) = self
            .client_roles
            .iter()
            .find(|r| id.client_roles.contains(r))
        {
            return Some(format!("client role {r}"));
        }
        let domain = id
            .verified_email()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        if let Some(d) = self
            .email_domains
            .iter()
            .find(|d| domain.as_deref() == Some(d.as_str()))
        {
            return Some(format!("verified e-mail domain {d}"));
        }
        for want in &self.organizations {
            if want == TENANT_ORGANIZATION {
                // The alias must be the tenant as Prosody names it (`Tenant::canonical`), exactly:
                // folding the aliases too would let `ACME` and `acme`, two organizations, share
                // one tenant.
                let tenant = tenant.map(Tenant::canonical);
                if let Some(o) = id
                    .organizations
                    .iter()
                    .find(|o| tenant.as_deref() == Some(o.as_str()))
                {
                    return Some(format!("organization {o} (the tenant's)"));
                }
            } else if id.organizations.contains(want) {
                return Some(format!("organization {want}"));
            }
        }
        None
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
