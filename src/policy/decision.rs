//! What the rules decide for one login, and why: the verdict, the rights the token carries,
//! and one line of explanation per part.

use crate::policy::who::Note;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What the token says about the user's rights in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `affiliation: owner`, `moderator: true`.
    Moderator,
    /// `affiliation: member`, `moderator: false`.
    Member,
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
        /// The denying rule could not be decided (a claim it asks about is absent, of the
        /// wrong type, or an address is not verified): `notes` say which.
        undecided: bool,
        /// The claims behind the denial that were not simply there: for an undecided rule
        /// the ones it could not read, otherwise those the deciding part and the allow rules
        /// before it read as empty or unreadable (the likely culprits when a mapper is
        /// missing).
        notes: Vec<Note>,
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
    /// `context.user.lobby_bypass`.
    pub lobby_bypass: bool,
    /// `context.user.hidden-from-recorder`.
    pub hidden_from_recorder: bool,
    /// `context.user.security_bypass`.
    pub security_bypass: bool,
    /// `context.user.role = "visitor"`.
    pub visitor: bool,
    /// `context.room.lobby`: turn the room's lobby on or off.
    pub room_lobby: Option<bool>,
    pub group: Option<String>,
    /// Overrides the realm's token lifetime.
    pub token_ttl_secs: Option<u64>,
    pub why: Vec<Why>,
}

impl Decision {
    /// Allowed, with `role` and nothing else (no rules configured). A moderator passes the
    /// lobby: otherwise they would wait behind their own lobby.
    pub fn plain(role: Role) -> Self {
        Self {
            verdict: Verdict::Allow,
            role,
            features: BTreeMap::new(),
            lobby_bypass: role == Role::Moderator,
            hidden_from_recorder: false,
            security_bypass: false,
            visitor: false,
            room_lobby: None,
            group: None,
            token_ttl_secs: None,
            why: Vec::new(),
        }
    }

    /// A denial: no rights at all.
    pub(super) fn denied(verdict: Verdict, why: Vec<Why>) -> Self {
        Self {
            verdict,
            lobby_bypass: false,
            why,
            ..Self::plain(Role::Member)
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
