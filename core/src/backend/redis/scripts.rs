//! The server-side scripts: each runs atomically on the server in one round trip (`EVALSHA`,
//! loaded on first use). Every key a script touches shares the store's hash tag.

use std::sync::OnceLock;

/// `GET` with the key's deadline: `false`, or `{value, PEXPIRETIME}`.
const GET: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PEXPIRETIME', KEYS[1])}
";

/// Up to ARGV[3] live entries of the index between ARGV[1] and ARGV[2] (lex range specs),
/// descending when ARGV[4] is '1', as flat {member, value, PEXPIRETIME, ...}. Members whose key
/// Redis has expired are dropped from the index on the way.
const SCAN: &str = r"
local want = tonumber(ARGV[3])
local lo, hi = ARGV[1], ARGV[2]
local rev = ARGV[4] == '1'
local out, n = {}, 0
while n < want do
  local ask = want - n
  local batch
  if rev then
    batch = redis.call('ZREVRANGEBYLEX', KEYS[1], hi, lo, 'LIMIT', 0, ask)
  else
    batch = redis.call('ZRANGEBYLEX', KEYS[1], lo, hi, 'LIMIT', 0, ask)
  end
  for _, m in ipairs(batch) do
    local k = ARGV[5] .. m
    local v = redis.call('GET', k)
    if v then
      out[#out + 1] = m
      out[#out + 1] = v
      out[#out + 1] = redis.call('PEXPIRETIME', k)
      n = n + 1
    else
      redis.call('ZREM', KEYS[1], m)
    end
  end
  if #batch < ask then break end
  if rev then hi = '(' .. batch[#batch] else lo = '(' .. batch[#batch] end
end
return out
";

/// Compare-and-swap of one key in its stored form: {1} when swapped, else {0, current value or
/// false, PEXPIRETIME}. ARGV: member, expected present ('0'/'1'), expected raw, expected
/// deadline ('-1' none), new present, new raw, new deadline.
const CAS: &str = r"
local cur = redis.call('GET', KEYS[1])
local exp = -1
if cur then exp = redis.call('PEXPIRETIME', KEYS[1]) end
local ok
if ARGV[2] == '0' then
  ok = not cur
else
  ok = cur == ARGV[3] and (exp == tonumber(ARGV[4]) or string.byte(cur, 1) < 45)
end
if not ok then return {0, cur, exp} end
if ARGV[5] == '1' then
  if ARGV[7] ~= '-1' then
    redis.call('SET', KEYS[1], ARGV[6], 'PXAT', ARGV[7])
  else
    redis.call('SET', KEYS[1], ARGV[6])
  end
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
else
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {1}
";

/// A counter's native increment: `INCRBY` (Redis checks the 64-bit range) and the index entry.
/// {1, new value as text}; {2, current} on overflow; {3, first byte} when the key holds another Grove
/// kind; {4, type} when it holds a Redis type Grove did not write.
const COUNTER_ADD: &str = r"
local ok = pcall(redis.call, 'INCRBY', KEYS[1], ARGV[2])
if ok then
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
  -- Read back as text: a Lua number is a double and would round values past 2^53.
  return {1, redis.call('GET', KEYS[1])}
end
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'string' then return {4, t} end
local cur = redis.call('GET', KEYS[1])
local b = string.byte(cur, 1)
if b == 45 or (b >= 48 and b <= 57) then return {2, cur} end
return {3, string.sub(cur, 1, 1)}
";

/// The loaded scripts.
pub(crate) struct Scripts {
    pub get: redis::Script,
    pub scan: redis::Script,
    pub cas: redis::Script,
    pub counter_add: redis::Script,
}

/// The scripts, hashed once per process.
pub(crate) fn scripts() -> &'static Scripts {
    static S: OnceLock<Scripts> = OnceLock::new();
    S.get_or_init(|| Scripts {
        get: redis::Script::new(GET),
        scan: redis::Script::new(SCAN),
        cas: redis::Script::new(CAS),
        counter_add: redis::Script::new(COUNTER_ADD),
    })
}
