//! The `hydra` command-line tool's library: each subcommand's logic, kept
//! apart from argument parsing so tests can call it.

pub mod error;

/// Writes to standard output. A reader that went away (`hydra inspect
/// x.cap | head`) ends the process quietly and successfully, as Unix tools
/// do; any other write error is one line on stderr.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("hydra: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// `print!` through [`write_stdout`].
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {
        $crate::write_stdout(format_args!($($t)*))
    };
}

/// `println!` through [`write_stdout`].
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($t)*)))
    };
}

/// The folder a file is in: `.` for a bare file name, whose parent is the
/// empty path.
pub fn folder_of(file: &std::path::Path) -> &std::path::Path {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    }
}
