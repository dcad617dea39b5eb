import request from 'supertest';
import express from 'express';
import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import auditPlugin, { auditorServiceFactory } from './index';

/** A plugin that audits what it is asked to, through the backend's auditor. */
const auditedPlugin = createBackendPlugin({
  pluginId: 'shop',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        auditor: coreServices.auditor,
      },
      async init({ httpRouter, auditor }) {
        const router = express.Router();
        router.post('/things/:name', async (req, res) => {
          const event = await auditor.createEvent({
            eventId: 'thing-create',
            severityLevel: req.params.name === 'quiet' ? 'low' : 'medium',
            request: req,
            meta: { entityRef: `component:default/${req.params.name}` },
          });
          if (req.params.name === 'broken') {
            await event.fail({ error: new Error('the thing broke') });
            res.status(500).end();
          } else {
            await event.success();
            res.status(201).end();
          }
        });
        httpRouter.use(router);
      },
    });
  },
});

async function backend(decide: (user: string) => AuthorizeResult) {
  const { server } = await startTestBackend({
    features: [
      auditPlugin,
      auditedPlugin,
      auditorServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
        },
      }),
      createServiceFactory({
        service: coreServices.permissions,
        deps: {},
        factory: () =>
          ({
            authorize: async (requests: unknown[], options: any) =>
              requests.map(() => ({
                result: decide(
                  options.credentials.principal.userEntityRef ?? 'service',
                ),
              })),
          } as any),
      }),
    ],
  });
  return server;
}

describe('the audit trail', () => {
  it('records what every plugin audits as it ends, and serves it with filters and CSV', async () => {
    const server = await backend(() => AuthorizeResult.ALLOW);
    const alice = mockCredentials.user.header('user:default/alice');
    for (const name of ['shop', 'broken', 'quiet'])
      await request(server)
        .post(`/api/shop/things/${name}`)
        .set('Authorization', alice);
    const page = await request(server)
      .get('/api/audit/events?plugin=shop')
      .set('Authorization', alice);
    expect(page.status).toBe(200);
    // Low-severity events (reads) are logged, not kept; each kept event once, as it ended.
    expect(page.body.totalCount).toBe(2);
    expect(page.body.items).toEqual([
      expect.objectContaining({
        plugin: 'shop',
        eventId: 'thing-create',
        status: 'failed',
        actor: 'user:default/alice',
        subject: 'component:default/broken',
        request: { method: 'POST', url: '/api/shop/things/broken' },
        error: 'the thing broke',
      }),
      expect.objectContaining({
        status: 'succeeded',
        subject: 'component:default/shop',
      }),
    ]);
    const csv = await request(server)
      .get('/api/audit/events/export.csv?status=succeeded&plugin=shop')
      .set('Authorization', alice);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'at,actor,plugin,event,action,subject,status,severity,request,error,meta',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(
      ',user:default/alice,shop,thing-create,,component:default/shop,succeeded,medium,POST /api/shop/things/shop,,',
    );
    const bad = await request(server)
      .get('/api/audit/events?status=maybe')
      .set('Authorization', alice);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^Invalid query: status: /);
  });

  it('is refused to whom the policy denies it', async () => {
    const server = await backend(user =>
      user === 'user:default/carol'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    );
    for (const path of ['/api/audit/events', '/api/audit/events/export.csv']) {
      const res = await request(server)
        .get(path)
        .set('Authorization', mockCredentials.user.header('user:default/bob'));
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'Only platform admins may read the audit trail',
      );
    }
    expect(
      (
        await request(server)
          .get('/api/audit/events')
          .set(
            'Authorization',
            mockCredentials.user.header('user:default/carol'),
          )
      ).status,
    ).toBe(200);
  });
});
