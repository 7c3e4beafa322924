//! Edits of one entry's envelope in one script (sessions' update, touch and delete, a
//! key/value `expire` or `persist`): one round trip always, where the generic path reads first
//! unless this process saw the value last.
//!
//! The envelope's header (`[kind][flags][expires_at]`) is plaintext even in a sealed store, and
//! not part of what the seal binds, so the script may rewrite the expiry in place; the key's own
//! deadline (`PXAT`) follows it, as `layout::to_stored` writes it.

use super::conn::Effect;
use super::layout::{deadline, to_stored};
use super::scripts::LIB;
use super::{next_as, tagged, RedisBackend};
use crate::backend::caps::{EntryEdit, EntryStep, NativeEntry};
use crate::error::Result;
use crate::value::Kind;
use std::sync::OnceLock;

/// The largest time the script writes into an envelope (Lua's doubles are exact below 2^53).
const MAX_TIME: u64 = (1 << 53) - 2;

/// KEYS: the entry, the index. ARGV: member, time ('' for the server's), the kind wanted ('' for
/// any), kinds refused (their tag bytes), mode ('r' replace, 'x' expire, 'n' persist, 'd'
/// delete), the new raw value or expiry, the key's deadline ('-1' none). {1, kind, changed};
/// {0} absent; {-1, kind} a kind not allowed; {-2} not a value this script edits (a lock, a
/// counter kept in Grove's envelope, something Grove did not write). A counter's decimal text
/// gets its expiry as the key's own (`PEXPIREAT`, `PERSIST`) on the server's clock. On the
/// server's clock a live key is a live entry (Redis expires it at its deadline); on an injected
/// one the envelope says, and an expired entry is reclaimed as the generic path does.
const ENTRY_EDIT: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
local mode = ARGV[5]
local kind, flags = string.byte(v, 1), string.byte(v, 2)
if kind == 45 or (kind and kind >= 48 and kind <= 57) then
  -- A counter's decimal text: its expiry is the key's own, on the server's clock only.
  if ARGV[2] ~= '' or mode == 'r' or (mode == 'x' and ARGV[7] == '-1') then return {-2} end
  if (ARGV[3] ~= '' and ARGV[3] ~= '\2') or string.find(ARGV[4], '\2', 1, true) then
    return {-1, 2}
  end
  if mode == 'd' then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
  elseif mode == 'x' then
    redis.call('PEXPIREAT', KEYS[1], ARGV[7])
  else
    return {1, 2, redis.call('PERSIST', KEYS[1])}
  end
  return {1, 2, 1}
end
if not flags or kind < 1 or kind > 11 or kind == 2 or kind == 3 or flags > 7 then return {-2} end
local has = flags % 2 == 1
if has and #v < 10 then return {-2} end
if has and ARGV[2] ~= '' then
  local exp = rd(v, 3)
  if exp >= LIM then return {-2} end
  if now_of(ARGV[2]) >= exp then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
    return {0}
  end
end
if (ARGV[3] ~= '' and kind ~= string.byte(ARGV[3]))
  or string.find(ARGV[4], string.char(kind), 1, true) then
  return {-1, kind}
end
local function put(raw, at)
  if at ~= '-1' then
    redis.call('SET', KEYS[1], raw, 'PXAT', at)
  else
    redis.call('SET', KEYS[1], raw)
  end
end
local body = 3
if has then body = 11 end
if mode == 'd' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
elseif mode == 'r' then
  put(ARGV[6], ARGV[7])
elseif mode == 'x' then
  local f = flags
  if not has then f = flags + 1 end
  put(string.char(kind, f) .. wr(tonumber(ARGV[6])) .. string.sub(v, body), ARGV[7])
else
  if not has then return {1, kind, 0} end
  put(string.char(kind, flags - 1) .. string.sub(v, body), '-1')
end
return {1, kind, 1}
";

fn script() -> &'static redis::Script {
    static S: OnceLock<redis::Script> = OnceLock::new();
    S.get_or_init(|| redis::Script::new(&[LIB, ENTRY_EDIT].concat()))
}

impl NativeEntry for RedisBackend {
    fn entry_edit(
        &self,
        pk: &[u8],
        now: u64,
        want: Option<Kind>,
        refuse: &[Kind],
        edit: EntryEdit<'_>,
    ) -> Result<EntryStep> {
        let (mode, value, at): (&str, Vec<u8>, Option<u64>) = match edit {
            EntryEdit::Replace(v) => {
                let s = to_stored(pk, v, self.native_expiry)?;
                ("r", s.raw, s.pxat)
            }
            EntryEdit::Expire(t) if t <= MAX_TIME => (
                "x",
                t.to_string().into_bytes(),
                deadline(t, self.native_expiry),
            ),
            EntryEdit::Expire(_) => return Ok(EntryStep::Generic),
            EntryEdit::Persist => ("n", Vec::new(), None),
            EntryEdit::Delete => ("d", Vec::new(), None),
        };
        let refused: Vec<u8> = refuse.iter().map(|&k| k as u8).collect();
        let mut inv = script().prepare_invoke();
        inv.key(self.names.key(pk))
            .key(&self.names.index)
            .arg(pk)
            .arg(self.time_arg(now))
            .arg(want.map(|k| vec![k as u8]).unwrap_or_default())
            .arg(refused)
            .arg(mode)
            .arg(value)
            .arg(at.map_or_else(|| "-1".to_string(), |t| t.to_string()));
        let (tag, mut it) = tagged(self.pool.run(Effect::Write, |c| inv.invoke(c))?)?;
        // What this process last saw at the key is stale now (or, for -2, was a guess anyway).
        self.seen.lock().remove(pk);
        Ok(match tag {
            1 => {
                let _kind: i64 = next_as(&mut it)?;
                let changed: i64 = next_as(&mut it)?;
                EntryStep::Done {
                    changed: changed == 1,
                }
            }
            0 => EntryStep::Absent,
            -1 => {
                let k: u8 = next_as(&mut it)?;
                match Kind::from_tag(k) {
                    Some(k) => EntryStep::WrongKind(k),
                    None => EntryStep::Generic,
                }
            }
            _ => EntryStep::Generic,
        })
    }
}
