//! The vendors' API documents (`sim/vendor/`, see its README) as the simulator's model of what a
//! response holds: each operation's response schema, a validator for the part of OpenAPI 3.0
//! the documents use, and a value of every property of a schema, so that a default answer
//! carries what the document says it carries (no more: a key the document does not list is an
//! error, and no less).

use crate::Side;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Which vendor's document a schema belongs to ($refs resolve inside it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Doc {
    Halo,
    Ninja,
}

struct Docs {
    /// Halo's live document (2026), excerpted: the newer, so it is the default.
    halo: Value,
    /// Schemas of the older Halo document that the live excerpt refers to but does not hold.
    halo_older: Value,
    ninja: Value,
}

fn docs() -> &'static Docs {
    static DOCS: OnceLock<Docs> = OnceLock::new();
    DOCS.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str::<Value>(text).expect("a vendor document is JSON");
        Docs {
            halo: parse(include_str!("../vendor/halo-swagger-live-excerpt.json")),
            halo_older: parse(include_str!("../vendor/halo-swagger-older-excerpt.json")),
            ninja: parse(include_str!("../vendor/ninja-openapi-excerpt.json")),
        }
    })
}

/// A named schema of `doc`; Halo's live excerpt first, then the older document.
pub fn schema(doc: Doc, name: &str) -> Option<&'static Value> {
    let d = docs();
    match doc {
        Doc::Halo => d.halo["schemas"].get(name).or_else(|| d.halo_older["schemas"].get(name)),
        Doc::Ninja => d.ninja["schemas"].get(name),
    }
}

fn resolve(doc: Doc, s: &Value) -> Option<&Value> {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => schema(doc, r.rsplit('/').next()?),
        None => Some(s),
    }
}

/// The operation of `method path` as the program sends it (`/api/Client/12`, `/v2/locations`)
/// in the vendor's document: its path template, or None where the document has no such
/// operation. Halo's document names paths without the `/api` base, in any case.
pub fn operation(side: Side, method: &str, path: &str) -> Option<(&'static str, &'static Value)> {
    let (paths, path) = match side {
        Side::Halo => (&docs().halo["paths"], path.strip_prefix("/api").or(path.strip_prefix("/API"))?),
        Side::Ninja => (&docs().ninja["paths"], path),
    };
    let want: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    paths.as_object()?.iter().find_map(|(template, ops)| {
        let have: Vec<&str> = template.split('/').collect();
        let fits = have.len() == want.len()
            && have.iter().zip(&want).all(|(h, w)| h.starts_with('{') || h.eq_ignore_ascii_case(w));
        let op = ops.get(method.to_ascii_lowercase())?;
        fits.then_some((template.as_str(), op))
    })
}

/// The query parameters the document lists for an operation.
pub fn parameters(op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .map(|a| {
            a.iter().filter(|p| p["in"] == "query").filter_map(|p| p["name"].as_str().map(str::to_string)).collect()
        })
        .unwrap_or_default()
}

/// The schema the document gives the answer with this status (Ninja's document gives its
/// answers as `default`); None where it declares no content.
pub fn response_schema(op: &Value, status: u16) -> Option<&Value> {
    let responses = &op["responses"];
    let r = responses.get(status.to_string()).or_else(|| responses.get("default"))?;
    r["content"]["application/json"].get("schema")
}

/// Every way `v` differs from `schema`, as `path: what` lines (empty: it fits).
///
/// OpenAPI 3.0 as the documents use it: `$ref`, `type`, `format` (int32, uuid, date-time),
/// `nullable`, `enum`, `properties`, `additionalProperties`, `items`. Two choices:
/// - A key the schema does not list is an error unless `additionalProperties` allows it (Halo's
///   schemas say `false`; NinjaOne's say nothing, and are held to the same rule: a key the
///   document does not list is one the simulator invented).
/// - NinjaOne's field maps declare `additionalProperties: {"type": "object"}`, the generator's
///   rendering of a Java `Map<String, Object>`: the values are whatever a field holds (text,
///   numbers, objects), as NinjaOne's own examples show, so any value is accepted there.
///
/// A `$ref` the documents do not hold accepts any value (it cannot be checked).
pub fn validate(doc: Doc, schema: &Value, v: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(doc, schema, v, "$", &mut errors, 0);
    errors
}

fn check(doc: Doc, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>, depth: usize) {
    if depth > 64 || errors.len() > 50 {
        return;
    }
    let Some(s) = resolve(doc, schema) else { return };
    if v.is_null() {
        if s.get("nullable") != Some(&Value::Bool(true)) && s.get("type").is_some() {
            errors.push(format!("{at}: null, but not nullable"));
        }
        return;
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            errors.push(format!("{at}: {v} is not one of the enum's values"));
        }
        return;
    }
    let ty = s.get("type").and_then(Value::as_str).or(s.get("properties").map(|_| "object"));
    match (ty, v) {
        (None, _) => {}
        (Some("object"), Value::Object(m)) => object(doc, s, m, at, errors, depth),
        (Some("array"), Value::Array(items)) => {
            if let Some(item) = s.get("items") {
                for (i, x) in items.iter().enumerate() {
                    check(doc, item, x, &format!("{at}[{i}]"), errors, depth + 1);
                }
            }
        }
        (Some("string"), Value::String(text)) => {
            let fits = match s.get("format").and_then(Value::as_str) {
                Some("uuid") => is_uuid(text),
                Some("date-time") => text.len() >= 19 && text.as_bytes()[10] == b'T',
                _ => true,
            };
            if !fits {
                errors.push(format!("{at}: '{text}' is not a {}", s["format"]));
            }
        }
        (Some("integer"), Value::Number(n)) => match n.as_i64() {
            Some(i) if s.get("format") == Some(&Value::from("int32")) && i32::try_from(i).is_err() => {
                errors.push(format!("{at}: {i} is not an int32"))
            }
            Some(_) => {}
            None => errors.push(format!("{at}: {n} is not an integer")),
        },
        (Some("number"), Value::Number(_)) | (Some("boolean"), Value::Bool(_)) => {}
        (Some(t), other) => errors.push(format!("{at}: expected {t}, found {}", kind(other))),
    }
}

fn object(doc: Doc, s: &Value, m: &Map<String, Value>, at: &str, errors: &mut Vec<String>, depth: usize) {
    let props = s.get("properties").and_then(Value::as_object);
    let extra = s.get("additionalProperties");
    for (k, x) in m {
        let here = format!("{at}.{k}");
        match (props.and_then(|p| p.get(k)), extra) {
            (Some(p), _) => check(doc, p, x, &here, errors, depth + 1),
            (None, Some(Value::Bool(true))) => {}
            (None, Some(e @ Value::Object(_))) if !is_java_object(e) => check(doc, e, x, &here, errors, depth + 1),
            (None, Some(Value::Object(_))) => {}
            (None, _) => errors.push(format!("{here}: not in the document's schema")),
        }
    }
}

/// `{"type": "object"}` with nothing else (a description at most): a Java `Object`.
fn is_java_object(s: &Value) -> bool {
    s.as_object().is_some_and(|o| {
        o.get("type") == Some(&Value::from("object")) && o.keys().all(|k| k == "type" || k == "description")
    })
}

fn is_uuid(t: &str) -> bool {
    let parts: Vec<&str> = t.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An object holding every property of the named schema, each with a plain value of its type
/// (0, "", false, an empty list; an enum's first value; a referenced object empty): what a
/// default answer starts from before the simulator puts its data in.
pub fn every_property(doc: Doc, name: &str) -> Map<String, Value> {
    let s = schema(doc, name).unwrap_or_else(|| panic!("no schema {name} in the vendor documents"));
    let mut out = Map::new();
    for (k, p) in s["properties"].as_object().into_iter().flatten() {
        if let Some(v) = plain(doc, p) {
            out.insert(k.clone(), v);
        }
    }
    out
}

/// A plain value of a property's schema; None for a reference the documents do not hold.
fn plain(doc: Doc, p: &Value) -> Option<Value> {
    let s = resolve(doc, p)?;
    if let Some(first) = s.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return Some(first.clone());
    }
    Some(match s.get("type").and_then(Value::as_str) {
        Some("integer") => Value::from(0),
        Some("number") => Value::from(0.0),
        Some("boolean") => Value::Bool(false),
        Some("array") => Value::Array(Vec::new()),
        Some("string") => match s.get("format").and_then(Value::as_str) {
            Some("uuid") => Value::from("00000000-0000-0000-0000-000000000000"),
            Some("date-time") => Value::from("2020-01-01T00:00:00"),
            _ => Value::from(""),
        },
        Some(_) => Value::Object(Map::new()),
        None if s.get("properties").is_some() => Value::Object(Map::new()),
        None => Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documents_say_where_halos_own_link_is() {
        let has = |name: &str| schema(Doc::Halo, name).unwrap()["properties"].get("ninjarmmid").is_some();
        assert!(has("Area") && has("Site"), "the records carry it");
        assert!(!has("Area_List") && !has("Site_List"), "the list rows do not");
    }

    #[test]
    fn every_property_fits_its_schema_and_invented_keys_do_not() {
        for (doc, name) in [
            (Doc::Halo, "Area_List"),
            (Doc::Halo, "Area"),
            (Doc::Halo, "Site_List"),
            (Doc::Halo, "Site"),
            (Doc::Halo, "CustomField"),
            (Doc::Halo, "FieldInfo"),
            (Doc::Ninja, "Organization"),
            (Doc::Ninja, "AttributePublicApiDTO"),
        ] {
            let v = Value::Object(every_property(doc, name));
            let s = json!({"$ref": format!("#/components/schemas/{name}")});
            assert_eq!(validate(doc, &s, &v), Vec::<String>::new(), "{name}");
        }
        let mut row = every_property(Doc::Halo, "Area_List");
        row.insert("ninjarmmid".into(), json!(12));
        let errors = validate(Doc::Halo, &json!({"$ref": "#/components/schemas/Area_List"}), &Value::Object(row));
        assert_eq!(errors, vec!["$.ninjarmmid: not in the document's schema"]);
        let errors = validate(Doc::Halo, &json!({"$ref": "#/components/schemas/Area"}), &json!({"id": "7"}));
        assert_eq!(errors, vec!["$.id: expected integer, found a string"]);
    }

    #[test]
    fn operations_are_found_as_the_program_names_them() {
        let (template, op) = operation(Side::Halo, "GET", "/api/client/12").unwrap();
        assert_eq!(template, "/Client/{id}");
        assert!(parameters(op).contains(&"includedetails".to_string()));
        assert!(operation(Side::Halo, "PATCH", "/api/Client").is_none());
        let (_, op) = operation(Side::Ninja, "GET", "/v2/organization/3/location/4/custom-fields").unwrap();
        assert!(response_schema(op, 200).is_some());
    }
}
