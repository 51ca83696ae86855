//! The Helm chart in `deploy/helm/jitsi-oidc-bridge`, checked without a cluster by
//! `scripts/helm-check.sh`: `helm lint` and `helm template`, every manifest against the
//! Kubernetes schemas of the newest and the oldest supported release, the ServiceMonitor
//! against prometheus-operator's types, and this build's `check-config` on exactly what each
//! pod would start with (bridge.toml from the ConfigMap, the Secret's files, the variables).
//! One test per values file, so that a failure names its scenario.
//!
//! The tools come from `make test`: scripts/test.sh installs them once, cached, and names them
//! in `HELM_BIN`, `KUBERNETES_VALIDATE` and `PROMETHEUS_OPERATOR_MODELS`. Without them these
//! tests fail; they never skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

const TOOLS: [&str; 3] = [
    "HELM_BIN",
    "KUBERNETES_VALIDATE",
    "PROMETHEUS_OPERATOR_MODELS",
];

/// Every values file in the chart's `ci/` folder, each with a test below.
const CI_VALUES: [&str; 4] = [
    "hs256-values.yaml",
    "ingress-monitoring-hpa-values.yaml",
    "inline-tenants-netpol-values.yaml",
    "rs256-rotation-values.yaml",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scripts/helm-check.sh` on one target: `default`, `promises` or a values file.
fn helm_check(target: &str) {
    for tool in TOOLS {
        assert!(
            std::env::var_os(tool).is_some(),
            "{tool} is not set: run `make test`, which installs Helm, kubernetes-validate and \
             the prometheus-operator models (cached), or first \
             `eval \"$(scripts/helm-check.sh --install)\"`"
        );
    }
    let target = if target.ends_with(".yaml") {
        root()
            .join("deploy/helm/jitsi-oidc-bridge/ci")
            .join(target)
            .display()
            .to_string()
    } else {
        target.to_owned()
    };
    let out = Command::new("bash")
        .arg(root().join("scripts/helm-check.sh"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_jitsi-oidc-bridge"))
        .arg(&target)
        .output()
        .expect("bash runs");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/helm-check.sh {target} failed:\n{report}{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A run that checked nothing must not pass for one that checked everything.
    assert!(
        report.contains("1 of 1 targets passed"),
        "scripts/helm-check.sh {target} did not report its target as checked:\n{report}"
    );
    if target != "promises" {
        assert!(
            report.contains("check-config: verdict: the configuration is valid"),
            "no check-config verdict in:\n{report}"
        );
    }
}

#[test]
fn default_values() {
    helm_check("default");
}

#[test]
fn hs256_with_a_secret_the_chart_creates() {
    helm_check(CI_VALUES[0]);
}

#[test]
fn ingress_service_monitor_and_autoscaler() {
    helm_check(CI_VALUES[1]);
}

#[test]
fn under_the_jitsi_origin_with_a_tenant_and_a_network_policy() {
    helm_check(CI_VALUES[2]);
}

#[test]
fn rs256_in_the_middle_of_a_key_rotation() {
    helm_check(CI_VALUES[3]);
}

#[test]
fn the_chart_refuses_what_it_must_and_rolls_pods_on_changes() {
    helm_check("promises");
}

#[test]
fn every_ci_values_file_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("deploy/helm/jitsi-oidc-bridge/ci"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, CI_VALUES, "add a test for each new values file");
}
