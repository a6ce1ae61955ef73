//! The code buffer: instructions, labels and literal loads in order, laid
//! out with branch relaxation and literal-pool islands (the design of
//! Cranelift's `machinst/buffer.rs`, written for Thumb-2's reaches).
//!
//! - Branches start in their short forms (`b.n` ±2 KiB, `b<c>.n` ±256 B,
//!   `cbz`/`cbnz` 0..126 B forward) and are widened (`b.w`, `b<c>.w`,
//!   `cmp #0` + `b<c>`) when layout finds their label out of reach; layout
//!   repeats until nothing grows, which terminates because sizes only grow.
//! - Each literal load (`ldr.w rt, [pc, #imm12]`) has a deadline: its
//!   constant must sit within 4095 bytes of `Align(pc, 4)`. Pending
//!   constants are placed in an island before the first deadline would be
//!   missed (with a `b.w` around it when code falls through), after an
//!   unconditional branch once they have waited long, and at the end of the
//!   function. Equal constants of one island share a word.

use std::collections::HashMap;

use super::inst::*;

#[derive(Debug, Clone)]
pub enum Item {
    Label(Label),
    Inst(Inst),
    /// `b` / `b<c>` (the `wide` field is decided by layout).
    Branch(Inst),
    /// `cbz`/`cbnz rn, label`, or `cmp rn, #0; b<eq|ne> label` when out of reach.
    ZeroBranch {
        nz: bool,
        rn: Reg,
        label: Label,
    },
    /// `ldr.w rt, =value`.
    Lit {
        rt: Reg,
        value: u32,
    },
}

/// A placed island: its offset, whether a branch jumps over it, and its words.
#[derive(Debug, Clone)]
struct Island {
    /// Index of the item the island precedes (items.len(): the end).
    before: usize,
    jump: bool,
    values: Vec<u32>,
}

#[derive(Debug, Default)]
pub struct Buffer {
    pub items: Vec<Item>,
    next_label: u32,
}

/// The laid-out code.
#[derive(Debug, Clone)]
pub struct Finished {
    pub code: Vec<u8>,
    /// (offset, text) per instruction, labels as `name:` lines.
    pub listing: Vec<(Option<u32>, String)>,
    /// Offsets of literal-pool data (`$d` mapping symbols) and of the code
    /// that follows each (`$t`).
    pub data_ranges: Vec<(u32, u32)>,
}

struct Layout {
    at: Vec<u32>,
    labels: HashMap<Label, u32>,
    islands: Vec<(Island, u32)>,
    /// Per literal item: the offset of its word.
    lit_at: HashMap<usize, u32>,
    size: u32,
}

fn terminal(item: &Item) -> bool {
    match item {
        Item::Branch(Inst::B { .. }) => true,
        Item::Inst(Inst::Bx { .. } | Inst::Udf { .. }) => true,
        Item::Inst(Inst::Pop { regs }) => regs.contains(PC),
        _ => false,
    }
}

impl Buffer {
    pub fn new() -> Buffer {
        Buffer::default()
    }

    pub fn label(&mut self) -> Label {
        self.next_label += 1;
        Label(self.next_label - 1)
    }

    pub fn reserve_labels(&mut self, n: u32) {
        self.next_label = self.next_label.max(n);
    }

    pub fn push(&mut self, i: Inst) {
        match i {
            Inst::B { .. } | Inst::BCond { .. } => self.items.push(Item::Branch(i)),
            _ => self.items.push(Item::Inst(i)),
        }
    }

    pub fn bind(&mut self, l: Label) {
        self.items.push(Item::Label(l));
    }

    /// Size of `item` in form `long` (0 shortest; 1, 2 longer forms).
    fn size(item: &Item, long: u8) -> u32 {
        let long = long as u32;
        match item {
            Item::Label(_) => 0,
            Item::Inst(i) => i.size(),
            Item::Branch(_) => 2 + 2 * long.min(1),
            // cbz; cmp + b<c>.n; cmp + b<c>.w
            Item::ZeroBranch { .. } => [2, 4, 6][long as usize],
            Item::Lit { .. } => 4,
        }
    }

    fn layout(&self, long: &[u8]) -> Layout {
        let mut l = Layout {
            at: Vec::with_capacity(self.items.len()),
            labels: HashMap::new(),
            islands: Vec::new(),
            lit_at: HashMap::new(),
            size: 0,
        };
        let mut off = 0u32;
        // Pending constants: (value, base of the first load, loads).
        let mut pending: Vec<(u32, u32, Vec<usize>)> = Vec::new();
        let flush = |off: &mut u32,
                     pending: &mut Vec<(u32, u32, Vec<usize>)>,
                     l: &mut Layout,
                     before: usize,
                     jump: bool| {
            if pending.is_empty() {
                return;
            }
            let island_at = *off;
            if jump {
                *off += 4;
            }
            let start = off.next_multiple_of(4);
            let mut values = Vec::new();
            for (k, (v, _, users)) in pending.iter().enumerate() {
                for &u in users {
                    l.lit_at.insert(u, start + 4 * k as u32);
                }
                values.push(*v);
            }
            l.islands.push((
                Island {
                    before,
                    jump,
                    values,
                },
                island_at,
            ));
            *off = start + 4 * pending.len() as u32;
            pending.clear();
        };
        let mut prev_terminal = false;
        for (i, item) in self.items.iter().enumerate() {
            let size = Self::size(item, long[i]);
            if let Some(first) = pending.first() {
                let new = match item {
                    Item::Lit { value, .. } => !pending.iter().any(|p| p.0 == *value),
                    _ => false,
                };
                let n = pending.len() as u32 + u32::from(new);
                let start = (off + size + 4).next_multiple_of(4);
                let last = start + 4 * (n - 1);
                if last - first.1 > 4000 {
                    flush(&mut off, &mut pending, &mut l, i, !prev_terminal);
                } else if prev_terminal && off - first.1 > 2048 {
                    flush(&mut off, &mut pending, &mut l, i, false);
                }
            }
            l.at.push(off);
            if let Item::Label(lab) = item {
                l.labels.insert(*lab, off);
            }
            if let Item::Lit { value, .. } = item {
                let base = (off + 4) & !3;
                match pending.iter_mut().find(|p| p.0 == *value) {
                    Some(p) => p.2.push(i),
                    None => pending.push((*value, base, vec![i])),
                }
            }
            off += size;
            if size > 0 {
                prev_terminal = terminal(item);
            }
        }
        let n = self.items.len();
        flush(&mut off, &mut pending, &mut l, n, !prev_terminal);
        l.size = off;
        l
    }

    /// Lays out, relaxes and encodes.
    pub fn finish(&self, label_name: &dyn Fn(Label) -> String) -> Result<Finished, String> {
        let mut long = vec![0u8; self.items.len()];
        let layout = loop {
            let l = self.layout(&long);
            let mut grew = false;
            for (i, item) in self.items.iter().enumerate() {
                let at = l.at[i];
                let (ok, widest) = match item {
                    Item::Branch(b) => {
                        let t = l.labels[&b.label().expect("branch")];
                        (widen(b, long[i] > 0).encode(at, t).is_ok(), 1)
                    }
                    Item::ZeroBranch { rn, label, nz } => {
                        let t = l.labels[label];
                        let ok = match long[i] {
                            0 => (Inst::Cbz {
                                nz: *nz,
                                rn: *rn,
                                label: *label,
                            })
                            .encode(at, t)
                            .is_ok(),
                            1 => (Inst::BCond {
                                cond: Cond::Eq,
                                label: *label,
                                wide: false,
                            })
                            .encode(at + 2, t)
                            .is_ok(),
                            _ => true,
                        };
                        (ok, 2)
                    }
                    _ => (true, 0),
                };
                if !ok {
                    if long[i] >= widest {
                        return Err("a branch is out of range of every form".into());
                    }
                    long[i] += 1;
                    grew = true;
                }
            }
            if !grew {
                break l;
            }
        };
        let mut code = Vec::with_capacity(layout.size as usize);
        let mut listing = Vec::new();
        let mut data_ranges = Vec::new();
        let mut islands = layout.islands.iter().peekable();
        let pad = |code: &mut Vec<u8>, to: u32| {
            while (code.len() as u32) < to {
                code.extend_from_slice(&0xBF00u16.to_le_bytes());
            }
        };
        let put = |code: &mut Vec<u8>,
                   listing: &mut Vec<(Option<u32>, String)>,
                   inst: &Inst,
                   target: u32,
                   note: String|
         -> Result<(), String> {
            let at = code.len() as u32;
            let e = inst
                .encode(at, target)
                .map_err(|_| format!("{inst:?} at {at:#x} cannot reach {target:#x}"))?;
            code.extend(e.bytes());
            listing.push((Some(at), format!("{}{note}", inst.text(at, target))));
            Ok(())
        };
        #[allow(clippy::needless_range_loop)] // islands sit between items, at i == len too
        for i in 0..=self.items.len() {
            while let Some((isl, at)) = islands.peek().filter(|(isl, _)| isl.before == i) {
                pad(&mut code, *at);
                if isl.jump {
                    let over = (at + 4).next_multiple_of(4) + 4 * isl.values.len() as u32;
                    put(
                        &mut code,
                        &mut listing,
                        &Inst::B {
                            label: Label(u32::MAX),
                            wide: true,
                        },
                        over,
                        " ; over the literal pool".into(),
                    )?;
                }
                let start = (code.len() as u32).next_multiple_of(4);
                pad(&mut code, start);
                data_ranges.push((start, start + 4 * isl.values.len() as u32));
                for v in &isl.values {
                    listing.push((Some(code.len() as u32), format!(".word {v:#010x}")));
                    code.extend_from_slice(&v.to_le_bytes());
                }
                islands.next();
            }
            let Some(item) = self.items.get(i) else { break };
            pad(&mut code, layout.at[i]);
            debug_assert_eq!(code.len() as u32, layout.at[i]);
            match item {
                Item::Label(l) => listing.push((None, format!("{}:", label_name(*l)))),
                Item::Inst(inst) => put(&mut code, &mut listing, inst, 0, String::new())?,
                Item::Branch(b) => {
                    let lab = b.label().expect("branch");
                    let t = layout.labels[&lab];
                    put(
                        &mut code,
                        &mut listing,
                        &widen(b, long[i] > 0),
                        t,
                        format!(" ; {}", label_name(lab)),
                    )?
                }
                Item::ZeroBranch { nz, rn, label } => {
                    let t = layout.labels[label];
                    let note = format!(" ; {}", label_name(*label));
                    if long[i] > 0 {
                        let cond = if *nz { Cond::Ne } else { Cond::Eq };
                        put(
                            &mut code,
                            &mut listing,
                            &Inst::CmpImm {
                                rn: *rn,
                                imm: ModImm::maybe_from_u32(0).expect("0"),
                            },
                            0,
                            String::new(),
                        )?;
                        let b = Inst::BCond {
                            cond,
                            label: *label,
                            wide: long[i] > 1,
                        };
                        put(&mut code, &mut listing, &b, t, note)?;
                    } else {
                        put(
                            &mut code,
                            &mut listing,
                            &Inst::Cbz {
                                nz: *nz,
                                rn: *rn,
                                label: *label,
                            },
                            t,
                            note,
                        )?;
                    }
                }
                Item::Lit { rt, value } => {
                    let t = layout.lit_at[&i];
                    put(
                        &mut code,
                        &mut listing,
                        &Inst::LdrLit {
                            rt: *rt,
                            label: Label(u32::MAX),
                        },
                        t,
                        format!(" ; ={value:#x}"),
                    )?;
                }
            }
        }
        Ok(Finished {
            code,
            listing,
            data_ranges,
        })
    }
}

fn widen(b: &Inst, long: bool) -> Inst {
    match *b {
        Inst::B { label, .. } => Inst::B { label, wide: long },
        Inst::BCond { cond, label, .. } => Inst::BCond {
            cond,
            label,
            wide: long,
        },
        ref other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_branches_widen_when_far() {
        let mut b = Buffer::new();
        let l = b.label();
        b.push(Inst::BCond {
            cond: Cond::Eq,
            label: l,
            wide: false,
        });
        b.items.push(Item::ZeroBranch {
            nz: false,
            rn: R0,
            label: l,
        });
        for _ in 0..200 {
            b.push(Inst::Nop);
        }
        b.bind(l);
        b.push(Inst::Bx { rm: LR });
        let f = b.finish(&|l| format!("L{}", l.0)).unwrap();
        // beq.w (4) + cmp/beq.w (2 + 4) + 200 nops + bx.
        assert_eq!(f.code.len(), 4 + 6 + 400 + 2);
        assert!(f.listing[0].1.starts_with("beq.w"));
    }

    #[test]
    fn literal_pools_are_placed_before_their_deadline() {
        let mut b = Buffer::new();
        b.items.push(Item::Lit {
            rt: R0,
            value: 0x1234_5678,
        });
        b.items.push(Item::Lit {
            rt: R1,
            value: 0x1234_5678,
        });
        for _ in 0..3000 {
            b.push(Inst::Nop);
        }
        b.push(Inst::Bx { rm: LR });
        let f = b.finish(&|l| format!("L{}", l.0)).unwrap();
        // One shared word, in an island jumped over, within reach.
        assert_eq!(f.data_ranges.len(), 1);
        let (start, end) = f.data_ranges[0];
        assert_eq!(end - start, 4);
        assert!(start < 4100);
        assert_eq!(
            &f.code[start as usize..end as usize],
            &0x1234_5678u32.to_le_bytes()
        );
        assert!(f
            .listing
            .iter()
            .any(|l| l.1.contains("over the literal pool")));
    }
}
