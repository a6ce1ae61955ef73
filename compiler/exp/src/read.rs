//! The export-file parser: bounds-checked big-endian reads, then validation
//! of every constant-pool reference, each error naming its byte offset.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{ConstantKind, ExpError, ExpErrorKind};
use crate::{
    Attribute, ClassInfo, Constant, ExportFile, FieldInfo, FormatVersion, MethodInfo, PackageInfo,
    CONSTANT_VALUE, MAGIC,
};

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, offset: usize, kind: ExpErrorKind) -> ExpError {
        ExpError { offset, kind }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ExpError> {
        let available = self.remaining();
        if n > available {
            return Err(self.err(
                self.pos,
                ExpErrorKind::UnexpectedEnd {
                    what,
                    needed: n,
                    available,
                },
            ));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u1(&mut self, what: &'static str) -> Result<u8, ExpError> {
        Ok(self.bytes(1, what)?[0])
    }

    fn u2(&mut self, what: &'static str) -> Result<u16, ExpError> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u4(&mut self, what: &'static str) -> Result<u32, ExpError> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A vector with room for `count` items of at least `min_size` bytes
    /// each, but never more than the remaining input could hold.
    fn vec_for<T>(&self, count: usize, min_size: usize) -> Vec<T> {
        Vec::with_capacity(count.min(self.remaining() / min_size.max(1)))
    }
}

/// A constant-pool reference read at `offset`, checked once the pool is known.
struct Ref {
    offset: usize,
    index: u16,
    expected: ConstantKind,
    what: &'static str,
}

struct Checker<'p> {
    pool: &'p [Constant],
}

impl Checker<'_> {
    fn check(&self, r: &Ref) -> Result<&Constant, ExpError> {
        let found = self.pool.get(usize::from(r.index)).ok_or(ExpError {
            offset: r.offset,
            kind: ExpErrorKind::IndexOutOfRange {
                what: r.what,
                index: r.index,
                count: self.pool.len(),
            },
        })?;
        if found.kind() != r.expected {
            return Err(ExpError {
                offset: r.offset,
                kind: ExpErrorKind::WrongConstant {
                    what: r.what,
                    index: r.index,
                    expected: r.expected,
                    found: found.kind(),
                },
            });
        }
        Ok(found)
    }

    fn read(
        &self,
        r: &mut Reader<'_>,
        expected: ConstantKind,
        what: &'static str,
    ) -> Result<u16, ExpError> {
        let offset = r.pos;
        let index = r.u2(what)?;
        self.check(&Ref {
            offset,
            index,
            expected,
            what,
        })?;
        Ok(index)
    }
}

pub(crate) fn parse(data: &[u8]) -> Result<ExportFile, ExpError> {
    let mut r = Reader { data, pos: 0 };
    let magic = r.u4("magic")?;
    if magic != MAGIC {
        return Err(r.err(0, ExpErrorKind::BadMagic { found: magic }));
    }
    let minor = r.u1("minor_version")?;
    let major = r.u1("major_version")?;
    let version = FormatVersion::from_numbers(major, minor)
        .ok_or_else(|| r.err(4, ExpErrorKind::UnsupportedVersion { major, minor }))?;

    let count = usize::from(r.u2("constant_pool_count")?);
    let mut pool = r.vec_for(count, 3);
    let mut refs = Vec::new();
    for _ in 0..count {
        let entry_offset = r.pos;
        let tag = r.u1("cp_info tag")?;
        let constant = match tag {
            Constant::TAG_UTF8 => {
                let len = usize::from(r.u2("CONSTANT_Utf8 length")?);
                let bytes_offset = r.pos;
                let bytes = r.bytes(len, "CONSTANT_Utf8 bytes")?;
                let s = core::str::from_utf8(bytes).map_err(|e| {
                    r.err(bytes_offset + e.valid_up_to(), ExpErrorKind::InvalidUtf8)
                })?;
                Constant::Utf8(String::from(s))
            }
            Constant::TAG_INTEGER => Constant::Integer(r.u4("CONSTANT_Integer bytes")? as i32),
            Constant::TAG_CLASSREF => {
                let offset = r.pos;
                let name_index = r.u2("CONSTANT_Classref name_index")?;
                refs.push(Ref {
                    offset,
                    index: name_index,
                    expected: ConstantKind::Utf8,
                    what: "CONSTANT_Classref name_index",
                });
                Constant::ClassRef { name_index }
            }
            Constant::TAG_PACKAGE => {
                let flags = r.u1("CONSTANT_Package flags")?;
                let offset = r.pos;
                let name_index = r.u2("CONSTANT_Package name_index")?;
                refs.push(Ref {
                    offset,
                    index: name_index,
                    expected: ConstantKind::Utf8,
                    what: "CONSTANT_Package name_index",
                });
                let minor_version = r.u1("CONSTANT_Package minor_version")?;
                let major_version = r.u1("CONSTANT_Package major_version")?;
                let aid_len = usize::from(r.u1("CONSTANT_Package aid_length")?);
                let aid = r.bytes(aid_len, "CONSTANT_Package aid")?.to_vec();
                Constant::Package(PackageInfo {
                    flags,
                    name_index,
                    minor_version,
                    major_version,
                    aid,
                })
            }
            other => return Err(r.err(entry_offset, ExpErrorKind::UnknownConstantTag(other))),
        };
        pool.push(constant);
    }
    let ck = Checker { pool: &pool };
    for rf in &refs {
        ck.check(rf)?;
    }

    let this_package = ck.read(&mut r, ConstantKind::Package, "this_package")?;
    let mut referenced_packages = Vec::new();
    if version.has_references() {
        let n = usize::from(r.u1("referenced_package_count")?);
        referenced_packages = r.vec_for(n, 2);
        for _ in 0..n {
            referenced_packages.push(ck.read(
                &mut r,
                ConstantKind::Package,
                "referenced_packages",
            )?);
        }
    }

    let n = usize::from(r.u1("export_class_count")?);
    let mut classes = r.vec_for(n, 12);
    for _ in 0..n {
        classes.push(read_class(&mut r, &ck, version)?);
    }
    if r.remaining() != 0 {
        return Err(r.err(
            r.pos,
            ExpErrorKind::TrailingBytes {
                count: r.remaining(),
            },
        ));
    }
    Ok(ExportFile {
        version,
        constant_pool: pool,
        this_package,
        referenced_packages,
        classes,
    })
}

fn read_class(
    r: &mut Reader<'_>,
    ck: &Checker<'_>,
    version: FormatVersion,
) -> Result<ClassInfo, ExpError> {
    let token = r.u1("class_info token")?;
    let access_flags = r.u2("class_info access_flags")?;
    let name_index = ck.read(r, ConstantKind::ClassRef, "class_info name_index")?;

    let n = usize::from(r.u2("export_supers_count")?);
    let mut supers = r.vec_for(n, 2);
    for _ in 0..n {
        supers.push(ck.read(r, ConstantKind::ClassRef, "supers")?);
    }
    let n = usize::from(r.u1("export_interfaces_count")?);
    let mut interfaces = r.vec_for(n, 2);
    for _ in 0..n {
        interfaces.push(ck.read(r, ConstantKind::ClassRef, "interfaces")?);
    }

    let n = usize::from(r.u2("export_fields_count")?);
    let mut fields = r.vec_for(n, 9);
    for _ in 0..n {
        fields.push(read_field(r, ck)?);
    }

    let n = usize::from(r.u2("export_methods_count")?);
    let mut methods = r.vec_for(n, 7);
    for _ in 0..n {
        methods.push(MethodInfo {
            token: r.u1("method_info token")?,
            access_flags: r.u2("method_info access_flags")?,
            name_index: ck.read(r, ConstantKind::Utf8, "method_info name_index")?,
            descriptor_index: ck.read(r, ConstantKind::Utf8, "method_info descriptor_index")?,
        });
    }

    let cap22_inheritable_public_method_token_count = if version.has_references() {
        Some(r.u1("CAP22_inheritable_public_method_token_count")?)
    } else {
        None
    };
    Ok(ClassInfo {
        token,
        access_flags,
        name_index,
        supers,
        interfaces,
        fields,
        methods,
        cap22_inheritable_public_method_token_count,
    })
}

fn read_field(r: &mut Reader<'_>, ck: &Checker<'_>) -> Result<FieldInfo, ExpError> {
    let token = r.u1("field_info token")?;
    let access_flags = r.u2("field_info access_flags")?;
    let name_index = ck.read(r, ConstantKind::Utf8, "field_info name_index")?;
    let descriptor_index = ck.read(r, ConstantKind::Utf8, "field_info descriptor_index")?;
    let n = usize::from(r.u2("field_info attributes_count")?);
    let mut attributes = r.vec_for(n, 6);
    for _ in 0..n {
        let name_index = ck.read(r, ConstantKind::Utf8, "attribute_name_index")?;
        let len_offset = r.pos;
        let len = r.u4("attribute_length")?;
        let info_offset = r.pos;
        let info = r
            .bytes(usize::try_from(len).unwrap_or(usize::MAX), "attribute info")?
            .to_vec();
        let is_constant_value = matches!(
            ck.pool.get(usize::from(name_index)),
            Some(Constant::Utf8(s)) if s == CONSTANT_VALUE
        );
        if is_constant_value {
            if len != 2 {
                return Err(r.err(len_offset, ExpErrorKind::BadConstantValueLength(len)));
            }
            ck.check(&Ref {
                offset: info_offset,
                index: u16::from_be_bytes([info[0], info[1]]),
                expected: ConstantKind::Integer,
                what: "ConstantValue constantvalue_index",
            })?;
        }
        attributes.push(Attribute { name_index, info });
    }
    Ok(FieldInfo {
        token,
        access_flags,
        name_index,
        descriptor_index,
        attributes,
    })
}
