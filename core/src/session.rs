//! The session store: `<prefix>:<id>` with 256-bit ids from the OS CSPRNG and a sliding TTL.
//!
//! `update` and `touch` only ever modify a live session; a missing or expired one is never
//! recreated. An id that is not one Grove could have issued simply is not found (ids come from
//! clients, so a malformed cookie is not an error).

use crate::backend::Write;
use crate::error::{Error, Result};
use crate::store::{check_value, ttl_ms, Store};
use crate::value::{encode, Entry, Kind};
use std::time::Duration;

/// Length of a session id: 32 random bytes in unpadded URL-safe base64.
pub const SESSION_ID_LEN: usize = 43;

/// Creates, reads and expires sessions under one key prefix.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Store,
    prefix: String,
    ttl: Duration,
}

impl Store {
    /// A session store with keys `<prefix>:<id>` whose sessions live `ttl` after their last touch.
    pub fn sessions(&self, ttl: Duration, prefix: &str) -> Result<Sessions> {
        self.check_open()?;
        if ttl.is_zero() {
            return Err(Error::invalid("session ttl must be greater than zero"));
        }
        if prefix.is_empty() {
            return Err(Error::invalid("session prefix is empty"));
        }
        crate::store::check_key(format!("{prefix}:{}", "x".repeat(SESSION_ID_LEN)).as_bytes())?;
        Ok(Sessions {
            store: self.clone(),
            prefix: prefix.to_string(),
            ttl,
        })
    }
}

/// Unpadded URL-safe base64 (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn well_formed(id: &str) -> bool {
    id.len() == SESSION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Sessions {
    /// The sliding TTL.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn pk(&self, id: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        self.store.check_open()?;
        if !well_formed(id) {
            return Ok(None);
        }
        let k = format!("{}:{id}", self.prefix).into_bytes();
        let pk = self.store.data_key(&k)?;
        Ok(Some((k, pk)))
    }

    fn expiry(&self) -> u64 {
        self.store.now_ms().saturating_add(ttl_ms(self.ttl))
    }

    /// Stores `data` under a new random id and returns the id.
    pub fn create(&self, data: &[u8]) -> Result<String> {
        check_value(data)?;
        loop {
            let mut raw = [0u8; 32];
            crate::random::fill(&mut raw)?;
            let id = base64url(&raw);
            let (_, pk) = self.pk(&id)?.expect("generated ids are well formed");
            let value = encode(Kind::Session, Some(self.expiry()), data);
            // Never overwrite: a (2^-256) collision just draws again.
            let fresh = self.store.insert_new(&pk, value)?;
            if fresh {
                return Ok(id);
            }
        }
    }

    /// The data of a live session, or `None`.
    pub fn get(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let Some((k, pk)) = self.pk(id)? else {
            return Ok(None);
        };
        match self.store.read_live(&pk)? {
            None => Ok(None),
            Some(raw) => {
                let e = Entry::decode(&raw)?;
                e.expect(Kind::Session, &k)?;
                Ok(Some(e.payload.to_vec()))
            }
        }
    }

    fn modify(&self, id: &str, data: Option<&[u8]>) -> Result<bool> {
        let Some((k, pk)) = self.pk(id)? else {
            return Ok(false);
        };
        let expires_at = self.expiry();
        self.store.update_entry(&pk, |cur| match cur {
            None => Ok((Write::Keep, false)),
            Some(e) => {
                e.expect(Kind::Session, &k)?;
                let payload = data.unwrap_or(e.payload);
                Ok((
                    Write::Put(encode(Kind::Session, Some(expires_at), payload)),
                    true,
                ))
            }
        })
    }

    /// Replaces a live session's data and restarts its TTL; false if it is missing or expired.
    pub fn update(&self, id: &str, data: &[u8]) -> Result<bool> {
        check_value(data)?;
        self.modify(id, Some(data))
    }

    /// Restarts a live session's TTL; false if it is missing or expired.
    pub fn touch(&self, id: &str) -> Result<bool> {
        self.modify(id, None)
    }

    /// Deletes a session; true if it was live.
    pub fn delete(&self, id: &str) -> Result<bool> {
        let Some((k, pk)) = self.pk(id)? else {
            return Ok(false);
        };
        self.store.update_entry(&pk, |cur| match cur {
            None => Ok((Write::Keep, false)),
            Some(e) => {
                e.expect(Kind::Session, &k)?;
                Ok((Write::Delete, true))
            }
        })
    }

    /// Whether a session is live.
    pub fn exists(&self, id: &str) -> Result<bool> {
        Ok(self.get(id)?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        for (input, want) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff], "-_8"),
        ] {
            assert_eq!(base64url(input), want);
        }
        assert_eq!(base64url(&[0u8; 32]).len(), SESSION_ID_LEN);
    }
}
