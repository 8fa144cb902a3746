//! Orchestration: read both sides -> decide (plan.rs, pure) -> write -> verify -> report.
//! The only module that calls both the network code and the decision code. Both levels
//! (organizations -> clients, locations -> sites: `LevelArgs`) run through the same functions:
//! `read`, `decide_level` (plan, read again, write, verify) and `level_lines`; what only the
//! organization level has (suggestions, unlinked clients, the links sites are matched inside)
//! is in `decide_and_write`. Also the `--explain` mode, which reads and decides the same way
//! and writes nothing.

use crate::config::Settings;
use crate::halo::{self, FieldDef, Halo, Record};
use crate::http::{Http, Side};
use crate::level::LevelArgs;
use crate::ninja::Ninja;
use crate::output;
use crate::plan::{self, HaloIn, NinjaIn, Status};
use crate::redact;
use crate::report::{self, Counts, Exit, Line, Performance, Report, Requests};
use std::collections::{HashMap, HashSet};
use std::time::{Instant, SystemTime};

/// Why a run could not complete: typed, mapped to exit code 1 and the report's `error` in one
/// place (`finish_fatal`), rendered by `Display`.
#[derive(Debug)]
pub enum RunError {
    /// An API (or the HTTP set-up) did not give what the run needs.
    Api(crate::http::ApiError),
    /// Another run holds the lock, or no folder can hold it (lock.rs says which).
    Lock(String),
    /// A reader thread stopped without an answer (a bug: it panicked).
    ReaderStopped(Side),
    /// The --suggest-map file could not be written.
    SuggestMap { path: std::path::PathBuf, error: std::io::Error },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Api(e) => write!(f, "{e}"),
            RunError::Lock(why) => f.write_str(why),
            RunError::ReaderStopped(side) => write!(f, "the {} reader stopped unexpectedly", side.name()),
            RunError::SuggestMap { path, error } => {
                write!(f, "cannot write --suggest-map '{}': {error}", path.display())
            }
        }
    }
}

impl From<crate::http::ApiError> for RunError {
    fn from(e: crate::http::ApiError) -> RunError {
        RunError::Api(e)
    }
}

/// Both levels as read: organizations and clients, and locations and sites when configured.
struct Data {
    orgs: Sides,
    sites: Option<Sides>,
}

/// One level as read: what it syncs, its NinjaOne records as the planner takes them (their
/// value and, for organizations, their link field --ninja-link-field; held once, not copied for
/// each plan), and its Halo side.
struct Sides {
    args: LevelArgs,
    ninja: Vec<NinjaIn>,
    halo: HaloSide,
}

/// One level's Halo side, as read: which records (clients or sites), the field the run writes
/// there, every custom field definition of that level (the list is asked for all of them, so
/// that an update can carry a record's whole array and verification can see every field), and
/// the records.
struct HaloSide {
    kind: halo::Kind,
    field: FieldDef,
    defs: Vec<FieldDef>,
    records: Vec<Record>,
}

pub fn run(s: &Settings) -> Exit {
    let started = SystemTime::now();
    let http = match begin(s, started) {
        Ok(h) => h,
        Err(exit) => return exit,
    };
    let ninja = crate::connect::ninja(s, &http);
    // Only a run that may write takes the lock; a dry run may overlap anything.
    let _lock = if s.dry_run {
        None
    } else {
        match crate::lock::acquire(
            &crate::lock::candidate_dirs(s.lock_dir.as_deref()),
            &crate::lock::file_name(&s.halo_url),
        ) {
            Ok(l) => Some(l),
            Err(e) => return finish_fatal(s, started, None, &RunError::Lock(e), Performance::default()),
        }
    };
    let (halo, server) = match crate::connect::halo(s, &http) {
        Ok(h) => h,
        Err(e) => return finish_fatal(s, started, Some(&http), &e.into(), Performance::default()),
    };
    output::detail(&format!("Halo tokens from {}/token (from {})", server.auth_url, server.how));
    let mut perf = Performance::default();
    let t = Instant::now();
    let data = match read(s, &halo, &ninja) {
        Ok(d) => d,
        Err(e) => return finish_fatal(s, started, Some(&http), &e, perf),
    };
    perf.read_seconds = t.elapsed().as_secs_f64();
    match decide_and_write(s, &halo, data, &mut perf) {
        Ok(decided) => finish(s, started, &http, decided, perf),
        Err(e) => finish_fatal(s, started, Some(&http), &e, perf),
    }
}

/// The HTTP client of these settings, with the header printed; or how the run ends when the
/// client cannot be built (a proxy or --ca-file that cannot be used).
fn begin(s: &Settings, started: SystemTime) -> Result<Http, Exit> {
    let mut http = Http::new(&s.http).map_err(|e| finish_fatal(s, started, None, &e.into(), Performance::default()))?;
    http.listen(Box::new(output::event));
    header(s);
    Ok(http)
}

/// The run's header: part of the result on stdout, before the lines and the summary.
fn header(s: &Settings) {
    let mode = match (&s.suggest_map, s.dry_run) {
        (Some(_), _) => " (--suggest-map plans a mapping file: nothing will be written)",
        (None, true) => " (dry run: nothing will be written)",
        (None, false) => "",
    };
    output::result(&format!(
        "ninja-halo-sync {}: NinjaOne field '{}' -> Halo field '{}'{mode}",
        env!("CARGO_PKG_VERSION"),
        s.ninja_field,
        s.halo_field,
    ));
}

/// --explain: reads both sides and plans as a run does, then prints how one organization
/// matches. Writes nothing, takes no lock, writes no report.
pub fn explain(s: &Settings, name: &str) -> Exit {
    let started = SystemTime::now();
    let http = match begin(s, started) {
        Ok(h) => h,
        Err(exit) => return exit,
    };
    let ninja = crate::connect::ninja(s, &http);
    let mut perf = Performance::default();
    let explained = crate::connect::halo(s, &http).map_err(RunError::from).and_then(|(halo, _)| {
        // One organization is explained: the site level is not read, nothing is written.
        let Data { orgs: mut sides, .. } = read(&Settings { sites: None, ..s.clone() }, &halo, &ninja)?;
        let decided = decide_level(&halo, &mut sides, None, true, &mut perf)?;
        let clients = halo_inputs(&sides.halo);
        for l in crate::explain::explain(name, &sides.ninja, &clients, &decided.decisions, &sides.args.opts) {
            output::result(&l);
        }
        Ok(())
    });
    match explained {
        Ok(()) => Exit::Ok,
        Err(e) => finish_fatal(s, started, Some(&http), &e, perf),
    }
}

/// Reads both sides of each level completely, or fails. The Halo fields are checked first: a
/// wrong field name stops the run before anything else is read.
fn read(s: &Settings, halo: &Halo, ninja: &Ninja) -> Result<Data, RunError> {
    let (orgs, sites) = LevelArgs::of(s);
    let orgs = halo_field(halo, orgs)?;
    let sites = sites.map(|l| halo_field(halo, l)).transpose()?;
    let location_field = sites.as_ref().map(|(l, _, _)| l.ninja_field.as_str());
    let (ninja_side, halo_side) = std::thread::scope(|scope| {
        let n = scope.spawn(|| read_ninja(s, ninja, location_field));
        // Halo on this thread, the one that holds what is read for the run: memory a thread
        // allocated stays with it, and a second reading thread's was a large run's peak.
        let h = (|| -> Result<(Vec<Record>, Option<Vec<Record>>), RunError> {
            let clients = halo.list(halo::Kind::Clients, &orgs.2, &|_| true)?;
            let sites = match &sites {
                Some((_, _, site_defs)) => Some(halo.list(halo::Kind::Sites, site_defs, &|_| true)?),
                None => None,
            };
            Ok((clients, sites))
        })();
        (n.join(), h)
    });
    let (org_records, location_records) = ninja_side.map_err(|_| RunError::ReaderStopped(Side::Ninja))??;
    let (clients, site_records) = halo_side?;
    let sides = |(args, field, defs): (LevelArgs, FieldDef, Vec<FieldDef>), ninja: Vec<NinjaIn>, records| {
        let sides = Sides { halo: HaloSide { kind: args.kind(), field, defs, records }, args, ninja };
        sides.said_read();
        sides
    };
    let orgs = sides(orgs, org_records, clients);
    let sites = match (sites, location_records, site_records) {
        (Some(args), Some(locations), Some(records)) => Some(sides(args, locations, records)),
        _ => None,
    };
    Ok(Data { orgs, sites })
}

/// A level with its Halo field found among the field definitions of its records (all of them
/// are kept: see `HaloSide::defs`).
fn halo_field(halo: &Halo, args: LevelArgs) -> Result<(LevelArgs, FieldDef, Vec<FieldDef>), RunError> {
    let defs = halo.fields(args.kind())?;
    let field = halo::resolve_field(&defs, &args.halo_field, args.kind())?;
    output::detail(&format!(
        "{} '{}' has id {} (label '{}')",
        args.halo_field_words(),
        field.name,
        field.id,
        field.label
    ));
    Ok((args, field, defs))
}

/// The NinjaOne side: the organizations with their value and link field, and the locations
/// with their value when `location_field` names it (sites are synced).
fn read_ninja(
    s: &Settings,
    ninja: &Ninja,
    location_field: Option<&str>,
) -> Result<(Vec<NinjaIn>, Option<Vec<NinjaIn>>), RunError> {
    let wanted = crate::connect::ninja_fields(s);
    let fields: Vec<&str> = std::iter::once(s.ninja_field.as_str()).chain(s.ninja_link_field.as_deref()).collect();
    let checks = ninja.check_fields(&wanted)?;
    if let Some(crate::ninja::FieldCheck::Unchecked { names, why }) = checks.first() {
        output::warn(&format!("warning: {}", crate::hints::fields_unchecked(names, why)));
    }
    for d in checks.iter().filter_map(|c| match c {
        crate::ninja::FieldCheck::Found(d) => Some(d),
        _ => None,
    }) {
        output::detail(&format!(
            "NinjaOne field '{}' (label '{}') is an organization field the API may read",
            d.name, d.label
        ));
    }
    let orgs = ninja.organizations()?;
    let mut values = ninja.field_values(&fields, &orgs)?;
    let orgs = orgs
        .into_iter()
        .map(|o| {
            let mut v = values.remove(&o.id).unwrap_or_default().into_iter();
            NinjaIn { id: o.id, parent: None, name: o.name, value: v.next().flatten(), link: v.next().flatten() }
        })
        .collect();
    drop(values);
    let Some(field) = location_field else { return Ok((orgs, None)) };
    let locations = ninja.locations()?;
    let mut values = ninja.location_values(field, &locations)?;
    let locations = locations
        .into_iter()
        .map(|l| NinjaIn { id: l.id, parent: Some(l.org_id), value: values.remove(&l.id), name: l.name, link: None })
        .collect();
    Ok((orgs, Some(locations)))
}

impl Sides {
    /// `read 12 NinjaOne organizations (11 with a value) and 14 Halo clients (13 active)`.
    fn said_read(&self) {
        let with_value = self.ninja.iter().filter(|n| n.value.is_some()).count();
        let active = self.halo.records.iter().filter(|r| !r.inactive).count();
        output::info(&format!(
            "read {} NinjaOne {} ({with_value} with a value) and {} Halo {} ({active} active)",
            self.ninja.len(),
            self.args.scope().plural(),
            self.halo.records.len(),
            self.halo.kind.plural()
        ));
    }
}

/// A level's Halo records as the planner takes them (the NinjaOne records are held that way).
fn halo_inputs(side: &HaloSide) -> Vec<HaloIn> {
    side.records
        .iter()
        .map(|r| HaloIn {
            id: r.id,
            parent: r.client_id,
            name: r.name.clone(),
            inactive: r.inactive,
            value: r.field_value(&side.field),
            link: r.link,
            disputed: r.disputed.as_deref().cloned(),
        })
        .collect()
}

/// Plans a level (its Halo side: `side`); where a decision depends on what the list did not
/// show (a matched record's current value, a record's own NinjaOne link), reads those records
/// and plans again. Each record is read at most once: what its own answer does not show stays
/// unknown, and the plan never writes over an unknown value.
fn plan_with_reads(
    halo: &Halo,
    side: &mut HaloSide,
    perf: &mut Performance,
    plan: impl Fn(&[HaloIn]) -> plan::Plan,
) -> Result<(plan::Plan, Reread), RunError> {
    let mut reread = Reread::default();
    loop {
        let p = timed(perf, || plan(&halo_inputs(side)));
        if !reread.next(halo, side, &p.unread, p.for_links)? {
            return Ok((p, reread));
        }
    }
}

/// Runs a planner, adding its CPU time to the run's.
fn timed<T>(perf: &mut Performance, plan: impl FnOnce() -> T) -> T {
    let cpu = crate::util::cpu_seconds();
    let p = plan();
    if let (Some(a), Some(b)) = (cpu, crate::util::cpu_seconds()) {
        *perf.plan_cpu_seconds.get_or_insert(0.0) += b - a;
    }
    p
}

/// The records of one level read on their own, each at most once (what its own answer does
/// not show stays unknown).
#[derive(Default)]
struct Reread {
    once: std::collections::HashSet<usize>,
}

impl Reread {
    /// Reads the records a plan asks for (`unread`: indexes into `records`, the last
    /// `for_links` of them for their NinjaOne link) that were not read yet. False when there
    /// was none: the plan stands.
    fn next(&mut self, halo: &Halo, side: &mut HaloSide, unread: &[usize], for_links: usize) -> Result<bool, RunError> {
        let (values, links) = unread.split_at(unread.len() - for_links);
        let values: Vec<usize> = values.iter().copied().filter(|&i| self.once.insert(i)).collect();
        let links: Vec<usize> = links.iter().copied().filter(|&i| self.once.insert(i)).collect();
        if values.is_empty() && links.is_empty() {
            return Ok(false);
        }
        let mut why = Vec::new();
        if !values.is_empty() {
            why.push(format!("{} matched, whose list rows did not show '{}'", values.len(), side.field.name));
        }
        if !links.is_empty() {
            why.push(format!("{} for Halo's own NinjaOne link, which list rows do not show", links.len()));
        }
        output::info(&format!(
            "reading {} Halo {} one by one: {}",
            values.len() + links.len(),
            side.kind.plural(),
            why.join("; ")
        ));
        read_again(halo, side.kind, &mut side.records, &[values, links].concat())?;
        Ok(true)
    }

    /// Of the records read, those whose own answer did not show Halo's own NinjaOne link either.
    fn links_unseen(&self, records: &[Record]) -> usize {
        self.once.iter().filter(|&&i| records[i].link == plan::Link::Unseen).count()
    }
}

/// Reads these records (indexes into `records`) one by one. Where the answer is the record of
/// the row (the same id, client and activity) its custom fields and Halo's own NinjaOne link are
/// kept; where it disagrees with the row, the row is marked (`disputed`) and never written.
fn read_again(halo: &Halo, kind: halo::Kind, records: &mut [Record], to_read: &[usize]) -> Result<(), RunError> {
    // A few hundred at a time: the answers of a first run's thousands of reads are never all
    // held at once, and what is kept of them is copied here, where the records live (a reading
    // thread's memory is left to be reused).
    for chunk in to_read.chunks(READ_CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|&i| records[i].id).collect();
        // In the order asked for, so each answer belongs to the same position of `chunk`.
        for (&i, (_, r)) in chunk.iter().zip(halo.records_by_id(kind, &ids)) {
            let read = r?;
            let row = &mut records[i];
            row.disputed = halo::disagreement(row, &read).map(Box::new);
            if row.disputed.is_none() {
                row.customfields = read.customfields.clone();
                if read.link != plan::Link::Unseen {
                    row.link = read.link;
                }
            }
        }
    }
    Ok(())
}

/// Records read on their own in one go (see `read_again`).
const READ_CHUNK: usize = 256;

/// Both levels decided and written: the organizations' lines and what goes with them (the
/// suggestions, the unlinked clients), then the sites inside the organizations' certain links.
fn decide_and_write(s: &Settings, halo: &Halo, mut data: Data, perf: &mut Performance) -> Result<Decided, RunError> {
    let orgs = &mut data.orgs;
    let Decisions { decisions, mut notes, none_listed } = decide_level(halo, orgs, None, s.dry_run, perf)?;
    let clients = &orgs.halo.records;
    let proposals = plan::proposals(&decisions);
    let suggested_id_map =
        report::id_map(decisions.iter().zip(&proposals).filter_map(|(d, p)| Some((d.ninja_id, clients[(*p)?].id))));
    let lines = level_lines(&decisions, orgs, &Parents::default(), none_listed);
    if let Some(path) = &s.suggest_map {
        let names: Vec<(i64, String)> = clients.iter().map(|c| (c.id, c.name.clone())).collect();
        crate::explain::write_suggestions(path, &decisions, &proposals, &names)
            .map_err(|error| RunError::SuggestMap { path: path.clone(), error })?;
        output::info(&format!("wrote mapping suggestions to {}", path.display()));
    }
    let attention = attention(&data);
    let (unlinked, unchecked) = unlinked_clients(&data.orgs, &decisions);
    if !unchecked.is_empty() {
        notes.push(format!(
            "Halo's answers did not show '{}' for {} active client(s) (the report's unchecked_clients lists them): \
             whether they hold a value, and whose, was not seen",
            data.orgs.halo.field.name,
            unchecked.len()
        ));
    }
    let mut decided = Decided { lines, attention, notes, unlinked, unchecked, suggested_id_map, sites: None };
    let Some(mut sites) = data.sites.take() else { return Ok(decided) };
    let orgs = &mut data.orgs;
    let pairs = certain_pairs(&decisions, &orgs.halo.records);
    // The organizations are decided and written: what the site level needs of them is the
    // pairs and the names. The rest goes before the sites are planned (at 10,000 organizations
    // the decisions and the clients' custom fields are a large part of the peak).
    drop(decisions);
    for c in &mut orgs.halo.records {
        c.customfields = None;
    }
    for o in &mut orgs.ninja {
        (o.value, o.link) = (None, None);
    }
    let Decisions { decisions, notes, none_listed } = decide_level(halo, &mut sites, Some(&pairs), s.dry_run, perf)?;
    let parents = Parents {
        orgs: orgs.ninja.iter().map(|o| (o.id, o.name.as_str())).collect(),
        clients: orgs.halo.records.iter().map(|c| (c.id, c.name.as_str())).collect(),
    };
    decided.sites = Some(level_lines(&decisions, &sites, &parents, none_listed));
    decided.notes.extend(notes);
    Ok(decided)
}

/// A level planned, written and verified.
struct Decisions {
    decisions: Vec<plan::Decision>,
    /// What the level could not see of Halo's own NinjaOne link.
    notes: Vec<String>,
    /// The Halo list showed no record's value at all (so a record already holding a value
    /// could not be looked for).
    none_listed: bool,
}

/// Plans a level (reading again, once each, the records whose value or link the list did not
/// show), writes what is due through the write protocol and verifies it. Organizations are
/// matched among all clients (`within` None); locations only inside the certain organization
/// <-> client links (`within`), each location's decision naming its link.
fn decide_level(
    halo: &Halo,
    sides: &mut Sides,
    within: Option<&[plan::Pair]>,
    dry_run: bool,
    perf: &mut Performance,
) -> Result<Decisions, RunError> {
    let none_listed = !sides.halo.records.iter().any(|r| r.field_value(&sides.halo.field).is_some());
    let (ninja, opts) = (&sides.ninja, &sides.args.opts);
    let (plan, reread) = plan_with_reads(halo, &mut sides.halo, perf, |records| match within {
        None => plan::plan(ninja, records, opts),
        Some(pairs) => crate::sites::plan(pairs, ninja, records, opts),
    })?;
    let records = &sides.halo.records;
    // Inside the links, only the sites of their clients are the level's concern.
    let clients: Option<HashSet<i64>> = within.map(|pairs| pairs.iter().map(|p| p.client_id).collect());
    let concerned =
        records.iter().filter(|r| clients.as_ref().is_none_or(|c| r.client_id.is_some_and(|id| c.contains(&id))));
    let notes = link_notes(&sides.args, concerned, reread.links_unseen(records));
    let mut decisions = plan.decisions;
    if !dry_run {
        write_decided(halo, &mut sides.halo, decisions.iter_mut().collect(), perf);
    }
    Ok(Decisions { decisions, notes, none_listed })
}

/// One report line per decision of a level: where its value went or would go, for an
/// organization that needs a person the clients to choose from, and for a location where it is (`parents` names
/// its organization and client). `none_listed`: the list showed no value at all, which the
/// level's `no_match` lines say where its words have it (`LevelArgs::unlisted_words`).
fn level_lines(decisions: &[plan::Decision], sides: &Sides, parents: &Parents, none_listed: bool) -> Vec<Line> {
    let records = &sides.halo.records;
    let unlisted = none_listed.then(|| sides.args.unlisted_words()).flatten();
    decisions
        .iter()
        .map(|d| {
            let mut l = Line::of(d, d.halo.map(|i| (records[i].id, records[i].name.as_str())));
            l.within = d.within.map(|p| parents.within(p));
            // A location's report shape names no candidates: they are not built for it.
            if l.within.is_none() {
                l.candidates = d
                    .suggestions
                    .iter()
                    .map(|s| report::Candidate {
                        halo_id: records[s.halo].id,
                        halo_name: records[s.halo].name.clone(),
                        why: s.why.clone(),
                    })
                    .collect();
            }
            if let Some(words) = unlisted.filter(|_| d.status == Status::NoMatch && d.value.is_some()) {
                l.detail.push_str(words);
            }
            l.bound(&redact::shown);
            l
        })
        .collect()
}

/// The names of the organizations and clients a location's line is placed in.
#[derive(Default)]
struct Parents<'a> {
    orgs: HashMap<i64, &'a str>,
    clients: HashMap<i64, &'a str>,
}

impl Parents<'_> {
    fn within(&self, pair: plan::Pair) -> report::Within {
        let name = |names: &HashMap<i64, &str>, id| names.get(&id).copied().unwrap_or("").to_string();
        report::Within {
            org_id: pair.org_id,
            org_name: name(&self.orgs, pair.org_id),
            client_id: pair.client_id,
            client_name: name(&self.clients, pair.client_id),
        }
    }
}

/// Findings about the whole run that need a person: no organization at all, or no value in
/// any organization (or location): a wrong field, region or permission, never "OK".
fn attention(data: &Data) -> Vec<String> {
    let mut attention = Vec::new();
    // No organizations at all: a NinjaOne tenant always has some; this is the wrong API
    // application, region or permission. Never "OK".
    if data.orgs.ninja.is_empty() {
        attention.push(
            "NinjaOne returned no organizations at all: check that the API application (Administration > Apps > API) \
             belongs to this NinjaOne instance and region (--ninja-region / NINJA_REGION), has the monitoring scope, \
             and that its technician role may see every organization"
                .to_string(),
        );
    }
    // Records without a single value is almost never the truth: it is a wrong field name or a
    // field the API application may not read. Never "OK".
    for sides in std::iter::once(&data.orgs).chain(&data.sites) {
        let Sides { args, ninja, .. } = sides;
        if !ninja.is_empty() && ninja.iter().all(|n| n.value.is_none()) {
            attention.push(format!(
                "none of the {} NinjaOne {} has a value in the field '{}': check the field's name ({}) and that its \
                 API permission allows reading",
                ninja.len(),
                args.scope().plural(),
                args.ninja_field,
                args.ninja_field_advice()
            ));
        }
    }
    attention
}

/// What a level's run could not see of Halo's own NinjaOne link, said in words: records read for
/// it whose answer did not show it either (`read_unseen`), and, with `--native-links targets`,
/// the records not read at all.
fn link_notes<'r>(args: &LevelArgs, records: impl Iterator<Item = &'r Record>, read_unseen: usize) -> Vec<String> {
    let (kind, native_links) = (args.kind(), args.opts.native_links);
    let mut notes = Vec::new();
    if native_links != plan::NativeLinks::Off && read_unseen > 0 {
        notes.push(format!(
            "Halo's own records of {read_unseen} {} read for Halo's own NinjaOne link (ninjarmmid) did not show it \
             either: it could not be checked for them",
            kind.plural()
        ));
    }
    let not_read = records.filter(|r| r.link == plan::Link::Unseen).count().saturating_sub(read_unseen);
    if native_links == plan::NativeLinks::Targets && not_read > 0 {
        notes.push(format!(
            "--native-links targets: Halo's own NinjaOne link was read only on the {} about to be written by name; on \
             {not_read} other {} it was not looked for, so a NinjaOne {} that Halo links to one of them is not seen \
             (--native-links auto reads them)",
            kind.plural(),
            kind.plural(),
            args.scope().noun()
        ));
    }
    notes
}

/// The certain organization <-> client links sites are matched inside: linked, manual, native
/// and exact matches, and a fuzzy match only once it is written and read back. Not a link
/// that is contested, in conflict or failed.
fn certain_pairs(decisions: &[plan::Decision], clients: &[Record]) -> Vec<plan::Pair> {
    decisions
        .iter()
        .filter(|d| match d.status {
            Status::Updated => true,
            Status::InSync | Status::WouldUpdate | Status::NoValue | Status::InvalidValue => {
                !matches!(d.tier, Some(plan::Tier::Fuzzy) | None)
            }
            _ => false,
        })
        .filter_map(|d| Some(plan::Pair { org_id: d.ninja_id, client_id: clients[d.halo?].id }))
        .collect()
}

/// What a run decided and did: one line per organization, findings about the whole run that
/// need a person, and the active clients nothing links to.
struct Decided {
    lines: Vec<Line>,
    attention: Vec<String>,
    /// What the run could not see (said on stdout and in the report; no exit code of its own).
    notes: Vec<String>,
    unlinked: Vec<report::Unlinked>,
    /// Active clients whose value the run never saw.
    unchecked: Vec<report::Unlinked>,
    /// The proposals of the decisions that need a person, in the ID_MAP form.
    suggested_id_map: Option<String>,
    /// The site level's lines, when it is configured.
    sites: Option<Vec<Line>>,
}

/// Active Halo clients that hold no organization's value (their value is known: empty, or one
/// no organization has) and were not written in this run; and apart from them, the active
/// clients whose value the run never saw (unchecked): nothing is said of data that was not read.
fn unlinked_clients(orgs: &Sides, decisions: &[plan::Decision]) -> (Vec<report::Unlinked>, Vec<report::Unlinked>) {
    let values: HashSet<String> = orgs.ninja.iter().filter_map(|o| o.value.as_deref()).map(plan::value_key).collect();
    let written: HashSet<usize> = decisions
        .iter()
        .filter(|d| matches!(d.status, Status::Updated | Status::WouldUpdate))
        .filter_map(|d| d.halo)
        .collect();
    let (mut unlinked, mut unchecked) = (Vec::new(), Vec::new());
    for (_, c) in orgs.halo.records.iter().enumerate().filter(|(i, c)| !c.inactive && !written.contains(i)) {
        let listed = report::Unlinked { halo_id: c.id, halo_name: redact::shown(&c.name, report::NAME_MAX) };
        match c.field_value(&orgs.halo.field) {
            Some(Some(v)) if values.contains(&plan::value_key(&v)) => {}
            Some(_) => unlinked.push(listed),
            None => unchecked.push(listed),
        }
    }
    (unlinked, unchecked)
}

/// How a run ends, for the report.
struct Ending<'a> {
    code: Exit,
    error: Option<&'a str>,
    attention: &'a [String],
    notes: &'a [String],
    unlinked: Vec<report::Unlinked>,
    unchecked: Vec<report::Unlinked>,
    suggested_id_map: Option<String>,
    sites: Option<Vec<Line>>,
}

/// Writes the decisions due (`would_update`) through the write protocol (write.rs), reads them
/// back, and turns each into `updated` or `failed` with why.
fn write_decided(halo: &Halo, w: &mut HaloSide, mut decisions: Vec<&mut plan::Decision>, perf: &mut Performance) {
    use crate::write::{self, Failure, Job};
    decisions.retain(|d| d.status == Status::WouldUpdate);
    if decisions.is_empty() {
        return;
    }
    let t = Instant::now();
    // The plan gives every write a record and a value; a decision without them is not written.
    let (decisions, unplanned): (Vec<_>, Vec<_>) =
        decisions.into_iter().partition(|d| d.halo.is_some() && d.value.is_some());
    output::info(&format!("writing {} Halo {}", decisions.len(), w.kind.plural()));
    let server = write::HaloRecords { halo, kind: w.kind, defs: &w.defs };
    let mut target = write::Target { records: &mut w.records, defs: &w.defs, field: &w.field };
    let outcomes = {
        let jobs: Vec<Job> =
            decisions.iter().filter_map(|d| Some(Job { record: d.halo?, value: d.value.as_deref()? })).collect();
        write::write_and_verify(&server, &mut target, &jobs, &|e| output::write_event(e, w.kind))
    };
    perf.write_seconds += t.elapsed().as_secs_f64();
    let unanswered = unplanned.into_iter().map(|d| (d, Err(Failure::NoAnswer)));
    for (d, outcome) in decisions.into_iter().zip(outcomes).chain(unanswered) {
        match outcome {
            Ok(()) => d.status = Status::Updated,
            Err(failure) => {
                // A record that contradicts its list row needs a person, as any conflict does;
                // every other failure is a failed write.
                d.status = match failure {
                    Failure::Disagrees { .. } => Status::Conflict,
                    _ => Status::Failed,
                };
                d.detail = write::Said(&failure, w.kind).to_string();
            }
        }
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

fn finish(s: &Settings, started: SystemTime, http: &Http, decided: Decided, perf: Performance) -> Exit {
    let Decided { lines, attention, notes, unlinked, unchecked, suggested_id_map, sites } = decided;
    let attention = attention.as_slice();
    let counts = Counts::of(&lines);
    let site_counts = sites.as_deref().map(Counts::of);
    // Sites count toward the exit code as organizations do.
    let code = Exit::of(&site_counts.map_or(counts, |c| counts.plus(&c)), !attention.is_empty());
    for l in lines.iter().chain(sites.iter().flatten()) {
        if let Some(text) = report::stdout_line(l) {
            output::result(&text);
        }
    }
    for a in attention {
        output::result(&format!("attention: {}", crate::util::printable(a)));
    }
    for n in &notes {
        output::result(&format!("not seen: {}", crate::util::printable(n)));
    }
    if !unlinked.is_empty() || !unchecked.is_empty() {
        let unchecked_too = match unchecked.len() {
            0 => String::new(),
            n => format!(
                "; {n} more whose value Halo's answers did not show were not checked (unchecked_clients), neither \
                 linked nor unlinked"
            ),
        };
        output::result(&format!(
            "unlinked: {} active Halo client(s) hold no NinjaOne organization's value (the report's unlinked_clients \
             lists them; a client without an RMM is normal){unchecked_too}",
            unlinked.len()
        ));
    }
    output::result(&report::summary(&counts, code));
    if let Some(c) = &site_counts {
        output::result(&report::counts_line("sites", c));
    }
    if let Some(pairs) = &suggested_id_map {
        for line in report::id_map_lines(pairs) {
            output::result(&line);
        }
    }
    let why = (counts.needing_attention() == 0).then(|| attention.first().map(String::as_str)).flatten();
    let mut line = status_line(&counts, code, why);
    if let Some(c) = &site_counts {
        // The code may come from the sites: the line says so.
        line.push_str(&format!("; sites: {}", c.brief()));
    }
    status_field(s, &line);
    let st = http.stats();
    for ((side, endpoint), n) in &st.requests {
        output::detail(&format!("requests: {} {endpoint}: {n}", side.name()));
    }
    let ending = Ending { code, error: None, attention, notes: &notes, unlinked, unchecked, suggested_id_map, sites };
    write_report(s, started, Some(http), lines, ending, perf)
}

fn finish_fatal(s: &Settings, started: SystemTime, http: Option<&Http>, error: &RunError, perf: Performance) -> Exit {
    let error = &error.to_string();
    let code = Exit::CouldNotRun;
    output::warn(&format!("error: {error}"));
    output::result(&report::summary(&Counts::default(), code));
    status_field(s, &status_line(&Counts::default(), code, Some(error)));
    write_report(
        s,
        started,
        http,
        Vec::new(),
        Ending {
            code,
            error: Some(error),
            attention: &[],
            notes: &[],
            unlinked: Vec::new(),
            unchecked: Vec::new(),
            suggested_id_map: None,
            sites: None,
        },
        perf,
    )
}

fn write_report(
    s: &Settings,
    started: SystemTime,
    http: Option<&Http>,
    orgs: Vec<Line>,
    ending: Ending,
    mut perf: Performance,
) -> Exit {
    let Ending { code, error, attention, notes, unlinked, unchecked, suggested_id_map, sites } = ending;
    let Some(path) = &s.report else { return code };
    // Every free-text field was redacted and bounded on its own when its line was made
    // (`Line::bound`), so the report can be streamed to the file (the report as one string and
    // its redacted copy would be a big run's peak memory); the run-level texts are here.
    let findings = |texts: &[String]| texts.iter().map(|t| redact::shown(t, report::DETAIL_MAX)).collect();
    let site_counts = sites.as_deref().map(Counts::of);
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        started_at: crate::util::rfc3339(started),
        finished_at: crate::util::rfc3339(SystemTime::now()),
        dry_run: s.dry_run,
        ninja_field: redact::shown(&s.ninja_field, report::NAME_MAX),
        halo_field: redact::shown(&s.halo_field, report::NAME_MAX),
        counts: Counts::of(&orgs),
        orgs,
        unlinked_clients: unlinked,
        unchecked_clients: unchecked,
        suggested_id_map,
        notes: findings(notes),
        sites,
        site_counts,
        exit_code: code.code(),
        error: error.map(|e| redact::shown(e, report::DETAIL_MAX)),
        attention: findings(attention),
        requests: requests(http),
        performance: {
            perf.peak_rss_kib = crate::util::peak_rss_kib();
            perf
        },
    };
    let written = crate::files::write_private(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &report).map_err(std::io::Error::other)?;
        std::io::Write::write_all(w, b"\n")
    });
    if let Err(e) = written {
        output::warn(&format!("error: cannot write the report to '{}': {e}", path.display()));
        // The sync itself ran; a lost report is a failed write unless the run already failed.
        return if code == Exit::CouldNotRun { code } else { Exit::WriteFailed };
    }
    code
}

/// One line for NinjaOne's device field: `2026-11-22T07:00:00Z OK: 412 in sync, 3 updated, 0 need attention`.
pub fn status_line(c: &Counts, code: Exit, error: Option<&str>) -> String {
    let when = crate::util::rfc3339(SystemTime::now());
    let outcome = code.word();
    match error {
        // One printable line: a raw error body could carry ESC, CR LF or bidi controls that
        // forge a second line ("OK: 999 in sync") in the field NinjaOne shows.
        Some(e) => format!("{when} {outcome}: {}", redact::shown(e, 180)),
        None => format!("{when} {outcome}: {}", c.brief()),
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
