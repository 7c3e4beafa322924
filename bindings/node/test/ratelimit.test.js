'use strict'
// The sliding-window rate limiter: decisions and their fields, cost, sliding expiry, exactness
// under worker_threads contention, argument errors and Closed.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const grovekv = require('..')
const { code, sleep, tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads')
const grovekv = require(workerData.pkg)
const db = grovekv.open(workerData.dir)
const rl = db.rateLimiter('api', { limit: workerData.limit, window: 3600 })
let allowed = 0
let insane = 0
for (let i = 0; i < workerData.n; i++) {
  const d = rl.allow('hot-key')
  if (d.allowed) {
    allowed++
    if (d.retryAfter !== 0 || d.remaining < 0 || d.remaining >= workerData.limit) insane++
  } else if (!(d.retryAfter > 0 && d.retryAfter <= 3600 && d.remaining === 0)) {
    insane++
  }
}
db.close()
parentPort.postMessage({ allowed, insane })
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

test('8 workers hammering one key on one sled path admit exactly `limit` in one long window', async (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  t.after(() => db.close())
  const LIMIT = 250
  const W = 8
  const N = 200 // 1,600 requests for 250 slots
  const results = await Promise.all(Array.from({ length: W }, () => runWorker({ pkg: PKG, dir, limit: LIMIT, n: N })))
  const admitted = results.reduce((s, r) => s + r.allowed, 0)
  assert.equal(admitted, LIMIT)
  for (const r of results) assert.equal(r.insane, 0, 'every decision had sane fields')
  const rl = db.rateLimiter('api', { limit: LIMIT, window: 3600 })
  const p = rl.peek('hot-key')
  assert.equal(p.allowed, false)
  assert.equal(p.remaining, 0)
})

test('allow, peek and reset: decisions and their fields', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const rl = db.rateLimiter('api', { limit: 5, window: 60 })
  assert.equal(rl.name, 'api')
  assert.equal(rl.limit, 5)
  assert.equal(rl.window, 60)
  assert.deepEqual(rl.peek('u1'), { allowed: true, remaining: 5, resetAfter: 0, retryAfter: 0 })
  for (let i = 4; i >= 0; i--) {
    const d = rl.allow('u1')
    assert.equal(d.allowed, true)
    assert.equal(d.remaining, i)
    assert.equal(d.retryAfter, 0)
    assert.ok(d.resetAfter > 59 && d.resetAfter <= 60, `resetAfter ${d.resetAfter}`)
    assert.equal(typeof d.resetAfter, 'number')
  }
  const refused = rl.allow('u1')
  assert.equal(refused.allowed, false)
  assert.equal(refused.remaining, 0)
  assert.ok(refused.retryAfter > 59 && refused.retryAfter <= 60, `retryAfter ${refused.retryAfter}`)
  assert.ok(refused.resetAfter > 59 && refused.resetAfter <= 60)
  const peeked = rl.peek('u1')
  assert.equal(peeked.allowed, false)
  assert.equal(rl.allow('u2').allowed, true, 'keys are independent')
  assert.equal(rl.reset('u1'), true)
  assert.equal(rl.reset('u1'), false, 'nothing left to reset')
  assert.equal(rl.reset('never-seen'), false)
  assert.deepEqual(rl.peek('u1'), { allowed: true, remaining: 5, resetAfter: 0, retryAfter: 0 })
  for (let i = 0; i < 3; i++) rl.peek('u1')
  assert.equal(rl.allow('u1').remaining, 4, 'peek records nothing')
  const other = db.rateLimiter('other', { limit: 5, window: 60 })
  assert.equal(other.allow('u1').remaining, 4, 'limiters with other names are independent')
})

test('cost: summed against the limit; cost > limit is InvalidArgument; 0 and bigint work', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const rl = db.rateLimiter('bytes', { limit: 10, window: 60 })
  assert.equal(rl.allow('k', 7).remaining, 3)
  const d = rl.allow('k', 4)
  assert.equal(d.allowed, false)
  assert.equal(d.remaining, 3)
  assert.ok(d.retryAfter > 0)
  assert.equal(rl.allow('k', 3n).remaining, 0)
  assert.equal(rl.allow('k', 0).allowed, true, 'cost 0 always fits')
  assert.throws(() => rl.allow('k', 11), (e) => e instanceof Error && e.code === 'InvalidArgument' && /exceeds/.test(e.message))
  assert.throws(() => rl.allow('fresh', 11), code('InvalidArgument'))
  assert.equal(rl.peek('fresh').remaining, 10, 'a refused oversize cost recorded nothing')
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60, -1n, 2n ** 64n]) {
    assert.throws(() => rl.allow('k', bad), code('InvalidArgument', RangeError), `cost ${bad}`)
  }
  for (const bad of ['1', null, {}, true]) {
    assert.throws(() => rl.allow('k', bad), code('InvalidArgument', TypeError))
  }
})

test('the window slides: capacity comes back as old requests leave it', async (t) => {
  const db = grovekv.open(tempDir(t))
  t.after(() => db.close())
  const rl = db.rateLimiter('burst', { limit: 2, window: 0.3 })
  assert.equal(rl.allow('k').allowed, true)
  assert.equal(rl.allow('k').allowed, true)
  const refused = rl.allow('k')
  assert.equal(refused.allowed, false)
  assert.ok(refused.retryAfter > 0 && refused.retryAfter <= 0.3)
  await sleep(350)
  const d = rl.allow('k')
  assert.equal(d.allowed, true)
  assert.equal(d.remaining, 1)
})

test('bad arguments', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  assert.throws(() => db.rateLimiter('x'), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter(5, { limit: 1, window: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter('x', { limit: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter('x', { window: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter('x', { limit: '1', window: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter('x', { limit: 1, window: '1' }), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter('x', { limit: 1, window: 1, burst: 2 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.rateLimiter('x', { limit: 1.5, window: 1 }), code('InvalidArgument', RangeError))
  assert.throws(() => db.rateLimiter('x', { limit: -1, window: 1 }), code('InvalidArgument', RangeError))
  assert.throws(() => db.rateLimiter('x', { limit: 0, window: 1 }), code('InvalidArgument'))
  for (const w of [0, -1, NaN, Infinity, 0.0001]) {
    assert.throws(() => db.rateLimiter('x', { limit: 1, window: w }), code('InvalidArgument'), `window ${w}`)
  }
  assert.throws(() => db.rateLimiter('', { limit: 1, window: 1 }), code('InvalidArgument'))
  const rl = db.rateLimiter('x', { limit: 1, window: 1 })
  assert.throws(() => rl.allow(5), code('InvalidArgument', TypeError))
  assert.throws(() => rl.allow(''), code('InvalidArgument'))
  assert.throws(() => rl.peek(null), code('InvalidArgument', TypeError))
  assert.throws(() => rl.reset(), code('InvalidArgument', TypeError))
  assert.throws(() => new grovekv.RateLimiter(), TypeError)
  db.set('ratelimit:x:text', 'hello')
  assert.throws(() => rl.allow('text'), code('WrongType'))
  assert.throws(() => rl.reset('text'), code('WrongType'))
  assert.equal(db.get('ratelimit:x:text').toString(), 'hello')
})

test('everything made from a closed store throws Closed', () => {
  const db = grovekv.openMemory()
  const rl = db.rateLimiter('x', { limit: 1, window: 1 })
  db.close()
  assert.throws(() => db.rateLimiter('x', { limit: 1, window: 1 }), code('Closed'))
  assert.throws(() => rl.allow('k'), code('Closed'))
  assert.throws(() => rl.allow('k', 5), code('Closed'), 'Closed before InvalidArgument')
  assert.throws(() => rl.peek('k'), code('Closed'))
  assert.throws(() => rl.reset('k'), code('Closed'))
})
