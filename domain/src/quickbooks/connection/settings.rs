//! What is kept beside the connection: the account mapping and the
//! connected company's setup (country, home currency, multicurrency).

use super::{Access, Qbo};
use crate::quickbooks::client::QboError;
use crate::quickbooks::{QboCompany, QboMapping};
use crate::{clock, Result};

impl Qbo {
    pub async fn mapping(&self) -> Result<QboMapping> {
        let s = self.store.qbo_settings().await?;
        Ok(QboMapping {
            ap_account_id: s.ap_account_id,
            expense_account_id: s.expense_account_id,
            tax_code_id: s.tax_code_id,
        })
    }

    /// Sets the A/P and expense accounts and the tax code (blank clears one).
    pub async fn save_mapping(&self, m: &QboMapping) -> Result<QboMapping> {
        let ap = crate::validate::optional_text("ap_account_id", m.ap_account_id.as_deref(), 50)?;
        let expense = crate::validate::optional_text("expense_account_id", m.expense_account_id.as_deref(), 50)?;
        let tax = crate::validate::optional_text("tax_code_id", m.tax_code_id.as_deref(), 50)?;
        self.store.set_qbo_accounts(ap, expense, tax).await?;
        self.mapping().await
    }

    /// The connected company's setup, as last read.
    pub async fn company(&self) -> Result<Option<QboCompany>> {
        let s = self.store.qbo_settings().await?;
        let Some(read_at) = s.company_read_at else {
            return Ok(None);
        };
        Ok(Some(QboCompany {
            country: s.country.unwrap_or_default(),
            home_currency: s.home_currency.unwrap_or_default(),
            multicurrency: s.multicurrency.unwrap_or(false),
            read_at,
        }))
    }

    pub(crate) async fn save_company(&self, c: Option<&QboCompany>) -> Result<()> {
        self.store
            .set_qbo_company(c.map(|c| (c.country.as_str(), c.home_currency.as_str(), c.multicurrency, c.read_at.as_str())))
            .await
    }

    /// Reads the company's `CompanyInfo` and `Preferences` with `access`.
    pub(crate) async fn read_company(&self, a: &Access) -> std::result::Result<(String, QboCompany), QboError> {
        let info = self.client.company_info(a.environment, &a.realm_id, &a.token).await?;
        let prefs = self.client.preferences(a.environment, &a.realm_id, &a.token).await?;
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().trim().to_string();
        let country = Some(text(&info["Country"]))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| text(&info["CompanyAddr"]["Country"]));
        let company = QboCompany {
            country: country.to_uppercase(),
            home_currency: text(&prefs["CurrencyPrefs"]["HomeCurrency"]["value"]).to_uppercase(),
            multicurrency: prefs["CurrencyPrefs"]["MultiCurrencyEnabled"].as_bool().unwrap_or(false),
            read_at: clock::now(),
        };
        Ok((text(&info["CompanyName"]), company))
    }

    /// Reads the company's setup again from QuickBooks and keeps it.
    pub async fn refresh_company(&self) -> Result<QboCompany> {
        let (_, company) = self.authed(|a| async move { self.read_company(&a).await }).await?;
        self.save_company(Some(&company)).await?;
        tracing::info!(country = %company.country, currency = %company.home_currency, multicurrency = company.multicurrency, "QuickBooks company settings read");
        Ok(company)
    }
}
