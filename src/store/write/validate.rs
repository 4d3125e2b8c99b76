//! Phase 0: refusing a write whose kinds, references or retractions are
//! wrong, before anything is written.

use super::changeset::{ChangeRef, ChangeSet, IdIndex};
use super::{MAX_REJECTIONS, StoredVersions, on_both_cores};
use crate::model::{BenchResult, Id, Kind, Record};
use crate::store::indexes::RecordView;
use crate::store::{Rejection, Store, StoreError, decode_record};
use std::collections::HashMap;
use std::ops::Range;

/// Results that cite one, with their change's position, for the rule of
/// SPEC 8.1 checked once every change has been.
type Citing = Vec<(u32, Id, BenchResult)>;

impl Store {
    /// Every change of `changes` that a write would refuse, handed to
    /// `refused` in turn until it returns `false`; nothing is written. An
    /// import that will not be written reports all of its refused lines
    /// this way, not only the first the write names.
    pub fn refusals(
        &self,
        changes: &mut ChangeSet,
        refused: &mut dyn FnMut(Rejection) -> bool,
    ) -> Result<(), StoreError> {
        changes.sort();
        for duplicate in changes.duplicates() {
            if !refused(duplicate.clone()) {
                return Ok(());
            }
        }
        let stored = self.stored_versions(changes)?;
        self.validate(changes, &stored, refused)
    }

    /// Checks kinds, references and retractions, handing each refusal to
    /// `refused` until it returns `false` (a write stops at its first 100:
    /// see [`Store::write_refusals`]).
    pub(super) fn validate(
        &self,
        changes: &ChangeSet,
        stored: &StoredVersions,
        refused: &mut dyn FnMut(Rejection) -> bool,
    ) -> Result<(), StoreError> {
        let mut citing = Citing::new();
        let ids = IdIndex::new(changes);
        if self.validate_range(&ids, stored, 0..changes.len(), &mut citing, refused)? {
            self.validate_cites(changes, citing, refused)?;
        }
        Ok(())
    }

    /// What a write refuses, as [`Store::validate`] finds it but for
    /// stopping at the first [`MAX_REJECTIONS`] (in id order, as one pass
    /// would): the changes checked in two halves, one per core, through
    /// one [`IdIndex`] dropped before the write goes on.
    pub(super) fn write_refusals(
        &self,
        changes: &ChangeSet,
        stored: &StoredVersions,
    ) -> Result<Vec<Rejection>, StoreError> {
        let ids = IdIndex::new(changes);
        let check = |range| {
            let (mut refused, mut citing) = (Vec::new(), Citing::new());
            self.validate_range(&ids, stored, range, &mut citing, &mut |r| {
                refused.push(r);
                refused.len() < MAX_REJECTIONS
            })
            .map(|_| (refused, citing))
        };
        let half = changes.len() / 2;
        let (first, second) = on_both_cores(
            "validating",
            || check(0..half),
            || check(half..changes.len()),
        );
        let ((mut refused, mut citing), (more_refused, more_citing)) = (first?, second?);
        refused.extend(more_refused);
        refused.truncate(MAX_REJECTIONS);
        if refused.len() < MAX_REJECTIONS {
            citing.extend(more_citing);
            // SPEC 8.1: `cites` never chains.
            self.validate_cites(changes, citing, &mut |r| {
                refused.push(r);
                refused.len() < MAX_REJECTIONS
            })?;
        }
        Ok(refused)
    }

    /// [`Store::validate`] of the changes in `range`, but for the rule on
    /// `cites`: the results that cite one go to `citing`. Whether
    /// `refused` wants more.
    fn validate_range(
        &self,
        ids: &IdIndex<'_>,
        stored: &StoredVersions,
        range: Range<usize>,
        citing: &mut Citing,
        refused: &mut dyn FnMut(Rejection) -> bool,
    ) -> Result<bool, StoreError> {
        let mut more = true;
        let changes = ids.changes();
        let mut kinds: HashMap<Vec<u8>, Option<Kind>> = HashMap::new();
        // The change the last reference named, found in the change set:
        // records name the same target in runs (every result of an import
        // its one source). Its id is the target, so nothing is copied.
        let mut last_found: Option<ChangeRef<'_>> = None;
        for i in range {
            if !more {
                break;
            }
            let c = changes.at(i);
            // Borrowed, not copied, when UTF-8 (always, from an import).
            let id = String::from_utf8_lossy(c.id);
            let position = Some(c.position);
            let old = stored.of(i);
            match (c.put, old) {
                (Some((k, _)), Some((old, _))) if k != old => {
                    more &= refused(Rejection {
                        position,
                        id: id.to_string(),
                        field: Some("id"),
                        reason: format!(
                            "already used by a {}; ids are unique across all kinds",
                            old.name()
                        ),
                    })
                }
                (None, None) => {
                    more &= refused(Rejection {
                        id: id.to_string(),
                        position,
                        field: None,
                        reason: "no record has this id".into(),
                    })
                }
                _ => {}
            }
            // Derived evidence (`CLAIM~RESULT`: no id given to a write has
            // a `~`) is made by `add_derived_evidence` from the claim and
            // the result it has just read, and names them and the result's
            // source, which exist by construction; `check` recomputes it.
            // Looking each result up again, a random block each, was a
            // fifth of importing 100k benchmark claims over 1.29M results.
            let derived = Id::split_derived(&id).is_some();
            if let (Some((kind, bytes)), false) = (c.put, derived) {
                // A result without setup fields names its source alone,
                // read without decoding the rest (an import's millions of
                // results); any other record is decoded whole.
                let mut decoded = None;
                let references = RecordView::of(kind, bytes, &mut decoded)?.references();
                for (field, target, want) in references {
                    let target_bytes = target.as_bytes();
                    let change = match last_found {
                        Some(last) if last.id == target_bytes => Some(last),
                        _ => ids
                            .find(target_bytes)
                            .inspect(|&found| last_found = Some(found)),
                    };
                    let found = match change {
                        Some(ChangeRef {
                            put: Some((k, _)), ..
                        }) => Some(k),
                        Some(ChangeRef { put: None, .. }) => {
                            more &= refused(Rejection {
                                position,
                                id: id.to_string(),
                                field: Some(field),
                                reason: format!("names {target}, which this write retracts"),
                            });
                            continue;
                        }
                        None => match kinds.get(target_bytes) {
                            Some(k) => *k,
                            None => {
                                // Looked up as the kind the field wants
                                // first: one lookup, nothing decoded.
                                let k = match self.has_of_kind(want, target)? {
                                    true => Some(want),
                                    false => self.get(target)?.map(|r| r.kind()),
                                };
                                kinds.insert(target_bytes.to_vec(), k);
                                k
                            }
                        },
                    };
                    match found {
                        Some(k) if k == want => {}
                        Some(k) => {
                            more &= refused(Rejection {
                                position,
                                id: id.to_string(),
                                field: Some(field),
                                reason: format!("{target} is {}, not {}", k.one(), want.one()),
                            })
                        }
                        None => {
                            more &= refused(Rejection {
                                position,
                                id: id.to_string(),
                                field: Some(field),
                                reason: format!("no {} has the id {target}", want.name()),
                            })
                        }
                    }
                }
                if let Some(Record::Result(r)) = decoded
                    && let Some(cited) = r.cites().cloned()
                {
                    citing.push((c.position, cited, r));
                }
            }
            if let (None, Some((kind, _))) = (c.put, old) {
                let still_referring: Vec<String> = self
                    .referrers(&id, kind)?
                    .into_iter()
                    .filter(|referrer| match ids.find(referrer.as_bytes()) {
                        None => true,
                        Some(ChangeRef { put: None, .. }) => false,
                        Some(ChangeRef {
                            put: Some((k, bytes)),
                            ..
                        }) => decode_record(k, bytes)
                            .map(|r| r.references().iter().any(|(_, t, _)| t.as_str() == id))
                            .unwrap_or(true),
                    })
                    .collect();
                if !still_referring.is_empty() {
                    more &= refused(Rejection {
                        position,
                        id: id.to_string(),
                        field: None,
                        reason: format!(
                            "is still referenced by {} (retract those first)",
                            name_list(&still_referring)
                        ),
                    });
                }
            }
        }
        Ok(more)
    }
}

pub(super) fn name_list(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}
