//! Plain validation functions. Each names the field it checks so that the
//! error can point at it, in the browser and in the API.

use crate::Error;

/// A required single-line text: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::validation(field, format!("{} is required.", label(field))));
    }
    optional_text(field, Some(v), max).map(|o| o.unwrap_or_default())
}

/// An optional text: blank becomes `None`; longer than `max` is refused.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Error> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(Error::validation(field, format!("{} must be at most {max} characters.", label(field))));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::validation(field, format!("{} contains control characters.", label(field))));
    }
    if v.chars().any(invisible) {
        return Err(Error::validation(
            field,
            format!(
                "{} contains invisible or direction-changing characters (zero-width or bidi controls); retype it.",
                label(field)
            ),
        ));
    }
    // One spelling per text: "é" typed as one character or as e + accent
    // are the same name (uniqueness checks compare the normalised form).
    use unicode_normalization::UnicodeNormalization;
    Ok(Some(v.nfc().collect()))
}

/// Bidi controls (they reverse what is printed: U+202E on a PO sent to a
/// vendor) and zero-width characters (they make two names look alike).
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// The longest search (`q`) any list takes.
pub const MAX_QUERY: usize = 200;

/// A search's `q`: at most [`MAX_QUERY`] characters, checked before any work.
pub fn search_query(q: Option<&str>) -> Result<(), Error> {
    if q.is_some_and(|q| q.chars().count() > MAX_QUERY) {
        return Err(Error::validation("q", format!("Search for at most {MAX_QUERY} characters.")));
    }
    Ok(())
}

pub fn email(field: &str, value: &str) -> Result<String, Error> {
    let v = required_text(field, value, 254)?.to_lowercase();
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !v.contains(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(Error::validation(field, "Enter an email address like name@example.com."));
    }
    Ok(v)
}

pub fn password(field: &str, value: &str) -> Result<(), Error> {
    let n = value.chars().count();
    if n < 10 {
        return Err(Error::validation(field, "Password must be at least 10 characters."));
    }
    if n > 200 {
        return Err(Error::validation(field, "Password must be at most 200 characters."));
    }
    Ok(())
}

/// Whole units, at least 1, at most `max`.
pub fn quantity(field: &str, value: i64, max: i64) -> Result<i64, Error> {
    if value < 1 {
        return Err(Error::validation(field, "Quantity must be a whole number of at least 1."));
    }
    if value > max {
        return Err(Error::validation(field, format!("Quantity must be at most {max}.")));
    }
    Ok(value)
}

/// The largest amount a single price may be: $10,000,000.00.
pub const MAX_CENTS: i64 = 1_000_000_000;

pub fn cents(field: &str, value: i64) -> Result<i64, Error> {
    if value < 0 {
        return Err(Error::validation(field, "Amount cannot be negative."));
    }
    if value > MAX_CENTS {
        return Err(Error::validation(
            field,
            "Amount is larger than $10,000,000.00; check the figure (it is in cents).",
        ));
    }
    Ok(value)
}

/// `lines[1].quantity` → `Quantity`, `pax8_company_id` → `Pax8 company id`.
pub fn label(field: &str) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    let words = last.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_names_the_field() {
        let e = required_text("name", "   ", 10).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        assert_eq!(e.message, "Name is required.");
        assert_eq!(required_text("name", " Acme ", 10).unwrap(), "Acme");
        assert!(required_text("name", "abcdefghijk", 10).is_err());
        assert!(required_text("name", "a\u{7}b", 10).is_err());
    }

    #[test]
    fn invisible_and_reversing_characters_are_refused_and_text_is_nfc() {
        for bad in ["Acme\u{202E}gnp.exe", "Ac\u{200B}me", "\u{FEFF}Acme", "Acme\u{2066}x\u{2069}"] {
            let e = required_text("name", bad, 50).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("name"), "{bad:?}");
            assert!(e.message.contains("invisible or direction-changing"), "{}", e.message);
        }
        // e + combining acute is stored as the one character é.
        assert_eq!(required_text("name", "Caf\u{65}\u{301}", 50).unwrap(), "Caf\u{e9}");
    }

    #[test]
    fn emails() {
        assert_eq!(email("email", " Ann@Example.com ").unwrap(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@x.com", "ann@localhost", "a b@x.com"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert!(quantity("q", 0, 10).is_err());
        assert!(quantity("q", -1, 10).is_err());
        assert!(quantity("q", 11, 10).is_err());
        assert_eq!(quantity("q", 3, 10).unwrap(), 3);
        assert!(cents("c", -1).is_err());
        assert!(cents("c", MAX_CENTS + 1).is_err());
        assert_eq!(cents("c", 0).unwrap(), 0);
    }

    #[test]
    fn labels() {
        assert_eq!(label("lines[1].unit_cost_cents"), "Unit cost cents");
        assert_eq!(label("pax8_company_id"), "Pax8 company id");
    }
}
