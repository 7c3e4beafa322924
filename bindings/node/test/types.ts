// Type-level test of index.d.ts (checked by `tsc -p test/tsconfig.json` in test.sh, never run).
import grovekv, {
  open,
  openMemory,
  OpenOptions,
  Store,
  Counter,
  Lock,
  RateLimiter,
  Sessions,
  Leaderboard,
  Queue,
  Job,
  Ranked,
  QueueStats,
  Decision,
  LockInfo,
  OpMetrics,
  errorCodes,
  ErrorCode,
  GroveError,
  CrdtCounter,
  CrdtRegister,
  CrdtSet,
  CrdtMap,
  SyncReport,
  Changes,
  Contribution,
  sync,
} from '..'

const db: Store = open('/tmp/grovekv-types', { nodeId: 'n1', durable: false, flushEveryMs: 100 })
const mem: Store = openMemory({ nodeId: null })
const remote: OpenOptions = { connectTimeoutMs: 2000, nodeId: 'n2' }
const sealed: OpenOptions = {
  compress: true,
  compressMinBytes: 2048,
  encryptionKey: Buffer.alloc(32),
  oldEncryptionKeys: [new Uint8Array(32)],
}
const sealedMem: Store = openMemory({ compress: false, encryptionKey: new Uint8Array(32) })
const encryptionCode: ErrorCode = 'Encryption'
void sealed
void sealedMem
void encryptionCode
const view: Store = db.namespace('tenant-a')
const v: Buffer | null = view.get('k')
db.set('k', 'v')
db.set(Buffer.from('k'), new Uint8Array([1]), { ttl: 1.5 })
db.set('k', 'v', 10)
const removed: boolean = db.delete('k')
const left: number | null = db.ttl('k')
const expired: number = db.purgeExpired()
for (const k of db.keys('user:')) {
  const s: string = k
}
for (const k of db.keys('', { buffers: true })) {
  const b: Buffer = k
}
const many: Array<Buffer | null> = db.getMany(['a', 'b'])
db.setMany({ a: '1' })
db.setMany(new Map([['a', '1']]), { ttl: 5 })
db.setMany([['a', Buffer.from('1')]])
const c: Counter<number> = db.counter('visitors')
const n: number = c.increment()
const n2: number = c.decrement(2n)
const big: Counter<bigint> = db.counter('visitors', { bigint: true })
const b: bigint = big.increment(1)
c.set(5)
big.set(2n ** 60n)
c.reset()
const left1: number | null = c.tryDecrement()
const left2: number | null = c.tryDecrement(2, 0)
const up: bigint | null = big.tryIncrement(1n, 2n ** 62n)
const won: boolean = db.setIfAbsent('lock:job', 'w1', { ttl: 30 }) && db.setIfPresent('k', Buffer.from('v'))
const swapped: boolean = db.compareAndSet('k', null, 'v', 10) || db.compareAndSet('k', 'v', 'w')
const old: Buffer | null = db.getSet('k', 'x')
const last: Buffer | null = db.getDelete('k')
// @ts-expect-error a tryDecrement result may be null (refused)
const notNull: number = c.tryDecrement()
const code: ErrorCode = errorCodes[0]
try {
  db.get('x')
} catch (e) {
  const g = e as GroveError
  if (g.code === 'WrongType') console.log(g.message)
}
async function coordination(): Promise<void> {
  const lock: Lock<number> = db.lock('deploy', { ttl: 10 })
  const lock2: Lock<number> = db.lock('deploy', 5)
  const bigLock: Lock<bigint> = db.lock('deploy', { bigint: true })
  const got: boolean = lock.tryAcquire()
  const waited: boolean = await lock2.acquire({ timeout: 1, retryInterval: 0.01, signal: AbortSignal.timeout(5000) })
  const token: number = lock.fencingToken
  const bigToken: bigint = bigLock.fencingToken
  const ok: boolean = lock.extend(5) && lock.held() && lock.release()
  const info: LockInfo = db.lockInfo('deploy')
  const left: number | null = info.expiresIn
  const bigInfo: LockInfo<bigint> = db.lockInfo('deploy', { bigint: true })
  const out: string = await db.withLock('deploy', { ttl: 10, timeout: 2 }, async (l) => {
    const t: number = l.fencingToken
    return `token ${t}`
  })
  const n2: number = await db.withLock('deploy', (l) => l.fencingToken)
  const bt: bigint = await db.withLock('deploy', { bigint: true }, (l) => l.fencingToken)

  const rl: RateLimiter = db.rateLimiter('api', { limit: 100, window: 60 })
  const d: Decision = rl.allow('user-1')
  const d2: Decision = rl.allow('user-1', 5)
  const allowed: boolean = d.allowed && d2.remaining > 0 && d.resetAfter >= 0 && d.retryAfter >= 0
  const peeked: Decision = rl.peek('user-1')
  const wasReset: boolean = rl.reset('user-1')

  const s: Sessions = db.sessions({ ttl: 1800, prefix: 'sess' })
  const id: string = s.create({ user: 42, roles: ['admin'] })
  const data = s.get<{ user: number }>(id)
  const user: number | undefined = data?.user
  const updated: boolean = s.update(id, [1, 2, 3])
  const touched: boolean = s.touch(id) && s.exists(id) && s.delete(id)

  const lb: Leaderboard = db.leaderboard('scores')
  lb.add('alice', 10)
  const sc: number = lb.incr('alice', 2.5)
  const maybeScore: number | null = lb.score('alice')
  const maybeRank: number | null = lb.rank('alice')
  const top: Ranked[] = lb.top(10)
  const best: string | undefined = top[0]?.member
  const slice: Ranked[] = lb.range(0, 10).concat(lb.range(5), lb.range(0n, null), lb.around('alice', 2))
  const members: number = lb.size
  const gone: boolean = lb.remove('alice')
  const cleared: number = lb.clear()

  const q: Queue<number> = db.queue('tasks', { visibilityTimeout: 30, maxAttempts: 5 })
  const bq: Queue<bigint> = db.queue('tasks', { bigint: true })
  const jobId: number = q.enqueue('payload', { delay: 0.5 })
  const bigId: bigint = bq.enqueue(Buffer.from('x'))
  const job: Job<number> | null = q.dequeue()
  if (job) {
    const p: Buffer = job.payload
    const at: Date = job.enqueuedAt
    const tries: number = job.attempts
    const txt: string = job.text()
    const parsed = job.json<{ n: number }>()
    console.log(p, at, tries, txt, parsed.n, q.ack(job.id), q.nack(job.id, { delay: 1 }))
  }
  const waitedJob: Job<bigint> | null = await bq.dequeueWait({ timeout: 1, signal: AbortSignal.timeout(5000) })
  const qs: QueueStats = q.stats()
  const inFlight: number = qs.inFlight
  const dead: Job<number>[] = q.deadLetters()
  console.log(sc, maybeScore, maybeRank, best, slice, members, gone, cleared, jobId, bigId, waitedJob, inFlight, dead, q.name, q.visibilityTimeout, q.maxAttempts)
  console.log(got, waited, token, bigToken, ok, left, bigInfo, out, n2, bt, allowed, peeked, wasReset, user, updated, touched)
}
void coordination()
function replication(): void {
  const a: Store = open('/tmp/grovekv-types-a', { nodeId: 'us-east-1', maxDrift: 30 })
  const b: Store = openMemory({ nodeId: 'eu-west-1', maxDrift: null })
  const views: CrdtCounter<number> = a.crdtCounter('crdt:page:home:views')
  const n1: number = views.increment() + views.increment(2) + views.decrement(1n) + views.add(-3)
  const bigViews: CrdtCounter<bigint> = a.crdtCounter('crdt:page:home:views', { bigint: true })
  const total: bigint = bigViews.value()
  const t: Contribution = views.totals()
  const byNode: Record<string, Contribution<bigint>> = bigViews.contributions()
  const reset: number = views.resetLocal()
  const changed: boolean = views.merge(b.crdtCounter('crdt:page:home:views').state())
  const reg: CrdtRegister = a.crdtRegister('crdt:title')
  reg.set({ text: 'hi', tags: ['x'] })
  const title = reg.get()
  const typed = a.crdtRegister<{ text: string }>('crdt:typed')
  typed.set({ text: 'x' })
  const text: string | undefined = typed.get()?.text
  const tags: CrdtSet<string> = a.crdtSet<string>('crdt:tags')
  tags.add('crdt')
  const has: boolean = tags.has('crdt') && tags.contains('go') && tags.remove('go')
  const members: string[] = [...tags, ...tags.members()]
  const size: number = tags.size
  const cfg: CrdtMap = a.crdtMap('crdt:config')
  cfg.set('theme', 'dark')
  const theme = cfg.get('theme')
  const fields: string[] = cfg.keys()
  const all: Record<string, unknown> = cfg.all()
  const gone: boolean = cfg.delete('theme')
  const r: SyncReport = sync(a, b)
  const r2: SyncReport = grovekv.sync(a, b)
  const ch: Changes = a.exportChanges()
  const ch2: Changes = a.exportChanges({ since: ch.cursor })
  const ch3: Changes<bigint> = a.exportChanges({ since: 0n, bigint: true })
  const ch4: Changes = a.exportChanges(ch.cursor)
  const applied: SyncReport = b.applyChanges(ch2.data)
  const pulled: number = applied.pulled + applied.pushed + applied.merged + r.pulled + r2.merged
  b.setMaxDrift(120)
  const drift: number = b.maxDrift
  console.log(n1, total, t.positive, byNode, reset, changed, title, text, has, members, size, theme, fields, all, gone, ch3.cursor, ch4.data, pulled, drift)
}
void replication
const nodeId: string = db.nodeId
const metrics: Record<string, OpMetrics> = db.metrics()
const incs: number = (metrics['counter.increment']?.count ?? 0) + (metrics['kv.get']?.p99Us ?? 0)
const promText: string = db.metricsPrometheus()
const path: string | null = mem.path
db.flush()
db.close()
grovekv.openMemory().close()
export { v, removed, left, expired, many, n, n2, b, code, nodeId, path, incs, promText }
