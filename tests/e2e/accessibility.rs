//! Every page as a person sees it: headless Chromium renders each page (error kinds, denial,
//! logged out, logout confirmation, app hand-off, token inspector, a login below the room's
//! level of authentication) in English, German and French at
//! 1280 and 390 px, saves a screenshot under `target/screenshots/`, and runs axe-core (the npm
//! package, injected into the page) with zero violations of its WCAG 2.0, 2.1 and 2.2 A and AA
//! rules.
//! `make test` installs axe-core and names its script in `E2E_AXE_JS`.

use crate::browser::chromium;
use crate::helpers::*;
use std::time::Duration;
use thirtyfour::prelude::*;

const RULES: &str = r#"
[inspector]
enabled = true
[guests]
enabled = true
[[rules]]
name = "closed rooms"
rooms = ["closed-*"]
groups = ["outsiders"]
allow = false
[step_up]
levels = { password = 1, otp = 2 }
[[rules]]
name = "board rooms"
rooms = ["step-*"]
level = "otp"
"#;

async fn wait_for(driver: &WebDriver, what: impl Fn(&str) -> bool) -> WebDriverResult<String> {
    for _ in 0..100 {
        let url = driver.current_url().await?.to_string();
        if what(&url) {
            return Ok(url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(driver.current_url().await?.to_string())
}

/// Fills in Keycloak's form (the user name only if it asks for it) when the browser is on it.
async fn sign_in_again(driver: &WebDriver, user: &str) -> WebDriverResult<()> {
    for _ in 0..50 {
        if driver.current_url().await?.as_str().contains("/realms/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let password = driver.query(By::Id("password")).first().await?;
    if let Some(name) = driver
        .find_all(By::Id("username"))
        .await?
        .into_iter()
        .next()
    {
        if name.is_displayed().await? && name.value().await?.unwrap_or_default().is_empty() {
            name.send_keys(user).await?;
        }
    }
    password.send_keys(format!("{user}-password")).await?;
    driver.find(By::Id("kc-login")).await?.click().await
}

/// Runs axe-core's WCAG 2 A/AA rules on the page; returns the violations (`id: count`).
async fn axe(driver: &WebDriver, axe_js: &str) -> WebDriverResult<Vec<String>> {
    driver.execute(axe_js, vec![]).await?;
    let result = driver
        .execute(
            "return axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})\
             .then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')));",
            vec![],
        )
        .await?;
    result.convert()
}

#[tokio::test]
async fn every_page_in_three_languages_and_two_widths_passes_axe() {
    let axe_path = std::env::var("E2E_AXE_JS").unwrap_or_else(|_| {
        panic!("E2E_AXE_JS is not set: run `make test`, which installs axe-core")
    });
    let axe_js = std::fs::read_to_string(&axe_path).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own = format!("http://{}", listener.local_addr().unwrap());
    let inspect = format!("{own}/inspect");
    let bridge = Bridge::spawn_on(listener, None, &issuer(), |t| {
        t.replace(
            "url = \"https://meet.example.test\"",
            &format!("url = \"{inspect}\""),
        ) + RULES
    })
    .await;
    std::fs::create_dir_all("target/screenshots").unwrap();

    let browser = chromium("a11y").await;
    let driver = &browser.driver;
    let mut failures = Vec::new();
    let flow = async {
        // Signed in once (frank: in no group, so the closed rooms deny him).
        driver.goto(bridge.url("/room/warm-up")).await?;
        driver
            .query(By::Id("username"))
            .first()
            .await?
            .send_keys("frank")
            .await?;
        driver
            .find(By::Id("password"))
            .await?
            .send_keys("frank-password")
            .await?;
        driver.find(By::Id("kc-login")).await?.click().await?;
        wait_for(driver, |u| u.contains("/inspect/")).await?;

        // The pages that log out come last: after them, single sign-on is over.
        let mut pages: Vec<(&str, &str, String)> = Vec::new();
        for lang in ["en", "de", "fr"] {
            pages.extend([
                ("index", lang, format!("/?lang={lang}")),
                ("bad-room", lang, format!("/room/%20lead?lang={lang}")),
                (
                    "bad-state",
                    lang,
                    format!("/room/team?state=%7Bnot&lang={lang}"),
                ),
                ("not-found", lang, format!("/nowhere?lang={lang}")),
                (
                    "login-unknown",
                    lang,
                    format!("/callback?state={}&code=x&lang={lang}", "A".repeat(43)),
                ),
                ("denied", lang, format!("/room/closed-board?lang={lang}")),
                // The shared realm's client has no step-up flow: Keycloak answers level 1.
                (
                    "level-too-low",
                    lang,
                    format!("/room/step-board?lang={lang}"),
                ),
                (
                    "app",
                    lang,
                    format!("/room/team?state=%7B%22android%22%3Atrue%7D&lang={lang}"),
                ),
                ("inspector", lang, format!("/room/team?lang={lang}")),
                ("logged-out", lang, format!("/logged-out?lang={lang}")),
            ]);
        }
        for lang in ["en", "de", "fr"] {
            pages.push(("logout", lang, format!("/logout?lang={lang}")));
        }
        for (name, lang, path) in pages {
            for width in [1280u32, 390] {
                driver.set_window_rect(0, 0, width, 900).await?;
                if name == "app" {
                    // Only Jitsi's page may hand the token to an app; here Jitsi (the
                    // inspector) shares the bridge's origin, so its navigation is same-origin.
                    driver.goto(bridge.url("/inspect")).await?;
                    driver
                        .execute(
                            "location.href = arguments[0]",
                            vec![bridge.url(&path).into()],
                        )
                        .await?;
                    wait_for(driver, |u| u.contains("/callback")).await?;
                } else {
                    driver.goto(bridge.url(&path)).await?;
                }
                if name == "level-too-low" {
                    // Keycloak cannot reach the level with the realm's plain browser flow: it
                    // asks for the password again (single sign-on does not count for a level
                    // above the session's), then answers level 1.
                    sign_in_again(driver, "frank").await?;
                }
                // Logins pass through Keycloak (single sign-on) to their last page.
                let landed = wait_for(driver, |u| {
                    !u.contains("/realms/") && !u.contains("/callback?code")
                })
                .await?;
                // The inspector stands in for Jitsi, which has its own language setting; it
                // follows `?lang=` like the other pages.
                if name == "inspector" {
                    let mut url = url::Url::parse(&landed).unwrap();
                    url.query_pairs_mut().append_pair("lang", lang);
                    driver.goto(url.as_str()).await?;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                let shot = format!("target/screenshots/{name}-{lang}-{width}.png");
                driver.screenshot(std::path::Path::new(&shot)).await?;
                let url = driver.current_url().await?;
                // The second logout ends at Keycloak's "you are logged out" page, not ours.
                if !url.as_str().starts_with(bridge.base.as_str()) {
                    if name != "logout" {
                        failures.push(format!("{name} {lang} {width}: ended at {url}"));
                    }
                    continue;
                }
                let html_lang = driver
                    .find(By::Tag("html"))
                    .await?
                    .attr("lang")
                    .await?
                    .unwrap_or_default();
                if html_lang != lang {
                    failures.push(format!("{name} {lang} {width}: lang=\"{html_lang}\""));
                }
                for v in axe(driver, &axe_js).await? {
                    failures.push(format!("{name} {lang} {width}: {v}"));
                }
            }
        }
        WebDriverResult::Ok(())
    }
    .await;
    let _ = browser.driver.clone().quit().await;
    flow.expect("browser flow");
    assert!(
        failures.is_empty(),
        "accessibility failures:\n{}",
        failures.join("\n")
    );
    bridge.stop().await;
}
