'use strict'
// Metrics: exact counts and errors per operation, percentiles, Prometheus text, sync and promises.
const test = require('node:test')
const assert = require('node:assert/strict')
const grovekv = require('..')
const { tempDir } = require('./helpers')

for (const engine of ['memory', 'sled', 'lmdb']) {
  test(`metrics count exactly (${engine})`, (t) => {
    const target = engine === 'memory' ? 'memory:' : `${engine}:${tempDir(t)}`
    const db = grovekv.open(target)
    assert.deepEqual(db.metrics(), {})
    const c = db.counter('hits')
    for (let i = 0; i < 30; i++) c.increment()
    for (let i = 0; i < 4; i++) c.decrement()
    db.set('counter:text', 'x')
    assert.throws(() => db.counter('text').increment(), { code: 'WrongType' })
    const view = db.namespace('tenant')
    for (let i = 0; i < 5; i++) assert.equal(view.get('absent'), null)
    const m = db.metrics()
    assert.deepEqual(m, view.metrics())
    const counts = Object.fromEntries(Object.entries(m).map(([k, o]) => [k, [o.count, o.errors]]))
    assert.deepEqual(counts, {
      'counter.increment': [31, 1],
      'counter.decrement': [4, 0],
      'kv.set': [1, 0],
      'kv.get': [5, 0],
    })
    for (const [op, o] of Object.entries(m)) {
      assert.ok(o.p50Us > 0 && o.p50Us <= o.p99Us, `${op}: ${o.p50Us} ${o.p99Us}`)
      assert.deepEqual(Object.keys(o), ['count', 'errors', 'p50Us', 'p99Us'])
    }
    const text = db.metricsPrometheus()
    assert.ok(text.includes('grove_ops_total{op="counter.increment"} 31\n'), text)
    assert.ok(text.includes('grove_op_errors_total{op="counter.increment"} 1\n'), text)
    assert.ok(text.includes('# TYPE grove_op_duration_seconds histogram\n'), text)
    db.close()
    assert.throws(() => db.metrics(), { code: 'Closed' })
    assert.throws(() => view.metricsPrometheus(), { code: 'Closed' })
  })
}

test('metrics through grovekv/promises', async () => {
  const db = await grovekv.promises.openMemory()
  const c = db.counter('hits')
  for (let i = 0; i < 7; i++) await c.increment()
  await assert.rejects(db.get('counter:hits'), { code: 'WrongType' })
  const m = await db.metrics()
  assert.deepEqual([m['counter.increment'].count, m['counter.increment'].errors], [7, 0])
  assert.deepEqual([m['kv.get'].count, m['kv.get'].errors], [1, 1])
  assert.ok((await db.metricsPrometheus()).includes('grove_ops_total{op="kv.get"} 1\n'))
  await db.close()
  await assert.rejects(db.metrics(), { code: 'Closed' })
})
