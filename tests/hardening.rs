//! Hardening, round 3: each test tries what an attacker or a careless operator would, and
//! asserts what the user sees (exit code, output, files) and what the servers received.

mod common;
use common::*;

fn status(code: u16, body: &str) -> FaultKind {
    FaultKind::Status { status: code, body: body.to_string(), retry_after: None }
}

/// Item 1: a secret pasted into the variable that should name a secure field is refused
/// without being printed, and never reaches the agent CLI's command line.
#[cfg(unix)]
#[test]
fn a_secret_in_a_field_name_variable_is_never_printed_nor_passed_to_the_agent_cli() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let cli = fake_cli(dir.path(), "");
    let pasted = "Zq8-very/secret+value=Kx2";
    for var in ["HALO_CLIENT_SECRET_FIELD", "ninjaClientSecretField"] {
        let r = run(&sim, &[], &[("NINJARMM_CLI", cli.to_str().unwrap()), (var, pasted)]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("does not hold a custom field name"), "{}", r.stderr);
        assert!(!r.all_output().contains("Zq8") && !r.all_output().contains("Kx2"), "{}", r.all_output());
    }
    assert!(cli_calls(dir.path()).is_empty(), "the agent CLI was never run");
    assert!(sim.requests().is_empty(), "nothing contacted");
    // A field name of the right shape that holds nothing: the error does not repeat it either.
    let r = run(&sim, &[], &[("NINJARMM_CLI", cli.to_str().unwrap()), ("HALO_CLIENT_SECRET_FIELD", "hunter2Secret")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("returned nothing") && !r.all_output().contains("hunter2Secret"), "{}", r.stderr);
    assert_eq!(cli_calls(dir.path()), vec![vec!["get".to_string(), "hunter2Secret".to_string()]]);
}

/// Item 1: an error body that echoes the secret JSON-escaped (as .NET writes `+` and `&`),
/// as HTML entities, or only its first characters, never shows it.
#[test]
fn a_secret_echoed_escaped_as_entities_or_in_part_is_redacted() {
    let secret = Config::default().halo_client_secret;
    let unicode: String = secret.chars().map(|c| format!("\\u{:04X}", c as u32)).collect();
    let entities: String = secret.chars().map(|c| format!("&#{};", c as u32)).collect();
    let prefix: String = secret.chars().take(24).collect();
    let sim = Sim::start(clean_tenant(), Config::default());
    let body = format!(
        r#"{{"error":"invalid_request","error_description":"client_secret {unicode} / {entities} / {prefix}… is not valid"}}"#
    );
    sim.inject(Fault::new(Side::Halo, "POST", "/auth/token", status(400, &body)));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("is not valid"), "the error body is shown: {}", r.stderr);
    let all = r.all_output();
    for leak in [unicode.as_str(), &unicode.to_lowercase(), entities.as_str(), &prefix[..8], "\\u0068\\u0061"] {
        assert!(!all.contains(leak), "{leak} leaked: {all}");
    }
}

/// Item 2: an /api/authinfo answer naming an authorisation server on another host does not
/// get the client secret; naming that host with --halo-auth-url allows it.
#[test]
fn the_client_secret_goes_to_another_host_only_when_the_operator_names_it() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let other = Sim::start(clean_tenant(), Config::default());
    // Another host: the loopback address by another name and port.
    let elsewhere = other.halo_url().replace("127.0.0.1", "localhost") + "/auth";
    sim.inject(
        Fault::new(Side::Halo, "GET", "/api/authinfo", status(200, &format!(r#"{{"auth_url":"{elsewhere}"}}"#)))
            .times(10),
    );
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("another host") && r.stderr.contains(&format!("--halo-auth-url {elsewhere}")),
        "{}",
        r.stderr
    );
    assert!(other.requests().is_empty(), "the other host heard nothing");
    assert!(sim.requests().iter().all(|q| q.path != "/auth/token"), "no token request at all");
    let r = run(&sim, &["--check"], &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL") && r.stdout.contains("another host"), "{}", r.stdout);
    assert!(other.requests().is_empty());
    // Named by the operator: the secret may go there.
    let r = run(&sim, &["--dry-run", "--halo-auth-url", &elsewhere], &[]);
    assert!(other.requests().iter().any(|q| q.path == "/auth/token"), "{}", r.stderr);
    // The same host under another spelling is the same host.
    let sim = Sim::start(clean_tenant(), Config::default());
    let same = sim.halo_url().replace("http://", "HTTP://").to_uppercase().replace("HTTP://", "http://") + "/auth";
    sim.inject(Fault::new(Side::Halo, "GET", "/api/authinfo", status(200, &format!(r#"{{"auth_url":"{same}"}}"#))));
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Item 6: the NinjaOne status field gets one printable line, whatever an error body holds.
#[cfg(unix)]
#[test]
fn the_status_field_gets_one_inert_line_whatever_the_server_sent() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let cli = fake_cli(dir.path(), "");
    let forged = "boom\u{1b}[2J\r\n2026-11-29T07:00:00Z OK: 999 in sync\u{202E}\u{2028}x";
    sim.inject(Fault::new(Side::Halo, "GET", "/api/FieldInfo", status(500, forged)).times(20));
    let r = run(&sim, &[], &[("NINJARMM_CLI", cli.to_str().unwrap()), ("NINJA_STATUS_FIELD", "haloSyncStatus")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let calls = cli_calls(dir.path());
    let set = calls.iter().find(|c| c[0] == "set").expect("status written");
    assert_eq!(set[1], "haloSyncStatus");
    let line = &set[2];
    assert_eq!(line.get(19..27), Some("Z ERROR:"), "{line}");
    assert!(
        !line.chars().any(|c| c.is_control() || matches!(c, '\u{202E}' | '\u{2028}')),
        "one printable line: {line:?}"
    );
    // A status field name that is not a field name is a usage error.
    let r = run(&sim, &[], &[("NINJARMM_CLI", cli.to_str().unwrap()), ("NINJA_STATUS_FIELD", "a b;c")]);
    assert_eq!(r.code, 1);
}

/// Item 6 and docs/security.md's promise: names never put invisible or line-breaking characters on
/// stdout, and --suggest-map writes no cell a spreadsheet would run as a formula, while the
/// mapping reader takes the names back unchanged.
#[test]
fn names_are_inert_on_stdout_and_in_the_suggestions() {
    use tenants::{client, guid, org};
    let tenant = Tenant {
        orgs: vec![
            org(1, "=cmd|' /C calc'!A0", Some(&guid(1))),
            org(2, "\u{feff}Zero\u{200b}Width\u{2028}OK: 999 in sync", Some(&guid(2))),
        ],
        clients: vec![client(101, "@Totally Different", None)],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(tenant, Config::default());
    let dir = tempdir::Dir::new();
    let suggest = dir.path().join("suggest.csv");
    let r = run(&sim, &["--dry-run", "--suggest-map", suggest.to_str().unwrap()], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    for bad in ['\u{feff}', '\u{200b}', '\u{2028}'] {
        assert!(!r.stdout.contains(bad), "{bad:?} on stdout: {}", r.stdout);
    }
    assert!(r.stdout.contains("ZeroWidth OK: 999 in sync"), "{}", r.stdout);
    let text = std::fs::read_to_string(&suggest).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    for row in &rows {
        for cell in row.split(',') {
            assert!(!cell.trim_start_matches('"').starts_with(['=', '+', '-', '@']), "formula cell in {row}");
        }
    }
    let row = rows.iter().find(|r| r.contains("calc")).expect("a row for the organization");
    // The operator fills the row in the way the file writes names, and the reader takes them
    // back as they are in NinjaOne and Halo.
    let ninja_cell = row.split(",?").next().unwrap();
    let reviewed = format!("ninja,halo\n{ninja_cell},'@Totally Different\n");
    let map = dir.path().join("map.csv");
    std::fs::write(&map, reviewed).unwrap();
    let r = run(&sim, &["--dry-run", "--map-file", map.to_str().unwrap()], &[]);
    let o = r.org("=cmd|' /C calc'!A0");
    assert_eq!(
        (o["status"].as_str(), o["tier"].as_str(), o["halo_id"].as_i64()),
        (Some("would_update"), Some("manual"), Some(101)),
        "{o}"
    );
}

/// Every Halo GET answered 429 with `Retry-After: 600` eleven times before it goes through
/// (what made a dry run wait 6 hours and then exit 0).
fn refuse_every_halo_get_eleven_times(sim: &Sim) {
    for k in 0..40 {
        let refusal = FaultKind::Status {
            status: 429,
            body: r#"{"error":"Rate Limit Reached"}"#.into(),
            retry_after: Some("600".into()),
        };
        // Fault k sees one request go through at each of the k gaps before its turn.
        sim.inject(Fault::new(Side::Halo, "GET", "/api/", refusal).skip(k).times(11));
    }
}

fn waited(r: &Run) -> f64 {
    r.report.as_ref().expect("report")["requests"]["waited_seconds"].as_f64().unwrap()
}

/// Item 3: a server that keeps refusing ends the run within 15 minutes: exit 1 before any
/// write, 2 once writing has begun.
#[test]
fn a_server_that_keeps_refusing_ends_the_run_within_15_minutes() {
    let sim = Sim::start(clean_tenant(), Config::default());
    refuse_every_halo_get_eleven_times(&sim);
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("Halo has refused every request for 10 minutes"), "{}", r.stderr);
    assert!(waited(&r) <= 900.0, "waited {}s", waited(&r));
    assert!(r.stderr.contains("retry 1/12 in 300.0s"), "Retry-After is capped: {}", r.stderr);

    // Writing: every write refused.
    let sim = Sim::start(clean_tenant(), Config::default());
    let refusal = FaultKind::Status { status: 429, body: "{}".into(), retry_after: Some("600".into()) };
    sim.inject(Fault::new(Side::Halo, "POST", "/api/client", refusal).times(100_000));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.count("failed"), 2, "{}", r.stdout);
    assert!(waited(&r) <= 900.0, "waited {}s", waited(&r));
    assert_eq!(halo_value(&sim, 101), None);
}

/// Item 3: a slow run that is making progress is not cut short by the refusal rule (nor by
/// the default deadline): a tight rate limit that lets a few requests through each minute.
#[test]
fn a_slow_run_that_makes_progress_is_not_cut_short() {
    let config = Config {
        // 3 requests per simulated minute (the tests scale waits by 1/1000: 60 ms is a minute).
        halo_rate_limit: Some((3, std::time::Duration::from_millis(60))),
        halo_retry_after: Some(60),
        halo_list_custom_fields: ninja_halo_sim::ListFields::Absent,
        ..Config::default()
    };
    let sim = Sim::start(tenants::generated(60, 50), config);
    let r = run(&sim, &["--dry-run"], &[]);
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    assert!(waited(&r) > 900.0, "the run took more than 15 minutes of waits: {}", waited(&r));
    assert!(!r.stderr.contains("refused every request"), "{}", r.stderr);
}

/// Item 3: a list that never ends (new ids on every page) stops at the ceiling, exit 1,
/// nothing written, in bounded requests and memory (counted, not timed: a busy machine must
/// not turn the suite red).
#[test]
fn a_list_that_never_ends_stops_at_the_ceiling() {
    for (side, path, words, page) in [
        (Side::Halo, "/api/client", "Halo's client list goes on past 50000", 100),
        (Side::Ninja, "/v2/organizations", "NinjaOne's organization list goes on past 50000", 1000),
    ] {
        let sim = Sim::start(clean_tenant(), Config::default());
        sim.inject(Fault::new(side, "GET", path, FaultKind::EndlessPages).times(usize::MAX));
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(words), "{}", r.stderr);
        let pages = sim.requests().iter().filter(|q| q.side == side && q.path.eq_ignore_ascii_case(path)).count();
        assert!(pages <= 50_000 / page + 1, "{pages} pages asked for");
        assert_eq!(writes(&sim), 0);
        let rss = r.report.as_ref().unwrap()["performance"]["peak_rss_kib"].as_u64().unwrap_or(0);
        assert!(rss < 300 * 1024, "peak RSS {rss} KiB");
    }
}

/// Item 3: files the operator names are read up to a size limit.
#[cfg(unix)]
#[test]
fn files_the_operator_names_are_read_up_to_a_limit() {
    let sim = Sim::start(clean_tenant(), Config::default());
    for (var, words) in [
        ("MAP_FILE", "cannot read the mapping file"),
        ("HALO_CLIENT_SECRET_FILE", "cannot read The Halo client secret"),
        ("CA_FILE", "cannot read --ca-file"),
    ] {
        // An endless file: the run ends (it stops reading at the limit) and says so.
        let r = run(&sim, &["--dry-run"], &[(var, "/dev/zero")]);
        assert_eq!(r.code, 1, "{var}: {}", r.stderr);
        assert!(r.stderr.contains(words) && r.stderr.contains("larger than"), "{var}: {}", r.stderr);
    }
}

/// Item 3: memory is linear in organizations + clients: the suggestions kept for organizations
/// that match nothing are a few names each, not a slot for every client they share a word with.
#[test]
fn suggestions_for_unmatched_organizations_cost_memory_linear_in_the_names() {
    use tenants::{client, guid, org};
    let orgs: Vec<_> =
        (1..=1500).map(|i| org(i, &format!("Qorv{i}x Dental Services Group"), Some(&guid(i as u64)))).collect();
    let clients: Vec<_> =
        (1..=4000).map(|i| client(10_000 + i, &format!("Brell{i}k Dental Services Group"), None)).collect();
    let sim =
        Sim::start(Tenant { orgs, clients, fields: tenants::client_fields(), ..Tenant::default() }, Config::default());
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.count("no_match"), 1500, "{}", r.stderr);
    let rss = r.report.as_ref().unwrap()["performance"]["peak_rss_kib"].as_u64().unwrap();
    // 1,500 x 4,000 x 16 bytes = 96 MB were kept before.
    assert!(rss < 60 * 1024, "peak RSS {rss} KiB");
}

/// Whether this test runs as root (CI does): only root can give a file to another account.
#[cfg(unix)]
fn as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// An account that is not this one (nobody's uid is not needed: any number works for chown).
#[cfg(unix)]
const OTHER_UID: u32 = 4242;

/// Item 4: a FIFO at the log path does not hang the run, another account's file there does not
/// receive the log, and a planted link among the folders of the log or the report is not
/// followed into a folder only root may write.
#[cfg(unix)]
#[test]
fn files_the_run_writes_cannot_be_turned_against_the_system() {
    use std::os::unix::fs::{lchown, PermissionsExt};
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();

    // A FIFO: refused at once, not waited on (nothing ever opens its other end: a run that
    // waited would never end).
    let fifo = shared.join("fifo.log");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let r = run(&sim, &["--dry-run", "--log-file", fifo.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);

    // A folder only root may write, and a link to it planted in the shared folder.
    let private = dir.path().join("root-only");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = shared.join("logs");
    std::os::unix::fs::symlink(&private, &link).unwrap();
    if as_root() {
        lchown(&link, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    }
    let r = run(&sim, &["--dry-run", "--log-file", link.join("run.log").to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    let r = run(&sim, &["--dry-run", "--report", link.join("report.json").to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "the report could not be written: {}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&private).unwrap().count(), 0, "nothing created in the root-only folder");

    // Another account's own files at the log's and the report's paths.
    if !as_root() {
        eprintln!("skipped: files of another account need root (CI runs as root)");
        return;
    }
    for (flag, name) in [("--log-file", "theirs.log"), ("--report", "theirs.json")] {
        let theirs = shared.join(name);
        std::fs::write(&theirs, "their own text\n").unwrap();
        std::os::unix::fs::chown(&theirs, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
        let r = run(&sim, &["--dry-run", flag, theirs.to_str().unwrap()], &[]);
        assert!(r.code == 1 || r.code == 2, "{flag}: {}", r.stderr);
        assert!(r.stderr.contains("belongs to another account"), "{flag}: {}", r.stderr);
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "their own text\n", "{flag}");
    }
}

/// Item 5: NinjaOne returning no organizations at all is never "OK".
#[test]
fn no_organizations_at_all_needs_a_person() {
    let tenant = Tenant { orgs: Vec::new(), ..clean_tenant() };
    let config = Config {
        ninja_field_defs: ninja_halo_sim::NinjaFieldDefs::List(vec![ninja_halo_sim::NinjaFieldDef {
            name: "dtcOrgGuid".into(),
            label: "DTC Org GUID".into(),
            scopes: vec!["ORGANIZATION".into()],
            api_permission: "READ_WRITE".into(),
        }]),
        ..Config::default()
    };
    let sim = Sim::start(tenant, config);
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("attention: NinjaOne returned no organizations at all"), "{}", r.stdout);
    assert!(r.report.as_ref().unwrap()["attention"][0].as_str().unwrap().contains("no organizations"));
    assert_eq!(writes(&sim), 0);
}

/// Item 5: --check reads what Halo's token grants: an application that cannot edit customers
/// fails the check (the sync itself would fail to write, exit 2).
#[test]
fn check_says_when_the_halo_application_cannot_edit_customers() {
    let config = Config { halo_app_scopes: Some("read:customers".into()), ..Config::default() };
    let sim = Sim::start(clean_tenant(), config);
    let r = run(&sim, &["--check"], &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL  Halo's token grants 'read:customers' but not edit:customers"), "{}", r.stdout);
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "what --check foretold: {}", r.stderr);
    // Where the application may edit customers, the check passes and shows what was granted.
    let sim = Sim::start(clean_tenant(), Config::default());
    let r = run(&sim, &["--check"], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("scopes 'read:customers edit:customers'"), "{}", r.stdout);
}

/// Item 5: two Halo fields whose names differ only in case: the configured name is taken
/// exactly, the value goes to that field (named by id) and is read back from it.
#[test]
fn a_field_whose_name_differs_only_in_case_is_never_written_instead() {
    let mut tenant = clean_tenant();
    let twin = "CFDTCClientGuid";
    tenant.fields.insert(0, ninja_halo_sim::FieldDef::new(150, twin, "Legacy GUID"));
    let sim = Sim::start(tenant, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.status_of("Acme Dental"), "updated");
    assert_eq!(halo_value(&sim, 101), Some(tenants::guid(1)));
    for id in [101, 103, 105] {
        assert!(!sim.client(id).unwrap().fields.contains_key(twin), "client {id}'s other field untouched");
    }
    // A name that matches both only when case is ignored is refused, not guessed.
    let r = run(&sim, &["--halo-field", "cfdtcclientguid"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("only in case"), "{}", r.stderr);
}

/// Item 5: one Halo instance is one lock, however its URL is spelled.
#[test]
fn the_lock_is_one_per_server_whatever_the_url_spelling() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let locks = dir.path().join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let port = sim.halo_url().rsplit(':').next().unwrap().to_string();
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(locks.join(format!("ninja-halo-sync-localhost_{port}.lock")))
        .unwrap();
    held.try_lock().unwrap();
    let url = format!("http://LOCALHOST:{port}/");
    let r = run(&sim, &[], &[("NINJA_HALO_SYNC_LOCK_DIR", locks.to_str().unwrap()), ("HALO_URL", &url)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("another ninja-halo-sync run"), "{}", r.stderr);
    assert_eq!(writes(&sim), 0);
}

/// Item 5: a JSON mapping file naming one organization twice is refused, as the CSV form is.
#[test]
fn a_json_mapping_naming_an_organization_twice_is_refused() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let map = dir.path().join("map.json");
    std::fs::write(&map, r##"{"Acme Dental": "#105", "Acme Dental": "#101"}"##).unwrap();
    let r = run(&sim, &[], &[("MAP_FILE", map.to_str().unwrap())]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("twice"), "{}", r.stderr);
    assert!(sim.requests().is_empty());
}
