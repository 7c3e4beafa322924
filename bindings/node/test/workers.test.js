'use strict'
// worker_threads: several workers open the same store path (one engine per process) and
// increment one counter; the total is exact.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const grovekv = require('..')
const { tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads')
const grovekv = require(workerData.pkg)
const db = grovekv.open(workerData.dir)
const c = db.counter('shared')
const seen = []
for (let i = 0; i < workerData.n; i++) seen.push(c.increment())
db.set('worker:' + workerData.id, String(workerData.n))
db.close()
parentPort.postMessage({ id: workerData.id, first: seen[0], last: seen[seen.length - 1], increasing: seen.every((v, i) => i === 0 || v > seen[i - 1]) })
`

/** Runs one worker to completion and returns its message. */
function runWorker(workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SRC, { eval: true, workerData })
    let msg
    w.on('message', (m) => (msg = m))
    w.on('error', reject)
    w.on('exit', (code) => (code === 0 ? resolve(msg) : reject(new Error(`worker exited ${code}`))))
  })
}

test('8 workers x 5,000 increments on one sled path: exact total', async (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir) // the main thread holds the store too
  t.after(() => db.close())
  const W = 8
  const N = 5000
  const results = await Promise.all(
    Array.from({ length: W }, (_, id) => runWorker({ pkg: PKG, dir, id, n: N })),
  )
  for (const r of results) assert.equal(r.increasing, true, `worker ${r.id} saw its values rise`)
  assert.equal(db.counter('shared').get(), W * N)
  assert.deepEqual([...db.keys('worker:')].length, W)
})

test('workers without a main-thread handle: the last close releases the directory', async (t) => {
  const dir = tempDir(t)
  const W = 4
  const N = 2000
  await Promise.all(Array.from({ length: W }, (_, id) => runWorker({ pkg: PKG, dir, id, n: N })))
  const db = grovekv.open(dir)
  t.after(() => db.close())
  assert.equal(db.counter('shared').get(), W * N)
})

const BUYER_SRC = `
const { parentPort, workerData } = require('node:worker_threads')
const grovekv = require(workerData.pkg)
const db = grovekv.open(workerData.dir)
const stock = db.counter('stock')
let sold = 0
for (let i = 0; i < workerData.n; i++) if (stock.tryDecrement() !== null) sold++
db.close()
parentPort.postMessage(sold)
`

test('8 worker threads buying 100 times each from a stock of 500 sell exactly 500', async (t) => {
  const dir = tempDir(t)
  const db = grovekv.open(dir)
  t.after(() => db.close())
  db.counter('stock').set(500)
  const buy = () =>
    new Promise((resolve, reject) => {
      const w = new Worker(BUYER_SRC, { eval: true, workerData: { pkg: PKG, dir, n: 100 } })
      let sold
      w.on('message', (m) => (sold = m))
      w.on('error', reject)
      w.on('exit', (code) => (code === 0 ? resolve(sold) : reject(new Error(`worker exited ${code}`))))
    })
  const sold = await Promise.all(Array.from({ length: 8 }, buy))
  assert.equal(sold.reduce((a, b) => a + b, 0), 500)
  assert.equal(db.counter('stock').get(), 0)
})
