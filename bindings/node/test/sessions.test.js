'use strict'
// The session store: id shape and uniqueness, JSON round trips, refusals of what JSON cannot
// hold, sliding expiry, no resurrection, malformed ids, prefixes, errors and Closed.
const test = require('node:test')
const assert = require('node:assert/strict')
const grovekv = require('..')
const { code, sleep, tempDir } = require('./helpers')

const ID = /^[A-Za-z0-9_-]{43}$/

test('10,000 creates on sled give unique 43-character URL-safe ids', (t) => {
  const db = grovekv.open(tempDir(t))
  t.after(() => db.close())
  const s = db.sessions({ ttl: 600 })
  const ids = new Set()
  for (let i = 0; i < 10000; i++) {
    const id = s.create({ i })
    assert.match(id, ID)
    ids.add(id)
  }
  assert.equal(ids.size, 10000)
  assert.equal([...db.keys('sess:')].length, 10000)
  const some = [...ids][1234]
  assert.deepEqual(s.get(some), { i: 1234 })
})

test('any JSON value round-trips', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const s = db.sessions()
  assert.equal(s.ttl, 1800, 'default ttl')
  assert.equal(s.prefix, 'sess', 'default prefix')
  const values = [
    { user: 42, roles: ['admin', 'dev'], nested: { ok: true, n: null, f: 1.5 } },
    [1, 'two', [3], { four: 4 }],
    'a string with ünïcödé and emoji 🌳',
    0,
    -12.25,
    true,
    false,
    {},
    [],
    '',
  ]
  for (const v of values) {
    const id = s.create(v)
    assert.deepEqual(s.get(id), v)
  }
  const nul = s.create(null)
  assert.equal(s.get(nul), null, 'null data reads as null…')
  assert.equal(s.exists(nul), true, '…and exists() tells it from a missing session')
  const d = new Date(0)
  assert.equal(s.get(s.create({ d })).d, d.toJSON(), 'toJSON is honoured (as JSON.stringify does)')
  const big = { blob: 'x'.repeat(100000) }
  assert.deepEqual(s.get(s.create(big)), big)
})

test('what JSON cannot hold is a TypeError with code InvalidArgument, and stored data is untouched', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const s = db.sessions()
  const id = s.create({ keep: 'me' })
  const cyclic = { a: 1 }
  cyclic.self = cyclic
  const bad = [undefined, () => 1, Symbol('s'), 10n, { n: 1n }, [1, 2n], { f() {} }, cyclic, NaN, Infinity, { x: -Infinity }]
  for (const v of bad) {
    assert.throws(() => s.create(v), code('InvalidArgument', TypeError), `create(${String(typeof v)})`)
    assert.throws(() => s.update(id, v), code('InvalidArgument', TypeError))
  }
  assert.deepEqual(s.get(id), { keep: 'me' })
  assert.equal([...db.keys('sess:')].length, 1, 'no session was created')
})

test('expiry: a 0.2 s session is gone, and update/touch never resurrect it', async (t) => {
  const db = grovekv.open(tempDir(t))
  t.after(() => db.close())
  const s = db.sessions({ ttl: 0.2 })
  const id = s.create({ cart: [1] })
  assert.equal(s.exists(id), true)
  await sleep(300)
  assert.equal(s.get(id), null)
  assert.equal(s.exists(id), false)
  assert.equal(s.update(id, { cart: [2] }), false)
  assert.equal(s.touch(id), false)
  assert.equal(s.exists(id), false, 'still gone after update/touch')
  assert.equal(s.get(id), null)
  assert.equal(s.delete(id), false)
  assert.equal(db.exists(`sess:${id}`), false)
})

test('touch and update slide the TTL; delete removes', async (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const s = db.sessions({ ttl: 1 })
  const a = s.create('a')
  const b = s.create('b')
  await sleep(600)
  assert.equal(s.touch(a), true)
  assert.equal(s.update(b, 'b2'), true)
  await sleep(600) // 1.2 s after create, 0.6 s after the touch/update
  assert.equal(s.exists(a), true, 'touch restarted the ttl')
  assert.equal(s.get(b), 'b2', 'update restarted the ttl')
  assert.ok(db.ttl(`sess:${a}`) <= 1)
  await sleep(600)
  assert.equal(s.exists(a), false)
  assert.equal(s.exists(b), false)
  const c = s.create({})
  assert.equal(s.delete(c), true)
  assert.equal(s.delete(c), false)
  assert.equal(s.get(c), null)
  assert.equal(s.update(c, 1), false, 'a deleted session is never recreated')
  assert.equal(s.touch(c), false)
  assert.equal(s.exists(c), false)
})

test('malformed or unknown ids are simply not found', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const s = db.sessions()
  const real = s.create({ x: 1 })
  const malformed = [
    '',
    'abc',
    real.slice(1),
    real + 'x',
    real.slice(0, 42) + '.',
    real.slice(0, 42) + '=',
    '../../../../etc/passwd/../../../../../../../',
    'x'.repeat(10000),
    'é'.repeat(43),
    'A'.repeat(43), // well formed, never issued
  ]
  for (const id of malformed) {
    assert.equal(s.get(id), null, id)
    assert.equal(s.exists(id), false)
    assert.equal(s.update(id, 1), false)
    assert.equal(s.touch(id), false)
    assert.equal(s.delete(id), false)
  }
  assert.equal([...db.keys('sess:')].length, 1, 'nothing was created')
  for (const bad of [undefined, null, 5, {}, Buffer.from(real)]) {
    assert.throws(() => s.get(bad), code('InvalidArgument', TypeError))
    assert.throws(() => s.exists(bad), code('InvalidArgument', TypeError))
    assert.throws(() => s.update(bad, 1), code('InvalidArgument', TypeError))
    assert.throws(() => s.touch(bad), code('InvalidArgument', TypeError))
    assert.throws(() => s.delete(bad), code('InvalidArgument', TypeError))
  }
  assert.deepEqual(s.get(real), { x: 1 })
})

test('prefixes and namespaces separate session stores', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  const web = db.sessions({ prefix: 'web', ttl: 60 })
  const api = db.sessions({ prefix: 'api' })
  const id = web.create({ who: 'web' })
  assert.equal(db.kindOf(`web:${id}`), 'session')
  assert.ok(db.ttl(`web:${id}`) <= 60)
  assert.equal(api.get(id), null)
  assert.equal(api.exists(id), false)
  assert.deepEqual(db.sessions({ prefix: 'web' }).get(id), { who: 'web' }, 'same prefix, same sessions')
  const ns = db.namespace('tenant').sessions()
  const nid = ns.create(1)
  assert.equal(db.exists(`tenant:sess:${nid}`), true)
  assert.equal(db.sessions().get(nid), null)
})

test('bad arguments', (t) => {
  const db = grovekv.openMemory()
  t.after(() => db.close())
  assert.throws(() => db.sessions(5), code('InvalidArgument', TypeError))
  assert.throws(() => db.sessions({ ttl: '1' }), code('InvalidArgument', TypeError))
  assert.throws(() => db.sessions({ prefix: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => db.sessions({ tll: 1 }), code('InvalidArgument', TypeError))
  for (const ttl of [0, -1, NaN, Infinity]) {
    assert.throws(() => db.sessions({ ttl }), code('InvalidArgument'), `ttl ${ttl}`)
  }
  assert.throws(() => db.sessions({ prefix: '' }), code('InvalidArgument'))
  assert.throws(() => db.sessions({ prefix: 'p'.repeat(100000) }), code('InvalidArgument'))
  assert.throws(() => new grovekv.Sessions(), TypeError)
  const s = db.sessions()
  const id = s.create(1)
  db.set(`sess:${'B'.repeat(43)}`, 'raw bytes, not a session')
  assert.throws(() => s.get('B'.repeat(43)), code('WrongType'))
  assert.throws(() => s.update('B'.repeat(43), 1), code('WrongType'))
  assert.equal(db.get(`sess:${'B'.repeat(43)}`).toString(), 'raw bytes, not a session')
  assert.equal(s.get(id), 1)
})

test('everything made from a closed store throws Closed', () => {
  const db = grovekv.openMemory()
  const s = db.sessions()
  const id = s.create({})
  db.close()
  assert.throws(() => db.sessions(), code('Closed'))
  for (const x of [id, 'malformed']) {
    assert.throws(() => s.get(x), code('Closed'))
    assert.throws(() => s.exists(x), code('Closed'))
    assert.throws(() => s.update(x, 1), code('Closed'))
    assert.throws(() => s.touch(x), code('Closed'))
    assert.throws(() => s.delete(x), code('Closed'))
  }
  assert.throws(() => s.create({}), code('Closed'))
})
