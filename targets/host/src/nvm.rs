//! NVM backed by a file: a RAM mirror, written back (the dirty range only)
//! on every flush, so card state survives power cycles and process restarts.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use hydra_runtime::{Fault, Nvm, RamNvm};

pub struct FileNvm {
    ram: RamNvm,
    path: Option<PathBuf>,
    file: Option<File>,
    dirty: Option<(usize, usize)>,
    clean_cut: Option<u64>,
    /// Indices of the writes the API lets a power loss tear.
    tearable: std::collections::BTreeSet<u64>,
}

impl FileNvm {
    /// NVM in memory only.
    pub fn memory(size: usize) -> FileNvm {
        FileNvm {
            ram: RamNvm::new(size),
            path: None,
            file: None,
            dirty: None,
            clean_cut: None,
            tearable: Default::default(),
        }
    }

    /// Opens (or creates, zeroed) the card file at `path`.
    pub fn open(path: &Path, size: usize) -> std::io::Result<FileNvm> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        check_state(&data, size)?;
        let mut ram = RamNvm::new(size.max(data.len()));
        ram.data[..data.len()].copy_from_slice(&data);
        if data.len() < ram.data.len() {
            file.set_len(ram.data.len() as u64)?;
        }
        Ok(FileNvm {
            ram,
            path: Some(path.to_path_buf()),
            file: Some(file),
            dirty: None,
            clean_cut: None,
            tearable: Default::default(),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes performed so far (for power-loss injection).
    pub fn writes(&self) -> u64 {
        self.ram.writes
    }

    /// Makes write number `n` (counted from the start) fail as a power loss
    /// that tears it (half its bytes written), and every later write fail.
    pub fn fail_at(&mut self, n: Option<u64>) {
        self.ram.fail_at = n;
        self.clean_cut = None;
    }

    /// Whether write number `n` was one the API lets a power loss tear
    /// (`Nvm::write_tearable`).
    pub fn is_tearable(&self, n: u64) -> bool {
        self.tearable.contains(&n)
    }

    /// Makes write number `n` and every later one fail as a power loss
    /// between writes: nothing of them reaches the NVM.
    pub fn cut_before(&mut self, n: Option<u64>) {
        self.ram.fail_at = None;
        self.clean_cut = n;
    }
}

/// A state file is empty (a new card) or a whole card image: anything else
/// is refused, never re-formatted, so a card's state (a PIN's try counter)
/// is not silently lost. Each refusal says which of the ways it is wrong
/// (the card then checks versions and checksums).
fn check_state(data: &[u8], size: usize) -> std::io::Result<()> {
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    if data.is_empty() {
        return Ok(());
    }
    let magic = hydra_runtime::heap::MAGIC.to_be_bytes();
    let has_magic = data.get(..4) == Some(&magic[..]);
    if data.len() != size {
        let recorded = hydra_runtime::heap::rd_u32(data, hydra_runtime::heap::SB_SIZE);
        if has_magic && recorded.is_ok_and(|n| n as usize == data.len()) {
            return Err(bad(format!(
                "the state of a card with {} bytes of NVM; this card has {size}",
                data.len()
            )));
        }
        if has_magic && data.len() < size {
            return Err(bad(format!(
                "truncated card state: {} of its {size} bytes",
                data.len()
            )));
        }
        return Err(bad(format!(
            "not a card state file ({} bytes, without a superblock for them; a card state is {size})",
            data.len()
        )));
    }
    if !has_magic && data.iter().any(|&b| b != 0) {
        return Err(bad(
            "not a card state file (it does not start with the HYD1 superblock)".into(),
        ));
    }
    Ok(())
}

impl Nvm for FileNvm {
    fn bytes(&self) -> &[u8] {
        &self.ram.data
    }

    fn write(&mut self, at: u32, data: &[u8]) -> Result<(), Fault> {
        if self.clean_cut.is_some_and(|n| self.ram.writes >= n) {
            self.ram.writes += 1;
            return Err(Fault::PowerLoss);
        }
        let r = self.ram.write(at, data);
        if r.is_ok() || r == Err(Fault::PowerLoss) {
            let (s, e) = (at as usize, at as usize + data.len());
            self.dirty = Some(match self.dirty {
                Some((a, b)) => (a.min(s), b.max(e)),
                None => (s, e),
            });
        }
        r
    }

    fn write_tearable(&mut self, at: u32, data: &[u8]) -> Result<(), Fault> {
        self.tearable.insert(self.ram.writes);
        self.write(at, data)
    }

    fn flush(&mut self) -> Result<(), Fault> {
        let (Some(f), Some((s, e))) = (self.file.as_mut(), self.dirty.take()) else {
            return Ok(());
        };
        let io = |e: std::io::Error| Fault::Io(e.to_string());
        f.seek(SeekFrom::Start(s as u64)).map_err(io)?;
        f.write_all(&self.ram.data[s..e]).map_err(io)?;
        f.flush().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(data: &[u8], size: usize) -> String {
        check_state(data, size).unwrap_err().to_string()
    }

    #[test]
    fn only_empty_or_whole_card_images_are_opened() {
        let mut image = vec![0u8; 4096];
        assert!(check_state(&[], 4096).is_ok());
        assert!(check_state(&image, 4096).is_ok()); // formatted at boot
        image[..4].copy_from_slice(b"HYD1");
        assert!(check_state(&image, 4096).is_ok());
        assert_eq!(
            refused(&image[..4000], 4096),
            "truncated card state: 4000 of its 4096 bytes"
        );
        let mut other = vec![0u8; 8192];
        other[..4].copy_from_slice(b"HYD1");
        other[8..12].copy_from_slice(&8192u32.to_be_bytes());
        assert_eq!(
            refused(&other, 4096),
            "the state of a card with 8192 bytes of NVM; this card has 4096"
        );
        assert!(refused(&[image.clone(), image.clone()].concat(), 4096)
            .starts_with("not a card state file (8192 bytes"));
        image[0] = b'X';
        assert!(refused(&image, 4096).contains("not a card state file"));
    }
}
