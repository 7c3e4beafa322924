'use strict'
// A child process of multiprocess.test.js (started with child_process.fork or cluster.fork; not
// a test file itself: `node --test test/*.test.js` does not match this name).
//
// Protocol over the IPC channel:
//   parent -> { type: 'init', dir, role, id, params }
//   child  -> { type: 'ready', info }          (the store is open, the role's setup done)
//   parent -> { type: 'go' }                   (sent to every child of a group at once)
//   child  -> { type: 'done', result }         (the role's work, run with the others at once)
//   parent -> { type: 'call', seq, op, args }  (any number, after 'done': one operation on the
//   child  -> { type: 'reply', seq, value }     handle this process has held open all along)
//   parent -> { type: 'exit' }                 (close the store; the process then exits by itself)
// Any failure is sent as { type: 'error', message } and exits the process with code 1.
const cluster = require('node:cluster')
const path = require('node:path')
const grovekv = require(path.resolve(__dirname, '..'))

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

let db = null
let state = {} // what a role's run keeps for later calls
let id = 0

function fail(err) {
  const message = err && err.stack ? `${err.stack}${err.code ? ` (code ${err.code})` : ''}` : String(err)
  try {
    process.send({ type: 'error', message: `child ${id} (pid ${process.pid}): ${message}` }, () => process.exit(1))
  } catch {
    process.exit(1)
  }
}

/** Each role: `setup(params)` before 'go' (returns extra ready info), `run(params)` after it. */
const roles = {
  /** Increments one counter n times; returns every value increment returned. */
  counter: {
    run({ n }) {
      const c = db.counter('mp')
      const seen = new Array(n)
      for (let i = 0; i < n; i++) seen[i] = c.increment()
      return { seen }
    },
  },

  /**
   * k times: acquire the lock, read-modify-write (not atomic: an await in between) a KV value
   * holding the count and the log of fencing tokens in the order holders got the lock, release.
   */
  lock: {
    async run({ k, ttl }) {
      const lock = db.lock('mp', { ttl })
      const mine = []
      for (let i = 0; i < k; i++) {
        if (!(await lock.acquire({ timeout: 60, retryInterval: 0.002 }))) {
          throw new Error(`acquire ${i} timed out after 60 s`)
        }
        const token = lock.fencingToken
        const raw = db.get('guarded')
        const log = raw === null ? { count: 0, tokens: [], holders: [] } : JSON.parse(raw.toString())
        await sleep(1) // widen the window between read and write: another holder would interleave here
        log.count += 1
        log.tokens.push(token)
        log.holders.push(id)
        db.set('guarded', JSON.stringify(log))
        const released = lock.release()
        mine.push({ token, released })
        await new Promise((resolve) => setImmediate(resolve))
      }
      return { mine }
    },
  },

  /** Calls allow on one limiter `attempts` times per key; returns how many were admitted. */
  ratelimit: {
    run({ attempts, limit, window, cost }) {
      const rl = db.rateLimiter('mp', { limit, window })
      let ones = 0
      let costly = 0
      for (let i = 0; i < attempts; i++) {
        if (rl.allow('one').allowed) ones++
        if (rl.allow('costly', cost).allowed) costly++
      }
      return { ones, costly }
    },
  },

  /** Enqueues m jobs, then bumps the counter 'producers-done'; returns the ids. */
  producer: {
    async run({ m }) {
      const q = db.queue('mp', { visibilityTimeout: 300 })
      const jobs = []
      for (let i = 0; i < m; i++) {
        const payload = JSON.stringify({ producer: id, i })
        jobs.push({ id: q.enqueue(payload), payload })
        if (i % 25 === 24) await new Promise((resolve) => setImmediate(resolve))
      }
      db.counter('producers-done').increment()
      return { jobs }
    },
  },

  /**
   * Dequeues and acks until every producer is done and the queue then has nothing to deliver
   * (the counter is read before the dequeue that finds nothing, so no job can still come).
   */
  consumer: {
    async run({ producers }) {
      const q = db.queue('mp', { visibilityTimeout: 300 })
      const done = db.counter('producers-done')
      const got = []
      for (;;) {
        const allProduced = done.get() === producers
        const job = q.dequeue()
        if (job) {
          got.push({ id: job.id, payload: job.text(), attempts: job.attempts, at: job.enqueuedAt.getTime(), acked: q.ack(job.id) })
        } else if (allProduced) {
          break
        } else {
          await sleep(1)
        }
      }
      return { got }
    },
  },

  /** Increments the same members (member j by delta * (j + 1)), and adds one member of its own. */
  leaderboard: {
    run({ k, members, delta }) {
      const lb = db.leaderboard('mp')
      lb.add(`own-${id}`, id)
      for (let i = 0; i < k; i++) for (const [j, m] of members.entries()) lb.incr(m, delta * (j + 1))
      return {}
    },
  },

  /** CRDT updates on one store: a counter, a set, a map field and a register of its own. */
  crdt: {
    setup() {
      return { cursor: db.exportChanges().cursor }
    },
    run({ k }) {
      const c = db.crdtCounter('crdt:mp:counter')
      const s = db.crdtSet('crdt:mp:set')
      const m = db.crdtMap('crdt:mp:map')
      db.crdtRegister(`crdt:mp:reg:${id}`).set({ writer: id })
      for (let i = 0; i < k; i++) {
        c.increment()
        s.add(`${id}:${i}`)
        m.set(`p${id}`, i)
      }
      return {}
    },
  },

  /** Creates sessions; returns their ids. */
  sessions: {
    run({ count }) {
      const s = db.sessions({ ttl: 600 })
      const ids = []
      for (let i = 0; i < count; i++) ids.push(s.create({ owner: id, i, cart: [] }))
      return { ids }
    },
  },

  /** Only holds the store open for calls. */
  idle: { run: () => ({}) },
}

/** Operations the parent may call on the open handle after 'done'. */
const ops = {
  'lb.read'() {
    const lb = db.leaderboard('mp')
    return { size: lb.size, top: lb.top(1000) }
  },
  'lb.score'({ member }) {
    const lb = db.leaderboard('mp')
    return { score: lb.score(member), rank: lb.rank(member), size: lb.size, top: lb.top(3) }
  },
  'lb.add'({ member, score }) {
    db.leaderboard('mp').add(member, score)
  },
  'lb.incr'({ member, delta }) {
    return db.leaderboard('mp').incr(member, delta)
  },
  'lb.remove'({ member }) {
    return db.leaderboard('mp').remove(member)
  },
  'crdt.export'({ since }) {
    const { data, cursor } = db.exportChanges({ since })
    return { data: data.toString('base64'), cursor }
  },
  'sess.get'({ ids }) {
    const s = db.sessions({ ttl: 600 })
    return ids.map((sid) => ({ data: s.get(sid), exists: s.exists(sid) }))
  },
  'sess.update'({ ids }) {
    const s = db.sessions({ ttl: 600 })
    return ids.map((sid) => {
      const data = s.get(sid)
      return data === null ? false : s.update(sid, { ...data, cart: [...data.cart, `by-${id}`] })
    })
  },
  'sess.touch'({ ids }) {
    const s = db.sessions({ ttl: 600 })
    return ids.map((sid) => s.touch(sid))
  },
  'sess.delete'({ ids }) {
    const s = db.sessions({ ttl: 600 })
    return ids.map((sid) => s.delete(sid))
  },
  'kv.ttl'({ key }) {
    return db.ttl(key)
  },
}

process.on('message', (msg) => {
  Promise.resolve()
    .then(async () => {
      switch (msg.type) {
        case 'init': {
          id = msg.id
          db = grovekv.open(msg.dir) // a store target: lmdb:DIR or a Redis URL
          const role = roles[msg.role]
          if (!role) throw new Error(`unknown role ${msg.role}`)
          state = { role, params: msg.params }
          const extra = role.setup ? await role.setup(msg.params) : {}
          process.send({
            type: 'ready',
            info: {
              pid: process.pid,
              nodeId: db.nodeId,
              clusterWorker: cluster.isWorker,
              clusterId: cluster.isWorker ? cluster.worker.id : null,
              ...extra,
            },
          })
          break
        }
        case 'go': {
          const t0 = Date.now()
          const result = await state.role.run(state.params)
          process.send({ type: 'done', result: { ...result, ms: Date.now() - t0 } })
          break
        }
        case 'call': {
          const value = await ops[msg.op](msg.args || {})
          process.send({ type: 'reply', seq: msg.seq, value: value === undefined ? null : value })
          break
        }
        case 'exit':
          db.close()
          db = null
          process.disconnect() // nothing else keeps the process alive: it exits by itself
          break
        default:
          throw new Error(`unknown message ${JSON.stringify(msg)}`)
      }
    })
    .catch(fail)
})

process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
