//! Class and Static Field components that lie about layouts: instance
//! sizes, reference fields, method tables, the static image. The rule, for
//! every lie told of every class of every conformance package: the
//! verifier refuses it or it changes nothing (an inherited method's table
//! entry left to the superclass). And a card that links it anyway (as one taking a
//! load file without its Descriptor would) refuses it or answers
//! identically on the interpreter and on compiled code — compiled from the
//! honest package, so no check the compiler makes can hide what the card's
//! linker lets through — except for lies that only the Descriptor can
//! show (which class a method belongs to), where both engines stay memory
//! safe but may dispatch differently.

mod common;

use common::*;
use hydra_cap::component::ClassEntry;
use hydra_cap::CapFile;

/// Every lie told of `cap`, with its label.
fn lies(cap: &CapFile) -> Vec<(String, CapFile)> {
    let mut out = Vec::new();
    let mut tell = |what: String, f: &dyn Fn(&mut CapFile)| {
        let mut c = cap.clone();
        f(&mut c);
        if c != *cap {
            out.push((what, c));
        }
    };
    for (k, e) in cap.class.entries.iter().enumerate() {
        let ClassEntry::Class(ci) = e else { continue };
        let at = ci.offset;
        macro_rules! lie {
            ($what:expr, |$ci:ident| $body:expr) => {
                tell(format!("class@{at:#06x}: {}", $what), &|c: &mut CapFile| {
                    if let ClassEntry::Class($ci) = &mut c.class.entries[k] {
                        $body;
                    }
                })
            };
        }
        let size = ci.declared_instance_size;
        lie!("instance size 0", |ci| ci.declared_instance_size = 0);
        lie!(format!("instance size {}", size.wrapping_sub(1)), |ci| {
            ci.declared_instance_size = size.saturating_sub(1)
        });
        lie!(format!("instance size {}", size + 1), |ci| {
            ci.declared_instance_size = size.saturating_add(1)
        });
        lie!("one reference more", |ci| {
            ci.reference_count = ci.reference_count.saturating_add(1)
        });
        lie!("one reference less", |ci| {
            ci.reference_count = ci.reference_count.saturating_sub(1)
        });
        lie!("first reference token + 1", |ci| {
            ci.first_reference_token = ci.first_reference_token.wrapping_add(1)
        });
        lie!("first reference token - 1", |ci| {
            ci.first_reference_token = ci.first_reference_token.wrapping_sub(1)
        });
        for t in 0..ci.public_virtual_method_table.len() {
            lie!(format!("public method table entry {t} = 0xFFFF"), |ci| {
                ci.public_virtual_method_table[t] = 0xFFFF
            });
        }
        for t in 0..ci.package_virtual_method_table.len() {
            lie!(format!("package method table entry {t} = 0xFFFF"), |ci| {
                ci.package_virtual_method_table[t] = 0xFFFF
            });
        }
    }
    let sf = &cap.static_field;
    if sf.reference_count > 0 {
        tell("one static reference less".into(), &|c: &mut CapFile| {
            c.static_field.reference_count -= 1
        });
    }
    if 2 * (sf.reference_count + 1) <= sf.image_size {
        tell("one static reference more".into(), &|c: &mut CapFile| {
            c.static_field.reference_count += 1
        });
    }
    if sf.image_size > 0 {
        tell("static image one byte short".into(), &|c: &mut CapFile| {
            c.static_field.image_size -= 1
        });
    }
    out
}

#[test]
fn layout_lies_are_refused_or_answer_identically() {
    let (mut told, mut by_verifier, mut by_linker, mut identical) = (0, 0, 0, 0);
    let mut differ_refused = 0;
    let mut failures = Vec::new();
    for e in suite() {
        let honest: Vec<CapFile> = e
            .caps
            .iter()
            .map(|c| hydra_host::read_cap(c).unwrap())
            .collect();
        let api = api(&e.caps);
        let engine = factory(native_code(&e.caps));
        let expected = std::fs::read_to_string(&e.expected).unwrap();
        for (which, cap) in honest.iter().enumerate() {
            for (what, lie) in lies(cap) {
                told += 1;
                let label = format!("{} {what}", e.caps[which].display());
                let verified = hydra_verify::verify(&lie, &api).is_ok();
                if !verified {
                    by_verifier += 1;
                }
                let mut caps = honest.clone();
                caps[which] = lie;
                let interp = e.run_with(&caps, None);
                let native = e.run_with(&caps, Some(engine.clone()));
                match (&interp, &native) {
                    (Err(a), Err(b)) if a == b => by_linker += 1,
                    (Ok(a), Ok(b)) if hydra_host::first_difference(b, a).is_none() => {
                        identical += 1;
                        if verified && hydra_host::first_difference(a, &expected).is_some() {
                            failures.push(format!("{label}: verified, and changes the answers"));
                        }
                    }
                    // A lie only the Descriptor shows (which class a method
                    // belongs to): dispatch differs, memory safety holds.
                    _ if !verified => differ_refused += 1,
                    _ => failures.push(format!(
                        "{label}: the engines differ\n  interp: {}\n  native: {}",
                        first_line(&interp),
                        first_line(&native)
                    )),
                }
            }
        }
    }
    println!(
        "layout lies: {told} told, {by_verifier} refused by the verifier, \
         {by_linker} refused by the card's linker, {identical} linked and identical, \
         {differ_refused} linked (refused by the verifier) and different"
    );
    assert!(told > 100, "only {told} lies");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn first_line(r: &Result<String, String>) -> String {
    match r {
        Ok(s) => format!("ok ({} lines)", s.lines().count()),
        Err(e) => format!("error: {e}"),
    }
}
