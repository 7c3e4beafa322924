// Type-level test of promises.d.ts (checked by `tsc -p test/tsconfig.json` in test.sh, never run).
import grovekv, { promises as viaMain } from '..'
import promises, {
  open,
  openMemory,
  Store,
  Counter,
  Lock,
  Queue,
  Job,
  Ranked,
  Decision,
  LockInfo,
  OpMetrics,
  QueueStats,
  SyncReport,
  Changes,
  Contribution,
  CrdtCounter,
  CrdtSet,
  CrdtMap,
  GroveError,
  sync,
} from '../promises'

async function main(): Promise<void> {
  const same: typeof promises = grovekv.promises
  const again: typeof promises = viaMain
  const db: Store = await open('/tmp/grovekv-promises-types', { nodeId: 'n1', durable: true })
  const mem: Store = await openMemory({ maxDrift: 30 })
  const sealed: Store = await open('/tmp/grovekv-promises-sealed', { compress: true, encryptionKey: Buffer.alloc(32) })
  void sealed
  const remote: Promise<Store> = open('redis://127.0.0.1:6379', { connectTimeoutMs: 200 })
  const view: Store = db.namespace('tenant-a')
  const v: Buffer | null = await view.get('k')
  await db.set('k', 'v', { ttl: 1.5 })
  const removed: boolean = await db.delete('k')
  const left: number | null = await db.ttl('k')
  for await (const k of db.keys('user:')) {
    const s: string = k
  }
  for await (const k of db.keys('', { buffers: true })) {
    const b: Buffer = k
  }
  const many: Array<Buffer | null> = await db.getMany(['a', 'b'])
  await db.setMany({ a: '1' }, 60)

  const c: Counter<number> = db.counter('visitors')
  const n: number = await c.increment()
  const big: Counter<bigint> = db.counter('visitors', { bigint: true })
  const b: bigint = await big.decrement(2n)
  await c.set(5)
  await c.reset()
  const stockLeft: number | null = await c.tryDecrement(1, 0)
  const up: bigint | null = await big.tryIncrement(1n)
  const won: boolean = (await db.setIfAbsent('job', 'w1', { ttl: 30 })) && (await db.setIfPresent('k', 'v'))
  const swapped: boolean = await db.compareAndSet('k', null, 'v')
  const old: Buffer | null = await db.getSet('k', 'x', 5)
  const last: Buffer | null = await db.getDelete('k')

  const lock: Lock<number> = db.lock('deploy', { ttl: 10 })
  const got: boolean = (await lock.tryAcquire()) || (await lock.acquire({ timeout: 1, signal: AbortSignal.timeout(5000) }))
  const token: number = lock.fencingToken
  const ok: boolean = (await lock.extend(5)) && (await lock.held()) && (await lock.release())
  const info: LockInfo<bigint> = await db.lockInfo('deploy', { bigint: true })
  const out: string = await db.withLock('deploy', { timeout: 2 }, async (l) => `token ${l.fencingToken}`)
  const d: Decision = await db.rateLimiter('api', { limit: 10, window: 1 }).allow('u', 2)
  const id: string = await db.sessions().create({ user: 42 })
  const data = await db.sessions().get<{ user: number }>(id)
  const user: number | undefined = data?.user
  const lb = db.leaderboard('scores')
  await lb.add('alice', 10)
  const top: Ranked[] = await lb.top(3)
  const size: number = await lb.size
  const rank: number | null = await lb.rank('alice')
  const q: Queue<number> = db.queue('tasks')
  const jobId: number = await q.enqueue('payload', { delay: 0.5 })
  const job: Job<number> | null = await q.dequeueWait({ timeout: 1 })
  if (job) console.log(job.text(), job.json<{ n: number }>(), await q.ack(job.id))
  const stats: QueueStats = await q.stats()

  const cc: CrdtCounter<bigint> = db.crdtCounter('crdt:c', { bigint: true })
  const total: bigint = await cc.increment(3n)
  const t: Contribution<bigint> = await cc.totals()
  const set: CrdtSet<string> = db.crdtSet<string>('crdt:s')
  await set.add('x')
  for await (const m of set) {
    const s: string = m
  }
  const members: number = await set.size
  const map: CrdtMap = db.crdtMap('crdt:m')
  await map.set('f', [1, 2])
  const all: Record<string, unknown> = await map.all()
  const r: SyncReport = await sync(db, mem)
  const ch: Changes = await db.exportChanges()
  const applied: SyncReport = await mem.applyChanges(ch.data)
  await db.setMaxDrift(120)
  try {
    await db.get('counter:visitors')
  } catch (e) {
    const g = e as GroveError
    if (g.code === 'WrongType') console.log(g.message)
  }
  {
    await using scoped = await promises.openMemory()
    await scoped.flush()
  }
  await db.flush()
  const metrics: Record<string, OpMetrics> = await db.metrics()
  const promText: string = await db.metricsPrometheus()
  console.log(metrics['counter.increment']?.count, metrics['kv.get']?.p50Us, promText.length)
  await db.close()
  console.log(same, again, v, removed, left, many, n, b, got, token, ok, info, out, d, user, top, size, rank, jobId, stats, total, t, members, all, r, applied, promises.coreVersion)
}
void main
