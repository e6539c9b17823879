//! What requests cost the database, counted when the server runs with
//! `NEXOS_COUNT_STATEMENTS=true` (the benchmarks' statement table and the
//! budget test; not meant for production, where it would slow every
//! statement down by formatting its log event).
//!
//! sqlx emits one `sqlx::query` event for every statement it runs, carrying
//! the rows the statement wrote (`rows_affected`) and returned
//! (`rows_returned`); the store emits one [`domain::store::TRANSACTION_EVENT`]
//! event for every transaction it begins. This layer counts them for the
//! whole process: the counts of one request are the difference before and
//! after it on a server doing nothing else (count mode starts no worker).

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer};

static STATEMENTS: AtomicU64 = AtomicU64::new(0);
static TRANSACTIONS: AtomicU64 = AtomicU64::new(0);
static ROWS_WRITTEN: AtomicU64 = AtomicU64::new(0);
static ROWS_READ: AtomicU64 = AtomicU64::new(0);

/// Counts since the process started, or between two readings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub statements: u64,
    pub transactions: u64,
    /// Rows the INSERT, UPDATE and DELETE statements wrote themselves (not
    /// the rows their triggers wrote: neither database reports those).
    pub rows_written: u64,
    pub rows_read: u64,
}

impl Totals {
    pub fn now() -> Totals {
        Totals {
            statements: STATEMENTS.load(Relaxed),
            transactions: TRANSACTIONS.load(Relaxed),
            rows_written: ROWS_WRITTEN.load(Relaxed),
            rows_read: ROWS_READ.load(Relaxed),
        }
    }

    /// What happened between `before` and this reading.
    pub fn since(self, before: Totals) -> Totals {
        Totals {
            statements: self.statements - before.statements,
            transactions: self.transactions - before.transactions,
            rows_written: self.rows_written - before.rows_written,
            rows_read: self.rows_read - before.rows_read,
        }
    }
}

/// The counting layer, with a filter of its own so that the log's filter
/// (`sqlx=warn`) still keeps statements out of the log.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    Counter.with_filter(
        Targets::new()
            .with_target("sqlx::query", Level::TRACE)
            .with_target(domain::store::TRANSACTION_EVENT, Level::TRACE),
    )
}

struct Counter;

impl<S: Subscriber> Layer<S> for Counter {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let target = event.metadata().target();
        if target == "sqlx::query" {
            let mut rows = Rows::default();
            event.record(&mut rows);
            // A new pool connection's own setup, not the request's work.
            if rows.setup {
                return;
            }
            STATEMENTS.fetch_add(1, Relaxed);
            // Both databases report a SELECT's rows as "affected" too.
            if rows.writes {
                ROWS_WRITTEN.fetch_add(rows.affected, Relaxed);
            }
            ROWS_READ.fetch_add(rows.returned, Relaxed);
        } else if target == domain::store::TRANSACTION_EVENT {
            TRANSACTIONS.fetch_add(1, Relaxed);
        }
    }
}

/// The row counts of a statement's event, and whether it writes (its
/// summary, the statement's first words, starts with INSERT, UPDATE or
/// DELETE).
#[derive(Default)]
struct Rows {
    affected: u64,
    returned: u64,
    writes: bool,
    /// A `PRAGMA`: SQLite runs a few for every connection the pool opens.
    setup: bool,
}

impl Visit for Rows {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            let first = value.split_whitespace().next().unwrap_or_default();
            self.writes = ["insert", "update", "delete"].iter().any(|w| first.eq_ignore_ascii_case(w));
            self.setup = first.eq_ignore_ascii_case("pragma");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "rows_affected" => self.affected = value,
            "rows_returned" => self.returned = value,
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// `GET /debug/statements` in count mode: the totals so far, as JSON.
pub async fn totals() -> axum::Json<Totals> {
    axum::Json(Totals::now())
}
