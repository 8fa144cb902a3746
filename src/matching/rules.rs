//! The fuzzy rule on two names' words: every difference must be one the allow-list calls
//! harmless (see `mod.rs`), and the verdicts with their reasons, rendered to text in one place.

use super::words::{is_generic, is_legal_mark, readings, translit_equal, MAIN_SITE_MARK};
use super::*;

/// Why a comparison was accepted or refused, without allocating (the scan over candidates
/// evaluates many; only the few shown to a person get a sentence, see `describe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The same words in the same order, after the harmless differences `normalize` folds.
    Same,
    /// Every remaining difference is harmless: one typo on a generic word, a comma inversion.
    Accepted,
    /// Nothing left of a name to compare.
    Empty,
    /// A one-word name matches only when equal.
    OneWord,
    /// A word on one side only ("Hartwell Dental Holdings" / "Hartwell Dental").
    OneSide,
    /// Two words differ beyond a harmless difference ("Daniels" / "Daniel", "on" / "in").
    Differs,
    /// The same words in another order ("Forest Lake" / "Lake Forest").
    Order,
    /// The words allow it, but each name ends in a legal form and they differ ("Halvorsen LLP" /
    /// "Halvorsen LP", "Vertex Inc" / "Vertex AG").
    LegalForm,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eval {
    /// Word overlap (a typo'd word counts `TYPO_WEIGHT`), for ranking and suggestions.
    pub score: f64,
    /// The words shared (a typo'd one counting `TYPO_WEIGHT`): of two candidates as close, the
    /// one sharing more words is offered first ("Tolliver & Associates CPAs" before "Tolliver
    /// Construction" for "Tolliver CPAs").
    pub shared: f64,
    pub verdict: Verdict,
    /// Which reading the verdict is about: the names as written, or one of them inverted at its
    /// comma ("Madrid, Ayuntamiento de").
    pub reading: Reading,
    /// The same words and the same legal form and main-site qualifier: nothing was forgiven. Of
    /// accepted candidates that tie, the one equal in this way is taken ("Stumpf GmbH & Co OHG"
    /// over "Stumpf" for "Stumpf GmbH & Co. OHG").
    pub whole: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    AsWritten,
    FirstInverted,
    SecondInverted,
}

impl Eval {
    pub fn accepted(&self) -> bool {
        matches!(self.verdict, Verdict::Same | Verdict::Accepted) && self.score >= MIN_OVERLAP
    }
}

/// One comparison with its reason in words, for --explain and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub score: f64,
    pub accepted: bool,
    pub reason: String,
    /// Each word, whether it is distinctive or generic, and what the rule made of it.
    pub words: String,
}

/// `other` is the generic word `word` with one typo: a letter dropped (not the first or the
/// last: "Dentl"; "Baker" is not "Bakery"), a letter doubled ("Dentall") or two neighbours
/// swapped ("Dnetal"); both at least 5 letters, the first the same. Never a substituted or an
/// added letter ("Lightning" is not "Lighting"), never another generic word, and only for the
/// generic words none of whose typo forms is a name or a word (`TYPO_OK`).
pub fn typo_of_generic(word: &str, other: &str) -> bool {
    if !TYPO_OK.contains(&word) || is_generic(other) {
        return false;
    }
    let (w, o): (Vec<char>, Vec<char>) = (word.chars().collect(), other.chars().collect());
    if w.len() < 5 || o.len() < 5 || w.len() > MAX_TYPO_WORD || o.first() != w.first() {
        return false;
    }
    let without = |v: &[char], i: usize| -> Vec<char> {
        v.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect()
    };
    match o.len() as isize - w.len() as isize {
        -1 => (1..w.len() - 1).any(|i| without(&w, i) == o),
        1 => (1..o.len()).any(|i| o[i] == o[i - 1] && without(&o, i) == w),
        0 => (1..w.len() - 1).any(|i| {
            let mut s = w.clone();
            s.swap(i, i + 1);
            w[i] != w[i + 1] && s == o
        }),
        _ => false,
    }
}

/// The generic words a typo is forgiven on: those none of whose typo forms (as
/// `typo_of_generic` reads them) is found among 88,799 US Census surnames, its given names, the
/// given and family names of Faker's 80-odd locales, 264,000 English words (Webster's 2nd, GCIDE)
/// or the near-names list. "Collision" is not here ("Collison" is a surname), nor "Chapel"
/// ("Chappel"), "Health" ("Heath"), "Medical" ("Medial"). tests/corpus/typo-forms.py writes every
/// form and where it is found (tests/corpus/typo-forms.txt); tests/typo_forms.rs holds this list
/// to that file, and CI regenerates the file from the lists.
pub const TYPO_OK: &[&str] = &[
    "dental",
    "dentistry",
    "dentist",
    "orthodontic",
    "orthodontics",
    "endodontics",
    "periodontics",
    "medicine",
    "clinic",
    "healthcare",
    "hospital",
    "pharmacy",
    "physician",
    "pediatric",
    "pediatrics",
    "practice",
    "surgery",
    "surgical",
    "optometry",
    "optical",
    "chiropractic",
    "therapy",
    "physical",
    "rehabilitation",
    "veterinary",
    "animal",
    "family",
    "attorney",
    "solicitor",
    "accounting",
    "accountant",
    "bookkeeping",
    "audit",
    "financial",
    "investment",
    "advisor",
    "adviser",
    "advisory",
    "credit",
    "union",
    "insurance",
    "agency",
    "realty",
    "estate",
    "property",
    "construction",
    "building",
    "roofing",
    "siding",
    "plumbing",
    "electrical",
    "heating",
    "mechanical",
    "engineering",
    "architect",
    "architecture",
    "landscaping",
    "flooring",
    "remodeling",
    "restoration",
    "repair",
    "cleaning",
    "janitorial",
    "control",
    "automotive",
    "motor",
    "transportation",
    "logistics",
    "manufacturing",
    "industry",
    "industrial",
    "supply",
    "distribution",
    "wholesale",
    "store",
    "restaurant",
    "brewing",
    "brewery",
    "catering",
    "marketing",
    "media",
    "printing",
    "consulting",
    "consultant",
    "solution",
    "system",
    "network",
    "software",
    "digital",
    "management",
    "staffing",
    "security",
    "equipment",
    "associate",
    "group",
    "enterprise",
    "capital",
    "international",
    "company",
    "studio",
    "professional",
    "specialist",
    "department",
    "foundation",
    "association",
    "society",
    "institute",
    "trust",
    "committee",
    "cooperative",
    "alliance",
    "federation",
    "board",
    "community",
    "municipality",
    "municipal",
    "district",
    "authority",
    "utility",
    "library",
    "police",
    "water",
    "academy",
    "college",
    "university",
    "elementary",
    "middle",
    "preschool",
    "montessori",
    "ministry",
    "fellowship",
    "mosque",
    "synagogue",
    "living",
];

/// Words `a` and `b` one edit apart, a substituted letter included ("Smuth" / "Smith"): how the
/// index finds the clients to offer a person (never a reason to match).
pub(super) fn near_pair(a: &str, b: &str) -> bool {
    a.len() >= 5
        && b.len() >= 5
        && a.len() <= MAX_TYPO_WORD
        && b.len() <= MAX_TYPO_WORD
        && a.len().abs_diff(b.len()) <= 1
        && a.as_bytes()[0] == b.as_bytes()[0]
        && strsim::osa_distance(a, b) == 1
}

pub(super) fn is_number(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit())
}

/// A word as the rules see it: an id (equal words, equal ids) and what kind of word it is.
/// Its text is looked up by id, only for the typo check.
#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub(super) id: u32,
    /// An organization's word written with ä, ö or ü, or without them, and the one client word
    /// that is the same word spelled the other way (`translit_equal`); `NO_ALT` otherwise.
    pub(super) alt: u32,
    pub(super) flags: u8,
    /// Length in bytes (capped) and first byte: most word pairs fail the typo rules on these.
    len: u8,
    first: u8,
}

impl Tok {
    pub(super) fn new(id: u32, w: &str, flags: u8) -> Tok {
        // A word too long for the typo rules gets length 0, which their preconditions refuse.
        let len = if w.len() > MAX_TYPO_WORD { 0 } else { w.len() as u8 };
        Tok { id, alt: NO_ALT, flags, len, first: w.as_bytes().first().copied().unwrap_or(0) }
    }

    /// Cheap preconditions of `near_pair` and `typo_of_generic`.
    pub(super) fn may_be_typo_of(&self, other: &Tok) -> bool {
        self.first == other.first && self.len >= 5 && other.len >= 5 && self.len.abs_diff(other.len) <= 1
    }
}

/// A word of the closed generic vocabulary (`GENERIC`).
pub(super) const GENERIC_WORD: u8 = 1;
/// In so many of this tenant's client names that it does not narrow the search for candidates
/// (it grants no leniency: only `GENERIC_WORD` does).
pub(super) const FREQUENT_WORD: u8 = 2;
pub(super) const NUMBER_WORD: u8 = 4;
/// An organization's word with two or more client words one typo away: which one was meant
/// is a guess, so it is read as no typo.
pub(super) const AMBIGUOUS_TYPO: u8 = 8;
/// The "," that marks where a name may be read inverted (see `normalize`).
pub(super) const COMMA_MARK: u8 = 16;
/// The mark of a name's legal forms ("#llc", `normalize`): compared as a whole, never a word.
pub(super) const LEGAL_MARK: u8 = 32;
/// The mark of a main-site qualifier (`MAIN_SITE_MARK`).
pub(super) const SITE_MARK: u8 = 64;
/// Either mark: what the rules set apart from a name's words.
pub(super) const MARKS: u8 = LEGAL_MARK | SITE_MARK;
/// No transliterated twin (`Tok::alt`).
pub(super) const NO_ALT: u32 = u32::MAX;

pub(super) fn word_flags(w: &str) -> u8 {
    let mut f = 0;
    if is_generic(w) {
        f |= GENERIC_WORD;
    }
    if is_number(w) {
        f |= NUMBER_WORD;
    }
    if w == "," {
        f |= COMMA_MARK;
    }
    if is_legal_mark(w) {
        f |= LEGAL_MARK;
    } else if w == MAIN_SITE_MARK {
        f |= SITE_MARK;
    }
    f
}

/// A name's words and its marks, apart (the marks trail the words, `normalize`).
fn split_marks(t: &[Tok]) -> (&[Tok], &[Tok]) {
    t.split_at(t.iter().position(|w| w.flags & MARKS != 0).unwrap_or(t.len()))
}

/// The two readings of a name's words: as written (the comma mark left out) and, where it has
/// one, inverted at its comma.
fn tok_readings(t: &[Tok]) -> (Vec<Tok>, Option<Vec<Tok>>) {
    let plain: Vec<Tok> = t.iter().copied().filter(|w| w.flags & COMMA_MARK == 0).collect();
    let inverted = t
        .iter()
        .position(|w| w.flags & COMMA_MARK != 0)
        .map(|i| t[i + 1..].iter().chain(&t[..i]).copied().collect::<Vec<_>>());
    (plain, inverted)
}

/// The rule on two names' words (organization `a`, Halo client `b`), over both readings of
/// each: the best verdict (accepted first, then by score); then their legal forms.
pub(super) fn evaluate_toks<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str) -> Eval {
    let (a, a_marks) = split_marks(a);
    let (b, b_marks) = split_marks(b);
    // An organization's word spelled the other way round a client word is that word.
    let resolved: Vec<Tok>;
    let a = if a.iter().any(|w| w.alt != NO_ALT) {
        let alt_in_b = |w: &Tok| b.iter().any(|y| y.id == w.alt);
        resolved = a.iter().map(|w| if alt_in_b(w) { Tok { id: w.alt, ..*w } } else { *w }).collect();
        &resolved[..]
    } else {
        a
    };
    let mut e = evaluate_words(a, b, text);
    let legal = |m: &[Tok]| m.iter().find(|w| w.flags & LEGAL_MARK != 0).map(|w| w.id);
    if matches!((legal(a_marks), legal(b_marks)), (Some(x), Some(y)) if x != y) && e.accepted() {
        e.verdict = Verdict::LegalForm;
    }
    let ids = |m: &[Tok]| m.iter().map(|w| w.id).collect::<Vec<_>>();
    e.whole = e.verdict == Verdict::Same && ids(a_marks) == ids(b_marks);
    e
}

/// `evaluate_toks` on the words alone, without the marks.
fn evaluate_words<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str) -> Eval {
    let comma = |t: &[Tok]| t.iter().any(|w| w.flags & COMMA_MARK != 0);
    // The common case, without a comma mark: one reading each, nothing allocated.
    if !comma(a) && !comma(b) {
        return align(a, b, text, Reading::AsWritten);
    }
    let (pa, ia) = tok_readings(a);
    let (pb, ib) = tok_readings(b);
    let mut best = align(&pa, &pb, text, Reading::AsWritten);
    for (x, y, r) in [
        (ia.as_deref(), Some(pb.as_slice()), Reading::FirstInverted),
        (Some(pa.as_slice()), ib.as_deref(), Reading::SecondInverted),
    ] {
        if let (Some(x), Some(y)) = (x, y) {
            let e = align(x, y, text, r);
            if (e.accepted(), e.score) > (best.accepted(), best.score) {
                best = e;
            }
        }
    }
    best
}

/// Word overlap of two readings: words of `a` found in `b` (each once), a typo counting
/// `TYPO_WEIGHT`, over the longer name's length; and the words shared.
fn overlap<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str) -> (f64, f64) {
    // Which words of `b` are taken: a bit each (names of more than 64 words count their first 64).
    let b = &b[..b.len().min(64)];
    let mut taken = 0u64;
    let mut shared = 0.0;
    let mut typo_used = false;
    let free = |taken: u64, j: usize| taken & (1 << j) == 0;
    for w in a {
        if let Some(j) = (0..b.len()).find(|&j| free(taken, j) && b[j].id == w.id) {
            taken |= 1 << j;
            shared += 1.0;
        } else if !typo_used {
            // Any near word counts for the ranking (a person is shown the likeliest client);
            // only `align` decides what is accepted.
            let near = |j: usize| {
                w.may_be_typo_of(&b[j]) && (generic_typo(w, &b[j], text) || near_pair(text(w.id), text(b[j].id)))
            };
            if let Some(j) = (0..b.len()).find(|&j| free(taken, j) && near(j)) {
                taken |= 1 << j;
                typo_used = true;
                shared += TYPO_WEIGHT;
            }
        }
    }
    (shared / a.len().max(b.len()).max(1) as f64, shared)
}

/// Whether two different words are one typo of a generic word apart (the organization's word
/// `a` not an ambiguous typo).
fn generic_typo<'t>(a: &Tok, b: &Tok, text: &dyn Fn(u32) -> &'t str) -> bool {
    a.may_be_typo_of(b)
        && a.flags & AMBIGUOUS_TYPO == 0
        && (a.flags | b.flags) & GENERIC_WORD != 0
        && (typo_of_generic(text(b.id), text(a.id)) || typo_of_generic(text(a.id), text(b.id)))
}

/// The rule on one reading of each name: word by word, in order, every pair equal or one typo
/// of a generic word apart (at most one typo a name: two are a different name more often than
/// not). Allocates nothing but the overlap's scratch.
fn align<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str, reading: Reading) -> Eval {
    if a.is_empty() || b.is_empty() {
        return Eval { score: 0.0, shared: 0.0, verdict: Verdict::Empty, reading, whole: false };
    }
    let (score, shared) = overlap(a, b, text);
    let eval = |score, verdict| Eval { score, shared, verdict, reading, whole: false };
    if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.id == y.id) {
        return eval(1.0, Verdict::Same);
    }
    if a.len() == 1 || b.len() == 1 {
        return eval(score, Verdict::OneWord);
    }
    if a.len() != b.len() {
        return eval(score, Verdict::OneSide);
    }
    let mut typos = 0;
    let mut differs = false;
    for (x, y) in a.iter().zip(b) {
        if x.id == y.id {
            continue;
        }
        if typos == 0 && generic_typo(x, y, text) {
            typos += 1;
        } else {
            differs = true;
        }
    }
    if !differs {
        return eval(score, Verdict::Accepted);
    }
    // The same words in another order: each word as often on both sides.
    let count = |t: &[Tok], id: u32| t.iter().filter(|w| w.id == id).count();
    let same_words = a.iter().all(|w| count(a, w.id) == count(b, w.id));
    eval(score, if same_words { Verdict::Order } else { Verdict::Differs })
}

/// The words as tokens with ids made up on the spot (for display and tests).
fn toks<'w>(ws: &'w [String], texts: &mut Vec<&'w str>) -> Vec<Tok> {
    ws.iter()
        .map(|w| {
            let id = texts.iter().position(|t| *t == w.as_str()).unwrap_or_else(|| {
                texts.push(w.as_str());
                texts.len() - 1
            });
            Tok::new(id as u32, w, word_flags(w))
        })
        .collect()
}

/// The rule on two lists of words (as `normalize` gives them).
pub fn evaluate(a: &[String], b: &[String]) -> Eval {
    let mut texts: Vec<&str> = Vec::new();
    let mut ta = toks(a, &mut texts);
    let tb = toks(b, &mut texts);
    for t in &mut ta {
        let twins: Vec<u32> =
            tb.iter().map(|y| y.id).filter(|&y| translit_equal(texts[t.id as usize], texts[y as usize])).collect();
        if let [one] = twins[..] {
            t.alt = one;
        }
    }
    evaluate_toks(&ta, &tb, &|id| texts[id as usize])
}

/// `evaluate` with its reason in words.
pub fn compare(a: &[String], b: &[String]) -> Comparison {
    describe(evaluate(a, b), a, b, &|_| false)
}

/// What happened to each word of the two readings the verdict is about, in the order of `a`
/// (then `b`'s words `a` lacks): "hartwell (distinctive): in both; holdings (generic): only in
/// the NinjaOne name".
fn word_roles(a: &[&str], b: &[&str], ambiguous: &dyn Fn(&str) -> bool) -> (Vec<String>, Option<(String, String)>) {
    let kind = |w: &str| {
        if is_generic(w) {
            "generic"
        } else if is_number(w) {
            "number"
        } else {
            "distinctive"
        }
    };
    let mut used = vec![false; b.len()];
    let mut roles = Vec::new();
    let mut typo = None;
    for (i, w) in a.iter().enumerate() {
        if let Some(j) = (0..b.len()).find(|&j| !used[j] && (b[j] == *w || translit_equal(w, b[j]))) {
            used[j] = true;
            let place = if j == i { "in both" } else { "in both, elsewhere in the name" };
            let spelled = if b[j] == *w { String::new() } else { format!(" (spelled '{}' there)", b[j]) };
            roles.push(format!("{w} ({}): {place}{spelled}", kind(w)));
        } else if let Some(j) = (0..b.len()).find(|&j| {
            !used[j] && typo.is_none() && !ambiguous(w) && (typo_of_generic(b[j], w) || typo_of_generic(w, b[j]))
        }) {
            used[j] = true;
            typo = Some((w.to_string(), b[j].to_string()));
            roles.push(format!("{w} (generic): read as '{}', a one-letter typo of a generic word (harmless)", b[j]));
        } else {
            roles.push(format!("{w} ({}): only in the NinjaOne name", kind(w)));
        }
    }
    for (j, w) in b.iter().enumerate().filter(|(j, _)| !used[*j]) {
        let _ = j;
        roles.push(format!("{w} ({}): only in the Halo name", kind(w)));
    }
    (roles, typo)
}

/// The sentence for a verdict on words `a` (the organization's) and `b` (the client's), and
/// what the rule made of each word. `ambiguous` marks words of `a` with two or more client
/// words one typo away (as the index saw them; no typo is read for them).
pub(super) fn describe(e: Eval, a: &[String], b: &[String], ambiguous: &dyn Fn(&str) -> bool) -> Comparison {
    let (pa, ia) = readings(a);
    let (pb, ib) = readings(b);
    let (ra, rb) = match e.reading {
        Reading::AsWritten => (pa, pb),
        Reading::FirstInverted => (ia.unwrap_or(pa), pb),
        Reading::SecondInverted => (pa, ib.unwrap_or(pb)),
    };
    let (roles, typo) = word_roles(&ra, &rb, ambiguous);
    let only: Vec<&str> = roles.iter().filter(|r| r.contains(": only in")).map(String::as_str).collect();
    let inverted = if e.reading == Reading::AsWritten { "" } else { ", read inverted at its comma" };
    let reason = match e.verdict {
        Verdict::Same => format!("same words after the harmless differences{inverted}"),
        Verdict::Accepted => {
            let mut r = format!("every difference is harmless{inverted}");
            if let Some((x, y)) = typo {
                r.push_str(&format!(": '{x}' read as '{y}' (a one-letter typo of a generic word)"));
            }
            r
        }
        Verdict::Empty => "nothing left of the name after normalization".into(),
        Verdict::OneWord => "a one-word name matches only when equal after normalization".into(),
        Verdict::OneSide => format!(
            "a word on one side only is a different business unless it is a trailing legal form or a qualifier \
             naming the main site ({})",
            only.join("; ")
        ),
        Verdict::Differs => {
            let numbers = only.iter().any(|r| r.contains("(number)"));
            let distinctive = only.iter().any(|r| r.contains("(distinctive)"));
            // A distinctive word one letter from the client's: it may be a typo, or another name.
            let near = ra.iter().any(|x| rb.iter().any(|y| near_pair(x, y)));
            let what = match (numbers, distinctive, near) {
                (true, _, _) => "the names carry different numbers",
                (_, true, true) => {
                    "a distinctive word (a name, place or brand) must be the same on both sides: one letter apart, it \
                     may be a typo or another name, for a person to confirm"
                }
                (_, true, false) => "a distinctive word (a name, place or brand) must be the same on both sides",
                _ => "generic words may differ only by a plural or a one-letter typo",
            };
            format!("{what} ({})", only.join("; "))
        }
        Verdict::LegalForm => {
            let form = |ws: &[String]| {
                let m = ws.iter().find(|w| is_legal_mark(w)).map_or("", |w| &w[1..]);
                m.replace('+', " ").to_uppercase()
            };
            format!(
                "the legal forms differ ('{}' / '{}'): a legal form may be on one side only or written another way \
                 (Ltd = Limited), never exchanged for another",
                form(a),
                form(b)
            )
        }
        Verdict::Order => format!(
            "the same words in another order ('{}' / '{}'): word order tells names apart, only a comma inversion is \
             harmless",
            ra.join(" "),
            rb.join(" ")
        ),
    };
    Comparison { score: e.score, accepted: e.accepted(), reason, words: roles.join("; ") }
}

/// The deletion neighbourhood of a word (itself and every one-letter deletion): two words one
/// typo apart share at least one key (symmetric delete).
pub(super) fn delete_keys(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    let mut keys = vec![w.to_string()];
    for i in 0..chars.len() {
        let k: String = chars.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| c).collect();
        keys.push(k);
    }
    keys
}
