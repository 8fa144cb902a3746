//! The simulated NinjaOne API: token, organizations, custom field definitions, the bulk field
//! query and the per-organization fields.

use crate::*;
use serde_json::{json, Map, Value};
use server::{HttpRequest, Reply};
use std::collections::BTreeMap;

impl State {
    pub(crate) fn ninja(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
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
            return self.ninja_organizations(req, fault);
        }
        if path == "/v2/locations" {
            return self.ninja_locations(req, fault);
        }
        if path == "/v2/device-custom-fields" {
            return self.ninja_field_definitions(req);
        }
        if path == "/v2/queries/scoped-custom-fields" {
            return self.ninja_field_query(req);
        }
        if let Some(rest) = path.strip_prefix("/v2/organization/") {
            // /v2/organization/{id}/location/{locationId}/custom-fields
            let parts: Vec<&str> = rest.split('/').collect();
            if let [org, "location", loc, "custom-fields"] = parts.as_slice() {
                let (org, loc) = (org.parse::<i64>().ok(), loc.parse::<i64>().ok());
                return match self.tenant.locations.iter().find(|l| Some(l.id) == loc && Some(l.org_id) == org) {
                    Some(l) => json_reply(200, &Value::Object(l.fields.clone().into_iter().collect())),
                    None => not_found(),
                };
            }
            if let Some(id) = rest.strip_suffix("/custom-fields").and_then(|i| i.parse::<i64>().ok()) {
                return match self.tenant.orgs.iter().find(|o| o.id == id) {
                    Some(o) => json_reply(200, &Value::Object(o.fields.clone().into_iter().collect())),
                    None => not_found(),
                };
            }
        }
        not_found()
    }

    /// GET /v2/organizations: pages by `after`, capped at `ninja_page_cap`.
    fn ninja_organizations(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
        let size =
            req.param("pageSize").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1000).min(self.config.ninja_page_cap);
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
                json!({"id": o.id, "name": o.name, "description": format!("Managed client: {} (since 2019)", o.name),
                    "nodeApprovalMode": "AUTOMATIC", "userData": {}})
            })
            .collect();
        json_reply(200, &Value::Array(page))
    }

    /// GET /v2/locations: every organization's locations, paged by `after` as organizations are.
    fn ninja_locations(&mut self, req: &HttpRequest, fault: Option<FaultKind>) -> Reply {
        let size =
            req.param("pageSize").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1000).min(self.config.ninja_page_cap);
        let after = req.param("after").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        if matches!(fault, Some(FaultKind::EndlessPages)) {
            let page: Vec<Value> = (after + 1..=after + size as i64)
                .map(|id| json!({"id": id, "name": format!("Endless Location {id}"), "organizationId": 1}))
                .collect();
            return json_reply(200, &Value::Array(page));
        }
        let mut locations: Vec<&Location> = self.tenant.locations.iter().filter(|l| l.id > after).collect();
        locations.sort_by_key(|l| l.id);
        if matches!(fault, Some(FaultKind::EmptyPage)) {
            locations.clear();
        }
        let page: Vec<Value> = locations
            .iter()
            .take(size)
            .map(|l| {
                json!({"id": l.id, "name": l.name, "organizationId": l.org_id, "address": "1 Main Street",
                    "description": "", "userData": {}})
            })
            .collect();
        json_reply(200, &Value::Array(page))
    }

    /// GET /v2/device-custom-fields: the definitions as configured.
    fn ninja_field_definitions(&mut self, req: &HttpRequest) -> Reply {
        let defs: Vec<NinjaFieldDef> = match &self.config.ninja_field_defs {
            NinjaFieldDefs::Refused(status) => {
                return json_reply(*status, &json!({"resultCode": "FAILURE", "errorMessage": "Access denied"}))
            }
            NinjaFieldDefs::List(l) => l.clone(),
            NinjaFieldDefs::FromTenant => {
                let mut scopes: BTreeMap<&String, Vec<String>> = BTreeMap::new();
                for n in self.tenant.orgs.iter().flat_map(|o| o.fields.keys()) {
                    scopes.entry(n).or_default().push("ORGANIZATION".into());
                }
                for n in self.tenant.locations.iter().flat_map(|l| l.fields.keys()) {
                    scopes.entry(n).or_default().push("LOCATION".into());
                }
                scopes
                    .into_iter()
                    .map(|(n, mut scopes)| {
                        scopes.dedup();
                        NinjaFieldDef {
                            name: n.clone(),
                            label: format!("Label of {n}"),
                            scopes,
                            api_permission: "READ_WRITE".into(),
                        }
                    })
                    .collect()
            }
        };
        let wanted = req.param("scopes").unwrap_or("all").to_ascii_uppercase();
        let rows: Vec<Value> = defs
            .iter()
            .filter(|d| wanted == "ALL" || wanted.split(',').any(|w| d.scopes.iter().any(|s| s == w)))
            .map(|d| {
                json!({"name": d.name, "label": d.label, "definitionScope": d.scopes, "apiPermission": d.api_permission,
                "type": "TEXT", "technicianPermission": "EDITABLE", "entityType": "NODE"})
            })
            .collect();
        json_reply(200, &Value::Array(rows))
    }

    /// GET /v2/queries/scoped-custom-fields: organization values with a cursor.
    fn ninja_field_query(&mut self, req: &HttpRequest) -> Reply {
        let not_found = || json_reply(404, &json!({"resultCode": "FAILURE", "errorMessage": "HTTP 404 Not Found"}));
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
        // Each entity with the fields asked for that it holds, by id.
        let mut add = |scope: &str, mut entities: Vec<(i64, &BTreeMap<String, Value>)>| {
            if scopes != "ALL" && !scopes.split(',').any(|s| s == scope) {
                return;
            }
            entities.sort_by_key(|(id, _)| *id);
            for (id, all) in entities {
                let fields: Map<String, Value> = all
                    .iter()
                    .filter(|(k, _)| wanted.is_empty() || wanted.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !fields.is_empty() {
                    rows.push(json!({"scope": scope, "entityId": id, "fields": fields}));
                }
            }
        };
        add("ORGANIZATION", self.tenant.orgs.iter().map(|o| (o.id, &o.fields)).collect());
        add("LOCATION", self.tenant.locations.iter().map(|l| (l.id, &l.fields)).collect());
        let first_field = wanted.first().cloned().unwrap_or_default();
        for k in 0..self.config.ninja_query_extra_rows {
            let mut fields = Map::new();
            fields.insert(first_field.clone(), json!("11111111-2222-3333-4444-555555555555"));
            rows.push(json!({"scope": "ORGANIZATION", "entityId": 900_000 + k as i64, "fields": fields}));
        }
        let page: Vec<Value> = rows.iter().skip(offset).take(size).cloned().collect();
        let next = if self.config.ninja_cursor_stuck { offset } else { offset + page.len() };
        json_reply(
            200,
            &json!({"cursor": {"name": format!("sim-cursor-{next}"), "offset": offset, "count": page.len(), "expires": 1.9e9}, "results": page}),
        )
    }
}
