//! The site level (NinjaOne locations -> Halo sites) end to end: the real binary against the
//! simulator, asserting exit codes, the report's site lines, what the fake Halo's sites hold
//! afterwards and which requests were sent.

mod common;
use common::*;
use ninja_halo_sim::tenants::{client, guid, location, org, site, LOCATION_FIELD, SITE_ARGS, SITE_FIELD};
use ninja_halo_sim::ListFields;
use serde_json::Value;

fn lguid(n: u64) -> String {
    guid(70_000 + n)
}

/// Five linked organizations and their places, one per tier, plus the refusals.
fn tenant() -> Tenant {
    let orgs = vec![
        org(1, "Acme Dental", Some(&guid(1))),
        org(2, "Blue Ridge Law Group", Some(&guid(2))),
        org(3, "Cedar Creek Church", Some(&guid(3))),
        org(4, "Smith & Jones, P.C.", Some(&guid(4))),
        org(5, "Delta Freight", Some(&guid(5))),
    ];
    let clients = vec![
        client(11, "Acme Dental", Some(&guid(1))),
        client(12, "Blue Ridge Law Group", None),
        client(13, "Cedar Creek Church", Some(&guid(3))),
        // Fuzzy: certain only once written and read back.
        client(14, "Smith and Jones PC", None),
        client(15, "Delta Freight", Some(&guid(5))),
    ];
    let locations = vec![
        // Acme: linked by value, native, exact, fuzzy, no_match, ambiguous.
        location(101, 1, "Main Office", Some(&lguid(1))),
        location(102, 1, "Seattle", Some(&lguid(2))),
        location(103, 1, "Warehouse", Some(&lguid(3))),
        location(104, 1, "Dr. Smith's Clinic", Some(&lguid(4))),
        location(105, 1, "Annex", Some(&lguid(5))),
        location(106, 1, "Storage", Some(&lguid(6))),
        // Blue Ridge: one place on each side.
        location(201, 2, "Downtown", Some(&lguid(7))),
        // Cedar Creek: the site holds another value; a value that sits on another client's site.
        location(301, 3, "Chapel", Some(&lguid(8))),
        location(302, 3, "Hall", Some(&lguid(9))),
        // Smith & Jones (fuzzy organization match).
        location(401, 4, "Main", Some(&lguid(10))),
        // Delta: no value in NinjaOne.
        location(501, 5, "Dock", None),
    ];
    let mut native = site(1102, 11, "SEA-01", None);
    native.ninja_id = Some(102);
    let mut old = site(1107, 12, "Old Branch", None);
    old.inactive = true;
    let sites = vec![
        site(1101, 11, "Old Name Of Main", Some(&lguid(1))),
        native,
        site(1103, 11, "Warehouse", None),
        site(1104, 11, "Dr Smiths Clinic", None),
        site(1105, 11, "Storage", None),
        site(1106, 11, "Storage", None),
        site(1201, 12, "Head Office", None),
        old,
        site(1301, 13, "Chapel", Some(&lguid(99))),
        site(1302, 13, "Hall", None),
        site(1501, 15, "Hall", Some(&lguid(9))),
        site(1401, 14, "Main", None),
        site(1502, 15, "Dock", None),
    ];
    Tenant { orgs, clients, fields: tenants::client_fields(), locations, sites, site_fields: tenants::site_fields() }
}

fn site_line(r: &Run, location_id: i64) -> Value {
    let sites = r.report.as_ref().expect("report")["sites"].as_array().expect("sites").clone();
    sites.into_iter().find(|s| s["ninja_location_id"] == location_id).unwrap_or_else(|| panic!("no line {location_id}"))
}

fn site_value(sim: &Sim, id: i64) -> Option<String> {
    sim.site(id).and_then(|s| s.fields.get(SITE_FIELD).and_then(|v| v.as_str().map(str::to_string)))
}

fn site_posts(sim: &Sim) -> Vec<ninja_halo_sim::Recorded> {
    sim.requests().into_iter().filter(|r| r.method == "POST" && r.path.eq_ignore_ascii_case("/api/Site")).collect()
}

#[test]
fn every_tier_writes_the_right_site_and_every_refusal_writes_none() {
    let sim = Sim::start(tenant(), Config::default());
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 3, "a site needs a person: exit 3\n{}\n{}", r.stdout, r.stderr);
    let expect = [
        (101, "in_sync", "linked", Some(1101)),
        (102, "updated", "native", Some(1102)),
        (103, "updated", "exact", Some(1103)),
        (104, "updated", "fuzzy", Some(1104)),
        (105, "no_match", "", None),
        (106, "ambiguous", "", None),
        (201, "updated", "single", Some(1201)),
        (301, "conflict", "exact", Some(1301)),
        (302, "conflict", "exact", Some(1302)),
        (401, "updated", "exact", Some(1401)),
        (501, "no_value", "exact", Some(1502)),
    ];
    for (loc, status, tier, site) in expect {
        let l = site_line(&r, loc);
        assert_eq!(l["status"], status, "location {loc}: {l}");
        assert_eq!(l["tier"].as_str().unwrap_or(""), tier, "location {loc}: {l}");
        assert_eq!(l["halo_site_id"].as_i64(), site, "location {loc}: {l}");
    }
    assert!(site_line(&r, 302)["detail"].as_str().unwrap().contains("#1501"), "names the site holding the value");
    // What Halo holds now: the written sites, and nothing anywhere else.
    for (id, loc) in [(1102, 2), (1103, 3), (1104, 4), (1201, 7), (1401, 10)] {
        assert_eq!(site_value(&sim, id), Some(lguid(loc)), "site {id}");
    }
    for id in [1105, 1106, 1107, 1302, 1502] {
        assert_eq!(site_value(&sim, id), None, "site {id} untouched");
    }
    assert_eq!(site_value(&sim, 1301), Some(lguid(99)), "never overwritten");
    // Other site fields are kept.
    assert_eq!(sim.site(1103).unwrap().fields["CFSiteCode"], "S1103");
    let report = r.report.as_ref().unwrap();
    assert_eq!(report["site_counts"]["updated"], 5);
    assert!(r.stdout.contains("sites: 5 updated"), "{}", r.stdout);
    assert!(
        r.stdout.contains("site updated       'Blue Ridge Law Group' (#2) › 'Downtown' (#201) -> 'Blue Ridge Law Group' (#12) › 'Head Office' (#1201) [single]"),
        "{}",
        r.stdout
    );
    // The second run has nothing left to write.
    sim.clear_requests();
    let again = run(&sim, SITE_ARGS, &[]);
    assert_eq!(again.code, 3);
    assert!(site_posts(&sim).is_empty(), "nothing sent the second time");
    assert_eq!(again.report.as_ref().unwrap()["site_counts"]["in_sync"], 6);
}

#[test]
fn a_dry_run_writes_no_site_and_waits_for_a_fuzzy_organization() {
    let sim = Sim::start(tenant(), Config::default());
    let r = run(&sim, &[SITE_ARGS, &["--dry-run"]].concat(), &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(site_posts(&sim).is_empty() && writes(&sim) == 0, "a dry run writes nothing");
    assert_eq!(site_line(&r, 103)["status"], "would_update");
    // Smith & Jones matched its client fuzzily and was not written: its places wait.
    let sites = r.report.as_ref().unwrap()["sites"].as_array().unwrap().clone();
    assert!(!sites.iter().any(|s| s["ninja_org_id"] == 4), "no site judged inside an unwritten fuzzy link");
}

#[test]
fn sites_are_written_right_whether_halo_merges_or_replaces_custom_fields() {
    for replace in [false, true] {
        let sim = Sim::start(tenant(), Config { halo_replace_custom_fields: replace, ..Config::default() });
        let r = run(&sim, SITE_ARGS, &[]);
        assert_eq!(r.code, 3, "replace={replace}\n{}", r.stderr);
        assert_eq!(site_line(&r, 103)["status"], "updated", "replace={replace}");
        for id in [1102, 1103, 1104, 1201, 1401] {
            assert!(site_value(&sim, id).is_some(), "replace={replace}: site {id}");
            assert_eq!(sim.site(id).unwrap().fields["CFSiteCode"], format!("S{id}"), "replace={replace}: kept");
        }
        let posted: Vec<String> = site_posts(&sim).into_iter().map(|p| p.body).collect();
        // After the first write and the probe: where Halo replaces the array, whole arrays
        // go; where it merges, only our field.
        let last = posted.last().unwrap();
        assert_eq!(last.contains("CFSiteCode"), replace, "{posted:?}");
    }
}

#[test]
fn a_site_write_that_is_not_kept_fails_the_run_with_exit_2() {
    let sim = Sim::start(tenant(), Config::default());
    sim.inject(Fault::new(Side::Halo, "POST", "/api/Site", FaultKind::DropWrite).times(usize::MAX));
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let l = site_line(&r, 103);
    assert_eq!(l["status"], "failed");
    assert!(l["detail"].as_str().unwrap().contains("site"), "{l}");
    assert_eq!(r.count("failed"), 0, "the organizations were written");
}

#[test]
fn one_site_option_alone_is_a_usage_error_and_neither_adds_no_request() {
    let sim = Sim::start(tenant(), Config::default());
    let r = run(&sim, &["--ninja-location-field", LOCATION_FIELD], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--halo-site-field (HALO_SITE_FIELD) is not"), "{}", r.stderr);
    assert!(sim.requests().is_empty(), "nothing sent");
    let r = run(&sim, &[], &[("HALO_SITE_FIELD", SITE_FIELD)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.report.as_ref().unwrap().get("sites").is_none());
    let site_level = |p: &str| p.contains("/api/Site") || p.contains("/v2/locations") || p.contains("location");
    let sent: Vec<String> = sim.requests().iter().map(|r| r.target.clone()).collect();
    assert!(!sent.iter().any(|t| site_level(t) || t.contains("typeid=3")), "{sent:?}");
}

#[test]
fn a_wrong_site_field_stops_before_anything_is_read_or_written() {
    let sim = Sim::start(tenant(), Config::default());
    let r = run(&sim, &["--ninja-location-field", LOCATION_FIELD, "--halo-site-field", "CFDtcSiteGuidd"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("CFDtcSiteGuid (label \"DTC Site GUID\")"), "names the closest: {}", r.stderr);
    // The site field's own setting, not the client field's (following that advice would fail).
    assert!(
        r.stderr.contains(
            "Halo has no site custom field named 'CFDtcSiteGuidd' (haloSiteField / HALO_SITE_FIELD / \
             --halo-site-field)"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("HALO_FIELD /"), "{}", r.stderr);
    assert!(writes(&sim) == 0 && site_posts(&sim).is_empty());
    assert!(!sim.requests().iter().any(|r| r.path.eq_ignore_ascii_case("/api/Client")), "no list was read");
    // And a location field NinjaOne does not have at location scope.
    let r = run(&sim, &["--ninja-location-field", "dtcOrgGuid", "--halo-site-field", SITE_FIELD], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not for locations"), "{}", r.stderr);
    assert!(r.stderr.contains("(ninjaLocationField / NINJA_LOCATION_FIELD / --ninja-location-field)"), "{}", r.stderr);
}

#[test]
fn values_are_read_per_location_where_the_query_is_missing_and_per_site_where_rows_lack_them() {
    let config =
        Config { ninja_query_endpoint: false, halo_list_custom_fields: ListFields::Absent, ..Config::default() };
    let sim = Sim::start(tenant(), config);
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    for (loc, status) in [(102, "updated"), (103, "updated"), (201, "updated"), (301, "conflict")] {
        assert_eq!(site_line(&r, loc)["status"], status, "location {loc}");
    }
    let reqs = sim.requests();
    let count = |p: &str| reqs.iter().filter(|r| r.path.contains(p)).count();
    assert_eq!(count("/location/"), 11, "each location's fields once");
    assert!(count("/api/Site/") >= 7, "matched sites read one by one");
}

#[test]
fn the_check_looks_up_both_site_level_fields() {
    let sim = Sim::start(tenant(), Config::default());
    let r = run(&sim, &[SITE_ARGS, &["--check"]].concat(), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Halo site field 'CFDtcSiteGuid'"), "{}", r.stdout);
    assert!(r.stdout.contains("NinjaOne location field 'dtcLocationGuid'"), "{}", r.stdout);
    let r = run(&sim, &["--check", "--ninja-location-field", LOCATION_FIELD, "--halo-site-field", "Nope"], &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // Where the site list's rows do not show the field, the check says what a run will do.
    let sim = Sim::start(tenant(), Config { halo_list_custom_fields: ListFields::Absent, ..Config::default() });
    let r = run(&sim, &[SITE_ARGS, &["--check"]].concat(), &[]);
    assert!(r.stdout.contains("0 of them show 'CFDtcSiteGuid'"), "{}", r.stdout);
    assert!(r.stdout.contains("reads each matched site whose row does not show it"), "{}", r.stdout);
}

#[test]
fn explaining_one_organization_reads_no_site() {
    let sim = Sim::start(tenant(), Config::default());
    let r = run(&sim, &[SITE_ARGS, &["--explain", "Acme Dental"]].concat(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Acme Dental"), "{}", r.stdout);
    let sent: Vec<String> = sim.requests().iter().map(|r| r.target.clone()).collect();
    assert!(!sent.iter().any(|t| t.contains("/api/Site") || t.contains("/v2/locations")), "{sent:?}");
}

#[test]
fn a_first_run_with_sites_costs_at_most_two_and_a_half_times_the_organizations_alone() {
    let total = |args: &[&str]| {
        let sim = Sim::start(tenants::realistic_with_sites(1000, 32), Config::default());
        let first = run(&sim, args, &[]);
        assert!(first.code == 0 || first.code == 3, "{}", first.stderr);
        let n = sim.requests().len();
        sim.clear_requests();
        let second = run(&sim, args, &[]);
        assert!(second.code == 0 || second.code == 3, "{}", second.stderr);
        (n, sim.requests().len(), first)
    };
    // Without Halo's own link (--native-links off), as before it was read from the records.
    let off = ["--native-links", "off"];
    let (orgs_first, orgs_second, _) = total(&off);
    let (sites_first, sites_second, r) = total(&[SITE_ARGS, &off].concat());
    let updated = r.report.as_ref().unwrap()["site_counts"]["updated"].as_u64().unwrap();
    assert!(updated > 900, "most places written: {updated}");
    assert!(sites_first * 2 <= orgs_first * 5, "first run: {sites_first} requests with sites, {orgs_first} without");
    // The steady state adds only the pages it must read: the site list (1,900 sites: 19 full
    // pages and the empty one after them, as a full page is never the end), the locations and
    // their values (1,500: two pages each and the empty one that ends the list) and the site
    // field definitions.
    let (sites, locations) = (r.report.as_ref().unwrap()["sites"].as_array().unwrap().len(), 1500);
    assert!(sites >= 1400, "the linked organizations' locations are judged: {sites}");
    let extra = (1900 / 100 + 1) + 2 * (locations / 1000 + 2) + 1;
    assert!(sites_second <= orgs_second + extra, "second run: {sites_second} with sites, {orgs_second} without");
    // The default (auto) reads Halo's own link from the records a decision depends on: at most
    // one request per client (1,100) and per site (1,900) more than without it.
    let (auto_first, auto_second, _) = total(&[]);
    let (auto_sites_first, auto_sites_second, _) = total(SITE_ARGS);
    assert!(auto_first <= orgs_first + 1100, "{auto_first}");
    assert!(auto_sites_first <= sites_first + 1100 + 1900, "{auto_sites_first}");
    eprintln!(
        "requests at 1,000 organizations, --native-links off: first {orgs_first} -> {sites_first} with sites, second \
         {orgs_second} -> {sites_second}; auto: first {auto_first} -> {auto_sites_first}, second {auto_second} -> \
         {auto_sites_second}"
    );
}

#[test]
fn locations_of_uncertain_links_wait_and_bad_location_values_need_a_person() {
    let orgs = vec![
        org(1, "Acme Dental", Some(&guid(1))),
        // Two Halo clients with this name: ambiguous, so its places are not judged.
        org(2, "Summit Medical", Some(&guid(2))),
        // Halo holds another value: a conflict, so its places are not judged either.
        org(3, "Initech", Some(&guid(3))),
        org(4, "Globex", Some(&guid(4))),
    ];
    let clients = vec![
        client(11, "Acme Dental", Some(&guid(1))),
        client(12, "Summit Medical", None),
        client(13, "Summit Medical", None),
        client(14, "Initech", Some(&guid(99))),
        client(15, "Globex", Some(&guid(4))),
    ];
    let locations = vec![
        location(101, 1, "Main", Some("TBD")),
        location(102, 1, "Annex", Some(&lguid(1))),
        location(201, 2, "Main", Some(&lguid(2))),
        location(301, 3, "Main", Some(&lguid(3))),
        // The same value on a location of another organization.
        location(401, 4, "Depot", Some(&lguid(1))),
    ];
    let sites = vec![
        site(1101, 11, "Main", None),
        site(1102, 11, "Annex", None),
        site(1201, 12, "Main", None),
        site(1401, 14, "Main", None),
        site(1501, 15, "Depot", None),
    ];
    let t = Tenant {
        orgs,
        clients,
        fields: tenants::client_fields(),
        locations,
        sites,
        site_fields: tenants::site_fields(),
    };
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(site_line(&r, 101)["status"], "invalid_value");
    assert_eq!(site_line(&r, 102)["status"], "conflict");
    assert_eq!(site_line(&r, 401)["status"], "conflict");
    let judged: Vec<i64> = r.report.as_ref().unwrap()["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ninja_location_id"].as_i64().unwrap())
        .collect();
    assert_eq!(judged, vec![101, 102, 401], "the ambiguous and the conflicting organizations' places wait");
    assert!(site_posts(&sim).is_empty(), "nothing to write: {}", r.stdout);
}

#[test]
fn a_partial_site_list_is_never_used_and_nothing_is_written() {
    let sim = Sim::start(tenant(), Config::default());
    sim.inject(Fault::new(Side::Halo, "GET", "/api/Site", FaultKind::EmptyPage));
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("site list"), "{}", r.stderr);
    assert!(writes(&sim) == 0 && site_posts(&sim).is_empty(), "read before anything is written");
    // A location list that never ends stops at the ceiling, as the organization list does.
    let sim = Sim::start(tenant(), Config::default());
    sim.inject(Fault::new(Side::Ninja, "GET", "/v2/locations", FaultKind::EndlessPages).times(usize::MAX));
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(writes(&sim) == 0 && site_posts(&sim).is_empty());
}

#[cfg(unix)]
#[test]
fn the_status_field_says_when_the_sites_need_a_person() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start(tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let calls = dir.path().join("calls.txt");
    let cli = dir.path().join("ninjarmm-cli");
    std::fs::write(
        &cli,
        format!("#!/bin/sh\nprintf '%s|' \"$@\" >> '{}'\necho >> '{}'\n", calls.display(), calls.display()),
    )
    .unwrap();
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cli = cli.to_str().unwrap();
    let r = run(&sim, SITE_ARGS, &[("NINJA_STATUS_FIELD", "haloSyncStatus"), ("NINJARMM_CLI", cli)]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let calls = std::fs::read_to_string(&calls).unwrap();
    let status = calls.lines().find(|l| l.starts_with("set|haloSyncStatus|")).expect("status written");
    // Every organization is fine; the ATTENTION comes from the sites, and the line says so.
    assert!(status.contains("ATTENTION: 3 in sync, 2 updated, 0 need attention, 0 failed"), "{status}");
    assert!(status.contains("; sites: 1 in sync, 5 updated, 4 need attention, 0 failed"), "{status}");
}

#[test]
fn locations_without_a_single_value_are_never_ok() {
    let mut t = tenant();
    for l in &mut t.locations {
        l.fields.clear();
    }
    // The field exists (defined at location scope), it is just empty everywhere.
    let def = |name: &str, scope: &str| ninja_halo_sim::NinjaFieldDef {
        name: name.into(),
        label: name.into(),
        scopes: vec![scope.into()],
        api_permission: "READ_WRITE".into(),
    };
    let defs = vec![def("dtcOrgGuid", "ORGANIZATION"), def(LOCATION_FIELD, "LOCATION")];
    let config = Config { ninja_field_defs: ninja_halo_sim::NinjaFieldDefs::List(defs), ..Config::default() };
    let sim = Sim::start(t, config);
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stdout.contains("attention: none of the 11 NinjaOne locations has a value"), "{}", r.stdout);
}

/// Issue 26's cases at the site level, in the vendors' world (Halo's own link only on the site
/// records): one organization linked by value to its client, its locations against the sites.
fn native_site_cases() -> Tenant {
    let with_link = |mut s: Client, location: i64| {
        s.ninja_id = Some(location);
        s
    };
    let mut inactive = with_link(site(704, 101, "Annex", None), 14);
    inactive.inactive = true;
    Tenant {
        orgs: vec![org(1, "Acme Dental", Some(&guid(1)))],
        clients: vec![client(101, "Acme Dental", Some(&guid(1))), client(102, "Other Client", None)],
        fields: tenants::client_fields(),
        locations: vec![
            location(11, 1, "Main Office", Some(&lguid(11))),
            location(12, 1, "Warehouse", Some(&lguid(12))),
            location(13, 1, "Dock", Some(&lguid(13))),
            location(14, 1, "Annex", Some(&lguid(14))),
            location(15, 1, "Depot", Some(&lguid(15))),
            location(16, 1, "Garage", Some(&lguid(16))),
        ],
        sites: vec![
            // Main Office's name points to 701; Halo's link says 702 is its site.
            site(701, 101, "Main Office", None),
            with_link(site(702, 101, "HQ", None), 11),
            // Warehouse's name points to 703, which Halo's link gives to Dock.
            with_link(site(703, 101, "Warehouse", None), 13),
            // Annex's linked site is inactive; an active twin carries its name.
            inactive,
            site(705, 101, "Annex", None),
            // Depot's linked site holds another value.
            with_link(site(706, 101, "Old Depot", Some(&lguid(99))), 15),
            // Garage: a plain name match, read before it is written.
            site(707, 101, "Garage", None),
        ],
        site_fields: tenants::site_fields(),
    }
}

#[test]
fn halos_own_site_link_is_read_from_the_site_records() {
    let sim = Sim::start(native_site_cases(), Config::default());
    let r = run(&sim, SITE_ARGS, &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let line = |loc| site_line(&r, loc);
    let detail = |loc| line(loc)["detail"].as_str().unwrap().to_string();
    assert_eq!(line(11)["status"], "ambiguous", "the location's native site elsewhere than its name match");
    assert!(detail(11).contains("'HQ' (#702)") && detail(11).contains("#701"), "{}", detail(11));
    assert_eq!(line(12)["status"], "ambiguous", "the name's site is natively another location's");
    assert!(detail(12).contains("'Dock' (#13)"), "{}", detail(12));
    assert_eq!((line(13)["status"].as_str(), line(13)["tier"].as_str()), (Some("updated"), Some("native")));
    assert_eq!(line(14)["status"], "ambiguous", "an inactive native site with an active twin");
    assert!(detail(14).contains("inactive"), "{}", detail(14));
    assert_eq!((line(15)["status"].as_str(), line(15)["tier"].as_str()), (Some("conflict"), Some("native")));
    assert_eq!(line(16)["status"], "updated");
    for id in [701, 702, 704, 705] {
        assert_eq!(site_value(&sim, id), None, "site {id} untouched");
    }
    assert_eq!(site_value(&sim, 703), Some(lguid(13)));
    assert_eq!(site_value(&sim, 706), Some(lguid(99)), "never overwritten");
    assert_eq!(
        record_reads(&sim, "site"),
        vec![701, 702, 703, 704, 705, 706, 707],
        "every site of the pair holding no value"
    );

    // targets: only the sites a name is about to write to; off: none, and the link is no evidence.
    let sim = Sim::start(native_site_cases(), Config::default());
    let r = run(&sim, &[SITE_ARGS, &["--dry-run", "--native-links", "targets"]].concat(), &[]);
    assert_eq!(site_line(&r, 12)["status"], "ambiguous", "its target was read");
    assert_eq!(site_line(&r, 11)["status"], "would_update", "702's link was not looked for");
    assert_eq!(record_reads(&sim, "site"), vec![701, 703, 705, 707]);
    assert!(r.stdout.contains("not seen: --native-links targets") && r.stdout.contains("other sites"), "{}", r.stdout);
    let sim = Sim::start(native_site_cases(), Config::default());
    let r = run(&sim, &[SITE_ARGS, &["--dry-run", "--native-links", "off"]].concat(), &[]);
    assert_eq!(site_line(&r, 12)["status"], "would_update");
    assert_eq!(site_line(&r, 13)["status"], "no_match");
    assert!(record_reads(&sim, "site").is_empty(), "{:?}", record_reads(&sim, "site"));
}

#[test]
fn a_site_whose_record_names_another_client_is_never_written() {
    use ninja_halo_sim::Disagree;
    let sim = Sim::start(native_site_cases(), Config::default());
    // Site 707 is listed under client 101; its record says 102.
    sim.inject(
        Fault::new(Side::Halo, "GET", "/api/Site/707", FaultKind::RecordDisagrees(Disagree::ClientId(102)))
            .times(usize::MAX),
    );
    let r = run(&sim, SITE_ARGS, &[]);
    let garage = site_line(&r, 16);
    assert_eq!(garage["status"], "conflict", "{garage}");
    let d = garage["detail"].as_str().unwrap();
    assert!(d.contains("names client #102 where the list named client #101"), "{d}");
    assert_eq!(site_value(&sim, 707), None);
    assert!(site_posts(&sim).iter().all(|p| !p.body.contains("\"id\":707")), "never posted");
}

#[test]
fn a_renamed_site_holding_its_locations_value_is_found_where_rows_hide_values() {
    let mut t = native_site_cases();
    t.sites.push(site(708, 101, "Renamed Long Ago", Some(&lguid(16))));
    t.sites.retain(|s| s.id != 707);
    for args in [&["--dry-run"][..], &["--dry-run", "--native-links", "off"]] {
        let sim = Sim::start(t.clone(), Config { halo_list_custom_fields: ListFields::Absent, ..Config::default() });
        let r = run(&sim, &[SITE_ARGS, args].concat(), &[]);
        let garage = site_line(&r, 16);
        assert_eq!(
            (garage["status"].as_str(), garage["halo_site_id"].as_i64()),
            (Some("in_sync"), Some(708)),
            "{args:?}"
        );
    }
}
