//! The one error model of the product. It is also the wire format of API
//! errors: `{"code": "...", "message": "...", "field": "..." | null}`.

use serde::{Deserialize, Serialize};
use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Validation,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    Upstream,
    EncryptionKeyMissing,
    Internal,
    /// Approving or rejecting a PO one raised, while the settings forbid it.
    SelfApproval,
    /// The record changed since the caller read the version it sent.
    Stale,
    /// A cookie-carrying request from another site (or not JSON): refused
    /// before anything runs.
    CrossSite,
    /// The request body is larger than the function takes.
    TooLarge,
}

impl ErrorCode {
    /// The HTTP status an API caller sees for this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Validation => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::Upstream => 502,
            ErrorCode::EncryptionKeyMissing => 503,
            ErrorCode::Internal => 500,
            ErrorCode::SelfApproval => 403,
            ErrorCode::Stale => 409,
            ErrorCode::CrossSite => 403,
            ErrorCode::TooLarge => 413,
        }
    }

    /// The general code of a status (a status shared by several codes gives
    /// the first: 403 is `forbidden`, 409 `conflict`).
    pub fn from_status(status: u16) -> Option<Self> {
        use ErrorCode::*;
        [
            Validation,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            RateLimited,
            Upstream,
            EncryptionKeyMissing,
            Internal,
            SelfApproval,
            Stale,
            CrossSite,
            TooLarge,
        ]
        .into_iter()
        .find(|c| c.status() == status)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            code: ErrorCode::Validation,
            message: message.into(),
            field: Some(field.into()),
        }
    }
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Sign in first: no valid session or API token.")
    }
    pub fn forbidden(what: impl fmt::Display) -> Self {
        Self::new(ErrorCode::Forbidden, format!("You are not allowed to {what}."))
    }
    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} was not found."))
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on the server. It has been logged.")
    }
    /// `internal`, having logged `cause` with `what` failed and where (the
    /// caller's file and line): never an internal error without its cause.
    #[cfg(feature = "server")]
    #[track_caller]
    pub fn internal_from(what: &str, cause: impl fmt::Display) -> Self {
        let at = std::panic::Location::caller();
        tracing::error!(error = %cause, what, at = %at, "internal error");
        Self::internal()
    }
    pub fn status(&self) -> u16 {
        self.code.status()
    }
    /// The same error, naming the input field it is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(feature = "server")]
impl From<sqlx::Error> for Error {
    /// Logs where the failed statement was run: `at` is the file and line of
    /// the `?` that converted it.
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return Error::not_found("The record");
        }
        let at = std::panic::Location::caller();
        tracing::error!(error = %e, at = %at, "database error");
        Error::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_the_wire_contract() {
        let e = Error::validation("lines[1].quantity", "Quantity must be at least 1.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "validation");
        assert_eq!(json["field"], "lines[1].quantity");
        assert_eq!(e.status(), 400);
        assert_eq!(serde_json::to_value(Error::internal()).unwrap()["field"], serde_json::Value::Null);
    }

    #[test]
    fn status_round_trips() {
        for code in [ErrorCode::Validation, ErrorCode::EncryptionKeyMissing, ErrorCode::RateLimited] {
            assert_eq!(ErrorCode::from_status(code.status()), Some(code));
        }
        assert_eq!((ErrorCode::SelfApproval.status(), ErrorCode::Stale.status()), (403, 409));
        assert_eq!(serde_json::to_value(ErrorCode::SelfApproval).unwrap(), "self_approval");
        assert_eq!(serde_json::to_value(ErrorCode::Stale).unwrap(), "stale");
    }
}
