import request from 'supertest';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { coreServices } from '@backstage/backend-plugin-api';
import provisioningPlugin from './index';

/** Catalog entities the notifications' texts name. */
const TEAM_A_ENTITY = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-a', namespace: 'default' },
  spec: { type: 'team', profile: { displayName: 'Team A' }, children: [] },
};
const BOB_ENTITY = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'bob', namespace: 'default' },
  spec: { profile: { displayName: 'Bob Baptiste' }, memberOf: [] },
};

describe('provisioning API', () => {
  const published: any[] = [];
  const notified: any[] = [];
  const announced: any[] = [];
  const subscribers: {
    topics: string[];
    onEvent: (e: any) => Promise<void>;
  }[] = [];
  const audited: string[] = [];
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const service = mockCredentials.service.header();
  const user = mockCredentials.user.header();

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        // The catalog names team-a in refusals; team-b, which it lacks, stays a ref.
        catalogServiceMock.factory({ entities: [TEAM_A_ENTITY] }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (s: any) => void published.push(s),
          }),
        }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send: async (n: any) => void notified.push(n) }),
        }),
        createServiceFactory({
          service: eventsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (e: any) => void announced.push(e),
            subscribe: async (s: any) => void subscribers.push(s),
          }),
        }),
        createServiceFactory({
          service: coreServices.auditor,
          deps: {},
          factory: () => ({
            createEvent: async (o: any) => ({
              success: async () => void audited.push(`${o.eventId}: success`),
              fail: async () => void audited.push(`${o.eventId}: fail`),
            }),
          }),
        }),
      ],
    }));
  });

  const createRun = (taskId: string) =>
    request(server)
      .post('/api/provisioning/runs')
      .set('Authorization', service)
      .send({
        taskId,
        stackId: `${taskId}-dev`,
        stackName: taskId,
        environment: 'dev',
        accountId: '123456789012',
        region: 'us-east-1',
        resources: [{ resource: 'network', dependsOn: [] }],
      });
  const event = (seq: number, status = 'creating') => ({
    seq,
    at: new Date().toISOString(),
    status,
    resource: 'network',
    message: `network: ${status}`,
  });

  it('lets only backend services write', async () => {
    const asUser = await request(server)
      .post('/api/provisioning/runs')
      .set('Authorization', user)
      .send({});
    expect(asUser.status).toBe(403);
    const created = await createRun('auth');
    expect(created.status).toBe(201);
    expect((await createRun('auth')).body.id).toBe(created.body.id);
    expect((await createRun('auth')).status).toBe(200);
  });

  it('refuses an invalid event batch naming the problem and stores nothing', async () => {
    const { body: run } = await createRun('invalid');
    const bad = await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', service)
      .send({ events: [event(1), { ...event(2), status: 'exploded' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      name: 'InputError',
      message: expect.stringContaining('events.1.status'),
    });
    expect(
      (
        await request(server)
          .get(`/api/provisioning/runs/${run.id}/events`)
          .set('Authorization', user)
      ).body.events,
    ).toEqual([]);
    const gap = await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', service)
      .send({ events: [event(2)] });
    expect(gap.status).toBe(409);
  });

  it('answers unknown runs with 404 and malformed filters with 400', async () => {
    const missing = await request(server)
      .get('/api/provisioning/runs/does-not-exist')
      .set('Authorization', user);
    expect(missing.status).toBe(404);
    expect(missing.body.error.name).toBe('NotFoundError');
    const bad = await request(server)
      .get('/api/provisioning/runs?limit=1000&colour=red')
      .set('Authorization', user);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/limit/);
    expect(bad.body.error.message).toMatch(/colour/);
  });

  it('serves the run with its graph, and the list with filters', async () => {
    const { body: run } = await createRun('graph');
    await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', service)
      .send({
        events: [
          event(1),
          { ...event(2, 'ready'), outputs: { vpcId: 'vpc-9' } },
        ],
      });
    const got = await request(server)
      .get(`/api/provisioning/runs/${run.id}`)
      .set('Authorization', user);
    expect(got.body.run).toMatchObject({ id: run.id, lastSeq: 2 });
    expect(got.body.resources).toEqual([
      expect.objectContaining({
        resource: 'network',
        status: 'ready',
        outputs: { vpcId: 'vpc-9' },
      }),
    ]);
    const list = await request(server)
      .get('/api/provisioning/runs?text=graph')
      .set('Authorization', user);
    expect(list.body).toMatchObject({
      totalCount: 1,
      items: [expect.objectContaining({ id: run.id })],
    });
  });

  /** Opens a run's event stream as the user; `next()` is its next message (comments skipped). */
  async function openStream(runId: string, after = 0) {
    const stop = new AbortController();
    const res = await fetch(
      `http://localhost:${server.port()}/api/provisioning/runs/${runId}/events/stream?after=${after}`,
      { headers: { authorization: user }, signal: stop.signal },
    );
    const reader = res.ok
      ? res.body!.pipeThrough(new TextDecoderStream()).getReader()
      : undefined;
    let buffer = '';
    const next = async (): Promise<Record<string, string> | undefined> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (raw.startsWith(':')) continue;
          return Object.fromEntries(
            raw.split('\n').map(line => {
              const colon = line.indexOf(': ');
              return [line.slice(0, colon), line.slice(colon + 2)];
            }),
          );
        }
        const { value, done } = await reader!.read();
        if (done) return undefined;
        buffer += value;
      }
    };
    return { res, next, close: () => stop.abort() };
  }

  it('streams the stored events after the cursor, then each new one as it is posted, and signals the run channel', async () => {
    const { body: run } = await createRun('live');
    await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', service)
      .send({ events: [event(1)] });
    const stream = await openStream(run.id);
    try {
      expect(stream.res.headers.get('content-type')).toBe('text/event-stream');
      const first = await stream.next();
      expect(first).toMatchObject({ id: '1', event: 'events' });
      expect(JSON.parse(first!.data)).toEqual([
        expect.objectContaining({ seq: 1, status: 'creating' }),
      ]);
      await request(server)
        .post(`/api/provisioning/runs/${run.id}/events`)
        .set('Authorization', service)
        .send({ events: [event(2, 'ready'), event(3, 'ready')] });
      const second = await stream.next();
      expect(second).toMatchObject({ id: '3', event: 'events' });
      expect(JSON.parse(second!.data).map((e: any) => e.seq)).toEqual([2, 3]);
      expect(published).toContainEqual({
        recipients: { type: 'broadcast' },
        channel: `provisioning:run:${run.id}`,
        message: { runId: run.id, cursor: 3 },
      });
    } finally {
      stream.close();
    }
    // A stream opened at a cursor starts after it; the plain read answers a page from a cursor.
    const later = await openStream(run.id, 2);
    try {
      expect(JSON.parse((await later.next())!.data)).toEqual([
        expect.objectContaining({ seq: 3 }),
      ]);
    } finally {
      later.close();
    }
    expect(
      (
        await request(server)
          .get(`/api/provisioning/runs/${run.id}/events?after=1`)
          .set('Authorization', user)
      ).body,
    ).toEqual({
      events: [
        expect.objectContaining({ seq: 2 }),
        expect.objectContaining({ seq: 3 }),
      ],
      cursor: 3,
    });
  });

  it('refuses a stream of a run that does not exist with a JSON error, not an empty stream', async () => {
    const stream = await openStream('nope_nope-dev');
    expect(stream.res.status).toBe(404);
    expect((await stream.res.json()).error.message).toBe(
      'No provisioning run with id nope_nope-dev',
    );
  });

  it('notifies the starter when a run ends, and the owner too when it failed; audits creation', async () => {
    const start = (taskId: string) =>
      request(server)
        .post('/api/provisioning/runs')
        .set('Authorization', service)
        .send({
          taskId,
          stackId: `${taskId}-dev`,
          stackName: taskId,
          environment: 'dev',
          accountId: '123456789012',
          region: 'us-east-1',
          createdBy: 'user:default/alice',
          owner: 'group:default/payments',
          resources: [],
        });
    const { body: failed } = await start('broken');
    const { body: fine } = await start('fine');
    const end = (id: string, status: string) =>
      request(server)
        .post(`/api/provisioning/runs/${id}/events`)
        .set('Authorization', service)
        .send({
          events: [
            {
              seq: 1,
              at: new Date().toISOString(),
              status,
              message: `Stack ${status}`,
            },
          ],
        });
    await end(failed.id, 'run-failed');
    await end(fine.id, 'run-succeeded');
    expect(notified).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: ['user:default/alice', 'group:default/payments'],
        },
        payload: expect.objectContaining({
          title: 'Stack broken-dev failed',
          severity: 'high',
          link: `/provisioning/runs/${failed.id}`,
        }),
      },
      {
        recipients: { type: 'entity', entityRef: ['user:default/alice'] },
        payload: expect.objectContaining({
          title: 'Stack fine-dev succeeded',
          severity: 'normal',
        }),
      },
    ]);
    // Other plugins (the catalog's resource provider) hear of each end once.
    expect(announced).toEqual([
      {
        topic: 'konductor.provisioning.run-finished',
        eventPayload: {
          runId: failed.id,
          stackId: 'broken-dev',
          status: 'failed',
        },
      },
      {
        topic: 'konductor.provisioning.run-finished',
        eventPayload: {
          runId: fine.id,
          stackId: 'fine-dev',
          status: 'succeeded',
        },
      },
    ]);
    // Posting the same final event again (a retry) sends nothing more.
    await end(fine.id, 'run-succeeded');
    expect(notified).toHaveLength(2);
    expect(announced).toHaveLength(2);
    expect(audited).toContain('run-create: success');
  });

  it('claims a stack for its first owner and refuses it to another, naming the owner', async () => {
    const claim = (owner: string, name = 'claimed') =>
      request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', user)
        .send({
          accountId: '123456789012',
          region: 'us-east-1',
          name,
          environment: 'dev',
          owner,
        });
    const first = await claim('group:default/team-a');
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      created: true,
      stack: expect.objectContaining({
        ref: '123456789012/us-east-1/claimed-dev',
        owner: 'group:default/team-a',
        createdBy: mockCredentials.user().principal.userEntityRef,
      }),
    });
    expect((await claim('group:default/team-a')).status).toBe(200);
    const taken = await claim('group:default/team-b');
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toBe(
      'Stack claimed-dev in account 123456789012 (us-east-1) belongs to Team A, not group:default/team-b: choose another name, or ask Team A to change it',
    );
    expect(audited).toContain('stack-claim: fail');
    const bad = await claim('team-b', 'Bad Name');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/name: must be lower-case/);
    expect(bad.body.error.message).toMatch(/owner: must be a group or user/);

    const availability = (owner?: string) =>
      request(server)
        .get('/api/provisioning/stacks/availability')
        .query({
          accountId: '123456789012',
          region: 'us-east-1',
          name: 'claimed',
          environment: 'dev',
          ...(owner ? { owner } : {}),
        })
        .set('Authorization', user);
    expect((await availability('group:default/team-a')).body).toEqual({
      stackId: 'claimed-dev',
      available: true,
      owner: 'group:default/team-a',
    });
    expect((await availability('group:default/team-b')).body).toMatchObject({
      available: false,
      owner: 'group:default/team-a',
      reason: expect.stringMatching(
        /belongs to Team A, not group:default\/team-b/,
      ),
    });

    // A run that names another owner than its stack's is refused.
    const mismatched = await request(server)
      .post('/api/provisioning/runs')
      .set('Authorization', service)
      .send({
        taskId: 'sneaky',
        stackId: 'claimed-dev',
        stackName: 'claimed',
        environment: 'dev',
        accountId: '123456789012',
        region: 'us-east-1',
        owner: 'group:default/team-b',
        resources: [],
      });
    expect(mismatched.status).toBe(409);

    const stackPath =
      '/api/provisioning/stacks/123456789012/us-east-1/claimed-dev';
    // Leases are the stack actions' (backend services), one run at a time.
    const lease = (holder: string, auth = service) =>
      request(server)
        .post(`${stackPath}/lease`)
        .set('Authorization', auth)
        .send({ holder, ttlSeconds: 60 });
    expect((await lease('run-1', user)).status).toBe(403);
    expect((await lease('run-1')).body).toMatchObject({ holder: 'run-1' });
    const busy = await lease('run-2');
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(
      /^Stack claimed-dev is being worked on by run run-1 \(its lease runs until .*\): wait for that run to end, then try again$/,
    );
    expect(
      (
        await request(server)
          .delete(`${stackPath}/lease?holder=run-1`)
          .set('Authorization', service)
      ).status,
    ).toBe(204);
    expect((await lease('run-2')).status).toBe(200);
    expect(
      (await request(server).get(stackPath).set('Authorization', user)).body,
    ).toMatchObject({ owner: 'group:default/team-a' });
    // Its app's delivery: this portal has no Argo CD, and says so.
    const delivery = await request(server)
      .get(`${stackPath}/delivery`)
      .set('Authorization', user);
    expect(delivery.status).toBe(404);
    expect(delivery.body.error.message).toBe(
      'This portal does not deliver apps through Argo CD (konductor.apps.gitops is not set)',
    );
    expect(
      (await request(server).delete(stackPath).set('Authorization', user))
        .status,
    ).toBe(204);
    expect(
      (await request(server).get(stackPath).set('Authorization', user)).status,
    ).toBe(404);
    expect((await claim('group:default/team-b')).status).toBe(201);
  });

  it('gives a new dev stack the expiry asked for within the maximum, keeps it on later claims, and extends it', async () => {
    const day = 24 * 3600_000;
    const inDays = (n: number) => new Date(Date.now() + n * day).toISOString();
    const claim = (name: string, environment: string, expiresAt?: string) =>
      request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', user)
        .send({
          accountId: '123456789012',
          region: 'us-east-1',
          name,
          environment,
          owner: 'group:default/team-a',
          ...(expiresAt ? { expiresAt } : {}),
        });
    const far = await claim('brief', 'dev', inDays(31));
    expect(far.status).toBe(400);
    expect(far.body.error.message).toMatch(
      /^The expiry .* is more than 30 days away \(the platform's maximum\): choose a date before /,
    );
    const prod = await claim('brief', 'prod', inDays(2));
    expect(prod.status).toBe(400);
    expect(prod.body.error.message).toBe(
      'Prod stacks never expire: leave the expiry empty',
    );
    const bad = await claim('brief', 'dev', 'next week');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^Invalid stack claim: expiresAt: /);
    // Nothing was recorded by the refusals.
    const path = '/api/provisioning/stacks/123456789012/us-east-1/brief-dev';
    expect(
      (await request(server).get(path).set('Authorization', user)).status,
    ).toBe(404);

    const expiresAt = inDays(2);
    const created = await claim('brief', 'dev', expiresAt);
    expect(created.status).toBe(201);
    expect(created.body.stack.expiresAt).toBe(expiresAt);
    // A later run's claim (a change) keeps the stack's expiry.
    const again = await claim('brief', 'dev', inDays(9));
    expect(again.status).toBe(200);
    expect(again.body.stack.expiresAt).toBe(expiresAt);

    const extend = (to: string) =>
      request(server)
        .put(`${path}/expiry`)
        .set('Authorization', user)
        .send({ expiresAt: to });
    const later = inDays(20);
    const extended = await extend(later);
    expect(extended.status).toBe(200);
    expect(extended.body.expiresAt).toBe(later);
    expect(audited).toContain('stack-expiry: success');
    const past = await extend(inDays(-1));
    expect(past.status).toBe(400);
    expect(past.body.error.message).toMatch(
      /has passed: choose a date in the future$/,
    );
    expect((await extend(inDays(45))).status).toBe(400);
    expect(
      (await request(server).get(path).set('Authorization', user)).body
        .expiresAt,
    ).toBe(later);
    // A prod stack has no expiry to extend.
    await claim('kept', 'prod');
    const prodExtend = await request(server)
      .put('/api/provisioning/stacks/123456789012/us-east-1/kept-prod/expiry')
      .set('Authorization', user)
      .send({ expiresAt: inDays(2) });
    expect(prodExtend.status).toBe(400);
    expect(prodExtend.body.error.message).toBe(
      'Prod stacks never expire: leave the expiry empty',
    );
  });

  it("serves a stack's desired-state versions, recorded by the runs that succeeded", async () => {
    await request(server)
      .post('/api/provisioning/stacks/claims')
      .set('Authorization', user)
      .send({
        accountId: '123456789012',
        region: 'us-east-1',
        name: 'versions',
        environment: 'dev',
        owner: 'group:default/team-a',
      })
      .expect(201);
    const versionsPath =
      '/api/provisioning/stacks/123456789012/us-east-1/versions-dev/versions';
    const versions = () =>
      request(server).get(versionsPath).set('Authorization', user);
    expect((await versions()).body).toEqual({ items: [] });
    for (const [taskId, replicas] of [
      ['versions-1', 1],
      ['versions-2', 3],
    ] as const) {
      const { body: run } = await request(server)
        .post('/api/provisioning/runs')
        .set('Authorization', service)
        .send({
          taskId,
          stackId: 'versions-dev',
          stackName: 'versions',
          environment: 'dev',
          accountId: '123456789012',
          region: 'us-east-1',
          owner: 'group:default/team-a',
          createdBy: 'user:default/alice',
          spec: { name: 'versions', resources: { app: { replicas } } },
          resources: [{ resource: 'app', dependsOn: [] }],
        })
        .expect(201);
      await request(server)
        .post(`/api/provisioning/runs/${run.id}/events`)
        .set('Authorization', service)
        .send({ events: [{ ...event(1, 'run-succeeded'), resource: 'app' }] })
        .expect(200);
    }
    const { body } = await versions();
    expect(body.items.map((v: any) => [v.version, v.createdBy])).toEqual([
      [2, 'user:default/alice'],
      [1, 'user:default/alice'],
    ]);
    expect(body.items[0].changes).toEqual([
      { path: 'resources.app.replicas', before: 1, after: 3 },
    ]);
    const unknown = await request(server)
      .get(
        '/api/provisioning/stacks/123456789012/us-east-1/nothing-dev/versions',
      )
      .set('Authorization', user);
    expect(unknown.status).toBe(404);
  });

  it('asks for a drift scan of a stack whose run ended, when it has a desired state to compare with', async () => {
    const claim = (name: string) =>
      request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', user)
        .send({
          accountId: '123456789012',
          region: 'us-east-1',
          name,
          environment: 'dev',
          owner: 'group:default/team-a',
        })
        .expect(201);
    /** Runs the stack to `end`, and hands its run-finished event to the subscribers as the bus does. */
    const runTo = async (name: string, end: string) => {
      const { body: run } = await request(server)
        .post('/api/provisioning/runs')
        .set('Authorization', service)
        .send({
          taskId: `${name}-${end}`,
          stackId: `${name}-dev`,
          stackName: name,
          environment: 'dev',
          accountId: '123456789012',
          region: 'us-east-1',
          owner: 'group:default/team-a',
          spec: { name, resources: { database: { storageGb: 20 } } },
          resources: [{ resource: 'database', dependsOn: [] }],
        })
        .expect(201);
      announced.length = 0;
      await request(server)
        .post(`/api/provisioning/runs/${run.id}/events`)
        .set('Authorization', service)
        .send({ events: [{ ...event(1, end), resource: 'database' }] })
        .expect(200);
      let finished: any;
      for (let i = 0; i < 250 && !finished; i++) {
        finished = announced.find(
          e => e.topic === 'konductor.provisioning.run-finished',
        );
        if (!finished) await new Promise(r => setImmediate(r));
      }
      announced.length = 0;
      for (const sub of subscribers.filter(x =>
        x.topics.includes(finished.topic),
      ))
        await sub.onEvent(finished);
    };
    const drift = (name: string) =>
      request(server)
        .get(
          `/api/provisioning/stacks/123456789012/us-east-1/${name}-dev/drift`,
        )
        .set('Authorization', user);

    // A first run that failed leaves no desired state: nothing to compare, nothing asked.
    await claim('rescan');
    await runTo('rescan', 'run-failed');
    expect(announced).toEqual([]);
    expect((await drift('rescan')).body).toEqual({ resources: [] });
    const early = await request(server)
      .post(
        '/api/provisioning/stacks/123456789012/us-east-1/rescan-dev/drift/scans',
      )
      .set('Authorization', user);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe(
      'Stack rescan-dev has no desired state to compare the cloud with yet: its first run has not succeeded',
    );

    // A run that succeeds: its stack is read back at once, and its page follows the scan.
    await runTo('rescan', 'run-succeeded');
    expect(announced).toEqual([
      {
        topic: 'konductor.provisioning.drift-scan-requested',
        eventPayload: {
          accountId: '123456789012',
          region: 'us-east-1',
          stackId: 'rescan-dev',
        },
      },
    ]);
    expect((await drift('rescan')).body.scanRequestedAt).toEqual(
      expect.any(String),
    );
  });

  it("lists every stack's desired state for the platform's scan, takes its findings, keeps when each drift was first seen, and asks for a scan on request", async () => {
    await request(server)
      .post('/api/provisioning/stacks/claims')
      .set('Authorization', user)
      .send({
        accountId: '123456789012',
        region: 'us-east-1',
        name: 'drifting',
        environment: 'dev',
        owner: 'group:default/team-a',
      })
      .expect(201);
    const { body: run } = await request(server)
      .post('/api/provisioning/runs')
      .set('Authorization', service)
      .send({
        taskId: 'drifting-1',
        stackId: 'drifting-dev',
        stackName: 'drifting',
        environment: 'dev',
        accountId: '123456789012',
        region: 'us-east-1',
        owner: 'group:default/team-a',
        spec: { name: 'drifting', resources: { database: { storageGb: 20 } } },
        resources: [{ resource: 'database', dependsOn: [] }],
      })
      .expect(201);
    await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', service)
      .send({
        events: [{ ...event(1, 'run-succeeded'), resource: 'database' }],
      })
      .expect(200);

    // The platform's scan reads every stack's last version; a user may not.
    expect(
      (
        await request(server)
          .get('/api/provisioning/desired-states')
          .set('Authorization', user)
      ).status,
    ).toBe(403);
    const { body: desired } = await request(server)
      .get('/api/provisioning/desired-states?limit=500')
      .set('Authorization', service)
      .expect(200);
    expect(
      desired.items.find((d: any) => d.stackId === 'drifting-dev'),
    ).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'drifting-dev',
      owner: 'group:default/team-a',
      version: 1,
      spec: { name: 'drifting', resources: { database: { storageGb: 20 } } },
      running: false,
    });
    expect(desired.totalCount).toBe(desired.items.length);

    const driftPath =
      '/api/provisioning/stacks/123456789012/us-east-1/drifting-dev/drift';
    expect(
      (await request(server).get(driftPath).set('Authorization', user)).body,
    ).toEqual({ resources: [] });

    // Someone asks for a scan: recorded, and announced to the platform's scan.
    announced.length = 0;
    const asked = await request(server)
      .post(`${driftPath}/scans`)
      .set('Authorization', user);
    expect(asked.status).toBe(202);
    expect(asked.body.scanRequestedAt).toEqual(expect.any(String));
    expect(announced).toEqual([
      {
        topic: 'konductor.provisioning.drift-scan-requested',
        eventPayload: {
          accountId: '123456789012',
          region: 'us-east-1',
          stackId: 'drifting-dev',
        },
      },
    ]);

    const report = (scannedAt: string, actual: number) => ({
      version: 1,
      scannedAt,
      resources: [
        {
          resource: 'database',
          kind: 'database',
          state: 'drifted',
          attributes: [{ field: 'storageGb', desired: 20, actual }],
        },
      ],
    });
    // Findings come from the platform alone, and are checked.
    await request(server)
      .put(driftPath)
      .set('Authorization', user)
      .send(report(new Date().toISOString(), 50))
      .expect(403);
    const bad = await request(server)
      .put(driftPath)
      .set('Authorization', service)
      .send({ ...report(new Date().toISOString(), 50), version: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^Invalid drift report: version/);

    const first = new Date(Date.now() + 1000).toISOString();
    const { body: stored } = await request(server)
      .put(driftPath)
      .set('Authorization', service)
      .send(report(first, 50))
      .expect(200);
    // The scan answered the request made before it.
    expect(stored.scanRequestedAt).toBeUndefined();
    expect(stored.resources[0].attributes).toEqual([
      { field: 'storageGb', desired: 20, actual: 50, firstSeenAt: first },
    ]);
    // Still drifted a scan later (further): first seen stays.
    const later = new Date(Date.now() + 2000).toISOString();
    await request(server)
      .put(driftPath)
      .set('Authorization', service)
      .send(report(later, 60))
      .expect(200);
    const { body: now } = await request(server)
      .get(driftPath)
      .set('Authorization', user);
    expect(now).toEqual({
      version: 1,
      scannedAt: later,
      resources: [
        {
          resource: 'database',
          kind: 'database',
          state: 'drifted',
          attributes: [
            { field: 'storageGb', desired: 20, actual: 60, firstSeenAt: first },
          ],
        },
      ],
    });
  });

  it('serves the stack inventory and its CSV, and refuses a bad filter naming it', async () => {
    const inventory = await request(server)
      .get('/api/provisioning/stacks?text=claimed&sort=monthlyCost&order=desc')
      .set('Authorization', user);
    expect(inventory.status).toBe(200);
    expect(inventory.body.items).toEqual([
      expect.objectContaining({
        ref: '123456789012/us-east-1/claimed-dev',
        owner: 'group:default/team-b',
        state: 'healthy',
      }),
    ]);
    expect(inventory.body.totals).toEqual([
      { owner: 'group:default/team-b', stacks: 1, monthlyCost: 0 },
    ]);
    const bad = await request(server)
      .get('/api/provisioning/stacks?minCost=10&maxCost=5&sort=price')
      .set('Authorization', user);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/sort: Invalid enum value/);
    const csv = await request(server)
      .get('/api/provisioning/stacks/export.csv?text=claimed')
      .set('Authorization', user);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')[1]).toMatch(
      /^claimed-dev,claimed,dev,123456789012,us-east-1,group:default\/team-b,,healthy,,/,
    );
    const inverted = await request(server)
      .get('/api/provisioning/stacks?minCost=10&maxCost=5')
      .set('Authorization', user);
    expect(inverted.status).toBe(400);
    expect(inverted.body.error.message).toBe(
      'Invalid query: minCost: minCost must not be above maxCost',
    );
  });

  it('refuses to cancel a run that has finished, and audits the attempt', async () => {
    const { body: run } = await createRun('finished');
    await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', service)
      .send({
        events: [
          {
            seq: 1,
            at: new Date().toISOString(),
            status: 'run-succeeded',
            message: 'done',
          },
        ],
      });
    const res = await request(server)
      .post(`/api/provisioning/runs/${run.id}/cancel`)
      .set('Authorization', user);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      /only a running run can be cancelled/,
    );
    expect(audited).toContain('run-cancel: fail');
    expect(
      (
        await request(server)
          .post(`/api/provisioning/runs/${run.id}/cancel`)
          .set('Authorization', service)
      ).status,
    ).toBe(403);
  });
});

/** A provisioning backend whose permission decisions come from `decide` (by permission name). */
const backendDeciding = async (
  decide: (permission: string) => AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) =>
  (
    await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        catalogServiceMock.factory({ entities: [TEAM_A_ENTITY] }),
        createServiceFactory({
          service: coreServices.permissions,
          deps: {},
          factory: () => ({
            authorize: async (requests: any[]) =>
              requests.map(r => ({ result: decide(r.permission.name) })),
            authorizeConditional: async (requests: any[]) =>
              requests.map(r => ({ result: decide(r.permission.name) })),
          }),
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async () => {} }),
        }),
      ],
    })
  ).server;

const startRun = (server: any, taskId: string) =>
  request(server)
    .post('/api/provisioning/runs')
    .set('Authorization', mockCredentials.service.header())
    .send({
      taskId,
      stackId: `${taskId}-dev`,
      stackName: taskId,
      environment: 'dev',
      accountId: '123456789012',
      region: 'us-east-1',
      owner: 'group:default/team-a',
      resources: [{ resource: 'network', dependsOn: [] }],
    })
    .then(r => r.body);

describe('provisioning API for a user the policy grants nothing', () => {
  it('lists nothing, shows no run, refuses cancel, retry and claims with 403', async () => {
    const server = await backendDeciding(() => AuthorizeResult.DENY);
    const run = await startRun(server, 't');
    const asUser = mockCredentials.user.header();
    for (const action of ['cancel', 'retry']) {
      const res = await request(server)
        .post(`/api/provisioning/runs/${run.id}/${action}`)
        .set('Authorization', asUser);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        `You may not ${action} runs of stack t-dev: it belongs to Team A, and only its members or a platform admin may`,
      );
    }
    const list = await request(server)
      .get('/api/provisioning/runs')
      .set('Authorization', asUser);
    expect(list.body).toEqual({ items: [], totalCount: 0 });
    const latest = await request(server)
      .get('/api/provisioning/runs/latest')
      .set('Authorization', asUser);
    expect(latest.body).toEqual({ items: [], totalCount: 0 });
    const inventory = await request(server)
      .get('/api/provisioning/stacks')
      .set('Authorization', asUser);
    expect(inventory.body).toEqual({
      items: [],
      totalCount: 0,
      monthlyCost: 0,
      totals: [],
    });
    const csv = await request(server)
      .get('/api/provisioning/stacks/export.csv')
      .set('Authorization', asUser);
    expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(1);
    for (const path of [`/runs/${run.id}`, `/runs/${run.id}/events`])
      expect(
        (
          await request(server)
            .get(`/api/provisioning${path}`)
            .set('Authorization', asUser)
        ).status,
      ).toBe(403);
    const claim = await request(server)
      .post('/api/provisioning/stacks/claims')
      .set('Authorization', asUser)
      .send({
        accountId: '123456789012',
        region: 'us-east-1',
        name: 'mine',
        environment: 'dev',
        owner: 'group:default/team-b',
      });
    expect(claim.status).toBe(403);
    expect(claim.body.error.message).toBe(
      'You may not create stacks for group:default/team-b: choose an owner group you belong to',
    );
    // Backend services are never refused by the permission service.
    expect(
      (
        await request(server)
          .get('/api/provisioning/runs')
          .set('Authorization', mockCredentials.service.header())
      ).status,
    ).toBe(200);
  });
});

describe('provisioning API for a user who may create stacks but not change them', () => {
  it('refuses to extend the stack, naming its owner', async () => {
    const server = await backendDeciding(permission =>
      permission === 'provisioning.stack.create'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    );
    const asUser = mockCredentials.user.header();
    await request(server)
      .post('/api/provisioning/stacks/claims')
      .set('Authorization', asUser)
      .send({
        accountId: '123456789012',
        region: 'us-east-1',
        name: 'theirs',
        environment: 'dev',
        owner: 'group:default/team-b',
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      });
    const extend = await request(server)
      .put('/api/provisioning/stacks/123456789012/us-east-1/theirs-dev/expiry')
      .set('Authorization', asUser)
      .send({ expiresAt: new Date(Date.now() + 7200_000).toISOString() });
    expect(extend.status).toBe(403);
    expect(extend.body.error.message).toBe(
      'You may not extend stack theirs-dev: it belongs to group:default/team-b, and only its members or a platform admin may change it',
    );
  });
});

describe('provisioning API for a user who may see a stack but not its outputs', () => {
  it('serves the run and its events without outputs, and says so', async () => {
    const server = await backendDeciding(permission =>
      permission === 'provisioning.stack.outputs.read'
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW,
    );
    const run = await startRun(server, 'hidden');
    await request(server)
      .post(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            seq: 1,
            at: new Date().toISOString(),
            status: 'ready',
            resource: 'network',
            message: 'network: ready',
            outputs: { vpcId: 'vpc-secretish' },
          },
        ],
      });
    const asUser = mockCredentials.user.header();
    const got = await request(server)
      .get(`/api/provisioning/runs/${run.id}`)
      .set('Authorization', asUser);
    expect(got.body.outputsHidden).toBe(true);
    expect(got.body.resources).toEqual([
      expect.objectContaining({ resource: 'network', status: 'ready' }),
    ]);
    const events = await request(server)
      .get(`/api/provisioning/runs/${run.id}/events`)
      .set('Authorization', asUser);
    expect(events.body.events).toEqual([
      expect.objectContaining({ seq: 1, status: 'ready' }),
    ]);
    const latest = await request(server)
      .get('/api/provisioning/runs/latest')
      .set('Authorization', asUser);
    expect(latest.body).toMatchObject({
      totalCount: 1,
      items: [
        {
          run: { id: run.id },
          outputsHidden: true,
          resources: [{ resource: 'network', status: 'ready' }],
        },
      ],
    });
    expect(JSON.stringify([got.body, events.body, latest.body])).not.toContain(
      'vpc-secretish',
    );
    // The list shows that it exists.
    expect(
      (
        await request(server)
          .get('/api/provisioning/runs')
          .set('Authorization', asUser)
      ).body.totalCount,
    ).toBe(1);
  });
});

describe("provisioning API for a user who may not see other groups' stacks", () => {
  it('refuses a taken name without naming its owner', async () => {
    const server = await backendDeciding(permission =>
      permission === 'provisioning.stack.read'
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW,
    );
    const asUser = mockCredentials.user.header();
    const stack = {
      accountId: '123456789012',
      region: 'us-east-1',
      name: 'quiet',
      environment: 'dev',
    };
    const claim = (owner: string) =>
      request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', asUser)
        .send({ ...stack, owner });
    expect((await claim('group:default/team-a')).status).toBe(201);
    const taken = await claim('group:default/team-b');
    expect(taken.status).toBe(409);
    const hidden =
      'Stack quiet-dev in account 123456789012 (us-east-1) belongs to another group: choose another name';
    expect(taken.body.error.message).toBe(hidden);
    const availability = await request(server)
      .get('/api/provisioning/stacks/availability')
      .query({ ...stack, owner: 'group:default/team-b' })
      .set('Authorization', asUser);
    expect(availability.body).toEqual({
      stackId: 'quiet-dev',
      available: false,
      reason: hidden,
    });
  });
});

describe('budgets and quotas through the API', () => {
  let admin = false;
  const notified: any[] = [];
  let server: any;
  const asUser = mockCredentials.user.header('user:default/alice');
  const claim = (name: string, monthlyCost: number) =>
    request(server)
      .post('/api/provisioning/stacks/claims')
      .set('Authorization', asUser)
      .send({
        accountId: '123456789012',
        region: 'us-east-1',
        name,
        environment: 'dev',
        owner: 'group:default/team-a',
        monthlyCost,
      });

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        // The catalog names the team in the budget alerts' texts and in refusals.
        catalogServiceMock.factory({ entities: [TEAM_A_ENTITY] }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send: async (n: any) => void notified.push(n) }),
        }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            konductor: {
              provisioning: {
                budgets: [{ environment: 'dev', monthlyCost: 100, stacks: 1 }],
              },
            },
          },
        }),
        createServiceFactory({
          service: coreServices.permissions,
          deps: {},
          factory: () => {
            const decide = (r: any) => ({
              result:
                r.permission.name !== 'provisioning.budget.update' || admin
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY,
            });
            return {
              authorize: async (requests: any[]) => requests.map(decide),
              authorizeConditional: async (requests: any[]) =>
                requests.map(decide),
            };
          },
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async () => {} }),
        }),
      ],
    }));
  });

  it('refuses a claim over the budget or the quota with the numbers, and says so before', async () => {
    const over = await claim('big', 150);
    expect(over.status).toBe(403);
    expect(over.body.error.message).toBe(
      'Over budget: Team A in dev has a budget of $100.00/month; its stacks commit $0.00 and this request adds $150.00, $50.00 over: choose smaller resources, destroy a stack, or ask a platform admin to raise the budget',
    );
    expect((await claim('small', 60)).status).toBe(201);
    const second = await claim('other', 10);
    expect(second.status).toBe(403);
    expect(second.body.error.message).toMatch(
      /^Over quota: Team A in dev may have 1 stack and has 1/,
    );
    const availability = await request(server)
      .get('/api/provisioning/stacks/availability')
      .query({
        accountId: '123456789012',
        region: 'us-east-1',
        name: 'other',
        environment: 'dev',
        owner: 'group:default/team-a',
        monthlyCost: '10',
      })
      .set('Authorization', asUser);
    expect(availability.body).toMatchObject({
      available: true,
      budget: {
        newStack: true,
        adds: 10,
        budget: { stacks: 1, stackCount: 1, source: 'config' },
      },
    });
    expect(availability.body.budget.refusal).toMatch(
      /^Over quota: Team A in dev/,
    );
  });

  it("lets admins alone set a group's limits, over config's, and refuses bad ones saying what to change", async () => {
    const limits = {
      owner: 'group:default/team-a',
      environment: 'dev',
      monthlyCost: 500,
      stacks: 2,
    };
    admin = false;
    const refused = await request(server)
      .put('/api/provisioning/budgets')
      .set('Authorization', asUser)
      .send(limits);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'Only platform admins may set budgets and quotas',
    );
    admin = true;
    const bad = await request(server)
      .put('/api/provisioning/budgets')
      .set('Authorization', asUser)
      .send({ ...limits, stacks: -1, owner: 'team-a' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'Invalid budget: owner: must be a group entity ref such as group:default/team-a; stacks: must be 0 or more',
    );
    const set = await request(server)
      .put('/api/provisioning/budgets')
      .set('Authorization', asUser)
      .send(limits);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      ...limits,
      source: 'portal',
      updatedBy: 'user:default/alice',
      committed: 0,
      stackCount: 1,
    });
    expect((await claim('other', 10)).status).toBe(201);
    const list = await request(server)
      .get('/api/provisioning/budgets')
      .set('Authorization', asUser);
    expect(list.body.items).toEqual([
      expect.objectContaining({ ...limits, stackCount: 2 }),
    ]);
    const withdrawn = await request(server)
      .delete('/api/provisioning/budgets')
      .query({ owner: limits.owner, environment: 'dev' })
      .set('Authorization', asUser);
    expect(withdrawn.body).toMatchObject({ source: 'config', stacks: 1 });
  });

  it('tells the team once when a run brings its stacks to 80 % of the budget, and at once when an admin lowers the budget below them', async () => {
    admin = true;
    const owner = 'group:default/team-a';
    await request(server)
      .put('/api/provisioning/budgets')
      .set('Authorization', asUser)
      .send({ owner, environment: 'staging', monthlyCost: 100, stacks: null })
      .expect(200);
    const succeed = async (name: string, monthlyCost: number) => {
      const target = { accountId: '123456789012', region: 'us-east-1' };
      await request(server)
        .post('/api/provisioning/stacks/claims')
        .set('Authorization', asUser)
        .send({ ...target, name, environment: 'staging', owner, monthlyCost })
        .expect(201);
      const run = await request(server)
        .post('/api/provisioning/runs')
        .set('Authorization', mockCredentials.service.header())
        .send({
          ...target,
          taskId: `task-${name}`,
          stackId: `${name}-staging`,
          stackName: name,
          environment: 'staging',
          owner,
          spec: { name, environment: 'staging', resources: {} },
          monthlyCost,
          resources: [{ resource: 'network', dependsOn: [] }],
        })
        .expect(201);
      await request(server)
        .post(`/api/provisioning/runs/${run.body.id}/events`)
        .set('Authorization', mockCredentials.service.header())
        .send({
          events: [
            {
              seq: 1,
              at: new Date().toISOString(),
              status: 'run-succeeded',
              message: 'done',
            },
          ],
        })
        .expect(200);
    };
    const budgetNotices = () =>
      notified.filter(n => n.payload.topic === 'provisioning-budget');
    await succeed('first', 70);
    await succeed('second', 15);
    // The alert follows the run's end through the events service: wait for it, not for a time.
    for (let i = 0; i < 200 && budgetNotices().length < 1; i++)
      await new Promise(resolve => setImmediate(resolve));
    expect(budgetNotices()).toEqual([
      {
        recipients: { type: 'entity', entityRef: owner },
        payload: expect.objectContaining({
          title: 'Team A has reached 80 % of its staging budget',
          description:
            'Its staging stacks commit $85.00 a month of a budget of $100.00.',
        }),
      },
    ]);

    // An admin lowers the budget below what the stacks commit: the team is told at once.
    await request(server)
      .put('/api/provisioning/budgets')
      .set('Authorization', asUser)
      .send({ owner, environment: 'staging', monthlyCost: 80, stacks: null })
      .expect(200);
    expect(budgetNotices().slice(1)).toEqual([
      {
        recipients: { type: 'entity', entityRef: owner },
        payload: expect.objectContaining({
          title: 'Team A has reached 100 % of its staging budget',
          description: expect.stringMatching(
            /^Its staging stacks commit \$85\.00 a month of a budget of \$80\.00\. Requests that add cost are refused/,
          ),
        }),
      },
    ]);
  });
});

describe('approvals through the API', () => {
  const notified: any[] = [];
  let server: any;
  const alice = mockCredentials.user.header('user:default/alice');
  const bob = mockCredentials.user.header('user:default/bob');
  const service = mockCredentials.service.header();
  const where = { accountId: '123456789012', region: 'us-east-1' };
  const ask = (auth: string, body: object) =>
    request(server)
      .post('/api/provisioning/approvals')
      .set('Authorization', auth)
      .send({
        taskId: 'task-1',
        operation: 'provision',
        ...where,
        stackId: 'big-dev',
        environment: 'dev',
        owner: 'group:default/team-a',
        monthlyCost: 150,
        summary: ['1. database: PostgreSQL ($150.00/month)'],
        ...body,
      });

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        // The catalog names the approver in the requester's notification, the team in refusals.
        catalogServiceMock.factory({ entities: [BOB_ENTITY, TEAM_A_ENTITY] }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send: async (n: any) => void notified.push(n) }),
        }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            konductor: {
              provisioning: {
                budgets: [{ environment: 'dev', monthlyCost: 100 }],
                approvals: {
                  rules: [
                    {
                      description: 'over budget needs the team',
                      overBudget: true,
                      approvers: ['owner'],
                    },
                  ],
                },
              },
            },
          },
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async () => {} }),
        }),
      ],
    }));
  });

  it('sends a run over budget to approval: opened once for the run, never decided by its requester', async () => {
    // Asked before the stack is claimed: refused, saying why.
    const early = await ask(alice, {});
    expect(early.status).toBe(404);
    // The claim over budget is let through: the rule sends it to approval, and the plan says so.
    const claim = await request(server)
      .post('/api/provisioning/stacks/claims')
      .set('Authorization', alice)
      .send({
        ...where,
        name: 'big',
        environment: 'dev',
        owner: 'group:default/team-a',
        monthlyCost: 150,
      });
    expect(claim.status).toBe(201);
    const availability = await request(server)
      .get('/api/provisioning/stacks/availability')
      .query({
        ...where,
        name: 'big',
        environment: 'dev',
        owner: 'group:default/team-a',
        monthlyCost: '150',
      })
      .set('Authorization', alice);
    expect(availability.body.approval).toEqual({
      reasons: ['over budget needs the team'],
      approvers: ['group:default/team-a'],
    });

    const opened = await ask(alice, {});
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      required: true,
      request: {
        state: 'pending',
        requestedBy: 'user:default/alice',
        approvers: ['group:default/team-a'],
      },
    });
    const id = opened.body.request.id;
    expect(notified.map(n => n.recipients.entityRef)).toEqual([
      ['group:default/team-a'],
    ]);
    // The resumed task asks again, as the platform for its user: the same request.
    expect((await ask(service, {})).body.request.id).toBe(id);
    const again = await ask(service, { requestedBy: 'user:default/alice' });
    expect(again.status).toBe(200);
    expect(again.body.request.id).toBe(id);

    const own = await request(server)
      .post(`/api/provisioning/approvals/${id}/decision`)
      .set('Authorization', alice)
      .send({ decision: 'approve' });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      'You asked for this run: someone else (Team A) must decide it',
    );
    const silent = await request(server)
      .post(`/api/provisioning/approvals/${id}/decision`)
      .set('Authorization', bob)
      .send({ decision: 'reject', comment: ' ' });
    expect(silent.status).toBe(400);
    expect(silent.body.error.message).toBe(
      'Invalid decision: comment: say why the request is rejected: the requester reads it',
    );
    const approved = await request(server)
      .post(`/api/provisioning/approvals/${id}/decision`)
      .set('Authorization', bob)
      .send({ decision: 'approve', comment: 'worth it' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'approved',
      decidedBy: 'user:default/bob',
    });
    expect(notified.at(-1)).toMatchObject({
      recipients: { entityRef: 'user:default/alice' },
      payload: {
        title: expect.stringMatching(/^Approved by Bob Baptiste: /),
      },
    });
    const listed = await request(server)
      .get('/api/provisioning/approvals?state=approved')
      .set('Authorization', bob);
    expect(listed.body.items).toMatchObject([
      { id, mayDecide: true, mayWithdraw: true },
    ]);
    // Decided, it can no longer be withdrawn.
    const late = await request(server)
      .post(`/api/provisioning/approvals/${id}/withdrawal`)
      .set('Authorization', alice);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe(
      `Request ${id} is already approved by Bob Baptiste`,
    );
  });
});

describe('change windows through the API', () => {
  let server: any;
  let admin = false;
  const alice = mockCredentials.user.header('user:default/alice');
  const carol = mockCredentials.user.header('user:default/carol');
  const where = { accountId: '123456789012', region: 'us-east-1' };
  const freeze = {
    description: 'Release freeze',
    environments: ['prod'],
    from: new Date(Date.now() - 60_000).toISOString(),
    to: new Date(Date.now() + 3_600_000).toISOString(),
    approvers: ['group:default/cab'],
  };
  const declare = (auth: string, body: object) =>
    request(server)
      .post('/api/provisioning/change-windows')
      .set('Authorization', auth)
      .send(body);
  const approvalOf = async (environment: string) =>
    (
      await request(server)
        .get('/api/provisioning/stacks/availability')
        .query({
          ...where,
          name: 'shop',
          environment,
          owner: 'group:default/team-a',
          monthlyCost: '10',
        })
        .set('Authorization', alice)
    ).body.approval;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            konductor: {
              provisioning: {
                approvals: {
                  rules: [
                    {
                      description: 'prod needs a platform admin',
                      environments: ['prod'],
                      approvers: ['group:default/platform-team'],
                    },
                  ],
                },
              },
            },
          },
        }),
        createServiceFactory({
          service: coreServices.permissions,
          deps: {},
          factory: () => {
            const decide = (r: any) => ({
              result:
                r.permission.name !== 'provisioning.changeWindow.update' ||
                admin
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY,
            });
            return {
              authorize: async (requests: any[]) => requests.map(decide),
              authorizeConditional: async (requests: any[]) =>
                requests.map(decide),
            };
          },
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async () => {} }),
        }),
      ],
    }));
  });

  it('lets admins alone declare a freeze, which holds prod runs for its approvers until withdrawn', async () => {
    admin = false;
    const refused = await declare(alice, freeze);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'Only platform admins may declare and withdraw change windows',
    );
    admin = true;
    const bad = await declare(carol, {
      ...freeze,
      environments: [],
      to: freeze.from,
      approvers: ['cab'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'Invalid change window: environments: name the environments that are frozen; approvers.0: must be a group or user entity ref, or owner; to: the freeze ends (to) after it starts (from)',
    );
    expect((await approvalOf('prod')).approvers).toEqual([
      'group:default/platform-team',
    ]);

    const declared = await declare(carol, freeze);
    expect(declared.status).toBe(201);
    expect(declared.body).toMatchObject({
      source: 'portal',
      description: 'Release freeze',
      active: true,
      declaredBy: 'user:default/carol',
    });
    const listed = await request(server)
      .get('/api/provisioning/change-windows')
      .set('Authorization', alice);
    expect(listed.body.items).toEqual([declared.body]);
    // The plan page says so before the user presses Create; dev is not frozen.
    expect(await approvalOf('prod')).toEqual({
      reasons: [
        `Release freeze (until ${freeze.to}: an emergency change only)`,
      ],
      approvers: ['group:default/cab'],
    });
    expect(await approvalOf('dev')).toBeUndefined();

    admin = false;
    const kept = await request(server)
      .delete(`/api/provisioning/change-windows/${declared.body.id}`)
      .set('Authorization', alice);
    expect(kept.status).toBe(403);
    admin = true;
    const withdrawn = await request(server)
      .delete(`/api/provisioning/change-windows/${declared.body.id}`)
      .set('Authorization', carol);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.id).toBe(declared.body.id);
    expect((await approvalOf('prod')).approvers).toEqual([
      'group:default/platform-team',
    ]);
    const missing = await request(server)
      .delete('/api/provisioning/change-windows/config-0')
      .set('Authorization', carol);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      "No change window config-0 in the portal (config's windows change with config)",
    );
  });
});
