//! Pure decisions: both sides' data in, one decision per NinjaOne record out. No I/O. At the
//! organization level the NinjaOne records (`NinjaIn`) are organizations and the Halo records
//! (`HaloIn`) clients; the site level (sites.rs) runs the same planner inside each certain
//! organization <-> client link (`Pair`), with locations and sites. The planner's own words
//! below speak of organizations and clients; `Level` picks the words its details are written in.
//!
//! `Planner` holds the context computed once; its stages: `claim` (one method per tier),
//! `resolve_contests` across organizations, `judge` of each claim. Client and candidate
//! indexes are distinct types.
//!
//! Order of the tiers: linked, manual, native, exact, fuzzy. Every organization
//! claims at most one client (its best candidate); a client goes to its strongest claim, and
//! a tie for a client leaves every tied organization `ambiguous`. Organizations without a
//! usable value still claim their client, so that a weaker claim cannot take it from them.

use crate::matching::{self, exact_key, Fuzzy, Index, Scored};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The most clients one decision names in its detail and suggestions (an organization whose
/// name hundreds of clients share must not cost organizations x clients of memory).
const NAMED_MAX: usize = 10;

/// A NinjaOne record as the planner takes it: an organization, or a location.
#[derive(Clone, Debug, Default)]
pub struct NinjaIn {
    pub id: i64,
    /// A location's organization; None for an organization.
    pub parent: Option<i64>,
    pub name: String,
    pub value: Option<String>,
    /// The organization's link field (`--ninja-link-field`): its Halo client's id (`1234`,
    /// `#1234`) or exact name, as a technician typed it in NinjaOne. None for a location.
    pub link: Option<String>,
}

/// A Halo record as the planner takes it: a client, or a site.
#[derive(Clone, Debug, Default)]
pub struct HaloIn {
    pub id: i64,
    /// A site's client (a site without one is never matched); None for a client.
    pub parent: Option<i64>,
    pub name: String,
    pub inactive: bool,
    /// The field's current value: Some(None) = empty, None = not read yet.
    pub value: Option<Option<String>>,
    /// Halo's own NinjaOne link: the organization (or location) id Halo's integration stored
    /// on the record, as far as the answers read show it.
    pub link: Link,
    /// The record, read on its own, disagrees with the list row the decision is made on: it
    /// is never written.
    pub disputed: Option<Disagreement>,
}

/// A certain organization <-> client link, inside which locations and sites are matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub org_id: i64,
    pub client_id: i64,
}

/// Halo's own NinjaOne link (`ninjarmmid`) on a client, as far as the run has seen it. Halo's
/// API document puts it on the record (`GET /api/Client/{id}`), not on list rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// No answer read so far showed it.
    #[default]
    Unseen,
    /// Shown: the NinjaOne organization (or location) id, or None for no link (0, null, -1).
    Seen(Option<i64>),
}

impl Link {
    fn names(self) -> Option<i64> {
        match self {
            Link::Seen(id) => id,
            Link::Unseen => None,
        }
    }
}

/// How a record read on its own contradicts the list row a decision was made on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disagreement {
    /// The answer is another record (its id).
    OtherId(i64),
    /// A site's record names another client than its row (None: none).
    OtherClient { listed: Option<i64>, record: Option<i64> },
    /// The row says active, the record inactive.
    Inactive,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = |c: &Option<i64>| c.map_or("none".to_string(), |c| format!("#{c}"));
        match self {
            Disagreement::OtherId(id) => write!(f, "Halo answered with the record of #{id} instead"),
            Disagreement::OtherClient { listed, record } => {
                write!(f, "its record names client {} where the list named client {}", id(record), id(listed))
            }
            Disagreement::Inactive => f.write_str("its record is inactive where the list showed it active"),
        }
    }
}

/// Where Halo's own NinjaOne link is read (`--native-links`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NativeLinks {
    /// From list rows where they carry it, else from the records a decision depends on: every
    /// record a name is about to write to and, while some organization with a value has no
    /// client holding it, every client holding no organization's value.
    #[default]
    Auto,
    /// Only the records a name is about to write to.
    Targets,
    /// Not used.
    Off,
}

/// The Halo client a mapping names: by exact name, or `#<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HaloRef {
    Name(String),
    Id(i64),
}

impl std::fmt::Display for HaloRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HaloRef::Name(n) => write!(f, "{n}"),
            HaloRef::Id(id) => write!(f, "#{id}"),
        }
    }
}

impl HaloRef {
    /// A client named as a person types it: `1234` or `#1234` is an id, anything else a name.
    pub fn parse(text: &str) -> Option<HaloRef> {
        let t = text.trim();
        let digits = t.strip_prefix('#').unwrap_or(t).trim();
        match digits.parse::<i64>() {
            Ok(id) if id > 0 && digits.chars().all(|c| c.is_ascii_digit()) => Some(HaloRef::Id(id)),
            _ if t.is_empty() => None,
            _ => Some(HaloRef::Name(t.to_string())),
        }
    }
}

/// A manual mapping: a NinjaOne organization (by exact name) to a Halo client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub ninja: String,
    pub halo: HaloRef,
}

/// A manual mapping by ids (`--id-map 12=345`): NinjaOne organization id to a Halo client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdMapping {
    pub ninja_id: i64,
    pub halo: HaloRef,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub overwrite: bool,
    pub any_value: bool,
    pub include_inactive: bool,
    pub no_fuzzy: bool,
    pub mappings: Vec<Mapping>,
    pub ignore: Vec<String>,
    pub id_mappings: Vec<IdMapping>,
    /// NinjaOne organization ids never synced (`--ignore-id`).
    pub ignore_ids: Vec<i64>,
    /// Where Halo's own NinjaOne link (`ninjarmmid`) is read, or whether it is used at all.
    pub native_links: NativeLinks,
    /// What is being planned: organizations to clients, or (inside one linked pair) locations
    /// to sites, which adds the last tier `Tier::Single` and speaks of locations and sites.
    pub level: Level,
}

/// The level a plan is made at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Level {
    #[default]
    Organizations,
    Sites,
}

/// The words a level's details are written in (and the advice that fits it: a location has no
/// mapping option; putting its value on the right site by hand links them).
struct Words {
    ninja: &'static str,
    ninja_long: &'static str,
    ninja_plural: &'static str,
    ninja_noun: &'static str,
    ninja_field: &'static str,
    halo: &'static str,
    halo_plural: &'static str,
    halo_nouns: &'static str,
    map_it: &'static str,
    rename_or_map: &'static str,
    same_business_tail: &'static str,
    settle_contest: &'static str,
    never_overwrite: &'static str,
}

const ORGANIZATION_WORDS: Words = Words {
    ninja: "Ninja organization",
    ninja_long: "NinjaOne organization",
    ninja_plural: "Ninja organizations",
    ninja_noun: "organization",
    ninja_field: "the Ninja field",
    halo: "Halo client",
    halo_plural: "Halo clients",
    halo_nouns: "clients",
    map_it: "map the organization",
    rename_or_map: "rename the Ninja organization to the exact Halo name or add a mapping",
    same_business_tail:
        "if it is the same business, add a mapping, or rename the Ninja organization to the exact Halo name",
    settle_contest: "add a mapping for the right one",
    never_overwrite: "fuzzy and native matches never overwrite: fix it in Halo or add a mapping",
};

const SITE_WORDS: Words = Words {
    ninja: "NinjaOne location",
    ninja_long: "NinjaOne location",
    ninja_plural: "NinjaOne locations",
    ninja_noun: "location",
    ninja_field: "the NinjaOne location field",
    halo: "Halo site",
    halo_plural: "Halo sites",
    halo_nouns: "sites",
    map_it: "put the location's value into the right site's field in Halo",
    rename_or_map: "rename the NinjaOne location to the exact Halo site name, or put its value into the right \
                    site's field in Halo",
    same_business_tail: "if it is the same place, rename the NinjaOne location to the exact Halo site name, or put \
                         its value into the right site's field in Halo",
    settle_contest: "put the value into the right site's field in Halo",
    never_overwrite: "fuzzy, native and single matches never overwrite: fix it in Halo",
};

impl Level {
    fn words(self) -> &'static Words {
        match self {
            Level::Organizations => &ORGANIZATION_WORDS,
            Level::Sites => &SITE_WORDS,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Updated,
    WouldUpdate,
    InSync,
    NoValue,
    InvalidValue,
    NoMatch,
    Ambiguous,
    Conflict,
    Ignored,
    Failed,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Updated,
        Status::WouldUpdate,
        Status::InSync,
        Status::NoValue,
        Status::InvalidValue,
        Status::NoMatch,
        Status::Ambiguous,
        Status::Conflict,
        Status::Ignored,
        Status::Failed,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Status::Updated => "updated",
            Status::WouldUpdate => "would_update",
            Status::InSync => "in_sync",
            Status::NoValue => "no_value",
            Status::InvalidValue => "invalid_value",
            Status::NoMatch => "no_match",
            Status::Ambiguous => "ambiguous",
            Status::Conflict => "conflict",
            Status::Ignored => "ignored",
            Status::Failed => "failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Linked,
    Manual,
    Native,
    Exact,
    Fuzzy,
    /// Sites only: the only location and the only active site of a linked pair.
    Single,
}

impl Tier {
    /// A tier that matches by names (or, for sites, by there being one place on each side):
    /// weaker than any identity.
    pub fn by_name(self) -> bool {
        matches!(self, Tier::Exact | Tier::Fuzzy | Tier::Single)
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Linked => "linked",
            Tier::Manual => "manual",
            Tier::Native => "native",
            Tier::Exact => "exact",
            Tier::Fuzzy => "fuzzy",
            Tier::Single => "single",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Decision {
    /// A location's decision: the link it was matched inside. None for an organization's.
    pub within: Option<Pair>,
    pub ninja_id: i64,
    pub ninja_name: String,
    pub value: Option<String>,
    pub status: Status,
    pub tier: Option<Tier>,
    pub score: Option<f64>,
    /// The matched Halo record (a client, or a site), as an index into the records given to
    /// `plan`.
    pub halo: Option<usize>,
    pub detail: String,
    /// The Halo record's value this decision replaces (`--overwrite`).
    pub replaces: Option<String>,
    /// For a decision that needs a person (`no_match`, `ambiguous`): the Halo records to choose
    /// from, best first, each with why it was not taken.
    pub suggestions: Vec<Suggestion>,
}

/// A Halo record offered to a person: an index into the records given to `plan`, its score,
/// and why it was not taken.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub halo: usize,
    pub score: f64,
    pub why: String,
}

pub struct Plan {
    pub decisions: Vec<Decision>,
    /// Records (indexes into the Halo records given) to read on their own before deciding:
    /// matched ones whose current value was not seen, and ones whose own NinjaOne link a
    /// decision depends on (`NativeLinks`). The caller reads them and plans again.
    pub unread: Vec<usize>,
    /// How many of `unread` are read for their link (the rest for their value).
    pub for_links: usize,
}

/// For each decision that needs a person (`no_match`, `ambiguous`, with a usable value), the
/// client proposed to confirm it: its first suggestion that no other decision holds (matched,
/// written, in sync or in conflict with it) and that no earlier decision is proposed already;
/// None for every other decision. What `--suggest-map` writes and the report's
/// `suggested_id_map` carries: passed back as manual links, these never meet each other.
pub fn proposals(decisions: &[Decision]) -> Vec<Option<usize>> {
    let open = |d: &Decision| matches!(d.status, Status::NoMatch | Status::Ambiguous);
    let mut taken: HashSet<usize> =
        decisions.iter().filter(|d| !open(d) && d.status != Status::Ignored).filter_map(|d| d.halo).collect();
    decisions
        .iter()
        .map(|d| {
            if !open(d) || d.value.is_none() {
                return None;
            }
            let pick = d.suggestions.iter().map(|s| s.halo).find(|c| !taken.contains(c))?;
            taken.insert(pick);
            Some(pick)
        })
        .collect()
}

/// A GUID: 8-4-4-4-12 hex digits, optionally in braces.
pub fn is_guid(v: &str) -> bool {
    let v = v.trim();
    let v = v.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(v);
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The value compared for equality: GUIDs without braces and case, other text trimmed.
pub fn value_key(v: &str) -> String {
    let t = v.trim();
    if is_guid(t) {
        t.trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase()
    } else {
        t.to_string()
    }
}

/// `value_key` as a hash key without an allocation: a GUID as its 128 bits, any other value
/// (`--any-value`) as its text: the tables of values are a large part of a big tenant's peak
/// memory (docs/performance.md).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) enum ValueId {
    Guid(u128),
    Text(Box<str>),
}

pub(crate) fn value_id(v: &str) -> ValueId {
    let key = value_key(v);
    let hex: String = key.chars().filter(|c| *c != '-').collect();
    match (is_guid(v), u128::from_str_radix(&hex, 16)) {
        (true, Ok(n)) => ValueId::Guid(n),
        _ => ValueId::Text(key.into_boxed_str()),
    }
}

/// A Halo client: an index into the clients given to the planner.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
struct ClientIx(usize);

/// A candidate: an index into the name index, which holds only the clients that may be matched
/// (active ones, or all with --include-inactive). Kept apart from `ClientIx` by type: mixing
/// the two would match an organization to the wrong client.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct CandIx(usize);

/// What one organization claims: a client by one tier, or why it has none.
enum Claim {
    Match { client: ClientIx, tier: Tier, score: f64, detail: String },
    Fail { status: Status, detail: String, suggestions: Vec<(ClientIx, f64)> },
}

impl Claim {
    fn fail(status: Status, detail: String) -> Claim {
        Claim::Fail { status, detail, suggestions: Vec::new() }
    }
    /// Stronger first: a better tier, then a higher score.
    fn rank(&self) -> Option<(u8, i64)> {
        match self {
            Claim::Match { tier, score, .. } => Some((*tier as u8, -(score * 1e6).round() as i64)),
            Claim::Fail { .. } => None,
        }
    }
    fn fuzzy_score(&self) -> Option<f64> {
        match self {
            Claim::Match { tier: Tier::Fuzzy, score, .. } => Some(*score),
            _ => None,
        }
    }
}

/// The organizations whose claim lost its client to another organization, and why.
struct Contests {
    lost: HashMap<usize, String>,
}

/// The clients that may be matched (active ones, or all with --include-inactive) and the
/// name index over them; index positions map to `clients` through the returned list.
pub fn candidate_index(clients: &[HaloIn], include_inactive: bool) -> (Vec<usize>, Index) {
    let candidates: Vec<usize> = (0..clients.len()).filter(|&i| include_inactive || !clients[i].inactive).collect();
    let index = Index::new(candidates.iter().map(|&i| clients[i].name.as_str()));
    (candidates, index)
}

/// Both sides' data -> one decision per organization.
pub fn plan(orgs: &[NinjaIn], clients: &[HaloIn], opts: &Options) -> Plan {
    Planner::new(orgs, clients, opts).plan()
}

/// The decision core: the context every organization is judged in, computed once, and one
/// method per stage: each organization's `claim` (one method per tier), `resolve_contests`
/// across organizations, and `judge` of each organization's claim.
struct Planner<'a> {
    orgs: &'a [NinjaIn],
    clients: &'a [HaloIn],
    opts: &'a Options,
    /// CandIx -> ClientIx.
    candidates: Vec<ClientIx>,
    index: Index,
    ignored: HashSet<String>,
    ignored_ids: HashSet<i64>,
    mappings: HashMap<String, &'a HaloRef>,
    /// `--id-map`, by organization id.
    id_mappings: HashMap<i64, &'a HaloRef>,
    /// Each client by its Halo id (the first, where a server lists one twice).
    by_id: HashMap<i64, ClientIx>,
    /// ClientIx -> CandIx, for the clients that are candidates.
    cand_of: Vec<Option<CandIx>>,
    /// Which clients already hold which value.
    holders: HashMap<ValueId, Vec<ClientIx>>,
    /// How many (not ignored) organizations carry each value.
    value_count: HashMap<ValueId, usize>,
    /// Each organization's words and fuzzy candidates, computed once and used for the fuzzy
    /// tier, the runner-up in every decision's detail and the suggestions.
    words: Vec<Vec<String>>,
    cands: Vec<Vec<Scored>>,
}

impl<'a> Planner<'a> {
    fn new(orgs: &'a [NinjaIn], clients: &'a [HaloIn], opts: &'a Options) -> Planner<'a> {
        let (candidates, index) = candidate_index(clients, opts.include_inactive);
        let ignored: HashSet<String> = opts.ignore.iter().map(|n| exact_key(n)).collect();
        let ignored_ids: HashSet<i64> = opts.ignore_ids.iter().copied().collect();
        let id_mappings: HashMap<i64, &HaloRef> = opts.id_mappings.iter().map(|m| (m.ninja_id, &m.halo)).collect();
        let is_ignored = |o: &NinjaIn| ignored.contains(&exact_key(&o.name)) || ignored_ids.contains(&o.id);
        let mut by_id: HashMap<i64, ClientIx> = HashMap::new();
        for (i, c) in clients.iter().enumerate() {
            by_id.entry(c.id).or_insert(ClientIx(i));
        }
        let mappings = opts.mappings.iter().map(|m| (exact_key(&m.ninja), &m.halo)).collect();
        let mut holders: HashMap<ValueId, Vec<ClientIx>> = HashMap::new();
        for (i, c) in clients.iter().enumerate() {
            if let Some(Some(v)) = &c.value {
                holders.entry(value_id(v)).or_default().push(ClientIx(i));
            }
        }
        let mut value_count: HashMap<ValueId, usize> = HashMap::new();
        for o in orgs.iter().filter(|o| !is_ignored(o)) {
            if let Some(v) = &o.value {
                *value_count.entry(value_id(v)).or_default() += 1;
            }
        }
        let words: Vec<Vec<String>> = orgs.iter().map(|o| matching::fuzzy_words(&o.name)).collect();
        let cands = orgs
            .iter()
            .zip(&words)
            .map(|(o, w)| if is_ignored(o) { Vec::new() } else { index.candidates(w, matching::FUZZY_KEEP) })
            .collect();
        let mut cand_of = vec![None; clients.len()];
        for (k, &c) in candidates.iter().enumerate() {
            cand_of[c] = Some(CandIx(k));
        }
        Planner {
            orgs,
            clients,
            opts,
            cand_of,
            candidates: candidates.into_iter().map(ClientIx).collect(),
            index,
            ignored,
            ignored_ids,
            mappings,
            id_mappings,
            by_id,
            holders,
            value_count,
            words,
            cands,
        }
    }

    fn plan(&self) -> Plan {
        let claims: Vec<Option<Claim>> = (0..self.orgs.len()).map(|oi| self.claim(oi)).collect();
        let contests = self.resolve_contests(&claims);
        let decisions: Vec<Decision> =
            claims.into_iter().enumerate().map(|(oi, claim)| self.judge(oi, claim, &contests)).collect();
        // Matched clients whose current value was not seen: the caller reads them and plans again.
        let mut unread: Vec<usize> = decisions
            .iter()
            .filter(|d| d.status == Status::Failed)
            .filter_map(|d| d.halo)
            .filter(|&c| self.clients[c].value.is_none())
            .collect();
        // Sites: a location with a value that matches no site by name may still be linked to a
        // renamed site by that value; the pair's sites whose value was not seen are read first.
        if self.opts.level == Level::Sites && decisions.iter().any(|d| d.status == Status::NoMatch && d.value.is_some())
        {
            unread.extend((0..self.clients.len()).filter(|&c| self.clients[c].value.is_none()));
        }
        unread.sort_unstable();
        unread.dedup();
        let mut links = self.link_reads(&decisions);
        links.retain(|c| unread.binary_search(c).is_err());
        let for_links = links.len();
        unread.extend(links);
        Plan { decisions, unread, for_links }
    }

    /// The clients whose own NinjaOne link a decision depends on and no answer has shown yet
    /// (`NativeLinks`). Every client a name is about to write to: its link must be empty or
    /// this organization's. And, in `Auto`, while some organization with a value has no client
    /// holding it, every client that holds no organization's value: any of them may be that
    /// organization's client in Halo's eyes, whatever the names say. A client holding an
    /// organization's value is settled by that value.
    fn link_reads(&self, decisions: &[Decision]) -> Vec<usize> {
        let unseen = |c: usize| self.clients[c].link == Link::Unseen;
        let mut reads: Vec<usize> = match self.opts.native_links {
            NativeLinks::Off => return Vec::new(),
            NativeLinks::Auto | NativeLinks::Targets => decisions
                .iter()
                .filter(|d| d.status == Status::WouldUpdate && d.tier.is_some_and(Tier::by_name))
                .filter_map(|d| d.halo)
                .filter(|&c| unseen(c))
                .collect(),
        };
        let usable = |v: &str| self.opts.any_value || is_guid(v);
        let waiting = self
            .orgs
            .iter()
            .filter(|o| !self.is_ignored(o))
            .filter_map(|o| o.value.as_deref())
            .any(|v| usable(v) && !self.holders.contains_key(&value_id(v)));
        if self.opts.native_links == NativeLinks::Auto && waiting {
            reads.extend((0..self.clients.len()).filter(|&c| unseen(c)).filter(|&c| match &self.clients[c].value {
                Some(Some(v)) => !self.value_count.contains_key(&value_id(v)),
                _ => true,
            }));
        }
        reads.sort_unstable();
        reads.dedup();
        reads
    }

    fn words(&self) -> &'static Words {
        self.opts.level.words()
    }

    fn client(&self, c: CandIx) -> ClientIx {
        self.candidates[c.0]
    }

    fn describe(&self, c: ClientIx) -> String {
        format!("'{}' (#{})", self.clients[c.0].name, self.clients[c.0].id)
    }

    fn usable(&self, c: ClientIx) -> bool {
        self.opts.include_inactive || !self.clients[c.0].inactive
    }

    fn runner_up(&self, oi: usize, taken: ClientIx) -> String {
        match self.cands[oi].iter().find(|s| self.client(CandIx(s.idx)) != taken && s.eval.score > 0.0) {
            Some(s) => format!("; runner-up {} at {:.2}", self.describe(self.client(CandIx(s.idx))), s.eval.score),
            None => "; no runner-up".to_string(),
        }
    }

    // ----- 1. Each organization's claim, tier by tier ----------------------------------------

    /// The organization's claim, or None when it is ignored.
    fn is_ignored(&self, o: &NinjaIn) -> bool {
        self.ignored.contains(&exact_key(&o.name)) || self.ignored_ids.contains(&o.id)
    }

    fn claim(&self, oi: usize) -> Option<Claim> {
        let o = &self.orgs[oi];
        if self.is_ignored(o) {
            return None;
        }
        let claim = self.linked(oi).or_else(|| {
            // A nameless organization matches nothing by name (it would "equal" every nameless
            // client); it can still be linked by value.
            if exact_key(&o.name).is_empty() {
                let w = self.words();
                return self.single(oi).map(|c| self.unless_linked_elsewhere(oi, c)).or(Some(Claim::fail(
                    Status::NoMatch,
                    format!("the {} has no name; name it after its {}", w.ninja_long, w.halo),
                )));
            }
            self.manual(oi).or_else(|| self.native(oi)).or_else(|| self.by_name(oi))
        });
        Some(claim.unwrap_or_else(|| self.no_match(oi)))
    }

    /// Tiers 3 to 5: the names (exact, then the evidence rules), then the single place; a
    /// client that Halo's own link gives to another organization is never taken by them.
    fn by_name(&self, oi: usize) -> Option<Claim> {
        let claim = self.exact(oi).or_else(|| self.fuzzy(oi)).or_else(|| self.single(oi))?;
        Some(self.unless_linked_elsewhere(oi, claim))
    }

    /// A match by name to a client whose own NinjaOne link names another organization is
    /// refused, naming both: Halo's integration says the client is someone else's.
    fn unless_linked_elsewhere(&self, oi: usize, claim: Claim) -> Claim {
        let Claim::Match { client, tier, .. } = &claim else { return claim };
        if self.opts.native_links == NativeLinks::Off {
            return claim;
        }
        match self.clients[client.0].link.names() {
            Some(other) if other != self.orgs[oi].id => {
                let w = self.words();
                let named = match self.orgs.iter().find(|o| o.id == other) {
                    Some(o) => format!("'{}' (#{other})", o.name),
                    None => format!("#{other}, which NinjaOne does not list here"),
                };
                Claim::fail(
                    Status::Ambiguous,
                    format!(
                        "the name matches {} ({}), but Halo's own NinjaOne link on it names {} {named}, not this one; \
                         nothing is written: {}, or correct the link in Halo",
                        self.describe(*client),
                        tier.name(),
                        w.ninja_long,
                        w.map_it
                    ),
                )
            }
            _ => claim,
        }
    }

    /// Tier 0: exactly one (usable) client already holds the organization's value.
    fn linked(&self, oi: usize) -> Option<Claim> {
        let v = self.orgs[oi].value.as_ref()?;
        let held: Vec<ClientIx> =
            self.holders.get(&value_id(v)).into_iter().flatten().copied().filter(|&c| self.usable(c)).collect();
        match held.as_slice() {
            [] => None,
            [c] => Some(Claim::Match {
                client: *c,
                tier: Tier::Linked,
                score: 1.0,
                detail: "already holds this value".into(),
            }),
            many => Some(Claim::fail(
                Status::Conflict,
                format!(
                    "the value is on {} {} ({}); remove it from all but one in Halo",
                    many.len(),
                    self.words().halo_plural,
                    many.iter().map(|&c| self.describe(c)).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// Tier 1: the operator names the organization's client: the mapping table or flags (by
    /// the organization's name), `--id-map` (by its id), or its own link field. Every source
    /// that names one must name the same client; a source naming no usable client, or two that
    /// disagree, is reported with what they said, never guessed around.
    fn manual(&self, oi: usize) -> Option<Claim> {
        let o = &self.orgs[oi];
        let mut sources: Vec<(&str, HaloRef)> = Vec::new();
        if let Some(t) = self.mappings.get(&exact_key(&o.name)) {
            sources.push(("the mapping", (*t).clone()));
        }
        if let Some(&halo) = self.id_mappings.get(&o.id) {
            sources.push(("--id-map", halo.clone()));
        }
        if let Some(t) = o.link.as_deref().and_then(HaloRef::parse) {
            sources.push(("the organization's link field", t));
        }
        let mut found: Option<(ClientIx, &str, &HaloRef)> = None;
        for (source, target) in &sources {
            let c = match self.resolve(source, target) {
                Ok(c) => c,
                Err(fail) => return Some(fail),
            };
            match found {
                Some((other, other_source, other_target)) if other != c => {
                    return Some(Claim::fail(
                        Status::Ambiguous,
                        format!(
                        "{other_source} names Halo client '{other_target}' ({}) but {source} names '{target}' ({}); \
                             they disagree, so nothing is written: correct one of them",
                        self.describe(other),
                        self.describe(c)
                    ),
                    ))
                }
                Some(_) => {}
                None => found = Some((c, source, target)),
            }
        }
        let (client, _, target) = found?;
        let named_by = sources.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(" and ");
        Some(Claim::Match { client, tier: Tier::Manual, score: 1.0, detail: format!("{named_by}: '{target}'") })
    }

    /// The one usable client a manual source names, or why there is none.
    fn resolve(&self, source: &str, target: &HaloRef) -> Result<ClientIx, Claim> {
        let clients = self.clients;
        let found: Vec<ClientIx> = match target {
            HaloRef::Id(id) => self.by_id.get(id).copied().into_iter().collect(),
            HaloRef::Name(n) => {
                let key = exact_key(n);
                self.candidates.iter().copied().filter(|c| exact_key(&clients[c.0].name) == key).collect()
            }
        };
        let inactive = || {
            Claim::fail(
                Status::NoMatch,
                format!(
                    "{source} names Halo client '{target}', which is inactive; use --include-inactive or name an active \
                     client"
                ),
            )
        };
        match found.as_slice() {
            [] if matches!(target, HaloRef::Name(n) if clients.iter().any(|c| c.inactive && exact_key(&c.name) == exact_key(n))) => {
                Err(inactive())
            }
            [] => Err(Claim::fail(
                Status::NoMatch,
                format!("{source} names Halo client '{target}', which does not exist in Halo; correct it"),
            )),
            [c] if !self.usable(*c) => Err(inactive()),
            [c] => Ok(*c),
            many => Err(Claim::fail(
                Status::Ambiguous,
                format!(
                    "{source} names '{target}', which {} Halo clients share (#{}); name it by #id instead",
                    many.len(),
                    many.iter().map(|&c| clients[c.0].id.to_string()).collect::<Vec<_>>().join(", #")
                ),
            )),
        }
    }

    /// Tier 2: Halo's own NinjaOne integration stored this organization's id on a client
    /// (`ninjarmmid`). Taken only where nothing contradicts it: names that point to another
    /// client, an inactive client, or two clients carrying the id leave the organization
    /// `ambiguous`, naming both. (A client holding another value is judged like any match: a
    /// conflict.)
    fn native(&self, oi: usize) -> Option<Claim> {
        if self.opts.native_links == NativeLinks::Off {
            return None;
        }
        let o = &self.orgs[oi];
        let linked: Vec<ClientIx> =
            (0..self.clients.len()).filter(|&i| self.clients[i].link.names() == Some(o.id)).map(ClientIx).collect();
        let c = match linked.as_slice() {
            [] => return None,
            [c] => *c,
            many => {
                return Some(Claim::fail(
                    Status::Ambiguous,
                    format!(
                        "Halo's NinjaOne link names this {} on {} {} ({}); keep it on one in Halo",
                        self.words().ninja_noun,
                        many.len(),
                        self.words().halo_nouns,
                        many.iter().take(NAMED_MAX).map(|&c| self.describe(c)).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        };
        if !self.usable(c) {
            return Some(Claim::fail(
                Status::Ambiguous,
                format!(
                    "Halo's NinjaOne link names {}, which is inactive; reactivate it, run with --include-inactive, or \
                     {}",
                    self.describe(c),
                    self.words().map_it
                ),
            ));
        }
        let by_name = self.exact(oi).or_else(|| self.fuzzy(oi));
        if let Some(Claim::Match { client, tier, .. }) = by_name {
            if client != c {
                return Some(Claim::fail(
                    Status::Ambiguous,
                    format!(
                        "Halo's NinjaOne link names {} but the name matches {} ({}); nothing is written: {}, or \
                         correct the link in Halo",
                        self.describe(c),
                        self.describe(client),
                        tier.name(),
                        self.words().map_it
                    ),
                ));
            }
        }
        Some(Claim::Match {
            client: c,
            tier: Tier::Native,
            score: 1.0,
            detail: "Halo's own NinjaOne link (ninjarmmid) names it".into(),
        })
    }

    /// Tier 2: the same name, ignoring case and spacing.
    fn exact(&self, oi: usize) -> Option<Claim> {
        let o = &self.orgs[oi];
        let exact: Vec<ClientIx> = self.index.exact(&o.name).iter().map(|&k| self.client(CandIx(k))).collect();
        match exact.as_slice() {
            [] => None,
            [c] => Some(Claim::Match { client: *c, tier: Tier::Exact, score: 1.0, detail: "same name".into() }),
            // Named and suggested up to a few: memory stays linear however many share the name.
            many => Some(Claim::Fail {
                status: Status::Ambiguous,
                detail: format!(
                    "{} {} have this name ({}{}); {}",
                    many.len(),
                    self.words().halo_plural,
                    many.iter().take(NAMED_MAX).map(|&c| self.describe(c)).collect::<Vec<_>>().join(", "),
                    if many.len() > NAMED_MAX { ", ..." } else { "" },
                    match self.opts.level {
                        Level::Organizations => "name the right one".to_string(),
                        Level::Sites => self.words().map_it.to_string(),
                    }
                ),
                suggestions: many.iter().take(NAMED_MAX).map(|&c| (c, 1.0)).collect(),
            }),
        }
    }

    /// Tier 3: the fuzzy rules (matching/rules.rs), with a unique best candidate.
    fn fuzzy(&self, oi: usize) -> Option<Claim> {
        if self.opts.no_fuzzy {
            return None;
        }
        match self.index.decide(&self.words[oi], &self.cands[oi]) {
            Fuzzy::Match { idx, score, reason, runner_up } => {
                let detail = match runner_up {
                    Some((r, s)) => format!("{reason}; runner-up {} at {s:.2}", self.describe(self.client(CandIx(r)))),
                    None => format!("{reason}; no runner-up"),
                };
                Some(Claim::Match { client: self.client(CandIx(idx)), tier: Tier::Fuzzy, score, detail })
            }
            Fuzzy::Ambiguous { best, reason } => {
                let best: Vec<(ClientIx, f64)> = best.into_iter().map(|(k, s)| (self.client(CandIx(k)), s)).collect();
                Some(Claim::Fail {
                    status: Status::Ambiguous,
                    detail: format!(
                        "{reason}: {}; {}",
                        best.iter()
                            .map(|&(c, s)| format!("{} {s:.2}", self.describe(c)))
                            .collect::<Vec<_>>()
                            .join(", "),
                        self.words().rename_or_map
                    ),
                    suggestions: best,
                })
            }
            Fuzzy::None => None,
        }
    }

    /// The site level's last tier: the only place on each side (`Level::Sites` only).
    fn single(&self, oi: usize) -> Option<Claim> {
        if self.opts.level != Level::Sites || self.orgs.len() != 1 {
            return None;
        }
        let active: Vec<usize> = (0..self.clients.len()).filter(|&i| !self.clients[i].inactive).collect();
        match active.as_slice() {
            [only] if oi == 0 => Some(Claim::Match {
                client: ClientIx(*only),
                tier: Tier::Single,
                score: 1.0,
                detail: "the only location of its organization and the only active site of its client".into(),
            }),
            _ => None,
        }
    }

    /// No tier matched: the closest names, and why the closest was not taken.
    fn no_match(&self, oi: usize) -> Claim {
        let o = &self.orgs[oi];
        let closest = self.index.closest_from(&self.words[oi], &self.cands[oi], 3);
        // Why the closest client was not taken, when the rules refused it (e.g. two known
        // names one letter apart): the person confirming a mapping needs to know.
        let refused = closest.first().map(|&(k, _)| self.index.compare(&self.words[oi], k)).filter(|c| !c.accepted);
        let suggestions = closest.into_iter().map(|(k, s)| (self.client(CandIx(k)), s)).collect();
        let inactive_twin = self.clients.iter().find(|c| c.inactive && exact_key(&c.name) == exact_key(&o.name));
        let w = self.words();
        let detail = match (inactive_twin, refused) {
            (Some(c), _) => format!(
                "the only {} with this name, #{}, is inactive; reactivate it in Halo or run with --include-inactive",
                w.halo, c.id
            ),
            (None, Some(c)) => {
                format!("no {} matches (the closest is not taken: {}); {}", w.halo, c.reason, w.same_business_tail)
            }
            (None, None) => format!("no {} matches; {}", w.halo, w.rename_or_map),
        };
        Claim::Fail { status: Status::NoMatch, detail, suggestions }
    }

    // ----- 2. One client, one organization ----------------------------------------------------

    /// Every client goes to its strongest claim. Equal claims tie, and so do fuzzy claims within
    /// the margin the fuzzy tier demands of one organization's candidates: a client two
    /// organizations almost equally resemble is given to neither.
    fn resolve_contests(&self, claims: &[Option<Claim>]) -> Contests {
        let mut by_client: HashMap<ClientIx, Vec<usize>> = HashMap::new();
        for (oi, c) in claims.iter().enumerate() {
            if let Some(Claim::Match { client, .. }) = c {
                by_client.entry(*client).or_default().push(oi);
            }
        }
        let claim = |oi: usize| claims[oi].as_ref().expect("only matches are grouped");
        let tier_name = |oi: usize| match claim(oi) {
            Claim::Match { tier, .. } => tier.name(),
            Claim::Fail { .. } => "",
        };
        let mut lost = HashMap::new();
        for (client, mut claimants) in by_client {
            claimants.sort_by_key(|&oi| claim(oi).rank());
            let best = claim(claimants[0]).rank();
            let best_fuzzy = claim(claimants[0]).fuzzy_score();
            let tied: Vec<usize> = claimants
                .iter()
                .copied()
                .filter(|&oi| {
                    claim(oi).rank() == best
                        || matches!((best_fuzzy, claim(oi).fuzzy_score()), (Some(a), Some(b)) if a - b < matching::MIN_MARGIN - 1e-9)
                })
                .collect();
            if tied.len() > 1 {
                let names: Vec<String> = tied.iter().map(|&oi| format!("'{}'", self.orgs[oi].name)).collect();
                let w = self.words();
                let why = format!(
                    "{} {} is contested by {} {} ({}); {}",
                    w.halo,
                    self.describe(client),
                    w.ninja_plural,
                    names.join(" and "),
                    tier_name(tied[0]),
                    w.settle_contest
                );
                lost.extend(claimants.iter().map(|&oi| (oi, why.clone())));
            } else {
                let why = format!(
                    "its best candidate, {} {}, is already matched to {} '{}' ({})",
                    self.words().halo,
                    self.describe(client),
                    self.words().ninja,
                    self.orgs[claimants[0]].name,
                    tier_name(claimants[0])
                );
                lost.extend(claimants[1..].iter().map(|&oi| (oi, why.clone())));
            }
        }
        Contests { lost }
    }

    // ----- 3. The decision for each organization ----------------------------------------------

    fn judge(&self, oi: usize, claim: Option<Claim>, contests: &Contests) -> Decision {
        let o = &self.orgs[oi];
        let mut d = Decision {
            within: None,
            ninja_id: o.id,
            ninja_name: o.name.clone(),
            value: o.value.clone(),
            status: Status::Ignored,
            tier: None,
            score: None,
            halo: None,
            detail: String::new(),
            replaces: None,
            suggestions: Vec::new(),
        };
        let Some(claim) = claim else {
            d.detail = "ignored (--ignore)".into();
            return d;
        };
        let mut matched = None;
        let mut offered = Vec::new();
        match claim {
            Claim::Match { client, tier, score, detail } => {
                d.tier = Some(tier);
                d.score = Some(score);
                // Fuzzy claims already name the runner-up the margin rule compared against.
                let detail = if tier == Tier::Fuzzy { detail } else { detail + &self.runner_up(oi, client) };
                matched = Some((client, detail));
            }
            Claim::Fail { status, detail, suggestions } => {
                d.status = status;
                d.detail = detail;
                offered = suggestions;
            }
        }
        if let Some(why) = contests.lost.get(&oi) {
            d.status = Status::Ambiguous;
            d.detail = why.clone();
            matched = None;
        }
        d.halo = matched.as_ref().map(|(c, _)| c.0);
        // The value's own problems come first: they need no Halo client to be reported.
        let value = match &o.value {
            None => {
                d.status = Status::NoValue;
                d.detail = format!(
                    "{} is empty{}",
                    self.words().ninja_field,
                    matched.as_ref().map_or(String::new(), |(c, _)| format!("; matches {}", self.describe(*c)))
                );
                return d;
            }
            Some(v) if !self.opts.any_value && !is_guid(v) => {
                d.status = Status::InvalidValue;
                d.detail =
                    format!("'{}' is not a GUID; fix it in NinjaOne (or use --any-value)", crate::util::clip(v, 60));
                return d;
            }
            Some(v) => v,
        };
        if self.value_count.get(&value_id(value)).copied().unwrap_or(0) > 1 {
            d.status = Status::Conflict;
            let w = self.words();
            d.detail = format!("another {} has the same value; give each {} its own", w.ninja, w.ninja_noun);
            return d;
        }
        let Some((client, claim_detail)) = matched else {
            self.offer(oi, &mut d, offered);
            return d;
        };
        let (status, detail, replaces) = self.judge_write(client, value, d.tier, &claim_detail);
        d.status = status;
        d.detail = detail;
        d.replaces = replaces;
        d
    }

    /// What a person is offered where a decision needs one (`no_match`, `ambiguous`): the
    /// claim's own candidates, else the closest names, each with why it was not taken; and, for
    /// an organization, the ID_MAP pairs that would confirm one (a NinjaOne Script Variable can
    /// carry them: digits, `=`, commas, spaces).
    fn offer(&self, oi: usize, d: &mut Decision, claimed: Vec<(ClientIx, f64)>) {
        if !matches!(d.status, Status::NoMatch | Status::Ambiguous) {
            return;
        }
        let picks: Vec<(ClientIx, f64)> = if claimed.is_empty() {
            let closest = self.index.closest_from(&self.words[oi], &self.cands[oi], 3);
            closest.into_iter().map(|(k, s)| (self.client(CandIx(k)), s)).collect()
        } else {
            claimed
        };
        d.suggestions = picks
            .into_iter()
            .take(NAMED_MAX)
            .map(|(c, score)| Suggestion { halo: c.0, score, why: self.why_not(oi, c) })
            .collect();
        if d.suggestions.is_empty() {
            return;
        }
        if d.status == Status::NoMatch {
            let closest: Vec<String> = d
                .suggestions
                .iter()
                .take(3)
                .map(|s| format!("{} ({:.2})", self.describe(ClientIx(s.halo)), s.score))
                .collect();
            d.detail.push_str(&format!("; closest Halo names: {}", closest.join(", ")));
        }
        if self.opts.level == Level::Organizations {
            // Every equal candidate of an ambiguous one; the closest of a no_match.
            let offered = if d.status == Status::Ambiguous { 3 } else { 1 };
            let pairs: Vec<String> = d
                .suggestions
                .iter()
                .take(offered)
                .map(|s| format!("{}={}", d.ninja_id, self.clients[s.halo].id))
                .collect();
            d.detail.push_str(&format!(
                "; to confirm one, give its pair in ID_MAP (the Script Variable idMap, for one run): {}",
                pairs.join(" or ")
            ));
        }
    }

    /// Why a client offered to a person was not taken, in a few words.
    fn why_not(&self, oi: usize, c: ClientIx) -> String {
        let client = &self.clients[c.0];
        if !self.usable(c) {
            return "inactive in Halo".into();
        }
        let o = &self.orgs[oi];
        if exact_key(&client.name) == exact_key(&o.name) {
            let n = self.index.exact(&o.name).len();
            return if n > 1 { format!("the same name, which {n} Halo clients share") } else { "the same name".into() };
        }
        match self.cand_of[c.0] {
            Some(k) => {
                let cmp = self.index.compare(&self.words[oi], k.0);
                if cmp.accepted {
                    format!("a match on its own ({}), but not the only one", cmp.reason)
                } else {
                    format!("not taken: {}", cmp.reason)
                }
            }
            None => "not a candidate".into(),
        }
    }

    /// Whether writing `value` to the matched client is due, done already, or must not happen.
    fn judge_write(
        &self,
        client: ClientIx,
        value: &str,
        tier: Option<Tier>,
        claim_detail: &str,
    ) -> (Status, String, Option<String>) {
        let c = &self.clients[client.0];
        let matched = format!("{} match: {claim_detail}", tier.map_or("", Tier::name));
        if let Some(why) = &c.disputed {
            // Nothing is written on a row its own record contradicts.
            return (
                Status::Conflict,
                format!(
                    "{} was matched on Halo's list, but {why}; nothing is written: check it in Halo",
                    self.describe(client)
                ),
                None,
            );
        }
        let current = match &c.value {
            None => {
                return (
                    Status::Failed,
                    format!(
                        "not written: Halo's answers for {} did not show the field's current value (no entry for \
                         it), so a value there could be overwritten unseen",
                        self.describe(client)
                    ),
                    None,
                )
            }
            Some(Some(cur)) if value_key(cur) == value_key(value) => return (Status::InSync, matched, None),
            Some(cur) => cur,
        };
        // Writing here must not put the value on a second client (an inactive one, outside the
        // candidates, may hold it already).
        let elsewhere =
            self.holders.get(&value_id(value)).and_then(|h| h.iter().copied().find(|&other| other != client));
        if let Some(other) = elsewhere {
            let inactive = if self.clients[other.0].inactive { " (inactive)" } else { "" };
            return (
                Status::Conflict,
                format!(
                    "the value is already on {} {}{inactive}; remove it there first",
                    self.words().halo,
                    self.describe(other)
                ),
                None,
            );
        }
        let Some(cur) = current else { return (Status::WouldUpdate, matched, None) };
        if self.opts.overwrite && !matches!(tier, Some(Tier::Fuzzy | Tier::Native | Tier::Single)) {
            let detail = format!("{matched}; replaces '{}' (--overwrite)", crate::util::clip(cur, 60));
            return (Status::WouldUpdate, detail, Some(cur.clone()));
        }
        let advice = if matches!(tier, Some(Tier::Fuzzy | Tier::Native | Tier::Single)) {
            self.words().never_overwrite
        } else {
            "fix it in Halo, or run with --overwrite"
        };
        (
            Status::Conflict,
            format!("{} holds a different value '{}'; {advice}", self.describe(client), crate::util::clip(cur, 60)),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-1111-1111-1111-111111111111";
    const G2: &str = "22222222-2222-2222-2222-222222222222";

    fn org(id: i64, name: &str, v: Option<&str>) -> NinjaIn {
        NinjaIn { id, name: name.into(), value: v.map(str::to_string), link: None, parent: None }
    }
    fn client(id: i64, name: &str, v: Option<&str>) -> HaloIn {
        HaloIn { id, name: name.into(), value: Some(v.map(str::to_string)), ..HaloIn::default() }
    }
    fn status_of(p: &Plan, id: i64) -> (Status, Option<Tier>, Option<usize>) {
        let d = p.decisions.iter().find(|d| d.ninja_id == id).unwrap();
        (d.status, d.tier, d.halo)
    }

    #[test]
    fn tiers_and_statuses() {
        let orgs = vec![
            org(1, "Acme", Some(G1)),
            org(2, "Renamed Org", Some(G2)),
            org(3, "Nobody", Some("33333333-3333-3333-3333-333333333333")),
            org(4, "Empty", None),
            org(5, "Bad", Some("not-a-guid")),
        ];
        let clients = vec![
            client(10, "ACME", None),
            client(11, "Old Name", Some(G2)),
            client(12, "Empty", None),
            client(13, "Bad", None),
        ];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1), (Status::WouldUpdate, Some(Tier::Exact), Some(0)));
        assert_eq!(status_of(&p, 2), (Status::InSync, Some(Tier::Linked), Some(1)));
        assert_eq!(status_of(&p, 3).0, Status::NoMatch);
        assert_eq!(status_of(&p, 4).0, Status::NoValue);
        assert_eq!(status_of(&p, 5).0, Status::InvalidValue);
    }

    #[test]
    fn duplicates_and_contested_clients_are_never_written() {
        let orgs = vec![org(1, "Acme", Some(G1)), org(2, "ACME ", Some(G2)), org(3, "Twin", Some(G1))];
        let clients = vec![client(10, "Acme", None), client(11, "Dup", None), client(12, "Dup", None)];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1).0, Status::Conflict, "same value as org 3");
        assert_eq!(status_of(&p, 2).0, Status::Ambiguous, "contested with org 1");
        let orgs = vec![org(1, "Dup", Some(G1))];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1).0, Status::Ambiguous);
    }

    #[test]
    fn fuzzy_rivals_within_the_margin_both_lose_the_client() {
        // Both organizations are explained against "Hartwell Dental Care" (a generic typo, 0.97;
        // a legal form, 1.0): too close to choose, so neither is written.
        let orgs = vec![org(1, "Hartwell Dentl Care", Some(G1)), org(2, "Hartwell Dental Care, LLC", Some(G2))];
        let clients = vec![client(10, "Hartwell Dental Care", None)];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1).0, Status::Ambiguous, "{}", p.decisions[0].detail);
        assert_eq!(status_of(&p, 2).0, Status::Ambiguous, "{}", p.decisions[1].detail);
        // A stronger tier keeps it: the exact name against the fuzzy one.
        let orgs = vec![org(1, "Hartwell Dentl Care", Some(G1)), org(2, "Hartwell Dental Care", Some(G2))];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 2), (Status::WouldUpdate, Some(Tier::Exact), Some(0)));
        assert_eq!(status_of(&p, 1).0, Status::Ambiguous);
    }

    #[test]
    fn conflicts_and_overwrite() {
        let orgs = vec![org(1, "Acme", Some(G1))];
        let clients = vec![client(10, "Acme", Some(G2))];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1).0, Status::Conflict);
        let p = plan(&orgs, &clients, &Options { overwrite: true, ..Default::default() });
        assert_eq!(status_of(&p, 1).0, Status::WouldUpdate);
        assert_eq!(p.decisions[0].replaces.as_deref(), Some(G2));
        // Fuzzy matches never overwrite.
        let orgs = vec![org(1, "Acme Dental Inc", Some(G1))];
        let clients = vec![client(10, "ACME DENTAL", Some(G2))];
        let p = plan(&orgs, &clients, &Options { overwrite: true, ..Default::default() });
        assert_eq!(status_of(&p, 1), (Status::Conflict, Some(Tier::Fuzzy), Some(0)));
    }

    #[test]
    fn manual_mappings() {
        let orgs = vec![org(1, "Ninja Name", Some(G1)), org(2, "Gone", Some(G2))];
        let clients = vec![client(10, "Halo Name", None)];
        let opts = Options {
            mappings: vec![
                Mapping { ninja: "ninja name".into(), halo: HaloRef::Name("Halo Name".into()) },
                Mapping { ninja: "Gone".into(), halo: HaloRef::Id(99) },
            ],
            ..Default::default()
        };
        let p = plan(&orgs, &clients, &opts);
        assert_eq!(status_of(&p, 1), (Status::WouldUpdate, Some(Tier::Manual), Some(0)));
        assert_eq!(status_of(&p, 2).0, Status::NoMatch);
        assert!(p.decisions[1].detail.contains("does not exist"), "{}", p.decisions[1].detail);
    }

    #[test]
    fn inactive_clients_are_not_candidates_but_guard_their_values() {
        let orgs = vec![org(1, "Acme", Some(G1))];
        let mut old = client(10, "Acme Old", Some(G1));
        old.inactive = true;
        let clients = vec![old, client(11, "Acme", None)];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1).0, Status::Conflict);
        let p = plan(&orgs, &clients, &Options { include_inactive: true, ..Default::default() });
        assert_eq!(status_of(&p, 1), (Status::InSync, Some(Tier::Linked), Some(0)));
    }

    #[test]
    fn unknown_values_are_asked_for() {
        let orgs = vec![org(1, "Acme", Some(G1))];
        let clients = vec![HaloIn { id: 10, name: "Acme".into(), ..HaloIn::default() }];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(p.unread, vec![0]);
    }

    fn decision(id: i64, status: Status, halo: Option<usize>, value: bool, offered: &[usize]) -> Decision {
        Decision {
            within: None,
            ninja_id: id,
            ninja_name: format!("org {id}"),
            value: value.then(|| G1.to_string()),
            status,
            tier: None,
            score: None,
            halo,
            detail: String::new(),
            replaces: None,
            suggestions: offered.iter().map(|&h| Suggestion { halo: h, score: 0.9, why: String::new() }).collect(),
        }
    }

    #[test]
    fn proposals_offer_each_record_once_and_never_one_another_decision_holds() {
        let decisions = [
            decision(1, Status::InSync, Some(0), true, &[]),
            // 0 is held by organization 1: the next suggestion.
            decision(2, Status::NoMatch, None, true, &[0, 1]),
            // 1 is proposed already.
            decision(3, Status::Ambiguous, None, true, &[1, 2]),
            // Without a value there is nothing to confirm.
            decision(4, Status::NoMatch, None, false, &[3]),
            // An ignored organization holds nothing.
            decision(5, Status::Ignored, Some(4), true, &[]),
            decision(6, Status::NoMatch, None, true, &[4]),
            // A record in conflict with a decision is held by it.
            decision(7, Status::Conflict, Some(5), true, &[]),
            decision(8, Status::NoMatch, None, true, &[5]),
        ];
        assert_eq!(proposals(&decisions), vec![None, Some(1), Some(2), None, None, Some(4), None, None]);
    }

    #[test]
    fn native_links_are_read_where_a_decision_depends_on_them() {
        const G3: &str = "33333333-3333-3333-3333-333333333333";
        let orgs = vec![
            // Written by name: its client's link must be read first.
            org(1, "Acme", Some(G1)),
            // Matched by name, but the client holds another value: not about to be written.
            org(2, "Beta", Some(G2)),
            // Linked by its value: settled by it.
            org(3, "Gamma", Some(G3)),
        ];
        let clients = vec![
            client(10, "Acme", None),
            client(11, "Beta", Some("44444444-4444-4444-4444-444444444444")),
            client(12, "Gamma Old", Some(G3)),
            client(13, "Unrelated", None),
        ];
        let reads = |native_links| {
            let p = plan(&orgs, &clients, &Options { native_links, ..Default::default() });
            assert_eq!(p.unread.len(), p.for_links, "every read here is for a link");
            p.unread
        };
        assert_eq!(reads(NativeLinks::Off), Vec::<usize>::new());
        assert_eq!(reads(NativeLinks::Targets), vec![0]);
        // Organizations 1 and 2 have no client holding their value: every client that holds no
        // organization's value may be theirs in Halo's eyes.
        assert_eq!(reads(NativeLinks::Auto), vec![0, 1, 3]);
        let mut seen = clients.clone();
        seen[0].link = Link::Seen(None);
        let p = plan(&orgs, &seen, &Options { native_links: NativeLinks::Targets, ..Default::default() });
        assert_eq!(p.unread, Vec::<usize>::new(), "a link already seen is not read again");
    }

    #[test]
    fn a_decision_that_needs_a_person_is_offered_the_closest_names() {
        let orgs = vec![org(1, "Springfield Dental Group", Some(G1))];
        let clients = vec![client(10, "Springfield Dentistry", None), client(11, "Shelbyville Bakery", None)];
        let p = plan(&orgs, &clients, &Options { native_links: NativeLinks::Off, ..Default::default() });
        let d = &p.decisions[0];
        assert_eq!(d.status, Status::NoMatch);
        assert_eq!(d.suggestions.first().map(|s| s.halo), Some(0), "{d:?}");
        assert!(d.detail.contains("closest Halo names: 'Springfield Dentistry' (#10)"), "{}", d.detail);
    }
}
