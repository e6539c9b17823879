//! SQL text that both databases run: quoting, padding, timestamps, number
//! series.

use domain::store::Backend;
use domain::Store;
use sqlx::Executor;

pub(super) fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `x` (an integer expression) zero-padded to at least three digits, in SQL both databases run.
pub(super) fn pad3(x: &str) -> String {
    format!("(CASE WHEN {x} < 10 THEN '00' WHEN {x} < 100 THEN '0' ELSE '' END || CAST({x} AS TEXT))")
}

/// RFC 3339 text of epoch seconds `x`, as `clock::format` writes it.
pub(super) fn ts(backend: Backend, x: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(strftime('%Y-%m-%dT%H:%M:%S', {x}, 'unixepoch') || '.000000Z')"),
        Backend::Postgres => format!("(to_char(to_timestamp({x}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '.000000Z')"),
    }
}

/// The numbers `lo..=hi` as a row source with column `n`.
pub(super) fn series(backend: Backend, lo: i64, hi: i64) -> String {
    match backend {
        Backend::Sqlite => format!("(WITH RECURSIVE s(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM s WHERE n < {hi}) SELECT n FROM s) AS s"),
        Backend::Postgres => format!("generate_series({lo}::bigint, {hi}::bigint) AS s(n)"),
    }
}

/// Runs one statement of SQL text.
pub(super) async fn exec(store: &Store, sql: &str) -> anyhow::Result<()> {
    store.pool().execute(sql).await?;
    Ok(())
}
