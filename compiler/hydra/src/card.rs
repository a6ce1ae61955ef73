//! `hydra card`: a long-running card served to pcscd through vsmartcard's
//! vpcd, so that every PC/SC client (`gp`, pyscard, opensc-tool,
//! pcsc_scan, javax.smartcardio...) sees a Hydra card in the reader
//! `Virtual PCD 00 00`. The host engines run the card in this process; the
//! meter engines run it in the firmware under QEMU, this process bridging
//! vpcd's TCP connection and the firmware's UART.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hydra::error::CliError;
use hydra_host::reader::{serve_connection, ConnectError, LinkError, SessionStats, VpcdLink};
use hydra_host::{InstallSpec, ServedHost};
use hydra_qemu_host::MeterCard;
use hydra_vpcd::{Card, ServeError};

use crate::run::Engine;

#[derive(clap::Args)]
pub struct CardArgs {
    /// Execution engine.
    #[arg(long, value_enum, default_value_t = Engine::Interp)]
    engine: Engine,
    /// Card state file (NVM: packages, applets and their persistent data),
    /// created when missing and kept across restarts; without it the card
    /// lives in memory.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// CAP file to load unless its package is on the card (repeatable; in
    /// dependency order).
    #[arg(long = "cap", value_name = "CAP")]
    caps: Vec<PathBuf>,
    /// Applet to install unless its instance exists: CLASS_AID[:HEXPARAMS],
    /// CLASS_AID:INSTANCE_AID:HEXPARAMS or, with GP privileges,
    /// CLASS_AID:INSTANCE_AID:HEXPARAMS:PRIVILEGES (hex). Without any,
    /// every applet of the given CAP files is installed.
    #[arg(long = "install", value_name = "AID[:PARAMS]")]
    installs: Vec<String>,
    /// Where vpcd listens (Debian's vsmartcard-vpcd: 127.0.0.1:35963 for
    /// the reader "Virtual PCD 00 00", 35964 for "Virtual PCD 00 01").
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// Answer to reset, in hex (default: T=1 with historical bytes
    /// "HYDRA-PC" on the host engines, "HYDRA-M3" on the meter).
    #[arg(long, value_name = "HEX")]
    atr: Option<String>,
    /// Print every command and response on stderr (host engines).
    #[arg(long)]
    trace: bool,
    /// Name on stderr each exception that escapes an applet, and why a
    /// load file was refused (host engines).
    #[arg(long)]
    explain: bool,
    /// Which load files the card manager accepts: those its verifier
    /// type-checked whenever it can (a load file without its Descriptor
    /// component, as gp sends, runs unchecked), or only type-checked ones.
    #[arg(long, value_enum, default_value_t = VerifyLoadsArg::WhenPossible)]
    verify_loads: VerifyLoadsArg,
    /// Personalise the ISD with this DAP public key (`hydra keygen`'s
    /// FILE.pub) and Mandated DAP: every load file must then carry its
    /// signature. The card keeps it in its state.
    #[arg(long, value_name = "FILE.pub")]
    dap_key: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum VerifyLoadsArg {
    WhenPossible,
    Always,
}

fn parse_atr(hex: &str) -> Result<Vec<u8>, CliError> {
    let digits: String = hex
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let bytes = (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| CliError::Usage(format!("--atr {hex}: not hex bytes")))?;
    hydra_vpcd::atr::check(&bytes).map_err(|e| CliError::Usage(format!("--atr {hex}: {e}")))?;
    Ok(bytes)
}

/// Stops the card at SIGINT or SIGTERM (a second one ends the process at
/// once).
fn stop_flag() -> Result<Arc<AtomicBool>, CliError> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let err = |e: std::io::Error| CliError::Usage(format!("installing a signal handler: {e}"));
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop)).map_err(err)?;
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(err)?;
    }
    Ok(stop)
}

pub fn card_cmd(args: CardArgs) -> Result<(), CliError> {
    let atr = args.atr.as_deref().map(parse_atr).transpose()?;
    let installs = args
        .installs
        .iter()
        .map(|s| InstallSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let dap_key = args
        .dap_key
        .as_deref()
        .map(hydra_package::keyfile::read_public)
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let stop = stop_flag()?;
    match args.engine {
        Engine::Interp | Engine::Native => {
            let mut host = crate::run::new_host(args.state.as_deref())?;
            if args.engine == Engine::Native {
                host.engine = Some(crate::compile::engine_for(&args.caps)?);
            }
            host.explain = args.explain;
            host.config.verify_loads = match args.verify_loads {
                VerifyLoadsArg::WhenPossible => {
                    hydra_runtime::load_check::VerifyLoads::WhenPossible
                }
                VerifyLoadsArg::Always => hydra_runtime::load_check::VerifyLoads::Always,
            };
            if let Some(k) = &dap_key {
                let card = host.card().map_err(|e| CliError::Usage(e.to_string()))?;
                card.personalize_dap(k, true)
                    .map_err(|e| CliError::Usage(format!("DAP key: {e}")))?;
            }
            crate::run::setup(&mut host, &args.caps, &installs)?;
            let what = describe(&mut host);
            let mut card = ServedHost::new(host, atr);
            card.trace = args.trace;
            let r = serve(&args.vpcd, &mut card, &stop, args.engine, &what);
            // Every APDU already flushed its writes; this ends the session.
            card.host.power_down();
            r
        }
        Engine::ThumbInterp | Engine::Thumb => {
            let opts = crate::thumb::Options {
                caps: args.caps.clone(),
                installs,
                state: args.state.clone(),
                count: false,
                stats: false,
                native: args.engine == Engine::Thumb,
                pc_profile: None,
                verify_all_loads: args.verify_loads == VerifyLoadsArg::Always,
                dap_key: dap_key.map(|k| k.to_vec()),
            };
            let session = crate::thumb::start_session(&opts)?;
            let mut card = MeterCard::new(session, atr)?;
            let what = format!("{} CAP file(s) given", args.caps.len());
            let r = serve(&args.vpcd, &mut card, &stop, args.engine, &what);
            card.stop();
            r
        }
    }
}

/// What is on a host card, for the start-up line.
fn describe(host: &mut hydra_host::Host) -> String {
    match host.card() {
        Ok(c) => {
            let builtin = usize::from(hydra_runtime::api_tables::N_BUILTIN);
            let p = c
                .packages
                .iter()
                .skip(builtin)
                .filter(|p| !p.deleted)
                .count();
            let a = c.registry.applets.len();
            format!("{p} package(s), {a} applet(s)")
        }
        Err(e) => e.to_string(),
    }
}

/// Serves `card` to vpcd at `addr` until `stop`: reconnects when vpcd goes
/// away (pcscd restarted), which the card sees as a removal (power off).
fn serve<C: Card>(
    addr: &str,
    card: &mut C,
    stop: &AtomicBool,
    engine: Engine,
    what: &str,
) -> Result<(), CliError>
where
    C::Error: std::fmt::Display,
{
    let mut link = VpcdLink::connect(addr, stop).map_err(connect_error)?;
    eprintln!(
        "hydra card: {} engine, {what}; in the reader of vpcd at {addr}; Ctrl-C stops it",
        engine_name(engine)
    );
    let mut stats = SessionStats::default();
    loop {
        match serve_connection(&mut link, card, &mut stats) {
            Ok(()) => {
                eprintln!("hydra card: vpcd closed the connection; reconnecting");
                card.power(hydra_vpcd::Power::Off).map_err(card_error)?;
            }
            Err(ServeError::Link(LinkError::Stopped)) => break,
            Err(ServeError::Link(e)) => {
                eprintln!("hydra card: {e}; reconnecting");
                card.power(hydra_vpcd::Power::Off).map_err(card_error)?;
            }
            Err(ServeError::Card(e)) => return Err(card_error(e)),
        }
        match reconnect(addr, stop) {
            Some(l) => link = l,
            None => break,
        }
    }
    eprintln!(
        "hydra card: stopped after {} APDU(s) and {} power event(s)",
        stats.apdus, stats.power_events
    );
    Ok(())
}

fn reconnect<'a>(addr: &str, stop: &'a AtomicBool) -> Option<VpcdLink<'a>> {
    let mut last_note = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match VpcdLink::connect(addr, stop) {
            Ok(l) => return Some(l),
            Err(e) if last_note.elapsed() > Duration::from_secs(30) => {
                eprintln!("hydra card: still waiting: {e}");
                last_note = Instant::now();
            }
            Err(_) => {}
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

fn engine_name(e: Engine) -> &'static str {
    match e {
        Engine::Interp => "interp",
        Engine::Native => "native",
        Engine::ThumbInterp => "thumb-interp",
        Engine::Thumb => "thumb",
    }
}

fn connect_error(e: ConnectError) -> CliError {
    CliError::Usage(e.to_string())
}

fn card_error(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("the card stopped answering: {e}"))
}
