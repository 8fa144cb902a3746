//! Identity before names: Halo's own NinjaOne link (the native tier), the organization's link
//! field, mappings by id (safe in a NinjaOne Script Variable), and the clients nothing links to.

mod common;
use common::*;
use tenants::{client, guid, org};

fn linked(mut c: Client, ninja_id: i64) -> Client {
    c.ninja_id = Some(ninja_id);
    c
}

fn tenant(orgs: Vec<ninja_halo_sim::Org>, clients: Vec<Client>) -> Tenant {
    Tenant { orgs, clients, fields: tenants::client_fields(), ..Tenant::default() }
}

#[test]
fn halos_own_ninjaone_link_is_a_tier_and_every_contradiction_is_refused() {
    let t = tenant(
        vec![
            org(1, "Alpha Dental", Some(&guid(1))),
            org(2, "Gamma Law", Some(&guid(2))),
            org(3, "Delta Roofing", Some(&guid(3))),
            org(4, "Epsilon Bakery", Some(&guid(4))),
        ],
        vec![
            // Renamed in Halo: only the link says it is Alpha's.
            linked(client(101, "Alpha Dental Practice of Springfield", None), 1),
            // Gamma's name points to 102, its link to 103.
            client(102, "Gamma Law", None),
            linked(client(103, "Something Else Entirely", None), 2),
            // Delta's linked client is inactive.
            {
                let mut c = linked(client(104, "Delta Roofing Old", None), 3);
                c.inactive = true;
                c
            },
            // Epsilon's linked client holds another value.
            linked(client(105, "Bakery of Epsilon", Some(&guid(99))), 4),
        ],
    );
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(
        (r.status_of("Alpha Dental").as_str(), r.org("Alpha Dental")["tier"].as_str()),
        ("updated", Some("native"))
    );
    assert_eq!(halo_value(&sim, 101), Some(guid(1)));
    let gamma = r.org("Gamma Law");
    assert_eq!(gamma["status"], "ambiguous", "{gamma}");
    let d = gamma["detail"].as_str().unwrap();
    assert!(d.contains("'Something Else Entirely' (#103)") && d.contains("'Gamma Law' (#102)"), "{d}");
    let delta = r.org("Delta Roofing");
    assert_eq!(delta["status"], "ambiguous");
    assert!(delta["detail"].as_str().unwrap().contains("inactive"), "{delta}");
    assert_eq!(r.status_of("Epsilon Bakery"), "conflict");
    for id in [102, 103, 104] {
        assert_eq!(halo_value(&sim, id), None, "client {id} untouched");
    }
    assert_eq!(halo_value(&sim, 105), Some(guid(99)), "never overwritten");

    // Turned off, from the flag or the environment: the link is not evidence.
    for (args, env) in
        [(vec!["--no-native-link", "--dry-run"], vec![]), (vec!["--dry-run"], vec![("NO_NATIVE_LINK", "yes")])]
    {
        let sim = Sim::start(
            tenant(vec![org(1, "Alpha Dental", Some(&guid(1)))], vec![linked(client(101, "Renamed", None), 1)]),
            Config::default(),
        );
        let r = run(&sim, &args, &env);
        assert_eq!(r.status_of("Alpha Dental"), "no_match", "{args:?} {env:?}");
    }
}

/// Issue 26's cases, in the vendors' world (Halo's own link only on the records): each native
/// contradiction at the client level, and what `targets` and `off` do with them.
fn native_cases() -> Tenant {
    let mut inactive = linked(client(204, "Delta Roofing", None), 4);
    inactive.inactive = true;
    tenant(
        vec![
            org(1, "Alpha Dental", Some(&guid(1))),
            org(2, "Beta Clinic", Some(&guid(2))),
            org(3, "Gamma Law", Some(&guid(3))),
            org(4, "Delta Roofing", Some(&guid(4))),
            org(5, "Epsilon Bakery", Some(&guid(5))),
            org(6, "Zeta Foods", Some(&guid(6))),
            org(7, "Eta Plumbing", Some(&guid(7))),
            org(9, "Kappa Corp", Some(&guid(9))),
        ],
        vec![
            // Alpha's name points to 201; Halo's link says 202 is Alpha's.
            client(201, "Alpha Dental", None),
            linked(client(202, "Renamed Practice", None), 1),
            // Beta's name points to 203, which Halo's link gives to Gamma.
            linked(client(203, "Beta Clinic", None), 3),
            // Delta's linked client is inactive; an active twin carries its name.
            inactive,
            client(205, "Delta Roofing", None),
            // Epsilon's linked client holds another value; Zeta's client holds Zeta's value.
            linked(client(206, "Epsilon Old", Some(&guid(99))), 5),
            client(210, "Zeta Foods Renamed", Some(&guid(6))),
            client(208, "Eta Plumbing", None),
            // Kappa's name points to a client Halo links to an organization NinjaOne does not have.
            linked(client(209, "Kappa Corp", None), 99),
        ],
    )
}

#[test]
fn halos_own_link_is_read_from_the_records_where_the_list_rows_lack_it() {
    let sim = Sim::start(native_cases(), Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let detail = |name: &str| r.org(name)["detail"].as_str().unwrap().to_string();
    // The organization's native client elsewhere than its name match: neither is written.
    assert_eq!(r.status_of("Alpha Dental"), "ambiguous");
    assert!(detail("Alpha Dental").contains("'Renamed Practice' (#202)") && detail("Alpha Dental").contains("#201"));
    // The name's client is natively another organization's: the link wins.
    assert_eq!(r.status_of("Beta Clinic"), "ambiguous");
    assert!(detail("Beta Clinic").contains("Gamma Law"), "{}", detail("Beta Clinic"));
    assert_eq!((r.status_of("Gamma Law").as_str(), r.org("Gamma Law")["tier"].as_str()), ("updated", Some("native")));
    assert_eq!(halo_value(&sim, 203), Some(guid(3)));
    // An inactive native client with an active twin: not the twin.
    assert_eq!(r.status_of("Delta Roofing"), "ambiguous", "{}", r.stdout);
    assert!(detail("Delta Roofing").contains("inactive"), "{}", detail("Delta Roofing"));
    // A native client holding another value: never overwritten.
    assert_eq!(
        (r.status_of("Epsilon Bakery").as_str(), r.org("Epsilon Bakery")["tier"].as_str()),
        ("conflict", Some("native"))
    );
    assert_eq!(r.status_of("Zeta Foods"), "in_sync");
    // A link to an organization NinjaOne does not have still forbids writing by name.
    assert_eq!(r.status_of("Kappa Corp"), "ambiguous");
    assert!(detail("Kappa Corp").contains("#99"), "{}", detail("Kappa Corp"));
    // The plain name match, read before it is written.
    assert_eq!(r.status_of("Eta Plumbing"), "updated");
    for id in [201, 202, 204, 205, 209] {
        assert_eq!(halo_value(&sim, id), None, "client {id} untouched");
    }
    assert_eq!(halo_value(&sim, 206), Some(guid(99)), "never overwritten");
    // Every client holding no organization's value was read (210 holds Zeta's: settled by it).
    assert_eq!(record_reads(&sim, "client"), vec![201, 202, 203, 204, 205, 206, 208, 209]);
}

#[test]
fn targets_reads_only_what_a_name_would_write_and_off_reads_nothing() {
    // targets: Beta's target is read and refused; Alpha's native client is not looked for, so
    // its name match is written, and the report says what was not seen.
    let sim = Sim::start(native_cases(), Config::default());
    let r = run(&sim, &["--dry-run", "--native-links", "targets"], &[]);
    assert_eq!(r.status_of("Beta Clinic"), "ambiguous");
    assert_eq!(r.status_of("Alpha Dental"), "would_update");
    // 203, read as Beta's target, shows its link: Gamma's native client is seen after all.
    assert_eq!(r.status_of("Gamma Law"), "would_update");
    assert_eq!(
        record_reads(&sim, "client"),
        vec![201, 203, 205, 208, 209],
        "only the clients names are about to write to"
    );
    let notes = r.report.as_ref().unwrap()["notes"].to_string();
    assert!(notes.contains("--native-links targets") && notes.contains("not looked for"), "{notes}");
    assert!(r.stdout.contains("not seen: --native-links targets"), "{}", r.stdout);
    // off (or the older switch): the link is no evidence, nothing is read for it.
    for (args, env) in [
        (vec!["--dry-run", "--native-links", "off"], vec![]),
        (vec!["--dry-run", "--no-native-link"], vec![]),
        (vec!["--dry-run"], vec![("NATIVE_LINKS", "off")]),
        (vec!["--dry-run"], vec![("NO_NATIVE_LINK", "yes")]),
    ] {
        let sim = Sim::start(native_cases(), Config::default());
        let r = run(&sim, &args, &env);
        assert_eq!(r.status_of("Beta Clinic"), "would_update", "{args:?} {env:?}");
        assert_eq!(r.status_of("Gamma Law"), "no_match", "{args:?} {env:?}");
        assert!(record_reads(&sim, "client").is_empty(), "{args:?} {env:?}: {:?}", record_reads(&sim, "client"));
    }
    let r = run(&sim, &["--native-links", "auto", "--no-native-link"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--no-native-link and --native-links"), "{}", r.stderr);
    let r = run(&sim, &["--native-links", "sometimes"], &[]);
    assert!(r.stderr.contains("nativeLinks") && r.stderr.contains("auto, targets or off"), "{}", r.stderr);
}

#[test]
fn a_run_in_which_every_organization_is_linked_by_value_reads_no_record() {
    let t = tenant(
        vec![org(1, "Alpha Dental", Some(&guid(1))), org(2, "Beta Clinic", Some(&guid(2))), org(3, "Gamma", None)],
        vec![
            client(201, "Alpha Dental Renamed", Some(&guid(1))),
            client(202, "Beta", Some(&guid(2))),
            client(203, "Halo Only", None),
        ],
    );
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(record_reads(&sim, "client").is_empty(), "{:?}", record_reads(&sim, "client"));
}

#[test]
fn a_record_that_disagrees_with_its_list_row_is_never_written() {
    use ninja_halo_sim::Disagree;
    let t = tenant(
        vec![org(1, "Acme", Some(&guid(1))), org(2, "Bravo", Some(&guid(2))), org(3, "Charlie", Some(&guid(3)))],
        vec![client(101, "Acme", None), client(102, "Bravo", None), client(103, "Charlie", None)],
    );
    let sim = Sim::start(t, Config::default());
    let disagree = |path, d| Fault::new(Side::Halo, "GET", path, FaultKind::RecordDisagrees(d)).times(usize::MAX);
    sim.inject(disagree("/api/Client/101", Disagree::Id(103)));
    sim.inject(disagree("/api/Client/102", Disagree::Inactive));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let acme = r.org("Acme");
    assert_eq!(acme["status"], "conflict", "{acme}");
    assert!(
        acme["detail"].as_str().unwrap().contains("'Acme' (#101)") && acme["detail"].as_str().unwrap().contains("#103")
    );
    let bravo = r.org("Bravo");
    assert_eq!(bravo["status"], "conflict", "{bravo}");
    assert!(bravo["detail"].as_str().unwrap().contains("inactive"), "{bravo}");
    assert_eq!(r.status_of("Charlie"), "updated");
    assert_eq!((halo_value(&sim, 101), halo_value(&sim, 102)), (None, None), "never written");
    assert_eq!(halo_value(&sim, 103), Some(guid(3)));
    // Without the reads for links, the write protocol's own read just before the first write
    // catches it too.
    let sim = Sim::start(
        tenant(vec![org(1, "Acme", Some(&guid(1)))], vec![client(101, "Acme", None), client(103, "Other", None)]),
        Config::default(),
    );
    sim.inject(disagree("/api/Client/101", Disagree::Id(103)));
    let r = run(&sim, &["--native-links", "off"], &[]);
    assert_eq!(r.status_of("Acme"), "conflict", "{}", r.stdout);
    assert_eq!((halo_value(&sim, 101), halo_value(&sim, 103)), (None, None));
}

#[test]
fn clients_whose_value_was_never_seen_are_listed_apart() {
    let config = || Config { halo_list_custom_fields: ninja_halo_sim::ListFields::Absent, ..Config::default() };
    // With --native-links off, only matched clients are read: the others are unchecked, never
    // called unlinked, and the renamed organization's client is not found by its value.
    let sim = Sim::start(clean_tenant(), config());
    let r = run(&sim, &["--dry-run", "--native-links", "off"], &[]);
    let report = r.report.as_ref().unwrap();
    let ids = |key: &str| -> Vec<i64> {
        report[key].as_array().unwrap().iter().map(|u| u["halo_id"].as_i64().unwrap()).collect()
    };
    assert_eq!(r.status_of("Renamed In Ninja"), "no_match");
    assert_eq!(ids("unchecked_clients"), vec![104, 105]);
    assert_eq!(ids("unlinked_clients"), Vec::<i64>::new());
    assert!(
        r.stdout.contains("unlinked: 0 active Halo client(s)") && r.stdout.contains("2 more whose value"),
        "{}",
        r.stdout
    );
    // With auto, every client holding no organization's value is read while one has none: the
    // values are seen, the renamed organization is linked by its value, nothing is unchecked.
    let sim = Sim::start(clean_tenant(), config());
    let r = run(&sim, &["--dry-run"], &[]);
    let report = r.report.as_ref().unwrap();
    assert_eq!(r.status_of("Renamed In Ninja"), "in_sync");
    assert_eq!(report["unchecked_clients"], serde_json::json!([]));
    assert_eq!(report["unlinked_clients"][0]["halo_id"], 105);
}

#[test]
fn a_link_field_on_the_organization_is_a_mapping_a_technician_can_edit() {
    let mut a = org(1, "Acme Dental Care", Some(&guid(1)));
    a.fields.insert("haloClient".into(), serde_json::json!("#105"));
    let mut b = org(2, "B Org", Some(&guid(2)));
    b.fields.insert("haloClient".into(), serde_json::json!("Unrelated Client"));
    let mut c = org(3, "C Org", Some(&guid(3)));
    c.fields.insert("haloClient".into(), serde_json::json!("#999"));
    let mut d = org(4, "D Org", Some(&guid(4)));
    d.fields.insert("haloClient".into(), serde_json::json!("104"));
    let t = tenant(
        vec![a, b, c, d],
        vec![client(104, "Dee Client", None), client(105, "Ey Client", None), client(106, "Unrelated Client", None)],
    );
    let sim = Sim::start(t, Config::default());
    let args = ["--ninja-link-field", "haloClient", "--map", "D Org=#106"];
    let r = run(&sim, &args, &[]);
    assert_eq!(
        (r.status_of("Acme Dental Care").as_str(), r.org("Acme Dental Care")["halo_id"].as_i64()),
        ("updated", Some(105))
    );
    assert_eq!(r.org("Acme Dental Care")["tier"], "manual");
    assert_eq!((r.status_of("B Org").as_str(), r.org("B Org")["halo_id"].as_i64()), ("updated", Some(106)));
    let c = r.org("C Org");
    assert_eq!(c["status"], "no_match");
    assert!(c["detail"].as_str().unwrap().contains("link field names Halo client '#999', which does not exist"), "{c}");
    let d = r.org("D Org");
    assert_eq!(d["status"], "ambiguous", "{d}");
    let detail = d["detail"].as_str().unwrap();
    assert!(detail.contains("'#106'") && detail.contains("'#104'") && detail.contains("disagree"), "{detail}");
    assert_eq!(halo_value(&sim, 104), None);
    // Read in the same bulk query as the value: no extra request.
    let ninja = |sim: &Sim| sim.requests().iter().filter(|q| q.side == Side::Ninja).count();
    let with_link = ninja(&sim);
    sim.clear_requests();
    run(&sim, &["--dry-run", "--map", "D Org=#106"], &[]);
    assert_eq!(with_link, ninja(&sim), "the link field costs no NinjaOne request");
}

#[test]
fn id_forms_from_the_environment_behave_like_the_flags() {
    let t = || {
        tenant(
            vec![
                org(1, "Smith & Jones", Some(&guid(1))),
                org(2, "Test Org", Some(&guid(2))),
                org(3, "Acme Dental", Some(&guid(3))),
            ],
            vec![client(101, "Totally Different Name", None), client(103, "Acme Dental", None)],
        )
    };
    let statuses = |r: &Run| -> Vec<(String, String)> {
        r.report.as_ref().unwrap()["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["ninja_name"].as_str().unwrap().to_string(), format!("{} {}", o["status"], o["halo_id"])))
            .collect()
    };
    let sim = Sim::start(t(), Config::default());
    let from_env = run(&sim, &["--dry-run"], &[("ID_MAP", "1=101, 3=#103"), ("IGNORE_IDS", "2")]);
    let sim = Sim::start(t(), Config::default());
    let from_flags = run(&sim, &["--dry-run", "--id-map", "1=101", "--id-map", "3=#103", "--ignore-id", "2"], &[]);
    assert_eq!(from_env.code, 0, "{}", from_env.stdout);
    assert_eq!(statuses(&from_env), statuses(&from_flags));
    assert_eq!(from_env.status_of("Smith & Jones"), "would_update");
    assert_eq!(from_env.org("Smith & Jones")["tier"], "manual");
    assert_eq!(from_env.status_of("Test Org"), "ignored");
}

#[test]
fn the_clients_nothing_links_to_are_listed_without_changing_the_exit_code() {
    let t = tenant(
        vec![org(1, "Acme Dental", Some(&guid(1)))],
        vec![
            client(101, "Acme Dental", None),
            client(102, "Halo Only Client", None),
            client(103, "Stale Value", Some(&guid(50))),
        ],
    );
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let unlinked: Vec<i64> = r.report.as_ref().unwrap()["unlinked_clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["halo_id"].as_i64().unwrap())
        .collect();
    assert_eq!(unlinked, vec![102, 103], "the written client is linked now");
    assert!(r.stdout.contains("unlinked: 2 active Halo client(s)"), "{}", r.stdout);
}

#[test]
fn check_says_which_world_it_found_and_what_a_run_will_cost() {
    let sim = Sim::start(
        clean_tenant(),
        Config { halo_list_custom_fields: ninja_halo_sim::ListFields::Absent, ..Config::default() },
    );
    let r = run(&sim, &["--check", "--halo-rate", "2/60"], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("shows 'CFDtcClientGuid' for 0 of 5 clients") && r.stdout.contains("about 5 requests"),
        "{}",
        r.stdout
    );
    // The vendors' world: the link is on records only; auto says how many it reads, and how long.
    assert!(r.stdout.contains("client list rows do not carry Halo's own NinjaOne link"), "{}", r.stdout);
    assert!(r.stdout.contains("up to about 5 requests, about 2 minutes at --halo-rate 2/60"), "{}", r.stdout);
    let r = run(&sim, &["--check", "--native-links", "targets"], &[]);
    assert!(r.stdout.contains("only from the clients about to be written by name"), "{}", r.stdout);
    // The older shape, with the link on the rows.
    let sim = Sim::start(clean_tenant(), Config { halo_list_ninjarmmid: true, ..Config::default() });
    let r = run(&sim, &["--check", "--ninja-link-field", "contractTier"], &[]);
    assert!(r.stdout.contains("rows carry 'CFDtcClientGuid'"), "{}", r.stdout);
    assert!(r.stdout.contains("client list rows carry Halo's own NinjaOne link"), "{}", r.stdout);
    assert!(r.stdout.contains("ok    NinjaOne link field 'contractTier'"), "{}", r.stdout);
}
