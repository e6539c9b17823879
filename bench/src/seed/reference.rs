//! The reference data: staff, companies with tickets and projects, vendors
//! and a catalog.

use super::sql::{exec, q};
use super::{Plan, PER_VENDOR, STAFF};
use domain::store::Backend;
use domain::Store;
use sqlx::Executor;

pub(super) const VENDORS: &[(&str, Option<&str>)] = &[
    ("Pax8", Some("pax8")),
    ("Ingram Micro", Some("ingram_micro")),
    ("TD SYNNEX", Some("td_synnex")),
    ("CDW", None),
    ("Dell Technologies", None),
    ("Lenovo", None),
    ("Insight", None),
    ("SHI International", None),
    ("Ubiquiti", None),
    ("Amazon Business", None),
    ("B&H Photo", None),
    ("Staples Business", None),
];

const PRODUCTS: &[&str] = &[
    "Microsoft 365 Business Premium",
    "Exchange Online Plan 1",
    "Defender for Business",
    "Latitude 5450 laptop",
    "ThinkPad T14 Gen 5",
    "27in USB-C monitor",
    "Dock WD22TB4",
    "UniFi U7 Pro access point",
    "24-port PoE switch",
    "Backup appliance 8TB",
];

const FIRST: &[&str] = &[
    "Harbor",
    "Summit",
    "Northwind",
    "Bluebird",
    "Cedar",
    "Granite",
    "Lakeside",
    "Maple",
    "Oakridge",
    "Pioneer",
    "Redwood",
    "Silverline",
    "Tidewater",
    "Union",
    "Valley",
    "Westfield",
];
const SECOND: &[&str] = &[
    "Dental",
    "Logistics",
    "Law Group",
    "Clinic",
    "Accounting",
    "Realty",
    "Builders",
    "Foods",
    "Schools",
    "Studios",
];
const TICKETS: &[&str] = &[
    "Laptop for new hire",
    "Replace failing switch",
    "Wi-Fi dead spot in warehouse",
    "Licences for seasonal staff",
    "Monitor upgrade, front desk",
    "Backup target full",
];
const PROJECTS: &[&str] = &["Office move", "Microsoft 365 migration", "Network refresh", "Server retirement"];

/// Reference data; returns the password hash used for staff (the admin's).
pub async fn reference(store: &Store, plan: &Plan, admin_id: i64) -> anyhow::Result<()> {
    let b = store.backend();
    let now = domain::clock::now();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(admin_id)
        .fetch_one(store.pool())
        .await?;
    let mut tx = store.pool().begin().await?;
    let mut rows = Vec::new();
    for i in 0..STAFF {
        let (role, name) = match i {
            0..4 => ("approver", format!("Approver {}", i + 1)),
            4..8 => ("purchaser", format!("Purchaser {}", i - 3)),
            _ => ("technician", format!("Technician {}", i - 7)),
        };
        rows.push(format!(
            "({}, {}, {}, {}, 1, {}, {})",
            i + 2,
            q(&format!("staff{}@bench.msp", i + 1)),
            q(&name),
            q(role),
            q(&hash),
            q(&now)
        ));
    }
    tx.execute(
        format!(
            "INSERT INTO users (id, email, name, role, active, password_hash, created_at) VALUES {}",
            rows.join(",")
        )
        .as_str(),
    )
    .await?;
    for table_rows in [
        (0..plan.companies)
            .map(|c| {
                let name = format!(
                    "{} {} {}",
                    FIRST[(c as usize) % FIRST.len()],
                    SECOND[(c as usize / FIRST.len()) % SECOND.len()],
                    c + 1
                );
                format!("({}, {}, {}, {})", c + 1, q(&name), q(&format!("pax8-c-{}", c + 1)), q(&now))
            })
            .collect::<Vec<_>>()
            .chunks(1000)
            .map(|c| format!("INSERT INTO companies (id, name, pax8_company_id, created_at) VALUES {}", c.join(",")))
            .collect::<Vec<_>>(),
        (0..plan.companies * 10)
            .map(|t| {
                format!(
                    "({}, {}, {}, {})",
                    t + 1,
                    t % plan.companies + 1,
                    q(&format!("{} #{}", TICKETS[(t as usize) % TICKETS.len()], t + 1)),
                    q(&now)
                )
            })
            .collect::<Vec<_>>()
            .chunks(1000)
            .map(|c| format!("INSERT INTO tickets (id, company_id, title, created_at) VALUES {}", c.join(",")))
            .collect(),
        (0..plan.companies * 2)
            .map(|p| {
                format!(
                    "({}, {}, {}, {})",
                    p + 1,
                    p % plan.companies + 1,
                    q(&format!("{} {}", PROJECTS[(p as usize) % PROJECTS.len()], p + 1)),
                    q(&now)
                )
            })
            .collect::<Vec<_>>()
            .chunks(1000)
            .map(|c| format!("INSERT INTO projects (id, company_id, name, created_at) VALUES {}", c.join(",")))
            .collect(),
    ] {
        for sql in table_rows {
            tx.execute(sql.as_str()).await?;
        }
    }
    let vendors: Vec<String> = VENDORS
        .iter()
        .enumerate()
        .map(|(i, (name, dist))| format!("({}, {}, {}, {})", i + 1, q(name), dist.map(q).unwrap_or_else(|| "NULL".into()), q(&now)))
        .collect();
    tx.execute(format!("INSERT INTO vendors (id, name, distributor, created_at) VALUES {}", vendors.join(",")).as_str())
        .await?;
    let mut products = Vec::new();
    for v in 0..VENDORS.len() as i64 {
        for k in 0..PER_VENDOR {
            let id = v * PER_VENDOR + k + 1;
            // At least $120 a unit, so that five lines are over the default auto-approve limit.
            let cost = 12_000 + (id * 7919) % 240_000;
            let pax8 = v == 0;
            products.push(format!(
                "({id}, {}, {}, {}, {cost}, {}, {}, {}, {})",
                v + 1,
                q(PRODUCTS[k as usize]),
                q(&format!("SKU-{}-{}", v + 1, k + 1)),
                if pax8 { q(&format!("pax8-p-{}", k + 1)) } else { "NULL".into() },
                if pax8 { q("Monthly") } else { "NULL".into() },
                if pax8 { q("ct-annual") } else { "NULL".into() },
                q(&now)
            ));
        }
    }
    tx.execute(
        format!(
            "INSERT INTO products (id, vendor_id, name, sku, unit_cost_cents, distributor_product_id, billing_term, commitment_term_id, created_at) VALUES {}",
            products.join(",")
        )
        .as_str(),
    )
    .await?;
    tx.commit().await?;
    if b == Backend::Postgres {
        for t in ["users", "companies", "tickets", "projects", "vendors", "products"] {
            exec(store, &format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")).await?;
        }
    }
    Ok(())
}
