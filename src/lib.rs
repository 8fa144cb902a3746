//! ninja-halo-sync as a library: the binary (src/main.rs) is a thin shell over `run`, which
//! parses, builds the settings and runs the mode asked for (--check, --explain, the sync).
//! The library exists so that property tests, fuzz targets and benchmarks can reach the pure
//! code (matching, plan, parsers); it is not a published API.

pub(crate) mod agent;
pub(crate) mod check;
pub(crate) mod cli;
pub mod config;
pub(crate) mod connect;
pub mod error;
pub(crate) mod explain;
pub(crate) mod files;
pub mod halo;
pub(crate) mod hints;
pub mod http;
pub(crate) mod level;
pub(crate) mod lock;
pub mod matching;
pub mod ninja;
pub(crate) mod output;
pub mod plan;
pub(crate) mod redact;
pub mod report;
pub(crate) mod sites;
pub(crate) mod sync;
pub mod util;
pub(crate) mod write;

/// Parses the process's arguments and environment, runs the mode they ask for, and returns how
/// the run ended.
pub fn run() -> report::Exit {
    let env = config::Env::from_process();
    // The agent password is in every NinjaOne script's environment; never print it.
    if let Some(p) = env.get("NINJA_AGENT_PASSWORD") {
        redact::add_secret(p);
    }
    let parsed = cli::parse(std::env::args_os().skip(1));
    let mode = match parsed {
        Ok(raw) if raw.has("help") || raw.has("version") => config::settings(&raw, &env, config::Secrets::none()),
        Ok(raw) => {
            // The secrets first, whatever else is wrong: every error of the settings is
            // printed with them redacted.
            let secrets = config::secrets(&raw, &env);
            for s in &secrets.read {
                redact::add_secret(s);
            }
            config::settings(&raw, &env, secrets)
        }
        Err(e) => {
            for s in config::secrets(&cli::RawArgs::default(), &env).read {
                redact::add_secret(&s);
            }
            Err(config::ConfigError::Usage(e))
        }
    };
    let settings = match mode {
        Ok(config::Mode::Help) => {
            print!("{}", cli::help());
            return report::Exit::Ok;
        }
        Ok(config::Mode::Version) => {
            println!("{}", cli::version());
            return report::Exit::Ok;
        }
        Ok(config::Mode::Run(s)) => s,
        Err(e) => {
            output::warn(&format!("error: {e}"));
            output::warn("(usage: ninja-halo-sync [OPTIONS]; see --help)");
            return report::Exit::CouldNotRun;
        }
    };
    if let Some(password) = settings.http.proxy.as_deref().and_then(util::url_password) {
        redact::add_secret(password);
    }
    output::set_verbosity(settings.verbosity);
    if let Some(path) = &settings.log_file {
        match files::open_private_append(path) {
            Ok(f) => output::set_log_file(f),
            Err(e) => {
                output::warn(&format!("error: cannot open --log-file '{}': {e}", path.display()));
                return report::Exit::CouldNotRun;
            }
        }
    }
    for note in &settings.notes {
        output::warn(&format!("warning: {note}"));
    }
    // The modes: a checklist, one organization explained, or the sync.
    if settings.check {
        return check::run(&settings);
    }
    if let Some(name) = &settings.explain {
        return sync::explain(&settings, name);
    }
    sync::run(&settings)
}
