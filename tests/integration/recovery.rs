//! "Forgot your password?" on both databases: the emailed link sets a new password once and ends
//! every session, the request answers the same whether or not the address has an account and is
//! rate limited, and a used, expired, replaced or made-up link gets a clear answer.

use crate::{
    on_both_backends,
    support::{
        Backend, Client, PASSWORD, TestApp, emailed_tokens, register, spawn_app, unique_email,
    },
};
use axum::http::StatusCode;

on_both_backends!(
    a_reset_link_sets_a_new_password_once_and_ends_every_session,
    asking_for_a_link_answers_the_same_for_unknown_addresses_and_is_rate_limited,
    dead_reset_links_get_a_clear_answer,
    an_owner_locked_out_by_someone_elses_failures_gets_in_by_email,
);

const NEW_PASSWORD: &str = "amber glacier waltz quietly";

/// The tokens of the reset emails sent to `email`, oldest first.
async fn reset_tokens(app: &TestApp, email: &str) -> Vec<String> {
    emailed_tokens(app, "password_reset", email).await
}

async fn forgot(client: &mut Client<'_>, email: &str) -> (StatusCode, String) {
    let reply = client.call("forgot_password", &[("email", email)]).await;
    (reply.status, reply.body)
}

async fn link_works(client: &mut Client<'_>, token: &str) -> bool {
    let reply = client.call_ok("reset_link", &[("token", token)]).await;
    serde_json::from_str(&reply.body).unwrap()
}

async fn reset(client: &mut Client<'_>, token: &str, password: &str) -> (StatusCode, String) {
    let reply = client
        .call(
            "reset_password",
            &[("token", token), ("password", password)],
        )
        .await;
    (reply.status, reply.body)
}

async fn signed_in(client: &mut Client<'_>) -> bool {
    let reply = client.call_ok("current_user", &[]).await;
    reply.body != "null"
}

async fn a_reset_link_sets_a_new_password_once_and_ends_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("eve");
    let mut laptop = register(&app, "Eve", &email).await;
    let mut stranger = app.client();
    let (status, body) = forgot(&mut stranger, &email).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tokens = reset_tokens(&app, &email).await;
    let [token] = tokens.as_slice() else {
        panic!("one email: {tokens:?}")
    };
    assert_eq!(token.len(), 64, "256 bits");
    let stored: i64 = app
        .scalar_for(
            "SELECT COUNT(*) FROM account_tokens WHERE token_hash = $1",
            token,
        )
        .await;
    assert_eq!(stored, 0, "only the token's hash is kept");

    let mut browser = app.client();
    assert!(link_works(&mut browser, token).await);
    let page = browser.get(&format!("/reset-password?token={token}")).await;
    assert!(page.body.contains("New password"), "{}", page.body);
    let (status, _) = reset(&mut browser, token, "eve").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "too short");
    let (status, body) = reset(&mut browser, token, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(signed_in(&mut browser).await, "signed in on this device");

    // Every earlier session has ended: the laptop's refresh token no longer renews its access.
    laptop.cookies.remove("emporium_access");
    assert!(!signed_in(&mut laptop).await);
    let mut fresh = app.client();
    let old = fresh
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    let new = fresh
        .call("login", &[("email", &email), ("password", NEW_PASSWORD)])
        .await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);

    let (status, body) = reset(&mut app.client(), token, "another fine passphrase").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("expired or has been used"), "{body}");
    assert!(!link_works(&mut app.client(), token).await);
}

async fn asking_for_a_link_answers_the_same_for_unknown_addresses_and_is_rate_limited(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let email = unique_email("fay");
    register(&app, "Fay", &email).await;
    let (known, known_body) = forgot(&mut app.client(), &email).await;
    let nobody = unique_email("nobody");
    let (unknown, unknown_body) = forgot(&mut app.client(), &nobody).await;
    assert_eq!((known, &known_body), (unknown, &unknown_body));
    assert_eq!(reset_tokens(&app, &email).await.len(), 1);
    assert!(reset_tokens(&app, &nobody).await.is_empty());
    let (status, _) = forgot(&mut app.client(), "not an address").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Five links an address in 15 minutes, from anywhere; the sixth is refused.
    for _ in 0..4 {
        assert_eq!(forgot(&mut app.client(), &email).await.0, StatusCode::OK);
    }
    assert_eq!(
        forgot(&mut app.client(), &email).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(reset_tokens(&app, &email).await.len(), 5);
    // Five requests from one network address, whatever they ask for.
    let mut prober = app.client();
    for n in 0..5 {
        let probe = unique_email(&format!("probe{n}"));
        assert_eq!(forgot(&mut prober, &probe).await.0, StatusCode::OK);
    }
    assert_eq!(
        forgot(&mut prober, &unique_email("probe")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn dead_reset_links_get_a_clear_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("gus");
    register(&app, "Gus", &email).await;
    forgot(&mut app.client(), &email).await;
    forgot(&mut app.client(), &email).await;
    let tokens = reset_tokens(&app, &email).await;
    let mut browser = app.client();
    assert!(
        !link_works(&mut browser, &tokens[0]).await,
        "a newer link replaces it"
    );
    assert!(link_works(&mut browser, &tokens[1]).await);

    app.execute_for(
        "UPDATE account_tokens SET expires_at = $1",
        emporium::platform::db::now_ms() - 1,
    )
    .await;
    let forged = "ab".repeat(32);
    for token in [tokens[1].as_str(), forged.as_str(), ""] {
        assert!(!link_works(&mut browser, token).await);
        let (status, body) = reset(&mut browser, token, NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let page = browser.get(&format!("/reset-password?token={token}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("This link has expired or has been used already."),
            "{}",
            page.body
        );
    }
    let mut fresh = app.client();
    let still = fresh
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(still.status, StatusCode::OK, "the password is unchanged");
}

/// Anyone can make an account's password sign-in pause by failing five times (the account is
/// counted wherever the attempts come from); its owner is not locked out: the emailed link sets a
/// new password and signs them in at once.
async fn an_owner_locked_out_by_someone_elses_failures_gets_in_by_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("lou");
    register(&app, "Lou", &email).await;
    for _ in 0..5 {
        let reply = app
            .client()
            .call("login", &[("email", &email), ("password", "not it")])
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    }
    let mut owner = app.client();
    let paused = owner
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(paused.status, StatusCode::TOO_MANY_REQUESTS);
    let page = owner.get("/login").await;
    assert!(page.body.contains("Forgot your password?"), "{}", page.body);

    let (status, body) = forgot(&mut owner, &email).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let [token] = reset_tokens(&app, &email).await.try_into().unwrap();
    let (status, body) = reset(&mut owner, &token, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(signed_in(&mut owner).await);
}
