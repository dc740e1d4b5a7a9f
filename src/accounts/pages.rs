//! Account pages, the header's account menu, and the actions that change who is signed in.

use super::api::{
    ChangePassword, ConfirmTwoFactor, DeleteAccount, ForgotPassword, Login, Logout,
    NewRecoveryCodes, Register, ResendVerification, ResetPassword, SignInCode, SignOutEverywhere,
    StartTwoFactor, TurnOffTwoFactor, UpdateDetails, VerifyEmail, check_reset_link,
    check_verify_link, get_current_user, get_two_factor,
};
use crate::{
    error::AppError,
    notifications::pages::{NotificationsContext, NotificationsLink, PreferencesForm},
    ui::{
        PageTitle, count_of, encode_query,
        forms::{BUTTON, FieldMessage, FormError, INPUT, LABEL, error_of, successes},
        safe_next,
        session::{RequireUser, SessionContext},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The actions that change who is signed in, and the details form. Provided once by `App`.
#[derive(Clone, Copy)]
pub struct AccountActions {
    pub login: ServerAction<Login>,
    pub sign_in_code: ServerAction<SignInCode>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    pub sign_out_everywhere: ServerAction<SignOutEverywhere>,
    pub update_details: ServerAction<UpdateDetails>,
    pub reset_password: ServerAction<ResetPassword>,
    pub verify_email: ServerAction<VerifyEmail>,
    pub delete_account: ServerAction<DeleteAccount>,
    pub confirm_two_factor: ServerAction<ConfirmTwoFactor>,
    pub turn_off_two_factor: ServerAction<TurnOffTwoFactor>,
}

/// Provides the account actions and the session context the rest of the app reads: the user
/// is fetched again whenever an action changes who it is.
pub fn provide_session() {
    let actions = AccountActions {
        login: ServerAction::new(),
        sign_in_code: ServerAction::new(),
        register: ServerAction::new(),
        logout: ServerAction::new(),
        sign_out_everywhere: ServerAction::new(),
        update_details: ServerAction::new(),
        reset_password: ServerAction::new(),
        verify_email: ServerAction::new(),
        delete_account: ServerAction::new(),
        confirm_two_factor: ServerAction::new(),
        turn_off_two_factor: ServerAction::new(),
    };
    let generation = Signal::derive(move || {
        actions.login.version().get()
            + actions.sign_in_code.version().get()
            + actions.register.version().get()
            + actions.logout.version().get()
            + actions.sign_out_everywhere.version().get()
            + actions.reset_password.version().get()
            + actions.verify_email.version().get()
            + actions.delete_account.version().get()
            + actions.confirm_two_factor.version().get()
            + actions.turn_off_two_factor.version().get()
    });
    let details_saved = successes(actions.update_details);
    let user = Resource::new(
        move || (generation.get(), details_saved.get()),
        |_| get_current_user(),
    );
    provide_context(actions);
    provide_context(SessionContext { user, generation });
}

fn actions() -> AccountActions {
    expect_context::<AccountActions>()
}

/// The account part of the header: the user's name and "Sign out", or "Sign in".
#[component]
pub fn UserMenu() -> impl IntoView {
    let SessionContext { user, .. } = expect_context();
    let logout = actions().logout;
    let NotificationsContext { unread, .. } = expect_context();
    view! {
        <Transition fallback=|| view! { <a href="/login" class="font-medium hover:text-brand-700">"Sign in"</a> }>
            {move || Suspend::new(async move {
                let (user, unread) = (user.await, unread.await.unwrap_or(0));
                match user {
                    Ok(Some(user)) => view! {
                        <a href="/account/orders" class="font-medium hover:text-brand-700">"Orders"</a>
                        <a href="/wishlist" class="font-medium hover:text-brand-700">"Wishlist"</a>
                        <NotificationsLink unread/>
                        <a href="/account" class="font-medium hover:text-brand-700" data-testid="user-name">{user.name}</a>
                        <ActionForm action=logout attr:class="inline">
                            <button type="submit" class="font-medium hover:text-brand-700">"Sign out"</button>
                        </ActionForm>
                    }.into_any(),
                    _ => view! { <a href="/login" class="font-medium hover:text-brand-700">"Sign in"</a> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The `next` query parameter, passed on through the form.
fn next_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = actions().login;
    let next = next_param();
    let error = error_of(login);
    // Paused after too many failures (perhaps someone else's): the owner still gets in by email.
    let paused = move || matches!(error.get(), Some(AppError::TooManyAttempts { .. }));
    view! {
        <PageTitle text="Sign in — Emporium"/>
        <section class="mx-auto max-w-sm">
            <h1 class="mb-6 text-2xl font-bold">"Sign in"</h1>
            <ActionForm action=login attr:class="space-y-4">
                <input type="hidden" name="next" prop:value=next/>
                <div>
                    <label for="login-email" class=LABEL>"Email"</label>
                    <input id="login-email" name="email" type="email" autocomplete="email" required class=INPUT/>
                </div>
                <div>
                    <label for="login-password" class=LABEL>"Password"</label>
                    <input id="login-password" name="password" type="password" autocomplete="current-password" required class=INPUT/>
                </div>
                <FormError error/>
                <Show when=paused>
                    <p class="text-slate-700">
                        "Signing in with a password is paused for a minute. If this is your account, "
                        <a href="/forgot-password" class="font-medium text-brand-700 underline">"get a link by email"</a>
                        " to set a new password and sign in now."
                    </p>
                </Show>
                <button type="submit" class=BUTTON>"Sign in"</button>
            </ActionForm>
            <p class="mt-4">
                <a href="/forgot-password" class="font-medium text-brand-700 underline">"Forgot your password?"</a>
            </p>
            <p class="mt-6 text-slate-700">
                "New to Emporium? "
                <a href=move || format!("/register?next={}", encode_query(&next.get())) class="font-medium text-brand-700 underline">"Create an account"</a>
            </p>
        </section>
    }
}

/// `/login/code`: the second step of signing in with two-step sign-in.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = actions().sign_in_code;
    let next = next_param();
    view! {
        <PageTitle text="Enter your code — Emporium"/>
        <section class="mx-auto max-w-sm space-y-4">
            <h1 class="text-2xl font-bold">"Two-step sign-in"</h1>
            <p class="text-slate-700">
                "Enter the 6-digit code your authenticator app shows. Without your phone, enter one of your recovery codes."
            </p>
            <ActionForm action attr:class="space-y-4">
                <input type="hidden" name="next" prop:value=next/>
                <div>
                    <label for="sign-in-code" class=LABEL>"Code"</label>
                    <input id="sign-in-code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required maxlength="24" class=INPUT/>
                </div>
                <FormError error=error_of(action)/>
                <button type="submit" class=BUTTON>"Sign in"</button>
            </ActionForm>
            <p><a href="/login" class="font-medium text-brand-700 underline">"Start again"</a></p>
        </section>
    }
}

/// `/register`.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = actions().register;
    let next = next_param();
    view! {
        <PageTitle text="Create an account — Emporium"/>
        <section class="mx-auto max-w-sm">
            <h1 class="mb-6 text-2xl font-bold">"Create an account"</h1>
            <ActionForm action=register attr:class="space-y-4">
                <div>
                    <label for="register-name" class=LABEL>"Name"</label>
                    <input id="register-name" name="name" type="text" autocomplete="name" required maxlength="100" class=INPUT/>
                </div>
                <div>
                    <label for="register-email" class=LABEL>"Email"</label>
                    <input id="register-email" name="email" type="email" autocomplete="email" required class=INPUT/>
                </div>
                <div>
                    <label for="register-password" class=LABEL>"Password"</label>
                    <input id="register-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" aria-describedby="password-hint" class=INPUT/>
                    <p id="password-hint" class="mt-1 text-sm text-slate-600">"8 to 128 characters. A few unrelated words make a strong password."</p>
                </div>
                <FormError error=error_of(register)/>
                <button type="submit" class=BUTTON>"Create account"</button>
            </ActionForm>
            <p class="mt-6 text-slate-700">
                "Already have an account? "
                <a href=move || format!("/login?next={}", encode_query(&next.get())) class="font-medium text-brand-700 underline">"Sign in"</a>
            </p>
        </section>
    }
}

/// `/forgot-password`: asks for a reset link by email. The answer never says whether the
/// address has an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    let sent = move || matches!(forgot.value().get(), Some(Ok(())));
    view! {
        <PageTitle text="Forgot your password? — Emporium"/>
        <section class="mx-auto max-w-sm space-y-4">
            <h1 class="text-2xl font-bold">"Forgot your password?"</h1>
            <p class="text-slate-700">"Enter the email of your account and we will send you a link to set a new password."</p>
            <ActionForm action=forgot attr:class="space-y-4">
                <div>
                    <label for="forgot-email" class=LABEL>"Email"</label>
                    <input id="forgot-email" name="email" type="email" autocomplete="email" required class=INPUT/>
                </div>
                <FormError error=error_of(forgot)/>
                <button type="submit" class=BUTTON>"Send link"</button>
            </ActionForm>
            <Show when=sent>
                <p role="status" class="rounded-md bg-green-50 px-3 py-2 text-green-800">
                    "If an account exists for that email, we sent it a link to set a new password. The link works for 30 minutes."
                </p>
            </Show>
        </section>
    }
}

/// `/reset-password?token=…`: sets a new password with the emailed link; a used, expired or
/// made-up link gets a page that says so.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = actions().reset_password;
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let works = Resource::new(token, check_reset_link);
    view! {
        <PageTitle text="Set a new password — Emporium"/>
        <section class="mx-auto max-w-sm space-y-4">
            <h1 class="text-2xl font-bold">"Set a new password"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    if works.await.unwrap_or(false) {
                        view! {
                            <ActionForm action=reset attr:class="space-y-4">
                                <input type="hidden" name="token" prop:value=token/>
                                <div>
                                    <label for="reset-password" class=LABEL>"New password"</label>
                                    <input id="reset-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" aria-describedby="reset-hint" class=INPUT/>
                                    <p id="reset-hint" class="mt-1 text-sm text-slate-600">"8 to 128 characters. Every device signed in to your account will be signed out."</p>
                                </div>
                                <FormError error=error_of(reset)/>
                                <button type="submit" class=BUTTON>"Set new password"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! {
                            <p>"This link has expired or has been used already."</p>
                            <a href="/forgot-password" class="font-medium text-brand-700 underline">"Ask for a new link"</a>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/check-your-email`: where signing up ends, whether or not the address had an account.
#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <PageTitle text="Check your email — Emporium"/>
        <section class="mx-auto max-w-sm space-y-4">
            <h1 class="text-2xl font-bold">"Check your email"</h1>
            <p>"We sent you a link to confirm your address and sign in. It works for 24 hours."</p>
            <p class="text-slate-700">
                "Nothing arrived? Look in your spam folder, or "
                <a href="/login" class="font-medium text-brand-700 underline">"sign in"</a>
                " and ask for the link again."
            </p>
        </section>
    }
}

/// `/verify-email?token=…`: confirms the address the link was sent to (with a button, so a mail
/// scanner that opens the link confirms nothing) and signs in.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let verify = actions().verify_email;
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let works = Resource::new(token, check_verify_link);
    view! {
        <PageTitle text="Confirm your email — Emporium"/>
        <section class="mx-auto max-w-sm space-y-4">
            <h1 class="text-2xl font-bold">"Confirm your email"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    if works.await.unwrap_or(false) {
                        view! {
                            <ActionForm action=verify attr:class="space-y-4">
                                <input type="hidden" name="token" prop:value=token/>
                                <FormError error=error_of(verify)/>
                                <button type="submit" class=BUTTON>"Confirm my email address"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! {
                            <p>"This link has expired or has been used already."</p>
                            <p><a href="/account" class="font-medium text-brand-700 underline">"Sign in to get a new one"</a></p>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Asks a signed-in shopper whose address is not confirmed yet to confirm it, with "Resend email".
#[component]
pub fn VerifyBanner() -> impl IntoView {
    let SessionContext { user, .. } = expect_context();
    let resend = ServerAction::<ResendVerification>::new();
    let sent = move || matches!(resend.value().get(), Some(Ok(())));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                user.await.ok().flatten().filter(|user| !user.email_verified).map(|user| view! {
                    <div role="region" aria-label="Confirm your email" class="border-b border-amber-200 bg-amber-50">
                        <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-3 px-4 py-2 text-sm">
                            <p>{format!("Please confirm your email address: we sent a link to {}.", user.email)}</p>
                            <ActionForm action=resend>
                                <button type="submit" class="font-medium text-brand-700 underline">"Resend email"</button>
                            </ActionForm>
                            <Show when=sent>
                                <p role="status">"Sent. Check your inbox."</p>
                            </Show>
                            <FormError error=error_of(resend)/>
                        </div>
                    </div>
                })
            })}
        </Transition>
    }
}

/// `/account`: the shopper's details, notification preferences, and the other account pages.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <PageTitle text="Your account — Emporium"/>
        <RequireUser>
            <div class="mx-auto max-w-xl space-y-10">
                <h1 class="text-2xl font-bold">"Your account"</h1>
                <nav aria-label="Your account" class="flex flex-wrap gap-4">
                    <a href="/account/orders" class="underline">"Your orders"</a>
                    <a href="/account/addresses" class="underline">"Addresses"</a>
                    <a href="/account/notifications" class="underline">"Notifications"</a>
                    <a href="/account/security" class="underline">"Sign-in and security"</a>
                    <a href="/account/privacy" class="underline">"Your data"</a>
                </nav>
                <DetailsForm/>
                <PreferencesForm/>
            </div>
        </RequireUser>
    }
}

#[component]
fn DetailsForm() -> impl IntoView {
    let SessionContext { user, .. } = expect_context();
    let update_details = actions().update_details;
    let error = error_of(update_details);
    let saved = move || update_details.value().get().and_then(Result::ok);
    let field = move |id: &'static str,
                      name: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      value: String,
                      autocomplete: &'static str| {
        let hint = format!("{id}-error");
        view! {
            <div>
                <label for=id class=LABEL>{label}</label>
                <input id=id name=name type=kind value=value autocomplete=autocomplete class=INPUT aria-describedby=hint.clone()/>
                <FieldMessage error field=name id=hint/>
            </div>
        }
    };
    view! {
        <section aria-labelledby="details-heading" class="space-y-3">
            <h2 id="details-heading" class="text-xl font-semibold">"Your details"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|user| view! {
                        <ActionForm action=update_details attr:class="space-y-4">
                            {field("details-name", "name", "Name", "text", user.name, "name")}
                            {field("details-email", "email", "Email", "email", user.email, "email")}
                            {field("details-password", "current_password", "Current password (to change your email)", "password", String::new(), "current-password")}
                            <FormError error/>
                            <button type="submit" class=BUTTON>"Save details"</button>
                        </ActionForm>
                    })
                })}
            </Transition>
            {move || saved().map(|pending| view! {
                <p role="status" class="text-brand-700">
                    {match pending {
                        Some(address) => format!("Details saved. We sent a link to {address}: your email changes when you open it."),
                        None => "Details saved.".to_owned(),
                    }}
                </p>
            })}
        </section>
    }
}

/// `/account/privacy`: download everything the shop holds about you.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! {
        <PageTitle text="Your data — Emporium"/>
        <RequireUser>
            <section class="mx-auto max-w-xl space-y-4">
                <h1 class="text-2xl font-bold">"Your data"</h1>
                <p>
                    "Download everything Emporium holds about you in one JSON file: your profile and "
                    "preferences, addresses, orders, reviews, wishlist, notifications and what you "
                    "looked at and searched for."
                </p>
                <a href="/account/privacy/data.json" rel="external" download="emporium-data.json" class="inline-block rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">
                    "Download your data"
                </a>
                <DeleteAccountForm/>
            </section>
        </RequireUser>
    }
}

/// "Delete your account": the current password and "DELETE" typed to confirm.
#[component]
fn DeleteAccountForm() -> impl IntoView {
    let delete = actions().delete_account;
    let error = error_of(delete);
    view! {
        <section aria-labelledby="delete-heading" class="space-y-3 rounded-lg border border-red-200 bg-white p-4">
            <h2 id="delete-heading" class="text-xl font-semibold">"Delete your account"</h2>
            <p class="text-slate-700">
                "Your profile, addresses, cart, wishlist and notifications are erased and you are signed out for good. "
                "Orders stay in the shop's books without your name, and your reviews show as a former customer's."
            </p>
            <ActionForm action=delete attr:class="space-y-3">
                <div>
                    <label for="delete-password" class=LABEL>"Current password"</label>
                    <input id="delete-password" name="password" type="password" autocomplete="current-password" required class=INPUT aria-describedby="delete-password-error"/>
                    <FieldMessage error field="password" id="delete-password-error"/>
                </div>
                <div>
                    <label for="delete-confirm" class=LABEL>"Type DELETE to confirm"</label>
                    <input id="delete-confirm" name="confirm" type="text" autocomplete="off" required class=INPUT aria-describedby="delete-confirm-error"/>
                    <FieldMessage error field="confirm" id="delete-confirm-error"/>
                </div>
                <FormError error/>
                <button type="submit" class="w-full rounded-md bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800">"Delete my account"</button>
            </ActionForm>
        </section>
    }
}

/// `/account/security`: change password, sign out everywhere.
#[component]
pub fn SecurityPage() -> impl IntoView {
    view! {
        <PageTitle text="Sign-in and security — Emporium"/>
        <RequireUser>
            <SecurityForms/>
        </RequireUser>
    }
}

#[component]
fn SecurityForms() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = actions().sign_out_everywhere;
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="mx-auto max-w-sm space-y-10">
            <h1 class="text-2xl font-bold">"Sign-in and security"</h1>
            <div>
                <h2 class="mb-4 text-xl font-semibold">"Change password"</h2>
                <ActionForm action=change attr:class="space-y-4">
                    <div>
                        <label for="current-password" class=LABEL>"Current password"</label>
                        <input id="current-password" name="current_password" type="password" autocomplete="current-password" required class=INPUT/>
                    </div>
                    <div>
                        <label for="new-password" class=LABEL>"New password"</label>
                        <input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" class=INPUT/>
                    </div>
                    <FormError error=error_of(change)/>
                    <Show when=changed>
                        <p role="status" class="rounded-md bg-green-50 px-3 py-2 text-green-800">
                            "Password changed. Your other devices have been signed out."
                        </p>
                    </Show>
                    <button type="submit" class=BUTTON>"Change password"</button>
                </ActionForm>
            </div>
            <TwoFactorSection/>
            <div>
                <h2 class="mb-2 text-xl font-semibold">"Devices"</h2>
                <p class="mb-4 text-slate-700">"Sign out on every device where you are signed in, including this one."</p>
                <ActionForm action=everywhere>
                    <button type="submit" class="w-full rounded-md border border-slate-300 px-4 py-2 font-medium hover:border-red-600 hover:text-red-700">
                        "Sign out everywhere"
                    </button>
                </ActionForm>
            </div>
        </section>
    }
}

/// Two-step sign-in on the security page: set it up (QR code or key, then a code and the
/// password), see the recovery codes once, make new ones, or turn it off.
#[component]
fn TwoFactorSection() -> impl IntoView {
    let AccountActions {
        confirm_two_factor: confirm,
        turn_off_two_factor: turn_off,
        ..
    } = actions();
    let start = ServerAction::<StartTwoFactor>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                turn_off.version().get(),
                renew.version().get(),
            )
        },
        |_| get_two_factor(),
    );
    let next = next_param();
    let codes = move || {
        let newest = |action: Option<Result<Vec<String>, AppError>>| action.and_then(Result::ok);
        newest(renew.value().get()).or_else(|| newest(confirm.value().get()))
    };
    let setup = move || start.value().get().and_then(Result::ok);
    view! {
        <section aria-labelledby="two-factor-heading" class="space-y-4">
            <h2 id="two-factor-heading" class="text-xl font-semibold">"Two-step sign-in"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let status = status.await.ok()?;
                    Some(if status.enabled {
                        view! {
                            <p>"On: signing in asks for a code from your authenticator app."</p>
                            <p>{format!("{} left.", count_of(status.recovery_codes_left, "recovery code", "recovery codes"))}</p>
                            <ActionForm action=renew attr:class="space-y-3">
                                <div>
                                    <label for="renew-password" class=LABEL>"Password for new recovery codes"</label>
                                    <input id="renew-password" name="password" type="password" autocomplete="current-password" required class=INPUT/>
                                </div>
                                <FormError error=error_of(renew)/>
                                <button type="submit" class=BUTTON>"Make new recovery codes"</button>
                            </ActionForm>
                            {if status.required {
                                view! { <p class="text-slate-700">"Staff accounts keep two-step sign-in on."</p> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=turn_off attr:class="space-y-3">
                                        <div>
                                            <label for="turn-off-password" class=LABEL>"Password to turn it off"</label>
                                            <input id="turn-off-password" name="password" type="password" autocomplete="current-password" required class=INPUT/>
                                        </div>
                                        <FormError error=error_of(turn_off)/>
                                        <button type="submit" class="w-full rounded-md border border-slate-300 px-4 py-2 font-medium hover:border-red-600 hover:text-red-700">
                                            "Turn off two-step sign-in"
                                        </button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        }.into_any()
                    } else {
                        view! {
                            <Show when=move || status.required>
                                <p role="alert" class="rounded-md bg-amber-50 px-3 py-2 text-amber-900">
                                    "Staff accounts need two-step sign-in before the admin opens. Set it up here."
                                </p>
                            </Show>
                            <p class="text-slate-700">
                                "Signing in will ask for your password and a code from an authenticator app on your phone, so a stolen password alone gets nobody in."
                            </p>
                            {move || match setup() {
                                None => view! {
                                    <ActionForm action=start>
                                        <FormError error=error_of(start)/>
                                        <button type="submit" class=BUTTON>"Set up two-step sign-in"</button>
                                    </ActionForm>
                                }.into_any(),
                                Some(setup) => view! {
                                    <p>"Scan this QR code with your authenticator app:"</p>
                                    <div role="img" aria-label="QR code for your authenticator app" class="w-48" inner_html=setup.qr_svg></div>
                                    <p>"Or type this key into the app: " <code data-testid="totp-key" class="font-mono">{setup.secret}</code></p>
                                    <ActionForm action=confirm attr:class="space-y-3">
                                        <div>
                                            <label for="totp-code" class=LABEL>"Code from the app"</label>
                                            <input id="totp-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="8" class=INPUT aria-describedby="totp-code-error"/>
                                            <FieldMessage error=error_of(confirm) field="code" id="totp-code-error"/>
                                        </div>
                                        <div>
                                            <label for="totp-password" class=LABEL>"Your password"</label>
                                            <input id="totp-password" name="password" type="password" autocomplete="current-password" required class=INPUT aria-describedby="totp-password-error"/>
                                            <FieldMessage error=error_of(confirm) field="password" id="totp-password-error"/>
                                        </div>
                                        <FormError error=error_of(confirm)/>
                                        <button type="submit" class=BUTTON>"Turn on two-step sign-in"</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                        }.into_any()
                    })
                })}
            </Transition>
            {move || codes().map(|codes| view! {
                <div role="status" class="space-y-2 rounded-md bg-green-50 px-3 py-2 text-green-900">
                    <h3 class="font-semibold">"Your recovery codes"</h3>
                    <p>"Keep them somewhere safe, away from your phone. Each signs you in once without the app; they are shown only now."</p>
                    <ul aria-label="Recovery codes" class="grid grid-cols-2 gap-1 font-mono">
                        {codes.into_iter().map(|code| view! { <li>{code}</li> }).collect_view()}
                    </ul>
                    {move || {
                        let next = safe_next(Some(&next.get()));
                        (next != "/").then(|| view! { <a href=next class="font-medium text-brand-700 underline">"Continue"</a> })
                    }}
                </div>
            })}
        </section>
    }
}
