'use strict'
// The quickstart against the Redis engine (`redis://`), when GROVE_TEST_REDIS names a server:
// the test command starts one and sets it. Each test uses its own store on the server
// (`?store=`), so runs never see each other's keys.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const grovekv = require('..')

const url = process.env.GROVE_TEST_REDIS
const skip = url ? false : 'GROVE_TEST_REDIS is not set (scripts/test.sh starts a Redis and sets it)'
const target = () => `${url}?store=node${crypto.randomBytes(8).toString('hex')}`

test('redis: counter, kv with ttl, lock, rate limiter and errors, as on every engine', { skip }, (t) => {
  const where = target()
  const db = grovekv.open(where)
  const other = grovekv.open(where) // another handle: another client of the same store
  t.after(() => { db.close(); other.close() })

  const c = db.counter('visitors')
  for (let i = 0; i < 100; i++) c.increment()
  assert.equal(other.counter('visitors').get(), 100)
  assert.equal(c.decrement(30), 70)

  db.set('greeting', 'hello', 60)
  assert.equal(other.get('greeting').toString(), 'hello')
  const ttl = other.ttl('greeting')
  assert.ok(ttl > 59 && ttl <= 60, `ttl ${ttl}`)
  assert.deepEqual([...db.keys()].map(String), ['counter:visitors', 'greeting'])

  const a = db.lock('deploy', 10)
  const b = other.lock('deploy', 10)
  assert.equal(a.tryAcquire(), true)
  assert.equal(b.tryAcquire(), false, 'one owner across clients')
  assert.equal(b.release(), false)
  assert.equal(a.release(), true)
  assert.equal(b.tryAcquire(), true)
  assert.ok(b.fencingToken > a.fencingToken, 'fencing tokens increase across clients')
  b.release()

  const rl = db.rateLimiter('api', { limit: 5, window: 60 })
  const rl2 = other.rateLimiter('api', { limit: 5, window: 60 })
  const admitted = [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => (i % 2 ? rl : rl2).allow('user').allowed).length
  assert.equal(admitted, 5, 'the limit holds summed over clients')

  assert.throws(() => db.get('counter:visitors'), (e) => e.code === 'WrongType')
  assert.throws(() => db.counter('x').increment(2 ** 53), (e) => e instanceof RangeError || e.code === 'InvalidArgument')
})

test('redis: an unreachable server is an Io error naming the address', { skip }, () => {
  assert.throws(() => grovekv.open('redis://127.0.0.1:1'), (e) => e.code === 'Io' && /127\.0\.0\.1:1/.test(e.message))
})
