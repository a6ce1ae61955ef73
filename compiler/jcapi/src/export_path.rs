//! The set of packages a compilation (or a card) can import: the built-in
//! API of a chosen release, overridden by export files loaded at run time.

use alloc::vec::Vec;

use hydra_exp::ExportFile;

use crate::convert::ConvertError;
use crate::model::{same_package_name, ApiPackage};
use crate::version::{ApiVersion, GpVersion};

/// A package loaded at run time, and where from.
#[derive(Debug, Clone)]
struct Loaded {
    package: ApiPackage,
    #[cfg(feature = "std")]
    source: Option<std::path::PathBuf>,
}

/// Built-in API packages plus loaded export files, resolved by AID.
///
/// Loaded packages take precedence over built-in ones with the same AID;
/// among loaded packages, the first one added wins, as on the converter's
/// `-exportpath`.
#[derive(Debug, Clone, Default)]
pub struct ExportPath {
    builtin: Vec<&'static ApiPackage>,
    loaded: Vec<Loaded>,
}

impl ExportPath {
    /// The Java Card API `version` and the newest GlobalPlatform API.
    pub fn new(version: ApiVersion) -> Self {
        Self::with_versions(version, Some(GpVersion::default()))
    }

    /// The Java Card API `version` and, if given, a GlobalPlatform API.
    pub fn with_versions(version: ApiVersion, gp: Option<GpVersion>) -> Self {
        let mut builtin: Vec<&'static ApiPackage> = version.packages().to_vec();
        if let Some(gp) = gp {
            builtin.extend_from_slice(gp.packages());
        }
        Self {
            builtin,
            loaded: Vec::new(),
        }
    }

    /// No built-in packages at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds a package; it overrides a built-in package with the same AID,
    /// unless a package with that AID was already added. Returns whether it
    /// was taken.
    pub fn add_package(&mut self, package: ApiPackage) -> bool {
        self.push(Loaded {
            package,
            #[cfg(feature = "std")]
            source: None,
        })
    }

    fn push(&mut self, l: Loaded) -> bool {
        if self.loaded.iter().any(|x| x.package.aid == l.package.aid) {
            return false;
        }
        self.loaded.push(l);
        true
    }

    /// Adds the package an export file describes (see [`Self::add_package`]).
    pub fn add_export(&mut self, exp: &ExportFile) -> Result<bool, ConvertError> {
        Ok(self.add_package(ApiPackage::from_export(exp)?))
    }

    /// The package with this AID.
    pub fn package_by_aid(&self, aid: &[u8]) -> Option<&ApiPackage> {
        self.loaded
            .iter()
            .map(|l| &l.package)
            .find(|p| *p.aid == *aid)
            .or_else(|| self.builtin.iter().copied().find(|p| *p.aid == *aid))
    }

    /// The package with this name (slashes or dots); loaded packages first.
    pub fn package_by_name(&self, name: &str) -> Option<&ApiPackage> {
        self.loaded
            .iter()
            .map(|l| &l.package)
            .find(|p| same_package_name(&p.name, name))
            .or_else(|| {
                self.builtin
                    .iter()
                    .copied()
                    .find(|p| same_package_name(&p.name, name))
            })
    }

    /// Every visible package: loaded ones, then built-in ones not overridden.
    pub fn packages(&self) -> impl Iterator<Item = &ApiPackage> + '_ {
        self.loaded.iter().map(|l| &l.package).chain(
            self.builtin
                .iter()
                .copied()
                .filter(|b| !self.loaded.iter().any(|l| l.package.aid == b.aid)),
        )
    }

    /// Whether the package with this AID comes from a loaded export file.
    pub fn is_loaded(&self, aid: &[u8]) -> bool {
        self.loaded.iter().any(|l| *l.package.aid == *aid)
    }
}

#[cfg(feature = "std")]
pub use fs::ExportPathError;

#[cfg(feature = "std")]
mod fs {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Failure to load an export directory.
    #[derive(Debug, thiserror::Error)]
    pub enum ExportPathError {
        #[error("{}: {error}", path.display())]
        Io {
            path: PathBuf,
            error: std::io::Error,
        },
        #[error(transparent)]
        Load(#[from] hydra_exp::LoadError),
        #[error("{}: {error}", path.display())]
        Convert { path: PathBuf, error: ConvertError },
    }

    const MAX_DEPTH: usize = 32;

    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), ExportPathError> {
        let io = |error| ExportPathError::Io {
            path: dir.to_path_buf(),
            error,
        };
        if depth > MAX_DEPTH {
            return Ok(());
        }
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_dir() {
                walk(&path, depth + 1, out)?;
            } else if path.extension().is_some_and(|e| e == "exp") && path.is_file() {
                out.push(path);
            }
        }
        Ok(())
    }

    /// Whether `rel` is where the converter looks for `package`:
    /// `<package path>/javacard/<last component>.exp`.
    fn is_canonical(rel: &Path, package: &str) -> bool {
        let last = package.rsplit('/').next().unwrap_or(package);
        let mut expected = PathBuf::new();
        for part in package.split('/') {
            expected.push(part);
        }
        expected.push("javacard");
        expected.push(alloc::format!("{last}.exp"));
        rel == expected
    }

    impl ExportPath {
        /// Loads every export file under `dir` (the `--exportpath DIR`
        /// option): files at the converter's location
        /// `DIR/<package path>/javacard/<last>.exp` first, then any other
        /// `*.exp` found recursively, in path order. Files without the
        /// export-file magic are skipped (`.exp` is also a linker format);
        /// malformed export files are errors. Returns how many packages were
        /// taken (not already provided by an earlier directory).
        pub fn add_dir(&mut self, dir: &Path) -> Result<usize, ExportPathError> {
            let mut files = Vec::new();
            walk(dir, 0, &mut files)?;
            let mut found = Vec::new();
            for path in files {
                let data = std::fs::read(&path).map_err(|error| ExportPathError::Io {
                    path: path.clone(),
                    error,
                })?;
                if !data.starts_with(&hydra_exp::MAGIC.to_be_bytes()) {
                    continue;
                }
                let exp =
                    ExportFile::parse(&data).map_err(|error| hydra_exp::LoadError::Parse {
                        path: path.clone(),
                        error,
                    })?;
                let package =
                    ApiPackage::from_export(&exp).map_err(|error| ExportPathError::Convert {
                        path: path.clone(),
                        error,
                    })?;
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let canonical = is_canonical(rel, &package.name);
                found.push((!canonical, path, package));
            }
            found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            let mut taken = 0;
            for (_, path, package) in found {
                if self.push(Loaded {
                    package,
                    source: Some(path),
                }) {
                    taken += 1;
                }
            }
            Ok(taken)
        }

        /// Loads one export file (see [`Self::add_package`]).
        pub fn add_file(&mut self, path: &Path) -> Result<bool, ExportPathError> {
            let exp = ExportFile::read_file(path)?;
            let package =
                ApiPackage::from_export(&exp).map_err(|error| ExportPathError::Convert {
                    path: path.to_path_buf(),
                    error,
                })?;
            Ok(self.push(Loaded {
                package,
                source: Some(path.to_path_buf()),
            }))
        }

        /// The file the package with this AID was loaded from, if any.
        pub fn source_of(&self, aid: &[u8]) -> Option<&Path> {
            self.loaded
                .iter()
                .find(|l| *l.package.aid == *aid)?
                .source
                .as_deref()
        }
    }

    #[cfg(test)]
    #[test]
    fn canonical_paths() {
        assert!(is_canonical(
            Path::new("javacard/framework/javacard/framework.exp"),
            "javacard/framework"
        ));
        assert!(!is_canonical(
            Path::new("framework.exp"),
            "javacard/framework"
        ));
    }
}
