use crate::error::ApiError;
use domain::users::{ApiToken, CreatedToken, User};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<domain::users::Role, ApiError> {
    domain::users::Role::parse(role.trim())
        .ok_or_else(|| domain::Error::validation("role", "Role must be one of admin, approver, purchaser, technician, viewer.").into())
}

#[server(endpoint = "users/list", input = Json, output = Json)]
pub async fn list_users() -> Result<Vec<User>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st.store.list_users().await?)
}

#[server(endpoint = "users/create", input = Json, output = Json)]
pub async fn create_user(email: String, name: String, password: String, role: String) -> Result<User, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let role = parse_role(&role)?;
    let user = st.store.create_user(domain::users::NewUser { email, name, password, role }).await?;
    tracing::info!(by = admin.id, user_id = user.id, role = %user.role, "user created");
    Ok(user)
}

#[server(endpoint = "users/update", input = Json, output = Json)]
pub async fn update_user(id: i64, name: Option<String>, role: Option<String>, active: Option<bool>, password: Option<String>) -> Result<User, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let role = role.as_deref().map(parse_role).transpose()?;
    let user = st
        .store
        .update_user(&admin, id, domain::users::UserUpdate { name, role, active, password })
        .await?;
    tracing::info!(by = admin.id, user_id = user.id, "user updated");
    Ok(user)
}

/// A new API token, from a signed-in session only: a token cannot mint
/// more tokens (403).
#[server(endpoint = "tokens/create", input = Json, output = Json)]
pub async fn create_token(name: String, expires_in_days: Option<i64>) -> Result<CreatedToken, ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    if crate::context::by_token() {
        return Err(domain::Error::forbidden("create API tokens with a token (sign in and create it in the browser)").into());
    }
    let t = st.store.create_token(user.id, &name, expires_in_days).await?;
    tracing::info!(user_id = user.id, token_id = t.id, "API token created");
    Ok(t)
}

/// The caller's tokens; `all` (admins): everyone's.
#[server(endpoint = "tokens/list", input = Json, output = Json)]
pub async fn list_tokens(all: Option<bool>) -> Result<Vec<ApiToken>, ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    if all == Some(true) {
        user.require(domain::users::Permission::Admin)?;
        return Ok(st.store.list_tokens(None).await?);
    }
    Ok(st.store.list_tokens(Some(user.id)).await?)
}

#[server(endpoint = "tokens/revoke", input = Json, output = Json)]
pub async fn revoke_token(id: i64) -> Result<(), ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    Ok(st.store.revoke_token(&user, id).await?)
}
