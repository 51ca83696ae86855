//! Every metric the shipped alert rules and Grafana dashboard name (the chart's `files/`) is
//! one the bridge exports after a real login through Keycloak, with the label values they
//! select. promtool's own checks of those files: `tests/monitoring.rs`.

use crate::helpers::*;

const ALERTS: &str = include_str!("../../deploy/helm/jitsi-oidc-bridge/files/alerts.yaml");
const DASHBOARD: &str = include_str!("../../deploy/helm/jitsi-oidc-bridge/files/dashboard.json");

/// The `bridge_…` names in a text.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| w.starts_with("bridge_"))
        .map(str::to_owned)
        .collect()
}

/// The kinds `BridgeLoginServerErrors` selects (`reason=~"a|b|…"`, the first such list).
fn five_xx_rule_reasons() -> Vec<&'static str> {
    ALERTS
        .split("reason=~\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the 5xx rule's reason list")
        .split('|')
        .collect()
}

#[tokio::test]
async fn the_alerts_and_the_dashboard_name_metrics_the_bridge_exports() {
    let bridge = Bridge::spawn("[metrics]\nlisten = \"127.0.0.1:0\"\n").await;
    let ready = get(&browser(), bridge.url("/readyz")).await;
    assert!(ready.status().is_success(), "Keycloak is reachable");
    let client = browser();
    let target = login(
        &client,
        &bridge,
        "Metrics%20Check",
        "alice",
        "alice-password",
    )
    .await;
    assert!(target.as_str().starts_with(JITSI_URL));
    let text = metrics_text(bridge.metrics.expect("metrics address")).await;
    let exported: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();

    let mut names = metric_names(ALERTS);
    names.extend(metric_names(DASHBOARD));
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        assert!(
            exported
                .iter()
                .any(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} "))),
            "{name} is named by the alerts or the dashboard but not exported:\n{text}"
        );
    }
    // The label values the rules select exist too (every reason is exported from the start).
    for reason in five_xx_rule_reasons() {
        let series = format!("bridge_logins_failed_total{{reason=\"{reason}\"}}");
        assert!(
            exported.iter().any(|l| l.starts_with(&series)),
            "{series} (alerts.yaml) is not exported"
        );
    }
    for series in [
        "bridge_connections_open{listener=\"public\"}",
        "bridge_connections_max{listener=\"public\"}",
        "bridge_connections_refused_total{listener=\"public\"}",
        "bridge_idp_request_duration_seconds_bucket{op=\"token\"",
    ] {
        assert!(
            exported.iter().any(|l| l.starts_with(series)),
            "{series} is not exported:\n{text}"
        );
    }
    bridge.stop().await;
}

/// The rule for 5xx pages names exactly the counted kinds whose page is a 5xx: a new kind
/// with a 5xx status cannot be forgotten, and no 4xx kind (which any client can cause) can
/// page the operator.
#[test]
fn the_5xx_rule_names_exactly_the_5xx_kinds() {
    use jitsi_oidc_bridge::http::error_kinds::ALL;
    let mut in_rule = five_xx_rule_reasons();
    in_rule.sort_unstable();
    let mut five_xx: Vec<&str> = ALL
        .iter()
        .filter(|k| k.counted && k.status.is_server_error())
        .map(|k| k.name)
        .collect();
    five_xx.sort_unstable();
    five_xx.dedup();
    assert_eq!(in_rule, five_xx);
}
