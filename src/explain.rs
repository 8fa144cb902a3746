//! Explanations for a person: `--explain NAME` and the `--suggest-map` CSV, built from the
//! plan's inputs and decisions. The explanation is returned for the caller to print; the CSV
//! is written here (`write_suggestions`, through files.rs: private, replaced by rename).

use crate::config::csv_quote;
use crate::matching::{exact_key, fuzzy_words};
use crate::plan::{Decision, HaloIn, NinjaIn, Status};
use crate::util::to_cell;

/// How one Ninja organization (by name) matches: its normalized form, the decision, and the
/// top five Halo candidates with their scores and why each was taken or refused.
pub fn explain(
    name: &str,
    orgs: &[NinjaIn],
    clients: &[HaloIn],
    decisions: &[Decision],
    opts: &crate::plan::Options,
) -> Vec<String> {
    let mut out = Vec::new();
    let key = exact_key(name);
    let hits: Vec<(&NinjaIn, &Decision)> =
        orgs.iter().zip(decisions).filter(|(o, _)| exact_key(&o.name) == key).collect();
    out.push(format!("explain '{name}'"));
    out.push(format!("  normalized words: {}", fuzzy_words(name).join(" ")));
    out.push(
        "  harmless on any word: case, spacing, punctuation, & / and, apostrophes, diacritics, dotted and \
         spelled-out abbreviations, a leading The; on generic words only: plural, a one-letter typo, a trailing \
         legal form or location qualifier. Distinctive words must be the same, in the same order."
            .into(),
    );
    if hits.is_empty() {
        out.push("  no NinjaOne organization has this name; showing how it would match".into());
    }
    let mut taken = None;
    for (o, d) in &hits {
        out.push(format!(
            "  NinjaOne organization #{} value {}",
            o.id,
            o.value.as_deref().map(|v| format!("'{v}'")).unwrap_or_else(|| "(empty)".into())
        ));
        let target = d.halo.map(|i| format!(" -> '{}' (#{})", clients[i].name, clients[i].id)).unwrap_or_default();
        let tier = d.tier.map(|t| format!(" [{}]", t.name())).unwrap_or_default();
        out.push(format!("  decision: {}{target}{tier}: {}", d.status.name(), d.detail));
        taken = taken.or(d.halo);
    }
    let (candidates, index) = crate::plan::candidate_index(clients, opts.include_inactive);
    // (client, score, verdict, each word and what the rule made of it)
    let mut rows: Vec<(usize, f64, String, String)> = Vec::new();
    let words = fuzzy_words(name);
    for &k in index.exact(name) {
        let cmp = index.compare(&words, k);
        rows.push((candidates[k], 1.0, "exact: same name ignoring case and spacing".into(), cmp.words));
    }
    let mut scored: Vec<(usize, f64)> = index.candidates(&words, 5).iter().map(|sc| (sc.idx, sc.eval.score)).collect();
    if scored.is_empty() {
        scored = index.closest(name, 5);
    }
    for (k, _) in scored {
        let ci = candidates[k];
        if rows.iter().any(|r| r.0 == ci) {
            continue;
        }
        let cmp = index.compare(&words, k);
        let verdict = if opts.no_fuzzy {
            "fuzzy tier off (--no-fuzzy)".to_string()
        } else if cmp.accepted {
            format!("fuzzy: {}", cmp.reason)
        } else {
            format!("refused: {}", cmp.reason)
        };
        rows.push((ci, cmp.score, verdict, cmp.words));
    }
    out.push(format!(
        "  top Halo candidates (of {} {}clients):",
        candidates.len(),
        if opts.include_inactive { "" } else { "active " }
    ));
    if rows.is_empty() {
        out.push("    none shares a word with this name".into());
    }
    for (n, (ci, score, why, word_roles)) in rows.iter().take(5).enumerate() {
        let mark = if Some(*ci) == taken { "  <- matched" } else { "" };
        out.push(format!(
            "    {}. '{}' (#{}) score {:.2}: {why}{mark}",
            n + 1,
            clients[*ci].name,
            clients[*ci].id,
            score
        ));
        if !word_roles.is_empty() {
            out.push(format!("       words: {word_roles}"));
        }
    }
    out
}

/// A mapping CSV in the --map-file format: one row per unresolved organization, its candidates
/// in a comment above it. Each row's proposal (`proposals`: `plan::proposals`, the same the
/// summary's ID_MAP line offers) is behind a `?`, which the mapping reader skips (with a
/// warning) until a person removes it: an unreviewed suggestion never becomes a write. It
/// round-trips: a row whose `?` is deleted is read as it stands, a client is named by `#id`
/// where its name would not name it alone (an ambiguous row, a name other clients share), and
/// a row left without a client is skipped with a warning.
pub fn write_suggestions(
    path: &std::path::Path,
    decisions: &[Decision],
    proposals: &[Option<usize>],
    clients: &[(i64, String)],
) -> std::io::Result<()> {
    let mut text = String::new();
    text.push_str(&format!(
        "# ninja-halo-sync mapping suggestions, {}\n# For each row: check the Halo client, then delete the leading '?' (or put another client's\n# name or #id there); delete rows you do not want, then pass this file with --map-file\n# (MAP_FILE). The ids are also in the ID_MAP form the summary line printed (the idMap Script\n# Variable). A row left without a client is skipped.\nninja,halo,ninja_id,halo_id\n",
        crate::util::rfc3339(std::time::SystemTime::now())
    ));
    let mut shared: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (_, name) in clients {
        *shared.entry(exact_key(name)).or_default() += 1;
    }
    let mut n = 0;
    for (d, &proposal) in decisions.iter().zip(proposals) {
        if !matches!(d.status, Status::NoMatch | Status::Ambiguous) {
            continue;
        }
        n += 1;
        let cands: Vec<String> = d
            .suggestions
            .iter()
            .map(|s| format!("'{}' #{} ({:.2}: {})", clients[s.halo].1, clients[s.halo].0, s.score, s.why))
            .collect();
        text.push_str(&format!(
            "# {} (#{}, {}): {}\n",
            d.ninja_name,
            d.ninja_id,
            d.status.name(),
            if cands.is_empty() { "no candidates".to_string() } else { format!("candidates {}", cands.join(", ")) }
        ));
        let (guess, halo_id) = match proposal {
            Some(i) => {
                let (id, name) = &clients[i];
                let by_id = d.status == Status::Ambiguous || shared.get(&exact_key(name)).copied().unwrap_or(0) != 1;
                // Names starting like a formula are marked as text (the mapping reader removes the mark).
                let named = if by_id { format!("#{id}") } else { to_cell(name) };
                (format!("?{named}"), id.to_string())
            }
            None => ("?".to_string(), String::new()),
        };
        text.push_str(&format!(
            "{},{},{},{halo_id}\n",
            csv_quote(&to_cell(&d.ninja_name)),
            csv_quote(&guess),
            d.ninja_id
        ));
    }
    if n == 0 {
        text.push_str("# every organization is resolved; nothing to suggest\n");
    }
    // The comments are for a person: inert and redacted, as on the screen (the rows keep the
    // names exactly, for the mapping reader).
    let text: String = text
        .lines()
        .map(|l| if l.starts_with('#') { crate::redact::shown(l, crate::output::LINE_MAX) } else { l.to_string() } + "\n")
        .collect();
    crate::files::write_private(path, |w| std::io::Write::write_all(w, text.as_bytes()))
}
