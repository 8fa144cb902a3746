//! The write protocol: how a value gets into one custom field of records (Halo clients or
//! sites: the same protocol on /api/Client and /api/Site) without writing where it should not
//! and without disturbing anything else. First write with its fresh read, the merge/replace
//! probe, batches, narrowing a refused batch, read-back and verification, the stop rules: all
//! here, through a narrow interface to the server (`Records`: read one, read several, list,
//! post), so that each rule has a unit test against an in-memory fake (below). It decides and
//! reports (`Event`); it never prints.

use crate::error::{ApiError, Exchange};
use crate::halo::{self, FieldDef, Posted, Record};
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
}

/// One record to write: its position in `Target::records` and the value it is to hold.
#[derive(Clone, Copy, Debug)]
pub struct Job<'v> {
    pub record: usize,
    pub value: &'v str,
}

/// Why a record was not written, or not written right: typed, and put into words in one place
/// (`Said`, which knows whether the records are clients or sites).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Not attempted: writing stopped before this record.
    Stopped(Stop),
    /// The write whose refusal stopped all writing.
    StoppedHere(Stop),
    /// The record could not be read again just before writing.
    NotReadBefore(ApiError),
    /// Its value changed while the run went on; the next run judges it again.
    Changed,
    /// The server refused this record's write (a 4xx answer).
    Refused(Box<Exchange>),
    /// The POST holding it failed without a 4xx answer (no answer, 5xx after the retries).
    PostFailed(ApiError),
    /// A batch holding it was refused without naming the record at fault, and the search for it
    /// used up its share of requests.
    Unresolved,
    /// Whole arrays are posted (the server replaces them, or that could not be learned), and
    /// its other fields cannot be posted back exactly.
    Unpostable { replace: bool, why: halo::Unpostable },
    /// Written, but reading it back failed.
    NotReadBack(ApiError),
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
    FieldRefused { what: Box<Exchange>, field: String },
    /// This many first writes in a row failed; the last one's reason.
    FailuresInARow { count: usize, last: Box<Failure> },
}

/// What the protocol tells the user while it writes; the caller shows it.
#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    /// Writing stopped here: the records not yet written will not be.
    Stopping(&'a Stop),
    /// The probe write was refused: whole arrays will be posted.
    ProbeRefused,
    /// The probe found that Halo replaces a record's custom-field array on update (true), or
    /// could not read its answer clearly (false): whole arrays will be posted.
    WholeArrays { replace: bool },
    /// Re-reading the list to verify the writes failed: the records are read one by one.
    RelistFailed(&'a ApiError),
    /// A batch of this many records was refused without naming the records at fault: it is
    /// split to find them.
    Splitting(usize),
}

/// A failure, a stop or an event as text, about the records written ("client", "site"): the
/// one place the write protocol's outcomes are put into words.
pub struct Said<'a, T: ?Sized>(pub &'a T, pub halo::Kind);

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
            Failure::PostFailed(e) => write!(f, "Halo refused the write: {e}"),
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

impl std::fmt::Display for Said<'_, Event<'_>> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, noun, plural) = (self.1, self.1.noun(), self.1.plural());
        match self.0 {
            Event::Stopping(stop) => {
                write!(f, "error: {}; stopping before writing the other {plural}", Said(*stop, kind))
            }
            Event::ProbeRefused => f.write_str("warning: Halo refused the probe write; whole arrays will be posted"),
            Event::WholeArrays { replace: true } => {
                write!(f, "Halo replaces a {noun}'s custom-field array on update: whole arrays will be posted")
            }
            Event::WholeArrays { replace: false } => {
                f.write_str("the probe write could not be read back clearly: whole arrays will be posted")
            }
            Event::RelistFailed(e) => {
                write!(f, "warning: re-reading the {noun} list failed ({e}); reading {plural} one by one")
            }
            Event::Splitting(n) => {
                write!(f, "Halo refused a batch of {n} {plural}; splitting it to find the one(s) at fault")
            }
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
}

/// How this Halo treats the `customfields` of an update, as learned from the first write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Semantics {
    /// Not learned (no record could be written first): only whole arrays as read are posted.
    Unknown,
    /// Posted entries are merged into the record: only our field is posted.
    Merge,
    /// The posted array replaces the record's: the whole array as read is posted.
    Replace,
}

/// Records tried one at a time for the first write; failures of the write itself (accepted but
/// not kept, unreadable afterwards) before the field counts as broken.
const FIRST_WRITE_CANDIDATES: usize = 6;
const FIRST_WRITE_FAILURES: usize = 3;

/// Writes each job's value and reads it back; one outcome per job, in the order of `jobs`.
/// What the user should see meanwhile goes to `report`.
///
/// 1. First write: one record at a time, read again just before (so an edit made since the
///    list was read is posted as it is now, and a value that appeared meanwhile is not
///    overwritten), posted with its whole array as read (safe whether Halo merges or replaces)
///    and read back. A record-specific failure moves on to the next record; three write
///    failures, or a refusal of the field itself, stop all writing.
/// 2. Probe: that record's array without our field, posted once and read back, tells merge
///    (nothing changes) from replace (our field is emptied, and written again at once).
/// 3. The rest in batches: under merge only our field is posted, so the other fields and any
///    edit a person makes to them meanwhile stay as they are; under replace the whole array as
///    read, and a record whose array cannot be posted back exactly is not written.
pub fn write_and_verify(
    server: &dyn Records,
    target: &mut Target,
    jobs: &[Job],
    report: &dyn Fn(&Event),
) -> Vec<Outcome> {
    let mut w = Writing { server, t: target, jobs, report, outcomes: vec![None; jobs.len()] };
    match w.first_write() {
        Err(stop) => {
            report(&Event::Stopping(&stop));
            for j in w.open() {
                w.outcomes[j] = Some(Err(Failure::Stopped(stop.clone())));
            }
        }
        Ok(semantics) => w.write_rest(semantics),
    }
    // Every step settles the jobs it takes, and the rest takes all the first write left open;
    // a job without an outcome would truthfully be one no answer was had for.
    w.outcomes.into_iter().map(|o| o.unwrap_or(Err(Failure::NoAnswer))).collect()
}

/// One run of the protocol: the jobs and, per job, its outcome once settled.
struct Writing<'a, 't> {
    server: &'a dyn Records,
    t: &'a mut Target<'t>,
    jobs: &'a [Job<'a>],
    report: &'a dyn Fn(&Event),
    outcomes: Vec<Option<Outcome>>,
}

impl Writing<'_, '_> {
    /// The jobs not settled yet.
    fn open(&self) -> Vec<usize> {
        (0..self.jobs.len()).filter(|&j| self.outcomes[j].is_none()).collect()
    }

    fn settle(&mut self, job: usize, outcome: Outcome) {
        self.outcomes[job] = Some(outcome);
    }

    /// Step 1 and 2 of `write_and_verify`: the semantics learned, or why writing must stop.
    fn first_write(&mut self) -> Result<Semantics, Stop> {
        let field = self.t.field.clone();
        let mut failures = 0;
        let mut failed = |this: &mut Self, j: usize, failure: Failure| {
            this.settle(j, Err(failure.clone()));
            failures += 1;
            if failures == FIRST_WRITE_FAILURES {
                return Err(Stop::FailuresInARow { count: failures, last: Box::new(failure) });
            }
            Ok(())
        };
        for j in 0..self.jobs.len().min(FIRST_WRITE_CANDIDATES) {
            let Job { record, value } = self.jobs[j];
            let planned = &self.t.records[record];
            let fresh = match self.server.read(planned.id) {
                Ok(c) => c,
                Err(e) => {
                    failed(self, j, Failure::NotReadBefore(e))?;
                    continue;
                }
            };
            if let Some(why) = halo::disagreement(planned, &fresh) {
                self.settle(j, Err(Failure::Disagrees { written: false, why }));
                continue;
            }
            let key = |c: &Record| c.field_value(&field).map(|v| v.map(|v| plan::value_key(&v)));
            if key(&fresh) != key(planned) {
                self.settle(j, Err(Failure::Changed));
                continue;
            }
            self.t.records[record] = fresh;
            let Ok(body) = halo::body_full(&self.t.records[record], self.t.defs, &field, value) else {
                // Not a record to learn from (its array cannot be posted back exactly); it is
                // written with the rest if the semantics allow.
                continue;
            };
            let out = write(self.server, &[(self.t.records[record].id, body)], &field.name, self.report);
            if let Some(stop) = out.stop {
                self.settle(j, Err(Failure::StoppedHere(stop.clone())));
                return Err(stop);
            }
            if let Some((_, Err(e))) = out.results.into_iter().next() {
                // Refused for this record alone (Halo named it, or gave no field-wide reason).
                self.settle(j, Err(e));
                continue;
            }
            match read_back(self.server, &self.t.records[record], &field, value, true) {
                Ok(after) => {
                    self.settle(j, Ok(()));
                    self.t.records[record] = after;
                    return Ok(if self.open().is_empty() { Semantics::Unknown } else { self.probe(j) });
                }
                Err(e) => failed(self, j, e)?,
            }
        }
        Ok(Semantics::Unknown)
    }

    /// Step 2: posts job `j`'s record's array (as just read back, holding our value) without
    /// our field and reads it back. Where our value is still there Halo merges; where it was
    /// emptied Halo replaces, and it is written again at once. Nothing but our own field can
    /// change.
    fn probe(&mut self, j: usize) -> Semantics {
        let Job { record, value } = self.jobs[j];
        let field = self.t.field.clone();
        let before = self.t.records[record].clone();
        let Ok(body) = halo::body_without_ours(&before, self.t.defs, &field) else { return Semantics::Unknown };
        let out = write(self.server, &[(before.id, body)], &field.name, self.report);
        if !matches!(out.results.first(), Some((_, Ok(())))) {
            (self.report)(&Event::ProbeRefused);
            return Semantics::Unknown;
        }
        // Only the record itself tells: an answer that is another record says nothing of it.
        let kept = self
            .server
            .read(before.id)
            .ok()
            .filter(|now| halo::disagreement(&before, now).is_none())
            .and_then(|now| now.field_value(&field));
        let semantics = match &kept {
            Some(Some(v)) if plan::value_key(v) == plan::value_key(value) => return Semantics::Merge,
            Some(None) => Semantics::Replace,
            _ => Semantics::Unknown,
        };
        let replace = semantics == Semantics::Replace;
        (self.report)(&Event::WholeArrays { replace });
        let restored = halo::body_full(&before, self.t.defs, &field, value)
            .map_err(|why| Failure::Unpostable { replace, why })
            .and_then(|b| {
                match write(self.server, &[(before.id, b)], &field.name, self.report).results.into_iter().next() {
                    Some((_, Ok(()))) => read_back(self.server, &before, &field, value, true),
                    Some((_, Err(e))) => Err(e),
                    None => Err(Failure::NoAnswer),
                }
            });
        match restored {
            Ok(after) => self.t.records[record] = after,
            Err(e) => self.settle(j, Err(Failure::EmptiedByProbe(Box::new(e)))),
        }
        semantics
    }

    /// Step 3: every job still open, in batches, with the body the semantics allow.
    fn write_rest(&mut self, semantics: Semantics) {
        let field = self.t.field.clone();
        let replace = semantics == Semantics::Replace;
        let mut ready = self.open();
        if semantics != Semantics::Merge {
            ready = self.ready_for_whole_arrays(ready, replace);
        }
        let mut stop: Option<Stop> = None;
        let mut accepted = Vec::new();
        for chunk in ready.chunks(WRITE_BATCH) {
            if let Some(why) = &stop {
                for &j in chunk {
                    self.settle(j, Err(Failure::Stopped(why.clone())));
                }
                continue;
            }
            // Bodies are built a batch at a time: at 10,000 records, building them all first
            // would hold every record's custom fields twice.
            let mut posted: Vec<(i64, Value)> = Vec::with_capacity(chunk.len());
            let mut in_batch = Vec::with_capacity(chunk.len());
            for &j in chunk {
                let Job { record, value } = self.jobs[j];
                let r = &self.t.records[record];
                let body = match semantics {
                    Semantics::Merge => Ok(halo::body_ours_only(r.id, &field, self.t.defs, value)),
                    _ => halo::body_full(r, self.t.defs, &field, value),
                };
                match body {
                    Ok(body) => {
                        posted.push((r.id, body));
                        in_batch.push(j);
                    }
                    Err(why) => self.settle(j, Err(Failure::Unpostable { replace, why })),
                }
            }
            let out = write(self.server, &posted, &field.name, self.report);
            let mut answers: HashMap<i64, Outcome> = out.results.into_iter().collect();
            for j in in_batch {
                match answers.remove(&self.t.records[self.jobs[j].record].id) {
                    Some(Ok(())) => accepted.push(j),
                    Some(Err(e)) => self.settle(j, Err(e)),
                    None => self.settle(j, Err(Failure::NoAnswer)),
                }
            }
            stop = out.stop;
            if let Some(why) = &stop {
                (self.report)(&Event::Stopping(why));
            }
        }
        // All batches are read back at once (one pass over the list is cheaper than one per
        // batch). Under merge only our field was posted: a change to another field is a
        // person's, not ours.
        let verified = self.verify(&accepted, semantics != Semantics::Merge);
        for (j, outcome) in accepted.into_iter().zip(verified) {
            self.settle(j, outcome);
        }
    }

    /// Whole arrays are posted: each must hold every field, none masked. Records whose list
    /// row does not are read on their own first; the jobs that can be posted are returned,
    /// the others settled.
    fn ready_for_whole_arrays(&mut self, jobs: Vec<usize>, replace: bool) -> Vec<usize> {
        let field = self.t.field;
        let t = &mut *self.t;
        let unready: Vec<usize> = jobs
            .iter()
            .map(|&j| self.jobs[j].record)
            .filter(|&r| t.records[r].others_postable(t.defs, field).is_err())
            .collect();
        let ids: Vec<i64> = unready.iter().map(|&r| t.records[r].id).collect();
        for (&r, (_, answer)) in unready.iter().zip(self.server.read_many(&ids)) {
            if let Ok(now) = answer {
                t.records[r].disputed = halo::disagreement(&t.records[r], &now).map(Box::new);
                if t.records[r].disputed.is_none() {
                    t.records[r].customfields = now.customfields;
                }
            }
        }
        let mut ready = Vec::with_capacity(jobs.len());
        for j in jobs {
            let r = &self.t.records[self.jobs[j].record];
            match (&r.disputed, r.others_postable(self.t.defs, self.t.field)) {
                (Some(why), _) => {
                    let why = why.as_ref().clone();
                    self.settle(j, Err(Failure::Disagrees { written: false, why }));
                }
                (None, Ok(_)) => ready.push(j),
                (None, Err(why)) => self.settle(j, Err(Failure::Unpostable { replace, why })),
            }
        }
        ready
    }

    /// Reads back the written records (one by one, or by re-listing when that is fewer
    /// requests) and checks the value stuck and (with `others`) no other custom field changed.
    /// The records in the target are the state before the write. One outcome per job of
    /// `written`, in its order.
    fn verify(&self, written: &[usize], others: bool) -> Vec<Outcome> {
        if written.is_empty() {
            return Vec::new();
        }
        let (t, field) = (&*self.t, self.t.field);
        let pages = t.records.len().div_ceil(self.server.page_size()).max(1);
        let ids: std::collections::HashSet<i64> = written.iter().map(|&j| t.records[self.jobs[j].record].id).collect();
        let mut after: HashMap<i64, Result<Record, ApiError>> = HashMap::new();
        if written.len() > pages {
            match self.server.list(&|id| ids.contains(&id)) {
                // Only rows that show the field count; the others are read one by one.
                Ok(list) => {
                    after.extend(list.into_iter().filter(|c| c.field_value(field).is_some()).map(|c| (c.id, Ok(c))))
                }
                Err(e) => (self.report)(&Event::RelistFailed(&e)),
            }
        }
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !after.contains_key(id)).collect();
        after.extend(self.server.read_many(&missing));
        written
            .iter()
            .map(|&j| {
                let Job { record, value } = self.jobs[j];
                let before = &t.records[record];
                match after.get(&before.id) {
                    Some(Ok(now)) => written_right(before, now, field, value, others),
                    Some(Err(e)) => Err(Failure::NotReadBack(e.clone())),
                    None => Err(Failure::Missing),
                }
            })
            .collect()
    }
}

/// Reads one record back after a write: the value must be there and (with `others`) no other
/// custom field changed.
fn read_back(
    server: &dyn Records,
    before: &Record,
    field: &FieldDef,
    expected: &str,
    others: bool,
) -> Result<Record, Failure> {
    let now = server.read(before.id).map_err(Failure::NotReadBack)?;
    written_right(before, &now, field, expected, others)?;
    Ok(now)
}

/// Whether a written record reads back right: `expected` kept and (with `others`) no other
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

/// Other custom fields that had a value before and differ now (a field the answer does not
/// show counts as changed: it may have been emptied). Each record's fields are decoded once.
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

/// Posts the updates in batches of WRITE_BATCH. Per record: Ok (Halo accepted it) or why not.
/// A refusal that concerns the field or the API application's rights (401, 403, or a 400
/// naming the field or a permission) stops all writing: `stop` says why, and every record not
/// yet written carries that reason. A batch refused for some of its records is narrowed down to
/// them: at once where Halo names their positions (one more request), else by halving within
/// a budget of requests (`SEARCH_BUDGET`, and 6 more for each record found at fault). Records
/// the budget leaves unresolved are not written, and say so.
pub fn write(server: &dyn Records, updates: &[(i64, Value)], field: &str, report: &dyn Fn(&Event)) -> WriteOutcome {
    let mut out = WriteOutcome { results: Vec::new(), stop: None };
    for batch in updates.chunks(WRITE_BATCH) {
        if let Some(why) = &out.stop {
            out.results.extend(not_written(batch, why));
            continue;
        }
        let mut search = Search { server, field, report, budget: SEARCH_BUDGET, results: Vec::new(), stop: None };
        search.post(batch, false);
        out.results.extend(search.results);
        out.stop = search.stop;
    }
    out
}

/// Requests the search for the records at fault in one refused batch may make before its first
/// find: two descents through a full batch (7 halvings each) and 2 more. A budget that grew with
/// the batch (2 log2(batch) + 2, as before) made no difference to any search: against thousands
/// of sampled patterns of refusals, for batches of 3 to 100, a budget above that formula changed
/// neither a result nor a request, because each find earns 6 more (the test
/// `a_budget_above_the_start_changes_no_search` holds it so).
const SEARCH_BUDGET: usize = 16;

/// Every record of `batch` not written, because writing stopped.
fn not_written<'a>(batch: &'a [(i64, Value)], why: &'a Stop) -> impl Iterator<Item = (i64, Outcome)> + 'a {
    batch.iter().map(|(id, _)| (*id, Err(Failure::Stopped(why.clone()))))
}

/// What the writes came to: per record, Ok or why not; and why writing stopped, if it did.
pub struct WriteOutcome {
    pub results: Vec<(i64, Outcome)>,
    pub stop: Option<Stop>,
}

/// The writing of one batch and, where Halo refuses it without naming the records at fault,
/// the search for them: what each record came to, the requests the search may still make.
struct Search<'a> {
    server: &'a dyn Records,
    field: &'a str,
    report: &'a dyn Fn(&Event),
    budget: usize,
    results: Vec<(i64, Outcome)>,
    stop: Option<Stop>,
}

impl Search<'_> {
    fn fail_all(&mut self, batch: &[(i64, Value)], why: Failure) {
        self.results.extend(batch.iter().map(|(id, _)| (*id, Err(why.clone()))));
    }

    /// Posts `batch` — the write itself, or (`searching`) a step of the search, which costs
    /// budget — and settles what the answer settles; a refusal that names no record is
    /// narrowed down. Whether every record of it was accepted.
    fn post(&mut self, batch: &[(i64, Value)], searching: bool) -> bool {
        if batch.is_empty() {
            return true;
        }
        if searching {
            if self.budget == 0 {
                self.fail_all(batch, Failure::Unresolved);
                return false;
            }
            self.budget -= 1;
        }
        match self.server.post(batch) {
            Ok(Posted::Accepted) => {
                self.results.extend(batch.iter().map(|(id, _)| (*id, Ok(()))));
                true
            }
            Ok(Posted::Refused { status, body, what }) => {
                if refusal_is_field_wide(status, &body, self.field) {
                    let stop = Stop::FieldRefused { what, field: self.field.to_string() };
                    self.fail_all(batch, Failure::StoppedHere(stop.clone()));
                    self.stop = Some(stop);
                    return false;
                }
                let named = named_positions(&body, batch.len());
                if batch.len() > 1 && !named.is_empty() {
                    // Halo said which entries it refuses: those fail, the rest is sent again.
                    for &i in &named {
                        self.results.push((batch[i].0, Err(Failure::Refused(what.clone()))));
                    }
                    let rest: Vec<(i64, Value)> =
                        batch.iter().enumerate().filter(|(i, _)| !named.contains(i)).map(|(_, u)| u.clone()).collect();
                    self.budget += 1;
                    self.post(&rest, true);
                } else {
                    self.narrow(batch, what);
                }
                false
            }
            Err(e) => {
                self.fail_all(batch, Failure::PostFailed(e));
                false
            }
        }
    }

    /// Finds the records at fault in `batch`, which Halo refused (`refused`, its answer) without
    /// naming them, by halving: a half accepted clears its records; the other is searched on.
    fn narrow(&mut self, batch: &[(i64, Value)], refused: Box<Exchange>) {
        if batch.len() == 1 {
            // One record at fault found: it earns the search more room.
            self.budget += 6;
            self.fail_all(batch, Failure::Refused(refused));
            return;
        }
        if self.budget == 0 {
            self.fail_all(batch, Failure::Unresolved);
            return;
        }
        (self.report)(&Event::Splitting(batch.len()));
        let (a, b) = batch.split_at(batch.len() / 2);
        let a_accepted = self.post(a, true);
        if let Some(why) = self.stop.clone() {
            self.results.extend(not_written(b, &why));
        } else if a_accepted {
            // The whole batch was refused and its first half was not: the fault is in the
            // second, which need not be sent again to learn that.
            self.narrow(b, refused);
        } else {
            self.post(b, true);
        }
    }
}

/// A refusal that no record of the batch can escape: the token or the agent lacks the right
/// (401 after a renewed token, 403), or a validation answer that names the field itself or a
/// permission. Writing more records would only repeat it.
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
    let mut found: Vec<usize> = body
        .split('[')
        .skip(1)
        .filter_map(|after| {
            let (inside, _) = after.split_once(']')?;
            // Digits only (a sign or a space is no position); parse refuses the empty string.
            inside.bytes().all(|b| b.is_ascii_digit()).then(|| inside.parse::<usize>().ok())?
        })
        .filter(|&i| i < len)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Answered, Body};
    use crate::plan::Disagreement;
    use serde_json::json;
    use std::cell::{Cell, RefCell};
    use std::collections::HashSet;

    #[test]
    fn refusals_are_told_apart() {
        assert!(refusal_is_field_wide(403, "", "CFDtcClientGuid"));
        assert!(refusal_is_field_wide(401, "", "CFDtcClientGuid"));
        assert!(!refusal_is_field_wide(400, "", "CFDtcClientGuid"));
        assert!(refusal_is_field_wide(400, r#"{"Message":"You do not have permission to edit customers"}"#, "CF"));
        assert!(refusal_is_field_wide(400, r#"{"Message":"CFDtcClientGuid is read only"}"#, "CFDtcClientGuid"));
        assert!(!refusal_is_field_wide(
            400,
            r#"{"Message":"Client 3: Please enter a valid URL","[3].id":"invalid"}"#,
            "CFX"
        ));
    }

    #[test]
    fn only_positions_inside_the_batch_are_named() {
        assert_eq!(named_positions(r#"{"[3].id":"invalid","[12].name":"x"}"#, 10), vec![3]);
        assert_eq!(named_positions(r#"{"[9].id":"x","[10].id":"y"}"#, 10), vec![9], "10 is past a batch of 10");
        assert_eq!(named_positions(r#"{"[0].id":"x","[0].name":"y"}"#, 1), vec![0], "named once");
        assert_eq!(named_positions(r#"[2] [1]"#, 3), vec![1, 2], "in order");
        assert_eq!(named_positions("no positions [a] [ ] [1 ] [-1]", 10), Vec::<usize>::new());
    }

    /// An in-memory server: records with custom field objects, merging or replacing posted
    /// arrays, and the faults each rule is about.
    #[derive(Default)]
    struct Fake {
        records: RefCell<HashMap<i64, Vec<Value>>>,
        /// The posted array replaces the record's: fields not posted are emptied (else posted
        /// entries are merged).
        replace: bool,
        /// Every POST is refused with this status and a permission message.
        refuse_all: Option<u16>,
        /// A POST holding any of these is refused (400) without naming them.
        refuse_quietly: Vec<i64>,
        /// A POST holding any of these is refused (400), naming their positions.
        refuse_named: Vec<i64>,
        /// These POSTs (1 is the first) are refused (400) without naming a record.
        refuse_posts: Vec<usize>,
        /// These POSTs fail without an answer.
        fail_posts: Vec<usize>,
        /// Writes to these are accepted and not kept.
        drops: Vec<i64>,
        /// Writes to this record are not kept from this POST on.
        drops_from_post: Option<(i64, usize)>,
        /// From this POST on every POST is refused for the field (403).
        refuse_from: Cell<Option<usize>>,
        /// A write to these also changes their CFTier.
        disturbs: Vec<i64>,
        /// A POST without our field sets it to this (a server that fills a default in).
        probe_leaves: Option<&'static str>,
        /// Every read of these fails.
        unreadable: Vec<i64>,
        /// Reads of these fail once they were written.
        unreadable_after_write: Vec<i64>,
        /// Reading these answers another record (id + 1000): always, or once written.
        answers_other: Vec<i64>,
        answers_other_after_write: Vec<i64>,
        /// Once written, these show no CFGuid object.
        hides_after_write: Vec<i64>,
        /// Once written, these are in no list and no answer of several.
        vanishes_after_write: Vec<i64>,
        /// Re-reading the list fails.
        list_fails: bool,
        /// Records a list page holds (0: 100).
        page: usize,
        written: RefCell<HashSet<i64>>,
        posts: Cell<usize>,
        reads: Cell<usize>,
        lists: Cell<usize>,
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

    fn failed_read() -> ApiError {
        let exchange = Box::new(Exchange {
            method: "GET",
            url: "/api/Client/1".into(),
            answer: Answered::Status { status: 500, body: Body::Empty },
        });
        ApiError::Unreadable { what: "Halo client".into(), exchange, why: String::new() }
    }

    /// A refused POST as the fake describes it.
    fn exchange_of(status: u16) -> Box<Exchange> {
        let answer = Answered::Status { status, body: Body::Empty };
        Box::new(Exchange { method: "POST", url: "/api/Client".into(), answer })
    }

    impl Fake {
        fn with(n: i64) -> Fake {
            let f = Fake::default();
            for id in 1..=n {
                f.records.borrow_mut().insert(id, fields(None));
            }
            f
        }
        fn record(&self, id: i64) -> Record {
            let written = self.written.borrow().contains(&id);
            let mut cf = self.records.borrow()[&id].clone();
            if written && self.hides_after_write.contains(&id) {
                cf.retain(|f| f["id"] != 1);
            }
            let other = self.answers_other.contains(&id) || written && self.answers_other_after_write.contains(&id);
            let shown = if other { id + 1000 } else { id };
            let body = json!({"id": shown, "name": format!("C{id}"), "customfields": cf}).to_string();
            halo::parse_record(&body, halo::Kind::Clients, &self.shapes).unwrap()
        }
        fn value(&self, id: i64, field: i64) -> Value {
            self.records.borrow()[&id]
                .iter()
                .find(|f| f["id"] == field)
                .map(|f| f["value"].clone())
                .unwrap_or(Value::Null)
        }
        fn set(&self, id: i64, field: i64, value: &str) {
            let mut records = self.records.borrow_mut();
            let f = records.get_mut(&id).unwrap().iter_mut().find(|f| f["id"] == field).unwrap();
            f["value"] = json!(value);
        }
        fn gone(&self, id: i64) -> bool {
            self.vanishes_after_write.contains(&id) && self.written.borrow().contains(&id)
        }
        /// The posted bodies of one record, in order.
        fn bodies_of(&self, id: i64) -> Vec<Value> {
            self.bodies.borrow().iter().filter(|b| b["id"] == id).cloned().collect()
        }
    }

    impl Records for Fake {
        fn read(&self, id: i64) -> Result<Record, ApiError> {
            self.reads.set(self.reads.get() + 1);
            let written = self.written.borrow().contains(&id);
            if self.unreadable.contains(&id) || written && self.unreadable_after_write.contains(&id) {
                return Err(failed_read());
            }
            Ok(self.record(id))
        }
        fn read_many(&self, ids: &[i64]) -> Vec<(i64, Result<Record, ApiError>)> {
            ids.iter().filter(|&&id| !self.gone(id)).map(|&id| (id, self.read(id))).collect()
        }
        fn list(&self, keep: &dyn Fn(i64) -> bool) -> Result<Vec<Record>, ApiError> {
            self.lists.set(self.lists.get() + 1);
            if self.list_fails {
                return Err(failed_read());
            }
            // A record that cannot be read once written is not on the list either.
            let shown = |id: i64| !self.gone(id) && !self.unreadable_after_write.contains(&id);
            let mut ids: Vec<i64> = self.records.borrow().keys().copied().filter(|&id| keep(id) && shown(id)).collect();
            ids.sort_unstable();
            Ok(ids.into_iter().map(|id| self.record(id)).collect())
        }
        fn page_size(&self) -> usize {
            if self.page == 0 {
                100
            } else {
                self.page
            }
        }
        fn post(&self, batch: &[(i64, Value)]) -> Result<Posted, ApiError> {
            self.posts.set(self.posts.get() + 1);
            let n = self.posts.get();
            let refuse = |status: u16, body: String| Posted::Refused { status, body, what: exchange_of(status) };
            if let Some(status) = self.refuse_all.or(self.refuse_from.get().filter(|&from| n >= from).map(|_| 403)) {
                return Ok(refuse(status, "You do not have permission to edit customers".into()));
            }
            if self.fail_posts.contains(&n) {
                return Err(ApiError::PostFailed { exchange: exchange_of(502) });
            }
            let named: Vec<String> = batch
                .iter()
                .enumerate()
                .filter(|(_, (id, _))| self.refuse_named.contains(id))
                .map(|(i, _)| format!(r#""[{i}].id":"invalid""#))
                .collect();
            if !named.is_empty() {
                return Ok(refuse(400, format!("{{{}}}", named.join(","))));
            }
            if self.refuse_posts.contains(&n) || batch.iter().any(|(id, _)| self.refuse_quietly.contains(id)) {
                return Ok(refuse(400, "The request is invalid.".into()));
            }
            for (id, body) in batch {
                self.bodies.borrow_mut().push(body.clone());
                self.written.borrow_mut().insert(*id);
                if self.drops.contains(id) || self.drops_from_post.is_some_and(|(d, from)| d == *id && n >= from) {
                    continue;
                }
                let posted = body["customfields"].as_array().cloned().unwrap_or_default();
                let without_ours = !posted.iter().any(|f| f["id"] == 1);
                let mut records = self.records.borrow_mut();
                let have = records.get_mut(id).unwrap();
                if self.replace {
                    // The record keeps showing every field of its type, as Halo's do: what was
                    // not posted is emptied.
                    for f in have.iter_mut() {
                        f["value"] = json!("");
                    }
                }
                for p in posted {
                    match have.iter_mut().find(|f| f["id"] == p["id"]) {
                        Some(f) => f["value"] = p["value"].clone(),
                        None => have.push(p),
                    }
                }
                if let (true, Some(default)) = (without_ours, self.probe_leaves) {
                    match have.iter_mut().find(|f| f["id"] == 1) {
                        Some(f) => f["value"] = json!(default),
                        None => have.push(json!({"id": 1, "name": "CFGuid", "value": default})),
                    }
                }
                if self.disturbs.contains(id) {
                    if let Some(f) = have.iter_mut().find(|f| f["id"] == 2) {
                        f["value"] = json!("Silver");
                    }
                }
            }
            Ok(Posted::Accepted)
        }
    }

    /// What a run came to: per record (ids 1..) its outcome, and the events as the user reads them.
    struct Ran {
        outcomes: Vec<Outcome>,
        events: Vec<String>,
    }

    impl Ran {
        fn ok(&self, id: i64) -> bool {
            self.outcomes[id as usize - 1].is_ok()
        }
        fn failure(&self, id: i64) -> &Failure {
            self.outcomes[id as usize - 1].as_ref().unwrap_err()
        }
        fn all_ok(&self, ids: impl IntoIterator<Item = i64>) -> bool {
            ids.into_iter().all(|id| self.ok(id))
        }
    }

    /// Writes `value-<id>` to every record of `fake` (ids 1..=n), as listed now.
    fn run(fake: &Fake, n: i64) -> Ran {
        let listed = (1..=n).map(|id| fake.record(id)).collect();
        run_listed(fake, listed, |_| {})
    }

    /// Writes `value-<id>` to the `listed` records (the run's list read), after `meanwhile`
    /// (what happens in Halo between the list read and the writes).
    fn run_listed(fake: &Fake, mut listed: Vec<Record>, meanwhile: impl FnOnce(&Fake)) -> Ran {
        let defs = defs();
        let field = defs[0].clone();
        let values: Vec<String> = listed.iter().map(|r| format!("value-{}", r.id)).collect();
        let jobs: Vec<Job> = values.iter().enumerate().map(|(record, v)| Job { record, value: v }).collect();
        meanwhile(fake);
        let events = RefCell::new(Vec::new());
        let outcomes =
            write_and_verify(fake, &mut Target { records: &mut listed, defs: &defs, field: &field }, &jobs, &|e| {
                events.borrow_mut().push(Said(e, halo::Kind::Clients).to_string())
            });
        assert_eq!(outcomes.len(), jobs.len(), "one outcome per job");
        Ran { outcomes, events: events.into_inner() }
    }

    fn written_value(id: i64) -> Value {
        json!(format!("value-{id}"))
    }

    #[test]
    fn where_the_server_merges_only_our_field_is_posted_after_the_probe() {
        let fake = Fake::with(5);
        let ran = run(&fake, 5);
        assert!(ran.all_ok(1..=5), "{:?}", ran.outcomes);
        for id in 1..=5 {
            assert_eq!(fake.value(id, 1), written_value(id));
            assert_eq!(fake.value(id, 2), json!("Gold"), "other fields kept");
        }
        // First write (whole array), probe (without ours), then one batch of only our field.
        assert_eq!(fake.posts.get(), 3);
        for id in 2..=5 {
            let bodies = fake.bodies_of(id);
            assert_eq!(bodies.len(), 1);
            assert_eq!(bodies[0]["customfields"], json!([{"id": 1, "name": "CFGuid", "value": format!("value-{id}")}]));
        }
        assert!(ran.events.is_empty(), "{:?}", ran.events);
    }

    #[test]
    fn where_the_server_replaces_whole_arrays_are_posted_and_nothing_is_lost() {
        let fake = Fake { replace: true, ..Fake::with(4) };
        let ran = run(&fake, 4);
        assert!(ran.all_ok(1..=4), "{:?}", ran.outcomes);
        for id in 1..=4 {
            assert_eq!(fake.value(id, 1), written_value(id));
            assert_eq!(fake.value(id, 2), json!("Gold"), "record {id}: other fields kept");
        }
        // Record 1: first write, probe (without ours: the server empties it), written again.
        let first = fake.bodies_of(1);
        assert_eq!(first.len(), 3);
        assert!(!first[1].to_string().contains("CFGuid"), "the probe posts the array without ours");
        assert_eq!(fake.posts.get(), 4, "first write, probe, rewrite, one batch");
        // Every other record: one body with its whole array, our value in it.
        for id in 2..=4 {
            let bodies = fake.bodies_of(id);
            assert_eq!(bodies.len(), 1);
            let posted: HashMap<i64, Value> = bodies[0]["customfields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["id"].as_i64().unwrap(), f["value"].clone()))
                .collect();
            assert_eq!(posted.len(), 3, "record {id}: the whole array: {}", bodies[0]);
            assert_eq!(posted[&1], written_value(id));
            assert_eq!(posted[&2], json!("Gold"));
        }
        assert_eq!(ran.events, ["Halo replaces a client's custom-field array on update: whole arrays will be posted"]);
    }

    #[test]
    fn a_refusal_of_the_field_itself_stops_all_writing_at_once() {
        let fake = Fake { refuse_all: Some(403), ..Fake::with(6) };
        let ran = run(&fake, 6);
        let stop = Stop::FieldRefused { what: exchange_of(403), field: "CFGuid".into() };
        assert_eq!(ran.failure(1), &Failure::StoppedHere(stop.clone()));
        for id in 2..=6 {
            assert_eq!(ran.failure(id), &Failure::Stopped(stop.clone()));
        }
        assert_eq!(fake.posts.get(), 1, "one request, then stop");
        assert_eq!(ran.events.len(), 1);
        assert!(ran.events[0].starts_with("error: Halo refused the write for the field itself"), "{:?}", ran.events);
        assert!(ran.events[0].ends_with("stopping before writing the other clients"), "{:?}", ran.events);
    }

    #[test]
    fn a_field_refused_in_one_batch_leaves_the_later_batches_unsent() {
        let updates: Vec<(i64, Value)> = (1..=150).map(|id| (id, json!({"id": id}))).collect();
        let fake = Fake { refuse_all: Some(401), ..Fake::with(150) };
        let out = write(&fake, &updates, "CFGuid", &|_| {});
        assert_eq!(fake.posts.get(), 1);
        assert_eq!(out.results.len(), 150);
        let stop = Stop::FieldRefused { what: exchange_of(401), field: "CFGuid".into() };
        assert_eq!(out.stop, Some(stop.clone()));
        assert!(out.results[..100].iter().all(|(_, o)| *o == Err(Failure::StoppedHere(stop.clone()))));
        assert!(out.results[100..].iter().all(|(_, o)| *o == Err(Failure::Stopped(stop.clone()))));
    }

    #[test]
    fn a_refusal_found_while_searching_stops_the_search_and_the_batches_after_it() {
        // 250 records: first write, probe, then batches of 100, 100 and 49. The first batch is
        // refused quietly (5th POST: its first half) and then for the field (a permission
        // answer while searching): nothing more is sent.
        let fake = Fake { refuse_posts: vec![3], ..Fake::with(250) };
        fake.refuse_from.set(Some(4));
        let ran = run(&fake, 250);
        assert!(ran.ok(1));
        assert_eq!(fake.posts.get(), 4, "first write, probe, batch, its first half");
        let stop = Stop::FieldRefused { what: exchange_of(403), field: "CFGuid".into() };
        for id in 2..=51 {
            assert_eq!(ran.failure(id), &Failure::StoppedHere(stop.clone()), "{id}");
        }
        for id in 52..=250 {
            assert_eq!(ran.failure(id), &Failure::Stopped(stop.clone()), "{id}");
        }
        assert!(ran.events.iter().any(|e| e.starts_with("error: Halo refused the write for the field itself")));
    }

    #[test]
    fn three_first_writes_not_kept_stop_writing() {
        let fake = Fake { drops: vec![1, 2, 3], ..Fake::with(8) };
        let ran = run(&fake, 8);
        for id in 1..=3 {
            assert_eq!(ran.failure(id), &Failure::NotKept { field: "CFGuid".into(), reads_back: None });
        }
        let last = Box::new(Failure::NotKept { field: "CFGuid".into(), reads_back: None });
        let stop = Stop::FailuresInARow { count: 3, last };
        for id in 4..=8 {
            assert_eq!(ran.failure(id), &Failure::Stopped(stop.clone()));
        }
        assert_eq!(fake.posts.get(), 3);
        assert_eq!(fake.value(4, 1), json!(""));
    }

    #[test]
    fn two_first_writes_not_kept_do_not_stop_writing() {
        let fake = Fake { drops: vec![1, 2], ..Fake::with(8) };
        let ran = run(&fake, 8);
        assert!(matches!(ran.failure(1), Failure::NotKept { .. }) && matches!(ran.failure(2), Failure::NotKept { .. }));
        assert!(ran.all_ok(3..=8), "{:?}", ran.outcomes);
        assert_eq!(fake.posts.get(), 5, "three first writes, the probe, one batch");
    }

    #[test]
    fn records_that_cannot_be_read_before_writing_stop_writing_at_the_third() {
        let fake = Fake { unreadable: vec![1, 2, 3], ..Fake::with(5) };
        let ran = run(&fake, 5);
        for id in 1..=3 {
            assert_eq!(ran.failure(id), &Failure::NotReadBefore(failed_read()));
        }
        let stop = Stop::FailuresInARow { count: 3, last: Box::new(Failure::NotReadBefore(failed_read())) };
        assert_eq!(ran.failure(4), &Failure::Stopped(stop));
        assert_eq!(fake.posts.get(), 0, "nothing was posted");
        assert!(Said(ran.failure(5), halo::Kind::Sites).to_string().contains("3 sites in a row could not be written"));
    }

    #[test]
    fn a_value_that_appeared_after_the_list_was_read_is_not_overwritten() {
        let fake = Fake::with(3);
        let listed = (1..=3).map(|id| fake.record(id)).collect();
        let ran = run_listed(&fake, listed, |fake| fake.set(1, 1, "set-by-a-person"));
        assert_eq!(ran.failure(1), &Failure::Changed);
        assert_eq!(fake.value(1, 1), json!("set-by-a-person"));
        assert!(fake.bodies_of(1).is_empty(), "never posted");
        assert!(ran.all_ok(2..=3));
    }

    #[test]
    fn an_edit_to_another_field_since_the_list_was_read_is_posted_as_it_is_now() {
        let fake = Fake { replace: true, ..Fake::with(2) };
        let listed = (1..=2).map(|id| fake.record(id)).collect();
        let ran = run_listed(&fake, listed, |fake| fake.set(1, 2, "Platinum"));
        assert!(ran.all_ok(1..=2), "{:?}", ran.outcomes);
        assert_eq!(fake.value(1, 2), json!("Platinum"), "the fresh read is what is posted");
    }

    #[test]
    fn records_halo_names_in_its_refusal_fail_and_the_rest_is_sent_again() {
        let fake = Fake { refuse_named: vec![3, 5], ..Fake::with(6) };
        let ran = run(&fake, 6);
        assert_eq!(ran.failure(3), &Failure::Refused(exchange_of(400)));
        assert_eq!(ran.failure(5), &Failure::Refused(exchange_of(400)));
        assert!(ran.all_ok([1, 2, 4, 6]), "{:?}", ran.outcomes);
        assert_eq!(fake.posts.get(), 4, "first write, probe, the batch, the batch without 3 and 5");
        assert_eq!(fake.value(3, 1), json!(""));
        assert!(ran.events.is_empty(), "no search: {:?}", ran.events);
    }

    #[test]
    fn a_batch_refused_without_naming_its_records_is_narrowed_within_a_budget() {
        let fake = Fake { refuse_quietly: vec![40, 77, 101], ..Fake::with(120) };
        let ran = run(&fake, 120);
        let failed: Vec<i64> = (1..=120).filter(|&id| !ran.ok(id)).collect();
        assert_eq!(failed, vec![40, 77, 101]);
        assert!(failed.iter().all(|&id| *ran.failure(id) == Failure::Refused(exchange_of(400))));
        assert!(fake.posts.get() <= 38, "{} requests", fake.posts.get());
        assert!(ran
            .events
            .iter()
            .any(|e| e == "Halo refused a batch of 100 clients; splitting it to find the one(s) at fault"));
    }

    #[test]
    fn dense_refusals_are_all_found() {
        // Record 1 is written first; 2..=65 are one batch of 64 in which every third record is
        // refused: each one found earns the search the requests to find the next.
        let quiet: Vec<i64> = (2..=65).filter(|id| id % 3 == 0).collect();
        let fake = Fake { refuse_quietly: quiet.clone(), ..Fake::with(65) };
        let ran = run(&fake, 65);
        for id in 2..=65 {
            let refused = Err(Failure::Refused(exchange_of(400)));
            assert_eq!(ran.outcomes[id as usize - 1], if quiet.contains(&id) { refused } else { Ok(()) }, "{id}");
        }
    }

    fn search(fake: &Fake, budget: usize) -> Search<'_> {
        Search { server: fake, field: "CFGuid", report: &|_| {}, budget, results: Vec::new(), stop: None }
    }

    fn updates(ids: std::ops::RangeInclusive<i64>) -> Vec<(i64, Value)> {
        ids.map(|id| (id, json!({"id": id}))).collect()
    }

    #[test]
    fn a_search_that_uses_up_its_budget_leaves_the_rest_unresolved_and_says_so() {
        // One request left: [1, 2] is sent (accepted); [3, 4] is known refused, and cannot be
        // split further.
        let fake = Fake { refuse_quietly: vec![4], ..Fake::with(4) };
        let mut s = search(&fake, 1);
        assert!(!s.post(&updates(1..=4), false), "the first sending costs nothing");
        assert_eq!(
            s.results,
            vec![(1, Ok(())), (2, Ok(())), (3, Err(Failure::Unresolved)), (4, Err(Failure::Unresolved))]
        );
        assert_eq!((fake.posts.get(), s.budget), (2, 0));
        let said = Said(&Failure::Unresolved, halo::Kind::Sites).to_string();
        assert!(said.contains("without saying which site was at fault"), "{said}");
        // No request left: nothing more is sent.
        let fake = Fake { refuse_quietly: vec![4], ..Fake::with(4) };
        let mut s = search(&fake, 0);
        s.post(&updates(1..=4), false);
        assert!(s.results.iter().all(|(_, o)| *o == Err(Failure::Unresolved)));
        assert_eq!(fake.posts.get(), 1);
        // A search step is paid for; the answer that finds a record earns 6 more.
        let fake = Fake { refuse_quietly: vec![2], ..Fake::with(4) };
        let mut s = search(&fake, 5);
        s.post(&updates(1..=4), false);
        assert_eq!(s.results[1], (2, Err(Failure::Refused(exchange_of(400)))));
        // The batch, [1, 2], [1] (accepted: so [2], alone, is the one), [3, 4].
        assert_eq!((fake.posts.get(), s.budget), (4, 5 - 3 + 6));
        // Records Halo names earn one request: the rest is sent again at no cost.
        let fake = Fake { refuse_named: vec![3], ..Fake::with(4) };
        let mut s = search(&fake, 2);
        s.post(&updates(1..=4), false);
        assert_eq!((fake.posts.get(), s.budget), (2, 2));
        assert_eq!(s.results.iter().filter(|(_, o)| o.is_ok()).count(), 3);
    }

    #[test]
    fn a_lone_record_halo_names_is_a_find_like_any_other() {
        let fake = Fake { refuse_named: vec![7], ..Fake::with(7) };
        let mut s = search(&fake, 3);
        assert!(!s.post(&updates(7..=7), true));
        assert_eq!(s.results, vec![(7, Err(Failure::Refused(exchange_of(400))))]);
        assert_eq!((fake.posts.get(), s.budget), (1, 3 - 1 + 6), "paid for, and 6 more for the find");
    }

    /// A server that refuses the POSTs of a pattern (by their order), whatever they hold: any
    /// deterministic server is one of these for a given search.
    struct Pattern {
        refused: u64,
        posts: Cell<usize>,
    }

    impl Records for Pattern {
        fn read(&self, _: i64) -> Result<Record, ApiError> {
            Err(failed_read())
        }
        fn read_many(&self, _: &[i64]) -> Vec<(i64, Result<Record, ApiError>)> {
            Vec::new()
        }
        fn list(&self, _: &dyn Fn(i64) -> bool) -> Result<Vec<Record>, ApiError> {
            Err(failed_read())
        }
        fn page_size(&self) -> usize {
            100
        }
        fn post(&self, _: &[(i64, Value)]) -> Result<Posted, ApiError> {
            let n = self.posts.get();
            self.posts.set(n + 1);
            Ok(if n < 64 && self.refused & (1 << n) != 0 {
                Posted::Refused { status: 400, body: String::new(), what: exchange_of(400) }
            } else {
                Posted::Accepted
            })
        }
    }

    #[test]
    fn a_budget_above_the_start_changes_no_search() {
        // The budget once grew with the batch (2 log2(batch) + 2): starting every search at
        // SEARCH_BUDGET, or at four times that, comes to the same results and requests.
        let mut seed = 2026u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            seed >> 11
        };
        let mut unresolved = 0;
        for n in [3i64, 4, 5, 8, 16, 32, 64, 100] {
            let old = 2 * (n as usize).next_power_of_two().ilog2() as usize + 2;
            for _ in 0..2_000 {
                // Sparse, even and dense refusals.
                let (a, b) = (next(), next());
                let refused = [a & b, a, a | b][(next() % 3) as usize];
                let run = |budget: usize| {
                    let server = Pattern { refused, posts: Cell::new(0) };
                    let mut s =
                        Search { server: &server, field: "F", report: &|_| {}, budget, results: vec![], stop: None };
                    s.post(&updates(1..=n), false);
                    (s.results, server.posts.get())
                };
                let at_start = run(SEARCH_BUDGET);
                unresolved += at_start.0.iter().filter(|(_, o)| *o == Err(Failure::Unresolved)).count();
                assert_eq!(run(old), at_start, "n {n}, refused {refused:b}");
                assert_eq!(run(4 * SEARCH_BUDGET), at_start, "n {n}, refused {refused:b}");
            }
        }
        assert!(unresolved == 0, "no sampled search ran out: {unresolved}");
        // Below the start it does: a budget is what bounds a search.
        let server = Pattern { refused: u64::MAX >> 2, posts: Cell::new(0) };
        let mut s = Search { server: &server, field: "F", report: &|_| {}, budget: 1, results: vec![], stop: None };
        s.post(&updates(1..=8), false);
        assert!(s.results.iter().any(|(_, o)| *o == Err(Failure::Unresolved)), "{:?}", s.results);
    }

    #[test]
    fn a_value_written_over_on_purpose_is_not_a_disturbance() {
        // With --overwrite the plan writes over another value; our own field is not "another".
        let fake = Fake::with(2);
        fake.set(1, 1, "old-value");
        let ran = run(&fake, 2);
        assert!(ran.all_ok(1..=2), "{:?}", ran.outcomes);
        assert_eq!(fake.value(1, 1), written_value(1));
        // Under replace a later record is checked whole too: ours changed, nothing else did.
        let fake = Fake { replace: true, ..Fake::with(3) };
        fake.set(3, 1, "old-value");
        let ran = run(&fake, 3);
        assert!(ran.all_ok(1..=3), "{:?}", ran.outcomes);
    }

    #[test]
    fn a_lone_record_refused_is_not_searched() {
        let updates = [(7, json!({"id": 7}))];
        let fake = Fake { refuse_quietly: vec![7], ..Fake::with(7) };
        let out = write(&fake, &updates, "CFGuid", &|_| panic!("no search for one record"));
        assert_eq!(out.results, vec![(7, Err(Failure::Refused(exchange_of(400))))]);
        assert_eq!(fake.posts.get(), 1);
    }

    #[test]
    fn a_refused_half_is_searched_and_the_accepted_half_is_not_sent_again() {
        // 4 records, the fourth at fault: the batch, its first half (accepted), then the second
        // half is known refused and split without being sent again: [3] accepted, so [4] is it.
        let updates: Vec<(i64, Value)> = (1..=4).map(|id| (id, json!({"id": id}))).collect();
        let fake = Fake { refuse_quietly: vec![4], ..Fake::with(4) };
        let events = RefCell::new(Vec::new());
        let out =
            write(&fake, &updates, "CFGuid", &|e| events.borrow_mut().push(Said(e, halo::Kind::Clients).to_string()));
        let refused = Err(Failure::Refused(exchange_of(400)));
        assert_eq!(out.results, vec![(1, Ok(())), (2, Ok(())), (3, Ok(())), (4, refused)]);
        assert_eq!(fake.posts.get(), 3, "the batch, [1, 2], [3]");
        assert_eq!(events.borrow().len(), 2, "two splits: {:?}", events.borrow());
        // A refusal in the first half: both halves are sent.
        let fake = Fake { refuse_quietly: vec![1], ..Fake::with(4) };
        let out = write(&fake, &updates, "CFGuid", &|_| {});
        assert_eq!(out.results[0], (1, Err(Failure::Refused(exchange_of(400)))));
        assert!(out.results[1..].iter().all(|(_, o)| o.is_ok()), "{:?}", out.results);
        assert_eq!(fake.posts.get(), 5, "the batch, [1, 2], [1], [2], [3, 4]");
    }

    #[test]
    fn a_post_without_an_answer_fails_its_records_and_writing_goes_on() {
        let fake = Fake { fail_posts: vec![3], ..Fake::with(4) };
        let ran = run(&fake, 4);
        let failed = Failure::PostFailed(ApiError::PostFailed { exchange: exchange_of(502) });
        for id in 2..=4 {
            assert_eq!(ran.failure(id), &failed);
        }
        assert!(ran.ok(1));
    }

    #[test]
    fn an_encrypted_field_is_never_posted_and_never_lost() {
        for replace in [false, true] {
            let fake = Fake { replace, ..Fake::with(3) };
            fake.records.borrow_mut().insert(3, fields(Some("********")));
            let ran = run(&fake, 3);
            assert_eq!(fake.value(3, 3), json!("********"), "replace {replace}: the secret stays");
            assert!(fake.bodies.borrow().iter().all(|b| !b.to_string().contains("********")), "never posted");
            if replace {
                assert!(matches!(ran.failure(3), Failure::Unpostable { replace: true, .. }), "{:?}", ran.outcomes);
                assert!(Said(ran.failure(3), halo::Kind::Clients).to_string().contains("encrypted"));
                assert!(fake.bodies_of(3).is_empty());
            } else {
                assert!(ran.all_ok(1..=3), "{:?}", ran.outcomes);
            }
        }
    }

    #[test]
    fn a_refused_probe_means_whole_arrays_and_a_record_that_cannot_be_posted_whole_is_not_written() {
        let fake = Fake { refuse_posts: vec![2], ..Fake::with(4) };
        fake.records.borrow_mut().insert(4, fields(Some("********")));
        let ran = run(&fake, 4);
        assert!(ran.all_ok(1..=3), "{:?}", ran.outcomes);
        assert!(matches!(ran.failure(4), Failure::Unpostable { replace: false, .. }), "{:?}", ran.outcomes);
        assert_eq!(ran.events, ["warning: Halo refused the probe write; whole arrays will be posted"]);
        for id in 2..=3 {
            assert_eq!(fake.bodies_of(id)[0]["customfields"].as_array().unwrap().len(), 3, "whole arrays");
        }
        assert_eq!(fake.value(4, 3), json!("********"));
    }

    #[test]
    fn a_probe_that_reads_back_another_value_is_not_taken_for_merging() {
        // The server fills a default into a field left out of a post: neither merge (our value
        // would stay) nor replace (it would be empty). Only whole arrays are safe.
        let fake = Fake { probe_leaves: Some("default"), ..Fake::with(4) };
        let ran = run(&fake, 4);
        assert!(ran.all_ok(1..=4), "{:?}", ran.outcomes);
        assert_eq!(fake.value(1, 1), written_value(1), "written again after the probe");
        for id in 2..=4 {
            assert_eq!(fake.bodies_of(id)[0]["customfields"].as_array().unwrap().len(), 3, "whole arrays");
        }
        assert_eq!(ran.events, ["the probe write could not be read back clearly: whole arrays will be posted"]);
    }

    #[test]
    fn a_probe_whose_record_answers_as_another_is_not_taken_for_merging() {
        let fake = Fake { answers_other_after_write: vec![1], ..Fake::with(3) };
        let ran = run(&fake, 3);
        // Record 1's own read-back already answers as another record: it is written to a
        // record that is not what the list said, and it teaches nothing.
        assert_eq!(ran.failure(1), &Failure::Disagrees { written: true, why: Disagreement::OtherId(1001) });
        assert!(ran.all_ok(2..=3), "{:?}", ran.outcomes);
        assert_eq!(fake.bodies_of(3).len(), 1);
    }

    #[test]
    fn a_record_emptied_by_the_probe_and_not_written_again_says_so() {
        // Replace: the probe empties record 1's value; posting it again (the 3rd POST) is refused.
        let fake = Fake { replace: true, refuse_posts: vec![3], ..Fake::with(3) };
        let ran = run(&fake, 3);
        let why = Box::new(Failure::Refused(exchange_of(400)));
        assert_eq!(ran.failure(1), &Failure::EmptiedByProbe(why));
        assert_eq!(fake.value(1, 1), json!(""), "what the probe left");
        assert!(ran.all_ok(2..=3), "{:?}", ran.outcomes);
        // Written again but not kept.
        let fake = Fake { replace: true, drops_from_post: Some((1, 3)), ..Fake::with(3) };
        let ran = run(&fake, 3);
        assert!(matches!(ran.failure(1), Failure::EmptiedByProbe(why) if matches!(**why, Failure::NotKept { .. })));
    }

    #[test]
    fn a_record_written_but_unreadable_afterwards_is_not_reported_written() {
        let fake = Fake { unreadable_after_write: vec![1, 4], ..Fake::with(5) };
        let ran = run(&fake, 5);
        assert_eq!(ran.failure(1), &Failure::NotReadBack(failed_read()));
        assert_eq!(ran.failure(4), &Failure::NotReadBack(failed_read()));
        assert!(ran.all_ok([2, 3, 5]), "{:?}", ran.outcomes);
    }

    #[test]
    fn a_record_that_vanishes_after_its_write_is_missing() {
        let fake = Fake { vanishes_after_write: vec![3], ..Fake::with(4) };
        let ran = run(&fake, 4);
        assert_eq!(ran.failure(3), &Failure::Missing);
        assert!(ran.all_ok([1, 2, 4]));
    }

    #[test]
    fn a_record_that_does_not_show_the_field_after_the_write_is_not_checked_ok() {
        let fake = Fake { hides_after_write: vec![1, 3], ..Fake::with(4) };
        let ran = run(&fake, 4);
        assert_eq!(ran.failure(1), &Failure::NotShown { field: "CFGuid".into() });
        assert_eq!(ran.failure(3), &Failure::NotShown { field: "CFGuid".into() });
        assert!(ran.all_ok([2, 4]));
    }

    #[test]
    fn a_write_read_back_with_another_value_is_not_kept() {
        let fake = Fake { drops: vec![2], ..Fake::with(3) };
        fake.set(2, 1, "someone-else");
        let listed = (1..=3).map(|id| fake.record(id)).collect();
        // Listed as empty: the first write reads it again and finds it changed; as a later
        // record it is written, and reads back the other value.
        let ran = run_listed(&fake, listed, |_| {});
        assert!(ran.ok(1));
        assert_eq!(
            ran.failure(2),
            &Failure::NotKept { field: "CFGuid".into(), reads_back: Some("someone-else".into()) }
        );
    }

    #[test]
    fn other_fields_changed_by_our_write_are_reported() {
        // First write: whole array posted, so any change to another field is ours.
        let fake = Fake { disturbs: vec![1], ..Fake::with(3) };
        let ran = run(&fake, 3);
        assert_eq!(ran.failure(1), &Failure::Disturbed(vec!["CFTier".into()]));
        // Replace: later records posted whole are checked too.
        let fake = Fake { replace: true, disturbs: vec![3], ..Fake::with(3) };
        let ran = run(&fake, 3);
        assert_eq!(ran.failure(3), &Failure::Disturbed(vec!["CFTier".into()]));
        assert!(ran.all_ok(1..=2));
        // Merge: only our field was posted; a change elsewhere is a person's, not ours.
        let fake = Fake { disturbs: vec![3], ..Fake::with(3) };
        let ran = run(&fake, 3);
        assert!(ran.all_ok(1..=3), "{:?}", ran.outcomes);
    }

    #[test]
    fn a_record_that_answers_as_another_before_the_write_is_not_written() {
        let plain = Fake::with(3);
        let listed = || (1..=3).map(|id| plain.record(id)).collect::<Vec<_>>();
        let fake = Fake { answers_other: vec![1], ..Fake::with(3) };
        let ran = run_listed(&fake, listed(), |_| {});
        assert_eq!(ran.failure(1), &Failure::Disagrees { written: false, why: Disagreement::OtherId(1001) });
        assert!(fake.bodies_of(1).is_empty());
        assert!(ran.all_ok(2..=3));
        // Under replace, a later record whose row lacks its fields is read on its own first.
        let fake = Fake { replace: true, answers_other: vec![3], ..Fake::with(3) };
        let mut listed = listed();
        listed[2].customfields = None;
        let ran = run_listed(&fake, listed, |_| {});
        assert_eq!(ran.failure(3), &Failure::Disagrees { written: false, why: Disagreement::OtherId(1003) });
        assert!(fake.bodies_of(3).is_empty());
    }

    #[test]
    fn a_row_without_its_fields_is_read_before_a_whole_array_is_posted() {
        let fake = Fake { replace: true, ..Fake::with(3) };
        let mut listed: Vec<Record> = (1..=3).map(|id| fake.record(id)).collect();
        listed[2].customfields = None;
        let ran = run_listed(&fake, listed, |_| {});
        assert!(ran.all_ok(1..=3), "{:?}", ran.outcomes);
        assert_eq!(fake.value(3, 2), json!("Gold"), "posted whole, as read on its own");
    }

    #[test]
    fn the_same_record_twice_is_written_once() {
        let fake = Fake::with(3);
        let defs = defs();
        let mut listed: Vec<Record> = (1..=3).map(|id| fake.record(id)).collect();
        let jobs = [
            Job { record: 0, value: "value-1" },
            Job { record: 1, value: "value-2" },
            Job { record: 2, value: "value-3" },
            Job { record: 2, value: "value-3" },
        ];
        let target = &mut Target { records: &mut listed, defs: &defs, field: &defs[0] };
        let outcomes = write_and_verify(&fake, target, &jobs, &|_| {});
        assert_eq!(outcomes[..3], [Ok(()), Ok(()), Ok(())]);
        assert_eq!(outcomes[3], Err(Failure::NoAnswer), "one answer cannot settle two jobs");
    }

    #[test]
    fn written_records_are_re_listed_only_when_that_is_fewer_requests() {
        // 7 records, a page of 3: 3 pages. 5 later records written: 5 > 3, one list.
        let fake = Fake { page: 3, ..Fake::with(7) };
        let ran = run(&fake, 7);
        assert!(ran.all_ok(1..=7));
        assert_eq!(fake.lists.get(), 1);
        // 5 records, a page of 2: 3 pages; 4 later records written: 4 > 3, one list.
        let fake = Fake { page: 2, ..Fake::with(5) };
        run(&fake, 5);
        assert_eq!(fake.lists.get(), 1);
        // 4 records, a page of 2: 2 pages; 3 later records: one list. 3 records: 2 later
        // records, 2 pages: read one by one (2 requests, not 2 pages).
        let fake = Fake { page: 2, ..Fake::with(3) };
        let reads = |f: &Fake| f.reads.get();
        run(&fake, 3);
        assert_eq!((fake.lists.get(), reads(&fake)), (0, 3 + 2), "first: read, read back, probe; then 2");
        let fake = Fake { page: 1, ..Fake::with(3) };
        run(&fake, 3);
        assert_eq!(fake.lists.get(), 0, "2 written < 3 pages");
    }

    #[test]
    fn a_failed_re_listing_falls_back_to_reading_one_by_one() {
        let fake = Fake { list_fails: true, ..Fake::with(5) };
        let ran = run(&fake, 5);
        assert!(ran.all_ok(1..=5), "{:?}", ran.outcomes);
        assert_eq!(fake.lists.get(), 1);
        assert_eq!(ran.events.len(), 1);
        assert!(ran.events[0].starts_with("warning: re-reading the client list failed ("), "{:?}", ran.events);
    }

    #[test]
    fn every_failure_is_said_about_the_records_written() {
        let sites = |f: &Failure| Said(f, halo::Kind::Sites).to_string();
        assert_eq!(sites(&Failure::Missing), "written, but the site was not found when reading it back");
        assert_eq!(sites(&Failure::NoAnswer), "no answer for this site");
        assert!(sites(&Failure::Changed).contains("the site's value in Halo changed"));
        let stop = Stop::FieldRefused { what: exchange_of(403), field: "CFSite".into() };
        assert!(sites(&Failure::Stopped(stop)).contains("the site field 'CFSite'"));
    }
}
