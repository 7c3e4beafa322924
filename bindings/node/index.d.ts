// Type declarations for grovekv (hand-written for the public layer in index.js; the native
// layer's declarations are generated into native.d.ts by `napi build`).

/** A key or value: strings are encoded UTF-8. */
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
}

/** Options of `openMemory`. */
export interface MemoryOptions {
  /** This replica's id for CRDTs; generated when absent. */
  nodeId?: string | null
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

/** Opens (creating if needed) the store directory at `path`; a path already open in this process shares its engine. */
export declare function open(path: string | URL, options?: OpenOptions): Store

/** Opens a fresh in-memory store (same semantics, nothing on disk). */
export declare function openMemory(options?: MemoryOptions): Store

/** A store handle or a namespaced view of one. */
export declare class Store {
  private constructor()
  /** This replica's persisted id (used by CRDTs). */
  readonly nodeId: string
  /** The store directory, or null for an in-memory store. */
  readonly path: string | null
  /** The key prefix this view adds (`'tenant-a:'`), '' for the root handle. */
  readonly prefix: string
  /** Whether every write is fsynced before it returns. */
  readonly durable: boolean
  /** Whether this handle (or the handle this view came from) has been closed. */
  readonly closed: boolean
  /** Closes this handle and everything made from it (views, counters); closing twice is fine. */
  close(): void
  /** Makes every write so far durable; returns when fsynced. */
  flush(): void
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
  /** The atomic counter `name` (key `counter:<name>`), returning numbers. */
  counter(name: string, options?: { bigint?: false }): Counter<number>
  /** The atomic counter `name`, returning bigints. */
  counter(name: string, options: { bigint: true }): Counter<bigint>
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
  /** The current value (0 when unset). */
  get(): T
  /** Sets the value. */
  set(value: number | bigint): void
  /** Sets the value to 0. */
  reset(): void
}

declare const grovekv: {
  open: typeof open
  openMemory: typeof openMemory
  Store: typeof Store
  Counter: typeof Counter
  errorCodes: typeof errorCodes
  coreVersion: typeof coreVersion
}
export default grovekv
