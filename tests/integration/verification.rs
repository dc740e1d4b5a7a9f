//! Confirmed addresses on both databases: signing up sends a link that confirms the address and
//! signs in, and answers the same for an address that has an account (whose owner is told); a
//! new email changes only when its link is opened (the old address is told, a taken one is not
//! revealed); the link can be sent again, a few times.

use crate::{
    on_both_backends,
    support::{
        Backend, Client, PASSWORD, TestApp, emailed_tokens, register, signed_out, spawn_app,
        unique_email,
    },
};
use axum::http::StatusCode;

on_both_backends!(
    signing_up_sends_a_link_that_confirms_the_address_and_signs_in,
    signing_up_with_a_taken_address_answers_the_same_and_tells_its_owner,
    a_new_email_changes_only_once_its_link_is_opened,
    the_link_can_be_sent_again_a_few_times,
);

async fn sign_up(client: &mut Client<'_>, name: &str, email: &str) -> (StatusCode, String) {
    let reply = client
        .call(
            "register",
            &[("name", name), ("email", email), ("password", PASSWORD)],
        )
        .await;
    (reply.status, reply.body)
}

async fn me(client: &mut Client<'_>) -> serde_json::Value {
    let reply = client.call_ok("current_user", &[]).await;
    serde_json::from_str(&reply.body).unwrap()
}

async fn emails(app: &TestApp, kind: &str) -> i64 {
    app.scalar_for("SELECT COUNT(*) FROM outbox WHERE kind = $1", kind)
        .await
}

async fn signing_up_sends_a_link_that_confirms_the_address_and_signs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("vera");
    let mut browser = app.client();
    let (status, body) = sign_up(&mut browser, "Vera", &email).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(signed_out(&browser), "nobody is signed in yet");
    let [token] = emailed_tokens(&app, "verify_email", &email)
        .await
        .try_into()
        .unwrap();

    // The account works before it is confirmed, and says it is not.
    let mut laptop = app.client();
    laptop
        .call_ok("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(me(&mut laptop).await["email_verified"], false);
    let page = laptop.get("/").await;
    assert!(page.body.contains("Please confirm your email address"));

    let page = browser.get(&format!("/verify-email?token={token}")).await;
    assert!(
        page.body.contains("Confirm my email address"),
        "{}",
        page.body
    );
    browser.call_ok("verify_email", &[("token", &token)]).await;
    assert_eq!(
        me(&mut browser).await["email_verified"],
        true,
        "signed in, confirmed"
    );
    let page = browser.get("/").await;
    assert!(!page.body.contains("Please confirm your email address"));

    let again = app
        .client()
        .call("verify_email", &[("token", &token)])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "once only");
    let page = app
        .client()
        .get(&format!("/verify-email?token={token}"))
        .await;
    assert!(
        page.body
            .contains("This link has expired or has been used already.")
    );
}

async fn signing_up_with_a_taken_address_answers_the_same_and_tells_its_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = unique_email("owen");
    let (fresh_status, fresh_body) = sign_up(&mut app.client(), "Owen", &owner).await;
    let mut intruder = app.client();
    let (status, body) = sign_up(&mut intruder, "Mallory", &owner.to_uppercase()).await;
    assert_eq!((status, &body), (fresh_status, &fresh_body));
    assert!(signed_out(&intruder));
    let accounts: i64 = app.scalar("SELECT COUNT(*) FROM users").await;
    assert_eq!(accounts, 1);
    assert_eq!(
        emails(&app, "verify_email").await,
        1,
        "only the real sign-up's"
    );
    assert_eq!(emails(&app, "sign_up_attempt").await, 1);
    let told: String = app
        .scalar("SELECT recipient FROM outbox WHERE kind = 'sign_up_attempt'")
        .await;
    assert_eq!(told, owner);
    // Once an hour at most: more tries answer the same and tell nobody.
    for _ in 0..3 {
        let (status, body) = sign_up(&mut app.client(), "Mallory", &owner).await;
        assert_eq!((status, &body), (fresh_status, &fresh_body));
    }
    assert_eq!(emails(&app, "sign_up_attempt").await, 1);
}

async fn a_new_email_changes_only_once_its_link_is_opened(backend: Backend) {
    let app = spawn_app(backend).await;
    let old = unique_email("cleo");
    let mut cleo = register(&app, "Cleo", &old).await;
    let taken = unique_email("taken");
    register(&app, "Tak", &taken).await;
    let change = |to: &str| {
        [
            ("name".to_owned(), "Cleo".to_owned()),
            ("email".to_owned(), to.to_owned()),
            ("current_password".to_owned(), PASSWORD.to_owned()),
        ]
    };
    let new = unique_email("cleo.new");
    let form = change(&new);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = cleo.call_ok("update_details", &form).await;
    assert_eq!(
        reply.body,
        format!("\"{new}\""),
        "the address waiting for its link"
    );
    assert_eq!(
        me(&mut cleo).await["email"],
        old.as_str(),
        "not changed yet"
    );
    assert_eq!(
        emails(&app, "email_change").await,
        1,
        "the old address is told"
    );

    // A taken address gets the same answer, and nobody gets an email.
    let form = change(&taken);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = cleo.call_ok("update_details", &form).await;
    assert_eq!(reply.body, format!("\"{taken}\""));
    assert!(
        emailed_tokens(&app, "verify_email", &taken).await.len() == 1,
        "only Tak's sign-up"
    );
    assert_eq!(emails(&app, "email_change").await, 1);

    let [token] = emailed_tokens(&app, "verify_email", &new)
        .await
        .try_into()
        .unwrap();
    let reply = app
        .client()
        .call("verify_email", &[("token", &token)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let now = me(&mut cleo).await;
    assert_eq!(
        (now["email"].as_str(), now["email_verified"].as_bool()),
        (Some(new.as_str()), Some(true))
    );
}

async fn the_link_can_be_sent_again_a_few_times(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("rex");
    let mut rex = register(&app, "Rex", &email).await;
    for _ in 0..3 {
        rex.call_ok("resend_verification", &[]).await;
    }
    let reply = rex.call("resend_verification", &[]).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let tokens = emailed_tokens(&app, "verify_email", &email).await;
    assert_eq!(tokens.len(), 4, "the sign-up's and three more");
    let stale = app
        .client()
        .call("verify_email", &[("token", &tokens[0])])
        .await;
    assert_eq!(
        stale.status,
        StatusCode::BAD_REQUEST,
        "a newer link replaces it"
    );
    let reply = app
        .client()
        .call("verify_email", &[("token", &tokens[3])])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut fresh = app.client();
    fresh
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    let reply = fresh.call("resend_verification", &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "confirmed already");
    assert_eq!(
        app.client().call("resend_verification", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}
