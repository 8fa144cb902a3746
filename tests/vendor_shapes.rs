//! The simulator's default world is the vendors' documented one: every request the program
//! sends is an operation (with query parameters) of the vendor's API document, and every answer
//! the simulator gives it by default fits the response schema the document declares
//! (`sim/vendor/`: Halo's live 2026 excerpt, the older Halo document for the schemas the excerpt
//! lacks, NinjaOne's OpenAPI document). A field the real list does not carry cannot creep back in.

mod common;
use common::*;
use ninja_halo_sim::vendor::{self, Doc};
use ninja_halo_sim::Recorded;
use serde_json::Value;
use std::collections::BTreeMap;

/// Requests that are not operations of the APIs' documents: the OAuth token endpoints (Halo's is
/// on its authorisation server, NinjaOne's under /ws/oauth).
fn is_token_request(r: &Recorded) -> bool {
    r.method == "POST" && (r.path.ends_with("/token"))
}

/// Checks every recorded exchange; returns (operation -> answers checked against a schema).
fn check_all(requests: &[Recorded]) -> BTreeMap<String, usize> {
    let mut checked = BTreeMap::new();
    let mut problems = Vec::new();
    for r in requests.iter().filter(|r| !is_token_request(r)) {
        let side = if r.side == Side::Halo { ninja_halo_sim::Side::Halo } else { ninja_halo_sim::Side::Ninja };
        let Some((template, op)) = vendor::operation(side, &r.method, &r.path) else {
            problems.push(format!("{} {}: not an operation of the vendor's document", r.method, r.path));
            continue;
        };
        let documented = vendor::parameters(op);
        let query = r.target.split_once('?').map_or("", |(_, q)| q);
        for name in query.split('&').filter(|p| !p.is_empty()).map(|p| p.split('=').next().unwrap_or("")) {
            if !documented.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                problems.push(format!("{} {}: query parameter '{name}' is not in the document", r.method, r.path));
            }
        }
        let key = format!("{} {template}", r.method);
        if !(200..300).contains(&r.status) {
            continue;
        }
        let Some(schema) = vendor::response_schema(op, r.status) else { continue };
        let doc = if side == ninja_halo_sim::Side::Halo { Doc::Halo } else { Doc::Ninja };
        let body: Value = serde_json::from_str(r.response.as_deref().expect("recorded")).expect("JSON answer");
        // Halo's POST declares one record; a batch of several is answered with the list of
        // them (reference/halo-api.md section 3): each is checked as one.
        let answers = match (&body, r.method.as_str()) {
            (Value::Array(items), "POST") => items.clone(),
            _ => vec![body],
        };
        for a in &answers {
            for e in vendor::validate(doc, schema, a) {
                problems.push(format!("{key}: {e}"));
            }
        }
        *checked.entry(key).or_default() += 1;
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    checked
}

fn recording(config: Config) -> Config {
    Config { record_responses: true, halo_list_ninjarmmid: false, ..config }
}

#[test]
fn every_request_is_documented_and_every_default_answer_fits_the_vendors_schema() {
    let sim = Sim::start(tenants::demo(), recording(Config::default()));
    let mut args: Vec<&str> = tenants::DEMO_ARGS.to_vec();
    args.extend(tenants::SITE_ARGS);
    let with = |extra: &[&'static str]| -> Vec<&str> { args.iter().copied().chain(extra.iter().copied()).collect() };
    for extra in [&["--dry-run"][..], &[], &[], &["--check"], &["--explain", "Acme Dental"]] {
        let r = run(&sim, &with(extra), &[]);
        assert!([0, 3].contains(&r.code), "{extra:?}: exit {}\n{}\n{}", r.code, r.stdout, r.stderr);
    }
    let checked = check_all(&sim.requests());
    // GET /AuthInfo is an operation of the document, which declares no content for it.
    assert!(sim.requests().iter().any(|r| r.path.eq_ignore_ascii_case("/api/authinfo")));
    for op in [
        "GET /FieldInfo",
        "GET /Client",
        "GET /Client/{id}",
        "POST /Client",
        "GET /Site",
        "GET /Site/{id}",
        "POST /Site",
        "GET /v2/organizations",
        "GET /v2/locations",
        "GET /v2/device-custom-fields",
        "GET /v2/queries/scoped-custom-fields",
    ] {
        assert!(checked.get(op).is_some_and(|n| *n > 0), "no answer of {op} was checked: {checked:?}");
    }

    // Where NinjaOne has no bulk query, each entity's own fields are read: documented too.
    let sim = Sim::start(tenants::demo(), recording(Config { ninja_query_endpoint: false, ..Config::default() }));
    let r = run(&sim, &with(&["--dry-run"]), &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let checked = check_all(&sim.requests());
    for op in
        ["GET /v2/organization/{id}/custom-fields", "GET /v2/organization/{id}/location/{locationId}/custom-fields"]
    {
        assert!(checked.get(op).is_some_and(|n| *n > 0), "no answer of {op} was checked: {checked:?}");
    }
}

#[test]
fn the_older_shape_with_the_link_on_list_rows_is_a_switch_the_check_catches() {
    let sim = Sim::start(clean_tenant(), Config { halo_list_ninjarmmid: true, ..recording(Config::default()) });
    run(&sim, &["--dry-run"], &[]);
    let result = std::panic::catch_unwind(|| check_all(&sim.requests()));
    let message = *result.expect_err("rows carrying ninjarmmid do not fit Area_List").downcast::<String>().unwrap();
    assert!(message.contains("GET /Client: $.clients[0].ninjarmmid: not in the document's schema"), "{message}");
}
