//! Pure name matching: normalization, the exact tier and the fuzzy tier, indexed by word.
//! No I/O. The one-to-one assignment across organizations lives in plan.rs.
//!
//! The bar is "no write to a wrong client, and as many true matches as that allows". Each
//! earlier round forgave differences unless a deny-list (known names, stop lists) said
//! otherwise, and each new corpus found a class the list missed: near surnames of another
//! language, places, brands, ordinary words. The rule is therefore an allow-list: **a
//! difference between two names is forgiven only when a closed list of harmless differences
//! explains it**; anything else is at most a suggestion (`no_match` naming the candidate, why it
//! was not taken, and a `--suggest-map` row for a person to confirm once).
//!
//! Harmless on any word (folded by `normalize`, so both names read the same):
//! - case, white space and punctuation ("ACME  Dental," = "Acme Dental");
//! - `&` and "and" ("Smith & Jones" = "Smith and Jones");
//! - apostrophes and Latin diacritics ("Zoë's Café" = "Zoes Cafe", "García" = "Garcia",
//!   "İstanbul" = "Istanbul", "Nguyễn" = "Nguyen"); ä, ö (ø) and ü written without the dots or
//!   transliterated ("Schröder" = "Schroder" = "Schroeder", `translit_equal`; but "Schroder" is
//!   not "Schroeder": without the dots on one side, the two are two families as often as one);
//! - dotted abbreviations ("L.L.C." = "LLC") and a closed table of spelled-out abbreviations
//!   (`SYNONYMS`: "St." = "Saint", "Intl" = "International", "Dr" = "Doctor", "Hnos." =
//!   "Hermanos");
//! - a leading "The".
//!
//! Harmless only on closed lists of the generic vocabulary of business names (`GENERIC`):
//! - plural and singular where the plural names the same trade (`PLURAL_SAME`: "Dental
//!   Service" = "Dental Services"; "Summit Security" is not "Summit Securities", "Heritage Home"
//!   not "Heritage Homes", "Daniel" not "Daniels");
//! - one typo where no typo form of the word is a name or a word (`TYPO_OK`, checked against
//!   census and Faker name lists and English dictionaries: "Dentl" = "Dental", but "Collison" is
//!   not "Collision", "Chappel" not "Chapel"): a letter dropped, doubled or swapped,
//!   `typo_of_generic`; never a substituted or added letter, so "Lightning" is not "Lighting".
//!
//! Harmless at the end of a name, on one side only (`normalize` keeps what went as marks):
//! - a legal form or a chain of them ("Acme Inc", "Stumpf GmbH & Co. OHG", "Müller e.K."),
//!   present on one side and absent on the other, or written another way (Ltd = Limited, Inc =
//!   Incorporated, GmbH = G.m.b.H.); never exchanged for another ("Halvorsen LLP" is not
//!   "Halvorsen LP", "Vertex Inc" not "Vertex AG"). A form that is also an ordinary word counts
//!   only written as a legal form ("S.p.A.", "SPA": "Hotel Bellevue Spa" keeps its spa); one
//!   that is also a region's or a direction's code (`REGION_LIKE`: "SE", "SA", "PA") only dotted
//!   or beside another legal form ("Acme Plumbing SE" keeps its SE; "SE & Co. KGaA" is legal);
//! - a qualifier naming the main site, as a separate part ("Acme Dental - Main Office", "Acme
//!   Dental (HQ)") or as "HQ", "Head Office", "Main Campus" without a separator. A qualifier
//!   naming another site is distinctive: "Penrose Dental - Branch Office" is not "Penrose
//!   Dental".
//!
//! Every other word is distinctive (a surname, a place, a brand: an open vocabulary) and must be
//! on both sides, equal after the any-word folding, and every word in the same order ("Forest
//! Lake" is not "Lake Forest"). The one exception to order is a comma inversion: "Madrid,
//! Ayuntamiento de" = "Ayuntamiento de Madrid". A word on one side only ("Hartwell Dental
//! Holdings" / "Hartwell Dental", "Cafe on the Park" / "Cafe in the Park", "Hartwell & Hartwell
//! Dental" / "Hartwell Dental") is a different business.
//!
//! Of candidates the rule accepts within the margin of each other, the one equal to the name
//! without forgiving anything wins ("Stumpf GmbH & Co OHG" over "Stumpf"); else they are
//! ambiguous.
//!
//! What this gives up: a typo in a distinctive word ("Jonhson Controls") and an extra or missing
//! generic word ("Springfield Dental Group" / "Springfield Dental") are now suggestions, not
//! writes: the index offers them first (one edit away, a substituted letter included: "Smuth"
//! finds "Smith"). A person confirms them once (`--map`, `--id-map`, the mapping file).
//!
//! `words`: normalization and the word lists; `rules`: the rule on two names' words and its
//! reasons; `index`: the clients' names indexed for both tiers.

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
pub use rules::{compare, evaluate, typo_of_generic, Comparison, Eval, Reading, Verdict, TYPO_OK};
pub use words::{exact_key, fold, fuzzy_words, is_mark, normalize, readings, translit_equal, GENERIC, PLURAL_SAME};

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Vec<String> {
        normalize(s)
    }

    #[test]
    fn normalization_rules_with_their_examples() {
        assert_eq!(n("ACME, Inc."), vec!["acme", "#inc"]);
        assert_eq!(n("Acme L.L.C."), vec!["acme", "#llc"]);
        assert_eq!(n("Acme Limited"), n("ACME Ltd."), "two spellings of one legal form");
        assert_eq!(n("Smith & Jones, P.C."), n("Smith and Jones PC"));
        assert_eq!(n("Zoë's Café"), vec!["zoe's", "cafe"], "a possessive is kept, to be read with or without its s");
        assert_eq!(n("O'Connor Plumbing"), vec!["oconnor", "plumbing"]);
        assert_eq!(n("Dupont et Fils"), n("Dupont & Fils"));
        assert_eq!(n("Müller GmbH"), vec!["müller", "#gmbh"]);
        assert_eq!(n("The Johnson Group Ltd"), vec!["johnson", "group", "#ltd"]);
        assert_eq!(n("St. Mary's Church"), n("Saint Mary's Church"));
        assert_eq!(n("Acme Dental - Main Office"), vec!["acme", "dental", "#hq"]);
        assert_eq!(n("Acme Dental (HQ)"), vec!["acme", "dental", "#hq"]);
        assert_eq!(n("Acme HQ"), vec!["acme", "#hq"]);
        assert_eq!(n("Acme Head Office"), vec!["acme", "#hq"]);
        assert_eq!(n("Acme University Main Campus"), vec!["acme", "university", "#hq"]);
        assert_eq!(n("Acme Corporate HQ"), vec!["acme", "#hq"]);
        assert_eq!(n("The Company"), vec!["company"], "a leading The is harmless; a legal form never leaves nothing");
        assert_eq!(n("Smith Services"), n("Smith Service"));
        assert_eq!(n("Smith & Sons"), n("Smith & Son"));
        assert_eq!(n("Glass Works"), vec!["glass", "works"], "a plural outside PLURAL_SAME is another word");
        assert_eq!(n("Summit Securities"), vec!["summit", "securities"]);
        assert_eq!(n("Acme Assocs"), n("Acme Associates"));
        assert_eq!(n("ΟΔΌΣ Ltd"), n("Οδός Limited"));
        assert_eq!(n("Proﬁt Partners"), n("Profit Partners"));
        assert_eq!(n("Dr. Smith Dental"), n("Doctor Smith Dental"));
        assert_eq!(n("Hnos. Ruiz"), n("Hermanos Ruiz"));
        // Legal forms that are ordinary words count only written as legal forms.
        assert_eq!(n("Hotel Bellevue Spa"), vec!["hotel", "bellevue", "spa"]);
        assert_eq!(n("Ferrari S.p.A."), vec!["ferrari", "#spa"]);
        assert_eq!(n("Lincoln Park Zoo"), vec!["lincoln", "park", "zoo"]);
        assert_eq!(n("Kowalski Sp. z o.o."), vec!["kowalski", "#sp+oo"]);
        assert_eq!(n("Schmidt GmbH & Co. KG"), vec!["schmidt", "#gmbh+co+kg"]);
        assert_eq!(n("Müller Handel e.K."), vec!["müller", "handel", "#ek"]);
        assert_eq!(n("Sportverein Blau eV"), vec!["sportverein", "blau", "#ev"]);
        assert_eq!(n("Olivarera S.Coop."), vec!["olivarera", "#scoop"]);
        assert_eq!(n("Ruiz S.Com."), vec!["ruiz", "#scom"]);
        // Region and direction codes are legal forms only written as such.
        assert_eq!(n("Acme Plumbing SE"), vec!["acme", "plumbing", "se"]);
        assert_eq!(n("Acme S.E."), vec!["acme", "#se"]);
        assert_eq!(n("Acme SE & Co. KGaA"), vec!["acme", "#se+co+kgaa"]);
        assert_eq!(n("Grupo Bimbo SA de CV"), vec!["grupo", "bimbo", "#sa+cv"]);
        assert_eq!(n("Denver Plumbing CO"), vec!["denver", "plumbing", "co"]);
        assert_eq!(n("Smith & Co"), vec!["smith", "and", "#co"]);
        assert_eq!(n("Volvo AB"), vec!["volvo", "ab"]);
        // Qualifiers naming another site are distinctive.
        assert_eq!(n("Penrose Dental - Branch Office"), vec!["penrose", "dental", "branch", "office"]);
        assert_eq!(n("Acme - North Campus"), vec!["acme", "north", "campus"]);
        assert_eq!(n("Kessler Logistics Site"), vec!["kessler", "logistics", "site"]);
        // Repeats and order are kept; a plural is folded only on generic words.
        assert_eq!(n("Hartwell & Hartwell Dental"), vec!["hartwell", "and", "hartwell", "dental"]);
        assert_eq!(n("Daniels Accounting"), vec!["daniels", "accounting"]);
        // Unicode letters: dotted capital I, Vietnamese, decomposed accents, kept umlauts.
        assert_eq!(n("İstanbul Lojistik"), n("Istanbul Lojistik"));
        assert_eq!(n("Nguyễn Dental"), n("Nguyen Dental"));
        assert_eq!(n("Garcia Dental"), n("Garci\u{301}a Dental"));
        assert_eq!(n("Müller Bau"), n("Mu\u{308}ller Bau"));
        assert_eq!(n("Ødegaard Bygg"), n("Ödegaard Bygg"));
        // A comma inversion is marked, to be read both ways.
        assert_eq!(n("Madrid, Ayuntamiento de"), vec!["madrid", ",", "ayuntamiento", "de"]);
    }

    #[test]
    fn harmless_differences_match_with_their_examples() {
        let c = |a: &str, b: &str| compare(&n(a), &n(b));
        for (a, b) in [
            ("Acme Dental", "ACME  DENTAL, Inc."),
            ("Smith & Jones, P.C.", "Smith and Jones PC"),
            ("Zoë's Café", "Zoes Cafe LLC"),
            ("García Dental", "Garcia Dental"),
            ("Riverside Family Dentistry - Main Office", "Riverside Family Dentistry"),
            ("Riverside Family Dentistry Head Office", "Riverside Family Dentistry"),
            ("St. Mary's Catholic Church", "Saint Marys Catholic Church"),
            ("St. Jude's Catholic School", "Saint Jude Catholic School"),
            ("Hartwell Dental Services", "Hartwell Dental Service"),
            ("Hartwell Dentl Care", "Hartwell Dental Care"),
            ("Madrid, Ayuntamiento de", "Ayuntamiento de Madrid"),
            ("Acme Logistics Ltd", "Acme Logistics Limited"),
            ("Acme Logistics Inc", "Acme Logistics"),
            ("Stumpf GmbH & Co OHG", "Stumpf"),
            ("Schröder Bau", "Schroeder Bau"),
            ("Schröder Bau", "Schroder Bau"),
            ("Ødegaard Bygg", "Oedegaard Bygg"),
            ("Dr Smith Dental", "Doctor Smith Dental"),
            ("Müller Handel e.K.", "Müller Handel"),
        ] {
            let r = c(a, b);
            assert!(r.accepted, "{a} / {b}: {r:?}");
            let r = c(b, a);
            assert!(r.accepted, "{b} / {a}: {r:?}");
        }
    }

    #[test]
    fn any_other_difference_is_refused_with_its_reason() {
        let c = |a: &str, b: &str| compare(&n(a), &n(b));
        for (a, b, why) in [
            ("Daniels Accounting", "Daniel Accounting", "distinctive word"),
            ("Lucas Moretti Design", "Luca Moretti Design", "distinctive word"),
            ("Ekelund Bygg AB", "Eklund Bygg AB", "distinctive word"),
            ("Middleton Dental", "Middletown Dental", "distinctive word"),
            ("Lightning Electric", "Lighting Electric", "distinctive word"),
            ("Lincoln Park Zoo", "Lincoln Park", "one side only"),
            ("Hotel Bellevue Spa", "Hotel Bellevue", "one side only"),
            ("Kessler Logistics Site", "Kessler Logistics", "one side only"),
            ("Hartwell Dental Holdings", "Hartwell Dental", "one side only"),
            ("Meridian Wealth Partners", "Meridian Wealth", "one side only"),
            ("Forest Lake Family Dentistry", "Lake Forest Family Dentistry", "another order"),
            ("Cafe on the Park", "Cafe in the Park", "generic words may differ only"),
            ("Hartwell & Hartwell Dental", "Hartwell Dental", "one side only"),
            ("Smith Dental Care 2", "Smith Dental Care 3", "different numbers"),
            ("Springfield Dental Group", "Riverside Dental Group", "distinctive word"),
            ("Jonhson Controls", "Johnson Controls", "distinctive word"),
            ("Acme", "Acme Dental", "one-word name"),
            // Issue 29: each harmless difference aimed at another business.
            ("Summit Security", "Summit Securities", "distinctive word"),
            ("Heritage Home", "Heritage Homes", "distinctive word"),
            ("Collison Auto Repair", "Collision Auto Repair", "distinctive word"),
            ("Chappel Funeral Home", "Chapel Funeral Home", "distinctive word"),
            ("Halvorsen & Winslow LLP", "Halvorsen & Winslow LP", "legal forms differ ('LLP' / 'LP')"),
            ("Vertex Inc", "Vertex AG", "legal forms differ ('INC' / 'AG')"),
            ("Acme Dental - Branch Office", "Acme Dental - Main Office", "one side only"),
            ("Penrose Dental - Branch Office", "Penrose Dental", "one side only"),
            ("Acme Plumbing SE", "Acme Plumbing", "one side only"),
            ("Schroeder Bau", "Schroder Bau", "distinctive word"),
            ("Judes Bakery", "Jude Bakery", "distinctive word"),
            ("Stumpf GmbH & Co OHG", "Stumpf GmbH", "legal forms differ"),
        ] {
            for (x, y) in [(a, b), (b, a)] {
                let r = c(x, y);
                assert!(!r.accepted, "{x} / {y}: {r:?}");
                assert!(r.reason.contains(why) || x == b, "{x} / {y}: {}", r.reason);
            }
        }
    }

    #[test]
    fn typos_are_read_only_on_generic_words_and_only_as_typos() {
        use rules::typo_of_generic;
        assert!(typo_of_generic("dental", "dentl") && typo_of_generic("dental", "dentall"));
        assert!(typo_of_generic("dental", "dnetal") && typo_of_generic("plumbing", "plubming"));
        assert!(!typo_of_generic("lighting", "lightning"), "an added letter is no typo");
        assert!(!typo_of_generic("bakery", "baker"), "nor a dropped last letter");
        assert!(!typo_of_generic("dental", "rental"), "nor a substituted one");
        assert!(!typo_of_generic("johnson", "jonhson"), "nor anything on a distinctive word");
        assert!(!typo_of_generic("collision", "collison"), "nor on a word whose typo forms are names");
        assert!(!typo_of_generic("chapel", "chapl"), "not even its forms that are none");
    }

    #[test]
    fn the_explanation_names_each_word_and_what_the_rule_made_of_it() {
        let r = compare(&n("Hartwell Dental Holdings"), &n("Hartwell Dental"));
        assert!(r.words.contains("hartwell (distinctive): in both"), "{}", r.words);
        assert!(r.words.contains("holding (generic): only in the NinjaOne name"), "{}", r.words);
        let r = compare(&n("Hartwell Dentl Care"), &n("Hartwell Dental Care"));
        assert!(r.words.contains("read as 'dental'"), "{}", r.words);
        let r = compare(&n("Schröder Bau"), &n("Schroeder Bau"));
        assert!(r.words.contains("schröder (distinctive): in both (spelled 'schroeder' there)"), "{}", r.words);
    }

    #[test]
    fn index_finds_candidates_and_refuses_ties() {
        let idx = Index::new([
            "Johnson Controls",
            "Smith Dental Care",
            "Smith Dental Care Inc",
            "Acme",
            "Hartwell Dental Care",
            "Stumpf",
            "Stumpf GmbH & Co. OHG",
            "Schröder Bau",
        ]);
        assert!(matches!(idx.fuzzy("Hartwell Dentl Care"), Fuzzy::Match { idx: 4, .. }));
        assert!(matches!(idx.fuzzy("Smith Dental Care (HQ)"), Fuzzy::Ambiguous { .. }));
        assert!(matches!(idx.fuzzy("Smith Dental Care LLC"), Fuzzy::Match { idx: 1, .. }), "not the Inc");
        assert!(matches!(idx.fuzzy("Smith Dental Care, Inc."), Fuzzy::Match { idx: 2, .. }), "the one equal in full");
        assert!(matches!(idx.fuzzy("ACME, Inc."), Fuzzy::Match { idx: 3, .. }));
        assert!(matches!(idx.fuzzy("Stumpf GmbH & Co OHG"), Fuzzy::Match { idx: 6, .. }), "the one equal in full");
        assert!(matches!(idx.fuzzy("Schroeder Bau"), Fuzzy::Match { idx: 7, .. }));
        assert!(matches!(idx.fuzzy("Jonhson Controls"), Fuzzy::None), "a typo on a distinctive word");
        assert_eq!(idx.closest("Jonhson Controls", 1).first().map(|c| c.0), Some(0), "but it is suggested");
        assert_eq!(idx.closest("Smuth Dental Care", 1).first().map(|c| c.0), Some(1), "and a substituted letter");
        assert_eq!(idx.exact("  acme "), &[3]);
    }
}
