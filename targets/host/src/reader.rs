//! A card served to pcscd through vsmartcard's `vpcd` driver: the vpcd
//! protocol (`hydra-vpcd`) over TCP, so that every PC/SC client (`gp`,
//! pyscard, opensc-tool, pcsc_scan...) sees a Hydra card in a reader.
//!
//! vpcd listens (Debian's package: 127.0.0.1:35963 for the reader
//! `Virtual PCD 00 00`); the card connects to it, which PC/SC sees as a
//! card insertion, and a closed connection as a removal.
//!
//! Latency: Debian's vpcd writes a frame's length and payload with two
//! sends and Nagle's algorithm on, so its payload waits for our ACK of the
//! length; with delayed ACKs that is ~40 ms per APDU. The card re-arms
//! `TCP_QUICKACK` before every read (Linux clears it by itself) and sends
//! each of its own frames in one segment (`TCP_NODELAY`, one buffered write).

use std::io::{BufWriter, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hydra_vpcd::{ByteLink, Card, ServeError, Served};

/// How often a blocked read looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// What the reader side did to the link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("vpcd closed the connection")]
    Closed,
    #[error("stopped")]
    Stopped,
    #[error("vpcd connection: {0}")]
    Io(#[from] std::io::Error),
}

/// Why `hydra card` could not reach the reader.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no vpcd listening at {addr} ({source}): start pcscd with vsmartcard's vpcd driver (`apt-get install pcscd vsmartcard-vpcd`, then `pcscd -f`)")]
    NoReader {
        addr: String,
        source: std::io::Error,
    },
    #[error("vpcd at {addr} does not take the card (another card is in that reader? the second reader is on the next port, e.g. --vpcd 127.0.0.1:35964)")]
    Busy { addr: String },
    #[error("vpcd address {0}: expected HOST:PORT")]
    Address(String),
    #[error("vpcd connection to {addr}: {source}")]
    Io {
        addr: String,
        source: std::io::Error,
    },
}

/// How long vpcd may stay silent after the connection before the card
/// says that another card seems to hold the reader. vpcd asks for the ATR
/// about every 400 ms once it has taken a card; while another card is in
/// the reader, the kernel accepts the connection but vpcd never reads it.
const SILENCE: Duration = Duration::from_secs(3);

/// The TCP connection to vpcd, as the card's byte link.
pub struct VpcdLink<'a> {
    reader: TcpStream,
    writer: BufWriter<TcpStream>,
    stop: &'a AtomicBool,
    addr: String,
    /// Since the connection, while vpcd has sent nothing.
    silent_since: Option<std::time::Instant>,
}

impl<'a> VpcdLink<'a> {
    /// Connects to vpcd at `addr` (`HOST:PORT`); reads give up with
    /// [`LinkError::Stopped`] once `stop` is set.
    pub fn connect(addr: &str, stop: &'a AtomicBool) -> Result<VpcdLink<'a>, ConnectError> {
        let addrs: Vec<_> = addr
            .to_socket_addrs()
            .map_err(|_| ConnectError::Address(addr.to_string()))?
            .collect();
        let mut last = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, Duration::from_secs(5)) {
                Ok(s) => return Self::over(s, addr, stop).map_err(|source| io(addr, source)),
                Err(e) => last = Some(e),
            }
        }
        let source = last.unwrap_or_else(|| ErrorKind::AddrNotAvailable.into());
        Err(match source.kind() {
            // vpcd takes one card per reader and leaves others unaccepted.
            ErrorKind::TimedOut => ConnectError::Busy {
                addr: addr.to_string(),
            },
            ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable => ConnectError::NoReader {
                addr: addr.to_string(),
                source,
            },
            _ => io(addr, source),
        })
    }

    fn over(stream: TcpStream, addr: &str, stop: &'a AtomicBool) -> std::io::Result<VpcdLink<'a>> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(POLL))?;
        Ok(VpcdLink {
            writer: BufWriter::new(stream.try_clone()?),
            reader: stream,
            stop,
            addr: addr.to_string(),
            silent_since: Some(std::time::Instant::now()),
        })
    }

    /// Says once on stderr that vpcd has not talked to the card since the
    /// connection (the card keeps waiting: vpcd takes it when the reader
    /// is free).
    fn note_silence(&mut self) {
        if let Some(t) = self.silent_since {
            if t.elapsed() > SILENCE {
                eprintln!(
                    "hydra card: vpcd at {} has not talked to the card for {} s: another card may be in that reader (the second reader is on the next port); waiting for it",
                    self.addr,
                    SILENCE.as_secs()
                );
                self.silent_since = None;
            }
        }
    }
}

fn io(addr: &str, source: std::io::Error) -> ConnectError {
    ConnectError::Io {
        addr: addr.to_string(),
        source,
    }
}

impl ByteLink for VpcdLink<'_> {
    type Error = LinkError;

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), LinkError> {
        let mut got = 0;
        while got < buf.len() {
            // Best effort: without it answers are slower, not wrong.
            let _ = rustix::net::sockopt::set_tcp_quickack(&self.reader, true);
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => return Err(LinkError::Closed),
                Ok(n) => {
                    got += n;
                    self.silent_since = None;
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if self.stop.load(Ordering::Relaxed) {
                        return Err(LinkError::Stopped);
                    }
                    self.note_silence();
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Err(LinkError::Closed),
                Err(e) => return Err(LinkError::Io(e)),
            }
        }
        Ok(())
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), LinkError> {
        self.writer.write_all(data).map_err(closed_or_io)
    }

    fn flush(&mut self) -> Result<(), LinkError> {
        self.writer.flush().map_err(closed_or_io)
    }
}

fn closed_or_io(e: std::io::Error) -> LinkError {
    match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::ConnectionReset => LinkError::Closed,
        _ => LinkError::Io(e),
    }
}

/// Counts of what a session served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub apdus: u64,
    pub power_events: u64,
}

/// Serves `card` on one vpcd connection, counting into `stats`, until vpcd
/// closes it (`Ok`), `stop` is set (`Err(ServeError::Link(Stopped))`), or
/// the card fails.
pub fn serve_connection<C: Card>(
    link: &mut VpcdLink<'_>,
    card: &mut C,
    stats: &mut SessionStats,
) -> Result<(), ServeError<LinkError, C::Error>> {
    let mut response = Vec::new();
    loop {
        match hydra_vpcd::serve_one(link, card, &mut (), &mut response) {
            Ok(Served::Apdu(_)) => stats.apdus += 1,
            Ok(Served::Power(_)) => stats.power_events += 1,
            Ok(Served::Atr | Served::UnknownControl(_) | Served::TooLong(_)) => {}
            Err(ServeError::Link(LinkError::Closed)) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::net::TcpListener;

    struct Echo;

    impl Card for Echo {
        type Error = Infallible;
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x00]
        }
        fn power(&mut self, _: hydra_vpcd::Power) -> Result<(), Infallible> {
            Ok(())
        }
        fn process(&mut self, c: &[u8], r: &mut Vec<u8>) -> Result<(), Infallible> {
            r.extend_from_slice(c);
            r.extend_from_slice(&[0x90, 0x00]);
            Ok(())
        }
    }

    #[test]
    fn serves_a_reader_until_it_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let reader = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            // Length and payload in separate sends, as vpcd does.
            for frame in [&[0x01][..], &[0x04], &[0x00, 0xB0, 0x00, 0x00, 0x10]] {
                s.write_all(&(frame.len() as u16).to_be_bytes()).unwrap();
                s.write_all(frame).unwrap();
            }
            let mut got = [0u8; 4 + 9];
            s.read_exact(&mut got).unwrap();
            got
        });
        let stop = AtomicBool::new(false);
        let mut link = VpcdLink::connect(&addr, &stop).unwrap();
        let mut stats = SessionStats::default();
        serve_connection(&mut link, &mut Echo, &mut stats).unwrap();
        assert_eq!(
            stats,
            SessionStats {
                apdus: 1,
                power_events: 1
            }
        );
        assert_eq!(
            reader.join().unwrap(),
            [0, 2, 0x3B, 0x00, 0, 7, 0x00, 0xB0, 0x00, 0x00, 0x10, 0x90, 0x00]
        );
    }

    #[test]
    fn stop_ends_a_waiting_card() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = AtomicBool::new(true);
        let mut link = VpcdLink::connect(&addr, &stop).unwrap();
        let _peer = listener.accept().unwrap();
        assert!(matches!(
            serve_connection(&mut link, &mut Echo, &mut SessionStats::default()),
            Err(ServeError::Link(LinkError::Stopped))
        ));
    }

    #[test]
    fn no_reader_says_what_to_start() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let stop = AtomicBool::new(false);
        let Err(e) = VpcdLink::connect(&format!("127.0.0.1:{port}"), &stop) else {
            panic!("connected to a closed port");
        };
        let msg = e.to_string();
        assert!(
            msg.contains("pcscd -f") && msg.contains("vsmartcard-vpcd"),
            "{msg}"
        );
        assert!(matches!(
            VpcdLink::connect("no port here", &stop),
            Err(ConnectError::Address(_))
        ));
    }
}
