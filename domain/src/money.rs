//! Money is integer minor units (cents). These helpers format and parse it
//! for people without ever going through floating point.

/// `123456` → `"1,234.56"`.
pub fn format_cents(cents: i64) -> String {
    let mut out = String::with_capacity(16);
    push_cents(&mut out, cents);
    out
}

/// Appends `cents` as [`format_cents`] writes it, without a `format!` (a
/// list page writes hundreds of amounts).
pub fn push_cents(out: &mut String, cents: i64) {
    if cents < 0 {
        out.push('-');
    }
    let abs = cents.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut n = abs / 100;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(digits[i] as char);
        if i > 0 && i % 3 == 0 {
            out.push(',');
        }
    }
    let frac = (abs % 100) as u8;
    out.push('.');
    out.push((b'0' + frac / 10) as char);
    out.push((b'0' + frac % 10) as char);
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
        assert_eq!(format_cents(-123456789), "-1,234,567.89");
        assert_eq!(format_cents(i64::MIN), "-92,233,720,368,547,758.08");
        let mut s = String::from("$");
        push_cents(&mut s, 99999);
        assert_eq!(s, "$999.99");
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
