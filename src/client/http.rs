//! A small blocking HTTP/1.1 client for the holder's protocol: one request
//! per connection (the server closes after each answer), bodies sent with
//! a length or chunked, answers read with a length, chunked, or to the end.

use crate::store::Interrupt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a holder may take to start answering (or to take a request's
/// bytes) before the client says it does not answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a waiting client looks whether it was asked to stop.
const POLL: Duration = Duration::from_millis(50);
/// The longest answer head (status line and headers) read.
const MAX_HEAD: usize = 64 * 1024;

/// Where the holder answers.
#[derive(Clone, Debug)]
pub enum Endpoint {
    /// Its Unix socket.
    Unix(PathBuf),
    /// TCP, with the bearer token.
    Tcp {
        /// `HOST:PORT`.
        address: String,
        /// The token sent as `Authorization: Bearer …`.
        token: String,
    },
}

impl Endpoint {
    /// Connects; `Err` if nothing listens there.
    pub fn connect(&self) -> io::Result<Stream> {
        match self {
            Endpoint::Unix(path) => UnixStream::connect(path).map(Stream::Unix),
            Endpoint::Tcp { address, .. } => {
                let stream = TcpStream::connect(address)?;
                let _ = stream.set_nodelay(true);
                Ok(Stream::Tcp(stream))
            }
        }
    }

    /// Where it is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Unix(path) => path.display().to_string(),
            Endpoint::Tcp { address, .. } => address.clone(),
        }
    }
}

/// A connection to the holder.
#[derive(Debug)]
pub enum Stream {
    /// Over its Unix socket.
    Unix(UnixStream),
    /// Over TCP.
    Tcp(TcpStream),
}

impl Stream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_read_timeout(timeout),
            Stream::Tcp(s) => s.set_read_timeout(timeout),
        }
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_write_timeout(timeout),
            Stream::Tcp(s) => s.set_write_timeout(timeout),
        }
    }
    fn shutdown_write(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

/// What a request sends.
pub enum Body<'a> {
    /// Nothing.
    Empty,
    /// These bytes, with their type.
    Bytes(&'a [u8], &'a str),
    /// A stream of unknown length, chunked; `progress` hears the bytes sent.
    Stream(&'a mut dyn Read, &'a mut dyn FnMut(u64)),
}

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// The holder took no bytes, or sent none, for [`ANSWER_TIMEOUT`].
    NoAnswer,
    /// The connection broke (the holder went away) or the answer was not HTTP.
    Lost(io::Error),
    /// Reading the request's own body failed (a file being imported).
    Source(io::Error),
}

/// An answer whose head has been read.
pub struct Answer {
    /// The status code.
    pub status: u16,
    body: BufReader<Polled>,
    chunked: bool,
    /// Bytes left in the current chunk (chunked) or in the body (length).
    left: Option<u64>,
    finished: bool,
}

/// The stream read with a timeout, looking every [`POLL`] whether the
/// user asked to stop (then the request's side is shut, which the holder
/// takes as "stop this statement") and, until the head came, whether the
/// holder has taken too long.
struct Polled {
    stream: Stream,
    interrupt: Interrupt,
    stopped: bool,
    deadline: Option<Instant>,
}

impl Read for Polled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Err(e) if timed_out(&e) => {
                    if self.interrupt.is_interrupted() && !self.stopped {
                        self.stopped = true;
                        self.stream.shutdown_write();
                    }
                    if self.deadline.is_some_and(|d| Instant::now() > d) {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }
}

/// A body sent with its request's head in one write (a statement's
/// script, mostly); a larger one is sent after it, not copied.
const SMALL_BODY: usize = 64 * 1024;

/// Sends one request (on `connected`, or a new connection) and reads the
/// answer's head. `head_timeout`: how long
/// the holder may take to begin its answer once the request is sent (`None`
/// for work that answers only when done, as an import).
pub fn request(
    endpoint: &Endpoint,
    connected: Option<Stream>,
    method: &str,
    target: &str,
    body: Body,
    interrupt: &Interrupt,
    head_timeout: Option<Duration>,
) -> Result<Answer, Failure> {
    let mut stream = match connected {
        Some(stream) => stream,
        None => endpoint.connect().map_err(Failure::Lost)?,
    };
    stream
        .set_write_timeout(Some(ANSWER_TIMEOUT))
        .map_err(Failure::Lost)?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: evident\r\nConnection: close\r\n");
    if let Endpoint::Tcp { token, .. } = endpoint {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let sent = match body {
        Body::Empty => stream.write_all(format!("{head}\r\n").as_bytes()),
        Body::Bytes(bytes, kind) => {
            head.push_str(&format!(
                "Content-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            ));
            if bytes.len() <= SMALL_BODY {
                // One send: the holder reads the request at one wake-up.
                let mut request = head.into_bytes();
                request.extend_from_slice(bytes);
                stream.write_all(&request)
            } else {
                stream
                    .write_all(head.as_bytes())
                    .and_then(|()| stream.write_all(bytes))
            }
        }
        Body::Stream(reader, progress) => {
            head.push_str(
                "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            stream.write_all(head.as_bytes()).map_err(sent_failure)?;
            send_chunked(&mut stream, reader, progress)?;
            Ok(())
        }
    };
    sent.map_err(sent_failure)?;
    stream.set_read_timeout(Some(POLL)).map_err(Failure::Lost)?;
    let polled = Polled {
        stream,
        interrupt: interrupt.clone(),
        stopped: false,
        deadline: head_timeout.map(|t| Instant::now() + t),
    };
    let mut reader = BufReader::with_capacity(1 << 16, polled);
    let (status, chunked, length) = read_head(&mut reader)?;
    reader.get_mut().deadline = None;
    Ok(Answer {
        status,
        body: reader,
        chunked,
        left: if chunked { Some(0) } else { length },
        finished: false,
    })
}

/// Whether a read or write on a socket with a timeout gave up waiting
/// (`WouldBlock` or `TimedOut`, as the platform reports it).
pub(crate) fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn sent_failure(e: io::Error) -> Failure {
    if timed_out(&e) {
        Failure::NoAnswer
    } else {
        Failure::Lost(e)
    }
}

fn send_chunked(
    stream: &mut Stream,
    reader: &mut dyn Read,
    progress: &mut dyn FnMut(u64),
) -> Result<(), Failure> {
    let mut buf = vec![0; 1 << 16];
    let mut sent = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Source(e)),
        };
        if n == 0 {
            return stream.write_all(b"0\r\n\r\n").map_err(sent_failure);
        }
        let chunk = [format!("{n:x}\r\n").as_bytes(), &buf[..n], b"\r\n"].concat();
        stream.write_all(&chunk).map_err(sent_failure)?;
        sent += n as u64;
        progress(sent);
    }
}

fn read_head(reader: &mut impl BufRead) -> Result<(u16, bool, Option<u64>), Failure> {
    let lost =
        |what: &str| Failure::Lost(io::Error::new(io::ErrorKind::InvalidData, what.to_owned()));
    let mut line = Vec::new();
    let mut total = 0;
    let mut status = None;
    let (mut chunked, mut length) = (false, None);
    loop {
        line.clear();
        let n = reader
            .take(MAX_HEAD as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| match e.kind() {
                io::ErrorKind::TimedOut => Failure::NoAnswer,
                _ => Failure::Lost(e),
            })?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return Err(lost("the answer ended before its head did"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if status.is_none() {
            let code = text
                .strip_prefix("HTTP/1.")
                .and_then(|rest| rest.get(2..5))
                .and_then(|code| code.parse::<u16>().ok())
                .ok_or_else(|| lost("the answer is not HTTP"))?;
            status = Some(code);
        } else if text.is_empty() {
            return Ok((status.unwrap_or(0), chunked, length));
        } else if let Some((name, value)) = text.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().ok();
            }
        }
    }
}

impl Answer {
    /// The whole body, up to `max` bytes.
    pub fn body(&mut self, max: u64) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.take(max).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn chunk_size(&mut self) -> io::Result<u64> {
        let mut line = Vec::new();
        (&mut self.body).take(64).read_until(b'\n', &mut line)?;
        let text = std::str::from_utf8(&line).unwrap_or("");
        let size = text.trim().split(';').next().unwrap_or("");
        u64::from_str_radix(size, 16).map_err(|_| cut_short())
    }
}

fn cut_short() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the answer was cut short")
}

impl Read for Answer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        if !self.chunked {
            let want = match self.left {
                Some(0) => {
                    self.finished = true;
                    return Ok(0);
                }
                Some(left) => buf.len().min(usize::try_from(left).unwrap_or(usize::MAX)),
                None => buf.len(),
            };
            let n = self.body.read(&mut buf[..want])?;
            if let Some(left) = &mut self.left {
                if n == 0 {
                    return Err(cut_short());
                }
                *left -= n as u64;
            }
            return Ok(n);
        }
        if self.left == Some(0) {
            let size = self.chunk_size()?;
            if size == 0 {
                self.finished = true;
                return Ok(0);
            }
            self.left = Some(size);
        }
        let left = self.left.unwrap_or(0);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.body.read(&mut buf[..want])?;
        if n == 0 {
            return Err(cut_short());
        }
        let left = left - n as u64;
        self.left = Some(left);
        if left == 0 {
            let mut end = [0u8; 2];
            self.body.read_exact(&mut end)?;
            if &end != b"\r\n" {
                return Err(cut_short());
            }
        }
        Ok(n)
    }
}
