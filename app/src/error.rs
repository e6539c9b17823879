//! The error every server function returns: `domain::Error` on the wire as
//! `{code, message, field}`. The server turns `code` into the HTTP status.

use domain::{Error, ErrorCode};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiError(pub Error);

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError(match value {
            // The body did not fit the function's arguments: bad input.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) | ServerFnErrorErr::MissingArg(m) => Error {
                code: ErrorCode::Validation,
                field: missing_field(&m),
                message: format!("The request body is not valid: {m}"),
            },
            // The browser could not reach the server.
            ServerFnErrorErr::Request(m) => Error::new(ErrorCode::Internal, format!("Could not reach the server: {m}")),
            ServerFnErrorErr::Registration(_) => Error::new(ErrorCode::NotFound, "No such API function."),
            _ => Error::internal(),
        })
    }
}

/// serde's "missing field `name`" names the field.
fn missing_field(m: &str) -> Option<String> {
    let rest = &m[m.find("missing field `")? + "missing field `".len()..];
    Some(rest[..rest.find('`')?].to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_missing_field() {
        assert_eq!(super::missing_field("missing field `email` at line 1 column 2").as_deref(), Some("email"));
        assert_eq!(super::missing_field("expected value"), None);
    }
}
