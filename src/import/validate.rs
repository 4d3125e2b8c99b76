//! The one validator that turns named field values into a [`Record`]: a
//! JSON line of an import, or the members of an `add` statement. What each
//! field accepts, and the reasons it gives, are in the field table
//! ([`crate::model::fields`]); this file walks that table.

use crate::model::fields::{self, Access};
use crate::model::{Kind, Record};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// Parses one JSON line into a record; the errors are (field, reason).
pub fn parse_line(text: &str) -> Result<Record, Vec<(Option<String>, String)>> {
    let field_errors =
        |errs: Vec<(String, String)>| errs.into_iter().map(|(f, r)| (Some(f), r)).collect();
    // Fast path: a well-formed line of known field names.
    if let Ok(mut raw) = serde_json::from_str::<RawLine>(text) {
        let kind = parse_kind(Some(Value::String(std::mem::take(&mut raw.ty))))?;
        return record_from_fields(kind, &mut raw).map_err(field_errors);
    }
    let members = match serde_json::from_str::<Members>(text) {
        Ok(Members(members)) => members,
        Err(_) => {
            let problem = match serde_json::from_str::<Value>(text) {
                Ok(_) => (None, "a line must be a JSON object".to_owned()),
                Err(e) => match out_of_range_member(text, &e) {
                    Some((name, number)) => (Some(name), number),
                    None => (None, format!("invalid JSON: {e}")),
                },
            };
            return Err(vec![problem]);
        }
    };
    // A name given twice is a problem of the line, as in an `add`: a map
    // would keep the last value and say nothing.
    let mut object = Map::new();
    let mut errors: Vec<(Option<String>, String)> = Vec::new();
    for (name, value) in members {
        if object.contains_key(&name) {
            if !errors
                .iter()
                .any(|(n, _)| n.as_deref() == Some(name.as_str()))
            {
                errors.push((Some(name), "is given twice".into()));
            }
        } else {
            object.insert(name, value);
        }
    }
    let record = parse_kind(object.remove("type"))
        .and_then(|kind| record_from_fields(kind, &mut object).map_err(field_errors));
    match (record, errors.is_empty()) {
        (Ok(record), true) => Ok(record),
        (Ok(_), false) => Err(errors),
        (Err(more), _) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// Where serde_json stopped at a number out of range (`1e400`), which
/// member held it and the reason, with the number as written: the name
/// before the last `:` ahead of the stop, so that the problem names its
/// field as every other one does. `None` for any other error.
fn out_of_range_member(text: &str, e: &serde_json::Error) -> Option<(String, String)> {
    if !e.to_string().starts_with("number out of range") {
        return None;
    }
    let before = text.get(..e.column().min(text.len()))?;
    let colon = before.rfind(':')?;
    let name_end = before[..colon].trim_end().strip_suffix('"')?;
    let name = &name_end[name_end.rfind('"')? + 1..];
    let number: String = text[colon + 1..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        .collect();
    let reason = match number.is_empty() {
        true => "holds a number out of range (numbers are finite 64-bit floats)".to_owned(),
        false => format!("{number} is out of range (numbers are finite 64-bit floats)"),
    };
    Some((name.to_owned(), reason))
}

/// A JSON object's members in the line's order, a name given twice kept
/// twice (a map keeps the last).
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Builds and validates a record of `kind` from named values. A missing id
/// is left empty for the caller to assign. Errors are (field, reason).
pub fn record_from_fields(
    kind: Kind,
    members: &mut dyn Fields,
) -> Result<Record, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let table = fields::fields(kind);
    let settable = || {
        table
            .iter()
            .filter(|f| matches!(f.access, Access::Stored { .. }))
            .map(|f| f.name)
    };
    // The typed fast path knows without listing them.
    let names = match members.only_settable(kind) {
        true => Vec::new(),
        false => members.names(),
    };
    for name in names {
        match fields::field(kind, &name) {
            Some(def) if def.derived => errors.push((
                name,
                "is derived by the engine and cannot be set".to_string(),
            )),
            Some(_) => {}
            None => {
                let hint = crate::suggest::did_you_mean(&name, settable())
                    .map(|s| format!(" — did you mean \"{s}\"?"))
                    .unwrap_or_default();
                let reason = format!("unknown field for a {}{hint}", kind.name());
                errors.push((name, reason));
            }
        }
    }
    let mut record = Record::blank(kind);
    fields::fill(
        &mut record,
        &mut |name| members.take(name).filter(|v| !v.is_null()),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(errors)
    }
}

/// Named field values a record is built from: a JSON object, an `add`
/// statement's members, or the typed fast path of [`parse_line`].
pub trait Fields {
    /// The names present, in any order.
    fn names(&self) -> Vec<String>;
    /// Removes and returns a field's value.
    fn take(&mut self, name: &str) -> Option<Value>;
    /// Whether every name present is a field of `kind` that may be set,
    /// where that is known without listing the names; `false` otherwise.
    fn only_settable(&self, _kind: Kind) -> bool {
        false
    }
}

impl Fields for Map<String, Value> {
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.remove(name)
    }
}

/// Room in [`RawLine`] for every stored field name of any kind (a test
/// checks that the tables fit).
const RAW_SLOTS: usize = 40;
// `RawLineVisitor` keeps one bit per slot in a u64.
const _: () = assert!(RAW_SLOTS <= 64);

/// Every stored field name of any kind, once: the tables' names in
/// [`Kind::ALL`] order, each at its first appearance. These are the slots of
/// [`RawLine`], and the order in which it lists the names a line gives.
static RAW_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = Vec::new();
    for kind in Kind::ALL {
        for def in fields::fields(kind) {
            if !def.derived && !names.contains(&def.name) {
                names.push(def.name);
            }
        }
    }
    names
});

/// The slots of [`RAW_NAMES`] by the length of their name: a member name
/// is compared with the few of its length, not with up to 40 (with the
/// change to [`RawLine::take`], the MTEB import's 1.29M lines took 0.15
/// CPU-seconds less: 5.36 → 5.21 s of user time, four alternating runs).
static RAW_SLOTS_BY_LENGTH: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let longest = RAW_NAMES.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut by_length = vec![Vec::new(); longest + 1];
    for (slot, name) in RAW_NAMES.iter().enumerate().take(RAW_SLOTS) {
        // A slot's number is below RAW_SLOTS (≤ 64).
        by_length[name.len()].push(slot as u8);
    }
    by_length
});

/// For each kind (in [`Kind::ALL`] order), one bit per slot of [`RAW_NAMES`]
/// naming a field of that kind that is not derived: a line giving only
/// those lists no names for [`record_from_fields`] to check.
static SETTABLE_SLOTS: LazyLock<[u64; 4]> = LazyLock::new(|| {
    Kind::ALL.map(|kind| {
        RAW_NAMES
            .iter()
            .enumerate()
            .filter(|(_, name)| fields::field(kind, name).is_some_and(|def| !def.derived))
            .fold(0, |mask, (slot, _)| mask | 1 << slot)
    })
});

/// The typed line: a slot for every stored field name any kind has, so
/// serde parses a line without building a map of names. A line with a name
/// no kind has, a name given twice or no `type` fails it, and the slow path
/// then says what is wrong.
struct RawLine {
    ty: String,
    /// The values given (absent and `null` ones left out), with their
    /// position in [`RAW_NAMES`], in the line's order. A line gives a few
    /// of the 40 names: an array of a slot each made a 1.3 KB value that
    /// the parse copied each time it moved it (a tenth of parsing).
    values: Vec<(u8, Value)>,
}

impl Fields for RawLine {
    fn names(&self) -> Vec<String> {
        let mut slots: Vec<u8> = self.values.iter().map(|&(slot, _)| slot).collect();
        slots.sort_unstable();
        slots
            .into_iter()
            .filter_map(|slot| RAW_NAMES.get(usize::from(slot)))
            .map(|name| (*name).to_owned())
            .collect()
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        // Names come from the field tables, as the slots' do: the same
        // string, found by address before it is compared byte by byte.
        // Only the values the line gives are looked at: a result's line
        // gives 7 of the 40 names, and its table asks for each of its fields.
        let slot_name = |slot: u8| RAW_NAMES.get(usize::from(slot)).copied().unwrap_or("");
        let values = &self.values;
        let at = (values
            .iter()
            .position(|&(s, _)| std::ptr::eq(slot_name(s), name)))
        .or_else(|| values.iter().position(|&(s, _)| slot_name(s) == name))?;
        Some(self.values.swap_remove(at).1)
    }

    fn only_settable(&self, kind: Kind) -> bool {
        let given = (self.values.iter()).fold(0u64, |mask, &(slot, _)| mask | 1 << slot);
        let settable = Kind::ALL
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| SETTABLE_SLOTS[i]);
        given & !settable == 0
    }
}

impl<'de> Deserialize<'de> for RawLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // As a struct, not a map: serde_json then also accepts an array (see
        // `visit_seq`), as it did for the derived `Deserialize`.
        deserializer.deserialize_struct("RawLine", &[], RawLineVisitor)
    }
}

struct RawLineVisitor;

impl<'de> Visitor<'de> for RawLineVisitor {
    type Value = RawLine;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object of record fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawLine, A::Error> {
        let mut ty = None;
        let mut values = Vec::with_capacity(12);
        // One bit per slot: a name given twice goes to the slow path.
        let mut seen = 0u64;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Type if ty.is_some() => return Err(de::Error::duplicate_field("type")),
                Key::Type => ty = Some(map.next_value::<String>()?),
                Key::Slot(i) if seen & (1 << i) != 0 => {
                    return Err(de::Error::duplicate_field(RAW_NAMES[i]));
                }
                Key::Slot(i) => {
                    seen |= 1 << i;
                    if let Some(value) = map.next_value::<Option<Value>>()? {
                        // A slot's number is below RAW_SLOTS (≤ 64).
                        values.push((i as u8, value));
                    }
                }
            }
        }
        let ty = ty.ok_or_else(|| de::Error::missing_field("type"))?;
        Ok(RawLine { ty, values })
    }

    /// A JSON array is read by position (`type`, then [`RAW_NAMES`]'s
    /// order), as the derived `Deserialize` this replaces did, so that such a
    /// line keeps its error messages. Not a feature: kept only so that this
    /// restructuring changes no behaviour.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawLine, A::Error> {
        let ty = seq
            .next_element::<String>()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let mut values = Vec::new();
        for slot in 0..RAW_NAMES.len().min(RAW_SLOTS) {
            match seq.next_element::<Option<Value>>()? {
                Some(Some(value)) => values.push((slot as u8, value)),
                Some(None) => {}
                None => break,
            }
        }
        Ok(RawLine { ty, values })
    }
}

/// A member name of a [`RawLine`].
enum Key {
    Type,
    Slot(usize),
}

/// Reads a member name into a [`Key`] without copying it.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        if name == "type" {
            return Ok(Key::Type);
        }
        // Only the names of the same length are compared.
        let slots = RAW_SLOTS_BY_LENGTH
            .get(name.len())
            .map_or(&[][..], |s| &s[..]);
        (slots.iter())
            .map(|&slot| usize::from(slot))
            .find(|&slot| RAW_NAMES[slot] == name)
            .map(Key::Slot)
            .ok_or_else(|| de::Error::unknown_field(name, &[]))
    }
}

fn parse_kind(value: Option<Value>) -> Result<Kind, Vec<(Option<String>, String)>> {
    match value {
        Some(Value::String(t)) => Kind::from_name(&t).ok_or_else(|| {
            let hint = crate::suggest::did_you_mean(&t, Kind::ALL.map(Kind::name))
                .map(|s| format!(" — did you mean \"{s}\"?"))
                .unwrap_or_default();
            vec![(
                Some("type".into()),
                format!("unknown type \"{t}\"{hint} (expected source, claim, evidence or result)"),
            )]
        }),
        // `null` is the same as absent (SPEC 3).
        Some(Value::Null) | None => Err(vec![(
            Some("type".into()),
            "missing (expected source, claim, evidence or result)".into(),
        )]),
        Some(_) => Err(vec![(Some("type".into()), "must be a string".into())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_has_a_slot() {
        assert!(RAW_NAMES.len() <= RAW_SLOTS);
    }

    #[test]
    fn the_fast_path_reads_what_the_slow_path_reads() {
        let line = r#"{"type":"claim","id":"c1","text":"x","tags":["a"],"created":null}"#;
        let mut raw: RawLine = serde_json::from_str(line).expect("a well-formed line");
        assert_eq!(raw.ty, "claim");
        assert_eq!(raw.names(), ["id", "text", "tags"]);
        assert_eq!(raw.take("text"), Some(Value::String("x".into())));
        assert_eq!(raw.take("text"), None);
        for bad in [
            r#"{"type":"claim","text":"x","text":"y"}"#,
            r#"{"type":"claim","colour":"x"}"#,
            r#"{"text":"x"}"#,
        ] {
            assert!(serde_json::from_str::<RawLine>(bad).is_err(), "{bad}");
        }
        // The names a line gives are listed in the order serde's derive did.
        let line = r#"{"type":"claim","unit":"%","url":"u","title":"t"}"#;
        let raw: RawLine = serde_json::from_str(line).expect("known names");
        assert_eq!(raw.names(), ["title", "url", "unit"]);
    }

    /// A line the fast path lets through unlisted gives only names the
    /// slow path accepts: every slot alone, for every kind.
    #[test]
    fn settable_slots_are_what_the_name_check_accepts() {
        for kind in Kind::ALL {
            for (slot, name) in RAW_NAMES.iter().enumerate() {
                let raw = RawLine {
                    ty: kind.name().to_owned(),
                    values: vec![(slot as u8, Value::Bool(true))],
                };
                let accepted = fields::field(kind, name).is_some_and(|def| !def.derived);
                assert_eq!(raw.only_settable(kind), accepted, "{name} of a {kind:?}");
            }
        }
        let line = r#"{"type":"result","id":"r","value":1,"stance":"supports"}"#;
        let raw: RawLine = serde_json::from_str(line).expect("known names");
        assert!(!raw.only_settable(Kind::Result));
    }

    #[test]
    fn an_array_line_is_still_read_by_position() {
        let errors = parse_line(r#"["claim", "c1"]"#).expect_err("no text");
        assert_eq!(errors, [(Some("text".into()), "missing (required)".into())]);
        let errors = parse_line("[1]").expect_err("not a record");
        assert_eq!(errors, [(None, "a line must be a JSON object".into())]);
    }
}
