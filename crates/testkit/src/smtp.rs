//! A real SMTP server on 127.0.0.1 that keeps every message it receives, so tests read the mail
//! Ticketbooth sends as a person's mailbox would get it. The protocol is the `mailin` crate's;
//! this file only accepts connections and moves lines (plain SMTP: no TLS stack to build).

use mailin::response::{self, Response};
use mailin::{Action, Handler, SessionBuilder};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `RCPT TO` addresses.
    pub recipients: Vec<String>,
    /// The raw RFC 5322 message.
    pub raw: Vec<u8>,
}

impl Received {
    /// The decoded `Subject`.
    pub fn subject(&self) -> String {
        self.parsed()
            .map(|mail| {
                mail.headers
                    .iter()
                    .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))
                    .map(|h| h.get_value())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// A header's decoded value.
    pub fn header(&self, name: &str) -> Option<String> {
        let mail = self.parsed()?;
        mail.headers.iter().find(|h| h.get_key_ref().eq_ignore_ascii_case(name)).map(|h| h.get_value())
    }

    /// The decoded body of the first part of `mime_type` (`text/plain`, `text/html`).
    pub fn body(&self, mime_type: &str) -> Option<String> {
        fn find(part: &mailparse::ParsedMail<'_>, mime_type: &str) -> Option<String> {
            if part.subparts.is_empty() {
                return (part.ctype.mimetype == mime_type).then(|| part.get_body().ok()).flatten();
            }
            part.subparts.iter().find_map(|sub| find(sub, mime_type))
        }
        find(&self.parsed()?, mime_type)
    }

    /// The first link in the plain-text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.body("text/plain")?;
        let start = text.find(prefix)?;
        Some(text[start..].split_whitespace().next()?.to_owned())
    }

    fn parsed(&self) -> Option<mailparse::ParsedMail<'_>> {
        mailparse::parse_mail(&self.raw).ok()
    }
}

#[derive(Default)]
struct Mailbox {
    messages: Mutex<Vec<Received>>,
    arrived: Condvar,
}

#[derive(Clone)]
struct Collector {
    mailbox: Arc<Mailbox>,
    recipients: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.recipients = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let received =
            Received { recipients: std::mem::take(&mut self.recipients), raw: std::mem::take(&mut self.data) };
        if let Ok(mut messages) = self.mailbox.messages.lock() {
            messages.push(received);
        }
        self.mailbox.arrived.notify_all();
        response::OK
    }
}

/// An SMTP server listening on 127.0.0.1 until the test process ends.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    mailbox: Arc<Mailbox>,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an SMTP port");
        Self::serve(listener)
    }

    /// Starts a server on `port` (one a test reserved and freed, to bring a "down" server up).
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP port");
        Self::serve(listener)
    }

    fn serve(listener: TcpListener) -> SmtpServer {
        let port = listener.local_addr().expect("an address").port();
        let mailbox = Arc::new(Mailbox::default());
        let collector = Collector { mailbox: mailbox.clone(), recipients: Vec::new(), data: Vec::new() };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = collector.clone();
                std::thread::spawn(move || {
                    if let Err(err) = converse(stream, handler) {
                        eprintln!("test SMTP connection ended: {err}");
                    }
                });
            }
        });
        SmtpServer { port, mailbox }
    }

    /// The `smtp://` URL that reaches this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.mailbox.messages.lock().map(|messages| messages.clone()).unwrap_or_default()
    }

    /// Waits up to `timeout` for a message to `recipient` whose subject contains `subject`.
    pub fn wait_for(&self, recipient: &str, subject: &str, timeout: Duration) -> Option<Received> {
        let deadline = Instant::now() + timeout;
        let mut messages = self.mailbox.messages.lock().ok()?;
        loop {
            let found = messages.iter().find(|m| {
                m.recipients.iter().any(|r| r.eq_ignore_ascii_case(recipient)) && m.subject().contains(subject)
            });
            if let Some(found) = found {
                return Some(found.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            messages = self.mailbox.arrived.wait_timeout(messages, left).ok()?.0;
        }
    }
}

/// One SMTP conversation: greeting, then a reply to each line until the client quits.
fn converse(stream: TcpStream, handler: Collector) -> std::io::Result<()> {
    let peer = stream.peer_addr()?.ip();
    let mut session = SessionBuilder::new("mail.test").build(peer, handler);
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    session.greeting().write_to(&mut writer)?;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let reply = session.process(&line);
        match reply.action {
            Action::Reply => reply.write_to(&mut writer)?,
            Action::Close => {
                reply.write_to(&mut writer)?;
                return writer.flush();
            }
            Action::UpgradeTls | Action::NoReply => {}
        }
        writer.flush()?;
    }
}

/// A port that was free a moment ago and has nothing listening now (a mail server that is down).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
