//! The firmware's heap figures, as it reports them after each APDU window.

/// The heap over a session's APDUs, from what the firmware printed after
/// each APDU window (`hydra heap peak N from M`: the most bytes allocated
/// at once in the window, and the bytes allocated as it began).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapFigures {
    /// Allocated when the first APDU began: what boot, loading and
    /// installing left in use.
    pub after_boot: u64,
    /// The most allocated at once during any APDU.
    pub peak: u64,
}

/// The heap figures in QEMU's output; None when the firmware printed none.
pub fn heap_figures(output: &str) -> Option<HeapFigures> {
    let mut windows = output.lines().filter_map(|l| {
        let rest = l.trim().strip_prefix("hydra heap peak ")?;
        let (peak, from) = rest.split_once(" from ")?;
        Some((peak.parse::<u64>().ok()?, from.parse::<u64>().ok()?))
    });
    let (peak, after_boot) = windows.next()?;
    Some(HeapFigures {
        after_boot,
        peak: windows.fold(peak, |m, (p, _)| m.max(p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_figures_take_the_first_start_and_the_highest_peak() {
        let out = "boot\nhydra heap peak 900 from 800\nhydra heap peak 1500 from 810\nhydra heap peak 1200 from 820\n";
        assert_eq!(
            heap_figures(out),
            Some(HeapFigures {
                after_boot: 800,
                peak: 1500
            })
        );
        assert_eq!(heap_figures("hydra heap peak x from 1\n"), None);
        assert_eq!(heap_figures(""), None);
    }
}
