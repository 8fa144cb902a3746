//! ninja-halo-sim: the simulator as a program.
//!   demo   runs ninja-halo-sync against the bundled demo tenant: a dry run, the real run,
//!          and a second run that has nothing left to write.
//!   serve  starts the simulator with the demo tenant and prints the environment to use.
//! The benchmark is a program of its own (src/bin/bench.rs): it measures ninja-halo-sync, not the
//! simulator, so it is not one of the simulator's commands.

use ninja_halo_sim::{product_binary, tenants, Config, Sim};
use std::process::Command;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("demo") | None => demo(),
        Some("serve") => serve(),
        Some("bench") => {
            eprintln!("the benchmark is its own program: cargo run --release -p ninja-halo-sim --bin bench");
            2
        }
        Some(other) => {
            eprintln!("unknown command '{other}'; use: demo | serve");
            2
        }
    };
    std::process::exit(code);
}

fn demo() -> i32 {
    if std::env::var_os("NINJA_HALO_SYNC_BIN").is_none() {
        println!("building ninja-halo-sync first (a few minutes on a fresh checkout; at once after that)...");
    }
    let bin = match product_binary() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("demo: {e}");
            return 2;
        }
    };
    let sim = Sim::start(tenants::demo(), Config::default());
    let report_dir = std::env::temp_dir();
    let runs: [(&str, &[&str]); 3] = [
        ("1. dry run: what would change (nothing is written)", &["--dry-run"]),
        ("2. the real run", &[]),
        ("3. the same again: everything written is now in sync, nothing is sent", &[]),
    ];
    for (i, (title, extra)) in runs.iter().enumerate() {
        println!("\n=== {title}");
        let report = report_dir.join(format!("ninja-halo-sync-demo-{}-{}.json", std::process::id(), i + 1));
        let writes_before = halo_writes(&sim);
        let mut cmd = Command::new(&bin);
        cmd.args(tenants::DEMO_ARGS).args(tenants::SITE_ARGS).args(*extra).arg("--report").arg(&report);
        for (k, v) in sim.env() {
            cmd.env(k, v);
        }
        let status = match cmd.status() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("demo: cannot run {}: {e}", bin.display());
                return 2;
            }
        };
        let writes = halo_writes(&sim) - writes_before;
        println!(
            "--- exit code {} ({} write request(s) sent to Halo); JSON report: {}",
            status.code().unwrap_or(-1),
            writes,
            report.display()
        );
        // Every run of the demo ends with some organizations needing a person (exit 3); the dry
        // run and the last run send nothing. Anything else is a broken build: said, and exit 1.
        let sends_nothing = i != 1;
        if status.code() != Some(3) || (sends_nothing && writes > 0) || (!sends_nothing && writes == 0) {
            eprintln!("demo: run {} ended unlike the demo's: exit {:?}, {writes} write(s)", i + 1, status.code());
            return 1;
        }
    }
    println!("\nExit code 3 means some organizations need a person (no_match, ambiguous, conflict, invalid_value);");
    println!("the lines above say what to do for each. Try: ninja-halo-sync --explain \"Springfield Dental Group\" (with `serve`).");
    0
}

/// Write requests sent to Halo so far (clients and sites).
fn halo_writes(sim: &Sim) -> usize {
    let writes = |r: &&ninja_halo_sim::Recorded| {
        r.method == "POST" && (r.path.eq_ignore_ascii_case("/api/Client") || r.path.eq_ignore_ascii_case("/api/Site"))
    };
    sim.requests().iter().filter(writes).count()
}

fn serve() -> i32 {
    let sim = Sim::start(tenants::demo(), Config::default());
    println!("# The simulator is running (Ctrl-C to stop). In another terminal, paste these lines:");
    for (k, v) in sim.env() {
        println!("export {k}='{v}'");
    }
    println!("# then try any command, for example (from the repository):");
    println!("#   cargo run -- --check");
    println!(
        "#   cargo run -- --dry-run --suggest-map suggest.csv {}",
        tenants::DEMO_ARGS.iter().chain(tenants::SITE_ARGS).map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
    );
    println!("#   cargo run -- --explain \"Springfield Dental Group\"");
    loop {
        std::thread::park();
    }
}
