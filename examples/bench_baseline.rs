//! The yardstick for `GET /room/<name>`: the same axum and tokio, the same runtime shape (a
//! multi-threaded runtime with one worker per core), and a handler that does nothing but answer
//! `303 See Other` with a fixed `Location`. `scripts/bench.sh` runs the same `wrk` command
//! against this and against the bridge and reports the ratio.
//!
//! Usage: `cargo run --release --example bench_baseline -- --port-file FILE [--exit-after-secs N]`
//! Listens on 127.0.0.1 (a free port, written to FILE) and exits by itself after N seconds.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
struct Args {
    /// Where to write the port that was bound.
    #[arg(long)]
    port_file: PathBuf,
    /// Exit after this many seconds even if nobody stops us.
    #[arg(long, default_value_t = 1800)]
    exit_after_secs: u64,
}

/// About as long as the bridge's Keycloak authorize URL, so both responses are of similar size.
const LOCATION: &str = "http://127.0.0.1:9/realms/bench/protocol/openid-connect/auth?\
response_type=code&client_id=jitsi-bridge&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\
&code_challenge=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code_challenge_method=S256\
&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid+profile+email\
&nonce=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

async fn redirect() -> impl IntoResponse {
    (StatusCode::SEE_OTHER, [(header::LOCATION, LOCATION)])
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench_baseline: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            eprintln!("bench_baseline: no local address: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&args.port_file, format!("{port}\n")) {
        eprintln!(
            "bench_baseline: cannot write {}: {e}",
            args.port_file.display()
        );
        return ExitCode::FAILURE;
    }
    let app = Router::new().route("/room/{room}", get(redirect));
    let limit = tokio::time::sleep(Duration::from_secs(args.exit_after_secs));
    let served = axum::serve(listener, app).with_graceful_shutdown(limit);
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
