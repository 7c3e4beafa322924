'use strict'
// CRDTs: the seed stories, the Go Syncer scenario, sync and change bundles, the shared test
// vectors (tests/vectors), the number policy, JSON values, and errors.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const grovekv = require('..')
const { code, sleep, tempDir } = require('./helpers')

const VECTORS = path.resolve(__dirname, '..', '..', '..', 'tests', 'vectors')
const vector = (name) => fs.readFileSync(path.join(VECTORS, name))

/** Two in-memory replicas with the given node ids, closed when the test ends. */
function pair(t, a = 'node-a', b = 'node-b') {
  const x = grovekv.openMemory({ nodeId: a })
  const y = grovekv.openMemory({ nodeId: b })
  t.after(() => {
    x.close()
    y.close()
  })
  return [x, y]
}

/** Everything a test puts in the four CRDT types, read back as plain values. */
function snapshot(db) {
  return {
    counter: db.crdtCounter('crdt:page:home:views').value(),
    totals: db.crdtCounter('crdt:page:home:views').totals(),
    register: db.crdtRegister('crdt:title').get(),
    set: db.crdtSet('crdt:tags').members(),
    map: db.crdtMap('crdt:config').all(),
  }
}

// ---- the seed stories ----

test('seed: US-East +100 and EU-West +250 give 350 on both after sync', (t) => {
  const [us, eu] = pair(t, 'us-east-1', 'eu-west-1')
  assert.equal(us.crdtCounter('crdt:page:home:views').increment(100), 100)
  assert.equal(eu.crdtCounter('crdt:page:home:views').increment(250), 250)
  grovekv.sync(us, eu)
  assert.equal(us.crdtCounter('crdt:page:home:views').value(), 350)
  assert.equal(eu.crdtCounter('crdt:page:home:views').value(), 350)
  assert.deepEqual(us.crdtCounter('crdt:page:home:views').contributions(), {
    'eu-west-1': { positive: 250, negative: 0 },
    'us-east-1': { positive: 100, negative: 0 },
  })
})

test('seed: Node A +5, Node B +3, Node A -2 gives 6 (state merges both ways)', (t) => {
  const [a, b] = pair(t)
  const ca = a.crdtCounter('likes')
  const cb = b.crdtCounter('likes')
  ca.increment(5)
  cb.increment(3)
  assert.equal(ca.decrement(2), 3)
  assert.equal(ca.merge(cb.state()), true)
  assert.equal(cb.merge(ca.state()), true)
  assert.equal(ca.value(), 6)
  assert.equal(cb.value(), 6)
  assert.deepEqual(cb.totals(), { positive: 8, negative: 2 })
  assert.equal(ca.merge(cb.state()), false, 'merging again changes nothing')
})

test('seed: a concurrent tag add and remove keeps "crdt" (add wins)', (t) => {
  const [a, b] = pair(t)
  a.crdtSet('crdt:tags:article:1').add('crdt')
  a.crdtSet('crdt:tags:article:1').add('go')
  grovekv.sync(a, b)
  assert.equal(b.crdtSet('crdt:tags:article:1').remove('crdt'), true) // B removes what it saw
  a.crdtSet('crdt:tags:article:1').add('crdt') // A adds it again, concurrently
  grovekv.sync(a, b)
  for (const db of [a, b]) {
    const tags = db.crdtSet('crdt:tags:article:1')
    assert.equal(tags.has('crdt'), true)
    assert.equal(tags.contains('crdt'), true)
    assert.deepEqual(tags.members(), ['crdt', 'go'])
    assert.equal(tags.size, 2)
  }
})

test('seed: per-field config map merge', (t) => {
  const [a, b] = pair(t)
  a.crdtMap('crdt:config').set('theme', 'dark')
  b.crdtMap('crdt:config').set('lang', 'en')
  b.crdtMap('crdt:config').set('limits', { rps: 100, burst: [1, 2] })
  grovekv.sync(a, b)
  for (const db of [a, b]) {
    const cfg = db.crdtMap('crdt:config')
    assert.deepEqual(cfg.all(), { lang: 'en', limits: { burst: [1, 2], rps: 100 }, theme: 'dark' })
    assert.deepEqual(cfg.keys(), ['lang', 'limits', 'theme'])
    assert.equal(cfg.get('theme'), 'dark')
    assert.equal(cfg.get('missing'), null)
  }
})

// ---- sync ----

test('Go Syncer scenario: all four types survive a sync unchanged in value; a second sync reports zeros', (t) => {
  const [a, b] = pair(t)
  const c = a.crdtCounter('crdt:page:home:views')
  c.increment(7)
  c.decrement(2)
  a.crdtRegister('crdt:title').set({ text: 'Hello', rev: 3 })
  a.crdtSet('crdt:tags').add('x')
  a.crdtSet('crdt:tags').add({ y: [1, 2] })
  a.crdtMap('crdt:config').set('a', 1)
  a.crdtMap('crdt:config').set('b', [true, null])
  const before = snapshot(a)
  assert.deepEqual(before, {
    counter: 5,
    totals: { positive: 7, negative: 2 },
    register: { rev: 3, text: 'Hello' },
    set: ['x', { y: [1, 2] }],
    map: { a: 1, b: [true, null] },
  })
  assert.deepEqual(grovekv.sync(a, b), { pulled: 0, pushed: 4, merged: 0 })
  assert.deepEqual(snapshot(a), before, 'the source is unchanged')
  assert.deepEqual(snapshot(b), before, 'the other side got the same values')
  assert.deepEqual(grovekv.sync(a, b), { pulled: 0, pushed: 0, merged: 0 })
  assert.deepEqual(grovekv.sync(b, a), { pulled: 0, pushed: 0, merged: 0 })
  assert.deepEqual(snapshot(a), before)
  assert.deepEqual(snapshot(b), before)

  // Both sides write, then sync: each gets the other's keys and merges the shared ones.
  b.crdtCounter('crdt:page:home:views').increment(10)
  b.crdtCounter('crdt:other').increment(1)
  a.crdtSet('crdt:tags').add('z')
  assert.deepEqual(grovekv.sync(a, b), { pulled: 1, pushed: 0, merged: 2 })
  assert.deepEqual(snapshot(a), snapshot(b))
  assert.equal(a.crdtCounter('crdt:page:home:views').value(), 15)
  assert.deepEqual(grovekv.sync(a, b), { pulled: 0, pushed: 0, merged: 0 })
})

test('a deleted map field is not resurrected by an older concurrent set; a newer set wins over an older delete', async (t) => {
  const [a, b] = pair(t)
  a.crdtMap('m').set('f', 1)
  a.crdtMap('m').set('g', 1)
  grovekv.sync(a, b)
  b.crdtMap('m').set('f', 2) // older
  await sleep(5)
  assert.equal(a.crdtMap('m').delete('f'), true) // newer: wins
  assert.equal(a.crdtMap('m').delete('f'), false, 'already deleted')
  a.crdtMap('m').delete('g') // older
  await sleep(5)
  b.crdtMap('m').set('g', 3) // newer: wins
  grovekv.sync(a, b)
  for (const db of [a, b]) {
    assert.equal(db.crdtMap('m').get('f'), null)
    assert.deepEqual(db.crdtMap('m').keys(), ['g'])
    assert.deepEqual(db.crdtMap('m').all(), { g: 3 })
  }
  grovekv.sync(a, b)
  assert.equal(b.crdtMap('m').get('f'), null, 'still deleted after another sync')
})

test('registers converge to one value; resetLocal survives merges', (t) => {
  const [a, b] = pair(t)
  a.crdtRegister('r').set('from a')
  b.crdtRegister('r').set('from b')
  grovekv.sync(a, b)
  assert.deepEqual(a.crdtRegister('r').get(), b.crdtRegister('r').get())
  assert.ok(['from a', 'from b'].includes(a.crdtRegister('r').get()))

  a.crdtCounter('c').increment(5)
  b.crdtCounter('c').increment(3)
  grovekv.sync(a, b)
  assert.equal(a.crdtCounter('c').resetLocal(), 3)
  grovekv.sync(a, b)
  assert.equal(b.crdtCounter('c').value(), 3, 'the reset reached B and was not undone')
  assert.equal(a.crdtCounter('c').value(), 3)
})

test('sync of a store with itself, a view of itself, or a store with the same node id: InvalidArgument', (t) => {
  const [a] = pair(t)
  const twin = grovekv.openMemory({ nodeId: 'node-a' })
  t.after(() => twin.close())
  assert.throws(() => grovekv.sync(a, a), code('InvalidArgument'))
  assert.throws(() => grovekv.sync(a, a.namespace('v')), code('InvalidArgument'))
  assert.throws(() => grovekv.sync(a, twin), code('InvalidArgument'))
  assert.throws(() => grovekv.sync(a, {}), code('InvalidArgument', TypeError))
  assert.throws(() => grovekv.sync(undefined, a), code('InvalidArgument', TypeError))
})

test('sync of two sled stores on disk', (t) => {
  const a = grovekv.open(tempDir(t), { nodeId: 'disk-a' })
  const b = grovekv.open(tempDir(t), { nodeId: 'disk-b' })
  t.after(() => {
    a.close()
    b.close()
  })
  a.crdtCounter('n').increment(2)
  b.crdtCounter('n').increment(40)
  assert.deepEqual(grovekv.sync(a, b), { pulled: 0, pushed: 0, merged: 1 })
  assert.equal(a.crdtCounter('n').value(), 42)
  assert.equal(b.crdtCounter('n').value(), 42)
})

// ---- change bundles ----

test('exportChanges since a cursor carries only the keys changed after it', (t) => {
  const [a] = pair(t)
  a.crdtCounter('k1').increment()
  a.crdtCounter('k2').increment()
  a.crdtSet('k3').add(1)
  const first = a.exportChanges()
  assert.ok(Buffer.isBuffer(first.data))
  assert.equal(typeof first.cursor, 'number')
  const full = grovekv.openMemory({ nodeId: 'full' })
  t.after(() => full.close())
  assert.deepEqual(full.applyChanges(first.data), { pulled: 3, pushed: 0, merged: 0 })

  a.crdtCounter('k2').increment(5)
  const delta = a.exportChanges({ since: first.cursor })
  assert.ok(delta.cursor > first.cursor)
  assert.ok(delta.data.length < first.data.length)
  const fresh = grovekv.openMemory({ nodeId: 'fresh' })
  t.after(() => fresh.close())
  assert.deepEqual(fresh.applyChanges(delta.data), { pulled: 1, pushed: 0, merged: 0 })
  assert.equal(fresh.exists('k1'), false)
  assert.equal(fresh.exists('k3'), false)
  assert.equal(fresh.crdtCounter('k2').value(), 6)
  assert.deepEqual(full.applyChanges(delta.data), { pulled: 0, pushed: 0, merged: 1 })
  assert.equal(full.crdtCounter('k2').value(), 6)
  assert.deepEqual(full.applyChanges(delta.data), { pulled: 0, pushed: 0, merged: 0 }, 'idempotent')

  const none = a.exportChanges(delta.cursor) // a bare cursor works too
  assert.equal(none.cursor, delta.cursor)
  assert.deepEqual(fresh.applyChanges(none.data), { pulled: 0, pushed: 0, merged: 0 })
  const big = a.exportChanges({ since: BigInt(delta.cursor), bigint: true })
  assert.equal(big.cursor, BigInt(delta.cursor))
  assert.ok(a.applyChanges(new Uint8Array(none.data)), 'a Uint8Array is accepted')
})

test('exportChanges of a namespace view carries only that view, applied into another view', (t) => {
  const [a, b] = pair(t)
  a.namespace('tenant').crdtCounter('c').increment(4)
  a.crdtCounter('c').increment(100)
  const { data } = a.namespace('tenant').exportChanges()
  assert.deepEqual(b.namespace('tenant').applyChanges(data), { pulled: 1, pushed: 0, merged: 0 })
  assert.equal(b.namespace('tenant').crdtCounter('c').value(), 4)
  assert.equal(b.crdtCounter('c').value(), 0)
})

// ---- the shared vectors ----

test('vector register_future.bin: ClockDrift, the local register untouched; a larger maxDrift accepts it', (t) => {
  const [a] = pair(t)
  const future = vector('register_future.bin')
  const r = a.crdtRegister('r')
  r.set({ keep: true })
  const state = r.state()
  assert.throws(() => r.merge(future), code('ClockDrift'))
  assert.deepEqual(r.get(), { keep: true })
  assert.deepEqual(r.state(), state, 'state bytes untouched')
  assert.throws(() => a.crdtRegister('empty').merge(future), code('ClockDrift'))
  assert.equal(a.crdtRegister('empty').get(), null)
  assert.equal(a.exists('empty'), false)
  assert.equal(a.maxDrift, 60)

  // With an allowance beyond 2100 (open option or setMaxDrift), the state merges.
  const lenient = grovekv.openMemory({ nodeId: 'lenient', maxDrift: 100 * 365 * 86400 })
  t.after(() => lenient.close())
  assert.equal(lenient.crdtRegister('r').merge(future), true)
  assert.equal(lenient.crdtRegister('r').get(), 'from the future')
  const later = grovekv.openMemory({ nodeId: 'later' })
  t.after(() => later.close())
  later.setMaxDrift(100 * 365 * 86400)
  assert.equal(later.crdtRegister('r').merge(future), true)

  // A bundle carrying that stamp is refused as a whole by a strict store.
  lenient.crdtCounter('other').increment()
  const { data } = lenient.exportChanges()
  assert.throws(() => a.applyChanges(data), code('ClockDrift'))
  assert.equal(a.exists('other'), false, 'nothing of the bundle was applied')
  assert.deepEqual(a.crdtRegister('r').get(), { keep: true })
})

test('vector counter_us_east_100.bin: 100 in an empty counter; WrongType in a register, set or map', (t) => {
  const [a] = pair(t)
  const counter = vector('counter_us_east_100.bin')
  assert.equal(a.crdtCounter('c').merge(counter), true)
  assert.equal(a.crdtCounter('c').value(), 100)
  assert.deepEqual(a.crdtCounter('c').contributions(), { 'us-east-1': { positive: 100, negative: 0 } })
  assert.equal(a.crdtCounter('c').merge(counter), false)
  a.crdtRegister('r').set(1)
  a.crdtSet('s').add(1)
  a.crdtMap('m').set('f', 1)
  assert.throws(() => a.crdtRegister('r').merge(counter), code('WrongType'))
  assert.throws(() => a.crdtSet('s').merge(counter), code('WrongType'))
  assert.throws(() => a.crdtMap('m').merge(counter), code('WrongType'))
  assert.throws(() => a.crdtRegister('empty').merge(counter), code('WrongType'))
  assert.equal(a.crdtRegister('r').get(), 1)
  assert.deepEqual(a.crdtSet('s').members(), [1])
  assert.deepEqual(a.crdtMap('m').all(), { f: 1 })
})

test('vector bundle_us_east.bin: applyChanges into an empty store pulls 2', (t) => {
  const [a] = pair(t)
  const bundle = vector('bundle_us_east.bin')
  assert.deepEqual(a.applyChanges(bundle), { pulled: 2, pushed: 0, merged: 0 })
  assert.equal(a.crdtCounter('crdt:page:home:views').value(), 100)
  assert.deepEqual(a.crdtSet('crdt:tags:article:1').members(), ['go'])
  assert.deepEqual(a.applyChanges(bundle), { pulled: 0, pushed: 0, merged: 0 })

  // A local key of another type: WrongType, and nothing applied.
  const [, b] = pair(t, 'x', 'y')
  b.crdtRegister('crdt:tags:article:1').set('mine')
  assert.throws(() => b.applyChanges(bundle), code('WrongType'))
  assert.equal(b.exists('crdt:page:home:views'), false)
})

test('vector garbage.bin: Corrupt for merge and applyChanges; an unknown version is Corrupt too', (t) => {
  const [a] = pair(t)
  const garbage = vector('garbage.bin')
  a.crdtCounter('c').increment(3)
  for (const h of [a.crdtCounter('c'), a.crdtRegister('r'), a.crdtSet('s'), a.crdtMap('m')]) {
    assert.throws(() => h.merge(garbage), code('Corrupt'))
    assert.throws(() => h.merge(Buffer.alloc(0)), code('Corrupt'))
  }
  assert.throws(() => a.applyChanges(garbage), code('Corrupt'))
  const newer = Buffer.from(vector('counter_us_east_100.bin'))
  newer[3] = 99 // a format version this build does not know
  assert.throws(() => a.crdtCounter('c').merge(newer), code('Corrupt'))
  const truncated = vector('bundle_us_east.bin').subarray(0, 40)
  assert.throws(() => a.applyChanges(truncated), code('Corrupt'))
  assert.equal(a.crdtCounter('c').value(), 3, 'untouched')
  assert.throws(() => a.crdtCounter('c').merge('GRV'), code('InvalidArgument', TypeError), 'a string is not state bytes')
  assert.throws(() => a.applyChanges(null), code('InvalidArgument', TypeError))
})

// ---- types, numbers, values, errors ----

test('a key of another kind is WrongType', (t) => {
  const [a] = pair(t)
  a.set('bytes', 'hello')
  a.crdtCounter('cnt').increment()
  assert.throws(() => a.crdtCounter('bytes').increment(), code('WrongType'))
  assert.throws(() => a.crdtRegister('cnt').set(1), code('WrongType'))
  assert.throws(() => a.crdtRegister('cnt').get(), code('WrongType'))
  assert.throws(() => a.crdtSet('cnt').add(1), code('WrongType'))
  assert.throws(() => a.crdtMap('cnt').set('f', 1), code('WrongType'))
  assert.throws(() => a.get('cnt'), code('WrongType'))
  assert.equal(a.kindOf('cnt') !== null, true)
  assert.equal(a.crdtCounter('cnt').value(), 1)
})

test('counter numbers: RangeError past 2^53-1 (the write applied), exact with { bigint: true }; Overflow past 64 bits', (t) => {
  const [a] = pair(t)
  const c = a.crdtCounter('big')
  assert.equal(c.bigint, false)
  assert.equal(c.key, 'big')
  assert.equal(c.increment(), 1)
  assert.equal(c.increment(Number.MAX_SAFE_INTEGER - 1), Number.MAX_SAFE_INTEGER)
  assert.throws(
    () => c.increment(),
    (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.value === 2n ** 53n,
  )
  assert.throws(() => c.value(), RangeError)
  const big = a.crdtCounter('big', { bigint: true })
  assert.equal(big.value(), 2n ** 53n, 'the increment was applied')
  assert.equal(big.increment(2n ** 60n), 2n ** 60n + 2n ** 53n)
  assert.deepEqual(big.totals(), { positive: 2n ** 60n + 2n ** 53n, negative: 0n })
  assert.equal(big.add(-(2n ** 60n)), 2n ** 53n)
  assert.equal(big.add(-1n), 2n ** 53n - 1n)
  assert.equal(c.value(), Number.MAX_SAFE_INTEGER)
  assert.equal(c.add(-5), Number.MAX_SAFE_INTEGER - 5)
  assert.equal(c.decrement(Number.MAX_SAFE_INTEGER), -5)

  const I64_MAX = 2n ** 63n - 1n
  const o = a.crdtCounter('overflow', { bigint: true })
  assert.equal(o.increment(I64_MAX), I64_MAX)
  assert.throws(() => o.increment(1), code('Overflow'), 'a value past 2^63-1 is Overflow, never a wrap')
  assert.equal(o.value(), I64_MAX, 'unchanged by the refused increment')
  assert.equal(o.decrement(I64_MAX), 0n)
  assert.equal(o.increment(I64_MAX), I64_MAX)
  assert.throws(() => o.increment(2), code('Overflow'), "this node's increments past 2^64-1")
  assert.deepEqual(o.totals(), { positive: 2n * I64_MAX, negative: I64_MAX })
})

test('counter arguments: RangeError for negative/fractional/unsafe numbers, TypeError for non-numbers', (t) => {
  const [a] = pair(t)
  const c = a.crdtCounter('c')
  for (const bad of [-1, 1.5, 2 ** 53, NaN, Infinity, -1n, 2n ** 64n]) {
    assert.throws(() => c.increment(bad), code('InvalidArgument', RangeError), `increment(${bad})`)
    assert.throws(() => c.decrement(bad), code('InvalidArgument', RangeError), `decrement(${bad})`)
  }
  for (const bad of [1.5, 2 ** 53, NaN, 2n ** 63n, -(2n ** 63n) - 1n]) {
    assert.throws(() => c.add(bad), code('InvalidArgument', RangeError), `add(${bad})`)
  }
  for (const bad of ['1', null, {}, true]) {
    assert.throws(() => c.increment(bad), code('InvalidArgument', TypeError))
    assert.throws(() => c.add(bad), code('InvalidArgument', TypeError))
  }
  assert.throws(() => c.add(), code('InvalidArgument', TypeError), 'add needs an amount')
  assert.equal(c.value(), 0, 'nothing was written')
  assert.equal(c.add(-3), -3)
  assert.equal(c.add(0), -3)
  assert.deepEqual(c.totals(), { positive: 0, negative: 3 })
  assert.throws(() => a.crdtCounter(5), code('InvalidArgument', TypeError))
  assert.throws(() => a.crdtCounter('c', { bigInt: true }), code('InvalidArgument', TypeError))
  assert.throws(() => a.crdtCounter(''), code('InvalidArgument'))
})

test('JSON values: any JSON value round-trips; identity is canonical JSON; what JSON cannot hold is a TypeError', (t) => {
  const [a] = pair(t)
  const r = a.crdtRegister('r')
  assert.equal(r.get(), null)
  for (const v of [0, -1.5, 'text', true, false, [], {}, [1, 'two', { three: [3] }], { 'ключ': 'значение ✓' }, 2 ** 53 - 1]) {
    r.set(v)
    assert.deepEqual(r.get(), v)
  }
  r.set(new Date(0))
  assert.equal(r.get(), '1970-01-01T00:00:00.000Z', 'toJSON is honoured (as JSON.stringify does)')
  const s = a.crdtSet('s')
  s.add({ a: 1, b: 2 })
  s.add({ b: 2, a: 1 })
  assert.equal(s.size, 1, 'the same member whatever the key order')
  assert.equal(s.has({ b: 2, a: 1 }), true)
  assert.equal(s.remove({ b: 2, a: 1 }), true)
  assert.equal(s.remove({ a: 1, b: 2 }), false)
  s.add(null)
  s.add(1)
  s.add('1')
  assert.deepEqual([...s].sort(), ['1', 1, null].sort())

  const m = a.crdtMap('m')
  m.set('__proto__', { evil: true })
  m.set('constructor', 1)
  const all = m.all()
  assert.deepEqual(Object.keys(all), ['__proto__', 'constructor'])
  assert.equal(Object.getPrototypeOf(all), Object.prototype, 'a field named __proto__ is a plain own property')
  assert.deepEqual(m.get('__proto__'), { evil: true })

  const cyclic = {}
  cyclic.self = cyclic
  for (const bad of [undefined, () => 1, Symbol('s'), 10n, { n: 1n }, NaN, Infinity, cyclic]) {
    assert.throws(() => r.set(bad), code('InvalidArgument', TypeError))
    assert.throws(() => s.add(bad), code('InvalidArgument', TypeError))
    assert.throws(() => m.set('f', bad), code('InvalidArgument', TypeError))
  }
  assert.equal(r.get(), '1970-01-01T00:00:00.000Z', 'untouched')
  assert.throws(() => m.set('', 1), code('InvalidArgument'))
  assert.throws(() => m.set(1, 1), code('InvalidArgument', TypeError))
  assert.throws(() => m.get(null), code('InvalidArgument', TypeError))
})

test('maxDrift: option and setter validated', (t) => {
  const db = grovekv.openMemory({ maxDrift: 1.5 })
  t.after(() => db.close())
  assert.equal(db.maxDrift, 1.5)
  db.setMaxDrift(0)
  assert.equal(db.maxDrift, 0)
  assert.throws(() => db.setMaxDrift(-1), code('InvalidArgument'))
  assert.throws(() => db.setMaxDrift(NaN), code('InvalidArgument'))
  assert.throws(() => db.setMaxDrift('5'), code('InvalidArgument', TypeError))
  assert.throws(() => grovekv.openMemory({ maxDrift: Infinity }), code('InvalidArgument'))
  assert.throws(() => grovekv.openMemory({ maxDrift: '60' }), code('InvalidArgument', TypeError))
  const dir = tempDir(t)
  assert.throws(() => grovekv.open(dir, { maxDrift: -5 }), code('InvalidArgument'))
  const d = grovekv.open(dir, { maxDrift: 120 })
  assert.equal(d.maxDrift, 120)
  d.close()
})

test('after close: every CRDT handle, exportChanges, applyChanges and sync throw Closed', (t) => {
  const [a, b] = pair(t)
  const c = a.crdtCounter('c')
  const r = a.crdtRegister('r')
  const s = a.crdtSet('s')
  const m = a.crdtMap('m')
  c.increment()
  const state = c.state()
  const { data } = a.exportChanges()
  a.close()
  const closed = code('Closed')
  for (const f of [
    () => c.increment(),
    () => c.add(-1),
    () => c.value(),
    () => c.totals(),
    () => c.contributions(),
    () => c.resetLocal(),
    () => c.state(),
    () => c.merge(state),
    () => r.set(1),
    () => r.get(),
    () => r.merge(state),
    () => s.add(1),
    () => s.remove(1),
    () => s.has(1),
    () => s.members(),
    () => s.size,
    () => s.state(),
    () => m.set('f', 1),
    () => m.get('f'),
    () => m.delete('f'),
    () => m.keys(),
    () => m.all(),
    () => m.state(),
    () => a.crdtCounter('x'),
    () => a.crdtRegister('x'),
    () => a.crdtSet('x'),
    () => a.crdtMap('x'),
    () => a.exportChanges(),
    () => a.applyChanges(data),
    () => a.setMaxDrift(1),
    () => grovekv.sync(a, b),
    () => grovekv.sync(b, a),
  ]) {
    assert.throws(f, closed, f.toString())
  }
  assert.equal(b.crdtCounter('c').value(), 0)
})
