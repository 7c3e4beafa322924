'use strict'
// Benchmark: counter increment from Node vs the same loop inside the Rust core, in one process.
//   node bench.js [--rounds 9] [--ops 100000]
// Each round times `ops` increments from JS, then `ops` increments run by Rust
// (_benchCoreIncrement) on the same engine; rounds interleave and the medians are compared.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const grovekv = require('.')

/** The value following `--name` on the command line, or `dflt`. */
function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}

/** The median of an array of numbers. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Seconds taken by `n` increments of `counter` from JS. */
function nodeLoop(counter, n) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) counter.increment()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/** Runs the interleaved rounds for one backend and returns per-op medians in ns. */
function bench(name, db, corePath, rounds, ops) {
  const counter = db.counter('bench-node')
  nodeLoop(counter, Math.min(ops, 20000)) // warm-up: JIT and engine
  grovekv._benchCoreIncrement(corePath, Math.min(ops, 20000))
  const nodeNs = []
  const coreNs = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      nodeNs.push((nodeLoop(counter, ops) / ops) * 1e9)
      coreNs.push((grovekv._benchCoreIncrement(corePath, ops) / ops) * 1e9)
    } else {
      coreNs.push((grovekv._benchCoreIncrement(corePath, ops) / ops) * 1e9)
      nodeNs.push((nodeLoop(counter, ops) / ops) * 1e9)
    }
  }
  const node = median(nodeNs)
  const core = median(coreNs)
  return { backend: name, ops, rounds, coreNsPerOp: core, nodeNsPerOp: node, ratio: node / core }
}

function main() {
  const rounds = arg('rounds', 9)
  const ops = arg('ops', 100000)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grovekv-bench-'))
  const results = []
  try {
    const sled = grovekv.open(dir)
    // The Rust loop opens the same path, so it shares this engine (same process registry).
    results.push(bench('sled', sled, dir, rounds, ops))
    sled.close()
    const mem = grovekv.openMemory()
    // A fresh in-memory store per core round (null path); same backend code.
    results.push(bench('memory', mem, null, rounds, ops))
    mem.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  console.log(`grovekv bench: counter increment, ${ops} ops x ${rounds} interleaved rounds, medians`)
  console.log('backend   core ns/op   node ns/op   node/core')
  for (const r of results) {
    console.log(
      `${r.backend.padEnd(8)} ${r.coreNsPerOp.toFixed(1).padStart(11)} ${r.nodeNsPerOp.toFixed(1).padStart(12)} ${r.ratio.toFixed(2).padStart(10)}x`,
    )
  }
  const sled = results.find((r) => r.backend === 'sled')
  console.log(`goal: node <= 1.3x core on sled -> ${sled.ratio <= 1.3 ? 'met' : 'NOT met'} (${sled.ratio.toFixed(2)}x)`)
  if (process.argv.includes('--json')) console.log(JSON.stringify(results))
}

main()
