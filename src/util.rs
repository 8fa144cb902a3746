//! Small helpers shared by the modules: time stamps, lenient JSON ids, URL handling.
//! No network, no state.

use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// RFC 3339 UTC time stamp with second precision, e.g. `2026-11-22T07:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Howard Hinnant's days-to-civil: Unix day number to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// An id as the APIs send it: `21`, `21.0` or `"21"` (Halo serialises some ids as decimals
/// or strings). Anything else, fractional values and non-positive sentinels such as `-1`, is None.
pub fn lenient_id(v: &Value) -> Option<i64> {
    let id = match v {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
        }
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
        }
        _ => None,
    }?;
    (id > 0).then_some(id)
}

/// A boolean as the APIs send it: `true`, `1`, `"true"`, `"1"`.
pub fn lenient_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        _ => false,
    }
}

/// A custom field value as text: strings as they are, numbers and booleans printed, empty,
/// null, arrays and objects with nothing in them as None.
pub fn value_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) if a.is_empty() => return None,
        Value::Object(o) if o.is_empty() => return None,
        other => other.to_string(),
    };
    (!s.is_empty()).then_some(s)
}

/// Percent-encodes a query or form component (RFC 3986 unreserved characters pass).
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes base64url (RFC 4648 section 5, padding optional), as JWTs carry their claims.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `application/x-www-form-urlencoded` body from pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&")
}

/// The host of an `http(s)://host[:port]/...` URL, without brackets for IPv6.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split_once(']').map(|(h, _)| h);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

/// The host of a URL as one server is named whatever the spelling: lower case, without a
/// trailing dot, and its port when one is given that is not the scheme's default
/// (`HTTPS://PSA.example.com.:443/x` and `https://psa.example.com` are one server).
pub fn host_port(url: &str) -> Option<(String, Option<u16>)> {
    let (scheme, rest) = url.split_once("://")?;
    let host = url_host(url)?.trim_end_matches('.').to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = authority.rsplit_once(']').map_or(authority, |(_, p)| p);
    let port = after_host.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    Some((host, port.filter(|p| Some(*p) != default)))
}

pub fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host == "::1" {
        return true;
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Why a URL cannot be used as a base URL (rendered in hints.rs; the part before an `@` is never
/// kept).
#[derive(Debug, Clone, PartialEq)]
pub enum UrlError {
    Credentials { host: String },
    Backslash(String),
    WhiteSpace(String),
    PlainHttp(String),
    NotAUrl(String),
}

/// Checks that a configured base URL is usable: `https://`, or `http://` on a loopback host
/// only (tests and the demo). Returns it without a trailing slash. A URL that carries
/// `user:password@` is refused, and the message never repeats what came before the `@`.
pub fn checked_base_url(url: &str) -> Result<String, UrlError> {
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let authority = url.split_once("://").map_or("", |(_, r)| r).split(['/', '?', '#']).next().unwrap_or("");
    if let Some((_, host)) = authority.rsplit_once('@') {
        return Err(UrlError::Credentials { host: host.to_string() });
    }
    if url.contains('\\') {
        return Err(UrlError::Backslash(url.to_string()));
    }
    if url.chars().any(char::is_whitespace) || url.chars().any(char::is_control) {
        return Err(UrlError::WhiteSpace(url.to_string()));
    }
    let host = url_host(url).filter(|h| !h.is_empty());
    if lower.starts_with("https://") && host.is_some() {
        return Ok(url.to_string());
    }
    if lower.starts_with("http://") {
        if host.is_some_and(is_loopback_host) {
            return Ok(url.to_string());
        }
        return Err(UrlError::PlainHttp(url.to_string()));
    }
    Err(UrlError::NotAUrl(url.to_string()))
}

/// The password of a `user:password@host` URL.
pub fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    authority.rsplit_once('@')?.0.split_once(':').map(|(_, p)| p).filter(|p| !p.is_empty())
}

/// A proxy URL as it may be shown: the password (between `:` and `@`) replaced by `***`.
pub fn proxy_for_display(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://").map_or(Some(("", url)), Some) else { return String::new() };
    let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let shown = match authority.rsplit_once('@') {
        Some((creds, host)) => match creds.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{creds}@{host}"),
        },
        None => authority.to_string(),
    };
    if scheme.is_empty() {
        format!("{shown}{path}")
    } else {
        format!("{scheme}://{shown}{path}")
    }
}

/// The fields (name, label) closest to what the user typed, best first, as they are shown in
/// an error: `name (label "Label")`. Closeness is by name, by the name without a `CF` prefix,
/// or by label (people type the label they see in the product).
pub fn closest_fields(wanted: &str, fields: &[(&str, &str)], n: usize) -> Vec<String> {
    let w = wanted.trim().to_lowercase();
    let mut scored: Vec<(f64, usize)> = fields
        .iter()
        .enumerate()
        .map(|(i, (name, label))| {
            let name = name.to_lowercase();
            let by_name = strsim::jaro_winkler(&w, &name);
            let by_bare = strsim::jaro_winkler(&w, name.trim_start_matches("cf"));
            let by_label = strsim::jaro_winkler(&w, &label.to_lowercase());
            (by_name.max(by_bare).max(by_label), i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(n).map(|(_, i)| format!("{} (label \"{}\")", fields[i].0, fields[i].1)).collect()
}

/// The ids paging has seen. An id that comes a second time means the server is not paging as
/// expected (it repeats a page, or ignores the position asked for): the list cannot be trusted,
/// and nothing is decided on it. One guard for every paged list.
#[derive(Default)]
pub struct PageGuard {
    seen: std::collections::HashSet<i64>,
}

/// Why a paged list cannot be trusted (put into words by hints.rs).
#[derive(Debug, Clone, PartialEq)]
pub enum PageError {
    /// A record came twice (`record`: which, "Halo client 5"; `at`: the page or request).
    Repeated { record: String, at: String },
    /// The list goes on past `MAX_RECORDS`.
    Endless,
}

impl PageGuard {
    /// Ok the first time `id` is seen; else which record came twice, and where.
    pub fn first(&mut self, id: i64, record: impl FnOnce() -> String, at: &str) -> Result<(), PageError> {
        if self.seen.insert(id) {
            Ok(())
        } else {
            Err(PageError::Repeated { record: record(), at: at.to_string() })
        }
    }

    /// Whether `id` is new (for lists where a repeat is expected and counted, not an error).
    pub fn is_new(&mut self, id: i64) -> bool {
        self.seen.insert(id)
    }

    pub fn count(&self) -> usize {
        self.seen.len()
    }

    /// Err once the list holds more than `MAX_RECORDS`: a list that never ends (new ids on
    /// every page) would otherwise grow until memory runs out.
    pub fn within_ceiling(&self) -> Result<(), PageError> {
        if self.seen.len() <= MAX_RECORDS {
            return Ok(());
        }
        Err(PageError::Endless)
    }
}

/// The most records read of one list (organizations, clients, field values): tens of thousands,
/// far above any MSP, and a bound on the time and memory a list that never ends can take.
pub const MAX_RECORDS: usize = 50_000;

/// Truncates text for an error message at a character boundary.
pub fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}… ({} bytes in all)", s.len())
}

/// Text as it may be printed on one line: control characters (a name with a newline would
/// break the one-line report; ESC recolours a terminal), the line and paragraph separators
/// (U+2028/2029, a new line to many viewers) and the bidirectional controls that make a
/// terminal show text in another order than it is ("Acme\u{202E}gnp.exe") become spaces;
/// characters that show nothing at all (zero-width spaces and joiners, the BOM, soft hyphens,
/// tag characters) are removed, so that two names that print the same are the same text.
pub fn printable(s: &str) -> String {
    s.chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c })
        .collect()
}

pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Format characters that have no glyph: U+00AD soft hyphen, U+180E, U+200B-U+200D zero-width
/// space/non-joiner/joiner, U+2060-U+2064 word joiner and invisible operators, U+FEFF (BOM),
/// U+FFF9-U+FFFB annotation marks, U+E0000-U+E007F tags.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// A spreadsheet cell that cannot be read as a formula: text starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'`, as spreadsheets themselves mark text
/// (OWASP's advice for CSV injection); so does text that already starts with such marks, so
/// that `from_cell` gives every text back unchanged.
pub fn to_cell(s: &str) -> String {
    if starts_like_formula(s.trim_start_matches('\'')) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The text `to_cell` made a cell of: one leading `'` before a formula character is dropped.
pub fn from_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest.trim_start_matches('\'')) => rest,
        _ => s,
    }
}

fn starts_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Runs `f` over `items` on at most `threads` threads, results in the items' order. The
/// first error stops the work: no further item is started and that error is returned. For
/// the reads that must be made one per entity; `progress` is told how many are done.
pub fn parallel_map<T: Sync, R: Send, E: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<R, E> + Sync,
    progress: impl Fn(usize) + Sync,
) -> Result<Vec<R>, E> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let error: Mutex<Option<E>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()) {
            s.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { return };
                    match f(item) {
                        Ok(r) => results.lock().unwrap_or_else(|e| e.into_inner()).push((i, r)),
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            error.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
                            return;
                        }
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// User + system CPU seconds of this process so far (Linux; None elsewhere).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Peak resident memory of this process in KiB (Linux; None elsewhere).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_lenient() {
        assert_eq!(lenient_id(&json!(21)), Some(21));
        assert_eq!(lenient_id(&json!(21.0)), Some(21));
        assert_eq!(lenient_id(&json!("21")), Some(21));
        assert_eq!(lenient_id(&json!(" 21.0 ")), Some(21));
        assert_eq!(lenient_id(&json!(21.5)), None);
        assert_eq!(lenient_id(&json!(-1)), None);
        assert_eq!(lenient_id(&json!(null)), None);
    }

    #[test]
    fn time_stamps() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_331_696);
        assert_eq!(rfc3339(t), "2026-11-22T07:14:56Z");
    }

    #[test]
    fn parallel_map_keeps_order_and_stops_on_the_first_error() {
        let items: Vec<u32> = (0..100).collect();
        let ok: Result<Vec<u32>, String> = parallel_map(&items, 4, |&i| Ok(i * 2), |_| {});
        assert_eq!(ok.unwrap(), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let started = std::sync::atomic::AtomicUsize::new(0);
        let err: Result<Vec<u32>, String> = parallel_map(
            &items,
            4,
            |&i| {
                started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i == 3 {
                    Err(format!("item {i}"))
                } else {
                    Ok(i)
                }
            },
            |_| {},
        );
        assert_eq!(err.unwrap_err(), "item 3");
        assert!(started.load(std::sync::atomic::Ordering::SeqCst) < 100, "stopped early");
    }

    #[test]
    fn urls() {
        assert_eq!(url_host("https://a.b:8443/x?y"), Some("a.b"));
        assert_eq!(url_host("http://[::1]:80/"), Some("::1"));
        assert_eq!(host_port("HTTPS://PSA.Example.com.:443/x"), Some(("psa.example.com".into(), None)));
        assert_eq!(host_port("http://LOCALHOST:8080"), Some(("localhost".into(), Some(8080))));
        assert_eq!(host_port("http://[::1]:9/"), Some(("::1".into(), Some(9))));
        assert!(checked_base_url("http://127.0.0.1:9/").is_ok());
        assert!(checked_base_url("http://example.com").is_err());
        assert!(checked_base_url("ftp://example.com").is_err());
        assert!(checked_base_url("https://").is_err());
        assert_eq!(pct("a b&c"), "a%20b%26c");
        assert_eq!(base64url_decode("eyJzY29wZSI6ImFsbCJ9").unwrap(), br#"{"scope":"all"}"#);
        assert_eq!(base64url_decode("YWI_-w").unwrap(), [0x61, 0x62, 0x3f, 0xfb]);
        assert!(base64url_decode("a.b").is_none());
        let url_error = |u| crate::hints::url_problem("--halo-url", &checked_base_url(u).unwrap_err());
        let e = url_error("https://admin:hunter22@psa.example.com");
        assert!(e.contains("carries credentials") && !e.contains("hunter22") && !e.contains("admin"), "{e}");
        assert!(url_error("https://psa.example.com\\api").contains("backslash"));
        assert_eq!(proxy_for_display("http://u:pw@proxy:3128/"), "http://u:***@proxy:3128/");
        assert_eq!(proxy_for_display("proxy:3128"), "proxy:3128");
        assert_eq!(url_password("http://u:pw@proxy:3128"), Some("pw"));
        assert_eq!(printable("Acme\u{202E}gnp.exe\n"), "Acme gnp.exe ");
        assert_eq!(printable("\u{feff}A\u{200b}c\u{200d}me\u{2028}OK\u{2029}\u{1b}[2J"), "Acme OK  [2J");
        for name in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "Acme", "'t Hoekje", "'=already"] {
            assert_eq!(from_cell(&to_cell(name)), name, "{name}");
            assert!(!to_cell(name).starts_with(['=', '+', '-', '@', '\t']), "{name}");
        }
    }
}
