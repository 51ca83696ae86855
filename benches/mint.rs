//! Per-operation cost of the bridge's CPU-bound steps: building and signing the Jitsi token
//! (HS256 and RS256), and sealing the pending-login cookie that `GET /room` sets.
//!
//! Run: `cargo bench --bench mint` (or `scripts/bench.sh`, which also runs the HTTP benchmarks).
//! Target (issue): HS256 claims + signature ≤ 5 µs per token on the 2-core bench machine.

// A benchmark: a broken fixture should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use criterion::{Criterion, criterion_group, criterion_main};
use jitsi_oidc_bridge::jitsi::room::RoomName;
use jitsi_oidc_bridge::jitsi::signing::{KeyFile, Signer, SigningAlgorithm};
use jitsi_oidc_bridge::jitsi::token::{Minter, TokenSettings};
use jitsi_oidc_bridge::policy::claims::{Identity, Shape, Shapes};
use jitsi_oidc_bridge::policy::rules::{Decision, Role};
use jitsi_oidc_bridge::session::pending::{LoginCookies, PendingLogin};
use secrecy::{ExposeSecret, SecretString};
use std::hint::black_box;
use std::time::Duration;

/// A fixed time, so every iteration signs the same claims.
const NOW: u64 = 1_800_000_000;

fn settings() -> TokenSettings {
    TokenSettings {
        issuer: "jitsi-bridge".into(),
        audience: "jitsi".into(),
        subject: "meet.jitsi".into(),
        ttl_secs: 900,
        nbf_backdate_secs: 30,
    }
}

/// A typical Keycloak user: name, verified e-mail, avatar, a group and a role.
fn alice() -> Identity {
    Identity {
        subject: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6".into(),
        username: Some("alice".into()),
        name: Some("Alice Moderator".into()),
        email: Some("alice@example.test".into()),
        email_verified: true,
        picture: Some("https://img.example.test/avatars/alice.png".into()),
        groups: vec!["moderators".into()],
        realm_roles: vec!["moderator".into()],
        shapes: Shapes {
            groups: Shape::Present,
            realm_roles: Shape::Present,
            email: Shape::Present,
            ..Shapes::default()
        },
        ..Identity::default()
    }
}

fn hs256() -> Minter {
    Minter::new(
        settings(),
        Signer::hmac(
            SigningAlgorithm::HS256,
            &SecretString::from("bench-jitsi-shared-secret-0123456789abcdef"),
        ),
    )
}

/// RS256 with a fresh 2048-bit key (the smallest the bridge accepts, and the common size),
/// loaded through the same code path as a configured key file.
fn rs256() -> Minter {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
    let text = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let path = std::env::temp_dir().join(format!("bridge-bench-rs256-{}.pem", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let signer = Signer::rsa(&[KeyFile {
        kid: "bench".into(),
        path: path.clone(),
    }]);
    let _ = std::fs::remove_file(&path);
    Minter::new(settings(), signer.unwrap())
}

fn mint(c: &mut Criterion) {
    let who = alice();
    let decision = Decision::plain(Role::Moderator);
    let room = RoomName::parse("Team Sync").unwrap();
    let hs = hs256();
    let rs = rs256();

    let mut group = c.benchmark_group("mint");
    group.bench_function("claims_only", |b| {
        b.iter(|| hs.claims_for(black_box(&who), &decision, black_box(&room), None, NOW))
    });
    // The whole minting step of a callback: claims built from the identity, then signed.
    group.bench_function("hs256", |b| {
        b.iter(|| {
            let claims = hs.claims_for(black_box(&who), &decision, black_box(&room), None, NOW);
            let token = hs.sign(&claims).unwrap();
            black_box(token.expose_secret().len())
        })
    });
    group.bench_function("rs256", |b| {
        b.iter(|| {
            let claims = rs.claims_for(black_box(&who), &decision, black_box(&room), None, NOW);
            let token = rs.sign(&claims).unwrap();
            black_box(token.expose_secret().len())
        })
    });
    group.finish();
}

fn login_cookie(c: &mut Criterion) {
    let cookies = LoginCookies::new(
        &SecretString::from("bench-cookie-key-0123456789abcdef0123456789"),
        600,
        true,
        "",
    )
    .unwrap();
    let room = RoomName::parse("Team Sync").unwrap();
    let mut group = c.benchmark_group("login");
    // What `GET /room` does besides routing and building the authorize URL: three random
    // 256-bit values, then the AES-256-GCM sealed cookie.
    group.bench_function("pending_login_and_cookie", |b| {
        b.iter(|| {
            let login = PendingLogin::new(black_box(&room), NOW);
            let set = cookies.start(&login, None, NOW);
            black_box(set.len())
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = mint, login_cookie
}
criterion_main!(benches);
