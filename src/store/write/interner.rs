//! Distinct byte strings, each held once and numbered.
//!
//! A large write meets the same values millions of times over — 3M
//! evidence name 1M claims — and must know each distinct one. A
//! `HashMap<Box<[u8]>, u32>` costs ~90 MiB for a million short ids (a
//! 40-byte slot and an allocation each); here a string is its bytes in an
//! arena and a 4-byte slot in a table of numbers, ~30 MiB.

use super::arena::{Address, ByteArena};
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Strings numbered 0, 1, 2, … in the order they were first interned.
#[derive(Default)]
pub(crate) struct Interner {
    bytes: ByteArena,
    /// Where each string is in `bytes`, by number.
    addresses: Vec<Address>,
    /// The numbers, found by their string's hash.
    table: HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
}

impl Interner {
    /// The number of `value`, and whether it was new. `None` once 2^32
    /// strings are held.
    pub(crate) fn intern(&mut self, value: &[u8]) -> Option<(u32, bool)> {
        let hash = self.hasher.hash_one(value);
        let (bytes, addresses) = (&self.bytes, &self.addresses);
        let same = |&n: &u32| bytes.sized_at(addresses[n as usize]) == value;
        if let Some(&n) = self.table.find(hash, same) {
            return Some((n, false));
        }
        let n = u32::try_from(self.addresses.len()).ok()?;
        self.addresses.push(self.bytes.push_sized(&[value]));
        let (bytes, addresses, hasher) = (&self.bytes, &self.addresses, &self.hasher);
        self.table.insert_unique(hash, n, |&m| {
            hasher.hash_one(bytes.sized_at(addresses[m as usize]))
        });
        Some((n, true))
    }

    /// The string numbered `n`.
    ///
    /// Panics on a number this interner did not give, which is a bug in
    /// the caller, never something input can cause.
    pub(crate) fn get(&self, n: u32) -> &[u8] {
        self.bytes.sized_at(self.addresses[n as usize])
    }

    /// How many strings are held.
    pub(crate) fn len(&self) -> usize {
        self.addresses.len()
    }

    /// The numbers in the byte order of their strings.
    pub(crate) fn sorted_numbers(&self) -> Vec<u32> {
        // There are at most 2^32 strings (numbers are u32).
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.get(a).cmp(self.get(b)));
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_distinct_string_gets_one_number_and_sorts_by_its_bytes() {
        let mut interner = Interner::default();
        let words: Vec<Vec<u8>> = (0..50_000u32)
            .map(|i| format!("c{}", (i * 7919) % 20_000).into_bytes())
            .collect();
        let mut numbers = std::collections::HashMap::new();
        for word in &words {
            let (n, new) = interner.intern(word).expect("fewer than 2^32");
            assert_eq!(new, !numbers.contains_key(word));
            assert_eq!(*numbers.entry(word.clone()).or_insert(n), n);
            assert_eq!(interner.get(n), &word[..]);
        }
        assert_eq!(interner.len(), 20_000);
        assert_eq!(interner.intern(b"").map(|(_, new)| new), Some(true));
        let sorted: Vec<&[u8]> = interner
            .sorted_numbers()
            .into_iter()
            .map(|n| interner.get(n))
            .collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sorted.len(), 20_001);
    }
}
