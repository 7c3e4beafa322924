'use strict'
// The seed's visitor counter served by node:http, hit by concurrent requests: counts stay exact.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const grovekv = require('..')
const { createServer } = require('../examples/visitor-counter')
const { tempDir } = require('./helpers')

/** GETs `path` from the server on `port` and parses the JSON body. */
function getJson(agent, port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body}`))
          else resolve(JSON.parse(body))
        })
      })
      .on('error', reject)
  })
}

test('visitor counter: 500 concurrent requests, every count handed out once', async (t) => {
  const db = grovekv.open(tempDir(t))
  const server = createServer(db)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  t.after(async () => {
    agent.destroy()
    await new Promise((resolve) => server.close(resolve))
    db.close()
  })
  const { port } = server.address()
  const N = 500
  const replies = await Promise.all(Array.from({ length: N }, () => getJson(agent, port, '/')))
  const counts = replies.map((r) => r.total_views).sort((a, b) => a - b)
  assert.deepEqual(counts, Array.from({ length: N }, (_, i) => i + 1))
  assert.deepEqual(await getJson(agent, port, '/stats'), { total_views: N })
  assert.equal(db.counter('page-views').get(), N)
})

test('visitor counter: two servers in one process share one store path', async (t) => {
  const dir = tempDir(t)
  const dbs = [grovekv.open(dir), grovekv.open(dir)]
  const servers = dbs.map(createServer)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))))
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
  t.after(async () => {
    agent.destroy()
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    dbs.forEach((d) => d.close())
  })
  const ports = servers.map((s) => s.address().port)
  const N = 400
  await Promise.all(Array.from({ length: N }, (_, i) => getJson(agent, ports[i % 2], '/')))
  for (const port of ports) assert.deepEqual(await getJson(agent, port, '/stats'), { total_views: N })
})
