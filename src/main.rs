//! The `jitsi-oidc-bridge` command: `serve` (default), `check-config`, `healthcheck`.

use clap::{Parser, Subcommand};
use jitsi_oidc_bridge::App;
use jitsi_oidc_bridge::clock::SystemClock;
use jitsi_oidc_bridge::config::{self, CONFIG_FILE_ENV, Config};
use jitsi_oidc_bridge::keycloak;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(version, about = "Log in to Jitsi Meet rooms through Keycloak")]
struct Cli {
    /// TOML config file; environment variables BRIDGE_<SECTION>__<KEY> override it.
    #[arg(long, short, env = CONFIG_FILE_ENV, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
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
struct AdminArgs {
    /// Admin user (of --admin-realm) to sign in with.
    #[arg(long, env = "BRIDGE_SETUP_ADMIN_USER")]
    admin_user: Option<String>,
    /// File holding that user's password (or BRIDGE_SETUP_ADMIN_PASSWORD).
    #[arg(long)]
    admin_password_file: Option<PathBuf>,
    /// Realm of the admin user.
    #[arg(long, default_value = "master")]
    admin_realm: String,
    /// Instead of a user: a service account's client id (in the managed realm), with
    /// manage-clients (and manage-users for groups).
    #[arg(long, env = "BRIDGE_SETUP_CLIENT_ID")]
    admin_client_id: Option<String>,
    /// File holding that client's secret (or BRIDGE_SETUP_CLIENT_SECRET).
    #[arg(long)]
    admin_client_secret_file: Option<PathBuf>,
}

impl AdminArgs {
    /// The credentials, when given; secrets only from files or the environment (never from
    /// the command line, where `ps` would show them).
    fn credentials(self, config: &Config) -> Option<keycloak::admin::Credentials> {
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
                let base = keycloak::setup::targets(config)
                    .ok()
                    .and_then(|t| t.first().map(|t| t.base.clone()))
                    .unwrap_or_default();
                secret(self.admin_password_file, config::SETUP_ADMIN_PASSWORD_ENV).map(|password| {
                    keycloak::admin::Credentials::User {
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
                let targets = keycloak::setup::targets(config).ok()?;
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
                .map(|secret| keycloak::admin::Credentials::Client {
                    realm,
                    client_id,
                    secret,
                })
            }
            _ => None,
        }
    }

    fn given(&self) -> bool {
        self.admin_user.is_some() || self.admin_client_id.is_some()
    }
}

/// An allocator with per-thread caches: glibc's malloc and free were 12 % of the CPU of
/// `GET /room` (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let checking = matches!(cli.command, Some(Command::CheckConfig));
    let setup = matches!(cli.command, Some(Command::SetupKeycloak { .. }));
    let loaded = if setup {
        Config::load_for_setup(cli.config.as_deref())
    } else {
        Config::load(cli.config.as_deref())
    };
    let config = match loaded {
        Ok(c) => c,
        // `check-config`'s answer is its output; everywhere else a refusal is an error.
        Err(e) if checking => {
            #[allow(clippy::print_stdout)]
            {
                print!("{e}");
                println!("verdict: the configuration is NOT valid");
            }
            return ExitCode::from(2);
        }
        Err(e) => {
            eprint!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "verdict: the configuration is valid\nKeycloak redirect URI: {}",
                    config.redirect_uri()
                );
            }
            ExitCode::SUCCESS
        }
        Command::Healthcheck => runtime.block_on(healthcheck(&config)),
        Command::Explain {
            room,
            tenant,
            claims,
        } => explain(&config, &room, tenant.as_deref(), &claims),
        Command::PrintJitsiConfig { with_secrets } => {
            #[allow(clippy::print_stdout)] // the output is the point of this command
            {
                print!(
                    "{}",
                    jitsi_oidc_bridge::jitsi::settings::render(&config, with_secrets)
                );
            }
            ExitCode::SUCCESS
        }
        Command::SetupKeycloak {
            admin,
            dry_run,
            force,
            create_groups,
            print_secret,
        } => {
            let creds = admin.credentials(&config);
            let Some(creds) = creds else {
                eprintln!(
                    "setup-keycloak needs --admin-user with --admin-password-file (or \
                     BRIDGE_SETUP_ADMIN_PASSWORD), or --admin-client-id with \
                     --admin-client-secret-file (or BRIDGE_SETUP_CLIENT_SECRET)"
                );
                return ExitCode::from(2);
            };
            let opts = keycloak::setup::Options {
                dry_run,
                force,
                create_groups,
                print_secret,
            };
            match runtime.block_on(keycloak::setup::run(&config, &creds, opts)) {
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
        Command::Doctor {
            admin,
            test_user,
            test_password_file,
        } => {
            let password = match test_password_file {
                Some(f) => std::fs::read_to_string(f).ok(),
                None => std::env::var(config::DOCTOR_TEST_PASSWORD_ENV).ok(),
            };
            let user = match (test_user, password) {
                (Some(name), Some(p)) => Some(jitsi_oidc_bridge::doctor::TestUser {
                    name,
                    password: secrecy::SecretString::from(
                        p.trim_end_matches(['\r', '\n']).to_owned(),
                    ),
                }),
                (Some(_), None) => {
                    eprintln!(
                        "doctor: --test-user needs --test-password-file (or BRIDGE_DOCTOR_TEST_PASSWORD)"
                    );
                    return ExitCode::from(2);
                }
                _ => None,
            };
            let wanted = admin.given();
            let creds = admin.credentials(&config);
            if wanted && creds.is_none() {
                eprintln!("doctor: the admin password or client secret cannot be read");
                return ExitCode::from(2);
            }
            let checks = runtime.block_on(jitsi_oidc_bridge::doctor::run(
                &config,
                creds.as_ref(),
                user.as_ref(),
                &SystemClock,
            ));
            let (text, ok) = jitsi_oidc_bridge::doctor::render(&checks);
            #[allow(clippy::print_stdout)] // the checks are the output
            {
                print!("{text}");
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Serve => runtime.block_on(serve(config)),
    }
}

fn explain(
    config: &Config,
    room: &str,
    tenant: Option<&str>,
    claims: &std::path::Path,
) -> ExitCode {
    use jitsi_oidc_bridge::clock::Clock;
    use std::io::Read;
    let mut input = String::new();
    let read = if claims.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut input).map(|_| ())
    } else {
        std::fs::read_to_string(claims).map(|s| input = s)
    };
    if let Err(e) = read {
        eprintln!("cannot read {}: {e}", claims.display());
        return ExitCode::from(2);
    }
    let result = jitsi_oidc_bridge::policy::explain::read_claims(&input).and_then(|c| {
        jitsi_oidc_bridge::policy::explain::explain(config, &c, room, tenant, SystemClock.now())
    });
    match result {
        Ok(found) => {
            #[allow(clippy::print_stdout)] // the output is the point of this command
            {
                print!("{}", found.text);
            }
            // 1 for "no token", as a script checking a user's access would expect.
            if found.allowed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(config: Config) -> ExitCode {
    // Held to the end of `serve`: its drop writes the lines still queued.
    let _log = jitsi_oidc_bridge::telemetry::init(&config.log);
    let public_url = config.server.public_url.clone();
    let app = match App::build(config, Arc::new(SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    match app.local_addr() {
        Ok(addr) => tracing::info!(%addr, public_url = %public_url, "listening"),
        Err(e) => tracing::warn!(error = %e, "listening on an unknown address"),
    }
    match app.run(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn healthcheck(config: &Config) -> ExitCode {
    let mut addr = config.server.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let url = format!("http://{addr}/healthz");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build();
    match client {
        Ok(c) => match c.get(&url).send().await {
            Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
            Ok(r) => {
                eprintln!("{url} answered {}", r.status());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("{url} is not reachable: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("cannot build the HTTP client: {e}");
            ExitCode::FAILURE
        }
    }
}
