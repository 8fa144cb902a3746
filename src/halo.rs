//! HaloPSA API: client-credentials token (with ?tenant=), custom field definitions
//! (FieldInfo), clients and sites (`Kind`) paged by the rows actually received (the server caps
//! pages at 100), per-record reads, and the POST of a batch of updates with the update bodies
//! that never disturb the other custom fields. What goes wrong is an `ApiError` (data).

use crate::http::{
    exchange, no_token, read_ok, ApiError, Http, HttpError, Phase, Request, Response, Side, TokenCache, TokenRefusal,
    TokenSource, Unreadable,
};
use crate::plan::{Disagreement, Level, Link};
use crate::util::{clip, lenient_bool, lenient_id, pct, value_text};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Halo returns at most 100 rows a page whatever is asked; asking for exactly that keeps the
/// arithmetic honest. Paging stops on the rows received, never on the size requested.
pub const PAGE_SIZE: usize = 100;
const READ_THREADS: usize = 2;

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub id: i64,
    pub name: String,
    pub label: String,
}

/// Which Halo list: clients, or sites (a site belongs to a client). Both are records with custom
/// fields, read, paged and written the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Clients,
    Sites,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Clients => "client",
            Kind::Sites => "site",
        }
    }
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Clients => "clients",
            Kind::Sites => "sites",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Kind::Clients => "/api/Client",
            Kind::Sites => "/api/Site",
        }
    }
    /// FieldInfo's typeid of the record's custom fields.
    fn typeid(self) -> u8 {
        match self {
            Kind::Clients => 2,
            Kind::Sites => 3,
        }
    }
    /// The level whose records these are.
    pub fn level(self) -> Level {
        match self {
            Kind::Clients => Level::Organizations,
            Kind::Sites => Level::Sites,
        }
    }
    /// The flag that names this kind's custom field.
    pub fn field_flag(self) -> &'static str {
        match self {
            Kind::Clients => "halo-field",
            Kind::Sites => "halo-site-field",
        }
    }
    /// The endpoints, as the request statistics name them: list, detail, write.
    fn endpoints(self) -> [&'static str; 3] {
        match self {
            Kind::Clients => ["GET /api/Client", "GET /api/Client/{id}", "POST /api/Client"],
            Kind::Sites => ["GET /api/Site", "GET /api/Site/{id}", "POST /api/Site"],
        }
    }
}

/// A Halo client or site as read: what matching and the write protocol need of it.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
    /// A site's client; None for clients.
    pub client_id: Option<i64>,
    /// The client's `customfields` array as Halo sent it, or None when the answer carried no
    /// array; compact, decoded only to look a value up or to build an update.
    pub customfields: Option<CustomFields>,
    /// Halo's own NinjaOne link (`ninjarmmid`): the NinjaOne organization id (on a client) or
    /// location id (on a site) its integration stored, where the answer carries the key at all
    /// (Halo's API document has it on records, not on list rows); 0, null or -1 is no link.
    pub link: Link,
    /// The record read on its own disagrees with the list row the run holds (set by the caller
    /// that compares them, `disagreement`).
    pub disputed: Option<Box<Disagreement>>,
}

/// How `record` (read on its own) contradicts `row` (the list row a decision is made on): another
/// id, another client (a site), or inactive where the row is active. What a decision relies on
/// is checked against what the server sent.
pub fn disagreement(row: &Record, record: &Record) -> Option<Disagreement> {
    if record.id != row.id {
        Some(Disagreement::OtherId(record.id))
    } else if record.client_id != row.client_id {
        Some(Disagreement::OtherClient { listed: row.client_id, record: record.client_id })
    } else if record.inactive && !row.inactive {
        Some(Disagreement::Inactive)
    } else {
        None
    }
}

/// What the custom field objects of a collection of records (one Halo's clients) share, stored
/// once. A field's object is the same for every client (id, name, label, type, limits, ...) but
/// for `value` and `display`: stored once per distinct shape, and per client only the varying
/// keys (what it saves: docs/performance.md). Owned by the `Halo` that reads the collection;
/// every record read through it holds a handle, so a record decodes without any global.
#[derive(Clone, Default)]
pub struct FieldShapes(Arc<Mutex<Templates>>);

#[derive(Default)]
struct Templates {
    ids: HashMap<String, u32>,
    objects: Vec<Map<String, Value>>,
}

/// More distinct templates than this (a server whose objects vary in other keys) and objects
/// are kept whole: the table must not grow without bound.
const MAX_TEMPLATES: usize = 4096;

/// A record's `customfields` array as Halo sent it (every key of every object), compact:
/// each object is `[template, value]` or `[template, value, display]` (its other keys are the
/// template's in `shapes`), or whole where it has no `value`, or a `display` without one, or
/// the table is full.
#[derive(Clone)]
pub struct CustomFields {
    shapes: FieldShapes,
    compact: Box<str>,
}

impl std::fmt::Debug for CustomFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.compact)
    }
}

impl FieldShapes {
    fn table(&self) -> MutexGuard<'_, Templates> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The array in compact form, its shapes added to this collection's table.
    pub fn compact(&self, array: &[Value]) -> CustomFields {
        let mut t = self.table();
        let entries: Vec<Value> = array
            .iter()
            .map(|f| {
                let Some(obj) = f.as_object() else { return f.clone() };
                let Some(value) = obj.get("value") else { return f.clone() };
                let mut rest = obj.clone();
                rest.remove("value");
                let display = rest.remove("display");
                let key = Value::Object(rest.clone()).to_string();
                let id = match t.ids.get(&key) {
                    Some(&id) => id,
                    None if t.objects.len() < MAX_TEMPLATES => {
                        let id = t.objects.len() as u32;
                        t.ids.insert(key, id);
                        t.objects.push(rest);
                        id
                    }
                    None => return f.clone(),
                };
                match display {
                    Some(d) => json!([id, value, d]),
                    None => json!([id, value]),
                }
            })
            .collect();
        CustomFields { shapes: self.clone(), compact: Value::Array(entries).to_string().into_boxed_str() }
    }
}

impl CustomFields {
    /// The objects, exactly as they were read.
    fn expand(&self) -> Option<Vec<Value>> {
        let entries: Vec<Value> = serde_json::from_str(&self.compact).ok()?;
        let t = self.shapes.table();
        entries
            .into_iter()
            .map(|e| match e {
                Value::Array(parts) => {
                    let id = parts.first()?.as_u64()? as usize;
                    let mut obj = t.objects.get(id)?.clone();
                    obj.insert("value".into(), parts.get(1)?.clone());
                    if let Some(d) = parts.get(2) {
                        obj.insert("display".into(), d.clone());
                    }
                    Some(Value::Object(obj))
                }
                whole => Some(whole),
            })
            .collect()
    }

    /// Bytes held for this record (the shared shapes not counted).
    pub fn compact_len(&self) -> usize {
        self.compact.len()
    }
}

/// An encrypted or password field (Halo never shows its value).
fn is_secret(f: &Value) -> bool {
    f.get("isencrypted").is_some_and(lenient_bool) || f.get("value_is_password_id").is_some_and(lenient_bool)
}

/// Why a client's other custom fields cannot be posted back exactly as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Unpostable(pub String);

impl std::fmt::Display for Unpostable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A custom field object whose value Halo hides behind a mask: a set secret, or `********`.
/// Its value is never posted (it would replace the secret with the mask). A secret field that
/// shows an empty value hides nothing; it is left out of what is posted all the same.
fn is_masked(f: &Value) -> bool {
    let shown = f.get("value").and_then(value_text);
    match shown {
        None => false,
        Some(v) => is_secret(f) || (v.len() >= 3 && v.chars().all(|c| c == '*')),
    }
}

fn field_name(f: &Value) -> Option<&str> {
    f.get("name").and_then(Value::as_str)
}

/// Whether the custom field object is the field `def`: by its id where the object carries one
/// (two fields whose names differ only in case are two fields), else by name, ignoring case as
/// Halo's names do.
fn is_field(f: &Value, def: &FieldDef) -> bool {
    match f.get("id").and_then(lenient_id) {
        Some(id) => id == def.id,
        None => field_name(f).is_some_and(|n| n.eq_ignore_ascii_case(&def.name)),
    }
}

/// Whether another field's name differs from `name` only in case: Halo might then take the
/// name for the other field, so such a field is posted by its id alone.
fn name_is_shared(name: &str, defs: &[FieldDef]) -> bool {
    defs.iter().filter(|d| d.name.eq_ignore_ascii_case(name)).count() > 1
}

/// The object that names `field` in a posted array: by id, and by name too (as other Halo
/// clients do) where no other field's name differs from it only in case.
fn posted_entry(field: &FieldDef, defs: &[FieldDef], value: &str) -> Value {
    if name_is_shared(&field.name, defs) {
        json!({"id": field.id, "value": value})
    } else {
        json!({"id": field.id, "name": field.name, "value": value})
    }
}

/// Objects posted back as read, but those of fields whose names differ only in case named by
/// their id alone (see `name_is_shared`).
fn by_id_where_names_are_shared(fields: &mut [Value], defs: &[FieldDef]) {
    for f in fields {
        let shared = field_name(f).is_some_and(|n| name_is_shared(n, defs));
        let has_id = f.get("id").and_then(lenient_id).is_some();
        if let (true, true, Some(obj)) = (shared, has_id, f.as_object_mut()) {
            obj.remove("name");
        }
    }
}

impl Record {
    /// The custom field objects as read; None when Halo's answer carried no (readable) array.
    fn field_objects(&self) -> Option<Vec<Value>> {
        self.customfields.as_ref()?.expand()
    }

    /// The field's current value: Some(None) = known to be empty; None = not known, because
    /// the answer had no array, no entry for this field, or a masked one. An array without the
    /// field is never read as "empty": some Halo answers carry only some fields.
    pub fn field_value(&self, field: &FieldDef) -> Option<Option<String>> {
        let objects = self.field_objects()?;
        let f = objects.iter().find(|f| is_field(f, field))?;
        if is_masked(f) {
            return None;
        }
        Some(f.get("value").and_then(value_text))
    }

    /// Every custom field object the answer shows, in one decoding and in the answer's order:
    /// (key, name, None) for a masked one, (key, name, Some(its value, None when empty))
    /// otherwise. The key tells fields apart as `is_field` does: `#id`, else the name in lower
    /// case. The first object of a key is the one `field_value` reads.
    pub fn field_values(&self) -> Vec<(String, String, Option<Option<String>>)> {
        self.field_objects()
            .unwrap_or_default()
            .iter()
            .filter_map(|f| {
                let value = if is_masked(f) { None } else { Some(f.get("value").and_then(value_text)) };
                let name = field_name(f)?.to_string();
                let key = f.get("id").and_then(lenient_id).map_or_else(|| name.to_lowercase(), |id| format!("#{id}"));
                Some((key, name, value))
            })
            .collect()
    }

    /// Whether the client's other custom fields can be posted back exactly as read: the array
    /// must hold every defined field (else an omitted one may just not have been sent) and no
    /// masked value. Ok(true) when some other field holds a value.
    pub fn others_postable(&self, defs: &[FieldDef], ours: &FieldDef) -> Result<bool, Unpostable> {
        let objects =
            self.field_objects().ok_or_else(|| Unpostable("Halo's answer carried none of its custom fields".into()))?;
        let present = |d: &FieldDef| objects.iter().any(|f| is_field(f, d));
        let missing: Vec<&str> =
            defs.iter().filter(|d| d.id != ours.id && !present(d)).map(|d| d.name.as_str()).collect();
        if !missing.is_empty() {
            return Err(Unpostable(format!("Halo's answer did not show its field(s) {}", missing.join(", "))));
        }
        let others = objects.iter().filter(|f| !is_field(f, ours));
        let masked: Vec<&str> = others.clone().filter(|f| is_masked(f)).filter_map(field_name).collect();
        if !masked.is_empty() {
            return Err(Unpostable(format!(
                "its field(s) {} are encrypted and cannot be read back",
                masked.join(", ")
            )));
        }
        Ok(others.filter_map(|f| f.get("value")).any(|v| value_text(v).is_some()))
    }
}

pub struct HaloAuth {
    pub auth_url: String,
    pub tenant: Option<String>,
    pub client_id: String,
    pub secret: String,
    pub scope: String,
    token: TokenCache,
    /// What the last token granted, where its answer said.
    granted: std::sync::Mutex<Option<Vec<String>>>,
}

impl HaloAuth {
    pub fn new(auth_url: &str, tenant: Option<&str>, client_id: &str, secret: &str, scope: &str) -> HaloAuth {
        HaloAuth {
            auth_url: auth_url.into(),
            tenant: tenant.map(str::to_string),
            client_id: client_id.into(),
            secret: secret.into(),
            scope: scope.into(),
            token: TokenCache::default(),
            granted: std::sync::Mutex::new(None),
        }
    }

    /// The scopes the token grants, where Halo's answer said (after a first request).
    pub fn granted_scopes(&self) -> Option<Vec<String>> {
        self.granted.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Whether these scopes let the API application edit customers: `edit:customers`, or a scope
/// that holds every permission (`all`, `admin`). Halo grants what the application allows of
/// what was asked; the agent's role can still refuse (seen at the first write).
pub fn scopes_edit_customers(scopes: &[String]) -> bool {
    scopes.iter().any(|s| matches!(s.to_ascii_lowercase().as_str(), "edit:customers" | "all" | "admin"))
}

impl TokenSource for HaloAuth {
    fn token(&self, http: &Http, renew: bool) -> Result<String, ApiError> {
        self.token.get(http, renew, || self.fetch(http))
    }
}

impl HaloAuth {
    /// A new token from the client-credentials grant, with an error that says what to check.
    fn fetch(&self, http: &Http) -> Result<(String, Duration), ApiError> {
        let mut url = format!("{}/token", self.auth_url);
        if let Some(t) = &self.tenant {
            url.push_str(&format!("?tenant={}", pct(t)));
        }
        let fields = (self.client_id.as_str(), self.secret.as_str(), self.scope.as_str());
        let outcome = match http.client_credentials(Side::Halo, "POST /auth/token", &url, fields) {
            Ok(granted) => {
                *self.granted.lock().unwrap_or_else(|e| e.into_inner()) = granted.scopes;
                return Ok((granted.token, granted.renew_at));
            }
            Err(outcome) => outcome,
        };
        let refusal = token_refusal(&outcome, &self.scope);
        Err(ApiError::Token { side: Side::Halo, refusal, exchange: exchange("POST", &url, &outcome) })
    }
}

/// Why Halo's token endpoint gave no token, read once from its answer (OAuth's `error` and
/// `error_description`).
fn token_refusal(outcome: &Result<Response, HttpError>, scope: &str) -> TokenRefusal {
    let Ok(r) = outcome else { return TokenRefusal::Other };
    if r.ok() {
        return no_token(outcome);
    }
    let body = r.json().unwrap_or_default();
    let error = body.get("error").and_then(Value::as_str).unwrap_or("");
    let description = body.get("error_description").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    match error {
        "invalid_client" => TokenRefusal::InvalidClient,
        "invalid_scope" => TokenRefusal::InvalidScope { scope: scope.to_string() },
        // The tenant problem shows in the description ("Invalid or missing tenant").
        _ if description.contains("tenant") => TokenRefusal::Tenant,
        _ if r.status == 404 => TokenRefusal::NotFound,
        _ => TokenRefusal::Other,
    }
}

/// Where tokens come from, and for which tenant: as configured, or as the instance itself says.
pub struct AuthServer {
    pub auth_url: String,
    pub tenant: Option<String>,
    /// How it was found, for the log and --check (put into words by hints.rs).
    pub how: AuthFound,
}

/// How the authorisation server was found.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthFound {
    /// --halo-auth-url.
    Explicit,
    /// Halo's /api/authinfo named it.
    AuthInfo,
    /// The default, `<halo-url>/auth`: /api/authinfo was not usable (its exchange).
    NoAuthInfo(Box<crate::error::Exchange>),
    /// The default: /api/authinfo named no auth_url.
    NoAuthUrl,
    /// The default: the auth_url of /api/authinfo is not a usable URL.
    BadAuthUrl(crate::util::UrlError),
}

/// The authorisation server. An explicit `--halo-auth-url` always wins; otherwise
/// `GET <halo-url>/api/authinfo` (unauthenticated; `auth_url`, `tenant_id`), as the public Halo
/// client libraries do, and `<halo-url>/auth` where that endpoint is absent. Its tenant is used
/// when none is set. The client secret goes only where the operator sent it: an `auth_url` on
/// another host than `--halo-url` is refused (`ApiError::Auth`, saying how to allow it), since
/// whoever can change that answer would otherwise receive the secret.
pub fn auth_server(
    http: &Http,
    halo_url: &str,
    explicit: Option<&str>,
    tenant: Option<&str>,
) -> Result<AuthServer, ApiError> {
    let tenant = tenant.map(str::to_string);
    if let Some(u) = explicit {
        return Ok(AuthServer { auth_url: u.to_string(), tenant, how: AuthFound::Explicit });
    }
    let fallback =
        |why: AuthFound| AuthServer { auth_url: format!("{halo_url}/auth"), tenant: tenant.clone(), how: why };
    let url = format!("{halo_url}/api/authinfo");
    let outcome = http.send(&Request::get(Side::Halo, "GET /api/authinfo", url.clone()));
    let info = match read_ok("Halo's authinfo", &url, &outcome, json) {
        Ok(v) => v,
        Err(_) => return Ok(fallback(AuthFound::NoAuthInfo(exchange("GET", &url, &outcome)))),
    };
    let found =
        info.get("auth_url").and_then(Value::as_str).map(|u| u.trim().trim_end_matches('/')).filter(|u| !u.is_empty());
    let Some(found) = found else { return Ok(fallback(AuthFound::NoAuthUrl)) };
    let same_server = crate::util::host_port(found).is_some_and(|h| Some(h) == crate::util::host_port(halo_url));
    if !same_server {
        let shown = crate::util::printable(&clip(found, 200));
        return Err(ApiError::AuthServerElsewhere { shown });
    }
    // Behind a TLS-terminating proxy, an instance may name itself with http://: the same host
    // and port as the configured URL keep the configured scheme.
    let found = match (found.split_once("://"), halo_url.split_once("://")) {
        (Some((_, rest)), Some((scheme, _))) => format!("{scheme}://{rest}"),
        _ => found.to_string(),
    };
    Ok(match crate::util::checked_base_url(&found) {
        Ok(auth_url) => AuthServer {
            auth_url,
            tenant: tenant.clone().or_else(|| {
                info.get("tenant_id")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
            }),
            how: AuthFound::AuthInfo,
        },
        Err(e) => fallback(AuthFound::BadAuthUrl(e)),
    })
}

pub struct Halo<'a> {
    pub http: &'a Http,
    pub url: String,
    pub auth: HaloAuth,
    /// The custom-field shapes of the clients this Halo reads.
    pub shapes: FieldShapes,
}

/// Which of `kind`'s field definitions the user means, or an error that names the closest ones
/// and the setting to change.
pub fn resolve_field(defs: &[FieldDef], wanted: &str, kind: Kind) -> Result<FieldDef, ApiError> {
    if let Some(d) = defs.iter().find(|d| d.name == wanted) {
        return Ok(d.clone());
    }
    let (level, flag) = (kind.level(), kind.field_flag());
    // Ignoring case only where that names one field: of two, which is meant cannot be guessed.
    let folded: Vec<&FieldDef> = defs.iter().filter(|d| d.name.eq_ignore_ascii_case(wanted)).collect();
    match folded.as_slice() {
        [d] => return Ok((*d).clone()),
        [] => {}
        many => {
            let twins = many.iter().map(|d| format!("{} (label \"{}\", id {})", d.name, d.label, d.id)).collect();
            return Err(ApiError::FieldCaseTwins { level, flag, wanted: wanted.to_string(), twins });
        }
    }
    let label_of = defs.iter().find(|d| d.label.trim().eq_ignore_ascii_case(wanted.trim())).map(|d| d.name.clone());
    let pairs: Vec<(&str, &str)> = defs.iter().map(|d| (d.name.as_str(), d.label.as_str())).collect();
    Err(ApiError::FieldNotFound {
        side: Side::Halo,
        level,
        flag,
        wanted: wanted.to_string(),
        spelled: None,
        label_of,
        closest: crate::util::closest_fields(wanted, &pairs, 5),
    })
}

impl Halo<'_> {
    fn send(&self, req: Request) -> Result<Result<Response, HttpError>, ApiError> {
        self.http.send_authed(&self.auth, req)
    }

    fn get(
        &self,
        endpoint: &'static str,
        path_and_query: &str,
    ) -> Result<(String, Result<Response, HttpError>), ApiError> {
        self.http.get_authed(&self.auth, Side::Halo, endpoint, format!("{}{}", self.url, path_and_query))
    }

    /// The custom field definitions of clients (typeid 2) or sites (typeid 3).
    pub fn fields(&self, kind: Kind) -> Result<Vec<FieldDef>, ApiError> {
        let (url, outcome) = self.get("GET /api/FieldInfo", &format!("/api/FieldInfo?typeid={}", kind.typeid()))?;
        if matches!(&outcome, Ok(r) if r.status == 403) {
            return Err(ApiError::FieldsForbidden { level: kind.level(), exchange: exchange("GET", &url, &outcome) });
        }
        read_ok(&format!("Halo's {} custom fields", kind.noun()), &url, &outcome, parse_field_info)
    }

    /// The clients (or sites) for which `keep(id)` holds, from a complete read of the list
    /// (paging and its checks see every row; only the kept ones are held in memory). Active and
    /// inactive alike: the caller filters on each row's `inactive`, since Halo silently ignores
    /// query parameters it does not know. Current custom field values are asked for with
    /// `include_custom_fields`; rows come back without them where the server does not supply them.
    pub fn list(&self, kind: Kind, fields: &[FieldDef], keep: &dyn Fn(i64) -> bool) -> Result<Vec<Record>, ApiError> {
        let (noun, plural, level) = (kind.noun(), kind.plural(), kind.level());
        let paging = |error| ApiError::Paging { list: format!("Halo's {noun} list"), error };
        let mut records = Vec::new();
        let mut seen = crate::util::PageGuard::default();
        for page_no in 1.. {
            let (rows, total) =
                self.page(kind, fields, page_no).map_err(|e| ApiError::PartialList { level, cause: Box::new(e) })?;
            let received = rows.len();
            let at = format!("page {page_no}");
            for c in rows {
                seen.first(c.id, || format!("Halo {noun} {}", c.id), &at).map_err(paging)?;
                if keep(c.id) {
                    records.push(c);
                }
            }
            seen.within_ceiling().map_err(paging)?;
            self.http.progress(Side::Halo, Phase::ListPages(plural, page_no), seen.count(), total);
            if let Some(total) = total.filter(|t| received == 0 && (seen.count() as u64) < *t) {
                return Err(ApiError::EmptyPage { level, page: page_no, total, read: seen.count() });
            }
            // A full page is never the end, whatever record_count says (a count lower than the
            // rows there would drop records); a short page is, once the count (if any) is met.
            let short = received < PAGE_SIZE;
            if received == 0 || (short && total.is_none_or(|t| seen.count() as u64 >= t)) {
                break;
            }
        }
        // Held for the whole run: no room left over from growing it.
        records.shrink_to_fit();
        Ok(records)
    }

    /// One page of the client (or site) list (active and inactive, with these custom fields'
    /// values): the rows and the total the server reports.
    pub fn page(
        &self,
        kind: Kind,
        fields: &[FieldDef],
        page_no: usize,
    ) -> Result<(Vec<Record>, Option<u64>), ApiError> {
        let ids: Vec<String> = fields.iter().map(|f| f.id.to_string()).collect();
        let url = format!(
            "{}{}?pageinate=true&page_size={PAGE_SIZE}&page_no={page_no}&includeactive=true&includeinactive=true&include_custom_fields={}",
            self.url,
            kind.path(),
            ids.join(",")
        );
        let decode = |r: &mut dyn std::io::Read| decode_page(r, kind, &self.shapes);
        let (url, outcome) = self.http.get_decoded(&self.auth, Side::Halo, kind.endpoints()[0], url, &decode)?;
        crate::http::read_decoded(&format!("the Halo {} list", kind.noun()), &url, outcome)
    }

    /// One client or site with its full custom fields.
    pub fn record(&self, kind: Kind, id: i64) -> Result<Record, ApiError> {
        let noun = kind.noun();
        let (url, outcome) = self.get(kind.endpoints()[1], &format!("{}/{id}", kind.path()))?;
        // The answer is returned whatever record it is: the caller compares it with what it
        // asked for (`disagreement`), and a record that is not the one asked for is never written.
        read_ok(&format!("Halo {noun} {id}"), &url, &outcome, |body| parse_record(body, kind, &self.shapes))
    }

    /// Reads several records, a few at a time; the answers come in the order of `ids`.
    pub fn records_by_id(&self, kind: Kind, ids: &[i64]) -> Vec<(i64, Result<Record, ApiError>)> {
        // Each record's outcome is kept (one failed read must not hide the others), so the
        // pool never stops early here.
        let all: Result<Vec<_>, std::convert::Infallible> = crate::util::parallel_map(
            ids,
            READ_THREADS,
            |&id| Ok((id, self.record(kind, id))),
            |done| self.http.progress(Side::Halo, Phase::OneByOne(kind.plural()), done, Some(ids.len() as u64)),
        );
        all.unwrap_or_else(|never| match never {})
    }

    /// One POST /api/Client (or /api/Site) with these updates.
    pub fn post(&self, kind: Kind, batch: &[(i64, Value)]) -> Result<Posted, ApiError> {
        let body = Value::Array(batch.iter().map(|(_, v)| v.clone()).collect()).to_string();
        let url = format!("{}{}", self.url, kind.path());
        let outcome =
            self.send(Request::post(Side::Halo, kind.endpoints()[2], url.clone(), "application/json", body))?;
        self.http.progress(Side::Halo, Phase::WroteBatch(kind.plural()), batch.len(), None);
        match &outcome {
            Ok(r) if r.ok() => Ok(Posted::Accepted),
            Ok(r) if (400..500).contains(&r.status) => {
                Ok(Posted::Refused { status: r.status, body: r.body.clone(), what: exchange("POST", &url, &outcome) })
            }
            _ => Err(ApiError::PostFailed { exchange: exchange("POST", &url, &outcome) }),
        }
    }
}

/// The answer to one POST of updates.
#[derive(Debug, Clone, PartialEq)]
pub enum Posted {
    Accepted,
    /// A 4xx: its status and body (to tell a refusal of the field from one of some records),
    /// and the exchange as the user sees it.
    Refused {
        status: u16,
        body: String,
        what: Box<crate::error::Exchange>,
    },
}

fn json(body: &str) -> Result<Value, Unreadable> {
    serde_json::from_str(body).map_err(|e| Unreadable(format!(" (not JSON: {e})")))
}

/// GET /api/FieldInfo: a bare array of field definitions (an envelope with one array is
/// accepted too). Rows without an id or name are skipped.
pub fn parse_field_info(body: &str) -> Result<Vec<FieldDef>, Unreadable> {
    let rows = match json(body)? {
        Value::Array(a) => a,
        Value::Object(m) => m
            .into_iter()
            .find_map(|(_, v)| match v {
                Value::Array(a) => Some(a),
                _ => None,
            })
            .ok_or(" (expected an array of field definitions)")?,
        _ => return Err(" (expected an array of field definitions)".into()),
    };
    Ok(rows
        .iter()
        .filter_map(|f| {
            Some(FieldDef {
                id: f.get("id").and_then(lenient_id)?,
                name: f.get("name").and_then(Value::as_str)?.to_string(),
                label: f.get("label").and_then(Value::as_str).unwrap_or("").to_string(),
            })
        })
        .collect())
}

/// A page of GET /api/Client (or /api/Site): the envelope `{record_count, clients}` (or
/// `sites`; a bare array is accepted too), as the records and the total the server reports.
pub fn parse_page(body: &str, kind: Kind, shapes: &FieldShapes) -> Result<(Vec<Record>, Option<u64>), Unreadable> {
    decode_page(&mut body.as_bytes(), kind, shapes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Unreadable(format!(" (not what was expected: {e})")),
        _ => Unreadable(format!(" (not JSON: {e})")),
    })
}

/// `parse_page` from the connection as the answer arrives. Only what the run uses of a row is
/// decoded (a real row carries over a hundred keys, Halo's `Area_List`), each row becomes a
/// record as soon as it is read, and only one row's custom fields are held as text at a time:
/// a page is never held whole in memory, as text or as a tree.
pub fn decode_page(
    reader: &mut dyn std::io::Read,
    kind: Kind,
    shapes: &FieldShapes,
) -> Result<(Vec<Record>, Option<u64>), serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let page = PageSeed { kind, shapes }.deserialize(&mut de)?;
    de.end()?;
    Ok(page)
}

/// Decodes a list page (an envelope, or a bare array of rows).
struct PageSeed<'s> {
    kind: Kind,
    shapes: &'s FieldShapes,
}

impl<'de> serde::de::DeserializeSeed<'de> for PageSeed<'_> {
    type Value = (Vec<Record>, Option<u64>);
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PageSeed<'_> {
    type Value = (Vec<Record>, Option<u64>);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with a {} array", self.kind.plural())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok((RowsSeed { kind: self.kind, shapes: self.shapes }.visit_seq(seq)?, None))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut rows, mut total) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            if key == self.kind.plural() {
                rows = Some(map.next_value_seed(RowsSeed { kind: self.kind, shapes: self.shapes })?);
            } else if key == "record_count" {
                total = lenient_id(&map.next_value::<Value>()?).map(|n| n as u64);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        let rows = rows.ok_or_else(|| serde::de::Error::custom(format!("no {} array", self.kind.plural())))?;
        Ok((rows, total))
    }
}

/// Decodes the rows of a page into records, one at a time.
struct RowsSeed<'s> {
    kind: Kind,
    shapes: &'s FieldShapes,
}

impl<'de> serde::de::DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Vec<Record>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowsSeed<'_> {
    type Value = Vec<Record>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an array of {}", self.kind.plural())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut records = Vec::new();
        while let Some(row) = seq.next_element::<Row>()? {
            let name = row.name.clone();
            let record = record_of(row, self.kind, self.shapes).ok_or_else(|| {
                let named = name.as_ref().map_or("no name".to_string(), |n| clip(&n.to_string(), 200));
                serde::de::Error::custom(format!("a {} without a usable id ({named})", self.kind.noun()))
            })?;
            records.push(record);
        }
        Ok(records)
    }
}

/// What the run reads of a client or site (a list row or a record); every other key is passed
/// over without being built, and the custom fields stay text until they are compacted.
#[derive(Deserialize)]
struct Row {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    inactive: Option<Value>,
    #[serde(default)]
    client_id: Option<Value>,
    #[serde(default)]
    customfields: Option<Box<RawValue>>,
    /// Present (even as null) or absent: Halo's own link is seen only where the key is there.
    #[serde(default, deserialize_with = "present")]
    ninjarmmid: Option<Value>,
}

/// A key that is there, whatever its value (null included): Some.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

/// GET /api/Client/{id} (or /api/Site/{id}): one object.
pub fn parse_record(body: &str, kind: Kind, shapes: &FieldShapes) -> Result<Record, Unreadable> {
    let row: Row =
        serde_json::from_str(body).map_err(|e| Unreadable(format!(" (not a {} object: {e})", kind.noun())))?;
    record_of(row, kind, shapes).ok_or_else(|| format!(" (expected a {} object with an id)", kind.noun()).into())
}

fn record_of(row: Row, kind: Kind, shapes: &FieldShapes) -> Option<Record> {
    let customfields = match row.customfields.map(|raw| serde_json::from_str::<Value>(raw.get())) {
        Some(Ok(Value::Array(a))) => Some(shapes.compact(&a)),
        _ => None,
    };
    Some(Record {
        id: row.id.as_ref().and_then(lenient_id)?,
        name: match row.name {
            Some(Value::String(n)) => n,
            _ => String::new(),
        },
        inactive: row.inactive.as_ref().is_some_and(lenient_bool),
        // A site's client, which Halo may send as a decimal (`21.0`).
        client_id: match kind {
            Kind::Clients => None,
            Kind::Sites => row.client_id.as_ref().and_then(lenient_id),
        },
        customfields,
        link: match row.ninjarmmid {
            Some(id) => Link::Seen(lenient_id(&id)),
            None => Link::Unseen,
        },
        disputed: None,
    })
}

/// The update that posts only our field. Safe where Halo merges posted custom fields into the
/// record (the other fields, and edits a person makes to them meanwhile, stay as they are).
pub fn body_ours_only(client_id: i64, field: &FieldDef, defs: &[FieldDef], value: &str) -> Value {
    json!({"id": client_id, "customfields": [posted_entry(field, defs, value)]})
}

/// The update that posts the client's whole array exactly as read, with our field set to
/// `value`: safe where Halo replaces the array. Refused (with the reason) when the other fields
/// cannot be posted back exactly (see `others_postable`).
pub fn body_full(client: &Record, defs: &[FieldDef], field: &FieldDef, value: &str) -> Result<Value, Unpostable> {
    client.others_postable(defs, field)?;
    let mut fields = client.field_objects().unwrap_or_default();
    let ours = |f: &Value| is_field(f, field);
    fields.retain(|f| ours(f) || !is_secret(f));
    match fields.iter_mut().find(|f| ours(f)) {
        Some(Value::Object(f)) => {
            f.insert("value".into(), json!(value));
            // The display text Halo computed for the old value would contradict the new one.
            f.remove("display");
        }
        _ => {
            fields.retain(|f| !ours(f));
            fields.push(posted_entry(field, defs, value));
        }
    }
    by_id_where_names_are_shared(&mut fields, defs);
    Ok(json!({"id": client.id, "customfields": fields}))
}

/// The client's array exactly as read, without our field: posted once, to a client that holds
/// our value, it tells how this Halo treats posted custom fields. Where Halo merges, nothing
/// changes; where it replaces the array, our field (and only our field) is emptied.
pub fn body_without_ours(client: &Record, defs: &[FieldDef], field: &FieldDef) -> Result<Value, Unpostable> {
    client.others_postable(defs, field)?;
    let mut fields = client.field_objects().unwrap_or_default();
    fields.retain(|f| !is_field(f, field) && !is_secret(f));
    by_id_where_names_are_shared(&mut fields, defs);
    Ok(json!({"id": client.id, "customfields": fields}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> Vec<FieldDef> {
        vec![
            FieldDef { id: 1, name: "CFDtcClientGuid".into(), label: "DTC Client GUID".into() },
            FieldDef { id: 2, name: "CFContractTier".into(), label: "Contract tier".into() },
        ]
    }

    #[test]
    fn field_resolution() {
        let clients = Kind::Clients;
        assert_eq!(resolve_field(&defs(), "cfdtcclientguid", clients).unwrap().name, "CFDtcClientGuid");
        let e = resolve_field(&defs(), "DTC Client GUID", clients).unwrap_err();
        assert!(e.is_field(), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("is the label of CFDtcClientGuid"), "{e}");
        let mut twins = defs();
        twins.push(FieldDef { id: 9, name: "CFDTCClientGuid".into(), label: "Other".into() });
        assert_eq!(resolve_field(&twins, "CFDtcClientGuid", clients).unwrap().id, 1, "the exact name first");
        let e = resolve_field(&twins, "cfdtcclientguid", clients).unwrap_err().to_string();
        assert!(e.contains("differ from 'cfdtcclientguid' only in case") && e.contains("id 9"), "{e}");
    }

    /// The whole message, at each level: each names its own setting as the operator sets it.
    #[test]
    fn a_field_not_found_names_the_setting_of_its_level() {
        let e = resolve_field(&defs(), "DtcClientGuid", Kind::Clients).unwrap_err().to_string();
        assert_eq!(
            e,
            "Halo has no client custom field named 'DtcClientGuid' (haloField / HALO_FIELD / --halo-field). The \
             closest client fields are: CFDtcClientGuid (label \"DTC Client GUID\"), CFContractTier (label \"Contract \
             tier\"). Nothing was written."
        );
        let sites = vec![FieldDef { id: 7, name: "CFSiteGuid".into(), label: "Site GUID".into() }];
        let e = resolve_field(&sites, "Site GUID", Kind::Sites).unwrap_err().to_string();
        assert_eq!(
            e,
            "Halo has no site custom field named 'Site GUID' (haloSiteField / HALO_SITE_FIELD / --halo-site-field). \
             'Site GUID' is the label of CFSiteGuid: pass the internal name, --halo-site-field CFSiteGuid. The closest \
             site fields are: CFSiteGuid (label \"Site GUID\"). Nothing was written."
        );
        let e = resolve_field(&[], "CFSiteGuid", Kind::Sites).unwrap_err().to_string();
        assert_eq!(
            e,
            "Halo has no site custom field named 'CFSiteGuid' (haloSiteField / HALO_SITE_FIELD / --halo-site-field). \
             Halo lists no site custom fields at all: create the field under Configuration > Custom Objects > Custom \
             Fields (Sites). Nothing was written."
        );
    }

    fn client(fields: Value) -> Record {
        client_of(&FieldShapes::default(), fields)
    }

    fn client_of(shapes: &FieldShapes, fields: Value) -> Record {
        Record {
            id: 7,
            name: "A".into(),
            inactive: false,
            client_id: None,
            customfields: fields.as_array().map(|a| shapes.compact(a)),
            link: Link::Unseen,
            disputed: None,
        }
    }

    #[test]
    fn a_value_is_known_only_where_the_answer_shows_it() {
        let full = client(json!([
            {"id": 2, "name": "CFContractTier", "value": "Gold", "label": "Tier", "usage": 0},
            {"id": 1, "name": "CFDtcClientGuid", "value": ""}]));
        let (ours, tier) = (&defs()[0], &defs()[1]);
        assert_eq!(full.field_value(ours), Some(None));
        assert_eq!(full.field_value(tier), Some(Some("Gold".into())));
        assert_eq!(client(json!([])).field_value(ours), None, "an empty array is not 'empty'");
        let without = client(json!([{"id": 2, "name": "CFContractTier", "value": "Gold"}]));
        assert_eq!(without.field_value(ours), None);
        let absent = Record { customfields: None, ..full.clone() };
        assert_eq!(absent.field_value(ours), None);
        let masked = client(json!([{"id": 1, "name": "CFDtcClientGuid", "value": "********", "isencrypted": true}]));
        assert_eq!(masked.field_value(ours), None);
        // Two fields whose names differ only in case are told apart by id.
        let twins = client(json!([
            {"id": 9, "name": "CFDTCClientGuid", "value": "theirs"},
            {"id": 1, "name": "CFDtcClientGuid", "value": "ours"}]));
        assert_eq!(twins.field_value(ours), Some(Some("ours".into())));
    }

    #[test]
    fn other_fields_go_back_exactly_as_read_or_not_at_all() {
        let c = client(json!([
            {"id": 2, "name": "CFContractTier", "value": "Gold", "label": "Tier", "usage": 0, "display": "Gold"},
            {"id": 1, "name": "CFDtcClientGuid", "value": "", "display": ""}]));
        let b = body_full(&c, &defs(), &defs()[0], "G").unwrap();
        assert_eq!(
            b,
            json!({"id": 7, "customfields": [
                {"id": 2, "name": "CFContractTier", "value": "Gold", "label": "Tier", "usage": 0, "display": "Gold"},
                {"id": 1, "name": "CFDtcClientGuid", "value": "G"}]})
        );
        assert_eq!(
            body_ours_only(7, &defs()[0], &defs(), "G"),
            json!({"id": 7, "customfields": [{"id": 1, "name": "CFDtcClientGuid", "value": "G"}]})
        );
        // Where another field's name differs only in case, the field is named by its id alone.
        let mut twins = defs();
        twins.push(FieldDef { id: 9, name: "CFDTCClientGuid".into(), label: "Other".into() });
        assert_eq!(
            body_ours_only(7, &defs()[0], &twins, "G"),
            json!({"id": 7, "customfields": [{"id": 1, "value": "G"}]})
        );
        // A field the answer does not show, or a masked one, cannot be posted back exactly.
        let partial = client(json!([{"id": 1, "name": "CFDtcClientGuid", "value": ""}]));
        assert!(body_full(&partial, &defs(), &defs()[0], "G").unwrap_err().0.contains("CFContractTier"));
        let secret = client(json!([
            {"id": 2, "name": "CFContractTier", "value": "********", "isencrypted": true},
            {"id": 1, "name": "CFDtcClientGuid", "value": ""}]));
        assert!(body_full(&secret, &defs(), &defs()[0], "G").unwrap_err().0.contains("encrypted"));
    }

    #[test]
    fn compact_fields_give_back_every_key_exactly() {
        let read = json!([
            {"id": 1, "name": "CFDtcClientGuid", "label": "GUID", "type": 0, "value": "", "display": "", "usage": 0},
            {"id": 2, "name": "CFTier", "label": "Tier", "value": 2, "display": "Gold", "ordervalues": false},
            {"id": 3, "name": "CFNote", "label": "Note", "value": null},
            {"id": 4, "name": "CFOdd", "display": "no value key"},
            "not an object"
        ]);
        let shapes = FieldShapes::default();
        let c = client_of(&shapes, read.clone());
        assert_eq!(Value::Array(c.field_objects().unwrap()), read);
        assert!(c.customfields.as_ref().unwrap().compact_len() < read.to_string().len() / 2, "{:?}", c.customfields);
        // Other clients' objects of the same fields share the collection's templates.
        let other = client_of(
            &shapes,
            json!([{"id": 1, "name": "CFDtcClientGuid", "label": "GUID", "type": 0, "value": "g", "display": "g", "usage": 0}]),
        );
        assert_eq!(shapes.table().objects.len(), 3, "no new shape for a known field");
        assert_eq!(other.field_value(&defs()[0]), Some(Some("g".into())));
    }

    #[test]
    fn token_refusals_are_read_once_into_a_kind() {
        let answer = |status: u16, body: &str| {
            Ok(Response { status, body: body.into(), content_type: "application/json".into(), retry_after: None })
        };
        let of = |outcome| token_refusal(&outcome, "all");
        assert_eq!(of(answer(401, r#"{"error":"invalid_client"}"#)), TokenRefusal::InvalidClient);
        assert_eq!(of(answer(400, r#"{"error":"invalid_scope"}"#)), TokenRefusal::InvalidScope { scope: "all".into() });
        assert_eq!(
            of(answer(400, r#"{"error":"invalid_request","error_description":"Invalid or missing tenant"}"#)),
            TokenRefusal::Tenant
        );
        assert_eq!(of(answer(404, "<html>")), TokenRefusal::NotFound);
        assert_eq!(of(answer(200, "{}")), TokenRefusal::NoToken { chars: None });
        assert_eq!(of(Err(HttpError::Tls("x".into()))), TokenRefusal::Other);
    }
}
