//! The product's contract, end to end: the built binary against the simulator on loopback.

mod common;
use common::*;
use serde_json::json;

#[test]
fn first_run_writes_second_run_is_idempotent() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.status_of("Acme Dental"), "updated");
    assert_eq!(r.status_of("Smith & Jones, P.C."), "updated");
    assert_eq!(r.status_of("Blue Ridge Law Group"), "in_sync");
    assert_eq!(r.status_of("Renamed In Ninja"), "in_sync");
    assert_eq!(r.org("Renamed In Ninja")["tier"], "linked");
    assert_eq!(r.status_of("No Value Yet"), "no_value");
    assert_eq!(halo_value(&sim, 101), Some(tenants::guid(1)));
    assert_eq!(halo_value(&sim, 103), Some(tenants::guid(3)));
    assert_eq!(halo_value(&sim, 105), None, "an unrelated client is never written");
    // The other custom fields survived.
    assert_eq!(sim.client(101).unwrap().fields["CFContractTier"], json!("Gold"));
    assert!(r.stdout.contains("summary: 2 updated"), "{}", r.stdout);
    assert!(
        r.stdout.starts_with("ninja-halo-sync 0.1.0: NinjaOne field 'dtcOrgGuid' -> Halo field 'CFDtcClientGuid'\n"),
        "{}",
        r.stdout
    );

    sim.clear_requests();
    let r2 = run(&sim, &[], &[]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert_eq!(writes(&sim), 0, "a second run sends no write");
    assert_eq!(r2.count("in_sync"), 4);
}

#[test]
fn dry_run_sends_no_write() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.status_of("Acme Dental"), "would_update");
    assert_eq!(r.report.as_ref().unwrap()["dry_run"], true);
    assert_eq!(writes(&sim), 0);
    assert!(sim.requests().iter().all(|q| q.method == "GET" || q.path.ends_with("token")), "only reads and tokens");
    assert_eq!(halo_value(&sim, 101), None);
}

#[test]
fn every_status_and_exit_code_3_on_the_demo_tenant() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, tenants::DEMO_ARGS, &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    for (name, status) in [
        ("Acme Dental", "updated"),
        ("Contoso Ltd", "in_sync"),
        ("Fabrikam Holdings", "in_sync"),
        ("Keystone Plumbng & Heating", "updated"),
        ("TCWC", "updated"),
        ("Evergreen Landscaping", "no_value"),
        ("Legacy Import Co", "invalid_value"),
        ("Globex Corporation", "no_match"),
        ("Springfield Dental Group", "no_match"),
        ("Summit Medical", "ambiguous"),
        ("Initech", "conflict"),
        ("Internal - Test Org", "ignored"),
        ("Old Mill Bakery", "no_match"),
    ] {
        assert_eq!(r.status_of(name), status, "{name}");
    }
    assert_eq!(r.org("TCWC")["tier"], "manual");
    assert_eq!(r.org("Fabrikam Holdings")["tier"], "linked");
    // Nothing written to the ambiguous, conflicting or decoy clients.
    for name in ["Summit Medical", "Riverside Dental Group"] {
        let c = sim.client_named(name).unwrap();
        assert!(!c.fields.contains_key(tenants::HALO_FIELD), "{name} must not be written");
    }
    assert_eq!(
        sim.client_named("Initech").unwrap().fields[tenants::HALO_FIELD],
        json!(tenants::guid(801)),
        "conflict left alone"
    );
    // Every report field the README documents.
    let rep = r.report.as_ref().unwrap();
    for key in
        ["version", "started_at", "finished_at", "dry_run", "ninja_field", "halo_field", "counts", "orgs", "exit_code"]
    {
        assert!(rep.get(key).is_some(), "report lacks {key}");
    }
    assert_eq!(rep["exit_code"], 3);
    for key in ["ninja_id", "ninja_name", "value", "status", "tier", "score", "halo_id", "halo_name", "detail"] {
        assert!(rep["orgs"][0].get(key).is_some(), "org line lacks {key}");
    }
    assert!(rep["started_at"].as_str().unwrap().ends_with('Z'));
    // stdout names what needs a person and what changed, not what is in sync.
    assert!(r.stdout.contains("ambiguous     'Summit Medical'"), "{}", r.stdout);
    assert!(!r.stdout.contains("'Contoso Ltd'"), "{}", r.stdout);
}

#[test]
fn overwrite_replaces_only_for_exact_matches() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let r = run(&sim, &["--overwrite", "--map", "TCWC=Tri-County Water Cooperative"], &[]);
    assert_eq!(r.status_of("Initech"), "updated");
    assert_eq!(sim.client_named("Initech").unwrap().fields[tenants::HALO_FIELD], json!(tenants::guid(800)));
}

#[test]
fn duplicate_values_in_ninja_are_both_conflicts() {
    use tenants::{client, guid, org};
    let t = Tenant {
        orgs: vec![org(1, "Alpha Co", Some(&guid(1))), org(2, "Beta Co", Some(&guid(1)))],
        clients: vec![client(11, "Alpha Co", None), client(12, "Beta Co", None)],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3);
    assert_eq!(r.status_of("Alpha Co"), "conflict");
    assert_eq!(r.status_of("Beta Co"), "conflict");
    assert_eq!(writes(&sim), 0);
}

#[test]
fn wrong_halo_field_exits_1_naming_the_closest_fields() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &["--halo-field", "DTC Client GUID"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is the label of CFDtcClientGuid"), "{}", r.stderr);
    assert!(r.stderr.contains("CFDtcClientGuid (label \"DTC Client GUID\")"), "{}", r.stderr);
    assert_eq!(writes(&sim), 0);
    let r = run(&sim, &["--halo-field", "CFDtcClientGUIDX"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("closest client fields are: CFDtcClientGuid"), "{}", r.stderr);
    assert_eq!(r.report.as_ref().unwrap()["exit_code"], 1);
}

#[test]
fn wrong_credentials_exit_1_with_what_to_check() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &[], &[("HALO_CLIENT_SECRET", "wrong-secret-value")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid_client") && r.stderr.contains("SSO"), "{}", r.stderr);
    let r = run(&sim, &[], &[("NINJA_CLIENT_ID", "id-from-another-region")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Client app not exist") && r.stderr.contains("--ninja-region"), "{}", r.stderr);
    assert_eq!(writes(&sim), 0);
}

#[test]
fn halo_tenant_is_sent_on_the_token_request() {
    let sim = Sim::start(clean_tenant(), Config { halo_tenant: Some("acme-msp".into()), ..Config::default() });
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&sim, &[], &[("HALO_TENANT", "someone-else")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--halo-tenant"), "{}", r.stderr);
}

#[test]
fn no_secret_or_token_in_any_output() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let agent_password = "agent-pass-8c1f9e";
    let r = run(&sim, &["--verbose"], &[("NINJA_AGENT_PASSWORD", agent_password)]);
    assert!(r.report.is_some());
    let all = r.all_output();
    assert!(all.contains("POST"), "verbose output was produced: {}", &r.stderr[..r.stderr.len().min(300)]);
    let tokens = sim.issued_tokens();
    assert!(!tokens.is_empty());
    let cfg = Config::default();
    for secret in tokens.iter().map(String::as_str).chain([
        cfg.halo_client_secret.as_str(),
        cfg.ninja_client_secret.as_str(),
        agent_password,
    ]) {
        assert!(!all.contains(secret), "secret {secret} leaked");
    }
    // And an error body that echoes the secret is redacted too.
    let r = run(&sim, &[], &[("HALO_CLIENT_SECRET", "wrong-secret-value")]);
    assert!(!r.all_output().contains("wrong-secret-value"));
}

#[test]
fn halo_pages_are_followed_by_rows_received() {
    use tenants::{client, guid, org};
    // 250 clients; the org's twin sits on page 3: reading only page 1 would make the match
    // look unique and write to the wrong client.
    let mut clients: Vec<Client> = (0..249).map(|i| client(1000 + i, &format!("Filler Client {i}"), None)).collect();
    clients.insert(0, client(1, "Acme Dental", None));
    clients.push(client(2000, "Acme Dental", None));
    let t = Tenant {
        orgs: vec![org(1, "Acme Dental", Some(&guid(1)))],
        clients,
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.status_of("Acme Dental"), "ambiguous", "{}", r.stdout);
    assert_eq!(writes(&sim), 0);
    let pages = sim.requests().iter().filter(|q| q.method == "GET" && q.path == "/api/Client").count();
    assert_eq!(pages, 3, "250 clients at 100 a page");
}

#[test]
fn decimal_ids_and_lists_without_custom_fields() {
    let sim = Sim::start(
        clean_tenant(),
        Config {
            halo_decimal_ids: true,
            halo_list_custom_fields: ninja_halo_sim::ListFields::Absent,
            ..Config::default()
        },
    );
    // Without values in the list and without reads for Halo's own link, a renamed org cannot
    // be found by its value: never guessed.
    let r = run(&sim, &["--native-links", "off"], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.status_of("Acme Dental"), "updated");
    assert_eq!(r.status_of("Blue Ridge Law Group"), "in_sync");
    assert_eq!(r.status_of("Renamed In Ninja"), "no_match");
    assert!(r.org("Renamed In Ninja")["detail"].as_str().unwrap().contains("carries no custom field values"));
    assert_eq!(halo_value(&sim, 104), Some(tenants::guid(4)), "left as it was");
    assert_eq!(halo_value(&sim, 101), Some(tenants::guid(1)));
    let per_client = sim.requests().iter().filter(|q| q.method == "GET" && q.path.starts_with("/api/Client/")).count();
    assert!(per_client >= 1, "values read per matched client");
    // By default the clients holding no organization's value are read while some organization's
    // value is on no client: the renamed one is found by its value.
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.status_of("Renamed In Ninja"), "in_sync");
}

#[test]
fn halo_that_replaces_the_custom_field_array_keeps_other_fields() {
    let sim = Sim::start(clean_tenant(), Config { halo_replace_custom_fields: true, ..Config::default() });
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = sim.client(101).unwrap();
    assert_eq!(c.fields[tenants::HALO_FIELD], json!(tenants::guid(1)));
    assert_eq!(c.fields["CFContractTier"], json!("Gold"));
    assert_eq!(c.fields["CFBillingEmail"], json!("billing101@example.com"));
}

#[test]
fn ninja_per_organization_fallback() {
    let sim = Sim::start(clean_tenant(), Config { ninja_query_endpoint: false, ..Config::default() });
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.status_of("Acme Dental"), "updated");
    let per_org = sim.requests().iter().filter(|q| q.path.ends_with("/custom-fields")).count();
    assert_eq!(per_org, 5);
}

#[test]
fn writes_halo_never_keeps_stop_after_three_clients() {
    let mut t = clean_tenant();
    for i in 6..10 {
        t.clients.push(tenants::client(100 + i, &format!("Extra Org {i}"), None));
        t.orgs.push(tenants::org(i, &format!("Extra Org {i}"), Some(&tenants::guid(i as u64))));
    }
    let sim = Sim::start(t, Config::default());
    sim.inject(Fault::new(Side::Halo, "POST", "/api/client", FaultKind::DropWrite).times(usize::MAX));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.count("failed"), 6);
    assert!(r.stdout.contains("did not keep it"), "{}", r.stdout);
    assert!(r.stdout.contains("3 clients in a row did not keep the written value"), "{}", r.stdout);
    assert_eq!(writes(&sim), 3, "three clients alone, then nothing more is sent");
}

#[test]
fn mapping_file_and_env_names_as_ninja_passes_them() {
    let sim = Sim::start(tenants::demo(), Config::default());
    let dir = tempdir::Dir::new();
    let map = dir.path().join("map.csv");
    std::fs::write(&map, "ninja,halo\n# the cooperative\nTCWC,Tri-County Water Cooperative\n\"Summit Medical\",#228\n")
        .unwrap();
    // Script Variables arrive camelCased or lower-cased, with "null" for unset.
    let env: Vec<(String, String)> =
        sim.env().into_iter().map(|(k, v)| (k.replace('_', "").to_lowercase(), v)).collect();
    let mut env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env_refs.push(("haloTenant", "null"));
    env_refs.push(("mapFile", map.to_str().unwrap()));
    let r = run_with(None, &["--report", dir.path().join("r.json").to_str().unwrap()], &env_refs);
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let summit = rep["orgs"].as_array().unwrap().iter().find(|o| o["ninja_name"] == "Summit Medical").unwrap().clone();
    assert_eq!(summit["status"], "updated", "{}", r.stderr);
    assert_eq!(summit["halo_id"], 228);
}

#[test]
fn usage_errors_exit_1_before_any_request() {
    let sim = Sim::start(clean_tenant(), Config::default());
    for (args, env, needle) in [
        (vec!["--bogus"], vec![], "unknown option --bogus"),
        (vec!["--timeout", "soon"], vec![], "--timeout"),
        (vec!["--halo-client-secret", "x"], vec![], "never taken on the command line"),
        (vec![], vec![("HALO_CLIENT_SECRET", "")], "HALO_CLIENT_SECRET"),
        (vec!["--quiet", "--verbose"], vec![], "contradict"),
        (vec!["--halo-url", "http://psa.example.com"], vec![], "only https://"),
        (vec!["--map", "no-equals-sign"], vec![], "--map"),
    ] {
        let r = run(&sim, &args, &env);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    let dir = tempdir::Dir::new();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "ninja,halo\nA,B\nC,D,E\n").unwrap();
    let r = run(&sim, &["--map-file", bad.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("line 3"), "{}", r.stderr);
    assert!(sim.requests().is_empty(), "nothing contacted");
}

#[test]
fn help_and_version() {
    let r = run_with(None, &["--help"], &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("--halo-field") && r.stdout.contains("HALO_FIELD") && r.stdout.contains("EXIT CODES"));
    let r = run_with(None, &["--version"], &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("ninja-halo-sync 0.1.0 (commit "), "{}", r.stdout);
    assert!(r.stdout.contains("target x86_64"), "{}", r.stdout);
}

#[test]
fn log_file_gets_a_timestamped_copy_and_is_appended() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let log = dir.path().join("sync.log");
    let args = ["--log-file", log.to_str().unwrap(), "--dry-run"];
    run(&sim, &args, &[]);
    run(&sim, &args, &[]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches("summary:").count(), 2, "{text}");
    assert!(text.lines().all(|l| l.len() > 21 && l.as_bytes()[4] == b'-' && l.as_bytes()[19] == b'Z'), "{text}");
}

#[cfg(unix)]
#[test]
fn secrets_from_ninja_custom_fields_and_status_written_back() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let calls = dir.path().join("calls.txt");
    let cli = dir.path().join("ninjarmm-cli");
    let cfg = Config::default();
    std::fs::write(
        &cli,
        format!(
            "#!/bin/sh\nprintf '%s|' \"$@\" >> '{}'\necho >> '{}'\nif [ \"$1\" = get ] && [ \"$2\" = haloApiSecret ]; then echo '{}'; fi\nif [ \"$1\" = get ] && [ \"$2\" = ninjaApiSecret ]; then echo '{}'; fi\n",
            calls.display(),
            calls.display(),
            cfg.halo_client_secret,
            cfg.ninja_client_secret
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env: Vec<(String, String)> = sim.env().into_iter().filter(|(k, _)| !k.ends_with("SECRET")).collect();
    let mut env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env_refs.push(("NINJARMM_CLI", cli.to_str().unwrap()));
    env_refs.push(("haloClientSecretField", "haloApiSecret"));
    env_refs.push(("ninjaClientSecretField", "ninjaApiSecret"));
    env_refs.push(("ninjaStatusField", "haloSyncStatus"));
    let r = run_with(None, &[], &env_refs);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert!(calls.contains("get|haloApiSecret|") && calls.contains("get|ninjaApiSecret|"), "{calls}");
    let status = calls.lines().find(|l| l.starts_with("set|haloSyncStatus|")).expect("status written");
    assert!(status.contains("Z OK: 2 in sync, 2 updated, 0 need attention, 0 failed"), "{status}");
    // Without the agent, the option fails clearly (exit 1) rather than silently.
    env_refs.retain(|(k, _)| *k != "NINJARMM_CLI");
    env_refs.push(("NINJARMM_CLI", "/nonexistent/ninjarmm-cli"));
    let r = run_with(None, &[], &env_refs);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("only on a device with the NinjaOne agent"), "{}", r.stderr);
}

#[test]
fn the_configuration_doc_is_the_flag_table_and_the_readme_keeps_the_essentials() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let config = std::fs::read_to_string(format!("{root}/docs/configuration.md")).unwrap();
    let help = run_with(None, &["--help"], &[]).stdout;
    let mut flags = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if let Some(flag) = t.strip_prefix("--").or_else(|| t.get(4..).and_then(|r| r.strip_prefix("--"))) {
            let name = flag.split_whitespace().next().unwrap();
            flags.push(name.to_string());
            assert!(config.contains(&format!("`--{name}")), "docs/configuration.md lacks --{name}");
        }
        if let Some(i) = line.find("[env: ") {
            let env = &line[i + 6..line[i..].find(']').unwrap() + i];
            assert!(config.contains(&format!("`{env}`")), "docs/configuration.md lacks {env}");
        }
    }
    // And nothing the program does not have: every option the table lists is one of --help's.
    for row in config.lines().filter(|l| l.starts_with("| `-")) {
        let first_cell = row.split('|').nth(1).unwrap_or("");
        for name in first_cell.split('`').filter_map(|c| c.strip_prefix("--")) {
            let name = name.split_whitespace().next().unwrap();
            assert!(flags.iter().any(|f| f == name), "docs/configuration.md lists --{name}, which --help does not");
        }
    }
    assert!(readme.contains("cargo run -p ninja-halo-sim -- demo") && readme.contains("cargo test --workspace"));
    assert!(readme.lines().count() <= 200, "the README fits a newcomer's first screenful of attention");
    // The exit codes: --help and the README's table say the same, from the one list.
    let codes = help.split("EXIT CODES:").nth(1).expect("help lists the exit codes");
    for line in codes.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (code, meaning) = line.split_once("  ").unwrap();
        assert!(readme.contains(&format!("| {code} | {meaning} |")), "README's exit table lacks: {line}");
    }
}

/// Halo's requests after the last POST: (list pages, records read on their own).
fn reads_after_the_writes(sim: &Sim, table: &str) -> (usize, usize) {
    let requests = sim.requests();
    let last_post = requests.iter().rposition(|q| q.method == "POST").expect("something was written");
    let list = format!("/api/{table}");
    let after = &requests[last_post + 1..];
    let pages = after.iter().filter(|q| q.method == "GET" && q.path.eq_ignore_ascii_case(&list)).count();
    let one = format!("{list}/").to_ascii_lowercase();
    let records = after.iter().filter(|q| q.method == "GET" && q.path.to_ascii_lowercase().starts_with(&one)).count();
    (pages, records)
}

fn tenant_to_write(clients: i64, to_write: i64) -> Tenant {
    let mut t = Tenant { fields: tenants::client_fields(), ..Tenant::default() };
    for i in 1..=clients {
        let name = format!("Written Client {i}");
        if i <= to_write {
            t.orgs.push(tenants::org(i, &name, Some(&tenants::guid(i as u64))));
        }
        t.clients.push(tenants::client(1000 + i, &name, None));
    }
    t
}

#[test]
fn written_clients_are_read_back_by_listing_when_that_is_fewer_requests() {
    // 250 clients, all written: 249 after the first write, against 3 pages of the list.
    let sim = Sim::start(tenant_to_write(250, 250), Config::default());
    let r = run(&sim, &["--native-links", "off"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.count("updated"), 250);
    assert_eq!(reads_after_the_writes(&sim, "Client"), (3, 0), "the list read again, every page of it");
    assert!((1..=250).all(|i| halo_value(&sim, 1000 + i) == Some(tenants::guid(i as u64))));
    // 250 clients, 3 written: 2 after the first write, fewer than the list's 3 pages.
    let sim = Sim::start(tenant_to_write(250, 3), Config::default());
    let r = run(&sim, &["--native-links", "off"], &[]);
    assert_eq!(r.count("updated"), 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(reads_after_the_writes(&sim, "Client"), (0, 2), "the two read on their own");
}
