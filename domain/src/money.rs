//! Money is integer minor units (cents). These helpers format and parse it
//! for people without ever going through floating point.

/// `123456` → `"1,234.56"`.
pub fn format_cents(cents: i64) -> String {
    let neg = cents < 0;
    let abs = cents.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{}.{:02}", if neg { "-" } else { "" }, grouped, abs % 100)
}

/// `"$1,234.5"` → `Some(123450)`. At most two decimals; no sign.
pub fn parse_dollars(input: &str) -> Option<i64> {
    let s: String = input.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    if s.is_empty() {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if frac.len() > 2 || !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_grouping() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(123456), "1,234.56");
        assert_eq!(format_cents(100000000), "1,000,000.00");
        assert_eq!(format_cents(-250), "-2.50");
    }

    #[test]
    fn parses_dollars_exactly() {
        assert_eq!(parse_dollars("12.3"), Some(1230));
        assert_eq!(parse_dollars("$1,234.56"), Some(123456));
        assert_eq!(parse_dollars("0.07"), Some(7));
        assert_eq!(parse_dollars("10"), Some(1000));
        assert_eq!(parse_dollars("1.234"), None);
        assert_eq!(parse_dollars("-1"), None);
        assert_eq!(parse_dollars("abc"), None);
        assert_eq!(parse_dollars(""), None);
    }
}
