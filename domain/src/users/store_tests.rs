//! Users, sign-in, sessions and tokens in the store, on SQLite and PostgreSQL.

use super::*;
use crate::testing::store;

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        name: "Test User".into(),
        password: "a long password".into(),
        role,
    }
}

crate::both_backends!(login_sessions_and_throttle);
async fn login_sessions_and_throttle(b: &'static str) {
    let s = store(b).await;
    let u = s.create_user(new_user("ann@msp.test", Role::Approver)).await.unwrap();
    assert_eq!(
        s.create_user(new_user("ANN@msp.test", Role::Viewer)).await.unwrap_err().field.as_deref(),
        Some("email"),
        "{b}"
    );
    assert_eq!(s.login("Ann@msp.test", "a long password", "1.2.3.4").await.unwrap().id, u.id);
    assert_eq!(s.login("ann@msp.test", "nope", "1.2.3.4").await.unwrap_err(), LoginError::BadCredentials);
    let cookie = s.create_session(u.id).await.unwrap();
    assert_eq!(s.user_by_session(&cookie).await.unwrap().unwrap().email, "ann@msp.test");
    s.delete_session(&cookie).await.unwrap();
    assert!(s.user_by_session(&cookie).await.unwrap().is_none());
    // Ten attempts in a row from one address (the one above and nine
    // more) are counted; the eleventh is refused, even with the right
    // password, without checking it.
    for _ in 0..9 {
        assert_eq!(
            s.login("ann@msp.test", "wrong", "1.2.3.4").await.unwrap_err(),
            LoginError::BadCredentials,
            "{b}"
        );
    }
    assert!(
        matches!(s.login("ann@msp.test", "a long password", "1.2.3.4").await, Err(LoginError::Throttled { .. })),
        "{b}"
    );
    // The attacker's address does not lock Ann out from hers.
    assert!(s.login("ann@msp.test", "a long password", "9.9.9.9").await.is_ok(), "{b}");
    // Another account from the attacker's address is not locked by Ann's count.
    s.create_user(new_user("bob@msp.test", Role::Viewer)).await.unwrap();
    assert!(s.login("bob@msp.test", "a long password", "1.2.3.4").await.is_ok(), "{b}");
}

crate::both_backends!(tokens_and_deactivation);
async fn tokens_and_deactivation(b: &'static str) {
    let s = store(b).await;
    let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
    let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
    let t = s.create_token(tech.id, "script", None).await.unwrap();
    assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().id, tech.id);
    assert_eq!(s.list_tokens(Some(tech.id)).await.unwrap().len(), 1);
    assert_eq!(s.revoke_token(&admin, t.id).await, Ok(()));
    assert!(s.user_by_token(&t.token).await.unwrap().is_none(), "{b}");
    assert_eq!(s.revoke_token(&tech, t.id).await.unwrap_err().code, crate::ErrorCode::NotFound);

    let t2 = s.create_token(tech.id, "other", None).await.unwrap();
    let cookie = s.create_session(tech.id).await.unwrap();
    // Looked up (and remembered) before the change, refused after it.
    assert!(s.user_by_token(&t2.token).await.unwrap().is_some());
    assert!(s.user_by_session(&cookie).await.unwrap().is_some());
    let upd = s
        .update_user(
            &admin,
            tech.id,
            UserUpdate {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!upd.active);
    assert!(s.user_by_token(&t2.token).await.unwrap().is_none());
    assert!(s.user_by_session(&cookie).await.unwrap().is_none());
    assert_eq!(
        s.update_user(
            &admin,
            admin.id,
            UserUpdate {
                role: Some(Role::Viewer),
                ..Default::default()
            }
        )
        .await
        .unwrap_err()
        .field
        .as_deref(),
        Some("role")
    );
    assert_eq!(s.get_user(admin.id).await.unwrap().role, Role::Admin);
}

crate::both_backends!(a_token_dies_with_a_password_reset_and_when_it_expires);
async fn a_token_dies_with_a_password_reset_and_when_it_expires(b: &'static str) {
    let s = store(b).await;
    let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
    let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
    let t = s.create_token(tech.id, "script", None).await.unwrap();
    assert!(s.user_by_token(&t.token).await.unwrap().is_some());
    let reset = UserUpdate {
        password: Some("another long password".into()),
        ..Default::default()
    };
    s.update_user(&admin, tech.id, reset).await.unwrap();
    assert!(s.user_by_token(&t.token).await.unwrap().is_none(), "{b}: revoked by the reset");
    // An expiry: listed with it; past it, the token is refused and not listed.
    let e = s.create_token(tech.id, "ci", Some(0)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("expires_in_days"));
    let short = s.create_token(tech.id, "ci", Some(30)).await.unwrap();
    assert!(short.expires_at.is_some());
    let mine = s.list_tokens(Some(tech.id)).await.unwrap();
    assert_eq!((mine.len(), mine[0].expires_at.clone()), (1, short.expires_at.clone()), "{b}");
    assert_eq!(s.list_tokens(None).await.unwrap().len(), 1, "{b}: the admin's list has everyone's");
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
        .bind(crate::clock::from_now(chrono::Duration::seconds(-1)))
        .bind(short.id)
        .execute(s.pool())
        .await
        .unwrap();
    s.callers().forget_all();
    assert!(s.user_by_token(&short.token).await.unwrap().is_none(), "{b}: expired");
    assert!(s.list_tokens(Some(tech.id)).await.unwrap().is_empty(), "{b}");
}

crate::both_backends!(a_role_change_reaches_a_remembered_caller_at_once);
async fn a_role_change_reaches_a_remembered_caller_at_once(b: &'static str) {
    let s = store(b).await;
    let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
    let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
    let t = s.create_token(tech.id, "script", None).await.unwrap();
    let cookie = s.create_session(tech.id).await.unwrap();
    assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().role, Role::Technician);
    assert_eq!(s.user_by_session(&cookie).await.unwrap().unwrap().role, Role::Technician);
    let upd = UserUpdate {
        role: Some(Role::Viewer),
        ..Default::default()
    };
    s.update_user(&admin, tech.id, upd).await.unwrap();
    assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().role, Role::Viewer, "{b}");
    assert_eq!(s.user_by_session(&cookie).await.unwrap().unwrap().role, Role::Viewer, "{b}");
}
