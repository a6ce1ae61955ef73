//! Errors that reach the user: one readable line each.

use hydra_cap::container::ReadError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    ExportPath(#[from] hydra_jcapi::ExportPathError),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Qemu(#[from] hydra_qemu_host::Error),
    /// A host card's error that names its file already.
    #[error(transparent)]
    Host(hydra_host::HostError),
    /// A reader's failure or a card's refusal during `hydra deploy`.
    #[error("{0}")]
    Deploy(String),
}
