//! The two migration folders cannot drift: both databases, migrated, have
//! the same tables, columns and indexes, but for the differences each
//! dialect needs (listed here, with why).

use crate::testing::store;
use crate::Store;
use sqlx::Row;
use std::collections::BTreeSet;

/// `table.column` for every column, and `index:name` for every index made
/// by a migration (not the ones a primary key or UNIQUE makes by itself).
async fn shape(s: &Store) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match s.backend() {
        crate::store::Backend::Sqlite => {
            let tables = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'")
                .fetch_all(s.pool())
                .await
                .unwrap();
            for t in tables {
                let name: String = t.try_get("name").unwrap();
                let cols = sqlx::query(&format!("SELECT name FROM pragma_table_info('{name}')"))
                    .fetch_all(s.pool())
                    .await
                    .unwrap();
                for c in cols {
                    out.insert(format!("{name}.{}", c.try_get::<String, _>("name").unwrap()));
                }
            }
            let idx = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                .fetch_all(s.pool())
                .await
                .unwrap();
            for i in idx {
                out.insert(format!("index:{}", i.try_get::<String, _>("name").unwrap()));
            }
        }
        crate::store::Backend::Postgres => {
            let cols = sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(s.pool())
            .await
            .unwrap();
            for c in cols {
                out.insert(format!("{}.{}", c.try_get::<String, _>("t").unwrap(), c.try_get::<String, _>("c").unwrap()));
            }
            let idx = sqlx::query(
                "SELECT i.indexname::text AS name FROM pg_indexes i
                 WHERE i.schemaname = current_schema() AND i.tablename NOT LIKE '_sqlx%'
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)",
            )
            .fetch_all(s.pool())
            .await
            .unwrap();
            for i in idx {
                out.insert(format!("index:{}", i.try_get::<String, _>("name").unwrap()));
            }
        }
    }
    out
}

/// PostgreSQL's own: the trigram index that serves `q` (SQLite: po_search).
const POSTGRES_ONLY: [&str; 1] = ["index:po_search_trgm"];

#[tokio::test]
async fn both_migration_folders_make_the_same_schema() {
    let (sqlite, postgres) = (shape(&store("sqlite").await).await, shape(&store("postgres").await).await);
    // What each dialect needs on its own: SQLite searches POs through an
    // FTS5 trigram table (po_search and the shadow tables FTS5 keeps),
    // PostgreSQL through a pg_trgm index on the same text (migration 0007).
    let sqlite_only = |x: &String| x.starts_with("po_search");
    let postgres_only = |x: &String| POSTGRES_ONLY.contains(&x.as_str());
    let sqlite: BTreeSet<String> = sqlite.into_iter().filter(|x| !sqlite_only(x)).collect();
    let postgres: BTreeSet<String> = postgres.into_iter().filter(|x| !postgres_only(x)).collect();
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!(only(&sqlite, &postgres), Vec::<String>::new(), "only on SQLite");
    assert_eq!(only(&postgres, &sqlite), Vec::<String>::new(), "only on PostgreSQL");
}

/// The migrations up to `version` alone, from a copy of this backend's folder.
async fn migrate_until(s: &Store, version: i64) {
    let dialect = match s.backend() {
        crate::store::Backend::Sqlite => "sqlite",
        crate::store::Backend::Postgres => "postgres",
    };
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(dialect);
    let to = std::env::temp_dir().join(format!("nexos-migrations-{dialect}-{version}-{}", std::process::id()));
    std::fs::create_dir_all(&to).unwrap();
    for f in std::fs::read_dir(&from).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().into_string().unwrap();
        if name[..4].parse::<i64>().unwrap() <= version {
            std::fs::copy(f.path(), to.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(to.as_path()).await.unwrap().run(s.pool()).await.unwrap();
    std::fs::remove_dir_all(&to).unwrap();
}

// A server upgraded with notifications already sent: SQLite rebuilds the
// notifications table (to make its PO optional) under the deliveries that
// reference it; every row keeps its id and its deliveries.
crate::both_backends!(notifications_survive_the_renewal_notices_migration);
async fn notifications_survive_the_renewal_notices_migration(b: &'static str) {
    let url = crate::testing::fresh_database_url(b).await;
    let s = Store::open(&url, 4).await.unwrap();
    migrate_until(&s, 21).await;
    let f = crate::fixtures::purchase_orders::fixture_in(s.clone()).await;
    f.s.create_user(crate::testing::new_user("second@x.test", crate::users::Role::Approver))
        .await
        .unwrap();
    let po =
        f.s.create_po(&f.tech, &crate::fixtures::purchase_orders::input(&f, 2, 40_000), true)
            .await
            .unwrap();
    let count = |sql: &'static str| {
        let s = s.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(s.pool()).await.unwrap() }
    };
    let (notifications, deliveries) = (
        count("SELECT COUNT(*) FROM notifications").await,
        count("SELECT COUNT(*) FROM deliveries").await,
    );
    assert!(notifications >= 1 && deliveries >= 2, "{b}: {notifications} {deliveries}");
    s.migrate().await.unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM notifications").await, notifications, "{b}");
    assert_eq!(
        count("SELECT COUNT(*) FROM deliveries d JOIN notifications n ON n.id = d.notification_id").await,
        deliveries,
        "{b}: every delivery still finds its notification"
    );
    if s.backend() == crate::store::Backend::Sqlite {
        let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(s.pool()).await.unwrap();
        assert!(broken.is_empty(), "{b}: {} broken references", broken.len());
    }
    let d = s.deliveries(None, 10).await.unwrap();
    assert!(d.iter().all(|d| d.po_id == Some(po.id) && d.about == po.number), "{b}: {d:?}");
    // New notifications take ids after the old ones.
    let before: i64 = count("SELECT MAX(id) FROM notifications").await;
    f.s.create_po(&f.tech, &crate::fixtures::purchase_orders::input(&f, 3, 40_000), true)
        .await
        .unwrap();
    assert!(count("SELECT MAX(id) FROM notifications").await > before, "{b}");
}
