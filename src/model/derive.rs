//! SPEC section 2: how a claim's status and confidence follow from its
//! evidence. Pure arithmetic, shared by the materialised values kept on every
//! write, by `as of` views, by `explain` and by `check`, so all of them agree
//! to the last bit.

use serde::{Deserialize, Serialize};

/// A claim's derived status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// Strong independent support, little independent refutation.
    Verified,
    /// Strong independent refutation, little independent support.
    Refuted,
    /// Substantial independent evidence both ways.
    Contested,
    /// Anything else, including no evidence at all.
    Unresolved,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [
        Status::Verified,
        Status::Refuted,
        Status::Contested,
        Status::Unresolved,
    ];

    /// The status as written in queries and output.
    pub fn name(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::Refuted => "refuted",
            Status::Contested => "contested",
            Status::Unresolved => "unresolved",
        }
    }

    /// Parses a status name.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What the derivation needs to know about one piece of evidence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvidenceFacts {
    /// `true` for supports, `false` for refutes.
    pub supports: bool,
    /// `strength × reliability(source)`.
    pub weight: f64,
    /// Whether the source is independent of the claim's subject.
    pub independent: bool,
}

/// The derived fields of a claim (SPEC section 2).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// Derived status.
    pub status: Status,
    /// `(1 + support − refute) / 2`.
    pub confidence: f64,
    /// `1 − Π(1 − weight)` over supporting evidence.
    pub support: f64,
    /// The same over refuting evidence.
    pub refute: f64,
    /// `support` over independent evidence only.
    pub independent_support: f64,
    /// `refute` over independent evidence only.
    pub independent_refute: f64,
    /// Number of pieces of evidence.
    pub evidence_count: u64,
}

impl Default for Derived {
    /// The values of a claim with no evidence.
    fn default() -> Self {
        derive(std::iter::empty())
    }
}

/// Derives a claim's values from its evidence, which must come in ascending
/// evidence-id order so the products are reproducible to the last bit.
pub fn derive(evidence: impl IntoIterator<Item = EvidenceFacts>) -> Derived {
    // Products of (1 − weight), as SPEC section 2 defines them.
    let (mut not_support, mut not_refute) = (1.0_f64, 1.0_f64);
    let (mut not_ind_support, mut not_ind_refute) = (1.0_f64, 1.0_f64);
    let mut count = 0u64;
    for e in evidence {
        count += 1;
        let keep = 1.0 - e.weight;
        match (e.supports, e.independent) {
            (true, true) => {
                not_support *= keep;
                not_ind_support *= keep;
            }
            (true, false) => not_support *= keep,
            (false, true) => {
                not_refute *= keep;
                not_ind_refute *= keep;
            }
            (false, false) => not_refute *= keep,
        }
    }
    let support = 1.0 - not_support;
    let refute = 1.0 - not_refute;
    let independent_support = 1.0 - not_ind_support;
    let independent_refute = 1.0 - not_ind_refute;
    Derived {
        status: status_rule(independent_support, independent_refute).0,
        confidence: (1.0 + support - refute) / 2.0,
        support,
        refute,
        independent_support,
        independent_refute,
        evidence_count: count,
    }
}

/// The status rule of SPEC section 2, with the sentence that explains which
/// branch fired (used by `explain`).
pub fn status_rule(is: f64, ir: f64) -> (Status, &'static str) {
    if is >= 0.7 && ir < 0.3 {
        (
            Status::Verified,
            "independent support ≥ 0.7 and independent refutation < 0.3",
        )
    } else if ir >= 0.7 && is < 0.3 {
        (
            Status::Refuted,
            "independent refutation ≥ 0.7 and independent support < 0.3",
        )
    } else if is >= 0.3 && ir >= 0.3 {
        (
            Status::Contested,
            "independent support ≥ 0.3 and independent refutation ≥ 0.3",
        )
    } else {
        (
            Status::Unresolved,
            "neither side has enough independent weight for another status",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(supports: bool, weight: f64, independent: bool) -> EvidenceFacts {
        EvidenceFacts {
            supports,
            weight,
            independent,
        }
    }

    #[test]
    fn no_evidence_is_unresolved_at_one_half() {
        let d = derive([]);
        assert_eq!(d.status, Status::Unresolved);
        assert_eq!(d.confidence, 0.5);
        assert_eq!(d.evidence_count, 0);
    }

    #[test]
    fn self_support_does_not_verify() {
        let d = derive([facts(true, 0.9, false)]);
        assert_eq!(d.status, Status::Unresolved);
        assert!((d.support - 0.9).abs() < 1e-12);
        assert_eq!(d.independent_support, 0.0);
    }

    #[test]
    fn each_status_rule() {
        assert_eq!(derive([facts(true, 0.7, true)]).status, Status::Verified);
        assert_eq!(derive([facts(false, 0.7, true)]).status, Status::Refuted);
        assert_eq!(
            derive([facts(true, 0.3, true), facts(false, 0.3, true)]).status,
            Status::Contested
        );
        // Two sources of 0.5 combine to 0.75.
        let d = derive([facts(true, 0.5, true), facts(true, 0.5, true)]);
        assert_eq!(d.independent_support, 0.75);
        assert_eq!(d.status, Status::Verified);
    }
}
