//! A real SMTP server for the delivery tests: a tokio listener speaking RFC 5321 (EHLO/HELO,
//! MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) that records what it accepts.
//! It can refuse RCPT or DATA with any reply, hold its answer to DATA, and go down and up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// One message as the server took it: the envelope and the raw bytes after unstuffing.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

impl ReceivedMessage {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.data).expect("a parseable message")
    }

    /// A header, decoded (RFC 2047).
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    pub fn header_names(&self) -> Vec<String> {
        self.parsed()
            .headers
            .iter()
            .map(|h| h.get_key().to_ascii_lowercase())
            .collect()
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.header("Message-ID").unwrap_or_default()
    }

    /// The decoded body of the part with this MIME type.
    pub fn part(&self, mime_type: &str) -> Option<String> {
        let parsed = self.parsed();
        find_part(&parsed, mime_type)
    }

    pub fn text(&self) -> String {
        self.part("text/plain").expect("a text/plain part")
    }

    pub fn html(&self) -> String {
        self.part("text/html").expect("a text/html part")
    }
}

fn find_part(mail: &mailparse::ParsedMail<'_>, mime_type: &str) -> Option<String> {
    if mail.ctype.mimetype == mime_type {
        return mail.get_body().ok();
    }
    mail.subparts.iter().find_map(|p| find_part(p, mime_type))
}

#[derive(Default)]
struct Replies {
    rcpt: Option<String>,
    data: Option<String>,
}

struct Shared {
    replies: Mutex<Replies>,
    messages: Mutex<Vec<ReceivedMessage>>,
    /// DATA bodies received, including refused and held ones.
    data_seen: Mutex<usize>,
    changed: Notify,
    hold: watch::Sender<bool>,
    sessions: Mutex<Vec<JoinHandle<()>>>,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    /// A server listening on a free port.
    pub async fn start() -> SmtpServer {
        let server = SmtpServer::start_down().await;
        server.resume().await;
        server
    }

    /// A free port with nothing listening on it yet (the mail server is down).
    pub async fn start_down() -> SmtpServer {
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        SmtpServer {
            port,
            shared: Arc::new(Shared {
                replies: Mutex::new(Replies::default()),
                messages: Mutex::new(Vec::new()),
                data_seen: Mutex::new(0),
                changed: Notify::new(),
                hold: watch::channel(false).0,
                sessions: Mutex::new(Vec::new()),
            }),
            acceptor: Mutex::new(None),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts listening again on the same port.
    pub async fn resume(&self) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(format!("127.0.0.1:{}", self.port).parse().unwrap())
            .unwrap();
        let listener = socket.listen(64).unwrap();
        let shared = self.shared.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = tokio::spawn(serve(stream, shared.clone()));
                shared.sessions.lock().unwrap().push(session);
            }
        });
        *self.acceptor.lock().unwrap() = Some(acceptor);
    }

    /// Stops listening and drops every open connection: the server is down.
    pub fn stop(&self) {
        if let Some(acceptor) = self.acceptor.lock().unwrap().take() {
            acceptor.abort();
        }
        for session in self.shared.sessions.lock().unwrap().drain(..) {
            session.abort();
        }
    }

    /// The reply to every RCPT TO (e.g. "451 4.3.0 try later"); `None` accepts.
    pub fn reply_to_rcpt(&self, reply: Option<&str>) {
        self.shared.replies.lock().unwrap().rcpt = reply.map(str::to_owned);
    }

    /// The reply to the end of DATA instead of accepting the message; `None` accepts.
    pub fn reply_to_data(&self, reply: Option<&str>) {
        self.shared.replies.lock().unwrap().data = reply.map(str::to_owned);
    }

    /// While on, the answer to a complete DATA waits (the message is already recorded, as a
    /// server that queues before it answers would have it).
    pub fn hold_data(&self, hold: bool) {
        self.shared.hold.send_replace(hold);
    }

    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.shared.messages.lock().unwrap().clone()
    }

    pub fn data_seen(&self) -> usize {
        *self.shared.data_seen.lock().unwrap()
    }

    /// Waits until `ready` holds for the recorded messages, or panics after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        ready: impl Fn(&[ReceivedMessage], usize) -> bool,
    ) -> Vec<ReceivedMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            let messages = self.messages();
            if ready(&messages, self.data_seen()) {
                return messages;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let messages = self.messages();
                assert!(
                    ready(&messages, self.data_seen()),
                    "timed out waiting for the SMTP server: {} messages, {} DATA seen",
                    messages.len(),
                    self.data_seen()
                );
                return messages;
            }
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One SMTP session.
async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write
        .write_all(b"220 test-smtp ESMTP ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    loop {
        let mut line = Vec::new();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        let verb = line
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-test-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 31457280".into(),
            "HELO" => "250 test-smtp".into(),
            "MAIL" => {
                mail_from = Some(angle_address(&line));
                rcpt_to.clear();
                "250 2.1.0 OK".into()
            }
            "RCPT" if mail_from.is_none() => "503 5.5.1 MAIL first".into(),
            "RCPT" => {
                let refusal = shared.replies.lock().unwrap().rcpt.clone();
                match refusal {
                    Some(refusal) => refusal,
                    None => {
                        rcpt_to.push(angle_address(&line));
                        "250 2.1.5 OK".into()
                    }
                }
            }
            "DATA" if rcpt_to.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => {
                if write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let Some(data) = read_data(&mut lines).await else {
                    return;
                };
                *shared.data_seen.lock().unwrap() += 1;
                let refusal = shared.replies.lock().unwrap().data.clone();
                let reply = match refusal {
                    Some(refusal) => refusal,
                    None => {
                        shared.messages.lock().unwrap().push(ReceivedMessage {
                            mail_from: mail_from.clone().unwrap_or_default(),
                            rcpt_to: rcpt_to.clone(),
                            data,
                        });
                        "250 2.0.0 OK queued".into()
                    }
                };
                shared.changed.notify_waiters();
                let mut hold = shared.hold.subscribe();
                if hold.wait_for(|held| !held).await.is_err() {
                    return;
                }
                mail_from = None;
                rcpt_to.clear();
                reply
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 command not recognised".into(),
        };
        if write
            .write_all(format!("{reply}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The address between `<` and `>` of a MAIL or RCPT command.
fn angle_address(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}

/// The message after DATA, up to the line holding a single dot; a leading dot of any other
/// line is removed (RFC 5321 §4.5.2).
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut R) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}
