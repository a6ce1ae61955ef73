//! A whole CAP file: its components parsed together, checked against the
//! Directory, and written back byte for byte.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::cell::RefCell;

pub use crate::bytes::FieldSpan;
use crate::bytes::{Reader, Writer};
use crate::component::*;
use crate::error::{CapError, CapErrorKind, Result};

/// One component's file as found in the container: tag, u2 size, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawComponent {
    pub tag: ComponentTag,
    pub bytes: Vec<u8>,
}

impl RawComponent {
    /// Checks the tag/size framing and returns a reader over the body
    /// (recording into `trace`, with the tag and size, when given).
    fn body<'a>(&'a self, trace: Trace<'a>) -> Result<Reader<'a>> {
        let tag = self.tag;
        if self.bytes.len() < 3 {
            return Err(CapError::at(
                tag,
                0,
                CapErrorKind::UnexpectedEnd {
                    what: "component tag and size",
                    needed: 3,
                    available: self.bytes.len(),
                },
            ));
        }
        let declared = usize::from(u16::from_be_bytes([self.bytes[1], self.bytes[2]]));
        let actual = self.bytes.len() - 3;
        if declared != actual {
            return Err(CapError::at(
                tag,
                1,
                CapErrorKind::SizeMismatch { declared, actual },
            ));
        }
        if let Some(t) = trace {
            let mut t = t.borrow_mut();
            for (offset, len, what) in [(0, 1, "component tag"), (1, 2, "component size")] {
                t.push(FieldSpan {
                    tag,
                    offset,
                    len,
                    what,
                });
            }
        }
        Ok(Reader::traced(tag, &self.bytes[3..], 3, trace))
    }
}

/// Where the parsers record the items they read, if anyone asked.
type Trace<'a> = Option<&'a RefCell<Vec<FieldSpan>>>;

/// A parsed CAP file (compact format: one package).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapFile {
    pub header: Header,
    pub directory: Directory,
    pub applet: Option<AppletComponent>,
    pub import: ImportComponent,
    pub constant_pool: ConstantPool,
    pub class: ClassComponent,
    pub method: MethodComponent,
    pub static_field: StaticFieldComponent,
    pub reference_location: ReferenceLocation,
    pub export: Option<ExportComponent>,
    pub descriptor: DescriptorComponent,
    pub debug: Option<DebugComponent>,
    /// StaticResources (format 2.3) and custom components, kept as bytes.
    pub other: Vec<RawComponent>,
}

/// Parses a component body with `f`, requiring every byte to be consumed.
fn parse_body<'a, T>(
    raw: &'a RawComponent,
    trace: Trace<'a>,
    f: impl FnOnce(&mut Reader<'a>) -> Result<T>,
) -> Result<T> {
    let mut r = raw.body(trace)?;
    let v = f(&mut r)?;
    r.finish()?;
    Ok(v)
}

/// Download order of the components a load file always carries (JCVM
/// 3.0.5 §6.2).
const LOAD_ORDER: [ComponentTag; 10] = [
    ComponentTag::Header,
    ComponentTag::Directory,
    ComponentTag::Import,
    ComponentTag::Applet,
    ComponentTag::Class,
    ComponentTag::Method,
    ComponentTag::StaticField,
    ComponentTag::Export,
    ComponentTag::ConstantPool,
    ComponentTag::ReferenceLocation,
];

/// The body of a Descriptor component that describes nothing: no classes,
/// no constant-pool types (class count 0, constant-pool count 0).
const EMPTY_DESCRIPTOR_BODY: [u8; 3] = [0, 0, 0];

impl CapFile {
    /// Parses a set of component files (as found in a CAP archive, any order).
    pub fn from_components(components: Vec<RawComponent>) -> Result<CapFile> {
        CapFile::from_components_with(components, false, None)
    }

    /// Parses like [`CapFile::from_components`] (or, with
    /// `descriptor_optional`, like a GlobalPlatform load file) and lists
    /// every item the parsers read, in reading order: the byte layout of
    /// each component, for tools that point at fields (a generator of
    /// hostile packages, a hex view).
    pub fn field_map(
        components: Vec<RawComponent>,
        descriptor_optional: bool,
    ) -> Result<(CapFile, Vec<FieldSpan>)> {
        let trace = RefCell::new(Vec::new());
        let cap = CapFile::from_components_with(components, descriptor_optional, Some(&trace))?;
        Ok((cap, trace.into_inner()))
    }

    /// Parses a GlobalPlatform load file (the components concatenated, as
    /// LOAD carries them). The Descriptor component is optional there (JCVM
    /// 3.0.5 §6.14: it is for off-card verification, and GP clients such as
    /// `gp` leave it out); when it is missing, an empty one stands in and
    /// the Directory records its size, so the package writes back and parses
    /// again unchanged (the Debug component, never in a load file, is
    /// treated alike). Methods are then found from the Class, Applet,
    /// ConstantPool and Export components alone: a method nothing refers to
    /// stays part of the method before it.
    pub fn from_gp_load_file(bytes: &[u8]) -> Result<CapFile> {
        CapFile::from_components_with(split_component_stream(bytes)?, true, None)
    }

    fn from_components_with(
        mut components: Vec<RawComponent>,
        descriptor_optional: bool,
        trace: Trace<'_>,
    ) -> Result<CapFile> {
        let descriptor_missing = !components.iter().any(|c| c.tag == ComponentTag::Descriptor);
        let stand_in = descriptor_optional && descriptor_missing;
        if stand_in {
            let mut bytes = alloc::vec![ComponentTag::Descriptor.to_u8()];
            bytes.extend_from_slice(&(EMPTY_DESCRIPTOR_BODY.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&EMPTY_DESCRIPTOR_BODY);
            components.push(RawComponent {
                tag: ComponentTag::Descriptor,
                bytes,
            });
        }
        let mut slots: [Option<RawComponent>; 13] = Default::default();
        let mut other: Vec<RawComponent> = Vec::new();
        for c in components {
            let t = c.tag.to_u8();
            if (1..=12).contains(&t) {
                let slot = &mut slots[usize::from(t)];
                if slot.is_some() {
                    return Err(CapError::file(CapErrorKind::DuplicateComponent(c.tag)));
                }
                *slot = Some(c);
            } else {
                if other.iter().any(|o| o.tag == c.tag) {
                    return Err(CapError::file(CapErrorKind::DuplicateComponent(c.tag)));
                }
                other.push(c);
            }
        }
        let take = |slots: &mut [Option<RawComponent>; 13], tag: ComponentTag| {
            slots[usize::from(tag.to_u8())].take()
        };
        let required = |slots: &mut [Option<RawComponent>; 13], tag: ComponentTag| {
            take(slots, tag).ok_or(CapError::file(CapErrorKind::MissingComponent(tag)))
        };

        let header_raw = required(&mut slots, ComponentTag::Header)?;
        let header = parse_body(&header_raw, trace, Header::parse)?;
        let version = header.version;
        let directory_raw = required(&mut slots, ComponentTag::Directory)?;
        let mut directory = parse_body(&directory_raw, trace, |r| Directory::parse(r, version))?;
        if stand_in {
            let i = usize::from(ComponentTag::Descriptor.to_u8()) - 1;
            if let Some(size) = directory.component_sizes.get_mut(i) {
                *size = EMPTY_DESCRIPTOR_BODY.len() as u16;
            }
        }
        // Load files never carry the Debug component, whatever the
        // Directory recorded for the CAP file.
        if descriptor_optional && slots[usize::from(ComponentTag::Debug.to_u8())].is_none() {
            let i = usize::from(ComponentTag::Debug.to_u8()) - 1;
            if let Some(size) = directory.component_sizes.get_mut(i) {
                *size = 0;
            }
        }

        for tag in [
            ComponentTag::Import,
            ComponentTag::ConstantPool,
            ComponentTag::Class,
            ComponentTag::Method,
            ComponentTag::StaticField,
            ComponentTag::ReferenceLocation,
            ComponentTag::Descriptor,
        ] {
            if slots[usize::from(tag.to_u8())].is_none() {
                return Err(CapError::file(CapErrorKind::MissingComponent(tag)));
            }
        }

        // Every present component must have the size the directory records,
        // and every component the directory records must be present.
        let mut present: Vec<(ComponentTag, usize)> = Vec::new();
        present.push((ComponentTag::Header, header_raw.bytes.len() - 3));
        present.push((ComponentTag::Directory, directory_raw.bytes.len() - 3));
        for s in slots.iter().flatten() {
            present.push((s.tag, s.bytes.len() - 3));
        }
        for (i, &declared) in directory.component_sizes.iter().enumerate() {
            let tag = ComponentTag::from_u8(i as u8 + 1);
            let actual = present.iter().find(|p| p.0 == tag).map_or(0, |p| p.1);
            if usize::from(declared) != actual {
                return Err(CapError::at(
                    ComponentTag::Directory,
                    3 + 2 * i,
                    CapErrorKind::DirectoryMismatch {
                        tag,
                        declared: declared.into(),
                        actual,
                    },
                ));
            }
        }

        let applet = take(&mut slots, ComponentTag::Applet)
            .map(|raw| parse_body(&raw, trace, AppletComponent::parse))
            .transpose()?;
        let import = parse_body(
            &required(&mut slots, ComponentTag::Import)?,
            trace,
            ImportComponent::parse,
        )?;
        let constant_pool = parse_body(
            &required(&mut slots, ComponentTag::ConstantPool)?,
            trace,
            ConstantPool::parse,
        )?;
        let class = parse_body(&required(&mut slots, ComponentTag::Class)?, trace, |r| {
            ClassComponent::parse(r, version)
        })?;
        let static_field = parse_body(
            &required(&mut slots, ComponentTag::StaticField)?,
            trace,
            StaticFieldComponent::parse,
        )?;
        let reference_location = parse_body(
            &required(&mut slots, ComponentTag::ReferenceLocation)?,
            trace,
            ReferenceLocation::parse,
        )?;
        let export = take(&mut slots, ComponentTag::Export)
            .map(|raw| parse_body(&raw, trace, ExportComponent::parse))
            .transpose()?;
        let descriptor = parse_body(
            &required(&mut slots, ComponentTag::Descriptor)?,
            trace,
            DescriptorComponent::parse,
        )?;
        let debug = take(&mut slots, ComponentTag::Debug)
            .map(|raw| parse_body(&raw, trace, DebugComponent::parse))
            .transpose()?;

        let starts = method_starts(
            applet.as_ref(),
            &constant_pool,
            &class,
            export.as_ref(),
            &descriptor,
        );
        let method_raw = required(&mut slots, ComponentTag::Method)?;
        let method = parse_body(&method_raw, trace, |r| MethodComponent::parse(r, &starts))?;

        Ok(CapFile {
            header,
            directory,
            applet,
            import,
            constant_pool,
            class,
            method,
            static_field,
            reference_location,
            export,
            descriptor,
            debug,
            other,
        })
    }

    /// Parses a load file: the components concatenated, as sent by INSTALL/LOAD
    /// (and as in `.ijc` files).
    pub fn from_component_stream(bytes: &[u8]) -> Result<CapFile> {
        CapFile::from_components(split_component_stream(bytes)?)
    }

    /// Writes one component file (tag, size, body), or `None` if absent.
    pub fn component_bytes(&self, tag: ComponentTag) -> Result<Option<Vec<u8>>> {
        let mut w = Writer::default();
        match tag {
            ComponentTag::Header => self.header.write(&mut w),
            ComponentTag::Directory => self.directory.write(&mut w),
            ComponentTag::Applet => match &self.applet {
                Some(a) => a.write(&mut w),
                None => return Ok(None),
            },
            ComponentTag::Import => self.import.write(&mut w),
            ComponentTag::ConstantPool => self.constant_pool.write(&mut w),
            ComponentTag::Class => self.class.write(&mut w),
            ComponentTag::Method => self.method.write(&mut w),
            ComponentTag::StaticField => self.static_field.write(&mut w),
            ComponentTag::ReferenceLocation => self.reference_location.write(&mut w),
            ComponentTag::Export => match &self.export {
                Some(e) => e.write(&mut w),
                None => return Ok(None),
            },
            ComponentTag::Descriptor => self.descriptor.write(&mut w),
            ComponentTag::Debug => match &self.debug {
                Some(d) => d.write(&mut w),
                None => return Ok(None),
            },
            ComponentTag::StaticResources | ComponentTag::Other(_) => {
                return Ok(self
                    .other
                    .iter()
                    .find(|o| o.tag == tag)
                    .map(|o| o.bytes.clone()))
            }
        }
        let size = u16::try_from(w.len()).map_err(|_| {
            CapError::at(
                tag,
                1,
                CapErrorKind::OutOfRange {
                    what: "component size",
                    value: w.len(),
                    limit: 0xFFFF,
                },
            )
        })?;
        let mut out = Vec::with_capacity(w.len() + 3);
        out.push(tag.to_u8());
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&w.buf);
        Ok(Some(out))
    }

    /// Every present component file, in tag order, then the others.
    pub fn to_components(&self) -> Result<Vec<RawComponent>> {
        let mut out = Vec::new();
        for tag in ComponentTag::STANDARD {
            if let Some(bytes) = self.component_bytes(tag)? {
                out.push(RawComponent { tag, bytes });
            }
        }
        out.extend(self.other.iter().cloned());
        Ok(out)
    }

    /// The load file in the order the JCVM specification gives for
    /// downloading: Header, Directory, Import, Applet, Class, Method,
    /// StaticField, Export, ConstantPool, ReferenceLocation, Descriptor
    /// (and Debug when `with_debug`).
    pub fn to_load_file(&self, with_debug: bool) -> Result<Vec<u8>> {
        let mut order = LOAD_ORDER.to_vec();
        order.push(ComponentTag::Descriptor);
        if with_debug {
            order.push(ComponentTag::Debug);
        }
        self.write_components(&order)
    }

    /// The load file as GlobalPlatform clients send it in LOAD: the same
    /// order without the Descriptor and Debug components (the Directory
    /// still gives their sizes; see [`CapFile::from_gp_load_file`]).
    pub fn to_gp_load_file(&self) -> Result<Vec<u8>> {
        self.write_components(&LOAD_ORDER)
    }

    fn write_components(&self, order: &[ComponentTag]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for &tag in order {
            if let Some(bytes) = self.component_bytes(tag)? {
                out.extend_from_slice(&bytes);
            }
        }
        for o in &self.other {
            out.extend_from_slice(&o.bytes);
        }
        Ok(out)
    }

    /// The class or interface at an internal class reference.
    pub fn class_at(&self, offset: u16) -> Option<&ClassEntry> {
        self.class.at_offset(offset)
    }
}

/// Method component offsets named by the other components.
fn method_starts(
    applet: Option<&AppletComponent>,
    cp: &ConstantPool,
    class: &ClassComponent,
    export: Option<&ExportComponent>,
    descriptor: &DescriptorComponent,
) -> BTreeSet<u16> {
    let mut s = BTreeSet::new();
    for c in &descriptor.classes {
        for m in &c.methods {
            if !m.is_abstract() && !c.is_interface() {
                s.insert(m.method_offset);
            }
        }
    }
    if let Some(a) = applet {
        s.extend(a.applets.iter().map(|a| a.install_method_offset));
    }
    for e in &cp.entries {
        if let CpEntry::StaticMethod(StaticRef::Internal { offset }) = e {
            s.insert(*offset);
        }
    }
    for e in &class.entries {
        if let ClassEntry::Class(c) = e {
            // 0xFFFF marks a method inherited from a superclass of another
            // package (not defined here); offset 0 is the handler count, so
            // it cannot name a method either.
            s.extend(
                c.public_virtual_method_table
                    .iter()
                    .chain(&c.package_virtual_method_table)
                    .filter(|&&o| o != 0 && o != 0xFFFF),
            );
        }
    }
    if let Some(e) = export {
        for c in &e.classes {
            s.extend(c.static_method_offsets.iter().copied());
        }
    }
    s
}

/// Splits a concatenated component stream into component files.
pub fn split_component_stream(bytes: &[u8]) -> Result<Vec<RawComponent>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let tag = ComponentTag::from_u8(bytes[at]);
        if bytes.len() - at < 3 {
            return Err(CapError::at(
                tag,
                0,
                CapErrorKind::UnexpectedEnd {
                    what: "component tag and size",
                    needed: 3,
                    available: bytes.len() - at,
                },
            ));
        }
        let size = usize::from(u16::from_be_bytes([bytes[at + 1], bytes[at + 2]]));
        let end = at + 3 + size;
        if end > bytes.len() {
            return Err(CapError::at(
                tag,
                1,
                CapErrorKind::SizeMismatch {
                    declared: size,
                    actual: bytes.len() - at - 3,
                },
            ));
        }
        out.push(RawComponent {
            tag,
            bytes: bytes[at..end].to_vec(),
        });
        at = end;
    }
    Ok(out)
}
