//! Fault injection: each case asserts the exit code, an actionable message and the final Halo
//! state: either everything right, or nothing written, never a value on a wrong client.

mod common;
use common::*;

/// In clean_tenant, the only right values: client -> the GUID it must hold (or none).
fn assert_halo_is_right_or_untouched(sim: &Sim, written: bool) {
    let expected = [
        (101, Some(tenants::guid(1))),
        (102, Some(tenants::guid(2))),
        (103, Some(tenants::guid(3))),
        (104, Some(tenants::guid(4))),
        (105, None),
    ];
    for (id, want) in expected {
        let got = halo_value(sim, id);
        if written || id == 102 || id == 104 {
            assert_eq!(got, want, "client {id}");
        } else {
            assert_eq!(got, None, "client {id} must be untouched");
        }
        assert_eq!(sim.client(id).unwrap().fields["CFContractTier"], serde_json::json!("Gold"), "other fields intact");
    }
}

/// Runs and asserts the run stopped before writing anything: exit 1, every one of `words` in
/// its error output, Halo untouched.
fn assert_stops_without_writing(sim: &Sim, args: &[&str], words: &[&str]) -> Run {
    let r = run(sim, args, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for w in words {
        assert!(r.stderr.contains(w), "'{w}' not in: {}", r.stderr);
    }
    assert_halo_is_right_or_untouched(sim, false);
    r
}

fn fault(side: Side, method: &'static str, path: &'static str, kind: FaultKind) -> Fault {
    Fault::new(side, method, path, kind)
}

fn status(code: u16, body: &str, retry_after: Option<&str>) -> FaultKind {
    FaultKind::Status { status: code, body: body.to_string(), retry_after: retry_after.map(str::to_string) }
}

#[test]
fn rate_limit_429_with_retry_after_is_honoured() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(Side::Halo, "GET", "/api/client", status(429, r#"{"error":"Rate Limit Reached"}"#, Some("7"))).times(3),
    );
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = &r.report.as_ref().unwrap()["requests"];
    assert!(req["retries"].as_u64().unwrap() >= 3);
    assert!(req["waited_seconds"].as_f64().unwrap() >= 21.0, "{req}");
    assert!(r.stderr.contains("rate limited (429); retry 1/12 in 7.0s"), "{}", r.stderr);
    assert_halo_is_right_or_untouched(&sim, true);
}

#[test]
fn rate_limit_without_retry_after_outlasts_a_four_minute_window() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(
            Side::Halo,
            "GET",
            "/api/client",
            status(429, "Rate Limit Reached - 300 Requests per rolling 5 minute window", None),
        )
        .times(9),
    );
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let waited = r.report.as_ref().unwrap()["requests"]["waited_seconds"].as_f64().unwrap();
    assert!(waited > 240.0, "backed off for {waited}s");
    assert_halo_is_right_or_untouched(&sim, true);
}

#[test]
fn proactive_pacing_stays_inside_the_halo_limit() {
    // Real time here: the simulator's window is real, so the client's pacing must be too. As in
    // production (450 against Halo's 500 per 3 minutes), the pace keeps a margin: two requests
    // of a window, so that a busy machine delaying some requests more than others cannot turn
    // the pace into a refusal.
    let sim = Sim::start(
        clean_tenant(),
        Config { halo_rate_limit: Some((5, std::time::Duration::from_millis(1000))), ..Config::default() },
    );
    let r = run(&sim, &["--halo-rate", "3/1"], &[("NINJA_HALO_SYNC_TIME_SCALE", "1")]);
    let halo_requests = sim.requests().iter().filter(|q| q.side == Side::Halo).count();
    assert!(halo_requests > 5, "the run needs more than one window's worth: {halo_requests}");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(sim.requests().iter().all(|q| q.status != 429), "no request was refused");
    assert_halo_is_right_or_untouched(&sim, true);
}

#[test]
fn bursts_of_server_errors_are_retried() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(
            Side::Halo,
            "GET",
            "/api/fieldinfo",
            status(500, r#"{"ClassName":"System.Exception","Message":"boom"}"#, None),
        )
        .times(2),
    );
    sim.inject(fault(Side::Halo, "GET", "/api/client", status(502, "<html>Bad Gateway</html>", None)).times(2));
    sim.inject(fault(Side::Ninja, "GET", "/v2/organizations", status(503, "", None)).times(2));
    sim.inject(fault(Side::Halo, "POST", "/api/client", status(503, "", None)).times(1));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_halo_is_right_or_untouched(&sim, true);
}

#[test]
fn persistent_server_errors_exit_1_naming_the_endpoint() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(Side::Halo, "GET", "/api/client", status(500, r#"{"Message":"database unavailable"}"#, None))
            .times(usize::MAX),
    );
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("/api/Client answered HTTP 500") && r.stderr.contains("database unavailable"),
        "{}",
        r.stderr
    );
    assert_eq!(writes(&sim), 0);
    assert_halo_is_right_or_untouched(&sim, false);
}

#[test]
fn a_token_that_expires_mid_run_is_renewed_once() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(fault(Side::Halo, "POST", "/api/client", FaultKind::ExpireTokens));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tokens = sim.requests().iter().filter(|q| q.side == Side::Halo && q.path == "/auth/token").count();
    assert_eq!(tokens, 2);
    assert!(r.stderr.contains("renewing the token once"), "{}", r.stderr);
    assert_halo_is_right_or_untouched(&sim, true);
}

#[test]
fn connection_resets_are_retried() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(fault(Side::Ninja, "GET", "/v2/organizations", FaultKind::Reset).times(2));
    sim.inject(fault(Side::Halo, "GET", "/api/client", FaultKind::Reset).times(1));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_halo_is_right_or_untouched(&sim, true);
}

#[test]
fn a_stalled_body_hits_the_timeout() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(Side::Halo, "GET", "/api/fieldinfo", FaultKind::Stall(std::time::Duration::from_secs(3))).times(1),
    );
    let r = run(&sim, &["--timeout", "0.5"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert_halo_is_right_or_untouched(&sim, true);

    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(Side::Halo, "GET", "/api/fieldinfo", FaultKind::Stall(std::time::Duration::from_secs(2)))
            .times(usize::MAX),
    );
    assert_stops_without_writing(&sim, &["--timeout", "0.3"], &["/api/FieldInfo failed", "--timeout"]);
}

#[test]
fn malformed_json_stops_the_run_before_any_write() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(fault(Side::Halo, "GET", "/api/client", FaultKind::Malformed).times(usize::MAX));
    assert_stops_without_writing(&sim, &[], &["not JSON", "nothing was written"]);
}

#[test]
fn an_html_page_with_status_200_stops_the_run() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(fault(Side::Ninja, "GET", "/v2/organizations", FaultKind::Html).times(usize::MAX));
    assert_stops_without_writing(&sim, &[], &["an HTML page (Service Unavailable"]);
}

fn big_tenant(n: i64) -> Tenant {
    let mut t = clean_tenant();
    for i in 0..n - 5 {
        t.clients.push(tenants::client(1000 + i, &format!("Filler Client {i}"), None));
    }
    t
}

#[test]
fn an_empty_page_before_the_reported_total_stops_the_run() {
    let sim = Sim::start(big_tenant(250), Config::default());
    sim.inject(fault(Side::Halo, "GET", "/api/client", FaultKind::EmptyPage).skip(1));
    assert_stops_without_writing(&sim, &[], &["empty page 2", "reports 250 clients"]);
}

#[test]
fn a_full_page_is_never_the_end_whatever_the_count_says() {
    // record_count says 200 and two full pages came: the third (empty) page is still asked
    // for, because a count can be lower than the rows there.
    let sim = Sim::start(big_tenant(200), Config::default());
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pages = sim.requests().iter().filter(|q| q.method == "GET" && q.path == "/api/Client").count();
    assert_eq!(pages, 3);
    assert!(r.stderr.contains("200 Halo clients"), "{}", r.stderr);
}

#[test]
fn paging_that_repeats_page_one_stops_the_run() {
    let sim = Sim::start(big_tenant(250), Config::default());
    sim.inject(fault(Side::Halo, "GET", "/api/client", FaultKind::IgnorePaging).times(usize::MAX));
    assert_stops_without_writing(&sim, &[], &["twice while paging"]);
}

#[test]
fn a_broken_ninja_cursor_stops_the_run() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(
        fault(
            Side::Ninja,
            "GET",
            "/queries/scoped-custom-fields",
            status(400, r#"{"resultCode":"FAILURE","errorMessage":"INVALID_CURSOR"}"#, None),
        )
        .skip(1),
    );
    assert_stops_without_writing(&sim, &[], &["NinjaOne field values", "INVALID_CURSOR"]);
}

#[test]
fn a_400_for_one_client_in_a_batch_fails_only_that_client() {
    use tenants::{client, guid, org};
    let mut t = clean_tenant();
    for i in 0..6 {
        t.orgs.push(org(10 + i, &format!("Batch Org {i}"), Some(&guid(10 + i as u64))));
        t.clients.push(client(200 + i, &format!("Batch Org {i}"), None));
    }
    let sim = Sim::start(t, Config::default());
    sim.inject(fault(Side::Halo, "POST", "/api/client", FaultKind::RejectClient(203)).times(usize::MAX));
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.status_of("Batch Org 3"), "failed");
    assert!(r.org("Batch Org 3")["detail"].as_str().unwrap().contains("Please enter a valid URL"));
    assert_eq!(halo_value(&sim, 203), None);
    for i in [0, 1, 2, 4, 5] {
        assert_eq!(r.status_of(&format!("Batch Org {i}")), "updated");
        assert_eq!(halo_value(&sim, 200 + i), Some(guid(10 + i as u64)));
    }
    // Halo named the refused entry ("[3].id"): one more request, no search.
    let posts: Vec<String> = sim
        .requests()
        .iter()
        .filter(|q| q.method == "POST" && q.path == "/api/Client")
        .map(|q| q.body.clone())
        .collect();
    assert_eq!(posts.len(), 4, "first write, probe, the batch, the batch without client 203: {posts:#?}");
}

#[test]
fn the_deadline_stops_a_run_that_would_wait_too_long() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(fault(Side::Halo, "GET", "/api/client", status(429, "", Some("120"))).times(usize::MAX));
    assert_stops_without_writing(&sim, &["--deadline", "60"], &["--deadline"]);
}

#[test]
fn an_error_body_echoing_secrets_is_redacted() {
    let sim = Sim::start(clean_tenant(), Config::default());
    let cfg = Config::default();
    let body = format!(r#"{{"error":"invalid_request","echo":"client_secret={}&x"}}"#, cfg.halo_client_secret);
    sim.inject(
        fault(Side::Halo, "GET", "/api/fieldinfo", status(400, Box::leak(body.into_boxed_str()), None))
            .times(usize::MAX),
    );
    let r = run(&sim, &["--verbose"], &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("client_secret=***"), "{}", r.stderr);
    let all = r.all_output();
    assert!(!all.contains(&cfg.halo_client_secret));
    for t in sim.issued_tokens() {
        assert!(!all.contains(&t));
    }
}

#[test]
fn a_secret_echoed_past_the_clip_or_in_another_spelling_is_redacted() {
    let cfg = Config { halo_client_secret: "Sx/9+secret/Value=0123456789".into(), ..Config::default() };
    let secret = cfg.halo_client_secret.clone();
    let pct_lower = secret.replace('/', "%2f").replace('+', "%2b").replace('=', "%3d");
    let json_escaped = secret.replace('/', "\\/");
    for echoed in [
        // The secret starts at character 290: a clip at 300 would leave its first 10 characters.
        format!(r#"{{"error":"invalid_request","pad":"{}","echo":"{secret}"}}"#, "x".repeat(255)),
        format!(r#"{{"error":"invalid_request","echo":"client_secret={pct_lower}"}}"#),
        format!(r#"{{"error":"invalid_request","echo":"{json_escaped}"}}"#),
    ] {
        let sim = Sim::start(clean_tenant(), cfg.clone());
        sim.inject(
            fault(Side::Halo, "GET", "/api/fieldinfo", status(400, Box::leak(echoed.into_boxed_str()), None))
                .times(usize::MAX),
        );
        let r = run(&sim, &["--verbose"], &[]);
        assert_eq!(r.code, 1);
        let all = r.all_output();
        for leak in [&secret[..10], &pct_lower[..12], &json_escaped[..10], "Sx\\/9", "Sx%2f9"] {
            assert!(!all.contains(leak), "'{leak}' leaked: {all}");
        }
    }
}

#[test]
fn an_answer_far_larger_than_a_page_is_refused_not_retried() {
    let sim = Sim::start(clean_tenant(), Config::default());
    sim.inject(fault(Side::Ninja, "GET", "/v2/organizations", FaultKind::HugeBody(20 << 20)).times(usize::MAX));
    let r = assert_stops_without_writing(&sim, &[], &["more than 16 MB", "not retried"]);
    let asked = sim.requests().iter().filter(|q| q.path.ends_with("/organizations")).count();
    assert_eq!(asked, 1, "an over-size answer is not asked again");
    assert!(r.report.is_some());
}

#[test]
fn names_of_any_length_cost_bounded_work() {
    use tenants::{client, guid, org};
    // One 20,000-letter word, and a 1 MB name: matched exactly where equal, never fuzzily.
    let word = "Q".repeat(20_000);
    let megabyte = format!("Acme {}", "Zyxwvut ".repeat(131_072));
    let t = Tenant {
        orgs: vec![
            org(1, &word, Some(&guid(1))),
            org(2, &megabyte, Some(&guid(2))),
            org(3, &format!("{word}x"), Some(&guid(3))),
            org(4, "Acme Dental", Some(&guid(4))),
        ],
        clients: vec![
            client(11, &word, None),
            client(12, &megabyte, None),
            client(13, &format!("{word}y"), None),
            client(14, "Acme Dental", None),
        ],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let started = std::time::Instant::now();
    let r = run(&sim, &[], &[]);
    eprintln!("hostile names: {:.1}s", started.elapsed().as_secs_f64());
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(halo_value(&sim, 11), Some(guid(1)), "equal long names still match exactly");
    assert_eq!(halo_value(&sim, 12), Some(guid(2)));
    assert_eq!(halo_value(&sim, 13), None, "one letter apart in a 20,000-letter word: no typo match");
    assert_eq!(halo_value(&sim, 14), Some(guid(4)));
}

#[test]
fn names_never_put_control_or_bidi_characters_into_output() {
    use tenants::{client, guid, org};
    let evil = "Acme\u{202E}latneD\u{202C} \u{1b}[2J\u{2066}Ltd\u{2069}\u{200F}";
    let t = Tenant {
        orgs: vec![org(1, evil, Some(&guid(1))), org(2, "Other\u{202E}Org", Some(&guid(2)))],
        clients: vec![client(11, "Acme Dental", None), client(12, "Unrelated \u{202D}Client", None)],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let bad = |s: &str| {
        s.chars().any(
            |c| matches!(c, '\u{1b}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'),
        )
    };
    let r = run(&sim, &["--dry-run"], &[]);
    let log = std::fs::read_to_string(r.dir.path().join("run.log")).unwrap_or_default();
    for text in [&r.stdout, &r.stderr, &log] {
        assert!(!bad(text), "{text:?}");
    }
    let r = run(&sim, &["--explain", evil], &[]);
    assert!(!bad(&r.stdout) && !bad(&r.stderr), "{:?}", r.stdout);
    assert!(r.stdout.contains("Acme"), "{}", r.stdout);
}

#[test]
fn hostile_names_do_not_break_the_run_or_the_report() {
    use tenants::{client, guid, org};
    let huge = "Acme ".repeat(4000);
    let t = Tenant {
        orgs: vec![
            org(1, "Evil\nName\u{1b}[31m Inc", Some(&guid(1))),
            org(2, &huge, Some(&guid(2))),
            org(3, "", Some(&guid(3))),
            org(4, "   ", Some(&guid(4))),
            org(5, "名前 株式会社", Some(&guid(5))),
        ],
        clients: vec![client(11, "", None), client(12, "名前 株式会社", None), client(13, "Evil Name", None)],
        fields: tenants::client_fields(),
        ..Tenant::default()
    };
    let sim = Sim::start(t, Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.status_of(""), "no_match");
    assert_eq!(r.status_of("名前 株式会社"), "updated");
    assert_eq!(halo_value(&sim, 11), None, "a nameless client is never matched by name");
    for line in r.stdout.lines() {
        assert!(!line.contains('\u{1b}'), "control characters are not printed: {line:?}");
    }
    assert!(
        r.stdout.lines().any(|l| l.starts_with("no_match      'Evil Name") || l.contains("'Evil Name")),
        "{}",
        r.stdout
    );
}

#[test]
fn progress_is_a_few_plain_lines_when_not_on_a_terminal() {
    // 1,100 clients: 11 pages and ~1,100 record reads, each reporting progress; not on a
    // terminal, at most one line every five seconds gets through. The bound grows with the
    // time the run took, so a busy machine cannot turn this red.
    let sim = Sim::start(big_tenant(1_100), Config::default());
    let started = std::time::Instant::now();
    let r = run(&sim, &["--dry-run"], &[]);
    let allowed = 1 + (started.elapsed().as_secs() / 5) as usize;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = r.stderr.lines().filter(|l| l.contains(": reading")).count();
    assert!((1..=allowed).contains(&lines), "{lines} lines, {allowed} allowed:\n{}", r.stderr);
    assert!(!r.stderr.contains('\r'), "no terminal control characters in a log");
    let quiet = run(&sim, &["--dry-run", "--quiet"], &[]);
    assert!(!quiet.stderr.contains("reading"), "{}", quiet.stderr);
}

#[cfg(target_os = "linux")]
#[test]
fn progress_is_one_live_line_on_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        panic!("util-linux 'script' is needed to give the binary a terminal");
    }
    let sim = Sim::start(big_tenant(1_100), Config::default());
    // Waits scaled down as in every other test (a first run reads a record per client, paced).
    let mut cmd = format!("NINJA_HALO_SYNC_TIME_SCALE=0.001 {BIN} --dry-run");
    for (k, v) in sim.env() {
        cmd = format!("{k}='{v}' {cmd}");
    }
    let out = std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.matches("\r\x1b[KHalo: reading clients, page").count() >= 11, "{text:?}");
    // What stays visible on each terminal line (after its last clear) is never progress: the
    // live line is cleared before any other output.
    for line in text.split('\n') {
        let visible = line.rsplit("\r\x1b[K").next().unwrap_or("").trim_end_matches('\r');
        assert!(!visible.contains(": reading"), "progress left on screen: {line:?}");
    }
    assert!(text.contains("\r\x1b[Kread "), "{text:?}");
}
