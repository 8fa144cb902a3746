//! One writing run at a time per Halo instance: a lock file in the temp directory holding
//! the PID and start time. Two overlapping scheduled runs cannot both write; a lock left by a
//! run that died (its process is gone) is detected and taken over.

use std::io::Write;
use std::path::PathBuf;

pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lock file for a Halo instance: one per host and port, so one device can sync two
/// different Halo instances at the same time.
pub fn path_for(halo_url: &str) -> PathBuf {
    let host: String = halo_url
        .split_once("://")
        .map_or(halo_url, |(_, r)| r)
        .split('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!("ninja-halo-sync-{host}.lock"))
}

/// Whether a process with this PID is running. Where that cannot be told (no /proc), a lock
/// counts as stale only when it is older than `STALE_AFTER`.
fn alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") {
        Some(std::path::Path::new(&format!("/proc/{pid}")).exists())
    } else {
        None
    }
}

const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

pub fn acquire(path: PathBuf) -> Result<Lock, String> {
    for _ in 0..2 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let _ = writeln!(f, "{} {}", std::process::id(), crate::util::rfc3339(std::time::SystemTime::now()));
                return Ok(Lock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let mut parts = text.split_whitespace();
                let pid: Option<u32> = parts.next().and_then(|p| p.parse().ok());
                let started = parts.next().unwrap_or("an unknown time").to_string();
                let age = std::fs::metadata(&path).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                let stale = match pid.map(alive) {
                    None => true, // unreadable: a half-written lock from a crash
                    Some(Some(running)) => !running,
                    Some(None) => age.is_some_and(|a| a > STALE_AFTER),
                };
                if stale {
                    crate::output::info(&format!(
                        "removing a stale lock file {} (PID {} is gone)",
                        path.display(),
                        pid.map_or("?".into(), |p| p.to_string())
                    ));
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                return Err(format!(
                    "another ninja-halo-sync run (PID {}, started {started}) is writing to this Halo instance; this \
                     run stops without writing. If no run is active, delete {}",
                    pid.map_or("?".into(), |p| p.to_string()),
                    path.display()
                ));
            }
            Err(e) => return Err(format!("cannot create the lock file {}: {e}", path.display())),
        }
    }
    Err(format!("cannot take the lock file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_stale_locks_are_taken_over() {
        let path = std::env::temp_dir().join(format!("nhs-lock-test-{}.lock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let first = acquire(path.clone()).unwrap();
        let err = acquire(path.clone()).err().unwrap();
        assert!(err.contains(&format!("PID {}", std::process::id())), "{err}");
        drop(first);
        assert!(!path.exists());
        if cfg!(target_os = "linux") {
            // A PID that cannot be running (above the kernel's pid_max).
            std::fs::write(&path, "4194305 2026-01-01T00:00:00Z\n").unwrap();
            let taken = acquire(path.clone()).unwrap();
            drop(taken);
        }
        assert_eq!(
            path_for("https://psa.example.com:8443/api").file_name().unwrap(),
            "ninja-halo-sync-psa.example.com_8443.lock"
        );
    }
}
