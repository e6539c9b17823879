//! Provisioning details (what Pax8 asks for to provision a product), as
//! typed in the editor and as stored.

use serde::{Deserialize, Serialize};

/// A provisioning detail Pax8 asks for (e.g. the tenant domain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningDetail {
    pub key: String,
    #[serde(default)]
    pub values: Vec<String>,
}

/// Reads provisioning details typed one `key=value` per line; a key on
/// several lines has several values. Commas are part of a value (Pax8's own
/// choices contain them: "Yes, the customer has … account").
pub fn parse_details(text: &str) -> Vec<ProvisioningDetail> {
    let mut out: Vec<ProvisioningDetail> = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        let (key, value) = (k.trim(), v.trim());
        let at = match out.iter().position(|d| d.key == key) {
            Some(i) => i,
            None => {
                out.push(ProvisioningDetail {
                    key: key.to_string(),
                    values: vec![],
                });
                out.len() - 1
            }
        };
        if !value.is_empty() {
            out[at].values.push(value.to_string());
        }
    }
    out
}

/// The inverse of [`parse_details`].
pub fn format_details(details: &[ProvisioningDetail]) -> String {
    details
        .iter()
        .flat_map(|d| {
            if d.values.is_empty() {
                vec![format!("{}=", d.key)]
            } else {
                d.values.iter().map(|v| format!("{}={v}", d.key)).collect()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_parse_and_format() {
        let d = parse_details("domain = harbor.example\n\nadmins=a@x.io\nadmins=b@x.io\nexists=Yes, the customer has an account\n");
        assert_eq!(
            d,
            vec![
                ProvisioningDetail {
                    key: "domain".into(),
                    values: vec!["harbor.example".into()]
                },
                ProvisioningDetail {
                    key: "admins".into(),
                    values: vec!["a@x.io".into(), "b@x.io".into()]
                },
                ProvisioningDetail {
                    key: "exists".into(),
                    values: vec!["Yes, the customer has an account".into()]
                }
            ]
        );
        assert_eq!(parse_details(&format_details(&d)), d);
    }
}
