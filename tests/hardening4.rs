//! Hardening, round 4: each test tries from outside what the red-team pass tried (the real
//! binary, a hostile simulator, hostile files and settings) and asserts what the user and the
//! servers see.

mod common;
use common::*;

/// The first run of 8 characters of `secret` (in any case) found in `text`, if any.
fn leak(text: &str, secret: &str) -> Option<String> {
    let text = text.to_lowercase();
    let chars: Vec<char> = secret.to_lowercase().chars().collect();
    chars.windows(8).map(|w| w.iter().collect::<String>()).find(|w| text.contains(w.as_str()))
}

fn assert_no_leak(r: &Run, secret: &str, what: &str) {
    if let Some(run) = leak(&r.all_output(), secret) {
        panic!("{what}: '{run}' of the secret leaked:\n{}", r.all_output());
    }
}

/// Item 1: a secret set correctly (in the environment, a file or a secure field) and also
/// pasted by mistake into another variable that fails validation is never printed.
#[cfg(unix)]
#[test]
fn no_settings_error_prints_a_secret_pasted_into_another_variable() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let secret = Config::default().halo_client_secret;
    let dir = tempdir::Dir::new();
    let file = dir.path().join("halo.secret");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let cli = fake_cli(dir.path(), &secret);
    let pasted = |var: &'static str| -> Vec<(&'static str, String)> {
        let v = match var {
            "NINJA_REGION" => secret.to_uppercase(),
            "MAP_FILE" => file.to_str().unwrap().to_string(),
            "HALO_URL" | "NINJA_URL" => format!("https://{secret}.example/"),
            _ => secret.clone(),
        };
        vec![(var, v)]
    };
    let variables = [
        "ID_MAP",
        "IGNORE_IDS",
        "NAME_MAP",
        "NINJA_REGION",
        "TIMEOUT",
        "DEADLINE",
        "HALO_RATE",
        "DRY_RUN",
        "OVERWRITE",
        "NO_NATIVE_LINK",
        "NATIVE_LINKS",
        "HALO_URL",
        "NINJA_URL",
        "NINJA_FIELD",
        "HALO_SITE_FIELD",
        "MAP_FILE",
    ];
    // The secret where it belongs: the environment, a file, a secure field.
    let sources: [Vec<(&str, String)>; 3] = [
        vec![],
        vec![("HALO_CLIENT_SECRET", String::new()), ("HALO_CLIENT_SECRET_FILE", file.to_str().unwrap().into())],
        vec![
            ("HALO_CLIENT_SECRET", String::new()),
            ("HALO_CLIENT_SECRET_FIELD", "haloSecret".into()),
            ("NINJARMM_CLI", cli.to_str().unwrap().into()),
        ],
    ];
    for source in &sources {
        for var in variables {
            let mut env: Vec<(&str, String)> = source.clone();
            env.extend(pasted(var));
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            // (With --dry-run on the command line, DRY_RUN would not be read.)
            let args: &[&str] = if var == "DRY_RUN" { &[] } else { &["--dry-run"] };
            let r = run(&sim, args, &env);
            assert_ne!(r.code, 0, "{var} holding the secret is not a usable setting");
            assert_no_leak(&r, &secret, var);
        }
    }
    // Even when the command line itself is wrong, the secrets are registered first.
    let r = run(&sim, &["--no-such-flag", &secret], &[]);
    assert_eq!(r.code, 1);
    assert_no_leak(&r, &secret, "a usage error");
}

/// Item 2: echoes of the secret split by characters that show nothing, a NUL, an HTML tag, an
/// interruption, or only its end, are all caught wherever they are printed.
#[test]
fn a_secret_cannot_be_split_past_the_redactor() {
    let secret = Config::default().halo_client_secret;
    let (head, tail) = secret.split_at(7);
    let last24: String = secret.chars().skip(secret.chars().count() - 24).collect();
    let echoes = [
        format!("{head}\u{200b}{tail}"),
        format!("{head}\u{00ad}{tail}"),
        format!("{head}\u{feff}{tail}"),
        format!("{head}\u{e0020}{tail}"),
        format!("{head}\\u0000{tail}"),
        format!("{head}<b>{tail}</b>"),
        format!("{head}!{tail}"),
        last24,
        secret.to_uppercase(),
    ];
    for echo in echoes {
        let sim = Sim::start(clean_tenant(), Config::default());
        let body =
            serde_json::json!({"error": "invalid_request", "error_description": format!("bad secret {echo} given")});
        sim.inject(Fault::new(
            Side::Halo,
            "POST",
            "/auth/token",
            FaultKind::Status { status: 400, body: body.to_string(), retry_after: None },
        ));
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("bad secret"), "the body is shown: {}", r.stderr);
        assert_no_leak(&r, &secret, &format!("{echo:?}"));
    }
}

/// Item 2: a secret shorter than 16 characters is refused at start, naming the variable, not the
/// value.
#[test]
fn a_secret_too_short_to_protect_is_refused_at_start() {
    let sim = Sim::start(clean_tenant(), Config::default());
    for (var, name) in [("HALO_CLIENT_SECRET", "haloClientSecret"), ("NINJA_CLIENT_SECRET", "ninjaClientSecret")] {
        let r = run(&sim, &[], &[(var, "k3y")]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(name) && r.stderr.contains("3 characters long"), "{}", r.stderr);
        assert!(!r.all_output().contains("k3y"), "{}", r.all_output());
    }
    assert!(sim.requests().is_empty(), "nothing contacted");
}

/// Item 3: a server that issues a huge token and echoes it, or sends megabyte bodies, names
/// and values, cannot crash the run: every printed path (stdout, stderr, the log, the report,
/// the status field) is written, bounded, and redacted.
#[cfg(unix)]
#[test]
fn megabyte_tokens_bodies_names_and_values_never_crash_the_run() {
    let dir = tempdir::Dir::new();
    let cli = fake_cli(dir.path(), "");
    let status_env = [("NINJARMM_CLI", cli.to_str().unwrap()), ("NINJA_STATUS_FIELD", "haloSyncStatus")];
    let mb = 1024 * 1024;
    let sets = || cli_calls(dir.path()).into_iter().filter(|c| c[0] == "set").count();
    let check = |r: &Run, what: &str| {
        assert!([1, 2, 3].contains(&r.code), "{what}: exit {} (134 is an abort)\n{}", r.code, r.stderr);
        eprintln!("{what}: exit {}, status field written {} times so far", r.code, sets());
        assert!(r.report.is_some(), "{what}: the report is written");
        let longest = r.all_output().lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest < 20_000, "{what}: a line of {longest} characters");
        let report = r.report.as_ref().unwrap().to_string();
        assert!(report.len() < 200_000, "{what}: a report of {} bytes", report.len());
    };
    // A 20,000-character token, echoed in a 400 body.
    let sim = Sim::start(clean_tenant(), Config { token_len: 20_000, ..Config::default() });
    sim.inject(Fault::new(Side::Halo, "GET", "/api/Client", FaultKind::EchoToken(400)).times(usize::MAX));
    let r = run(&sim, &[], &status_env);
    check(&r, "20,000-character token");
    let token = sim.issued_tokens().into_iter().find(|t| t.starts_with("halo-")).unwrap();
    assert_no_leak(&r, &token, "the echoed token");
    // A 1 MB token: not believed, said so, and the run ends cleanly.
    let sim = Sim::start(clean_tenant(), Config { token_len: mb, ..Config::default() });
    let r = run(&sim, &[], &status_env);
    check(&r, "1 MB token");
    assert!(r.stderr.contains("far longer than any real one"), "{}", r.stderr);
    // A 1 MB error body.
    let sim = Sim::start(clean_tenant(), Config::default());
    let body = format!("{{\"Message\":\"{}\"}}", "x".repeat(mb));
    sim.inject(Fault::new(
        Side::Halo,
        "GET",
        "/api/FieldInfo",
        FaultKind::Status { status: 400, body, retry_after: None },
    ));
    check(&run(&sim, &[], &status_env), "1 MB body");
    // 1 MB names and values: an organization, a client, the link field.
    let mut t = clean_tenant();
    t.orgs[0].name = format!("Acme {}", "n".repeat(mb));
    t.clients[4].name = format!("Unrelated {}", "c".repeat(mb));
    t.orgs[1].fields.insert("haloClient".into(), serde_json::json!("L".repeat(mb)));
    t.orgs[2].fields.insert(tenants::NINJA_FIELD.into(), serde_json::json!("v".repeat(mb)));
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &["--ninja-link-field", "haloClient"], &status_env);
    check(&r, "1 MB names and values");
    assert!(r.stdout.contains("characters in all)"), "clipped with the full length said: {}", r.stdout);
    let sets = cli_calls(dir.path()).into_iter().filter(|c| c[0] == "set").count();
    assert_eq!(sets, 4, "the status field is written on every run");
}

/// Item 5: a log file with a second name (a hard link, say to a file root owns) is refused, and
/// the other file is left as it was.
#[cfg(unix)]
#[test]
fn a_log_file_with_another_name_is_refused() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let dir = tempdir::Dir::new();
    let precious = dir.path().join("precious");
    std::fs::write(&precious, "root's file\n").unwrap();
    let log = dir.path().join("sync.log");
    std::fs::hard_link(&precious, &log).unwrap();
    let r = run(&sim, &["--dry-run", "--log-file", log.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("hard links"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "root's file\n");
}

/// Item 6: with a proxy configured, plain-http and loopback endpoints are never sent through it
/// (it would read the client secret).
#[test]
fn plain_http_and_loopback_never_go_through_a_proxy() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let proxy = net::recording_proxy();
    for (args, env) in [
        (vec!["--dry-run", "--proxy", proxy.url.as_str()], vec![]),
        (vec!["--dry-run"], vec![("HTTPS_PROXY", proxy.url.as_str())]),
    ] {
        let r = run(&sim, &args, &env);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert!(proxy.seen.lock().unwrap().is_empty(), "{:?}", proxy.seen.lock().unwrap());
}

/// Item 7: ids are only the documented forms: digits, with one optional `#`.
#[test]
fn id_forms_are_exactly_the_documented_ones() {
    let sim = Sim::start(clean_tenant(), Config::default());
    for bad in ["+1=101", "##1=101", "1=##101", "1=+101", "1=1e2", "-1=101"] {
        let r = run(&sim, &["--dry-run"], &[("ID_MAP", bad)]);
        assert_eq!(r.code, 1, "{bad}: {}", r.stdout);
        assert!(r.stderr.contains("--id-map"), "{bad}: {}", r.stderr);
    }
    for bad in ["+1", "##1", "1.0"] {
        assert_eq!(run(&sim, &["--dry-run"], &[("IGNORE_IDS", bad)]).code, 1, "{bad}");
    }
    for good in ["1=101", "#1=#101", " 1=101, 2=#102 3=103 "] {
        let r = run(&sim, &["--dry-run", "--id-map", good], &[]);
        assert_eq!(r.code, 0, "{good}: {}", r.stderr);
    }
    // Many entries are read in one pass (each checked against the others by a table; an
    // environment variable holds at most 128 KB).
    let many: Vec<String> = (1..=8_000).map(|i| format!("{i}={}", 500_000 + i)).collect();
    let r = run(&sim, &["--dry-run"], &[("ID_MAP", &many.join(","))]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}
