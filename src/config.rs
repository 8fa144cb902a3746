//! Command-line phase 2: validated settings, layered flag > environment > default.
//! Nothing here touches the network; every error is a usage error (exit 1).

use crate::cli::{self, Kind, RawArgs};
use crate::output::Verbosity;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Environment variables keyed by their name lower-cased with underscores removed, so
/// `HALO_CLIENT_SECRET`, `haloClientSecret` and `haloclientsecret` are one variable
/// (NinjaOne passes Script Variables under their calculated, sometimes lower-cased, name).
pub struct Env {
    vars: HashMap<String, String>,
}

fn env_key(name: &str) -> String {
    name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

impl Env {
    pub fn from_process() -> Env {
        Env::from_pairs(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))))
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Env {
        let mut vars = HashMap::new();
        // Sorted so that, if two spellings of one variable are set, the choice is stable.
        let mut pairs: Vec<_> = pairs.into_iter().collect();
        pairs.sort();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            if v.is_empty() || v.eq_ignore_ascii_case("null") {
                continue;
            }
            vars.entry(env_key(&k)).or_insert(v);
        }
        Env { vars }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(&env_key(name)).map(String::as_str)
    }
}

pub use crate::plan::{HaloRef, Mapping};

/// A secret value; Debug never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub halo_url: String,
    /// The Halo authorisation server, when set; else discovered from `<halo-url>/api/authinfo`
    /// at run time (falling back to `<halo-url>/auth`).
    pub halo_auth_url: Option<String>,
    pub halo_tenant: Option<String>,
    pub halo_client_id: String,
    pub halo_client_secret: Secret,
    pub halo_scope: String,
    pub ninja_url: String,
    pub ninja_client_id: String,
    pub ninja_client_secret: Secret,
    pub ninja_field: String,
    pub halo_field: String,
    /// The organization field naming its Halo client (--ninja-link-field), when configured.
    pub ninja_link_field: Option<String>,
    /// The site level (--ninja-location-field and --halo-site-field), when both are set.
    pub sites: Option<SiteFields>,
    /// What the planner needs: mappings, ignored organizations, the tier and value switches.
    pub plan: crate::plan::Options,
    pub dry_run: bool,
    pub report: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
    pub explain: Option<String>,
    /// --check: the configuration checklist instead of a sync.
    pub check: bool,
    pub suggest_map: Option<PathBuf>,
    /// What the HTTP layer needs: timeouts, deadline, pacing, proxy, extra CA, the wait scale.
    pub http: crate::http::Options,
    pub ninja_status_field: Option<String>,
    /// The NinjaOne agent CLI (env NINJARMM_CLI, else the platform's usual path).
    pub ninjarmm_cli: PathBuf,
    pub verbosity: Verbosity,
    /// Where the run lock lives (NINJA_HALO_SYNC_LOCK_DIR); else a folder of the service
    /// account (see lock.rs).
    pub lock_dir: Option<PathBuf>,
    /// Warnings found while reading the settings (e.g. unreviewed mapping suggestions).
    pub notes: Vec<String>,
}

/// The fields of the site level: NinjaOne locations' field -> Halo sites' field.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteFields {
    pub ninja_location_field: String,
    pub halo_site_field: String,
}

/// What a URL setting holds instead of the root it should.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlShape {
    /// HALO_URL ending in /auth: the authorisation server.
    HaloAuthServer,
    /// Ending in /token: a token endpoint.
    TokenEndpoint,
    /// NINJA_URL ending in /ws or /ws/oauth: NinjaOne's sign-in path.
    NinjaOauth,
}

/// Whether a URL's path ends like one of the endpoints a root is confused with.
fn url_shape(url: &str, side: crate::http::Side) -> Option<UrlShape> {
    let path = url.split_once("://").map_or("", |(_, r)| r).split(['?', '#']).next().unwrap_or("");
    let path = path.split_once('/').map_or("", |(_, p)| p).trim_end_matches('/').to_ascii_lowercase();
    if path.ends_with("token") {
        return Some(UrlShape::TokenEndpoint);
    }
    match side {
        crate::http::Side::Halo if path == "auth" || path.ends_with("/auth") => Some(UrlShape::HaloAuthServer),
        crate::http::Side::Ninja if path == "ws" || path.ends_with("/ws") || path.ends_with("ws/oauth") => {
            Some(UrlShape::NinjaOauth)
        }
        _ => None,
    }
}

pub enum Mode {
    Help,
    Version,
    Run(Box<Settings>),
}

/// Why the settings cannot be used: data (flags, values, what went wrong), rendered to text
/// with what to do next in one place, `hints.rs`. Values that may be secrets are not kept.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    Usage(crate::cli::UsageError),
    /// Two options (flag names) that cannot be given together.
    Contradict(&'static str, &'static str),
    /// A required option, by flag, and what it is.
    NotSet {
        flag: &'static str,
        what: &'static str,
    },
    /// A yes/no environment variable holding something else.
    NotYesNo {
        var: &'static str,
        value: String,
    },
    /// A URL option that is not a usable base URL.
    Url {
        flag: &'static str,
        why: crate::util::UrlError,
    },
    BadRegion(String),
    /// A timeout/deadline that is not a number of seconds, or not a usable one.
    Seconds {
        flag: &'static str,
        value: String,
        not_a_number: bool,
    },
    BadRate(String),
    /// --native-links holding something other than auto, targets or off.
    BadNativeLinks(String),
    /// A URL option holding another endpoint than the one it names (its shape alone tells).
    WrongUrl {
        flag: &'static str,
        url: String,
        why: UrlShape,
    },
    BadProxy(String),
    /// A field-name option holding a control character or a comma.
    NotAFieldName {
        flag: &'static str,
        value: String,
    },
    /// The link field and the value field are the same field.
    LinkFieldIsValueField,
    /// One of the two site options without the other (the one given).
    HalfOfSites(&'static str),
    /// An option naming a NinjaOne custom field that does not have a field name's shape; its
    /// value is not kept (it may be a secret pasted into the wrong variable).
    NotAFieldNameHidden {
        flag: &'static str,
        var: &'static str,
    },
    Secret {
        side: crate::http::Side,
        why: SecretError,
    },
    BadOrgId {
        flag: &'static str,
        item: String,
        text: String,
    },
    BadIdMap(String),
    IdMappedTwice {
        ninja_id: i64,
        first: HaloRef,
        second: HaloRef,
    },
    BadMapPair {
        pair: String,
        empty_name: bool,
    },
    /// The same organization mapped to two clients: each with the row it came from.
    MappedTwice {
        ninja: String,
        first: (HaloRef, String),
        second: (HaloRef, String),
    },
    MapFileUnreadable {
        path: String,
        error: String,
    },
    MapFile {
        path: String,
        why: MapError,
    },
}

/// Why a client secret could not be had.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretError {
    /// In no variable, file or field.
    NotSet,
    /// The agent CLI could not give the named field's value (its message).
    FromField(String),
    /// The named file could not be read (the error; the path is not kept).
    File(String),
    FileEmpty(String),
    /// Shorter than any real client secret (`SECRET_MIN`): where it came from, its length.
    TooShort {
        from: SecretFrom,
        chars: usize,
    },
}

/// What is wrong with a mapping table (rendered in hints.rs).
#[derive(Debug, Clone, PartialEq)]
pub enum MapError {
    NotJson(String),
    NotAString(String),
    EmptyEntry(String),
    Unclosed { line: usize },
    Header { line: usize, found: String },
    Columns { line: usize, expected: usize, found: usize },
    EmptyName { line: usize },
    Empty,
}

/// A CSV line with a quoted field that is not closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unclosed;

pub const REGIONS: &[(&str, &str)] = &[
    ("us", "https://app.ninjarmm.com"),
    ("app", "https://app.ninjarmm.com"),
    ("us2", "https://us2.ninjarmm.com"),
    ("eu", "https://eu.ninjarmm.com"),
    ("ca", "https://ca.ninjarmm.com"),
    ("oc", "https://oc.ninjarmm.com"),
    ("fed", "https://fed.ninjarmm.com"),
];

struct Layer<'a> {
    raw: &'a RawArgs,
    env: &'a Env,
}

impl Layer<'_> {
    /// Flag, else environment (under the flag's variable name), else None.
    fn value(&self, long: &str) -> Option<String> {
        if let Some(v) = self.raw.last(long) {
            return Some(v.to_string());
        }
        cli::flag(long).env.and_then(|e| self.env.get(e)).map(str::to_string)
    }

    /// The value, or the flag table's default (the one place defaults are written).
    fn value_or_default(&self, long: &str) -> String {
        self.value(long).or_else(|| cli::flag(long).default.map(str::to_string)).unwrap_or_default()
    }

    fn switch(&self, long: &'static str) -> Result<bool, ConfigError> {
        if self.raw.has(long) {
            return Ok(true);
        }
        let fl = cli::flag(long);
        match fl.env.and_then(|e| self.env.get(e).map(|v| (e, v))) {
            None => Ok(false),
            Some((var, v)) => parse_bool(v).ok_or_else(|| ConfigError::NotYesNo { var, value: v.to_string() }),
        }
    }

    /// Repeatable flags replace the environment list; the environment splits on ';'.
    fn list(&self, long: &str) -> Vec<String> {
        let from_flags = self.raw.all(long);
        if !from_flags.is_empty() {
            return from_flags.into_iter().map(str::to_string).collect();
        }
        let fl = cli::flag(long);
        debug_assert_eq!(fl.kind, Kind::Repeat);
        fl.env
            .and_then(|e| self.env.get(e))
            .map(|v| v.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn required(layer: &Layer, flag: &'static str, what: &'static str) -> Result<String, ConfigError> {
    layer.value(flag).ok_or(ConfigError::NotSet { flag, what })
}

/// A secret from, in this order: a file, a NinjaOne custom field (through the agent's CLI),
/// the environment.
/// The flags and variable of a side's client secret (what `secret` reads, what hints.rs names).
pub struct SecretSource {
    pub file_flag: &'static str,
    pub field_flag: &'static str,
    pub env: &'static str,
}

pub fn secret_source(side: crate::http::Side) -> SecretSource {
    match side {
        crate::http::Side::Halo => SecretSource {
            file_flag: "halo-client-secret-file",
            field_flag: "halo-client-secret-field",
            env: "HALO_CLIENT_SECRET",
        },
        crate::http::Side::Ninja => SecretSource {
            file_flag: "ninja-client-secret-file",
            field_flag: "ninja-client-secret-field",
            env: "NINJA_CLIENT_SECRET",
        },
    }
}

/// Where a secret was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFrom {
    Env,
    File,
    Field,
}

/// A real client secret is longer than this; a shorter one is refused at start (the redactor
/// cannot protect a secret that short from being echoed in pieces).
pub const SECRET_MIN: usize = 16;

/// Both sides' client secrets, read before anything else is judged, so that every error of the
/// settings phase is printed with them redacted: each as read or why it could not be, and
/// every value read (to be registered for redaction, whichever is used and however short).
pub struct Secrets {
    pub halo: Result<Secret, ConfigError>,
    pub ninja: Result<Secret, ConfigError>,
    pub read: Vec<String>,
}

impl Secrets {
    /// No secret read: what --help and --version need.
    pub fn none() -> Secrets {
        let not_read = |side| Err(ConfigError::Secret { side, why: SecretError::NotSet });
        Secrets { halo: not_read(crate::http::Side::Halo), ninja: not_read(crate::http::Side::Ninja), read: Vec::new() }
    }
}

/// Reads both secrets (and the environment's, where a file or field is used instead); nothing
/// else of the settings is judged here.
pub fn secrets(raw: &RawArgs, env: &Env) -> Secrets {
    let layer = Layer { raw, env };
    let cli = ninjarmm_cli(env);
    let mut read: Vec<String> = Vec::new();
    let mut one = |side: crate::http::Side| {
        if let Some(v) = env.get(secret_source(side).env) {
            read.push(v.to_string());
        }
        let got = secret(&layer, side, &cli);
        if let Ok((s, _)) = &got {
            read.push(s.0.clone());
        }
        got.and_then(|(s, from)| {
            let chars = s.0.chars().count();
            if chars < SECRET_MIN {
                return Err(ConfigError::Secret { side, why: SecretError::TooShort { from, chars } });
            }
            Ok(s)
        })
    };
    let halo = one(crate::http::Side::Halo);
    let ninja = one(crate::http::Side::Ninja);
    Secrets { halo, ninja, read }
}

fn ninjarmm_cli(env: &Env) -> PathBuf {
    env.get("NINJARMM_CLI").map(PathBuf::from).unwrap_or_else(crate::agent::default_cli)
}

/// A secret from, in this order: a file, a NinjaOne custom field (through the agent's CLI),
/// the environment.
fn secret(layer: &Layer, side: crate::http::Side, cli: &std::path::Path) -> Result<(Secret, SecretFrom), ConfigError> {
    let src = secret_source(side);
    let fail = |why| ConfigError::Secret { side, why };
    if let Some(field) = layer.value(src.field_flag) {
        if layer.value(src.file_flag).is_some() {
            return Err(ConfigError::Contradict(src.file_flag, src.field_flag));
        }
        // The field's name is never repeated, nor passed on unless it has a field name's shape: a
        // secret pasted there by mistake must not be printed, nor put on a command line.
        if !crate::agent::is_field_name(&field) {
            let var = cli::flag(src.field_flag).env.unwrap_or("");
            return Err(ConfigError::NotAFieldNameHidden { flag: src.field_flag, var });
        }
        let cli = crate::agent::Cli { path: cli.to_path_buf() };
        return cli.get(&field).map(|s| (Secret(s), SecretFrom::Field)).map_err(|e| fail(SecretError::FromField(e)));
    }
    if let Some(path) = layer.value(src.file_flag) {
        // The path is not kept while the file cannot be read: it may be the secret itself,
        // put in the wrong variable.
        let text = crate::files::read_text_limited(path.as_ref(), crate::files::MAX_SECRET_FILE)
            .map_err(|e| fail(SecretError::File(e.to_string())))?;
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(fail(SecretError::FileEmpty(path)));
        }
        return Ok((Secret(text), SecretFrom::File));
    }
    layer.env.get(src.env).map(|s| (Secret(s.to_string()), SecretFrom::Env)).ok_or(fail(SecretError::NotSet))
}

fn seconds(flag: &'static str, v: &str) -> Result<Duration, ConfigError> {
    let bad = |not_a_number| ConfigError::Seconds { flag, value: v.to_string(), not_a_number };
    let secs: f64 = v.trim().parse().map_err(|_| bad(true))?;
    if !(secs > 0.0 && secs.is_finite() && secs <= 86_400.0 * 7.0) {
        return Err(bad(false));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn rate(v: &str) -> Result<(u32, Duration), ConfigError> {
    let bad = || ConfigError::BadRate(v.to_string());
    let (n, s) = v.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    let s: f64 = s.trim().parse().map_err(|_| bad())?;
    if n == 0 || !(s > 0.0 && s <= 86_400.0) {
        return Err(bad());
    }
    Ok((n, Duration::from_secs_f64(s)))
}

pub fn settings(raw: &RawArgs, env: &Env, secrets: Secrets) -> Result<Mode, ConfigError> {
    if raw.has("help") {
        return Ok(Mode::Help);
    }
    if raw.has("version") {
        return Ok(Mode::Version);
    }
    let layer = Layer { raw, env };

    let verbosity = match (raw.has("quiet"), raw.has("verbose")) {
        (true, true) => return Err(ConfigError::Contradict("quiet", "verbose")),
        (true, false) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };

    let halo_url = required(&layer, "halo-url", "The Halo URL")?;
    let url = |flag| move |u: &str| crate::util::checked_base_url(u).map_err(|why| ConfigError::Url { flag, why });
    let mut halo_url = url("halo-url")(&halo_url)?;
    if halo_url.to_ascii_lowercase().ends_with("/api") {
        halo_url.truncate(halo_url.len() - 4);
    }
    if let Some(why) = url_shape(&halo_url, crate::http::Side::Halo) {
        return Err(ConfigError::WrongUrl { flag: "halo-url", url: halo_url, why });
    }
    let halo_auth_url = layer.value("halo-auth-url").map(|u| url("halo-auth-url")(&u)).transpose()?;

    let ninja_url = ninja_url(&layer)?;

    let ninjarmm_cli = ninjarmm_cli(env);
    let halo_client_id = required(&layer, "halo-client-id", "The Halo client id")?;
    let ninja_client_id = required(&layer, "ninja-client-id", "The NinjaOne client id")?;
    let halo_client_secret = secrets.halo?;
    let ninja_client_secret = secrets.ninja?;

    let (ninja_field, halo_field, ninja_link_field, sites) = field_names(&layer)?;

    let (mappings, notes) = mappings(&layer)?;

    let http = http_options(&layer)?;

    let explain = layer.value("explain");
    let check = layer.switch("check")?;
    if check && explain.is_some() {
        return Err(ConfigError::Contradict("check", "explain"));
    }
    // --suggest-map plans: it never writes (a file to review comes before any write).
    let suggest_map = layer.value("suggest-map").map(PathBuf::from);
    let ninja_status_field = layer.value("ninja-status-field");
    if ninja_status_field.as_deref().is_some_and(|f| !crate::agent::is_field_name(f)) {
        return Err(ConfigError::NotAFieldNameHidden { flag: "ninja-status-field", var: "NINJA_STATUS_FIELD" });
    }

    Ok(Mode::Run(Box::new(Settings {
        halo_url,
        halo_auth_url,
        halo_tenant: layer.value("halo-tenant"),
        halo_client_id,
        halo_client_secret,
        halo_scope: layer.value_or_default("halo-scope"),
        ninja_url,
        ninja_client_id,
        ninja_client_secret,
        ninja_field,
        halo_field,
        ninja_link_field,
        sites,
        plan: crate::plan::Options {
            mappings,
            ignore: layer.list("ignore"),
            id_mappings: id_mappings(&layer)?,
            ignore_ids: ids(&layer, "ignore-id")?,
            native_links: native_links(&layer)?,
            no_fuzzy: layer.switch("no-fuzzy")?,
            overwrite: layer.switch("overwrite")?,
            any_value: layer.switch("any-value")?,
            include_inactive: layer.switch("include-inactive")?,
            level: crate::plan::Level::Organizations,
        },
        dry_run: layer.switch("dry-run")? || suggest_map.is_some(),
        report: layer.value("report").map(PathBuf::from),
        log_file: layer.value("log-file").map(PathBuf::from),
        explain,
        check,
        suggest_map,
        http,
        ninja_status_field,
        ninjarmm_cli,
        verbosity,
        lock_dir: env.get("NINJA_HALO_SYNC_LOCK_DIR").map(PathBuf::from),
        notes,
    })))
}

fn mapping(ninja: &str, halo: &str) -> Option<Mapping> {
    let ninja = ninja.trim();
    let halo = halo.trim();
    if ninja.is_empty() || halo.is_empty() {
        return None;
    }
    let halo = match halo.strip_prefix('#').map(|d| d.trim().parse::<i64>()) {
        Some(Ok(id)) if id > 0 => HaloRef::Id(id),
        _ => HaloRef::Name(halo.to_string()),
    };
    Some(Mapping { ninja: ninja.to_string(), halo })
}

/// The values of an id flag (`--id-map`, `--ignore-id`): each flag value, or the environment's,
/// split at commas and white space (the forms a NinjaOne Script Variable can carry).
fn id_items(layer: &Layer, long: &str) -> Vec<String> {
    let from_flags = layer.raw.all(long);
    let env = cli::flag(long).env.and_then(|e| layer.env.get(e));
    let texts: Vec<&str> = if from_flags.is_empty() { env.into_iter().collect() } else { from_flags };
    texts
        .iter()
        .flat_map(|t| t.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The field options: the value field on each side, the link field, the site level's fields
/// (both or neither). Names only here; whether the fields exist is checked at run time.
fn field_names(layer: &Layer) -> Result<(String, String, Option<String>, Option<SiteFields>), ConfigError> {
    let ninja_field = layer.value_or_default("ninja-field");
    let halo_field = layer.value_or_default("halo-field");
    let ninja_link_field = layer.value("ninja-link-field");
    let (location_field, site_field) = (layer.value("ninja-location-field"), layer.value("halo-site-field"));
    let names = [
        ("ninja-field", Some(&ninja_field)),
        ("halo-field", Some(&halo_field)),
        ("ninja-link-field", ninja_link_field.as_ref()),
        ("ninja-location-field", location_field.as_ref()),
        ("halo-site-field", site_field.as_ref()),
    ];
    for (flag, v) in names.into_iter().filter_map(|(f, v)| Some((f, v?))) {
        if v.chars().any(|c| c.is_control() || c == ',') {
            return Err(ConfigError::NotAFieldName { flag, value: v.to_string() });
        }
    }
    if ninja_link_field.as_deref() == Some(ninja_field.as_str()) {
        return Err(ConfigError::LinkFieldIsValueField);
    }
    let sites = match (location_field, site_field) {
        (Some(ninja_location_field), Some(halo_site_field)) => {
            Some(SiteFields { ninja_location_field, halo_site_field })
        }
        (Some(_), None) => return Err(ConfigError::HalfOfSites("ninja-location-field")),
        (None, Some(_)) => return Err(ConfigError::HalfOfSites("halo-site-field")),
        (None, None) => None,
    };
    Ok((ninja_field, halo_field, ninja_link_field, sites))
}

/// --native-links / NATIVE_LINKS, and its older switch --no-native-link (= off).
fn native_links(layer: &Layer) -> Result<crate::plan::NativeLinks, ConfigError> {
    use crate::plan::NativeLinks;
    let off = layer.switch("no-native-link")?;
    let mode = match layer.value("native-links").map(|m| m.trim().to_ascii_lowercase()) {
        None => return Ok(if off { NativeLinks::Off } else { NativeLinks::Auto }),
        Some(m) => match m.as_str() {
            "auto" => NativeLinks::Auto,
            "targets" => NativeLinks::Targets,
            "off" => NativeLinks::Off,
            _ => return Err(ConfigError::BadNativeLinks(m)),
        },
    };
    if off && mode != NativeLinks::Off {
        return Err(ConfigError::Contradict("no-native-link", "native-links"));
    }
    Ok(mode)
}

/// A NinjaOne organization id as the documentation writes it: digits, optionally after one `#`;
/// nothing else (no sign, no second `#`).
fn org_id(flag: &'static str, text: &str, item: &str) -> Result<i64, ConfigError> {
    let t = text.trim();
    let digits = t.strip_prefix('#').unwrap_or(t);
    let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse::<i64>().ok()).flatten().filter(|id| *id > 0).ok_or_else(|| ConfigError::BadOrgId {
        flag,
        item: item.to_string(),
        text: text.to_string(),
    })
}

/// --ignore-id / IGNORE_IDS.
fn ids(layer: &Layer, long: &'static str) -> Result<Vec<i64>, ConfigError> {
    id_items(layer, long).iter().map(|item| org_id(long, item, item)).collect()
}

/// --id-map / ID_MAP: `12=345` or `12=#345` (NinjaOne organization id = Halo client id). The
/// same organization mapped to two clients is a usage error naming both.
fn id_mappings(layer: &Layer) -> Result<Vec<crate::plan::IdMapping>, ConfigError> {
    let mut out: Vec<crate::plan::IdMapping> = Vec::new();
    // Each organization's place in `out`: linear in the entries, however many.
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for item in id_items(layer, "id-map") {
        let bad = || ConfigError::BadIdMap(item.clone());
        let (org, client) = item.split_once('=').ok_or_else(bad)?;
        let ninja_id = org_id("id-map", org, &item)?;
        let halo = org_id("id-map", client, &item).map(HaloRef::Id).map_err(|_| bad())?;
        match seen.get(&ninja_id).map(|&i| &out[i]) {
            Some(m) if m.halo != halo => {
                return Err(ConfigError::IdMappedTwice { ninja_id, first: m.halo.clone(), second: halo })
            }
            Some(_) => {}
            None => {
                seen.insert(ninja_id, out.len());
                out.push(crate::plan::IdMapping { ninja_id, halo });
            }
        }
    }
    Ok(out)
}

/// The NinjaOne API root: --ninja-url, or the region's (us when neither is given).
fn ninja_url(layer: &Layer) -> Result<String, ConfigError> {
    let url = match (layer.value("ninja-url"), layer.value("ninja-region")) {
        (Some(_), Some(_)) => return Err(ConfigError::Contradict("ninja-url", "ninja-region")),
        (Some(u), None) => {
            let u = crate::util::checked_base_url(&u).map_err(|why| ConfigError::Url { flag: "ninja-url", why })?;
            if let Some(why) = url_shape(&u, crate::http::Side::Ninja) {
                return Err(ConfigError::WrongUrl { flag: "ninja-url", url: u, why });
            }
            u
        }
        (None, region) => {
            let region = region.unwrap_or_else(|| layer.value_or_default("ninja-region")).to_ascii_lowercase();
            REGIONS
                .iter()
                .find(|(r, _)| *r == region)
                .map(|(_, u)| u.to_string())
                .ok_or(ConfigError::BadRegion(region))?
        }
    };
    Ok(url.strip_suffix("/api").or_else(|| url.strip_suffix("/v2")).unwrap_or(&url).to_string())
}

/// The mappings of --map/NAME_MAP and --map-file, checked against each other, and the notes on
/// the rows skipped (unreviewed suggestions).
fn mappings(layer: &Layer) -> Result<(Vec<Mapping>, Vec<String>), ConfigError> {
    // Each mapping with where it came from, so that a contradiction can name both rows.
    let mut rows: MappingRows = Vec::new();
    let mut notes = Vec::new();
    for pair in layer.list("map") {
        let bad = |empty_name| ConfigError::BadMapPair { pair: pair.clone(), empty_name };
        let (n, h) = pair.split_once('=').ok_or_else(|| bad(false))?;
        let m = mapping(n, h).ok_or_else(|| bad(true))?;
        rows.push((m, format!("--map/NAME_MAP \"{pair}\"")));
    }
    if let Some(path) = layer.value("map-file") {
        let (found, skipped) = read_map_file(&path)?;
        rows.extend(found);
        notes.extend(skipped);
    }
    Ok((check_mappings(rows)?, notes))
}

/// Timeouts, pacing, proxy and trust: what the HTTP layer is built from.
fn http_options(layer: &Layer) -> Result<crate::http::Options, ConfigError> {
    let (raw, env) = (layer.raw, layer.env);
    let timeout = seconds("timeout", &layer.value_or_default("timeout"))?;
    // The default is written in the flag table as "21600 (6 hours)": its first word counts.
    let deadline = layer.value_or_default("deadline");
    let deadline = Some(seconds("deadline", deadline.split_whitespace().next().unwrap_or(""))?);
    let halo_rate = rate(&layer.value_or_default("halo-rate"))?;
    let proxy = raw
        .last("proxy")
        .map(str::to_string)
        .or_else(|| cli::PROXY_ENV.iter().find_map(|e| env.get(e)).map(str::to_string));
    if let Some(p) = &proxy {
        let lower = p.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://") || !p.contains("://")) {
            return Err(ConfigError::BadProxy(crate::util::proxy_for_display(p)));
        }
    }
    Ok(crate::http::Options {
        timeout,
        deadline,
        halo_rate,
        ca_file: layer.value("ca-file").map(PathBuf::from),
        proxy,
        no_proxy: env.get("NO_PROXY").map(str::to_string),
        // Developer knob (tests, demo): scales every wait. Not for users.
        time_scale: env
            .get("NINJA_HALO_SYNC_TIME_SCALE")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|f| *f >= 0.0 && f.is_finite())
            .unwrap_or(1.0),
    })
}

/// The mappings, once each. The same organization (as the planner compares names: case and
/// spacing ignored) mapped to two different clients is a usage error naming both rows: which
/// one is meant cannot be guessed.
fn check_mappings(rows: MappingRows) -> Result<Vec<Mapping>, ConfigError> {
    let key = crate::matching::exact_key;
    let target = |h: &HaloRef| match h {
        HaloRef::Id(id) => format!("#{id}"),
        HaloRef::Name(n) => key(n),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<(Mapping, String)> = Vec::new();
    for (m, source) in rows {
        match seen.get(&key(&m.ninja)) {
            Some(&i) if target(&out[i].0.halo) == target(&m.halo) => {}
            Some(&i) => {
                let first = (out[i].0.halo.clone(), out[i].1.clone());
                return Err(ConfigError::MappedTwice { ninja: m.ninja, first, second: (m.halo, source) });
            }
            None => {
                seen.insert(key(&m.ninja), out.len());
                out.push((m, source));
            }
        }
    }
    Ok(out.into_iter().map(|(m, _)| m).collect())
}

/// Mappings, each with the row it came from ("--map/NAME_MAP \"A=B\"", "map.csv line 4").
pub type MappingRows = Vec<(Mapping, String)>;

/// Reads a mapping table: a JSON object `{"Ninja name": "Halo name or #id"}`, or CSV with the
/// header `ninja,halo` (fields may be double-quoted; lines starting with `#` are comments).
/// Rows whose Halo name starts with `?` are unreviewed suggestions (--suggest-map): skipped,
/// with a warning each.
pub fn read_map_file(path: &str) -> Result<(MappingRows, Vec<String>), ConfigError> {
    let text = crate::files::read_text_limited(path.as_ref(), crate::files::MAX_MAP_FILE)
        .map_err(|e| ConfigError::MapFileUnreadable { path: path.to_string(), error: e.to_string() })?;
    let (all, without_client) =
        parse_map_table(&text).map_err(|why| ConfigError::MapFile { path: path.to_string(), why })?;
    let (unreviewed, reviewed): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|(m, _)| matches!(&m.halo, HaloRef::Name(n) if n.starts_with('?')));
    let reviewed = reviewed.into_iter().map(|(m, row)| (m, format!("{path} {row}"))).collect();
    let unreviewed: Vec<Mapping> = unreviewed.into_iter().map(|(m, _)| m).collect();
    let mut notes: Vec<String> = unreviewed
        .iter()
        .map(|m| format!("mapping file '{path}': '{}' -> '{}' is an unreviewed suggestion and is skipped until the leading '?' is removed", m.ninja, m.halo))
        .collect();
    notes.extend(
        without_client
            .into_iter()
            .map(|(ninja, row)| format!("mapping file '{path}' {row}: '{ninja}' names no Halo client and is skipped")),
    );
    Ok((reviewed, notes))
}

pub fn parse_map(text: &str) -> Result<Vec<Mapping>, MapError> {
    Ok(parse_map_rows(text)?.into_iter().map(|(m, _)| m).collect())
}

/// `parse_map`, each mapping with its row ("line 4", "entry \"Acme\"").
pub fn parse_map_rows(text: &str) -> Result<MappingRows, MapError> {
    parse_map_table(text).map(|(rows, _)| rows)
}

/// `parse_map_rows`, and the CSV rows that name an organization but no client (a suggestion
/// whose `?` was deleted where it had no candidate): skipped, never an error.
pub fn parse_map_table(text: &str) -> Result<(MappingRows, Vec<(String, String)>), MapError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        // Every entry as written, so that a name given twice is seen (a map keeps the last).
        let obj: JsonEntries = serde_json::from_str(text).map_err(|e| MapError::NotJson(e.to_string()))?;
        let rows = obj
            .0
            .iter()
            .map(|(k, v)| {
                let h = v.as_str().ok_or_else(|| MapError::NotAString(k.clone()))?;
                let m = mapping(k, h).ok_or_else(|| MapError::EmptyEntry(k.clone()))?;
                Ok((m, format!("entry \"{k}\"")))
            })
            .collect::<Result<_, _>>()?;
        return Ok((rows, Vec::new()));
    }
    let mut out = Vec::new();
    let mut without_client = Vec::new();
    let mut header_seen = false;
    let mut columns = 2;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = csv_fields(trimmed).map_err(|Unclosed| MapError::Unclosed { line: n })?;
        if !header_seen {
            let h: Vec<String> = fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
            // `ninja,halo`, or `ninja,halo,ninja_id,halo_id` as --suggest-map writes it (the
            // ids are for a person; the mapping reads the names).
            let with_ids = h.len() == 4 && h[2] == "ninja_id" && h[3] == "halo_id";
            if !(h.len() == 2 || with_ids) || h[0] != "ninja" || h[1] != "halo" {
                return Err(MapError::Header { line: n, found: trimmed.to_string() });
            }
            columns = h.len();
            header_seen = true;
            continue;
        }
        if fields.len() != columns {
            return Err(MapError::Columns { line: n, expected: columns, found: fields.len() });
        }
        // A cell --suggest-map marked as text ('=...) is read as the name it stands for.
        let (ninja, halo) = (crate::util::from_cell(&fields[0]), crate::util::from_cell(&fields[1]));
        if !ninja.trim().is_empty() && halo.trim().is_empty() {
            without_client.push((ninja.trim().to_string(), format!("line {n}")));
            continue;
        }
        let m = mapping(ninja, halo).ok_or(MapError::EmptyName { line: n })?;
        out.push((m, format!("line {n}")));
    }
    if !header_seen {
        return Err(MapError::Empty);
    }
    Ok((out, without_client))
}

/// A JSON object's entries in the order written, duplicates kept.
struct JsonEntries(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for JsonEntries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JsonEntries, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = JsonEntries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonEntries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(JsonEntries(entries))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// One CSV line into fields; `"` quotes a field and `""` is a quote inside it.
pub fn csv_fields(line: &str) -> Result<Vec<String>, Unclosed> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => in_quotes = false,
            ('"', false) if cur.trim().is_empty() && !was_quoted => {
                cur.clear();
                in_quotes = true;
                was_quoted = true;
            }
            (',', false) => {
                fields.push(std::mem::take(&mut cur));
                was_quoted = false;
            }
            (c, _) => cur.push(c),
        }
    }
    if in_quotes {
        return Err(Unclosed);
    }
    fields.push(cur);
    Ok(fields.into_iter().map(|f| f.trim().to_string()).collect())
}

/// A CSV field, quoted when it needs to be.
pub fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) || s.starts_with('#') || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("HALO_URL", "https://psa.example.com/api/"),
            ("haloClientId", "hid"),
            ("haloclientsecret", "hs-secret-0123456789"),
            ("NINJA_CLIENT_ID", "nid"),
            ("NINJA_CLIENT_SECRET", "ns-secret-0123456789"),
        ]
    }

    fn run(args: &[&str], pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let raw =
            cli::parse(args.iter().map(std::ffi::OsString::from)).map_err(|e| ConfigError::Usage(e).to_string())?;
        let env = env(pairs);
        match settings(&raw, &env, secrets(&raw, &env)).map_err(|e| e.to_string())? {
            Mode::Run(s) => Ok(*s),
            _ => Err("not run".into()),
        }
    }

    fn error(args: &[&str], pairs: &[(&str, &str)]) -> ConfigError {
        let raw = cli::parse(args.iter().map(std::ffi::OsString::from)).map_err(ConfigError::Usage);
        let env = env(pairs);
        match raw.and_then(|raw| settings(&raw, &env, secrets(&raw, &env))) {
            Err(e) => e,
            Ok(_) => panic!("{args:?} was accepted"),
        }
    }

    #[test]
    fn errors_are_data_that_name_the_setting() {
        assert_eq!(error(&["-q", "-v"], &base()), ConfigError::Contradict("quiet", "verbose"));
        let mut no_secret = base();
        no_secret.retain(|(k, _)| *k != "haloclientsecret");
        let e = error(&[], &no_secret);
        assert_eq!(e, ConfigError::Secret { side: crate::http::Side::Halo, why: SecretError::NotSet });
        assert!(e.to_string().contains("haloClientSecretField") && e.to_string().contains("haloClientSecret"), "{e}");
        let mut pasted = base();
        pasted.push(("HALO_CLIENT_SECRET_FIELD", "s3cr3t-p4ss!"));
        let e = error(&[], &pasted);
        assert!(matches!(e, ConfigError::NotAFieldNameHidden { flag: "halo-client-secret-field", .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("s3cr3t"), "the value is kept nowhere: {e:?}");
        assert!(matches!(
            error(&["--halo-urll", "x"], &base()),
            ConfigError::Usage(cli::UsageError::Unknown { closest: Some("halo-url"), .. })
        ));
    }

    #[test]
    fn env_names_ignore_case_and_underscores_and_null() {
        let s = run(&[], &base()).unwrap();
        assert_eq!(s.halo_url, "https://psa.example.com");
        assert_eq!(s.halo_auth_url, None, "discovered at run time");
        assert_eq!(s.halo_client_id, "hid");
        assert_eq!(s.halo_client_secret.0, "hs-secret-0123456789");
        assert_eq!(s.ninja_url, "https://app.ninjarmm.com");
        let mut p = base();
        p.push(("halotenant", "null"));
        p.push(("dryRun", "YES"));
        let s = run(&[], &p).unwrap();
        assert_eq!(s.halo_tenant, None);
        assert!(s.dry_run);
    }

    #[test]
    fn flag_beats_env() {
        let mut p = base();
        p.push(("NINJA_FIELD", "fromEnv"));
        let s = run(&["--ninja-field", "fromFlag"], &p).unwrap();
        assert_eq!(s.ninja_field, "fromFlag");
    }

    #[test]
    fn usage_errors_say_what_to_set() {
        let e = run(&[], &base()[1..]).unwrap_err();
        assert!(e.contains("HALO_URL") && e.contains("haloUrl"), "{e}");
        let e = run(&["--ninja-region", "mars"], &base()).unwrap_err();
        assert!(e.contains("us, us2"), "{e}");
        let e = run(&["--ninja-region", "eu", "--ninja-url", "https://x"], &base()).unwrap_err();
        assert!(e.contains("contradict"), "{e}");
        let mut p = base();
        p.push(("DRY_RUN", "maybe"));
        assert!(run(&[], &p).unwrap_err().to_string().contains("DRY_RUN"));
        assert!(run(&["--halo-rate", "5"], &base()).is_err());
        assert!(run(&["--halo-rate", "5/1e300"], &base()).is_err());
        assert!(run(&["--halo-rate", "5/NaN"], &base()).is_err());
        assert!(run(&["--timeout", "-1"], &base()).is_err());
        assert!(run(&["--halo-url", "http://psa.example.com"], &base()).unwrap_err().to_string().contains("http://"));
    }

    #[test]
    fn id_forms_from_flags_and_env_are_the_same() {
        use crate::plan::IdMapping;
        let want = vec![
            IdMapping { ninja_id: 12, halo: HaloRef::Id(345) },
            IdMapping { ninja_id: 13, halo: HaloRef::Id(346) },
        ];
        let mut p = base();
        p.push(("ID_MAP", "12=345, 13=#346"));
        p.push(("ignoreIds", "7 8,9"));
        let from_env = run(&[], &p).unwrap();
        assert_eq!(from_env.plan.id_mappings, want);
        assert_eq!(from_env.plan.ignore_ids, vec![7, 8, 9]);
        let from_flags =
            run(&["--id-map", "12=345", "--id-map", "13=346", "--ignore-id", "7,8", "--ignore-id", "9"], &base())
                .unwrap();
        assert_eq!(from_flags.plan.id_mappings, want);
        assert_eq!(from_flags.plan.ignore_ids, vec![7, 8, 9]);
        assert!(run(&["--id-map", "12=Acme"], &base()).unwrap_err().to_string().contains("must look like 12=345"));
        assert!(run(&["--id-map", "12=3", "--id-map", "12=4"], &base()).unwrap_err().to_string().contains("twice"));
        assert!(run(&["--ignore-id", "x"], &base())
            .unwrap_err()
            .to_string()
            .contains("not a NinjaOne organization id"));
    }

    #[test]
    fn mappings_from_flags_env_and_files() {
        let mut p = base();
        p.push(("NAME_MAP", "A=B; C = #12 ;"));
        let s = run(&[], &p).unwrap();
        assert_eq!(
            s.plan.mappings,
            vec![
                Mapping { ninja: "A".into(), halo: HaloRef::Name("B".into()) },
                Mapping { ninja: "C".into(), halo: HaloRef::Id(12) }
            ]
        );
        let m = parse_map("ninja,halo\n# comment\n\"Smith, Jones\",\"Smith & Jones, LLP\"\nX,#3\n").unwrap();
        assert_eq!(m[0].halo, HaloRef::Name("Smith & Jones, LLP".into()));
        assert_eq!(m[1].halo, HaloRef::Id(3));
        assert!(parse_map("ninja,halo\nA,B,C\n").unwrap_err().to_string().contains("line 2"));
        assert!(parse_map("org,client\n").unwrap_err().to_string().contains("line 1"));
        assert!(parse_map("ninja,halo\n\"A,B\n").unwrap_err().to_string().contains("not closed"));
        assert_eq!(parse_map("{\"A\": \"#4\"}").unwrap()[0].halo, HaloRef::Id(4));
        assert!(parse_map("{\"A\": 4}").is_err());
        // A JSON object naming one organization twice is refused like the CSV form.
        let e = check_mappings(parse_map_rows("{\"A\": \"B\", \"A\": \"C\"}").unwrap()).unwrap_err().to_string();
        assert!(e.contains("twice") && e.contains("entry \"A\""), "{e}");
        let e = check_mappings(parse_map_rows("ninja,halo\nA,B\nA,C\n").unwrap()).unwrap_err().to_string();
        assert!(e.contains("twice") && e.contains("(line 2)") && e.contains("(line 3)"), "{e}");
        // As the planner compares names: case and spacing do not make another organization.
        let rows = vec![
            (mapping("Acme  Dental", "Acme").unwrap(), "--map/NAME_MAP \"Acme  Dental=Acme\"".to_string()),
            (mapping("acme dental", "#7").unwrap(), "map.csv line 4".to_string()),
        ];
        let e = check_mappings(rows).unwrap_err().to_string();
        assert!(e.contains("--map/NAME_MAP") && e.contains("map.csv line 4"), "{e}");
        // The same target twice is no contradiction.
        let rows = vec![(mapping("A", "B").unwrap(), "x".into()), (mapping("a", " b ").unwrap(), "y".into())];
        assert_eq!(check_mappings(rows).unwrap().len(), 1);
    }
}
