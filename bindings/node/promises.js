'use strict'
// grovekv.promises (also `require('grovekv/promises')`): the API of grovekv with every
// operation returning a Promise, like `fs.promises`. The work of each call (the transaction,
// the fsync of a durable store, the open and close of a store) runs on a libuv pool thread (one
// napi-rs AsyncTask per call, see src/promises.rs), so the event loop never waits on storage.
//
// Waits never occupy a thread: Lock.acquire and Queue.dequeueWait make single attempts on the
// pool and wait between them on timers. Constructors of handles (namespace, counter, lock,
// rateLimiter, sessions, leaderboard, queue, crdt*) do no I/O and stay synchronous; so do
// getters of fixed properties. Arguments are checked by the same code as the synchronous API
// (internal.js), but here a bad argument rejects instead of throwing.

const native = require('./native.js')
const {
  KEYS_BATCH,
  TOKEN,
  errorCodes,
  typeError,
  typeName,
  bytesArg,
  expectedArg,
  ttlArg,
  stringArg,
  sessionIdArg,
  bigArg,
  outOfRange,
  tooBig,
  u64Out,
  countArg,
  scoreArg,
  jobIdArg,
  delayArg,
  jsonArg,
  jsonOut,
  stateArg,
  u64Arg,
  i64Arg,
  I64_MAX,
  report,
  expireArgs,
  keysArgs,
  manyKeysArg,
  entriesArg,
  bigintOpt,
  lockArgs,
  lockInfoOut,
  acquireArgs,
  withLock,
  rateLimiterArgs,
  sessionsArgs,
  queueArgs,
  dequeueWaitArgs,
  exportArgs,
  changesOut,
  openArgs,
  openMemoryArgs,
  Job,
  closedError,
  every,
  backoff,
  retry,
  metricsOut,
} = require('./internal.js')

/** The native store inside a Store (set by Store's static block). */
let nativeOf

/**
 * A store handle or a namespaced view of one, whose operations return Promises; made by
 * grovekv.promises.open(), openMemory() or namespace().
 */
class Store {
  #n

  static {
    nativeOf = (store) => store.#n
  }

  /** Internal: use grovekv.promises.open() or openMemory(). */
  constructor(token, nativeStore) {
    if (token !== TOKEN) throw new TypeError('use grovekv.promises.open(path) or openMemory() to get a Store')
    this.#n = nativeStore
  }

  /** This replica's persisted id (used by CRDTs). */
  get nodeId() {
    return this.#n.nodeId
  }

  /** The store directory, or null for a store without one (`memory:`, `redis://`). */
  get path() {
    return this.#n.path
  }

  /** The key prefix this view adds (`'tenant-a:'`), '' for the root handle. */
  get prefix() {
    return this.#n.prefix
  }

  /** Whether every write is fsynced before it returns. */
  get durable() {
    return this.#n.durable
  }

  /** Whether this handle (or the handle this view came from) has been closed. */
  get closed() {
    return this.#n.closed
  }

  /** Closes this handle and everything made from it; the last handle flushes and unlocks. */
  async close() {
    await this.#n.closeAsync()
  }

  /** Makes every write so far durable; resolves when fsynced. */
  async flush() {
    await this.#n.flushAsync()
  }

  /**
   * This handle's metrics: `{ 'counter.increment': { count, errors, p50Us, p99Us }, … }` for every
   * operation called through it, its views and the primitives made from them.
   */
  async metrics() {
    return metricsOut(this.#n.metricsJson())
  }

  /** `metrics()` in the Prometheus text exposition format. */
  async metricsPrometheus() {
    return this.#n.metricsPrometheus()
  }

  /** Bytes the store occupies on disk (0 in memory). */
  async sizeOnDisk() {
    return this.#n.sizeOnDiskAsync()
  }

  /** A view whose every key is prefixed with `name:` (synchronous: no I/O). */
  namespace(name) {
    return new Store(TOKEN, this.#n.namespace(stringArg(name, 'namespace name')))
  }

  /** The bytes at `key` as a Buffer, or null when absent or expired. */
  async get(key) {
    return this.#n.getAsync(bytesArg(key, 'key'))
  }

  /** Stores `value` (string → UTF-8, Buffer, Uint8Array) at `key`; `opts` is a ttl or `{ ttl }`. */
  async set(key, value, opts) {
    await this.#n.setAsync(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Removes `key` whatever it holds; true if a live key was removed. */
  async delete(key) {
    return this.#n.deleteAsync(bytesArg(key, 'key'))
  }

  /** Stores `value` at `key` only if it holds nothing live (Redis SET NX); resolves true if it wrote. */
  async setIfAbsent(key, value, opts) {
    return this.#n.setIfAbsentAsync(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Replaces the bytes at `key` only if there are some (Redis SET XX); resolves true if it wrote. */
  async setIfPresent(key, value, opts) {
    return this.#n.setIfPresentAsync(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Stores `value` only if `key` holds exactly `expected` (null: nothing live); resolves true if it wrote. */
  async compareAndSet(key, expected, value, opts) {
    const k = bytesArg(key, 'key')
    const e = expectedArg(expected)
    return this.#n.compareAndSetAsync(k, e, bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Stores `value` at `key` and resolves the bytes it replaced as a Buffer, or null. */
  async getSet(key, value, opts) {
    return this.#n.getSetAsync(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Removes `key` and resolves the bytes it held as a Buffer, or null (Redis GETDEL). */
  async getDelete(key) {
    return this.#n.getDeleteAsync(bytesArg(key, 'key'))
  }

  /** Whether `key` holds a live value of any kind. */
  async exists(key) {
    return this.#n.existsAsync(bytesArg(key, 'key'))
  }

  /** What `key` holds ('string', 'counter', …) or null. */
  async kindOf(key) {
    return this.#n.kindOfAsync(bytesArg(key, 'key'))
  }

  /** Sets `key` to expire after `ttl` seconds (0 deletes it now); false when absent. */
  async expire(key, ttl) {
    return this.#n.expireAsync(...expireArgs(key, ttl))
  }

  /** Removes the expiry of `key`; true if it had one. */
  async persist(key) {
    return this.#n.persistAsync(bytesArg(key, 'key'))
  }

  /** Seconds left before `key` expires, or null without expiry; rejects with code 'NotFound' if absent. */
  async ttl(key) {
    return this.#n.ttlAsync(bytesArg(key, 'key'))
  }

  /**
   * An async iterator over live keys starting with `prefix`, in byte order, read lazily in
   * batches (`for await (const key of db.keys('user:'))`). Arguments are checked at once (a
   * bad one throws, as from any constructor of this API).
   */
  keys(prefix = '', opts) {
    const [p, buffers] = keysArgs(prefix, opts)
    return iterateKeys(this.#n, this.#n.keys(p), buffers)
  }

  /** Values of several keys (Buffer or null each), read as one consistent snapshot. */
  async getMany(keys) {
    return (await this.#n.getManyAsync(manyKeysArg(keys))).map((v) => v ?? null)
  }

  /** Stores every pair atomically (all or nothing); `entries` is an object, a Map or [key, value] pairs. */
  async setMany(entries, opts) {
    const ttl = ttlArg(opts)
    const [keys, values] = entriesArg(entries)
    await this.#n.setManyAsync(keys, values, ttl)
  }

  /** Removes every expired key in this view now; resolves how many were removed. */
  async purgeExpired() {
    return this.#n.purgeExpiredAsync()
  }

  /** A would-be owner of the distributed lock `name`: a ttl in seconds or `{ ttl = 10, bigint = false }`. */
  lock(name, opts) {
    const [n, ttl, bigint] = lockArgs(name, opts)
    return new Lock(TOKEN, this.#n.lock(n, ttl), bigint)
  }

  /** The state of lock `name` as any observer sees it: `{ held, fencingToken, expiresIn }`. */
  async lockInfo(name, opts) {
    const bigint = bigintOpt(opts)
    return lockInfoOut(await this.#n.lockInfoAsync(stringArg(name, 'lock name')), bigint)
  }

  /**
   * Acquires lock `name` (`{ ttl = 10, timeout = 0, retryInterval = 0.05, signal, bigint }`),
   * runs `await fn(lock)` and always releases, also when `fn` throws; resolves to what `fn`
   * returns. Rejects with code 'LockTimeout' when the lock cannot be had within `timeout`.
   */
  async withLock(name, opts, fn) {
    return withLock(this, name, opts, fn)
  }

  /** A sliding-window rate limiter `name` (keys under `ratelimit:<name>:`): `{ limit, window }`. */
  rateLimiter(name, opts) {
    const [n, limit, window] = rateLimiterArgs(name, opts)
    return new RateLimiter(TOKEN, this.#n.rateLimiter(n, limit, window), n)
  }

  /** A session store (keys `<prefix>:<id>`) with a sliding TTL: `{ ttl = 1800, prefix = 'sess' }`. */
  sessions(opts) {
    const [ttl, prefix] = sessionsArgs(opts)
    return new Sessions(TOKEN, this.#n.sessions(ttl, prefix), prefix)
  }

  /** The leaderboard `name` (members at `lb:<name>:<member>`; `name` may not contain ':'). */
  leaderboard(name) {
    const n = stringArg(name, 'leaderboard name')
    return new Leaderboard(TOKEN, this.#n.leaderboard(n), n)
  }

  /** The job queue `name`: `{ visibilityTimeout = 30, maxAttempts = 5, bigint = false }`. */
  queue(name, opts) {
    const [n, vt, max, bigint] = queueArgs(name, opts)
    return new Queue(TOKEN, this.#n.queue(n, vt, max), n, vt, max, bigint)
  }

  /** The atomic counter `name` (key `counter:<name>`); `{ bigint: true }` makes it resolve bigints. */
  counter(name, opts) {
    const bigint = bigintOpt(opts)
    return new Counter(TOKEN, this.#n.asyncCounter(stringArg(name, 'counter name')), bigint)
  }

  /** The PN-counter CRDT at `key` (no prefix added); `{ bigint: true }` makes it resolve bigints. */
  crdtCounter(key, opts) {
    const bigint = bigintOpt(opts)
    const k = stringArg(key, 'key')
    return new CrdtCounter(TOKEN, this.#n.crdtCounter(k), k, bigint)
  }

  /** The last-writer-wins register CRDT of a JSON value at `key`. */
  crdtRegister(key) {
    const k = stringArg(key, 'key')
    return new CrdtRegister(TOKEN, this.#n.crdtRegister(k), k)
  }

  /** The add-wins set CRDT of JSON values at `key`. */
  crdtSet(key) {
    const k = stringArg(key, 'key')
    return new CrdtSet(TOKEN, this.#n.crdtSet(k), k)
  }

  /** The map CRDT of last-writer-wins fields holding JSON values at `key`. */
  crdtMap(key) {
    const k = stringArg(key, 'key')
    return new CrdtMap(TOKEN, this.#n.crdtMap(k), k)
  }

  /** The CRDT keys of this view changed since a cursor, as `{ data, cursor }` (a cursor or `{ since, bigint }`). */
  async exportChanges(opts) {
    const [since, bigint] = exportArgs(opts)
    return changesOut(await this.#n.exportChangesAsync(since), bigint)
  }

  /** Merges a bundle from `exportChanges` (of any store) into this view, all or nothing: `{ pulled, pushed: 0, merged }`. */
  async applyChanges(data) {
    return report(await this.#n.applyChangesAsync(stateArg(data, 'change bundle')))
  }

  /** How far (seconds) a remote CRDT stamp may lead the wall clock before a merge refuses it. */
  get maxDrift() {
    return this.#n.maxDrift
  }

  /** Sets the allowed drift in seconds (default 60) for every handle of this store's engine. */
  async setMaxDrift(seconds) {
    if (typeof seconds !== 'number') throw typeError(`maxDrift must be a number of seconds, got ${typeName(seconds)}`)
    // Sets a number in memory: no I/O, so no trip to the pool.
    this.#n.setMaxDrift(seconds)
  }
}

/** Yields keys from a native cursor, a batch per pool trip; throws code 'Closed' once the store closes. */
async function* iterateKeys(store, cursor, buffers) {
  for (;;) {
    const batch = await cursor.nextBatchAsync(KEYS_BATCH)
    if (batch.length === 0) return
    for (const k of batch) {
      if (store.closed) throw closedError()
      yield buffers ? k : k.toString('utf8')
    }
  }
}

/** An atomic signed 64-bit counter whose operations return Promises; made by store.counter(name). */
class Counter {
  #h
  #big

  /** Internal: use store.counter(name). */
  constructor(token, handle, bigint) {
    if (token !== TOKEN) throw new TypeError('use store.counter(name) to get a Counter')
    this.#h = handle
    this.#big = bigint
  }

  /** The key this counter lives at (`counter:<name>`). */
  get key() {
    return this.#h.key
  }

  /** Whether this counter resolves bigints (`{ bigint: true }`) instead of numbers. */
  get bigint() {
    return this.#big
  }

  /** Adds `delta` (default 1, may be negative, number or bigint) and resolves the new value. */
  async increment(delta = 1) {
    return this.#out(await this.#h.incrementAsync(deltaArg(delta, 'delta')), 'increment')
  }

  /** Subtracts `delta` (default 1) and resolves the new value. */
  async decrement(delta = 1) {
    return this.#out(await this.#h.decrementAsync(deltaArg(delta, 'delta')), 'decrement')
  }

  /**
   * Subtracts `delta` (default 1, 0 or more) only if the value stays at or above `floor`
   * (default 0): resolves the new value, or null when refused (nothing changed).
   */
  async tryDecrement(delta = 1, floor = 0) {
    const v = await this.#h.tryDecrementAsync(i64Arg(delta, 'delta'), i64Arg(floor, 'floor'))
    return v === null ? v : this.#out(v, 'tryDecrement')
  }

  /**
   * Adds `delta` (default 1, 0 or more) only if the value stays at or below `cap` (default
   * 2^63-1): resolves the new value, or null when refused (nothing changed).
   */
  async tryIncrement(delta = 1, cap = I64_MAX) {
    const v = await this.#h.tryIncrementAsync(i64Arg(delta, 'delta'), i64Arg(cap, 'cap'))
    return v === null ? v : this.#out(v, 'tryIncrement')
  }

  /** The current value (0 when unset). */
  async get() {
    return this.#out(await this.#h.getAsync(), 'get')
  }

  /** Sets the value (number within ±(2^53-1) or bigint within 64 bits). */
  async set(value) {
    await this.#h.setAsync(deltaArg(value, 'value'))
  }

  /** Sets the value to 0. */
  async reset() {
    await this.#h.resetAsync()
  }

  /** Applies the number/bigint policy to a native result. */
  #out(v, what) {
    if (typeof v === 'number') return this.#big ? BigInt(v) : v
    if (this.#big) return v
    throw outOfRange(v, what)
  }
}

/** A counter argument as the native layer takes it: a safe-integer number, or a 64-bit bigint. */
function deltaArg(v, what) {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : bigArg(v, what)
}

/** A would-be owner of a distributed lock whose operations return Promises; made by store.lock(name, { ttl }). */
class Lock {
  #n
  #big

  /** Internal: use store.lock(name, { ttl }). */
  constructor(token, nativeLock, bigint) {
    if (token !== TOKEN) throw new TypeError('use store.lock(name, { ttl }) to get a Lock')
    this.#n = nativeLock
    this.#big = bigint
  }

  /** The key this lock lives at (`lock:<name>`). */
  get key() {
    return this.#n.key
  }

  /** The lease length in seconds. */
  get ttl() {
    return this.#n.ttl
  }

  /** The fencing token of this object's latest successful acquire (0 before the first). */
  get fencingToken() {
    return u64Out(this.#n.fencingToken, this.#big, 'fencing token', 'use store.lock(name, { bigint: true })')
  }

  /** One attempt: takes the lock if it is free or its lease expired; resolves true on success. */
  async tryAcquire() {
    return this.#n.tryAcquireAsync()
  }

  /**
   * Tries until `timeout` seconds pass (default 0: one attempt; Infinity waits for ever),
   * waiting `retryInterval` seconds (default 0.05) between attempts on a timer: no thread and
   * no event-loop time is spent waiting. Resolves true once acquired, false on timeout. An
   * aborted `signal` rejects with its AbortError; an attempt already under way when it aborts
   * still completes, and if it took the lock the promise resolves true.
   */
  async acquire(opts) {
    const [timeout, retryMs, signal] = acquireArgs(opts)
    return retry(() => this.#n.tryAcquireAsync(), timeout, every(retryMs), signal)
  }

  /** Releases the lock if this object still owns an unexpired lease; false (and no change) otherwise. */
  async release() {
    return this.#n.releaseAsync()
  }

  /** Sets the lease to end `ttl` seconds from now if this object still owns it; false otherwise. */
  async extend(ttl) {
    if (typeof ttl !== 'number') throw typeError(`ttl must be a number of seconds, got ${typeName(ttl)}`)
    return this.#n.extendAsync(ttl)
  }

  /** Whether this object owns the lock now (an unexpired lease with its token). */
  async held() {
    return this.#n.heldAsync()
  }
}

/** A sliding-window rate limiter whose operations return Promises; made by store.rateLimiter(name, { limit, window }). */
class RateLimiter {
  #n
  #name

  /** Internal: use store.rateLimiter(name, { limit, window }). */
  constructor(token, nativeLimiter, name) {
    if (token !== TOKEN) throw new TypeError('use store.rateLimiter(name, { limit, window }) to get a RateLimiter')
    this.#n = nativeLimiter
    this.#name = name
  }

  /** The limiter's name (keys live under `ratelimit:<name>:`). */
  get name() {
    return this.#name
  }

  /** The most summed cost admitted in any window, per key. */
  get limit() {
    return this.#n.limit
  }

  /** The window length in seconds. */
  get window() {
    return this.#n.window
  }

  /** Admits `cost` (default 1) for `key` if it fits, atomically: `{ allowed, remaining, resetAfter, retryAfter }`. */
  async allow(key, cost = 1) {
    const k = stringArg(key, 'key')
    return this.#n.allowAsync(k, countArg(cost, 1, 'cost'))
  }

  /** What a cost-1 request for `key` would get now, recording nothing. */
  async peek(key) {
    return this.#n.peekAsync(stringArg(key, 'key'))
  }

  /** Forgets everything admitted for `key`; true if there was state. */
  async reset(key) {
    return this.#n.resetAsync(stringArg(key, 'key'))
  }
}

/** A session store of JSON values with a sliding TTL whose operations return Promises; made by store.sessions(). */
class Sessions {
  #n
  #prefix

  /** Internal: use store.sessions({ ttl, prefix }). */
  constructor(token, nativeSessions, prefix) {
    if (token !== TOKEN) throw new TypeError('use store.sessions({ ttl, prefix }) to get Sessions')
    this.#n = nativeSessions
    this.#prefix = prefix
  }

  /** The key prefix (`sess` gives keys `sess:<id>`). */
  get prefix() {
    return this.#prefix
  }

  /** The sliding TTL in seconds. */
  get ttl() {
    return this.#n.ttl
  }

  /** Stores `data` (any JSON value) under a new random id and resolves the id. */
  async create(data) {
    return this.#n.createAsync(jsonArg(data))
  }

  /** The data of a live session, or null when missing, expired or not an id Grove could issue. */
  async get(id) {
    const text = await this.#n.getAsync(sessionIdArg(id))
    if (text === null || text === undefined) return null
    try {
      return JSON.parse(text)
    } catch {
      const e = new Error(`session data is not JSON (written as raw bytes by another door?)`)
      e.code = 'WrongType'
      throw e
    }
  }

  /** Replaces a live session's data and restarts its TTL; false (nothing stored) if missing or expired. */
  async update(id, data) {
    const i = sessionIdArg(id)
    return this.#n.updateAsync(i, jsonArg(data))
  }

  /** Restarts a live session's TTL; false if missing or expired (it is never recreated). */
  async touch(id) {
    return this.#n.touchAsync(sessionIdArg(id))
  }

  /** Deletes a session; true if it was live. */
  async delete(id) {
    return this.#n.deleteAsync(sessionIdArg(id))
  }

  /** Whether a session is live. */
  async exists(id) {
    return this.#n.existsAsync(sessionIdArg(id))
  }
}

/** A leaderboard whose operations return Promises; made by store.leaderboard(name). */
class Leaderboard {
  #n
  #name

  /** Internal: use store.leaderboard(name). */
  constructor(token, nativeLeaderboard, name) {
    if (token !== TOKEN) throw new TypeError('use store.leaderboard(name) to get a Leaderboard')
    this.#n = nativeLeaderboard
    this.#name = name
  }

  /** The board's name (members live at `lb:<name>:<member>`). */
  get name() {
    return this.#name
  }

  /** A Promise of the number of members (`await lb.size`). */
  get size() {
    return this.#n.lenAsync()
  }

  /** Sets `member`'s score, adding the member if new; NaN/±Infinity reject with code 'InvalidArgument'. */
  async add(member, score) {
    const m = stringArg(member, 'member')
    await this.#n.addAsync(m, scoreArg(score, 'score'))
  }

  /** Adds `delta` to `member`'s score (from 0 if new) and resolves the new score. */
  async incr(member, delta) {
    const m = stringArg(member, 'member')
    return this.#n.incrAsync(m, scoreArg(delta, 'delta'))
  }

  /** `member`'s score, or null if absent. */
  async score(member) {
    return (await this.#n.scoreAsync(stringArg(member, 'member'))) ?? null
  }

  /** `member`'s rank (0 = highest), or null if absent. */
  async rank(member) {
    return (await this.#n.rankAsync(stringArg(member, 'member'))) ?? null
  }

  /** The `n` highest members, best first. */
  async top(n) {
    return this.#n.rangeAsync(0, countArg(n, undefined, 'n'))
  }

  /** Members ranked `start` (inclusive) to `stop` (exclusive), best first; no `stop` means to the end. */
  async range(start, stop) {
    const a = countArg(start, undefined, 'start')
    const b = stop === undefined || stop === null ? undefined : countArg(stop, undefined, 'stop')
    return this.#n.rangeAsync(a, b)
  }

  /** `member` with up to `n` members ranked above and `n` below it; [] if absent. */
  async around(member, n) {
    const m = stringArg(member, 'member')
    return this.#n.aroundAsync(m, countArg(n, undefined, 'n'))
  }

  /** Removes `member`; true if it was there. */
  async remove(member) {
    return this.#n.removeAsync(stringArg(member, 'member'))
  }

  /** Removes every member; resolves how many there were. */
  async clear() {
    return this.#n.clearAsync()
  }
}

/** A FIFO job queue whose operations return Promises; made by store.queue(name, options). */
class Queue {
  #n
  #name
  #vt
  #max
  #big

  /** Internal: use store.queue(name, options). */
  constructor(token, nativeQueue, name, visibilityTimeout, maxAttempts, bigint) {
    if (token !== TOKEN) throw new TypeError('use store.queue(name, options) to get a Queue')
    this.#n = nativeQueue
    this.#name = name
    this.#vt = visibilityTimeout
    this.#max = maxAttempts
    this.#big = bigint
  }

  /** The queue's name (keys under `queue:<name>:`). */
  get name() {
    return this.#name
  }

  /** Seconds a delivered job stays invisible before it is delivered again. */
  get visibilityTimeout() {
    return this.#vt
  }

  /** Deliveries after which an unacked job moves to the dead-letter list. */
  get maxAttempts() {
    return this.#max
  }

  /** Whether job ids are bigints (`{ bigint: true }`) instead of numbers. */
  get bigint() {
    return this.#big
  }

  /** Adds a job (string → UTF-8, Buffer, Uint8Array), deliverable after `{ delay }` seconds; resolves its id. */
  async enqueue(payload, opts) {
    const p = bytesArg(payload, 'payload')
    return this.#id(await this.#n.enqueueAsync(p, delayArg(opts)))
  }

  /** One attempt: the oldest ready job (or one whose visibility timeout passed), or null. */
  async dequeue() {
    const j = await this.#n.dequeueAsync()
    return j ? this.#job(j) : null
  }

  /**
   * Waits up to `timeout` seconds (default Infinity) for a job: single attempts on the pool,
   * 1 ms doubling to 50 ms apart on timers, so no thread and no event-loop time is spent
   * waiting. Resolves with the job, or null on timeout. An aborted `signal` rejects with its
   * AbortError; an attempt already under way when it aborts still completes, and if it took a
   * job the promise resolves with it (so no delivery is lost).
   */
  async dequeueWait(opts) {
    const [timeout, signal] = dequeueWaitArgs(opts)
    return retry(() => this.dequeue(), timeout, backoff(), signal)
  }

  /** Marks a delivered job done and removes it; false if it is not in flight. */
  async ack(id) {
    return this.#n.ackAsync(jobIdArg(id))
  }

  /** Gives a delivered job back, deliverable again after `{ delay }` seconds; false if it is not in flight. */
  async nack(id, opts) {
    const i = jobIdArg(id)
    return this.#n.nackAsync(i, delayArg(opts))
  }

  /** Counts of jobs by state: `{ ready, inFlight, dead }` (ready includes delayed jobs). */
  async stats() {
    return this.#n.statsAsync()
  }

  /** The jobs on the dead-letter list, oldest first. */
  async deadLetters() {
    return (await this.#n.deadLettersAsync()).map((j) => this.#job(j))
  }

  /** Applies the number policy to a native job id. */
  #id(v) {
    return u64Out(v, this.#big, 'job id', 'use store.queue(name, { bigint: true })')
  }

  /** A Job from the native one. */
  #job(j) {
    return new Job(TOKEN, this.#id(j.id), j.payload, j.attempts, new Date(j.enqueuedAtMs))
  }
}

/** A PN-counter CRDT whose operations return Promises; made by store.crdtCounter(key). */
class CrdtCounter {
  #n
  #key
  #big

  /** Internal: use store.crdtCounter(key). */
  constructor(token, nativeCounter, key, bigint) {
    if (token !== TOKEN) throw new TypeError('use store.crdtCounter(key) to get a CrdtCounter')
    this.#n = nativeCounter
    this.#key = key
    this.#big = bigint
  }

  /** The key this counter lives at. */
  get key() {
    return this.#key
  }

  /** Whether this counter resolves bigints (`{ bigint: true }`) instead of numbers. */
  get bigint() {
    return this.#big
  }

  /** Adds `n` (default 1, >= 0) to this node's increments; resolves the new value. */
  async increment(n = 1) {
    return this.#out(await this.#n.incrementAsync(u64Arg(n, 'n')), 'increment')
  }

  /** Adds `n` (default 1, >= 0) to this node's decrements; resolves the new value. */
  async decrement(n = 1) {
    return this.#out(await this.#n.decrementAsync(u64Arg(n, 'n')), 'decrement')
  }

  /** Adds a signed amount (an increment or a decrement); resolves the new value. */
  async add(delta) {
    return this.#out(await this.#n.addAsync(i64Arg(delta, 'delta')), 'add')
  }

  /** Sum of increments minus sum of decrements over all nodes (0 when unset). */
  async value() {
    return this.#out(await this.#n.valueAsync(), 'value')
  }

  /** `{ positive, negative }`: increments and decrements summed over all nodes. */
  async totals() {
    const [p, n] = await this.#n.totalsAsync()
    return { positive: this.#out(p, 'totals'), negative: this.#out(n, 'totals') }
  }

  /** Each node's `{ positive, negative }`, as an object keyed by node id. */
  async contributions() {
    const all = await this.#n.contributionsAsync()
    return Object.fromEntries(
      all.map((c) => [c.node, { positive: this.#out(c.positive, 'contributions'), negative: this.#out(c.negative, 'contributions') }]),
    )
  }

  /** Makes this node's net contribution 0 by a monotone update (it survives merges); resolves the new value. */
  async resetLocal() {
    return this.#out(await this.#n.resetLocalAsync(), 'resetLocal')
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  async state() {
    return this.#n.stateAsync()
  }

  /** Merges state bytes from another replica; true if this one changed. */
  async merge(state) {
    return this.#n.mergeAsync(stateArg(state, 'state'))
  }

  /** Applies the number/bigint policy to a native result. */
  #out(v, what) {
    if (this.#big) return BigInt(v)
    if (typeof v === 'number') return v
    throw tooBig(v, `${what}: value`, 'the operation was applied. Use db.crdtCounter(key, { bigint: true }) for exact bigint results')
  }
}

/** A last-writer-wins register of a JSON value whose operations return Promises; made by store.crdtRegister(key). */
class CrdtRegister {
  #n
  #key

  /** Internal: use store.crdtRegister(key). */
  constructor(token, nativeRegister, key) {
    if (token !== TOKEN) throw new TypeError('use store.crdtRegister(key) to get a CrdtRegister')
    this.#n = nativeRegister
    this.#key = key
  }

  /** The key this register lives at. */
  get key() {
    return this.#key
  }

  /** Writes any JSON value, stamped by this node's clock. */
  async set(value) {
    await this.#n.setAsync(jsonArg(value, 'register value'))
  }

  /** The current value, or null when never set. */
  async get() {
    return jsonOut(await this.#n.getAsync())
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  async state() {
    return this.#n.stateAsync()
  }

  /** Merges state bytes from another replica; true if this one changed (code 'ClockDrift' for a stamp too far ahead). */
  async merge(state) {
    return this.#n.mergeAsync(stateArg(state, 'state'))
  }
}

/** An add-wins observed-remove set of JSON values whose operations return Promises; made by store.crdtSet(key). */
class CrdtSet {
  #n
  #key

  /** Internal: use store.crdtSet(key). */
  constructor(token, nativeSet, key) {
    if (token !== TOKEN) throw new TypeError('use store.crdtSet(key) to get a CrdtSet')
    this.#n = nativeSet
    this.#key = key
  }

  /** The key this set lives at. */
  get key() {
    return this.#key
  }

  /** A Promise of the number of members (`await set.size`). */
  get size() {
    return this.#n.lenAsync()
  }

  /** Adds a JSON value; it wins over any concurrent remove that did not see this add. */
  async add(value) {
    await this.#n.addAsync(jsonArg(value, 'set member'))
  }

  /** Removes a value (the adds this replica has seen); true if it was present. */
  async remove(value) {
    return this.#n.removeAsync(jsonArg(value, 'set member'))
  }

  /** Whether the value is a member. */
  async has(value) {
    return this.#n.containsAsync(jsonArg(value, 'set member'))
  }

  /** Whether the value is a member (the same as `has`). */
  async contains(value) {
    return this.has(value)
  }

  /** Every member, in canonical-JSON order. */
  async members() {
    return (await this.#n.membersAsync()).map((m) => JSON.parse(m))
  }

  /** Iterates over the members (`for await`; a snapshot taken when iteration starts). */
  async *[Symbol.asyncIterator]() {
    yield* await this.members()
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  async state() {
    return this.#n.stateAsync()
  }

  /** Merges state bytes from another replica; true if this one changed. */
  async merge(state) {
    return this.#n.mergeAsync(stateArg(state, 'state'))
  }
}

/** A map of last-writer-wins fields holding JSON values whose operations return Promises; made by store.crdtMap(key). */
class CrdtMap {
  #n
  #key

  /** Internal: use store.crdtMap(key). */
  constructor(token, nativeMap, key) {
    if (token !== TOKEN) throw new TypeError('use store.crdtMap(key) to get a CrdtMap')
    this.#n = nativeMap
    this.#key = key
  }

  /** The key this map lives at. */
  get key() {
    return this.#key
  }

  /** Sets `field` (a non-empty string) to any JSON value. */
  async set(field, value) {
    const f = stringArg(field, 'field')
    await this.#n.setAsync(f, jsonArg(value, 'map value'))
  }

  /** The value of `field`, or null when it has none. */
  async get(field) {
    return jsonOut(await this.#n.getAsync(stringArg(field, 'field')))
  }

  /** Deletes `field` with a tombstone; true if it had a value. */
  async delete(field) {
    return this.#n.deleteAsync(stringArg(field, 'field'))
  }

  /** The names of the fields that have a value, in order. */
  async keys() {
    return this.#n.keysAsync()
  }

  /** Every field that has a value, as an object (fields in name order). */
  async all() {
    return Object.fromEntries((await this.#n.allAsync()).map((f) => [f.field, JSON.parse(f.json)]))
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  async state() {
    return this.#n.stateAsync()
  }

  /** Merges state bytes from another replica; true if this one changed. */
  async merge(state) {
    return this.#n.mergeAsync(stateArg(state, 'state'))
  }
}

/**
 * Merges every CRDT of the promises Stores `a` and `b` both ways: `{ pulled, pushed, merged }`.
 * Two handles of one store, or two stores with the same node id: code 'InvalidArgument'.
 */
async function sync(a, b) {
  if (!(a instanceof Store)) throw typeError(`sync needs two grovekv.promises Stores, got ${typeName(a)}`)
  if (!(b instanceof Store)) throw typeError(`sync needs two grovekv.promises Stores, got ${typeName(b)}`)
  return report(await native.syncAsync(nativeOf(a), nativeOf(b)))
}

if (typeof Symbol.asyncDispose === 'symbol') {
  /** `await using db = await grovekv.promises.open(path)` closes the store at the end of the block. */
  Store.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.close()
  }
  /** `await using lock = db.lock(name)` (after acquiring it) releases the lock at the end of the block. */
  Lock.prototype[Symbol.asyncDispose] = async function asyncDispose() {
    await this.release()
  }
}

/**
 * Opens (creating if needed) the store at `path` (`./data`, `sled:./data`, `lmdb:./data`,
 * `memory:`, `redis://host:port[/db]`) on a pool thread, the event loop free meanwhile:
 * `{ nodeId, durable, flushEveryMs, maxDrift, connectTimeoutMs }`.
 */
async function open(path, opts) {
  return new Store(TOKEN, await native.openAsync(...openArgs(path, opts)))
}

/** Opens a fresh in-memory store (same semantics, nothing on disk): `{ nodeId, maxDrift }`. */
async function openMemory(opts) {
  return new Store(TOKEN, await native.openMemoryAsync(...openMemoryArgs(opts)))
}

module.exports = {
  open,
  openMemory,
  Store,
  Counter,
  Lock,
  RateLimiter,
  Sessions,
  Leaderboard,
  Queue,
  Job,
  CrdtCounter,
  CrdtRegister,
  CrdtSet,
  CrdtMap,
  sync,
  errorCodes,
  /** The version of the Grove core the addon was built with. */
  coreVersion: native.coreVersion(),
  /** @internal Test helper: a promise whose work panics on a pool thread. */
  _panicForTest: native._panicForTestAsync,
}
