//! The envelope around every stored value: what kind of thing it is, and when it expires.
//!
//! Layout: `[kind: u8][flags: u8][expires_at_ms: u64 BE, if flags & 1][payload]`.
//! The kind tag is what turns "a counter used as a string" into `WrongType` instead of garbage.

use crate::error::{Error, ErrorKind, Result};

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// Plain bytes written by `set`.
    Bytes = 1,
    /// An atomic signed 64-bit counter.
    Counter = 2,
    /// A distributed lock.
    Lock = 3,
    /// Rate-limiter state.
    RateLimit = 4,
    /// A session.
    Session = 5,
    /// Leaderboard data.
    Leaderboard = 6,
    /// Job-queue data.
    Queue = 7,
    /// A CRDT PN-counter.
    CrdtCounter = 8,
    /// A CRDT LWW register.
    CrdtRegister = 9,
    /// A CRDT add-wins set.
    CrdtSet = 10,
    /// A CRDT map of LWW fields.
    CrdtMap = 11,
}

impl Kind {
    /// The kind for a stored tag byte.
    pub fn from_tag(tag: u8) -> Option<Kind> {
        use Kind::*;
        Some(match tag {
            1 => Bytes,
            2 => Counter,
            3 => Lock,
            4 => RateLimit,
            5 => Session,
            6 => Leaderboard,
            7 => Queue,
            8 => CrdtCounter,
            9 => CrdtRegister,
            10 => CrdtSet,
            11 => CrdtMap,
            _ => return None,
        })
    }

    /// A short lowercase name (`"string"`, `"counter"`, …) for messages and `grove kv type`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bytes => "string",
            Kind::Counter => "counter",
            Kind::Lock => "lock",
            Kind::RateLimit => "ratelimit",
            Kind::Session => "session",
            Kind::Leaderboard => "leaderboard",
            Kind::Queue => "queue",
            Kind::CrdtCounter => "crdt-counter",
            Kind::CrdtRegister => "crdt-register",
            Kind::CrdtSet => "crdt-set",
            Kind::CrdtMap => "crdt-map",
        }
    }
}

/// Flag: an expiry follows the flags byte.
pub(crate) const FLAG_EXPIRES: u8 = 1;
/// Flag: the payload is compressed (see `backend::codec`); primitives never see it set.
pub(crate) const FLAG_COMPRESSED: u8 = 2;
/// Flag: the payload is sealed (see `backend::codec`); primitives never see it set.
pub(crate) const FLAG_SEALED: u8 = 4;

/// A decoded envelope borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    /// What the key holds, checked on every read so a kind mix-up is `WrongType`.
    pub kind: Kind,
    /// Expiry in ms since the epoch (`None`: never).
    pub expires_at: Option<u64>,
    /// The kind's own bytes, borrowed from the stored value.
    pub payload: &'a [u8],
}

impl<'a> Entry<'a> {
    /// Decodes stored bytes; anything malformed is `Corrupt`.
    pub fn decode(bytes: &'a [u8]) -> Result<Entry<'a>> {
        Entry::decode_flags(bytes, FLAG_EXPIRES)
    }

    /// Decodes an envelope as an engine stores it, payload possibly compressed or sealed
    /// (engines read only the kind and the expiry of it).
    pub(crate) fn decode_stored(bytes: &'a [u8]) -> Result<Entry<'a>> {
        Entry::decode_flags(bytes, FLAG_EXPIRES | FLAG_COMPRESSED | FLAG_SEALED)
    }

    fn decode_flags(bytes: &'a [u8], known: u8) -> Result<Entry<'a>> {
        if bytes.len() < 2 {
            return Err(Error::corrupt("stored value is too short for its header"));
        }
        let kind = Kind::from_tag(bytes[0])
            .ok_or_else(|| Error::corrupt(format!("unknown value kind tag {}", bytes[0])))?;
        let flags = bytes[1];
        if flags & !known != 0 {
            return Err(Error::corrupt(format!("unknown value flags {flags:#x}")));
        }
        if flags & FLAG_EXPIRES != 0 {
            if bytes.len() < 10 {
                return Err(Error::corrupt("stored value is too short for its expiry"));
            }
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&bytes[2..10]);
            Ok(Entry {
                kind,
                expires_at: Some(u64::from_be_bytes(ts)),
                payload: &bytes[10..],
            })
        } else {
            Ok(Entry {
                kind,
                expires_at: None,
                payload: &bytes[2..],
            })
        }
    }

    /// Whether the entry's expiry has passed at `now_ms`.
    pub fn expired_at(&self, now_ms: u64) -> bool {
        matches!(self.expires_at, Some(t) if now_ms >= t)
    }

    /// Fails with `WrongType` unless the entry is of `want`; `key` names it in the message.
    pub fn expect(&self, want: Kind, key: &[u8]) -> Result<()> {
        if self.kind == want {
            Ok(())
        } else {
            Err(wrong_type(key, self.kind, want))
        }
    }
}

/// The `WrongType` error for `key` holding `have` when `want` was needed.
pub(crate) fn wrong_type(key: &[u8], have: Kind, want: Kind) -> Error {
    Error::new(
        ErrorKind::WrongType,
        format!(
            "key '{}' holds a {}, not a {}",
            String::from_utf8_lossy(key),
            have.name(),
            want.name()
        ),
    )
}

/// Encodes an envelope.
pub(crate) fn encode(kind: Kind, expires_at: Option<u64>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(10 + payload.len());
    out.push(kind as u8);
    match expires_at {
        Some(t) => {
            out.push(FLAG_EXPIRES);
            out.extend_from_slice(&t.to_be_bytes());
        }
        None => out.push(0),
    }
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_expiry() {
        for exp in [None, Some(0), Some(u64::MAX), Some(12345)] {
            let bytes = encode(Kind::Counter, exp, b"payload");
            let e = Entry::decode(&bytes).unwrap();
            assert_eq!(e.kind, Kind::Counter);
            assert_eq!(e.expires_at, exp);
            assert_eq!(e.payload, b"payload");
        }
    }

    #[test]
    fn malformed_is_corrupt_never_a_panic() {
        for bad in [&[][..], &[1], &[0, 0], &[99, 0], &[1, 2], &[1, 1, 0, 0]] {
            assert_eq!(Entry::decode(bad).unwrap_err().kind(), ErrorKind::Corrupt);
        }
        for tag in 0..=255u8 {
            for flags in 0..=255u8 {
                let _ = Entry::decode(&[tag, flags, 1, 2, 3]);
            }
        }
    }

    #[test]
    fn expiry_is_inclusive() {
        let bytes = encode(Kind::Bytes, Some(100), b"");
        let e = Entry::decode(&bytes).unwrap();
        assert!(!e.expired_at(99));
        assert!(e.expired_at(100));
    }
}
