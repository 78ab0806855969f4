//! PHI gate speed (issue 3 targets): one-core throughput on SMS-length messages, p99 latency
//! per message measured call by call, and the vocabulary load. Run:
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
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &msgs, &sms);
    c.final_summary();
}
