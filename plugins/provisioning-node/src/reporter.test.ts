import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import provisioningPlugin from '@konductor/plugin-provisioning-backend';
import {
  ProvisioningClient,
  ProvisioningEvent,
} from '@konductor/plugin-provisioning-common';
import { BackendProvisioningReporter, ProvisioningRunInfo } from './reporter';

/**
 * A proxy in front of the backend that is unavailable at first (503), then for a while forwards
 * every third request but loses its answer: the backend stored the batch, the reporter saw a
 * failure and sends it again.
 */
function unreliableProxy(target: number) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    const n = requests;
    if (n <= 6) {
      res.writeHead(503).end('unavailable');
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      up => {
        if (n % 3 === 0 && n < 30) {
          up.resume();
          up.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  return new Promise<{
    url: string;
    stop(): Promise<void>;
    requests(): number;
  }>(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => requests,
        stop: () =>
          new Promise(done => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    ),
  );
}

describe('BackendProvisioningReporter', () => {
  it('delivers every event in order, without gaps or duplicates, through an unreliable backend', async () => {
    const { server } = await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async () => {} }),
        }),
      ],
    });
    const proxy = await unreliableProxy((server.address() as AddressInfo).port);
    const client = (base: string) =>
      new ProvisioningClient({
        discovery: { getBaseUrl: async () => `${base}/api/provisioning` },
        token: async () => mockCredentials.service.token(),
      });
    const reporter = () =>
      new BackendProvisioningReporter({
        client: client(proxy.url),
        logger: mockServices.logger.mock(),
        retry: { baseDelayMs: 5, maxDelayMs: 50, giveUpAfterMs: 30_000 },
      });
    const run: ProvisioningRunInfo = {
      taskId: 'task-1',
      stackId: 'shop-dev',
      stackName: 'shop',
      environment: 'dev',
      accountId: '123456789012',
      region: 'us-east-1',
      resources: [{ resource: 'network', dependsOn: [] }],
    };
    const event = (i: number): ProvisioningEvent => ({
      at: new Date().toISOString(),
      status: 'waiting',
      resource: 'network',
      message: `event ${i}`,
    });

    const first = reporter();
    for (let i = 1; i <= 120; i++) first.report(run, event(i));
    await first.flush(run);

    // A task resumed after a crash has a new reporter: its events continue the same log.
    const resumed = reporter();
    for (let i = 121; i <= 125; i++) resumed.report(run, event(i));
    await resumed.flush(run);

    const direct = client(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    const { items } = await direct.listRuns({ text: 'shop' });
    expect(items).toHaveLength(1);
    const { events, cursor } = await direct.listEvents(items[0].id, 0);
    expect(cursor).toBe(125);
    expect(events.map(e => e.seq)).toEqual(
      Array.from({ length: 125 }, (_, i) => i + 1),
    );
    expect(events.map(e => e.message)).toEqual(
      Array.from({ length: 125 }, (_, i) => `event ${i + 1}`),
    );
    expect(proxy.requests()).toBeGreaterThan(10);
    await proxy.stop();
  });

  it('stops at once, with one warning, when the runs backend is not there (404)', async () => {
    const { server } = await startTestBackend({
      features: [mockServices.database.factory()],
    });
    const logger = mockServices.logger.mock();
    let requests = 0;
    const reporter = new BackendProvisioningReporter({
      logger,
      client: new ProvisioningClient({
        discovery: {
          getBaseUrl: async () =>
            `http://127.0.0.1:${
              (server.address() as AddressInfo).port
            }/api/provisioning`,
        },
        token: async () => mockCredentials.service.token(),
        fetch: (...args) => {
          requests += 1;
          return fetch(...args);
        },
      }),
      retry: { baseDelayMs: 5, maxDelayMs: 5, giveUpAfterMs: 60_000 },
    });
    const run: ProvisioningRunInfo = {
      taskId: 't',
      stackId: 'x-dev',
      stackName: 'x',
      environment: 'dev',
      accountId: '123456789012',
      region: 'us-east-1',
      resources: [],
    };
    reporter.report(run, {
      at: new Date().toISOString(),
      status: 'run-started',
      message: 'start',
    });
    await reporter.flush(run);
    expect(requests).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('the runs backend answered 404'),
    );
  });
});
