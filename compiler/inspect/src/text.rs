//! The human view of a [`Report`].

use std::fmt::Write;

use super::report::{Method, Report};

fn join(v: &[&str]) -> String {
    v.join(" ")
}

fn method(out: &mut String, m: &Method) {
    let token = m.token.map_or(String::new(), |t| format!("  token {t}"));
    let access = join(&m.access);
    let _ = writeln!(
        out,
        "    method {}{}  [{access}]{token}  @{:#06x}",
        m.name, m.descriptor, m.offset
    );
    if let (Some(s), Some(n), Some(l)) = (m.max_stack, m.nargs, m.max_locals) {
        let _ = writeln!(
            out,
            "      max_stack {s}, nargs {n}, max_locals {l}, {} bytecode bytes",
            m.bytecode_size
        );
    }
    for h in &m.handlers {
        let _ = writeln!(
            out,
            "      handler [{}, {}) -> {}  catch {}",
            h.start_pc, h.end_pc, h.handler_pc, h.catch_type
        );
    }
    for l in &m.code {
        let mut line = format!("      {:5}: {}", l.pc, l.opcode);
        if !l.operands.is_empty() {
            line.push(' ');
            line.push_str(&l.operands);
        }
        if let Some(c) = &l.comment {
            let pad = 44usize.saturating_sub(line.len()).max(1);
            line.push_str(&" ".repeat(pad));
            line.push_str("// ");
            line.push_str(c);
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(e) = &m.decode_error {
        let _ = writeln!(out, "      !! {e}");
    }
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let p = &r.package;
    let _ = writeln!(
        out,
        "package {}  AID {}  version {}  (CAP format {}{}{})",
        if p.name.is_empty() {
            "<unnamed>"
        } else {
            &p.name
        },
        p.aid,
        p.version,
        r.cap_format,
        if p.flags.is_empty() { "" } else { ", " },
        p.flags.join(", ")
    );
    let _ = writeln!(out, "\ncomponents:");
    for c in &r.components {
        let _ = writeln!(out, "  {:>2} {:<18} {:6} bytes", c.tag, c.name, c.size);
    }
    let _ = writeln!(out, "\nimports:");
    for i in &r.imports {
        let _ = writeln!(
            out,
            "  [{}] {:<34} AID {}  version {}",
            i.token,
            i.name.as_deref().unwrap_or("<unknown: no export file>"),
            i.aid,
            i.version
        );
    }
    if !r.applets.is_empty() {
        let _ = writeln!(out, "\napplets:");
        for a in &r.applets {
            let _ = writeln!(
                out,
                "  AID {}  install {}  @{:#06x}",
                a.aid, a.install_method, a.install_method_offset
            );
        }
    }
    let sf = &r.static_fields;
    let _ = writeln!(
        out,
        "\nstatic field image: {} bytes, {} reference(s), {} default byte(s), non-default [{}]",
        sf.image_size, sf.reference_count, sf.default_value_count, sf.non_default_values
    );
    for (i, a) in sf.array_init.iter().enumerate() {
        let values: Vec<String> = a.values.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            out,
            "  array_init[{i}]: {}[{}] = {{{}}}",
            a.element_type,
            a.values.len(),
            values.join(", ")
        );
    }
    for c in &r.classes {
        let token = c
            .token
            .map_or("no token".to_owned(), |t| format!("token {t}"));
        let _ = write!(
            out,
            "\n{} {}  [{}]  {token}  @{:#06x}",
            c.kind,
            c.name,
            join(&c.access),
            c.offset
        );
        if let Some(s) = &c.superclass {
            let _ = write!(out, "\n  extends {s}");
        }
        if !c.interfaces.is_empty() {
            let _ = write!(out, "\n  implements {}", c.interfaces.join(", "));
        }
        if let Some(size) = c.declared_instance_size {
            let _ = write!(out, "\n  declared instance size: {size} word(s)");
        }
        out.push('\n');
        for f in &c.fields {
            let token = f.token.map_or(String::new(), |t| format!("  token {t}"));
            let off = f
                .static_offset
                .map_or(String::new(), |o| format!("  image offset {o}"));
            let _ = writeln!(
                out,
                "    field {}:{}  [{}]{token}{off}",
                f.name,
                f.descriptor,
                join(&f.access)
            );
        }
        for m in &c.methods {
            method(&mut out, m);
        }
    }
    let _ = writeln!(out, "\nconstant pool:");
    for e in &r.constant_pool {
        let _ = writeln!(out, "  #{:<4} {:<18} {}", e.index, e.kind, e.target);
    }
    out
}
