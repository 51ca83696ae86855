//! The alert rules and the Grafana dashboard the chart ships (`deploy/helm/jitsi-oidc-bridge/
//! files/`), checked by Prometheus's own promtool: the rules load, their unit tests on
//! synthetic series pass, and every query of the dashboard parses. That every metric they
//! name is one the bridge exports is checked against a real login in
//! `tests/e2e/monitoring.rs`.
//!
//! promtool comes from `make test` (scripts/promtool.sh, cached), named in `PROMTOOL`.
//! Without it these tests fail; they never skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn files() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/helm/jitsi-oidc-bridge/files")
}

fn promtool(args: &[&str]) -> String {
    let bin = std::env::var("PROMTOOL").unwrap_or_else(|_| {
        panic!(
            "PROMTOOL is not set: run `make test`, which builds promtool once (cached), or first \
             `eval \"$(scripts/promtool.sh)\"`"
        )
    });
    let out = Command::new(bin).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn the_alert_rules_load() {
    let file = files().join("alerts.yaml");
    let out = promtool(&["check", "rules", "--lint-fatal", file.to_str().unwrap()]);
    assert!(out.contains("SUCCESS: 9 rules found"), "{out}");
}

#[test]
fn the_alert_rules_fire_on_synthetic_series_and_only_then() {
    let file = files().join("alerts.test.yaml");
    promtool(&["test", "rules", file.to_str().unwrap()]);
    // Every alert has a test in which it fires.
    let rules = std::fs::read_to_string(files().join("alerts.yaml")).unwrap();
    let tests = std::fs::read_to_string(&file).unwrap();
    for alert in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        // `alertname: X`, `eval_time: …`, then `exp_alerts:` with a list below it.
        let fires = tests
            .split(&format!("alertname: {alert}\n"))
            .skip(1)
            .any(|t| t.lines().nth(1).is_some_and(|l| l.trim() == "exp_alerts:"));
        assert!(fires, "{alert}: no test in which it fires");
    }
}

/// The dashboard's PromQL with Grafana's variables as Grafana would put them in.
fn dashboard_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(files().join("dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().unwrap();
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "panel {title} has no query");
        for target in targets {
            assert_eq!(
                target["datasource"]["uid"], "${datasource}",
                "panel {title}: the datasource is the dashboard's variable"
            );
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "2m")
                .replace("$__range", "6h")
                .replace("\"$job\"", "\".*\"");
            assert!(
                !expr.contains('$'),
                "panel {title}: an unknown variable in {expr}"
            );
            out.push((title.to_owned(), expr));
        }
    }
    out
}

#[test]
fn every_dashboard_query_parses() {
    let queries = dashboard_queries();
    // As recording rules, promtool parses each expression with Prometheus's own parser.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, (_, expr)) in queries.iter().enumerate() {
        rules.push_str(&format!(
            "      - record: dashboard:query_{i}\n        expr: {}\n",
            serde_json::to_string(expr).unwrap()
        ));
    }
    let file = std::env::temp_dir().join(format!("bridge-dashboard-{}.yaml", std::process::id()));
    std::fs::write(&file, rules).unwrap();
    let out = promtool(&["check", "rules", file.to_str().unwrap()]);
    assert!(
        out.contains(&format!("SUCCESS: {} rules found", queries.len())),
        "{out}"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn the_dashboard_shows_what_operators_ask_for() {
    let queries = dashboard_queries();
    let all: String = queries.iter().map(|(_, q)| q.as_str()).collect();
    for metric in [
        "bridge_logins_started_total",
        "bridge_logins_succeeded_total",
        "bridge_logins_denied_total",
        "bridge_logins_failed_total",
        "bridge_idp_request_duration_seconds_bucket",
        "bridge_idp_reachable",
        "bridge_connections_open",
        "bridge_connections_max",
        "bridge_connections_refused_total",
        "bridge_requests_shed_total",
    ] {
        assert!(all.contains(metric), "the dashboard shows {metric}");
    }
}
