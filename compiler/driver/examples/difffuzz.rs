//! Differential fuzzing of the interpreter against compiled code:
//!
//! ```text
//! cargo run --release -p hydra-driver --features fuzzing --example difffuzz -- [SECONDS] [FIRST_SEED]
//! ```
//!
//! Each case (a seed) mutates a conformance applet, re-verifies it, and runs
//! its script on both engines, in a child process with a time limit (a
//! mutation may still make a callee loop for long). Prints a summary and
//! every difference with its seed; `--case SEED` replays one case.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hydra_driver::fuzzing::{run_case, Outcome};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--case") {
        let seed: u64 = args[2].parse().expect("seed");
        let (o, muts, script) = run_case(seed);
        for m in &muts {
            println!("  mutation: {m}");
        }
        match o {
            Outcome::Same { changed: true } => println!("same changed {script}"),
            Outcome::Same { changed: false } => println!("same {script}"),
            Outcome::Invalid => println!("invalid {script}"),
            Outcome::Differ(d) => {
                println!("DIFFER {script}: {d}");
                std::process::exit(2);
            }
        }
        return;
    }
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let mut seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let exe = std::env::current_exe().expect("own path");
    let end = Instant::now() + Duration::from_secs(seconds);
    let (mut same, mut changed, mut invalid, mut timeouts, mut differ) =
        (0u64, 0u64, 0u64, 0u64, Vec::new());
    while Instant::now() < end {
        let mut child = Command::new(&exe)
            .args(["--case", &seed.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let t = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break Some(s);
            }
            if t.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let out = child
            .stdout
            .take()
            .map(|mut s| {
                let mut b = String::new();
                let _ = std::io::Read::read_to_string(&mut s, &mut b);
                b
            })
            .unwrap_or_default();
        match status {
            None => timeouts += 1,
            Some(s) if s.success() && out.contains("same ") => {
                same += 1;
                if out.contains("same changed ") {
                    changed += 1;
                }
            }
            Some(s) if s.success() => invalid += 1,
            Some(_) => {
                println!("seed {seed}:\n{out}");
                differ.push(seed);
            }
        }
        seed += 1;
    }
    println!(
        "{} cases in {seconds} s: {same} same ({changed} of them observably mutated), {invalid} invalid (not verified), {timeouts} over the time limit, {} different {:?}",
        same + invalid + timeouts + differ.len() as u64,
        differ.len(),
        differ
    );
    if !differ.is_empty() {
        std::process::exit(1);
    }
}
