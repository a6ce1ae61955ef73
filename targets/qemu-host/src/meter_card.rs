//! The emulated meter as a card for a reader: `hydra card --engine thumb`
//! serves it to pcscd. The host process is the bridge between vpcd's TCP
//! connection (where the host can set `TCP_QUICKACK`, which the firmware
//! behind QEMU's serial port cannot) and the firmware's UART0, which speaks
//! the same vpcd frames.

use hydra_vpcd::{Card, Power};

use crate::{Result, Session};

/// A firmware session answering a reader's frames.
pub struct MeterCard {
    session: Session,
    atr: Vec<u8>,
}

impl MeterCard {
    /// The card behind `session`; its ATR is `atr`, or the firmware's own.
    pub fn new(mut session: Session, atr: Option<Vec<u8>>) -> Result<MeterCard> {
        let atr = match atr {
            Some(a) => a,
            None => session.atr()?,
        };
        Ok(MeterCard { session, atr })
    }

    /// Stops QEMU (every completed NVM write is in the NVM file).
    pub fn stop(self) -> String {
        self.session.stop()
    }
}

impl Card for MeterCard {
    type Error = crate::Error;

    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn power(&mut self, event: Power) -> Result<()> {
        self.session.power(event)
    }

    fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<()> {
        let ex = self.session.transmit(command)?;
        response.extend_from_slice(&ex.response);
        Ok(())
    }
}
