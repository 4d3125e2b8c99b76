//! The log: each write's header and before-images, listing it, and rolling
//! back a write a crash interrupted.

use super::Mode;
use super::changeset::{ChangeSet, tag_kind};
use crate::store::blocks::{BatchSink, BlockBuilder, BlockReader};
use crate::store::{Store, StoreError, codec, keys};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The header of one logged write (part 0 of its log entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// When it was recorded, milliseconds since the Unix epoch.
    pub recorded_ms: u64,
    /// What was done (`import liar2.jsonl`, `add claim c7`).
    pub action: String,
    /// How many records it changed.
    pub changes: u64,
}

impl Store {
    /// Rolls back a write interrupted by a crash, if the last one was.
    pub(in crate::store) fn recover(&self) -> Result<(), StoreError> {
        let Some(seq) = self.tree().get(keys::META_PENDING)? else {
            return Ok(());
        };
        let seq = <[u8; 8]>::try_from(seq.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::damaged("the pending-write marker".into()))?;
        let mut undo = ChangeSet::new();
        for part in self
            .tree()
            .range(keys::log_key(seq, 1)..keys::log_key(seq + 1, 0))
        {
            let (_, part) = part?;
            let mut reader = BlockReader::new(part)?;
            while reader.advance()? {
                let before = reader.value();
                let position = undo.len() as u32;
                let put = match before.split_first() {
                    Some((&tag, bytes)) if tag != 0 => Some((
                        tag_kind(tag).ok_or_else(|| StoreError::damaged("log".into()))?,
                        bytes,
                    )),
                    _ => None,
                };
                undo.push_raw(position, reader.key(), put);
            }
        }
        self.apply("rollback", &mut undo, Mode::Rollback, Some(seq))
            .map(drop)
    }

    pub(in crate::store) fn next_seq(&self) -> Result<u64, StoreError> {
        Ok(match self.tree().get(keys::META_NEXT_SEQ)? {
            Some(v) => <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::damaged("sequence number".into()))?,
            None => 1,
        })
    }

    /// Every logged write, oldest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree().scan_prefix([keys::LOG]) {
            let (key, value) = item?;
            if keys::log_header_seq(&key).is_some() {
                out.push(codec::decode(&value, "log entry")?);
            }
        }
        Ok(out)
    }
}

pub(super) fn write_log_part(
    sink: &mut BatchSink<'_>,
    seq: u64,
    part: &mut u32,
    builder: &mut BlockBuilder,
) -> Result<(), StoreError> {
    if let Some((_, block)) = builder.finish() {
        sink.put(keys::log_key(seq, *part), Some(block));
        *part += 1;
        sink.flush_if_full()?;
    }
    Ok(())
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
