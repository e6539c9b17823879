use crate::error::ApiError;
use domain::users::User;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "auth/login", input = Json, output = Json)]
pub async fn login(email: String, password: String) -> Result<User, ApiError> {
    use crate::context::{client_address, set_header, state};
    use domain::users::{LoginThrottle, SESSION_DAYS};
    use domain::{Error, ErrorCode};
    let st = state()?;
    if email.trim().is_empty() {
        return Err(Error::validation("email", "Enter your email.").into());
    }
    // Before any work: an email is at most 254 characters.
    if email.chars().count() > 254 {
        return Err(Error::validation("email", "An email address is at most 254 characters.").into());
    }
    if password.chars().count() > 1024 {
        return Err(Error::validation("password", "The password is too long.").into());
    }
    if password.is_empty() {
        return Err(Error::validation("password", "Enter your password.").into());
    }
    let address = client_address().await;
    match st.store.login(&email, &password, &address).await {
        Ok(user) => {
            let secret = st.store.create_session(user.id).await?;
            set_session_cookie(&st, &secret, SESSION_DAYS * 86400);
            tracing::info!(user_id = user.id, "signed in");
            Ok(user)
        }
        Err(domain::users::LoginError::Throttled { retry_after_secs }) => {
            set_header(http::header::RETRY_AFTER, &retry_after_secs.to_string());
            tracing::warn!(email = %email.trim().to_lowercase(), %address, "sign-in refused: too many attempts");
            Err(Error::new(
                ErrorCode::RateLimited,
                format!(
                    "Too many sign-in attempts ({} in a row). Try again in {retry_after_secs} seconds.",
                    LoginThrottle::MAX_FAILURES
                ),
            )
            .into())
        }
        Err(domain::users::LoginError::BadCredentials) => {
            // Every failure is logged (never the password).
            tracing::warn!(email = %email.trim().to_lowercase(), %address, "sign-in failed");
            Err(Error::new(ErrorCode::Unauthenticated, "The email or password is not right.").into())
        }
        Err(domain::users::LoginError::Busy) => {
            set_header(http::header::RETRY_AFTER, "1");
            tracing::warn!(%address, "sign-in refused: every password check is busy");
            Err(Error::new(ErrorCode::RateLimited, "Too many sign-ins at once; try again in a moment.").into())
        }
    }
}

/// The session cookie of this request, if any.
#[cfg(feature = "ssr")]
fn this_session() -> Option<String> {
    let secure = crate::context::state().map(|s| s.secure_cookies).unwrap_or(true);
    use_context::<http::request::Parts>().and_then(|p| crate::context::session_cookie_for(&p.headers, secure))
}

/// Sets the session cookie (an empty value with `max_age` 0 clears it):
/// HttpOnly, SameSite=Lax, and under https `Secure` with the `__Host-` name.
#[cfg(feature = "ssr")]
fn set_session_cookie(st: &crate::context::AppState, value: &str, max_age: i64) {
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    crate::context::set_header(
        http::header::SET_COOKIE,
        &format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            crate::context::session_cookie_name(st.secure_cookies)
        ),
    );
}

/// Clears the session cookie in the browser.
#[cfg(feature = "ssr")]
fn clear_cookie(st: &crate::context::AppState) {
    set_session_cookie(st, "", 0);
}

#[server(endpoint = "auth/logout", input = Json, output = Json)]
pub async fn logout() -> Result<(), ApiError> {
    let (st, _user) = crate::context::signed_in().await?;
    if let Some(c) = this_session() {
        st.store.delete_session(&c).await?;
    }
    clear_cookie(&st);
    Ok(())
}

/// Ends every session of the caller (this one too) and signs out here.
#[server(endpoint = "auth/logout-everywhere", input = Json, output = Json)]
pub async fn logout_everywhere() -> Result<(), ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    st.store.end_sessions(user.id, None).await?;
    clear_cookie(&st);
    tracing::info!(user_id = user.id, "signed out everywhere");
    Ok(())
}

/// The caller changes their own password (the current one required): their
/// other sessions end and their API tokens are revoked; this one stays.
#[server(endpoint = "auth/change-password", input = Json, output = Json)]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    if crate::context::by_token() {
        return Err(domain::Error::forbidden("change the password with an API token (sign in to change it)").into());
    }
    st.store
        .change_password(&user, &current_password, &new_password, this_session().as_deref())
        .await?;
    tracing::info!(user_id = user.id, "password changed");
    Ok(())
}

#[server(endpoint = "auth/me", input = Json, output = Json)]
pub async fn me() -> Result<User, ApiError> {
    let (_, user) = crate::context::signed_in().await?;
    Ok(user)
}
