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
}

impl FileNvm {
    /// NVM in memory only.
    pub fn memory(size: usize) -> FileNvm {
        FileNvm {
            ram: RamNvm::new(size),
            path: None,
            file: None,
            dirty: None,
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
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes performed so far (for power-loss injection).
    pub fn writes(&self) -> u64 {
        self.ram.writes
    }

    /// Makes write number `n` (counted from the start) fail as a power loss.
    pub fn fail_at(&mut self, n: Option<u64>) {
        self.ram.fail_at = n;
    }
}

impl Nvm for FileNvm {
    fn bytes(&self) -> &[u8] {
        &self.ram.data
    }

    fn write(&mut self, at: u32, data: &[u8]) -> Result<(), Fault> {
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
