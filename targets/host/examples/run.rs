//! Runs one script on a fresh card with the given CAPs: `run SCRIPT CAP...`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut host = hydra_host::Host::in_memory();
    for c in &args[2..] {
        let cap = hydra_host::read_cap(std::path::Path::new(c)).expect("cap");
        host.load(&cap).expect("load");
    }
    host.install_all().expect("install");
    let text = std::fs::read_to_string(&args[1]).expect("script");
    print!("{}", host.run_script(&args[1], &text).expect("run"));
}
