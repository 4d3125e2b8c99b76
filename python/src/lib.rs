//! `evident._native`: the engine for the pure-Python package `evident`
//! around it (`python/evident/`). This module does the work and raises the
//! package's exceptions; the package gives it its Python shape (the result
//! object, pandas/polars/Arrow, keyword parameters, file objects).
//!
//! Every call that runs a statement, an import, an export or a check runs
//! it on a worker thread while the calling thread waits without the GIL
//! and looks for signals every [`SIGNAL_POLL`]: Ctrl-C stops the statement
//! (through the call's own `Interrupt`) and raises `KeyboardInterrupt`, and
//! the database stays usable.

mod columns;

use columns::Column;
use evident::{
    Connection, Error, ImportOptions, ImportReport, Interrupt, Output, Params, RowSink, StoreError,
    Value,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use std::io::{BufReader, BufWriter, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::time::Duration;

/// How often a waiting call looks for Ctrl-C: short enough to feel
/// immediate, long enough to cost nothing.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// An open database. `close()` drops it at once (releasing the lock, so the
/// command line can open it); so does the interpreter's exit.
#[pyclass(frozen, module = "evident._native")]
struct Database {
    /// `None` once closed. An `Arc` so that a statement running on a worker
    /// thread keeps the database alive until it ends, even if another
    /// thread closes it meanwhile.
    inner: RwLock<Option<Arc<Connection>>>,
    path: String,
}

#[pymethods]
impl Database {
    /// Opens the database at `path`; `create` makes it when missing.
    #[new]
    #[pyo3(signature = (path, create = true))]
    fn new(py: Python<'_>, path: String, create: bool) -> PyResult<Database> {
        let opened = run_interruptibly(py, None, || {
            if create {
                Connection::open(&path)
            } else {
                Connection::open_existing(&path)
            }
        })?;
        let db = opened.map_err(|e| to_py_error(py, &e, None))?;
        Ok(Database {
            inner: RwLock::new(Some(Arc::new(db))),
            path,
        })
    }

    /// Where the database lives, as given to `open`.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// Where the process that holds the database answers, when this one
    /// reaches it through that process; `None` when it is open here.
    #[getter]
    fn holder(&self) -> Option<String> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.as_ref().and_then(|db| db.holder())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.read().map_or(true, |inner| inner.is_none())
    }

    /// Closes the database; a second call does nothing. A statement still
    /// running in another thread finishes first.
    fn close(&self, py: Python<'_>) {
        let taken = match self.inner.write() {
            Ok(mut inner) => inner.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        // sled flushes and joins its threads when dropped: without the GIL.
        py.detach(move || drop(taken));
    }

    /// Runs a script; one output per statement, in order. With `one`, the
    /// script must hold exactly one statement, checked before anything
    /// runs.
    #[pyo3(signature = (script, one = false, params = None))]
    fn run(
        &self,
        py: Python<'_>,
        script: &str,
        one: bool,
        params: Option<&str>,
    ) -> PyResult<Vec<Statement>> {
        let db = self.database(py)?;
        let params = match params {
            None => Params::new(),
            Some(json) => match serde_json::from_str(json) {
                Ok(map) => Params::from_json(map),
                Err(e) => {
                    let message = format!("the parameters are not a JSON object: {e}");
                    return Err(raise(py, "QueryError", &message, None));
                }
            },
        };
        if one {
            match evident::query::parse_script(script) {
                Err(e) => return Err(to_py_error(py, &Error::Parse(e), Some(script))),
                Ok(statements) if statements.len() != 1 => {
                    let message = format!(
                        "query() runs one statement, but the text holds {}; use run() for several",
                        statements.len()
                    );
                    return Err(raise(py, "QueryError", &message, None));
                }
                Ok(_) => {}
            }
        }
        let interrupt = Interrupt::new();
        let outcome = run_interruptibly(py, Some(&|| interrupt.interrupt()), || {
            let mut gathered = Gather {
                dates_as_text: db.holder().is_some(),
                ..Gather::default()
            };
            db.run_each_streaming_with(script, &params, &interrupt, &mut gathered)
                .map(|()| gathered.done)
        })?;
        outcome
            .map(|done| done.into_iter().map(Statement::from).collect())
            .map_err(|e| to_py_error(py, &e, Some(script)))
    }

    /// Imports JSON Lines from a file (atomic: all or nothing).
    #[pyo3(signature = (path, name, skip_invalid = false))]
    fn import_file<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        name: &str,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let db = self.database(py)?;
        // An import is a write, never stopped half way: Ctrl-C waits for it.
        let outcome = run_interruptibly(py, None, || {
            let file = std::fs::File::open(path).map_err(|e| Error::Io {
                doing: "read the import",
                path: Some(path.into()),
                source: e,
            })?;
            db.import_jsonl_with(
                name,
                BufReader::with_capacity(1 << 16, file),
                ImportOptions { skip_invalid },
                &mut |_| {},
            )
        })?;
        report_to_py(py, outcome.map_err(|e| to_py_error(py, &e, None))?)
    }

    /// Imports JSON Lines given as bytes (atomic: all or nothing); `name`
    /// stands for the file in messages.
    #[pyo3(signature = (data, name, skip_invalid = false))]
    fn import_bytes<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        name: &str,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let db = self.database(py)?;
        let outcome = run_interruptibly(py, None, || {
            db.import_jsonl_with(name, data, ImportOptions { skip_invalid }, &mut |_| {})
        })?;
        report_to_py(py, outcome.map_err(|e| to_py_error(py, &e, None))?)
    }

    /// Writes every record as JSON Lines to the file at `path` (replacing
    /// it); returns how many.
    fn export_file(&self, py: Python<'_>, path: &str) -> PyResult<u64> {
        let db = self.database(py)?;
        let interrupt = Interrupt::new();
        let outcome = run_interruptibly(py, Some(&|| interrupt.interrupt()), || {
            let io = |e| Error::Io {
                doing: "write the export",
                path: Some(path.into()),
                source: e,
            };
            let mut out = BufWriter::new(std::fs::File::create(path).map_err(io)?);
            let n = db.export_jsonl_with(&mut out, &interrupt)?;
            out.flush().map_err(io)?;
            Ok(n)
        })?;
        outcome.map_err(|e| to_py_error(py, &e, None))
    }

    /// The export as bytes, for a file object.
    fn export_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let db = self.database(py)?;
        let interrupt = Interrupt::new();
        let outcome = run_interruptibly(py, Some(&|| interrupt.interrupt()), || {
            let mut out = Vec::new();
            db.export_jsonl_with(&mut out, &interrupt).map(|_| out)
        })?;
        let bytes = outcome.map_err(|e| to_py_error(py, &e, None))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Verifies the database: `(checked, problems)`, one line each.
    fn check(&self, py: Python<'_>) -> PyResult<(Vec<String>, Vec<String>)> {
        let db = self.database(py)?;
        // A check is stopped only by the end of the call on the holder's
        // side; here it runs to its end.
        let outcome = run_interruptibly(py, None, || db.check())?;
        let report = outcome.map_err(|e| to_py_error(py, &e, None))?;
        Ok((report.checked, report.problems))
    }
}

impl Database {
    fn database(&self, py: Python<'_>) -> PyResult<Arc<Connection>> {
        let inner = match self.inner.read() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        };
        inner.clone().ok_or_else(|| {
            raise(
                py,
                "DatabaseError",
                &format!("the database {} is closed", self.path),
                None,
            )
        })
    }
}

/// Runs `work` on a worker thread while this thread waits without the GIL,
/// looking for signals every [`SIGNAL_POLL`]. On Ctrl-C (or any signal
/// handler that raises) `stop` is called, the work is waited for, and the
/// handler's exception is returned: the work never outlives the call, so
/// nothing it borrows can dangle.
fn run_interruptibly<T: Send>(
    py: Python<'_>,
    stop: Option<&dyn Fn()>,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    // Set by the worker when it ends (however it ends: the guard's drop
    // runs on a panic too).
    let finished = &Finished::default();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let _guard = FinishOnDrop(finished);
            work()
        });
        let mut raised = None;
        loop {
            let done = py.detach(|| finished.wait(SIGNAL_POLL));
            if done {
                break;
            }
            if let Err(signal) = py.check_signals() {
                raised.get_or_insert(signal);
            }
            if raised.is_some()
                && let Some(stop) = stop
            {
                stop();
            }
        }
        let out = py.detach(|| worker.join());
        match (raised, out) {
            (Some(signal), _) => Err(signal),
            (None, Ok(out)) => Ok(out),
            (None, Err(_)) => Err(raise(
                py,
                "DatabaseError",
                "internal error: the statement's thread panicked",
                None,
            )),
        }
    })
}

/// Whether a worker has ended, waited for with a timeout.
#[derive(Default)]
struct Finished {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Finished {
    /// True once the worker ended; waits at most `timeout` for it.
    fn wait(&self, timeout: Duration) -> bool {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) = self
            .changed
            .wait_timeout_while(done, timeout, |done| !*done)
            .unwrap_or_else(PoisonError::into_inner);
        *done
    }
}

struct FinishOnDrop<'a>(&'a Finished);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        *self.0.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.0.changed.notify_all();
    }
}

/// Takes a script's outputs, gathering each query's rows into columns as
/// they stream out.
#[derive(Default)]
struct Gather {
    current: Option<Gathered>,
    done: Vec<Gathered>,
    /// The rows come from a holder, as JSON: a date field's column is text
    /// and is turned back into dates, so that rows are the same whichever
    /// process opened the database.
    dates_as_text: bool,
}

struct Gathered {
    names: Vec<String>,
    columns: Vec<Column>,
    len: usize,
    output: Output,
}

impl Gathered {
    fn new(names: &[String]) -> Gathered {
        Gathered {
            names: names.to_vec(),
            columns: names.iter().map(|_| Column::Null(0)).collect(),
            len: 0,
            output: Output::default(),
        }
    }

    fn push(&mut self, row: &[Value]) {
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(value);
        }
        self.len += 1;
    }
}

impl RowSink for Gather {
    fn begin(&mut self, columns: &[String]) -> std::io::Result<()> {
        self.current = Some(Gathered::new(columns));
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> std::io::Result<()> {
        if let Some(current) = &mut self.current {
            current.push(row);
        }
        Ok(())
    }

    fn done(&mut self, mut output: Output) {
        let mut gathered = self
            .current
            .take()
            .unwrap_or_else(|| Gathered::new(&output.columns));
        for row in std::mem::take(&mut output.rows) {
            gathered.push(&row);
        }
        gathered.output = output;
        if self.dates_as_text {
            for (name, column) in gathered.names.iter().zip(&mut gathered.columns) {
                if is_date_field(name) {
                    column.dates_from_text();
                }
            }
        }
        self.done.push(gathered);
    }
}

/// Whether `name` is a date field of some collection (`created`, `date`,
/// `published`, …).
fn is_date_field(name: &str) -> bool {
    evident::model::Kind::ALL.iter().any(|&kind| {
        evident::model::fields::field(kind, name)
            .is_some_and(|f| f.ty == evident::model::fields::FieldType::Date)
    })
}

/// One statement's output: its rows by column, and what it says to people.
#[pyclass(module = "evident._native")]
struct Statement {
    names: Vec<String>,
    columns: Vec<Column>,
    len: usize,
    #[pyo3(get)]
    message: Option<String>,
    #[pyo3(get)]
    notes: Vec<String>,
    #[pyo3(get)]
    report: Option<String>,
}

impl From<Gathered> for Statement {
    fn from(g: Gathered) -> Statement {
        Statement {
            names: g.names,
            columns: g.columns,
            len: g.len,
            message: g.output.message,
            notes: g.output.notes,
            report: g.output.report,
        }
    }
}

#[pymethods]
impl Statement {
    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.names.clone()
    }

    fn __len__(&self) -> usize {
        self.len
    }

    /// Column `index`'s values as a list (dates as `datetime.date`).
    fn column_values<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyList>> {
        match self.columns.get(index) {
            Some(column) => column.to_pylist(py),
            None => Err(pyo3::exceptions::PyIndexError::new_err("no such column")),
        }
    }

    /// Column `index` as Arrow buffers `(type, length, validity, offsets,
    /// values)`, handed over: the column's own memory is freed, so call it
    /// once per column. `None` for a column of several types (read it with
    /// `column_values`, which still works for it).
    fn take_arrow<'py>(
        &mut self,
        py: Python<'py>,
        index: usize,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.columns.get_mut(index) {
            Some(column) => column.take_arrow(py),
            None => Err(pyo3::exceptions::PyIndexError::new_err("no such column")),
        }
    }
}

fn report_to_py(py: Python<'_>, report: ImportReport) -> PyResult<Bound<'_, PyDict>> {
    const KINDS: [&str; 4] = ["sources", "claims", "evidence", "results"];
    let by_kind = |counts: &[u64; 4]| -> PyResult<Bound<'_, PyDict>> {
        let dict = PyDict::new(py);
        for (kind, n) in KINDS.iter().zip(counts) {
            dict.set_item(kind, n)?;
        }
        Ok(dict)
    };
    let dict = PyDict::new(py);
    dict.set_item("read", by_kind(&report.read)?)?;
    dict.set_item("added", by_kind(&report.written.added)?)?;
    dict.set_item("replaced", by_kind(&report.written.replaced)?)?;
    dict.set_item("unchanged", report.written.unchanged)?;
    let skipped = PyList::empty(py);
    for problem in &report.skipped {
        let item = PyDict::new(py);
        item.set_item("line", problem.line)?;
        item.set_item("field", &problem.field)?;
        item.set_item("reason", &problem.reason)?;
        skipped.append(item)?;
    }
    dict.set_item("skipped", skipped)?;
    dict.set_item("skipped_total", report.skipped_total)?;
    Ok(dict)
}

/// Where a statement error is: line, column (1-based, in characters) and
/// the help, for `e.line`, `e.column`, `e.help`.
type Position = (usize, usize, Option<String>);

/// The package's exception for an engine error: `QueryError` for a
/// statement that does not parse or cannot run (with `line`, `column` and
/// `help`), `DataError` for data refused (an invalid import, a write the
/// rules refuse), `DatabaseError` for the database or its files. The
/// message is the command line's, caret and all.
fn to_py_error(py: Python<'_>, error: &Error, script: Option<&str>) -> PyErr {
    let message = match script {
        Some(script) => error.render(script),
        None => error.to_string(),
    };
    let position = |span: &std::ops::Range<usize>, help: &Option<String>| {
        script.map(|script| {
            let (line, column) = evident::query::diagnostic::line_column(script, span.clone());
            (line, column, help.clone())
        })
    };
    let (class, position) = match error {
        Error::Parse(e) => ("QueryError", position(&e.span, &e.help)),
        Error::Query(evident::QueryError::At { span, help, .. }) => {
            ("QueryError", position(span, help))
        }
        Error::Query(_) => ("QueryError", None),
        Error::Import(_) | Error::NoFreeId(_) | Error::Store(StoreError::Rejected(_)) => {
            ("DataError", None)
        }
        Error::Holder(said) => holder_error_class(said),
        _ => ("DatabaseError", None),
    };
    raise(py, class, &message, position)
}

/// The class and position of an error the holder of the database sent: the
/// protocol (SPEC 10) carries only the command line's message, so they are
/// read back from its shape — a statement error has `--> line L, column C`
/// under its `error:` line, an import that imported nothing ends with
/// `nothing was imported (…)`.
fn holder_error_class(message: &str) -> (&'static str, Option<Position>) {
    if message.starts_with("error: ") {
        let position = message.lines().find_map(|line| {
            let rest = line.trim_start().strip_prefix("--> line ")?;
            let (line_no, column) = rest.split_once(", column ")?;
            Some((line_no.parse().ok()?, column.trim().parse().ok()?))
        });
        let help = message
            .lines()
            .find_map(|line| line.trim_start().strip_prefix("= help: "))
            .map(str::to_owned);
        if let Some((line, column)) = position {
            return ("QueryError", Some((line, column, help)));
        }
        return ("QueryError", None);
    }
    if message.contains(": nothing was imported (") {
        return ("DataError", None);
    }
    ("DatabaseError", None)
}

/// An instance of `evident.errors.CLASS`; a plain `RuntimeError` with the
/// same message if that module cannot be imported (a broken install).
fn raise(py: Python<'_>, class: &str, message: &str, position: Option<Position>) -> PyErr {
    let built = (|| -> PyResult<PyErr> {
        let class = py.import("evident.errors")?.getattr(class)?;
        let (line, column, help) = match position {
            Some((line, column, help)) => (Some(line), Some(column), help),
            None => (None, None, None),
        };
        let error = class.call1((message, line, column, help))?;
        Ok(PyErr::from_value(error))
    })();
    built.unwrap_or_else(|_| pyo3::exceptions::PyRuntimeError::new_err(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::holder_error_class;

    #[test]
    fn a_holders_message_gives_the_class_and_position_back() {
        let statement = "error: unknown field \"staus\"\n  --> line 2, column 14\n  |\n2 | claims where staus = x\n  |              ^^^^^\n  = help: did you mean \"status\"?";
        assert_eq!(
            holder_error_class(statement),
            (
                "QueryError",
                Some((2, 14, Some("did you mean \"status\"?".into())))
            )
        );
        let import = "f.jsonl:2: text: missing (required)\nf.jsonl: nothing was imported (1 invalid line; --skip-invalid imports the rest)";
        assert_eq!(holder_error_class(import), ("DataError", None));
        assert_eq!(
            holder_error_class("the database at x is in use"),
            ("DatabaseError", None)
        );
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Database>()?;
    m.add_class::<Statement>()?;
    Ok(())
}
