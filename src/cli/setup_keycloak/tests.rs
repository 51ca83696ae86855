use super::*;
use crate::policy::claims::Claim;

fn target() -> Target {
    Target {
        name: "default".into(),
        base: "https://sso.example.org".into(),
        realm: "jitsi".into(),
        client_id: "jitsi-bridge".into(),
        redirect_uri: "https://bridge.example.org/callback".into(),
        post_logout: vec!["https://bridge.example.org/logged-out".into()],
        client_roles: vec!["moderator".into()],
        groups: vec!["moderators".into()],
        secret_file: None,
        absent_means_empty: Default::default(),
        requests_email: true,
        levels: Default::default(),
        step_up: crate::config::StepUpConfig {
            flow: crate::config::DEFAULT_STEP_UP_FLOW.into(),
            max_age_secs: 0,
        },
        organizations: false,
    }
}

#[test]
fn a_matching_client_needs_nothing() {
    let t = target();
    let mut client = new_client(&t);
    client["id"] = json!("x");
    let (_, changes, conflicts) = plan_client(&client, &t, false);
    assert!(
        changes.is_empty() && conflicts.is_empty(),
        "{changes:?} {conflicts:?}"
    );
}

#[test]
fn drift_is_tightened_and_loosening_is_left_to_the_admin() {
    let t = target();
    let mut client = new_client(&t);
    client["redirectUris"] = json!(["https://other.example.org/*"]);
    client["attributes"]["pkce.code.challenge.method"] = json!("plain");
    client["directAccessGrantsEnabled"] = json!(true);
    let (updated, changes, conflicts) = plan_client(&client, &t, false);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(updated["attributes"]["pkce.code.challenge.method"], "S256");
    // The other site's URI stays: setup never narrows what someone else set up.
    assert_eq!(
        updated["redirectUris"],
        json!([
            "https://other.example.org/*",
            "https://bridge.example.org/callback"
        ])
    );
    assert_eq!(conflicts.len(), 1);
    assert_eq!(updated["directAccessGrantsEnabled"], true, "left alone");
    let (updated, _, conflicts) = plan_client(&client, &t, true);
    assert!(conflicts.is_empty());
    assert_eq!(updated["directAccessGrantsEnabled"], false);
}

#[test]
fn wildcard_redirect_uris_are_named_and_left_alone() {
    let t = target();
    let mut client = new_client(&t);
    client["redirectUris"] = json!(["https://bridge.example.org/callback", "*"]);
    client["attributes"]["post.logout.redirect.uris"] =
        json!("https://bridge.example.org/logged-out##https://bridge.example.org/*");
    // Not part of the plan (setup never narrows what may be someone else's, even with
    // --force), but named.
    let (updated, changes, conflicts) = plan_client(&client, &t, true);
    assert!(changes.is_empty() && conflicts.is_empty(), "{changes:?}");
    assert_eq!(updated, client);
    assert!(wildcards(&new_client(&t)).is_empty());
    assert_eq!(
        wildcards(&client),
        [
            "the redirect URI * is a wildcard; list the exact URLs instead (Keycloak sends login codes to any URL it matches)",
            "the post-logout redirect URI https://bridge.example.org/* is a wildcard; list the exact URLs instead (Keycloak sends users after logout to any URL it matches)",
        ]
    );
}

#[test]
fn mappers_are_added_once() {
    let missing = missing_mappers(&[], "jitsi-bridge");
    assert_eq!(missing.len(), 3);
    assert!(missing_mappers(&missing, "jitsi-bridge").is_empty());
    // A groups mapper that does not write into the ID token does not count.
    let mut off = missing.clone();
    off[0]["config"]["id.token.claim"] = json!("false");
    assert_eq!(missing_mappers(&off, "jitsi-bridge").len(), 1);
    assert_eq!(missing[0]["config"]["full.path"], "true");
    assert!(short_group_mappers(&missing).is_empty());
}

#[test]
fn bare_group_names_are_turned_into_full_paths() {
    let mut mappers = missing_mappers(&[], "jitsi-bridge");
    // Keycloak reads an absent full.path as off.
    mappers[0]["config"]
        .as_object_mut()
        .map(|c| c.remove("full.path"));
    mappers[0]["id"] = json!("m-1");
    let fixed = short_group_mappers(&mappers);
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0]["config"]["full.path"], "true");
    assert_eq!(fixed[0]["id"], "m-1");
    assert_eq!(fixed[0]["config"]["claim.name"], "groups");
    // Nothing else is a group mapper to fix.
    assert!(missing_mappers(&mappers, "jitsi-bridge").is_empty());
}

#[test]
fn issuers_split_into_base_and_realm() {
    assert_eq!(
        split_issuer("https://sso.example.org/auth/realms/jitsi"),
        Some(("https://sso.example.org/auth".into(), "jitsi".into()))
    );
    assert_eq!(split_issuer("https://accounts.google.com"), None);
}

#[test]
fn a_secret_is_written_0600_and_a_failed_write_leaves_nothing_behind() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("bridge-secret-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("client-secret");
    write_secret(&path, "s3cret").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The rename fails (the target is a directory): the temporary copy is gone too.
    let blocked = dir.join("blocked");
    std::fs::create_dir_all(blocked.join("inside")).unwrap();
    assert!(write_secret(&blocked, "s3cret").is_err());
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["blocked", "client-secret"], "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_declared_claim_needs_a_mapper_writing_that_claim_into_the_id_token() {
    let mappers = missing_mappers(&[], "jitsi-bridge");
    for claim in [Claim::Groups, Claim::RealmRoles, Claim::ClientRoles] {
        assert!(writes_claim(&mappers, claim, "jitsi-bridge"), "{claim:?}");
    }
    // The right kind under another name, or not in the ID token: the claim stays absent.
    let mut renamed = mappers.clone();
    renamed[0]["config"]["claim.name"] = serde_json::json!("memberOf");
    assert!(!writes_claim(&renamed, Claim::Groups, "jitsi-bridge"));
    let mut access_only = mappers.clone();
    access_only[0]["config"]["id.token.claim"] = serde_json::json!("false");
    assert!(!writes_claim(&access_only, Claim::Groups, "jitsi-bridge"));
    assert!(!writes_claim(
        &mappers,
        Claim::ClientRoles,
        "another-client"
    ));
}

#[test]
fn a_realm_role_mapper_writing_top_level_roles_does_not_count() {
    // What earlier versions of setup-keycloak created.
    let old = json!({"name": "realm roles", "protocolMapper": "oidc-usermodel-realm-role-mapper",
        "config": {"claim.name": "roles", "multivalued": "true", "id.token.claim": "true"}});
    let mut existing = missing_mappers(&[], "jitsi-bridge");
    existing.retain(|m| m["protocolMapper"] != "oidc-usermodel-realm-role-mapper");
    existing.push(old);
    let missing = missing_mappers(&existing, "jitsi-bridge");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["config"]["claim.name"], "realm_access.roles");
    assert_ne!(
        missing[0]["name"], "realm roles",
        "names are unique per client"
    );
    assert_eq!(top_level_roles_mappers(&existing), ["realm roles"]);
}

#[test]
fn organizations_need_the_realm_switch_and_get_the_scope_once() {
    use plan::{Mark, Organizations, parts};
    let mut t = target();
    t.organizations = true;
    let lines = |orgs: Organizations, t: &Target| -> Vec<(Mark, String)> {
        let found = plan::Found {
            organizations: Some(orgs),
            ..Default::default()
        };
        parts(&found, t, Options::default())
            .lines
            .into_iter()
            .filter(|(_, l)| l.contains("rganization"))
            .collect()
    };
    let off = lines(Organizations::default(), &t);
    assert!(
        matches!(&off[..], [(Mark::Conflict, l)] if l.contains("Organizations are off")),
        "{off:?}"
    );
    let on = |assigned| Organizations {
        enabled: true,
        scope: Some("scope-id".into()),
        mapped: true,
        assigned,
    };
    let adds = lines(on(false), &t);
    assert!(
        matches!(&adds[..], [(Mark::Change, add)] if add.contains("add the client scope")),
        "{adds:?}"
    );
    assert!(lines(on(true), &t).is_empty());
    let unmapped = Organizations {
        mapped: false,
        ..on(true)
    };
    assert!(
        matches!(&lines(unmapped, &t)[..], [(Mark::Conflict, l)] if l.contains("Organization Membership")),
        "the scope without its mapper"
    );
}
