//! Layout lies in the Class and Static Field components, each refused with
//! the fact it contradicts (worked out from the Descriptor by hand: the
//! arith applet's first class declares `short[] a; int[] b; short c; int d`,
//! tokens 0..3, five cells, references at tokens 0 and 1).

mod common;

use hydra_cap::component::ClassEntry;
use hydra_cap::CapFile;

fn arith() -> CapFile {
    let p = common::root().join("conformance/applets/arith/cap/arith.cap");
    hydra_cap::container::read_path(&p).unwrap().cap
}

fn first_class(c: &mut CapFile) -> &mut hydra_cap::component::ClassInfo {
    match &mut c.class.entries[0] {
        ClassEntry::Class(ci) => ci,
        _ => panic!("arith's first class entry is a class"),
    }
}

fn errors(c: &CapFile) -> String {
    match hydra_verify::verify(c, &common::api()) {
        Ok(_) => String::new(),
        Err(e) => e
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn the_honest_layout_verifies() {
    let c = arith();
    let ClassEntry::Class(ci) = &c.class.entries[0] else {
        panic!()
    };
    assert_eq!(
        (
            ci.declared_instance_size,
            ci.first_reference_token,
            ci.reference_count
        ),
        (5, 0, 2)
    );
    assert_eq!(errors(&c), "");
}

#[test]
fn instance_size_lies_are_refused() {
    for size in [0, 4, 6] {
        let mut c = arith();
        first_class(&mut c).declared_instance_size = size;
        let e = errors(&c);
        assert!(
            e.contains("declared instance size: expected 5 cells"),
            "{size}: {e}"
        );
    }
}

#[test]
fn reference_field_lies_are_refused() {
    for (first, count) in [(1, 2), (0, 1), (0, 3), (2, 2), (0xFF, 0)] {
        let mut c = arith();
        let ci = first_class(&mut c);
        ci.first_reference_token = first;
        ci.reference_count = count;
        let e = errors(&c);
        assert!(
            e.contains("reference fields (first token, count): expected (0, 2)"),
            "({first}, {count}): {e}"
        );
    }
}

#[test]
fn a_defined_method_left_out_of_its_table_is_refused() {
    let mut c = arith();
    let ci = first_class(&mut c);
    let t = ci
        .public_virtual_method_table
        .iter()
        .position(|&o| o != 0 && o != 0xFFFF)
        .expect("arith's applet class overrides a public method");
    ci.public_virtual_method_table[t] = 0xFFFF;
    let e = errors(&c);
    assert!(e.contains("virtual method table entry"), "{e}");
}

fn cap(path: &str) -> CapFile {
    hydra_cap::container::read_path(&common::root().join(path))
        .unwrap()
        .cap
}

/// statics declares `byte[] BYTES`, `short[] SHORTS`, `int[] INTS`,
/// `boolean[] BOOLS`, initialised in that order (element types 3, 4, 5, 2).
#[test]
fn an_array_initialiser_of_another_type_is_refused() {
    let honest = cap("conformance/applets/statics/cap/statics.cap");
    let types: Vec<u8> = honest
        .static_field
        .array_init
        .iter()
        .map(|a| a.element_type)
        .collect();
    assert_eq!(types, [3, 4, 5, 2]);
    assert_eq!(errors(&honest), "");
    for (k, lie, made, declared) in [
        (0, 4, "short[]", "byte[]"),
        (1, 3, "byte[]", "short[]"),
        (2, 4, "short[]", "int[]"),
        (3, 3, "byte[]", "boolean[]"),
    ] {
        let mut c = honest.clone();
        c.static_field.array_init[k].element_type = lie;
        let e = errors(&c);
        assert!(
            e.contains(&format!("array initialiser {k} makes a {made}"))
                && e.contains(&format!("is {declared}")),
            "{k}: {e}"
        );
    }
}

/// objects' abstract class Node declares `short step(short)` and
/// `void reset(short)`: two words with `this`, in headers without code.
#[test]
fn an_abstract_header_with_the_wrong_nargs_is_refused() {
    let honest = cap("benches/applets/objects/cap/objects.cap");
    assert_eq!(errors(&honest), "");
    let abstract_headers: Vec<usize> = honest
        .method
        .methods
        .iter()
        .enumerate()
        .filter(|(_, m)| m.header.is_abstract())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(abstract_headers.len(), 2);
    for i in abstract_headers {
        assert_eq!(honest.method.methods[i].header.nargs, 2);
        for lie in [0, 1, 3, 15] {
            let mut c = honest.clone();
            c.method.methods[i].header.nargs = lie;
            let e = errors(&c);
            assert!(
                e.contains(&format!("nargs: expected 2, found {lie}")),
                "{i}/{lie}: {e}"
            );
        }
    }
}
