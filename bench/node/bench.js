'use strict'
// Grove vs Redis from Node (issue 8). Follows bench/PROTOCOL.md exactly: same workloads, same
// durability tiers, rounds interleaved A/B, one JSON object per line appended to $GROVE_BENCH_OUT.
//
//   cd bench/node && npm install --no-audit --no-fund && node bench.js
//
// Environment (set by scripts/bench.sh; see PROTOCOL.md): GROVE_BENCH_OUT (JSON-lines file to
// append to; unset = JSON lines on stdout), GROVE_BENCH_QUICK (1 = smoke sizes), GROVE_BENCH_TMP
// (scratch dir for Grove stores; unset = a fresh temp dir), REDIS_PORT_NONE, REDIS_PORT_EVERYSEC,
// REDIS_PORT_ALWAYS (redis-server on 127.0.0.1). Optional: GROVE_BENCH_ONLY=a,b (workload names,
// for development only; the orchestrator never sets it).
//
// Grove is the `grovekv` package (bindings/node, linked by npm from file:../../bindings/node; its
// install script only builds when grovekv.<platform>.node is missing). Redis is node-redis (the
// `redis` package, pinned in package.json), used the usual way: one awaited call at a time
// (`naive`), or 16 commands issued in one tick then `await Promise.all` (`pipelined16`; node-redis
// writes commands of one tick in one batch). Scripts go through defineScript (EVALSHA).
//
// Each op is timed with process.hrtime.bigint(), one clock read per op (the read ending op i
// starts op i+1), so the round time is the sum of the op times and both systems pay the same
// clock overhead. The 8-client `always` tier runs Grove on 8 worker_threads sharing one durable
// store path, and Redis on 8 node-redis connections driven concurrently from this thread.

const { isMainThread, parentPort, workerData, Worker } = require('node:worker_threads')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
let grovekv
try {
  grovekv = require('grovekv')
} catch (e) {
  console.error(
    'bench/node: cannot load grovekv (bindings/node). Build it first (bindings/node/test.sh, or ' +
      '`node scripts/build.js` in bindings/node), then `npm install` here.\n' + ((e && e.stack) || e),
  )
  process.exit(1)
}

const now = process.hrtime.bigint

// ---------------------------------------------------------------------------------------------
// Worker thread: one of the 8 durable Grove clients.
// ---------------------------------------------------------------------------------------------
if (!isMainThread) {
  const db = grovekv.open(workerData.path, { durable: true })
  const counter = db.counter('hot')
  parentPort.on('message', (msg) => {
    if (msg.cmd === 'close') {
      db.close()
      parentPort.postMessage({ closed: true })
      return
    }
    try {
      const n = msg.ops
      const lat = new Float64Array(n)
      let prev = now()
      const start = prev
      for (let i = 0; i < n; i++) {
        counter.increment()
        const t = now()
        lat[i] = Number(t - prev)
        prev = t
      }
      parentPort.postMessage({ start, end: prev, lat }, [lat.buffer])
    } catch (e) {
      parentPort.postMessage({ error: String((e && e.stack) || e) })
    }
  })
  return
}

// ---------------------------------------------------------------------------------------------
// Main thread.
// ---------------------------------------------------------------------------------------------
const { createClient, defineScript } = require('redis')

const LANG = 'node'
const QUICK = process.env.GROVE_BENCH_QUICK === '1'
const OUT = process.env.GROVE_BENCH_OUT || null
const ONLY = process.env.GROVE_BENCH_ONLY ? new Set(process.env.GROVE_BENCH_ONLY.split(',')) : null

/** Sizes: rounds and op counts per round (equal for both systems in a round). */
const S = QUICK
  ? {
      rounds: 3,
      counter: 2000,
      lock: 1000,
      ratelimit: 1000,
      session: 1000,
      lb: 1000,
      queue: 1000,
      crdt: 20000,
      always1: 100,
      always8: 400,
      zipfKeys: 10000,
      lbSizes: [1000],
    }
  : {
      rounds: 5,
      counter: 10000,
      lock: 5000,
      ratelimit: 5000,
      session: 5000,
      lb: 5000,
      queue: 5000,
      crdt: 100000,
      always1: 400,
      always8: 1600,
      zipfKeys: 1000000,
      lbSizes: [1000, 100000, 1000000],
    }
const PIPE = 16
const WORKERS = 8

// A full GC before every timed side (outside the timing), so garbage left by one side (node-redis
// promises, parsed replies) is not collected inside the next side's round. Both systems get it.
require('node:v8').setFlagsFromString('--expose-gc')
const collect = require('node:vm').runInNewContext('gc')

function envPort(name) {
  const v = process.env[name]
  if (!v || !/^\d+$/.test(v)) throw new Error(`${name} must be set to a Redis port on 127.0.0.1`)
  return Number(v)
}

let outFd = null
const T0 = Date.now()
/** Appends one JSON object as a line to the results. */
function emit(obj) {
  const line = JSON.stringify({ lang: LANG, ...obj }) + '\n'
  if (outFd === null) process.stdout.write(line)
  else fs.writeSync(outFd, line)
}
/** Progress for humans: stderr when the JSON goes to stdout, else stdout. */
function log(msg) {
  if (OUT) process.stdout.write(msg + '\n')
  else process.stderr.write(msg + '\n')
}
function note(text) {
  emit({ kind: 'note', text })
}

// --- deterministic randomness (the same sequences for both systems) ----------------------------
function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
function uniformSeq(n, range, seed) {
  const r = mulberry32(seed)
  const a = new Uint32Array(n)
  for (let i = 0; i < n; i++) a[i] = Math.floor(r() * range)
  return a
}
/** A Zipf(s) sampler over 0..n-1 (0 the most popular), by inverse CDF and binary search. */
function zipfSampler(n, s) {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 0; k < n; k++) {
    sum += 1 / Math.pow(k + 1, s)
    cdf[k] = sum
  }
  for (let k = 0; k < n; k++) cdf[k] /= sum
  return (count, seed) => {
    const r = mulberry32(seed)
    const a = new Uint32Array(count)
    for (let i = 0; i < count; i++) {
      const u = r()
      let lo = 0
      let hi = n - 1
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (cdf[mid] < u) lo = mid + 1
        else hi = mid
      }
      a[i] = lo
    }
    return a
  }
}

// --- timing --------------------------------------------------------------------------------------
function percentiles(lat) {
  const s = Float64Array.from(lat).sort()
  const q = (p) => {
    const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))
    return Math.round(s[idx] / 10) / 100 // ns -> us, 2 decimals
  }
  return { p50_us: q(0.5), p99_us: q(0.99), p999_us: q(0.999) }
}
/** Runs op(i) for i < n synchronously, timing each op. */
function timeSync(n, op) {
  const lat = new Float64Array(n)
  let prev = now()
  const start = prev
  for (let i = 0; i < n; i++) {
    op(i)
    const t = now()
    lat[i] = Number(t - prev)
    prev = t
  }
  return { seconds: Number(prev - start) / 1e9, lat }
}
/** Awaits op(i) for i < n one at a time, timing each op. */
async function timeAwaited(n, op) {
  const lat = new Float64Array(n)
  let prev = now()
  const start = prev
  for (let i = 0; i < n; i++) {
    await op(i)
    const t = now()
    lat[i] = Number(t - prev)
    prev = t
  }
  return { seconds: Number(prev - start) / 1e9, lat }
}
/** Issues op(i) PIPE at a time in one tick and awaits each batch (no per-op latency). */
async function timePipelined(n, op) {
  const start = now()
  const batch = new Array(PIPE)
  for (let i = 0; i < n; i += PIPE) {
    const m = Math.min(PIPE, n - i)
    if (batch.length !== m) batch.length = m
    for (let j = 0; j < m; j++) batch[j] = op(i + j)
    await Promise.all(batch)
  }
  return { seconds: Number(now() - start) / 1e9, lat: null }
}

// --- Redis ---------------------------------------------------------------------------------------
const LOCK_RELEASE = defineScript({
  SCRIPT: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
  NUMBER_OF_KEYS: 1,
  parseCommand(parser, key, token) {
    parser.pushKey(key)
    parser.push(token)
  },
  transformReply: undefined,
})
// Sliding window on a sorted set: drop entries older than the window, count, admit if under
// the limit (ZADD now + PEXPIRE). Returns the remaining capacity, or -1 when refused.
const SLIDING_WINDOW = defineScript({
  SCRIPT: [
    "local now = tonumber(ARGV[1]); local window = tonumber(ARGV[2]); local limit = tonumber(ARGV[3])",
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)",
    "local n = redis.call('ZCARD', KEYS[1])",
    'if n + 1 > limit then return -1 end',
    "redis.call('ZADD', KEYS[1], now, ARGV[4])",
    "redis.call('PEXPIRE', KEYS[1], window)",
    'return limit - n - 1',
  ].join('\n'),
  NUMBER_OF_KEYS: 1,
  parseCommand(parser, key, nowMs, windowMs, limit, member) {
    parser.pushKey(key)
    parser.push(String(nowMs), String(windowMs), String(limit), member)
  },
  transformReply: undefined,
})

async function redisClient(port) {
  const c = createClient({
    socket: { host: '127.0.0.1', port, reconnectStrategy: false },
    scripts: { lockRelease: LOCK_RELEASE, slidingWindow: SLIDING_WINDOW },
  })
  c.on('error', (e) => {
    log(`redis client error (port ${port}): ${e && e.message}`)
  })
  await c.connect()
  return c
}
/** FLUSHALL (keys of other harnesses must not skew results) and load our scripts (EVALSHA hits). */
async function resetRedis(c) {
  await c.flushAll('SYNC')
  await c.scriptLoad(LOCK_RELEASE.SCRIPT)
  await c.scriptLoad(SLIDING_WINDOW.SCRIPT)
}

// --- Grove stores ----------------------------------------------------------------------------------
let tmpRoot
let storeSeq = 0
function storePath(label) {
  const p = path.join(tmpRoot, `${String(storeSeq++).padStart(2, '0')}-${label}`)
  fs.rmSync(p, { recursive: true, force: true })
  return p
}
function dropStore(db, p) {
  db.close()
  fs.rmSync(p, { recursive: true, force: true })
}

// --- the interleaved runner --------------------------------------------------------------------
/**
 * Runs `rounds` rounds of one workload. `sides` is a list of { system, mode, run(round) } where
 * run returns { seconds, lat } (a Promise for Redis). Side 0 is Grove (or the Grove system under
 * test); even rounds run it first, odd rounds last. Emits one line per side per round.
 */
async function interleaved(meta, sides, rounds, ops) {
  const perSide = sides.map(() => [])
  for (let k = 0; k < rounds; k++) {
    const order = k % 2 === 0 ? sides.map((_, i) => i) : [...sides.map((_, i) => i).slice(1), 0]
    for (const i of order) {
      const side = sides[i]
      collect()
      const r = await side.run(k)
      const pct = r.lat ? percentiles(r.lat) : { p50_us: null, p99_us: null, p999_us: null }
      emit({
        workload: meta.workload,
        system: side.system,
        mode: side.mode,
        durability: meta.durability || 'none',
        clients: meta.clients || 1,
        size: meta.size === undefined ? null : meta.size,
        round: k,
        ops,
        seconds: Number(r.seconds.toPrecision(6)),
        ...pct,
      })
      perSide[i].push(r.seconds)
    }
  }
  // A one-line human summary: median seconds per side and ratios to side 0.
  const med = perSide.map((xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1])
  const parts = sides.map((s, i) => {
    const us = ((med[i] / ops) * 1e6).toFixed(2)
    const ratio = i === 0 ? '' : ` (${(med[i] / med[0]).toFixed(1)}x)`
    return `${s.system}/${s.mode} ${us}us/op${ratio}`
  })
  const label = [meta.workload, meta.durability || 'none', `c${meta.clients || 1}`]
  if (meta.size != null) label.push(`size=${meta.size}`)
  log(`${label.join(' ').padEnd(42)} ${parts.join('  ')}  [t=${((Date.now() - T0) / 1000).toFixed(1)}s]`)
}

function want(name) {
  return !ONLY || ONLY.has(name)
}

// --- workloads -------------------------------------------------------------------------------------
/** counter_incr_hot / _10k / _zipf_1m in tier none or everysec, 1 client. */
async function counterWorkload(workload, durability, redis, keysFor, nKeys) {
  await resetRedis(redis)
  const p = storePath(`${workload}-${durability}`)
  const db = grovekv.open(p)
  const ops = S.counter
  // Handles for every key a round will touch are made before timing (as Redis key strings are).
  const names = new Array(nKeys)
  for (let i = 0; i < nKeys; i++) names[i] = nKeys === 1 ? 'hot' : `k${i}`
  const handles = new Array(nKeys)
  const seqs = []
  for (let k = 0; k < S.rounds + 1; k++) {
    const seq = keysFor(ops, 1000 + k)
    for (const i of seq) if (handles[i] === undefined) handles[i] = db.counter(names[i])
    seqs.push(seq)
  }
  const warm = seqs[S.rounds]
  const redisKeys = names.map((n) => `counter:${n}`)
  timeSync(ops, (i) => handles[warm[i]].increment())
  await timeAwaited(Math.min(ops, 1000), (i) => redis.incr(redisKeys[warm[i]]))
  await interleaved(
    { workload, durability },
    [
      { system: 'grove', mode: 'direct', run: (k) => timeSync(ops, (i) => handles[seqs[k][i]].increment()) },
      { system: 'redis', mode: 'naive', run: (k) => timeAwaited(ops, (i) => redis.incr(redisKeys[seqs[k][i]])) },
      { system: 'redis', mode: 'pipelined16', run: (k) => timePipelined(ops, (i) => redis.incr(redisKeys[seqs[k][i]])) },
    ],
    S.rounds,
    ops,
  )
  dropStore(db, p)
}

async function lockWorkload(redis) {
  await resetRedis(redis)
  const p = storePath('lock')
  const db = grovekv.open(p)
  const ops = S.lock
  const lock = db.lock('bench', { ttl: 10 })
  const key = 'lock:bench'
  const grove = (i) => {
    if (!lock.tryAcquire()) throw new Error(`grove lock not acquired at op ${i}`)
    if (!lock.release()) throw new Error(`grove lock not released at op ${i}`)
  }
  const red = async (i) => {
    const token = crypto.randomUUID()
    if ((await redis.set(key, token, { NX: true, PX: 10000 })) !== 'OK') throw new Error(`redis lock not acquired at op ${i}`)
    if ((await redis.lockRelease(key, token)) !== 1) throw new Error(`redis lock not released at op ${i}`)
  }
  timeSync(ops, grove)
  await timeAwaited(Math.min(ops, 500), red)
  await interleaved(
    { workload: 'lock_acquire_release' },
    [
      { system: 'grove', mode: 'direct', run: () => timeSync(ops, grove) },
      { system: 'redis', mode: 'naive', run: () => timeAwaited(ops, red) },
    ],
    S.rounds,
    ops,
  )
  dropStore(db, p)
}

async function ratelimitWorkload(redis) {
  await resetRedis(redis)
  const p = storePath('ratelimit')
  const db = grovekv.open(p)
  const ops = S.ratelimit
  const LIMIT = 1000000 // high enough to admit every request of the run
  const WINDOW_S = 60
  const rl = db.rateLimiter('bench', { limit: LIMIT, window: WINDOW_S })
  const clients = Array.from({ length: 1000 }, (_, i) => `client${i}`)
  const redisKeys = clients.map((c) => `ratelimit:bench:${c}`)
  const seqs = Array.from({ length: S.rounds + 1 }, (_, k) => uniformSeq(ops, 1000, 2000 + k))
  let member = 0
  const grove = (seq) => (i) => {
    if (!rl.allow(clients[seq[i]], 1).allowed) throw new Error('grove rate limiter refused')
  }
  const red = (seq) => async (i) => {
    const r = await redis.slidingWindow(redisKeys[seq[i]], Date.now(), WINDOW_S * 1000, LIMIT, String(member++))
    if (r < 0) throw new Error('redis rate limiter refused')
  }
  timeSync(ops, grove(seqs[S.rounds]))
  await timeAwaited(Math.min(ops, 500), red(seqs[S.rounds]))
  await interleaved(
    { workload: 'ratelimit_allow' },
    [
      { system: 'grove', mode: 'direct', run: (k) => timeSync(ops, grove(seqs[k])) },
      { system: 'redis', mode: 'naive', run: (k) => timeAwaited(ops, red(seqs[k])) },
    ],
    S.rounds,
    ops,
  )
  dropStore(db, p)
}

/** A session document whose JSON is exactly 1024 bytes. */
function sessionDoc() {
  const doc = {
    user: 424242,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    roles: ['admin', 'editor'],
    cart: [
      { sku: 'A-100', qty: 2, price: 19.99 },
      { sku: 'B-200', qty: 1, price: 5.5 },
    ],
    createdAt: '2025-01-01T00:00:00.000Z',
    pad: '',
  }
  doc.pad = 'x'.repeat(1024 - JSON.stringify(doc).length)
  return doc
}

async function sessionWorkload(redis) {
  await resetRedis(redis)
  const p = storePath('session')
  const db = grovekv.open(p)
  const ops = S.session
  const sessions = db.sessions({ ttl: 1800, prefix: 'sess' })
  const doc = sessionDoc()
  const grove = () => {
    const id = sessions.create(doc)
    if (sessions.get(id) === null) throw new Error('grove session missing')
  }
  const red = async () => {
    const id = crypto.randomBytes(32).toString('base64url') // 256 bits, like Grove's ids
    await redis.set(`sess:${id}`, JSON.stringify(doc), { EX: 1800 })
    const v = await redis.get(`sess:${id}`)
    if (v === null || JSON.parse(v) === null) throw new Error('redis session missing')
  }
  timeSync(Math.min(ops, 500), grove)
  await timeAwaited(Math.min(ops, 500), red)
  await interleaved(
    { workload: 'session_create_get' },
    [
      { system: 'grove', mode: 'direct', run: () => timeSync(ops, grove) },
      { system: 'redis', mode: 'naive', run: () => timeAwaited(ops, red) },
    ],
    S.rounds,
    ops,
  )
  dropStore(db, p)
}

async function leaderboardWorkloads(redis, size) {
  await resetRedis(redis)
  const p = storePath(`lb-${size}`)
  const db = grovekv.open(p)
  const lb = db.leaderboard('bench')
  const key = 'lb:bench'
  const members = new Array(size)
  for (let i = 0; i < size; i++) members[i] = `m${i}`
  const rnd = mulberry32(77 + size)
  const scores = new Float64Array(size)
  for (let i = 0; i < size; i++) scores[i] = Math.floor(rnd() * size * 10)

  // Fill: Grove one add at a time (there is no batch add); Redis pipelined ZADD batches.
  let t0 = now()
  for (let i = 0; i < size; i++) lb.add(members[i], scores[i])
  const groveFill = Number(now() - t0) / 1e9
  t0 = now()
  const BATCH = 1000
  const INFLIGHT = 16
  let pending = []
  for (let i = 0; i < size; i += BATCH) {
    const entries = []
    for (let j = i; j < Math.min(size, i + BATCH); j++) entries.push({ score: scores[j], value: members[j] })
    pending.push(redis.zAdd(key, entries))
    if (pending.length >= INFLIGHT) {
      await Promise.all(pending)
      pending = []
    }
  }
  await Promise.all(pending)
  const redisFill = Number(now() - t0) / 1e9
  if (lb.size !== size) throw new Error(`grove leaderboard has ${lb.size} members, expected ${size}`)
  if ((await redis.zCard(key)) !== size) throw new Error('redis leaderboard size mismatch')
  note(
    `leaderboard fill, ${size} members: grove ${groveFill.toFixed(3)} s (lb.add one at a time), ` +
      `redis ${redisFill.toFixed(3)} s (ZADD ${BATCH} members per command, ${INFLIGHT} commands in flight)`,
  )
  log(`leaderboard fill ${size}: grove ${groveFill.toFixed(2)} s, redis ${redisFill.toFixed(2)} s`)

  const ops = S.lb
  const seqs = Array.from({ length: S.rounds + 1 }, (_, k) => uniformSeq(ops, size, 3000 + k + size))
  const W = S.rounds
  const cases = [
    {
      workload: 'lb_incr',
      grove: (seq) => (i) => lb.incr(members[seq[i]], 1),
      redis: (seq) => (i) => redis.zIncrBy(key, 1, members[seq[i]]),
    },
    {
      workload: 'lb_rank',
      grove: (seq) => (i) => {
        if (lb.rank(members[seq[i]]) === null) throw new Error('grove rank null')
      },
      redis: (seq) => async (i) => {
        if ((await redis.zRevRank(key, members[seq[i]])) === null) throw new Error('redis rank null')
      },
    },
    {
      workload: 'lb_top10',
      grove: () => () => {
        if (lb.top(10).length !== 10) throw new Error('grove top10 short')
      },
      redis: () => async () => {
        const r = await redis.sendCommand(['ZREVRANGE', key, '0', '9', 'WITHSCORES'])
        if (r.length !== 20 && r.length !== 10) throw new Error('redis top10 short')
      },
    },
  ]
  for (const c of cases) {
    if (!want(c.workload)) continue
    timeSync(ops, c.grove(seqs[W]))
    await timeAwaited(Math.min(ops, 1000), c.redis(seqs[W]))
    await interleaved(
      { workload: c.workload, size },
      [
        { system: 'grove', mode: 'direct', run: (k) => timeSync(ops, c.grove(seqs[k])) },
        { system: 'redis', mode: 'naive', run: (k) => timeAwaited(ops, c.redis(seqs[k])) },
      ],
      S.rounds,
      ops,
    )
  }
  dropStore(db, p)
}

async function queueWorkload(redis) {
  await resetRedis(redis)
  const p = storePath('queue')
  const db = grovekv.open(p)
  const ops = S.queue
  const q = db.queue('bench')
  const src = 'queue:bench'
  const inflight = 'queue:bench:inflight'
  let seq = 0
  const payload = () => `{"id":${seq++},"task":"email","to":"user@example.com"}`
  const grove = () => {
    q.enqueue(payload())
    const job = q.dequeue()
    if (job === null || !q.ack(job.id)) throw new Error('grove queue cycle failed')
  }
  const red = async () => {
    await redis.lPush(src, payload())
    const job = await redis.lMove(src, inflight, 'RIGHT', 'LEFT')
    if (job === null || (await redis.lRem(inflight, 1, job)) !== 1) throw new Error('redis queue cycle failed')
  }
  timeSync(Math.min(ops, 1000), grove)
  await timeAwaited(Math.min(ops, 500), red)
  await interleaved(
    { workload: 'queue_cycle' },
    [
      { system: 'grove', mode: 'direct', run: () => timeSync(ops, grove) },
      { system: 'redis', mode: 'naive', run: () => timeAwaited(ops, red) },
    ],
    S.rounds,
    ops,
  )
  dropStore(db, p)
}

async function crdtWorkloads() {
  const p = storePath('crdt')
  const db = grovekv.open(p, { nodeId: 'bench-node' })
  const ops = S.crdt
  const atomic = db.counter('crdt-baseline')
  const cc = db.crdtCounter('crdt:bench:counter')
  const reg = db.crdtRegister('crdt:bench:register')
  const cases = [
    { workload: 'crdt_counter_incr', op: () => cc.increment() },
    { workload: 'crdt_register_set', op: (i) => reg.set(i) },
  ]
  for (const c of cases) {
    if (!want(c.workload)) continue
    timeSync(ops, c.op)
    timeSync(ops, () => atomic.increment())
    await interleaved(
      { workload: c.workload },
      [
        { system: 'grove', mode: 'direct', run: () => timeSync(ops, c.op) },
        { system: 'grove-atomic', mode: 'direct', run: () => timeSync(ops, () => atomic.increment()) },
      ],
      S.rounds,
      ops,
    )
  }
  dropStore(db, p)
}

/** counter_incr_hot, tier always, 1 client: Grove durable (fsync per write) vs appendfsync always. */
async function alwaysOneClient(redis) {
  await resetRedis(redis)
  const p = storePath('hot-always-1')
  const db = grovekv.open(p, { durable: true })
  if (!db.durable) throw new Error('grove store is not durable')
  const c = db.counter('hot')
  const ops = S.always1
  timeSync(Math.min(ops, 50), () => c.increment())
  await timeAwaited(Math.min(ops, 50), () => redis.incr('counter:hot'))
  await interleaved(
    { workload: 'counter_incr_hot', durability: 'always', clients: 1 },
    [
      { system: 'grove', mode: 'direct', run: () => timeSync(ops, () => c.increment()) },
      { system: 'redis', mode: 'naive', run: () => timeAwaited(ops, () => redis.incr('counter:hot')) },
      { system: 'redis', mode: 'pipelined16', run: () => timePipelined(ops, () => redis.incr('counter:hot')) },
    ],
    S.rounds,
    ops,
  )
  const expected = S.rounds * ops + Math.min(ops, 50)
  if (c.get() !== expected) throw new Error(`grove durable counter ${c.get()} != ${expected}`)
  dropStore(db, p)
}

/** counter_incr_hot, tier always, 8 clients: 8 worker_threads on one durable store vs 8 connections. */
async function alwaysEightClients(port) {
  const conns = []
  for (let i = 0; i < WORKERS; i++) conns.push(await redisClient(port))
  await resetRedis(conns[0])
  const p = storePath('hot-always-8')
  const workers = []
  const waiters = []
  for (let w = 0; w < WORKERS; w++) {
    const worker = new Worker(__filename, { workerData: { path: p } })
    worker.on('message', (m) => {
      const s = waiters[w]
      waiters[w] = null
      if (!s) return
      if (m.error) s.reject(new Error(`worker ${w}: ${m.error}`))
      else s.resolve(m)
    })
    worker.on('error', (e) => {
      const s = waiters[w]
      waiters[w] = null
      if (s) s.reject(e)
      else fatal(e)
    })
    workers.push(worker)
    waiters.push(null)
  }
  const ask = (w, msg) =>
    new Promise((resolve, reject) => {
      waiters[w] = { resolve, reject }
      workers[w].postMessage(msg)
    })
  const per = S.always8 / WORKERS
  const groveRound = async (n) => {
    const rs = await Promise.all(workers.map((_, w) => ask(w, { cmd: 'run', ops: n })))
    let start = rs[0].start
    let end = rs[0].end
    const lat = new Float64Array(n * WORKERS)
    rs.forEach((r, w) => {
      if (r.start < start) start = r.start
      if (r.end > end) end = r.end
      lat.set(r.lat, w * n)
    })
    return { seconds: Number(end - start) / 1e9, lat }
  }
  const redisNaive = async (n) => {
    const lat = new Float64Array(n * WORKERS)
    const t0 = now()
    await Promise.all(
      conns.map(async (c, w) => {
        let prev = now()
        for (let i = 0; i < n; i++) {
          await c.incr('counter:hot')
          const t = now()
          lat[w * n + i] = Number(t - prev)
          prev = t
        }
      }),
    )
    return { seconds: Number(now() - t0) / 1e9, lat }
  }
  const redisPipelined = async (n) => {
    const t0 = now()
    await Promise.all(conns.map((c) => timePipelined(n, () => c.incr('counter:hot'))))
    return { seconds: Number(now() - t0) / 1e9, lat: null }
  }
  await groveRound(Math.min(per, 20))
  await redisNaive(Math.min(per, 20))
  await interleaved(
    { workload: 'counter_incr_hot', durability: 'always', clients: WORKERS },
    [
      { system: 'grove', mode: 'direct', run: () => groveRound(per) },
      { system: 'redis', mode: 'naive', run: () => redisNaive(per) },
      { system: 'redis', mode: 'pipelined16', run: () => redisPipelined(per) },
    ],
    S.rounds,
    S.always8,
  )
  for (let w = 0; w < WORKERS; w++) await ask(w, { cmd: 'close' })
  await Promise.all(workers.map((w) => w.terminate()))
  // Check exactness: every increment of every worker landed.
  const db = grovekv.open(p)
  const expected = S.rounds * S.always8 + WORKERS * Math.min(per, 20)
  const got = db.counter('hot').get()
  if (got !== expected) throw new Error(`grove 8-worker counter ${got} != ${expected}`)
  const rGot = Number(await conns[0].get('counter:hot'))
  const rExpected = expected + S.rounds * S.always8 // naive + pipelined
  if (rGot !== rExpected) throw new Error(`redis 8-client counter ${rGot} != ${rExpected}`)
  dropStore(db, p)
  for (const c of conns) await c.close()
}

function fatal(e) {
  console.error(`bench/node: ${(e && e.stack) || e}`)
  process.exit(1)
}

async function main() {
  const ports = {
    none: envPort('REDIS_PORT_NONE'),
    everysec: envPort('REDIS_PORT_EVERYSEC'),
    always: envPort('REDIS_PORT_ALWAYS'),
  }
  if (OUT) outFd = fs.openSync(OUT, 'a')
  const base = process.env.GROVE_BENCH_TMP || fs.mkdtempSync(path.join(os.tmpdir(), 'grove-bench-node-'))
  tmpRoot = path.join(base, 'node')
  fs.rmSync(tmpRoot, { recursive: true, force: true })
  fs.mkdirSync(tmpRoot, { recursive: true })

  const rNone = await redisClient(ports.none)
  const rEvery = await redisClient(ports.everysec)
  const rAlways = await redisClient(ports.always)
  const info = await rNone.info('server')
  const redisVersion = (/redis_version:(\S+)/.exec(info) || [])[1] || 'unknown'
  const nodeRedisVersion = require('redis/package.json').version
  note(
    `node ${process.version}, grovekv core ${grovekv.coreVersion}, node-redis ${nodeRedisVersion} (RESP3, ` +
      `auto-pipelining per tick), redis-server ${redisVersion}, ${os.cpus().length} CPUs; ` +
      `${QUICK ? 'quick' : 'full'} mode, ${S.rounds} interleaved rounds; per-op times from process.hrtime.bigint(); a full GC before each timed side, outside the timing`,
  )
  log(`bench/node: ${QUICK ? 'quick' : 'full'} mode, ${S.rounds} rounds, results -> ${OUT || 'stdout'}`)
  const t0 = Date.now()

  const zipf = zipfSampler(S.zipfKeys, 1.1)
  const counters = [
    ['counter_incr_hot', (n) => new Uint32Array(n), 1],
    ['counter_incr_10k', (n, seed) => uniformSeq(n, 10000, seed), 10000],
    ['counter_incr_zipf_1m', zipf, S.zipfKeys],
  ]
  for (const [name, seq, nKeys] of counters) if (want(name)) await counterWorkload(name, 'none', rNone, seq, nKeys)
  if (S.zipfKeys !== 1000000 && want('counter_incr_zipf_1m'))
    note(`counter_incr_zipf_1m ran over ${S.zipfKeys} keys (quick mode), Zipf s=1.1`)
  if (want('lock_acquire_release')) await lockWorkload(rNone)
  if (want('ratelimit_allow')) await ratelimitWorkload(rNone)
  if (want('session_create_get')) await sessionWorkload(rNone)
  if (['lb_incr', 'lb_rank', 'lb_top10'].some(want)) for (const size of S.lbSizes) await leaderboardWorkloads(rNone, size)
  if (want('queue_cycle')) await queueWorkload(rNone)
  if (want('crdt_counter_incr') || want('crdt_register_set')) await crdtWorkloads()
  if (want('counter_incr_hot')) {
    await counterWorkload('counter_incr_hot', 'everysec', rEvery, (n) => new Uint32Array(n), 1)
    await alwaysOneClient(rAlways)
    await alwaysEightClients(ports.always)
    note(
      `counter_incr_hot always/8 clients: grove = ${WORKERS} worker_threads sharing one durable store path ` +
        `(${S.always8 / WORKERS} increments each per round); redis = ${WORKERS} node-redis connections driven ` +
        `concurrently from the main thread; ${os.cpus().length} CPUs`,
    )
  }

  const ru = process.resourceUsage()
  emit({ kind: 'rss', rss_bytes: ru.maxRSS * 1024, current_rss_bytes: process.memoryUsage().rss })
  note('rss_bytes is the peak RSS of the node process (Grove stores, node-redis client and the harness arrays, incl. the 1,000,000-member leaderboard in full mode)')

  for (const c of [rNone, rEvery, rAlways]) {
    await c.flushAll('SYNC')
    await c.close()
  }
  if (outFd !== null) fs.closeSync(outFd)
  fs.rmSync(tmpRoot, { recursive: true, force: true })
  log(`bench/node: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

if (require.main === module) {
  process.on('unhandledRejection', fatal)
  main().catch(fatal)
} else {
  // Required by bench/redis/node_bench.js (issue 15), which reuses the scripts, the client and the
  // timers, so both benches time node-redis the same way.
  module.exports = { LOCK_RELEASE, SLIDING_WINDOW, redisClient, timeSync, timeAwaited, uniformSeq, collect, fatal }
}
