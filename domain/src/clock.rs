//! Times are RFC 3339 UTC text of fixed width (microseconds), so that they
//! sort as text in both databases and read the same on the wire.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn now() -> String {
    format(Utc::now())
}

/// Now plus (or minus) a duration, formatted.
pub fn from_now(d: Duration) -> String {
    format(Utc::now() + d)
}

pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_width_sorts_as_text() {
        let a = super::now();
        let b = super::from_now(chrono::Duration::milliseconds(5));
        assert_eq!(a.len(), b.len());
        assert!(a < b);
        assert!(super::parse(&a).is_some());
    }
}
