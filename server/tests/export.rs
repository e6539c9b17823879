//! `GET /purchase-orders/export.csv` on SQLite and PostgreSQL: one row per
//! PO (or line) of the filtered list, read back by a CSV library with the
//! same values, formula cells neutralised, 401 without a session or token.

mod common;

use common::TestServer;
use domain::users::Role;
use serde_json::json;

async fn csv_of(s: &TestServer, query: &str) -> (reqwest::header::HeaderMap, Vec<csv::StringRecord>) {
    let res = s
        .http
        .get(format!("{}/purchase-orders/export.csv{query}", s.base))
        .bearer_auth(&s.tokens[&Role::Viewer])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{query}");
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    (headers, r.records().map(|r| r.unwrap()).collect())
}

domain::both_backends!(the_export_is_the_filtered_list_as_csv);
async fn the_export_is_the_filtered_list_as_csv(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let evil = s.ok(Role::Admin, "companies/create", json!({"name": "=HYPERLINK(\"http://x\",\"y\")"})).await["id"].clone();
    let plain = s.ok(Role::Admin, "companies/create", json!({"name": "Harbor, Dental \"North\""})).await["id"].clone();
    let vendor = s.ok(Role::Admin, "vendors/create", json!({"name": "CDW"})).await["id"].clone();
    let mut numbers = Vec::new();
    for (company, lines) in [
        (&evil, json!([{"description": "+SUM(A1:A9)", "quantity": 2, "unit_cost_cents": 12_345}])),
        (
            &plain,
            json!([{"description": "Laptop, 14\"", "quantity": 1, "unit_cost_cents": 99_999}, {"description": "Dock", "quantity": 3, "unit_cost_cents": 5_000}]),
        ),
        (&plain, json!([{"description": "Cable", "quantity": 10, "unit_cost_cents": 500}])),
    ] {
        let po = s
            .ok(
                Role::Technician,
                "purchase-orders/create",
                json!({"vendor_id": vendor, "company_id": company, "lines": lines, "submit": false}),
            )
            .await;
        numbers.push(po["number"].as_str().unwrap().to_string());
    }
    let (headers, rows) = csv_of(&s, "").await;
    let disposition = headers["content-disposition"].to_str().unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(disposition, format!("attachment; filename=\"purchase-orders-{today}.csv\""));
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(&rows[0][0], "number");
    assert_eq!(rows.len(), 1 + 3, "a header and one row per PO");
    // Newest first, as the list.
    let listed = s.ok(Role::Viewer, "purchase-orders/list", json!({})).await;
    let listed: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap()).collect();
    let exported: Vec<&str> = rows[1..].iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(exported, listed);
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let first = rows.iter().find(|r| r[0] == numbers[0]).unwrap();
    assert_eq!(&first[col("company")], "'=HYPERLINK(\"http://x\",\"y\")", "a formula cell is neutralised");
    assert_eq!((&first[col("total")], &first[col("currency")]), ("246.90", "USD"));
    assert_eq!(&first[col("status")], "draft");
    let second = rows.iter().find(|r| r[0] == numbers[1]).unwrap();
    assert_eq!(&second[col("company")], "Harbor, Dental \"North\"", "quotes and commas read back as they were");
    assert_eq!(&second[col("total")], "1149.99");

    // The list's filters: a company.
    let (_, rows) = csv_of(&s, &format!("?company_id={plain}")).await;
    assert_eq!(rows.len(), 1 + 2);
    // One row per line.
    let (_, rows) = csv_of(&s, &format!("?company_id={plain}&lines=1")).await;
    assert_eq!(rows.len(), 1 + 3);
    assert_eq!(&rows[0][7], "description");
    let laptop = rows.iter().find(|r| r[7].starts_with("Laptop")).unwrap();
    assert_eq!((&laptop[7], &laptop[9], &laptop[11], &laptop[12]), ("Laptop, 14\"", "1", "999.99", "999.99"));
    let (_, rows) = csv_of(&s, &format!("?company_id={evil}&lines=1")).await;
    assert_eq!(&rows[1][7], "'+SUM(A1:A9)");
    // A search and a date range.
    let (_, rows) = csv_of(&s, "?q=cable").await;
    assert_eq!(rows.len(), 2);
    let (_, rows) = csv_of(&s, "?from=2000-01-01&to=2000-12-31").await;
    assert_eq!(rows.len(), 1, "only the header");
    let (_, rows) = csv_of(&s, &format!("?from={today}&to={today}")).await;
    assert_eq!(rows.len(), 4);

    // Bad filters name the field; no session or token is a 401 (JSON, not a redirect).
    let res = s
        .http
        .get(format!("{}/purchase-orders/export.csv?from=yesterday", s.base))
        .bearer_auth(&s.tokens[&Role::Viewer])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["field"], "from");
    let res = s.http.get(format!("{}/purchase-orders/export.csv", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "unauthenticated");
    // A browser session works too.
    let browser = s.browser("viewer@msp.test").await;
    let res = browser.get(format!("{}/purchase-orders/export.csv", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap().lines().count(), 4);
}

domain::both_backends!(the_spend_report_agrees_with_the_pos_it_covers);
async fn the_spend_report_agrees_with_the_pos_it_covers(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let a = s.ok(Role::Admin, "companies/create", json!({"name": "Alpha"})).await["id"].clone();
    let b = s.ok(Role::Admin, "companies/create", json!({"name": "Beta"})).await["id"].clone();
    let cdw = s.ok(Role::Admin, "vendors/create", json!({"name": "CDW"})).await["id"].clone();
    let ing = s.ok(Role::Admin, "vendors/create", json!({"name": "Ingram"})).await["id"].clone();
    // Approved at once (under $500), waiting (over it), and one cancelled after approval.
    for (company, vendor, qty, cents) in [(&a, &cdw, 2, 10_000), (&a, &ing, 1, 30_000), (&b, &cdw, 3, 5_000), (&b, &ing, 10, 40_000)] {
        s.ok(
            Role::Technician,
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "x", "quantity": qty, "unit_cost_cents": cents}], "submit": true}),
        )
        .await;
    }
    let gone = s
        .ok(
            Role::Technician,
            "purchase-orders/create",
            json!({"vendor_id": cdw, "company_id": b, "lines": [{"description": "y", "quantity": 1, "unit_cost_cents": 7_700}], "submit": true}),
        )
        .await;
    s.ok(
        Role::Technician,
        "purchase-orders/cancel",
        json!({"id": gone["id"], "reason": "changed our mind"}),
    )
    .await;
    let by_company = s.ok(Role::Viewer, "reports/spend", json!({"group_by": "company"})).await;
    for (company, expected) in [(&a, 50_000), (&b, 15_000)] {
        let row = by_company["rows"].as_array().unwrap().iter().find(|r| r["key"] == *company).unwrap();
        assert_eq!(row["committed_cents"], expected);
        let listed = s.ok(Role::Viewer, "purchase-orders/list", json!({"company_id": company})).await;
        assert_eq!(listed["committed_cents"], expected, "the list's committed total agrees");
    }
    assert_eq!(by_company["total_cents"], 65_000);
    let by_vendor = s.ok(Role::Viewer, "reports/spend", json!({"group_by": "vendor"})).await;
    let cdw_row = by_vendor["rows"].as_array().unwrap().iter().find(|r| r["key"] == cdw).unwrap();
    assert_eq!((cdw_row["committed_cents"].as_i64(), cdw_row["po_count"].as_i64()), (Some(35_000), Some(2)));
    let by_month = s.ok(Role::Viewer, "reports/spend", json!({"group_by": "month"})).await;
    assert_eq!(by_month["rows"].as_array().unwrap().len(), 12);
    assert_eq!(by_month["total_cents"], 65_000);
    let (status, e) = s.call(Some(Role::Viewer), "reports/spend", json!({"group_by": "week"})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("group_by")));
    let (status, _) = s.call(None, "reports/spend", json!({"group_by": "month"})).await;
    assert_eq!(status, 401);
}
