'use strict'
// Shared helpers for the grovekv test suite.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

/** Directories to remove when this test file's process exits. */
const dirs = []
process.on('exit', () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * A fresh temporary directory, removed when the test file's process exits: not in a `t.after`
 * hook, which runs before the hooks registered later (a store's `close()`), and the core reports
 * a store whose files were deleted while it was open as an `Io` error on close.
 */
function tempDir(t) {
  void t
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grovekv-test-'))
  dirs.push(dir)
  return dir
}

/** Sleeps `ms` milliseconds. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** An assert.throws matcher for a Grove error of `code` (and optionally a constructor). */
function code(c, ctor = Error) {
  return (err) => err instanceof ctor && err.code === c
}

/** The child process of `blackHole`: listens, prints its port, and never accepts (its loop is blocked). */
const BLACK_HOLE = `
const net = require('node:net')
const server = net.createServer()
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  require('node:fs').writeSync(1, server.address().port + '\\n')
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
})`

/**
 * A loopback `host:port` whose TCP handshake never completes: a child process listens with a
 * backlog of 1 and never accepts, and connections nobody accepts fill its queue, so the kernel
 * (Linux) drops further SYNs and a connect waits for its own timeout, as to a non-routable
 * address. Resolves `{ addr, close }`; call `close()` when done.
 */
async function blackHole() {
  const child = spawn(process.execPath, ['-e', BLACK_HOLE], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())))
    child.once('exit', (c) => reject(new Error(`the black hole process exited (${c})`)))
  })
  const fillers = []
  const close = () => {
    for (const s of fillers) s.destroy()
    child.kill()
  }
  for (let i = 0; i < 8; i++) {
    const s = net.connect(port, '127.0.0.1')
    s.on('error', () => {})
    fillers.push(s)
    const connected = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 200)
      s.once('connect', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    if (!connected) return { addr: `127.0.0.1:${port}`, close }
  }
  close()
  throw new Error(`127.0.0.1:${port} kept completing handshakes`)
}

module.exports = { tempDir, sleep, code, blackHole }
