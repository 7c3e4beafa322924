//! Store targets: the one string every door and the CLI pass to `Store::open` names both the
//! engine and the place (`./data`, `sled:./data`, `lmdb:./data`, `memory:`), parsed here once so
//! that the same string means the same store everywhere.

use crate::error::{Error, Result};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The schemes a target may start with, as named in error messages.
const KNOWN: &str = "sled:PATH, lmdb:PATH, memory:, redis://HOST:PORT[/DB][?store=NAME] \
                     (rediss:// and redis+cluster:// are planned)";

/// Where a store lives and on which engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A sled directory (one process at a time).
    Sled(PathBuf),
    /// An LMDB directory every process of this machine may share.
    Lmdb(PathBuf),
    /// A fresh in-memory store.
    Memory,
    /// A Redis (or Valkey) server: the URL the client connects to, and the store's name on it.
    Redis {
        /// `redis://[user:password@]host:port[/db]`, without Grove's own parameters.
        url: String,
        /// The store's name (`?store=NAME`, empty by default): several stores share a server.
        name: String,
    },
}

/// Longest store name accepted in a Redis target.
const MAX_STORE_NAME: usize = 64;

/// Splits Grove's `?store=NAME` off a Redis URL; any other parameter is refused.
fn redis_target(url: &str) -> Result<Target> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut name = String::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("store", v)) => {
                if v.is_empty()
                    || v.len() > MAX_STORE_NAME
                    || !v
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
                {
                    return Err(Error::invalid(format!(
                        "store target {url:?}: store= takes 1 to {MAX_STORE_NAME} letters, \
                         digits, '_', '.', ':' or '-'"
                    )));
                }
                name = v.to_string();
            }
            _ => {
                return Err(Error::invalid(format!(
                    "store target {url:?}: unknown parameter {pair:?} (known: store=NAME)"
                )))
            }
        }
    }
    Ok(Target::Redis {
        url: base.to_string(),
        name,
    })
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
        b"redis" => {
            let url = std::str::from_utf8(raw)
                .map_err(|_| Error::invalid("a redis:// store target must be UTF-8"))?;
            if !url[skip..].starts_with("//") || url.len() == skip + 2 {
                return Err(Error::invalid(format!(
                    "store target {url:?}: write redis://HOST:PORT[/DB] (with user:password@ \
                     before the host for AUTH)"
                )));
            }
            redis_target(url)
        }
        b"rediss" | b"redis+cluster" => Err(Error::invalid(format!(
            "store target {:?}: TLS (rediss://) and Redis Cluster (redis+cluster://) are not \
             available yet in this version (known: {KNOWN})",
            target.display().to_string()
        ))),
        _ => Err(Error::invalid(format!(
            "store target {:?} starts with an unknown scheme {:?}; known: {KNOWN}; write \
             ./{} for a directory whose name contains ':'",
            target.display().to_string(),
            String::from_utf8_lossy(scheme),
            target.display()
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
                url: s.to_string(),
                name: String::new(),
            };
            assert_eq!(p(s).unwrap(), want);
        }
        let named = Target::Redis {
            url: "redis://h:1/0".into(),
            name: "app-1".into(),
        };
        assert_eq!(p("redis://h:1/0?store=app-1").unwrap(), named);
        assert!(invalid("redis://h?store=a{b}").contains("store= takes"));
        assert!(invalid("redis://h?store=").contains("store= takes"));
        assert!(invalid("redis://h?db=2").contains("unknown parameter"));
        assert!(invalid("redis:").contains("redis://HOST:PORT"));
        assert!(invalid("redis:h:1").contains("redis://HOST:PORT"));
        assert!(invalid("redis://").contains("redis://HOST:PORT"));
        for s in ["rediss://h:1/0", "redis+cluster://a:1,b:2"] {
            assert!(invalid(s).contains("not available yet"), "{s}");
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
