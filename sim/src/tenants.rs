//! Sample tenants: a hand-written demo MSP, and generated tenants of any size for the
//! benchmark. Deterministic: the same call gives the same tenant.

use crate::{Client, FieldDef, Location, Org, Tenant};
use serde_json::json;
use std::collections::BTreeMap;

pub const NINJA_FIELD: &str = "dtcOrgGuid";
pub const HALO_FIELD: &str = "CFDtcClientGuid";
pub const LOCATION_FIELD: &str = "dtcLocationGuid";
pub const SITE_FIELD: &str = "CFDtcSiteGuid";

/// The arguments that switch the site level on for these field names.
pub const SITE_ARGS: &[&str] = &["--ninja-location-field", LOCATION_FIELD, "--halo-site-field", SITE_FIELD];

/// A GUID derived from a number (deterministic, well-formed).
pub fn guid(n: u64) -> String {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

pub fn client_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new(101, HALO_FIELD, "DTC Client GUID"),
        FieldDef::new(102, "CFContractTier", "Contract Tier"),
        FieldDef::new(103, "CFBillingEmail", "Billing Email"),
    ]
}

/// The site custom fields: ours and one other.
pub fn site_fields() -> Vec<FieldDef> {
    vec![FieldDef::new(301, SITE_FIELD, "DTC Site GUID"), FieldDef::new(302, "CFSiteCode", "Site Code")]
}

pub fn location(id: i64, org_id: i64, name: &str, value: Option<&str>) -> Location {
    let mut fields = BTreeMap::new();
    if let Some(v) = value {
        fields.insert(LOCATION_FIELD.to_string(), json!(v));
    }
    Location { id, org_id, name: name.into(), fields }
}

/// A site of `client_id`, holding `value` in the site field (and a site code beside it).
pub fn site(id: i64, client_id: i64, name: &str, value: Option<&str>) -> Client {
    let mut fields = BTreeMap::new();
    if let Some(v) = value {
        fields.insert(SITE_FIELD.to_string(), json!(v));
    }
    fields.insert("CFSiteCode".to_string(), json!(format!("S{id}")));
    Client { id, name: name.into(), inactive: false, client_id: Some(client_id), fields, ninja_id: None }
}

pub fn org(id: i64, name: &str, value: Option<&str>) -> Org {
    let mut fields = BTreeMap::new();
    if let Some(v) = value {
        fields.insert(NINJA_FIELD.to_string(), json!(v));
    }
    fields.insert("contractTier".to_string(), json!("Gold"));
    Org { id, name: name.into(), fields }
}

pub fn client(id: i64, name: &str, value: Option<&str>) -> Client {
    let mut fields = BTreeMap::new();
    if let Some(v) = value {
        fields.insert(HALO_FIELD.to_string(), json!(v));
    }
    fields.insert("CFContractTier".to_string(), json!("Gold"));
    fields.insert("CFBillingEmail".to_string(), json!(format!("billing{id}@example.com")));
    Client { id, name: name.into(), inactive: false, client_id: None, fields, ninja_id: None }
}

/// The demo MSP: a few dozen organizations showing every tier and status. Run it with
/// `DEMO_ARGS` (a manual mapping and an ignored test organization).
pub fn demo() -> Tenant {
    let g = |n: u64| guid(n);
    let mut orgs = Vec::new();
    let mut clients = Vec::new();
    // Halo ids are unrelated to Ninja ids, as in real life.
    let next_client = |clients: &Vec<Client>| 201 + clients.len() as i64;
    let pair = |orgs: &mut Vec<Org>,
                clients: &mut Vec<Client>,
                ninja: &str,
                halo: Option<&str>,
                org_value: Option<String>,
                halo_value: Option<String>| {
        let id = orgs.len() as i64 + 1;
        orgs.push(org(id, ninja, org_value.as_deref()));
        if let Some(h) = halo {
            clients.push(client(next_client(clients), h, halo_value.as_deref()));
        }
    };
    // Exact names, value missing in Halo: written.
    for (i, n) in [
        "Acme Dental",
        "Blue Ridge Law Group",
        "Cedar Creek Baptist Church",
        "Hillside Elementary School",
        "Northwind Traders",
        "Pinecrest Veterinary Clinic",
        "Harbor View CPAs",
        "Town of Millbrook",
        "Lakeside Orthodontics",
        "Redwood Construction",
        "Granite State Credit Union",
        "Maple Street Pediatrics",
    ]
    .iter()
    .enumerate()
    {
        pair(&mut orgs, &mut clients, n, Some(n), Some(g(100 + i as u64)), None);
    }
    // Already in sync.
    for (i, n) in ["Contoso Ltd", "Woodgrove Bank", "Tailspin Toys", "Wide World Importers", "Adventure Works Cycles"]
        .iter()
        .enumerate()
    {
        pair(&mut orgs, &mut clients, n, Some(n), Some(g(200 + i as u64)), Some(g(200 + i as u64)));
    }
    // Renamed since they were linked: the value still finds them.
    pair(
        &mut orgs,
        &mut clients,
        "Fabrikam Holdings",
        Some("Fabrikam, Inc. (formerly Fabrikam Group)"),
        Some(g(300)),
        Some(g(300)),
    );
    // Fuzzy: same business, written differently.
    pair(&mut orgs, &mut clients, "Smith & Jones, P.C.", Some("Smith and Jones PC"), Some(g(400)), None);
    pair(
        &mut orgs,
        &mut clients,
        "Keystone Plumbng & Heating",
        Some("Keystone Plumbing & Heating Inc"),
        Some(g(401)),
        None,
    );
    pair(&mut orgs, &mut clients, "Zoë's Café", Some("Zoes Cafe LLC"), Some(g(402)), None);
    pair(
        &mut orgs,
        &mut clients,
        "Riverside Family Dentistry - Main Office",
        Some("Riverside Family Dentistry"),
        Some(g(403)),
        None,
    );
    pair(
        &mut orgs,
        &mut clients,
        "St. Mary's Catholic Church",
        Some("Saint Marys Catholic Church"),
        Some(g(404)),
        None,
    );
    // Manual mapping (DEMO_ARGS maps "TCWC" to the cooperative).
    pair(&mut orgs, &mut clients, "TCWC", Some("Tri-County Water Cooperative"), Some(g(500)), None);
    // No value in Ninja yet.
    pair(&mut orgs, &mut clients, "Evergreen Landscaping", Some("Evergreen Landscaping"), None, None);
    // Not a GUID.
    pair(&mut orgs, &mut clients, "Legacy Import Co", Some("Legacy Import Co"), Some("TBD".into()), None);
    // Not in Halo at all.
    pair(&mut orgs, &mut clients, "Globex Corporation", None, Some(g(600)), None);
    // Decoy: shares only generic words with a Halo client.
    pair(&mut orgs, &mut clients, "Springfield Dental Group", Some("Riverside Dental Group"), Some(g(601)), None);
    // Two Halo clients with the same name.
    pair(&mut orgs, &mut clients, "Summit Medical", Some("Summit Medical"), Some(g(700)), None);
    clients.push(client(next_client(&clients), "Summit Medical", None));
    // Halo holds a different value.
    pair(&mut orgs, &mut clients, "Initech", Some("Initech"), Some(g(800)), Some(g(801)));
    // Ignored by DEMO_ARGS.
    pair(&mut orgs, &mut clients, "Internal - Test Org", None, Some(g(900)), None);
    // Halo-only clients: an inactive one and some others.
    let mut old = client(next_client(&clients), "Old Mill Bakery", None);
    old.inactive = true;
    clients.push(old);
    pair(&mut orgs, &mut clients, "Old Mill Bakery", None, Some(g(901)), None);
    for n in ["Vandelay Industries", "Stark Medical Group", "Wayne Enterprises"] {
        clients.push(client(next_client(&clients), n, None));
    }
    let (locations, sites) = demo_places(&orgs, &clients);
    Tenant { orgs, clients, fields: client_fields(), locations, sites, site_fields: site_fields() }
}

/// The demo's second level: a site written by name, one by Halo's own link, a single-place
/// pair, one in sync, a location with no matching site and a site holding another value.
fn demo_places(orgs: &[Org], clients: &[Client]) -> (Vec<Location>, Vec<Client>) {
    let org_id = |name: &str| orgs.iter().find(|o| o.name == name).map_or(0, |o| o.id);
    let client_id = |name: &str| clients.iter().find(|c| c.name == name).map_or(0, |c| c.id);
    let g = |n: u64| guid(5_000 + n);
    let (acme, blue, contoso, woodgrove, northwind) = (
        (org_id("Acme Dental"), client_id("Acme Dental")),
        (org_id("Blue Ridge Law Group"), client_id("Blue Ridge Law Group")),
        (org_id("Contoso Ltd"), client_id("Contoso Ltd")),
        (org_id("Woodgrove Bank"), client_id("Woodgrove Bank")),
        (org_id("Northwind Traders"), client_id("Northwind Traders")),
    );
    let locations = vec![
        location(1001, acme.0, "Main Office", Some(&g(1))),
        location(1002, acme.0, "Annex", Some(&g(2))),
        location(1003, blue.0, "Downtown", Some(&g(3))),
        location(1004, contoso.0, "Redmond Campus", Some(&g(4))),
        location(1005, woodgrove.0, "Branch 12", Some(&g(5))),
        location(1006, northwind.0, "Seattle", Some(&g(6))),
        location(1007, northwind.0, "Portland", None),
    ];
    let mut sea = site(5006, northwind.1, "SEA-01", None);
    sea.ninja_id = Some(1006);
    let sites = vec![
        site(5001, acme.1, "Main Office", None),
        site(5002, acme.1, "North Warehouse", None),
        site(5003, blue.1, "Head Office", None),
        site(5004, contoso.1, "Redmond Campus", Some(&g(4))),
        site(5005, woodgrove.1, "Branch 12", Some(&g(99))),
        sea,
        site(5007, northwind.1, "Portland", None),
    ];
    (locations, sites)
}

/// Arguments the demo passes on top of the environment.
pub const DEMO_ARGS: &[&str] = &["--map", "TCWC=Tri-County Water Cooperative", "--ignore", "Internal - Test Org"];

const FIRST: &[&str] = &[
    "Acme",
    "Apex",
    "Summit",
    "Pioneer",
    "Harbor",
    "Cedar",
    "Maple",
    "Granite",
    "Silver",
    "Golden",
    "Eagle",
    "Falcon",
    "Liberty",
    "Heritage",
    "Evergreen",
    "Riverside",
    "Lakeview",
    "Hillside",
    "Oakridge",
    "Pinecrest",
    "Redwood",
    "Bluewater",
    "Northstar",
    "Sunrise",
    "Westfield",
    "Brookside",
    "Clearwater",
    "Fairview",
    "Highland",
    "Ironwood",
    "Keystone",
    "Lighthouse",
    "Meadow",
    "Orchard",
    "Prairie",
    "Quarry",
    "Ridgeway",
    "Stonebridge",
    "Timber",
    "Valley",
    "Willow",
    "Yellowstone",
];
const SECOND: &[&str] = &[
    "Dental",
    "Law",
    "Medical",
    "Accounting",
    "Construction",
    "Realty",
    "Insurance",
    "Plumbing",
    "Electric",
    "Logistics",
    "Veterinary",
    "Pediatrics",
    "Orthodontics",
    "Engineering",
    "Architecture",
    "Consulting",
    "Manufacturing",
    "Church",
    "Academy",
    "Credit Union",
    "Chiropractic",
    "Landscaping",
    "Roofing",
    "Pharmacy",
    "Optometry",
    "Bakery",
    "Brewing",
];
const THIRD: &[&str] =
    &["Group", "Partners", "Associates", "Services", "Solutions", "Center", "Clinic", "Company", "Studio", "Works"];
const SUFFIX: &[&str] = &["", "", "", " LLC", " Inc", " Ltd", " PC", " PLLC", " Corp"];

/// A generated tenant of `n` organizations with about 10% more Halo clients. The first run
/// finds `linked_percent` of the organizations already linked; the rest match by exact name.
pub fn generated(n: usize, linked_percent: u64) -> Tenant {
    let mut orgs = Vec::with_capacity(n);
    let mut clients = Vec::with_capacity(n + n / 10);
    let name = |i: usize| {
        let f = FIRST[i % FIRST.len()];
        let s = SECOND[(i / FIRST.len()) % SECOND.len()];
        let t = THIRD[(i / (FIRST.len() * SECOND.len())) % THIRD.len()];
        let serial = i / (FIRST.len() * SECOND.len() * THIRD.len());
        let suffix = SUFFIX[i % SUFFIX.len()];
        if serial == 0 {
            format!("{f} {s} {t}{suffix}")
        } else {
            format!("{f} {s} {t} {serial}{suffix}")
        }
    };
    for i in 0..n {
        let value = guid(10_000 + i as u64);
        let linked = (i as u64 * 100 / n.max(1) as u64) < linked_percent;
        orgs.push(org(i as i64 + 1, &name(i), Some(&value)));
        clients.push(client(100_000 + i as i64, &name(i), linked.then_some(value.as_str())));
    }
    for j in 0..(n / 10).max(1) {
        clients.push(client(500_000 + j as i64, &format!("{} Halo Only", name(n + j)), None));
    }
    Tenant { orgs, clients, fields: client_fields(), ..Tenant::default() }
}

/// 500 surnames (the 1990 US Census list, public domain; 5 letters or more) for realistic names.
const SURNAMES: &str =
    "Smith Johnson Williams Jones Brown Davis Miller Wilson Moore Taylor Anderson Thomas Jackson White Harris
Martin Thompson Garcia Martinez Robinson Clark Rodriguez Lewis Walker Allen Young Hernandez Wright Lopez Scott
Green Adams Baker Gonzalez Nelson Carter Mitchell Perez Roberts Turner Phillips Campbell Parker Evans Edwards
Collins Stewart Sanchez Morris Rogers Morgan Murphy Bailey Rivera Cooper Richardson Howard Torres Peterson
Ramirez James Watson Brooks Kelly Sanders Price Bennett Barnes Henderson Coleman Jenkins Perry Powell
Patterson Hughes Flores Washington Butler Simmons Foster Gonzales Bryant Alexander Russell Griffin Hayes Myers
Hamilton Graham Sullivan Wallace Woods Jordan Owens Reynolds Fisher Ellis Harrison Gibson Mcdonald Marshall
Ortiz Gomez Murray Freeman Wells Simpson Stevens Tucker Porter Hunter Hicks Crawford Henry Mason Morales
Kennedy Warren Dixon Ramos Reyes Burns Gordon Holmes Robertson Black Daniels Palmer Mills Nichols Grant Knight
Ferguson Stone Hawkins Perkins Hudson Spencer Gardner Stephens Payne Pierce Berry Matthews Arnold Wagner
Willis Watkins Olson Carroll Duncan Snyder Cunningham Bradley Andrews Harper Riley Armstrong Carpenter Weaver
Greene Lawrence Elliott Chavez Austin Peters Kelley Franklin Lawson Fields Gutierrez Schmidt Vasquez Castillo
Wheeler Chapman Oliver Montgomery Richards Williamson Johnston Banks Meyer Bishop Mccoy Howell Alvarez
Morrison Hansen Fernandez Garza Harvey Little Burton Stanley Nguyen George Jacobs Fuller Lynch Gilbert Garrett
Romero Welch Larson Frazier Burke Hanson Mendoza Moreno Bowman Medina Fowler Brewer Hoffman Carlson Silva
Pearson Holland Douglas Fleming Jensen Vargas Davidson Hopkins Terry Herrera Walters Curtis Caldwell Jennings
Barnett Graves Jimenez Horton Shelton Barrett Obrien Castro Sutton Gregory Mckinney Lucas Miles Craig
Rodriquez Chambers Lambert Fletcher Watts Bates Rhodes Newman Haynes Mcdaniel Mendez Vaughn Parks Dawson
Santiago Norris Hardy Steele Curry Powers Schultz Barker Guzman Munoz Keller Chandler Weber Leonard Walsh
Lyons Ramsey Wolfe Schneider Mullins Benson Sharp Bowen Daniel Barber Cummings Hines Baldwin Griffith Valdez
Hubbard Salazar Reeves Warner Stevenson Burgess Santos Cross Garner Thornton Dennis Mcgee Farmer Delgado
Aguilar Glover Manning Cohen Harmon Rodgers Robbins Newton Blair Higgins Ingram Reese Cannon Strickland
Townsend Potter Goodwin Walton Hampton Ortega Patton Swanson Joseph Francis Goodman Maldonado Yates Becker
Erickson Hodges Conner Adkins Webster Norman Malone Hammond Flowers Moody Quinn Blake Maxwell Floyd Osborne
Mccarthy Guerrero Lindsey Estrada Sandoval Gibbs Tyler Gross Fitzgerald Stokes Doyle Sherman Saunders Colon
Alvarado Greer Padilla Simon Waters Nunez Ballard Schwartz Mcbride Houston Christensen Klein Pratt Briggs
Parsons Mclaughlin Zimmerman French Buchanan Moran Copeland Pittman Brady Mccormick Holloway Brock Poole Frank
Logan Marsh Drake Jefferson Morton Abbott Sparks Patrick Norton Clayton Massey Lloyd Figueroa Carson Bowers
Roberson Barton Harrington Casey Boone Cortez Clarke Mathis Singleton Wilkins Bryan Underwood Hogan Mckenzie
Collier Phelps Mcguire Allison Bridges Wilkerson Summers Atkins Wilcox Pitts Conley Marquez Burnett Richard
Cochran Chase Davenport Gates Ayala Sawyer Roman Vazquez Dickerson Hodge Acosta Flynn Espinoza Nicholson
Monroe Morrow Randall Anthony Whitaker Oconnor Skinner Molina Kirby Huffman Bradford Charles Gilmore Dominguez
Oneal Bruce Combs Kramer Heath Hancock Gallagher Gaines Shaffer Short Wiggins Mathews Mcclain Fischer Small
Melton Hensley Cameron Grimes Contreras Christian Wyatt Baxter Mosley Shepherd Larsen Hoover Beasley Glenn
Petersen Whitehead Meyers Keith Garrison Vincent Shields Savage Olsen Schroeder Hartman Woodard";

/// Trades and forms, so that "<Surname> <trade>" is 20-30 characters like a real client name.
const TRADES: &[&str] = &[
    "Family Dentistry",
    "Dental Associates",
    "Law Group",
    "Insurance Agency",
    "Construction Co",
    "Plumbing & Heating",
    "Accounting Services",
    "Realty Group",
    "Auto Repair",
    "Veterinary Clinic",
    "Orthodontics PLLC",
    "Medical Group",
    "Chiropractic Center",
    "Landscaping LLC",
    "Roofing & Siding",
    "Engineering Inc",
    "Marketing Group",
    "Financial Advisors",
    "Electric Company",
    "Pediatrics",
    "Physical Therapy",
    "Eye Care Center",
    "Tax & Bookkeeping",
    "Logistics Inc",
    "Architects LLP",
    "Home Builders",
    "Property Management",
    "Funeral Home",
    "Wealth Management",
    "Animal Hospital",
    "Staffing Solutions",
    "Printing Company",
    "HVAC Services",
    "Law Offices",
    "Surveying Co",
    "Title Company",
];

/// The client custom fields of a realistic tenant: ours and five others.
pub fn realistic_fields() -> Vec<FieldDef> {
    let mut f = client_fields();
    f.push(FieldDef::new(104, "CFAccountManager", "Account Manager"));
    f.push(FieldDef::new(105, "CFSlaLevel", "SLA Level"));
    f.push(FieldDef::new(106, "CFOnboardedDate", "Onboarded"));
    f
}

/// A tenant whose rows look like production: client names of 20-30 characters from 500
/// surnames and 36 trades, six client custom fields of which one to three hold values, Ninja
/// organizations with a description, tags and other custom fields. `linked_percent` of the
/// organizations already have their value in Halo (32 gives 6,800 writes at 10,000); one in
/// ten Ninja names carries a legal form the Halo name lacks (a fuzzy "same words" match); Halo
/// has 10% more clients than Ninja has organizations.
pub fn realistic(n: usize, linked_percent: u64) -> Tenant {
    let surnames: Vec<&str> = SURNAMES.split_whitespace().collect();
    let name = |i: usize| {
        let s = surnames[i % surnames.len()];
        let t = TRADES[(i / surnames.len()) % TRADES.len()];
        let serial = i / (surnames.len() * TRADES.len());
        if serial == 0 {
            format!("{s} {t}")
        } else {
            format!("{s} {t} {}", serial + 1)
        }
    };
    let others = ["CFContractTier", "CFAccountManager", "CFSlaLevel", "CFOnboardedDate", "CFBillingEmail"];
    let mut orgs = Vec::with_capacity(n);
    let mut clients = Vec::with_capacity(n + n / 10);
    for i in 0..n + n / 10 {
        let id = 100_000 + i as i64;
        let linked = i < n && (i as u64 * 100 / n.max(1) as u64) < linked_percent;
        let value = guid(10_000 + i as u64);
        let mut fields = BTreeMap::new();
        if linked {
            fields.insert(HALO_FIELD.to_string(), json!(value));
        }
        // One to three fields hold a value (ours counts).
        let wanted = 1 + i % 3 - usize::from(linked && i % 3 > 0);
        for k in 0..wanted {
            let f = others[(i + k) % others.len()];
            let v = match f {
                "CFContractTier" => json!(["Gold", "Silver", "Bronze"][i % 3]),
                "CFAccountManager" => {
                    json!(format!("{} {}", ["Dana", "Lee", "Sam", "Ari"][i % 4], surnames[(i * 7) % 500]))
                }
                "CFSlaLevel" => json!(i % 4 + 1),
                "CFOnboardedDate" => json!(format!("20{:02}-{:02}-15T00:00:00", 15 + i % 10, 1 + i % 12)),
                _ => json!(format!("billing{id}@example.com")),
            };
            fields.insert(f.to_string(), v);
        }
        let client_name = if i < n { name(i) } else { format!("{} Halo Only", name(i)) };
        clients.push(Client { id, name: client_name, inactive: false, client_id: None, fields, ninja_id: None });
        if i < n {
            let mut org_fields = BTreeMap::new();
            org_fields.insert(NINJA_FIELD.to_string(), json!(value));
            org_fields.insert("contractTier".into(), json!(["Gold", "Silver", "Bronze"][i % 3]));
            org_fields.insert("primaryContact".into(), json!(format!("it{id}@example.com")));
            org_fields.insert("backupPolicy".into(), json!("nightly-30d"));
            let ninja_name = if i % 10 == 7 { format!("{}, Inc.", name(i)) } else { name(i) };
            orgs.push(Org { id: i as i64 + 1, name: ninja_name, fields: org_fields });
        }
    }
    Tenant { orgs, clients, fields: realistic_fields(), ..Tenant::default() }
}

/// `realistic` with the second level: 1.5 locations an organization (one or two), and their
/// sites in Halo (about 1.9 per organization: the same places, three in ten clients with a
/// storage site besides, one site for each Halo-only client). Most places carry the same name
/// on both sides; a quarter of the one-location organizations name their site differently
/// (matched by the single-place tier, or left for a person where a storage site is there
/// too). Linked organizations' sites already hold their locations' values.
pub fn realistic_with_sites(n: usize, linked_percent: u64) -> Tenant {
    let mut t = realistic(n, linked_percent);
    for i in 0..n + n / 10 {
        let client = t.clients[i].id;
        let base = 2_000_000 + 4 * i as i64;
        if i >= n {
            t.sites.push(site(base, client, "Main Office", None));
            continue;
        }
        let org = t.orgs[i].id;
        let linked = (i as u64 * 100 / n.max(1) as u64) < linked_percent;
        let places: &[&str] = if i % 2 == 0 { &["Main Office"] } else { &["Main Office", "Branch Office"] };
        for (j, place) in places.iter().enumerate() {
            let loc_id = 1_000_000 + 2 * i as i64 + j as i64;
            let value = guid(500_000 + loc_id as u64);
            t.locations.push(location(loc_id, org, place, Some(&value)));
            let site_name = if places.len() == 1 && i % 4 == 2 { "HQ" } else { place };
            t.sites.push(site(base + j as i64, client, site_name, linked.then_some(value.as_str())));
        }
        if i % 10 < 3 {
            t.sites.push(site(base + 3, client, "Storage Unit", None));
        }
    }
    t.site_fields = site_fields();
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn guids_are_well_formed_and_distinct() {
        let a = super::guid(1);
        assert_eq!(a.len(), 36);
        assert_ne!(a, super::guid(2));
        assert_eq!(a.split('-').map(str::len).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12]);
    }

    #[test]
    fn the_realistic_tenant_looks_like_production() {
        let t = super::realistic(10_000, 32);
        assert_eq!((t.orgs.len(), t.clients.len(), t.fields.len()), (10_000, 11_000, 6));
        let lens: Vec<usize> = t.clients.iter().map(|c| c.name.len()).collect();
        let avg = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
        assert!((20.0..=30.0).contains(&avg), "average name length {avg}");
        assert!(t.clients.iter().all(|c| (1..=3).contains(&c.fields.len())));
        let linked = t.clients.iter().filter(|c| c.fields.contains_key(super::HALO_FIELD)).count();
        assert_eq!(10_000 - linked, 6_800, "writes on the first run");
        let names: std::collections::HashSet<&str> = t.clients.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), t.clients.len(), "unique names");
    }
}
