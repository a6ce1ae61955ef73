//! Debug component (tag 12): names, source files, local variables and line
//! numbers, as written by the converter with `-debug`.

use alloc::string::String;
use alloc::vec::Vec;

use super::read_vec;
use crate::bytes::{Reader, Writer};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDebugInfo {
    pub name_index: u16,
    pub descriptor_index: u16,
    pub access_flags: u16,
    /// Static field image offset (in the low half) or the constant value of a
    /// static final primitive.
    pub contents: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableInfo {
    pub index: u8,
    pub name_index: u16,
    pub descriptor_index: u16,
    pub start_pc: u16,
    pub length: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    pub start_pc: u16,
    pub end_pc: u16,
    pub source_line: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDebugInfo {
    pub name_index: u16,
    pub descriptor_index: u16,
    pub access_flags: u16,
    /// Method component offset.
    pub location: u16,
    pub header_size: u8,
    pub body_size: u16,
    pub variables: Vec<VariableInfo>,
    pub lines: Vec<LineInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDebugInfo {
    pub name_index: u16,
    pub access_flags: u16,
    /// Class component offset.
    pub location: u16,
    pub superclass_name_index: u16,
    pub source_file_index: u16,
    pub interface_name_indexes: Vec<u16>,
    pub fields: Vec<FieldDebugInfo>,
    pub methods: Vec<MethodDebugInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugComponent {
    /// The string table, as raw (modified UTF-8) bytes.
    pub strings: Vec<Vec<u8>>,
    pub package_name_index: u16,
    pub classes: Vec<ClassDebugInfo>,
}

impl DebugComponent {
    pub fn parse(r: &mut Reader<'_>) -> Result<DebugComponent> {
        let count = r.u2("string count")?;
        let strings = read_vec(r, count.into(), |r| {
            let len = r.u2("string length")?;
            Ok(r.bytes(len.into(), "string bytes")?.to_vec())
        })?;
        let package_name_index = r.u2("package name index")?;
        let class_count = r.u2("class count")?;
        let classes = read_vec(r, class_count.into(), |r| {
            let name_index = r.u2("class name index")?;
            let access_flags = r.u2("class access flags")?;
            let location = r.u2("class location")?;
            let superclass_name_index = r.u2("superclass name index")?;
            let source_file_index = r.u2("source file index")?;
            let interface_count = r.u1("interface count")?;
            let field_count = r.u2("field count")?;
            let method_count = r.u2("method count")?;
            let interface_name_indexes =
                read_vec(r, interface_count.into(), |r| r.u2("interface name index"))?;
            let fields = read_vec(r, field_count.into(), |r| {
                Ok(FieldDebugInfo {
                    name_index: r.u2("field name index")?,
                    descriptor_index: r.u2("field descriptor index")?,
                    access_flags: r.u2("field access flags")?,
                    contents: r.u4("field contents")?,
                })
            })?;
            let methods = read_vec(r, method_count.into(), |r| {
                let name_index = r.u2("method name index")?;
                let descriptor_index = r.u2("method descriptor index")?;
                let access_flags = r.u2("method access flags")?;
                let location = r.u2("method location")?;
                let header_size = r.u1("method header size")?;
                let body_size = r.u2("method body size")?;
                let variable_count = r.u2("variable count")?;
                let line_count = r.u2("line count")?;
                let variables = read_vec(r, variable_count.into(), |r| {
                    Ok(VariableInfo {
                        index: r.u1("variable index")?,
                        name_index: r.u2("variable name index")?,
                        descriptor_index: r.u2("variable descriptor index")?,
                        start_pc: r.u2("variable start pc")?,
                        length: r.u2("variable length")?,
                    })
                })?;
                let lines = read_vec(r, line_count.into(), |r| {
                    Ok(LineInfo {
                        start_pc: r.u2("line start pc")?,
                        end_pc: r.u2("line end pc")?,
                        source_line: r.u2("source line")?,
                    })
                })?;
                Ok(MethodDebugInfo {
                    name_index,
                    descriptor_index,
                    access_flags,
                    location,
                    header_size,
                    body_size,
                    variables,
                    lines,
                })
            })?;
            Ok(ClassDebugInfo {
                name_index,
                access_flags,
                location,
                superclass_name_index,
                source_file_index,
                interface_name_indexes,
                fields,
                methods,
            })
        })?;
        Ok(DebugComponent {
            strings,
            package_name_index,
            classes,
        })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u2(self.strings.len() as u16);
        for s in &self.strings {
            w.u2(s.len() as u16);
            w.bytes(s);
        }
        w.u2(self.package_name_index);
        w.u2(self.classes.len() as u16);
        for c in &self.classes {
            w.u2(c.name_index);
            w.u2(c.access_flags);
            w.u2(c.location);
            w.u2(c.superclass_name_index);
            w.u2(c.source_file_index);
            w.u1(c.interface_name_indexes.len() as u8);
            w.u2(c.fields.len() as u16);
            w.u2(c.methods.len() as u16);
            for i in &c.interface_name_indexes {
                w.u2(*i);
            }
            for f in &c.fields {
                w.u2(f.name_index);
                w.u2(f.descriptor_index);
                w.u2(f.access_flags);
                w.u4(f.contents);
            }
            for m in &c.methods {
                w.u2(m.name_index);
                w.u2(m.descriptor_index);
                w.u2(m.access_flags);
                w.u2(m.location);
                w.u1(m.header_size);
                w.u2(m.body_size);
                w.u2(m.variables.len() as u16);
                w.u2(m.lines.len() as u16);
                for v in &m.variables {
                    w.u1(v.index);
                    w.u2(v.name_index);
                    w.u2(v.descriptor_index);
                    w.u2(v.start_pc);
                    w.u2(v.length);
                }
                for l in &m.lines {
                    w.u2(l.start_pc);
                    w.u2(l.end_pc);
                    w.u2(l.source_line);
                }
            }
        }
    }

    /// A string of the table, lossily decoded.
    pub fn string(&self, index: u16) -> Option<String> {
        self.strings
            .get(usize::from(index))
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }
}
