//! The `hydra` command-line tool's library: each subcommand's logic, kept
//! apart from argument parsing so tests can call it.

pub mod error;
