//! Settings an admin controls.

use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
mod store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// POs whose total is strictly under this are approved on submit; 0 turns auto-approval off.
    pub auto_approve_limit_cents: i64,
    pub require_signature: bool,
    pub qbo_auto_push: bool,
    pub currency: String,
    /// Pax8 validates each order (`isMock`) before its first real send.
    pub pax8_preflight: bool,
    /// An approver may approve or reject a PO they raised (one-person teams).
    #[serde(default)]
    pub allow_self_approval: bool,
    /// Above this total a PO needs two different approvers, neither its
    /// creator; 0 turns the second level off.
    #[serde(default)]
    pub second_approval_limit_cents: i64,
    /// A session unused this long ends (within its absolute 14 days).
    #[serde(default = "twelve")]
    pub session_idle_hours: i64,
}

fn twelve() -> i64 {
    12
}

/// Settings as the API shows them: with what is configured around them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub auto_approve_limit_cents: i64,
    pub require_signature: bool,
    pub qbo_auto_push: bool,
    pub currency: String,
    #[serde(default)]
    pub pax8_preflight: bool,
    #[serde(default)]
    pub allow_self_approval: bool,
    #[serde(default)]
    pub second_approval_limit_cents: i64,
    #[serde(default = "twelve")]
    pub session_idle_hours: i64,
    pub encryption_configured: bool,
    pub pax8_configured: bool,
    pub qbo_connected: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsUpdate {
    pub auto_approve_limit_cents: Option<i64>,
    pub require_signature: Option<bool>,
    pub qbo_auto_push: Option<bool>,
    #[serde(default)]
    pub pax8_preflight: Option<bool>,
    #[serde(default)]
    pub allow_self_approval: Option<bool>,
    #[serde(default)]
    pub second_approval_limit_cents: Option<i64>,
    #[serde(default)]
    pub session_idle_hours: Option<i64>,
}

impl SettingsUpdate {
    pub fn validated(&self) -> crate::Result<&Self> {
        if let Some(c) = self.auto_approve_limit_cents {
            crate::validate::cents("auto_approve_limit_cents", c)?;
        }
        if let Some(h) = self.session_idle_hours {
            if !(1..=336).contains(&h) {
                return Err(crate::Error::validation("session_idle_hours", "The idle timeout is 1 to 336 hours (14 days)."));
            }
        }
        if let Some(c) = self.second_approval_limit_cents {
            crate::validate::cents("second_approval_limit_cents", c)?;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limit_must_be_sane() {
        let u = super::SettingsUpdate {
            auto_approve_limit_cents: Some(-1),
            ..Default::default()
        };
        assert_eq!(u.validated().unwrap_err().field.as_deref(), Some("auto_approve_limit_cents"));
    }
}
