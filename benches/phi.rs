//! PHI gate speed (issue 3 targets): one-core throughput on SMS-length messages, p99 latency
//! per message measured call by call, the vocabulary load, and (issue 13) the time per MB of
//! one long input full of findings. Run:
//! `cargo bench --bench phi` (numbers go to docs/BENCHMARKS.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use frontdesk::phi;

fn messages() -> Vec<&'static str> {
    let mut out = Vec::new();
    for file in [
        include_str!("../tests/data/phi/corpus_phi.tsv"),
        include_str!("../tests/data/phi/corpus_clean.tsv"),
    ] {
        out.extend(
            file.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once('\t').map(|(_, t)| t)),
        );
    }
    out
}

/// SMS-length messages (140-160 bytes): corpus messages joined until they fill a segment.
fn sms_length(msgs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for m in msgs.iter().cycle().take(msgs.len() * 2) {
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(m);
        if cur.len() >= 140 {
            let mut cut = cur.len().min(160);
            while !cur.is_char_boundary(cut) {
                cut -= 1;
            }
            cur.truncate(cut);
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

/// CPU time this thread has run, from the scheduler (Linux); `None` elsewhere. Throughput
/// per CPU-second is the one-core figure even while other processes share the machine.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Time every call separately and print percentiles and single-core throughput.
fn latency_report(label: &str, msgs: &[&str]) {
    phi::warm_up();
    for m in msgs.iter().cycle().take(20_000) {
        black_box(phi::check(black_box(m)));
    }
    let rounds = 200;
    let mut times = Vec::with_capacity(msgs.len() * rounds);
    let started = Instant::now();
    let cpu_started = thread_cpu_time();
    for _ in 0..rounds {
        for m in msgs {
            let t = Instant::now();
            black_box(phi::check(black_box(m)));
            times.push(t.elapsed());
        }
    }
    let wall = started.elapsed();
    let cpu = thread_cpu_time()
        .zip(cpu_started)
        .map(|(end, start)| end.saturating_sub(start));
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let bytes: usize = msgs.iter().map(|m| m.len()).sum();
    println!(
        "phi latency, {label}: {} calls ({} messages, mean {} bytes): p50 {:?}, p90 {:?}, p99 {:?}, p99.9 {:?}, max {:?}",
        times.len(),
        msgs.len(),
        bytes / msgs.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        times.last().copied().unwrap_or(Duration::ZERO)
    );
    println!(
        "phi throughput, {label} (one core, timing included): {:.0} messages/s",
        times.len() as f64 / wall.as_secs_f64()
    );
    if let Some(cpu) = cpu {
        println!(
            "phi throughput, {label} (per CPU-second of this thread): {:.0} messages/s",
            times.len() as f64 / cpu.as_secs_f64()
        );
    }
}

/// One long line full of findings, as `phi check` might get it: every rule fires again and
/// again. Time `check` on 1, 2, 4 and 8 MB; linear time shows as a flat time per MB (issue 13:
/// before, 0.7 MB took 1.0 s and 2.8 MB 16.9 s).
fn long_input_report() {
    const PIECE: &str = "Hi Maria, your HbA1c 8.2 and BP 150/95; stop taking warfarin 5 mg, \
        chemo therapy Tue, MRN 00482913, DOB 3/4/1980, Dx: E11.9, your cold, c@ncer, \
        diabetis, 2 tablets twice a day, https://example.org/hiv-results, Dr. Stone \
        Oncology. If you have a fever call us, Elm Road Surgery, Cancer Center parking. ";
    for mb in [1usize, 2, 4, 8] {
        let text = PIECE.repeat(mb * 1_000_000 / PIECE.len() + 1);
        let t = Instant::now();
        let v = black_box(phi::check(black_box(&text)));
        let took = t.elapsed();
        println!(
            "phi long input: {mb} MB, {} findings in {took:?} ({:?} per MB)",
            v.findings.len(),
            took / mb as u32
        );
    }
}

/// Compile the vocabularies 15 times; print min, median and max.
fn load_report() {
    let mut loads: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            black_box(phi::compile_vocabularies());
            t.elapsed()
        })
        .collect();
    loads.sort_unstable();
    println!(
        "phi vocabulary load: min {:?}, median {:?}, max {:?}",
        loads[0],
        loads[loads.len() / 2],
        loads[loads.len() - 1]
    );
}

fn bench(c: &mut Criterion, msgs: &[&str], sms: &[&str]) {
    let mut g = c.benchmark_group("phi");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("check_corpus", |b| {
        b.iter(|| {
            for m in msgs {
                black_box(phi::check(black_box(m)));
            }
        })
    });
    g.throughput(Throughput::Elements(sms.len() as u64));
    g.bench_function("check_sms_length", |b| {
        b.iter(|| {
            for m in sms {
                black_box(phi::check(black_box(m)));
            }
        })
    });
    g.finish();
    let reminder = "Hi Maria, reminder of your appointment with Dr. Patel on Tue Nov 25 at 9:30 AM at \
                    Riverside Family Practice, 12 Main St Suite 200. Reply C to confirm, R to \
                    reschedule. Reply STOP to opt out.";
    c.bench_function("phi/check_reminder", |b| {
        b.iter(|| phi::check(black_box(reminder)))
    });
    let long = "Hi Maria, your HbA1c 8.2; stop taking warfarin 5 mg, MRN 00482913, Dx: E11.9, \
                your cold, diabetis. "
        .repeat(10_000);
    let mut g = c.benchmark_group("phi_long");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(long.len() as u64));
    g.bench_function("check_1mb_of_findings", |b| {
        b.iter(|| phi::check(black_box(&long)))
    });
    g.finish();
    let mut g = c.benchmark_group("phi_load");
    g.sample_size(10);
    g.bench_function("compile_vocabularies", |b| {
        b.iter(phi::compile_vocabularies)
    });
    g.finish();
}

fn main() {
    let msgs = messages();
    let sms_owned = sms_length(&msgs);
    let sms: Vec<&str> = sms_owned.iter().map(String::as_str).collect();
    latency_report("corpus messages", &msgs);
    latency_report("SMS-length (140-160 bytes)", &sms);
    load_report();
    long_input_report();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &msgs, &sms);
    c.final_summary();
}
