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

/// Whether `name` has the shape of a NinjaOne custom field name: a letter, then letters, digits
/// or underscores, at most 64 characters (NinjaOne derives names such as `haloApiSecret` from
/// the label). Anything else (a secret pasted into the wrong variable, a path, a sentence) is
/// refused before it reaches a command line, where every local user could read it.
pub fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

pub struct Cli {
    pub path: PathBuf,
}

impl Cli {
    /// The value of a (secure) custom field. `field` must have the shape of a field name
    /// (`is_field_name`); the caller checks it, and the name is never repeated in an error: a
    /// secret pasted there by mistake must not reach the output.
    pub fn get(&self, field: &str) -> Result<String, String> {
        debug_assert!(is_field_name(field));
        let out = Command::new(&self.path).arg("get").arg(field).output().map_err(|e| self.missing(e))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || text.is_empty() || text.eq_ignore_ascii_case("null") {
            return Err(format!(
                "ninjarmm-cli get returned nothing for that field (exit {}): check the custom field's name and that \
                 the script runs as SYSTEM on a device that can read it",
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
