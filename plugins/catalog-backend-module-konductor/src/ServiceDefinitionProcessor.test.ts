import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import type { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { ServiceDefinitionProcessor } from './ServiceDefinitionProcessor';

const location = { type: 'file', target: '/defs/shop.yaml' };

const automated = (): Entity => ({
  apiVersion: 'konductor.dev/v1alpha1',
  kind: 'ServiceDefinition',
  metadata: {
    name: 'node-service',
    title: 'Node.js service',
    description: 'A Node.js service on EKS with PostgreSQL',
    tags: ['node'],
    annotations: { 'backstage.io/managed-by-location': 'file:/defs/shop.yaml' },
  },
  spec: {
    owner: 'group:default/platform-team',
    type: 'full-stack',
    lifecycle: 'production',
    dependsOn: ['servicedefinition:default/postgres'],
    parameters: {
      required: ['name'],
      properties: { name: { title: 'Name', type: 'string' } },
    },
    fulfilment: {
      mode: 'automated',
      automated: {
        skeleton: './skeleton',
        repository: {
          repoUrl: 'github.com?owner=acme&repo=${{ parameters.name }}',
        },
        catalogInfoPath: '/catalog-info.yaml',
        stack: {
          name: '${{ parameters.name }}',
          environment: 'dev',
          target: {
            provider: 'aws',
            accountId: '123456789012',
            region: 'us-east-1',
          },
          resources: {
            network: { cidr: '10.0.0.0/16' },
            app: {
              image: 'node:22',
              env: {
                DB_HOST: '${{ dependencies.postgres.database.endpoint }}',
              },
            },
          },
        },
      },
    },
  },
});

const manual = (): Entity => ({
  ...automated(),
  metadata: { name: 'vpn-access', title: 'VPN access' },
  spec: {
    owner: 'group:default/platform-team',
    type: 'other',
    lifecycle: 'production',
    parameters: [
      { title: 'Who', properties: { team: { type: 'string' } } },
      { title: 'Why', properties: { reason: { type: 'string' } } },
    ],
    fulfilment: {
      mode: 'manual',
      manual: {
        projectKey: 'OPS',
        issueType: 'Service Request',
        summary: 'VPN access for ${{ parameters.team }}',
        labels: ['vpn'],
      },
    },
  },
});

async function process(entity: Entity) {
  const processor = new ServiceDefinitionProcessor();
  const emitted: CatalogProcessorResult[] = [];
  const known = await processor.validateEntityKind(entity);
  await processor.postProcessEntity(entity, location, r => emitted.push(r));
  return { known, emitted };
}

/** The definition with `path` (dot-separated, under spec) set to `value`, or deleted. */
function withField(entity: Entity, path: string, value: unknown): Entity {
  const copy = JSON.parse(JSON.stringify(entity));
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce((o, k) => o[k], copy);
  if (value === undefined) delete parent[keys[keys.length - 1]];
  else parent[keys[keys.length - 1]] = value;
  return copy;
}

describe('ServiceDefinitionProcessor', () => {
  it('relates an automated definition to its owner and dependencies and emits its Template', async () => {
    const { known, emitted } = await process(automated());
    expect(known).toBe(true);
    const relations = emitted
      .filter(r => r.type === 'relation')
      .map(
        (r: any) =>
          `${r.relation.source.name} ${r.relation.type} ${r.relation.target.kind}:${r.relation.target.name}`,
      );
    expect(relations.sort()).toEqual([
      'node-service dependsOn servicedefinition:postgres',
      'node-service ownedBy group:platform-team',
      'platform-team ownerOf ServiceDefinition:node-service',
      'postgres dependencyOf ServiceDefinition:node-service',
    ]);

    const [template] = emitted
      .filter(r => r.type === 'entity')
      .map((r: any) => r.entity);
    expect(template).toMatchObject({
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: {
        name: 'node-service',
        title: 'Node.js service',
        tags: ['node', 'konductor', 'automated'],
        annotations: {
          'konductor.dev/service-definition':
            'servicedefinition:default/node-service',
          'backstage.io/managed-by-location': 'file:/defs/shop.yaml',
        },
      },
      spec: {
        owner: 'group:default/platform-team',
        type: 'full-stack',
        parameters: [
          { title: 'Node.js service', required: ['name'] },
          // The dependency: a choice among the stacks its template provisioned.
          {
            title: 'Uses',
            required: ['dependency-postgres'],
            properties: {
              'dependency-postgres': {
                type: 'string',
                'ui:field': 'EntityPicker',
                'ui:options': {
                  catalogFilter: {
                    kind: 'System',
                    'metadata.annotations.konductor.dev/template':
                      'template:default/postgres',
                  },
                },
              },
            },
          },
          // Last before review: the stack's plan, cost and compliance verdict.
          {
            title: 'Plan and cost',
            properties: {
              konductorStackSummary: {
                type: 'string',
                'ui:field': 'KonductorStackSummary',
              },
            },
          },
        ],
      },
    });
    expect(template.spec.steps.map((s: any) => [s.id, s.action])).toEqual([
      ['dependency-postgres', 'konductor:stack:outputs'],
      // Before the repository: a refused or waiting stack leaves nothing behind.
      ['reserve', 'konductor:stack:reserve'],
      ['skeleton', 'fetch:template'],
      ['repo', 'konductor:github:repo:provision'],
      ['stack', 'konductor:stack:provision'],
      ['register', 'catalog:register'],
    ]);
    // The stack page's Change sets a hidden parameter of the first page: the run changes the
    // stack and skips what made the repository and the catalog entry, which exist.
    expect(template.spec.parameters[0].properties.konductorChange).toEqual(
      expect.objectContaining({ type: 'boolean', 'ui:widget': 'hidden' }),
    );
    expect(
      template.spec.steps.map((s: any) => [s.id, s.if ?? 'always']),
    ).toEqual([
      ['dependency-postgres', 'always'],
      ['reserve', 'always'],
      ['skeleton', '${{ not parameters.konductorChange }}'],
      ['repo', '${{ not parameters.konductorChange }}'],
      ['stack', 'always'],
      ['register', '${{ not parameters.konductorChange }}'],
    ]);
    expect(template.spec.steps[0].input).toEqual({
      stack: "${{ parameters['dependency-postgres'] }}",
    });
    const stack = template.spec.steps.find((s: any) => s.id === 'stack');
    expect(stack.input.name).toBe('${{ parameters.name }}');
    // The reservation is of exactly the stack the stack step provisions.
    expect(template.spec.steps[1].input).toEqual(stack.input);
    // The dependency's output, read from the step that fetched it.
    expect(stack.input.resources.app.env).toEqual({
      DB_HOST:
        "${{ steps['dependency-postgres'].output.outputs['database'].endpoint }}",
    });
    expect(template.spec.output.links.map((l: any) => l.title)).toEqual([
      'Repository',
      'Provisioning run',
      'Open in the catalog',
    ]);
    // The stack may expire: a field on the first page (none names the environment here), read
    // by the stack the gate checks and the stack step provisions.
    expect(template.spec.parameters[0].properties.expiresAt).toEqual(
      expect.objectContaining({
        type: 'string',
        'ui:field': 'KonductorStackExpiry',
      }),
    );
    expect(stack.input.expiresAt).toBe('${{ parameters.expiresAt }}');
  });

  it("asks for the stack's expiry beside its environment, and leaves a definition's own expiry alone", async () => {
    const paged = automated();
    paged.spec!.parameters = [
      { title: 'Service', properties: { name: { type: 'string' } } },
      {
        title: 'Where',
        properties: {
          environment: { type: 'string', enum: ['dev', 'staging', 'prod'] },
        },
      },
    ];
    const [template] = (await process(paged)).emitted
      .filter(r => r.type === 'entity')
      .map((r: any) => r.entity);
    expect(Object.keys(template.spec.parameters[1].properties)).toEqual([
      'environment',
      'expiresAt',
    ]);
    expect(template.spec.parameters[0].properties.expiresAt).toBeUndefined();

    // The definition decides: a fixed lifetime, and no field.
    const fixed = automated();
    (fixed.spec as any).fulfilment.automated.stack.expiresAt =
      '2026-12-31T00:00:00Z';
    const [own] = (await process(fixed)).emitted
      .filter(r => r.type === 'entity')
      .map((r: any) => r.entity);
    expect(own.spec.parameters[0].properties.expiresAt).toBeUndefined();
    expect(
      own.spec.steps.find((st: any) => st.id === 'stack').input.expiresAt,
    ).toBe('2026-12-31T00:00:00Z');
  });

  it('names owners, picked entities and repositories on the review as people read them, once', async () => {
    const picked = automated();
    picked.spec!.parameters = [
      {
        title: 'Service',
        properties: {
          name: { title: 'Name', type: 'string' },
          owner: { title: 'Owner', type: 'string', 'ui:field': 'OwnerPicker' },
          repoUrl: {
            title: 'Repository',
            type: 'string',
            'ui:field': 'RepoUrlPicker',
          },
          // The author decided how the review shows this one.
          team: {
            title: 'Team',
            type: 'string',
            'ui:field': 'OwnerPicker',
            'ui:backstage': { review: { name: 'Asked by' } },
          },
        },
      },
    ];
    const [template] = (await process(picked)).emitted
      .filter(r => r.type === 'entity')
      .map((r: any) => r.entity);
    const [service, uses] = template.spec.parameters;
    for (const field of ['owner', 'repoUrl'])
      expect(service.properties[field]['ui:backstage']).toEqual({
        review: { show: false },
      });
    expect(service.properties.team['ui:backstage']).toEqual({
      review: { name: 'Asked by' },
    });
    expect(service.properties.konductorReviewNames).toBeUndefined();
    // One field names them all, on the last page with such a field: the dependency's picker.
    expect(uses.title).toBe('Uses');
    expect(uses.properties['dependency-postgres']['ui:backstage']).toEqual({
      review: { show: false },
    });
    expect(uses.properties.konductorReviewNames).toEqual({
      title: 'Names on the review',
      type: 'object',
      'ui:field': 'KonductorReviewNames',
      properties: {
        owner: { title: 'Owner', type: 'string' },
        repoUrl: { title: 'Repository', type: 'string' },
        'dependency-postgres': { title: 'Postgres', type: 'string' },
      },
    });
  });

  it('turns a manual definition into a Jira request with its form pages', async () => {
    const { emitted } = await process(manual());
    const template = emitted.find(r => r.type === 'entity') as any;
    expect(template.entity.spec.parameters.map((p: any) => p.title)).toEqual([
      'Who',
      'Why',
    ]);
    expect(template.entity.spec.steps).toEqual([
      expect.objectContaining({
        action: 'konductor:jira:issue:create',
        input: expect.objectContaining({
          projectKey: 'OPS',
          summary: 'VPN access for ${{ parameters.team }}',
          labels: ['vpn', 'konductor'],
        }),
      }),
    ]);
  });

  it('links the definition to its form and the form back to the definition', async () => {
    const processor = new ServiceDefinitionProcessor({
      appBaseUrl: 'http://portal.test',
    });
    const emitted: CatalogProcessorResult[] = [];
    const processed = await processor.postProcessEntity(
      automated(),
      location,
      r => emitted.push(r),
    );
    expect(processed.metadata.links).toEqual([
      {
        url: 'http://portal.test/create/templates/default/node-service',
        title: 'Request it (form)',
      },
    ]);
    const template = emitted.find(r => r.type === 'entity') as any;
    expect(template.entity.metadata.links).toEqual([
      {
        url: 'http://portal.test/catalog/default/servicedefinition/node-service',
        title: 'Service definition',
      },
    ]);
  });

  it('leaves other kinds alone', async () => {
    const component = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'x' },
      spec: {},
    };
    const { known, emitted } = await process(component);
    expect(known).toBe(false);
    expect(emitted).toEqual([]);
  });

  it.each([
    ['spec.owner', undefined, 'spec.owner: Required'],
    [
      'spec.owner',
      'platform-team',
      'spec.owner: must be an entity ref such as group:default/platform-team',
    ],
    [
      'spec.type',
      'website',
      "spec.type: Invalid enum value. Expected 'web-service'",
    ],
    [
      'spec.color',
      'blue',
      'spec.color: unknown field color: remove it or check its spelling',
    ],
    [
      'spec.fulfilment.automated.stack.complianceLevl',
      'high',
      'spec.fulfilment.automated.stack.complianceLevl: unknown field complianceLevl (did you mean complianceLevel?): remove it or check its spelling',
    ],
    [
      'spec.fulfilment.automated.repositry',
      {},
      'spec.fulfilment.automated.repositry: unknown field repositry (did you mean repository?): remove it or check its spelling',
    ],
    [
      'spec.fulfilment.automated.stack.resources.network.cidrBlock',
      '10.0.0.0/16',
      'spec.fulfilment.automated.stack.resources.network.cidrBlock: unknown field cidrBlock (did you mean cidr?): a VPC network has cidr',
    ],
    [
      'spec.fulfilment.automated.stack.resources.database',
      { instanceClas: 'db.t4g.small', storageGb: 20 },
      'spec.fulfilment.automated.stack.resources.database.instanceClas: unknown field instanceClas (did you mean instanceClass?): a PostgreSQL database has engineVersion, instanceClass, storageGb',
    ],
    [
      'spec.fulfilment.automated.stack.resources.database',
      { storageGb: 5 },
      'spec.fulfilment.automated.stack.resources.database.storageGb: Number must be greater than or equal to 20',
    ],
    [
      'spec.fulfilment.automated.stack.name',
      '${{ parameters.nmae }}-svc',
      'spec.fulfilment.automated.stack.name: uses parameters.nmae, but the form has no field nmae (did you mean name?): add it to spec.parameters or use one of name',
    ],
    [
      'spec.fulfilment.automated.repository.repoUrl',
      "github.com?owner=acme&repo=${{ parameters['repo'] }}",
      'spec.fulfilment.automated.repository.repoUrl: uses parameters.repo, but the form has no field repo: add it to spec.parameters or use one of name',
    ],
    [
      // A kind a module adds is known only once the module tells the catalog of it.
      'spec.fulfilment.automated.stack.resources.uploads',
      { kind: 'bucket' },
      'spec.fulfilment.automated.stack.resources.uploads.kind: unknown kind bucket: use one of network, database, secrets, cluster, app (another kind needs the module that adds it installed)',
    ],
    [
      'spec.fulfilment.automated.stack.resources.orders-db',
      { kind: 'databse' },
      'spec.fulfilment.automated.stack.resources.orders-db.kind: unknown kind databse (did you mean database?): use one of network, database, secrets, cluster, app',
    ],
    [
      'spec.fulfilment.mode',
      'magic',
      "spec.fulfilment.mode: must be 'automated' or 'manual'",
    ],
    [
      'spec.parameters.properties',
      {},
      'spec.parameters.properties: must define at least one field',
    ],
    [
      'spec.fulfilment.automated.repository',
      undefined,
      'spec.fulfilment.automated.catalogInfoPath: catalogInfoPath needs a repository',
    ],
    [
      'spec.fulfilment.automated.stack.resources',
      { queue: {} },
      'spec.fulfilment.automated.stack.resources.queue: "queue" is not a kind (network, database, secrets, cluster, app): add kind: <kind>, or name it after its kind',
    ],
    [
      'spec.fulfilment.automated.skeleton',
      'skeleton',
      'spec.fulfilment.automated.skeleton: must be a folder path under this definition',
    ],
    [
      'spec.fulfilment.automated.skeleton',
      './../../other-team/secrets',
      "spec.fulfilment.automated.skeleton: must stay inside this definition's folder: remove the .. from the path",
    ],
    [
      'spec.fulfilment.automated.skeleton',
      '../shared-skeleton',
      'spec.fulfilment.automated.skeleton: must be a folder path under this definition',
    ],
    [
      'spec.dependsOn',
      ['component:default/x'],
      'spec.dependsOn.0: must be an entity ref such as servicedefinition:default/postgres',
    ],
    [
      'spec.dependsOn',
      undefined,
      'spec.fulfilment.automated.stack.resources.app.env.DB_HOST: uses dependencies.postgres, but postgres is not in spec.dependsOn: add servicedefinition:default/postgres there',
    ],
    [
      'spec.fulfilment.automated.stack.resources.app.env.DB_HOST',
      '${{ dependencies.postgres.endpoint }}',
      "uses dependencies.postgres: name the dependency's resource and output, such as dependencies.postgres.network.vpcId",
    ],
  ])(
    'refuses %s = %j, naming the document, the field and what to change',
    async (path, value, message) => {
      const processor = new ServiceDefinitionProcessor();
      const entity = withField(automated(), path, value);
      const error = await processor.validateEntityKind(entity).catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain(
        'ServiceDefinition servicedefinition:default/node-service is invalid',
      );
      expect(error.message).toContain(message);
      // An invalid definition emits no Template: the catalog keeps the last valid one.
      const emitted: CatalogProcessorResult[] = [];
      await processor.postProcessEntity(entity, location, r => emitted.push(r));
      expect(emitted).toEqual([]);
    },
  );

  it('refuses a manual definition without a valid Jira project', async () => {
    const entity = withField(
      manual(),
      'spec.fulfilment.manual.projectKey',
      'ops',
    );
    await expect(
      new ServiceDefinitionProcessor().validateEntityKind(entity),
    ).rejects.toThrow(
      'spec.fulfilment.manual.projectKey: must be a Jira project key such as PLAT',
    );
  });

  it('never fails on mutated definitions with anything but an input error that says what to change', async () => {
    // A deterministic pseudo-random sequence, so a failure reproduces.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values = [
      undefined,
      null,
      0,
      -1,
      '',
      'x',
      '${{ parameters.name }}',
      [],
      [1],
      {},
      { a: 1 },
      true,
    ];
    const paths = (value: unknown, prefix: string): string[] =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => [
            `${prefix}.${k}`,
            ...paths(v, `${prefix}.${k}`),
          ])
        : [];
    const processor = new ServiceDefinitionProcessor();
    let valid = 0;
    const unexpected: string[] = [];
    for (let i = 0; i < 400; i++) {
      let entity = random() < 0.5 ? automated() : manual();
      for (let m = 0; m < 1 + Math.floor(random() * 3); m++) {
        const candidates = paths(entity.spec, 'spec');
        const path = candidates[Math.floor(random() * candidates.length)];
        entity = withField(
          entity,
          path,
          values[Math.floor(random() * values.length)],
        );
      }
      const outcome = await processor.validateEntityKind(entity).catch(e => e);
      if (outcome === true) {
        valid += 1;
        const emitted: CatalogProcessorResult[] = [];
        await processor.postProcessEntity(entity, location, r =>
          emitted.push(r),
        );
        const templates = emitted.filter(r => r.type === 'entity').length;
        if (templates !== 1) unexpected.push(`#${i}: ${templates} templates`);
      } else if (
        !(outcome instanceof InputError) ||
        !/is invalid: spec\.[\w.]*: \S/.test(outcome.message)
      ) {
        unexpected.push(`#${i}: ${String(outcome)}`);
      }
    }
    expect(unexpected).toEqual([]);
    // Some mutations keep a definition valid (an optional field removed); most do not.
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(400);
  });
});
