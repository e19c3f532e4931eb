//! Turning one outbox row into a MIME message and handing it over: to an SMTP server through
//! lettre (`SMTP_URL`), or as an `.eml` file under `DATA_DIR/mail/`. No outbox states here.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::db::outbox::OutboxRow;

/// How long one SMTP command may wait for the server.
const SMTP_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// SMTP connections kept open between batches (the worker sends a batch of 32 at once).
const SMTP_CONNECTIONS: u32 = 32;
/// How long one whole hand-over may take; the worker's lease is sized from it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://host`: no TLS (a relay on the same host or network).
    Plain,
    /// `smtp://host?tls=starttls`: STARTTLS, required.
    StartTls,
    /// `smtps://host`: TLS from the first byte.
    ImplicitTls,
}

/// `SMTP_URL`, parsed: `smtp://[user:pass@]host[:port][?tls=starttls]` or `smtps://…`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, String)>,
}

// Never print the password, even in a debug dump of the configuration.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl SmtpSettings {
    /// Parses `SMTP_URL`. Errors never repeat the URL: it may hold a password.
    pub fn parse(raw: &str) -> anyhow::Result<SmtpSettings> {
        let url = url::Url::parse(raw.trim()).map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
        let mut starttls = false;
        for (name, value) in url.query_pairs() {
            match (name.as_ref(), value.as_ref()) {
                ("tls", "starttls") => starttls = true,
                _ => anyhow::bail!(
                    "SMTP_URL: unknown parameter `{name}` (only `tls=starttls` is understood)"
                ),
            }
        }
        let security = match (url.scheme(), starttls) {
            ("smtp", false) => SmtpSecurity::Plain,
            ("smtp", true) => SmtpSecurity::StartTls,
            ("smtps", false) => SmtpSecurity::ImplicitTls,
            ("smtps", true) => {
                anyhow::bail!("SMTP_URL: smtps:// is TLS already; drop `tls=starttls`")
            }
            (scheme, _) => {
                anyhow::bail!("SMTP_URL must start with smtp:// or smtps:// (not {scheme}://)")
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => anyhow::bail!("SMTP_URL names no host"),
        };
        anyhow::ensure!(!host.is_empty(), "SMTP_URL names no host");
        let default_port = match security {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::ImplicitTls => 465,
        };
        let decode = |part: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| anyhow::anyhow!("SMTP_URL: the credentials are not valid UTF-8"))
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
        };
        Ok(SmtpSettings {
            host,
            port: url.port().unwrap_or(default_port),
            security,
            credentials,
        })
    }
}

/// Where messages go.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Sends outbox rows as MIME messages from `MAIL_FROM`.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    message_id_domain: String,
    description: String,
}

/// Why a message was not handed over. `detail` may quote the server's reply (which can
/// name the recipient): it goes to the outbox row for staff, never to a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}: {detail}", code.map(|c| format!(" {c}")).unwrap_or_default())]
pub struct SendError {
    /// A 5xx reply or a message that can never be built: do not try again.
    pub permanent: bool,
    /// The SMTP reply code, when the server answered.
    pub code: Option<u16>,
    /// What went wrong, without personal data: safe for logs.
    pub kind: &'static str,
    pub detail: String,
}

impl SendError {
    fn permanent(kind: &'static str, detail: impl Into<String>) -> SendError {
        SendError {
            permanent: true,
            code: None,
            kind,
            detail: detail.into(),
        }
    }

    fn transient(kind: &'static str, detail: impl Into<String>) -> SendError {
        SendError {
            permanent: false,
            code: None,
            kind,
            detail: detail.into(),
        }
    }

    fn from_smtp(error: lettre::transport::smtp::Error) -> SendError {
        let code = error.status().and_then(|c| c.to_string().parse().ok());
        let kind = if error.is_permanent() {
            "permanent SMTP reply"
        } else if error.is_transient() {
            "temporary SMTP reply"
        } else if error.is_timeout() {
            "SMTP timeout"
        } else if error.is_tls() {
            "TLS error"
        } else {
            "SMTP connection error"
        };
        SendError {
            // Only a 5xx reply is permanent; a lost connection, a timeout or a TLS failure
            // may all pass.
            permanent: error.is_permanent(),
            code,
            kind,
            detail: error.to_string(),
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so that vacation responders stay quiet.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// A header value on one line: CR, LF and every other control character become spaces.
/// The outbox stores subjects cleaned already; this holds even for a row written otherwise.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

impl Mailer {
    /// The transport `SMTP_URL` names, or `.eml` files under `DATA_DIR/mail/` without it.
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => Mailer::smtp(&SmtpSettings::parse(url)?, &config.mail_from),
            None => Mailer::files(config.data_dir.join("mail"), &config.mail_from),
        }
    }

    pub fn smtp(settings: &SmtpSettings, mail_from: &str) -> anyhow::Result<Mailer> {
        let tls = || TlsParameters::new(settings.host.clone()).context("setting up TLS for SMTP");
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(SMTP_COMMAND_TIMEOUT))
            // Kept open for the next batch: as many as the worker sends at once.
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(SMTP_CONNECTIONS));
        builder = match settings.security {
            SmtpSecurity::Plain => builder,
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls()?)),
            SmtpSecurity::ImplicitTls => builder.tls(Tls::Wrapper(tls()?)),
        };
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let security = match settings.security {
            SmtpSecurity::Plain => "",
            SmtpSecurity::StartTls => ", STARTTLS",
            SmtpSecurity::ImplicitTls => ", TLS",
        };
        let description = format!("SMTP {}:{}{security}", settings.host, settings.port);
        Mailer::with_transport(Transport::Smtp(builder.build()), mail_from, description)
    }

    pub fn files(dir: PathBuf, mail_from: &str) -> anyhow::Result<Mailer> {
        let description = format!("files in {}", dir.display());
        Mailer::with_transport(Transport::Files(dir), mail_from, description)
    }

    fn with_transport(
        transport: Transport,
        mail_from: &str,
        description: String,
    ) -> anyhow::Result<Mailer> {
        let from: Mailbox = mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM is not a valid address: {e}"))?;
        let message_id_domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport,
            from,
            message_id_domain,
            description,
        })
    }

    /// Where messages go, for the start-up line (never the credentials).
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The same for every attempt at one row, so that a copy sent twice (a crash between
    /// sending and marking) is recognisable as the same message.
    pub fn message_id(&self, outbox_id: i64) -> String {
        format!("<outbox-{outbox_id}@{}>", self.message_id_domain)
    }

    /// The MIME message of a row: text and HTML alternatives, the stored subject, to the
    /// bare address (no display name: nothing a resident typed goes into a header unparsed).
    pub fn build_message(&self, row: &OutboxRow) -> Result<Message, SendError> {
        let address: Address = row.recipient.trim().parse().map_err(|_| {
            SendError::permanent("invalid recipient", "the recipient address is not valid")
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(one_line(&row.subject))
            .message_id(Some(self.message_id(row.id)))
            .header(AutoSubmitted)
            .multipart(MultiPart::alternative_plain_html(
                row.text_body.clone(),
                row.html_body.clone(),
            ))
            .map_err(|e| SendError::permanent("unbuildable message", e.to_string()))
    }

    /// Hands one row over to the transport.
    pub async fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        let message = self.build_message(row)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                match tokio::time::timeout(SEND_TIMEOUT, smtp.send(message)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(SendError::from_smtp(error)),
                    Err(_) => Err(SendError::transient(
                        "SMTP timeout",
                        "the SMTP server did not finish in time",
                    )),
                }
            }
            Transport::Files(dir) => {
                let path = dir.join(format!("outbox-{}.eml", row.id));
                let dir = dir.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_file(&dir, &path, &bytes))
                    .await
                    .map_err(|e| SendError::transient("file write", e.to_string()))?
                    .map_err(|e| SendError::transient("file write", e.to_string()))
            }
        }
    }
}

/// Writes the file whole or not at all, and durably, before the row is marked sent.
fn write_file(dir: &std::path::Path, path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    crate::private_files::create_private_dir(dir).map_err(std::io::Error::other)?;
    let partial = path.with_extension("eml.partial");
    // `0600`: the message holds a resident's address and what they wrote.
    let mut file = crate::private_files::private_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_parsed_with_their_security_and_decoded_credentials() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, SmtpSecurity::Plain)
        );
        assert_eq!(plain.credentials, None);

        let starttls = SmtpSettings::parse(
            "smtp://mailer%40city.gov.cn:p%40ss%3Aw%2Frd@mail.city.gov.cn?tls=starttls",
        )
        .unwrap();
        assert_eq!(starttls.security, SmtpSecurity::StartTls);
        assert_eq!(starttls.port, 587);
        assert_eq!(
            starttls.credentials,
            Some(("mailer@city.gov.cn".into(), "p@ss:w/rd".into()))
        );

        let implicit = SmtpSettings::parse("smtps://u:p@mail.example.com").unwrap();
        assert_eq!(
            (implicit.port, implicit.security),
            (465, SmtpSecurity::ImplicitTls)
        );
        let v6 = SmtpSettings::parse("smtp://[::1]:25").unwrap();
        assert_eq!(v6.host, "::1");
    }

    #[test]
    fn bad_smtp_urls_are_refused_without_repeating_the_password() {
        for url in [
            "http://mail.example.com",
            "smtp://u:secret@mail.example.com?tls=yes",
            "smtps://u:secret@mail.example.com?tls=starttls",
            "smtp://",
            "not a url secret",
        ] {
            let error = SmtpSettings::parse(url).unwrap_err().to_string();
            assert!(!error.contains("secret"), "{url}: {error}");
        }
        let settings = SmtpSettings::parse("smtp://u:secret@mail.example.com").unwrap();
        assert!(!format!("{settings:?}").contains("secret"));
    }

    fn row(recipient: &str, subject: &str) -> OutboxRow {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        OutboxRow {
            id: 42,
            complaint_id: None,
            recipient: recipient.into(),
            recipient_kind: "complainant".into(),
            template: "received".into(),
            locale: "zh-Hans".into(),
            subject: subject.into(),
            text_body: "正文".into(),
            html_body: "<p>正文</p>".into(),
            state: "pending".into(),
            attempts: 0,
            due_at: now,
            lease_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
            last_attempt_at: None,
            retry_requested_at: None,
        }
    }

    #[test]
    fn messages_carry_a_stable_message_id_and_no_injected_header() {
        let mailer = Mailer::files(
            PathBuf::from("unused"),
            "Green Channel <no-reply@gc.example>",
        )
        .unwrap();
        let message = mailer
            .build_message(&row("a@example.com", "已收到\r\nBcc: victim@example.com"))
            .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(
            text.contains("Message-ID: <outbox-42@gc.example>"),
            "{text}"
        );
        assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert_eq!(mailer.message_id(42), "<outbox-42@gc.example>");

        for bad in [
            "a@example.com\r\nBcc: b@example.com",
            "a@example.com, b@example.com",
            "张三 <a@example.com>",
        ] {
            let error = mailer.build_message(&row(bad, "s")).unwrap_err();
            assert!(error.permanent, "{bad}");
        }
    }
}
