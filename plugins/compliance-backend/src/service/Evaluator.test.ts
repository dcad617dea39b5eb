import type { Entity } from '@backstage/catalog-model';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Octokit } from '@octokit/rest';
import {
  startSandbox,
  Sandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { parseStackSpec } from '@konductor/plugin-provisioning-common';
import {
  AwsClientFactory,
  AwsProvider,
  provisionStack,
} from '@konductor/plugin-provisioning-node';
import { ComplianceStore } from './ComplianceStore';
import { Evaluator } from './Evaluator';
import {
  awsFacts,
  catalogFacts,
  githubFacts,
  techdocsFacts,
} from './factSources';

/**
 * The evaluator with its real fact sources over HTTP: a stack provisioned into the sandbox's AWS
 * and a repository in its GitHub, described by catalog entities as Konductor's providers emit them.
 */
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('Evaluator against the sandbox', () => {
  let sandbox: Sandbox;
  let store: ComplianceStore;
  let evaluator: Evaluator;
  let entities: Record<string, Entity>;
  const credentials = async (accountId: string) => async () => ({
    accessKeyId: `AKIA${accountId}`,
    secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
  });

  beforeAll(async () => {
    sandbox = await startSandbox({
      durations: { vpc: 10, rdsInstance: 50, eksCluster: 50, eksNodegroup: 20 },
    });
    const outputs = await provisionStack({
      spec: parseStackSpec({
        name: 'shop',
        environment: 'prod',
        owner: 'group:default/shop',
        target: {
          provider: 'aws',
          accountId: '123456789012',
          region: 'us-east-1',
        },
        resources: {
          network: { cidr: '10.0.0.0/16' },
          // Production at moderate wants multi-AZ and deletion protection: both left off.
          database: { passwordRotationDays: 30 },
          secrets: { generated: ['SESSION_KEY'], rotationDays: 30 },
          cluster: {},
        },
      }),
      provider: new AwsProvider({
        clients: new AwsClientFactory({ credentials, endpoint: sandbox.url }),
        pollIntervalMs: 10,
        // The sandbox has no Lambda: a rotation function's ARN is taken on trust there.
        rotationLambdaArn: (account, region) =>
          `arn:aws:lambda:${region}:${account}:function:rotate`,
      }),
      checkpoint: (_key, fn) => fn(),
      runId: 'task-1_shop-prod',
      onEvent: () => {},
    });

    const gh = new Octokit({ baseUrl: sandbox.githubUrl, auth: 't' });
    await gh.rest.repos.createInOrg({ org: 'acme', name: 'shop' });
    await gh.rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'shop',
      path: '.github/CODEOWNERS',
      message: 'owners',
      content: Buffer.from('* @acme/payments\n').toString('base64'),
    });
    await gh.rest.repos.updateBranchProtection({
      owner: 'acme',
      repo: 'shop',
      branch: 'main',
      enforce_admins: true,
      restrictions: null,
      required_status_checks: null,
      required_pull_request_reviews: { required_approving_review_count: 1 },
    });
    await gh.rest.repos.update({
      owner: 'acme',
      repo: 'shop',
      security_and_analysis: {
        secret_scanning: { status: 'enabled' },
        secret_scanning_push_protection: { status: 'enabled' },
      },
    });
    await gh.rest.repos.enableVulnerabilityAlerts({
      owner: 'acme',
      repo: 'shop',
    });

    const resource = (name: string, type: string, cloudId: string): Entity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name,
        tags: ['konductor', 'prod'],
        annotations: { 'konductor.dev/cloud-id': cloudId },
      },
      spec: { type, owner: 'group:default/payments', system: 'shop-prod' },
    });
    entities = {
      component: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'shop',
          description: 'The shop',
          annotations: { 'github.com/project-slug': 'acme/shop' },
          // Documented by a link (TechDocs evidence has its own test: techdocsFacts.test.ts).
          links: [{ url: 'https://docs.acme.example/shop', title: 'Docs' }],
        },
        spec: {
          type: 'service',
          lifecycle: 'production',
          owner: 'group:default/payments',
          system: 'shop-prod',
        },
      },
      database: resource(
        'shop-prod-database',
        'aws-rds-postgres',
        String(outputs.database!.arn),
      ),
      secrets: resource(
        'shop-prod-secrets',
        'aws-secret',
        String((outputs.secrets!.secretArns as string[])[0]),
      ),
      cluster: resource(
        'shop-prod-cluster',
        'aws-eks-cluster',
        String(outputs.cluster!.arn),
      ),
    };

    const knex = await databases.init('SQLITE_3');
    store = await ComplianceStore.create({
      getClient: async () => knex,
      migrations: { skip: false },
    });
    evaluator = new Evaluator({
      store,
      defaultLevel: 'moderate',
      sources: [
        catalogFacts,
        // Asks TechDocs only for entities with a techdocs-ref: none here.
        techdocsFacts({
          discovery: mockServices.discovery(),
          auth: mockServices.auth(),
        }),
        ...awsFacts(
          new AwsClientFactory({ credentials, endpoint: sandbox.url }),
        ),
        githubFacts({
          octokit: async () =>
            new Octokit({
              baseUrl: sandbox.githubUrl,
              auth: 't',
              log: { debug() {}, info() {}, warn() {}, error() {} },
            }),
        }),
      ],
    });
  }, 60_000);
  afterAll(() => sandbox?.stop());

  const statuses = async (entity: Entity) => {
    const ref = `${entity.kind.toLocaleLowerCase('en-US')}:default/${
      entity.metadata.name
    }`;
    const status = await store.getEntity(ref);
    return Object.fromEntries(status.results.map(r => [r.checkId, r.status]));
  };

  it('reads live settings from AWS and GitHub and judges them at the level and environment', async () => {
    await evaluator.evaluate(Object.values(entities));
    expect(await statuses(entities.component)).toEqual({
      documentation: 'pass',
      ownership: 'pass',
      'repo-branch-protection': 'pass',
      'repo-codeowners': 'pass',
      'repo-secret-scanning': 'pass',
      'repo-vulnerability-alerts': 'pass',
      'system-membership': 'pass',
    });
    expect(await statuses(entities.database)).toEqual({
      'db-backup-retention': 'pass',
      'db-deletion-protection': 'fail',
      'db-encryption-at-rest': 'pass',
      'db-multi-az': 'fail',
      'db-not-public': 'pass',
      ownership: 'pass',
      // The password RDS keeps, rotated on the database's schedule.
      'secrets-rotation': 'pass',
      'system-membership': 'pass',
    });
    expect(await statuses(entities.secrets)).toMatchObject({
      'secrets-rotation': 'pass',
    });
    expect(await statuses(entities.cluster)).toMatchObject({
      'eks-control-plane-logging': 'pass',
      'eks-private-endpoint': 'pass',
      'eks-secrets-encryption': 'pass',
      'eks-supported-version': 'pass',
    });

    // Evidence: the values read, where from and when; remediation for what failed.
    const db = await store.getEntity('resource:default/shop-prod-database');
    const multiAz = db.results.find(r => r.checkId === 'db-multi-az')!;
    expect(multiAz).toMatchObject({
      controls: ['CP-10'],
      remediation: 'Set resources.database.multiAz: true for production.',
      evidence: [{ fact: 'rds.multiAz', value: false, source: 'aws:rds' }],
    });
    expect(db.score).toBeCloseTo((100 * 6) / 8, 1);
    expect(
      db.results.find(r => r.checkId === 'secrets-rotation')!.evidence,
    ).toEqual([
      expect.objectContaining({
        fact: 'secrets.rotationDays',
        value: 30,
        source: 'aws:rds',
      }),
    ]);
  });

  /** Alice asks to waive the database's multi-AZ check for an hour. */
  const requestSingleAzExemption = () =>
    store.createExemption({
      entityRef: 'resource:default/shop-prod-database',
      checkId: 'db-multi-az',
      justification: 'Single-AZ until the migration in Q1',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      createdBy: 'user:default/alice',
    });

  it('waives a failing check while an exemption holds; an expired one fails again', async () => {
    const database = entities.database;
    const exemption = await requestSingleAzExemption();
    // Requested, not yet approved: nothing is waived.
    await evaluator.evaluate([database]);
    expect((await statuses(database))['db-multi-az']).toBe('fail');
    await store.approveExemption(exemption.id, 'user:default/admin');
    await evaluator.evaluate([database]);
    expect((await statuses(database))['db-multi-az']).toBe('waived');

    await store.deleteExemption(exemption.id);
    const expired = await store.createExemption({
      entityRef: 'resource:default/shop-prod-database',
      checkId: 'db-multi-az',
      justification: 'Expired yesterday',
      expiresAt: new Date(Date.now() - 24 * 3600_000).toISOString(),
      createdBy: 'user:default/alice',
    });
    await store.approveExemption(expired.id, 'user:default/admin');
    await evaluator.evaluate([database]);
    expect((await statuses(database))['db-multi-az']).toBe('fail');
  });

  it('keeps an approval made while a longer evaluation ran: of two evaluations, the one that read the exemptions later is kept', async () => {
    const database = entities.database;
    const exemption = await requestSingleAzExemption();
    // A batch (the hourly one, say) reads the exemptions, then waits on a slow source.
    let reading!: () => void;
    const read = new Promise<void>(r => (reading = r));
    let release!: () => void;
    const released = new Promise<void>(r => (release = r));
    const slow = new Evaluator({
      store,
      defaultLevel: 'moderate',
      sources: [
        {
          ...catalogFacts,
          async read(entity) {
            reading();
            await released;
            return catalogFacts.read(entity);
          },
        },
        ...awsFacts(
          new AwsClientFactory({ credentials, endpoint: sandbox.url }),
        ),
      ],
    });
    const batch = slow.evaluate([database]);
    await read;
    // Meanwhile the request is approved, and the entity evaluated again at once.
    await store.approveExemption(exemption.id, 'user:default/admin');
    await evaluator.evaluate([database]);
    expect((await statuses(database))['db-multi-az']).toBe('waived');
    // The batch ends later, with what it read before the approval: it is not kept.
    release();
    const [stale] = await batch;
    expect(stale.results.find(r => r.checkId === 'db-multi-az')!.status).toBe(
      'fail',
    );
    expect((await statuses(database))['db-multi-az']).toBe('waived');
    await store.deleteExemption(exemption.id);
    await evaluator.evaluate([database]);
  });

  it('marks the checks of a failing source as errors with the reason, keeping the last known result', async () => {
    sandbox.faults.add({ service: 'github', kind: 'server-error' });
    try {
      await evaluator.evaluate([entities.component]);
    } finally {
      sandbox.faults.clear();
    }
    const status = await store.getEntity('component:default/shop');
    const codeowners = status.results.find(
      r => r.checkId === 'repo-codeowners',
    )!;
    expect(codeowners.status).toBe('error');
    expect(codeowners.message).toMatch(/^github\.codeowners: .+ \(github\)$/);
    expect(codeowners.lastKnown).toMatchObject({ status: 'pass' });
    // Checks on facts from elsewhere are unaffected.
    expect(status.results.find(r => r.checkId === 'ownership')!.status).toBe(
      'pass',
    );
    // And the history shows the change.
    const history = await store.history('component:default/shop');
    expect(
      history.filter(h => h.checkId === 'repo-codeowners').map(h => h.status),
    ).toEqual(['pass', 'error']);

    await evaluator.evaluate([entities.component]);
    expect((await statuses(entities.component))['repo-codeowners']).toBe(
      'pass',
    );
  });

  it('holds an entity to the level it names', async () => {
    const high = {
      ...entities.component,
      metadata: {
        ...entities.component.metadata,
        annotations: {
          ...entities.component.metadata.annotations,
          'konductor.dev/compliance-level': 'high',
        },
      },
    };
    await evaluator.evaluate([high]);
    const status = await store.getEntity('component:default/shop');
    expect(status.level).toBe('high');
    expect(
      status.results.find(r => r.checkId === 'repo-branch-protection'),
    ).toMatchObject({
      status: 'fail',
      message: 'Protected, but 1 required review(s); high requires 2.',
    });
  });
});
