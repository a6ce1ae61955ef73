//! The counting plugin's output (`hydra-qemu-icount`, format in its crate
//! documentation), read line by line into one [`Counts`] per APDU window.
//! Shared by the firmware session, which reads the file as it grows, and
//! by anything that reads a finished file (the C benchmarks).

use crate::profile::GroupCount;
use crate::Error;

type Result<T> = std::result::Result<T, Error>;

/// NVM writes of one APDU window, when the image names its NVM region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NvmCounts {
    /// Writes through the NVM driver.
    pub writes: u64,
    /// Bytes they stored.
    pub bytes: u64,
    /// Memory blocks they programmed (each block a write touches, once).
    pub blocks: u64,
}

impl NvmCounts {
    pub fn add(&mut self, o: &NvmCounts) {
        self.writes += o.writes;
        self.bytes += o.bytes;
        self.blocks += o.blocks;
    }
}

/// The card's check of one load file, as the plugin counted it between
/// the firmware's verification markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// Its place among the run's checks (from 0, in the order they ran).
    pub index: u64,
    /// Instructions executed by the check (parsing and linking excluded).
    pub instructions: u64,
    /// The verifier type-checked the load file (whatever its verdict);
    /// `false`: the check found it could not (no Descriptor component,
    /// or an import whose export data the card does not hold), and
    /// `instructions` is the cost of that finding alone.
    pub typed: bool,
}

/// Instruction counts of one APDU: the total and one count per bucket
/// (the last bucket, `other`, holds what no bucket claims).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub buckets: Vec<(String, u64)>,
    /// When profiling: bytecodes executed and the instructions from each
    /// dispatch to the next, per opcode group (see [`crate::profile::GROUPS`]).
    pub bytecodes: Vec<GroupCount>,
    /// With [`crate::Config::mix`]: executed instructions per class of the
    /// plugin's mix (`hydra_qemu_icount::mix::CLASSES`), by name.
    pub mix: Vec<(String, u64)>,
    /// NVM writes, when the image names its NVM region and write marker.
    pub nvm: Option<NvmCounts>,
    /// The checks of load files that ran inside this APDU (a LOAD), when
    /// the image has the verification markers; counted in `total` too.
    pub verify: Vec<Verification>,
}

impl Counts {
    /// The count of the bucket called `name` (0 if there is none).
    pub fn get(&self, name: &str) -> u64 {
        self.buckets
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |b| b.1)
    }
}

/// One window as the plugin wrote it: its counts (without `bytecodes`) and,
/// with `dispatch=`, the interpreter's arms: (address, dispatches,
/// instructions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub counts: Counts,
    pub arms: Vec<(u64, u64, u64)>,
}

/// The reader's state between lines: the header's names, what the
/// lines before the next `apdu` line said about its window, and the
/// checks of load files that ran outside any APDU window.
#[derive(Debug, Default)]
pub struct CountParser {
    names: Vec<String>,
    classes: Vec<String>,
    next: Window,
    outside: Vec<Verification>,
}

fn numbers(line: &str, words: std::str::SplitWhitespace<'_>) -> Result<Vec<u64>> {
    words
        .map(|w| match w.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => w.parse().ok(),
        })
        .collect::<Option<_>>()
        .ok_or_else(|| Error::Counts(format!("bad line `{line}`")))
}

impl CountParser {
    /// Reads one line; returns the window that an `apdu` line closes.
    pub fn line(&mut self, line: &str) -> Result<Option<Window>> {
        let bad = || Error::Counts(format!("bad line `{line}`"));
        let mut words = line.split_whitespace();
        match words.next() {
            Some("buckets") => self.names = words.map(str::to_string).collect(),
            Some("classes") => self.classes = words.map(str::to_string).collect(),
            Some("mix") => {
                let n = numbers(line, words)?;
                if n.len() != self.classes.len() + 1 {
                    return Err(bad());
                }
                self.next.counts.mix = self.classes.iter().cloned().zip(n[1..].to_vec()).collect();
            }
            Some("nvm") => match numbers(line, words)?.as_slice() {
                &[_, writes, bytes, blocks] => {
                    self.next.counts.nvm = Some(NvmCounts {
                        writes,
                        bytes,
                        blocks,
                    })
                }
                _ => return Err(bad()),
            },
            Some("verify") => {
                let n = numbers(line, words)?;
                let (index, instructions, typed, apdu) = match n.as_slice() {
                    [i, t, typed] => (*i, *t, *typed, None),
                    [i, t, typed, a] => (*i, *t, *typed, Some(*a)),
                    _ => return Err(bad()),
                };
                let typed = match typed {
                    0 => false,
                    1 => true,
                    _ => return Err(bad()),
                };
                let v = Verification {
                    index,
                    instructions,
                    typed,
                };
                match apdu {
                    Some(_) => self.next.counts.verify.push(v),
                    None => self.outside.push(v),
                }
            }
            Some("arm") => match numbers(line, words)?.as_slice() {
                &[arm, n, insns] => self.next.arms.push((arm, n, insns)),
                _ => return Err(bad()),
            },
            Some("apdu") => {
                let n = numbers(line, words)?;
                if n.len() != self.names.len() + 2 {
                    return Err(Error::Counts(format!(
                        "line `{line}` does not match buckets {:?}",
                        self.names
                    )));
                }
                let mut w = std::mem::take(&mut self.next);
                w.counts.total = n[1];
                w.counts.buckets = self.names.iter().cloned().zip(n[2..].to_vec()).collect();
                return Ok(Some(w));
            }
            _ => {}
        }
        Ok(None)
    }

    /// The checks of load files outside any APDU window (the factory
    /// image's, at boot) read since the last call.
    pub fn take_outside(&mut self) -> Vec<Verification> {
        std::mem::take(&mut self.outside)
    }

    /// Every window of a finished output.
    pub fn all(text: &str) -> Result<Vec<Window>> {
        let mut p = CountParser::default();
        let mut out = Vec::new();
        for line in text.lines() {
            if let Some(w) = p.line(line)? {
                out.push(w);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_windows_with_mix_and_nvm() {
        let text = "# hydra-icount 1\nbuckets interp other\nclasses loads stores\n\
                    mix 0 5 6\nnvm 0 2 10 3\napdu 0 100 60 40\n\
                    arm 0x1f0 3 30\napdu 1 50 50 0\nexit 999 900 99\n";
        let w = CountParser::all(text).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].counts.total, 100);
        assert_eq!(
            w[0].counts.buckets,
            [("interp".to_string(), 60), ("other".to_string(), 40)]
        );
        assert_eq!(
            w[0].counts.mix,
            [("loads".to_string(), 5), ("stores".to_string(), 6)]
        );
        assert_eq!(
            w[0].counts.nvm,
            Some(NvmCounts {
                writes: 2,
                bytes: 10,
                blocks: 3
            })
        );
        // What a window's lines said does not carry into the next.
        assert_eq!(w[1].counts.nvm, None);
        assert!(w[1].counts.mix.is_empty());
        assert_eq!(w[1].arms, [(0x1f0, 3, 30)]);
    }

    #[test]
    fn reads_verifications_at_boot_and_inside_windows() {
        let text = "# hydra-icount 1\nbuckets a other\nverify 0 8000 1\nverify 1 40 0\n\
                    apdu 0 10 5 5\nverify 2 9000 1 1\napdu 1 9500 9000 500\napdu 2 7 7 0\n";
        let mut p = CountParser::default();
        let mut windows = Vec::new();
        for line in text.lines() {
            if let Some(w) = p.line(line).unwrap() {
                windows.push(w);
            }
        }
        let at_boot = p.take_outside();
        assert_eq!(
            at_boot,
            [
                Verification {
                    index: 0,
                    instructions: 8000,
                    typed: true
                },
                Verification {
                    index: 1,
                    instructions: 40,
                    typed: false
                }
            ]
        );
        assert!(p.take_outside().is_empty());
        assert!(windows[0].counts.verify.is_empty());
        assert_eq!(
            windows[1].counts.verify,
            [Verification {
                index: 2,
                instructions: 9000,
                typed: true
            }]
        );
        assert!(windows[2].counts.verify.is_empty());
    }

    #[test]
    fn refuses_bad_lines() {
        for text in [
            "buckets a other\napdu 0 1 2\n",
            "classes x\nmix 0 1 2\n",
            "nvm 0 1 2\n",
            "arm zz 1 2\n",
            "verify 0 10\n",
            "verify 0 10 2\n",
            "verify 0 10 1 3 4\n",
        ] {
            assert!(CountParser::all(text).is_err(), "{text:?}");
        }
    }
}
