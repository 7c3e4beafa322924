'use strict'
// grovekv: the public Node.js API of Grove (hand-written layer over the generated native.js).
// Adds what napi cannot: TypeError/RangeError for bad arguments, options objects, iterators,
// Map/object inputs, the 64-bit number policy (numbers, RangeError past 2^53-1, or bigint),
// the lock's and the queue's non-blocking async waits (timers, never a blocked event loop) and
// the JSON codec of sessions and CRDT values (those helpers live in internal.js, shared with
// grovekv.promises in promises.js).

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
// The counter's raw Node-API fast path (src/fast.rs); not in native.d.ts.
const {
  counterIncrement,
  counterIncrementBig,
  counterDecrement,
  counterDecrementBig,
  counterGet,
  counterSet,
  counterSetBig,
  counterReset,
  counterTryDecrement,
  counterTryIncrement,
  counterKey,
} = native


/** The native store inside a Store (set by Store's static block). */
let nativeOf

/** A store handle or a namespaced view of one; made by open(), openMemory() or namespace(). */
class Store {
  #n

  static {
    nativeOf = (store) => store.#n
  }

  /** Internal: use grovekv.open() or grovekv.openMemory(). */
  constructor(token, nativeStore) {
    if (token !== TOKEN) throw new TypeError('use grovekv.open(path) or grovekv.openMemory() to get a Store')
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
  close() {
    this.#n.close()
  }

  /** Makes every write so far durable; returns when fsynced. */
  flush() {
    this.#n.flush()
  }

  /**
   * This handle's metrics: `{ 'counter.increment': { count, errors, p50Us, p99Us }, … }` for every
   * operation called through it, its views and the primitives made from them.
   */
  metrics() {
    return metricsOut(this.#n.metricsJson())
  }

  /** `metrics()` in the Prometheus text exposition format. */
  metricsPrometheus() {
    return this.#n.metricsPrometheus()
  }

  /** Bytes the store occupies on disk (0 in memory). */
  sizeOnDisk() {
    return this.#n.sizeOnDisk()
  }

  /** A view whose every key is prefixed with `name:`; views nest and share the handle. */
  namespace(name) {
    return new Store(TOKEN, this.#n.namespace(stringArg(name, 'namespace name')))
  }

  /** The bytes at `key` as a Buffer, or null when absent or expired. */
  get(key) {
    return this.#n.get(bytesArg(key, 'key'))
  }

  /** Stores `value` (string → UTF-8, Buffer, Uint8Array) at `key`; `opts` is a ttl or `{ ttl }`. */
  set(key, value, opts) {
    this.#n.set(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Removes `key` whatever it holds; true if a live key was removed. */
  delete(key) {
    return this.#n.delete(bytesArg(key, 'key'))
  }

  /** Stores `value` at `key` only if it holds nothing live (Redis SET NX); true if it wrote. */
  setIfAbsent(key, value, opts) {
    return this.#n.setIfAbsent(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Replaces the bytes at `key` only if there are some (Redis SET XX); true if it wrote. */
  setIfPresent(key, value, opts) {
    return this.#n.setIfPresent(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Stores `value` only if `key` holds exactly `expected` (null: nothing live); true if it wrote. */
  compareAndSet(key, expected, value, opts) {
    const k = bytesArg(key, 'key')
    const e = expectedArg(expected)
    return this.#n.compareAndSet(k, e, bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Stores `value` at `key` and returns the bytes it replaced as a Buffer, or null. */
  getSet(key, value, opts) {
    return this.#n.getSet(bytesArg(key, 'key'), bytesArg(value, 'value'), ttlArg(opts))
  }

  /** Removes `key` and returns the bytes it held as a Buffer, or null (Redis GETDEL). */
  getDelete(key) {
    return this.#n.getDelete(bytesArg(key, 'key'))
  }

  /** Whether `key` holds a live value of any kind. */
  exists(key) {
    return this.#n.exists(bytesArg(key, 'key'))
  }

  /** What `key` holds ('bytes', 'counter', …) or null. */
  kindOf(key) {
    return this.#n.kindOf(bytesArg(key, 'key'))
  }

  /** Sets `key` to expire after `ttl` seconds (0 deletes it now); false when absent. */
  expire(key, ttl) {
    const [k, t] = expireArgs(key, ttl)
    return this.#n.expire(k, t)
  }

  /** Removes the expiry of `key`; true if it had one. */
  persist(key) {
    return this.#n.persist(bytesArg(key, 'key'))
  }

  /** Seconds left before `key` expires, or null without expiry; throws code 'NotFound' if absent. */
  ttl(key) {
    return this.#n.ttl(bytesArg(key, 'key'))
  }

  /** An iterator over live keys starting with `prefix`, in byte order, read lazily. */
  keys(prefix = '', opts) {
    const [p, buffers] = keysArgs(prefix, opts)
    return iterateKeys(this.#n, this.#n.keys(p), buffers)
  }

  /** Values of several keys (Buffer or null each), read as one consistent snapshot. */
  getMany(keys) {
    return this.#n.getMany(manyKeysArg(keys)).map((v) => v ?? null)
  }

  /** Stores every pair atomically (all or nothing); `entries` is an object, a Map or [key, value] pairs. */
  setMany(entries, opts) {
    const ttl = ttlArg(opts)
    const [keys, values] = entriesArg(entries)
    this.#n.setMany(keys, values, ttl)
  }

  /** Removes every expired key in this view now; returns how many were removed. */
  purgeExpired() {
    return this.#n.purgeExpired()
  }

  /**
   * A would-be owner of the distributed lock `name` (key `lock:<name>`). `opts` is a ttl in
   * seconds or `{ ttl = 10, bigint = false }`; leases last `ttl` unless extended.
   */
  lock(name, opts) {
    const [n, ttl, bigint] = lockArgs(name, opts)
    return new Lock(TOKEN, this.#n.lock(n, ttl), bigint)
  }

  /** The state of lock `name` as any observer sees it: `{ held, fencingToken, expiresIn }`. */
  lockInfo(name, opts) {
    const bigint = bigintOpt(opts)
    return lockInfoOut(this.#n.lockInfo(stringArg(name, 'lock name')), bigint)
  }

  /**
   * Acquires lock `name` (`{ ttl = 10, timeout = 0, retryInterval = 0.05, signal, bigint }`),
   * runs `await fn(lock)` and always releases, also when `fn` throws; resolves to what `fn`
   * returns. Rejects with code 'LockTimeout' when the lock cannot be had within `timeout`.
   */
  async withLock(name, opts, fn) {
    return withLock(this, name, opts, fn)
  }


  /**
   * A sliding-window rate limiter `name` (keys under `ratelimit:<name>:`) admitting at most
   * `limit` summed cost in any `window`-second interval, per key: `{ limit, window }`.
   */
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

  /**
   * The job queue `name` (keys under `queue:<name>:`; `name` may not contain ':'):
   * `{ visibilityTimeout = 30, maxAttempts = 5, bigint = false }`. A delivered job is invisible
   * for `visibilityTimeout` seconds; after `maxAttempts` deliveries it is dead-lettered.
   */
  queue(name, opts) {
    const [n, vt, max, bigint] = queueArgs(name, opts)
    return new Queue(TOKEN, this.#n.queue(n, vt, max), n, vt, max, bigint)
  }

  /** The atomic counter `name` (key `counter:<name>`); `{ bigint: true }` makes it return bigints. */
  counter(name, opts) {
    const bigint = bigintOpt(opts)
    return new Counter(TOKEN, this.#n.counter(stringArg(name, 'counter name')), bigint)
  }

  /** The PN-counter CRDT at `key` (no prefix added); `{ bigint: true }` makes it return bigints. */
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

  /**
   * The CRDT keys of this view changed since the cursor `since` (default 0: all of them), as
   * `{ data, cursor }`: `data` is a Buffer any transport can carry to `applyChanges` on another
   * store; pass `cursor` as `since` next time. Options: a cursor, or `{ since, bigint }`.
   */
  exportChanges(opts) {
    const [since, bigint] = exportArgs(opts)
    return changesOut(this.#n.exportChanges(since), bigint)
  }

  /**
   * Merges a bundle from `exportChanges` (of any store) into this view: `{ pulled, pushed: 0,
   * merged }`. Every entry is checked first; one refused entry (code 'WrongType', 'ClockDrift',
   * 'Corrupt') means nothing is applied.
   */
  applyChanges(data) {
    return report(this.#n.applyChanges(stateArg(data, 'change bundle')))
  }

  /** How far (seconds) a remote CRDT stamp may lead the wall clock before a merge refuses it with code 'ClockDrift'. */
  get maxDrift() {
    return this.#n.maxDrift
  }

  /** Sets the allowed drift in seconds (default 60) for every handle of this store's engine. */
  setMaxDrift(seconds) {
    if (typeof seconds !== 'number') throw typeError(`maxDrift must be a number of seconds, got ${typeName(seconds)}`)
    this.#n.setMaxDrift(seconds)
  }
}

/** Yields keys from a native cursor in batches; throws code 'Closed' once the store closes. */
function* iterateKeys(store, cursor, buffers) {
  for (;;) {
    const batch = cursor.nextBatch(KEYS_BATCH)
    if (batch.length === 0) return
    for (const k of batch) {
      if (store.closed) throw closedError()
      yield buffers ? k : k.toString('utf8')
    }
  }
}

/** An atomic signed 64-bit counter; made by store.counter(name). */
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
    return counterKey(this.#h)
  }

  /** Whether this counter returns bigints (`{ bigint: true }`) instead of numbers. */
  get bigint() {
    return this.#big
  }

  /** Adds `delta` (default 1, may be negative, number or bigint) and returns the new value. */
  increment(delta = 1) {
    const v =
      typeof delta === 'number' && Number.isSafeInteger(delta)
        ? counterIncrement(this.#h, delta)
        : counterIncrementBig(this.#h, bigArg(delta, 'delta'))
    return typeof v === 'number' && !this.#big ? v : this.#out(v, 'increment')
  }

  /** Subtracts `delta` (default 1) and returns the new value. */
  decrement(delta = 1) {
    const v =
      typeof delta === 'number' && Number.isSafeInteger(delta)
        ? counterDecrement(this.#h, delta)
        : counterDecrementBig(this.#h, bigArg(delta, 'delta'))
    return typeof v === 'number' && !this.#big ? v : this.#out(v, 'decrement')
  }

  /**
   * Subtracts `delta` (default 1, 0 or more) only if the value stays at or above `floor`
   * (default 0): the new value, or null when refused (nothing changed).
   */
  tryDecrement(delta = 1, floor = 0) {
    const v = counterTryDecrement(this.#h, i64Arg(delta, 'delta'), i64Arg(floor, 'floor'))
    return v === null || (typeof v === 'number' && !this.#big) ? v : this.#out(v, 'tryDecrement')
  }

  /**
   * Adds `delta` (default 1, 0 or more) only if the value stays at or below `cap` (default
   * 2^63-1): the new value, or null when refused (nothing changed).
   */
  tryIncrement(delta = 1, cap = I64_MAX) {
    const v = counterTryIncrement(this.#h, i64Arg(delta, 'delta'), i64Arg(cap, 'cap'))
    return v === null || (typeof v === 'number' && !this.#big) ? v : this.#out(v, 'tryIncrement')
  }

  /** The current value (0 when unset). */
  get() {
    const v = counterGet(this.#h)
    return typeof v === 'number' && !this.#big ? v : this.#out(v, 'get')
  }

  /** Sets the value (number within ±(2^53-1) or bigint within 64 bits). */
  set(value) {
    if (typeof value === 'number' && Number.isSafeInteger(value)) counterSet(this.#h, value)
    else counterSetBig(this.#h, bigArg(value, 'value'))
  }

  /** Sets the value to 0. */
  reset() {
    counterReset(this.#h)
  }

  /** Applies the number/bigint policy to a native result. */
  #out(v, what) {
    if (typeof v === 'number') return this.#big ? BigInt(v) : v
    if (this.#big) return v
    throw outOfRange(v, what)
  }
}

/** A would-be owner of a distributed lock; made by store.lock(name, { ttl }). */
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

  /**
   * The fencing token of this object's latest successful acquire (0 before the first): a
   * number (exact; a RangeError past 2^53-1, after 2^53 acquisitions) or, with
   * `{ bigint: true }`, a bigint.
   */
  get fencingToken() {
    return u64Out(this.#n.fencingToken, this.#big, 'fencing token', 'use store.lock(name, { bigint: true })')
  }

  /** One attempt, synchronous: takes the lock if it is free or its lease expired; true on success. */
  tryAcquire() {
    return this.#n.tryAcquire()
  }

  /**
   * Tries until `timeout` seconds pass (default 0: one attempt; Infinity waits for ever),
   * waiting `retryInterval` seconds (default 0.05) between attempts on a timer, so the event
   * loop keeps running. Resolves true once acquired, false on timeout. An aborted `signal`
   * rejects with its AbortError.
   */
  async acquire(opts) {
    const [timeout, retryMs, signal] = acquireArgs(opts)
    return retry(() => this.#n.tryAcquire(), timeout, every(retryMs), signal)
  }

  /** Releases the lock if this object still owns an unexpired lease; false (and no change) otherwise. */
  release() {
    return this.#n.release()
  }

  /** Sets the lease to end `ttl` seconds from now if this object still owns it; false otherwise. */
  extend(ttl) {
    if (typeof ttl !== 'number') throw typeError(`ttl must be a number of seconds, got ${typeName(ttl)}`)
    return this.#n.extend(ttl)
  }

  /** Whether this object owns the lock now (an unexpired lease with its token). */
  held() {
    return this.#n.held()
  }
}

/** A sliding-window rate limiter; made by store.rateLimiter(name, { limit, window }). */
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

  /**
   * Admits `cost` (default 1) for `key` if it fits in the sliding window, atomically:
   * `{ allowed, remaining, resetAfter, retryAfter }` (seconds). A cost above the limit could
   * never be admitted: code 'InvalidArgument'.
   */
  allow(key, cost = 1) {
    const k = stringArg(key, 'key')
    return this.#n.allow(k, countArg(cost, 1, 'cost'))
  }

  /** What a cost-1 request for `key` would get now, recording nothing. */
  peek(key) {
    return this.#n.peek(stringArg(key, 'key'))
  }

  /** Forgets everything admitted for `key`; true if there was state. */
  reset(key) {
    return this.#n.reset(stringArg(key, 'key'))
  }
}

/** A session store of JSON values with a sliding TTL; made by store.sessions({ ttl, prefix }). */
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

  /** Stores `data` (any JSON value) under a new random id (43 URL-safe characters) and returns the id. */
  create(data) {
    return this.#n.create(jsonArg(data))
  }

  /** The data of a live session, or null when missing, expired or not an id Grove could issue. */
  get(id) {
    const text = this.#n.get(sessionIdArg(id))
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
  update(id, data) {
    const i = sessionIdArg(id)
    return this.#n.update(i, jsonArg(data))
  }

  /** Restarts a live session's TTL; false if missing or expired (it is never recreated). */
  touch(id) {
    return this.#n.touch(sessionIdArg(id))
  }

  /** Deletes a session; true if it was live. */
  delete(id) {
    return this.#n.delete(sessionIdArg(id))
  }

  /** Whether a session is live. */
  exists(id) {
    return this.#n.exists(sessionIdArg(id))
  }
}

/**
 * A leaderboard: members ranked by score, highest first, ties ordered by member (byte order);
 * made by store.leaderboard(name). `top`, `range` and `around` return `{ member, score, rank }`
 * objects (rank 0 = highest).
 */
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

  /** The number of members. */
  get size() {
    return this.#n.len()
  }

  /** Sets `member`'s score, adding the member if new; NaN/±Infinity throw code 'InvalidArgument'. */
  add(member, score) {
    const m = stringArg(member, 'member')
    this.#n.add(m, scoreArg(score, 'score'))
  }

  /** Adds `delta` to `member`'s score (from 0 if new) and returns the new score; code 'Overflow' past the finite range. */
  incr(member, delta) {
    const m = stringArg(member, 'member')
    return this.#n.incr(m, scoreArg(delta, 'delta'))
  }

  /** `member`'s score, or null if absent. */
  score(member) {
    return this.#n.score(stringArg(member, 'member')) ?? null
  }

  /** `member`'s rank (0 = highest), or null if absent. */
  rank(member) {
    return this.#n.rank(stringArg(member, 'member')) ?? null
  }

  /** The `n` highest members, best first. */
  top(n) {
    return this.#n.range(0, countArg(n, undefined, 'n'))
  }

  /** Members ranked `start` (inclusive) to `stop` (exclusive), best first; no `stop` means to the end. */
  range(start, stop) {
    const a = countArg(start, undefined, 'start')
    const b = stop === undefined || stop === null ? undefined : countArg(stop, undefined, 'stop')
    return this.#n.range(a, b)
  }

  /** `member` with up to `n` members ranked above and `n` below it; [] if absent. */
  around(member, n) {
    const m = stringArg(member, 'member')
    return this.#n.around(m, countArg(n, undefined, 'n'))
  }

  /** Removes `member`; true if it was there. */
  remove(member) {
    return this.#n.remove(stringArg(member, 'member'))
  }

  /** Removes every member; returns how many there were. */
  clear() {
    return this.#n.clear()
  }
}


/**
 * A FIFO job queue with a visibility timeout, retries and a dead-letter list; made by
 * store.queue(name, { visibilityTimeout, maxAttempts }).
 */
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

  /** Adds a job (string → UTF-8, Buffer, Uint8Array), deliverable after `{ delay }` seconds (default 0); returns its id. */
  enqueue(payload, opts) {
    const p = bytesArg(payload, 'payload')
    return this.#id(this.#n.enqueue(p, delayArg(opts)))
  }

  /** One synchronous attempt: the oldest ready job (or one whose visibility timeout passed), or null. */
  dequeue() {
    const j = this.#n.dequeue()
    return j ? this.#job(j) : null
  }

  /**
   * Waits up to `timeout` seconds (default Infinity) for a job, polling on timers (1 ms doubling
   * to 50 ms between tries), so the event loop keeps running. Resolves with the job, or null on
   * timeout. An aborted `signal` rejects with its AbortError.
   */
  async dequeueWait(opts) {
    const [timeout, signal] = dequeueWaitArgs(opts)
    return retry(() => this.dequeue(), timeout, backoff(), signal)
  }

  /** Marks a delivered job done and removes it; false if it is not in flight (already acked, nacked or dead). */
  ack(id) {
    return this.#n.ack(jobIdArg(id))
  }

  /** Gives a delivered job back, deliverable again after `{ delay }` seconds; false if it is not in flight. */
  nack(id, opts) {
    const i = jobIdArg(id)
    return this.#n.nack(i, delayArg(opts))
  }

  /** Counts of jobs by state: `{ ready, inFlight, dead }` (ready includes delayed jobs). */
  stats() {
    return this.#n.stats()
  }

  /** The jobs on the dead-letter list, oldest first. */
  deadLetters() {
    return this.#n.deadLetters().map((j) => this.#job(j))
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

/**
 * A PN-counter CRDT: per-node increment and decrement totals, merged by per-node maximum, so
 * replicas count independently and converge. Made by store.crdtCounter(key).
 */
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

  /** Whether this counter returns bigints (`{ bigint: true }`) instead of numbers. */
  get bigint() {
    return this.#big
  }

  /** Adds `n` (default 1, >= 0) to this node's increments; returns the new value. */
  increment(n = 1) {
    return this.#out(this.#n.increment(u64Arg(n, 'n')), 'increment')
  }

  /** Adds `n` (default 1, >= 0) to this node's decrements; returns the new value. */
  decrement(n = 1) {
    return this.#out(this.#n.decrement(u64Arg(n, 'n')), 'decrement')
  }

  /** Adds a signed amount (an increment or a decrement); returns the new value. */
  add(delta) {
    return this.#out(this.#n.add(i64Arg(delta, 'delta')), 'add')
  }

  /** Sum of increments minus sum of decrements over all nodes (0 when unset). */
  value() {
    return this.#out(this.#n.value(), 'value')
  }

  /** `{ positive, negative }`: increments and decrements summed over all nodes. */
  totals() {
    const [p, n] = this.#n.totals()
    return { positive: this.#out(p, 'totals'), negative: this.#out(n, 'totals') }
  }

  /** Each node's `{ positive, negative }`, as an object keyed by node id. */
  contributions() {
    return Object.fromEntries(
      this.#n
        .contributions()
        .map((c) => [c.node, { positive: this.#out(c.positive, 'contributions'), negative: this.#out(c.negative, 'contributions') }]),
    )
  }

  /** Makes this node's net contribution 0 by a monotone update (it survives merges); returns the new value. */
  resetLocal() {
    return this.#out(this.#n.resetLocal(), 'resetLocal')
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  state() {
    return this.#n.state()
  }

  /** Merges state bytes from another replica; true if this one changed. */
  merge(state) {
    return this.#n.merge(stateArg(state, 'state'))
  }

  /** Applies the number/bigint policy to a native result. */
  #out(v, what) {
    if (this.#big) return BigInt(v)
    if (typeof v === 'number') return v
    throw tooBig(v, `${what}: value`, 'the operation was applied. Use db.crdtCounter(key, { bigint: true }) for exact bigint results')
  }
}

/**
 * A last-writer-wins register of a JSON value, ordered by hybrid logical clock, then node id.
 * Made by store.crdtRegister(key).
 */
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
  set(value) {
    this.#n.set(jsonArg(value, 'register value'))
  }

  /** The current value, or null when never set (a stored JSON null also reads as null). */
  get() {
    return jsonOut(this.#n.get())
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  state() {
    return this.#n.state()
  }

  /** Merges state bytes from another replica; true if this one changed. Code 'ClockDrift' (and no change) for a stamp too far in the future. */
  merge(state) {
    return this.#n.merge(stateArg(state, 'state'))
  }
}

/**
 * An add-wins observed-remove set of JSON values (identity: canonical JSON, so `{a:1,b:2}` and
 * `{b:2,a:1}` are one member). Made by store.crdtSet(key).
 */
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

  /** The number of members. */
  get size() {
    return this.#n.len()
  }

  /** Adds a JSON value; it wins over any concurrent remove that did not see this add. */
  add(value) {
    this.#n.add(jsonArg(value, 'set member'))
  }

  /** Removes a value (the adds this replica has seen); true if it was present. */
  remove(value) {
    return this.#n.remove(jsonArg(value, 'set member'))
  }

  /** Whether the value is a member. */
  has(value) {
    return this.#n.contains(jsonArg(value, 'set member'))
  }

  /** Whether the value is a member (the same as `has`). */
  contains(value) {
    return this.has(value)
  }

  /** Every member, in canonical-JSON order. */
  members() {
    return this.#n.members().map((m) => JSON.parse(m))
  }

  /** Iterates over the members (a snapshot taken when iteration starts). */
  [Symbol.iterator]() {
    return this.members()[Symbol.iterator]()
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  state() {
    return this.#n.state()
  }

  /** Merges state bytes from another replica; true if this one changed. */
  merge(state) {
    return this.#n.merge(stateArg(state, 'state'))
  }
}

/**
 * A map of independent last-writer-wins fields holding JSON values; `delete` leaves a stamped
 * tombstone, so an older concurrent `set` does not bring a field back. Made by store.crdtMap(key).
 */
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
  set(field, value) {
    const f = stringArg(field, 'field')
    this.#n.set(f, jsonArg(value, 'map value'))
  }

  /** The value of `field`, or null when it has none (a stored JSON null also reads as null). */
  get(field) {
    return jsonOut(this.#n.get(stringArg(field, 'field')))
  }

  /** Deletes `field` with a tombstone; true if it had a value. */
  delete(field) {
    return this.#n.delete(stringArg(field, 'field'))
  }

  /** The names of the fields that have a value, in order. */
  keys() {
    return this.#n.keys()
  }

  /** Every field that has a value, as an object (fields in name order). */
  all() {
    return Object.fromEntries(this.#n.all().map((f) => [f.field, JSON.parse(f.json)]))
  }

  /** The versioned, type-tagged state bytes, for `merge` on another replica. */
  state() {
    return this.#n.state()
  }

  /** Merges state bytes from another replica; true if this one changed. */
  merge(state) {
    return this.#n.merge(stateArg(state, 'state'))
  }
}

/**
 * Merges every CRDT of stores `a` and `b` both ways: `{ pulled, pushed, merged }` (keys `a`
 * received, keys `b` received, keys both had whose merge changed a side). A second sync reports
 * zeros. Two handles of one store, or two stores with the same node id: code 'InvalidArgument'.
 */
function sync(a, b) {
  if (!(a instanceof Store)) throw typeError(`sync needs two Stores, got ${typeName(a)}`)
  if (!(b instanceof Store)) throw typeError(`sync needs two Stores, got ${typeName(b)}`)
  return report(nativeOf(a).sync(nativeOf(b)))
}

if (typeof Symbol.dispose === 'symbol') {
  /** `using db = grovekv.open(path)` closes the store at the end of the block. */
  Store.prototype[Symbol.dispose] = function dispose() {
    this.close()
  }
  /** `using lock = db.lock(name)` (after acquiring it) releases the lock at the end of the block. */
  Lock.prototype[Symbol.dispose] = function dispose() {
    this.release()
  }
}

/**
 * Opens (creating if needed) the store at `path` (`./data`, `sled:./data`, `lmdb:./data`,
 * `memory:`, `redis://host:port[/db]`): `{ nodeId, durable, flushEveryMs, maxDrift, connectTimeoutMs }`.
 */
function open(path, opts) {
  return new Store(TOKEN, native.open(...openArgs(path, opts)))
}

/** Opens a fresh in-memory store (same semantics, nothing on disk): `{ nodeId, maxDrift }`. */
function openMemory(opts) {
  return new Store(TOKEN, native.openMemory(...openMemoryArgs(opts)))
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
  /** @internal Benchmark helper: seconds for `n` increments run inside Rust. */
  _benchCoreIncrement: native._benchCoreIncrement,
  /** @internal Test helper: panics inside Rust. */
  _panicForTest: native._panicForTest,
  /** The same API with every operation returning a Promise, its work off the event loop (like `fs.promises`). */
  promises: require('./promises.js'),
}
