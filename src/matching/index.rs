//! The clients' names indexed for the exact tier and for fuzzy candidate lookup.

use super::rules::*;
use super::words::*;
use super::*;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug)]
pub struct Scored {
    pub idx: usize,
    pub eval: Eval,
}

pub enum Fuzzy {
    Match { idx: usize, score: f64, reason: String, runner_up: Option<(usize, f64)> },
    Ambiguous { best: Vec<(usize, f64)>, reason: String },
    None,
}

/// The clients' names, indexed for the exact tier and for fuzzy candidate lookup. Words are
/// interned: a client's name is a list of word ids, and postings are indexed by id.
pub struct Index {
    exact: HashMap<String, Vec<usize>>,
    vocab: HashMap<String, u32>,
    texts: Vec<String>,
    flags: Vec<u8>,
    /// Each client's normalized name as word tokens.
    names: Vec<Vec<Tok>>,
    /// Word id -> clients whose name has it (ascending).
    postings: Vec<Vec<usize>>,
    /// A distinctive word and its one-letter deletions -> the vocabulary words they come from
    /// (typo lookup at word level, so a client is found once per neighbouring word).
    by_delete: HashMap<String, Vec<u32>>,
    /// A vocabulary word written with ä, ö or ü, by its spellings without them ("muller",
    /// "mueller" -> "müller"): how an organization's word finds its twin (`translit_equal`).
    translit: HashMap<String, Vec<u32>>,
}

impl Index {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Index {
        let mut idx = Index {
            exact: HashMap::new(),
            vocab: HashMap::new(),
            texts: Vec::new(),
            flags: Vec::new(),
            names: Vec::new(),
            postings: Vec::new(),
            by_delete: HashMap::new(),
            translit: HashMap::new(),
        };
        let mut raw_names: Vec<Vec<u32>> = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            idx.exact.entry(exact_key(name)).or_default().push(i);
            let mut ids = Vec::new();
            for w in fuzzy_words(name) {
                let id = match idx.vocab.get(&w) {
                    Some(&id) => id,
                    None => {
                        let id = idx.texts.len() as u32;
                        if (5..=MAX_TYPO_WORD).contains(&w.len()) && !is_mark(&w) {
                            for k in delete_keys(&w) {
                                idx.by_delete.entry(k).or_default().push(id);
                            }
                        }
                        if w.contains(KEPT) {
                            for k in translit_forms(&w) {
                                idx.translit.entry(k).or_default().push(id);
                            }
                        }
                        idx.vocab.insert(w.clone(), id);
                        idx.flags.push(word_flags(&w));
                        idx.texts.push(w.clone());
                        idx.postings.push(Vec::new());
                        id
                    }
                };
                // A mark is no word to look clients up by: its list would hold most clients.
                let p = &mut idx.postings[id as usize];
                if p.last() != Some(&i) && !is_mark(&w) {
                    p.push(i);
                }
                ids.push(id);
            }
            raw_names.push(ids);
        }
        let threshold = frequent_threshold(raw_names.len());
        for (id, p) in idx.postings.iter().enumerate() {
            if p.len() > threshold {
                idx.flags[id] |= FREQUENT_WORD;
            }
        }
        idx.names = raw_names
            .into_iter()
            .map(|ids| {
                ids.into_iter().map(|id| Tok::new(id, &idx.texts[id as usize], idx.flags[id as usize])).collect()
            })
            .collect();
        idx
    }

    pub fn exact(&self, name: &str) -> &[usize] {
        self.exact.get(&exact_key(name)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A client's normalized words.
    pub fn words(&self, client: usize) -> Vec<String> {
        self.names[client].iter().map(|t| self.texts[t.id as usize].clone()).collect()
    }

    /// An organization's words as tokens: known words get their id, unknown ones ids (from the
    /// top of the range) that match no client word; a word spelled with or without ä, ö, ü
    /// where one client word is that word spelled the other way gets that word as its `alt`.
    ///
    /// Also each word's neighbours among the clients' words, for the clients to look at: one
    /// edit away (`near_pair`) or spelled the other way. A word with two or more clients' words
    /// one typo away (one edit, no substituted letter) is flagged `AMBIGUOUS_TYPO` (the
    /// corrected spelling must be the only one).
    fn query_toks(&self, words: &[String]) -> (Vec<Tok>, Vec<Vec<u32>>) {
        let mut toks: Vec<Tok> = words
            .iter()
            .enumerate()
            .map(|(k, w)| match self.vocab.get(w) {
                Some(&id) => Tok::new(id, w, self.flags[id as usize]),
                None => Tok::new(u32::MAX - k as u32, w, word_flags(w)),
            })
            .collect();
        let mut neighbours = Vec::with_capacity(toks.len());
        for (t, w) in toks.iter_mut().zip(words) {
            if t.flags & (COMMA_MARK | MARKS) != 0 {
                neighbours.push(Vec::new());
                continue;
            }
            let twins = self.translit_twins(w);
            if let [one] = twins[..] {
                t.alt = one;
            }
            let (mut near, typos) = self.typo_neighbours(t, w);
            if typos > 1 {
                t.flags |= AMBIGUOUS_TYPO;
            }
            near.extend(twins);
            neighbours.push(near);
        }
        (toks, neighbours)
    }

    /// The clients' words that are `w` spelled the other way (`translit_equal`).
    fn translit_twins(&self, w: &str) -> Vec<u32> {
        if w.contains(KEPT) {
            translit_forms(w).iter().filter_map(|f| self.vocab.get(f).copied()).collect()
        } else {
            self.translit.get(w).cloned().unwrap_or_default()
        }
    }

    /// The text of a word id: the vocabulary's, or the query's own for words it does not know.
    fn text<'s>(&'s self, query: &'s [String], id: u32) -> &'s str {
        match self.texts.get(id as usize) {
            Some(t) => t,
            None => &query[(u32::MAX - id) as usize],
        }
    }

    /// Vocabulary words one edit away from `t` (`near_pair`; symmetric delete: the two words
    /// share a deletion key, or one is a deletion of the other), and how many of them are one
    /// typo away (no substituted letter).
    fn typo_neighbours(&self, t: &Tok, text: &str) -> (Vec<u32>, usize) {
        if !(5..=MAX_TYPO_WORD).contains(&text.len()) {
            return (Vec::new(), 0);
        }
        let mut out: Vec<u32> = Vec::new();
        for k in delete_keys(text) {
            if let Some(words) = self.by_delete.get(&k) {
                out.extend(words.iter().copied().filter(|&w| w != t.id && near_pair(text, &self.texts[w as usize])));
            }
        }
        out.sort_unstable();
        out.dedup();
        // One edit and not a substituted letter: a typo.
        let substituted = |o: &str| o.len() == text.len() && strsim::hamming(text, o) == Ok(1);
        let typos = out.iter().filter(|&&w| !substituted(&self.texts[w as usize])).count();
        (out, typos)
    }

    /// The rules for an organization's words against one client.
    pub fn evaluate(&self, words: &[String], client: usize) -> Eval {
        let (q, _) = self.query_toks(words);
        evaluate_toks(&q, &self.names[client], &|id| self.text(words, id))
    }

    /// `evaluate` with its reason in words, as this index sees the words.
    pub fn compare(&self, words: &[String], client: usize) -> Comparison {
        let (q, _) = self.query_toks(words);
        let e = evaluate_toks(&q, &self.names[client], &|id| self.text(words, id));
        let ambiguous = |w: &str| words.iter().zip(&q).any(|(x, t)| x == w && t.flags & AMBIGUOUS_TYPO != 0);
        describe(e, words, &self.words(client), &ambiguous)
    }

    /// Every client that could be a fuzzy match or is worth suggesting: shares a word that is
    /// neither generic nor frequent, or a word one typo away, or (for names made only of such
    /// words) shares all of them. Evaluated; the best `limit` returned, accepted ones first,
    /// then by score.
    pub fn candidates(&self, words: &[String], limit: usize) -> Vec<Scored> {
        let (q, neighbours) = self.query_toks(words);
        let text = |id: u32| self.text(words, id);
        let mut ids: Vec<usize> = Vec::new();
        let mut generic_only = true;
        for (t, near) in q.iter().zip(&neighbours) {
            if t.flags & (GENERIC_WORD | FREQUENT_WORD | COMMA_MARK | MARKS) != 0 {
                continue;
            }
            generic_only = false;
            if let Some(p) = self.postings.get(t.id as usize) {
                ids.extend(p);
            }
            // Near names too (a typo of a generic word, or the client a person should see when
            // a distinctive word differs by a letter); not through a frequent word's long list.
            for &n in near.iter().filter(|&&n| self.flags[n as usize] & FREQUENT_WORD == 0) {
                ids.extend(&self.postings[n as usize]);
            }
        }
        if generic_only {
            // Only the "same words" case can match: the clients holding every one of the words.
            let mut lists: Vec<&Vec<usize>> = Vec::new();
            for t in q.iter().filter(|t| t.flags & (COMMA_MARK | MARKS) == 0) {
                match self.postings.get(t.id as usize) {
                    Some(p) => lists.push(p),
                    None => return Vec::new(),
                }
            }
            lists.sort_by_key(|p| p.len());
            if let Some((first, others)) = lists.split_first() {
                ids = first.iter().copied().filter(|i| others.iter().all(|p| p.binary_search(i).is_ok())).collect();
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let mut scored: Vec<Scored> =
            ids.into_iter().map(|i| Scored { idx: i, eval: evaluate_toks(&q, &self.names[i], &text) }).collect();
        let order = |x: &Scored, y: &Scored| {
            y.eval
                .accepted()
                .cmp(&x.eval.accepted())
                .then(y.eval.score.total_cmp(&x.eval.score))
                .then(y.eval.shared.total_cmp(&x.eval.shared))
                .then(x.idx.cmp(&y.idx))
        };
        if scored.len() > limit && limit > 0 {
            scored.select_nth_unstable_by(limit - 1, order);
            scored.truncate(limit);
        }
        scored.sort_by(order);
        scored.truncate(limit);
        // Kept for every organization until the plan is made: only the best few, not the
        // capacity of all candidates scored.
        scored.shrink_to_fit();
        scored
    }

    /// The fuzzy tier for one name.
    pub fn fuzzy(&self, name: &str) -> Fuzzy {
        let words = fuzzy_words(name);
        self.decide(&words, &self.candidates(&words, FUZZY_KEEP))
    }

    /// The fuzzy tier from evaluated candidates: a unique best with a clear margin, or, of
    /// candidates within the margin, the only one equal to the name without forgiving anything
    /// (`Eval::whole`); else ambiguous.
    pub fn decide(&self, words: &[String], candidates: &[Scored]) -> Fuzzy {
        let accepted: Vec<&Scored> = candidates.iter().filter(|s| s.eval.accepted()).collect();
        let Some(&first) = accepted.first() else { return Fuzzy::None };
        let close = |s: &&Scored| first.eval.score - s.eval.score < MIN_MARGIN - 1e-9;
        let tied: Vec<&Scored> = accepted.iter().copied().take_while(close).collect();
        let whole: Vec<&Scored> = tied.iter().copied().filter(|s| s.eval.whole).collect();
        let best = match (tied.len(), whole.as_slice()) {
            (1, _) => first,
            (_, [only]) => only,
            _ => {
                return Fuzzy::Ambiguous {
                    reason: format!(
                        "{} Halo clients score within {:.0} points of each other",
                        tied.len(),
                        MIN_MARGIN * 100.0
                    ),
                    best: tied.iter().map(|s| (s.idx, s.eval.score)).collect(),
                }
            }
        };
        let runner_up = accepted.iter().find(|s| s.idx != best.idx).map(|s| (s.idx, s.eval.score));
        let mut reason = self.compare(words, best.idx).reason;
        if tied.len() > 1 {
            reason.push_str(&format!(
                "; of {} Halo clients as close, the only one with the same legal form and qualifier",
                tied.len()
            ));
        }
        Fuzzy::Match { idx: best.idx, score: best.eval.score, reason, runner_up }
    }

    /// The closest names for a person to look at (accepted or not), best first.
    pub fn closest(&self, name: &str, n: usize) -> Vec<(usize, f64)> {
        let words = fuzzy_words(name);
        self.closest_from(&words, &self.candidates(&words, n.max(FUZZY_KEEP)), n)
    }

    pub fn closest_from(&self, words: &[String], candidates: &[Scored], n: usize) -> Vec<(usize, f64)> {
        let mut out: Vec<(usize, Eval)> =
            candidates.iter().filter(|s| s.eval.score > 0.0).map(|s| (s.idx, s.eval)).collect();
        if out.is_empty() {
            // Nothing shares a distinctive word: fall back to generic-word overlap, bounded.
            let mut ids: Vec<usize> = Vec::new();
            for w in words.iter().filter(|w| !is_mark(w)) {
                if let Some(p) = self.vocab.get(w).map(|&id| &self.postings[id as usize]).filter(|p| p.len() <= 5_000) {
                    ids.extend(p);
                }
            }
            ids.sort_unstable();
            ids.dedup();
            let (q, _) = self.query_toks(words);
            let text = |id: u32| self.text(words, id);
            out = ids
                .into_iter()
                .map(|i| (i, evaluate_toks(&q, &self.names[i], &text)))
                .filter(|(_, e)| e.score > 0.0)
                .collect();
        }
        // By overlap, then by the words shared, then by client.
        let order = |a: &(usize, Eval), b: &(usize, Eval)| {
            b.1.score.total_cmp(&a.1.score).then(b.1.shared.total_cmp(&a.1.shared)).then(a.0.cmp(&b.0))
        };
        if out.len() > n && n > 0 {
            out.select_nth_unstable_by(n - 1, order);
        }
        out.truncate(n);
        out.sort_by(order);
        let mut out: Vec<(usize, f64)> = out.into_iter().map(|(i, e)| (i, e.score)).collect();
        // Kept for every organization until the report is written: only the few asked for, not
        // the capacity of every client scored (organizations x clients x 16 bytes otherwise).
        out.shrink_to_fit();
        out
    }
}
