'use strict'
// Opening, options, node ids, close semantics, process locking, panics and module formats.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFileSync, spawnSync } = require('node:child_process')
const { pathToFileURL } = require('node:url')
const grovekv = require('..')
const { blackHole, code, tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

test('open: path, nodeId generated and persisted, durability options', (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  assert.equal(db.path, require('node:fs').realpathSync(dir))
  assert.match(db.nodeId, /^[0-9a-f]{16}$/)
  assert.equal(db.durable, false)
  assert.equal(db.closed, false)
  const id = db.nodeId
  db.set('k', 'v')
  db.flush()
  assert.ok(db.sizeOnDisk() > 0)
  db.close()
  assert.equal(db.closed, true)

  const again = grovekv.open(dir, { durable: true })
  assert.equal(again.nodeId, id, 'node id survives reopen')
  assert.equal(again.durable, true)
  assert.equal(again.get('k').toString(), 'v', 'data survives reopen')
  again.set('k2', 'v2')
  again.close()

  const named = grovekv.open(pathToFileURL(dir), { nodeId: 'replica-1', flushEveryMs: 20 })
  assert.equal(named.nodeId, 'replica-1')
  assert.equal(named.get('k2').toString(), 'v2')
  named.close()
})

test('openMemory: options and independence', () => {
  const a = grovekv.openMemory({ nodeId: 'mem-a' })
  const b = grovekv.openMemory()
  assert.equal(a.nodeId, 'mem-a')
  assert.equal(a.path, null)
  assert.equal(a.sizeOnDisk(), 0)
  a.set('k', 'v')
  assert.equal(b.get('k'), null, 'each openMemory is a fresh store')
  a.close()
  b.close()
  assert.throws(() => grovekv.openMemory({ nodeId: 'bad id!' }), code('InvalidArgument'))
  assert.throws(() => grovekv.openMemory({ nodeId: 'x'.repeat(65) }), code('InvalidArgument'))
})

test('bad open arguments: TypeError for types, InvalidArgument for values', (t) => {
  const dir = tempDir(t)
  assert.throws(() => grovekv.open(), TypeError)
  assert.throws(() => grovekv.open(5), TypeError)
  assert.throws(() => grovekv.open(dir, 'opts'), TypeError)
  assert.throws(() => grovekv.open(dir, { nodeID: 'x' }), TypeError)
  assert.throws(() => grovekv.open(dir, { durable: 'yes' }), TypeError)
  assert.throws(() => grovekv.open(dir, { flushEveryMs: '10' }), TypeError)
  assert.throws(() => grovekv.open(dir, { nodeId: 5 }), TypeError)
  assert.throws(() => grovekv.openMemory({ path: dir }), TypeError)
  assert.throws(() => grovekv.open(''), code('InvalidArgument'))
  for (const ms of [0, -5, 1.5, NaN]) {
    assert.throws(() => grovekv.open(dir, { flushEveryMs: ms }), code('InvalidArgument'), `flushEveryMs ${ms}`)
  }
  assert.throws(() => grovekv.open(dir, { nodeId: 'no spaces' }), code('InvalidArgument'))
  assert.throws(() => new grovekv.Store(), TypeError)
})

test('connectTimeoutMs: checked by the core; an unreachable server is Io naming its address', async (t) => {
  const dir = path.join(tempDir(t), 'sled')
  for (const target of [dir, `sled:${dir}`, `lmdb:${dir}`, 'memory:']) {
    assert.throws(() => grovekv.open(target, { connectTimeoutMs: 1000 }), (e) => code('InvalidArgument')(e) && /connect_timeout/.test(e.message), target)
  }
  assert.equal(require('node:fs').existsSync(dir), false, 'a refused open created nothing')
  assert.throws(() => grovekv.openMemory({ connectTimeoutMs: 1000 }), TypeError)
  assert.throws(() => grovekv.open('redis://127.0.0.1:1', { connectTimeoutMs: '1000' }), TypeError)
  for (const ms of [0, -1, -Infinity]) {
    assert.throws(() => grovekv.open('redis://127.0.0.1:1', { connectTimeoutMs: ms }), (e) => code('InvalidArgument')(e) && /connect_timeout/.test(e.message), `connectTimeoutMs ${ms}`)
  }
  for (const ms of [NaN, Infinity, Number.MAX_VALUE]) {
    assert.throws(() => grovekv.open('redis://127.0.0.1:1', { connectTimeoutMs: ms }), code('InvalidArgument'), `connectTimeoutMs ${ms}`)
  }
  // Connection refused: Io at once, naming the address (a fraction of a millisecond is fine).
  for (const ms of [2000, 0.001]) {
    assert.throws(() => grovekv.open('redis://127.0.0.1:1', { connectTimeoutMs: ms }), (e) => code('Io')(e) && e.message.includes('127.0.0.1:1'))
  }
  // A non-routable address: Io naming it within the 200 ms timeout (3 s is a correctness bound;
  // the default timeout is 5 s).
  let t0 = performance.now()
  assert.throws(() => grovekv.open('redis://10.255.255.1:6379', { connectTimeoutMs: 200 }), (e) => code('Io')(e) && e.message.includes('10.255.255.1:6379'))
  assert.ok(performance.now() - t0 < 3000, `took ${performance.now() - t0} ms`)
  // A server that never completes the handshake: Io after the 200 ms given.
  const hole = await blackHole()
  t.after(() => hole.close())
  t0 = performance.now()
  assert.throws(() => grovekv.open(`redis://${hole.addr}`, { connectTimeoutMs: 200 }), (e) => code('Io')(e) && e.message.includes(hole.addr))
  const took = performance.now() - t0
  assert.ok(took >= 150 && took < 3000, `took ${took} ms`)

  const url = process.env.GROVE_TEST_REDIS
  if (url) grovekv.open(url, { connectTimeoutMs: 2000 }).close()
})

test('replyTimeoutMs: checked by the core; a server that stopped answering fails a call as Io after it', async (t) => {
  for (const target of [tempDir(t), `lmdb:${tempDir(t)}`, 'memory:']) {
    assert.throws(() => grovekv.open(target, { replyTimeoutMs: 1000 }), (e) => code('InvalidArgument')(e) && /reply_timeout/.test(e.message), target)
  }
  assert.throws(() => grovekv.open('redis://127.0.0.1:1', { replyTimeoutMs: '1000' }), TypeError)
  if (!process.env.GROVE_TEST_REDIS) {
    t.skip('GROVE_TEST_REDIS is not set: no redis-server to stop')
    return
  }
  const net = require('node:net')
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port
      srv.close(() => resolve(p))
    })
  })
  const { spawn } = require('node:child_process')
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tempDir(t)], { stdio: 'ignore' })
  t.after(() => { server.kill('SIGCONT'); server.kill('SIGKILL') })
  const url = `redis://127.0.0.1:${port}`
  for (let start = Date.now(); ; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true) })
      c.on('error', () => resolve(false))
    })
    if (up) break
    assert.ok(Date.now() - start < 10000, 'redis-server did not start')
  }
  assert.throws(() => grovekv.open(url, { replyTimeoutMs: 0 }), (e) => code('InvalidArgument')(e) && /reply_timeout/.test(e.message))
  const db = grovekv.open(url, { replyTimeoutMs: 300 })
  const c = db.counter('hits')
  assert.equal(c.increment(), 1)
  server.kill('SIGSTOP')
  const t0 = performance.now()
  assert.throws(() => c.increment(), (e) => code('Io')(e) && /no reply within the reply timeout/.test(e.message))
  assert.ok(performance.now() - t0 < 3000, `took ${performance.now() - t0} ms`)
  server.kill('SIGCONT')
  assert.ok([2, 3].includes(c.increment())) // the write that timed out may have applied
  db.close()
})

test('the same path twice in one process shares one engine', (t) => {
  const dir = tempDir(t)
  const a = grovekv.open(dir)
  const b = grovekv.open(dir)
  assert.equal(a.nodeId, b.nodeId)
  a.counter('n').increment(2)
  assert.equal(b.counter('n').increment(), 3)
  assert.throws(() => grovekv.open(dir, { nodeId: 'another-id' }), code('InvalidArgument'))
  a.close()
  assert.equal(b.get('missing'), null, 'closing one handle leaves the other open')
  assert.equal(b.counter('n').get(), 3)
  b.close()
})

test('close closes the handle and everything made from it', (t) => {
  const db = grovekv.open(tempDir(t))
  const view = db.namespace('t')
  const nested = view.namespace('u')
  const c = db.counter('c')
  const vc = view.counter('c', { bigint: true })
  db.set('a', '1')
  db.set('b', '2')
  const it = db.keys()
  assert.equal(it.next().value, 'a')
  db.close()
  db.close() // twice is fine
  for (const s of [db, view, nested]) {
    assert.equal(s.closed, true)
    assert.throws(() => s.get('a'), code('Closed'))
    assert.throws(() => s.set('a', 'x'), code('Closed'))
    assert.throws(() => s.delete('a'), code('Closed'))
    assert.throws(() => s.exists('a'), code('Closed'))
    assert.throws(() => s.kindOf('a'), code('Closed'))
    assert.throws(() => s.expire('a', 1), code('Closed'))
    assert.throws(() => s.persist('a'), code('Closed'))
    assert.throws(() => s.ttl('a'), code('Closed'))
    assert.throws(() => s.keys(), code('Closed'))
    assert.throws(() => s.getMany(['a']), code('Closed'))
    assert.throws(() => s.setMany({ a: 'x' }), code('Closed'))
    assert.throws(() => s.purgeExpired(), code('Closed'))
    assert.throws(() => s.flush(), code('Closed'))
    assert.throws(() => s.sizeOnDisk(), code('Closed'))
    assert.throws(() => s.namespace('x'), code('Closed'))
    assert.throws(() => s.counter('x'), code('Closed'))
    s.close()
  }
  for (const k of [c, vc]) {
    assert.throws(() => k.increment(), code('Closed'))
    assert.throws(() => k.decrement(), code('Closed'))
    assert.throws(() => k.get(), code('Closed'))
    assert.throws(() => k.set(1), code('Closed'))
    assert.throws(() => k.reset(), code('Closed'))
  }
  // an iterator made before close: the buffered key, then Closed (or the end)
  assert.throws(() => {
    for (const _ of it);
  }, code('Closed'))
  const mem = grovekv.openMemory()
  const mc = mem.counter('x')
  mem.close()
  assert.throws(() => mc.increment(), code('Closed'))
})

test('Symbol.dispose closes the store', { skip: typeof Symbol.dispose !== 'symbol' }, () => {
  const db = grovekv.openMemory()
  db[Symbol.dispose]()
  assert.equal(db.closed, true)
})

test('another process opening a held path gets StoreLocked naming the path', (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  t.after(() => db.close())
  const script = `
    const grovekv = require(${JSON.stringify(PKG)})
    try { grovekv.open(${JSON.stringify(dir)}); console.log(JSON.stringify({ ok: true })) }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, isError: e instanceof Error })) }`
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))
  assert.equal(out.code, 'StoreLocked')
  assert.equal(out.isError, true)
  assert.ok(out.message.includes(require('node:fs').realpathSync(dir)), out.message)
  db.close()
  // released: now the other process can open it
  const out2 = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))
  assert.deepEqual(out2, { ok: true })
})

test('a Rust panic becomes an Internal error and node keeps running', () => {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `const g = require(${JSON.stringify(PKG)})
       try { g._panicForTest() } catch (e) { console.log(e.code + ' ' + (e instanceof Error)) }
       const db = g.openMemory(); console.log(db.counter('c').increment())`,
    ],
    { encoding: 'utf8', env: { ...process.env, RUST_BACKTRACE: '0' } },
  )
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, 'Internal true\n1\n')
})

test('ES module import works (named and default exports)', () => {
  const url = pathToFileURL(path.join(PKG, 'index.mjs')).href
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import grovekv, { open, openMemory, errorCodes, Store, Counter, Lock, RateLimiter, Sessions } from ${JSON.stringify(url)}
       const db = openMemory()
       console.log(db.counter('v').increment(), typeof open, grovekv.openMemory === openMemory,
         db instanceof Store, db.counter('v') instanceof Counter, errorCodes.length,
         db.lock('l') instanceof Lock, db.rateLimiter('r', { limit: 1, window: 1 }) instanceof RateLimiter,
         db.sessions() instanceof Sessions)`,
    ],
    { encoding: 'utf8' },
  )
  assert.equal(out.trim(), '1 function true true true 12 true true true')
})

test('package exports: require and import by name resolve to the same API', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module'
       const require = createRequire(${JSON.stringify(path.join(PKG, 'x.js'))})
       const cjs = require('grovekv')
       const esm = await import('grovekv')
       console.log(cjs.open === esm.open, typeof esm.default.openMemory)`,
    ],
    { encoding: 'utf8', cwd: PKG },
  )
  assert.equal(out.trim(), 'true function')
})

test('errorCodes lists every Grove kind', () => {
  assert.deepEqual(grovekv.errorCodes, [
    'NotFound', 'WrongType', 'InvalidArgument', 'Overflow', 'Closed', 'StoreLocked',
    'LockTimeout', 'ClockDrift', 'Corrupt', 'Io', 'Internal', 'Encryption',
  ])
  assert.equal(typeof grovekv.coreVersion, 'string')
})
