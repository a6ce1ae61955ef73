//! Off-card bytecode verifier for Java Card CAP files.
//!
//! [`verify`] runs the structural checks (every component's consistency,
//! the consistency between components, and against the export data of the
//! imported packages) and type inference over every method. On success it
//! returns [`Verified`]: the class universe and, per method, the type state
//! before every instruction and at every basic-block entry — the facts the
//! compiler's inline checks rely on.
//!
//! The core is `no_std` + `alloc` so a card can verify too; the `std`
//! feature adds reading export files from folders (through
//! `hydra_jcapi::ExportPath` and [`ApiSet::from_export_path`]).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod api;
mod bitset;
pub mod error;
pub mod model;
mod structural;
pub mod typecheck;
pub mod types;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use hydra_cap::component::ExceptionHandler;
use hydra_cap::{CapFile, ComponentTag};

pub use api::{
    ApiSet, BuiltinImports, ClassApi, FieldApi, Imports, MethodApi, NoImports, PackageApi,
};
pub use error::{ErrorKind, Location, VerifyError};
pub use model::{Access, Class, ClassId, Field, FieldId, Method, MethodId, Resolved, Universe};
pub use typecheck::MethodTypes;
pub use types::{Elem, Frame, JType, Sig, VType};

/// A verified package: its classes and the inferred types of every method.
#[derive(Debug, Clone)]
pub struct Verified {
    pub universe: Universe,
    /// One per method with code, in Method component order.
    pub methods: Vec<MethodTypes>,
    by_offset: BTreeMap<u16, usize>,
}

impl Verified {
    /// The types of the method whose header is at this Method component offset.
    pub fn method_at(&self, offset: u16) -> Option<&MethodTypes> {
        self.methods.get(*self.by_offset.get(&offset)?)
    }
}

/// Verifies a CAP file. Every error found is returned (one per broken
/// method at most: a method's analysis stops at its first error).
pub fn verify(cap: &CapFile, imports: &dyn Imports) -> Result<Verified, Vec<VerifyError>> {
    let (v, errors) = analyze(cap, imports);
    if errors.is_empty() {
        Ok(v)
    } else {
        Err(errors)
    }
}

/// Like [`verify`], but returns what could be inferred along with the
/// errors (methods that failed are missing from [`Verified::methods`]).
pub fn analyze(cap: &CapFile, imports: &dyn Imports) -> (Verified, Vec<VerifyError>) {
    let (u, mut errors) = model::Builder::new(cap, imports).build();
    structural::check(cap, &u, &mut errors);
    let ctx = typecheck::Ctx {
        u: &u,
        cap,
        uses_int: cap.header.uses_int(),
    };
    let mut methods = Vec::new();
    for info in &cap.method.methods {
        let Some(mid) = u.method_at(info.offset) else {
            continue; // reported as undescribed
        };
        if info.header.is_abstract() {
            // No code to check, but an invoke that resolves statically to
            // this method finds its receiver by the header's nargs.
            let m = u.method(mid);
            let expected = usize::from(!m.is_static) + m.sig.param_words();
            if usize::from(info.header.nargs) != expected {
                errors.push(VerifyError::new(
                    Location {
                        pc: None,
                        ..method_location(&u, mid, info.offset)
                    },
                    ErrorKind::MethodHeader {
                        what: "nargs",
                        expected: expected as u32,
                        found: info.header.nargs.into(),
                    },
                ));
            }
            continue;
        }
        let handlers: Vec<(usize, &ExceptionHandler)> = {
            let start = u32::from(info.code_offset());
            let end = start + info.bytecode.len() as u32;
            cap.method
                .handlers
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    u32::from(h.start_offset) >= start
                        && u32::from(h.start_offset) < end
                        && h.end_offset() <= end
                })
                .collect()
        };
        match typecheck::check_method(&ctx, mid, info, &handlers) {
            Ok(t) => methods.push(t),
            Err((pc, kind)) => {
                errors.push(VerifyError::new(
                    Location {
                        pc,
                        ..method_location(&u, mid, info.offset)
                    },
                    kind,
                ));
            }
        }
    }
    // A method that only failed on an entry that did not resolve adds
    // nothing to the error that entry already produced.
    if errors.iter().any(|e| e.kind.code() != "Unresolved") {
        errors.retain(|e| e.kind.code() != "Unresolved");
    }
    let by_offset = methods
        .iter()
        .enumerate()
        .map(|(i, m)| (m.offset, i))
        .collect();
    (
        Verified {
            universe: u,
            methods,
            by_offset,
        },
        errors,
    )
}

/// Where an error in one method is: its class, name, signature and offset.
fn method_location(u: &Universe, mid: MethodId, offset: u16) -> Location {
    let m = u.method(mid);
    Location {
        component: Some(ComponentTag::Method),
        class: Some(u.class_name(m.class).into()),
        method: Some(alloc::format!(
            "{}{} @{:#06x}",
            m.name,
            m.sig.describe(u),
            offset
        )),
        pc: None,
        item: None,
    }
}
