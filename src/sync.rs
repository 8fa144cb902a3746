//! Orchestration: read both sides -> decide (plan.rs, pure) -> write -> verify -> report.
//! The only module that calls both the network code and the decision code.

use crate::config::Settings;
use crate::halo::{self, Client, FieldDef, Halo, HaloAuth};
use crate::http::{Http, Side};
use crate::ninja::{Ninja, NinjaAuth, Org};
use crate::output;
use crate::plan::{self, ClientIn, OrgIn, Status};
use crate::report::{self, Counts, OrgLine, Report, Requests};
use std::collections::HashMap;
use std::time::SystemTime;

struct Data {
    orgs: Vec<Org>,
    values: HashMap<i64, String>,
    field: FieldDef,
    /// Every client custom field id: the list is asked for all of them, so that an update can
    /// carry the client's whole array and verification can see every field.
    field_ids: Vec<i64>,
    clients: Vec<Client>,
}

pub fn run(s: &Settings) -> u8 {
    let started = SystemTime::now();
    let http = match Http::new(&crate::http::Options {
        timeout: s.timeout,
        deadline: s.deadline,
        halo_rate: s.halo_rate,
        proxy: s.proxy.clone(),
        no_proxy: s.no_proxy.clone(),
        ca_file: s.ca_file.clone(),
        time_scale: s.time_scale,
    }) {
        Ok(h) => h,
        Err(e) => return finish_fatal(s, started, None, &e),
    };
    let halo = Halo {
        http: &http,
        url: s.halo_url.clone(),
        auth: HaloAuth::new(
            &s.halo_auth_url,
            s.halo_tenant.as_deref(),
            &s.halo_client_id,
            &s.halo_client_secret.0,
            &s.halo_scope,
        ),
    };
    let ninja = Ninja { http: &http, auth: NinjaAuth::new(&s.ninja_url, &s.ninja_client_id, &s.ninja_client_secret.0) };

    output::info(&format!(
        "ninja-halo-sync {}: NinjaOne field '{}' -> Halo field '{}'{}",
        env!("CARGO_PKG_VERSION"),
        s.ninja_field,
        s.halo_field,
        if s.dry_run { " (dry run: nothing will be written)" } else { "" }
    ));
    // Only a run that may write takes the lock; a dry run or --explain may overlap anything.
    let _lock = if s.dry_run || s.explain.is_some() {
        None
    } else {
        match crate::lock::acquire(crate::lock::path_for(&s.halo_url)) {
            Ok(l) => Some(l),
            Err(e) => return finish_fatal(s, started, None, &e),
        }
    };
    let data = match read(s, &halo, &ninja) {
        Ok(d) => d,
        Err(e) => return finish_fatal(s, started, Some(&http), &e),
    };
    match decide_and_write(s, &halo, data) {
        Ok(Some(lines)) => finish(s, started, &http, lines),
        Ok(None) => 0,
        Err(e) => finish_fatal(s, started, Some(&http), &e),
    }
}

/// Reads both sides completely, or fails. The Halo field is checked first: a wrong field name
/// stops the run before anything else is read.
fn read(s: &Settings, halo: &Halo, ninja: &Ninja) -> Result<Data, String> {
    let defs = halo.client_fields()?;
    let field = halo::resolve_field(&defs, &s.halo_field)?;
    output::detail(&format!("Halo field '{}' has id {} (label '{}')", field.name, field.id, field.label));
    let field_ids: Vec<i64> = defs.iter().map(|d| d.id).collect();
    let (ninja_side, halo_side) = std::thread::scope(|scope| {
        let n = scope.spawn(|| -> Result<(Vec<Org>, HashMap<i64, String>), String> {
            let orgs = ninja.organizations()?;
            let values = ninja.field_values(&s.ninja_field, &orgs)?;
            Ok((orgs, values))
        });
        let h = scope.spawn(|| halo.clients(&field_ids));
        (n.join(), h.join())
    });
    let (orgs, values) = ninja_side.map_err(|_| "the NinjaOne reader stopped unexpectedly".to_string())??;
    let clients = halo_side.map_err(|_| "the Halo reader stopped unexpectedly".to_string())??;
    output::info(&format!(
        "read {} NinjaOne organizations ({} with a value) and {} Halo clients ({} active)",
        orgs.len(),
        values.len(),
        clients.len(),
        clients.iter().filter(|c| !c.inactive).count()
    ));
    if orgs.is_empty() {
        output::warn("warning: NinjaOne returned no organizations; check the API application's scopes (monitoring)");
    }
    Ok(Data { orgs, values, field, field_ids, clients })
}

fn plan_inputs(data: &Data) -> (Vec<OrgIn>, Vec<ClientIn>) {
    let orgs = data
        .orgs
        .iter()
        .map(|o| OrgIn { id: o.id, name: o.name.clone(), value: data.values.get(&o.id).cloned() })
        .collect();
    let clients = data
        .clients
        .iter()
        .map(|c| ClientIn {
            id: c.id,
            name: c.name.clone(),
            inactive: c.inactive,
            value: c.field_value(&data.field.name),
        })
        .collect();
    (orgs, clients)
}

fn plan_options(s: &Settings) -> plan::Options {
    plan::Options {
        overwrite: s.overwrite,
        any_value: s.any_value,
        include_inactive: s.include_inactive,
        no_fuzzy: s.no_fuzzy,
        mappings: s.mappings.clone(),
        ignore: s.ignore.clone(),
    }
}

/// The report lines, or None when --explain printed its answer instead.
fn decide_and_write(s: &Settings, halo: &Halo, mut data: Data) -> Result<Option<Vec<OrgLine>>, String> {
    let opts = plan_options(s);
    let list_had_values = data.clients.iter().any(|c| c.customfields.is_some());
    // Plan; where the list did not carry the matched clients' current values, read those
    // clients and plan again (at most a few rounds: each round only adds known values).
    let mut rounds = 0;
    let plan = loop {
        let (orgs, clients) = plan_inputs(&data);
        let p = plan::plan(&orgs, &clients, &opts);
        if p.unread.is_empty() || rounds == 3 {
            break p;
        }
        rounds += 1;
        let ids: Vec<i64> = p.unread.iter().map(|&i| data.clients[i].id).collect();
        output::info(&format!(
            "Halo's client list carried no custom field values; reading {} matched clients",
            ids.len()
        ));
        for (id, r) in halo.clients_by_id(&ids) {
            let fresh = r?;
            if let Some(c) = data.clients.iter_mut().find(|c| c.id == id) {
                c.customfields = Some(fresh.customfields.unwrap_or_default());
            }
        }
    };

    if let Some(name) = &s.explain {
        let (orgs, clients) = plan_inputs(&data);
        for l in crate::explain::explain(name, &orgs, &clients, &plan, &opts) {
            output::result(&l);
        }
        return Ok(None);
    }

    let mut decisions = plan.decisions;
    let to_write: Vec<usize> = (0..decisions.len()).filter(|&i| decisions[i].status == Status::WouldUpdate).collect();
    if !s.dry_run && !to_write.is_empty() {
        let results = write_and_verify(halo, &mut data, &to_write.iter().map(|&i| &decisions[i]).collect::<Vec<_>>());
        for (&i, r) in to_write.iter().zip(results) {
            match r {
                Ok(()) => decisions[i].status = Status::Updated,
                Err(e) => {
                    decisions[i].status = Status::Failed;
                    decisions[i].detail = e;
                }
            }
        }
    }
    let lines: Vec<OrgLine> = decisions
        .iter()
        .map(|d| {
            let mut l = report::line(d, d.client.map(|i| (data.clients[i].id, data.clients[i].name.as_str())));
            if matches!(d.status, Status::NoMatch | Status::Ambiguous) && !d.suggestions.is_empty() {
                let closest: Vec<String> = d
                    .suggestions
                    .iter()
                    .map(|&(i, sc)| format!("'{}' (#{}, {:.2})", data.clients[i].name, data.clients[i].id, sc))
                    .collect();
                if !l.detail.contains("closest") && d.status == Status::NoMatch {
                    l.detail.push_str(&format!("; closest Halo names: {}", closest.join(", ")));
                }
            }
            if d.status == Status::NoMatch && !list_had_values && d.value.is_some() {
                l.detail.push_str(
                    " (Halo's client list carries no custom field values here, so a client already holding this \
                     value could not be looked for)",
                );
            }
            l
        })
        .collect();
    if let Some(path) = &s.suggest_map {
        crate::explain::write_suggestions(path, &decisions, &data_names(&data))
            .map_err(|e| format!("cannot write --suggest-map '{}': {e}", path.display()))?;
        output::info(&format!("wrote mapping suggestions to {}", path.display()));
    }
    Ok(Some(lines))
}

fn data_names(data: &Data) -> Vec<(i64, String)> {
    data.clients.iter().map(|c| (c.id, c.name.clone())).collect()
}

/// Writes the decided values and reads them back. The first client is written alone and
/// checked before the rest: if Halo does not keep the value, or disturbs the client's other
/// custom fields, nothing more is written.
fn write_and_verify(halo: &Halo, data: &mut Data, decisions: &[&plan::Decision]) -> Vec<Result<(), String>> {
    let mut results: Vec<Option<Result<(), String>>> = vec![None; decisions.len()];
    // Clients whose full custom fields are not known yet are read first (the update carries
    // the whole array, so a Halo that replaces the array keeps the other fields).
    let missing: Vec<i64> = decisions
        .iter()
        .filter_map(|d| d.client)
        .filter(|&ci| data.clients[ci].customfields.is_none())
        .map(|ci| data.clients[ci].id)
        .collect();
    if !missing.is_empty() {
        for (id, r) in halo.clients_by_id(&missing) {
            if let Some(c) = data.clients.iter_mut().find(|c| c.id == id) {
                if let Ok(fresh) = r {
                    c.customfields = fresh.customfields.or(Some(Vec::new()));
                }
            }
        }
    }
    let field = data.field.clone();
    let mut updates: Vec<(usize, i64, serde_json::Value)> = Vec::new();
    for (k, d) in decisions.iter().enumerate() {
        let (Some(ci), Some(value)) = (d.client, d.value.as_deref()) else {
            results[k] = Some(Err("internal: a write without a client or value".into()));
            continue;
        };
        let c = &data.clients[ci];
        if c.customfields.is_none() {
            results[k] = Some(Err(format!("could not read Halo client #{} before writing; not written", c.id)));
            continue;
        }
        updates.push((k, c.id, halo::update_body(c, &field, value)));
    }
    let before: HashMap<i64, Client> = updates
        .iter()
        .filter_map(|(_, id, _)| data.clients.iter().find(|c| c.id == *id).map(|c| (*id, c.clone())))
        .collect();

    output::info(&format!("writing {} Halo clients", updates.len()));
    let (canary, rest) = updates.split_at(updates.len().min(1));
    let mut written: Vec<(usize, i64)> = Vec::new();
    for (batch_no, part) in [canary, rest].into_iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        let posted: Vec<(i64, serde_json::Value)> = part.iter().map(|(_, id, body)| (*id, body.clone())).collect();
        let outcome: HashMap<i64, Result<(), String>> = halo.write(&posted).into_iter().collect();
        let mut ok_now = Vec::new();
        for (k, id, _) in part {
            match outcome.get(id) {
                Some(Ok(())) => ok_now.push((*k, *id)),
                Some(Err(e)) => results[*k] = Some(Err(format!("Halo refused the write: {e}"))),
                None => results[*k] = Some(Err("no answer for this client".into())),
            }
        }
        let verified = verify(halo, data, &field, &ok_now, decisions, &before);
        let mut canary_failed = None;
        for ((k, _), v) in ok_now.iter().zip(verified) {
            if batch_no == 0 {
                if let Err(e) = &v {
                    canary_failed = Some(e.clone());
                }
            }
            results[*k] = Some(v);
        }
        written.extend(ok_now);
        if let Some(e) = canary_failed {
            output::warn(&format!(
                "error: the first write did not hold ({e}); stopping before writing the other clients"
            ));
            for (k, _, _) in rest {
                results[*k] = Some(Err(format!("not written: the first write did not hold ({e})")));
            }
            break;
        }
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err("not written".into()))).collect()
}

/// Reads back the written clients (per client, or by re-listing when that is fewer requests)
/// and checks the value stuck and no other custom field changed.
fn verify(
    halo: &Halo,
    data: &Data,
    field: &FieldDef,
    written: &[(usize, i64)],
    decisions: &[&plan::Decision],
    before: &HashMap<i64, Client>,
) -> Vec<Result<(), String>> {
    if written.is_empty() {
        return Vec::new();
    }
    let pages = data.clients.len().div_ceil(halo::PAGE_SIZE).max(1);
    let mut after: HashMap<i64, Result<Client, String>> = HashMap::new();
    if written.len() > pages {
        match halo.clients(&data.field_ids) {
            Ok(list) if list.iter().any(|c| c.customfields.is_some()) => {
                for c in list {
                    after.insert(c.id, Ok(c));
                }
            }
            Ok(_) => {}
            Err(e) => {
                output::warn(&format!("warning: re-reading the client list failed ({e}); reading clients one by one"))
            }
        }
    }
    let missing: Vec<i64> = written.iter().map(|(_, id)| *id).filter(|id| !after.contains_key(id)).collect();
    for (id, r) in halo.clients_by_id(&missing) {
        after.insert(id, r);
    }
    written
        .iter()
        .map(|(k, id)| {
            let expected = decisions[*k].value.as_deref().unwrap_or("");
            let now = match after.get(id) {
                Some(Ok(c)) => c,
                Some(Err(e)) => return Err(format!("written, but reading it back failed: {e}")),
                None => return Err("written, but the client was not found when reading it back".into()),
            };
            match now.field_value(&field.name) {
                Some(Some(v)) if plan::value_key(&v) == plan::value_key(expected) => {}
                Some(v) => {
                    return Err(format!(
                        "Halo accepted the write but did not keep it (reads back {}); check that '{}' is a client field the \
                         API application's agent may edit",
                        v.map(|v| format!("'{v}'")).unwrap_or_else(|| "empty".into()),
                        field.name
                    ))
                }
                None => return Err("written, but Halo's read-back carried no custom fields to check".into()),
            }
            disturbed(before.get(id), now, &field.name)
        })
        .collect()
}

/// Other custom fields that had a value before and differ now.
fn disturbed(before: Option<&Client>, now: &Client, ours: &str) -> Result<(), String> {
    let Some(before) = before else { return Ok(()) };
    let mut changed = Vec::new();
    for f in before.customfields.iter().flatten() {
        let Some(name) = f.get("name").and_then(serde_json::Value::as_str) else { continue };
        if name.eq_ignore_ascii_case(ours) {
            continue;
        }
        let old = before.field_value(name).flatten();
        let new = now.field_value(name).flatten();
        if old.is_some() && old != new {
            changed.push(name.to_string());
        }
    }
    if changed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the value was written, but Halo changed other custom fields of this client: {}",
            changed.join(", ")
        ))
    }
}

fn requests(http: Option<&Http>) -> Requests {
    let st = http.map(Http::stats).unwrap_or_default();
    let count = |side: Side| st.requests.iter().filter(|((s, _), _)| *s == side).map(|(_, n)| n).sum();
    Requests {
        ninja: count(Side::Ninja),
        halo: count(Side::Halo),
        retries: st.retries,
        waited_seconds: st.waited.as_secs_f64(),
    }
}

fn finish(s: &Settings, started: SystemTime, http: &Http, lines: Vec<OrgLine>) -> u8 {
    let counts = Counts::of(&lines);
    let code = report::exit_code(&counts);
    for l in &lines {
        if let Some(text) = report::stdout_line(l) {
            output::result(&text);
        }
    }
    output::result(&report::summary(&counts, code));
    status_field(s, &status_line(&counts, code, None));
    let st = http.stats();
    for ((side, endpoint), n) in &st.requests {
        output::detail(&format!("requests: {} {endpoint}: {n}", side.name()));
    }
    write_report(s, started, Some(http), lines, counts, code, None)
}

fn finish_fatal(s: &Settings, started: SystemTime, http: Option<&Http>, error: &str) -> u8 {
    output::warn(&format!("error: {error}"));
    output::result(&report::summary(&Counts::default(), 1));
    status_field(s, &status_line(&Counts::default(), 1, Some(error)));
    write_report(s, started, http, Vec::new(), Counts::default(), 1, Some(error))
}

fn write_report(
    s: &Settings,
    started: SystemTime,
    http: Option<&Http>,
    orgs: Vec<OrgLine>,
    counts: Counts,
    code: u8,
    error: Option<&str>,
) -> u8 {
    let Some(path) = &s.report else { return code };
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        started_at: crate::util::rfc3339(started),
        finished_at: crate::util::rfc3339(SystemTime::now()),
        dry_run: s.dry_run,
        ninja_field: s.ninja_field.clone(),
        halo_field: s.halo_field.clone(),
        counts,
        orgs,
        exit_code: code,
        error: error.map(output::redact),
        requests: requests(http),
    };
    let text = match serde_json::to_string_pretty(&report) {
        Ok(t) => output::redact(&t),
        Err(e) => {
            output::warn(&format!("error: cannot serialise the report: {e}"));
            return 1;
        }
    };
    if let Err(e) = std::fs::write(path, text + "\n") {
        output::warn(&format!("error: cannot write the report to '{}': {e}", path.display()));
        // The sync itself ran; a lost report is a failed write (2) unless the run already failed.
        return if code == 1 { 1 } else { 2 };
    }
    code
}

/// One line for NinjaOne's device field: `2026-11-22T07:00:00Z OK: 412 in sync, 3 updated, 0 need attention`.
pub fn status_line(c: &Counts, code: u8, error: Option<&str>) -> String {
    let when = crate::util::rfc3339(SystemTime::now());
    let outcome = match code {
        0 => "OK",
        2 => "WRITE FAILED",
        3 => "ATTENTION",
        _ => "ERROR",
    };
    match error {
        Some(e) => format!("{when} {outcome}: {}", crate::util::clip(&output::redact(e), 180)),
        None => format!(
            "{when} {outcome}: {} in sync, {} updated, {} need attention, {} failed",
            c.in_sync,
            c.updated + c.would_update,
            c.needing_attention(),
            c.failed
        ),
    }
}

fn status_field(s: &Settings, line: &str) {
    let Some(field) = &s.ninja_status_field else { return };
    let cli = crate::agent::Cli { path: s.ninjarmm_cli.clone() };
    match cli.set(field, line) {
        Ok(()) => output::detail(&format!("wrote the outcome to the NinjaOne device field '{field}'")),
        Err(e) => output::warn(&format!("warning: could not write the outcome to '{field}': {e}")),
    }
}
