//! The negative corpus: named, reproducible mutations of valid conformance
//! CAPs, each expected to be rejected with a specific error.
//!
//! Each mutation edits the parsed CAP (bytecode, constant pool,
//! descriptors, handlers, headers, ...) and writes it back with
//! `CapArchive::write_with`. The produced files are committed in
//! `conformance/verifier/` (with `MANIFEST.tsv`: name, category, expected
//! error, the verifier's first matching line) so other tools — Oracle's
//! `verifycap`, the card loader — can be run on the same files; this test
//! regenerates every file and requires it to be byte-identical to the
//! committed one. `BLESS=1 cargo test -p hydra-verify --test corpus`
//! rewrites the folder.
//!
//! Several entries reproduce published logical attacks on Java Card:
//! byte[]/short[] and object/array type confusion, reference forging from a
//! short, removed checkcast (Mostowski and Poll, 2008); an unlisted
//! ReferenceLocation entry so a token is used as a raw address (EMAN1); a
//! local-variable write past the frame to reach the return address
//! (EMAN2); forged exception handlers and jumps (Bouffard and Lanet).

mod common;

use std::fmt::Write as _;

use common::mutate::*;
use hydra_cap::bytecode::{Opcode as O, Operands};
use hydra_cap::component::{CpEntry, ExceptionHandler, FieldType};
use hydra_cap::container::parse_bytes;
use hydra_cap::{Aid, CapFile, ClassRef, StaticRef};
use hydra_verify::{Resolved, Universe};

const A: &str = "3.0.5-debug/arrays.cap";
const OB: &str = "3.0.5-debug/objects.cap";
const R: &str = "3.0.5-debug/arith.cap";
const A23: &str = "3.2.0-debug/arrays.cap";

struct M {
    name: &'static str,
    cat: &'static str,
    base: &'static str,
    expect: &'static str,
    contains: &'static str,
    f: fn(&mut CapFile) -> Res,
}

/// The universe of the (unmutated) CAP, to find constant-pool entries by meaning.
fn universe(cap: &CapFile) -> Universe {
    hydra_verify::analyze(cap, &common::api()).0.universe
}

/// Index of the constant-pool entry whose resolution satisfies `pred`.
fn cpu(cap: &CapFile, pred: impl Fn(&Universe, Resolved) -> bool) -> Res<u16> {
    let u = universe(cap);
    u.cp.iter()
        .position(|r| pred(&u, *r))
        .map(|i| i as u16)
        .ok_or("no such constant-pool entry".into())
}

/// A method reference by label (e.g. `Util.setShort(`).
fn cpm(cap: &CapFile, label: &str) -> Res<u16> {
    cpu(cap, |u, r| match r {
        Resolved::VirtualMethod(m) | Resolved::StaticMethod(m) | Resolved::SuperMethod(m) => {
            u.method_label(m).contains(label)
        }
        _ => false,
    })
    .map_err(|_| format!("no method ref {label}"))
}

/// A classref by class name suffix (`/Item`).
fn cpc(cap: &CapFile, name: &str) -> Res<u16> {
    cpu(
        cap,
        |u, r| matches!(r, Resolved::Class(c) if u.class_name(c).ends_with(name)),
    )
    .map_err(|_| format!("no classref {name}"))
}

/// An instance fieldref by owner class suffix and type description.
fn cpf(cap: &CapFile, owner: &str, ty: &str) -> Res<u16> {
    cpu(cap, |u, r| match r {
        Resolved::InstanceField(f) => {
            let fd = u.field(f);
            u.class_name(fd.class).ends_with(owner) && fd.ty.describe(u) == ty
        }
        _ => false,
    })
    .map_err(|_| format!("no field ref {owner} {ty}"))
}

fn hi(i: u16) -> u8 {
    (i >> 8) as u8
}
fn lo(i: u16) -> u8 {
    i as u8
}

/// Replaces the body of `method` in the CAP.
fn body(c: &mut CapFile, method: &str, stack: u8, locals: u8, code: &[u8]) -> Res {
    let o = common::mutate::method(c, method)?;
    set_body(c, o, stack, locals, code)
}

/// byteArray([BS)S, static: local 0 byte[], local 1 short, locals 2.. free.
fn ba(c: &mut CapFile, stack: u8, code: &[u8]) -> Res {
    body(c, "byteArray", stack, 2, code)
}

/// index([BBB)S, virtual: 0 this, 1 byte[], 2 short, 3 short.
fn ix(c: &mut CapFile, stack: u8, code: &[u8]) -> Res {
    body(c, "index", stack, 2, code)
}

fn hdr(c: &mut CapFile, m: &str, f: impl FnOnce(&mut hydra_cap::component::MethodHeader)) -> Res {
    let o = common::mutate::method(c, m)?;
    f(header(c, o));
    fix(c);
    Ok(())
}

/// The handler list index of the first handler of method `m`.
fn handler_of(c: &CapFile, m: &str) -> Res<usize> {
    let o = common::mutate::method(c, m)?;
    let info = c.method.method_at(o).ok_or("method")?;
    let start = info.code_offset();
    let end = start + info.bytecode.len() as u16;
    c.method
        .handlers
        .iter()
        .position(|h| h.start_offset >= start && h.start_offset < end)
        .ok_or(format!("{m} has no handler"))
}

fn code_offset(c: &CapFile, m: &str) -> Res<u16> {
    let o = common::mutate::method(c, m)?;
    Ok(c.method.method_at(o).ok_or("method")?.code_offset())
}

/// A pc inside (not at the start of) a multi-byte instruction of `m`.
fn mid_pc(c: &CapFile, m: &str) -> Res<u16> {
    let o = common::mutate::method(c, m)?;
    insns(c, o)
        .iter()
        .find(|i| i.len > 1)
        .map(|i| i.pc + 1)
        .ok_or("no multi-byte instruction".into())
}

/// Moves the first branch of `m` so it lands inside another instruction.
fn branch_into_middle(c: &mut CapFile, m: &str) -> Res {
    let o = common::mutate::method(c, m)?;
    let is = insns(c, o);
    let starts: Vec<u16> = is.iter().map(|i| i.pc).collect();
    let b = is
        .iter()
        .find(|i| matches!(i.operands, Operands::Branch(_)))
        .ok_or("no branch")?;
    let Operands::Branch(off) = b.operands else {
        unreachable!()
    };
    let len = c.method.method_at(o).unwrap().bytecode.len() as i32;
    for d in [1i32, -1, 2, -2, 3, 4] {
        let t = i32::from(b.pc) + i32::from(off) + d;
        if t > 0 && t < len && !starts.contains(&(t as u16)) {
            let new = (i32::from(off) + d) as i16;
            let wide = b.len == 3;
            let bytes: Vec<u8> = if wide {
                new.to_be_bytes().to_vec()
            } else {
                if !(-128..=127).contains(&new) {
                    continue;
                }
                vec![new as i8 as u8]
            };
            return patch(c, o, b.pc + 1, &bytes);
        }
    }
    Err("no mid-instruction target".into())
}

/// Cuts `m` inside its last multi-byte instruction.
fn truncate(c: &mut CapFile, m: &str) -> Res {
    let o = common::mutate::method(c, m)?;
    let last = insns(c, o)
        .into_iter()
        .rfind(|i| i.len > 1)
        .ok_or("no multi-byte insn")?;
    code(c, o).truncate(usize::from(last.pc) + 1);
    relayout(c);
    Ok(())
}

fn max_stack_lie(c: &mut CapFile, m: &str) -> Res {
    hdr(c, m, |h| h.max_stack -= 1)
}

fn max_locals_lie(c: &mut CapFile, m: &str) -> Res {
    hdr(c, m, |h| h.max_locals -= 1)
}

/// Drops the `k`-th two-byte reference location of method `m`.
fn unlist(c: &mut CapFile, m: &str, k: usize) -> Res {
    let o = common::mutate::method(c, m)?;
    let info = c.method.method_at(o).unwrap();
    let (s, e) = (
        info.code_offset(),
        info.code_offset() + info.bytecode.len() as u16,
    );
    let l = &mut c.reference_location.byte2_index_offsets;
    let hits: Vec<usize> = l
        .iter()
        .enumerate()
        .filter(|(_, x)| **x >= s && **x < e)
        .map(|(i, _)| i)
        .collect();
    let i = *hits.get(k).ok_or("no such reference location")?;
    l.remove(i);
    fix_directory(c);
    Ok(())
}

fn set_super(c: &mut CapFile, class_name: &str, sup: &str) -> Res {
    let co = class(c, class_name)?;
    let so = class(c, sup)?;
    for e in &mut c.class.entries {
        if let hydra_cap::component::ClassEntry::Class(ci) = e {
            if ci.offset == co {
                ci.super_class = Some(ClassRef::Internal(so));
                return Ok(());
            }
        }
    }
    Err("no class".into())
}

macro_rules! m {
    ($name:literal, $cat:literal, $base:expr, $expect:literal, $contains:literal, $f:expr) => {
        M {
            name: $name,
            cat: $cat,
            base: $base,
            expect: $expect,
            contains: $contains,
            f: $f,
        }
    };
}

fn mutations() -> Vec<M> {
    const SL1: u8 = O::SLOAD_1.0;
    const SL2: u8 = O::SLOAD_2.0;
    const AL0: u8 = O::ALOAD_0.0;
    const AL1: u8 = O::ALOAD_1.0;
    const S0: u8 = O::SCONST_0.0;
    const S1: u8 = O::SCONST_1.0;
    const SRET: u8 = O::SRETURN.0;
    const POP: u8 = O::POP.0;
    let mut v = vec![
        // ---- type confusion ----
        m!("tc-short-as-byte-array", "type confusion", A, "TypeMismatch", "baload: expected byte[] or boolean[], found short", |c| ba(c, 3, &[SL1, S0, O::BALOAD.0, SRET])),
        m!("tc-array-returned-as-short", "type confusion", A, "TypeMismatch", "sreturn: expected short, found byte[]", |c| ba(c, 3, &[AL0, SRET])),
        m!("tc-reference-arithmetic", "type confusion", A, "TypeMismatch", "sadd: expected short, found byte[]", |c| ba(c, 3, &[AL0, S1, O::SADD.0, SRET])),
        m!("tc-aload-of-short-local", "type confusion", A, "TypeMismatch", "reference in local 1, found short", |c| ba(c, 3, &[AL1, POP, S0, SRET])),
        m!("tc-sload-of-reference-local", "type confusion", A, "TypeMismatch", "short in local 0, found byte[]", |c| ba(c, 3, &[O::SLOAD_0.0, SRET])),
        m!("tc-shorts-added-as-ints", "int/short mixing", A, "TypeMismatch", "iadd: expected int, found short", |c| ba(c, 4, &[SL1, SL1, O::IADD.0, O::I2S.0, SRET])),
        m!("tc-int-added-as-short", "int/short mixing", A, "TypeMismatch", "sadd: expected short, found the low word of an int", |c| ba(c, 4, &[SL1, O::S2I.0, SL1, O::SADD.0, SRET])),
        m!("tc-iload-of-shorts", "int/short mixing", A, "TypeMismatch", "int in locals 1-2", |c| ba(c, 4, &[O::ILOAD_1.0, O::I2S.0, SRET])),
        m!("tc-int-returned-as-short", "int/short mixing", A, "TypeMismatch", "sreturn: expected short, found the low word of an int", |c| ba(c, 3, &[SL1, O::S2I.0, SRET])),
        m!("tc-byte-array-as-short-array", "type confusion", A, "TypeMismatch", "saload: expected short[], found byte[]", |c| ba(c, 3, &[AL0, S0, O::SALOAD.0, SRET])),
        m!("tc-byte-array-as-int-array", "type confusion", A, "TypeMismatch", "iaload: expected int[], found byte[]", |c| ba(c, 3, &[AL0, S0, O::IALOAD.0, O::I2S.0, SRET])),
        m!("tc-byte-array-as-reference-array", "type confusion", A, "TypeMismatch", "aaload: expected reference array, found byte[]", |c| ba(c, 3, &[AL0, S0, O::AALOAD.0, POP, S0, SRET])),
        m!("tc-sastore-into-byte-array", "type confusion", A, "TypeMismatch", "sastore: expected short[], found byte[]", |c| ba(c, 3, &[AL0, S0, S1, O::SASTORE.0, S0, SRET])),
        m!("tc-arraylength-of-short", "type confusion", A, "TypeMismatch", "arraylength: expected array, found short", |c| ba(c, 3, &[SL1, O::ARRAYLENGTH.0, SRET])),
        m!("tc-checkcast-of-short", "type confusion", A, "TypeMismatch", "checkcast: expected reference, found short", |c| {
            let i = cpc(c, "/Item")?;
            ba(c, 3, &[SL1, O::CHECKCAST.0, 0, hi(i), lo(i), POP, S0, SRET])
        }),
        m!("tc-instanceof-of-short", "type confusion", A, "TypeMismatch", "instanceof: expected reference, found short", |c| {
            let i = cpc(c, "/Item")?;
            ba(c, 3, &[SL1, O::INSTANCEOF.0, 0, hi(i), lo(i), SRET])
        }),
        m!("tc-ifnull-on-short", "type confusion", A, "TypeMismatch", "ifnull: expected reference, found short", |c| ba(c, 3, &[SL1, O::IFNULL.0, 3, S0, SRET])),
        m!("tc-if-acmpeq-on-shorts", "type confusion", A, "TypeMismatch", "if_acmpeq: expected reference, found short", |c| ba(c, 3, &[SL1, SL1, O::IF_ACMPEQ.0, 3, S0, SRET])),
        m!("tc-if-scmpeq-on-references", "type confusion", A, "TypeMismatch", "if_scmpeq: expected short, found byte[]", |c| ba(c, 3, &[AL0, AL0, O::IF_SCMPEQ.0, 3, S0, SRET])),
        m!("tc-ifeq-on-reference", "type confusion", A, "TypeMismatch", "ifeq: expected short, found byte[]", |c| ba(c, 3, &[AL0, O::IFEQ.0, 3, S0, SRET])),
        m!("tc-stableswitch-on-reference", "type confusion", A, "TypeMismatch", "stableswitch: expected short, found byte[]", |c| ba(c, 3, &[AL0, O::STABLESWITCH.0, 0, 9, 0, 0, 0, 0, 0, 9, S0, SRET])),
        m!("tc-itableswitch-on-short", "int/short mixing", A, "TypeMismatch", "itableswitch: expected int", |c| ba(c, 3, &[SL1, SL1, O::ITABLESWITCH.0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, S0, SRET])),
        m!("tc-athrow-of-array", "type confusion", A, "TypeMismatch", "athrow: expected java/lang/Throwable, found byte[]", |c| ba(c, 3, &[AL0, O::ATHROW.0])),
        m!("tc-athrow-of-short", "type confusion", A, "TypeMismatch", "athrow: expected java/lang/Throwable, found short", |c| ba(c, 3, &[SL1, O::ATHROW.0])),
        m!("tc-getfield-on-array", "type confusion", A, "TypeMismatch", "getfield_s: expected hydra/conformance/arrays/Item, found byte[]", |c| {
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[AL0, O::GETFIELD_S.0, lo(f), SRET])
        }),
        m!("tc-putfield-reference-into-short", "type confusion", A, "TypeMismatch", "putfield_s: expected short, found byte[]", |c| {
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[O::ACONST_NULL.0, AL0, O::PUTFIELD_S.0, lo(f), S0, SRET])
        }),
        m!("tc-short-as-receiver", "type confusion", A, "TypeMismatch", "invokevirtual: expected javacard/framework/APDU, found short", |c| {
            let m = cpm(c, "APDU.getBuffer(")?;
            ba(c, 3, &[SL1, O::INVOKEVIRTUAL.0, hi(m), lo(m), POP, S0, SRET])
        }),
        m!("tc-array-as-receiver", "type confusion", A, "TypeMismatch", "invokevirtual: expected javacard/framework/APDU, found byte[]", |c| {
            let m = cpm(c, "APDU.getBuffer(")?;
            ba(c, 3, &[AL0, O::INVOKEVIRTUAL.0, hi(m), lo(m), POP, S0, SRET])
        }),
        m!("tc-short-argument-for-array", "type confusion", A, "TypeMismatch", "invokestatic: expected argument byte[], found short", |c| {
            let m = cpm(c, "Util.setShort(")?;
            ba(c, 3, &[SL1, S0, S0, O::INVOKESTATIC.0, hi(m), lo(m), SRET])
        }),
        m!("tc-array-argument-for-short", "type confusion", A, "TypeMismatch", "invokestatic: expected argument short, found byte[]", |c| {
            let m = cpm(c, "Util.setShort(")?;
            ba(c, 3, &[AL0, AL0, S0, O::INVOKESTATIC.0, hi(m), lo(m), SRET])
        }),
        m!("tc-sinc-of-reference", "type confusion", A, "TypeMismatch", "sinc: expected short in local 0, found byte[]", |c| ba(c, 3, &[O::SINC.0, 0, 1, S0, SRET])),
        m!("tc-iinc-of-short", "int/short mixing", A, "TypeMismatch", "iinc: expected int in locals 1-2", |c| ba(c, 3, &[O::IINC.0, 1, 1, S0, SRET])),
        m!("tc-aastore-of-short", "type confusion", A, "TypeMismatch", "aastore: expected reference, found short", |c| {
            let i = cpc(c, "/Item")?;
            ba(c, 4, &[S1, O::ANEWARRAY.0, hi(i), lo(i), S0, SL1, O::AASTORE.0, S0, SRET])
        }),
        m!("tc-bastore-into-short-array", "type confusion", A, "TypeMismatch", "bastore: expected byte[] or boolean[], found short[]", |c| ba(c, 4, &[S1, O::NEWARRAY.0, 12, S0, S0, O::BASTORE.0, S0, SRET])),
        m!("tc-newarray-length-reference", "type confusion", A, "TypeMismatch", "newarray: expected short, found byte[]", |c| ba(c, 3, &[AL0, O::NEWARRAY.0, 11, POP, S0, SRET])),
        m!("tc-anewarray-length-int", "int/short mixing", A, "TypeMismatch", "anewarray: expected short, found the low word of an int", |c| {
            let i = cpc(c, "/Item")?;
            ba(c, 3, &[O::ICONST_1.0, O::ANEWARRAY.0, hi(i), lo(i), POP, S0, SRET])
        }),
        m!("tc-s2b-of-reference", "type confusion", A, "TypeMismatch", "s2b: expected short, found byte[]", |c| ba(c, 3, &[AL0, O::S2B.0, SRET])),
        m!("tc-i2s-of-short", "int/short mixing", A, "TypeMismatch", "i2s: expected int, found short", |c| ba(c, 3, &[SL1, SL1, O::I2S.0, SRET])),
        m!("tc-icmp-of-shorts", "int/short mixing", A, "TypeMismatch", "icmp: expected int, found short", |c| ba(c, 4, &[SL1, SL1, SL1, SL1, O::ICMP.0, SRET])),
        m!("tc-sneg-of-reference", "type confusion", A, "TypeMismatch", "sneg: expected short, found byte[]", |c| ba(c, 3, &[AL0, O::SNEG.0, SRET])),
        m!("tc-sshl-by-reference", "type confusion", A, "TypeMismatch", "sshl: expected short, found byte[]", |c| ba(c, 3, &[SL1, AL0, O::SSHL.0, SRET])),
        m!("tc-forged-reference-from-short", "type confusion", A, "TypeMismatch", "astore_2: expected reference or return address, found short", |c| ba(c, 3, &[O::SSPUSH.0, 0x12, 0x34, O::ASTORE_2.0, S0, SRET])),
        m!("tc-object-array-as-byte-array", "type confusion", A, "TypeMismatch", "baload: expected byte[] or boolean[], found hydra/conformance/arrays/Item[]", |c| {
            let i = cpc(c, "/Item")?;
            ba(c, 3, &[S1, O::ANEWARRAY.0, hi(i), lo(i), S0, O::BALOAD.0, SRET])
        }),
        m!("tc-object-as-array", "type confusion", A, "TypeMismatch", "baload: expected byte[] or boolean[], found hydra/conformance/arrays/ArraysApplet", |c| ix(c, 3, &[AL0, S0, O::BALOAD.0, SRET])),
        m!("tc-array-as-object", "type confusion", A, "TypeMismatch", "getfield_a: expected hydra/conformance/arrays/ArraysApplet, found byte[]", |c| {
            let f = cpf(c, "/ArraysApplet", "byte[]")?;
            ix(c, 3, &[AL1, O::GETFIELD_A.0, lo(f), POP, S0, SRET])
        }),
        m!("tc-getfield-this-in-static-method", "type confusion", A, "TypeMismatch", "getfield_a_this: expected hydra/conformance/arrays/ArraysApplet, found byte[]", |c| {
            let f = cpf(c, "/ArraysApplet", "byte[]")?;
            ba(c, 3, &[O::GETFIELD_A_THIS.0, lo(f), POP, S0, SRET])
        }),
        m!("tc-putfield-this-in-static-method", "type confusion", A, "TypeMismatch", "putfield_s_this: expected hydra/conformance/arrays/Item, found byte[]", |c| {
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[S0, O::PUTFIELD_S_THIS.0, lo(f), S0, SRET])
        }),
        m!("tc-merged-short-and-reference", "type confusion", A, "TypeMismatch", "short in local 2, found an unusable value", |c| ba(c, 3, &[SL1, O::IFEQ.0, 6, AL0, O::ASTORE_2.0, O::GOTO.0, 4, SL1, O::SSTORE_2.0, SL2, SRET])),
        m!("tc-int-half-overwritten", "int/short mixing", A, "TypeMismatch", "int in locals 2-3", |c| body(c, "putInt", 4, 0, &[SL1, O::SSTORE_3.0, O::ILOAD_2.0, O::I2S.0, SRET])),
        m!("tc-iload-misaligned", "int/short mixing", A, "TypeMismatch", "int in locals 1-2", |c| body(c, "putInt", 4, 0, &[O::ILOAD_1.0, O::I2S.0, SRET])),
        m!("tc-covariance-item-array-into-byte-array-field", "array covariance", A, "TypeMismatch", "putfield_a: expected byte[], found hydra/conformance/arrays/Item[]", |c| {
            let i = cpc(c, "/Item")?;
            let f = cpf(c, "/ArraysApplet", "byte[]")?;
            ix(c, 3, &[AL0, S1, O::ANEWARRAY.0, hi(i), lo(i), O::PUTFIELD_A.0, lo(f), S0, SRET])
        }),
        m!("tc-covariance-object-array-into-item-array", "array covariance", A, "TypeMismatch", "expected hydra/conformance/arrays/Item[], found java/lang/Object[]", |c| {
            let i = cpc(c, "java/lang/Object")?;
            let f = cpf(c, "/ArraysApplet", "hydra/conformance/arrays/Item[]")?;
            ix(c, 3, &[AL0, S1, O::ANEWARRAY.0, hi(i), lo(i), O::PUTFIELD_A.0, lo(f), S0, SRET])
        }),
        m!("tc-removed-checkcast", "type confusion", OB, "TypeMismatch", "invokevirtual: expected hydra/conformance/objects/Rect, found hydra/conformance/objects/Square", |c| {
            let o = common::mutate::method(c, "casts")?;
            let i = find(c, o, O::CHECKCAST, 0)?;
            patch(c, o, i.pc, &[0, 0, 0, 0])
        }),
        m!("tc-handler-exception-as-short", "type confusion", A, "TypeMismatch", "sstore: expected short, found java/lang/ArrayIndexOutOfBoundsException", |c| {
            let o = common::mutate::method(c, "index")?;
            let i = find(c, o, O::ASTORE, 0)?;
            patch(c, o, i.pc, &[O::SSTORE.0])
        }),
        m!("tc-jsr-return-address-as-reference", "jsr/ret", A, "TypeMismatch", "reference in local 2, found return address", |c| ba(c, 3, &[O::JSR.0, 0, 3, O::ASTORE_2.0, O::ALOAD_2.0, POP, S0, SRET])),
        m!("tc-jsr-return-address-arithmetic", "jsr/ret", A, "TypeMismatch", "sadd: expected short, found return address", |c| ba(c, 3, &[O::JSR.0, 0, 3, S1, O::SADD.0, SRET])),
        m!("tc-ret-on-short", "jsr/ret", A, "TypeMismatch", "return address in local 2, found short", |c| ba(c, 3, &[S0, O::SSTORE_2.0, O::RET.0, 2])),
        // ---- operand stack ----
        m!("st-underflow-pop", "stack underflow", A, "StackUnderflow", "pop: operand stack underflow", |c| ba(c, 3, &[POP, S0, SRET])),
        m!("st-underflow-sreturn", "stack underflow", A, "StackUnderflow", "sreturn: operand stack underflow", |c| ba(c, 3, &[SRET])),
        m!("st-underflow-sadd", "stack underflow", A, "StackUnderflow", "sadd: operand stack underflow", |c| ba(c, 3, &[S1, O::SADD.0, SRET])),
        m!("st-underflow-invoke", "stack underflow", A, "StackUnderflow", "invokestatic: operand stack underflow", |c| {
            let m = cpm(c, "Util.setShort(")?;
            ba(c, 3, &[S0, O::INVOKESTATIC.0, hi(m), lo(m), SRET])
        }),
        m!("st-underflow-dup-x", "stack underflow", A, "StackUnderflow", "dup_x: operand stack underflow", |c| ba(c, 3, &[S0, O::DUP_X.0, 0x12, S0, SRET])),
        m!("st-overflow-push", "stack overflow", A, "StackOverflow", "sconst_0: operand stack overflow: 3 word(s) exceed max_stack 2", |c| ba(c, 2, &[S0, S0, S0, POP, POP, SRET])),
        m!("st-overflow-dup", "stack overflow", A, "StackOverflow", "dup: operand stack overflow", |c| ba(c, 1, &[S0, O::DUP.0, POP, SRET])),
        m!("st-overflow-int", "stack overflow", A, "StackOverflow", "iconst_0: operand stack overflow", |c| ba(c, 1, &[O::ICONST_0.0, O::I2S.0, SRET])),
        m!("st-overflow-dup-x", "stack overflow", A, "StackOverflow", "dup_x: operand stack overflow", |c| ba(c, 2, &[S0, S0, O::DUP_X.0, 0x12, POP, POP, SRET])),
        m!("st-height-mismatch", "stack height", A, "StackHeightMismatch", "stack height differs", |c| ba(c, 3, &[SL1, O::IFEQ.0, 3, S0, S1, SRET])),
        m!("st-loop-grows-stack", "stack height", A, "StackHeightMismatch", "between paths to pc 0", |c| ba(c, 3, &[S0, O::GOTO.0, 0xFF])),
        m!("st-dup-splits-int", "int/short mixing", A, "SplitInt", "dup: splits", |c| ba(c, 4, &[O::ICONST_0.0, O::DUP.0, POP, O::I2S.0, SRET])),
        m!("st-pop-splits-int", "int/short mixing", A, "SplitInt", "pop: splits", |c| ba(c, 4, &[O::ICONST_0.0, POP, POP, S0, SRET])),
        m!("st-pop2-splits-int", "int/short mixing", A, "SplitInt", "pop2: splits", |c| ba(c, 4, &[O::ICONST_0.0, S0, O::POP2.0, POP, S0, SRET])),
        m!("st-dup2-splits-int", "int/short mixing", A, "SplitInt", "dup2: splits", |c| ba(c, 6, &[O::ICONST_0.0, S0, O::DUP2.0, S0, SRET])),
        m!("st-swap-x-splits-int", "int/short mixing", A, "SplitInt", "swap_x: splits", |c| ba(c, 4, &[O::ICONST_0.0, S0, O::SWAP_X.0, 0x11, S0, SRET])),
        m!("st-dup-x-bad-operand", "stack", A, "BadStackOperand", "dup_x: invalid stack operand 0x50", |c| ba(c, 4, &[S0, O::DUP_X.0, 0x50, SRET])),
        m!("st-swap-x-bad-operand", "stack", A, "BadStackOperand", "swap_x: invalid stack operand 0x31", |c| ba(c, 4, &[S0, S0, S0, O::SWAP_X.0, 0x31, SRET])),
        // ---- local variables ----
        m!("lo-sload-past-frame", "locals", A, "LocalOutOfRange", "sload_2: local variable 2 out of range (2 local word(s))", |c| body(c, "byteArray", 3, 0, &[SL2, SRET])),
        m!("lo-sstore-past-frame-return-address", "locals", A, "LocalOutOfRange", "sstore: local variable 5 out of range", |c| body(c, "byteArray", 3, 0, &[S0, O::SSTORE.0, 5, S0, SRET])),
        m!("lo-astore-far-past-frame", "locals", A, "LocalOutOfRange", "astore: local variable 200 out of range", |c| body(c, "byteArray", 3, 0, &[AL0, O::ASTORE.0, 200, S0, SRET])),
        m!("lo-iload-last-word-outside", "locals", A, "LocalOutOfRange", "iload_2: local variable 3 out of range", |c| body(c, "byteArray", 3, 1, &[O::ILOAD_2.0, O::I2S.0, SRET])),
        m!("lo-istore-last-word-outside", "locals", A, "LocalOutOfRange", "istore_2: local variable 3 out of range", |c| body(c, "byteArray", 3, 1, &[O::ICONST_0.0, O::ISTORE_2.0, S0, SRET])),
        m!("lo-sinc-past-frame", "locals", A, "LocalOutOfRange", "sinc: local variable 9 out of range", |c| body(c, "byteArray", 3, 0, &[O::SINC.0, 9, 1, S0, SRET])),
        m!("lo-read-unwritten-local", "locals", A, "TypeMismatch", "short in local 2, found an unusable value", |c| body(c, "byteArray", 3, 1, &[SL2, SRET])),
        m!("lo-nargs-too-large", "method header", A, "MethodHeader", "nargs: expected 2, found 3", |c| hdr(c, "byteArray", |h| h.nargs += 1)),
        m!("lo-nargs-too-small", "method header", A, "MethodHeader", "nargs: expected 2, found 1", |c| hdr(c, "byteArray", |h| h.nargs -= 1)),
        m!("lo-nargs-without-this", "method header", A, "MethodHeader", "nargs: expected 4, found 3", |c| hdr(c, "index", |h| h.nargs -= 1)),
        // ---- control flow ----
        m!("cf-branch-out-of-method", "jump out of method", A, "BadBranch", "outside the method", |c| {
            let o = common::mutate::method(c, "byteArray")?;
            let g = find(c, o, O::GOTO, 0)?;
            patch(c, o, g.pc + 1, &[0x7F])
        }),
        m!("cf-branch-before-start", "jump out of method", A, "BadBranch", "outside the method", |c| {
            let o = common::mutate::method(c, "byteArray")?;
            let g = find(c, o, O::GOTO, 0)?;
            patch(c, o, g.pc + 1, &[0x80])
        }),
        m!("cf-switch-target-inside-instruction", "jump into instruction", R, "BadBranch", "inside another instruction", |c| {
            let o = common::mutate::method(c, "denseShort")?;
            let s = find(c, o, O::STABLESWITCH, 0)?;
            let Operands::TableSwitch { offsets, .. } = &s.operands else { unreachable!() };
            let t = offsets[0] + 1;
            patch(c, o, s.pc + 7, &t.to_be_bytes())
        }),
        m!("cf-switch-default-outside", "jump out of method", R, "BadBranch", "outside the method", |c| {
            let o = common::mutate::method(c, "denseShort")?;
            let s = find(c, o, O::STABLESWITCH, 0)?;
            patch(c, o, s.pc + 1, &[0x7F, 0xFF])
        }),
        m!("cf-lookupswitch-target-inside-instruction", "jump into instruction", R, "BadBranch", "inside another instruction", |c| {
            let o = common::mutate::method(c, "sparseShort")?;
            let s = find(c, o, O::SLOOKUPSWITCH, 0)?;
            let Operands::LookupSwitch { pairs, .. } = &s.operands else { unreachable!() };
            let _ = pairs;
            let t = (mid_pc(c, "sparseShort")? as i16) - s.pc as i16;
            patch(c, o, s.pc + 7, &t.to_be_bytes())
        }),
        m!("cf-ilookupswitch-target-outside", "jump out of method", R, "BadBranch", "outside the method", |c| {
            let o = common::mutate::method(c, "sparseInt")?;
            let s = find(c, o, O::ILOOKUPSWITCH, 0)?;
            patch(c, o, s.pc + 9, &[0x80, 0x00])
        }),
        m!("cf-falls-off-end", "control flow", A, "FallsOffEnd", "falls off the end", |c| ba(c, 3, &[S0, POP])),
        m!("cf-conditional-falls-off-end", "control flow", A, "FallsOffEnd", "falls off the end", |c| ba(c, 3, &[SL1, O::IFEQ.0, 0xFF])),
        m!("cf-jsr-at-end", "jsr/ret", A, "FallsOffEnd", "falls off the end", |c| ba(c, 3, &[S0, SRET, O::JSR.0, 0xFF, 0xFE])),
        m!("cf-invalid-opcode", "truncated or invalid code", A, "Decode", "byte 0xc0 is not an instruction", |c| {
            let o = common::mutate::method(c, "byteArray")?;
            patch(c, o, 0, &[0xC0])
        }),
        m!("cf-impdep1-in-code", "truncated or invalid code", A, "Decode", "byte 0xfe is not an instruction", |c| {
            let o = common::mutate::method(c, "byteArray")?;
            patch(c, o, 0, &[0xFE])
        }),
        m!("cf-impdep2-in-code", "truncated or invalid code", A, "Decode", "byte 0xff is not an instruction", |c| {
            let o = common::mutate::method(c, "byteArray")?;
            patch(c, o, 0, &[0xFF])
        }),
        m!("cf-last-return-cut", "truncated or invalid code", A, "FallsOffEnd", "falls off the end", |c| {
            let o = common::mutate::method(c, "byteArray")?;
            code(c, o).pop();
            relayout(c);
            Ok(())
        }),
        // ---- exception handlers ----
        m!("hd-start-inside-instruction", "bad handler", A, "BadHandler", "is not an instruction boundary", |c| {
            let h = handler_of(c, "index")?;
            let co = code_offset(c, "index")?;
            let pc = mid_pc(c, "index")?;
            let end = c.method.handlers[h].end_offset() as u16;
            c.method.handlers[h].start_offset = co + pc;
            c.method.handlers[h].active_length = end - co - pc;
            Ok(())
        }),
        m!("hd-end-inside-instruction", "bad handler", A, "BadHandler", "end pc", |c| {
            let h = handler_of(c, "index")?;
            let o = common::mutate::method(c, "index")?;
            let co = code_offset(c, "index")?;
            let hs = c.method.handlers[h];
            let inner = insns(c, o).into_iter().find(|i| co + i.pc > hs.start_offset && i.len > 1).ok_or("no insn")?;
            c.method.handlers[h].active_length = co + inner.pc + 1 - hs.start_offset;
            Ok(())
        }),
        m!("hd-target-inside-instruction", "bad handler", A, "BadHandler", "handler pc", |c| {
            let h = handler_of(c, "index")?;
            let co = code_offset(c, "index")?;
            let pc = mid_pc(c, "index")?;
            c.method.handlers[h].handler_offset = co + pc;
            Ok(())
        }),
        m!("hd-target-in-another-method", "bad handler", A, "BadHandler", "outside", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].handler_offset = code_offset(c, "byteArray")?;
            Ok(())
        }),
        m!("hd-range-past-method-end", "bad handler", A, "BadHandler", "after its method's code", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].active_length = 0x400;
            Ok(())
        }),
        m!("hd-empty-range", "bad handler", A, "BadHandler", "empty range", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].active_length = 0;
            Ok(())
        }),
        m!("hd-catch-type-is-methodref", "constant-pool kind", A, "CpKind", "expected classref, found static methodref", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].catch_type_index = cpm(c, "Util.setShort(")?;
            Ok(())
        }),
        m!("hd-catch-type-out-of-range", "bad handler", A, "CpIndexOutOfRange", "out of range", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].catch_type_index = 0x7FFF;
            Ok(())
        }),
        m!("hd-catch-type-not-throwable", "bad handler", A, "BadHandler", "is not a subclass of java/lang/Throwable", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].catch_type_index = cpc(c, "/Item")?;
            Ok(())
        }),
        m!("hd-start-in-handler-table", "bad handler", A, "BadHandler", "is not in any method's code", |c| {
            let h = handler_of(c, "index")?;
            c.method.handlers[h].start_offset = 1;
            c.method.handlers[h].active_length = 2;
            Ok(())
        }),
        m!("hd-descriptor-handler-count-lie", "bad handler", A, "Inconsistent", "exception handlers (index, count)", |c| {
            let o = common::mutate::method(c, "index")?;
            for cl in &mut c.descriptor.classes {
                for m in &mut cl.methods {
                    if m.method_offset == o {
                        m.exception_handler_count += 1;
                    }
                }
            }
            Ok(())
        }),
        m!("hd-forged-handler-into-other-code", "bad handler", A, "BadHandler", "outside", |c| {
            // A new handler in byteArray whose code is in index: control
            // transfer into another method.
            let co = code_offset(c, "byteArray")?;
            let target = code_offset(c, "index")?;
            c.method.handlers.push(ExceptionHandler { start_offset: co, active_length: 4, stop_bit: true, handler_offset: target, catch_type_index: 0 });
            c.method.handlers.sort_by_key(|h| h.start_offset);
            relayout(c);
            Ok(())
        }),
        // ---- uninitialised objects and constructors ----
        m!("un-use-before-constructor", "uninitialised object", A, "Uninitialized", "before its constructor ran", |c| {
            let o = common::mutate::method(c, "install")?;
            let i = find(c, o, O::INVOKESPECIAL, 0)?;
            patch(c, o, i.pc, &[0, 0, 0])
        }),
        m!("un-constructor-skips-super", "uninitialised object", A, "Uninitialized", "constructor returns before calling a superclass constructor", |c| {
            let o = common::mutate::method(c, "Item.<init>")?;
            patch(c, o, 0, &[0, 0, 0, 0])
        }),
        m!("un-applet-constructor-skips-super", "uninitialised object", OB, "Uninitialized", "", |c| {
            let o = common::mutate::method(c, "ObjectsApplet.<init>")?;
            patch(c, o, 0, &[0, 0, 0, 0])
        }),
        m!("un-constructor-called-twice", "uninitialised object", A, "Uninitialized", "called on hydra/conformance/arrays/ArraysApplet", |c| {
            let k = cpc(c, "/ArraysApplet")?;
            let i = cpm(c, "ArraysApplet.<init>(")?;
            body(c, "install", 3, 0, &[O::NEW.0, hi(k), lo(k), O::DUP.0, O::DUP.0, O::INVOKESPECIAL.0, hi(i), lo(i), O::INVOKESPECIAL.0, hi(i), lo(i), O::RETURN.0])
        }),
        m!("un-new-in-loop", "uninitialised object", A, "Uninitialized", "backward branch", |c| {
            let k = cpc(c, "/Item")?;
            ba(c, 3, &[O::NEW.0, hi(k), lo(k), O::ASTORE_2.0, O::GOTO.0, 0xFC])
        }),
        m!("un-wrong-constructor-class", "uninitialised object", A, "Uninitialized", "ArraysApplet.<init>()void called on uninitialised hydra/conformance/arrays/Item", |c| {
            let k = cpc(c, "/Item")?;
            let i = cpm(c, "ArraysApplet.<init>(")?;
            ba(c, 3, &[O::NEW.0, hi(k), lo(k), O::INVOKESPECIAL.0, hi(i), lo(i), S0, SRET])
        }),
        m!("un-putfield-on-new-object", "uninitialised object", A, "Uninitialized", "before its constructor ran", |c| {
            let k = cpc(c, "/Item")?;
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[O::NEW.0, hi(k), lo(k), S1, O::PUTFIELD_S.0, lo(f), S0, SRET])
        }),
        m!("un-new-object-as-argument", "uninitialised object", A, "TypeMismatch", "found uninitialised hydra/conformance/arrays/Item", |c| {
            let k = cpc(c, "/Item")?;
            let m = cpm(c, "Util.setShort(")?;
            ba(c, 4, &[O::NEW.0, hi(k), lo(k), S0, S0, O::INVOKESTATIC.0, hi(m), lo(m), SRET])
        }),
        m!("un-uninitialised-this-as-argument", "uninitialised object", A, "TypeMismatch", "found uninitialised this", |c| {
            let m = cpm(c, "Util.setShort(")?;
            body(c, "Item.<init>", 3, 0, &[AL0, S0, S0, O::INVOKESTATIC.0, hi(m), lo(m), POP, O::RETURN.0])
        }),
        m!("un-virtual-call-on-uninitialised-this", "uninitialised object", A, "Uninitialized", "before its constructor ran", |c| {
            let m = cpm(c, "Applet.register()")?;
            body(c, "ArraysApplet.<init>", 3, 0, &[AL0, O::INVOKEVIRTUAL.0, hi(m), lo(m), O::RETURN.0])
        }),
        m!("un-this-initialised-by-unrelated-constructor", "uninitialised object", OB, "Uninitialized", "Square.<init>(short)void called on uninitialised this", |c| {
            let m = cpm(c, "Square.<init>(")?;
            body(c, "Holder.<init>", 3, 0, &[AL0, S0, O::INVOKESPECIAL.0, hi(m), lo(m), O::RETURN.0])
        }),
        m!("un-constructor-on-initialised-object", "uninitialised object", A, "Uninitialized", "called on hydra/conformance/arrays/ArraysApplet", |c| {
            let m = cpm(c, "ArraysApplet.<init>(")?;
            ix(c, 3, &[AL0, O::INVOKESPECIAL.0, hi(m), lo(m), S0, SRET])
        }),
        m!("un-new-interface", "constructors", OB, "BadNew", "cannot instantiate interface hydra/conformance/objects/Shape", |c| {
            let k = cpc(c, "/Shape")?;
            body(c, "calls", 3, 2, &[O::NEW.0, hi(k), lo(k), POP, S0, SRET])
        }),
        m!("un-new-abstract-class", "constructors", OB, "BadNew", "cannot instantiate abstract class hydra/conformance/objects/Base", |c| {
            let k = cpc(c, "/Base")?;
            body(c, "calls", 3, 2, &[O::NEW.0, hi(k), lo(k), POP, S0, SRET])
        }),
        // ---- access and invocation ----
        m!("ac-private-method-of-another-class", "access", OB, "Access", "is private and not accessible from hydra/conformance/objects/ObjectsApplet", |c| {
            let m = cpm(c, "Base.secret(")?;
            body(c, "casts", 3, 2, &[O::ACONST_NULL.0, O::INVOKESPECIAL.0, hi(m), lo(m), SRET])
        }),
        m!("ac-private-field-of-another-class", "access", OB, "Access", "is private and not accessible from hydra/conformance/objects/Base", |c| {
            let f = cpf(c, "/ObjectsApplet", "short")?;
            body(c, "describe", 3, 0, &[O::ACONST_NULL.0, O::GETFIELD_S.0, lo(f), SRET])
        }),
        m!("ac-protected-api-from-non-subclass", "access", OB, "Access", "Applet.register()void is protected", |c| {
            let m = cpm(c, "Applet.register()")?;
            body(c, "describe", 3, 0, &[O::ACONST_NULL.0, O::INVOKEVIRTUAL.0, hi(m), lo(m), S0, SRET])
        }),
        m!("ac-unexported-virtual-method-of-api", "private method of another package", A, "UnknownToken", "virtual method token 60 does not exist in javacard/framework/APDU", |c| {
            let CpEntry::VirtualMethod { class, .. } = c.constant_pool.entries[usize::from(cpm(c, "APDU.getBuffer(")?)] else { return Err("kind".into()) };
            let t = cp_type(c, cpm(c, "APDU.getBuffer(")?);
            let i = add_cp(c, CpEntry::VirtualMethod { class, token: 60 }, t);
            ix(c, 3, &[AL1, O::INVOKEVIRTUAL.0, hi(i), lo(i), POP, S0, SRET])
        }),
        m!("ac-unexported-static-method-of-api", "private method of another package", A, "UnknownToken", "static method token 99 does not exist in javacard/framework/Util", |c| {
            let j = cpm(c, "Util.setShort(")?;
            let CpEntry::StaticMethod(StaticRef::External { package_token, class_token, .. }) = c.constant_pool.entries[usize::from(j)] else { return Err("kind".into()) };
            let t = cp_type(c, j);
            let i = add_cp(c, CpEntry::StaticMethod(StaticRef::External { package_token, class_token, token: 99 }), t);
            ba(c, 3, &[AL0, S0, S0, O::INVOKESTATIC.0, hi(i), lo(i), SRET])
        }),
        m!("ac-unexported-class-of-api", "private method of another package", A, "UnknownToken", "class token 200 does not exist", |c| {
            let j = cpm(c, "Util.setShort(")?;
            let CpEntry::StaticMethod(StaticRef::External { package_token, .. }) = c.constant_pool.entries[usize::from(j)] else { return Err("kind".into()) };
            add_cp(c, CpEntry::Class(ClassRef::External { package_token, class_token: 200 }), 0xFFFF);
            Ok(())
        }),
        m!("ac-unexported-field-of-api", "private method of another package", A, "UnknownToken", "instance field token 9 does not exist in javacard/framework/APDU", |c| {
            let CpEntry::VirtualMethod { class, .. } = c.constant_pool.entries[usize::from(cpm(c, "APDU.getBuffer(")?)] else { return Err("kind".into()) };
            let t = cp_type(c, cpf(c, "/Item", "short")?);
            add_cp(c, CpEntry::InstanceField { class, token: 9 }, t);
            Ok(())
        }),
        m!("iv-invokestatic-on-virtual-methodref", "constant-pool kind", A, "CpKind", "expected static methodref, found virtual methodref", |c| {
            let m = cpm(c, "APDU.getBuffer(")?;
            ba(c, 3, &[O::INVOKESTATIC.0, hi(m), lo(m), POP, S0, SRET])
        }),
        m!("iv-invokevirtual-on-static-methodref", "constant-pool kind", A, "CpKind", "expected virtual methodref, found static methodref", |c| {
            let m = cpm(c, "Util.setShort(")?;
            ba(c, 3, &[AL0, S0, S0, O::INVOKEVIRTUAL.0, hi(m), lo(m), SRET])
        }),
        m!("iv-invokespecial-on-virtual-methodref", "constant-pool kind", A, "CpKind", "expected static or super methodref, found virtual methodref", |c| {
            let m = cpm(c, "APDU.getBuffer(")?;
            ix(c, 3, &[AL0, O::INVOKESPECIAL.0, hi(m), lo(m), POP, S0, SRET])
        }),
        m!("iv-invokestatic-of-constructor", "invokespecial rules", A, "BadInvoke", "is not a static method", |c| {
            let m = cpm(c, "Item.<init>(")?;
            ba(c, 3, &[S0, O::INVOKESTATIC.0, hi(m), lo(m), S0, SRET])
        }),
        m!("iv-invokestatic-of-private-instance-method", "invokespecial rules", A, "BadInvoke", "is not a static method", |c| {
            let m = cpm(c, "ArraysApplet.element(")?;
            ba(c, 3, &[S0, S0, O::INVOKESTATIC.0, hi(m), lo(m), O::I2S.0, SRET])
        }),
        m!("iv-invokeinterface-nargs-lie", "invocation", OB, "BadInvoke", "nargs operand is 2, the signature needs 1", |c| {
            let o = common::mutate::method(c, "calls")?;
            let i = find(c, o, O::INVOKEINTERFACE, 0)?;
            patch(c, o, i.pc + 1, &[2])
        }),
        m!("iv-invokeinterface-on-class", "invocation", OB, "ClassKind", "expected an interface, found class hydra/conformance/objects/Square", |c| {
            let o = common::mutate::method(c, "calls")?;
            let i = find(c, o, O::INVOKEINTERFACE, 0)?;
            let k = cpc(c, "/Square")?;
            patch(c, o, i.pc + 2, &be(k))
        }),
        m!("iv-invokeinterface-bad-token", "invocation", OB, "UnknownToken", "interface method token 9 does not exist", |c| {
            let o = common::mutate::method(c, "calls")?;
            let i = find(c, o, O::INVOKEINTERFACE, 0)?;
            patch(c, o, i.pc + 4, &[9])
        }),
        m!("iv-super-call-from-other-class", "invokespecial rules", OB, "BadInvoke", "super method reference names a class other than the current class", |c| {
            let i = cpu(c, |_, r| matches!(r, Resolved::SuperMethod(_)))?;
            let sq = class(c, "Rect")?;
            let _ = sq;
            // Use the Rect super reference from a Square method.
            let m = common::mutate::method(c, "Square.area")?;
            set_body(c, m, 2, 0, &[AL0, O::INVOKESPECIAL.0, hi(i), lo(i), SRET])
        }),
        m!("iv-invokespecial-of-package-virtual", "invokespecial rules", OB, "BadInvoke", "is neither a constructor nor a private method", |c| {
            let d = common::mutate::method(c, "Base.describe")?;
            let t = cp_type(c, cpm(c, "Base.secret(")?);
            let i = add_cp(c, CpEntry::StaticMethod(StaticRef::Internal { offset: d }), t);
            body(c, "callSecret", 2, 0, &[AL0, O::INVOKESPECIAL.0, hi(i), lo(i), SRET])
        }),
        // ---- final fields ----
        m!("ff-final-field-written-outside-constructor", "final field", A, "FinalFieldWrite", "writes final field hydra/conformance/arrays/ArraysApplet.field#0", |c| {
            let f = cpf(c, "/ArraysApplet", "byte[]")?;
            ix(c, 3, &[AL0, O::ACONST_NULL.0, O::PUTFIELD_A.0, lo(f), S0, SRET])
        }),
        m!("ff-final-field-written-via-this", "final field", A, "FinalFieldWrite", "putfield_a_this: writes final field", |c| {
            let f = cpf(c, "/ArraysApplet", "short[]")?;
            ix(c, 3, &[O::ACONST_NULL.0, O::PUTFIELD_A_THIS.0, lo(f), S0, SRET])
        }),
        m!("ff-final-field-of-another-class", "final field", A, "FinalFieldWrite", "writes final field hydra/conformance/arrays/Item.field#0", |c| {
            for cl in &mut c.descriptor.classes {
                for f in &mut cl.fields {
                    if matches!(f.field_type, FieldType::Primitive(4)) && f.access_flags & 0x08 == 0 {
                        f.access_flags |= 0x10;
                    }
                }
            }
            let f = cpf(c, "/Item", "short")?;
            ix(c, 3, &[O::ACONST_NULL.0, S0, O::PUTFIELD_S.0, lo(f), S0, SRET])
        }),
        m!("ff-final-field-written-in-other-constructor", "final field", OB, "FinalFieldWrite", "hydra/conformance/objects/Base.field#1", |c| {
            for cl in &mut c.descriptor.classes {
                for f in &mut cl.fields {
                    if f.access_flags & 0x04 != 0 {
                        f.access_flags |= 0x10;
                    }
                }
            }
            Ok(())
        }),
        // ---- constant pool: wrong kind, out of range, forged ----
        m!("cp-getfield-with-methodref", "constant-pool kind", A, "CpKind", "expected instance fieldref, found", |c| {
            let o = common::mutate::method(c, "index")?;
            let i = find(c, o, O::GETFIELD_A_THIS, 0)?;
            let m = cpu(c, |_, r| matches!(r, Resolved::StaticMethod(_)))?;
            patch(c, o, i.pc + 1, &[lo(m)])
        }),
        m!("cp-new-with-methodref", "constant-pool kind", A, "CpKind", "expected classref, found static methodref", |c| {
            let o = common::mutate::method(c, "install")?;
            let i = find(c, o, O::NEW, 0)?;
            let m = cpm(c, "ArraysApplet.<init>(")?;
            patch(c, o, i.pc + 1, &be(m))
        }),
        m!("cp-checkcast-with-fieldref", "constant-pool kind", A, "CpKind", "expected classref, found instance fieldref", |c| {
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[O::ACONST_NULL.0, O::CHECKCAST.0, 0, hi(f), lo(f), POP, S0, SRET])
        }),
        m!("cp-anewarray-with-fieldref", "constant-pool kind", A, "CpKind", "expected classref, found instance fieldref", |c| {
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[S1, O::ANEWARRAY.0, hi(f), lo(f), POP, S0, SRET])
        }),
        m!("cp-instanceof-with-methodref", "constant-pool kind", A, "CpKind", "expected classref, found static methodref", |c| {
            let m = cpm(c, "Util.setShort(")?;
            ba(c, 3, &[O::ACONST_NULL.0, O::INSTANCEOF.0, 0, hi(m), lo(m), SRET])
        }),
        m!("cp-invokevirtual-with-classref", "constant-pool kind", A, "CpKind", "expected virtual methodref, found classref", |c| {
            let k = cpc(c, "/Item")?;
            ix(c, 3, &[AL0, O::INVOKEVIRTUAL.0, hi(k), lo(k), S0, SRET])
        }),
        m!("cp-putfield-with-classref", "constant-pool kind", A, "CpKind", "expected instance fieldref, found classref", |c| {
            let k = cpc(c, "/Item")?;
            ix(c, 3, &[AL0, S0, O::PUTFIELD_S.0, lo(k), S0, SRET])
        }),
        m!("cp-getstatic-with-instance-fieldref", "constant-pool kind", A, "CpKind", "expected static fieldref, found instance fieldref", |c| {
            let f = cpf(c, "/Item", "short")?;
            ba(c, 3, &[O::GETSTATIC_S.0, hi(f), lo(f), SRET])
        }),
        m!("cp-index-out-of-range", "constant-pool kind", A, "CpIndexOutOfRange", "constant-pool index 32767 out of range", |c| ba(c, 3, &[AL0, S0, S0, O::INVOKESTATIC.0, 0x7F, 0xFF, SRET])),
        m!("cp-class-at-bad-offset", "forged offset", A, "BadOffset", "class reference offset 0x0003 names no class", |c| {
            add_cp(c, CpEntry::Class(ClassRef::Internal(3)), 0xFFFF);
            Ok(())
        }),
        m!("cp-bad-package-token", "constant-pool kind", A, "BadPackageToken", "package token 9 out of range", |c| {
            add_cp(c, CpEntry::Class(ClassRef::External { package_token: 9, class_token: 0 }), 0xFFFF);
            Ok(())
        }),
        m!("cp-descriptor-type-lies", "constant-pool type", A, "CpTypeMismatch", "but it is", |c| {
            let a = cpm(c, "Util.setShort(")?;
            let b = cpm(c, "Util.getShort(")?;
            c.descriptor.types.constant_pool_types[usize::from(a)] = cp_type(c, b);
            Ok(())
        }),
        m!("cp-descriptor-type-count", "constant-pool type", A, "Inconsistent", "constant pool type count", |c| {
            c.descriptor.types.constant_pool_types.pop();
            fix_directory(c);
            Ok(())
        }),
        m!("cp-classref-with-type", "constant-pool type", A, "Inconsistent", "type of a classref", |c| {
            let k = cpc(c, "/Item")?;
            c.descriptor.types.constant_pool_types[usize::from(k)] = cp_type(c, cpm(c, "Util.setShort(")?);
            Ok(())
        }),
        m!("cp-forged-instance-field-token", "forged offset", A, "UnknownToken", "instance field token 40 does not exist", |c| {
            let t = cp_type(c, cpf(c, "/Item", "short")?);
            let k = class(c, "Item")?;
            add_cp(c, CpEntry::InstanceField { class: ClassRef::Internal(k), token: 40 }, t);
            Ok(())
        }),
        m!("cp-forged-virtual-token", "forged offset", A, "UnknownToken", "virtual method token 144 does not exist", |c| {
            let j = cpm(c, "ArraysApplet.index(")?;
            let t = cp_type(c, j);
            let k = class(c, "ArraysApplet")?;
            add_cp(c, CpEntry::VirtualMethod { class: ClassRef::Internal(k), token: 0x90 }, t);
            Ok(())
        }),
        m!("cp-static-method-offset-mid-method", "forged offset", A, "BadOffset", "static method offset", |c| {
            let j = cpm(c, "ArraysApplet.getInt(")?;
            let CpEntry::StaticMethod(StaticRef::Internal { offset }) = c.constant_pool.entries[usize::from(j)] else { return Err("kind".into()) };
            c.constant_pool.entries[usize::from(j)] = CpEntry::StaticMethod(StaticRef::Internal { offset: offset + 3 });
            Ok(())
        }),
        m!("cp-forged-static-field-offset", "forged offset", A, "BadOffset", "static field offset 0x0040", |c| {
            let t = cp_type(c, cpf(c, "/Item", "short")?);
            add_cp(c, CpEntry::StaticField(StaticRef::Internal { offset: 0x40 }), t);
            Ok(())
        }),
        m!("cp-forged-static-field-read", "forged offset", A, "BadOffset", "static field offset 0x0100", |c| {
            let t = cp_type(c, cpf(c, "/Item", "short")?);
            let i = add_cp(c, CpEntry::StaticField(StaticRef::Internal { offset: 0x100 }), t);
            ba(c, 3, &[O::GETSTATIC_S.0, hi(i), lo(i), SRET])
        }),
        // ---- forged offsets and structure ----
        m!("fo-install-offset-forged", "forged offset", A, "BadApplet", "is not static install(byte[], short, byte)", |c| {
            let o = common::mutate::method(c, "getInt")?;
            c.applet.as_mut().ok_or("no applet")?.applets[0].install_method_offset = o;
            Ok(())
        }),
        m!("fo-install-in-non-applet-class", "forged offset", A, "BadApplet", "", |c| {
            let o = common::mutate::method(c, "Item.<init>")?;
            c.applet.as_mut().ok_or("no applet")?.applets[0].install_method_offset = o;
            Ok(())
        }),
        m!("fo-virtual-method-table-forged", "forged offset", OB, "Inconsistent", "virtual method table entry", |c| {
            let sq = class(c, "Square")?;
            let other = common::mutate::method(c, "Base.twice")?;
            for e in &mut c.class.entries {
                if let hydra_cap::component::ClassEntry::Class(ci) = e {
                    if ci.offset == sq {
                        let t = ci.public_virtual_method_table.iter_mut().rfind(|o| **o != 0xFFFF).ok_or("empty vmt")?;
                        *t = other;
                    }
                }
            }
            Ok(())
        }),
        m!("fo-interface-table-forged", "forged offset", OB, "Inconsistent", "interface method table", |c| {
            let sq = class(c, "Square")?;
            for e in &mut c.class.entries {
                if let hydra_cap::component::ClassEntry::Class(ci) = e {
                    if ci.offset == sq {
                        let i = ci.interfaces.first_mut().ok_or("no interface")?;
                        i.index[0] = i.index[0].wrapping_add(7);
                    }
                }
            }
            Ok(())
        }),
        m!("fo-descriptor-method-offset-duplicated", "forged offset", A, "Inconsistent", "method offset", |c| {
            let a = common::mutate::method(c, "byteArray")?;
            let b = common::mutate::method(c, "booleanArray")?;
            for cl in &mut c.descriptor.classes {
                for m in &mut cl.methods {
                    if m.method_offset == b {
                        m.method_offset = a;
                    }
                }
            }
            Ok(())
        }),
        m!("fo-bytecode-count-lie", "method header", A, "MethodHeader", "bytecode count", |c| {
            let a = common::mutate::method(c, "byteArray")?;
            for cl in &mut c.descriptor.classes {
                for m in &mut cl.methods {
                    if m.method_offset == a {
                        m.bytecode_count += 1;
                    }
                }
            }
            Ok(())
        }),
        m!("fo-undescribed-method", "structure", A, "UndescribedMethod", "is not described", |c| {
            let a = common::mutate::method(c, "nullArray")?;
            for cl in &mut c.descriptor.classes {
                cl.methods.retain(|m| m.method_offset != a);
            }
            fix_directory(c);
            Ok(())
        }),
        m!("fo-static-image-size-lie", "forged offset", A, "BadStaticImage", "image size", |c| {
            c.static_field.image_size += 2;
            fix_directory(c);
            Ok(())
        }),
        m!("fo-directory-static-size-lie", "structure", A, "Inconsistent", "static field image size", |c| {
            c.directory.static_field_size.image_size += 2;
            Ok(())
        }),
        m!("fo-superclass-cycle", "class hierarchy", OB, "CyclicHierarchy", "is cyclic", |c| set_super(c, "Square", "Square")),
        m!("fo-superclass-is-interface", "class hierarchy", OB, "ClassKind", "expected a class as superclass, found interface", |c| set_super(c, "Square", "Shape")),
        m!("fo-extends-final-class", "class hierarchy", OB, "FinalSuperclass", "extends final class hydra/conformance/objects/Wide", |c| set_super(c, "Square", "Wide")),
        m!("fo-descriptor-interface-flag", "structure", A, "Inconsistent", "ACC_INTERFACE", |c| {
            let k = class(c, "Item")?;
            for cl in &mut c.descriptor.classes {
                if cl.this_class == ClassRef::Internal(k) {
                    cl.access_flags |= 0x40;
                }
            }
            Ok(())
        }),
        m!("fo-field-type-lie", "constant-pool type", A, "CpTypeMismatch", "but it is", |c| {
            let k = class(c, "Item")?;
            for cl in &mut c.descriptor.classes {
                if cl.this_class == ClassRef::Internal(k) {
                    for f in &mut cl.fields {
                        f.field_type = FieldType::Primitive(5);
                    }
                }
            }
            Ok(())
        }),
        // ---- reference locations ----
        m!("rl-bogus-location", "reference location", A, "BadReferenceLocation", "is not a two-byte constant-pool operand", |c| {
            let o = code_offset(c, "byteArray")?;
            let l = &mut c.reference_location.byte2_index_offsets;
            l.push(o);
            l.sort();
            fix_directory(c);
            Ok(())
        }),
        m!("rl-bogus-one-byte-location", "reference location", A, "BadReferenceLocation", "is not a one-byte constant-pool operand", |c| {
            let o = code_offset(c, "byteArray")?;
            let l = &mut c.reference_location.byte_index_offsets;
            l.push(o + 1);
            l.sort();
            fix_directory(c);
            Ok(())
        }),
        // ---- header, directory, imports, applets ----
        m!("hdr-applet-flag-clear", "structure", A, "Inconsistent", "ACC_APPLET flag", |c| {
            c.header.flags &= !0x04;
            Ok(())
        }),
        m!("hdr-export-flag-set", "structure", A, "Inconsistent", "ACC_EXPORT flag", |c| {
            c.header.flags |= 0x02;
            Ok(())
        }),
        m!("hdr-int-flag-clear", "int/short mixing", R, "IntNotDeclared", "does not declare the int type", |c| {
            c.header.flags &= !0x01;
            Ok(())
        }),
        m!("im-minor-version-too-new", "imports", A, "ImportVersion", "is not provided", |c| {
            c.import.packages[0].minor = 99;
            Ok(())
        }),
        m!("im-major-version-differs", "imports", A, "ImportVersion", "is not provided", |c| {
            c.import.packages[0].major += 1;
            Ok(())
        }),
        m!("im-unknown-package", "imports", A, "MissingImport", "no export file for imported package", |c| {
            let a = &mut c.import.packages[0].aid.0;
            *a.last_mut().unwrap() ^= 0x5A;
            Ok(())
        }),
        m!("im-imported-twice", "imports", A, "Inconsistent", "imported twice", |c| {
            let p = c.import.packages[0].clone();
            c.import.packages.push(p);
            c.directory.import_count += 1;
            fix_directory(c);
            Ok(())
        }),
        m!("im-imports-itself", "imports", A, "Inconsistent", "the package itself", |c| {
            let mut p = c.import.packages[0].clone();
            p.aid = c.header.package.aid.clone();
            c.import.packages.push(p);
            c.directory.import_count += 1;
            fix_directory(c);
            Ok(())
        }),
        m!("dir-import-count-lie", "structure", A, "Inconsistent", "import count", |c| {
            c.directory.import_count += 1;
            Ok(())
        }),
        m!("dir-applet-count-lie", "structure", A, "Inconsistent", "applet count", |c| {
            c.directory.applet_count += 1;
            Ok(())
        }),
        m!("ap-aid-outside-package-rid", "applets", A, "BadApplet", "does not start with the package RID", |c| {
            c.applet.as_mut().ok_or("no applet")?.applets[0].aid.0[0] ^= 0x01;
            Ok(())
        }),
        m!("ap-aid-twice", "applets", A, "BadApplet", "appears twice", |c| {
            let a = c.applet.as_mut().ok_or("no applet")?;
            let x = a.applets[0].clone();
            a.applets.push(x);
            c.directory.applet_count += 1;
            fix_directory(c);
            Ok(())
        }),
        // ---- returns and array types ----
        m!("rt-sreturn-in-void-method", "returns", A, "BadReturn", "sreturn: return type is void", |c| body(c, "install", 2, 0, &[S0, SRET])),
        m!("rt-return-in-short-method", "returns", A, "BadReturn", "return: return type is short", |c| ba(c, 2, &[O::RETURN.0])),
        m!("rt-ireturn-in-short-method", "returns", A, "BadReturn", "ireturn: return type is short", |c| ba(c, 2, &[O::ICONST_0.0, O::IRETURN.0])),
        m!("rt-areturn-in-short-method", "returns", A, "BadReturn", "areturn: return type is short", |c| ba(c, 2, &[AL0, O::ARETURN.0])),
        m!("rt-sreturn-in-int-method", "returns", A, "BadReturn", "sreturn: return type is int", |c| body(c, "getInt", 2, 0, &[S0, SRET])),
        m!("ar-newarray-bad-type", "array types", A, "BadArrayType", "newarray: invalid array type 9", |c| ba(c, 2, &[S1, O::NEWARRAY.0, 9, POP, S0, SRET])),
        m!("ar-newarray-reference-type", "array types", A, "BadArrayType", "newarray: invalid array type 14", |c| ba(c, 2, &[S1, O::NEWARRAY.0, 14, POP, S0, SRET])),
        m!("ar-checkcast-bad-type", "array types", A, "BadArrayType", "checkcast: invalid array type 15", |c| ba(c, 2, &[AL0, O::CHECKCAST.0, 15, 0, 0, POP, S0, SRET])),
        m!("ar-int-array-without-int", "int/short mixing", OB, "IntNotDeclared", "", |c| {
            c.header.flags &= !0x01;
            Ok(())
        }),
        // ---- compact (CAP 2.3) format ----
        m!("c23-short-as-byte-array", "type confusion", A23, "TypeMismatch", "baload: expected byte[] or boolean[], found short", |c| ba(c, 3, &[SL1, S0, O::BALOAD.0, SRET])),
        m!("c23-stack-overflow", "stack overflow", A23, "StackOverflow", "operand stack overflow", |c| max_stack_lie(c, "byteArray")),
        m!("c23-branch-into-instruction", "jump into instruction", A23, "BadBranch", "inside another instruction", |c| branch_into_middle(c, "byteArray")),
        m!("c23-unlisted-reference", "reference location", A23, "UnlistedReference", "is not listed", |c| unlist(c, "byteArray", 0)),
    ];

    // Families: the same mutation applied to many methods (each a distinct CAP).
    macro_rules! family {
        ($prefix:literal, $cat:literal, $expect:literal, $contains:literal, $f:ident, [$(($base:expr, $m:literal)),* $(,)?]) => {
            $(v.push(M {
                name: concat!($prefix, "-", $m),
                cat: $cat,
                base: $base,
                expect: $expect,
                contains: $contains,
                f: |c| $f(c, $m),
            });)*
        };
    }
    family!(
        "max-stack-lies",
        "lying max_stack",
        "StackOverflow",
        "operand stack overflow",
        max_stack_lie,
        [
            (A, "byteArray"),
            (A, "booleanArray"),
            (A, "shortArray"),
            (A, "intArray"),
            (A, "refArrays"),
            (A, "nullArray"),
            (A, "index"),
            (A, "element"),
            (A, "arrayStore"),
            (A, "util"),
            (A, "utilErrors"),
            (A, "process"),
            (A, "getInt"),
            (A, "putInt"),
            (R, "shortOps"),
            (R, "intOps"),
            (R, "conversions"),
            (R, "switches"),
            (R, "increments"),
            (R, "constants"),
            (OB, "casts"),
            (OB, "fields"),
            (OB, "calls"),
            (OB, "wideFields"),
        ]
    );
    family!(
        "max-locals-lies",
        "locals",
        "LocalOutOfRange",
        "out of range",
        max_locals_lie,
        [
            (A, "byteArray"),
            (A, "shortArray"),
            (A, "refArrays"),
            (A, "index"),
            (R, "increments"),
            (OB, "casts"),
            (OB, "fields"),
        ]
    );
    family!(
        "branch-into-instruction",
        "jump into instruction",
        "BadBranch",
        "inside another instruction",
        branch_into_middle,
        [
            (A, "byteArray"),
            (A, "booleanArray"),
            (A, "shortArray"),
            (A, "intArray"),
            (A, "refArrays"),
            (A, "index"),
            (R, "shortRelations"),
            (R, "intRelations"),
            (OB, "casts"),
            (OB, "fields"),
        ]
    );
    family!(
        "truncated-code",
        "truncated or invalid code",
        "Decode",
        "is truncated",
        truncate,
        [
            (A, "byteArray"),
            (A, "booleanArray"),
            (A, "shortArray"),
            (A, "refArrays"),
            (A, "index"),
            (R, "shortOps"),
            (R, "intOps"),
            (R, "constants"),
            (OB, "casts"),
            (OB, "calls"),
        ]
    );
    macro_rules! unlisted {
        ($(($base:expr, $m:literal, $k:literal)),* $(,)?) => {
            $(v.push(M {
                name: concat!("unlisted-reference-", $m, "-", $k),
                cat: "reference location",
                base: $base,
                expect: "UnlistedReference",
                contains: "is not listed in the ReferenceLocation component",
                f: |c| unlist(c, $m, $k),
            });)*
        };
    }
    unlisted![
        (A, "byteArray", 0),
        (A, "refArrays", 0),
        (A, "refArrays", 1),
        (A, "process", 0),
        (A, "process", 2),
        (R, "shortOps", 0),
        (R, "constants", 0),
        (OB, "calls", 0),
        (OB, "casts", 0),
        (OB, "fields", 1),
    ];
    v
}

#[test]
fn negative_corpus() {
    let root = common::root();
    let dir = root.join("conformance/verifier");
    let bless = std::env::var_os("BLESS").is_some();
    let api = common::api();
    let ms = mutations();
    let mut names = std::collections::BTreeSet::new();
    let mut manifest = String::from("# name\tcategory\tbase\texpected\tfirst matching error\n");
    let mut failures = Vec::new();
    let mut cats: std::collections::BTreeMap<&str, usize> = Default::default();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for m in &ms {
        assert!(names.insert(m.name), "duplicate mutation name {}", m.name);
        *cats.entry(m.cat).or_default() += 1;
        let (mut cap, archive) = load(&root, m.base);
        if let Err(e) = (m.f)(&mut cap) {
            failures.push(format!("{}: mutation does not apply: {e}", m.name));
            continue;
        }
        let bytes = match archive.write_with(&cap) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{}: cannot write: {e}", m.name));
                continue;
            }
        };
        let path = dir.join(format!("{}.cap", m.name));
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        } else {
            match std::fs::read(&path) {
                Ok(b) if b == bytes => {}
                Ok(_) => failures.push(format!(
                    "{}: committed file differs from the mutation's output (BLESS=1 to rewrite)",
                    m.name
                )),
                Err(_) => failures.push(format!(
                    "{}: {} missing (BLESS=1 to write)",
                    m.name,
                    path.display()
                )),
            }
        }
        let errors: Vec<String> = match parse_bytes(&bytes) {
            Err(e) => vec![format!("Malformed|the CAP file does not parse: {e}")],
            Ok((cap, _)) => match hydra_verify::verify(&cap, &api) {
                Ok(_) => vec![],
                Err(es) => es
                    .iter()
                    .map(|e| format!("{}|{e}", e.kind.code()))
                    .collect(),
            },
        };
        let hit = errors
            .iter()
            .find(|e| e.starts_with(&format!("{}|", m.expect)) && e.contains(m.contains));
        match hit {
            Some(h) => {
                let _ = writeln!(
                    manifest,
                    "{}\t{}\t{}\t{}\t{}",
                    m.name,
                    m.cat,
                    m.base,
                    m.expect,
                    h.split_once('|').unwrap().1
                );
            }
            None => failures.push(format!(
                "{}: expected {} containing {:?}, got:\n    {}",
                m.name,
                m.expect,
                m.contains,
                if errors.is_empty() {
                    "(accepted)".to_string()
                } else {
                    errors.join("\n    ")
                }
            )),
        }
    }
    if bless {
        std::fs::write(dir.join("MANIFEST.tsv"), &manifest).unwrap();
        // Remove files of mutations that no longer exist.
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "cap") {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                if !names.contains(stem.as_str()) {
                    std::fs::remove_file(p).unwrap();
                }
            }
        }
    } else {
        let committed = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
        if committed != manifest {
            failures.push(
                "MANIFEST.tsv differs from the verifier's current messages (BLESS=1 to rewrite)"
                    .into(),
            );
        }
    }
    eprintln!("{} mutations; by category: {cats:?}", ms.len());
    assert!(ms.len() >= 150, "corpus has {} entries", ms.len());
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[allow(dead_code)]
fn unused(_: Aid) {}
