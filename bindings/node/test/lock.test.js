'use strict'
// The distributed lock: mutual exclusion across async acquirers and worker_threads, fencing
// tokens, ownership, expiry takeover, non-blocking waits, withLock, argument errors and Closed.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const grovekv = require('..')
const { code, sleep, tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

// Shared Int32Array slots for the overlap detector.
const INSIDE = 0 // 1 while someone is in the critical section
const OVERLAPS = 1 // entries that found someone else inside
const LAST_TOKEN = 2 // fencing token of the latest entry
const NOT_INCREASING = 3 // entries whose token was not above the previous one
const ENTRIES = 4 // critical sections entered

/** Enters the critical section with `token`, checking exclusion and token order. */
function enter(a, token) {
  if (Atomics.compareExchange(a, INSIDE, 0, 1) !== 0) Atomics.add(a, OVERLAPS, 1)
  if (token <= Atomics.load(a, LAST_TOKEN)) Atomics.add(a, NOT_INCREASING, 1)
  Atomics.store(a, LAST_TOKEN, token)
  Atomics.add(a, ENTRIES, 1)
}

/** Leaves the critical section. */
function leave(a) {
  Atomics.store(a, INSIDE, 0)
}

const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads')
const grovekv = require(workerData.pkg)
const a = new Int32Array(workerData.sab)
const db = grovekv.open(workerData.dir)
const lock = db.lock('critical', { ttl: 30 })
let done = 0
let misses = 0
let badRelease = 0
while (done < workerData.n) {
  if (!lock.tryAcquire()) {
    misses++
    continue
  }
  if (Atomics.compareExchange(a, ${INSIDE}, 0, 1) !== 0) Atomics.add(a, ${OVERLAPS}, 1)
  const token = lock.fencingToken
  if (token <= Atomics.load(a, ${LAST_TOKEN})) Atomics.add(a, ${NOT_INCREASING}, 1)
  Atomics.store(a, ${LAST_TOKEN}, token)
  Atomics.add(a, ${ENTRIES}, 1)
  for (let i = 0; i < 200; i++) Atomics.load(a, ${INSIDE}) // a little work while holding it
  Atomics.store(a, ${INSIDE}, 0)
  if (!lock.release()) badRelease++
  done++
}
db.close()
parentPort.postMessage({ done, misses, badRelease })
`

/** Runs one worker to completion and returns its message. */
function runWorker(workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SRC, { eval: true, workerData })
    let msg
    w.on('message', (m) => (msg = m))
    w.on('error', reject)
    w.on('exit', (c) => (c === 0 ? resolve(msg) : reject(new Error(`worker exited ${c}`))))
  })
}

test('8 workers (tryAcquire loops) + 4 async acquirers on one sled path: no overlap in 10,000+ acquisitions, tokens strictly increasing', async (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  t.after(() => db.close())
  const sab = new SharedArrayBuffer(8 * 4)
  const a = new Int32Array(sab)
  const W = 8
  const N = 1250
  const ASYNC = 4
  const M = 25
  const workers = Array.from({ length: W }, () => runWorker({ pkg: PKG, dir, sab, n: N }))
  const asyncAcquirers = Array.from({ length: ASYNC }, async () => {
    const lock = db.lock('critical', { ttl: 30 })
    for (let i = 0; i < M; i++) {
      assert.equal(await lock.acquire({ timeout: 60, retryInterval: 0.001 }), true)
      enter(a, lock.fencingToken)
      await new Promise((r) => setImmediate(r)) // hold it across a turn of the event loop
      leave(a)
      assert.equal(lock.release(), true)
    }
  })
  const results = await Promise.all(workers)
  await Promise.all(asyncAcquirers)
  for (const r of results) {
    assert.equal(r.done, N)
    assert.equal(r.badRelease, 0, 'every owner could release')
  }
  const total = W * N + ASYNC * M
  assert.ok(total >= 10000)
  assert.equal(Atomics.load(a, ENTRIES), total)
  assert.equal(Atomics.load(a, OVERLAPS), 0, 'no two holders at once')
  assert.equal(Atomics.load(a, NOT_INCREASING), 0, 'fencing tokens rise in acquisition order')
  const info = db.lockInfo('critical')
  assert.equal(info.held, false)
  assert.equal(info.fencingToken, total, 'one token per acquisition')
  assert.equal(info.expiresIn, null)
})

test('8 concurrent async acquirers holding across awaits: exclusive, tokens increasing', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const a = new Int32Array(8)
  let ticks = 0
  const iv = setInterval(() => ticks++, 5)
  t.after(() => clearInterval(iv))
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const lock = db.lock('x', { ttl: 30 })
      for (let i = 0; i < 10; i++) {
        assert.equal(await lock.acquire({ timeout: 30, retryInterval: 0.002 }), true)
        enter(a, lock.fencingToken)
        await sleep(1)
        leave(a)
        assert.equal(lock.release(), true)
      }
    }),
  )
  assert.equal(Atomics.load(a, ENTRIES), 80)
  assert.equal(Atomics.load(a, OVERLAPS), 0)
  assert.equal(Atomics.load(a, NOT_INCREASING), 0)
  assert.ok(ticks > 0, 'the event loop kept running')
})

test('tryAcquire, held, release, extend, key, ttl, lockInfo', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const l = db.lock('deploy', { ttl: 10 })
  assert.equal(l.key, 'lock:deploy')
  assert.equal(l.ttl, 10)
  assert.equal(l.fencingToken, 0)
  assert.equal(l.held(), false)
  assert.deepEqual(db.lockInfo('deploy'), { held: false, fencingToken: 0, expiresIn: null })
  assert.equal(l.tryAcquire(), true)
  assert.equal(l.fencingToken, 1)
  assert.equal(l.held(), true)
  const info = db.lockInfo('deploy')
  assert.equal(info.held, true)
  assert.equal(info.fencingToken, 1)
  assert.ok(info.expiresIn > 9 && info.expiresIn <= 10)
  assert.equal(l.tryAcquire(), true, 'the owner may re-acquire (a new token)')
  assert.equal(l.fencingToken, 2)
  assert.equal(l.extend(100), true)
  assert.ok(db.lockInfo('deploy').expiresIn > 99)
  assert.equal(l.release(), true)
  assert.equal(l.release(), false, 'already released')
  assert.equal(l.extend(5), false, 'cannot extend what it no longer holds')
  assert.equal(l.held(), false)
  assert.equal(l.fencingToken, 2, 'the token of the latest acquisition stays readable')
  assert.equal(db.lock('deploy', 3).ttl, 3, 'a number is the ttl')
  assert.equal(db.lock('deploy').ttl, 10, 'default ttl 10 s')
  assert.equal(db.lock('deploy', { bigint: true }).fencingToken, 0n)
  assert.deepEqual(db.lockInfo('deploy', { bigint: true }), { held: false, fencingToken: 2n, expiresIn: null })
})

test('a non-owner release/extend is a no-op returning false', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const owner = db.lock('res', { ttl: 10 })
  const other = db.lock('res', { ttl: 10 })
  assert.equal(owner.tryAcquire(), true)
  const before = db.lockInfo('res')
  assert.equal(other.release(), false)
  assert.equal(other.extend(1000), false)
  assert.equal(other.held(), false)
  assert.equal(other.tryAcquire(), false)
  assert.equal(other.fencingToken, 0)
  const after = db.lockInfo('res')
  assert.equal(after.held, true)
  assert.equal(after.fencingToken, before.fencingToken)
  assert.ok(after.expiresIn <= before.expiresIn, 'the lease was not extended')
  assert.equal(owner.held(), true)
  assert.equal(owner.release(), true)
})

test('expiry takeover: a 0.2 s lease lapses, the next caller takes it, the old owner can do nothing', async (t) => {
  const db = grovekv.open(tempDir(t))
  t.after(() => db.close())
  const first = db.lock('job', { ttl: 0.2 })
  const second = db.lock('job', { ttl: 10 })
  assert.equal(first.tryAcquire(), true)
  assert.equal(second.tryAcquire(), false)
  await sleep(300)
  assert.equal(first.held(), false, 'the lease expired')
  assert.equal(db.lockInfo('job').held, false)
  assert.equal(second.tryAcquire(), true)
  assert.ok(second.fencingToken > first.fencingToken)
  assert.equal(first.release(), false, 'the expired holder cannot release the new owner')
  assert.equal(first.extend(10), false, 'nor extend')
  assert.equal(second.held(), true)
  assert.equal(db.lockInfo('job').fencingToken, second.fencingToken)
  assert.equal(second.release(), true)
})

test('fencing tokens survive closing and reopening the store', (t) => {
  const dir = tempDir(t)
  let db = grovekv.open(dir)
  const l = db.lock('persist', { ttl: 10 })
  for (let i = 0; i < 3; i++) {
    assert.equal(l.tryAcquire(), true)
    assert.equal(l.release(), true)
  }
  assert.equal(l.fencingToken, 3)
  db.close()
  db = grovekv.open(dir)
  t.after(() => db.close())
  assert.equal(db.lockInfo('persist').fencingToken, 3)
  const again = db.lock('persist', { ttl: 10 })
  assert.equal(again.tryAcquire(), true)
  assert.equal(again.fencingToken, 4)
})

test('acquire with a timeout resolves false, and the event loop keeps running while it waits', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const holder = db.lock('busy', { ttl: 30 })
  assert.equal(holder.tryAcquire(), true)
  const waiter = db.lock('busy', { ttl: 30 })
  let ticks = 0
  const iv = setInterval(() => ticks++, 10)
  const start = performance.now()
  const p = waiter.acquire({ timeout: 0.3, retryInterval: 0.02 })
  assert.ok(p instanceof Promise)
  assert.equal(ticks, 0, 'acquire returned before waiting')
  const got = await p
  clearInterval(iv)
  const elapsed = performance.now() - start
  assert.equal(got, false)
  assert.ok(elapsed >= 290, `waited the timeout (${elapsed} ms)`)
  assert.ok(ticks >= 5, `a setInterval ticked ${ticks} times during the wait`)
  assert.equal(await waiter.acquire(), false, 'timeout 0: one attempt')
  assert.equal(holder.held(), true)
})

test('a waiting acquire succeeds once the holder releases; an AbortSignal cancels a wait', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const holder = db.lock('q', { ttl: 30 })
  assert.equal(holder.tryAcquire(), true)
  const waiter = db.lock('q', { ttl: 30 })
  setTimeout(() => holder.release(), 100)
  assert.equal(await waiter.acquire({ timeout: 5, retryInterval: 0.01 }), true)
  assert.ok(waiter.fencingToken > holder.fencingToken)

  const third = db.lock('q', { ttl: 30 })
  const ac = new AbortController()
  const p = third.acquire({ timeout: Infinity, signal: ac.signal })
  setTimeout(() => ac.abort(), 50)
  await assert.rejects(p, (e) => e.name === 'AbortError')
  await assert.rejects(third.acquire({ signal: AbortSignal.abort() }), (e) => e.name === 'AbortError')
  assert.equal(waiter.held(), true)
})

test('withLock runs the callback holding the lock and always releases', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const result = await db.withLock('deploy', { ttl: 10, timeout: 1 }, async (lock) => {
    assert.equal(lock.held(), true)
    assert.equal(db.lockInfo('deploy').held, true)
    await sleep(5)
    return lock.fencingToken
  })
  assert.equal(result, 1)
  assert.equal(db.lockInfo('deploy').held, false)
  assert.equal(await db.withLock('deploy', (l) => l.fencingToken * 10), 20, 'options are optional')

  const boom = new Error('boom')
  await assert.rejects(
    db.withLock('deploy', { ttl: 10 }, async () => {
      throw boom
    }),
    (e) => e === boom,
  )
  assert.equal(db.lockInfo('deploy').held, false, 'released after a throw')

  // serialises concurrent callers
  let inside = 0
  let maxInside = 0
  await Promise.all(
    Array.from({ length: 5 }, () =>
      db.withLock('deploy', { timeout: 10, retryInterval: 0.005 }, async () => {
        maxInside = Math.max(maxInside, ++inside)
        await sleep(5)
        inside--
      }),
    ),
  )
  assert.equal(maxInside, 1)
})

test('withLock rejects with code LockTimeout when the lock is held', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const holder = db.lock('deploy', { ttl: 30 })
  assert.equal(holder.tryAcquire(), true)
  let ran = false
  await assert.rejects(
    db.withLock('deploy', { ttl: 10, timeout: 0.1, retryInterval: 0.02 }, () => {
      ran = true
    }),
    (e) => e instanceof Error && e.code === 'LockTimeout' && /deploy/.test(e.message),
  )
  assert.equal(ran, false)
  assert.equal(holder.held(), true, 'the holder is untouched')
})

test('Symbol.dispose releases a lock', { skip: typeof Symbol.dispose !== 'symbol' }, (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const l = db.lock('d')
  assert.equal(l.tryAcquire(), true)
  l[Symbol.dispose]()
  assert.equal(l.held(), false)
})

test('locks in different namespaces are independent', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const a = db.namespace('a').lock('x')
  const b = db.namespace('b').lock('x')
  assert.equal(a.tryAcquire(), true)
  assert.equal(b.tryAcquire(), true)
  assert.equal(db.lockInfo('x').held, false)
  assert.equal(db.namespace('a').lockInfo('x').held, true)
})

test('bad arguments: TypeError/RangeError/Error with code InvalidArgument, nothing changes', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  assert.throws(() => db.lock(5), code('InvalidArgument', TypeError))
  assert.throws(() => db.lock('x', { ttl: '1' }), code('InvalidArgument', TypeError))
  assert.throws(() => db.lock('x', { tll: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.lock('x', 'soon'), code('InvalidArgument', TypeError))
  assert.throws(() => db.lock('', { ttl: 1 }), code('InvalidArgument'))
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => db.lock('x', { ttl: bad }), code('InvalidArgument'), `ttl ${bad}`)
  }
  assert.throws(() => db.lockInfo(1), code('InvalidArgument', TypeError))
  assert.throws(() => db.lockInfo(''), code('InvalidArgument'))
  const l = db.lock('x')
  await assert.rejects(l.acquire({ timeout: -1 }), code('InvalidArgument', RangeError))
  await assert.rejects(l.acquire({ timeout: NaN }), code('InvalidArgument', RangeError))
  await assert.rejects(l.acquire({ retryInterval: Infinity }), code('InvalidArgument', RangeError))
  await assert.rejects(l.acquire({ timeout: '1' }), code('InvalidArgument', TypeError))
  await assert.rejects(l.acquire({ wait: 1 }), code('InvalidArgument', TypeError))
  await assert.rejects(l.acquire({ signal: {} }), code('InvalidArgument', TypeError))
  await assert.rejects(l.acquire(5), code('InvalidArgument', TypeError))
  assert.throws(() => l.extend('1'), code('InvalidArgument', TypeError))
  assert.throws(() => l.extend(), code('InvalidArgument', TypeError))
  assert.equal(l.tryAcquire(), true)
  assert.throws(() => l.extend(0), code('InvalidArgument'))
  assert.throws(() => l.extend(-1), code('InvalidArgument'))
  assert.equal(l.held(), true)
  await assert.rejects(db.withLock('y', {}, 'not a function'), code('InvalidArgument', TypeError))
  await assert.rejects(db.withLock('y', { ttl: 1, tiemout: 2 }, () => {}), code('InvalidArgument', TypeError))
  assert.equal(db.lockInfo('y').fencingToken, 0, 'nothing was acquired')
  assert.throws(() => new grovekv.Lock(), TypeError)
  db.set('lock:text', 'hello')
  assert.throws(() => db.lock('text').tryAcquire(), code('WrongType'))
  assert.throws(() => db.lockInfo('text'), code('WrongType'))
  assert.equal(db.get('lock:text').toString(), 'hello')
})

test('everything made from a closed store throws Closed', async () => {
  const db = grovekv.openMemory()
  const l = db.lock('x')
  const never = db.lock('y')
  assert.equal(l.tryAcquire(), true)
  db.close()
  assert.throws(() => db.lock('x'), code('Closed'))
  assert.throws(() => db.lockInfo('x'), code('Closed'))
  await assert.rejects(db.withLock('x', () => {}), code('Closed'))
  for (const lock of [l, never]) {
    assert.throws(() => lock.tryAcquire(), code('Closed'))
    assert.throws(() => lock.release(), code('Closed'))
    assert.throws(() => lock.extend(1), code('Closed'))
    assert.throws(() => lock.held(), code('Closed'))
    await assert.rejects(lock.acquire({ timeout: 1 }), code('Closed'))
  }
})
