//! Who may enter, who moderates, which features: the decision, as data. Pure: an
//! [`Identity`], a room and a tenant in; a [`Decision`] out, with the reason for each part.
//!
//! Order of evaluation (the same input always gives the same decision):
//! 1. `[access]`: who may get a token at all. Empty means every authenticated user.
//! 2. `[[rules]]`, top to bottom: the **first rule that matches** (room pattern, tenant and
//!    user conditions) decides. `allow = false` denies; otherwise its settings apply and
//!    anything it leaves unset falls back to the defaults.
//! 3. Defaults: moderator from `[moderators]`, no `context.features`, the realm's token
//!    lifetime.
//!
//! Matching users: a [`Who`] lists groups, realm roles, client roles and e-mail domains; a
//! user matches when any one of them matches (an empty `Who` matches everyone in rules and
//! `[access]`, and no one in `[moderators]`). Group names match Keycloak's two shapes: a
//! name starting with `/` is a full path and must match exactly; a bare name matches the bare
//! claim value or a top-level group (`staff` matches `staff` and `/staff`, not `/org/staff`).
//! Role and group names are case-sensitive, as in Keycloak. E-mail domains match only
//! verified addresses, case-insensitively. Room patterns use `*` and `?` and are matched
//! against the room name in Jitsi's normalised form (NFKC, lower case, not encoded).

use crate::jitsi::room::RoomName;
use crate::jitsi::tenant::Tenant;
use crate::policy::claims::Identity;
use std::collections::BTreeMap;
use std::fmt::Write;
use wildmatch::WildMatch;

/// The feature names jitsi-meet knows (`react/features/base/jwt/constants.ts`, `MEET_FEATURES`).
pub const JITSI_FEATURES: &[&str] = &[
    "branding",
    "calendar",
    "create-polls",
    "file-upload",
    "flip",
    "inbound-call",
    "list-visitors",
    "livestreaming",
    "live-translation",
    "lobby",
    "moderation",
    "outbound-call",
    "recording",
    "room",
    "screen-sharing",
    "send-groupchat",
    "sip-inbound-call",
    "sip-outbound-call",
    "transcription",
];

/// What the token says about the user's rights in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `affiliation: owner`, `moderator: true`.
    Moderator,
    /// `affiliation: member`, `moderator: false`.
    Member,
}

/// A set of users, by Keycloak groups, roles and e-mail domains (any one suffices).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    pub groups: Vec<String>,
    pub realm_roles: Vec<String>,
    pub client_roles: Vec<String>,
    /// Lower case, without `@`.
    pub email_domains: Vec<String>,
}

/// The `[moderators]` section: who is a moderator when no rule says otherwise.
pub type ModeratorPolicy = Who;

impl Who {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.realm_roles.is_empty()
            && self.client_roles.is_empty()
            && self.email_domains.is_empty()
    }

    /// What made `id` match, e.g. `group moderators`; `None` when nothing does.
    pub fn matched_by(&self, id: &Identity) -> Option<String> {
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
        None
    }

    /// `[moderators]` semantics: moderator when something matches.
    pub fn role_of(&self, id: &Identity) -> Role {
        if self.matched_by(id).is_some() {
            Role::Moderator
        } else {
            Role::Member
        }
    }

    /// The ID-token claims this set looks at that the token did not carry.
    fn missing_in(&self, id: &Identity) -> Vec<MissingClaim> {
        let mut out = Vec::new();
        if !self.groups.is_empty() && !id.has_groups {
            out.push(MissingClaim::Groups);
        }
        if !self.realm_roles.is_empty() && !id.has_realm_roles {
            out.push(MissingClaim::RealmRoles);
        }
        if !self.client_roles.is_empty() && !id.has_client_roles {
            out.push(MissingClaim::ClientRoles);
        }
        out
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

/// A claim a rule needed that the ID token did not carry at all. Keycloak leaves a claim out
/// both when its mapper is missing and when the list is empty, so this is a hint, not proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingClaim {
    Groups,
    RealmRoles,
    ClientRoles,
}

impl MissingClaim {
    pub const ALL: [MissingClaim; 3] = [
        MissingClaim::Groups,
        MissingClaim::RealmRoles,
        MissingClaim::ClientRoles,
    ];

    /// For metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            MissingClaim::Groups => "groups",
            MissingClaim::RealmRoles => "realm_roles",
            MissingClaim::ClientRoles => "client_roles",
        }
    }

    /// The Keycloak mapper that puts this claim into the ID token.
    pub fn advice(self) -> &'static str {
        match self {
            MissingClaim::Groups => {
                "the ID token has no \"groups\" claim: add a \"Group Membership\" mapper (token claim name \"groups\", Add to ID token: on) to the client; Keycloak also leaves the claim out for a user in no group, so when rules name groups put every user in at least one (a default group)"
            }
            MissingClaim::RealmRoles => {
                "the ID token has no realm roles: add a \"User Realm Role\" mapper (token claim name \"roles\", multivalued, Add to ID token: on) to the client"
            }
            MissingClaim::ClientRoles => {
                "the ID token has no client roles: add a \"User Client Role\" mapper (token claim name \"resource_access.${client_id}.roles\", Add to ID token: on) to the client"
            }
        }
    }
}

/// `[access]`: who may get a token at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub who: Who,
    pub require_verified_email: bool,
    pub reason: Option<String>,
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// `rules[0]`, or the rule's `name`.
    pub name: String,
    /// Room patterns (lower case); empty means every room.
    pub rooms: Vec<String>,
    /// Tenants (lower case); empty means any tenant or none.
    pub tenants: Vec<String>,
    pub who: Who,
    pub require_verified_email: bool,
    pub allow: bool,
    pub moderator: Option<bool>,
    pub features: BTreeMap<String, bool>,
    pub lobby_bypass: Option<bool>,
    pub group: Option<String>,
    pub token_ttl_secs: Option<u64>,
    pub reason: Option<String>,
}

impl Rule {
    /// Whether the rule is about this room (and tenant), whoever asks.
    fn covers(&self, room: &RoomName, tenant: Option<&Tenant>) -> bool {
        let room_ok = self.rooms.is_empty()
            || self
                .rooms
                .iter()
                .any(|p| WildMatch::new(p).matches(room.normalised()));
        let tenant_ok = self.tenants.is_empty()
            || tenant.is_some_and(|t| self.tenants.contains(&t.canonical()));
        room_ok && tenant_ok
    }

    fn applies_to(&self, id: &Identity, room: &RoomName, tenant: Option<&Tenant>) -> bool {
        let who_ok = self.who.is_empty() || self.who.matched_by(id).is_some();
        let email_ok = !self.require_verified_email || id.verified_email().is_some();
        self.covers(room, tenant) && who_ok && email_ok
    }
}

/// All rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub access: Access,
    pub rules: Vec<Rule>,
    /// Show a rule's `reason` to denied users (it is always logged).
    pub show_reasons: bool,
}

/// Whether the user gets a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny {
        /// The configured reason, if any.
        reason: Option<String>,
        /// What denied: `[access]` or a rule name.
        by: String,
        /// Claims the deciding condition needed but the token lacked.
        missing: Vec<MissingClaim>,
    },
}

/// One line of the explanation: which part of the token, its value, and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub part: &'static str,
    pub value: String,
    pub because: String,
}

/// Everything the rules decide for one login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub role: Role,
    /// `context.features`; empty means the token carries none (Jitsi then lets moderators
    /// decide).
    pub features: BTreeMap<String, bool>,
    pub lobby_bypass: bool,
    pub group: Option<String>,
    /// Overrides the realm's token lifetime.
    pub token_ttl_secs: Option<u64>,
    pub why: Vec<Why>,
}

impl Decision {
    /// Allowed, with `role` and nothing else (no rules configured).
    pub fn plain(role: Role) -> Self {
        Self {
            verdict: Verdict::Allow,
            role,
            features: BTreeMap::new(),
            lobby_bypass: false,
            group: None,
            token_ttl_secs: None,
            why: Vec::new(),
        }
    }

    /// The explanation as aligned text lines.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        for w in &self.why {
            let _ = writeln!(out, "{:<14} {:<28} {}", w.part, w.value, w.because);
        }
        out
    }
}

/// Decides for `id` entering `room` (under `tenant`).
pub fn decide(
    policy: &Policy,
    moderators: &ModeratorPolicy,
    id: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
) -> Decision {
    let mut why = Vec::new();
    let deny =
        |reason: Option<String>, by: String, missing: Vec<MissingClaim>, mut why: Vec<Why>| {
            why.push(Why {
                part: "access",
                value: "denied".into(),
                because: by.clone(),
            });
            Decision {
                verdict: Verdict::Deny {
                    reason,
                    by,
                    missing,
                },
                role: Role::Member,
                features: BTreeMap::new(),
                lobby_bypass: false,
                group: None,
                token_ttl_secs: None,
                why,
            }
        };

    // 1. [access]
    let access = &policy.access;
    if access.require_verified_email && id.verified_email().is_none() {
        return deny(
            access.reason.clone(),
            "[access] require_verified_email".into(),
            Vec::new(),
            why,
        );
    }
    if !access.who.is_empty() && access.who.matched_by(id).is_none() {
        return deny(
            access.reason.clone(),
            "[access] (no listed group, role or domain matches)".into(),
            access.who.missing_in(id),
            why,
        );
    }

    // 2. The first matching rule. A rule for this room that asks about a claim the ID token
    //    does not carry at all cannot be decided; rather than skip it (and let a later rule
    //    decide instead), the login is refused with the missing mapper named.
    let mut rule = None;
    for r in policy.rules.iter().filter(|r| r.covers(room, tenant)) {
        if r.applies_to(id, room, tenant) {
            rule = Some(r);
            break;
        }
        let missing = r.who.missing_in(id);
        if !missing.is_empty() {
            // The rule's own reason would be a guess about this user; none is shown.
            let by = format!("{} (needs a claim the ID token does not carry)", r.name);
            return deny(None, by, missing, why);
        }
    }
    if let Some(r) = rule {
        if !r.allow {
            // Denied by a catch-all after more specific allow rules for the same room: the
            // claims those rules looked at are the likely culprits when missing.
            let missing = policy
                .rules
                .iter()
                .take_while(|other| !std::ptr::eq(*other, r))
                .filter(|other| other.allow && other.covers(room, tenant))
                .flat_map(|other| other.who.missing_in(id))
                .fold(Vec::new(), |mut acc, m| {
                    if !acc.contains(&m) {
                        acc.push(m);
                    }
                    acc
                });
            return deny(r.reason.clone(), r.name.clone(), missing, why);
        }
        why.push(Why {
            part: "access",
            value: "allowed".into(),
            because: r.name.clone(),
        });
    } else if access.who.is_empty() {
        why.push(Why {
            part: "access",
            value: "allowed".into(),
            because: "any authenticated user (no [access] limits, no rule matched)".into(),
        });
    } else {
        let by = access.who.matched_by(id).unwrap_or_default();
        why.push(Why {
            part: "access",
            value: "allowed".into(),
            because: format!("[access]: {by}"),
        });
    }

    // 3. Moderator: the rule, else [moderators].
    let role = match rule.and_then(|r| r.moderator.map(|m| (r, m))) {
        Some((r, m)) => {
            why.push(Why {
                part: "moderator",
                value: m.to_string(),
                because: r.name.clone(),
            });
            if m { Role::Moderator } else { Role::Member }
        }
        None => match moderators.matched_by(id) {
            Some(by) => {
                why.push(Why {
                    part: "moderator",
                    value: "true".into(),
                    because: format!("[moderators]: {by}"),
                });
                Role::Moderator
            }
            None => {
                why.push(Why {
                    part: "moderator",
                    value: "false".into(),
                    because: "[moderators]: nothing matches".into(),
                });
                Role::Member
            }
        },
    };

    let features = rule.map(|r| r.features.clone()).unwrap_or_default();
    let from_rule = |part: &'static str, value: String, set: bool| Why {
        part,
        value,
        because: match rule {
            Some(r) if set => r.name.clone(),
            _ => "default".into(),
        },
    };
    let feature_text = if features.is_empty() {
        "(none: Jitsi lets moderators decide)".to_owned()
    } else {
        features
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    why.push(from_rule("features", feature_text, !features.is_empty()));
    let lobby_bypass = rule.and_then(|r| r.lobby_bypass);
    why.push(from_rule(
        "lobby_bypass",
        lobby_bypass.unwrap_or(false).to_string(),
        lobby_bypass.is_some(),
    ));
    let group = rule.and_then(|r| r.group.clone());
    why.push(from_rule(
        "group",
        group.clone().unwrap_or_else(|| "(none)".into()),
        group.is_some(),
    ));
    let token_ttl_secs = rule.and_then(|r| r.token_ttl_secs);
    why.push(from_rule(
        "token_ttl_secs",
        token_ttl_secs.map_or_else(|| "(realm default)".into(), |t| t.to_string()),
        token_ttl_secs.is_some(),
    ));

    Decision {
        verdict: Verdict::Allow,
        role,
        features,
        lobby_bypass: lobby_bypass.unwrap_or(false),
        group,
        token_ttl_secs,
        why,
    }
}

#[cfg(test)]
mod tests;
