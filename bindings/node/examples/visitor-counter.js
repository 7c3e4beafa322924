'use strict'
// The seed's visitor counter over node:http: GET / counts a page view, GET /stats reads it.
//   node examples/visitor-counter.js [dir]     (listens on :8080, store in ./visitors-data)
const http = require('node:http')
const grovekv = require('..')

/** An http.Server that counts page views in `db`'s counter 'page-views'. */
function createServer(db) {
  const visitors = db.counter('page-views')
  return http.createServer((req, res) => {
    let count
    try {
      if (req.url === '/') count = visitors.increment()
      else if (req.url === '/stats') count = visitors.get()
      else {
        res.writeHead(404).end()
        return
      }
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`counter error: ${e.code}`)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ total_views: count }))
  })
}

module.exports = { createServer }

if (require.main === module) {
  const db = grovekv.open(process.argv[2] || './visitors-data')
  const server = createServer(db).listen(8080, () => console.log('listening on :8080'))
  process.on('SIGINT', () => server.close(() => db.close()))
}
