//! A set of small indices (instruction indices, code offsets) as one bit
//! each: the type checker's worklist and its block starts. Taking the
//! smallest member first keeps the order the checker has always visited
//! instructions in, so its results and its step count do not depend on
//! the set's representation.

use alloc::vec;
use alloc::vec::Vec;

#[derive(Debug, Clone)]
pub struct BitSet {
    words: Vec<u32>,
    /// No member lies in a word below this one.
    low: usize,
}

impl BitSet {
    /// An empty set of indices below `n`.
    pub fn new(n: usize) -> BitSet {
        BitSet {
            words: vec![0; n.div_ceil(32)],
            low: 0,
        }
    }

    /// Adds `i`; an index at or beyond the size given to `new` is a bug of
    /// the caller and panics.
    pub fn insert(&mut self, i: usize) {
        self.words[i / 32] |= 1 << (i % 32);
        self.low = self.low.min(i / 32);
    }

    /// Removes and returns the smallest member.
    pub fn pop_first(&mut self) -> Option<usize> {
        while let Some(w) = self.words.get_mut(self.low) {
            if *w != 0 {
                let b = w.trailing_zeros() as usize;
                *w &= *w - 1;
                return Some(self.low * 32 + b);
            }
            self.low += 1;
        }
        None
    }

    /// The members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &w)| {
            let mut w = w;
            core::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(k * 32 + b)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;
    use alloc::collections::BTreeSet;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[test]
    fn pops_smallest_first() {
        let mut s = BitSet::new(100);
        for i in [64, 3, 99, 31, 32, 3] {
            s.insert(i);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [3, 31, 32, 64, 99]);
        assert_eq!(s.pop_first(), Some(3));
        s.insert(0);
        assert_eq!(s.pop_first(), Some(0));
        assert_eq!(s.pop_first(), Some(31));
        assert_eq!(s.pop_first(), Some(32));
        assert_eq!(s.pop_first(), Some(64));
        assert_eq!(s.pop_first(), Some(99));
        assert_eq!(s.pop_first(), None);
        assert_eq!(BitSet::new(0).pop_first(), None);
    }

    proptest! {
        /// Any run of inserts and pops gives what a BTreeSet gives.
        #[test]
        fn agrees_with_btreeset(ops in proptest::collection::vec(proptest::option::of(0usize..200), 0..300)) {
            let mut ours = BitSet::new(200);
            let mut theirs = BTreeSet::new();
            for op in ops {
                match op {
                    Some(i) => {
                        ours.insert(i);
                        theirs.insert(i);
                    }
                    None => prop_assert_eq!(ours.pop_first(), theirs.pop_first()),
                }
            }
            prop_assert!(ours.iter().eq(theirs.iter().copied()));
        }
    }
}
