'use strict'
// The job queue: FIFO, delays, redelivery after the visibility timeout with attempts + 1,
// dead-lettering after maxAttempts, nack with a delay, stats, the non-blocking dequeueWait,
// worker_threads producers and consumers on one sled path (each job acked exactly once, never
// held by two consumers at once, none lost), ids and the number policy, argument errors, Closed.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const grovekv = require('..')
const { code, sleep, tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

test('FIFO among ready jobs; ack removes; stats follow every state change', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('tasks')
  assert.equal(q.name, 'tasks')
  assert.equal(q.visibilityTimeout, 30)
  assert.equal(q.maxAttempts, 5)
  assert.equal(q.dequeue(), null)
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 0, dead: 0 })
  const before = Date.now()
  const ids = ['a', Buffer.from('b'), new Uint8Array([99]), 'd', ''].map((p) => q.enqueue(p))
  assert.deepEqual(ids, [1, 2, 3, 4, 5])
  assert.deepEqual(q.stats(), { ready: 5, inFlight: 0, dead: 0 })
  const jobs = []
  for (let i = 0; i < 5; i++) jobs.push(q.dequeue())
  assert.equal(q.dequeue(), null)
  assert.deepEqual(jobs.map((j) => j.id), ids)
  assert.deepEqual(jobs.map((j) => j.text()), ['a', 'b', 'c', 'd', ''])
  for (const j of jobs) {
    assert.ok(j instanceof grovekv.Job)
    assert.ok(Buffer.isBuffer(j.payload))
    assert.equal(j.attempts, 1)
    assert.ok(j.enqueuedAt instanceof Date)
    assert.ok(j.enqueuedAt.getTime() >= before - 5 && j.enqueuedAt.getTime() <= Date.now() + 5)
  }
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 5, dead: 0 })
  assert.equal(q.ack(jobs[0].id), true)
  assert.equal(q.ack(jobs[0].id), false, 'a second ack finds nothing in flight')
  assert.equal(q.nack(jobs[0].id), false)
  assert.equal(q.ack(999), false, 'unknown id')
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 4, dead: 0 })
  for (const j of jobs.slice(1)) assert.equal(q.ack(j.id), true)
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 0, dead: 0 })
  assert.equal(q.enqueue('next'), 6, 'ids keep counting')
  q.enqueue(JSON.stringify({ n: 1 }))
  q.dequeue()
  assert.deepEqual(q.dequeue().json(), { n: 1 })
})

test('a delayed job becomes ready at its time; jobs ready earlier come first', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('d')
  const late = q.enqueue('late', { delay: 0.3 })
  const now = q.enqueue('now')
  assert.deepEqual(q.stats(), { ready: 2, inFlight: 0, dead: 0 }, 'ready counts delayed jobs')
  assert.equal(q.dequeue().id, now)
  assert.equal(q.dequeue(), null, 'the delayed job is not visible yet')
  await sleep(350)
  const j = q.dequeue()
  assert.equal(j.id, late)
  assert.equal(j.text(), 'late')
})

test('an unacked job is delivered again after the visibility timeout with attempts + 1', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('v', { visibilityTimeout: 0.25, maxAttempts: 5 })
  const id = q.enqueue('work')
  const first = q.dequeue()
  assert.equal(first.attempts, 1)
  assert.equal(q.dequeue(), null, 'invisible while in flight')
  await sleep(300)
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 1, dead: 0 }, 'in flight until delivered again')
  const second = q.dequeue()
  assert.equal(second.id, id)
  assert.equal(second.attempts, 2)
  assert.equal(second.text(), 'work')
  assert.equal(second.enqueuedAt.getTime(), first.enqueuedAt.getTime())
  assert.equal(q.ack(id), true)
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 0, dead: 0 })
})

test('after maxAttempts deliveries a job moves to the dead-letter list', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('dl', { visibilityTimeout: 0.04, maxAttempts: 2 })
  const id = q.enqueue('poison')
  const keep = q.enqueue('fine', { delay: 30 })
  assert.equal(q.dequeue().attempts, 1)
  await sleep(70)
  assert.equal(q.dequeue().attempts, 2)
  await sleep(70)
  assert.equal(q.dequeue(), null, 'not delivered a third time')
  assert.deepEqual(q.stats(), { ready: 1, inFlight: 0, dead: 1 })
  const dead = q.deadLetters()
  assert.equal(dead.length, 1)
  assert.equal(dead[0].id, id)
  assert.equal(dead[0].attempts, 2)
  assert.equal(dead[0].text(), 'poison')
  assert.ok(dead[0] instanceof grovekv.Job)
  assert.equal(q.ack(id), false, 'a dead job cannot be acked')
  assert.equal(q.nack(id), false)
  assert.equal(keep, 2)
})

test('nack gives a job back at once or after a delay; nacked jobs can die too', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('n', { maxAttempts: 3 })
  const id = q.enqueue('x')
  q.enqueue('y')
  let j = q.dequeue()
  assert.equal(q.nack(j.id, { delay: 0.3 }), true)
  assert.equal(q.nack(j.id), false, 'no longer in flight')
  assert.deepEqual(q.stats(), { ready: 2, inFlight: 0, dead: 0 })
  assert.equal(q.dequeue().text(), 'y', 'the nacked job waits for its delay')
  assert.equal(q.dequeue(), null)
  await sleep(350)
  j = q.dequeue()
  assert.equal(j.id, id)
  assert.equal(j.attempts, 2)
  assert.equal(q.nack(j.id), true, 'no delay: ready at once')
  j = q.dequeue()
  assert.equal(j.attempts, 3)
  assert.equal(q.nack(j.id), true)
  assert.equal(q.dequeue(), null, 'the third nack used the last attempt')
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 1, dead: 1 })
  assert.deepEqual(q.deadLetters().map((d) => d.id), [id])
})

test('queues are independent, survive reopen on sled, and work in namespaced views', async (t) => {
  const dir = tempDir(t)
  let db = grovekv.open(dir)
  const short = db.queue('a', { visibilityTimeout: 0.5 })
  const lost = short.enqueue('a1')
  db.queue('b').enqueue('b1')
  db.namespace('tenant').queue('a').enqueue('t1')
  const waiting = short.enqueue('a2')
  assert.equal(short.dequeue().text(), 'a1') // its consumer "dies" holding it
  db.close()
  db = grovekv.open(dir)
  t.after(() => db.close())
  const a = db.queue('a')
  assert.deepEqual(a.stats(), { ready: 1, inFlight: 1, dead: 0 })
  assert.equal(a.dequeue().id, waiting)
  assert.equal(a.dequeue(), null, 'a1 is still invisible')
  await sleep(550)
  const back = a.dequeue()
  assert.equal(back.id, lost, 'the job held when the store closed came back after its timeout')
  assert.equal(back.attempts, 2)
  assert.equal(db.queue('b').dequeue().text(), 'b1')
  assert.equal(db.namespace('tenant').queue('a').dequeue().text(), 't1')
  assert.equal(db.queue('b').dequeue(), null)
})

test('dequeueWait resolves null after its timeout while the event loop keeps ticking', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('w')
  let ticks = 0
  const iv = setInterval(() => ticks++, 10)
  t.after(() => clearInterval(iv))
  const start = performance.now()
  assert.equal(await q.dequeueWait({ timeout: 0.3 }), null)
  const elapsed = performance.now() - start
  assert.ok(elapsed >= 290, `waited ${elapsed} ms`)
  assert.ok(elapsed < 1500, `waited ${elapsed} ms`)
  assert.ok(ticks >= 10, `the interval ticked ${ticks} times during the wait`)
  assert.equal(await q.dequeueWait({ timeout: 0 }), null, 'timeout 0: one attempt')
})

test('dequeueWait resolves with a job enqueued meanwhile, well before its timeout', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('w')
  let ticks = 0
  const iv = setInterval(() => ticks++, 5)
  t.after(() => clearInterval(iv))
  setTimeout(() => q.enqueue('hello'), 100)
  const start = performance.now()
  const job = await q.dequeueWait({ timeout: 10 })
  const elapsed = performance.now() - start
  assert.equal(job.text(), 'hello')
  assert.equal(job.attempts, 1)
  assert.ok(elapsed >= 90 && elapsed < 1000, `resolved after ${elapsed} ms`)
  assert.ok(ticks > 5, 'the event loop kept running')
  // several waiters, fewer jobs: each job goes to exactly one of them
  const waiters = Array.from({ length: 4 }, () => q.dequeueWait({ timeout: 0.5 }))
  setTimeout(() => {
    q.enqueue('one')
    q.enqueue('two')
  }, 20)
  const got = await Promise.all(waiters)
  const jobs = got.filter(Boolean)
  assert.deepEqual(jobs.map((j) => j.text()).sort(), ['one', 'two'])
  assert.equal(got.filter((j) => j === null).length, 2)
})

test('dequeueWait: an AbortSignal cancels the wait; bad options are rejected', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('w')
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 50)
  await assert.rejects(q.dequeueWait({ signal: ac.signal }), { name: 'AbortError' })
  await assert.rejects(q.dequeueWait({ signal: AbortSignal.abort() }), { name: 'AbortError' })
  await assert.rejects(q.dequeueWait({ timeout: -1 }), code('InvalidArgument', RangeError))
  await assert.rejects(q.dequeueWait({ timeout: '1' }), code('InvalidArgument', TypeError))
  await assert.rejects(q.dequeueWait({ timout: 1 }), code('InvalidArgument', TypeError))
  await assert.rejects(q.dequeueWait({ signal: 5 }), code('InvalidArgument', TypeError))
})

test('ids follow the number policy: numbers, or bigints with { bigint: true }', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const q = db.queue('big', { bigint: true })
  assert.equal(q.bigint, true)
  const id = q.enqueue('x')
  assert.equal(id, 1n)
  const j = q.dequeue()
  assert.equal(j.id, 1n)
  assert.equal(q.ack(j.id), true)
  const n = db.queue('big')
  assert.equal(n.enqueue('y'), 2)
  assert.equal(n.ack(2n), false, 'bigints are accepted too')
  assert.equal(n.dequeue().id, 2)
  assert.equal(n.ack(2n), true)
  assert.equal(n.ack(2n ** 64n - 1n), false)
})

test('bad arguments: TypeError/RangeError/Error with code InvalidArgument, nothing stored', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  assert.throws(() => db.queue('a:b'), code('InvalidArgument'))
  assert.throws(() => db.queue(''), code('InvalidArgument'))
  assert.throws(() => db.queue(1), code('InvalidArgument', TypeError))
  assert.throws(() => db.queue('q', { visibilityTimeout: 0 }), code('InvalidArgument'))
  assert.throws(() => db.queue('q', { visibilityTimeout: -1 }), code('InvalidArgument'))
  assert.throws(() => db.queue('q', { visibilityTimeout: NaN }), code('InvalidArgument'))
  assert.throws(() => db.queue('q', { visibilityTimeout: '30' }), code('InvalidArgument', TypeError))
  assert.throws(() => db.queue('q', { maxAttempts: 0 }), code('InvalidArgument'))
  assert.throws(() => db.queue('q', { maxAttempts: 1.5 }), code('InvalidArgument', RangeError))
  assert.throws(() => db.queue('q', { maxAttempts: 2 ** 32 }), code('InvalidArgument'))
  assert.throws(() => db.queue('q', { visibility: 30 }), code('InvalidArgument', TypeError))
  const q = db.queue('q')
  assert.throws(() => q.enqueue(5), code('InvalidArgument', TypeError))
  assert.throws(() => q.enqueue({ a: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => q.enqueue('x', { delay: -1 }), code('InvalidArgument'))
  assert.throws(() => q.enqueue('x', { delay: '1' }), code('InvalidArgument', TypeError))
  assert.throws(() => q.enqueue('x', 1), code('InvalidArgument', TypeError))
  assert.throws(() => q.ack('1'), code('InvalidArgument', TypeError))
  assert.throws(() => q.ack(-1), code('InvalidArgument', RangeError))
  assert.throws(() => q.ack(1.5), code('InvalidArgument', RangeError))
  assert.throws(() => q.ack(2n ** 64n), code('InvalidArgument', RangeError))
  assert.throws(() => q.nack(1, { delay: NaN }), code('InvalidArgument'))
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 0, dead: 0 })
  assert.deepEqual([...db.keys('queue:')], [])
})

test('after close every queue method throws code Closed; dequeueWait rejects with it', async (t) => {
  const db = grovekv.openMemory()
  const q = db.queue('q')
  const vq = db.namespace('v').queue('q')
  const id = q.enqueue('x')
  q.dequeue()
  // a wait in progress when the store closes rejects with Closed at its next poll
  const pending = vq.dequeueWait({ timeout: 5 })
  await sleep(10)
  db.close()
  await assert.rejects(pending, code('Closed'))
  for (const queue of [q, vq]) {
    assert.throws(() => queue.enqueue('y'), code('Closed'))
    assert.throws(() => queue.dequeue(), code('Closed'))
    assert.throws(() => queue.ack(id), code('Closed'))
    assert.throws(() => queue.nack(id), code('Closed'))
    assert.throws(() => queue.stats(), code('Closed'))
    assert.throws(() => queue.deadLetters(), code('Closed'))
    await assert.rejects(queue.dequeueWait({ timeout: 1 }), code('Closed'))
  }
  assert.throws(() => db.queue('q'), code('Closed'))
})

// Shared Int32Array layout of the worker test.
const ACKED = 0 // jobs acked so far (all consumers)
const OVERLAPS = 1 // deliveries of a job some other consumer still held
const BAD_ACKS = 2 // acks that returned false
const IDLE = 3 // never written: Atomics.wait on it is a 1 ms sleep
const HEADER = 4

const WORKER_SRC = `
const { parentPort, workerData: w } = require('node:worker_threads')
const grovekv = require(w.pkg)
const a = new Int32Array(w.sab)
const HELD = ${HEADER}            // a[HELD + id]: 1 while some consumer holds job id
const ACKS = ${HEADER} + w.total + 1  // a[ACKS + id]: successful acks of job id
const SEEN = ${HEADER} + 2 * (w.total + 1) // a[SEEN + n]: deliveries of payload n
const db = grovekv.open(w.dir)
const q = db.queue('jobs', { visibilityTimeout: 60, maxAttempts: 3 })
let count = 0
if (w.role === 'producer') {
  for (let i = 0; i < w.n; i++) {
    q.enqueue(String(w.first + i))
    count++
  }
} else {
  while (Atomics.load(a, ${ACKED}) < w.total) {
    const job = q.dequeue()
    if (job === null) {
      Atomics.wait(a, ${IDLE}, 0, 1)
      continue
    }
    const id = job.id
    if (Atomics.compareExchange(a, HELD + id, 0, 1) !== 0) Atomics.add(a, ${OVERLAPS}, 1)
    Atomics.add(a, SEEN + Number(job.text()), 1)
    for (let i = 0; i < 50; i++) Atomics.load(a, HELD + id) // a little work while holding it
    if (!q.ack(id)) Atomics.add(a, ${BAD_ACKS}, 1)
    Atomics.store(a, HELD + id, 0)
    Atomics.add(a, ACKS + id, 1)
    Atomics.add(a, ${ACKED}, 1)
    count++
  }
}
db.close()
parentPort.postMessage(count)
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

test('4 producer + 4 consumer workers on one sled path move 20,000 jobs: each acked once, never held twice, none lost', async (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  t.after(() => db.close())
  const P = 4
  const C = 4
  const PER = 5000
  const total = P * PER
  const sab = new SharedArrayBuffer(4 * (HEADER + 3 * (total + 1)))
  const a = new Int32Array(sab)
  const base = { pkg: PKG, dir, sab, total }
  const consumers = Array.from({ length: C }, () => runWorker({ ...base, role: 'consumer' }))
  const producers = Array.from({ length: P }, (_, p) => runWorker({ ...base, role: 'producer', first: p * PER, n: PER }))
  const produced = await Promise.all(producers)
  const consumed = await Promise.all(consumers)
  assert.deepEqual(produced, Array(P).fill(PER))
  assert.equal(consumed.reduce((x, y) => x + y, 0), total)
  assert.equal(Atomics.load(a, ACKED), total)
  assert.equal(Atomics.load(a, OVERLAPS), 0, 'no job held by two consumers at once')
  assert.equal(Atomics.load(a, BAD_ACKS), 0, 'every ack found its job in flight')
  const ACKS = HEADER + total + 1
  const SEEN = HEADER + 2 * (total + 1)
  for (let id = 1; id <= total; id++) {
    if (a[ACKS + id] !== 1) assert.equal(a[ACKS + id], 1, `job ${id} acked once`)
  }
  for (let n = 0; n < total; n++) {
    if (a[SEEN + n] !== 1) assert.equal(a[SEEN + n], 1, `payload ${n} delivered once`)
  }
  const q = db.queue('jobs')
  assert.deepEqual(q.stats(), { ready: 0, inFlight: 0, dead: 0 })
  assert.equal(q.dequeue(), null)
  assert.equal(q.enqueue('after'), total + 1, 'ids were allocated without gaps')
})
