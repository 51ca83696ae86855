//! Reading `[access]` and `[[rules]]`: who may enter which room and with which rights, each
//! rule checked whole (room patterns, tenants, features, what a deny rule may not set).

use super::reader::Reader;
use super::*;

impl Reader<'_> {
    /// `[access]` and `[[rules]]`.
    pub(super) fn policy(&mut self) -> Policy {
        let access = Access {
            who: Who {
                groups: self.names("access.groups"),
                realm_roles: self.names("access.realm_roles"),
                client_roles: self.names("access.client_roles"),
                email_domains: self.domains("access.email_domains"),
            },
            require_verified_email: self.get("access.require_verified_email", false),
            reason: self.opt("access.reason"),
        };
        let show_reasons = self.get("access.show_reasons", true);
        let raw: Vec<RuleConfig> = self.opt("rules").unwrap_or_default();
        let mut rules = Vec::new();
        for (i, rc) in raw.into_iter().enumerate() {
            let key = format!("rules[{i}]");
            rules.push(self.rule(&key, rc));
        }
        Policy {
            access,
            rules,
            show_reasons,
        }
    }

    pub(super) fn rule(&mut self, key: &str, rc: RuleConfig) -> Rule {
        let tenants = self.rule_where(key, &rc);
        self.rule_effects(key, &rc);
        let email_domains = self.rule_who(key, &rc);
        Rule {
            name: rc.name.unwrap_or_else(|| key.to_owned()),
            rooms: rc.rooms.iter().map(|p| p.to_lowercase()).collect(),
            tenants,
            who: Who {
                groups: rc.groups,
                realm_roles: rc.realm_roles,
                client_roles: rc.client_roles,
                email_domains,
            },
            require_verified_email: rc.require_verified_email,
            allow: rc.allow,
            moderator: rc.moderator,
            features: rc.features,
            lobby_bypass: rc.lobby_bypass,
            hidden_from_recorder: rc.hidden_from_recorder,
            security_bypass: rc.security_bypass,
            visitor: rc.visitor,
            room_lobby: rc.room_lobby,
            group: rc.group,
            token_ttl_secs: rc.token_ttl_secs,
            reason: rc.reason,
        }
    }

    fn rule_problem(&mut self, key: &str, field: &str, message: String) {
        self.problem(&format!("{key}.{field}"), message);
    }

    /// The rooms and tenants a rule applies to; the tenants in canonical form.
    fn rule_where(&mut self, key: &str, rc: &RuleConfig) -> Vec<String> {
        for p in &rc.rooms {
            if p.is_empty()
                || p.chars().count() > 128
                || p.contains(['/', '\\'])
                || p.chars().any(char::is_control)
            {
                self.rule_problem(
                    key,
                    "rooms",
                    format!(
                        "{p:?} is not a room pattern (1-128 characters, * and ? as wildcards, no /)"
                    ),
                );
            }
        }
        let mut tenants = Vec::new();
        for t in &rc.tenants {
            match Tenant::parse(t) {
                Ok(t) => tenants.push(t.canonical()),
                Err(e) => self.rule_problem(key, "tenants", format!("{t:?}: {e}")),
            }
        }
        tenants
    }

    /// What a rule gives: Jitsi features, lifetime, group, lobby; a deny gives nothing.
    fn rule_effects(&mut self, key: &str, rc: &RuleConfig) {
        for name in rc.features.keys() {
            if !is_known_feature(name) {
                self.rule_problem(
                    key,
                    "features",
                    format!(
                        "{name:?} is not a Jitsi feature (known: {}, {})",
                        JITSI_FEATURES.join(", "),
                        PROSODY_FEATURES.join(", ")
                    ),
                );
            }
        }
        if let Some(ttl) = rc.token_ttl_secs {
            if !(60..=86_400).contains(&ttl) {
                self.rule_problem(key, "token_ttl_secs", "must be between 60 and 86400".into());
            }
        }
        if let Some(g) = &rc.group {
            if g.is_empty() || g.len() > 256 || g.chars().any(char::is_control) {
                self.rule_problem(key, "group", "must be 1 to 256 printable characters".into());
            }
        }
        let sets_effects = rc.moderator.is_some()
            || !rc.features.is_empty()
            || rc.lobby_bypass.is_some()
            || rc.hidden_from_recorder.is_some()
            || rc.security_bypass.is_some()
            || rc.visitor.is_some()
            || rc.room_lobby.is_some()
            || rc.group.is_some()
            || rc.token_ttl_secs.is_some();
        if rc.room_lobby.is_some() && rc.moderator != Some(true) {
            // jitsi-contrib's token_security_ondemand applies it on every join of such a user:
            // from a member's token it would switch off a lobby the moderators turned on.
            self.rule_problem(
                key,
                "room_lobby",
                "only a rule that makes its users moderators (moderator = true) may turn the room's lobby on or off".into(),
            );
        }
        if !rc.allow && sets_effects {
            self.rule_problem(key, "allow", "a rule with allow = false denies; it cannot also set moderator, features, lobby_bypass, hidden_from_recorder, security_bypass, visitor, room_lobby, group or token_ttl_secs".into());
        }
    }

    /// Whom a rule names; the e-mail domains lower-cased, without a leading `@`.
    fn rule_who(&mut self, key: &str, rc: &RuleConfig) -> Vec<String> {
        for (field, names) in [
            ("groups", &rc.groups),
            ("realm_roles", &rc.realm_roles),
            ("client_roles", &rc.client_roles),
        ] {
            if names.iter().any(|n| n.trim().is_empty()) {
                self.rule_problem(key, field, "contains an empty name".into());
            }
        }
        let email_domains = rc
            .email_domains
            .iter()
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect::<Vec<_>>();
        if email_domains
            .iter()
            .any(|d| d.is_empty() || !d.contains('.') || d.contains('@'))
        {
            self.rule_problem(
                key,
                "email_domains",
                "entries must be domains like example.org".into(),
            );
        }
        email_domains
    }

    /// E-mail domains: lower case, without a leading `@`.
    pub(super) fn domains(&mut self, key: &str) -> Vec<String> {
        let raw: Vec<String> = self.get(key, Vec::new());
        let domains: Vec<String> = raw
            .iter()
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect();
        if domains
            .iter()
            .any(|d| d.is_empty() || !d.contains('.') || d.contains('@'))
        {
            self.problem(key, "entries must be domains like example.org".into());
        }
        domains
    }
}
