//! The one application error type. Every server function returns `Result<T, AppError>`; each
//! variant carries its HTTP status and a message that is safe to show to a shopper.

use http::StatusCode;
use leptos::server_fn::{
    Bytes, Encodes,
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// An error a shopper may see. Internal details never travel in it: they are logged on the
/// server with the request ID, and only the ID reaches the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong; the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// Some fields of a form are wrong; each message says what to fix in its field.
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    /// The payment gateway refused the charge; the message says why and what to do.
    #[error("{0}")]
    PaymentDeclined(String),
    /// The caller must sign in first.
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Signed in, but not allowed to do this.
    #[error("You don't have permission to do that.")]
    Forbidden,
    /// The page or record does not exist (or is not the caller's to see).
    #[error("We couldn't find that page.")]
    NotFound,
    /// The request clashes with what exists (e.g. an email already registered).
    #[error("{0}")]
    Conflict(String),
    /// Too many failed attempts; try again after the given number of seconds.
    #[error("Too many attempts. Please wait a minute and try again.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A service the shop depends on (the payment gateway) did not answer; nothing changed.
    #[error("{0}")]
    Unavailable(String),
    /// The browser could not reach the shop.
    #[error("We couldn't reach the shop. Check your connection and try again.")]
    Network,
    /// Something failed on our side; `request_id` lets support find the log entry.
    #[error("Something went wrong on our side. Reference: {request_id}")]
    Internal { request_id: String },
}

/// What is wrong with one form field, named as in the form (`title`, `variants[0][sku]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The id of a record named in a form: None when the field is absent or empty (a new record),
/// and not found when it is not a number.
pub fn optional_id(text: Option<&str>) -> Result<Option<i64>, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| AppError::NotFound),
    }
}

/// The one answer to an unknown email or a wrong password.
pub const BAD_CREDENTIALS: &str = "That email and password don't match an account.";

/// Messages a form may show from its address. Without JavaScript a form's error comes back in
/// the URL (`__err`), where anyone can write anything to show on our page: only these texts are
/// shown from there, any other becomes its kind's generic message.
/// A sign-in's second step got a code that is wrong or used already.
pub const WRONG_CODE: &str =
    "That code is not right. Enter the 6-digit code your app shows now, or a recovery code.";
/// A sign-in's second step came after its five minutes, or without its first step.
pub const SIGN_IN_TIMED_OUT: &str = "Your sign-in timed out. Sign in again.";

/// The database cannot be reached for now.
pub const SHOP_UNAVAILABLE: &str =
    "The shop is not available for a moment; nothing changed. Please try again shortly.";

const URL_MESSAGES: &[&str] = &[
    BAD_CREDENTIALS,
    SHOP_UNAVAILABLE,
    WRONG_CODE,
    SIGN_IN_TIMED_OUT,
    "The request was incomplete or malformed.",
];

impl AppError {
    /// This error as a page may show it when it came from the URL: free text only when it is
    /// one of `URL_MESSAGES`, and a request ID only when it looks like one.
    pub fn into_url_safe(self) -> Self {
        let known = |text: String, generic: &str| {
            if URL_MESSAGES.contains(&text.as_str()) {
                text
            } else {
                generic.to_owned()
            }
        };
        match self {
            Self::BadRequest(text) => Self::BadRequest(known(
                text,
                "That didn't work. Check the form and try again.",
            )),
            Self::Invalid(errors) => Self::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        message: known(e.message, "Check this field."),
                        field: e.field,
                    })
                    .collect(),
            ),
            Self::PaymentDeclined(text) => Self::PaymentDeclined(known(
                text,
                "The payment was declined. Check the card details or use another card.",
            )),
            Self::Conflict(text) => Self::Conflict(known(
                text,
                "That clashes with a change made meanwhile. Reload the page and try again.",
            )),
            Self::Unavailable(text) => Self::Unavailable(known(
                text,
                "A service the shop depends on did not answer; nothing changed. Try again.",
            )),
            Self::Internal { request_id } => Self::Internal {
                request_id: if request_id.len() <= 64
                    && request_id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    request_id
                } else {
                    "unknown".into()
                },
            },
            safe => safe,
        }
    }

    /// The message for `field`, when this error names it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// The HTTP status that goes with this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PaymentDeclined(_) => StatusCode::PAYMENT_REQUIRED,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Network | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => malformed(),
            // On the server this is a request body that could not be decoded (not UTF-8, say):
            // the client's fault. In the browser it is a reply that could not be read.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => malformed(),
            ServerFnErrorErr::Request(_) => Self::Network,
            other => internal(&other),
        }
    }

    /// Every error a server function returns over HTTP is encoded here, inside its request:
    /// the one place where the response gets the error's status.
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        set_response_status(self);
        // Plain strings and numbers always encode as JSON; were that ever to fail, the empty
        // reply reads in the browser as an internal error.
        <Self::Encoder as Encodes<Self>>::encode(self).unwrap_or_default()
    }
}

fn malformed() -> AppError {
    AppError::BadRequest("The request was incomplete or malformed.".into())
}

/// Gives a server function's HTTP response the status of its error (and `Retry-After` when
/// rate limited). A plain HTML form post (no JavaScript yet) keeps its status: it is
/// redirected back to the form with the error.
#[cfg(feature = "ssr")]
fn set_response_status(error: &AppError) {
    let form_post = leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if !form_post {
            response.set_status(error.status());
        }
        // Rate limited: after the window. Busy or waiting on a service: a few seconds.
        let retry_after = match error {
            AppError::TooManyAttempts { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
}

/// Logs an unexpected failure once, with the request ID, and returns the error a shopper sees.
#[cfg(feature = "ssr")]
pub fn internal(cause: &dyn std::fmt::Display) -> AppError {
    let request_id = crate::platform::http::current_request_id().unwrap_or_else(|| "none".into());
    tracing::error!(%request_id, error = %cause, "internal error");
    AppError::Internal { request_id }
}

/// In the browser there is no log to write to and no request ID to quote.
#[cfg(not(feature = "ssr"))]
pub fn internal(_cause: &dyn std::fmt::Display) -> AppError {
    AppError::Internal {
        request_id: "none".into(),
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    /// A database that cannot be reached is a 503 (every node says so until it is back); any
    /// other database error is ours, a 500.
    fn from(error: sqlx::Error) -> Self {
        if crate::platform::db::is_unreachable(&error) {
            let request_id =
                crate::platform::http::current_request_id().unwrap_or_else(|| "none".into());
            tracing::warn!(%request_id, %error, "the database cannot be reached");
            return Self::Unavailable(SHOP_UNAVAILABLE.into());
        }
        internal(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_show_only_the_reference() {
        let error = AppError::Internal {
            request_id: "abc123".into(),
        };
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            error.to_string(),
            "Something went wrong on our side. Reference: abc123"
        );
    }

    #[test]
    fn form_ids_are_optional_numbers() {
        assert_eq!(optional_id(None), Ok(None));
        assert_eq!(optional_id(Some(" ")), Ok(None));
        assert_eq!(optional_id(Some("42")), Ok(Some(42)));
        assert_eq!(optional_id(Some("4x")), Err(AppError::NotFound));
    }

    #[test]
    fn errors_from_the_url_show_only_known_text() {
        let planted = AppError::BadRequest("Call +1 555 0100 to claim your prize".into());
        assert_eq!(
            planted.into_url_safe().to_string(),
            "That didn't work. Check the form and try again."
        );
        let known = AppError::BadRequest(BAD_CREDENTIALS.into());
        assert_eq!(known.clone().into_url_safe(), known);
        let field = AppError::Invalid(vec![FieldError::new("email", "Visit evil.example")]);
        assert_eq!(
            field.into_url_safe().field("email").as_deref(),
            Some("Check this field.")
        );
        let id = AppError::Internal {
            request_id: "<script>".into(),
        };
        assert_eq!(
            id.into_url_safe(),
            AppError::Internal {
                request_id: "unknown".into()
            }
        );
        assert_eq!(AppError::NotFound.into_url_safe(), AppError::NotFound);
    }

    #[test]
    fn malformed_arguments_are_bad_requests() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Args("x".into()));
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(!error.to_string().contains('x'));
    }
}
