//! The run's result: stdout lines, the JSON report (see docs/configuration.md, "Output and report") and
//! `Exit`, each exit code with its meaning in one place.

use crate::plan::{Decision, Status, Tier};
use serde::{Serialize, Serializer};

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
    pub fn of(lines: &[Line]) -> Counts {
        let mut c = Counts::default();
        for l in lines {
            *c.slot(l.status) += 1;
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

    /// What the status line says of a level: `412 in sync, 3 updated, 0 need attention, 0 failed`
    /// (a dry run's `would_update` counts as updated).
    pub fn brief(&self) -> String {
        let updated = self.updated + self.would_update;
        let (in_sync, attention, failed) = (self.in_sync, self.needing_attention(), self.failed);
        format!("{in_sync} in sync, {updated} updated, {attention} need attention, {failed} failed")
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

/// One NinjaOne record's line, at either level: an organization's, or a location's (which
/// says where it is: `within`). The report writes each level in its own shape (`Serialize`).
#[derive(Clone, Debug)]
pub struct Line {
    pub ninja_id: i64,
    pub ninja_name: String,
    pub value: Option<String>,
    pub status: Status,
    pub tier: Option<Tier>,
    pub score: Option<f64>,
    pub halo_id: Option<i64>,
    pub halo_name: Option<String>,
    pub detail: String,
    /// For a row that needs a person: the records to choose from, best first.
    pub candidates: Vec<Candidate>,
    /// A location's line: its organization and the client whose sites it was matched in.
    pub within: Option<Within>,
}

/// Where a location's line is: the certain organization <-> client link, by id and name.
#[derive(Clone, Debug)]
pub struct Within {
    pub org_id: i64,
    /// For the stdout line only (the report names both sides by id).
    pub org_name: String,
    pub client_id: i64,
    pub client_name: String,
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

impl Line {
    /// A decision's line; `halo` is the record it names (id, name), if any.
    pub fn of(d: &Decision, halo: Option<(i64, &str)>) -> Line {
        Line {
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
            within: None,
        }
    }

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
        if let Some(w) = &mut self.within {
            for text in [&mut w.org_name, &mut w.client_name] {
                *text = shown(text, NAME_MAX);
            }
        }
    }
}

/// The report's shape of an organization's line.
#[derive(Serialize)]
struct OrgJson<'a> {
    ninja_id: i64,
    ninja_name: &'a str,
    value: &'a Option<String>,
    status: Status,
    tier: Option<Tier>,
    score: Option<f64>,
    halo_id: Option<i64>,
    halo_name: &'a Option<String>,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[Candidate]>::is_empty")]
    candidates: &'a [Candidate],
}

/// The report's shape of a location's line: where it is (organization, client), by id.
#[derive(Serialize)]
struct SiteJson<'a> {
    ninja_org_id: i64,
    ninja_location_id: i64,
    ninja_location_name: &'a str,
    value: &'a Option<String>,
    status: Status,
    tier: Option<Tier>,
    halo_client_id: i64,
    halo_site_id: Option<i64>,
    halo_site_name: &'a Option<String>,
    detail: &'a str,
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let l = self;
        match &l.within {
            None => OrgJson {
                ninja_id: l.ninja_id,
                ninja_name: &l.ninja_name,
                value: &l.value,
                status: l.status,
                tier: l.tier,
                score: l.score,
                halo_id: l.halo_id,
                halo_name: &l.halo_name,
                detail: &l.detail,
                candidates: &l.candidates,
            }
            .serialize(serializer),
            Some(w) => SiteJson {
                ninja_org_id: w.org_id,
                ninja_location_id: l.ninja_id,
                ninja_location_name: &l.ninja_name,
                value: &l.value,
                status: l.status,
                tier: l.tier,
                halo_client_id: w.client_id,
                halo_site_id: l.halo_id,
                halo_site_name: &l.halo_name,
                detail: &l.detail,
            }
            .serialize(serializer),
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
    pub orgs: Vec<Line>,
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
    pub sites: Option<Vec<Line>>,
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

/// The stdout line of a record that changed or needs attention; None for the rest. A
/// location's line says where it is: `site <status> 'Acme' (#12) › 'Main St' (#7) -> 'Acme
/// Ltd' (#201) › 'Main Street' (#9)`.
pub fn stdout_line(l: &Line) -> Option<String> {
    if matches!(l.status, Status::InSync | Status::NoValue | Status::Ignored) {
        return None;
    }
    let p = crate::util::printable;
    let ninja = format!("'{}' (#{})", p(&l.ninja_name), l.ninja_id);
    let halo = match (&l.halo_name, l.halo_id) {
        (Some(n), Some(id)) => Some(format!("'{}' (#{id})", p(n))),
        _ => None,
    };
    let (level, who, target) = match (&l.within, halo) {
        (None, halo) => ("", ninja, halo.map(|h| format!(" -> {h}")).unwrap_or_default()),
        (Some(w), halo) => {
            let org = format!("'{}' (#{})", p(&w.org_name), w.org_id);
            let client = format!("'{}' (#{})", p(&w.client_name), w.client_id);
            let target = match halo {
                Some(site) => format!(" -> {client} › {site}"),
                None => format!(" (in {client})"),
            };
            ("site ", format!("{org} › {ninja}"), target)
        }
    };
    let tier = l.tier.map(|t| format!(" [{}]", t.name())).unwrap_or_default();
    Some(format!("{level}{:<13} {who}{target}{tier}: {}", l.status.name(), p(&l.detail)))
}

/// A summary line: the counts of one level under a label ("summary", "sites").
pub fn counts_line(label: &str, c: &Counts) -> String {
    format!("{label}: {}", c.listed())
}

/// The run's summary line: the organizations' counts and how the run ends.
pub fn summary(c: &Counts, exit: Exit) -> String {
    format!("{} (exit {}: {})", counts_line("summary", c), exit.code(), exit.meaning())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(within: Option<Within>) -> Line {
        Line {
            ninja_id: 7,
            ninja_name: "Main St".into(),
            value: Some("g".into()),
            status: Status::WouldUpdate,
            tier: Some(Tier::Exact),
            score: None,
            halo_id: Some(9),
            halo_name: Some("Main Street".into()),
            detail: "exact name".into(),
            candidates: vec![Candidate { halo_id: 3, halo_name: "Other".into(), why: "weaker".into() }],
            within,
        }
    }

    #[test]
    fn each_level_keeps_its_own_report_shape_and_stdout_line() {
        let org = line(None);
        assert_eq!(
            serde_json::to_string(&org).unwrap(),
            r#"{"ninja_id":7,"ninja_name":"Main St","value":"g","status":"would_update","tier":"exact","score":null,"halo_id":9,"halo_name":"Main Street","detail":"exact name","candidates":[{"halo_id":3,"halo_name":"Other","why":"weaker"}]}"#
        );
        let without_candidates = Line { candidates: Vec::new(), ..line(None) };
        assert!(!serde_json::to_string(&without_candidates).unwrap().contains("candidates"));
        assert_eq!(
            stdout_line(&org).unwrap(),
            "would_update  'Main St' (#7) -> 'Main Street' (#9) [exact]: exact name"
        );
        let within = Within { org_id: 1, org_name: "Acme".into(), client_id: 2, client_name: "Acme Ltd".into() };
        let location = line(Some(within));
        assert_eq!(
            serde_json::to_string(&location).unwrap(),
            r#"{"ninja_org_id":1,"ninja_location_id":7,"ninja_location_name":"Main St","value":"g","status":"would_update","tier":"exact","halo_client_id":2,"halo_site_id":9,"halo_site_name":"Main Street","detail":"exact name"}"#
        );
        assert_eq!(
            stdout_line(&location).unwrap(),
            "site would_update  'Acme' (#1) › 'Main St' (#7) -> 'Acme Ltd' (#2) › 'Main Street' (#9) [exact]: exact name"
        );
        let unmatched = Line { halo_id: None, halo_name: None, status: Status::NoMatch, ..location };
        assert_eq!(
            stdout_line(&unmatched).unwrap(),
            "site no_match      'Acme' (#1) › 'Main St' (#7) (in 'Acme Ltd' (#2)) [exact]: exact name"
        );
        assert_eq!(stdout_line(&Line { status: Status::InSync, ..org }), None);
    }
}
