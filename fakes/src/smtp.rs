//! A small SMTP server on loopback that keeps what it receives, written from
//! RFC 5321 (not from our client):
//!
//! - the server speaks first: `220 <domain>` (§4.2, §3.1); `EHLO` answers a
//!   multi-line `250-…`/`250 …` (§4.2.1, §4.1.1.1), `HELO` a single line;
//! - commands are case-insensitive (§2.4) and end with CRLF;
//! - a transaction is `MAIL FROM:<…>`, one or more `RCPT TO:<…>`, `DATA`
//!   (`354`), the text, `<CRLF>.<CRLF>` (§4.1.1.4); a line of the text that
//!   starts with a dot had one more dot added by the client (§4.5.2);
//! - out of order is `503`, an unknown command `500`, `RSET` clears the
//!   transaction, `NOOP` is `250`, `QUIT` is `221` and the server closes;
//! - `4yz` is transient (the client may try again), `5yz` permanent (§4.2.1).
//!
//! Faults, scripted by tests: answer the next transaction with a code (at
//! the end of DATA, after the text was read), or hold the next connection's
//! greeting (a server that accepted the connection and then hangs).

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, dot-stuffing undone, CRLF line ends.
    pub data: String,
}

impl Received {
    /// A header's value (first occurrence, folded lines joined).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut out: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(v) = out.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if out.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    out = Some(v.trim().to_string());
                }
            }
        }
        out
    }

    /// The text with quoted-printable soft line breaks and `=3D` undone, to
    /// look for words and links in either part.
    pub fn readable(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Codes to answer the next transactions with, at the end of DATA.
    reject: Vec<(u16, String)>,
    /// Connections whose greeting is held, and for how long.
    stall: Vec<Duration>,
    connections: u64,
}

/// The server; dropping it stops it.
pub struct FakeSmtp {
    pub addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl FakeSmtp {
    /// Listens on 127.0.0.1 (`port` 0 for any).
    pub async fn start(port: u16) -> std::io::Result<FakeSmtp> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => {
                        let Ok((socket, _)) = accepted else { continue };
                        let st = st.clone();
                        tokio::spawn(async move { let _ = session(socket, st).await; });
                    }
                }
            }
        });
        Ok(FakeSmtp { addr, state, stop: Some(tx) })
    }

    /// `smtp://127.0.0.1:<port>`, for `NEXOS_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Messages received for `address`.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.state.lock().unwrap().connections
    }

    /// Answers the next transaction's DATA with `code` (e.g. 451, 550).
    pub fn reject_next(&self, code: u16) {
        let text = if code < 500 {
            "Requested action aborted: local error in processing"
        } else {
            "Requested action not taken: mailbox unavailable"
        };
        self.state.lock().unwrap().reject.push((code, text.into()));
    }

    /// Holds the greeting of the next connection for `d`.
    pub fn stall_next(&self, d: Duration) {
        self.state.lock().unwrap().stall.push(d);
    }
}

/// Address between the angle brackets of `MAIL FROM:<a>` / `RCPT TO:<a>`.
fn path_of(arg: &str) -> Option<String> {
    let open = arg.find('<')?;
    let close = arg[open..].find('>')? + open;
    Some(arg[open + 1..close].to_string())
}

async fn session(socket: tokio::net::TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let stall = {
        let mut s = st.lock().unwrap();
        s.connections += 1;
        (!s.stall.is_empty()).then(|| s.stall.remove(0))
    };
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake-smtp.test ESMTP ready\r\n").await?;
    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = cmd.split_once(' ').unwrap_or((cmd, ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                "250-fake-smtp.test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760".into()
            }
            "HELO" => {
                greeted = true;
                "250 fake-smtp.test".into()
            }
            "MAIL" if !greeted => "503 5.5.1 EHLO first".into(),
            "MAIL" => match path_of(arg) {
                Some(a) => {
                    from = Some(a);
                    to.clear();
                    "250 2.1.0 OK".into()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".into(),
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first".into(),
            "RCPT" => match path_of(arg) {
                Some(a) if !a.is_empty() => {
                    to.push(a);
                    "250 2.1.5 OK".into()
                }
                _ => "501 5.5.4 Syntax: RCPT TO:<address>".into(),
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    // §4.5.2: remove the dot the client added.
                    data.push_str(l.strip_prefix('.').unwrap_or(l));
                    data.push_str("\r\n");
                }
                let rejected = {
                    let mut s = st.lock().unwrap();
                    (!s.reject.is_empty()).then(|| s.reject.remove(0))
                };
                let reply = match rejected {
                    Some((code, text)) => format!("{code} {text}"),
                    None => {
                        st.lock().unwrap().received.push(Received {
                            from: from.take().unwrap_or_default(),
                            to: std::mem::take(&mut to),
                            data,
                        });
                        "250 2.0.0 OK: queued".into()
                    }
                };
                from = None;
                to.clear();
                reply
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Command not recognized".into(),
        };
        write.write_all(reply.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
    }
}
