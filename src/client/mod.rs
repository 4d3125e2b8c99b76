//! [`Connection`]: a database opened here, or the process that holds it
//! (SPEC 10), behind one surface, so that the command line and programs do
//! not branch on which.

pub(crate) mod address;
pub(crate) mod http;
pub(crate) mod wire;

use crate::exec::{Output, RowSink, Value};
use crate::import::{ImportFormat, ImportOptions, ImportReport};
use crate::model::Kind;
use crate::store::{CheckReport, Counters, Interrupt, StoreError};
use crate::{Database, Error, ParamValue, Params};
use http::{Answer, Body, Endpoint, Failure};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use http::ANSWER_TIMEOUT;

/// How long opening waits for a process that holds the database but has
/// not yet put up its socket (one that is starting).
const HOLDER_START_WAIT: Duration = Duration::from_secs(3);
/// The longest line of a query's answer a client takes (a row, a report).
const MAX_LINE: usize = 256 * 1024 * 1024;

/// A database opened by this process, or the process holding it.
///
/// ```no_run
/// # fn main() -> Result<(), evident::Error> {
/// let db = evident::Connection::open_existing("claims.db")?;
/// let report = db.check()?;
/// # Ok(()) }
/// ```
pub struct Connection {
    inner: Inner,
}

enum Inner {
    Local(Arc<Database>),
    Remote(Remote),
}

struct Remote {
    /// The database's directory as the user named it, for messages.
    db: PathBuf,
    endpoint: Endpoint,
    /// The connection that found the holder, kept for the first request
    /// (a one-shot command then connects once, and the holder starts one
    /// thread, not two); used only while fresh, well within the holder's
    /// wait for a request.
    spare: std::sync::Mutex<Option<(http::Stream, Instant)>>,
}

/// How long the connection that found the holder may wait for a request.
const SPARE_FRESH: Duration = Duration::from_secs(1);

impl Connection {
    /// Reaches the process holding the database at `path` if there is one,
    /// else opens it here, creating it if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Connection, Error> {
        Connection::reach(path.as_ref(), true)
    }

    /// Like [`Connection::open`], but never creates a database.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Connection, Error> {
        Connection::reach(path.as_ref(), false)
    }

    /// The process serving a database over TCP at `address` (`HOST:PORT`),
    /// with its token.
    pub fn connect_tcp(address: &str, token: &str) -> Connection {
        Connection::remote(
            PathBuf::from(address),
            Endpoint::Tcp {
                address: address.to_owned(),
                token: token.to_owned(),
            },
            None,
        )
    }

    /// A database this process has open.
    pub fn local(db: Database) -> Connection {
        Connection {
            inner: Inner::Local(Arc::new(db)),
        }
    }

    fn remote(db: PathBuf, endpoint: Endpoint, spare: Option<http::Stream>) -> Connection {
        let spare = std::sync::Mutex::new(spare.map(|stream| (stream, Instant::now())));
        Connection {
            inner: Inner::Remote(Remote {
                db,
                endpoint,
                spare,
            }),
        }
    }

    fn reach(path: &Path, create: bool) -> Result<Connection, Error> {
        let started = Instant::now();
        loop {
            let socket = address::socket_for_client(path);
            if address::is_socket(&socket) && owned_like(&socket, path) {
                let endpoint = Endpoint::Unix(socket.clone());
                // A socket nobody listens on (its holder was killed) refuses
                // at once; the lock decides below.
                if let Ok(stream) = endpoint.connect() {
                    return Ok(Connection::remote(path.to_owned(), endpoint, Some(stream)));
                }
            }
            let opened = Database::open_here(path, create);
            match opened {
                Ok(db) => {
                    // This process holds the lock: whatever socket is there
                    // is a dead holder's.
                    address::remove_stale(path);
                    return Ok(Connection::local(db));
                }
                Err(Error::Store(StoreError::InUse(_)))
                    if started.elapsed() < HOLDER_START_WAIT =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(Error::Store(StoreError::InUse(_))) => {
                    return Err(Error::Holder(format!(
                        "the database at {} is in use by another evident process, which does not \
                         serve it (nothing answers on {}): a command that holds it while it runs (an import), \
                         or an older evident; wait for it to finish or stop it, then try again",
                        path.display(),
                        socket.display()
                    )));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The database, if this process has it open (to serve it, for one).
    pub fn database(&self) -> Option<&Arc<Database>> {
        match &self.inner {
            Inner::Local(db) => Some(db),
            Inner::Remote(_) => None,
        }
    }

    /// Where the holder answers, if another process holds the database.
    pub fn holder(&self) -> Option<String> {
        match &self.inner {
            Inner::Local(_) => None,
            Inner::Remote(remote) => Some(remote.endpoint.describe()),
        }
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        match &self.inner {
            Inner::Local(db) => db.path(),
            Inner::Remote(remote) => &remote.db,
        }
    }

    /// [`Database::query`], here or on the holder: one statement, its rows
    /// in the output.
    pub fn query(&self, statement: &str) -> Result<Output, Error> {
        let mut outputs = self.run_script(statement)?;
        match outputs.len() {
            1 => Ok(outputs.remove(0)),
            n => Err(Error::Query(crate::exec::QueryError::NotOneStatement(n))),
        }
    }

    /// [`Database::run_script`], here or on the holder.
    pub fn run_script(&self, script: &str) -> Result<Vec<Output>, Error> {
        let mut whole = WholeOutputs::default();
        self.run_each_streaming(script, &mut whole)?;
        Ok(whole.outputs)
    }

    /// [`Database::import_jsonl`], here or on the holder.
    pub fn import_jsonl(&self, reader: impl BufRead) -> Result<ImportReport, Error> {
        self.import_jsonl_with("<input>", reader, ImportOptions::default(), &mut |_| {})
    }

    /// [`Database::run_each_streaming`], here or on the holder.
    pub fn run_each_streaming(&self, script: &str, sink: &mut dyn RowSink) -> Result<(), Error> {
        self.run_each_streaming_with(script, &Params::new(), &Interrupt::new(), sink)
    }

    /// [`Database::run_each_streaming_with`], here or on the holder: the
    /// interrupt stops the statement on the holder too.
    pub fn run_each_streaming_with(
        &self,
        script: &str,
        params: &Params,
        interrupt: &Interrupt,
        sink: &mut dyn RowSink,
    ) -> Result<(), Error> {
        match &self.inner {
            Inner::Local(db) => db.run_each_streaming_with(script, params, interrupt, sink),
            Inner::Remote(remote) => remote.run_each_streaming(script, params, interrupt, sink),
        }
    }

    /// [`Database::import_jsonl_with`], here or on the holder.
    pub fn import_jsonl_with(
        &self,
        file: &str,
        mut reader: impl BufRead,
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, Error> {
        match &self.inner {
            Inner::Local(db) => db.import_jsonl_with(file, reader, options, progress),
            Inner::Remote(remote) => remote.import(file, &mut reader, options, progress),
        }
    }

    /// [`Database::import_files_with`], here or on the holder, which reads
    /// the files itself: through its Unix socket only (the same machine),
    /// with the paths made absolute.
    pub fn import_files_with(
        &self,
        format: &ImportFormat,
        label: &str,
        paths: &[PathBuf],
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, Error> {
        match &self.inner {
            Inner::Local(db) => db.import_files_with(format, label, paths, options, progress),
            Inner::Remote(remote) => remote.import_files(format, label, paths, options),
        }
    }

    /// [`Database::export_jsonl`], here or on the holder.
    pub fn export_jsonl(&self, out: &mut dyn Write) -> Result<u64, Error> {
        self.export_jsonl_with(out, &Interrupt::new())
    }

    /// [`Database::export_jsonl_with`], here or on the holder.
    pub fn export_jsonl_with(
        &self,
        out: &mut dyn Write,
        interrupt: &Interrupt,
    ) -> Result<u64, Error> {
        match &self.inner {
            Inner::Local(db) => db.export_jsonl_with(out, interrupt),
            Inner::Remote(remote) => remote.export("/v1/export", out, interrupt),
        }
    }

    /// [`Database::export_history_jsonl`], here or on the holder.
    pub fn export_history_jsonl(&self, out: &mut dyn Write) -> Result<u64, Error> {
        match &self.inner {
            Inner::Local(db) => db.export_history_jsonl(out),
            Inner::Remote(remote) => remote.export("/v1/export-history", out, &Interrupt::new()),
        }
    }

    /// [`Database::check`], here or on the holder.
    pub fn check(&self) -> Result<CheckReport, Error> {
        match &self.inner {
            Inner::Local(db) => db.check(),
            Inner::Remote(remote) => {
                let answer = remote.get_json("/v1/check")?;
                wire::check_report_from(&answer).ok_or_else(|| remote.garbled())
            }
        }
    }

    /// [`Database::counters`], here or on the holder.
    pub fn counters(&self) -> Result<Counters, Error> {
        match &self.inner {
            Inner::Local(db) => db.counters(),
            Inner::Remote(remote) => serde_json::from_value(remote.get_json("/v1/counters")?)
                .map_err(|_| remote.garbled()),
        }
    }

    /// [`Database::distinct_values`], here or on the holder.
    pub fn distinct_values(
        &self,
        collection: Kind,
        field: &str,
        limit: usize,
    ) -> Result<Vec<String>, Error> {
        match &self.inner {
            Inner::Local(db) => db.distinct_values(collection, field, limit),
            Inner::Remote(remote) => {
                let target = format!(
                    "/v1/values?collection={}&field={}&limit={limit}",
                    collection.collection(),
                    wire::percent_encode(field)
                );
                serde_json::from_value(remote.get_json(&target)?).map_err(|_| remote.garbled())
            }
        }
    }

    /// [`Database::record_ids`], here or on the holder.
    pub fn record_ids(&self, kind: Kind, limit: usize) -> Result<Vec<String>, Error> {
        match &self.inner {
            Inner::Local(db) => db.record_ids(kind, limit),
            Inner::Remote(remote) => {
                let target = format!("/v1/ids?collection={}&limit={limit}", kind.collection());
                serde_json::from_value(remote.get_json(&target)?).map_err(|_| remote.garbled())
            }
        }
    }
}

/// `Database::open`'s error for a database another process holds: if that
/// process serves it, says where and how to reach it.
pub(crate) fn name_the_holder(path: &Path, error: Error) -> Error {
    let Error::Store(StoreError::InUse(shown)) = &error else {
        return error;
    };
    let socket = address::socket_for_client(path);
    if !(address::is_socket(&socket) && Endpoint::Unix(socket.clone()).connect().is_ok()) {
        return error;
    }
    Error::Holder(format!(
        "the database at {shown} is in use by another evident process, which serves it on {}: \
         reach it with evident::Connection::open (the evident commands do)",
        socket.display()
    ))
}

/// Whether the socket belongs to the owner of the database directory: a
/// socket someone else put there (in a shared temporary directory, say) is
/// not the holder's.
fn owned_like(socket: &Path, db: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(socket), std::fs::metadata(db)) {
        (Ok(s), Ok(d)) => s.uid() == d.uid(),
        _ => false,
    }
}

impl Remote {
    fn request(
        &self,
        method: &str,
        target: &str,
        body: Body,
        interrupt: &Interrupt,
        head_timeout: Option<Duration>,
    ) -> Result<Answer, Error> {
        let spare = self
            .spare
            .lock()
            .ok()
            .and_then(|mut spare| spare.take())
            .filter(|(_, made)| made.elapsed() < SPARE_FRESH)
            .map(|(stream, _)| stream);
        http::request(
            &self.endpoint,
            spare,
            method,
            target,
            body,
            interrupt,
            head_timeout,
        )
        .map_err(|failure| self.failed(failure))
    }

    fn failed(&self, failure: Failure) -> Error {
        match failure {
            Failure::NoAnswer => Error::Holder(format!(
                "the database at {} is held by a process that does not answer on {} \
                 (nothing for {} s): it may be stopped or stuck; wait and try again, or end \
                 that process (an `evident serve` or `evident repl` on this database)",
                self.db.display(),
                self.endpoint.describe(),
                ANSWER_TIMEOUT.as_secs()
            )),
            Failure::Lost(e) => self.lost(&e),
            Failure::Source(e) => Error::io("read the input", e),
        }
    }

    fn lost(&self, e: &io::Error) -> Error {
        Error::Holder(format!(
            "lost the process holding the database at {} ({}) before it finished answering: {e}",
            self.db.display(),
            self.endpoint.describe()
        ))
    }

    fn garbled(&self) -> Error {
        Error::Holder(format!(
            "the process holding the database at {} ({}) answered something this evident does not read; \
             is it another version of evident?",
            self.db.display(),
            self.endpoint.describe()
        ))
    }

    /// The error of an answer that is not 200: the holder's message, or
    /// the status.
    fn refused(&self, mut answer: Answer) -> Error {
        let body = answer.body(1 << 20).unwrap_or_default();
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error")?.get("message")?.as_str().map(str::to_owned));
        match message {
            Some(message) => Error::Holder(message),
            None => Error::Holder(format!(
                "the process holding the database at {} refused the request ({} {})",
                self.db.display(),
                answer.status,
                String::from_utf8_lossy(&body).trim()
            )),
        }
    }

    fn get_json(&self, target: &str) -> Result<serde_json::Value, Error> {
        let mut answer = self.request("GET", target, Body::Empty, &Interrupt::new(), None)?;
        if answer.status != 200 {
            return Err(self.refused(answer));
        }
        let body = answer.body(1 << 30).map_err(|e| self.lost(&e))?;
        serde_json::from_slice(&body).map_err(|_| self.garbled())
    }

    fn run_each_streaming(
        &self,
        script: &str,
        params: &Params,
        interrupt: &Interrupt,
        sink: &mut dyn RowSink,
    ) -> Result<(), Error> {
        let json;
        let body = if params.is_empty() {
            Body::Bytes(script.as_bytes(), "text/plain; charset=utf-8")
        } else {
            json = query_json(script, params);
            Body::Bytes(json.as_bytes(), "application/json")
        };
        let answer = self.request("POST", "/v1/query", body, interrupt, Some(ANSWER_TIMEOUT))?;
        if answer.status != 200 {
            return Err(self.refused(answer));
        }
        let mut reader = BufReader::with_capacity(1 << 16, answer);
        let mut statement = Statement::default();
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = (&mut reader)
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut line)
                .map_err(|e| self.lost(&e))?;
            if n == 0 {
                return Ok(());
            }
            let text = std::str::from_utf8(&line).map_err(|_| self.garbled())?;
            match wire::parse_line(text.trim_end()).ok_or_else(|| self.garbled())? {
                wire::Line::Row(members) => statement
                    .row(members, sink)
                    .map_err(|e| Error::io("write the output", e))?,
                wire::Line::Done(output) => statement.done(output, sink),
                wire::Line::Error(message) => return Err(Error::Holder(message)),
                wire::Line::Note => {}
            }
        }
    }

    fn import(
        &self,
        file: &str,
        reader: &mut dyn Read,
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, Error> {
        let target = format!(
            "/v1/import?name={}{}",
            wire::percent_encode(file),
            if options.skip_invalid {
                "&skip_invalid=true"
            } else {
                ""
            }
        );
        let mut answer = self
            .request("POST", &target, Body::Stream(reader, progress), &Interrupt::new(), None)
            .map_err(|e| match e {
                Error::Holder(message) => Error::Holder(format!(
                    "{message}\n{file}: the import is all or nothing; run it again to be sure it is in \
                     (records already there are left unchanged)"
                )),
                other => other,
            })?;
        if answer.status != 200 {
            return Err(self.refused(answer));
        }
        let body = answer.body(1 << 30).map_err(|e| self.lost(&e))?;
        let json = serde_json::from_slice(&body).map_err(|_| self.garbled())?;
        wire::import_report_from(&json).ok_or_else(|| self.garbled())
    }

    fn import_files(
        &self,
        format: &ImportFormat,
        label: &str,
        paths: &[PathBuf],
        options: ImportOptions,
    ) -> Result<ImportReport, Error> {
        if matches!(self.endpoint, Endpoint::Tcp { .. }) {
            return Err(Error::Holder(format!(
                "{label}: import --from reads files by their paths, which a holder over TCP cannot see; \
                 convert them to JSON Lines, or run the import on its machine"
            )));
        }
        let absolute = |path: &Path| {
            std::path::absolute(path)
                .map(|p| wire::percent_encode(&p.to_string_lossy()))
                .map_err(|e| Error::Holder(format!("{}: {e}", path.display())))
        };
        let mut target = format!("/v1/import-files?name={}", wire::percent_encode(label));
        match format {
            ImportFormat::Epoch { makers } => {
                target.push_str("&from=epoch");
                if let Some(makers) = makers {
                    target.push_str(&format!("&makers={}", absolute(makers)?));
                }
            }
            ImportFormat::Eee => target.push_str("&from=eee"),
            ImportFormat::Csv(kind) => target.push_str(&format!("&from=csv&type={}", kind.name())),
        }
        for path in paths {
            target.push_str(&format!("&path={}", absolute(path)?));
        }
        if options.skip_invalid {
            target.push_str("&skip_invalid=true");
        }
        let mut answer = self.request(
            "POST",
            &target,
            Body::Bytes(b"", "text/plain"),
            &Interrupt::new(),
            None,
        )?;
        if answer.status != 200 {
            return Err(self.refused(answer));
        }
        let body = answer.body(1 << 30).map_err(|e| self.lost(&e))?;
        let json = serde_json::from_slice(&body).map_err(|_| self.garbled())?;
        wire::import_report_from(&json).ok_or_else(|| self.garbled())
    }

    fn export(&self, path: &str, out: &mut dyn Write, interrupt: &Interrupt) -> Result<u64, Error> {
        let mut answer = self.request("GET", path, Body::Empty, interrupt, Some(ANSWER_TIMEOUT))?;
        if answer.status != 200 {
            return Err(self.refused(answer));
        }
        let mut buf = vec![0; 1 << 16];
        let mut lines = 0u64;
        loop {
            let n = answer.read(&mut buf).map_err(|e| self.lost(&e))?;
            if n == 0 {
                out.flush().map_err(|e| Error::io("write the export", e))?;
                return Ok(lines);
            }
            lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
            out.write_all(&buf[..n])
                .map_err(|e| Error::io("write the export", e))?;
        }
    }
}

/// Outputs with their rows, streamed ones put back.
#[derive(Default)]
struct WholeOutputs {
    rows: Vec<Vec<Value>>,
    outputs: Vec<Output>,
}

impl RowSink for WholeOutputs {
    fn begin(&mut self, _columns: &[String]) -> io::Result<()> {
        Ok(())
    }
    fn row(&mut self, row: &[Value]) -> io::Result<()> {
        self.rows.push(row.to_vec());
        Ok(())
    }
    fn done(&mut self, mut output: Output) {
        if output.rows.is_empty() {
            output.rows = std::mem::take(&mut self.rows);
        }
        self.outputs.push(output);
    }
}

/// A query request with parameters: typed values as `params`, and the
/// command line's text bindings, which take the type the statement expects
/// where they stand, as `text_params`.
fn query_json(script: &str, params: &Params) -> String {
    let mut typed = serde_json::Map::new();
    let mut text = serde_json::Map::new();
    for (name, value) in params.iter() {
        match value {
            ParamValue::Json(value) => typed.insert(name.to_owned(), value.clone()),
            ParamValue::Text(value) => text.insert(name.to_owned(), value.clone().into()),
        };
    }
    serde_json::json!({ "script": script, "params": typed, "text_params": text }).to_string()
}

/// The rows of the statement being answered. The first rows are held, as
/// a table holds them anyway to size its columns: a statement that ends
/// within them is handed over whole, exactly as run here (a `show` prints
/// its report in place of its rows); past them rows stream through.
#[derive(Default)]
struct Statement {
    columns: Vec<String>,
    held: Vec<Vec<Value>>,
    streaming: bool,
}

impl Statement {
    fn row(&mut self, members: Vec<(String, Value)>, sink: &mut dyn RowSink) -> io::Result<()> {
        if self.streaming {
            let row: Vec<Value> = members.into_iter().map(|(_, value)| value).collect();
            return sink.row(&row);
        }
        if self.held.is_empty() {
            self.columns = members.iter().map(|(name, _)| name.clone()).collect();
        }
        self.held
            .push(members.into_iter().map(|(_, value)| value).collect());
        if self.held.len() > crate::render::TABLE_HEAD_ROWS {
            self.streaming = true;
            sink.begin(&self.columns)?;
            for row in self.held.drain(..) {
                sink.row(&row)?;
            }
        }
        Ok(())
    }

    fn done(&mut self, mut output: Output, sink: &mut dyn RowSink) {
        if !self.streaming {
            output.rows = std::mem::take(&mut self.held);
        }
        *self = Statement::default();
        sink.done(output);
    }
}
