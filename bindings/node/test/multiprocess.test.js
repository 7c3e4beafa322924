'use strict'
// Several real OS processes share one store (`lmdb:`, and Redis and a Redis Cluster when
// GROVE_TEST_REDIS and GROVE_TEST_REDIS_CLUSTER name them): children started with
// child_process.fork and with the cluster module (test/multiprocess_worker.js), each opening it
// released together by a 'go' message so their operations interleave; this
// process holds a handle of its own on the store the whole time. Every check is exact:
// counters, lock exclusion and fencing order, the rate limiter's total, queue delivery, leaderboard
// scores and read-after-write through already-open handles, CRDT updates and exportChanges,
// sessions handed from one process to another.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const cluster = require('node:cluster')
const { fork } = require('node:child_process')
const grovekv = require('..')
const { tempDir } = require('./helpers')

const WORKER = path.join(__dirname, 'multiprocess_worker.js')
const TIMEOUT = 60_000

/** A promise with its resolve/reject outside; a rejection nobody awaits is not unhandled. */
function deferred() {
  let resolve, reject
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)))
  promise.catch(() => {})
  return { promise, resolve, reject, settled: false }
}

/** One child process (a child_process.fork child or a cluster worker) speaking the worker protocol. */
class Child {
  constructor(kind, label) {
    this.label = label
    this.stderr = ''
    this.seq = 0
    this.pending = new Map()
    this.ready = deferred()
    this.done = deferred()
    this.exited = deferred()
    if (kind === 'cluster') {
      this.handle = cluster.fork()
      this.proc = this.handle.process
    } else {
      this.handle = fork(WORKER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      this.proc = this.handle
    }
    if (this.proc.stderr) this.proc.stderr.on('data', (d) => (this.stderr += d))
    this.handle.on('message', (m) => this.onMessage(m))
    this.handle.on('error', (e) => this.failAll(e))
    this.handle.on('exit', (code, signal) => {
      this.exitCode = code
      this.failAll(new Error(`${this.label} exited (code ${code}, signal ${signal})${this.tail()}`))
      this.exited.resolve({ code, signal })
    })
  }

  tail() {
    return this.stderr ? `\n--- its stderr ---\n${this.stderr}` : ''
  }

  onMessage(m) {
    if (m.type === 'ready') this.ready.resolve(m.info)
    else if (m.type === 'done') this.done.resolve(m.result)
    else if (m.type === 'reply') {
      const p = this.pending.get(m.seq)
      this.pending.delete(m.seq)
      p.resolve(m.value)
    } else if (m.type === 'error') this.failAll(new Error(`${this.label} failed: ${m.message}`))
  }

  failAll(err) {
    this.ready.reject(err)
    this.done.reject(err)
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  send(msg) {
    this.handle.send(msg)
  }

  /** Runs operation `op` on the handle the child holds open; resolves to its result. */
  call(op, args) {
    const seq = ++this.seq
    const p = deferred()
    this.pending.set(seq, p)
    this.send({ type: 'call', seq, op, args })
    return p.promise
  }

  alive() {
    return this.exitCode === undefined && this.proc.exitCode === null && this.proc.signalCode === null
  }
}

/**
 * Starts one child per spec ({ role, params }) on `dir`, waits until every one has the store
 * open, then sends 'go' to all at once and waits for every result. `kind` is 'fork' or 'cluster'.
 */
async function runGroup(t, dir, specs, kind = 'fork') {
  if (kind === 'cluster') {
    // this test process is the cluster primary; the workers run the worker file
    cluster.setupPrimary({ exec: WORKER, execArgv: [], args: [], silent: true })
  }
  const children = specs.map((s, id) => new Child(kind, `${kind} child ${id} (${s.role})`))
  t.after(() => {
    for (const c of children) if (c.alive()) c.proc.kill('SIGKILL')
  })
  children.forEach((c, id) => c.send({ type: 'init', dir, role: specs[id].role, id, params: specs[id].params }))
  const infos = await Promise.all(children.map((c) => c.ready.promise))
  for (const c of children) c.send({ type: 'go' })
  const results = await Promise.all(children.map((c) => c.done.promise))
  return { children, infos, results }
}

/** Tells every child to close its store and waits for each to exit on its own with code 0. */
async function closeAll(children) {
  for (const c of children) c.send({ type: 'exit' })
  const exits = await Promise.all(
    children.map((c) =>
      Promise.race([
        c.exited.promise,
        new Promise((resolve) => setTimeout(() => resolve({ hung: true }), 20_000).unref()),
      ]),
    ),
  )
  exits.forEach((e, i) => {
    assert.ok(!e.hung, `${children[i].label} did not exit within 20 s of closing its store`)
    assert.deepEqual(e, { code: 0, signal: null }, `${children[i].label} exit${children[i].tail()}`)
  })
}

/** Opens the store in this process too (before any child starts); closed after the test. */
function openHere(t, dir) {
  const db = grovekv.open(dir)
  t.after(() => db.close())
  return db
}

const range = (n, from = 0) => Array.from({ length: n }, (_, i) => from + i)

/** Asserts every increment result is distinct and together they are exactly 1..total. */
function assertCounted(results, total) {
  const all = results.flatMap((r) => r.seen)
  assert.equal(all.length, total)
  for (const r of results) {
    assert.ok(r.seen.every((v, i) => i === 0 || v > r.seen[i - 1]), 'each process sees its values rise')
  }
  all.sort((a, b) => a - b)
  assert.deepEqual(all, range(total, 1), 'every increment returned a distinct value, none lost')
}

/** How many of a group's results were interleaved with another's (informative only). */
function interleaved(results) {
  return results.filter((r) => r.seen[r.seen.length - 1] - r.seen[0] + 1 > r.seen.length).length
}

/** The stores every test runs on: a fresh one per test on each engine that is available. */
const ENGINES = [
  { name: 'lmdb', target: (t) => `lmdb:${tempDir(t)}` },
  ...[
    ['redis', 'GROVE_TEST_REDIS'],
    ['redis-cluster', 'GROVE_TEST_REDIS_CLUSTER'],
  ].map(([name, env]) => ({
    name,
    env,
    target: () => `${process.env[env]}?store=nodemp${process.pid}x${++storeSeq}`,
  })),
]
let storeSeq = 0

for (const engine of ENGINES) {
  if (engine.env && !process.env[engine.env]) {
    test(`[${engine.name}] multi-process tests`, { skip: `${engine.env} is not set (scripts/test.sh starts the servers and sets it)` }, () => {})
    continue
  }
  test(`[${engine.name}] counter: 4 forked processes x 3,000 increments on one ${engine.name} store: exactly 12,000`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const c = db.counter('mp')
    assert.equal(c.get(), 0)
    const P = 4
    const N = 3000
    const { children, infos, results } = await runGroup(t, dir, range(P).map(() => ({ role: 'counter', params: { n: N } })))
    assert.equal(new Set(infos.map((i) => i.pid)).size, P, 'separate OS processes')
    assert.ok(infos.every((i) => i.pid !== process.pid))
    assertCounted(results, P * N)
    assert.equal(c.get(), P * N, "this process's open handle sees every process's increments")
    await closeAll(children)
    assert.equal(c.get(), P * N)
    t.diagnostic(`${interleaved(results)}/${P} processes interleaved; ms per process: ${results.map((r) => r.ms)}`)
  })

  test(`[${engine.name}] counter: 4 cluster workers x 3,000 increments on one ${engine.name} store: exactly 12,000`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    assert.ok(cluster.isPrimary)
    const db = openHere(t, dir) // the primary holds the store open while it forks the workers
    const P = 4
    const N = 3000
    const { children, infos, results } = await runGroup(
      t,
      dir,
      range(P).map(() => ({ role: 'counter', params: { n: N } })),
      'cluster',
    )
    assert.ok(infos.every((i) => i.clusterWorker), 'every child is a cluster worker')
    assert.deepEqual(new Set(infos.map((i) => i.clusterId)).size, P)
    assert.equal(new Set(infos.map((i) => i.pid)).size, P)
    assertCounted(results, P * N)
    assert.equal(db.counter('mp').get(), P * N)
    await closeAll(children)
    assert.equal(db.counter('mp').get(), P * N)
    t.diagnostic(`${interleaved(results)}/${P} workers interleaved; ms per worker: ${results.map((r) => r.ms)}`)
  })

  test(`[${engine.name}] lock: one holder at a time across 4 processes; fencing tokens rise in acquisition order`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const P = 4
    const K = 40
    const { children, results } = await runGroup(t, dir, range(P).map(() => ({ role: 'lock', params: { k: K, ttl: 30 } })))
    await closeAll(children)
    const log = JSON.parse(db.get('guarded').toString())
    // every holder read, waited, then wrote: an overlap of two holders would lose an update
    assert.equal(log.count, P * K, 'the read-modify-write under the lock lost no update')
    assert.equal(log.tokens.length, P * K)
    for (let i = 1; i < log.tokens.length; i++) {
      assert.ok(log.tokens[i] > log.tokens[i - 1], `token ${log.tokens[i]} after ${log.tokens[i - 1]} (acquisition ${i})`)
    }
    const mine = results.flatMap((r) => r.mine)
    assert.ok(mine.every((m) => m.released === true), 'every holder still held its lease at release')
    const tokens = mine.map((m) => m.token)
    assert.equal(new Set(tokens).size, P * K, 'fencing tokens are distinct')
    assert.deepEqual([...tokens].sort((a, b) => a - b), log.tokens, 'the log holds every acquisition')
    for (const r of results) {
      assert.ok(r.mine.every((m, i) => i === 0 || m.token > r.mine[i - 1].token))
    }
    const info = db.lockInfo('mp')
    assert.equal(info.held, false)
    assert.equal(info.fencingToken, log.tokens[log.tokens.length - 1])
    t.diagnostic(`holder switches: ${log.holders.filter((h, i) => i > 0 && h !== log.holders[i - 1]).length}`)
  })

  test(`[${engine.name}] rate limiter: 4 processes hammering one key admit exactly the limit in a long window`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const P = 4
    const L = 250
    const ATTEMPTS = 150 // per process and key: 600 tries at each key
    const COST = 7 // a limit of 250 holds 35 requests of cost 7 (245), never a 36th
    const { children, results } = await runGroup(
      t,
      dir,
      range(P).map(() => ({ role: 'ratelimit', params: { attempts: ATTEMPTS, limit: L, window: 3600, cost: COST } })),
    )
    await closeAll(children)
    const ones = results.reduce((s, r) => s + r.ones, 0)
    const costly = results.reduce((s, r) => s + r.costly, 0)
    assert.equal(ones, L, `admitted ${results.map((r) => r.ones).join(' + ')}`)
    assert.equal(costly, Math.floor(L / COST), `admitted ${results.map((r) => r.costly).join(' + ')}`)
    const rl = db.rateLimiter('mp', { limit: L, window: 3600 })
    assert.equal(rl.peek('one').allowed, false)
    assert.equal(rl.peek('one').remaining, 0)
    assert.equal(rl.allow('one').allowed, false)
    assert.equal(rl.peek('costly').remaining, L % COST)
  })

  test(`[${engine.name}] queue: 2 producers and 3 consumers in 5 processes: each job delivered to exactly one consumer`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const PRODUCERS = 2
    const M = 300
    const specs = [
      ...range(PRODUCERS).map(() => ({ role: 'producer', params: { m: M } })),
      ...range(3).map(() => ({ role: 'consumer', params: { producers: PRODUCERS } })),
    ]
    const { children, results } = await runGroup(t, dir, specs)
    await closeAll(children)
    const produced = results.slice(0, PRODUCERS).flatMap((r) => r.jobs)
    assert.equal(produced.length, PRODUCERS * M)
    assert.equal(new Set(produced.map((j) => j.id)).size, PRODUCERS * M, 'enqueue ids are distinct')
    const payloadOf = new Map(produced.map((j) => [j.id, j.payload]))
    const consumed = results.slice(PRODUCERS).map((r) => r.got)
    const delivered = consumed.flat()
    assert.equal(delivered.length, PRODUCERS * M, `deliveries per consumer: ${consumed.map((g) => g.length)}`)
    assert.equal(new Set(delivered.map((d) => d.id)).size, PRODUCERS * M, 'no job delivered twice')
    for (const d of delivered) {
      assert.equal(d.payload, payloadOf.get(d.id), `job ${d.id} carries its payload`)
      assert.equal(d.attempts, 1, `job ${d.id} delivered once`)
      assert.equal(d.acked, true, `job ${d.id} acked`)
    }
    // FIFO: one producer's jobs (each enqueue returned before its next began) reach any one
    // consumer in enqueue order. (Two producers' jobs racing need not: a job is scheduled by the
    // time its enqueue began, ids by the order their transactions commit.)
    for (const [c, got] of consumed.entries()) {
      for (const p of range(PRODUCERS)) {
        const seq = got.filter((d) => JSON.parse(d.payload).producer === p)
        const bad = seq.findIndex((d, i) => i > 0 && d.id <= seq[i - 1].id)
        assert.equal(bad, -1, `consumer ${c} got producer ${p}'s jobs out of order: ${JSON.stringify(seq.slice(bad - 1, bad + 1))}`)
      }
    }
    const crossed = consumed.flatMap((got) => got.flatMap((d, i) => (i > 0 && d.id < got[i - 1].id ? [[got[i - 1], d]] : [])))
    const show = ([x, y]) => `id ${x.id} (enqueued ${x.at}) then id ${y.id} (enqueued ${y.at})`
    t.diagnostic(
      `deliveries per consumer: ${consumed.map((g) => g.length)}; a consumer got a lower id after a higher ` +
        `${crossed.length} times${crossed.length ? `, e.g. ${show(crossed[0])}` : ''}`,
    )
    const q = db.queue('mp')
    assert.deepEqual(q.stats(), { ready: 0, inFlight: 0, dead: 0 })
    assert.deepEqual(q.deadLetters(), [])
    assert.equal(q.dequeue(), null)
  })

  test(`[${engine.name}] leaderboard: exact scores from 4 processes; a write is seen at once by other processes’ open handles`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const lb = db.leaderboard('mp')
    assert.equal(lb.size, 0) // this handle has used the board (built its index) before the children write
    const P = 4
    const K = 150
    const members = ['alpha', 'bravo', 'charlie']
    const { children, results } = await runGroup(
      t,
      dir,
      range(P).map((id) => ({ role: 'leaderboard', params: { k: K, members, delta: id + 1 } })),
    )
    void results
    // member j gets (j + 1) * K * (1 + 2 + 3 + 4) in all; own-<id> has score id
    const model = new Map(members.map((m, j) => [m, (j + 1) * K * 10]))
    for (const id of range(P)) model.set(`own-${id}`, id)
    const expected = () =>
      [...model]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([member, score], rank) => ({ member, score, rank }))
    assert.deepEqual(lb.top(100), expected(), "this process's open handle sees the exact final scores")
    assert.equal(lb.size, model.size)
    for (const c of children) {
      assert.deepEqual(await c.call('lb.read'), { size: model.size, top: expected() }, `${c.label} sees them`)
    }

    // read-after-write through handles open all along: child -> this process, this process ->
    // child, child -> child, with the written member moving through the ranking
    const rankOf = (member) => expected().findIndex((e) => e.member === member)
    const view = (member) => ({
      score: model.has(member) ? model.get(member) : null,
      rank: model.has(member) ? rankOf(member) : null,
      size: model.size,
      top: expected().slice(0, 3),
    })
    const [a, b] = children
    const scores = [5000, 2, 1, 1e9, -3, 3000, 1.5, 4500]
    for (const [round, score] of scores.entries()) {
      await a.call('lb.add', { member: 'vis', score })
      model.set('vis', score)
      assert.deepEqual(
        { score: lb.score('vis'), rank: lb.rank('vis'), size: lb.size, top: lb.top(3) },
        view('vis'),
        `round ${round}: child 0's add seen here`,
      )
      lb.incr('vis', 1)
      model.set('vis', score + 1)
      assert.deepEqual(await b.call('lb.score', { member: 'vis' }), view('vis'), `round ${round}: this incr seen by child 1`)
      assert.equal(await b.call('lb.incr', { member: 'alpha', delta: 1 }), model.get('alpha') + 1)
      model.set('alpha', model.get('alpha') + 1)
      assert.deepEqual(await a.call('lb.score', { member: 'alpha' }), view('alpha'), `round ${round}: child 1's incr seen by child 0`)
      if (round % 2 === 1) {
        assert.equal(await b.call('lb.remove', { member: 'vis' }), true)
        model.delete('vis')
        assert.deepEqual(await a.call('lb.score', { member: 'vis' }), view('vis'), `round ${round}: removal seen by child 0`)
        assert.equal(lb.score('vis'), null)
        assert.equal(lb.rank('vis'), null)
      }
    }
    assert.deepEqual(lb.top(100), expected())
    await closeAll(children)
    assert.deepEqual(lb.top(100), expected())
  })

  test(`[${engine.name}] CRDT: 4 processes update one store; nothing lost; exportChanges of one carries the others’`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const P = 4
    const K = 200
    const { children, infos } = await runGroup(t, dir, range(P).map(() => ({ role: 'crdt', params: { k: K } })))
    assert.equal(new Set([db.nodeId, ...infos.map((i) => i.nodeId)]).size, 1, 'one store, one node id')
    const check = (store, label) => {
      assert.equal(store.crdtCounter('crdt:mp:counter').value(), P * K, `${label}: counter`)
      const set = store.crdtSet('crdt:mp:set')
      assert.equal(set.size, P * K, `${label}: set size`)
      assert.deepEqual(new Set(set.members()), new Set(range(P).flatMap((id) => range(K).map((i) => `${id}:${i}`))))
      assert.deepEqual(store.crdtMap('crdt:mp:map').all(), Object.fromEntries(range(P).map((id) => [`p${id}`, K - 1])), `${label}: map`)
      for (const id of range(P)) {
        assert.deepEqual(store.crdtRegister(`crdt:mp:reg:${id}`).get(), { writer: id }, `${label}: register ${id}`)
      }
    }
    check(db, 'this process')

    // child 0 exports since the cursor it read before 'go': everything the others wrote is in it
    const first = await children[0].call('crdt.export', { since: infos[0].cursor })
    const observer = grovekv.openMemory({ nodeId: 'observer' })
    t.after(() => observer.close())
    const applied = observer.applyChanges(Buffer.from(first.data, 'base64'))
    assert.deepEqual(applied, { pulled: 3 + P, pushed: 0, merged: 0 })
    check(observer, "child 0's export")

    // and from the start, from another child
    const all = await children[1].call('crdt.export', { since: 0 })
    const observer2 = grovekv.openMemory({ nodeId: 'observer-2' })
    t.after(() => observer2.close())
    observer2.applyChanges(Buffer.from(all.data, 'base64'))
    check(observer2, "child 1's export")

    // a change made here after child 0's cursor reaches its next export
    db.crdtCounter('crdt:mp:counter').increment(5)
    const next = await children[0].call('crdt.export', { since: first.cursor })
    assert.deepEqual(observer.applyChanges(Buffer.from(next.data, 'base64')), { pulled: 0, pushed: 0, merged: 1 })
    assert.equal(observer.crdtCounter('crdt:mp:counter').value(), P * K + 5)
    const none = await children[2].call('crdt.export', { since: next.cursor })
    assert.deepEqual(observer.applyChanges(Buffer.from(none.data, 'base64')), { pulled: 0, pushed: 0, merged: 0 })
    await closeAll(children)
    assert.equal(db.crdtCounter('crdt:mp:counter').value(), P * K + 5)
  })

  test(`[${engine.name}] sessions: created in one process, read, updated, touched and deleted in others`, { timeout: TIMEOUT }, async (t) => {
    const dir = engine.target(t)
    const db = openHere(t, dir)
    const P = 3
    const COUNT = 20
    const { children, results } = await runGroup(t, dir, range(P).map(() => ({ role: 'sessions', params: { count: COUNT } })))
    const idsOf = results.map((r) => r.ids)
    assert.equal(new Set(idsOf.flat()).size, P * COUNT, 'session ids are distinct across processes')
    const here = db.sessions({ ttl: 600 })
    for (const [owner, ids] of idsOf.entries()) {
      const reader = children[(owner + 1) % P]
      const other = children[(owner + 2) % P]
      const creator = children[owner]
      const fresh = ids.map((_, i) => ({ data: { owner, i, cart: [] }, exists: true }))
      assert.deepEqual(await reader.call('sess.get', { ids }), fresh, `child ${owner}'s sessions read by another process`)
      assert.deepEqual(ids.map((sid) => here.get(sid)), fresh.map((f) => f.data), 'and by this process')
      assert.deepEqual(await reader.call('sess.update', { ids }), ids.map(() => true))
      const updated = ids.map((_, i) => ({ data: { owner, i, cart: [`by-${(owner + 1) % P}`] }, exists: true }))
      assert.deepEqual(await creator.call('sess.get', { ids }), updated, "the creator sees the other process's update")
      assert.deepEqual(await other.call('sess.get', { ids }), updated)
      assert.deepEqual(await other.call('sess.touch', { ids }), ids.map(() => true))
      const ttl = await creator.call('kv.ttl', { key: `sess:${ids[0]}` })
      assert.ok(ttl > 500 && ttl <= 600, `ttl ${ttl}`)
      const gone = ids.slice(0, 5)
      assert.deepEqual(await creator.call('sess.delete', { ids: gone }), gone.map(() => true))
      assert.deepEqual(await reader.call('sess.get', { ids: gone }), gone.map(() => ({ data: null, exists: false })))
      assert.deepEqual(await other.call('sess.update', { ids: gone }), gone.map(() => false), 'update never recreates')
      assert.deepEqual(await reader.call('sess.touch', { ids: gone }), gone.map(() => false))
      assert.deepEqual(gone.map((sid) => here.exists(sid)), gone.map(() => false))
      assert.deepEqual(await other.call('sess.delete', { ids: gone }), gone.map(() => false))
    }
    await closeAll(children)
    assert.equal([...db.keys('sess:')].length, P * (COUNT - 5))
  })
}
