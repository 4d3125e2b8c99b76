//! `evident serve` and the open shell: the holder of a database answering
//! other processes (SPEC 10) over HTTP/1.1 on a Unix socket in the
//! database directory, and on TCP with a token.
//!
//! One thread per connection (reused, see [`workers`]), with std's sockets: statements run on
//! blocking threads anyway, and a holder serves a handful of clients, so an
//! async runtime would buy nothing here and cost a minute of every cold
//! build (see the commit that added this module). Every request is treated
//! as hostile: heads, bodies and scripts have limits, slow clients time
//! out, and at most [`MAX_CONNECTIONS`] are served at once.

mod http;
mod routes;
mod workers;

use crate::client::address;
use crate::{Database, Error, Interrupt};
use http::Conn;
use std::collections::HashMap;
use std::io::{self, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most connections served at once; more are answered 503 at once.
pub const MAX_CONNECTIONS: usize = 256;
/// How long in all a streamed answer (a query's rows, an export) may wait
/// for its client to take it: its statement holds back every write
/// meanwhile (SPEC 10), so a client reading slower than that loses its
/// statement, with an error saying why.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);
/// The threads of every holder in this process.
static WORKERS: workers::Workers = workers::Workers::new();
/// The largest script `POST /v1/query` takes.
pub const MAX_SCRIPT: u64 = 16 * 1024 * 1024;

/// What to serve besides the Unix socket.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// `HOST:PORT` to serve TCP on as well.
    pub listen: Option<String>,
    /// The token every TCP request must carry; required with `listen`.
    pub token: Option<String>,
}

/// A holder serving a database until it is stopped (or dropped).
pub struct Server {
    shared: Arc<Shared>,
    socket: PathBuf,
    tcp: Option<SocketAddr>,
    accepting: Vec<JoinHandle<()>>,
}

struct Shared {
    db: Arc<Database>,
    token: Option<Vec<u8>>,
    stopping: AtomicBool,
    /// The connections being served, counted apart for the Unix socket
    /// and for TCP, each up to [`MAX_CONNECTIONS`]: clients on the network,
    /// with or without the token, cannot take the places of local ones.
    active_local: AtomicUsize,
    active_tcp: AtomicUsize,
    /// The interrupts of the statements running, by request number, so
    /// that stopping the holder stops them.
    running: Mutex<HashMap<u64, Interrupt>>,
    next_request: AtomicU64,
}

impl Shared {
    /// A fresh interrupt for one request's work, stopped with the holder.
    fn running(&self) -> Running<'_> {
        let number = self.next_request.fetch_add(1, Ordering::Relaxed);
        let interrupt = Interrupt::new();
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(number, interrupt.clone());
        Running {
            shared: self,
            number,
            interrupt,
        }
    }
}

/// A request's interrupt, registered while it runs.
struct Running<'a> {
    shared: &'a Shared,
    number: u64,
    interrupt: Interrupt,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.shared
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.number);
    }
}

/// Reads a token file: its content without surrounding white space; an
/// empty token is refused.
pub fn read_token_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: the token is not text", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!(
            "{}: the token file is empty; put a secret in it",
            path.display()
        ));
    }
    if token.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(format!(
            "{}: the token has spaces or control characters; use one line of printable characters",
            path.display()
        ));
    }
    Ok(token.to_owned())
}

impl Server {
    /// Starts serving `db`: binds its socket (and TCP), then answers on
    /// threads of its own.
    pub fn start(db: Arc<Database>, options: &ServeOptions) -> Result<Server, Error> {
        let dir = db.path().to_owned();
        let token = match (&options.listen, &options.token) {
            (Some(_), None) => {
                return Err(Error::Holder(
                    "serving TCP needs a token: add --token-file FILE (the file holds the token)"
                        .into(),
                ));
            }
            (_, Some(token)) if token.trim().is_empty() => {
                return Err(Error::Holder(
                    "the token is empty; refusing to serve with it".into(),
                ));
            }
            (_, token) => token.as_ref().map(|t| t.trim().as_bytes().to_vec()),
        };
        let tcp = match &options.listen {
            Some(address) => Some(
                TcpListener::bind(address)
                    .map_err(|e| Error::Holder(format!("could not listen on {address}: {e}")))?,
            ),
            None => None,
        };
        // This process holds the database: a socket left there is a dead holder's.
        address::remove_stale(&dir);
        let (socket, fallback) = address::socket_for_holder(&dir);
        let unix = bind_private(&socket)?;
        if fallback {
            let record = dir.join(address::FALLBACK_RECORD);
            if let Err(source) = std::fs::write(&record, socket.as_os_str().as_encoded_bytes()) {
                let _ = std::fs::remove_file(&socket);
                return Err(Error::Io {
                    doing: "record where the socket is",
                    path: Some(record),
                    source,
                });
            }
        }
        let shared = Arc::new(Shared {
            db,
            token,
            stopping: AtomicBool::new(false),
            active_local: AtomicUsize::new(0),
            active_tcp: AtomicUsize::new(0),
            running: Mutex::new(HashMap::new()),
            next_request: AtomicU64::new(0),
        });
        let tcp_address = tcp.as_ref().and_then(|l| l.local_addr().ok());
        let mut accepting = Vec::new();
        let serving = Arc::clone(&shared);
        accepting.push(std::thread::spawn(move || {
            accept_loop(
                &serving,
                |shared| &shared.active_local,
                || unix.accept().map(|(s, _)| Conn::Unix(s)),
            )
        }));
        if let Some(listener) = tcp {
            let serving = Arc::clone(&shared);
            accepting.push(std::thread::spawn(move || {
                accept_loop(
                    &serving,
                    |shared| &shared.active_tcp,
                    || {
                        listener.accept().map(|(s, _)| {
                            let _ = s.set_nodelay(true);
                            Conn::Tcp(s)
                        })
                    },
                )
            }));
        }
        Ok(Server {
            shared,
            socket,
            tcp: tcp_address,
            accepting,
        })
    }

    /// The Unix socket it answers on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The TCP address it answers on, if any.
    pub fn tcp_address(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// Stops accepting, removes the socket, and gives the requests being
    /// answered a moment to end (their statements are interrupted).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accepting threads, which see `stopping`.
        let _ = std::os::unix::net::UnixStream::connect(&self.socket);
        if let Some(address) = self.tcp {
            let _ = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1));
        }
        for thread in self.accepting.drain(..) {
            let _ = thread.join();
        }
        address::remove_stale(self.shared.db.path());
        let started = Instant::now();
        while self.shared.active_local.load(Ordering::SeqCst)
            + self.shared.active_tcp.load(Ordering::SeqCst)
            > 0
            && started.elapsed() < Duration::from_secs(5)
        {
            for interrupt in self
                .shared
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
            {
                interrupt.interrupt();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Binds a Unix socket only its owner can use, with no moment when anyone
/// else could connect: bound in a fresh directory of mode 0700, made 0600,
/// then renamed into place (replacing a dead holder's).
fn bind_private(socket: &Path) -> Result<UnixListener, Error> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let parent = socket.parent().unwrap_or(Path::new("."));
    let private = parent.join(format!(".evident-bind-{}", std::process::id()));
    let failed = |path: &Path, source: io::Error| Error::Io {
        doing: "make the socket",
        path: Some(path.to_owned()),
        source,
    };
    let _ = std::fs::remove_dir_all(&private);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&private)
        .map_err(|e| failed(&private, e))?;
    let staged = private.join("s");
    let bound = UnixListener::bind(&staged)
        .and_then(|listener| {
            std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))?;
            std::fs::rename(&staged, socket)?;
            Ok(listener)
        })
        .map_err(|e| failed(socket, e));
    let _ = std::fs::remove_dir_all(&private);
    bound
}

/// Serves the connections `accept` gives, counted in `active`.
fn accept_loop(
    shared: &Arc<Shared>,
    active: fn(&Shared) -> &AtomicUsize,
    accept: impl Fn() -> io::Result<Conn>,
) {
    loop {
        let conn = accept();
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut conn) = conn else {
            // Out of descriptors, say: wait rather than spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        if active(shared).fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active(shared).fetch_sub(1, Ordering::SeqCst);
            let _ = conn.set_timeouts(Duration::from_millis(100), Duration::from_millis(100));
            let _ = http::respond_error(&mut conn, 503, "too many connections; try again");
            continue;
        }
        let serving = Arc::clone(shared);
        let spawned = WORKERS.run(move || {
            // Counted down however the request ends, a panic included.
            let _active = Active(active(&serving));
            serve_connection(&serving, conn);
        });
        if spawned.is_err() {
            active(shared).fetch_sub(1, Ordering::SeqCst);
        }
    }
}

struct Active<'a>(&'a AtomicUsize);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_connection(shared: &Shared, conn: Conn) {
    // Short reads while the head comes, to keep to its deadline.
    if conn
        .set_timeouts(Duration::from_secs(1), http::IDLE_TIMEOUT)
        .is_err()
    {
        return;
    }
    let Ok(mut answer) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(1 << 16, conn);
    let unauthorized = |answer: &mut Conn| {
        let _ = http::respond(
            answer,
            401,
            "WWW-Authenticate: Bearer\r\n",
            "text/plain",
            b"",
        );
        answer.shutdown();
    };
    let token = match &answer {
        Conn::Tcp(_) => shared.token.as_ref(),
        Conn::Unix(_) => None,
    };
    let request = match http::read_head(&mut reader) {
        Ok(request) => request,
        // Over TCP, a head that cannot be read cannot show the token: it
        // gets 401 and nothing else (SPEC 10), not what is wrong with it.
        Err(_) if token.is_some() => return unauthorized(&mut answer),
        Err(refusal) => {
            let _ = http::respond_error(&mut answer, refusal.status, &refusal.message);
            answer.shutdown();
            return;
        }
    };
    if let Some(token) = token
        && !authorized(request.header("authorization"), token)
    {
        return unauthorized(&mut answer);
    }
    let _ = reader
        .get_ref()
        .set_timeouts(http::IDLE_TIMEOUT, http::IDLE_TIMEOUT);
    routes::route(shared, request, reader, answer);
}

/// Whether `Authorization: Bearer TOKEN` carries the token, compared in
/// time that does not depend on where they differ.
fn authorized(header: Option<&str>, token: &[u8]) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    constant_time_eq(given.trim().as_bytes(), token)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is no secret worth hiding; the bytes are compared in full.
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_must_match_exactly() {
        assert!(authorized(Some("Bearer s3cret"), b"s3cret"));
        assert!(!authorized(Some("Bearer s3cre"), b"s3cret"));
        assert!(!authorized(Some("Bearer s3cret2"), b"s3cret"));
        assert!(!authorized(Some("Basic s3cret"), b"s3cret"));
        assert!(!authorized(None, b"s3cret"));
        assert!(!authorized(Some("Bearer "), b"s3cret"));
    }

    #[test]
    fn token_files_are_trimmed_and_never_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("token");
        std::fs::write(&file, "  abc\n").expect("writes");
        assert_eq!(read_token_file(&file).as_deref(), Ok("abc"));
        std::fs::write(&file, " \n").expect("writes");
        assert!(read_token_file(&file).is_err_and(|e| e.contains("empty")));
    }
}
