//! Runs the built binary against the simulator and collects what a user would see.
#![allow(dead_code)]

pub mod net;

#[allow(unused_imports)] // each test crate uses a different part of this helper
pub use ninja_halo_sim::{tenants, Client, Config, Fault, FaultKind, Side, Sim, Tenant};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_ninja-halo-sync");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report: Option<Value>,
    pub dir: tempdir::Dir,
}

impl Run {
    pub fn status_of(&self, ninja_name: &str) -> String {
        let orgs = self.report.as_ref().expect("report")["orgs"].as_array().expect("orgs").clone();
        let o = orgs
            .iter()
            .find(|o| o["ninja_name"] == ninja_name)
            .unwrap_or_else(|| panic!("no org {ninja_name} in report"));
        o["status"].as_str().unwrap().to_string()
    }
    pub fn org(&self, ninja_name: &str) -> Value {
        let orgs = self.report.as_ref().expect("report")["orgs"].as_array().expect("orgs").clone();
        orgs.into_iter().find(|o| o["ninja_name"] == ninja_name).unwrap_or_else(|| panic!("no org {ninja_name}"))
    }
    pub fn count(&self, status: &str) -> u64 {
        self.report.as_ref().expect("report")["counts"][status].as_u64().expect("count")
    }
    pub fn all_output(&self) -> String {
        let mut s = format!("{}\n{}", self.stdout, self.stderr);
        if let Some(r) = &self.report {
            s.push_str(&r.to_string());
        }
        if let Ok(l) = std::fs::read_to_string(self.dir.path().join("run.log")) {
            s.push_str(&l);
        }
        s
    }
}

pub mod tempdir {
    use std::path::{Path, PathBuf};
    pub struct Dir(PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let p = std::env::temp_dir().join(format!("nhs-test-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs the binary with the simulator's environment (nothing inherited from the developer's
/// shell), a report and a log file, and waits scaled down so retries take milliseconds.
pub fn run(sim: &Sim, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_with(Some(sim), args, env)
}

pub fn run_with(sim: Option<&Sim>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempdir::Dir::new();
    let report: PathBuf = dir.path().join("report.json");
    // Another build may be put under test (an older commit's, to show a test fails there).
    let bin = std::env::var("NINJA_HALO_SYNC_TEST_BIN").unwrap_or_else(|_| BIN.to_string());
    let mut cmd = Command::new(bin);
    cmd.env_clear();
    // What the OS itself needs (Windows cannot start networking without SYSTEMROOT); none of
    // these names is one of the program's settings.
    for keep in ["SYSTEMROOT", "SystemRoot", "TEMP", "TMP", "TMPDIR", "PATH"] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("NINJA_HALO_SYNC_TIME_SCALE", "0.001");
    // The run lock in this run's own folder (a test may pass another to share one).
    cmd.env("NINJA_HALO_SYNC_LOCK_DIR", dir.path().join("locks"));
    if let Some(sim) = sim {
        for (k, v) in sim.env() {
            cmd.env(k, v);
        }
        cmd.arg("--report").arg(&report).arg("--log-file").arg(dir.path().join("run.log"));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    let out = cmd.output().expect("run binary");
    let report = std::fs::read_to_string(&report).ok().map(|t| serde_json::from_str(&t).expect("report is JSON"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
        dir,
    }
}

pub fn writes(sim: &Sim) -> usize {
    sim.requests().iter().filter(|r| r.method == "POST" && r.path.eq_ignore_ascii_case("/api/Client")).count()
}

/// The ids of the Halo records read on their own (`GET /api/Client/{id}` with "client", `GET
/// /api/Site/{id}` with "site"), each once, in order.
pub fn record_reads(sim: &Sim, table: &str) -> Vec<i64> {
    let prefix = format!("/api/{table}/");
    let mut ids: Vec<i64> = sim
        .requests()
        .iter()
        .filter(|q| q.method == "GET")
        .filter_map(|q| q.path.to_ascii_lowercase().strip_prefix(&prefix).and_then(|i| i.parse().ok()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub fn halo_value(sim: &Sim, client_id: i64) -> Option<String> {
    sim.client(client_id).and_then(|c| c.fields.get(tenants::HALO_FIELD).and_then(|v| v.as_str().map(str::to_string)))
}

/// A tenant where every organization can be resolved: exact, fuzzy, linked.
pub fn clean_tenant() -> Tenant {
    use tenants::{client, guid, org};
    Tenant {
        orgs: vec![
            org(1, "Acme Dental", Some(&guid(1))),
            org(2, "Blue Ridge Law Group", Some(&guid(2))),
            org(3, "Smith & Jones, P.C.", Some(&guid(3))),
            org(4, "Renamed In Ninja", Some(&guid(4))),
            org(5, "No Value Yet", None),
        ],
        clients: vec![
            client(101, "Acme Dental", None),
            client(102, "Blue Ridge Law Group", Some(&guid(2))),
            client(103, "Smith and Jones PC", None),
            client(104, "Old Halo Name", Some(&guid(4))),
            client(105, "Unrelated Client", None),
        ],
        fields: tenants::client_fields(),
        ..Tenant::default()
    }
}

/// A fake `ninjarmm-cli` that records each call's arguments (one file per call) and answers
/// `get` with `answer`.
#[cfg(unix)]
pub fn fake_cli(dir: &std::path::Path, answer: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let cli = dir.join("ninjarmm-cli");
    let calls = dir.join("calls");
    std::fs::create_dir_all(&calls).unwrap();
    std::fs::write(
        &cli,
        format!(
            "#!/bin/sh\nn=$(ls '{c}' | wc -l)\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{c}/'$n\n\
             if [ \"$1\" = get ]; then printf '%s\\n' '{answer}'; fi\n",
            c = calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
    cli
}

/// The argument lists the fake CLI was called with.
#[cfg(unix)]
pub fn cli_calls(dir: &std::path::Path) -> Vec<Vec<String>> {
    let mut calls: Vec<_> = std::fs::read_dir(dir.join("calls")).unwrap().map(|e| e.unwrap().path()).collect();
    calls.sort();
    calls
        .iter()
        .map(|p| {
            let raw = std::fs::read_to_string(p).unwrap();
            raw.split('\0').filter(|a| !a.is_empty()).map(str::to_string).collect()
        })
        .collect()
}
