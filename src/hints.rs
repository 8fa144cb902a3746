//! What the user reads when something cannot be used: every configuration error and every API
//! error rendered to text, with what to do next, in one place (the errors themselves are data:
//! `ConfigError`, `UsageError`, `MapError`, `UrlError`; `ApiError`, `Exchange` and `PageError`
//! of the network layer). In the operator's world settings are NinjaOne Script Variables, so a
//! hint names the variable as NinjaOne shows it beside the flag.

use crate::cli::{self, UsageError};
use crate::config::{secret_source, ConfigError, MapError, SecretError, SecretFrom, UrlShape};
use crate::error::{Answered, ApiError, Body, Exchange, Side, TokenRefusal};
use crate::plan::Level;
use crate::util::{printable, PageError, UrlError, MAX_RECORDS};
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

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (method, url) = (self.method, &self.url);
        match &self.answer {
            Answered::Status { status, body } => {
                write!(f, "{method} {url} answered HTTP {status}: ")?;
                match body {
                    Body::Empty => f.write_str("an empty body"),
                    Body::Html(text) => write!(f, "an HTML page ({text})"),
                    Body::Text(text) => f.write_str(text),
                }
            }
            Answered::Failed(why) => write!(f, "{method} {url} failed: {why}"),
            Answered::Deadline => write!(f, "{method} {url} was not sent: the --deadline for the run has passed"),
            Answered::Refusing(side) => write!(
                f,
                "{method} {url} was not sent: {} has refused every request for {} minutes (rate limited, server \
                 errors or no answer), so the run stops; try again later, and check the API's status and rate limits",
                side.name(),
                crate::http::REFUSAL_LIMIT.as_secs() / 60
            ),
            Answered::TooLarge => write!(
                f,
                "{method} {url} answered with more than {} MB, far more than any page; the answer was refused (not \
                 retried): check the URL, a proxy or a gateway in between",
                crate::http::MAX_BODY / (1024 * 1024)
            ),
        }
    }
}

/// The words of a level's records on each side: (NinjaOne's, Halo's, Halo's plural).
fn nouns(level: Level) -> (&'static str, &'static str, &'static str) {
    match level {
        Level::Organizations => ("organization", "client", "clients"),
        Level::Sites => ("location", "site", "sites"),
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Repeated { record, at } => write!(
                f,
                "{record} came twice while paging ({at}): the server is not paging as expected, so the list cannot \
                 be trusted and nothing was written"
            ),
            PageError::Endless => write!(
                f,
                "goes on past {MAX_RECORDS} records, the most this program reads of one list (far above any MSP's \
                 tenant): the server is not paging as expected, so nothing built on the list can be trusted and \
                 nothing was written"
            ),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Proxy { proxy, why } => write!(f, "--proxy '{proxy}' is not usable: {why}"),
            ApiError::CaFile { path, why: Some(why) } => write!(f, "cannot read --ca-file '{path}': {why}"),
            ApiError::CaFile { path, why: None } => write!(f, "--ca-file '{path}' holds no PEM certificate"),
            ApiError::Token { side, refusal, exchange } => token_refused(f, *side, refusal, exchange),
            ApiError::AuthServerElsewhere { shown } => write!(
                f,
                "Halo's /api/authinfo names an authorisation server on another host than --halo-url: '{shown}'. The \
                 client secret is sent only to the Halo host itself unless you name another server: if that one is \
                 right (a separate identity host of your Halo), set --halo-auth-url {shown} (HALO_AUTH_URL). Nothing \
                 was sent to it"
            ),
            ApiError::FieldsForbidden { level, exchange } => write!(
                f,
                "Halo refused to list the {} custom fields: {exchange}. The API application needs the read:customers \
                 and edit:customers scopes, and its login agent a role that can see and edit customers",
                nouns(*level).1
            ),
            ApiError::FieldsNotListed { exchange } => write!(
                f,
                "NinjaOne did not list its custom field definitions ({exchange}) (a 403 here: the API application's \
                 scope or role does not cover field definitions)"
            ),
            ApiError::Unreadable { what, exchange, why } => write!(f, "cannot read {what}: {exchange}{why}"),
            ApiError::PartialList { level, cause } => {
                write!(f, "{cause}; a partial {} list is never used for matching, nothing was written", nouns(*level).1)
            }
            ApiError::PostFailed { exchange } => write!(f, "{exchange}"),
            ApiError::Paging { list, error: e @ PageError::Endless } => write!(f, "{list} {e}"),
            ApiError::Paging { error, .. } => write!(f, "{error}"),
            ApiError::EmptyPage { level, page, total, read } => {
                let (_, noun, plural) = nouns(*level);
                write!(
                    f,
                    "Halo sent an empty page {page} of the {noun} list although it reports {total} {plural} and \
                     {read} were read; a partial {noun} list is never used for matching, nothing was written"
                )
            }
            ApiError::QueryOverrun { plural, answered, listed } => write!(
                f,
                "NinjaOne's field query answered for {answered} {plural} or more, but the list has {listed}; the two \
                 answers do not fit together, so neither can be trusted and nothing was written"
            ),
            ApiError::CursorStuck { plural, cursor } => write!(
                f,
                "NinjaOne's field query sent the same {plural} again for cursor '{cursor}' (the cursor does not \
                 advance); the values cannot be trusted, nothing was written"
            ),
            field => field_problem(f, field),
        }
    }
}

/// A field the sync needs is missing or cannot be used: which, what is near, which setting.
fn field_problem(f: &mut fmt::Formatter<'_>, e: &ApiError) -> fmt::Result {
    match e {
        ApiError::FieldNotFound { side: Side::Halo, level, flag, wanted, label_of, closest, .. } => {
            let noun = nouns(*level).1;
            write!(f, "Halo has no {noun} custom field named '{wanted}' ({}).", setting(flag))?;
            if let Some(name) = label_of {
                write!(f, " '{wanted}' is the label of {name}: pass the internal name, --{flag} {name}.")?;
            }
            if closest.is_empty() {
                let screen = if *level == Level::Sites { "Sites" } else { "Customers" };
                write!(
                    f,
                    " Halo lists no {noun} custom fields at all: create the field under Configuration > Custom \
                 Objects > Custom Fields ({screen})."
                )?;
            } else {
                write!(f, " The closest {noun} fields are: {}.", closest.join(", "))?;
            }
            f.write_str(" Nothing was written.")
        }
        ApiError::FieldNotFound { side: Side::Ninja, level, flag, wanted, spelled, label_of, closest } => {
            let noun = nouns(*level).0;
            write!(f, "NinjaOne has no {noun} custom field named '{wanted}' ({}).", setting(flag))?;
            if let Some(name) = spelled {
                write!(f, " Names are exact: it is '{name}', --{flag} {name}.")?;
            }
            if let Some(name) = label_of {
                write!(f, " '{wanted}' is the label of {name}: pass its name, --{flag} {name}.")?;
            }
            if closest.is_empty() {
                write!(f, " NinjaOne lists no {noun} custom fields: create it under {NINJA_FIELDS_SCREEN}.")?;
            } else {
                write!(f, " The closest {noun} fields are: {}.", closest.join(", "))?;
            }
            f.write_str(" Nothing was written.")
        }
        ApiError::FieldCaseTwins { level, flag, wanted, twins } => write!(
            f,
            "Halo has {} {} custom fields whose names differ from '{wanted}' only in case: {}. Pass the name \
             exactly as Halo spells it ({}). Nothing was written.",
            twins.len(),
            nouns(*level).1,
            twins.join(", "),
            setting(flag)
        ),
        ApiError::FieldOutOfScope { level, flag, wanted, scopes } => {
            let (noun, scope) = match level {
                Level::Organizations => ("organization", "Organization"),
                Level::Sites => ("location", "Location"),
            };
            write!(
                f,
                "NinjaOne's custom field '{wanted}' is defined for {} but not for {noun}s; the sync reads a \
             {noun} field here ({}): add the {scope} scope to it in {NINJA_FIELDS_SCREEN}, or name another \
             field. Nothing was written.",
                scopes.join(", ").to_lowercase(),
                setting(flag)
            )
        }
        ApiError::FieldNotReadable { wanted, permission, label } => write!(
            f,
            "NinjaOne's custom field '{wanted}' has API permission {permission}: the API cannot read its values. \
             Set its API permission to Read Only (or Read/Write) in {NINJA_FIELDS_SCREEN} > {} > API permission. \
             Nothing was written.",
            if label.is_empty() { wanted } else { label }
        ),
        // Only the field variants come here (`Display for ApiError`).
        _ => write!(f, "{e:?}"),
    }
}

/// Where NinjaOne's custom fields are defined.
const NINJA_FIELDS_SCREEN: &str = "Administration > Devices > Global Custom Fields (or Role Custom Fields)";

/// Why a side's token endpoint gave no token, and what to check.
fn token_refused(f: &mut fmt::Formatter<'_>, side: Side, refusal: &TokenRefusal, what: &Exchange) -> fmt::Result {
    match (side, refusal) {
        (_, TokenRefusal::NoToken { chars: Some(n) }) => write!(
            f,
            "{}'s token endpoint answered with an access_token of {n} characters, far longer than any real one, so \
             it is not used (a broken server, or not the API's token endpoint)",
            side.name()
        ),
        (_, TokenRefusal::NoToken { chars: None }) => {
            write!(f, "{}'s token endpoint answered without an access_token: {what}", side.name())
        }
        (Side::Halo, TokenRefusal::InvalidClient) => write!(
            f,
            "Halo refused the client credentials (invalid_client): {what}. Check {} and {} against Configuration > \
             Integrations > Halo API: the Client ID changes when the application is first saved, changing the login \
             type regenerates the secret, and the application must use 'Client ID and Secret (Services)' logging in \
             as an API-only agent (an agent that signs in with SSO cannot use client credentials)",
            setting("halo-client-id"),
            secret_setting(Side::Halo)
        ),
        (Side::Ninja, TokenRefusal::InvalidClient) => write!(
            f,
            "NinjaOne refused the client credentials ({what}). Check {} and {}: the application (Administration > \
             Apps > API > Client App IDs) must be an API Services application with the Client Credentials grant and \
             the monitoring scope",
            setting("ninja-client-id"),
            secret_setting(Side::Ninja)
        ),
        (_, TokenRefusal::InvalidScope { scope }) => write!(
            f,
            "Halo refused the scopes '{scope}' (invalid_scope): {what}. Allow read:customers and edit:customers on \
             the API application, or set {}",
            setting("halo-scope")
        ),
        (_, TokenRefusal::Tenant) => write!(
            f,
            "Halo did not accept the tenant: {what}. Set {} to the tenant shown in Configuration > Integrations > \
             Halo API > API Details (Halo-hosted instances)",
            setting("halo-tenant")
        ),
        (_, TokenRefusal::NotFound) => write!(
            f,
            "Halo's token endpoint was not found: {what}. Check {} (the Resource Server shown in Configuration > \
             Integrations > Halo API > API Details), and set {} to the Authorisation Server shown there",
            setting("halo-url"),
            setting("halo-auth-url")
        ),
        (_, TokenRefusal::UnknownClientApp { url, client_id }) => write!(
            f,
            "NinjaOne at {url} does not know the client id '{client_id}' (404 \"Client app not exist\"). The API \
             application was probably created in another region: check {} (us, us2, eu, ca, oc, fed) or {}",
            setting("ninja-region"),
            setting("ninja-url")
        ),
        (_, TokenRefusal::Other) => write!(f, "cannot get a {} token: {what}", side.name()),
    }
}

impl fmt::Display for crate::halo::AuthFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::halo::AuthFound;
        match self {
            AuthFound::Explicit => f.write_str("--halo-auth-url"),
            AuthFound::AuthInfo => f.write_str("Halo's /api/authinfo"),
            AuthFound::NoAuthInfo(exchange) => {
                write!(f, "the default: {exchange} (the instance has no usable /api/authinfo)")
            }
            AuthFound::NoAuthUrl => f.write_str("the default (/api/authinfo names no auth_url)"),
            AuthFound::BadAuthUrl(e) => {
                write!(f, "the default ({})", url_problem("the auth_url of /api/authinfo", e))
            }
        }
    }
}

/// Why NinjaOne's field definitions could not be checked: the run goes on without them.
pub fn fields_unchecked(names: &str, why: &ApiError) -> String {
    format!("{why}; {names} could not be checked before reading")
}
