use super::*;
use crate::policy::claims::{Claim, Shape, Shapes};

fn own(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A user whose empty lists are left out of the token, as Keycloak does.
fn id(groups: &[&str], realm: &[&str], client: &[&str]) -> Identity {
    let shape = |v: &[&str]| {
        if v.is_empty() {
            Shape::Absent
        } else {
            Shape::Present
        }
    };
    Identity {
        subject: "u".into(),
        groups: own(groups),
        realm_roles: own(realm),
        client_roles: own(client),
        shapes: Shapes {
            groups: shape(groups),
            realm_roles: shape(realm),
            client_roles: shape(client),
            email: Shape::Absent,
            organizations: Shape::Absent,
        },
        ..Identity::default()
    }
}

fn realm(moderators: &Who) -> RealmRules<'_> {
    RealmRules {
        moderators,
        absent_means_empty: AbsentMeansEmpty::default(),
    }
}

fn role_of(moderators: &Who, user: &Identity) -> Role {
    decide(
        &Policy::default(),
        realm(moderators),
        user,
        &room("x"),
        None,
    )
    .role
}

fn who(groups: &[&str], realm: &[&str], client: &[&str]) -> Who {
    Who {
        groups: own(groups),
        realm_roles: own(realm),
        client_roles: own(client),
        email_domains: vec![],
        organizations: vec![],
    }
}

fn room(r: &str) -> RoomName {
    RoomName::parse(r).unwrap()
}

#[test]
fn moderators_by_group_role_and_client_role() {
    use Role::*;
    let cases = [
        (
            who(&["moderators"], &[], &[]),
            id(&["moderators"], &[], &[]),
            Moderator,
        ),
        (
            who(&["moderators"], &[], &[]),
            id(&["/moderators"], &[], &[]),
            Moderator,
        ),
        (
            who(&["moderators"], &[], &[]),
            id(&["/org/moderators"], &[], &[]),
            Member,
        ),
        (
            who(&["/org/moderators"], &[], &[]),
            id(&["/org/moderators"], &[], &[]),
            Moderator,
        ),
        (
            who(&["/org/moderators"], &[], &[]),
            id(&["moderators"], &[], &[]),
            Member,
        ),
        (
            who(&["Moderators"], &[], &[]),
            id(&["moderators"], &[], &[]),
            Member,
        ),
        (
            who(&[], &["moderator"], &[]),
            id(&[], &["moderator"], &[]),
            Moderator,
        ),
        (
            who(&[], &["moderator"], &[]),
            id(&[], &[], &["moderator"]),
            Member,
        ),
        (
            who(&[], &[], &["moderator"]),
            id(&[], &[], &["moderator"]),
            Moderator,
        ),
        (
            who(&[], &[], &[]),
            id(&["moderators"], &["moderator"], &["moderator"]),
            Member,
        ),
        (who(&["staff"], &["x"], &["y"]), id(&[], &[], &[]), Member),
        (who(&[""], &[], &[]), id(&["/"], &[], &[]), Member),
    ];
    for (i, (p, user, want)) in cases.into_iter().enumerate() {
        assert_eq!(role_of(&p, &user), want, "case {i}");
    }
}

#[test]
fn email_domains_match_only_verified_addresses() {
    let domains = Who {
        email_domains: own(&["example.org"]),
        ..Who::default()
    };
    let mut user = Identity {
        subject: "u".into(),
        email: Some("Ann@Example.ORG".into()),
        ..Identity::default()
    };
    assert_eq!(domains.matched_by(&user, None), None, "unverified");
    user.email_verified = true;
    assert_eq!(
        domains.matched_by(&user, None).as_deref(),
        Some("verified e-mail domain example.org")
    );
    user.email = Some("ann@evil-example.org".into());
    assert_eq!(domains.matched_by(&user, None), None);
}

fn school() -> Policy {
    Policy {
        access: Access::default(),
        rules: vec![
            Rule {
                name: "teachers".into(),
                rooms: own(&["class-*"]),
                who: who(&[], &["teacher"], &[]),
                allow: true,
                moderator: Some(true),
                ..Rule::default()
            },
            Rule {
                name: "students".into(),
                rooms: own(&["class-*"]),
                who: who(&[], &["student"], &[]),
                allow: true,
                moderator: Some(false),
                features: BTreeMap::from([
                    ("recording".into(), false),
                    ("screen-sharing".into(), false),
                ]),
                token_ttl_secs: Some(3600),
                ..Rule::default()
            },
            Rule {
                name: "classes are closed".into(),
                rooms: own(&["class-*"]),
                allow: false,
                reason: Some("Only teachers and students".into()),
                ..Rule::default()
            },
            Rule {
                name: "staff".into(),
                rooms: own(&["staff-*", "büro"]),
                who: who(&["staff"], &[], &[]),
                allow: true,
                lobby_bypass: Some(true),
                group: Some("staff".into()),
                ..Rule::default()
            },
            Rule {
                name: "staff only".into(),
                rooms: own(&["staff-*", "büro"]),
                allow: false,
                reason: Some("Staff rooms are for staff".into()),
                ..Rule::default()
            },
        ],
        show_reasons: true,
        levels: Default::default(),
    }
}

#[test]
fn first_matching_rule_decides() {
    let p = school();
    let mods = who(&["moderators"], &[], &[]);
    let cases: &[(&str, Identity, bool, Role)] = &[
        (
            "class-7a",
            id(&[], &["teacher"], &[]),
            true,
            Role::Moderator,
        ),
        (
            "Class-7A",
            id(&["moderators"], &["student"], &[]),
            true,
            Role::Member,
        ),
        (
            "class-7a",
            id(&["moderators"], &[], &[]),
            false,
            Role::Member,
        ),
        ("staff-room", id(&["/staff"], &[], &[]), true, Role::Member),
        (
            "staff-room",
            id(&["staff", "moderators"], &[], &[]),
            true,
            Role::Moderator,
        ),
        (
            "STAFF-ROOM",
            id(&["/org/staff"], &[], &[]),
            false,
            Role::Member,
        ),
        ("Büro", id(&["staff"], &[], &[]), true, Role::Member),
        ("BÜRO", id(&[], &[], &[]), false, Role::Member),
        ("lobby", id(&[], &[], &[]), true, Role::Member),
        (
            "lobby",
            id(&["moderators"], &[], &[]),
            true,
            Role::Moderator,
        ),
    ];
    for (r, user, allowed, role) in cases {
        let d = decide(&p, realm(&mods), user, &room(r), None);
        assert_eq!(
            d.verdict == Verdict::Allow,
            *allowed,
            "{r} {user:?}\n{}",
            d.explain()
        );
        assert_eq!(d.role, *role, "{r}");
    }
    let student = decide(
        &p,
        realm(&mods),
        &id(&[], &["student"], &[]),
        &room("class-1"),
        None,
    );
    assert_eq!(student.features.get("recording"), Some(&false));
    assert_eq!(student.token_ttl_secs, Some(3600));
    let staff = decide(
        &p,
        realm(&mods),
        &id(&["staff"], &[], &[]),
        &room("staff-x"),
        None,
    );
    assert!(staff.lobby_bypass);
    assert_eq!(staff.group.as_deref(), Some("staff"));
    // No groups claim at all: the "staff" rule only gives, so it does not match; the
    // catch-all after it refuses, with the absent claim as the hint.
    let denied = decide(&p, realm(&mods), &id(&[], &[], &[]), &room("staff-x"), None);
    match denied.verdict {
        Verdict::Deny {
            reason,
            by,
            undecided: false,
            notes,
        } => {
            assert_eq!(reason.as_deref(), Some("Staff rooms are for staff"));
            assert_eq!(by, "staff only");
            assert_eq!(notes.len(), 1);
            assert_eq!((notes[0].claim, notes[0].absent()), (Claim::Groups, true));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn access_limits_come_first() {
    let p = Policy {
        access: Access {
            who: Who {
                groups: own(&["staff"]),
                email_domains: own(&["example.org"]),
                ..Who::default()
            },
            require_verified_email: true,
            reason: Some("Members only".into()),
        },
        rules: vec![Rule {
            name: "open".into(),
            allow: true,
            ..Rule::default()
        }],
        show_reasons: false,
        levels: Default::default(),
    };
    let mods = Who::default();
    let mut user = id(&["staff"], &[], &[]);
    assert!(
        matches!(decide(&p, realm(&mods), &user, &room("x"), None).verdict, Verdict::Deny { ref by, .. } if by.contains("require_verified_email"))
    );
    user.email = Some("a@example.net".into());
    user.email_verified = true;
    assert_eq!(
        decide(&p, realm(&mods), &user, &room("x"), None).verdict,
        Verdict::Allow
    );
    let outsider = Identity {
        subject: "o".into(),
        email: Some("o@example.net".into()),
        email_verified: true,
        ..Identity::default()
    };
    let d = decide(&p, realm(&mods), &outsider, &room("x"), None);
    assert!(
        matches!(d.verdict, Verdict::Deny { undecided: false, ref notes, .. } if notes.len() == 1 && notes[0].claim == Claim::Groups),
        "{:?}",
        d.verdict
    );
    let by_domain = Identity {
        subject: "d".into(),
        email: Some("d@EXAMPLE.org".into()),
        email_verified: true,
        ..Identity::default()
    };
    assert_eq!(
        decide(&p, realm(&mods), &by_domain, &room("x"), None).verdict,
        Verdict::Allow
    );
}

#[test]
fn tenants_and_explanations() {
    let p = Policy {
        rules: vec![Rule {
            name: "acme hosts".into(),
            tenants: own(&["acme"]),
            who: who(&[], &["host"], &[]),
            allow: true,
            moderator: Some(true),
            ..Rule::default()
        }],
        ..Policy::default()
    };
    let host = id(&[], &["host"], &[]);
    let acme = Tenant::parse("ACME").unwrap();
    assert_eq!(
        decide(&p, realm(&Who::default()), &host, &room("x"), Some(&acme)).role,
        Role::Moderator
    );
    assert_eq!(
        decide(&p, realm(&Who::default()), &host, &room("x"), None).role,
        Role::Member
    );
    let text = decide(&p, realm(&Who::default()), &host, &room("x"), Some(&acme)).explain();
    assert!(
        text.contains("moderator") && text.contains("acme hosts"),
        "{text}"
    );
    // Same input, same decision.
    assert_eq!(
        decide(&p, realm(&Who::default()), &host, &room("x"), Some(&acme)),
        decide(&p, realm(&Who::default()), &host, &room("x"), Some(&acme))
    );
}

#[test]
fn empty_groups_and_case() {
    let p = Policy {
        rules: vec![Rule {
            name: "r".into(),
            who: who(&["Staff"], &[], &[]),
            allow: false,
            ..Rule::default()
        }],
        ..Policy::default()
    };
    assert_eq!(
        decide(
            &p,
            realm(&Who::default()),
            &id(&["staff"], &[], &[]),
            &room("x"),
            None
        )
        .verdict,
        Verdict::Allow
    );
    assert!(matches!(
        decide(
            &p,
            realm(&Who::default()),
            &id(&["Staff"], &[], &[]),
            &room("x"),
            None
        )
        .verdict,
        Verdict::Deny { .. }
    ));
    // A deny rule about groups and a token without any groups claim: fails closed.
    assert!(matches!(
        decide(&p, realm(&Who::default()), &id(&[], &[], &[]), &room("x"), None).verdict,
        Verdict::Deny { undecided: true, ref notes, .. } if notes[0].claim == Claim::Groups
    ));
    // An empty list is not a missing claim.
    let mut empty = id(&[], &[], &[]);
    empty.shapes.groups = Shape::Present;
    assert_eq!(
        decide(&p, realm(&Who::default()), &empty, &room("x"), None).verdict,
        Verdict::Allow
    );
}

/// One realm, several organisations: members of the organization named like the tenant
/// enter it, nobody else does; a user in no organization (Keycloak leaves the claim out) is
/// refused by the deny rule, which needs no claim to decide.
#[test]
fn organizations_isolate_tenants() {
    use crate::jitsi::tenant::Tenant;
    use crate::policy::who::TENANT_ORGANIZATION;
    let p = Policy {
        rules: vec![
            Rule {
                name: "own organization".into(),
                who: Who {
                    organizations: own(&[TENANT_ORGANIZATION]),
                    ..Who::default()
                },
                allow: true,
                ..Rule::default()
            },
            Rule {
                name: "everyone else".into(),
                allow: false,
                ..Rule::default()
            },
        ],
        ..Policy::default()
    };
    let member = |orgs: serde_json::Value| {
        let mut claims = serde_json::json!({"sub": "u"});
        if !orgs.is_null() {
            claims["organization"] = orgs;
        }
        Identity::from_claims(&claims, "c").unwrap()
    };
    let acme = Tenant::parse("Acme").unwrap();
    let globex = Tenant::parse("globex").unwrap();
    let moderators = Who::default();
    let verdict = |id: &Identity, tenant: Option<&Tenant>| {
        decide(&p, realm(&moderators), id, &room("board"), tenant).verdict
    };
    for ann in [
        member(serde_json::json!(["acme"])),
        member(serde_json::json!({"acme": {"id": "5f3c"}})),
    ] {
        assert_eq!(verdict(&ann, Some(&acme)), Verdict::Allow);
        assert!(matches!(
            verdict(&ann, Some(&globex)),
            Verdict::Deny { ref by, undecided: false, .. } if by == "everyone else"
        ));
        assert!(matches!(verdict(&ann, None), Verdict::Deny { .. }));
    }
    let nora = member(serde_json::Value::Null);
    assert!(matches!(
        verdict(&nora, Some(&acme)),
        Verdict::Deny {
            undecided: false,
            ..
        }
    ));
    let why = decide(
        &p,
        realm(&moderators),
        &member(serde_json::json!(["acme"])),
        &room("b"),
        Some(&acme),
    )
    .why;
    assert!(
        why.iter().any(|w| w.because == "own organization"),
        "{why:?}"
    );
    // The alias is the tenant as Prosody names it, exactly: `ACME`, another organization,
    // does not share the tenant `acme`.
    let other = member(serde_json::json!(["ACME"]));
    assert!(matches!(verdict(&other, Some(&acme)), Verdict::Deny { .. }));
    let dotted = Tenant::parse("a.b").unwrap();
    assert_eq!(
        verdict(&member(serde_json::json!(["a_b"])), Some(&dotted)),
        Verdict::Allow
    );
    assert!(matches!(
        verdict(&member(serde_json::json!(["a.b"])), Some(&dotted)),
        Verdict::Deny { .. }
    ));
}

/// A deny by organization trusts the claim only when the login was granted all of the
/// user's organizations: the browser can narrow the scope to `organization:<alias>` and so
/// hide the one that is denied. What is there still grants.
#[test]
fn a_deny_by_organization_needs_all_of_them() {
    let p = Policy {
        rules: vec![
            Rule {
                name: "no rivals".into(),
                who: Who {
                    organizations: own(&["rivals"]),
                    ..Who::default()
                },
                allow: false,
                ..Rule::default()
            },
            Rule {
                name: "acme".into(),
                who: Who {
                    organizations: own(&["acme"]),
                    ..Who::default()
                },
                allow: true,
                ..Rule::default()
            },
        ],
        ..Policy::default()
    };
    let rex = |orgs: serde_json::Value, scope: &str| {
        let mut id =
            Identity::from_claims(&serde_json::json!({"sub": "u", "organization": orgs}), "c")
                .unwrap();
        let granted: Vec<String> = scope.split(' ').map(String::from).collect();
        id.organizations_granted(Some(&granted));
        decide(&p, realm(&Who::default()), &id, &room("x"), None).verdict
    };
    let all = "openid organization:*";
    assert!(matches!(
        rex(serde_json::json!(["acme", "rivals"]), all),
        Verdict::Deny { ref by, undecided: false, .. } if by == "no rivals"
    ));
    assert_eq!(rex(serde_json::json!(["acme"]), all), Verdict::Allow);
    assert!(matches!(
        rex(serde_json::json!(["acme"]), "openid organization:acme"),
        Verdict::Deny {
            undecided: true,
            ..
        }
    ));
    // Narrowed to the denied one: the match decides.
    assert!(matches!(
        rex(serde_json::json!(["rivals"]), "openid organization:rivals"),
        Verdict::Deny {
            undecided: false,
            ..
        }
    ));
}
