//! Issue #17's workloads: the MTEB database held by `evident serve`,
//! reached by client processes (`evident --db X …` finds the holder and
//! sends its work there).
//!
//! - `held-point`: one `evident query` point lookup through the holder
//!   against the `sqlite3` shell doing the same lookup (goal ≤ 1.0×).
//! - `held-4-clients`: four client threads each running point lookups one
//!   process after another, through the holder, against four doing it with
//!   `sqlite3` on the same file in WAL mode (total time ≤ 1.0×, i.e.
//!   throughput ≥ 1.0×).
//! - `held-import`: importing the MTEB file through a holder of a fresh
//!   database against the same import run locally (goal ≤ 1.1×).

use super::synth::Rng;
use super::*;
use std::process::Child;
use std::sync::mpsc;

const POINT: &str = "held-point";
const CLIENTS: &str = "held-4-clients";
const IMPORT: &str = "held-import";

/// Client processes in `held-4-clients`.
const CLIENT_COUNT: usize = 4;

/// `held-point` runs this many lookups per `--runs`: a few milliseconds
/// each, so a median of three is at the mercy of one busy moment.
const POINT_RUNS_PER_RUN: usize = 10;

/// How long a holder may take to say it serves.
const HOLDER_START: Duration = Duration::from_secs(120);

/// An `evident serve` child, stopped with SIGTERM when dropped.
struct Holder {
    child: Child,
    db: PathBuf,
}

impl Holder {
    /// Starts `evident --db DB serve` and waits for its `serving …` line.
    fn start(db: &Path) -> Res<Holder> {
        let mut child = evident_cmd(db)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let (tx, rx) = mpsc::channel::<String>();
        if let Some(stderr) = child.stderr.take() {
            // Reads to the end, so the holder never blocks on a full pipe.
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let holder = Holder {
            child,
            db: db.to_path_buf(),
        };
        let deadline = Instant::now() + HOLDER_START;
        let mut said = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with("serving ") => return Ok(holder),
                Ok(line) => said.push(line),
                Err(_) => {
                    return fail(format!(
                        "`evident serve` on {} did not say it serves within {HOLDER_START:?}: {}",
                        db.display(),
                        said.join(" / ")
                    ));
                }
            }
        }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let stopped = Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            eprintln!(
                "  could not SIGTERM the holder of {}; killing it",
                self.db.display()
            );
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The `sqlite3` shell, or why it cannot be used.
fn sqlite3_shell() -> Result<PathBuf, String> {
    let path =
        std::env::var_os("SQLITE3_BIN").map_or_else(|| PathBuf::from("sqlite3"), PathBuf::from);
    match Command::new(&path).arg("-version").output() {
        Ok(o) if o.status.success() => Ok(path),
        Ok(o) => Err(format!(
            "`{} -version` failed: {}",
            path.display(),
            o.status
        )),
        Err(e) => Err(format!(
            "no `sqlite3` shell ({}: {e}); `apt-get install sqlite3` adds it",
            path.display()
        )),
    }
}

fn point_query(id: &str) -> String {
    format!("results where id = {}", evq_string(id))
}

fn point_sql(id: &str) -> String {
    format!(
        "SELECT {RESULT_COLUMNS} FROM results WHERE id = {}",
        sql_string(id)
    )
}

fn evident_point(db: &Path, id: &str) -> Command {
    let mut cmd = evident_cmd(db);
    cmd.arg("query")
        .arg(point_query(id))
        .args(["--format", "jsonl"]);
    cmd
}

/// `sqlite3 -json -cmd ".timeout 5000" FILE "SELECT …"`: the shell's JSON
/// output, like the JSON Lines evident writes; the busy timeout lets a
/// reader wait out the moment another process holds the WAL file's lock
/// (opening, or the last one closing), as the holder makes clients wait.
fn shell_point(shell: &Path, db: &Path, id: &str) -> Command {
    let mut cmd = Command::new(shell);
    cmd.args(["-json", "-cmd", ".timeout 5000"])
        .arg(db)
        .arg(point_sql(id));
    cmd
}

/// Whether a point lookup's output names the id it looked up.
fn found_id(out: &[u8], id: &str) -> bool {
    let quoted = format!("\"{id}\"");
    String::from_utf8_lossy(out).contains(&quoted)
}

/// Runs each client's commands one after another, the clients at once;
/// the wall time until the last finishes. Every command must succeed and
/// print its id.
fn run_clients(clients: Vec<Vec<(Command, String)>>) -> Result<Duration, String> {
    let start = Instant::now();
    thread::scope(|scope| {
        let handles: Vec<_> = clients
            .into_iter()
            .map(|cmds| {
                scope.spawn(move || -> Result<(), String> {
                    for (mut cmd, id) in cmds {
                        let out = cmd
                            .stdin(Stdio::null())
                            .output()
                            .map_err(|e| format!("could not run: {e}"))?;
                        if !out.status.success() || !found_id(&out.stdout, &id) {
                            return Err(format!(
                                "lookup of {id} failed ({}): {}",
                                out.status,
                                String::from_utf8_lossy(&out.stderr).trim()
                            ));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("client thread panicked".into()))
            })
            .collect::<Result<Vec<()>, String>>()
    })?;
    Ok(start.elapsed())
}

/// Issue #17's workloads, when selected and the MTEB file is there.
pub(super) fn run(opts: &Options, work: &Path, small: bool, found: &mut Found) -> Res<()> {
    let wanted = [POINT, CLIENTS, IMPORT].map(|n| opts.selected(n));
    if !wanted.iter().any(|&w| w) {
        return Ok(());
    }
    let src = mteb_source();
    if !src.exists() {
        found.notes.push(format!(
            "MTEB data not found at {}: the held-database workloads were skipped",
            src.display()
        ));
        return Ok(());
    }
    let (results, lines, _) = prepared_mteb(found, &src, work, small)?;
    let tag = if small { "small" } else { "full" };
    let [point, clients, import] = wanted;
    if point || clients {
        let db = work.join(format!("held-{tag}.evident"));
        let sqlite_db = work.join(format!("held-{tag}.sqlite"));
        if !(opts.reuse && db.join("db").exists() && sqlite_db.exists()) {
            eprintln!("  importing the MTEB file for the holder and for sqlite3 (untimed)");
            evident_import(&db, &[&results])?;
            sqlite_import(&sqlite_db, &[&results])?;
            // WAL (persistent in the file), so that readers in other
            // processes do not block one another (the comparison).
            let conn = rusqlite::Connection::open(&sqlite_db)?;
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if mode != "wal" {
                return fail(format!(
                    "{} would not go to WAL mode: {mode}",
                    sqlite_db.display()
                ));
            }
        }
        let shell = sqlite3_shell();
        // SQLite's counterpart of the holder: one connection kept open for
        // the duration, so the WAL index stays and no shell is the last to
        // close (which checkpoints and removes the WAL under a lock).
        let keeper = rusqlite::Connection::open(&sqlite_db)?;
        keeper.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })?;
        let holder = Holder::start(&db)?;
        if point {
            eprintln!("  {POINT}");
            found
                .rows
                .push(held_point(&db, &sqlite_db, &shell, small, opts.runs));
        }
        if clients {
            eprintln!("  {CLIENTS}");
            let per_client = if small { 10 } else { 50 };
            found.rows.push(held_clients(
                &db, &sqlite_db, &shell, lines, per_client, opts.runs,
            ));
            found.notes.push(format!(
                "{CLIENTS}: {CLIENT_COUNT} clients × {per_client} point lookups each, one process \
                 per lookup, the same random ids on both sides; times are for all {} lookups",
                CLIENT_COUNT * per_client
            ));
        }
        drop(holder);
        drop(keeper);
    }
    if import {
        eprintln!("  {IMPORT}");
        found
            .rows
            .push(held_import(work, tag, &results, opts.runs)?);
    }
    Ok(())
}

fn held_point(
    db: &Path,
    sqlite_db: &Path,
    shell: &Result<PathBuf, String>,
    small: bool,
    runs: usize,
) -> Row {
    let id = mteb_point(small);
    let mut row = versus_row(POINT, Kind::OneShot, "sqlite3 shell, WAL");
    let mut client = evident_point(db, id);
    for _ in 0..runs * POINT_RUNS_PER_RUN {
        row.evident
            .record("evident query through the holder", measure(&mut client));
        if let Ok(shell) = shell {
            row.sqlite.record(
                "sqlite3 point lookup",
                measure(&mut shell_point(shell, sqlite_db, id)),
            );
        }
    }
    // The holder stays up, so a fresh run is the same starting state.
    row.evident.refine_peak(&client, || Ok(()));
    if let Ok(shell) = shell {
        row.sqlite
            .refine_peak(&shell_point(shell, sqlite_db, id), || Ok(()));
    }
    let evident_out = row.evident.first_output.take();
    let sqlite_out = row.sqlite.first_output.take();
    row.rows = evident_out.as_ref().map(|o| usize::from(found_id(o, id)));
    match shell {
        Err(why) => {
            row.sqlite.error = Some(format!("{SKIPPED}: {why}"));
            row.note = Some(format!("sqlite3 side skipped: {why}"));
        }
        Ok(_) => {
            let bad = [("evident", &evident_out), ("sqlite3", &sqlite_out)]
                .into_iter()
                .filter(|(_, o)| o.as_ref().is_some_and(|o| !found_id(o, id)))
                .map(|(side, _)| side)
                .collect::<Vec<_>>();
            if !bad.is_empty() {
                row.note = Some(format!("{} did not print {id}", bad.join(" and ")));
            }
        }
    }
    row
}

fn held_clients(
    db: &Path,
    sqlite_db: &Path,
    shell: &Result<PathBuf, String>,
    lines: usize,
    per_client: usize,
    runs: usize,
) -> Row {
    let mut rng = Rng::new(0x17);
    // Result ids run mteb:1 … mteb:(lines − 1), after the source line.
    let ids: Vec<Vec<String>> = (0..CLIENT_COUNT)
        .map(|_| {
            (0..per_client)
                .map(|_| format!("mteb:{}", 1 + rng.below(lines.saturating_sub(1).max(1))))
                .collect()
        })
        .collect();
    let mut row = versus_row(CLIENTS, Kind::Batch, "4 sqlite3 shells, WAL");
    let clients = |cmd: &dyn Fn(&str) -> Command| -> Vec<Vec<(Command, String)>> {
        ids.iter()
            .map(|c| c.iter().map(|id| (cmd(id), id.clone())).collect())
            .collect()
    };
    for _ in 0..runs {
        if row.evident.error.is_none() {
            match run_clients(clients(&|id| evident_point(db, id))) {
                Ok(t) => row.evident.times.push(t),
                Err(e) => {
                    eprintln!("  {CLIENTS}: evident: {e}");
                    row.evident.error = Some(e);
                }
            }
        }
        if let (Ok(shell), None) = (shell, &row.sqlite.error) {
            match run_clients(clients(&|id| shell_point(shell, sqlite_db, id))) {
                Ok(t) => row.sqlite.times.push(t),
                Err(e) => {
                    eprintln!("  {CLIENTS}: sqlite3: {e}");
                    row.sqlite.error = Some(e);
                }
            }
        }
    }
    if let Err(why) = shell {
        row.sqlite.error = Some(format!("{SKIPPED}: {why}"));
        row.note = Some(format!("sqlite3 side skipped: {why}"));
    }
    row.rows = Some(CLIENT_COUNT * per_client);
    row
}

/// Per run: a holder on a fresh database and the import sent through it,
/// then the same import into another fresh database with no holder.
fn held_import(work: &Path, tag: &str, results: &Path, runs: usize) -> Res<Row> {
    let held_db = work.join(format!("held-import-{tag}.evident"));
    let local_db = work.join(format!("local-import-{tag}.evident"));
    let mut row = versus_row(IMPORT, Kind::Import, "evident, local import");
    let mut through = evident_cmd(&held_db);
    through.arg("import").arg(results);
    let mut local = evident_cmd(&local_db);
    local.arg("import").arg(results);
    for run in 0..runs {
        eprintln!("  {IMPORT} run {}/{runs}", run + 1);
        if row.evident.error.is_none() {
            remove_db(&held_db)?;
            match Holder::start(&held_db) {
                Ok(holder) => {
                    row.evident
                        .record("evident import through the holder", measure(&mut through));
                    drop(holder);
                }
                Err(e) => row.evident.error = Some(e.to_string()),
            }
        }
        remove_db(&local_db)?;
        row.sqlite
            .record("evident import, local", measure(&mut local));
    }
    remove_db(&held_db)?;
    remove_db(&local_db)?;
    Ok(row)
}
