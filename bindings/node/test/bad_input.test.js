'use strict'
// The bad-input matrix: every public function and method of the package is called with wrong
// types, missing values, empty and oversized keys, unusable numbers, out-of-range bigints, lone
// surrogates, keys of another kind, garbage state bytes and closed handles. Each case asserts the
// exact error (class and code) and, after it, that the store's observable contents are unchanged:
// keys, kinds, bytes, TTLs (never refreshed) and the state of every primitive and CRDT.
//
// Error classes (README "Errors"): a wrong argument type or a string that is not well-formed
// Unicode is a TypeError with code 'InvalidArgument'; a number that is not a usable integer is a
// RangeError with code 'InvalidArgument'; a bad value the core rejects is a plain Error with the
// Grove kind as code. Async APIs (acquire, withLock, dequeueWait) reject, never throw.
const test = require('node:test')
const assert = require('node:assert/strict')
const grovekv = require('..')
const { tempDir } = require('./helpers')

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n
const U64_MAX = 2n ** 64n - 1n
const MAX_KEY = 1024
const MAX_VALUE = 16 * 1024 * 1024
const LONE = '\ud800'
const LOW = '\udc00'
const LONG_KEY = 'k'.repeat(MAX_KEY + 1)
const LONG_UTF8 = 'é'.repeat(MAX_KEY / 2 + 1) // 1026 bytes, 513 characters
const RAW_SESSION = 'A'.repeat(43) // a well-formed id whose key holds plain bytes

// ---- expectations -------------------------------------------------------------------------
const TYPE = { ctor: TypeError, code: 'InvalidArgument' }
const RANGE = { ctor: RangeError, code: 'InvalidArgument' }
const grove = (code) => ({ ctor: Error, code })
const INVALID = grove('InvalidArgument')
const WRONG = grove('WrongType')
const OVERFLOW = grove('Overflow')
const CORRUPT = grove('Corrupt')
const CLOSED = grove('Closed')
const LOCK_TIMEOUT = grove('LockTimeout')
/** Not an error: the documented result for odd but legal input. */
const returns = (value) => ({ value })

/** Asserts `err` is exactly an instance of `exp.ctor` (not a subclass) with `exp.code`. */
function assertError(err, exp, label) {
  assert.ok(err instanceof Error, `${label}: threw a non-Error: ${String(err)}`)
  assert.equal(
    Object.getPrototypeOf(err),
    exp.ctor.prototype,
    `${label}: expected a ${exp.ctor.name}, got ${err.constructor.name} (${err.code}): ${err.message}`,
  )
  assert.equal(err.code, exp.code, `${label}: expected code ${exp.code}, got ${err.code}: ${err.message}`)
  assert.ok(err.message.length > 0, `${label}: empty message`)
}

/** Runs one case: a sync call must throw (or return `value`), an async one must return a rejecting promise. */
async function runCase(c, ctx) {
  let result
  let thrown = null
  try {
    result = c.call(ctx)
  } catch (e) {
    thrown = e
  }
  if (c.async) {
    assert.equal(thrown, null, `${c.name}: an async API threw synchronously: ${thrown && thrown.message}`)
    assert.ok(result instanceof Promise, `${c.name}: did not return a promise`)
    let rejected = null
    let value
    try {
      value = await result
    } catch (e) {
      rejected = e
    }
    if ('value' in c.expect) {
      assert.equal(rejected, null, `${c.name}: rejected: ${rejected && rejected.message}`)
      assert.deepEqual(value, c.expect.value)
    } else {
      assert.ok(rejected, `${c.name}: resolved with ${String(value)} instead of rejecting`)
      assertError(rejected, c.expect, c.name)
    }
    return
  }
  if ('value' in c.expect) {
    assert.equal(thrown, null, `${c.name}: threw ${thrown && thrown.constructor.name} ${thrown && thrown.code}: ${thrown && thrown.message}`)
    assert.deepEqual(result, c.expect.value, `${c.name}: result`)
    return
  }
  assert.ok(!(result instanceof Promise), `${c.name}: a sync API returned a promise`)
  assert.ok(thrown, `${c.name}: returned ${describe(result)} instead of throwing ${c.expect.ctor.name} ${c.expect.code}`)
  assertError(thrown, c.expect, c.name)
}

/** A short, readable description of a test value for case names. */
function describe(v, depth = 0) {
  if (depth > 2) return '…'
  if (typeof v === 'symbol') return 'Symbol()'
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'function') return 'function'
  if (typeof v === 'string') {
    if (v.length > 40) return `string(${v.length} chars, ${Buffer.byteLength(v)} bytes)`
    return JSON.stringify(v).replace(/[\ud800-\udfff]/g, (s) => `\\u${s.charCodeAt(0).toString(16)}`)
  }
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v)
  if (v === undefined) return 'undefined'
  if (v === null) return 'null'
  if (Buffer.isBuffer(v)) return `Buffer(${v.length})`
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`
  if (Array.isArray(v)) return v.length > 4 ? `Array(${v.length})` : `[${v.map((x) => describe(x, depth + 1)).join(', ')}]`
  if (v instanceof Date) return 'Date'
  if (v instanceof Map) return 'Map'
  if (v instanceof Set) return 'Set'
  if (typeof v === 'object') {
    const inner = Object.keys(v)
      .map((k) => `${k}: ${describe(v[k], depth + 1)}`)
      .join(', ')
    return `{${inner}}`
  }
  return String(v)
}

// ---- value families ------------------------------------------------------------------------
const cyclic = {}
cyclic.self = cyclic
/** Not a string, Buffer or Uint8Array. */
const NOT_BYTES = [null, undefined, 42, true, 1n, {}, [], [104, 105], Symbol('s'), () => 'k', new Date(0), new ArrayBuffer(2), new Map()]
/** Not a string (a Buffer is not a name). */
const NOT_STRING = [null, undefined, 42, true, 1n, {}, ['a'], Symbol('s'), () => 'n', Buffer.from('n')]
/** Not a number of seconds (when the argument is required). */
const NOT_SECONDS = [null, undefined, '5', 5n, true, {}, [5], Symbol('s'), () => 5]
/** Not a number of seconds (when null/undefined mean the default). */
const NOT_SECONDS_OPT = ['5', 5n, true, {}, [5], Symbol('s'), () => 5]
/** Numbers of seconds the core rejects. */
const BAD_SECONDS = [-1, -0.001, NaN, Infinity, -Infinity, 2 ** 53 + 2, Number.MAX_VALUE]
/** Not a whole number 0..2^53-1 (numbers): RangeError. */
const BAD_COUNTS = [-1, 1.5, -0.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64]
/** Not a whole number 0..2^53-1 (bigints): RangeError. */
const BAD_COUNT_BIGINTS = [-1n, 2n ** 53n, U64_MAX + 1n]
/** Not a number or bigint. */
const NOT_INT = [null, '1', true, {}, [1], Symbol('s'), () => 1]
/** Not a safe-integer number: RangeError for 64-bit inputs. */
const UNSAFE = [1.5, -0.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 2 ** 63, 1e300]
/** Bigints outside the signed 64-bit range. */
const OUT_I64 = [I64_MAX + 1n, I64_MIN - 1n, U64_MAX, 2n ** 200n]
/** Bigints outside the unsigned 64-bit range. */
const OUT_U64 = [-1n, U64_MAX + 1n, 2n ** 200n]
/** What JSON cannot represent faithfully. */
const NOT_JSON = [undefined, () => 1, Symbol('s'), 1n, NaN, Infinity, -Infinity, cyclic, { f: () => 1 }, [Symbol('s')], { n: NaN }, { b: 1n }, LONE, { [LONE]: 1 }, ['ok', LOW]]
/** Not an options object. */
const NOT_OPTIONS = ['opts', 5n, true, [], Symbol('s'), () => ({}), new Date(0), new Map()]
/** Not state bytes. */
const NOT_STATE = [null, undefined, 'GRV', 42, {}, [71, 82, 86], new ArrayBuffer(4), Symbol('s')]
/** Garbage that must be refused as Corrupt. */
const GARBAGE = [Buffer.alloc(0), Buffer.from('garbage!'), Buffer.alloc(64, 0xff), Buffer.from('GRV'), new Uint8Array([0x47, 0x52, 0x56, 0x01])]

// ---- the fixture --------------------------------------------------------------------------
const RL = { limit: 10, window: 1000 }
const Q = { visibilityTimeout: 1000, maxAttempts: 3 }

/** Populates `db` with one of each kind and returns the handles the cases use. */
function populate(db) {
  db.set('kv:plain', 'hello')
  db.set('kv:ttl', Buffer.from([0, 1, 2, 255]), { ttl: 1000 })
  db.set(Buffer.from([0x6b, 0x76, 0x3a, 0x00, 0xff]), 'binary key')
  db.set('counter:strval', 'not a counter')
  db.set('lock:strlock', 'not a lock')
  db.set('ratelimit:api:bogus', 'not a limiter')
  db.set(`sess:${RAW_SESSION}`, 'not json')
  db.namespace('tenant').set('k', 'namespaced')
  db.namespace('tenant').counter('n').increment(3)

  const c = db.counter('hits')
  c.increment(42)
  const cBig = db.counter('hits', { bigint: true })
  db.counter('top', { bigint: true }).set(I64_MAX)
  db.counter('bottom', { bigint: true }).set(I64_MIN)
  db.counter('big').set(2n ** 60n)
  db.crdtCounter('counter:crdt').increment(1) // a CRDT at a plain counter's key

  const lock = db.lock('deploy', { ttl: 1000 })
  assert.equal(lock.tryAcquire(), true)
  const freeLock = db.lock('free', { ttl: 1000 })

  const rl = db.rateLimiter('api', RL)
  rl.allow('user-1', 3)
  rl.allow('user-2', 10)

  const sess = db.sessions()
  const sid = sess.create({ user: 42, cart: [1, 2] })

  const lb = db.leaderboard('board')
  lb.add('alice', 120)
  lb.add('bob', 95)
  lb.add('carol', -3.5)
  lb.add('max', Number.MAX_VALUE)
  lb.add('min', -Number.MAX_VALUE)

  const q = db.queue('jobs', Q)
  q.enqueue('first')
  q.enqueue(Buffer.from([1, 2, 3]))
  q.enqueue('third')
  q.enqueue('later', { delay: 1000 })
  const inflight = q.dequeue()
  assert.equal(inflight.payload.toString(), 'first')

  const cc = db.crdtCounter('crdt:cnt')
  cc.increment(7)
  cc.decrement(2)
  const ccBig = db.crdtCounter('crdt:cnt', { bigint: true })
  const reg = db.crdtRegister('crdt:reg')
  reg.set({ v: 1, list: ['a'] })
  const set = db.crdtSet('crdt:set')
  set.add('x')
  set.add({ a: 1 })
  const map = db.crdtMap('crdt:map')
  map.set('f', [1, 2])
  map.set('g', 'h')
  map.delete('g')

  // Foreign material: states and bundles of the wrong type.
  const other = grovekv.openMemory({ nodeId: 'other-replica' })
  other.crdtCounter('crdt:reg').increment(5) // a counter where db has a register
  other.crdtSet('crdt:fresh').add('would be new') // would be pulled if the bundle were applied
  const wrongBundle = other.exportChanges().data
  const same = grovekv.openMemory({ nodeId: db.nodeId })
  same.crdtSet('crdt:fresh').add('same node id')

  return {
    db, c, cBig, lock, freeLock, rl, sess, sid, lb, q, inflight, cc, ccBig, reg, set, map, other, same, wrongBundle,
    states: { counter: cc.state(), register: reg.state(), set: set.state(), map: map.state() },
    bundle: db.exportChanges().data,
  }
}

/** Every observable: `exact` must not change at all, `timed` (seconds left) may only shrink. */
function snapshot(db, ctx) {
  const exact = {}
  const timed = {}
  for (const k of db.keys('', { buffers: true })) {
    const name = k.toString('hex')
    const kind = db.kindOf(k)
    exact[`key ${name}`] = kind === 'string' ? `string ${db.get(k).toString('hex')}` : kind
    timed[`ttl ${name}`] = db.ttl(k)
  }
  exact.nodeId = db.nodeId
  exact.maxDrift = db.maxDrift
  exact.ns = db.namespace('tenant').get('k').toString()
  exact.counters = ['hits', 'top', 'bottom', 'big'].map((n) => db.counter(n, { bigint: true }).get())
  exact.nsCounter = db.namespace('tenant').counter('n').get()
  const info = db.lockInfo('deploy')
  exact.lock = { held: info.held, token: info.fencingToken, mine: ctx.lock.held(), free: db.lockInfo('free') }
  timed.lockExpiresIn = info.expiresIn
  const rl = db.rateLimiter('api', RL)
  for (const u of ['user-1', 'user-2']) {
    const d = rl.peek(u)
    exact[`rl ${u}`] = { allowed: d.allowed, remaining: d.remaining }
    timed[`rl ${u} resetAfter`] = d.resetAfter
    timed[`rl ${u} retryAfter`] = d.retryAfter
  }
  const sess = db.sessions()
  exact.session = sess.get(ctx.sid)
  const lb = db.leaderboard('board')
  exact.board = { top: lb.top(100), size: lb.size }
  const q = db.queue('jobs', Q)
  exact.queue = { stats: q.stats(), dead: q.deadLetters().map((j) => j.id) }
  const cc = db.crdtCounter('crdt:cnt', { bigint: true })
  exact.crdtCounter = { value: cc.value(), totals: cc.totals(), contributions: cc.contributions(), state: cc.state().toString('hex') }
  const reg = db.crdtRegister('crdt:reg')
  exact.register = { value: reg.get(), state: reg.state().toString('hex') }
  const set = db.crdtSet('crdt:set')
  exact.set = { members: set.members(), size: set.size, state: set.state().toString('hex') }
  const map = db.crdtMap('crdt:map')
  exact.map = { all: map.all(), keys: map.keys(), state: map.state().toString('hex') }
  exact.bundle = db.exportChanges().data.toString('hex')
  return { exact, timed }
}

/** Asserts nothing changed between two snapshots (TTLs only run down, never refresh). */
function assertUnchanged(before, after, label) {
  assert.deepStrictEqual(after.exact, before.exact, `${label}: stored data changed`)
  assert.deepStrictEqual(Object.keys(after.timed), Object.keys(before.timed), `${label}: timed keys changed`)
  for (const [k, b] of Object.entries(before.timed)) {
    const a = after.timed[k]
    if (b === null || a === null) {
      assert.equal(a, b, `${label}: ${k} went from ${b} to ${a}`)
    } else {
      assert.ok(a <= b + 0.001 && a >= b - 60, `${label}: ${k} went from ${b} to ${a} (refreshed?)`)
    }
  }
}

// ---- the cases ------------------------------------------------------------------------------
const cases = []
/** Adds a case. */
function add(name, call, expect, opts = {}) {
  cases.push({ name, call, expect, ...opts })
}
/** Adds one case per value of `values`: `call(ctx, v)` expecting `expect`. */
function each(prefix, values, call, expect, opts) {
  for (const v of values) add(`${prefix} <- ${describe(v)}`, (ctx) => call(ctx, v), expect, opts)
}

/** Key cases shared by every method taking a key (a string, Buffer or Uint8Array). */
function keyCases(prefix, call) {
  each(`${prefix}: key`, NOT_BYTES, call, TYPE)
  each(`${prefix}: key`, [LONE, `a${LOW}b`, `x${LONE}${LONE}`], call, TYPE)
  each(`${prefix}: key`, ['', Buffer.alloc(0), new Uint8Array(0)], call, INVALID)
  each(`${prefix}: key`, [LONG_KEY, LONG_UTF8, Buffer.alloc(MAX_KEY + 1, 0x61)], call, INVALID)
}

/** Name cases for methods taking a name/key string; `empty` and `long` are what the core says. */
function nameCases(prefix, call, { empty = INVALID, long = INVALID } = {}) {
  each(`${prefix}: name`, NOT_STRING, call, TYPE)
  each(`${prefix}: name`, [LONE, `${LOW}x`], call, TYPE)
  if (empty) each(`${prefix}: name`, [''], call, empty)
  if (long) each(`${prefix}: name`, [LONG_KEY], call, long)
}

// -- open / openMemory / namespace / sync
each('open: path', [null, undefined, 42, {}, Buffer.from('/tmp/x'), Symbol('s'), LONE], (ctx, v) => grovekv.open(v), TYPE)
add('open: path <- ""', () => grovekv.open(''), INVALID)
each('open: options', NOT_OPTIONS, (ctx, v) => grovekv.open(ctx.dir, v), TYPE)
each('open: options', [{ nodeID: 'x' }, { durable: 'yes' }, { durable: 1 }, { flushEveryMs: '10' }, { nodeId: 5 }, { maxDrift: '60' }, { nodeId: LONE }], (ctx, v) => grovekv.open(ctx.dir, v), TYPE)
// flushEveryMs 0, durable with flushEveryMs and bad node ids are rows of tests/bad_input/rules.tsv
// (rules_table.test.js); here what is Node's own: numbers that are no whole milliseconds.
each('open: options', [{ flushEveryMs: -5 }, { flushEveryMs: 1.5 }, { flushEveryMs: NaN }, { flushEveryMs: Infinity }, { maxDrift: -1 }, { maxDrift: NaN }, { maxDrift: Infinity }], (ctx, v) => grovekv.open(ctx.dir, v), INVALID)
each('openMemory: options', NOT_OPTIONS, (ctx, v) => grovekv.openMemory(v), TYPE)
each('openMemory: options', [{ path: '/tmp' }, { nodeId: 42 }, { maxDrift: '1' }, { maxDrift: 1n }, { nodeId: LONE }], (ctx, v) => grovekv.openMemory(v), TYPE)
each('openMemory: options', [{ nodeId: '' }, { nodeId: 'a/b' }, { nodeId: 'x'.repeat(65) }, { maxDrift: -1 }, { maxDrift: NaN }, { maxDrift: -Infinity }, { maxDrift: 1e20 }], (ctx, v) => grovekv.openMemory(v), INVALID)
add('Store: constructor is private', () => new grovekv.Store(), { ctor: TypeError, code: undefined })
nameCases('namespace', (ctx, v) => ctx.db.namespace(v), { long: false })
add('namespace: name <- 1100 chars', (ctx) => ctx.db.namespace('n'.repeat(1100)), INVALID)
each('sync: a', [null, undefined, {}, 'db', 42], (ctx, v) => grovekv.sync(v, ctx.db), TYPE)
each('sync: b', [null, undefined, {}, 'db', 42], (ctx, v) => grovekv.sync(ctx.db, v), TYPE)
add('sync: a store with itself', (ctx) => grovekv.sync(ctx.db, ctx.db), INVALID)
add('sync: a store with its own view', (ctx) => grovekv.sync(ctx.db, ctx.db.namespace('tenant')), INVALID)
add('sync: two stores with the same node id', (ctx) => grovekv.sync(ctx.db, ctx.same), INVALID)
add('sync: the other store holds another CRDT type at a key', (ctx) => grovekv.sync(ctx.db, ctx.other), WRONG)
add('sync: (reversed) another CRDT type at a key', (ctx) => grovekv.sync(ctx.other, ctx.db), WRONG)

// -- key/value
keyCases('get', (ctx, v) => ctx.db.get(v))
keyCases('set', (ctx, v) => ctx.db.set(v, 'value'))
each('set: value', NOT_BYTES, (ctx, v) => ctx.db.set('kv:plain', v), TYPE)
each('set: value', [LONE, `ok${LOW}`], (ctx, v) => ctx.db.set('kv:plain', v), TYPE)
add('set: value <- 16 MiB + 1', (ctx) => ctx.db.set('kv:plain', Buffer.alloc(MAX_VALUE + 1)), INVALID)
add('set: value <- 16 MiB + 1 (string)', (ctx) => ctx.db.set('kv:new', 'v'.repeat(MAX_VALUE + 1)), INVALID, { heavy: true })
each('set: ttl', [...NOT_SECONDS_OPT.filter((v) => typeof v !== 'object' || v === null), [], [5], new Date(Date.now() + 5000), new Map(), { ttl: '5' }, { ttl: 5n }, { tll: 5 }, { ttl: 5, extra: 1 }], (ctx, v) => ctx.db.set('kv:plain', 'changed', v), TYPE)
each('set: ttl', [...BAD_SECONDS, 0, -0], (ctx, v) => ctx.db.set('kv:plain', 'changed', v), INVALID)
each('set: { ttl }', [...BAD_SECONDS, 0], (ctx, v) => ctx.db.set('kv:plain', 'changed', { ttl: v }), INVALID)
add('set: a counter key', (ctx) => ctx.db.set('counter:hits', 'x'), WRONG)
add('set: a CRDT key', (ctx) => ctx.db.set('crdt:cnt', 'x'), WRONG)
add('set: a leaderboard member', (ctx) => ctx.db.set('lb:board:alice', 'x'), WRONG)
add('set: a new key under a leaderboard prefix', (ctx) => ctx.db.set('lb:board:newcomer', 'x'), INVALID)
add('set: a queue key', (ctx) => ctx.db.set('queue:jobs:meta', 'x'), WRONG)
add('set: a lock key', (ctx) => ctx.db.set('lock:deploy', 'x'), WRONG)
keyCases('delete', (ctx, v) => ctx.db.delete(v))
add('delete: a leaderboard member', (ctx) => ctx.db.delete('lb:board:alice'), WRONG)
add('delete: a queue key', (ctx) => ctx.db.delete('queue:jobs:meta'), WRONG)
keyCases('exists', (ctx, v) => ctx.db.exists(v))
keyCases('kindOf', (ctx, v) => ctx.db.kindOf(v))
keyCases('expire', (ctx, v) => ctx.db.expire(v, 10))
each('expire: ttl', NOT_SECONDS, (ctx, v) => ctx.db.expire('kv:plain', v), TYPE)
each('expire: ttl', BAD_SECONDS, (ctx, v) => ctx.db.expire('kv:ttl', v), INVALID)
each('expire: ttl of a key without one', BAD_SECONDS, (ctx, v) => ctx.db.expire('kv:plain', v), INVALID)
add('expire: a leaderboard member', (ctx) => ctx.db.expire('lb:board:alice', 5), WRONG)
add('expire: a queue key', (ctx) => ctx.db.expire('queue:jobs:meta', 5), WRONG)
keyCases('persist', (ctx, v) => ctx.db.persist(v))
keyCases('ttl', (ctx, v) => ctx.db.ttl(v))
add('ttl: an absent key', (ctx) => ctx.db.ttl('kv:absent'), grove('NotFound'))
add('get: a counter key', (ctx) => ctx.db.get('counter:hits'), WRONG)
add('get: a CRDT key', (ctx) => ctx.db.get('crdt:reg'), WRONG)
add('get: a queue key', (ctx) => ctx.db.get('queue:jobs:meta'), WRONG)
add('get: a 1024-byte key is fine (absent)', (ctx) => ctx.db.get('k'.repeat(MAX_KEY)), returns(null))
each('keys: prefix', [null, 42, {}, Symbol('s'), true, [], LONE], (ctx, v) => ctx.db.keys(v), TYPE)
each('keys: options', [...NOT_OPTIONS, { buffer: true }], (ctx, v) => ctx.db.keys('', v), TYPE)
add('keys: an oversized prefix matches nothing', (ctx) => [...ctx.db.keys(LONG_KEY)], returns([]))
each('getMany: keys', [null, undefined, 42, 'abc', Buffer.from('ab'), {}, true, Symbol('s')], (ctx, v) => ctx.db.getMany(v), TYPE)
each('getMany: one key', [null, 42, {}, [], Symbol('s'), LONE], (ctx, v) => ctx.db.getMany(['kv:plain', v]), TYPE)
each('getMany: one key', ['', LONG_KEY], (ctx, v) => ctx.db.getMany(['kv:plain', v]), INVALID)
add('getMany: a counter key', (ctx) => ctx.db.getMany(['kv:plain', 'counter:hits']), WRONG)
each('setMany: entries', [null, undefined, 42, 'ab', Buffer.from('ab'), true, Symbol('s'), new Set([['kv:new', 'v']]), new Date(0)], (ctx, v) => ctx.db.setMany(v), TYPE)
each('setMany: pairs', [[['kv:new']], [['kv:new', 'v', 'x']], ['kv:new'], [null], [['kv:new', 'v'], 'oops']], (ctx, v) => ctx.db.setMany(v), TYPE)
each('setMany: a value', [null, 42, {}, LONE], (ctx, v) => ctx.db.setMany({ 'kv:new': 'v', 'kv:plain': v }), TYPE)
each('setMany: a key (pairs)', [null, 42, {}, LONE], (ctx, v) => ctx.db.setMany([['kv:new', 'v'], [v, 'w']]), TYPE)
add('setMany: a key (object, lone surrogate)', (ctx) => ctx.db.setMany({ 'kv:new': 'v', [LONE]: 'w' }), TYPE)
add('setMany: a key (Map, number)', (ctx) => ctx.db.setMany(new Map([['kv:new', 'v'], [5, 'w']])), TYPE)
each('setMany: a key (all or nothing)', ['', LONG_KEY], (ctx, v) => ctx.db.setMany([['kv:new', 'v'], [v, 'w']]), INVALID)
add('setMany: an oversized value (all or nothing)', (ctx) => ctx.db.setMany([['kv:new', 'v'], ['kv:plain', Buffer.alloc(MAX_VALUE + 1)]]), INVALID)
add('setMany: a counter key (all or nothing)', (ctx) => ctx.db.setMany([['kv:new', 'v'], ['counter:hits', 'w']]), WRONG)
add('setMany: a leaderboard member (all or nothing)', (ctx) => ctx.db.setMany({ 'kv:new': 'v', 'lb:board:alice': 'w' }), WRONG)
each('setMany: ttl', [...NOT_SECONDS_OPT.filter((v) => typeof v !== 'object'), [], { ttl: '5' }, { tll: 5 }], (ctx, v) => ctx.db.setMany({ 'kv:new': 'v' }, v), TYPE)
each('setMany: ttl', [...BAD_SECONDS, 0], (ctx, v) => ctx.db.setMany({ 'kv:new': 'v', 'kv:plain': 'w' }, v), INVALID)
// -- conditional writes (the same conversions as set/get/delete; the core decides the rest)
keyCases('setIfAbsent', (ctx, v) => ctx.db.setIfAbsent(v, 'value'))
keyCases('setIfPresent', (ctx, v) => ctx.db.setIfPresent(v, 'value'))
keyCases('compareAndSet', (ctx, v) => ctx.db.compareAndSet(v, null, 'value'))
keyCases('getSet', (ctx, v) => ctx.db.getSet(v, 'value'))
keyCases('getDelete', (ctx, v) => ctx.db.getDelete(v))
each('setIfAbsent: value', [...NOT_BYTES, LONE], (ctx, v) => ctx.db.setIfAbsent('kv:new', v), TYPE)
each('setIfPresent: value', [...NOT_BYTES, LONE], (ctx, v) => ctx.db.setIfPresent('kv:plain', v), TYPE)
each('compareAndSet: value', [...NOT_BYTES, LONE], (ctx, v) => ctx.db.compareAndSet('kv:plain', 'hello', v), TYPE)
each('compareAndSet: expected', [...NOT_BYTES.filter((v) => v !== null), LONE], (ctx, v) => ctx.db.compareAndSet('kv:new', v, 'x'), TYPE)
each('getSet: value', [...NOT_BYTES, LONE], (ctx, v) => ctx.db.getSet('kv:plain', v), TYPE)
add('setIfAbsent: value <- 16 MiB + 1', (ctx) => ctx.db.setIfAbsent('kv:new', Buffer.alloc(MAX_VALUE + 1)), INVALID)
add('getSet: value <- 16 MiB + 1', (ctx) => ctx.db.getSet('kv:plain', Buffer.alloc(MAX_VALUE + 1)), INVALID)
for (const [m, call] of [
  ['setIfAbsent', (ctx, t) => ctx.db.setIfAbsent('kv:new', 'v', t)],
  ['setIfPresent', (ctx, t) => ctx.db.setIfPresent('kv:plain', 'v', t)],
  ['compareAndSet', (ctx, t) => ctx.db.compareAndSet('kv:plain', 'hello', 'v', t)],
  ['getSet', (ctx, t) => ctx.db.getSet('kv:plain', 'v', t)],
]) {
  each(`${m}: ttl`, [...NOT_SECONDS_OPT.filter((v) => typeof v !== 'object'), [], { ttl: '5' }, { tll: 5 }], call, TYPE)
  each(`${m}: ttl`, [...BAD_SECONDS, 0], call, INVALID)
  each(`${m}: { ttl }`, [...BAD_SECONDS, 0], (ctx, v) => call(ctx, { ttl: v }), INVALID)
}
for (const [m, call] of [
  ['setIfAbsent', (ctx, k) => ctx.db.setIfAbsent(k, 'x')],
  ['setIfPresent', (ctx, k) => ctx.db.setIfPresent(k, 'x')],
  ['compareAndSet', (ctx, k) => ctx.db.compareAndSet(k, null, 'x')],
  ['getSet', (ctx, k) => ctx.db.getSet(k, 'x')],
  ['getDelete', (ctx, k) => ctx.db.getDelete(k)],
]) {
  add(`${m}: a counter key`, (ctx) => call(ctx, 'counter:hits'), WRONG)
  add(`${m}: a leaderboard member`, (ctx) => call(ctx, 'lb:board:alice'), WRONG)
  add(`${m}: a queue key`, (ctx) => call(ctx, 'queue:jobs:meta'), WRONG)
}
add('setIfAbsent: a new key under a leaderboard prefix', (ctx) => ctx.db.setIfAbsent('lb:board:newcomer', 'x'), INVALID)
add('setIfAbsent: a held key writes nothing', (ctx) => ctx.db.setIfAbsent('kv:plain', 'x'), returns(false))
add('setIfPresent: an absent key writes nothing', (ctx) => ctx.db.setIfPresent('kv:absent', 'x'), returns(false))
add('compareAndSet: a mismatch writes nothing', (ctx) => ctx.db.compareAndSet('kv:plain', 'not it', 'x'), returns(false))
add('getDelete: an absent key', (ctx) => ctx.db.getDelete('kv:absent'), returns(null))
each('setMaxDrift', NOT_SECONDS, (ctx, v) => ctx.db.setMaxDrift(v), TYPE)
each('setMaxDrift', [-1, NaN, Infinity, -Infinity, 1e20], (ctx, v) => ctx.db.setMaxDrift(v), INVALID)

// -- counter (and the exact 64-bit input policy)
nameCases('counter', (ctx, v) => ctx.db.counter(v))
each('counter: options', [...NOT_OPTIONS, { bigInt: true }], (ctx, v) => ctx.db.counter('hits', v), TYPE)
for (const [label, pick] of [['counter', (ctx) => ctx.c], ['counter(bigint)', (ctx) => ctx.cBig]]) {
  for (const m of ['increment', 'decrement', 'set']) {
    each(`${label}.${m}`, NOT_INT.filter((v) => m === 'set' || v !== undefined), (ctx, v) => pick(ctx)[m](v), TYPE)
    each(`${label}.${m}`, UNSAFE, (ctx, v) => pick(ctx)[m](v), RANGE)
    each(`${label}.${m}`, OUT_I64, (ctx, v) => pick(ctx)[m](v), RANGE)
  }
  add(`${label}.set <- undefined`, (ctx) => pick(ctx).set(undefined), TYPE)
  for (const m of ['tryDecrement', 'tryIncrement']) {
    const bound = m === 'tryDecrement' ? 'floor' : 'cap'
    each(`${label}.${m}: delta`, NOT_INT.filter((v) => v !== undefined), (ctx, v) => pick(ctx)[m](v), TYPE)
    each(`${label}.${m}: delta`, [...UNSAFE, ...OUT_I64], (ctx, v) => pick(ctx)[m](v), RANGE)
    each(`${label}.${m}: ${bound}`, NOT_INT.filter((v) => v !== undefined), (ctx, v) => pick(ctx)[m](1, v), TYPE)
    each(`${label}.${m}: ${bound}`, [...UNSAFE, ...OUT_I64], (ctx, v) => pick(ctx)[m](1, v), RANGE)
    // A delta of -1 on a plain counter is a row of tests/bad_input/rules.tsv.
    const negative = label === 'counter' ? [-1n, I64_MIN] : [-1, -1n, I64_MIN]
    each(`${label}.${m}: negative delta`, negative, (ctx, v) => pick(ctx)[m](v), INVALID)
  }
  add(`${label}.tryDecrement: refused below the floor`, (ctx) => pick(ctx).tryDecrement(I64_MAX), returns(null))
  add(`${label}.tryIncrement: refused past the cap`, (ctx) => pick(ctx).tryIncrement(1, 0), returns(null))
  add(`${label}.increment: past 2^63-1`, (ctx) => pick(ctx).increment(I64_MAX), OVERFLOW)
  add(`${label}.decrement: past -2^63`, (ctx) => pick(ctx).decrement(I64_MIN), OVERFLOW)
}
add('counter.increment: top (2^63-1) + 1', (ctx) => ctx.db.counter('top').increment(1), OVERFLOW)
add('counter.decrement: top - (-1)', (ctx) => ctx.db.counter('top', { bigint: true }).decrement(-1), OVERFLOW)
add('counter.decrement: bottom (-2^63) - 1', (ctx) => ctx.db.counter('bottom').decrement(1), OVERFLOW)
add('counter.increment: bottom + (-1n)', (ctx) => ctx.db.counter('bottom', { bigint: true }).increment(-1n), OVERFLOW)
add('counter.get: 2^60 as a number is a RangeError carrying the exact value', (ctx) => {
  try {
    ctx.db.counter('big').get()
  } catch (e) {
    assert.equal(e.code, 'ERR_OUT_OF_RANGE')
    assert.equal(e.value, 2n ** 60n)
    throw e
  }
}, { ctor: RangeError, code: 'ERR_OUT_OF_RANGE' })
add('counter.increment: a string counter', (ctx) => ctx.db.counter('strval').increment(), WRONG)
add('counter.get: a string counter', (ctx) => ctx.db.counter('strval').get(), WRONG)
add('counter.set: a string counter', (ctx) => ctx.db.counter('strval').set(1), WRONG)
add('counter.reset: a string counter', (ctx) => ctx.db.counter('strval').reset(), WRONG)
add('counter.tryDecrement: a string counter', (ctx) => ctx.db.counter('strval').tryDecrement(), WRONG)
add('counter.tryIncrement: a string counter', (ctx) => ctx.db.counter('strval').tryIncrement(), WRONG)
add('counter.increment: a CRDT counter at counter:<name>', (ctx) => ctx.db.counter('crdt').increment(), WRONG)
add('counter.reset: a CRDT counter at counter:<name>', (ctx) => ctx.db.counter('crdt').reset(), WRONG)

// -- lock
nameCases('lock', (ctx, v) => ctx.db.lock(v))
each('lock: options', [...NOT_OPTIONS.filter((v) => typeof v !== 'bigint'), 5n, { ttl: '10' }, { ttl: 10n }, { timeout: 1 }], (ctx, v) => ctx.db.lock('deploy', v), TYPE)
each('lock: ttl', [...BAD_SECONDS, 0], (ctx, v) => ctx.db.lock('deploy', v), INVALID)
each('lock: { ttl }', [...BAD_SECONDS, 0], (ctx, v) => ctx.db.lock('deploy', { ttl: v }), INVALID)
nameCases('lockInfo', (ctx, v) => ctx.db.lockInfo(v))
each('lockInfo: options', NOT_OPTIONS, (ctx, v) => ctx.db.lockInfo('deploy', v), TYPE)
add('lockInfo: a string at lock:<name>', (ctx) => ctx.db.lockInfo('strlock'), WRONG)
add('lock.tryAcquire: a string at lock:<name>', (ctx) => ctx.db.lock('strlock').tryAcquire(), WRONG)
add('lock.tryAcquire: held by another', (ctx) => ctx.db.lock('deploy').tryAcquire(), returns(false))
add('lock.release: not the owner', (ctx) => ctx.db.lock('deploy').release(), returns(false))
add('lock.extend: not the owner', (ctx) => ctx.db.lock('deploy').extend(5), returns(false))
// A handle that never acquired still reads the key.
add('lock.held: a string at lock:<name>', (ctx) => ctx.db.lock('strlock').held(), WRONG)
add('lock.release: a string at lock:<name>', (ctx) => ctx.db.lock('strlock').release(), WRONG)
add('lock.extend: a string at lock:<name>', (ctx) => ctx.db.lock('strlock').extend(5), WRONG)
for (const [label, pick] of [['lock(held)', (ctx) => ctx.lock], ['lock(free)', (ctx) => ctx.freeLock]]) {
  each(`${label}.extend`, NOT_SECONDS, (ctx, v) => pick(ctx).extend(v), TYPE)
  each(`${label}.extend`, [...BAD_SECONDS, 0], (ctx, v) => pick(ctx).extend(v), INVALID)
  each(`${label}.acquire: options`, [...NOT_OPTIONS, { ttl: 5 }, { timeout: '1' }, { timeout: 1n }, { retryInterval: '1' }, { signal: {} }, { signal: 'abort' }], (ctx, v) => pick(ctx).acquire(v), TYPE, { async: true })
  each(`${label}.acquire: timeout`, [-1, -0.001, NaN, -Infinity], (ctx, v) => pick(ctx).acquire({ timeout: v }), RANGE, { async: true })
  each(`${label}.acquire: retryInterval`, [-1, NaN, Infinity, -Infinity], (ctx, v) => pick(ctx).acquire({ retryInterval: v }), RANGE, { async: true })
}
add('lock.acquire: an already aborted signal', (ctx) => ctx.freeLock.acquire({ signal: AbortSignal.abort() }), { ctor: DOMException, code: 20 }, { async: true })
const fn = () => assert.fail('withLock ran its callback')
each('withLock: name', [null, undefined, 42, {}, Symbol('s'), LONE], (ctx, v) => ctx.db.withLock(v, {}, fn), TYPE, { async: true })
add('withLock: name <- ""', (ctx) => ctx.db.withLock('', {}, fn), INVALID, { async: true })
each('withLock: fn', [undefined, null, 42, 'fn', {}], (ctx, v) => ctx.db.withLock('free', {}, v), TYPE, { async: true })
add('withLock: no fn at all', (ctx) => ctx.db.withLock('free'), TYPE, { async: true })
each('withLock: options', [...NOT_OPTIONS.filter((v) => typeof v !== 'function'), { bogus: 1 }, { ttl: '1' }, { timeout: '1' }, { signal: 1 }], (ctx, v) => ctx.db.withLock('free', v, fn), TYPE, { async: true })
each('withLock: ttl', [...BAD_SECONDS, 0], (ctx, v) => ctx.db.withLock('free', { ttl: v }, fn), INVALID, { async: true })
each('withLock: timeout', [-1, NaN], (ctx, v) => ctx.db.withLock('free', { timeout: v }, fn), RANGE, { async: true })
add('withLock: held by another (timeout 0)', (ctx) => ctx.db.withLock('deploy', { timeout: 0 }, fn), LOCK_TIMEOUT, { async: true })
add('withLock: held by another (timeout 0.02)', (ctx) => ctx.db.withLock('deploy', { timeout: 0.02, retryInterval: 0.005 }, fn), LOCK_TIMEOUT, { async: true })
add('withLock: a string at lock:<name>', (ctx) => ctx.db.withLock('strlock', fn), WRONG, { async: true })

// -- rate limiter
nameCases('rateLimiter', (ctx, v) => ctx.db.rateLimiter(v, RL), { long: false })
add('rateLimiter: name <- 1025 bytes', (ctx) => ctx.db.rateLimiter(LONG_KEY, RL), INVALID)
// ratelimit:<name>:<key> must fit in MAX_KEY_LEN with a one-byte key.
add('rateLimiter: name leaving no room for a key', (ctx) => ctx.db.rateLimiter('n'.repeat(1024 - 'ratelimit:'.length - 1), RL), INVALID)
add('rateLimiter: name with ":"', (ctx) => ctx.db.rateLimiter('a:b', RL), INVALID)
add('rl.allow: a limiter whose name is too long', (ctx) => ctx.db.rateLimiter(LONG_KEY, RL).allow('u'), INVALID)
each('rateLimiter: options', [undefined, null, ...NOT_OPTIONS, {}, { limit: 10 }, { window: 10 }, { limit: 10, window: 10, burst: 1 }, { limit: '10', window: 1 }, { limit: 10, window: '1' }, { limit: 10, window: 1n }, { limit: null, window: 1 }], (ctx, v) => ctx.db.rateLimiter('api', v), TYPE)
each('rateLimiter: limit', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.db.rateLimiter('api', { limit: v, window: 1 }), RANGE)
add('rateLimiter: limit <- 0', (ctx) => ctx.db.rateLimiter('api', { limit: 0, window: 1 }), INVALID)
add('rateLimiter: limit <- 0n', (ctx) => ctx.db.rateLimiter('api', { limit: 0n, window: 1 }), INVALID)
each('rateLimiter: window', [...BAD_SECONDS, 0, 0.0005], (ctx, v) => ctx.db.rateLimiter('api', { limit: 10, window: v }), INVALID)
each('rl.allow: key', NOT_STRING, (ctx, v) => ctx.rl.allow(v), TYPE)
each('rl.allow: key', [LONE], (ctx, v) => ctx.rl.allow(v), TYPE)
each('rl.allow: key', ['', LONG_KEY], (ctx, v) => ctx.rl.allow(v), INVALID)
each('rl.allow: cost', NOT_INT, (ctx, v) => ctx.rl.allow('user-1', v), TYPE)
each('rl.allow: cost', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.rl.allow('user-1', v), RANGE)
// A cost one above the limit is a row of tests/bad_input/rules.tsv.
each('rl.allow: cost above the limit', [11n, 2 ** 53 - 1], (ctx, v) => ctx.rl.allow('user-1', v), INVALID)
each('rl.peek: key', [...NOT_STRING, LONE], (ctx, v) => ctx.rl.peek(v), TYPE)
each('rl.peek: key', ['', LONG_KEY], (ctx, v) => ctx.rl.peek(v), INVALID)
each('rl.reset: key', [...NOT_STRING, LONE], (ctx, v) => ctx.rl.reset(v), TYPE)
each('rl.reset: key', ['', LONG_KEY], (ctx, v) => ctx.rl.reset(v), INVALID)
add('rl.allow: a string at its key', (ctx) => ctx.rl.allow('bogus'), WRONG)
add('rl.peek: a string at its key', (ctx) => ctx.rl.peek('bogus'), WRONG)
add('rl.reset: a string at its key', (ctx) => ctx.rl.reset('bogus'), WRONG)

// -- sessions
each('sessions: options', [...NOT_OPTIONS, { ttl: '1' }, { ttl: 1n }, { prefix: 5 }, { prefix: Buffer.from('s') }, { prefix: LONE }, { bogus: 1 }], (ctx, v) => ctx.db.sessions(v), TYPE)
// ttl -1, NaN, Infinity, 0 and beyond 100 years are rows of tests/bad_input/rules.tsv.
each('sessions: ttl', [-0.001, -Infinity, 2 ** 53 + 2, Number.MAX_VALUE], (ctx, v) => ctx.db.sessions({ ttl: v }), INVALID)
add('sessions: prefix <- ""', (ctx) => ctx.db.sessions({ prefix: '' }), INVALID)
each('sess.create: data', NOT_JSON, (ctx, v) => ctx.sess.create(v), TYPE)
add('sess.create: data <- 16 MiB string', (ctx) => ctx.sess.create('x'.repeat(MAX_VALUE)), INVALID, { heavy: true })
each('sess.update: data', NOT_JSON, (ctx, v) => ctx.sess.update(ctx.sid, v), TYPE)
add('sess.update: data <- 16 MiB string', (ctx) => ctx.sess.update(ctx.sid, 'x'.repeat(MAX_VALUE)), INVALID, { heavy: true })
for (const m of ['get', 'touch', 'delete', 'exists']) {
  each(`sess.${m}: id`, NOT_STRING, (ctx, v) => ctx.sess[m](v), TYPE)
  const miss = m === 'get' ? null : false
  each(`sess.${m}: id that Grove could not issue`, ['', LONE, 'x'.repeat(5000), 'a:b', '../etc'], (ctx, v) => ctx.sess[m](v), returns(miss))
}
each('sess.update: id', NOT_STRING, (ctx, v) => ctx.sess.update(v, {}), TYPE)
each('sess.update: id that Grove could not issue', ['', LONE, 'x'.repeat(5000)], (ctx, v) => ctx.sess.update(v, { hacked: true }), returns(false))
add('sess.get: raw bytes that are not a session', (ctx) => ctx.sess.get(RAW_SESSION), WRONG)

// -- leaderboard
nameCases('leaderboard', (ctx, v) => ctx.db.leaderboard(v))
add('leaderboard: name with ":"', (ctx) => ctx.db.leaderboard('a:b'), INVALID)
each('lb.add: member', [...NOT_STRING, LONE], (ctx, v) => ctx.lb.add(v, 1), TYPE)
// An empty or too-long member is a row of tests/bad_input/rules.tsv.
each('lb.add: score', [undefined, null, '1', 1n, true, {}, [1], Symbol('s')], (ctx, v) => ctx.lb.add('alice', v), TYPE)
each('lb.add: score', [NaN, Infinity, -Infinity], (ctx, v) => ctx.lb.add('alice', v), INVALID)
// NaN and Infinity as a new member's score are rows of tests/bad_input/rules.tsv.
each('lb.incr: delta', [undefined, null, '1', 1n, {}, Symbol('s')], (ctx, v) => ctx.lb.incr('alice', v), TYPE)
each('lb.incr: delta', [NaN, Infinity, -Infinity], (ctx, v) => ctx.lb.incr('alice', v), INVALID)
add('lb.incr: past the largest finite score', (ctx) => ctx.lb.incr('max', Number.MAX_VALUE), OVERFLOW)
add('lb.incr: below the smallest finite score', (ctx) => ctx.lb.incr('min', -Number.MAX_VALUE), OVERFLOW)
each('lb.incr: member', [...NOT_STRING, LONE], (ctx, v) => ctx.lb.incr(v, 1), TYPE)
add('lb.incr: member <- ""', (ctx) => ctx.lb.incr('', 1), INVALID)
for (const m of ['score', 'rank', 'remove']) {
  each(`lb.${m}: member`, [...NOT_STRING, LONE], (ctx, v) => ctx.lb[m](v), TYPE)
  each(`lb.${m}: member`, [''], (ctx, v) => ctx.lb[m](v), INVALID)
}
each('lb.top: n', [undefined, ...NOT_INT], (ctx, v) => ctx.lb.top(v), TYPE)
each('lb.top: n', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.lb.top(v), RANGE)
each('lb.range: start', [undefined, ...NOT_INT], (ctx, v) => ctx.lb.range(v, 3), TYPE)
each('lb.range: start', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.lb.range(v), RANGE)
each('lb.range: stop', NOT_INT.filter((v) => v !== null), (ctx, v) => ctx.lb.range(0, v), TYPE)
each('lb.range: stop', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.lb.range(0, v), RANGE)
add('lb.range: stop before start is empty', (ctx) => ctx.lb.range(3, 1), returns([]))
each('lb.around: member', [...NOT_STRING, LONE], (ctx, v) => ctx.lb.around(v, 1), TYPE)
add('lb.around: member <- ""', (ctx) => ctx.lb.around('', 1), INVALID)
each('lb.around: n', [undefined, ...NOT_INT], (ctx, v) => ctx.lb.around('alice', v), TYPE)
each('lb.around: n', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.lb.around('alice', v), RANGE)

// -- queue
nameCases('queue', (ctx, v) => ctx.db.queue(v))
add('queue: name with ":"', (ctx) => ctx.db.queue('a:b'), INVALID)
each('queue: options', [...NOT_OPTIONS, { visibilityTimeout: '1' }, { visibilityTimeout: 1n }, { maxAttempts: '3' }, { maxattempts: 3 }], (ctx, v) => ctx.db.queue('jobs', v), TYPE)
each('queue: visibilityTimeout', [...BAD_SECONDS, 0], (ctx, v) => ctx.db.queue('jobs', { visibilityTimeout: v }), INVALID)
each('queue: maxAttempts', [...BAD_COUNTS, ...BAD_COUNT_BIGINTS], (ctx, v) => ctx.db.queue('jobs', { maxAttempts: v }), RANGE)
each('queue: maxAttempts', [0, 0n], (ctx, v) => ctx.db.queue('jobs', { maxAttempts: v }), INVALID)
each('q.enqueue: payload', NOT_BYTES, (ctx, v) => ctx.q.enqueue(v), TYPE)
add('q.enqueue: payload <- lone surrogate', (ctx) => ctx.q.enqueue(LONE), TYPE)
add('q.enqueue: payload <- 16 MiB + 1', (ctx) => ctx.q.enqueue(Buffer.alloc(MAX_VALUE + 1)), INVALID)
each('q.enqueue: options', [...NOT_OPTIONS, 5, { delay: '1' }, { delay: 1n }, { dealy: 1 }], (ctx, v) => ctx.q.enqueue('job', v), TYPE)
// delay -1, NaN, Infinity are rows of tests/bad_input/rules.tsv.
each('q.enqueue: delay', [-0.001, -Infinity, 2 ** 53 + 2, Number.MAX_VALUE], (ctx, v) => ctx.q.enqueue('job', { delay: v }), INVALID)
for (const m of ['ack', 'nack']) {
  each(`q.${m}: id`, [undefined, ...NOT_INT], (ctx, v) => ctx.q[m](v), TYPE)
  each(`q.${m}: id`, [-1, 1.5, NaN, Infinity, 2 ** 53, ...OUT_U64], (ctx, v) => ctx.q[m](v), RANGE)
  each(`q.${m}: an id that is not in flight`, [2, 99999, U64_MAX], (ctx, v) => ctx.q[m](v), returns(false))
}
each('q.nack: options', [...NOT_OPTIONS, 5, { delay: '1' }, { wait: 1 }], (ctx, v) => ctx.q.nack(ctx.inflight.id, v), TYPE)
each('q.nack: delay (the job stays in flight)', BAD_SECONDS, (ctx, v) => ctx.q.nack(ctx.inflight.id, { delay: v }), INVALID)
each('q.dequeueWait: options', [...NOT_OPTIONS, 5, { timeout: '1' }, { timeout: 1n }, { signal: {} }, { wait: 1 }], (ctx, v) => ctx.q.dequeueWait(v), TYPE, { async: true })
each('q.dequeueWait: timeout', [-1, -0.001, NaN, -Infinity], (ctx, v) => ctx.q.dequeueWait({ timeout: v }), RANGE, { async: true })
add('q.dequeueWait: an already aborted signal', (ctx) => ctx.q.dequeueWait({ signal: AbortSignal.abort() }), { ctor: DOMException, code: 20 }, { async: true })

// -- CRDTs
for (const m of ['crdtCounter', 'crdtRegister', 'crdtSet', 'crdtMap']) {
  nameCases(m, (ctx, v) => ctx.db[m](v))
}
each('crdtCounter: options', [...NOT_OPTIONS, { bigInt: true }], (ctx, v) => ctx.db.crdtCounter('crdt:cnt', v), TYPE)
for (const [label, pick] of [['crdtCounter', (ctx) => ctx.cc], ['crdtCounter(bigint)', (ctx) => ctx.ccBig]]) {
  for (const m of ['increment', 'decrement']) {
    each(`${label}.${m}`, NOT_INT, (ctx, v) => pick(ctx)[m](v), TYPE)
    each(`${label}.${m}`, [-1, ...UNSAFE], (ctx, v) => pick(ctx)[m](v), RANGE)
    each(`${label}.${m}`, OUT_U64, (ctx, v) => pick(ctx)[m](v), RANGE)
  }
  each(`${label}.add`, [undefined, ...NOT_INT], (ctx, v) => pick(ctx).add(v), TYPE)
  each(`${label}.add`, UNSAFE, (ctx, v) => pick(ctx).add(v), RANGE)
  each(`${label}.add`, OUT_I64, (ctx, v) => pick(ctx).add(v), RANGE)
  add(`${label}.increment: this node's increments past 64 bits`, (ctx) => pick(ctx).increment(U64_MAX), OVERFLOW)
  add(`${label}.decrement: this node's decrements past 64 bits`, (ctx) => pick(ctx).decrement(U64_MAX), OVERFLOW)
  add(`${label}.add: the value past 2^63-1`, (ctx) => pick(ctx).add(I64_MAX), OVERFLOW)
  add(`${label}.increment: the value past 2^63-1`, (ctx) => pick(ctx).increment(I64_MAX), OVERFLOW)
}
/** Runs `f` with a replica whose 'crdt:cnt' holds 2^63-1 increments: merged here, past 2^63-1. */
function withBigReplica(f) {
  const big = grovekv.openMemory({ nodeId: 'big-replica' })
  try {
    big.crdtCounter('crdt:cnt', { bigint: true }).increment(I64_MAX)
    return f(big)
  } finally {
    big.close()
  }
}
add('crdtCounter.merge: a state taking the value past 2^63-1', (ctx) => withBigReplica((big) => ctx.cc.merge(big.crdtCounter('crdt:cnt').state())), OVERFLOW)
add('applyChanges: a counter taking the value past 2^63-1', (ctx) => withBigReplica((big) => ctx.db.applyChanges(big.exportChanges().data)), OVERFLOW)
add('sync: a counter taking the value past 2^63-1', (ctx) => withBigReplica((big) => grovekv.sync(big, ctx.db)), OVERFLOW)
const CRDTS = [
  ['crdtCounter', 'cc', 'counter'],
  ['crdtRegister', 'reg', 'register'],
  ['crdtSet', 'set', 'set'],
  ['crdtMap', 'map', 'map'],
]
for (const [label, h, own] of CRDTS) {
  each(`${label}.merge: state`, NOT_STATE, (ctx, v) => ctx[h].merge(v), TYPE)
  each(`${label}.merge: state`, GARBAGE, (ctx, v) => ctx[h].merge(v), CORRUPT)
  add(`${label}.merge: its state truncated`, (ctx) => ctx[h].merge(ctx.states[own].subarray(0, ctx.states[own].length - 1)), CORRUPT)
  add(`${label}.merge: its state header only`, (ctx) => ctx[h].merge(ctx.states[own].subarray(0, 5)), CORRUPT)
  add(`${label}.merge: its state with a newer format version`, (ctx) => {
    const s = Buffer.from(ctx.states[own])
    s[3] = 0x7f
    return ctx[h].merge(s)
  }, CORRUPT)
  add(`${label}.merge: its state with trailing garbage`, (ctx) => ctx[h].merge(Buffer.concat([ctx.states[own], Buffer.from('junk')])), CORRUPT)
  add(`${label}.merge: a change bundle`, (ctx) => ctx[h].merge(ctx.bundle), CORRUPT)
  for (const [, , other] of CRDTS) {
    if (other !== own) add(`${label}.merge: a ${other} state`, (ctx) => ctx[h].merge(ctx.states[other]), WRONG)
  }
  for (const [otherLabel, , other] of CRDTS) {
    if (other === own) continue
    const key = { counter: 'crdt:cnt', register: 'crdt:reg', set: 'crdt:set', map: 'crdt:map' }[other]
    add(`${label}.state: the key holds a ${other}`, (ctx) => ctx.db[label](key).state(), WRONG)
    add(`${label}.merge: the key holds a ${other}`, (ctx) => ctx.db[label](key).merge(ctx.states[own]), WRONG)
    void otherLabel
  }
  add(`${label}.state: the key holds a plain counter`, (ctx) => ctx.db[label]('counter:hits').state(), WRONG)
  add(`${label}.state: the key holds a string`, (ctx) => ctx.db[label]('kv:plain').state(), WRONG)
}
add('crdtCounter.increment: a plain counter key', (ctx) => ctx.db.crdtCounter('counter:hits').increment(), WRONG)
add('crdtCounter.value: a string key', (ctx) => ctx.db.crdtCounter('kv:plain').value(), WRONG)
add('crdtRegister.set: a set key', (ctx) => ctx.db.crdtRegister('crdt:set').set(1), WRONG)
add('crdtSet.add: a register key', (ctx) => ctx.db.crdtSet('crdt:reg').add(1), WRONG)
add('crdtMap.set: a counter key', (ctx) => ctx.db.crdtMap('crdt:cnt').set('f', 1), WRONG)
add('crdtMap.all: a leaderboard member key', (ctx) => ctx.db.crdtMap('lb:board:alice').all(), WRONG)
each('crdtRegister.set: value', NOT_JSON, (ctx, v) => ctx.reg.set(v), TYPE)
add('crdtRegister.set: value <- 16 MiB string', (ctx) => ctx.reg.set('x'.repeat(MAX_VALUE)), INVALID, { heavy: true })
for (const m of ['add', 'remove', 'has', 'contains']) {
  each(`crdtSet.${m}: value`, NOT_JSON, (ctx, v) => ctx.set[m](v), TYPE)
}
add('crdtSet.add: value <- 16 MiB string', (ctx) => ctx.set.add('x'.repeat(MAX_VALUE)), INVALID, { heavy: true })
each('crdtMap.set: field', [...NOT_STRING, LONE], (ctx, v) => ctx.map.set(v, 1), TYPE)
each('crdtMap.set: field', ['', LONG_KEY], (ctx, v) => ctx.map.set(v, 1), INVALID)
each('crdtMap.set: value', NOT_JSON, (ctx, v) => ctx.map.set('f', v), TYPE)
each('crdtMap.get: field', [...NOT_STRING, LONE], (ctx, v) => ctx.map.get(v), TYPE)
each('crdtMap.get: field', ['', LONG_KEY], (ctx, v) => ctx.map.get(v), INVALID)
each('crdtMap.delete: field', [...NOT_STRING, LONE], (ctx, v) => ctx.map.delete(v), TYPE)
add('crdtMap.delete: field <- ""', (ctx) => ctx.map.delete(''), INVALID)

// -- replication
each('exportChanges: options', [true, 'since', Symbol('s'), [], { since: '0' }, { cursor: 0 }, new Date(0)], (ctx, v) => ctx.db.exportChanges(v), TYPE)
each('exportChanges: since', [-1, 1.5, NaN, Infinity, 2 ** 53, ...OUT_U64], (ctx, v) => ctx.db.exportChanges(v), RANGE)
each('exportChanges: { since }', [-1, NaN, -1n], (ctx, v) => ctx.db.exportChanges({ since: v }), RANGE)
each('applyChanges: data', NOT_STATE, (ctx, v) => ctx.db.applyChanges(v), TYPE)
each('applyChanges: data', GARBAGE, (ctx, v) => ctx.db.applyChanges(v), CORRUPT)
add('applyChanges: a CRDT state', (ctx) => ctx.db.applyChanges(ctx.states.counter), CORRUPT)
add('applyChanges: a truncated bundle', (ctx) => ctx.db.applyChanges(ctx.bundle.subarray(0, ctx.bundle.length - 1)), CORRUPT)
add('applyChanges: a bundle with trailing garbage', (ctx) => ctx.db.applyChanges(Buffer.concat([ctx.bundle, Buffer.from([0])])), CORRUPT)
add('applyChanges: a bundle with a newer format version', (ctx) => {
  const b = Buffer.from(ctx.bundle)
  b[3] = 0x7f
  return ctx.db.applyChanges(b)
}, CORRUPT)
add('applyChanges: another CRDT type at a key (nothing applied)', (ctx) => ctx.db.applyChanges(ctx.wrongBundle), WRONG)

// ---- running the matrix ---------------------------------------------------------------------
for (const backend of ['memory', 'sled']) {
  test(`${backend}: bad input throws the documented error and changes nothing`, async (t) => {
    const dir = backend === 'sled' ? tempDir(t) : null
    const db = backend === 'sled' ? grovekv.open(dir) : grovekv.openMemory()
    const ctx = populate(db)
    ctx.dir = dir ?? tempDir(t)
    t.after(() => {
      for (const s of [ctx.other, ctx.same, db]) s.close()
    })
    const first = snapshot(db, ctx)
    let before = first
    // On sled, only the cases that reach the store: the JS-side TypeError/RangeError checks
    // are the same code for both backends, and the 16 MiB encodings are run once.
    const mine = backend === 'memory' ? cases : cases.filter((c) => !c.heavy && (c.expect.ctor === Error || 'value' in c.expect))
    for (const c of mine) {
      await t.test(c.name, c.todo ? { todo: c.todo } : {}, async () => {
        try {
          await runCase(c, ctx)
        } finally {
          const after = snapshot(db, ctx)
          const prev = before
          before = after
          assertUnchanged(prev, after, c.name)
        }
      })
    }
    // The other stores were not changed by the refused syncs either.
    assert.equal(ctx.other.kindOf('crdt:reg'), 'crdt-counter')
    assert.equal(ctx.other.exists('crdt:cnt'), false)
    assert.equal(ctx.same.exists('crdt:cnt'), false)
    assert.equal(db.exists('crdt:fresh'), false)
    if (backend === 'sled') {
      // What was refused was never written: a reopened store reads the same.
      ctx.lock.release()
      const beforeClose = snapshot(db, ctx)
      db.close()
      const again = grovekv.open(dir)
      try {
        const ctx2 = { lock: { held: () => false }, sid: ctx.sid }
        const reread = snapshot(again, ctx2)
        assert.deepStrictEqual(reread.exact, { ...beforeClose.exact, lock: { ...beforeClose.exact.lock, mine: false } })
      } finally {
        again.close()
      }
    }
  })
}

// ---- closed handles: every method of the store and of everything made from it -------------
/** [name, call, async?] on a context whose store handle has been closed. */
const closedCases = [
  ['flush', (x) => x.db.flush()],
  ['sizeOnDisk', (x) => x.db.sizeOnDisk()],
  ['namespace', (x) => x.db.namespace('tenant')],
  ['get', (x) => x.db.get('kv:plain')],
  ['set', (x) => x.db.set('kv:plain', 'changed')],
  ['set (new key)', (x) => x.db.set('kv:new', 'v', 10)],
  ['delete', (x) => x.db.delete('kv:plain')],
  ['exists', (x) => x.db.exists('kv:plain')],
  ['kindOf', (x) => x.db.kindOf('kv:plain')],
  ['expire', (x) => x.db.expire('kv:plain', 1)],
  ['persist', (x) => x.db.persist('kv:ttl')],
  ['ttl', (x) => x.db.ttl('kv:ttl')],
  ['keys', (x) => x.db.keys('')],
  ['keys: an iterator made before close', (x) => x.iter.next()],
  ['getMany', (x) => x.db.getMany(['kv:plain'])],
  ['setIfAbsent', (x) => x.db.setIfAbsent('kv:new', 'v')],
  ['setIfPresent', (x) => x.db.setIfPresent('kv:plain', 'changed')],
  ['compareAndSet', (x) => x.db.compareAndSet('kv:plain', 'hello', 'changed')],
  ['getSet', (x) => x.db.getSet('kv:plain', 'changed')],
  ['getDelete', (x) => x.db.getDelete('kv:plain')],
  ['setMany', (x) => x.db.setMany({ 'kv:plain': 'changed' })],
  ['purgeExpired', (x) => x.db.purgeExpired()],
  ['setMaxDrift', (x) => x.db.setMaxDrift(1)],
  ['exportChanges', (x) => x.db.exportChanges()],
  ['applyChanges', (x) => x.db.applyChanges(x.foreign)],
  ['sync (closed first)', (x) => grovekv.sync(x.db, x.other)],
  ['sync (closed second)', (x) => grovekv.sync(x.other, x.db)],
  ['counter', (x) => x.db.counter('hits')],
  ['lock', (x) => x.db.lock('deploy')],
  ['lockInfo', (x) => x.db.lockInfo('deploy')],
  ['withLock', (x) => x.db.withLock('free', () => assert.fail('ran')), true],
  ['rateLimiter', (x) => x.db.rateLimiter('api', RL)],
  ['sessions', (x) => x.db.sessions()],
  ['leaderboard', (x) => x.db.leaderboard('board')],
  ['queue', (x) => x.db.queue('jobs')],
  ['crdtCounter', (x) => x.db.crdtCounter('crdt:cnt')],
  ['crdtRegister', (x) => x.db.crdtRegister('crdt:reg')],
  ['crdtSet', (x) => x.db.crdtSet('crdt:set')],
  ['crdtMap', (x) => x.db.crdtMap('crdt:map')],
  ['view.get', (x) => x.view.get('k')],
  ['view.set', (x) => x.view.set('k', 'changed')],
  ['view.counter', (x) => x.view.counter('n')],
  ['view.namespace', (x) => x.view.namespace('deeper')],
  ['view.close is fine twice', (x) => x.view.close(), false, returns(undefined)],
  ['close is fine twice', (x) => x.db.close(), false, returns(undefined)],
  ['closed is true', (x) => x.db.closed, false, returns(true)],
  ['view.closed is true', (x) => x.view.closed, false, returns(true)],
]
for (const [label, key] of [['counter', 'c'], ['counter(bigint)', 'cBig'], ['view counter', 'viewCounter']]) {
  closedCases.push(
    [`${label}.increment`, (x) => x[key].increment()],
    [`${label}.increment(2n ** 60n)`, (x) => x[key].increment(2n ** 60n)],
    [`${label}.decrement`, (x) => x[key].decrement(2)],
    [`${label}.get`, (x) => x[key].get()],
    [`${label}.set`, (x) => x[key].set(1)],
    [`${label}.set(bigint)`, (x) => x[key].set(I64_MAX)],
    [`${label}.reset`, (x) => x[key].reset()],
    [`${label}.tryDecrement`, (x) => x[key].tryDecrement()],
    [`${label}.tryIncrement`, (x) => x[key].tryIncrement(1n, I64_MAX)],
  )
}
closedCases.push(
  ['lock.tryAcquire', (x) => x.freeLock.tryAcquire()],
  ['lock.acquire', (x) => x.freeLock.acquire(), true],
  ['lock.acquire (with timeout)', (x) => x.freeLock.acquire({ timeout: 1 }), true],
  ['lock.release', (x) => x.lock.release()],
  ['lock.extend', (x) => x.lock.extend(5)],
  ['lock.held', (x) => x.lock.held()],
  ['rl.allow', (x) => x.rl.allow('user-1')],
  ['rl.peek', (x) => x.rl.peek('user-1')],
  ['rl.reset', (x) => x.rl.reset('user-1')],
  ['sess.create', (x) => x.sess.create({ a: 1 })],
  ['sess.get', (x) => x.sess.get(x.sid)],
  ['sess.update', (x) => x.sess.update(x.sid, { a: 1 })],
  ['sess.touch', (x) => x.sess.touch(x.sid)],
  ['sess.delete', (x) => x.sess.delete(x.sid)],
  ['sess.exists', (x) => x.sess.exists(x.sid)],
  ['lb.add', (x) => x.lb.add('alice', 1)],
  ['lb.incr', (x) => x.lb.incr('alice', 1)],
  ['lb.score', (x) => x.lb.score('alice')],
  ['lb.rank', (x) => x.lb.rank('alice')],
  ['lb.top', (x) => x.lb.top(3)],
  ['lb.range', (x) => x.lb.range(0)],
  ['lb.around', (x) => x.lb.around('alice', 1)],
  ['lb.remove', (x) => x.lb.remove('alice')],
  ['lb.clear', (x) => x.lb.clear()],
  ['lb.size', (x) => x.lb.size],
  ['q.enqueue', (x) => x.q.enqueue('job')],
  ['q.dequeue', (x) => x.q.dequeue()],
  ['q.dequeueWait', (x) => x.q.dequeueWait({ timeout: 0.05 }), true],
  ['q.dequeueWait (no timeout)', (x) => x.q.dequeueWait(), true],
  ['q.ack', (x) => x.q.ack(x.inflight.id)],
  ['q.nack', (x) => x.q.nack(x.inflight.id)],
  ['q.stats', (x) => x.q.stats()],
  ['q.deadLetters', (x) => x.q.deadLetters()],
  ['crdtCounter.increment', (x) => x.cc.increment()],
  ['crdtCounter.decrement', (x) => x.cc.decrement()],
  ['crdtCounter.add', (x) => x.cc.add(-3)],
  ['crdtCounter.value', (x) => x.cc.value()],
  ['crdtCounter.totals', (x) => x.cc.totals()],
  ['crdtCounter.contributions', (x) => x.cc.contributions()],
  ['crdtCounter.resetLocal', (x) => x.cc.resetLocal()],
  ['crdtCounter.state', (x) => x.cc.state()],
  ['crdtCounter.merge', (x) => x.cc.merge(x.states.counter)],
  ['crdtRegister.set', (x) => x.reg.set(2)],
  ['crdtRegister.get', (x) => x.reg.get()],
  ['crdtRegister.state', (x) => x.reg.state()],
  ['crdtRegister.merge', (x) => x.reg.merge(x.states.register)],
  ['crdtSet.add', (x) => x.set.add('y')],
  ['crdtSet.remove', (x) => x.set.remove('x')],
  ['crdtSet.has', (x) => x.set.has('x')],
  ['crdtSet.contains', (x) => x.set.contains('x')],
  ['crdtSet.members', (x) => x.set.members()],
  ['crdtSet.size', (x) => x.set.size],
  ['crdtSet[Symbol.iterator]', (x) => [...x.set]],
  ['crdtSet.state', (x) => x.set.state()],
  ['crdtSet.merge', (x) => x.set.merge(x.states.set)],
  ['crdtMap.set', (x) => x.map.set('f', 2)],
  ['crdtMap.get', (x) => x.map.get('f')],
  ['crdtMap.delete', (x) => x.map.delete('f')],
  ['crdtMap.keys', (x) => x.map.keys()],
  ['crdtMap.all', (x) => x.map.all()],
  ['crdtMap.state', (x) => x.map.state()],
  ['crdtMap.merge', (x) => x.map.merge(x.states.map)],
)

for (const backend of ['memory', 'sled']) {
  test(`${backend}: after close() every method throws (or rejects with) code 'Closed' and changes nothing`, async (t) => {
    const dir = backend === 'sled' ? tempDir(t) : null
    const db = backend === 'sled' ? grovekv.open(dir) : grovekv.openMemory()
    // On sled, a second handle of the same engine stays open to check the data afterwards.
    const keeper = backend === 'sled' ? grovekv.open(dir) : null
    const x = populate(db)
    const foreign = grovekv.openMemory({ nodeId: 'foreign' })
    foreign.crdtSet('crdt:foreign').add(1)
    x.foreign = foreign.exportChanges().data
    x.view = db.namespace('tenant')
    x.viewCounter = x.view.counter('n')
    x.iter = db.keys('')
    const stub = { lock: { held: () => true }, sid: x.sid }
    const before = keeper && snapshot(keeper, stub)
    db.close()
    t.after(() => {
      for (const s of [x.other, x.same, foreign, keeper]) if (s) s.close()
    })
    for (const [name, call, isAsync = false, expect = CLOSED] of closedCases) {
      await t.test(name, () => runCase({ name, call: () => call(x), expect, async: isAsync }, x))
    }
    if (keeper) {
      assertUnchanged(before, snapshot(keeper, stub), 'after the calls on the closed handle')
      assert.equal(keeper.exists('crdt:foreign'), false)
      assert.equal(keeper.exists('kv:new'), false)
    }
    assert.equal(x.other.exists('crdt:cnt'), false, 'a sync with a closed store pushed nothing')
  })
}

// ---- the exact 64-bit policy at its edges (a scratch store: some of these calls do write) ----
test('64-bit policy: counters never round or wrap', () => {
  const db = grovekv.openMemory()
  try {
    const n = db.counter('edge')
    const b = db.counter('edge', { bigint: true })
    b.set(I64_MAX - 1n)
    assert.equal(b.increment(1), I64_MAX)
    assert.throws(() => n.increment(1), (e) => assertError(e, OVERFLOW, 'past max') ?? true)
    assert.equal(b.get(), I64_MAX, 'an overflow changes nothing')
    b.set(I64_MIN)
    assert.throws(() => b.decrement(1n), (e) => assertError(e, OVERFLOW, 'past min') ?? true)
    assert.equal(b.increment(-1n * 0n), I64_MIN)
    b.set(-1)
    assert.equal(b.decrement(I64_MIN + 1n), I64_MAX - 1n, '-1 - (-2^63 + 1) is exact')
    b.set(-1)
    assert.equal(b.increment(I64_MIN + 1n), I64_MIN, 'reaches -2^63 exactly')
    // Number mode: a result past 2^53-1 is a RangeError carrying the exact value, and was applied.
    n.set(Number.MAX_SAFE_INTEGER)
    assert.throws(
      () => n.increment(1),
      (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.value === 2n ** 53n,
    )
    assert.equal(b.get(), 2n ** 53n, 'the increment was applied')
    assert.equal(n.decrement(1), Number.MAX_SAFE_INTEGER)
    // Inputs: unsafe numbers are refused before anything is written.
    assert.throws(() => n.set(2 ** 53), (e) => assertError(e, RANGE, 'set 2^53') ?? true)
    assert.equal(n.get(), Number.MAX_SAFE_INTEGER)
    assert.equal(n.increment(-(2 ** 53 - 1)), 0, '-(2^53-1) is a safe delta')

    const cc = db.crdtCounter('crdt:edge', { bigint: true })
    const ccn = db.crdtCounter('crdt:edge')
    assert.throws(() => cc.increment(U64_MAX), (e) => assertError(e, OVERFLOW, 'value past 2^63-1') ?? true)
    assert.equal(cc.value(), 0n, 'the refused increment changed nothing')
    assert.equal(cc.increment(I64_MAX), I64_MAX)
    assert.throws(() => ccn.increment(1), (e) => assertError(e, OVERFLOW, 'value past 2^63-1') ?? true)
    assert.equal(cc.decrement(U64_MAX), I64_MIN, '(2^63-1) - (2^64-1) is exactly -2^63')
    assert.throws(() => cc.add(I64_MIN), (e) => assertError(e, OVERFLOW, 'decrements past 64 bits') ?? true)
    assert.deepEqual(cc.totals(), { positive: I64_MAX, negative: U64_MAX })
    assert.throws(
      () => ccn.value(),
      (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.value === I64_MIN,
    )
    assert.equal(cc.resetLocal(), 0n)
    assert.deepEqual(cc.totals(), { positive: U64_MAX, negative: U64_MAX })
    assert.throws(() => cc.increment(1), (e) => assertError(e, OVERFLOW, 'increments past 64 bits') ?? true)
    assert.equal(ccn.value(), 0)
  } finally {
    db.close()
  }
})

// ---- mutated state bytes and bundles: a Grove error or a merge, never a crash or 'Internal' --
test('merge/applyChanges of mutated bytes never crash, hang or report Internal', () => {
  const src = grovekv.openMemory({ nodeId: 'fuzz-src' })
  const dst = grovekv.openMemory({ nodeId: 'fuzz-dst' })
  try {
    src.crdtCounter('c').increment(3)
    src.crdtRegister('r').set({ a: [1, 'x'] })
    src.crdtSet('s').add('m')
    src.crdtMap('m').set('f', true)
    const targets = [
      [src.crdtCounter('c').state(), (b) => dst.crdtCounter('c').merge(b)],
      [src.crdtRegister('r').state(), (b) => dst.crdtRegister('r').merge(b)],
      [src.crdtSet('s').state(), (b) => dst.crdtSet('s').merge(b)],
      [src.crdtMap('m').state(), (b) => dst.crdtMap('m').merge(b)],
      [src.exportChanges().data, (b) => dst.applyChanges(b)],
    ]
    const allowed = new Set(['Corrupt', 'WrongType', 'ClockDrift', 'InvalidArgument', 'Overflow'])
    let calls = 0
    for (const [bytes, merge] of targets) {
      const variants = []
      for (let i = 0; i < bytes.length; i++) {
        variants.push(bytes.subarray(0, i))
        for (const f of [(x) => x ^ 0x01, (x) => x ^ 0x80, () => 0xff, () => 0x00]) {
          const m = Buffer.from(bytes)
          m[i] = f(m[i])
          variants.push(m)
        }
      }
      for (const v of variants) {
        calls++
        try {
          merge(v)
        } catch (e) {
          assert.ok(e instanceof Error && allowed.has(e.code), `${bytes.toString('hex')} -> ${v.toString('hex')}: ${e.code} ${e.message}`)
        }
      }
    }
    assert.ok(calls > 300, `${calls} mutated inputs`)
  } finally {
    src.close()
    dst.close()
  }
})
