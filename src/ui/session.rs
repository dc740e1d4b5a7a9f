//! Who is signed in, as pages see it: the session context (provided once by the accounts
//! domain) and the guards that show a page only to signed-in users or staff.

use crate::{
    error::AppError,
    platform::auth::SessionUser,
    ui::{ErrorPage, encode_query},
};
use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_location};

/// The signed-in user, and a signal that moves whenever someone signs in or out on this device
/// (for data that depends on who is signed in, such as the cart).
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    pub generation: Signal<usize>,
}

fn session() -> SessionContext {
    expect_context::<SessionContext>()
}

/// Shows `children` to signed-in users; sends everyone else to sign in and back.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let user = session().user;
    let children = StoredValue::new(children);
    let page = StoredValue::new(here());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => children.read_value()().into_any(),
                    _ => view! { <SignInFirst page=page.get_value()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Shows `children` to staff with two-step sign-in and the 403 page to customers; sends
/// visitors to sign in and back, and staff without it to set it up and back. What each role may
/// see there is up to the server functions behind the page.
#[component]
pub fn RequireStaff(children: ChildrenFn) -> impl IntoView {
    let user = session().user;
    let children = StoredValue::new(children);
    let page = StoredValue::new(here());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    match user.await {
                        // Staff need two-step sign-in first: the security page sets it up and comes back.
                        Ok(Some(user)) if user.role.is_staff() && !user.two_factor => Ok(view! {
                            <Redirect path=format!("/account/security?next={}", encode_query(&page.get_value()))/>
                        }.into_any()),
                        Ok(Some(user)) if user.role.is_staff() => Ok(children.read_value()().into_any()),
                        Ok(Some(_)) => Err(AppError::Forbidden),
                        _ => Ok(view! { <SignInFirst page=page.get_value()/> }.into_any()),
                    }
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

/// The path and query of this page, to come back to.
fn here() -> String {
    let location = use_location();
    format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    )
}

/// Goes to the sign-in page, which comes back to `page` afterwards; nowhere if the shopper has
/// already left it (signing out on a protected page moves on to the home page, and the page
/// sees the signed-out session while the next one loads).
#[component]
fn SignInFirst(page: String) -> impl IntoView {
    let path = page.split('?').next().unwrap_or_default();
    let still_here = use_location().pathname.get_untracked() == path;
    still_here.then(|| view! { <Redirect path=format!("/login?next={}", encode_query(&page))/> })
}
