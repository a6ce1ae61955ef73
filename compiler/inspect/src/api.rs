//! Names of imported items from the export data: the built-in Java Card and
//! GlobalPlatform APIs plus export files on `--exportpath`.

use hydra_jcapi::{ApiClass, ApiMethod, ExportPath};

use super::symbols::ApiLookup;

fn pair(name: &str, descriptor: &str) -> (String, String) {
    (name.to_owned(), descriptor.to_owned())
}

/// A class by qualified name, in whichever package of the path defines it.
fn class_named<'a>(path: &'a ExportPath, qualified: &str) -> Option<&'a ApiClass> {
    let package = &qualified[..qualified.rfind('/')?];
    path.package_by_name(package)?.class(qualified)
}

/// A virtual method by token, searching the class and then its public
/// superclasses, nearest first (tokens of inherited methods are the
/// superclass's).
fn virtual_in_hierarchy<'a>(
    path: &'a ExportPath,
    class: &'a ApiClass,
    token: u8,
) -> Option<&'a ApiMethod> {
    if let Some(m) = class.virtual_method(token) {
        return Some(m);
    }
    class
        .supers
        .iter()
        .rev()
        .filter_map(|s| class_named(path, s))
        .find_map(|c| c.virtual_method(token))
}

impl ApiLookup for ExportPath {
    fn package_name(&self, aid: &[u8]) -> Option<String> {
        self.package_by_aid(aid).map(|p| p.name.to_string())
    }

    fn class_name(&self, aid: &[u8], class_token: u8) -> Option<String> {
        let c = self.package_by_aid(aid)?.class_by_token(class_token)?;
        Some(c.name.to_string())
    }

    fn virtual_method(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)> {
        let class = self.package_by_aid(aid)?.class_by_token(class_token)?;
        let m = virtual_in_hierarchy(self, class, token)?;
        Some(pair(&m.name, &m.descriptor))
    }

    fn static_method(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)> {
        let m = self
            .package_by_aid(aid)?
            .static_method(class_token, token)?;
        Some(pair(&m.name, &m.descriptor))
    }

    fn static_field(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)> {
        let f = self.package_by_aid(aid)?.static_field(class_token, token)?;
        Some(pair(&f.name, &f.descriptor))
    }

    fn instance_field(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)> {
        let f = self
            .package_by_aid(aid)?
            .instance_field(class_token, token)?;
        Some(pair(&f.name, &f.descriptor))
    }

    fn superclass_virtual(
        &self,
        aid: &[u8],
        class_token: u8,
        token: u8,
    ) -> Option<(String, String, String)> {
        let class = self.package_by_aid(aid)?.class_by_token(class_token)?;
        let m = virtual_in_hierarchy(self, class, token)?;
        // Name the class that declares it.
        let owner = std::iter::once(class)
            .chain(
                class
                    .supers
                    .iter()
                    .rev()
                    .filter_map(|s| class_named(self, s)),
            )
            .find(|c| c.virtual_method(token).is_some_and(|x| std::ptr::eq(x, m)))
            .map_or_else(|| class.name.to_string(), |c| c.name.to_string());
        Some((owner, m.name.to_string(), m.descriptor.to_string()))
    }
}
