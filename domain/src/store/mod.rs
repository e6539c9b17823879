//! The store: one API over SQLite (embedded default) and PostgreSQL, chosen by
//! the database URL. Queries use sqlx's `Any` driver with `$n` placeholders,
//! which both databases accept; the few statements that differ by nature ask
//! [`Store::backend`].

pub mod follow;
pub(crate) mod integrations;
pub mod leases;
#[cfg(test)]
mod schema_tests;

use sqlx::any::{AnyArguments, AnyPoolOptions, AnyQueryResult};
use sqlx::query::Query;
use sqlx::AnyConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a writer waits for its turn before giving up (the same bound as
/// SQLite's `busy_timeout`).
const WRITE_WAIT: Duration = Duration::from_secs(15);

/// A transaction that will write. On SQLite it also holds the process's
/// turn in the writers' queue until it ends; `&mut *tx` is its connection.
pub struct Tx {
    // Dropped first: an unfinished transaction asks for its rollback, then
    // the turn passes on. The rollback runs on the connection's thread soon
    // after; a writer that comes in before it ends waits in SQLite's busy
    // handler (`busy_timeout`), which stays set for that and for other
    // processes writing to the same file.
    tx: Transaction<'static, Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's writers, queued in arrival order (SQLite has one writer; its
    /// busy handler would make them retry in growing sleeps instead).
    writers: Option<Arc<Mutex<()>>>,
    /// What other modules keep per store (the users' caller cache and
    /// Argon2 gate), without the store knowing their types.
    extensions: Arc<Extensions>,
}

/// State kept per store by type (see [`Store::extension`]).
#[derive(Default)]
struct Extensions(std::sync::Mutex<std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>);

/// The target of the event every transaction the store begins emits (one
/// per transaction, for counting what a request costs; see the server's
/// statement counter).
pub const TRANSACTION_EVENT: &str = "nexos::transaction";

impl Store {
    /// This store's `T`, made on first use: state a module keeps per store
    /// (one server) without the store depending on that module.
    pub(crate) fn extension<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut map = self.extensions.0.lock().unwrap_or_else(|e| e.into_inner());
        let any = map.entry(std::any::TypeId::of::<T>()).or_insert_with(|| Arc::new(T::default())).clone();
        any.downcast::<T>()
            .unwrap_or_else(|_| unreachable!("an extension is stored under its own type"))
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Store {
    /// Opens the database at `url` (`sqlite://path` or `postgres://...`),
    /// creating a SQLite file and its folder when missing. Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL scheme in {}", redact_url(url)).into(),
            ));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            // A SQLite connection is a file handle that cannot go stale: no
            // ping (a round trip to its worker thread) before each use.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 15000",
                            "PRAGMA synchronous = NORMAL",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let writers = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store {
            pool,
            backend,
            writers,
            extensions: Arc::default(),
        })
    }

    /// Applies the migrations of this backend.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => MIGRATE_SQLITE.run(&self.pool).await,
            Backend::Postgres => MIGRATE_POSTGRES.run(&self.pool).await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn ping(&self) -> crate::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction that will write. On SQLite it first waits for
    /// its turn among this process's writers (first come, first served, and
    /// before taking a connection, so waiting writers hold none), then takes
    /// SQLite's write lock, so that a read followed by a write never fails to
    /// upgrade; on PostgreSQL callers lock the rows they change
    /// (`SELECT ... FOR UPDATE`, see [`Store::for_update`]).
    pub async fn begin_write(&self) -> crate::Result<Tx> {
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        tracing::trace!(target: TRANSACTION_EVENT, "transaction begun");
        if self.backend == Backend::Sqlite {
            sqlx::query("UPDATE write_lock SET n = n + 1 WHERE id = 1").execute(&mut *tx).await?;
        }
        Ok(Tx { tx, _turn: turn })
    }

    /// Runs one statement that writes, outside any transaction, in its turn
    /// among this process's writers on SQLite (see [`Store::begin_write`]).
    pub async fn execute_write<'q>(&self, statement: Query<'q, Any, AnyArguments<'q>>) -> crate::Result<AnyQueryResult> {
        let _turn = self.write_turn().await?;
        Ok(statement.execute(&self.pool).await?)
    }

    /// This writer's turn on SQLite (first come, first served); nothing to
    /// wait for on PostgreSQL.
    pub(crate) async fn write_turn(&self) -> crate::Result<Option<OwnedMutexGuard<()>>> {
        match &self.writers {
            Some(queue) => {
                Ok(Some(tokio::time::timeout(WRITE_WAIT, queue.clone().lock_owned()).await.map_err(|_| {
                    crate::Error::new(crate::ErrorCode::Internal, "The database is busy; try again in a moment.")
                })?))
            }
            None => Ok(None),
        }
    }

    /// The FTS5 query of a text search on SQLite, whose trigram index
    /// (`po_search`) finds the candidates ([`fts_trigrams`]); `None` on
    /// PostgreSQL, whose pg_trgm index serves the `LIKE` itself.
    pub(crate) fn trigram_match(&self, q: &str) -> Option<String> {
        match self.backend {
            Backend::Sqlite => fts_trigrams(q),
            Backend::Postgres => None,
        }
    }

    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite (whose write lock is
    /// already held by [`Store::begin_write`]).
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
}

/// `sqlite://data/nexos.db` → the same with `mode=rwc`, its folder created.
fn sqlite_url(url: &str) -> Result<String, sqlx::Error> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| sqlx::Error::Configuration(format!("cannot create {}: {e}", parent.display()).into()))?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// A URL without its password, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// True when a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// `%`, `_` and `\` in user text are matched literally by `LIKE ... ESCAPE '\'`.
pub fn like_pattern(q: &str) -> String {
    let mut s = String::from("%");
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// An FTS5 query for a trigram index that matches the rows holding every
/// three-character piece of `q` (each quoted, so taken literally); `None`
/// under three characters, which a trigram index cannot look up. A match is
/// a candidate: [`like_pattern`] confirms the pieces are in one run.
pub fn fts_trigrams(q: &str) -> Option<String> {
    let chars: Vec<char> = q.trim().to_lowercase().chars().collect();
    let mut seen = std::collections::HashSet::new();
    let pieces: Vec<String> = chars
        .windows(3)
        .map(|w| w.iter().collect::<String>())
        .filter(|t| seen.insert(t.clone()))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    (!pieces.is_empty()).then(|| pieces.join(" "))
}

pub fn affected(r: &AnyQueryResult) -> u64 {
    r.rows_affected()
}

pub fn to_bool(v: i64) -> bool {
    v != 0
}

/// `SELECT` of the rows of `source` (aliased `x`) as one JSON array of
/// objects with `fields`, in `order`: one row to hand over instead of many
/// (sqlx passes each row of a SQLite result between threads on its own).
pub(crate) fn json_rows_sql(backend: Backend, fields: &[&str], source: &str, order: &str) -> String {
    let named: Vec<(&str, String)> = fields.iter().map(|f| (*f, format!("x.{f}"))).collect();
    json_objects_sql(backend, &named, source, order)
}

/// [`json_rows_sql`] with each field's SQL expression given (`("name",
/// "pr.name")`), for rows joined from several tables.
pub(crate) fn json_objects_sql<S: AsRef<str>>(backend: Backend, fields: &[(&str, S)], source: &str, order: &str) -> String {
    let pairs = fields
        .iter()
        .map(|(name, expr)| format!("'{name}', {}", expr.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    match backend {
        Backend::Sqlite => format!("SELECT json_group_array(json_object({pairs}) ORDER BY {order}) FROM {source}"),
        Backend::Postgres => format!("SELECT COALESCE(json_agg(json_build_object({pairs}) ORDER BY {order}), '[]')::text FROM {source}"),
    }
}

/// A value bound to a query built from optional pieces.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

/// The `$n` placeholders of a query built from optional pieces, each with
/// its value: `add` hands out the next placeholder and keeps the value, so
/// the numbering and the binding cannot drift apart.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<Param>);

impl Params {
    /// Keeps `value`; returns its placeholder (`$1`, `$2`, …).
    pub(crate) fn add(&mut self, value: Param) -> String {
        self.0.push(value);
        format!("${}", self.0.len())
    }

    /// The placeholder the next value will get.
    pub(crate) fn next_placeholder(&self) -> String {
        format!("${}", self.0.len() + 1)
    }

    /// The values, in placeholder order.
    pub(crate) fn values(&self) -> &[Param] {
        &self.0
    }

    /// Binds `values` to a scalar query, in order.
    pub(crate) fn bind_to<'q, O>(
        values: &[Param],
        mut q: sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for v in values {
            q = match v {
                Param::Int(i) => q.bind(*i),
                Param::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }

    /// Binds `values` to a query that returns rows or changes them, in order.
    pub(crate) fn bind_query<'q>(values: &[Param], mut q: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
        for v in values {
            q = match v {
                Param::Int(i) => q.bind(*i),
                Param::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }
}

/// `n` rows of `width` placeholders each, numbered in order:
/// `($1, $2), ($3, $4)` for a multi-row INSERT; `fixed` is spliced in each
/// row at the given position (a literal such as `0`).
pub(crate) fn row_placeholders(n: usize, width: usize, fixed: Option<(usize, &str)>) -> String {
    (0..n)
        .map(|r| {
            let mut cells: Vec<String> = (1..=width).map(|k| format!("${}", r * width + k)).collect();
            if let Some((at, lit)) = fixed {
                cells.insert(at, lit.to_string());
            }
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads stored JSON of `what`; a row that does not read is an error, never
/// a silent default.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> crate::Result<T> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, what, "stored JSON did not read back");
        crate::Error::internal()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut p = Params::default();
        assert_eq!(
            (p.add(Param::Int(1)), p.add(Param::Text("x".into())), p.next_placeholder()),
            ("$1".into(), "$2".into(), "$3".into())
        );
        assert_eq!(p.values().len(), 2);
        assert_eq!(row_placeholders(2, 2, Some((1, "0"))), "($1, 0, $2), ($3, 0, $4)");
        assert_eq!(row_placeholders(1, 3, None), "($1, $2, $3)");
    }

    #[test]
    fn trigram_queries_quote_every_piece() {
        assert_eq!(fts_trigrams(" ab "), None);
        assert_eq!(fts_trigrams("Dell").as_deref(), Some(r#""del" "ell""#));
        assert_eq!(fts_trigrams("a\"b\"a\"b").as_deref(), Some(r#""a""b" """b""" "b""a" """a""""#));
    }

    #[test]
    fn urls() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(like_pattern(" 50%_off "), "%50\\%\\_off%");
    }

    /// SQLite's writers take turns in arrival order: the second waits for the
    /// first to end, and gets its turn (and a connection) when it does.
    #[tokio::test]
    async fn sqlite_writers_take_turns() {
        let s = crate::testing::store("sqlite").await;
        let first = s.begin_write().await.unwrap();
        let s2 = s.clone();
        let mut second = tokio::spawn(async move {
            let mut tx = s2.begin_write().await.unwrap();
            sqlx::query("UPDATE write_lock SET n = n + 100 WHERE id = 1").execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut second).await.is_err(),
            "the second writer went ahead while the first held its turn"
        );
        // The waiting writer holds no connection (without the queue it would
        // hold one, sleeping in SQLite's busy handler).
        let in_use = s.pool().size() as usize - s.pool().num_idle();
        assert_eq!(in_use, 1, "connections in use while the second writer waits");
        first.commit().await.unwrap();
        second.await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT n FROM write_lock WHERE id = 1").fetch_one(s.pool()).await.unwrap();
        assert!(n >= 101, "{n}");
    }
}
