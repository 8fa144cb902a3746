//! The one HTTP client: a ureq Agent with TLS roots, proxy and timeouts, plus what the APIs
//! need around it: retries with backoff on 429/5xx/connection errors (honouring Retry-After),
//! proactive pacing of Halo requests, an overall deadline, the client-credentials flow and
//! token renewal on 401, and request statistics. What goes wrong is data (error.rs: `HttpError`
//! for an exchange, `ApiError` for what an API call could not give), and what it tells while it
//! works are events (`Event`, request traces for -v included): it never prints, and never decides
//! anything about organizations or clients.

pub use crate::error::{Answered, ApiError, Body, Exchange, HttpError, Side, TokenRefusal};
use crate::redact;
use crate::util::clip;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct Request {
    pub side: Side,
    pub method: &'static str,
    pub url: String,
    /// Short name of the endpoint for statistics and messages, e.g. "GET /api/Client".
    pub endpoint: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<(&'static str, String)>,
}

impl Request {
    pub fn get(side: Side, endpoint: &'static str, url: String) -> Request {
        Request { side, method: "GET", url, endpoint, headers: Vec::new(), body: None }
    }
    pub fn post(side: Side, endpoint: &'static str, url: String, content_type: &'static str, body: String) -> Request {
        Request { side, method: "POST", url, endpoint, headers: Vec::new(), body: Some((content_type, body)) }
    }
}

/// An answer: its status, the headers the run uses, and its body as it was read (`Response`:
/// as text; `Streamed`: decoded while it arrived).
#[derive(Debug, Clone)]
pub struct Answer<B> {
    pub status: u16,
    pub body: B,
    pub content_type: String,
    /// The raw Retry-After header, when sent.
    pub retry_after: Option<String>,
}

/// An answer whose body was read as text.
pub type Response = Answer<String>;

impl<B> Answer<B> {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Response {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A body decoded while it arrived (a successful answer), or read as text (any other, and a
/// successful one that could not be decoded: its beginning, and why). A large list page is
/// never held whole in memory: its rows are decoded one by one from the connection.
#[derive(Debug)]
pub enum Streamed<T> {
    Decoded(T),
    Text(String),
    Undecodable { head: String, why: String },
}

/// Decodes a successful answer's body from the connection (bounded by `MAX_BODY`).
pub type Decode<'a, T> = &'a (dyn Fn(&mut dyn std::io::Read) -> Result<T, serde_json::Error> + Sync);

/// What a decoded request came to: the answer, or why there was none.
pub type DecodedOutcome<T> = Result<Answer<Streamed<T>>, HttpError>;

/// How much of an undecodable body is kept to show.
const HEAD_KEPT: usize = 4096;

/// A reader that keeps the first `HEAD_KEPT` bytes it passed on (to show what an undecodable
/// answer began with).
struct Head<R> {
    inner: R,
    head: Vec<u8>,
}

impl<R: std::io::Read> std::io::Read for Head<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = HEAD_KEPT.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

/// What the network layer tells the caller while it works: the caller decides what to show
/// (`output::event` renders each in one place), request traces for -v included.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Waiting this long before the next request (rate limit, backoff, pacing).
    Waiting(Duration),
    /// A request was refused or failed and is tried again after `wait`.
    Retry { side: Side, endpoint: &'static str, why: String, attempt: u32, of: u32, wait: Duration },
    /// The server answered 401; the token is renewed once and the request sent again.
    TokenRenewed { side: Side, endpoint: &'static str },
    /// Where a long read or write is: `done` of `total` (None: not known yet) `what`.
    Progress { side: Side, what: Phase, done: usize, total: Option<u64> },
    /// NinjaOne's bulk field query is not available: these entities ("organizations",
    /// "locations") are read one by one.
    OneByOneFallback { what: &'static str, count: usize },
    /// A request trace for --verbose: what was sent, a pacing pause, a refused answer before
    /// its retry, a TLS fallback (redacted).
    Trace(String),
}

/// The long phases `Event::Progress` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A Halo list ("clients", "sites"), on this page.
    ListPages(&'static str, usize),
    /// Halo records ("clients", "sites") read one by one.
    OneByOne(&'static str),
    /// A NinjaOne list ("organizations", "locations").
    NinjaList(&'static str),
    /// NinjaOne's field query, for these entities.
    FieldValues(&'static str),
    /// NinjaOne entities' fields read one by one.
    FieldsOneByOne(&'static str),
    /// A write batch of this many records ("clients", "sites") was sent.
    WroteBatch(&'static str),
}

/// Receives the network layer's events.
pub type Listener = Box<dyn Fn(&Event) + Send + Sync>;

/// Why a body is not what was expected, shown after the request it answered:
/// " (not JSON: ...)", " (expected an array of field definitions)".
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable(pub String);

impl From<&str> for Unreadable {
    fn from(s: &str) -> Unreadable {
        Unreadable(s.to_string())
    }
}

impl From<String> for Unreadable {
    fn from(s: String) -> Unreadable {
        Unreadable(s)
    }
}

/// The largest answer read. A page of 1,000 organizations or 100 clients with every custom
/// field is well under 1 MB; a server sending far more is broken or hostile, and reading it
/// whole (then parsing it into a tree) would cost gigabytes.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;

/// The longest access token taken (a JWT with many claims is a few KB): a server that sends
/// a longer one is not believed.
pub const MAX_TOKEN: usize = 64 * 1024;

/// The body of a successful (2xx) response.
fn ok_body(outcome: &Result<Response, HttpError>) -> Option<&str> {
    match outcome {
        Ok(r) if r.ok() => Some(&r.body),
        _ => None,
    }
}

/// The parsed body of a successful GET, or an error saying what could not be read, what came
/// back, and why it did not parse: "cannot read {what}: GET {url} answered ...{why}". Parsers
/// return their reason with a leading space, e.g. " (not JSON: ...)".
pub fn read_ok<T>(
    what: &str,
    url: &str,
    outcome: &Result<Response, HttpError>,
    parse: impl FnOnce(&str) -> Result<T, Unreadable>,
) -> Result<T, ApiError> {
    ok_body(outcome).map(parse).unwrap_or(Err(Unreadable(String::new()))).map_err(|why| ApiError::Unreadable {
        what: what.to_string(),
        exchange: exchange("GET", url, outcome),
        why: why.0,
    })
}

/// `read_ok` for an answer decoded while it arrived: the value, or an error saying what could
/// not be read, what came back (its beginning, where it could not be decoded) and why.
pub fn read_decoded<T>(what: &str, url: &str, outcome: Result<Answer<Streamed<T>>, HttpError>) -> Result<T, ApiError> {
    let (text, why) = match outcome {
        Ok(Answer { body: Streamed::Decoded(v), .. }) => return Ok(v),
        Ok(a) => {
            let why = match &a.body {
                Streamed::Undecodable { why, .. } => format!(" ({why})"),
                _ => String::new(),
            };
            let text = Response {
                status: a.status,
                body: a.body.text().to_string(),
                content_type: a.content_type,
                retry_after: a.retry_after,
            };
            (Ok(text), why)
        }
        Err(e) => (Err(e), String::new()),
    };
    Err(ApiError::Unreadable { what: what.to_string(), exchange: exchange("GET", url, &text), why })
}

/// A request that did not succeed, as the user sees it (error.rs): method, URL without its
/// query, and the status with a clipped, redacted copy of the body, or why there was no answer.
pub fn exchange(method: &'static str, url: &str, outcome: &Result<Response, HttpError>) -> Box<Exchange> {
    let url = redact::redact(url.split('?').next().unwrap_or(url));
    let answer = match outcome {
        Ok(r) => {
            // Only what can be shown is redacted (`redact::shown` keeps enough after the cut that
            // a secret crossing it is caught whole): a 16 MB body costs no more than a short one.
            let body = if r.content_type.contains("html") || r.body.trim_start().starts_with('<') {
                let head: String = r.body.chars().take(64 * 1024).collect();
                Body::Html(redact::shown(&strip_tags(&head), 160))
            } else if r.body.trim().is_empty() {
                Body::Empty
            } else {
                Body::Text(redact::shown(r.body.trim(), 300))
            };
            Answered::Status { status: r.status, body }
        }
        Err(HttpError::Transport(e) | HttpError::Timeout(e) | HttpError::Tls(e)) => Answered::Failed(redact::redact(e)),
        Err(HttpError::Deadline) => Answered::Deadline,
        Err(HttpError::Refusing(side)) => Answered::Refusing(*side),
        Err(HttpError::TooLarge) => Answered::TooLarge,
    };
    Box::new(Exchange { method, url, answer })
}

/// `exchange` in words (hints.rs), for request traces and refusals kept as text.
pub fn describe(method: &'static str, url: &str, outcome: &Result<Response, HttpError>) -> String {
    exchange(method, url, outcome).to_string()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Time as the run sees it. Sleeping through this clock can be scaled down (a hidden developer
/// knob for tests and the demo) while the clock itself still advances by the full wait, so
/// pacing, backoff and deadlines behave exactly as in production, only faster.
pub struct Clock {
    start: Instant,
    scale: f64,
    skipped: Mutex<Duration>,
}

impl Clock {
    pub fn new(scale: f64) -> Clock {
        Clock { start: Instant::now(), scale, skipped: Mutex::new(Duration::ZERO) }
    }
    pub fn now(&self) -> Duration {
        self.start.elapsed() + *self.skipped.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn sleep(&self, d: Duration) {
        let real = d.mul_f64(self.scale.min(1.0));
        std::thread::sleep(real);
        *self.skipped.lock().unwrap_or_else(|e| e.into_inner()) += d - real;
    }
}

/// Sliding-window pacing: at most `limit` requests in any `window`.
struct Pacer {
    limit: usize,
    window: Duration,
    sent: VecDeque<Duration>,
}

impl Pacer {
    /// How long to wait before the next request may go, given the clock's `now`.
    fn wait_needed(&mut self, now: Duration) -> Duration {
        while self.sent.front().is_some_and(|t| now.saturating_sub(*t) >= self.window) {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            return Duration::ZERO;
        }
        (self.sent[self.sent.len() - self.limit] + self.window).saturating_sub(now)
    }
}

#[derive(Default, Clone, Debug)]
pub struct Stats {
    /// (side, endpoint) -> number of requests sent, retries included.
    pub requests: BTreeMap<(Side, &'static str), u64>,
    pub retries: u64,
    /// Time spent waiting on rate limits, backoff and pacing.
    pub waited: Duration,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub timeout: Duration,
    pub deadline: Option<Duration>,
    pub halo_rate: (u32, Duration),
    pub proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub ca_file: Option<std::path::PathBuf>,
    pub time_scale: f64,
}

/// Agents that share TLS roots: one direct, one through the proxy (when there is one).
struct Agents {
    direct: ureq::Agent,
    proxied: Option<ureq::Agent>,
}

pub struct Http {
    /// Trusting the operating system's store (ureq's platform verifier).
    os_roots: Agents,
    /// With --ca-file: trusting that file, for a host whose certificate the OS store did not
    /// accept (a TLS-inspecting firewall whose CA is not deployed to this device).
    file_roots: Option<Agents>,
    file_root_hosts: Mutex<std::collections::HashSet<String>>,
    /// NO_PROXY entries, as `no_proxy_entries` makes them.
    no_proxy: Vec<String>,
    pub clock: Clock,
    deadline: Option<Duration>,
    /// Per side (NinjaOne, Halo): the proactive pacing configured for it, if any (Halo's
    /// fair-use limit, --halo-rate; NinjaOne none).
    pacers: [Option<Mutex<Pacer>>; 2],
    stats: Mutex<Stats>,
    rng: Mutex<u64>,
    /// Per side (NinjaOne, Halo): since when every request has been refused, while it has.
    refused_since: Mutex<[Option<Duration>; 2]>,
    /// Per side: how many answers were not refusals (the side is making progress).
    answered: [std::sync::atomic::AtomicU64; 2],
    /// Who hears the events (nobody until `listen`).
    listener: Listener,
}

/// How many times a request is retried, by what went wrong. 429 gets the most: a hosted Halo
/// tenant counts a rolling 5-minute window, and backoff capped at 60 s needs about ten waits
/// to outlast it.
const RETRIES_RATE_LIMITED: u32 = 12;
const RETRIES_SERVER_ERROR: u32 = 5;
const RETRIES_TRANSPORT: u32 = 4;
const BACKOFF_FIRST: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The longest Retry-After honoured: one window of Halo's rolling 5-minute rate limit.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(300);
/// A side that has refused every request this long (each retried with its waits) is not asked
/// again: with the waits and the --timeout of the last request, the run ends within 15 minutes
/// of the first refusal. A slow run that is making progress is never cut short by this: one
/// answer that is not a refusal starts the count again.
pub const REFUSAL_LIMIT: Duration = Duration::from_secs(600);

impl Http {
    pub fn new(opts: &Options) -> Result<Http, ApiError> {
        let proxy = match &opts.proxy {
            None => None,
            Some(p) => {
                let p = if p.contains("://") { p.clone() } else { format!("http://{p}") };
                Some(ureq::Proxy::new(&p).map_err(|e| ApiError::Proxy {
                    proxy: redact::redact(&crate::util::proxy_for_display(&p)),
                    why: redact::redact(&e.to_string()),
                })?)
            }
        };
        let agents = |tls: ureq::tls::TlsConfig| -> Agents {
            let build = |proxy: Option<ureq::Proxy>| -> ureq::Agent {
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(opts.timeout))
                    .max_redirects(0)
                    .user_agent(concat!("ninja-halo-sync/", env!("CARGO_PKG_VERSION")))
                    .tls_config(tls.clone())
                    .proxy(proxy)
                    .build()
                    .into()
            };
            Agents { direct: build(None), proxied: proxy.clone().map(|p| build(Some(p))) }
        };
        let os_roots =
            agents(ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build());
        let file_roots = match &opts.ca_file {
            Some(path) => Some(agents(ca_file_tls(path)?)),
            None => None,
        };
        let no_proxy = no_proxy_entries(opts.no_proxy.as_deref().unwrap_or(""));
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7)
            ^ u64::from(std::process::id()).rotate_left(32);
        Ok(Http {
            os_roots,
            file_roots,
            file_root_hosts: Mutex::new(std::collections::HashSet::new()),
            no_proxy,
            clock: Clock::new(opts.time_scale),
            deadline: opts.deadline,
            pacers: [
                None,
                Some(Mutex::new(Pacer {
                    limit: opts.halo_rate.0 as usize,
                    window: opts.halo_rate.1,
                    sent: VecDeque::new(),
                })),
            ],
            stats: Mutex::new(Stats::default()),
            rng: Mutex::new(seed | 1),
            refused_since: Mutex::new([None, None]),
            answered: Default::default(),
            listener: Box::new(|_| {}),
        })
    }

    /// Sends the events of this client to `listener` (the orchestrator shows them).
    pub fn listen(&mut self, listener: Listener) {
        self.listener = listener;
    }

    /// Tells the listener.
    pub fn notify(&self, event: Event) {
        (self.listener)(&event);
    }

    /// Tells the listener where a long phase is.
    pub fn progress(&self, side: Side, what: Phase, done: usize, total: Option<u64>) {
        self.notify(Event::Progress { side, what, done, total });
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn deadline_passed(&self) -> bool {
        self.deadline.is_some_and(|d| self.clock.now() >= d)
    }

    /// The agent for a URL: the CA file's roots for a host the OS store refused, and the
    /// proxy unless NO_PROXY names the host. A loopback host is never proxied, and neither is a
    /// plain-http request (only loopback hosts are allowed plain http: a proxy would read the
    /// client secret in the clear).
    fn agent_for(&self, url: &str) -> &ureq::Agent {
        let host = crate::util::url_host(url).unwrap_or("").to_ascii_lowercase();
        let agents = match &self.file_roots {
            Some(a) if self.file_root_hosts.lock().unwrap_or_else(|e| e.into_inner()).contains(&host) => a,
            _ => &self.os_roots,
        };
        let plain = url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        let direct = plain || crate::util::is_loopback_host(&host) || bypasses_proxy(&self.no_proxy, &host);
        match &agents.proxied {
            Some(p) if !direct => p,
            _ => &agents.direct,
        }
    }

    fn wait(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        if d >= Duration::from_secs(1) {
            self.notify(Event::Waiting(d));
        }
        self.clock.sleep(d);
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).waited += d;
    }

    /// How long `side` has refused every request (zero while it answers).
    fn refusing_for(&self, side: Side) -> Duration {
        let since = self.refused_since.lock().unwrap_or_else(|e| e.into_inner())[side as usize];
        since.map_or(Duration::ZERO, |t| self.clock.now().saturating_sub(t))
    }

    /// Records a refusal of a request sent at `sent_at` (keeping the first of a streak), or, with
    /// None, an answer that ends the streak.
    fn note_refusal(&self, side: Side, sent_at: Option<Duration>) {
        let mut since = self.refused_since.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut since[side as usize];
        match sent_at {
            Some(t) => *slot = Some(slot.map_or(t, |s| s.min(t))),
            None => *slot = None,
        }
    }

    /// Exponential backoff with +-20% jitter: 2, 4, 8, ... capped at 60 seconds.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = BACKOFF_FIRST.saturating_mul(1u32 << attempt.min(10)).min(BACKOFF_MAX);
        let mut x = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        let jitter = 0.8 + (*x % 4001) as f64 / 10_000.0;
        base.mul_f64(jitter)
    }

    /// Sends a request, retrying what is worth retrying. Any HTTP answer that is final
    /// (including 4xx) comes back as Ok; the caller judges the status.
    pub fn send(&self, req: &Request) -> Result<Response, HttpError> {
        self.send_with(req, &|body, _| read_text(body))
    }

    /// `send`, decoding a successful answer's body while it arrives (`Streamed`).
    pub fn send_decoded<T>(&self, req: &Request, decode: Decode<T>) -> Result<Answer<Streamed<T>>, HttpError> {
        self.send_with(req, &|body, status| {
            if !(200..300).contains(&status) {
                return read_text(body).map(Streamed::Text);
            }
            let limited = body.with_config().limit(MAX_BODY).reader();
            let mut reader = Head { inner: std::io::BufReader::with_capacity(64 * 1024, limited), head: Vec::new() };
            match decode(&mut reader) {
                Ok(v) => Ok(Streamed::Decoded(v)),
                // The connection failed, or the answer was too large: as for a text body.
                Err(e) if e.is_io() => Err(body_error(ureq::Error::from(std::io::Error::from(e)))),
                Err(e) => {
                    let why = match e.classify() {
                        serde_json::error::Category::Data => format!("not what was expected: {e}"),
                        _ => format!("not JSON: {e}"),
                    };
                    Ok(Streamed::Undecodable { head: String::from_utf8_lossy(&reader.head).into_owned(), why })
                }
            }
        })
    }

    fn send_with<B: Shown>(
        &self,
        req: &Request,
        read: &dyn Fn(&mut ureq::Body, u16) -> Result<B, HttpError>,
    ) -> Result<Answer<B>, HttpError> {
        use std::sync::atomic::Ordering;
        let mut attempt = 0u32;
        // Refusals of this request since its side last made progress: a request that keeps
        // losing the race for a rate limit's slots while other requests get through is not
        // given up (the side is working; the refusal limit and --deadline bound the rest).
        let mut tries = 0u32;
        let mut progress = self.answered[req.side as usize].load(Ordering::Relaxed);
        loop {
            if self.deadline_passed() {
                return Err(HttpError::Deadline);
            }
            if self.refusing_for(req.side) >= REFUSAL_LIMIT {
                return Err(HttpError::Refusing(req.side));
            }
            if let Some(pacer) = &self.pacers[req.side as usize] {
                let pause = pacer.lock().unwrap_or_else(|e| e.into_inner()).wait_needed(self.clock.now());
                if !pause.is_zero() {
                    self.notify(Event::Trace(format!(
                        "pacing: waiting {:.1}s to stay inside the {} rate limit",
                        pause.as_secs_f64(),
                        req.side.name()
                    )));
                    self.wait(pause);
                }
                pacer.lock().unwrap_or_else(|e| e.into_inner()).sent.push_back(self.clock.now());
            }
            self.notify(Event::Trace(redact::redact(&format!("{} {}", req.method, req.url))));
            {
                let mut st = self.stats.lock().unwrap_or_else(|e| e.into_inner());
                *st.requests.entry((req.side, req.endpoint)).or_default() += 1;
                if attempt > 0 {
                    st.retries += 1;
                }
            }
            let sent_at = self.clock.now();
            let outcome = self.once(req, read);
            // What is worth asking again is what counts as a refusal of the side; any other
            // answer ends a streak of refusals.
            let retry = match &outcome {
                Ok(r) if r.status == 429 => Some((
                    RETRIES_RATE_LIMITED,
                    r.retry_after().unwrap_or_else(|| self.backoff(attempt)),
                    "rate limited (429)".to_string(),
                )),
                Ok(r) if matches!(r.status, 500 | 502 | 503 | 504) => Some((
                    RETRIES_SERVER_ERROR,
                    r.retry_after().unwrap_or_else(|| self.backoff(attempt)),
                    format!("server error {}", r.status),
                )),
                Ok(_) => None,
                Err(HttpError::Transport(e) | HttpError::Timeout(e)) => {
                    Some((RETRIES_TRANSPORT, self.backoff(attempt), clip(e, 120)))
                }
                // A certificate problem does not go away by asking again.
                Err(_) => None,
            };
            match (&retry, &outcome) {
                (Some(_), _) => self.note_refusal(req.side, Some(sent_at)),
                (None, Ok(_)) => {
                    self.answered[req.side as usize].fetch_add(1, Ordering::Relaxed);
                    self.note_refusal(req.side, None);
                }
                (None, Err(_)) => {}
            }
            let Some((retries, wait, why)) = retry else { return outcome };
            let now_answered = self.answered[req.side as usize].load(Ordering::Relaxed);
            if matches!(&outcome, Ok(r) if r.status == 429) && now_answered != progress {
                progress = now_answered;
                tries = 0;
            }
            if tries >= retries {
                return outcome;
            }
            tries += 1;
            if let Some(deadline) = self.deadline {
                if self.clock.now() + wait >= deadline {
                    return Err(HttpError::Deadline);
                }
            }
            if self.refusing_for(req.side) + wait >= REFUSAL_LIMIT {
                return Err(HttpError::Refusing(req.side));
            }
            attempt += 1;
            self.notify(Event::Retry {
                side: req.side,
                endpoint: req.endpoint,
                why,
                attempt: tries,
                of: retries,
                wait,
            });
            if let Ok(r) = &outcome {
                let text = Response {
                    status: r.status,
                    body: r.body.text().to_string(),
                    content_type: r.content_type.clone(),
                    retry_after: None,
                };
                self.notify(Event::Trace(describe(req.method, &req.url, &Ok(text))));
            }
            self.wait(wait);
        }
    }

    /// One exchange through the agent for this URL.
    fn exchange(&self, req: &Request) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let mut b =
            ureq::http::Request::builder().method(req.method).uri(&req.url).header("Accept", "application/json");
        for (k, v) in &req.headers {
            b = b.header(*k, v);
        }
        let agent = self.agent_for(&req.url);
        match &req.body {
            Some((ct, body)) => agent.run(b.header("Content-Type", *ct).body(body.as_bytes())?),
            None => agent.run(b.body(())?),
        }
    }

    fn once<B>(
        &self,
        req: &Request,
        read: &dyn Fn(&mut ureq::Body, u16) -> Result<B, HttpError>,
    ) -> Result<Answer<B>, HttpError> {
        let result = match self.exchange(req) {
            // The OS store refused the certificate: with --ca-file, try that file's roots for
            // this host (once; the host then stays with them).
            Err(e) if self.file_roots.is_some() && is_certificate_error(&e) => {
                let host = crate::util::url_host(&req.url).unwrap_or("").to_ascii_lowercase();
                if self.file_root_hosts.lock().unwrap_or_else(|e| e.into_inner()).insert(host.clone()) {
                    self.notify(Event::Trace(format!(
                        "{host}: the OS store does not trust its certificate; trying --ca-file"
                    )));
                    self.exchange(req)
                } else {
                    Err(e)
                }
            }
            other => other,
        };
        let mut resp = result.map_err(|e| http_error(&e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        let body = read(resp.body_mut(), status)?;
        let retry_after = (!retry_after.is_empty()).then_some(retry_after);
        Ok(Answer { status, body, content_type, retry_after })
    }
}

/// A body as text, at most `MAX_BODY`.
fn read_text(body: &mut ureq::Body) -> Result<String, HttpError> {
    body.with_config().limit(MAX_BODY).read_to_string().map_err(body_error)
}

/// What failed while a body was read.
fn body_error(e: ureq::Error) -> HttpError {
    match e {
        ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge,
        e => match http_error(&e) {
            HttpError::Transport(m) => HttpError::Transport(format!("reading the response body: {m}")),
            other => other,
        },
    }
}

/// The text of a body, for a message about its answer.
pub trait Shown {
    fn text(&self) -> &str;
}

impl Shown for String {
    fn text(&self) -> &str {
        self
    }
}

impl<T> Shown for Streamed<T> {
    fn text(&self) -> &str {
        match self {
            Streamed::Text(t) | Streamed::Undecodable { head: t, .. } => t,
            Streamed::Decoded(_) => "",
        }
    }
}

impl<B> Answer<B> {
    /// The Retry-After header (seconds or an HTTP date), capped at 10 minutes.
    pub fn retry_after(&self) -> Option<Duration> {
        let raw = self.retry_after.as_deref()?.trim();
        let d = if let Ok(secs) = raw.parse::<f64>() {
            // Clamped before converting: a huge value would panic (found by fuzzing).
            (secs.is_finite() && secs >= 0.0)
                .then(|| Duration::from_secs_f64(secs.min(RETRY_AFTER_MAX.as_secs_f64())))?
        } else {
            // In whole seconds since the epoch, never as a SystemTime: a date far in the future
            // does not fit one on Windows, and adding to it would panic.
            let at = parse_http_date(raw)?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
            Duration::from_secs(at.saturating_sub(now).clamp(0, RETRY_AFTER_MAX.as_secs() as i64) as u64)
        };
        Some(d.min(RETRY_AFTER_MAX))
    }
}

/// What went wrong with an exchange, by kind: decisions (retry, --ca-file) match on the kind.
fn http_error(e: &ureq::Error) -> HttpError {
    let message = transport_message(e);
    if is_certificate_error(e) {
        HttpError::Tls(message)
    } else if matches!(e, ureq::Error::Timeout(_)) {
        HttpError::Timeout(message)
    } else {
        HttpError::Transport(message)
    }
}

fn transport_message(e: &ureq::Error) -> String {
    use ureq::Error as E;
    if is_certificate_error(e) {
        return format!("TLS error: {e} (a TLS-inspecting firewall needs its CA in the OS store or --ca-file)");
    }
    match e {
        E::Timeout(_) => "timed out (see --timeout)".to_string(),
        E::HostNotFound => "host not found (check the URL and DNS)".to_string(),
        E::ConnectionFailed => "connection failed (check the URL, firewall and --proxy)".to_string(),
        E::Io(io) => format!("connection error: {io}"),
        E::Tls(t) => format!("TLS error: {t} (a TLS-inspecting firewall needs its CA in the OS store or --ca-file)"),
        E::Rustls(t) => format!("TLS error: {t} (a TLS-inspecting firewall needs its CA in the OS store or --ca-file)"),
        other => other.to_string(),
    }
}

/// NO_PROXY's comma-separated entries, lower case, with a leading `*.` or `.` removed
/// (`.example.com` and `*.example.com` both mean the domain and its hosts); a lone `*` means
/// every host and is kept as it is.
fn no_proxy_entries(no_proxy: &str) -> Vec<String> {
    no_proxy
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .map(|e| if e == "*" { e } else { e.trim_start_matches('*').trim_start_matches('.').to_string() })
        .filter(|e| !e.is_empty())
        .collect()
}

/// Whether NO_PROXY exempts `host` (lower case): `*`, the host itself, or a domain it is in.
fn bypasses_proxy(entries: &[String], host: &str) -> bool {
    entries
        .iter()
        .any(|e| e == "*" || host == e || host.strip_suffix(e.as_str()).is_some_and(|rest| rest.ends_with('.')))
}

/// A TLS failure (ureq reports rustls' certificate errors as I/O errors). Never retried: it
/// will not go away by itself.
fn is_certificate_error(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Rustls(_) | ureq::Error::Tls(_))
        || e.to_string().to_ascii_lowercase().contains("certificate")
}

/// TLS trusting only the certificates in a PEM file (--ca-file).
fn ca_file_tls(path: &std::path::Path) -> Result<ureq::tls::TlsConfig, ApiError> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let pem = crate::files::read_limited(path, crate::files::MAX_CA_FILE)
        .map_err(|e| ApiError::CaFile { path: path.display().to_string(), why: Some(e.to_string()) })?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(ApiError::CaFile { path: path.display().to_string(), why: None });
    }
    Ok(TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs)).build())
}

/// Parses an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`, as seconds since the epoch.
fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 6 {
        return None;
    }
    let day: i64 = parts[1].parse().ok()?;
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let month = MONTHS.iter().position(|m| parts[2].eq_ignore_ascii_case(m))? as i64 + 1;
    let year: i64 = parts[3].parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let hms: Vec<i64> = parts[4].split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if hms.len() != 3 {
        return None;
    }
    // days_from_civil (Howard Hinnant)
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    (secs >= 0).then_some(secs)
}

/// A token from the client-credentials grant: the token, the clock time to renew it, and the
/// scopes it grants where the answer says (its `scope`, else the token's own `scope` claim when
/// it is a JWT).
pub struct Granted {
    pub token: String,
    pub renew_at: Duration,
    pub scopes: Option<Vec<String>>,
}

/// The scopes a token answer grants: `scope` (space-separated, or a list), else the `scope`
/// claim of the access token when it is a JWT; None where neither says.
pub fn granted_scopes(answer: &serde_json::Value, token: &str) -> Option<Vec<String>> {
    let list = |v: &serde_json::Value| -> Option<Vec<String>> {
        match v {
            serde_json::Value::String(s) => Some(s.split_whitespace().map(str::to_string).collect()),
            serde_json::Value::Array(a) => Some(a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
            _ => None,
        }
    };
    if let Some(scopes) = answer.get("scope").and_then(list) {
        return Some(scopes);
    }
    let payload = token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&crate::util::base64url_decode(payload)?).ok()?;
    claims.get("scope").and_then(list)
}

/// Reads an OAuth token response: the token, and the clock time to renew it (a minute before
/// it expires, or at half-life for short-lived tokens). The token is registered for
/// redaction at once.
pub fn parse_token(http: &Http, r: &Response) -> Option<Granted> {
    let v = r.json()?;
    let token = v.get("access_token")?.as_str()?.to_string();
    // No real access token comes near this; a longer one is a broken or hostile server's, not
    // used (so not a secret of this run's either).
    if token.chars().count() > MAX_TOKEN {
        return None;
    }
    redact::add_secret(&token);
    // Any server value is held to [1 s, 1 day]: a huge one would panic when converted.
    let ttl = v
        .get("expires_in")
        .and_then(serde_json::Value::as_f64)
        .filter(|s| *s > 0.0)
        .unwrap_or(3600.0)
        .clamp(1.0, 86_400.0);
    let ttl = Duration::from_secs_f64(ttl);
    let margin = Duration::from_secs(60).min(ttl / 2);
    let scopes = granted_scopes(&v, &token);
    Some(Granted { token, renew_at: http.clock.now() + ttl - margin, scopes })
}

/// Why a successful (2xx) answer of a token endpoint gave no usable token: none in it, or one
/// of `chars` characters, longer than any real token (its body is then not shown: a made-up
/// token is not worth a screenful).
pub fn no_token(outcome: &Result<Response, HttpError>) -> TokenRefusal {
    let chars = match outcome {
        Ok(r) => r.json().and_then(|v| Some(v.get("access_token")?.as_str()?.chars().count())),
        Err(_) => None,
    };
    TokenRefusal::NoToken { chars: chars.filter(|n| *n > MAX_TOKEN) }
}

/// A bearer token and when to renew it. The lock is held while a new one is fetched, so
/// concurrent requests wait for one new token instead of each asking for their own.
#[derive(Default)]
pub struct TokenCache(Mutex<Option<(String, Duration)>>);

impl TokenCache {
    /// The cached token, or a new one from `fetch` when there is none, it is due, or `renew`.
    pub fn get(
        &self,
        http: &Http,
        renew: bool,
        fetch: impl FnOnce() -> Result<(String, Duration), ApiError>,
    ) -> Result<String, ApiError> {
        let mut cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((t, until)) = cached.as_ref() {
            if !renew && http.clock.now() < *until {
                return Ok(t.clone());
            }
        }
        let (t, until) = fetch()?;
        *cached = Some((t.clone(), until));
        Ok(t)
    }
}

/// Supplies bearer tokens for one API; `renew` forces a new one (after a 401).
pub trait TokenSource: Sync {
    fn token(&self, http: &Http, renew: bool) -> Result<String, ApiError>;
}

impl Http {
    /// An authenticated GET of `url`: the URL (for messages) and what came back.
    pub fn get_authed(
        &self,
        auth: &dyn TokenSource,
        side: Side,
        endpoint: &'static str,
        url: String,
    ) -> Result<(String, Result<Response, HttpError>), ApiError> {
        let outcome = self.send_authed(auth, Request::get(side, endpoint, url.clone()))?;
        Ok((url, outcome))
    }

    /// The OAuth client-credentials grant both APIs use: the token, when to renew it and what
    /// it grants, or the failed exchange, for the API to explain in its own terms.
    pub fn client_credentials(
        &self,
        side: Side,
        endpoint: &'static str,
        url: &str,
        (id, secret, scope): (&str, &str, &str),
    ) -> Result<Granted, Result<Response, HttpError>> {
        let body = crate::util::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", scope),
        ]);
        let req = Request::post(side, endpoint, url.to_string(), "application/x-www-form-urlencoded", body);
        let outcome = self.send(&req);
        match &outcome {
            Ok(r) if r.ok() => parse_token(self, r).ok_or(outcome),
            _ => Err(outcome),
        }
    }

    /// `get_authed`, decoding a successful answer while it arrives (`send_decoded`).
    pub fn get_decoded<T>(
        &self,
        auth: &dyn TokenSource,
        side: Side,
        endpoint: &'static str,
        url: String,
        decode: Decode<T>,
    ) -> Result<(String, DecodedOutcome<T>), ApiError> {
        let mut req = Request::get(side, endpoint, url.clone());
        req.headers.push(("Authorization", format!("Bearer {}", auth.token(self, false)?)));
        let first = self.send_decoded(&req, decode);
        if !matches!(&first, Ok(r) if r.status == 401) {
            return Ok((url, first));
        }
        self.notify(Event::TokenRenewed { side: req.side, endpoint: req.endpoint });
        req.headers.retain(|(k, _)| *k != "Authorization");
        req.headers.push(("Authorization", format!("Bearer {}", auth.token(self, true)?)));
        Ok((url, self.send_decoded(&req, decode)))
    }

    /// Sends with `Authorization: Bearer`, renewing the token once and retrying when the
    /// server answers 401 (a token that expired mid-run).
    pub fn send_authed(
        &self,
        auth: &dyn TokenSource,
        mut req: Request,
    ) -> Result<Result<Response, HttpError>, ApiError> {
        let token = auth.token(self, false)?;
        req.headers.push(("Authorization", format!("Bearer {token}")));
        let first = self.send(&req);
        if !matches!(&first, Ok(r) if r.status == 401) {
            return Ok(first);
        }
        self.notify(Event::TokenRenewed { side: req.side, endpoint: req.endpoint });
        let token = auth.token(self, true)?;
        req.headers.retain(|(k, _)| *k != "Authorization");
        req.headers.push(("Authorization", format!("Bearer {token}")));
        Ok(self.send(&req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_keeps_inside_window() {
        let mut p = Pacer { limit: 2, window: Duration::from_secs(10), sent: VecDeque::new() };
        assert_eq!(p.wait_needed(Duration::from_secs(0)), Duration::ZERO);
        p.sent.push_back(Duration::from_secs(0));
        p.sent.push_back(Duration::from_secs(1));
        assert_eq!(p.wait_needed(Duration::from_secs(2)), Duration::from_secs(8));
        assert_eq!(p.wait_needed(Duration::from_secs(10)), Duration::ZERO);
    }

    #[test]
    fn no_proxy_entries_and_matching() {
        let e = no_proxy_entries(" localhost, *.Example.com ,.corp.local,, 10.0.0.1 ");
        assert_eq!(e, vec!["localhost", "example.com", "corp.local", "10.0.0.1"]);
        assert!(bypasses_proxy(&e, "localhost"));
        assert!(bypasses_proxy(&e, "api.example.com") && bypasses_proxy(&e, "example.com"));
        assert!(!bypasses_proxy(&e, "notexample.com"));
        assert!(bypasses_proxy(&e, "a.b.corp.local"));
        assert!(!bypasses_proxy(&e, "psa.example.org"));
        let all = no_proxy_entries("*");
        assert_eq!(all, vec!["*"], "a lone * means every host");
        assert!(bypasses_proxy(&all, "anything.example"));
        assert!(no_proxy_entries("").is_empty());
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert!(parse_http_date("soon").is_none());
        // Far in the future: capped, never a SystemTime overflow (a panic on Windows).
        assert!(parse_http_date("Fri, 31 Dec 99999 23:59:59 GMT").is_none());
        let r = Response {
            status: 429,
            body: String::new(),
            content_type: String::new(),
            retry_after: Some("Fri, 31 Dec 9999 23:59:59 GMT".into()),
        };
        assert_eq!(r.retry_after(), Some(RETRY_AFTER_MAX));
    }

    #[test]
    fn retry_after_forms() {
        let r = |h: &str| Response {
            status: 429,
            body: String::new(),
            content_type: String::new(),
            retry_after: Some(h.to_string()),
        };
        assert_eq!(r("7").retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(r("99999").retry_after(), Some(RETRY_AFTER_MAX));
        assert_eq!(r("52222223522222235222222352222223").retry_after(), Some(RETRY_AFTER_MAX));
        assert_eq!(r("1e400").retry_after(), None);
        assert_eq!(r("Sun, 06 Nov 1994 08:49:37 GMT").retry_after(), Some(Duration::ZERO));
        let none = Response { status: 429, body: String::new(), content_type: String::new(), retry_after: None };
        assert_eq!(none.retry_after(), None);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let http = Http::new(&Options {
            timeout: Duration::from_secs(1),
            deadline: None,
            halo_rate: (1, Duration::from_secs(1)),
            proxy: None,
            no_proxy: None,
            ca_file: None,
            time_scale: 0.0,
        })
        .unwrap();
        let b0 = http.backoff(0);
        assert!(b0 >= Duration::from_millis(1600) && b0 <= Duration::from_millis(2400), "{b0:?}");
        assert!(http.backoff(9) <= Duration::from_secs(72));
        let total: Duration = (0..RETRIES_RATE_LIMITED).map(|a| http.backoff(a)).sum();
        assert!(total > Duration::from_secs(300), "12 retries must outlast a 5-minute window: {total:?}");
    }
}
