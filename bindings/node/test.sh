#!/usr/bin/env bash
# Builds and tests the Node.js package `grovekv`: npm install, release build of the addon (reusing the
# workspace's cargo target dir), drift checks of the generated native.js/native.d.ts and of the
# public declarations tsc generates from the JSDoc (scripts/gen-types.js), a strict type check,
# `node --test`, and an install of the `npm pack` tarball with no cargo on PATH (the prebuilt
# binary it carries is used).
set -euo pipefail
cd "$(dirname "$0")"

echo "== grovekv (node): npm install (from the committed package-lock.json)"
# The lock lists every package npm 11 resolves here, optional ones included (@emnapi/*, which
# an older lock left out and npm then fetched unpinned), so `npm install` takes exactly the
# locked versions; a lock it would rewrite means something was fetched unpinned, and fails.
# (The package's own install script, scripts/build.js, runs here too: it builds the addon with
# cargo unless a grovekv.<platform>.node is already present.)
lock_before=$(sha256sum package-lock.json)
npm install --no-audit --no-fund
if [ "$(sha256sum package-lock.json)" != "$lock_before" ]; then
  git --no-pager diff --stat -- package-lock.json || true
  echo "error: npm install rewrote package-lock.json: a dependency is not pinned by the lock" >&2
  exit 1
fi

echo "== grovekv (node): napi build --release (+ drift check of native.js / native.d.ts)"
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
npx napi build --platform --release --output-dir "$gen" --js native.js --dts native.d.ts
for f in native.js native.d.ts; do
  if ! cmp -s "$gen/$f" "$f"; then
    diff -u "$f" "$gen/$f" || true
    echo "error: $f differs from a fresh generation; regenerate with: npm run build" >&2
    exit 1
  fi
done
for bin in "$gen"/*.node; do
  # rename into place so a process that has the old binary mapped never sees a partial file
  name="$(basename "$bin")"
  cp "$bin" "$name.tmp" && mv -f "$name.tmp" "$name"
done

echo "== grovekv (node): drift check of index.d.ts / promises.d.ts / internal.d.ts (generated from the JSDoc)"
node scripts/gen-types.js --check

echo "== grovekv (node): tsc --strict on the declarations (test/types.ts, test/promises_types.ts)"
npx tsc -p test/tsconfig.json

echo "== grovekv (node): node --test"
node --test test/*.test.js

echo "== grovekv (node): npm pack, then install the tarball with no cargo on PATH"
pack="$gen/pack"
mkdir -p "$pack/app"
npm pack --pack-destination "$pack" --silent >/dev/null
tarball="$(ls "$pack"/grovekv-*.tgz)"
listing="$(tar -tzf "$tarball")"
echo "$listing"
if grep -Eq '^package/(target|src|node_modules|test)/' <<<"$listing"; then
  echo "error: the tarball carries build, source or dependency directories" >&2
  exit 1
fi
if ! grep -Eq '^package/grovekv\.[a-z0-9-]+\.node$' <<<"$listing"; then
  echo "error: the tarball carries no prebuilt binary" >&2
  exit 1
fi
nocargo="$gen/bin"
mkdir -p "$nocargo"
ln -s "$(command -v node)" "$nocargo/node"
ln -s "$(command -v npm)" "$nocargo/npm"
(
  cd "$pack/app"
  echo '{"name":"app","version":"1.0.0","private":true}' > package.json
  # only node, npm and the basic system tools: proves the install needs no Rust
  env PATH="$nocargo:/usr/bin:/bin" sh -c 'if command -v cargo >/dev/null; then echo "note: a system cargo is on /usr/bin"; fi'
  env PATH="$nocargo:/usr/bin:/bin" npm install --no-audit --no-fund --offline "$tarball"
  node -e "
    const g = require('grovekv')
    const db = g.openMemory()
    if (db.counter('c').increment(41) !== 41) process.exit(1)
    const lb = db.leaderboard('s'); lb.add('a', 1); lb.add('b', 2)
    if (lb.rank('a') !== 1 || lb.top(1)[0].member !== 'b') process.exit(1)
    const q = db.queue('q'); q.enqueue('job')
    if (!q.ack(q.dequeue().id)) process.exit(1)
    const a = g.openMemory({ nodeId: 'a' }), b = g.openMemory({ nodeId: 'b' })
    a.crdtCounter('k').increment(2); b.crdtCounter('k').increment(3)
    if (g.sync(a, b).merged !== 1 || b.crdtCounter('k').value() !== 5) process.exit(1)
    console.log('tarball install (CommonJS): ok')"
  node --input-type=module -e "
    import { openMemory, sync } from 'grovekv'
    if (openMemory().counter('c').increment() !== 1) process.exit(1)
    const a = openMemory({ nodeId: 'a' }), b = openMemory({ nodeId: 'b' })
    a.crdtSet('s').add('x'); sync(a, b)
    if (!b.crdtSet('s').has('x')) process.exit(1)
    console.log('tarball install (ESM): ok')"
  node -e "
    const P = require('grovekv/promises')
    if (P !== require('grovekv').promises) process.exit(1)
    P.openMemory().then(async (db) => {
      const c = db.counter('c')
      await Promise.all([c.increment(), c.increment()])
      if ((await c.get()) !== 2 || (await db.queue('q').dequeueWait({ timeout: 0.01 })) !== null) process.exit(1)
      await db.close()
      console.log('tarball install (promises): ok')
    }, () => process.exit(1))"
  node --input-type=module -e "
    import { openMemory } from 'grovekv/promises'
    const db = await openMemory()
    if ((await db.counter('c').increment(2)) !== 2) process.exit(1)
    console.log('tarball install (promises, ESM): ok')"
)
echo "== grovekv (node): all passed"
