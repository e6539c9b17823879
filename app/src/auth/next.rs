//! Where to go after signing in: only a path of this site.

/// Where the page lands after sign-in, when the sign-in page was reached
/// with `?next=`: a path of this site, never another origin. A path that a
/// browser could read as another origin (`//host`, `/\host`, or with a tab
/// or newline a browser strips, `/\t/host`), or that is not a plain path,
/// lands on the PO list instead.
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/purchase-orders";
    let Some(n) = next else { return HOME.into() };
    let plain = n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(|c| c.is_control() || c.is_whitespace()) && n.len() <= 2000;
    // Resolved as a browser would against this origin, it must stay here:
    // its first segment cannot be empty once dots are taken out.
    let first = n.trim_start_matches('/').split('/').next().unwrap_or_default();
    if plain && first != "." && first != ".." && !n.contains("/../") && !n.contains("/./") {
        n.to_string()
    } else {
        HOME.into()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site() {
        assert_eq!(safe_next(Some("/purchase-orders/7?x=1")), "/purchase-orders/7?x=1");
        assert_eq!(safe_next(Some("/settings")), "/settings");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example",
            "evil",
            "/ /x",
            "/../x",
            "",
            "/./\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/purchase-orders", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/purchase-orders");
    }
}
