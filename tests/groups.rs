//! Groups over a whole kind, which read only their fields from each record
//! and share the blocks between two threads, give what the general pass
//! (record by record, in id order) gives, and what is counted here.

use evident::{Database, Value};
use std::collections::BTreeMap;

const MODELS: [&str; 7] = ["alpha", "beta", "gamma", "delta", "épsilon", "zeta", "eta"];
const METRICS: [&str; 3] = ["score", "accuracy", "f1"];

/// Enough results to fill many record blocks, so that both threads read
/// some: every value a multiple of 1/4, so every sum is exact.
fn results() -> Vec<(
    String,
    &'static str,
    &'static str,
    f64,
    Option<&'static str>,
)> {
    (0..4000u32)
        .map(|i| {
            let model = MODELS[(i / 97) as usize % MODELS.len()];
            let metric = METRICS[(i * 7 % 11) as usize % METRICS.len()];
            let value = f64::from(i * 37 % 400) / 4.0;
            let unit = (i % 5 != 0).then_some("%");
            (format!("r{i:05}"), model, metric, value, unit)
        })
        .collect()
}

fn database() -> (tempfile::TempDir, Database) {
    let lines: String = results()
        .iter()
        .map(|(id, model, metric, value, unit)| {
            let unit = unit.map_or(String::new(), |u| format!(",\"unit\":\"{u}\""));
            format!(
                "{{\"type\":\"result\",\"id\":\"{id}\",\"model\":\"{model}\",\"benchmark\":\"bench {}\",\"value\":{value},\"metric\":\"{metric}\"{unit},\"note\":\"{}\"}}\n",
                id.len() % 3,
                "a long note that makes the records fill blocks ".repeat(3)
            )
        })
        .collect();
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = Database::open(tmp.path().join("db")).expect("opens");
    db.import_jsonl(lines.as_bytes()).expect("imports");
    (tmp, db)
}

fn rows(db: &Database, statement: &str) -> Vec<Vec<Value>> {
    db.query(statement).expect(statement).rows
}

#[test]
fn whole_kind_groups_agree_with_the_general_pass() {
    let (_tmp, db) = database();
    // `where value >= 0` holds for every result but sends the statement
    // through the general pass, record by record.
    for (grouped, general) in [
        (
            "count results group by metric",
            "count results where value >= 0 group by metric",
        ),
        (
            "results group by model select model, count, avg(value), min(value), max(value), sum(value), min(metric), max(metric)",
            "results where value >= 0 group by model select model, count, avg(value), min(value), max(value), sum(value), min(metric), max(metric)",
        ),
        (
            "results group by model, metric order by count desc limit 5 select model, metric, count",
            "results where value >= 0 group by model, metric order by count desc limit 5 select model, metric, count",
        ),
        (
            "count results group by unit",
            "count results where value >= 0 group by unit",
        ),
        // Kept counts hold no other aggregate: ordering by one reads rows.
        (
            "count results group by model order by avg(value) desc",
            "count results where value >= 0 group by model order by avg(value) desc",
        ),
        (
            "count results group by model order by max(value), count",
            "count results where value >= 0 group by model order by max(value), count",
        ),
        (
            "results group by value order by value desc limit 3 select value, count",
            "results where value >= 0 group by value order by value desc limit 3 select value, count",
        ),
    ] {
        assert_eq!(rows(&db, grouped), rows(&db, general), "{grouped}");
    }
}

#[test]
fn whole_kind_groups_count_and_sum_what_is_stored() {
    let (_tmp, db) = database();
    let mut expected: BTreeMap<&str, (i64, f64)> = BTreeMap::new();
    for (_, model, _, value, _) in results() {
        let e = expected.entry(model).or_default();
        e.0 += 1;
        e.1 += value;
    }
    let got = rows(
        &db,
        "results group by model select model, count, sum(value)",
    );
    let expected: Vec<Vec<Value>> = expected
        .into_iter()
        .map(|(model, (n, sum))| {
            vec![
                Value::String(model.to_owned()),
                Value::Integer(n),
                Value::Number(sum),
            ]
        })
        .collect();
    assert_eq!(got, expected);
    // Absent units are a group of their own, last.
    let units = rows(&db, "count results group by unit");
    assert_eq!(
        units,
        [
            vec![Value::String("%".into()), Value::Integer(3200)],
            vec![Value::Null, Value::Integer(800)],
        ]
    );
}

/// Claims enough to fill many record blocks, each with dated and undated
/// evidence from sources of different reliability, over two years.
fn claims_database() -> (tempfile::TempDir, Database) {
    let mut lines = String::new();
    for s in 0..5u32 {
        lines += &format!(
            "{{\"type\":\"source\",\"id\":\"s{s}\",\"title\":\"source {s}\",\"reliability\":0.{}}}\n",
            s * 2 + 1
        );
    }
    for c in 0..3000u32 {
        let subject = ["acme", "globex", "initech"][(c % 3) as usize];
        lines += &format!(
            "{{\"type\":\"claim\",\"id\":\"c{c:05}\",\"text\":\"claim {c}: {}\",\"subject\":\"{subject}\",\"created\":\"2020-0{}-01\"}}\n",
            "words that make the records fill blocks ".repeat(4),
            c % 9 + 1
        );
        for e in 0..(c % 4) {
            let day = (c * 7 + e * 131) % 700;
            let date = match (c + e) % 5 {
                0 => String::new(),
                _ => format!(
                    ",\"date\":\"{}-{:02}-{:02}\"",
                    2020 + day / 365,
                    day % 365 / 31 % 12 + 1,
                    day % 28 + 1
                ),
            };
            lines += &format!(
                "{{\"type\":\"evidence\",\"id\":\"e{c:05}-{e}\",\"claim\":\"c{c:05}\",\"source\":\"s{}\",\"stance\":\"{}\",\"strength\":0.{}{date}}}\n",
                (c + e) % 5,
                if (c * 3 + e) % 4 == 0 {
                    "refutes"
                } else {
                    "supports"
                },
                (c + e) % 9 + 1
            );
        }
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = Database::open(tmp.path().join("db")).expect("opens");
    db.import_jsonl(lines.as_bytes()).expect("imports");
    (tmp, db)
}

/// Groups of evaluated rows (an `as of` view, a filter), which two threads
/// fold block by block, each evaluating its own rows, count what the rows
/// of the same statement without `group by` hold.
#[test]
fn groups_of_evaluated_rows_agree_with_the_rows() {
    let (_tmp, db) = claims_database();
    for (view, filter) in [
        ("as of 2020-06-30", ""),
        ("as of 2021-03-15", "where subject = \"acme\""),
        ("", "where confidence > 0.2"),
    ] {
        let mut expected: BTreeMap<(String, String), (i64, f64, f64)> = BTreeMap::new();
        for row in rows(
            &db,
            &format!("claims {view} {filter} select status, subject, confidence"),
        ) {
            let key = (format!("{:?}", row[0]), format!("{:?}", row[1]));
            let confidence = match row[2] {
                Value::Number(x) => x,
                ref other => panic!("confidence {other:?}"),
            };
            let e = expected.entry(key).or_insert((0, f64::MAX, f64::MIN));
            e.0 += 1;
            e.1 = e.1.min(confidence);
            e.2 = e.2.max(confidence);
        }
        assert!(
            expected.len() >= 2,
            "{view} {filter}: too few groups to tell"
        );
        let got: BTreeMap<(String, String), (i64, f64, f64)> = rows(
            &db,
            &format!(
                "claims {view} {filter} group by status, subject select status, subject, count, min(confidence), max(confidence)"
            ),
        )
        .into_iter()
        .map(|r| match r.as_slice() {
            [status, subject, Value::Integer(n), Value::Number(lo), Value::Number(hi)] => {
                ((format!("{status:?}"), format!("{subject:?}")), (*n, *lo, *hi))
            }
            other => panic!("group row {other:?}"),
        })
        .collect();
        assert_eq!(got, expected, "{view} {filter}");
        let total: i64 = got.values().map(|g| g.0).sum();
        let counted = rows(&db, &format!("count claims {view} {filter}"));
        assert_eq!(counted, [vec![Value::Integer(total)]], "{view} {filter}");
    }
}

/// `limit 0` gives no row, whichever way the rows are read.
#[test]
fn limit_0_gives_no_row() {
    let (_tmp, db) = database();
    for statement in [
        "results limit 0",
        "results where model = alpha limit 0",
        "results where value >= 0 limit 0 offset 3",
        "results order by value limit 0",
        "count results limit 0",
        "count results group by model limit 0",
    ] {
        assert!(rows(&db, statement).is_empty(), "{statement}");
    }
    assert_eq!(rows(&db, "results limit 1").len(), 1);
}

/// A row has one member of each name: an item selected twice is an error
/// (rows named a member twice, which JSON readers take as one).
#[test]
fn an_item_selected_twice_is_an_error() {
    let (_dir, db) = claims_database();
    for (statement, item) in [
        ("claims select id, text, id", "id"),
        ("claims group by tags select tags, count, count", "count"),
        (
            "claims group by tags select tags, avg(confidence), avg(confidence)",
            "avg(confidence)",
        ),
    ] {
        let err = db.query(statement).expect_err(statement).to_string();
        assert!(
            err.contains(&format!("\"{item}\" is selected twice")),
            "{statement}: {err}"
        );
    }
    assert_eq!(
        rows(
            &db,
            "claims group by tags select tags, count, avg(confidence)"
        )
        .len(),
        rows(&db, "count claims group by tags").len()
    );
}
