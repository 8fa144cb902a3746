//! The run's result: stdout lines, the JSON report (see docs/configuration.md, "Output and report") and
//! `Exit`, each exit code with its meaning in one place.

use crate::plan::{Decision, Status, Tier};
use serde::Serialize;

#[derive(Serialize, Default, Clone, Copy)]
pub struct Counts {
    pub updated: usize,
    pub would_update: usize,
    pub in_sync: usize,
    pub no_value: usize,
    pub invalid_value: usize,
    pub no_match: usize,
    pub ambiguous: usize,
    pub conflict: usize,
    pub ignored: usize,
    pub failed: usize,
}

impl Counts {
    pub fn of(lines: &[OrgLine]) -> Counts {
        Counts::of_statuses(lines.iter().map(|l| l.status))
    }
    pub fn of_statuses(statuses: impl IntoIterator<Item = Status>) -> Counts {
        let mut c = Counts::default();
        for s in statuses {
            *c.slot(s) += 1;
        }
        c
    }
    /// Both levels' counts together (what the exit code is judged on).
    pub fn plus(&self, other: &Counts) -> Counts {
        let mut sum = *self;
        for s in Status::ALL {
            *sum.slot(s) += other.get(s);
        }
        sum
    }

    /// Every status with its count: `3 updated, 0 would_update, ...`.
    fn listed(&self) -> String {
        Status::ALL.iter().map(|s| format!("{} {}", self.get(*s), s.name())).collect::<Vec<_>>().join(", ")
    }
    fn slot(&mut self, s: Status) -> &mut usize {
        match s {
            Status::Updated => &mut self.updated,
            Status::WouldUpdate => &mut self.would_update,
            Status::InSync => &mut self.in_sync,
            Status::NoValue => &mut self.no_value,
            Status::InvalidValue => &mut self.invalid_value,
            Status::NoMatch => &mut self.no_match,
            Status::Ambiguous => &mut self.ambiguous,
            Status::Conflict => &mut self.conflict,
            Status::Ignored => &mut self.ignored,
            Status::Failed => &mut self.failed,
        }
    }
    pub fn get(&self, s: Status) -> usize {
        *self.clone().slot(s)
    }
    pub fn needing_attention(&self) -> usize {
        self.no_match + self.ambiguous + self.conflict + self.invalid_value
    }
}

#[derive(Serialize, Clone)]
pub struct OrgLine {
    pub ninja_id: i64,
    pub ninja_name: String,
    pub value: Option<String>,
    pub status: Status,
    pub tier: Option<Tier>,
    pub score: Option<f64>,
    pub halo_id: Option<i64>,
    pub halo_name: Option<String>,
    pub detail: String,
    /// For a row that needs a person: the clients to choose from, best first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
}

/// A Halo client offered for a row that needs a person, and why it was not taken.
#[derive(Serialize, Clone, Debug)]
pub struct Candidate {
    pub halo_id: i64,
    pub halo_name: String,
    pub why: String,
}

/// Pairs in the ID_MAP form (`24=224, 28=231`: digits, `=`, commas and spaces, all of which a
/// NinjaOne Script Variable takes); None without pairs.
pub fn id_map(pairs: impl Iterator<Item = (i64, i64)>) -> Option<String> {
    let pairs: Vec<String> = pairs.map(|(org, client)| format!("{org}={client}")).collect();
    (!pairs.is_empty()).then(|| pairs.join(", "))
}

/// The longest ID_MAP value printed on one line (about 280 pairs): one Script Variable value,
/// far under the 65,535 characters NinjaOne's API document allows a script variable, and short
/// enough to check by eye. A longer suggestion is split, one line a run.
pub const ID_MAP_LINE_MAX: usize = 4_000;

/// The stdout lines that offer the proposals for one paste each.
pub fn id_map_lines(pairs: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for pair in pairs.split(", ") {
        match parts.last_mut() {
            Some(p) if p.len() + 2 + pair.len() <= ID_MAP_LINE_MAX => {
                p.push_str(", ");
                p.push_str(pair);
            }
            _ => parts.push(pair.to_string()),
        }
    }
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let which = if n > 1 { format!(" (part {} of {n}: one run each)", i + 1) } else { String::new() };
            format!(
                "suggested ID_MAP{which}: {p}  <- check each pair (the report's candidates say why), then paste it \
                 into the Script Variable idMap of one manual run; once written, they stay linked by their value"
            )
        })
        .collect()
}

/// The most characters of one name or value shown (stdout, log, report).
pub const NAME_MAX: usize = 200;
/// The most characters of a decision's detail or a run-level finding shown.
pub const DETAIL_MAX: usize = 2_000;

/// How a text is shown: redacted and clipped to at most so many characters (`redact::shown`).
pub type Shown<'a> = &'a dyn Fn(&str, usize) -> String;

impl OrgLine {
    /// Every name, value and detail as it may be shown: redacted and bounded, so that a
    /// megabyte name or value costs a line, not a megabyte (the ids say which one it is).
    pub fn bound(&mut self, shown: Shown) {
        self.ninja_name = shown(&self.ninja_name, NAME_MAX);
        self.detail = shown(&self.detail, DETAIL_MAX);
        for text in [self.value.as_mut(), self.halo_name.as_mut()].into_iter().flatten() {
            *text = shown(text, NAME_MAX);
        }
        for c in &mut self.candidates {
            c.halo_name = shown(&c.halo_name, NAME_MAX);
            c.why = shown(&c.why, DETAIL_MAX);
        }
    }
}

/// One location's line: where it is (organization, client), what was decided.
#[derive(Serialize, Clone)]
pub struct SiteLine {
    pub ninja_org_id: i64,
    pub ninja_location_id: i64,
    pub ninja_location_name: String,
    pub value: Option<String>,
    pub status: Status,
    pub tier: Option<Tier>,
    pub halo_client_id: i64,
    pub halo_site_id: Option<i64>,
    pub halo_site_name: Option<String>,
    pub detail: String,
    /// For the stdout line only (the report names both sides by id).
    #[serde(skip)]
    pub ninja_org_name: String,
    #[serde(skip)]
    pub halo_client_name: String,
}

impl SiteLine {
    /// As `OrgLine::bound`.
    pub fn bound(&mut self, shown: Shown) {
        for text in [&mut self.ninja_location_name, &mut self.ninja_org_name, &mut self.halo_client_name] {
            *text = shown(text, NAME_MAX);
        }
        self.detail = shown(&self.detail, DETAIL_MAX);
        for text in [self.value.as_mut(), self.halo_site_name.as_mut()].into_iter().flatten() {
            *text = shown(text, NAME_MAX);
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct Unlinked {
    pub halo_id: i64,
    pub halo_name: String,
}

#[derive(Serialize)]
pub struct Requests {
    pub ninja: u64,
    pub halo: u64,
    pub retries: u64,
    pub waited_seconds: f64,
}

/// Where the time and memory went (for the benchmark and for operators).
#[derive(Serialize, Default)]
pub struct Performance {
    pub read_seconds: f64,
    pub plan_cpu_seconds: Option<f64>,
    pub write_seconds: f64,
    pub peak_rss_kib: Option<u64>,
}

#[derive(Serialize)]
pub struct Report {
    pub version: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub dry_run: bool,
    pub ninja_field: String,
    pub halo_field: String,
    pub counts: Counts,
    pub orgs: Vec<OrgLine>,
    /// Active Halo clients that hold no organization's value and received none: a client
    /// without an RMM is normal, but an MSP reviews them as it reviews `no_match`.
    pub unlinked_clients: Vec<Unlinked>,
    /// Active Halo clients whose value the run never saw (list rows without values, not read on
    /// their own): never called linked or unlinked.
    pub unchecked_clients: Vec<Unlinked>,
    /// The first candidate of each row that needs a person, as an ID_MAP value for one paste.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_id_map: Option<String>,
    /// What the run could not see (Halo's own NinjaOne link where no answer showed it, the
    /// values of unchecked clients): said, without an exit code of its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The site level's lines and counts, when it is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sites: Option<Vec<SiteLine>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_counts: Option<Counts>,
    pub exit_code: u8,
    /// Why the run could not complete (exit code 1), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Findings about the whole run that need a person (exit code 3), e.g. no organization has
    /// a value in the NinjaOne field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attention: Vec<String>,
    pub requests: Requests,
    pub performance: Performance,
}

/// How a run ends, for NinjaOne to alert on: each code with its number, its word for the
/// status line, its meaning in the summary and its description in --help and the README, in
/// this one place. The highest applicable code wins in the order 1, 2, 3, 0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exit {
    Ok,
    CouldNotRun,
    WriteFailed,
    Attention,
}

impl Exit {
    pub const ALL: [Exit; 4] = [Exit::Ok, Exit::CouldNotRun, Exit::WriteFailed, Exit::Attention];

    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::CouldNotRun => 1,
            Exit::WriteFailed => 2,
            Exit::Attention => 3,
        }
    }

    /// The outcome in the status line NinjaOne shows on the device.
    pub fn word(self) -> &'static str {
        match self {
            Exit::Ok => "OK",
            Exit::CouldNotRun => "ERROR",
            Exit::WriteFailed => "WRITE FAILED",
            Exit::Attention => "ATTENTION",
        }
    }

    /// The outcome at the end of the summary line.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "OK",
            Exit::CouldNotRun => "could not run",
            Exit::WriteFailed => "some writes failed",
            Exit::Attention => "some organizations or sites need attention",
        }
    }

    /// What the code means, for --help and the README's table.
    pub fn description(self) -> &'static str {
        match self {
            Exit::Ok => "every organization (and site) is in sync, updated, ignored or has no value",
            Exit::CouldNotRun => {
                "could not run: usage or configuration error, authentication failure, API unreachable, wrong field \
                 name; nothing written"
            }
            Exit::WriteFailed => "ran, but at least one write failed",
            Exit::Attention => {
                "ran, nothing failed, but some organizations or sites need a person (no_match, ambiguous, \
                 conflict, invalid_value), or none has a value in the NinjaOne field"
            }
        }
    }

    /// The code of a run that completed: a failed write first, then what needs a person.
    pub fn of(counts: &Counts, attention: bool) -> Exit {
        if counts.failed > 0 {
            Exit::WriteFailed
        } else if counts.needing_attention() > 0 || attention {
            Exit::Attention
        } else {
            Exit::Ok
        }
    }
}

pub fn line(d: &Decision, halo: Option<(i64, &str)>) -> OrgLine {
    OrgLine {
        ninja_id: d.ninja_id,
        ninja_name: d.ninja_name.clone(),
        value: d.value.clone(),
        status: d.status,
        tier: d.tier,
        score: d.score.map(|s| (s * 100.0).round() / 100.0),
        halo_id: halo.map(|h| h.0),
        halo_name: halo.map(|h| h.1.to_string()),
        detail: d.detail.clone(),
        candidates: Vec::new(),
    }
}

/// A report line of either level (an organization's, a location's), as stdout shows it.
pub trait Line {
    fn printed(&self) -> Printed<'_>;
}

/// The parts of a stdout line.
pub struct Printed<'a> {
    /// Words before the status: the level of a line that is not an organization's ("site ").
    level: &'static str,
    status: Status,
    /// What the line is about: `'Acme' (#12)`, or `'Acme' (#12) › 'Main St' (#7)`.
    who: String,
    /// Where its value goes or would go (` -> 'Acme Ltd' (#201)`), or where it was looked for.
    target: String,
    tier: Option<Tier>,
    detail: &'a str,
}

/// The stdout line of a record that changed or needs attention; None for the rest.
pub fn stdout_line(l: &dyn Line) -> Option<String> {
    let Printed { level, status, who, target, tier, detail } = l.printed();
    if matches!(status, Status::InSync | Status::NoValue | Status::Ignored) {
        return None;
    }
    let tier = tier.map(|t| format!(" [{}]", t.name())).unwrap_or_default();
    Some(format!("{level}{:<13} {who}{target}{tier}: {}", status.name(), crate::util::printable(detail)))
}

impl Line for OrgLine {
    fn printed(&self) -> Printed<'_> {
        let p = crate::util::printable;
        let target = match (&self.halo_name, self.halo_id) {
            (Some(n), Some(id)) => format!(" -> '{}' (#{id})", p(n)),
            _ => String::new(),
        };
        let who = format!("'{}' (#{})", p(&self.ninja_name), self.ninja_id);
        Printed { level: "", status: self.status, who, target, tier: self.tier, detail: &self.detail }
    }
}

/// A location's line: `organization › location -> client › site`.
impl Line for SiteLine {
    fn printed(&self) -> Printed<'_> {
        let p = crate::util::printable;
        let (org, location) = (p(&self.ninja_org_name), p(&self.ninja_location_name));
        let who = format!("'{org}' (#{}) › '{location}' (#{})", self.ninja_org_id, self.ninja_location_id);
        let client = format!("'{}' (#{})", p(&self.halo_client_name), self.halo_client_id);
        let target = match (&self.halo_site_name, self.halo_site_id) {
            (Some(n), Some(id)) => format!(" -> {client} › '{}' (#{id})", p(n)),
            _ => format!(" (in {client})"),
        };
        Printed { level: "site ", status: self.status, who, target, tier: self.tier, detail: &self.detail }
    }
}

/// A summary line: the counts of one level under a label ("summary", "sites").
pub fn counts_line(label: &str, c: &Counts) -> String {
    format!("{label}: {}", c.listed())
}

/// The run's summary line: the organizations' counts and how the run ends.
pub fn summary(c: &Counts, exit: Exit) -> String {
    format!("{} (exit {}: {})", counts_line("summary", c), exit.code(), exit.meaning())
}
