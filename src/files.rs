//! Files the run creates (report, suggestions, log, lock): readable by their owner only
//! (mode 0600 on Unix; on Windows they inherit the folder's ACL, and the lock lives in a folder
//! private to the service account), and never written where another account could have sent
//! them: no link followed along the path unless only root or this account could have made it
//! (`check_path`), never into a file that is not a regular file or that another account owns.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// The most read of each kind of file the operator names: far above any real file, and a
/// bound on what `MAP_FILE=/dev/zero` or a wrong path to a huge file can cost.
pub const MAX_MAP_FILE: u64 = 16 * 1024 * 1024;
pub const MAX_SECRET_FILE: u64 = 64 * 1024;
pub const MAX_CA_FILE: u64 = 4 * 1024 * 1024;

/// Reads a whole file of at most `limit` bytes; a longer one is an error (read no further).
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than {} KB, far more than such a file holds", limit / 1024),
        ));
    }
    Ok(bytes)
}

/// `read_limited` as UTF-8 text.
pub fn read_text_limited(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_limited(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Creates the folders above `path` that do not exist yet (owner-only on Unix), so that
/// `--log-file C:\Logs\sync.log` works on a fresh device; first checks that no other account
/// can redirect the path (`check_path`).
pub fn create_parent(path: &Path) -> io::Result<()> {
    check_path(path)?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => private_dir_builder().create(dir),
        _ => Ok(()),
    }
}

pub fn private_dir_builder() -> std::fs::DirBuilder {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b
}

// open(2) flags std does not name (no libc here). Where the value is not known, 0: the checks
// before and after opening still hold.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]
const O_NOFOLLOW: i32 = 0o400_000;
#[cfg(all(target_os = "linux", any(target_arch = "aarch64", target_arch = "arm")))]
const O_NOFOLLOW: i32 = 0o100_000;
#[cfg(target_os = "macos")]
const O_NOFOLLOW: i32 = 0x100;
#[cfg(all(
    unix,
    not(target_os = "macos"),
    not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64", target_arch = "arm")
    ))
))]
const O_NOFOLLOW: i32 = 0;
#[cfg(target_os = "linux")]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(target_os = "macos")]
const O_NONBLOCK: i32 = 0x4;
#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
const O_NONBLOCK: i32 = 0;

fn private_options() -> OpenOptions {
    #[cfg_attr(not(unix), allow(unused_mut))] // only Unix sets a mode here
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Writes a whole file: into a new file beside it (created exclusively, so nothing planted
/// there is followed), then renamed over `path` (a symbolic link at `path` is replaced, not
/// followed). Readers never see a half-written report.
pub fn write_private(path: &Path, write: impl FnOnce(&mut io::BufWriter<File>) -> io::Result<()>) -> io::Result<()> {
    create_parent(path)?;
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_file_name(format!(".{}.{}-{nanos}.tmp", name.to_string_lossy(), std::process::id()));
    let result = private_options().write(true).create_new(true).open(&tmp).and_then(|f| {
        let mut w = io::BufWriter::new(f);
        write(&mut w)?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    let result = result.and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Opens a file to append to (the log), created owner-only. A symbolic link at `path` is
/// refused, and so is a path that turns out to be another file than the one opened.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    create_parent(path)?;
    refuse_symlink(path)?;
    let mut options = private_options();
    // No link followed and no wait on a FIFO, even one swapped in after the checks.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, O_NOFOLLOW | O_NONBLOCK);
    let f = options.create(true).append(true).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let opened = f.metadata()?;
        let there = std::fs::symlink_metadata(path)?;
        if !opened.is_file() || opened.ino() != there.ino() || opened.dev() != there.dev() {
            return Err(io::Error::other("the file changed while it was opened (a link swapped in?)"));
        }
        if effective_uid().is_some_and(|me| opened.uid() != me) {
            return Err(refused(format!("it belongs to another account (uid {})", opened.uid())));
        }
        // A hard link gives another path to a file that may be anyone's (a root-owned file, for
        // a run as root): appending to it would write there. The report and the suggestions are
        // replaced by rename, which a hard link cannot redirect; the log is appended, so it must
        // have no other name.
        if opened.nlink() > 1 {
            return Err(refused(format!(
                "it has {} names (hard links), so appending to it would write into another file too; remove it or \
                 choose another path",
                opened.nlink()
            )));
        }
        if opened.mode() & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(f)
}

/// The effective user: the owner of this process's own /proc entry (Linux), else the owner of
/// a file it creates in the temp folder.
#[cfg(unix)]
pub fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid()).ok().or_else(|| probe_uid_in(&std::env::temp_dir()))
}

/// The effective user, as the owner of a file created in `dir` (None if none can be created).
#[cfg(unix)]
pub fn probe_uid_in(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let p = dir.join(format!(".ninja-halo-sync-probe-{}", std::process::id()));
    let f = std::fs::OpenOptions::new().write(true).create_new(true).open(&p).ok()?;
    let uid = f.metadata().ok().map(|m| m.uid());
    let _ = std::fs::remove_file(&p);
    uid
}

fn refused(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why)
}

/// Refuses a path that another account could redirect: a symbolic link among the folders
/// above it that another account made, or that sits in a folder other accounts may write (they
/// could swap it), is never followed (root's own links, such as macOS's /tmp, are). And what
/// exists at the path itself must be a regular file (or a link, which is replaced, never
/// followed) of this account: a FIFO would hang the run, another account's file would receive
/// root's log and stay readable to that account.
#[cfg(unix)]
pub fn check_path(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let me = effective_uid();
    let trusted = |uid: u32| uid == 0 || Some(uid) == me;
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    let mut dir = std::path::PathBuf::new();
    // The folder holding the component looked at: (owner, mode).
    let mut holder: Option<(u32, u32)> = None;
    for part in abs.parent().map(Path::components).into_iter().flatten() {
        dir.push(part);
        let m = match std::fs::symlink_metadata(&dir) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(e),
        };
        if m.file_type().is_symlink() {
            let safe_holder = holder.is_none_or(|(uid, mode)| trusted(uid) && mode & 0o022 == 0);
            if !trusted(m.uid()) || !safe_holder {
                return Err(refused(format!(
                    "{} is a symbolic link that another account made or can replace; refusing to follow it (name \
                     the real folder instead)",
                    dir.display()
                )));
            }
            dir = std::fs::canonicalize(&dir)?;
            let target = std::fs::metadata(&dir)?;
            holder = Some((target.uid(), target.mode()));
            continue;
        }
        holder = Some((m.uid(), m.mode()));
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Ok(()),
        Ok(m) if !m.file_type().is_file() => {
            Err(refused("it exists and is not a regular file (a FIFO, a device or a folder)".into()))
        }
        Ok(m) if me.is_some_and(|me| m.uid() != me) => Err(refused(format!(
            "it exists and belongs to another account (uid {}); remove it or choose another path",
            m.uid()
        ))),
        _ => Ok(()),
    }
}

/// What exists at the path must be a regular file (Windows has no FIFOs or owners to check here;
/// files there inherit the folder's ACL).
#[cfg(not(unix))]
pub fn check_path(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() && !m.file_type().is_symlink() => {
            Err(refused("it exists and is not a regular file".into()))
        }
        _ => Ok(()),
    }
}

pub fn refuse_symlink(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            Err(io::Error::other("it is a symbolic link; refusing to follow it (remove it, or choose another path)"))
        }
        _ => Ok(()),
    }
}

/// Opens (or creates) a file for reading and writing without truncating it, owner-only, not
/// through a symbolic link: the lock file.
pub fn open_private_rw(path: &Path) -> io::Result<File> {
    refuse_symlink(path)?;
    private_options().read(true).write(true).create(true).truncate(false).open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("nhs-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn private_files_are_owner_only_and_never_follow_a_planted_link() {
        let d = dir("links");
        let victim = d.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let report = d.join("report.json");
        std::os::unix::fs::symlink(&victim, &report).unwrap();
        write_private(&report, |w| w.write_all(b"{}")).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "the link's target is untouched");
        assert!(!std::fs::symlink_metadata(&report).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::metadata(&report).unwrap().permissions().mode() & 0o777, 0o600);

        let log = d.join("sub/dir/run.log");
        let mut f = open_private_append(&log).unwrap();
        writeln!(f, "one").unwrap();
        assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
        let linked = d.join("linked.log");
        std::os::unix::fs::symlink(&victim, &linked).unwrap();
        assert!(open_private_append(&linked).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let _ = std::fs::remove_dir_all(&d);
    }
}
