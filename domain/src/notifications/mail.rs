//! Mail: the SMTP server from `NEXOS_SMTP_URL` (sent with `lettre`), the
//! demo's sandbox mailbox (kept in the database, nothing leaves the
//! machine), or off (deliveries are recorded as not sent, and why).

use super::rows::SandboxMailRow;
use super::MailStatus;
use crate::{clock, Result, Store};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://host` (port 25): none; for a relay on the same network.
    None,
    /// `smtp://host:587?tls=starttls`: STARTTLS, required.
    StartTls,
    /// `smtps://host` (port 465): TLS from the first byte.
    Implicit,
}

/// `NEXOS_SMTP_URL`, read.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SmtpUrl {
    /// `smtp://host:port`, `smtp://…?tls=starttls`, `smtps://user:pass@host:465`.
    pub fn parse(url: &str) -> std::result::Result<SmtpUrl, String> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("NEXOS_SMTP_URL must look like smtp://host:port, smtp://host:587?tls=starttls or smtps://user:password@host:465")?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((a, b)) => (Some(percent_decode(a)), Some(percent_decode(b))),
                None => (Some(percent_decode(u)), None),
            },
            None => (None, None),
        };
        let mut tls = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => TlsMode::None,
            "smtps" => TlsMode::Implicit,
            other => return Err(format!("NEXOS_SMTP_URL: the scheme is smtp or smtps, not {other:?}")),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", "starttls")) | Some(("tls", "required")) if tls == TlsMode::None => tls = TlsMode::StartTls,
                Some(("tls", "none")) if tls == TlsMode::None => {}
                _ => {
                    let name = pair.split('=').next().unwrap_or_default();
                    return Err(format!("NEXOS_SMTP_URL: unknown option {name:?} (use ?tls=starttls with smtp://)"));
                }
            }
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()) => {
                (h.to_string(), p.parse::<u16>().map_err(|_| format!("NEXOS_SMTP_URL: bad port {p:?}"))?)
            }
            _ => (
                hostport.to_string(),
                match tls {
                    TlsMode::None => 25,
                    TlsMode::StartTls => 587,
                    TlsMode::Implicit => 465,
                },
            ),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if host.is_empty() {
            return Err("NEXOS_SMTP_URL has no host".into());
        }
        if user.is_some() && tls == TlsMode::None {
            return Err("NEXOS_SMTP_URL: a user name and password travel only over TLS: use smtps://…:465 or smtp://…:587?tls=starttls".into());
        }
        Ok(SmtpUrl {
            host,
            port,
            tls,
            user,
            password,
        })
    }

    /// The server as Settings shows it, never the password.
    pub fn shown(&self) -> String {
        let scheme = if self.tls == TlsMode::Implicit { "smtps" } else { "smtp" };
        let user = self.user.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
        let tls = match self.tls {
            TlsMode::None => "no TLS",
            TlsMode::StartTls => "STARTTLS",
            TlsMode::Implicit => "TLS",
        };
        format!("{scheme}://{user}{}:{} ({tls})", self.host, self.port)
    }

    fn transport(&self) -> std::result::Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let params = || TlsParameters::new(self.host.clone()).map_err(|e| format!("TLS for {}: {e}", self.host));
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .timeout(Some(Duration::from_secs(30)))
            .tls(match self.tls {
                TlsMode::None => Tls::None,
                TlsMode::StartTls => Tls::Required(params()?),
                TlsMode::Implicit => Tls::Wrapper(params()?),
            });
        if let Some(user) = &self.user {
            b = b.credentials(Credentials::new(user.clone(), self.password.clone().unwrap_or_default()));
        }
        Ok(b.build())
    }
}

/// A message to send.
pub struct Outgoing {
    /// The delivery's stable id; the Message-ID is made of it.
    pub key: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError {
    /// The server refused for good (5xx): no retry.
    pub permanent: bool,
    pub code: Option<i64>,
    pub message: String,
}

#[derive(Clone)]
enum Via {
    Off,
    Sandbox,
    Smtp(SmtpUrl, AsyncSmtpTransport<Tokio1Executor>),
}

/// How this server sends mail.
#[derive(Clone)]
pub struct Mailer {
    via: Via,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer({:?})", self.status())
    }
}

/// Said when a mail was not sent because no server is set.
pub const MAIL_OFF: &str = "Email is not set up on this server: set NEXOS_SMTP_URL and NEXOS_MAIL_FROM (see the README).";

impl Mailer {
    /// From the settings: `smtp_url` (none: off, or the sandbox mailbox in
    /// the demo) and `from` (default `NEXOS Purchasing <purchasing@localhost>`).
    pub fn new(smtp_url: Option<&str>, from: Option<&str>, demo: bool) -> std::result::Result<Mailer, String> {
        let from = from
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .unwrap_or("NEXOS Purchasing <purchasing@localhost>")
            .parse::<Mailbox>()
            .map_err(|e| format!("NEXOS_MAIL_FROM is not an address: {e}"))?;
        let via = match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let url = SmtpUrl::parse(url)?;
                let t = url.transport()?;
                Via::Smtp(url, t)
            }
            None if demo => Via::Sandbox,
            None => Via::Off,
        };
        Ok(Mailer { via, from })
    }

    pub fn off() -> Mailer {
        Mailer::new(None, None, false).expect("the default sender parses")
    }

    pub fn status(&self) -> MailStatus {
        let (mode, server) = match &self.via {
            Via::Off => ("off", None),
            Via::Sandbox => ("sandbox", None),
            Via::Smtp(u, _) => ("smtp", Some(u.shown())),
        };
        MailStatus {
            mode: mode.into(),
            server,
            from: (!matches!(self.via, Via::Off)).then(|| self.from.to_string()),
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self.via, Via::Off)
    }

    /// Sends one message (the sandbox keeps it in the database instead).
    pub async fn send(&self, store: &Store, m: &Outgoing) -> std::result::Result<Option<i64>, MailError> {
        let plain = |message: String| MailError {
            permanent: true,
            code: None,
            message,
        };
        let to: Mailbox = m.to.parse().map_err(|e| plain(format!("{} is not an address: {e}", m.to)))?;
        match &self.via {
            Via::Off => Err(plain(MAIL_OFF.into())),
            Via::Sandbox => store.keep_sandbox_mail(m).await.map(|_| None).map_err(|e| MailError {
                permanent: false,
                code: None,
                message: e.message,
            }),
            Via::Smtp(_, transport) => {
                let host = self.from.email.domain().to_string();
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(m.subject.clone())
                    .message_id(Some(format!("<{}@{host}>", m.key)))
                    .multipart(MultiPart::alternative_plain_html(m.text.clone(), m.html.clone()))
                    .map_err(|e| plain(format!("the message could not be built: {e}")))?;
                match transport.send(message).await {
                    Ok(r) => Ok(Some(i64::from(u16::from(r.code())))),
                    Err(e) => Err(MailError {
                        permanent: e.is_permanent(),
                        code: e.status().map(|c| i64::from(u16::from(c))),
                        message: e.to_string(),
                    }),
                }
            }
        }
    }
}

impl Store {
    /// The demo's mailbox: keeps the message instead of sending it.
    pub(super) async fn keep_sandbox_mail(&self, m: &Outgoing) -> Result<()> {
        self.execute_write(
            sqlx::query("INSERT INTO sandbox_mail (delivery_key, at, to_address, subject, text_body, html_body) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(m.key.clone())
                .bind(clock::now())
                .bind(m.to.clone())
                .bind(m.subject.clone())
                .bind(m.text.clone())
                .bind(m.html.clone()),
        )
        .await?;
        Ok(())
    }

    /// The sandbox mailbox, newest first.
    pub async fn sandbox_mail(&self, limit: i64) -> Result<Vec<super::SandboxMail>> {
        let rows = sqlx::query_as::<_, SandboxMailRow>("SELECT id, at, to_address, subject, text_body FROM sandbox_mail ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(SandboxMailRow::into_model).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_read_as_documented() {
        let u = SmtpUrl::parse("smtp://mail.example.com:2525").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("mail.example.com", 2525, TlsMode::None));
        let u = SmtpUrl::parse("smtp://mail.example.com?tls=starttls").unwrap();
        assert_eq!((u.port, u.tls), (587, TlsMode::StartTls));
        let u = SmtpUrl::parse("smtps://ops%40msp.example:p%40ss@mail.example.com:465").unwrap();
        assert_eq!((u.port, u.tls, u.user.as_deref()), (465, TlsMode::Implicit, Some("ops@msp.example")));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert!(!u.shown().contains("p@ss") && !format!("{u:?}").contains("p@ss"), "the password is never shown");
        assert!(SmtpUrl::parse("http://mail.example.com").is_err());
        assert!(SmtpUrl::parse("smtp://mail.example.com?tls=maybe").is_err());
        assert!(SmtpUrl::parse("smtp://:25").is_err());
        // Credentials never travel in the clear.
        assert!(SmtpUrl::parse("smtp://ops:secret@mail.example.com:25").is_err());
        assert!(SmtpUrl::parse("smtp://ops:secret@mail.example.com:587?tls=starttls").is_ok());
        assert!(!SmtpUrl::parse("smtp://mail.example.com?pw=secret").unwrap_err().contains("secret"));
    }
}
