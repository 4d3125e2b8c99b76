//! Parameters (`$name`, SPEC 4.2): typed values from the library, text
//! from `evident query --param`, and the errors for a parameter nothing
//! binds, a binding nothing uses and a value of the wrong type — all
//! before anything runs. A bound value never changes the statement.

use evident::{Database, Error, Interrupt, Params};
use std::process::Command;

const DATA: &str = r#"{"type":"source","id":"lab","title":"A lab","kind":"paper","published":"2024-03-01","reliability":0.9}
{"type":"source","id":"blog","title":"A blog","kind":"blog","published":"2025-06-01","reliability":0.6}
{"type":"claim","id":"c1","text":"Model X is fast","subject":"Model X","tags":["speed"]}
{"type":"claim","id":"c2","text":"Model X is cheap","subject":"Model X","tags":["cost"]}
{"type":"claim","id":"c3","text":"Model \"Y\" or 1=1","subject":"Model Y"}
{"type":"evidence","id":"e1","claim":"c1","source":"lab","stance":"supports"}
{"type":"evidence","id":"e2","claim":"c2","source":"blog","stance":"refutes"}
"#;

fn db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(dir.path().join("db")).expect("opens");
    db.import_jsonl(DATA.as_bytes()).expect("imports");
    (dir, db)
}

fn json(text: &str) -> Params {
    Params::from_json(serde_json::from_str(text).expect("a JSON object"))
}

/// Every output of the script, as the `json` format writes each.
fn run(db: &Database, script: &str, params: &Params) -> Result<Vec<String>, Error> {
    let mut outs = Vec::new();
    db.run_each_with(script, params, &Interrupt::new(), &mut |o| {
        outs.push(serde_json::to_string(&o).expect("serialises"))
    })?;
    Ok(outs)
}

fn rendered(db: &Database, script: &str, params: &Params) -> String {
    match run(db, script, params) {
        Ok(outs) => panic!("{script} ran: {outs:?}"),
        Err(e) => e.render(script),
    }
}

#[test]
fn typed_json_values_stand_where_values_ids_dates_strings_and_limits_do() {
    let (_dir, db) = db();
    let p = json(
        r#"{"who": "Model X", "n": 1, "skip": 1, "day": "2024-12-31", "needle": "CHEAP", "tag": "speed", "id": "c2", "least": 0.5}"#,
    );
    let script = "claims where subject = $who limit $n offset $skip select id; \
                  sources as of $day select id; \
                  claims where text ~ $needle select id; \
                  count claims where tags has $tag; \
                  claims where id in ($id, \"c3\") and confidence >= $least select id; \
                  show $id";
    let outs = run(&db, script, &p).expect("runs");
    assert_eq!(outs[0], r#"[{"id":"c2"}]"#);
    assert_eq!(
        outs[1], r#"[{"id":"lab"}]"#,
        "a JSON string is a date after as of"
    );
    assert_eq!(outs[2], r#"[{"id":"c2"}]"#);
    assert_eq!(outs[3], r#"[{"count":1}]"#);
    let written = run(
        &db,
        "claims where id in (\"c2\", \"c3\") and confidence >= 0.5 select id",
        &Params::new(),
    )
    .expect("runs");
    assert_eq!(outs[4], written[0], "as if written in place");
    assert!(outs[5].contains("c2"), "{}", outs[5]);
    // A date field takes a JSON string as a date.
    let outs = run(&db, "sources where published < $day select id", &p_day()).expect("runs");
    assert_eq!(outs[0], r#"[{"id":"lab"}]"#);
}

fn p_day() -> Params {
    json(r#"{"day": "2025-01-01"}"#)
}

#[test]
fn a_bound_value_never_changes_the_statement() {
    let (_dir, db) = db();
    for hostile in [
        r#"Model X" or subject = "Model Y"#,
        "x; retract c1",
        "$who",
        "Model X\" select text --",
    ] {
        let mut p = Params::new();
        p.set_text("who", hostile);
        let outs = run(&db, "claims where subject = $who select id", &p).expect("runs");
        assert_eq!(outs, ["[]"], "{hostile}");
    }
    // The text is the whole value, quotes and all.
    let mut p = Params::new();
    p.set_text("t", "Model \"Y\" or 1=1");
    let outs = run(&db, "claims where text = $t select id", &p).expect("runs");
    assert_eq!(outs, [r#"[{"id":"c3"}]"#]);
    assert_eq!(
        run(&db, "count claims", &Params::new()).expect("runs"),
        [r#"[{"count":3}]"#]
    );
}

#[test]
fn command_line_text_takes_the_type_expected_where_it_stands() {
    let (_dir, db) = db();
    let mut p = Params::new();
    p.set_text("n", "1");
    p.set_text("day", "2024-12-31");
    p.set_text("least", "0.5");
    p.set_text("id", "c1");
    let outs = run(
        &db,
        "claims where confidence >= $least and id = $id limit $n select id; sources as of $day select id",
        &p,
    )
    .expect("runs");
    assert_eq!(outs, [r#"[{"id":"c1"}]"#, r#"[{"id":"lab"}]"#]);
    // An id field takes digits as the text they are.
    let mut p = Params::new();
    p.set_text("id", "7");
    assert_eq!(
        run(&db, "claims where id = $id select id", &p).expect("runs"),
        ["[]"]
    );
    // `add` types each member by its field.
    let mut p = Params::new();
    p.set_text("text", "2024-01-01");
    p.set_text("who", "true");
    run(
        &db,
        "add claim { id: \"c9\", text: $text, subject: $who }",
        &p,
    )
    .expect("adds");
    let outs = run(
        &db,
        "claims where id = \"c9\" select text, subject",
        &Params::new(),
    )
    .expect("runs");
    assert_eq!(outs, [r#"[{"text":"2024-01-01","subject":"true"}]"#]);
}

#[test]
fn an_unbound_parameter_is_an_error_before_anything_runs() {
    let (_dir, db) = db();
    let mut p = Params::new();
    p.set_text("who", "Model X");
    let script =
        "add claim { id: \"new\", text: \"t\", subject: $who }; claims where subject = $whom";
    let e = rendered(&db, script, &p);
    assert!(e.contains("parameter $whom is not bound"), "{e}");
    assert!(e.contains("did you mean $who?"), "{e}");
    assert!(e.contains('^'), "a caret under it: {e}");
    assert_eq!(
        run(&db, "count claims", &Params::new()).expect("runs"),
        [r#"[{"count":3}]"#]
    );
}

#[test]
fn an_unused_binding_is_an_error_naming_it() {
    let (_dir, db) = db();
    let p = json(r#"{"who": "Model X", "subjet": "Model X"}"#);
    let e = run(
        &db,
        "add claim { id: \"new\", text: \"t\", subject: $who }",
        &p,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter \"subjet\" is bound, but the script has no $subjet\n  = help: use $subjet in the script, or leave the binding out"
    );
    assert_eq!(
        run(&db, "count claims", &Params::new()).expect("runs"),
        [r#"[{"count":3}]"#]
    );
}

#[test]
fn a_value_of_the_wrong_type_is_an_error_at_its_parameter() {
    let (_dir, db) = db();
    let cases = [
        (
            r#"{"c": "high"}"#,
            "claims where confidence > $c",
            "\"confidence\" is a number, but parameter $c is \"high\", a string",
        ),
        (
            r#"{"n": -1}"#,
            "claims limit $n",
            "parameter $n is -1, but a whole number after \"limit\" is expected here",
        ),
        (
            r#"{"n": "5"}"#,
            "claims limit $n",
            "parameter $n is the string \"5\", but a whole number after \"limit\" is expected here",
        ),
        (
            r#"{"d": "yesterday"}"#,
            "claims as of $d",
            "parameter $d is the string \"yesterday\", but a date (YYYY-MM-DD) after \"as of\" is expected here",
        ),
        (
            r#"{"id": 3}"#,
            "show $id",
            "parameter $id is 3, but an id is expected here",
        ),
        (r#"{"id": "a b"}"#, "show $id", "parameter $id is not an id"),
        (
            r#"{"v": null}"#,
            "claims where subject = $v",
            "parameter $v is null",
        ),
        (
            r#"{"s": "verifed"}"#,
            "claims where status = $s",
            "\"verifed\" is not a known value of \"status\"",
        ),
    ];
    for (params, script, message) in cases {
        let e = rendered(&db, script, &json(params));
        assert!(e.contains(message), "{script} with {params}:\n{e}");
        let at = script.find('$').expect("a parameter") + 1;
        assert!(
            e.contains(&format!("column {at}")),
            "the caret is at the parameter: {e}"
        );
    }
}

#[test]
fn the_command_line_binds_with_param_name_equals_value() {
    let (dir, db) = db();
    let path = dir.path().join("db");
    drop(db);
    let evident = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(&path)
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = evident(&[
        "query",
        "claims where subject = $who and text ~ $t limit $n select id",
        "--param",
        "who=Model X",
        "--param",
        "t=is=",
        "--param",
        "n=5",
        "--format",
        "jsonl",
    ]);
    assert_eq!((code, out.as_str(), err.as_str()), (Some(0), "", ""));
    let (code, out, _) = evident(&[
        "query",
        "claims where text ~ $t select id",
        "--param",
        "t=cheap",
        "--format",
        "jsonl",
    ]);
    assert_eq!((code, out.as_str()), (Some(0), "{\"id\":\"c2\"}\n"));
    // Unbound and unused: exit 1, nothing on standard output.
    let (code, out, err) = evident(&["query", "claims where subject = $who", "--format", "jsonl"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert!(err.contains("parameter $who is not bound"), "{err}");
    assert!(err.contains("--param who=VALUE"), "{err}");
    let (code, _, err) = evident(&["query", "count claims", "--param", "x=1"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("parameter \"x\" is bound, but the script has no $x"),
        "{err}"
    );
    // A bad --param is a bad command line: exit 2.
    let (code, _, err) = evident(&["query", "count claims", "--param", "novalue"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("NAME=VALUE"), "{err}");
    let (code, _, err) = evident(&[
        "query",
        "claims where id = $a",
        "--param",
        "a=1",
        "--param",
        "a=2",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--param a is given twice"), "{err}");
}

/// A number compared with an id is its digits: `id = 123` is the id "123",
/// from a script or a JSON number bound to it, but `1e3` or `1.0` would be
/// the ids "1000" and "1", not what was written, and are errors.
#[test]
fn a_number_as_an_id_is_its_digits() {
    let (_dir, db) = db();
    db.import_jsonl(r#"{"type":"claim","id":"123","text":"numbered"}"#.as_bytes())
        .expect("imports");
    let written = run(&db, "claims where id = 123 select id", &Params::new()).expect("runs");
    assert_eq!(written[0], r#"[{"id":"123"}]"#);
    let bound = run(
        &db,
        "claims where id = $n select id",
        &json(r#"{"n": 123}"#),
    )
    .expect("runs");
    assert_eq!(bound, written);
    let listed = run(
        &db,
        "claims where id in ($n, \"c1\") select id",
        &json(r#"{"n": 123}"#),
    )
    .expect("runs");
    assert_eq!(listed[0], r#"[{"id":"123"},{"id":"c1"}]"#, "in a list too");
    for script in [
        "claims where id = 1e3 select id",
        "claims where id in (1.0, \"c1\") select id",
        "evidence where claim = 2.0 select id",
    ] {
        let err = rendered(&db, script, &Params::new());
        assert!(err.contains("is an id, but"), "{script}: {err}");
    }
}
