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
/// {1, new value as text}; {2, current} on overflow; {-2} when the key holds anything but a
/// decimal counter (another kind, a counter in Grove's envelope, a Redis type Grove did not
/// write): the generic path reads it and decides, so the kind need not travel back.
const COUNTER_ADD: &str = r"
local ok, n = pcall(redis.call, 'INCRBY', KEYS[1], ARGV[2])
if ok then
  -- The key is new (the sum is the delta) or held 0: list it in the index. Otherwise it is
  -- listed already, and the hot path stays one command.
  if n == tonumber(ARGV[2]) then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
  -- A Lua number is a double: exact below 2^53, past it read the value back as text.
  if n > -9007199254740992 and n < 9007199254740992 then return {1, n} end
  return {1, redis.call('GET', KEYS[1])}
end
if redis.call('TYPE', KEYS[1])['ok'] ~= 'string' then return {-2} end
local cur = redis.call('GET', KEYS[1])
local b = string.byte(cur, 1)
if b == 45 or (b >= 48 and b <= 57) then return {2, cur} end
return {-2}
";

/// A bounded add (`try_decrement`, `try_increment`). KEYS: the counter, the index. ARGV: the
/// physical key, delta, low and high bound (every number below 2^53, so Lua's doubles are exact;
/// a stored value of more than 15 digits goes to the generic path). {1, new}; {0} refused;
/// {-2} the generic path decides (another kind, Grove's envelope). Nothing changes unless 1.
const COUNTER_WITHIN: &str = r"
local t = redis.call('TYPE', KEYS[1])['ok']
local cur = 0
if t == 'string' then
  local s = redis.call('GET', KEYS[1])
  -- Only what INCRBY reads as an integer (no leading zeros, no '-0').
  local digits = string.match(s, '^-?([1-9]%d*)$')
  if s == '0' then digits = s end
  if not digits or #digits > 15 then return {-2} end
  cur = tonumber(s)
elseif t ~= 'none' then
  return {-2}
end
local n = cur + tonumber(ARGV[2])
if n < tonumber(ARGV[3]) or n > tonumber(ARGV[4]) then return {0} end
if n ~= cur then
  -- INCRBY keeps the key's expiry, as every counter change does.
  redis.call('INCRBY', KEYS[1], ARGV[2])
  if t == 'none' then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
end
return {1, n}
";

/// A queue in Redis's own types (see `layout.rs`). KEYS, for every queue script: 1 the meta
/// hash (`last_id`, the highest id given, and `ready`, the count of ready jobs: every ready or
/// in-flight job is in the schedule once, so the in-flight count is its size minus that, and
/// the dead count is the dead-letter set's size), 2 the jobs hash (field
/// `<id>` the payload in its stored form, `<id>:i` the text `<state> <attempts> <enqueued_at>`
/// and, when the codec transformed the payload, ` <form>`), 3 the schedule zset (id → the
/// time it may next be delivered: its delay for a ready job, its visibility deadline for one in
/// flight), 4 the dead-letter zset (id → id), 5 the meta record of the generic layout earlier
/// builds wrote (`queue:<name>:meta`): while it exists a script that finds nothing of its own
/// to work on (no id given yet, nothing due, no such job, no counts, no dead letters) answers
/// {-3} having changed nothing, so the caller migrates first. (Checked only then, to spare the
/// hot path a command: a queue in both layouts at once needs an earlier build still writing.) Ids are 16-digit zero-padded decimals (so ties in
/// the schedule go by id, FIFO) below 2^53, where Lua's doubles are exact; a state is `ready`,
/// `in_flight` or `dead`.
const QUEUE_LIB: &str = r"
local function legacy() return redis.call('EXISTS', KEYS[5]) == 1 end
local function fid(n) return string.format('%016.0f', n) end
-- A job's info: state, attempts, enqueued at, and the form (with its leading space, or '').
local function info_of(v)
  local st, a, e, f = string.match(v, '^(%l[%l_]*) (%d+) (%d+)(.*)$')
  if not st then return nil end
  return st, tonumber(a), e, f
end
";

/// Enqueue. ARGV: now ('' for the server's), delay ms, payload, form ('' plain), expected id
/// ('' any). {1, id}; {-4, the next id} when an expected id is not the next one; {-3} legacy.
const QUEUE_ENQUEUE: &str = r"
local id
if ARGV[5] ~= '' then
  id = tonumber(redis.call('HGET', KEYS[1], 'last_id') or '0') + 1
  if id == 1 and legacy() then return {-3} end
  if id ~= tonumber(ARGV[5]) then return {-4, id} end
  redis.call('HSET', KEYS[1], 'last_id', id)
else
  id = redis.call('HINCRBY', KEYS[1], 'last_id', 1)
  -- The first id: the field was absent, so deleting it undoes the increment.
  if id == 1 and legacy() then
    redis.call('HDEL', KEYS[1], 'last_id')
    return {-3}
  end
end
local now = now_of(ARGV[1])
local at = math.min(now + tonumber(ARGV[2]), LIM)
if id >= LIM then return redis.error_reply('ERR queue ids ran out (2^53)') end
redis.call('HINCRBY', KEYS[1], 'ready', 1)
local m = fid(id)
local form = ''
if ARGV[4] ~= '' then form = ' ' .. ARGV[4] end
redis.call('HSET', KEYS[2], m, ARGV[3], m .. ':i', 'ready 0 ' .. now .. form)
redis.call('ZADD', KEYS[3], at, m)
return {1, id}
";

/// Dequeue: delivers the oldest due job, dead-lettering on the way those delivered max
/// attempts times. ARGV: now ('' for the server's), visibility ms, max attempts, the key ids
/// the caller can open (',id,id,'). {1, id, payload, attempts, enqueued at, form}; {0} nothing
/// due; {-5, key id} the next due job is sealed with a key the caller lacks (nothing changed
/// for it); {-3} legacy.
const QUEUE_DEQUEUE: &str = r"
local now = now_of(ARGV[1])
local deadline = math.min(now + tonumber(ARGV[2]), LIM)
local maxa = tonumber(ARGV[3])
while true do
  local m = redis.call('ZRANGE', KEYS[3], '-inf', now, 'BYSCORE', 'LIMIT', 0, 1)[1]
  if not m then
    if legacy() then return {-3} end
    return {0}
  end
  local v = redis.call('HMGET', KEYS[2], m, m .. ':i')
  local st, a, e, f
  if v[2] then st, a, e, f = info_of(v[2]) end
  if not st or (st ~= 'ready' and st ~= 'in_flight') then
    -- A schedule entry without a deliverable job cannot be delivered; drop it.
    redis.call('ZREM', KEYS[3], m)
  else
    local kid = string.match(f, 's(%x+)$')
    if kid and not string.find(ARGV[4], ',' .. kid .. ',', 1, true) then return {-5, kid} end
    if st == 'ready' then redis.call('HINCRBY', KEYS[1], 'ready', -1) end
    if a >= maxa then
      redis.call('ZREM', KEYS[3], m)
      redis.call('ZADD', KEYS[4], tonumber(m), m)
      redis.call('HSET', KEYS[2], m .. ':i', 'dead ' .. a .. ' ' .. e .. f)
    else
      a = a + 1
      redis.call('ZADD', KEYS[3], deadline, m)
      redis.call('HSET', KEYS[2], m .. ':i', 'in_flight ' .. a .. ' ' .. e .. f)
      return {1, tonumber(m), v[1] or '', a, tonumber(e), string.sub(f, 2)}
    end
  end
end
";

/// Ack ('a') or nack ('n', due again ARGV[4] ms from now) of in-flight job ARGV[1]. ARGV[2]
/// the mode, ARGV[3] now ('' for the server's). {1} settled; {0} not in flight; {-3} legacy.
const QUEUE_SETTLE: &str = r"
local m = fid(tonumber(ARGV[1]))
local raw = redis.call('HGET', KEYS[2], m .. ':i')
if not raw then
  if legacy() then return {-3} end
  return {0}
end
local st, a, e, f = info_of(raw)
if st ~= 'in_flight' then return {0} end
if ARGV[2] == 'a' then
  redis.call('ZREM', KEYS[3], m)
  redis.call('HDEL', KEYS[2], m, m .. ':i')
else
  local at = math.min(now_of(ARGV[3]) + tonumber(ARGV[4]), LIM)
  redis.call('ZADD', KEYS[3], at, m)
  redis.call('HSET', KEYS[2], m .. ':i', 'ready ' .. a .. ' ' .. e .. f)
  redis.call('HINCRBY', KEYS[1], 'ready', 1)
end
return {1}
";

/// Counts. {1, ready, in flight, dead}; {-3} legacy.
const QUEUE_STATS: &str = r"
local ready = redis.call('HGET', KEYS[1], 'ready')
if not ready and legacy() then return {-3} end
ready = tonumber(ready or '0')
local scheduled = redis.call('ZCARD', KEYS[3])
return {1, ready, math.max(scheduled - ready, 0), redis.call('ZCARD', KEYS[4])}
";

/// The dead letters, oldest (lowest id) first: {1, id, payload, attempts, enqueued at, form,
/// ...}; {-3} legacy.
const QUEUE_DEAD: &str = r"
local dead = redis.call('ZRANGE', KEYS[4], 0, -1)
if #dead == 0 and legacy() then return {-3} end
local out = {1}
for _, m in ipairs(dead) do
  local v = redis.call('HMGET', KEYS[2], m, m .. ':i')
  local st, a, e, f
  if v[2] then st, a, e, f = info_of(v[2]) end
  if st then
    out[#out + 1] = tonumber(m)
    out[#out + 1] = v[1] or ''
    out[#out + 1] = a
    out[#out + 1] = tonumber(e)
    out[#out + 1] = string.sub(f, 2)
  end
end
return out
";

/// Moves a queue of the generic layout (earlier builds) into this one, whole or not at all.
/// KEYS 1-5 as above, 6 the store's index. ARGV: the store's prefix, the queue's physical
/// prefix, last id, ready, then per job id, state, attempts, enqueued at,
/// visible at, payload, form. 1 when moved; 0 when the old meta is gone (another process
/// moved it). The old records are every index member under the queue's prefix; they cannot be
/// declared, so (on a cluster, with a slot half-way through a migration) each is reached with
/// `pcall` before anything is written, and TRYAGAIN answered if one is on another master.
const QUEUE_IMPORT: &str = r"
if redis.call('EXISTS', KEYS[5]) == 0 then return 0 end
local P, Q = ARGV[1], ARGV[2]
local olds = redis.call('ZRANGEBYLEX', KEYS[6], '[' .. Q, '[' .. Q .. '\255')
for _, o in ipairs(olds) do
  local r = redis.pcall('EXISTS', P .. o)
  if type(r) == 'table' and r.err then
    return redis.error_reply('TRYAGAIN a queue record is on another master (slot migrating)')
  end
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last_id') or '0')
redis.call('HSET', KEYS[1], 'last_id', math.max(last, tonumber(ARGV[3])))
redis.call('HINCRBY', KEYS[1], 'ready', ARGV[4])
for i = 5, #ARGV, 7 do
  local id = tonumber(ARGV[i])
  local m, st = fid(id), ARGV[i + 1]
  local form = ''
  if ARGV[i + 6] ~= '' then form = ' ' .. ARGV[i + 6] end
  redis.call('HSET', KEYS[2], m, ARGV[i + 5], m .. ':i',
    st .. ' ' .. ARGV[i + 2] .. ' ' .. ARGV[i + 3] .. form)
  if st == 'dead' then
    redis.call('ZADD', KEYS[4], id, m)
  else
    redis.call('ZADD', KEYS[3], ARGV[i + 4], m)
  end
end
for _, o in ipairs(olds) do
  redis.call('DEL', P .. o)
  redis.call('ZREM', KEYS[6], o)
end
return 1
";

/// Helpers every record script shares (queues, rate limiters, entry edits): reading and writing
/// big-endian u64s in Lua, whose numbers are doubles, so exact below 2^53 (`LIM`), which the
/// scripts check (anything larger takes Grove's generic path); and the time to use.
pub(super) const LIB: &str = r"
local LIM = 9007199254740991
-- The time given by the client (a store on an injected clock, as tests run), or '' for the
-- server's own TIME, read here so it is the time at which the script runs.
local function now_of(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function rd(s, i)
  local a, b, c, d, e, f, g, h = string.byte(s, i, i + 7)
  return ((((((a * 256 + b) * 256 + c) * 256 + d) * 256 + e) * 256 + f) * 256 + g) * 256 + h
end
local function wr(n)
  local x, y = n % 4294967296, math.floor(n / 4294967296)
  return string.char(math.floor(y / 16777216) % 256, math.floor(y / 65536) % 256,
    math.floor(y / 256) % 256, y % 256, math.floor(x / 16777216) % 256,
    math.floor(x / 65536) % 256, math.floor(x / 256) % 256, x % 256)
end
";

/// A rate limiter's allow ('a') or peek ('p'), over the record `ratelimit.rs` writes: the
/// envelope `[4][flags][expires_at if flags & 1]` around varint(count) and per entry
/// varint(ms since the previous entry, from 0) and varint(cost). KEYS: the limiter's key, the
/// index. ARGV: member, now ('' for the server's TIME), limit, window ms, cost (1 for a
/// peek), mode, most entries kept. {1, allowed (0/1), remaining, reset_after ms, retry_after ms}, or {-2} when any
/// number could reach 2^53 (where doubles stop being exact) or the record is not one this script
/// reads: the generic path decides then, and nothing was changed. Each step mirrors
/// `RateLimiter::allow`, `decide` and `peek`, in the same order.
const RATE_LIMIT: &str = r"
local now = now_of(ARGV[2])
local limit, window, cost = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local peek, maxn = ARGV[6] == 'p', tonumber(ARGV[7])
if now + window >= LIM or limit >= LIM or cost > limit then return {-2} end
-- A key of another Redis type: the generic path reports it.
local ok, v = pcall(redis.call, 'GET', KEYS[1])
if not ok then return {-2} end
local byte, char, floor = string.byte, string.char, math.floor
-- The log is read in one pass keeping only what an allow needs (no table of entries: building
-- one cost more than the rest of the script): the live entries' count n and sum used; the
-- first live entry (time, cost, where its bytes end); the last two (pt, pc, ps its start;
-- ppt the time of the one before); and the closest pair (the first such: best apart, entries
-- bi and bi + 1, times bt0 and bt1, costs bc0 and bc1, bs0 where the first starts, be1 where
-- the second ends, bpt the time of the entry before them). Positions index b, the log's bytes
-- after the envelope; an allow copies the entries it leaves alone as they are.
local b, nb, i, p = nil, 0, 1, 3
local n, used = 0, 0
local ft, fc, fe
local pt, pc, ps, ppt
local best, bi, bt0, bt1, bc0, bc1, bs0, be1, bpt
local expired = false
-- At most 8 bytes (56 bits) per varint, and below LIM: a double holds that exactly (a sum past
-- 2^53 may round, but never back below it, so the checks still see it).
local function varint()
  local x, mul = 0, 1
  for _ = 1, 8 do
    if i > nb then return nil end
    local c = b[i]
    i = i + 1
    if c < 128 then
      x = x + c * mul
      if x >= LIM then return nil end
      return x
    end
    x = x + (c - 128) * mul
    mul = mul * 128
  end
  return nil
end
local body
if v then
  if byte(v, 1) ~= 4 then return {-2} end
  local flags = byte(v, 2)
  if flags == 1 then
    if #v < 10 then return {-2} end
    -- As the generic read: an entry whose envelope expiry has passed counts as absent.
    expired = now >= rd(v, 3)
    p = 11
  elseif flags ~= 0 then
    return {-2}
  end
  if not expired then
    -- The bytes as numbers, a few thousand per call rather than one call per byte.
    local len = #v
    nb = len - p + 1
    if nb > 0 and nb <= 4000 then
      b = {byte(v, p, len)}
    else
      b = {}
      for s = p, len, 4000 do
        local chunk = {byte(v, s, math.min(s + 3999, len))}
        for k = 1, #chunk do b[s - p + k] = chunk[k] end
      end
    end
    local count = varint()
    if not count or count > maxn then return {-2} end
    body = i
    -- Times never decrease along the log, so the live entries are its tail: those before the
    -- first live one (by the raw time, before the newest-entry rule) are skipped, and from it
    -- on there is no test of the window. A sum past LIM only grows, so one check after the
    -- loop sees it.
    local t, k, s, dt, c = 0, 0, 0, 0, 0
    while k < count do
      k = k + 1
      s = i
      dt = varint()
      c = dt and varint()
      if not c then return {-2} end
      t = t + dt
      if n > 0 then
        used = used + c
        n = n + 1
        if dt < best then
          best, bi, bt0, bt1, bc0, bc1, bs0, be1, bpt = dt, n - 1, pt, t, pc, c, ps, i, ppt
        end
        ppt, pt, pc, ps = pt, t, c, s
      elseif t + window > now then
        n, used, ft, fc, fe, pt, pc, ps = 1, c, t, c, i, t, c, s
        best = LIM
        local rem = count - k
        if rem > 0 and nb - i + 1 == 2 * rem then
          -- The usual record: past the first entry (whose time is absolute) every delta and
          -- cost is below 128, one byte each, so entry m after the first live one starts at
          -- i + 2(m - 2). This loop is the same reading with the least work per entry, given
          -- up at the first byte of 128 or more (the loop around it then reads on); what it
          -- does not keep (where the pair is, the last two entries) follows from the positions.
          local q0, bq, bt, t0, used0 = i, nil, nil, t, used
          for q = q0, nb, 2 do
            dt, c = b[q], b[q + 1]
            if dt > 127 or c > 127 then
              q0 = nil
              break
            end
            t = t + dt
            used = used + c
            if dt < best then best, bq, bt = dt, q, t end
          end
          if not q0 then
            t, used, best, bq = t0, used0, LIM, nil
          end
          if bq then
            bi, bt1, bt0, bc1, be1 = n + (bq - q0) / 2, bt, bt - best, b[bq + 1], bq + 2
            if bq == q0 then
              bc0, bs0, bpt = pc, ps, ppt
            else
              bc0, bs0, bpt = b[bq - 1], bq - 2, bt0 - b[bq - 2]
            end
          end
          if q0 then
            n = n + rem
            ppt, pt, pc, ps = t - b[nb - 1], t, b[nb], nb - 1
            i, k = nb + 1, count
          end
        end
      end
    end
    if t >= LIM then return {-2} end
    if i ~= nb + 1 then return {-2} end
  end
end
local newest = pt
-- Every sum below (usage plus cost, an entry's time plus the window) stays exact.
if used + cost >= LIM or (newest and newest + window >= LIM) then return {-2} end
-- Never before the newest entry (a concurrent writer or a clock step back): only over-counts.
-- Which entries are live was decided at the time read (read0).
local read0 = now
if not peek and newest and newest > now then now = newest end
local function out(t)
  local r = t - now + window
  if r < 0 then return 0 end
  return r
end
local allowed = used + cost <= limit
local used_after = used
if allowed then used_after = used + cost end
local reset = 0
if allowed and cost > 0 then
  reset = out(now)
elseif newest then
  reset = out(newest)
end
local retry = 0
if not allowed then
  -- Walk the live entries oldest first (a second read of the log) until enough has left.
  local freed, t = used, 0
  i = body
  while i <= nb do
    t = t + varint()
    local c = varint()
    if t + window > read0 then
      freed = freed - c
      retry = out(t)
      if freed + cost <= limit then break end
    end
  end
end
local remaining = limit - used_after
if remaining < 0 then remaining = 0 end
if peek and allowed then
  -- Nothing was admitted: the capacity before this hypothetical request.
  remaining = remaining + 1
  reset = 0
  if newest then reset = out(newest) end
end
if not peek and allowed and cost > 0 then
  local function enc(x)
    if x < 128 then return char(x) end
    local t = {}
    while x >= 128 do
      t[#t + 1] = char(x % 128 + 128)
      x = floor(x / 128)
    end
    t[#t + 1] = char(x)
    return table.concat(t)
  end
  -- The log's bytes from b index a to z, as read.
  local function copy(a, z)
    if z < a then return '' end
    return string.sub(v, p + a - 1, p + z - 1)
  end
  -- Written anew: the first entry (its time is absolute, and those before it may have left),
  -- a merged entry and the last (its cost grew, or it is new); each entry between keeps its
  -- time relative to the same predecessor, so its bytes stay as they are.
  local log
  if newest == now or (n + 1 > maxn and now - pt < best) then
    -- The last entry's cost grows; or one entry would be too many and the closest pair is the
    -- last entry and the new one, so the last merges into the new (the later of the two).
    if n == 1 then
      log = enc(1) .. enc(now) .. enc(pc + cost)
    else
      log = enc(n) .. enc(ft) .. enc(fc) .. copy(fe, ps - 1) .. enc(now - ppt) .. enc(pc + cost)
    end
  elseif n + 1 <= maxn then
    -- A new entry at now.
    if n == 0 then
      log = enc(1) .. enc(now) .. enc(cost)
    else
      log = enc(n + 1) .. enc(ft) .. enc(fc) .. copy(fe, nb) .. enc(now - pt) .. enc(cost)
    end
  elseif bi == 1 then
    -- One entry too many: the first two live entries are the closest and merge.
    log = enc(n) .. enc(bt1) .. enc(bc0 + bc1) .. copy(be1, nb) .. enc(now - pt) .. enc(cost)
  else
    -- One entry too many: entries bi and bi + 1 are the closest and merge.
    log = enc(n) .. enc(ft) .. enc(fc) .. copy(fe, bs0 - 1) .. enc(bt1 - bpt)
      .. enc(bc0 + bc1) .. copy(be1, nb) .. enc(now - pt) .. enc(cost)
  end
  local exp = now + window
  local raw = '\4\1' .. wr(exp) .. log
  -- The deadline is the key's own too, as `layout::to_stored` makes it, on the server's clock.
  if ARGV[2] == '' and exp > 0 and exp < 4503599627370496 then
    redis.call('SET', KEYS[1], raw, 'PXAT', exp)
  else
    redis.call('SET', KEYS[1], raw)
  end
  -- A record that was there is listed in the index already.
  if not v or expired then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
elseif expired then
  -- As the generic path: the expired entry just read is reclaimed.
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
local a = 0
if allowed then a = 1 end
return {1, a, remaining, reset, retry}
";

/// Leaderboards: the board's sorted set holds each member with its true score; Grove's order
/// (score descending, ties by member ascending) is computed from Redis's ascending one, whose
/// ties are already ascending by member. Scores travel as text with 17 significant digits
/// (`fmt`), which reads back as the same double; Redis's own score replies round-trip too.
const BOARD_LIB: &str = r"
local function fmt(x) return string.format('%.17g', x) end
-- The Grove rank of member m, whose score text is s: members of higher score, plus the members
-- of score s before m (Redis's rank counts those and every lower score).
local function rank_of(K, m, s)
  return redis.call('ZCOUNT', K, '(' .. s, '+inf') + redis.call('ZRANK', K, m)
    - redis.call('ZCOUNT', K, '-inf', '(' .. s)
end
-- Appends the members at Grove ranks [start, stop) to out as member, score text, ...
-- ZREVRANGE gives the right scores at the right ranks, but ties in reverse: a run of one score
-- inside the window is a whole tie group, reversed here; the first and last runs may be cut by
-- the window, so their members are read again in ascending order from the right offset.
local function slice(K, start, stop, out)
  local card = redis.call('ZCARD', K)
  if stop > card then stop = card end
  if start >= stop then return out end
  local w = redis.call('ZREVRANGE', K, start, stop - 1, 'WITHSCORES')
  local i = 1
  while i <= #w do
    local s = w[i + 1]
    local j = i
    while j + 3 <= #w and w[j + 3] == s do j = j + 2 end
    local cnt = (j - i) / 2 + 1
    if i == 1 or j + 1 == #w then
      local off = 0
      if i == 1 then off = start - redis.call('ZCOUNT', K, '(' .. s, '+inf') end
      local ms = redis.call('ZRANGE', K, s, s, 'BYSCORE', 'LIMIT', off, cnt)
      for _, m in ipairs(ms) do
        out[#out + 1] = m
        out[#out + 1] = s
      end
    else
      for k = j, i, -2 do
        out[#out + 1] = w[k]
        out[#out + 1] = s
      end
    end
    i = j + 2
  end
  return out
end
";

/// Sets ('s') or adds to ('i') a member's score. KEYS: the member's record, the index, the
/// board. ARGV: the record's physical key, member, mode, number. {1, new score}; {0} the sum
/// would leave the finite range; {-1, kind byte} another kind at the record's key (a decimal
/// counter: kind 2). A key of another Redis type fails with WRONGTYPE. Nothing changes unless 1.
const BOARD_WRITE: &str = r"
local v = redis.call('GET', KEYS[1])
if v and string.byte(v, 1) ~= 6 then
  local b = string.byte(v, 1) or 0
  if b == 45 or (b >= 48 and b <= 57) then return {-1, '\2'} end
  return {-1, string.sub(v, 1, 1)}
end
local old = redis.call('ZSCORE', KEYS[3], ARGV[2])
if old then old = tonumber(old) end
local new = tonumber(ARGV[4])
if ARGV[3] == 'i' then
  new = (old or 0) + new
  if new == math.huge or new == -math.huge then return {0} end
end
-- -0.0 and 0.0 are one score; store the positive one.
if new == 0 then new = 0 end
local s = fmt(new)
if old == new then return {1, s} end
-- The record is what Grove writes on every engine: kind 6, no expiry, the score's f64 bits.
redis.call('SET', KEYS[1], '\6\0' .. struct.pack('>d', new))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], s, ARGV[2])
return {1, s}
";

/// A member's rank. KEYS[1] the board; ARGV[1] the member. The rank, or nil.
const BOARD_RANK: &str = r"
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return false end
return rank_of(KEYS[1], ARGV[1], s)
";

/// Members at ranks [ARGV[1], ARGV[2]). KEYS[1] the board. {member, score, ...}.
const BOARD_RANGE: &str = r"
return slice(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), {})
";

/// ARGV[1] with up to ARGV[2] members above and below. KEYS[1] the board. {first rank, member,
/// score, ...}, or {} when ARGV[1] is not a member.
const BOARD_AROUND: &str = r"
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return {} end
local r = rank_of(KEYS[1], ARGV[1], s)
local n = tonumber(ARGV[2])
local lo = math.max(r - n, 0)
return slice(KEYS[1], lo, r + n + 1, {lo})
";

/// Removes a member. KEYS: the member's record, the index, the board. ARGV: the record's
/// physical key, member. 1 if it was a member; another kind at the record's key (even a Redis
/// type Grove did not write) is not one and stays, as on every engine.
const BOARD_REMOVE: &str = r"
local z = redis.call('ZREM', KEYS[3], ARGV[2])
local ok, v = pcall(redis.call, 'GET', KEYS[1])
if ok and v and string.byte(v, 1) == 6 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
return z
";

/// Removes every member and its record. KEYS: the board, the index. ARGV: the store's prefix,
/// the board's physical member prefix. The number of members.
///
/// The records cannot be declared in KEYS (the members are read here), so on a cluster whose
/// slot is half-way through a migration a record may already be on the other master, and
/// reaching it fails the script where it stands. A first pass reaches every record with
/// `pcall`, which reports that instead of raising, and answers TRYAGAIN (the client waits and
/// runs the script again) before anything is deleted: the clear is whole or not at all.
const BOARD_CLEAR: &str = r"
local total = redis.call('ZCARD', KEYS[1])
for off = 0, total - 1, 1000 do
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], off, off + 999)) do
    local r = redis.pcall('EXISTS', ARGV[1] .. ARGV[2] .. m)
    if type(r) == 'table' and r.err then
      return redis.error_reply('TRYAGAIN a member record is on another master (slot migrating)')
    end
  end
end
local n = 0
while true do
  local ms = redis.call('ZRANGE', KEYS[1], 0, 999)
  if #ms == 0 then break end
  local ks, ps = {}, {}
  for i, m in ipairs(ms) do
    ps[i] = ARGV[2] .. m
    ks[i] = ARGV[1] .. ps[i]
  end
  redis.call('DEL', unpack(ks))
  redis.call('ZREM', KEYS[2], unpack(ps))
  redis.call('ZREM', KEYS[1], unpack(ms))
  n = n + #ms
end
return n
";

/// The loaded scripts.
pub(crate) struct Scripts {
    /// `GET` with the key's deadline, so expiries survive the round trip.
    pub get: redis::Script,
    /// Ordered page of live entries from the index (Redis's own SCAN is unordered).
    pub scan: redis::Script,
    /// Compare-and-swap of one key in its stored form: every generic single-key write.
    pub cas: redis::Script,
    /// A counter's native increment (`INCRBY`).
    pub counter_add: redis::Script,
    /// A counter's bounded add (`try_decrement`, `try_increment`).
    pub counter_within: redis::Script,
    /// A queue's native enqueue.
    pub queue_enqueue: redis::Script,
    /// A queue's dequeue (dead-lettering on the way).
    pub queue_dequeue: redis::Script,
    /// A queue's ack or nack.
    pub queue_settle: redis::Script,
    /// A queue's counts.
    pub queue_stats: redis::Script,
    /// A queue's dead letters.
    pub queue_dead: redis::Script,
    /// Moves a queue of earlier builds' generic layout into Redis's types.
    pub queue_import: redis::Script,
    /// A rate limiter's allow or peek on the server's time.
    pub rate_limit: redis::Script,
    /// A leaderboard's set or add, record and sorted set together.
    pub board_write: redis::Script,
    /// A member's rank in Grove's order (`ZREVRANK` orders ties the other way).
    pub board_rank: redis::Script,
    /// Members by rank in Grove's order.
    pub board_range: redis::Script,
    /// A member and its neighbours by rank, in one step so they are consistent.
    pub board_around: redis::Script,
    /// Removes a member and its record.
    pub board_remove: redis::Script,
    /// Removes every member and its record.
    pub board_clear: redis::Script,
}

/// The scripts, hashed once per process.
pub(crate) fn scripts() -> &'static Scripts {
    static S: OnceLock<Scripts> = OnceLock::new();
    S.get_or_init(|| Scripts {
        get: redis::Script::new(GET),
        scan: redis::Script::new(SCAN),
        cas: redis::Script::new(CAS),
        counter_add: redis::Script::new(COUNTER_ADD),
        counter_within: redis::Script::new(COUNTER_WITHIN),
        queue_enqueue: redis::Script::new(&[LIB, QUEUE_LIB, QUEUE_ENQUEUE].concat()),
        queue_dequeue: redis::Script::new(&[LIB, QUEUE_LIB, QUEUE_DEQUEUE].concat()),
        queue_settle: redis::Script::new(&[LIB, QUEUE_LIB, QUEUE_SETTLE].concat()),
        queue_stats: redis::Script::new(&[QUEUE_LIB, QUEUE_STATS].concat()),
        queue_dead: redis::Script::new(&[QUEUE_LIB, QUEUE_DEAD].concat()),
        queue_import: redis::Script::new(&[LIB, QUEUE_LIB, QUEUE_IMPORT].concat()),
        rate_limit: redis::Script::new(&[LIB, RATE_LIMIT].concat()),
        board_write: redis::Script::new(&[BOARD_LIB, BOARD_WRITE].concat()),
        board_rank: redis::Script::new(&[BOARD_LIB, BOARD_RANK].concat()),
        board_range: redis::Script::new(&[BOARD_LIB, BOARD_RANGE].concat()),
        board_around: redis::Script::new(&[BOARD_LIB, BOARD_AROUND].concat()),
        board_remove: redis::Script::new(BOARD_REMOVE),
        board_clear: redis::Script::new(BOARD_CLEAR),
    })
}
