'use strict'
// Shared helpers for the grovekv test suite.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/** A fresh temporary directory, removed when the test ends. */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grovekv-test-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Sleeps `ms` milliseconds. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** An assert.throws matcher for a Grove error of `code` (and optionally a constructor). */
function code(c, ctor = Error) {
  return (err) => err instanceof ctor && err.code === c
}

module.exports = { tempDir, sleep, code }
