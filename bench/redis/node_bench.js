'use strict'
// Grove on its Redis engine vs node-redis by hand on the same server (issue 15's benchmarks), the
// Node counterpart of redis_engine_bench.py.
//
// For each operation: microseconds per op, one call at a time from one client, Grove through
// `grovekv.open("redis://...")` (the synchronous door, blocking the event loop for the round trip)
// and through `grovekv.promises` (the same call on libuv's thread pool, awaited), against
// node-redis doing the same job by hand (the scripts, client and timers of bench/node/bench.js:
// defineScript, EVALSHA), interleaved over rounds (median, min..max of the per-round ratio).
//
//   (cd bench/node && npm install --no-audit --no-fund) && node bench/redis/node_bench.js PORT [--quick]

const os = require('node:os')
const path = require('node:path')
const { createRequire } = require('node:module')

// grovekv, node-redis and the harness live in bench/node (its node_modules).
const benchNode = path.join(__dirname, '..', 'node')
const req = createRequire(path.join(benchNode, 'package.json'))
const grovekv = req('grovekv')
const { LOCK_RELEASE, SLIDING_WINDOW, redisClient, timeSync, timeAwaited, collect, fatal } = req('./bench.js')

const PORT = Number(process.argv[2])
const QUICK = process.argv.includes('--quick')
const N = QUICK ? 500 : 5000
const ROUNDS = QUICK ? 3 : 7
const URL = `redis://127.0.0.1:${PORT}`

/** The median of xs, for the table's per-op figures and ratios. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Grove's sync side, Grove's promises side and node-redis for every operation of the goal. */
async function operations(db, pdb, r) {
  const counter = db.counter('hits')
  const pcounter = pdb.counter('hits-p')
  const lock = db.lock('bench', { ttl: 10 })
  const plock = pdb.lock('bench-p', { ttl: 10 })
  const LIMIT = 1000000 // high enough to admit every request of the run
  const WINDOW_S = 60
  const rl = db.rateLimiter('api', { limit: LIMIT, window: WINDOW_S })
  const prl = pdb.rateLimiter('api-p', { limit: LIMIT, window: WINDOW_S })
  const clients = Array.from({ length: 1000 }, (_, i) => `client${i}`)
  const rlKeys = clients.map((c) => `ratelimit:api:${c}`)
  let member = 0
  const lb = db.leaderboard('board')
  const plb = pdb.leaderboard('board')
  const members = Array.from({ length: 1000 }, (_, i) => `m${i}`)
  for (let i = 0; i < members.length; i++) lb.add(members[i], i)
  await r.zAdd('lb:board', members.map((m, i) => ({ score: i, value: m })))
  const q = db.queue('jobs')
  const pq = pdb.queue('jobs-p')
  let seq = 0
  const payload = () => `{"id":${seq++},"task":"email","to":"user@example.com"}`
  const check = (ok, what) => {
    if (!ok) throw new Error(what)
  }
  return [
    {
      name: 'counter increment',
      how: 'INCR',
      grove: () => counter.increment(),
      promises: () => pcounter.increment(),
      redis: () => r.incr('hits'),
    },
    {
      name: 'lock acquire+release',
      how: 'SET NX PX + release script',
      grove: () => {
        check(lock.tryAcquire(), 'grove lock not acquired')
        check(lock.release(), 'grove lock not released')
      },
      promises: async () => {
        check(await plock.tryAcquire(), 'grove promises lock not acquired')
        check(await plock.release(), 'grove promises lock not released')
      },
      redis: async () => {
        const token = `tok-${member++}` // a unique token per acquisition
        check((await r.set('lock:bench', token, { NX: true, PX: 10000 })) === 'OK', 'redis lock not acquired')
        check((await r.lockRelease('lock:bench', token)) === 1, 'redis lock not released')
      },
    },
    {
      name: 'rate limiter allow (1,000 keys)',
      how: 'sliding-window script',
      grove: (i) => check(rl.allow(clients[i % 1000], 1).allowed, 'grove limiter refused'),
      promises: async (i) => check((await prl.allow(clients[i % 1000], 1)).allowed, 'grove promises limiter refused'),
      redis: async (i) => {
        const left = await r.slidingWindow(rlKeys[i % 1000], Date.now(), WINDOW_S * 1000, LIMIT, String(member++))
        check(left >= 0, 'redis limiter refused')
      },
    },
    {
      name: 'leaderboard rank (1,000 members)',
      how: 'ZREVRANK',
      grove: (i) => check(lb.rank(members[i % 1000]) !== null, 'grove rank null'),
      promises: async (i) => check((await plb.rank(members[i % 1000])) !== null, 'grove promises rank null'),
      redis: async (i) => check((await r.zRevRank('lb:board', members[i % 1000])) !== null, 'redis rank null'),
    },
    {
      name: 'queue enqueue+dequeue+ack',
      how: 'LPUSH, LMOVE, LREM',
      grove: () => {
        q.enqueue(payload())
        const job = q.dequeue()
        check(job !== null && q.ack(job.id), 'grove queue cycle failed')
      },
      promises: async () => {
        await pq.enqueue(payload())
        const job = await pq.dequeue()
        check(job !== null && (await pq.ack(job.id)), 'grove promises queue cycle failed')
      },
      redis: async () => {
        await r.lPush('queue:jobs', payload())
        const job = await r.lMove('queue:jobs', 'queue:jobs:inflight', 'RIGHT', 'LEFT')
        check(job !== null && (await r.lRem('queue:jobs:inflight', 1, job)) === 1, 'redis queue cycle failed')
      },
    },
  ]
}

/** Runs every operation interleaved over the rounds and prints the table. */
async function main() {
  if (!PORT) throw new Error('usage: node_bench.js PORT [--quick]')
  const r = await redisClient(PORT)
  await r.flushAll('SYNC')
  await r.scriptLoad(LOCK_RELEASE.SCRIPT)
  await r.scriptLoad(SLIDING_WINDOW.SCRIPT)
  const db = grovekv.open(`${URL}?store=bench-node`)
  const pdb = await grovekv.promises.open(`${URL}?store=bench-node`)
  const rows = []
  for (const op of await operations(db, pdb, r)) {
    // Warm-up, untimed: scripts loaded, connections open on every side.
    timeSync(50, op.grove)
    await timeAwaited(50, op.promises)
    await timeAwaited(50, op.redis)
    const sides = [
      { key: 'grove', run: () => timeSync(N, op.grove) },
      { key: 'promises', run: () => timeAwaited(N, op.promises) },
      { key: 'redis', run: () => timeAwaited(N, op.redis) },
    ]
    const secs = { grove: [], promises: [], redis: [] }
    for (let k = 0; k < ROUNDS; k++) {
      for (const side of k % 2 === 0 ? sides : [...sides].reverse()) {
        collect() // as bench.js: a full GC before each timed side, outside the timing
        secs[side.key].push((await side.run()).seconds)
      }
    }
    const ratio = (key) => secs[key].map((s, k) => s / secs.redis[k])
    const us = (key) => (median(secs[key]) / N) * 1e6
    rows.push({ op, us: { grove: us('grove'), promises: us('promises'), redis: us('redis') }, sync: ratio('grove'), prom: ratio('promises') })
  }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  const nodeRedis = req('redis/package.json').version
  console.log(`Grove redis:// vs node-redis ${nodeRedis} (node ${process.version}), ${N} ops x ${ROUNDS} rounds, load ${load}`)
  console.log(
    '| operation | Grove sync µs/op | Grove promises µs/op | node-redis µs/op (how) | Grove sync/node-redis | Grove promises/node-redis | goal (sync; promises) |',
  )
  console.log('|---|---:|---:|---:|---|---|---|')
  const fmt = (xs) => `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)})`
  const verdict = (xs) => (median(xs) <= 1.2 ? 'met' : 'MISSED')
  for (const { op, us, sync, prom } of rows) {
    console.log(
      `| ${op.name} | ${us.grove.toFixed(1)} | ${us.promises.toFixed(1)} | ${us.redis.toFixed(1)} (${op.how}) | ` +
        `${fmt(sync)} | ${fmt(prom)} | <= 1.2x: ${verdict(sync)}; ${verdict(prom)} |`,
    )
  }
  await pdb.close()
  db.close()
  await r.flushAll('SYNC')
  await r.close()
}

main().catch(fatal)
