//! A loopback simulator of the NinjaOne and HaloPSA APIs, faithful to what is known of them
//! from the vendors' API documents and public client libraries: token endpoints and their error bodies, Ninja's bare
//! arrays, `after` paging and cursor query, Halo's envelopes, the 100-row page cap, FieldInfo,
//! custom-field merge (or replace) with unknown names silently dropped, tenant checking, rate
//! limits. Every request is recorded so tests can assert on what was sent; faults can be
//! injected per endpoint. Used by the integration tests, the demo and the benchmark.

pub mod server;
pub mod tenants;

use serde_json::{json, Map, Value};
use server::{HttpRequest, Reply, Server};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Ninja,
    Halo,
}

#[derive(Clone, Debug)]
pub struct Org {
    pub id: i64,
    pub name: String,
    /// Organization custom fields: name -> value (absent = unset).
    pub fields: BTreeMap<String, Value>,
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub id: i64,
    pub name: String,
    pub label: String,
    /// An encrypted (password) field: reads show `********` and `isencrypted: true`, never the value.
    pub encrypted: bool,
}

impl FieldDef {
    pub fn new(id: i64, name: &str, label: &str) -> FieldDef {
        FieldDef { id, name: name.into(), label: label.into(), encrypted: false }
    }
}

/// A NinjaOne custom field definition as GET /v2/device-custom-fields shows it.
#[derive(Clone, Debug)]
pub struct NinjaFieldDef {
    pub name: String,
    pub label: String,
    /// definitionScope: NODE, END_USER, LOCATION, ORGANIZATION.
    pub scopes: Vec<String>,
    /// apiPermission: NONE, READ_ONLY, WRITE_ONLY, READ_WRITE.
    pub api_permission: String,
}

/// What GET /v2/device-custom-fields answers.
#[derive(Clone, Debug)]
pub enum NinjaFieldDefs {
    /// Every organization field the tenant's organizations hold, at organization scope,
    /// readable and writable through the API (labels made from the names).
    FromTenant,
    /// These definitions.
    List(Vec<NinjaFieldDef>),
    /// This status (403: the API application may not read definitions; 404: an instance
    /// without the endpoint).
    Refused(u16),
}

/// What the rows of the client list carry in `customfields` when asked with
/// `include_custom_fields` (each shape is reported of some Halo instance or client library).
#[derive(Clone, Debug, PartialEq)]
pub enum ListFields {
    /// Every requested field, with empty values as "" (the common case).
    Full,
    /// No `customfields` key at all.
    Absent,
    /// `customfields: []` on every row.
    Empty,
    /// Only the fields that hold a value.
    PopulatedOnly,
    /// Every requested field but this one.
    Without(String),
}

#[derive(Clone, Debug)]
pub struct Client {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
    /// Custom field name -> value, for fields that have one.
    pub fields: BTreeMap<String, Value>,
    /// Halo's own NinjaOne link (`ninjarmmid`): the organization id its integration stored.
    pub ninja_id: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct Tenant {
    pub orgs: Vec<Org>,
    pub clients: Vec<Client>,
    pub fields: Vec<FieldDef>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub ninja_client_id: String,
    pub ninja_client_secret: String,
    pub halo_client_id: String,
    pub halo_client_secret: String,
    /// When set, the Halo token request must carry `?tenant=` with this value.
    pub halo_tenant: Option<String>,
    /// The Halo authorisation server's path: tokens come from `{path}/token` (real hosted Halo
    /// may put it elsewhere than `/auth`).
    pub halo_auth_path: String,
    /// Whether GET /api/authinfo exists (it names the authorisation server and the tenant).
    pub halo_authinfo: bool,
    /// What GET /v2/device-custom-fields answers.
    pub ninja_field_defs: NinjaFieldDefs,
    /// Rows per Halo page at most, whatever is asked (real Halo: 100).
    pub halo_page_cap: usize,
    /// What the client list's rows carry in `customfields`.
    pub halo_list_custom_fields: ListFields,
    /// Whether GET /api/Client/{id} carries `customfields`.
    pub halo_detail_custom_fields: bool,
    /// Added to the true total in the list's `record_count` (negative: a count too low).
    pub halo_record_count_offset: i64,
    /// Posted `customfields` replace the client's whole array (else merged by name).
    pub halo_replace_custom_fields: bool,
    /// Ids in the client list serialised as decimals (`21.0`).
    pub halo_decimal_ids: bool,
    /// Whether /v2/queries/scoped-custom-fields exists (else 404, as on some instances).
    pub ninja_query_endpoint: bool,
    /// Largest Ninja page served, whatever is asked.
    pub ninja_page_cap: usize,
    /// The field query hands back the cursor it was given (a cursor that does not advance).
    pub ninja_cursor_stuck: bool,
    /// The field query also returns rows for this many entity ids that are no organization.
    pub ninja_query_extra_rows: usize,
    pub token_ttl_secs: u64,
    /// The scopes the Halo API application allows (None: whatever is asked); the token grants
    /// what is asked of them and says so in `scope`, and client writes need `edit:customers`
    /// (or `all`).
    pub halo_app_scopes: Option<String>,
    /// Where Halo shows `ninjarmmid` (Halo's own NinjaOne link): in list rows and detail reads
    /// (true), or only in detail reads (false). Clients without a link show 0.
    pub halo_list_ninjarmmid: bool,
    /// Halo rate limit: at most N requests per rolling window; then 429.
    pub halo_rate_limit: Option<(usize, Duration)>,
    /// Send Retry-After (seconds) with the rate limit's 429.
    pub halo_retry_after: Option<u64>,
    /// Added before every answer (the benchmark's network latency).
    pub latency: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ninja_client_id: "ninja-demo-client".into(),
            // Secrets look like real ones: random from the first character (the program redacts
            // any 8 leading characters of a secret, so a secret starting like the client id
            // would redact the id too).
            ninja_client_secret: "nS7q-ninja-demo-secret-0123456789".into(),
            halo_client_id: "halo-demo-client".into(),
            halo_client_secret: "hX4v-halo-demo-secret-0123456789".into(),
            halo_tenant: None,
            halo_auth_path: "/auth".into(),
            halo_authinfo: true,
            ninja_field_defs: NinjaFieldDefs::FromTenant,
            halo_page_cap: 100,
            halo_list_custom_fields: ListFields::Full,
            halo_detail_custom_fields: true,
            halo_record_count_offset: 0,
            halo_replace_custom_fields: false,
            halo_decimal_ids: false,
            ninja_query_endpoint: true,
            ninja_page_cap: 1000,
            ninja_cursor_stuck: false,
            ninja_query_extra_rows: 0,
            token_ttl_secs: 3600,
            halo_app_scopes: None,
            halo_list_ninjarmmid: true,
            halo_rate_limit: None,
            halo_retry_after: None,
            latency: Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub side: Side,
    pub method: String,
    pub path: String,
    pub target: String,
    pub authorization: Option<String>,
    pub body: String,
    pub status: u16,
}

#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer with this status, body and optional Retry-After.
    Status { status: u16, body: String, retry_after: Option<String> },
    /// 200 with an HTML page (a gateway's error page).
    Html,
    /// 200 with a body that is not JSON.
    Malformed,
    /// Close the connection without an answer.
    Reset,
    /// Announce a body, then stall.
    Stall(Duration),
    /// Invalidate every token of this side, then serve the request normally (-> 401).
    ExpireTokens,
    /// Accept a client write (201) but keep nothing.
    DropWrite,
    /// Accept a client write (201) but keep nothing for this one client.
    DropClientWrite(i64),
    /// Serve the request, then change a client's custom field as a person would in Halo's
    /// screens while the run goes on (an empty value clears it).
    EditClient { id: i64, field: String, value: String },
    /// Reject any write batch that contains this client id with a 400 naming its position.
    RejectClient(i64),
    /// Reject any write batch that contains one of these clients with a 400 that does not say
    /// which entry is at fault.
    RejectClientsQuietly(Vec<i64>),
    /// Serve page 1 for every page number (an endpoint that ignores paging).
    IgnorePaging,
    /// 200 with an empty list.
    EmptyPage,
    /// 200 with a JSON array of this many bytes (a broken or hostile server).
    HugeBody(usize),
    /// A list that never ends: every page is full of new records (new ids each time).
    EndlessPages,
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub side: Side,
    pub method: &'static str,
    /// Matched against the path (case-insensitive substring).
    pub path: &'static str,
    /// Matching requests to let through before the fault starts.
    pub skip: usize,
    /// How many matching requests get the fault (usize::MAX = all).
    pub times: usize,
    pub kind: FaultKind,
}

impl Fault {
    pub fn new(side: Side, method: &'static str, path: &'static str, kind: FaultKind) -> Fault {
        Fault { side, method, path, skip: 0, times: 1, kind }
    }
    pub fn times(mut self, n: usize) -> Fault {
        self.times = n;
        self
    }
    pub fn skip(mut self, n: usize) -> Fault {
        self.skip = n;
        self
    }
}

pub struct State {
    pub tenant: Tenant,
    pub config: Config,
    pub requests: Vec<Recorded>,
    faults: Vec<Fault>,
    ninja_tokens: HashSet<String>,
    halo_tokens: HashSet<String>,
    token_serial: u64,
    halo_window: VecDeque<Instant>,
}

pub struct Sim {
    state: Arc<Mutex<State>>,
    ninja: Server,
    halo: Server,
}

impl Sim {
    pub fn start(tenant: Tenant, config: Config) -> Sim {
        let state = Arc::new(Mutex::new(State {
            tenant,
            config,
            requests: Vec::new(),
            faults: Vec::new(),
            ninja_tokens: HashSet::new(),
            halo_tokens: HashSet::new(),
            token_serial: 0,
            halo_window: VecDeque::new(),
        }));
        let s1 = state.clone();
        let ninja = Server::start(Arc::new(move |r: &HttpRequest| handle(&s1, Side::Ninja, r)));
        let s2 = state.clone();
        let halo = Server::start(Arc::new(move |r: &HttpRequest| handle(&s2, Side::Halo, r)));
        Sim { state, ninja, halo }
    }

    pub fn ninja_url(&self) -> String {
        format!("http://{}", self.ninja.addr)
    }
    pub fn halo_url(&self) -> String {
        format!("http://{}", self.halo.addr)
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn inject(&self, fault: Fault) {
        self.state().faults.push(fault);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    pub fn client(&self, id: i64) -> Option<Client> {
        self.state().tenant.clients.iter().find(|c| c.id == id).cloned()
    }

    pub fn client_named(&self, name: &str) -> Option<Client> {
        self.state().tenant.clients.iter().find(|c| c.name == name).cloned()
    }

    /// The environment the binary needs to talk to this simulator.
    pub fn env(&self) -> Vec<(String, String)> {
        let st = self.state();
        let c = &st.config;
        let mut v = vec![
            ("HALO_URL".to_string(), self.halo_url()),
            ("HALO_CLIENT_ID".to_string(), c.halo_client_id.clone()),
            ("HALO_CLIENT_SECRET".to_string(), c.halo_client_secret.clone()),
            ("NINJA_URL".to_string(), self.ninja_url()),
            ("NINJA_CLIENT_ID".to_string(), c.ninja_client_id.clone()),
            ("NINJA_CLIENT_SECRET".to_string(), c.ninja_client_secret.clone()),
        ];
        if let Some(t) = &c.halo_tenant {
            v.push(("HALO_TENANT".to_string(), t.clone()));
        }
        v
    }

    pub fn issued_tokens(&self) -> Vec<String> {
        let st = self.state();
        st.ninja_tokens.iter().chain(st.halo_tokens.iter()).cloned().collect()
    }
}

fn json_reply(status: u16, v: &Value) -> Reply {
    Reply::Respond {
        status,
        headers: vec![("Content-Type".into(), "application/json; charset=utf-8".into())],
        body: v.to_string(),
    }
}

fn handle(state: &Arc<Mutex<State>>, side: Side, req: &HttpRequest) -> Reply {
    let latency = state.lock().unwrap_or_else(|e| e.into_inner()).config.latency;
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let fault = st.take_fault(side, req);
    let reply = match fault {
        Some(FaultKind::Status { status, body, retry_after }) => {
            let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
            if let Some(r) = retry_after {
                headers.push(("Retry-After".into(), r));
            }
            Reply::Respond { status, headers, body }
        }
        Some(FaultKind::Html) => Reply::Respond {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: "<html><head><title>Service Unavailable</title></head><body><h1>The service is temporarily unavailable</h1></body></html>".into(),
        },
        Some(FaultKind::Malformed) => Reply::Respond {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: "{\"clients\": [{\"id\": 1, \"name\": \"trunc".into(),
        },
        Some(FaultKind::EditClient { id, field, value }) => {
            let reply = st.route(side, req, None);
            if let Some(c) = st.tenant.clients.iter_mut().find(|c| c.id == id) {
                if value.is_empty() {
                    c.fields.remove(&field);
                } else {
                    c.fields.insert(field, json!(value));
                }
            }
            reply
        }
        Some(FaultKind::HugeBody(n)) => {
            let mut body = String::with_capacity(n);
            body.push('[');
            while body.len() + 40 < n {
                body.push_str("{\"id\": 1, \"name\": \"padding padding\"},");
            }
            body.push_str("{\"id\": 2}]");
            Reply::Respond { status: 200, headers: vec![("Content-Type".into(), "application/json".into())], body }
        }
        Some(FaultKind::Reset) => Reply::Reset,
        Some(FaultKind::Stall(d)) => Reply::Stall(d),
        Some(FaultKind::ExpireTokens) => {
            match side {
                Side::Ninja => st.ninja_tokens.clear(),
                Side::Halo => st.halo_tokens.clear(),
            }
            st.route(side, req, None)
        }
        Some(other) => st.route(side, req, Some(other)),
        None => st.route(side, req, None),
    };
    let status = match &reply {
        Reply::Respond { status, .. } => *status,
        _ => 0,
    };
    st.requests.push(Recorded {
        side,
        method: req.method.clone(),
        path: req.path.clone(),
        target: req.raw_target.clone(),
        authorization: req.header("authorization").map(str::to_string),
        body: req.body.clone(),
        status,
    });
    reply
}

fn ninja_error(status: u16, error: &str, description: &str, code: u32) -> Reply {
    json_reply(status, &json!({"error": error, "error_description": description, "error_code": code}))
}

impl State {
    fn take_fault(&mut self, side: Side, req: &HttpRequest) -> Option<FaultKind> {
        let path = req.path.to_ascii_lowercase();
        for f in self.faults.iter_mut() {
            if f.side != side
                || !f.method.eq_ignore_ascii_case(&req.method)
                || !path.contains(&f.path.to_ascii_lowercase())
            {
                continue;
            }
            if f.skip > 0 {
                f.skip -= 1;
                continue;
            }
            if f.times == 0 {
                continue;
            }
            f.times = f.times.saturating_sub(1);
            return Some(f.kind.clone());
        }
        None
    }

    fn new_token(&mut self, side: Side) -> Value {
        self.token_serial += 1;
        let t = format!(
            "{}-token-{}-{:x}",
            if side == Side::Ninja { "ninja" } else { "halo" },
            self.token_serial,
            self.token_serial.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0005_DEEC_E66D
        );
        match side {
            Side::Ninja => self.ninja_tokens.insert(t.clone()),
            Side::Halo => self.halo_tokens.insert(t.clone()),
        };
        json!({"access_token": t, "token_type": "Bearer", "expires_in": self.config.token_ttl_secs, "scope": "monitoring management"})
    }

    fn route(&mut self, side: Side, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
        match side {
            Side::Ninja => self.ninja(req, fault),
            Side::Halo => self.halo(req, fault),
        }
    }

    // ----- NinjaOne -------------------------------------------------------------------

    fn ninja(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
        let path = req.path.trim_end_matches('/');
        if req.method == "POST" && (path == "/ws/oauth/token" || path == "/oauth/token") {
            let form: BTreeMap<String, String> = server::parse_pairs(&req.body).into_iter().collect();
            let id = form.get("client_id").map(String::as_str).unwrap_or("");
            if id != self.config.ninja_client_id {
                return json_reply(
                    404,
                    &json!({"resultCode": "Client app not exist", "incidentId": "WEB_MGMT_SERVICE-sim-1"}),
                );
            }
            if form.get("client_secret").map(String::as_str) != Some(self.config.ninja_client_secret.as_str())
                || form.get("grant_type").map(String::as_str) != Some("client_credentials")
            {
                return json_reply(
                    401,
                    &json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
                );
            }
            let t = self.new_token(Side::Ninja);
            return json_reply(200, &t);
        }
        let path = path.strip_prefix("/api").unwrap_or(path);
        match req.header("authorization") {
            None => return ninja_error(400, "missing_header", "Missing required header", 2),
            Some(h) => match h.strip_prefix("Bearer ") {
                None => return ninja_error(400, "invalid_header", "Invalid header", 1),
                Some(t) if !self.ninja_tokens.contains(t) => {
                    return ninja_error(401, "not_authenticated", "Invalid credentials", 10)
                }
                Some(_) => {}
            },
        }
        let not_found = || json_reply(404, &json!({"resultCode": "FAILURE", "errorMessage": "HTTP 404 Not Found"}));
        if req.method != "GET" {
            return not_found();
        }
        if path == "/v2/organizations" {
            let size = req
                .param("pageSize")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(1000)
                .min(self.config.ninja_page_cap);
            let after = req.param("after").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            let mut orgs: Vec<&Org> = self.tenant.orgs.iter().filter(|o| o.id > after).collect();
            orgs.sort_by_key(|o| o.id);
            if matches!(fault, Some(FaultKind::EmptyPage)) {
                orgs.clear();
            }
            if matches!(fault, Some(FaultKind::EndlessPages)) {
                let page: Vec<Value> = (after + 1..=after + size as i64)
                    .map(|id| json!({"id": id, "name": format!("Endless Organization {id}")}))
                    .collect();
                return json_reply(200, &Value::Array(page));
            }
            let page: Vec<Value> = orgs
                .iter()
                .take(size)
                .map(|o| {
                    let tier = o.fields.get("contractTier").and_then(Value::as_str).unwrap_or("standard").to_lowercase();
                    json!({"id": o.id, "name": o.name, "description": format!("Managed client: {} (since 2019)", o.name),
                        "nodeApprovalMode": "AUTOMATIC", "tags": ["managed", tier], "userData": {}})
                })
                .collect();
            return json_reply(200, &Value::Array(page));
        }
        if path == "/v2/device-custom-fields" {
            let defs: Vec<NinjaFieldDef> = match &self.config.ninja_field_defs {
                NinjaFieldDefs::Refused(status) => {
                    return json_reply(*status, &json!({"resultCode": "FAILURE", "errorMessage": "Access denied"}))
                }
                NinjaFieldDefs::List(l) => l.clone(),
                NinjaFieldDefs::FromTenant => {
                    let names: std::collections::BTreeSet<&String> =
                        self.tenant.orgs.iter().flat_map(|o| o.fields.keys()).collect();
                    names
                        .into_iter()
                        .map(|n| NinjaFieldDef {
                            name: n.clone(),
                            label: format!("Label of {n}"),
                            scopes: vec!["ORGANIZATION".into()],
                            api_permission: "READ_WRITE".into(),
                        })
                        .collect()
                }
            };
            let wanted = req.param("scopes").unwrap_or("all").to_ascii_uppercase();
            let rows: Vec<Value> = defs
                .iter()
                .filter(|d| wanted == "ALL" || wanted.split(',').any(|w| d.scopes.iter().any(|s| s == w)))
                .map(|d| json!({"name": d.name, "label": d.label, "definitionScope": d.scopes, "apiPermission": d.api_permission,
                    "type": "TEXT", "technicianPermission": "READ_WRITE", "entityType": "NODE"}))
                .collect();
            return json_reply(200, &Value::Array(rows));
        }
        if path == "/v2/queries/scoped-custom-fields" {
            if !self.config.ninja_query_endpoint {
                return not_found();
            }
            let wanted: Vec<String> = req
                .param("fields")
                .unwrap_or("")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let scopes = req.param("scopes").unwrap_or("all").to_ascii_uppercase();
            let size = req.param("pageSize").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1000).clamp(10, 10_000);
            let offset = req
                .param("cursor")
                .and_then(|c| c.strip_prefix("sim-cursor-"))
                .and_then(|o| o.parse::<usize>().ok())
                .unwrap_or(0);
            if req.param("cursor").is_some() && !req.param("cursor").unwrap_or("").starts_with("sim-cursor-") {
                return json_reply(400, &json!({"resultCode": "FAILURE", "errorMessage": "INVALID_CURSOR"}));
            }
            let mut rows = Vec::new();
            if scopes == "ALL" || scopes.split(',').any(|s| s == "ORGANIZATION") {
                let mut orgs: Vec<&Org> = self.tenant.orgs.iter().collect();
                orgs.sort_by_key(|o| o.id);
                for o in orgs {
                    let fields: Map<String, Value> = o
                        .fields
                        .iter()
                        .filter(|(k, _)| wanted.is_empty() || wanted.contains(k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if !fields.is_empty() {
                        rows.push(json!({"scope": "ORGANIZATION", "entityId": o.id, "fields": fields,
                            "updateTime": 1.7632e9 + o.id as f64}));
                    }
                }
            }
            let first_field = wanted.first().cloned().unwrap_or_default();
            for k in 0..self.config.ninja_query_extra_rows {
                let mut fields = Map::new();
                fields.insert(first_field.clone(), json!("11111111-2222-3333-4444-555555555555"));
                rows.push(json!({"scope": "ORGANIZATION", "entityId": 900_000 + k as i64, "fields": fields}));
            }
            let page: Vec<Value> = rows.iter().skip(offset).take(size).cloned().collect();
            let next = if self.config.ninja_cursor_stuck { offset } else { offset + page.len() };
            return json_reply(
                200,
                &json!({"cursor": {"name": format!("sim-cursor-{next}"), "offset": offset, "count": page.len(), "expires": 1.9e9}, "results": page}),
            );
        }
        if let Some(rest) = path.strip_prefix("/v2/organization/") {
            if let Some(id) = rest.strip_suffix("/custom-fields").and_then(|i| i.parse::<i64>().ok()) {
                return match self.tenant.orgs.iter().find(|o| o.id == id) {
                    Some(o) => json_reply(200, &Value::Object(o.fields.clone().into_iter().collect())),
                    None => not_found(),
                };
            }
        }
        not_found()
    }

    // ----- HaloPSA --------------------------------------------------------------------

    fn halo_rate_limited(&mut self) -> Option<Reply> {
        let (limit, window) = self.config.halo_rate_limit?;
        let now = Instant::now();
        while self.halo_window.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.halo_window.pop_front();
        }
        if self.halo_window.len() >= limit {
            let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
            if let Some(s) = self.config.halo_retry_after {
                headers.push(("Retry-After".into(), s.to_string()));
            }
            return Some(Reply::Respond {
                status: 429,
                headers,
                body: json!({"error": format!("Rate Limit Reached - {limit} Requests per rolling {} second window", window.as_secs())}).to_string(),
            });
        }
        self.halo_window.push_back(now);
        None
    }

    /// One custom field as Halo shows it: the whole object, an encrypted value masked.
    fn field_json(f: &FieldDef, value: &Value) -> Value {
        let shown = if f.encrypted && value != &json!("") { json!("********") } else { value.clone() };
        json!({"id": f.id, "name": f.name, "label": f.label, "summary": "", "type": 0, "value": shown,
               "display": shown, "characterlimit": 0, "inputtype": if f.encrypted { 6 } else { 0 },
               "copytochild": false, "searchable": false, "ordervalues": false, "usage": 0,
               "isencrypted": f.encrypted})
    }

    /// A client as the list (`full` false, with the fields asked for in `include`) or the
    /// detail endpoint (`full` true) shows it.
    fn client_json(&self, c: &Client, include: Option<&HashSet<i64>>, full: bool) -> Value {
        let id = if self.config.halo_decimal_ids && !full { json!(c.id as f64) } else { json!(c.id) };
        let mut v = json!({"id": id, "name": c.name, "inactive": c.inactive, "toplevel_id": 1,
            "toplevel_name": "Top Level", "colour": "#000000", "use": "client", "main_site_id": c.id * 10,
            "main_site_name": "Main", "is_vip": false, "customertype": 0, "stopped": 0, "key": c.id, "table": 2});
        if full || self.config.halo_list_ninjarmmid {
            v["ninjarmmid"] = json!(c.ninja_id.unwrap_or(0));
        }
        let value_of = |f: &FieldDef| c.fields.get(&f.name).cloned().unwrap_or(json!(""));
        let shown: Option<Vec<Value>> = if full {
            self.config
                .halo_detail_custom_fields
                .then(|| self.tenant.fields.iter().map(|f| Self::field_json(f, &value_of(f))).collect())
        } else if let Some(ids) = include {
            let asked = self.tenant.fields.iter().filter(|f| ids.contains(&f.id)).map(|f| (f, value_of(f)));
            match &self.config.halo_list_custom_fields {
                ListFields::Full => Some(asked.map(|(f, v)| Self::field_json(f, &v)).collect()),
                ListFields::Absent => None,
                ListFields::Empty => Some(Vec::new()),
                ListFields::PopulatedOnly => {
                    Some(asked.filter(|(_, v)| v != &json!("")).map(|(f, v)| Self::field_json(f, &v)).collect())
                }
                ListFields::Without(name) => {
                    Some(asked.filter(|(f, _)| &f.name != name).map(|(f, v)| Self::field_json(f, &v)).collect())
                }
            }
        } else {
            None
        };
        if let Some(fields) = shown {
            v["customfields"] = Value::Array(fields);
        }
        v
    }

    fn halo(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
        if let Some(r) = self.halo_rate_limited() {
            return r;
        }
        let lower = req.path.to_ascii_lowercase();
        let path = lower.trim_end_matches('/');
        let token_path = format!("{}/token", self.config.halo_auth_path.trim_end_matches('/').to_ascii_lowercase());
        if req.method == "GET" && path == "/api/authinfo" {
            if !self.config.halo_authinfo {
                return json_reply(
                    404,
                    &json!({"Message": "No HTTP resource was found that matches the request URI '/api/authinfo'"}),
                );
            }
            let host = req.header("host").unwrap_or("127.0.0.1");
            return json_reply(
                200,
                &json!({"auth_url": format!("http://{host}{}", self.config.halo_auth_path),
                "tenant_id": self.config.halo_tenant, "sso_enabled": false}),
            );
        }
        if req.method == "POST" && path.ends_with("/token") && path != token_path {
            // Not where this instance's authorisation server is.
            return json_reply(
                404,
                &json!({"Message": format!("No HTTP resource was found that matches the request URI '{}'", req.path)}),
            );
        }
        if req.method == "POST" && path == token_path {
            if let Some(t) = &self.config.halo_tenant {
                if req.param("tenant") != Some(t.as_str()) {
                    return json_reply(
                        400,
                        &json!({"error": "invalid_request", "error_description": "Invalid or missing tenant"}),
                    );
                }
            }
            let form: BTreeMap<String, String> = server::parse_pairs(&req.body).into_iter().collect();
            if form.get("client_id") != Some(&self.config.halo_client_id)
                || form.get("client_secret") != Some(&self.config.halo_client_secret)
            {
                return json_reply(401, &json!({"error": "invalid_client"}));
            }
            let mut t = self.new_token(Side::Halo);
            let asked = form.get("scope").cloned().unwrap_or_else(|| "all".into());
            let granted: Vec<&str> = match &self.config.halo_app_scopes {
                None => asked.split_whitespace().collect(),
                Some(allowed) => {
                    asked.split_whitespace().filter(|s| allowed.split_whitespace().any(|a| a == *s)).collect()
                }
            };
            t["scope"] = json!(granted.join(" "));
            return json_reply(200, &t);
        }
        let authorized = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| self.halo_tokens.contains(t));
        if !authorized {
            return json_reply(401, &json!({"message": "Authorization has been denied for this request."}));
        }
        if req.method == "GET" && path == "/api/fieldinfo" {
            if req.param("typeid") != Some("2") {
                return json_reply(200, &json!([]));
            }
            let rows: Vec<Value> = self
                .tenant
                .fields
                .iter()
                .map(|f| json!({"id": f.id, "name": f.name, "label": f.label, "type": 0, "typeid": 2, "inputtype": 0}))
                .collect();
            return json_reply(200, &Value::Array(rows));
        }
        if req.method == "GET" && path == "/api/client" {
            let include: Option<HashSet<i64>> = req
                .param("include_custom_fields")
                .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect());
            let inactive = req.param("includeinactive").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let active = !req.param("includeactive").is_some_and(|v| v.eq_ignore_ascii_case("false"));
            let mut rows: Vec<&Client> =
                self.tenant.clients.iter().filter(|c| if c.inactive { inactive } else { active }).collect();
            rows.sort_by_key(|c| c.id);
            let total = rows.len();
            let reported = (total as i64 + self.config.halo_record_count_offset).max(0) as usize;
            let paginate = req.param("pageinate").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let (page, count): (Vec<&Client>, usize) = if paginate {
                let size = req
                    .param("page_size")
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(50)
                    .min(self.config.halo_page_cap)
                    .max(1);
                let mut no = req.param("page_no").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1).max(1);
                if matches!(fault, Some(FaultKind::IgnorePaging)) {
                    no = 1;
                }
                (rows.into_iter().skip((no - 1) * size).take(size).collect(), reported)
            } else {
                let n = req.param("count").and_then(|v| v.parse::<usize>().ok()).unwrap_or(total);
                let p: Vec<&Client> = rows.into_iter().take(n).collect();
                let c = p.len();
                (p, c)
            };
            let page = if matches!(fault, Some(FaultKind::EmptyPage)) { Vec::new() } else { page };
            let mut clients: Vec<Value> = page.iter().map(|c| self.client_json(c, include.as_ref(), false)).collect();
            if matches!(fault, Some(FaultKind::EndlessPages)) {
                let no = req.param("page_no").and_then(|v| v.parse::<i64>().ok()).unwrap_or(1).max(1);
                let size = self.config.halo_page_cap as i64;
                clients = (0..size)
                    .map(|k| {
                        let id = 1_000_000 + no * size + k;
                        self.client_json(
                            &tenants::client(id, &format!("Endless Client {id}"), None),
                            include.as_ref(),
                            false,
                        )
                    })
                    .collect();
                return json_reply(200, &json!({"record_count": 10_000_000, "clients": clients}));
            }
            return json_reply(200, &json!({"record_count": count, "clients": clients}));
        }
        if req.method == "GET" {
            if let Some(id) = path.strip_prefix("/api/client/").and_then(|i| i.parse::<i64>().ok()) {
                return match self.tenant.clients.iter().find(|c| c.id == id) {
                    Some(c) => json_reply(200, &self.client_json(c, None, true)),
                    None => json_reply(
                        404,
                        &json!({"ClassName": "HaloException", "Message": format!("Client {id} not found")}),
                    ),
                };
            }
        }
        if req.method == "POST" && path == "/api/client" {
            let may_edit = self
                .config
                .halo_app_scopes
                .as_deref()
                .is_none_or(|allowed| allowed.split_whitespace().any(|s| s == "edit:customers" || s == "all"));
            if !may_edit {
                return json_reply(403, &json!({"Message": "You do not have permission to edit customers"}));
            }
            return self.halo_post_clients(req, fault);
        }
        json_reply(
            404,
            &json!({"Message": format!("No HTTP resource was found that matches the request URI '{}'", req.path)}),
        )
    }

    fn halo_post_clients(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
        let body: Value = match serde_json::from_str(&req.body) {
            Ok(v) => v,
            Err(e) => return json_reply(400, &json!({"Message": format!("The request is invalid: {e}")})),
        };
        let Value::Array(items) = body else {
            return json_reply(400, &json!({"Message": "The request is invalid: expected an array of clients"}));
        };
        for (i, item) in items.iter().enumerate() {
            let id = item.get("id").and_then(Value::as_i64);
            match id {
                Some(id) if self.tenant.clients.iter().any(|c| c.id == id) => {
                    if matches!(&fault, Some(FaultKind::RejectClientsQuietly(bad)) if bad.contains(&id)) {
                        return json_reply(400, &json!({"Message": "One or more entries are invalid."}));
                    }
                    if matches!(fault, Some(FaultKind::RejectClient(bad)) if bad == id) {
                        return json_reply(
                            400,
                            &json!({"Message": format!("Client {id}: Please enter a valid URL"), format!("[{i}].id"): "invalid"}),
                        );
                    }
                }
                _ => return json_reply(400, &json!({format!("[{i}].id"): ["The client does not exist."]})),
            }
        }
        let drop_all = matches!(fault, Some(FaultKind::DropWrite));
        let drop_one = match &fault {
            Some(FaultKind::DropClientWrite(id)) => Some(*id),
            _ => None,
        };
        let replace = self.config.halo_replace_custom_fields;
        let known: Vec<FieldDef> = self.tenant.fields.clone();
        let mut saved = Vec::new();
        for item in &items {
            let id = item["id"].as_i64().unwrap_or(0);
            let Some(c) = self.tenant.clients.iter_mut().find(|c| c.id == id) else { continue };
            if !drop_all && drop_one != Some(id) {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    c.name = name.to_string();
                }
                if let Some(Value::Array(cfs)) = item.get("customfields") {
                    if replace {
                        c.fields.clear();
                    }
                    for cf in cfs {
                        // By name, else by id; unknown names are dropped without a word.
                        let def = cf
                            .get("name")
                            .and_then(Value::as_str)
                            .and_then(|n| known.iter().find(|f| f.name.eq_ignore_ascii_case(n)))
                            .or_else(|| {
                                cf.get("id").and_then(Value::as_i64).and_then(|i| known.iter().find(|f| f.id == i))
                            });
                        if let Some(def) = def {
                            let v = cf.get("value").cloned().unwrap_or(Value::Null);
                            if v.is_null() || v == json!("") {
                                c.fields.remove(&def.name);
                            } else {
                                c.fields.insert(def.name.clone(), v);
                            }
                        }
                    }
                }
            }
            saved.push(c.clone());
        }
        let out: Vec<Value> = saved.iter().map(|c| self.client_json(c, None, true)).collect();
        if out.len() == 1 {
            json_reply(201, &out[0])
        } else {
            json_reply(201, &Value::Array(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};

    /// One HTTP/1.1 request on a fresh connection: (status, body).
    fn call(base: &str, method: &str, target: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let addr = base.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        write!(s, "{method} {target} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\n\r\n{body}", body.len())
            .unwrap();
        let mut r = BufReader::new(s);
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        let mut len = 0;
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        (status.split_whitespace().nth(1).unwrap().parse().unwrap(), String::from_utf8(body).unwrap())
    }

    fn halo_token(sim: &Sim) -> String {
        let c = Config::default();
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=all",
            c.halo_client_id, c.halo_client_secret
        );
        let (status, body) = call(&sim.halo_url(), "POST", "/auth/token", None, &form);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["access_token"].as_str().unwrap().to_string()
    }

    fn tenant(clients: usize) -> Tenant {
        let mut t = Tenant { fields: tenants::client_fields(), ..Tenant::default() };
        for i in 0..clients {
            t.clients.push(tenants::client(i as i64 + 1, &format!("Client {i}"), None));
        }
        t
    }

    #[test]
    fn pages_are_capped_at_100_rows_whatever_is_asked() {
        let sim = Sim::start(tenant(250), Config::default());
        let t = halo_token(&sim);
        let (_, body) =
            call(&sim.halo_url(), "GET", "/api/Client?pageinate=true&page_size=1000&page_no=1", Some(&t), "");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["clients"].as_array().unwrap().len(), 100);
        assert_eq!(v["record_count"], 250, "record_count is the total");
    }

    #[test]
    fn unknown_custom_field_names_are_dropped_silently_and_merge_or_replace() {
        for replace in [false, true] {
            let sim = Sim::start(tenant(1), Config { halo_replace_custom_fields: replace, ..Config::default() });
            let t = halo_token(&sim);
            let post = r#"[{"id": 1, "customfields": [{"name": "CFNoSuchField", "value": "x"}, {"name": "CFDtcClientGuid", "value": "g"}]}]"#;
            let (status, _) = call(&sim.halo_url(), "POST", "/api/Client", Some(&t), post);
            assert_eq!(status, 201);
            let c = sim.client(1).unwrap();
            assert!(!c.fields.contains_key("CFNoSuchField"), "unknown names vanish without an error");
            assert_eq!(c.fields["CFDtcClientGuid"], json!("g"));
            // Merge keeps the client's other fields; replace keeps only what was posted.
            assert_eq!(c.fields.contains_key("CFContractTier"), !replace);
        }
    }

    #[test]
    fn a_bare_object_body_and_missing_ids_are_refused() {
        let sim = Sim::start(tenant(1), Config::default());
        let t = halo_token(&sim);
        let (status, _) = call(&sim.halo_url(), "POST", "/api/Client", Some(&t), r#"{"id": 1, "name": "x"}"#);
        assert_eq!(status, 400);
        let (status, body) = call(&sim.halo_url(), "POST", "/api/Client", Some(&t), r#"[{"id": 99, "name": "x"}]"#);
        assert_eq!(status, 400);
        assert!(body.contains("[0].id"), "{body}");
        assert_eq!(sim.client(1).unwrap().name, "Client 0");
    }

    #[test]
    fn auth_errors_have_the_vendors_bodies() {
        let sim = Sim::start(tenant(1), Config::default());
        let (status, body) = call(
            &sim.halo_url(),
            "POST",
            "/auth/token",
            None,
            "grant_type=client_credentials&client_id=halo-demo-client&client_secret=no",
        );
        assert_eq!((status, body.as_str()), (401, r#"{"error":"invalid_client"}"#));
        let (status, body) = call(
            &sim.ninja_url(),
            "POST",
            "/ws/oauth/token",
            None,
            "grant_type=client_credentials&client_id=elsewhere&client_secret=x",
        );
        assert_eq!(status, 404);
        assert!(body.contains("Client app not exist"));
        let (status, body) = call(&sim.ninja_url(), "GET", "/v2/organizations", None, "");
        assert_eq!(status, 400);
        assert!(body.contains("missing_header"));
        let (status, body) = call(&sim.ninja_url(), "GET", "/api/v2/organizations", Some("stale"), "");
        assert_eq!(status, 401);
        assert!(body.contains("not_authenticated"));
        // FieldInfo is a bare array; the client list an envelope.
        let t = halo_token(&sim);
        let (_, body) = call(&sim.halo_url(), "GET", "/api/fieldinfo?typeid=2", Some(&t), "");
        assert!(serde_json::from_str::<Value>(&body).unwrap().is_array());
        assert_eq!(sim.requests().len(), 6, "every request is recorded");
    }
}
