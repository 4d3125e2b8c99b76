//! Queries on the real LIAR2 data set, each checked against an answer
//! computed here independently from the raw JSON Lines (not by copying the
//! program's output).

use evident::{Database, Value};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

mod common;

const LIAR2: &str = "../shared/data/liar2.jsonl";

struct Fixture {
    db: Database,
    records: Vec<Json>,
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let text = std::fs::read_to_string(Path::new(LIAR2)).ok()?;
            // Held in a static, never dropped: its directory goes at exit.
            let db = Database::open(common::static_temp_dir().join("db")).expect("opens");
            db.import_jsonl(text.as_bytes()).expect("imports");
            let records = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("json"))
                .collect();
            Some(Fixture { db, records })
        })
        .as_ref()
}

fn of_type<'a>(f: &'a Fixture, t: &str) -> impl Iterator<Item = &'a Json> {
    f.records.iter().filter(move |r| r["type"] == t)
}

fn count(db: &Database, q: &str) -> i64 {
    match db.query(q).expect("runs").rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Integer(n)] => *n,
            other => panic!("not a count: {other:?}"),
        },
        other => panic!("not one row: {other:?}"),
    }
}

fn ids(db: &Database, q: &str) -> Vec<String> {
    let out = db.query(q).expect("runs");
    out.rows
        .iter()
        .map(|r| match &r[0] {
            Value::String(s) => s.clone(),
            other => panic!("not an id: {other:?}"),
        })
        .collect()
}

/// SPEC section 2 over the raw records, for every claim: (status, confidence).
fn naive_derived(f: &Fixture) -> HashMap<String, (&'static str, f64)> {
    let sources: HashMap<&str, &Json> = of_type(f, "source")
        .map(|s| (s["id"].as_str().expect("id"), s))
        .collect();
    let mut evidence: Vec<&Json> = of_type(f, "evidence").collect();
    evidence.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let mut by_claim: HashMap<&str, Vec<&Json>> = HashMap::new();
    for e in evidence {
        by_claim
            .entry(e["claim"].as_str().expect("claim"))
            .or_default()
            .push(e);
    }
    of_type(f, "claim")
        .map(|c| {
            let id = c["id"].as_str().expect("id");
            let subject = c["subject"].as_str().map(str::to_lowercase);
            let (mut s, mut r, mut is, mut ir) = (1.0f64, 1.0f64, 1.0f64, 1.0f64);
            for e in by_claim.get(id).into_iter().flatten() {
                let src = sources[e["source"].as_str().expect("source")];
                let w = e["strength"].as_f64().unwrap_or(1.0)
                    * src["reliability"].as_f64().unwrap_or(0.5);
                let affiliated = subject.as_ref().is_some_and(|sub| {
                    src["affiliations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|a| a.as_str().map(str::to_lowercase).as_ref() == Some(sub))
                });
                if e["stance"] == "supports" {
                    s *= 1.0 - w;
                    if !affiliated {
                        is *= 1.0 - w;
                    }
                } else {
                    r *= 1.0 - w;
                    if !affiliated {
                        ir *= 1.0 - w;
                    }
                }
            }
            let (support, refute, i_s, i_r) = (1.0 - s, 1.0 - r, 1.0 - is, 1.0 - ir);
            let status = if i_s >= 0.7 && i_r < 0.3 {
                "verified"
            } else if i_r >= 0.7 && i_s < 0.3 {
                "refuted"
            } else if i_s >= 0.3 && i_r >= 0.3 {
                "contested"
            } else {
                "unresolved"
            };
            (id.to_owned(), (status, (1.0 + support - refute) / 2.0))
        })
        .collect()
}

#[test]
fn equality_on_an_indexed_field() {
    let Some(f) = fixture() else { return };
    let expected = of_type(f, "claim")
        .filter(|c| c["subject"] == "donald trump")
        .count() as i64;
    assert_eq!(
        count(&f.db, r#"count claims where subject = "donald trump""#),
        expected
    );
    let mut want: Vec<String> = of_type(f, "claim")
        .filter(|c| c["subject"] == "viral image")
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    want.sort();
    assert_eq!(
        ids(&f.db, r#"claims where subject = "viral image" select id"#),
        want
    );
}

#[test]
fn list_membership_and_substring() {
    let Some(f) = fixture() else { return };
    let has_tag = |c: &Json, t: &str| {
        c["tags"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == t))
    };
    let expected = of_type(f, "claim").filter(|c| has_tag(c, "taxes")).count() as i64;
    assert_eq!(
        count(&f.db, r#"count claims where tags has "taxes""#),
        expected
    );
    let expected = of_type(f, "claim")
        .filter(|c| {
            c["text"]
                .as_str()
                .is_some_and(|t| t.to_lowercase().contains("tax"))
        })
        .count() as i64;
    assert_eq!(count(&f.db, r#"count claims where text ~ "TAX""#), expected);
    let expected = of_type(f, "claim").filter(|c| !has_tag(c, "taxes")).count() as i64;
    assert_eq!(
        count(&f.db, r#"count claims where not tags has "taxes""#),
        expected
    );
}

#[test]
fn dates_ranges_and_absent_values() {
    let Some(f) = fixture() else { return };
    let created = |c: &Json| c["created"].as_str().map(str::to_owned);
    let expected = of_type(f, "claim")
        .filter(|c| created(c).is_some_and(|d| d.as_str() >= "2020-01-01"))
        .count() as i64;
    assert_eq!(
        count(&f.db, "count claims where created >= 2020-01-01"),
        expected
    );
    let expected = of_type(f, "claim")
        .filter(|c| created(c).is_some_and(|d| d.as_str() < "2010-06-01"))
        .count() as i64;
    assert_eq!(
        count(&f.db, "count claims where created < 2010-06-01"),
        expected
    );
    let expected = of_type(f, "claim")
        .filter(|c| c["created"].is_null())
        .count() as i64;
    assert_eq!(count(&f.db, "count claims where created is null"), expected);
}

#[test]
fn dotted_paths_and_quantifiers() {
    let Some(f) = fixture() else { return };
    let sources: HashMap<&str, &Json> = of_type(f, "source")
        .map(|s| (s["id"].as_str().expect("id"), s))
        .collect();
    let expected = of_type(f, "evidence")
        .filter(|e| {
            sources[e["source"].as_str().expect("source")]["kind"] == "factcheck"
                && e["stance"] == "refutes"
        })
        .count() as i64;
    assert_eq!(
        count(
            &f.db,
            "count evidence where source.kind = factcheck and stance = refutes"
        ),
        expected
    );
    let refuted_by_factcheck: std::collections::HashSet<&str> = of_type(f, "evidence")
        .filter(|e| {
            sources[e["source"].as_str().expect("source")]["kind"] == "factcheck"
                && e["stance"] == "refutes"
        })
        .map(|e| e["claim"].as_str().expect("claim"))
        .collect();
    assert_eq!(
        count(
            &f.db,
            "count claims where any evidence (source.kind = factcheck and stance = refutes)"
        ),
        refuted_by_factcheck.len() as i64
    );
    let with_evidence: std::collections::HashSet<&str> = of_type(f, "evidence")
        .map(|e| e["claim"].as_str().expect("claim"))
        .collect();
    let n_claims = of_type(f, "claim").count();
    assert_eq!(
        count(&f.db, "count claims where no evidence"),
        (n_claims - with_evidence.len()) as i64
    );
}

#[test]
fn derived_fields_order_and_group() {
    let Some(f) = fixture() else { return };
    let derived = naive_derived(f);
    let mut by_status: HashMap<&str, i64> = HashMap::new();
    for (status, _) in derived.values() {
        *by_status.entry(status).or_default() += 1;
    }
    let out = f.db.query("count claims group by status").expect("runs");
    let got: HashMap<String, i64> = out
        .rows
        .iter()
        .map(|r| match (&r[0], &r[1]) {
            (Value::String(s), Value::Integer(n)) => (s.clone(), *n),
            other => panic!("{other:?}"),
        })
        .collect();
    for (status, n) in &by_status {
        assert_eq!(got.get(*status), Some(n), "{status}");
    }
    // Top 10 by confidence, ties by id.
    let mut all: Vec<(&String, f64)> = derived.iter().map(|(id, (_, c))| (id, *c)).collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let want: Vec<String> = all.iter().take(10).map(|(id, _)| (*id).clone()).collect();
    assert_eq!(
        ids(&f.db, "claims order by confidence desc limit 10 select id"),
        want
    );
    let mut asc = all.clone();
    asc.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
    let want_asc: Vec<String> = asc.iter().take(3).map(|(id, _)| (*id).clone()).collect();
    assert_eq!(
        ids(&f.db, "claims order by confidence limit 3 select id"),
        want_asc
    );
    let expected = derived.values().filter(|(s, _)| *s == "unresolved").count() as i64;
    assert_eq!(
        count(&f.db, "count claims where status = unresolved"),
        expected
    );
}

#[test]
fn as_of_view_recomputes_from_visible_evidence() {
    let Some(f) = fixture() else { return };
    // Evidence dated on or before the day only (every LIAR2 evidence is dated).
    let day = "2012-12-31";
    let visible = of_type(f, "evidence")
        .filter(|e| e["date"].as_str().is_some_and(|d| d <= day))
        .count() as i64;
    assert_eq!(
        count(&f.db, &format!("count evidence as of {day}")),
        visible
    );
    let claims_with_visible: std::collections::HashSet<&str> = of_type(f, "evidence")
        .filter(|e| e["date"].as_str().is_some_and(|d| d <= day))
        .map(|e| e["claim"].as_str().expect("claim"))
        .collect();
    // A claim created after the day is not in the view (SPEC 2).
    let visible_claims = of_type(f, "claim")
        .filter(|c| c["created"].as_str().is_none_or(|d| d <= day))
        .filter(|c| !claims_with_visible.contains(c["id"].as_str().expect("id")))
        .count();
    assert_eq!(
        count(
            &f.db,
            &format!("count claims as of {day} where evidence_count = 0")
        ),
        visible_claims as i64
    );
}
