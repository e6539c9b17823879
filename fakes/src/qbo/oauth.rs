//! The fake's OAuth 2.0: Intuit's authorize page (a consent form), the
//! token endpoint (code and refresh grants) and revocation.

use super::*;

/// `Authorization: Basic base64(client_id:client_secret)` on the OAuth token
/// endpoints: the app that is calling.
pub(super) fn client_auth(st: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let s = lock(st);
    let got = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok());
    s.apps
        .iter()
        .find(|(id, secret)| got.as_deref() == Some(format!("{id}:{secret}").as_bytes()))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| reply(401, json!({"error": "invalid_client"})))
}

pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn esc(s: &str) -> String {
    s.chars().fold(String::new(), |mut o, c| {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
        o
    })
}

fn bad_page(problem: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>400 Bad Request</h1><p>{}</p></body></html>",
        esc(problem)
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// The checks Intuit makes on an authorize request, naming the first problem.
pub(super) fn check_authorize(s: &St, q: &HashMap<String, String>) -> Result<(), String> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if !s.apps.iter().any(|(id, _)| *id == get("client_id")) {
        Err(format!("Invalid client_id '{}'", get("client_id")))
    } else if get("response_type") != "code" {
        Err(format!("Invalid response_type '{}': must be code", get("response_type")))
    } else if !get("scope").split_whitespace().any(|x| x == ACCOUNTING_SCOPE) {
        Err(format!("Invalid scope '{}': must include {ACCOUNTING_SCOPE}", get("scope")))
    } else if get("redirect_uri").is_empty() {
        Err("redirect_uri is required".into())
    } else if get("state").is_empty() {
        Err("state is required".into())
    } else {
        Ok(())
    }
}

/// The redirect after the user's decision; on allow, mints a code bound to redirect_uri, valid 10 minutes.
pub(super) fn decide(s: &mut St, q: &HashMap<String, String>, allow: bool) -> String {
    let redirect = &q["redirect_uri"];
    let mut out = form_urlencoded::Serializer::new(String::new());
    if allow {
        let code = random("AB11");
        let expires = Instant::now() + Duration::from_secs(600);
        s.codes.insert(
            code.clone(),
            Code {
                redirect_uri: redirect.clone(),
                client_id: q["client_id"].clone(),
                expires,
                used: false,
            },
        );
        out.append_pair("code", &code)
            .append_pair("state", &q["state"])
            .append_pair("realmId", &s.realm);
    } else {
        out.append_pair("error", "access_denied").append_pair("state", &q["state"]);
    }
    format!("{redirect}{}{}", if redirect.contains('?') { '&' } else { '?' }, out.finish())
}

pub(super) async fn authorize(State(st): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = before(&st, QboRoute::Authorize, &headers, false).await {
        return r;
    }
    let s = lock(&st);
    if let Err(problem) = check_authorize(&s, &q) {
        return bad_page(&problem);
    }
    let hidden: String = ["client_id", "redirect_uri", "state", "scope"]
        .iter()
        .map(|k| format!(r#"<input type="hidden" name="{k}" value="{}">"#, esc(&q[*k])))
        .collect();
    Html(format!(
        r#"<!DOCTYPE html><html><head><title>Connect to QuickBooks (sandbox)</title></head><body><h1>Connect to QuickBooks (sandbox)</h1><p>The app <b>{}</b> wants access to your QuickBooks company <b>{}</b>.</p><form method="post" action="/connect/oauth2/consent">{hidden}<button name="decision" value="allow">Connect</button> <button name="decision" value="deny">Cancel</button></form></body></html>"#,
        esc(&q["client_id"]),
        esc(s.company.name)
    ))
    .into_response()
}

/// The consent form's submission: 302 back to the app.
pub(super) async fn consent_form(State(st): State<Shared>, body: Bytes) -> Response {
    let mut f = form(&body);
    f.insert("response_type".into(), "code".into());
    let mut s = lock(&st);
    if let Err(problem) = check_authorize(&s, &f) {
        return bad_page(&problem);
    }
    let allow = f.get("decision").is_some_and(|d| d == "allow");
    (StatusCode::FOUND, [(header::LOCATION, decide(&mut s, &f, allow))]).into_response()
}

pub(super) async fn token(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let client = match before(&st, QboRoute::Token, &headers, false).await.and_then(|_| client_auth(&st, &headers)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let f = form(&body);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let mut s = lock(&st);
    s.token_clients.push(client.clone());
    let grant = match get("grant_type") {
        "authorization_code" => match s.codes.get_mut(get("code")) {
            Some(c) if !c.used && Instant::now() < c.expires && c.redirect_uri == get("redirect_uri") && c.client_id == client => {
                c.used = true;
                s.grants += 1;
                s.grants
            }
            _ => return reply(400, json!({"error": "invalid_grant"})),
        },
        // Always rotates: the old refresh token is dead as soon as the new one is issued.
        "refresh_token" => match s.refresh.iter().position(|(t, _, c)| t == get("refresh_token") && *c == client) {
            Some(i) => s.refresh.remove(i).1,
            None => return reply(400, json!({"error": "invalid_grant"})),
        },
        _ => return reply(400, json!({"error": "unsupported_grant_type"})),
    };
    let (access, refresh, ttl) = (random("eyJ"), random("AB11"), s.access_ttl);
    s.access.insert(access.clone(), (Instant::now() + Duration::from_secs(ttl), grant));
    s.refresh.push((refresh.clone(), grant, client));
    Json(json!({"token_type": "bearer", "access_token": access, "refresh_token": refresh, "expires_in": ttl, "x_refresh_token_expires_in": 8_726_400}))
        .into_response()
}

pub(super) async fn revoke(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let client = match before(&st, QboRoute::Revoke, &headers, false).await.and_then(|_| client_auth(&st, &headers)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(token) = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["token"].as_str().map(String::from)) else {
        return reply(400, json!({"error": "invalid_request"}));
    };
    let mut s = lock(&st);
    // Only the app a token was issued to may revoke it (RFC 7009 §2.1).
    if s.refresh.iter().any(|(t, _, c)| *t == token && *c != client) {
        return reply(400, json!({"error": "invalid_request"}));
    }
    s.revoked.push(token.clone());
    if let Some(i) = s.refresh.iter().position(|(t, _, _)| *t == token) {
        // A refresh token takes its whole grant with it.
        let grant = s.refresh.remove(i).1;
        s.access.retain(|_, (_, g)| *g != grant);
    } else {
        s.access.remove(&token);
    }
    StatusCode::OK.into_response()
}
