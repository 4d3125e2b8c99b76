//! Hints for a newcomer: the notes a query that found nothing gets when a
//! value differs from stored ones only in case.

use evident::Database;

fn database(lines: &str) -> (tempfile::TempDir, Database) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = Database::open(tmp.path().join("db")).expect("opens");
    db.import_jsonl(lines.as_bytes()).expect("imports");
    (tmp, db)
}

fn claim(id: &str, subject: &str) -> String {
    let subject = serde_json::to_string(subject).expect("a string");
    format!("{{\"type\":\"claim\",\"id\":\"{id}\",\"text\":\"t\",\"subject\":{subject}}}\n")
}

fn notes(db: &Database, query: &str) -> Vec<String> {
    db.query(query).expect("runs").notes
}

#[test]
fn names_every_stored_spelling_up_to_three() {
    let data: String = ["ab c", "AB C", "Ab C", "aB c", "abc"]
        .iter()
        .enumerate()
        .map(|(n, s)| claim(&format!("c{n}"), s))
        .collect();
    let (_tmp, db) = database(&data);
    assert_eq!(
        notes(&db, "claims where subject = \"ab C\""),
        [
            "no claim has subject \"ab C\"; did you mean \"AB C\" or \"Ab C\" or \"aB c\"? (values are case-sensitive)"
        ]
    );
    // Stored as written: the other condition is what excluded the rows.
    assert!(notes(&db, "claims where subject = \"ab c\" and confidence > 2").is_empty());
    // Not under a top-level `and`: no note.
    assert!(notes(&db, "claims where not subject != \"AB c\"").is_empty());
    assert!(notes(&db, "claims where subject = \"AB c\" or subject = \"x\"").is_empty());
    // Only `=`, `in` and `has`.
    assert!(notes(&db, "claims where subject >= \"zz\"").is_empty());
    assert_eq!(
        notes(&db, "claims where subject in (\"ABC\", \"x\")").len(),
        1
    );
    assert!(
        notes(
            &db,
            "claims where subject not in (\"ab c\", \"AB C\", \"Ab C\", \"aB c\", \"abc\")"
        )
        .is_empty()
    );
}

#[test]
fn a_count_of_nothing_gets_the_same_note() {
    let data = claim("c1", "donald trump") + &claim("c2", "joe biden");
    let (_tmp, db) = database(&data);
    let expected = [
        "no claim has subject \"Donald Trump\"; did you mean \"donald trump\"? (values are case-sensitive)",
    ];
    let count = db
        .query("count claims where subject = \"Donald Trump\"")
        .expect("runs");
    assert_eq!(count.rows, [[evident::Value::Integer(0)]]);
    assert_eq!(count.notes, expected);
    // Groups of nothing, on a count or a query.
    assert_eq!(
        notes(
            &db,
            "count claims where subject = \"Donald Trump\" group by status"
        ),
        expected
    );
    assert_eq!(
        notes(
            &db,
            "claims where subject = \"Donald Trump\" group by status select status, count"
        ),
        expected
    );
    // Something counted, or spelt as stored: no note.
    assert!(notes(&db, "count claims where subject = \"donald trump\"").is_empty());
    assert!(notes(&db, "count claims where subject = \"Joe Biden\" or id = c1").is_empty());
}

#[test]
fn odd_values_give_no_note_and_no_panic() {
    let long = "x".repeat(300);
    let data = claim("c1", "a\u{0}b") + &claim("c2", "é Z") + &claim("c3", &long);
    let (_tmp, db) = database(&data);
    assert_eq!(
        notes(&db, "claims where subject = \"A\\u{0}B\""),
        ["no claim has subject \"A\\0B\"; did you mean \"a\\0b\"? (values are case-sensitive)"]
    );
    assert_eq!(notes(&db, "claims where subject = \"é z\"").len(), 1);
    // Only ASCII letters fold: É is not é.
    assert!(notes(&db, "claims where subject = \"É Z\"").is_empty());
    // Too long to look for.
    let upper = long.to_uppercase();
    assert!(notes(&db, &format!("claims where subject = \"{upper}\"")).is_empty());
    assert!(notes(&db, "claims where subject = \"12\"").is_empty());
    assert!(notes(&db, "claims where subject = \"\"").is_empty());
}

#[test]
fn a_value_with_many_spellings_stays_bounded() {
    // Every spelling of "aaaaaaaaaa" but that one stored: the walk gives
    // up rather than try 2^10 prefixes, and says nothing.
    let data: String = (0u32..1024)
        .map(|bits| {
            let s: String = (0..10)
                .map(|i| if bits >> i & 1 == 1 { 'A' } else { 'a' })
                .collect();
            claim(&format!("c{bits}"), &s)
        })
        .filter(|line| !line.contains("\"aaaaaaaaaa\""))
        .collect();
    let (_tmp, db) = database(&data);
    assert!(notes(&db, "claims where subject = \"aaaaaaaaaa\"").is_empty());
}
