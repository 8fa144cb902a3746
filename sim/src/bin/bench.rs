//! The performance benchmark (docs/performance.md): ninja-halo-sync against the simulator's
//! realistic tenants, twice per size (a first run that writes, a second that has nothing to
//! write), with requests by endpoint, wall time, waits, peak memory and the planner's CPU time.
//!   cargo run --release -p ninja-halo-sim --bin bench -- [--latency-ms 20] [--sizes 100,1000,10000]
//!       [--args "--native-links off"] [--time-scale 0.01]
//! `--args` adds arguments to every run; `--time-scale` shortens the program's waits (pacing,
//! backoff) as the tests do, while its clock, and the "waited s" column, count them in full.
//! `NINJA_HALO_SYNC_BIN` measures another build (the static one in dist/, say).

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
    let mut extra: Vec<String> = Vec::new();
    let mut time_scale: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--latency-ms" => latency_ms = it.next().and_then(|v| v.parse().ok()).unwrap_or(latency_ms),
            "--sizes" => {
                sizes = it.next().map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect()).unwrap_or(sizes)
            }
            "--args" => {
                extra = it.next().map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
            }
            "--time-scale" => time_scale = it.next().cloned(),
            other => {
                eprintln!(
                    "bench: unknown argument {other}; use [--latency-ms N] [--sizes a,b,c] [--args \"...\"] \
                     [--time-scale F]"
                );
                return 2;
            }
        }
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    if std::env::var_os("NINJA_HALO_SYNC_BIN").is_none() {
        eprintln!("building ninja-halo-sync (release) first...");
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
        "binary: {} ({} bytes); --help: {:.1} ms (median of 21); latency {latency_ms} ms per request; arguments \
         {extra:?}; time scale {}\n",
        bin.display(),
        size,
        help_ms[10],
        time_scale.as_deref().unwrap_or("1")
    );
    println!(
        "| orgs | run | writes | Ninja req | Halo req | total req | wall s | waited s | peak RSS MB | plan CPU s | legacy req | legacy / ours | with sites: site writes | total req | wall s | waited s | peak RSS MB |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut details = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let config = Config { latency: std::time::Duration::from_millis(latency_ms), ..Config::default() };
    for &n in &sizes {
        // The organizations alone, and the same tenant with 1.5 locations an organization and
        // the site level on: two simulators, so that each first run finds nothing written.
        let orgs_only = Sim::start(tenants::realistic(n, 32), config.clone());
        let with_sites = Sim::start(tenants::realistic_with_sites(n, 32), config.clone());
        for run in ["first", "second"] {
            let how = How { extra: &extra, time_scale: time_scale.as_deref() };
            let m = match measure(&bin, &orgs_only, &[], &how, &format!("{n}-{run}")) {
                Ok(m) => m,
                Err(code) => return code,
            };
            let s = match measure(&bin, &with_sites, tenants::SITE_ARGS, &how, &format!("{n}-{run}-sites")) {
                Ok(m) => m,
                Err(code) => return code,
            };
            for (m, what) in [(&m, ""), (&s, " with sites")] {
                if m.code == Some(3) {
                    let attention = |c: &serde_json::Value| -> u64 {
                        ["no_match", "ambiguous", "conflict", "invalid_value"]
                            .iter()
                            .filter_map(|k| c[k].as_u64())
                            .sum()
                    };
                    notes.push(format!(
                        "{n} orgs, {run} run{what}: exit 3, {} organizations and {} locations need attention",
                        attention(&m.report["counts"]),
                        attention(&m.report["site_counts"])
                    ));
                }
            }
            let ninja = m.requests.iter().filter(|r| r.side == Side::Ninja).count();
            let halo = m.requests.len() - ninja;
            let writes = m.report["counts"]["updated"].as_u64().unwrap_or(0) as usize;
            let legacy = legacy_requests(n, writes);
            let perf = &m.report["performance"];
            println!(
                "| {n} | {run} | {writes} | {ninja} | {halo} | {} | {:.2} | {:.1} | {:.1} | {:.3} | {legacy} | {:.0}x | {} | {} | {:.2} | {:.1} | {:.1} |",
                m.requests.len(),
                m.wall,
                m.report["requests"]["waited_seconds"].as_f64().unwrap_or(0.0),
                m.peak_mb,
                perf["plan_cpu_seconds"].as_f64().unwrap_or(0.0),
                legacy as f64 / m.requests.len().max(1) as f64,
                s.report["site_counts"]["updated"].as_u64().unwrap_or(0),
                s.requests.len(),
                s.wall,
                s.report["requests"]["waited_seconds"].as_f64().unwrap_or(0.0),
                s.peak_mb,
            );
            for (m, what) in [(&m, ""), (&s, " with sites")] {
                let mut by_endpoint: std::collections::BTreeMap<String, usize> = Default::default();
                for r in &m.requests {
                    *by_endpoint.entry(format!("{:?} {}", r.side, endpoint(&r.method, &r.path))).or_default() += 1;
                }
                details.push(format!(
                    "{n} orgs, {run} run{what}: {}; time: {}",
                    by_endpoint.iter().map(|(k, v)| format!("{k} x{v}")).collect::<Vec<_>>().join(", "),
                    m.report["performance"]
                ));
            }
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

/// One measured run: its exit code, report, requests, wall time and peak memory (MB).
struct Measured {
    code: Option<i32>,
    report: serde_json::Value,
    requests: Vec<ninja_halo_sim::Recorded>,
    wall: f64,
    peak_mb: f64,
}

/// What every run gets besides its own arguments.
struct How<'a> {
    extra: &'a [&'a str],
    time_scale: Option<&'a str>,
}

/// Runs the program once against `sim` with `args`; a run that could not complete (not 0 or 3)
/// ends the benchmark with its output.
fn measure(bin: &std::path::Path, sim: &Sim, args: &[&str], how: &How, label: &str) -> Result<Measured, i32> {
    sim.clear_requests();
    let report = std::env::temp_dir().join(format!("ninja-halo-sync-bench-{}-{label}.json", std::process::id()));
    let mut cmd = Command::new(bin);
    cmd.env_clear().args(["--quiet", "--report"]).arg(&report).args(args).args(how.extra);
    if let Some(scale) = how.time_scale {
        cmd.env("NINJA_HALO_SYNC_TIME_SCALE", scale);
    }
    for (k, v) in sim.env() {
        cmd.env(k, v);
    }
    let t = std::time::Instant::now();
    let (out, peak_kib) = run_measured(cmd).map_err(|e| {
        eprintln!("bench: cannot run {}: {e}", bin.display());
        2
    })?;
    let wall = t.elapsed().as_secs_f64();
    let rep: serde_json::Value =
        std::fs::read_to_string(&report).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    // 3 (some need a person) is a complete run: measured, and said.
    if !matches!(out.status.code(), Some(0 | 3)) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("updated")).take(8).collect();
        eprintln!(
            "bench: run exited {:?}: {}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr),
            lines.join("\n")
        );
        return Err(1);
    }
    // MB = 1,000,000 bytes: 32 MB is 31,250 KiB.
    let peak_mb = peak_kib.or(rep["performance"]["peak_rss_kib"].as_u64()).unwrap_or(0) as f64 * 1024.0 / 1e6;
    Ok(Measured { code: out.status.code(), report: rep, requests: sim.requests(), wall, peak_mb })
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
