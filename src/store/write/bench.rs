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

use super::apply::{SORT_BUDGET, in_order, sort_key};
use super::changeset::{ChangeRef, ChangeSet};
use super::on_both_cores;
use super::sorter::Sorter;
use crate::model::bench::{self, BenchKey};
use crate::model::{BenchResult, Claim, Evidence, Id, Kind, Record};
use crate::store::bench::MapWalker;
use crate::store::keys::{IndexId, MapId};
use crate::store::{EvidenceFact, FactWalker, Rejection, Store, StoreError, decode_record};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The recorded evidence a write changes: every id it puts or retracts, and
/// what it puts, by claim. Collected in one pass, so that each affected
/// claim looks up its own instead of reading the whole change set.
#[derive(Default)]
struct EvidenceChanges {
    touched: std::collections::HashSet<String>,
    puts: HashMap<String, Vec<(Id, Option<Id>)>>,
}

/// A claim a write's derived evidence may change, as the write leaves it
/// (`None`: retracted, or not a claim), with its stored evidence.
struct ClaimAfterWrite {
    /// Its id and benchmark fields, all the judging reads: the text,
    /// subject and tags are dropped once decoded, so that an import's
    /// claims are not all held (in memory touched for the first time)
    /// until the judging ends.
    claim: Option<Claim>,
    /// Its key, if it is a benchmark claim, with the key's prefix in the
    /// result index (what the claims are sorted by).
    key: Option<(BenchKey, Vec<u8>)>,
    facts: Vec<EvidenceFact>,
}

impl ClaimAfterWrite {
    /// The key's prefix in the result index (empty without a key).
    fn prefix(&self) -> &[u8] {
        self.key.as_ref().map_or(&[], |(_, prefix)| prefix)
    }
}

/// A derived evidence change, its record encoded (`None`: retracted).
type EncodedChange = (Id, Option<Vec<u8>>);

/// What one core judges of a write's affected claims.
struct JudgeShare<'a> {
    /// Every affected claim, in id order.
    affected: &'a [ClaimAfterWrite],
    /// This share's claims with a key, by number in `affected`, in key
    /// order, each with its key's prefix.
    keyed: &'a [(&'a [u8], usize)],
    /// This share's claims without one.
    unkeyed: &'a [usize],
    written_results: &'a HashMap<BenchKey, Vec<BenchResult>>,
    evidence: &'a EvidenceChanges,
    /// Whether the write replaces or retracts any stored result: if not,
    /// no stored candidate needs looking up among the changes.
    replaces_results: bool,
}

/// How many derived evidence records a write adds, replaces and retracts:
/// taken off the write's summary, which counts what the caller wrote.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DerivedChanges {
    pub(super) added: u64,
    pub(super) replaced: u64,
    pub(super) retracted: u64,
}

impl DerivedChanges {
    /// Counts `other`'s changes too.
    fn add(&mut self, other: DerivedChanges) {
        self.added += other.added;
        self.replaced += other.replaced;
        self.retracted += other.retracted;
    }
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
    ///
    /// `citing` holds the write's results that cite one, with their
    /// positions and the result each cites (found by [`Store::validate`],
    /// which decodes every record once).
    pub(super) fn validate_cites(
        &self,
        changes: &ChangeSet,
        citing: Vec<(u32, Id, BenchResult)>,
        refused: &mut dyn FnMut(Rejection) -> bool,
    ) -> Result<(), StoreError> {
        // Who cites whom among them.
        let mut citing_in_write: HashMap<String, Vec<String>> = HashMap::new();
        for (_, cited, r) in &citing {
            citing_in_write
                .entry(cited.to_string())
                .or_default()
                .push(r.id.to_string());
        }
        for (position, cited, r) in &citing {
            let reject = |reason: String| Rejection {
                id: r.id.to_string(),
                position: Some(*position),
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
            let mut cited_by: BTreeSet<String> = citing_in_write
                .get(r.id.as_str())
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect();
            for referrer in self.referrers(r.id.as_str(), Kind::Result)? {
                if let Some(Record::Result(other)) = self.after_write(changes, &referrer)?
                    && other.cites() == Some(&r.id)
                {
                    cited_by.insert(referrer);
                }
            }
            if !cited_by.is_empty() {
                let names: Vec<String> = cited_by.into_iter().collect();
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
    ///
    /// A result matters only when a benchmark claim has its key, so the
    /// results of a large import are kept as positions until the keys with
    /// claims are known, and only those are decoded again.
    pub(super) fn add_derived_evidence(
        &self,
        changes: &mut ChangeSet,
    ) -> Result<DerivedChanges, StoreError> {
        let has_bench_claims = self.has_bench_claims()?;
        // Without a benchmark claim, stored or written, there is nothing to
        // derive: decided from the written claims alone, so an import of
        // results into such a database decodes none of them here.
        if !has_bench_claims && !writes_bench_claims(changes)? {
            return Ok(DerivedChanges::default());
        }
        // Positions of the results written (and replaced), by key.
        let mut result_keys: HashMap<BenchKey, Vec<(usize, bool)>> = HashMap::new();
        // The affected claims' ids, sorted and deduplicated once complete
        // (most come from the changes, already in id order: a set kept
        // ordered through 100,000 inserts cost more than one sort).
        let mut claims: Vec<String> = Vec::new();
        let mut replaces_results = false;
        // Positions of the claims written: their keys matter only when the
        // write has results too, and are decoded only then.
        let mut written_claims: Vec<usize> = Vec::new();
        let mut evidence = EvidenceChanges::default();
        // What the write replaces or retracts matters only where benchmark
        // claims are stored (an import into an empty database skips it);
        // found walking each record map once, in id order.
        let stored = if has_bench_claims {
            Some(self.stored_versions(changes)?)
        } else {
            None
        };
        for i in 0..changes.len() {
            let c = changes.at(i);
            if matches!(c.put, None | Some((Kind::Evidence, _))) {
                evidence
                    .touched
                    .insert(String::from_utf8_lossy(c.id).into_owned());
            }
            if let Some((Kind::Claim, _)) = c.put {
                claims.push(String::from_utf8_lossy(c.id).into_owned());
                written_claims.push(i);
            }
            match c
                .put
                .filter(|(k, _)| *k != Kind::Claim)
                .map(|(k, b)| decode_record(k, b))
                .transpose()?
            {
                Some(Record::Result(r)) => {
                    result_keys
                        .entry(BenchKey::of_result(&r))
                        .or_default()
                        .push((i, true));
                }
                Some(Record::Evidence(e)) => {
                    if e.result.is_some() {
                        claims.push(e.claim.to_string());
                    }
                    evidence
                        .puts
                        .entry(e.claim.to_string())
                        .or_default()
                        .push((e.id, e.result));
                }
                _ => {}
            }
            let Some((kind, bytes)) = stored.as_ref().and_then(|s| s.of(i)) else {
                continue;
            };
            match decode_record(kind, bytes)? {
                Record::Result(r) => {
                    replaces_results = true;
                    result_keys
                        .entry(BenchKey::of_result(&r))
                        .or_default()
                        .push((i, false));
                }
                Record::Claim(claim) => claims.push(claim.id.to_string()),
                Record::Evidence(e) if e.result.is_some() => {
                    claims.push(e.claim.to_string());
                }
                _ => {}
            }
        }
        // The keys some benchmark claim has, stored or written.
        let mut sorted_keys: Vec<&BenchKey> = result_keys.keys().collect();
        // In index order (the encoding keeps the strings' order).
        sorted_keys.sort_by_cached_key(|k| crate::store::keys::bench_key_value(k));
        let mut relevant: BTreeSet<&BenchKey> = if has_bench_claims {
            self.keys_with_bench_claims(sorted_keys)?
                .into_iter()
                .collect()
        } else {
            BTreeSet::new()
        };
        if !result_keys.is_empty() {
            for i in written_claims {
                if let Some((Kind::Claim, bytes)) = changes.at(i).put
                    && let Record::Claim(claim) = decode_record(Kind::Claim, bytes)?
                    && let Some((key, _)) =
                        BenchKey::of_claim(&claim).and_then(|key| result_keys.get_key_value(&key))
                {
                    relevant.insert(key);
                }
            }
        }
        let mut written_results: HashMap<BenchKey, Vec<BenchResult>> = HashMap::new();
        for key in &relevant {
            claims.extend(self.bench_claims(key)?);
            for &(i, put) in result_keys.get(*key).into_iter().flatten() {
                if let (true, Some((Kind::Result, bytes))) = (put, changes.at(i).put)
                    && let Record::Result(r) = decode_record(Kind::Result, bytes)?
                {
                    written_results.entry((*key).clone()).or_default().push(r);
                }
            }
        }
        drop(relevant);
        drop(result_keys);
        // Both stages run on both cores. First each affected claim as the
        // write leaves it, with its stored evidence, in two halves of the id
        // order (each walking the claim map and the evidence index once).
        claims.sort_unstable();
        claims.dedup();
        let (first, second) = claims.split_at(claims.len() / 2);
        let (first, second) = on_both_cores(
            "reading the affected claims",
            || self.read_affected(changes, first),
            || self.read_affected(changes, second),
        );
        let mut affected = first?;
        affected.extend(second?);
        // Then their candidates and judgements, in two halves of the key
        // order, so that each core walks half of the result index and reads
        // each of its blocks alone.
        // Sorted with their prefixes beside them: reaching each through
        // `affected` missed the cache twice a comparison (100,000 claims:
        // 65 ms, now about 30).
        let mut keyed: Vec<(&[u8], usize)> = (affected.iter().enumerate())
            .filter(|(_, claim)| claim.key.is_some())
            .map(|(i, claim)| (claim.prefix(), i))
            .collect();
        keyed.sort_unstable();
        // Claims without a key judge nothing, but may lose derived evidence.
        let unkeyed: Vec<usize> = (0..affected.len())
            .filter(|&i| affected[i].key.is_none())
            .collect();
        let (first, second) = keyed.split_at(keyed.len() / 2);
        let share = |keyed, unkeyed| JudgeShare {
            affected: &affected,
            keyed,
            unkeyed,
            written_results: &written_results,
            evidence: &evidence,
            replaces_results,
        };
        let (first, second) = (share(first, &unkeyed), share(second, &[]));
        let changes_now = &*changes;
        let (first, second) = on_both_cores(
            "deriving benchmark evidence",
            || self.judge_share(changes_now, first),
            || self.judge_share(changes_now, second),
        );
        let ((mut new_changes, mut out), (more_changes, more)) = (first?, second?);
        new_changes.extend(more_changes);
        out.add(more);
        for (id, encoded) in new_changes {
            changes.push_encoded(
                id.as_str().as_bytes(),
                encoded.as_deref().map(|e| (Kind::Evidence, e)),
            )?;
        }
        Ok(out)
    }

    /// Each of `claims` (ascending ids) as the write `changes` leaves it,
    /// with its stored evidence.
    fn read_affected(
        &self,
        changes: &ChangeSet,
        claims: &[String],
    ) -> Result<Vec<ClaimAfterWrite>, StoreError> {
        let mut claim_walker = MapWalker::new(self, MapId::Records(Kind::Claim));
        let mut facts_walker = FactWalker::new(self);
        let mut affected = Vec::with_capacity(claims.len());
        for claim_id in claims {
            let claim = match changed(changes, claim_id)? {
                Some(Some(Record::Claim(c))) => Some(c),
                Some(_) => None,
                None => match claim_walker.get(claim_id.as_bytes())? {
                    Some(bytes) => match decode_record(Kind::Claim, &bytes)? {
                        Record::Claim(c) => Some(c),
                        _ => None,
                    },
                    None => None,
                },
            };
            let claim = claim.map(|c| Claim {
                text: String::new(),
                subject: None,
                tags: Vec::new(),
                ..c
            });
            let facts = facts_walker.facts_of(claim_id)?;
            let key = claim.as_ref().and_then(BenchKey::of_claim).map(|key| {
                let prefix = crate::store::keys::bench_key_value(&key);
                (key, prefix)
            });
            affected.push(ClaimAfterWrite { claim, key, facts });
        }
        Ok(affected)
    }

    /// The derived evidence changes of one share's claims, encoded on its
    /// core, with their counts.
    fn judge_share(
        &self,
        changes: &ChangeSet,
        share: JudgeShare<'_>,
    ) -> Result<(Vec<EncodedChange>, DerivedChanges), StoreError> {
        // The stored candidates of each key, walking the result index once
        // (the share's claims are in key order); by claim, which group.
        let mut result_walker = MapWalker::new(self, MapId::Index(IndexId::ResultBench));
        let mut groups: Vec<Vec<BenchResult>> = Vec::new();
        let mut in_id_order: Vec<(usize, Option<usize>)> = Vec::new();
        let mut last_prefix: Option<&[u8]> = None;
        for &(prefix, i) in share.keyed {
            let same_key = last_prefix == Some(prefix);
            last_prefix = Some(prefix);
            if !same_key && let Some((key, _)) = &share.affected[i].key {
                // Every group is held until the judging below: most keys
                // have one result (all but 34 of the 1.29M MTEB triples),
                // and a first push would make room for four, in memory
                // touched for the first time (100,000 claims: a tenth of
                // this stage's time in page faults).
                let mut found = Vec::with_capacity(1);
                result_walker.each_with_prefix(prefix, &mut |_, value| {
                    if let Record::Result(r) = decode_record(Kind::Result, value)?
                        && key.is_of_result(&r)
                        // Stored results this write replaces or retracts
                        // are replaced by what it writes.
                        && !(share.replaces_results
                            && changes.find(r.id.as_str().as_bytes()).is_some())
                    {
                        found.push(r);
                    }
                    Ok(())
                })?;
                groups.push(found);
            }
            in_id_order.push((i, groups.len().checked_sub(1)));
        }
        in_id_order.extend(share.unkeyed.iter().map(|&i| (i, None)));
        // Judged in id order, so that stored derived evidence is read
        // walking the evidence map once.
        in_id_order.sort_unstable();
        let mut evidence_walker = MapWalker::new(self, MapId::Records(Kind::Evidence));
        let mut out = DerivedChanges::default();
        let mut new_changes = Vec::new();
        for (i, group) in in_id_order {
            let ClaimAfterWrite { claim, key, facts } = &share.affected[i];
            let expected = match (claim, key, group) {
                (Some(c), Some((key, _)), Some(group)) => self.expected_after_write(
                    c,
                    facts,
                    groups[group]
                        .iter()
                        .chain(share.written_results.get(key).into_iter().flatten()),
                    share.evidence,
                )?,
                _ => Vec::new(),
            };
            let stored: Vec<&str> = facts
                .iter()
                .map(|f| f.evidence.as_str())
                .filter(|id| Id::split_derived(id).is_some())
                .collect();
            for id in &stored {
                if !expected.iter().any(|e| e.id.as_str() == *id) {
                    out.retracted += 1;
                    let id = Id::stored(id)
                        .map_err(|_| StoreError::damaged(format!("a derived evidence id {id}")))?;
                    new_changes.push((id, None));
                }
            }
            for e in expected {
                if stored.contains(&e.id.as_str()) {
                    let now = evidence_walker.get(e.id.as_str().as_bytes())?;
                    if let Some(bytes) = now
                        && let Record::Evidence(old) = decode_record(Kind::Evidence, &bytes)?
                        && old == e
                    {
                        continue;
                    }
                    out.replaced += 1;
                } else {
                    out.added += 1;
                }
                let id = e.id.clone();
                new_changes.push((id, Some(crate::store::encode_record(&Record::Evidence(e))?)));
            }
        }
        Ok((new_changes, out))
    }

    /// The derived evidence `claim` has once the write is applied, from its
    /// stored evidence `facts` and its key's stored and written candidates.
    fn expected_after_write<'c>(
        &self,
        claim: &Claim,
        facts: &[EvidenceFact],
        candidates: impl Iterator<Item = &'c BenchResult>,
        evidence: &EvidenceChanges,
    ) -> Result<Vec<Evidence>, StoreError> {
        let mut candidates: Vec<&BenchResult> = candidates.collect();
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        // The claim's recorded evidence naming a result, after the write:
        // what is stored and untouched, and what the write puts.
        let mut recorded: BTreeMap<String, Option<Id>> = BTreeMap::new();
        for fact in facts {
            if Id::split_derived(&fact.evidence).is_some()
                || evidence.touched.contains(&fact.evidence)
            {
                continue;
            }
            if let Some(Record::Evidence(e)) = self.get_of_kind(Kind::Evidence, &fact.evidence)? {
                recorded.insert(fact.evidence.clone(), e.result);
            }
        }
        for (id, result) in evidence.puts.get(claim.id.as_str()).into_iter().flatten() {
            recorded.insert(id.to_string(), result.clone());
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
    /// The part of the format 6 upgrade ([`Store::upgrade`]) that SPEC
    /// section 8 needs. Records read as they are; of the indexes section 8
    /// added, only results by (model, benchmark, metric) can have entries in
    /// a format-6 store (no claim had benchmark fields and no result cited
    /// one), so those are built from one scan of the results, sorted in
    /// bounded memory. Idempotent: a crash part way leaves format 6, and
    /// building again writes the same entries.
    pub(crate) fn build_benchmark_indexes(&self) -> Result<(), StoreError> {
        let _writer = self.lock_writer()?;
        let index = IndexId::ResultBench;
        let mut sorter = Sorter::new(&self.path, SORT_BUDGET);
        let mut scan = self.scan(Kind::Result)?;
        while let Some((record, _)) = scan.next_record()? {
            let encoded = crate::store::encode_record(&record)?;
            for (key, payload) in crate::store::indexes::index_entries(index, &record, &encoded)? {
                sorter.push(&sort_key(MapId::Index(index).byte(), &key), Some(&payload))?;
            }
        }
        let sorted = sorter.into_sorted()?;
        let from_runs = sorted.reads_runs();
        let mut sink = crate::store::blocks::BatchSink::new(self.tree());
        self.apply_sorted(
            &mut in_order(Box::new(sorted), from_runs),
            HashMap::new(),
            &mut sink,
        )?;
        sink.flush()
    }
}

/// Whether `changes` puts a benchmark claim (one with a model and a
/// benchmark, so it has a key).
fn writes_bench_claims(changes: &ChangeSet) -> Result<bool, StoreError> {
    for i in 0..changes.len() {
        if let Some((Kind::Claim, bytes)) = changes.at(i).put
            && let Record::Claim(claim) = decode_record(Kind::Claim, bytes)?
            && BenchKey::of_claim(&claim).is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}
