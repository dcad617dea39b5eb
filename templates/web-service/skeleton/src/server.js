// A small web service: GET / serves its page, GET /healthz answers when the process is up.
const http = require('node:http');

function createServer(env = process.env) {
  const name = env.SERVICE_NAME || 'web service';
  return http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>${name}</title><h1>${name}</h1>`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found\n');
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT || 8080);
  createServer().listen(port, () => console.log(`listening on ${port}`));
}

module.exports = { createServer };
