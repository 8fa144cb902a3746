//! Network helpers for tests: a TLS front for the simulator (a test CA the OS does not
//! trust) and a recording HTTP proxy. Both forward one HTTP/1.1 exchange at a time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Reads one HTTP message head and its Content-Length body.
fn read_message(r: &mut impl BufRead) -> Option<(String, Vec<String>, Vec<u8>)> {
    let mut first = String::new();
    if r.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        headers.push(h);
    }
    let len = headers
        .iter()
        .find_map(|h| {
            h.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((first.trim_end().to_string(), headers, body))
}

fn write_message(w: &mut impl Write, first: &str, headers: &[String], body: &[u8]) -> std::io::Result<()> {
    let mut head = format!("{first}\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// Forwards requests read from `client` to `upstream(target) -> (address, origin-form target)`.
/// Each request line is recorded at once as `METHOD {prefix}{target}`.
fn forward(
    client: &mut (impl Read + Write),
    upstream: &dyn Fn(&str) -> (SocketAddr, String),
    seen: &Mutex<Vec<String>>,
    prefix: &str,
) {
    let mut reader = BufReader::new(ClientRef(client));
    while let Some((first, headers, body)) = read_message(&mut reader) {
        let mut parts = first.splitn(3, ' ');
        let (method, target, version) =
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        seen.lock().unwrap().push(format!("{method} {prefix}{target}"));
        let (addr, origin) = upstream(target);
        let Ok(mut up) = TcpStream::connect(addr) else { return };
        let headers: Vec<String> =
            headers.into_iter().filter(|h| !h.to_ascii_lowercase().starts_with("proxy-")).collect();
        if write_message(&mut up, &format!("{method} {origin} {version}"), &headers, &body).is_err() {
            return;
        }
        let Some((status, rheaders, rbody)) = read_message(&mut BufReader::new(&mut up)) else { return };
        let inner = reader.get_mut();
        if write_message(&mut inner.0, &status, &rheaders, &rbody).is_err() {
            return;
        }
    }
}

/// Lets a BufReader borrow a Read + Write stream and still write through it.
struct ClientRef<'a, T>(&'a mut T);
impl<T: Read> Read for ClientRef<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

pub struct TlsFront {
    pub url: String,
    pub ca_pem: String,
}

/// An HTTPS endpoint at https://localhost:PORT forwarding to `upstream`, with a certificate
/// from a fresh test CA.
pub fn tls_front(upstream: SocketAddr) -> TlsFront {
    tls_front_named(upstream, "localhost")
}

/// `tls_front` with a certificate for `name`, at https://NAME:PORT (a name only a proxy that
/// routes it can reach: see `tunnel_proxy`).
pub fn tls_front_named(upstream: SocketAddr, name: &str) -> TlsFront {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "ninja-halo-sync test inspecting CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_string()]).unwrap().signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let seen = Mutex::new(Vec::new());
                forward(&mut tls, &|t| (upstream, t.to_string()), &seen, "");
            });
        }
    });
    TlsFront { url: format!("https://{name}:{port}"), ca_pem: ca_cert.pem() }
}

pub struct Proxy {
    pub url: String,
    pub seen: Arc<Mutex<Vec<String>>>,
}

/// A proxy on loopback: each connection handled on a thread of its own by `handle`, which
/// records what it sees.
fn proxy(handle: impl Fn(TcpStream, &Mutex<Vec<String>>) + Send + Sync + 'static) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (seen2, handle) = (seen.clone(), Arc::new(handle));
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (seen, handle) = (seen2.clone(), handle.clone());
            std::thread::spawn(move || handle(tcp, &seen));
        }
    });
    Proxy { url: format!("http://127.0.0.1:{port}"), seen }
}

/// Reads a request's line and its headers; the request line.
fn request_line(r: &mut impl BufRead) -> String {
    let mut line = String::new();
    let _ = r.read_line(&mut line);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            return line;
        }
    }
}

/// An HTTP proxy that records every request line: absolute-form requests, and requests
/// inside a CONNECT tunnel to a plain-HTTP target (recorded as `METHOD http://host:port/path`).
pub fn recording_proxy() -> Proxy {
    proxy(|mut tcp, seen| {
        let first = request_line(&mut BufReader::new(&mut tcp));
        let mut parts = first.split_whitespace();
        if parts.next() != Some("CONNECT") {
            return; // this test proxy only tunnels
        }
        let authority = parts.next().unwrap_or("").to_string();
        let addr: SocketAddr = authority.parse().expect("proxy test targets are ip:port");
        seen.lock().unwrap().push(format!("CONNECT {authority}"));
        if tcp.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
            return;
        }
        forward(&mut tcp, &|target| (addr, target.to_string()), seen, &format!("http://{authority}"));
    })
}

/// A proxy that tunnels `CONNECT host:port` to the address `routes` gives the host (what a
/// corporate proxy does for names the test machine cannot resolve), recording each CONNECT line;
/// the bytes inside (TLS) are passed on as they are.
pub fn tunnel_proxy(routes: Vec<(String, SocketAddr)>) -> Proxy {
    proxy(move |tcp, seen| {
        // A reader of its own: what it has read past the headers is passed on.
        let mut reader = BufReader::new(tcp.try_clone().unwrap());
        let line = request_line(&mut reader);
        let mut parts = line.split_whitespace();
        let (Some("CONNECT"), Some(authority)) = (parts.next(), parts.next()) else { return };
        seen.lock().unwrap().push(format!("CONNECT {authority}"));
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let Some((_, addr)) = routes.iter().find(|(name, _)| name == host) else { return };
        let Ok(up) = TcpStream::connect(addr) else { return };
        let mut tcp = tcp;
        if tcp.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
            return;
        }
        let (mut up_read, mut down_write) = (up.try_clone().unwrap(), tcp);
        let mut up_write = up;
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut up_read, &mut down_write);
        });
        let _ = std::io::copy(&mut reader, &mut up_write);
    })
}
