//! The typo rule against real names and words: every one-letter typo form of every generic word
//! and where it is found (tests/corpus/typo-forms.txt, written by typo-forms.py from the US
//! Census, Faker's name lists and two English dictionaries; CI regenerates it and fails on a
//! difference). A typo is forgiven only on the words none of whose forms is found anywhere.

use ninja_halo_sync::matching::{typo_of_generic, GENERIC, TYPO_OK};
use std::collections::{BTreeMap, BTreeSet};

/// Each generic word's typo forms, and for each the lists it is found in (empty: none).
fn forms() -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/typo-forms.txt")).unwrap();
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "a line of word, form, where: {line:?}");
        out.entry(f[0].to_string()).or_default().insert(f[1].to_string(), f[2].to_string());
    }
    out
}

/// Every word one edit from `w` over a-z: a letter dropped, added, substituted, or two
/// neighbours swapped.
fn one_edit(w: &str) -> BTreeSet<String> {
    let c: Vec<char> = w.chars().collect();
    let mut out = BTreeSet::new();
    for i in 0..=c.len() {
        for l in 'a'..='z' {
            let mut v = c.clone();
            v.insert(i, l);
            out.insert(v.into_iter().collect());
            if i < c.len() {
                let mut v = c.clone();
                v[i] = l;
                out.insert(v.into_iter().collect());
            }
        }
        if i < c.len() {
            let mut v = c.clone();
            v.remove(i);
            out.insert(v.into_iter().collect());
        }
        if i + 1 < c.len() {
            let mut v = c.clone();
            v.swap(i, i + 1);
            out.insert(v.into_iter().collect());
        }
    }
    out.remove(w);
    out
}

#[test]
fn the_file_covers_every_generic_word_of_five_letters_or_more() {
    let forms = forms();
    let words: BTreeSet<&str> = forms.keys().map(String::as_str).collect();
    let generic: BTreeSet<&str> = GENERIC.iter().copied().filter(|w| w.chars().count() >= 5).collect();
    assert_eq!(words, generic, "typo-forms.txt is stale: run tests/corpus/typo-forms.py");
}

#[test]
fn a_typo_is_forgiven_only_on_words_none_of_whose_forms_is_a_name_or_a_word() {
    let forms = forms();
    let clean: BTreeSet<&str> =
        forms.iter().filter(|(_, f)| f.values().all(String::is_empty)).map(|(w, _)| w.as_str()).collect();
    let ok: BTreeSet<&str> = TYPO_OK.iter().copied().collect();
    assert_eq!(ok, clean, "TYPO_OK must be exactly the words whose typo forms are found nowhere");
    let found: Vec<String> = forms
        .iter()
        .flat_map(|(w, f)| f.iter().filter(|(_, at)| !at.is_empty()).map(move |(o, at)| format!("{w}/{o} ({at})")))
        .collect();
    println!("{} generic words keep their typo forgiveness; {} forms are names or words:", ok.len(), found.len());
    println!("{}", found.join(", "));
}

#[test]
fn the_rule_accepts_exactly_the_forms_in_the_file_of_the_words_it_forgives() {
    let forms = forms();
    let mut checked = 0;
    for w in GENERIC {
        let listed = forms.get(*w);
        for o in one_edit(w) {
            let accepted = typo_of_generic(w, &o);
            let in_file = listed.is_some_and(|f| f.contains_key(&o));
            let forgiven = TYPO_OK.contains(w);
            assert_eq!(accepted, in_file && forgiven, "typo_of_generic({w:?}, {o:?})");
            checked += 1;
        }
    }
    assert!(checked > 50_000, "{checked} one-edit forms checked");
}
