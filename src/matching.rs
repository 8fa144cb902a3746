//! Pure name matching: normalization, the exact tier and the fuzzy tier, indexed by word.
//! No I/O. The one-to-one assignment across organizations lives in plan.rs.
//!
//! The bar is "no write to a wrong client, and as many true matches as that allows", so every
//! fuzzy rule below errs towards refusing. Each rule names the example that needs it; the
//! labelled corpus in tests/corpus.rs holds them all.

use std::collections::{HashMap, HashSet};

/// Fuzzy matches need at least this share of the larger name's words.
pub const MIN_OVERLAP: f64 = 0.60;
/// The best fuzzy candidate must beat the runner-up by this much, else `ambiguous`.
/// "Smith Dental Care Center" against "Smith Dental Care" and "Smith Dental Center" (0.75 each).
pub const MIN_MARGIN: f64 = 0.15;
/// A word matched with one typo counts this much of a shared word.
const TYPO_WEIGHT: f64 = 0.9;

/// Tier 2 key: trimmed, white space collapsed, case ignored. "ACME  Dental " = "Acme Dental".
pub fn exact_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Latin letters with diacritics to ASCII ("Müller" = "Mueller"? no: = "Muller"; "Zoë" = "Zoe").
fn fold_char(c: char, out: &mut String) {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'þ' => "th",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(s);
}

/// Legal forms, dropped from the end of a name: "Acme Inc" = "ACME, Ltd." = "Acme GmbH".
/// (Stems: words are de-pluralised before this check.)
const LEGAL: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "lc",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "companie",
    "pllc",
    "pc",
    "plc",
    "llp",
    "lp",
    "lllp",
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "ev",
    "sa",
    "sarl",
    "sas",
    "srl",
    "spa",
    "bv",
    "nv",
    "vof",
    "pty",
    "pte",
    "ab",
    "as",
    "asa",
    "oy",
    "oyj",
    "aps",
    "kft",
    "sro",
    "zrt",
    "sp",
    "zoo",
    "oo",
    "pa",
    "sc",
    "cic",
    "ulc",
    "ltda",
    "sl",
    "slu",
    "cv",
    "de",
    "rl",
];

/// Location qualifiers, dropped from the end of a name: "Acme Dental - Main Office", "Acme HQ".
const QUALIFIERS: &[&str] = &["hq", "headquarter", "main", "office", "head", "corporate", "branch", "site", "location"];

/// Words that carry no meaning for overlap: "Smith and Jones" = "Smith & Jones" = "Smith Jones".
const STOPWORDS: &[&str] =
    &["and", "of", "the", "at", "for", "in", "on", "a", "an", "und", "et", "y", "la", "le", "der", "die", "das", "du"];

/// Abbreviations spelled out, so both spellings are one word: "St. Mary's" = "Saint Marys".
const SYNONYMS: &[(&str, &str)] = &[
    ("st", "saint"),
    ("ste", "sainte"),
    ("mt", "mount"),
    ("ft", "fort"),
    ("assoc", "associate"),
    ("asso", "associate"),
    ("intl", "international"),
    ("dept", "department"),
    ("ctr", "center"),
    ("centre", "center"),
    ("svc", "service"),
    ("svcs", "service"),
    ("bros", "brother"),
    ("mfg", "manufacturing"),
    ("univ", "university"),
    ("med", "medical"),
    ("natl", "national"),
    ("twp", "township"),
    ("hosp", "hospital"),
    ("acct", "accounting"),
    ("grp", "group"),
];

/// Words that many unrelated businesses share. A fuzzy match must share at least one word that
/// is not in this list: "Springfield Dental Group" must not match "Riverside Dental Group".
pub const GENERIC: &[&str] = &[
    // trades and professions
    "dental",
    "dentistry",
    "dentist",
    "orthodontic",
    "orthodontics",
    "medical",
    "medicine",
    "clinic",
    "health",
    "healthcare",
    "care",
    "hospital",
    "pharmacy",
    "physician",
    "pediatric",
    "pediatrics",
    "family",
    "practice",
    "surgery",
    "surgical",
    "vision",
    "eye",
    "chiropractic",
    "therapy",
    "physical",
    "veterinary",
    "vet",
    "animal",
    "law",
    "legal",
    "attorney",
    "lawyer",
    "firm",
    "cpa",
    "cpas",
    "accounting",
    "accountant",
    "tax",
    "bookkeeping",
    "audit",
    "financial",
    "finance",
    "wealth",
    "investment",
    "advisor",
    "advisory",
    "bank",
    "credit",
    "union",
    "insurance",
    "agency",
    "realty",
    "real",
    "estate",
    "property",
    "propertie",
    "construction",
    "builder",
    "building",
    "contractor",
    "contracting",
    "roofing",
    "plumbing",
    "electric",
    "electrical",
    "heating",
    "cooling",
    "hvac",
    "mechanical",
    "engineering",
    "engineer",
    "architect",
    "architecture",
    "design",
    "landscaping",
    "auto",
    "automotive",
    "motor",
    "transport",
    "transportation",
    "logistic",
    "trucking",
    "freight",
    "manufacturing",
    "industrie",
    "industrial",
    "supply",
    "distribution",
    "wholesale",
    "retail",
    "store",
    "restaurant",
    "hotel",
    "marketing",
    "media",
    "consulting",
    "consultant",
    "solution",
    "service",
    "system",
    "technology",
    "tech",
    "it",
    "computer",
    "network",
    "software",
    "data",
    "digital",
    "management",
    "staffing",
    "partner",
    "associate",
    "group",
    "holding",
    "enterprise",
    "venture",
    "capital",
    "international",
    "global",
    "national",
    "american",
    "united",
    "first",
    "new",
    "north",
    "south",
    "east",
    "west",
    "central",
    "valley",
    "mountain",
    "river",
    "lake",
    "coast",
    "city",
    "county",
    "town",
    "township",
    "village",
    "borough",
    "municipality",
    "municipal",
    "district",
    "parish",
    "state",
    "public",
    "community",
    "department",
    "fire",
    "police",
    "water",
    "utility",
    "authority",
    "library",
    // schools and churches
    "school",
    "academy",
    "college",
    "university",
    "elementary",
    "middle",
    "high",
    "preschool",
    "learning",
    "education",
    "church",
    "chapel",
    "ministry",
    "ministrie",
    "fellowship",
    "temple",
    "baptist",
    "methodist",
    "lutheran",
    "catholic",
    "presbyterian",
    "episcopal",
    "christian",
    "bible",
    "faith",
    "saint",
    "holy",
    "grace",
    "trinity",
    "center",
    "foundation",
    "association",
    "society",
    "club",
    "institute",
    "home",
    "homes",
    "living",
    "senior",
];

fn is_generic(w: &str) -> bool {
    GENERIC.contains(&w) || w.chars().all(|c| c.is_ascii_digit())
}

/// Case folded, Latin diacritics to ASCII, `&`/`+` as "and", apostrophes dropped, other
/// punctuation as space. "Zoë's B&B" -> "zoes b and b".
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '’' | '‘' | '`' | '´' | 'ʼ' => {}
            '&' | '+' => out.push_str(" and "),
            c if c.is_alphanumeric() => fold_char(c, &mut out),
            '.' => out.push('.'),
            _ => out.push(' '),
        }
    }
    out
}

/// The words of a name for fuzzy comparison, in order, without repeats. Idempotent:
/// `normalize(&normalize(x).join(" ")) == normalize(x)`.
pub fn normalize(name: &str) -> Vec<String> {
    let folded = fold(name);
    let mut words: Vec<String> = Vec::new();
    for chunk in folded.split_whitespace() {
        // Dotted abbreviations collapse: "L.L.C." -> "llc", "P.C." -> "pc"; other dots split.
        let parts: Vec<&str> = chunk.split('.').filter(|p| !p.is_empty()).collect();
        if parts.len() > 1 && parts.iter().all(|p| p.chars().count() == 1) {
            words.push(parts.concat());
        } else {
            words.extend(parts.iter().map(|p| p.to_string()));
        }
    }
    let mut words: Vec<String> = words.into_iter().map(|w| canonical_word(&w)).collect();
    // Trailing legal forms and location qualifiers go, then a leading "the"; a name made only
    // of such words keeps them ("The Company" stays "the company").
    let strip = |ws: &mut Vec<String>| {
        let before = ws.clone();
        while ws.len() > 1
            && ws.last().is_some_and(|w| {
                LEGAL.contains(&w.as_str()) || QUALIFIERS.contains(&w.as_str()) || STOPWORDS.contains(&w.as_str())
            })
        {
            ws.pop();
        }
        if ws.len() > 1 && ws[0] == "the" {
            ws.remove(0);
        }
        ws.retain(|w| !STOPWORDS.contains(&w.as_str()));
        if ws.is_empty() {
            *ws = before;
        }
    };
    strip(&mut words);
    let mut seen = HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words
}

/// Abbreviations spelled out and plurals folded ("Services" = "Service"; "glass" stays).
fn canonical_word(w: &str) -> String {
    if let Some((_, full)) = SYNONYMS.iter().find(|(a, _)| *a == w) {
        return full.to_string();
    }
    if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") && w.chars().all(|c| c.is_ascii_alphabetic()) {
        return w[..w.len() - 1].to_string();
    }
    w.to_string()
}

/// One comparison of an organization's words with a client's words.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub score: f64,
    pub accepted: bool,
    /// Why it was accepted or refused, for --explain and the report.
    pub reason: String,
}

/// Words `a` and `b` are one typo apart: both at least 5 letters, same first letter,
/// one insertion, deletion, substitution or transposition ("Jonhson" = "Johnson").
fn typo_pair(a: &str, b: &str) -> bool {
    a.len() >= 5
        && b.len() >= 5
        && a.as_bytes()[0] == b.as_bytes()[0]
        && a.len().abs_diff(b.len()) <= 1
        && strsim::osa_distance(a, b) == 1
}

pub fn compare(a: &[String], b: &[String]) -> Comparison {
    let refuse = |score: f64, reason: String| Comparison { score, accepted: false, reason };
    if a.is_empty() || b.is_empty() {
        return refuse(0.0, "nothing left of the name after normalization".into());
    }
    let set_b: HashSet<&str> = b.iter().map(String::as_str).collect();
    let set_a: HashSet<&str> = a.iter().map(String::as_str).collect();
    if set_a == set_b {
        return Comparison { score: 1.0, accepted: true, reason: "same words after normalization".into() };
    }
    let exact: Vec<&str> = a.iter().map(String::as_str).filter(|w| set_b.contains(w)).collect();
    let mut rest_a: Vec<&str> = a.iter().map(String::as_str).filter(|w| !set_b.contains(w)).collect();
    let mut rest_b: Vec<&str> = b.iter().map(String::as_str).filter(|w| !set_a.contains(w)).collect();
    // At most one typo per pair: two typo'd words are a different name more often than not.
    let mut typo: Option<(&str, &str)> = None;
    'outer: for (i, wa) in rest_a.iter().enumerate() {
        for (j, wb) in rest_b.iter().enumerate() {
            if typo_pair(wa, wb) {
                typo = Some((wa, wb));
                rest_a.remove(i);
                rest_b.remove(j);
                break 'outer;
            }
        }
    }
    let shared = exact.len() as f64 + if typo.is_some() { TYPO_WEIGHT } else { 0.0 };
    let score = shared / a.len().max(b.len()) as f64;
    // "Acme" vs "Acme Dental": a single word says too little to guess from.
    if a.len() == 1 || b.len() == 1 {
        return refuse(score, "a one-word name matches fuzzily only when equal after normalization".into());
    }
    // "Smith Dental Care 2" vs "Smith Dental Care 3": numbers name different sites.
    let nums =
        |ws: &[String]| ws.iter().filter(|w| w.chars().all(|c| c.is_ascii_digit())).cloned().collect::<HashSet<_>>();
    if nums(a) != nums(b) {
        return refuse(score, "the names carry different numbers".into());
    }
    // "Smith Dental North" vs "Smith Dental South": both have a word the other lacks.
    if !rest_a.is_empty() && !rest_b.is_empty() {
        return refuse(
            score,
            format!("each name has words the other lacks ('{}' / '{}')", rest_a.join(" "), rest_b.join(" ")),
        );
    }
    // "Springfield Dental Group" vs "Riverside Dental Group": only generic words in common.
    let distinctive = exact.iter().any(|w| !is_generic(w)) || typo.is_some_and(|(w, _)| w.len() >= 6 && !is_generic(w));
    if !distinctive {
        return refuse(score, "the shared words are generic (e.g. dental, group, church)".into());
    }
    if score < MIN_OVERLAP {
        return refuse(score, format!("word overlap {:.0}% is below {:.0}%", score * 100.0, MIN_OVERLAP * 100.0));
    }
    let mut reason = format!("{:.0}% word overlap", score * 100.0);
    if let Some((x, y)) = typo {
        reason.push_str(&format!(", '{x}' read as '{y}'"));
    }
    Comparison { score, accepted: true, reason }
}

/// The deletion neighbourhood of a word (itself and every one-letter deletion): two words one
/// typo apart share at least one key (symmetric delete).
fn delete_keys(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    let mut keys = vec![w.to_string()];
    for i in 0..chars.len() {
        let k: String = chars.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| c).collect();
        keys.push(k);
    }
    keys
}

#[derive(Clone, Debug)]
pub struct Scored {
    pub idx: usize,
    pub cmp: Comparison,
}

pub enum Fuzzy {
    Match { idx: usize, score: f64, reason: String, runner_up: Option<(usize, f64)> },
    Ambiguous { best: Vec<(usize, f64)>, reason: String },
    None,
}

/// The clients' names, indexed for the exact tier and for fuzzy candidate lookup.
pub struct Index {
    pub words: Vec<Vec<String>>,
    exact: HashMap<String, Vec<usize>>,
    by_word: HashMap<String, Vec<usize>>,
    by_delete: HashMap<String, Vec<usize>>,
}

impl Index {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Index {
        let mut idx =
            Index { words: Vec::new(), exact: HashMap::new(), by_word: HashMap::new(), by_delete: HashMap::new() };
        for (i, name) in names.into_iter().enumerate() {
            idx.exact.entry(exact_key(name)).or_default().push(i);
            let words = normalize(name);
            for w in &words {
                idx.by_word.entry(w.clone()).or_default().push(i);
                if w.len() >= 5 && !is_generic(w) {
                    for k in delete_keys(w) {
                        idx.by_delete.entry(k).or_default().push(i);
                    }
                }
            }
            idx.words.push(words);
        }
        idx
    }

    pub fn exact(&self, name: &str) -> &[usize] {
        self.exact.get(&exact_key(name)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every client that could be a fuzzy match: shares a distinctive word, or a word one typo
    /// away, or (for names made only of generic words) shares all of them. Scored, best first.
    pub fn candidates(&self, words: &[String]) -> Vec<Scored> {
        let mut ids: HashSet<usize> = HashSet::new();
        let mut generic_only = true;
        for w in words {
            if is_generic(w) {
                continue;
            }
            generic_only = false;
            if let Some(p) = self.by_word.get(w) {
                ids.extend(p);
            }
            if w.len() >= 5 {
                for k in delete_keys(w) {
                    if let Some(p) = self.by_delete.get(&k) {
                        ids.extend(p);
                    }
                }
            }
        }
        if generic_only {
            // Only the "same words" case can match; intersect postings of every word.
            let mut sets = words
                .iter()
                .map(|w| self.by_word.get(w).map(|p| p.iter().copied().collect::<HashSet<_>>()).unwrap_or_default());
            if let Some(first) = sets.next() {
                ids = sets.fold(first, |acc, s| acc.intersection(&s).copied().collect());
            }
        }
        let mut scored: Vec<Scored> =
            ids.into_iter().map(|i| Scored { idx: i, cmp: compare(words, &self.words[i]) }).collect();
        scored.sort_by(|x, y| {
            y.cmp.accepted.cmp(&x.cmp.accepted).then(y.cmp.score.total_cmp(&x.cmp.score)).then(x.idx.cmp(&y.idx))
        });
        scored
    }

    /// The fuzzy tier for one name: a unique best candidate with a clear margin, or ambiguous.
    pub fn fuzzy(&self, name: &str) -> Fuzzy {
        let words = normalize(name);
        let accepted: Vec<Scored> = self.candidates(&words).into_iter().filter(|s| s.cmp.accepted).collect();
        let Some(best) = accepted.first() else { return Fuzzy::None };
        let runner_up = accepted.get(1).map(|s| (s.idx, s.cmp.score));
        if let Some((_, second)) = runner_up {
            if best.cmp.score - second < MIN_MARGIN - 1e-9 {
                let tied: Vec<(usize, f64)> = accepted
                    .iter()
                    .take_while(|s| best.cmp.score - s.cmp.score < MIN_MARGIN - 1e-9)
                    .map(|s| (s.idx, s.cmp.score))
                    .collect();
                return Fuzzy::Ambiguous {
                    reason: format!(
                        "{} Halo clients score within {:.0} points of each other",
                        tied.len(),
                        MIN_MARGIN * 100.0
                    ),
                    best: tied,
                };
            }
        }
        Fuzzy::Match { idx: best.idx, score: best.cmp.score, reason: best.cmp.reason.clone(), runner_up }
    }

    /// The closest names for a person to look at (accepted or not), best first.
    pub fn closest(&self, name: &str, n: usize) -> Vec<(usize, f64)> {
        let words = normalize(name);
        let mut out: Vec<(usize, f64)> =
            self.candidates(&words).into_iter().filter(|s| s.cmp.score > 0.0).map(|s| (s.idx, s.cmp.score)).collect();
        if out.is_empty() {
            // Nothing shares a distinctive word: fall back to generic-word overlap, bounded.
            let mut ids: HashSet<usize> = HashSet::new();
            for w in &words {
                if let Some(p) = self.by_word.get(w).filter(|p| p.len() <= 5_000) {
                    ids.extend(p);
                }
            }
            out =
                ids.into_iter().map(|i| (i, compare(&words, &self.words[i]).score)).filter(|(_, s)| *s > 0.0).collect();
            out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        out.truncate(n);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Vec<String> {
        normalize(s)
    }

    #[test]
    fn normalization_rules_with_their_examples() {
        assert_eq!(n("ACME, Inc."), vec!["acme"]);
        assert_eq!(n("Acme L.L.C."), vec!["acme"]);
        assert_eq!(n("Smith & Jones, P.C."), n("Smith and Jones PC"));
        assert_eq!(n("Zoë's Café"), vec!["zoes", "cafe"]);
        assert_eq!(n("Müller GmbH"), vec!["muller"]);
        assert_eq!(n("The Johnson Group Ltd"), vec!["johnson", "group"]);
        assert_eq!(n("St. Mary's Church"), n("Saint Marys Church"));
        assert_eq!(n("Acme Dental - Main Office"), vec!["acme", "dental"]);
        assert_eq!(n("Acme HQ"), vec!["acme"]);
        assert_eq!(n("The Company"), vec!["the", "company"]);
        assert_eq!(n("Smith Services"), n("Smith Service"));
        assert_eq!(n("Glass Works"), vec!["glass", "work"]);
    }

    #[test]
    fn comparisons_with_their_examples() {
        let c = |a: &str, b: &str| compare(&n(a), &n(b));
        assert!(c("Jonhson Controls", "Johnson Controls").accepted);
        assert!(c("Springfield Dental", "Springfield Dental Group").accepted);
        assert!(!c("Springfield Dental Group", "Riverside Dental Group").accepted);
        assert!(!c("Smith Dental North", "Smith Dental South").accepted);
        assert!(!c("Smith Dental Care 2", "Smith Dental Care 3").accepted);
        assert!(!c("Acme", "Acme Dental").accepted);
        assert!(!c("Smith Dental", "Smyth Dental").accepted);
        assert!(!c("First Baptist Church", "First Baptist Church of Springfield").accepted);
        assert!(c("Riverside Family Dentistry PLLC", "Dentistry Riverside Family").accepted);
        let low = c("Alpha Beta Gamma Delta Epsilon", "Alpha Beta");
        assert!(!low.accepted && low.reason.contains("below 60%"), "{low:?}");
    }

    #[test]
    fn index_finds_typos_and_refuses_ties() {
        let idx = Index::new(["Johnson Controls", "Smith Dental Care", "Smith Dental Center", "Acme"]);
        assert!(matches!(idx.fuzzy("Jonhson Controls Inc"), Fuzzy::Match { idx: 0, .. }));
        assert!(matches!(idx.fuzzy("Smith Dental Care Center"), Fuzzy::Ambiguous { .. }));
        assert!(matches!(idx.fuzzy("ACME, Inc."), Fuzzy::Match { idx: 3, .. }));
        assert_eq!(idx.exact("  acme "), &[3]);
    }
}
