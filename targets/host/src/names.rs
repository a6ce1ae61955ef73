//! Names for load errors: the runtime reports missing API members by
//! tokens; the API export data (hydra-jcapi) turns them into class and
//! method names.

use hydra_cap::component::CpEntry;
use hydra_cap::{CapFile, ClassRef, StaticRef};
use hydra_jcapi::{ApiPackage, ApiVersion};
use hydra_runtime::error::ApiMember;
use hydra_runtime::LoadError;

fn api_package(aid: &[u8], major: u8, minor: Option<u8>) -> Option<&'static ApiPackage> {
    let mut best = None;
    for v in ApiVersion::ALL.iter().rev() {
        if let Some(p) = v.package_by_aid(aid) {
            if p.major == major && minor.is_none_or(|m| p.minor == m) {
                return Some(p);
            }
            best.get_or_insert(p);
        }
    }
    best
}

fn member_name(p: &ApiPackage, class_token: u8, member: ApiMember) -> String {
    let Some(c) = p.class_by_token(class_token) else {
        return format!("class token {class_token} of {}", p.dotted_name());
    };
    let class = c.name.replace('/', ".");
    let m = match member {
        ApiMember::Class => return class,
        ApiMember::StaticMethod(t) => c
            .static_method(t)
            .map(|m| format!("{class}.{}{}", m.name, m.descriptor)),
        ApiMember::VirtualMethod(t) => c
            .virtual_method(t)
            .map(|m| format!("{class}.{}{}", m.name, m.descriptor)),
        ApiMember::StaticField(t) => c
            .static_field(t)
            .map(|f| format!("{class}.{}:{}", f.name, f.descriptor)),
        ApiMember::InstanceField(t) => c
            .instance_field(t)
            .map(|f| format!("{class}.{}:{}", f.name, f.descriptor)),
    };
    m.unwrap_or_else(|| format!("{member} of {class}"))
}

/// The first use in `cap` of the imported package with index `k`.
fn first_use(cap: &CapFile, p: &ApiPackage, k: u8) -> Option<String> {
    for e in &cap.constant_pool.entries {
        let (class_token, member) = match *e {
            CpEntry::StaticMethod(StaticRef::External {
                package_token,
                class_token,
                token,
            }) if package_token == k => (class_token, ApiMember::StaticMethod(token)),
            CpEntry::StaticField(StaticRef::External {
                package_token,
                class_token,
                token,
            }) if package_token == k => (class_token, ApiMember::StaticField(token)),
            CpEntry::VirtualMethod {
                class:
                    ClassRef::External {
                        package_token,
                        class_token,
                    },
                token,
            } if package_token == k => (class_token, ApiMember::VirtualMethod(token)),
            CpEntry::Class(ClassRef::External {
                package_token,
                class_token,
            }) if package_token == k => (class_token, ApiMember::Class),
            _ => continue,
        };
        return Some(member_name(p, class_token, member));
    }
    None
}

/// Explains a load error with API names where the export data has them.
pub fn explain(cap: &CapFile, e: &LoadError) -> Option<String> {
    match e {
        LoadError::UnsupportedApi {
            package,
            api_aid,
            class_token,
            member,
            ..
        } => {
            let imp = cap
                .import
                .packages
                .iter()
                .find(|i| i.aid.as_bytes() == &api_aid[..]);
            let p = api_package(api_aid, imp.map_or(1, |i| i.major), imp.map(|i| i.minor))?;
            Some(format!(
                "package {package}: {} is not implemented by this runtime",
                member_name(p, *class_token, *member)
            ))
        }
        LoadError::MissingPackage {
            package,
            aid,
            major,
            minor,
        } => {
            let (k, imp) = cap
                .import
                .packages
                .iter()
                .enumerate()
                .find(|(_, i)| i.aid.to_string() == *aid)?;
            let p = api_package(imp.aid.as_bytes(), *major, Some(*minor))?;
            let first = first_use(cap, p, k as u8)
                .map(|u| format!(" (first use: {u})"))
                .unwrap_or_default();
            Some(format!(
                "package {package}: imports the API package {} {major}.{minor}, which this runtime does not implement{first}",
                p.dotted_name()
            ))
        }
        _ => None,
    }
}
