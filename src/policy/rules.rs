//! Who may enter, who moderates, which features: the decision, as data. Pure: an
//! [`Identity`], a room and a tenant in; a [`Decision`] out, with the reason for each part.
//!
//! Order of evaluation (the same input always gives the same decision):
//! 1. `[access]`: who may get a token at all. Empty means every authenticated user.
//! 2. `[[rules]]`, top to bottom: the **first rule that matches** (room pattern, tenant and
//!    user conditions) decides. `allow = false` denies; otherwise its settings apply and
//!    anything it leaves unset falls back to the defaults.
//! 3. Defaults: moderator from `[moderators]`, no `context.features`, the realm's token
//!    lifetime; a moderator passes the lobby.
//!
//! Matching users: a [`Who`] lists groups, realm roles, client roles, e-mail domains and
//! Keycloak organizations (`"{tenant}"`: the one whose alias is the room's tenant); a
//! user matches when any one of them matches (an empty `Who` matches everyone in rules and
//! `[access]`, and no one in `[moderators]`). Group names match Keycloak's two shapes: a
//! name starting with `/` is a full path and must match exactly; a bare name matches the bare
//! claim value or a top-level group (`staff` matches `staff` and `/staff`, not `/org/staff`).
//! Role and group names are case-sensitive, as in Keycloak. E-mail domains match only
//! verified addresses, case-insensitively. Room patterns use `*` and `?` and are matched
//! against the room name in Jitsi's normalised form (NFKC, lower case, not encoded). Claims
//! the token does not carry, or carries with the wrong type, follow the rule in
//! [`crate::policy::who`]: they never grant, and a deny rule that cannot be decided refuses.

use crate::jitsi::room::RoomName;
use crate::jitsi::tenant::Tenant;
use crate::policy::claims::{AbsentMeansEmpty, Claim, Identity};
pub use crate::policy::decision::{Decision, Role, Verdict, Why};
use crate::policy::level::{Level, Levels, Reached, TooLow};
pub use crate::policy::who::Who;
use crate::policy::who::{Note, Part, Reading};
use std::collections::BTreeMap;
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

/// Features outside `MEET_FEATURES` that Prosody honours: `name-readonly`
/// (`mod_muc_displayname.lua`, `== true`: the token's name is kept on every presence) and
/// `live-translation-subscribe` (`mod_audio_translation_component.lua`, allowed unless
/// false).
pub const PROSODY_FEATURES: &[&str] = &["name-readonly", "live-translation-subscribe"];

/// Whether a rule may set `features.<name>`.
pub fn is_known_feature(name: &str) -> bool {
    JITSI_FEATURES.contains(&name) || PROSODY_FEATURES.contains(&name)
}

/// The `[moderators]` section: who is a moderator when no rule says otherwise.
pub type ModeratorPolicy = Who;

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
    /// Unset: moderators pass the lobby, members do not.
    pub lobby_bypass: Option<bool>,
    pub hidden_from_recorder: Option<bool>,
    pub security_bypass: Option<bool>,
    pub visitor: Option<bool>,
    pub room_lobby: Option<bool>,
    pub group: Option<String>,
    pub token_ttl_secs: Option<u64>,
    /// The level of authentication whoever enters the rule's rooms must reach
    /// ([`crate::policy::level`]).
    pub level: Option<Level>,
    pub reason: Option<String>,
}

impl Rule {
    /// Whether the rule is about this room (and tenant), whoever asks.
    pub(crate) fn covers(&self, room: &RoomName, tenant: Option<&Tenant>) -> bool {
        let room_ok = self.rooms.is_empty()
            || self
                .rooms
                .iter()
                .any(|p| WildMatch::new(p).matches(room.normalised()));
        let tenant_ok = self.tenants.is_empty()
            || tenant.is_some_and(|t| self.tenants.contains(&t.canonical()));
        room_ok && tenant_ok
    }
}

/// All rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub access: Access,
    pub rules: Vec<Rule>,
    /// Show a rule's `reason` to denied users (it is always logged).
    pub show_reasons: bool,
    /// `[step_up] levels`: the levels rules may name.
    pub levels: Levels,
}

impl Policy {
    /// The level of authentication `room` (under `tenant`) needs, and the rule that asks for
    /// it: the highest level of the rules covering the room. The user is not known yet when
    /// this is asked, so a rule's user conditions do not narrow it: whoever enters those
    /// rooms signs in at that level.
    pub fn level_needed(
        &self,
        room: &RoomName,
        tenant: Option<&Tenant>,
    ) -> Option<(Level, String)> {
        self.rules
            .iter()
            .filter(|r| r.covers(room, tenant))
            .filter_map(|r| r.level.clone().map(|l| (l, r.name.clone())))
            .fold(None, |best, (l, by)| match best {
                Some((ref b, _)) if b.number >= l.number => best,
                _ => Some((l, by)),
            })
    }

    /// Whether the ID token's `acr` reaches the level `room` needs (`Ok(None)`: it needs
    /// none).
    pub fn check_level(
        &self,
        room: &RoomName,
        tenant: Option<&Tenant>,
        acr: Option<&serde_json::Value>,
    ) -> Result<Option<Level>, TooLow> {
        let Some((needed, by)) = self.level_needed(room, tenant) else {
            return Ok(None);
        };
        match self.levels.reached(acr) {
            Reached::Level(n, _) if n >= needed.number => Ok(Some(needed)),
            reached => Err(TooLow {
                needed,
                by,
                reached,
            }),
        }
    }
}

/// What the realm the user logged in through adds to the rules.
#[derive(Debug, Clone, Copy)]
pub struct RealmRules<'a> {
    pub moderators: &'a ModeratorPolicy,
    pub absent_means_empty: AbsentMeansEmpty,
}

/// Adds a `claims` line to the explanation for each claim a part could not read plainly.
fn note_claims(why: &mut Vec<Why>, part: &str, notes: &[Note]) {
    for n in notes {
        why.push(Why {
            part: "claims",
            value: n.claim.name().to_owned(),
            because: format!("{part}: {}", n.describe()),
        });
    }
}

fn deny(
    reason: Option<String>,
    by: String,
    undecided: bool,
    notes: Vec<Note>,
    mut why: Vec<Why>,
) -> Decision {
    why.push(Why {
        part: "access",
        value: "denied".into(),
        because: by.clone(),
    });
    let verdict = Verdict::Deny {
        reason,
        by,
        undecided,
        notes,
    };
    Decision::denied(verdict, why)
}

/// Notes worth a hint to the administrator (a declared-empty claim needs none), once each.
fn hints(notes: impl IntoIterator<Item = Note>) -> Vec<Note> {
    let mut out: Vec<Note> = Vec::new();
    for n in notes {
        let seen = out
            .iter()
            .any(|o| o.claim == n.claim && o.reading == n.reading);
        if !seen && !n.advice().is_empty() {
            out.push(n);
        }
    }
    out
}

/// Decides for `id` entering `room` (under `tenant`).
pub fn decide(
    policy: &Policy,
    realm: RealmRules<'_>,
    id: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
) -> Decision {
    let declared = realm.absent_means_empty;
    let mut why = Vec::new();

    // 1. [access]: an allow list, so it only gives.
    let access = &policy.access;
    if access.require_verified_email && id.verified_email().is_none() {
        return deny(
            access.reason.clone(),
            "[access] require_verified_email".into(),
            false,
            Vec::new(),
            why,
        );
    }
    let mut access_by = None;
    if !access.who.is_empty() {
        let test = access.who.test(id, tenant, Part::Gives, declared);
        note_claims(&mut why, "[access]", &test.notes);
        match test.matched {
            Some(by) => access_by = Some(by),
            None => {
                return deny(
                    access.reason.clone(),
                    "[access] (no listed group, role, domain or organization matches)".into(),
                    false,
                    hints(test.notes),
                    why,
                );
            }
        }
    }

    // 2. The first matching rule, else the defaults.
    let rule = match first_rule(policy, id, room, tenant, declared, &mut why) {
        Ok(rule) => rule,
        Err(denied) => return *denied,
    };
    why.push(Why {
        part: "access",
        value: "allowed".into(),
        because: match (rule, access_by) {
            (Some(r), _) => r.name.clone(),
            (None, Some(by)) => format!("[access]: {by}"),
            (None, None) => "any authenticated user (no [access] limits, no rule matched)".into(),
        },
    });
    if let Some((level, by)) = policy.level_needed(room, tenant) {
        why.push(Why {
            part: "level",
            value: level.to_string(),
            because: format!("{by} (acr checked after the login)"),
        });
    }

    // 3. Moderator: the rule, else [moderators] (which only gives).
    let role = match rule.and_then(|r| r.moderator.map(|m| (r, m))) {
        Some((r, m)) => {
            why.push(Why {
                part: "moderator",
                value: m.to_string(),
                because: r.name.clone(),
            });
            if m { Role::Moderator } else { Role::Member }
        }
        None => {
            let test = realm.moderators.test(id, tenant, Part::Gives, declared);
            note_claims(&mut why, "[moderators]", &test.notes);
            let (role, because) = match test.matched {
                Some(by) => (Role::Moderator, format!("[moderators]: {by}")),
                None => (Role::Member, "[moderators]: nothing matches".to_owned()),
            };
            why.push(Why {
                part: "moderator",
                value: (role == Role::Moderator).to_string(),
                because,
            });
            role
        }
    };
    effects(rule, role, why)
}

/// Whether a rule's user conditions hold: yes, no, or cannot be decided from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    Yes,
    No,
    Unknown,
}

/// A rule's user conditions (its users, and `require_verified_email`) for `id`, with how
/// each claim was read.
fn holds(
    r: &Rule,
    id: &Identity,
    tenant: Option<&Tenant>,
    declared: AbsentMeansEmpty,
) -> (Holds, Vec<Note>) {
    let part = if r.allow {
        Part::Gives
    } else {
        Part::TakesAway
    };
    let (users, mut notes) = if r.who.is_empty() {
        (Holds::Yes, Vec::new())
    } else {
        let t = r.who.test(id, tenant, part, declared);
        let users = match (&t.matched, t.undecided()) {
            (Some(_), _) => Holds::Yes,
            (None, true) => Holds::Unknown,
            (None, false) => Holds::No,
        };
        (users, t.notes)
    };
    let email = if !r.require_verified_email || id.verified_email().is_some() {
        Holds::Yes
    } else if id.email.is_none() && declared.contains(Claim::Email) {
        // Declared: no address at all, so certainly no verified one.
        Holds::No
    } else if part == Part::Gives {
        Holds::No
    } else {
        // A deny for verified users cannot rule out a user whose address is unverified (or
        // not in the token): they may be one of them.
        let reading = if id.email.is_some() {
            Reading::NotVerified
        } else {
            Reading::Absent
        };
        notes.push(Note {
            claim: Claim::Email,
            reading,
            part,
        });
        Holds::Unknown
    };
    let both = match (users, email) {
        (Holds::No, _) | (_, Holds::No) => Holds::No,
        (Holds::Yes, Holds::Yes) => Holds::Yes,
        _ => Holds::Unknown,
    };
    (both, notes)
}

/// The first rule covering the room whose conditions hold; `Err` with the refusal when that
/// rule denies, or when a deny rule cannot be decided. An allow rule whose users cannot be
/// read plainly does not match (the next rule decides).
fn first_rule<'a>(
    policy: &'a Policy,
    id: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
    declared: AbsentMeansEmpty,
    why: &mut Vec<Why>,
) -> Result<Option<&'a Rule>, Box<Decision>> {
    let mut skipped = Vec::new();
    for r in policy.rules.iter().filter(|r| r.covers(room, tenant)) {
        let (holds, notes) = holds(r, id, tenant, declared);
        note_claims(why, &r.name, &notes);
        match (holds, r.allow) {
            (Holds::Yes, true) => return Ok(Some(r)),
            (Holds::Yes, false) => {
                // Denied after allow rules for the same room that did not match: the claims
                // they could not read are the likely culprits when a mapper is missing.
                let (reason, by) = (r.reason.clone(), r.name.clone());
                return Err(Box::new(deny(
                    reason,
                    by,
                    false,
                    hints(skipped),
                    std::mem::take(why),
                )));
            }
            (Holds::Unknown, false) => {
                let undecidable: Vec<Note> = notes.into_iter().filter(Note::undecidable).collect();
                let what = undecidable
                    .iter()
                    .map(Note::describe)
                    .collect::<Vec<_>>()
                    .join("; ");
                // The rule's own reason would be a guess about this user; none is shown.
                let by = format!("{} ({what})", r.name);
                return Err(Box::new(deny(
                    None,
                    by,
                    true,
                    undecidable,
                    std::mem::take(why),
                )));
            }
            (_, true) => skipped.extend(notes),
            (Holds::No, false) => {}
        }
    }
    Ok(None)
}

/// What the deciding rule (or the defaults) put into the token beyond the role.
fn effects(rule: Option<&Rule>, role: Role, mut why: Vec<Why>) -> Decision {
    let from_rule = |part: &'static str, value: String, set: bool| Why {
        part,
        value,
        because: match rule {
            Some(r) if set => r.name.clone(),
            _ => "default".into(),
        },
    };
    let features = rule.map(|r| r.features.clone()).unwrap_or_default();
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

    let set_lobby_bypass = rule.and_then(|r| r.lobby_bypass);
    let lobby_bypass = set_lobby_bypass.unwrap_or(role == Role::Moderator);
    why.push(match set_lobby_bypass {
        Some(_) => from_rule("lobby_bypass", lobby_bypass.to_string(), true),
        None if lobby_bypass => Why {
            part: "lobby_bypass",
            value: "true".into(),
            because: "default for moderators (not held in their own lobby)".into(),
        },
        None => from_rule("lobby_bypass", "false".into(), false),
    });
    let flag = |get: fn(&Rule) -> Option<bool>| rule.and_then(get);
    let hidden = flag(|r| r.hidden_from_recorder);
    let security_bypass = flag(|r| r.security_bypass);
    let visitor = flag(|r| r.visitor);
    let room_lobby = flag(|r| r.room_lobby);
    for (part, value) in [
        ("hidden_from_recorder", hidden),
        ("security_bypass", security_bypass),
        ("visitor", visitor),
        ("room_lobby", room_lobby),
    ] {
        if let Some(v) = value {
            why.push(from_rule(part, v.to_string(), true));
        }
    }
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
        lobby_bypass,
        hidden_from_recorder: hidden.unwrap_or(false),
        security_bypass: security_bypass.unwrap_or(false),
        visitor: visitor.unwrap_or(false),
        room_lobby,
        group,
        token_ttl_secs,
        why,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod claim_states;

#[cfg(test)]
mod levels;
