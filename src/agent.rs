//! The NinjaOne agent's command-line interface, `ninjarmm-cli`: reading a secret from a
//! (secure) custom field, and writing the run's one-line outcome to a device custom field.
//! Only used when the settings ask for it; the path can be overridden with NINJARMM_CLI
//! (tests use a fake).

use std::path::PathBuf;
use std::process::Command;

/// The CLI's usual place on each platform (NinjaOne documents these; scripts run as SYSTEM).
pub fn default_cli() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\NinjaRMMAgent\ninjarmm-cli.exe")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Applications/NinjaRMMAgent/programdata/ninjarmm-cli")
    } else {
        PathBuf::from("/opt/NinjaRMMAgent/programdata/ninjarmm-cli")
    }
}

pub struct Cli {
    pub path: PathBuf,
}

impl Cli {
    pub fn get(&self, field: &str) -> Result<String, String> {
        let out = Command::new(&self.path).arg("get").arg(field).output().map_err(|e| self.missing(e))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || text.is_empty() || text.eq_ignore_ascii_case("null") {
            return Err(format!(
                "ninjarmm-cli get {field} returned nothing (exit {}): check the custom field name and that the \
                 script runs as SYSTEM on a device that can read it",
                out.status.code().unwrap_or(-1)
            ));
        }
        Ok(text)
    }

    pub fn set(&self, field: &str, value: &str) -> Result<(), String> {
        let out = Command::new(&self.path).arg("set").arg(field).arg(value).output().map_err(|e| self.missing(e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "ninjarmm-cli set {field} failed (exit {}): {}",
                out.status.code().unwrap_or(-1),
                crate::util::clip(&String::from_utf8_lossy(&out.stderr), 200)
            ))
        }
    }

    fn missing(&self, e: std::io::Error) -> String {
        format!(
            "cannot run the NinjaOne agent CLI at {} ({e}); this option works only on a device with the NinjaOne agent \
             (set NINJARMM_CLI to its path if it lives elsewhere)",
            self.path.display()
        )
    }
}
