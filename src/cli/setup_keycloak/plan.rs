//! What `setup-keycloak` would do to a realm, decided from what the realm holds, without a
//! request: the lines it prints and the actions behind them. `--dry-run` prints this plan;
//! a real run prints the same plan and carries it out (`apply`).

use super::step_up::{self, FlowLevel};
use super::{
    Options, Target, declare_hint, missing_mappers, new_client, plan_client, short_group_mappers,
    wildcards,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// How a line of the report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `+`: a change made (or, on a dry run, that would be made).
    Change,
    /// `!`: left to the admin; the run exits 1.
    Conflict,
    /// `=`: a line for the operator's configuration, not a change of Keycloak's.
    Hint,
    /// Information (a nested group left alone, the secret when asked for).
    Note,
}

/// One thing the plan makes Keycloak (or the secret file) do.
pub enum Action {
    CreateClient(Value),
    UpdateClient {
        id: String,
        client: Value,
    },
    AddMapper(Value),
    FixMapper {
        id: String,
        mapper: Value,
    },
    AddRole(String),
    CreateGroup(String),
    /// The step-up browser flow, with its levels.
    CreateFlow {
        alias: String,
        levels: Vec<FlowLevel>,
    },
    /// The client's browser logins through the flow `alias` (its id is read when applied:
    /// the flow may be created by the same run).
    BindFlow {
        alias: String,
    },
    /// The client scope (by id) as one of the client's optional scopes.
    AddOptionalScope(String),
    WriteSecret {
        path: PathBuf,
        value: SecretString,
    },
}

#[derive(Default)]
pub struct Plan {
    pub lines: Vec<(Mark, String)>,
    pub actions: Vec<Action>,
}

impl Plan {
    fn change(&mut self, text: String, action: Option<Action>) {
        self.lines.push((Mark::Change, text));
        self.actions.extend(action);
    }

    fn say(&mut self, mark: Mark, text: String) {
        self.lines.push((mark, text));
    }
}

/// The client: created when it is missing, tightened where it is not as the bridge needs it.
pub fn client(existing: Option<&Value>, t: &Target, opts: Options) -> Plan {
    let mut plan = Plan::default();
    let Some(client) = existing else {
        let verb = if opts.dry_run { "would" } else { "will" };
        plan.change(
            format!("create the client ({verb} be confidential, standard flow, PKCE S256)"),
            Some(Action::CreateClient(new_client(t))),
        );
        return plan;
    };
    let (updated, changes, conflicts) = plan_client(client, t, opts.force);
    let id = client["id"].as_str().map(str::to_owned);
    let update = match (changes.is_empty(), id) {
        (false, Some(id)) => Some(Action::UpdateClient {
            id,
            client: updated,
        }),
        _ => None,
    };
    for c in changes {
        plan.say(Mark::Change, c);
    }
    plan.actions.extend(update);
    for c in conflicts.into_iter().chain(wildcards(client)) {
        plan.say(Mark::Conflict, c);
    }
    plan
}

/// What the realm holds around the client, as read before planning the rest.
#[derive(Default)]
pub struct Found {
    pub mappers: Vec<Value>,
    pub roles: Vec<String>,
    /// The wanted top-level groups that exist.
    pub groups: BTreeSet<String>,
    /// The client's secret: `None` without a client (a dry run of a new one), `Some(None)`
    /// when the client has none.
    pub secret: Option<Option<SecretString>>,
    /// What the secret file holds now.
    pub secret_file: Option<String>,
    /// The step-up flow (`[step_up] flow`), if the realm has it: its id and levels.
    pub flow: Option<(String, Vec<FlowLevel>)>,
    /// The flow the client uses for browser logins instead of the realm's.
    pub browser_flow: Option<String>,
    /// Organizations in the realm, when the configuration names some.
    pub organizations: Option<Organizations>,
}

/// What the realm holds for Keycloak Organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organizations {
    /// The realm's switch (`organizationsEnabled`).
    pub enabled: bool,
    /// The id of the `organization` client scope, if the realm has it.
    pub scope: Option<String>,
    /// That scope has its "Organization Membership" mapper, writing `organization` into
    /// the ID token.
    pub mapped: bool,
    /// The client has that scope (default or optional).
    pub assigned: bool,
}

/// The mappers, client roles, groups and the secret file.
pub fn parts(found: &Found, t: &Target, opts: Options) -> Plan {
    let mut plan = Plan::default();
    let added = missing_mappers(&found.mappers, &t.client_id);
    if let (false, Some(hint)) = (added.is_empty(), declare_hint(t)) {
        plan.say(Mark::Hint, hint);
    }
    for m in added {
        let text = format!(
            "add the mapper \"{}\" (ID token)",
            m["name"].as_str().unwrap_or("")
        );
        plan.change(text, Some(Action::AddMapper(m)));
    }
    for m in short_group_mappers(&found.mappers) {
        let text = format!(
            "send full group paths from the mapper \"{}\"",
            m["name"].as_str().unwrap_or("")
        );
        let fix = m["id"].as_str().map(|id| Action::FixMapper {
            id: id.to_owned(),
            mapper: m.clone(),
        });
        plan.change(text, fix);
    }
    for role in t.client_roles.iter().filter(|r| !found.roles.contains(r)) {
        plan.change(
            format!("add the client role {role}"),
            Some(Action::AddRole(role.clone())),
        );
    }
    if opts.create_groups {
        for (group, name) in wanted_groups(t) {
            if name.contains('/') {
                plan.say(Mark::Note, format!("nested group {group} is left to you"));
            } else if !found.groups.contains(name) {
                plan.change(
                    format!("create the group {name}"),
                    Some(Action::CreateGroup(name.to_owned())),
                );
            }
        }
    }
    step_up(&mut plan, found, t, opts);
    organizations(&mut plan, found.organizations.as_ref());
    secret(&mut plan, found, t, opts);
    plan
}

/// The `organization` client scope on the client, for rules that name organizations: the
/// login asks for `organization:*`, which needs the scope among the client's. The realm's
/// switch is the realm admin's.
pub fn organizations(plan: &mut Plan, found: Option<&Organizations>) {
    let Some(found) = found else {
        return;
    };
    if !found.enabled {
        plan.say(
            Mark::Conflict,
            "the rules name organizations, but Organizations are off in this realm: turn them on (Realm settings → General → Organizations); setup-keycloak leaves realm-wide switches to you".into(),
        );
        return;
    }
    match &found.scope {
        None => plan.say(
            Mark::Conflict,
            "the realm has no \"organization\" client scope (Keycloak creates it with Organizations); create it with an \"Organization Membership\" mapper".into(),
        ),
        Some(_) if !found.mapped => plan.say(
            Mark::Conflict,
            "the \"organization\" client scope has no \"Organization Membership\" mapper writing \"organization\" into the ID token: add one (Add to ID token on) or fix it".into(),
        ),
        Some(_) if found.assigned => {}
        Some(id) => plan.change(
            "add the client scope \"organization\" (optional: the login asks for it as organization:*)".into(),
            Some(Action::AddOptionalScope(id.clone())),
        ),
    }
}

/// The step-up flow and its binding to the client; nothing without `[step_up] levels`. An
/// existing flow is never rebuilt (an admin may have changed it on purpose): a difference is
/// a conflict.
fn step_up(plan: &mut Plan, found: &Found, t: &Target, opts: Options) {
    if t.levels.is_empty() {
        return;
    }
    let alias = &t.step_up.flow;
    let (wanted, left) = step_up::wanted(&t.levels, t.step_up.max_age_secs);
    for l in left {
        plan.say(
            Mark::Conflict,
            format!(
                "level {l} is left to you: setup-keycloak builds the password and OTP levels; add a sub-flow \"{alias} level {}\" with its condition and authenticator",
                l.number
            ),
        );
    }
    match &found.flow {
        None => plan.change(
            format!(
                "create the browser flow \"{alias}\": {}",
                step_up::describe(&t.levels, &wanted)
            ),
            Some(Action::CreateFlow {
                alias: alias.clone(),
                levels: wanted,
            }),
        ),
        Some((_, levels)) => {
            for d in step_up::differences(levels, &wanted) {
                plan.say(
                    Mark::Conflict,
                    format!("the flow \"{alias}\" {d}; change it in the admin console, or delete it and run setup-keycloak again"),
                );
            }
        }
    }
    let bound = match (&found.flow, &found.browser_flow) {
        (Some((id, _)), Some(current)) => current == id,
        _ => false,
    };
    if bound {
        return;
    }
    if found.browser_flow.is_some() && !opts.force {
        plan.say(
            Mark::Conflict,
            format!("the client's browser logins use another flow; the rooms' levels need \"{alias}\" (use --force to bind it)"),
        );
        return;
    }
    plan.change(
        format!("use the flow \"{alias}\" for this client's browser logins (other clients keep the realm's)"),
        Some(Action::BindFlow {
            alias: alias.clone(),
        }),
    );
}

/// The groups `[moderators]` and `[[rules]]` name, each with its name without the leading `/`.
pub fn wanted_groups(t: &Target) -> impl Iterator<Item = (&String, &str)> {
    t.groups.iter().map(|g| (g, g.trim_start_matches('/')))
}

fn secret(plan: &mut Plan, found: &Found, t: &Target, opts: Options) {
    let Some(secret) = &found.secret else {
        return;
    };
    let Some(value) = secret else {
        plan.say(
            Mark::Conflict,
            "the client has no secret (is it public?); nothing written".to_owned(),
        );
        return;
    };
    if opts.print_secret {
        plan.say(
            Mark::Note,
            format!("client secret {}", value.expose_secret()),
        );
    }
    match &t.secret_file {
        Some(path) => {
            let current = found
                .secret_file
                .as_deref()
                .map(|s| s.trim_end_matches(['\r', '\n']));
            if current != Some(value.expose_secret()) {
                plan.change(
                    format!("write the client secret to {}", path.display()),
                    Some(Action::WriteSecret {
                        path: path.clone(),
                        value: value.clone(),
                    }),
                );
            }
        }
        None => plan.say(
            Mark::Note,
            "set oidc.client_secret_file to have the client secret written there".to_owned(),
        ),
    }
}
