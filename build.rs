//! Bakes the version, git commit, build date and target into `--version`.
//! Windows resources (issue 6) are only embedded when the *target* is Windows,
//! so this checks CARGO_CFG_TARGET_OS rather than `cfg!(windows)`.
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    // SOURCE_DATE_EPOCH keeps reproducible builds reproducible.
    let secs = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    });
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=NHS_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=NHS_BUILD_DATE={}", civil_date(secs));
    println!("cargo:rustc-env=NHS_TARGET={target}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");

    // The *target* decides, not the host: cfg!(windows) would be the build machine.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        windows_resources(&commit);
    }
}

/// Version information shown in Explorer's Properties > Details, and read by EDR and
/// application-control tools that MSPs run on the device the sync runs on.
fn windows_resources(commit: &str) {
    let mut res = winresource::WindowsResource::new();
    res.set("ProductName", "ninja-halo-sync")
        .set("FileDescription", "Keeps NinjaOne organizations and HaloPSA clients linked")
        .set("InternalName", "ninja-halo-sync")
        .set("OriginalFilename", "ninja-halo-sync.exe")
        .set("Comments", &format!("commit {commit}"));
    if let Err(e) = res.compile() {
        // A missing resource compiler must not break the build; the binary works without it.
        println!("cargo:warning=Windows version resources not embedded: {e}");
    }
}

/// YYYY-MM-DD from Unix seconds (Howard Hinnant's days-to-civil).
fn civil_date(secs: u64) -> String {
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
