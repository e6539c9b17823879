use crate::error::ApiError;
use domain::users::User;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "auth/login", input = Json, output = Json)]
pub async fn login(email: String, password: String) -> Result<User, ApiError> {
    use crate::context::{client_address, set_header, state, SESSION_COOKIE};
    use domain::users::{LoginThrottle, SESSION_DAYS};
    use domain::{Error, ErrorCode};
    let st = state()?;
    if email.trim().is_empty() {
        return Err(Error::validation("email", "Enter your email.").into());
    }
    if password.is_empty() {
        return Err(Error::validation("password", "Enter your password.").into());
    }
    let address = client_address().await;
    match st.store.login(&email, &password, &address).await {
        Ok(user) => {
            let secret = st.store.create_session(user.id).await?;
            let secure = if st.secure_cookies { "; Secure" } else { "" };
            set_header(
                http::header::SET_COOKIE,
                &format!(
                    "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                    SESSION_DAYS * 86400
                ),
            );
            tracing::info!(user_id = user.id, "signed in");
            Ok(user)
        }
        Err(domain::users::LoginError::Throttled { retry_after_secs }) => {
            set_header(http::header::RETRY_AFTER, &retry_after_secs.to_string());
            tracing::warn!(%address, "sign-in refused: too many failures");
            Err(Error::new(
                ErrorCode::RateLimited,
                format!(
                    "Too many failed sign-ins ({} in a row). Try again in {retry_after_secs} seconds.",
                    LoginThrottle::MAX_FAILURES
                ),
            )
            .into())
        }
        Err(domain::users::LoginError::BadCredentials) => Err(Error::new(ErrorCode::Unauthenticated, "The email or password is not right.").into()),
    }
}

#[server(endpoint = "auth/logout", input = Json, output = Json)]
pub async fn logout() -> Result<(), ApiError> {
    use crate::context::{session_cookie, set_header, signed_in, SESSION_COOKIE};
    let (st, _user) = signed_in().await?;
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(c) = session_cookie(&parts.headers) {
            st.store.delete_session(&c).await?;
        }
    }
    set_header(
        http::header::SET_COOKIE,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(())
}

#[server(endpoint = "auth/me", input = Json, output = Json)]
pub async fn me() -> Result<User, ApiError> {
    let (_, user) = crate::context::signed_in().await?;
    Ok(user)
}
