//! One real browser: headless Chromium (Debian `chromium` + `chromium-driver`) types the
//! credentials into Keycloak's login page and ends on the Jitsi URL with a valid token.

use crate::helpers::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn chromium_path() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// A running chromedriver and headless Chromium with a fresh profile; dropped, it stops both
/// (call `quit` on the driver first).
pub struct Chromium {
    pub driver: WebDriver,
    _chromedriver: Driver,
    profile: std::path::PathBuf,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub async fn chromium(name: &str) -> Chromium {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver_path())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} (Debian package chromium-driver; `make test` installs it): {e}",
                chromedriver_path()
            )
        });
    let chromedriver = Driver(child);

    let profile =
        std::env::temp_dir().join(format!("bridge-chromium-{name}-{}", std::process::id()));
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&chromium_path()).unwrap();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1000,900",
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))
        .unwrap();

    let mut driver = None;
    for _ in 0..50 {
        match WebDriver::new(format!("http://127.0.0.1:{port}"), caps.clone()).await {
            Ok(d) => {
                driver = Some(d);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let driver = driver.expect("chromedriver did not come up");
    Chromium {
        driver,
        _chromedriver: chromedriver,
        profile,
    }
}

#[tokio::test]
async fn chromium_logs_in_through_the_keycloak_form_and_lands_in_the_room() {
    let bridge = Bridge::spawn_with(|t| {
        t.replace(
            "url = \"https://meet.example.test\"",
            "url = \"http://127.0.0.1:9/jitsi\"",
        )
    })
    .await;
    let browser = chromium("form").await;
    let driver = &browser.driver;
    let result = async {
        driver.goto(bridge.url("/room/Browser%20Room")).await?;
        let user = driver.query(By::Id("username")).first().await?;
        user.send_keys("alice").await?;
        driver
            .find(By::Id("password"))
            .await?
            .send_keys("alice-password")
            .await?;
        driver
            .screenshot(std::path::Path::new("target/browser-keycloak-form.png"))
            .await
            .ok();
        driver.find(By::Id("kc-login")).await?.click().await?;
        // The last hop goes to the (unreachable) Jitsi host; wait until the browser is there.
        let mut url = driver.current_url().await?;
        for _ in 0..100 {
            if url.as_str().starts_with("http://127.0.0.1:9/") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            url = driver.current_url().await?;
        }
        WebDriverResult::Ok(url)
    }
    .await;
    let _ = browser.driver.clone().quit().await;
    let url = result.expect("browser flow");
    assert_eq!(url.path(), "/jitsi/Browser%20Room", "{url}");
    let jwt = url
        .query_pairs()
        .find(|(k, _)| k == "jwt")
        .map(|(_, v)| v.into_owned())
        .expect("jwt in the URL");
    let claims = crate::verifier::verify_like_prosody(&jwt, JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.room, "browser%20room");
    assert_eq!(claims.custom.context["user"]["affiliation"], "owner");
}
