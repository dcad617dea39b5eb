// A small Node.js service: GET /healthz answers when the process is up and its database
// settings are present; GET / says hello. Its database settings come from the environment,
// which the Kubernetes deployment fills from the stack's outputs and secrets.
const http = require('node:http');

const REQUIRED = ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'];

function databaseSettings(env = process.env) {
  const missing = REQUIRED.filter(name => !env[name]);
  return {
    missing,
    host: env.DB_HOST,
    port: Number(env.DB_PORT || 5432),
    database: env.DB_NAME,
    user: env.DB_USER,
  };
}

function createServer(env = process.env) {
  return http.createServer((req, res) => {
    const db = databaseSettings(env);
    if (req.url === '/healthz') {
      const ok = db.missing.length === 0;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          ok
            ? { status: 'ok', database: `${db.host}:${db.port}/${db.database}` }
            : { status: 'misconfigured', missing: db.missing },
        ),
      );
      return;
    }
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`Hello from ${env.SERVICE_NAME || 'the service'}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found\n');
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT || 8080);
  createServer().listen(port, () => {
    console.log(`listening on ${port}`);
  });
}

module.exports = { createServer, databaseSettings };
