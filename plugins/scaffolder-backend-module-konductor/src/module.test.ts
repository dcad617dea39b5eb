import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { scaffolderAutocompleteExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { ComplianceCheck } from '@konductor/plugin-compliance-common';
import provisioningPlugin from '@konductor/plugin-provisioning-backend';
import {
  defineKind,
  ResourceKinds,
} from '@konductor/plugin-provisioning-common';
import {
  adopt,
  CloudProvider,
  defineResourceKindModule,
  ignoring,
  NotOwnedError,
  NOT_FOUND,
  provisioningCloudProvidersExtensionPoint,
  provisioningResourceKindsExtensionPoint,
  ResourceHandler,
  removalOf,
  stackTags,
  tagList,
  tagRecord,
} from '@konductor/plugin-provisioning-node';
import {
  startSandbox,
  Sandbox,
  SANDBOX_SECRET_ACCESS_KEY,
} from '@konductor/sandbox';
import { z } from 'zod/v3';
import { scaffolderModuleKonductor } from './module';

// A kind as a platform team would add it, written only against Konductor's public API: an API
// key generated into Secrets Manager, with its own compliance check.
const apiKey = defineKind({
  kind: 'api-key',
  title: 'a generated API key',
  schema: z
    .object({
      rotationDays: z.number().int().min(1).max(365).default(90),
    })
    .strict(),
  outputs: z.object({ secretArn: z.string() }),
  plan: k => ({
    summary: `API key rotated every ${k.rotationDays} days`,
    creates: ['Secrets Manager secret'],
    monthlyCost: 0.4,
  }),
  typicalCreateSeconds: 5,
  catalogType: 'aws-api-key',
  plannedFacts: k => ({
    'apiKey.rotationDays': { value: k.rotationDays, field: 'rotationDays' },
  }),
});

const apiKeyRotation: ComplianceCheck = {
  id: 'api-key-rotation',
  title: 'API keys rotated',
  controls: ['IA-5(1)'],
  appliesTo: { kinds: ['Resource'], types: ['aws-api-key'] },
  facts: ['apiKey.rotationDays'],
  remediation: 'Set rotationDays to 90 or less.',
  evaluate: v =>
    Number(v['apiKey.rotationDays']) <= 90
      ? { status: 'pass', message: 'rotated often enough' }
      : {
          status: 'fail',
          message: `Rotated every ${v['apiKey.rotationDays']} days; at most 90.`,
        },
};

const secretName = (stackId: string, name: string) =>
  `api-keys/${stackId}/${name}`;

// A second cloud as a platform team would add it, only through Konductor's public API: its
// target (a project and a region), its services for kind handlers, and a provider built from the
// kind modules that have a handler for it. Its "cloud" is a map of keys with their owners.
interface TestCloud {
  keys: Map<string, { owner: string; value: string }>;
}
declare module '@konductor/plugin-provisioning-node' {
  interface ProviderServices {
    'test-cloud': TestCloud;
  }
}
const testCloud: TestCloud = { keys: new Map() };

const testCloudModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'test-cloud',
  register(reg) {
    reg.registerInit({
      deps: { providers: provisioningCloudProvidersExtensionPoint },
      async init({ providers }) {
        providers.addCloudProvider({
          id: 'test-cloud',
          create(modules): CloudProvider {
            const own = modules.filter(m => m.handlers['test-cloud']);
            const handlers = new Map<string, ResourceHandler>(
              own.map(m => [
                m.definition.kind,
                m.handlers['test-cloud']!(testCloud),
              ]),
            );
            const handler = (kind: string) => handlers.get(kind)!;
            return {
              id: 'test-cloud',
              target: z
                .object({
                  provider: z.literal('test-cloud'),
                  accountId: z
                    .string()
                    .regex(/^[a-z][a-z0-9-]{5,29}$/, 'must be a project id'),
                  region: z.string(),
                })
                .strict(),
              kinds: new ResourceKinds(own.map(m => m.definition)),
              create: ctx => handler(ctx.resource.kind).create(ctx),
              exists: (ctx, o) => handler(ctx.resource.kind).exists(ctx, o),
              destroy: ctx => handler(ctx.resource.kind).destroy(ctx),
            };
          },
        });
      },
    });
  },
});

const apiKeyModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'test-api-key',
  register(reg) {
    reg.registerInit({
      deps: { kinds: provisioningResourceKindsExtensionPoint },
      async init({ kinds }) {
        kinds.addResourceKind(
          defineResourceKindModule({
            definition: apiKey,
            checks: [apiKeyRotation],
            handlers: {
              'test-cloud': cloud => ({
                async create(ctx) {
                  const { accountId, region } = ctx.spec.target;
                  const id = `${accountId}/${region}/${secretName(
                    ctx.stackId,
                    ctx.name,
                  )}`;
                  const found = cloud.keys.get(id);
                  if (found && found.owner !== ctx.spec.owner)
                    throw new NotOwnedError(`key ${id} is ${found.owner}'s`);
                  cloud.keys.set(id, {
                    owner: ctx.spec.owner!,
                    value:
                      found?.value ?? randomBytes(24).toString('base64url'),
                  });
                  return { secretArn: `test-cloud:${id}` };
                },
                async exists(_ctx, outputs) {
                  return cloud.keys.has(outputs.secretArn.slice(11));
                },
                async destroy(ctx) {
                  const { accountId, region } = ctx.spec.target;
                  const id = `${accountId}/${region}/${secretName(
                    ctx.stackId,
                    ctx.name,
                  )}`;
                  if (cloud.keys.get(id)?.owner === ctx.spec.owner)
                    cloud.keys.delete(id);
                  return { kept: [] };
                },
              }),
              aws: aws => ({
                async create(ctx) {
                  const sm = await aws.client(SecretsManagerClient, ctx);
                  const name = secretName(ctx.stackId, ctx.name);
                  const created = await sm
                    .send(
                      new CreateSecretCommand({
                        Name: name,
                        SecretString: randomBytes(24).toString('base64url'),
                        Tags: tagList(stackTags(ctx)),
                      }),
                    )
                    .catch(ignoring('ResourceExistsException'));
                  if (created) return { secretArn: created.ARN! };
                  const existing = await sm.send(
                    new DescribeSecretCommand({ SecretId: name }),
                  );
                  adopt(ctx, `secret ${name}`, tagRecord(existing.Tags));
                  return { secretArn: existing.ARN! };
                },
                async exists(ctx, outputs) {
                  const sm = await aws.client(SecretsManagerClient, ctx);
                  const s = await sm.send(
                    new DescribeSecretCommand({ SecretId: outputs.secretArn }),
                  );
                  return !s.DeletedDate;
                },
                async destroy(ctx) {
                  const sm = await aws.client(SecretsManagerClient, ctx);
                  const removal = removalOf(ctx);
                  const name = secretName(ctx.stackId, ctx.name);
                  const found = await sm
                    .send(new DescribeSecretCommand({ SecretId: name }))
                    .catch(ignoring(NOT_FOUND));
                  if (found && removal.mayDelete(`secret ${name}`, found.Tags))
                    await sm.send(
                      new DeleteSecretCommand({
                        SecretId: name,
                        ForceDeleteWithoutRecovery: true,
                      }),
                    );
                  return removal.result();
                },
              }),
            },
          }),
        );
      },
    });
  },
});

describe('a resource kind registered by another module', () => {
  let sandbox: Sandbox;
  let stop: () => Promise<void>;
  const actions = new Map<string, TemplateAction<any, any, any>>();

  beforeAll(async () => {
    sandbox = await startSandbox({});
    const backend = await startTestBackend({
      extensionPoints: [
        [
          scaffolderActionsExtensionPoint,
          {
            addActions: (...added: TemplateAction<any, any, any>[]) =>
              added.forEach(a => actions.set(a.id, a)),
          },
        ],
        [
          scaffolderAutocompleteExtensionPoint,
          { addAutocompleteProvider() {} },
        ],
      ],
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        mockServices.rootConfig.factory({
          data: {
            aws: {
              accounts: [
                {
                  accountId: '123456789012',
                  accessKeyId: 'AKIA123456789012',
                  secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
                },
              ],
            },
            konductor: {
              aws: {
                endpoint: sandbox.url,
                pollIntervalSeconds: 0.02,
                // The sandbox has no Lambda: the function's ARN is taken on trust there.
                rotationFunctionName: 'konductor-rotate-secret',
              },
              provisioning: {
                accounts: [
                  { accountId: '123456789012', regions: ['us-east-1'] },
                  {
                    provider: 'test-cloud',
                    accountId: 'acme-payments',
                    regions: ['europe-west1'],
                  },
                ],
              },
            },
          },
        }),
        scaffolderModuleKonductor,
        apiKeyModule,
        testCloudModule,
      ],
    });
    stop = () => backend.stop();
  });
  afterAll(() => Promise.all([stop(), sandbox.stop()]));

  const input = (rotationDays: number) => ({
    name: 'keys',
    environment: 'dev',
    owner: 'group:default/team-a',
    target: {
      provider: 'aws',
      accountId: '123456789012',
      region: 'us-east-1',
    },
    complianceLevel: 'moderate',
    resources: {
      'partner-key': { kind: 'api-key', rotationDays },
      secrets: {
        generated: ['SESSION_KEY'],
        rotationDays: 30,
      },
    },
  });

  it("provisions a stack with the module's kind, and destroys it", async () => {
    const provision = actions.get('konductor:stack:provision')!;
    const ctx = createMockActionContext({ input: input(30) });
    await provision.handler(ctx);
    const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    expect(outputs.plan.resources.map((r: any) => [r.id, r.kind])).toEqual([
      ['secrets', 'secrets'],
      ['partner-key', 'api-key'],
    ]);
    const arn = outputs.resources['partner-key'].secretArn;
    expect(arn).toContain('api-keys/keys-dev/partner-key');
    const sm = new SecretsManagerClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIA123456789012',
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
      },
    });
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: arn })))
        .SecretString,
    ).toHaveLength(32);

    // The destroy finds the named resource in what the stack's runs recorded.
    const destroy = actions.get('konductor:stack:destroy')!;
    await destroy.handler(
      createMockActionContext({
        input: {
          name: 'keys',
          environment: 'dev',
          target: input(30).target,
        },
      }),
    );
    await expect(
      sm.send(new DescribeSecretCommand({ SecretId: arn })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it("refuses a spec that breaks the module's own compliance check, before any call", async () => {
    const before = (await (
      await fetch(`${sandbox.url}/__sandbox/resources`)
    ).json()) as { total: number };
    const check = actions.get('konductor:compliance:check')!;
    const error = await check
      .handler(createMockActionContext({ input: input(365) }))
      .catch(e => e);
    expect(error.message).toMatch(
      /resources\.partner-key\.rotationDays: Rotated every 365 days; at most 90\./,
    );
    const provision = actions.get('konductor:stack:provision')!;
    await expect(
      provision.handler(createMockActionContext({ input: input(365) })),
    ).rejects.toThrow(/IA-5\(1\)/);
    const after = (await (
      await fetch(`${sandbox.url}/__sandbox/resources`)
    ).json()) as { total: number };
    expect(after.total).toBe(before.total);
  });
});

describe('a cloud provider registered by another module', () => {
  let sandbox: Sandbox;
  let stop: () => Promise<void>;
  const actions = new Map<string, TemplateAction<any, any, any>>();
  const resourcesInAws = async () =>
    (
      (await (await fetch(`${sandbox.url}/__sandbox/resources`)).json()) as {
        total: number;
      }
    ).total;

  beforeAll(async () => {
    sandbox = await startSandbox({});
    const backend = await startTestBackend({
      extensionPoints: [
        [
          scaffolderActionsExtensionPoint,
          {
            addActions: (...added: TemplateAction<any, any, any>[]) =>
              added.forEach(a => actions.set(a.id, a)),
          },
        ],
        [
          scaffolderAutocompleteExtensionPoint,
          { addAutocompleteProvider() {} },
        ],
      ],
      features: [
        provisioningPlugin,
        mockServices.database.factory(),
        mockServices.rootConfig.factory({
          data: {
            konductor: {
              aws: { endpoint: sandbox.url, pollIntervalSeconds: 0.02 },
              provisioning: {
                accounts: [
                  { accountId: '123456789012', regions: ['us-east-1'] },
                  {
                    provider: 'test-cloud',
                    accountId: 'acme-payments',
                    regions: ['europe-west1'],
                  },
                ],
              },
            },
          },
        }),
        scaffolderModuleKonductor,
        apiKeyModule,
        testCloudModule,
      ],
    });
    stop = () => backend.stop();
  });
  afterAll(() => Promise.all([stop(), sandbox.stop()]));

  const input = (
    target: Record<string, string>,
    resources: Record<string, object> = {
      'partner-key': { kind: 'api-key', rotationDays: 30 },
    },
  ) => ({
    name: 'keys',
    environment: 'dev',
    owner: 'group:default/team-a',
    target: {
      provider: 'test-cloud',
      accountId: 'acme-payments',
      region: 'europe-west1',
      ...target,
    },
    resources,
  });
  const run = (id: string, actionInput: object) =>
    actions
      .get(id)!
      .handler(createMockActionContext({ input: actionInput }))
      .then(
        () => undefined,
        (e: Error) => e,
      );

  it("provisions a stack on the provider its target names, with the provider's kinds, and destroys it", async () => {
    const before = await resourcesInAws();
    const ctx = createMockActionContext({ input: input({}) });
    await actions.get('konductor:stack:provision')!.handler(ctx);
    const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    const id = 'acme-payments/europe-west1/api-keys/keys-dev/partner-key';
    expect(outputs.resources['partner-key']).toEqual({
      secretArn: `test-cloud:${id}`,
    });
    expect(testCloud.keys.get(id)?.owner).toBe('group:default/team-a');
    // Nothing went to AWS.
    expect(await resourcesInAws()).toBe(before);

    expect(
      await run('konductor:stack:destroy', {
        name: 'keys',
        environment: 'dev',
        target: input({}).target,
      }),
    ).toBeUndefined();
    expect(testCloud.keys.has(id)).toBe(false);
  });

  it("refuses a kind the provider has no handler for, a target in the provider's wrong format, an unknown provider and an account not configured", async () => {
    const before = await resourcesInAws();
    const noNetwork = await run(
      'konductor:stack:provision',
      input({}, { network: {} }),
    );
    expect(noNetwork?.message).toContain(
      "resources.network: 'network' is not a kind: add kind (one of api-key) or rename it after its kind",
    );
    const badProject = await run(
      'konductor:stack:provision',
      input({ accountId: '123' }),
    );
    expect(badProject?.message).toContain(
      'target.accountId: must be a project id',
    );
    const unknown = await run(
      'konductor:compliance:check',
      input({ provider: 'azure' }),
    );
    expect(unknown).toMatchObject({
      name: 'InputError',
      message:
        "target.provider: no cloud provider 'azure' is registered here: use aws or test-cloud",
    });
    const elsewhere = await run(
      'konductor:stack:provision',
      input({ accountId: 'acme-analytics' }),
    );
    expect(elsewhere?.message).toBe(
      'target.accountId: acme-analytics is not an account this portal provisions in on test-cloud (konductor.provisioning.accounts): use acme-payments',
    );
    expect(testCloud.keys.size).toBe(0);
    expect(await resourcesInAws()).toBe(before);
  });
});
