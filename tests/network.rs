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
    let proxy = net::recording_proxy();
    let r = run(&sim, &["--proxy", &proxy.url, "--dry-run"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let seen = proxy.seen.lock().unwrap().clone();
    let halo = sim.halo_url();
    let ninja = sim.ninja_url();
    assert!(seen.iter().any(|l| l.starts_with(&format!("GET {halo}/api/Client"))), "{seen:?}");
    assert!(seen.iter().any(|l| l.starts_with(&format!("GET {ninja}/v2/organizations"))), "{seen:?}");
    assert!(!seen.iter().any(|l| l.contains("Authorization")), "request lines only");

    // The environment's HTTPS_PROXY works the same; NO_PROXY exempts a host.
    proxy.seen.lock().unwrap().clear();
    let r = run(&sim, &["--dry-run"], &[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", "localhost,127.0.0.1")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(proxy.seen.lock().unwrap().is_empty(), "NO_PROXY bypasses the proxy");
}

#[test]
fn a_second_overlapping_run_exits_1_without_writing() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let host = sim.halo_url().trim_start_matches("http://").replace(':', "_");
    let lock = std::env::temp_dir().join(format!("ninja-halo-sync-{host}.lock"));
    // Held by a live process (this test).
    std::fs::write(&lock, format!("{} 2026-11-22T07:00:00Z\n", std::process::id())).unwrap();
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("another ninja-halo-sync run") && r.stderr.contains("delete"), "{}", r.stderr);
    assert!(sim.requests().is_empty(), "nothing contacted");
    // A dry run does not need the lock.
    assert_eq!(run(&sim, &["--dry-run"], &[]).code, 0);
    // Left by a run that died: taken over (where /proc tells that its PID is gone; on other
    // systems a lock counts as stale after 12 hours).
    std::fs::write(&lock, "4194305 2026-11-22T07:00:00Z\n").unwrap();
    if cfg!(target_os = "linux") {
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("stale lock"), "{}", r.stderr);
        assert!(!lock.exists(), "released at the end of the run");
    } else {
        let _ = std::fs::remove_file(&lock);
    }
}
