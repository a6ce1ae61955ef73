//! Prints the class entries of a CAP file (debugging aid): `classes CAP`.
fn main() {
    let p = std::env::args().nth(1).expect("CAP path");
    let cap = hydra_host::read_cap(std::path::Path::new(&p)).expect("cap");
    for e in &cap.class.entries {
        if let hydra_cap::component::ClassEntry::Class(c) = e {
            println!(
                "@{} super {:?} base {} pub {:?} pkgbase {} pkg {:?} map {:?}",
                c.offset,
                c.super_class,
                c.public_method_table_base,
                c.public_virtual_method_table,
                c.package_method_table_base,
                c.package_virtual_method_table,
                c.token_mapping
            );
        }
    }
}
