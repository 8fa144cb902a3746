//! The first hour: --check, the NinjaOne field checked like Halo's, least privilege, and the
//! Halo authorisation server found by itself.

mod common;
use common::*;
use ninja_halo_sim::{NinjaFieldDef, NinjaFieldDefs};

fn ninja_def(name: &str, label: &str, scope: &str, permission: &str) -> NinjaFieldDef {
    NinjaFieldDef {
        name: name.into(),
        label: label.into(),
        scopes: vec![scope.into()],
        api_permission: permission.into(),
    }
}

#[test]
fn check_on_a_good_configuration_exits_0_writes_nothing_and_takes_no_lock() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, &["--check"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for line in [
        "ok    Halo sign-in: client id 'halo-demo-client'",
        "ok    Halo client field 'CFDtcClientGuid' (label 'DTC Client GUID', id 101)",
        "ok    Halo clients: the first page has 34 of 34",
        "ok    NinjaOne sign-in: client id 'ninja-demo-client', scope monitoring",
        "ok    NinjaOne organization field 'dtcOrgGuid'",
        "ok    NinjaOne organizations: the first page has 32; 31 of them have a value in 'dtcOrgGuid'",
        "check: everything a sync needs is in place (exit 0)",
    ] {
        assert!(r.stdout.contains(line), "missing '{line}' in:\n{}", r.stdout);
    }
    assert_eq!(writes(&sim), 0);
    assert!(sim.requests().iter().all(|q| q.method == "GET" || q.path.ends_with("token")), "only reads and tokens");
    assert!(!r.dir.path().join("locks").exists(), "no lock taken");
}

#[test]
fn check_on_a_broken_configuration_says_what_to_fix_and_exits_1() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(
        &sim,
        &["--check", "--ninja-field", "Label of dtcOrgGuid", "--halo-field", "DTC Client GUID"],
        &[("NINJA_CLIENT_SECRET", "wrong-but-long-enough-0123")],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL  Halo has no client custom field named 'DTC Client GUID'"), "{}", r.stdout);
    assert!(r.stdout.contains("is the label of CFDtcClientGuid"), "{}", r.stdout);
    assert!(r.stdout.contains("FAIL  NinjaOne: NinjaOne refused the client credentials"), "{}", r.stdout);
    assert!(r.stdout.contains("NINJA_CLIENT_SECRET"), "{}", r.stdout);
    assert!(r.stdout.contains("check: 2 problem(s) to fix"), "{}", r.stdout);
    assert_eq!(writes(&sim), 0);
    // With the credentials right, the NinjaOne field is named by its label: said so.
    let r = run(&sim, &["--check", "--ninja-field", "Label of dtcOrgGuid"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("is the label of dtcOrgGuid: pass its name, --ninja-field dtcOrgGuid"), "{}", r.stdout);
}

#[test]
fn the_ninja_field_is_checked_before_organizations_are_read() {
    let defs = vec![
        ninja_def("dtcOrgGuid", "DTC Org GUID", "ORGANIZATION", "NONE"),
        ninja_def("contractTier", "Contract tier", "ORGANIZATION", "READ_ONLY"),
        ninja_def("deviceGuid", "Device GUID", "NODE", "READ_WRITE"),
    ];
    let config = Config { ninja_field_defs: NinjaFieldDefs::List(defs), ..Config::default() };
    let sim = Sim::start(clean_tenant(), config);
    // Not readable through the API: stop with what to change.
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("API permission NONE") && r.stderr.contains("Read Only"), "{}", r.stderr);
    assert!(!sim.requests().iter().any(|q| q.path == "/v2/organizations"), "organizations never read");
    assert_eq!(writes(&sim), 0);
    // No such field at organization scope: the closest names and labels.
    let r = run(&sim, &["--ninja-field", "DTC Org GUID"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("'DTC Org GUID' is the label of dtcOrgGuid"), "{}", r.stderr);
    let r = run(&sim, &["--ninja-field", "deviceGuid"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no organization custom field named 'deviceGuid'"), "{}", r.stderr);

    // Where the definitions cannot be read, the run goes on and says the field was not checked.
    for status in [403, 404] {
        let config = Config { ninja_field_defs: NinjaFieldDefs::Refused(status), ..Config::default() };
        let sim = Sim::start(clean_tenant(), config);
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("could not be checked"), "{}", r.stderr);
        assert_eq!(r.status_of("Acme Dental"), "updated");
    }
}

#[test]
fn ninja_is_asked_for_the_monitoring_scope_only() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = sim.requests().into_iter().find(|q| q.path.ends_with("/oauth/token")).unwrap();
    assert!(token.body.contains("scope=monitoring"), "{}", token.body);
    assert!(!token.body.contains("management"), "{}", token.body);
}

#[test]
fn the_halo_authorisation_server_is_found_where_the_instance_says() {
    // A hosted Halo whose authorisation server is not at /auth, with a tenant.
    let config = Config { halo_auth_path: "/identity".into(), halo_tenant: Some("acme".into()), ..Config::default() };
    let sim = Sim::start(clean_tenant(), config.clone());
    // No HALO_AUTH_URL and no HALO_TENANT: both come from /api/authinfo.
    let r = run(&sim, &[], &[("HALO_TENANT", "")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = sim.requests().into_iter().find(|q| q.path.ends_with("/token")).unwrap();
    assert_eq!(token.target, "/identity/token?tenant=acme");

    // An explicit setting always wins (and /api/authinfo is not asked).
    let sim = Sim::start(clean_tenant(), config.clone());
    let url = format!("{}/identity", sim.halo_url());
    let r = run(&sim, &["--dry-run", "--halo-auth-url", &url], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!sim.requests().iter().any(|q| q.path == "/api/authinfo"));

    // Without /api/authinfo: <halo-url>/auth, which this instance does not serve; the message
    // says where to look.
    let sim = Sim::start(clean_tenant(), Config { halo_authinfo: false, ..config });
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("token endpoint was not found") && r.stderr.contains("--halo-auth-url"), "{}", r.stderr);
    // ... and where it does (the default /auth), the fallback works.
    let sim = Sim::start(clean_tenant(), Config { halo_authinfo: false, ..Config::default() });
    assert_eq!(run(&sim, &["--dry-run"], &[]).code, 0);
}
