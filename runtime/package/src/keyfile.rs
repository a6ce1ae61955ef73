//! DAP key files, as openssl reads and writes them: the private key as
//! PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the public key as a
//! SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), both for
//! P-256 (`openssl pkey -in FILE -text` shows them; `openssl ecparam -name
//! prime256v1 -genkey | openssl pkcs8 -topk8 -nocrypt` makes a private key
//! `hydra` accepts).

use std::path::Path;
use std::string::{String, ToString};

use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: not a P-256 {what} key in PEM ({why})")]
    Format {
        path: String,
        what: &'static str,
        why: String,
    },
}

fn io(path: &Path, e: impl ToString) -> KeyFileError {
    KeyFileError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// A signing key from 32 bytes of entropy, or `None` for the rare values
/// that are not a scalar of the curve (draw again).
pub fn key_from_entropy(bytes: &[u8; 32]) -> Option<SigningKey> {
    SigningKey::from_slice(bytes).ok()
}

/// Writes `key` to `path` (private, mode 0600 on Unix) and its public key
/// to `path.pub`; returns the public file's path.
pub fn write_pair(key: &SigningKey, path: &Path) -> Result<std::path::PathBuf, KeyFileError> {
    let private = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| io(path, e))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| io(path, e))?;
    write_private(path, private.as_bytes())?;
    let mut pub_name = std::ffi::OsString::from(path.as_os_str());
    pub_name.push(".pub");
    let pub_path = std::path::PathBuf::from(pub_name);
    std::fs::write(&pub_path, public).map_err(|e| io(&pub_path, e))?;
    Ok(pub_path)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.write_all(bytes).map_err(|e| io(path, e))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

fn read_text(path: &Path) -> Result<String, KeyFileError> {
    std::fs::read_to_string(path).map_err(|e| io(path, e))
}

/// Reads a private key file.
pub fn read_private(path: &Path) -> Result<SigningKey, KeyFileError> {
    SigningKey::from_pkcs8_pem(&read_text(path)?).map_err(|e| KeyFileError::Format {
        path: path.display().to_string(),
        what: "private",
        why: e.to_string(),
    })
}

/// Reads a public key file: the key in uncompressed SEC1 form.
pub fn read_public(path: &Path) -> Result<[u8; crate::dap::PUBLIC_KEY_LEN], KeyFileError> {
    let key =
        VerifyingKey::from_public_key_pem(&read_text(path)?).map_err(|e| KeyFileError::Format {
            path: path.display().to_string(),
            what: "public",
            why: e.to_string(),
        })?;
    let mut out = [0; crate::dap::PUBLIC_KEY_LEN];
    out.copy_from_slice(key.to_encoded_point(false).as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn a_pair_written_reads_back_and_matches() {
        let dir = std::env::temp_dir().join(format!("hydra-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dap.pem");
        let key = key_from_entropy(&[5; 32]).unwrap();
        let pub_path = write_pair(&key, &path).unwrap();
        assert_eq!(pub_path, dir.join("dap.pem.pub"));
        let back = read_private(&path).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        assert_eq!(
            read_public(&pub_path).unwrap(),
            crate::dap::public_key_of(&key)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
        let e = read_private(&pub_path).unwrap_err().to_string();
        assert!(e.contains("not a P-256 private key"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
