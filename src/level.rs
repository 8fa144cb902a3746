//! What one level of a run syncs, built once from the settings (as ripgrep's `HiArgs` is built
//! from its flags): NinjaOne organizations to Halo clients, or NinjaOne locations to Halo sites.
//! The run (sync.rs) reads, plans, writes and reports both levels through the same functions;
//! what differs between them is here: the records, the fields, the plan options and the words.

use crate::config::Settings;
use crate::halo::Kind;
use crate::ninja::Scope;
use crate::plan;

/// One level of a run.
#[derive(Debug)]
pub(crate) struct LevelArgs {
    pub level: plan::Level,
    /// The NinjaOne field that holds the value (its API name).
    pub ninja_field: String,
    /// The Halo custom field the value is written to (its name or label, as set).
    pub halo_field: String,
    /// How the level is planned: the settings' own options for organizations; for sites the
    /// value and tier switches only (`sites::options`).
    pub opts: plan::Options,
}

impl LevelArgs {
    /// The levels these settings sync: organizations, and sites when they are configured.
    pub fn of(s: &Settings) -> (LevelArgs, Option<LevelArgs>) {
        let orgs = LevelArgs {
            level: plan::Level::Organizations,
            ninja_field: s.ninja_field.clone(),
            halo_field: s.halo_field.clone(),
            opts: s.plan.clone(),
        };
        let sites = s.sites.as_ref().map(|sf| LevelArgs {
            level: plan::Level::Sites,
            ninja_field: sf.ninja_location_field.clone(),
            halo_field: sf.halo_site_field.clone(),
            opts: crate::sites::options(&s.plan),
        });
        (orgs, sites)
    }

    /// The NinjaOne records: organizations or locations.
    pub fn scope(&self) -> Scope {
        match self.level {
            plan::Level::Organizations => Scope::Organization,
            plan::Level::Sites => Scope::Location,
        }
    }

    /// The Halo records: clients or sites.
    pub fn kind(&self) -> Kind {
        match self.level {
            plan::Level::Organizations => Kind::Clients,
            plan::Level::Sites => Kind::Sites,
        }
    }

    /// What the Halo field is called in messages.
    pub fn halo_field_words(&self) -> &'static str {
        match self.level {
            plan::Level::Organizations => "Halo field",
            plan::Level::Sites => "Halo site field",
        }
    }

    /// Where to look when no NinjaOne record has a value: the field's name as the API knows
    /// it, and the setting that names it.
    pub fn ninja_field_advice(&self) -> &'static str {
        match self.level {
            plan::Level::Organizations => {
                "the API name under Administration > Devices > Role Custom Fields / Global Custom Fields, not its \
                 label, --ninja-field / NINJA_FIELD"
            }
            plan::Level::Sites => "its API name, --ninja-location-field / NINJA_LOCATION_FIELD",
        }
    }

    /// What a `no_match` line adds when the Halo list showed no value at all (the organization
    /// level says it; the site level's lines never did).
    pub fn unlisted_words(&self) -> Option<&'static str> {
        match self.level {
            plan::Level::Organizations => Some(
                " (Halo's client list carries no custom field values here, so a client already holding this value \
                 could not be looked for)",
            ),
            plan::Level::Sites => None,
        }
    }
}
