import { AddressInfo } from 'node:net';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import type { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { ProvisioningClient } from '@konductor/plugin-provisioning-common';
import provisioningPlugin from '@konductor/plugin-provisioning-backend';
import { ProvisionedResourcesProvider } from './ProvisionedResourcesProvider';

// The provider reads a real provisioning backend over HTTP, as the catalog module wires it.
describe('ProvisionedResourcesProvider', () => {
  let client: ProvisioningClient;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  beforeAll(async () => {
    const quiet = (service: any, impl: object) =>
      createServiceFactory({ service, deps: {}, factory: () => impl as any });
    ({ server } = await startTestBackend({
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        quiet(signalsServiceRef, { publish: async () => {} }),
        quiet(notificationService, { send: async () => {} }),
        quiet(coreServices.auditor, {
          createEvent: async () => ({
            success: async () => {},
            fail: async () => {},
          }),
        }),
      ],
    }));
    const { port } = server.address() as AddressInfo;
    client = new ProvisioningClient({
      discovery: {
        getBaseUrl: async () => `http://localhost:${port}/api/provisioning`,
      },
      token: async () => mockCredentials.service.token(),
    });
  });

  /** Registers a run of `stack` and posts its events, each `[status, resource?, outputs?]`. */
  async function run(
    taskId: string,
    stack: string,
    owner: string | undefined,
    events: [string, string?, Record<string, unknown>?][],
  ) {
    const created = await client.createRun({
      taskId,
      stackId: `${stack}-dev`,
      stackName: stack,
      environment: 'dev',
      accountId: '123456789012',
      region: 'us-east-1',
      owner,
      // The shop is provisioned from a service definition's template.
      templateRef: stack === 'shop' ? 'template:default/shop' : undefined,
      complianceLevel: stack === 'shop' ? 'high' : undefined,
      resources: [
        { resource: 'network', dependsOn: [] },
        { resource: 'database', dependsOn: ['network'] },
        { resource: 'secrets', dependsOn: ['database'] },
      ],
    });
    await client.appendEvents(
      created.id,
      events.map(([status, resource, outputs], i) => ({
        seq: i + 1,
        at: new Date().toISOString(),
        status: status as any,
        resource: resource as any,
        message: `${resource ?? 'run'} ${status}`,
        outputs,
      })),
    );
    return created.id;
  }

  it('describes each stack by its latest run: what exists, who owns it, what depends on what', async () => {
    const shop = await run('t1', 'shop', 'group:default/payments', [
      ['run-started'],
      ['ready', 'network', { vpcId: 'vpc-0abc' }],
      [
        'ready',
        'database',
        { arn: 'arn:aws:rds:us-east-1:123456789012:db:shop-dev-db' },
      ],
      [
        'ready',
        'secrets',
        { secretArns: ['arn:aws:secretsmanager:secret:shop'] },
      ],
      ['run-succeeded'],
    ]);
    // A stack whose database failed and was rolled back: only its network is left (retained).
    await run('t2', 'half', undefined, [
      ['ready', 'network', { vpcId: 'vpc-0def' }],
      ['failed', 'database'],
      ['retained', 'network'],
      ['run-failed'],
    ]);
    // A stack provisioned, then destroyed by a later task: nothing is left of it.
    await run('t3', 'gone', 'group:default/payments', [
      ['ready', 'network', { vpcId: 'vpc-0ghi' }],
      ['run-succeeded'],
    ]);
    await run('t4', 'gone', 'group:default/payments', [
      ['deleted', 'network'],
      ['run-succeeded'],
    ]);

    const mutations: EntityProviderMutation[] = [];
    const provider = new ProvisionedResourcesProvider({
      client,
      logger: mockServices.logger.mock(),
      defaultOwner: 'group:default/platform-team',
      appBaseUrl: 'http://portal.test',
    });
    await provider.connect({
      applyMutation: async m => void mutations.push(m),
      refresh: async () => {},
    });
    await provider.refresh();

    expect(mutations).toHaveLength(1);
    expect(mutations[0].type).toBe('full');
    const entities = (mutations[0] as any).entities.map((e: any) => e.entity);
    const byRef = Object.fromEntries(
      entities.map((e: any) => [`${e.kind}:${e.metadata.name}`, e]),
    );
    expect(Object.keys(byRef).sort()).toEqual([
      'Resource:half-dev-network',
      'Resource:shop-dev-database',
      'Resource:shop-dev-network',
      'Resource:shop-dev-secrets',
      'System:half-dev',
      'System:shop-dev',
    ]);
    expect(byRef['Resource:shop-dev-database']).toMatchObject({
      metadata: {
        annotations: {
          'konductor.dev/stack': 'shop-dev',
          // Which of the stack's resources it is: its drift is read by this name.
          'konductor.dev/stack-resource': 'database',
          'konductor.dev/run': shop,
          // Compliance evaluates it in its environment, at the level it was checked against.
          'konductor.dev/environment': 'dev',
          'konductor.dev/compliance-level': 'high',
          'konductor.dev/cloud-id':
            'arn:aws:rds:us-east-1:123456789012:db:shop-dev-db',
        },
        links: [
          {
            url: `http://portal.test/provisioning/runs/${shop}`,
            title: 'Provisioning run',
            type: 'documentation',
          },
        ],
      },
      spec: {
        type: 'aws-rds-postgres',
        owner: 'group:default/payments',
        system: 'shop-dev',
        dependsOn: ['resource:default/shop-dev-network'],
      },
    });
    expect(byRef['Resource:shop-dev-secrets'].spec.dependsOn).toEqual([
      'resource:default/shop-dev-database',
    ]);
    // Dependent definitions find the stacks of a definition by its template.
    expect(
      byRef['System:shop-dev'].metadata.annotations['konductor.dev/template'],
    ).toBe('template:default/shop');
    expect(
      byRef['System:half-dev'].metadata.annotations['konductor.dev/template'],
    ).toBeUndefined();
    // No owner on the run: the configured default owns it.
    expect(byRef['System:half-dev'].spec.owner).toBe(
      'group:default/platform-team',
    );
    expect(byRef['Resource:half-dev-network'].spec.type).toBe('aws-vpc');
  });

  it('tags what the last drift scan found changed or gone outside Konductor as drifted', async () => {
    const key = {
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'drifty-dev',
    };
    await client.claimStack({
      accountId: key.accountId,
      region: key.region,
      name: 'drifty',
      environment: 'dev',
      owner: 'group:default/payments',
    });
    await run('t5', 'drifty', 'group:default/payments', [
      ['ready', 'network', { vpcId: 'vpc-0jkl' }],
      ['ready', 'database', { arn: 'arn:aws:rds:db:drifty-dev-db' }],
      ['ready', 'secrets', { secretArns: ['arn:aws:secretsmanager:drifty'] }],
      ['run-succeeded'],
    ]);
    const provider = new ProvisionedResourcesProvider({
      client,
      logger: mockServices.logger.mock(),
      defaultOwner: 'group:default/platform-team',
      appBaseUrl: 'http://portal.test',
    });
    let latest: any[] = [];
    await provider.connect({
      applyMutation: async m => {
        latest = (m as any).entities.map((e: any) => e.entity);
      },
      refresh: async () => {},
    });
    const tagsOf = (name: string) =>
      latest.find(e => e.metadata.name === name)?.metadata.tags;

    // Never scanned: nothing is tagged.
    await provider.refresh();
    expect(tagsOf('drifty-dev')).toEqual(['konductor', 'dev']);

    await client.reportDrift(key, {
      version: 1,
      scannedAt: new Date().toISOString(),
      resources: [
        {
          resource: 'network',
          kind: 'network',
          state: 'in-sync',
          attributes: [],
        },
        {
          resource: 'database',
          kind: 'database',
          state: 'drifted',
          attributes: [
            {
              field: 'instanceClass',
              desired: 'db.t3.micro',
              actual: 'db.t3.medium',
            },
          ],
        },
        {
          resource: 'secrets',
          kind: 'secrets',
          state: 'unchecked',
          attributes: [],
          detail: 'its kind reads nothing back',
        },
      ],
    });
    await provider.refresh();
    expect(tagsOf('drifty-dev')).toEqual(['konductor', 'dev', 'drifted']);
    expect(tagsOf('drifty-dev-database')).toEqual([
      'konductor',
      'dev',
      'drifted',
    ]);
    expect(tagsOf('drifty-dev-network')).toEqual(['konductor', 'dev']);
    // Not read back is not drifted.
    expect(tagsOf('drifty-dev-secrets')).toEqual(['konductor', 'dev']);

    // Reverted, and scanned again: the tag goes.
    await client.reportDrift(key, {
      version: 1,
      scannedAt: new Date().toISOString(),
      resources: [
        {
          resource: 'database',
          kind: 'database',
          state: 'in-sync',
          attributes: [],
        },
      ],
    });
    await provider.refresh();
    expect(tagsOf('drifty-dev')).toEqual(['konductor', 'dev']);
    expect(tagsOf('drifty-dev-database')).toEqual(['konductor', 'dev']);
  });

  it('refuses to refresh before the catalog connected it', async () => {
    const provider = new ProvisionedResourcesProvider({
      client,
      logger: mockServices.logger.mock(),
      defaultOwner: 'group:default/platform-team',
      appBaseUrl: 'http://portal.test',
    });
    await expect(provider.refresh()).rejects.toThrow('not connected');
  });
});
