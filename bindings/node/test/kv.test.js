'use strict'
// Key/value operations: every method, TTLs, namespaces, and their errors.
const test = require('node:test')
const assert = require('node:assert/strict')
const grovekv = require('..')
const { sleep, code, tempDir } = require('./helpers')

for (const backend of ['memory', 'sled']) {
  const openDb = (t) => (backend === 'memory' ? grovekv.openMemory() : grovekv.open(tempDir(t)))

  test(`${backend}: get/set/delete/exists`, (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    assert.equal(db.get('a'), null)
    assert.equal(db.exists('a'), false)
    db.set('a', 'héllo')
    const v = db.get('a')
    assert.ok(Buffer.isBuffer(v))
    assert.equal(v.toString('utf8'), 'héllo')
    assert.equal(db.exists('a'), true)
    assert.equal(db.kindOf('a'), 'string')
    db.set('a', Buffer.from([0, 1, 2, 255]))
    assert.deepEqual([...db.get('a')], [0, 1, 2, 255])
    db.set(Buffer.from('bin\x00key'), new Uint8Array([9, 8, 7]))
    assert.deepEqual([...db.get(new Uint8Array(Buffer.from('bin\x00key')))], [9, 8, 7])
    db.set('empty', '')
    assert.equal(db.get('empty').length, 0)
    assert.equal(db.delete('a'), true)
    assert.equal(db.delete('a'), false)
    assert.equal(db.get('a'), null)
    assert.equal(db.kindOf('a'), null)
  })

  test(`${backend}: ttl, expire, persist, purgeExpired`, async (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    db.set('k', 'v', { ttl: 100 })
    const left = db.ttl('k')
    assert.ok(left > 99 && left <= 100, `ttl ${left}`)
    db.set('k2', 'v', 50.5) // ttl as a plain number
    assert.ok(db.ttl('k2') > 50 && db.ttl('k2') <= 50.5)
    db.set('forever', 'v')
    assert.equal(db.ttl('forever'), null)
    assert.throws(() => db.ttl('missing'), code('NotFound'))

    assert.equal(db.expire('forever', 30), true)
    assert.ok(db.ttl('forever') > 29)
    assert.equal(db.persist('forever'), true)
    assert.equal(db.persist('forever'), false)
    assert.equal(db.ttl('forever'), null)
    assert.equal(db.expire('missing', 10), false)
    assert.equal(db.persist('missing'), false)

    // 0.3 s, not 0.05: 'short' must still be live at the exists() call on a busy machine.
    db.set('short', 'v', { ttl: 0.3 })
    db.set('short2', 'v', { ttl: 0.3 })
    assert.equal(db.exists('short'), true)
    await sleep(400)
    assert.equal(db.get('short'), null, 'expired keys are invisible at once')
    assert.equal(db.exists('short2'), false)
    assert.ok(!Array.from(db.keys()).includes('short2'))

    db.set('soon', 'v', { ttl: 0.03 })
    await sleep(80)
    assert.ok(db.purgeExpired() >= 1)
    assert.equal(db.purgeExpired(), 0)

    assert.equal(db.expire('k', 0), true, 'expire(0) deletes now')
    assert.equal(db.exists('k'), false)
    db.set('k', 'v', { ttl: null })
    assert.equal(db.ttl('k'), null)
    db.set('k', 'v', {})
    assert.equal(db.ttl('k'), null)
  })

  test(`${backend}: bad ttls are InvalidArgument or TypeError and change nothing`, (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    db.set('k', 'old')
    for (const bad of [-1, NaN, Infinity, 0]) {
      assert.throws(() => db.set('k', 'new', { ttl: bad }), code('InvalidArgument'), `ttl ${bad}`)
    }
    assert.throws(() => db.expire('k', -1), code('InvalidArgument'))
    assert.throws(() => db.expire('k', NaN), code('InvalidArgument'))
    assert.throws(() => db.set('k', 'new', { ttl: '5' }), code('InvalidArgument', TypeError))
    assert.throws(() => db.set('k', 'new', '5'), TypeError)
    assert.throws(() => db.set('k', 'new', { tll: 5 }), TypeError)
    assert.throws(() => db.expire('k', '5'), TypeError)
    assert.throws(() => db.expire('k'), TypeError)
    assert.equal(db.get('k').toString(), 'old')
    assert.equal(db.ttl('k'), null)
  })

  test(`${backend}: keys iterate lazily in byte order, by prefix`, (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    const names = []
    for (let i = 0; i < 600; i++) names.push(`user:${String(i).padStart(4, '0')}`)
    db.setMany(names.map((n) => [n, 'x']))
    db.set('other', 'y')
    db.counter('hits').increment()
    const it = db.keys('user:')
    assert.equal(typeof it.next, 'function')
    assert.deepEqual([...it], names)
    assert.deepEqual([...db.keys()].length, 602)
    assert.deepEqual([...db.keys('counter:')], ['counter:hits'])
    assert.deepEqual([...db.keys('nothing')], [])
    const bufs = [...db.keys('oth', { buffers: true })]
    assert.ok(Buffer.isBuffer(bufs[0]))
    assert.equal(bufs[0].toString(), 'other')
    assert.throws(() => db.keys(5), TypeError)
    assert.throws(() => db.keys('', { buffer: true }), TypeError)
  })

  test(`${backend}: getMany and setMany`, (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    db.setMany({ a: '1', b: Buffer.from('2') })
    db.setMany(new Map([['c', '3'], [Buffer.from('d'), '4']]))
    db.setMany([['e', '5']], { ttl: 60 })
    db.setMany([])
    db.setMany({})
    assert.deepEqual(
      db.getMany(['a', 'b', 'c', 'd', 'e', 'zz']).map((v) => (v === null ? null : v.toString())),
      ['1', '2', '3', '4', '5', null],
    )
    assert.ok(db.ttl('e') > 59)
    assert.deepEqual(db.getMany(new Set(['a'])).map(String), ['1'])
    assert.deepEqual(db.getMany([]), [])

    // atomic: a WrongType in the middle writes nothing
    db.counter('n').increment()
    assert.throws(() => db.setMany([['x', '1'], ['counter:n', '2']]), code('WrongType'))
    assert.equal(db.get('x'), null)
    assert.throws(() => db.getMany(['a', 'counter:n']), code('WrongType'))
    assert.throws(() => db.setMany([['', 'v']]), code('InvalidArgument'))

    assert.throws(() => db.setMany('ab'), TypeError)
    assert.throws(() => db.setMany(null), TypeError)
    assert.throws(() => db.setMany([['a']]), TypeError)
    assert.throws(() => db.setMany({ a: 1 }), TypeError)
    assert.throws(() => db.getMany('ab'), TypeError)
    assert.throws(() => db.getMany([1]), TypeError)
  })

  test(`${backend}: WrongType between kinds, bad keys and values`, (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    db.counter('c').increment(3)
    assert.throws(() => db.get('counter:c'), code('WrongType'))
    assert.throws(() => db.set('counter:c', 'x'), code('WrongType'))
    assert.equal(db.counter('c').get(), 3, 'the failed set changed nothing')
    db.set('s', 'text')
    assert.equal(db.kindOf('counter:c'), 'counter')
    assert.equal(db.exists('counter:c'), true)
    assert.equal(db.delete('counter:c'), true, 'delete works on any kind')

    assert.throws(() => db.get(''), code('InvalidArgument'))
    assert.throws(() => db.set('k'.repeat(1025), 'v'), code('InvalidArgument'))
    assert.throws(() => db.set('x', Buffer.alloc(16 * 1024 * 1024 + 1)), code('InvalidArgument'))
    for (const bad of [undefined, null, 1, {}, [], true, 1n]) {
      assert.throws(() => db.get(bad), code('InvalidArgument', TypeError))
      assert.throws(() => db.set('k', bad), TypeError)
      assert.throws(() => db.delete(bad), TypeError)
      assert.throws(() => db.exists(bad), TypeError)
    }
  })

  test(`${backend}: conditional writes: setIfAbsent, setIfPresent, compareAndSet, getSet, getDelete`, async (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    assert.equal(db.setIfAbsent('k', 'first'), true)
    assert.equal(db.setIfAbsent('k', 'second'), false)
    assert.equal(db.get('k').toString(), 'first')
    assert.equal(db.setIfAbsent(Buffer.from('b'), new Uint8Array([1, 2]), { ttl: 60 }), true)
    assert.ok(db.ttl('b') > 0)
    db.set('gone', 'x', { ttl: 0.05 })
    await sleep(100)
    assert.equal(db.setIfAbsent('gone', 'again'), true, 'an expired key is absent')

    assert.equal(db.setIfPresent('absent', 'v'), false)
    assert.equal(db.exists('absent'), false)
    db.set('p', 'old', 30)
    assert.equal(db.setIfPresent('p', 'new'), true)
    assert.equal(db.get('p').toString(), 'new')
    assert.equal(db.ttl('p'), null, 'the new value has the given ttl: none')
    assert.equal(db.setIfPresent('p', 'newer', 10), true)
    assert.ok(db.ttl('p') > 0)

    assert.equal(db.compareAndSet('c', 'x', 'v'), false, 'absent is not "x"')
    assert.equal(db.compareAndSet('c', null, 'v1'), true, 'null: only if absent')
    assert.equal(db.compareAndSet('c', null, 'v2'), false)
    assert.equal(db.compareAndSet('c', 'wrong', 'v2'), false)
    assert.equal(db.compareAndSet('c', Buffer.from('v1'), 'v2', { ttl: 60 }), true)
    assert.equal(db.get('c').toString(), 'v2')
    db.set('e', '')
    assert.equal(db.compareAndSet('e', null, 'x'), false, 'empty is present')
    assert.equal(db.compareAndSet('e', '', 'x'), true)

    assert.equal(db.getSet('g', 'one'), null)
    assert.deepEqual(db.getSet('g', 'two'), Buffer.from('one'))
    assert.deepEqual(db.getSet('g', 'three', 60), Buffer.from('two'))
    assert.ok(db.ttl('g') > 0)
    assert.deepEqual(db.getDelete('g'), Buffer.from('three'))
    assert.equal(db.exists('g'), false)
    assert.equal(db.getDelete('g'), null)

    db.counter('n').increment(3)
    for (const call of [
      () => db.setIfAbsent('counter:n', 'x'),
      () => db.setIfPresent('counter:n', 'x'),
      () => db.compareAndSet('counter:n', null, 'x'),
      () => db.getSet('counter:n', 'x'),
      () => db.getDelete('counter:n'),
    ]) {
      assert.throws(call, code('WrongType'))
    }
    assert.equal(db.counter('n').get(), 3)
    assert.throws(() => db.setIfAbsent('', 'v'), code('InvalidArgument'))
    assert.throws(() => db.setIfAbsent('k2', 'v', 0), code('InvalidArgument'))
    assert.throws(() => db.compareAndSet('k2', undefined, 'v'), TypeError)
    assert.throws(() => db.compareAndSet('k2', 5, 'v'), TypeError)
    assert.equal(db.exists('k2'), false)
  })

  test(`${backend}: namespaces prefix keys and nest`, (t) => {
    const db = openDb(t)
    t.after(() => db.close())
    const a = db.namespace('tenant-a')
    const b = db.namespace('tenant-b')
    const ab = a.namespace('inner')
    assert.equal(a.prefix, 'tenant-a:')
    assert.equal(ab.prefix, 'tenant-a:inner:')
    assert.equal(db.prefix, '')
    a.set('k', 'A')
    b.set('k', 'B')
    ab.set('k', 'AB')
    assert.equal(a.get('k').toString(), 'A')
    assert.equal(b.get('k').toString(), 'B')
    assert.equal(db.get('tenant-a:k').toString(), 'A')
    assert.equal(db.get('tenant-a:inner:k').toString(), 'AB')
    assert.deepEqual([...a.keys()], ['inner:k', 'k'])
    a.counter('v').increment(2)
    assert.equal(db.counter('tenant-a:v').get(), 0)
    assert.throws(() => db.get('tenant-a:counter:v'), code('WrongType'))
    assert.equal(a.counter('v').get(), 2)
    assert.throws(() => db.namespace(''), code('InvalidArgument'))
    assert.throws(() => db.namespace(3), TypeError)
  })
}
