'use strict'
// Multilang worker (Node door): node worker.js <target> <K> <start-file> <acked-log>
const fs = require('node:fs')
const path = require('node:path')
const grovekv = require(path.join(__dirname, '..', '..', 'bindings', 'node'))

const WORKERS = 4

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function main() {
  const [target, kArg, start, log] = process.argv.slice(2)
  const k = Number(kArg)
  const db = grovekv.open(target)
  try {
    const counter = db.counter('ml')
    const board = db.leaderboard('ml')
    const q = db.queue('ml', { visibilityTimeout: 120, maxAttempts: 5 })
    const done = db.counter('ml-producers-done')
    fs.writeFileSync(log + '.ready', '')
    const deadline = Date.now() + 30000
    while (!fs.existsSync(start)) {
      if (Date.now() > deadline) throw new Error(`node worker: ${start} never appeared`)
      sleep(2)
    }
    for (let i = 0; i < k; i++) {
      counter.increment()
      board.incr('shared', 1)
      q.enqueue(`node-${i}`)
    }
    done.increment()
    const lines = []
    for (;;) {
      const finished = done.get() === WORKERS // read before dequeue: see the C worker
      const job = q.dequeue()
      if (job === null) {
        if (finished) break
        sleep(1)
        continue
      }
      const acked = q.ack(job.id)
      lines.push(`${job.id} ${Buffer.from(job.payload).toString()} ${job.attempts} ${acked ? 1 : 0}\n`)
    }
    fs.writeFileSync(log, lines.join(''))
  } finally {
    db.close()
  }
}

main()
