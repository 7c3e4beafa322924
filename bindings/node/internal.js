'use strict'
// grovekv internals shared by the synchronous API (index.js) and grovekv.promises (promises.js):
// argument checks (TypeError/RangeError with code 'InvalidArgument'), the 64-bit number policy,
// the JSON codec of sessions and CRDT values, the Job class and the timer-driven wait loop of
// Lock.acquire and Queue.dequeueWait. Not part of the public API.

const { fileURLToPath } = require('node:url')
const { setTimeout: delay } = require('node:timers/promises')
const native = require('./native.js')

// The shapes of options and results of the public API (grovekv and grovekv.promises): these
// typedefs are the source of their declarations in internal.d.ts (scripts/gen-types.js).

/**
 * A key or value: strings are encoded UTF-8 (a lone surrogate is a TypeError with code 'InvalidArgument').
 * @typedef {string | Buffer | Uint8Array} Bytes
 */

/**
 * Every Grove error kind; a Grove error's `code` is one of these.
 * @typedef {'NotFound' | 'WrongType' | 'InvalidArgument' | 'Overflow' | 'Closed' | 'StoreLocked' | 'LockTimeout' | 'ClockDrift' | 'Corrupt' | 'Io' | 'Internal' | 'Encryption'} ErrorCode
 */

/**
 * An error thrown by Grove: an `Error` (or TypeError/RangeError for bad arguments) with `code`.
 * @typedef {Error & { code: ErrorCode }} GroveError
 */

/**
 * Compression and encryption at rest, options of `open` and `openMemory`. Key names stay
 * plaintext, and so do counters, rate limiter state and leaderboard scores.
 * @typedef {object} CodecOptions
 * @property {boolean | null} [compress] Store values of at least `compressMinBytes` bytes zstd-compressed (default false). Reading never depends on it: compressed values read back with it off.
 * @property {number | null} [compressMinBytes] The threshold of `compress`, in bytes (default 1024; 0 compresses every value).
 * @property {Buffer | Uint8Array | null} [encryptionKey] Seal every value written with this 32-byte key (`crypto.randomBytes(32)` or `grove keygen`); another length is 'InvalidArgument'. Reading a sealed value without its key, or with another one, throws code 'Encryption'.
 * @property {ReadonlyArray<Buffer | Uint8Array> | null} [oldEncryptionKeys] Keys of earlier rotations: values sealed with them still open (needs `encryptionKey`).
 */

/**
 * Options of `open`.
 * @typedef {OpenOnlyOptions & CodecOptions} OpenOptions
 */

/**
 * Options of `open` beside the codec's.
 * @typedef {object} OpenOnlyOptions
 * @property {string | null} [nodeId] This replica's id for CRDTs (1-64 chars of [A-Za-z0-9._:-]); generated and persisted when absent.
 * @property {boolean | null} [durable] Fsync every write before it returns (default false: background flush).
 * @property {number | null} [flushEveryMs] Milliseconds between background flushes (1 to 86400000, default 500); giving it with `durable: true` is 'InvalidArgument'.
 * @property {number | null} [maxDrift] Seconds a remote CRDT stamp may lead the wall clock before a merge refuses it with code 'ClockDrift' (default 60). Set for the whole engine: every handle of this path shares it.
 * @property {number | null} [connectTimeoutMs] Milliseconds a `redis://` store waits for its server (default 5000) before an error with code 'Io' naming the address; 0 or less, or the option on an engine with no server, is 'InvalidArgument'.
 * @property {number | null} [replyTimeoutMs] Milliseconds a `redis://` store waits for each answer of its server (default 20000) before an error with code 'Io' that drops the connection (a server that stopped answering never hangs a call); 0 or less, or the option on an engine with no server, is 'InvalidArgument'.
 */

/**
 * Options of `openMemory`.
 * @typedef {MemoryOnlyOptions & CodecOptions} MemoryOptions
 */

/**
 * Options of `openMemory` beside the codec's.
 * @typedef {object} MemoryOnlyOptions
 * @property {string | null} [nodeId] This replica's id for CRDTs; generated when absent.
 * @property {number | null} [maxDrift] Seconds a remote CRDT stamp may lead the wall clock (default 60).
 */

/**
 * One operation's metrics, a value of `Store.metrics()`.
 * @typedef {object} OpMetrics
 * @property {number} count Calls made through this handle (exact, failed ones included).
 * @property {number} errors Calls that threw a Grove error (exact).
 * @property {number} p50Us Median latency in microseconds over the timed calls (one in 16, the first always).
 * @property {number} p99Us 99th percentile latency in microseconds over the timed calls.
 */

/**
 * What `sync` and `Store.applyChanges` did, in CRDT keys.
 * @typedef {object} SyncReport
 * @property {number} pulled Keys this side (`sync`: the first store) received that it did not have.
 * @property {number} pushed Keys the other side received that it did not have (always 0 for `applyChanges`).
 * @property {number} merged Keys both sides had whose merge changed at least one side.
 */

/**
 * What `Store.exportChanges` returns.
 * @template {number | bigint} [T=number]
 * @typedef {object} Changes
 * @property {Buffer} data The bundle: bytes any transport can carry to `applyChanges` on another store.
 * @property {T} cursor The cursor to pass as `since` next time.
 */

/**
 * Options of `Store.exportChanges`.
 * @typedef {object} ExportOptions
 * @property {number | bigint | null} [since] Only keys changed after this cursor (default 0: every CRDT key of this view).
 * @property {boolean} [bigint] Return the cursor as a bigint.
 */

/**
 * A node's share of a CRDT counter.
 * @template {number | bigint} [T=number]
 * @typedef {object} Contribution
 * @property {T} positive Its increments.
 * @property {T} negative Its decrements.
 */

/**
 * A TTL in seconds, or `{ ttl }`.
 * @typedef {number | { ttl?: number | null } | null | undefined} TtlOption
 */

/**
 * Options of `Store.counter`.
 * @typedef {object} CounterOptions
 * @property {boolean} [bigint] Return bigints instead of numbers (exact over the whole signed 64-bit range).
 */

/**
 * Options of `Store.keys`.
 * @typedef {object} KeysOptions
 * @property {boolean} [buffers] Yield Buffers instead of UTF-8 strings.
 */

/**
 * Options of `Store.lock`.
 * @typedef {object} LockOptions
 * @property {number | null} [ttl] Lease length in seconds (default 10); a lease ends then unless extended.
 * @property {boolean} [bigint] Return the fencing token as a bigint (exact over the whole unsigned 64-bit range).
 */

/**
 * Options of `Lock.acquire`.
 * @typedef {object} AcquireOptions
 * @property {number | null} [timeout] Seconds to keep trying (default 0: one attempt; `Infinity` waits for ever).
 * @property {number | null} [retryInterval] Seconds between attempts (default 0.05, at least 1 ms); waiting is on a timer, never blocking.
 * @property {AbortSignal | null} [signal] Aborting it rejects the pending acquire with the signal's AbortError.
 */

/**
 * Options of `Store.withLock`.
 * @typedef {AcquireOptions & LockOptions} WithLockOptions
 */

/**
 * What `Store.lockInfo` returns.
 * @template {number | bigint} [T=number]
 * @typedef {object} LockInfo
 * @property {boolean} held Whether some owner holds an unexpired lease now.
 * @property {T} fencingToken The fencing token of the latest acquisition (0 if never acquired).
 * @property {number | null} expiresIn Seconds left on the current lease, null when not held.
 */

/**
 * Options of `Store.rateLimiter`.
 * @typedef {object} RateLimiterOptions
 * @property {number | bigint} limit Most summed cost admitted in any window-long interval, per key (a whole number >= 1).
 * @property {number} window Window length in seconds (at least 0.001).
 */

/**
 * The outcome of `RateLimiter.allow` / `peek`; times in seconds.
 * @typedef {object} Decision
 * @property {boolean} allowed Whether the request was admitted (for `peek`: whether a cost-1 request would be).
 * @property {number} remaining Cost that could still be admitted right now.
 * @property {number} resetAfter Seconds until everything admitted so far has left the window (full capacity again).
 * @property {number} retryAfter When refused: seconds until this request's cost would fit; 0 when allowed.
 */

/**
 * Options of `Store.sessions`.
 * @typedef {object} SessionsOptions
 * @property {number | null} [ttl] Sliding TTL in seconds (default 1800), restarted by `update` and `touch`.
 * @property {string | null} [prefix] Key prefix (default 'sess': keys `sess:<id>`).
 */

/**
 * A leaderboard entry, as `top`, `range` and `around` return it.
 * @typedef {object} Ranked
 * @property {string} member The member.
 * @property {number} score Its score.
 * @property {number} rank Its position: 0 for the highest score; ties are ordered by member.
 */

/**
 * Options of `Store.queue`.
 * @typedef {object} QueueOptions
 * @property {number | null} [visibilityTimeout] Seconds a delivered job stays invisible before it is delivered again (default 30, > 0).
 * @property {number | bigint | null} [maxAttempts] Deliveries after which an unacked job moves to the dead-letter list (default 5, >= 1).
 * @property {boolean} [bigint] Give job ids as bigints (exact over the whole unsigned 64-bit range).
 */

/**
 * Options of `Queue.enqueue` and `Queue.nack`.
 * @typedef {object} DelayOptions
 * @property {number | null} [delay] Seconds before the job can be delivered (default 0).
 */

/**
 * Options of `Queue.dequeueWait`.
 * @typedef {object} DequeueWaitOptions
 * @property {number | null} [timeout] Seconds to wait for a job (default `Infinity`); polling is on timers, never blocking.
 * @property {AbortSignal | null} [signal] Aborting it rejects the pending wait with the signal's AbortError.
 */

/**
 * Counts of a queue's jobs by state.
 * @typedef {object} QueueStats
 * @property {number} ready Waiting for delivery (delayed jobs included).
 * @property {number} inFlight Delivered and not yet acked or nacked (one past its visibility timeout stays here until redelivered).
 * @property {number} dead On the dead-letter list.
 */

/**
 * A JSON value: what a session, a CRDT register, set member or map field holds.
 * @typedef {import('./json').JsonValue} JsonValue
 */

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n
const U64_MAX = 2n ** 64n - 1n
const KEYS_BATCH = 256
/** Longest pause between two polls of Queue.dequeueWait, in ms (it starts at 1 ms and doubles). */
const MAX_POLL_MS = 50

/**
 * Every Grove error kind, in the order of the C ABI codes 1..12.
 * @type {readonly ErrorCode[]}
 */
const errorCodes = Object.freeze([
  'NotFound',
  'WrongType',
  'InvalidArgument',
  'Overflow',
  'Closed',
  'StoreLocked',
  'LockTimeout',
  'ClockDrift',
  'Corrupt',
  'Io',
  'Internal',
  'Encryption',
])

/** A TypeError for a wrong argument type, with code 'InvalidArgument'. */
function typeError(message) {
  const e = new TypeError(message)
  e.code = 'InvalidArgument'
  return e
}

/** A RangeError for a bad numeric argument, with code 'InvalidArgument'. */
function rangeError(message) {
  const e = new RangeError(message)
  e.code = 'InvalidArgument'
  return e
}

/** Describes a value's type for error messages. */
function typeName(v) {
  if (v === null) return 'null'
  if (Buffer.isBuffer(v)) return 'Buffer'
  if (typeof v === 'object') return (v.constructor && v.constructor.name) || 'object'
  return typeof v
}

/** Whether a string is well-formed UTF-16 (no lone surrogate), so it encodes to UTF-8 losslessly. */
const wellFormed =
  typeof String.prototype.isWellFormed === 'function'
    ? (s) => s.isWellFormed()
    : (s) => !/\p{Cs}/u.test(s)

/**
 * A string that encodes to UTF-8 losslessly. A lone surrogate ('\ud800') would be replaced by
 * U+FFFD on the way to Rust, so two different strings would name one key: a TypeError instead.
 */
function textArg(s, what) {
  if (!wellFormed(s)) {
    throw typeError(`${what} is not well-formed Unicode (it holds a lone surrogate); pass a Buffer for arbitrary bytes`)
  }
  return s
}

/** Whether `v` is a plain object (an object literal or Object.create(null)), as options must be. */
function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === null || Object.getPrototypeOf(proto) === null
}

/** A key/value argument as the native layer wants it: a string or a Buffer. */
function bytesArg(v, what) {
  if (typeof v === 'string') return textArg(v, what)
  if (Buffer.isBuffer(v)) return v
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw typeError(`${what} must be a string, Buffer or Uint8Array, got ${typeName(v)}`)
}

/** The `expected` bytes of compareAndSet: null means "absent"; otherwise as bytesArg. */
function expectedArg(v) {
  if (v === null) return null
  if (v === undefined) throw typeError('expected must be a string, Buffer or Uint8Array, or null for "absent"')
  return bytesArg(v, 'expected')
}

/** A TTL in seconds from a number, `{ ttl }` or nothing; undefined when absent. */
function ttlArg(opts, what = 'ttl') {
  if (opts === undefined || opts === null) return undefined
  if (typeof opts === 'number') return opts
  if (isPlainObject(opts)) {
    checkKeys(opts, ['ttl'], 'options')
    const t = opts.ttl
    if (t === undefined || t === null) return undefined
    if (typeof t === 'number') return t
    throw typeError(`${what} must be a number of seconds, got ${typeName(t)}`)
  }
  throw typeError(`${what} must be a number of seconds or { ttl }, got ${typeName(opts)}`)
}

/** Rejects option names that are not in `allowed` (catches typos like `nodeID`). */
function checkKeys(obj, allowed, what) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw typeError(`unknown ${what} key '${k}' (expected ${allowed.join(', ')})`)
  }
}

/** An options object or an empty one; TypeError for anything else. */
function optsArg(opts, allowed, what = 'options') {
  if (opts === undefined || opts === null) return {}
  if (!isPlainObject(opts)) throw typeError(`${what} must be a plain object, got ${typeName(opts)}`)
  checkKeys(opts, allowed, what)
  return opts
}

/** A string argument (well-formed Unicode); TypeError otherwise. */
function stringArg(v, what) {
  if (typeof v !== 'string') throw typeError(`${what} must be a string, got ${typeName(v)}`)
  return textArg(v, what)
}

/** A session id: any string (one Grove could not have issued is simply not found); TypeError otherwise. */
function sessionIdArg(v) {
  if (typeof v !== 'string') throw typeError(`session id must be a string, got ${typeName(v)}`)
  return v
}

/** An optional node id (string) from options. */
function nodeIdArg(v) {
  if (v === undefined || v === null) return undefined
  return stringArg(v, 'nodeId')
}

/** A bigint in the signed 64-bit range from a bigint or a safe-integer number. */
function bigArg(v, what) {
  if (typeof v === 'bigint') {
    if (v < I64_MIN || v > I64_MAX) throw rangeError(`${what} ${v} does not fit in a signed 64-bit integer`)
    return v
  }
  if (typeof v === 'number') {
    throw rangeError(
      `${what} must be an integer within ±(2^53-1) (use a bigint for larger values), got ${v}`,
    )
  }
  throw typeError(`${what} must be a number or a bigint, got ${typeName(v)}`)
}

/** The RangeError for a counter result a JS number cannot hold exactly (the write happened). */
function outOfRange(v, what) {
  const e = new RangeError(
    `${what}: counter value ${v} is outside ±(2^53-1) and cannot be returned as a number; ` +
      `the operation was applied. Use db.counter(name, { bigint: true }) for exact bigint results`,
  )
  e.code = 'ERR_OUT_OF_RANGE'
  e.value = v
  return e
}

/** A RangeError for a 64-bit result a number cannot hold exactly; `value` is the exact bigint. */
function tooBig(v, what, hint) {
  const e = new RangeError(`${what} ${v} is outside ±(2^53-1) and cannot be returned as a number; ${hint}`)
  e.code = 'ERR_OUT_OF_RANGE'
  e.value = v
  return e
}

/** Applies the number policy to a native u64 (a number when exact, else a bigint). */
function u64Out(v, big, what, hint) {
  if (big) return BigInt(v)
  if (typeof v === 'number') return v
  throw tooBig(v, what, hint)
}

/**
 * The core's metrics JSON as `{ '<primitive>.<op>': { count, errors, p50Us, p99Us } }`; a count
 * past 2^53-1 (never reached in practice) is a RangeError rather than a rounded number.
 * @param {string} json
 * @returns {Record<string, OpMetrics>}
 */
function metricsOut(json) {
  /** @type {Record<string, OpMetrics>} */
  const out = {}
  for (const [op, m] of Object.entries(JSON.parse(json))) {
    for (const field of ['count', 'errors']) {
      if (!Number.isSafeInteger(m[field])) throw tooBig(m[field], `metrics ${op}.${field}`, 'reset by reopening')
    }
    out[op] = { count: m.count, errors: m.errors, p50Us: m.p50_us, p99Us: m.p99_us }
  }
  return out
}

/** A number of seconds (validated further by the core); `dflt` when undefined/null. */
function secondsArg(v, dflt, what) {
  if (v === undefined || v === null) {
    if (dflt === undefined) throw typeError(`${what} is required (a number of seconds)`)
    return dflt
  }
  if (typeof v !== 'number') throw typeError(`${what} must be a number of seconds, got ${typeName(v)}`)
  return v
}

/** Runs a native check, rethrowing its InvalidArgument as a RangeError (same code, same message). */
function nativeRange(f) {
  try {
    return f()
  } catch (e) {
    if (e && e.code === 'InvalidArgument') throw rangeError(e.message)
    throw e
  }
}

/**
 * A wait in seconds for the JS-side wait loops, checked by the core's rule for durations;
 * Infinity (only if `infinite`) is this door's spelling of "no timeout" and is passed through.
 */
function waitArg(v, dflt, what, infinite) {
  const s = secondsArg(v, dflt, what)
  if (infinite && s === Infinity) return s
  return nativeRange(() => native._waitSecs(what, s))
}

/** The pause in ms between two tries of Lock.acquire's loop: the core's rule and floor. */
function retryPauseArg(v, dflt) {
  const s = secondsArg(v, dflt, 'retryInterval')
  return nativeRange(() => native._retryPauseMs(s))
}

/** A whole number from 0 to 2^53-1 (a safe-integer number or a bigint in that range). */
function countArg(v, dflt, what) {
  if (v === undefined && dflt !== undefined) return dflt
  if (typeof v === 'bigint') {
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw rangeError(`${what} must be a whole number from 0 to 2^53-1, got ${v}`)
    }
    return Number(v)
  }
  if (typeof v !== 'number') throw typeError(`${what} must be a whole number, got ${typeName(v)}`)
  if (!Number.isSafeInteger(v) || v < 0) throw rangeError(`${what} must be a whole number from 0 to 2^53-1, got ${v}`)
  return v
}

/** An optional AbortSignal. */
function signalArg(v) {
  if (v === undefined || v === null) return undefined
  if (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) return v
  throw typeError(`signal must be an AbortSignal, got ${typeName(v)}`)
}

/** A score or delta: any number (NaN and ±Infinity are left to the core: code 'InvalidArgument'). */
function scoreArg(v, what) {
  if (typeof v !== 'number') throw typeError(`${what} must be a number, got ${typeName(v)}`)
  return v
}

/** A job id: a safe-integer number, or a bigint in the unsigned 64-bit range. */
function jobIdArg(v) {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw rangeError(`job id must be a whole number from 0 to 2^53-1 (or a bigint), got ${v}`)
    }
    return v
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw rangeError(`job id ${v} does not fit in an unsigned 64-bit integer`)
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  throw typeError(`job id must be a number or a bigint, got ${typeName(v)}`)
}

/** A delay in seconds from `{ delay }` (validated further by the core); 0 when absent. */
function delayArg(opts) {
  const o = optsArg(opts, ['delay'])
  return secondsArg(o.delay, 0, 'delay')
}

/** A replacer refusing what JSON cannot represent faithfully (instead of JSON.stringify's silent drops). */
function jsonReplacer(what) {
  return function replacer(key, v) {
    const t = typeof v
    if (t === 'function' || t === 'symbol' || t === 'bigint' || (t === 'number' && !Number.isFinite(v))) {
      const where = key === '' ? '' : ` at key '${key}'`
      const held = t === 'number' ? String(v) : `a ${t}`
      throw typeError(`${what} holds ${held}${where}, which JSON cannot represent`)
    }
    if ((t === 'string' && !wellFormed(v)) || !wellFormed(key)) {
      throw typeError(`${what} holds a string that is not well-formed Unicode (a lone surrogate)`)
    }
    return v
  }
}

/**
 * Any JSON value as JSON text; TypeError (code 'InvalidArgument') for anything else. The one
 * JSON codec of the package: sessions and the CRDTs' values both go through it.
 */
function jsonArg(data, what = 'session data') {
  let text
  try {
    text = JSON.stringify(data, jsonReplacer(what))
  } catch (e) {
    if (e instanceof TypeError && e.code === undefined) {
      throw typeError(`${what} cannot be encoded as JSON: ${e.message}`)
    }
    throw e
  }
  if (text === undefined) throw typeError(`${what} must be a JSON value, got ${typeName(data)}`)
  return text
}

/** Parses JSON text the core returned (canonical JSON; null stays null). */
function jsonOut(text) {
  return text === null || text === undefined ? null : JSON.parse(text)
}

/** CRDT state or change-bundle bytes: a Buffer or Uint8Array (strings are refused). */
function stateArg(v, what) {
  if (Buffer.isBuffer(v)) return v
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw typeError(`${what} must be a Buffer or Uint8Array, got ${typeName(v)}`)
}

/** A whole number from 0 to 2^64-1: a safe-integer number, or a bigint. */
function u64Arg(v, what) {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw rangeError(`${what} must be a whole number from 0 to 2^53-1 (use a bigint for larger values), got ${v}`)
    }
    return v
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw rangeError(`${what} ${v} does not fit in an unsigned 64-bit integer`)
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  throw typeError(`${what} must be a number or a bigint, got ${typeName(v)}`)
}

/** A signed 64-bit integer: a safe-integer number, or a bigint. */
function i64Arg(v, what) {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw rangeError(`${what} must be an integer within ±(2^53-1) (use a bigint for larger values), got ${v}`)
    }
    return v
  }
  if (typeof v === 'bigint') {
    if (v < I64_MIN || v > I64_MAX) throw rangeError(`${what} ${v} does not fit in a signed 64-bit integer`)
    return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  throw typeError(`${what} must be a number or a bigint, got ${typeName(v)}`)
}

/** An optional max drift in seconds (validated further by the native layer). */
function maxDriftArg(v) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number') throw typeError(`maxDrift must be a number of seconds, got ${typeName(v)}`)
  return v
}

/** A sync report as plain numbers. */
function report(r) {
  return { pulled: r.pulled, pushed: r.pushed, merged: r.merged }
}

const TOKEN = Symbol('grovekv.internal')

/**
 * A delivered (or dead) job.
 * @template {number | bigint} [T=number]
 */
class Job {
  /**
   * Internal: jobs come from Queue.dequeue, dequeueWait and deadLetters.
   * @private
   */
  constructor(token, id, payload, attempts, enqueuedAt) {
    if (token !== TOKEN) throw new TypeError('jobs come from queue.dequeue()')
    /**
     * The job's id, unique in its queue.
     * @readonly
     * @type {T}
     */
    this.id = id
    /**
     * The bytes given to `enqueue`.
     * @readonly
     * @type {Buffer}
     */
    this.payload = payload
    /**
     * Deliveries so far, this one included.
     * @readonly
     * @type {number}
     */
    this.attempts = attempts
    /**
     * When the job was enqueued.
     * @readonly
     * @type {Date}
     */
    this.enqueuedAt = enqueuedAt
  }

  /**
   * The payload decoded as UTF-8.
   * @returns {string}
   */
  text() {
    return this.payload.toString('utf8')
  }

  /**
   * The payload parsed as JSON.
   * @template [J=JsonValue]
   * @returns {J}
   */
  json() {
    return JSON.parse(this.text())
  }
}

/** `Store.expire(key, ttl)` arguments: [key, ttl]. */
function expireArgs(key, ttl) {
  const k = bytesArg(key, 'key')
  if (typeof ttl !== 'number') throw typeError(`ttl must be a number of seconds, got ${typeName(ttl)}`)
  return [k, ttl]
}

/** `Store.keys(prefix, opts)` arguments: [prefix, buffers]. */
function keysArgs(prefix, opts) {
  const { buffers = false } = optsArg(opts, ['buffers'])
  return [bytesArg(prefix, 'prefix'), Boolean(buffers)]
}

/** `Store.getMany(keys)`: an array or iterable of keys, as an array. */
function manyKeysArg(keys) {
  if (keys === null || typeof keys !== 'object' || typeof keys[Symbol.iterator] !== 'function') {
    throw typeError(`keys must be an array or iterable of keys, got ${typeName(keys)}`)
  }
  return Array.from(keys, (k) => bytesArg(k, 'key'))
}

/** `Store.setMany(entries)`: an object, a Map or [key, value] pairs, as [keys, values]. */
function entriesArg(entries) {
  const keys = []
  const values = []
  if (entries instanceof Map || Array.isArray(entries)) {
    for (const pair of entries) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw typeError(`setMany entries must be [key, value] pairs, got ${typeName(pair)}`)
      }
      keys.push(bytesArg(pair[0], 'key'))
      values.push(bytesArg(pair[1], 'value'))
    }
  } else if (isPlainObject(entries)) {
    for (const [k, v] of Object.entries(entries)) {
      keys.push(textArg(k, 'key'))
      values.push(bytesArg(v, 'value'))
    }
  } else {
    throw typeError(`setMany needs an object, a Map or an array of [key, value] pairs, got ${typeName(entries)}`)
  }
  return [keys, values]
}

/** `{ bigint }` options (of counter, crdtCounter, lockInfo) as a boolean. */
function bigintOpt(opts) {
  const { bigint = false } = optsArg(opts, ['bigint'])
  return Boolean(bigint)
}

/** `Store.lock(name, opts)` arguments: [name, ttl, bigint]; `opts` is a ttl or `{ ttl = 10, bigint }`. */
function lockArgs(name, opts) {
  const o = typeof opts === 'number' ? { ttl: opts } : optsArg(opts, ['ttl', 'bigint'])
  const ttl = secondsArg(o.ttl, 10, 'ttl')
  return [stringArg(name, 'lock name'), ttl, Boolean(o.bigint)]
}

/** A native lock info as `{ held, fencingToken, expiresIn }` under the number policy. */
function lockInfoOut(i, bigint) {
  return {
    held: i.held,
    fencingToken: u64Out(i.fencingToken, bigint, 'fencing token', 'use lockInfo(name, { bigint: true })'),
    expiresIn: i.expiresIn ?? null,
  }
}

/** `Lock.acquire(opts)` arguments: [timeout s, retry ms, signal]; throws if `signal` is aborted already. */
function acquireArgs(opts) {
  const o = optsArg(opts, ['timeout', 'retryInterval', 'signal'])
  const timeout = waitArg(o.timeout, 0, 'timeout', true)
  const retryMs = retryPauseArg(o.retryInterval, 0.05)
  const signal = signalArg(o.signal)
  if (signal) signal.throwIfAborted()
  return [timeout, retryMs, signal]
}

/**
 * `store.withLock(name, opts, fn)` for either API: acquires `store.lock(name)` (rejecting with
 * code 'LockTimeout'), runs `await fn(lock)` and always releases, also when `fn` throws.
 */
async function withLock(store, name, opts, fn) {
  if (fn === undefined && typeof opts === 'function') {
    fn = opts
    opts = undefined
  }
  const o = optsArg(opts, ['ttl', 'timeout', 'retryInterval', 'signal', 'bigint'])
  if (typeof fn !== 'function') throw typeError(`withLock needs a function, got ${typeName(fn)}`)
  const lock = store.lock(name, { ttl: o.ttl, bigint: o.bigint })
  const timeout = o.timeout ?? 0
  if (!(await lock.acquire({ timeout, retryInterval: o.retryInterval, signal: o.signal }))) {
    const e = new Error(`could not acquire lock '${name}' within ${timeout} s`)
    e.code = 'LockTimeout'
    throw e
  }
  let result
  try {
    result = await fn(lock)
  } catch (err) {
    try {
      await lock.release()
    } catch {
      // the callback's error is the one to report
    }
    throw err
  }
  await lock.release()
  return result
}

/** `Store.rateLimiter(name, opts)` arguments: [name, limit, window]. */
function rateLimiterArgs(name, opts) {
  if (opts === undefined || opts === null) throw typeError('rateLimiter needs { limit, window }')
  const o = optsArg(opts, ['limit', 'window'])
  const n = stringArg(name, 'rate limiter name')
  if (o.limit === undefined || o.limit === null) throw typeError('limit is required (a whole number)')
  const limit = countArg(o.limit, undefined, 'limit')
  const window = secondsArg(o.window, undefined, 'window')
  return [n, limit, window]
}

/** `Store.sessions(opts)` arguments: [ttl, prefix]. */
function sessionsArgs(opts) {
  const o = optsArg(opts, ['ttl', 'prefix'])
  const ttl = secondsArg(o.ttl, 1800, 'ttl')
  const prefix = o.prefix === undefined || o.prefix === null ? 'sess' : stringArg(o.prefix, 'prefix')
  return [ttl, prefix]
}

/** `Store.queue(name, opts)` arguments: [name, visibilityTimeout, maxAttempts, bigint]. */
function queueArgs(name, opts) {
  const o = optsArg(opts, ['visibilityTimeout', 'maxAttempts', 'bigint'])
  const n = stringArg(name, 'queue name')
  const vt = secondsArg(o.visibilityTimeout, 30, 'visibilityTimeout')
  const max = countArg(o.maxAttempts ?? undefined, 5, 'maxAttempts')
  return [n, vt, max, Boolean(o.bigint)]
}

/** `Queue.dequeueWait(opts)` arguments: [timeout s, signal]; throws if `signal` is aborted already. */
function dequeueWaitArgs(opts) {
  const o = optsArg(opts, ['timeout', 'signal'])
  const timeout = waitArg(o.timeout, Infinity, 'timeout', true)
  const signal = signalArg(o.signal)
  if (signal) signal.throwIfAborted()
  return [timeout, signal]
}

/** `Store.exportChanges(opts)` arguments: [since, bigint]; `opts` is a cursor or `{ since, bigint }`. */
function exportArgs(opts) {
  const o = typeof opts === 'number' || typeof opts === 'bigint' ? { since: opts } : optsArg(opts, ['since', 'bigint'])
  const since = o.since === undefined || o.since === null ? 0 : u64Arg(o.since, 'since')
  return [since, Boolean(o.bigint)]
}

/** A native change bundle as `{ data, cursor }` under the number policy. */
function changesOut(r, bigint) {
  const cursor = u64Out(r.cursor, bigint, 'cursor', 'use exportChanges({ since, bigint: true })')
  return { data: r.data, cursor }
}

/** The threshold of `compress: true` when `compressMinBytes` is not given (API.md). */
const DEFAULT_COMPRESS_MIN_BYTES = 1024

/** An encryption key: a Buffer or Uint8Array (its length is the core's to check). */
function keyArg(v, what) {
  if (Buffer.isBuffer(v)) return v
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw typeError(`${what} must be a Buffer or Uint8Array, got ${typeName(v)}`)
}

/**
 * The native arguments [compressMinBytes, encryptionKey, oldEncryptionKeys] of the options
 * `compress`, `compressMinBytes`, `encryptionKey` and `oldEncryptionKeys`.
 */
function codecArgs(o) {
  if (o.compress !== undefined && o.compress !== null && typeof o.compress !== 'boolean') {
    throw typeError(`compress must be a boolean, got ${typeName(o.compress)}`)
  }
  let min = DEFAULT_COMPRESS_MIN_BYTES
  if (o.compressMinBytes !== undefined && o.compressMinBytes !== null) {
    if (typeof o.compressMinBytes !== 'number') {
      throw typeError(`compressMinBytes must be a number of bytes, got ${typeName(o.compressMinBytes)}`)
    }
    if (!Number.isSafeInteger(o.compressMinBytes) || o.compressMinBytes < 0) {
      throw rangeError(`compressMinBytes must be a whole number of bytes >= 0, got ${o.compressMinBytes}`)
    }
    min = o.compressMinBytes
  }
  const key = o.encryptionKey === undefined || o.encryptionKey === null ? undefined : keyArg(o.encryptionKey, 'encryptionKey')
  let old
  if (o.oldEncryptionKeys !== undefined && o.oldEncryptionKeys !== null) {
    if (!Array.isArray(o.oldEncryptionKeys)) {
      throw typeError(`oldEncryptionKeys must be an array of keys, got ${typeName(o.oldEncryptionKeys)}`)
    }
    old = o.oldEncryptionKeys.map((k, i) => keyArg(k, `oldEncryptionKeys[${i}]`))
  }
  return [o.compress ? min : undefined, key, old]
}

const CODEC_OPTIONS = ['compress', 'compressMinBytes', 'encryptionKey', 'oldEncryptionKeys']

/**
 * `open(path, opts)` arguments for the native open: [path, nodeId, durable, flushEveryMs, maxDrift,
 * connectTimeoutMs, replyTimeoutMs, compressMinBytes, encryptionKey, oldEncryptionKeys].
 */
function openArgs(path, opts) {
  if (path instanceof URL) path = fileURLToPath(path)
  stringArg(path, 'path')
  const o = optsArg(opts, ['nodeId', 'durable', 'flushEveryMs', 'maxDrift', 'connectTimeoutMs', 'replyTimeoutMs', ...CODEC_OPTIONS])
  if (o.durable !== undefined && o.durable !== null && typeof o.durable !== 'boolean') {
    throw typeError(`durable must be a boolean, got ${typeName(o.durable)}`)
  }
  if (o.flushEveryMs !== undefined && o.flushEveryMs !== null && typeof o.flushEveryMs !== 'number') {
    throw typeError(`flushEveryMs must be a number, got ${typeName(o.flushEveryMs)}`)
  }
  for (const what of ['connectTimeoutMs', 'replyTimeoutMs']) {
    if (o[what] !== undefined && o[what] !== null && typeof o[what] !== 'number') {
      throw typeError(`${what} must be a number of milliseconds, got ${typeName(o[what])}`)
    }
  }
  const drift = maxDriftArg(o.maxDrift)
  return [
    path,
    nodeIdArg(o.nodeId),
    o.durable ?? undefined,
    o.flushEveryMs ?? undefined,
    drift,
    o.connectTimeoutMs ?? undefined,
    o.replyTimeoutMs ?? undefined,
    ...codecArgs(o),
  ]
}

/**
 * `openMemory(opts)` arguments for the native openMemory: [nodeId, maxDrift, compressMinBytes,
 * encryptionKey, oldEncryptionKeys].
 */
function openMemoryArgs(opts) {
  const o = optsArg(opts, ['nodeId', 'maxDrift', ...CODEC_OPTIONS])
  return [nodeIdArg(o.nodeId), maxDriftArg(o.maxDrift), ...codecArgs(o)]
}

/** The error of a use after `close()` (for the checks made in JS). */
function closedError() {
  const e = new Error('the store handle is closed')
  e.code = 'Closed'
  return e
}

/** Constant pauses of `ms` between two tries (Lock.acquire's retryInterval). */
function* every(ms) {
  for (;;) yield ms
}

/** Pauses of 1 ms doubling to MAX_POLL_MS between two tries (Queue.dequeueWait). */
function* backoff() {
  for (let ms = 1; ; ms = Math.min(ms * 2, MAX_POLL_MS)) yield ms
}

/**
 * Tries `attempt` (sync or async) until it gives a truthy result, which it resolves, or until
 * `timeout` seconds have passed, when it resolves the last falsy result. Between tries it waits
 * on a timer, never blocking the event loop or occupying a thread: `pauses` gives the ms of each
 * wait. An aborted `signal` rejects with its AbortError. The first try is made at once, before
 * the returned promise exists.
 */
async function retry(attempt, timeout, pauses, signal) {
  const deadline = performance.now() + timeout * 1000
  for (;;) {
    const got = await attempt()
    if (got) return got
    const left = deadline - performance.now()
    if (left <= 0) return got
    await delay(Math.min(pauses.next().value, left), undefined, signal ? { signal } : undefined)
  }
}

module.exports = {
  metricsOut,
  I64_MIN,
  I64_MAX,
  U64_MAX,
  KEYS_BATCH,
  TOKEN,
  errorCodes,
  typeError,
  rangeError,
  typeName,
  textArg,
  isPlainObject,
  bytesArg,
  expectedArg,
  ttlArg,
  optsArg,
  stringArg,
  sessionIdArg,
  nodeIdArg,
  bigArg,
  outOfRange,
  tooBig,
  u64Out,
  secondsArg,
  waitArg,
  countArg,
  signalArg,
  scoreArg,
  jobIdArg,
  delayArg,
  jsonArg,
  jsonOut,
  stateArg,
  u64Arg,
  i64Arg,
  maxDriftArg,
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
}
