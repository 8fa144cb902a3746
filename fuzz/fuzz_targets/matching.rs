//! Normalization and matching on arbitrary names: no panic, normalization idempotent, and
//! every match the planner makes is to a candidate client.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ninja_halo_sync::matching::{normalize, Index};
use ninja_halo_sync::plan::{plan, HaloIn, NinjaIn, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let org_names: Vec<&str> = lines.next().unwrap_or("").split('|').collect();
    let client_names: Vec<&str> = lines.collect();
    for n in org_names.iter().chain(&client_names) {
        let once = normalize(n);
        assert_eq!(normalize(&once.join(" ")), once, "normalize is idempotent");
    }
    let idx = Index::new(client_names.iter().copied());
    for n in &org_names {
        let _ = idx.fuzzy(n);
        let _ = idx.closest(n, 3);
    }
    let orgs: Vec<NinjaIn> = org_names
        .iter()
        .enumerate()
        .map(|(i, n)| NinjaIn { id: i as i64 + 1, name: n.to_string(), value: Some(format!("00000000-0000-4000-8000-{i:012}")), link: None, parent: None })
        .collect();
    let clients: Vec<HaloIn> = client_names
        .iter()
        .enumerate()
        .map(|(i, n)| HaloIn { id: i as i64 + 1, name: n.to_string(), inactive: i % 5 == 4, value: Some(None), ..HaloIn::default() })
        .collect();
    let p = plan(&orgs, &clients, &Options::default());
    let mut taken = std::collections::HashSet::new();
    for d in &p.decisions {
        if let (Some(c), ninja_halo_sync::plan::Status::WouldUpdate) = (d.halo, d.status) {
            assert!(!clients[c].inactive, "never an inactive client without --include-inactive");
            assert!(taken.insert(c), "a client receives at most one organization's value");
        }
    }
});
