//! The requests of `setup-keycloak`: reading what a realm holds (for `plan`) and carrying out
//! a plan's actions, in order.

use super::plan::{Action, Found, Organizations, wanted_groups};
use super::step_up;
use super::{Options, Target, write_secret};
use crate::keycloak::admin::{Admin, AdminError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// Why carrying out a plan stopped.
pub enum Step {
    Admin(AdminError),
    Secret(String, std::io::Error),
}

impl From<AdminError> for Step {
    fn from(e: AdminError) -> Self {
        Step::Admin(e)
    }
}

/// The client named `t.client_id`, if the realm has it (`doctor` reads it the same way).
pub async fn client(admin: &Admin, t: &Target) -> Result<Option<Value>, AdminError> {
    let found = admin
        .get(
            &format!("/clients?clientId={}", urlencode(&t.client_id)),
            "read clients",
        )
        .await?;
    Ok(found.as_array().and_then(|a| a.first()).cloned())
}

/// What the realm holds around the client `id` (none: a client not created yet).
pub async fn found(
    admin: &Admin,
    id: Option<&str>,
    t: &Target,
    opts: Options,
) -> Result<Found, AdminError> {
    let mut found = Found::default();
    if let Some(id) = id {
        found.mappers = list(
            admin,
            &format!("/clients/{id}/protocol-mappers/models"),
            "read mappers",
        )
        .await?;
        found.roles = list(admin, &format!("/clients/{id}/roles"), "read client roles")
            .await?
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_owned))
            .collect();
        let secret = admin
            .get(
                &format!("/clients/{id}/client-secret"),
                "read the client secret",
            )
            .await?;
        found.secret = Some(
            secret["value"]
                .as_str()
                .filter(|v| !v.is_empty())
                .map(|v| SecretString::from(v.to_owned())),
        );
    }
    if opts.create_groups {
        for (_, name) in wanted_groups(t).filter(|(_, n)| !n.contains('/')) {
            let matches = list(
                admin,
                &format!("/groups?search={}&exact=true", urlencode(name)),
                "read groups",
            )
            .await?;
            if matches.iter().any(|g| g["name"] == name) {
                found.groups.insert(name.to_owned());
            }
        }
    }
    if !t.levels.is_empty() {
        if let Some(flow) = step_up::find(admin, &t.step_up.flow).await? {
            let flow_id = flow["id"].as_str().unwrap_or("").to_owned();
            found.flow = Some((flow_id, step_up::levels_of(admin, &t.step_up.flow).await?));
        }
        if let Some(id) = id {
            let client = admin.get(&format!("/clients/{id}"), "read clients").await?;
            found.browser_flow = step_up::client_browser_flow(&client).map(str::to_owned);
        }
    }
    if t.organizations {
        found.organizations = Some(organizations(admin, id).await?);
    }
    found.secret_file = t
        .secret_file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok());
    Ok(found)
}

/// Carries out `actions` on the client `id`; returns the client's id, which creating it makes.
pub async fn apply(
    admin: &Admin,
    t: &Target,
    mut id: Option<String>,
    actions: &[Action],
) -> Result<Option<String>, Step> {
    for action in actions {
        match (action, id.as_deref()) {
            (Action::CreateClient(client), _) => {
                admin.post("/clients", client, "create clients").await?;
                id = self::client(admin, t)
                    .await?
                    .and_then(|c| c["id"].as_str().map(str::to_owned));
            }
            (Action::UpdateClient { id, client }, _) => {
                admin
                    .put(&format!("/clients/{id}"), client, "update clients")
                    .await?;
            }
            (Action::AddMapper(m), Some(id)) => {
                let path = format!("/clients/{id}/protocol-mappers/models");
                admin.post(&path, m, "create mappers").await?;
            }
            (Action::FixMapper { id: mid, mapper }, Some(id)) => {
                let path = format!("/clients/{id}/protocol-mappers/models/{mid}");
                admin.put(&path, mapper, "update mappers").await?;
            }
            (Action::AddRole(role), Some(id)) => {
                let role = json!({"name": role});
                admin
                    .post(
                        &format!("/clients/{id}/roles"),
                        &role,
                        "create client roles",
                    )
                    .await?;
            }
            (Action::CreateGroup(name), _) => {
                admin
                    .post("/groups", &json!({"name": name}), "create groups")
                    .await?;
            }
            (Action::CreateFlow { alias, levels }, _) => {
                step_up::create(admin, alias, levels).await?;
            }
            (Action::BindFlow { alias }, Some(id)) => {
                let flow = step_up::find(admin, alias).await?.ok_or_else(|| {
                    AdminError::Failed(
                        format!("find the flow {alias}"),
                        reqwest::StatusCode::NOT_FOUND,
                    )
                })?;
                let path = format!("/clients/{id}");
                let mut client = admin.get(&path, "read clients").await?;
                client["authenticationFlowBindingOverrides"]["browser"] = flow["id"].clone();
                admin.put(&path, &client, "update clients").await?;
            }
            (Action::AddOptionalScope(scope), Some(id)) => {
                let path = format!("/clients/{id}/optional-client-scopes/{scope}");
                admin.put(&path, &json!({}), "update clients").await?;
            }
            (Action::WriteSecret { path, value }, _) => {
                write_secret(path, value.expose_secret())
                    .map_err(|e| Step::Secret(path.display().to_string(), e))?;
            }
            // A client's part without the client: only on a dry run, which applies nothing.
            (_, None) => {}
        }
    }
    Ok(id)
}

/// The realm's Organizations switch, its `organization` client scope, and whether the client
/// `id` has it (`doctor` reads it the same way).
pub async fn organizations(admin: &Admin, id: Option<&str>) -> Result<Organizations, AdminError> {
    let realm = admin.get("", "read the realm").await?;
    let found = list(admin, "/client-scopes", "read client scopes")
        .await?
        .into_iter()
        .find(|s| s["name"] == "organization");
    let scope = found
        .as_ref()
        .and_then(|s| s["id"].as_str().map(str::to_owned));
    let mapped = found.as_ref().is_some_and(|s| {
        s["protocolMappers"].as_array().is_some_and(|ms| {
            ms.iter().any(|m| {
                m["protocolMapper"] == "oidc-organization-membership-mapper"
                    && m["config"]["id.token.claim"] == "true"
                    && m["config"]["claim.name"] == "organization"
            })
        })
    });
    let mut assigned = false;
    if let Some(id) = id {
        for kind in ["default", "optional"] {
            assigned |= client_has_scope(admin, id, kind, "organization").await?;
        }
    }
    Ok(Organizations {
        enabled: realm["organizationsEnabled"].as_bool().unwrap_or(false),
        scope,
        mapped,
        assigned,
    })
}

/// Whether the client has the client scope `name` among its `kind` (default, optional) ones.
pub async fn client_has_scope(
    admin: &Admin,
    client: &str,
    kind: &str,
    name: &str,
) -> Result<bool, AdminError> {
    let path = format!("/clients/{client}/{kind}-client-scopes");
    let scopes = list(admin, &path, "read client scopes").await?;
    Ok(scopes.iter().any(|s| s["name"] == name))
}

async fn list(admin: &Admin, path: &str, what: &str) -> Result<Vec<Value>, AdminError> {
    Ok(admin
        .get(path, what)
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
