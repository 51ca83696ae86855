//! The step-up browser flow of `[step_up]`: what it must look like, how to read an existing
//! one, and the requests that build it. Keycloak's levels of authentication are sub-flows
//! guarded by "Condition - Level of Authentication": a login asking for level 2 with a
//! session at level 1 runs only the level-2 sub-flow (the OTP), and the ID token's `acr`
//! names the level reached.
//!
//! ```text
//! <flow>                       (top level, bound to the bridge's client only)
//!   Cookie                     ALTERNATIVE
//!   <flow> forms               ALTERNATIVE
//!     <flow> level 1           CONDITIONAL
//!       Condition - LoA 1      REQUIRED    (max age 36000 s)
//!       Username Password Form REQUIRED
//!     <flow> level 2           CONDITIONAL
//!       Condition - LoA 2      REQUIRED    (max age step_up.max_age_secs)
//!       Condition - User Configured REQUIRED
//!       OTP Form               REQUIRED
//! ```
//!
//! "User Configured" skips the OTP step for a user who has no OTP credential, so that the
//! login ends at level 1 and the bridge shows its page with the way to set one up. Without
//! it Keycloak would ask such a user to register an authenticator on the spot, after the
//! password alone: whoever holds a stolen password could then enrol their own device and
//! pass the step that was meant to stop them.

use crate::keycloak::admin::{Admin, AdminError};
use crate::policy::level::{Level, Levels};
use serde_json::{Value, json};

/// Keycloak's provider ids (`GET .../authentication/authenticator-providers`).
pub const COOKIE: &str = "auth-cookie";
pub const LOA_CONDITION: &str = "conditional-level-of-authentication";
pub const USER_CONFIGURED: &str = "conditional-user-configured";
pub const PASSWORD_FORM: &str = "auth-username-password-form";
pub const OTP_FORM: &str = "auth-otp-form";
/// The condition's configuration keys.
const LOA_LEVEL_KEY: &str = "loa-condition-level";
const LOA_MAX_AGE_KEY: &str = "loa-max-age";
/// The lowest level stays valid as long as Keycloak's default SSO session (its own default
/// for the condition): a password once a working day.
pub const LOWEST_MAX_AGE_SECS: u64 = 36_000;

/// One level as the flow holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLevel {
    pub number: u32,
    pub max_age_secs: u64,
    /// The authenticator of its sub-flow.
    pub authenticator: String,
    /// The sub-flow runs only for users who have that authenticator's credential.
    pub only_if_configured: bool,
}

/// What the flow must hold for `levels`: the two lowest (password, OTP); and the levels above
/// them, which setup-keycloak leaves to the admin (it would not know their authenticator).
pub fn wanted(levels: &Levels, max_age_secs: u64) -> (Vec<FlowLevel>, Vec<Level>) {
    let ordered = levels.ordered();
    let mut built = Vec::new();
    let mut left = Vec::new();
    for (i, l) in ordered.into_iter().enumerate() {
        match i {
            0 => built.push(FlowLevel {
                number: l.number,
                max_age_secs: LOWEST_MAX_AGE_SECS,
                authenticator: PASSWORD_FORM.into(),
                only_if_configured: false,
            }),
            1 => built.push(FlowLevel {
                number: l.number,
                max_age_secs,
                authenticator: OTP_FORM.into(),
                only_if_configured: true,
            }),
            _ => left.push(l),
        }
    }
    (built, left)
}

/// The levels an existing flow holds, read from its executions (`GET .../executions`, in
/// order, each with its depth) and the conditions' configurations (by execution id).
pub fn read(executions: &[Value], configs: &dyn Fn(&str) -> Option<Value>) -> Vec<FlowLevel> {
    let mut out = Vec::new();
    for (i, e) in executions.iter().enumerate() {
        if e["providerId"] != LOA_CONDITION {
            continue;
        }
        let config = e["id"].as_str().and_then(configs).unwrap_or(Value::Null);
        let Some(number) = number_key(&config, LOA_LEVEL_KEY).and_then(|n| u32::try_from(n).ok())
        else {
            continue;
        };
        // What else its sub-flow holds: the conditions and the authenticator beside it.
        let depth = e["level"].as_u64();
        let siblings: Vec<&str> = executions[i + 1..]
            .iter()
            .take_while(|s| s["level"].as_u64() >= depth)
            .filter(|s| s["level"].as_u64() == depth)
            .filter_map(|s| s["providerId"].as_str())
            .collect();
        let authenticator = siblings
            .iter()
            .find(|p| !p.starts_with("conditional-"))
            .copied()
            .unwrap_or("")
            .to_owned();
        out.push(FlowLevel {
            number,
            max_age_secs: number_key(&config, LOA_MAX_AGE_KEY).unwrap_or(LOWEST_MAX_AGE_SECS),
            authenticator,
            only_if_configured: siblings.contains(&USER_CONFIGURED),
        });
    }
    out.sort_by_key(|l| l.number);
    out
}

fn number_key(config: &Value, key: &str) -> Option<u64> {
    match &config[key] {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// What differs between the flow and what it must be, in words (empty: as it must be).
pub fn differences(found: &[FlowLevel], wanted: &[FlowLevel]) -> Vec<String> {
    let mut out = Vec::new();
    for w in wanted {
        match found.iter().find(|f| f.number == w.number) {
            None => out.push(format!("has no sub-flow for level {}", w.number)),
            Some(f) => {
                if f.authenticator != w.authenticator {
                    out.push(format!(
                        "asks level {} with {:?}, not {:?}",
                        w.number, f.authenticator, w.authenticator
                    ));
                }
                if w.only_if_configured && !f.only_if_configured {
                    out.push(format!(
                        "asks users without that credential to register one during the login \
                         to reach level {} (a stolen password would then do; add \
                         \"Condition - User Configured\" to its sub-flow)",
                        w.number
                    ));
                }
                if f.max_age_secs != w.max_age_secs {
                    out.push(format!(
                        "keeps level {} for {} s, not {} s",
                        w.number, f.max_age_secs, w.max_age_secs
                    ));
                }
            }
        }
    }
    out
}

/// Describes the flow for the plan's lines.
pub fn describe(levels: &Levels, wanted: &[FlowLevel]) -> String {
    let names = levels.ordered();
    wanted
        .iter()
        .zip(names)
        .map(|(w, l)| {
            let what = if w.authenticator == OTP_FORM {
                "an OTP code"
            } else {
                "the password"
            };
            format!(
                "{what} = level {} ({}, valid {} s)",
                w.number, l.name, w.max_age_secs
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The client's ACR-to-LoA mapping as Keycloak stores it (a JSON object in a string
/// attribute), or `None` when it has none or an unreadable one.
pub fn client_loa_map(client: &Value) -> Option<Value> {
    client
        .pointer("/attributes/acr.loa.map")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
}

/// The id of the flow the client uses for browser logins instead of the realm's, if any.
pub fn client_browser_flow(client: &Value) -> Option<&str> {
    client
        .pointer("/authenticationFlowBindingOverrides/browser")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The realm's top-level flow called `alias`.
pub async fn find(admin: &Admin, alias: &str) -> Result<Option<Value>, AdminError> {
    let flows = admin
        .get("/authentication/flows", "read authentication flows")
        .await?;
    Ok(flows
        .as_array()
        .and_then(|a| a.iter().find(|f| f["alias"] == alias))
        .cloned())
}

/// The levels the flow `alias` holds.
pub async fn levels_of(admin: &Admin, alias: &str) -> Result<Vec<FlowLevel>, AdminError> {
    let executions = admin
        .get(
            &format!("/authentication/flows/{}/executions", path(alias)),
            "read authentication flows",
        )
        .await?;
    let executions = executions.as_array().cloned().unwrap_or_default();
    let mut configs = std::collections::BTreeMap::new();
    for e in &executions {
        if let (Some(id), Some(config)) = (e["id"].as_str(), e["authenticationConfig"].as_str()) {
            let c = admin
                .get(
                    &format!("/authentication/config/{}", path(config)),
                    "read authentication flows",
                )
                .await?;
            configs.insert(id.to_owned(), c["config"].clone());
        }
    }
    Ok(read(&executions, &|id| configs.get(id).cloned()))
}

/// Builds the flow `alias` with `levels` (see the module's picture).
pub async fn create(admin: &Admin, alias: &str, levels: &[FlowLevel]) -> Result<(), AdminError> {
    const WHAT: &str = "create authentication flows";
    admin
        .post(
            "/authentication/flows",
            &json!({
                "alias": alias,
                "description": "Levels of authentication for jitsi-oidc-bridge (setup-keycloak)",
                "providerId": "basic-flow",
                "topLevel": true,
                "builtIn": false,
            }),
            WHAT,
        )
        .await?;
    let forms = format!("{alias} forms");
    add_execution(admin, alias, COOKIE).await?;
    add_subflow(admin, alias, &forms).await?;
    for l in levels {
        let sub = format!("{alias} level {}", l.number);
        add_subflow(admin, &forms, &sub).await?;
        add_execution(admin, &sub, LOA_CONDITION).await?;
        if l.only_if_configured {
            add_execution(admin, &sub, USER_CONFIGURED).await?;
        }
        add_execution(admin, &sub, &l.authenticator).await?;
    }
    // Keycloak adds executions DISABLED; then the requirements, and each condition's level.
    let executions = admin
        .get(
            &format!("/authentication/flows/{}/executions", path(alias)),
            "read authentication flows",
        )
        .await?;
    let mut level_numbers = levels.iter();
    for mut e in executions.as_array().cloned().unwrap_or_default() {
        let requirement = match (e["level"].as_u64(), e["providerId"].as_str()) {
            (Some(0), _) => "ALTERNATIVE",
            (Some(1), _) => "CONDITIONAL",
            _ => "REQUIRED",
        };
        e["requirement"] = json!(requirement);
        admin
            .put(
                &format!("/authentication/flows/{}/executions", path(alias)),
                &e,
                WHAT,
            )
            .await?;
        if e["providerId"] == LOA_CONDITION {
            let (Some(id), Some(l)) = (e["id"].as_str(), level_numbers.next()) else {
                continue;
            };
            let config = json!({
                "alias": format!("{alias} level {}", l.number),
                "config": {
                    LOA_LEVEL_KEY: l.number.to_string(),
                    LOA_MAX_AGE_KEY: l.max_age_secs.to_string(),
                },
            });
            admin
                .post(
                    &format!("/authentication/executions/{}/config", path(id)),
                    &config,
                    WHAT,
                )
                .await?;
        }
    }
    Ok(())
}

async fn add_execution(admin: &Admin, flow: &str, provider: &str) -> Result<(), AdminError> {
    admin
        .post(
            &format!("/authentication/flows/{}/executions/execution", path(flow)),
            &json!({ "provider": provider }),
            "create authentication flows",
        )
        .await
}

async fn add_subflow(admin: &Admin, parent: &str, alias: &str) -> Result<(), AdminError> {
    admin
        .post(
            &format!("/authentication/flows/{}/executions/flow", path(parent)),
            &json!({ "alias": alias, "type": "basic-flow", "provider": "registration-page-form", "description": "" }),
            "create authentication flows",
        )
        .await
}

/// A path segment, percent-encoded (flow aliases have spaces).
fn path(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn levels() -> Levels {
        Levels::new(BTreeMap::from([("password".into(), 1), ("otp".into(), 2)]))
    }

    /// `GET .../executions` of a flow `create` built, as Keycloak 26.7 answers it (trimmed).
    fn executions() -> Vec<Value> {
        vec![
            json!({"id": "c", "providerId": "auth-cookie", "level": 0, "index": 0}),
            json!({"id": "f", "displayName": "x forms", "authenticationFlow": true, "level": 0, "index": 1}),
            json!({"id": "s1", "displayName": "x level 1", "authenticationFlow": true, "level": 1, "index": 0}),
            json!({"id": "l1", "providerId": LOA_CONDITION, "level": 2, "index": 0, "authenticationConfig": "k1"}),
            json!({"id": "p", "providerId": PASSWORD_FORM, "level": 2, "index": 1}),
            json!({"id": "s2", "displayName": "x level 2", "authenticationFlow": true, "level": 1, "index": 1}),
            json!({"id": "l2", "providerId": LOA_CONDITION, "level": 2, "index": 0, "authenticationConfig": "k2"}),
            json!({"id": "u", "providerId": USER_CONFIGURED, "level": 2, "index": 1}),
            json!({"id": "o", "providerId": OTP_FORM, "level": 2, "index": 2}),
        ]
    }

    fn configs(max_age_2: &str) -> impl Fn(&str) -> Option<Value> {
        let max_age_2 = max_age_2.to_owned();
        move |id| match id {
            "l1" => Some(json!({"loa-condition-level": "1", "loa-max-age": "36000"})),
            "l2" => Some(json!({"loa-condition-level": "2", "loa-max-age": max_age_2})),
            _ => None,
        }
    }

    #[test]
    fn a_built_flow_reads_back_as_wanted() {
        let (wanted, left) = wanted(&levels(), 0);
        assert!(left.is_empty());
        let found = read(&executions(), &configs("0"));
        assert_eq!(found, wanted);
        assert!(differences(&found, &wanted).is_empty());
        assert_eq!(
            describe(&levels(), &wanted),
            "the password = level 1 (password, valid 36000 s), an OTP code = level 2 (otp, valid 0 s)"
        );
    }

    #[test]
    fn a_changed_flow_is_described() {
        let (wanted, _) = wanted(&levels(), 0);
        let found = read(&executions(), &configs("600"));
        assert_eq!(
            differences(&found, &wanted),
            ["keeps level 2 for 600 s, not 0 s"]
        );
        let mut without = executions();
        without.remove(7);
        let found = read(&without, &configs("0"));
        assert!(differences(&found, &wanted)[0].contains("a stolen password would then do"));
        let found = read(&executions()[..5], &configs("0"));
        assert_eq!(
            differences(&found, &wanted),
            ["has no sub-flow for level 2"]
        );
    }

    #[test]
    fn levels_beyond_the_second_are_left_to_the_admin() {
        let three = Levels::new(BTreeMap::from([
            ("a".into(), 1),
            ("b".into(), 2),
            ("c".into(), 3),
        ]));
        let (built, left) = wanted(&three, 60);
        assert_eq!(built.len(), 2);
        assert_eq!(left[0].name, "c");
    }

    #[test]
    fn the_client_mapping_and_binding_are_read() {
        let client = json!({
            "attributes": {"acr.loa.map": "{\"password\":1,\"otp\":2}"},
            "authenticationFlowBindingOverrides": {"browser": "flow-id"},
        });
        assert_eq!(client_loa_map(&client), Some(levels().loa_map()));
        assert_eq!(client_browser_flow(&client), Some("flow-id"));
        let bare =
            json!({"attributes": {"acr.loa.map": "{}"}, "authenticationFlowBindingOverrides": {}});
        assert_eq!(client_loa_map(&bare), None);
        assert_eq!(client_browser_flow(&bare), None);
        assert_eq!(path("a b/c"), "a%20b%2Fc");
    }
}
