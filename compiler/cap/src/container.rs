//! The CAP container: a JAR (ZIP) with `META-INF/` and `<package>/javacard/*.cap`
//! component files, a directory of component files, or a bare concatenated
//! component stream.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use crate::cap::{split_component_stream, CapFile, RawComponent};
use crate::component::ComponentTag;
use crate::error::{CapError, CapErrorKind, Result};

/// Components are at most 64 KiB; anything much larger inside a CAP is hostile.
const MAX_ENTRY_SIZE: u64 = 0x1_0000 + 3;
const MAX_ENTRIES: usize = 4096;

fn container_error(msg: impl Into<String>) -> CapError {
    CapError::file(CapErrorKind::Container(msg.into()))
}

/// The entries of a CAP archive, kept so a rewritten CAP keeps its manifest
/// and other files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapArchive {
    /// Folder of the component files, e.g. `com/example/javacard/`.
    pub component_dir: String,
    /// Every entry in archive order: name and contents.
    pub entries: Vec<(String, Vec<u8>)>,
}

impl CapArchive {
    /// Reads a ZIP/JAR CAP file.
    pub fn from_zip(bytes: &[u8]) -> Result<CapArchive> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| container_error(alloc::format!("not a valid JAR/ZIP archive: {e}")))?;
        if zip.len() > MAX_ENTRIES {
            return Err(container_error(alloc::format!(
                "{} archive entries (limit {MAX_ENTRIES})",
                zip.len()
            )));
        }
        let mut entries = Vec::new();
        let mut component_dir: Option<String> = None;
        for i in 0..zip.len() {
            let mut f = zip
                .by_index(i)
                .map_err(|e| container_error(alloc::format!("archive entry {i}: {e}")))?;
            if f.is_dir() {
                continue;
            }
            let name = f.name().to_string();
            let mut data = Vec::new();
            (&mut f)
                .take(MAX_ENTRY_SIZE + 1)
                .read_to_end(&mut data)
                .map_err(|e| container_error(alloc::format!("archive entry {name}: {e}")))?;
            if data.len() as u64 > MAX_ENTRY_SIZE && is_component_name(&name) {
                return Err(container_error(alloc::format!(
                    "archive entry {name} is larger than any component can be"
                )));
            }
            if is_component_name(&name) {
                let dir = name[..name.rfind('/').map_or(0, |i| i + 1)].to_string();
                match &component_dir {
                    None => component_dir = Some(dir),
                    Some(d) if *d != dir => {
                        return Err(CapError::file(CapErrorKind::ExtendedFormat));
                    }
                    Some(_) => {}
                }
            }
            entries.push((name, data));
        }
        let component_dir = component_dir.ok_or_else(|| {
            container_error("no <package>/javacard/*.cap component files in the archive")
        })?;
        Ok(CapArchive {
            component_dir,
            entries,
        })
    }

    /// The component files, in archive order.
    pub fn components(&self) -> Vec<RawComponent> {
        self.entries
            .iter()
            .filter(|(name, data)| {
                name.starts_with(&self.component_dir)
                    && is_component_name(name)
                    && !name[self.component_dir.len()..].contains('/')
                    && !data.is_empty()
            })
            .map(|(_, data)| RawComponent {
                tag: ComponentTag::from_u8(data[0]),
                bytes: data.clone(),
            })
            .collect()
    }

    /// Replaces the component files with those of `cap`, keeping the other
    /// entries, and writes the archive.
    pub fn write_with(&self, cap: &CapFile) -> Result<Vec<u8>> {
        let components = cap.to_components()?;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        let io = |e: std::io::Error| container_error(alloc::format!("writing archive: {e}"));
        let zerr =
            |e: zip::result::ZipError| container_error(alloc::format!("writing archive: {e}"));
        for (name, data) in &self.entries {
            if name.starts_with(&self.component_dir) && is_component_name(name) {
                continue;
            }
            zip.start_file(name.as_str(), options).map_err(zerr)?;
            zip.write_all(data).map_err(io)?;
        }
        for c in components {
            let file = c
                .tag
                .file_name()
                .map(String::from)
                .unwrap_or_else(|| alloc::format!("Custom{}.cap", c.tag.to_u8()));
            zip.start_file(alloc::format!("{}{file}", self.component_dir), options)
                .map_err(zerr)?;
            zip.write_all(&c.bytes).map_err(io)?;
        }
        Ok(zip.finish().map_err(zerr)?.into_inner())
    }
}

fn is_component_name(name: &str) -> bool {
    name.ends_with(".cap") && name.contains("/javacard/")
}

/// How a CAP file was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    Archive(CapArchive),
    /// Concatenated components (a load file, `.ijc`).
    Stream,
    /// A folder of component files.
    Directory,
}

/// Reads a CAP file from bytes: a JAR/ZIP archive or a component stream.
pub fn parse_bytes(bytes: &[u8]) -> Result<(CapFile, Container)> {
    if bytes.starts_with(b"PK\x03\x04") {
        let archive = CapArchive::from_zip(bytes)?;
        let cap = CapFile::from_components(archive.components())?;
        Ok((cap, Container::Archive(archive)))
    } else if bytes.first() == Some(&1) {
        Ok((
            CapFile::from_components(split_component_stream(bytes)?)?,
            Container::Stream,
        ))
    } else {
        Err(container_error(
            "neither a JAR/ZIP archive nor a component stream starting with a Header component",
        ))
    }
}

/// A CAP file read from disk, with what it was read from.
#[derive(Debug, Clone)]
pub struct LoadedCap {
    pub cap: CapFile,
    pub container: Container,
    /// The component files as read, for byte-exact comparisons.
    pub raw_components: Vec<RawComponent>,
}

/// Reads a `.cap` archive, a component stream, or a directory of component files.
pub fn read_path(path: &Path) -> core::result::Result<LoadedCap, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(path.display().to_string(), e.to_string());
    if path.is_dir() {
        let mut raw = Vec::new();
        let mut names: Vec<_> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cap"))
            .collect();
        names.sort();
        for p in names {
            let data = std::fs::read(&p).map_err(io)?;
            if let Some(&t) = data.first() {
                raw.push(RawComponent {
                    tag: ComponentTag::from_u8(t),
                    bytes: data,
                });
            }
        }
        let cap = CapFile::from_components(raw.clone())
            .map_err(|e| ReadError::Cap(path.display().to_string(), e))?;
        return Ok(LoadedCap {
            cap,
            container: Container::Directory,
            raw_components: raw,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let wrap = |e: CapError| ReadError::Cap(path.display().to_string(), e);
    let (cap, container) = parse_bytes(&bytes).map_err(wrap)?;
    let raw_components = match &container {
        Container::Archive(a) => a.components(),
        _ => split_component_stream(&bytes).map_err(wrap)?,
    };
    Ok(LoadedCap {
        cap,
        container,
        raw_components,
    })
}

/// Reading a CAP file from disk failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{0}: {1}")]
    Io(String, String),
    #[error("{0}: {1}")]
    Cap(String, CapError),
}
