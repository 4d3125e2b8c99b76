//! `evident import --from csv --type KIND FILE…`: a spreadsheet's CSV of
//! records of one kind. The header names the fields (SPEC 1 and 8.1, as JSON
//! Lines names them); each row is one record. A blank cell is an absent field.
//! Numbers are read exactly as written (the shortest decimal that round-trips
//! gives back the same 64-bit float, so `68.9` is stored as JSON's `68.9`); a
//! list cell (`affiliations`, `tags`) is `a; b; c`, or a JSON array when it
//! starts with `[`; everything else is text, validated as a JSON Lines member
//! is. The header is checked first: an unknown or derived column, or a
//! missing required one, is one error on line 1, not one per row.

use super::converted::{Converted, Origin, csv_rows, csv_with_header, read_text};
use crate::model::fields::{self, Access, FieldType, Presence};
use crate::model::{Kind, admiralty_reliability};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Reads CSV files of records of `kind`.
pub(crate) fn read(
    paths: &[PathBuf],
    kind: Kind,
    progress: &mut dyn FnMut(u64),
) -> Result<Converted, crate::Error> {
    let mut out = Converted::default();
    let mut bytes = 0u64;
    for path in paths {
        let text = read_text(path)?;
        bytes += text.len() as u64;
        let file = out.add_file(path.display().to_string());
        read_text_of(&text, file, kind, &mut out);
        progress(bytes);
    }
    Ok(out)
}

/// Reads one file's text into `out`.
pub(crate) fn read_text_of(text: &str, file: u32, kind: Kind, out: &mut Converted) {
    let Some((mut reader, columns)) = csv_with_header(text, file, out) else {
        return;
    };
    let header_at = Origin { file, line: 1 };
    if !header_is_valid(&columns, kind, header_at, out) {
        return;
    }
    let mut rows = Vec::new();
    rows.extend(csv_rows(&mut reader, text, file, Some(columns.len()), out));
    for (at, row) in rows {
        let mut members = Map::new();
        let mut ok = true;
        for (column, text) in columns.iter().zip(row.iter()) {
            match cell_value(kind, column, text) {
                Ok(Some(value)) => {
                    members.insert(column.clone(), value);
                }
                Ok(None) => {}
                Err(reason) => {
                    out.problem(at, Some(column), reason);
                    ok = false;
                }
            }
        }
        if ok {
            out.record(at, kind, members);
        }
    }
}

/// Checks the header: every column a stored field of `kind` named once,
/// every required field present.
fn header_is_valid(columns: &[String], kind: Kind, at: Origin, out: &mut Converted) -> bool {
    let before = out.problems.len();
    let settable = || {
        fields::fields(kind)
            .iter()
            .filter(|f| matches!(f.access, Access::Stored { .. }))
            .map(|f| f.name)
    };
    for column in columns {
        match fields::field(kind, column) {
            Some(def) if def.derived => out.problem(
                at,
                Some(column),
                "is derived by the engine and cannot be imported",
            ),
            Some(_) => {}
            None => {
                let hint = crate::suggest::did_you_mean(column, settable())
                    .map(|s| format!(" — did you mean \"{s}\"?"))
                    .unwrap_or_default();
                out.problem(
                    at,
                    Some(column),
                    format!("unknown field for a {}{hint}", kind.name()),
                );
            }
        }
    }
    for def in fields::fields(kind) {
        // `id` may be left out: ids are then assigned (SPEC 1).
        if let Presence::Required(_) = def.presence
            && def.name != "id"
            && !columns.iter().any(|c| c == def.name)
        {
            out.problem(
                at,
                Some(def.name),
                format!("missing column: every {} has a {}", kind.name(), def.name),
            );
        }
    }
    out.problems.len() == before
}

/// A cell as the JSON member of its field; `None` for a blank cell.
fn cell_value(kind: Kind, column: &str, text: &str) -> Result<Option<Value>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let ty = fields::field(kind, column).map_or(FieldType::String, |f| f.ty);
    Ok(Some(match ty {
        FieldType::Number => match trimmed.parse::<f64>() {
            Ok(n) if n.is_finite() => super::converted::number(n),
            Ok(_) => return Err(format!("\"{trimmed}\" is not a finite number")),
            // An Admiralty letter is a reliability: the field says so.
            Err(_) if admiralty_reliability(trimmed).is_some() => Value::String(trimmed.into()),
            Err(_) => return Err(format!("\"{trimmed}\" is not a number")),
        },
        FieldType::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("\"{trimmed}\" is not true or false")),
        },
        FieldType::List if trimmed.starts_with('[') => {
            serde_json::from_str::<Value>(trimmed).map_err(|e| format!("not a JSON list: {e}"))?
        }
        FieldType::List => Value::Array(
            trimmed
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        // Text keeps its spaces: a note or a quote is as the cell has it.
        FieldType::String => Value::String(text.to_owned()),
        FieldType::Date | FieldType::Ref(_) | FieldType::Id => Value::String(trimmed.to_owned()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(kind: Kind, text: &str) -> Converted {
        let mut out = Converted::default();
        let file = out.add_file("t.csv".into());
        read_text_of(text, file, kind, &mut out);
        out
    }

    /// The problems in line order, as an import reports them.
    fn problems(c: &Converted) -> Vec<String> {
        let mut problems = c.problems.clone();
        problems.sort_by_key(|(at, _, _)| at.line);
        problems
            .iter()
            .map(|(at, col, r)| format!("{}: {}: {r}", at.line, col.as_deref().unwrap_or("-")))
            .collect()
    }

    #[test]
    fn rows_become_members_with_exact_numbers() {
        let c = convert(
            Kind::Result,
            "\u{feff}id,model,benchmark,value,unit,note\nr1,m,MMLU,68.9,%,\" two  spaces \"\nr2,m,MMLU,0.1,,\n",
        );
        assert!(c.problems.is_empty(), "{:?}", problems(&c));
        let (at, kind, first) = &c.records[0];
        assert_eq!((at.line, *kind), (2, Kind::Result));
        assert_eq!(first["value"], serde_json::json!(68.9));
        assert_eq!(first["value"].as_f64(), Some(68.9));
        assert_eq!(first["note"], " two  spaces ");
        assert!(!c.records[1].2.contains_key("unit"));
    }

    #[test]
    fn lists_and_letters() {
        let c = convert(
            Kind::Source,
            "id,title,affiliations,reliability\ns1,T,SpaceX; xAI,B\ns2,T,\"[\"\"a;b\"\"]\",0.3\n",
        );
        assert!(c.problems.is_empty(), "{:?}", problems(&c));
        assert_eq!(
            c.records[0].2["affiliations"],
            serde_json::json!(["SpaceX", "xAI"])
        );
        assert_eq!(c.records[0].2["reliability"], "B");
        assert_eq!(c.records[1].2["affiliations"], serde_json::json!(["a;b"]));
    }

    #[test]
    fn bad_headers_and_cells_are_located() {
        let c = convert(Kind::Result, "id,model,benchmark,valeu\nr1,m,b,1\n");
        assert_eq!(
            problems(&c),
            vec![
                "1: valeu: unknown field for a result — did you mean \"value\"?",
                "1: value: missing column: every result has a value",
            ]
        );
        assert!(c.records.is_empty());
        let c = convert(
            Kind::Result,
            "id,model,benchmark,value\nr1,m,b,abc\nr2,m,b\n\n",
        );
        assert_eq!(
            problems(&c),
            vec![
                "2: value: \"abc\" is not a number",
                "3: -: has 3 cells; the header has 4 columns"
            ]
        );
        let c = convert(Kind::Claim, "id,text,status\n");
        assert_eq!(
            problems(&c),
            vec!["1: status: is derived by the engine and cannot be imported"]
        );
    }
}
