//! NinjaOne API: client-credentials token, organizations and locations (paged with
//! pageSize/after, bare arrays), and their custom field values (bulk query with a cursor,
//! falling back to one request per entity where the query endpoint is unavailable). What goes
//! wrong is an `ApiError` (data).

use crate::http::{
    exchange, read_ok, ApiError, Event, Http, HttpError, Phase, Response, Side, TokenCache, TokenRefusal, TokenSource,
    Unreadable,
};
use crate::plan::Level;
use crate::util::{lenient_id, pct, value_text};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

pub const ORG_PAGE_SIZE: usize = 1000;
pub const QUERY_PAGE_SIZE: usize = 1000;
/// Threads for the per-organization fallback; kept small, it is one request per organization.
const FALLBACK_THREADS: usize = 4;

#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    pub name: String,
}

/// A NinjaOne location (GET /v2/locations): its organization and name.
#[derive(Debug, Clone)]
pub struct Location {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
}

/// The level a custom field lives at, as NinjaOne's field definitions and query name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Organization,
    Location,
}

impl Scope {
    /// The query's and definitions' name for it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Organization => "ORGANIZATION",
            Scope::Location => "LOCATION",
        }
    }
    /// One of the entities, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Scope::Organization => "organization",
            Scope::Location => "location",
        }
    }
    /// The entities, for messages.
    pub fn plural(self) -> &'static str {
        match self {
            Scope::Organization => "organizations",
            Scope::Location => "locations",
        }
    }
    /// The level these entities are synced at.
    pub fn level(self) -> Level {
        match self {
            Scope::Organization => Level::Organizations,
            Scope::Location => Level::Sites,
        }
    }
}

/// A field to look up before reading: its name, level and the option that names it
/// ("ninja-field").
pub struct Wanted<'a> {
    pub name: &'a str,
    pub scope: Scope,
    pub flag: &'static str,
}

pub struct NinjaAuth {
    pub url: String,
    pub client_id: String,
    pub secret: String,
    token: TokenCache,
}

impl NinjaAuth {
    pub fn new(url: &str, client_id: &str, secret: &str) -> NinjaAuth {
        NinjaAuth { url: url.into(), client_id: client_id.into(), secret: secret.into(), token: TokenCache::default() }
    }
}

impl TokenSource for NinjaAuth {
    fn token(&self, http: &Http, renew: bool) -> Result<String, ApiError> {
        self.token.get(http, renew, || self.fetch(http))
    }
}

impl NinjaAuth {
    /// A new token from the client-credentials grant, with an error that says what to check.
    fn fetch(&self, http: &Http) -> Result<(String, Duration), ApiError> {
        let url = format!("{}/ws/oauth/token", self.url);
        // Least privilege: the API is only read (the status field goes through the agent's CLI),
        // and reading organizations and their custom fields needs `monitoring`.
        let fields = (self.client_id.as_str(), self.secret.as_str(), "monitoring");
        let outcome = match http.client_credentials(Side::Ninja, "POST /ws/oauth/token", &url, fields) {
            Ok(granted) => return Ok((granted.token, granted.renew_at)),
            Err(outcome) => outcome,
        };
        let refusal = match &outcome {
            Ok(r) if r.ok() => crate::http::no_token(&outcome),
            Ok(r) if r.status == 404 && r.body.contains("Client app not exist") => {
                TokenRefusal::UnknownClientApp { url: self.url.clone(), client_id: self.client_id.clone() }
            }
            Ok(r) if matches!(r.status, 400 | 401 | 403) => TokenRefusal::InvalidClient,
            _ => TokenRefusal::Other,
        };
        Err(ApiError::Token { side: Side::Ninja, refusal, exchange: exchange("POST", &url, &outcome) })
    }
}

/// A NinjaOne custom field definition, as GET /v2/device-custom-fields shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    /// definitionScope: NODE, END_USER, LOCATION, ORGANIZATION.
    pub scopes: Vec<String>,
    /// apiPermission: NONE, READ_ONLY, WRITE_ONLY, READ_WRITE (None: not given).
    pub api_permission: Option<String>,
}

/// What the field check found.
pub enum FieldCheck {
    /// The field exists at organization scope and the API may read it.
    Found(FieldDef),
    /// The definitions could not be read (refused or absent; why): the run goes on without
    /// checking `names` ("'a' and 'b'").
    Unchecked { names: String, why: ApiError },
}

pub struct Ninja<'a> {
    pub http: &'a Http,
    pub auth: NinjaAuth,
}

impl Ninja<'_> {
    fn get(
        &self,
        endpoint: &'static str,
        path_and_query: &str,
    ) -> Result<(String, Result<Response, HttpError>), ApiError> {
        self.http.get_authed(&self.auth, Side::Ninja, endpoint, format!("{}{}", self.auth.url, path_and_query))
    }

    /// Looks the organization fields (the GUID field and, when configured, the link field) up in
    /// one GET /v2/device-custom-fields?scopes=organization before anything else is read: a wrong
    /// name, or a field the API may not read, would otherwise look like organizations without
    /// values. Err stops the run (nothing written).
    pub fn check_fields(&self, fields: &[Wanted]) -> Result<Vec<FieldCheck>, ApiError> {
        let names = fields.iter().map(|f| format!("'{}'", f.name)).collect::<Vec<_>>().join(" and ");
        // One request for every level asked about (the location level only when sites are synced).
        let scopes =
            if fields.iter().any(|f| f.scope == Scope::Location) { "organization,location" } else { "organization" };
        let (url, outcome) =
            self.get("GET /v2/device-custom-fields", &format!("/v2/device-custom-fields?scopes={scopes}"))?;
        if let Ok(r) = &outcome {
            if matches!(r.status, 401 | 403 | 404) {
                let why = ApiError::FieldsNotListed { exchange: exchange("GET", &url, &outcome) };
                return Ok(fields
                    .iter()
                    .map(|_| FieldCheck::Unchecked { names: names.clone(), why: why.clone() })
                    .collect());
            }
        }
        let defs = match read_ok("NinjaOne's custom field definitions", &url, &outcome, parse_field_defs) {
            Ok(d) => d,
            Err(why) => {
                return Ok(fields
                    .iter()
                    .map(|_| FieldCheck::Unchecked { names: names.clone(), why: why.clone() })
                    .collect())
            }
        };
        fields.iter().map(|f| judge_field(&defs, f.name, f.flag, f.scope).map(FieldCheck::Found)).collect()
    }

    /// Every organization, paged by `after` = the highest id seen, until an empty page: a page
    /// shorter than asked is not the end (a server may cap its pages below `pageSize`).
    pub fn organizations(&self) -> Result<Vec<Org>, ApiError> {
        self.all_after(Scope::Organization, |after| self.org_page(after, ORG_PAGE_SIZE), |o| o.id)
    }

    /// A list paged by `after` = the highest id seen, until an empty page; every id once, and
    /// no more than the paging ceiling.
    fn all_after<T>(
        &self,
        scope: Scope,
        page: impl Fn(i64) -> Result<(String, Vec<T>), ApiError>,
        id: fn(&T) -> i64,
    ) -> Result<Vec<T>, ApiError> {
        let (plural, noun) = (scope.plural(), scope.name().to_ascii_lowercase());
        let mut all = Vec::new();
        let mut seen = crate::util::PageGuard::default();
        let paging = |error| ApiError::Paging { list: format!("NinjaOne's {noun} list"), error };
        let mut after = 0i64;
        loop {
            let (url, rows) = page(after)?;
            let n = rows.len();
            for row in rows {
                let row_id = id(&row);
                seen.first(row_id, || format!("NinjaOne {noun} {row_id}"), &url).map_err(&paging)?;
                after = after.max(row_id);
                all.push(row);
            }
            seen.within_ceiling().map_err(&paging)?;
            self.http.progress(Side::Ninja, Phase::NinjaList(plural), all.len(), None);
            if n == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// One page of organizations after the id `after`, and the URL it came from.
    pub fn org_page(&self, after: i64, size: usize) -> Result<(String, Vec<Org>), ApiError> {
        let (url, outcome) =
            self.get("GET /v2/organizations", &format!("/v2/organizations?pageSize={size}&after={after}"))?;
        let page = read_ok("the NinjaOne organizations", &url, &outcome, parse_org_page)?;
        Ok((url, page))
    }

    /// The fields' values for every organization: org id -> value of each field asked for, in
    /// order (absent = unset). One bulk query reads them all (the GUID field and, when
    /// configured, the link field: no extra request).
    pub fn field_values(&self, fields: &[&str], orgs: &[Org]) -> Result<HashMap<i64, Values>, ApiError> {
        let own = |o: &Org| (o.id, format!("/v2/organization/{}/custom-fields", o.id));
        self.values_of(Scope::Organization, fields, orgs, "GET /v2/organization/{id}/custom-fields", own)
    }

    /// The fields' values of these entities (organizations or locations): entity id -> value of
    /// each field asked for, where one is set. The bulk query reads them all; where it does not
    /// exist (404), each entity's own fields are read (`own`: its id and the path of its fields).
    fn values_of<T: Sync>(
        &self,
        scope: Scope,
        fields: &[&str],
        entities: &[T],
        endpoint: &'static str,
        own: impl Fn(&T) -> (i64, String) + Sync,
    ) -> Result<HashMap<i64, Values>, ApiError> {
        if let Some(values) = self.query_values(scope, fields, entities.len())? {
            return Ok(values);
        }
        let plural = scope.plural();
        self.http.notify(Event::OneByOneFallback { what: plural, count: entities.len() });
        let values = crate::util::parallel_map(
            entities,
            FALLBACK_THREADS,
            |e| {
                let (id, path) = own(e);
                let (url, outcome) = self.get(endpoint, &path)?;
                let what = format!("the fields of NinjaOne {} {id}", scope.name().to_ascii_lowercase());
                Ok::<_, ApiError>((id, read_ok(&what, &url, &outcome, |b| parse_org_fields(b, fields))?))
            },
            |done| self.http.progress(Side::Ninja, Phase::FieldsOneByOne(plural), done, Some(entities.len() as u64)),
        )?;
        Ok(values.into_iter().filter(|(_, v)| v.iter().any(Option::is_some)).collect())
    }

    /// Every location (GET /v2/locations, paged by `after` until an empty page, as
    /// organizations are).
    pub fn locations(&self) -> Result<Vec<Location>, ApiError> {
        self.all_after(Scope::Location, |after| self.location_page(after, ORG_PAGE_SIZE), |l| l.id)
    }

    /// One page of locations after the id `after`, and the URL it came from.
    pub fn location_page(&self, after: i64, size: usize) -> Result<(String, Vec<Location>), ApiError> {
        let (url, outcome) = self.get("GET /v2/locations", &format!("/v2/locations?pageSize={size}&after={after}"))?;
        let page = read_ok("the NinjaOne locations", &url, &outcome, parse_location_page)?;
        Ok((url, page))
    }

    /// The location field's values (location id -> value, set values only): the bulk query at
    /// scope LOCATION, or each location's fields where the query is not available.
    pub fn location_values(&self, field: &str, locations: &[Location]) -> Result<HashMap<i64, String>, ApiError> {
        let own = |l: &Location| (l.id, format!("/v2/organization/{}/location/{}/custom-fields", l.org_id, l.id));
        let endpoint = "GET /v2/organization/{id}/location/{locationId}/custom-fields";
        let rows = self.values_of(Scope::Location, &[field], locations, endpoint, own)?;
        Ok(rows.into_iter().filter_map(|(id, mut v)| Some((id, v.pop().flatten()?))).collect())
    }

    /// Bulk read through /v2/queries/scoped-custom-fields: the values. None when the endpoint
    /// answers 404. Answers naming more entities than the list has (`entities`) are refused as
    /// soon as they do: the two answers do not fit together, and a query that never ends stops.
    fn query_values(
        &self,
        scope: Scope,
        fields: &[&str],
        entities: usize,
    ) -> Result<Option<HashMap<i64, Values>>, ApiError> {
        let plural = scope.plural();
        let mut values: HashMap<i64, Values> = HashMap::new();
        let mut seen_entities = crate::util::PageGuard::default();
        let mut cursor: Option<String> = None;
        loop {
            let Some(page) = self.query_page(scope, fields, cursor.as_deref())? else { return Ok(None) };
            let page_len = page.values.len();
            let mut new_entities = 0;
            for (id, row) in page.values {
                if seen_entities.is_new(id) {
                    new_entities += 1;
                }
                if row.iter().any(Option::is_some) {
                    values.insert(id, row);
                }
            }
            self.http.progress(Side::Ninja, Phase::FieldValues(plural), seen_entities.count(), None);
            if seen_entities.count() > entities {
                return Err(ApiError::QueryOverrun { plural, answered: seen_entities.count(), listed: entities });
            }
            let next = page.next_cursor;
            let empty_page = page_len == 0;
            // An empty page or no cursor ends the list. A page that brings nothing new is a
            // cursor that does not advance: an error, not the end (it would loop for ever, and
            // stopping there could leave organizations unread).
            if empty_page || next.is_none() {
                break;
            }
            if new_entities == 0 {
                return Err(ApiError::CursorStuck { plural, cursor: cursor.unwrap_or_default() });
            }
            cursor = next;
        }
        Ok(Some(values))
    }

    /// One page of the custom-field query (the first when `cursor` is None). None when the
    /// endpoint does not exist here (404 on the first page).
    pub fn query_page(
        &self,
        scope: Scope,
        fields: &[&str],
        cursor: Option<&str>,
    ) -> Result<Option<QueryPage>, ApiError> {
        // `fields` is a comma-separated list (the API document); each name percent-encoded.
        let names: Vec<String> = fields.iter().map(|f| pct(f)).collect();
        let mut q = format!(
            "/v2/queries/scoped-custom-fields?scopes={}&fields={}&pageSize={QUERY_PAGE_SIZE}",
            scope.name(),
            names.join(",")
        );
        if let Some(c) = cursor {
            q.push_str(&format!("&cursor={}", pct(c)));
        }
        let (url, outcome) = self.get("GET /v2/queries/scoped-custom-fields", &q)?;
        if cursor.is_none() && matches!(&outcome, Ok(r) if r.status == 404) {
            return Ok(None);
        }
        read_ok("the NinjaOne field values", &url, &outcome, |b| parse_query_page(b, fields, scope)).map(Some)
    }
}

/// GET /v2/device-custom-fields: a bare array of definitions.
pub fn parse_field_defs(body: &str) -> Result<Vec<FieldDef>, Unreadable> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!(" (not JSON: {e})"))?;
    let rows = v.as_array().ok_or(" (expected a JSON array of custom field definitions)")?;
    Ok(rows
        .iter()
        .filter_map(|d| {
            Some(FieldDef {
                name: d.get("name").and_then(Value::as_str)?.to_string(),
                label: d.get("label").and_then(Value::as_str).unwrap_or("").to_string(),
                scopes: d
                    .get("definitionScope")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_ascii_uppercase).collect())
                    .unwrap_or_default(),
                api_permission: d.get("apiPermission").and_then(Value::as_str).map(str::to_ascii_uppercase),
            })
        })
        .collect())
}

/// The definition of `wanted` if the sync can use it: it exists (by its API name, exactly, as
/// the value query needs it), at this scope, and the API may read it. Otherwise what is wrong and
/// which setting (`flag`) to change, naming the closest fields and their labels.
pub fn judge_field(defs: &[FieldDef], wanted: &str, flag: &'static str, scope: Scope) -> Result<FieldDef, ApiError> {
    let level = scope.level();
    let in_scope = |d: &FieldDef| d.scopes.is_empty() || d.scopes.iter().any(|s| s == scope.name());
    let Some(d) = defs.iter().find(|d| d.name == wanted) else {
        // Suggestions come from the fields of this level.
        let defs: Vec<FieldDef> = defs.iter().filter(|d| in_scope(d)).cloned().collect();
        let pairs: Vec<(&str, &str)> = defs.iter().map(|d| (d.name.as_str(), d.label.as_str())).collect();
        return Err(ApiError::FieldNotFound {
            side: Side::Ninja,
            level,
            flag,
            wanted: wanted.to_string(),
            spelled: defs.iter().find(|d| d.name.eq_ignore_ascii_case(wanted)).map(|d| d.name.clone()),
            label_of: defs.iter().find(|d| d.label.trim().eq_ignore_ascii_case(wanted.trim())).map(|d| d.name.clone()),
            closest: crate::util::closest_fields(wanted, &pairs, 5),
        });
    };
    if !in_scope(d) {
        return Err(ApiError::FieldOutOfScope { level, flag, wanted: wanted.to_string(), scopes: d.scopes.clone() });
    }
    match d.api_permission.as_deref() {
        Some(p @ ("NONE" | "WRITE_ONLY")) => Err(ApiError::FieldNotReadable {
            wanted: wanted.to_string(),
            permission: p.to_string(),
            label: d.label.clone(),
        }),
        _ => Ok(d.clone()),
    }
}

/// The field in a `fields` object (plain query) or array of `{name, value}` (detailed query).
fn field_in<'v>(fields: &'v Value, name: &str) -> Option<&'v Value> {
    match fields {
        Value::Object(m) => m.get(name),
        Value::Array(a) => {
            a.iter().find(|f| f.get("name").and_then(Value::as_str) == Some(name)).and_then(|f| f.get("value"))
        }
        _ => None,
    }
}

/// GET /v2/locations: a bare array of locations, each with its organization.
pub fn parse_location_page(body: &str) -> Result<Vec<Location>, Unreadable> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!(" (not JSON: {e})"))?;
    let rows = v.as_array().ok_or(" (expected a JSON array of locations)")?;
    rows.iter()
        .map(|l| {
            let id = l.get("id").and_then(lenient_id);
            let org_id = l.get("organizationId").and_then(lenient_id);
            let (Some(id), Some(org_id)) = (id, org_id) else {
                return Err(format!(
                    " (a location without a usable id or organizationId: {})",
                    crate::util::clip(&l.to_string(), 200)
                )
                .into());
            };
            Ok(Location { id, org_id, name: l.get("name").and_then(Value::as_str).unwrap_or("").to_string() })
        })
        .collect()
}

/// A page of GET /v2/organizations: a bare JSON array of organizations.
pub fn parse_org_page(body: &str) -> Result<Vec<Org>, Unreadable> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!(" (not JSON: {e})"))?;
    let rows = v.as_array().ok_or(" (expected a JSON array of organizations)")?;
    rows.iter()
        .map(|o| {
            let id = o.get("id").and_then(lenient_id).ok_or_else(|| {
                format!(" (an organization without a usable id: {})", crate::util::clip(&o.to_string(), 200))
            })?;
            Ok(Org { id, name: o.get("name").and_then(Value::as_str).unwrap_or("").to_string() })
        })
        .collect()
}

/// One organization's values of the fields asked for, in their order (None: unset).
pub type Values = Vec<Option<String>>;

/// A page of the custom-field query: (organization id, the fields' values) per row, and the
/// cursor for the next page.
pub struct QueryPage {
    pub values: Vec<(i64, Values)>,
    pub next_cursor: Option<String>,
}

pub fn parse_query_page(body: &str, fields: &[&str], scope: Scope) -> Result<QueryPage, Unreadable> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!(" (not JSON: {e})"))?;
    let rows = v.get("results").and_then(Value::as_array).ok_or(" (expected an object with a results array)")?;
    let mut values = Vec::new();
    for row in rows {
        if row.get("scope").and_then(Value::as_str).is_some_and(|s| !s.eq_ignore_ascii_case(scope.name())) {
            continue;
        }
        let id = row.get("entityId").and_then(lenient_id).ok_or_else(|| {
            format!(" (a row without a usable entityId: {})", crate::util::clip(&row.to_string(), 200))
        })?;
        let shown = row.get("fields");
        values.push((id, fields.iter().map(|f| shown.and_then(|s| field_in(s, f)).and_then(value_text)).collect()));
    }
    let next_cursor = v.get("cursor").and_then(|c| c.get("name")).and_then(Value::as_str).map(str::to_string);
    Ok(QueryPage { values, next_cursor })
}

/// GET /v2/organization/{id}/custom-fields: a flat object of field name -> value.
pub fn parse_org_fields(body: &str, fields: &[&str]) -> Result<Values, Unreadable> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!(" (not JSON: {e})"))?;
    let obj = v.as_object().ok_or(" (expected a JSON object of custom fields)")?;
    Ok(fields.iter().map(|f| obj.get(*f).and_then(value_text)).collect())
}

#[cfg(test)]
mod field_tests {
    use super::*;

    fn def(name: &str, label: &str, scope: &str, perm: &str) -> FieldDef {
        FieldDef {
            name: name.into(),
            label: label.into(),
            scopes: vec![scope.into()],
            api_permission: Some(perm.into()),
        }
    }

    #[test]
    fn the_ninja_field_is_judged_before_anything_is_read() {
        let defs = vec![
            def("dtcOrgGuid", "DTC Org GUID", "ORGANIZATION", "READ_WRITE"),
            def("contractTier", "Contract Tier", "ORGANIZATION", "READ_ONLY"),
            def("hidden", "Hidden", "ORGANIZATION", "NONE"),
            def("deviceOnly", "Device only", "NODE", "READ_WRITE"),
        ];
        assert_eq!(judge_field(&defs, "dtcOrgGuid", "ninja-field", Scope::Organization).unwrap().name, "dtcOrgGuid");
        let e = judge_field(&defs, "DTC Org GUID", "ninja-field", Scope::Organization).unwrap_err();
        assert!(e.is_field(), "{e:?}");
        assert_eq!(
            e.to_string(),
            "NinjaOne has no organization custom field named 'DTC Org GUID' (ninjaField / NINJA_FIELD / \
             --ninja-field). 'DTC Org GUID' is the label of dtcOrgGuid: pass its name, --ninja-field dtcOrgGuid. The \
             closest organization fields are: dtcOrgGuid (label \"DTC Org GUID\"), contractTier (label \"Contract \
             Tier\"), hidden (label \"Hidden\"). Nothing was written."
        );
        let e = judge_field(&defs, "siteGuid", "ninja-location-field", Scope::Location).unwrap_err().to_string();
        assert_eq!(
            e,
            "NinjaOne has no location custom field named 'siteGuid' (ninjaLocationField / NINJA_LOCATION_FIELD / \
             --ninja-location-field). NinjaOne lists no location custom fields: create it under Administration > \
             Devices > Global Custom Fields (or Role Custom Fields). Nothing was written."
        );
        assert!(judge_field(&defs, "dtcorgguid", "ninja-field", Scope::Organization)
            .unwrap_err()
            .to_string()
            .contains("it is 'dtcOrgGuid'"));
        assert!(judge_field(&defs, "hidden", "ninja-field", Scope::Organization)
            .unwrap_err()
            .to_string()
            .contains("API permission NONE"));
        assert!(judge_field(&defs, "deviceOnly", "ninja-field", Scope::Organization)
            .unwrap_err()
            .to_string()
            .contains("not for organizations"));
    }
}
