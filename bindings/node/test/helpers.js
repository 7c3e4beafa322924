'use strict'
// Shared helpers for the grovekv test suite.
const fs = require('node:fs')
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

module.exports = { tempDir, sleep, code }
