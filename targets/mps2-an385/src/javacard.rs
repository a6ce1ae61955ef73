//! The Java Card runtime (`hydra-runtime`) as the board's card: power
//! events boot and shut down the runtime over the board's NVM, APDUs go to
//! its JCRE, and a package image is applied through the runtime's loader
//! and registry as on the host.

#![forbid(unsafe_code)]

use core::convert::Infallible;

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use hydra_runtime::{Card as Runtime, Config, Nvm};

use crate::card::{Card, Power, ATR};
use crate::image::{self, Entry};
use crate::native::{self, NativeImage};

/// The runtime, powered or not.
pub struct RuntimeCard<N: Nvm> {
    card: Option<Runtime<N>>,
    nvm: Option<N>,
    pub config: Config,
    /// Native packages from the image, run by the native engine.
    natives: Vec<Rc<NativeImage>>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl<N: Nvm + 'static> RuntimeCard<N> {
    /// A card over `nvm`, powered up.
    pub fn boot(nvm: N, config: Config) -> Result<RuntimeCard<N>, String> {
        let mut c = RuntimeCard {
            card: None,
            nvm: Some(nvm),
            config,
            natives: Vec::new(),
        };
        c.power_up()?;
        Ok(c)
    }

    fn power_down(&mut self) {
        if let Some(card) = self.card.take() {
            self.nvm = Some(card.power_down());
        }
    }

    fn power_up(&mut self) -> Result<&mut Runtime<N>, String> {
        self.power_down();
        let nvm = self
            .nvm
            .take()
            .ok_or("NVM lost by an earlier failed boot")?;
        let mut card = Runtime::boot(nvm, self.config).map_err(|e| format!("boot: {e}"))?;
        if !self.natives.is_empty() {
            card.engine = Some(native::engine::<N>(&self.natives));
        }
        Ok(self.card.insert(card))
    }

    fn powered(&mut self) -> &mut Runtime<N> {
        if self.card.is_none() {
            if let Err(e) = self.power_up() {
                panic!("{e}");
            }
        }
        self.card.as_mut().expect("powered")
    }

    /// The runtime, powered up.
    pub fn runtime(&mut self) -> &mut Runtime<N> {
        self.powered()
    }

    /// Loads the image's packages not on the card yet and installs its
    /// instances not registered yet; returns (packages loaded, instances
    /// installed).
    pub fn apply_image(&mut self, img: &[u8]) -> Result<(usize, usize), String> {
        let entries =
            image::parse(img).map_err(|e| format!("package image, byte {}: {}", e.at, e.what))?;
        for e in &entries {
            if let Entry::Native(blob) = e {
                let img = NativeImage::load(blob).map_err(|e| format!("native package: {e}"))?;
                self.natives.retain(|i| i.aid != img.aid);
                self.natives.push(Rc::new(img));
            }
        }
        let natives = self.natives.clone();
        let card = self.powered();
        if !natives.is_empty() {
            card.engine = Some(native::engine::<N>(&natives));
        }
        let (mut loaded, mut installed) = (0, 0);
        for e in entries {
            match e {
                Entry::Native(_) => {}
                Entry::Cap(stream) => {
                    let cap = hydra_cap::CapFile::from_component_stream(stream)
                        .map_err(|e| format!("package image: CAP: {e}"))?;
                    let aid = cap.header.package.aid.as_bytes();
                    if card.live_package(aid).is_some() {
                        continue;
                    }
                    card.load_package(&cap)
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
    /// A card whose NVM no longer boots stops with a fatal report (the
    /// panic handler's) instead of answering.
    type Error = Infallible;

    fn atr(&self) -> &[u8] {
        &ATR
    }

    fn power(&mut self, event: Power) -> Result<(), Infallible> {
        match event {
            Power::Off => self.power_down(),
            Power::On | Power::Reset => {
                if let Err(e) = self.power_up() {
                    panic!("{e}");
                }
            }
        }
        Ok(())
    }

    fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), Infallible> {
        // Clients may start a session without any control frame.
        let r = self.powered().process(command);
        response.extend_from_slice(&r.data);
        response.extend_from_slice(&r.sw.to_be_bytes());
        Ok(())
    }
}
