// Type declarations for grovekv/promises (`require('grovekv').promises`): the API of grovekv with
// every operation returning a Promise whose work runs off the event loop. Option and result
// shapes are the synchronous API's (index.d.ts); constructors of handles and getters of fixed
// properties stay synchronous, as they do no I/O.

import type {
  Bytes,
  ErrorCode,
  OpenOptions,
  MemoryOptions,
  SyncReport,
  Changes,
  ExportOptions,
  Contribution,
  TtlOption,
  LockOptions,
  AcquireOptions,
  WithLockOptions,
  LockInfo,
  OpMetrics,
  RateLimiterOptions,
  Decision,
  SessionsOptions,
  Ranked,
  QueueOptions,
  DelayOptions,
  DequeueWaitOptions,
  QueueStats,
  JsonValue,
  Job,
} from './index'

export type {
  Bytes,
  ErrorCode,
  GroveError,
  OpenOptions,
  MemoryOptions,
  SyncReport,
  Changes,
  ExportOptions,
  Contribution,
  TtlOption,
  CounterOptions,
  KeysOptions,
  LockOptions,
  AcquireOptions,
  WithLockOptions,
  LockInfo,
  OpMetrics,
  RateLimiterOptions,
  Decision,
  SessionsOptions,
  Ranked,
  QueueOptions,
  DelayOptions,
  DequeueWaitOptions,
  QueueStats,
  JsonValue,
} from './index'
export { Job } from './index'

/** Every Grove error kind, in the order of the C ABI codes 1..11. */
export declare const errorCodes: readonly ErrorCode[]

/** The version of the Grove core the addon was built with. */
export declare const coreVersion: string

/**
 * Opens (creating if needed) the store at `path` (`./data`, `sled:./data`, `lmdb:./data`,
 * `memory:`, `redis://host:port[/db]`) on a pool thread, the event loop free meanwhile; a path
 * already open in this process shares its engine.
 */
export declare function open(path: string | URL, options?: OpenOptions): Promise<Store>

/** Opens a fresh in-memory store (same semantics, nothing on disk). */
export declare function openMemory(options?: MemoryOptions): Promise<Store>

/**
 * A store handle or a namespaced view of one whose operations return Promises. Bad arguments,
 * Grove errors and a closed handle reject (with the same error classes and codes the
 * synchronous API throws); the constructors of handles (`namespace`, `counter`, `lock`, …) and
 * `keys` throw, as they run no I/O.
 */
export declare class Store {
  private constructor()
  /** This replica's persisted id (used by CRDTs). */
  readonly nodeId: string
  /** The store directory, or null for a store without one (`memory:`, `redis://`). */
  readonly path: string | null
  /** The key prefix this view adds (`'tenant-a:'`), '' for the root handle. */
  readonly prefix: string
  /** Whether every write is fsynced before it resolves. */
  readonly durable: boolean
  /** Whether this handle (or the handle this view came from) has been closed. */
  readonly closed: boolean
  /** Closes this handle and everything made from it; closing twice is fine. */
  close(): Promise<void>
  /** Makes every write so far durable; resolves when fsynced. */
  flush(): Promise<void>
  /** This handle's metrics by operation (`'counter.increment'`, `'kv.get'`, …): its views' and primitives' calls too. */
  metrics(): Promise<Record<string, OpMetrics>>
  /** `metrics()` in the Prometheus text exposition format. */
  metricsPrometheus(): Promise<string>
  /** Bytes the store occupies on disk (0 in memory). */
  sizeOnDisk(): Promise<number>
  /** A view whose every key is prefixed with `name:`. */
  namespace(name: string): Store
  /** The bytes at `key`, or null when absent or expired. */
  get(key: Bytes): Promise<Buffer | null>
  /** Stores `value` at `key`, expiring after `ttl` seconds if given (a number or `{ ttl }`). */
  set(key: Bytes, value: Bytes, ttl?: TtlOption): Promise<void>
  /** Removes `key` whatever it holds; true if a live key was removed. */
  delete(key: Bytes): Promise<boolean>
  /** Stores `value` at `key` only if it holds nothing live (Redis SET NX); true if it wrote. */
  setIfAbsent(key: Bytes, value: Bytes, ttl?: TtlOption): Promise<boolean>
  /** Replaces the bytes at `key` only if there are some (Redis SET XX); true if it wrote. */
  setIfPresent(key: Bytes, value: Bytes, ttl?: TtlOption): Promise<boolean>
  /** Stores `value` only if `key` holds exactly `expected` (null: nothing live); true if it wrote. */
  compareAndSet(key: Bytes, expected: Bytes | null, value: Bytes, ttl?: TtlOption): Promise<boolean>
  /** Stores `value` at `key` and returns the bytes it replaced, or null (Redis GETSET). */
  getSet(key: Bytes, value: Bytes, ttl?: TtlOption): Promise<Buffer | null>
  /** Removes `key` and returns the bytes it held, or null (Redis GETDEL). */
  getDelete(key: Bytes): Promise<Buffer | null>
  /** Whether `key` holds a live value of any kind. */
  exists(key: Bytes): Promise<boolean>
  /** What `key` holds ('string', 'counter', …) or null. */
  kindOf(key: Bytes): Promise<string | null>
  /** Sets `key` to expire after `ttl` seconds (0 deletes it now); false when absent. */
  expire(key: Bytes, ttl: number): Promise<boolean>
  /** Removes the expiry of `key`; true if it had one. */
  persist(key: Bytes): Promise<boolean>
  /** Seconds left before `key` expires, null without expiry; rejects with code 'NotFound' when absent. */
  ttl(key: Bytes): Promise<number | null>
  /** A lazy async iterator over live keys starting with `prefix`, in byte order (`for await`). */
  keys(prefix?: Bytes, options?: { buffers?: false }): AsyncIterableIterator<string>
  keys(prefix: Bytes, options: { buffers: true }): AsyncIterableIterator<Buffer>
  /** Values of several keys (Buffer or null each), read as one consistent snapshot. */
  getMany(keys: Iterable<Bytes>): Promise<Array<Buffer | null>>
  /** Stores every pair atomically (all or nothing), each expiring after `ttl` if given. */
  setMany(
    entries: Record<string, Bytes> | Map<Bytes, Bytes> | Array<[Bytes, Bytes]>,
    ttl?: TtlOption,
  ): Promise<void>
  /** Removes every expired key in this view now; resolves how many were removed. */
  purgeExpired(): Promise<number>
  /** A would-be owner of the lock `name` (key `lock:<name>`); `ttl` seconds or `{ ttl = 10 }`. */
  lock(name: string, options?: number | (LockOptions & { bigint?: false }) | null): Lock<number>
  /** The same, with the fencing token as a bigint. */
  lock(name: string, options: LockOptions & { bigint: true }): Lock<bigint>
  /** The state of lock `name` as any observer sees it. */
  lockInfo(name: string, options?: { bigint?: false }): Promise<LockInfo<number>>
  lockInfo(name: string, options: { bigint: true }): Promise<LockInfo<bigint>>
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
  /** The job queue `name` (keys under `queue:<name>:`), with number ids. */
  queue(name: string, options?: (QueueOptions & { bigint?: false }) | null): Queue<number>
  /** The job queue `name`, with bigint ids. */
  queue(name: string, options: QueueOptions & { bigint: true }): Queue<bigint>
  /** The atomic counter `name` (key `counter:<name>`), resolving numbers. */
  counter(name: string, options?: { bigint?: false }): Counter<number>
  /** The atomic counter `name`, resolving bigints. */
  counter(name: string, options: { bigint: true }): Counter<bigint>
  /** The PN-counter CRDT at `key` (no prefix added), resolving numbers. */
  crdtCounter(key: string, options?: { bigint?: false }): CrdtCounter<number>
  /** The PN-counter CRDT at `key`, resolving bigints. */
  crdtCounter(key: string, options: { bigint: true }): CrdtCounter<bigint>
  /** The last-writer-wins register CRDT of a JSON value at `key`. */
  crdtRegister<V = JsonValue>(key: string): CrdtRegister<V>
  /** The add-wins set CRDT of JSON values at `key`. */
  crdtSet<V = JsonValue>(key: string): CrdtSet<V>
  /** The map CRDT of last-writer-wins fields holding JSON values at `key`. */
  crdtMap<V = JsonValue>(key: string): CrdtMap<V>
  /** The CRDT keys of this view changed since the cursor `since` (default 0: all), as a bundle and the next cursor. */
  exportChanges(options?: number | bigint | (ExportOptions & { bigint?: false }) | null): Promise<Changes<number>>
  exportChanges(options: ExportOptions & { bigint: true }): Promise<Changes<bigint>>
  /** Merges a bundle from `exportChanges` (of any store) into this view, all or nothing. */
  applyChanges(data: Buffer | Uint8Array): Promise<SyncReport>
  /** Seconds a remote CRDT stamp may lead the wall clock before a merge refuses it (code 'ClockDrift'). */
  readonly maxDrift: number
  /** Sets `maxDrift` (seconds, default 60) for every handle of this store's engine. */
  setMaxDrift(seconds: number): Promise<void>
  /** `await using db = await open(path)` closes the store at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * An atomic signed 64-bit counter whose operations return Promises. `Counter<number>` resolves
 * numbers and rejects with a RangeError (code 'ERR_OUT_OF_RANGE', `value` = the exact bigint;
 * the operation was applied) for results outside ±(2^53-1); `Counter<bigint>` resolves bigints.
 */
export declare class Counter<T extends number | bigint = number> {
  private constructor()
  /** The key this counter lives at (`counter:<name>`). */
  readonly key: string
  /** Whether this counter resolves bigints. */
  readonly bigint: boolean
  /** Adds `delta` (default 1, may be negative) and resolves the new value; code 'Overflow' past 64 bits. */
  increment(delta?: number | bigint): Promise<T>
  /** Subtracts `delta` (default 1) and resolves the new value. */
  decrement(delta?: number | bigint): Promise<T>
  /** Subtracts `delta` (default 1, 0 or more) only if the value stays >= `floor` (default 0); the new value, or null when refused. */
  tryDecrement(delta?: number | bigint, floor?: number | bigint): Promise<T | null>
  /** Adds `delta` (default 1, 0 or more) only if the value stays <= `cap` (default 2^63-1); the new value, or null when refused. */
  tryIncrement(delta?: number | bigint, cap?: number | bigint): Promise<T | null>
  /** The current value (0 when unset). */
  get(): Promise<T>
  /** Sets the value. */
  set(value: number | bigint): Promise<void>
  /** Sets the value to 0. */
  reset(): Promise<void>
}

/** A would-be owner of a distributed lock whose operations return Promises. */
export declare class Lock<T extends number | bigint = number> {
  private constructor()
  /** The key this lock lives at (`lock:<name>`). */
  readonly key: string
  /** The lease length in seconds. */
  readonly ttl: number
  /** The fencing token of this object's latest successful acquire (0 before the first). */
  readonly fencingToken: T
  /** One attempt; resolves true if acquired. */
  tryAcquire(): Promise<boolean>
  /** Tries until `timeout` seconds pass, waiting on timers (no thread, no event-loop time); resolves false on timeout. */
  acquire(options?: AcquireOptions): Promise<boolean>
  /** Releases if this object still owns an unexpired lease; false (and no change) otherwise. */
  release(): Promise<boolean>
  /** Makes the lease end `ttl` seconds from now if this object still owns it; false otherwise. */
  extend(ttl: number): Promise<boolean>
  /** Whether this object owns the lock now. */
  held(): Promise<boolean>
  /** `await using` releases the (acquired) lock at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>
}

/** A sliding-window rate limiter whose operations return Promises. */
export declare class RateLimiter {
  private constructor()
  /** The limiter's name. */
  readonly name: string
  /** The admitted cost per window. */
  readonly limit: number
  /** The window length in seconds. */
  readonly window: number
  /** Admits `cost` (default 1) for `key` if it fits, atomically; code 'InvalidArgument' if `cost > limit`. */
  allow(key: string, cost?: number | bigint): Promise<Decision>
  /** What a cost-1 request for `key` would get now, recording nothing. */
  peek(key: string): Promise<Decision>
  /** Forgets everything admitted for `key`; true if there was state. */
  reset(key: string): Promise<boolean>
}

/** A session store of JSON values whose operations return Promises. */
export declare class Sessions {
  private constructor()
  /** The key prefix. */
  readonly prefix: string
  /** The sliding TTL in seconds. */
  readonly ttl: number
  /** Stores `data` under a new random id and resolves the id. */
  create(data: unknown): Promise<string>
  /** The data of a live session, or null (missing, expired, or a malformed id). */
  get<T = JsonValue>(id: string): Promise<T | null>
  /** Replaces a live session's data and restarts its TTL; false if missing or expired (never recreated). */
  update(id: string, data: unknown): Promise<boolean>
  /** Restarts a live session's TTL; false if missing or expired (never recreated). */
  touch(id: string): Promise<boolean>
  /** Deletes a session; true if it was live. */
  delete(id: string): Promise<boolean>
  /** Whether a session is live. */
  exists(id: string): Promise<boolean>
}

/** A leaderboard whose operations return Promises; highest score first, ties by member. */
export declare class Leaderboard {
  private constructor()
  /** The board's name. */
  readonly name: string
  /** A Promise of the number of members (`await lb.size`). */
  readonly size: Promise<number>
  /** Sets `member`'s score, adding the member if new. */
  add(member: string, score: number): Promise<void>
  /** Adds `delta` to `member`'s score (from 0 if new); resolves the new score. */
  incr(member: string, delta: number): Promise<number>
  /** `member`'s score, or null if absent. */
  score(member: string): Promise<number | null>
  /** `member`'s rank (0 = highest), or null if absent. */
  rank(member: string): Promise<number | null>
  /** The `n` highest members, best first. */
  top(n: number | bigint): Promise<Ranked[]>
  /** Members ranked `start` (inclusive) to `stop` (exclusive), best first; no `stop` means to the end. */
  range(start: number | bigint, stop?: number | bigint | null): Promise<Ranked[]>
  /** `member` with up to `n` members ranked above and `n` below; [] if absent. */
  around(member: string, n: number | bigint): Promise<Ranked[]>
  /** Removes `member`; true if it was there. */
  remove(member: string): Promise<boolean>
  /** Removes every member; resolves how many there were. */
  clear(): Promise<number>
}

/** A FIFO job queue whose operations return Promises. */
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
  /** Adds a job deliverable after `delay` seconds (default 0); resolves its id. */
  enqueue(payload: Bytes, options?: DelayOptions | null): Promise<T>
  /** One attempt: the oldest ready job, or null. */
  dequeue(): Promise<Job<T> | null>
  /** Waits up to `timeout` seconds for a job, on timers (no thread, no event-loop time); null on timeout. */
  dequeueWait(options?: DequeueWaitOptions | null): Promise<Job<T> | null>
  /** Marks a delivered job done; false if it is not in flight. */
  ack(id: number | bigint): Promise<boolean>
  /** Gives a delivered job back, deliverable again after `delay` seconds; false if it is not in flight. */
  nack(id: number | bigint, options?: DelayOptions | null): Promise<boolean>
  /** Counts of jobs by state. */
  stats(): Promise<QueueStats>
  /** The dead-letter list, oldest first. */
  deadLetters(): Promise<Job<T>[]>
}

/** A PN-counter CRDT whose operations return Promises (number policy as `Counter`). */
export declare class CrdtCounter<T extends number | bigint = number> {
  private constructor()
  /** The key this counter lives at. */
  readonly key: string
  /** Whether this counter resolves bigints. */
  readonly bigint: boolean
  /** Adds `n` (default 1, >= 0) to this node's increments; resolves the new value. */
  increment(n?: number | bigint): Promise<T>
  /** Adds `n` (default 1, >= 0) to this node's decrements; resolves the new value. */
  decrement(n?: number | bigint): Promise<T>
  /** Adds a signed amount; resolves the new value. */
  add(delta: number | bigint): Promise<T>
  /** Increments minus decrements over all nodes (0 when unset). */
  value(): Promise<T>
  /** Increments and decrements summed over all nodes. */
  totals(): Promise<Contribution<T>>
  /** Each node's increments and decrements, keyed by node id. */
  contributions(): Promise<Record<string, Contribution<T>>>
  /** Makes this node's net contribution 0 by a monotone update; resolves the new value. */
  resetLocal(): Promise<T>
  /** The versioned, type-tagged state bytes. */
  state(): Promise<Buffer>
  /** Merges another replica's state bytes; true if this one changed. */
  merge(state: Buffer | Uint8Array): Promise<boolean>
}

/** A last-writer-wins register of a JSON value whose operations return Promises. */
export declare class CrdtRegister<V = JsonValue> {
  private constructor()
  /** The key this register lives at. */
  readonly key: string
  /** Writes a JSON value, stamped by this node's clock. */
  set(value: V): Promise<void>
  /** The current value, or null when never set. */
  get(): Promise<V | null>
  /** The versioned, type-tagged state bytes. */
  state(): Promise<Buffer>
  /** Merges another replica's state bytes; true if this one changed. Code 'ClockDrift' for a stamp beyond `maxDrift`. */
  merge(state: Buffer | Uint8Array): Promise<boolean>
}

/** An add-wins observed-remove set of JSON values whose operations return Promises. */
export declare class CrdtSet<V = JsonValue> {
  private constructor()
  /** The key this set lives at. */
  readonly key: string
  /** A Promise of the number of members (`await set.size`). */
  readonly size: Promise<number>
  /** Adds a value; it wins over a concurrent remove that did not see it. */
  add(value: V): Promise<void>
  /** Removes a value (the adds this replica has seen); true if it was present. */
  remove(value: V): Promise<boolean>
  /** Whether the value is a member. */
  has(value: V): Promise<boolean>
  /** Whether the value is a member (the same as `has`). */
  contains(value: V): Promise<boolean>
  /** Every member, in canonical-JSON order. */
  members(): Promise<V[]>
  /** Iterates over a snapshot of the members (`for await`). */
  [Symbol.asyncIterator](): AsyncIterableIterator<V>
  /** The versioned, type-tagged state bytes. */
  state(): Promise<Buffer>
  /** Merges another replica's state bytes; true if this one changed. */
  merge(state: Buffer | Uint8Array): Promise<boolean>
}

/** A map of independent last-writer-wins fields holding JSON values whose operations return Promises. */
export declare class CrdtMap<V = JsonValue> {
  private constructor()
  /** The key this map lives at. */
  readonly key: string
  /** Sets `field` (a non-empty string) to a JSON value. */
  set(field: string, value: V): Promise<void>
  /** The value of `field`, or null when it has none. */
  get(field: string): Promise<V | null>
  /** Deletes `field` (an older concurrent set will not bring it back); true if it had a value. */
  delete(field: string): Promise<boolean>
  /** The names of the fields that have a value, in order. */
  keys(): Promise<string[]>
  /** Every field that has a value. */
  all(): Promise<Record<string, V>>
  /** The versioned, type-tagged state bytes. */
  state(): Promise<Buffer>
  /** Merges another replica's state bytes; true if this one changed. */
  merge(state: Buffer | Uint8Array): Promise<boolean>
}

/** Merges every CRDT of the promises Stores `a` and `b` both ways; a second sync reports zeros. */
export declare function sync(a: Store, b: Store): Promise<SyncReport>

declare const promises: {
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
}
export default promises
