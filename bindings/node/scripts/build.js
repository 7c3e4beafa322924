#!/usr/bin/env node
'use strict'
// Builds the grovekv native addon with cargo, needing nothing but a Rust toolchain (no npm
// dependencies, no downloads of binaries). Used as the package's `install` script.
//
//   node scripts/build.js            build unless grovekv.<platform>.node is already present
//   node scripts/build.js --force    always build (also: GROVEKV_BUILD_FROM_SOURCE=1)
//   node scripts/build.js --strip    strip debug info from the copied binary (used by prepack)
//
// The binary is copied to grovekv.<platform>.node next to package.json, where the generated
// loader (native.js) looks first.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const PKG = path.resolve(__dirname, '..')
const CRATE = 'grovekv-node'
const LIB = 'grovekv_node'

/** The napi-rs platform suffix of this machine (`linux-x64-gnu`, `darwin-arm64`, …). */
function platformSuffix() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report && process.report.getReport ? process.report.getReport() : null
    const glibc = report && report.header && report.header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** The shared library cargo produces for the crate on this OS. */
function libFileName() {
  if (process.platform === 'win32') return `${LIB}.dll`
  if (process.platform === 'darwin') return `lib${LIB}.dylib`
  return `lib${LIB}.so`
}

/** Runs a command, inheriting stdio unless `capture`; exits the process on failure. */
function run(cmd, args, { capture = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: PKG,
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  })
  if (r.error && r.error.code === 'ENOENT') {
    fail(
      `'${cmd}' was not found. Building grovekv from source needs a Rust toolchain ` +
        '(https://rustup.rs); alternatively install a grovekv tarball that carries a prebuilt binary.',
    )
  }
  if (r.status !== 0) fail(`'${cmd} ${args.join(' ')}' failed (exit ${r.status})`)
  return r.stdout
}

/** Prints an error and exits non-zero. */
function fail(msg) {
  console.error(`grovekv: ${msg}`)
  process.exit(1)
}

function main() {
  const argv = process.argv.slice(2)
  const force = argv.includes('--force') || process.env.GROVEKV_BUILD_FROM_SOURCE === '1'
  const strip = argv.includes('--strip')
  const dest = path.join(PKG, `grovekv.${platformSuffix()}.node`)

  if (!force && fs.existsSync(dest)) {
    console.log(`grovekv: using the prebuilt ${path.basename(dest)} (set GROVEKV_BUILD_FROM_SOURCE=1 to rebuild)`)
    return
  }
  const manifest = path.join(PKG, 'Cargo.toml')
  if (!fs.existsSync(manifest)) {
    fail(
      `no prebuilt binary for ${platformSuffix()} and no Rust sources in this package; ` +
        'install grovekv from a clone of the Grove repository (npm install ./bindings/node).',
    )
  }
  const meta = JSON.parse(
    run('cargo', ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifest], {
      capture: true,
    }),
  )
  console.log(`grovekv: building the native addon with cargo (release) ...`)
  run('cargo', ['build', '--release', '--lib', '-p', CRATE, '--manifest-path', manifest])
  const built = path.join(meta.target_directory, 'release', libFileName())
  if (!fs.existsSync(built)) fail(`cargo finished but ${built} is missing`)

  // Copy then rename, so a process that has the old binary mapped never sees a half-written file.
  const tmp = `${dest}.${process.pid}.tmp`
  fs.copyFileSync(built, tmp)
  if (strip && process.platform !== 'win32') {
    const r = spawnSync('strip', ['--strip-debug', tmp], { stdio: 'inherit' })
    if (r.status !== 0) console.warn('grovekv: strip failed; keeping debug info')
  }
  fs.renameSync(tmp, dest)
  console.log(`grovekv: built ${path.relative(process.cwd(), dest) || dest}`)
}

main()
