//! A loopback simulator of the NinjaOne and HaloPSA APIs, faithful to what is known of them
//! from the vendors' API documents and public client libraries: token endpoints and their error bodies, Ninja's bare
//! arrays, `after` paging and cursor query, Halo's envelopes, the 100-row page cap, FieldInfo,
//! custom-field merge (or replace) with unknown names silently dropped, tenant checking, rate
//! limits. Every request is recorded so tests can assert on what was sent; faults can be
//! injected per endpoint. Used by the integration tests, the demo and the benchmark.

mod halo;
mod ninja;
pub mod server;
pub mod tenants;
pub mod vendor;

use serde_json::{json, Value};
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

/// A Halo client, or a site: sites are records of the same shape, `client_id` naming the
/// site's client (None for a client).
#[derive(Clone, Debug)]
pub struct Client {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
    pub client_id: Option<i64>,
    /// Custom field name -> value, for fields that have one.
    pub fields: BTreeMap<String, Value>,
    /// Halo's own NinjaOne link (`ninjarmmid`): the organization id (on a client) or location
    /// id (on a site) its integration stored.
    pub ninja_id: Option<i64>,
}

/// A NinjaOne location of an organization, with its location custom fields.
#[derive(Clone, Debug)]
pub struct Location {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub fields: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Default)]
pub struct Tenant {
    pub orgs: Vec<Org>,
    pub clients: Vec<Client>,
    /// Client custom field definitions (FieldInfo typeid 2).
    pub fields: Vec<FieldDef>,
    pub locations: Vec<Location>,
    /// Halo sites (each with its `client_id`).
    pub sites: Vec<Client>,
    /// Site custom field definitions (FieldInfo typeid 3).
    pub site_fields: Vec<FieldDef>,
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
    /// Tokens at least this long (a broken or hostile server's; 0: the usual short ones).
    pub token_len: usize,
    /// The scopes the Halo API application allows (None: whatever is asked); the token grants
    /// what is asked of them and says so in `scope`, and client writes need `edit:customers`
    /// (or `all`).
    pub halo_app_scopes: Option<String>,
    /// Halo's own NinjaOne link (`ninjarmmid`) on list rows too (true: an older shape, and the
    /// one this simulator served before Halo's live document showed otherwise), or only on
    /// records (`GET /api/Client/{id}`, `GET /api/Site/{id}`), as the document has it (false,
    /// the default). Records without a link show 0.
    pub halo_list_ninjarmmid: bool,
    /// Halo rate limit: at most N requests per rolling window; then 429.
    pub halo_rate_limit: Option<(usize, Duration)>,
    /// Send Retry-After (seconds) with the rate limit's 429.
    pub halo_retry_after: Option<u64>,
    /// Added before every answer (the benchmark's network latency).
    pub latency: Duration,
    /// Keep every answer's body in `Recorded::response` (the response-shape test; off, as a
    /// big tenant's answers are large).
    pub record_responses: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ninja_client_id: "ninja-demo-client".into(),
            // Secrets look like real ones, random throughout: the program redacts any 8
            // characters of a secret in a row, so a secret sharing a run with the client id (or
            // any other text) would redact that text too.
            ninja_client_secret: "nS7qWv2K-x9PzR4tL-m3JcY8bD-q6HfG1aE".into(),
            halo_client_id: "halo-demo-client".into(),
            halo_client_secret: "hX4vT8kQ-p2WmZ7nB-r5LsD9cF-j3YgN6eA".into(),
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
            token_len: 0,
            halo_app_scopes: None,
            halo_list_ninjarmmid: false,
            halo_rate_limit: None,
            halo_retry_after: None,
            latency: Duration::ZERO,
            record_responses: false,
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
    /// The answer's body, with `Config::record_responses`.
    pub response: Option<String>,
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
    /// Answer with this status and a body that echoes the request's bearer token (a server
    /// that repeats what it was sent in its error).
    EchoToken(u16),
    /// Answer a record read (`GET /api/Client/{id}`, `/api/Site/{id}`) with a record that
    /// contradicts the list row: a server whose list and records disagree.
    RecordDisagrees(Disagree),
}

/// How a record read contradicts its list row (`FaultKind::RecordDisagrees`).
#[derive(Clone, Debug)]
pub enum Disagree {
    /// The answer is the record of this other id.
    Id(i64),
    /// The site's record names this client.
    ClientId(i64),
    /// The record is inactive.
    Inactive,
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

    pub fn site(&self, id: i64) -> Option<Client> {
        self.state().tenant.sites.iter().find(|c| c.id == id).cloned()
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
        Some(FaultKind::EchoToken(status)) => {
            let token = req.header("authorization").unwrap_or("").trim_start_matches("Bearer ");
            json_reply(status, &json!({"Message": format!("The token '{token}' is not valid for this request")}))
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
    let (status, response) = match &reply {
        Reply::Respond { status, body, .. } => (*status, st.config.record_responses.then(|| body.clone())),
        _ => (0, None),
    };
    st.requests.push(Recorded {
        side,
        method: req.method.clone(),
        path: req.path.clone(),
        target: req.raw_target.clone(),
        authorization: req.header("authorization").map(str::to_string),
        body: req.body.clone(),
        status,
        response,
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
        let mut t = format!(
            "{}-token-{}-{:x}",
            if side == Side::Ninja { "ninja" } else { "halo" },
            self.token_serial,
            self.token_serial.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0005_DEEC_E66D
        );
        // A long token, as a broken or hostile server might issue: a pseudo-random tail.
        let mut x = self.token_serial | 1;
        while t.len() < self.config.token_len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t.push(char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(x % 64) as usize]));
        }
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
}

/// The ninja-halo-sync binary: $NINJA_HALO_SYNC_BIN, else built with the cargo that runs us.
pub fn product_binary() -> Result<std::path::PathBuf, String> {
    if let Ok(p) = std::env::var("NINJA_HALO_SYNC_BIN") {
        return Ok(std::path::PathBuf::from(p));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let release = !cfg!(debug_assertions);
    let mut cmd = std::process::Command::new(&cargo);
    cmd.args(["build", "--quiet", "--manifest-path", manifest, "--bin", "ninja-halo-sync"]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Err("building ninja-halo-sync failed".into());
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = me.parent().ok_or("no target dir")?;
    Ok(dir.join(format!("ninja-halo-sync{}", std::env::consts::EXE_SUFFIX)))
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
