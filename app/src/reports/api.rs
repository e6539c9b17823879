use crate::error::ApiError;
use domain::reports::SpendReport;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Spend per month, company or vendor (or month and one of them), in a
/// range of months (default: the last twelve).
#[server(endpoint = "reports/spend", input = Json, output = Json)]
pub async fn get_spend(
    from: Option<String>,
    to: Option<String>,
    group_by: String,
    company_id: Option<i64>,
    vendor_id: Option<i64>,
) -> Result<SpendReport, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let q = domain::reports::spend_query(from.as_deref(), to.as_deref(), &group_by, company_id, vendor_id, &this_month)?;
    Ok(st.store.spend(&q).await?)
}
