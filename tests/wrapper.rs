//! The NinjaOne sh wrapper: downloads the binary from a (loopback) URL, refuses it on a
//! checksum mismatch, runs it and passes its exit code on.
#![cfg(unix)]

mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

/// Serves `bytes` for every GET, counting the requests.
fn serve(bytes: Vec<u8>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ninja-halo-sync", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hits2 = hits.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            hits2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", bytes.len());
            let _ = s.write_all(&bytes);
        }
    });
    (url, hits)
}

fn sha256(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .or_else(|_| Command::new("shasum").args(["-a", "256"]).arg(path).output())
        .unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

/// What the download tests start from: the built binary served on loopback (and how often it
/// was fetched), its SHA-256, and a fresh folder with the wrapper's cache path in it.
struct Setup {
    url: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    sha: String,
    dir: tempdir::Dir,
    cache: std::path::PathBuf,
}

fn setup() -> Setup {
    let bin = std::path::Path::new(BIN);
    let (url, hits) = serve(std::fs::read(bin).unwrap());
    let dir = tempdir::Dir::new();
    let cache = dir.path().join("cache");
    Setup { url, hits, sha: sha256(bin), dir, cache }
}

fn wrapper(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ninja-halo-sync.sh");
    let mut cmd = Command::new("sh");
    cmd.arg(script).args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn downloads_verifies_runs_and_passes_the_exit_code_on() {
    let Setup { url, hits, sha, dir: _dir, cache } = setup();
    let base = [("binaryUrl", url.as_str()), ("binarySha256", sha.as_str()), ("cacheDir", cache.to_str().unwrap())];

    let out = wrapper(&base, &["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ninja-halo-sync "));
    assert!(cache.join("ninja-halo-sync").exists());
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Cached and still matching: no second download. The sync's exit code (3 on the demo
    // tenant: some organizations need attention) is passed on.
    let sim = Sim::start(tenants::demo(), Config::default());
    let env: Vec<(String, String)> = sim.env();
    let mut all: Vec<(&str, &str)> = base.to_vec();
    all.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    all.push(("NINJA_HALO_SYNC_TIME_SCALE", "0.001"));
    let out = wrapper(&all, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("summary:"));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_checksum_mismatch_refuses_to_run() {
    let Setup { url, sha, dir: _dir, cache, .. } = setup();
    let wrong = "0".repeat(64);
    let out = wrapper(
        &[("binaryurl", url.as_str()), ("binarysha256", wrong.as_str()), ("cachedir", cache.to_str().unwrap())],
        &["--version"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("checksum mismatch") && err.contains("refusing"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "the binary did not run");
    assert!(!cache.join("ninja-halo-sync").exists(), "nothing installed");

    // A tampered cached binary is not run either.
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("ninja-halo-sync"), "#!/bin/sh\necho tampered\n").unwrap();
    let out = wrapper(&[("binarySha256", sha.as_str()), ("cacheDir", cache.to_str().unwrap())], &["--version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tampered"));
    // And without a checksum, nothing runs at all.
    let out = wrapper(&[("binaryUrl", url.as_str()), ("cacheDir", cache.to_str().unwrap())], &["--version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("binarySha256"));
}

#[test]
fn the_cache_folder_must_be_private_and_the_url_token_is_never_printed() {
    use std::os::unix::fs::PermissionsExt;
    let Setup { url, hits, sha, dir, cache } = setup();
    // Whitespace around the checksum (pasted from SHA256SUMS) is trimmed.
    let sha = format!("  {}\n", sha.to_uppercase());
    let env = |cache: &std::path::Path| {
        vec![
            ("binaryUrl", url.clone()),
            ("binarySha256", sha.clone()),
            ("cacheDir", cache.to_str().unwrap().to_string()),
        ]
    };
    let run = |e: Vec<(&str, String)>| {
        let refs: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        wrapper(&refs, &["--version"])
    };
    let out = run(env(&cache));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the cache folder is created private");
    assert!(
        std::fs::read_dir(&cache).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".download")),
        "no download file left behind"
    );

    // Writable by others: refused before anything runs or is downloaded.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(env(&cache));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("writable by other accounts"), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "the binary did not run");
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();

    // Owned by another account (only root can hand a folder to another account).
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if is_root {
        let foreign = dir.path().join("foreign");
        std::fs::create_dir(&foreign).unwrap();
        std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
        let out = run(env(&foreign));
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("is not owned by"), "{out:?}");
    }

    // A signed URL whose download fails: the message names the URL without its token.
    let fresh = dir.path().join("fresh");
    let mut e = env(&fresh);
    e[0].1 = "http://127.0.0.1:9/ninja-halo-sync?sig=SECRET-TOKEN-123".into();
    let out = run(e);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("download from http://127.0.0.1:9/ninja-halo-sync failed"), "{err}");
    assert!(!err.contains("SECRET-TOKEN"), "{err}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// No PowerShell runs here: the Windows wrapper's safety logic is checked in its text.
#[test]
fn the_powershell_wrapper_restricts_its_folder_and_downloads_under_a_random_name() {
    let ps = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ninja-halo-sync.ps1")).unwrap();
    let code: String = ps.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    for needle in [
        "SetAccessRuleProtection($true, $false)", // inheritance from %ProgramData% cut
        "'S-1-5-18', 'S-1-5-32-544'",             // SYSTEM and Administrators only
        "Set-PrivateAcl $dir",                    // on creation and to repair a wider folder
        "Get-WideWriters $dir",                   // an existing folder is checked
        "[Guid]::NewGuid()",                      // unpredictable download name
        "($url -split '\\?', 2)[0]",              // the URL shown without its query string
        "(Get-Sha256 $copy) -ne $sha)",           // the copy that runs is hashed where it runs
        "$sha -notmatch '^[0-9a-f]{64}$'",        // the first word of a SHA256SUMS line, 64 hex digits
        // Hardening 3: rules and owner by SID, only write rights counted, links refused, files
        // already in the folder checked, an exe that never started is a failure, UTF-8 output.
        "GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])",
        "GetOwner([Security.Principal.SecurityIdentifier])",
        "[IO.FileAttributes]::ReparsePoint",
        "foreach ($entry in Get-ChildItem -LiteralPath $dir -Force)",
        "if ($null -eq $code) { Stop-Wrapper",
        "[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding($false)",
    ] {
        assert!(code.contains(needle), "the PowerShell wrapper lacks: {needle}");
    }
    assert!(!code.contains("NTAccount"), "names are not translated (it throws on some SIDs)");
    assert!(!code.contains("'Write, Modify, FullControl"), "read-only rules must not count as write rights");
    assert!(!code.contains("\"$bin.download\""), "no fixed, guessable download name");
    for line in code.lines().filter(|l| l.contains("Stop-Wrapper") && l.contains("url")) {
        assert!(!line.contains("$url:") && !line.contains("from $url"), "prints the full URL: {line}");
    }
}

/// Hardening 3, item 7: binarySha256 may be pasted as its whole SHA256SUMS line (the first word
/// counts), anything that is not 64 hex digits is refused, and a host without a hash tool
/// fails closed.
#[test]
fn the_checksum_is_the_first_word_and_a_host_without_a_hash_tool_fails_closed() {
    let Setup { url, hits, sha, dir, cache } = setup();
    let line = format!("{sha}  ninja-halo-sync-x86_64-unknown-linux-gnu\n");
    let env = |sha: &str| {
        vec![
            ("binaryUrl", url.clone()),
            ("binarySha256", sha.to_string()),
            ("cacheDir", cache.to_str().unwrap().to_string()),
        ]
    };
    let run = |e: Vec<(&str, String)>, path: Option<&str>| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ninja-halo-sync.sh");
        let mut cmd = Command::new("/bin/sh");
        cmd.arg(script).arg("--version").env_clear();
        cmd.env("PATH", path.map(str::to_string).unwrap_or_else(|| std::env::var("PATH").unwrap_or_default()));
        for (k, v) in e {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(env(&line), None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    for bad in ["not-a-hash", "abc123", &"g".repeat(64)] {
        let out = run(env(bad), None);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"), "{bad}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "the binary did not run");
    }
    // Only the tools the wrapper needs, but no sha256sum or shasum.
    let tools = dir.path().join("tools");
    std::fs::create_dir(&tools).unwrap();
    for t in ["awk", "tr", "mkdir", "chmod", "find", "id", "mktemp", "rm", "cp", "mv", "curl", "wget", "cat"] {
        if let Ok(o) = Command::new("sh").args(["-c", &format!("command -v {t}")]).output() {
            let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if !p.is_empty() {
                std::os::unix::fs::symlink(p, tools.join(t)).unwrap();
            }
        }
    }
    let out = run(env(&line), Some(tools.to_str().unwrap()));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither sha256sum nor shasum"), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "the binary did not run");
}

/// Hardening 3, item 7: a cached binary with the right hash but owned by another account is
/// removed and downloaded again (that account could rewrite it between the check and the
/// run); what runs is a private copy, hashed where it runs. Needs root (CI runs as root).
#[test]
fn a_cached_binary_of_another_account_is_replaced_and_a_private_copy_runs() {
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if !is_root {
        eprintln!("skipped: handing a file to another account needs root (CI runs as root)");
        return;
    }
    let Setup { url, hits, sha, dir: _dir, cache } = setup();
    let base = [("binaryUrl", url.as_str()), ("binarySha256", sha.as_str()), ("cacheDir", cache.to_str().unwrap())];
    assert_eq!(wrapper(&base, &["--version"]).status.code(), Some(0));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    let cached = cache.join("ninja-halo-sync");
    std::os::unix::fs::chown(&cached, Some(4242), Some(4242)).unwrap();
    let planted = cache.join("bcrypt.so");
    std::fs::write(&planted, "planted").unwrap();
    std::os::unix::fs::chown(&planted, Some(4242), Some(4242)).unwrap();
    let out = wrapper(&base, &["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("removing"), "{out:?}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2, "downloaded again");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&cached).unwrap().uid(), 0, "the binary is root's again");
    assert!(!planted.exists(), "another account's file is removed");
    assert!(
        std::fs::read_dir(&cache).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".run")),
        "the private copy is removed after the run"
    );
}
