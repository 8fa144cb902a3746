//! Everything the run prints goes through here: stdout lines, stderr diagnostics and the
//! `--log-file` copy, each passed through the secret redactor first. Network and
//! decision code never print directly.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

struct State {
    verbosity: Verbosity,
    log_file: Option<std::fs::File>,
    secrets: Vec<String>,
    /// stderr is a terminal: progress is one line redrawn in place.
    terminal: bool,
    /// A progress line is on screen and must be cleared before other output.
    progress_shown: bool,
    /// When the last plain progress line was printed (not on a terminal).
    last_progress: Option<std::time::Instant>,
}

/// Not on a terminal, a progress line at most this often.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

fn state() -> &'static Mutex<State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE.get_or_init(|| {
        use std::io::IsTerminal;
        Mutex::new(State {
            verbosity: Verbosity::Normal,
            log_file: None,
            secrets: Vec::new(),
            terminal: std::io::stderr().is_terminal(),
            progress_shown: false,
            last_progress: None,
        })
    })
}

fn lock() -> std::sync::MutexGuard<'static, State> {
    state().lock().unwrap_or_else(|e| e.into_inner())
}

pub fn set_verbosity(v: Verbosity) {
    lock().verbosity = v;
}

pub fn set_log_file(f: std::fs::File) {
    lock().log_file = Some(f);
}

/// Registers a value that must never be printed (client secrets, tokens, the agent password).
/// Values shorter than 4 characters are not registered: redacting them would mangle ordinary text.
pub fn add_secret(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < 4 {
        return;
    }
    let mut st = lock();
    if !st.secrets.iter().any(|s| s == secret) {
        st.secrets.push(secret.to_string());
        // Longest first, so a secret containing another is replaced whole.
        st.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// The text with every registered secret replaced by `***`, however the text spells it (see
/// `secret_at`), and with a secret's first `PREFIX_MIN` or more characters replaced too: an
/// error body that echoes part of a secret leaks that part. Redact whole texts before
/// clipping them: a cut secret is no longer found.
pub fn redact(text: &str) -> String {
    let st = lock();
    redact_with(&st.secrets, text)
}

/// A run of at least this many leading characters of a secret is redacted as if it were the
/// whole secret (shorter secrets are redacted only whole).
const PREFIX_MIN: usize = 8;

fn redact_with(secrets: &[String], text: &str) -> String {
    if secrets.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'text: while let Some(c) = text[i..].chars().next() {
        // Secrets are sorted longest first, so a secret that contains another is found whole.
        for s in secrets {
            if let Some(len) = secret_at(&text[i..], s) {
                out.push_str("***");
                i += len;
                continue 'text;
            }
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The length in bytes of the secret (or of a prefix of `PREFIX_MIN` characters or more) at the
/// start of `text`, each character spelled in any of the ways `char_at` knows, mixed freely.
fn secret_at(text: &str, secret: &str) -> Option<usize> {
    // Most positions of most texts do not start any spelling of the secret: said without
    // collecting its characters (this runs at every position of every line printed).
    if char_at(text, secret.chars().next()?) == [None, None] {
        return None;
    }
    let chars: Vec<char> = secret.chars().collect();
    // A character may match two ways (`\` itself, or the start of `\\`): the search tries both,
    // within a budget of steps so that no text makes it slow.
    let mut budget = 4 * chars.len() + 16;
    let (matched, len) = longest(text, &chars, &mut budget);
    (matched > 0 && (matched == chars.len() || matched >= PREFIX_MIN)).then_some(len)
}

/// How many of `chars` match at the start of `text`, and in how many bytes: the most found.
fn longest(text: &str, chars: &[char], budget: &mut usize) -> (usize, usize) {
    let Some(&c) = chars.first() else { return (0, 0) };
    let mut best = (0, 0);
    for len in char_at(text, c).into_iter().flatten() {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let (m, l) = longest(&text[len..], &chars[1..], budget);
        if m + 1 > best.0 {
            best = (m + 1, len + l);
        }
        if best.0 == chars.len() {
            break;
        }
    }
    best
}

/// The lengths in bytes (escaped first, then literal) of `c` at the start of `text`, written as
/// itself, percent-encoded (each UTF-8 byte, either hex case; `+` for a space, as form bodies
/// write it), JSON-escaped (`\\"`, `\\\\`, `\\/`, `\\n`..., `\\uXXXX` in either case, surrogate pairs
/// included) or as an HTML entity (`&amp;`, `&quot;`, `&#43;`, `&#x2B;`).
fn char_at(text: &str, c: char) -> [Option<usize>; 2] {
    let b = text.as_bytes();
    let literal = text.starts_with(c).then_some(c.len_utf8());
    let escaped = match b.first() {
        Some(b'+') if c == ' ' => Some(1),
        Some(b'%') => percent_at(text, c),
        Some(b'\\') => json_escape_at(text, c),
        Some(b'&') => entity_at(text, c),
        _ => None,
    };
    [escaped, literal]
}

fn percent_at(text: &str, c: char) -> Option<usize> {
    let mut utf8 = [0u8; 4];
    let mut at = 0;
    for &want in c.encode_utf8(&mut utf8).as_bytes() {
        let hex = text.get(at + 1..at + 3)?;
        if text.as_bytes().get(at) != Some(&b'%') || u8::from_str_radix(hex, 16).ok()? != want {
            return None;
        }
        at += 3;
    }
    Some(at)
}

fn entity_at(text: &str, c: char) -> Option<usize> {
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let entity = &text[1..end];
    let decoded = match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => entity.strip_prefix('#').and_then(|n| {
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }),
    };
    (decoded == Some(c)).then_some(end + 1)
}

fn json_escape_at(text: &str, c: char) -> Option<usize> {
    let simple = match c {
        '"' => Some('"'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        '\u{8}' => Some('b'),
        '\u{c}' => Some('f'),
        '\n' => Some('n'),
        '\r' => Some('r'),
        '\t' => Some('t'),
        _ => None,
    };
    if simple.is_some_and(|e| text[1..].starts_with(e)) {
        return Some(2);
    }
    let unit = |at: usize| -> Option<u16> {
        let t = text.get(at..at + 6)?;
        if !t.starts_with("\\u") {
            return None;
        }
        u16::from_str_radix(&t[2..], 16).ok()
    };
    let mut units = [0u16; 2];
    let want = c.encode_utf16(&mut units);
    for (k, &u) in want.iter().enumerate() {
        if unit(6 * k)? != u {
            return None;
        }
    }
    Some(6 * want.len())
}

/// A line as it may be printed: secrets redacted, and no control or bidirectional-override
/// character (names come from outside: a name must not move the cursor, recolour the terminal
/// or reorder what the line appears to say).
fn clean(secrets: &[String], line: &str) -> String {
    crate::util::printable(&redact_with(secrets, line))
}

fn to_log(st: &mut State, line: &str) {
    if let Some(f) = st.log_file.as_mut() {
        let stamp = crate::util::rfc3339(std::time::SystemTime::now());
        let _ = writeln!(f, "{stamp} {line}");
    }
}

/// Clears a live progress line before other output goes to the terminal.
fn clear_progress(st: &mut State) {
    if st.progress_shown {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        st.progress_shown = false;
    }
}

/// Where a long phase is (reading pages, waiting on the rate limit, writing). On a terminal a
/// live line on stderr, redrawn in place; otherwise a plain line at most every few seconds.
/// Never with --quiet.
pub fn progress(line: &str) {
    let mut st = lock();
    if st.verbosity == Verbosity::Quiet {
        return;
    }
    let line = clean(&st.secrets, line);
    if st.terminal {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K{line}");
        st.progress_shown = true;
    } else if st.last_progress.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
        st.last_progress = Some(std::time::Instant::now());
        to_log(&mut st, &line);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// Shows an event of the network layer: progress as progress, retries and token renewals as
/// information. The one place their text is written.
pub fn event(e: &crate::http::Event) {
    use crate::http::{Event, Phase};
    match e {
        Event::Waiting(d) => progress(&format!("waiting {:.0}s (rate limit or retry)", d.as_secs_f64())),
        Event::Retry { side, endpoint, why, attempt, of, wait } => {
            info(&format!("{} {endpoint}: {why}; retry {attempt}/{of} in {:.1}s", side.name(), wait.as_secs_f64()))
        }
        Event::TokenRenewed { side, endpoint } => {
            info(&format!("{} answered 401 to {endpoint}; renewing the token once", side.name()))
        }
        Event::OneByOneFallback { what, count } => info(&format!(
            "NinjaOne: the custom-field query endpoint is not available here; reading {count} {what} one by one"
        )),
        Event::Progress { side, what, done, total } => {
            let of = total.map_or("?".to_string(), |t| t.to_string());
            let side = side.name();
            progress(&match what {
                Phase::ListPages(what, page) => format!("{side}: reading {what}, page {page}, {done} of {of}"),
                Phase::OneByOne(what) => format!("{side}: reading {what} one by one, {done} of {of}"),
                Phase::NinjaList(what) => format!("{side}: reading {what}, {done} so far"),
                Phase::FieldValues(what) => format!("{side}: reading field values, {done} {what} so far"),
                Phase::FieldsOneByOne(what) => format!("{side}: reading {what}' fields one by one, {done} of {of}"),
                Phase::WroteBatch(what) => format!("{side}: wrote a batch of {done} {what}"),
            })
        }
    }
}

/// A line of the run's result on stdout (and in the log file). Shown even with --quiet.
pub fn result(line: &str) {
    let mut st = lock();
    clear_progress(&mut st);
    let line = clean(&st.secrets, line);
    to_log(&mut st, &line);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// Progress and diagnostics on stderr (and in the log file); hidden by --quiet.
pub fn info(line: &str) {
    emit(Verbosity::Normal, line);
}

/// Detail shown with --verbose only (always in the log file).
pub fn detail(line: &str) {
    emit(Verbosity::Verbose, line);
}

/// Warnings and errors: stderr even with --quiet.
pub fn warn(line: &str) {
    emit(Verbosity::Quiet, line);
}

fn emit(level: Verbosity, line: &str) {
    let mut st = lock();
    let line = clean(&st.secrets, line);
    to_log(&mut st, &line);
    if st.verbosity >= level {
        clear_progress(&mut st);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_plain_and_encoded() {
        let secrets = vec!["s3cr3t/+x".to_string()];
        assert_eq!(super::redact_with(&secrets, "a s3cr3t/+x b s3cr3t%2F%2Bx"), "a *** b ***");
        assert_eq!(super::redact_with(&secrets, "c s3cr3t%2f%2bx d s3cr3t\\/+x"), "c *** d ***");
        let quoted = vec![r#"p"q\r"#.to_string()];
        assert_eq!(super::redact_with(&quoted, r#"{"e":"p\"q\\r"}"#), r#"{"e":"***"}"#);
    }

    #[test]
    fn redacts_unicode_escapes_html_entities_and_prefixes() {
        let secrets = vec!["Ab+c/d&e<f>g\"h'i j~k_9".to_string()];
        let r = |t: &str| super::redact_with(&secrets, t);
        // .NET's JSON writer escapes + & < > ' as \u00XX (either case of hex).
        assert_eq!(r(r#"x Ab\u002Bc\/d\u0026e\u003cf\u003Eg\"h\u0027i j~k_9 y"#), "x *** y");
        assert_eq!(r("x Ab&#43;c/d&amp;e&lt;f&gt;g&quot;h&#x27;i j~k_9 y"), "x *** y");
        assert_eq!(r("x Ab%2bc%2Fd%26e%3Cf%3eg%22h%27i+j%7Ek_9 y"), "x *** y");
        // The first 8 characters or more are as good as the whole secret; fewer are not.
        assert_eq!(r("echo: Ab+c/d&e<f>g\"h'i…"), "echo: ***…");
        assert_eq!(r("echo: Ab+c/d&e"), "echo: ***");
        assert_eq!(r("echo: Ab+c/d&"), "echo: Ab+c/d&");
        // Non-ASCII characters, percent-encoded byte by byte or as surrogate pairs.
        let uni = vec!["päss🔑wörd-1".to_string()];
        assert_eq!(super::redact_with(&uni, "a p%C3%A4ss%F0%9F%94%91w%c3%b6rd-1 b"), "a *** b");
        assert_eq!(super::redact_with(&uni, r"a p\u00e4ss\ud83d\udd11w\u00F6rd-1 b"), "a *** b");
        // A short secret is redacted only whole, and ordinary text is left alone.
        let short = vec!["k3y!".to_string()];
        assert_eq!(super::redact_with(&short, "k3y k3y! &amp; 100%"), "k3y *** &amp; 100%");
    }
}
