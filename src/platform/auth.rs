//! Who is asking: the roles, the signed-in user as pages see them, and on the server the
//! session of the current request with the checks every server function starts with. The
//! accounts domain signs people in and puts the `Session` in each request; everything else
//! only reads it here.

use serde::{Deserialize, Serialize};

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "customer" => Some(Self::Customer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The signed-in user, as the header and account pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The address was confirmed by a link sent to it.
    pub email_verified: bool,
    /// Signing in takes a code from an authenticator app too.
    pub two_factor: bool,
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::Role;
    use crate::{error::AppError, platform::http::request_parts};

    /// Who is making the request. Put in the request's extensions by `authenticate`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Session {
        pub user_id: i64,
        pub role: Role,
    }

    /// The session of the current request, if signed in.
    pub fn current_session() -> Option<Session> {
        request_parts()?.extensions.get::<Session>().copied()
    }

    /// The signed-in user's session, or 401.
    pub fn require_user() -> Result<Session, AppError> {
        current_session().ok_or(AppError::Unauthorized)
    }

    /// The signed-in admin's session: 401 when signed out, 403 for any other role.
    pub fn require_admin() -> Result<Session, AppError> {
        let session = require_user()?;
        match session.role {
            Role::Admin => Ok(session),
            Role::Customer => Err(AppError::Forbidden),
        }
    }
}
