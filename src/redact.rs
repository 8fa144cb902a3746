//! The secret redactor: every text the run shows passes through it (the run's one `Redactor`
//! is here: `add_secret`, `redact`, `shown`; output.rs and the network layer's error texts use
//! it). Iterative and bounded: no recursion per character, and the caller bounds what it
//! redacts (`shown`).
//!
//! What it catches, however the text spells the secret:
//! - any run of `RUN` (8) or more consecutive characters of a secret, wherever it starts in the
//!   secret (its end alone, its middle), and a secret shorter than that whole;
//! - in any case of letters (an error that lower-cases what it echoes);
//! - with characters that show nothing (zero-width space, soft hyphen, BOM, tag characters),
//!   control characters (NUL, line breaks) or bidirectional controls between its characters,
//!   and an HTML tag inside it (`Halo<b>Secret</b>`);
//! - written as itself, percent-encoded (either hex case; `+` for a space), JSON-escaped
//!   (`\"`, `\/`, `\uXXXX` in either case, surrogate pairs), or as HTML entities (`&amp;`,
//!   `&#43;`, `&#x2B;`); each text is read twice, as written and decoded.

/// The run's secrets: every text shown passes through them.
fn registry() -> std::sync::MutexGuard<'static, Redactor> {
    static REGISTRY: std::sync::OnceLock<std::sync::Mutex<Redactor>> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a value that must never be shown (client secrets, tokens, the agent password).
pub fn add_secret(secret: &str) {
    registry().add(secret);
}

/// The text with every registered secret replaced by `***`, however the text spells it. For
/// texts of any length the caller does not bound, `shown` is the one to use.
pub fn redact(text: &str) -> String {
    registry().redact(text)
}

/// The text as it may be shown in at most `max` characters: redacted, on one line, clipped with
/// its full length said; bounded in cost whatever the text.
pub fn shown(text: &str, max: usize) -> String {
    registry().shown(text, max)
}

/// A run of this many characters of a secret is redacted as if it were the whole secret.
pub const RUN: usize = 8;

/// The longest HTML tag passed over inside a secret.
const TAG_MAX: usize = 64;

/// Where a run occurs several times in a secret, the places tried (the earliest).
const STARTS_TRIED: usize = 4;

/// A registered secret: its characters as compared (folded, without the characters that show
/// nothing), and where each run of `w` of them starts, by the run's hash (sorted).
struct Secret {
    chars: Vec<char>,
    w: usize,
    runs: Vec<(u64, u32)>,
}

#[derive(Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
    /// The longest secret, in characters (how much context `shown` must keep).
    longest: usize,
}

/// A character as compared: lower case.
fn fold(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Characters a text may carry inside an echoed secret that change nothing a reader sees as
/// the secret: passed over (`util::printable` removes them or shows a space).
fn passed_over(c: char) -> bool {
    c.is_control()
        || crate::util::is_invisible(c)
        || crate::util::is_bidi_control(c)
        || matches!(c, '\u{2028}' | '\u{2029}')
}

fn hash(chars: &[char]) -> u64 {
    chars.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| (h ^ u64::from(u32::from(c))).wrapping_mul(0x0100_0000_01b3))
}

impl Secret {
    fn new(text: &str) -> Secret {
        let chars: Vec<char> = text.chars().filter(|&c| !passed_over(c)).map(fold).collect();
        let w = RUN.min(chars.len());
        let mut runs: Vec<(u64, u32)> = (0..=chars.len() - w).map(|p| (hash(&chars[p..p + w]), p as u32)).collect();
        runs.sort_unstable();
        Secret { chars, w, runs }
    }

    /// Where a run of `w` characters equal to `window` starts in the secret.
    fn starts<'a>(&'a self, window: &'a [char]) -> impl Iterator<Item = usize> + 'a {
        let key = hash(window);
        let from = self.runs.partition_point(|(h, _)| *h < key);
        self.runs[from..]
            .iter()
            .take_while(move |(h, _)| *h == key)
            .map(|(_, p)| *p as usize)
            .filter(move |&p| self.chars[p..p + self.w] == *window)
    }
}

impl Redactor {
    /// Registers a value that must never be shown. Values shorter than 4 characters are not
    /// registered: redacting them would mangle ordinary text (secrets shorter than 16 are
    /// refused at start, config.rs).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.chars().filter(|&c| !passed_over(c)).count() < 4 {
            return;
        }
        let s = Secret::new(secret);
        if self.secrets.iter().any(|x| x.chars == s.chars) {
            return;
        }
        self.longest = self.longest.max(s.chars.len());
        self.secrets.push(s);
    }

    /// The text with every spelling of every run of a secret (see the module's comment)
    /// replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        let mut found: Vec<(usize, usize)> = Vec::new();
        for s in &self.secrets {
            for mode in [Mode::Written, Mode::Decoded, Mode::Form] {
                find(text, s, mode, &mut found);
            }
        }
        if found.is_empty() {
            return text.to_string();
        }
        found.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in found {
            if end <= at {
                continue;
            }
            if start > at {
                out.push_str(&text[at..start]);
                out.push_str("***");
            } else if !out.ends_with("***") {
                out.push_str("***");
            }
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// The text as it may be shown in at most `max` characters: redacted, control characters
    /// shown as spaces (`util::printable`), clipped with its full length said. Only the part that
    /// can be shown is redacted, with enough after it that a secret crossing the cut is seen
    /// whole: the cost is bounded whatever the text (a 1 MB name or body).
    pub fn shown(&self, text: &str, max: usize) -> String {
        // An encoded character takes at most 12 characters of text (`\ud83d\udd11`).
        let context = max + 12 * self.longest + 16;
        let head = match text.char_indices().nth(context) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        let shown = crate::util::printable(&self.redact(head));
        let total = if head.len() == text.len() { None } else { Some(text.chars().count()) };
        match (shown.chars().count() > max, total) {
            (false, None) => shown,
            (_, total) => {
                let cut: String = shown.chars().take(max).collect();
                format!("{cut}… ({} characters in all)", total.unwrap_or_else(|| text.chars().count()))
            }
        }
    }
}

/// How a text is read: as written; with its escapes decoded (percent, JSON, HTML entities); or
/// decoded as a form body is (`+` a space, too).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Written,
    Decoded,
    Form,
}

/// The character at byte `at` and its length in bytes: as written, or decoded from the escape
/// that starts there.
fn unit(text: &str, at: usize, mode: Mode) -> (char, usize) {
    let c = text[at..].chars().next().unwrap_or('\0');
    let literal = (c, c.len_utf8());
    if mode == Mode::Written {
        return literal;
    }
    let rest = &text[at..];
    let decoded = match c {
        '+' if mode == Mode::Form => Some((' ', 1)),
        '%' => percent_at(rest),
        '\\' => json_escape_at(rest),
        '&' => entity_at(rest),
        _ => None,
    };
    decoded.unwrap_or(literal)
}

/// The length of an HTML tag starting at byte `at` (`<...>`, at most `TAG_MAX` bytes).
fn tag_at(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at..)?;
    if !rest.starts_with('<') {
        return None;
    }
    let end = rest.bytes().take(TAG_MAX).skip(1).position(|b| b == b'>' || b == b'<')? + 1;
    (rest.as_bytes()[end] == b'>').then_some(end + 1)
}

/// The next `want` characters (folded) from byte `at` that are not passed over, with HTML tags
/// passed over too when `tags`: the characters and the byte where they end.
fn window(text: &str, mut at: usize, mode: Mode, want: usize, tags: bool, out: &mut Vec<char>) -> Option<usize> {
    out.clear();
    while out.len() < want {
        if at >= text.len() {
            return None;
        }
        if tags {
            if let Some(len) = tag_at(text, at) {
                at += len;
                continue;
            }
        }
        let (c, len) = unit(text, at, mode);
        at += len;
        if !passed_over(c) {
            out.push(fold(c));
        }
    }
    Some(at)
}

/// From byte `at`, how far the text goes on spelling the secret from its character `from`:
/// the byte after the last character matched.
fn extend(text: &str, mut at: usize, mode: Mode, secret: &Secret, mut from: usize) -> usize {
    let mut end = at;
    while from < secret.chars.len() && at < text.len() {
        let (c, len) = unit(text, at, mode);
        // An escape's first character may also be the secret's own (a `\` or `%` written as it
        // is beside escaped ones).
        let literal = text[at..].chars().next().unwrap_or('\0');
        if fold(c) == secret.chars[from] {
            from += 1;
            at += len;
            end = at;
        } else if fold(literal) == secret.chars[from] {
            from += 1;
            at += literal.len_utf8();
            end = at;
        } else if passed_over(c) {
            at += len;
        } else if let Some(len) = tag_at(text, at) {
            at += len;
        } else {
            break;
        }
    }
    end
}

/// Every stretch of `text` (byte ranges) that spells a run of the secret, read in `mode`.
fn find(text: &str, secret: &Secret, mode: Mode, found: &mut Vec<(usize, usize)>) {
    let mut chars = Vec::with_capacity(RUN);
    let mut at = 0;
    while at < text.len() {
        let (c, len) = unit(text, at, mode);
        if passed_over(c) || secret.chars.is_empty() {
            at += len;
            continue;
        }
        let mut best: Option<usize> = None;
        for tags in [false, true] {
            let Some(end) = window(text, at, mode, secret.w, tags, &mut chars) else { break };
            // The earliest places the run starts in the secret leave the most of it to match; a
            // secret that repeats itself ("aaaa…") must not cost one extension per repeat.
            for p in secret.starts(&chars).take(STARTS_TRIED) {
                let reach = extend(text, end, mode, secret, p + secret.w);
                best = Some(best.map_or(reach, |b: usize| b.max(reach)));
            }
            if best.is_some() || !text[at..end].contains('<') {
                break;
            }
        }
        match best {
            Some(end) => {
                found.push((at, end));
                at = end;
            }
            None => at += len,
        }
    }
}

fn percent_at(text: &str) -> Option<(char, usize)> {
    let byte = |at: usize| -> Option<u8> {
        let hex = text.get(at + 1..at + 3)?;
        if text.as_bytes().get(at) != Some(&b'%') {
            return None;
        }
        u8::from_str_radix(hex, 16).ok()
    };
    let first = byte(0)?;
    let len = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let mut bytes = vec![first];
    for k in 1..len {
        bytes.push(byte(3 * k)?);
    }
    let c = std::str::from_utf8(&bytes).ok()?.chars().next()?;
    Some((c, 3 * len))
}

fn entity_at(text: &str) -> Option<(char, usize)> {
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let entity = &text[1..end];
    let decoded = match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => entity.strip_prefix('#').and_then(|n| {
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }),
    }?;
    Some((decoded, end + 1))
}

fn json_escape_at(text: &str) -> Option<(char, usize)> {
    let simple = match text.as_bytes().get(1)? {
        b'"' => Some('"'),
        b'\\' => Some('\\'),
        b'/' => Some('/'),
        b'b' => Some('\u{8}'),
        b'f' => Some('\u{c}'),
        b'n' => Some('\n'),
        b'r' => Some('\r'),
        b't' => Some('\t'),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, 2));
    }
    let unit = |at: usize| -> Option<u16> {
        let t = text.get(at..at + 6)?;
        u16::from_str_radix(t.strip_prefix("\\u")?, 16).ok()
    };
    let first = unit(0)?;
    if (0xd800..0xdc00).contains(&first) {
        let second = unit(6)?;
        let c = char::decode_utf16([first, second]).next()?.ok()?;
        return Some((c, 12));
    }
    Some((char::from_u32(u32::from(first))?, 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(secrets: &[&str]) -> Redactor {
        let mut r = Redactor::default();
        for s in secrets {
            r.add(s);
        }
        r
    }

    #[test]
    fn redacts_plain_and_encoded() {
        let r = with(&["s3cr3t/+xQ"]);
        assert_eq!(r.redact("a s3cr3t/+xQ b s3cr3t%2F%2BxQ"), "a *** b ***");
        assert_eq!(r.redact("c s3cr3t%2f%2bxq d s3cr3t\\/+xQ"), "c *** d ***");
        let r = with(&[r#"p"q\r-1234"#]);
        assert_eq!(r.redact(r#"{"e":"p\"q\\r-1234"}"#), r#"{"e":"***"}"#);
    }

    #[test]
    fn redacts_unicode_escapes_html_entities_and_any_run_of_eight() {
        let r = with(&["Ab+c/d&e<f>g\"h'i j~k_9"]);
        // .NET's JSON writer escapes + & < > ' as \u00XX (either case of hex).
        assert_eq!(r.redact(r#"x Ab\u002Bc\/d\u0026e\u003cf\u003Eg\"h\u0027i j~k_9 y"#), "x *** y");
        assert_eq!(r.redact("x Ab&#43;c/d&amp;e&lt;f&gt;g&quot;h&#x27;i j~k_9 y"), "x *** y");
        assert_eq!(r.redact("x Ab%2bc%2Fd%26e%3Cf%3eg%22h%27i+j%7Ek_9 y"), "x *** y");
        // Any 8 characters or more in a row, wherever they start; fewer are not.
        assert_eq!(r.redact("echo: Ab+c/d&e<f>g\"h'i…"), "echo: ***…");
        assert_eq!(r.redact("tail: d&e<f>g\"h'i j~k_9!"), "tail: ***!");
        assert_eq!(r.redact("echo: Ab+c/d&"), "echo: Ab+c/d&");
        // Non-ASCII characters, percent-encoded byte by byte or as surrogate pairs.
        let r = with(&["päss🔑wörd-1"]);
        assert_eq!(r.redact("a p%C3%A4ss%F0%9F%94%91w%c3%b6rd-1 b"), "a *** b");
        assert_eq!(r.redact(r"a p\u00e4ss\ud83d\udd11w\u00F6rd-1 b"), "a *** b");
        // A short secret is redacted only whole, and ordinary text is left alone.
        let r = with(&["k3y!"]);
        assert_eq!(r.redact("k3y k3y! &amp; 100%"), "k3y *** &amp; 100%");
    }

    #[test]
    fn a_secret_cannot_be_split_or_recased() {
        let secret = "HaloSecret-Zq7WmN4pR2xT9vB6";
        let r = with(&[secret]);
        let (head, tail) = secret.split_at(7);
        for echo in [
            format!("{head}\u{200b}{tail}"),
            format!("{head}\u{00ad}{tail}"),
            format!("{head}\u{feff}{tail}"),
            format!("{head}\u{e0041}{tail}"),
            format!("{head}\0{tail}"),
            format!("{head}<b>{tail}"),
            format!("{head}\\u200b{tail}"),
            secret.to_lowercase(),
            secret.to_uppercase(),
        ] {
            let out = r.redact(&format!("error: '{echo}' is wrong"));
            assert_eq!(out, "error: '***' is wrong", "{echo:?}");
        }
        // Interrupted by a real character: the run after it (8 or more) is caught.
        assert_eq!(r.redact(&format!("{head}X{tail}")), format!("{head}X***"));
        // The last 24 characters alone.
        let last: String = secret.chars().skip(secret.len() - 24).collect();
        assert_eq!(r.redact(&format!("..{last}..")), "..***..");
    }

    #[test]
    fn a_huge_secret_and_a_huge_text_take_no_recursion() {
        let token: String = (0..20_000).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
        let r = with(&[&token]);
        let body = format!("{{\"error\":\"bad token {token}\"}}").repeat(40);
        let out = r.redact(&body);
        assert!(!out.contains(&token[100..120]), "redacted");
        assert_eq!(out.matches("***").count(), 40);
        let shown = r.shown(&body, 200);
        assert!(shown.chars().count() < 260 && shown.ends_with("characters in all)"), "{shown}");
    }
}
