//! Every parser of outside input on arbitrary bytes: API response bodies, mapping files,
//! CSV lines, Retry-After headers. None may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ninja_halo_sync::{config, halo, http, ninja};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = ninja::parse_org_page(&text);
    let _ = ninja::parse_query_page(&text, &["dtcOrgGuid", "haloClient"], ninja::Scope::Organization);
    let _ = ninja::parse_location_page(&text);
    let _ = ninja::parse_org_fields(&text, &["dtcOrgGuid", "haloClient"]);
    let _ = halo::parse_field_info(&text);
    let shapes = halo::FieldShapes::default();
    if let Ok((clients, _)) = halo::parse_page(&text, halo::Kind::Clients, &shapes) {
        let field = halo::FieldDef { id: 101, name: "CFDtcClientGuid".into(), label: String::new() };
        for c in &clients {
            let _ = c.field_value(&field);
        }
    }
    let _ = halo::parse_record(&text, halo::Kind::Sites, &shapes);
    let _ = config::parse_map(&text);
    let _ = config::csv_fields(&text);
    let r = http::Response { status: 429, body: String::new(), content_type: String::new(), retry_after: Some(text.to_string()) };
    let _ = r.retry_after();
});
