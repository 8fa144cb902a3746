//! The simulated HaloPSA API: authinfo, token, field definitions, the client list and detail,
//! client writes (merge or replace), the rate limit.

use crate::*;
use serde_json::{json, Map, Value};
use server::{HttpRequest, Reply};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

/// Which Halo list a request is about: clients, or sites (records of the same shape).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Table {
    Clients,
    Sites,
}

impl Table {
    fn key(self) -> &'static str {
        match self {
            Table::Clients => "clients",
            Table::Sites => "sites",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Table::Clients => "Client",
            Table::Sites => "Site",
        }
    }
}

/// A custom field's `display`: its value as text.
fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl State {
    // ----- HaloPSA --------------------------------------------------------------------

    fn records(&self, t: Table) -> &Vec<Client> {
        match t {
            Table::Clients => &self.tenant.clients,
            Table::Sites => &self.tenant.sites,
        }
    }

    fn records_mut(&mut self, t: Table) -> &mut Vec<Client> {
        match t {
            Table::Clients => &mut self.tenant.clients,
            Table::Sites => &mut self.tenant.sites,
        }
    }

    /// The custom field definitions of a table (FieldInfo typeid 2 or 3).
    fn defs(&self, t: Table) -> &Vec<FieldDef> {
        match t {
            Table::Clients => &self.tenant.fields,
            Table::Sites => &self.tenant.site_fields,
        }
    }

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

    /// One custom field as Halo shows it: every property of the document's `CustomField`, an
    /// encrypted value masked.
    fn field_json(f: &FieldDef, value: &Value) -> Value {
        static TEMPLATE: OnceLock<Map<String, Value>> = OnceLock::new();
        let shown = if f.encrypted && value != &json!("") { json!("********") } else { value.clone() };
        let mut v = TEMPLATE.get_or_init(|| vendor::every_property(vendor::Doc::Halo, "CustomField")).clone();
        for (k, x) in [
            ("id", json!(f.id)),
            ("name", json!(f.name)),
            ("label", json!(f.label)),
            ("value", shown.clone()),
            ("display", json!(display(&shown))),
            ("inputtype", json!(if f.encrypted { 6 } else { 0 })),
            ("isencrypted", json!(f.encrypted)),
        ] {
            v.insert(k.into(), x);
        }
        Value::Object(v)
    }

    /// A client or site as the list (`full` false, with the fields asked for in `include`) or
    /// the record (`full` true: the detail read and a write's answer) shows it: every property
    /// of the document's schema for it (`Area_List`, `Area`, `Site_List`, `Site`), the
    /// simulator's data put in. Halo's own NinjaOne link (`ninjarmmid`) is on records only, as
    /// the document has it (on list rows too with `halo_list_ninjarmmid`, an older shape). A
    /// site carries its `client_id` as a decimal (`21.0`), as Halo sends it.
    fn client_json(&self, t: Table, c: &Client, include: Option<&HashSet<i64>>, full: bool) -> Value {
        static TEMPLATES: OnceLock<[Map<String, Value>; 4]> = OnceLock::new();
        let templates = TEMPLATES.get_or_init(|| {
            ["Area_List", "Area", "Site_List", "Site"].map(|name| vendor::every_property(vendor::Doc::Halo, name))
        });
        let id = if self.config.halo_decimal_ids && !full { json!(c.id as f64) } else { json!(c.id) };
        let (mut v, data) = match t {
            Table::Clients => (
                templates[usize::from(full)].clone(),
                json!({"id": id, "name": c.name, "inactive": c.inactive, "toplevel_id": 1,
                    "toplevel_name": "Top Level", "colour": "#000000", "use": "client", "main_site_id": c.id * 10,
                    "is_vip": false, "customertype": 0, "stopped": 0, "key": c.id, "table": 2}),
            ),
            Table::Sites => (
                templates[2 + usize::from(full)].clone(),
                json!({"id": id, "name": c.name, "inactive": c.inactive,
                    "client_id": c.client_id.unwrap_or(0) as f64, "clientsite_name": c.name, "sla_id": 1,
                    "timezone": "GMT Standard Time", "isstocklocation": false, "phonenumber": ""}),
            ),
        };
        v.extend(data.as_object().into_iter().flatten().map(|(k, x)| (k.clone(), x.clone())));
        if t == Table::Sites {
            let client = self.tenant.clients.iter().find(|x| Some(x.id) == c.client_id);
            v.insert("client_name".into(), json!(client.map_or("", |x| x.name.as_str())));
        }
        if full || self.config.halo_list_ninjarmmid {
            v.insert("ninjarmmid".into(), json!(c.ninja_id.unwrap_or(0)));
        }
        let value_of = |f: &FieldDef| c.fields.get(&f.name).cloned().unwrap_or(json!(""));
        let defs = self.defs(t);
        let shown: Option<Vec<Value>> = if full {
            self.config
                .halo_detail_custom_fields
                .then(|| defs.iter().map(|f| Self::field_json(f, &value_of(f))).collect())
        } else if let Some(ids) = include {
            let asked = defs.iter().filter(|f| ids.contains(&f.id)).map(|f| (f, value_of(f)));
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
        match shown {
            Some(fields) => v.insert("customfields".into(), Value::Array(fields)),
            // The document's rows may carry no array (null); the simulator's shapes leave the key out.
            None => v.remove("customfields"),
        };
        Value::Object(v)
    }

    pub(crate) fn halo(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
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
            return self.halo_token(req);
        }
        let authorized = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| self.halo_tokens.contains(t));
        if !authorized {
            return json_reply(401, &json!({"message": "Authorization has been denied for this request."}));
        }
        if req.method == "GET" && path == "/api/fieldinfo" {
            return self.halo_field_info(req);
        }
        let table = if path == "/api/site" || path.starts_with("/api/site/") { Table::Sites } else { Table::Clients };
        if req.method == "GET" && (path == "/api/client" || path == "/api/site") {
            return self.halo_list(req, fault, table);
        }
        if req.method == "GET" {
            let detail = path.strip_prefix("/api/client/").or_else(|| path.strip_prefix("/api/site/"));
            if let Some(id) = detail.and_then(|i| i.parse::<i64>().ok()) {
                return match self.records(table).iter().find(|c| c.id == id) {
                    Some(c) => {
                        let mut record = self.client_json(table, c, None, true);
                        match fault {
                            Some(FaultKind::RecordDisagrees(Disagree::Id(other))) => {
                                if let Some(o) = self.records(table).iter().find(|c| c.id == other) {
                                    record = self.client_json(table, o, None, true);
                                }
                            }
                            Some(FaultKind::RecordDisagrees(Disagree::ClientId(client))) => {
                                record["client_id"] = json!(client as f64)
                            }
                            Some(FaultKind::RecordDisagrees(Disagree::Inactive)) => record["inactive"] = json!(true),
                            _ => {}
                        }
                        json_reply(200, &record)
                    }
                    None => json_reply(
                        404,
                        &json!({"ClassName": "HaloException", "Message": format!("{} {id} not found", table.noun())}),
                    ),
                };
            }
        }
        if req.method == "POST" && (path == "/api/client" || path == "/api/site") {
            let may_edit = self
                .config
                .halo_app_scopes
                .as_deref()
                .is_none_or(|allowed| allowed.split_whitespace().any(|s| s == "edit:customers" || s == "all"));
            if !may_edit {
                return json_reply(403, &json!({"Message": "You do not have permission to edit customers"}));
            }
            return self.halo_post(req, fault, table);
        }
        json_reply(
            404,
            &json!({"Message": format!("No HTTP resource was found that matches the request URI '{}'", req.path)}),
        )
    }

    fn halo_post(&mut self, req: &HttpRequest, fault: Option<FaultKind>, table: Table) -> Reply {
        let body: Value = match serde_json::from_str(&req.body) {
            Ok(v) => v,
            Err(e) => return json_reply(400, &json!({"Message": format!("The request is invalid: {e}")})),
        };
        let Value::Array(items) = body else {
            return json_reply(
                400,
                &json!({"Message": format!("The request is invalid: expected an array of {}", table.key())}),
            );
        };
        for (i, item) in items.iter().enumerate() {
            let id = item.get("id").and_then(Value::as_i64);
            match id {
                Some(id) if self.records(table).iter().any(|c| c.id == id) => {
                    if matches!(&fault, Some(FaultKind::RejectClientsQuietly(bad)) if bad.contains(&id)) {
                        return json_reply(400, &json!({"Message": "One or more entries are invalid."}));
                    }
                    if matches!(fault, Some(FaultKind::RejectClient(bad)) if bad == id) {
                        return json_reply(
                            400,
                            &json!({"Message": format!("{} {id}: Please enter a valid URL", table.noun()), format!("[{i}].id"): "invalid"}),
                        );
                    }
                }
                _ => {
                    let missing = format!("The {} does not exist.", table.noun().to_lowercase());
                    return json_reply(400, &json!({format!("[{i}].id"): [missing]}));
                }
            }
        }
        let drop_all = matches!(fault, Some(FaultKind::DropWrite));
        let drop_one = match &fault {
            Some(FaultKind::DropClientWrite(id)) => Some(*id),
            _ => None,
        };
        let replace = self.config.halo_replace_custom_fields;
        let known: Vec<FieldDef> = self.defs(table).clone();
        let mut saved = Vec::new();
        for item in &items {
            let id = item["id"].as_i64().unwrap_or(0);
            let Some(c) = self.records_mut(table).iter_mut().find(|c| c.id == id) else { continue };
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
        let out: Vec<Value> = saved.iter().map(|c| self.client_json(table, c, None, true)).collect();
        if out.len() == 1 {
            json_reply(201, &out[0])
        } else {
            json_reply(201, &Value::Array(out))
        }
    }

    /// POST <auth>/token: the client-credentials grant (tenant, credentials, scopes granted).
    fn halo_token(&mut self, req: &HttpRequest) -> Reply {
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
            Some(allowed) => asked.split_whitespace().filter(|s| allowed.split_whitespace().any(|a| a == *s)).collect(),
        };
        t["scope"] = json!(granted.join(" "));
        json_reply(200, &t)
    }

    /// GET /api/FieldInfo: the client (typeid=2) or site (typeid=3) field definitions.
    fn halo_field_info(&mut self, req: &HttpRequest) -> Reply {
        let table = match req.param("typeid") {
            Some("2") => Table::Clients,
            Some("3") => Table::Sites,
            _ => return json_reply(200, &json!([])),
        };
        static TEMPLATE: OnceLock<Map<String, Value>> = OnceLock::new();
        let template = TEMPLATE.get_or_init(|| vendor::every_property(vendor::Doc::Halo, "FieldInfo"));
        let rows: Vec<Value> = self
            .defs(table)
            .iter()
            .map(|f| {
                let mut row = template.clone();
                for (k, v) in [("id", json!(f.id)), ("name", json!(f.name)), ("label", json!(f.label))] {
                    row.insert(k.into(), v);
                }
                Value::Object(row)
            })
            .collect();
        json_reply(200, &Value::Array(rows))
    }

    /// GET /api/Client or /api/Site: the list, paged (capped at `halo_page_cap`), with the
    /// custom fields asked for as configured.
    fn halo_list(&mut self, req: &HttpRequest, fault: Option<FaultKind>, table: Table) -> Reply {
        let include: Option<HashSet<i64>> =
            req.param("include_custom_fields").map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect());
        let inactive = req.param("includeinactive").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let active = !req.param("includeactive").is_some_and(|v| v.eq_ignore_ascii_case("false"));
        let mut rows: Vec<&Client> =
            self.records(table).iter().filter(|c| if c.inactive { inactive } else { active }).collect();
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
        let mut clients: Vec<Value> =
            page.iter().map(|c| self.client_json(table, c, include.as_ref(), false)).collect();
        if matches!(fault, Some(FaultKind::EndlessPages)) {
            let no = req.param("page_no").and_then(|v| v.parse::<i64>().ok()).unwrap_or(1).max(1);
            let size = self.config.halo_page_cap as i64;
            clients = (0..size)
                .map(|k| {
                    let id = 1_000_000 + no * size + k;
                    self.client_json(
                        table,
                        &tenants::client(id, &format!("Endless Client {id}"), None),
                        include.as_ref(),
                        false,
                    )
                })
                .collect();
            return json_reply(200, &json!({"record_count": 10_000_000, table.key(): clients}));
        }
        json_reply(200, &json!({"record_count": count, table.key(): clients}))
    }
}
