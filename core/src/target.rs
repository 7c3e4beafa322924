//! Store targets: the one string every door and the CLI pass to `Store::open` names both the
//! engine and the place (`./data`, `sled:./data`, `lmdb:./data`, `memory:`), parsed here once so
//! that the same string means the same store everywhere.

use crate::error::{Error, Result};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The schemes a target may start with, as named in error messages.
const KNOWN: &str = "sled:PATH, lmdb:PATH, memory:, redis://HOST:PORT[/DB][?store=NAME], \
                     rediss://HOST:PORT[/DB][?store=NAME&ca=PEM&cert=PEM&key=PEM], \
                     redis+cluster://HOST:PORT[,HOST:PORT...][?store=NAME], \
                     rediss+cluster://HOST:PORT[,HOST:PORT...][?store=NAME&ca=PEM&cert=PEM&key=PEM]";

/// Where a store lives and on which engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A sled directory (one process at a time).
    Sled(PathBuf),
    /// An LMDB directory every process of this machine may share.
    Lmdb(PathBuf),
    /// A fresh in-memory store.
    Memory,
    /// A Redis (or Valkey) server or cluster, and the store's name on it.
    Redis {
        /// Where to connect.
        server: Server,
        /// The store's name (`?store=NAME`, empty by default): several stores share a server.
        name: String,
        /// Certificates for `rediss://` beyond the system's (`?ca=`, `?cert=`, `?key=`).
        tls: TlsFiles,
    },
}

/// PEM files a `rediss://` target names: `ca` replaces the system's trusted CAs, `cert` and
/// `key` are a client certificate for servers that ask for one (mutual TLS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    /// The CA certificates to trust (PEM).
    pub ca: Option<PathBuf>,
    /// The client's certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// The client's private key (PEM).
    pub key: Option<PathBuf>,
}

/// The Redis deployment a target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Server {
    /// One server: `redis://[user:password@]host:port[/db]`, without Grove's own parameters.
    Standalone(String),
    /// A Redis Cluster, reached through any of these nodes (each `redis://[auth@]host:port`).
    Cluster(Vec<String>),
}

/// Longest store name accepted in a Redis target.
const MAX_STORE_NAME: usize = 64;

/// Splits Grove's parameters (`store=NAME`; `ca=`, `cert=`, `key=` on `rediss://`) off a Redis
/// URL; any other parameter is refused.
fn redis_target(url: &str, cluster: bool) -> Result<Target> {
    let shown = redact(url);
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let lower = url.get(..17).unwrap_or(url).to_ascii_lowercase();
    let is_tls = lower.starts_with("rediss://") || lower.starts_with("rediss+cluster://");
    let mut name = String::new();
    let mut tls = TlsFiles::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let file = |v: &str| {
            if !is_tls {
                return Err(Error::invalid(format!(
                    "store target {shown:?}: {pair:?} applies to TLS (rediss:// or \
                     rediss+cluster://) only"
                )));
            }
            if v.is_empty() {
                return Err(Error::invalid(format!(
                    "store target {shown:?}: {pair:?} names no file"
                )));
            }
            Ok(Some(PathBuf::from(v)))
        };
        match pair.split_once('=') {
            Some(("store", v)) => {
                if v.is_empty()
                    || v.len() > MAX_STORE_NAME
                    || !v
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
                {
                    return Err(Error::invalid(format!(
                        "store target {shown:?}: store= takes 1 to {MAX_STORE_NAME} letters, \
                         digits, '_', '.', ':' or '-'"
                    )));
                }
                name = v.to_string();
            }
            Some(("ca", v)) => tls.ca = file(v)?,
            Some(("cert", v)) => tls.cert = file(v)?,
            Some(("key", v)) => tls.key = file(v)?,
            _ => {
                return Err(Error::invalid(format!(
                    "store target {shown:?}: unknown parameter {pair:?} (known: store=NAME, and \
                     ca=, cert=, key= on rediss://)"
                )))
            }
        }
    }
    if tls.cert.is_some() != tls.key.is_some() {
        return Err(Error::invalid(format!(
            "store target {shown:?}: a client certificate needs both cert= and key="
        )));
    }
    let server = if cluster {
        Server::Cluster(cluster_seeds(url, base, is_tls)?)
    } else {
        Server::Standalone(base.to_string())
    };
    Ok(Target::Redis { server, name, tls })
}

/// The seed nodes of `redis+cluster://[user:password@]host:port[,host:port...][/]` (or
/// `rediss+cluster://`), each as a `redis://` (or `rediss://`) URL carrying the credentials.
fn cluster_seeds(url: &str, base: &str, tls: bool) -> Result<Vec<String>> {
    let shown = redact(url);
    let (scheme, seed) = if tls {
        ("rediss+cluster://", "rediss://")
    } else {
        ("redis+cluster://", "redis://")
    };
    let bad = |why: &str| {
        Error::invalid(format!(
            "store target {shown:?}: {why}; write {scheme}[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]"
        ))
    };
    let rest = &base[scheme.len()..];
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(bad("a cluster has only database 0, so it takes no /DB"));
    }
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((a, h)) => (format!("{a}@"), h),
        None => (String::new(), rest),
    };
    let mut seeds = Vec::new();
    for node in hosts.split(',') {
        let ok = node
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !ok {
            return Err(bad(&format!("node {node:?} is not HOST:PORT")));
        }
        seeds.push(format!("{seed}{auth}{node}"));
    }
    Ok(seeds)
}

/// `url` with any `user:password@` shown as `***@`: error messages quote targets, and they end
/// up in logs.
fn redact(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[i + 3..];
    let end = rest.find('?').unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..i + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The scheme at the very start of `raw` (`[A-Za-z][A-Za-z0-9+.-]*:`), without the colon.
fn scheme(raw: &[u8]) -> Option<&[u8]> {
    if !raw.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = raw
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b"+.-".contains(&b)))?;
    (raw[end] == b':').then(|| &raw[..end])
}

/// The path after a `scheme:` prefix of `skip` bytes; an empty one is refused.
fn rest(raw: &[u8], skip: usize, name: &str) -> Result<PathBuf> {
    let rest = &raw[skip..];
    if rest.is_empty() {
        return Err(Error::invalid(format!(
            "store target {name}: has no path (write {name}:./data)"
        )));
    }
    // The bytes come from an OsStr and were split at an ASCII ':', so they are still valid
    // OS-string bytes; Unix paths are bytes, so non-UTF-8 paths stay intact.
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(OsStr::from_bytes(rest)))
}

/// Parses a store target; a plain path (absolute, `./`, `../`, or without a scheme) is sled.
pub(crate) fn parse(target: &Path) -> Result<Target> {
    let raw = target.as_os_str().as_encoded_bytes();
    if raw.is_empty() {
        return Err(Error::invalid("store path is empty"));
    }
    if raw.contains(&0) {
        return Err(Error::invalid("store path contains a NUL byte"));
    }
    if raw.starts_with(b"/") || raw.starts_with(b"./") || raw.starts_with(b"../") {
        return Ok(Target::Sled(target.to_path_buf()));
    }
    let Some(scheme) = scheme(raw) else {
        return Ok(Target::Sled(target.to_path_buf()));
    };
    let skip = scheme.len() + 1;
    match scheme.to_ascii_lowercase().as_slice() {
        b"sled" => Ok(Target::Sled(rest(raw, skip, "sled")?)),
        b"lmdb" => Ok(Target::Lmdb(rest(raw, skip, "lmdb")?)),
        b"memory" if raw.len() == skip => Ok(Target::Memory),
        b"memory" => Err(Error::invalid(format!(
            "store target {:?}: memory: takes no path",
            target.display().to_string()
        ))),
        b"redis" | b"rediss" => {
            let url = std::str::from_utf8(raw)
                .map_err(|_| Error::invalid("a redis:// store target must be UTF-8"))?;
            if !url[skip..].starts_with("//") || url.len() == skip + 2 {
                let shown = redact(url);
                return Err(Error::invalid(format!(
                    "store target {shown:?}: write redis://HOST:PORT[/DB] (rediss:// for TLS; \
                     with user:password@ before the host for AUTH)"
                )));
            }
            redis_target(url, false)
        }
        b"redis+cluster" | b"rediss+cluster" => {
            let url = std::str::from_utf8(raw)
                .map_err(|_| Error::invalid("a redis+cluster:// store target must be UTF-8"))?;
            if !url[skip..].starts_with("//") {
                let shown = redact(url);
                let scheme = String::from_utf8_lossy(scheme).to_ascii_lowercase();
                return Err(Error::invalid(format!(
                    "store target {shown:?}: write {scheme}://HOST:PORT[,HOST:PORT...]"
                )));
            }
            redis_target(url, true)
        }
        _ => Err(Error::invalid(format!(
            "store target {:?} starts with an unknown scheme {:?}; known: {KNOWN}; write \
             ./{} for a directory whose name contains ':'",
            redact(&target.display().to_string()),
            String::from_utf8_lossy(scheme),
            redact(&target.display().to_string())
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn p(s: &str) -> Result<Target> {
        parse(Path::new(s))
    }

    fn invalid(s: &str) -> String {
        let e = p(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{s}: {e}");
        e.message().to_string()
    }

    #[test]
    fn plain_paths_are_sled() {
        for s in [
            "./data",
            "data",
            "../up/data",
            "/tmp/a:b",
            "./x:y",
            "dir/with:colon",
            "1x:y",
        ] {
            assert_eq!(p(s).unwrap(), Target::Sled(PathBuf::from(s)), "{s}");
        }
    }

    #[test]
    fn schemes_name_the_engine() {
        assert_eq!(p("sled:./d").unwrap(), Target::Sled("./d".into()));
        assert_eq!(p("sled:/abs/d").unwrap(), Target::Sled("/abs/d".into()));
        assert_eq!(p("lmdb:./d").unwrap(), Target::Lmdb("./d".into()));
        assert_eq!(p("lmdb:rel/d").unwrap(), Target::Lmdb("rel/d".into()));
        assert_eq!(p("LMDB:/x").unwrap(), Target::Lmdb("/x".into()));
        assert_eq!(p("lmdb:a:b").unwrap(), Target::Lmdb("a:b".into()));
        assert_eq!(p("memory:").unwrap(), Target::Memory);
    }

    #[test]
    fn redis_urls_name_the_redis_engine() {
        for s in ["redis://localhost:6379", "redis://u:p@h:1/2", "REDIS://h"] {
            let want = Target::Redis {
                server: Server::Standalone(s.to_string()),
                name: String::new(),
                tls: TlsFiles::default(),
            };
            assert_eq!(p(s).unwrap(), want);
        }
        let named = Target::Redis {
            server: Server::Standalone("redis://h:1/0".into()),
            name: "app-1".into(),
            tls: TlsFiles::default(),
        };
        assert_eq!(p("redis://h:1/0?store=app-1").unwrap(), named);
        assert!(invalid("redis://h?store=a{b}").contains("store= takes"));
        assert!(invalid("redis://h?store=").contains("store= takes"));
        assert!(invalid("redis://h?db=2").contains("unknown parameter"));
        assert!(invalid("redis:").contains("redis://HOST:PORT"));
        assert!(invalid("redis:h:1").contains("redis://HOST:PORT"));
        assert!(invalid("redis://").contains("redis://HOST:PORT"));
    }

    #[test]
    fn passwords_never_appear_in_target_errors() {
        for s in [
            "redis://u:s3cret@h:1?x=1",
            "rediss://u:s3cret@h:1?cert=c.pem",
            "rediss://u:s3cret@h:1?ca=",
            "redis://u:s3cret@h:1?store=a{b}",
            "redis+cluster://u:s3cret@a:1,b",
            "redis+cluster://u:s3cret@a:1?x=1",
            "redis-cluster://u:s3cret@a:1",
            "redis://:s3cret@h?db=1",
        ] {
            let m = invalid(s);
            assert!(!m.contains("s3cret"), "{s}: {m}");
            assert!(m.contains("***@"), "{s}: {m}");
        }
        assert_eq!(redact("redis://h:1/0?store=x@y"), "redis://h:1/0?store=x@y");
    }

    #[test]
    fn tls_urls_take_certificate_files() {
        assert_eq!(
            p("rediss://u:p@h:1/0?store=s&ca=/c/ca.pem&cert=c.pem&key=k.pem").unwrap(),
            Target::Redis {
                server: Server::Standalone("rediss://u:p@h:1/0".into()),
                name: "s".into(),
                tls: TlsFiles {
                    ca: Some("/c/ca.pem".into()),
                    cert: Some("c.pem".into()),
                    key: Some("k.pem".into()),
                },
            }
        );
        assert!(invalid("redis://h:1?ca=x.pem").contains("rediss://"));
        assert!(invalid("rediss://h:1?ca=").contains("names no file"));
        assert!(invalid("rediss://h:1?cert=c.pem").contains("both cert= and key="));
        assert!(invalid("rediss://").contains("rediss://"));
    }

    #[test]
    fn cluster_urls_list_seed_nodes() {
        let seeds = |v: &[&str]| Server::Cluster(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            p("redis+cluster://a:1,b:2/?store=s").unwrap(),
            Target::Redis {
                server: seeds(&["redis://a:1", "redis://b:2"]),
                name: "s".into(),
                tls: TlsFiles::default(),
            }
        );
        assert_eq!(
            p("redis+cluster://u:p@w@a:1").unwrap(),
            Target::Redis {
                server: seeds(&["redis://u:p@w@a:1"]),
                name: String::new(),
                tls: TlsFiles::default(),
            }
        );
        for s in [
            "redis+cluster://a:1/2",
            "redis+cluster://a",
            "redis+cluster://a:1,",
            "redis+cluster://:1",
            "redis+cluster://a:0",
            "redis+cluster://",
            "redis+cluster:a:1",
        ] {
            assert!(invalid(s).contains("redis+cluster://"), "{s}");
        }
        assert!(invalid("redis+cluster://a:1?x=1").contains("unknown parameter"));
        assert!(invalid("redis+cluster://a:1?ca=c.pem").contains("TLS"));
    }

    #[test]
    fn tls_cluster_urls_list_tls_seed_nodes_and_take_certificates() {
        assert_eq!(
            p("rediss+cluster://u:p@a:1,b:2?store=s&ca=/c/ca.pem&cert=c.pem&key=k.pem").unwrap(),
            Target::Redis {
                server: Server::Cluster(vec!["rediss://u:p@a:1".into(), "rediss://u:p@b:2".into()]),
                name: "s".into(),
                tls: TlsFiles {
                    ca: Some("/c/ca.pem".into()),
                    cert: Some("c.pem".into()),
                    key: Some("k.pem".into()),
                },
            }
        );
        for s in [
            "rediss+cluster://a",
            "rediss+cluster://a:1/0",
            "rediss+cluster:a:1",
        ] {
            assert!(invalid(s).contains("rediss+cluster://"), "{s}");
        }
    }

    #[test]
    fn unknown_schemes_and_empty_paths_are_refused() {
        for s in ["foo://x", "lmbd:x", "file:data", "http://x"] {
            let m = invalid(s);
            assert!(
                m.contains("unknown scheme") && m.contains("lmdb:PATH"),
                "{m}"
            );
        }
        assert!(invalid("lmdb:").contains("no path"));
        assert!(invalid("sled:").contains("no path"));
        assert!(invalid("memory:./x").contains("takes no path"));
        assert!(invalid("").contains("empty"));
        assert!(invalid("a\0b").contains("NUL"));
    }

    #[test]
    fn non_utf8_paths_survive() {
        use std::os::unix::ffi::OsStrExt;
        let raw = b"lmdb:caf\xe9";
        let t = parse(Path::new(OsStr::from_bytes(raw))).unwrap();
        assert_eq!(
            t,
            Target::Lmdb(PathBuf::from(OsStr::from_bytes(b"caf\xe9")))
        );
    }
}
