// Type-level test of index.d.ts (checked by `tsc -p test/tsconfig.json` in test.sh, never run).
import grovekv, {
  open,
  openMemory,
  Store,
  Counter,
  Lock,
  RateLimiter,
  Sessions,
  Decision,
  LockInfo,
  errorCodes,
  ErrorCode,
  GroveError,
} from '..'

const db: Store = open('/tmp/grovekv-types', { nodeId: 'n1', durable: false, flushEveryMs: 100 })
const mem: Store = openMemory({ nodeId: null })
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
  console.log(got, waited, token, bigToken, ok, left, bigInfo, out, n2, bt, allowed, peeked, wasReset, user, updated, touched)
}
void coordination()
const nodeId: string = db.nodeId
const path: string | null = mem.path
db.flush()
db.close()
grovekv.openMemory().close()
export { v, removed, left, expired, many, n, n2, b, code, nodeId, path }
