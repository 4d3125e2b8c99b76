//! Kill -9 during an import: the database must afterwards hold either the
//! state before the import or the state after it, never half, and pass
//! `check`. 12 rounds by default; set EVIDENT_KILLS for more (the README uses 25).

mod common;

use common::{copy_dir, kill_after};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn evident(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_evident"));
    cmd.arg("--db").arg(db);
    cmd
}

fn synthetic(path: &std::path::Path, claims: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for s in 0..200 {
        writeln!(out, r#"{{"type":"source","id":"s{s}","title":"Source {s}","reliability":0.{},"affiliations":["p{}"]}}"#, 1 + s % 9, s % 50)
            .expect("write");
    }
    for c in 0..claims {
        writeln!(out, r#"{{"type":"claim","id":"c{c}","text":"Claim number {c}","subject":"p{}","tags":["t{}"]}}"#, c % 97, c % 13)
            .expect("write");
        for k in 0..2 {
            writeln!(
                out,
                r#"{{"type":"evidence","id":"e{c}-{k}","claim":"c{c}","source":"s{}","stance":"{}","strength":0.{}}}"#,
                (c * 7 + k) % 200,
                if (c + k) % 3 == 0 { "refutes" } else { "supports" },
                1 + (c + k) % 9
            )
            .expect("write");
        }
    }
    out.flush().expect("flush");
}

fn count(db: &std::path::Path, collection: &str) -> u64 {
    let out = evident(db)
        .args(["query", &format!("count {collection}"), "--format", "jsonl"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "count failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let value: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
    value["count"].as_u64().expect("a count")
}

#[test]
fn kill_nine_never_leaves_half_an_import() {
    let kills: usize = std::env::var("EVIDENT_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base.jsonl");
    let big = dir.path().join("big.jsonl");
    std::fs::write(
        &base,
        r#"{"type":"source","id":"base-source","title":"Present before every import"}"#,
    )
    .expect("write");
    synthetic(&big, 20_000);

    // How long a whole import takes here, into a database like the ones the
    // rounds use, to kill at moments across it and a little after.
    let probe = dir.path().join("probe.db");
    let import = |db: &std::path::Path, file: &std::path::Path| {
        let status = evident(db)
            .arg("import")
            .arg(file)
            .stderr(Stdio::null())
            .status()
            .expect("runs");
        assert!(status.success());
    };
    import(&probe, &base);
    let started = Instant::now();
    import(&probe, &big);
    let full = started.elapsed();
    eprintln!("a whole import takes {full:?}; killing at 0–120% of that");
    let expected_after = 200 + 20_000 + 1;

    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let (mut before, mut after) = (0, 0);
    for round in 0..kills {
        let db = dir.path().join(format!("round{round}.db"));
        import(&db, &base);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = full.mul_f64((seed % 1000) as f64 / 1000.0 * 1.2);
        kill_after(evident(&db).arg("import").arg(&big), delay);
        std::thread::sleep(Duration::from_millis(20));

        let check = evident(&db).arg("check").output().expect("runs");
        assert!(
            check.status.success(),
            "round {round}: check failed after a kill at {delay:?}:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let n = count(&db, "sources") + count(&db, "claims");
        assert!(
            n == 1 || n == expected_after,
            "round {round}: {n} sources+claims — half an import"
        );
        if n == 1 {
            before += 1
        } else {
            after += 1
        }
        if n == expected_after {
            assert_eq!(count(&db, "evidence"), 40_000, "round {round}");
        }
    }
    eprintln!("{kills} kills: {before} left the database as before, {after} as after");
}

/// A second import for the nested rounds: it replaces half the claims of
/// `synthetic` (new text, new subjects, so their index entries move) and
/// adds as many new claims with their evidence.
fn update(path: &std::path::Path, claims: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for c in 0..claims / 2 {
        writeln!(out, r#"{{"type":"claim","id":"c{c}","text":"Claim {c}, revised","subject":"q{}","tags":["u{}"]}}"#, c % 31, c % 7)
            .expect("write");
        writeln!(
            out,
            r#"{{"type":"claim","id":"d{c}","text":"New claim {c}","subject":"q{}"}}"#,
            c % 29
        )
        .expect("write");
        writeln!(
            out,
            r#"{{"type":"evidence","id":"f{c}","claim":"d{c}","source":"s{}","stance":"supports"}}"#,
            c % 200
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

/// What tells the state before the update from the state after it: the
/// counts of claims and evidence, and an index-served count.
fn state(db: &std::path::Path) -> (u64, u64, u64) {
    let subject = {
        let out = evident(db)
            .args([
                "query",
                r#"count claims where subject = "q3""#,
                "--format",
                "jsonl",
            ])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let value: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
        value["count"].as_u64().expect("a count")
    };
    (count(db, "claims"), count(db, "evidence"), subject)
}

/// Runs `evident … query "count claims"` — which first undoes the
/// interrupted write — and kills it after `delay` (it may finish first).
fn kill_recovery(db: &std::path::Path, delay: Duration) {
    kill_after(evident(db).args(["query", "count claims"]), delay);
}

/// Kill -9 during an import that replaces records, then kill -9 the
/// commands that undo it, three to five times in a row, each at a random
/// moment of the undoing: the database must end exactly as before the
/// import or after it, and pass `check` (finding C1 of the reliability
/// probe: a killed rollback used to leave stray index entries for good).
/// 8 rounds by default; EVIDENT_KILLS sets how many.
#[test]
fn kill_nine_during_recovery_too_never_leaves_a_trace() {
    let rounds: usize = std::env::var("EVIDENT_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(8);
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base.jsonl");
    let changes = dir.path().join("update.jsonl");
    synthetic(&base, 20_000);
    update(&changes, 20_000);
    let template = dir.path().join("template.db");
    let ok = |cmd: &mut Command| {
        let out = cmd.stderr(Stdio::piped()).output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(evident(&template).arg("import").arg(&base));
    let before = state(&template);

    // How long the import and a whole undo of it take here.
    let probe = dir.path().join("probe.db");
    copy_dir(&template, &probe);
    let started = Instant::now();
    ok(evident(&probe).arg("import").arg(&changes));
    let import_time = started.elapsed();
    let after = state(&probe);
    assert_ne!(before, after);
    let interrupted = dir.path().join("interrupted.db");
    copy_dir(&template, &interrupted);
    kill_after(
        evident(&interrupted).arg("import").arg(&changes),
        import_time.mul_f64(0.9),
    );
    let started = Instant::now();
    ok(evident(&interrupted).args(["query", "count claims"]));
    let undo_time = started.elapsed().max(Duration::from_millis(50));
    eprintln!("an import takes {import_time:?}, a whole undo {undo_time:?}");

    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let (mut as_before, mut as_after, mut nested_kills) = (0, 0, 0);
    for round in 0..rounds {
        let db = dir.path().join(format!("nested{round}.db"));
        copy_dir(&template, &db);
        let import_kill = import_time.mul_f64(0.2 + next(1000) as f64 / 1000.0 * 0.9);
        kill_after(evident(&db).arg("import").arg(&changes), import_kill);
        // Three to five recoveries killed in a row, each at its own moment.
        let levels = 3 + next(3);
        let mut moments = Vec::new();
        for _ in 0..levels {
            let delay = undo_time.mul_f64(next(1000) as f64 / 1000.0 * 1.1);
            kill_recovery(&db, delay);
            moments.push(delay);
            nested_kills += 1;
        }
        let check = evident(&db).arg("check").output().expect("runs");
        assert!(
            check.status.success(),
            "round {round}: check failed after an import killed at {import_kill:?} and \
             recoveries killed at {moments:?}:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let now = state(&db);
        assert!(
            now == before || now == after,
            "round {round}: {now:?} is neither the state before {before:?} nor after {after:?} \
             (import killed at {import_kill:?}, recoveries at {moments:?})"
        );
        if now == before {
            as_before += 1;
        } else {
            as_after += 1;
        }
        let _ = std::fs::remove_dir_all(&db);
    }
    eprintln!(
        "{rounds} rounds, {nested_kills} recoveries killed: {as_before} ended as before, {as_after} as after"
    );
}
