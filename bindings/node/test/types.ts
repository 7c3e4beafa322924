// Type-level test of index.d.ts (checked by `tsc -p test/tsconfig.json` in test.sh, never run).
import grovekv, { open, openMemory, Store, Counter, errorCodes, ErrorCode, GroveError } from '..'

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
const nodeId: string = db.nodeId
const path: string | null = mem.path
db.flush()
db.close()
grovekv.openMemory().close()
export { v, removed, left, expired, many, n, n2, b, code, nodeId, path }
