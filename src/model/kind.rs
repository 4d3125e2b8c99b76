//! The four kinds of record, and [`ByKind`]: one value per kind.

use serde::{Deserialize, Serialize};
use std::ops::{Index, IndexMut};

/// The four kinds of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// Where information comes from.
    Source,
    /// A statement that may be true or false.
    Claim,
    /// One source bearing on one claim.
    Evidence,
    /// One benchmark measurement.
    Result,
}

impl Kind {
    /// Every kind, in the order of definition: the order of [`ByKind`]'s
    /// slots. Use this for "all kinds" unless the order is the file's.
    pub const ALL: [Kind; 4] = [Kind::Source, Kind::Claim, Kind::Evidence, Kind::Result];

    /// Every kind, in the order export writes them (SPEC section 3):
    /// results before evidence, so that evidence naming a result follows it.
    pub const EXPORT_ORDER: [Kind; 4] = [Kind::Source, Kind::Claim, Kind::Result, Kind::Evidence];

    /// The kind's name as it appears in files and statements (`"source"`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Claim => "claim",
            Kind::Evidence => "evidence",
            Kind::Result => "result",
        }
    }

    /// The name as a message says one record of the kind: "a claim",
    /// "evidence" (a mass noun).
    pub fn one(self) -> &'static str {
        match self {
            Kind::Source => "a source",
            Kind::Claim => "a claim",
            Kind::Evidence => "evidence",
            Kind::Result => "a result",
        }
    }

    /// The collection name used by queries (`"sources"`).
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Source => "sources",
            Kind::Claim => "claims",
            Kind::Evidence => "evidence",
            Kind::Result => "results",
        }
    }

    /// Parses a kind name (`"claim"`).
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "source" => Kind::Source,
            "claim" => Kind::Claim,
            "evidence" => Kind::Evidence,
            "result" => Kind::Result,
            _ => return None,
        })
    }

    /// Parses a collection name (`"claims"`).
    pub fn from_collection(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.collection() == name)
    }

    /// The letter of ids the engine assigns to records of this kind (`c1`).
    pub fn id_prefix(self) -> char {
        match self {
            Kind::Source => 's',
            Kind::Claim => 'c',
            Kind::Evidence => 'e',
            Kind::Result => 'r',
        }
    }
}

/// One value per kind, indexed by [`Kind`] rather than by a number, so that
/// no caller needs to know the order of definition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByKind<T>([T; 4]);

impl<T> ByKind<T> {
    /// The values in [`Kind::ALL`]'s order (source, claim, evidence, result).
    pub const fn from_array(values: [T; 4]) -> Self {
        ByKind(values)
    }

    /// The values in [`Kind::ALL`]'s order, for APIs that expose an array.
    pub fn into_array(self) -> [T; 4] {
        self.0
    }

    /// Each kind with its value, in [`Kind::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, &T)> {
        Kind::ALL.into_iter().zip(self.0.iter())
    }
}

impl<T> Index<Kind> for ByKind<T> {
    type Output = T;

    fn index(&self, kind: Kind) -> &T {
        // The one place that knows a kind's slot is its order of definition.
        &self.0[kind as usize]
    }
}

impl<T> IndexMut<Kind> for ByKind<T> {
    fn index_mut(&mut self, kind: Kind) -> &mut T {
        &mut self.0[kind as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_the_order_of_definition() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i);
        }
        let mut sorted = Kind::EXPORT_ORDER;
        sorted.sort();
        assert_eq!(sorted, Kind::ALL);
    }

    #[test]
    fn by_kind_indexes_by_kind() {
        let mut counts = ByKind::<u64>::default();
        counts[Kind::Result] += 2;
        counts[Kind::Claim] += 1;
        assert_eq!(counts.into_array(), [0, 1, 0, 2]);
        let kinds: Vec<Kind> = counts.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, Kind::ALL);
    }
}
