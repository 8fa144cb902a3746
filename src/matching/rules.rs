//! The fuzzy rules on two names' words: the typo rule (with the known-name pairs), the
//! verdicts and their reasons.

use super::words::{is_generic, FILLER};
use super::*;

/// Why a comparison was accepted or refused, without allocating (the scan over candidates
/// evaluates many; only the few shown to a person get a sentence, see `compare`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Accepted,
    Empty,
    OneWord,
    Numbers,
    BothExtra,
    NotFiller,
    Generic,
    Low,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eval {
    pub score: f64,
    pub verdict: Verdict,
}

impl Eval {
    pub fn accepted(&self) -> bool {
        matches!(self.verdict, Verdict::Same | Verdict::Accepted)
    }
}

/// One comparison with its reason in words, for --explain and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub score: f64,
    pub accepted: bool,
    pub reason: String,
}

/// Words `a` and `b` are one typo apart in form: both at least 5 letters, same first letter,
/// and one adjacent transposition ("Jonhson" = "Johnson") or one letter dropped or doubled
/// ("Kowalcyk" = "Kowalczyk"). A substituted letter is never a typo: "Larsen" and "Larson",
/// "Smith" and "Smyth" are different people's names. Whether such a pair is *read* as a typo
/// is `trusted_typo`'s decision.
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

/// Pairs of known names (surnames and given names: the 1990 US Census lists up to rank 50,000,
/// and German, French and English lists) one dropped, doubled or swapped letter apart, as a
/// Bloom filter made by scripts/name-pairs.py (6 bits a pair, 4 hashes: about 5.6% false
/// positives, which only refuse a true typo, leaving the organization `no_match` with its client
/// suggested).
pub(super) static NAME_PAIRS: &[u8] = include_bytes!("../../data/name-pairs.bloom");
pub(super) const NAME_PAIR_HASHES: u64 = 4;

/// Both words are known names: "Rodgers"/"Rogers", "Morgan"/"Moran", "Schmid"/"Schmidt",
/// "Roberson"/"Robertson", "Hermann"/"Herrmann", "Benard"/"Bernard" are different people, so
/// one is never read as a typo of the other. (Words as `normalize` gives them: "rodger".)
pub fn known_name_pair(a: &str, b: &str) -> bool {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([0]).chain(b.bytes()) {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    // murmur3's fmix64: FNV alone correlates on keys that share a long prefix.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    let m = NAME_PAIRS.len() as u64 * 8;
    let (h1, h2) = (h & 0xffff_ffff, (h >> 32) | 1);
    m > 0
        && (0..NAME_PAIR_HASHES).all(|i| {
            let bit = (h1 + i * h2) % m;
            NAME_PAIRS[(bit / 8) as usize] & (1 << (bit % 8)) != 0
        })
}

/// A one-letter difference read as a typo, on evidence that it is not another name: the form
/// of a typo (`typo_pair`), and not two known names. (The third piece of evidence, that the
/// corrected spelling is the only client word within one edit, needs the index: see
/// `AMBIGUOUS_TYPO`.)
pub(super) fn trusted_typo(a: &str, b: &str) -> bool {
    typo_pair(a, b) && !known_name_pair(a, b)
}

pub(super) fn is_number(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit())
}

/// The words of `a` and `b` split into shared, one typo pair, and the rest of each side; and a
/// pair that has the form of a typo but is two known names.
pub(super) struct Split<'w> {
    exact: Vec<&'w str>,
    typo: Option<(&'w str, &'w str)>,
    names: Option<(&'w str, &'w str)>,
    rest_a: Vec<&'w str>,
    rest_b: Vec<&'w str>,
}

/// The one typo the rules allow between two names, as positions: the first word of `a` that
/// may be corrected (`a_word` gives its text, or None when it is in `b` or an ambiguous typo)
/// with the first word of `b` (`b_word`: None when it is in `a`) one trusted typo from it. The
/// verdict (`evaluate_toks`) and its sentence (`split`) both ask this one search, so they
/// cannot disagree. `pre` is a cheap precondition on the pair.
pub(super) fn first_typo<'t>(
    (a_len, b_len): (usize, usize),
    a_word: impl Fn(usize) -> Option<&'t str>,
    b_word: impl Fn(usize) -> Option<&'t str>,
    pre: impl Fn(usize, usize) -> bool,
) -> Option<(usize, usize)> {
    (0..a_len).find_map(|i| {
        let wa = a_word(i)?;
        (0..b_len).find(|&j| pre(i, j) && b_word(j).is_some_and(|wb| trusted_typo(wa, wb))).map(|j| (i, j))
    })
}

/// `a` and `b` split as `describe` tells them apart; `ambiguous` marks words of `a` with two
/// or more client words one typo away (as the index saw them; no typo is read for them).
pub(super) fn split<'w>(a: &'w [String], b: &'w [String], ambiguous: &dyn Fn(usize) -> bool) -> Split<'w> {
    let exact: Vec<&str> = a.iter().map(String::as_str).filter(|w| b.iter().any(|x| x == w)).collect();
    let typo = first_typo(
        (a.len(), b.len()),
        |i| (!exact.contains(&a[i].as_str()) && !ambiguous(i)).then_some(a[i].as_str()),
        |j| (!exact.contains(&b[j].as_str())).then_some(b[j].as_str()),
        |_, _| true,
    );
    let typo_words = typo.map(|(i, j)| (a[i].as_str(), b[j].as_str()));
    // Each side's words that are neither shared exactly nor the typo's.
    let rest = |words: &'w [String], typo_at: Option<usize>| -> Vec<&'w str> {
        words
            .iter()
            .enumerate()
            .filter(|&(i, w)| !exact.contains(&w.as_str()) && typo_at != Some(i))
            .map(|(_, w)| w.as_str())
            .collect()
    };
    let (rest_a, rest_b) = (rest(a, typo.map(|t| t.0)), rest(b, typo.map(|t| t.1)));
    // A pair with the form of a typo that was not read as one: it is two known names.
    let names = if typo.is_none() {
        rest_a.iter().find_map(|wa| rest_b.iter().find(|wb| typo_pair(wa, wb)).map(|wb| (*wa, *wb)))
    } else {
        None
    };
    Split { exact, typo: typo_words, names, rest_a, rest_b }
}

/// A word as the rules see it: an id (equal words, equal ids) and what kind of word it is.
/// Its text is looked up by id, only for the typo check.
#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub(super) id: u32,
    pub(super) flags: u8,
    /// Length in bytes (capped) and first byte: most word pairs fail the typo rule on these.
    len: u8,
    first: u8,
}

impl Tok {
    pub(super) fn new(id: u32, w: &str, flags: u8) -> Tok {
        // A word too long for the typo rule gets length 0, which the rule's preconditions refuse.
        let len = if w.len() > MAX_TYPO_WORD { 0 } else { w.len() as u8 };
        Tok { id, flags, len, first: w.as_bytes().first().copied().unwrap_or(0) }
    }

    /// Cheap preconditions of `typo_pair`.
    pub(super) fn may_be_typo_of(&self, other: &Tok) -> bool {
        self.first == other.first && self.len >= 5 && other.len >= 5 && self.len.abs_diff(other.len) <= 1
    }
}

pub(super) const GENERIC_WORD: u8 = 1;
pub(super) const FILLER_WORD: u8 = 2;
pub(super) const NUMBER_WORD: u8 = 4;
/// An organization's word with two or more client words one typo away ("Rodgrs" with both
/// "Rodgers" and "Rogers" in Halo): which one was meant is a guess, so it is read as no typo.
pub(super) const AMBIGUOUS_TYPO: u8 = 8;

pub(super) fn word_flags(w: &str) -> u8 {
    let mut f = 0;
    if is_generic(w) {
        f |= GENERIC_WORD;
    }
    if FILLER.contains(&w) {
        f |= FILLER_WORD;
    }
    if is_number(w) {
        f |= NUMBER_WORD;
    }
    f
}

/// The fuzzy rules on two names' words (see the README). Words are those of `normalize`: no
/// repeats. Allocates nothing: it runs once per candidate.
pub(super) fn evaluate_toks<'t>(a: &[Tok], b: &[Tok], text: &dyn Fn(u32) -> &'t str) -> Eval {
    let eval = |score, verdict| Eval { score, verdict };
    if a.is_empty() || b.is_empty() {
        return eval(0.0, Verdict::Empty);
    }
    let in_b = |w: &Tok| b.iter().any(|x| x.id == w.id);
    let in_a = |w: &Tok| a.iter().any(|x| x.id == w.id);
    let exact = a.iter().filter(|w| in_b(w)).count();
    if exact == a.len() && exact == b.len() {
        return eval(1.0, Verdict::Same);
    }
    // At most one typo per pair: two typo'd words are a different name more often than not.
    let typo = first_typo(
        (a.len(), b.len()),
        |i| (!in_b(&a[i]) && a[i].flags & AMBIGUOUS_TYPO == 0).then(|| text(a[i].id)),
        |j| (!in_a(&b[j])).then(|| text(b[j].id)),
        |i, j| a[i].may_be_typo_of(&b[j]),
    )
    .map(|(i, j)| (a[i].id, b[j].id, &a[i]));
    let shared = exact as f64 + if typo.is_some() { TYPO_WEIGHT } else { 0.0 };
    let score = shared / a.len().max(b.len()) as f64;
    // "Acme" vs "Acme Dental": a single word says too little to guess from.
    if a.len() == 1 || b.len() == 1 {
        return eval(score, Verdict::OneWord);
    }
    // "Smith Dental Care 2" vs "Smith Dental Care 3": numbers name different sites.
    let number = |w: &Tok| w.flags & NUMBER_WORD != 0;
    if a.iter().any(|w| number(w) && !in_b(w)) || b.iter().any(|w| number(w) && !in_a(w)) {
        return eval(score, Verdict::Numbers);
    }
    let (typo_a, typo_b) = (typo.map(|t| t.0), typo.map(|t| t.1));
    let extra_a = |w: &Tok| !in_b(w) && Some(w.id) != typo_a;
    let extra_b = |w: &Tok| !in_a(w) && Some(w.id) != typo_b;
    // "Smith Dental North" vs "Smith Dental South": both have a word the other lacks.
    if a.iter().any(extra_a) && b.iter().any(extra_b) {
        return eval(score, Verdict::BothExtra);
    }
    // "Smith Electric" vs "Smith Electric Supply": the extra words must be filler.
    let not_filler = |w: &Tok| w.flags & FILLER_WORD == 0;
    if a.iter().any(|w| extra_a(w) && not_filler(w)) || b.iter().any(|w| extra_b(w) && not_filler(w)) {
        return eval(score, Verdict::NotFiller);
    }
    // "Springfield Dental Group" vs "Riverside Dental Group": only generic words in common.
    let distinctive = |w: &Tok| w.flags & GENERIC_WORD == 0;
    let shares_distinctive = a.iter().any(|w| in_b(w) && distinctive(w))
        || typo.is_some_and(|(_, _, w)| text(w.id).len() >= 6 && distinctive(w));
    if !shares_distinctive {
        return eval(score, Verdict::Generic);
    }
    if score < MIN_OVERLAP {
        return eval(score, Verdict::Low);
    }
    eval(score, Verdict::Accepted)
}

/// The rules on two lists of words (ids made up on the spot; for display and tests).
pub fn evaluate(a: &[String], b: &[String]) -> Eval {
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
    let mut texts: Vec<&str> = Vec::new();
    let ta = toks(a, &mut texts);
    let tb = toks(b, &mut texts);
    evaluate_toks(&ta, &tb, &|id| texts[id as usize])
}

/// `evaluate` with its reason in words.
pub fn compare(a: &[String], b: &[String]) -> Comparison {
    describe(evaluate(a, b), a, b, &|_| false)
}

/// The sentence for a verdict on words `a` and `b`.
pub(super) fn describe(e: Eval, a: &[String], b: &[String], ambiguous: &dyn Fn(usize) -> bool) -> Comparison {
    let sp = split(a, b, ambiguous);
    let reason = match e.verdict {
        Verdict::Same => "same words after normalization".to_string(),
        Verdict::Accepted => {
            let mut r = format!("{:.0}% word overlap", e.score * 100.0);
            if let Some((x, y)) = sp.typo {
                r.push_str(&format!(", '{x}' read as '{y}'"));
            }
            r
        }
        Verdict::Empty => "nothing left of the name after normalization".into(),
        _ if sp.names.is_some() && sp.typo.is_none() => {
            let (x, y) = sp.names.unwrap_or_default();
            format!("'{x}' and '{y}' match the built-in list of real names one letter apart: one is not read as a typo of the other")
        }
        Verdict::OneWord => "a one-word name matches fuzzily only when equal after normalization".into(),
        Verdict::Numbers => "the names carry different numbers".into(),
        Verdict::BothExtra => {
            format!("each name has words the other lacks ('{}' / '{}')", sp.rest_a.join(" "), sp.rest_b.join(" "))
        }
        Verdict::NotFiller => {
            let extra: Vec<&str> =
                sp.rest_a.iter().chain(sp.rest_b.iter()).copied().filter(|w| !FILLER.contains(w)).collect();
            format!("'{}' would name a different business", extra.join(" "))
        }
        Verdict::Generic => "the shared words are generic (e.g. dental, group, church)".into(),
        Verdict::Low => format!("word overlap {:.0}% is below {:.0}%", e.score * 100.0, MIN_OVERLAP * 100.0),
    };
    debug_assert!(sp.exact.len() <= a.len());
    Comparison { score: e.score, accepted: e.accepted(), reason }
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
