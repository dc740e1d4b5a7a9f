//! Account management on both databases: admins find accounts and change roles; a changed
//! role applies from the account's next sign-in; nobody else can do any of it.

use crate::{
    on_both_backends,
    support::{Backend, PASSWORD, admin, enrol_two_factor, register, spawn_app, unique_email},
};
use axum::http::StatusCode;
use emporium::customers::api::AccountPage;

on_both_backends!(
    admins_find_accounts_and_change_roles,
    roles_are_changed_by_other_admins_only,
    two_owners_demoting_each_other_at_once_leave_one_owner,
);

async fn admins_find_accounts_and_change_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("promoted");
    let mut shopper = register(&app, "Pat Promoted", &email).await;
    let mut admin = admin(&app).await;

    let reply = admin.call_ok("admin_users", &[("q", "PAT PROM")]).await;
    let found: AccountPage = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(found.accounts.total, 1);
    let id = found.accounts.rows[0].id.to_string();
    assert_eq!(found.accounts.rows[0].email, email);

    assert_eq!(
        shopper.call("admin_overview", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    admin
        .call_ok("set_user_role", &[("id", &id), ("role", "owner")])
        .await;
    // Signed out everywhere: the old refresh token no longer works...
    shopper.cookies.remove("emporium_access");
    assert_eq!(
        shopper.call("admin_overview", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    // ...and signing in again brings the new role.
    let mut again = app.client();
    again
        .call_ok(
            "login",
            &[("email", email.as_str()), ("password", PASSWORD)],
        )
        .await;
    // Staff need two-step sign-in before the admin opens (see two_factor.rs).
    assert_eq!(
        again.call("admin_overview", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    enrol_two_factor(&mut again).await;
    assert_eq!(
        again.call("admin_overview", &[]).await.status,
        StatusCode::OK
    );

    admin
        .call_ok("set_user_role", &[("id", &id), ("role", "customer")])
        .await;
    // The demoted owner's access token still says "owner" for up to 15 minutes; a staff role
    // is read again on every request, so it opens nothing more.
    assert_eq!(
        again.call("admin_overview", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let role: String = app
        .scalar_for(
            "SELECT role FROM users WHERE lower(email) = lower($1)",
            &email,
        )
        .await;
    assert_eq!(role, "customer");
}

async fn roles_are_changed_by_other_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut shopper = register(&app, "Sly", &unique_email("sly")).await;
    let mut admin = admin(&app).await;
    let me: AccountPage = serde_json::from_str(&admin.call("admin_users", &[]).await.body).unwrap();
    let own = me.me.to_string();
    let other = me
        .accounts
        .rows
        .iter()
        .find(|a| a.id != me.me)
        .unwrap()
        .id
        .to_string();

    let reply = shopper
        .call("set_user_role", &[("id", &other), ("role", "owner")])
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        shopper.call("admin_users", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let reply = admin
        .call("set_user_role", &[("id", &own), ("role", "customer")])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("your own role"), "{}", reply.body);
    for (id, role, status) in [
        ("999999", "owner", StatusCode::NOT_FOUND),
        ("x", "owner", StatusCode::NOT_FOUND),
        (other.as_str(), "admin", StatusCode::BAD_REQUEST),
    ] {
        let reply = admin
            .call("set_user_role", &[("id", id), ("role", role)])
            .await;
        assert_eq!(reply.status, status, "{id} {role}");
    }
    let admins: i64 = app
        .scalar("SELECT COUNT(*) FROM users WHERE role = 'owner'")
        .await;
    assert_eq!(admins, 1);
}

/// Two owners who take each other's ownership away at the same moment: one wins, the other is
/// refused, because the one refused is no longer an owner when its change is made; the shop
/// is never left without one.
async fn two_owners_demoting_each_other_at_once_leave_one_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        let (mut first, mut second) = (admin(&app).await, admin(&app).await);
        let id = |client_me: &str| -> String {
            let page: AccountPage = serde_json::from_str(client_me).unwrap();
            page.me.to_string()
        };
        let first_id = id(&first.call("admin_users", &[]).await.body);
        let second_id = id(&second.call("admin_users", &[]).await.body);
        let demote_second = [("id", second_id.as_str()), ("role", "customer")];
        let demote_first = [("id", first_id.as_str()), ("role", "customer")];
        let (a, b) = tokio::join!(
            first.call("set_user_role", &demote_second),
            second.call("set_user_role", &demote_first),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::FORBIDDEN],
            "{} {}",
            a.body,
            b.body
        );
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'owner' AND id IN ($1, $2)",
        )
        .bind(first_id.parse::<i64>().unwrap())
        .bind(second_id.parse::<i64>().unwrap())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(left, 1);
    }
}
