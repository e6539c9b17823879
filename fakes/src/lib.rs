//! Local fakes of the outside services NEXOS talks to, served over real HTTP
//! (SMTP for mail) on loopback, with faults scripted by tests.

pub mod pax8;
pub mod qbo;
pub mod receiver;
pub mod smtp;

/// A fake's HTTP server on loopback; dropping it stops the server.
pub(crate) struct Served {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Serves `app` on 127.0.0.1 (`port` 0 for any) until the `Served` is dropped.
pub(crate) async fn serve(port: u16, app: axum::Router) -> std::io::Result<(std::net::SocketAddr, Served)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok((addr, Served { stop: Some(tx) }))
}
