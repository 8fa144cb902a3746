//! One writing run at a time per Halo instance: an operating-system lock (flock on Unix,
//! LockFileEx on Windows, through std's `File::try_lock`) on a file in a folder only the
//! account running the sync can write. The OS releases the lock when the process ends, however
//! it ends, so a crashed run never blocks the next one; and another local account can neither
//! hold the lock nor plant the file, because it cannot write in that folder.

#[cfg(unix)]
use crate::files::{effective_uid, probe_uid_in};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held for the run; the OS releases it when the file is closed (or the process dies).
pub struct Lock {
    _file: File,
}

/// The lock file's name for a Halo instance: one per host and port, so one device can sync
/// two different Halo instances at the same time.
pub fn file_name(halo_url: &str) -> String {
    // One server, one key, however the URL spells it (case, a trailing dot, a default port).
    let host: String = crate::util::host_port(halo_url)
        .map(|(h, port)| match port {
            Some(p) => format!("{h}_{p}"),
            None => h,
        })
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    format!("ninja-halo-sync-{host}.lock")
}

/// Where the lock may live, best first: the configured folder, a folder of the service account
/// (`/var/lib/ninja-halo-sync` as root, else `~/.local/state/ninja-halo-sync`;
/// `%LOCALAPPDATA%\ninja-halo-sync` on Windows, which for SYSTEM is its own profile), and last
/// a folder of its own in the temp directory.
pub fn candidate_dirs(configured: Option<&Path>) -> Vec<PathBuf> {
    if let Some(d) = configured {
        return vec![d.to_path_buf()];
    }
    let mut dirs = Vec::new();
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if cfg!(windows) {
        dirs.extend(env("LOCALAPPDATA").map(|d| d.join("ninja-halo-sync")));
    } else {
        if running_as_root() {
            dirs.push(PathBuf::from("/var/lib/ninja-halo-sync"));
        }
        if let Some(state) = env("XDG_STATE_HOME") {
            dirs.push(state.join("ninja-halo-sync"));
        } else if let Some(home) = env("HOME") {
            dirs.push(home.join(".local/state/ninja-halo-sync"));
        }
    }
    dirs.push(std::env::temp_dir().join(format!("ninja-halo-sync-{}", user_tag())));
    dirs
}

#[cfg(unix)]
fn running_as_root() -> bool {
    effective_uid() == Some(0)
}

#[cfg(not(unix))]
fn running_as_root() -> bool {
    false
}

fn user_tag() -> String {
    #[cfg(unix)]
    if let Some(uid) = effective_uid() {
        return uid.to_string();
    }
    std::env::var("USERNAME").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "user".into())
}

/// Why a folder cannot hold the lock, or Ok: it exists (created owner-only if it did not), is
/// a real folder, and no other account may write in it.
pub fn check_dir(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        crate::files::private_dir_builder().create(dir).map_err(|e| format!("cannot create it: {e}"))?;
    }
    let m = std::fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    if m.file_type().is_symlink() || !m.is_dir() {
        return Err("it is not a folder (or is a symbolic link)".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if m.permissions().mode() & 0o022 != 0 {
            return Err(format!("other accounts may write in it (mode {:o})", m.permissions().mode() & 0o777));
        }
        if let Some(uid) = probe_uid_in(dir) {
            if uid != m.uid() {
                return Err(format!("it belongs to another account (uid {})", m.uid()));
            }
        }
    }
    Ok(())
}

/// Takes the lock for `name` in the first usable folder of `dirs`.
pub fn acquire(dirs: &[PathBuf], name: &str) -> Result<Lock, String> {
    let mut refused = Vec::new();
    for dir in dirs {
        if let Err(why) = check_dir(dir) {
            refused.push(format!("{}: {why}", dir.display()));
            continue;
        }
        return acquire_in(&dir.join(name));
    }
    Err(format!(
        "no folder can hold the run lock safely ({}); set NINJA_HALO_SYNC_LOCK_DIR to a folder only this account can \
         write",
        refused.join("; ")
    ))
}

fn acquire_in(path: &Path) -> Result<Lock, String> {
    let mut f = crate::files::open_private_rw(path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {
            // Who holds it, for the message another run would print.
            let _ = f.set_len(0);
            let _ = f.rewind();
            let _ = writeln!(f, "{} {}", std::process::id(), crate::util::rfc3339(std::time::SystemTime::now()));
            let _ = f.flush();
            Ok(Lock { _file: f })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            // Where the OS lets us read it (Unix), the holder wrote its PID and start time.
            let mut text = String::new();
            let _ = f.read_to_string(&mut text);
            let holder = match text.split_whitespace().collect::<Vec<_>>().as_slice() {
                [pid, started, ..] => format!(" (PID {pid}, started {started})"),
                _ => String::new(),
            };
            Err(format!(
                "another ninja-halo-sync run{holder} is writing to this Halo instance; this run stops without \
                 writing. The lock ends with that run (it is the operating system's: {})",
                path.display()
            ))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("nhs-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn one_holder_at_a_time_and_released_when_dropped() {
        let d = dir("holders");
        let dirs = vec![d.clone()];
        let first = acquire(&dirs, "x.lock").unwrap();
        let err = acquire(&dirs, "x.lock").err().unwrap();
        assert!(err.contains("another ninja-halo-sync run"), "{err}");
        if cfg!(unix) {
            assert!(err.contains(&format!("PID {}", std::process::id())), "{err}");
        }
        drop(first);
        let again = acquire(&dirs, "x.lock").unwrap();
        drop(again);
        assert_eq!(file_name("https://psa.example.com:8443/api"), "ninja-halo-sync-psa.example.com_8443.lock");
        assert_eq!(file_name("https://psa.example.com"), "ninja-halo-sync-psa.example.com.lock");
        // One server however the URL spells it: two runs must never both hold "the" lock.
        assert_eq!(file_name("http://LOCALHOST:8080"), file_name("http://localhost:8080/"));
        assert_eq!(file_name("https://PSA.Example.com.:443"), file_name("https://psa.example.com"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_others_can_write_or_a_planted_link_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let open = dir("open");
        std::fs::create_dir_all(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(check_dir(&open).unwrap_err().contains("other accounts may write"));
        // The next candidate is used instead.
        let private = dir("private");
        let lock = acquire(&[open.clone(), private.clone()], "y.lock").unwrap();
        assert!(private.join("y.lock").exists());
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o700);
        drop(lock);
        // A symbolic link planted at the lock's path is not followed.
        let victim = private.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, private.join("z.lock")).unwrap();
        assert!(acquire(std::slice::from_ref(&private), "z.lock").is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let _ = std::fs::remove_dir_all(&open);
        let _ = std::fs::remove_dir_all(&private);
    }

    #[test]
    fn concurrent_takers_never_both_hold_it() {
        let d = dir("race");
        let dirs = vec![d.clone()];
        for _ in 0..40 {
            let start = std::sync::Arc::new(std::sync::Barrier::new(2));
            let tried = std::sync::Arc::new(std::sync::Barrier::new(2));
            let takers: Vec<_> = (0..2)
                .map(|_| {
                    let (dirs, start, tried) = (dirs.clone(), start.clone(), tried.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        let held = acquire(&dirs, "race.lock");
                        // Both have tried before either lets go.
                        tried.wait();
                        held.is_ok()
                    })
                })
                .collect();
            let won = takers.into_iter().map(|t| t.join().unwrap()).filter(|ok| *ok).count();
            assert_eq!(won, 1, "exactly one of two concurrent runs holds the lock");
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
