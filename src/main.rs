//! The `jitsi-oidc-bridge` command: parses the command line, loads the configuration, and
//! hands over to the command's module in `cli` (`serve` by default).

use clap::Parser;
use jitsi_oidc_bridge::cli::args::{Cli, Command};
use jitsi_oidc_bridge::cli::{
    doctor, explain, healthcheck, print_jitsi_config, serve, setup_keycloak,
};
use jitsi_oidc_bridge::config::Config;
use std::process::ExitCode;

/// An allocator with per-thread caches: glibc's malloc and free were 12 % of the CPU of
/// `GET /room` (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match load(&cli) {
        Ok(c) => c,
        Err(code) => return code,
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
        Command::Healthcheck => runtime.block_on(healthcheck::run(&config)),
        Command::Explain {
            room,
            tenant,
            claims,
        } => explain::command(&config, &room, tenant.as_deref(), &claims),
        Command::PrintJitsiConfig { with_secrets } => {
            #[allow(clippy::print_stdout)] // the output is the point of this command
            {
                print!("{}", print_jitsi_config::render(&config, with_secrets));
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
            let opts = setup_keycloak::Options {
                dry_run,
                force,
                create_groups,
                print_secret,
            };
            let creds = admin.credentials(&config);
            runtime.block_on(setup_keycloak::command(&config, creds, opts))
        }
        Command::Doctor {
            admin,
            test_user,
            test_password_file,
        } => {
            let given = admin.given();
            let creds = admin.credentials(&config);
            runtime.block_on(doctor::command(
                &config,
                given,
                creds,
                test_user,
                test_password_file,
            ))
        }
        Command::Serve => runtime.block_on(serve::run(config)),
    }
}

/// The configuration the command needs; a refusal is `check-config`'s answer on standard
/// output, and an error on standard error for every other command.
fn load(cli: &Cli) -> Result<Config, ExitCode> {
    let checking = matches!(cli.command, Some(Command::CheckConfig));
    let setup = matches!(cli.command, Some(Command::SetupKeycloak { .. }));
    let loaded = if setup {
        Config::load_for_setup(cli.config.as_deref())
    } else {
        Config::load(cli.config.as_deref())
    };
    match loaded {
        Ok(c) => Ok(c),
        // `check-config`'s answer is its output; everywhere else a refusal is an error.
        Err(e) if checking => {
            #[allow(clippy::print_stdout)]
            {
                print!("{e}");
                println!("verdict: the configuration is NOT valid");
            }
            Err(ExitCode::from(2))
        }
        Err(e) => {
            eprint!("{e}");
            Err(ExitCode::from(2))
        }
    }
}
