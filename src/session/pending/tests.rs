use super::*;

fn cookies() -> LoginCookies {
    LoginCookies::new(&SecretString::from("k".repeat(32)), 600, true, "").unwrap()
}

/// Turns `Set-Cookie` values into the `Cookie` header a browser would send next.
fn browser(jar: &mut Vec<(String, String)>, set_cookies: &[String]) -> String {
    for sc in set_cookies {
        let c = Cookie::parse_encoded(sc.clone()).unwrap();
        jar.retain(|(n, _)| n != c.name());
        if c.max_age() != Some(cookie::time::Duration::ZERO) {
            jar.push((c.name().to_owned(), c.value().to_owned()));
        }
    }
    jar.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

#[test]
fn cookies_are_set_as_they_are_and_old_percent_encoded_ones_still_open() {
    let c = cookies();
    let login = PendingLogin::new(&room("octets"), 1000);
    let set = c.start(&login, None, 1000);
    let new = set.last().unwrap();
    let value = new.split(';').next().unwrap().split_once('=').unwrap().1;
    // RFC 6265 cookie-octets: no controls, space, DQUOTE, comma, semicolon, backslash.
    assert!(
        value
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b'"' | b',' | b';' | b'\\'))
    );
    assert!(!value.contains('%'), "{value}");
    // As an earlier version set it: percent-encoded.
    let old = Cookie::parse(new.clone()).unwrap().encoded().to_string();
    let header = old.split(';').next().unwrap().to_owned();
    assert_ne!(
        header,
        new.split(';').next().unwrap(),
        "the value had characters to encode"
    );
    let name = format!("{COOKIE_PREFIX}{}", login.state);
    assert!(c.open(&name, Some(&header)).is_some());
}

#[test]
fn logout_hints_are_opaque_and_authenticated() {
    let c = cookies();
    let tenant = Tenant::parse("acme").unwrap();
    let hint = c.seal_hint(&SecretString::from("eyJ.id.token"), Some(&tenant), 1000);
    assert!(
        !hint.contains("eyJ"),
        "the ID token is not readable in the hint"
    );
    assert!(
        hint.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-safe: {hint}"
    );
    let (token, t) = c.open_hint(&hint, 1000).unwrap();
    assert_eq!(token.expose_secret(), "eyJ.id.token");
    assert_eq!(t.as_deref(), Some("acme"));
    let other = LoginCookies::new(&SecretString::from("z".repeat(32)), 600, true, "").unwrap();
    assert!(other.open_hint(&hint, 1000).is_none());
    assert!(c.open_hint("eyJ.forged", 1000).is_none());
    let mut bad = hint.clone();
    bad.replace_range(..1, if hint.starts_with('A') { "B" } else { "A" });
    assert!(c.open_hint(&bad, 1000).is_none());
}

#[test]
fn a_logout_hint_lives_as_long_as_the_session_cookie_and_no_longer() {
    let c = cookies();
    let hint = c.seal_hint(&SecretString::from("eyJ.id.token"), None, 1000);
    assert!(c.open_hint(&hint, 1000 + SESSION_TTL_SECS).is_some());
    assert!(c.open_hint(&hint, 1000 + SESSION_TTL_SECS + 1).is_none());
    // Sealed by a replica whose clock is a little ahead: accepted; far ahead: not.
    assert!(c.open_hint(&hint, 1000 - HINT_CLOCK_LEEWAY_SECS).is_some());
    assert!(
        c.open_hint(&hint, 1000 - HINT_CLOCK_LEEWAY_SECS - 1)
            .is_none()
    );
}

#[test]
fn https_cookies_are_host_only_and_planted_ones_are_ignored() {
    let c = LoginCookies::new(&SecretString::from("k".repeat(32)), 600, true, "/auth").unwrap();
    let login = PendingLogin::new(&room("team"), 1000);
    let set = c.start(&login, None, 1000);
    let sc = Cookie::parse_encoded(set.last().unwrap().clone()).unwrap();
    assert_eq!(sc.name(), format!("__Host-jb_login_{}", login.state));
    assert_eq!(sc.secure(), Some(true));
    assert_eq!(sc.path(), Some("/"), "__Host- requires Path=/");
    assert_eq!(sc.domain(), None);
    assert!(
        c.session_cookie(&SecretString::from("t"), None)
            .starts_with("__Host-jb_session=")
    );

    // The same sealed value under the name another host of the site could set.
    let planted = format!("jb_login_{}={}", login.state, sc.value());
    assert_eq!(
        c.finish(&login.state, Some(&planted), 1001).unwrap_err(),
        LoginLookup::Unknown
    );
    let genuine = format!("{}={}", sc.name(), sc.value());
    assert!(c.finish(&login.state, Some(&genuine), 1001).is_ok());

    // Plain-http loopback demos: no prefix (browsers refuse it without Secure), own path.
    let http = LoginCookies::new(&SecretString::from("k".repeat(32)), 600, false, "/auth").unwrap();
    let sc = Cookie::parse_encoded(http.start(&login, None, 1000).last().unwrap().clone()).unwrap();
    assert_eq!(sc.name(), format!("jb_login_{}", login.state));
    assert_eq!(sc.path(), Some("/auth"));
}

/// The largest pending logins a link can make (longest room in four-byte characters, the
/// most settings carried), with the largest session cookie beside them: every cookie stays
/// under 4 KB, all of them under 8 KB, and the newest logins are the ones kept.
#[test]
fn cookies_stay_within_what_browsers_and_proxies_accept() {
    let c = cookies();
    let session = c.session_cookie(&SecretString::from("x".repeat(6000)), None);
    assert!(name_value_len(&session) <= MAX_COOKIE_BYTES);
    let mut jar = Vec::new();
    browser(&mut jar, &[session]);
    let big_room = room(&"😀".repeat(75)); // the longest accepted in bytes
    let mut states = Vec::new();
    for i in 0..12 {
        let mut login = PendingLogin::new(&big_room, 1000 + i);
        login.tenant = Some("t".repeat(crate::jitsi::tenant::MAX_LEN));
        login.overrides = vec![crate::jitsi::state_param::Override {
            key: "config.subject".into(),
            value: serde_json::Value::String(
                "s".repeat(crate::jitsi::state_param::MAX_OVERRIDE_BYTES - 20),
            ),
        }];
        let header = browser(&mut jar, &[]);
        let set = c.start(&login, Some(&header), 1000 + i);
        for sc in &set {
            assert!(name_value_len(sc) <= MAX_COOKIE_BYTES, "{}", sc.len());
        }
        let header = browser(&mut jar, &set);
        assert!(header.len() <= MAX_COOKIES_BYTES, "{} bytes", header.len());
        states.push(login.state);
    }
    let newest = states.last().unwrap();
    assert!(browser(&mut jar, &[]).contains(newest.as_str()));
    assert!(
        !browser(&mut jar, &[]).contains(states[0].as_str()),
        "oldest gave way"
    );
}

/// Pending logins of other tabs at the budget, then a login that ends with the largest
/// session cookie: the oldest pending logins give way, the header stays within budget.
#[test]
fn a_finished_login_makes_room_for_its_session_cookie() {
    let c = cookies();
    let mut jar = Vec::new();
    let big_room = room(&"😀".repeat(75));
    let mut last = None;
    for i in 0..8 {
        let mut login = PendingLogin::new(&big_room, 1000 + i);
        login.overrides = vec![crate::jitsi::state_param::Override {
            key: "config.subject".into(),
            value: serde_json::Value::String(
                "s".repeat(crate::jitsi::state_param::MAX_OVERRIDE_BYTES - 20),
            ),
        }];
        let header = browser(&mut jar, &[]);
        browser(&mut jar, &c.start(&login, Some(&header), 1000 + i));
        last = Some(login.state);
    }
    let finished = last.unwrap();
    let session = c.session_cookie(&SecretString::from("x".repeat(6000)), None);
    let header = browser(&mut jar, &[]);
    let mut set = vec![session];
    set.extend(c.make_room(Some(&header), &finished, &set.clone(), 1010));
    set.extend(c.removal_for_state(&finished));
    let after = browser(&mut jar, &set);
    assert!(after.len() <= MAX_COOKIES_BYTES, "{} bytes", after.len());
    assert!(after.contains("jb_session="));
}

#[test]
fn a_session_with_a_hundred_groups_keeps_its_logout_hint() {
    let c = cookies();
    let groups: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "\"/organisation/department-{:02}/working-group-{i}\"",
                i % 10
            )
        })
        .collect();
    let payload = format!(r#"{{"sub":"u","groups":[{}]}}"#, groups.join(","));
    let token = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        "s".repeat(342)
    );
    let cookie = c.session_cookie(&SecretString::from(token.clone()), None);
    assert!(
        name_value_len(&cookie) <= MAX_COOKIE_BYTES,
        "{}",
        cookie.len()
    );
    let header = browser(&mut Vec::new(), &[cookie]);
    let (back, _) = c.session(Some(&header)).unwrap();
    assert_eq!(back.expose_secret(), token);
}

/// A token of the usual size is kept as it is (no deflate on the login path); a session
/// cookie of an earlier version, which always held the packed form, still opens.
#[test]
fn a_usual_token_is_kept_as_it_is_and_packed_sessions_still_open() {
    let c = cookies();
    let token = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"sub":"u","groups":["/staff"]}"#),
        "s".repeat(342)
    );
    let cookie = c.session_cookie(&SecretString::from(token.clone()), None);
    let header = browser(&mut Vec::new(), std::slice::from_ref(&cookie));
    let opened = c.open(SESSION_COOKIE, Some(&header)).unwrap();
    let kept: Session = serde_json::from_str(&opened).unwrap();
    assert_eq!(kept.id_token.as_deref(), Some(token.as_str()));
    assert_eq!(c.session(Some(&header)).unwrap().0.expose_secret(), token);

    let earlier = Session {
        id_token: Some(compact::pack(&token)),
        tenant: Some("acme".into()),
        created: None,
    };
    let earlier = c.seal(
        SESSION_COOKIE,
        &serde_json::to_string(&earlier).unwrap(),
        SESSION_TTL_SECS,
    );
    let header = browser(&mut Vec::new(), &[earlier]);
    let (back, tenant) = c.session(Some(&header)).unwrap();
    assert_eq!(back.expose_secret(), token);
    assert_eq!(tenant.as_deref(), Some("acme"));
}

/// Cookies of others in the same header (Keycloak's on a shared host name, malformed
/// ones) are skipped without being decoded and do not hide the bridge's.
#[test]
fn other_cookies_in_the_header_are_skipped() {
    let c = cookies();
    let login = PendingLogin::new(&room("team"), 1000);
    let ours = browser(&mut Vec::new(), &c.start(&login, None, 1000));
    let header = format!(
        "KEYCLOAK_IDENTITY=eyJ%zz%; broken; =novalue; jb_login_{}=forged; {ours}; AUTH_SESSION_ID=x",
        login.state
    );
    assert_eq!(
        c.finish(&login.state, Some(&header), 1001).unwrap().room,
        "team"
    );
}

#[test]
fn round_trip_and_single_use() {
    let c = cookies();
    let login = PendingLogin::new(&room("team"), 1000);
    let mut jar = Vec::new();
    let header = browser(&mut jar, &c.start(&login, None, 1000));
    assert!(!header.contains(&login.nonce), "sealed, not readable");
    let opened = c.finish(&login.state, Some(&header), 1001).unwrap();
    assert_eq!(opened.room, "team");
    assert_eq!(opened.pkce_verifier, login.pkce_verifier);
    c.finished(&opened, 1001).unwrap();
    assert_eq!(
        c.finish(&login.state, Some(&header), 1002).unwrap_err(),
        LoginLookup::Replayed
    );
}

#[test]
fn parallel_logins_do_not_disturb_each_other() {
    let c = cookies();
    let (a, b) = (
        PendingLogin::new(&room("a"), 10),
        PendingLogin::new(&room("b"), 11),
    );
    let mut jar = Vec::new();
    let h = browser(&mut jar, &c.start(&a, None, 10));
    let h = browser(&mut jar, &c.start(&b, Some(&h), 11));
    assert_eq!(c.finish(&b.state, Some(&h), 12).unwrap().room, "b");
    assert_eq!(c.finish(&a.state, Some(&h), 12).unwrap().room, "a");
}

#[test]
fn refuses_unknown_forged_expired_and_tampered() {
    let c = cookies();
    let login = PendingLogin::new(&room("team"), 1000);
    let mut jar = Vec::new();
    let header = browser(&mut jar, &c.start(&login, None, 1000));
    assert_eq!(
        c.finish(&login.state, None, 1001).unwrap_err(),
        LoginLookup::Unknown
    );
    assert_eq!(
        c.finish(&random_token(), Some(&header), 1001).unwrap_err(),
        LoginLookup::Unknown
    );
    assert_eq!(
        c.finish("short", Some(&header), 1001).unwrap_err(),
        LoginLookup::Unknown
    );
    assert_eq!(
        c.finish(&login.state, Some(&header), 1600).unwrap_err(),
        LoginLookup::Expired
    );
    let tampered = header.replacen('=', "=A", 1);
    assert_eq!(
        c.finish(&login.state, Some(&tampered), 1001).unwrap_err(),
        LoginLookup::Unknown
    );
    let other_key = LoginCookies::new(&SecretString::from("z".repeat(32)), 600, true, "").unwrap();
    assert_eq!(
        other_key
            .finish(&login.state, Some(&header), 1001)
            .unwrap_err(),
        LoginLookup::Unknown
    );
    // A cookie renamed to another state does not open: the name is authenticated.
    let other_state = random_token();
    let renamed = header.replace(&login.state, &other_state);
    assert_eq!(
        c.finish(&other_state, Some(&renamed), 1001).unwrap_err(),
        LoginLookup::Unknown
    );
}

#[test]
fn keeps_a_bounded_number_of_pending_logins() {
    let c = cookies();
    let mut jar = Vec::new();
    let mut header = String::new();
    let mut logins = Vec::new();
    for i in 0..20u64 {
        let login = PendingLogin::new(&room("r"), 100 + i);
        header = browser(&mut jar, &c.start(&login, Some(&header), 100 + i));
        logins.push(login);
    }
    assert_eq!(jar.len(), MAX_PENDING);
    assert!(c.finish(&logins[19].state, Some(&header), 130).is_ok());
    assert_eq!(
        c.finish(&logins[0].state, Some(&header), 130).unwrap_err(),
        LoginLookup::Unknown
    );
}

#[test]
fn cookie_attributes() {
    let c = cookies();
    let login = PendingLogin::new(&room("team"), 1000);
    let set = c.start(&login, None, 1000);
    let sc = &set[0];
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(sc.contains(attr), "{sc} lacks {attr}");
    }
    assert!(
        c.removal_for_state(&login.state)
            .unwrap()
            .contains("Max-Age=0")
    );
}

#[test]
fn short_keys_are_refused() {
    assert!(LoginCookies::new(&SecretString::from("short"), 600, true, "").is_err());
}

/// A logout hint and a session cookie sealed the way versions before `session::seal` sealed
/// them (the `cookie` crate's private jar; the hint made URL-safe by character replacement)
/// still open; a hint from before hints had a creation time does not.
#[test]
fn hints_and_sessions_sealed_by_the_private_jar_still_open() {
    let master = "k".repeat(32);
    let key = Key::derive_from(master.as_bytes());
    let mut jar = cookie::CookieJar::new();
    let session = r#"{"id_token":"eyJ.id.token","tenant":"acme"}"#;
    let url_safe = |sealed: &str| {
        sealed
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_owned()
    };
    jar.private_mut(&key).add(Cookie::new(HINT_NAME, session));
    let undated = url_safe(jar.get(HINT_NAME).unwrap().value());
    jar.private_mut(&key).add(Cookie::new(
        HINT_NAME,
        r#"{"id_token":"eyJ.id.token","tenant":"acme","created":1000}"#,
    ));
    let hint = url_safe(jar.get(HINT_NAME).unwrap().value());
    jar.private_mut(&key).add(Cookie::new(
        format!("{HOST_PREFIX}{SESSION_COOKIE}"),
        session,
    ));
    let c = cookies();
    assert!(c.open_hint(&undated, 1000).is_none());
    let (token, tenant) = c.open_hint(&hint, 1000).unwrap();
    assert_eq!(token.expose_secret(), "eyJ.id.token");
    assert_eq!(tenant.as_deref(), Some("acme"));
    let session_cookie = jar
        .get(&format!("{HOST_PREFIX}{SESSION_COOKIE}"))
        .unwrap()
        .value()
        .to_owned();
    let header = format!("other=1; {HOST_PREFIX}{SESSION_COOKIE}={session_cookie}");
    let (token, tenant) = c.session(Some(&header)).unwrap();
    assert_eq!(token.expose_secret(), "eyJ.id.token");
    assert_eq!(tenant.as_deref(), Some("acme"));
}
