//! The operator's loop in NinjaOne: what needs a person is proposed with its candidates,
//! confirmed with one paste of ID_MAP (or a reviewed --suggest-map file), and every message
//! names the setting in the operator's words.

mod common;
use common::*;
use serde_json::Value;

fn halo_posts(sim: &Sim) -> usize {
    sim.requests().iter().filter(|r| r.method == "POST" && r.path.starts_with("/api/")).count()
}

#[test]
fn rows_that_need_a_person_carry_candidates_and_one_paste_confirms_them() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let report = r.report.as_ref().unwrap();
    // The ambiguous row offers both clients, best first, with why each was not taken.
    let summit = r.org("Summit Medical");
    let ids: Vec<i64> =
        summit["candidates"].as_array().unwrap().iter().map(|c| c["halo_id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{summit}");
    assert!(summit["candidates"][0]["why"].as_str().unwrap().contains("2 Halo clients share"), "{summit}");
    let detail = summit["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("ID_MAP (the Script Variable idMap, for one run): 29={} or 29={}", ids[0], ids[1]))
    );
    let spring = r.org("Springfield Dental Group");
    assert_eq!(spring["candidates"][0]["halo_name"], "Riverside Dental Group", "{spring}");
    assert!(spring["candidates"][0]["why"].as_str().unwrap().starts_with("not taken"), "{spring}");
    // The report's ID_MAP: the first candidate of each such row, in characters NinjaOne accepts.
    let id_map = report["suggested_id_map"].as_str().unwrap().to_string();
    assert_eq!(id_map, format!("28=227, 29={}", ids[0]));
    assert!(id_map.chars().all(|c| c.is_ascii_digit() || " =,".contains(c)));
    assert!(r.stdout.contains(&format!("suggested ID_MAP: {id_map}  <- check each pair")), "{}", r.stdout);
    // Pasted back into ID_MAP for one run: exactly those pairs become manual links, and are
    // written; the next run, with the variable emptied again, finds them linked by value.
    let r = run(&sim, &[], &[("idMap", &id_map)]);
    for (name, client) in [("Springfield Dental Group", 227), ("Summit Medical", ids[0])] {
        let o = r.org(name);
        assert_eq!(
            (o["status"].as_str(), o["tier"].as_str(), o["halo_id"].as_i64()),
            (Some("updated"), Some("manual"), Some(client))
        );
    }
    let manual =
        r.report.as_ref().unwrap()["orgs"].as_array().unwrap().iter().filter(|o| o["tier"] == "manual").count();
    assert_eq!(manual, 2, "only the pasted pairs are manual");
    let again = run(&sim, &[], &[]);
    for name in ["Springfield Dental Group", "Summit Medical"] {
        let o = again.org(name);
        assert_eq!((o["status"].as_str(), o["tier"].as_str()), (Some("in_sync"), Some("linked")), "{o}");
    }
    assert!(
        again.report.as_ref().unwrap()["suggested_id_map"].is_null(),
        "nothing left to propose but what has no candidate"
    );
}

#[test]
fn suggest_map_never_writes_and_its_file_round_trips_once_the_marks_are_removed() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let dir = tempdir::Dir::new();
    let file = dir.path().join("suggest.csv");
    let r = run(&sim, &["--suggest-map", file.to_str().unwrap()], &[]);
    assert_eq!(halo_posts(&sim), 0, "--suggest-map plans; it never writes");
    assert!(r.stdout.lines().next().unwrap().contains("--suggest-map plans a mapping file: nothing will be written"));
    let text = std::fs::read_to_string(&file).unwrap();
    // The ambiguous row names its client by #id; a row with no candidate has none.
    assert!(text.lines().any(|l| l.starts_with("Summit Medical,?#")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("Globex Corporation,?,27,")), "{text}");
    // A person who only deletes the marks gets a file the program reads: the row without a
    // client is skipped with a warning, the others become manual links.
    let reviewed = dir.path().join("reviewed.csv");
    std::fs::write(&reviewed, text.replace(",?", ",")).unwrap();
    let r = run(&sim, &["--dry-run", "--map-file", reviewed.to_str().unwrap()], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("'Globex Corporation' names no Halo client and is skipped"), "{}", r.stderr);
    for name in ["Summit Medical", "Springfield Dental Group"] {
        assert_eq!(r.org(name)["tier"], "manual", "{}", r.org(name));
        assert_eq!(r.status_of(name), "would_update");
    }
}

#[test]
fn messages_name_the_setting_in_the_operators_words() {
    let sim = Sim::start(clean_tenant(), Config::default());
    // Credentials: the Script Variable beside the environment name and the flag.
    let r = run(&sim, &[], &[("HALO_CLIENT_SECRET", "wrong-but-long-enough-0123")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("haloClientId / HALO_CLIENT_ID / --halo-client-id"), "{}", r.stderr);
    assert!(r.stderr.contains("haloClientSecretField"), "the secure-field way: {}", r.stderr);
    let r = run(&sim, &[], &[("NINJA_CLIENT_SECRET", "wrong-but-long-enough-0123")]);
    assert!(r.stderr.contains("ninjaClientId / NINJA_CLIENT_ID / --ninja-client-id"), "{}", r.stderr);
    // A missing secret: the secure-field way first.
    let r = run_with(
        None,
        &[],
        &[("HALO_URL", "https://psa.example.com"), ("HALO_CLIENT_ID", "x"), ("NINJA_CLIENT_ID", "y")],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("secure custom field") && r.stderr.contains("haloClientSecretField"), "{}", r.stderr);
    assert!(r.stderr.contains("haloClientSecret (HALO_CLIENT_SECRET)"), "{}", r.stderr);
    // URLs that name another endpoint: said before anything is sent, naming the setting.
    sim.clear_requests();
    let halo_auth = format!("{}/auth", sim.halo_url());
    let r = run(&sim, &[], &[("HALO_URL", &halo_auth)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("haloUrl / HALO_URL / --halo-url") && r.stderr.contains("authorisation server"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("set it to {}", sim.halo_url())), "{}", r.stderr);
    let ninja_ws = format!("{}/ws", sim.ninja_url());
    let r = run(&sim, &[], &[("NINJA_URL", &ninja_ws)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("ninjaUrl / NINJA_URL / --ninja-url") && r.stderr.contains("sign-in path"),
        "{}",
        r.stderr
    );
    assert!(sim.requests().is_empty(), "nothing sent");
}

#[test]
fn every_candidate_list_is_best_first_as_the_suggestions_file_is() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let dir = tempdir::Dir::new();
    let file = dir.path().join("s.csv");
    let r = run(&sim, &["--suggest-map", file.to_str().unwrap()], &[]);
    let text = std::fs::read_to_string(&file).unwrap();
    for o in r.report.as_ref().unwrap()["orgs"].as_array().unwrap() {
        let Some(cands) = o["candidates"].as_array() else { continue };
        let first: &Value = &cands[0];
        let comment =
            text.lines().find(|l| l.starts_with(&format!("# {} (#", o["ninja_name"].as_str().unwrap()))).unwrap();
        assert!(
            comment.contains(&format!("candidates '{}' #{}", first["halo_name"].as_str().unwrap(), first["halo_id"])),
            "{comment}"
        );
    }
}
