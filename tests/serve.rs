//! Sharing a database (SPEC 10): `evident serve` runs as a child, stopped
//! by its pid; every command run while it holds the database must print
//! exactly what it prints on its own, and the holder must survive hostile
//! and dying clients.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SEED: &str = include_str!("../fixtures/seed.jsonl");

/// The clock every process of these tests records writes by (SPEC 9), as
/// the golden tests fix it: the same script alone and through a holder
/// then records the same times.
const CLOCK: &str = "2026-12-01T09:00:00Z";

fn evident(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("EVIDENT_DB")
        .env("EVIDENT_CLOCK", CLOCK)
        .env("PAGER", "")
        .stdin(Stdio::null())
        .output()
        .expect("evident runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A process holding a database: `evident serve` as a child.
struct Holder {
    child: Child,
    /// `HOST:PORT` when it serves TCP.
    tcp: Option<String>,
    socket: PathBuf,
}

impl Holder {
    fn start(db: &Path, args: &[&str]) -> Holder {
        let mut child = Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(db)
            .arg("serve")
            .args(args)
            .env("EVIDENT_CLOCK", CLOCK)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("evident serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        lines.read_line(&mut line).expect("reads");
        assert!(line.starts_with("serving "), "evident serve said: {line}");
        // `serving DB on SOCKET (…)` or `… on SOCKET and http://ADDR (…)`.
        let after_on = line.rsplit_once(" on ").map(|(_, s)| s).unwrap_or("");
        let socket = after_on.split(' ').next().unwrap_or("").to_owned();
        let tcp = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .map(str::to_owned);
        // Keep reading its messages so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
        });
        Holder {
            child,
            tcp,
            socket: PathBuf::from(socket),
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Stops it as a user would (SIGTERM) and waits for it to end.
    fn stop(mut self) {
        self.signal("TERM");
        let status = self.child.wait().expect("waits");
        assert!(status.success(), "evident serve ended with {status}");
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database of `data` imported by `evident import` (with the tests'
/// clock), made once per data set and copied for each use: copying the
/// directory of a closed database is a whole database.
///
/// Its directory is removed when the process exits (the seed's template is
/// held in a `static`, which is never dropped).
struct Template {
    db: PathBuf,
}

impl Template {
    fn import(data: &Path) -> Template {
        let db = common::static_temp_dir().join("template");
        let out = evident(&db, &["import", data.to_str().expect("utf-8")]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        Template { db }
    }

    /// A fresh copy in `dir`, named `name`.
    fn copy(&self, dir: &Path, name: &str) -> PathBuf {
        let db = dir.join(name);
        let status = Command::new("cp")
            .arg("-a")
            .arg(&self.db)
            .arg(&db)
            .status()
            .expect("cp runs");
        assert!(status.success());
        db
    }
}

/// A database holding the seed fixture.
fn seed_db(dir: &Path, name: &str) -> PathBuf {
    static TEMPLATE: std::sync::OnceLock<Template> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let seed = dir.path().join("seed.jsonl");
            std::fs::write(&seed, SEED).expect("writes");
            Template::import(&seed)
        })
        .copy(dir, name)
}

/// A copy of the seed database, and `evident serve` holding it.
fn serving_seed() -> (tempfile::TempDir, PathBuf, Holder) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let holder = Holder::start(&db, &[]);
    (dir, db, holder)
}

/// Asserts that `count claims` printed `n` (or says what it printed instead).
fn assert_counted(out: &Output, n: u64) {
    let expected = format!("{{\"count\":{n}}}\n");
    assert_eq!(text(&out.stdout), expected, "{}", text(&out.stderr));
}

/// What a command printed, and how it ended.
fn outcome(out: &Output) -> (String, String, Option<i32>) {
    (text(&out.stdout), text(&out.stderr), out.status.code())
}

/// One HTTP request over the holder's socket; the whole raw answer.
fn raw(socket: &Path, request: &[u8]) -> String {
    let mut stream = UnixStream::connect(socket).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    text(&answer)
}

/// A connection to the holder's socket that has sent `POST /v1/query`
/// with `script` and read nothing yet.
fn post_query(socket: &Path, script: &str) -> UnixStream {
    let mut stream = UnixStream::connect(socket).expect("connects");
    let request = format!(
        "POST /v1/query HTTP/1.1\r\nContent-Length: {}\r\n\r\n{script}",
        script.len()
    );
    stream.write_all(request.as_bytes()).expect("sends");
    stream
}

/// [`outcome`] without the import report's time, which differs from run
/// to run (`… unchanged in 0.02 s (53 records/s)`).
fn untimed(out: &Output) -> (String, String, Option<i32>) {
    let (stdout, stderr, code) = outcome(out);
    let stderr: String = stderr
        .lines()
        .map(|l| l.split(" in ").next().unwrap_or(l).to_owned() + "\n")
        .collect();
    (stdout, stderr, code)
}

fn status_of(answer: &str) -> u16 {
    answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

fn healthy(socket: &Path) -> bool {
    let answer = raw(socket, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    status_of(&answer) == 200 && answer.contains(r#"{"evident":""#)
}

/// The `.evq` files of a golden directory, in order.
fn golden_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the golden directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "evq"))
        .collect();
    files.sort();
    files
}

/// Whether a script has a statement that writes (`add`, `retract`): it
/// needs a database of its own, or the next script would see its write.
fn script_writes(file: &Path) -> bool {
    let script = std::fs::read_to_string(file).expect("reads the script");
    evident::query::statements(&script).any(|s| s.is_ok_and(|s| s.kind.writes()))
}

/// Each golden query file's arguments, once per output format.
fn golden_runs(files: &[PathBuf]) -> Vec<(&Path, [&str; 5])> {
    files
        .iter()
        .flat_map(|file| {
            let script = file.to_str().expect("utf-8");
            ["jsonl", "table", "csv"].map(|format| {
                (
                    file.as_path(),
                    ["query", "--file", script, "--format", format],
                )
            })
        })
        .collect()
}

/// The runs whose output through the holder differs from their own.
fn differences(runs: &[(&Path, [&str; 5])], alone: &[Output], through: &[Output]) -> Vec<String> {
    let mut differences = Vec::new();
    for (((_, args), alone), through) in runs.iter().zip(alone).zip(through) {
        if outcome(alone) != outcome(through) {
            differences.push(format!(
                "evident {}:\n--- alone\n{:?}\n--- through the holder\n{:?}",
                args.join(" "),
                outcome(alone),
                outcome(through)
            ));
        }
    }
    differences
}

#[test]
fn golden_queries_through_a_holder_print_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = golden_files("fixtures/queries");
    assert!(files.len() >= 10, "found only {} golden files", files.len());
    let runs = golden_runs(&files);
    let (mut alone, mut through) = (Vec::new(), Vec::new());
    for (i, (_, args)) in runs.iter().enumerate() {
        // Fresh databases each time: some scripts write.
        alone.push(evident(&seed_db(dir.path(), &format!("alone-{i}")), args));
        let held = seed_db(dir.path(), &format!("held-{i}"));
        let holder = Holder::start(&held, &[]);
        through.push(evident(&held, args));
        holder.stop();
    }
    let differences = differences(&runs, &alone, &through);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// LIAR2 (`../shared/data/liar2.jsonl`, as `tests/golden.rs` uses it)
/// imported once; every LIAR2 golden file runs on its own first, then
/// through one holder, and must print the same bytes with the same status.
#[test]
fn liar2_golden_queries_through_a_holder_print_the_same_bytes() {
    let liar2 = Path::new("../shared/data/liar2.jsonl");
    if !liar2.exists() {
        eprintln!("skipping: ../shared/data/liar2.jsonl is not beside the repository");
        return;
    }
    let files = golden_files("fixtures/queries/liar2");
    assert!(files.len() >= 5, "found only {} golden files", files.len());
    let runs = golden_runs(&files);
    let dir = tempfile::tempdir().expect("temp dir");
    let template = Template::import(liar2);
    // Scripts that only read share one database; one that writes gets a
    // fresh copy (and, below, a holder of its own).
    let shared_db = |side: &str| template.copy(dir.path(), side);
    let own_db = |side: &str, i: usize| template.copy(dir.path(), &format!("{side}-{i}"));

    let alone_db = shared_db("alone");
    let alone: Vec<Output> = (runs.iter().enumerate())
        .map(|(i, (file, args))| match script_writes(file) {
            true => evident(&own_db("alone", i), args),
            false => evident(&alone_db, args),
        })
        .collect();

    let held_db = shared_db("held");
    let holder = Holder::start(&held_db, &[]);
    let through: Vec<Output> = (runs.iter().enumerate())
        .map(|(i, (file, args))| match script_writes(file) {
            true => {
                let db = own_db("held", i);
                let own_holder = Holder::start(&db, &[]);
                let out = evident(&db, args);
                own_holder.stop();
                out
            }
            false => evident(&held_db, args),
        })
        .collect();
    assert!(healthy(&holder.socket), "the holder served them all");
    holder.stop();

    let differences = differences(&runs, &alone, &through);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // The files did run: each prints rows or an error.
    for (out, (_, args)) in through.iter().zip(&runs) {
        assert!(
            !out.stdout.is_empty() || !out.stderr.is_empty(),
            "evident {} printed nothing",
            args.join(" ")
        );
    }
}

#[test]
fn import_export_and_check_through_a_holder_match_their_own_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("more.jsonl");
    std::fs::write(
        &good,
        "{\"type\":\"claim\",\"id\":\"c:new\",\"text\":\"t\",\"subject\":\"S\"}\n{\"type\":\"claim\",\"id\":\"c:bad\"}\n",
    )
    .expect("writes");
    // The same lines gzip-compressed: the holder takes them as they are.
    let gz = dir.path().join("more.jsonl.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&std::fs::read(&good).expect("reads"))
        .expect("compresses");
    std::fs::write(&gz, encoder.finish().expect("compresses")).expect("writes");
    let gz = gz.to_str().expect("utf-8");
    let good = good.to_str().expect("utf-8");
    let csv = dir.path().join("results.csv");
    std::fs::write(
        &csv,
        "id,model,benchmark,value\nr:x1,m,b,1\nr:x2,m,b,high\n",
    )
    .expect("writes");
    let csv = csv.to_str().expect("utf-8");
    let commands: [&[&str]; 13] = [
        &["import", "--from", "csv", "--type", "result", csv],
        &[
            "import",
            "--from",
            "csv",
            "--type",
            "result",
            "--skip-invalid",
            csv,
        ],
        &[
            "query",
            "claims where subject = $who select id",
            "--param",
            "who=Cursor",
        ],
        &[
            "query",
            "claims where created >= $day select id",
            "--param",
            "day=2026-06-01",
        ],
        &[
            "query",
            "claims where subject = $who",
            "--param",
            "nobody=x",
        ],
        &["import", gz],
        &["import", good],
        &["import", good, "--skip-invalid"],
        &["import", gz, "--skip-invalid"],
        &["import", "/no/such/file.jsonl"],
        &["export"],
        &["check"],
        &["query", "count claims group by status"],
    ];
    let alone_db = seed_db(dir.path(), "alone");
    let held_db = seed_db(dir.path(), "held");
    let holder = Holder::start(&held_db, &[]);
    for args in commands {
        let alone = evident(&alone_db, args);
        let through = evident(&held_db, args);
        assert_eq!(untimed(&alone), untimed(&through), "evident {args:?}");
    }
    // The report is the real one: the skipped line is named.
    let out = evident(&held_db, &["import", good, "--skip-invalid"]);
    assert!(
        text(&out.stderr).contains("more.jsonl:2:"),
        "{}",
        text(&out.stderr)
    );
    let export = dir.path().join("out.jsonl");
    let out = evident(&held_db, &["export", "-o", export.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let alone = evident(&alone_db, &["export"]);
    assert_eq!(std::fs::read(&export).expect("reads"), alone.stdout);
    // `POST /v1/import` takes a gzip body as it is (SPEC 10): the command
    // line sends what it reads, so this asks the holder directly.
    let gzip_body = std::fs::read(gz).expect("reads");
    let mut request = format!(
        "POST /v1/import?skip_invalid=true HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        gzip_body.len()
    )
    .into_bytes();
    request.extend_from_slice(&gzip_body);
    let answer = raw(&holder.socket, &request);
    assert_eq!(status_of(&answer), 200, "{answer}");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let report: serde_json::Value = serde_json::from_str(body).expect("JSON");
    // One good claim (already there from the commands above), one skipped.
    assert_eq!(report["report"]["read"][1], 1, "{answer}");
    assert_eq!(report["report"]["written"]["unchanged"], 1, "{answer}");
    assert_eq!(report["report"]["skipped_total"], 1, "{answer}");
    holder.stop();
}

#[test]
fn the_socket_is_private_and_goes_when_the_holder_does() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, db, holder) = serving_seed();
    assert_eq!(holder.socket, db.join("evident.sock"));
    let mode = std::fs::metadata(&holder.socket)
        .expect("the socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(healthy(&holder.socket));
    // Typed parameters in a JSON body; a bound value never becomes query text.
    let body = r#"{"script": "claims where subject = $who select id", "params": {"who": "Cursor\" or id != \"x"}}"#;
    let request = format!(
        "POST /v1/query HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = raw(&holder.socket, request.as_bytes());
    assert!(
        answer.contains("{\"done\":{\"statement\":1,\"columns\":[\"id\"]}}"),
        "{answer}"
    );
    assert!(!answer.contains("\"row\""), "{answer}");
    let health = raw(&holder.socket, b"GET /v1/health HTTP/1.1\r\n\r\n");
    let body = health.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(body["evident"], env!("CARGO_PKG_VERSION"), "{health}");
    assert!(body["format"].as_u64().is_some_and(|n| n >= 6), "{health}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{health}");
    // The library: `Database::open` names the holder, `Connection` reaches it.
    let refused = evident::Database::open(&db)
        .err()
        .expect("held")
        .to_string();
    assert!(
        refused.contains("in use by another evident process, which serves it on"),
        "{refused}"
    );
    assert!(refused.contains("evident.sock"), "{refused}");
    let connection = evident::Connection::open_existing(&db).expect("reaches the holder");
    assert!(
        connection
            .holder()
            .is_some_and(|at| at.ends_with("evident.sock"))
    );
    assert_eq!(connection.counters().expect("counters").records[1], 26);
    let mut export = Vec::new();
    assert_eq!(connection.export_jsonl(&mut export).expect("exports"), 123);
    let out = connection
        .query("claims where status = verified select id")
        .expect("runs");
    let local = evident::Database::open(seed_db(dir.path(), "copy")).expect("opens");
    let expected = local
        .query("claims where status = verified select id")
        .expect("runs");
    assert_eq!(
        serde_json::to_string(&out).ok(),
        serde_json::to_string(&expected).ok()
    );
    assert_eq!(out.rows.len(), 10);
    // What the shell completes from.
    use evident::model::Kind;
    assert_eq!(
        connection
            .distinct_values(Kind::Claim, "subject", 10)
            .expect("values"),
        local
            .distinct_values(Kind::Claim, "subject", 10)
            .expect("values")
    );
    assert_eq!(
        connection.record_ids(Kind::Source, 5).expect("ids"),
        local.record_ids(Kind::Source, 5).expect("ids")
    );
    assert!(
        !connection
            .record_ids(Kind::Source, 5)
            .expect("ids")
            .is_empty()
    );
    let error = connection
        .query("claims where staus = x")
        .expect_err("fails");
    let local_error = local.query("claims where staus = x").expect_err("fails");
    assert_eq!(
        error.to_string(),
        local_error.render("claims where staus = x")
    );
    // A second holder is refused, and says who serves it.
    let out = evident(&db, &["serve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already served"),
        "{}",
        text(&out.stderr)
    );
    let socket = holder.socket.clone();
    holder.stop();
    assert!(!socket.exists(), "the socket is removed on exit");
}

#[test]
fn a_long_path_gets_a_recorded_fallback_socket() {
    let dir = tempfile::tempdir().expect("temp dir");
    let deep = dir.path().join("a-directory-name-long-enough-".repeat(4));
    std::fs::create_dir_all(&deep).expect("creates");
    let db = seed_db(&deep, "db");
    let holder = Holder::start(&db, &[]);
    assert!(
        !holder.socket.starts_with(&db),
        "{}",
        holder.socket.display()
    );
    let recorded = std::fs::read_to_string(db.join("evident-socket")).expect("the record");
    assert_eq!(Path::new(&recorded), holder.socket);
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 26);
    let socket = holder.socket.clone();
    holder.stop();
    assert!(!socket.exists() && !db.join("evident-socket").exists());
}

#[test]
fn tcp_needs_a_token_and_answers_401_without_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let out = evident(&db, &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--token-file"));
    let token = dir.path().join("token");
    std::fs::write(&token, "  \n").expect("writes");
    let token_arg = token.to_str().expect("utf-8");
    let out = evident(
        &db,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            token_arg,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("empty"), "{}", text(&out.stderr));

    std::fs::write(&token, "s3cret-token\n").expect("writes");
    let holder = Holder::start(&db, &["--listen", "127.0.0.1:0", "--token-file", token_arg]);
    let address = holder.tcp.clone().expect("a TCP address");
    let ask = |authorization: &str| {
        let mut stream = std::net::TcpStream::connect(&address).expect("connects");
        let request = format!("GET /v1/health HTTP/1.1\r\nHost: x\r\n{authorization}\r\n");
        stream.write_all(request.as_bytes()).expect("sends");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    for wrong in [
        "",
        "Authorization: Bearer s3cret-toke\r\n",
        "Authorization: Bearer s3cret-token2\r\n",
        "Authorization: Basic s3cret-token\r\n",
    ] {
        let answer = ask(wrong);
        assert_eq!(status_of(&answer), 401, "{wrong:?}: {answer}");
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        assert_eq!(body, "", "nothing else: {answer}");
    }
    // A head that cannot be read cannot show the token either: 401 and
    // nothing else, not what is wrong with it.
    for malformed in [
        "GET /v1/health HTTP/2.0\r\n\r\n",
        "POST /v1/query HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "\u{1} hello\r\n\r\n",
    ] {
        let mut stream = std::net::TcpStream::connect(&address).expect("connects");
        stream.write_all(malformed.as_bytes()).expect("sends");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert_eq!(status_of(&answer), 401, "{malformed:?}: {answer}");
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        assert_eq!(body, "", "nothing else: {answer}");
    }
    let answer = ask("Authorization: Bearer s3cret-token\r\n");
    assert_eq!(status_of(&answer), 200, "{answer}");
    // Through the library's client too.
    let connection = evident::Connection::connect_tcp(&address, "s3cret-token");
    assert_eq!(connection.counters().expect("counters").records[1], 26);
    let wrong = evident::Connection::connect_tcp(&address, "nope");
    assert!(wrong.check().is_err());
    holder.stop();
}

/// Connections over TCP that fill every place (here without the token,
/// their heads never finished) leave the local clients served: the places
/// are counted apart for the Unix socket and for TCP. They were one count,
/// so that anyone reaching the port could lock every local client out.
#[test]
fn tcp_connections_cannot_take_the_places_of_local_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").expect("writes");
    let token_arg = token.to_str().expect("utf-8");
    let holder = Holder::start(&db, &["--listen", "127.0.0.1:0", "--token-file", token_arg]);
    let address = holder.tcp.clone().expect("a TCP address");
    let flood: Vec<std::net::TcpStream> = (0..evident::serve::MAX_CONNECTIONS + 4)
        .filter_map(|_| {
            let mut stream = std::net::TcpStream::connect(&address).ok()?;
            stream.write_all(b"GET /v1/health HTTP/1.1\r\n").ok()?;
            Some(stream)
        })
        .collect();
    // Every place over TCP is taken (the last connections are refused).
    std::thread::sleep(Duration::from_millis(300));
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 26);
    assert!(healthy(&holder.socket));
    drop(flood);
    holder.stop();
}

#[test]
fn hostile_requests_get_a_4xx_and_the_holder_goes_on() {
    let (_dir, db, holder) = serving_seed();
    let socket = &holder.socket;
    // A client that connects and says nothing holds no one else up.
    let silent = UnixStream::connect(socket).expect("connects");
    let huge_header = format!(
        "GET /v1/health HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let mut non_utf8 = b"POST /v1/query HTTP/1.1\r\nContent-Length: 4\r\n\r\n".to_vec();
    non_utf8.extend_from_slice(&[0xff, 0xfe, b'x', 0x80]);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("garbage", b"\x00\x01 hello\r\n\r\n".to_vec(), 400),
        ("no version", b"GET /v1/health\r\n\r\n".to_vec(), 400),
        ("huge header", huge_header.into_bytes(), 431),
        ("non-UTF-8 script", non_utf8, 400),
        ("script too large", b"POST /v1/query HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n".to_vec(), 413),
        ("bad chunks", b"POST /v1/query HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(), 400),
        ("smuggling", b"POST /v1/query HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(), 400),
        ("unknown path", b"GET /etc/passwd HTTP/1.1\r\n\r\n".to_vec(), 404),
        ("wrong method", b"DELETE /v1/query HTTP/1.1\r\n\r\n".to_vec(), 405),
        ("bad JSON", b"POST /v1/query HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{oops".to_vec(), 400),
        ("import without body", b"POST /v1/import HTTP/1.1\r\n\r\n".to_vec(), 411),
        ("short body", b"POST /v1/query HTTP/1.1\r\nContent-Length: 50\r\n\r\ncount".to_vec(), 400),
    ];
    for (what, request, status) in cases {
        let started = Instant::now();
        let mut stream = UnixStream::connect(socket).expect("connects");
        stream.write_all(&request).expect("sends");
        if what == "short body" {
            // The rest never comes: the client hangs up.
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = text(&answer);
        assert_eq!(status_of(&answer), status, "{what}: {answer}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} took {:?}",
            started.elapsed()
        );
        assert!(healthy(socket), "the holder goes on after {what}");
    }
    // A slow client (one byte, then nothing) gets 408 once its time is up.
    let mut slow = UnixStream::connect(socket).expect("connects");
    slow.write_all(b"G").expect("sends");
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 26);
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert_eq!(status_of(&answer), 408, "{answer}");
    drop(silent);
    assert!(healthy(socket));
    holder.stop();
}

/// An empty body (`Content-Length: 0`: an empty script, an empty file) is
/// read as empty at once. Reading it waited for bytes the client never
/// sends: `query ''` through a holder failed after 10 s with "does not
/// answer", an empty import after a minute with os error 11.
#[test]
fn an_empty_body_is_answered_at_once_as_on_its_own() {
    let (dir, db, holder) = serving_seed();
    let alone_db = seed_db(dir.path(), "alone");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("writes");
    let empty = empty.to_str().expect("utf-8");
    for args in [vec!["query", ""], vec!["import", empty]] {
        let started = Instant::now();
        let through = evident(&db, &args);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}",
            started.elapsed()
        );
        assert_eq!(untimed(&through), untimed(&evident(&alone_db, &args)));
    }
    let answer = raw(
        &holder.socket,
        b"POST /v1/query HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(answer.contains("nothing to run"), "{answer}");
    holder.stop();
}

/// An HTTP/1.0 client knows no chunks: a streamed answer goes to it plain,
/// ended by the close, and holds the same bytes as the chunks would.
#[test]
fn an_http_1_0_client_gets_its_answer_plain() {
    let (_dir, _db, holder) = serving_seed();
    let body_of = |version: &str| {
        let answer = raw(
            &holder.socket,
            format!("POST /v1/query HTTP/{version}\r\nContent-Length: 12\r\n\r\ncount claims")
                .as_bytes(),
        );
        assert_eq!(status_of(&answer), 200, "{answer}");
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
        (head.contains("Transfer-Encoding: chunked"), body.to_owned())
    };
    let (chunked, plain) = body_of("1.0");
    assert!(!chunked, "{plain}");
    assert!(plain.starts_with(r#"{"row":{"count":26}}"#), "{plain}");
    let (chunked, chunks) = body_of("1.1");
    assert!(chunked);
    assert!(chunks.contains(&plain), "{chunks}");
    holder.stop();
}

#[test]
fn a_hundred_clients_at_once_are_all_answered() {
    let (_dir, db, holder) = serving_seed();
    let socket = holder.socket.clone();
    let clients: Vec<_> = (0..100)
        .map(|_| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                raw(
                    &socket,
                    b"POST /v1/query HTTP/1.1\r\nContent-Length: 12\r\n\r\ncount claims",
                )
            })
        })
        .collect();
    for client in clients {
        let answer = client.join().expect("the client thread");
        assert_eq!(status_of(&answer), 200, "{answer}");
        assert!(answer.contains("{\"row\":{\"count\":26}}"), "{answer}");
    }
    // And a few one-shot commands at once, too.
    let commands: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || evident(&db, &["query", "count claims"]))
        })
        .collect();
    for command in commands {
        let out = command.join().expect("the command thread");
        assert_counted(&out, 26);
    }
    holder.stop();
}

/// A client that reads its answer to the end (as most HTTP libraries do
/// with `Connection: close`) gets the end with the answer's last chunk:
/// the holder closed the connection only once the statement's watcher,
/// holding a copy of the socket, next woke, up to 200 ms later. The script
/// runs long enough (~15 ms) for its watcher to be reading before it ends.
#[test]
fn an_answer_ends_when_it_is_written() {
    let (_dir, _db, holder) = serving_seed();
    let script = vec!["count claims"; 3000].join(";\n");
    let mut gaps: Vec<Duration> = (0..11)
        .map(|_| {
            let mut stream = post_query(&holder.socket, &script);
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .expect("timeout");
            let mut answer = Vec::new();
            let mut buf = [0u8; 1 << 16];
            // Up to the chunked body's last chunk…
            while !answer.ends_with(b"\r\n0\r\n\r\n") {
                let n = stream.read(&mut buf).expect("reads the answer");
                assert!(n > 0, "the answer ended early: {}", text(&answer));
                answer.extend_from_slice(&buf[..n]);
            }
            let last_chunk = Instant::now();
            // …then to the end of the stream.
            assert_eq!(stream.read(&mut buf).expect("reads the end"), 0);
            assert!(text(&answer).contains(r#"{"done":{"statement":3000,"#));
            last_chunk.elapsed()
        })
        .collect();
    gaps.sort_unstable();
    // The median, so that one request slowed by a busy machine decides
    // nothing: next to nothing now, about 185 ms before.
    let median = gaps[gaps.len() / 2];
    assert!(
        median < Duration::from_millis(100),
        "the end came after the last chunk by {gaps:?}"
    );
    holder.stop();
}

#[test]
fn clients_that_die_mid_statement_leave_the_holder_serving() {
    let (_dir, db, holder) = serving_seed();
    for _ in 0..5 {
        // Reads the head of a big answer, then goes.
        let mut stream = post_query(
            &holder.socket,
            "evidence; claims; sources; evidence; claims",
        );
        let mut head = [0u8; 16];
        let _ = stream.read(&mut head);
        drop(stream);
        // A client process killed as it runs.
        let mut child = Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(&db)
            .args(["query", "evidence; claims; evidence"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        std::thread::sleep(Duration::from_millis(5));
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(healthy(&holder.socket));
    let out = evident(&db, &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    holder.stop();
}

/// `evident import FILE` on `db`, running; its standard error piped.
fn start_import(db: &Path, file: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(db)
        .arg("import")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts")
}

/// JSON Lines of `n` claims, `c:PREFIX-0` on.
fn claims(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"type\":\"claim\",\"id\":\"c:{prefix}-{i}\",\"text\":\"claim number {i}\",\"subject\":\"S{}\"}}\n", i % 100))
        .collect()
}

#[test]
fn a_holder_killed_during_an_import_leaves_all_or_nothing_and_the_client_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let bulk = dir.path().join("bulk.jsonl");
    std::fs::write(&bulk, claims("bulk", 300_000)).expect("writes");
    let holder = Holder::start(&db, &[]);
    let socket = holder.socket.clone();
    let client = start_import(&db, &bulk);
    std::thread::sleep(Duration::from_millis(700));
    holder.signal("KILL");
    let out = client.wait_with_output().expect("the client ends");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the client must fail: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("lost the process holding"),
        "{}",
        text(&out.stderr)
    );
    drop(holder);
    assert!(socket.exists(), "a killed holder leaves its socket");
    // The next process takes the lock, rolls back, and removes the socket.
    let out = evident(&db, &["check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !socket.exists(),
        "the stale socket is removed by the next holder"
    );
    let out = evident(&db, &["query", "count claims"]);
    let count = text(&out.stdout);
    assert!(
        count == "{\"count\":26}\n" || count == "{\"count\":300026}\n",
        "neither before nor after: {count}"
    );
}

#[test]
fn a_holder_that_does_not_answer_is_named() {
    let (_dir, db, holder) = serving_seed();
    holder.signal("STOP");
    let out = evident(&db, &["query", "count claims"]);
    holder.signal("CONT");
    assert_eq!(out.status.code(), Some(1));
    let message = text(&out.stderr);
    assert!(
        message.contains("does not answer") && message.contains("evident.sock"),
        "{message}"
    );
    holder.stop();
}

/// `evident repl` at a terminal: a tmux session of its own.
struct Shell {
    server: String,
}

impl Shell {
    /// Starts the shell on `db` (its history in `dir`); `None`, with a
    /// note, where tmux is not installed.
    fn start(db: &Path, dir: &Path, name: &str) -> Option<Shell> {
        let available = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !available {
            eprintln!("note: tmux is not installed (package `tmux`); skipping the terminal test");
            return None;
        }
        let shell = Shell {
            server: format!("evident-serve-{name}-{}", std::process::id()),
        };
        let command = format!(
            "env XDG_DATA_HOME='{}' TERM=xterm-256color '{}' --db '{}' repl",
            dir.display(),
            env!("CARGO_BIN_EXE_evident"),
            db.display()
        );
        let started = shell.tmux(&[
            "new-session",
            "-d",
            "-s",
            "repl",
            "-x",
            "120",
            "-y",
            "40",
            &command,
        ]);
        assert!(started.status.success(), "{}", text(&started.stderr));
        shell.wait_for("prompt", |s| s.contains("evident>"));
        Some(shell)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.server)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Types `keys` as they are, then presses `key` (`Enter`, `Tab`).
    fn type_then(&self, keys: &str, key: &str) {
        let _ = self.tmux(&["send-keys", "-t", "repl", "-l", keys]);
        let _ = self.tmux(&["send-keys", "-t", "repl", key]);
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let shown = text(&self.tmux(&["capture-pane", "-t", "repl", "-p"]).stdout);
            if ok(&shown) {
                return shown;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no {what}:\n{shown}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

#[test]
fn a_second_process_queries_while_the_shell_is_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let Some(shell) = Shell::start(&db, dir.path(), "second") else {
        return;
    };
    // The shell holds the database; another process queries and writes through it.
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 26);
    let more = dir.path().join("more.jsonl");
    std::fs::write(&more, claims("bulk", 3)).expect("writes");
    let out = evident(&db, &["import", more.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The shell sees what the other process wrote.
    shell.type_then("count claims", "Enter");
    shell.wait_for("the new count", |s| s.contains("29"));
    shell.type_then(".quit", "Enter");
    let started = Instant::now();
    while db.join("evident.sock").exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(shell);
    assert!(
        !db.join("evident.sock").exists(),
        "the shell removes its socket when it ends"
    );
    // On its own again.
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 29);
}

/// The shell as a client of a holder, at a terminal: Tab completes values
/// and ids from the holder's database, and statements run there.
#[test]
fn the_shell_as_a_client_completes_from_the_holder() {
    let (dir, db, holder) = serving_seed();
    let Some(shell) = Shell::start(&db, dir.path(), "client") else {
        return;
    };
    shell.type_then("claims where subject = \"Curs", "Tab");
    shell.wait_for("the value completed", |s| {
        s.contains("evident> claims where subject = \"Cursor\"")
    });
    shell.type_then(" select id", "Enter");
    shell.wait_for("the rows", |s| s.contains("c:cursor-"));
    shell.type_then("explain c:spacex-model-swe", "Tab");
    shell.wait_for("the id completed", |s| {
        s.contains("evident> explain c:spacex-model-swebench-74")
    });
    shell.type_then("", "Enter");
    shell.wait_for("the explanation", |s| s.contains("unresolved"));
    shell.type_then(".quit", "Enter");
    drop(shell);
    // The shell was a client: the holder serves on.
    assert!(healthy(&holder.socket));
    holder.stop();
}

/// Runs `evident repl` with `input` piped in.
fn repl_piped(db: &Path, input: &str) -> Output {
    common::with_input(
        Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(db)
            .arg("repl")
            .env("PAGER", ""),
        input,
    )
}

#[test]
fn the_shell_works_through_a_holder_as_on_its_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let more = dir.path().join("more.jsonl");
    std::fs::write(&more, claims("bulk", 2)).expect("writes");
    let input = format!(
        ".stats\ncount claims group by status;\nexplain c:spacex-model-swebench-74;\n.import {}\nclaims where subject = \"S1\" select id;\n.format table\nclaims limit 3 select id, status;\nclaims where staus = x;\n",
        more.display()
    );
    let alone = repl_piped(&seed_db(dir.path(), "alone"), &input);
    let held = seed_db(dir.path(), "held");
    let holder = Holder::start(&held, &[]);
    let through = repl_piped(&held, &input);
    holder.stop();
    assert_eq!(untimed(&alone), untimed(&through));
    assert!(
        text(&through.stdout).contains("c:bulk-1"),
        "{}",
        text(&through.stdout)
    );
}

#[test]
fn a_holder_that_serves_nothing_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    // This test process holds the database and serves nothing.
    let held = evident::Database::open(&db).expect("opens");
    let out = evident(&db, &["query", "count claims"]);
    assert_eq!(out.status.code(), Some(1));
    let message = text(&out.stderr);
    assert!(
        message.contains("is in use by another evident process, which does not serve it"),
        "{message}"
    );
    assert!(
        message.contains("wait for it to finish or stop it"),
        "{message}"
    );
    drop(held);
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 26);
}

/// The seed database and 20,000 claims with a holder, and another client's
/// import of 60,000 claims through it, whose write makes statements wait:
/// long enough to be stopped, however fast the machine. The write is held
/// back by a reader that asks for every claim and takes none of them (the
/// holder waits up to its stall limit for it), and a statement arriving
/// after the write asked waits for it (SPEC 10). `attempt` starts a
/// statement and stops it, saying whether it was caught waiting; it is
/// tried until three are (the first may come before the import asked).
/// Then the reader goes, the import must succeed (it is no one's to stop),
/// and the holder must serve on.
fn while_an_import_writes(mut attempt: impl FnMut(&Path, &Holder) -> bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let earlier = dir.path().join("earlier.jsonl");
    std::fs::write(&earlier, claims("earlier", 20_000)).expect("writes");
    let out = evident(&db, &["import", earlier.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bulk = dir.path().join("bulk.jsonl");
    std::fs::write(&bulk, claims("bulk", 60_000)).expect("writes");
    let holder = Holder::start(&db, &[]);

    let mut blocker = post_query(&holder.socket, "claims");
    // Its first row has come: the statement runs and, taking no more,
    // fills the socket's buffers and stays.
    let mut first = [0u8; 512];
    let mut got = 0;
    while !text(&first[..got]).contains("{\"row\":") && got < first.len() {
        match blocker.read(&mut first[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(
        text(&first[..got]).contains("{\"row\":"),
        "{}",
        text(&first[..got])
    );

    let import = start_import(&db, &bulk);
    let mut caught = 0;
    let started = Instant::now();
    // Well within the stall limit, after which the holder drops the reader.
    while started.elapsed() < Duration::from_secs(20) && caught < 3 {
        if attempt(&db, &holder) {
            caught += 1;
        }
    }
    drop(blocker);
    let out = import.wait_with_output().expect("the import ends");
    assert!(
        out.status.success(),
        "the import is no one's to stop: {}",
        text(&out.stderr)
    );
    assert_eq!(
        caught, 3,
        "statements were not caught waiting for the write"
    );
    assert!(healthy(&holder.socket));
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 80_026);
    holder.stop();
}

#[test]
fn a_client_that_stops_stops_its_own_statement_and_no_other() {
    while_an_import_writes(|_, holder| {
        // Sends a query, then shuts its side at once, as the command line
        // does on Ctrl-C: the holder stops that statement.
        let mut stream = post_query(&holder.socket, "count claims where text ~ \"number\"");
        std::thread::sleep(Duration::from_millis(100));
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert_eq!(status_of(&answer), 200, "{answer}");
        let stopped = answer.contains("{\"error\":{\"message\":\"interrupted\"}}");
        // Or too quick to stop: the write had not begun, or had ended.
        assert!(stopped || answer.contains("\"done\""), "{answer}");
        stopped
    });
}

/// A client that asks for every row and then reads them a trickle at a
/// time (1 KiB every 100 ms: each of the holder's sends makes progress
/// well within its own time limit) must not hold a write back for longer
/// than the holder's stall limit (SPEC 10): its statement ends with an
/// error saying why, and the write goes on.
#[test]
fn a_slow_reader_holds_a_write_back_no_longer_than_the_stall_limit() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = seed_db(dir.path(), "db");
    let bulk = dir.path().join("bulk.jsonl");
    std::fs::write(&bulk, claims("bulk", 20_000)).expect("writes");
    let out = evident(&db, &["import", bulk.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let one = dir.path().join("one.jsonl");
    std::fs::write(
        &one,
        "{\"type\":\"claim\",\"id\":\"c:late\",\"text\":\"t\",\"subject\":\"S\"}\n",
    )
    .expect("writes");
    let holder = Holder::start(&db, &[]);

    let mut slow = post_query(&holder.socket, "claims");
    let hurry = std::sync::Arc::new(AtomicBool::new(false));
    let reader = {
        let hurry = std::sync::Arc::clone(&hurry);
        std::thread::spawn(move || {
            let mut answer = Vec::new();
            let mut piece = [0u8; 1024];
            loop {
                match slow.read(&mut piece) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&piece[..n]),
                }
                if !hurry.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            text(&answer)
        })
    };
    // The statement has begun and filled the socket's buffers.
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    let mut import = start_import(&db, &one);
    let limit = evident::serve::STALL_LIMIT + Duration::from_secs(20);
    let finished = loop {
        if let Ok(Some(status)) = import.try_wait() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = import.kill();
            let _ = import.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    hurry.store(true, Ordering::SeqCst);
    let waited = started.elapsed();
    assert!(
        finished.is_some_and(|s| s.success()),
        "the import waited {waited:?} for a slow reader and was stopped ({finished:?})"
    );
    let answer = reader.join().expect("the reader");
    let rows = answer.matches("{\"row\":").count();
    assert!(rows < 20_026, "the slow reader got every row ({rows})");
    assert!(
        answer.contains("{\"error\":{\"message\":\"the client read its rows too slowly"),
        "no error saying why: …{}",
        &answer[answer.len().saturating_sub(300)..]
    );
    let out = evident(&db, &["query", "count claims"]);
    assert_counted(&out, 20_027);
    holder.stop();
}

/// Ctrl-C in a one-shot `evident query` that runs through the holder ends
/// it as it ends one on its own (the signal's default: no handler, no
/// output); its connection closing stops its statement on the holder, and
/// nothing else: another client's import goes on and the holder serves.
#[test]
fn ctrl_c_in_a_client_stops_nothing_else_on_the_holder() {
    use std::os::unix::process::ExitStatusExt;
    if common::sigint_ignored() {
        eprintln!("note: SIGINT is ignored here, so Ctrl-C cannot end a client; skipping");
        return;
    }
    while_an_import_writes(|db, _| {
        let query = Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(db)
            .args(["query", "count claims where text ~ \"number\""])
            .env("PAGER", "")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        std::thread::sleep(Duration::from_millis(150));
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(query.id().to_string())
            .status();
        let out = query.wait_with_output().expect("the query ends");
        let stopped = out.status.signal() == Some(2);
        // Or too quick to stop: it had its answer already.
        assert!(stopped || out.status.success(), "{:?}", outcome(&out));
        assert!(!stopped || out.stdout.is_empty(), "{}", text(&out.stdout));
        stopped
    });
}
