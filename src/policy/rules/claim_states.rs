//! The rule for claims that are not there, as one table: every part of the rules × every
//! state a claim can arrive in. `docs/keycloak-admin.md` ("Claims that are not there") carries
//! the same table.

use super::*;
use crate::policy::claims::Claim;
use serde_json::{Value, json};

/// Where the set of users sits.
#[derive(Debug, Clone, Copy)]
enum Where {
    /// `[access]`: an allow list.
    Access,
    /// `[[rules]]` with `moderator = true` (gives), then the defaults.
    GrantRule,
    /// `[moderators]`.
    Moderators,
    /// `[[rules]]` with `allow = false`.
    DenyRule,
}

/// How the claim the set asks about arrives.
#[derive(Debug, Clone, Copy)]
enum State {
    Matching,
    NotMatching,
    Empty,
    Missing,
    WrongType,
    Unverified,
    MissingDeclaredEmpty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Moderator,
    Member,
    Denied,
    /// Refused because a deny rule could not be decided; the page names the claim.
    Undecided,
}

/// The ID-token claims for one claim in one state. Keycloak's own shapes: lists of strings,
/// left out when empty; `email` with `email_verified`.
fn claims(claim: Claim, state: State) -> Value {
    let mut c = json!({"sub": "u", "preferred_username": "u"});
    let (good, other) = match claim {
        Claim::Email => (json!("ann@example.org"), json!("ann@example.net")),
        _ => (json!(["/staff"]), json!(["/other"])),
    };
    let value = match state {
        State::Matching | State::Unverified => Some(good),
        State::NotMatching => Some(other),
        State::Empty if claim == Claim::Email => Some(json!("")),
        State::Empty => Some(json!([])),
        State::Missing | State::MissingDeclaredEmpty => None,
        State::WrongType if claim == Claim::Email => Some(json!(["ann@example.org"])),
        // A single alias is one of the organization mapper's shapes; a number is none.
        State::WrongType if claim == Claim::Organizations => Some(json!(7)),
        // A mapper with "multivalued" off.
        State::WrongType => Some(json!("/staff")),
    };
    if let Some(v) = value {
        match claim {
            Claim::Groups => c["groups"] = v,
            Claim::RealmRoles => c["realm_access"] = json!({"roles": v}),
            Claim::ClientRoles => c["resource_access"] = json!({"bridge": {"roles": v}}),
            Claim::Email => c["email"] = v,
            Claim::Organizations => c["organization"] = v,
        }
    }
    if claim == Claim::Email {
        c["email_verified"] = json!(!matches!(state, State::Unverified));
    }
    c
}

fn set(claim: Claim) -> Who {
    let staff = vec!["/staff".to_owned()];
    match claim {
        Claim::Groups => Who {
            groups: staff,
            ..Who::default()
        },
        Claim::RealmRoles => Who {
            realm_roles: staff,
            ..Who::default()
        },
        Claim::ClientRoles => Who {
            client_roles: staff,
            ..Who::default()
        },
        Claim::Email => Who {
            email_domains: vec!["example.org".into()],
            ..Who::default()
        },
        Claim::Organizations => Who {
            organizations: staff,
            ..Who::default()
        },
    }
}

fn outcome(place: Where, claim: Claim, state: State) -> (Outcome, Decision) {
    let who = set(claim);
    let mut policy = Policy::default();
    let mut moderators = Who::default();
    match place {
        Where::Access => policy.access.who = who,
        Where::GrantRule => policy.rules.push(Rule {
            name: "grant".into(),
            who,
            allow: true,
            moderator: Some(true),
            ..Rule::default()
        }),
        Where::Moderators => moderators = who,
        Where::DenyRule => policy.rules.push(Rule {
            name: "deny".into(),
            who,
            allow: false,
            ..Rule::default()
        }),
    }
    let declared = match state {
        State::MissingDeclaredEmpty => AbsentMeansEmpty::of([claim]),
        _ => AbsentMeansEmpty::default(),
    };
    let id = Identity::from_claims(&claims(claim, state), "bridge").unwrap();
    let realm = RealmRules {
        moderators: &moderators,
        absent_means_empty: declared,
    };
    let d = decide(&policy, realm, &id, &RoomName::parse("x").unwrap(), None);
    let o = match (&d.verdict, d.role) {
        (
            Verdict::Deny {
                undecided: true, ..
            },
            _,
        ) => Outcome::Undecided,
        (Verdict::Deny { .. }, _) => Outcome::Denied,
        (Verdict::Allow, Role::Moderator) => Outcome::Moderator,
        (Verdict::Allow, Role::Member) => Outcome::Member,
    };
    (o, d)
}

#[test]
fn every_part_and_every_claim_state() {
    use Outcome::*;
    use State::*;
    // (state, [access], grant rule, [moderators], deny rule)
    let table = [
        (Matching, Member, Moderator, Moderator, Denied),
        (NotMatching, Denied, Member, Member, Member),
        (Empty, Denied, Member, Member, Member),
        (Missing, Denied, Member, Member, Undecided),
        (WrongType, Denied, Member, Member, Undecided),
        (MissingDeclaredEmpty, Denied, Member, Member, Member),
    ];
    for claim in Claim::ALL {
        for (state, access, grant, mods, deny) in table {
            for (place, want) in [
                (Where::Access, access),
                (Where::GrantRule, grant),
                (Where::Moderators, mods),
                // An empty address is no address: a deny by domain cannot rule it out.
                (
                    Where::DenyRule,
                    match (claim, state) {
                        (Claim::Email, Empty) => Undecided,
                        _ => deny,
                    },
                ),
            ] {
                let (got, d) = outcome(place, claim, state);
                assert_eq!(
                    got,
                    want,
                    "{claim:?} {state:?} in {place:?}:\n{}",
                    d.explain()
                );
            }
        }
    }
    // E-mail domains trust only verified addresses: an unverified one matches nothing, and
    // a deny rule cannot rule it out.
    for (place, want) in [
        (Where::Access, Denied),
        (Where::GrantRule, Member),
        (Where::Moderators, Member),
        (Where::DenyRule, Undecided),
    ] {
        let (got, d) = outcome(place, Claim::Email, Unverified);
        assert_eq!(got, want, "unverified in {place:?}:\n{}", d.explain());
    }
}

/// What `explain` shows per part, and what the refusal names.
#[test]
fn the_explanation_says_how_each_claim_was_read() {
    let cases = [
        (
            Where::GrantRule,
            Claim::Groups,
            State::Missing,
            "grant: no \"groups\" claim: treated as empty",
        ),
        (
            Where::Moderators,
            Claim::ClientRoles,
            State::Missing,
            "[moderators]: no \"resource_access.<client_id>.roles\" claim: treated as empty",
        ),
        (
            Where::DenyRule,
            Claim::Groups,
            State::Missing,
            "deny: cannot decide: no \"groups\" claim",
        ),
        (
            Where::DenyRule,
            Claim::Groups,
            State::MissingDeclaredEmpty,
            "deny: no \"groups\" claim: empty (oidc.absent_means_empty)",
        ),
        (
            Where::DenyRule,
            Claim::Groups,
            State::WrongType,
            "deny: cannot decide: \"groups\" is a string, not a list of strings",
        ),
        (
            Where::GrantRule,
            Claim::RealmRoles,
            State::WrongType,
            "grant: \"realm_access.roles\" is a string, not a list of strings: ignored",
        ),
        (
            Where::DenyRule,
            Claim::Email,
            State::Unverified,
            "deny: cannot decide: no verified e-mail address",
        ),
        (
            Where::DenyRule,
            Claim::Email,
            State::Missing,
            "deny: cannot decide: no e-mail address",
        ),
        (
            Where::Access,
            Claim::Email,
            State::Unverified,
            "[access]: the e-mail address is not verified: no domain matches",
        ),
    ];
    for (place, claim, state, want) in cases {
        let (_, d) = outcome(place, claim, state);
        let text = d.explain();
        assert!(text.contains(want), "{place:?} {claim:?} {state:?}: {text}");
    }
    let (_, d) = outcome(Where::DenyRule, Claim::Groups, State::Missing);
    match d.verdict {
        Verdict::Deny {
            by, reason, notes, ..
        } => {
            assert_eq!(by, "deny (cannot decide: no \"groups\" claim)");
            assert_eq!(
                reason, None,
                "the rule's reason would be a guess about this user"
            );
            assert!(
                notes[0]
                    .advice()
                    .contains("add \"groups\" to oidc.absent_means_empty")
            );
            assert!(notes[0].advice().contains("Group Membership"));
        }
        other => panic!("{other:?}"),
    }
}

/// A policy of one deny rule for `who`.
fn one_deny(who: Who, require_verified_email: bool) -> Policy {
    Policy {
        rules: vec![Rule {
            name: "deny".into(),
            who,
            require_verified_email,
            allow: false,
            ..Rule::default()
        }],
        ..Policy::default()
    }
}

/// The decision for the ID-token `claims` in room `x`, nobody in `[moderators]`.
fn decide_claims(policy: &Policy, claims: Value, declared: AbsentMeansEmpty) -> Decision {
    let none = Who::default();
    let realm = RealmRules {
        moderators: &none,
        absent_means_empty: declared,
    };
    let id = Identity::from_claims(&claims, "c").unwrap();
    decide(policy, realm, &id, &RoomName::parse("x").unwrap(), None)
}

/// A match decides, whatever else could not be read; a deny rule is only undecided when
/// nothing it asks about matched.
#[test]
fn a_match_decides_even_beside_an_unreadable_claim() {
    let policy = one_deny(
        Who {
            groups: vec!["/outsiders".into()],
            email_domains: vec!["rival.example".into()],
            ..Who::default()
        },
        false,
    );
    let none = AbsentMeansEmpty::default();
    let outsider = json!({"sub": "u", "groups": ["/outsiders"]});
    assert!(matches!(
        decide_claims(&policy, outsider, none).verdict,
        Verdict::Deny {
            undecided: false,
            ..
        }
    ));
    let verified_elsewhere =
        json!({"sub": "u", "groups": [], "email": "a@ok.example", "email_verified": true});
    assert_eq!(
        decide_claims(&policy, verified_elsewhere, none).verdict,
        Verdict::Allow
    );
}

/// A deny rule for verified users (`require_verified_email`) cannot rule out a user whose
/// address is not verified: they may be one of those it means.
#[test]
fn a_deny_rule_for_verified_users_refuses_an_unverified_address() {
    let policy = one_deny(
        Who {
            email_domains: vec!["rival.example".into()],
            ..Who::default()
        },
        true,
    );
    let eve = json!({"sub": "e", "email": "eve@rival.example", "email_verified": false});
    let d = decide_claims(&policy, eve, AbsentMeansEmpty::default());
    assert!(
        matches!(
            d.verdict,
            Verdict::Deny {
                undecided: true,
                ..
            }
        ),
        "{}",
        d.explain()
    );
    // No address at all, and the realm says absent means none: not one of them.
    let nobody = json!({"sub": "n"});
    let d = decide_claims(
        &policy,
        nobody.clone(),
        AbsentMeansEmpty::of([Claim::Email]),
    );
    assert_eq!(d.verdict, Verdict::Allow, "{}", d.explain());
    let d = decide_claims(&policy, nobody, AbsentMeansEmpty::default());
    assert!(matches!(
        d.verdict,
        Verdict::Deny {
            undecided: true,
            ..
        }
    ));
}

/// Realm roles sit in two places; a match in the readable one decides, and an unreadable one
/// leaves a deny that matched nowhere undecided.
#[test]
fn realm_roles_only_under_realm_access() {
    let policy = one_deny(
        Who {
            realm_roles: vec!["banned".into()],
            ..Who::default()
        },
        false,
    );
    let verdict = |claims: Value| {
        decide_claims(&policy, claims, AbsentMeansEmpty::of([Claim::RealmRoles])).verdict
    };
    // Only `realm_access.roles` is read: a top-level `roles` neither grants nor hides.
    assert!(matches!(
        verdict(json!({"sub": "u", "roles": "x", "realm_access": {"roles": ["banned"]}})),
        Verdict::Deny {
            undecided: false,
            ..
        }
    ));
    assert_eq!(
        verdict(json!({"sub": "u", "roles": ["banned"], "realm_access": {"roles": ["ok"]}})),
        Verdict::Allow
    );
    // Roles only in a top-level `roles` (a mapper with the old claim name, or any other):
    // not "no roles", even when absence is declared empty.
    assert!(matches!(
        verdict(json!({"sub": "u", "roles": ["banned"]})),
        Verdict::Deny {
            undecided: true,
            ..
        }
    ));
    // A mangled container is not "no roles", even when absence is declared empty.
    assert!(matches!(
        verdict(json!({"sub": "u", "realm_access": ["banned"]})),
        Verdict::Deny {
            undecided: true,
            ..
        }
    ));
    assert_eq!(
        verdict(json!({"sub": "u", "realm_access": {"roles": ["ok"]}})),
        Verdict::Allow
    );
}
