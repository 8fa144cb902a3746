//! Everything the run prints goes through here: stdout lines, stderr diagnostics and the
//! `--log-file` copy, each passed through the secret redactor (redact.rs) first. The network
//! layer and the write protocol report events and outcomes; sync.rs and check.rs say them here.

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

/// The longest line printed: every name and value in it is clipped already (`SHOWN_MAX`), so
/// only a line built from something unbounded comes near it.
pub const LINE_MAX: usize = 8_000;

/// A line as it may be printed: secrets redacted, no control or bidirectional-override
/// character (names come from outside: a name must not move the cursor, recolour the terminal
/// or reorder what the line appears to say), and bounded.
fn clean(line: &str) -> String {
    crate::redact::shown(line, LINE_MAX)
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
    let line = clean(line);
    if st.terminal {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K{line}");
        st.progress_shown = true;
    } else if st.last_progress.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
        st.last_progress = Some(std::time::Instant::now());
        to_log(&mut st, &line);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// Shows an event of the write protocol about `kind` records: a stop or a lost safeguard as a
/// warning, the search for a refused record as information, what the probe learned as detail.
pub fn write_event(e: &crate::write::Event, kind: crate::halo::Kind) {
    use crate::write::{Event, Said};
    let text = Said(e, kind).to_string();
    match e {
        Event::Stopping(_) | Event::ProbeRefused | Event::RelistFailed(_) => warn(&text),
        Event::Splitting(_) => info(&text),
        Event::WholeArrays { .. } => detail(&text),
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
        Event::Trace(line) => detail(line),
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
    let line = clean(line);
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
    let line = clean(line);
    to_log(&mut st, &line);
    if st.verbosity >= level {
        clear_progress(&mut st);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}
