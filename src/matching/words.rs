//! Words: normalization of names, and the word lists the rules use.

use super::*;

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

/// Latin letters with diacritics to ASCII ("Müller" = "Muller", "Zoë" = "Zoe", "Nguyễn" =
/// "Nguyen", "Đặng" = "Dang"): the letters with no decomposition first, then the base letter of
/// every precomposed letter of Latin-1, Latin Extended-A/B and Latin Extended Additional (made
/// from Unicode's decompositions; see `LATIN_BASES`). Other scripts keep their letters: a
/// Cyrillic or Greek name is compared by its characters.
pub(super) fn fold_char(c: char, out: &mut String) {
    let special = match c {
        'æ' => "ae",
        'œ' => "oe",
        'ß' => "ss",
        'þ' => "th",
        'ĳ' => "ij",
        'đ' | 'ð' => "d",
        'ł' | 'ŀ' => "l",
        'ø' => "o",
        'ħ' => "h",
        'ŧ' => "t",
        'ı' => "i",
        'ĸ' => "k",
        // Case folding beyond lowercase: "ΟΔΟΣ" lowercases to "οδοσ", "Οδός" keeps its final
        // sigma; the long s and the f-ligatures of old typesetting.
        'ς' => "σ",
        'ſ' => "s",
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        _ => "",
    };
    if !special.is_empty() {
        out.push_str(special);
        return;
    }
    let base = LATIN_BASES.iter().find_map(|(first, bases)| {
        let i = (c as u32).checked_sub(*first)? as usize;
        bases.as_bytes().get(i).copied().filter(|b| *b != b'.')
    });
    match base {
        Some(b) => out.push(b as char),
        None => out.push(c),
    }
}

/// For each range of precomposed Latin letters, from its first code point: the ASCII base letter
/// of each (lower case; '.' where there is none), as Unicode's NFKD decomposition gives it
/// (generated with Python's unicodedata).
const LATIN_BASES: &[(u32, &str)] = &[
    (
        0xC0,
        "aaaaaa.ceeeeiiii.nooooo..uuuuy..aaaaaa.ceeeeiiii.nooooo..uuuuy.yaaaaaaccccccccdd..eeeeeeeeeegggggggghh..iiiiiiiii...jjkk.llllll....nnnnnn...oooooo..rrrrrrsssssssstttt..uuuuuuuuuuuuwwyyyzzzzzzs................................oo.............uu............................aaiioouuuuuuuuuu.aaaa....ggkkoooo..j...gg..nnaa....aaaaeeeeiiiioooorrrruuuusstt..hh......aaeeooooooooyy............................",
    ),
    (
        0x1E00,
        "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwy.s....aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy......",
    ),
];

/// Legal forms: harmless at the end of a name, present, absent or changed ("Acme Inc" = "ACME,
/// Ltd." = "Acme GmbH"). Closed list; these are never ordinary words of a business name.
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
    "pllc",
    "pc",
    "plc",
    "llp",
    "lp",
    "lllp",
    "gmbh",
    "mbh",
    "ohg",
    "ug",
    "sarl",
    "sas",
    "srl",
    "bv",
    "nv",
    "vof",
    "pty",
    "pte",
    "asa",
    "oy",
    "oyj",
    "aps",
    "kft",
    "sro",
    "zrt",
    "cic",
    "ulc",
    "ltda",
    "slu",
    "bvba",
    "sprl",
    "kk",
    "bhd",
    "sdn",
];

/// Legal forms that are also ordinary words or places somewhere ("Spa", "Zoo", "AS", "PA"):
/// a legal form only when written as one, dotted or in capitals ("S.p.A.", "SPA", "AG", "A.S.").
/// "Hotel Bellevue Spa" keeps its "spa"; "Lincoln Park Zoo" its "zoo".
pub(super) const LEGAL_MARKED: &[&str] = &[
    "ag", "kg", "ev", "sa", "spa", "sc", "sp", "pa", "as", "ab", "cv", "sl", "rl", "oo", "se", "ks", "ps", "ad", "dd",
];

/// Words that join two legal forms ("GmbH & Co. KG", "S.A. de C.V.", "Sp. z o.o."): dropped
/// with them, and only there.
pub(super) const LEGAL_JOINERS: &[&str] = &["and", "de", "z"];

/// Location qualifiers: harmless as a separate trailing part ("Acme Dental - Main Office",
/// "Acme Dental (HQ)", "Acme Dental, Corporate"). Without a separator only the unambiguous
/// ones are: "Acme HQ", "Acme Headquarters"; "Kessler Logistics Site" keeps its "site".
pub(super) const QUALIFIERS: &[&str] = &[
    "hq",
    "headquarter",
    "headquarters",
    "main",
    "office",
    "head",
    "corporate",
    "branch",
    "site",
    "location",
    "campus",
];
pub(super) const QUALIFIERS_ALONE: &[&str] = &["hq", "headquarter", "headquarters"];

/// Abbreviations spelled out, harmless on any word: "St. Mary's" = "Saint Marys",
/// "Acme Intl" = "Acme International". Closed table.
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

/// The generic vocabulary of business names: trade, organisation and legal words, in the
/// singular, and the small words that join them. Closed and documented: a word here may differ
/// between two names of one business only as a plural ("Service"/"Services", folded when the
/// name is read) or a one-letter typo ("Dentl"/"Dental"). Every other word is distinctive (a
/// surname, a place, a brand: an open vocabulary no list covers) and must be the same on both
/// sides. Places, directions, ordinals and adjectives are deliberately not here: "North",
/// "Lake", "First" tell businesses apart.
pub const GENERIC: &[&str] = &[
    // health
    "dental",
    "dentistry",
    "dentist",
    "orthodontic",
    "orthodontics",
    "endodontics",
    "periodontics",
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
    "practice",
    "surgery",
    "surgical",
    "vision",
    "optometry",
    "optical",
    "chiropractic",
    "therapy",
    "physical",
    "rehabilitation",
    "veterinary",
    "animal",
    "urgent",
    "family",
    // law and money
    "law",
    "legal",
    "attorney",
    "lawyer",
    "solicitor",
    "firm",
    "cpa",
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
    "adviser",
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
    "mortgage",
    "title",
    // building and making
    "construction",
    "builder",
    "building",
    "contractor",
    "contracting",
    "roofing",
    "siding",
    "plumbing",
    "electric",
    "electrical",
    "heating",
    "cooling",
    "air",
    "hvac",
    "mechanical",
    "engineering",
    "engineer",
    "architect",
    "architecture",
    "design",
    "landscaping",
    "lawn",
    "painting",
    "flooring",
    "remodeling",
    "restoration",
    "repair",
    "cleaning",
    "janitorial",
    "pest",
    "control",
    "auto",
    "automotive",
    "motor",
    "collision",
    "transport",
    "transportation",
    "logistics",
    "trucking",
    "freight",
    "manufacturing",
    "industry",
    "industrial",
    "supply",
    "distribution",
    "wholesale",
    "retail",
    "store",
    "restaurant",
    "hotel",
    "bakery",
    "brewing",
    "brewery",
    "catering",
    "marketing",
    "media",
    "printing",
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
    "security",
    "storage",
    "rental",
    "equipment",
    // organisation
    "partner",
    "associate",
    "group",
    "holding",
    "enterprise",
    "venture",
    "capital",
    "international",
    "company",
    "center",
    "office",
    "studio",
    "work",
    "team",
    "professional",
    "specialist",
    "brother",
    "son",
    "department",
    "foundation",
    "association",
    "society",
    "club",
    "institute",
    "trust",
    "fund",
    "council",
    "committee",
    "cooperative",
    "coop",
    "alliance",
    "federation",
    "board",
    "community",
    // public bodies, schools, churches (the kind, not the name)
    "municipality",
    "municipal",
    "district",
    "parish",
    "authority",
    "utility",
    "library",
    "fire",
    "police",
    "water",
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
    "montessori",
    "church",
    "chapel",
    "ministry",
    "fellowship",
    "temple",
    "mosque",
    "synagogue",
    "home",
    "living",
    "senior",
    // the small words that join them
    "and",
    "of",
    "the",
    "in",
    "on",
    "at",
    "for",
    "by",
    "a",
    "an",
    "de",
    "la",
    "le",
    "du",
    "des",
    "der",
    "die",
    "das",
    "und",
    "et",
    "y",
    "van",
    "von",
];

/// A word of the generic vocabulary (`GENERIC`).
pub(super) fn is_generic(w: &str) -> bool {
    GENERIC.contains(&w)
}

/// A word in more client names than this is frequent in that tenant: its list of clients is too
/// long to narrow the search for candidates (it grants no leniency). Small lists keep every word.
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
            c if is_combining(c) => {}
            c if c.is_alphanumeric() => fold_char(c, &mut out),
            '.' => out.push('.'),
            _ => out.push(' '),
        }
    }
    out
}

/// Combining diacritical marks (U+0300-U+036F, U+1AB0-U+1AFF, U+1DC0-U+1DFF): what is left of
/// a letter's accent when it is written decomposed, or by lower-casing "İ" ("i" + U+0307).
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}')
}

/// One word of a name as written: its folded text, and whether it was written as an
/// abbreviation (dotted, "S.p.A.", "Co.") or in capitals ("SPA", "AG").
struct Raw {
    text: String,
    marked: bool,
}

/// A name cut into parts at its separators (",", ";", "(", ")", "[", "]", "|", "/", and a dash
/// between spaces), each part its words; whether each part began at a comma.
fn parts(name: &str) -> Vec<(bool, Vec<Raw>)> {
    let mut out: Vec<(bool, Vec<Raw>)> = vec![(false, Vec::new())];
    let chars: Vec<char> = name.chars().collect();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<(bool, Vec<Raw>)>| {
        if word.is_empty() {
            return;
        }
        let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
        let upper = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
        let dotted = word.contains('.');
        let folded = fold(word);
        // Dotted abbreviations collapse: "L.L.C." -> "llc", "S.p.A." -> "spa"; other dots split.
        let pieces: Vec<&str> = folded.split(['.', ' ']).filter(|p| !p.is_empty()).collect();
        let last = out.last_mut().map(|p| &mut p.1);
        if let Some(words) = last {
            if pieces.len() > 1 && pieces.iter().all(|p| p.chars().count() == 1) {
                words.push(Raw { text: pieces.concat(), marked: true });
            } else {
                for p in pieces {
                    words.push(Raw { text: p.to_string(), marked: upper || dotted });
                }
            }
        }
        word.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        let spaced_dash = matches!(c, '-' | '–' | '—')
            && chars.get(i.wrapping_sub(1)).is_none_or(|p| p.is_whitespace())
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '|' | '/') || spaced_dash {
            flush(&mut word, &mut out);
            out.push((c == ',', Vec::new()));
        } else if c == '&' || c == '+' {
            flush(&mut word, &mut out);
            if let Some(p) = out.last_mut() {
                p.1.push(Raw { text: "and".into(), marked: false });
            }
        } else if c.is_whitespace() || !(c.is_alphanumeric() || c == '.' || is_combining(c) || "'’‘`´ʼ".contains(c))
        {
            flush(&mut word, &mut out);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.retain(|p| !p.1.is_empty());
    for p in &mut out {
        for w in &mut p.1 {
            w.text = canonical_word(&w.text);
        }
    }
    out
}

fn is_legal(w: &Raw) -> bool {
    LEGAL.contains(&w.text.as_str()) || (w.marked && LEGAL_MARKED.contains(&w.text.as_str()))
}

/// Drops the harmless end of a name: trailing legal forms (with the words that join them:
/// "GmbH & Co. KG", "Sp. z o.o.") and trailing parts that are only location qualifiers
/// ("- Main Office", "(HQ)"), and "HQ"/"Headquarters" written without a separator. Never the
/// whole name.
fn strip_harmless_end(parts: &mut Vec<(bool, Vec<Raw>)>) {
    let total = |ps: &Vec<(bool, Vec<Raw>)>| ps.iter().map(|p| p.1.len()).sum::<usize>();
    loop {
        let before = total(parts);
        // A trailing part of qualifiers only, when another part comes before it.
        if parts.len() > 1 && parts.last().is_some_and(|p| p.1.iter().all(|w| QUALIFIERS.contains(&w.text.as_str()))) {
            parts.pop();
            continue;
        }
        // Words that may go: never the last one that is not a leading "the".
        let first_is_the = parts.first().and_then(|p| p.1.first()).is_some_and(|w| w.text == "the");
        let n = total(parts) - usize::from(first_is_the);
        let Some(last) = parts.last_mut() else { return };
        let words = &mut last.1;
        let legal_end = words.last().is_some_and(is_legal);
        let joined_legal = words.len() >= 2
            && words.last().is_some_and(|w| LEGAL_JOINERS.contains(&w.text.as_str()))
            && is_legal(&words[words.len() - 2]);
        let alone = words.last().is_some_and(|w| QUALIFIERS_ALONE.contains(&w.text.as_str()));
        if n > 1 && (legal_end || alone) {
            words.pop();
        } else if n > 2 && joined_legal {
            words.pop();
            words.pop();
        }
        if words.is_empty() {
            parts.pop();
        }
        if total(parts) == before {
            return;
        }
    }
}

/// The words of a name for fuzzy comparison, in order, repeats kept: folded as `fold` does,
/// plurals of generic words and spelled-out abbreviations made one form (`canonical_word`), the
/// harmless end dropped (`strip_harmless_end`) and a leading "the". Where the name is two
/// parts joined by one comma ("Madrid, Ayuntamiento de"), a "," word marks the join, so that
/// the rules can also read it inverted ("Ayuntamiento de Madrid"). Idempotent:
/// `normalize(&normalize(x).join(" ")) == normalize(x)`.
pub fn normalize(name: &str) -> Vec<String> {
    let mut ps = parts(name);
    strip_harmless_end(&mut ps);
    if ps.first().is_some_and(|p| p.1.len() > 1 && p.1[0].text == "the")
        || (ps.len() > 1 && ps.first().is_some_and(|p| p.1.len() == 1 && p.1[0].text == "the"))
    {
        ps[0].1.remove(0);
        ps.retain(|p| !p.1.is_empty());
    }
    let invertible = ps.len() == 2 && ps[1].0;
    let mut words = Vec::new();
    for (k, p) in ps.into_iter().enumerate() {
        if k == 1 && invertible {
            words.push(",".to_string());
        }
        words.extend(p.1.into_iter().map(|w| w.text));
    }
    words
}

/// The words without the comma mark, and (when the name has one) the words read inverted:
/// "madrid , ayuntamiento de" -> (madrid ayuntamiento de, ayuntamiento de madrid).
pub fn readings(words: &[String]) -> (Vec<&str>, Option<Vec<&str>>) {
    let plain: Vec<&str> = words.iter().map(String::as_str).filter(|w| *w != ",").collect();
    let inverted = words
        .iter()
        .position(|w| w == ",")
        .map(|i| words[i + 1..].iter().chain(&words[..i]).map(String::as_str).collect::<Vec<_>>());
    (plain, inverted)
}

/// Plurals of generic words folded ("Services" = "Service", "Companies" = "Company"), then
/// abbreviations spelled out ("Intls" = "Intl" = "International"). A plural is folded only
/// where the singular is a generic word: "Daniels" is not "Daniel", "Mulders" not "Mulder".
pub(super) fn canonical_word(w: &str) -> String {
    let singular = [w.strip_suffix("ies").map(|s| format!("{s}y")), w.strip_suffix('s').map(str::to_string)]
        .into_iter()
        .flatten()
        .find(|s| is_generic(s) || SYNONYMS.iter().any(|(a, _)| a == s));
    let w = match singular {
        Some(s) if !is_generic(w) && w.len() > 3 => s,
        _ => w.to_string(),
    };
    match SYNONYMS.iter().find(|(a, _)| *a == w) {
        Some((_, full)) => full.to_string(),
        None => w,
    }
}
