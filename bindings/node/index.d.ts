// Type declarations for grovekv (hand-written for the public layer in index.js; the native
// layer's declarations are generated into native.d.ts by `napi build`; grovekv.promises is
// declared in promises.d.ts).

import * as promises from './promises'

/** The same API with every operation returning a Promise, its work off the event loop (like `fs.promises`). */
export { promises }

/** A key or value: strings are encoded UTF-8 (a lone surrogate is a TypeError with code 'InvalidArgument'). */
export type Bytes = string | Buffer | Uint8Array

/** Every Grove error kind; a Grove error's `code` is one of these. */
export type ErrorCode =
  | 'NotFound'
  | 'WrongType'
  | 'InvalidArgument'
  | 'Overflow'
  | 'Closed'
  | 'StoreLocked'
  | 'LockTimeout'
  | 'ClockDrift'
  | 'Corrupt'
  | 'Io'
  | 'Internal'

/** An error thrown by Grove: an `Error` (or TypeError/RangeError for bad arguments) with `code`. */
export interface GroveError extends Error {
  code: ErrorCode
}

/** Every Grove error kind, in the order of the C ABI codes 1..11. */
export declare const errorCodes: readonly ErrorCode[]

/** The version of the Grove core the addon was built with. */
export declare const coreVersion: string

/** Options of `open`. */
export interface OpenOptions {
  /** This replica's id for CRDTs (1-64 chars of [A-Za-z0-9._:-]); generated and persisted when absent. */
  nodeId?: string | null
  /** Fsync every write before it returns (default false: background flush). */
  durable?: boolean | null
  /** Milliseconds between background flushes when not durable (default 500). */
  flushEveryMs?: number | null
  /**
   * Seconds a remote CRDT stamp may lead the wall clock before a merge refuses it with code
   * 'ClockDrift' (default 60). Set for the whole engine: every handle of this path shares it.
   */
  maxDrift?: number | null
  /**
   * Milliseconds a `redis://` store waits for its server (default 5000) before an error with
   * code 'Io' naming the address; 0 or less, or the option on an engine with no server, is
   * 'InvalidArgument'.
   */
  connectTimeoutMs?: number | null
}

/** Options of `openMemory`. */
export interface MemoryOptions {
  /** This replica's id for CRDTs; generated when absent. */
  nodeId?: string | null
  /** Seconds a remote CRDT stamp may lead the wall clock (default 60). */
  maxDrift?: number | null
}

/** What `sync` and `Store.applyChanges` did, in CRDT keys. */
export interface SyncReport {
  /** Keys this side (`sync`: the first store) received that it did not have. */
  pulled: number
  /** Keys the other side received that it did not have (always 0 for `applyChanges`). */
  pushed: number
  /** Keys both sides had whose merge changed at least one side. */
  merged: number
}

/** What `Store.exportChanges` returns. */
export interface Changes<T extends number | bigint = number> {
  /** The bundle: bytes any transport can carry to `applyChanges` on another store. */
  data: Buffer
  /** The cursor to pass as `since` next time. */
  cursor: T
}

/** Options of `Store.exportChanges`. */
export interface ExportOptions {
  /** Only keys changed after this cursor (default 0: every CRDT key of this view). */
  since?: number | bigint | null
  /** Return the cursor as a bigint. */
  bigint?: boolean
}

/** A node's share of a CRDT counter. */
export interface Contribution<T extends number | bigint = number> {
  /** Its increments. */
  positive: T
  /** Its decrements. */
  negative: T
}

/** A TTL in seconds, or `{ ttl }`. */
export type TtlOption = number | { ttl?: number | null } | null | undefined

/** Options of `Store.counter`. */
export interface CounterOptions {
  /** Return bigints instead of numbers (exact over the whole signed 64-bit range). */
  bigint?: boolean
}

/** Options of `Store.keys`. */
export interface KeysOptions {
  /** Yield Buffers instead of UTF-8 strings. */
  buffers?: boolean
}

/** Options of `Store.lock`. */
export interface LockOptions {
  /** Lease length in seconds (default 10); a lease ends then unless extended. */
  ttl?: number | null
  /** Return the fencing token as a bigint (exact over the whole unsigned 64-bit range). */
  bigint?: boolean
}

/** Options of `Lock.acquire`. */
export interface AcquireOptions {
  /** Seconds to keep trying (default 0: one attempt; `Infinity` waits for ever). */
  timeout?: number | null
  /** Seconds between attempts (default 0.05, at least 1 ms); waiting is on a timer, never blocking. */
  retryInterval?: number | null
  /** Aborting it rejects the pending acquire with the signal's AbortError. */
  signal?: AbortSignal | null
}

/** Options of `Store.withLock`. */
export interface WithLockOptions extends AcquireOptions, LockOptions {}

/** One operation's metrics, a value of `Store.metrics()`. */
export interface OpMetrics {
  /** Calls made through this handle (exact, failed ones included). */
  count: number
  /** Calls that threw a Grove error (exact). */
  errors: number
  /** Median latency in microseconds over the timed calls (one in 16, the first always). */
  p50Us: number
  /** 99th percentile latency in microseconds over the timed calls. */
  p99Us: number
}

/** What `Store.lockInfo` returns. */
export interface LockInfo<T extends number | bigint = number> {
  /** Whether some owner holds an unexpired lease now. */
  held: boolean
  /** The fencing token of the latest acquisition (0 if never acquired). */
  fencingToken: T
  /** Seconds left on the current lease, null when not held. */
  expiresIn: number | null
}

/** Options of `Store.rateLimiter`. */
export interface RateLimiterOptions {
  /** Most summed cost admitted in any window-long interval, per key (a whole number >= 1). */
  limit: number | bigint
  /** Window length in seconds (at least 0.001). */
  window: number
}

/** The outcome of `RateLimiter.allow` / `peek`; times in seconds. */
export interface Decision {
  /** Whether the request was admitted (for `peek`: whether a cost-1 request would be). */
  allowed: boolean
  /** Cost that could still be admitted right now. */
  remaining: number
  /** Seconds until everything admitted so far has left the window (full capacity again). */
  resetAfter: number
  /** When refused: seconds until this request's cost would fit; 0 when allowed. */
  retryAfter: number
}

/** Options of `Store.sessions`. */
export interface SessionsOptions {
  /** Sliding TTL in seconds (default 1800), restarted by `update` and `touch`. */
  ttl?: number | null
  /** Key prefix (default 'sess': keys `sess:<id>`). */
  prefix?: string | null
}

/** A leaderboard entry, as `top`, `range` and `around` return it. */
export interface Ranked {
  /** The member. */
  member: string
  /** Its score. */
  score: number
  /** Its position: 0 for the highest score; ties are ordered by member. */
  rank: number
}

/** Options of `Store.queue`. */
export interface QueueOptions {
  /** Seconds a delivered job stays invisible before it is delivered again (default 30, > 0). */
  visibilityTimeout?: number | null
  /** Deliveries after which an unacked job moves to the dead-letter list (default 5, >= 1). */
  maxAttempts?: number | bigint | null
  /** Give job ids as bigints (exact over the whole unsigned 64-bit range). */
  bigint?: boolean
}

/** Options of `Queue.enqueue` and `Queue.nack`. */
export interface DelayOptions {
  /** Seconds before the job can be delivered (default 0). */
  delay?: number | null
}

/** Options of `Queue.dequeueWait`. */
export interface DequeueWaitOptions {
  /** Seconds to wait for a job (default `Infinity`); polling is on timers, never blocking. */
  timeout?: number | null
  /** Aborting it rejects the pending wait with the signal's AbortError. */
  signal?: AbortSignal | null
}

/** Counts of a queue's jobs by state. */
export interface QueueStats {
  /** Waiting for delivery (delayed jobs included). */
  ready: number
  /** Delivered and not yet acked or nacked (one past its visibility timeout stays here until redelivered). */
  inFlight: number
  /** On the dead-letter list. */
  dead: number
}

/** A JSON value: what a session, a CRDT register, set member or map field holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * Opens (creating if needed) the store at `path` (`./data`, `sled:./data`, `lmdb:./data`,
 * `memory:`, `redis://host:port[/db]`); a path already open in this process shares its engine.
 */
export declare function open(path: string | URL, options?: OpenOptions): Store

/** Opens a fresh in-memory store (same semantics, nothing on disk). */
export declare function openMemory(options?: MemoryOptions): Store

/** A store handle or a namespaced view of one. */
export declare class Store {
  private constructor()
  /** This replica's persisted id (used by CRDTs). */
  readonly nodeId: string
  /** The store directory, or null for a store without one (`memory:`, `redis://`). */
  readonly path: string | null
  /** The key prefix this view adds (`'tenant-a:'`), '' for the root handle. */
  readonly prefix: string
  /** Whether every write is fsynced before it returns. */
  readonly durable: boolean
  /** Whether this handle (or the handle this view came from) has been closed. */
  readonly closed: boolean
  /** Closes this handle and everything made from it (views, counters, locks, limiters, sessions, leaderboards, queues, CRDTs); closing twice is fine. */
  close(): void
  /** Makes every write so far durable; returns when fsynced. */
  flush(): void
  /** This handle's metrics by operation (`'counter.increment'`, `'kv.get'`, …): its views' and primitives' calls too. */
  metrics(): Record<string, OpMetrics>
  /** `metrics()` in the Prometheus text exposition format. */
  metricsPrometheus(): string
  /** Bytes the store occupies on disk (0 in memory). */
  sizeOnDisk(): number
  /** A view whose every key is prefixed with `name:`. */
  namespace(name: string): Store
  /** The bytes at `key`, or null when absent or expired; code 'WrongType' if it holds a counter. */
  get(key: Bytes): Buffer | null
  /** Stores `value` at `key`, expiring after `ttl` seconds if given (a number or `{ ttl }`). */
  set(key: Bytes, value: Bytes, ttl?: TtlOption): void
  /** Removes `key` whatever it holds; true if a live key was removed. */
  delete(key: Bytes): boolean
  /** Stores `value` at `key` only if it holds nothing live (Redis SET NX); true if it wrote. */
  setIfAbsent(key: Bytes, value: Bytes, ttl?: TtlOption): boolean
  /** Replaces the bytes at `key` only if there are some (Redis SET XX); true if it wrote. */
  setIfPresent(key: Bytes, value: Bytes, ttl?: TtlOption): boolean
  /** Stores `value` only if `key` holds exactly `expected` (null: nothing live); true if it wrote. */
  compareAndSet(key: Bytes, expected: Bytes | null, value: Bytes, ttl?: TtlOption): boolean
  /** Stores `value` at `key` and returns the bytes it replaced, or null (Redis GETSET). */
  getSet(key: Bytes, value: Bytes, ttl?: TtlOption): Buffer | null
  /** Removes `key` and returns the bytes it held, or null (Redis GETDEL). */
  getDelete(key: Bytes): Buffer | null
  /** Whether `key` holds a live value of any kind. */
  exists(key: Bytes): boolean
  /** What `key` holds ('string', 'counter', …) or null. */
  kindOf(key: Bytes): string | null
  /** Sets `key` to expire after `ttl` seconds (0 deletes it now); false when absent. */
  expire(key: Bytes, ttl: number): boolean
  /** Removes the expiry of `key`; true if it had one. */
  persist(key: Bytes): boolean
  /** Seconds left before `key` expires, null without expiry; throws code 'NotFound' when absent. */
  ttl(key: Bytes): number | null
  /** A lazy iterator over live keys starting with `prefix`, in byte order (strings, or Buffers with `{ buffers: true }`). */
  keys(prefix?: Bytes, options?: { buffers?: false }): IterableIterator<string>
  keys(prefix: Bytes, options: { buffers: true }): IterableIterator<Buffer>
  /** Values of several keys (Buffer or null each), read as one consistent snapshot. */
  getMany(keys: Iterable<Bytes>): Array<Buffer | null>
  /** Stores every pair atomically (all or nothing), each expiring after `ttl` if given. */
  setMany(
    entries: Record<string, Bytes> | Map<Bytes, Bytes> | Array<[Bytes, Bytes]>,
    ttl?: TtlOption,
  ): void
  /** Removes every expired key in this view now; returns how many were removed. */
  purgeExpired(): number
  /** A would-be owner of the lock `name` (key `lock:<name>`); `ttl` seconds or `{ ttl = 10 }`. */
  lock(name: string, options?: number | (LockOptions & { bigint?: false }) | null): Lock<number>
  /** The same, with the fencing token as a bigint. */
  lock(name: string, options: LockOptions & { bigint: true }): Lock<bigint>
  /** The state of lock `name` as any observer sees it. */
  lockInfo(name: string, options?: { bigint?: false }): LockInfo<number>
  lockInfo(name: string, options: { bigint: true }): LockInfo<bigint>
  /**
   * Acquires lock `name`, runs `await fn(lock)` and always releases (also when `fn` throws);
   * resolves to what `fn` returns. Rejects with code 'LockTimeout' if not acquired within `timeout`.
   */
  withLock<R>(name: string, fn: (lock: Lock<number>) => R | PromiseLike<R>): Promise<R>
  withLock<R>(
    name: string,
    options: (WithLockOptions & { bigint?: false }) | null | undefined,
    fn: (lock: Lock<number>) => R | PromiseLike<R>,
  ): Promise<R>
  withLock<R>(
    name: string,
    options: WithLockOptions & { bigint: true },
    fn: (lock: Lock<bigint>) => R | PromiseLike<R>,
  ): Promise<R>
  /** A sliding-window rate limiter `name` (keys under `ratelimit:<name>:`; `name` may not contain ':'). */
  rateLimiter(name: string, options: RateLimiterOptions): RateLimiter
  /** A session store of JSON values with keys `<prefix>:<id>` and a sliding TTL. */
  sessions(options?: SessionsOptions): Sessions
  /** The leaderboard `name` (members at `lb:<name>:<member>`; `name` may not contain ':'). */
  leaderboard(name: string): Leaderboard
  /** The job queue `name` (keys under `queue:<name>:`; `name` may not contain ':'), with number ids. */
  queue(name: string, options?: (QueueOptions & { bigint?: false }) | null): Queue<number>
  /** The job queue `name`, with bigint ids. */
  queue(name: string, options: QueueOptions & { bigint: true }): Queue<bigint>
  /** The atomic counter `name` (key `counter:<name>`), returning numbers. */
  counter(name: string, options?: { bigint?: false }): Counter<number>
  /** The atomic counter `name`, returning bigints. */
  counter(name: string, options: { bigint: true }): Counter<bigint>
  /** The PN-counter CRDT at `key` (no prefix added), returning numbers. */
  crdtCounter(key: string, options?: { bigint?: false }): CrdtCounter<number>
  /** The PN-counter CRDT at `key`, returning bigints. */
  crdtCounter(key: string, options: { bigint: true }): CrdtCounter<bigint>
  /** The last-writer-wins register CRDT of a JSON value at `key`. */
  crdtRegister<V = JsonValue>(key: string): CrdtRegister<V>
  /** The add-wins set CRDT of JSON values at `key`. */
  crdtSet<V = JsonValue>(key: string): CrdtSet<V>
  /** The map CRDT of last-writer-wins fields holding JSON values at `key`. */
  crdtMap<V = JsonValue>(key: string): CrdtMap<V>
  /**
   * The CRDT keys of this view changed since the cursor `since` (default 0: all), as a bundle
   * for `applyChanges` on another store, and the cursor to pass next time.
   */
  exportChanges(options?: number | bigint | (ExportOptions & { bigint?: false }) | null): Changes<number>
  exportChanges(options: ExportOptions & { bigint: true }): Changes<bigint>
  /**
   * Merges a bundle from `exportChanges` (of any store) into this view. Every entry is checked
   * first; one refused entry (code 'WrongType', 'ClockDrift', 'Corrupt') means nothing is applied.
   */
  applyChanges(data: Buffer | Uint8Array): SyncReport
  /** Seconds a remote CRDT stamp may lead the wall clock before a merge refuses it (code 'ClockDrift'). */
  readonly maxDrift: number
  /** Sets `maxDrift` (seconds, default 60) for every handle of this store's engine. */
  setMaxDrift(seconds: number): void
  /** `using db = open(path)` closes the store at the end of the block. */
  [Symbol.dispose](): void
}

/**
 * An atomic signed 64-bit counter. `Counter<number>` returns numbers and throws a RangeError
 * (code 'ERR_OUT_OF_RANGE', `value` = the exact bigint) for results outside ±(2^53-1);
 * `Counter<bigint>` returns exact bigints. Both accept numbers (safe integers) and bigints.
 */
export declare class Counter<T extends number | bigint = number> {
  private constructor()
  /** The key this counter lives at (`counter:<name>`). */
  readonly key: string
  /** Whether this counter returns bigints. */
  readonly bigint: boolean
  /** Adds `delta` (default 1, may be negative) and returns the new value; code 'Overflow' past 64 bits. */
  increment(delta?: number | bigint): T
  /** Subtracts `delta` (default 1) and returns the new value. */
  decrement(delta?: number | bigint): T
  /** Subtracts `delta` (default 1, 0 or more) only if the value stays >= `floor` (default 0); the new value, or null when refused. */
  tryDecrement(delta?: number | bigint, floor?: number | bigint): T | null
  /** Adds `delta` (default 1, 0 or more) only if the value stays <= `cap` (default 2^63-1); the new value, or null when refused. */
  tryIncrement(delta?: number | bigint, cap?: number | bigint): T | null
  /** The current value (0 when unset). */
  get(): T
  /** Sets the value. */
  set(value: number | bigint): void
  /** Sets the value to 0. */
  reset(): void
}

/**
 * A would-be owner of a distributed lock. Ownership is a random token per acquisition:
 * `release`/`extend` by anyone but the current owner change nothing and return false.
 * `Lock<number>` gives the fencing token as a number (exact; it would need 2^53 acquisitions
 * to pass 2^53-1, and then throws a RangeError); `Lock<bigint>` as a bigint.
 */
export declare class Lock<T extends number | bigint = number> {
  private constructor()
  /** The key this lock lives at (`lock:<name>`). */
  readonly key: string
  /** The lease length in seconds. */
  readonly ttl: number
  /** The fencing token of this object's latest successful acquire (0 before the first); strictly increasing per lock. */
  readonly fencingToken: T
  /** One synchronous attempt; true if acquired. */
  tryAcquire(): boolean
  /** Tries until `timeout` seconds pass, on timers (never blocking the event loop); resolves false on timeout. */
  acquire(options?: AcquireOptions): Promise<boolean>
  /** Releases if this object still owns an unexpired lease; false (and no change) otherwise. */
  release(): boolean
  /** Makes the lease end `ttl` seconds from now if this object still owns it; false otherwise. */
  extend(ttl: number): boolean
  /** Whether this object owns the lock now. */
  held(): boolean
  /** `using` releases the (acquired) lock at the end of the block. */
  [Symbol.dispose](): void
}

/** A sliding-window rate limiter: at most `limit` summed cost in any `window`-second interval, per key. */
export declare class RateLimiter {
  private constructor()
  /** The limiter's name. */
  readonly name: string
  /** The admitted cost per window. */
  readonly limit: number
  /** The window length in seconds. */
  readonly window: number
  /** Admits `cost` (default 1) for `key` if it fits, atomically; code 'InvalidArgument' if `cost > limit`. */
  allow(key: string, cost?: number | bigint): Decision
  /** What a cost-1 request for `key` would get now, recording nothing. */
  peek(key: string): Decision
  /** Forgets everything admitted for `key`; true if there was state. */
  reset(key: string): boolean
}

/**
 * A session store: ids are 256 bits from the OS CSPRNG as 43 URL-safe characters; data is any
 * JSON value (functions, symbols, bigints, non-finite numbers, cycles, strings with a lone
 * surrogate and a top-level `undefined` throw a TypeError with code 'InvalidArgument').
 */
export declare class Sessions {
  private constructor()
  /** The key prefix. */
  readonly prefix: string
  /** The sliding TTL in seconds. */
  readonly ttl: number
  /** Stores `data` under a new random id and returns the id. */
  create(data: unknown): string
  /** The data of a live session, or null (missing, expired, or a malformed id). */
  get<T = JsonValue>(id: string): T | null
  /** Replaces a live session's data and restarts its TTL; false if missing or expired (never recreated). */
  update(id: string, data: unknown): boolean
  /** Restarts a live session's TTL; false if missing or expired (never recreated). */
  touch(id: string): boolean
  /** Deletes a session; true if it was live. */
  delete(id: string): boolean
  /** Whether a session is live. */
  exists(id: string): boolean
}

/**
 * A leaderboard: members ranked by score, highest first, ties ordered by member (byte order).
 * Scores are finite numbers (NaN and ±Infinity throw code 'InvalidArgument'). Writing or deleting
 * a member's key through the key/value API throws code 'WrongType'; use `remove` and `clear`.
 */
export declare class Leaderboard {
  private constructor()
  /** The board's name. */
  readonly name: string
  /** The number of members. */
  readonly size: number
  /** Sets `member`'s score, adding the member if new. */
  add(member: string, score: number): void
  /** Adds `delta` to `member`'s score (from 0 if new); returns the new score. Code 'Overflow' past the finite range. */
  incr(member: string, delta: number): number
  /** `member`'s score, or null if absent. */
  score(member: string): number | null
  /** `member`'s rank (0 = highest), or null if absent. */
  rank(member: string): number | null
  /** The `n` highest members, best first. */
  top(n: number | bigint): Ranked[]
  /** Members ranked `start` (inclusive) to `stop` (exclusive), best first; no `stop` means to the end. */
  range(start: number | bigint, stop?: number | bigint | null): Ranked[]
  /** `member` with up to `n` members ranked above and `n` below; [] if absent. */
  around(member: string, n: number | bigint): Ranked[]
  /** Removes `member`; true if it was there. */
  remove(member: string): boolean
  /** Removes every member; returns how many there were. */
  clear(): number
}

/** A delivered (or dead) job. */
export declare class Job<T extends number | bigint = number> {
  private constructor()
  /** The job's id, unique in its queue. */
  readonly id: T
  /** The bytes given to `enqueue`. */
  readonly payload: Buffer
  /** Deliveries so far, this one included. */
  readonly attempts: number
  /** When the job was enqueued. */
  readonly enqueuedAt: Date
  /** The payload decoded as UTF-8. */
  text(): string
  /** The payload parsed as JSON. */
  json<J = JsonValue>(): J
}

/**
 * A FIFO job queue. A dequeued job is invisible until acked, nacked or its visibility timeout
 * passes; then it is delivered again with `attempts + 1`. After `maxAttempts` deliveries it moves
 * to the dead-letter list. No job is ever handed to two consumers at once. `Queue<number>` gives
 * ids as numbers (a RangeError past 2^53-1); `Queue<bigint>` as bigints.
 */
export declare class Queue<T extends number | bigint = number> {
  private constructor()
  /** The queue's name. */
  readonly name: string
  /** Seconds a delivered job stays invisible. */
  readonly visibilityTimeout: number
  /** Deliveries after which an unacked job is dead-lettered. */
  readonly maxAttempts: number
  /** Whether ids are bigints. */
  readonly bigint: boolean
  /** Adds a job deliverable after `delay` seconds (default 0); returns its id. */
  enqueue(payload: Bytes, options?: DelayOptions | null): T
  /** One synchronous attempt: the oldest ready job, or null. */
  dequeue(): Job<T> | null
  /** Waits up to `timeout` seconds for a job, on timers (never blocking the event loop); null on timeout. */
  dequeueWait(options?: DequeueWaitOptions | null): Promise<Job<T> | null>
  /** Marks a delivered job done; false if it is not in flight. */
  ack(id: number | bigint): boolean
  /** Gives a delivered job back, deliverable again after `delay` seconds; false if it is not in flight. */
  nack(id: number | bigint, options?: DelayOptions | null): boolean
  /** Counts of jobs by state. */
  stats(): QueueStats
  /** The dead-letter list, oldest first. */
  deadLetters(): Job<T>[]
}

/**
 * A PN-counter CRDT: per-node increment and decrement totals, merged by per-node maximum.
 * `CrdtCounter<number>` returns numbers and throws a RangeError (code 'ERR_OUT_OF_RANGE',
 * `value` = the exact bigint; the operation was applied) past ±(2^53-1); `CrdtCounter<bigint>`
 * returns bigints. Amounts are safe-integer numbers or bigints; a value leaving the signed 64-bit
 * range (or a node's totals leaving 64 bits) is code 'Overflow' and changes nothing.
 */
export declare class CrdtCounter<T extends number | bigint = number> {
  private constructor()
  /** The key this counter lives at. */
  readonly key: string
  /** Whether this counter returns bigints. */
  readonly bigint: boolean
  /** Adds `n` (default 1, >= 0) to this node's increments; returns the new value. */
  increment(n?: number | bigint): T
  /** Adds `n` (default 1, >= 0) to this node's decrements; returns the new value. */
  decrement(n?: number | bigint): T
  /** Adds a signed amount; returns the new value. */
  add(delta: number | bigint): T
  /** Increments minus decrements over all nodes (0 when unset). */
  value(): T
  /** Increments and decrements summed over all nodes. */
  totals(): Contribution<T>
  /** Each node's increments and decrements, keyed by node id. */
  contributions(): Record<string, Contribution<T>>
  /** Makes this node's net contribution 0 by a monotone update (it survives merges); returns the new value. */
  resetLocal(): T
  /** The versioned, type-tagged state bytes. */
  state(): Buffer
  /** Merges another replica's state bytes; true if this one changed. Code 'WrongType' for another CRDT's state, 'Corrupt' for bytes that are not one. */
  merge(state: Buffer | Uint8Array): boolean
}

/**
 * A last-writer-wins register of a JSON value (what JSON cannot hold is a TypeError with code
 * 'InvalidArgument'), ordered by hybrid logical clock, then node id.
 */
export declare class CrdtRegister<V = JsonValue> {
  private constructor()
  /** The key this register lives at. */
  readonly key: string
  /** Writes a JSON value, stamped by this node's clock. */
  set(value: V): void
  /** The current value, or null when never set. */
  get(): V | null
  /** The versioned, type-tagged state bytes. */
  state(): Buffer
  /** Merges another replica's state bytes; true if this one changed. Code 'ClockDrift' (nothing changed) for a stamp beyond `maxDrift`. */
  merge(state: Buffer | Uint8Array): boolean
}

/** An add-wins observed-remove set of JSON values; a member's identity is its canonical JSON. */
export declare class CrdtSet<V = JsonValue> {
  private constructor()
  /** The key this set lives at. */
  readonly key: string
  /** The number of members. */
  readonly size: number
  /** Adds a value; it wins over a concurrent remove that did not see it. */
  add(value: V): void
  /** Removes a value (the adds this replica has seen); true if it was present. */
  remove(value: V): boolean
  /** Whether the value is a member. */
  has(value: V): boolean
  /** Whether the value is a member (the same as `has`). */
  contains(value: V): boolean
  /** Every member, in canonical-JSON order. */
  members(): V[]
  /** Iterates over a snapshot of the members. */
  [Symbol.iterator](): IterableIterator<V>
  /** The versioned, type-tagged state bytes. */
  state(): Buffer
  /** Merges another replica's state bytes; true if this one changed. */
  merge(state: Buffer | Uint8Array): boolean
}

/** A map of independent last-writer-wins fields holding JSON values; a delete is a tombstone. */
export declare class CrdtMap<V = JsonValue> {
  private constructor()
  /** The key this map lives at. */
  readonly key: string
  /** Sets `field` (a non-empty string) to a JSON value. */
  set(field: string, value: V): void
  /** The value of `field`, or null when it has none. */
  get(field: string): V | null
  /** Deletes `field` (an older concurrent set will not bring it back); true if it had a value. */
  delete(field: string): boolean
  /** The names of the fields that have a value, in order. */
  keys(): string[]
  /** Every field that has a value. */
  all(): Record<string, V>
  /** The versioned, type-tagged state bytes. */
  state(): Buffer
  /** Merges another replica's state bytes; true if this one changed. */
  merge(state: Buffer | Uint8Array): boolean
}

/**
 * Merges every CRDT of `a` and `b` both ways. A second sync reports zeros. Two handles of one
 * store, or two stores with the same node id: code 'InvalidArgument'.
 */
export declare function sync(a: Store, b: Store): SyncReport

declare const grovekv: {
  open: typeof open
  openMemory: typeof openMemory
  Store: typeof Store
  Counter: typeof Counter
  Lock: typeof Lock
  RateLimiter: typeof RateLimiter
  Sessions: typeof Sessions
  Leaderboard: typeof Leaderboard
  Queue: typeof Queue
  Job: typeof Job
  CrdtCounter: typeof CrdtCounter
  CrdtRegister: typeof CrdtRegister
  CrdtSet: typeof CrdtSet
  CrdtMap: typeof CrdtMap
  sync: typeof sync
  errorCodes: typeof errorCodes
  coreVersion: typeof coreVersion
  promises: typeof promises
}
export default grovekv
