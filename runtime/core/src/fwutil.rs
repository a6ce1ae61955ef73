//! `javacardx.framework.util` (ArrayLogic, UtilException) and
//! `javacardx.framework.util.intx` (JCint), JC 3.0.5: array operations on
//! byte, short and int arrays as big-endian bytes, and int helpers.

use alloc::vec::Vec;

use crate::api_tables::{tok, UTIL};
use crate::card::Card;
use crate::heap::*;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// UtilException reasons.
pub const ILLEGAL_VALUE: u16 = 1;
pub const TYPE_MISMATCHED: u16 = 2;
/// UtilException's class token in javacardx.framework.util.
pub const UTIL_EXCEPTION: u8 = 1;

/// One native of ArrayLogic or JCint (`api::Native::Util`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// arrayCopyRepack / arrayCopyRepackNonAtomic.
    CopyRepack {
        atomic: bool,
    },
    /// arrayFillGeneric / arrayFillGenericNonAtomic.
    FillGeneric {
        atomic: bool,
    },
    CompareGeneric,
    FindGeneric,
    UtilThrowIt,
    MakeIntBytes,
    MakeIntShorts,
    GetInt,
    SetInt,
    MakeTransientIntArray,
}

impl Op {
    /// Argument words (an int takes two).
    pub fn nargs(self) -> u8 {
        match self {
            Op::UtilThrowIt => 1,
            Op::MakeIntShorts | Op::GetInt | Op::MakeTransientIntArray => 2,
            Op::FindGeneric | Op::MakeIntBytes | Op::SetInt => 4,
            Op::CopyRepack { .. } | Op::FillGeneric { .. } | Op::CompareGeneric => 5,
        }
    }
}

/// Bytes per component of the arrays ArrayLogic works on: byte, short and
/// int arrays only (boolean and reference arrays are not "primitive
/// components" in its sense).
fn component_size(kind: u8) -> Option<u32> {
    match kind {
        K_BYTE => Some(1),
        K_SHORT => Some(2),
        K_INT => Some(4),
        _ => None,
    }
}

/// Signed big-endian value of one component.
fn component(b: &[u8]) -> i32 {
    match *b {
        [x] => i32::from(x as i8),
        [h, l] => i32::from(i16::from_be_bytes([h, l])),
        [a, b, c, d] => i32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

impl<N: Nvm> Card<N> {
    fn util_exc(&mut self, reason: u16) -> Exc {
        self.api_exception(UTIL, UTIL_EXCEPTION, reason)
    }

    /// An array ArrayLogic accepts, and its component size.
    fn primitive_array(&mut self, r: Ref) -> Result<(Obj, u32), Exc> {
        if r == NULL {
            return Err(self.npe());
        }
        let o = self.access(r)?;
        if !o.is_array() {
            return Err(self.util_exc(ILLEGAL_VALUE));
        }
        match component_size(o.kind) {
            Some(n) => Ok((o, n)),
            None => Err(self.util_exc(ILLEGAL_VALUE)),
        }
    }

    fn put_int(&mut self, base: usize, v: i32) -> usize {
        let [a, b, c, d] = v.to_be_bytes();
        self.stack[base] = i16::from_be_bytes([a, b]);
        self.stack[base + 1] = i16::from_be_bytes([c, d]);
        2
    }

    pub(crate) fn util_native(&mut self, op: Op, base: usize) -> Result<usize, Exc> {
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        let oob = |c: &Self| c.vm_exc(tok::ARRAY_INDEX_OOB);
        match op {
            Op::CopyRepack { atomic } => {
                let (src, soff, slen, dst, doff) = (a0 as Ref, a1, a2, a3 as Ref, a4);
                if src == NULL || dst == NULL {
                    return Err(self.npe());
                }
                let (so, ss) = self.primitive_array(src)?;
                let (d, ds) = self.primitive_array(dst)?;
                if soff < 0 || slen < 0 || doff < 0 {
                    return Err(oob(self));
                }
                let n = slen as u32 * ss;
                if !n.is_multiple_of(ds) {
                    return Err(self.util_exc(ILLEGAL_VALUE));
                }
                let dn = n / ds;
                if soff as u32 + slen as u32 > u32::from(so.len)
                    || doff as u32 + dn > u32::from(d.len)
                {
                    return Err(oob(self));
                }
                let at = soff as usize * ss as usize;
                let bytes = self.store.data(&so)[at..at + n as usize].to_vec();
                self.write_array(&d, doff as u32 * ds, &bytes, atomic)?;
                Ok(self.ret1(base, doff.wrapping_add(dn as i16)))
            }
            Op::FillGeneric { atomic } => {
                let (arr, off, len, val, voff) = (a0 as Ref, a1, a2, a3 as Ref, a4);
                if arr == NULL || val == NULL {
                    return Err(self.npe());
                }
                let (o, size) = self.primitive_array(arr)?;
                let (v, _) = self.primitive_array(val)?;
                if v.kind != o.kind {
                    return Err(self.util_exc(TYPE_MISMATCHED));
                }
                if off < 0 || len < 0 || voff < 0 {
                    return Err(oob(self));
                }
                if off as u32 + len as u32 > u32::from(o.len) || voff as u32 >= u32::from(v.len) {
                    return Err(oob(self));
                }
                let at = voff as usize * size as usize;
                let one = self.store.data(&v)[at..at + size as usize].to_vec();
                let bytes: Vec<u8> = one
                    .iter()
                    .copied()
                    .cycle()
                    .take(len as usize * size as usize)
                    .collect();
                self.write_array(&o, off as u32 * size, &bytes, atomic)?;
                Ok(self.ret1(base, off.wrapping_add(len)))
            }
            Op::CompareGeneric => {
                let (src, soff, dst, doff, len) = (a0 as Ref, a1, a2 as Ref, a3, a4);
                if src == NULL || dst == NULL {
                    return Err(self.npe());
                }
                let (so, size) = self.primitive_array(src)?;
                let (d, _) = self.primitive_array(dst)?;
                if d.kind != so.kind {
                    return Err(self.util_exc(TYPE_MISMATCHED));
                }
                if soff < 0 || doff < 0 || len < 0 {
                    return Err(oob(self));
                }
                if soff as u32 + len as u32 > u32::from(so.len)
                    || doff as u32 + len as u32 > u32::from(d.len)
                {
                    return Err(oob(self));
                }
                let (sz, n) = (size as usize, len as usize * size as usize);
                let x = &self.store.data(&so)[soff as usize * sz..soff as usize * sz + n];
                let y = &self.store.data(&d)[doff as usize * sz..doff as usize * sz + n];
                let r = x
                    .chunks(sz)
                    .zip(y.chunks(sz))
                    .map(|(p, q)| component(p).cmp(&component(q)))
                    .find(|o| o.is_ne())
                    .map_or(0, |o| o as i16);
                Ok(self.ret1(base, r))
            }
            Op::FindGeneric => {
                let (arr, off, val, voff) = (a0 as Ref, a1, a2 as Ref, a3);
                if arr == NULL || val == NULL {
                    return Err(self.npe());
                }
                let (o, size) = self.primitive_array(arr)?;
                if off < 0 || voff < 0 || off as u32 > u32::from(o.len) {
                    return Err(oob(self));
                }
                let vo = self.byte_range(val, voff, size as i16)?;
                let at = voff as usize;
                let want = self.store.data(&vo)[at..at + size as usize].to_vec();
                let data = &self.store.data(&o)[off as usize * size as usize..];
                let r = data
                    .chunks(size as usize)
                    .position(|c| c == &want[..])
                    .map_or(-1, |i| off + i as i16);
                Ok(self.ret1(base, r))
            }
            Op::UtilThrowIt => Err(self.util_exc(a0 as u16)),
            Op::MakeIntBytes => {
                let v = i32::from_be_bytes([a0 as u8, a1 as u8, a2 as u8, a3 as u8]);
                Ok(self.put_int(base, v))
            }
            Op::MakeIntShorts => {
                let [h0, h1] = a0.to_be_bytes();
                let [l0, l1] = a1.to_be_bytes();
                Ok(self.put_int(base, i32::from_be_bytes([h0, h1, l0, l1])))
            }
            Op::GetInt => {
                if a0 == 0 {
                    return Err(self.npe());
                }
                let o = self.byte_range(a0 as Ref, a1, 4)?;
                let at = a1 as usize;
                let d = &self.store.data(&o)[at..at + 4];
                let v = i32::from_be_bytes([d[0], d[1], d[2], d[3]]);
                Ok(self.put_int(base, v))
            }
            Op::SetInt => {
                if a0 == 0 {
                    return Err(self.npe());
                }
                let o = self.byte_range(a0 as Ref, a1, 4)?;
                let [h0, h1] = a2.to_be_bytes();
                let [l0, l1] = a3.to_be_bytes();
                self.write_array(&o, a1 as u32, &[h0, h1, l0, l1], true)?;
                Ok(self.ret1(base, a1.wrapping_add(4)))
            }
            Op::MakeTransientIntArray => self.transient_array(base, K_INT, crate::class::NO_CLASS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{reason, Native};
    use crate::card::Config;
    use crate::class::NO_CLASS;
    use crate::nvm::RamNvm;

    /// Runs `op` with `args` on the operand stack, in the JCRE's context.
    fn call(card: &mut Card<RamNvm>, op: Op, args: &[i16]) -> Result<i16, Exc> {
        card.stack[..args.len()].copy_from_slice(args);
        card.sp_top = args.len();
        card.native(Native::Util(op), 0).map(|_| card.stack[0])
    }

    /// An atomic fill larger than the commit capacity throws
    /// TransactionException.BUFFER_FULL and writes nothing; the non-atomic
    /// fill of the same array is not bound by it.
    #[test]
    fn a_fill_beyond_the_commit_capacity_changes_nothing() {
        let mut card = Card::boot(RamNvm::new(256 * 1024), Config::default()).unwrap();
        let n = 12_000u16;
        let arr = card.store.alloc(K_SHORT, 0, 0, NO_CLASS, n).unwrap();
        let val = card.store.alloc(K_SHORT, 0, 0, NO_CLASS, 1).unwrap();
        let vo = *card.store.obj(val).unwrap();
        card.store.write(&vo, 0, &[0x12, 0x34], false).unwrap();
        let args = [arr as i16, 0, n as i16, val as i16, 0];
        let e = call(&mut card, Op::FillGeneric { atomic: true }, &args).unwrap_err();
        let Exc::Throw(r) = e else { panic!("{e:?}") };
        let txn = card.api_class(crate::api_tables::FW, tok::TRANSACTION_EXCEPTION);
        assert_eq!(card.store.obj(r).unwrap().class, txn);
        assert_eq!(card.cell(r, 0) as u16, reason::TXN_BUFFER_FULL);
        let ao = *card.store.obj(arr).unwrap();
        assert!(card.store.data(&ao).iter().all(|&b| b == 0));
        let end = call(&mut card, Op::FillGeneric { atomic: false }, &args).unwrap();
        assert_eq!(end, n as i16);
        assert!(card.store.data(&ao).chunks(2).all(|c| c == [0x12, 0x34]));
    }

    #[test]
    fn repacking_and_comparing_follow_the_component_sizes() {
        let mut card = Card::boot(RamNvm::new(256 * 1024), Config::default()).unwrap();
        let bytes = card.store.alloc(K_BYTE, 0, 0, NO_CLASS, 8).unwrap();
        let ints = card.store.alloc(K_INT, 0, 0, NO_CLASS, 2).unwrap();
        let bo = *card.store.obj(bytes).unwrap();
        card.store
            .write(&bo, 0, &[0x80, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF], false)
            .unwrap();
        let end = call(
            &mut card,
            Op::CopyRepack { atomic: true },
            &[bytes as i16, 0, 8, ints as i16, 0],
        )
        .unwrap();
        assert_eq!(end, 2);
        // int 0x80000001 < 0x7FFFFFFF as signed ints.
        let cmp = call(
            &mut card,
            Op::CompareGeneric,
            &[ints as i16, 0, ints as i16, 1, 1],
        )
        .unwrap();
        assert_eq!(cmp, -1);
        // Six bytes are no whole number of ints.
        let e = call(
            &mut card,
            Op::CopyRepack { atomic: false },
            &[bytes as i16, 0, 6, ints as i16, 0],
        )
        .unwrap_err();
        let Exc::Throw(r) = e else { panic!("{e:?}") };
        assert_eq!(card.cell(r, 0) as u16, ILLEGAL_VALUE);
    }
}
