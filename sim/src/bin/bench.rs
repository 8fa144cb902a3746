//! The performance benchmark (docs/performance.md): ninja-halo-sync against the simulator's
//! realistic tenants, twice per size (a first run that writes, a second that has nothing to
//! write), with requests by endpoint, wall time, waits, peak memory and the planner's CPU time.
//!   cargo run --release -p ninja-halo-sim --bin bench -- [--latency-ms 20] [--sizes 100,1000,10000]

use ninja_halo_sim::{product_binary, tenants, Config, Side, Sim};
use std::process::Command;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(bench(&args));
}

/// The request the legacy PowerShell script needed for the same data: two tokens and one
/// organization list, then per organization a custom-field read and a Halo search, and a
/// write where the value was missing.
fn legacy_requests(orgs: usize, writes: usize) -> usize {
    3 + 2 * orgs + writes
}

/// "/api/Client/123" -> "/api/Client/{id}", "/v2/organization/7/custom-fields" -> ".../{id}/..."
fn endpoint(method: &str, path: &str) -> String {
    let p: Vec<String> =
        path.split('/')
            .map(|seg| {
                if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                    "{id}".into()
                } else {
                    seg.to_string()
                }
            })
            .collect();
    format!("{method} {}", p.join("/"))
}

fn bench(args: &[String]) -> i32 {
    let mut latency_ms = 20u64;
    let mut sizes = vec![100usize, 1_000, 10_000];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--latency-ms" => latency_ms = it.next().and_then(|v| v.parse().ok()).unwrap_or(latency_ms),
            "--sizes" => {
                sizes = it.next().map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect()).unwrap_or(sizes)
            }
            other => {
                eprintln!("bench: unknown argument {other}; use [--latency-ms N] [--sizes a,b,c]");
                return 2;
            }
        }
    }
    let bin = match product_binary() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bench: {e}");
            return 2;
        }
    };
    let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    let mut help_ms: Vec<f64> = (0..21)
        .map(|_| {
            let t = std::time::Instant::now();
            let _ = Command::new(&bin).arg("--help").output();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    help_ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "binary: {} ({} bytes); --help: {:.1} ms (median of 21); latency {latency_ms} ms per request\n",
        bin.display(),
        size,
        help_ms[10]
    );
    println!("| orgs | run | writes | Ninja req | Halo req | total req | wall s | waited s | peak RSS MB | plan CPU s | legacy req | legacy / ours |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut details = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for &n in &sizes {
        let sim = Sim::start(
            tenants::realistic(n, 32),
            Config { latency: std::time::Duration::from_millis(latency_ms), ..Config::default() },
        );
        for run in ["first", "second"] {
            sim.clear_requests();
            let report =
                std::env::temp_dir().join(format!("ninja-halo-sync-bench-{}-{n}-{run}.json", std::process::id()));
            let mut cmd = Command::new(&bin);
            cmd.env_clear().args(["--quiet", "--report"]).arg(&report);
            for (k, v) in sim.env() {
                cmd.env(k, v);
            }
            let t = std::time::Instant::now();
            let (out, peak_kib) = match run_measured(cmd) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("bench: cannot run {}: {e}", bin.display());
                    return 2;
                }
            };
            let wall = t.elapsed().as_secs_f64();
            let rep: serde_json::Value =
                std::fs::read_to_string(&report).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
            let _ = std::fs::remove_file(&report);
            // 3 (some organizations need a person) is a complete run: measured, and said.
            if out.status.code() == Some(3) {
                let c = &rep["counts"];
                let attention: u64 =
                    ["no_match", "ambiguous", "conflict", "invalid_value"].iter().filter_map(|k| c[k].as_u64()).sum();
                notes.push(format!("{n} orgs, {run} run: exit 3, {attention} organizations need attention"));
            } else if out.status.code() != Some(0) {
                let stdout = String::from_utf8_lossy(&out.stdout);
                let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("updated")).take(8).collect();
                eprintln!(
                    "bench: run exited {:?}: {}\n{}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr),
                    lines.join("\n")
                );
                return 1;
            }
            let reqs = sim.requests();
            let ninja = reqs.iter().filter(|r| r.side == Side::Ninja).count();
            let halo = reqs.len() - ninja;
            let writes = rep["counts"]["updated"].as_u64().unwrap_or(0) as usize;
            let legacy = legacy_requests(n, writes);
            let perf = &rep["performance"];
            println!(
                "| {n} | {run} | {writes} | {ninja} | {halo} | {} | {wall:.2} | {:.1} | {:.1} | {:.3} | {legacy} | {:.0}x |",
                reqs.len(),
                rep["requests"]["waited_seconds"].as_f64().unwrap_or(0.0),
                // MB = 1,000,000 bytes: 32 MB is 31,250 KiB.
                peak_kib.or(perf["peak_rss_kib"].as_u64()).unwrap_or(0) as f64 * 1024.0 / 1e6,
                perf["plan_cpu_seconds"].as_f64().unwrap_or(0.0),
                legacy as f64 / reqs.len().max(1) as f64
            );
            let mut by_endpoint: std::collections::BTreeMap<String, usize> = Default::default();
            for r in &reqs {
                *by_endpoint.entry(format!("{:?} {}", r.side, endpoint(&r.method, &r.path))).or_default() += 1;
            }
            details.push(format!(
                "{n} orgs, {run} run: {}",
                by_endpoint.iter().map(|(k, v)| format!("{k} x{v}")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    for n in &notes {
        println!("\nnote: {n}");
    }
    println!("\nrequests by endpoint:");
    for d in details {
        println!("- {d}");
    }
    0
}

/// Runs the command to completion and measures its peak resident memory (KiB) from outside:
/// through GNU time (`/usr/bin/time -f %M`, a small launcher: measuring a child spawned from
/// this large process with wait4 would count this process's pages at exec), or, where GNU time
/// is missing, by sampling the child's own VmHWM.
fn run_measured(cmd: Command) -> std::io::Result<(std::process::Output, Option<u64>)> {
    const GNU_TIME: &str = "/usr/bin/time";
    if !std::path::Path::new(GNU_TIME).exists() {
        return run_sampled(cmd);
    }
    let mut timed = Command::new(GNU_TIME);
    // The bench's commands run with a cleared environment plus what they set.
    timed.env_clear();
    timed.args(["-f", "nhs-peak-kib=%M"]).arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let mut out = timed.output()?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak = text.lines().rev().find_map(|l| l.strip_prefix("nhs-peak-kib=")?.trim().parse::<u64>().ok());
    // GNU time reports a child that exited non-zero with a line of its own; keep only the child's.
    out.stderr = text
        .lines()
        .filter(|l| !l.starts_with("nhs-peak-kib=") && !l.starts_with("Command exited with non-zero status"))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    Ok((out, peak))
}

/// `run_measured` without GNU time: samples the child's VmHWM (a high-water mark, so the last
/// sample before it exits is its peak) every few milliseconds (Linux).
fn run_sampled(mut cmd: Command) -> std::io::Result<(std::process::Output, Option<u64>)> {
    use std::io::Read;
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = None;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut b);
        }
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut b);
        }
        b
    });
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            {
                peak = Some(kib);
            }
        }
        if let Some(st) = child.try_wait()? {
            break st;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok((std::process::Output { status, stdout, stderr }, peak))
}
