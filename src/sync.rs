//! Orchestration: read both sides -> decide (plan.rs, pure) -> write -> verify -> report.
//! The only module that calls both the network code and the decision code. Also the
//! `--explain` mode, which reads and decides the same way and writes nothing.

use crate::config::Settings;
use crate::halo::{self, FieldDef, Halo, Record};
use crate::http::{Http, Side};
use crate::ninja::{Ninja, Org};
use crate::output;
use crate::plan::{self, HaloIn, NinjaIn, Status};
use crate::redact;
use crate::report::{self, Counts, Exit, Line, Performance, Report, Requests};
use std::collections::HashMap;
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

struct Data {
    /// Each organization as the planner takes it: its value and its link field
    /// (--ninja-link-field), where it has them (held once, not copied for each plan).
    orgs: Vec<NinjaIn>,
    clients: Level,
    /// The site level's data, when it is configured.
    sites: Option<SiteData>,
}

/// One level's Halo side, as read: which records (clients or sites), the field the run writes
/// there, every custom field definition of that level (the list is asked for all of them, so
/// that an update can carry a record's whole array and verification can see every field), and
/// the records. Both levels are planned, read again, written and verified through the same
/// functions with it.
struct Level {
    kind: halo::Kind,
    field: FieldDef,
    defs: Vec<FieldDef>,
    records: Vec<Record>,
}

/// Both sides of the site level, as read.
struct SiteData {
    /// Each location as the planner takes it (its organization as `parent`).
    locations: Vec<NinjaIn>,
    sites: Level,
}

/// What the NinjaOne reader brings back.
struct NinjaRead {
    orgs: Vec<Org>,
    values: HashMap<i64, crate::ninja::Values>,
    locations: Option<(Vec<crate::ninja::Location>, HashMap<i64, String>)>,
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
        // One organization is explained: the site level is not read.
        let without_sites = Settings { sites: None, ..s.clone() };
        let mut data = read(&without_sites, &halo, &ninja)?;
        let orgs = &data.orgs;
        let (plan, _) = plan_with_reads(&halo, &mut data.clients, &mut perf, |c| plan::plan(orgs, c, &s.plan))?;
        let clients = halo_inputs(&data.clients);
        for l in crate::explain::explain(name, &data.orgs, &clients, &plan, &s.plan) {
            output::result(&l);
        }
        Ok(())
    });
    match explained {
        Ok(()) => Exit::Ok,
        Err(e) => finish_fatal(s, started, Some(&http), &e, perf),
    }
}

/// Reads both sides completely, or fails. The Halo field is checked first: a wrong field name
/// stops the run before anything else is read.
fn read(s: &Settings, halo: &Halo, ninja: &Ninja) -> Result<Data, RunError> {
    let defs = halo.client_fields()?;
    let field = halo::resolve_field(&defs, &s.halo_field, halo::Kind::Clients)?;
    output::detail(&format!("Halo field '{}' has id {} (label '{}')", field.name, field.id, field.label));
    // The site field is checked as early: a wrong name stops the run before anything is read.
    let site_fields = match &s.sites {
        Some(sf) => {
            let defs = halo.fields(halo::Kind::Sites)?;
            let field = halo::resolve_field(&defs, &sf.halo_site_field, halo::Kind::Sites)?;
            output::detail(&format!("Halo site field '{}' has id {} (label '{}')", field.name, field.id, field.label));
            Some((field, defs))
        }
        None => None,
    };
    let (ninja_side, halo_side) = std::thread::scope(|scope| {
        let n = scope.spawn(|| -> Result<NinjaRead, RunError> {
            let wanted = crate::connect::ninja_fields(s);
            let fields: Vec<&str> =
                std::iter::once(s.ninja_field.as_str()).chain(s.ninja_link_field.as_deref()).collect();
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
            let values = ninja.field_values(&fields, &orgs)?;
            let locations = match &s.sites {
                Some(sf) => {
                    let locations = ninja.locations()?;
                    let values = ninja.location_values(&sf.ninja_location_field, &locations)?;
                    Some((locations, values))
                }
                None => None,
            };
            Ok(NinjaRead { orgs, values, locations })
        });
        // Halo on this thread, the one that holds what is read for the run: memory a thread
        // allocated stays with it, and a second reading thread's was a large run's peak.
        let h = (|| -> Result<(Vec<Record>, Option<Vec<Record>>), RunError> {
            let clients = halo.clients(&defs)?;
            let sites = match &site_fields {
                Some((_, site_defs)) => Some(halo.list(halo::Kind::Sites, site_defs, &|_| true)?),
                None => None,
            };
            Ok((clients, sites))
        })();
        (n.join(), h)
    });
    let NinjaRead { orgs, values: mut read, locations } =
        ninja_side.map_err(|_| RunError::ReaderStopped(Side::Ninja))??;
    let orgs: Vec<NinjaIn> = orgs
        .into_iter()
        .map(|o| {
            let mut v = read.remove(&o.id).unwrap_or_default().into_iter();
            NinjaIn { id: o.id, parent: None, name: o.name, value: v.next().flatten(), link: v.next().flatten() }
        })
        .collect();
    drop(read);
    let (clients, sites) = halo_side?;
    let said_read = |ninja: &str, n: usize, with_value: usize, halo: &str, records: &[Record]| {
        let active = records.iter().filter(|c| !c.inactive).count();
        output::info(&format!(
            "read {n} NinjaOne {ninja} ({with_value} with a value) and {} Halo {halo} ({active} active)",
            records.len()
        ));
    };
    said_read("organizations", orgs.len(), orgs.iter().filter(|o| o.value.is_some()).count(), "clients", &clients);
    let sites = match (locations, sites, site_fields) {
        (Some((locations, mut values)), Some(sites), Some((field, defs))) => {
            said_read("locations", locations.len(), values.len(), "sites", &sites);
            let locations = locations
                .into_iter()
                .map(|l| NinjaIn {
                    id: l.id,
                    parent: Some(l.org_id),
                    value: values.remove(&l.id),
                    name: l.name,
                    link: None,
                })
                .collect();
            Some(SiteData { locations, sites: Level { kind: halo::Kind::Sites, field, defs, records: sites } })
        }
        _ => None,
    };
    Ok(Data { orgs, clients: Level { kind: halo::Kind::Clients, field, defs, records: clients }, sites })
}

/// A level's Halo records as the planner takes them (the NinjaOne records are held that way).
fn halo_inputs(level: &Level) -> Vec<HaloIn> {
    level
        .records
        .iter()
        .map(|r| HaloIn {
            id: r.id,
            parent: r.client_id,
            name: r.name.clone(),
            inactive: r.inactive,
            value: r.field_value(&level.field),
            link: r.link,
            disputed: r.disputed.as_deref().cloned(),
        })
        .collect()
}

/// Plans a level; where a decision depends on what the list did not show (a matched record's
/// current value, a record's own NinjaOne link), reads those records and plans again. Each
/// record is read at most once: what its own answer does not show stays unknown, and the plan
/// never writes over an unknown value.
fn plan_with_reads(
    halo: &Halo,
    level: &mut Level,
    perf: &mut Performance,
    plan: impl Fn(&[HaloIn]) -> plan::Plan,
) -> Result<(plan::Plan, Reread), RunError> {
    let mut reread = Reread::default();
    loop {
        let p = timed(perf, || plan(&halo_inputs(level)));
        if !reread.next(halo, level, &p.unread, p.for_links)? {
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
    fn next(&mut self, halo: &Halo, level: &mut Level, unread: &[usize], for_links: usize) -> Result<bool, RunError> {
        let (values, links) = unread.split_at(unread.len() - for_links);
        let values: Vec<usize> = values.iter().copied().filter(|&i| self.once.insert(i)).collect();
        let links: Vec<usize> = links.iter().copied().filter(|&i| self.once.insert(i)).collect();
        if values.is_empty() && links.is_empty() {
            return Ok(false);
        }
        let mut why = Vec::new();
        if !values.is_empty() {
            why.push(format!("{} matched, whose list rows did not show '{}'", values.len(), level.field.name));
        }
        if !links.is_empty() {
            why.push(format!("{} for Halo's own NinjaOne link, which list rows do not show", links.len()));
        }
        output::info(&format!(
            "reading {} Halo {} one by one: {}",
            values.len() + links.len(),
            level.kind.plural(),
            why.join("; ")
        ));
        read_again(halo, level.kind, &mut level.records, &[values, links].concat())?;
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

/// The report lines and the run-level findings that need a person.
fn decide_and_write(s: &Settings, halo: &Halo, mut data: Data, perf: &mut Performance) -> Result<Decided, RunError> {
    let list_had_values = data.clients.records.iter().any(|c| c.field_value(&data.clients.field).is_some());
    let orgs = &data.orgs;
    let (plan, reread) = plan_with_reads(halo, &mut data.clients, perf, |clients| plan::plan(orgs, clients, &s.plan))?;
    let clients = &data.clients.records;
    let mut notes = link_notes(&s.plan, halo::Kind::Clients, clients.iter(), reread.links_unseen(clients));
    let mut decisions = plan.decisions;
    if !s.dry_run {
        write_decided(halo, &mut data.clients, decisions.iter_mut().collect(), perf);
    }
    let clients = &data.clients.records;
    let proposals = plan::proposals(&decisions);
    let suggested_id_map =
        report::id_map(decisions.iter().zip(&proposals).filter_map(|(d, p)| Some((d.ninja_id, clients[(*p)?].id))));
    let lines = lines(&decisions, clients, &Parents::default(), !list_had_values);
    if let Some(path) = &s.suggest_map {
        crate::explain::write_suggestions(path, &decisions, &proposals, &data_names(&data))
            .map_err(|error| RunError::SuggestMap { path: path.clone(), error })?;
        output::info(&format!("wrote mapping suggestions to {}", path.display()));
    }
    let attention = attention(s, &data);
    let (unlinked, unchecked) = unlinked_clients(&data, &decisions);
    if !unchecked.is_empty() {
        notes.push(format!(
            "Halo's answers did not show '{}' for {} active client(s) (the report's unchecked_clients lists them): \
             whether they hold a value, and whose, was not seen",
            data.clients.field.name,
            unchecked.len()
        ));
    }
    let mut decided = Decided { lines, attention, notes, unlinked, unchecked, suggested_id_map, sites: None };
    let Some(site_data) = data.sites.take() else { return Ok(decided) };
    let pairs = certain_pairs(&decisions, &data.clients.records);
    // The organizations are decided and written: what the site level needs of them is the
    // pairs and the names. The rest goes before the sites are planned (at 10,000 organizations
    // the decisions and the clients' custom fields are a large part of the peak).
    drop(decisions);
    for c in &mut data.clients.records {
        c.customfields = None;
    }
    for o in &mut data.orgs {
        (o.value, o.link) = (None, None);
    }
    let (sites, site_notes) = decide_and_write_sites(s, halo, site_data, &pairs, &data, perf)?;
    decided.sites = Some(sites);
    decided.notes.extend(site_notes);
    Ok(decided)
}

/// One report line per decision of a level: where its value went or would go, for a row that
/// needs a person the records to choose from, and for a location where it is (`parents` names
/// its organization and client). `none_listed`: the list showed no value at all, which an
/// organization's `no_match` says.
fn lines(decisions: &[plan::Decision], records: &[Record], parents: &Parents, none_listed: bool) -> Vec<Line> {
    decisions
        .iter()
        .map(|d| {
            let mut l = Line::of(d, d.client.map(|i| (records[i].id, records[i].name.as_str())));
            l.candidates = d
                .suggestions
                .iter()
                .map(|s| report::Candidate {
                    halo_id: records[s.client].id,
                    halo_name: records[s.client].name.clone(),
                    why: s.why.clone(),
                })
                .collect();
            l.within = d.within.map(|p| parents.within(p));
            if d.status == Status::NoMatch && none_listed && d.value.is_some() {
                l.detail.push_str(
                    " (Halo's client list carries no custom field values here, so a client already holding this \
                     value could not be looked for)",
                );
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
fn attention(s: &Settings, data: &Data) -> Vec<String> {
    // Organizations without a single value is almost never the truth: it is a wrong field name
    // or a field the API application may not read. Never "OK".
    let mut attention = Vec::new();
    // No organizations at all: a NinjaOne tenant always has some; this is the wrong API
    // application, region or permission. Never "OK".
    if data.orgs.is_empty() {
        attention.push(
            "NinjaOne returned no organizations at all: check that the API application (Administration > Apps > API) \
             belongs to this NinjaOne instance and region (--ninja-region / NINJA_REGION), has the monitoring scope, \
             and that its technician role may see every organization"
                .to_string(),
        );
    }
    if !data.orgs.is_empty() && data.orgs.iter().all(|o| o.value.is_none()) {
        attention.push(format!(
            "none of the {} NinjaOne organizations has a value in the field '{}': check the field's name (the API \
             name under Administration > Devices > Role Custom Fields / Global Custom Fields, not its label, \
             --ninja-field / NINJA_FIELD) and that its API permission allows reading",
            data.orgs.len(),
            s.ninja_field
        ));
    }
    // The same at the site level: locations without a single value is a wrong field name or a
    // field the API may not read.
    if let (Some(sd), Some(sf)) = (&data.sites, &s.sites) {
        if !sd.locations.is_empty() && sd.locations.iter().all(|l| l.value.is_none()) {
            attention.push(format!(
                "none of the {} NinjaOne locations has a value in the field '{}': check the field's name (its API \
                 name, --ninja-location-field / NINJA_LOCATION_FIELD) and that its API permission allows reading",
                sd.locations.len(),
                sf.ninja_location_field
            ));
        }
    }
    attention
}

/// What a level's run could not see of Halo's own NinjaOne link, said in words: records read for
/// it whose answer did not show it either (`read_unseen`), and, with `--native-links targets`,
/// the records not read at all.
fn link_notes<'r>(
    opts: &plan::Options,
    kind: halo::Kind,
    records: impl Iterator<Item = &'r Record>,
    read_unseen: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    if opts.native_links != plan::NativeLinks::Off && read_unseen > 0 {
        notes.push(format!(
            "Halo's own records of {read_unseen} {} read for Halo's own NinjaOne link (ninjarmmid) did not show it \
             either: it could not be checked for them",
            kind.plural()
        ));
    }
    let not_read = records.filter(|r| r.link == plan::Link::Unseen).count().saturating_sub(read_unseen);
    if opts.native_links == plan::NativeLinks::Targets && not_read > 0 {
        notes.push(format!(
            "--native-links targets: Halo's own NinjaOne link was read only on the {} about to be written by name; on \
             {not_read} other {} it was not looked for, so a NinjaOne {} that Halo links to one of them is not seen \
             (--native-links auto reads them)",
            kind.plural(),
            kind.plural(),
            if kind == halo::Kind::Clients { "organization" } else { "location" }
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
        .filter_map(|d| Some(plan::Pair { org_id: d.ninja_id, client_id: clients[d.client?].id }))
        .collect()
}

/// The site level: plans inside the certain links (reading matched sites whose value the list
/// did not show, once each), writes through the same protocol on /api/Site, and returns one
/// line per location judged.
fn decide_and_write_sites(
    s: &Settings,
    halo: &Halo,
    mut sd: SiteData,
    pairs: &[plan::Pair],
    data: &Data,
    perf: &mut Performance,
) -> Result<(Vec<Line>, Vec<String>), RunError> {
    let opts = crate::sites::options(&s.plan);
    let SiteData { locations, sites: level } = &mut sd;
    let (plan, reread) =
        plan_with_reads(halo, level, perf, |sites| crate::sites::plan(pairs, locations, sites, &opts))?;
    // Only the sites of the certain pairs are the site level's concern.
    let in_pairs: std::collections::HashSet<i64> = pairs.iter().map(|p| p.client_id).collect();
    let paired = sd.sites.records.iter().filter(|r| r.client_id.is_some_and(|c| in_pairs.contains(&c)));
    let notes = link_notes(&opts, halo::Kind::Sites, paired, reread.links_unseen(&sd.sites.records));
    let mut decisions = plan.decisions;
    if !s.dry_run {
        write_decided(halo, &mut sd.sites, decisions.iter_mut().collect(), perf);
    }
    let parents = Parents {
        orgs: data.orgs.iter().map(|o| (o.id, o.name.as_str())).collect(),
        clients: data.clients.records.iter().map(|c| (c.id, c.name.as_str())).collect(),
    };
    let lines = lines(&decisions, &sd.sites.records, &parents, false);
    Ok((lines, notes))
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
fn unlinked_clients(data: &Data, decisions: &[plan::Decision]) -> (Vec<report::Unlinked>, Vec<report::Unlinked>) {
    let values: std::collections::HashSet<String> =
        data.orgs.iter().filter_map(|o| o.value.as_deref()).map(plan::value_key).collect();
    let written: std::collections::HashSet<usize> = decisions
        .iter()
        .filter(|d| matches!(d.status, Status::Updated | Status::WouldUpdate))
        .filter_map(|d| d.client)
        .collect();
    let (mut unlinked, mut unchecked) = (Vec::new(), Vec::new());
    for (_, c) in data.clients.records.iter().enumerate().filter(|(i, c)| !c.inactive && !written.contains(i)) {
        let listed = report::Unlinked { halo_id: c.id, halo_name: redact::shown(&c.name, report::NAME_MAX) };
        match c.field_value(&data.clients.field) {
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

fn data_names(data: &Data) -> Vec<(i64, String)> {
    data.clients.records.iter().map(|c| (c.id, c.name.clone())).collect()
}

/// Writes the decisions due (`would_update`) through the write protocol (write.rs), reads them
/// back, and turns each into `updated` or `failed` with why.
fn write_decided(halo: &Halo, w: &mut Level, mut decisions: Vec<&mut plan::Decision>, perf: &mut Performance) {
    use crate::write::{self, Failure, Job};
    decisions.retain(|d| d.status == Status::WouldUpdate);
    if decisions.is_empty() {
        return;
    }
    let t = Instant::now();
    // The plan gives every write a record and a value; a decision without them is not written.
    let (decisions, unplanned): (Vec<_>, Vec<_>) =
        decisions.into_iter().partition(|d| d.client.is_some() && d.value.is_some());
    output::info(&format!("writing {} Halo {}", decisions.len(), w.kind.plural()));
    let server = write::HaloRecords { halo, kind: w.kind, defs: &w.defs };
    let mut target = write::Target { records: &mut w.records, defs: &w.defs, field: &w.field };
    let outcomes = {
        let jobs: Vec<Job> =
            decisions.iter().filter_map(|d| Some(Job { record: d.client?, value: d.value.as_deref()? })).collect();
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
        line.push_str(&format!(
            "; sites: {} in sync, {} updated, {} need attention, {} failed",
            c.in_sync,
            c.updated + c.would_update,
            c.needing_attention(),
            c.failed
        ));
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
