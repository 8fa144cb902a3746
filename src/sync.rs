//! Orchestration: read both sides -> decide (plan.rs, pure) -> write -> verify -> report.
//! The only module that calls both the network code and the decision code.

use crate::config::Settings;
use crate::halo::{self, Client, FieldDef, Halo, HaloAuth};
use crate::http::{Http, Side};
use crate::ninja::{Ninja, NinjaAuth, Org};
use crate::output;
use crate::plan::{self, ClientIn, OrgIn, Status};
use crate::report::{self, Counts, OrgLine, Performance, Report, Requests};
use std::collections::HashMap;
use std::time::{Instant, SystemTime};

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
        Err(e) => return finish_fatal(s, started, None, &e, Performance::default()),
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

    // The header is part of the result (SPEC: stdout carries a short header, the lines, the summary).
    output::result(&format!(
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
            Err(e) => return finish_fatal(s, started, None, &e, Performance::default()),
        }
    };
    let mut perf = Performance::default();
    let t = Instant::now();
    let data = match read(s, &halo, &ninja) {
        Ok(d) => d,
        Err(e) => return finish_fatal(s, started, Some(&http), &e, perf),
    };
    perf.read_seconds = t.elapsed().as_secs_f64();
    match decide_and_write(s, &halo, data, &mut perf) {
        Ok(Some(lines)) => finish(s, started, &http, lines, perf),
        Ok(None) => 0,
        Err(e) => finish_fatal(s, started, Some(&http), &e, perf),
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
fn decide_and_write(
    s: &Settings,
    halo: &Halo,
    mut data: Data,
    perf: &mut Performance,
) -> Result<Option<Vec<OrgLine>>, String> {
    let opts = plan_options(s);
    let list_had_values = data.clients.iter().any(|c| c.customfields.is_some());
    // Plan; where the list did not carry the matched clients' current values, read those
    // clients and plan again (at most a few rounds: each round only adds known values).
    let mut rounds = 0;
    let plan = loop {
        let (orgs, clients) = plan_inputs(&data);
        let cpu = crate::util::cpu_seconds();
        let p = plan::plan(&orgs, &clients, &opts);
        if let (Some(a), Some(b)) = (cpu, crate::util::cpu_seconds()) {
            *perf.plan_cpu_seconds.get_or_insert(0.0) += b - a;
        }
        if p.unread.is_empty() || rounds == 3 {
            break p;
        }
        rounds += 1;
        let ids: Vec<i64> = p.unread.iter().map(|&i| data.clients[i].id).collect();
        output::info(&format!(
            "Halo's client list carried no custom field values; reading {} matched clients",
            ids.len()
        ));
        // In the order asked for, so each answer belongs to the same position of `unread`.
        for (&i, (_, r)) in p.unread.iter().zip(halo.clients_by_id(&ids)) {
            data.clients[i].customfields = Some(r?.customfields.unwrap_or_default());
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
        let t = Instant::now();
        let results = write_and_verify(halo, &mut data, &to_write.iter().map(|&i| &decisions[i]).collect::<Vec<_>>());
        perf.write_seconds = t.elapsed().as_secs_f64();
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
            // Ambiguous details already name their candidates; a no_match gets the closest names.
            if d.status == Status::NoMatch && !d.suggestions.is_empty() {
                let closest: Vec<String> = d
                    .suggestions
                    .iter()
                    .map(|&(i, sc)| format!("'{}' (#{}, {:.2})", data.clients[i].name, data.clients[i].id, sc))
                    .collect();
                l.detail.push_str(&format!("; closest Halo names: {}", closest.join(", ")));
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
    let by_id: HashMap<i64, usize> = data.clients.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    // Clients whose full custom fields are not known yet are read first (the update carries
    // the whole array, so a Halo that replaces the array keeps the other fields).
    let missing: Vec<i64> = decisions
        .iter()
        .filter_map(|d| d.client)
        .filter(|&ci| data.clients[ci].customfields.is_none())
        .map(|ci| data.clients[ci].id)
        .collect();
    for (id, r) in halo.clients_by_id(&missing) {
        if let (Some(&ci), Ok(fresh)) = (by_id.get(&id), r) {
            data.clients[ci].customfields = fresh.customfields.or(Some(Vec::new()));
        }
    }
    let data = &*data;
    // (decision, client) pairs to write.
    let mut todo: Vec<(usize, usize)> = Vec::new();
    for (k, d) in decisions.iter().enumerate() {
        match (d.client, d.value.as_deref()) {
            (Some(ci), Some(_)) if data.clients[ci].customfields.is_some() => todo.push((k, ci)),
            (Some(ci), Some(_)) => {
                results[k] = Some(Err(format!(
                    "could not read Halo client #{} before writing; not written",
                    data.clients[ci].id
                )))
            }
            _ => results[k] = Some(Err("internal: a write without a client or value".into())),
        }
    }

    output::info(&format!("writing {} Halo clients", todo.len()));
    let (canary, rest) = todo.split_at(todo.len().min(1));
    for (batch_no, part) in [canary, rest].into_iter().enumerate() {
        let mut ok_now = Vec::new();
        // Update bodies are built a batch at a time: at 10,000 clients, building them all
        // first would hold every client's custom fields twice.
        for chunk in part.chunks(halo::WRITE_BATCH) {
            let posted: Vec<(i64, serde_json::Value)> = chunk
                .iter()
                .map(|&(k, ci)| {
                    let c = &data.clients[ci];
                    (c.id, halo::update_body(c, &data.field, decisions[k].value.as_deref().unwrap_or("")))
                })
                .collect();
            let outcome: HashMap<i64, Result<(), String>> = halo.write(&posted).into_iter().collect();
            for &(k, ci) in chunk {
                match outcome.get(&data.clients[ci].id) {
                    Some(Ok(())) => ok_now.push((k, ci)),
                    Some(Err(e)) => results[k] = Some(Err(format!("Halo refused the write: {e}"))),
                    None => results[k] = Some(Err("no answer for this client".into())),
                }
            }
        }
        let verified = verify(halo, data, &ok_now, decisions);
        let mut canary_failed = None;
        for ((k, _), v) in ok_now.iter().zip(verified) {
            if batch_no == 0 {
                if let Err(e) = &v {
                    canary_failed = Some(e.clone());
                }
            }
            results[*k] = Some(v);
        }
        if let Some(e) = canary_failed {
            output::warn(&format!(
                "error: the first write did not hold ({e}); stopping before writing the other clients"
            ));
            for (k, _) in rest {
                results[*k] = Some(Err(format!("not written: the first write did not hold ({e})")));
            }
            break;
        }
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err("not written".into()))).collect()
}

/// Reads back the written clients (per client, or by re-listing when that is fewer requests)
/// and checks the value stuck and no other custom field changed. `written` holds
/// (decision, client) pairs; the clients in `data` are the state before the write.
fn verify(
    halo: &Halo,
    data: &Data,
    written: &[(usize, usize)],
    decisions: &[&plan::Decision],
) -> Vec<Result<(), String>> {
    if written.is_empty() {
        return Vec::new();
    }
    let field = &data.field;
    let pages = data.clients.len().div_ceil(halo::PAGE_SIZE).max(1);
    let ids: std::collections::HashSet<i64> = written.iter().map(|&(_, ci)| data.clients[ci].id).collect();
    let mut after: HashMap<i64, Result<Client, String>> = HashMap::new();
    if written.len() > pages {
        match halo.clients_where(&data.field_ids, &|id| ids.contains(&id)) {
            Ok(list) if list.iter().any(|c| c.customfields.is_some()) => {
                after.extend(list.into_iter().map(|c| (c.id, Ok(c))));
            }
            Ok(_) => {}
            Err(e) => {
                output::warn(&format!("warning: re-reading the client list failed ({e}); reading clients one by one"))
            }
        }
    }
    let missing: Vec<i64> = ids.iter().copied().filter(|id| !after.contains_key(id)).collect();
    after.extend(halo.clients_by_id(&missing));
    written
        .iter()
        .map(|&(k, ci)| {
            let before = &data.clients[ci];
            let expected = decisions[k].value.as_deref().unwrap_or("");
            let now = match after.get(&before.id) {
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
            disturbed(before, now, &field.name)
        })
        .collect()
}

/// Other custom fields that had a value before and differ now.
fn disturbed(before: &Client, now: &Client, ours: &str) -> Result<(), String> {
    let mut changed = Vec::new();
    for f in before.customfields.iter().flatten() {
        let name = f.name.as_str();
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

fn finish(s: &Settings, started: SystemTime, http: &Http, lines: Vec<OrgLine>, perf: Performance) -> u8 {
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
    write_report(s, started, Some(http), lines, code, None, perf)
}

fn finish_fatal(s: &Settings, started: SystemTime, http: Option<&Http>, error: &str, perf: Performance) -> u8 {
    output::warn(&format!("error: {error}"));
    output::result(&report::summary(&Counts::default(), 1));
    status_field(s, &status_line(&Counts::default(), 1, Some(error)));
    write_report(s, started, http, Vec::new(), 1, Some(error), perf)
}

fn write_report(
    s: &Settings,
    started: SystemTime,
    http: Option<&Http>,
    mut orgs: Vec<OrgLine>,
    code: u8,
    error: Option<&str>,
    mut perf: Performance,
) -> u8 {
    let Some(path) = &s.report else { return code };
    // Every free-text field is redacted on its own, so the report can be streamed to the file
    // (at 10,000 organizations, the report as one string and its redacted copy were the run's
    // peak memory).
    for l in &mut orgs {
        for text in [&mut l.ninja_name, &mut l.detail] {
            *text = output::redact(text);
        }
        for text in [l.value.as_mut(), l.halo_name.as_mut()].into_iter().flatten() {
            *text = output::redact(text);
        }
    }
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        started_at: crate::util::rfc3339(started),
        finished_at: crate::util::rfc3339(SystemTime::now()),
        dry_run: s.dry_run,
        ninja_field: s.ninja_field.clone(),
        halo_field: s.halo_field.clone(),
        counts: Counts::of(&orgs),
        orgs,
        exit_code: code,
        error: error.map(output::redact),
        requests: requests(http),
        performance: {
            perf.peak_rss_kib = crate::util::peak_rss_kib();
            perf
        },
    };
    let written = std::fs::File::create(path).map_err(|e| e.to_string()).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, &report).map_err(|e| e.to_string())?;
        std::io::Write::write_all(&mut w, b"\n").and_then(|_| std::io::Write::flush(&mut w)).map_err(|e| e.to_string())
    });
    if let Err(e) = written {
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
