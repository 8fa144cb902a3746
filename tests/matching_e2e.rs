//! Matching as a user meets it: --explain, --suggest-map, and the contested paths, end to end.

mod common;
use common::*;

#[test]
fn explain_prints_normalized_name_candidates_and_reasons() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, &["--explain", "Springfield Dental Group"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("normalized words: springfield dental group"), "{}", r.stdout);
    assert!(r.stdout.contains("decision: no_match"), "{}", r.stdout);
    assert!(r.stdout.contains("'Riverside Dental Group' (#227) score 0.67: refused:"), "{}", r.stdout);
    assert_eq!(writes(&sim), 0, "--explain writes nothing");

    let r = run(&sim, &["--explain", "Keystone Plumbng & Heating"], &[]);
    assert!(r.stdout.contains("read as 'plumbing'") && r.stdout.contains("<- matched"), "{}", r.stdout);
    // Each word of the best candidates: distinctive or generic, and what the rule made of it.
    assert!(r.stdout.contains("keystone (distinctive): in both"), "{}", r.stdout);
    let r = run(&sim, &["--explain", "Springfield Dental Group"], &[]);
    assert!(r.stdout.contains("springfield (distinctive): only in the NinjaOne name"), "{}", r.stdout);
    // A name no organization has is still explained, as a what-if.
    let r = run(&sim, &["--explain", "Acme Dental Inc"], &[]);
    assert!(r.stdout.contains("no NinjaOne organization has this name"), "{}", r.stdout);
    assert!(r.stdout.contains("'Acme Dental' (#201) score 1.00"), "{}", r.stdout);
}

#[test]
fn suggest_map_writes_a_reviewable_file_that_is_inert_until_reviewed() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let dir = tempdir::Dir::new();
    let file = dir.path().join("suggest.csv");
    let r = run(&sim, &["--dry-run", "--suggest-map", file.to_str().unwrap()], &[]);
    assert_eq!(r.code, 3);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("ninja,halo,ninja_id,halo_id\n"), "{text}");
    assert!(
        text.contains(
            "# Springfield Dental Group (#28, no_match): candidates 'Riverside Dental Group' #227 (0.67: not taken"
        ),
        "{text}"
    );
    assert!(text.contains("Springfield Dental Group,?Riverside Dental Group,28,227\n"), "{text}");
    // An ambiguous row names its client by id: the name would not name it alone.
    assert!(text.contains("Summit Medical,?#228,29,228"), "{text}");
    // Fed back unreviewed: every row is skipped with a warning; nothing is guessed.
    let r = run(&sim, &["--map-file", file.to_str().unwrap()], &[]);
    assert!(r.stderr.contains("unreviewed suggestion"), "{}", r.stderr);
    assert_eq!(r.status_of("Springfield Dental Group"), "no_match");
    // Reviewed (the '?' removed on the Summit row, by id): that row now maps.
    let reviewed = text.replace("Summit Medical,?#228,", "Summit Medical,#229,");
    std::fs::write(&file, reviewed).unwrap();
    let r = run(&sim, &["--map-file", file.to_str().unwrap()], &[]);
    assert_eq!(r.status_of("Summit Medical"), "updated");
    assert_eq!(r.org("Summit Medical")["halo_id"], 229);
}

#[test]
fn contested_client_leaves_both_organizations_unwritten() {
    use tenants::{client, guid, org};
    // Two organizations normalize to the same words as one client: neither may have it.
    let t = Tenant {
        orgs: vec![org(1, "Acme Dental, Inc.", Some(&guid(1))), org(2, "ACME DENTAL LLC", Some(&guid(2)))],
        clients: vec![client(11, "Acme Dental", None)],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3);
    for n in ["Acme Dental, Inc.", "ACME DENTAL LLC"] {
        assert_eq!(r.status_of(n), "ambiguous");
        assert!(r.org(n)["detail"].as_str().unwrap().contains("contested"), "{}", r.org(n));
    }
    assert_eq!(writes(&sim), 0);
}

#[test]
fn a_stronger_claim_takes_the_client_and_the_weaker_is_told_why() {
    use tenants::{client, guid, org};
    let t = Tenant {
        orgs: vec![org(1, "Acme Dental", Some(&guid(1))), org(2, "Acme Dentl", Some(&guid(2)))],
        clients: vec![client(11, "Acme Dental", None)],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.status_of("Acme Dental"), "updated");
    assert_eq!(r.org("Acme Dental")["tier"], "exact");
    assert_eq!(r.status_of("Acme Dentl"), "ambiguous");
    assert!(r.org("Acme Dentl")["detail"]
        .as_str()
        .unwrap()
        .contains("already matched to Ninja organization 'Acme Dental'"));
    assert_eq!(halo_value(&sim, 11), Some(guid(1)));
}

#[test]
fn no_fuzzy_turns_the_tier_off() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, &["--no-fuzzy", "--dry-run"], &[]);
    assert_eq!(r.status_of("Keystone Plumbng & Heating"), "no_match");
    assert_eq!(r.status_of("Acme Dental"), "would_update");
}

#[test]
fn every_decision_names_its_runner_up() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, &["--dry-run"], &[]);
    for n in ["Acme Dental", "Keystone Plumbng & Heating", "Contoso Ltd"] {
        let d = r.org(n)["detail"].as_str().unwrap().to_string();
        assert!(d.contains("runner-up"), "{n}: {d}");
    }
}

#[test]
fn near_surname_neighbours_are_never_written_and_the_candidate_is_named() {
    use tenants::{client, guid, org};
    let pairs = [
        ("Wallace & Rodgers Law Group", "Wallace & Rogers Law Group"),
        ("Morgan Insurance Agency", "Moran Insurance Agency"),
        ("Roberson Construction", "Robertson Construction"),
        ("Schmid Immobilien GmbH", "Schmidt Immobilien GmbH"),
        ("Cabinet Benard", "Cabinet Bernard"),
    ];
    let t = Tenant {
        orgs: pairs.iter().enumerate().map(|(i, (n, _))| org(i as i64 + 1, n, Some(&guid(i as u64 + 1)))).collect(),
        clients: pairs.iter().enumerate().map(|(i, (_, h))| client(100 + i as i64, h, None)).collect(),
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let dir = tempdir::Dir::new();
    let file = dir.path().join("suggest.csv");
    let r = run(&sim, &["--suggest-map", file.to_str().unwrap()], &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(writes(&sim), 0, "no GUID on a neighbour's client");
    for (ninja, halo) in pairs {
        assert_eq!(r.status_of(ninja), "no_match", "{ninja}");
        let detail = r.org(ninja)["detail"].as_str().unwrap().to_string();
        assert!(detail.contains("a distinctive word (a name, place or brand) must be the same"), "{detail}");
        assert!(detail.contains(&format!("closest Halo names: '{halo}'")), "{detail}");
        assert!(r.stdout.contains(&format!("closest Halo names: '{halo}'")), "{}", r.stdout);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("Wallace & Rodgers Law Group,?Wallace & Rogers Law Group,1,100\n"), "{text}");
    assert!(text.contains("Morgan Insurance Agency,?Moran Insurance Agency,2,101\n"), "{text}");
}
