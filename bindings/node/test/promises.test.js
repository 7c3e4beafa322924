'use strict'
// grovekv.promises: the entry points; every operation returns a Promise with the results of the
// synchronous API; exact counts under 1,000 concurrent calls; waits (lock acquire, dequeueWait)
// that leave the event loop free and hold no libuv pool thread; the same error classes, codes
// and messages as the synchronous API, as rejections; Closed after close(); panics as Internal.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync, spawn } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { pathToFileURL } = require('node:url')
const grovekv = require('..')
const { blackHole, code, sleep, tempDir } = require('./helpers')

const P = grovekv.promises
const PKG = path.resolve(__dirname, '..')
const I64_MAX = 2n ** 63n - 1n
const LONE = '\ud800'

/** Counts setInterval ticks of `ms` while `fn` runs; resolves `{ value, ticks, took }`. */
async function ticking(ms, fn) {
  let ticks = 0
  const timer = setInterval(() => ticks++, ms)
  const t0 = performance.now()
  try {
    const value = await fn()
    return { value, ticks, took: performance.now() - t0 }
  } finally {
    clearInterval(timer)
  }
}

/** A sync and a promises handle on one sled store (one engine in this process). */
async function pair(t, target = null) {
  const dir = tempDir(t)
  const where = target ? `${target}:${dir}` : dir
  const sdb = grovekv.open(where)
  const db = await P.open(where)
  t.after(async () => {
    await db.close()
    sdb.close()
  })
  return { sdb, db, dir, where }
}

// ---- entry points ---------------------------------------------------------------------------

test('reachable as grovekv.promises, grovekv/promises and from ESM', () => {
  assert.equal(require('grovekv/promises'), P)
  assert.equal(require('../promises.js'), P)
  for (const name of ['open', 'openMemory', 'Store', 'Counter', 'Lock', 'RateLimiter', 'Sessions', 'Leaderboard', 'Queue', 'Job', 'CrdtCounter', 'CrdtRegister', 'CrdtSet', 'CrdtMap', 'sync', 'errorCodes', 'coreVersion']) {
    assert.ok(name in P, name)
  }
  assert.equal(P.Job, grovekv.Job, 'one Job class')
  assert.deepEqual(P.errorCodes, grovekv.errorCodes)
  assert.notEqual(P.Store, grovekv.Store)
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import promises, { openMemory, Store } from 'grovekv/promises'
       import grovekv, { promises as viaMain } from 'grovekv'
       const main = await import(${JSON.stringify(pathToFileURL(path.join(PKG, 'index.mjs')).href)})
       const db = await openMemory()
       console.log(viaMain === promises, grovekv.promises === promises, main.promises === promises,
         db instanceof Store, await db.counter('c').increment(41), typeof promises.open)`,
    ],
    { encoding: 'utf8', cwd: PKG },
  )
  assert.equal(out.trim(), 'true true true true 41 function')
})

test('every operation returns a Promise; constructors of handles and fixed getters do not', async (t) => {
  const db = await P.openMemory()
  t.after(() => db.close())
  assert.ok(db instanceof P.Store)
  const c = db.counter('c')
  const lock = db.lock('l')
  const handles = [c, lock, db.rateLimiter('r', { limit: 5, window: 1 }), db.sessions(), db.leaderboard('b'), db.queue('q'), db.crdtCounter('cc'), db.crdtRegister('cr'), db.crdtSet('cs'), db.crdtMap('cm')]
  assert.ok(c instanceof P.Counter && lock instanceof P.Lock)
  assert.ok(db.namespace('x') instanceof P.Store)
  assert.equal(typeof db.keys()[Symbol.asyncIterator], 'function')
  assert.equal(c.key, 'counter:c')
  assert.equal(lock.fencingToken, 0)
  assert.equal(typeof db.nodeId, 'string')
  // Every other method of every class answers with a Promise (arguments valid or not: a bad one
  // must reject, never throw).
  const constructors = new Set(['constructor', 'namespace', 'keys', 'lock', 'rateLimiter', 'sessions', 'leaderboard', 'queue', 'counter', 'crdtCounter', 'crdtRegister', 'crdtSet', 'crdtMap'])
  let methods = 0
  for (const obj of [db, ...handles]) {
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(obj))) {
      const desc = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(obj), name)
      if (constructors.has(name) || typeof desc.value !== 'function' || name === 'close') continue
      const r = obj[name](Symbol('not an argument'))
      assert.ok(r instanceof Promise, `${obj.constructor.name}.${name} returned ${typeof r}`)
      await r.catch(() => {})
      methods++
    }
  }
  assert.ok(methods >= 70, `${methods} methods`)
  for (const get of [() => db.leaderboard('b').size, () => db.crdtSet('cs').size]) assert.ok(get() instanceof Promise)
  assert.ok(db.close() instanceof Promise)
})

test('the same results as the synchronous API, on one store', async (t) => {
  const { sdb, db } = await pair(t)
  await db.set('k', 'v', { ttl: 30 })
  assert.equal(sdb.get('k').toString(), 'v', 'writes are seen by the sync API at once')
  assert.deepEqual(await db.get('k'), sdb.get('k'))
  assert.equal(await db.get('absent'), null)
  const ttl = await db.ttl('k')
  assert.ok(ttl > 29 && ttl <= 30)
  assert.equal(await db.kindOf('k'), 'string')
  assert.equal(await db.exists('k'), true)
  assert.equal(await db.persist('k'), true)
  assert.equal(await db.ttl('k'), null)
  assert.equal(await db.expire('k', 60), true)
  await db.setMany([['a', 'A'], [Buffer.from('b'), new Uint8Array([66])]], 10)
  await db.setMany(new Map([['c', 'C']]))
  await db.setMany({ d: 'D' })
  assert.deepEqual((await db.getMany(['a', 'b', 'c', 'd', 'zz'])).map((v) => v && v.toString()), ['A', 'B', 'C', 'D', null])
  const keys = []
  for await (const k of db.keys()) keys.push(k)
  assert.deepEqual(keys, [...sdb.keys()])
  const bufs = []
  for await (const k of db.keys('', { buffers: true })) bufs.push(k)
  assert.deepEqual(bufs, [...sdb.keys('', { buffers: true })])
  assert.equal(await db.delete('d'), true)
  assert.equal(await db.delete('d'), false)
  await db.set('gone', 'x', 0.001)
  await sleep(10)
  assert.equal(await db.purgeExpired(), 1)
  const view = db.namespace('tenant')
  await view.set('k', 'in view')
  assert.equal(view.prefix, 'tenant:')
  assert.equal(sdb.namespace('tenant').get('k').toString(), 'in view')
  assert.equal(typeof (await db.sizeOnDisk()), 'number')
  await db.flush()

  // many keys: the iterator reads in batches and sees every one, in order
  await db.setMany(Object.fromEntries(Array.from({ length: 700 }, (_, i) => [`many:${String(i).padStart(4, '0')}`, 'x'])))
  const many = []
  for await (const k of db.keys('many:')) many.push(k)
  assert.equal(many.length, 700)
  assert.deepEqual(many, [...sdb.keys('many:')])

  const c = db.counter('hits')
  assert.equal(await c.increment(), 1)
  assert.equal(await c.increment(5n), 6)
  assert.equal(await c.decrement(2), 4)
  assert.equal(sdb.counter('hits').get(), 4)
  await c.set(2n ** 60n)
  await assert.rejects(c.get(), (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.value === 2n ** 60n)
  assert.equal(await db.counter('hits', { bigint: true }).get(), 2n ** 60n)
  await c.reset()
  assert.equal(await c.get(), 0)

  const rl = db.rateLimiter('api', { limit: 3, window: 60 })
  const d = await rl.allow('u', 2)
  assert.equal(d.allowed, true)
  assert.equal(d.remaining, 1)
  assert.equal((await rl.allow('u', 2)).allowed, false)
  assert.equal((await rl.peek('u')).remaining, 1)
  assert.equal(sdb.rateLimiter('api', { limit: 3, window: 60 }).peek('u').remaining, 1)
  assert.equal(await rl.reset('u'), true)
  assert.equal(rl.name, 'api')
  assert.equal(rl.limit, 3)

  const ss = db.sessions({ ttl: 60 })
  const id = await ss.create({ user: 42, cart: [1] })
  assert.match(id, /^[A-Za-z0-9_-]{43}$/)
  assert.deepEqual(await ss.get(id), { user: 42, cart: [1] })
  assert.deepEqual(sdb.sessions().get(id), { user: 42, cart: [1] })
  assert.equal(await ss.update(id, null), true)
  assert.equal(await ss.get(id), null)
  assert.equal(await ss.exists(id), true)
  assert.equal(await ss.touch(id), true)
  assert.equal(await ss.delete(id), true)
  assert.equal(await ss.update(id, 1), false, 'never resurrected')
  assert.equal(await ss.get('not-an-id'), null)

  const lb = db.leaderboard('scores')
  await lb.add('alice', 120)
  await lb.add('bob', 95)
  assert.equal(await lb.incr('bob', 30), 125)
  assert.equal(await lb.rank('bob'), 0)
  assert.equal(await lb.score('nobody'), null)
  assert.equal(await lb.rank('nobody'), null)
  assert.deepEqual(await lb.top(5), sdb.leaderboard('scores').top(5))
  assert.deepEqual(await lb.range(1), [{ member: 'alice', score: 120, rank: 1 }])
  assert.deepEqual(await lb.around('alice', 1), sdb.leaderboard('scores').around('alice', 1))
  assert.equal(await lb.size, 2)
  assert.equal(await lb.remove('bob'), true)
  assert.equal(await lb.clear(), 1)

  const q = db.queue('jobs', { visibilityTimeout: 30, maxAttempts: 1 })
  assert.equal(await q.enqueue('one'), 1)
  assert.equal(await q.enqueue(Buffer.from('two'), { delay: 0 }), 2)
  const j = await q.dequeue()
  assert.ok(j instanceof grovekv.Job)
  assert.equal(j.text(), 'one')
  assert.equal(j.attempts, 1)
  assert.ok(j.enqueuedAt instanceof Date)
  assert.deepEqual(await q.stats(), { ready: 1, inFlight: 1, dead: 0 })
  assert.equal(await q.ack(j.id), true)
  assert.equal(await q.ack(j.id), false)
  const j2 = await q.dequeueWait({ timeout: 1 })
  assert.equal(await q.nack(j2.id), true)
  assert.equal(await q.dequeue(), null, 'maxAttempts 1: dead after one delivery')
  assert.deepEqual((await q.deadLetters()).map((x) => x.text()), ['two'])
  assert.equal(await db.queue('big', { bigint: true }).enqueue('x'), 1n)

  const cc = db.crdtCounter('crdt:c')
  assert.equal(await cc.increment(5), 5)
  assert.equal(await cc.decrement(2), 3)
  assert.equal(await cc.add(-1), 2)
  assert.equal(await cc.value(), 2)
  assert.deepEqual(await cc.totals(), { positive: 5, negative: 3 })
  assert.deepEqual(await cc.contributions(), { [db.nodeId]: { positive: 5, negative: 3 } })
  assert.deepEqual(await cc.state(), sdb.crdtCounter('crdt:c').state())
  assert.equal(await cc.resetLocal(), 0)
  assert.equal(await db.crdtCounter('crdt:c', { bigint: true }).value(), 0n)
  const reg = db.crdtRegister('crdt:r')
  assert.equal(await reg.get(), null)
  await reg.set({ b: 1, a: [true] })
  assert.deepEqual(await reg.get(), { a: [true], b: 1 })
  const set = db.crdtSet('crdt:s')
  await set.add('x')
  await set.add({ k: 1 })
  assert.equal(await set.has('x'), true)
  assert.equal(await set.contains('y'), false)
  assert.equal(await set.size, 2)
  const members = []
  for await (const m of set) members.push(m)
  assert.deepEqual(members, await set.members())
  assert.deepEqual(members, sdb.crdtSet('crdt:s').members())
  assert.equal(await set.remove('x'), true)
  const map = db.crdtMap('crdt:m')
  await map.set('f', [1, 2])
  await map.set('g', 'h')
  assert.equal(await map.delete('g'), true)
  assert.deepEqual(await map.keys(), ['f'])
  assert.deepEqual(await map.all(), { f: [1, 2] })
  assert.deepEqual(await map.get('f'), [1, 2])

  // replication between a promises store and another one
  const other = await P.openMemory({ nodeId: 'other' })
  t.after(() => other.close())
  assert.equal(await other.crdtCounter('crdt:c').merge(await cc.state()), true)
  const r = await P.sync(db, other)
  assert.deepEqual(Object.keys(r), ['pulled', 'pushed', 'merged'])
  assert.deepEqual(await P.sync(db, other), { pulled: 0, pushed: 0, merged: 0 })
  assert.deepEqual(await other.crdtMap('crdt:m').all(), { f: [1, 2] })
  const ch = await db.exportChanges()
  assert.ok(Buffer.isBuffer(ch.data) && typeof ch.cursor === 'number')
  assert.equal(typeof (await db.exportChanges({ since: ch.cursor, bigint: true })).cursor, 'bigint')
  const third = await P.openMemory({ nodeId: 'third' })
  t.after(() => third.close())
  assert.ok((await third.applyChanges(ch.data)).pulled >= 4)
  await third.setMaxDrift(5)
  assert.equal(third.maxDrift, 5)
})

test('Buffers are copied when the call is made: changing one afterwards changes nothing', async (t) => {
  const db = await P.openMemory()
  t.after(() => db.close())
  const key = Buffer.from('key')
  const value = Buffer.from('value')
  const pending = db.set(key, value)
  key.fill(0)
  value.fill(0)
  await pending
  assert.equal((await db.get('key')).toString(), 'value')
})

test('lock: acquire, fencing tokens, release, extend, withLock, await using', async (t) => {
  const { sdb, db } = await pair(t)
  const a = db.lock('deploy', { ttl: 10 })
  const b = db.lock('deploy', { ttl: 10, bigint: true })
  assert.equal(await a.tryAcquire(), true)
  assert.equal(a.fencingToken, 1)
  assert.equal(await a.held(), true)
  assert.equal(await b.tryAcquire(), false)
  assert.equal(await b.release(), false, 'not the owner')
  assert.equal(await a.extend(20), true)
  const info = await db.lockInfo('deploy')
  assert.equal(info.held, true)
  assert.equal(info.fencingToken, 1)
  assert.ok(info.expiresIn > 19 && info.expiresIn <= 20)
  assert.deepEqual(sdb.lockInfo('deploy').fencingToken, 1)
  assert.equal(await a.release(), true)
  assert.equal(await b.acquire({ timeout: 1 }), true)
  assert.equal(b.fencingToken, 2n)
  await b.release()
  const out = await db.withLock('deploy', { timeout: 1 }, async (l) => {
    assert.equal(await l.held(), true)
    return l.fencingToken
  })
  assert.equal(out, 3)
  assert.equal((await db.lockInfo('deploy')).held, false, 'withLock released')
  await assert.rejects(
    db.withLock('deploy', async () => {
      throw new Error('boom')
    }),
    /boom/,
  )
  assert.equal((await db.lockInfo('deploy')).held, false, 'released after a throw too')
  if (typeof Symbol.asyncDispose === 'symbol') {
    const l = db.lock('scoped')
    await (async () => {
      const held = l
      try {
        assert.equal(await held.acquire(), true)
      } finally {
        await held[Symbol.asyncDispose]()
      }
    })()
    assert.equal((await db.lockInfo('scoped')).held, false)
  }
})

// ---- exact under concurrency ----------------------------------------------------------------

for (const target of [null, 'lmdb', 'memory']) {
  const label = target ?? 'sled'
  test(`${label}: 1,000 concurrent await c.increment() give exactly 1,000, each value once`, async (t) => {
    const db = target === 'memory' ? await P.openMemory() : (await pair(t, target)).db
    if (target === 'memory') t.after(() => db.close())
    const c = db.counter('visitors')
    const results = await Promise.all(Array.from({ length: 1000 }, () => c.increment()))
    assert.equal(await c.get(), 1000)
    assert.deepEqual(results.sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i + 1))
  })
}

test('concurrent promises and sync increments on one store are all counted', async (t) => {
  const { sdb, db } = await pair(t)
  const pc = db.counter('mixed')
  const sc = sdb.counter('mixed')
  const pending = []
  for (let i = 0; i < 500; i++) {
    pending.push(pc.increment(2))
    sc.increment(1)
    if (i % 50 === 0) await sleep(0)
  }
  await Promise.all(pending)
  assert.equal(sc.get(), 1500)
})

test('conditional writes and bounded counter changes: the sync results, and 800 concurrent buyers sell exactly 500', async (t) => {
  const { sdb, db } = await pair(t)
  assert.equal(await db.setIfAbsent('k', 'first', { ttl: 60 }), true)
  assert.equal(await db.setIfAbsent('k', 'second'), false)
  assert.equal(sdb.get('k').toString(), 'first')
  assert.equal(await db.setIfPresent('absent', 'x'), false)
  assert.equal(await db.setIfPresent('k', 'v2'), true)
  assert.equal(await db.compareAndSet('k', 'nope', 'v3'), false)
  assert.equal(await db.compareAndSet('k', 'v2', 'v3', 30), true)
  assert.equal(await db.compareAndSet('fresh', null, '1'), true)
  assert.deepEqual(await db.getSet('k', 'v4'), Buffer.from('v3'))
  assert.equal(await db.getSet('new', 'v'), null)
  assert.deepEqual(await db.getDelete('k'), Buffer.from('v4'))
  assert.equal(await db.getDelete('k'), null)
  await assert.rejects(db.getDelete('counter:x').then(() => sdb.counter('x').increment()).then(() => db.getDelete('counter:x')), (e) => e.code === 'WrongType')

  const stock = db.counter('stock')
  await stock.set(500)
  const results = await Promise.all(Array.from({ length: 800 }, () => stock.tryDecrement()))
  const sold = results.filter((r) => r !== null)
  assert.deepEqual(sold.sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i), 'each sale saw its own remaining stock')
  assert.equal(sdb.counter('stock').get(), 0)
  assert.equal(await stock.tryIncrement(2, 1), null)
  assert.equal(await stock.tryIncrement(1, 1), 1)
  assert.equal(await db.counter('stock', { bigint: true }).tryIncrement(1n), 2n)
  const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => db.setIfAbsent('owner', `w${i}`)))
  assert.equal(wins.filter(Boolean).length, 1)
})

test('1,000 concurrent tryAcquire on one free lock: exactly one wins', async (t) => {
  const db = await P.openMemory()
  t.after(() => db.close())
  const locks = Array.from({ length: 1000 }, () => db.lock('one', { ttl: 30 }))
  const wins = (await Promise.all(locks.map((l) => l.tryAcquire()))).filter(Boolean)
  assert.equal(wins.length, 1)
})

test('200 concurrent dequeues of 100 jobs: each job delivered exactly once', async (t) => {
  const db = await P.openMemory()
  t.after(() => db.close())
  const q = db.queue('work')
  await Promise.all(Array.from({ length: 100 }, (_, i) => q.enqueue(`job-${i}`)))
  const got = (await Promise.all(Array.from({ length: 200 }, () => q.dequeue()))).filter(Boolean)
  assert.equal(got.length, 100)
  assert.equal(new Set(got.map((j) => j.id)).size, 100)
})

test('worker_threads: 4 workers x 1,000 concurrent promise increments are exact; a worker terminated with calls in flight crashes nothing', async (t) => {
  const { sdb, where } = await pair(t)
  const src = `
    const { parentPort, workerData } = require('node:worker_threads')
    const P = require(workerData.pkg).promises
    P.open(workerData.where).then(async (db) => {
      const c = db.counter('shared')
      const pending = Array.from({ length: workerData.n }, () => c.increment())
      if (workerData.abandon) {
        parentPort.postMessage('started')
        return // terminated by the main thread with these calls in flight
      }
      const seen = await Promise.all(pending)
      await db.close()
      parentPort.postMessage(new Set(seen).size)
    })`
  const run = (data) =>
    new Promise((resolve, reject) => {
      const w = new Worker(src, { eval: true, workerData: { pkg: PKG, where, ...data } })
      let msg
      w.on('message', (m) => {
        msg = m
        if (m === 'started') w.terminate()
      })
      w.on('error', reject)
      w.on('exit', () => resolve(msg))
    })
  const distinct = await Promise.all(Array.from({ length: 4 }, () => run({ n: 1000 })))
  assert.deepEqual(distinct, [1000, 1000, 1000, 1000], 'each worker saw 1,000 distinct values')
  assert.equal(sdb.counter('shared').get(), 4000)
  for (let i = 0; i < 3; i++) assert.equal(await run({ n: 5000, abandon: true }), 'started')
  const after = sdb.counter('shared').get()
  assert.ok(after >= 4000 && after <= 4000 + 3 * 5000, `${after}`)
  const again = await P.open(where)
  assert.equal(await again.counter('shared').increment(0), after, 'the store still works')
  await again.close()
})

// ---- waits leave the event loop free and hold no pool thread --------------------------------

test('a lock acquire waiting 1 s for a lock held by another handle leaves the event loop free', async (t) => {
  const { db, sdb } = await pair(t)
  const other = await P.open(db.path)
  t.after(() => other.close())
  const holder = other.lock('busy', { ttl: 30 })
  assert.equal(await holder.tryAcquire(), true)
  const waiter = db.lock('busy', { ttl: 30 })
  const r = await ticking(10, () => waiter.acquire({ timeout: 1 }))
  assert.equal(r.value, false, 'timed out')
  assert.ok(r.took >= 990, `resolved after ${r.took} ms`)
  assert.ok(r.ticks >= 20, `only ${r.ticks} ticks of a 10 ms interval in ${r.took.toFixed(0)} ms`)
  // and the wait ends as soon as the holder lets go (one retryInterval later at most)
  setTimeout(() => holder.release(), 300)
  const r2 = await ticking(10, () => waiter.acquire({ timeout: 5, retryInterval: 0.02 }))
  assert.equal(r2.value, true)
  assert.ok(r2.took >= 290 && r2.took < 1500, `acquired after ${r2.took} ms`)
  assert.ok(r2.ticks >= 10, `${r2.ticks} ticks`)
  assert.equal(sdb.lockInfo('busy').fencingToken, 2)
})

test('open with connectTimeoutMs waiting for a server that never answers leaves the event loop free', async (t) => {
  const hole = await blackHole()
  t.after(() => hole.close())
  const r = await ticking(10, () => P.open(`redis://${hole.addr}`, { connectTimeoutMs: 300 }).then(
    () => assert.fail('opened'),
    (e) => e,
  ))
  assert.equal(r.value.code, 'Io', r.value.message)
  assert.ok(r.value.message.includes(hole.addr), r.value.message)
  assert.ok(r.took >= 250 && r.took < 3000, `rejected after ${r.took} ms`)
  assert.ok(r.ticks >= 5, `only ${r.ticks} ticks of a 10 ms interval in ${r.took.toFixed(0)} ms`)
  await assert.rejects(P.open('memory:', { connectTimeoutMs: 1000 }), code('InvalidArgument'))
  await assert.rejects(P.open('redis://127.0.0.1:1', { connectTimeoutMs: 0 }), code('InvalidArgument'))
  await assert.rejects(P.open('redis://127.0.0.1:1', { connectTimeoutMs: 2000 }), (e) => code('Io')(e) && e.message.includes('127.0.0.1:1'))
  const url = process.env.GROVE_TEST_REDIS
  if (url) await (await P.open(url, { connectTimeoutMs: 2000 })).close()
})

test('dequeueWait on an empty queue for 1 s leaves the event loop free; an enqueue ends it', async (t) => {
  const { db, sdb } = await pair(t)
  const q = db.queue('inbox')
  const r = await ticking(10, () => q.dequeueWait({ timeout: 1 }))
  assert.equal(r.value, null)
  assert.ok(r.took >= 990, `resolved after ${r.took} ms`)
  assert.ok(r.ticks >= 20, `only ${r.ticks} ticks of a 10 ms interval in ${r.took.toFixed(0)} ms`)
  setTimeout(() => sdb.queue('inbox').enqueue('hello'), 200)
  const r2 = await ticking(10, () => q.dequeueWait({ timeout: 5 }))
  assert.equal(r2.value.text(), 'hello')
  assert.ok(r2.took >= 190 && r2.took < 1500, `delivered after ${r2.took} ms`)
})

test('an AbortSignal cancels a pending acquire or dequeueWait', async (t) => {
  const db = await P.openMemory()
  t.after(() => db.close())
  const holder = db.lock('x')
  await holder.tryAcquire()
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 100)
  const t0 = performance.now()
  await assert.rejects(db.lock('x').acquire({ timeout: 10, signal: ac.signal }), { name: 'AbortError' })
  await assert.rejects(db.queue('q').dequeueWait({ signal: AbortSignal.timeout(100) }), { name: 'AbortError' })
  assert.ok(performance.now() - t0 < 2000)
  await assert.rejects(db.queue('q').dequeueWait({ signal: AbortSignal.abort() }), { name: 'AbortError' })
})

test('16 pending waits hold none of the 4 libuv pool threads: fs and crypto still run at once', async (t) => {
  const { db } = await pair(t)
  const holder = db.lock('held', { ttl: 30 })
  assert.equal(await holder.tryAcquire(), true)
  const waits = []
  for (let i = 0; i < 8; i++) waits.push(db.lock('held').acquire({ timeout: 1.5 }))
  for (let i = 0; i < 8; i++) waits.push(db.queue(`empty${i}`).dequeueWait({ timeout: 1.5 }))
  await sleep(50)
  const t0 = performance.now()
  await fs.promises.readFile(__filename)
  await new Promise((resolve, reject) => crypto.pbkdf2('pw', 'salt', 1, 32, 'sha256', (e) => (e ? reject(e) : resolve())))
  assert.equal(await db.get('anything'), null)
  const took = performance.now() - t0
  assert.ok(took < 500, `pool work waited ${took.toFixed(0)} ms behind the pending waits`)
  const results = await Promise.all(waits)
  assert.deepEqual(results, [...Array(8).fill(false), ...Array(8).fill(null)])
})

// ---- the same errors, as rejections ---------------------------------------------------------

/** What a call did: `{ threw }`, `{ rejected }`, `{ value }` (sync) or `{ resolved }`. */
async function outcome(fn) {
  let r
  try {
    r = fn()
  } catch (e) {
    return { threw: e }
  }
  if (!(r instanceof Promise)) return { value: r }
  try {
    return { resolved: await r }
  } catch (e) {
    return { rejected: e }
  }
}

/** Asserts two errors have the same class, code, message (unless `sameMessage` is false) and `value`. */
function sameError(a, b, label, sameMessage = true) {
  assert.ok(a instanceof Error && b instanceof Error, `${label}: ${a} / ${b}`)
  assert.equal(Object.getPrototypeOf(b), Object.getPrototypeOf(a), `${label}: ${a.constructor.name} vs ${b.constructor.name}: ${b.message}`)
  assert.equal(b.code, a.code, `${label}: code ${a.code} vs ${b.code} (${b.message})`)
  if (sameMessage) assert.equal(b.message, a.message, label)
  assert.equal(b.value, a.value, `${label}: value`)
}

/** Bad-input cases: `call(h)` on the handles `h` of either API; each must fail in the sync API. */
const errorCases = []
function bad(name, call, opts = {}) {
  errorCases.push({ name, call, ...opts })
}
const BAD_KEYS = [null, undefined, 42, true, 1n, {}, [], Symbol('s'), LONE, '', Buffer.alloc(0), 'k'.repeat(1025)]
for (const k of BAD_KEYS) {
  for (const m of ['get', 'delete', 'exists', 'kindOf', 'persist', 'ttl']) bad(`${m}(${String(k).slice(0, 8)})`, (h) => h.db[m](k))
  bad(`set key ${String(k).slice(0, 8)}`, (h) => h.db.set(k, 'v'))
  bad(`expire key ${String(k).slice(0, 8)}`, (h) => h.db.expire(k, 1))
  bad(`getMany key ${String(k).slice(0, 8)}`, (h) => h.db.getMany(['ok', k]))
  bad(`setIfAbsent key ${String(k).slice(0, 8)}`, (h) => h.db.setIfAbsent(k, 'v'))
  bad(`setIfPresent key ${String(k).slice(0, 8)}`, (h) => h.db.setIfPresent(k, 'v'))
  bad(`compareAndSet key ${String(k).slice(0, 8)}`, (h) => h.db.compareAndSet(k, null, 'v'))
  bad(`getSet key ${String(k).slice(0, 8)}`, (h) => h.db.getSet(k, 'v'))
  bad(`getDelete key ${String(k).slice(0, 8)}`, (h) => h.db.getDelete(k))
  // keys(prefix) takes any bytes, empty or long (it then matches nothing), and undefined for ''
  if (!['', undefined, 'k'.repeat(1025)].includes(k) && !Buffer.isBuffer(k)) {
    bad(`keys prefix ${String(k).slice(0, 8)}`, (h) => h.db.keys(k), { throws: true })
  }
}
for (const v of [null, 42, {}, LONE]) bad(`set value ${String(v)}`, (h) => h.db.set('plain', v))
for (const v of [null, 42, {}, LONE]) bad(`setIfAbsent value ${String(v)}`, (h) => h.db.setIfAbsent('new', v))
for (const v of [undefined, 42, {}, LONE]) bad(`compareAndSet expected ${String(v)}`, (h) => h.db.compareAndSet('plain', v, 'x'))
for (const v of [null, 42, LONE]) bad(`getSet value ${String(v)}`, (h) => h.db.getSet('plain', v))
for (const ttl of ['5', -1, 0, NaN, { tll: 5 }]) bad(`setIfPresent ttl ${JSON.stringify(ttl)}`, (h) => h.db.setIfPresent('plain', 'x', ttl))
for (const m of ['setIfAbsent', 'setIfPresent', 'getSet']) bad(`${m} a counter key`, (h) => h.db[m]('counter:hits', 'x'))
bad('compareAndSet a counter key', (h) => h.db.compareAndSet('counter:hits', null, 'x'))
bad('getDelete a counter key', (h) => h.db.getDelete('counter:hits'))
bad('set value 16 MiB + 1', (h) => h.db.set('plain', Buffer.alloc(16 * 1024 * 1024 + 1)))
for (const ttl of ['5', -1, NaN, Infinity, { ttl: '5' }, { tll: 5 }, [5]]) bad(`set ttl ${JSON.stringify(ttl)}`, (h) => h.db.set('plain', 'x', ttl))
for (const ttl of [undefined, '5', -1, NaN]) bad(`expire ttl ${ttl}`, (h) => h.db.expire('plain', ttl))
for (const e of [null, 'ab', [['k']], { k: 42 }, new Set()]) bad(`setMany ${String(e)}`, (h) => h.db.setMany(e))
bad('setMany a counter key (all or nothing)', (h) => h.db.setMany({ new: 'v', 'counter:hits': 'x' }))
bad('setMany ttl -1', (h) => h.db.setMany({ a: 'b' }, -1))
bad('getMany not iterable', (h) => h.db.getMany(42))
bad('get a counter key', (h) => h.db.get('counter:hits'))
bad('set a leaderboard member', (h) => h.db.set('lb:board:alice', 'x'))
bad('ttl of an absent key', (h) => h.db.ttl('absent'))
bad('keys options', (h) => h.db.keys('', { buffer: true }), { throws: true })
for (const v of [null, '1', 1.5, NaN, 2 ** 53, 2n ** 63n, Symbol('s')]) {
  for (const m of ['increment', 'decrement', 'set']) bad(`counter.${m}(${String(v)})`, (h) => h.db.counter('hits')[m](v))
}
for (const v of [null, '1', 1.5, NaN, 2 ** 53, 2n ** 63n, Symbol('s'), -1, -1n]) {
  bad(`counter.tryDecrement(${String(v)})`, (h) => h.db.counter('hits').tryDecrement(v))
  bad(`counter.tryIncrement(${String(v)})`, (h) => h.db.counter('hits').tryIncrement(v))
}
for (const v of [null, '1', 1.5, 2n ** 63n]) {
  bad(`counter.tryDecrement(1, ${String(v)})`, (h) => h.db.counter('hits').tryDecrement(1, v))
  bad(`counter.tryIncrement(1, ${String(v)})`, (h) => h.db.counter('hits').tryIncrement(1, v))
}
bad('counter.tryDecrement of a string', (h) => h.db.counter('strval').tryDecrement())
bad('counter.increment past 2^63-1', (h) => h.db.counter('top').increment(1))
bad('counter.get of 2^60 as a number (RangeError with the exact value)', (h) => h.db.counter('big').get())
bad('counter.increment past 2^53-1 (applied; RangeError with the exact value)', (h) => h.db.counter('edge').increment(0))
bad('counter of a string', (h) => h.db.counter('strval').increment())
bad('counter name', (h) => h.db.counter(''), { throws: true })
bad('counter options', (h) => h.db.counter('x', { bigInt: true }), { throws: true })
bad('lock options', (h) => h.db.lock('l', { ttl: '5' }), { throws: true })
bad('lock ttl 0', (h) => h.db.lock('l', 0), { throws: true })
for (const v of [undefined, '1', -1, NaN]) bad(`lock.extend(${v})`, (h) => h.db.lock('deploy').extend(v))
for (const o of ['x', { timeout: '1' }, { timeout: -1 }, { retryInterval: Infinity }, { signal: {} }]) bad(`lock.acquire(${JSON.stringify(o)})`, (h) => h.db.lock('deploy').acquire(o))
bad('lock.tryAcquire of a string key', (h) => h.db.lock('strlock').tryAcquire())
bad('lockInfo of a string key', (h) => h.db.lockInfo('strlock'))
bad('lockInfo name', (h) => h.db.lockInfo(''))
bad('withLock held by another (timeout 0)', (h) => h.db.withLock('deploy', { timeout: 0 }, () => 1))
bad('withLock without a function', (h) => h.db.withLock('free', {}))
bad('withLock options', (h) => h.db.withLock('free', { bogus: 1 }, () => 1))
bad('rateLimiter options', (h) => h.db.rateLimiter('api', { limit: 0, window: 1 }), { throws: true })
for (const [k, cost] of [['', 1], [42, 1], ['u', 11], ['u', -1], ['u', '1'], ['u', 1.5]]) bad(`rl.allow(${k}, ${cost})`, (h) => h.db.rateLimiter('api', { limit: 10, window: 60 }).allow(k, cost))
bad('rl.peek(42)', (h) => h.db.rateLimiter('api', { limit: 10, window: 60 }).peek(42))
for (const v of [undefined, () => 1, Symbol('s'), 1n, NaN, { n: Infinity }, LONE]) bad(`sessions.create(${String(v)})`, (h) => h.db.sessions().create(v))
bad('sessions.get(42)', (h) => h.db.sessions().get(42))
bad('sessions.get of raw bytes', (h) => h.db.sessions().get('A'.repeat(43)))
bad('sessions.update bad data', (h) => h.db.sessions().update('A'.repeat(43), undefined))
for (const s of [NaN, Infinity, '1', null]) bad(`lb.add(${s})`, (h) => h.db.leaderboard('board').add('x', s))
bad('lb.incr past the finite range', (h) => h.db.leaderboard('board').incr('max', Number.MAX_VALUE))
bad('lb.score(42)', (h) => h.db.leaderboard('board').score(42))
bad('lb.score("")', (h) => h.db.leaderboard('board').score(''))
for (const n of [-1, 1.5, '3', 2 ** 53]) bad(`lb.top(${n})`, (h) => h.db.leaderboard('board').top(n))
bad('lb.range(0, -1)', (h) => h.db.leaderboard('board').range(0, -1))
bad('lb.around("x", NaN)', (h) => h.db.leaderboard('board').around('x', NaN))
bad('leaderboard name with ":"', (h) => h.db.leaderboard('a:b'), { throws: true })
for (const p of [null, 42, {}, LONE]) bad(`q.enqueue(${String(p)})`, (h) => h.db.queue('jobs').enqueue(p))
bad('q.enqueue delay -1', (h) => h.db.queue('jobs').enqueue('x', { delay: -1 }))
bad('q.enqueue delay "1"', (h) => h.db.queue('jobs').enqueue('x', { delay: '1' }))
for (const id of [undefined, '1', -1, 1.5, 2n ** 64n]) {
  bad(`q.ack(${String(id)})`, (h) => h.db.queue('jobs').ack(id))
  bad(`q.nack(${String(id)})`, (h) => h.db.queue('jobs').nack(id))
}
bad('q.dequeueWait timeout -1', (h) => h.db.queue('jobs').dequeueWait({ timeout: -1 }))
bad('q.dequeueWait options', (h) => h.db.queue('jobs').dequeueWait({ wait: 1 }))
bad('queue options', (h) => h.db.queue('jobs', { visibilityTimeout: 0 }), { throws: true })
bad('queue name ""', (h) => h.db.queue(''), { throws: true })
for (const v of [-1, 1.5, '1', 2n ** 64n]) bad(`crdtCounter.increment(${String(v)})`, (h) => h.db.crdtCounter('crdt:cnt').increment(v))
bad('crdtCounter.add(I64_MAX) past 2^63-1', (h) => h.db.crdtCounter('crdt:cnt').add(I64_MAX))
bad('crdtCounter.add("1")', (h) => h.db.crdtCounter('crdt:cnt').add('1'))
for (const s of [null, 'GRV', Buffer.from('garbage!'), Buffer.alloc(0)]) {
  for (const m of ['crdtCounter', 'crdtRegister', 'crdtSet', 'crdtMap']) bad(`${m}.merge(${String(s)})`, (h) => h.db[m]('crdt:x').merge(s))
}
bad('crdtCounter.merge of a set state', (h) => h.db.crdtCounter('crdt:cnt').merge(h.setState))
bad('crdtRegister.state of a counter key', (h) => h.db.crdtRegister('crdt:cnt').state())
bad('crdtSet.state of a string', (h) => h.db.crdtSet('plain').state())
bad('crdtRegister.set(undefined)', (h) => h.db.crdtRegister('crdt:r').set(undefined))
bad('crdtSet.add(NaN)', (h) => h.db.crdtSet('crdt:s').add(NaN))
bad('crdtSet.has(Symbol)', (h) => h.db.crdtSet('crdt:s').has(Symbol('s')))
bad('crdtMap.set(42, 1)', (h) => h.db.crdtMap('crdt:m').set(42, 1))
bad('crdtMap.set("", 1)', (h) => h.db.crdtMap('crdt:m').set('', 1))
bad('crdtMap.get(LONE)', (h) => h.db.crdtMap('crdt:m').get(LONE))
bad('exportChanges("x")', (h) => h.db.exportChanges('x'))
bad('exportChanges({ since: -1 })', (h) => h.db.exportChanges({ since: -1 }))
bad('applyChanges("x")', (h) => h.db.applyChanges('x'))
bad('applyChanges(garbage)', (h) => h.db.applyChanges(Buffer.from('garbage')))
bad('setMaxDrift("1")', (h) => h.db.setMaxDrift('1'))
bad('setMaxDrift(-1)', (h) => h.db.setMaxDrift(-1))
bad('sync with itself', (h) => h.api.sync(h.db, h.db))
bad('sync with a view of itself', (h) => h.api.sync(h.db, h.db.namespace('v')))
bad('sync with a non-store', (h) => h.api.sync(h.db, {}), { sameMessage: false })
for (const p of [null, 42, LONE, '', 'lmbd:./x']) bad(`open(${String(p)})`, (h) => h.api.open(p))
for (const o of ['x', { nodeID: 'a' }, { durable: 'yes' }, { flushEveryMs: 0 }, { nodeId: 'has space' }, { maxDrift: -1 }, { connectTimeoutMs: 1000 }, { connectTimeoutMs: '1' }]) {
  bad(`open(dir, ${JSON.stringify(o)})`, (h) => h.api.open(h.scratch, o))
}
for (const o of [{ connectTimeoutMs: 0 }, { connectTimeoutMs: NaN }, { connectTimeoutMs: 2000 }]) {
  bad(`open(redis://127.0.0.1:1, ${JSON.stringify(o)})`, (h) => h.api.open('redis://127.0.0.1:1', o))
}
for (const o of ['x', { path: '/tmp' }, { nodeId: '' }, { maxDrift: NaN }]) bad(`openMemory(${JSON.stringify(o)})`, (h) => h.api.openMemory(o))
bad('a Rust panic', (h) => h.api._panicForTest(), { sameMessage: false })

test(`${errorCases.length} bad inputs: the promises API rejects with the sync API's error class, code and message`, async (t) => {
  const { sdb, db } = await pair(t)
  sdb.set('plain', 'hello')
  sdb.set('strval', 'x')
  sdb.set('counter:strval', 'not a counter')
  sdb.set('lock:strlock', 'not a lock')
  sdb.set(`sess:${'A'.repeat(43)}`, 'not json')
  sdb.counter('hits').increment(3)
  sdb.counter('top', { bigint: true }).set(I64_MAX)
  sdb.counter('big').set(2n ** 60n)
  sdb.leaderboard('board').add('max', Number.MAX_VALUE)
  sdb.crdtCounter('crdt:cnt').increment(1)
  sdb.crdtSet('crdt:s').add('x')
  sdb.queue('jobs').enqueue('x')
  assert.equal(sdb.lock('deploy', { ttl: 1000 }).tryAcquire(), true)
  const setState = sdb.crdtSet('crdt:s').state()
  const scratch = tempDir(t)
  const sync = { api: grovekv, db: sdb, setState, scratch }
  const prom = { api: P, db, setState, scratch }
  for (const c of errorCases) {
    await t.test(c.name, async () => {
      if (c.name.includes('past 2^53-1')) sdb.counter('edge').set(2n ** 53n)
      const s = await outcome(() => c.call(sync))
      if (c.name.includes('past 2^53-1')) sdb.counter('edge').set(2n ** 53n)
      const p = await outcome(() => c.call(prom))
      const se = s.threw ?? s.rejected
      if (!se) assert.fail(`${c.name}: the sync API did not fail: it returned ${String(s.value ?? s.resolved)}`)
      if (c.throws) {
        // a constructor of a handle (or keys()): synchronous in both APIs
        assert.ok(p.threw, `${c.name}: the promises API did not throw: ${Object.keys(p)}`)
        sameError(se, p.threw, c.name, c.sameMessage)
      } else {
        assert.ok(!p.threw, `${c.name}: the promises API threw instead of rejecting: ${p.threw && p.threw.message}`)
        assert.ok(p.rejected, `${c.name}: the promises API did not reject: ${Object.keys(p)}`)
        sameError(se, p.rejected, c.name, c.sameMessage)
      }
    })
  }
  assert.equal(sdb.get('plain').toString(), 'hello', 'refused writes changed nothing')
  assert.equal(sdb.counter('hits').get(), 3)
  assert.equal(sdb.exists('new'), false)
})

test('StoreLocked: a sled directory another process holds rejects open with code StoreLocked', async (t) => {
  const dir = tempDir(t)
  const child = spawn(process.execPath, ['-e', `const db = require(${JSON.stringify(PKG)}).open(${JSON.stringify(dir)}); console.log('open'); process.stdin.on('data', () => { db.close(); process.exit(0) })`], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.after(() => child.kill())
  await new Promise((resolve) => child.stdout.once('data', resolve))
  const s = await outcome(() => grovekv.open(dir))
  const p = await outcome(() => P.open(dir))
  assert.ok(p.rejected, 'rejected')
  sameError(s.threw, p.rejected, 'StoreLocked')
  assert.equal(p.rejected.code, 'StoreLocked')
  child.stdin.write('x')
  await new Promise((resolve) => child.once('exit', resolve))
  const db = await P.open(dir)
  await db.close()
})

test('a Rust panic on a pool thread rejects with code Internal and node keeps running', async () => {
  await assert.rejects(P._panicForTest(), (e) => e instanceof Error && e.code === 'Internal' && /panic/.test(e.message))
  const db = await P.openMemory()
  assert.equal(await db.counter('after').increment(), 1)
  await db.close()
})

// ---- Closed ---------------------------------------------------------------------------------

test('after close() every operation rejects with code Closed (constructors throw it), and changes nothing', async (t) => {
  const { sdb, db } = await pair(t)
  sdb.set('kv', 'v')
  sdb.queue('jobs').enqueue('j')
  const x = {
    db,
    view: db.namespace('tenant'),
    c: db.counter('hits'),
    lock: db.lock('l'),
    rl: db.rateLimiter('api', { limit: 5, window: 1 }),
    sess: db.sessions(),
    lb: db.leaderboard('board'),
    q: db.queue('jobs'),
    cc: db.crdtCounter('crdt:c'),
    reg: db.crdtRegister('crdt:r'),
    set: db.crdtSet('crdt:s'),
    map: db.crdtMap('crdt:m'),
    iter: db.keys(''),
    other: await P.openMemory({ nodeId: 'other' }),
  }
  t.after(() => x.other.close())
  const state = sdb.crdtSet('crdt:s').state()
  await db.close()
  assert.equal(db.closed, true)
  assert.equal(x.view.closed, true)
  await db.close() // closing twice is fine
  const rejecting = [
    () => x.db.flush(), () => x.db.sizeOnDisk(), () => x.db.get('kv'), () => x.db.set('kv', 'changed'), () => x.db.delete('kv'),
    () => x.db.exists('kv'), () => x.db.kindOf('kv'), () => x.db.expire('kv', 1), () => x.db.persist('kv'), () => x.db.ttl('kv'),
    () => x.db.getMany(['kv']), () => x.db.setMany({ kv: 'changed' }), () => x.db.purgeExpired(), () => x.db.lockInfo('l'),
    () => x.db.withLock('l', () => assert.fail('ran')), () => x.db.exportChanges(), () => x.db.applyChanges(Buffer.from('x')),
    () => P.sync(x.db, x.other), () => P.sync(x.other, x.db), () => x.iter.next(), () => x.view.get('k'),
    () => x.c.increment(), () => x.c.decrement(2n), () => x.c.get(), () => x.c.set(1), () => x.c.reset(),
    () => x.c.tryDecrement(), () => x.c.tryIncrement(1, 5),
    () => x.db.setIfAbsent('kv2', 'v'), () => x.db.setIfPresent('kv', 'changed'), () => x.db.compareAndSet('kv', null, 'v'),
    () => x.db.getSet('kv', 'changed'), () => x.db.getDelete('kv'),
    () => x.lock.tryAcquire(), () => x.lock.acquire({ timeout: 1 }), () => x.lock.release(), () => x.lock.extend(1), () => x.lock.held(),
    () => x.rl.allow('u'), () => x.rl.peek('u'), () => x.rl.reset('u'),
    () => x.sess.create({}), () => x.sess.get('A'.repeat(43)), () => x.sess.update('A'.repeat(43), 1), () => x.sess.touch('A'.repeat(43)),
    () => x.sess.delete('A'.repeat(43)), () => x.sess.exists('A'.repeat(43)),
    () => x.lb.add('a', 1), () => x.lb.incr('a', 1), () => x.lb.score('a'), () => x.lb.rank('a'), () => x.lb.top(1), () => x.lb.range(0),
    () => x.lb.around('a', 1), () => x.lb.remove('a'), () => x.lb.clear(), () => x.lb.size,
    () => x.q.enqueue('x'), () => x.q.dequeue(), () => x.q.dequeueWait({ timeout: 1 }), () => x.q.dequeueWait(), () => x.q.ack(1),
    () => x.q.nack(1), () => x.q.stats(), () => x.q.deadLetters(),
    () => x.cc.increment(), () => x.cc.decrement(), () => x.cc.add(1), () => x.cc.value(), () => x.cc.totals(), () => x.cc.contributions(),
    () => x.cc.resetLocal(), () => x.cc.state(), () => x.cc.merge(state),
    () => x.reg.set(1), () => x.reg.get(), () => x.reg.state(), () => x.reg.merge(state),
    () => x.set.add(1), () => x.set.remove(1), () => x.set.has(1), () => x.set.contains(1), () => x.set.members(), () => x.set.size,
    () => x.set[Symbol.asyncIterator]().next(), () => x.set.state(), () => x.set.merge(state),
    () => x.map.set('f', 1), () => x.map.get('f'), () => x.map.delete('f'), () => x.map.keys(), () => x.map.all(), () => x.map.state(),
    () => x.map.merge(state),
  ]
  for (const [i, call] of rejecting.entries()) {
    const r = await outcome(call)
    const label = `#${i}: ${call.toString().slice(6, 60)}`
    assert.ok(!r.threw, `${label} threw instead of rejecting`)
    assert.ok(r.rejected, `${label} did not reject`)
    assert.ok(code('Closed')(r.rejected), `${label}: ${r.rejected.code} ${r.rejected.message}`)
  }
  for (const call of [() => x.db.namespace('n'), () => x.db.counter('c'), () => x.db.lock('l'), () => x.db.queue('q'), () => x.db.crdtMap('m'), () => x.db.keys()]) {
    assert.throws(call, code('Closed'))
  }
  assert.equal(sdb.get('kv').toString(), 'v', 'nothing changed')
  assert.deepEqual(sdb.queue('jobs').stats(), { ready: 1, inFlight: 0, dead: 0 })
  assert.equal(sdb.exists('counter:hits'), false)
})
