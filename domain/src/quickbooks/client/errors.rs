//! What can go wrong with a call to Intuit, and how a reply is sorted by
//! what it means for a push (see the client's module doc).

use super::super::Environment;
use serde_json::Value;

/// One entry of a QBO `Fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultError {
    pub code: String,
    pub message: String,
    pub detail: String,
    pub element: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QboError {
    /// Intuit refused the grant (a used or expired code, a revoked or rotated refresh token).
    InvalidGrant(String),
    /// The access token was refused.
    Unauthorized(String),
    /// QBO read the request and refused it; nothing was created.
    Fault { kind: String, errors: Vec<FaultError> },
    /// 429; wait this many seconds (when Intuit said).
    Throttled(Option<u64>),
    /// Sent, but whether QBO acted is not known (timeout, 5xx, unreadable reply).
    Unknown(String),
    /// Not sent: QuickBooks could not be reached.
    Unreachable(String),
    /// Not sent: this server has no Intuit keys for companies of this type.
    NoKeys(Environment),
}

impl QboError {
    /// The error in plain words, for the PO page and the timeline.
    pub fn plain(&self) -> String {
        match self {
            QboError::InvalidGrant(d) => format!("QuickBooks no longer accepts this connection ({d}); an admin connects it again in Settings."),
            QboError::Unauthorized(d) => format!("QuickBooks refused the access token ({d}); an admin connects it again in Settings."),
            QboError::Fault { errors, .. } => {
                let parts: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        let mut s = e.message.clone();
                        if !e.detail.is_empty() && e.detail != e.message {
                            s.push_str(": ");
                            s.push_str(&e.detail);
                        }
                        if !e.element.is_empty() {
                            s.push_str(&format!(" (field {})", e.element));
                        }
                        s
                    })
                    .collect();
                format!("QuickBooks refused it: {}", parts.join("; "))
            }
            QboError::Throttled(Some(s)) => format!("QuickBooks is throttling requests (429); it asked to wait {s} s."),
            QboError::Throttled(None) => "QuickBooks is throttling requests (429).".to_string(),
            QboError::Unknown(d) => format!("No clear answer from QuickBooks ({d}); a retry will not create a second purchase order."),
            QboError::Unreachable(d) => format!("QuickBooks could not be reached ({d})."),
            QboError::NoKeys(env) => format!(
                "This server has no Intuit keys for {} companies ({}); the operator sets them and restarts, or an admin connects another company.",
                env.as_str(),
                match env {
                    Environment::Production => "QBO_CLIENT_ID and QBO_CLIENT_SECRET",
                    Environment::Sandbox => "QBO_SANDBOX_CLIENT_ID and QBO_SANDBOX_CLIENT_SECRET",
                }
            ),
        }
    }

    /// A transient failure worth retrying by itself later.
    pub fn transient(&self) -> bool {
        matches!(self, QboError::Throttled(_) | QboError::Unknown(_) | QboError::Unreachable(_))
    }

    /// A `Fault` with this error code.
    pub fn has_code(&self, code: &str) -> bool {
        matches!(self, QboError::Fault { errors, .. } if errors.iter().any(|e| e.code == code))
    }
}

/// A transport failure: before sending (connect) nothing happened; after, anything may have.
pub(super) fn transport(e: reqwest::Error) -> QboError {
    if e.is_connect() {
        QboError::Unreachable(format!("cannot connect: {e}"))
    } else if e.is_timeout() {
        QboError::Unknown("no reply in time".into())
    } else {
        QboError::Unknown(format!("the reply was lost: {e}"))
    }
}

/// Sorts a reply by what it means (see the module doc).
pub fn classify(status: u16, retry_after: Option<u64>, text: &str) -> Result<Value, QboError> {
    let json: Option<Value> = serde_json::from_str(text).ok();
    let fault = json.as_ref().and_then(fault_of);
    match status {
        200..=299 => match (json, fault) {
            (_, Some(f)) => Err(f),
            (Some(v), None) => Ok(v),
            (None, None) => Err(QboError::Unknown(format!("QuickBooks answered {status} with a body that is not JSON"))),
        },
        401 => Err(QboError::Unauthorized(match fault {
            Some(QboError::Fault { errors, .. }) if !errors.is_empty() => errors[0].detail.clone(),
            _ => "401".to_string(),
        })),
        429 => Err(QboError::Throttled(retry_after)),
        500..=599 => Err(QboError::Unknown(format!("QuickBooks answered {status}"))),
        _ => Err(fault.unwrap_or_else(|| QboError::Fault {
            kind: String::new(),
            errors: vec![FaultError {
                code: status.to_string(),
                message: format!("HTTP {status}"),
                detail: text.chars().take(200).collect(),
                element: String::new(),
            }],
        })),
    }
}

/// A `Fault` body (`Fault.Error[]`, or the lowercase `fault.error[]` of 401s).
fn fault_of(v: &Value) -> Option<QboError> {
    let f = v.get("Fault").or_else(|| v.get("fault"))?;
    let errors = f.get("Error").or_else(|| f.get("error")).and_then(Value::as_array).cloned().unwrap_or_default();
    let text = |e: &Value, k: &str| {
        e.get(k)
            .or_else(|| e.get(k.to_lowercase()))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(QboError::Fault {
        kind: f.get("type").and_then(Value::as_str).unwrap_or_default().to_string(),
        errors: errors
            .iter()
            .map(|e| FaultError {
                code: text(e, "code"),
                message: text(e, "Message"),
                detail: text(e, "Detail"),
                element: text(e, "element"),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_sorted_by_meaning() {
        let fault = r#"{"Fault":{"Error":[{"Message":"Invalid Reference Id","Detail":"Vendor 9 was deleted","code":"2500","element":"VendorRef"}],"type":"ValidationFault"},"time":"t"}"#;
        let e = classify(400, None, fault).unwrap_err();
        assert!(e.has_code("2500") && !e.transient());
        assert_eq!(e.plain(), "QuickBooks refused it: Invalid Reference Id: Vendor 9 was deleted (field VendorRef)");
        assert_eq!(classify(200, None, fault).unwrap_err(), e, "a Fault inside a 200 is still a Fault");
        let xml = r#"<?xml version="1.0"?><IntuitResponse><Fault type="SERVICE"><Error code="003001"/></Fault></IntuitResponse>"#;
        assert_eq!(classify(429, Some(7), xml).unwrap_err(), QboError::Throttled(Some(7)));
        let expired = r#"{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: abc","code":"3200"}],"type":"AUTHENTICATION"}}"#;
        assert_eq!(classify(401, None, expired).unwrap_err(), QboError::Unauthorized("Token expired: abc".into()));
        assert!(classify(503, None, "").unwrap_err().transient());
        assert!(matches!(classify(200, None, "<html>").unwrap_err(), QboError::Unknown(_)));
        assert_eq!(classify(200, None, r#"{"PurchaseOrder":{"Id":"1"}}"#).unwrap()["PurchaseOrder"]["Id"], "1");
    }
}
