'use strict'
// Compression and encryption at rest: round trips through a reopen, the 'Encryption' code, the
// data files without the plaintext, option checks.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const grovekv = require('..')
const P = require('../promises')
const { code, tempDir } = require('./helpers')

const key = Buffer.alloc(32, 1)
const other = new Uint8Array(32).fill(0xa0)

/** Whether a file directly in `dir` holds `marker`. */
function dirContains(dir, marker) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .some((e) => fs.readFileSync(path.join(dir, e.name)).includes(marker))
}

test('encryptionKey: values, sessions and jobs round-trip; no key or another key is Encryption', (t) => {
  const dir = path.join(tempDir(t), 'sealed')
  const target = `lmdb:${dir}`
  let db = grovekv.open(target, { encryptionKey: key })
  db.set('kv', 'MARKER-node-kv-9c4')
  const sid = db.sessions({ ttl: 60 }).create({ note: 'MARKER-node-session-9c4' })
  db.queue('jobs').enqueue('MARKER-node-job-9c4')
  db.close()
  assert.equal(dirContains(dir, 'MARKER-node-'), false, 'plaintext in the data files')

  db = grovekv.open(target, { encryptionKey: new Uint8Array(key) })
  assert.equal(db.get('kv').toString(), 'MARKER-node-kv-9c4')
  assert.deepEqual(db.sessions({ ttl: 60 }).get(sid), { note: 'MARKER-node-session-9c4' })
  assert.equal(db.queue('jobs').dequeue().payload.toString(), 'MARKER-node-job-9c4')
  db.close()

  for (const opts of [undefined, { encryptionKey: other }]) {
    db = grovekv.open(target, opts)
    assert.throws(() => db.get('kv'), code('Encryption'))
    db.close()
  }
  db = grovekv.open(target, { encryptionKey: other, oldEncryptionKeys: [key] })
  assert.equal(db.get('kv').toString(), 'MARKER-node-kv-9c4')
  db.close()

  // The same write without a key is in the files, so the check above can fail.
  const plain = path.join(tempDir(t), 'plain')
  db = grovekv.open(`lmdb:${plain}`)
  db.set('kv', 'MARKER-node-kv-9c4')
  db.close()
  assert.equal(dirContains(plain, 'MARKER-node-kv-9c4'), true)
})

test('encryptionKey on memory; bad keys and options', (t) => {
  const db = grovekv.openMemory({ encryptionKey: key })
  db.set('k', 'v')
  assert.equal(db.get('k').toString(), 'v')
  db.close()
  const target = `lmdb:${path.join(tempDir(t), 'bad')}`
  for (const bad of [key.subarray(0, 31), Buffer.alloc(0), Buffer.alloc(33)]) {
    assert.throws(() => grovekv.openMemory({ encryptionKey: bad }), code('InvalidArgument'))
    assert.throws(() => grovekv.open(target, { encryptionKey: bad }), code('InvalidArgument'))
  }
  assert.throws(() => grovekv.openMemory({ oldEncryptionKeys: [key] }), code('InvalidArgument'))
  assert.throws(() => grovekv.openMemory({ encryptionKey: 'a'.repeat(32) }), code('InvalidArgument', TypeError))
  assert.throws(() => grovekv.openMemory({ encryptionKey: key, oldEncryptionKeys: other }), code('InvalidArgument', TypeError))
  assert.throws(() => grovekv.openMemory({ compress: 1 }), code('InvalidArgument', TypeError))
  assert.throws(() => grovekv.openMemory({ compress: true, compressMinBytes: -1 }), code('InvalidArgument', RangeError))
  assert.throws(() => grovekv.openMemory({ compress: true, compressMinBytes: 1.5 }), code('InvalidArgument', RangeError))
})

test('compress: a 10 KB value round-trips and reads back after reopening without compression', (t) => {
  const big = Buffer.from('compressible text '.repeat(600).slice(0, 10 * 1024))
  const target = `lmdb:${path.join(tempDir(t), 'z')}`
  let db = grovekv.open(target, { compress: true })
  db.set('big', big)
  assert.deepEqual(db.get('big'), big)
  db.close()
  db = grovekv.open(target)
  assert.deepEqual(db.get('big'), big)
  db.close()
  const m = grovekv.openMemory({ compress: true, compressMinBytes: 0, encryptionKey: key })
  m.set('big', big)
  assert.deepEqual(m.get('big'), big)
  m.close()
})

test('promises: the same options, and Encryption as a rejection', async (t) => {
  const target = `lmdb:${path.join(tempDir(t), 'p')}`
  let db = await P.open(target, { compress: true, encryptionKey: key })
  await db.set('kv', 'sealed')
  assert.equal((await db.get('kv')).toString(), 'sealed')
  await db.close()
  db = await P.open(target)
  await assert.rejects(db.get('kv'), code('Encryption'))
  await db.close()
  await assert.rejects(P.openMemory({ encryptionKey: key.subarray(0, 8) }), code('InvalidArgument'))
  const m = await P.openMemory({ encryptionKey: key })
  await m.set('k', 'v')
  assert.equal((await m.get('k')).toString(), 'v')
  await m.close()
})
