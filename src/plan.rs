//! Pure decisions: both sides' data in, one decision per organization out. No I/O.
//!
//! Order of the tiers (SPEC section 4): linked, manual, exact, fuzzy. Every organization
//! claims at most one client (its best candidate); a client goes to its strongest claim, and
//! a tie for a client leaves every tied organization `ambiguous`. Organizations without a
//! usable value still claim their client, so that a weaker claim cannot take it from them.

use crate::config::{HaloRef, Mapping};
use crate::matching::{self, exact_key, Fuzzy, Index, Scored};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug)]
pub struct OrgIn {
    pub id: i64,
    pub name: String,
    pub value: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ClientIn {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
    /// The field's current value: Some(None) = empty, None = not read yet.
    pub value: Option<Option<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub overwrite: bool,
    pub any_value: bool,
    pub include_inactive: bool,
    pub no_fuzzy: bool,
    pub mappings: Vec<Mapping>,
    pub ignore: Vec<String>,
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
    Exact,
    Fuzzy,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Linked => "linked",
            Tier::Manual => "manual",
            Tier::Exact => "exact",
            Tier::Fuzzy => "fuzzy",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Decision {
    pub ninja_id: i64,
    pub ninja_name: String,
    pub value: Option<String>,
    pub status: Status,
    pub tier: Option<Tier>,
    pub score: Option<f64>,
    /// The matched client, as an index into the clients given to `plan`.
    pub client: Option<usize>,
    pub detail: String,
    /// The client's value this decision replaces (`--overwrite`).
    pub replaces: Option<String>,
    /// Closest Halo clients (index, score) for a person to choose from.
    pub suggestions: Vec<(usize, f64)>,
}

pub struct Plan {
    pub decisions: Vec<Decision>,
    /// Matched clients whose current value must be read before deciding.
    pub unread: Vec<usize>,
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
/// (`--any-value`) as its text. At 10,000 organizations the two tables of values keyed by
/// strings were 2.4 MB of the run's peak.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum ValueId {
    Guid(u128),
    Text(Box<str>),
}

fn value_id(v: &str) -> ValueId {
    let key = value_key(v);
    let hex: String = key.chars().filter(|c| *c != '-').collect();
    match (is_guid(v), u128::from_str_radix(&hex, 16)) {
        (true, Ok(n)) => ValueId::Guid(n),
        _ => ValueId::Text(key.into_boxed_str()),
    }
}

enum Claim {
    Match { client: usize, tier: Tier, score: f64, detail: String },
    Fail { status: Status, detail: String, suggestions: Vec<(usize, f64)> },
}

fn claim_rank(tier: Tier, score: f64) -> (u8, i64) {
    (tier as u8, -(score * 1e6).round() as i64)
}

/// The clients that may be matched (active ones, or all with --include-inactive) and the
/// name index over them; index positions map to `clients` through the returned list.
pub fn candidate_index(clients: &[ClientIn], include_inactive: bool) -> (Vec<usize>, Index) {
    let candidates: Vec<usize> = (0..clients.len()).filter(|&i| include_inactive || !clients[i].inactive).collect();
    let index = Index::new(candidates.iter().map(|&i| clients[i].name.as_str()));
    (candidates, index)
}

pub fn plan(orgs: &[OrgIn], clients: &[ClientIn], opts: &Options) -> Plan {
    let (candidates, index) = candidate_index(clients, opts.include_inactive);
    let to_client = |k: usize| candidates[k];

    let ignored: HashSet<String> = opts.ignore.iter().map(|n| exact_key(n)).collect();
    let mappings: HashMap<String, &HaloRef> = opts.mappings.iter().map(|m| (exact_key(&m.ninja), &m.halo)).collect();

    // Which clients already hold which value.
    let mut holders: HashMap<ValueId, Vec<usize>> = HashMap::new();
    for (i, c) in clients.iter().enumerate() {
        if let Some(Some(v)) = &c.value {
            holders.entry(value_id(v)).or_default().push(i);
        }
    }
    // Values that more than one (not ignored) organization carries.
    let mut value_count: HashMap<ValueId, usize> = HashMap::new();
    for o in orgs.iter().filter(|o| !ignored.contains(&exact_key(&o.name))) {
        if let Some(v) = &o.value {
            *value_count.entry(value_id(v)).or_default() += 1;
        }
    }

    let describe = |i: usize| format!("'{}' (#{})", clients[i].name, clients[i].id);
    // Each organization's fuzzy candidates, computed once and used for the fuzzy tier, the
    // runner-up in every decision's detail and the suggestions. Only the best few are kept.
    let words: Vec<Vec<String>> = orgs.iter().map(|o| matching::fuzzy_words(&o.name)).collect();
    let cands: Vec<Vec<Scored>> = orgs
        .iter()
        .zip(&words)
        .map(|(o, w)| {
            if ignored.contains(&exact_key(&o.name)) {
                return Vec::new();
            }
            index.candidates(w, matching::FUZZY_KEEP)
        })
        .collect();
    let runner_up = |oi: usize, taken: usize| -> String {
        match cands[oi].iter().find(|s| to_client(s.idx) != taken && s.eval.score > 0.0) {
            Some(s) => format!("; runner-up {} at {:.2}", describe(to_client(s.idx)), s.eval.score),
            None => "; no runner-up".to_string(),
        }
    };

    // 1. Each organization's claim.
    let claims: Vec<Option<Claim>> = orgs
        .iter()
        .enumerate()
        .map(|(oi, o)| {
            if ignored.contains(&exact_key(&o.name)) {
                return None;
            }
            // A nameless organization matches nothing by name (it would "equal" every nameless
            // client); it can still be linked by value.
            let nameless = exact_key(&o.name).is_empty();
            // Tier 0: linked.
            if let Some(v) = &o.value {
                let held: Vec<usize> = holders
                    .get(&value_id(v))
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&i| opts.include_inactive || !clients[i].inactive)
                    .collect();
                match held.len() {
                    0 => {}
                    1 => {
                        let detail = "already holds this value".to_string();
                        return Some(Claim::Match { client: held[0], tier: Tier::Linked, score: 1.0, detail });
                    }
                    _ => {
                        return Some(Claim::Fail {
                            status: Status::Conflict,
                            detail: format!(
                                "the value is on {} Halo clients ({}); remove it from all but one in Halo",
                                held.len(),
                                held.iter().map(|&i| describe(i)).collect::<Vec<_>>().join(", ")
                            ),
                            suggestions: vec![],
                        })
                    }
                }
            }
            if nameless {
                return Some(Claim::Fail {
                    status: Status::NoMatch,
                    detail: "the NinjaOne organization has no name; name it after its Halo client".into(),
                    suggestions: vec![],
                });
            }
            // Tier 1: manual mapping.
            if let Some(target) = mappings.get(&exact_key(&o.name)) {
                return Some(manual_claim(target, clients, &candidates, opts.include_inactive));
            }
            // Tier 2: exact name.
            let exact: Vec<usize> = index.exact(&o.name).iter().map(|&k| to_client(k)).collect();
            match exact.len() {
                0 => {}
                1 => {
                    let detail = "same name".to_string();
                    return Some(Claim::Match { client: exact[0], tier: Tier::Exact, score: 1.0, detail });
                }
                n => {
                    return Some(Claim::Fail {
                        status: Status::Ambiguous,
                        detail: format!(
                            "{n} Halo clients have this name ({}); map the organization to one with --map \"{}=#<id>\"",
                            exact.iter().map(|&i| describe(i)).collect::<Vec<_>>().join(", "),
                            o.name
                        ),
                        suggestions: exact.iter().map(|&i| (i, 1.0)).collect(),
                    })
                }
            }
            // Tier 3: fuzzy.
            if !opts.no_fuzzy {
                match index.decide(&words[oi], &cands[oi]) {
                    Fuzzy::Match { idx, score, reason, runner_up } => {
                        let mut detail = reason;
                        if let Some((r, s)) = runner_up {
                            detail.push_str(&format!("; runner-up {} at {:.2}", describe(to_client(r)), s));
                        } else {
                            detail.push_str("; no runner-up");
                        }
                        return Some(Claim::Match { client: to_client(idx), tier: Tier::Fuzzy, score, detail });
                    }
                    Fuzzy::Ambiguous { best, reason } => {
                        let best: Vec<(usize, f64)> = best.into_iter().map(|(k, s)| (to_client(k), s)).collect();
                        return Some(Claim::Fail {
                            status: Status::Ambiguous,
                            detail: format!(
                                "{reason}: {}; rename the Ninja organization to the exact Halo name or add a mapping",
                                best.iter().map(|&(i, s)| format!("{} {:.2}", describe(i), s)).collect::<Vec<_>>().join(", ")
                            ),
                            suggestions: best,
                        });
                    }
                    Fuzzy::None => {}
                }
            }
            let closest = index.closest_from(&words[oi], &cands[oi], 3);
            // Why the closest client was not taken, when the rules refused it (e.g. two known
            // names one letter apart): the person confirming a mapping needs to know.
            let refused = closest.first().map(|&(k, _)| index.compare(&words[oi], k)).filter(|c| !c.accepted);
            let suggestions: Vec<(usize, f64)> = closest.into_iter().map(|(k, s)| (to_client(k), s)).collect();
            let inactive_twin = clients.iter().find(|c| c.inactive && exact_key(&c.name) == exact_key(&o.name));
            let detail = match inactive_twin {
                Some(c) => format!(
                    "the only Halo client with this name, #{}, is inactive; reactivate it in Halo or run with --include-inactive",
                    c.id
                ),
                None => match &refused {
                    Some(c) => format!(
                        "no Halo client matches (the closest is not taken: {}); if it is the same business, add a \
                         mapping, or rename the Ninja organization to the exact Halo name",
                        c.reason
                    ),
                    _ => "no Halo client matches; rename the Ninja organization to the exact Halo name or add a mapping"
                        .into(),
                },
            };
            Some(Claim::Fail { status: Status::NoMatch, detail, suggestions })
        })
        .collect();

    // 2. One client, one organization: the strongest claim wins; a tie leaves all ambiguous.
    let mut by_client: HashMap<usize, Vec<usize>> = HashMap::new();
    for (oi, c) in claims.iter().enumerate() {
        if let Some(Claim::Match { client, .. }) = c {
            by_client.entry(*client).or_default().push(oi);
        }
    }
    let mut lost: HashMap<usize, String> = HashMap::new();
    for (client, mut claimants) in by_client {
        let rank = |oi: usize| match &claims[oi] {
            Some(Claim::Match { tier, score, .. }) => claim_rank(*tier, *score),
            _ => unreachable!("only matches are grouped"),
        };
        claimants.sort_by_key(|&oi| rank(oi));
        let best = rank(claimants[0]);
        // Equal claims tie; so do fuzzy claims within the margin the fuzzy tier demands of one
        // organization's candidates: a client two organizations almost equally resemble is
        // given to neither.
        let fuzzy_score = |oi: usize| match &claims[oi] {
            Some(Claim::Match { tier: Tier::Fuzzy, score, .. }) => Some(*score),
            _ => None,
        };
        let tied: Vec<usize> = claimants
            .iter()
            .copied()
            .filter(|&oi| {
                rank(oi) == best
                    || matches!((fuzzy_score(claimants[0]), fuzzy_score(oi)), (Some(a), Some(b)) if a - b < matching::MIN_MARGIN - 1e-9)
            })
            .collect();
        let tier_name = |oi: usize| match &claims[oi] {
            Some(Claim::Match { tier, .. }) => tier.name(),
            _ => "",
        };
        if tied.len() > 1 {
            let names: Vec<String> = tied.iter().map(|&oi| format!("'{}'", orgs[oi].name)).collect();
            for &oi in &claimants {
                lost.insert(
                    oi,
                    format!(
                        "Halo client {} is contested by Ninja organizations {} ({}); add a mapping for the right one",
                        describe(client),
                        names.join(" and "),
                        tier_name(tied[0])
                    ),
                );
            }
        } else {
            for &oi in &claimants[1..] {
                lost.insert(
                    oi,
                    format!(
                        "its best candidate, Halo client {}, is already matched to Ninja organization '{}' ({})",
                        describe(client),
                        orgs[claimants[0]].name,
                        tier_name(claimants[0])
                    ),
                );
            }
        }
    }

    // 3. Decide.
    let mut unread = Vec::new();
    let decisions = orgs
        .iter()
        .zip(claims)
        .enumerate()
        .map(|(oi, (o, claim))| {
            let mut d = Decision {
                ninja_id: o.id,
                ninja_name: o.name.clone(),
                value: o.value.clone(),
                status: Status::Ignored,
                tier: None,
                score: None,
                client: None,
                detail: String::new(),
                replaces: None,
                suggestions: Vec::new(),
            };
            let Some(claim) = claim else {
                d.detail = "ignored (--ignore)".into();
                return d;
            };
            let claim_detail = match claim {
                Claim::Match { client, tier, score, detail } => {
                    d.tier = Some(tier);
                    d.score = Some(score);
                    d.client = Some(client);
                    // Fuzzy claims already name the runner-up the margin rule compared against.
                    if tier == Tier::Fuzzy {
                        detail
                    } else {
                        detail + &runner_up(oi, client)
                    }
                }
                Claim::Fail { status, detail, suggestions } => {
                    d.status = status;
                    d.suggestions = suggestions;
                    d.detail = detail;
                    String::new()
                }
            };
            if let Some(why) = lost.remove(&oi) {
                d.status = Status::Ambiguous;
                d.client = None;
                d.detail = why;
            }
            // The value's own problems come first: they need no Halo client to be reported.
            let value = match &o.value {
                None => {
                    d.status = Status::NoValue;
                    d.detail = format!(
                        "the Ninja field is empty{}",
                        match d.client {
                            Some(c) => format!("; matches {}", describe(c)),
                            None => String::new(),
                        }
                    );
                    return d;
                }
                Some(v) if !opts.any_value && !is_guid(v) => {
                    d.status = Status::InvalidValue;
                    d.detail = format!(
                        "'{}' is not a GUID; fix it in NinjaOne (or use --any-value)",
                        crate::util::clip(v, 60)
                    );
                    return d;
                }
                Some(v) => v,
            };
            if value_count.get(&value_id(value)).copied().unwrap_or(0) > 1 {
                d.status = Status::Conflict;
                d.detail = "another Ninja organization has the same value; give each organization its own".into();
                return d;
            }
            let Some(ci) = d.client else { return d };
            let c = &clients[ci];
            let detail_prefix = format!("{} match: {claim_detail}", d.tier.map_or("", Tier::name));
            match &c.value {
                None => {
                    unread.push(ci);
                    d.status = Status::Failed;
                    d.detail = format!(
                        "not written: Halo's answers for {} did not show the field's current value (no entry for \
                         it), so a value there could be overwritten unseen",
                        describe(ci)
                    );
                }
                Some(Some(cur)) if value_key(cur) == value_key(value) => {
                    d.status = Status::InSync;
                    d.detail = detail_prefix;
                }
                Some(cur) => {
                    // Writing here must not put the value on a second client (an inactive one,
                    // outside the candidates, may hold it already).
                    let elsewhere: Vec<usize> = holders
                        .get(&value_id(value))
                        .map(|h| h.iter().copied().filter(|&i| i != ci).collect())
                        .unwrap_or_default();
                    if !elsewhere.is_empty() {
                        d.status = Status::Conflict;
                        d.detail = format!(
                            "the value is already on Halo client {}{}; remove it there first",
                            describe(elsewhere[0]),
                            if clients[elsewhere[0]].inactive { " (inactive)" } else { "" }
                        );
                    } else if let Some(cur) = cur {
                        if opts.overwrite && d.tier != Some(Tier::Fuzzy) {
                            d.status = Status::WouldUpdate;
                            d.replaces = Some(cur.clone());
                            d.detail =
                                format!("{detail_prefix}; replaces '{}' (--overwrite)", crate::util::clip(cur, 60));
                        } else {
                            d.status = Status::Conflict;
                            d.detail = format!(
                                "{} holds a different value '{}'; {}",
                                describe(ci),
                                crate::util::clip(cur, 60),
                                if d.tier == Some(Tier::Fuzzy) {
                                    "fuzzy matches never overwrite: fix it in Halo or add a mapping"
                                } else {
                                    "fix it in Halo, or run with --overwrite"
                                }
                            );
                        }
                    } else {
                        d.status = Status::WouldUpdate;
                        d.detail = detail_prefix;
                    }
                }
            }
            d
        })
        .collect();
    unread.sort_unstable();
    unread.dedup();
    Plan { decisions, unread }
}

fn manual_claim(target: &HaloRef, clients: &[ClientIn], candidates: &[usize], include_inactive: bool) -> Claim {
    let fail = |status, detail: String| Claim::Fail { status, detail, suggestions: vec![] };
    let found: Vec<usize> = match target {
        HaloRef::Id(id) => clients.iter().position(|c| c.id == *id).into_iter().collect(),
        HaloRef::Name(n) => {
            let key = exact_key(n);
            candidates.iter().copied().filter(|&i| exact_key(&clients[i].name) == key).collect()
        }
    };
    match found.as_slice() {
        [] => {
            let inactive_hit = matches!(target, HaloRef::Name(n) if clients.iter().any(|c| c.inactive && exact_key(&c.name) == exact_key(n)));
            fail(
                Status::NoMatch,
                if inactive_hit {
                    format!("the mapping names Halo client '{target}', which is inactive; use --include-inactive or map to an active client")
                } else {
                    format!("the mapping names Halo client '{target}', which does not exist in Halo; fix the mapping")
                },
            )
        }
        [i] if clients[*i].inactive && !include_inactive => fail(
            Status::NoMatch,
            format!("the mapping names Halo client '{target}', which is inactive; use --include-inactive or map to an active client"),
        ),
        [i] => Claim::Match { client: *i, tier: Tier::Manual, score: 1.0, detail: format!("mapping to '{target}'") },
        many => fail(
            Status::Ambiguous,
            format!(
                "the mapping names '{target}', which {} Halo clients share (#{}); map by #id instead",
                many.len(),
                many.iter().map(|&i| clients[i].id.to_string()).collect::<Vec<_>>().join(", #")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-1111-1111-1111-111111111111";
    const G2: &str = "22222222-2222-2222-2222-222222222222";

    fn org(id: i64, name: &str, v: Option<&str>) -> OrgIn {
        OrgIn { id, name: name.into(), value: v.map(str::to_string) }
    }
    fn client(id: i64, name: &str, v: Option<&str>) -> ClientIn {
        ClientIn { id, name: name.into(), inactive: false, value: Some(v.map(str::to_string)) }
    }
    fn status_of(p: &Plan, id: i64) -> (Status, Option<Tier>, Option<usize>) {
        let d = p.decisions.iter().find(|d| d.ninja_id == id).unwrap();
        (d.status, d.tier, d.client)
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
        // Both organizations resemble "Hartwell Dental Group" (0.67 and 0.75): too close to
        // choose, so neither is written.
        let orgs = vec![org(1, "Hartwell Dental", Some(G1)), org(2, "Hartwell Dental Group Partners", Some(G2))];
        let clients = vec![client(10, "Hartwell Dental Group", None)];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 1).0, Status::Ambiguous, "{}", p.decisions[0].detail);
        assert_eq!(status_of(&p, 2).0, Status::Ambiguous, "{}", p.decisions[1].detail);
        // A clear winner keeps it: 1.0 against 0.67.
        let orgs = vec![org(1, "Hartwell Dental", Some(G1)), org(2, "Hartwell Dental Group, LLC", Some(G2))];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(status_of(&p, 2), (Status::WouldUpdate, Some(Tier::Fuzzy), Some(0)));
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
        let clients = vec![client(10, "ACME DENTAL, LLC", Some(G2))];
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
        let clients = vec![ClientIn { id: 10, name: "Acme".into(), inactive: false, value: None }];
        let p = plan(&orgs, &clients, &Options::default());
        assert_eq!(p.unread, vec![0]);
    }
}
