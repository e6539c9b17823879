//! Users, roles and permissions. Roles are fixed permission sets (SPEC.md).

use serde::{Deserialize, Serialize};
use std::fmt;

#[cfg(feature = "server")]
pub(crate) mod callers;
#[cfg(feature = "server")]
mod passwords;
#[cfg(feature = "server")]
mod rows;
#[cfg(feature = "server")]
pub(crate) mod secrets;
#[cfg(feature = "server")]
mod sessions;
#[cfg(feature = "server")]
mod store;
#[cfg(all(test, feature = "server"))]
mod store_tests;
#[cfg(feature = "server")]
mod throttle;
#[cfg(feature = "server")]
mod tokens;
#[cfg(feature = "server")]
pub use passwords::{hash_password, verify_password};
#[cfg(feature = "server")]
pub use sessions::SESSION_DAYS;
#[cfg(feature = "server")]
pub use store::LoginError;
#[cfg(feature = "server")]
pub use throttle::LoginThrottle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Approver,
    Purchaser,
    Technician,
    Viewer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See purchase orders, procurement and reference data.
    View,
    /// Raise and edit purchase orders.
    Create,
    Approve,
    Receive,
    Dispatch,
    Remediate,
    /// Create and change companies, vendors, products, contracts.
    ManageCatalog,
    /// Users, settings, integrations.
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::View,
        Permission::Create,
        Permission::Approve,
        Permission::Receive,
        Permission::Dispatch,
        Permission::Remediate,
        Permission::ManageCatalog,
        Permission::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::View => "view",
            Permission::Create => "create",
            Permission::Approve => "approve",
            Permission::Receive => "receive",
            Permission::Dispatch => "dispatch",
            Permission::Remediate => "remediate",
            Permission::ManageCatalog => "manage_catalog",
            Permission::Admin => "admin",
        }
    }

    /// What a refusal says the user tried to do.
    pub fn action(self) -> &'static str {
        match self {
            Permission::View => "view this",
            Permission::Create => "raise or edit purchase orders",
            Permission::Approve => "approve or reject purchase orders",
            Permission::Receive => "receive goods",
            Permission::Dispatch => "dispatch orders to distributors",
            Permission::Remediate => "work the remediation queue",
            Permission::ManageCatalog => "change companies, vendors, products or contracts",
            Permission::Admin => "do this (admins only)",
        }
    }
}

crate::named_enum!(Role {
    Admin = "admin";
    Approver = "approver";
    Purchaser = "purchaser";
    Technician = "technician";
    Viewer = "viewer";
});

impl Role {
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &Permission::ALL,
            Role::Approver => &[View, Create, Approve, Receive],
            Role::Purchaser => &[View, Create, Receive, Dispatch, Remediate, ManageCatalog],
            Role::Technician => &[View, Create],
            Role::Viewer => &[View],
        }
    }

    pub fn can(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Approver => "Approver",
            Role::Purchaser => "Purchaser",
            Role::Technician => "Technician",
            Role::Viewer => "Viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub permissions: Vec<Permission>,
}

impl User {
    pub fn can(&self, p: Permission) -> bool {
        self.active && self.role.can(p)
    }

    /// `Ok` when the user holds the permission, else a `forbidden` error.
    pub fn require(&self, p: Permission) -> crate::Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(crate::Error::forbidden(p.action()))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
}

impl NewUser {
    /// Checks and normalises the input (lower-case email, trimmed name).
    pub fn validated(self) -> crate::Result<NewUser> {
        let email = crate::validate::email("email", &self.email)?;
        let name = crate::validate::required_text("name", &self.name, 120)?;
        crate::validate::password("password", &self.password)?;
        Ok(NewUser { email, name, ..self })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// An API token as listed: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// When it stops working (`None`: never).
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Whose it is (the admin's list shows everyone's).
    #[serde(default)]
    pub user: Option<Named>,
}

/// A user named in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// Answer of `tokens/create`: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub token: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_the_fixed_sets_of_the_spec() {
        use Permission::*;
        assert!(Role::Admin.can(Admin) && Role::Admin.can(Dispatch));
        assert!(Role::Approver.can(Approve) && Role::Approver.can(Receive) && !Role::Approver.can(Dispatch));
        assert!(Role::Purchaser.can(Dispatch) && Role::Purchaser.can(Remediate) && !Role::Purchaser.can(Approve));
        assert!(Role::Technician.can(Create) && !Role::Technician.can(Receive));
        assert_eq!(Role::Viewer.permissions(), &[View]);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(r.can(View));
        }
    }

    #[test]
    fn inactive_users_can_do_nothing() {
        let mut u = User {
            id: 1,
            email: "a@b.co".into(),
            name: "A".into(),
            role: Role::Admin,
            active: true,
            permissions: vec![],
        };
        assert!(u.require(Permission::Admin).is_ok());
        u.active = false;
        assert_eq!(u.require(Permission::View).unwrap_err().code, crate::ErrorCode::Forbidden);
    }

    #[test]
    fn new_user_is_normalised_and_checked() {
        let u = NewUser {
            email: "Ann@X.io".into(),
            name: " Ann ".into(),
            password: "long enough pw".into(),
            role: Role::Viewer,
        }
        .validated()
        .unwrap();
        assert_eq!((u.email.as_str(), u.name.as_str()), ("ann@x.io", "Ann"));
        let e = NewUser {
            email: "ann@x.io".into(),
            name: "Ann".into(),
            password: "short".into(),
            role: Role::Viewer,
        }
        .validated()
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));
    }
}
