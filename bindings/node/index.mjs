// grovekv for ES modules: the same API as the CommonJS entry (index.js), re-exported.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const grovekv = require('./index.js')

/** Opens (creating if needed) the store directory at `path`. */
export const open = grovekv.open
/** Opens a fresh in-memory store. */
export const openMemory = grovekv.openMemory
/** A store handle or namespaced view. */
export const Store = grovekv.Store
/** An atomic signed 64-bit counter. */
export const Counter = grovekv.Counter
/** A would-be owner of a distributed lock. */
export const Lock = grovekv.Lock
/** A sliding-window rate limiter. */
export const RateLimiter = grovekv.RateLimiter
/** A session store of JSON values. */
export const Sessions = grovekv.Sessions
/** A leaderboard ranked by score. */
export const Leaderboard = grovekv.Leaderboard
/** A job queue with visibility timeouts and dead letters. */
export const Queue = grovekv.Queue
/** A delivered or dead job. */
export const Job = grovekv.Job
/** A PN-counter CRDT. */
export const CrdtCounter = grovekv.CrdtCounter
/** A last-writer-wins register CRDT of a JSON value. */
export const CrdtRegister = grovekv.CrdtRegister
/** An add-wins set CRDT of JSON values. */
export const CrdtSet = grovekv.CrdtSet
/** A map CRDT of last-writer-wins fields. */
export const CrdtMap = grovekv.CrdtMap
/** Merges every CRDT of two stores both ways. */
export const sync = grovekv.sync
/** Every Grove error kind (the `code` of a Grove error). */
export const errorCodes = grovekv.errorCodes
/** The version of the Grove core the addon was built with. */
export const coreVersion = grovekv.coreVersion
/** The same API with every operation returning a Promise (also `import … from 'grovekv/promises'`). */
export const promises = grovekv.promises
export default grovekv
