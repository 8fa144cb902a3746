//! The site level, pure (never touches the network): NinjaOne locations matched to Halo sites
//! inside each certain organization <-> client link, one decision per location. Inside a pair
//! the organization level's planner decides, on the same rules (linked by value, Halo's own
//! link `ninjarmmid` = the location id, exact name, the evidence rules), with one more tier at
//! the end: the only location and the only active site (`Tier::Single`). Across pairs, a value
//! is checked against every site and every location: a site receives at most one location's
//! value, and a value already on a site of another client is a conflict, never a second copy.

use crate::plan::{self, Decision, HaloIn, NinjaIn, Options, Pair, Plan, Status, ValueId};
use std::collections::HashMap;

/// The site options of a run: the organization level's value and tier switches, no mappings
/// or ignore lists (those name organizations), and the single-place tier.
pub fn options(org: &Options) -> Options {
    Options {
        overwrite: org.overwrite,
        any_value: org.any_value,
        include_inactive: org.include_inactive,
        no_fuzzy: org.no_fuzzy,
        native_links: org.native_links,
        level: plan::Level::Sites,
        ..Options::default()
    }
}

/// One decision per location of a certain pair (`Decision::within` names the pair; its
/// `halo` and suggestions are indexes into `sites`). `locations` and `sites` carry their
/// organization and client as `parent`.
pub fn plan(pairs: &[Pair], locations: &[NinjaIn], sites: &[HaloIn], opts: &Options) -> Plan {
    let mut by_org: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, l) in locations.iter().enumerate() {
        if let Some(org) = l.parent {
            by_org.entry(org).or_default().push(i);
        }
    }
    let mut by_client: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut holders: HashMap<ValueId, Vec<usize>> = HashMap::new();
    for (i, s) in sites.iter().enumerate() {
        if let Some(c) = s.parent {
            by_client.entry(c).or_default().push(i);
        }
        if let Some(Some(v)) = &s.value {
            holders.entry(plan::value_id(v)).or_default().push(i);
        }
    }
    let mut value_count: HashMap<ValueId, usize> = HashMap::new();
    for v in locations.iter().filter_map(|l| l.value.as_deref()) {
        *value_count.entry(plan::value_id(v)).or_default() += 1;
    }
    let mut out = Plan { decisions: Vec::new(), unread: Vec::new(), for_links: 0 };
    for pair in pairs {
        let Some(locs) = by_org.get(&pair.org_id) else { continue };
        let here: &[usize] = by_client.get(&pair.client_id).map_or(&[], Vec::as_slice);
        // The pair's own records, in their own slices (a pair has a few).
        let locs_here: Vec<NinjaIn> = locs.iter().map(|&i| locations[i].clone()).collect();
        let sites_here: Vec<HaloIn> = here.iter().map(|&i| sites[i].clone()).collect();
        let p = plan::plan(&locs_here, &sites_here, opts);
        out.unread.extend(p.unread.iter().map(|&k| here[k]));
        out.for_links += p.for_links;
        for mut d in p.decisions {
            d.halo = d.halo.map(|k| here[k]);
            for s in &mut d.suggestions {
                s.halo = here[s.halo];
            }
            across_pairs(&mut d, here, sites, &holders, &value_count);
            d.within = Some(*pair);
            out.decisions.push(d);
        }
    }
    out.unread.sort_unstable();
    out.unread.dedup();
    out
}

/// What one pair's planner could not see: the same value on a location of another
/// organization, or on a site of another client.
fn across_pairs(
    d: &mut Decision,
    here: &[usize],
    sites: &[HaloIn],
    holders: &HashMap<ValueId, Vec<usize>>,
    value_count: &HashMap<ValueId, usize>,
) {
    if !matches!(d.status, Status::WouldUpdate | Status::InSync | Status::NoMatch | Status::Ambiguous) {
        return;
    }
    let Some(key) = d.value.as_deref().map(plan::value_id) else { return };
    if value_count.get(&key).copied().unwrap_or(0) > 1 {
        d.status = Status::Conflict;
        d.detail = "another NinjaOne location has the same value; give each location its own".into();
        return;
    }
    let elsewhere = holders.get(&key).into_iter().flatten().find(|i| !here.contains(i));
    if let Some(&other) = elsewhere {
        let s = &sites[other];
        d.status = Status::Conflict;
        d.detail = format!(
            "the value is already on Halo site '{}' (#{}) of another client (#{}); remove it there first",
            s.name,
            s.id,
            s.parent.map_or("none".to_string(), |c| c.to_string())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Tier;

    const G1: &str = "11111111-1111-1111-1111-111111111111";
    const G2: &str = "22222222-2222-2222-2222-222222222222";

    fn loc(id: i64, org_id: i64, name: &str, value: Option<&str>) -> NinjaIn {
        NinjaIn { id, parent: Some(org_id), name: name.into(), value: value.map(str::to_string), link: None }
    }
    fn site(id: i64, client_id: i64, name: &str, v: Option<&str>) -> HaloIn {
        HaloIn {
            id,
            parent: Some(client_id),
            name: name.into(),
            inactive: false,
            value: Some(v.map(str::to_string)),
            link: plan::Link::Seen(None),
            disputed: None,
        }
    }
    fn outcome(p: &Plan, location: i64) -> (Status, Option<Tier>, Option<usize>) {
        let d = p.decisions.iter().find(|d| d.ninja_id == location).unwrap();
        (d.status, d.tier, d.halo)
    }
    fn opts() -> Options {
        options(&Options::default())
    }

    #[test]
    fn sites_match_only_inside_their_pair_and_by_the_tiers_in_order() {
        let pairs = [Pair { org_id: 1, client_id: 10 }];
        let locations = [
            loc(100, 1, "Head Office", Some(G1)),
            loc(101, 1, "Warehouse", Some(G2)),
            // Organization 2 has no certain link: its location is not judged.
            loc(200, 2, "Head Office", None),
        ];
        let mut sites = vec![site(1000, 10, "Head Office", None), site(1001, 10, "Depot", None)];
        sites.push(site(2000, 20, "Warehouse", None));
        sites[1].link = plan::Link::Seen(Some(101));
        let p = plan(&pairs, &locations, &sites, &opts());
        assert_eq!(p.decisions.len(), 2, "only the linked organization's locations");
        assert_eq!(outcome(&p, 100), (Status::WouldUpdate, Some(Tier::Exact), Some(0)));
        // Halo's own link beats a name that matches nothing here; the other client's
        // 'Warehouse' is never a candidate.
        assert_eq!(outcome(&p, 101), (Status::WouldUpdate, Some(Tier::Native), Some(1)));
    }

    #[test]
    fn the_only_place_on_each_side_is_a_match_that_never_overwrites() {
        let pairs = [Pair { org_id: 1, client_id: 10 }, Pair { org_id: 2, client_id: 20 }];
        let locations = [loc(100, 1, "Main", Some(G1)), loc(200, 2, "Berlin", Some(G2))];
        let mut sites = vec![site(1000, 10, "Head Office", None), site(2000, 20, "Munich", Some("other"))];
        sites.push(HaloIn { inactive: true, ..site(1001, 10, "Old", None) });
        let p = plan(&pairs, &locations, &sites, &options(&Options { overwrite: true, ..Options::default() }));
        assert_eq!(outcome(&p, 100), (Status::WouldUpdate, Some(Tier::Single), Some(0)), "inactive sites do not count");
        assert_eq!(outcome(&p, 200).0, Status::Conflict, "single never overwrites, even with --overwrite");
        // Two locations: no single tier.
        let two = [loc(100, 1, "Main", Some(G1)), loc(101, 1, "Annex", Some(G2))];
        let p = plan(&pairs[..1], &two, &sites[..1], &opts());
        assert_eq!(outcome(&p, 101).0, Status::NoMatch);
        assert!(p.decisions[1].detail.contains("Halo site"), "{}", p.decisions[1].detail);
    }

    #[test]
    fn a_value_is_never_put_on_a_second_site_nor_taken_from_another_location() {
        let pairs = [Pair { org_id: 1, client_id: 10 }, Pair { org_id: 2, client_id: 20 }];
        // G1 already sits on a site of client 20.
        let locations = [loc(100, 1, "Main", Some(G1)), loc(200, 2, "Depot", Some(G2)), loc(201, 2, "Yard", Some(G2))];
        let sites = [site(1000, 10, "Main", None), site(2000, 20, "Other", Some(G1)), site(2001, 20, "Depot", None)];
        let p = plan(&pairs, &locations, &sites, &opts());
        let (status, _, _) = outcome(&p, 100);
        assert_eq!(status, Status::Conflict);
        assert!(p.decisions[0].detail.contains("#2000"), "{}", p.decisions[0].detail);
        assert_eq!(outcome(&p, 200).0, Status::Conflict, "two locations with one value");
    }

    #[test]
    fn unknown_site_values_are_asked_for_by_site_index() {
        let pairs = [Pair { org_id: 1, client_id: 10 }];
        let locations = [loc(100, 1, "Main", Some(G1))];
        let sites = [site(5, 99, "Elsewhere", None), HaloIn { value: None, ..site(6, 10, "Main", None) }];
        let p = plan(&pairs, &locations, &sites, &opts());
        assert_eq!(p.unread, vec![1]);
        assert_eq!(outcome(&p, 100).0, Status::Failed, "never written while the value is unknown");
    }
}
