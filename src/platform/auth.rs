//! Who is asking: the roles, the signed-in user as pages see them, and on the server the
//! session of the current request with the checks every server function starts with. The
//! accounts domain signs people in and puts the `Session` in each request; everything else
//! only reads it here.

use serde::{Deserialize, Serialize};

/// What an account may do: a customer shops; staff work in the admin, each role with its own
/// permissions (see `Role::can`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    /// Everything: staff, API keys, the audit log, and what every other role does.
    Owner,
    /// Products, categories, pictures, promotions and reviews.
    Catalog,
    /// The order desk: statuses, shipments, refunds and returns.
    Orders,
    /// Reads customers and orders, to answer questions.
    Support,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Customer,
        Self::Owner,
        Self::Catalog,
        Self::Orders,
        Self::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Owner => "owner",
            Self::Catalog => "catalog",
            Self::Orders => "orders",
            Self::Support => "support",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The role's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Owner => "Owner",
            Self::Catalog => "Catalog",
            Self::Orders => "Orders",
            Self::Support => "Support",
        }
    }

    /// Works in the admin (and so needs two-step sign-in).
    pub fn is_staff(self) -> bool {
        self != Self::Customer
    }

    /// Whether this role holds `permission`. The one place that says which role may do what.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Customer => false,
            Self::Owner => true,
            Self::Catalog => matches!(permission, EditCatalog),
            Self::Orders => matches!(permission, ReadOrders | HandleOrders),
            Self::Support => matches!(permission, ReadOrders | ReadCustomers),
        }
    }
}

/// What a server function or page checks before it acts: a permission, never a role's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// Products, categories, pictures, promotions, and taking down reviews.
    EditCatalog,
    /// The order desk's lists and orders, and any customer's order and invoice.
    ReadOrders,
    /// Moving, shipping and refunding orders, and handling returns.
    HandleOrders,
    /// The list of accounts.
    ReadCustomers,
    /// The dashboard's figures and the analytics.
    ReadAnalytics,
    /// Giving accounts a role.
    ManageStaff,
    /// API keys for the shop's other systems.
    ManageIntegrations,
    /// The audit log.
    ReadAudit,
}

impl Permission {
    pub const ALL: [Self; 8] = [
        Self::EditCatalog,
        Self::ReadOrders,
        Self::HandleOrders,
        Self::ReadCustomers,
        Self::ReadAnalytics,
        Self::ManageStaff,
        Self::ManageIntegrations,
        Self::ReadAudit,
    ];
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
    use super::{Permission, Role};
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

    /// The session of a signed-in user whose role holds `permission`: 401 when signed out, 403
    /// otherwise (staff without two-step sign-in have a customer's rights, see `authenticate`).
    pub fn require(permission: Permission) -> Result<Session, AppError> {
        let session = require_user()?;
        if session.role.can(permission) {
            Ok(session)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// `require` for plain HTTP handlers (file uploads and downloads), given the session the
    /// request carries: 401 when signed out, 403 when its role lacks `permission`.
    pub fn permitted(
        session: Option<axum::Extension<Session>>,
        permission: Permission,
    ) -> Result<Session, axum::http::StatusCode> {
        match session {
            None => Err(axum::http::StatusCode::UNAUTHORIZED),
            Some(axum::Extension(session)) if session.role.can(permission) => Ok(session),
            Some(_) => Err(axum::http::StatusCode::FORBIDDEN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_from_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn only_the_owner_manages_staff_keys_and_the_audit_log() {
        use Permission::*;
        let holders = |permission| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|role| role.can(permission))
                .collect()
        };
        assert_eq!(holders(EditCatalog), [Role::Owner, Role::Catalog]);
        assert_eq!(
            holders(ReadOrders),
            [Role::Owner, Role::Orders, Role::Support]
        );
        assert_eq!(holders(HandleOrders), [Role::Owner, Role::Orders]);
        assert_eq!(holders(ReadCustomers), [Role::Owner, Role::Support]);
        for permission in [ReadAnalytics, ManageStaff, ManageIntegrations, ReadAudit] {
            assert_eq!(holders(permission), [Role::Owner]);
        }
        assert!(Permission::ALL.into_iter().all(|p| !Role::Customer.can(p)));
        assert!(
            Role::ALL
                .into_iter()
                .all(|r| r.is_staff() == (r != Role::Customer))
        );
    }
}
