//! `ddmc catalog update`: fetch GDMF (or read a file), wrap it with the time it was fetched,
//! write it atomically, and say what changed. Apple's GDMF certificate chains to Apple's own
//! root, which is not in the web PKI: ddmc ships that root (`certs/apple-root-ca.pem`) and
//! verifies against it (and any `--ca-cert` given for a mirror), never disabling verification.

use super::{Catalog, CatalogError, parse};
use crate::limits::MAX_CATALOG_BYTES;
use crate::model::{OsVersion, Platform};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Apple's software lookup service.
pub const GDMF_URL: &str = "https://gdmf.apple.com/v2/pmv";

/// Apple Root CA (SHA-256 B0:B1:73:0E:…:01:F0:24), which GDMF's chain ends in.
const APPLE_ROOT_CA: &[u8] = include_bytes!("../../certs/apple-root-ca.pem");

/// A whole request, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Where a catalog comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Url(String),
    File(PathBuf),
}

impl Source {
    /// `http(s)://…` is a URL, anything else a file.
    pub fn parse(s: &str) -> Source {
        if s.starts_with("https://") || s.starts_with("http://") {
            Source::Url(s.to_owned())
        } else {
            Source::File(s.into())
        }
    }

    /// How the wrapper's `source` names it.
    fn label(&self) -> String {
        match self {
            Source::Url(url) => url.clone(),
            Source::File(path) => format!("file:{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()),
        }
    }
}

/// The bytes of a catalog, at most [`MAX_CATALOG_BYTES`]. Plain `http://` is accepted only for a
/// server on this machine (a test or a local mirror); `https://` is verified against Apple's
/// root and the extra roots given.
pub fn fetch(from: &Source, extra_roots: &[PathBuf], progress: &mut dyn FnMut(&str)) -> Result<Vec<u8>, CatalogError> {
    match from {
        Source::File(path) => read_file(path),
        Source::Url(url) => {
            if url.starts_with("http://") && !is_loopback(url) {
                return Err(CatalogError::new(format!(
                    "`{url}` is plain HTTP: only a server on this machine may be read without TLS; use https://"
                )));
            }
            progress(&format!("fetching {url}"));
            let agent = agent(extra_roots)?;
            let mut response = agent
                .get(url)
                .header("User-Agent", concat!("ddmc/", env!("CARGO_PKG_VERSION")))
                .call()
                .map_err(|e| CatalogError::io(format!("cannot fetch `{url}`: {e}")))?;
            let bytes =
                response.body_mut().with_config().limit(MAX_CATALOG_BYTES as u64).read_to_vec().map_err(|e| {
                    CatalogError::new(format!(
                        "cannot read the answer of `{url}` (at most {MAX_CATALOG_BYTES} bytes): {e}"
                    ))
                })?;
            progress(&format!("received {} bytes", bytes.len()));
            Ok(bytes)
        }
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host == "localhost" || host == "[::1]" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

fn agent(extra_roots: &[PathBuf]) -> Result<ureq::Agent, CatalogError> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let mut roots = vec![
        Certificate::from_pem(APPLE_ROOT_CA)
            .map_err(|e| CatalogError::new(format!("ddmc's Apple root certificate: {e}")))?
            .to_owned(),
    ];
    for path in extra_roots {
        let pem = read_file(path)?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| CatalogError::new(format!("`{}` is not a PEM certificate: {e}", path.display())))?;
        roots.push(cert.to_owned());
    }
    let tls = TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(roots))).build();
    Ok(ureq::Agent::config_builder().tls_config(tls).timeout_global(Some(TIMEOUT)).max_redirects(3).build().into())
}

pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, CatalogError> {
    let io = |e: std::io::Error| CatalogError::io(format!("cannot read `{}`: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(CatalogError::new(format!("`{}` is not a regular file", path.display())));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CATALOG_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() > MAX_CATALOG_BYTES {
        return Err(CatalogError::new(format!("`{}` is larger than {MAX_CATALOG_BYTES} bytes", path.display())));
    }
    Ok(bytes)
}

/// The catalog file's text: `{fetched, source, pmv}` around whatever GDMF answered (Apple's
/// answer, a ddmc wrapper, or SOFA's cache), checked by reading it back.
pub fn wrap(bytes: &[u8], from: &Source, fetched: jiff::Timestamp) -> Result<(String, Catalog), CatalogError> {
    let text = std::str::from_utf8(bytes).map_err(|_| CatalogError::new("the answer is not UTF-8 text".into()))?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| CatalogError::new(format!("the answer is not JSON: {e}")).at(e.line(), e.column()))?;
    let pmv = match value {
        serde_json::Value::Object(mut map) => match (map.remove("pmv"), map.remove("data")) {
            (Some(pmv), _) | (None, Some(pmv)) => pmv,
            (None, None) => serde_json::Value::Object(map),
        },
        _ => return Err(CatalogError::new("not a GDMF catalog: expected a JSON object".into())),
    };
    let fetched = fetched.round(jiff::Unit::Second).unwrap_or(fetched);
    let wrapper = serde_json::json!({"fetched": fetched.to_string(), "source": from.label(), "pmv": pmv});
    let mut out = serde_json::to_string_pretty(&wrapper).unwrap_or_default();
    out.push('\n');
    let catalog = parse(&out)?;
    Ok((out, catalog))
}

/// Replaces `path` with `text` in one rename: readers see the old or the new catalog.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.ddmc-new-{}", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// Versions added and expired between two catalogs, per platform, as lines.
pub fn changes(old: Option<&Catalog>, new: &Catalog) -> Vec<String> {
    let mut lines = Vec::new();
    for platform in Platform::ALL {
        let offered = |c: &Catalog| -> BTreeSet<OsVersion> {
            c.versions(platform).iter().filter(|v| v.available).map(|v| v.version).collect()
        };
        let before = old.map(offered).unwrap_or_default();
        let after = offered(new);
        let added: Vec<String> = after.difference(&before).map(ToString::to_string).collect();
        let gone: Vec<String> = before.difference(&after).map(ToString::to_string).collect();
        if !added.is_empty() {
            lines.push(format!("{platform}: added {}", added.join(", ")));
        }
        if !gone.is_empty() {
            lines.push(format!("{platform}: no longer available {}", gone.join(", ")));
        }
        let bsi = |c: &Catalog| -> BTreeSet<(OsVersion, String)> {
            c.security_improvements(platform)
                .filter(|e| e.available(c.as_of))
                .map(|e| (e.version, format!("{} ({})", e.extra.map(|x| x.to_string()).unwrap_or_default(), e.build)))
                .collect()
        };
        let (before, after) = (old.map(bsi).unwrap_or_default(), bsi(new));
        let added: Vec<String> = after.difference(&before).map(|(v, rest)| format!("{v} {rest}")).collect();
        if !added.is_empty() {
            lines.push(format!("{platform}: new Background Security Improvements {}", added.join(", ")));
        }
    }
    lines
}
