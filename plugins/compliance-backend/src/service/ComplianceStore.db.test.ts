import { TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import type {
  CheckResult,
  CheckStatus,
} from '@konductor/plugin-compliance-common';
import { ComplianceStore, EntityEvaluation } from './ComplianceStore';

const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
  disableDocker: true,
});

const result = (checkId: string, status: CheckStatus): CheckResult => ({
  checkId,
  title: checkId,
  controls: ['CM-8'],
  status,
  message: `${checkId} is ${status}`,
  evidence: [
    {
      fact: 'entity.owner',
      value: 'group:default/a',
      source: 'catalog',
      readAt: '2026-11-23T10:00:00.000Z',
    },
  ],
});

const evaluation = (
  name: string,
  results: CheckResult[],
  at: string,
  extra: Partial<EntityEvaluation> = {},
): EntityEvaluation => ({
  entityRef: `component:default/${name}`,
  kind: 'Component',
  owner: 'group:default/payments',
  system: 'shop',
  environment: 'prod',
  level: 'moderate',
  etag: `etag-${at}`,
  results,
  evaluatedAt: at,
  ...extra,
});

describe.each(databases.eachSupportedId())(
  'ComplianceStore on %s',
  databaseId => {
    let store: ComplianceStore;
    let knex: Knex;
    beforeAll(async () => {
      knex = await databases.init(databaseId);
      store = await ComplianceStore.create({
        getClient: async () => knex,
        migrations: { skip: false },
      });
    });

    it('stores results, records history only on change, and keeps the last known result through an error', async () => {
      await store.save([
        evaluation(
          'shop',
          [result('ownership', 'pass'), result('documentation', 'fail')],
          '2026-11-23T10:00:00.000Z',
        ),
      ]);
      // The same statuses again: no new history.
      await store.save([
        evaluation(
          'shop',
          [result('ownership', 'pass'), result('documentation', 'fail')],
          '2026-11-23T11:00:00.000Z',
        ),
      ]);
      await store.save([
        evaluation(
          'shop',
          [result('ownership', 'error'), result('documentation', 'pass')],
          '2026-11-23T12:00:00.000Z',
        ),
      ]);
      const status = await store.getEntity('component:default/shop');
      expect(status).toMatchObject({
        kind: 'Component',
        owner: 'group:default/payments',
        environment: 'prod',
        etag: 'etag-2026-11-23T12:00:00.000Z',
        counts: { error: 1, pass: 1 },
        score: 50,
        evaluatedAt: '2026-11-23T12:00:00.000Z',
      });
      expect(status.results.find(r => r.checkId === 'ownership')).toMatchObject(
        {
          status: 'error',
          title: 'Owner and lifecycle are set',
          lastKnown: {
            status: 'pass',
            message: 'ownership is pass',
            evaluatedAt: '2026-11-23T11:00:00.000Z',
          },
          evidence: [{ fact: 'entity.owner', source: 'catalog' }],
        },
      );
      expect(await store.history('component:default/shop')).toEqual([
        { score: 50, at: '2026-11-23T10:00:00.000Z' },
        {
          checkId: 'ownership',
          status: 'pass',
          at: '2026-11-23T10:00:00.000Z',
        },
        {
          checkId: 'documentation',
          status: 'fail',
          at: '2026-11-23T10:00:00.000Z',
        },
        {
          checkId: 'ownership',
          status: 'error',
          at: '2026-11-23T12:00:00.000Z',
        },
        {
          checkId: 'documentation',
          status: 'pass',
          at: '2026-11-23T12:00:00.000Z',
        },
      ]);
    });

    it('keeps the later of two evaluations of an entity, whichever is saved last', async () => {
      await store.save([
        evaluation(
          'late',
          [result('ownership', 'pass')],
          '2026-11-23T10:00:05.000Z',
        ),
      ]);
      // An evaluation that began earlier (it read older inputs) and ended later changes nothing;
      // another entity in the same save is kept.
      await store.save([
        evaluation(
          'late',
          [result('ownership', 'fail')],
          '2026-11-23T10:00:01.000Z',
        ),
        evaluation(
          'other',
          [result('ownership', 'fail')],
          '2026-11-23T10:00:01.000Z',
        ),
      ]);
      const late = await store.getEntity('component:default/late');
      expect(late.evaluatedAt).toBe('2026-11-23T10:00:05.000Z');
      expect(late.results.map(r => r.status)).toEqual(['pass']);
      expect(
        (await store.getEntity('component:default/other')).results.map(
          r => r.status,
        ),
      ).toEqual(['fail']);
      // Gone again, for the tests that count entities.
      const others = (await store.listEntities({}))
        .map(e => e.entityRef)
        .filter(ref => !/\/(late|other)$/.test(ref));
      await store.retainOnly(new Set(others), new Date('2099-01-01'));
    });

    // Two saves of one entity at once: only PostgreSQL runs transactions side by side (SQLite has
    // one writer, so the check above already covers it).
    if (databaseId === 'POSTGRES_15')
      it('keeps the later of two evaluations saved at once: the second save waits for the first and reads it', async () => {
        const ref = 'component:default/racing';
        await store.save([
          evaluation(
            'racing',
            [result('ownership', 'pass')],
            '2026-11-23T10:00:00.000Z',
          ),
        ]);
        // A later evaluation's save has read and locked the entity's row, and not yet written.
        const later = await knex.transaction();
        await later('compliance_entities')
          .where('entity_ref', ref)
          .forUpdate()
          .select('evaluated_at');
        // An older evaluation's save starts meanwhile; it waits on the row.
        const older = store.save([
          evaluation(
            'racing',
            [result('ownership', 'fail')],
            '2026-11-23T10:00:01.000Z',
          ),
        ]);
        const waitingOnTheRow = async () =>
          Number(
            (
              await knex.raw(
                `select count(*) as n from pg_stat_activity
                  where datname = current_database() and wait_event_type = 'Lock'
                    and query like '%compliance_entities%'`,
              )
            ).rows[0].n,
          );
        for (let tries = 0; (await waitingOnTheRow()) === 0; tries++) {
          if (tries === 1000)
            throw new Error('the older save never reached the row');
          await new Promise(r => setTimeout(r, 10));
        }
        await later('compliance_entities')
          .where('entity_ref', ref)
          .update({ evaluated_at: new Date('2026-11-23T10:00:05.000Z') });
        await later.commit();
        await older;
        expect((await store.getEntity(ref)).evaluatedAt).toBe(
          '2026-11-23T10:00:05.000Z',
        );
        await store.retainOnly(
          new Set(
            (await store.listEntities({}))
              .map(e => e.entityRef)
              .filter(r => r !== ref),
          ),
          new Date('2099-01-01'),
        );
      });

    it('filters entities and results, and forgets entities that left the catalog', async () => {
      await store.save([
        evaluation(
          'billing',
          [result('ownership', 'fail')],
          '2026-11-23T10:00:00.000Z',
          {
            owner: 'group:default/billing',
            environment: 'dev',
          },
        ),
      ]);
      expect(
        (await store.listEntities({ owner: 'group:default/billing' })).map(
          e => e.entityRef,
        ),
      ).toEqual(['component:default/billing']);
      expect(
        (await store.listEntities({ environment: 'prod' })).map(
          e => e.entityRef,
        ),
      ).toEqual(['component:default/shop']);
      expect(
        (
          await store.listEntities({ kind: 'component', environment: 'prod' })
        ).map(e => e.entityRef),
      ).toEqual(['component:default/shop']);
      expect(await store.listEntities({ kind: 'resource' })).toEqual([]);
      expect(await store.listResults({ environment: 'dev' })).toEqual([
        {
          entityRef: 'component:default/billing',
          checkId: 'ownership',
          status: 'fail',
          controls: ['CM-8'],
          message: 'ownership is fail',
          evidence: result('ownership', 'fail').evidence,
          evaluatedAt: '2026-11-23T10:00:00.000Z',
        },
      ]);
      expect((await store.etags()).get('component:default/billing')).toBe(
        'etag-2026-11-23T10:00:00.000Z',
      );

      // Billing was evaluated after a listing that began at 09:00 read past it: kept.
      expect(
        await store.retainOnly(
          new Set(['component:default/shop']),
          new Date('2026-11-23T09:00:00.000Z'),
        ),
      ).toBe(0);
      await expect(
        store.getEntity('component:default/billing'),
      ).resolves.toMatchObject({ entityRef: 'component:default/billing' });
      // A listing that began after its evaluation did not find it: gone from the catalog.
      expect(
        await store.retainOnly(
          new Set(['component:default/shop']),
          new Date('2026-11-23T11:00:00.000Z'),
        ),
      ).toBe(1);
      await expect(
        store.getEntity('component:default/billing'),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
      });
    });

    it('keeps exemptions and lists the active ones', async () => {
      const made = await store.createExemption({
        entityRef: 'component:default/shop',
        checkId: 'documentation',
        justification: 'Docs move to the wiki next sprint',
        expiresAt: '2026-12-01T00:00:00.000Z',
        createdBy: 'user:default/admin',
      });
      expect(await store.getExemption(made.id)).toEqual(made);
      expect(made.status).toBe('requested');
      // A request waives nothing until approved, once.
      expect(
        await store.listExemptions({ activeAt: new Date('2026-11-30') }),
      ).toHaveLength(0);
      expect(
        await store.approveExemption(
          made.id,
          'user:default/carol',
          'Until the vendor patch ships',
        ),
      ).toBe(true);
      expect(await store.approveExemption(made.id, 'user:default/carol')).toBe(
        false,
      );
      expect(await store.getExemption(made.id)).toMatchObject({
        status: 'approved',
        approvedBy: 'user:default/carol',
        approvalComment: 'Until the vendor patch ships',
      });
      expect(
        await store.listExemptions({ activeAt: new Date('2026-11-30') }),
      ).toHaveLength(1);
      expect(
        await store.listExemptions({ activeAt: new Date('2026-12-02') }),
      ).toHaveLength(0);
      await store.deleteExemption(made.id);
      await expect(store.deleteExemption(made.id)).rejects.toMatchObject({
        name: 'NotFoundError',
      });
    });

    it('keeps a rejected request with its rejecter and comment; it waives nothing', async () => {
      const made = await store.createExemption({
        entityRef: 'component:default/shop',
        checkId: 'documentation',
        justification: 'Docs move to the wiki next sprint',
        expiresAt: '2026-12-01T00:00:00.000Z',
        createdBy: 'user:default/alice',
      });
      expect(
        await store.rejectExemption(
          made.id,
          'user:default/carol',
          'Write the README first',
        ),
      ).toBe(true);
      expect(await store.approveExemption(made.id, 'user:default/carol')).toBe(
        false,
      );
      expect(await store.getExemption(made.id)).toEqual({
        ...made,
        status: 'rejected',
        rejectedBy: 'user:default/carol',
        rejectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        rejectionComment: 'Write the README first',
      });
      expect(
        await store.listExemptions({ activeAt: new Date('2026-11-30') }),
      ).toHaveLength(0);
    });
  },
);
