//! What each path of the protocol does (SPEC 10; the rest is documented in
//! `README.md`, "Sharing a database").

use super::MAX_SCRIPT;
use super::Shared;
use super::http::{self, Body, BodyKind, Chunked, Conn, Request};
use crate::client::http::timed_out;
use crate::client::wire;
use crate::exec::{Output, RowSink, Value};
use crate::import::{ImportFormat, ImportOptions};
use crate::model::Kind;
use crate::{Database, Interrupt, Params};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Answers one request.
pub fn route(shared: &Shared, request: Request, mut reader: BufReader<Conn>, mut answer: Conn) {
    let db = &*shared.db;
    let known = [
        "/v1/health",
        "/v1/query",
        "/v1/import",
        "/v1/import-files",
        "/v1/export",
        "/v1/export-history",
        "/v1/check",
        "/v1/counters",
        "/v1/values",
        "/v1/ids",
    ];
    let answered = match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/v1/health") => http::respond_json(
            &mut answer,
            &serde_json::json!({
                "evident": env!("CARGO_PKG_VERSION"),
                "format": crate::store::codec::FORMAT_VERSION,
            }),
        ),
        ("POST", "/v1/query") => query(shared, &request, &mut reader, answer),
        ("POST", "/v1/import") => import(db, &request, &mut reader, &mut answer),
        ("POST", "/v1/import-files") => import_files(db, &request, &mut answer),
        ("GET", "/v1/export") => export(shared, &request, &reader, answer, Exported::Records),
        ("GET", "/v1/export-history") => {
            export(shared, &request, &reader, answer, Exported::History)
        }
        ("GET", "/v1/check") => {
            let running = shared.running();
            let watcher = Disconnect::watch(reader.get_ref(), &running.interrupt);
            let checked = db.check_with(&running.interrupt);
            watcher.finish();
            match checked {
                Ok(report) => http::respond_json(&mut answer, &wire::check_report_json(&report)),
                Err(e) => http::respond_error(&mut answer, 500, &e.to_string()),
            }
        }
        ("GET", "/v1/counters") => match db.counters() {
            Ok(counters) => http::respond_json(&mut answer, &serde_json::json!(counters)),
            Err(e) => http::respond_error(&mut answer, 500, &e.to_string()),
        },
        ("GET", "/v1/values" | "/v1/ids") => completion(db, &request, &mut answer),
        (_, path) if known.contains(&path) => http::respond_error(
            &mut answer,
            405,
            &format!("{} does not take {}", path, request.method),
        ),
        _ => http::respond_error(
            &mut answer,
            404,
            "no such path; see /v1/health, /v1/query, /v1/import, /v1/export",
        ),
    };
    // A client gone away is no error of the holder's.
    let _ = answered;
    // The answer is whole: the client reading to the end sees it end now,
    // and a statement's watcher, blocked reading a copy of this socket,
    // wakes now. Closing alone waits for that copy, up to its 200 ms poll:
    // a client reading to the end waited that long for each request, and
    // each watcher held a worker thread as long.
    reader.get_ref().shutdown();
}

/// Reads a whole (small) body, refusing one longer than `max`.
fn read_body(
    request: &Request,
    reader: &mut BufReader<Conn>,
    answer: &mut Conn,
    max: u64,
) -> Result<Vec<u8>, (u16, String)> {
    if let BodyKind::Length(n) = request.body
        && n > max
    {
        return Err((413, format!("the request is larger than {} MiB", max >> 20)));
    }
    http::continue_if_expected(answer, request).map_err(|e| (400, e.to_string()))?;
    let mut bytes = Vec::new();
    Body::new(reader, request.body)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| match timed_out(&e) {
            true => (408, "the request's body took too long".to_owned()),
            false => (400, format!("could not read the request's body: {e}")),
        })?;
    if bytes.len() as u64 > max {
        return Err((413, format!("the request is larger than {} MiB", max >> 20)));
    }
    Ok(bytes)
}

/// The script and parameters of a query request: the body as text, or
/// `{"script": …, "params": {…}}` as JSON.
fn script_of(request: &Request, body: Vec<u8>) -> Result<(String, Params), String> {
    let json = request.header("content-type").is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        let script =
            String::from_utf8(body).map_err(|_| "the script is not valid UTF-8".to_owned())?;
        return Ok((script, Params::new()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("the request is not JSON: {e}"))?;
    let Some(script) = value.get("script").and_then(|s| s.as_str()) else {
        return Err(r#"the request needs "script": the statements to run, as a string"#.to_owned());
    };
    let object = |name: &str| match value.get(name) {
        None | Some(serde_json::Value::Null) => Ok(serde_json::Map::new()),
        Some(serde_json::Value::Object(members)) => Ok(members.clone()),
        Some(_) => Err(format!(r#""{name}" must be an object of names and values"#)),
    };
    let mut params = Params::from_json(object("params")?);
    // The command line's `--param name=value`, typed where it stands.
    for (name, text) in object("text_params")? {
        let serde_json::Value::String(text) = text else {
            return Err(r#""text_params" must map names to strings"#.to_owned());
        };
        if params.set_text(name.clone(), text).is_some() {
            return Err(format!("${name} is bound twice"));
        }
    }
    Ok((script.to_owned(), params))
}

fn query(
    shared: &Shared,
    request: &Request,
    reader: &mut BufReader<Conn>,
    mut answer: Conn,
) -> io::Result<()> {
    let body = match read_body(request, reader, &mut answer, MAX_SCRIPT) {
        Ok(body) => body,
        Err((status, message)) => return http::respond_error(&mut answer, status, &message),
    };
    let (script, params) = match script_of(request, body) {
        Ok(parsed) => parsed,
        Err(message) => return http::respond_error(&mut answer, 400, &message),
    };
    let running = shared.running();
    let watcher = Disconnect::watch(reader.get_ref(), &running.interrupt);
    let mut sink = LineSink {
        out: Chunked::start(answer, "application/x-ndjson", request)?,
        columns: Vec::new(),
        statement: 0,
        failed: None,
    };
    let result = shared
        .db
        .run_each_streaming_with(&script, &params, &running.interrupt, &mut sink);
    watcher.finish();
    match sink.failed {
        // Its statement is over: the client may take the rest, and why.
        Some(e) if http::is_too_slow(&e) => {
            sink.out.lift_stall_limit()?;
            sink.out.write_all(&wire::error_line(&e.to_string()))?;
            return sink.out.finish();
        }
        Some(e) => return Err(e),
        None => {}
    }
    if let Err(e) = result {
        sink.out.write_all(&wire::error_line(&e.render(&script)))?;
    }
    sink.out.finish()
}

/// Writes a script's outputs as the protocol's lines.
struct LineSink {
    out: Chunked,
    /// The columns of the query whose rows are streaming.
    columns: Vec<String>,
    /// Statements done so far.
    statement: usize,
    /// The first failed write: the client is gone.
    failed: Option<io::Error>,
}

impl LineSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.failed.is_some() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        // The statement gets a copy; the first error is kept for `query`.
        self.out.write_all(bytes).map_err(|e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            self.failed = Some(e);
            copy
        })
    }
}

impl RowSink for LineSink {
    fn begin(&mut self, columns: &[String]) -> io::Result<()> {
        self.columns = columns.to_vec();
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> io::Result<()> {
        let line = wire::row_line(&self.columns, row);
        self.write(&line)
    }

    fn done(&mut self, output: Output) {
        self.statement += 1;
        let mut lines = Vec::new();
        for row in &output.rows {
            lines.extend(wire::row_line(&output.columns, row));
        }
        if let Some(message) = &output.message {
            lines.extend(wire::note_line(message));
        }
        for note in &output.notes {
            lines.extend(wire::note_line(&format!("note: {note}")));
        }
        lines.extend(wire::done_line(self.statement, &output));
        let _ = self.write(&lines);
        // Each statement's end reaches the client when it happens.
        if self.failed.is_none()
            && let Err(e) = self.out.flush()
        {
            self.failed = Some(e);
        }
    }
}

/// Watches a client while its statement runs: one that goes away (or shuts
/// its side, as the client does on Ctrl-C) stops the statement.
struct Disconnect {
    finished: Arc<AtomicBool>,
}

impl Disconnect {
    fn watch(conn: &Conn, interrupt: &Interrupt) -> Disconnect {
        let finished = Arc::new(AtomicBool::new(false));
        if let Ok(mut conn) = conn.try_clone() {
            let done = Arc::clone(&finished);
            let interrupt = interrupt.clone();
            let _ = conn.set_timeouts(Duration::from_millis(200), http::IDLE_TIMEOUT);
            let _ = super::WORKERS.run(move || {
                let mut buf = [0u8; 512];
                while !done.load(Ordering::SeqCst) {
                    match conn.read(&mut buf) {
                        // More bytes after the request: ignored.
                        Ok(n) if n > 0 => {}
                        Err(e) if timed_out(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                        _ => {
                            if !done.load(Ordering::SeqCst) {
                                interrupt.interrupt();
                            }
                            return;
                        }
                    }
                }
            });
        }
        Disconnect { finished }
    }

    fn finish(self) {
        self.finished.store(true, Ordering::SeqCst);
    }
}

/// An import's name for messages (`name=`) and options (`skip_invalid=true`).
fn import_options(request: &Request) -> (String, ImportOptions) {
    let name = request
        .param("name")
        .unwrap_or_else(|| "<request>".to_owned());
    let skip_invalid = request
        .param("skip_invalid")
        .is_some_and(|v| v == "true" || v == "1");
    (name, ImportOptions { skip_invalid })
}

fn import(
    db: &Database,
    request: &Request,
    reader: &mut BufReader<Conn>,
    answer: &mut Conn,
) -> io::Result<()> {
    if request.body == BodyKind::None {
        return http::respond_error(
            answer,
            411,
            "send the JSON Lines to import as the body (with a length or chunked)",
        );
    }
    let (name, options) = import_options(request);
    http::continue_if_expected(answer, request)?;
    let mut body = BufReader::with_capacity(1 << 20, Body::new(reader, request.body));
    let gzip = body.fill_buf().is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
    let input: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(body),
        ))
    } else {
        Box::new(body)
    };
    match db.import_jsonl_with(&name, input, options, &mut |_| {}) {
        Ok(report) => http::respond_json(answer, &wire::import_report_json(&report)),
        Err(e) => http::respond_error(answer, 422, &e.to_string()),
    }
}

/// `import --from`: files of another format that the holder reads by
/// path. Only through the Unix socket, whose clients are this machine's
/// owner of the database (over TCP the paths would be the holder's, not
/// the client's).
fn import_files(db: &Database, request: &Request, answer: &mut Conn) -> io::Result<()> {
    if let Conn::Tcp(_) = answer {
        return http::respond_error(
            answer,
            403,
            "import-files is served on the Unix socket only",
        );
    }
    let (name, options) = import_options(request);
    let format = match request.param("from").as_deref() {
        Some("epoch") => ImportFormat::Epoch {
            makers: request.param("makers").map(std::path::PathBuf::from),
        },
        Some("eee") => ImportFormat::Eee,
        Some("csv") => match request.param("type").as_deref().and_then(Kind::from_name) {
            Some(kind) => ImportFormat::Csv(kind),
            None => return http::respond_error(answer, 400, "from=csv needs type=KIND"),
        },
        _ => return http::respond_error(answer, 400, "from must be epoch, eee or csv"),
    };
    let paths: Vec<std::path::PathBuf> = match request.params("path") {
        Some(paths) if !paths.is_empty() && paths.iter().all(|p| p.starts_with('/')) => {
            paths.into_iter().map(Into::into).collect()
        }
        _ => return http::respond_error(answer, 400, "give the files as absolute paths: path=/…"),
    };
    let imported = db.import_files_with(&format, &name, &paths, options, &mut |_| {});
    match imported {
        Ok(report) => http::respond_json(answer, &wire::import_report_json(&report)),
        Err(e) => http::respond_error(answer, 422, &e.to_string()),
    }
}

/// What `GET /v1/export…` writes.
enum Exported {
    /// The records (`/v1/export`, SPEC 10).
    Records,
    /// Every recorded write (`/v1/export-history`, SPEC 9).
    History,
}

fn export(
    shared: &Shared,
    request: &Request,
    reader: &BufReader<Conn>,
    answer: Conn,
    what: Exported,
) -> io::Result<()> {
    let running = shared.running();
    let watcher = Disconnect::watch(reader.get_ref(), &running.interrupt);
    let mut out = Chunked::start(answer, "application/x-ndjson", request)?;
    let exported = match what {
        Exported::Records => shared.db.export_jsonl_with(&mut out, &running.interrupt),
        Exported::History => shared
            .db
            .export_history_jsonl_with(&mut out, &running.interrupt),
    };
    watcher.finish();
    match exported {
        // Without the last chunk the client knows the export is not whole.
        Ok(_) => out.finish(),
        Err(e) => Err(io::Error::other(e.to_string())),
    }
}

fn completion(db: &Database, request: &Request, answer: &mut Conn) -> io::Result<()> {
    let Some(kind) = request
        .param("collection")
        .as_deref()
        .and_then(Kind::from_collection)
    else {
        return http::respond_error(
            answer,
            400,
            "collection must be sources, claims, evidence or results",
        );
    };
    let limit = request
        .param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .min(10_000);
    let values = if request.path == "/v1/ids" {
        db.record_ids(kind, limit)
    } else {
        let field = request.param("field").unwrap_or_default();
        db.distinct_values(kind, &field, limit)
    };
    match values {
        Ok(values) => http::respond_json(answer, &serde_json::json!(values)),
        Err(e) => http::respond_error(answer, 500, &e.to_string()),
    }
}
