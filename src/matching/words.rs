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

/// Latin letters with diacritics to ASCII ("Zoë" = "Zoe", "Nguyễn" = "Nguyen", "Đặng" = "Dang"),
/// but for ä, ö (ø) and ü, kept for `translit_equal` ("Müller" = "Muller" = "Mueller"): the letters with no decomposition first, then the base letter of
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
        // Kept, not folded: a German or Nordic name is written with them, without the dots
        // ("Muller") or transliterated ("Mueller"); `translit_equal` reads either as the same word.
        'ä' => "ä",
        'ö' | 'ø' => "ö",
        'ü' => "ü",
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

/// Legal forms: at the end of a name, harmless when on one side only or written another way on
/// the other ("Acme Inc" = "ACME, Incorporated" = "Acme"), never when exchanged for another
/// ("Vertex Inc" is not "Vertex AG", "Halvorsen LLP" not "Halvorsen LP": another entity, or
/// another business). Closed list; these are never ordinary words of a business name.
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
    "gesmbh",
    "mbh",
    "ohg",
    "kgaa",
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

/// Legal forms that are also ordinary words or places somewhere ("Spa", "Zoo", "AS", "Scoop"):
/// a legal form only when written as one, dotted, in capitals or with a capital inside ("S.p.A.",
/// "SPA", "AG", "e.K.", "eV", "S.Coop."). "Hotel Bellevue Spa" keeps its "spa"; "Lincoln Park
/// Zoo" its "zoo".
pub(super) const LEGAL_MARKED: &[&str] = &[
    "ag", "kg", "ev", "ek", "sa", "spa", "sc", "sp", "pa", "as", "ab", "cv", "sl", "rl", "oo", "se", "ks", "ps", "ad",
    "dd", "scoop", "scom",
];

/// Two spellings of one legal form: the second is how both are compared.
pub(super) const LEGAL_SAME: &[(&str, &str)] = &[
    ("incorporated", "inc"),
    ("limited", "ltd"),
    ("corporation", "corp"),
    ("company", "co"),
    ("lc", "llc"),
    ("gesmbh", "gmbh"),
];

/// Legal forms that are also a region's or a direction's code ("Acme Plumbing SE" is its
/// south-east office, "Reno Plumbing NV" a place): a legal form only where written as one, dotted
/// ("S.E.", "N.V."), beside another legal form ("SE & Co. KGaA", "S.A. de C.V.", "GmbH & CO"), or,
/// for "Co", not in capitals in a name that has small letters ("Smith & Co").
pub(super) const REGION_LIKE: &[&str] = &["co", "nv", "sa", "sc", "pa", "ks", "ab", "se"];

/// Words that join two legal forms ("GmbH & Co. KG", "S.A. de C.V.", "Sp. z o.o."): dropped
/// with them, and only there.
pub(super) const LEGAL_JOINERS: &[&str] = &["and", "und", "de", "z"];

/// Location qualifiers that name the main site: harmless as a trailing part of the name that
/// names the main site ("Acme Dental - Main Office", "Acme Dental (HQ)", "Acme Dental,
/// Corporate"), or written without a separator as "HQ", "Headquarters", "Head Office", "Main
/// Office", "Main Campus", "Corporate Office". A qualifier naming another site is distinctive:
/// "Penrose Dental - Branch Office" is not "Penrose Dental", "Acme - North Campus" not "Acme"; nor
/// does "Office" or "Campus" alone name the main site.
pub(super) const QUALIFIERS: &[&str] =
    &["hq", "headquarter", "headquarters", "main", "head", "corporate", "office", "campus"];
/// The words that make a part of qualifiers name the main site.
const MAIN_SITE: &[&str] = &["hq", "headquarter", "headquarters", "main", "head", "corporate"];
/// Written without a separator: these endings only, the longest first.
const MAIN_SITE_ENDINGS: &[&[&str]] = &[
    &["head", "office"],
    &["main", "office"],
    &["main", "campus"],
    &["corporate", "office"],
    &["corporate", "hq"],
    &["corporate", "headquarters"],
    &["hq"],
    &["headquarter"],
    &["headquarters"],
];
/// The mark `normalize` leaves where a main-site qualifier went (see `Marks`).
pub const MAIN_SITE_MARK: &str = "#hq";

/// Abbreviations spelled out, harmless on any word: "St. Mary's" = "Saint Marys",
/// "Acme Intl" = "Acme International". Closed table.
pub(super) const SYNONYMS: &[(&str, &str)] = &[
    ("st", "saint"),
    ("ste", "sainte"),
    ("mt", "mount"),
    ("ft", "fort"),
    ("dr", "doctor"),
    ("prof", "professor"),
    ("hwy", "highway"),
    ("assoc", "associate"),
    ("asso", "associate"),
    ("assn", "association"),
    ("intl", "international"),
    ("dept", "department"),
    ("ctr", "center"),
    ("centre", "center"),
    ("svc", "service"),
    ("svcs", "service"),
    ("bros", "brother"),
    ("et", "and"),
    ("und", "and"),
    ("hnos", "hermanos"),
    ("mfg", "manufacturing"),
    ("mgmt", "management"),
    ("univ", "university"),
    ("med", "medical"),
    ("natl", "national"),
    ("twp", "township"),
    ("hosp", "hospital"),
    ("acct", "accounting"),
    ("grp", "group"),
];

/// The generic words whose plural names the same trade: "Acme Services" = "Acme Service",
/// "Smith & Sons" = "Smith & Son". Closed: any other plural is another word, because a plural
/// can name another trade ("Summit Securities" is a broker, "Summit Security" an alarm company;
/// "Heritage Homes" a builder, "Heritage Home" a care home) or another kind of body ("Acme
/// Schools", "Waters", "Trusts", "Funds", "Estates", "Works", "Hotels").
pub const PLURAL_SAME: &[&str] = &[
    "service",
    "solution",
    "system",
    "associate",
    "partner",
    "builder",
    "contractor",
    "consultant",
    "architect",
    "engineer",
    "accountant",
    "attorney",
    "lawyer",
    "solicitor",
    "advisor",
    "adviser",
    "specialist",
    "professional",
    "brother",
    "son",
    "enterprise",
    "venture",
    "holding",
    "investment",
    "property",
    "clinic",
    "dentist",
    "physician",
    "pharmacy",
    "store",
    "restaurant",
    "bakery",
    "brewery",
    "cpa",
    "technology",
    "industry",
    "supply",
    "agency",
    "ministry",
    "rental",
    "repair",
    "design",
    "studio",
    "center",
    "utility",
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
    "hermanos",
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

/// Case folded, Latin diacritics to ASCII, `&`/`+` as "and", apostrophes dropped but for a
/// possessive's ("Zoë's" -> "zoe's", read as "zoes" or "zoe" by `translit_equal`), other
/// punctuation as space. "Zoë's B&B" -> "zoe's b and b".
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let chars: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\'' | '’' | '‘' | '`' | '´' | 'ʼ' => {
                let possessive = chars.get(i + 1) == Some(&'s')
                    && chars.get(i + 2).is_none_or(|n| !n.is_alphanumeric())
                    && i > 0
                    && chars[i - 1].is_alphanumeric();
                if possessive {
                    out.push('\'');
                }
            }
            '&' | '+' => out.push_str(" and "),
            // A diaeresis written decomposed ("Mu\u{308}ller") makes the letter it follows one of
            // the kept ones, as the precomposed letter is.
            '\u{308}' if out.ends_with(['a', 'o', 'u']) => {
                let base = out.pop();
                out.push(match base {
                    Some('a') => 'ä',
                    Some('o') => 'ö',
                    _ => 'ü',
                });
            }
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

/// One word of a name as written: its folded text, and how it was written.
struct Raw {
    text: String,
    /// Written as an abbreviation: dotted ("S.p.A.", "Co."), in capitals ("SPA", "AG") or with a
    /// capital inside ("eV", "KGaA").
    marked: bool,
    dotted: bool,
    /// A capital and then small letters ("Co", not "CO", "co" or "Co."): how "Co" is written as a
    /// legal form, and not a region's code.
    title: bool,
}

/// A legal form's canonical spelling (`LEGAL_SAME`), if `w` is one as written (`LEGAL`, or
/// `LEGAL_MARKED` written as an abbreviation). Where it stands is `strip_harmless_end`'s question.
fn legal_form(w: &Raw) -> Option<&'static str> {
    let t = w.text.as_str();
    let form = LEGAL.iter().chain(LEGAL_MARKED.iter().filter(|_| w.marked)).find(|f| **f == t)?;
    Some(LEGAL_SAME.iter().find(|(a, _)| a == form).map_or(*form, |(_, b)| *b))
}

/// A word known as a legal form in any spelling: what a legal mark ("#gmbh+co+kg") may hold.
fn is_legal_word(t: &str) -> bool {
    LEGAL.contains(&t) || LEGAL_MARKED.contains(&t)
}

/// The marks a normalized name ends with: "#" and its legal forms joined by "+" ("#gmbh+co+kg"),
/// then `MAIN_SITE_MARK` where a main-site qualifier went. Written so that normalizing a
/// normalized name gives it back.
fn mark_of(text: &str) -> Option<&str> {
    let body = text.strip_prefix('#')?;
    let is_mark = text == MAIN_SITE_MARK || (!body.is_empty() && body.split('+').all(is_legal_word));
    is_mark.then_some(body)
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
        let inner_capital = letters.iter().skip(1).any(|c| c.is_uppercase());
        let dotted = word.contains('.');
        let folded = fold(word);
        // Dotted abbreviations collapse: "L.L.C." -> "llc", "S.p.A." -> "spa", "S.Coop." ->
        // "scoop" (a legal form); other dots split.
        let pieces: Vec<&str> = folded.split(['.', ' ']).filter(|p| !p.is_empty()).collect();
        let marked = upper || dotted || inner_capital;
        let title =
            letters.first().is_some_and(|c| c.is_uppercase()) && !inner_capital && letters.len() >= 2 && !dotted;
        let last = out.last_mut().map(|p| &mut p.1);
        if let Some(words) = last {
            let joined = pieces.concat();
            if pieces.len() > 1 && (pieces.iter().all(|p| p.chars().count() == 1) || is_legal_word(&joined)) {
                words.push(Raw { text: joined, marked: true, dotted: true, title: false });
            } else {
                for p in pieces {
                    words.push(Raw { text: p.to_string(), marked, dotted, title });
                }
            }
        }
        word.clear();
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let spaced_dash = matches!(c, '-' | '–' | '—')
            && chars.get(i.wrapping_sub(1)).is_none_or(|p| p.is_whitespace())
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if c == '#' && word.is_empty() {
            // A mark left by an earlier normalization ("#llc", "#hq"): kept whole.
            let end = (i + 1..chars.len()).find(|&j| !(chars[j].is_ascii_lowercase() || chars[j] == '+'));
            let text: String = chars[i..end.unwrap_or(chars.len())].iter().collect();
            if mark_of(&text).is_some() {
                if let Some(p) = out.last_mut() {
                    p.1.push(Raw { text, marked: false, dotted: false, title: false });
                }
                i = end.unwrap_or(chars.len());
                continue;
            }
        }
        if matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '|' | '/') || spaced_dash {
            flush(&mut word, &mut out);
            out.push((c == ',', Vec::new()));
        } else if c == '&' || c == '+' {
            flush(&mut word, &mut out);
            if let Some(p) = out.last_mut() {
                p.1.push(Raw { text: "and".into(), marked: false, dotted: false, title: false });
            }
        } else if c.is_whitespace() || !(c.is_alphanumeric() || c == '.' || is_combining(c) || "'’‘`´ʼ".contains(c))
        {
            flush(&mut word, &mut out);
        } else {
            word.push(c);
        }
        i += 1;
    }
    flush(&mut word, &mut out);
    out.retain(|p| !p.1.is_empty());
    for p in &mut out {
        for w in p.1.iter_mut().filter(|w| !w.text.starts_with('#')) {
            w.text = canonical_word(&w.text);
        }
    }
    out
}

/// What `strip_harmless_end` took off a name's end: its legal forms in order (canonical
/// spellings, joiners left out) and whether a main-site qualifier went.
#[derive(Default)]
struct Stripped {
    legal: Vec<&'static str>,
    main_site: bool,
}

/// The legal form the last of `words` is, where it stands (`REGION_LIKE`): `joined` is whether
/// it stands before a joiner and a legal form ("SA de CV", "SE & Co. KGaA").
fn legal_at_end(words: &[Raw], joined: bool) -> Option<&'static str> {
    let w = words.last()?;
    let form = legal_form(w)?;
    if !REGION_LIKE.contains(&w.text.as_str()) || w.dotted || joined || (w.text == "co" && w.title) {
        return Some(form);
    }
    // Beside a legal form before it: "GmbH CO", "GmbH & CO".
    let n = words.len();
    let plain = |r: &Raw| legal_form(r).is_some() && !REGION_LIKE.contains(&r.text.as_str());
    let beside = (n >= 2 && plain(&words[n - 2]))
        || (n >= 3 && LEGAL_JOINERS.contains(&words[n - 2].text.as_str()) && plain(&words[n - 3]));
    beside.then_some(form)
}

/// Drops the harmless end of a name and says what went: trailing legal forms (with the words
/// that join them: "GmbH & Co. KG", "Sp. z o.o."), trailing parts of qualifiers that name the
/// main site ("- Main Office", "(HQ)"), the main-site endings written without a separator ("HQ",
/// "Head Office"), and the marks of an earlier normalization. Never the whole name.
fn strip_harmless_end(parts: &mut Vec<(bool, Vec<Raw>)>) -> Stripped {
    let mut stripped = Stripped::default();
    let total = |ps: &Vec<(bool, Vec<Raw>)>| ps.iter().map(|p| p.1.len()).sum::<usize>();
    // Whether the last step took a legal form: a joiner or a region-like form before it joins it.
    let mut after_legal = false;
    loop {
        let before = total(parts);
        let last_is =
            |ps: &Vec<(bool, Vec<Raw>)>, f: &dyn Fn(&Raw) -> bool| ps.last().and_then(|p| p.1.last()).is_some_and(f);
        // A trailing part of qualifiers naming the main site, when another part comes before it.
        if parts.len() > 1
            && parts.last().is_some_and(|p| {
                p.1.iter().all(|w| QUALIFIERS.contains(&w.text.as_str()))
                    && p.1.iter().any(|w| MAIN_SITE.contains(&w.text.as_str()))
            })
        {
            parts.pop();
            stripped.main_site = true;
            after_legal = false;
            continue;
        }
        // A mark of an earlier normalization.
        if last_is(parts, &|w| mark_of(&w.text).is_some()) {
            let w = parts.last_mut().and_then(|p| p.1.pop()).expect("a last word");
            if w.text == MAIN_SITE_MARK {
                stripped.main_site = true;
            } else {
                let forms = mark_of(&w.text).unwrap_or("").split('+');
                let forms: Vec<&'static str> =
                    forms.filter_map(|f| LEGAL.iter().chain(LEGAL_MARKED).find(|l| **l == f).copied()).collect();
                stripped.legal.splice(0..0, forms);
                after_legal = true;
            }
            parts.retain(|p| !p.1.is_empty());
            continue;
        }
        // Words that may go: never the last one that is not a leading "the".
        let first_is_the = parts.first().and_then(|p| p.1.first()).is_some_and(|w| w.text == "the");
        let n = total(parts) - usize::from(first_is_the);
        let Some(last) = parts.last_mut() else { break };
        let words = &mut last.1;
        let texts = |k: usize| words[words.len() - k..].iter().map(|w| w.text.as_str()).collect::<Vec<_>>();
        let ending = MAIN_SITE_ENDINGS.iter().find(|e| words.len() >= e.len() && texts(e.len()) == **e);
        if let Some(e) = ending.filter(|e| n > e.len()) {
            words.truncate(words.len() - e.len());
            stripped.main_site = true;
            after_legal = false;
        } else if let Some(form) = legal_at_end(words, false).filter(|_| n > 1) {
            words.pop();
            stripped.legal.insert(0, form);
            after_legal = true;
        } else if after_legal
            && n > 2
            && words.last().is_some_and(|w| LEGAL_JOINERS.contains(&w.text.as_str()))
            && legal_at_end(&words[..words.len() - 1], true).is_some()
        {
            words.pop();
            let form = legal_at_end(words, true).expect("checked");
            words.pop();
            stripped.legal.insert(0, form);
        }
        if words.is_empty() {
            parts.pop();
        }
        if total(parts) == before {
            break;
        }
    }
    stripped.legal.dedup();
    stripped
}

/// The words of a name for fuzzy comparison, in order, repeats kept: folded as `fold` does,
/// plurals and spelled-out abbreviations made one form (`canonical_word`), the harmless end
/// dropped (`strip_harmless_end`) and a leading "the". Where the name is two parts joined by one
/// comma ("Madrid, Ayuntamiento de"), a "," word marks the join, so that the rules can also read
/// it inverted ("Ayuntamiento de Madrid"). What the harmless end held is kept as marks after the
/// words ("#llc", "#gmbh+co+kg", `MAIN_SITE_MARK`): a legal form may be on one side only, never
/// exchanged for another. Idempotent: `normalize(&normalize(x).join(" ")) == normalize(x)`.
pub fn normalize(name: &str) -> Vec<String> {
    let mut ps = parts(name);
    let stripped = strip_harmless_end(&mut ps);
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
    if !stripped.legal.is_empty() {
        words.push(format!("#{}", stripped.legal.join("+")));
    }
    if stripped.main_site {
        words.push(MAIN_SITE_MARK.to_string());
    }
    words
}

/// A mark `normalize` leaves after a name's words (a legal form, a main-site qualifier).
pub fn is_mark(w: &str) -> bool {
    w.starts_with('#')
}

/// A legal mark ("#llc"), as opposed to `MAIN_SITE_MARK`.
pub(super) fn is_legal_mark(w: &str) -> bool {
    is_mark(w) && w != MAIN_SITE_MARK
}

/// The words without the comma mark and the marks, and (when the name has one) the words read
/// inverted: "madrid , ayuntamiento de" -> (madrid ayuntamiento de, ayuntamiento de madrid).
pub fn readings(words: &[String]) -> (Vec<&str>, Option<Vec<&str>>) {
    let words: Vec<&str> = words.iter().map(String::as_str).filter(|w| !is_mark(w)).collect();
    let plain: Vec<&str> = words.iter().copied().filter(|w| *w != ",").collect();
    let inverted = words
        .iter()
        .position(|w| *w == ",")
        .map(|i| words[i + 1..].iter().chain(&words[..i]).copied().collect::<Vec<_>>());
    (plain, inverted)
}

/// Two words read as one though spelled apart: a word written with ä, ö (ø) or ü and the same
/// word written without the dots or transliterated ("müller" = "muller" = "mueller",
/// "ødegaard" = "odegaard" = "oedegaard"); a possessive and the word with its "s" or without
/// ("jude's" = "judes" = "jude"). Not two words without them: "Muller" and "Mueller" are two
/// families as often as one, "Daniels" and "Daniel" two people.
pub fn translit_equal(a: &str, b: &str) -> bool {
    let kept = |w: &str| w.contains(KEPT);
    let (with, without) = match (kept(a), kept(b)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return false,
    };
    translit_forms(with).iter().any(|f| f == without)
}

/// What a word keeps from how it was written, for `translit_equal`: ä, ö (ø), ü and a
/// possessive's apostrophe.
pub(super) const KEPT: [char; 4] = ['ä', 'ö', 'ü', '\''];

/// The two other spellings of a word written with `KEPT` letters: the letters plain and the
/// possessive's "s" kept ("müller" -> "muller", "jude's" -> "judes"), and transliterated with the
/// possessive dropped ("müller" -> "mueller", "jude's" -> "jude").
pub(super) fn translit_forms(w: &str) -> [String; 2] {
    let plain = w.replace('ä', "a").replace('ö', "o").replace('ü', "u").replace('\'', "");
    let digraph = w.replace('ä', "ae").replace('ö', "oe").replace('ü', "ue").replace("'s", "");
    [plain, digraph]
}

/// Plurals folded where they name the same trade ("Services" = "Service", "Companies"
/// = "Company", `PLURAL_SAME`), then abbreviations spelled out ("Intls" = "Intl" =
/// "International"). "Daniels" is not "Daniel", "Securities" not "Security".
pub(super) fn canonical_word(w: &str) -> String {
    let expands = |s: &str| SYNONYMS.iter().find(|(a, _)| *a == s).map(|(_, full)| *full);
    let singular = [w.strip_suffix("ies").map(|s| format!("{s}y")), w.strip_suffix('s').map(str::to_string)]
        .into_iter()
        .flatten()
        .find(|s| PLURAL_SAME.contains(&s.as_str()) || expands(s).is_some_and(|full| PLURAL_SAME.contains(&full)));
    let w = match singular {
        Some(s) if !is_generic(w) && w.len() > 3 => s,
        _ => w.to_string(),
    };
    match expands(&w) {
        Some(full) => full.to_string(),
        None => w,
    }
}
