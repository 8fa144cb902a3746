//! Connecting to both APIs from the settings: the one place the sync and --check build their
//! NinjaOne and Halo clients (the Halo one with its authorisation server found).

use crate::config::Settings;
use crate::halo::{self, Halo, HaloAuth};
use crate::http::{ApiError, Http};
use crate::ninja::{Ninja, NinjaAuth, Scope, Wanted};

/// The NinjaOne client of these settings.
pub(crate) fn ninja<'a>(s: &Settings, http: &'a Http) -> Ninja<'a> {
    Ninja { http, auth: NinjaAuth::new(&s.ninja_url, &s.ninja_client_id, &s.ninja_client_secret.0) }
}

/// The Halo client of these settings, with its authorisation server found (see
/// `halo::auth_server`); the server is returned to be shown.
pub(crate) fn halo<'a>(s: &Settings, http: &'a Http) -> Result<(Halo<'a>, halo::AuthServer), ApiError> {
    let server = halo::auth_server(http, &s.halo_url, s.halo_auth_url.as_deref(), s.halo_tenant.as_deref())?;
    let auth = HaloAuth::new(
        &server.auth_url,
        server.tenant.as_deref(),
        &s.halo_client_id,
        &s.halo_client_secret.0,
        &s.halo_scope,
    );
    Ok((Halo { http, url: s.halo_url.clone(), auth, shapes: Default::default() }, server))
}

/// The NinjaOne fields a run reads, in this order: the value, the link field (when set), the
/// location field (when sites are synced). Looked up in one request before anything is read.
pub(crate) fn ninja_fields(s: &Settings) -> Vec<Wanted<'_>> {
    let mut fields = vec![Wanted { name: &s.ninja_field, scope: Scope::Organization, flag: "ninja-field" }];
    if let Some(link) = &s.ninja_link_field {
        fields.push(Wanted { name: link, scope: Scope::Organization, flag: "ninja-link-field" });
    }
    if let Some(sites) = &s.sites {
        fields.push(Wanted { name: &sites.ninja_location_field, scope: Scope::Location, flag: "ninja-location-field" });
    }
    fields
}
