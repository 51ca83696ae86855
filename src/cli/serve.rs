//! `serve`: logging set up, the bridge built and run until a signal asks it to stop; requests
//! in flight are finished first.

use crate::App;
use crate::clock::SystemClock;
use crate::config::Config;
use std::process::ExitCode;
use std::sync::Arc;

/// `serve` (the default command): the bridge, until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> ExitCode {
    // Held to the end of `serve`: its drop writes the lines still queued.
    let _log = crate::telemetry::init(&config.log);
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
