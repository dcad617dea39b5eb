// A small JSON API, described by openapi.yaml: GET /items lists items, POST /items adds one,
// GET /healthz answers when the process is up. Items live in memory.
const http = require('node:http');

function createServer() {
  const items = [];
  return http.createServer((req, res) => {
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return json(200, { status: 'ok' });
    if (req.url === '/items' && req.method === 'GET')
      return json(200, { items });
    if (req.url === '/items' && req.method === 'POST') {
      let body = '';
      req.on('data', chunk => (body += chunk));
      req.on('end', () => {
        let item;
        try {
          item = JSON.parse(body);
        } catch {
          return json(400, { error: 'the body must be JSON' });
        }
        if (typeof item?.name !== 'string' || !item.name)
          return json(400, { error: 'name is required' });
        const created = { id: items.length + 1, name: item.name };
        items.push(created);
        return json(201, created);
      });
      return undefined;
    }
    return json(404, { error: 'not found' });
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT || 8080);
  createServer().listen(port, () => console.log(`listening on ${port}`));
}

module.exports = { createServer };
