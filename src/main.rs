//! ninja-halo-sync: copies each NinjaOne organization's identifier into the matching HaloPSA
//! client's custom field. main is thin: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(ninja_halo_sync::run().code())
}
