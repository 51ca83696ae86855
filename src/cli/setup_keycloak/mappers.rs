//! The protocol mappers that put what the rules read into the ID token: which are missing,
//! which send group names without their path, and what the configuration may then say about
//! claims Keycloak leaves out.

use super::Target;
use crate::policy::claims::Claim;
use serde_json::{Value, json};

/// The mappers the bridge reads, missing from `existing`.
pub fn missing_mappers(existing: &[Value], client_id: &str) -> Vec<Value> {
    // Present means: of that kind, writing into the ID token (the bridge reads nothing else)
    // under the name the bridge reads, and for client roles, of this client.
    let has = |kind: &str| {
        let claim = match kind {
            "oidc-group-membership-mapper" => Claim::Groups,
            "oidc-usermodel-realm-role-mapper" => Claim::RealmRoles,
            _ => Claim::ClientRoles,
        };
        writes_claim(existing, claim, client_id)
    };
    let claim = |extra: Value| {
        let mut config = json!({
            "id.token.claim": "true",
            "access.token.claim": "true",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
        });
        if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        config
    };
    let mut out = Vec::new();
    if !has("oidc-group-membership-mapper") {
        out.push(json!({"name": "groups", "protocol": "openid-connect",
            "protocolMapper": "oidc-group-membership-mapper",
            "config": claim(json!({"claim.name": "groups", "full.path": "true"}))}));
    }
    if !has("oidc-usermodel-realm-role-mapper") {
        // Its own name: a mapper "realm roles" that writes the top-level `roles` (what
        // earlier versions added) may be there, and names are unique per client.
        out.push(json!({"name": "realm roles in realm_access", "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-realm-role-mapper",
            "config": claim(json!({"claim.name": "realm_access.roles", "multivalued": "true", "jsonType.label": "String"}))}));
    }
    if !has("oidc-usermodel-client-role-mapper") {
        out.push(json!({"name": "client roles", "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-client-role-mapper",
            "config": claim(json!({"claim.name": "resource_access.${client_id}.roles", "multivalued": "true",
                "jsonType.label": "String", "usermodel.clientRoleMapping.clientId": client_id}))}));
    }
    out
}

/// The claims whose mappers `setup-keycloak` gives the client.
const MAPPED_CLAIMS: [Claim; 3] = [Claim::Groups, Claim::RealmRoles, Claim::ClientRoles];

/// Once the mappers are in place, Keycloak leaves their claims out only for users who have
/// none; the configuration can say so, and deny rules then read absence as empty.
pub fn declare_hint(t: &Target) -> Option<String> {
    let undeclared: Vec<&str> = MAPPED_CLAIMS
        .iter()
        .filter(|c| !t.absent_means_empty.contains(**c))
        .map(|c| c.name())
        .collect();
    if undeclared.is_empty() {
        return None;
    }
    let mut all: Vec<&str> = t.absent_means_empty.iter().map(Claim::name).collect();
    all.extend(&undeclared);
    let quoted: Vec<String> = all.iter().map(|n| format!("\"{n}\"")).collect();
    Some(format!(
        "with these mappers Keycloak leaves out {} only for users who have none; to let deny \
         rules read that as empty, set oidc.absent_means_empty = [{}] (doctor checks it)",
        undeclared.join(", "),
        quoted.join(", ")
    ))
}

/// The client's group mappers that write bare names (`full.path` off, which is also what an
/// absent setting means), each as it should be. With bare names `/org/staff` arrives as
/// `staff`: a rule naming the full path never matches, and a rule naming `staff` (meant as
/// the top-level group) matches every group of that name anywhere in the tree.
/// Mappers that write into the ID token's top-level `roles`, which the bridge does not read as
/// realm roles (earlier `setup-keycloak` created one).
pub fn top_level_roles_mappers(existing: &[Value]) -> Vec<&str> {
    existing
        .iter()
        .filter(|m| m["config"]["id.token.claim"] == "true" && m["config"]["claim.name"] == "roles")
        .map(|m| m["name"].as_str().unwrap_or(""))
        .collect()
}

pub fn short_group_mappers(existing: &[Value]) -> Vec<Value> {
    existing
        .iter()
        .filter(|m| {
            m["protocolMapper"] == "oidc-group-membership-mapper"
                && m["config"]["id.token.claim"] == "true"
                && m["config"]["full.path"] != "true"
        })
        .map(|m| {
            let mut fixed = m.clone();
            fixed["config"]["full.path"] = json!("true");
            fixed
        })
        .collect()
}

/// Whether one of the client's mappers writes `claim` into the ID token under the name the
/// bridge reads. `oidc.absent_means_empty` is only true then: a mapper of the right kind
/// writing another claim name (`memberOf`) would leave the claim always absent, and every
/// user would read as having none.
pub fn writes_claim(existing: &[Value], claim: Claim, client_id: &str) -> bool {
    let own_roles = format!("resource_access.{client_id}.roles");
    existing.iter().any(|m| {
        let config = &m["config"];
        let name = config["claim.name"].as_str().unwrap_or("");
        let kind_and_name = match claim {
            Claim::Groups => {
                m["protocolMapper"] == "oidc-group-membership-mapper" && name == "groups"
            }
            Claim::RealmRoles => {
                m["protocolMapper"] == "oidc-usermodel-realm-role-mapper"
                    && name == "realm_access.roles"
            }
            Claim::ClientRoles => {
                m["protocolMapper"] == "oidc-usermodel-client-role-mapper"
                    && config["usermodel.clientRoleMapping.clientId"] == client_id
                    && (name == "resource_access.${client_id}.roles" || name == own_roles)
            }
            // Both come through client scopes (email, organization), not the client's own
            // mappers.
            Claim::Email | Claim::Organizations => false,
        };
        kind_and_name && config["id.token.claim"] == "true"
    })
}
