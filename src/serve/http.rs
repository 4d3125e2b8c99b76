//! HTTP/1.1 as the holder speaks it: one request per connection, read with
//! limits on every part (every byte may be hostile), answers with a length
//! or chunked.

use crate::client::http::timed_out;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// The longest request head (request line and headers).
pub const MAX_HEAD: usize = 16 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 100;
/// How long a client may take to send its whole head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may leave a body unsent, or an answer unread, before
/// its request ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection from a client.
#[derive(Debug)]
pub enum Conn {
    /// Through the Unix socket: the file's permissions were the check.
    Unix(UnixStream),
    /// Through TCP: every request must carry the token.
    Tcp(TcpStream),
}

impl Conn {
    pub fn try_clone(&self) -> io::Result<Conn> {
        Ok(match self {
            Conn::Unix(s) => Conn::Unix(s.try_clone()?),
            Conn::Tcp(s) => Conn::Tcp(s.try_clone()?),
        })
    }
    pub fn set_timeouts(&self, read: Duration, write: Duration) -> io::Result<()> {
        match self {
            Conn::Unix(s) => {
                s.set_read_timeout(Some(read))?;
                s.set_write_timeout(Some(write))
            }
            Conn::Tcp(s) => {
                s.set_read_timeout(Some(read))?;
                s.set_write_timeout(Some(write))
            }
        }
    }
    fn set_write_timeout(&self, write: Duration) -> io::Result<()> {
        match self {
            Conn::Unix(s) => s.set_write_timeout(Some(write)),
            Conn::Tcp(s) => s.set_write_timeout(Some(write)),
        }
    }
    pub fn shutdown(&self) {
        let _ = match self {
            Conn::Unix(s) => s.shutdown(Shutdown::Both),
            Conn::Tcp(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(s) => s.read(buf),
            Conn::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(s) => s.write(buf),
            Conn::Tcp(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Unix(s) => s.flush(),
            Conn::Tcp(s) => s.flush(),
        }
    }
}

/// A request's head.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The query string's pairs, still `%`-encoded.
    pub query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    pub body: BodyKind,
    /// Whether the client speaks HTTP/1.1, and so reads a streamed answer
    /// in chunks; an HTTP/1.0 one gets it plain, ended by the close.
    pub takes_chunks: bool,
}

/// How the body is delimited.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BodyKind {
    None,
    Length(u64),
    Chunked,
}

impl Request {
    /// A header's value (names compare without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a query string parameter given more than once, decoded.
    pub fn params(&self, name: &str) -> Option<Vec<String>> {
        self.query
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| crate::client::wire::percent_decode(v))
            .collect()
    }

    /// A query string parameter, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| crate::client::wire::percent_decode(v))
    }
}

/// A request refused before it ran: the status and a message.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

pub fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

/// Reads a request's head, within [`MAX_HEAD`] bytes and [`HEAD_TIMEOUT`].
pub fn read_head(conn: &mut BufReader<Conn>) -> Result<Request, Refusal> {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let mut head = Vec::with_capacity(1024);
    loop {
        let available = match conn.fill_buf() {
            Ok([]) => return Err(refuse(400, "the request ended before its head did")),
            Ok(bytes) => bytes,
            Err(e) if timed_out(&e) || e.kind() == io::ErrorKind::Interrupted => {
                if Instant::now() > deadline {
                    return Err(refuse(408, "the request's head took too long"));
                }
                continue;
            }
            Err(_) => return Err(refuse(400, "the request could not be read")),
        };
        // Only up to the end of the head: the body stays in the buffer.
        let start = head.len().saturating_sub(3);
        let take = available.len().min(MAX_HEAD + 1 - head.len());
        head.extend_from_slice(&available[..take]);
        if let Some(end) = find_end(&head[start..]).map(|e| e + start) {
            conn.consume(take - (head.len() - end));
            head.truncate(end);
            return parse_head(&head);
        }
        conn.consume(take);
        if head.len() > MAX_HEAD {
            return Err(refuse(431, "the request's head is larger than 16 KiB"));
        }
        if Instant::now() > deadline {
            return Err(refuse(408, "the request's head took too long"));
        }
    }
}

/// Where the head ends (after its blank line), if it does in `bytes`.
fn find_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

fn parse_head(head: &[u8]) -> Result<Request, Refusal> {
    let bad = |what: &str| refuse(400, format!("malformed request: {what}"));
    let text = std::str::from_utf8(head).map_err(|_| bad("the head is not text"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("the request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad("the method"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(refuse(505, "only HTTP/1.1 is spoken here"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(bad("the target"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let mut headers = Vec::new();
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("a header without a colon"))?;
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(bad("a header's name"));
        }
        if value.bytes().any(|b| b < b' ' && b != b'\t') {
            return Err(bad("a header's value"));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
        if headers.len() > MAX_HEADERS {
            return Err(refuse(431, "the request has too many headers"));
        }
    }
    let mut request = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        headers,
        body: BodyKind::None,
        takes_chunks: version == "HTTP/1.1",
    };
    request.body = body_kind(&request)?;
    Ok(request)
}

/// The body's framing; a request with both a length and chunks, or two
/// lengths, is refused (the way requests are smuggled past proxies).
fn body_kind(request: &Request) -> Result<BodyKind, Refusal> {
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let encodings: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        .map(|(_, v)| v.as_str())
        .collect();
    match (lengths.as_slice(), encodings.as_slice()) {
        ([], []) => Ok(BodyKind::None),
        ([length], []) => length
            .parse::<u64>()
            .map(BodyKind::Length)
            .map_err(|_| refuse(400, "malformed request: Content-Length")),
        ([], [encoding]) if encoding.eq_ignore_ascii_case("chunked") => Ok(BodyKind::Chunked),
        ([], [_]) => Err(refuse(501, "only chunked transfer encoding is understood")),
        _ => Err(refuse(400, "malformed request: conflicting body lengths")),
    }
}

/// A request's body as a stream: exactly its length, or its chunks.
pub struct Body<'a> {
    conn: &'a mut BufReader<Conn>,
    kind: BodyKind,
    /// Bytes left in the body (length) or in the current chunk (chunked).
    left: u64,
    finished: bool,
}

impl<'a> Body<'a> {
    pub fn new(conn: &'a mut BufReader<Conn>, kind: BodyKind) -> Body<'a> {
        let left = match kind {
            BodyKind::Length(n) => n,
            _ => 0,
        };
        Body {
            conn,
            kind,
            left,
            finished: kind == BodyKind::None,
        }
    }

    fn short() -> io::Error {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the request's body ended early",
        )
    }

    fn malformed() -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the request's chunks are malformed",
        )
    }

    /// Reads a chunk's size line (extensions ignored).
    fn chunk_size(&mut self) -> io::Result<u64> {
        let mut line = Vec::new();
        (&mut *self.conn).take(1024).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(if line.len() >= 1024 {
                Body::malformed()
            } else {
                Body::short()
            });
        }
        let text = std::str::from_utf8(&line).map_err(|_| Body::malformed())?;
        let size = text.trim().split(';').next().unwrap_or("").trim();
        if size.is_empty() || size.len() > 15 {
            return Err(Body::malformed());
        }
        u64::from_str_radix(size, 16).map_err(|_| Body::malformed())
    }

    /// Skips the trailer section after the last chunk (bounded).
    fn skip_trailers(&mut self) -> io::Result<()> {
        for _ in 0..MAX_HEADERS {
            let mut line = Vec::new();
            (&mut *self.conn)
                .take(MAX_HEAD as u64)
                .read_until(b'\n', &mut line)?;
            if !line.ends_with(b"\n") {
                return Err(Body::short());
            }
            if line == b"\r\n" || line == b"\n" {
                return Ok(());
            }
        }
        Err(Body::malformed())
    }
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        if self.kind == BodyKind::Chunked && self.left == 0 {
            let size = self.chunk_size()?;
            if size == 0 {
                self.skip_trailers()?;
                self.finished = true;
                return Ok(0);
            }
            self.left = size;
        }
        if self.left == 0 {
            // `Content-Length: 0`, or none: reading zero bytes from the
            // connection would wait for bytes the client never sends.
            self.finished = true;
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.conn.read(&mut buf[..want])?;
        if n == 0 {
            return Err(Body::short());
        }
        self.left -= n as u64;
        if self.left == 0 {
            match self.kind {
                BodyKind::Chunked => {
                    let mut end = [0u8; 2];
                    self.conn.read_exact(&mut end)?;
                    if &end != b"\r\n" {
                        return Err(Body::malformed());
                    }
                }
                _ => self.finished = true,
            }
        }
        Ok(n)
    }
}

/// The reason phrase of the statuses the holder answers with.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Writes a whole answer.
pub fn respond(
    conn: &mut Conn,
    status: u16,
    extra_headers: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\n{extra_headers}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    conn.write_all(&[head.as_bytes(), body].concat())?;
    conn.flush()
}

/// An error answer: `{"error": {"message": M}}`.
pub fn respond_error(conn: &mut Conn, status: u16, message: &str) -> io::Result<()> {
    let body = crate::client::wire::error_line(message);
    respond(conn, status, "", "application/json", &body)
}

/// A JSON answer.
pub fn respond_json(conn: &mut Conn, value: &serde_json::Value) -> io::Result<()> {
    let mut body = value.to_string().into_bytes();
    body.push(b'\n');
    respond(conn, 200, "", "application/json", &body)
}

/// Tells a client that sent `Expect: 100-continue` to send its body.
pub fn continue_if_expected(conn: &mut Conn, request: &Request) -> io::Result<()> {
    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        conn.flush()?;
    }
    Ok(())
}

/// A streamed answer: chunks of up to 64 KiB, each written when full or
/// flushed; [`Chunked::finish`] writes the last one, without which a
/// client knows the answer was cut short. To an HTTP/1.0 client, which
/// knows no chunks, the same bytes go plain and the close ends them.
pub struct Chunked {
    conn: Conn,
    /// Whether the answer is sent in chunks (HTTP/1.1).
    chunked: bool,
    buf: Vec<u8>,
    /// How long sends have waited for the client so far.
    stalled: Duration,
    /// How long they may wait in all, while the statement runs.
    stall_limit: Option<Duration>,
    /// What a send that hit the stall limit had left to send: the rest of
    /// a chunk, sent first once the limit is lifted.
    unsent: Vec<u8>,
    /// The socket's write timeout, set only when it must change: a system
    /// call per send was a tenth of a point query's time in the holder.
    write_timeout: Duration,
}

const CHUNK: usize = 64 * 1024;

/// The error of a send that hit the stall limit.
#[derive(Debug)]
struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the client read its rows too slowly: the holder waited {} s in all for it to take them, while writes waited for its statement; read faster, or ask for fewer rows",
            super::STALL_LIMIT.as_secs()
        )
    }
}

impl std::error::Error for TooSlow {}

/// Whether a write to a [`Chunked`] failed because the client took its
/// answer too slowly; the error's text says so.
pub fn is_too_slow(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<TooSlow>())
}

impl Chunked {
    /// Writes the head of a 200 answer of `content_type` on a connection
    /// whose write timeout is [`IDLE_TIMEOUT`], as every request's is
    /// before its route runs.
    pub fn start(mut conn: Conn, content_type: &str, request: &Request) -> io::Result<Chunked> {
        let chunked = request.takes_chunks;
        let framing = match chunked {
            true => "Transfer-Encoding: chunked\r\n",
            false => "",
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{framing}Connection: close\r\n\r\n"
        );
        conn.write_all(head.as_bytes())?;
        conn.flush()?;
        Ok(Chunked {
            conn,
            chunked,
            buf: Vec::with_capacity(CHUNK),
            stalled: Duration::ZERO,
            stall_limit: Some(super::STALL_LIMIT),
            unsent: Vec::new(),
            write_timeout: IDLE_TIMEOUT,
        })
    }

    /// Sets the socket's write timeout to `wanted`, unless it is that
    /// already or longer by no more than a few milliseconds (a send may
    /// then wait that much past the stall limit).
    fn set_write_timeout(&mut self, wanted: Duration) -> io::Result<()> {
        const SLACK: Duration = Duration::from_millis(5);
        if wanted <= self.write_timeout && self.write_timeout - wanted <= SLACK {
            return Ok(());
        }
        self.conn.set_write_timeout(wanted)?;
        self.write_timeout = wanted;
        Ok(())
    }

    /// Lifts the stall limit once the statement has ended (and holds no
    /// write back): what is left goes with each send's own time limit.
    pub fn lift_stall_limit(&mut self) -> io::Result<()> {
        self.stall_limit = None;
        self.set_write_timeout(IDLE_TIMEOUT)?;
        let unsent = std::mem::take(&mut self.unsent);
        self.conn.write_all(&unsent)
    }

    /// Sends `bytes`, counting the time the client keeps them waiting;
    /// past the stall limit, keeps the rest and fails with [`TooSlow`].
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut at = 0;
        while at < bytes.len() {
            // Whether a send that times out has met the stall limit (rather
            // than its own, shorter, idle limit).
            let mut at_the_limit = false;
            if let Some(limit) = self.stall_limit {
                let left = limit.saturating_sub(self.stalled);
                if left.is_zero() {
                    self.unsent = bytes[at..].to_vec();
                    return Err(io::Error::new(io::ErrorKind::TimedOut, TooSlow));
                }
                at_the_limit = left <= IDLE_TIMEOUT;
                self.set_write_timeout(left.min(IDLE_TIMEOUT))?;
            }
            let started = Instant::now();
            let sent = self.conn.write(&bytes[at..]);
            self.stalled += started.elapsed();
            match sent {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(&e) && at_the_limit => {
                    // The loop's head fails with `TooSlow`.
                    self.stalled = self.stall_limit.unwrap_or(self.stalled);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn emit(&mut self) -> io::Result<()> {
        self.emit_ending(false)
    }

    /// Sends what is buffered as a chunk, followed by the last (empty)
    /// chunk when `last`: one send, where a short answer took two.
    fn emit_ending(&mut self, last: bool) -> io::Result<()> {
        if self.buf.is_empty() && !last {
            return Ok(());
        }
        if !self.chunked {
            let plain = std::mem::take(&mut self.buf);
            let sent = self.send(&plain);
            self.buf = plain;
            self.buf.clear();
            return sent;
        }
        let mut chunk = Vec::with_capacity(self.buf.len() + 16);
        if !self.buf.is_empty() {
            chunk.extend_from_slice(format!("{:x}\r\n", self.buf.len()).as_bytes());
            chunk.extend_from_slice(&self.buf);
            chunk.extend_from_slice(b"\r\n");
        }
        if last {
            chunk.extend_from_slice(b"0\r\n\r\n");
        }
        self.buf.clear();
        self.send(&chunk)
    }

    /// Writes what is buffered and the last chunk, once the statement has
    /// ended (so with no stall limit).
    pub fn finish(mut self) -> io::Result<()> {
        self.lift_stall_limit()?;
        self.emit_ending(true)?;
        self.conn.flush()
    }
}

impl Write for Chunked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        if self.buf.len() >= CHUNK {
            self.emit()?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.conn.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Request, Refusal> {
        parse_head(text.as_bytes())
    }

    #[test]
    fn heads_are_read_strictly() {
        let ok = parse(
            "POST /v1/import?name=a%20b&skip_invalid=true HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
        )
        .expect("parses");
        assert_eq!(
            (ok.method.as_str(), ok.path.as_str()),
            ("POST", "/v1/import")
        );
        assert_eq!(ok.param("name").as_deref(), Some("a b"));
        assert_eq!(ok.body, BodyKind::Length(5));
        for bad in [
            "GET /v1/health\r\n\r\n",
            "get /v1/health HTTP/1.1\r\n\r\n",
            "GET v1/health HTTP/1.1\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nno colon\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        ] {
            assert!(parse(bad).is_err_and(|r| r.status >= 400), "{bad:?}");
        }
        assert_eq!(
            parse("GET / HTTP/2.0\r\n\r\n")
                .map(|_| ())
                .unwrap_err()
                .status,
            505
        );
    }
}
