//! `healthcheck`: asks a running bridge's `/healthz`, for a container's health check (the
//! image has no shell or curl).

use crate::config::Config;
use std::process::ExitCode;
use std::time::Duration;

/// Asks the bridge on `server.listen` (loopback when it listens on every address).
pub async fn run(config: &Config) -> ExitCode {
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
