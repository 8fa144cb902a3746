//! Pure name matching: normalization, the exact tier and the fuzzy tier, indexed by word.
//! No I/O. The one-to-one assignment across organizations lives in plan.rs.
//!
//! The bar is "no write to a wrong client, and as many true matches as that allows", so every
//! fuzzy rule below errs towards refusing. Each rule names the example that needs it; the
//! labelled corpus in tests/corpus.rs holds them all.
//!
//! Typos are the dangerous rule: a dropped, doubled or swapped letter is very often another
//! person's name ("Wallace & Rodgers Law Group" is not "Wallace & Rogers Law Group"). A
//! one-letter difference is read as a typo only on evidence that it is not another name: it
//! has the form of a typo (`typo_pair`: never a substitution), the two spellings are not both
//! known names (`known_name_pair`, an embedded list of real name pairs), and the corrected
//! spelling is the only client word within one edit (`AMBIGUOUS_TYPO`). A refused typo leaves
//! the organization `no_match` with that client suggested, for a person to confirm once.
//!
//! `words`: normalization and the word lists; `rules`: the fuzzy rules on two names' words
//! and their reasons; `index`: the clients' names indexed for both tiers.

/// Fuzzy matches need at least this share of the larger name's words.
pub const MIN_OVERLAP: f64 = 0.60;
/// The best fuzzy candidate must beat the runner-up by this much, else `ambiguous`.
/// "Smith Dental Care Center" against "Smith Dental Care" and "Smith Dental Center" (0.75 each).
pub const MIN_MARGIN: f64 = 0.15;
/// Candidates kept per name: enough for the margin rule (best and runner-up), the runner-up
/// in the report and a few suggestions.
pub const FUZZY_KEEP: usize = 8;
/// A word matched with one typo counts this much of a shared word.
const TYPO_WEIGHT: f64 = 0.9;
/// Bounded work on any input: a word longer than this is only ever compared whole (its typo
/// neighbourhood and edit distance grow with the square of its length: one 20,000-letter word
/// took minutes and 600 MB), and a name longer than `MAX_FUZZY_NAME` characters takes part in
/// the exact tier only. No real business name comes near either.
pub const MAX_TYPO_WORD: usize = 64;
pub const MAX_FUZZY_NAME: usize = 256;

mod index;
mod rules;
mod words;

pub use index::{Fuzzy, Index, Scored};
pub use rules::{compare, evaluate, known_name_pair, Comparison, Eval, Verdict};
pub use words::{exact_key, fold, fuzzy_words, normalize, GENERIC};

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
        assert_eq!(n("Acme Intls"), n("Acme International"));
        assert_eq!(n("ΟΔΌΣ Ltd"), n("Οδός"));
        assert_eq!(n("Proﬁt Partners"), n("Profit Partners"));
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
        assert!(!c("Larsen Roofing", "Larson Roofing").accepted);
        assert!(c("Kowalcyk Construction", "Kowalczyk Construction").accepted);
        assert!(!c("Smith Electric", "Smith Electric Supply").accepted);
        assert!(c("Hartwell Dentistry", "Hartwell Family Dentistry").accepted);
        assert!(!c("First Baptist Church", "First Baptist Church of Springfield").accepted);
        assert!(c("Riverside Family Dentistry PLLC", "Dentistry Riverside Family").accepted);
        let low = c("Hartwell Beta Group Family Partners", "Hartwell Beta");
        assert!(!low.accepted && low.reason.contains("below 60%"), "{low:?}");
    }

    #[test]
    fn two_known_names_one_letter_apart_are_two_clients() {
        let c = |a: &str, b: &str| compare(&n(a), &n(b));
        for (a, b) in [
            ("Wallace & Rodgers Law Group", "Wallace & Rogers Law Group"),
            ("Morgan Insurance Agency", "Moran Insurance Agency"),
            ("Roberson Construction", "Robertson Construction"),
            ("Clark Plumbing Services", "Clarke Plumbing Services"),
            ("Green Valley Dental", "Greene Valley Dental"),
            ("Carson Electric", "Carlson Electric"),
            ("Matthews Family Dentistry", "Mathews Family Dentistry"),
            ("Johnson Roofing", "Johnston Roofing"),
            ("Schmid Immobilien GmbH", "Schmidt Immobilien GmbH"),
            ("Hermann Elektro AG", "Herrmann Elektro AG"),
            ("Cabinet Benard", "Cabinet Bernard"),
            ("Lefèvre Avocats", "Lefebvre Avocats"),
        ] {
            let r = c(a, b);
            assert!(!r.accepted, "{a} / {b}: {r:?}");
            assert!(r.reason.contains("list of real names one letter apart"), "{a} / {b}: {}", r.reason);
        }
        // Substitutions were never typos: Hansen/Hanson, Dumont/Dupont.
        assert!(!c("Hansen Bakery", "Hanson Bakery").accepted);
        assert!(!c("Dumont Plomberie", "Dupont Plomberie").accepted);
        // Typos that are no name are still read as typos.
        assert!(c("Jonhson Controls", "Johnson Controls").accepted);
        assert!(c("Kowalcyk Construction", "Kowalczyk Construction").accepted);
        assert!(c("Underwwood Rakennus Oy", "Underwood Rakennus Oy").accepted);
        assert!(known_name_pair("rodger", "roger") && known_name_pair("roger", "rodger"));
        assert!(!known_name_pair("jonhson", "johnson"));
    }

    #[test]
    fn a_typo_with_two_corrections_is_no_typo() {
        // "Zorbllat" is one letter from "Zorblat" only: read as a typo.
        let idx = Index::new(["Zorblat Logistics", "Smith Dental"]);
        assert!(matches!(idx.fuzzy("Zorbllat Logistics"), Fuzzy::Match { idx: 0, .. }));
        // "Zorblatt" is one letter from "Zorbllatt" and from "Zorblat": which was meant is a
        // guess, so it is no typo at all (not even an ambiguous one).
        let idx = Index::new(["Zorbllatt Logistics", "Zorblat Logistics"]);
        assert!(!known_name_pair("zorblatt", "zorbllatt") && !known_name_pair("zorblatt", "zorblat"));
        assert!(matches!(idx.fuzzy("Zorblatt Logistics"), Fuzzy::None));
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
