//! Reading CAP files: the archive path (inflate + parse) and the load-file
//! path a card takes (parse only), over the bundled applets.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hydra_cap::container::parse_bytes;
use hydra_cap::CapFile;

fn cap_reader(c: &mut Criterion) {
    let caps = hydra_benches::conformance_caps();
    let archives: Vec<Vec<u8>> = caps.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let streams: Vec<Vec<u8>> = archives
        .iter()
        .map(|a| parse_bytes(a).unwrap().0.to_load_file(false).unwrap())
        .collect();
    let total: usize = streams.iter().map(Vec::len).sum();

    let mut g = c.benchmark_group("cap_reader");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("archive", |b| {
        b.iter(|| {
            for a in &archives {
                std::hint::black_box(parse_bytes(a).unwrap());
            }
        })
    });
    g.bench_function("load_file", |b| {
        b.iter(|| {
            for s in &streams {
                std::hint::black_box(CapFile::from_component_stream(s).unwrap());
            }
        })
    });
    g.bench_function("write", |b| {
        let parsed: Vec<CapFile> = streams
            .iter()
            .map(|s| CapFile::from_component_stream(s).unwrap())
            .collect();
        b.iter(|| {
            for p in &parsed {
                std::hint::black_box(p.to_load_file(false).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, cap_reader);
criterion_main!(benches);
