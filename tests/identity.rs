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

fn detail_reads(sim: &Sim) -> usize {
    sim.requests()
        .iter()
        .filter(|q| q.method == "GET" && q.path.to_ascii_lowercase().starts_with("/api/client/"))
        .count()
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

#[test]
fn the_link_is_read_where_clients_are_read_anyway_and_no_request_is_added_for_it() {
    let t =
        || tenant(vec![org(1, "Alpha Dental", Some(&guid(1)))], vec![linked(client(101, "Renamed In Halo", None), 1)]);
    // Only detail reads show ninjarmmid, and list rows carry the values: nothing reads the
    // client on its own, so the link is not seen (and not looked for).
    let sim = Sim::start(t(), Config { halo_list_ninjarmmid: false, ..Config::default() });
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.status_of("Alpha Dental"), "no_match");
    assert_eq!(detail_reads(&sim), 0, "no request added to look for the link");
    // 0, null or absent is no link.
    let sim = Sim::start(
        tenant(vec![org(1, "Alpha Dental", Some(&guid(1)))], vec![client(101, "Renamed In Halo", None)]),
        Config::default(),
    );
    assert_eq!(run(&sim, &["--dry-run"], &[]).status_of("Alpha Dental"), "no_match");
    // Where a matched client is read anyway (list rows without values), its detail's link counts:
    // it names another organization, whose identity beats this one's name.
    let t = tenant(
        vec![org(1, "Alpha Dental", Some(&guid(1))), org(2, "Beta Clinic", Some(&guid(2)))],
        vec![linked(client(101, "Alpha Dental", None), 2)],
    );
    let config = Config {
        halo_list_ninjarmmid: false,
        halo_list_custom_fields: ninja_halo_sim::ListFields::Absent,
        ..Config::default()
    };
    let sim = Sim::start(t, config);
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(
        (r.status_of("Beta Clinic").as_str(), r.org("Beta Clinic")["tier"].as_str()),
        ("would_update", Some("native"))
    );
    assert_eq!(r.status_of("Alpha Dental"), "ambiguous");
    assert_eq!(detail_reads(&sim), 1, "the one read the run made anyway");
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
fn check_says_what_a_run_will_cost() {
    let sim = Sim::start(
        clean_tenant(),
        Config {
            halo_list_custom_fields: ninja_halo_sim::ListFields::Absent,
            halo_list_ninjarmmid: false,
            ..Config::default()
        },
    );
    let r = run(&sim, &["--check"], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("shows 'CFDtcClientGuid' for 0 of 5 clients") && r.stdout.contains("about 5 requests"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ninjarmmid) on 0 of 5 rows"), "{}", r.stdout);
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &["--check", "--ninja-link-field", "contractTier"], &[]);
    assert!(r.stdout.contains("rows carry 'CFDtcClientGuid'"), "{}", r.stdout);
    assert!(r.stdout.contains("carry Halo's own NinjaOne link"), "{}", r.stdout);
    assert!(r.stdout.contains("ok    NinjaOne link field 'contractTier'"), "{}", r.stdout);
}
