//! The PC/SC transport: a card in a reader of the PC/SC service (pcscd),
//! shared with other clients, T=1 or T=0.

use std::ffi::CString;

/// Why no card could be reached, or an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum PcscError {
    #[error("PC/SC: the service is not running (start pcscd)")]
    NoService,
    #[error("PC/SC: no reader")]
    NoReaders,
    #[error("PC/SC: no reader's name contains {name:?} (readers: {readers})")]
    NoSuchReader { name: String, readers: String },
    #[error("PC/SC: no card in any reader (readers: {readers})")]
    NoCard { readers: String },
    #[error("PC/SC: reader {reader}: {source}")]
    Reader {
        reader: String,
        source: ::pcsc::Error,
    },
    #[error("PC/SC: {0}")]
    Service(::pcsc::Error),
}

fn service(e: ::pcsc::Error) -> PcscError {
    match e {
        ::pcsc::Error::NoService | ::pcsc::Error::ServiceStopped => PcscError::NoService,
        ::pcsc::Error::NoReadersAvailable => PcscError::NoReaders,
        e => PcscError::Service(e),
    }
}

/// A connected card.
pub struct PcscTransport {
    card: ::pcsc::Card,
    /// The reader's name.
    pub reader: String,
    buf: Vec<u8>,
}

impl PcscTransport {
    /// Connects to the card in the first reader whose name contains
    /// `name`, or without a name in the first reader that has a card.
    pub fn connect(name: Option<&str>) -> Result<PcscTransport, PcscError> {
        let ctx = ::pcsc::Context::establish(::pcsc::Scope::User).map_err(service)?;
        let readers: Vec<CString> = ctx.list_readers_owned().map_err(service)?;
        if readers.is_empty() {
            return Err(PcscError::NoReaders);
        }
        let names = readers
            .iter()
            .map(|r| format!("{:?}", r.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(", ");
        let candidates: Vec<&CString> = match name {
            Some(n) => readers
                .iter()
                .filter(|r| r.to_string_lossy().contains(n))
                .collect(),
            None => readers.iter().collect(),
        };
        if candidates.is_empty() {
            return Err(PcscError::NoSuchReader {
                name: name.unwrap_or_default().into(),
                readers: names,
            });
        }
        let protocols = ::pcsc::Protocols::T1 | ::pcsc::Protocols::T0;
        for r in &candidates {
            match ctx.connect(r, ::pcsc::ShareMode::Shared, protocols) {
                Ok(card) => {
                    return Ok(PcscTransport {
                        card,
                        reader: r.to_string_lossy().into_owned(),
                        buf: vec![0; ::pcsc::MAX_BUFFER_SIZE_EXTENDED],
                    })
                }
                // An empty reader: the next one, unless it was named.
                Err(::pcsc::Error::NoSmartcard | ::pcsc::Error::RemovedCard) if name.is_none() => {}
                Err(source) => {
                    return Err(PcscError::Reader {
                        reader: r.to_string_lossy().into_owned(),
                        source,
                    })
                }
            }
        }
        Err(PcscError::NoCard { readers: names })
    }
}

impl super::Transport for PcscTransport {
    type Error = PcscError;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, PcscError> {
        self.card
            .transmit(apdu, &mut self.buf)
            .map(<[u8]>::to_vec)
            .map_err(|source| PcscError::Reader {
                reader: self.reader.clone(),
                source,
            })
    }
}
