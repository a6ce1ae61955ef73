//! Hostile packages made from a good one, systematically rather than at
//! random:
//!
//! - **truncation** at every item boundary of every component: the load
//!   file ending there, and the component cut there with its size and the
//!   Directory's record of it made to agree, so the cut reaches the
//!   component's own parser;
//! - **field lies**: every item the CAP reader reads (found by the reader
//!   itself, [`hydra_cap::CapFile::field_map`]) set to 0, all ones, one
//!   more, one less and its sign bit;
//! - **bytecode attacks** in every method, in place and of the same length
//!   so everything else stays consistent: type confusion, stack underflow
//!   and overflow, jumps into instructions and out of the method, bad
//!   exception handlers, uninitialised locals and objects, wrong invoke and
//!   field targets, removed or retargeted casts, array-store holes and
//!   endless loops.
//!
//! Each case is a load file (the components concatenated, Descriptor
//! included) with a label naming the component, offset and item or the
//! method, pc and attack. What a case must do is the caller's rule; ours
//! (`tests/four_engines.rs`): refused by the CAP reader or the verifier,
//! or identical answers on every engine.

mod attacks;
mod layout;

use hydra_cap::{CapError, CapFile};

/// Which kind of lie a case tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Truncation,
    FieldLie,
    Bytecode,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Truncation, Family::FieldLie, Family::Bytecode];

    pub fn name(self) -> &'static str {
        match self {
            Family::Truncation => "truncation",
            Family::FieldLie => "field lie",
            Family::Bytecode => "bytecode attack",
        }
    }
}

/// One hostile package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub family: Family,
    /// Where the lie is and what it is, e.g. `Class+0x0012 declared
    /// instance size 4 -> 0` or `method @0x0040 pc 7: jump into an
    /// instruction`.
    pub label: String,
    /// The load file: components concatenated, as LOAD carries them.
    pub load_file: Vec<u8>,
}

/// Every case made from `cap`, without duplicates and never the package
/// itself, in a fixed order (so that a sample is reproducible).
pub fn generate(cap: &CapFile) -> Result<Vec<Case>, CapError> {
    let original = cap.to_load_file(false)?;
    let mut cases = layout::truncations(&original)?;
    cases.extend(layout::field_lies(&original)?);
    cases.extend(attacks::bytecode_attacks(cap)?);
    let mut seen = std::collections::HashSet::new();
    seen.insert(original);
    cases.retain(|c| seen.insert(c.load_file.clone()));
    Ok(cases)
}

/// A reproducible sample of about `n` cases out of `cases`: an equal share
/// for each family (bytecode attacks are far fewer than field lies but no
/// less important), spread evenly over the family's cases.
pub fn sample(cases: &[Case], n: usize) -> Vec<&Case> {
    if n >= cases.len() {
        return cases.iter().collect();
    }
    let mut out = Vec::new();
    for family in Family::ALL {
        let of: Vec<&Case> = cases.iter().filter(|c| c.family == family).collect();
        if of.is_empty() {
            continue;
        }
        let want = n.div_ceil(Family::ALL.len()).clamp(1, of.len());
        let step = of.len() as f64 / want as f64;
        out.extend((0..want).map(|i| of[(i as f64 * step) as usize]));
    }
    out
}
