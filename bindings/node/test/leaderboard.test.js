'use strict'
// The leaderboard: a seeded random-operation test against a sorted-array model, ties, rank of
// every member of a 10,000-member board on both backends (and after reopening sled), NaN and
// Infinity, Overflow, the KV API refusing member keys, argument errors and Closed.
const test = require('node:test')
const assert = require('node:assert/strict')
const grovekv = require('..')
const { code, tempDir } = require('./helpers')

/** A small seeded PRNG (mulberry32): floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Board order: higher score first, ties by member (byte order; members here are BMP text). */
function order(a, b) {
  if (a.score !== b.score) return b.score - a.score
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0
}

/** The model's ranking as `{ member, score, rank }` objects. */
function ranking(model) {
  return [...model]
    .map(([member, score]) => ({ member, score }))
    .sort(order)
    .map((r, rank) => ({ member: r.member, score: r.score, rank }))
}

/** -0 is stored as 0. */
const norm = (s) => (s === 0 ? 0 : s)

/** Runs `steps` random operations on `lb` and a Map model, checking each answer. */
function randomOps(lb, seed, steps) {
  const rnd = prng(seed)
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)]
  const members = Array.from({ length: 120 }, (_, i) => (i % 10 === 0 ? `é${i}` : `m${i}`))
  const scores = [-3, -1, -0.5, -0, 0, 0.25, 1, 1, 2, 7.5, 1e6]
  const model = new Map()
  for (let step = 0; step < steps; step++) {
    const m = pick(members)
    const op = rnd()
    if (op < 0.3) {
      const s = pick(scores)
      lb.add(m, s)
      model.set(m, norm(s))
    } else if (op < 0.55) {
      const d = pick(scores)
      const want = norm((model.get(m) ?? 0) + d)
      assert.equal(lb.incr(m, d), want)
      model.set(m, want)
    } else if (op < 0.65) {
      assert.equal(lb.remove(m), model.delete(m))
    } else if (op < 0.8) {
      const r = ranking(model)
      const i = r.findIndex((x) => x.member === m)
      assert.equal(lb.rank(m), i === -1 ? null : i, `rank of ${m} at step ${step}`)
      assert.equal(lb.score(m), model.has(m) ? model.get(m) : null)
    } else if (op < 0.9) {
      const r = ranking(model)
      const start = Math.floor(rnd() * (r.length + 3))
      const stop = start + Math.floor(rnd() * 20)
      assert.deepEqual(lb.range(start, stop), r.slice(start, stop), `range(${start}, ${stop}) at step ${step}`)
    } else if (op < 0.95) {
      const r = ranking(model)
      const n = Math.floor(rnd() * 4)
      const i = r.findIndex((x) => x.member === m)
      const want = i === -1 ? [] : r.slice(Math.max(0, i - n), i + n + 1)
      assert.deepEqual(lb.around(m, n), want, `around(${m}, ${n}) at step ${step}`)
    } else {
      const r = ranking(model)
      const n = Math.floor(rnd() * 12)
      assert.deepEqual(lb.top(n), r.slice(0, n))
      assert.equal(lb.size, model.size)
    }
  }
  assert.deepEqual(lb.range(0), ranking(model))
  assert.equal(lb.size, model.size)
  return model
}

test('random add/incr/remove/rank/range/around/top against a sorted-array model (memory, 3 seeds)', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  for (const seed of [1, 42, 2024]) randomOps(db.leaderboard(`prop${seed}`), seed, 2500)
})

test('random operations on sled, then the index rebuilt on reopen agrees with the model', (t) => {
  const dir = tempDir(t)
  let db = grovekv.open(dir)
  const model = randomOps(db.leaderboard('prop'), 7, 2000)
  db.close()
  db = grovekv.open(dir)
  t.after(() => db.close())
  const lb = db.leaderboard('prop')
  assert.equal(lb.size, model.size)
  assert.deepEqual(lb.range(0), ranking(model))
})

test('ties are ordered by member; rank 0 is the highest score; range is half-open', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const lb = db.leaderboard('ties')
  assert.equal(lb.name, 'ties')
  for (const m of ['carol', 'alice', 'bob', 'dave']) lb.add(m, 5)
  lb.add('zed', 9)
  lb.add('aaron', -1)
  assert.deepEqual(
    lb.top(10).map((r) => [r.rank, r.member, r.score]),
    [
      [0, 'zed', 9],
      [1, 'alice', 5],
      [2, 'bob', 5],
      [3, 'carol', 5],
      [4, 'dave', 5],
      [5, 'aaron', -1],
    ],
  )
  assert.equal(lb.rank('zed'), 0)
  assert.equal(lb.rank('bob'), 2)
  assert.equal(lb.rank('nobody'), null)
  assert.equal(lb.score('nobody'), null)
  assert.deepEqual(lb.range(1, 3).map((r) => r.member), ['alice', 'bob'])
  assert.deepEqual(lb.range(2, 2), [])
  assert.deepEqual(lb.range(4, 100).map((r) => r.member), ['dave', 'aaron'])
  assert.deepEqual(lb.range(99), [])
  assert.deepEqual(lb.range(0n, 1n), [{ member: 'zed', score: 9, rank: 0 }])
  assert.deepEqual(lb.top(0), [])
  assert.deepEqual(lb.around('bob', 1).map((r) => r.member), ['alice', 'bob', 'carol'])
  assert.deepEqual(lb.around('zed', 2).map((r) => r.member), ['zed', 'alice', 'bob'])
  assert.deepEqual(lb.around('nobody', 2), [])
  lb.add('bob', 5) // unchanged score: still there once
  assert.equal(lb.size, 6)
  assert.equal(lb.incr('aaron', 10), 9)
  assert.deepEqual(lb.top(2).map((r) => r.member), ['aaron', 'zed'], 'aaron < zed at equal scores')
  assert.equal(lb.incr('newbie', 2.5), 2.5, 'incr of a new member starts from 0')
  assert.equal(lb.remove('bob'), true)
  assert.equal(lb.remove('bob'), false)
  assert.equal(lb.rank('carol'), 3)
  assert.equal(lb.clear(), 6)
  assert.equal(lb.size, 0)
  assert.deepEqual(lb.top(5), [])
  assert.equal(lb.clear(), 0)
  lb.add('after', 1)
  assert.deepEqual(lb.top(5), [{ member: 'after', score: 1, rank: 0 }])
})

test('boards are independent and work in namespaced views', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const a = db.leaderboard('a')
  const b = db.leaderboard('b')
  const view = db.namespace('tenant').leaderboard('a')
  a.add('x', 1)
  b.add('y', 2)
  view.add('z', 3)
  assert.deepEqual(a.top(5).map((r) => r.member), ['x'])
  assert.deepEqual(b.top(5).map((r) => r.member), ['y'])
  assert.deepEqual(view.top(5).map((r) => r.member), ['z'])
  assert.deepEqual([...db.keys('tenant:lb:')], ['tenant:lb:a:z'])
})

for (const backend of ['memory', 'sled']) {
  test(`10,000 members (${backend}): rank of every member matches the model`, (t) => {
    const dir = backend === 'sled' ? tempDir(t) : null
    let db = dir ? grovekv.open(dir) : grovekv.openMemory()
    t.after(() => db.close())
    const rnd = prng(10_000)
    const model = new Map()
    let lb = db.leaderboard('big')
    for (let i = 0; i < 10_000; i++) {
      const m = `player${i}`
      const s = Math.floor(rnd() * 500) // many ties
      lb.add(m, s)
      model.set(m, s)
    }
    const check = () => {
      const r = ranking(model)
      assert.equal(lb.size, 10_000)
      for (const { member, rank } of r) {
        if (lb.rank(member) !== rank) assert.equal(lb.rank(member), rank, `rank of ${member}`)
      }
      assert.deepEqual(lb.range(0), r)
      assert.deepEqual(lb.top(10), r.slice(0, 10))
    }
    check()
    if (dir) {
      db.close()
      db = grovekv.open(dir)
      lb = db.leaderboard('big')
      check() // the index rebuilt from sled
    }
  })
}

test('NaN and ±Infinity are InvalidArgument; leaving the finite range is Overflow; nothing changes', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const lb = db.leaderboard('s')
  lb.add('a', 1)
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => lb.add('a', bad), code('InvalidArgument'))
    assert.throws(() => lb.add('b', bad), code('InvalidArgument'))
    assert.throws(() => lb.incr('a', bad), code('InvalidArgument'))
  }
  assert.equal(lb.score('a'), 1)
  assert.equal(lb.score('b'), null)
  lb.add('big', Number.MAX_VALUE)
  assert.throws(() => lb.incr('big', Number.MAX_VALUE), code('Overflow'))
  assert.throws(() => lb.incr('big', Number.MAX_VALUE), /finite/)
  assert.equal(lb.score('big'), Number.MAX_VALUE)
  lb.add('neg', -Number.MAX_VALUE)
  assert.throws(() => lb.incr('neg', -Number.MAX_VALUE), code('Overflow'))
  assert.equal(lb.size, 3)
  lb.add('z', -0)
  assert.ok(Object.is(lb.score('z'), 0), '-0 is stored as 0')
})

test('member keys belong to the board: KV delete/expire/get/set of one is WrongType', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const lb = db.leaderboard('scores')
  lb.add('alice', 10)
  assert.equal(db.kindOf('lb:scores:alice'), 'leaderboard')
  assert.throws(() => db.delete('lb:scores:alice'), code('WrongType'))
  assert.throws(() => db.expire('lb:scores:alice', 1), code('WrongType'))
  assert.throws(() => db.get('lb:scores:alice'), code('WrongType'))
  assert.throws(() => db.set('lb:scores:alice', 'x'), code('WrongType'))
  assert.equal(lb.score('alice'), 10)
  assert.equal(lb.rank('alice'), 0)
})

test('bad arguments: TypeError/RangeError/Error with code InvalidArgument, nothing stored', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  assert.throws(() => db.leaderboard('a:b'), code('InvalidArgument'))
  assert.throws(() => db.leaderboard(''), code('InvalidArgument'))
  assert.throws(() => db.leaderboard(5), code('InvalidArgument', TypeError))
  const lb = db.leaderboard('s')
  assert.throws(() => lb.add('', 1), code('InvalidArgument'))
  assert.throws(() => lb.add(5, 1), code('InvalidArgument', TypeError))
  assert.throws(() => lb.add('a', '5'), code('InvalidArgument', TypeError))
  assert.throws(() => lb.add('a', 5n), code('InvalidArgument', TypeError))
  assert.throws(() => lb.incr('a'), code('InvalidArgument', TypeError))
  assert.throws(() => lb.top(-1), code('InvalidArgument', RangeError))
  assert.throws(() => lb.top(1.5), code('InvalidArgument', RangeError))
  assert.throws(() => lb.top(), code('InvalidArgument', TypeError))
  assert.throws(() => lb.range(-1, 2), code('InvalidArgument', RangeError))
  assert.throws(() => lb.range(0, Infinity), code('InvalidArgument', RangeError))
  assert.throws(() => lb.around('a', -1), code('InvalidArgument', RangeError))
  assert.throws(() => lb.rank(null), code('InvalidArgument', TypeError))
  assert.equal(lb.size, 0)
})

test('after close every leaderboard method throws code Closed', (t) => {
  const db = grovekv.openMemory()
  const view = db.namespace('v')
  const lb = db.leaderboard('s')
  const vlb = view.leaderboard('s')
  lb.add('a', 1)
  db.close()
  for (const board of [lb, vlb]) {
    assert.throws(() => board.add('a', 2), code('Closed'))
    assert.throws(() => board.incr('a', 2), code('Closed'))
    assert.throws(() => board.score('a'), code('Closed'))
    assert.throws(() => board.rank('a'), code('Closed'))
    assert.throws(() => board.top(3), code('Closed'))
    assert.throws(() => board.range(0, 3), code('Closed'))
    assert.throws(() => board.around('a', 1), code('Closed'))
    assert.throws(() => board.remove('a'), code('Closed'))
    assert.throws(() => board.size, code('Closed'))
    assert.throws(() => board.clear(), code('Closed'))
  }
  assert.throws(() => db.leaderboard('s'), code('Closed'))
  assert.throws(() => view.leaderboard('s'), code('Closed'))
})
