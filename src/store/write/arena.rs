//! An append-only byte store for millions of small entries.
//!
//! A large write holds every change, the stored records it replaces and
//! the claims it must rederive, as bytes. Held in one `Vec`, each doubling would copy the whole buffer and
//! hold both copies for a moment (a 256 MiB import arena briefly needed
//! 384 MiB), and leave up to half the final capacity unused. Chunks grow
//! the store without moving anything.

/// Where an entry starts: its chunk in the high 32 bits, its offset in the
/// low 32.
pub(crate) type Address = u64;

/// The largest chunk allocated for small entries; an entry larger than this
/// gets a chunk of its own.
const MAX_CHUNK_BYTES: usize = 4 << 20;

/// The smallest chunk, so a one-record write allocates little.
const MIN_CHUNK_BYTES: usize = 4 << 10;

/// Bytes appended in entries; an entry never straddles two chunks, so it can
/// be read back as one slice.
#[derive(Default)]
pub(crate) struct ByteArena {
    chunks: Vec<Vec<u8>>,
    /// Bytes allocated in all chunks (chunks grow geometrically with it).
    allocated: usize,
}

impl ByteArena {
    /// Appends one entry made of `parts`, and returns its address.
    pub(crate) fn push(&mut self, parts: &[&[u8]]) -> Address {
        self.append(&[], parts)
    }

    /// Appends one entry made of `parts` after its length, to be read back
    /// whole with [`ByteArena::sized_at`].
    pub(crate) fn push_sized(&mut self, parts: &[&[u8]]) -> Address {
        let size: usize = parts.iter().map(|p| p.len()).sum();
        // An entry is far below 4 GiB.
        self.append(&(size as u32).to_be_bytes(), parts)
    }

    /// The entry [`ByteArena::push_sized`] appended at `address`.
    pub(crate) fn sized_at(&self, address: Address) -> &[u8] {
        let bytes = self.bytes_at(address);
        let (len, rest) = bytes.split_at(4);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        &rest[..len]
    }

    fn append(&mut self, prefix: &[u8], parts: &[&[u8]]) -> Address {
        let size = prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= size);
        if !fits {
            let capacity = self
                .allocated
                .clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
                .max(size);
            self.allocated += capacity;
            self.chunks.push(Vec::with_capacity(capacity));
        }
        let chunk_index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[chunk_index];
        let offset = chunk.len();
        chunk.extend_from_slice(prefix);
        for part in parts {
            chunk.extend_from_slice(part);
        }
        // Chunks are far fewer than 2^32, and an entry is far below 4 GiB.
        ((chunk_index as u64) << 32) | offset as u64
    }

    /// The bytes from `address` to the end of its chunk: the entry there
    /// and whatever follows it (entries carry their own lengths).
    ///
    /// Panics on an address this arena did not return, which is a bug in
    /// the caller, never something input can cause.
    pub(crate) fn bytes_at(&self, address: Address) -> &[u8] {
        let chunk = &self.chunks[(address >> 32) as usize];
        &chunk[(address & u64::from(u32::MAX)) as usize..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_across_chunks_and_oversized_entries() {
        let mut arena = ByteArena::default();
        let mut written = Vec::new();
        let mut used = 0;
        for i in 0..20_000u32 {
            // Every 5000th entry is larger than any chunk of small entries.
            let len = if i % 5000 == 4999 {
                MAX_CHUNK_BYTES + 7
            } else {
                (i % 300) as usize
            };
            let body = vec![(i % 251) as u8; len];
            let address = arena.push(&[&i.to_be_bytes(), &body]);
            written.push((address, i, len));
            used += 4 + len;
        }
        for (address, i, len) in written {
            let bytes = arena.bytes_at(address);
            assert_eq!(bytes[..4], i.to_be_bytes());
            assert!(bytes[4..4 + len].iter().all(|&b| b == (i % 251) as u8));
        }
        let sized = arena.push_sized(&[b"ab", b"", b"cde"]);
        arena.push(&[b"after"]);
        assert_eq!(arena.sized_at(sized), b"abcde");
        // Space is lost only where a chunk ends: at most a chunk's worth
        // each time an oversized entry interrupts the small ones.
        assert!(arena.allocated <= used + 5 * MAX_CHUNK_BYTES);
    }
}
