//! Matching benchmark: `cargo bench --bench matching`.
//! Plans N organizations against 1.1 N Halo clients (names from the simulator's generator,
//! a third of the Ninja names altered so the fuzzy tier works) and prints CPU and wall time.

use ninja_halo_sim::tenants;
use ninja_halo_sync::plan::{plan, HaloIn, NinjaIn, Options, Status};
use ninja_halo_sync::util::cpu_seconds;
use std::time::Instant;

/// Names with diverse distinctive words: made-up surnames from syllables, a trade, maybe a
/// filler word and a legal form; a third of the Ninja names carry a typo or another suffix.
fn diverse(n: usize) -> (Vec<NinjaIn>, Vec<HaloIn>) {
    const SYL: &[&str] = &[
        "har", "wel", "ko", "mar", "den", "bro", "sil", "ta", "ver", "lin", "gro", "pen", "dal", "ri", "son", "ka",
        "mo", "ber", "fen", "lo", "tra", "ni", "vas", "quin",
    ];
    const TRADE: &[&str] = &[
        "Dental",
        "Law",
        "Plumbing",
        "Roofing",
        "Accounting",
        "Bakery",
        "Logistics",
        "Pediatrics",
        "Realty",
        "Church",
        "Academy",
        "Engineering",
    ];
    const TAIL: &[&str] = &["", " Group", " & Associates", " Services", ""];
    const FORM: &[&str] = &["", " LLC", " Inc", " Ltd", ""];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = |m: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m as u64) as usize
    };
    let mut clients = Vec::new();
    let mut orgs = Vec::new();
    for i in 0..n + n / 10 {
        let sur: String = (0..3).map(|_| SYL[rnd(SYL.len())]).collect::<String>();
        let mut sur = sur;
        sur[..1].make_ascii_uppercase();
        let name = format!("{sur} {}{}{}", TRADE[rnd(TRADE.len())], TAIL[rnd(TAIL.len())], FORM[rnd(FORM.len())]);
        clients.push(HaloIn {
            id: i as i64 + 1,
            name: name.clone(),
            inactive: false,
            value: Some(None),
            ..HaloIn::default()
        });
        if i < n {
            let ninja = match i % 3 {
                0 if sur.len() >= 6 => {
                    name.replacen(&sur, &format!("{}{}", &sur[..sur.len() - 1], &sur[sur.len() - 1..].repeat(2)), 1)
                }
                1 => {
                    format!("{}, Inc.", name.trim_end_matches(" LLC").trim_end_matches(" Inc").trim_end_matches(" Ltd"))
                }
                _ => name.to_uppercase(),
            };
            orgs.push(NinjaIn {
                id: i as i64 + 1,
                name: ninja,
                value: Some(tenants::guid(i as u64)),
                link: None,
                parent: None,
            });
        }
    }
    (orgs, clients)
}

fn measure(label: &str, orgs: &[NinjaIn], clients: &[HaloIn]) {
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let p = plan(orgs, clients, &Options::default());
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(a, b)| format!("{:.2}", a - b)).unwrap_or_else(|| "n/a".into());
    let tier = |name: &str| p.decisions.iter().filter(|d| d.tier.map(|t| t.name()) == Some(name)).count();
    let matched = p.decisions.iter().filter(|d| d.status == Status::WouldUpdate).count();
    let right = p
        .decisions
        .iter()
        .filter(|d| d.status == Status::WouldUpdate && d.halo.map(|c| clients[c].id) == Some(d.ninja_id))
        .count();
    println!(
        "| {label} | {} | {} | {matched} | {right} | {} | {} | {cpu} | {wall:.2} |",
        orgs.len(),
        clients.len(),
        tier("exact"),
        tier("fuzzy")
    );
}

fn main() {
    println!("| names | organizations | Halo clients | matched | to the right client | exact | fuzzy | plan CPU s | plan wall s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in [1_000usize, 10_000] {
        let (orgs, clients) = diverse(n);
        measure("diverse", &orgs, &clients);
    }
    for n in [1_000usize, 10_000] {
        let t = tenants::generated(n, 0);
        let orgs: Vec<NinjaIn> = t
            .orgs
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let name = match i % 3 {
                    0 => o.name.to_uppercase(),
                    1 => format!("{}, Inc.", o.name.trim_end_matches(" LLC").trim_end_matches(" Inc")),
                    _ => o.name.clone(),
                };
                NinjaIn {
                    id: o.id,
                    parent: None,
                    name,
                    value: o.fields.get(tenants::NINJA_FIELD).and_then(|v| v.as_str()).map(str::to_string),
                    link: None,
                }
            })
            .collect();
        // Simulator ids: client 100000+i belongs to organization i+1.
        let clients: Vec<HaloIn> = t
            .clients
            .iter()
            .map(|c| HaloIn {
                id: if c.id >= 500_000 { c.id } else { c.id - 99_999 },
                name: c.name.clone(),
                inactive: false,
                value: Some(None),
                ..HaloIn::default()
            })
            .collect();
        measure("repetitive", &orgs, &clients);
    }
}
