//! A real user in 100 groups (their ID token is about 5 KB): the session cookie stays under
//! the 4 KB browsers keep, so logging out still ends the Keycloak session without asking.

use crate::helpers::*;

#[tokio::test]
async fn a_user_in_a_hundred_groups_keeps_a_small_session_cookie_and_the_logout_hint() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "big").await;
    let action = login_form(&client, &authorize).await;
    let back = submit(&client, &action, "hundred", "hundred-password").await;
    let callback = location(back.headers());
    let resp = client.get(callback).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
    let session: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|c| c.starts_with("jb_session="))
        .collect();
    assert_eq!(session.len(), 1);
    let name_value = session[0].split(';').next().unwrap();
    assert!(name_value.len() < 4000, "{} bytes", name_value.len());

    let resp = client.get(bridge.url("/logout")).send().await.unwrap();
    let to = location(resp.headers());
    let hint = to
        .query_pairs()
        .find(|(k, _)| k == "id_token_hint")
        .map(|(_, v)| v.into_owned())
        .expect("the logout keeps its hint");
    assert!(
        hint.len() > 4000,
        "the ID token itself is large: {}",
        hint.len()
    );
}
