//! Command-line phase 1: raw arguments, checked only for shape (lexopt, strict).
//! The flag table here is the single source of the parser, the help text and the
//! environment variable names; config.rs turns raw arguments into validated settings.

use std::ffi::OsString;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Takes a value; the last one given wins.
    Value,
    /// Takes a value; may be given many times.
    Repeat,
    /// On/off; the environment takes 1/true/yes/on or 0/false/no/off.
    Switch,
}

pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub value_name: &'static str,
    pub env: Option<&'static str>,
    pub default: Option<&'static str>,
    pub kind: Kind,
    pub help: &'static str,
}

const fn f(
    long: &'static str,
    value_name: &'static str,
    env: Option<&'static str>,
    default: Option<&'static str>,
    kind: Kind,
    help: &'static str,
) -> Flag {
    Flag { long, short: None, value_name, env, default, kind, help }
}

use Kind::*;

/// The environment variables a proxy is taken from when --proxy is not given, in this order.
pub const PROXY_ENV: [&str; 3] = ["HTTPS_PROXY", "ALL_PROXY", "HTTP_PROXY"];

/// Every option, in help order. Secrets have no flag on purpose: a flag shows in the process list.
#[rustfmt::skip]
pub const FLAGS: &[Flag] = &[
    f("halo-url", "URL", Some("HALO_URL"), None, Value, "Halo resource server root, e.g. https://psa.example.com (a trailing /api is stripped). Required."),
    f("halo-auth-url", "URL", Some("HALO_AUTH_URL"), Some("auth_url of <halo-url>/api/authinfo, else <halo-url>/auth"), Value, "Halo authorisation server; the token endpoint is <auth-url>/token."),
    f("halo-tenant", "NAME", Some("HALO_TENANT"), None, Value, "Sent as ?tenant=NAME on the token request (Halo-hosted instances)."),
    f("halo-client-id", "ID", Some("HALO_CLIENT_ID"), None, Value, "Halo API application Client ID. Required."),
    f("halo-client-secret-file", "PATH", Some("HALO_CLIENT_SECRET_FILE"), None, Value, "Read the Halo client secret from this file (else env HALO_CLIENT_SECRET)."),
    f("halo-client-secret-field", "FIELD", Some("HALO_CLIENT_SECRET_FIELD"), None, Value, "On a NinjaOne agent: read the Halo client secret from this (secure) custom field via ninjarmm-cli."),
    f("halo-scope", "SCOPES", Some("HALO_SCOPE"), Some("read:customers edit:customers"), Value, "Scopes requested from Halo."),
    f("ninja-url", "URL", Some("NINJA_URL"), Some("from --ninja-region"), Value, "NinjaOne API root; give this or --ninja-region, not both."),
    f("ninja-region", "REGION", Some("NINJA_REGION"), Some("us"), Value, "us (app), us2, eu, ca, oc or fed: picks https://<region>.ninjarmm.com."),
    f("ninja-client-id", "ID", Some("NINJA_CLIENT_ID"), None, Value, "NinjaOne API client id (client credentials). Required."),
    f("ninja-client-secret-file", "PATH", Some("NINJA_CLIENT_SECRET_FILE"), None, Value, "Read the NinjaOne client secret from this file (else env NINJA_CLIENT_SECRET)."),
    f("ninja-client-secret-field", "FIELD", Some("NINJA_CLIENT_SECRET_FIELD"), None, Value, "On a NinjaOne agent: read the NinjaOne client secret from this (secure) custom field via ninjarmm-cli."),
    f("ninja-field", "NAME", Some("NINJA_FIELD"), Some("dtcOrgGuid"), Value, "NinjaOne organization custom field that holds the value."),
    f("halo-field", "NAME", Some("HALO_FIELD"), Some("CFDtcClientGuid"), Value, "Halo client custom field to write: the internal CF... name, not the label."),
    f("ninja-location-field", "NAME", Some("NINJA_LOCATION_FIELD"), None, Value, "NinjaOne location custom field that holds each location's value, e.g. dtcLocationGuid. With --halo-site-field: sites are synced too, inside each certain organization-client link."),
    f("halo-site-field", "NAME", Some("HALO_SITE_FIELD"), None, Value, "Halo site custom field to write each location's value to (internal CF... name, FieldInfo typeid 3). Give both site options or neither."),
    f("map", "NINJA=HALO", Some("NAME_MAP"), None, Repeat, "Manual mapping: Ninja org name = Halo client name or #id. Repeatable; env: pairs separated by ';'."),
    f("map-file", "PATH", Some("MAP_FILE"), None, Value, "Mapping table: CSV with header ninja,halo, or a JSON object {\"ninja\": \"halo\"}."),
    f("ignore", "NAME", Some("IGNORE_ORGS"), None, Repeat, "Ninja org never synced nor reported as needing attention. Repeatable; env: names separated by ';'."),
    f("id-map", "ORG=CLIENT", Some("ID_MAP"), None, Repeat, "Manual mapping by ids: NinjaOne organization id = Halo client id (or #id). Repeatable; env: pairs separated by commas or spaces, e.g. 12=345, 13=346. Only digits, #, =, commas and spaces: safe in a NinjaOne Script Variable."),
    f("ignore-id", "ORG", Some("IGNORE_IDS"), None, Repeat, "Like --ignore, by NinjaOne organization id. Repeatable; env: ids separated by commas or spaces."),
    f("ninja-link-field", "NAME", Some("NINJA_LINK_FIELD"), None, Value, "NinjaOne organization custom field that names the organization's Halo client (1234, #1234 or the exact client name): a manual mapping kept on the organization, read in the same query as the value."),
    f("native-links", "MODE", Some("NATIVE_LINKS"), Some("auto"), Value, "Halo's own NinjaOne link (ninjarmmid), which Halo shows on each client's record, not on list rows: auto reads it from the records a decision depends on (each client a name is about to write to and, while some organization with a value has no client holding it, every client holding no organization's value: about one request per client on a first run); targets reads only the clients about to be written (faster first runs; an organization Halo links to a client no name points to is not seen); off ignores it."),
    f("no-native-link", "", Some("NO_NATIVE_LINK"), None, Switch, "The same as --native-links off."),
    f("no-fuzzy", "", Some("NO_FUZZY"), None, Switch, "Disable the fuzzy (word overlap) tier."),
    f("overwrite", "", Some("OVERWRITE"), None, Switch, "Replace a different existing Halo value (linked, manual and exact matches only)."),
    f("any-value", "", Some("ANY_VALUE"), None, Switch, "Sync any non-empty text, not only GUIDs."),
    f("include-inactive", "", Some("INCLUDE_INACTIVE"), None, Switch, "Also match inactive Halo clients."),
    f("dry-run", "", Some("DRY_RUN"), None, Switch, "Plan and report; write nothing."),
    f("report", "PATH", Some("REPORT"), None, Value, "Write the JSON report here."),
    f("log-file", "PATH", Some("LOG_FILE"), None, Value, "Append a timestamped copy of the run's log here."),
    f("check", "", None, None, Switch, "Check the configuration and exit: sign in to both sides, look up both fields, read one page of each, print a checklist of what to fix and where. Writes nothing; exit 0 when a sync can run, else 1."),
    f("explain", "NAME", None, None, Value, "Print how one Ninja organization matches (normalized name, top candidates, reasons) and exit."),
    f("suggest-map", "PATH", None, None, Value, "Plan only (implies --dry-run: nothing is written) and write a reviewable mapping CSV for the organizations that need a person: each row's best candidate behind a '?', which is skipped until a person deletes it."),
    f("timeout", "SECONDS", Some("TIMEOUT"), Some("60"), Value, "Timeout of each request."),
    f("deadline", "SECONDS", Some("DEADLINE"), Some("21600 (6 hours)"), Value, "Stop sending requests when the whole run takes longer: exit 1 while reading (nothing written), 2 once writing has begun (the rest failed). The default leaves room for the slowest tenants (about 70 minutes of reads at 10,000 clients whose list rows lack values); a server that refuses every request for 10 minutes ends the run sooner."),
    f("halo-rate", "N/SECONDS", Some("HALO_RATE"), Some("450/180"), Value, "Pace Halo requests to at most N per SECONDS (fair-use limit)."),
    f("ca-file", "PEM", Some("CA_FILE"), None, Value, "Extra trusted CA certificates (PEM), e.g. a TLS-inspecting firewall's."),
    f("proxy", "URL", Some(PROXY_ENV[0]), None, Value, "HTTP(S) proxy (else the environment's HTTPS_PROXY, ALL_PROXY or HTTP_PROXY, in that order); NO_PROXY is honoured."),
    f("ninja-status-field", "NAME", Some("NINJA_STATUS_FIELD"), None, Value, "On a NinjaOne agent: write the run's one-line outcome to this device custom field."),
    Flag { long: "quiet", short: Some('q'), value_name: "", env: None, default: None, kind: Switch, help: "Only the result lines and errors." },
    Flag { long: "verbose", short: Some('v'), value_name: "", env: None, default: None, kind: Switch, help: "Also every request and decision detail on stderr." },
    Flag { long: "help", short: Some('h'), value_name: "", env: None, default: None, kind: Switch, help: "Print this help and exit." },
    Flag { long: "version", short: Some('V'), value_name: "", env: None, default: None, kind: Switch, help: "Print version, commit, build date and target, and exit." },
];

pub fn flag(long: &str) -> &'static Flag {
    FLAGS.iter().find(|f| f.long == long).expect("flag in table")
}

/// What the command line said, in order, before any validation of values.
#[derive(Default, Debug)]
pub struct RawArgs {
    pub values: Vec<(&'static str, String)>,
    pub switches: Vec<&'static str>,
}

impl RawArgs {
    pub fn last(&self, long: &str) -> Option<&str> {
        self.values.iter().rev().find(|(k, _)| *k == long).map(|(_, v)| v.as_str())
    }
    pub fn all(&self, long: &str) -> Vec<&str> {
        self.values.iter().filter(|(k, _)| *k == long).map(|(_, v)| v.as_str()).collect()
    }
    pub fn has(&self, long: &str) -> bool {
        self.switches.contains(&long)
    }
}

/// What is wrong with the command line (rendered in hints.rs).
#[derive(Debug, Clone, PartialEq)]
pub enum UsageError {
    /// An option not in the table, and the closest one that is.
    Unknown {
        name: String,
        closest: Option<&'static str>,
    },
    /// An option that looks like a secret: secrets are never flags.
    SecretFlag(String),
    UnknownShort(char),
    /// A word that is not an option.
    Positional(String),
    MissingValue {
        flag: &'static str,
        value_name: &'static str,
    },
    NotUtf8(&'static str),
    /// What the argument parser said otherwise.
    Other(String),
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<RawArgs, UsageError> {
    use lexopt::Arg;
    let mut parser = lexopt::Parser::from_args(args);
    let mut raw = RawArgs::default();
    loop {
        let arg = parser.next().map_err(|e| UsageError::Other(e.to_string()))?;
        let Some(arg) = arg else { break };
        let flag = match arg {
            Arg::Long(name) => FLAGS.iter().find(|f| f.long == name).ok_or_else(|| {
                if name.contains("secret") && !name.ends_with("file") && !name.ends_with("field") {
                    UsageError::SecretFlag(name.to_string())
                } else {
                    UsageError::Unknown { name: name.to_string(), closest: closest_flag(name) }
                }
            })?,
            Arg::Short(c) => FLAGS.iter().find(|f| f.short == Some(c)).ok_or(UsageError::UnknownShort(c))?,
            Arg::Value(v) => return Err(UsageError::Positional(v.to_string_lossy().into_owned())),
        };
        match flag.kind {
            Kind::Switch => raw.switches.push(flag.long),
            Kind::Value | Kind::Repeat => {
                let v = parser
                    .value()
                    .map_err(|_| UsageError::MissingValue { flag: flag.long, value_name: flag.value_name })?;
                let v = v.into_string().map_err(|_| UsageError::NotUtf8(flag.long))?;
                raw.values.push((flag.long, v));
            }
        }
    }
    Ok(raw)
}

fn closest_flag(name: &str) -> Option<&'static str> {
    FLAGS.iter().map(|f| (strsim::levenshtein(name, f.long), f.long)).filter(|(d, _)| *d <= 3).min().map(|(_, l)| l)
}

/// The help text, generated from the flag table.
pub fn help() -> String {
    let mut s = String::new();
    s.push_str(concat!(
        "ninja-halo-sync ",
        env!("CARGO_PKG_VERSION"),
        "\nCopies each NinjaOne organization's identifier (an organization custom field) into the\n",
        "matching HaloPSA client's custom field. Matching, identity before names: already linked,\n",
        "manual mapping (names, ids, a link field), Halo's own NinjaOne link, exact name, then names\n",
        "that differ only in harmless ways. Never writes to an ambiguous or wrong client.\n\n",
        "USAGE: ninja-halo-sync [OPTIONS]\n\n",
        "Every option can also come from the environment variable shown (names are matched\n",
        "ignoring case and underscores, so NinjaOne Script Variables such as haloClientSecret work;\n",
        "empty or 'null' means unset). A flag beats the environment, the environment the default.\n\n",
        "SECRETS (environment or file only, never flags):\n",
        "  HALO_CLIENT_SECRET     Halo API application Client Secret\n",
        "  NINJA_CLIENT_SECRET    NinjaOne API client secret\n\n",
        "OPTIONS:\n"
    ));
    for fl in FLAGS {
        let mut left = match fl.short {
            Some(c) => format!("  -{c}, --{}", fl.long),
            None => format!("      --{}", fl.long),
        };
        if !fl.value_name.is_empty() {
            left.push(' ');
            left.push_str(fl.value_name);
        }
        s.push_str(&left);
        s.push('\n');
        s.push_str(&wrap(fl.help, 96, "          "));
        // On a line of their own, so they are never wrapped apart.
        let mut extra = Vec::new();
        if let Some(e) = fl.env {
            extra.push(format!("[env: {e}]"));
        }
        if let Some(d) = fl.default {
            extra.push(format!("[default: {d}]"));
        }
        if !extra.is_empty() {
            s.push_str(&format!("          {}\n", extra.join(" ")));
        }
    }
    s.push_str("\nEXIT CODES:\n");
    for e in crate::report::Exit::ALL {
        s.push_str(&format!("  {}  {}\n", e.code(), e.description()));
    }
    s
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_string();
        } else if line.is_empty() {
            line.push_str(indent);
        } else if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub fn version() -> String {
    format!(
        "ninja-halo-sync {} (commit {}, built {}, target {})",
        env!("CARGO_PKG_VERSION"),
        env!("NHS_GIT_COMMIT"),
        env!("NHS_BUILD_DATE"),
        env!("NHS_TARGET")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<RawArgs, String> {
        parse(args.iter().map(OsString::from)).map_err(|e| e.to_string())
    }

    #[test]
    fn strict_parsing() {
        assert!(p(&["--halo-url", "x", "--dry-run"]).is_ok());
        assert!(p(&["--halo-url=x"]).is_ok());
        let e = p(&["--dryrun"]).unwrap_err();
        assert!(e.contains("did you mean --dry-run"), "{e}");
        let e = p(&["--halo-client-secret", "x"]).unwrap_err();
        assert!(e.contains("never taken on the command line"), "{e}");
        assert!(p(&["stray"]).is_err());
        assert!(p(&["--halo-url"]).is_err());
    }

    #[test]
    fn help_lists_every_flag_and_env() {
        let h = help();
        for fl in FLAGS {
            assert!(h.contains(&format!("--{}", fl.long)), "{}", fl.long);
            if let Some(e) = fl.env {
                assert!(h.contains(e), "{e}");
            }
        }
    }
}
