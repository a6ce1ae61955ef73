//! `hydra keygen -o FILE`: a DAP signing key pair for native packages,
//! FILE the private key (PKCS#8 PEM, mode 0600), FILE.pub the public key
//! (SubjectPublicKeyInfo PEM), both P-256 as openssl reads them. The
//! private key signs on the build server (`hydra compile --emit package
//! --sign FILE`); the public key goes to the card (`hydra card --dap-key
//! FILE.pub`, `hydra deploy --put-dap-key FILE.pub`).

use std::path::PathBuf;

use hydra::error::CliError;

#[derive(clap::Args)]
pub struct KeygenArgs {
    /// The private key file to write; the public key goes to FILE.pub.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

pub fn keygen_cmd(args: KeygenArgs) -> Result<(), CliError> {
    if args.output.exists() && !args.force {
        return Err(CliError::Usage(format!(
            "{} exists: give --force to replace it",
            args.output.display()
        )));
    }
    // Almost every 32 random bytes are a scalar of the curve; the rest
    // (below 2^-32) draw again.
    let key = loop {
        let mut seed = [0u8; 32];
        if !hydra_host::os_entropy(&mut seed) {
            return Err(CliError::Usage(
                "no random numbers from /dev/urandom for the key".into(),
            ));
        }
        if let Some(k) = hydra_package::keyfile::key_from_entropy(&seed) {
            break k;
        }
    };
    let public = hydra_package::keyfile::write_pair(&key, &args.output)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    println!(
        "wrote {} (private) and {} (public)",
        args.output.display(),
        public.display()
    );
    Ok(())
}
