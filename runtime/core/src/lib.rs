//! Hydra's card runtime: a `no_std` + `alloc` core shared by the host and
//! the microcontroller boards.
//!
//! ```text
//!  apdu/jcre  ISO 7816-4 dispatch, SELECT, install, status words
//!  interp     bytecode interpreter (pre-resolved constant pool, quickened code)
//!  api        java.lang / javacard.framework natives, bound by export tokens
//!  firewall   context checks of object access, reference stores and calls;
//!             virtual and interface dispatch
//!  exceptions the JCRE-owned exception instances the runtime throws
//!  link       CAP loading, token resolution, class/method tables
//!  field_access  the layout every field instruction may touch, checked at link
//!  load_check the on-card verifier's check of a load file before linking
//!  heap       objects behind handles; persistent in NVM, transient in RAM
//!  txn        undo log: transactions, atomic updates, recovery at boot
//!  registry   applet registry and card metadata (GlobalPlatform-shaped)
//!  cardmgr    the GlobalPlatform Issuer Security Domain: SCP02/03, content
//!             and key management, GET STATUS, personalization
//!  security   javacard.security: engine objects over RustCrypto
//!  fwutil     javacardx.framework.util (ArrayLogic) and util.intx (JCint)
//!  gpapi      org.globalplatform: CVM, SecureChannel, registry entries
//!  nvm        the persistent-memory trait every write goes through
//! ```

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod apdu;
pub mod api;
pub mod api_tables;
pub mod card;
pub mod cardmgr;
pub mod class;
pub mod engine;
pub mod error;
pub mod exceptions;
pub mod field_access;
pub mod firewall;
pub mod fwutil;
pub mod gc;
pub mod gpapi;
pub mod heap;
pub mod interp;
pub mod jcre;
pub mod link;
pub mod load_check;
pub mod nvm;
pub mod registry;
pub mod security;
pub mod sorted;
pub mod txn;

pub use apdu::{Command, Response};
pub use card::{Card, Config, NativeCode};
pub use error::{Fault, LoadError};
pub use interp::Exc;
pub use nvm::{Nvm, RamNvm};
