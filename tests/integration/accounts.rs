//! Accounts and sessions over HTTP: registration, sign-in, refresh rotation and theft
//! detection, sign-out, password change, rate limits, roles, and hostile input.

use crate::{
    on_both_backends,
    support::{
        Backend, Client, PASSWORD, TestApp, admin, admin_without_two_factor, emailed_tokens,
        enrol_two_factor, register, signed_out, spawn_app, spawn_app_with, totp_code, unique_email,
        unix_secs, within_time_limit,
    },
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use emporium::{
    accounts::{db, model::Email},
    platform::{db::now_ms, tokens::TokenKeys},
};
use std::time::{Duration, Instant};

on_both_backends!(
    refresh_rotates_and_reuse_revokes_the_family,
    a_concurrent_refresh_within_the_grace_window_keeps_the_session,
    sign_out_revokes_the_family,
    changing_the_password_signs_out_other_devices,
    changes_that_cannot_sign_devices_out_are_not_made,
    repeated_failures_are_rate_limited,
    admin_functions_need_the_admin_role,
    hostile_input_is_rejected_without_writing,
    forged_tokens_are_treated_as_signed_out,
    pages_behind_sign_in_redirect_with_a_return_path,
    sign_in_works_without_javascript,
    shoppers_change_their_details_and_preferences,
    a_made_up_refresh_cookie_never_waits_for_the_writer,
    error_text_planted_in_the_url_is_not_shown,
    a_handlers_session_decision_wins_over_a_silent_refresh,
    sixty_wrong_passwords_at_once_get_five_checks,
    behind_a_trusted_proxy_each_client_is_counted_apart,
    sign_ups_are_limited_per_network_address,
);

// Latency is measured with nothing else running: `./shop test` runs these two on their own,
// one after the other, after the rest of the suite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing-sensitive; ./shop test runs it alone"]
async fn sign_ins_do_not_stall_page_rendering_on_sqlite() {
    crate::support::within_time_limit(sign_ins_do_not_stall_page_rendering(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing-sensitive; ./shop test runs it alone"]
async fn sign_ins_do_not_stall_page_rendering_on_postgres() {
    crate::support::within_time_limit(sign_ins_do_not_stall_page_rendering(Backend::Postgres))
        .await;
}

async fn signed_in_name(client: &mut Client<'_>) -> Option<String> {
    let reply = client.call_ok("current_user", &[]).await;
    let user: Option<serde_json::Value> = serde_json::from_str(&reply.body).unwrap();
    user.map(|u| u["name"].as_str().unwrap().to_owned())
}

/// Moves every rotation of refresh tokens back in time, past the grace window.
async fn age_rotations(app: &TestApp) {
    app.execute("UPDATE refresh_tokens SET used_at = used_at - 60000 WHERE used_at IS NOT NULL")
        .await;
}

async fn count_users(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM users").await
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = register(&app, "Ann Lee", &unique_email("ann")).await;
    assert_eq!(
        signed_in_name(&mut client).await.as_deref(),
        Some("Ann Lee")
    );

    // The access token expires (the browser drops the cookie): the refresh token rotates.
    client.cookies.remove("emporium_access");
    let first_refresh = client.cookies["emporium_refresh"].clone();
    assert_eq!(
        signed_in_name(&mut client).await.as_deref(),
        Some("Ann Lee")
    );
    let second_refresh = client.cookies["emporium_refresh"].clone();
    assert_ne!(
        first_refresh, second_refresh,
        "the refresh token rotates on use"
    );
    assert!(client.cookies.contains_key("emporium_access"));

    // Someone replays the old token later: the whole family is revoked.
    age_rotations(&app).await;
    let mut thief = app.client();
    thief
        .cookies
        .insert("emporium_refresh".into(), first_refresh);
    assert_eq!(signed_in_name(&mut thief).await, None);
    assert!(signed_out(&thief), "the replayed cookies are cleared");

    client.cookies.remove("emporium_access");
    assert_eq!(
        signed_in_name(&mut client).await,
        None,
        "the device holding the family is signed out too"
    );
}

async fn a_concurrent_refresh_within_the_grace_window_keeps_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = register(&app, "Bo", &unique_email("bo")).await;
    client.cookies.remove("emporium_access");
    let refresh = client.cookies["emporium_refresh"].clone();
    assert_eq!(signed_in_name(&mut client).await.as_deref(), Some("Bo"));

    // A second tab sent the same refresh token a moment later.
    let mut other_tab = app.client();
    other_tab.cookies.insert("emporium_refresh".into(), refresh);
    assert_eq!(signed_in_name(&mut other_tab).await.as_deref(), Some("Bo"));
    client.cookies.remove("emporium_access");
    assert_eq!(
        signed_in_name(&mut client).await.as_deref(),
        Some("Bo"),
        "no theft was detected"
    );
}

async fn sign_out_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("cy");
    register(&app, "Cy", &email).await;
    let mut client = app.client();
    client
        .call_ok("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    let refresh = client.cookies["emporium_refresh"].clone();

    let reply = client.call("logout", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(signed_out(&client), "sign-out clears the cookies");
    let mut replay = app.client();
    replay.cookies.insert("emporium_refresh".into(), refresh);
    assert_eq!(
        signed_in_name(&mut replay).await,
        None,
        "the signed-out refresh token is dead"
    );
}

/// A device refreshing its session while it is signed out, or while the account is signed out
/// everywhere (as a password change, a role change or "sign out everywhere" does), ends signed
/// out, whichever of the two reaches the database first: a refresh that comes second finds its
/// token revoked, and a sign-out that comes second also revokes the token the refresh just
/// made. Both orders are forced on PostgreSQL by holding one side at a lock; SQLite's single
/// writer already orders the two.
mod refreshes_racing_a_sign_out_end_signed_out {
    use super::*;

    /// Ed, signed in on a laptop whose refresh token was rotated a while ago, and a phone
    /// holding the laptop's current refresh token only; with the laptop's first token.
    async fn ed(app: &TestApp) -> (i64, Client<'_>, String) {
        let email = unique_email("ed");
        let mut laptop = register(app, "Ed", &email).await;
        let user: i64 = app
            .scalar_for(
                "SELECT id FROM users WHERE email = $1",
                email.to_lowercase(),
            )
            .await;
        let first = laptop.cookies["emporium_refresh"].clone();
        laptop.cookies.remove("emporium_access");
        assert_eq!(signed_in_name(&mut laptop).await.as_deref(), Some("Ed"));
        age_rotations(app).await;
        let mut phone = app.client();
        phone.cookies.insert(
            "emporium_refresh".into(),
            laptop.cookies["emporium_refresh"].clone(),
        );
        (user, phone, first)
    }

    /// Waits until `count` of this database's sessions wait for a lock.
    async fn until_waiting(app: &TestApp, count: i64) {
        let waiting = "SELECT COUNT(*) FROM pg_stat_activity \
                       WHERE datname = current_database() AND wait_event_type = 'Lock'";
        while app.scalar::<i64>(waiting).await < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn live_tokens(app: &TestApp, user: i64) -> i64 {
        app.scalar_for(
            "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL",
            user,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sign_out_first() {
        within_time_limit(sign_out_first()).await;
    }

    async fn sign_out_first() {
        let app = spawn_app(Backend::Postgres).await;
        let (user, mut phone, _) = ed(&app).await;
        // A sign-out everywhere, held open.
        let mut sign_out = app.db().begin_write().await.unwrap();
        db::revoke_user_families(&mut sign_out, user, None, now_ms())
            .await
            .unwrap();
        let commit_once_the_refresh_waits = async {
            until_waiting(&app, 1).await;
            sign_out.commit().await.unwrap();
        };
        let (name, ()) = tokio::join!(signed_in_name(&mut phone), commit_once_the_refresh_waits);
        assert_eq!(name, None);
        assert_eq!(
            live_tokens(&app, user).await,
            0,
            "no token outlives the sign-out"
        );
    }

    /// The phone's refresh reaches the database first and stops just before it stores its new
    /// token; `sign_out` (given Ed's id, the family and the laptop's first token) comes then,
    /// and the refresh goes on once both wait.
    async fn the_refresh_first(sign_out: impl AsyncFnOnce(&TestApp, i64, String, String)) {
        let app = spawn_app(Backend::Postgres).await;
        let (user, mut phone, first) = ed(&app).await;
        let family: String = app
            .scalar_for("SELECT family FROM refresh_tokens WHERE user_id = $1", user)
            .await;
        app.execute(
            "CREATE FUNCTION gate() RETURNS trigger AS \
             $$ BEGIN PERFORM pg_advisory_xact_lock(42); RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        .await;
        app.execute(
            "CREATE TRIGGER gate BEFORE INSERT ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION gate()",
        )
        .await;
        let mut gate = app.db().pool().acquire().await.unwrap();
        sqlx::query("SELECT pg_advisory_lock(42)")
            .execute(&mut *gate)
            .await
            .unwrap();
        let sign_out_while_the_refresh_waits = async {
            until_waiting(&app, 1).await;
            let open_the_gate_once_both_wait = async {
                until_waiting(&app, 2).await;
                sqlx::query("SELECT pg_advisory_unlock(42)")
                    .execute(&mut *gate)
                    .await
                    .unwrap();
            };
            tokio::join!(
                sign_out(&app, user, family, first),
                open_the_gate_once_both_wait
            );
        };
        let (name, _) = tokio::join!(signed_in_name(&mut phone), sign_out_while_the_refresh_waits);
        assert_eq!(name.as_deref(), Some("Ed"), "the refresh came first");
        assert_eq!(
            live_tokens(&app, user).await,
            0,
            "no token outlives the sign-out"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_refresh_first_then_everywhere() {
        within_time_limit(the_refresh_first(async |app, user, _, _| {
            db::sign_out_everywhere(app.db(), user, now_ms())
                .await
                .unwrap();
        }))
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_refresh_first_then_this_device() {
        within_time_limit(the_refresh_first(async |app, user, family, _| {
            db::revoke_family(app.db(), user, &family, now_ms())
                .await
                .unwrap();
        }))
        .await;
    }

    /// Someone replays the laptop's first token while the phone refreshes: the theft is
    /// detected and revokes the family, with the token the phone's refresh makes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_refresh_first_then_a_replayed_token() {
        within_time_limit(the_refresh_first(async |app, _, _, first| {
            let mut thief = app.client();
            thief.cookies.insert("emporium_refresh".into(), first);
            assert_eq!(signed_in_name(&mut thief).await, None);
        }))
        .await;
    }
}

async fn changing_the_password_signs_out_other_devices(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("di");
    let mut laptop = register(&app, "Di", &email).await;
    let mut phone = app.client();
    phone
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(signed_in_name(&mut phone).await.as_deref(), Some("Di"));

    let wrong = laptop
        .call(
            "change_password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "amber glacier waltz quietly"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    laptop
        .call_ok(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "amber glacier waltz quietly"),
            ],
        )
        .await;

    phone.cookies.remove("emporium_access");
    assert_eq!(
        signed_in_name(&mut phone).await,
        None,
        "other devices are signed out"
    );
    laptop.cookies.remove("emporium_access");
    assert_eq!(
        signed_in_name(&mut laptop).await.as_deref(),
        Some("Di"),
        "this device stays signed in"
    );

    let mut fresh = app.client();
    let old = fresh
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    let new = fresh
        .call(
            "login",
            &[
                ("email", &email),
                ("password", "amber glacier waltz quietly"),
            ],
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
}

/// Changing the password, turning on two-step sign-in and changing someone's role each sign
/// devices out; a change whose sign-out cannot be written is not made (the account's other
/// devices would otherwise stay signed in with the old password or role).
async fn changes_that_cannot_sign_devices_out_are_not_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut owner = admin(&app).await;
    let email = unique_email("di");
    let mut di = register(&app, "Di", &email).await;
    let id: i64 = app
        .scalar_for(
            "SELECT id FROM users WHERE email = $1",
            email.to_lowercase(),
        )
        .await;
    let setup = di.call_ok("start_two_factor", &[]).await;
    let setup: serde_json::Value = serde_json::from_str(&setup.body).unwrap();
    let code = totp_code(
        &setup["secret"].as_str().unwrap().replace(' ', ""),
        unix_secs(),
    );
    let state = [
        format!("SELECT updated_at FROM users WHERE id = {id}"),
        format!("SELECT COUNT(*) FROM users WHERE id = {id} AND totp_secret IS NOT NULL"),
        format!("SELECT COUNT(*) FROM users WHERE id = {id} AND role = 'customer'"),
    ];
    let state: Vec<&str> = state.iter().map(String::as_str).collect();
    let id = id.to_string();
    di.changes_fail_without(
        "refresh_tokens",
        &[
            (
                "change_password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", "amber glacier waltz quietly"),
                ],
            ),
            (
                "confirm_two_factor",
                &[("code", &code), ("password", PASSWORD)],
            ),
        ],
        &state,
        async |_| {
            let reply = owner
                .call("set_user_role", &[("id", &id), ("role", "catalog")])
                .await;
            assert_eq!(
                reply.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{}",
                reply.body
            );
        },
    )
    .await;
}

async fn repeated_failures_are_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("eve");
    register(&app, "Eve", &email).await;
    let mut attacker = app.client();
    for _ in 0..5 {
        let reply = attacker
            .call(
                "login",
                &[("email", &email), ("password", "wrong password")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(
            reply.body.contains("don't match an account"),
            "{}",
            reply.body
        );
    }
    let limited = attacker
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers[header::RETRY_AFTER], "60");
    assert!(
        !attacker.cookies.contains_key("emporium_access"),
        "no session while limited"
    );

    // The account itself is limited from everywhere for the window, other accounts are not.
    let mut elsewhere = app.client();
    let reply = elsewhere
        .call("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let other = unique_email("other");
    register(&app, "Other", &other).await;
    let reply = elsewhere
        .call("login", &[("email", &other), ("password", PASSWORD)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    // Unknown emails and wrong passwords give the same message.
    let reply = app
        .client()
        .call(
            "login",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("don't match an account"));
}

async fn admin_functions_need_the_admin_role(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.client().call("admin_overview", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut customer = register(&app, "Fay", &unique_email("fay")).await;
    assert_eq!(
        customer.call("admin_overview", &[]).await.status,
        StatusCode::FORBIDDEN
    );

    let (mut admin, _) = admin_without_two_factor(&app).await;
    // Staff need two-step sign-in before the admin opens (see two_factor.rs).
    assert_eq!(
        admin.call("admin_overview", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    enrol_two_factor(&mut admin).await;
    let reply = admin.call_ok("admin_overview", &[]).await;
    assert!(reply.body.contains(r#""customers":1"#), "{}", reply.body);

    // `create-admin` on an existing account ends the sessions it had as a customer.
    let fay = customer.call("current_user", &[]).await;
    let fay: serde_json::Value = serde_json::from_str(&fay.body).unwrap();
    let fay = Email::parse(fay["email"].as_str().unwrap()).unwrap();
    let hash = app.state().passwords.hash(PASSWORD.into()).await.unwrap();
    db::upsert_admin(app.db(), &fay, &hash, now_ms())
        .await
        .unwrap();
    customer.cookies.remove("emporium_access");
    assert_eq!(signed_in_name(&mut customer).await, None);
}

async fn hostile_input_is_rejected_without_writing(backend: Backend) {
    let app = spawn_app(backend).await;
    register(&app, "Gus", &unique_email("gus")).await;
    let before = count_users(&app).await;
    // A taken address is no longer refused here: sign-up answers the same for it (see
    // verification.rs).
    let cases: [(&str, &str, &str, StatusCode, &str); 6] = [
        (
            "Hal",
            "",
            PASSWORD,
            StatusCode::BAD_REQUEST,
            "Enter your email",
        ),
        (
            "Hal",
            "not-an-email",
            PASSWORD,
            StatusCode::BAD_REQUEST,
            "valid email",
        ),
        (
            "",
            "hal@example.com",
            PASSWORD,
            StatusCode::BAD_REQUEST,
            "Enter your name",
        ),
        (
            "Hal",
            "hal@example.com",
            "short",
            StatusCode::BAD_REQUEST,
            "at least 8",
        ),
        (
            "Hal",
            "hal@example.com",
            "password123",
            StatusCode::BAD_REQUEST,
            "too easy to guess",
        ),
        (
            "Hal",
            "hal@example.com",
            &"x".repeat(129),
            StatusCode::BAD_REQUEST,
            "at most 128",
        ),
    ];
    for (name, email, password, status, message) in cases {
        let mut client = app.client();
        let reply = client
            .call(
                "register",
                &[("name", name), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(reply.status, status, "{email:?}: {}", reply.body);
        assert!(reply.body.contains(message), "{email:?}: {}", reply.body);
        assert!(signed_out(&client));
    }
    let missing = app.client().call("register", &[("name", "Hal")]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);

    let body = format!(
        "name=Hal&email=hal%40example.com&password={}",
        "a".repeat(10 * 1024 * 1024)
    );
    let huge = Request::post("/api/register")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    assert_eq!(
        app.client().send(huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let cross_site = Request::post("/api/register")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(
            "name=Hal&email=hal%40example.com&password=violet+tractor+sings+softly",
        ))
        .unwrap();
    assert_eq!(
        app.client().send(cross_site).await.status,
        StatusCode::FORBIDDEN
    );

    assert_eq!(count_users(&app).await, before, "no row was written");
}

async fn forged_tokens_are_treated_as_signed_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = register(&app, "Ida", &unique_email("ida")).await;
    let user_id: i64 = app.scalar("SELECT id FROM users").await;
    let genuine = client.cookies["emporium_access"].clone();
    let foreign = TokenKeys::new(b"someone-else's-secret-of-32-bytes!!").issue(
        user_id,
        emporium::platform::auth::Role::Owner,
        now_ms() / 1000,
    );
    let mut tampered: Vec<&str> = genuine.split('.').collect();
    let admin_claims =
        "eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTksImp0aSI6IngifQ";
    tampered[1] = admin_claims;
    let tampered = tampered.join(".");
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{admin_claims}.");
    for token in [
        "garbage",
        "a.b.c",
        foreign.as_str(),
        tampered.as_str(),
        none.as_str(),
        "%%%;;",
    ] {
        let mut visitor = app.client();
        visitor
            .cookies
            .insert("emporium_access".into(), token.into());
        assert_eq!(signed_in_name(&mut visitor).await, None, "{token}");
        let reply = visitor.call("admin_overview", &[]).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");

        let bearer = Request::post("/api/admin_overview")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.client().send(bearer).await.status,
            StatusCode::UNAUTHORIZED,
            "{token}"
        );
    }

    // A genuine token works as a bearer token too, for API clients.
    let bearer = Request::post("/api/current_user")
        .header(header::AUTHORIZATION, format!("Bearer {genuine}"))
        .body(Body::empty())
        .unwrap();
    let reply = app.client().send(bearer).await;
    assert!(reply.body.contains("Ida"), "{}", reply.body);
}

async fn pages_behind_sign_in_redirect_with_a_return_path(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut visitor = app.client();
    let reply = visitor.get("/account/security").await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.headers[header::LOCATION],
        "/login?next=/account/security"
    );

    let mut customer = register(&app, "Jo", &unique_email("jo")).await;
    let page = customer.get("/account/security").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Change password"));
    let admin = customer.get("/admin").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert!(admin.body.contains("Access denied"));

    // An expired access token on a page load is refreshed silently.
    customer.cookies.remove("emporium_access");
    let page = customer.get("/account/security").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(customer.cookies.contains_key("emporium_access"));
}

/// 20 simultaneous sign-ins must not slow the home page beyond four times its idle latency:
/// hashing runs on password threads of its own at a low priority. Measured on the 2-core build
/// machine, hashing on the async executor or on tokio's blocking pool gave 5–20 times idle; the
/// password threads give 1.2–2.8 times (on PostgreSQL the sign-ins' own writes share the cores).
async fn sign_ins_do_not_stall_page_rendering(backend: Backend) {
    let app = spawn_app(backend).await;
    // Twenty shoppers, not one signing in twenty times at once: an account's attempts are
    // counted before its password is checked, and one account gets five at a time.
    let mut emails = Vec::new();
    for n in 0..20 {
        let email = unique_email(&format!("kim{n}"));
        register(&app, "Kim", &email).await;
        emails.push(email);
    }

    async fn home_p95(app: &TestApp) -> Duration {
        let mut times = Vec::new();
        for _ in 0..60 {
            let started = Instant::now();
            assert_eq!(app.get("/").await.status(), StatusCode::OK);
            times.push(started.elapsed());
        }
        times.sort();
        times[56]
    }
    let sign_ins = || -> Vec<_> {
        emails
            .iter()
            .map(|email| {
                let (router, email) = (app.router.clone(), email.clone());
                tokio::spawn(async move {
                    crate::support::login_with(router, &email, PASSWORD).await;
                })
            })
            .collect()
    };
    // Warm up: the connection pool at the size a burst needs, and the page's statements
    // prepared on each of those connections.
    for login in sign_ins() {
        login.await.unwrap();
    }
    for _ in 0..3 {
        home_p95(&app).await;
    }
    // A 2-core machine is noisy at single milliseconds: up to five trials, each printed, and
    // the first one within budget passes. Each is held to the quietest idle figure seen so far.
    let mut trials = Vec::new();
    let mut idle = Duration::MAX;
    for _ in 0..5 {
        idle = idle.min(home_p95(&app).await);
        let logins = sign_ins();
        let loaded = home_p95(&app).await;
        for login in logins {
            login.await.unwrap();
        }
        println!("home page p95: idle {idle:?}, during 20 sign-ins {loaded:?}");
        trials.push((idle, loaded));
        if loaded <= idle * 4 {
            return;
        }
    }
    panic!("p95 during sign-ins exceeded four times idle in every trial: {trials:?}");
}

/// A plain form post (what a browser sends before the WASM has loaded): success redirects to
/// `next`, failure comes back to the form with the message on the page.
async fn sign_in_works_without_javascript(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("nojs");
    register(&app, "Noor", &email).await;

    let form_post = |password: &str| {
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::ORIGIN, "http://shop.test")
            .header(
                header::REFERER,
                "http://shop.test/login?next=/account/security",
            )
            .body(Body::from(format!(
                "email={}&password={}&next=%2Faccount%2Fsecurity",
                email.replace('@', "%40"),
                password.replace(' ', "+")
            )))
            .unwrap()
    };
    let mut browser = app.client();
    let failed = browser.send(form_post("wrong password here")).await;
    assert!(failed.status.is_redirection(), "{}", failed.status);
    let back = failed.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let path = back
        .strip_prefix("http://shop.test")
        .unwrap_or(&back)
        .to_owned();
    assert!(path.starts_with("/login?"), "{path}");
    let page = browser.get(&path).await;
    // The apostrophe may be escaped; the rest of the message is plain text.
    assert!(
        page.body.contains("That email and password don"),
        "the form shows the error"
    );
    assert!(!browser.cookies.contains_key("emporium_access"));

    let signed_in = browser.send(form_post(PASSWORD)).await;
    assert!(signed_in.status.is_redirection(), "{}", signed_in.status);
    assert_eq!(signed_in.headers[header::LOCATION], "/account/security");
    assert!(browser.cookies.contains_key("emporium_access"));
}

/// Name and email on `/account`: a new email needs the current password, bad input is refused
/// field by field, and notification preferences are kept.
async fn shoppers_change_their_details_and_preferences(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("dee");
    let mut dee = register(&app, "Dee", &email).await;
    let taken = unique_email("taken");
    register(&app, "Tak", &taken).await;

    let details = |name: &'static str, email: String, password: &'static str| {
        vec![
            ("name".to_owned(), name.to_owned()),
            ("email".to_owned(), email),
            ("current_password".to_owned(), password.to_owned()),
        ]
    };
    async fn send(client: &mut Client<'_>, form: Vec<(String, String)>) -> (StatusCode, String) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = client.call("update_details", &form).await;
        (reply.status, reply.body)
    }

    // The name alone needs no password.
    let (status, body) = send(&mut dee, details("Dee Dee", email.clone(), "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(signed_in_name(&mut dee).await.as_deref(), Some("Dee Dee"));

    let new_email = unique_email("dee.new");
    let refused = [
        (details("Dee", new_email.clone(), ""), "current_password"),
        (
            details("Dee", new_email.clone(), "not my password"),
            "current_password",
        ),
        (details("Dee", "no-at-sign".into(), PASSWORD), "email"),
        (details(" ", email.clone(), ""), "name"),
    ];
    for (form, field) in refused {
        let (status, body) = send(&mut dee, form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains(field), "{body}");
    }
    let stored: (String, String) = sqlx::query_as("SELECT name, email FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(stored, ("Dee Dee".to_owned(), email.clone()));

    // A new address changes once the link sent to it is opened (verification.rs tells more).
    let (status, body) = send(&mut dee, details("Dee", new_email.clone(), PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let [token] = emailed_tokens(&app, "verify_email", &new_email)
        .await
        .try_into()
        .unwrap();
    let reply = app
        .client()
        .call("verify_email", &[("token", &token)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut elsewhere = app.client();
    elsewhere
        .call_ok(
            "login",
            &[("email", new_email.as_str()), ("password", PASSWORD)],
        )
        .await;

    // Preferences: order updates by email and in the shop by default, news only when asked.
    async fn preferences(client: &mut Client<'_>) -> serde_json::Value {
        let reply = client.call_ok("notification_preferences", &[]).await;
        serde_json::from_str(&reply.body).unwrap()
    }
    let defaults = preferences(&mut dee).await;
    assert_eq!(
        defaults,
        serde_json::json!({ "orders_email": true, "orders_app": true, "news_email": false })
    );
    dee.call_ok("save_notification_preferences", &[("news_email", "on")])
        .await;
    assert_eq!(
        preferences(&mut dee).await,
        serde_json::json!({ "orders_email": false, "orders_app": false, "news_email": true })
    );
    let reply = app
        .client()
        .call("save_notification_preferences", &[])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// A refresh cookie nobody issued, on any request, is looked up without taking the database's
/// writer: it is answered (and cleared) while another transaction holds the write lock.
async fn a_made_up_refresh_cookie_never_waits_for_the_writer(backend: Backend) {
    let app = spawn_app(backend).await;
    let writing = app.db().begin_write().await.unwrap();
    let mut client = app.client();
    client
        .cookies
        .insert("emporium_refresh".into(), "ab".repeat(32));
    let reply = tokio::time::timeout(Duration::from_secs(3), client.call("current_user", &[]))
        .await
        .expect("answered without waiting for the writer");
    assert_eq!(reply.body, "null");
    assert!(
        !client.cookies.contains_key("emporium_refresh"),
        "the dead cookie is cleared"
    );
    writing.rollback().await.unwrap();
}

/// Without JavaScript a form's error comes back in the URL; a link with made-up error text shows
/// the generic message instead, while the shop's own messages still show.
async fn error_text_planted_in_the_url_is_not_shown(backend: Backend) {
    use base64::{Engine, engine::general_purpose::URL_SAFE};
    let app = spawn_app(backend).await;
    let mut browser = app.client();
    let planted = URL_SAFE.encode(r#"{"BadRequest":"Your account is locked: call +1 555 0100"}"#);
    let page = browser
        .get(&format!("/login?__path=/api/login&__err={planted}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("call +1 555 0100"), "{}", page.body);
    assert!(
        page.body.contains("Check the form and try again."),
        "{}",
        page.body
    );
    let own =
        URL_SAFE.encode(r#"{"BadRequest":"That email and password don't match an account."}"#);
    let page = browser
        .get(&format!("/login?__path=/api/login&__err={own}"))
        .await;
    assert!(
        page.body.contains("That email and password don"),
        "{}",
        page.body
    );
}

/// Signing out, signing out everywhere or signing in as someone else while the access cookie has
/// expired: the request's silent refresh must not put the old session back after the handler
/// ended or replaced it.
async fn a_handlers_session_decision_wins_over_a_silent_refresh(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("hal");
    register(&app, "Hal", &email).await;
    for function in ["logout", "sign_out_everywhere"] {
        let mut client = app.client();
        client
            .call("login", &[("email", &email), ("password", PASSWORD)])
            .await;
        client.cookies.remove("emporium_access");
        let reply = client.call(function, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{function}: {}", reply.body);
        assert!(signed_out(&client), "{function}: {:?}", client.cookies);
        assert_eq!(signed_in_name(&mut client).await, None, "{function}");
    }
    let mut shared = register(&app, "Ida", &unique_email("ida")).await;
    shared.cookies.remove("emporium_access");
    shared
        .call_ok("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    shared.cookies.remove("emporium_access");
    assert_eq!(signed_in_name(&mut shared).await.as_deref(), Some("Hal"));
}

/// Sixty wrong passwords for one account sent at once, each from an address of its own: the
/// attempt is counted before the password is checked, so five are checked and the rest refused.
async fn sixty_wrong_passwords_at_once_get_five_checks(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("sam");
    register(&app, "Sam", &email).await;
    let body = format!(
        "email={}&password=not+the+password",
        email.replace('@', "%40")
    );
    let attempts: Vec<_> = (0..60)
        .map(|n| crate::checkout::post(&app, "/api/login", body.clone(), String::new(), n))
        .collect();
    let mut checked = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        match status {
            StatusCode::BAD_REQUEST => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(checked, 5);
}

/// Behind a proxy every request comes from the proxy's address. With the proxy trusted, the
/// client it names in X-Forwarded-For is counted, so one client's failures lock out nobody
/// else; a client that connects directly cannot dodge its count by writing the header itself.
async fn behind_a_trusted_proxy_each_client_is_counted_apart(backend: Backend) {
    // A wrong password for a different account each time: only the address limit can bite.
    let wrong_from = |forwarded: &str, n: u32| {
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(format!(
                "email=someone{n}%40example.com&password=wrong+password"
            )))
            .unwrap()
    };
    // Test clients connect from 10.x.x.x: that is the proxy here.
    let app = spawn_app_with(
        backend,
        &[("EMPORIUM_TRUSTED_PROXIES", "10.0.0.0/8".into())],
    )
    .await;
    let mut proxy = app.client();
    for n in 0..5 {
        let request = wrong_from("198.51.100.7", n);
        assert_eq!(proxy.send(request).await.status, StatusCode::BAD_REQUEST);
    }
    let request = wrong_from("198.51.100.7", 5);
    assert_eq!(
        proxy.send(request).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let request = wrong_from("203.0.113.20, 198.51.100.8", 6);
    assert_eq!(
        proxy.send(request).await.status,
        StatusCode::BAD_REQUEST,
        "another client behind the same proxy"
    );

    // Without trusted proxies the header means nothing.
    let app = spawn_app(backend).await;
    let mut direct = app.client();
    for n in 0..5 {
        let request = wrong_from(&format!("192.0.2.{n}"), n);
        assert_eq!(direct.send(request).await.status, StatusCode::BAD_REQUEST);
    }
    let request = wrong_from("192.0.2.99", 5);
    assert_eq!(
        direct.send(request).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn sign_ups_are_limited_per_network_address(backend: Backend) {
    let app = spawn_app_with(backend, &[("EMPORIUM_SIGN_UPS_PER_HOUR", "3".into())]).await;
    let mut bulk = app.client();
    let sign_up = async |client: &mut Client<'_>, tag: &str| {
        client
            .call(
                "register",
                &[
                    ("name", "Bulk"),
                    ("email", &unique_email(tag)),
                    ("password", PASSWORD),
                ],
            )
            .await
    };
    for n in 0..3 {
        let reply = sign_up(&mut bulk, &format!("bulk{n}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let before = count_users(&app).await;
    let refused = sign_up(&mut bulk, "bulk3").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.headers[header::RETRY_AFTER], "3600");
    assert_eq!(count_users(&app).await, before, "nothing was created");
    let reply = sign_up(&mut app.client(), "elsewhere").await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "another address is not limited"
    );
}
