//! Keycloak Organizations isolating Jitsi tenants in one realm, against the real Keycloak: in a
//! fresh realm with Organizations on and three organizations, `setup-keycloak` gives the client
//! the `organization` scope (and `doctor` approves); members of each organization enter only
//! their tenant, a member of two enters both, a user in none (Keycloak leaves the claim out,
//! keycloak#50410) is refused by the deny rule with its reason, and a member of a denied
//! organization is refused, also when the browser narrows the scope to hide it. Both shapes of
//! the claim work: the aliases as a list, and the object keyed by alias that the mapper sends
//! once it adds the organizations' ids.

use crate::helpers::*;
use crate::setup_keycloak::{Fixture, doctor, fresh_realm, setup};
use reqwest::{Method, StatusCode};
use serde_json::json;

const RULES: &str = r#"
[[rules]]
name = "no rivals"
tenants = ["globex"]
organizations = ["rivals"]
allow = false
reason = "Not for rivals."
[[rules]]
name = "own organization"
organizations = ["{tenant}"]
[[rules]]
name = "members only"
allow = false
reason = "This meeting is for the members of its organization."
"#;

fn user(name: &str) -> serde_json::Value {
    json!({
        "username": name, "enabled": true, "email": format!("{name}@example.test"),
        "emailVerified": true, "firstName": name, "lastName": "Org",
        "credentials": [{"type": "password", "value": format!("{name}-password"), "temporary": false}]
    })
}

/// `GET /room/<tenant>/board` through Keycloak's form (or its session) to the callback's answer.
async fn enter(
    client: &reqwest::Client,
    bridge: &Bridge,
    tenant: &str,
    name: &str,
) -> reqwest::Response {
    enter_with(client, bridge, tenant, name, |scope| scope.to_owned()).await
}

/// [`enter`], with the authorization request's `scope` changed on its way through the browser.
async fn enter_with(
    client: &reqwest::Client,
    bridge: &Bridge,
    tenant: &str,
    name: &str,
    change: impl Fn(&str) -> String,
) -> reqwest::Response {
    let authorize = start_login_any(client, bridge, &format!("{tenant}/board")).await;
    let authorize = with_query(&authorize, |k, v| {
        if k != "scope" {
            return Some((k.into(), v.into()));
        }
        assert!(v.split(' ').any(|s| s == "organization:*"), "{v}");
        Some((k.into(), change(v)))
    });
    // With Organizations on, Keycloak's browser flow asks the username first (to find an
    // organization's identity provider) and only then shows the password form, so a browser
    // fills two pages; a user with a session passes both silently.
    let mut resp = client.get(authorize).send().await.unwrap();
    for _ in 0..2 {
        if resp.status() == StatusCode::FOUND {
            break;
        }
        let action = form_action(&resp.text().await.unwrap()).expect("the login form");
        resp = submit(client, &action, name, &format!("{name}-password")).await;
    }
    assert_eq!(resp.status(), StatusCode::FOUND, "Keycloak sends back");
    client.get(location(resp.headers())).send().await.unwrap()
}

/// The id of the realm's `organization` client scope.
async fn organization_scope(realm: &str) -> String {
    let scopes = admin_get(&format!("/{realm}/client-scopes")).await;
    let scope = scopes
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "organization");
    scope.expect("the organization scope")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The `organization` claim Keycloak would put into `user`'s ID token for the bridge's client
/// (the admin console's "Evaluate" tab), to know which shape the logins below get.
async fn organization_claim(realm: &str, user: &str) -> serde_json::Value {
    let client = admin_get(&format!("/{realm}/clients?clientId=jitsi-bridge")).await;
    let client = client[0]["id"].as_str().unwrap().to_owned();
    let users = admin_get(&format!("/{realm}/users?username={user}&exact=true")).await;
    let user = users[0]["id"].as_str().unwrap().to_owned();
    let token = admin_get(&format!(
        "/{realm}/clients/{client}/evaluate-scopes/generate-example-id-token?scope=openid%20organization%3A*&userId={user}"
    ))
    .await;
    token["organization"].clone()
}

async fn assert_enters(resp: reqwest::Response, tenant: &str, who: &str) {
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{who} enters {tenant}"
    );
    let target = location(resp.headers());
    assert_eq!(target.path(), format!("/{tenant}/board"), "{who}");
}

async fn assert_refused(resp: reqwest::Response, who: &str) {
    assert_refused_for(
        resp,
        who,
        "This meeting is for the members of its organization.",
    )
    .await;
}

async fn assert_refused_for(resp: reqwest::Response, who: &str, reason: &str) {
    let page = assert_error_page(resp, StatusCode::FORBIDDEN, "Access denied").await;
    assert!(page.contains(reason), "{who}: {reason:?} in {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_keep_each_tenant_to_its_members() {
    let users = json!([
        user("ann"),
        user("gus"),
        user("ivy"),
        user("rex"),
        user("nora")
    ]);
    let Fixture {
        realm,
        issuer,
        password,
        listener,
        toml,
        config,
        ..
    } = fresh_realm("orgs", users).await;
    let toml = toml.replace(
        "http_timeout_secs = 5",
        "http_timeout_secs = 5\nscopes = [\"openid\", \"profile\", \"email\", \"organization:*\"]",
    ) + RULES;
    std::fs::write(&config, &toml).unwrap();

    // Organizations off: setup-keycloak leaves the realm's switch to its admin.
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Organizations are off in this realm"), "{out}");
    admin(
        Method::PUT,
        &format!("/{realm}"),
        Some(json!({"organizationsEnabled": true})),
    )
    .await;
    // A new client gets the realm's optional `organization` scope; one made before the realm
    // had Organizations (or by hand) may lack it, and setup-keycloak adds it.
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!((code, out.trim()), (0, "no changes"), "{out}");
    let client = admin_get(&format!("/{realm}/clients?clientId=jitsi-bridge")).await;
    let client = client[0]["id"].as_str().unwrap().to_owned();
    let scope = organization_scope(&realm).await;
    let assignment = format!("/{realm}/clients/{client}/optional-client-scopes/{scope}");
    admin(Method::DELETE, &assignment, None).await;
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("add the client scope \"organization\""),
        "{out}"
    );
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!((code, out.trim()), (0, "no changes"), "{out}");

    // Three organizations: ann in acme, gus in globex, ivy in both, rex in globex and
    // rivals, nora in none.
    let id_of = |list: &serde_json::Value| list[0]["id"].as_str().unwrap().to_owned();
    for (org, members) in [
        ("acme", &["ann", "ivy"][..]),
        ("globex", &["gus", "ivy", "rex"]),
        ("rivals", &["rex"]),
    ] {
        let body = json!({"name": org, "alias": org, "enabled": true,
                          "domains": [{"name": format!("{org}.test")}]});
        let resp = admin(Method::POST, &format!("/{realm}/organizations"), Some(body)).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let org_id =
            id_of(&admin_get(&format!("/{realm}/organizations?search={org}&exact=true")).await);
        for &m in members {
            let user_id =
                id_of(&admin_get(&format!("/{realm}/users?username={m}&exact=true")).await);
            let resp = admin(
                Method::POST,
                &format!("/{realm}/organizations/{org_id}/members"),
                Some(json!(user_id)),
            )
            .await;
            assert_eq!(resp.status(), StatusCode::CREATED, "{m} into {org}");
        }
    }

    let bridge = Bridge::spawn_on(listener, None, &issuer, |_| toml.clone()).await;
    let (_, out) = doctor(&config, Some(&password));
    assert!(
        out.contains("✔ client jitsi-bridge: organizations: on in realm"),
        "doctor: {out}"
    );

    // The list of aliases, the mapper's default; left out for a user in none.
    assert_eq!(organization_claim(&realm, "ann").await, json!(["acme"]));
    assert_eq!(
        organization_claim(&realm, "nora").await,
        serde_json::Value::Null
    );
    let ann = browser();
    assert_enters(enter(&ann, &bridge, "acme", "ann").await, "acme", "ann").await;
    assert_refused(enter(&ann, &bridge, "globex", "ann").await, "ann in globex").await;
    let gus = browser();
    assert_enters(enter(&gus, &bridge, "globex", "gus").await, "globex", "gus").await;
    assert_refused(enter(&gus, &bridge, "acme", "gus").await, "gus in acme").await;
    let ivy = browser();
    assert_enters(enter(&ivy, &bridge, "acme", "ivy").await, "acme", "ivy").await;
    assert_enters(enter(&ivy, &bridge, "globex", "ivy").await, "globex", "ivy").await;
    let nora = browser();
    assert_refused(enter(&nora, &bridge, "acme", "nora").await, "nora").await;
    // A member of a denied organization, and the same login with the scope narrowed to the
    // other organization on the way through the browser: Keycloak then sends only that one,
    // and grants "organization:globex" instead of "organization:*", so the deny cannot decide.
    let rex = browser();
    assert_refused_for(
        enter(&rex, &bridge, "globex", "rex").await,
        "rex",
        "Not for rivals.",
    )
    .await;
    let narrowed = enter_with(&rex, &bridge, "globex", "rex", |scope| {
        scope.replace("organization:*", "organization:globex")
    })
    .await;
    assert_refused_for(narrowed, "rex, narrowed", "could not be checked").await;
    let stripped = enter_with(&rex, &bridge, "globex", "rex", |scope| {
        scope.replace(" organization:*", "")
    })
    .await;
    // Without the scope Keycloak leaves the claim out, as for a user in none: the deny
    // cannot tell them apart.
    assert_refused_for(stripped, "rex, without the scope", "could not be checked").await;

    // The object keyed by alias: the mapper adds the organizations' ids.
    let path = format!("/{realm}/client-scopes/{scope}/protocol-mappers/models");
    let mut mapper = admin_get(&path).await[0].clone();
    mapper["config"]["addOrganizationId"] = json!("true");
    let id = mapper["id"].as_str().unwrap().to_owned();
    admin(Method::PUT, &format!("{path}/{id}"), Some(mapper)).await;
    let shape = organization_claim(&realm, "ann").await;
    assert!(shape["acme"]["id"].is_string(), "the object shape: {shape}");
    let ann = browser();
    assert_enters(
        enter(&ann, &bridge, "acme", "ann").await,
        "acme",
        "ann (object)",
    )
    .await;
    assert_refused(
        enter(&ann, &bridge, "globex", "ann").await,
        "ann (object) in globex",
    )
    .await;
    bridge.stop().await;
}
