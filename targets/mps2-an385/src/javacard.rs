//! The Java Card runtime (`hydra-runtime`) as the board's card: power
//! events boot and shut down the runtime over the board's NVM, APDUs go to
//! its JCRE, and a package image is applied through the runtime's loader
//! and registry as on the host.

#![forbid(unsafe_code)]

use core::convert::Infallible;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use hydra_runtime::{Card as Runtime, Config, Nvm};

use crate::card::{Card, Power, ATR};
use crate::image::{self, Entry};
use crate::native;

/// What a card whose NVM image was refused at boot (damaged, another
/// layout or API) answers to every command: ISO 7816-4 `6581`, memory
/// failure. Its state is kept as it is for analysis, never re-formatted.
pub const SW_MEMORY_FAILURE: u16 = 0x6581;

/// The runtime, powered or not.
pub struct RuntimeCard<N: Nvm> {
    card: Option<Runtime<N>>,
    nvm: Option<N>,
    /// Why the NVM image was refused; then every command answers
    /// [`SW_MEMORY_FAILURE`] until the board restarts.
    refused: Option<String>,
    pub config: Config,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl<N: Nvm + 'static> RuntimeCard<N> {
    /// A card over `nvm`, powered up; if its image is refused, a card that
    /// answers [`SW_MEMORY_FAILURE`] (see [`RuntimeCard::refused`]).
    pub fn boot(nvm: N, config: Config) -> RuntimeCard<N> {
        let mut c = RuntimeCard {
            card: None,
            nvm: Some(nvm),
            refused: None,
            config,
        };
        let _ = c.power_up();
        c
    }

    /// A card that refuses its NVM before booting (a truncated file, or
    /// one of another size): it answers [`SW_MEMORY_FAILURE`] and never
    /// writes.
    pub fn refusing(config: Config, why: String) -> RuntimeCard<N> {
        RuntimeCard {
            card: None,
            nvm: None,
            refused: Some(why),
            config,
        }
    }

    /// Why the card's NVM image was refused, if it was.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    fn power_down(&mut self) {
        if let Some(card) = self.card.take() {
            self.nvm = Some(card.power_down());
        }
    }

    fn power_up(&mut self) -> Result<&mut Runtime<N>, String> {
        self.power_down();
        if let Some(why) = &self.refused {
            return Err(why.clone());
        }
        let nvm = self
            .nvm
            .take()
            .ok_or("NVM lost by an earlier failed boot")?;
        let mut card = match Runtime::boot(nvm, self.config) {
            Ok(card) => card,
            Err(e) => {
                let why = format!("card state refused: {e}");
                self.refused = Some(why.clone());
                return Err(why);
            }
        };
        if self.config.native_code == Some(native::native_code()) {
            card.engine = Some(native::engine::<N>());
        }
        Ok(self.card.insert(card))
    }

    /// The runtime, powered up; `Err` if its image was refused.
    fn powered(&mut self) -> Result<&mut Runtime<N>, String> {
        if self.card.is_none() {
            self.power_up()?;
        }
        self.card.as_mut().ok_or_else(|| "not powered".into())
    }

    /// The runtime, powered up; `Err` if its image was refused.
    pub fn runtime(&mut self) -> Result<&mut Runtime<N>, String> {
        self.powered()
    }

    /// Loads the image's packages not on the card yet and installs its
    /// instances not registered yet; returns (packages loaded, instances
    /// installed).
    pub fn apply_image(&mut self, img: &[u8]) -> Result<(usize, usize), String> {
        let entries =
            image::parse(img).map_err(|e| format!("package image, byte {}: {}", e.at, e.what))?;
        let card = self.powered()?;
        let (mut loaded, mut installed) = (0, 0);
        for e in entries {
            match e {
                // The factory's packages: trusted as the board's image is,
                // so no DAP; the code is kept when the engine runs it.
                Entry::Native(bytes) => {
                    let p = hydra_package::Package::parse(bytes)
                        .map_err(|e| format!("package image: {e}"))?;
                    if card.live_package(p.aid).is_some() {
                        continue;
                    }
                    let cap = hydra_cap::CapFile::from_gp_load_file(p.load_file)
                        .map_err(|e| format!("package image: native package: {e}"))?;
                    let runs = card.config.native_code
                        == Some(hydra_runtime::NativeCode {
                            target: p.target,
                            abi: p.abi,
                        });
                    let described = hydra_runtime::load_check::has_descriptor(p.load_file);
                    card.load_verified(&cap, described, runs.then_some(bytes))
                        .map_err(|e| format!("loading package {}: {e}", hex(p.aid)))?;
                    loaded += 1;
                }
                Entry::Cap(stream) => {
                    let cap = hydra_cap::CapFile::from_component_stream(stream)
                        .map_err(|e| format!("package image: CAP: {e}"))?;
                    let aid = cap.header.package.aid.as_bytes();
                    if card.live_package(aid).is_some() {
                        continue;
                    }
                    let described = hydra_runtime::load_check::has_descriptor(stream);
                    card.load_verified(&cap, described, None)
                        .map_err(|e| format!("loading package {}: {e}", hex(aid)))?;
                    loaded += 1;
                }
                Entry::Install {
                    class_aid,
                    instance_aid,
                    params,
                    privileges,
                } => {
                    let inst = if instance_aid.is_empty() {
                        class_aid
                    } else {
                        instance_aid
                    };
                    if card.registry.find_exact(inst).is_some() {
                        continue;
                    }
                    card.install(class_aid, Some(inst), privileges, params)
                        .map_err(|e| format!("installing {}: {e}", hex(inst)))?;
                    installed += 1;
                }
            }
        }
        Ok((loaded, installed))
    }
}

impl<N: Nvm + 'static> Card for RuntimeCard<N> {
    /// A card whose NVM image was refused answers [`SW_MEMORY_FAILURE`]
    /// to every command, across power events.
    type Error = Infallible;

    fn atr(&self) -> &[u8] {
        &ATR
    }

    fn power(&mut self, event: Power) -> Result<(), Infallible> {
        match event {
            Power::Off => self.power_down(),
            // A refusal is kept in `refused` and answered per command.
            Power::On | Power::Reset => {
                let _ = self.power_up();
            }
        }
        Ok(())
    }

    fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), Infallible> {
        // Clients may start a session without any control frame.
        match self.powered() {
            Ok(card) => {
                let r = card.process(command);
                // Most responses are a status word alone: no copy of nothing.
                if !r.data.is_empty() {
                    response.extend_from_slice(&r.data);
                }
                response.extend_from_slice(&r.sw.to_be_bytes());
                card.recycle(r.data);
            }
            Err(_) => response.extend_from_slice(&SW_MEMORY_FAILURE.to_be_bytes()),
        }
        Ok(())
    }
}
