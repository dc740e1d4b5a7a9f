//! Two-step sign-in on both databases: enrolling takes a code from the app and the password,
//! signing in then asks for a code that works once (also when two requests bring it at once),
//! recovery codes work once each, links that sign in ask for the code too, and staff have
//! a customer's rights until they turn it on.

use crate::{
    on_both_backends,
    support::{
        Backend, Client, PASSWORD, TestApp, admin_without_two_factor, emailed_tokens,
        enrol_two_factor, register, spawn_app, totp_code, unique_email, unix_secs,
    },
};
use axum::http::{StatusCode, header};
use emporium::{
    accounts::{db, model::Email},
    error::{SIGN_IN_TIMED_OUT, WRONG_CODE},
};

on_both_backends!(
    enrolling_needs_a_code_from_the_app_and_the_password,
    signing_in_asks_for_a_code_that_works_once,
    recovery_codes_sign_in_once_each,
    the_same_code_twice_at_once_signs_in_once,
    a_reset_link_asks_for_the_code_too,
    the_code_step_needs_its_cookie,
    staff_need_two_step_sign_in_and_keep_it,
    customers_can_turn_it_off,
);

async fn two_factor(client: &mut Client<'_>) -> serde_json::Value {
    let reply = client.call_ok("two_factor", &[]).await;
    serde_json::from_str(&reply.body).unwrap()
}

async fn signed_in(client: &mut Client<'_>) -> bool {
    let reply = client.call_ok("current_user", &[]).await;
    reply.body != "null"
}

/// Signs in with the password: the answer is "a code is needed", and only the sign-in cookie.
async fn password_step<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let mut client = app.client();
    let reply = client
        .call_ok("login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(reply.body, "null", "no session before the code");
    let location = reply
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(location.starts_with("/login/code?next="), "{location}");
    assert!(client.cookies.contains_key("emporium_sign_in"));
    assert!(!client.cookies.contains_key("emporium_access"));
    assert!(!client.cookies.contains_key("emporium_refresh"));
    client
}

async fn code_step(client: &mut Client<'_>, code: &str) -> (StatusCode, String) {
    let reply = client
        .call("sign_in_code", &[("code", code), ("next", "/account")])
        .await;
    (reply.status, reply.body)
}

/// The time step of the last code the account `email` used.
async fn last_step(app: &TestApp, email: &str) -> u64 {
    let step: i64 = app
        .scalar_for(
            "SELECT totp_last_step FROM users WHERE lower(email) = lower($1)",
            email,
        )
        .await;
    step as u64
}

/// A customer with two-step sign-in on: their email, app secret and recovery codes.
async fn enrolled(app: &TestApp) -> (String, String, Vec<String>) {
    let email = unique_email("tess");
    let mut client = register(app, "Tess", &email).await;
    let (secret, codes) = enrol_two_factor(&mut client).await;
    (email, secret, codes)
}

async fn enrolling_needs_a_code_from_the_app_and_the_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("tess");
    let mut laptop = register(&app, "Tess", &email).await;
    let mut phone = app.client();
    phone
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert!(signed_in(&mut phone).await);
    assert_eq!(two_factor(&mut laptop).await["enabled"], false);

    let reply = laptop.call_ok("start_two_factor", &[]).await;
    let setup: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = setup["secret"].as_str().unwrap().replace(' ', "");
    assert_eq!(secret.len(), 32, "160 bits in base32");

    let stale = totp_code(&secret, unix_secs() - 600);
    let fresh = totp_code(&secret, unix_secs());
    for (code, password, field) in [
        (stale.as_str(), PASSWORD, "code"),
        ("12345", PASSWORD, "code"),
        (fresh.as_str(), "not my password at all", "password"),
    ] {
        let reply = laptop
            .call(
                "confirm_two_factor",
                &[("code", code), ("password", password)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        assert!(
            reply.body.contains(&format!(r#""field":"{field}""#)),
            "{}",
            reply.body
        );
        assert_eq!(two_factor(&mut laptop).await["enabled"], false);
    }

    let reply = laptop
        .call_ok(
            "confirm_two_factor",
            &[("code", &fresh), ("password", PASSWORD)],
        )
        .await;
    let codes: Vec<String> = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(codes.len(), 10);
    let now = two_factor(&mut laptop).await;
    assert_eq!(now["enabled"], true);
    assert_eq!(now["recovery_codes_left"], 10);
    assert!(signed_in(&mut laptop).await, "this device stays signed in");
    phone.cookies.remove("emporium_access");
    assert!(
        !signed_in(&mut phone).await,
        "every other device is signed out"
    );
    let stored: String = app
        .scalar("SELECT code_hash FROM recovery_codes LIMIT 1")
        .await;
    assert!(
        codes
            .iter()
            .all(|code| !stored.contains(&code.replace('-', "")))
    );

    let again = laptop.call("start_two_factor", &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

async fn signing_in_asks_for_a_code_that_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, secret, _) = enrolled(&app).await;
    let used = last_step(&app, &email).await;

    let mut client = password_step(&app, &email).await;
    for code in [
        totp_code(&secret, used * 30),
        "000 00".into(),
        "letters".into(),
    ] {
        let (status, body) = code_step(&mut client, &code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains(WRONG_CODE), "{body}");
        assert!(!signed_in(&mut client).await);
    }
    // The next step's code: a phone clock a little ahead, or the next code the app shows.
    let next = totp_code(&secret, (used + 1) * 30);
    let (status, body) = code_step(&mut client, &next).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""two_factor":true"#), "{body}");
    assert!(signed_in(&mut client).await);
    assert!(!client.cookies.contains_key("emporium_sign_in"));

    // Wrong codes count like wrong passwords.
    let mut guesser = password_step(&app, &email).await;
    for _ in 0..2 {
        let (status, _) = code_step(&mut guesser, "111111").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, body) = code_step(&mut guesser, "111111").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

async fn recovery_codes_sign_in_once_each(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, _, codes) = enrolled(&app).await;
    let mut first = password_step(&app, &email).await;
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(code_step(&mut first, &typed).await.0, StatusCode::OK);

    let mut second = password_step(&app, &email).await;
    let (status, body) = code_step(&mut second, &codes[0]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code_step(&mut second, &codes[1]).await.0, StatusCode::OK);
    assert_eq!(two_factor(&mut second).await["recovery_codes_left"], 8);

    let reply = second
        .call("new_recovery_codes", &[("password", "wrong password here")])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let reply = second
        .call_ok("new_recovery_codes", &[("password", PASSWORD)])
        .await;
    let renewed: Vec<String> = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(two_factor(&mut second).await["recovery_codes_left"], 10);
    let mut third = password_step(&app, &email).await;
    assert_eq!(
        code_step(&mut third, &codes[2]).await.0,
        StatusCode::BAD_REQUEST,
        "old codes are gone"
    );
    assert_eq!(code_step(&mut third, &renewed[0]).await.0, StatusCode::OK);
}

async fn the_same_code_twice_at_once_signs_in_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, secret, codes) = enrolled(&app).await;
    let code = totp_code(&secret, (last_step(&app, &email).await + 1) * 30);
    let mut a = password_step(&app, &email).await;
    let mut b = password_step(&app, &email).await;
    let (first, second) = futures::join!(code_step(&mut a, &code), code_step(&mut b, &code));
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::BAD_REQUEST],
        "{first:?} {second:?}"
    );

    let mut c = password_step(&app, &email).await;
    let mut d = password_step(&app, &email).await;
    let (first, second) =
        futures::join!(code_step(&mut c, &codes[0]), code_step(&mut d, &codes[0]));
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::BAD_REQUEST],
        "{first:?} {second:?}"
    );
}

async fn a_reset_link_asks_for_the_code_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, _, codes) = enrolled(&app).await;
    let mut stranger = app.client();
    stranger.call("forgot_password", &[("email", &email)]).await;
    let token = emailed_tokens(&app, "password_reset", &email)
        .await
        .pop()
        .unwrap();
    let reply = stranger
        .call_ok(
            "reset_password",
            &[
                ("token", &token),
                ("password", "amber glacier waltz quietly"),
            ],
        )
        .await;
    assert_eq!(reply.body, "null");
    assert!(
        !signed_in(&mut stranger).await,
        "the link alone signs nobody in"
    );
    assert!(stranger.cookies.contains_key("emporium_sign_in"));
    assert_eq!(code_step(&mut stranger, &codes[0]).await.0, StatusCode::OK);
    assert!(signed_in(&mut stranger).await);
}

async fn the_code_step_needs_its_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, secret, _) = enrolled(&app).await;
    let code = totp_code(&secret, (last_step(&app, &email).await + 1) * 30);
    let mut client = app.client();
    let (status, body) = code_step(&mut client, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains(SIGN_IN_TIMED_OUT), "{body}");
    let user = db::find_user_by_email(app.db(), &Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let far = unix_secs() + 3600;
    client.cookies.insert(
        "emporium_sign_in".into(),
        format!("{}.{far}.{}", user.id, "0".repeat(32)),
    );
    let (status, body) = code_step(&mut client, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains(SIGN_IN_TIMED_OUT), "{body}");
    assert!(!signed_in(&mut client).await);
}

async fn staff_need_two_step_sign_in_and_keep_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, reply) = admin_without_two_factor(&app).await;
    assert!(reply.body.contains(r#""role":"owner""#), "{}", reply.body);
    assert!(
        reply.body.contains(r#""two_factor":false"#),
        "{}",
        reply.body
    );
    for function in ["admin_overview", "admin_users", "admin_orders"] {
        let reply = admin.call(function, &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{function}: {}",
            reply.body
        );
    }
    assert_eq!(two_factor(&mut admin).await["required"], true);

    enrol_two_factor(&mut admin).await;
    admin.call_ok("admin_overview", &[]).await;
    let reply = admin
        .call("turn_off_two_factor", &[("password", PASSWORD)])
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert_eq!(two_factor(&mut admin).await["enabled"], true);
}

async fn customers_can_turn_it_off(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, _, codes) = enrolled(&app).await;
    let mut client = password_step(&app, &email).await;
    assert_eq!(code_step(&mut client, &codes[0]).await.0, StatusCode::OK);
    let reply = client
        .call(
            "turn_off_two_factor",
            &[("password", "wrong password here")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(two_factor(&mut client).await["enabled"], true);
    client
        .call_ok("turn_off_two_factor", &[("password", PASSWORD)])
        .await;
    assert_eq!(two_factor(&mut client).await["recovery_codes_left"], 0);
    let mut again = app.client();
    again
        .call_ok("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert!(
        signed_in(&mut again).await,
        "the password alone signs in again"
    );
}
