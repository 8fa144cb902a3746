//! The fuzzy rule on two names' words: every difference must be one the allow-list calls
//! harmless (see `mod.rs`), and the verdicts with their reasons, rendered to text in one place.

use super::words::{is_generic, readings};
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
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eval {
    /// Word overlap (a typo'd word counts `TYPO_WEIGHT`), for ranking and suggestions.
    pub score: f64,
    pub verdict: Verdict,
    /// Which reading the verdict is about: the names as written, or one of them inverted at its
    /// comma ("Madrid, Ayuntamiento de").
    pub reading: Reading,
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
/// added letter ("Lightning" is not "Lighting"), never another generic word, and never for the
/// generic words whose typo forms are people's names (`NO_TYPO`).
pub(super) fn typo_of_generic(word: &str, other: &str) -> bool {
    if !is_generic(word) || is_generic(other) || NO_TYPO.contains(&word) {
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

/// Generic words with a one-letter typo form that is a person's name: "Health"/"Heath",
/// "Parish"/"Parrish". Found by checking every typo form of every `GENERIC` word against the
/// 14,600 given and family names of Faker's person providers for 16 locales and the near-name
/// list (tests/corpus/near-names.txt); these two were all. They stay generic for plurals.
const NO_TYPO: &[&str] = &["health", "parish"];

/// Words `a` and `b` one dropped, doubled or swapped letter apart, whatever they are: how the
/// index finds near names to suggest (never, by itself, a reason to match).
pub(super) fn typo_pair(a: &str, b: &str) -> bool {
    a.len() >= 5
        && b.len() >= 5
        && a.len() <= MAX_TYPO_WORD
        && b.len() <= MAX_TYPO_WORD
        && a.len().abs_diff(b.len()) <= 1
        && a.as_bytes()[0] == b.as_bytes()[0]
        && strsim::osa_distance(a, b) == 1
        && strsim::hamming(a, b) != Ok(1)
}

pub(super) fn is_number(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit())
}

/// A word as the rules see it: an id (equal words, equal ids) and what kind of word it is.
/// Its text is looked up by id, only for the typo check.
#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub(super) id: u32,
    pub(super) flags: u8,
    /// Length in bytes (capped) and first byte: most word pairs fail the typo rules on these.
    len: u8,
    first: u8,
}

impl Tok {
    pub(super) fn new(id: u32, w: &str, flags: u8) -> Tok {
        // A word too long for the typo rules gets length 0, which their preconditions refuse.
        let len = if w.len() > MAX_TYPO_WORD { 0 } else { w.len() as u8 };
        Tok { id, flags, len, first: w.as_bytes().first().copied().unwrap_or(0) }
    }

    /// Cheap preconditions of both typo rules (`typo_pair`, `typo_of_generic`).
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
    f
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
/// each: the best verdict (accepted first, then by score).
pub(super) fn evaluate_toks<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str) -> Eval {
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
/// `TYPO_WEIGHT`, over the longer name's length.
fn overlap<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str) -> f64 {
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
                w.may_be_typo_of(&b[j]) && (generic_typo(w, &b[j], text) || typo_pair(text(w.id), text(b[j].id)))
            };
            if let Some(j) = (0..b.len()).find(|&j| free(taken, j) && near(j)) {
                taken |= 1 << j;
                typo_used = true;
                shared += TYPO_WEIGHT;
            }
        }
    }
    shared / a.len().max(b.len()).max(1) as f64
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
    let eval = |score, verdict| Eval { score, verdict, reading };
    if a.is_empty() || b.is_empty() {
        return eval(0.0, Verdict::Empty);
    }
    let score = overlap(a, b, text);
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
    let ta = toks(a, &mut texts);
    let tb = toks(b, &mut texts);
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
        if let Some(j) = (0..b.len()).find(|&j| !used[j] && b[j] == *w) {
            used[j] = true;
            let place = if j == i { "in both" } else { "in both, elsewhere in the name" };
            roles.push(format!("{w} ({}): {place}", kind(w)));
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
            "a word on one side only is a different business unless it is a trailing legal form or location \
             qualifier ({})",
            only.join("; ")
        ),
        Verdict::Differs => {
            let numbers = only.iter().any(|r| r.contains("(number)"));
            let distinctive = only.iter().any(|r| r.contains("(distinctive)"));
            // A distinctive word one letter from the client's: it may be a typo, or another name.
            let near = ra.iter().any(|x| rb.iter().any(|y| typo_pair(x, y)));
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
