//! Words: normalization of names, and the word lists the rules use.

use super::*;
use std::collections::HashSet;

/// The words the fuzzy tier compares for a name: `normalize`, or none for a name too long to
/// be a real one (it can still match exactly).
pub fn fuzzy_words(name: &str) -> Vec<String> {
    if name.len() > MAX_FUZZY_NAME && name.chars().count() > MAX_FUZZY_NAME {
        return Vec::new();
    }
    normalize(name)
}

/// Tier 2 key: trimmed, white space collapsed, case ignored. "ACME  Dental " = "Acme Dental".
pub fn exact_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Latin letters with diacritics to ASCII ("Müller" = "Mueller"? no: = "Muller"; "Zoë" = "Zoe").
pub(super) fn fold_char(c: char, out: &mut String) {
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
        // Case folding beyond lowercase: "ΟΔΟΣ" lowercases to "οδοσ", "Οδός" keeps its final
        // sigma; the long s and the f-ligatures of old typesetting.
        'ς' => "σ",
        'ſ' => "s",
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(s);
}

/// Legal forms, dropped from the end of a name: "Acme Inc" = "ACME, Ltd." = "Acme GmbH".
/// (Stems: words are de-pluralised before this check.)
pub(super) const LEGAL: &[&str] = &[
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
pub(super) const QUALIFIERS: &[&str] =
    &["hq", "headquarter", "main", "office", "head", "corporate", "branch", "site", "location"];

/// Words that carry no meaning for overlap: "Smith and Jones" = "Smith & Jones" = "Smith Jones".
pub(super) const STOPWORDS: &[&str] =
    &["and", "of", "the", "at", "for", "in", "on", "a", "an", "und", "et", "y", "la", "le", "der", "die", "das", "du"];

/// Abbreviations spelled out, so both spellings are one word: "St. Mary's" = "Saint Marys".
pub(super) const SYNONYMS: &[(&str, &str)] = &[
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

/// Words a name may carry on one side only and still be the same business:
/// "Hartwell Dentistry" = "Hartwell Family Dentistry", "Springfield Dental" = "Springfield
/// Dental Group". A trade word is not filler: "Smith Electric" is not "Smith Electric Supply".
pub(super) const FILLER: &[&str] = &[
    "group",
    "associate",
    "partner",
    "service",
    "solution",
    "family",
    "company",
    "companie",
    "center",
    "practice",
    "firm",
    "office",
    "studio",
    "work",
    "enterprise",
    "holding",
    "international",
    "global",
    "clinic",
    "care",
    "team",
    "professional",
    "specialist",
    "pllc",
    "llc",
    "inc",
    "ltd",
    "co",
    "corp",
];

/// Generic everywhere: the trade and place words above, filler, numbers.
pub(super) fn is_generic(w: &str) -> bool {
    GENERIC.contains(&w) || FILLER.contains(&w) || w.chars().all(|c| c.is_ascii_digit())
}

/// A word in more client names than this is generic for that tenant: it cannot identify one
/// business in it (an MSP with 40 clients named "Springfield ..." cannot fuzzily match on
/// "Springfield"). Small lists keep their words distinctive.
pub(super) fn frequent_threshold(clients: usize) -> usize {
    (clients / 100).max(20)
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
    // Repeats go first, so that stripping sees the name's real end ("St. Inc. St.").
    let mut seen = HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
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
    words
}

/// Plurals folded, then abbreviations spelled out ("Services" = "Service", "Intls" = "Intl" =
/// "International"; "glass" stays). In this order, and with every spelled-out form a fixed
/// point of both steps, the result is stable (the fuzzer found "intls" otherwise).
pub(super) fn canonical_word(w: &str) -> String {
    let w = if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") && w.chars().all(|c| c.is_ascii_alphabetic()) {
        &w[..w.len() - 1]
    } else {
        w
    };
    match SYNONYMS.iter().find(|(a, _)| *a == w) {
        Some((_, full)) => full.to_string(),
        None => w.to_string(),
    }
}
