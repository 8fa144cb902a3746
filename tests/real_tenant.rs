//! What a real tenant may do that the common case does not: list rows that show only some
//! custom fields, encrypted fields, Halo replacing the array on update, a person editing a
//! client during the run, refused and dropped writes, servers that page differently. Each case
//! is a simulator switch; each test asserts Halo's state afterwards and the exit code.

mod common;
use common::*;
use ninja_halo_sim::{FieldDef, ListFields};
use serde_json::json;

const SECRET_FIELD: &str = "CFApiPassword";

/// `n` organizations, each named like exactly one client. Every fifth client already holds a
/// different GUID (a conflict: never overwritten without --overwrite); the others are empty.
fn tenant(n: i64) -> Tenant {
    let mut t = Tenant { fields: tenants::client_fields(), ..Tenant::default() };
    for i in 0..n {
        let name = format!("Harbor Client {i:03}");
        t.orgs.push(tenants::org(i + 1, &name, Some(&tenants::guid(i as u64 + 1))));
        let held = (i % 5 == 0).then(|| tenants::guid(5000 + i as u64));
        t.clients.push(tenants::client(1000 + i, &name, held.as_deref()));
    }
    t
}

/// Every client's custom fields other than ours are as the tenant began.
fn assert_other_fields_unchanged(sim: &Sim, before: &Tenant) {
    for c in &before.clients {
        let now = sim.client(c.id).unwrap();
        for (name, value) in &c.fields {
            if name != tenants::HALO_FIELD {
                assert_eq!(now.fields.get(name), Some(value), "client {} field {name}", c.id);
            }
        }
        for name in now.fields.keys() {
            assert!(name == tenants::HALO_FIELD || c.fields.contains_key(name), "client {} gained {name}", c.id);
        }
    }
}

/// The right outcome on `tenant(n)`: empty clients hold their org's GUID, the others keep theirs.
fn assert_written_right(sim: &Sim, n: i64) {
    for i in 0..n {
        let want = if i % 5 == 0 { tenants::guid(5000 + i as u64) } else { tenants::guid(i as u64 + 1) };
        assert_eq!(halo_value(sim, 1000 + i), Some(want), "client {}", 1000 + i);
    }
}

fn posts(sim: &Sim) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|q| q.method == "POST" && q.path.eq_ignore_ascii_case("/api/Client"))
        .map(|q| q.body.clone())
        .collect()
}

#[test]
fn list_rows_that_show_only_some_fields_never_lead_to_a_blind_overwrite() {
    let shapes = [
        ListFields::Empty,
        ListFields::PopulatedOnly,
        ListFields::Without(tenants::HALO_FIELD.into()),
        ListFields::Absent,
    ];
    for replace in [false, true] {
        for shape in &shapes {
            let t = tenant(40);
            let config = Config {
                halo_list_custom_fields: shape.clone(),
                halo_replace_custom_fields: replace,
                ..Config::default()
            };
            let sim = Sim::start(t.clone(), config);
            let r = run(&sim, &[], &[]);
            let case = format!("{shape:?}, replace {replace}");
            assert_eq!(r.code, 3, "{case}: the held values are conflicts\n{}\n{}", r.stdout, r.stderr);
            assert_eq!(r.count("conflict"), 8, "{case}");
            assert_eq!(r.count("updated"), 32, "{case}");
            assert_written_right(&sim, 40);
            assert_other_fields_unchanged(&sim, &t);
        }
    }
}

#[test]
fn a_detail_read_without_custom_fields_is_unknown_and_nothing_is_written() {
    let t = tenant(10);
    let config = Config {
        halo_list_custom_fields: ListFields::Empty,
        halo_detail_custom_fields: false,
        halo_replace_custom_fields: true,
        ..Config::default()
    };
    let sim = Sim::start(t.clone(), config);
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(writes(&sim), 0);
    assert_eq!(r.count("failed"), 10);
    assert!(r.org("Harbor Client 001")["detail"].as_str().unwrap().contains("did not show the field"), "{}", r.stdout);
    for c in &t.clients {
        assert_eq!(sim.client(c.id).unwrap().fields, c.fields, "client {} untouched", c.id);
    }
}

/// `tenant(n)` with an encrypted field holding a secret on every third client.
fn tenant_with_secrets(n: i64) -> Tenant {
    let mut t = tenant(n);
    t.fields.push(FieldDef { encrypted: true, ..FieldDef::new(104, SECRET_FIELD, "API Password") });
    for (i, c) in t.clients.iter_mut().enumerate() {
        if i % 3 == 1 {
            c.fields.insert(SECRET_FIELD.into(), json!(format!("s3cret-{i}")));
        }
    }
    t
}

#[test]
fn encrypted_fields_are_never_posted_and_never_lost() {
    // Where Halo merges, every client is written and the secrets stay.
    let t = tenant_with_secrets(30);
    let sim = Sim::start(t.clone(), Config::default());
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_written_right(&sim, 30);
    assert_other_fields_unchanged(&sim, &t);
    assert!(posts(&sim).iter().all(|b| !b.contains("****") && !b.contains(SECRET_FIELD)), "{:#?}", posts(&sim));

    // Where Halo replaces the array, a client with a secret cannot be written without losing
    // it: not written, and it says why. The others are written with their whole array.
    let sim = Sim::start(t.clone(), Config { halo_replace_custom_fields: true, ..Config::default() });
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert_other_fields_unchanged(&sim, &t);
    assert!(posts(&sim).iter().all(|b| !b.contains("****")));
    for (i, c) in t.clients.iter().enumerate() {
        let name = format!("Harbor Client {i:03}");
        let status = r.status_of(&name);
        match (i % 5 == 0, i % 3 == 1) {
            (true, _) => assert_eq!(status, "conflict", "{name}"),
            (false, true) => {
                assert_eq!(status, "failed", "{name}");
                assert!(r.org(&name)["detail"].as_str().unwrap().contains("encrypted"), "{}", r.stdout);
                assert_eq!(halo_value(&sim, c.id), None);
            }
            (false, false) => {
                assert_eq!(status, "updated", "{name}");
                assert_eq!(halo_value(&sim, c.id), Some(tenants::guid(i as u64 + 1)));
            }
        }
    }
}

#[test]
fn other_fields_go_back_with_every_key_as_read_where_halo_replaces() {
    let t = tenant(12);
    let sim = Sim::start(t.clone(), Config { halo_replace_custom_fields: true, ..Config::default() });
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_written_right(&sim, 12);
    assert_other_fields_unchanged(&sim, &t);
    // Full objects, not {id, name, value} rebuilt: the label and the rest go back too.
    let batch = posts(&sim).into_iter().find(|b| b.contains("CFBillingEmail")).expect("a whole array was posted");
    let v: serde_json::Value = serde_json::from_str(&batch).unwrap();
    let billing =
        v[0]["customfields"].as_array().unwrap().iter().find(|f| f["name"] == "CFBillingEmail").unwrap().clone();
    for key in ["id", "label", "summary", "type", "characterlimit", "inputtype", "usage", "isencrypted"] {
        assert!(billing.get(key).is_some(), "{key} missing from {billing}");
    }
}

#[test]
fn a_person_editing_another_field_during_the_run_keeps_the_edit() {
    let t = tenant(20);
    let sim = Sim::start(t.clone(), Config::default());
    // The edits land after the client list was read, before anything is written: one on the
    // client written first, one on a client written in the batch.
    for (id, value) in [(1001, "Platinum"), (1013, "Bronze")] {
        sim.inject(Fault::new(
            Side::Halo,
            "GET",
            "/api/client",
            FaultKind::EditClient { id, field: "CFContractTier".into(), value: value.into() },
        ));
    }
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_written_right(&sim, 20);
    assert_eq!(sim.client(1001).unwrap().fields["CFContractTier"], json!("Platinum"));
    assert_eq!(sim.client(1013).unwrap().fields["CFContractTier"], json!("Bronze"));
}

#[test]
fn a_refused_first_write_stops_all_writing_at_once() {
    for (status, body) in [
        (403, r#"{"message":"Forbidden"}"#),
        (401, r#"{"message":"Authorization has been denied for this request."}"#),
        (400, r#"{"Message":"You do not have permission to edit this field: CFDtcClientGuid"}"#),
    ] {
        let t = tenant(30);
        let sim = Sim::start(t.clone(), Config::default());
        let kind = FaultKind::Status { status, body: body.into(), retry_after: None };
        sim.inject(Fault::new(Side::Halo, "POST", "/api/client", kind).times(usize::MAX));
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 2, "{status}: {}", r.stdout);
        // One refused write is enough (a 401 is first answered with a renewed token, once).
        assert_eq!(writes(&sim), if status == 401 { 2 } else { 1 }, "{status}");
        assert_eq!(r.count("failed"), 24, "{status}");
        assert!(r.stdout.contains("refused the write for the field itself"), "{}", r.stdout);
        assert_other_fields_unchanged(&sim, &t);
        for c in &t.clients {
            assert_eq!(sim.client(c.id).unwrap().fields, c.fields);
        }
    }
}

#[test]
fn a_search_for_refused_clients_is_bounded() {
    // 120 writes; Halo refuses any batch holding one of three clients and does not say which.
    let t = tenant(150);
    let bad = vec![1011, 1057, 1093];
    let sim = Sim::start(t.clone(), Config::default());
    sim.inject(
        Fault::new(Side::Halo, "POST", "/api/client", FaultKind::RejectClientsQuietly(bad.clone())).times(usize::MAX),
    );
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.count("failed"), 3);
    assert_eq!(r.count("updated"), 117);
    for id in &bad {
        assert_eq!(halo_value(&sim, *id), None);
    }
    // First write + probe + 2 batches, and the search: at most 2 log2(100) + 2 requests and
    // 6 more per client at fault (halving costs about log2(100/3) per client at fault).
    let n = writes(&sim);
    assert!(n <= 4 + 16 + 6 * 3, "{n} POSTs");
    eprintln!("{n} POSTs for 3 refused clients among 120");
    assert_other_fields_unchanged(&sim, &t);
}

#[test]
fn one_client_that_drops_writes_does_not_block_the_rest() {
    // The dropping client comes first (the one written alone), then in the middle of a batch.
    for bad in [1001, 1013] {
        let t = tenant(30);
        let sim = Sim::start(t.clone(), Config::default());
        sim.inject(Fault::new(Side::Halo, "POST", "/api/client", FaultKind::DropClientWrite(bad)).times(usize::MAX));
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 2, "{}", r.stdout);
        assert_eq!(r.count("failed"), 1, "{}", r.stdout);
        assert_eq!(r.count("updated"), 23);
        let name = format!("Harbor Client {:03}", bad - 1000);
        assert!(r.org(&name)["detail"].as_str().unwrap().contains("did not keep it"));
        assert_eq!(halo_value(&sim, bad), None);
        assert_other_fields_unchanged(&sim, &t);
    }
}

#[test]
fn ninja_pages_shorter_than_asked_are_not_the_end() {
    let t = tenant(300);
    let sim = Sim::start(t, Config { ninja_page_cap: 200, ..Config::default() });
    let r = run(&sim, &["--dry-run"], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.report.as_ref().unwrap()["orgs"].as_array().unwrap().len(), 300);
    assert_eq!(r.count("would_update"), 240);
}

#[test]
fn a_halo_record_count_too_low_does_not_end_paging() {
    let t = tenant(430);
    let sim = Sim::start(t, Config { halo_record_count_offset: -130, ..Config::default() });
    let r = run(&sim, &[], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.count("no_match"), 0, "every client was seen");
    assert_written_right(&sim, 430);
}

#[test]
fn a_ninja_cursor_that_does_not_advance_or_too_many_values_stop_the_run() {
    for (config, words) in [
        (Config { ninja_cursor_stuck: true, ..Config::default() }, "cursor does not advance"),
        (Config { ninja_query_extra_rows: 3, ..Config::default() }, "answered for 43 organizations"),
    ] {
        let t = tenant(40);
        let sim = Sim::start(t.clone(), config);
        let r = run(&sim, &[], &[]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(words), "{}", r.stderr);
        assert_eq!(writes(&sim), 0);
    }
}

#[test]
fn organizations_without_a_single_value_are_never_ok() {
    // A field the definitions cannot vouch for (an instance without the definitions endpoint),
    // misspelled: organizations come back, none with a value.
    let config = Config { ninja_field_defs: ninja_halo_sim::NinjaFieldDefs::Refused(404), ..Config::default() };
    let sim = Sim::start(tenant(25), config);
    let r = run(&sim, &["--ninja-field", "dtcOrgGUID_typo"], &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.count("no_value"), 25);
    assert!(
        r.stdout
            .contains("attention: none of the 25 NinjaOne organizations has a value in the field 'dtcOrgGUID_typo'"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(exit 3"), "{}", r.stdout);
    assert_eq!(r.report.as_ref().unwrap()["attention"].as_array().unwrap().len(), 1);
    assert_eq!(writes(&sim), 0);
}
