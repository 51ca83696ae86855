//! Reading `[access]`, `[[rules]]` and `[step_up]`: who may enter which room, with which rights
//! and at which level of authentication, each rule checked whole (room patterns, tenants,
//! features, levels, what a deny rule may not set).

use super::reader::Reader;
use super::*;
use crate::policy::level::{Levels, MAX_LEVEL};

impl Reader<'_> {
    /// `[access]` and `[[rules]]`.
    pub(super) fn policy(&mut self) -> Policy {
        let access = Access {
            who: Who {
                groups: self.names("access.groups"),
                realm_roles: self.names("access.realm_roles"),
                client_roles: self.names("access.client_roles"),
                email_domains: self.domains("access.email_domains"),
                organizations: self.organization_names("access.organizations"),
            },
            require_verified_email: self.get("access.require_verified_email", false),
            reason: self.opt("access.reason"),
        };
        let show_reasons = self.get("access.show_reasons", true);
        let levels = self.levels();
        let raw: Vec<RuleConfig> = self.opt("rules").unwrap_or_default();
        let mut rules = Vec::new();
        for (i, rc) in raw.into_iter().enumerate() {
            let key = format!("rules[{i}]");
            rules.push(self.rule(&key, rc, &levels));
        }
        Policy {
            access,
            rules,
            show_reasons,
            levels,
        }
    }

    /// `step_up.levels`: ACR values (sent as `acr_values`, space-separated, so without
    /// spaces) with distinct Keycloak levels.
    fn levels(&mut self) -> Levels {
        let raw: BTreeMap<String, i64> = self.get("step_up.levels", BTreeMap::new());
        let mut by_name = BTreeMap::new();
        let mut seen: BTreeMap<u32, String> = BTreeMap::new();
        for (name, number) in raw {
            let key = format!("step_up.levels.{name}");
            self.known.insert(key.clone());
            if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_graphic()) {
                self.problem(
                    &key,
                    "a level's name is its ACR value: 1 to 64 printable ASCII characters, no spaces"
                        .into(),
                );
                continue;
            }
            let Some(number) = u32::try_from(number)
                .ok()
                .filter(|n| (1..=MAX_LEVEL).contains(n))
            else {
                self.problem(&key, format!("must be a level from 1 to {MAX_LEVEL}"));
                continue;
            };
            if let Some(other) = seen.insert(number, name.clone()) {
                self.problem(
                    &key,
                    format!(
                        "level {number} is already named {other:?}; each level needs its own number"
                    ),
                );
                continue;
            }
            by_name.insert(name, number);
        }
        Levels::new(by_name)
    }

    /// `[step_up]` beyond the levels: what `setup-keycloak` names and sets in Keycloak.
    pub(super) fn step_up(&mut self) -> StepUpConfig {
        let flow: String = self.get("step_up.flow", DEFAULT_STEP_UP_FLOW.to_owned());
        if flow.trim().is_empty() || flow.len() > 200 || flow.chars().any(char::is_control) {
            self.problem(
                "step_up.flow",
                "must be 1 to 200 printable characters".into(),
            );
        }
        let max_age_secs = self.ranged("step_up.max_age_secs", 0, 0..=86_400);
        StepUpConfig { flow, max_age_secs }
    }

    pub(super) fn rule(&mut self, key: &str, rc: RuleConfig, levels: &Levels) -> Rule {
        let tenants = self.rule_where(key, &rc);
        self.rule_effects(key, &rc);
        let email_domains = self.rule_who(key, &rc);
        let level = rc.level.as_deref().and_then(|name| {
            let level = levels.get(name);
            if level.is_none() {
                let known = levels
                    .ordered()
                    .into_iter()
                    .map(|l| l.name)
                    .collect::<Vec<_>>();
                self.rule_problem(
                    key,
                    "level",
                    if known.is_empty() {
                        format!(
                            "{name:?} is not a level: name the levels in [step_up] levels first"
                        )
                    } else {
                        format!(
                            "{name:?} is not a level of [step_up] levels ({})",
                            known.join(", ")
                        )
                    },
                );
            }
            level
        });
        Rule {
            name: rc.name.unwrap_or_else(|| key.to_owned()),
            rooms: rc.rooms.iter().map(|p| p.to_lowercase()).collect(),
            tenants,
            who: Who {
                groups: rc.groups,
                realm_roles: rc.realm_roles,
                client_roles: rc.client_roles,
                email_domains,
                organizations: rc.organizations,
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
            level,
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
            || rc.token_ttl_secs.is_some()
            || rc.level.is_some();
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
            self.rule_problem(key, "allow", "a rule with allow = false denies; it cannot also set moderator, features, lobby_bypass, hidden_from_recorder, security_bypass, visitor, room_lobby, group, token_ttl_secs or level".into());
        }
    }

    /// Whom a rule names; the e-mail domains lower-cased, without a leading `@`.
    fn rule_who(&mut self, key: &str, rc: &RuleConfig) -> Vec<String> {
        for (field, names) in [
            ("groups", &rc.groups),
            ("realm_roles", &rc.realm_roles),
            ("client_roles", &rc.client_roles),
            ("organizations", &rc.organizations),
        ] {
            if names.iter().any(|n| n.trim().is_empty()) {
                self.rule_problem(key, field, "contains an empty name".into());
            }
        }
        if let Some(problem) = crate::policy::who::misspelt_placeholder(&rc.organizations) {
            self.rule_problem(key, "organizations", problem);
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

#[cfg(test)]
mod tests {
    use crate::config::{Config, test_base};
    use crate::jitsi::room::RoomName;

    const JITSI: &str = r#"
        [jitsi]
        url = "https://meet.example.org"
        app_id = "jitsi-bridge"
        secret = "fedcba9876543210fedcba9876543210"
    "#;

    fn load(extra: &str) -> Result<Config, Vec<String>> {
        Config::from_toml(&format!("{}{JITSI}{extra}", test_base!()))
            .map_err(|e| e.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_rule_names_a_level_of_step_up_levels() {
        let c = load(
            r#"
            [step_up]
            levels = { password = 1, otp = 2 }
            max_age_secs = 3600
            [[rules]]
            name = "board room"
            rooms = ["board*"]
            level = "otp"
            "#,
        )
        .unwrap();
        let room = RoomName::parse("Board meeting").unwrap();
        let (needed, by) = c.policy.level_needed(&room, None).unwrap();
        assert_eq!((needed.name.as_str(), needed.number), ("otp", 2));
        assert_eq!(by, "board room");
        assert_eq!(c.step_up.max_age_secs, 3600);
        assert_eq!(c.step_up.flow, crate::config::DEFAULT_STEP_UP_FLOW);
    }

    #[test]
    fn levels_and_their_use_are_checked() {
        let problems = load(
            r#"
            [step_up]
            levels = { "pass word" = 1, otp = 2, also-two = 2, zero = 0 }
            flow = ""
            [[rules]]
            level = "gold"
            [[rules]]
            allow = false
            level = "otp"
            "#,
        )
        .unwrap_err()
        .join("\n");
        for needle in [
            "step_up.levels.pass word",
            "no spaces",
            "level 2 is already named",
            "step_up.levels.zero",
            "step_up.flow",
            "rules[0].level",
            "\"gold\" is not a level of [step_up] levels (also-two)",
            "token_ttl_secs or level",
        ] {
            assert!(problems.contains(needle), "{needle} not in\n{problems}");
        }
        let problems = load("[[rules]]\nlevel = \"otp\"\n").unwrap_err().join("\n");
        assert!(
            problems.contains("name the levels in [step_up] levels first"),
            "{problems}"
        );
    }

    #[test]
    fn rules_naming_organizations_need_the_organization_scope() {
        const RULE: &str = "[[rules]]\norganizations = [\"{tenant}\"]\n";
        let problems = load(RULE).unwrap_err().join("\n");
        assert!(
            problems.contains("oidc.scopes") && problems.contains("organization:*"),
            "{problems}"
        );
        let with_scope = format!(
            "{}{JITSI}{RULE}",
            test_base!().replace(
                "client_secret = ",
                "scopes = [\"openid\", \"organization:*\"]\nclient_secret = "
            )
        );
        let c = Config::from_toml(&with_scope).unwrap();
        assert_eq!(c.policy.rules[0].who.organizations, ["{tenant}"]);
        // One organization is not enough, a misspelt placeholder matches nothing, and the
        // claim cannot be declared empty.
        let one = with_scope.replace("organization:*", "organization");
        let problems = Config::from_toml(&one).unwrap_err().to_string();
        assert!(problems.contains("oidc.scopes"), "{problems}");
        let typo = with_scope.replace("{tenant}", "{Tenant}");
        let problems = Config::from_toml(&typo).unwrap_err().to_string();
        assert!(problems.contains("rules[0].organizations"), "{problems}");
        let declared = with_scope.replace(
            "client_secret = ",
            "absent_means_empty = [\"organizations\"]\nclient_secret = ",
        );
        let problems = Config::from_toml(&declared).unwrap_err().to_string();
        assert!(
            problems.contains("\"organizations\" cannot be declared empty"),
            "{problems}"
        );
        // A rule for one tenant asks nothing of another tenant's provider; the default realm
        // serves that tenant here, so it needs the scope.
        let partner = "[tenants.partner.oidc]\nissuer = \"https://idp.partner.example/realms/p\"\n\
                       client_secret = \"partner-secret-from-keycloak\"\n";
        let scoped = with_scope.replace(
            RULE,
            &RULE.replace("[[rules]]\n", "[[rules]]\ntenants = [\"acme\"]\n"),
        ) + partner;
        Config::from_toml(&scoped).unwrap();
        let without = scoped.replace("scopes = [\"openid\", \"organization:*\"]\n", "");
        let problems = Config::from_toml(&without).unwrap_err();
        let keys: Vec<&str> = problems.0.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["oidc.scopes"], "{problems}");
    }
}
