'use strict'
// The Redis engine over TLS (`rediss://`), through the Node door, against the test command's TLS
// server, which also requires AUTH (GROVE_TEST_REDIS_TLS, with its throwaway CA in
// GROVE_TEST_REDIS_TLS_DIR): exact counts, one lock owner and a KV round trip across two
// handles; an untrusted server, a wrong password and TLS to a plain server are code 'Io'.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const grovekv = require('..')

const url = process.env.GROVE_TEST_REDIS_TLS
const certs = process.env.GROVE_TEST_REDIS_TLS_DIR
const skip = url && certs
  ? false
  : 'GROVE_TEST_REDIS_TLS / GROVE_TEST_REDIS_TLS_DIR are not set (scripts/test.sh starts a TLS redis-server and sets them)'
const ca = () => path.join(certs, 'ca.pem')
const INCREMENTS = 100

test('tls: with ?ca= two handles count exactly, share one lock owner and round-trip a value', { skip }, async (t) => {
  const target = `${url}?store=node${crypto.randomBytes(8).toString('hex')}&ca=${ca()}`
  // The second handle also presents the client certificate (the server accepts one).
  const mutual = `${target}&cert=${path.join(certs, 'client.pem')}&key=${path.join(certs, 'client.key')}`
  const a = await grovekv.promises.open(target)
  const b = await grovekv.promises.open(mutual, { connectTimeoutMs: 2000 })
  t.after(async () => { await a.close(); await b.close() })

  // Promises run on libuv's pool: the 200 increments of the two handles really interleave.
  const calls = []
  for (let i = 0; i < INCREMENTS; i++) calls.push(a.counter('hits').increment(), b.counter('hits').increment())
  await Promise.all(calls)
  assert.equal(await a.counter('hits').get(), 2 * INCREMENTS)
  assert.equal(await b.counter('hits').get(), 2 * INCREMENTS)

  const first = a.lock('deploy', 10)
  const second = b.lock('deploy', 10)
  assert.equal(await first.tryAcquire(), true)
  assert.equal(await second.tryAcquire(), false, 'one owner across handles')
  assert.equal(await second.release(), false)
  assert.equal(await first.release(), true)
  assert.equal(await second.tryAcquire(), true)
  assert.ok(second.fencingToken > first.fencingToken, 'fencing tokens increase across handles')
  assert.equal(await second.release(), true)

  await a.set('greeting', 'héllo over TLS')
  assert.equal((await b.get('greeting')).toString(), 'héllo over TLS')
})

test('tls: without ?ca= the server is not trusted: Io naming the certificate', { skip }, () => {
  // The system's CA store does not trust the test command's throwaway CA.
  assert.throws(
    () => grovekv.open(url, { connectTimeoutMs: 2000 }),
    (e) => e.code === 'Io' && /certificate/.test(e.message)
  )
})

test('tls: a wrong password is Io and the message does not carry the password', { skip }, () => {
  const password = url.split('grove:')[1].split('@')[0]
  const wrong = url.replace('grove:', 'grove:wrong')
  assert.throws(
    () => grovekv.open(`${wrong}?ca=${ca()}`, { connectTimeoutMs: 2000 }),
    (e) => e.code === 'Io' && /authentication/i.test(e.message) && !e.message.includes(password)
  )
})

test('tls: rediss:// to a plain server is Io within the connect timeout', { skip }, (t) => {
  const plain = process.env.GROVE_TEST_REDIS
  if (!plain) {
    t.skip('GROVE_TEST_REDIS is not set (scripts/test.sh starts a Redis and sets it)')
    return
  }
  const address = plain.split('://')[1].split('/')[0]
  // A plain server never answers a TLS handshake: the 1 s connect timeout bounds the wait (the
  // 4 s bound is below the 5 s default and leaves room for a slow machine).
  const start = performance.now()
  assert.throws(
    () => grovekv.open(`rediss://${address}?ca=${ca()}`, { connectTimeoutMs: 1000 }),
    (e) => e.code === 'Io' && e.message.includes(address)
  )
  assert.ok(performance.now() - start < 4000, `took ${performance.now() - start} ms`)
})
