//! The session store: `<prefix>:<id>` with 257-bit ids from the OS CSPRNG and a sliding TTL.
//!
//! An id is 43 URL-safe characters (the unpadded base64url alphabet) and never starts with `-`:
//! people paste ids into shells, where a leading `-` reads as a flag. The first character is one
//! of 32 letters (5 random bits) and the other 42 carry 6 random bits each, so an id holds
//! 257 random bits, never fewer than the 256 promised. Ids issued before this rule (one in 64
//! began with `-`) stay valid: lookups accept any 43-character base64url text.
//!
//! `update` and `touch` only ever modify a live session; a missing or expired one is never
//! recreated. An id that is not one Grove could have issued simply is not found (ids come from
//! clients, so a malformed cookie is not an error).

use crate::backend::caps::{EntryEdit, EntryStep};
use crate::backend::Write;
use crate::error::{Error, Result};
use crate::store::{check_value, ttl_ms, Store};
use crate::value::{encode, wrong_type, Entry, Kind};
use std::time::Duration;

/// Length of a session id: a random letter, then 42 random base64url characters (257 bits).
pub const SESSION_ID_LEN: usize = 43;

/// The unpadded URL-safe base64 alphabet (RFC 4648 §5); its first 32 characters are letters.
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A new id from 33 CSPRNG bytes: 5 bits pick a leading letter, 252 bits make the other 42
/// characters (base64 of 32 bytes is 43 characters whose last holds only 4 bits: dropped).
fn new_id(raw: &[u8; 33]) -> String {
    let mut id = String::with_capacity(SESSION_ID_LEN);
    id.push(BASE64URL[(raw[0] & 31) as usize] as char);
    id.push_str(&base64url(&raw[1..])[..SESSION_ID_LEN - 1]);
    id
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
        self.store.measured(crate::metrics::Op::SessionCreate, || {
            check_value(data)?;
            loop {
                let mut raw = [0u8; 33];
                crate::random::fill(&mut raw)?;
                let id = new_id(&raw);
                // Never overwrite: a (2^-257) collision just draws again.
                if self.insert(&id, data)? {
                    return Ok(id);
                }
            }
        })
    }

    /// Stores a session under `id` unless one exists there; true if it was stored.
    fn insert(&self, id: &str, data: &[u8]) -> Result<bool> {
        let (_, pk) = self.pk(id)?.expect("ids given to insert are well formed");
        let value = encode(Kind::Session, Some(self.expiry()), data);
        self.store.insert_new(&pk, value)
    }

    /// The data of a live session, or `None`.
    pub fn get(&self, id: &str) -> Result<Option<Vec<u8>>> {
        self.store
            .measured(crate::metrics::Op::SessionGet, || self.get_unmeasured(id))
    }

    fn get_unmeasured(&self, id: &str) -> Result<Option<Vec<u8>>> {
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
        // The new record is made up front only for an engine that edits entries natively; the
        // generic path makes it once, inside its update (a session can be a large value).
        if self.store.backend()?.native_entry().is_some() {
            let value = data.map(|d| encode(Kind::Session, Some(expires_at), d));
            let edit = match &value {
                Some(v) => EntryEdit::Replace(v),
                None => EntryEdit::Expire(expires_at),
            };
            if let Some(done) = self.native(&k, &pk, edit)? {
                return Ok(done);
            }
        }
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

    /// `edit` on the live session at `pk` in one step when the engine can: whether it was live
    /// (`None`: take the generic path).
    fn native(&self, k: &[u8], pk: &[u8], edit: EntryEdit<'_>) -> Result<Option<bool>> {
        match self.store.edit_native(pk, Some(Kind::Session), &[], edit)? {
            Some(EntryStep::Done { .. }) => Ok(Some(true)),
            Some(EntryStep::Absent) => Ok(Some(false)),
            Some(EntryStep::WrongKind(have)) => Err(wrong_type(k, have, Kind::Session)),
            Some(EntryStep::Generic) | None => Ok(None),
        }
    }

    /// Replaces a live session's data and restarts its TTL; false if it is missing or expired.
    pub fn update(&self, id: &str, data: &[u8]) -> Result<bool> {
        self.store.measured(crate::metrics::Op::SessionUpdate, || {
            check_value(data)?;
            self.modify(id, Some(data))
        })
    }

    /// Restarts a live session's TTL; false if it is missing or expired.
    pub fn touch(&self, id: &str) -> Result<bool> {
        self.store
            .measured(crate::metrics::Op::SessionTouch, || self.modify(id, None))
    }

    /// Deletes a session; true if it was live.
    pub fn delete(&self, id: &str) -> Result<bool> {
        self.store.measured(crate::metrics::Op::SessionDelete, || {
            let Some((k, pk)) = self.pk(id)? else {
                return Ok(false);
            };
            if let Some(done) = self.native(&k, &pk, EntryEdit::Delete)? {
                return Ok(done);
            }
            self.store.update_entry(&pk, |cur| match cur {
                None => Ok((Write::Keep, false)),
                Some(e) => {
                    e.expect(Kind::Session, &k)?;
                    Ok((Write::Delete, true))
                }
            })
        })
    }

    /// Whether a session is live.
    pub fn exists(&self, id: &str) -> Result<bool> {
        self.store.measured(crate::metrics::Op::SessionExists, || {
            Ok(self.get_unmeasured(id)?.is_some())
        })
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

    #[test]
    fn new_ids_lead_with_a_letter_and_keep_every_random_bit() {
        // The id uses the first byte's 5 low bits and the next 32 bytes' first 252 bits; the
        // last 4 bits would land in a 43rd base64 character, which is dropped.
        assert_eq!(new_id(&[0; 33]), "A".repeat(SESSION_ID_LEN));
        assert_eq!(new_id(&[0xff; 33]), format!("f{}", "_".repeat(42)));
        let mut raw = [0u8; 33];
        raw[0] = 0xe0; // the 3 high bits are not used
        raw[1] = 0xf8; // 111110 00…: `-` right after the letter
        assert_eq!(new_id(&raw), format!("A-{}", "A".repeat(41)));
        for first in 0..=255u8 {
            raw[0] = first;
            let id = new_id(&raw);
            assert!(
                id.as_bytes()[0].is_ascii_alphabetic() && well_formed(&id),
                "{id}"
            );
        }
    }

    #[test]
    fn ids_issued_before_the_leading_letter_still_work() {
        let db = Store::open_memory();
        let s = db.sessions(Duration::from_secs(60), "sess").unwrap();
        let old = base64url(&[0xfb; 32]);
        assert!(old.starts_with('-') && well_formed(&old), "{old}");
        assert!(s.insert(&old, b"v1").unwrap());
        assert_eq!(s.get(&old).unwrap(), Some(b"v1".to_vec()));
        assert!(s.update(&old, b"v2").unwrap());
        assert!(s.touch(&old).unwrap());
        assert_eq!(s.get(&old).unwrap(), Some(b"v2".to_vec()));
        assert!(s.delete(&old).unwrap());
        assert!(!s.exists(&old).unwrap());
    }
}
