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

/// The text with every registered secret replaced by `***`: as it is, percent-encoded (upper
/// and lower case hex, as form bodies and URLs carry it) and JSON-escaped (as an echoing error
/// body carries it). Redact whole texts before clipping them: a cut secret is no longer found.
pub fn redact(text: &str) -> String {
    let st = lock();
    redact_with(&st.secrets, text)
}

fn redact_with(secrets: &[String], text: &str) -> String {
    let mut out = text.to_string();
    for s in secrets {
        for spelling in spellings(s) {
            if out.contains(spelling.as_str()) {
                out = out.replace(spelling.as_str(), "***");
            }
        }
    }
    out
}

/// The ways a secret may appear in text: itself, percent-encoded (either hex case), and
/// JSON-escaped (`\"`, `\\`, and `\/` as some servers write a slash).
fn spellings(s: &str) -> Vec<String> {
    let upper = crate::util::pct(s);
    let lower = lower_hex_escapes(&upper);
    let json = s.replace('\\', "\\\\").replace('"', "\\\"");
    let json_slash = json.replace('/', "\\/");
    let mut v = vec![s.to_string(), upper, lower, json, json_slash];
    v.sort();
    v.dedup();
    v
}

/// "%2F" -> "%2f" (only the hex digits after each '%').
fn lower_hex_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_pct = 0;
    for c in s.chars() {
        if c == '%' {
            after_pct = 2;
            out.push(c);
        } else if after_pct > 0 {
            after_pct -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
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
}
