//! Kill -9 during an import: the database must afterwards hold either the
//! state before the import or the state after it, never half, and pass
//! `check`. 12 rounds by default; set EVIDENT_KILLS for more (the README uses 25).

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
        let mut child = evident(&db)
            .arg("import")
            .arg(&big)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
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
