//! Form pieces shared by every page: input styles, the error of a form's last submission, and
//! per-field messages.

use crate::error::AppError;
use leptos::{
    prelude::*,
    server_fn::{ServerFn, error::ServerFnUrlError},
};
use leptos_router::hooks::use_query_map;

pub const INPUT: &str = "w-full rounded-md border border-slate-300 px-3 py-2";
pub const LABEL: &str = "mb-1 block font-medium";
pub const BUTTON: &str =
    "w-full rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800";

/// The message of a failed action, announced to screen readers.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || error.get().map(|e| e.to_string());
    view! {
        <Show when=move || error.get().is_some()>
            <p role="alert" class="rounded-md bg-red-50 px-3 py-2 text-red-800">{message}</p>
        </Show>
    }
}

/// The message for one field of a form, linked to its input by `id` (`aria-describedby`).
#[component]
pub fn FieldMessage(
    error: Signal<Option<AppError>>,
    #[prop(into)] field: String,
    #[prop(into)] id: String,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field(&field));
    view! {
        <p id=id class="mt-1 text-sm text-red-700">{message}</p>
    }
}

/// The error of the last submission of `action`'s form. After hydration it comes from the
/// action; without JavaScript the server redirects back with the error in the URL (`__path`,
/// `__err`), and it is read from there, showing only known text (`AppError::into_url_safe`).
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    let value = action.value();
    Signal::derive(move || {
        if let Some(result) = value.get() {
            return result.err();
        }
        let query = query.read();
        (query.get("__path").as_deref() == Some(S::PATH))
            .then(|| query.get("__err"))
            .flatten()
            .map(|err| ServerFnUrlError::<AppError>::decode_err(&err).into_url_safe())
    })
}

/// How many submissions of `action` have succeeded. Data keyed on this reloads after a change
/// but not after a refused submission, which would re-render the form and wipe what was typed.
pub fn successes<S>(action: ServerAction<S>) -> ReadSignal<u32>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    let count = RwSignal::new(0_u32);
    // Effects run only in the browser, where actions are dispatched.
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            count.update(|n| *n += 1);
        }
    });
    count.read_only()
}
