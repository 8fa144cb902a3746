//! ninja-halo-sync: copies each NinjaOne organization's identifier into the matching HaloPSA
//! client's custom field. main is thin: parse, run, map the outcome to an exit code.

mod agent;
mod cli;
mod config;
mod explain;
mod halo;
mod http;
mod matching;
mod ninja;
mod output;
mod plan;
mod report;
mod sync;
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(run())
}

fn run() -> u8 {
    let env = config::Env::from_process();
    // The agent password is in every NinjaOne script's environment; never print it.
    if let Some(p) = env.get("NINJA_AGENT_PASSWORD") {
        output::add_secret(p);
    }
    let mode = cli::parse(std::env::args_os().skip(1)).and_then(|raw| config::settings(&raw, &env));
    let settings = match mode {
        Ok(config::Mode::Help) => {
            print!("{}", cli::help());
            return 0;
        }
        Ok(config::Mode::Version) => {
            println!("{}", cli::version());
            return 0;
        }
        Ok(config::Mode::Run(s)) => s,
        Err(e) => {
            output::warn(&format!("error: {e}"));
            output::warn("(usage: ninja-halo-sync [OPTIONS]; see --help)");
            return 1;
        }
    };
    output::add_secret(&settings.halo_client_secret.0);
    output::add_secret(&settings.ninja_client_secret.0);
    output::set_verbosity(settings.verbosity);
    if let Some(path) = &settings.log_file {
        match std::fs::OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => output::set_log_file(f),
            Err(e) => {
                output::warn(&format!("error: cannot open --log-file '{}': {e}", path.display()));
                return 1;
            }
        }
    }
    for note in &settings.notes {
        output::warn(&format!("warning: {note}"));
    }
    sync::run(&settings)
}
