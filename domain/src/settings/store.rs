use super::{Settings, SettingsUpdate};
use crate::store::to_bool;
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

impl Store {
    pub async fn settings(&self) -> Result<Settings> {
        let r = sqlx::query_as::<_, SettingsRow>(
            "SELECT auto_approve_limit_cents, require_signature, qbo_auto_push, currency, pax8_preflight, allow_self_approval, second_approval_limit_cents, session_idle_hours FROM settings WHERE id = 1",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(r.into_model())
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
