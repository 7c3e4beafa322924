// grovekv/promises for ES modules: the same API as the CommonJS entry (promises.js), re-exported.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const promises = require('./promises.js')

/** Opens (creating if needed) the store at `path`, on a pool thread. */
export const open = promises.open
/** Opens a fresh in-memory store. */
export const openMemory = promises.openMemory
/** A store handle or namespaced view whose operations return Promises. */
export const Store = promises.Store
/** An atomic signed 64-bit counter. */
export const Counter = promises.Counter
/** A would-be owner of a distributed lock. */
export const Lock = promises.Lock
/** A sliding-window rate limiter. */
export const RateLimiter = promises.RateLimiter
/** A session store of JSON values. */
export const Sessions = promises.Sessions
/** A leaderboard ranked by score. */
export const Leaderboard = promises.Leaderboard
/** A job queue with visibility timeouts and dead letters. */
export const Queue = promises.Queue
/** A delivered or dead job (the same class as grovekv's). */
export const Job = promises.Job
/** A PN-counter CRDT. */
export const CrdtCounter = promises.CrdtCounter
/** A last-writer-wins register CRDT of a JSON value. */
export const CrdtRegister = promises.CrdtRegister
/** An add-wins set CRDT of JSON values. */
export const CrdtSet = promises.CrdtSet
/** A map CRDT of last-writer-wins fields. */
export const CrdtMap = promises.CrdtMap
/** Merges every CRDT of two stores both ways. */
export const sync = promises.sync
/** Every Grove error kind (the `code` of a Grove error). */
export const errorCodes = promises.errorCodes
/** The version of the Grove core the addon was built with. */
export const coreVersion = promises.coreVersion
export default promises
