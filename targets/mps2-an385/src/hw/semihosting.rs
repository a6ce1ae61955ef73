//! Arm semihosting (`BKPT 0xAB`), as QEMU implements it with
//! `-semihosting-config enable=on,target=native`: host files for the NVM,
//! the command line, a console for reports, and exit.

use core::arch::asm;

const SYS_OPEN: u32 = 0x01;
const SYS_CLOSE: u32 = 0x02;
const SYS_WRITE: u32 = 0x05;
const SYS_READ: u32 = 0x06;
const SYS_SEEK: u32 = 0x0A;
const SYS_FLEN: u32 = 0x0C;
const SYS_GET_CMDLINE: u32 = 0x15;
const SYS_EXIT: u32 = 0x18;

const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;
const ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN: u32 = 0x20023;

/// `fopen` modes of SYS_OPEN.
pub const MODE_READ_WRITE: u32 = 3; // "r+b"
pub const MODE_CREATE_READ_WRITE: u32 = 7; // "w+b"
const MODE_APPEND: u32 = 8; // "a": on ":tt", the host's standard error

/// Performs semihosting operation `op` with parameter block `args`.
///
/// # Safety
/// `args` must hold the parameters that `op` expects; every pointer among
/// them must be valid for the reads and writes `op` makes.
unsafe fn call(op: u32, args: &mut [usize]) -> isize {
    let ret: isize;
    // SAFETY: BKPT 0xAB traps to the semihosting host, which reads r0/r1,
    // reads and writes the memory described by the parameter block (valid
    // per this function's contract) and returns in r0; no other state of
    // the guest is touched.
    unsafe {
        asm!("bkpt #0xab", inout("r0") op as isize => ret, in("r1") args.as_mut_ptr(), options(nostack, preserves_flags));
    }
    ret
}

/// A host file handle.
#[derive(Debug, Clone, Copy)]
pub struct File(usize);

/// Opens the host file `path` (no NUL inside) with a SYS_OPEN `mode`.
pub fn open(path: &[u8], mode: u32) -> Option<File> {
    let mut name = [0u8; 256];
    if path.len() >= name.len() || path.contains(&0) {
        return None;
    }
    name[..path.len()].copy_from_slice(path);
    // SAFETY: SYS_OPEN reads the NUL-terminated name (`name` outlives the
    // call) and its length.
    let fd = unsafe {
        call(
            SYS_OPEN,
            &mut [name.as_ptr() as usize, mode as usize, path.len()],
        )
    };
    (fd >= 0).then_some(File(fd as usize))
}

impl File {
    /// Writes all of `data`; false if the host wrote less.
    pub fn write(&self, data: &[u8]) -> bool {
        // SAFETY: SYS_WRITE reads `data.len()` bytes from `data`.
        unsafe { call(SYS_WRITE, &mut [self.0, data.as_ptr() as usize, data.len()]) == 0 }
    }

    /// Fills `buf`; false if the file ended first.
    pub fn read(&self, buf: &mut [u8]) -> bool {
        // SAFETY: SYS_READ writes at most `buf.len()` bytes into `buf`.
        unsafe {
            call(
                SYS_READ,
                &mut [self.0, buf.as_mut_ptr() as usize, buf.len()],
            ) == 0
        }
    }

    pub fn seek(&self, pos: usize) -> bool {
        // SAFETY: SYS_SEEK takes plain integers.
        unsafe { call(SYS_SEEK, &mut [self.0, pos]) == 0 }
    }

    pub fn length(&self) -> Option<usize> {
        // SAFETY: SYS_FLEN takes a plain integer.
        let n = unsafe { call(SYS_FLEN, &mut [self.0]) };
        (n >= 0).then_some(n as usize)
    }

    pub fn close(self) {
        // SAFETY: SYS_CLOSE takes a plain integer.
        unsafe { call(SYS_CLOSE, &mut [self.0]) };
    }
}

/// The command line given by `-semihosting-config arg=...` (arguments joined
/// by spaces), copied into `buf`.
pub fn cmdline(buf: &mut [u8]) -> &[u8] {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: SYS_GET_CMDLINE writes at most `block[1]` bytes into `buf` and
    // the length it wrote back into `block[1]`.
    if unsafe { call(SYS_GET_CMDLINE, &mut block) } != 0 {
        return &[];
    }
    let s = &buf[..block[1].min(buf.len())];
    match s.iter().position(|&b| b == 0) {
        Some(z) => &s[..z],
        None => s,
    }
}

/// The host's standard error, for reports.
pub struct Console(Option<File>);

impl Console {
    pub fn stderr() -> Console {
        Console(open(b":tt", MODE_APPEND))
    }
}

impl core::fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if let Some(f) = self.0 {
            f.write(s.as_bytes());
        }
        Ok(())
    }
}

/// Ends the emulation: QEMU exits with status 0 if `success`, else 1.
pub fn exit(success: bool) -> ! {
    let reason = if success {
        ADP_STOPPED_APPLICATION_EXIT
    } else {
        ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN
    };
    loop {
        // SAFETY: on 32-bit Arm, SYS_EXIT takes the reason code itself in
        // r1, not a parameter block, and does not return under QEMU.
        unsafe {
            asm!("bkpt #0xab", in("r0") SYS_EXIT, in("r1") reason, options(nostack, nomem));
        }
    }
}
