//! Records read a few fields at a time, borrowed from the block they are
//! in: a scan that groups or aggregates needs one or two fields of each
//! record, and decoding whole records into owned strings to read them was
//! most of its time.
//!
//! Measured (`count results group by metric` over the 1.29M MTEB results,
//! cbb62b0): decoding whole records, ~30% of the pass went to allocating
//! and freeing, 12% to copying and 6% to checking the UTF-8 of fields
//! nobody read; projected, the statement takes 810 → 217 ms of CPU time
//! (`results group by model select model, avg(value)`: 833 → 242 ms), and
//! what is left is mostly unpacking blocks (LZ4, a fifth) and sled.
//!
//! The codec writes a record's fields one after another in the order of
//! its struct in `model/mod.rs` (strings length-prefixed, an optional value
//! behind a one-byte tag), so a field is found by stepping over the ones
//! before it without decoding them. [`layout`] is that order, by field
//! name; the tests below check it against the field table for every
//! stored field of SPEC section 1, so a field added to a struct without a
//! row here fails them. The fields of section 8 follow a record's struct
//! only when present (see `decode_record`): they are not projected, and a
//! statement naming one takes the general path.

use super::blocks::{Cursor, Deal};
use super::codec;
use super::keys::{IndexId, MapId};
use super::{Store, StoreError};
use crate::model::fields::FieldValue;
use crate::model::{Date, Kind, Stance};
use bincode::de::read::{Reader, SliceReader};
use bincode::de::{BorrowDecode, Decode, Decoder as _, DecoderImpl};

/// How the codec writes one stored field.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// A string (or an id).
    Text,
    /// An optional string (or id).
    OptText,
    /// A float.
    Number,
    /// An optional calendar day.
    OptDate,
    /// A stance, stored as its code.
    Stance,
    /// A list of strings.
    Texts,
}

/// The stored fields of `kind` in the order the codec writes them (the
/// struct's order), with how each is written.
fn layout(kind: Kind) -> &'static [(&'static str, Shape)] {
    use Shape::*;
    match kind {
        Kind::Source => &[
            ("id", Text),
            ("title", Text),
            ("kind", Text),
            ("publisher", OptText),
            ("url", OptText),
            ("published", OptDate),
            ("affiliations", Texts),
            ("reliability", Number),
        ],
        Kind::Claim => &[
            ("id", Text),
            ("text", Text),
            ("subject", OptText),
            ("tags", Texts),
            ("created", OptDate),
        ],
        Kind::Evidence => &[
            ("id", Text),
            ("claim", Text),
            ("source", Text),
            ("stance", Stance),
            ("strength", Number),
            ("date", OptDate),
            ("note", OptText),
            ("result", OptText),
        ],
        Kind::Result => &[
            ("id", Text),
            ("model", Text),
            ("benchmark", Text),
            ("value", Number),
            ("metric", Text),
            ("unit", OptText),
            ("date", OptDate),
            ("source", OptText),
            ("note", OptText),
        ],
    }
}

/// Most fields a projection reads (a stack buffer holds them per record).
const MOST_FIELDS: usize = 8;

/// Which stored fields of a kind to read, in the order asked for.
#[derive(Clone, Debug)]
pub struct Projection {
    kind: Kind,
    /// For each field of the layout up to the last one wanted, where its
    /// value goes (none: stepped over; a field asked for twice, two places).
    slots: Vec<Vec<usize>>,
    width: usize,
}

impl Projection {
    /// Reads `names` (stored fields of `kind`, none a list); `None` if one
    /// is not such a field, or there are too many to read this way.
    pub fn new(kind: Kind, names: &[&str]) -> Option<Projection> {
        let layout = layout(kind);
        if names.is_empty() || names.len() > MOST_FIELDS {
            return None;
        }
        let mut positions = Vec::with_capacity(names.len());
        for name in names {
            let at = layout.iter().position(|(field, _)| field == name)?;
            if layout[at].1 == Shape::Texts {
                return None;
            }
            positions.push(at);
        }
        let last = positions.iter().copied().max()?;
        let slots = (0..=last)
            .map(|at| (0..names.len()).filter(|&i| positions[i] == at).collect())
            .collect();
        Some(Projection {
            kind,
            slots,
            width: names.len(),
        })
    }

    /// The kind of record it reads.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The fields wanted, read from one stored record into `out`.
    pub(super) fn read<'b>(
        &self,
        bytes: &'b [u8],
        out: &mut [FieldValue<'b>],
    ) -> Result<(), StoreError> {
        let mut de = DecoderImpl::new(SliceReader::new(bytes), codec::config(), ());
        for ((_, shape), places) in layout(self.kind).iter().zip(&self.slots) {
            let value = read_field(&mut de, *shape, !places.is_empty())
                .map_err(|e| StoreError::damaged(format!("a stored record: {e}")))?;
            for at in places {
                if let Some(place) = out.get_mut(*at) {
                    *place = value;
                }
            }
        }
        Ok(())
    }
}

type Decoder<'b> = DecoderImpl<SliceReader<'b>, codec::Config, ()>;

/// Reads one field of `shape` (or steps over it: `Absent`, nothing checked).
// Inlined into each caller, each a hot loop over millions of records: with
// two callers the compiler kept it apart, and `count results group by
// metric` over the MTEB results took a fifth longer.
#[inline(always)]
fn read_field<'b>(
    de: &mut Decoder<'b>,
    shape: Shape,
    wanted: bool,
) -> Result<FieldValue<'b>, bincode::error::DecodeError> {
    let text = |de: &mut Decoder<'b>| -> Result<FieldValue<'b>, bincode::error::DecodeError> {
        if wanted {
            <&str>::borrow_decode(de).map(FieldValue::Text)
        } else {
            <&[u8]>::borrow_decode(de).map(|_| FieldValue::Absent)
        }
    };
    let present = |de: &mut Decoder<'b>| -> Result<bool, bincode::error::DecodeError> {
        match u8::decode(de)? {
            0 => Ok(false),
            1 => Ok(true),
            found => Err(bincode::error::DecodeError::UnexpectedVariant {
                type_name: "Option",
                allowed: &bincode::error::AllowedEnumVariants::Range { min: 0, max: 1 },
                found: u32::from(found),
            }),
        }
    };
    Ok(match shape {
        Shape::Text => text(de)?,
        Shape::OptText if present(de)? => text(de)?,
        Shape::OptDate if present(de)? => {
            FieldValue::Date(bincode::serde::Compat::<Date>::decode(de)?.0)
        }
        Shape::OptText | Shape::OptDate => FieldValue::Absent,
        Shape::Number => FieldValue::Number(f64::decode(de)?),
        Shape::Stance => FieldValue::Text(bincode::serde::Compat::<Stance>::decode(de)?.0.name()),
        Shape::Texts => {
            let len = u64::decode(de)?;
            for _ in 0..len {
                <&[u8]>::borrow_decode(de)?;
            }
            FieldValue::Absent
        }
    })
}

/// The fields a stored result without setup fields (none follow its
/// struct) is indexed and validated by, borrowed from its bytes. Such a
/// result names no other (`cites` is a setup field): an import's millions
/// of results are validated and indexed without decoding one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PlainResult<'b> {
    pub(crate) id: &'b str,
    pub(crate) model: &'b str,
    pub(crate) benchmark: &'b str,
    pub(crate) metric: &'b str,
    pub(crate) date: Option<Date>,
    pub(crate) source: Option<&'b str>,
}

/// Where [`PlainResult::read`] puts each field of a result's layout.
#[derive(Clone, Copy)]
enum ResultSlot {
    Id,
    Model,
    Benchmark,
    Metric,
    Date,
    Source,
    /// Stepped over.
    Skip,
}

/// A result's layout with each field's slot, matched by name once: per
/// record, comparing names cost as much as decoding the record whole.
static RESULT_SLOTS: std::sync::LazyLock<Vec<(Shape, ResultSlot)>> =
    std::sync::LazyLock::new(|| {
        let slot = |name: &str| match name {
            "id" => ResultSlot::Id,
            "model" => ResultSlot::Model,
            "benchmark" => ResultSlot::Benchmark,
            "metric" => ResultSlot::Metric,
            "date" => ResultSlot::Date,
            "source" => ResultSlot::Source,
            _ => ResultSlot::Skip,
        };
        (layout(Kind::Result).iter())
            .map(|&(name, shape)| (shape, slot(name)))
            .collect()
    });

impl<'b> PlainResult<'b> {
    /// The fields of a stored result; `None` if it has setup fields, and
    /// must be decoded whole.
    pub(crate) fn read(bytes: &'b [u8]) -> Result<Option<PlainResult<'b>>, StoreError> {
        let mut de = DecoderImpl::new(SliceReader::new(bytes), codec::config(), ());
        let mut result = PlainResult {
            id: "",
            model: "",
            benchmark: "",
            metric: "",
            date: None,
            source: None,
        };
        for &(shape, slot) in RESULT_SLOTS.iter() {
            let wanted = !matches!(slot, ResultSlot::Skip);
            let value = read_field(&mut de, shape, wanted)
                .map_err(|e| StoreError::damaged(format!("a stored result: {e}")))?;
            match (slot, value) {
                (ResultSlot::Id, FieldValue::Text(text)) => result.id = text,
                (ResultSlot::Model, FieldValue::Text(text)) => result.model = text,
                (ResultSlot::Benchmark, FieldValue::Text(text)) => result.benchmark = text,
                (ResultSlot::Metric, FieldValue::Text(text)) => result.metric = text,
                (ResultSlot::Source, FieldValue::Text(text)) => result.source = Some(text),
                (ResultSlot::Date, FieldValue::Date(day)) => result.date = Some(day),
                _ => {}
            }
        }
        let ended = de.reader().peek_read(1).is_none();
        Ok(ended.then_some(result))
    }

    /// The value `index` (one on results) holds for this result, as the
    /// field table reads it from the decoded result (`Absent` where it has
    /// none); `None` for an index on no field held here.
    pub(crate) fn indexed(&self, index: IndexId) -> Option<FieldValue<'b>> {
        let text = |t: Option<&'b str>| t.map_or(FieldValue::Absent, FieldValue::Text);
        Some(match index {
            IndexId::ResultModel => FieldValue::Text(self.model),
            IndexId::ResultBenchmark => FieldValue::Text(self.benchmark),
            IndexId::ResultSource => text(self.source),
            IndexId::ResultDate => self.date.map_or(FieldValue::Absent, FieldValue::Date),
            // On a setup field: a plain result has none.
            IndexId::ResultCites => FieldValue::Absent,
            _ => return None,
        })
    }
}

impl Store {
    /// Calls `visit` with the fields `projection` picks of each record of
    /// its kind in the blocks `deal` gives this reader, in id order, each
    /// borrowed from its block.
    pub fn scan_projected(
        &self,
        projection: &Projection,
        deal: Deal,
        visit: &mut dyn FnMut(&[FieldValue<'_>]),
    ) -> Result<(), StoreError> {
        let mut records = Cursor::dealt(self.tree(), MapId::Records(projection.kind), deal);
        while records.advance()? {
            self.check_interrupt()?;
            // Borrowed from this block: made afresh for each record.
            let mut values = [FieldValue::Absent; MOST_FIELDS];
            let values = &mut values[..projection.width];
            projection.read(records.value(), values)?;
            visit(values);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;
    use crate::model::fields::{self, FieldType};

    /// A record of `kind` with every stored field set, each to a value no
    /// other field has (a number a fraction, or a whole one where the
    /// field takes only those).
    fn full_record(kind: Kind) -> Record {
        let first = fill_every_field(kind, &[]);
        let whole: Vec<String> = first.1.into_iter().map(|(field, _)| field).collect();
        let (record, errors) = fill_every_field(kind, &whole);
        assert!(errors.is_empty(), "{kind:?}: {errors:?}");
        record
    }

    fn fill_every_field(kind: Kind, whole: &[String]) -> (Record, Vec<(String, String)>) {
        let mut record = Record::blank(kind);
        let mut errors = Vec::new();
        let defs = fields::fields(kind);
        fields::fill(
            &mut record,
            &mut |name| {
                let at = defs.iter().position(|d| d.name == name)?;
                let def = &defs[at];
                let n = at + 1;
                Some(match def.ty {
                    _ if !def.known_values.is_empty() => {
                        // The last known value: not an enum's first code.
                        serde_json::json!(def.known_values[def.known_values.len() - 1])
                    }
                    FieldType::String => serde_json::json!(format!("text of {name}")),
                    FieldType::Id | FieldType::Ref(_) => serde_json::json!(format!("id{n}")),
                    FieldType::Number if whole.iter().any(|w| w == name) => {
                        serde_json::json!(n)
                    }
                    FieldType::Number => serde_json::json!(n as f64 / 100.0),
                    FieldType::Date => serde_json::json!(format!("2024-01-{n:02}")),
                    FieldType::List => serde_json::json!([format!("{name} one"), "two"]),
                    FieldType::Bool => serde_json::json!(true),
                })
            },
            &mut errors,
        );
        (record, errors)
    }

    #[test]
    fn the_layout_names_every_stored_field_in_the_codecs_order() {
        for kind in Kind::ALL {
            let record = full_record(kind);
            let stored: Vec<_> = fields::fields(kind)
                .iter()
                .filter_map(|d| Some((d.name, d.stored_get()?)))
                .collect();
            // The fields of SPEC section 1 (the default row) are the
            // record's struct, which the layout follows; those of section 8
            // follow it only when present, and are not projected.
            let laid: Vec<&str> = layout(kind).iter().map(|(n, _)| *n).collect();
            for name in &laid {
                assert!(
                    stored.iter().any(|(n, _)| n == name),
                    "{kind:?}.{name} is in the layout, not the field table"
                );
            }
            for def in fields::default_row(kind).filter(|d| !d.derived) {
                assert!(
                    laid.contains(&def.name),
                    "{kind:?}.{} is not in the layout",
                    def.name
                );
            }
            let stored: Vec<_> = stored
                .into_iter()
                .filter(|(n, _)| laid.contains(n))
                .collect();
            let bytes = super::super::encode_record(&record).expect("encodes");
            for (name, get) in &stored {
                let is_list = matches!(get(&record), FieldValue::List(_));
                let Some(projection) = Projection::new(kind, &[name]) else {
                    assert!(is_list, "{kind:?}.{name} cannot be projected");
                    continue;
                };
                let mut out = [FieldValue::Absent];
                projection.read(&bytes, &mut out).expect("reads");
                assert_eq!(out[0], get(&record), "{kind:?}.{name}");
            }
            // Every field at once, in the table's order, reads to the end.
            let all: Vec<&str> = stored
                .iter()
                .filter(|(_, get)| !matches!(get(&record), FieldValue::List(_)))
                .map(|(n, _)| *n)
                .collect();
            if let Some(projection) = Projection::new(kind, &all) {
                let mut out = vec![FieldValue::Absent; all.len()];
                projection.read(&bytes, &mut out).expect("reads");
                for ((name, value), (_, get)) in all.iter().zip(&out).zip(
                    stored
                        .iter()
                        .filter(|(_, get)| !matches!(get(&record), FieldValue::List(_))),
                ) {
                    assert_eq!(*value, get(&record), "{kind:?}.{name}");
                }
            }
        }
    }

    #[test]
    fn only_stored_fields_that_are_not_lists_project() {
        assert!(Projection::new(Kind::Claim, &["tags"]).is_none());
        assert!(Projection::new(Kind::Claim, &["status"]).is_none());
        assert!(Projection::new(Kind::Result, &["nonsense"]).is_none());
        // Section 8's fields follow the record only when present.
        assert!(Projection::new(Kind::Result, &["shots"]).is_none());
        assert!(Projection::new(Kind::Result, &[]).is_none());
        assert!(Projection::new(Kind::Claim, &["subject", "created"]).is_some());
    }

    #[test]
    fn a_field_asked_for_twice_fills_both_places() {
        let record = full_record(Kind::Result);
        let bytes = super::super::encode_record(&record).expect("encodes");
        let projection =
            Projection::new(Kind::Result, &["value", "model", "value"]).expect("projects");
        let mut out = [FieldValue::Absent; 3];
        projection.read(&bytes, &mut out).expect("reads");
        assert_eq!(out[0], out[2]);
        assert!(matches!(out[0], FieldValue::Number(_)));
        assert_eq!(out[1], FieldValue::Text("text of model"));
    }

    #[test]
    fn a_damaged_record_is_an_error() {
        let projection = Projection::new(Kind::Result, &["metric"]).expect("projects");
        let mut out = [FieldValue::Absent];
        assert!(projection.read(&[0xFF, 0xFF], &mut out).is_err());
        assert!(projection.read(&[], &mut out).is_err());
    }

    /// Results, each as a JSON line, with whether it has setup fields.
    const RESULTS: [(&str, bool); 6] = [
        (
            r#"{"type":"result","id":"r1","model":"m","benchmark":"b","value":0.5}"#,
            true,
        ),
        (
            r#"{"type":"result","id":"r2","model":"m","benchmark":"b","value":1,"source":"s1"}"#,
            true,
        ),
        (
            r#"{"type":"result","id":"r3","model":"M/x","benchmark":"B (test)","value":2,"source":"s1","note":"n","unit":"%","date":"2026-01-02","metric":"acc"}"#,
            true,
        ),
        (
            r#"{"type":"result","id":"r4","model":"m","benchmark":"b","value":3,"note":"a note"}"#,
            true,
        ),
        (
            r#"{"type":"result","id":"r5","model":"m","benchmark":"b","value":4,"source":"s1","split":"test"}"#,
            false,
        ),
        (
            r#"{"type":"result","id":"r6","model":"m","benchmark":"b","value":5,"cites":"r1"}"#,
            false,
        ),
    ];

    /// A plain result's fields are the whole decode's, whichever optional
    /// fields it has; one with setup fields is left to the whole decode; a
    /// record cut short is an error.
    #[test]
    fn a_plain_result_reads_as_the_whole_decode() {
        for (line, plain) in RESULTS {
            let record = crate::import::parse_line(line).expect("parses");
            let bytes = crate::store::encode_record(&record).expect("encodes");
            let Ok(Record::Result(whole)) = crate::store::decode_record(Kind::Result, &bytes)
            else {
                panic!("not a result: {line}");
            };
            let read = PlainResult::read(&bytes).expect("reads");
            if !plain {
                assert_eq!(read, None, "{line}");
                continue;
            }
            let expected = PlainResult {
                id: whole.id.as_str(),
                model: &whole.model,
                benchmark: &whole.benchmark,
                metric: &whole.metric,
                date: whole.date,
                source: whole.source.as_ref().map(crate::model::Id::as_str),
            };
            assert_eq!(read, Some(expected), "{line}");
            assert!(
                PlainResult::read(&bytes[..bytes.len() - 1]).is_err(),
                "{line}"
            );
        }
    }

    /// Every index gives a plain result the entries its whole decode gives
    /// (and none asks for a field it does not hold).
    #[test]
    fn a_plain_result_is_indexed_as_the_whole_decode() {
        use crate::store::indexes::{RecordView, visit_index_entries};
        for (line, plain) in RESULTS {
            let record = crate::import::parse_line(line).expect("parses");
            let bytes = crate::store::encode_record(&record).expect("encodes");
            let Some(result) = PlainResult::read(&bytes).expect("reads") else {
                assert!(!plain, "{line}");
                continue;
            };
            for index in IndexId::ALL {
                let entries = |view: RecordView<'_>| {
                    let mut entries = Vec::new();
                    let mut key = vec![7];
                    visit_index_entries(index, view, &bytes, &mut key, &mut |key, payload| {
                        entries.push((key.to_vec(), payload.to_vec()));
                        Ok(())
                    })
                    .expect("visits");
                    entries
                };
                assert_eq!(
                    entries(RecordView::PlainResult(result)),
                    entries(RecordView::Decoded(&record)),
                    "{index:?}: {line}"
                );
            }
        }
    }
}
