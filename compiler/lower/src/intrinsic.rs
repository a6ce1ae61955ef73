//! The hottest API methods compiled inline: `Util.getShort`, `setShort`,
//! `makeShort`, `APDU.getBuffer`, `Applet.selectingApplet`,
//! `JCSystem.getTransactionDepth`, `beginTransaction` and
//! `commitTransaction`. Each has a fast path for the common case (a valid,
//! accessible array and an offset in bounds; a non-null receiver) and falls
//! back to the generic `invoke` for everything else, which performs the
//! whole call and throws what the interpreter throws; so an intrinsic never
//! changes an answer, only what it costs. The two transaction methods call
//! the runtime's `transaction` entry point, the API's own body, without
//! the generic call's resolution.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I16, I32};
use cranelift_codegen::ir::{InstBuilder, Value};
use hydra_abi::{kind, obj, Entry};
use hydra_runtime::api_tables::FRAMEWORK_AID;
use hydra_verify::{Elem, JType, Resolved, Universe};

use crate::{mf_data, GenericCall, Lowerer};

/// An API method with a compiled form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intrinsic {
    /// `Util.makeShort(byte, byte)`: pure.
    MakeShort,
    /// `Util.getShort(byte[], short)`.
    GetShort,
    /// `Util.setShort(byte[], short, short)`.
    SetShort,
    /// `APDU.getBuffer()` (APDU is final: nothing overrides it).
    GetBuffer,
    /// `Applet.selectingApplet()` (final).
    SelectingApplet,
    /// `JCSystem.getTransactionDepth()`.
    TransactionDepth,
    /// `JCSystem.beginTransaction()`.
    BeginTransaction,
    /// `JCSystem.commitTransaction()`.
    CommitTransaction,
}

impl Intrinsic {
    /// The intrinsic that bytecode `opcode` with constant-pool operand `cp`
    /// calls, if any: by the framework package's AID, the class and method
    /// names and the signature from its export file, so a method of
    /// another package with the same names is never taken for it.
    pub(crate) fn of(u: &Universe, opcode: u8, cp: u16) -> Option<Intrinsic> {
        let m = match (opcode, u.cp.get(usize::from(cp))?) {
            (0x8D, Resolved::StaticMethod(m)) | (0x8B, Resolved::VirtualMethod(m)) => *m,
            _ => return None,
        };
        let m = u.method(m);
        let class = u.classes.get(usize::from(m.class))?;
        if class.package == 0 || u.packages.get(usize::from(class.package))?.aid != FRAMEWORK_AID {
            return None;
        }
        use JType::{Array, Boolean, Byte, Short, Void};
        let bytes = Array(Elem::Byte);
        let which = match (class.name.as_str(), m.name.as_str()) {
            ("javacard/framework/Util", "makeShort") => Intrinsic::MakeShort,
            ("javacard/framework/Util", "getShort") => Intrinsic::GetShort,
            ("javacard/framework/Util", "setShort") => Intrinsic::SetShort,
            ("javacard/framework/APDU", "getBuffer") => Intrinsic::GetBuffer,
            ("javacard/framework/Applet", "selectingApplet") => Intrinsic::SelectingApplet,
            ("javacard/framework/JCSystem", "getTransactionDepth") => Intrinsic::TransactionDepth,
            ("javacard/framework/JCSystem", "beginTransaction") => Intrinsic::BeginTransaction,
            ("javacard/framework/JCSystem", "commitTransaction") => Intrinsic::CommitTransaction,
            _ => return None,
        };
        let (params, ret): (&[JType], JType) = match which {
            Intrinsic::MakeShort => (&[Byte, Byte], Short),
            Intrinsic::GetShort => (&[bytes, Short], Short),
            Intrinsic::SetShort => (&[bytes, Short, Short], Short),
            Intrinsic::GetBuffer => (&[], bytes),
            Intrinsic::SelectingApplet => (&[], Boolean),
            Intrinsic::TransactionDepth => (&[], Byte),
            Intrinsic::BeginTransaction | Intrinsic::CommitTransaction => (&[], Void),
        };
        let is_static = !matches!(which, Intrinsic::GetBuffer | Intrinsic::SelectingApplet);
        let sig_ok = m.sig.params.as_slice() == params && m.sig.ret == ret;
        (sig_ok && m.is_static == is_static).then_some(which)
    }
}

impl Lowerer<'_, '_> {
    /// Emits intrinsic `which` for a call whose argument words are `words`
    /// (`this` first), and returns its result as an i32 (0 for void). The
    /// words reach `call.args` only on the generic path.
    pub(crate) fn intrinsic(
        &mut self,
        which: Intrinsic,
        words: &[Value],
        call: GenericCall,
    ) -> Value {
        if matches!(which, Intrinsic::MakeShort | Intrinsic::TransactionDepth) {
            // Cannot fail: no generic path.
            return self.pure_intrinsic(which, words);
        }
        if matches!(
            which,
            Intrinsic::BeginTransaction | Intrinsic::CommitTransaction
        ) {
            // No generic path either: the entry point is the whole call.
            return self.transaction(which);
        }
        let generic = self.b.create_block();
        self.b.set_cold_block(generic);
        let join = self.b.create_block();
        let result = self.b.append_block_param(join, I32);
        let fast = match which {
            Intrinsic::GetShort => {
                let (arr, off) = self.short_in_bytes(words[0], words[1], generic);
                let addr = self.data_addr(&arr, off);
                self.load_be(kind::SHORT, addr, false)
            }
            Intrinsic::SetShort => {
                let (arr, off) = self.short_in_bytes(words[0], words[1], generic);
                let v = self.sext(words[2]);
                self.store(&arr, off, 2, v);
                let next = self.b.ins().iadd_imm_s(words[1], 2);
                self.sext(next)
            }
            Intrinsic::GetBuffer => {
                self.give_up_if_null(words[0], generic);
                self.vm_fixed(I32, self.lay.apdu_buffer())
            }
            Intrinsic::SelectingApplet => {
                // The receiver is checked as the generic call would check
                // it: another context's applet makes that call throw.
                let _ = self.header(words[0], true, generic);
                self.vm_fixed(I32, self.lay.selecting())
            }
            Intrinsic::MakeShort | Intrinsic::TransactionDepth => self.pure_intrinsic(which, words),
            Intrinsic::BeginTransaction | Intrinsic::CommitTransaction => self.transaction(which),
        };
        self.b.ins().jump(join, &[fast.into()]);
        self.enter(generic);
        for (i, w) in words.iter().enumerate() {
            self.b.ins().store(mf_data(), *w, call.args, (2 * i) as i32);
        }
        let slow = self.generic_invoke(call);
        self.check_pending();
        self.b.ins().jump(join, &[slow.into()]);
        self.enter(join);
        result
    }

    /// `beginTransaction` or `commitTransaction` through the runtime's
    /// `transaction` entry point: the API's own body, so it throws what the
    /// generic call would throw; it runs no code and moves no memory.
    fn transaction(&mut self, which: Intrinsic) -> Value {
        let op = i64::from(which == Intrinsic::CommitTransaction);
        let op = self.b.ins().iconst(I32, op);
        self.call_rt_checked(Entry::Transaction, &[op]);
        self.b.ins().iconst(I32, 0)
    }

    /// `makeShort` and `getTransactionDepth`, which cannot fail.
    fn pure_intrinsic(&mut self, which: Intrinsic, words: &[Value]) -> Value {
        if which == Intrinsic::MakeShort {
            let hi = self.b.ins().band_imm_u(words[0], 0xFF);
            let hi = self.b.ins().ishl_imm_u(hi, 8);
            let lo = self.b.ins().band_imm_u(words[1], 0xFF);
            let r = self.b.ins().bor(hi, lo);
            return self.sext(r);
        }
        // Not `vm_fixed`: the depth changes during calls that keep the
        // context's address, and a `readonly` load could be placed after
        // the commit that follows it.
        self.vm_load(I32, self.lay.txn_depth())
    }

    /// Byte array `r` checked for a short at offset `off` (16-bit, taken
    /// unsigned: a negative offset is out of bounds); returns the array and
    /// the offset as an i32.
    fn short_in_bytes(
        &mut self,
        r: Value,
        off: Value,
        slow: cranelift_codegen::ir::Block,
    ) -> (crate::ObjView, Value) {
        let arr = self.header(r, true, slow);
        let len = self.hdr_half(arr.o, obj::LEN);
        let at = self.b.ins().uextend(I32, off);
        let last = self.b.ins().iadd_imm_s(at, 1);
        let out = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, last, len);
        self.give_up_if(out, slow);
        (arr, at)
    }

    fn give_up_if_null(&mut self, r: Value, slow: cranelift_codegen::ir::Block) {
        debug_assert_eq!(self.b.func.dfg.value_type(r), I16);
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.give_up_if(null, slow);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use hydra_jcapi::{ApiVersion, ExportPath};
    use hydra_verify::ApiSet;

    use super::Intrinsic;

    /// The intrinsics the invoke bytecodes of a conformance package call,
    /// by the method's name, and the API methods they leave to `invoke`.
    fn calls(applet: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../conformance/applets")
            .join(applet)
            .join("cap")
            .join(format!("{applet}.cap"));
        let loaded = hydra_cap::container::read_path(&path).unwrap();
        let api =
            ApiSet::from_export_path(&ExportPath::new(ApiVersion::from_name("3.2.0").unwrap()));
        let v = hydra_verify::verify(&loaded.cap, &api).unwrap();
        let u = &v.universe;
        let (mut taken, mut left) = (BTreeSet::new(), BTreeSet::new());
        for m in &loaded.cap.method.methods {
            for insn in hydra_cap::bytecode::decode_all(&m.bytecode).unwrap() {
                let hydra_cap::bytecode::Operands::Cp(cp) = insn.operands else {
                    continue;
                };
                let (hydra_verify::Resolved::StaticMethod(id)
                | hydra_verify::Resolved::VirtualMethod(id)) = u.cp[usize::from(cp)]
                else {
                    continue;
                };
                let meth = u.method(id);
                if u.classes[usize::from(meth.class)].package == 0 {
                    continue;
                }
                let name = format!("{}.{}", u.class_name(meth.class), meth.name);
                match Intrinsic::of(u, insn.opcode.0, cp) {
                    Some(_) => taken.insert(name),
                    None => left.insert(name),
                };
            }
        }
        (taken, left)
    }

    #[test]
    fn the_hot_framework_methods_are_recognised_and_nothing_else() {
        let (taken, left) = calls("arrays");
        let names = |s: &[&str]| s.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            taken,
            names(&[
                "javacard/framework/APDU.getBuffer",
                "javacard/framework/Applet.selectingApplet",
                "javacard/framework/Util.getShort",
                "javacard/framework/Util.makeShort",
                "javacard/framework/Util.setShort",
            ])
        );
        for n in [
            "arrayCopy",
            "arrayCopyNonAtomic",
            "arrayFillNonAtomic",
            "arrayCompare",
        ] {
            assert!(
                left.contains(&format!("javacard/framework/Util.{n}")),
                "{left:?}"
            );
        }
        let (taken, _) = calls("txn");
        for n in [
            "getTransactionDepth",
            "beginTransaction",
            "commitTransaction",
        ] {
            assert!(
                taken.contains(&format!("javacard/framework/JCSystem.{n}")),
                "{taken:?}"
            );
        }
    }
}
