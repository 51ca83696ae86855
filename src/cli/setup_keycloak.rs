//! `jitsi-oidc-bridge setup-keycloak`: make each Keycloak realm of the configuration match
//! what the bridge needs, through the admin REST API, idempotently.
//!
//! Per realm: the confidential client (standard flow, PKCE S256, the bridge's redirect and
//! post-logout URIs, front-channel logout off), the three mappers that put groups (full path),
//! realm roles and client roles into the ID token, the client roles the configuration names,
//! and with `--create-groups` its groups; with `[step_up] levels`, the client's ACR-to-LoA
//! mapping and a step-up browser flow bound to the client; then the client secret goes to the file that
//! `oidc.client_secret_file` names (mode 0600). It only ever adds or tightens: other flows that
//! are on, or a public client, are listed as conflicts and left alone unless `--force`.
//! `--dry-run` prints the same plan and changes nothing; a second run prints "no changes".

use crate::config::{Config, RealmConfig, StepUpConfig};
use crate::keycloak::admin::{Admin, AdminError, Credentials};
use crate::policy::claims::AbsentMeansEmpty;
use crate::policy::level::Levels;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub dry_run: bool,
    pub force: bool,
    pub create_groups: bool,
    pub print_secret: bool,
}

/// What one realm must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `default` or the tenant, for the output.
    pub name: String,
    /// Keycloak's base URL and the realm, from the issuer `<base>/realms/<realm>`.
    pub base: String,
    pub realm: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub post_logout: Vec<String>,
    pub client_roles: Vec<String>,
    pub groups: Vec<String>,
    pub secret_file: Option<PathBuf>,
    /// `oidc.absent_means_empty` of the realm.
    pub absent_means_empty: AbsentMeansEmpty,
    /// `oidc.scopes` asks for `email` (an optional client scope then applies).
    pub requests_email: bool,
    /// `[step_up]`: the levels (the client's ACR-to-LoA mapping) and the browser flow.
    pub levels: Levels,
    pub step_up: StepUpConfig,
    /// The rules or this realm's moderators name Keycloak organizations.
    pub organizations: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Config(String),
    #[error("realm {0}: {1}")]
    Admin(String, AdminError),
    #[error("cannot write the client secret to {0}: {1}")]
    SecretFile(String, std::io::Error),
}

/// What a run did (or, with `--dry-run`, would do).
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub changes: usize,
    pub conflicts: usize,
}

/// The realms of a configuration, each with what it must hold.
pub fn targets(config: &Config) -> Result<Vec<Target>, SetupError> {
    let mut out: Vec<Target> = Vec::new();
    for (_, tenant, rc) in config.realms() {
        let name = tenant.unwrap_or("default").to_owned();
        let (base, realm) = split_issuer(&rc.oidc.issuer).ok_or_else(|| {
            SetupError::Config(format!(
                "oidc.issuer {} is not a Keycloak realm URL (<base>/realms/<realm>)",
                rc.oidc.issuer
            ))
        })?;
        // Tenants that share the default realm and client need no second pass, only what
        // their own moderators ask of it.
        if let Some(t) = out
            .iter_mut()
            .find(|t| t.base == base && t.realm == realm && t.client_id == rc.oidc.client_id)
        {
            t.organizations |= config.asks_organizations(tenant, rc);
            continue;
        }
        let mut post_logout = vec![config.own_logged_out().to_string()];
        if let Some(u) = &config.logout_redirect_url {
            post_logout.push(u.to_string());
        }
        out.push(Target {
            name,
            base,
            realm,
            client_id: rc.oidc.client_id.clone(),
            redirect_uri: config.redirect_uri().to_string(),
            post_logout,
            client_roles: names(config, rc, |w| &w.client_roles),
            groups: names(config, rc, |w| &w.groups),
            secret_file: rc.oidc.client_secret_file.clone(),
            absent_means_empty: rc.oidc.absent_means_empty,
            requests_email: rc.oidc.scopes.iter().any(|s| s == "email"),
            levels: config.policy.levels.clone(),
            step_up: config.step_up.clone(),
            organizations: config.asks_organizations(tenant, rc),
        });
    }
    Ok(out)
}

fn names(
    config: &Config,
    rc: &RealmConfig,
    pick: impl Fn(&crate::policy::rules::Who) -> &Vec<String>,
) -> Vec<String> {
    let mut set = BTreeSet::new();
    for list in std::iter::once(pick(&rc.moderators))
        .chain(std::iter::once(pick(&config.policy.access.who)))
        .chain(config.policy.rules.iter().map(|r| pick(&r.who)))
    {
        set.extend(list.iter().cloned());
    }
    set.into_iter().collect()
}

fn split_issuer(issuer: &str) -> Option<(String, String)> {
    let (base, realm) = issuer.trim_end_matches('/').rsplit_once("/realms/")?;
    (!realm.is_empty() && !realm.contains('/')).then(|| (base.to_owned(), realm.to_owned()))
}

/// The client as the bridge needs it, for creating it.
pub fn new_client(t: &Target) -> Value {
    let mut client = json!({
        "clientId": t.client_id,
        "name": "Jitsi login bridge",
        "enabled": true,
        "protocol": "openid-connect",
        "publicClient": false,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": true,
        "implicitFlowEnabled": false,
        "directAccessGrantsEnabled": false,
        "serviceAccountsEnabled": false,
        "frontchannelLogout": false,
        "redirectUris": [t.redirect_uri],
        "webOrigins": [],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": t.post_logout.join("##"),
        },
    });
    if !t.levels.is_empty() {
        client["attributes"]["acr.loa.map"] = json!(t.levels.loa_map().to_string());
    }
    client
}

/// What an existing client needs: the changed representation, the changes in words, and the
/// conflicts (settings that would be loosened or that are on for someone else's reason).
pub fn plan_client(existing: &Value, t: &Target, force: bool) -> (Value, Vec<String>, Vec<String>) {
    let mut updated = existing.clone();
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    let on = |v: &Value, k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    if on(existing, "publicClient") {
        if force {
            updated["publicClient"] = json!(false);
            changes.push("make the client confidential (--force)".to_owned());
        } else {
            conflicts.push("the client is public; the bridge needs a confidential client with a secret (use --force to change it)".to_owned());
        }
    }
    if !on(existing, "standardFlowEnabled") {
        updated["standardFlowEnabled"] = json!(true);
        changes.push("turn on the standard flow".to_owned());
    }
    for (key, what) in [
        ("implicitFlowEnabled", "the implicit flow"),
        ("directAccessGrantsEnabled", "direct access grants"),
        ("serviceAccountsEnabled", "service accounts"),
    ] {
        if on(existing, key) {
            if force {
                updated[key] = json!(false);
                changes.push(format!("turn off {what} (--force)"));
            } else {
                conflicts.push(format!(
                    "{what} is on; the bridge does not need it, but something else may (use --force to turn it off)"
                ));
            }
        }
    }
    if on(existing, "frontchannelLogout") {
        updated["frontchannelLogout"] = json!(false);
        changes.push("turn off front-channel logout".to_owned());
    }
    let attrs = existing.get("attributes").cloned().unwrap_or(json!({}));
    if attrs
        .get("pkce.code.challenge.method")
        .and_then(Value::as_str)
        != Some("S256")
    {
        updated["attributes"]["pkce.code.challenge.method"] = json!("S256");
        changes.push("require PKCE with S256".to_owned());
    }
    let mut redirects = redirect_uris(existing);
    if !redirects.contains(&t.redirect_uri) {
        redirects.push(t.redirect_uri.clone());
        updated["redirectUris"] = json!(redirects);
        changes.push(format!("add the redirect URI {}", t.redirect_uri));
    }
    let mut logout = post_logout_uris(existing);
    let mut added = false;
    for u in &t.post_logout {
        if !logout.contains(u) {
            logout.push(u.clone());
            changes.push(format!("add the post-logout redirect URI {u}"));
            added = true;
        }
    }
    if added {
        updated["attributes"]["post.logout.redirect.uris"] = json!(logout.join("##"));
    }
    if !t.levels.is_empty() && step_up::client_loa_map(existing) != Some(t.levels.loa_map()) {
        let map = t.levels.loa_map().to_string();
        updated["attributes"]["acr.loa.map"] = json!(map);
        changes.push(format!("set the ACR to LoA mapping to {map}"));
    }
    (updated, changes, conflicts)
}

/// A client's redirect URIs.
fn redirect_uris(client: &Value) -> Vec<String> {
    client
        .get("redirectUris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A client's post-logout redirect URIs (one attribute, joined with `##`).
fn post_logout_uris(client: &Value) -> Vec<String> {
    client
        .pointer("/attributes/post.logout.redirect.uris")
        .and_then(Value::as_str)
        .map(|s| {
            s.split("##")
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Redirect URIs with Keycloak's wildcard (`*`, alone or at the end), in words. Keycloak sends
/// the login's code to any URI a pattern matches, so one page there that leaks its URL (an open
/// redirect, a third-party script, a log) hands out codes; after logout, any matching URL is a
/// redirect Keycloak makes on an attacker's behalf. Left to the admin, as setup never narrows
/// what may be someone else's (the bridge itself needs only its exact URIs).
pub fn wildcards(client: &Value) -> Vec<String> {
    let redirects = redirect_uris(client);
    let logout = post_logout_uris(client);
    let named = |kind: &str, uris: &[String]| -> Vec<String> {
        uris.iter()
            .filter(|u| u.contains('*'))
            .map(|u| {
                format!(
                    "the {kind} URI {u} is a wildcard; list the exact URLs instead (Keycloak \
                     sends {} to any URL it matches)",
                    if kind == "redirect" {
                        "login codes"
                    } else {
                        "users after logout"
                    }
                )
            })
            .collect()
    };
    let mut out = named("redirect", &redirects);
    out.extend(named("post-logout redirect", &logout));
    out
}

/// Sets up every realm; `creds` signs in to each realm's Keycloak.
pub async fn run(
    config: &Config,
    creds: &Credentials,
    opts: Options,
) -> Result<Report, SetupError> {
    let mut report = Report::default();
    for t in targets(config)? {
        let admin = match Admin::sign_in(&t.base, &t.realm, creds).await {
            Ok(admin) => admin,
            Err(e @ AdminError::OtherServer { .. }) => {
                // Left to the admin of that Keycloak, like a conflict.
                report.conflicts += 1;
                report
                    .lines
                    .push(format!("! realm {} ({}): {e}", t.realm, t.name));
                continue;
            }
            Err(e) => return Err(SetupError::Admin(t.realm.clone(), e)),
        };
        setup_realm(&admin, &t, opts, &mut report)
            .await
            .map_err(|e| match e {
                Step::Admin(e) => SetupError::Admin(t.realm.clone(), e),
                Step::Secret(path, e) => SetupError::SecretFile(path, e),
            })?;
    }
    if report.changes == 0 && report.conflicts == 0 {
        report.lines.push("no changes".to_owned());
    }
    Ok(report)
}

/// One realm: the client planned and set up first (the rest needs its id), then its mappers,
/// roles, groups and secret; each plan printed, and carried out unless `--dry-run`.
async fn setup_realm(
    admin: &Admin,
    t: &Target,
    opts: Options,
    report: &mut Report,
) -> Result<(), Step> {
    let prefix = format!("realm {} ({}): client {}", t.realm, t.name, t.client_id);
    let existing = apply::client(admin, t).await?;
    let client_plan = plan::client(existing.as_ref(), t, opts);
    report.add(&prefix, &client_plan);
    let mut id = existing.and_then(|c| c["id"].as_str().map(str::to_owned));
    if !opts.dry_run {
        id = apply::apply(admin, t, id, &client_plan.actions).await?;
    }
    let found = apply::found(admin, id.as_deref(), t, opts).await?;
    let parts_plan = plan::parts(&found, t, opts);
    report.add(&prefix, &parts_plan);
    if !opts.dry_run {
        apply::apply(admin, t, id, &parts_plan.actions).await?;
    }
    Ok(())
}

impl Report {
    /// A plan's lines, counted.
    fn add(&mut self, prefix: &str, plan: &plan::Plan) {
        for (mark, text) in &plan.lines {
            let sign = match mark {
                plan::Mark::Change => {
                    self.changes += 1;
                    "+"
                }
                plan::Mark::Conflict => {
                    self.conflicts += 1;
                    "!"
                }
                plan::Mark::Hint => "=",
                plan::Mark::Note => " ",
            };
            self.lines.push(format!("{sign} {prefix}: {text}"));
        }
    }
}

/// Writes `secret` readable by its owner only: into a new 0600 file beside it, then renamed
/// over it, so that it is never readable by others, not even for a moment, and a link at
/// `path` is replaced rather than followed.
fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    // tempfile creates the file 0600 with O_EXCL beside the target and deletes it when
    // anything below fails, so a failed run leaves no copy of the secret behind.
    let mut file = tempfile::Builder::new()
        .prefix(".secret-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(secret.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|e| e.error)
}

/// `setup-keycloak`: signs in with `creds` (none: they were not given or cannot be read),
/// carries out (or with `--dry-run` prints) the plan; exit status 1 when conflicts are left to
/// the admin, 2 on errors.
pub async fn command(config: &Config, creds: Option<Credentials>, opts: Options) -> ExitCode {
    let Some(creds) = creds else {
        eprintln!(
            "setup-keycloak needs --admin-user with --admin-password-file (or \
             BRIDGE_SETUP_ADMIN_PASSWORD), or --admin-client-id with \
             --admin-client-secret-file (or BRIDGE_SETUP_CLIENT_SECRET)"
        );
        return ExitCode::from(2);
    };
    match run(config, &creds, opts).await {
        Ok(report) => {
            #[allow(clippy::print_stdout)] // the report is the output
            {
                for line in &report.lines {
                    println!("{line}");
                }
            }
            // Conflicts left for the admin are not a success.
            if report.conflicts > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

mod apply;
pub use apply::{client as read_client, client_has_scope, organizations as read_organizations};
mod mappers;
pub mod plan;
pub mod step_up;
use apply::Step;
pub use mappers::{
    declare_hint, missing_mappers, short_group_mappers, top_level_roles_mappers, writes_claim,
};

#[cfg(test)]
mod tests;
