//! A small HTTP/1.1 client over one kept-alive TCP connection, for load generation: it does
//! the least work per request (no pool, no cookie jar), so the service gets the cores.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer: status, headers (names lower-cased) and body.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `name=value` of a `Set-Cookie` header with that cookie name.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .find(|pair| pair.split('=').next() == Some(name))
            .map(str::to_owned)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Connection {
    addr: String,
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
}

/// A request as bytes, with `Host` and `Content-Length` filled in.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

impl Connection {
    pub fn new(addr: &str) -> Connection {
        Connection {
            addr: addr.to_owned(),
            stream: None,
            buffer: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends `bytes` and reads the answer, connecting first if needed. A failure drops
    /// the connection, so the next call starts a new one.
    pub async fn send(&mut self, bytes: &[u8], timeout: Duration) -> io::Result<Response> {
        match tokio::time::timeout(timeout, self.exchange(bytes)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => {
                self.stream = None;
                Err(error)
            }
            Err(_) => {
                self.stream = None;
                Err(io::Error::new(io::ErrorKind::TimedOut, "request timed out"))
            }
        }
    }

    async fn exchange(&mut self, bytes: &[u8]) -> io::Result<Response> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buffer.clear();
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(bytes).await?;
        let (response, close) = read_response(stream, &mut self.buffer).await?;
        if close {
            self.stream = None;
        }
        Ok(response)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    buffer.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Reads one response; the second value says the server will close the connection.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> io::Result<(Response, bool)> {
    let head_end = loop {
        if let Some(i) = find(buffer, b"\r\n\r\n") {
            break i;
        }
        fill(stream, buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    buffer.drain(..head_end + 4);
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let close = get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body = if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(buffer, b"\r\n") {
                    break i;
                }
                fill(stream, buffer).await?;
            };
            let size_text = String::from_utf8_lossy(&buffer[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            buffer.drain(..line_end + 2);
            while buffer.len() < size + 2 {
                fill(stream, buffer).await?;
            }
            body.extend_from_slice(&buffer[..size]);
            buffer.drain(..size + 2);
            if size == 0 {
                break body;
            }
        }
    } else {
        let length: usize = get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < length {
            fill(stream, buffer).await?;
        }
        buffer.drain(..length).collect()
    };
    Ok((
        Response {
            status,
            headers,
            body,
        },
        close,
    ))
}

/// `name="…" value="…"` of an input in an HTML page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

/// The `href` of the link with this `rel`, unescaped.
pub fn link_href(html: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\"");
    let at = html.find(&marker)?;
    let before = &html[..at];
    let start = before.rfind("href=\"")? + "href=\"".len();
    let end = before[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

pub fn unescape(text: &str) -> String {
    text.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#61;", "=")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}
