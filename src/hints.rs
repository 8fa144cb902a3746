//! What the user reads when the settings cannot be used: every configuration error rendered to
//! text, with what to do next, in one place (the errors themselves are data: `ConfigError`,
//! `UsageError`, `MapError`, `UrlError`). In the operator's world settings are NinjaOne Script
//! Variables, so a hint names the variable as NinjaOne shows it beside the flag.

use crate::cli::{self, UsageError};
use crate::config::{secret_source, ConfigError, MapError, SecretError, SecretFrom, UrlShape};
use crate::http::Side;
use crate::util::{printable, UrlError};
use std::fmt;

/// `HALO_CLIENT_ID` -> `haloClientId`, the calculated name NinjaOne gives a Script Variable.
pub fn camel(env: &str) -> String {
    let mut out = String::new();
    for (i, part) in env.split('_').enumerate() {
        let lower = part.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut c = lower.chars();
            if let Some(first) = c.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(c.as_str());
            }
        }
    }
    out
}

/// A setting as the operator meets it, the NinjaOne Script Variable first:
/// `haloClientId / HALO_CLIENT_ID / --halo-client-id`.
pub fn setting(flag: &str) -> String {
    match cli::flag(flag).env {
        Some(env) => format!("{} / {env} / --{flag}", camel(env)),
        None => format!("--{flag}"),
    }
}

/// A side's client secret as the operator sets it: the secure custom field (the way the
/// deployment guide recommends), or the variable.
pub fn secret_setting(side: Side) -> String {
    let src = secret_source(side);
    format!(
        "the client secret ({}, a secure custom field's name; or {} / {})",
        setting(src.field_flag),
        camel(src.env),
        src.env
    )
}

/// The environment variable of a flag ("" where it has none).
fn env_of(flag: &str) -> &'static str {
    cli::flag(flag).env.unwrap_or("")
}

fn wrong_url(f: &mut fmt::Formatter<'_>, flag: &str, url: &str, why: UrlShape) -> fmt::Result {
    let (is, root) = match why {
        UrlShape::HaloAuthServer => ("Halo's authorisation server", "the resource server root"),
        UrlShape::TokenEndpoint => ("a token endpoint", "the API root"),
        UrlShape::NinjaOauth => ("NinjaOne's sign-in path (/ws)", "the API root"),
    };
    write!(
        f,
        "{} '{}' is {is}, not {root}: set it to {} (the program finds the token endpoint from it)",
        setting(flag),
        printable(url),
        url_root(url)
    )
}

/// The scheme and host of a URL: what the root of an API is.
fn url_root(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split(['/', '?', '#']).next().unwrap_or(rest)),
        None => url.to_string(),
    }
}

/// A URL that cannot be used, introduced by `what` (a flag, or where the URL came from).
pub fn url_problem(what: &str, why: &UrlError) -> String {
    match why {
        UrlError::Credentials { host } => format!(
            "{what} carries credentials ('…@{host}'): the API is authenticated by client id and secret, never \
             inside the URL; remove the part before '@'"
        ),
        UrlError::Backslash(url) => format!("{what} '{url}' contains a backslash; URLs use forward slashes"),
        UrlError::WhiteSpace(url) => format!("{what} '{}' contains white space; it is not a URL", printable(url)),
        UrlError::PlainHttp(url) => {
            format!("{what} '{url}' uses plain http://; only https:// is allowed (http:// only for localhost)")
        }
        UrlError::NotAUrl(url) => {
            format!("{what} '{url}' is not a URL; expected something like https://host.example.com")
        }
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Unknown { name, closest } => {
                let hint = closest.map(|c| format!(" (did you mean --{c}?)")).unwrap_or_default();
                write!(f, "unknown option --{name}{hint}; see --help")
            }
            UsageError::SecretFlag(name) => write!(
                f,
                "--{name} is not an option: secrets are never taken on the command line; set the environment \
                 variable, or use --halo-client-secret-file / --ninja-client-secret-file, or a secure custom field \
                 with --halo-client-secret-field / --ninja-client-secret-field"
            ),
            UsageError::UnknownShort(c) => write!(f, "unknown option -{c}; see --help"),
            UsageError::Positional(v) => {
                write!(f, "unexpected argument '{v}': this program takes only options; see --help")
            }
            UsageError::MissingValue { flag, value_name } => write!(f, "--{flag} needs a value ({value_name})"),
            UsageError::NotUtf8(flag) => write!(f, "--{flag}: the value is not valid UTF-8"),
            UsageError::Other(what) => f.write_str(what),
        }
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::NotJson(e) => write!(f, "not a valid JSON object: {e}"),
            MapError::NotAString(k) => write!(f, "the value for \"{k}\" must be a string"),
            MapError::EmptyEntry(k) => write!(f, "the entry \"{k}\": both names must be non-empty"),
            MapError::Unclosed { line } => write!(f, "line {line}: a quoted field is not closed"),
            MapError::Header { line, found } => write!(
                f,
                "line {line}: the first line must be the header 'ninja,halo' (or 'ninja,halo,ninja_id,halo_id'), \
                 found '{found}'"
            ),
            MapError::Columns { line, expected, found } => {
                write!(f, "line {line}: expected {expected} fields, found {found}; quote names that contain commas")
            }
            MapError::EmptyName { line } => write!(f, "line {line}: both names must be non-empty"),
            MapError::Empty => f.write_str("empty: expected the header 'ninja,halo' and one row per mapping"),
        }
    }
}

fn secret_problem(f: &mut fmt::Formatter<'_>, side: Side, why: &SecretError) -> fmt::Result {
    let src = secret_source(side);
    let what = match side {
        Side::Halo => "The Halo client secret",
        Side::Ninja => "The NinjaOne client secret",
    };
    match why {
        SecretError::NotSet => write!(
            f,
            "{what} is not set: on the NinjaOne agent, keep it in a secure custom field and name that field in \
             {} (the way docs/deploying.md shows); or set {} ({}), or pass --{} PATH; secrets are never accepted \
             as flags",
            setting(src.field_flag),
            camel(src.env),
            src.env,
            src.file_flag
        ),
        SecretError::FromField(e) => write!(f, "{what} (from the field named by --{}): {e}", src.field_flag),
        SecretError::File(e) => write!(
            f,
            "cannot read {what} from the file named by --{} ({}): {e}. The value is not shown; if it is the secret \
             itself rather than a path, put it in {} instead",
            src.file_flag,
            camel(env_of(src.file_flag)),
            src.env
        ),
        SecretError::FileEmpty(path) => write!(f, "{what} file '{path}' is empty"),
        SecretError::TooShort { from, chars } => {
            let where_from = match from {
                SecretFrom::Env => format!("{} (in NinjaOne, the Script Variable {})", src.env, camel(src.env)),
                SecretFrom::File => format!("the file named by --{}", src.file_flag),
                SecretFrom::Field => format!("the custom field named by --{}", src.field_flag),
            };
            write!(
                f,
                "{what} in {where_from} is {chars} characters long, shorter than any real client secret ({} or more); \
                 check that the whole secret was pasted (the value is not shown)",
                crate::config::SECRET_MIN
            )
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Usage(e) => e.fmt(f),
            ConfigError::Contradict(a, b) => match (env_of(a), env_of(b)) {
                ("", _) | (_, "") => write!(f, "--{a} and --{b} contradict each other; give one"),
                (ea, eb) => write!(f, "--{a} and --{b} ({ea}, {eb}) contradict each other; give one"),
            },
            ConfigError::NotSet { flag, what } => write!(
                f,
                "{what} is not set: set the Script Variable {} (in NinjaOne; elsewhere the environment variable {}), \
                 or pass --{flag}",
                camel(env_of(flag)),
                env_of(flag)
            ),
            ConfigError::WrongUrl { flag, url, why } => wrong_url(f, flag, url, *why),
            ConfigError::NotYesNo { var, value } => {
                write!(f, "{var}='{value}' is not a yes/no value; use 1/true/yes/on or 0/false/no/off")
            }
            ConfigError::Url { flag, why } => f.write_str(&url_problem(&format!("--{flag}"), why)),
            ConfigError::BadRegion(r) => write!(f, "--ninja-region '{r}' is not one of us, us2, eu, ca, oc, fed"),
            ConfigError::Seconds { flag, value, not_a_number: true } => {
                write!(f, "--{flag} '{value}' is not a number of seconds")
            }
            ConfigError::Seconds { flag, value, not_a_number: false } => {
                write!(f, "--{flag} '{value}' must be a positive number of seconds")
            }
            ConfigError::BadRate(v) => write!(f, "--halo-rate '{v}' must look like N/SECONDS, e.g. 450/180"),
            ConfigError::BadNativeLinks(v) => write!(
                f,
                "--native-links ({}, Script Variable {}) '{}' must be auto, targets or off",
                env_of("native-links"),
                camel(env_of("native-links")),
                printable(v)
            ),
            ConfigError::BadProxy(p) => write!(f, "--proxy '{p}' must be an http:// or https:// proxy URL"),
            ConfigError::NotAFieldName { flag, value } => {
                write!(f, "--{flag} '{}' is not a field name", printable(value))
            }
            ConfigError::LinkFieldIsValueField => f.write_str(
                "--ninja-link-field names the same field as --ninja-field; the link field holds the Halo client, the \
                 other the value",
            ),
            ConfigError::HalfOfSites(given) => {
                let other = if *given == "halo-site-field" { "ninja-location-field" } else { "halo-site-field" };
                write!(
                    f,
                    "--{given} ({}) is set but --{other} ({}) is not: the site level needs both fields, the NinjaOne \
                     location field to read and the Halo site field to write; set both, or neither",
                    env_of(given),
                    env_of(other)
                )
            }
            ConfigError::NotAFieldNameHidden { flag, var } => {
                write!(
                    f,
                    "--{flag} ({var}, Script Variable {}) does not hold a custom field name (a letter, then letters, \
                     digits or '_'); the value is not shown",
                    camel(var)
                )?;
                match [Side::Halo, Side::Ninja].into_iter().map(secret_source).find(|s| s.field_flag == *flag) {
                    Some(src) => write!(
                        f,
                        ". If it is the secret itself, put it in {} instead, or name the secure custom field that \
                         holds it",
                        src.env
                    ),
                    None => Ok(()),
                }
            }
            ConfigError::Secret { side, why } => secret_problem(f, *side, why),
            ConfigError::BadOrgId { flag, item, text } => {
                write!(f, "--{flag} '{item}': '{text}' is not a NinjaOne organization id (digits)")
            }
            ConfigError::BadIdMap(item) => {
                write!(f, "--id-map '{item}' must look like 12=345 (NinjaOne organization id = Halo client id)")
            }
            ConfigError::IdMappedTwice { ninja_id, first, second } => {
                write!(f, "--id-map names NinjaOne organization {ninja_id} twice: to {first} and to {second}; keep one")
            }
            ConfigError::BadMapPair { pair, empty_name: false } => {
                write!(f, "--map '{pair}' must look like \"Ninja name=Halo name\" (or =#id)")
            }
            ConfigError::BadMapPair { pair, empty_name: true } => {
                write!(f, "--map '{pair}': both names must be non-empty")
            }
            ConfigError::MappedTwice { ninja, first, second } => write!(
                f,
                "the mapping names Ninja organization '{ninja}' twice: to '{}' ({}) and to '{}' ({}); keep one",
                first.0, first.1, second.0, second.1
            ),
            ConfigError::MapFileUnreadable { path, error } => {
                write!(f, "cannot read the mapping file '{path}': {error}")
            }
            ConfigError::MapFile { path, why } => write!(f, "mapping file '{path}': {why}"),
        }
    }
}
