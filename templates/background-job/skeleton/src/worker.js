// A background job: runs `work` every INTERVAL_SECONDS (default 60) and serves GET /healthz,
// which answers 503 when the last run failed or the job has stalled.
const http = require('node:http');

function createWorker({ work, intervalMs }) {
  const state = { runs: 0, lastRun: undefined, lastError: undefined };
  const tick = async () => {
    try {
      await work();
      state.lastError = undefined;
    } catch (e) {
      state.lastError = e.message;
    }
    state.runs += 1;
    state.lastRun = Date.now();
  };
  const healthy = () =>
    !state.lastError &&
    (state.lastRun === undefined ||
      Date.now() - state.lastRun < 3 * intervalMs);
  const server = http.createServer((req, res) => {
    if (req.url !== '/healthz') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(healthy() ? 200 : 503, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ ...state, healthy: healthy() }));
  });
  return { state, tick, server };
}

if (require.main === module) {
  const intervalMs = Number(process.env.INTERVAL_SECONDS || 60) * 1000;
  const worker = createWorker({
    intervalMs,
    work: async () => console.log(`job ran at ${new Date().toISOString()}`),
  });
  worker.server.listen(Number(process.env.PORT || 8080));
  worker.tick();
  setInterval(worker.tick, intervalMs);
}

module.exports = { createWorker };
