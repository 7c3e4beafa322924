'use strict'
// grovekv.promises vs the synchronous grovekv API vs node-redis: 1,000 counter increments, all in
// flight at once (`await Promise.all`) and one awaited call at a time. Not part of
// scripts/bench.sh or BENCHMARKS.md; a quick look at what a Promise (an AsyncTask on libuv's
// pool) costs per call.
//
//   cd bench/node && npm install --no-audit --no-fund && node promises_bench.js
//
// Redis: REDIS_PORT=6379 uses a running server on 127.0.0.1; otherwise this starts its own
// redis-server (persistence off) on a free port in a temp dir, and skips Redis if there is none.
// Grove runs on a sled store in a temp dir with the default periodic flush (persistence off vs
// periodic flush, as in PROTOCOL.md's tier `none`), and in memory. ROUNDS (default 7) rounds,
// interleaved; the median round is reported.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const grovekv = require('grovekv')

const N = 1000
const ROUNDS = Number(process.env.ROUNDS || 7)
const P = grovekv.promises

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** A connected node-redis client, or null when there is no Redis; `stop()` ends what we started. */
async function redisClient() {
  let createClient
  try {
    ;({ createClient } = require('redis'))
  } catch {
    console.log('# node-redis not installed (npm install in bench/node): Redis skipped')
    return { client: null, stop: async () => {} }
  }
  let port = Number(process.env.REDIS_PORT || 0)
  let server = null
  let dir = null
  if (!port) {
    if (spawnSync('redis-server', ['--version']).status !== 0) {
      console.log('# no redis-server on PATH and no REDIS_PORT: Redis skipped')
      return { client: null, stop: async () => {} }
    }
    port = await freePort()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grovekv-redis-'))
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  }
  const client = createClient({ socket: { host: '127.0.0.1', port } })
  client.on('error', () => {})
  for (let i = 0; ; i++) {
    try {
      await client.connect()
      break
    } catch (e) {
      if (i > 50) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    client,
    async stop() {
      await client.quit()
      if (server) server.kill()
      if (dir) fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Seconds taken by `fn`. */
async function timed(fn) {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grovekv-pbench-'))
  const sled = await P.open(path.join(dir, 'db'))
  const mem = await P.openMemory()
  const syncSled = grovekv.open(path.join(dir, 'db')) // the same engine as `sled`
  const syncMem = grovekv.openMemory()
  const redis = await redisClient()

  const cases = {
    'grove promises, sled: 1,000 in flight': () => {
      const c = sled.counter('c')
      return Promise.all(Array.from({ length: N }, () => c.increment()))
    },
    'grove promises, sled: 1,000 one at a time': async () => {
      const c = sled.counter('c')
      for (let i = 0; i < N; i++) await c.increment()
    },
    'grove sync, sled: 1,000 calls': () => {
      const c = syncSled.counter('c')
      for (let i = 0; i < N; i++) c.increment()
    },
    'grove promises, memory: 1,000 in flight': () => {
      const c = mem.counter('c')
      return Promise.all(Array.from({ length: N }, () => c.increment()))
    },
    'grove promises, memory: 1,000 one at a time': async () => {
      const c = mem.counter('c')
      for (let i = 0; i < N; i++) await c.increment()
    },
    'grove sync, memory: 1,000 calls': () => {
      const c = syncMem.counter('c')
      for (let i = 0; i < N; i++) c.increment()
    },
  }
  if (redis.client) {
    const r = redis.client
    cases['node-redis: 1,000 INCR in flight'] = () => Promise.all(Array.from({ length: N }, () => r.incr('c')))
    cases['node-redis: 1,000 INCR one at a time'] = async () => {
      for (let i = 0; i < N; i++) await r.incr('c')
    }
  }

  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  for (const fn of Object.values(cases)) await fn() // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(cases)) times[name].push(await timed(fn))
  }

  // every increment counted
  const expected = N * (ROUNDS + 1)
  const got = {
    sled: syncSled.counter('c').get(),
    memory: await mem.counter('c').get(),
    memorySync: syncMem.counter('c').get(),
  }
  if (got.sled !== 3 * expected || got.memory !== 2 * expected || got.memorySync !== expected) {
    throw new Error(`lost increments: ${JSON.stringify(got)} (expected ${3 * expected}, ${2 * expected}, ${expected})`)
  }
  if (redis.client && Number(await redis.client.get('c')) !== 2 * expected) throw new Error('redis lost increments')

  console.log(`node ${process.version}, ${os.cpus().length} CPUs, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || 4}, median of ${ROUNDS} rounds`)
  console.log('| case | ms per 1,000 | µs per op | ops/s |')
  console.log('|---|---:|---:|---:|')
  for (const [name, ts] of Object.entries(times)) {
    const med = ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]
    console.log(`| ${name} | ${(med * 1e3).toFixed(2)} | ${((med / N) * 1e6).toFixed(2)} | ${Math.round(N / med).toLocaleString('en-US')} |`)
  }

  await redis.stop()
  syncSled.close()
  syncMem.close()
  await sled.close()
  await mem.close()
  fs.rmSync(dir, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
