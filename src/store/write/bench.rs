//! SPEC section 8 in a write: refusing a `cites` that chains, and adding to
//! the change set the derived evidence of every benchmark claim the write
//! affects, so that the log, records, indexes and derived values take it
//! like any other change (all or nothing, rolled back after a crash).
//!
//! The affected claims are found through the benchmark indexes, never by a
//! rescan: a result's key names the claims it bears on, a claim's key its
//! candidates. Their derived evidence is recomputed on the state the write
//! leaves (what is stored, overlaid with the change set) and only what
//! differs from what is stored is added.

use super::changeset::{Change, ChangeRef, ChangeSet};
use crate::model::bench::{self, BenchKey};
use crate::model::{BenchResult, Claim, Evidence, Id, Kind, Record};
use crate::store::{Rejection, Store, StoreError, decode_record};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How many derived evidence records a write adds, replaces and retracts:
/// taken off the write's summary, which counts what the caller wrote.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DerivedChanges {
    pub(super) added: u64,
    pub(super) replaced: u64,
    pub(super) retracted: u64,
}

/// The record a change set puts under an id: `Some(None)` for a retraction,
/// `None` when the set does not touch it.
fn changed(changes: &ChangeSet, id: &str) -> Result<Option<Option<Record>>, StoreError> {
    match changes.find(id.as_bytes()) {
        None => Ok(None),
        Some(ChangeRef { put: None, .. }) => Ok(Some(None)),
        Some(ChangeRef {
            put: Some((kind, bytes)),
            ..
        }) => Ok(Some(Some(decode_record(kind, bytes)?))),
    }
}

impl Store {
    /// The record under `id` once the write is applied.
    fn after_write(&self, changes: &ChangeSet, id: &str) -> Result<Option<Record>, StoreError> {
        match changed(changes, id)? {
            Some(record) => Ok(record),
            None => self.get(id),
        }
    }

    /// Refuses a result that cites a result which itself cites one, cites
    /// itself, or cites one while another result cites it (SPEC 8.1),
    /// judged on the state the write leaves.
    pub(super) fn validate_cites(
        &self,
        changes: &ChangeSet,
        refused: &mut dyn FnMut(Rejection) -> bool,
    ) -> Result<(), StoreError> {
        // Results of this write that cite one, by the id they cite.
        let mut citing_in_write: HashMap<String, Vec<String>> = HashMap::new();
        for i in 0..changes.len() {
            let c = changes.at(i);
            if let Some((Kind::Result, bytes)) = c.put
                && let Record::Result(r) = decode_record(Kind::Result, bytes)?
                && let Some(cited) = r.cites()
            {
                citing_in_write
                    .entry(cited.to_string())
                    .or_default()
                    .push(r.id.to_string());
            }
        }
        for i in 0..changes.len() {
            let c = changes.at(i);
            let Some((Kind::Result, bytes)) = c.put else {
                continue;
            };
            let Record::Result(r) = decode_record(Kind::Result, bytes)? else {
                continue;
            };
            let Some(cited) = r.cites() else {
                continue;
            };
            let reject = |reason: String| Rejection {
                id: r.id.to_string(),
                position: Some(c.position),
                field: Some("cites"),
                reason,
            };
            if *cited == r.id {
                if !refused(reject("a result cannot cite itself".into())) {
                    return Ok(());
                }
                continue;
            }
            if let Some(Record::Result(target)) = self.after_write(changes, cited.as_str())?
                && let Some(further) = target.cites()
            {
                let reason = format!(
                    "{cited} itself re-reports {further}; cite the original result {further}"
                );
                if !refused(reject(reason)) {
                    return Ok(());
                }
                continue;
            }
            // Results that would cite this one once the write is applied.
            let mut citing: BTreeSet<String> = citing_in_write
                .get(r.id.as_str())
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect();
            for referrer in self.referrers(r.id.as_str(), Kind::Result)? {
                if let Some(Record::Result(other)) = self.after_write(changes, &referrer)?
                    && other.cites() == Some(&r.id)
                {
                    citing.insert(referrer);
                }
            }
            if !citing.is_empty() {
                let names: Vec<String> = citing.into_iter().collect();
                let reason = format!(
                    "{} cite{} {}, so it cannot cite another result itself",
                    super::validate::name_list(&names),
                    if names.len() == 1 { "s" } else { "" },
                    r.id
                );
                if !refused(reject(reason)) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The refusal of a write whose sort found ids given twice (sorting
    /// again finds no more): those, with every other problem of the write.
    pub(super) fn refused_with(
        &self,
        changes: &ChangeSet,
        mut problems: Vec<Rejection>,
    ) -> Result<StoreError, StoreError> {
        let stored = self.stored_versions(changes)?;
        self.validate(changes, &stored, &mut |r| {
            problems.push(r);
            problems.len() < super::MAX_REJECTIONS
        })?;
        problems.sort_by_key(|p| p.position);
        Ok(StoreError::Rejected(problems))
    }

    /// Adds to `changes` the derived evidence changes of every benchmark
    /// claim the write affects (SPEC 8.3). `changes` must be sorted.
    pub(super) fn add_derived_evidence(
        &self,
        changes: &mut ChangeSet,
    ) -> Result<DerivedChanges, StoreError> {
        let has_bench_claims = self.has_bench_claims()?;
        // Results of the write by key, with the keys whose candidates change.
        let mut written_results: HashMap<BenchKey, Vec<BenchResult>> = HashMap::new();
        let mut changed_results: BTreeSet<String> = BTreeSet::new();
        let mut keys: BTreeSet<BenchKey> = BTreeSet::new();
        let mut claims: BTreeSet<String> = BTreeSet::new();
        // Benchmark claims of this write by key.
        let mut written_claims: HashMap<BenchKey, Vec<String>> = HashMap::new();
        let mut any_bench_claim = has_bench_claims;
        for i in 0..changes.len() {
            let c = changes.at(i);
            let id = String::from_utf8_lossy(c.id).into_owned();
            let new = c.put.map(|(k, b)| decode_record(k, b)).transpose()?;
            match &new {
                Some(Record::Result(r)) => {
                    let key = BenchKey::of_result(r);
                    written_results
                        .entry(key.clone())
                        .or_default()
                        .push(r.clone());
                    changed_results.insert(id.clone());
                    keys.insert(key);
                }
                Some(Record::Claim(claim)) => {
                    claims.insert(id.clone());
                    if let Some(key) = BenchKey::of_claim(claim) {
                        any_bench_claim = true;
                        written_claims.entry(key).or_default().push(id.clone());
                    }
                }
                Some(Record::Evidence(e)) if e.result.is_some() => {
                    claims.insert(e.claim.to_string());
                }
                _ => {}
            }
            // What the write replaces or retracts matters only where benchmark
            // claims are stored (an import into an empty database skips it).
            if !has_bench_claims || matches!(new, Some(Record::Source(_))) {
                continue;
            }
            match self.get(&id)? {
                Some(Record::Result(r)) => {
                    changed_results.insert(id.clone());
                    keys.insert(BenchKey::of_result(&r));
                }
                Some(Record::Claim(_)) => _ = claims.insert(id.clone()),
                Some(Record::Evidence(e)) if e.result.is_some() => {
                    claims.insert(e.claim.to_string());
                }
                _ => {}
            }
        }
        if !any_bench_claim {
            return Ok(DerivedChanges::default());
        }
        for key in &keys {
            claims.extend(self.bench_claims(key)?);
            claims.extend(written_claims.get(key).into_iter().flatten().cloned());
        }
        let mut out = DerivedChanges::default();
        let mut new_changes: BTreeMap<String, Change> = BTreeMap::new();
        for claim_id in &claims {
            let claim = match self.after_write(changes, claim_id)? {
                Some(Record::Claim(c)) => Some(c),
                _ => None,
            };
            let expected = match &claim {
                Some(c) => {
                    self.expected_after_write(changes, c, &written_results, &changed_results)?
                }
                None => Vec::new(),
            };
            let stored: Vec<String> = self
                .evidence_facts(claim_id)?
                .into_iter()
                .map(|f| f.evidence)
                .filter(|id| Id::split_derived(id).is_some())
                .collect();
            let expected_ids: BTreeSet<String> =
                expected.iter().map(|e| e.id.to_string()).collect();
            for e in expected {
                let now = self.get_of_kind(Kind::Evidence, e.id.as_str())?;
                match now {
                    Some(Record::Evidence(old)) if old == e => continue,
                    Some(_) => out.replaced += 1,
                    None => out.added += 1,
                }
                new_changes.insert(e.id.to_string(), Change::Put(Record::Evidence(e)));
            }
            for id in stored {
                if !expected_ids.contains(&id) {
                    out.retracted += 1;
                    let id = Id::stored(&id)
                        .map_err(|_| StoreError::damaged(format!("a derived evidence id {id}")))?;
                    new_changes.insert(id.to_string(), Change::Retract(id));
                }
            }
        }
        for (_, change) in new_changes {
            changes.push(change)?;
        }
        Ok(out)
    }

    /// The derived evidence `claim` has once the write is applied.
    fn expected_after_write(
        &self,
        changes: &ChangeSet,
        claim: &Claim,
        written_results: &HashMap<BenchKey, Vec<BenchResult>>,
        changed_results: &BTreeSet<String>,
    ) -> Result<Vec<Evidence>, StoreError> {
        let Some(key) = BenchKey::of_claim(claim) else {
            return Ok(Vec::new());
        };
        let mut candidates: Vec<BenchResult> = self
            .bench_candidates(&key)?
            .into_iter()
            .filter(|r| !changed_results.contains(r.id.as_str()))
            .collect();
        candidates.extend(written_results.get(&key).into_iter().flatten().cloned());
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        // The claim's recorded evidence naming a result, after the write.
        let mut recorded: BTreeMap<String, Option<Id>> = BTreeMap::new();
        for fact in self.evidence_facts(claim.id.as_str())? {
            if Id::split_derived(&fact.evidence).is_some() {
                continue;
            }
            if let Some(Record::Evidence(e)) = self.get_of_kind(Kind::Evidence, &fact.evidence)? {
                recorded.insert(fact.evidence, e.result);
            }
        }
        for i in 0..changes.len() {
            let c = changes.at(i);
            let id = String::from_utf8_lossy(c.id).into_owned();
            if Id::split_derived(&id).is_some() {
                continue;
            }
            match c.put {
                Some((Kind::Evidence, bytes)) => {
                    if let Record::Evidence(e) = decode_record(Kind::Evidence, bytes)? {
                        if e.claim == claim.id {
                            recorded.insert(id, e.result);
                        } else {
                            recorded.remove(&id);
                        }
                    }
                }
                None => _ = recorded.remove(&id),
                Some(_) => {}
            }
        }
        let recorded: Vec<(Id, Id)> = recorded
            .into_iter()
            .filter_map(|(e, r)| Some((Id::stored(&e).ok()?, r?)))
            .collect();
        Ok(bench::judge(claim, &candidates, &recorded)
            .iter()
            .filter_map(|j| bench::derived_evidence(&claim.id, j))
            .collect())
    }
}

/// A refused write names only the changes its caller gave: derived evidence
/// is refused only as a consequence of one of them.
pub(super) fn only_given_refusals(error: StoreError) -> StoreError {
    match error {
        StoreError::Rejected(mut problems) => {
            let before = problems.len();
            problems.retain(|p| Id::split_derived(&p.id).is_none());
            if problems.is_empty() && before > 0 {
                return StoreError::damaged("derived evidence refused on its own".into());
            }
            StoreError::Rejected(problems)
        }
        other => other,
    }
}

/// Takes the derived evidence off a write's summary, which counts what the
/// caller wrote.
pub(super) fn uncount_derived(summary: &mut super::WriteSummary, derived: DerivedChanges) {
    let evidence = Kind::Evidence as usize;
    summary.added[evidence] = summary.added[evidence].saturating_sub(derived.added);
    summary.replaced[evidence] = summary.replaced[evidence].saturating_sub(derived.replaced);
    summary.retracted[evidence] = summary.retracted[evidence].saturating_sub(derived.retracted);
}

impl Store {
    /// Upgrades a store of format [`codec::UPGRADABLE_FROM`] in place: its
    /// records read as they are, so only the indexes SPEC section 8 added
    /// are built — every result re-applied through the write machinery in
    /// rollback mode (which rewrites each record's index entries, counts no
    /// change and logs nothing), in bounded batches; then the version.
    pub(crate) fn upgrade(&self) -> Result<(), StoreError> {
        const BATCH: usize = 100_000;
        let _writer = self.writer.lock().map_err(|_| StoreError::Poisoned)?;
        let mut scan = self.scan(Kind::Result)?;
        loop {
            let mut changes = ChangeSet::new();
            while changes.len() < BATCH {
                match scan.next_record()? {
                    Some((record, _)) => changes.push(Change::Put(record))?,
                    None => break,
                }
            }
            if changes.len() == 0 {
                break;
            }
            let seq = self.next_seq()?;
            self.apply("upgrade", &mut changes, super::Mode::Rollback, Some(seq))?;
        }
        self.tree().insert(
            crate::store::keys::META_VERSION,
            &crate::store::codec::FORMAT_VERSION.to_be_bytes(),
        )?;
        self.flush()
    }
}
