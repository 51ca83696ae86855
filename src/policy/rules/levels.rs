//! Which level of authentication a room needs, and whether an `acr` reaches it.

use crate::jitsi::room::RoomName;
use crate::jitsi::tenant::Tenant;
use crate::policy::level::Levels;
use crate::policy::rules::{Policy, Rule};
use serde_json::json;
use std::collections::BTreeMap;

fn levels() -> Levels {
    Levels::new(BTreeMap::from([("password".into(), 1), ("otp".into(), 2)]))
}

fn policy(rules: Vec<Rule>) -> Policy {
    Policy {
        rules,
        levels: levels(),
        ..Policy::default()
    }
}

fn rule(name: &str, rooms: &[&str], level: Option<&str>) -> Rule {
    Rule {
        name: name.into(),
        rooms: rooms.iter().map(|r| (*r).to_owned()).collect(),
        allow: true,
        level: level.and_then(|l| levels().get(l)),
        ..Rule::default()
    }
}

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

#[test]
fn the_highest_level_of_the_rules_covering_the_room_is_needed() {
    let p = policy(vec![
        rule("any", &[], Some("password")),
        rule("board", &["board*"], Some("otp")),
        rule("board members", &["board*"], None),
    ]);
    assert_eq!(
        p.level_needed(&room("BoardRoom"), None),
        Some((levels().get("otp").unwrap(), "board".into()))
    );
    assert_eq!(
        p.level_needed(&room("lunch"), None),
        Some((levels().get("password").unwrap(), "any".into()))
    );
    assert_eq!(policy(vec![]).level_needed(&room("lunch"), None), None);
}

#[test]
fn a_tenant_rule_asks_only_in_its_tenant() {
    let mut r = rule("hr", &[], Some("otp"));
    r.tenants = vec!["hr".into()];
    let p = policy(vec![r]);
    let hr = Tenant::parse("HR").unwrap();
    assert!(p.level_needed(&room("talk"), Some(&hr)).is_some());
    assert!(p.level_needed(&room("talk"), None).is_none());
}

#[test]
fn a_lower_missing_or_odd_acr_is_refused_and_a_higher_one_passes() {
    let p = policy(vec![
        rule("any", &[], Some("password")),
        rule("board", &["board"], Some("otp")),
    ]);
    let board = room("board");
    assert!(p.check_level(&board, None, Some(&json!("otp"))).is_ok());
    assert!(p.check_level(&board, None, Some(&json!("3"))).is_ok());
    for acr in [
        json!("password"),
        json!("1"),
        json!("0"),
        json!(2),
        json!("x"),
    ] {
        let e = p.check_level(&board, None, Some(&acr)).unwrap_err();
        assert_eq!(e.by, "board");
        assert_eq!(e.needed.number, 2);
    }
    assert!(p.check_level(&board, None, None).is_err());
    assert!(
        p.check_level(&room("lunch"), None, Some(&json!("1")))
            .is_ok()
    );
    assert!(
        p.check_level(&room("lunch"), None, Some(&json!("0")))
            .is_err()
    );
    assert_eq!(policy(vec![]).check_level(&board, None, None), Ok(None));
}
