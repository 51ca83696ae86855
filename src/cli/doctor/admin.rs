//! `doctor`'s checks through Keycloak's admin API: the client's settings, its mappers, and
//! the mappers behind `oidc.absent_means_empty`. They need admin credentials.

use super::{Check, ClockReading, fail, pass, unchecked};
use crate::cli::setup_keycloak as setup;
use crate::clock::Clock;
use crate::config::Config;
use crate::keycloak::admin::{Admin, Credentials};
use crate::policy::claims::Claim;
use serde_json::Value;

pub(super) async fn keycloak_admin(
    config: &Config,
    creds: &Credentials,
    clock: &dyn Clock,
    readings: &mut Vec<ClockReading>,
) -> Vec<Check> {
    let targets = match setup::targets(config) {
        Ok(t) => t,
        Err(e) => return vec![fail("the realms", e.to_string(), "tools")],
    };
    let mut out = Vec::new();
    for t in targets {
        let admin = match Admin::sign_in(&t.base, &t.realm, creds).await {
            Ok(a) => a,
            Err(e) => {
                out.push(fail(
                    format!("admin sign-in to {}", t.realm),
                    e.to_string(),
                    "tools",
                ));
                continue;
            }
        };
        if let Some(iat) = admin.issued_at() {
            readings.push(ClockReading::new(
                "Keycloak (the admin sign-in)",
                clock.now(),
                iat,
            ));
        }
        let client = match setup::read_client(&admin, &t).await {
            Ok(client) => client,
            Err(e) => {
                out.push(fail(
                    format!("reading the client in {}", t.realm),
                    e.to_string(),
                    "tools",
                ));
                continue;
            }
        };
        let Some(client) = client else {
            out.push(fail(
                format!("realm {} has no client {}", t.realm, t.client_id),
                "run setup-keycloak",
                "tools",
            ));
            continue;
        };
        out.extend(client_settings(&client, &t));
        out.extend(step_up(&admin, &client, &t).await);
        out.extend(organizations(&admin, &client, &t).await);
        let id = client["id"].as_str().unwrap_or("");
        let mappers = admin
            .get(
                &format!("/clients/{id}/protocol-mappers/models"),
                "read mappers",
            )
            .await
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        out.extend(mapper_checks(&mappers, &t));
        out.extend(declared_empty(&admin, id, &t, &mappers).await);
    }
    out
}

/// The client's settings: what setup-keycloak would change, what it leaves to the admin, and
/// wildcard redirect URIs.
fn client_settings(client: &Value, t: &setup::Target) -> Vec<Check> {
    let mut out = Vec::new();
    let (_, changes, conflicts) = setup::plan_client(client, t, false);
    let wildcards = setup::wildcards(client);
    if changes.is_empty() && conflicts.is_empty() && wildcards.is_empty() {
        out.push(pass(format!(
            "client {}: redirect URI, PKCE S256 and flows as required",
            t.client_id
        )));
    }
    for c in &changes {
        out.push(fail(
            format!("client {}: needs to {c}", t.client_id),
            "run setup-keycloak (or change it in the admin console)",
            "tools",
        ));
    }
    // What setup-keycloak leaves to the admin: said as it is, fixed in the console.
    for c in &conflicts {
        out.push(fail(
            format!("client {}: {c}", t.client_id),
            "change it in the admin console (setup-keycloak leaves it alone)",
            "tools",
        ));
    }
    for w in &wildcards {
        out.push(fail(
            format!("client {}: {w}", t.client_id),
            "in the admin console, list the bridge's exact URIs (setup-keycloak leaves them alone)",
            "a-redirect-uri-is-a-wildcard",
        ));
    }
    out
}

/// When the rules name organizations: the realm has them on, and the client has the
/// `organization` client scope.
async fn organizations(admin: &Admin, client: &Value, t: &setup::Target) -> Vec<Check> {
    if !t.organizations {
        return Vec::new();
    }
    let what = format!("client {}: organizations", t.client_id);
    let found = match setup::read_organizations(admin, client["id"].as_str()).await {
        Ok(found) => found,
        Err(e) => return vec![fail(what, e.to_string(), "tools")],
    };
    let mut plan = setup::plan::Plan::default();
    setup::plan::organizations(&mut plan, Some(&found));
    if plan.lines.is_empty() {
        return vec![pass(format!(
            "{what}: on in realm {}, and the client has the \"organization\" scope",
            t.realm
        ))];
    }
    plan.lines
        .into_iter()
        .map(|(_, line)| {
            fail(
                format!("{what}: {line}"),
                "run setup-keycloak, or see the line",
                "denied-needs-a-claim-the-id-token-does-not-carry",
            )
        })
        .collect()
}

/// With `[step_up] levels`: the step-up flow holds the levels as setup-keycloak builds them,
/// and the client's browser logins go through it. (The client's ACR-to-LoA mapping is one of
/// the client's settings above.)
async fn step_up(admin: &Admin, client: &Value, t: &setup::Target) -> Vec<Check> {
    use setup::step_up as flow;
    if t.levels.is_empty() {
        return Vec::new();
    }
    let alias = &t.step_up.flow;
    let what = format!("client {}: the step-up flow \"{alias}\"", t.client_id);
    let found = match flow::find(admin, alias).await {
        Ok(found) => found,
        Err(e) => return vec![fail(what, e.to_string(), "tools")],
    };
    let Some(found) = found else {
        return vec![fail(
            format!("{what} is not in realm {}", t.realm),
            "run setup-keycloak: without it Keycloak never asks for the rooms' levels and their logins are refused",
            "level_too_low",
        )];
    };
    let mut out = Vec::new();
    let (wanted, left) = flow::wanted(&t.levels, t.step_up.max_age_secs);
    match flow::levels_of(admin, alias).await {
        Ok(levels) => {
            let differences = flow::differences(&levels, &wanted);
            if differences.is_empty() {
                out.push(pass(format!(
                    "{what}: {}",
                    flow::describe(&t.levels, &wanted)
                )));
            }
            for d in differences {
                out.push(fail(
                    format!("{what} {d}"),
                    "change it in the admin console, or delete it and run setup-keycloak",
                    "level_too_low",
                ));
            }
        }
        Err(e) => out.push(fail(what.clone(), e.to_string(), "tools")),
    }
    for l in left {
        out.push(unchecked(
            format!("{what}: level {l}"),
            "setup-keycloak builds the password and OTP levels only; check its sub-flow by hand",
        ));
    }
    if flow::client_browser_flow(client) == found["id"].as_str() {
        out.push(pass(format!("{what} is the client's browser flow")));
    } else {
        out.push(fail(
            format!("{what} is not the client's browser flow"),
            "run setup-keycloak (with --force if the client uses another flow), or set it under the client's Advanced → Authentication flow overrides",
            "level_too_low",
        ));
    }
    out
}

/// Whether the client has the client scope `name` among its `kind` (default, optional) ones;
/// an answer Keycloak refuses counts as no.
async fn has_scope(admin: &Admin, client: &str, kind: &str, name: &str) -> bool {
    setup::client_has_scope(admin, client, kind, name)
        .await
        .unwrap_or(false)
}

/// The groups and roles mappers: there, with full group paths, and none writing `roles`.
fn mapper_checks(mappers: &[Value], t: &setup::Target) -> Vec<Check> {
    let mut out = Vec::new();
    let missing = setup::missing_mappers(mappers, &t.client_id);
    let short = setup::short_group_mappers(mappers);
    for m in &short {
        out.push(fail(
            format!(
                "client {}: the mapper \"{}\" sends group names without their path",
                t.client_id,
                m["name"].as_str().unwrap_or("")
            ),
            "turn on \"Full group path\" (or run setup-keycloak): otherwise a rule naming /org/staff never matches and one naming staff matches every group called staff",
            "groups-arrive-without-their-path",
        ));
    }
    for name in setup::top_level_roles_mappers(mappers) {
        out.push(fail(
            format!(
                "client {}: the mapper \"{name}\" writes the top-level \"roles\" claim",
                t.client_id
            ),
            "the bridge reads realm roles only from realm_access.roles (any mapper could write \"roles\"): run setup-keycloak, which adds a realm role mapper for realm_access.roles, then delete this one",
            "realm-roles-in-a-top-level-roles-claim",
        ));
    }
    if missing.is_empty() && short.is_empty() {
        out.push(pass(format!(
            "client {}: groups and roles mappers",
            t.client_id
        )));
    }
    for m in &missing {
        out.push(fail(
            format!(
                "client {}: no \"{}\" mapper",
                t.client_id,
                m["name"].as_str().unwrap_or("")
            ),
            "run setup-keycloak, or add the mapper (ID token: on)",
            "denied-needs-a-claim-the-id-token-does-not-carry",
        ));
    }
    out
}

/// `oidc.absent_means_empty` is true only when the client really has the claim's mapper (or,
/// for `email`, gets the email scope): otherwise a deny rule would read "no mapper" as "none".
async fn declared_empty(
    admin: &Admin,
    client: &str,
    t: &setup::Target,
    mappers: &[Value],
) -> Vec<Check> {
    let mut out = Vec::new();
    for claim in t.absent_means_empty.iter() {
        let there = match claim {
            Claim::Groups | Claim::RealmRoles | Claim::ClientRoles => {
                setup::writes_claim(mappers, claim, &t.client_id)
            }
            Claim::Email => {
                // Keycloak applies a default client scope always, an optional one when
                // the login asks for it.
                has_scope(admin, client, "default", "email").await
                    || (t.requests_email && has_scope(admin, client, "optional", "email").await)
            }
            // The configuration refuses to declare it (the browser can drop its scope).
            Claim::Organizations => false,
        };
        let what = format!(
            "client {}: oidc.absent_means_empty names {}",
            t.client_id,
            claim.name()
        );
        out.push(if there {
            pass(format!("{what}, and its mapper is there"))
        } else {
            fail(
                format!("{what}, but the client has no mapper that writes it into the ID token"),
                "add the mapper (setup-keycloak), or take the claim out of oidc.absent_means_empty: deny rules would otherwise read a missing mapper as \"the user has none\"",
                "denied-needs-a-claim-the-id-token-does-not-carry",
            )
        });
    }
    out
}
