//! UART0 of the AN385: an Arm CMSDK APB UART at 0x4000_4000, polled.
//!
//! Registers (CMSDK TRM, DDI0479): DATA 0x00, STATE 0x04 (bit 0 TX buffer
//! full, bit 1 RX buffer full), CTRL 0x08 (bit 0 TX enable, bit 1 RX
//! enable), BAUDDIV 0x10 (at least 16). QEMU holds one received byte and
//! takes the next from the chardev only after DATA is read, so nothing is
//! lost however slowly the firmware reads.

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicBool, Ordering};

use core::convert::Infallible;

use hydra_vpcd::ByteLink;

pub const UART0_BASE: usize = 0x4000_4000;
const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;
/// 25 MHz peripheral clock / 16: the fastest divider the UART allows.
const DIVIDER: u32 = 16;

/// The one handle to UART0.
pub struct Uart0 {
    _own: (),
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Uart0 {
    /// Takes and enables UART0; `None` if it was taken before.
    pub fn take() -> Option<Uart0> {
        if TAKEN.swap(true, Ordering::Relaxed) {
            return None;
        }
        let u = Uart0 { _own: () };
        u.write_reg(BAUDDIV, DIVIDER);
        u.write_reg(CTRL, CTRL_TX_EN | CTRL_RX_EN);
        Some(u)
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // SAFETY: UART0_BASE + offset is a 32-bit register of UART0 on the
        // AN385 (offset is one of the constants above); reading it has no
        // effect beyond the device's documented one (DATA pops the byte).
        unsafe { read_volatile((UART0_BASE + offset) as *const u32) }
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: as in `read_reg`; `self` is the only handle to UART0, so
        // no other code programs the device.
        unsafe { write_volatile((UART0_BASE + offset) as *mut u32, value) }
    }
}

impl ByteLink for Uart0 {
    type Error = Infallible;

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), Infallible> {
        for b in buf {
            while self.read_reg(STATE) & STATE_RX_FULL == 0 {}
            *b = self.read_reg(DATA) as u8;
        }
        Ok(())
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), Infallible> {
        for &b in data {
            while self.read_reg(STATE) & STATE_TX_FULL != 0 {}
            self.write_reg(DATA, b as u32);
        }
        Ok(())
    }
}
