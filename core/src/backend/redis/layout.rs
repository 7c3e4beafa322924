//! Where Grove's keys live in Redis and how its values are written there.
//!
//! Every key of a store is `{grove}:` (or `{grove:NAME}:` for `?store=NAME`) followed by the physical key (`k` + namespace + the
//! caller's key for data, `m…` for metadata); the hash tag keeps one store's keys in one slot,
//! so multi-key scripts and transactions stay atomic. The sorted set `{grove}#index` (`{grove:NAME}#index`) lists
//! every physical key (all scores 0, so members sort by their bytes), which gives Grove's ordered
//! scans on a server whose own SCAN is unordered. A leaderboard is also the sorted set
//! `{grove}#lb:` + its physical member prefix (member → score, the true score), which its
//! operations rank from; each member keeps its Grove record (a key like any other) too, so the
//! key/value API sees members as on every engine. A queue lives in Redis's types only, under
//! `{grove}#q:` + its physical prefix (see [`Names::queue`] and the queue scripts): no record,
//! so its jobs are not listed by `keys()`.
//!
//! Values are Grove's envelope (`[kind][flags][expiry][payload]`) with two native touches, so
//! `redis-cli` and Redis itself understand them: an entry with an expiry also gets that
//! deadline as the key's own expiry (`PXAT`, so `PTTL` shows it and Redis reclaims it), and a
//! counter is stored as its decimal integer string (`GET` shows it; `INCRBY` works on it), its
//! expiry kept only as the key's. A lock is its owner's token as text with the lease as the
//! key's `PX` (the empty string once released), its fencing counter beside it (see
//! [`super::lock`]). An envelope's first byte is a kind tag (1-11), never `-`, a digit or a
//! letter, and an envelope is never empty, so the forms cannot be confused. Metadata values are
//! stored as they are.

use crate::error::{Error, Result};
use crate::value::{encode, Entry, Kind};

/// The key names of one store: `{grove}:` or `{grove:NAME}:` before every physical key, and
/// its index.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    /// Prepended to every physical key.
    pub prefix: Vec<u8>,
    /// The sorted set listing every physical key.
    pub index: Vec<u8>,
    /// Prepended to a leaderboard's physical member prefix to name its sorted set.
    boards: Vec<u8>,
    /// Prepended to a queue's physical prefix to name its hashes and sorted sets.
    queues: Vec<u8>,
    /// Prepended to a lock's physical key to name its fencing counter.
    fences: Vec<u8>,
}

impl Names {
    /// The names of the store called `name` (empty: the default store).
    pub(crate) fn new(name: &str) -> Names {
        let tag = if name.is_empty() {
            "{grove}".to_string()
        } else {
            format!("{{grove:{name}}}")
        };
        Names {
            prefix: format!("{tag}:").into_bytes(),
            index: format!("{tag}#index").into_bytes(),
            boards: format!("{tag}#lb:").into_bytes(),
            queues: format!("{tag}#q:").into_bytes(),
            fences: format!("{tag}#fence:").into_bytes(),
        }
    }

    /// The sorted set of the leaderboard whose members' physical keys start with `board`
    /// (`{grove}#lb:klb:scores:` for `lb:scores:` in the root namespace). Outside `{grove}:`, so
    /// no physical key can name it, and with the store's hash tag, so one script may touch it
    /// and the members' records together.
    pub(crate) fn board(&self, board: &[u8]) -> Vec<u8> {
        [&self.boards[..], board].concat()
    }

    /// The Redis keys of the queue whose physical prefix is `queue` (`kqueue:tasks:`), in the
    /// order every queue script takes them: its meta hash, jobs hash, schedule and dead-letter
    /// sorted sets (`{grove}#q:kqueue:tasks:meta`, `…:jobs`, `…:sched`, `…:dead`), and the meta
    /// record of the generic layout earlier builds wrote there (`{grove}:kqueue:tasks:meta`).
    /// Outside `{grove}:`, so no physical key can name them; the prefix ends with ':' and no part
    /// has one, so two queues' keys never meet.
    pub(crate) fn queue(&self, queue: &[u8]) -> [Vec<u8>; 5] {
        let part = |p: &str| [&self.queues[..], queue, p.as_bytes()].concat();
        [
            part("meta"),
            part("jobs"),
            part("sched"),
            part("dead"),
            self.key(&[queue, b"meta"].concat()),
        ]
    }

    /// The fencing counter of the lock at physical key `pk` (`{grove}#fence:klock:deploy`):
    /// outside `{grove}:`, so no physical key can name it, with the store's hash tag, and never
    /// expiring, so fencing tokens keep growing across expiries.
    pub(crate) fn fence(&self, pk: &[u8]) -> Vec<u8> {
        [&self.fences[..], pk].concat()
    }

    /// The Redis key of a physical key.
    pub(crate) fn key(&self, pk: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + pk.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(pk);
        k
    }
}

/// Largest deadline given to Redis as `PXAT` (later ones stay in the envelope only).
const MAX_PXAT: u64 = 1 << 52;

/// The key's own deadline for an entry expiring at `t`, when Redis should keep it.
pub(crate) fn deadline(t: u64, native_expiry: bool) -> Option<u64> {
    (native_expiry && t > 0 && t < MAX_PXAT).then_some(t)
}

/// A value as written to Redis: the bytes and the key's own deadline (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    /// The bytes `SET` stores (an envelope, or a counter's decimal text).
    pub raw: Vec<u8>,
    /// The key's own deadline (`PXAT`), so Redis expires it and `PTTL` shows it.
    pub pxat: Option<u64>,
}

/// Whether `pk` is a data key (holding envelopes) rather than metadata.
fn is_data(pk: &[u8]) -> bool {
    pk.first() == Some(&crate::store::DATA_MARKER)
}

/// Whether stored bytes are a counter's decimal form.
pub(crate) fn is_decimal(raw: &[u8]) -> bool {
    matches!(raw.first(), Some(b'-' | b'0'..=b'9'))
}

/// How the value `v` of physical key `pk` is written to Redis; `native_expiry` false (a clock
/// other than the server's was given, as tests do) keeps every expiry in the envelope only.
pub(crate) fn to_stored(pk: &[u8], v: &[u8], native_expiry: bool) -> Result<Stored> {
    if !is_data(pk) {
        return Ok(Stored {
            raw: v.to_vec(),
            pxat: None,
        });
    }
    let e = Entry::decode_stored(v)?;
    if let Some(s) = super::lock::to_text(&e) {
        return Ok(s);
    }
    let pxat = e.expires_at.and_then(|t| deadline(t, native_expiry));
    if e.kind == Kind::Counter && e.expires_at == pxat {
        let n = i64::from_le_bytes(
            e.payload
                .try_into()
                .map_err(|_| Error::corrupt("counter payload is not 8 bytes"))?,
        );
        return Ok(Stored {
            raw: n.to_string().into_bytes(),
            pxat,
        });
    }
    Ok(Stored {
        raw: v.to_vec(),
        pxat,
    })
}

/// The envelope of physical key `pk` from what Redis holds: `raw` and its `PEXPIRETIME`
/// (negative when it has none).
pub(crate) fn from_stored(pk: &[u8], raw: Vec<u8>, pexpiretime: i64) -> Result<Vec<u8>> {
    if !is_data(pk) {
        return Ok(raw);
    }
    if let Some(env) = super::lock::from_text(&raw, pexpiretime) {
        return Ok(env);
    }
    if !is_decimal(&raw) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(&raw).map_err(|_| Error::corrupt("counter is not text"))?;
    let n: i64 = text
        .parse()
        .map_err(|_| Error::corrupt(format!("counter holds {text:?}, not an integer")))?;
    let expires_at = u64::try_from(pexpiretime).ok();
    Ok(encode(Kind::Counter, expires_at, &n.to_le_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_decimal_and_everything_else_round_trips() {
        let pk = b"kcounter:x";
        for (n, exp) in [
            (0i64, None),
            (-5, Some(1_700_000_000_000u64)),
            (i64::MAX, None),
        ] {
            let env = encode(Kind::Counter, exp, &n.to_le_bytes());
            let s = to_stored(pk, &env, true).unwrap();
            assert_eq!(s.raw, n.to_string().into_bytes());
            assert_eq!(s.pxat, exp);
            let back = from_stored(pk, s.raw, exp.map_or(-1, |t| t as i64)).unwrap();
            assert_eq!(back, env);
        }
        for env in [
            encode(Kind::Bytes, None, b"12"),
            encode(Kind::Bytes, Some(5), b"-"),
            encode(Kind::Counter, Some(u64::MAX), &1i64.to_le_bytes()),
        ] {
            let s = to_stored(pk, &env, true).unwrap();
            assert_eq!(s.raw, env);
            assert_eq!(from_stored(pk, s.raw, -1).unwrap(), env);
        }
        // Without native expiry a counter with an expiry stays an envelope.
        let env = encode(Kind::Counter, Some(1_700_000_000_000), &3i64.to_le_bytes());
        let s = to_stored(pk, &env, false).unwrap();
        assert_eq!((s.raw.clone(), s.pxat), (env.clone(), None));
        // Metadata is stored as is, even when it looks like a number.
        let s = to_stored(b"mnode_id", b"1234", true).unwrap();
        assert_eq!(s.raw, b"1234");
        assert_eq!(from_stored(b"mnode_id", s.raw, -1).unwrap(), b"1234");
    }
}
