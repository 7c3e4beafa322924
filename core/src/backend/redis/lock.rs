//! Locks native to Redis: the lock's key holds its owner's token as text with the lease as the
//! key's own expiry, and a fencing counter beside it never expires.
//!
//! Layout, for lock `deploy` in the default store (`redis-cli` reads all of it):
//!
//! - `{grove}:klock:deploy`: the owner's token, 32 letters `a`-`p` (one per 4 bits of the 128-bit
//!   token, so the text never reads as a number or as Grove's envelope), with the lease as `PX`
//!   (`GET` shows the token, `PTTL` the lease; Redis reclaims the key when the lease runs out).
//!   A released lock is the empty string, without expiry, until the key is deleted. On a store
//!   with an injected clock (tests) Redis must not expire anything, so the lease follows the
//!   token as `@<ms since the epoch>`.
//! - `{grove}#fence:klock:deploy`: the fencing counter, an integer (`INCR`) that never expires, so
//!   fencing tokens keep growing across expiries and releases.
//!
//! Both keys carry the store's hash tag, so every script declares them all in `KEYS` and runs on
//! a cluster too. The key/value API reads the lock's key as a lock record (kind `lock`), so
//! `kind_of`, `keys` and `WrongType` behave as on every engine. A lock record written by an
//! earlier build (Grove's envelope at the key) is honoured: a live one stays held until its
//! lease ends, and the first write after it moves its fencing token to the counter.
//!
//! Lock tokens are random handles, not user data: they are stored as they are even when the
//! store encrypts at rest (see `codec.rs`).

use super::conn::Effect;
use super::{next_as, tagged, RedisBackend};
use crate::backend::caps::{LockStep, NativeLock};
use crate::error::Result;
use crate::lock::LockInfo;
use crate::value::{encode, Entry, Kind};
use std::sync::OnceLock;
use std::time::Duration;

/// The longest lease given to Redis (2^46 ms, about 2,200 years): a longer one is cut to it.
const MAX_LEASE_MS: u64 = 1 << 46;

/// A lock record's fence standing for "the fence lives in the counter; the lease is the key's
/// own `PX`" when the layout hands the key/value API a native lock (generic lock records start
/// at 1, so none is 0).
const FENCE_NATIVE_PX: u64 = 0;

/// As [`FENCE_NATIVE_PX`], for a lease written as `@<ms>` after the token (injected clock). No
/// generic record reaches it: fences past 2^64 - 1 are an `Overflow` error.
const FENCE_NATIVE_AT: u64 = u64::MAX;

/// A token as the letters stored at the lock's key.
fn letters(token: &[u8]) -> String {
    token
        .iter()
        .flat_map(|b| [b'a' + (b >> 4), b'a' + (b & 15)])
        .map(char::from)
        .collect()
}

/// The token of stored letters, if `text` is letters `a`-`p` in pairs.
fn unletters(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.iter().all(|c| (b'a'..=b'p').contains(c)) {
        return None;
    }
    Some(
        text.chunks(2)
            .map(|p| (p[0] - b'a') << 4 | (p[1] - b'a'))
            .collect(),
    )
}

/// The lock record the key/value API sees for a native lock value (`raw` with its
/// `PEXPIRETIME`), or `None` when `raw` is not one.
pub(super) fn from_text(raw: &[u8], pexpiretime: i64) -> Option<Vec<u8>> {
    let (token, fence, lease) = if raw.is_empty() {
        (Vec::new(), FENCE_NATIVE_PX, 0)
    } else {
        match raw.iter().position(|&c| c == b'@') {
            Some(at) => {
                let lease = std::str::from_utf8(&raw[at + 1..]).ok()?.parse().ok()?;
                (unletters(&raw[..at])?, FENCE_NATIVE_AT, lease)
            }
            None => (
                unletters(raw)?,
                FENCE_NATIVE_PX,
                u64::try_from(pexpiretime).unwrap_or(0),
            ),
        }
    };
    if token.is_empty() != raw.is_empty() || token.len() > 255 {
        return None;
    }
    let mut p = Vec::with_capacity(17 + token.len());
    p.extend_from_slice(&fence.to_be_bytes());
    p.extend_from_slice(&lease.to_be_bytes());
    p.push(token.len() as u8);
    p.extend_from_slice(&token);
    Some(encode(Kind::Lock, None, &p))
}

/// The native text (and key deadline) of a lock record [`from_text`] made, so a generic
/// compare-and-swap on the lock's key (a key/value `delete`) finds the bytes it read; `None`
/// for every other value.
pub(super) fn to_text(e: &Entry<'_>) -> Option<super::layout::Stored> {
    if e.kind != Kind::Lock || e.expires_at.is_some() {
        return None;
    }
    let p = e.payload;
    if p.len() < 17 || p.len() != 17 + p[16] as usize {
        return None;
    }
    let fence = u64::from_be_bytes(p[0..8].try_into().ok()?);
    let lease = u64::from_be_bytes(p[8..16].try_into().ok()?);
    let token = &p[17..];
    let mut raw = letters(token).into_bytes();
    let pxat = match fence {
        FENCE_NATIVE_PX => (lease > 0 && !token.is_empty()).then_some(lease),
        FENCE_NATIVE_AT => {
            raw.extend_from_slice(format!("@{lease}").as_bytes());
            None
        }
        _ => return None,
    };
    Some(super::layout::Stored { raw, pxat })
}

/// What the lock scripts share, kept small: a script's prelude runs on every call. KEYS[1] is
/// the lock's key; ARGV[2] the time ('' for the server's). `state(v)` is the owner (letters, or
/// the bytes of an earlier build's record), the lease (nil: the key's own PX, live while the
/// key is), that record's fence (0 for none) and whether it is one; or nil and a reply for a
/// value the generic path must decide on. Numbers stay below 2^53 (LIM), where Lua's doubles are
/// exact.
const LOCK_LIB: &str = r"
local LIM = 9007199254740991
local T = ARGV[2]
local clock
local function now()
  if not clock then
    if T ~= '' then
      clock = tonumber(T)
    else
      local t = redis.call('TIME')
      clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
  end
  return clock
end
local function state(v)
  if not v or v == '' then return '', 0, 0, false end
  local b = string.byte(v, 1)
  if b >= 97 and b <= 112 then
    local tok, at = v, nil
    local i = string.find(v, '@', 1, true)
    if i then tok, at = string.sub(v, 1, i - 1), tonumber(string.sub(v, i + 1)) end
    -- Anything else starting with a letter is not Grove's.
    if #tok % 2 ~= 0 or not string.match(tok, '^[a-p]+$') or (i and not at) then
      return nil, {-2}
    end
    return tok, at, 0, false
  end
  -- Grove's record: [3][flags][expiry if flags is 1] fence, lease (u64 BE), owner length,
  -- owner. Written by an earlier build, or by a key/value expire of this layout's lock (whose
  -- fence, 0 or 2^64 - 1, says the counter has it).
  local flags = string.byte(v, 2)
  if b ~= 3 or (flags ~= 0 and flags ~= 1) then return nil, {-2} end
  local o = 8 * flags
  if #v < 19 + o or #v ~= 19 + o + string.byte(v, 19 + o) then return nil, {-2} end
  local function rd(i)
    local n = 0
    for k = i, i + 7 do n = n * 256 + string.byte(v, k) end
    return n
  end
  if flags == 1 then
    local exp = rd(3)
    if exp >= LIM then return nil, {-2} end
    if now() >= exp then return '', 0, 0, true end
  end
  local fence, lease = rd(3 + o), rd(11 + o)
  if fence >= 18446744073709551615 then
    fence = 0
  elseif fence >= LIM - 1 or lease >= LIM then
    return nil, {-2}
  end
  return string.sub(v, 20 + o), lease, fence, true
end
";

/// Try-acquire. KEYS: the lock, the index, the fence. ARGV: member, time, ttl ms, token
/// letters, previous token letters ('' none), previous token bytes. {1, fence}; {0} held by
/// another; {-2} the generic path decides (another kind, a value it does not read).
const LOCK_ACQUIRE: &str = r"
local ttl = tonumber(ARGV[3])
if T ~= '' and now() + ttl >= LIM then return {-2} end
local v = redis.call('GET', KEYS[1])
local owner, lease, fence, old = state(v)
if not owner then return lease end
if owner ~= '' and (lease == nil or now() < lease) then
  local prev = ARGV[5]
  if old then prev = ARGV[6] end
  if prev == '' or owner ~= prev then return {0} end
end
local f
if old then
  f = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'), fence) + 1
  redis.call('SET', KEYS[3], string.format('%d', f))
else
  f = redis.call('INCR', KEYS[3])
end
if T == '' then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[4] .. '@' .. string.format('%d', now() + ttl))
end
if not v then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
return {1, f}
";

/// Release ('r') or extend ('e' by ARGV[6] ms) by the owner. KEYS: the lock, the fence. ARGV:
/// member, time, token letters, token bytes, mode, ms. {1} changed; {0} not ours; {-2}.
const LOCK_CHANGE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
local owner, lease, fence, old = state(v)
if not owner then return lease end
if owner == '' or (lease ~= nil and now() >= lease) then return {0} end
if old then
  if owner ~= ARGV[4] then return {0} end
elseif owner ~= ARGV[3] then
  return {0}
end
local ms = tonumber(ARGV[6])
if ARGV[5] == 'e' and T ~= '' and now() + ms >= LIM then return {-2} end
if old and fence > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], string.format('%d', fence))
end
if ARGV[5] == 'r' then
  redis.call('SET', KEYS[1], '')
elseif T ~= '' then
  redis.call('SET', KEYS[1], ARGV[3] .. '@' .. string.format('%d', now() + ms))
elseif old then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ms)
else
  redis.call('PEXPIRE', KEYS[1], ms)
end
return {1}
";

/// The state as any observer sees it. KEYS: the lock, the fence. ARGV: member, time.
/// {1, held (0/1), fence, ms left}; {-2}.
const LOCK_INFO: &str = r"
local owner, lease, fence = state(redis.call('GET', KEYS[1]))
if not owner then return lease end
local f = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), fence)
if owner == '' or (lease ~= nil and now() >= lease) then return {1, 0, f, 0} end
if lease == nil then return {1, 1, f, redis.call('PTTL', KEYS[1])} end
return {1, 1, f, lease - now()}
";

/// The lock scripts, hashed once per process.
struct LockScripts {
    acquire: redis::Script,
    change: redis::Script,
    info: redis::Script,
}

fn scripts() -> &'static LockScripts {
    static S: OnceLock<LockScripts> = OnceLock::new();
    S.get_or_init(|| LockScripts {
        acquire: redis::Script::new(&[LOCK_LIB, LOCK_ACQUIRE].concat()),
        change: redis::Script::new(&[LOCK_LIB, LOCK_CHANGE].concat()),
        info: redis::Script::new(&[LOCK_LIB, LOCK_INFO].concat()),
    })
}

impl NativeLock for RedisBackend {
    fn lock_acquire(
        &self,
        pk: &[u8],
        now_ms: u64,
        ttl_ms: u64,
        token: &[u8],
        previous: Option<&[u8]>,
    ) -> Result<LockStep> {
        let mut inv = scripts().acquire.prepare_invoke();
        inv.key(self.names.key(pk))
            .key(&self.names.index)
            .key(self.names.fence(pk))
            .arg(pk)
            .arg(self.time_arg(now_ms))
            .arg(ttl_ms.min(MAX_LEASE_MS))
            .arg(letters(token))
            .arg(previous.map(letters).unwrap_or_default())
            .arg(previous.unwrap_or_default());
        let (tag, mut it) = tagged(self.pool.run(Effect::Write, |c| inv.invoke(c))?)?;
        Ok(match tag {
            1 => LockStep::Done(next_as(&mut it)?),
            0 => LockStep::Refused,
            _ => LockStep::Generic,
        })
    }

    fn lock_change(
        &self,
        pk: &[u8],
        now_ms: u64,
        token: &[u8],
        extend_ms: Option<u64>,
    ) -> Result<LockStep> {
        let mut inv = scripts().change.prepare_invoke();
        inv.key(self.names.key(pk))
            .key(self.names.fence(pk))
            .arg(pk)
            .arg(self.time_arg(now_ms))
            .arg(letters(token))
            .arg(token)
            .arg(if extend_ms.is_some() { "e" } else { "r" })
            .arg(extend_ms.unwrap_or(0).min(MAX_LEASE_MS));
        let (tag, _) = tagged(self.pool.run(Effect::Write, |c| inv.invoke(c))?)?;
        Ok(match tag {
            1 => LockStep::Done(0),
            0 => LockStep::Refused,
            _ => LockStep::Generic,
        })
    }

    fn lock_info(&self, pk: &[u8], now_ms: u64) -> Result<Option<LockInfo>> {
        let mut inv = scripts().info.prepare_invoke();
        inv.key(self.names.key(pk))
            .key(self.names.fence(pk))
            .arg(pk)
            .arg(self.time_arg(now_ms));
        let (tag, mut it) = tagged(self.pool.run(Effect::Read, |c| inv.invoke(c))?)?;
        if tag != 1 {
            return Ok(None);
        }
        let held: i64 = next_as(&mut it)?;
        let fencing_token: u64 = next_as(&mut it)?;
        let left: i64 = next_as(&mut it)?;
        let held = held == 1;
        Ok(Some(LockInfo {
            held,
            fencing_token,
            expires_in: held.then(|| Duration::from_millis(left.max(0) as u64)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_as_letters_and_records_as_text() {
        let token: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(37)).collect();
        let text = letters(&token);
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|c| (b'a'..=b'p').contains(&c)));
        assert_eq!(unletters(text.as_bytes()).unwrap(), token);
        // Held on the server's clock: the lease is the key's own deadline.
        let env = from_text(text.as_bytes(), 1_700_000_000_000).unwrap();
        let s = to_text(&Entry::decode(&env).unwrap()).unwrap();
        assert_eq!(
            (s.raw, s.pxat),
            (text.clone().into_bytes(), Some(1_700_000_000_000))
        );
        // Held on an injected clock: the lease follows the token.
        let at = format!("{text}@1234");
        let env = from_text(at.as_bytes(), -1).unwrap();
        let s = to_text(&Entry::decode(&env).unwrap()).unwrap();
        assert_eq!((s.raw, s.pxat), (at.into_bytes(), None));
        // Released.
        let env = from_text(b"", -1).unwrap();
        let s = to_text(&Entry::decode(&env).unwrap()).unwrap();
        assert_eq!((s.raw, s.pxat), (Vec::new(), None));
        // Not a lock's text: numbers, envelopes, odd lengths, other letters.
        for raw in [&b"12"[..], b"\x03\x00", b"abc", b"zz", b"ab@x"] {
            assert_eq!(from_text(raw, -1), None, "{raw:?}");
        }
        // A record the generic path wrote stays Grove's envelope.
        let mut p = 1u64.to_be_bytes().to_vec();
        p.extend_from_slice(&5u64.to_be_bytes());
        p.push(0);
        assert!(to_text(&Entry::decode(&encode(Kind::Lock, None, &p)).unwrap()).is_none());
    }
}
