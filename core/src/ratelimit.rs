//! A true sliding-window rate limiter at `ratelimit:<name>:<key>`.
//!
//! Each key keeps the log of admitted costs by millisecond inside the window; a request is
//! admitted only if the costs already admitted in `(now - window, now]` plus its own fit in
//! `limit`, so no window-long interval ever admits more than `limit` (a token bucket or GCRA
//! with burst = limit can admit twice that). The log holds at most [`MAX_LOG_ENTRIES`]
//! distinct milliseconds, so it is exact for up to that many admitted requests per window; past
//! that, the two entries closest in time are merged into the later one, which can only
//! over-count (refuse a little early), never admit more than `limit`. The log is stored as
//! varint deltas, a few bytes per entry.
//!
//! An engine with native rate limiters (Redis: one script on the server's clock) runs `allow`
//! and `peek` as one atomic step over these same bytes, and hands back to the code here any
//! record or number it cannot handle exactly, so both paths read each other's state.

use crate::backend::caps::NativeRateLimit;
use crate::backend::Write;
use crate::error::{Error, Result};
use crate::leaderboard::check_name;
use crate::store::{Store, MAX_KEY_LEN};
use crate::value::{encode, Entry, Kind};
use std::time::Duration;

/// The key prefix of every limiter's state: `ratelimit:<name>:<key>`.
const PREFIX: &str = "ratelimit:";

/// Most distinct timestamps kept per key before old entries are merged conservatively.
pub const MAX_LOG_ENTRIES: usize = 256;

/// The outcome of [`RateLimiter::allow`] or [`RateLimiter::peek`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Whether the request was admitted (for `peek`: whether a cost-1 request would be).
    pub allowed: bool,
    /// Cost that could still be admitted right now.
    pub remaining: u64,
    /// Time until everything admitted so far has left the window (full capacity again).
    pub reset_after: Duration,
    /// When refused: time until this request's cost would fit; zero when allowed.
    pub retry_after: Duration,
}

/// A sliding-window limiter admitting at most `limit` summed cost per `window`, per key.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    store: Store,
    name: String,
    limit: u64,
    window_ms: u64,
}

type Log = Vec<(u64, u64)>;

impl Store {
    /// A rate limiter named `name` admitting `limit` (summed cost) per sliding `window`, keeping
    /// its state under `ratelimit:<name>:`. `name` may not contain ':' (so one limiter's keys
    /// never fall under another's prefix), and `ratelimit:<name>:` plus a one-byte key must fit
    /// in [`MAX_KEY_LEN`].
    pub fn rate_limiter(&self, name: &str, limit: u64, window: Duration) -> Result<RateLimiter> {
        self.check_open()?;
        check_name(name, "rate limiter")?;
        let longest = MAX_KEY_LEN - PREFIX.len() - 2;
        if name.len() > longest {
            return Err(Error::invalid(format!(
                "rate limiter name is {} bytes, the limit is {longest} \
                 (the key {PREFIX}<name>:<key> may be at most {MAX_KEY_LEN} bytes)",
                name.len()
            )));
        }
        if limit == 0 {
            return Err(Error::invalid("rate limit must be at least 1"));
        }
        let window_ms = window.as_millis();
        if window_ms == 0 || window_ms > u64::MAX as u128 / 4 {
            return Err(Error::invalid(
                "rate limit window must be at least 1 ms (and finite)",
            ));
        }
        Ok(RateLimiter {
            store: self.clone(),
            name: name.to_string(),
            limit,
            window_ms: window_ms as u64,
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(p: &mut &[u8]) -> Result<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = p
            .split_first()
            .ok_or_else(|| Error::corrupt("rate limiter log is truncated"))?;
        *p = rest;
        v |= ((b & 0x7f) as u64)
            .checked_shl(shift)
            .filter(|x| x >> shift == (b & 0x7f) as u64)
            .ok_or_else(|| Error::corrupt("rate limiter varint overflows"))?;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Error::corrupt("rate limiter varint is too long"))
}

/// Layout: varint count, then per entry varint(time delta from the previous, from 0 for the
/// first) and varint(cost).
fn decode_log(e: &Entry<'_>, key: &[u8]) -> Result<Log> {
    e.expect(Kind::RateLimit, key)?;
    let mut p = e.payload;
    let n = get_varint(&mut p)?;
    if n > MAX_LOG_ENTRIES as u64 {
        return Err(Error::corrupt("rate limiter log is too long"));
    }
    let mut log = Vec::with_capacity(n as usize);
    let mut t: u64 = 0;
    for _ in 0..n {
        t = t
            .checked_add(get_varint(&mut p)?)
            .ok_or_else(|| Error::corrupt("rate limiter time overflows"))?;
        log.push((t, get_varint(&mut p)?));
    }
    if !p.is_empty() {
        return Err(Error::corrupt("rate limiter log has trailing bytes"));
    }
    Ok(log)
}

fn encode_log(log: &Log, expires_at: u64) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + log.len() * 4);
    put_varint(&mut p, log.len() as u64);
    let mut prev = 0;
    for (t, c) in log {
        put_varint(&mut p, t - prev);
        put_varint(&mut p, *c);
        prev = *t;
    }
    encode(Kind::RateLimit, Some(expires_at), &p)
}

impl RateLimiter {
    /// The admitted cost per window.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The window length.
    pub fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }

    fn key(&self, key: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        if key.is_empty() {
            return Err(Error::invalid("rate limit key is empty"));
        }
        let longest = MAX_KEY_LEN - PREFIX.len() - self.name.len() - 1;
        if key.len() > longest {
            return Err(Error::invalid(format!(
                "rate limit key is {} bytes, the limit for limiter {:?} is {longest} \
                 (the key {PREFIX}<name>:<key> may be at most {MAX_KEY_LEN} bytes)",
                key.len(),
                self.name
            )));
        }
        let k = format!("{PREFIX}{}:{key}", self.name).into_bytes();
        let pk = self.store.data_key(&k)?;
        Ok((k, pk))
    }

    /// The in-window log at `now` (entries older than the window dropped).
    fn live(&self, cur: Option<Entry<'_>>, key: &[u8], now: u64) -> Result<Log> {
        let mut log = match cur {
            None => Vec::new(),
            Some(e) => decode_log(&e, key)?,
        };
        log.retain(|&(t, _)| t.saturating_add(self.window_ms) > now);
        Ok(log)
    }

    fn decide(&self, log: &Log, cost: u64, now: u64) -> Decision {
        // In u128: at most MAX_LOG_ENTRIES u64 costs, so no sum can overflow, and usage
        // recorded above this limiter's limit (by one with a larger limit, or a longer window
        // over the same key) is simply over the limit.
        let limit = u128::from(self.limit);
        let cost = u128::from(cost);
        let used: u128 = log.iter().map(|&(_, c)| u128::from(c)).sum();
        let allowed = used + cost <= limit;
        let used_after = if allowed { used + cost } else { used };
        let newest = if allowed && cost > 0 {
            Some(now)
        } else {
            log.last().map(|(t, _)| *t)
        };
        let reset_after = newest.map_or(0, |t| self.until_out(t, now));
        let retry_after = if allowed {
            0
        } else {
            // Walk the log oldest first until enough cost has left the window.
            let mut freed_used = used;
            let mut when = 0;
            for &(t, c) in log {
                freed_used -= u128::from(c);
                when = self.until_out(t, now);
                if freed_used + cost <= limit {
                    break;
                }
            }
            when
        };
        Decision {
            allowed,
            // Below `limit` when it is positive, so it fits in u64.
            remaining: limit.saturating_sub(used_after) as u64,
            reset_after: Duration::from_millis(reset_after),
            retry_after: Duration::from_millis(retry_after),
        }
    }

    /// Runs `f` on the engine's native rate limiters (see `backend::caps`) with the store's
    /// time: `None` when the engine has none, or when it hands this call to the generic path.
    fn native(
        &self,
        f: impl FnOnce(&dyn NativeRateLimit, u64) -> Result<Option<Decision>>,
    ) -> Result<Option<Decision>> {
        let backend = self.store.backend()?;
        match backend.native_rate_limit() {
            Some(n) => f(n, self.store.now_ms()),
            None => Ok(None),
        }
    }

    /// Milliseconds from `now` until an entry admitted at `t` leaves the window.
    fn until_out(&self, t: u64, now: u64) -> u64 {
        t.saturating_add(self.window_ms).saturating_sub(now)
    }

    /// Admits `cost` for `key` if it fits in the sliding window, atomically; records it if so.
    pub fn allow(&self, key: &str, cost: u64) -> Result<Decision> {
        self.store
            .measured(crate::metrics::Op::RateLimiterAllow, || {
                self.store.check_open()?;
                if cost > self.limit {
                    return Err(Error::invalid(format!(
                        "cost {cost} exceeds the limit {} and could never be admitted",
                        self.limit
                    )));
                }
                let (k, pk) = self.key(key)?;
                let native =
                    self.native(|n, now| n.rate_allow(&pk, now, self.limit, self.window_ms, cost))?;
                if let Some(d) = native {
                    if d.allowed && cost > 0 {
                        self.store.wrote()?;
                    }
                    return Ok(d);
                }
                self.store.update_entry(&pk, |cur| {
                    // Read the clock on every attempt, and never before the newest entry: a concurrent
                    // caller may have recorded a later millisecond, and wall clocks can step back.
                    // Counting "now" as that later time only over-counts, so the limit still holds.
                    let now = self.store.now_ms();
                    let mut log = self.live(cur, &k, now)?;
                    let now = log.last().map_or(now, |&(t, _)| now.max(t));
                    let d = self.decide(&log, cost, now);
                    if !d.allowed || cost == 0 {
                        return Ok((Write::Keep, d));
                    }
                    match log.last_mut() {
                        // Cannot saturate: the whole log plus `cost` fits in the limit (u64).
                        Some((t, c)) if *t == now => *c = c.saturating_add(cost),
                        _ => log.push((now, cost)),
                    }
                    if log.len() > MAX_LOG_ENTRIES {
                        // Conservative merge of the two closest entries: the earlier cost is counted as
                        // if it happened at the later time, so it stays in the window slightly longer.
                        let i = (0..log.len() - 1)
                            .min_by_key(|&i| log[i + 1].0 - log[i].0)
                            .unwrap_or(0);
                        let (_, c) = log.remove(i);
                        log[i].1 = log[i].1.saturating_add(c);
                    }
                    Ok((
                        Write::Put(encode_log(&log, now.saturating_add(self.window_ms))),
                        d,
                    ))
                })
            })
    }

    /// What a cost-1 request for `key` would get now, without recording anything.
    pub fn peek(&self, key: &str) -> Result<Decision> {
        self.store
            .measured(crate::metrics::Op::RateLimiterPeek, || {
                let (k, pk) = self.key(key)?;
                if let Some(d) =
                    self.native(|n, now| n.rate_peek(&pk, now, self.limit, self.window_ms))?
                {
                    return Ok(d);
                }
                let now = self.store.now_ms();
                let log = match self.store.read_live(&pk)? {
                    None => Vec::new(),
                    Some(raw) => self.live(Some(Entry::decode(&raw)?), &k, now)?,
                };
                let mut d = self.decide(&log, 1, now);
                if d.allowed {
                    // Nothing was admitted: report the capacity before this hypothetical request.
                    d.remaining += 1;
                    d.reset_after = Duration::from_millis(
                        log.last().map_or(0, |&(t, _)| self.until_out(t, now)),
                    );
                }
                Ok(d)
            })
    }

    /// Forgets everything admitted for `key`; true if there was state.
    pub fn reset(&self, key: &str) -> Result<bool> {
        self.store
            .measured(crate::metrics::Op::RateLimiterReset, || {
                let (k, pk) = self.key(key)?;
                self.store.update_entry(&pk, |cur| match cur {
                    None => Ok((Write::Keep, false)),
                    Some(e) => {
                        e.expect(Kind::RateLimit, &k)?;
                        Ok((Write::Delete, true))
                    }
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_round_trips_and_rejects_garbage() {
        let log: Log = vec![
            (1_700_000_000_000, 1),
            (1_700_000_000_005, 300),
            (u64::MAX / 2, u64::MAX),
        ];
        let bytes = encode_log(&log, 1);
        let e = Entry::decode(&bytes).unwrap();
        assert_eq!(decode_log(&e, b"k").unwrap(), log);
        for bad in [&[][..], &[5], &[1, 0x80], &[1, 1, 1, 9], &[0xff; 12]] {
            let bytes = encode(Kind::RateLimit, None, bad);
            let e = Entry::decode(&bytes).unwrap();
            assert!(decode_log(&e, b"k").is_err(), "{bad:?}");
        }
    }
}
