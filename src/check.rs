//! `--check`: a preflight of the configuration, without syncing. Signs in to both sides, looks
//! up both fields, reads one page of organizations and of clients, and prints a checklist: what
//! was found, what is wrong, and what to set where. Writes nothing and takes no lock; exit 0
//! when everything a sync needs is in place, 1 otherwise.

use crate::config::Settings;
use crate::halo;
use crate::http::Http;
use crate::ninja::FieldCheck;
use crate::output;
use crate::report::Exit;

#[derive(Default)]
struct Checklist {
    failures: usize,
}

impl Checklist {
    fn ok(&mut self, line: &str) {
        output::result(&format!("  ok    {line}"));
    }
    fn warn(&mut self, line: &str) {
        output::result(&format!("  warn  {line}"));
    }
    fn fail(&mut self, line: &str) {
        self.failures += 1;
        output::result(&format!("  FAIL  {line}"));
    }
}

pub fn run(s: &Settings) -> Exit {
    output::result(&format!(
        "ninja-halo-sync {} --check: Halo {} and NinjaOne {} (nothing is written)",
        env!("CARGO_PKG_VERSION"),
        s.halo_url,
        s.ninja_url
    ));
    let mut list = Checklist::default();
    let http = match Http::new(&s.http) {
        Ok(mut h) => {
            h.listen(Box::new(output::event));
            h
        }
        Err(e) => {
            list.fail(&format!("{e} (--proxy / HTTPS_PROXY, --ca-file)"));
            return finish(&list);
        }
    };
    check_halo(s, &http, &mut list);
    check_ninja(s, &http, &mut list);
    finish(&list)
}

fn finish(list: &Checklist) -> Exit {
    let exit = if list.failures == 0 { Exit::Ok } else { Exit::CouldNotRun };
    output::result(&match list.failures {
        0 => format!("check: everything a sync needs is in place (exit {})", exit.code()),
        n => format!("check: {n} problem(s) to fix before a sync can run (exit {})", exit.code()),
    });
    exit
}

fn check_halo(s: &Settings, http: &Http, list: &mut Checklist) {
    let (halo, server) = match crate::connect::halo(s, http) {
        Ok(h) => h,
        Err(e) => return list.fail(&format!("Halo: {e}")),
    };
    let tenant = server.tenant.as_deref().map_or(String::new(), |t| format!(", tenant '{t}'"));
    list.ok(&format!("Halo authorisation server {}{tenant} (from {})", server.auth_url, server.how));
    // The first authenticated call signs in; its error says what to set.
    let defs = match halo.fields(halo::Kind::Clients) {
        Ok(d) => d,
        Err(e) => return list.fail(&format!("Halo: {e}")),
    };
    match halo.auth.granted_scopes() {
        Some(granted) if halo::scopes_edit_customers(&granted) => {
            list.ok(&format!("Halo sign-in: client id '{}', scopes '{}'", s.halo_client_id, granted.join(" ")))
        }
        Some(granted) => {
            list.ok(&format!("Halo sign-in: client id '{}'", s.halo_client_id));
            list.fail(&format!(
                "Halo's token grants '{}' but not edit:customers: a sync could read but not write (exit 2). Allow \
                 edit:customers on the API application (Configuration > Integrations > Halo API > the application > \
                 Permissions), and ask for it with --halo-scope (now '{}')",
                granted.join(" "),
                s.halo_scope
            ));
        }
        None => {
            list.ok(&format!("Halo sign-in: client id '{}', scopes asked '{}'", s.halo_client_id, s.halo_scope));
            list.warn(
                "Halo's token does not say which scopes it grants: whether the application may edit customers shows \
                 at the first write (a refusal there stops the run, exit 2)",
            );
        }
    }
    let field = match halo::resolve_field(&defs, &s.halo_field, halo::Kind::Clients) {
        Ok(f) => f,
        Err(e) => return list.fail(&e.to_string()),
    };
    list.ok(&format!("Halo client field '{}' (label '{}', id {})", field.name, field.label, field.id));
    match halo.page(halo::Kind::Clients, &defs, 1) {
        Ok((rows, total)) => {
            let of = total.map_or(String::new(), |t| format!(" of {t}"));
            list.ok(&format!("Halo clients: the first page has {}{of}", rows.len()));
            cost(s, &field, &rows, total, list);
        }
        Err(e) => list.fail(&format!("Halo clients: {e}")),
    }
    if let Some(sites) = &s.sites {
        check_sites(s, &halo, &sites.halo_site_field, list);
    }
}

/// The site level: the site field exists (as the client field is checked), the site list can
/// be read, and whether its rows show the field (else a run reads each matched site on its own).
fn check_sites(s: &Settings, halo: &halo::Halo, wanted: &str, list: &mut Checklist) {
    let found = halo
        .fields(halo::Kind::Sites)
        .and_then(|defs| Ok((halo::resolve_field(&defs, wanted, halo::Kind::Sites)?, defs)));
    let (field, defs) = match found {
        Ok(found) => found,
        Err(e) => return list.fail(&format!("Halo sites: {e}")),
    };
    list.ok(&format!("Halo site field '{}' (label '{}', id {})", field.name, field.label, field.id));
    match halo.page(halo::Kind::Sites, &defs, 1) {
        Ok((rows, total)) => {
            let of = total.map_or(String::new(), |t| format!(" of {t}"));
            let shown = rows.iter().filter(|r| r.field_value(&field).is_some()).count();
            list.ok(&format!(
                "Halo sites: the first page has {}{of}; {shown} of them show '{}' in the list",
                rows.len(),
                field.name
            ));
            if shown < rows.len() {
                list.warn(&format!(
                    "Halo's site list does not show '{}' for every site: a run reads each matched site whose row does \
                     not show it on its own",
                    field.name
                ));
            }
            let sites = total.unwrap_or(rows.len() as u64);
            native_links(s, "site", &rows, &field, |n| sites * n as u64 / rows.len().max(1) as u64, list);
        }
        Err(e) => list.fail(&format!("Halo sites: {e}")),
    }
}

/// What a run will cost, from what the first page of the client list shows: whether its rows
/// carry the field's value (`include_custom_fields`, which an older Halo may ignore) and Halo's
/// own NinjaOne link (which Halo's API document puts on records, not on list rows).
fn cost(s: &Settings, field_def: &halo::FieldDef, rows: &[halo::Record], total: Option<u64>, list: &mut Checklist) {
    if rows.is_empty() {
        return;
    }
    let field = &field_def.name;
    let clients = total.unwrap_or(rows.len() as u64);
    let scaled = |n: usize| clients * n as u64 / rows.len() as u64;
    let shown = rows.iter().filter(|c| c.field_value(field_def).is_some()).count();
    if shown < rows.len() {
        let reads = scaled(rows.len() - shown);
        list.warn(&format!(
            "Halo's client list shows '{field}' for {shown} of {} clients: a run reads each matched client whose row \
             does not show it on its own, up to about {reads} requests for {clients} clients, {} (nothing wrong; list \
             rows with custom fields make runs faster)",
            rows.len(),
            paced(s, reads)
        ));
    } else {
        list.ok(&format!("Halo's client list rows carry '{field}': no client is read on its own to see its value"));
    }
    native_links(s, "client", rows, field_def, scaled, list);
}

/// Where Halo's own NinjaOne link will be read, and what it costs (`--native-links`).
fn native_links(
    s: &Settings,
    noun: &str,
    rows: &[halo::Record],
    field: &halo::FieldDef,
    scaled: impl Fn(usize) -> u64,
    list: &mut Checklist,
) {
    use crate::plan::{Link, NativeLinks};
    let carried = rows.iter().filter(|c| c.link != Link::Unseen).count();
    let mode = s.plan.native_links;
    if mode == NativeLinks::Off {
        return list.ok(&format!("Halo's own NinjaOne link (ninjarmmid) on {noun}s is not used (--native-links off)"));
    }
    if carried == rows.len() {
        return list.ok(&format!(
            "Halo's {noun} list rows carry Halo's own NinjaOne link (ninjarmmid): no {noun} is read on its own for it"
        ));
    }
    // Rows without a value: any of them may be an organization's in Halo's eyes.
    let open = rows.iter().filter(|c| !matches!(c.field_value(field), Some(Some(_)))).count();
    let reads = scaled(open);
    list.ok(&match mode {
        NativeLinks::Auto => format!(
            "Halo's {noun} list rows do not carry Halo's own NinjaOne link (ninjarmmid), as Halo's API document has \
             it: a run reads it from each {noun}'s own record where a decision depends on it (--native-links auto): \
             while some NinjaOne value is on no {noun}, every {noun} holding no value, up to about {reads} requests, {} \
             (with --native-links targets only the {noun}s about to be written by name)",
            paced(s, reads)
        ),
        _ => format!(
            "Halo's {noun} list rows do not carry Halo's own NinjaOne link (ninjarmmid): a run reads it only from the \
             {noun}s about to be written by name (--native-links targets), at most one request each"
        ),
    });
}

/// How long `reads` more requests take at the Halo pacing in force, in words.
fn paced(s: &Settings, reads: u64) -> String {
    let (n, window) = s.http.halo_rate;
    let seconds = reads.saturating_sub(u64::from(n)) as f64 * window.as_secs_f64() / f64::from(n);
    format!("about {:.0} minutes at --halo-rate {n}/{}", seconds / 60.0, window.as_secs())
}

fn check_ninja(s: &Settings, http: &Http, list: &mut Checklist) {
    let ninja = crate::connect::ninja(s, http);
    // The GUID field and, when configured, the link and location fields: one request for all,
    // as a run does.
    let fields = crate::connect::ninja_fields(s);
    let checks = match ninja.check_fields(&fields) {
        Ok(c) => c,
        // A sign-in failure or a field that cannot be used: either way a sync could not run.
        Err(e) => return list.fail(&format!("NinjaOne: {e}")),
    };
    list.ok(&format!("NinjaOne sign-in: client id '{}', scope monitoring", s.ninja_client_id));
    for (i, (check, wanted)) in checks.iter().zip(&fields).enumerate() {
        let what = match (i, wanted.scope) {
            (0, _) => "organization field",
            (_, crate::ninja::Scope::Location) => "location field",
            _ => "link field",
        };
        match check {
            FieldCheck::Found(d) => list.ok(&format!(
                "NinjaOne {what} '{}' (label '{}'), API permission {}",
                d.name,
                d.label,
                d.api_permission.as_deref().unwrap_or("not shown")
            )),
            // The same reason for every field (the definitions could not be read): said once.
            FieldCheck::Unchecked { names, why } if i == 0 => list.warn(&crate::hints::fields_unchecked(names, why)),
            FieldCheck::Unchecked { .. } => {}
        }
    }
    let orgs = match ninja.org_page(0, 100) {
        Ok((_, orgs)) => orgs,
        Err(e) => return list.fail(&format!("NinjaOne organizations: {e}")),
    };
    if s.sites.is_some() {
        match ninja.location_page(0, 100) {
            Ok((_, page)) => list.ok(&format!("NinjaOne locations: the first page has {}", page.len())),
            Err(e) => list.fail(&format!("NinjaOne locations: {e}")),
        }
    }
    match ninja.query_page(crate::ninja::Scope::Organization, &[&s.ninja_field], None) {
        Ok(Some(page)) => {
            let first: std::collections::HashSet<i64> = orgs.iter().map(|o| o.id).collect();
            let with_value = page
                .values
                .iter()
                .filter(|(id, v)| first.contains(id) && v.first().is_some_and(Option::is_some))
                .count();
            list.ok(&format!(
                "NinjaOne organizations: the first page has {}; {with_value} of them have a value in '{}'",
                orgs.len(),
                s.ninja_field
            ));
            if !orgs.is_empty() && with_value == 0 {
                list.warn(&format!(
                    "none of these organizations has a value in '{}' yet: a sync would report them all no_value \
                     (exit 3) until the field is filled",
                    s.ninja_field
                ));
            }
        }
        Ok(None) => list.ok(&format!(
            "NinjaOne organizations: the first page has {}; the bulk value query is not available here, values \
             are read one organization at a time",
            orgs.len()
        )),
        Err(e) => list.fail(&format!("NinjaOne field values: {e}")),
    }
}
