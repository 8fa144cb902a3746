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

pub enum Mode {
    Help,
    Version,
    Run(Box<Settings>),
}

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

    fn switch(&self, long: &str) -> Result<bool, String> {
        if self.raw.has(long) {
            return Ok(true);
        }
        let fl = cli::flag(long);
        match fl.env.and_then(|e| self.env.get(e).map(|v| (e, v))) {
            None => Ok(false),
            Some((e, v)) => parse_bool(v)
                .ok_or_else(|| format!("{e}='{v}' is not a yes/no value; use 1/true/yes/on or 0/false/no/off")),
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

fn required(layer: &Layer, long: &str, what: &str) -> Result<String, String> {
    layer.value(long).ok_or_else(|| {
        let env = cli::flag(long).env.unwrap_or("");
        format!(
            "{what} is not set: pass --{long} or set the environment variable {env} (in NinjaOne, a Script Variable named {})",
            camel(env)
        )
    })
}

/// `HALO_CLIENT_ID` -> `haloClientId`, the calculated name NinjaOne gives a Script Variable.
fn camel(env: &str) -> String {
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

/// A secret from, in this order: a file, a NinjaOne custom field (through the agent's CLI),
/// the environment.
fn secret(layer: &Layer, side: &str, env_name: &str, what: &str, cli: &std::path::Path) -> Result<Secret, String> {
    let file_flag = format!("{side}-client-secret-file");
    let field_flag = format!("{side}-client-secret-field");
    if let Some(field) = layer.value(&field_flag) {
        if layer.value(&file_flag).is_some() {
            return Err(format!("--{file_flag} and --{field_flag} contradict each other; give one"));
        }
        // The field's name is never repeated, nor passed on unless it has a field name's shape: a
        // secret pasted there by mistake must not be printed, nor put on a command line.
        if !crate::agent::is_field_name(&field) {
            return Err(format!(
                "--{field_flag} ({}) does not hold a custom field name (a letter, then letters, digits or '_'); \
                 the value is not shown. If it is the secret itself, put it in {env_name} instead, or name the secure \
                 custom field that holds it",
                camel(&format!("{}_CLIENT_SECRET_FIELD", side.to_ascii_uppercase()))
            ));
        }
        let cli = crate::agent::Cli { path: cli.to_path_buf() };
        return cli
            .get(&field)
            .map(Secret)
            .map_err(|e| format!("{what} (from the field named by --{field_flag}): {e}"));
    }
    let file_flag = file_flag.as_str();
    if let Some(path) = layer.value(file_flag) {
        // The path is not repeated while the file cannot be read: it may be the secret itself,
        // put in the wrong variable.
        let text = crate::files::read_text_limited(path.as_ref(), crate::files::MAX_SECRET_FILE).map_err(|e| {
            format!(
                "cannot read {what} from the file named by --{file_flag} ({}): {e}. The value is not shown; if it is \
                 the secret itself rather than a path, put it in {env_name} instead",
                camel(&format!("{}_CLIENT_SECRET_FILE", side.to_ascii_uppercase()))
            )
        })?;
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(format!("{what} file '{path}' is empty"));
        }
        return Ok(Secret(text));
    }
    layer.env.get(env_name).map(|s| Secret(s.to_string())).ok_or_else(|| {
        format!(
            "{what} is not set: set the environment variable {env_name} (in NinjaOne, a Script Variable named {}), or pass --{file_flag} PATH; secrets are never accepted as flags",
            camel(env_name)
        )
    })
}

fn seconds(long: &str, v: &str) -> Result<Duration, String> {
    let secs: f64 = v.trim().parse().map_err(|_| format!("--{long} '{v}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs.is_finite() && secs <= 86_400.0 * 7.0) {
        return Err(format!("--{long} '{v}' must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn rate(v: &str) -> Result<(u32, Duration), String> {
    let bad = || format!("--halo-rate '{v}' must look like N/SECONDS, e.g. 450/180");
    let (n, s) = v.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    let s: f64 = s.trim().parse().map_err(|_| bad())?;
    if n == 0 || !(s > 0.0 && s <= 86_400.0) {
        return Err(bad());
    }
    Ok((n, Duration::from_secs_f64(s)))
}

pub fn settings(raw: &RawArgs, env: &Env) -> Result<Mode, String> {
    if raw.has("help") {
        return Ok(Mode::Help);
    }
    if raw.has("version") {
        return Ok(Mode::Version);
    }
    let layer = Layer { raw, env };

    let verbosity = match (raw.has("quiet"), raw.has("verbose")) {
        (true, true) => return Err("--quiet and --verbose contradict each other; give one".into()),
        (true, false) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };

    let halo_url = required(&layer, "halo-url", "The Halo URL")?;
    let mut halo_url = crate::util::checked_base_url("--halo-url", &halo_url)?;
    if halo_url.to_ascii_lowercase().ends_with("/api") {
        halo_url.truncate(halo_url.len() - 4);
    }
    let halo_auth_url =
        layer.value("halo-auth-url").map(|u| crate::util::checked_base_url("--halo-auth-url", &u)).transpose()?;

    let ninja_url = ninja_url(&layer)?;

    let ninjarmm_cli = env.get("NINJARMM_CLI").map(PathBuf::from).unwrap_or_else(crate::agent::default_cli);
    let halo_client_id = required(&layer, "halo-client-id", "The Halo client id")?;
    let ninja_client_id = required(&layer, "ninja-client-id", "The NinjaOne client id")?;
    let halo_client_secret = secret(&layer, "halo", "HALO_CLIENT_SECRET", "The Halo client secret", &ninjarmm_cli)?;
    let ninja_client_secret =
        secret(&layer, "ninja", "NINJA_CLIENT_SECRET", "The NinjaOne client secret", &ninjarmm_cli)?;

    let ninja_field = layer.value_or_default("ninja-field");
    let halo_field = layer.value_or_default("halo-field");
    let ninja_link_field = layer.value("ninja-link-field");
    let names = [
        ("ninja-field", Some(&ninja_field)),
        ("halo-field", Some(&halo_field)),
        ("ninja-link-field", ninja_link_field.as_ref()),
    ];
    for (flag, v) in names.into_iter().filter_map(|(f, v)| Some((f, v?))) {
        if v.chars().any(|c| c.is_control() || c == ',') {
            return Err(format!("--{flag} '{}' is not a field name", crate::util::printable(v)));
        }
    }
    if ninja_link_field.as_deref() == Some(ninja_field.as_str()) {
        return Err("--ninja-link-field names the same field as --ninja-field; the link field holds the Halo client, the other the value".into());
    }

    let (mappings, notes) = mappings(&layer)?;

    let http = http_options(&layer)?;

    let explain = layer.value("explain");
    let check = layer.switch("check")?;
    if check && explain.is_some() {
        return Err("--check and --explain contradict each other; give one".into());
    }
    let suggest_map = layer.value("suggest-map").map(PathBuf::from);
    let ninja_status_field = layer.value("ninja-status-field");
    if ninja_status_field.as_deref().is_some_and(|f| !crate::agent::is_field_name(f)) {
        return Err("--ninja-status-field (NINJA_STATUS_FIELD) does not hold a custom field name (a letter, then \
                    letters, digits or '_'); the value is not shown"
            .into());
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
        plan: crate::plan::Options {
            mappings,
            ignore: layer.list("ignore"),
            id_mappings: id_mappings(&layer)?,
            ignore_ids: ids(&layer, "ignore-id")?,
            no_native_link: layer.switch("no-native-link")?,
            no_fuzzy: layer.switch("no-fuzzy")?,
            overwrite: layer.switch("overwrite")?,
            any_value: layer.switch("any-value")?,
            include_inactive: layer.switch("include-inactive")?,
        },
        dry_run: layer.switch("dry-run")?,
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

fn org_id(long: &str, text: &str, item: &str) -> Result<i64, String> {
    text.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("--{long} '{item}': '{text}' is not a NinjaOne organization id (digits)"))
}

/// --ignore-id / IGNORE_IDS.
fn ids(layer: &Layer, long: &str) -> Result<Vec<i64>, String> {
    id_items(layer, long).iter().map(|item| org_id(long, item, item)).collect()
}

/// --id-map / ID_MAP: `12=345` or `12=#345` (NinjaOne organization id = Halo client id). The
/// same organization mapped to two clients is a usage error naming both.
fn id_mappings(layer: &Layer) -> Result<Vec<crate::plan::IdMapping>, String> {
    let mut out: Vec<crate::plan::IdMapping> = Vec::new();
    for item in id_items(layer, "id-map") {
        let bad = || format!("--id-map '{item}' must look like 12=345 (NinjaOne organization id = Halo client id)");
        let (org, client) = item.split_once('=').ok_or_else(bad)?;
        let ninja_id = org_id("id-map", org, &item)?;
        let halo = match HaloRef::parse(client) {
            Some(h @ HaloRef::Id(_)) => h,
            _ => return Err(bad()),
        };
        match out.iter().find(|m| m.ninja_id == ninja_id) {
            Some(m) if m.halo != halo => {
                return Err(format!(
                    "--id-map names NinjaOne organization {ninja_id} twice: to {} and to {halo}; keep one",
                    m.halo
                ))
            }
            Some(_) => {}
            None => out.push(crate::plan::IdMapping { ninja_id, halo }),
        }
    }
    Ok(out)
}

/// The NinjaOne API root: --ninja-url, or the region's (us when neither is given).
fn ninja_url(layer: &Layer) -> Result<String, String> {
    let url = match (layer.value("ninja-url"), layer.value("ninja-region")) {
        (Some(_), Some(_)) => {
            return Err(
                "--ninja-url and --ninja-region (NINJA_URL, NINJA_REGION) contradict each other; give one".into()
            )
        }
        (Some(u), None) => crate::util::checked_base_url("--ninja-url", &u)?,
        (None, region) => {
            let region = region.unwrap_or_else(|| layer.value_or_default("ninja-region")).to_ascii_lowercase();
            REGIONS
                .iter()
                .find(|(r, _)| *r == region)
                .map(|(_, u)| u.to_string())
                .ok_or_else(|| format!("--ninja-region '{region}' is not one of us, us2, eu, ca, oc, fed"))?
        }
    };
    Ok(url.strip_suffix("/api").or_else(|| url.strip_suffix("/v2")).unwrap_or(&url).to_string())
}

/// The mappings of --map/NAME_MAP and --map-file, checked against each other, and the notes on
/// the rows skipped (unreviewed suggestions).
fn mappings(layer: &Layer) -> Result<(Vec<Mapping>, Vec<String>), String> {
    // Each mapping with where it came from, so that a contradiction can name both rows.
    let mut rows: MappingRows = Vec::new();
    let mut notes = Vec::new();
    for pair in layer.list("map") {
        let (n, h) = pair
            .split_once('=')
            .ok_or_else(|| format!("--map '{pair}' must look like \"Ninja name=Halo name\" (or =#id)"))?;
        let m = mapping(n, h).ok_or_else(|| format!("--map '{pair}': both names must be non-empty"))?;
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
fn http_options(layer: &Layer) -> Result<crate::http::Options, String> {
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
            return Err(format!(
                "--proxy '{}' must be an http:// or https:// proxy URL",
                crate::util::proxy_for_display(p)
            ));
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
fn check_mappings(rows: MappingRows) -> Result<Vec<Mapping>, String> {
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
                return Err(format!(
                    "the mapping names Ninja organization '{}' twice: to '{}' ({}) and to '{}' ({}); keep one",
                    m.ninja, out[i].0.halo, out[i].1, m.halo, source
                ))
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
pub fn read_map_file(path: &str) -> Result<(MappingRows, Vec<String>), String> {
    let text = crate::files::read_text_limited(path.as_ref(), crate::files::MAX_MAP_FILE)
        .map_err(|e| format!("cannot read the mapping file '{path}': {e}"))?;
    let all = parse_map_rows(&text).map_err(|e| format!("mapping file '{path}': {e}"))?;
    let (unreviewed, reviewed): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|(m, _)| matches!(&m.halo, HaloRef::Name(n) if n.starts_with('?')));
    let reviewed = reviewed.into_iter().map(|(m, row)| (m, format!("{path} {row}"))).collect();
    let unreviewed: Vec<Mapping> = unreviewed.into_iter().map(|(m, _)| m).collect();
    let notes = unreviewed
        .iter()
        .map(|m| format!("mapping file '{path}': '{}' -> '{}' is an unreviewed suggestion and is skipped until the leading '?' is removed", m.ninja, m.halo))
        .collect();
    Ok((reviewed, notes))
}

pub fn parse_map(text: &str) -> Result<Vec<Mapping>, String> {
    Ok(parse_map_rows(text)?.into_iter().map(|(m, _)| m).collect())
}

/// `parse_map`, each mapping with its row ("line 4", "entry \"Acme\"").
pub fn parse_map_rows(text: &str) -> Result<MappingRows, String> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        // Every entry as written, so that a name given twice is seen (a map keeps the last).
        let obj: JsonEntries = serde_json::from_str(text).map_err(|e| format!("not a valid JSON object: {e}"))?;
        return obj
            .0
            .iter()
            .map(|(k, v)| {
                let h = v.as_str().ok_or_else(|| format!("the value for \"{k}\" must be a string"))?;
                let m = mapping(k, h).ok_or_else(|| format!("the entry \"{k}\": both names must be non-empty"))?;
                Ok((m, format!("entry \"{k}\"")))
            })
            .collect();
    }
    let mut out = Vec::new();
    let mut header_seen = false;
    let mut columns = 2;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = csv_fields(trimmed).map_err(|e| format!("line {n}: {e}"))?;
        if !header_seen {
            let h: Vec<String> = fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
            // `ninja,halo`, or `ninja,halo,ninja_id,halo_id` as --suggest-map writes it (the
            // ids are for a person; the mapping reads the names).
            let with_ids = h.len() == 4 && h[2] == "ninja_id" && h[3] == "halo_id";
            if !(h.len() == 2 || with_ids) || h[0] != "ninja" || h[1] != "halo" {
                return Err(format!(
                    "line {n}: the first line must be the header 'ninja,halo' (or 'ninja,halo,ninja_id,halo_id'), found '{trimmed}'"
                ));
            }
            columns = h.len();
            header_seen = true;
            continue;
        }
        if fields.len() != columns {
            return Err(format!(
                "line {n}: expected {columns} fields, found {}; quote names that contain commas",
                fields.len()
            ));
        }
        // A cell --suggest-map marked as text ('=...) is read as the name it stands for.
        let (ninja, halo) = (crate::util::from_cell(&fields[0]), crate::util::from_cell(&fields[1]));
        let m = mapping(ninja, halo).ok_or_else(|| format!("line {n}: both names must be non-empty"))?;
        out.push((m, format!("line {n}")));
    }
    if !header_seen {
        return Err("empty: expected the header 'ninja,halo' and one row per mapping".into());
    }
    Ok(out)
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
pub fn csv_fields(line: &str) -> Result<Vec<String>, String> {
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
        return Err("a quoted field is not closed".into());
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
            ("haloclientsecret", "hs-secret"),
            ("NINJA_CLIENT_ID", "nid"),
            ("NINJA_CLIENT_SECRET", "ns-secret"),
        ]
    }

    fn run(args: &[&str], pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let raw = cli::parse(args.iter().map(std::ffi::OsString::from))?;
        match settings(&raw, &env(pairs))? {
            Mode::Run(s) => Ok(*s),
            _ => Err("not run".into()),
        }
    }

    #[test]
    fn env_names_ignore_case_and_underscores_and_null() {
        let s = run(&[], &base()).unwrap();
        assert_eq!(s.halo_url, "https://psa.example.com");
        assert_eq!(s.halo_auth_url, None, "discovered at run time");
        assert_eq!(s.halo_client_id, "hid");
        assert_eq!(s.halo_client_secret.0, "hs-secret");
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
        assert!(run(&[], &p).unwrap_err().contains("DRY_RUN"));
        assert!(run(&["--halo-rate", "5"], &base()).is_err());
        assert!(run(&["--halo-rate", "5/1e300"], &base()).is_err());
        assert!(run(&["--halo-rate", "5/NaN"], &base()).is_err());
        assert!(run(&["--timeout", "-1"], &base()).is_err());
        assert!(run(&["--halo-url", "http://psa.example.com"], &base()).unwrap_err().contains("http://"));
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
        assert!(run(&["--id-map", "12=Acme"], &base()).unwrap_err().contains("must look like 12=345"));
        assert!(run(&["--id-map", "12=3", "--id-map", "12=4"], &base()).unwrap_err().contains("twice"));
        assert!(run(&["--ignore-id", "x"], &base()).unwrap_err().contains("not a NinjaOne organization id"));
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
        assert!(parse_map("ninja,halo\nA,B,C\n").unwrap_err().contains("line 2"));
        assert!(parse_map("org,client\n").unwrap_err().contains("line 1"));
        assert!(parse_map("ninja,halo\n\"A,B\n").unwrap_err().contains("not closed"));
        assert_eq!(parse_map("{\"A\": \"#4\"}").unwrap()[0].halo, HaloRef::Id(4));
        assert!(parse_map("{\"A\": 4}").is_err());
        // A JSON object naming one organization twice is refused like the CSV form.
        let e = check_mappings(parse_map_rows("{\"A\": \"B\", \"A\": \"C\"}").unwrap()).unwrap_err();
        assert!(e.contains("twice") && e.contains("entry \"A\""), "{e}");
        let e = check_mappings(parse_map_rows("ninja,halo\nA,B\nA,C\n").unwrap()).unwrap_err();
        assert!(e.contains("twice") && e.contains("(line 2)") && e.contains("(line 3)"), "{e}");
        // As the planner compares names: case and spacing do not make another organization.
        let rows = vec![
            (mapping("Acme  Dental", "Acme").unwrap(), "--map/NAME_MAP \"Acme  Dental=Acme\"".to_string()),
            (mapping("acme dental", "#7").unwrap(), "map.csv line 4".to_string()),
        ];
        let e = check_mappings(rows).unwrap_err();
        assert!(e.contains("--map/NAME_MAP") && e.contains("map.csv line 4"), "{e}");
        // The same target twice is no contradiction.
        let rows = vec![(mapping("A", "B").unwrap(), "x".into()), (mapping("a", " b ").unwrap(), "y".into())];
        assert_eq!(check_mappings(rows).unwrap().len(), 1);
    }
}
