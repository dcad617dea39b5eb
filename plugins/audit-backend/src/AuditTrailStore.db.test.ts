import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  auditQuerySchema,
  type AuditQuery,
} from '@konductor/plugin-audit-common';
import { AuditTrailStore } from './AuditTrailStore';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

describe.each(databases.eachSupportedId())(
  'AuditTrailStore on %s',
  databaseId => {
    let trail: AuditTrailStore;
    const at = (day: number) => new Date(Date.UTC(2026, 11, day)).toISOString();
    const list = (query: AuditQuery) =>
      trail.list(auditQuerySchema.parse(query));

    beforeAll(async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest({
        directory: resolvePackagePath(
          '@konductor/plugin-audit-backend',
          'migrations',
        ),
      });
      trail = new AuditTrailStore(db);
      await trail.record({
        at: at(1),
        plugin: 'provisioning',
        eventId: 'stack-claim',
        severity: 'medium',
        status: 'succeeded',
        actor: 'user:default/alice',
        subject: '123456789012/us-east-1/shop-dev',
        request: { method: 'POST', url: '/api/provisioning/stacks/claims' },
        meta: { name: 'shop', owner: 'group:default/team-a' },
      });
      await trail.record({
        at: at(2),
        plugin: 'scaffolder',
        eventId: 'task',
        action: 'cancel',
        severity: 'medium',
        status: 'failed',
        actor: 'user:default/bob',
        subject: 'task-1',
        error: 'You may not cancel this task',
      });
      await trail.record({
        at: at(3),
        plugin: 'compliance',
        eventId: 'exemption-approve',
        severity: 'high',
        status: 'succeeded',
        actor: 'user:default/carol',
        subject: 'component:default/shop',
      });
    });

    it('answers newest first with every field it was given', async () => {
      const page = await list({});
      expect(page.totalCount).toBe(3);
      expect(page.items.map(r => r.eventId)).toEqual([
        'exemption-approve',
        'task',
        'stack-claim',
      ]);
      expect(page.items[2]).toEqual({
        id: expect.any(Number),
        at: at(1),
        plugin: 'provisioning',
        eventId: 'stack-claim',
        severity: 'medium',
        status: 'succeeded',
        actor: 'user:default/alice',
        subject: '123456789012/us-east-1/shop-dev',
        request: { method: 'POST', url: '/api/provisioning/stacks/claims' },
        meta: { name: 'shop', owner: 'group:default/team-a' },
      });
      expect(page.items[1]).toMatchObject({
        action: 'cancel',
        error: 'You may not cancel this task',
      });
    });

    it('filters by actor, plugin, event, status, subject and time', async () => {
      const ids = async (query: AuditQuery) =>
        (await list(query)).items.map(r => r.eventId);
      expect(await ids({ actor: 'user:default/bob' })).toEqual(['task']);
      expect(await ids({ plugin: 'compliance' })).toEqual([
        'exemption-approve',
      ]);
      expect(await ids({ eventId: 'stack-claim' })).toEqual(['stack-claim']);
      expect(await ids({ status: 'failed' })).toEqual(['task']);
      expect(await ids({ subject: 'SHOP' })).toEqual([
        'exemption-approve',
        'stack-claim',
      ]);
      // The details are searched too: a task's parameters name the stack it made.
      expect(await ids({ subject: 'team-a' })).toEqual(['stack-claim']);
      expect(await ids({ from: at(2), to: at(3) })).toEqual(['task']);
      expect(
        (await list({ limit: 1, offset: 1 })).items.map(r => r.eventId),
      ).toEqual(['task']);
    });

    it('exports every match a page at a time, and prunes what is older than the retention', async () => {
      const pages = [];
      for await (const items of trail.all(auditQuerySchema.parse({}), 2))
        pages.push(items.length);
      expect(pages).toEqual([2, 1]);
      expect(await trail.prune(new Date(at(3)))).toBe(2);
      expect((await list({})).items.map(r => r.eventId)).toEqual([
        'exemption-approve',
      ]);
    });
  },
);

describe.each(databases.eachSupportedId())(
  'policy changes on %s',
  databaseId => {
    let trail: AuditTrailStore;

    beforeAll(async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest({
        directory: resolvePackagePath(
          '@konductor/plugin-audit-backend',
          'migrations',
        ),
      });
      trail = new AuditTrailStore(db);
    });

    const policyRecords = async () =>
      (
        await trail.list(
          auditQuerySchema.parse({ eventId: 'policy-change', limit: 100 }),
        )
      ).items.reverse();

    it('records the policy once as a baseline, then each change with its paths, once across replicas', async () => {
      const key = 'konductor.provisioning.approvals';
      const first = {
        expiresAfterHours: 72,
        rules: [{ description: 'prod', approvers: ['group:default/a'] }],
      };
      const at = (minute: number) =>
        new Date(Date.UTC(2026, 11, 5, 10, minute));
      expect(await trail.recordPolicy(key, first, at(0))).toMatchObject({
        action: 'baseline',
        subject: key,
        meta: { after: first },
      });
      // The same policy with its keys in another order: nothing to record.
      expect(
        await trail.recordPolicy(
          key,
          { rules: first.rules, expiresAfterHours: 72 },
          at(1),
        ),
      ).toBeUndefined();

      // Two replicas start with a changed policy at once: one records it.
      const second = {
        expiresAfterHours: 48,
        rules: [
          { description: 'prod', approvers: ['group:default/a', 'owner'] },
        ],
      };
      const results = await Promise.all([
        trail.recordPolicy(key, second, at(2)),
        trail.recordPolicy(key, second, at(2)),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      // An unset key is a change too.
      await trail.recordPolicy(key, undefined, at(3));

      expect(
        (await policyRecords()).map(r => [r.action, r.meta?.changed]),
      ).toEqual([
        ['baseline', undefined],
        ['change', ['expiresAfterHours', 'rules[0].approvers']],
        ['change', ['(value)']],
      ]);
      expect((await policyRecords())[1]).toMatchObject({
        plugin: 'audit',
        severity: 'high',
        status: 'succeeded',
        subject: key,
        meta: { before: first, after: second },
      });
    });
  },
);
