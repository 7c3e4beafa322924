'use strict'
// Replication across processes and threads: two separate node processes, each with its own
// sled store, exchange exportChanges bytes through files and converge; worker_threads increment
// one CRDT counter on one path and the total is exact.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const grovekv = require('..')
const { tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

// One run of the other replica: opens its own store, optionally writes, applies the bundle in
// `inFile` (if any), writes its changes since `since` to `outFile`, and prints what it holds.
const REPLICA_SRC = `
const fs = require('node:fs')
const grovekv = require(process.env.GROVEKV_PKG)
const job = JSON.parse(process.argv[1])
const db = grovekv.open(job.dir, { nodeId: job.nodeId })
if (job.write) {
  db.crdtCounter('views').increment(job.write.views)
  db.crdtSet('tags').add(job.write.tag)
  db.crdtMap('config').set(job.write.field, job.write.value)
  db.crdtRegister('title').set(job.write.title)
}
const applied = job.inFile ? db.applyChanges(fs.readFileSync(job.inFile)) : null
const { data, cursor } = db.exportChanges({ since: job.since })
fs.writeFileSync(job.outFile, data)
console.log(JSON.stringify({
  applied,
  cursor,
  nodeId: db.nodeId,
  views: db.crdtCounter('views').value(),
  tags: db.crdtSet('tags').members(),
  config: db.crdtMap('config').all(),
  title: db.crdtRegister('title').get(),
}))
db.close()
`

/** Runs one replica step in a separate node process and returns what it printed. */
function replica(job) {
  const r = spawnSync(process.execPath, ['-e', REPLICA_SRC, JSON.stringify(job)], {
    env: { ...process.env, GROVEKV_PKG: PKG },
    encoding: 'utf8',
    timeout: 30000,
  })
  assert.equal(r.status, 0, `replica process failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** What this process's store holds, in the shape the replica prints. */
function holds(db) {
  return {
    views: db.crdtCounter('views').value(),
    tags: db.crdtSet('tags').members(),
    config: db.crdtMap('config').all(),
    title: db.crdtRegister('title').get(),
  }
}

test('two processes, each with its own sled store, exchange exportChanges bytes through files and converge', (t) => {
  const dir = tempDir(t)
  const fileA = path.join(dir, 'a-to-b.bin')
  const fileB = path.join(dir, 'b-to-a.bin')
  const db = grovekv.open(path.join(dir, 'a'), { nodeId: 'proc-a' })
  t.after(() => db.close())

  // Round 1: both sides write; A sends everything, B applies it and sends everything back.
  db.crdtCounter('views').increment(100)
  db.crdtSet('tags').add('a')
  db.crdtMap('config').set('theme', 'dark')
  db.crdtRegister('title').set('from a')
  let sent = db.exportChanges()
  fs.writeFileSync(fileA, sent.data)
  const b1 = replica({
    dir: path.join(dir, 'b'),
    nodeId: 'proc-b',
    write: { views: 250, tag: 'b', field: 'lang', value: 'en', title: 'from b' },
    inFile: fileA,
    since: 0,
    outFile: fileB,
  })
  assert.equal(b1.nodeId, 'proc-b')
  // B's title was written later, so A's older one changes nothing there: 3 keys merged.
  assert.deepEqual(b1.applied, { pulled: 0, pushed: 0, merged: 3 })
  assert.deepEqual(db.applyChanges(fs.readFileSync(fileB)), { pulled: 0, pushed: 0, merged: 4 })
  const { applied, cursor, nodeId, ...theirs } = b1
  assert.deepEqual(holds(db), theirs, 'both replicas hold the same values')
  assert.deepEqual(theirs.views, 350)
  assert.deepEqual(theirs.tags, ['a', 'b'])
  assert.deepEqual(theirs.config, { lang: 'en', theme: 'dark' })
  assert.equal(theirs.title, 'from b', 'last writer wins')

  // Round 2, incremental: A changes one key and sends only what changed since its cursor.
  db.crdtMap('config').delete('theme')
  db.crdtCounter('views').decrement(50)
  sent = db.exportChanges({ since: sent.cursor })
  fs.writeFileSync(fileA, sent.data)
  const b2 = replica({ dir: path.join(dir, 'b'), nodeId: 'proc-b', inFile: fileA, since: b1.cursor, outFile: fileB })
  assert.deepEqual(b2.applied, { pulled: 0, pushed: 0, merged: 2 })
  assert.equal(b2.views, 300)
  assert.deepEqual(b2.config, { lang: 'en' }, 'the delete reached B')
  // B's changes since its cursor are the two merges; A already has them: nothing changes.
  assert.deepEqual(db.applyChanges(fs.readFileSync(fileB)), { pulled: 0, pushed: 0, merged: 0 })
  const { applied: _a, cursor: _c, nodeId: _n, ...theirs2 } = b2
  assert.deepEqual(holds(db), theirs2)
})

const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads')
const grovekv = require(workerData.pkg)
const db = grovekv.open(workerData.dir)
const c = db.crdtCounter('crdt:shared')
for (let i = 0; i < workerData.n; i++) {
  if (i % 4 === 3) c.add(-1)
  else c.increment()
}
db.close()
parentPort.postMessage('done')
`

test('worker_threads: 4 workers x 1,000 operations on one CRDT counter on one sled path: exact', async (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  t.after(() => db.close())
  const W = 4
  const N = 1000
  await Promise.all(
    Array.from(
      { length: W },
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(WORKER_SRC, { eval: true, workerData: { pkg: PKG, dir, n: N } })
          w.on('error', reject)
          w.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`worker exited ${c}`))))
        }),
    ),
  )
  const c = db.crdtCounter('crdt:shared')
  assert.deepEqual(c.totals(), { positive: W * N * 0.75, negative: W * N * 0.25 })
  assert.equal(c.value(), W * N * 0.5)
  assert.deepEqual(Object.keys(c.contributions()), [db.nodeId], 'one engine, one node id')
})
