//! What went wrong talking to an API, as data: which side, which request, what came back,
//! which setting a field error is about. Decisions match on the variants; hints.rs puts each
//! into words, with what to do next, in one place (the network code never writes a sentence).

use crate::plan::Level;
use crate::util::PageError;

/// Which API.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Side {
    Ninja,
    Halo,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Ninja => "NinjaOne",
            Side::Halo => "Halo",
        }
    }
}

/// Why an exchange gave no HTTP answer the caller could use.
#[derive(Debug)]
#[non_exhaustive]
pub enum HttpError {
    /// No HTTP answer (after the retries): connection refused or reset, host not found.
    Transport(String),
    /// No answer in time (--timeout), after the retries.
    Timeout(String),
    /// The TLS handshake failed (a certificate no trusted root vouches for): not retried, and
    /// with --ca-file tried once with that file's roots.
    Tls(String),
    /// The run's --deadline would pass before the request could be (re)tried.
    Deadline,
    /// The answer was larger than any page can be (`MAX_BODY`); not read on, not retried.
    TooLarge,
    /// This side has refused every request (429, 5xx, no answer) for `REFUSAL_LIMIT`: the run
    /// stops asking instead of waiting for hours.
    Refusing(Side),
}

/// A request that did not give what was wanted, kept as the user needs to see it: the method,
/// the URL without its query, and what came back (made by `http::exchange`, which clips and
/// redacts the body).
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub method: &'static str,
    pub url: String,
    pub answer: Answered,
}

/// What an exchange came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Answered {
    /// An HTTP answer: its status and its body as it may be shown.
    Status { status: u16, body: Body },
    /// No answer: the transport's, the timeout's or the TLS handshake's reason.
    Failed(String),
    /// Not sent: the run's --deadline has passed.
    Deadline,
    /// Not sent: this side has refused every request for `REFUSAL_LIMIT`.
    Refusing(Side),
    /// An answer larger than `MAX_BODY`, refused.
    TooLarge,
}

/// A body as it may be shown: clipped, redacted, one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    /// An HTML page: its text without the tags.
    Html(String),
    Text(String),
}

impl Exchange {
    /// The HTTP status, where there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self.answer {
            Answered::Status { status, .. } => Some(status),
            _ => None,
        }
    }
}

/// Why a token endpoint gave no token, read once from its answer.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenRefusal {
    /// A 2xx answer without a usable `access_token` (`chars`: one far longer than any real one).
    NoToken {
        chars: Option<usize>,
    },
    /// The client id and secret were refused (Halo's `invalid_client`; NinjaOne's 400/401/403).
    InvalidClient,
    /// The scopes asked for were refused (Halo's `invalid_scope`).
    InvalidScope {
        scope: String,
    },
    /// Halo did not accept the tenant.
    Tenant,
    /// Halo's token endpoint is not there (404).
    NotFound,
    /// NinjaOne does not know the client id (404 "Client app not exist": another region).
    UnknownClientApp {
        url: String,
        client_id: String,
    },
    Other,
}

/// Why one of the APIs, or the HTTP set-up, did not give what the run needs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApiError {
    /// --proxy cannot be used (`proxy` as it may be shown, without its password).
    Proxy { proxy: String, why: String },
    /// --ca-file cannot be read (`why`), or holds no certificate (None).
    CaFile { path: String, why: Option<String> },
    /// A side's token endpoint gave no token.
    Token { side: Side, refusal: TokenRefusal, exchange: Box<Exchange> },
    /// Halo's /api/authinfo names an authorisation server on another host (as it may be shown).
    AuthServerElsewhere { shown: String },
    /// Halo refused to list a level's custom field definitions.
    FieldsForbidden { level: Level, exchange: Box<Exchange> },
    /// NinjaOne did not list its custom field definitions (the fields are read unchecked).
    FieldsNotListed { exchange: Box<Exchange> },
    /// A GET did not answer as expected: what was read, the exchange, why its body is not usable
    /// (" (not JSON: ...)"; empty where it failed or was refused).
    Unreadable { what: String, exchange: Box<Exchange>, why: String },
    /// A list page could not be read: the whole list is not used.
    PartialList { level: Level, cause: Box<ApiError> },
    /// A POST failed without a 4xx answer (no answer, 5xx after the retries).
    PostFailed { exchange: Box<Exchange> },
    /// A paged list repeated a record or never ended (`list`: which one).
    Paging { list: String, error: PageError },
    /// Halo sent an empty page before the total it reports was read.
    EmptyPage { level: Level, page: usize, total: u64, read: usize },
    /// NinjaOne's field query answered for more entities than its list has.
    QueryOverrun { plural: &'static str, answered: usize, listed: usize },
    /// NinjaOne's field query cursor does not advance.
    CursorStuck { plural: &'static str, cursor: String },
    /// No custom field of that name at this level; the closest ones ("name (label)").
    FieldNotFound {
        side: Side,
        level: Level,
        /// The flag that names the field ("halo-site-field"): the setting to change.
        flag: &'static str,
        wanted: String,
        /// The field's exact name where only the case differs (NinjaOne: names are exact).
        spelled: Option<String>,
        /// The field whose label `wanted` is.
        label_of: Option<String>,
        closest: Vec<String>,
    },
    /// Several Halo fields differ from `wanted` only in case ("name (label, id)").
    FieldCaseTwins { level: Level, flag: &'static str, wanted: String, twins: Vec<String> },
    /// A NinjaOne field defined for other scopes than this level.
    FieldOutOfScope { level: Level, flag: &'static str, wanted: String, scopes: Vec<String> },
    /// A NinjaOne field the API may not read (its permission; its label).
    FieldNotReadable { wanted: String, permission: String, label: String },
}

impl ApiError {
    /// A field the sync needs is missing or cannot be used.
    pub fn is_field(&self) -> bool {
        matches!(
            self,
            ApiError::FieldNotFound { .. }
                | ApiError::FieldCaseTwins { .. }
                | ApiError::FieldOutOfScope { .. }
                | ApiError::FieldNotReadable { .. }
        )
    }

    /// Signing in failed: credentials, scope, tenant, region, the token endpoint.
    pub fn is_auth(&self) -> bool {
        matches!(self, ApiError::Token { .. } | ApiError::AuthServerElsewhere { .. } | ApiError::FieldsForbidden { .. })
    }
}
