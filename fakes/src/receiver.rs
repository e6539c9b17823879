//! A webhook receiver on loopback: keeps every request it gets (path,
//! headers, body) and answers with scripted statuses, 200 when none is
//! left. It stands for a customer's endpoint, a Slack incoming webhook or
//! a Teams workflow; none documents an order of retries, so it keeps them
//! all in arrival order.

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    hits: Vec<Hit>,
    answers: VecDeque<u16>,
}

pub struct Receiver {
    pub base: String,
    state: Arc<Mutex<State>>,
    _served: crate::Served,
}

impl Receiver {
    pub async fn start() -> std::io::Result<Receiver> {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap, body: String| {
            let st = st.clone();
            async move {
                let mut s = st.lock().unwrap();
                s.hits.push(Hit {
                    path: uri.path().to_string(),
                    headers: headers
                        .iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                        .collect(),
                    body,
                });
                let code = s.answers.pop_front().unwrap_or(200);
                (StatusCode::from_u16(code).unwrap_or(StatusCode::OK), "ok").into_response()
            }
        });
        let (addr, served) = crate::serve(0, app).await?;
        Ok(Receiver {
            base: format!("http://{addr}"),
            state,
            _served: served,
        })
    }

    /// The next requests are answered with these statuses, in order.
    pub fn answer(&self, statuses: &[u16]) {
        self.state.lock().unwrap().answers.extend(statuses.iter().copied());
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        self.state.lock().unwrap().hits.clone()
    }

    /// Requests to `path`.
    pub fn hits_at(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }
}
