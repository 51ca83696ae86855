//! The command line: commands, their options, and the admin credentials of `setup-keycloak`
//! and `doctor` (secrets only from files or the environment, never from arguments).

use crate::config::{self, CONFIG_FILE_ENV, Config};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Log in to Jitsi Meet rooms through Keycloak")]
pub struct Cli {
    /// TOML config file; environment variables BRIDGE_<SECTION>__<KEY> override it.
    #[arg(long, short, env = CONFIG_FILE_ENV, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the bridge (the default).
    Serve,
    /// Check the configuration, print every problem, and exit (0 = valid).
    CheckConfig,
    /// Ask a running bridge's /healthz (for container health checks); exit 0 when healthy.
    Healthcheck,
    /// Explain the token a user would get for a room: each part and the setting that decided
    /// it. Reads ID-token claims (JSON) or a raw ID token (not verified) from FILE or stdin.
    Explain {
        /// The room name, as in the meeting link.
        #[arg(long)]
        room: String,
        /// The Jitsi tenant, if the room is under one.
        #[arg(long)]
        tenant: Option<String>,
        /// A file with the claims or the ID token; `-` for standard input.
        #[arg(long, default_value = "-")]
        claims: PathBuf,
    },
    /// Create or update, idempotently, what each Keycloak realm of the configuration needs:
    /// the client (PKCE S256, redirect and post-logout URIs), the mappers, client roles and
    /// (with --create-groups) groups; writes the client secret to oidc.client_secret_file.
    SetupKeycloak {
        #[command(flatten)]
        admin: AdminArgs,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also change what loosens or narrows someone else's setting (a public client,
        /// other flows that are on).
        #[arg(long)]
        force: bool,
        /// Create the groups that [moderators] and [[rules]] name.
        #[arg(long)]
        create_groups: bool,
        /// Print the client secret.
        #[arg(long)]
        print_secret: bool,
    },
    /// Check the whole chain of a live deployment (Keycloak, the client and its secret, the
    /// bridge's public URL, clocks, Jitsi's config.js, the key server); exit 1 on any failure.
    /// With admin credentials also the client's settings and mappers.
    Doctor {
        #[command(flatten)]
        admin: AdminArgs,
        /// A test user to log in as through Keycloak's form, to see the claims a real login
        /// brings.
        #[arg(long)]
        test_user: Option<String>,
        /// File holding the test user's password (or BRIDGE_DOCTOR_TEST_PASSWORD).
        #[arg(long)]
        test_password_file: Option<PathBuf>,
    },
    /// Print the docker-jitsi-meet, Prosody and config.js settings that accept this bridge's
    /// tokens.
    PrintJitsiConfig {
        /// Include the shared secret (HS*) instead of a placeholder.
        #[arg(long)]
        with_secrets: bool,
    },
}

/// How `setup-keycloak` and `doctor` sign in to Keycloak's admin API.
#[derive(clap::Args)]
pub struct AdminArgs {
    /// Admin user (of --admin-realm) to sign in with.
    #[arg(long, env = "BRIDGE_SETUP_ADMIN_USER")]
    pub admin_user: Option<String>,
    /// File holding that user's password (or BRIDGE_SETUP_ADMIN_PASSWORD).
    #[arg(long)]
    pub admin_password_file: Option<PathBuf>,
    /// Realm of the admin user.
    #[arg(long, default_value = "master")]
    pub admin_realm: String,
    /// Instead of a user: a service account's client id (in the managed realm), with
    /// manage-clients (and manage-users for groups).
    #[arg(long, env = "BRIDGE_SETUP_CLIENT_ID")]
    pub admin_client_id: Option<String>,
    /// File holding that client's secret (or BRIDGE_SETUP_CLIENT_SECRET).
    #[arg(long)]
    pub admin_client_secret_file: Option<PathBuf>,
}

impl AdminArgs {
    /// The credentials, when given; secrets only from files or the environment (never from
    /// the command line, where `ps` would show them).
    pub fn credentials(self, config: &Config) -> Option<crate::keycloak::admin::Credentials> {
        let secret = |file: Option<PathBuf>, env: &str| -> Option<secrecy::SecretString> {
            let text = match file {
                Some(f) => std::fs::read_to_string(f).ok()?,
                None => std::env::var(env).ok()?,
            };
            Some(secrecy::SecretString::from(
                text.trim_end_matches(['\r', '\n']).to_owned(),
            ))
        };
        match (self.admin_user, self.admin_client_id) {
            (Some(user), None) => {
                // The admin user belongs to the Keycloak of the default realm.
                // (A configuration whose issuer is no Keycloak realm URL is refused by the
                // command itself, with its own message.)
                let base = crate::cli::setup_keycloak::targets(config)
                    .ok()
                    .and_then(|t| t.first().map(|t| t.base.clone()))
                    .unwrap_or_default();
                secret(self.admin_password_file, config::SETUP_ADMIN_PASSWORD_ENV).map(|password| {
                    crate::keycloak::admin::Credentials::User {
                        base,
                        realm: self.admin_realm,
                        user,
                        password,
                    }
                })
            }
            (None, Some(client_id)) => {
                // A service account lives in one realm; with tenants in other realms an admin
                // user is needed.
                let targets = crate::cli::setup_keycloak::targets(config).ok()?;
                let first = targets.first()?;
                if targets
                    .iter()
                    .any(|t| t.realm != first.realm || t.base != first.base)
                {
                    eprintln!(
                        "a service account can manage one realm only; this configuration names \
                         several: sign in with --admin-user instead"
                    );
                    return None;
                }
                let realm = first.realm.clone();
                secret(
                    self.admin_client_secret_file,
                    config::SETUP_CLIENT_SECRET_ENV,
                )
                .map(|secret| crate::keycloak::admin::Credentials::Client {
                    realm,
                    client_id,
                    secret,
                })
            }
            _ => None,
        }
    }

    pub fn given(&self) -> bool {
        self.admin_user.is_some() || self.admin_client_id.is_some()
    }
}
