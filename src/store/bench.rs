//! SPEC section 8 over stored data: a benchmark claim's candidate results
//! (read through the `result` benchmark index), the claims a result bears
//! on (the `claim` benchmark index), and the judgement of a claim in a view
//! — the whole database, or what is visible on an `as of` day. The rules
//! themselves are pure, in [`crate::model::bench`]; writes keep the derived
//! evidence current in `write/bench.rs`.

use super::facts::{EvidenceFact, SourceCache};
use super::keys::{self, IndexId};
use super::{Store, StoreError, decode_record};
use crate::model::bench::{self, BenchKey, Judgement};
use crate::model::{BenchResult, Claim, Date, Id, Kind, Record};

impl Store {
    /// The results whose model, benchmark and metric equal `key` ignoring
    /// ASCII case, in id order.
    pub fn bench_candidates(&self, key: &BenchKey) -> Result<Vec<BenchResult>, StoreError> {
        let prefix = keys::bench_key_value(key);
        let mut cursor = self.index_cursor(IndexId::ResultBench, &prefix)?;
        let mut out = Vec::new();
        while cursor.advance()? && cursor.key().starts_with(&prefix) {
            if let Record::Result(r) = decode_record(Kind::Result, cursor.value())?
                && BenchKey::of_result(&r) == *key
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The ids of the benchmark claims whose key is `key`, in id order.
    pub fn bench_claims(&self, key: &BenchKey) -> Result<Vec<String>, StoreError> {
        let prefix = keys::bench_key_value(key);
        let mut cursor = self.index_cursor(IndexId::ClaimBench, &prefix)?;
        let mut out = Vec::new();
        while cursor.advance()? && cursor.key().starts_with(&prefix) {
            out.push(String::from_utf8_lossy(keys::id_after(&prefix, cursor.key())).into_owned());
        }
        Ok(out)
    }

    /// Of `keys` (ascending), those some stored benchmark claim has: one
    /// cursor walks the claim index forward, so a write of a million
    /// results costs no lookup per result where claims are dense, and one
    /// per key where they are sparse.
    pub fn keys_with_bench_claims<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k BenchKey>,
    ) -> Result<Vec<&'k BenchKey>, StoreError> {
        let mut cursor: Option<super::blocks::Cursor> = None;
        let mut out = Vec::new();
        for key in keys {
            let prefix = keys::bench_key_value(key);
            let cursor = match &mut cursor {
                Some(c) => c,
                None => cursor.insert(self.index_cursor(IndexId::ClaimBench, &prefix)?),
            };
            if cursor.seek(&prefix)? && cursor.key().starts_with(&prefix) {
                out.push(key);
            }
        }
        Ok(out)
    }

    /// Whether any benchmark claim is stored: a write of results into a
    /// database without one has no derived evidence to update.
    pub fn has_bench_claims(&self) -> Result<bool, StoreError> {
        let mut cursor = self.index_cursor(IndexId::ClaimBench, &[])?;
        cursor.advance()
    }

    /// A claim's recorded (not derived) evidence that names a result, as
    /// (evidence, result), with the evidence's effective date.
    pub fn recorded_result_evidence(
        &self,
        claim: &str,
    ) -> Result<Vec<(Id, Id, Option<Date>)>, StoreError> {
        let mut sources = SourceCache::default();
        let mut out = Vec::new();
        for fact in self.evidence_facts(claim)? {
            if Id::split_derived(&fact.evidence).is_some() {
                continue;
            }
            if let Some(Record::Evidence(e)) = self.get_of_kind(Kind::Evidence, &fact.evidence)?
                && let Some(result) = e.result
            {
                let published = sources
                    .get(self, e.source.as_str())?
                    .and_then(|s| s.published);
                out.push((e.id, result, e.date.or(published)));
            }
        }
        Ok(out)
    }

    /// Judges every candidate of a benchmark claim in a view (SPEC 8.2):
    /// the results and recorded evidence visible on `as_of`, or all of them.
    pub fn judge_claim(
        &self,
        claim: &Claim,
        as_of: Option<Date>,
    ) -> Result<Vec<Judgement>, StoreError> {
        let Some(key) = BenchKey::of_claim(claim) else {
            return Ok(Vec::new());
        };
        let candidates: Vec<BenchResult> = self
            .bench_candidates(&key)?
            .into_iter()
            .filter(|r| bench::result_visible(r, as_of))
            .collect();
        let recorded: Vec<(Id, Id)> = self
            .recorded_result_evidence(claim.id.as_str())?
            .into_iter()
            .filter(|(_, _, date)| match as_of {
                None => true,
                Some(day) => date.is_some_and(|d| d <= day),
            })
            .map(|(e, r, _)| (e, r))
            .collect();
        Ok(bench::judge(claim, &candidates, &recorded))
    }

    /// A claim's evidence as a view sees it: in the whole database, the
    /// stored facts; on an `as of` day, a benchmark claim's derived evidence
    /// recomputed from what is visible that day (SPEC section 2), merged in
    /// id order with the recorded evidence.
    pub fn view_facts(
        &self,
        claim: &Claim,
        stored: Vec<EvidenceFact>,
        as_of: Option<Date>,
    ) -> Result<Vec<EvidenceFact>, StoreError> {
        if as_of.is_none() || claim.bench.is_none() {
            return Ok(stored);
        }
        let mut facts: Vec<EvidenceFact> = stored
            .into_iter()
            .filter(|f| Id::split_derived(&f.evidence).is_none())
            .collect();
        facts.extend(self.derived_evidence_of(claim, as_of)?.iter().map(fact_of));
        facts.sort_by(|a, b| a.evidence.as_bytes().cmp(b.evidence.as_bytes()));
        Ok(facts)
    }

    /// The derived evidence of the `as of day` view (SPEC 2, 8.3): every
    /// benchmark claim visible that day judged on the results visible
    /// that day, in id order. Today's stored derived evidence may lack some
    /// of it (a result superseded since by a later one of its source).
    /// `claims`, when given (distinct), are the only claims whose evidence
    /// is wanted (a statement naming ids or claims): the others are not
    /// judged.
    pub fn view_derived_evidence(
        &self,
        day: Date,
        claims: Option<&[&str]>,
    ) -> Result<Vec<crate::model::Evidence>, StoreError> {
        let mut out = Vec::new();
        let mut judge = |claim: Claim| -> Result<(), StoreError> {
            if claim.bench.is_some() && claim.created.is_none_or(|created| created <= day) {
                out.extend(self.derived_evidence_of(&claim, Some(day))?);
            }
            Ok(())
        };
        match claims {
            Some(ids) => {
                for id in ids {
                    if let Some(Record::Claim(claim)) = self.get_of_kind(Kind::Claim, id)? {
                        judge(claim)?;
                    }
                }
            }
            None => {
                let mut scan = self.scan(Kind::Claim)?;
                while let Some((record, _)) = scan.next_record()? {
                    self.check_interrupt()?;
                    if let Record::Claim(claim) = record {
                        judge(claim)?;
                    }
                }
            }
        }
        out.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(out)
    }

    /// The derived evidence a claim has in the view of `as_of` (today's
    /// for `None`), in id order.
    pub fn derived_evidence_of(
        &self,
        claim: &Claim,
        as_of: Option<Date>,
    ) -> Result<Vec<crate::model::Evidence>, StoreError> {
        Ok(self
            .judge_claim(claim, as_of)?
            .iter()
            .filter_map(|j| bench::derived_evidence(&claim.id, j))
            .collect())
    }

    /// What `check` finds wrong with a claim's stored derived evidence: one
    /// sentence per difference from a recomputation.
    pub fn derived_evidence_problems(&self, claim: &Claim) -> Result<Vec<String>, StoreError> {
        let expected = self.derived_evidence_of(claim, None)?;
        let mut problems = Vec::new();
        let stored: Vec<String> = self
            .evidence_facts(claim.id.as_str())?
            .into_iter()
            .map(|f| f.evidence)
            .filter(|id| Id::split_derived(id).is_some())
            .collect();
        for e in &expected {
            match self.get_of_kind(Kind::Evidence, e.id.as_str())? {
                Some(Record::Evidence(found)) if found == *e => {}
                Some(Record::Evidence(found)) => problems.push(format!(
                    "derived evidence {}: stored {found:?} differs from a recomputation {e:?}",
                    e.id
                )),
                _ => problems.push(format!(
                    "claim {}: derived evidence {} is missing",
                    claim.id, e.id
                )),
            }
        }
        for id in stored {
            if !expected.iter().any(|e| e.id.as_str() == id) {
                problems.push(format!(
                    "claim {}: derived evidence {id} is stored but no result gives it",
                    claim.id
                ));
            }
        }
        Ok(problems)
    }
}

/// A derived evidence record as the derivation of SPEC 2 reads it.
pub(crate) fn fact_of(e: &crate::model::Evidence) -> EvidenceFact {
    EvidenceFact {
        evidence: e.id.to_string(),
        source: e.source.to_string(),
        supports: e.stance == crate::model::Stance::Supports,
        strength: e.strength,
        date: e.date,
    }
}

/// What [`MapWalker::each_with_prefix`] and
/// [`visit_index_entries`](super::indexes::visit_index_entries) call with
/// each entry (key, value).
pub(crate) type EntryVisitor<'v> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'v;

/// Reads one map at keys visited in ascending order with one cursor (as
/// [`FactWalker`](super::FactWalker) does for evidence): a write affecting
/// 100,000 benchmark claims then walks each map once instead of looking
/// every claim up from the top of the tree.
pub(crate) struct MapWalker<'s> {
    store: &'s Store,
    map: super::keys::MapId,
    cursor: Option<super::blocks::Cursor>,
    last: Option<Vec<u8>>,
}

impl<'s> MapWalker<'s> {
    /// A walker over `map`.
    pub(crate) fn new(store: &'s Store, map: super::keys::MapId) -> MapWalker<'s> {
        MapWalker {
            store,
            map,
            cursor: None,
            last: None,
        }
    }

    /// Visits every entry whose key starts with `prefix`, in key order.
    pub(crate) fn each_with_prefix(
        &mut self,
        prefix: &[u8],
        visit: &mut EntryVisitor<'_>,
    ) -> Result<(), StoreError> {
        // Going back, or reading the same prefix again, needs a fresh
        // cursor: this one has moved past it.
        if self.last.as_deref().is_some_and(|last| prefix <= last) {
            self.cursor = None;
        }
        self.last = Some(prefix.to_vec());
        let cursor = match &mut self.cursor {
            Some(c) => c,
            None => self.cursor.insert(super::blocks::Cursor::new(
                self.store.tree(),
                self.map,
                prefix,
            )?),
        };
        let mut more = cursor.seek(prefix)?;
        while more && cursor.key().starts_with(prefix) {
            visit(cursor.key(), cursor.value())?;
            more = cursor.advance()?;
        }
        Ok(())
    }

    /// The value stored under exactly `key`.
    pub(crate) fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if self.last.as_deref().is_some_and(|last| key <= last) {
            self.cursor = None;
        }
        self.last = Some(key.to_vec());
        let cursor = match &mut self.cursor {
            Some(c) => c,
            None => self.cursor.insert(super::blocks::Cursor::new(
                self.store.tree(),
                self.map,
                key,
            )?),
        };
        Ok((cursor.seek(key)? && cursor.key() == key).then(|| cursor.value().to_vec()))
    }
}
