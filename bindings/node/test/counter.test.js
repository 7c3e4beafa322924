'use strict'
// Atomic counters: operations, the 64-bit number policy at its boundaries, and errors.
const test = require('node:test')
const assert = require('node:assert/strict')
const grovekv = require('..')
const { code, tempDir } = require('./helpers')

const MAX_SAFE = Number.MAX_SAFE_INTEGER // 2^53 - 1
const I64_MAX = 2n ** 63n - 1n
const I64_MIN = -(2n ** 63n)

test('increment, decrement, get, set, reset', (t) => {
  const db = grovekv.open(tempDir(t))
  t.after(() => db.close())
  const c = db.counter('visitors')
  assert.equal(c.key, 'counter:visitors')
  assert.equal(c.bigint, false)
  assert.equal(c.get(), 0)
  assert.equal(c.increment(), 1)
  assert.equal(c.increment(5), 6)
  assert.equal(c.increment(-10), -4)
  assert.equal(c.decrement(), -5)
  assert.equal(c.decrement(-7), 2)
  assert.equal(c.increment(0), 2)
  assert.equal(c.get(), 2)
  c.set(1000)
  assert.equal(c.get(), 1000)
  c.set(-3)
  assert.equal(c.get(), -3)
  c.reset()
  assert.equal(c.get(), 0)
  assert.equal(db.counter('visitors').get(), 0, 'two handles, one value')
  assert.equal(db.counter('other').get(), 0)
})

test('a counter keeps its expiry on increment; set clears it', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const c = db.counter('c')
  c.increment()
  assert.equal(db.expire('counter:c', 60), true)
  c.increment()
  assert.ok(db.ttl('counter:c') > 59)
  c.set(5)
  assert.equal(db.ttl('counter:c'), null)
})

test('numbers: exact within ±(2^53-1), RangeError beyond (with the exact value)', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const c = db.counter('big')
  c.set(MAX_SAFE - 1)
  assert.equal(c.increment(), MAX_SAFE)
  assert.equal(c.get(), MAX_SAFE)
  assert.throws(
    () => c.increment(),
    (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.value === 2n ** 53n,
  )
  assert.throws(() => c.get(), RangeError)
  assert.equal(db.counter('big', { bigint: true }).get(), 2n ** 53n, 'the increment was applied')
  c.set(-MAX_SAFE)
  assert.equal(c.get(), -MAX_SAFE)
  assert.throws(() => c.decrement(), (e) => e instanceof RangeError && e.value === -(2n ** 53n))
})

test('number arguments must be safe integers; bigints must fit 64 bits', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const c = db.counter('c')
  for (const bad of [1.5, NaN, Infinity, -Infinity, MAX_SAFE + 1, 2 ** 60]) {
    assert.throws(() => c.increment(bad), code('InvalidArgument', RangeError), `increment(${bad})`)
    assert.throws(() => c.decrement(bad), code('InvalidArgument', RangeError))
    assert.throws(() => c.set(bad), code('InvalidArgument', RangeError))
  }
  for (const bad of [I64_MAX + 1n, I64_MIN - 1n, 2n ** 64n]) {
    assert.throws(() => c.increment(bad), code('InvalidArgument', RangeError))
    assert.throws(() => c.set(bad), code('InvalidArgument', RangeError))
  }
  for (const bad of ['1', null, {}, [], true]) {
    assert.throws(() => c.increment(bad), code('InvalidArgument', TypeError))
    assert.throws(() => c.decrement(bad), TypeError)
    assert.throws(() => c.set(bad), TypeError)
  }
  assert.throws(() => c.set(), TypeError)
  assert.equal(c.get(), 0, 'nothing changed')
  assert.equal(c.increment(MAX_SAFE), MAX_SAFE)
  assert.equal(c.increment(-MAX_SAFE), 0)
})

test('bigint input and { bigint: true } cover the full signed 64-bit range', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const c = db.counter('c', { bigint: true })
  assert.equal(c.bigint, true)
  assert.equal(c.get(), 0n)
  assert.equal(c.increment(), 1n)
  assert.equal(c.increment(2n), 3n)
  assert.equal(c.decrement(1), 2n)
  c.set(I64_MAX - 1n)
  assert.equal(c.increment(1n), I64_MAX)
  assert.equal(c.get(), I64_MAX)
  c.set(I64_MIN)
  assert.equal(c.get(), I64_MIN)
  c.set(2n ** 53n + 1n)
  assert.equal(c.get(), 2n ** 53n + 1n, 'no rounding')
  const n = db.counter('c')
  assert.throws(() => n.get(), (e) => e instanceof RangeError && e.value === 2n ** 53n + 1n)
  n.set(5n)
  assert.equal(n.get(), 5, 'bigint input, number output')
  assert.equal(n.increment(10n), 15)
})

test('overflow is an Overflow error, never a wrap, and changes nothing', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const c = db.counter('c', { bigint: true })
  c.set(I64_MAX)
  assert.throws(() => c.increment(), code('Overflow'))
  assert.equal(c.get(), I64_MAX)
  c.set(I64_MIN)
  assert.throws(() => c.decrement(), code('Overflow'))
  assert.throws(() => c.increment(-1), code('Overflow'))
  c.reset()
  assert.throws(() => c.decrement(I64_MIN), code('Overflow'), 'decrement by -2^63 cannot negate')
  assert.equal(c.get(), 0n)
})

test('WrongType: a string key used as a counter, and bad names', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  db.set('counter:s', 'text')
  const c = db.counter('s')
  assert.throws(() => c.increment(), code('WrongType'))
  assert.throws(() => c.get(), code('WrongType'))
  assert.throws(() => c.set(1), code('WrongType'))
  assert.throws(() => c.reset(), code('WrongType'))
  assert.equal(db.get('counter:s').toString(), 'text')
  assert.throws(() => db.counter(''), code('InvalidArgument'))
  assert.throws(() => db.counter(5), TypeError)
  assert.throws(() => db.counter('x', { bigInt: true }), TypeError)
  assert.throws(() => new grovekv.Counter(), TypeError)
})

test('many increments from one thread stay exact', (t) => {
  const db = grovekv.open(tempDir(t))
  t.after(() => db.close())
  const c = db.counter('n')
  for (let i = 0; i < 10000; i++) c.increment()
  assert.equal(c.get(), 10000)
})
