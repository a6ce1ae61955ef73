//! From a parsed export file to the API model.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use hydra_exp::{ExportFile, PackageInfo};

use crate::model::{AccessFlags, ApiClass, ApiField, ApiMethod, ApiPackage, ApiPackageRef};

/// An export file whose references do not resolve. Files accepted by
/// [`ExportFile::parse`] always convert; this guards hand-built models.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("export file: {what} refers to a missing or wrong constant (index {index})")]
pub struct ConvertError {
    pub what: &'static str,
    pub index: u16,
}

fn owned(s: &str) -> Cow<'static, str> {
    Cow::Owned(String::from(s))
}

struct Cx<'a>(&'a ExportFile);

impl Cx<'_> {
    fn utf8(&self, index: u16, what: &'static str) -> Result<Cow<'static, str>, ConvertError> {
        self.0
            .utf8(index)
            .map(owned)
            .ok_or(ConvertError { what, index })
    }

    fn class(&self, index: u16, what: &'static str) -> Result<Cow<'static, str>, ConvertError> {
        self.0
            .class_name(index)
            .map(owned)
            .ok_or(ConvertError { what, index })
    }

    fn package(
        &self,
        index: u16,
        what: &'static str,
    ) -> Result<(&PackageInfo, Cow<'static, str>), ConvertError> {
        let p = self.0.package(index).ok_or(ConvertError { what, index })?;
        Ok((p, self.utf8(p.name_index, what)?))
    }
}

impl ApiPackage {
    /// The API model of a parsed export file.
    pub fn from_export(exp: &ExportFile) -> Result<Self, ConvertError> {
        let cx = Cx(exp);
        let (this, name) = cx.package(exp.this_package, "this_package")?;
        let references = exp
            .referenced_packages
            .iter()
            .map(|&i| {
                let (p, name) = cx.package(i, "referenced_packages")?;
                Ok(ApiPackageRef {
                    name,
                    aid: Cow::Owned(p.aid.clone()),
                    major: p.major_version,
                    minor: p.minor_version,
                })
            })
            .collect::<Result<Vec<_>, ConvertError>>()?;
        let mut classes = Vec::with_capacity(exp.classes.len());
        for c in &exp.classes {
            let supers = c
                .supers
                .iter()
                .map(|&i| cx.class(i, "supers"))
                .collect::<Result<Vec<_>, _>>()?;
            let interfaces = c
                .interfaces
                .iter()
                .map(|&i| cx.class(i, "interfaces"))
                .collect::<Result<Vec<_>, _>>()?;
            let methods = c
                .methods
                .iter()
                .map(|m| {
                    Ok(ApiMethod {
                        name: cx.utf8(m.name_index, "method name")?,
                        descriptor: cx.utf8(m.descriptor_index, "method descriptor")?,
                        token: m.token,
                        flags: AccessFlags(m.access_flags),
                    })
                })
                .collect::<Result<Vec<_>, ConvertError>>()?;
            let fields = c
                .fields
                .iter()
                .map(|f| {
                    Ok(ApiField {
                        name: cx.utf8(f.name_index, "field name")?,
                        descriptor: cx.utf8(f.descriptor_index, "field descriptor")?,
                        token: f.token,
                        flags: AccessFlags(f.access_flags),
                        constant: exp.constant_value(f),
                    })
                })
                .collect::<Result<Vec<_>, ConvertError>>()?;
            classes.push(ApiClass {
                name: cx.class(c.name_index, "class name")?,
                token: c.token,
                flags: AccessFlags(c.access_flags),
                superclass: supers.last().cloned(),
                supers: Cow::Owned(supers),
                interfaces: Cow::Owned(interfaces),
                methods: Cow::Owned(methods),
                fields: Cow::Owned(fields),
                cap22_inheritable_methods: c.cap22_inheritable_public_method_token_count,
            });
        }
        Ok(ApiPackage {
            name,
            aid: Cow::Owned(this.aid.clone()),
            major: this.major_version,
            minor: this.minor_version,
            library: this.flags & hydra_exp::flags::ACC_LIBRARY != 0,
            references: Cow::Owned(references),
            classes: Cow::Owned(classes),
        })
    }
}
