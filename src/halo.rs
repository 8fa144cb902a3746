//! HaloPSA API: client-credentials token (with ?tenant=), custom field definitions
//! (FieldInfo), clients paged by the rows actually received (the server caps pages at 100),
//! per-client reads, and batched writes that never disturb the other custom fields.

use crate::http::{describe, parse_token, read_ok, Http, HttpError, Request, Response, Side, TokenCache, TokenSource};
use crate::output;
use crate::util::{clip, form, lenient_bool, lenient_id, pct, value_text};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// Halo returns at most 100 rows a page whatever is asked; asking for exactly that keeps the
/// arithmetic honest. Paging stops on the rows received, never on the size requested.
pub const PAGE_SIZE: usize = 100;
/// Clients per POST /api/Client. 100 (as others post to Halo) keeps a first run of 1,000
/// organizations at 10 write requests; a rejected batch splits in 7 halvings at most, and
/// a batch stays far from Halo's 60 s gateway limit.
pub const WRITE_BATCH: usize = 100;
const READ_THREADS: usize = 4;

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub id: i64,
    pub name: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
    /// The client's custom fields; None when the response carried none.
    pub customfields: Option<Vec<CustomField>>,
}

/// One custom field of a client: what is needed to post it back unchanged (Halo's labels,
/// display texts and types are dropped: at 10,000 clients they would be most of the memory).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
    pub id: Option<i64>,
    pub name: String,
    pub value: Value,
}

impl Client {
    /// The field's current value: Some(None) = known to be empty; None = not known.
    pub fn field_value(&self, field: &str) -> Option<Option<String>> {
        let fields = self.customfields.as_ref()?;
        Some(fields.iter().find(|f| f.name.eq_ignore_ascii_case(field)).and_then(|f| value_text(&f.value)))
    }
}

pub struct HaloAuth {
    pub auth_url: String,
    pub tenant: Option<String>,
    pub client_id: String,
    pub secret: String,
    pub scope: String,
    token: TokenCache,
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
        }
    }
}

impl TokenSource for HaloAuth {
    fn token(&self, http: &Http, renew: bool) -> Result<String, String> {
        self.token.get(http, renew, || self.fetch(http))
    }
}

impl HaloAuth {
    /// A new token from the client-credentials grant, with an error that says what to check.
    fn fetch(&self, http: &Http) -> Result<(String, Duration), String> {
        let mut url = format!("{}/token", self.auth_url);
        if let Some(t) = &self.tenant {
            url.push_str(&format!("?tenant={}", pct(t)));
        }
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", &self.secret),
            ("scope", &self.scope),
        ]);
        let req = Request::post(Side::Halo, "POST /auth/token", url.clone(), "application/x-www-form-urlencoded", body);
        let outcome = http.send(&req);
        let error = match &outcome {
            Ok(r) if r.ok() => {
                return parse_token(http, r).ok_or_else(|| {
                    format!(
                        "Halo's token endpoint answered without an access_token: {}",
                        describe("POST", &url, &outcome)
                    )
                })
            }
            // "error" plus "error_description": the tenant problem shows in the description.
            Ok(r) => r.json().and_then(|v| {
                let e = v.get("error").and_then(Value::as_str)?;
                let d = v.get("error_description").and_then(Value::as_str).unwrap_or("");
                Some(if d.to_ascii_lowercase().contains("tenant") { format!("{e}: tenant") } else { e.to_string() })
            }),
            Err(_) => None,
        };
        let what = describe("POST", &url, &outcome);
        Err(match error.as_deref() {
            Some("invalid_client") => format!(
                "Halo refused the client credentials (invalid_client): {what}. Check HALO_CLIENT_ID and HALO_CLIENT_SECRET \
                 in Configuration > Integrations > Halo API: the Client ID changes when the application is first saved, \
                 changing the login type regenerates the secret, and the application must use 'Client ID and Secret \
                 (Services)' logging in as an API-only agent (an agent that signs in with SSO cannot use client credentials)"
            ),
            Some("invalid_scope") => format!(
                "Halo refused the scopes '{}' (invalid_scope): {what}. Allow read:customers and edit:customers on the \
                 API application, or set --halo-scope",
                self.scope
            ),
            Some(e) if e.contains("tenant") => format!(
                "Halo did not accept the tenant: {what}. Set --halo-tenant / HALO_TENANT to the tenant shown in \
                 Configuration > Integrations > Halo API > API Details (Halo-hosted instances)"
            ),
            _ if matches!(&outcome, Ok(r) if r.status == 404) => format!(
                "Halo's token endpoint was not found: {what}. Check --halo-auth-url (the Authorisation Server shown in \
                 Configuration > Integrations > Halo API > API Details)"
            ),
            _ => format!("cannot get a Halo token: {what}"),
        })
    }
}

pub struct Halo<'a> {
    pub http: &'a Http,
    pub url: String,
    pub auth: HaloAuth,
}

/// Which of the field definitions the user means, or an error that names the closest ones.
pub fn resolve_field(defs: &[FieldDef], wanted: &str) -> Result<FieldDef, String> {
    if let Some(d) = defs.iter().find(|d| d.name == wanted) {
        return Ok(d.clone());
    }
    if let Some(d) = defs.iter().find(|d| d.name.eq_ignore_ascii_case(wanted)) {
        return Ok(d.clone());
    }
    let w = wanted.to_lowercase();
    let label_hit = defs.iter().find(|d| d.label.trim().eq_ignore_ascii_case(wanted.trim()));
    let mut scored: Vec<(f64, &FieldDef)> = defs
        .iter()
        .map(|d| {
            let by_name = strsim::jaro_winkler(&w, &d.name.to_lowercase());
            let by_bare = strsim::jaro_winkler(&w, d.name.to_lowercase().trim_start_matches("cf"));
            let by_label = strsim::jaro_winkler(&w, &d.label.to_lowercase());
            (by_name.max(by_bare).max(by_label), d)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let closest: Vec<String> =
        scored.iter().take(5).map(|(_, d)| format!("{} (label \"{}\")", d.name, d.label)).collect();
    let mut msg = format!("Halo has no client custom field named '{wanted}' (--halo-field / HALO_FIELD).");
    if let Some(d) = label_hit {
        msg.push_str(&format!(
            " '{wanted}' is the label of {}: pass the internal name, --halo-field {}.",
            d.name, d.name
        ));
    }
    if closest.is_empty() {
        msg.push_str(" Halo lists no client custom fields at all: create the field under Configuration > Custom Objects > Custom Fields (Customers).");
    } else {
        msg.push_str(&format!(" The closest client fields are: {}.", closest.join(", ")));
    }
    msg.push_str(" Nothing was written.");
    Err(msg)
}

impl Halo<'_> {
    fn send(&self, req: Request) -> Result<Result<Response, HttpError>, String> {
        self.http.send_authed(&self.auth, req)
    }

    fn get(
        &self,
        endpoint: &'static str,
        path_and_query: &str,
    ) -> Result<(String, Result<Response, HttpError>), String> {
        let url = format!("{}{}", self.url, path_and_query);
        let outcome = self.send(Request::get(Side::Halo, endpoint, url.clone()))?;
        Ok((url, outcome))
    }

    /// Client custom field definitions from GET /api/FieldInfo?typeid=2 (a bare array).
    pub fn client_fields(&self) -> Result<Vec<FieldDef>, String> {
        let (url, outcome) = self.get("GET /api/FieldInfo", "/api/FieldInfo?typeid=2")?;
        if matches!(&outcome, Ok(r) if r.status == 403) {
            return Err(format!(
                "Halo refused to list the client custom fields: {}. The API application needs the read:customers and \
                 edit:customers scopes, and its login agent a role that can see and edit customers",
                describe("GET", &url, &outcome)
            ));
        }
        read_ok("Halo's client custom fields", &url, &outcome, parse_field_info)
    }

    /// Every client, active and inactive (filtered by the caller on each row's `inactive`, since
    /// Halo silently ignores query parameters it does not know). Current custom field values are
    /// asked for with `include_custom_fields`; rows come back without them where the server
    /// does not supply them.
    pub fn clients(&self, field_ids: &[i64]) -> Result<Vec<Client>, String> {
        self.clients_where(field_ids, &|_| true)
    }

    /// The clients for which `keep(id)` holds, from a complete read of the list (paging and
    /// its checks see every row; only the kept ones are held in memory).
    pub fn clients_where(&self, field_ids: &[i64], keep: &dyn Fn(i64) -> bool) -> Result<Vec<Client>, String> {
        let ids: Vec<String> = field_ids.iter().map(i64::to_string).collect();
        let mut clients = Vec::new();
        let mut seen = HashSet::new();
        for page_no in 1.. {
            let (url, outcome) = self.get(
                "GET /api/Client",
                &format!(
                    "/api/Client?pageinate=true&page_size={PAGE_SIZE}&page_no={page_no}&includeactive=true&includeinactive=true&include_custom_fields={}",
                    ids.join(",")
                ),
            )?;
            let (rows, total) = read_ok("the Halo client list", &url, &outcome, parse_client_page)
                .map_err(|e| format!("{e}; a partial client list is never used for matching, nothing was written"))?;
            let received = rows.len();
            for c in rows {
                if !seen.insert(c.id) {
                    return Err(format!(
                        "Halo sent client {} twice while paging (page {page_no}); the server is not paging as expected, \
                         so the client list cannot be trusted and nothing was written",
                        c.id
                    ));
                }
                if keep(c.id) {
                    clients.push(c);
                }
            }
            output::progress(&format!(
                "Halo: reading clients, page {page_no}, {} of {}",
                seen.len(),
                total.map_or("?".to_string(), |t| t.to_string())
            ));
            if received == 0 && total.is_some_and(|t| (seen.len() as u64) < t) {
                return Err(format!(
                    "Halo sent an empty page {page_no} of the client list although it reports {} clients and {} were \
                     read; a partial client list is never used for matching, nothing was written",
                    total.unwrap_or(0),
                    seen.len()
                ));
            }
            let done = received == 0 || total.is_some_and(|t| seen.len() as u64 >= t);
            if done {
                break;
            }
        }
        Ok(clients)
    }

    /// One client with its full custom fields.
    pub fn client(&self, id: i64) -> Result<Client, String> {
        let (url, outcome) = self.get("GET /api/Client/{id}", &format!("/api/Client/{id}"))?;
        read_ok(&format!("Halo client {id}"), &url, &outcome, |body| {
            parse_client(body).and_then(|c| {
                if c.id == id {
                    Ok(c)
                } else {
                    Err(format!(" (the answer is client {})", c.id))
                }
            })
        })
    }

    /// Reads several clients, a few at a time; the answers come in the order of `ids`.
    pub fn clients_by_id(&self, ids: &[i64]) -> Vec<(i64, Result<Client, String>)> {
        // Each client's outcome is kept (one failed read must not hide the others), so the
        // pool never stops early here.
        let all: Result<Vec<_>, std::convert::Infallible> = crate::util::parallel_map(
            ids,
            READ_THREADS,
            |&id| Ok((id, self.client(id))),
            |done| output::progress(&format!("Halo: reading clients one by one, {done} of {}", ids.len())),
        );
        all.unwrap_or_else(|never| match never {})
    }

    /// Posts the updates in batches. A batch Halo rejects with a 4xx is split in halves until
    /// the offending clients are isolated; the others are still written.
    /// Returns, per client id, Ok or Halo's message.
    pub fn write(&self, updates: &[(i64, Value)]) -> Vec<(i64, Result<(), String>)> {
        let mut results = Vec::new();
        for batch in updates.chunks(WRITE_BATCH) {
            self.write_batch(batch, &mut results);
        }
        output::progress(&format!("Halo: wrote a batch of {} clients", updates.len()));
        results
    }

    fn write_batch(&self, batch: &[(i64, Value)], results: &mut Vec<(i64, Result<(), String>)>) {
        let body = Value::Array(batch.iter().map(|(_, v)| v.clone()).collect()).to_string();
        let url = format!("{}/api/Client", self.url);
        let outcome =
            match self.send(Request::post(Side::Halo, "POST /api/Client", url.clone(), "application/json", body)) {
                Ok(o) => o,
                Err(token_error) => {
                    results.extend(batch.iter().map(|(id, _)| (*id, Err(token_error.clone()))));
                    return;
                }
            };
        match &outcome {
            Ok(r) if r.ok() => results.extend(batch.iter().map(|(id, _)| (*id, Ok(())))),
            Ok(r) if (400..500).contains(&r.status) && batch.len() > 1 => {
                output::info(&format!(
                    "Halo rejected a batch of {} clients with HTTP {}; splitting it to find the client(s) at fault",
                    batch.len(),
                    r.status
                ));
                let (a, b) = batch.split_at(batch.len() / 2);
                self.write_batch(a, results);
                self.write_batch(b, results);
            }
            _ => {
                let msg = describe("POST", &url, &outcome);
                results.extend(batch.iter().map(|(id, _)| (*id, Err(msg.clone()))));
            }
        }
    }
}

fn json(body: &str) -> Result<Value, String> {
    serde_json::from_str(body).map_err(|e| format!(" (not JSON: {e})"))
}

/// GET /api/FieldInfo: a bare array of field definitions (an envelope with one array is
/// accepted too). Rows without an id or name are skipped.
pub fn parse_field_info(body: &str) -> Result<Vec<FieldDef>, String> {
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

/// A page of GET /api/Client: the envelope `{record_count, clients}` (a bare array is
/// accepted too), as the clients and the total the server reports.
pub fn parse_client_page(body: &str) -> Result<(Vec<Client>, Option<u64>), String> {
    let v = json(body)?;
    let (rows, total) = match &v {
        Value::Object(m) => match m.get("clients") {
            Some(Value::Array(a)) => (a, m.get("record_count").and_then(lenient_id).map(|n| n as u64)),
            _ => return Err(" (expected an object with a clients array)".into()),
        },
        Value::Array(a) => (a, None),
        _ => return Err(" (expected an object with a clients array)".into()),
    };
    let clients = rows
        .iter()
        .map(|row| {
            client_from(row).ok_or_else(|| format!(" (a client without a usable id: {})", clip(&row.to_string(), 200)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((clients, total))
}

/// GET /api/Client/{id}: one client object.
pub fn parse_client(body: &str) -> Result<Client, String> {
    client_from(&json(body)?).ok_or_else(|| " (expected a client object with an id)".to_string())
}

fn client_from(v: &Value) -> Option<Client> {
    Some(Client {
        id: v.get("id").and_then(lenient_id)?,
        name: v.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
        inactive: v.get("inactive").is_some_and(lenient_bool),
        customfields: v.get("customfields").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|f| {
                    Some(CustomField {
                        id: f.get("id").and_then(lenient_id),
                        name: f.get("name").and_then(Value::as_str)?.to_string(),
                        value: f.get("value").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        }),
    })
}

/// The update for one client: its full custom field array with our field set to `value`, so
/// the other fields survive whether Halo merges the posted array or replaces it.
pub fn update_body(client: &Client, field: &FieldDef, value: &str) -> Value {
    let ours = json!({"id": field.id, "name": field.name, "value": value});
    let mut fields: Vec<Value> = Vec::new();
    for f in client.customfields.iter().flatten() {
        if f.name.eq_ignore_ascii_case(&field.name) {
            continue;
        }
        let mut entry = json!({"name": f.name, "value": f.value});
        if let Some(id) = f.id {
            entry["id"] = json!(id);
        }
        fields.push(entry);
    }
    fields.push(ours);
    json!({"id": client.id, "customfields": fields})
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
        assert_eq!(resolve_field(&defs(), "cfdtcclientguid").unwrap().name, "CFDtcClientGuid");
        let e = resolve_field(&defs(), "DTC Client GUID").unwrap_err();
        assert!(e.contains("is the label of CFDtcClientGuid"), "{e}");
        let e = resolve_field(&defs(), "DtcClientGuid").unwrap_err();
        assert!(e.starts_with("Halo has no client custom field named 'DtcClientGuid'"), "{e}");
        assert!(e.contains("CFDtcClientGuid (label \"DTC Client GUID\")"), "{e}");
    }

    #[test]
    fn update_keeps_other_fields() {
        let c = Client {
            id: 7,
            name: "A".into(),
            inactive: false,
            customfields: Some(vec![
                CustomField { id: Some(2), name: "CFContractTier".into(), value: json!("Gold") },
                CustomField { id: Some(1), name: "CFDtcClientGuid".into(), value: json!("") },
            ]),
        };
        let b = update_body(&c, &defs()[0], "G");
        assert_eq!(
            b,
            json!({"id": 7, "customfields": [
                {"id": 2, "name": "CFContractTier", "value": "Gold"},
                {"id": 1, "name": "CFDtcClientGuid", "value": "G"}]})
        );
        assert_eq!(c.field_value("CFDtcClientGuid"), Some(None));
        assert_eq!(c.field_value("CFContractTier"), Some(Some("Gold".into())));
    }
}
