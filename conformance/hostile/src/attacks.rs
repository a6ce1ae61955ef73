//! Bytecode attacks, each at the first place in a method where it applies.
//! Every attack rewrites bytes in place with an encoding of the same
//! length, so offsets, handlers and the Reference Location component stay
//! as they were and only the attack differs from the good package.

use hydra_cap::bytecode::{decode_all, Instruction, Opcode, Operands, T_BYTE, T_SHORT};
use hydra_cap::component::CpEntry;
use hydra_cap::{CapError, CapFile};

use crate::{Case, Family};

/// One method being attacked: the package, which method, its code decoded.
struct Target<'a> {
    cap: &'a CapFile,
    method: usize,
    insns: &'a [Instruction],
}

/// What an attack did, if it applied: the pc, a description, the package.
type Hit = Option<(u16, String, CapFile)>;

type Attack = fn(&Target) -> Hit;

const ATTACKS: &[Attack] = &[
    short_local_as_reference,
    reference_local_as_short,
    null_as_short,
    short_add_as_int_add,
    push_becomes_pop,
    pop_becomes_dup,
    max_stack_one_short,
    jump_into_instruction,
    jump_out_of_method,
    handler_inside_instruction,
    handler_range_beyond_method,
    handler_catches_non_class,
    read_uninitialised_local,
    constructor_call_removed,
    invoke_other_method,
    invoke_non_method,
    field_of_another_class,
    static_of_another_package_item,
    checkcast_removed,
    checkcast_to_other_class,
    array_of_other_class,
    array_of_other_primitive,
    endless_loop,
    branch_to_itself,
    return_kind_changed,
    interface_nargs_wrong,
];

/// Every attack on every method of `cap`.
pub fn bytecode_attacks(cap: &CapFile) -> Result<Vec<Case>, CapError> {
    let mut out = Vec::new();
    for (mi, m) in cap.method.methods.iter().enumerate() {
        let Ok(insns) = decode_all(&m.bytecode) else {
            continue;
        };
        let t = Target {
            cap,
            method: mi,
            insns: &insns,
        };
        for attack in ATTACKS {
            if let Some((pc, what, c)) = attack(&t) {
                out.push(Case {
                    family: Family::Bytecode,
                    label: format!("method @{:#06x} pc {pc}: {what}", m.offset),
                    load_file: c.to_load_file(false)?,
                });
            }
        }
    }
    Ok(out)
}

impl Target<'_> {
    fn first(&self, ops: &[Opcode]) -> Option<&Instruction> {
        self.insns.iter().find(|i| ops.contains(&i.opcode))
    }

    /// The package with `bytes` written at `pc` of the attacked method.
    fn patch(&self, pc: u16, bytes: &[u8]) -> CapFile {
        let mut c = self.cap.clone();
        let code = &mut c.method.methods[self.method].bytecode;
        let at = usize::from(pc);
        code[at..at + bytes.len()].copy_from_slice(bytes);
        c
    }

    fn code_len(&self) -> usize {
        self.cap.method.methods[self.method].bytecode.len()
    }

    fn is_start(&self, pc: i32) -> bool {
        self.insns.iter().any(|i| i32::from(i.pc) == pc)
    }

    /// Constant-pool indices of entries `keep` accepts, other than `not`.
    fn cp_where(&self, not: u16, keep: impl Fn(&CpEntry) -> bool) -> Vec<u16> {
        let cp = &self.cap.constant_pool.entries;
        let this = cp.get(usize::from(not));
        (0..cp.len() as u16)
            .filter(|&i| i != not && keep(&cp[usize::from(i)]) && Some(&cp[usize::from(i)]) != this)
            .collect()
    }

    /// The handlers whose covered range starts inside this method.
    fn handlers(&self) -> Vec<usize> {
        let m = &self.cap.method.methods[self.method];
        let (start, end) = (m.code_offset(), m.code_offset() + m.bytecode.len() as u16);
        (0..self.cap.method.handlers.len())
            .filter(|&h| (start..end).contains(&self.cap.method.handlers[h].start_offset))
            .collect()
    }
}

fn swap_one_byte(t: &Target, pairs: &[(Opcode, Opcode)], what: &str) -> Hit {
    let i = t
        .insns
        .iter()
        .find(|i| pairs.iter().any(|p| p.0 == i.opcode))?;
    let to = pairs.iter().find(|p| p.0 == i.opcode)?.1;
    Some((
        i.pc,
        format!("{what}: {} -> {}", name(i.opcode), name(to)),
        t.patch(i.pc, &[to.0]),
    ))
}

fn name(op: Opcode) -> &'static str {
    op.mnemonic().unwrap_or("?")
}

fn short_local_as_reference(t: &Target) -> Hit {
    use Opcode as O;
    let pairs = [
        (O::SLOAD_0, O::ALOAD_0),
        (O::SLOAD_1, O::ALOAD_1),
        (O::SLOAD_2, O::ALOAD_2),
        (O::SLOAD_3, O::ALOAD_3),
        (O::SSTORE_0, O::ASTORE_0),
        (O::SSTORE_1, O::ASTORE_1),
        (O::SSTORE_2, O::ASTORE_2),
        (O::SSTORE_3, O::ASTORE_3),
    ];
    swap_one_byte(t, &pairs, "type confusion, a short as a reference")
}

fn reference_local_as_short(t: &Target) -> Hit {
    use Opcode as O;
    let pairs = [
        (O::ALOAD_1, O::SLOAD_1),
        (O::ALOAD_2, O::SLOAD_2),
        (O::ALOAD_3, O::SLOAD_3),
        (O::ALOAD_0, O::SLOAD_0),
        (O::ASTORE_1, O::SSTORE_1),
        (O::ASTORE_2, O::SSTORE_2),
        (O::ASTORE_3, O::SSTORE_3),
    ];
    swap_one_byte(t, &pairs, "type confusion, a reference as a short")
}

fn null_as_short(t: &Target) -> Hit {
    use Opcode as O;
    swap_one_byte(
        t,
        &[(O::SCONST_0, O::ACONST_NULL), (O::ACONST_NULL, O::SCONST_0)],
        "type confusion, null and zero",
    )
}

fn short_add_as_int_add(t: &Target) -> Hit {
    use Opcode as O;
    swap_one_byte(
        t,
        &[(O::SADD, O::IADD), (O::SSUB, O::ISUB), (O::SAND, O::IAND)],
        "type confusion, shorts as ints",
    )
}

fn push_becomes_pop(t: &Target) -> Hit {
    use Opcode as O;
    let pushes = [
        O::SCONST_0,
        O::SCONST_1,
        O::ACONST_NULL,
        O::ALOAD_0,
        O::ALOAD_1,
        O::SLOAD_1,
    ];
    let pairs: Vec<(Opcode, Opcode)> = pushes.iter().map(|&p| (p, O::POP)).collect();
    swap_one_byte(t, &pairs, "stack underflow")
}

fn pop_becomes_dup(t: &Target) -> Hit {
    use Opcode as O;
    swap_one_byte(t, &[(O::POP, O::DUP), (O::POP2, O::DUP2)], "stack overflow")
}

fn max_stack_one_short(t: &Target) -> Hit {
    let m = &t.cap.method.methods[t.method];
    if m.header.max_stack == 0 {
        return None;
    }
    let mut c = t.cap.clone();
    c.method.methods[t.method].header.max_stack -= 1;
    Some((
        0,
        format!(
            "max_stack {} -> {}",
            m.header.max_stack,
            m.header.max_stack - 1
        ),
        c,
    ))
}

/// The first branch of the method with its target moved to `to(target)`,
/// if the new offset fits the instruction's encoding.
fn retarget(t: &Target, what: &str, to: impl Fn(&Target, i32, i32) -> Option<i32>) -> Hit {
    for i in t.insns {
        let Operands::Branch(off) = i.operands else {
            continue;
        };
        let target = i32::from(i.pc) + i32::from(off);
        let Some(new) = to(t, i32::from(i.pc), target) else {
            continue;
        };
        let new_off = new - i32::from(i.pc);
        let bytes = if i.len == 2 {
            let Ok(b) = i8::try_from(new_off) else {
                continue;
            };
            vec![b as u8]
        } else {
            let Ok(s) = i16::try_from(new_off) else {
                continue;
            };
            s.to_be_bytes().to_vec()
        };
        return Some((
            i.pc,
            format!("{what}: {} to pc {new} (was {target})", name(i.opcode)),
            t.patch(i.pc + 1, &bytes),
        ));
    }
    None
}

fn jump_into_instruction(t: &Target) -> Hit {
    retarget(t, "jump into an instruction", |t, _, target| {
        let new = target + 1;
        (new < t.code_len() as i32 && !t.is_start(new)).then_some(new)
    })
}

fn jump_out_of_method(t: &Target) -> Hit {
    retarget(t, "jump out of the method", |t, _, _| {
        Some(t.code_len() as i32)
    })
}

fn branch_to_itself(t: &Target) -> Hit {
    retarget(t, "branch to itself", |_, pc, target| {
        (target != pc).then_some(pc)
    })
}

fn endless_loop(t: &Target) -> Hit {
    // A two-byte push turned into `goto` to itself: the stack at the
    // target is the stack at the branch, so this verifies.
    let i = t.first(&[Opcode::BSPUSH, Opcode::BIPUSH])?;
    Some((
        i.pc,
        format!("endless loop: {} -> goto to itself", name(i.opcode)),
        t.patch(i.pc, &[Opcode::GOTO.0, 0]),
    ))
}

fn with_handler(
    t: &Target,
    what: &str,
    f: impl Fn(&mut hydra_cap::component::ExceptionHandler, u16, u16),
) -> Hit {
    let &h = t.handlers().first()?;
    let m = &t.cap.method.methods[t.method];
    let (start, len) = (m.code_offset(), m.bytecode.len() as u16);
    let mut c = t.cap.clone();
    f(&mut c.method.handlers[h], start, len);
    (c != *t.cap).then(|| {
        let pc = t.cap.method.handlers[h].start_offset - start;
        (pc, format!("{what} (handler {h})"), c)
    })
}

fn handler_inside_instruction(t: &Target) -> Hit {
    let starts: Vec<u16> = t.insns.iter().map(|i| i.pc).collect();
    with_handler(
        t,
        "handler starts inside an instruction",
        |h, start, len| {
            let pc = h.handler_offset.wrapping_sub(start);
            // `pc` wraps when the handler lies before the method: test it first.
            if pc < len && pc + 1 < len && !starts.contains(&(pc + 1)) {
                h.handler_offset += 1;
            }
        },
    )
}

fn handler_range_beyond_method(t: &Target) -> Hit {
    with_handler(t, "covered range runs past the method", |h, start, len| {
        h.active_length = (start + len).saturating_sub(h.start_offset) + 1;
    })
}

fn handler_catches_non_class(t: &Target) -> Hit {
    let &h = t.handlers().first()?;
    let catch = t.cap.method.handlers[h].catch_type_index;
    let other = *t
        .cp_where(catch, |e| !matches!(e, CpEntry::Class(_)))
        .first()?;
    with_handler(t, "handler catches a non-class", |h, _, _| {
        h.catch_type_index = other
    })
}

fn read_uninitialised_local(t: &Target) -> Hit {
    let m = &t.cap.method.methods[t.method];
    if m.header.max_locals == 0 {
        return None;
    }
    let local = m.header.nargs + m.header.max_locals - 1;
    let i = t.insns.iter().find(|i| {
        matches!(i.opcode, Opcode::SLOAD | Opcode::ALOAD)
            || (Opcode::ALOAD_0.0..=Opcode::SLOAD_3.0).contains(&i.opcode.0)
    })?;
    let bytes = match (i.opcode, i.len) {
        (op, 2) => vec![op.0, local],
        (op, _) if local <= 3 => {
            let base = if op.0 < Opcode::SLOAD_0.0 {
                Opcode::ALOAD_0.0
            } else {
                Opcode::SLOAD_0.0
            };
            vec![base + local]
        }
        _ => return None,
    };
    let c = t.patch(i.pc, &bytes);
    (c != *t.cap).then(|| {
        (
            i.pc,
            format!(
                "{} reads local {local} before anything is stored there",
                name(i.opcode)
            ),
            c,
        )
    })
}

fn constructor_call_removed(t: &Target) -> Hit {
    let i = t.insns.iter().find(|i| {
        i.opcode == Opcode::INVOKESPECIAL
            && i.cp_index()
                .and_then(|x| t.cap.constant_pool.entries.get(usize::from(x)))
                .is_some_and(|e| matches!(e, CpEntry::StaticMethod(_)))
    })?;
    Some((
        i.pc,
        "uninitialised object: the constructor call -> pop".into(),
        t.patch(i.pc, &[Opcode::POP.0, 0, 0]),
    ))
}

/// The first instruction among `ops` with its u2 constant-pool operand
/// set to the first index `keep` accepts.
fn repoint(t: &Target, ops: &[Opcode], what: &str, keep: impl Fn(&CpEntry) -> bool) -> Hit {
    for i in t.insns.iter().filter(|i| ops.contains(&i.opcode)) {
        let Some(old) = i.cp_index() else { continue };
        let Some(&new) = t.cp_where(old, &keep).first() else {
            continue;
        };
        let bytes = match i.operands {
            Operands::Cp(_) if i.len == 2 => match u8::try_from(new) {
                Ok(b) => vec![b],
                Err(_) => continue,
            },
            Operands::Cp(_) | Operands::Interface { .. } => new.to_be_bytes().to_vec(),
            Operands::TypeCheck { .. } => {
                let mut b = vec![0];
                b.extend_from_slice(&new.to_be_bytes());
                b
            }
            _ => continue,
        };
        return Some((
            i.pc,
            format!("{what}: {} constant {old} -> {new}", name(i.opcode)),
            t.patch(i.pc + 1, &bytes),
        ));
    }
    None
}

fn invoke_other_method(t: &Target) -> Hit {
    use Opcode as O;
    let r = |ops: &[Opcode], keep: fn(&CpEntry) -> bool| {
        repoint(t, ops, "wrong invoke signature", keep)
    };
    r(&[O::INVOKEVIRTUAL], |e| {
        matches!(e, CpEntry::VirtualMethod { .. })
    })
    .or_else(|| {
        r(&[O::INVOKESTATIC], |e| {
            matches!(e, CpEntry::StaticMethod(_))
        })
    })
    .or_else(|| {
        r(&[O::INVOKESPECIAL], |e| {
            matches!(e, CpEntry::SuperMethod { .. } | CpEntry::StaticMethod(_))
        })
    })
}

fn invoke_non_method(t: &Target) -> Hit {
    use Opcode as O;
    repoint(
        t,
        &[O::INVOKEVIRTUAL, O::INVOKESTATIC, O::INVOKESPECIAL],
        "invoke of a field",
        |e| matches!(e, CpEntry::InstanceField { .. } | CpEntry::StaticField(_)),
    )
}

fn field_of_another_class(t: &Target) -> Hit {
    let field_ops: Vec<Opcode> = (Opcode::GETFIELD_A.0..=Opcode::PUTFIELD_I.0)
        .chain(Opcode::GETFIELD_A_W.0..=Opcode::PUTFIELD_I_THIS.0)
        .map(Opcode)
        .collect();
    let i = t.first(&field_ops)?;
    let Some(CpEntry::InstanceField { class, .. }) = i
        .cp_index()
        .and_then(|x| t.cap.constant_pool.entries.get(usize::from(x)))
    else {
        return None;
    };
    let class = *class;
    // Another class's field first (private access across classes), else
    // another field of the same class.
    repoint(
        t,
        &[i.opcode],
        "field of another class",
        |e| matches!(e, CpEntry::InstanceField { class: c, .. } if *c != class),
    )
    .or_else(|| {
        repoint(t, &[i.opcode], "another field", |e| {
            matches!(e, CpEntry::InstanceField { .. })
        })
    })
}

fn static_of_another_package_item(t: &Target) -> Hit {
    let ops: Vec<Opcode> = (Opcode::GETSTATIC_A.0..=Opcode::PUTSTATIC_I.0)
        .map(Opcode)
        .collect();
    repoint(t, &ops, "another static field", |e| {
        matches!(e, CpEntry::StaticField(_))
    })
    .or_else(|| {
        repoint(t, &ops, "a static method as a field", |e| {
            matches!(e, CpEntry::StaticMethod(_))
        })
    })
}

fn checkcast_removed(t: &Target) -> Hit {
    let i = t.first(&[Opcode::CHECKCAST])?;
    Some((i.pc, "checkcast removed".into(), t.patch(i.pc, &[0; 4])))
}

fn checkcast_to_other_class(t: &Target) -> Hit {
    repoint(
        t,
        &[Opcode::CHECKCAST, Opcode::INSTANCEOF],
        "cast to another class",
        |e| matches!(e, CpEntry::Class(_)),
    )
}

fn array_of_other_class(t: &Target) -> Hit {
    repoint(
        t,
        &[Opcode::ANEWARRAY],
        "array store hole, array of another class",
        |e| matches!(e, CpEntry::Class(_)),
    )
}

fn array_of_other_primitive(t: &Target) -> Hit {
    let i = t.first(&[Opcode::NEWARRAY])?;
    let Operands::NewArray(atype) = i.operands else {
        return None;
    };
    let to = if atype == T_BYTE { T_SHORT } else { T_BYTE };
    Some((
        i.pc,
        format!("newarray type {atype} -> {to}"),
        t.patch(i.pc + 1, &[to]),
    ))
}

fn return_kind_changed(t: &Target) -> Hit {
    use Opcode as O;
    swap_one_byte(
        t,
        &[
            (O::SRETURN, O::ARETURN),
            (O::ARETURN, O::SRETURN),
            (O::RETURN, O::SRETURN),
        ],
        "wrong return",
    )
}

fn interface_nargs_wrong(t: &Target) -> Hit {
    let i = t.first(&[Opcode::INVOKEINTERFACE])?;
    let Operands::Interface { nargs, .. } = i.operands else {
        return None;
    };
    Some((
        i.pc,
        format!("invokeinterface nargs {nargs} -> {}", nargs.wrapping_add(1)),
        t.patch(i.pc + 1, &[nargs.wrapping_add(1)]),
    ))
}
