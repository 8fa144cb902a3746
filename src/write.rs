//! The write protocol: how a value gets into one custom field of records (Halo clients now,
//! sites next: a site write is the same protocol on /api/Site) without writing where it should
//! not and without disturbing anything else. First write with its fresh read, the merge/replace
//! probe, batches, narrowing a refused batch, read-back and verification, the stop rules: all
//! here, through a narrow interface to the server (`Records`: read one, read several, list,
//! post), so that each rule has a unit test against an in-memory fake (below).

use crate::halo::{self, FieldDef, Posted, Record};
use crate::http::ApiError;
use crate::output;
use crate::plan;
use serde_json::Value;
use std::collections::HashMap;

/// Records per POST. 100 (as others post to Halo) keeps a first run of 1,000 organizations at
/// 10 write requests; a rejected batch splits in 7 halvings at most, and a batch stays far from
/// Halo's 60 s gateway limit.
pub const WRITE_BATCH: usize = 100;

/// What the protocol needs of the server.
pub trait Records {
    /// The record as the server shows it now.
    fn read(&self, id: i64) -> Result<Record, ApiError>;
    /// Several records, one request each; the answers in the order of `ids`.
    fn read_many(&self, ids: &[i64]) -> Vec<(i64, Result<Record, ApiError>)>;
    /// A complete read of the list, keeping the records `keep` selects.
    fn list(&self, keep: &dyn Fn(i64) -> bool) -> Result<Vec<Record>, ApiError>;
    /// Records a page of the list holds (to choose re-listing or reading one by one).
    fn page_size(&self) -> usize;
    /// One POST of these updates.
    fn post(&self, batch: &[(i64, Value)]) -> Result<Posted, ApiError>;
    /// What the records are (for what the user reads).
    fn kind(&self) -> halo::Kind;
}

/// Why a record was not written, or not written right: typed, and rendered to text in one
/// place (`Display`).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Not attempted: writing stopped before this record.
    Stopped(Stop),
    /// The write whose refusal stopped all writing.
    StoppedHere(Stop),
    /// The record could not be read again just before writing.
    NotReadBefore(String),
    /// Its value changed while the run went on; the next run judges it again.
    Changed,
    /// The server refused this record's write (its answer, described).
    Refused(String),
    /// A batch holding it was refused without naming the record at fault, and the search for it
    /// used up its share of requests.
    Unresolved,
    /// Whole arrays are posted (the server replaces them, or that could not be learned), and
    /// its other fields cannot be posted back exactly.
    Unpostable { replace: bool, why: String },
    /// Written, but reading it back failed.
    NotReadBack(String),
    /// Written, but not found when reading back.
    Missing,
    /// The server accepted the write but did not keep it: what reads back (None: empty).
    NotKept { field: String, reads_back: Option<String> },
    /// The answer when reading it back did not show the field.
    NotShown { field: String },
    /// Written, but the server changed other custom fields of the record.
    Disturbed(Vec<String>),
    /// Written, then emptied when the probe posted its array again (why it was not restored).
    EmptiedByProbe(Box<Failure>),
    /// The server's answer said nothing of this record.
    NoAnswer,
    /// Its own record, read just before or after the write, contradicts the list row the
    /// decision was made on (another record, another client, inactive): not written, or, when
    /// seen after the write, written to a record that is not what the list said.
    Disagrees { written: bool, why: plan::Disagreement },
}

/// Why all writing stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The server refused the write for the field itself (its answer, the field).
    FieldRefused { what: String, field: String },
    /// This many first writes in a row failed; the last one's reason.
    FailuresInARow { count: usize, last: Box<Failure> },
}

/// A failure or a stop as text, about the records written ("client", "site"): the one place
/// the write protocol's outcomes are put into words.
pub struct Said<'a, T>(pub &'a T, pub halo::Kind);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Said(self, halo::Kind::Clients).fmt(f)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Said(self, halo::Kind::Clients).fmt(f)
    }
}

impl std::fmt::Display for Said<'_, Stop> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (noun, plural) = (self.1.noun(), self.1.plural());
        match self.0 {
            Stop::FieldRefused { what, field } => write!(
                f,
                "Halo refused the write for the field itself ({what}); check that the API application's agent may \
                 edit customers and the {noun} field '{field}'"
            ),
            Stop::FailuresInARow { count, last } => match last.as_ref() {
                Failure::NotReadBefore(e) => write!(f, "{count} {plural} in a row could not be written ({e})"),
                other => write!(
                    f,
                    "{count} {plural} in a row did not keep the written value (last: {})",
                    Said(other, self.1)
                ),
            },
        }
    }
}

impl std::fmt::Display for Said<'_, Failure> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (noun, kind) = (self.1.noun(), self.1);
        match self.0 {
            Failure::Stopped(stop) => write!(f, "not written: {}", Said(stop, kind)),
            Failure::StoppedHere(stop) => write!(f, "{}", Said(stop, kind)),
            Failure::NotReadBefore(e) => write!(f, "could not read the {noun} again just before writing: {e}"),
            Failure::Changed => write!(
                f,
                "not written: the {noun}'s value in Halo changed while the run went on; the next run will judge it \
                 again"
            ),
            Failure::Refused(what) => write!(f, "Halo refused the write: {what}"),
            Failure::Unresolved => write!(
                f,
                "not written: Halo refused a batch holding this {noun} without saying which {noun} was at fault, and \
                 the search for it used up its share of requests; the next run tries again"
            ),
            Failure::Unpostable { replace: true, why } => write!(
                f,
                "not written: Halo replaces a {noun}'s whole custom-field array on update, and {why}, so its other \
                 custom fields could not be kept"
            ),
            Failure::Unpostable { replace: false, why } => write!(
                f,
                "not written: it could not be learned whether Halo merges or replaces custom fields on update, and \
                 {why}, so its other custom fields could not be kept"
            ),
            Failure::NotReadBack(e) => write!(f, "written, but reading it back failed: {e}"),
            Failure::Missing => write!(f, "written, but the {noun} was not found when reading it back"),
            Failure::NotKept { field, reads_back } => write!(
                f,
                "Halo accepted the write but did not keep it (reads back {}); check that '{field}' is a {noun} field \
                 the API application's agent may edit",
                reads_back.as_ref().map(|v| format!("'{v}'")).unwrap_or_else(|| "empty".into()),
            ),
            Failure::NotShown { field } => {
                write!(f, "written, but Halo's answer when reading it back did not show '{field}' to check")
            }
            Failure::Disturbed(names) => write!(
                f,
                "the value was written, but Halo changed other custom fields of this {noun}: {}",
                names.join(", ")
            ),
            Failure::EmptiedByProbe(why) => {
                write!(
                    f,
                    "written, then emptied by Halo when its array was posted again ({})",
                    Said(why.as_ref(), kind)
                )
            }
            Failure::NoAnswer => write!(f, "no answer for this {noun}"),
            Failure::Disagrees { written: false, why } => {
                write!(f, "not written: the {noun} was matched on Halo's list, but {why}; check it in Halo")
            }
            Failure::Disagrees { written: true, why } => write!(
                f,
                "written, but reading it back, {why}: it is not the {noun} Halo's list showed; check it in Halo"
            ),
        }
    }
}

/// Per record of a write, as `write_and_verify` reports it.
pub type Outcome = Result<(), Failure>;

/// The records being written, as read (the protocol replaces a record when it reads it again),
/// every field definition (an update may carry a record's whole array) and the field.
pub struct Target<'a> {
    pub records: &'a mut [Record],
    pub defs: &'a [FieldDef],
    pub field: &'a FieldDef,
}

/// Halo's clients or sites as `Records`.
pub struct HaloRecords<'a> {
    pub halo: &'a halo::Halo<'a>,
    pub kind: halo::Kind,
    pub defs: &'a [FieldDef],
}

impl Records for HaloRecords<'_> {
    fn read(&self, id: i64) -> Result<Record, ApiError> {
        self.halo.record(self.kind, id)
    }
    fn read_many(&self, ids: &[i64]) -> Vec<(i64, Result<Record, ApiError>)> {
        self.halo.records_by_id(self.kind, ids)
    }
    fn list(&self, keep: &dyn Fn(i64) -> bool) -> Result<Vec<Record>, ApiError> {
        self.halo.list(self.kind, self.defs, keep)
    }
    fn page_size(&self) -> usize {
        halo::PAGE_SIZE
    }
    fn post(&self, batch: &[(i64, Value)]) -> Result<Posted, ApiError> {
        self.halo.post(self.kind, batch)
    }
    fn kind(&self) -> halo::Kind {
        self.kind
    }
}

/// How this Halo treats the `customfields` of a client update, as learned from the first write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Semantics {
    /// Not learned (no client could be written first): only whole arrays as read are posted.
    Unknown,
    /// Posted entries are merged into the record: only our field is posted.
    Merge,
    /// The posted array replaces the record's: the whole array as read is posted.
    Replace,
}

/// Clients tried one at a time for the first write; failures of the write itself (accepted but
/// not kept, unreadable afterwards) in a row before the field counts as broken.
const FIRST_WRITE_CANDIDATES: usize = 6;
const FIRST_WRITE_FAILURES: usize = 3;

/// Writes the decided values and reads them back.
///
/// 1. First write: one client at a time, read again just before (so an edit made since the
///    list was read is posted as it is now, and a value that appeared meanwhile is not
///    overwritten), posted with its whole array as read (safe whether Halo merges or replaces)
///    and read back. A client-specific failure moves on to the next client; three write
///    failures in a row, or a refusal of the field itself, stop all writing.
/// 2. Probe: that client's array without our field, posted once and read back, tells merge
///    (nothing changes) from replace (our field is emptied, and written again at once).
/// 3. The rest in batches: under merge only our field is posted, so the other fields and any
///    edit a person makes to them meanwhile stay as they are; under replace the whole array as
///    read, and a client whose array cannot be posted back exactly is not written.
pub fn write_and_verify(
    server: &dyn Records,
    t: &mut Target,
    todo: &[(usize, usize)],
    values: &[&str],
    results: &mut [Option<Outcome>],
) {
    let first = first_write(server, t, todo, values, results);
    let rest: Vec<(usize, usize)> = todo.iter().copied().filter(|(k, _)| results[*k].is_none()).collect();
    match first {
        Err(stop) => {
            let kind = server.kind();
            output::warn(&format!("error: {}; stopping before writing the other {}", Said(&stop, kind), kind.plural()));
            for (k, _) in rest {
                results[k] = Some(Err(Failure::Stopped(stop.clone())));
            }
        }
        Ok(semantics) => write_rest(server, t, &rest, semantics, values, results),
    }
}

/// Step 1 and 2 of `write_and_verify`: the semantics learned, or why writing must stop.
fn first_write(
    server: &dyn Records,
    t: &mut Target,
    todo: &[(usize, usize)],
    values: &[&str],
    results: &mut [Option<Outcome>],
) -> Result<Semantics, Stop> {
    let field = t.field.clone();
    let mut failures = 0;
    for &(k, ci) in todo.iter().take(FIRST_WRITE_CANDIDATES) {
        let planned = &t.records[ci];
        let fresh = match server.read(planned.id) {
            Ok(c) => c,
            Err(e) => {
                let failure = Failure::NotReadBefore(e.to_string());
                results[k] = Some(Err(failure.clone()));
                failures += 1;
                if failures == FIRST_WRITE_FAILURES {
                    return Err(Stop::FailuresInARow { count: failures, last: Box::new(failure) });
                }
                continue;
            }
        };
        if let Some(why) = halo::disagreement(planned, &fresh) {
            results[k] = Some(Err(Failure::Disagrees { written: false, why }));
            continue;
        }
        let key = |c: &Record| c.field_value(&field).map(|v| v.map(|v| plan::value_key(&v)));
        if key(&fresh) != key(planned) {
            results[k] = Some(Err(Failure::Changed));
            continue;
        }
        t.records[ci] = fresh;
        let Ok(body) = halo::body_full(&t.records[ci], t.defs, &field, values[k]) else {
            // Not a client to learn from (its array cannot be posted back exactly); it is
            // written with the rest if the semantics allow.
            continue;
        };
        let out = write(server, &[(t.records[ci].id, body)], &field.name);
        if let Some(stop) = out.stop {
            results[k] = Some(Err(Failure::StoppedHere(stop.clone())));
            return Err(stop);
        }
        if let Some((_, Err(e))) = out.results.into_iter().next() {
            // Refused for this client alone (Halo named it, or gave no field-wide reason).
            results[k] = Some(Err(e));
            continue;
        }
        match read_back(server, &t.records[ci], &field, values[k], true) {
            Ok(after) => {
                results[k] = Some(Ok(()));
                t.records[ci] = after;
                let more = todo.iter().any(|(k2, _)| *k2 != k && results[*k2].is_none());
                return Ok(if more { probe(server, t, k, ci, values[k], results) } else { Semantics::Unknown });
            }
            Err(e) => {
                results[k] = Some(Err(e.clone()));
                failures += 1;
                if failures == FIRST_WRITE_FAILURES {
                    return Err(Stop::FailuresInARow { count: failures, last: Box::new(e) });
                }
            }
        }
    }
    Ok(Semantics::Unknown)
}

/// Step 2: posts client `ci`'s array (as just read back, holding our value) without our field
/// and reads it back. Where our value is still there Halo merges; where it was emptied Halo
/// replaces, and it is written again at once. Nothing but our own field can change.
fn probe(
    server: &dyn Records,
    t: &mut Target,
    k: usize,
    ci: usize,
    value: &str,
    results: &mut [Option<Outcome>],
) -> Semantics {
    let field = t.field.clone();
    let before = t.records[ci].clone();
    let Ok(body) = halo::body_without_ours(&before, t.defs, &field) else { return Semantics::Unknown };
    let out = write(server, &[(before.id, body)], &field.name);
    if !matches!(out.results.first(), Some((_, Ok(())))) {
        output::warn("warning: Halo refused the probe write; whole arrays will be posted");
        return Semantics::Unknown;
    }
    // Only the record itself tells: an answer that is another record says nothing of it.
    let kept = server
        .read(before.id)
        .ok()
        .filter(|now| halo::disagreement(&before, now).is_none())
        .and_then(|now| now.field_value(&field));
    let semantics = match &kept {
        Some(Some(v)) if plan::value_key(v) == plan::value_key(value) => return Semantics::Merge,
        Some(None) => Semantics::Replace,
        _ => Semantics::Unknown,
    };
    output::detail(&if semantics == Semantics::Replace {
        format!("Halo replaces a {}'s custom-field array on update: whole arrays will be posted", server.kind().noun())
    } else {
        "the probe write could not be read back clearly: whole arrays will be posted".to_string()
    });
    let restored = halo::body_full(&before, t.defs, &field, value)
        .map_err(|e| Failure::Unpostable { replace: semantics == Semantics::Replace, why: e.to_string() })
        .and_then(|b| match write(server, &[(before.id, b)], &field.name).results.into_iter().next() {
            Some((_, Ok(()))) => read_back(server, &before, &field, value, true),
            Some((_, Err(e))) => Err(e),
            None => Err(Failure::NoAnswer),
        });
    match restored {
        Ok(after) => t.records[ci] = after,
        Err(e) => results[k] = Some(Err(Failure::EmptiedByProbe(Box::new(e)))),
    }
    semantics
}

/// Step 3: the remaining clients in batches, with the body the semantics allow.
fn write_rest(
    server: &dyn Records,
    t: &mut Target,
    rest: &[(usize, usize)],
    semantics: Semantics,
    values: &[&str],
    results: &mut [Option<Outcome>],
) {
    let field = t.field.clone();
    let mut ready: Vec<(usize, usize)> = rest.to_vec();
    if semantics != Semantics::Merge {
        // Whole arrays are posted: each must hold every field, none masked. Clients whose list
        // row does not are read on their own first.
        let unready: Vec<usize> = ready
            .iter()
            .map(|&(_, ci)| ci)
            .filter(|&ci| t.records[ci].others_postable(t.defs, &field).is_err())
            .collect();
        let ids: Vec<i64> = unready.iter().map(|&ci| t.records[ci].id).collect();
        for (&ci, (_, r)) in unready.iter().zip(server.read_many(&ids)) {
            if let Ok(c) = r {
                t.records[ci].disputed = halo::disagreement(&t.records[ci], &c).map(Box::new);
                if t.records[ci].disputed.is_none() {
                    t.records[ci].customfields = c.customfields;
                }
            }
        }
        ready.retain(|&(k, ci)| match (&t.records[ci].disputed, t.records[ci].others_postable(t.defs, &field)) {
            (Some(why), _) => {
                results[k] = Some(Err(Failure::Disagrees { written: false, why: why.as_ref().clone() }));
                false
            }
            (None, Ok(_)) => true,
            (None, Err(why)) => {
                let replace = semantics == Semantics::Replace;
                results[k] = Some(Err(Failure::Unpostable { replace, why: why.to_string() }));
                false
            }
        });
    }
    let mut stop: Option<Stop> = None;
    let mut accepted = Vec::new();
    for chunk in ready.chunks(WRITE_BATCH) {
        if let Some(why) = &stop {
            for &(k, _) in chunk {
                results[k] = Some(Err(Failure::Stopped(why.clone())));
            }
            continue;
        }
        // Bodies are built a batch at a time: at 10,000 clients, building them all first would
        // hold every client's custom fields twice.
        let posted: Vec<(i64, serde_json::Value)> = chunk
            .iter()
            .map(|&(k, ci)| {
                let c = &t.records[ci];
                let body = match semantics {
                    Semantics::Merge => halo::body_ours_only(c.id, &field, t.defs, values[k]),
                    _ => halo::body_full(c, t.defs, &field, values[k]).unwrap_or(serde_json::Value::Null),
                };
                (c.id, body)
            })
            .collect();
        let out = write(server, &posted, &field.name);
        let mut outcome: HashMap<i64, Outcome> = out.results.into_iter().collect();
        for &(k, ci) in chunk {
            match outcome.remove(&t.records[ci].id) {
                Some(Ok(())) => accepted.push((k, ci)),
                Some(Err(e)) => results[k] = Some(Err(e)),
                None => results[k] = Some(Err(Failure::NoAnswer)),
            }
        }
        stop = out.stop;
        if let Some(why) = &stop {
            let kind = server.kind();
            output::warn(&format!("error: {}; stopping before writing the other {}", Said(why, kind), kind.plural()));
        }
    }
    // All batches are read back at once (one pass over the list is cheaper than one per batch).
    // Under merge only our field was posted: a change to another field is a person's, not ours.
    let verified = verify(server, t, &accepted, values, semantics != Semantics::Merge);
    for ((k, _), v) in accepted.iter().zip(verified) {
        results[*k] = Some(v);
    }
}

/// Reads one client back after a write: the value must be there and (with `others`) no other
/// custom field changed.
fn read_back(
    server: &dyn Records,
    before: &Record,
    field: &FieldDef,
    expected: &str,
    others: bool,
) -> Result<Record, Failure> {
    let now = server.read(before.id).map_err(|e| Failure::NotReadBack(e.to_string()))?;
    written_right(before, &now, field, expected, others)?;
    Ok(now)
}

/// Whether a written client reads back right: `expected` kept and (with `others`) no other
/// custom field changed since `before`.
fn written_right(before: &Record, now: &Record, field: &FieldDef, expected: &str, others: bool) -> Outcome {
    if let Some(why) = halo::disagreement(before, now) {
        return Err(Failure::Disagrees { written: true, why });
    }
    kept(now, field, expected)?;
    if others {
        disturbed(before, now, field)?;
    }
    Ok(())
}

/// Whether Halo kept `expected` in the field.
fn kept(now: &Record, field: &FieldDef, expected: &str) -> Outcome {
    match now.field_value(field) {
        Some(Some(v)) if plan::value_key(&v) == plan::value_key(expected) => Ok(()),
        Some(reads_back) => Err(Failure::NotKept { field: field.name.clone(), reads_back }),
        None => Err(Failure::NotShown { field: field.name.clone() }),
    }
}

/// Reads back the written clients (per client, or by re-listing when that is fewer requests)
/// and checks the value stuck and (with `others`) no other custom field changed. `written`
/// holds (decision, client) pairs; the clients in `data` are the state before the write.
fn verify(server: &dyn Records, t: &Target, written: &[(usize, usize)], values: &[&str], others: bool) -> Vec<Outcome> {
    if written.is_empty() {
        return Vec::new();
    }
    let field = t.field;
    let pages = t.records.len().div_ceil(server.page_size()).max(1);
    let ids: std::collections::HashSet<i64> = written.iter().map(|&(_, ci)| t.records[ci].id).collect();
    let mut after: HashMap<i64, Result<Record, crate::http::ApiError>> = HashMap::new();
    if written.len() > pages {
        match server.list(&|id| ids.contains(&id)) {
            // Only rows that show the field count; the others are read one by one.
            Ok(list) => {
                after.extend(list.into_iter().filter(|c| c.field_value(field).is_some()).map(|c| (c.id, Ok(c))))
            }
            Err(e) => {
                let (noun, plural) = (server.kind().noun(), server.kind().plural());
                output::warn(&format!("warning: re-reading the {noun} list failed ({e}); reading {plural} one by one"))
            }
        }
    }
    let missing: Vec<i64> = ids.iter().copied().filter(|id| !after.contains_key(id)).collect();
    after.extend(server.read_many(&missing));
    written
        .iter()
        .map(|&(k, ci)| {
            let before = &t.records[ci];
            let now = match after.get(&before.id) {
                Some(Ok(c)) => c,
                Some(Err(e)) => return Err(Failure::NotReadBack(e.to_string())),
                None => return Err(Failure::Missing),
            };
            written_right(before, now, field, values[k], others)
        })
        .collect()
}

/// Other custom fields that had a value before and differ now (a field the answer does not
/// show counts as changed: it may have been emptied). Each client's fields are decoded once.
fn disturbed(before: &Record, now: &Record, ours: &FieldDef) -> Outcome {
    let (was, is) = (before.field_values(), now.field_values());
    // What field_value would say: the first object of the key, None where there is none.
    type Shown = (String, String, Option<Option<String>>);
    let value = |list: &[Shown], key: &str| list.iter().find(|(k, _, _)| k == key).and_then(|(_, _, v)| v.clone());
    let our_keys = [format!("#{}", ours.id), ours.name.to_lowercase()];
    let mut changed = Vec::new();
    // Every object that showed a value before, masked ones included (Some(None) is empty).
    for (key, name, shown) in &was {
        if *shown == Some(None) || our_keys.contains(key) {
            continue;
        }
        if value(&was, key) != value(&is, key) {
            changed.push(name.clone());
        }
    }
    if changed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Disturbed(changed))
    }
}

/// Posts the updates in batches of WRITE_BATCH. Per client: Ok (Halo accepted it) or why
/// not. A refusal that concerns the field or the API application's rights (401, 403, or a
/// 400 naming the field or a permission) stops all writing: `stop` says why, and every
/// client not yet written carries that reason. A batch refused for some of its clients is
/// narrowed down to them: at once where Halo names their positions (one more request), else
/// by halving within a budget of requests: 2 log2(batch) + 2, and 6 more for each client
/// found at fault. Clients the budget leaves unresolved are not written, and say so.
pub fn write(server: &dyn Records, updates: &[(i64, Value)], field: &str) -> WriteOutcome {
    let mut out = WriteOutcome { results: Vec::new(), stop: None };
    for batch in updates.chunks(WRITE_BATCH) {
        if let Some(why) = &out.stop {
            fail_all_not_written(batch, why, &mut out.results);
            continue;
        }
        let mut budget = 2 * batch.len().next_power_of_two().ilog2() as usize + 2;
        let (_, stop) = settle(server, batch, None, field, &mut budget, &mut out.results, true);
        out.stop = stop;
    }
    out
}

/// Writes `batch`, or learns which of its clients Halo refuses. `refused` is Halo's answer
/// when this exact batch is already known to be refused (so it is not sent again).
/// Returns whether every client was accepted, and the reason to stop writing, if any.
fn settle(
    server: &dyn Records,
    batch: &[(i64, Value)],
    refused: Option<String>,
    field: &str,
    budget: &mut usize,
    out: &mut Vec<(i64, Outcome)>,
    first: bool,
) -> (bool, Option<Stop>) {
    let fail_all = |out: &mut Vec<(i64, Outcome)>, why: Failure| {
        out.extend(batch.iter().map(|(id, _)| (*id, Err(why.clone()))));
    };
    let out_of_budget = |out: &mut Vec<(i64, Outcome)>| fail_all(out, Failure::Unresolved);
    if batch.is_empty() {
        return (true, None);
    }
    // The first sending of a batch is the write itself; every later one is search, and
    // costs budget.
    if refused.is_none() && !first {
        if *budget == 0 {
            out_of_budget(out);
            return (false, None);
        }
        *budget -= 1;
    }
    let refused = match refused {
        Some(r) => r,
        None => match server.post(batch) {
            Ok(Posted::Accepted) => {
                out.extend(batch.iter().map(|(id, _)| (*id, Ok(()))));
                return (true, None);
            }
            Ok(Posted::Refused { status, body, what }) => {
                let what = what.to_string();
                if refusal_is_field_wide(status, &body, field) {
                    let stop = Stop::FieldRefused { what, field: field.to_string() };
                    fail_all(out, Failure::StoppedHere(stop.clone()));
                    return (false, Some(stop));
                }
                let named = named_positions(&body, batch.len());
                if batch.len() > 1 && !named.is_empty() {
                    // Halo said which entries it refuses: those fail, the rest is sent again.
                    let rest: Vec<(i64, Value)> =
                        batch.iter().enumerate().filter(|(i, _)| !named.contains(i)).map(|(_, u)| u.clone()).collect();
                    for &i in &named {
                        out.push((batch[i].0, Err(Failure::Refused(what.clone()))));
                    }
                    *budget += 1;
                    let (_, stop) = settle(server, &rest, None, field, budget, out, false);
                    return (false, stop);
                }
                what
            }
            Err(what) => {
                fail_all(out, Failure::Refused(what.to_string()));
                return (false, None);
            }
        },
    };
    if batch.len() == 1 {
        // One client at fault found: it earns the search more room.
        *budget += 6;
        fail_all(out, Failure::Refused(refused));
        return (false, None);
    }
    if *budget == 0 {
        out_of_budget(out);
        return (false, None);
    }
    output::info(&format!(
        "Halo refused a batch of {} {}; splitting it to find the one(s) at fault",
        batch.len(),
        server.kind().plural()
    ));
    let (a, b) = batch.split_at(batch.len() / 2);
    let (a_ok, stop) = settle(server, a, None, field, budget, out, false);
    if let Some(why) = &stop {
        fail_all_not_written(b, why, out);
        return (false, stop);
    }
    // The whole batch was refused and its first half was not: the fault is in the second.
    let known = if a_ok { Some(refused) } else { None };
    let (_, stop) = settle(server, b, known, field, budget, out, false);
    (false, stop)
}

fn fail_all_not_written(batch: &[(i64, Value)], why: &Stop, out: &mut Vec<(i64, Outcome)>) {
    out.extend(batch.iter().map(|(id, _)| (*id, Err(Failure::Stopped(why.clone())))));
}

/// What the writes came to: per client, Ok or why not; and why writing stopped, if it did.
pub struct WriteOutcome {
    pub results: Vec<(i64, Outcome)>,
    pub stop: Option<Stop>,
}

/// A refusal that no client of the batch can escape: the token or the agent lacks the right
/// (401 after a renewed token, 403), or a validation answer that names the field itself or a
/// permission. Writing more clients would only repeat it.
pub fn refusal_is_field_wide(status: u16, body: &str, field: &str) -> bool {
    if matches!(status, 401 | 403) {
        return true;
    }
    let b = body.to_ascii_lowercase();
    b.contains(&field.to_ascii_lowercase())
        || ["permission", "not allowed", "access denied", "unauthori", "forbidden", "read only", "read-only"]
            .iter()
            .any(|w| b.contains(w))
}

/// The batch positions a validation answer names, as Halo does in its keys (`"[3].id"`).
pub fn named_positions(body: &str, len: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with(']') {
            if let Ok(i) = digits.parse::<usize>() {
                if i < len && !found.contains(&i) {
                    found.push(i);
                }
            }
        }
    }
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart() {
        assert!(refusal_is_field_wide(403, "", "CFDtcClientGuid"));
        assert!(refusal_is_field_wide(400, r#"{"Message":"You do not have permission to edit customers"}"#, "CF"));
        assert!(refusal_is_field_wide(400, r#"{"Message":"CFDtcClientGuid is read only"}"#, "CFDtcClientGuid"));
        assert!(!refusal_is_field_wide(
            400,
            r#"{"Message":"Client 3: Please enter a valid URL","[3].id":"invalid"}"#,
            "CFX"
        ));
        assert_eq!(named_positions(r#"{"[3].id":"invalid","[12].name":"x"}"#, 10), vec![3]);
        assert_eq!(named_positions("no positions [a] [ ]", 10), Vec::<usize>::new());
    }

    use serde_json::json;
    use std::cell::{Cell, RefCell};

    /// An in-memory server: records with custom field objects, merging or replacing posted
    /// arrays, and the faults each rule is about.
    #[derive(Default)]
    struct Fake {
        records: RefCell<HashMap<i64, Vec<Value>>>,
        replace: bool,
        refuse_all: Option<u16>,
        refuse_quietly: Vec<i64>,
        drops: Vec<i64>,
        posts: Cell<usize>,
        bodies: RefCell<Vec<Value>>,
        shapes: halo::FieldShapes,
    }

    fn defs() -> Vec<FieldDef> {
        vec![
            FieldDef { id: 1, name: "CFGuid".into(), label: "GUID".into() },
            FieldDef { id: 2, name: "CFTier".into(), label: "Tier".into() },
            FieldDef { id: 3, name: "CFSecret".into(), label: "Secret".into() },
        ]
    }

    fn fields(secret: Option<&str>) -> Vec<Value> {
        let mut f =
            vec![json!({"id": 1, "name": "CFGuid", "value": ""}), json!({"id": 2, "name": "CFTier", "value": "Gold"})];
        f.push(match secret {
            Some(v) => json!({"id": 3, "name": "CFSecret", "value": v, "isencrypted": true}),
            None => json!({"id": 3, "name": "CFSecret", "value": ""}),
        });
        f
    }

    impl Fake {
        fn with(n: i64) -> Fake {
            let f = Fake::default();
            for id in 1..=n {
                f.records.borrow_mut().insert(id, fields(None));
            }
            f
        }
        fn client(&self, id: i64) -> Record {
            let cf = self.records.borrow()[&id].clone();
            let body = json!({"id": id, "name": format!("C{id}"), "customfields": cf}).to_string();
            halo::parse_record(&body, halo::Kind::Clients, &self.shapes).unwrap()
        }
        fn value(&self, id: i64, field: i64) -> Value {
            self.records.borrow()[&id]
                .iter()
                .find(|f| f["id"] == field)
                .map(|f| f["value"].clone())
                .unwrap_or(Value::Null)
        }
    }

    impl Records for Fake {
        fn read(&self, id: i64) -> Result<Record, ApiError> {
            Ok(self.client(id))
        }
        fn read_many(&self, ids: &[i64]) -> Vec<(i64, Result<Record, ApiError>)> {
            ids.iter().map(|&id| (id, self.read(id))).collect()
        }
        fn list(&self, keep: &dyn Fn(i64) -> bool) -> Result<Vec<Record>, ApiError> {
            let ids: Vec<i64> = self.records.borrow().keys().copied().filter(|id| keep(*id)).collect();
            Ok(ids.into_iter().map(|id| self.client(id)).collect())
        }
        fn page_size(&self) -> usize {
            100
        }
        fn kind(&self) -> halo::Kind {
            halo::Kind::Clients
        }
        fn post(&self, batch: &[(i64, Value)]) -> Result<Posted, ApiError> {
            self.posts.set(self.posts.get() + 1);
            let refuse =
                |status: u16, body: &str| Posted::Refused { status, body: body.into(), what: exchange_of(status) };
            if let Some(status) = self.refuse_all {
                return Ok(refuse(status, "You do not have permission to edit customers"));
            }
            if batch.iter().any(|(id, _)| self.refuse_quietly.contains(id)) {
                return Ok(refuse(400, "The request is invalid."));
            }
            for (id, body) in batch {
                self.bodies.borrow_mut().push(body.clone());
                if self.drops.contains(id) {
                    continue;
                }
                let posted = body["customfields"].as_array().cloned().unwrap_or_default();
                let mut records = self.records.borrow_mut();
                let have = records.get_mut(id).unwrap();
                if self.replace {
                    *have = posted;
                } else {
                    for p in posted {
                        match have.iter_mut().find(|f| f["id"] == p["id"]) {
                            Some(f) => f["value"] = p["value"].clone(),
                            None => have.push(p),
                        }
                    }
                }
            }
            Ok(Posted::Accepted)
        }
    }

    /// A refused POST as the fake describes it.
    fn exchange_of(status: u16) -> Box<crate::error::Exchange> {
        use crate::error::{Answered, Body, Exchange};
        let answer = Answered::Status { status, body: Body::Empty };
        Box::new(Exchange { method: "POST", url: "/api/Client".into(), answer })
    }

    /// Writes `value(k)` to every record of `fake` (ids 1..) as the sync does; per record the outcome.
    fn run(fake: &Fake, n: i64) -> Vec<Result<(), String>> {
        let defs = defs();
        let mut records: Vec<Record> = (1..=n).map(|id| fake.client(id)).collect();
        let field = defs[0].clone();
        let values: Vec<String> = (1..=n).map(|id| format!("value-{id}")).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let todo: Vec<(usize, usize)> = (0..n as usize).map(|i| (i, i)).collect();
        let mut results = vec![None; n as usize];
        write_and_verify(
            fake,
            &mut Target { records: &mut records, defs: &defs, field: &field },
            &todo,
            &values,
            &mut results,
        );
        results.into_iter().map(|r| r.unwrap_or(Err(Failure::NoAnswer)).map_err(|f| f.to_string())).collect()
    }

    #[test]
    fn where_the_server_merges_only_our_field_is_posted_after_the_probe() {
        let fake = Fake::with(5);
        let results = run(&fake, 5);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        for id in 1..=5 {
            assert_eq!(fake.value(id, 1), json!(format!("value-{id}")));
            assert_eq!(fake.value(id, 2), json!("Gold"), "other fields kept");
        }
        // First write (whole array), probe (without ours), then one batch of only our field.
        let bodies = fake.bodies.borrow();
        let last = bodies.last().unwrap();
        assert_eq!(last["customfields"].as_array().unwrap().len(), 1, "{last}");
        assert_eq!(fake.posts.get(), 3);
    }

    #[test]
    fn where_the_server_replaces_whole_arrays_are_posted_and_nothing_is_lost() {
        let fake = Fake { replace: true, ..Fake::with(4) };
        let results = run(&fake, 4);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        for id in 1..=4 {
            assert_eq!(fake.value(id, 1), json!(format!("value-{id}")));
            assert_eq!(fake.value(id, 2), json!("Gold"), "record {id}: other fields kept");
        }
        // The probe emptied the first record's value under replace; it was written again.
        assert!(fake.posts.get() >= 4);
    }

    #[test]
    fn a_refusal_of_the_field_itself_stops_all_writing_at_once() {
        let fake = Fake { refuse_all: Some(403), ..Fake::with(6) };
        let results = run(&fake, 6);
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert!(results[1].as_ref().unwrap_err().contains("not written"), "{results:?}");
        assert_eq!(fake.posts.get(), 1, "one request, then stop");
    }

    #[test]
    fn a_batch_refused_without_naming_its_records_is_narrowed_within_a_budget() {
        let fake = Fake { refuse_quietly: vec![40, 77, 101], ..Fake::with(120) };
        let results = run(&fake, 120);
        let failed: Vec<usize> = results.iter().enumerate().filter(|(_, r)| r.is_err()).map(|(i, _)| i + 1).collect();
        assert_eq!(failed, vec![40, 77, 101]);
        assert!(fake.posts.get() <= 38, "{} requests", fake.posts.get());
    }

    #[test]
    fn a_record_that_drops_writes_fails_alone() {
        let fake = Fake { drops: vec![1, 3], ..Fake::with(5) };
        let results = run(&fake, 5);
        assert!(results[0].as_ref().unwrap_err().contains("did not keep it"), "{results:?}");
        assert!(results[2].as_ref().unwrap_err().contains("did not keep it"), "{results:?}");
        assert!(results[1].is_ok() && results[3].is_ok() && results[4].is_ok(), "{results:?}");
    }

    #[test]
    fn a_masked_field_is_never_posted_and_never_lost() {
        for replace in [false, true] {
            let fake = Fake { replace, ..Fake::with(3) };
            fake.records.borrow_mut().insert(3, fields(Some("********")));
            let results = run(&fake, 3);
            assert_eq!(fake.value(3, 3), json!("********"), "replace {replace}: the secret stays");
            assert!(fake.bodies.borrow().iter().all(|b| !b.to_string().contains("********")), "never posted");
            if replace {
                assert!(results[2].as_ref().unwrap_err().contains("encrypted"), "{results:?}");
            } else {
                assert!(results.iter().all(Result::is_ok), "{results:?}");
            }
        }
    }
}
