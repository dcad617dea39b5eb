import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import { notificationService } from '@backstage/plugin-notifications-node';
import compliancePlugin from '..';
import { validateAssessmentResults } from './__testUtils__/validateOscal';

const user = mockCredentials.user.header();

const component = (name: string, spec: object = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, description: `The ${name} service` },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/payments',
    ...spec,
  },
});

describe('the compliance API', () => {
  const decision = { result: AuthorizeResult.ALLOW as AuthorizeResult };
  const auditor = mockServices.auditor.mock();
  const notified: any[] = [];
  let notificationsDown = false;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  beforeAll(async () => {
    const permissions = mockServices.permissions.mock({
      authorize: async requests => requests.map(() => ({ ...decision })) as any,
      authorizeConditional: async requests =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
    });
    ({ server } = await startTestBackend({
      features: [
        compliancePlugin,
        catalogServiceMock.factory({
          entities: [
            component('shop', { system: 'shop' }),
            component('orphan'),
          ],
        }),
        permissions.factory,
        auditor.factory,
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({
            send: async (n: any) => {
              if (notificationsDown) throw new Error('notifications are down');
              notified.push(n);
            },
          }),
        }),
      ],
    }));
  });

  /** The user asks to waive the orphan component's system membership for a day. */
  const requestOrphanExemption = () =>
    request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', user)
      .send({
        entityRef: 'component:default/orphan',
        checkId: 'system-membership',
        justification: 'A shared library, in no system by design',
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
  const evaluate = (name: string) =>
    request(server)
      .post(`/api/compliance/entities/component/default/${name}/evaluate`)
      .set('Authorization', user);

  it('evaluates an entity on request and serves its status, evidence and history', async () => {
    const res = await evaluate('orphan');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      entityRef: 'component:default/orphan',
      level: 'moderate',
      owner: 'group:default/payments',
    });
    const byCheck = Object.fromEntries(
      res.body.results.map((r: any) => [r.checkId, r]),
    );
    expect(byCheck['system-membership']).toMatchObject({
      status: 'fail',
      controls: ['CM-8'],
      remediation: 'Set spec.system to the system it belongs to.',
      evidence: [{ fact: 'entity.system', value: null, source: 'catalog' }],
    });
    expect(byCheck.ownership.status).toBe('pass');

    const status = await request(server)
      .get('/api/compliance/entities/component/default/orphan')
      .set('Authorization', user);
    expect(status.body.score).toBeCloseTo(33.3, 1);
    expect(status.body.history[0]).toMatchObject({ score: 33.3 });
  });

  it('answers 404 for an entity it does not know, 400 naming malformed filters', async () => {
    const unknown = await request(server)
      .get('/api/compliance/entities/component/default/nowhere')
      .set('Authorization', user);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain(
      'No entity component:default/nowhere in the catalog',
    );
    const badGroup = await request(server)
      .get('/api/compliance/summary?groupBy=colour&environment=qa')
      .set('Authorization', user);
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.error.message).toContain(
      'groupBy: Invalid enum value',
    );
    expect(badGroup.body.error.message).toContain(
      'environment: Invalid enum value',
    );
    const unknownFilter = await request(server)
      .get('/api/compliance/entities?team=x')
      .set('Authorization', user);
    expect(unknownFilter.status).toBe(400);
    expect(unknownFilter.body.error.message).toBe(
      'Invalid filters: unknown team',
    );
  });

  it('summarises by control and by owner, worst first', async () => {
    await evaluate('shop');
    const byControl = await request(server)
      .get('/api/compliance/summary?groupBy=control')
      .set('Authorization', user);
    expect(byControl.status).toBe(200);
    const cm8 = byControl.body.groups.find((g: any) => g.key === 'CM-8');
    expect(cm8).toMatchObject({
      title: 'System Component Inventory',
      entities: 2,
      counts: { pass: 3, fail: 1 },
      score: 75,
    });
    // A heat map: each control's counts per owner.
    const heat = await request(server)
      .get('/api/compliance/summary?groupBy=control&by=owner')
      .set('Authorization', user);
    expect(heat.body.groups.find((g: any) => g.key === 'CM-8').cells).toEqual({
      'group:default/payments': { counts: { pass: 3, fail: 1 }, score: 75 },
    });
    const byOwner = await request(server)
      .get('/api/compliance/summary?groupBy=owner&owner=group:default/payments')
      .set('Authorization', user);
    expect(byOwner.body.groups).toEqual([
      expect.objectContaining({ key: 'group:default/payments', entities: 2 }),
    ]);
  });

  it('reports the trend: the average entity score at the end of each day', async () => {
    const res = await request(server)
      .get('/api/compliance/trend?days=3')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    // Both entities were evaluated today: orphan 33.3 (1 of 3), shop 66.7 (2 of 3, no docs).
    expect(res.body.points).toEqual([
      { at: expect.stringMatching(/T23:59:59\.999Z$/), score: 50, entities: 2 },
    ]);
    const bad = await request(server)
      .get('/api/compliance/trend?days=0')
      .set('Authorization', user);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain(
      'days: Number must be greater than or equal to 1',
    );
  });

  it('exports every result as CSV, filtered', async () => {
    const res = await request(server)
      .get('/api/compliance/export.csv?owner=group:default/payments')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = res.text.trim().split('\r\n');
    expect(header).toBe(
      'entity,kind,owner,system,environment,level,check,controls,status,message,evaluated_at',
    );
    expect(rows).toContainEqual(
      expect.stringMatching(
        /^component:default\/orphan,Component,group:default\/payments,,,moderate,system-membership,CM-8,fail,Not part of any system\.,\d{4}-/,
      ),
    );
    const none = await request(server)
      .get('/api/compliance/export.csv?owner=group:default/nobody')
      .set('Authorization', user);
    expect(none.text.trim().split('\r\n')).toHaveLength(1);
  });

  it('exports the results as OSCAL assessment results, valid against the schema', async () => {
    const res = await request(server)
      .get('/api/compliance/export.oscal.json')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toContain(
      'konductor-assessment-results.json',
    );
    const doc = JSON.parse(res.text);
    expect(validateAssessmentResults(doc)).toEqual([]);
    const [result] = doc['assessment-results'].results;
    const orphan = result['local-definitions'].components.find(
      (c: any) => c.title === 'component:default/orphan',
    );
    // The orphan is in no system: its CM-8 finding is not satisfied, and points at the
    // observation of the failing check, whose subject is the orphan's component.
    const finding = result.findings.find(
      (f: any) =>
        f.title === 'CM-8 System Component Inventory: component:default/orphan',
    );
    expect(finding.target).toMatchObject({
      type: 'objective-id',
      'target-id': 'cm-8_obj',
      status: { state: 'not-satisfied', reason: 'fail' },
    });
    const observations = new Map(
      result.observations.map((o: any) => [o.uuid, o]),
    );
    const failing = finding['related-observations'].map((r: any) =>
      observations.get(r['observation-uuid']),
    );
    expect(failing).toContainEqual(
      expect.objectContaining({
        title: 'Part of a system',
        subjects: [expect.objectContaining({ 'subject-uuid': orphan.uuid })],
      }),
    );
    expect(
      result['reviewed-controls']['control-selections'][0]['include-controls'],
    ).toContainEqual({ 'control-id': 'cm-8' });
    // The same entity keeps its component uuid from one export to the next.
    const again = await request(server)
      .get('/api/compliance/export.oscal.json?owner=group:default/payments')
      .set('Authorization', user);
    const next = JSON.parse(again.text)['assessment-results'];
    expect(next.uuid).not.toBe(doc['assessment-results'].uuid);
    expect(
      next.results[0]['local-definitions'].components.map((c: any) => c.uuid),
    ).toContain(orphan.uuid);
  });

  it('waives a check once an exemption requested by one user is approved by another; withdrawing it fails the check again', async () => {
    const body = {
      entityRef: 'component:default/orphan',
      checkId: 'system-membership',
      justification: 'A shared library, in no system by design',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    };
    const status = async () =>
      (
        await request(server)
          .get('/api/compliance/entities/component/default/orphan')
          .set('Authorization', user)
      ).body.results.find((r: any) => r.checkId === 'system-membership').status;
    decision.result = AuthorizeResult.DENY;
    const denied = await request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', user)
      .send(body);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe(
      'You may not request exemptions for component:default/orphan: only its owners and platform admins may',
    );
    decision.result = AuthorizeResult.ALLOW;

    const bad = await request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', user)
      .send({
        ...body,
        justification: 'no',
        expiresAt: '2020-01-01T00:00:00Z',
      });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('justification: say why');
    expect(bad.body.error.message).toContain(
      'expiresAt: must be in the future',
    );
    const tooLong = await request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', user)
      .send({
        ...body,
        expiresAt: new Date(Date.now() + 91 * 86_400_000).toISOString(),
      });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(
      /^expiresAt: an exemption lasts at most 90 days \(konductor.compliance.exemptions.maxDays\): choose \d{4}-\d\d-\d\d or earlier$/,
    );

    const created = await request(server)
      .post('/api/compliance/exemptions')
      .set('Authorization', user)
      .send(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...body,
      status: 'requested',
      createdBy: 'user:default/mock',
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'exemption-create' }),
    );
    // A request waives nothing, and its requester cannot approve it.
    expect(await status()).toBe('fail');
    const own = await request(server)
      .post(`/api/compliance/exemptions/${created.body.id}/approve`)
      .set('Authorization', user);
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      'You requested this exemption: someone else must approve it',
    );

    const approver = mockCredentials.user.header('user:default/admin');
    // An approval's comment is optional, and said with words when there is one.
    const approve = (said: object) =>
      request(server)
        .post(`/api/compliance/exemptions/${created.body.id}/approve`)
        .set('Authorization', approver)
        .send(said);
    const long = await approve({ comment: 'x'.repeat(2001) });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe(
      'Invalid approval: comment: keep it to 2,000 characters',
    );
    const approved = await approve({
      comment: ' Move it into a system by March. ',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      approvedBy: 'user:default/admin',
      approvalComment: 'Move it into a system by March.',
    });
    expect(await status()).toBe('waived');
    expect(notified.pop()).toEqual({
      recipients: { type: 'entity', entityRef: 'user:default/mock' },
      payload: expect.objectContaining({
        title:
          'Exemption approved: system-membership of component:default/orphan',
        description: expect.stringMatching(
          /^user:default\/admin approved it: the check is waived until .+\. Move it into a system by March\.$/,
        ),
        link: '/catalog/default/component/orphan/compliance',
      }),
    });
    expect(
      (
        await request(server)
          .post(`/api/compliance/exemptions/${created.body.id}/approve`)
          .set('Authorization', approver)
      ).status,
    ).toBe(409);

    const withdrawn = await request(server)
      .delete(`/api/compliance/exemptions/${created.body.id}`)
      .set('Authorization', user);
    expect(withdrawn.status).toBe(204);
    expect(await status()).toBe('fail');
  });

  it("rejects a request with the approver's words to its requester: it waives nothing and is decided for good", async () => {
    const created = await requestOrphanExemption();
    const reject = (who: string, body: object) =>
      request(server)
        .post(`/api/compliance/exemptions/${created.body.id}/reject`)
        .set('Authorization', who)
        .send(body);
    const approver = mockCredentials.user.header('user:default/admin');

    // Its requester withdraws it rather than rejecting it; a rejection says why.
    const own = await reject(user, { comment: 'Changed my mind about it' });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      'You requested this exemption: withdraw it instead',
    );
    const silent = await reject(approver, { comment: '  no ' });
    expect(silent.status).toBe(400);
    expect(silent.body.error.message).toBe(
      'Invalid rejection: comment: tell the requester why (10 characters or more)',
    );
    decision.result = AuthorizeResult.DENY;
    const denied = await reject(approver, { comment: 'Put it in a system' });
    decision.result = AuthorizeResult.ALLOW;
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe(
      'You may not reject exemptions: only platform admins may',
    );

    const rejected = await reject(approver, {
      comment: 'Put it in the platform-libraries system',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      rejectedBy: 'user:default/admin',
      rejectionComment: 'Put it in the platform-libraries system',
    });
    expect(rejected.body.approvedBy).toBeUndefined();
    expect(notified.pop()).toEqual({
      recipients: { type: 'entity', entityRef: 'user:default/mock' },
      payload: expect.objectContaining({
        title:
          'Exemption rejected: system-membership of component:default/orphan',
        description:
          'user:default/admin rejected it: Put it in the platform-libraries system',
      }),
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'exemption-reject' }),
    );
    // Rejected, it waives nothing, and neither an approval nor a second rejection changes it.
    const check = await request(server)
      .get('/api/compliance/entities/component/default/orphan')
      .set('Authorization', user);
    expect(
      check.body.results.find((r: any) => r.checkId === 'system-membership')
        .status,
    ).toBe('fail');
    const late = await request(server)
      .post(`/api/compliance/exemptions/${created.body.id}/approve`)
      .set('Authorization', approver);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe(
      `Exemption ${created.body.id} is already rejected`,
    );
    expect(
      (await reject(approver, { comment: 'Put it in another system' })).status,
    ).toBe(409);
  });

  it('decides a request even when its requester cannot be told: the decision is stored and audited as a success', async () => {
    const created = await requestOrphanExemption();
    auditor.createEvent.mockClear();
    notificationsDown = true;
    try {
      const approved = await request(server)
        .post(`/api/compliance/exemptions/${created.body.id}/approve`)
        .set('Authorization', mockCredentials.user.header('user:default/admin'))
        .send({});
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'approved' });
      expect(approved.body.approvalComment).toBeUndefined();
    } finally {
      notificationsDown = false;
    }
    const at = auditor.createEvent.mock.calls.findIndex(
      ([e]) => e.eventId === 'exemption-approve',
    );
    const event = await auditor.createEvent.mock.results[at].value;
    expect(event.success).toHaveBeenCalled();
    expect(event.fail).not.toHaveBeenCalled();
    const withdrawn = await request(server)
      .delete(`/api/compliance/exemptions/${created.body.id}`)
      .set('Authorization', user);
    expect(withdrawn.status).toBe(204);
  });

  it('pages the entities worst first, with the posture of all of them, and offers the filter values', async () => {
    await evaluate('shop');
    await evaluate('orphan');
    const first = await request(server)
      .get('/api/compliance/entities?limit=1')
      .set('Authorization', user);
    expect(first.body.totalCount).toBe(2);
    expect(first.body.items.map((e: any) => e.entityRef)).toEqual([
      'component:default/orphan',
    ]);
    expect(first.body.posture.score).toBeGreaterThan(first.body.items[0].score);
    const second = await request(server)
      .get('/api/compliance/entities?limit=1&offset=1')
      .set('Authorization', user);
    expect(second.body.items.map((e: any) => e.entityRef)).toEqual([
      'component:default/shop',
    ]);
    expect(
      (
        await request(server)
          .get('/api/compliance/entities?limit=501')
          .set('Authorization', user)
      ).status,
    ).toBe(400);
    expect(
      (
        await request(server)
          .get('/api/compliance/facets')
          .set('Authorization', user)
      ).body,
    ).toMatchObject({
      owner: ['group:default/payments'],
      system: ['shop'],
      kind: ['Component'],
    });
  });
});

describe('the compliance API for a user who may read only some entities', () => {
  it('lists, summarises and exports only what the catalog shows them', async () => {
    const shop = component('shop', { system: 'shop' });
    const catalog = catalogServiceMock({
      entities: [shop, component('orphan')],
    });
    // The catalog answers a user with the entities the policy lets them read: only the shop.
    const filtered = new Proxy(catalog, {
      get: (target, prop) => {
        if (prop === 'getEntities')
          return async (query: any, options: any) =>
            options.credentials.principal.type === 'user'
              ? { items: [shop] }
              : target.getEntities(query, options);
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { server } = await startTestBackend({
      features: [
        compliancePlugin,
        createServiceFactory({
          service: catalogServiceRef,
          deps: {},
          factory: () => filtered,
        }),
        mockServices.permissions.mock({
          authorizeConditional: async requests =>
            requests.map(() => ({
              result: AuthorizeResult.CONDITIONAL,
              pluginId: 'catalog',
              resourceType: 'catalog-entity',
              conditions: {
                rule: 'IS_ENTITY_OWNER',
                resourceType: 'catalog-entity',
                params: { claims: ['user:default/mock'] },
              },
            })) as any,
        }).factory,
      ],
    });
    for (const name of ['shop', 'orphan'])
      await request(server)
        .post(`/api/compliance/entities/component/default/${name}/evaluate`)
        .set('Authorization', mockCredentials.service.header());
    const list = await request(server)
      .get('/api/compliance/entities')
      .set('Authorization', user);
    expect(list.body.items.map((e: any) => e.entityRef)).toEqual([
      'component:default/shop',
    ]);
    const csv = await request(server)
      .get('/api/compliance/export.csv')
      .set('Authorization', user);
    expect(csv.text).not.toContain('orphan');
    expect(csv.text).toContain('component:default/shop');
    // A backend service reads everything.
    expect(
      (
        await request(server)
          .get('/api/compliance/entities')
          .set('Authorization', mockCredentials.service.header())
      ).body.totalCount,
    ).toBe(2);
  });
});
