'use strict'
// The shared table of bad inputs (tests/bad_input/rules.tsv), run through the Node door. Each
// row names an operation, its arguments and the error kind the core gives (err.code here); this
// file only turns a row into a call. A new argument rule is a row in the table, not a test here.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const grovekv = require('..')
const { tempDir } = require('./helpers')

const TABLE = path.join(__dirname, '..', '..', '..', 'tests', 'bad_input', 'rules.tsv')

const rows = fs
  .readFileSync(TABLE, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => {
    const f = line.split('\t')
    return { op: f[0], args: f.slice(1, -1), kind: f[f.length - 1], line }
  })

function text(token, dir) {
  if (token === '{empty}') return ''
  if (token === '{sled}') return path.join(dir, 'store')
  if (token === '{lmdb}') return 'lmdb:' + path.join(dir, 'store')
  const m = /^\{x\*(\d+)\}$/.exec(token)
  return m ? 'x'.repeat(Number(m[1])) : token
}

// Rows this door's types cannot carry, by op, with the reason.
const SKIPS = { crdt_json: "Node's CRDTs take JSON values, not JSON text" }

const secs = (token) => (token === '-' ? undefined : Number(token))

function open(target, options, dir) {
  const o = {}
  for (const opt of options) {
    const at = opt.indexOf('=')
    const name = opt.slice(0, at)
    const value = opt.slice(at + 1)
    if (name === 'flush_ms') o.flushEveryMs = Number(value)
    else if (name === 'durable') o.durable = value === '1'
    else if (name === 'node_id') o.nodeId = text(value, dir)
    else if (name === 'connect_timeout_ms') o.connectTimeoutMs = Number(value)
    else if (name === 'key_bytes') o.encryptionKey = Buffer.alloc(Number(value), 1)
    else if (name === 'old_key_bytes') o.oldEncryptionKeys = [Buffer.alloc(Number(value), 2)]
    else throw new Error(`unknown open option ${opt} in ${TABLE}`)
  }
  grovekv.open(text(target, dir), o).close()
}

function onStore(db, op, a, dir) {
  const name = text(a[0], dir)
  switch (op) {
    case 'set':
      return db.set(name, text(a[1], dir), secs(a[2]))
    case 'counter':
      return db.counter(name).get()
    case 'lock':
      return db.lock(name, { ttl: Number(a[1]) }).tryAcquire()
    case 'leaderboard':
      return db.leaderboard(name).size
    case 'queue':
      return db.queue(name, { visibilityTimeout: Number(a[1]), maxAttempts: Number(a[2]) }).stats()
    case 'rate_limiter':
      return db.rateLimiter(name, { limit: Number(a[1]), window: Number(a[2]) }).peek('u')
    case 'sessions':
      return db.sessions({ ttl: Number(a[0]) }).create({})
    case 'crdt': {
      const key = text(a[1], dir)
      if (a[0] === 'counter') return db.crdtCounter(key).value()
      if (a[0] === 'register') return db.crdtRegister(key).get()
      if (a[0] === 'set') return db.crdtSet(key).members()
      if (a[0] === 'map') return db.crdtMap(key).keys()
      throw new Error(`unknown CRDT type ${a[0]} in ${TABLE}`)
    }
    case 'leaderboard_add':
      return db.leaderboard('b').add(name, Number(a[1]))
    case 'leaderboard_incr':
      return db.leaderboard('b').incr(name, Number(a[1]))
    case 'allow':
      return db.rateLimiter('api', { limit: Number(a[0]), window: 60 }).allow('u', Number(a[1]))
    case 'enqueue':
      return db.queue('jobs').enqueue('job', { delay: Number(a[0]) })
    case 'nack':
      return db.queue('jobs').nack(1, { delay: Number(a[0]) })
    case 'expire':
      return db.expire(name, Number(a[1]))
    case 'try_decrement':
      return db.counter('c').tryDecrement(Number(a[0]), 0)
    case 'try_increment':
      return db.counter('c').tryIncrement(Number(a[0]), 100)
    case 'compare_and_set':
      return db.compareAndSet(name, null, 'v')
    default:
      throw new Error(`unknown op ${op} in ${TABLE}`)
  }
}

test('the table is read', () => {
  assert.ok(rows.length > 50, `${rows.length} rows`)
})

const cwd = process.cwd()
for (const { op, args, kind, line } of rows) {
  test(`bad input: ${line.replace(/\t/g, ' ').slice(0, 100)}`, (t) => {
    if (SKIPS[op]) return t.skip(SKIPS[op])
    const dir = tempDir(t)
    process.chdir(dir) // a target wrongly taken for a path lands here
    try {
      const expected = (err) => err instanceof Error && err.code === kind && err.message !== ''
      if (op === 'open') {
        assert.throws(() => open(args[0], args.slice(1), dir), expected)
        assert.ok(!fs.existsSync(path.join(dir, 'store')), 'a refused open left a store behind')
      } else {
        const db = grovekv.openMemory()
        try {
          assert.throws(() => onStore(db, op, args, dir), expected)
          assert.deepEqual([...db.keys()], [], 'a refused call wrote something')
        } finally {
          db.close()
        }
      }
    } finally {
      process.chdir(cwd)
    }
  })
}
