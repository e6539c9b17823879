use super::{Settings, SettingsUpdate};
use crate::store::{to_bool, Tx};
use crate::{Result, Store};

/// The one settings row; booleans are stored as 0/1.
#[derive(sqlx::FromRow)]
struct SettingsRow {
    auto_approve_limit_cents: i64,
    require_signature: i64,
    qbo_auto_push: i64,
    currency: String,
    pax8_preflight: i64,
    allow_self_approval: i64,
    second_approval_limit_cents: i64,
    session_idle_hours: i64,
}

impl SettingsRow {
    fn into_model(self) -> Settings {
        Settings {
            auto_approve_limit_cents: self.auto_approve_limit_cents,
            require_signature: to_bool(self.require_signature),
            qbo_auto_push: to_bool(self.qbo_auto_push),
            currency: self.currency,
            pax8_preflight: to_bool(self.pax8_preflight),
            allow_self_approval: to_bool(self.allow_self_approval),
            second_approval_limit_cents: self.second_approval_limit_cents,
            session_idle_hours: self.session_idle_hours,
        }
    }
}

const SELECT: &str = "SELECT auto_approve_limit_cents, require_signature, qbo_auto_push, currency, pax8_preflight, allow_self_approval,
    second_approval_limit_cents, session_idle_hours FROM settings WHERE id = 1";

/// The QuickBooks columns of the settings row (all nullable: unset until
/// an admin maps them and QuickBooks is connected).
#[derive(sqlx::FromRow)]
struct QboSettingsRow {
    qbo_ap_account_id: Option<String>,
    qbo_expense_account_id: Option<String>,
    qbo_tax_code_id: Option<String>,
    qbo_country: Option<String>,
    qbo_home_currency: Option<String>,
    qbo_multicurrency: Option<i64>,
    qbo_company_read_at: Option<String>,
}

impl Store {
    pub async fn settings(&self) -> Result<Settings> {
        Ok(sqlx::query_as::<_, SettingsRow>(SELECT).fetch_one(self.pool()).await?.into_model())
    }

    /// The settings inside a change's transaction (they hold for the change
    /// as it is decided).
    pub(crate) async fn settings_in(tx: &mut Tx) -> Result<Settings> {
        Ok(sqlx::query_as::<_, SettingsRow>(SELECT).fetch_one(&mut **tx).await?.into_model())
    }

    pub async fn update_settings(&self, upd: &SettingsUpdate) -> Result<Settings> {
        upd.validated()?;
        self.execute_write(
            sqlx::query(
                "UPDATE settings SET auto_approve_limit_cents = COALESCE($1, auto_approve_limit_cents),
                require_signature = COALESCE($2, require_signature), qbo_auto_push = COALESCE($3, qbo_auto_push),
                pax8_preflight = COALESCE($4, pax8_preflight), allow_self_approval = COALESCE($5, allow_self_approval),
                second_approval_limit_cents = COALESCE($6, second_approval_limit_cents),
                session_idle_hours = COALESCE($7, session_idle_hours) WHERE id = 1",
            )
            .bind(upd.auto_approve_limit_cents)
            .bind(upd.require_signature.map(i64::from))
            .bind(upd.qbo_auto_push.map(i64::from))
            .bind(upd.pax8_preflight.map(i64::from))
            .bind(upd.allow_self_approval.map(i64::from))
            .bind(upd.second_approval_limit_cents)
            .bind(upd.session_idle_hours),
        )
        .await?;
        self.settings().await
    }

    /// Above this total a PO needs two approvals (0: never), in `tx`.
    pub(crate) async fn second_approval_limit(tx: &mut Tx) -> Result<i64> {
        Ok(Self::settings_in(tx).await?.second_approval_limit_cents)
    }

    /// The QuickBooks columns: accounts mapped and the company's setup.
    pub(crate) async fn qbo_settings(&self) -> Result<QboSettings> {
        let r = sqlx::query_as::<_, QboSettingsRow>(
            "SELECT qbo_ap_account_id, qbo_expense_account_id, qbo_tax_code_id, qbo_country, qbo_home_currency, qbo_multicurrency, qbo_company_read_at
             FROM settings WHERE id = 1",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(QboSettings {
            ap_account_id: r.qbo_ap_account_id,
            expense_account_id: r.qbo_expense_account_id,
            tax_code_id: r.qbo_tax_code_id,
            country: r.qbo_country,
            home_currency: r.qbo_home_currency,
            multicurrency: r.qbo_multicurrency.map(to_bool),
            company_read_at: r.qbo_company_read_at,
        })
    }

    /// Sets the accounts QuickBooks' POs are booked to (`None` clears one).
    pub(crate) async fn set_qbo_accounts(&self, ap: Option<String>, expense: Option<String>, tax_code: Option<String>) -> Result<()> {
        self.execute_write(
            sqlx::query("UPDATE settings SET qbo_ap_account_id = $1, qbo_expense_account_id = $2, qbo_tax_code_id = $3 WHERE id = 1")
                .bind(ap)
                .bind(expense)
                .bind(tax_code),
        )
        .await?;
        Ok(())
    }

    /// Keeps the connected company's setup as read at `read_at` (all `None`
    /// forgets it).
    pub(crate) async fn set_qbo_company(&self, company: Option<(&str, &str, bool, &str)>) -> Result<()> {
        self.execute_write(
            sqlx::query("UPDATE settings SET qbo_country = $1, qbo_home_currency = $2, qbo_multicurrency = $3, qbo_company_read_at = $4 WHERE id = 1")
                .bind(company.map(|c| c.0.to_string()))
                .bind(company.map(|c| c.1.to_string()))
                .bind(company.map(|c| i64::from(c.2)))
                .bind(company.map(|c| c.3.to_string())),
        )
        .await?;
        Ok(())
    }
}

/// The QuickBooks columns of the settings row, as stored.
pub(crate) struct QboSettings {
    pub ap_account_id: Option<String>,
    pub expense_account_id: Option<String>,
    pub tax_code_id: Option<String>,
    pub country: Option<String>,
    pub home_currency: Option<String>,
    pub multicurrency: Option<bool>,
    pub company_read_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::testing::store;

    crate::both_backends!(settings_update_only_what_is_given);
    async fn settings_update_only_what_is_given(b: &'static str) {
        let s = store(b).await;
        let before = s.settings().await.unwrap();
        assert_eq!(before.auto_approve_limit_cents, 50000);
        let after = s
            .update_settings(&super::SettingsUpdate {
                require_signature: Some(true),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(after.require_signature);
        assert!(!after.allow_self_approval, "{b}: self-approval is off by default");
        assert_eq!(after.auto_approve_limit_cents, 50000);
        assert!(s
            .update_settings(&super::SettingsUpdate {
                auto_approve_limit_cents: Some(-5),
                ..Default::default()
            })
            .await
            .is_err());
        assert_eq!(s.settings().await.unwrap(), after, "{b}: a refused update changes nothing");
    }
}
