//! TLS trust (OS store plus --ca-file), proxies, and the one-run-at-a-time lock.

mod common;
use common::*;

fn halo_addr(sim: &Sim) -> std::net::SocketAddr {
    sim.halo_url().trim_start_matches("http://").parse().unwrap()
}

#[test]
fn a_tls_inspecting_ca_is_trusted_with_ca_file_and_refused_without() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let front = net::tls_front(halo_addr(&sim));
    let dir = tempdir::Dir::new();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &front.ca_pem).unwrap();

    let r = run(&sim, &["--halo-url", &front.url, "--dry-run"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("TLS") && r.stderr.contains("--ca-file"), "{}", r.stderr);
    assert!(sim.requests().iter().all(|q| q.side == Side::Ninja), "nothing reached Halo without trust");

    let r = run(&sim, &["--halo-url", &front.url, "--ca-file", ca.to_str().unwrap()], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(halo_value(&sim, 101), Some(tenants::guid(1)));
}

#[test]
fn a_bad_ca_file_is_a_usage_error() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let ca = dir.path().join("not-a-cert.pem");
    std::fs::write(&ca, "hello").unwrap();
    let r = run(&sim, &["--ca-file", ca.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("holds no PEM certificate"), "{}", r.stderr);
}

#[test]
fn requests_go_through_the_proxy_unless_no_proxy_names_the_host() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let ninja_addr: std::net::SocketAddr = sim.ninja_url().trim_start_matches("http://").parse().unwrap();
    // Both APIs under names only the proxy can reach (a loopback host is never proxied).
    let halo = net::tls_front_named(halo_addr(&sim), "halo.example.test");
    let ninja = net::tls_front_named(ninja_addr, "ninja.example.test");
    let port = |url: &str| url.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let route = |name: &str, url: &str| (name.to_string(), std::net::SocketAddr::from(([127, 0, 0, 1], port(url))));
    let proxy = net::tunnel_proxy(vec![route("halo.example.test", &halo.url), route("ninja.example.test", &ninja.url)]);
    let dir = tempdir::Dir::new();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, format!("{}{}", halo.ca_pem, ninja.ca_pem)).unwrap();
    let env = [("HALO_URL", halo.url.as_str()), ("NINJA_URL", ninja.url.as_str()), ("CA_FILE", ca.to_str().unwrap())];
    let r = run(&sim, &["--proxy", &proxy.url, "--dry-run"], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let seen = proxy.seen.lock().unwrap().clone();
    for name in ["halo.example.test", "ninja.example.test"] {
        assert!(seen.iter().any(|l| l.starts_with(&format!("CONNECT {name}:"))), "{seen:?}");
    }

    // The environment's HTTPS_PROXY works the same; NO_PROXY exempts a host (which, not
    // resolvable here without the proxy, is then not found).
    proxy.seen.lock().unwrap().clear();
    let mut env = env.to_vec();
    env.extend([("HTTPS_PROXY", proxy.url.as_str()), ("NO_PROXY", "halo.example.test")]);
    let r = run(&sim, &["--dry-run"], &env);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let seen = proxy.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|l| !l.contains("halo.example.test")), "NO_PROXY bypasses the proxy: {seen:?}");
    assert!(r.stderr.contains("halo.example.test"), "{}", r.stderr);
}

#[test]
fn a_second_overlapping_run_exits_1_without_writing() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let locks = dir.path().join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let env = [("NINJA_HALO_SYNC_LOCK_DIR", locks.to_str().unwrap())];
    let host = sim.halo_url().trim_start_matches("http://").replace(':', "_");
    let path = locks.join(format!("ninja-halo-sync-{host}.lock"));
    // Held by a live run (this test, through the operating system's lock).
    let held = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
    held.try_lock().unwrap();
    let r = run(&sim, &[], &env);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("another ninja-halo-sync run"), "{}", r.stderr);
    assert!(sim.requests().is_empty(), "nothing contacted");
    // A dry run does not need the lock.
    assert_eq!(run(&sim, &["--dry-run"], &env).code, 0);
    // The lock ends with the run that held it, however it ended: nothing stale to clear.
    drop(held);
    let r = run(&sim, &[], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A file another account planted there is no obstacle: only the OS lock counts.
    let r = run(&sim, &[], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn files_the_run_creates_are_private_and_credentials_in_urls_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let suggest = dir.path().join("new/folder/suggest.csv");
    let log = dir.path().join("logs/run.log");
    let r = run(&sim, &["--suggest-map", suggest.to_str().unwrap(), "--log-file", log.to_str().unwrap()], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for p in [suggest.clone(), log.clone(), r.dir.path().join("report.json")] {
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "{}", p.display());
    }
    // A link planted at the report's path is replaced, never written through.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let report = dir.path().join("report.json");
    std::os::unix::fs::symlink(&victim, &report).unwrap();
    let r = run(&sim, &["--report", report.to_str().unwrap()], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // Credentials inside a URL: a usage error before any request, without repeating them.
    let before = sim.requests().len();
    let url = sim.halo_url().replace("http://", "http://admin:hunter22@");
    let r = run(&sim, &[], &[("HALO_URL", url.as_str())]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("carries credentials"), "{}", r.stderr);
    assert!(!r.all_output().contains("hunter22") && !r.all_output().contains("admin:"), "{}", r.all_output());
    assert_eq!(sim.requests().len(), before, "nothing contacted");
    // A proxy's password is never printed either.
    let r = run(&sim, &["--proxy", "ftp://user:pr0xyPass@proxy.example:3128"], &[]);
    assert_eq!(r.code, 1);
    assert!(!r.all_output().contains("pr0xyPass"), "{}", r.all_output());
    // A secret pasted into the secret-file variable is not printed back.
    let r = run(&sim, &[], &[("HALO_CLIENT_SECRET_FILE", "Zq8-very-secret-value-Kx2")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("The value is not shown"), "{}", r.stderr);
    assert!(!r.all_output().contains("Zq8-very-secret-value-Kx2"), "{}", r.all_output());
}
