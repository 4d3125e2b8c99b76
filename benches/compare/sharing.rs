//! Issue #17's workloads: the MTEB database held by `evident serve`,
//! reached by client processes (`evident --db X …` finds the holder and
//! sends its work there).
//!
//! - `held-point`: one `evident query` point lookup through the holder
//!   against the `sqlite3` shell doing the same lookup (goal ≤ 1.0×).
//! - `held-4-clients`: four client processes at once, each running a
//!   script of point lookups through the holder, against four `sqlite3`
//!   shells running the same lookups on the file in WAL mode (total time
//!   ≤ 1.0×, i.e. throughput ≥ 1.0×); `held-4-clients-oneshot`: the same
//!   with one process per lookup.
//! - `held-import`: importing the MTEB file through a holder of a fresh
//!   database against the same import run locally (goal ≤ 1.1×).
//! - `held-memory` (issue #21): a fresh holder's resident memory after
//!   each of 20 full scans of the results and each 1,000 of 10,000 point
//!   lookups sent to it (goal ≤ 512 MiB); a curve in the notes, no SQLite.

use super::synth::Rng;
use super::*;
use std::process::{Child, Output};
use std::sync::mpsc;

const POINT: &str = "held-point";
const CLIENTS: &str = "held-4-clients";
const CLIENTS_ONESHOT: &str = "held-4-clients-oneshot";
const IMPORT: &str = "held-import";
pub(super) const MEMORY: &str = "held-memory";

/// `held-memory`'s full scans, and its point lookups in scripts of
/// [`MEMORY_LOOKUPS_PER_STEP`] (the 20 scans and 10,000 lookups).
const MEMORY_SCANS: usize = 20;
const MEMORY_LOOKUP_STEPS: usize = 10;
const MEMORY_LOOKUPS_PER_STEP: usize = 1_000;
/// The goal for a holder's resident memory, in MiB.
const MEMORY_GOAL_MIB: u64 = 512;

/// Client processes in `held-4-clients`.
const CLIENT_COUNT: usize = 4;

/// `held-point` runs this many lookups per `--runs`: a few milliseconds
/// each, so a median of three is at the mercy of one busy moment.
const POINT_RUNS_PER_RUN: usize = 40;

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
pub(super) fn sqlite3_shell() -> Result<PathBuf, String> {
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

/// One client process and the ids it looks up.
struct Job {
    cmd: Command,
    ids: Vec<String>,
}

/// Whether a job's output has one row per id it looked up (`"id":"…"` is
/// how both evident's JSON Lines and `sqlite3 -json` write one), its first
/// and its last among them.
fn check_job(ids: &[String], out: &Output) -> Result<(), String> {
    let text = String::from_utf8_lossy(&out.stdout);
    let rows = text.matches("\"id\":\"").count();
    let ends = [ids.first(), ids.last()]
        .into_iter()
        .flatten()
        .all(|id| text.contains(&format!("\"{id}\"")));
    if out.status.success() && rows == ids.len() && ends {
        return Ok(());
    }
    Err(format!(
        "{} lookup(s) from {} gave {rows} row(s) ({}): {}",
        ids.len(),
        ids.first().map_or("", String::as_str),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

/// Runs each client's jobs one after another, the clients at once; the
/// wall time until the last finishes. The outputs are checked after the
/// clock stops.
fn run_clients(clients: Vec<Vec<Job>>) -> Result<Duration, String> {
    let start = Instant::now();
    let outputs = thread::scope(|scope| {
        let handles: Vec<_> = clients
            .into_iter()
            .map(|jobs| {
                scope.spawn(move || -> Result<Vec<(Vec<String>, Output)>, String> {
                    jobs.into_iter()
                        .map(|mut job| {
                            let out = job
                                .cmd
                                .stdin(Stdio::null())
                                .output()
                                .map_err(|e| format!("could not run: {e}"))?;
                            Ok((job.ids, out))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("client thread panicked".into()))
            })
            .collect::<Result<Vec<_>, String>>()
    })?;
    let elapsed = start.elapsed();
    for (ids, out) in outputs.iter().flatten() {
        check_job(ids, out)?;
    }
    Ok(elapsed)
}

/// Issue #17's workloads, when selected and the MTEB file is there.
pub(super) fn run(opts: &Options, work: &Path, small: bool, found: &mut Found) -> Res<()> {
    let wanted = [POINT, CLIENTS, CLIENTS_ONESHOT, IMPORT, MEMORY].map(|n| opts.selected(n));
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
    let [point, clients, oneshot, import, memory] = wanted;
    if point || clients || oneshot || memory {
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
        let held = Held {
            db: &db,
            sqlite_db: &sqlite_db,
            shell: &shell,
            work,
            lines,
            runs: opts.runs,
        };
        for (wanted, mode) in [
            (clients, ClientMode::Script),
            (oneshot, ClientMode::ProcessPerLookup),
        ] {
            if wanted {
                let per_client = mode.lookups(small);
                eprintln!("  {}", mode.name());
                found.rows.push(held_clients(&held, mode, per_client)?);
                found.notes.push(format!(
                    "{}: {CLIENT_COUNT} clients × {per_client} point lookups each, {}, the same \
                     random ids on both sides; times are for all {} lookups",
                    mode.name(),
                    mode.how(),
                    CLIENT_COUNT * per_client
                ));
            }
        }
        drop(holder);
        drop(keeper);
        if memory {
            eprintln!("  {MEMORY}");
            found
                .notes
                .push(held_memory(&db, work, lines, small, opts.runs)?);
        }
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

/// How the four clients of `held-4-clients*` send their lookups.
#[derive(Clone, Copy)]
enum ClientMode {
    /// Each client one process running all its lookups as one script
    /// (`evident query --file`, `sqlite3 FILE ".read FILE"`).
    Script,
    /// Each lookup its own process, a client's one after another.
    ProcessPerLookup,
}

impl ClientMode {
    fn name(self) -> &'static str {
        match self {
            ClientMode::Script => CLIENTS,
            ClientMode::ProcessPerLookup => CLIENTS_ONESHOT,
        }
    }
    fn how(self) -> &'static str {
        match self {
            ClientMode::Script => "one process per client running them as one script",
            ClientMode::ProcessPerLookup => "one process per lookup",
        }
    }
    fn lookups(self, small: bool) -> usize {
        match (self, small) {
            (ClientMode::Script, false) => 1_000,
            (ClientMode::Script, true) => 100,
            (ClientMode::ProcessPerLookup, false) => 50,
            (ClientMode::ProcessPerLookup, true) => 10,
        }
    }
}

/// The held database and its SQLite twin, for the client workloads.
struct Held<'a> {
    db: &'a Path,
    sqlite_db: &'a Path,
    shell: &'a Result<PathBuf, String>,
    work: &'a Path,
    lines: usize,
    runs: usize,
}

/// Each client's jobs on one side: `one` makes the command of a single
/// lookup, `script` that of client N's whole script file.
fn jobs(
    ids: &[Vec<String>],
    mode: ClientMode,
    one: &dyn Fn(&str) -> Command,
    script: &dyn Fn(usize) -> Command,
) -> Vec<Vec<Job>> {
    ids.iter()
        .enumerate()
        .map(|(client, ids)| match mode {
            ClientMode::ProcessPerLookup => ids
                .iter()
                .map(|id| Job {
                    cmd: one(id),
                    ids: vec![id.clone()],
                })
                .collect(),
            ClientMode::Script => vec![Job {
                cmd: script(client),
                ids: ids.clone(),
            }],
        })
        .collect()
}

fn held_clients(held: &Held<'_>, mode: ClientMode, per_client: usize) -> Res<Row> {
    let mut rng = Rng::new(0x17);
    let ids: Vec<Vec<String>> = (0..CLIENT_COUNT)
        .map(|_| random_result_ids(&mut rng, held.lines, per_client))
        .collect();
    // The script files, written before any timing.
    let script_path =
        |client: usize, ext: &str| held.work.join(format!("held-client-{client}.{ext}"));
    if let ClientMode::Script = mode {
        for (client, ids) in ids.iter().enumerate() {
            write_point_script(&script_path(client, "evq"), ids)?;
            let sql: String = ids.iter().map(|id| point_sql(id) + ";\n").collect();
            fs::write(script_path(client, "sql"), sql)?;
        }
    }
    let versus = match mode {
        ClientMode::Script => "4 sqlite3 shells, WAL",
        ClientMode::ProcessPerLookup => "sqlite3 shells, WAL",
    };
    let mut row = versus_row(mode.name(), Kind::Batch, versus);
    for _ in 0..held.runs {
        if row.evident.error.is_none() {
            let evident = jobs(&ids, mode, &|id| evident_point(held.db, id), &|client| {
                let mut cmd = evident_cmd(held.db);
                cmd.arg("query")
                    .arg("--file")
                    .arg(script_path(client, "evq"))
                    .args(["--format", "jsonl"]);
                cmd
            });
            match run_clients(evident) {
                Ok(t) => row.evident.times.push(t),
                Err(e) => {
                    eprintln!("  {}: evident: {e}", mode.name());
                    row.evident.error = Some(e);
                }
            }
        }
        if let (Ok(shell), None) = (held.shell, &row.sqlite.error) {
            let sqlite = jobs(
                &ids,
                mode,
                &|id| shell_point(shell, held.sqlite_db, id),
                &|client| {
                    let mut cmd = Command::new(shell);
                    cmd.args(["-json", "-cmd", ".timeout 5000"])
                        .arg(held.sqlite_db)
                        .arg(format!(".read '{}'", script_path(client, "sql").display()));
                    cmd
                },
            );
            match run_clients(sqlite) {
                Ok(t) => row.sqlite.times.push(t),
                Err(e) => {
                    eprintln!("  {}: sqlite3: {e}", mode.name());
                    row.sqlite.error = Some(e);
                }
            }
        }
    }
    if let Err(why) = held.shell {
        row.sqlite.error = Some(format!("{SKIPPED}: {why}"));
        row.note = Some(format!("sqlite3 side skipped: {why}"));
    }
    row.rows = Some(CLIENT_COUNT * per_client);
    Ok(row)
}

/// `n` result ids drawn at random: they run mteb:1 … mteb:(lines − 1),
/// after the source line.
fn random_result_ids(rng: &mut Rng, lines: usize, n: usize) -> Vec<String> {
    let last = lines.saturating_sub(1).max(1);
    (0..n)
        .map(|_| format!("mteb:{}", 1 + rng.below(last)))
        .collect()
}

/// An evident script of one point lookup per id, one statement each.
fn write_point_script(path: &Path, ids: &[String]) -> io::Result<()> {
    let lookups: Vec<String> = ids.iter().map(|id| point_query(id)).collect();
    fs::write(path, lookups.join(";\n") + "\n")
}

/// `held-memory`: per run, a fresh holder of `db`, then [`MEMORY_SCANS`]
/// full scans (`evident query results`, the rows to /dev/null) and
/// [`MEMORY_LOOKUP_STEPS`] scripts of point lookups sent to it, its
/// resident memory read after each. One line for the notes: the curve of
/// the run with the highest peak.
fn held_memory(db: &Path, work: &Path, lines: usize, small: bool, runs: usize) -> Res<String> {
    let mut rng = Rng::new(0x21);
    let scripts: Vec<PathBuf> = (0..MEMORY_LOOKUP_STEPS)
        .map(|step| -> Res<PathBuf> {
            let path = work.join(format!("held-memory-{step}.evq"));
            let ids = random_result_ids(&mut rng, lines, MEMORY_LOOKUPS_PER_STEP);
            write_point_script(&path, &ids)?;
            Ok(path)
        })
        .collect::<Res<_>>()?;
    let mib = |kib: Option<u64>| kib.map_or("?".into(), |k| format!("{}", k / 1024));
    let mut worst: Option<(u64, String)> = None;
    for run in 0..runs {
        eprintln!("  {MEMORY} run {}/{runs}", run + 1);
        let holder = Holder::start(db)?;
        let pid = holder.child.id();
        let start = status_kib(pid, "VmRSS");
        let mut after_scans = Vec::new();
        for _ in 0..MEMORY_SCANS {
            // The rows go to /dev/null: hundreds of MB per scan.
            let out = evident_cmd(db)
                .arg("query")
                .arg("results")
                .args(["--format", "jsonl"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .output()?;
            if !out.status.success() {
                return fail(format!(
                    "{MEMORY}: a full scan through the holder failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            after_scans.push(status_kib(pid, "VmRSS"));
        }
        let mut after_lookups = Vec::new();
        for script in &scripts {
            let out = evident_cmd(db)
                .arg("query")
                .arg("--file")
                .arg(script)
                .args(["--format", "jsonl"])
                .stdin(Stdio::null())
                .output()?;
            let rows = out.stdout.iter().filter(|&&b| b == b'\n').count();
            if !out.status.success() || rows != MEMORY_LOOKUPS_PER_STEP {
                return fail(format!(
                    "{MEMORY}: {MEMORY_LOOKUPS_PER_STEP} lookups through the holder gave {rows} row(s): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            after_lookups.push(status_kib(pid, "VmRSS"));
        }
        let Some(hwm) = status_kib(pid, "VmHWM") else {
            // A peak of 0 would pass the goal unmeasured.
            return fail(format!(
                "{MEMORY}: could not read the holder's peak memory from /proc/{pid}/status"
            ));
        };
        // The kernel updates VmHWM lazily (when memory is unmapped), so a
        // sample of the curve can be above it.
        let peak = [start]
            .iter()
            .chain(&after_scans)
            .chain(&after_lookups)
            .flatten()
            .fold(hwm, |peak, &rss| peak.max(rss));
        drop(holder);
        let curve = format!(
            "at start {} MiB; after each full scan {}; after each {MEMORY_LOOKUPS_PER_STEP} \
             lookups {}; peak {} MiB",
            mib(start),
            after_scans
                .iter()
                .map(|&k| mib(k))
                .collect::<Vec<_>>()
                .join(", "),
            after_lookups
                .iter()
                .map(|&k| mib(k))
                .collect::<Vec<_>>()
                .join(", "),
            mib(Some(peak)),
        );
        if worst.as_ref().is_none_or(|(p, _)| peak > *p) {
            worst = Some((peak, curve));
        }
    }
    let Some((peak, curve)) = worst else {
        return Ok(format!("{MEMORY}: no run (--runs 0)"));
    };
    let verdict = if peak / 1024 <= MEMORY_GOAL_MIB {
        "✓"
    } else {
        "✗"
    };
    Ok(format!(
        "{MEMORY} ({}, holder resident memory in MiB, the run of {runs} with the highest peak): \
         {curve} ({verdict} ≤ {MEMORY_GOAL_MIB} MiB)",
        if small { "small" } else { "1.29M results" },
    ))
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
        // Which goes first alternates, so drift in the machine's load (and
        // the page cache) falls on both sides alike.
        let order = if run % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for held in order {
            if !held {
                remove_db(&local_db)?;
                row.sqlite
                    .record("evident import, local", measure(&mut local));
            } else if row.evident.error.is_none() {
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
        }
    }
    remove_db(&held_db)?;
    remove_db(&local_db)?;
    Ok(row)
}
