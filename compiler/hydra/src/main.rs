use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hydra::error::CliError;
use hydra_inspect::{self as inspect, opcodes::Coverage};
use hydra_jcapi::{ApiVersion, ExportPath};

mod bench;
mod card;
mod compile;
mod deploy;
mod gp;
mod keygen;
mod packages;
mod run;
mod thumb;
mod verify_cmd;

/// Ahead-of-time compiler and tools for Java Card applets.
#[derive(Parser)]
#[command(name = "hydra", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show a CAP file's package, imports, applets, classes, static image and
    /// disassembled methods, with every reference resolved to a name.
    Inspect(InspectArgs),
    /// Run an apdutool script on a card with the given packages and applets.
    Run(run::RunArgs),
    /// Compile a verified CAP file to native code (or show its CLIF / assembly).
    Compile(compile::CompileArgs),
    /// Verify CAP files: structure, and the types of every method's bytecode.
    Verify(verify_cmd::VerifyArgs),
    /// Benchmarks on the emulated Cortex-M3: interpreter, AOT and C, counted exactly.
    Bench(bench::BenchArgs),
    /// Serve a card to PC/SC clients through pcscd and vsmartcard's vpcd,
    /// until SIGINT or SIGTERM.
    Card(card::CardArgs),
    /// Deploy packages to a card over PC/SC with GlobalPlatform: load, install, list, delete, put the DAP key.
    Deploy(deploy::DeployArgs),
    /// Make a DAP signing key pair for native packages (P-256, PEM).
    Keygen(keygen::KeygenArgs),
}

#[derive(clap::Args)]
struct InspectArgs {
    /// CAP files (JAR archives, component streams, or folders of component files).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Print which instructions of the Java Card 3.0.5 set the files contain.
    #[arg(long)]
    opcodes: bool,
    #[command(flatten)]
    exports: ExportArgs,
}

/// Where names of imported packages come from.
#[derive(clap::Args)]
struct ExportArgs {
    /// Folder of export files of other libraries (repeatable); searched as
    /// Oracle's converter does, and recursively for any *.exp.
    #[arg(long = "exportpath", value_name = "DIR")]
    export_path: Vec<PathBuf>,
    /// Java Card API release of the built-in export data.
    #[arg(long, value_name = "VERSION", default_value = "3.2.0", value_parser = ["3.0.4", "3.0.5", "3.1.0", "3.2.0"])]
    api: String,
}

impl ExportArgs {
    fn export_path(&self) -> Result<ExportPath, CliError> {
        let version = ApiVersion::from_name(&self.api)
            .ok_or_else(|| CliError::Usage(format!("unknown API version {}", self.api)))?;
        let mut path = ExportPath::new(version);
        for dir in &self.export_path {
            path.add_dir(dir)?;
        }
        Ok(path)
    }
}

fn inspect_cmd(args: InspectArgs) -> Result<(), CliError> {
    let api = args.exports.export_path()?;
    if args.opcodes {
        let mut cov = Coverage::default();
        for f in &args.files {
            let loaded = hydra_cap::container::read_path(f)?;
            cov.add(&loaded.cap);
        }
        cov.finish();
        if args.json {
            hydra::outln!(
                "{}",
                serde_json::to_string_pretty(&cov).expect("serialisable")
            );
        } else {
            hydra::out!("{}", cov.render());
        }
        return Ok(());
    }
    for f in &args.files {
        let loaded = hydra_cap::container::read_path(f)?;
        let report = inspect::inspect(&f.display().to_string(), &loaded, &api);
        if args.json {
            hydra::outln!(
                "{}",
                serde_json::to_string_pretty(&report).expect("serialisable")
            );
        } else {
            hydra::out!("{}", inspect::text::render(&report));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect_cmd(args),
        Command::Run(args) => run::run_cmd(args),
        Command::Compile(args) => compile::compile_cmd(args),
        Command::Verify(args) => verify_cmd::verify_cmd(args),
        Command::Bench(args) => bench::bench_cmd(args),
        Command::Card(args) => card::card_cmd(args),
        Command::Deploy(args) => deploy::deploy_cmd(args),
        Command::Keygen(args) => keygen::keygen_cmd(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hydra: {e}");
            ExitCode::FAILURE
        }
    }
}
