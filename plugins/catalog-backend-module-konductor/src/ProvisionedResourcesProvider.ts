import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_COMPLIANCE_LEVEL,
  ANNOTATION_ENVIRONMENT,
} from '@konductor/plugin-compliance-common';
import { ANNOTATION_TEMPLATE } from './serviceDefinition/generateTemplate';
import type {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_CLOUD_ID,
  ANNOTATION_STACK,
  ANNOTATION_STACK_RESOURCE,
  BUILT_IN_RESOURCE_KINDS,
} from '@konductor/plugin-provisioning-common';
import type {
  ProvisioningClient,
  ProvisioningRun,
  RunResource,
  StackDrift,
} from '@konductor/plugin-provisioning-common';

/** Annotations on the entities of provisioned resources. */
export { ANNOTATION_STACK };
export const ANNOTATION_RUN = 'konductor.dev/run';
export { ANNOTATION_CLOUD_ID };

/** Resource statuses that mean the resource exists in the cloud. */
const EXISTING = new Set([
  'ready',
  'creating',
  'waiting',
  'retained',
  'rolling-back',
  'deleting',
]);

/** The identifier a cloud console finds the resource by (the secrets resource: its first secret). */
function cloudIdOf(outputs: Record<string, unknown> = {}): string | undefined {
  for (const key of ['arn', 'vpcId', 'clusterName', 'url'])
    if (typeof outputs[key] === 'string') return outputs[key] as string;
  const [secret] = Array.isArray(outputs.secretArns) ? outputs.secretArns : [];
  return typeof secret === 'string' ? secret : undefined;
}

/**
 * The tag of a stack's entities its last drift scan found changed or deleted outside Konductor:
 * the catalog's tag filter and Tags column show which stacks drifted.
 */
export const DRIFTED_TAG = 'drifted';

/** Whether the last scan found the resource (or, without one, any of the stack's) drifted or gone. */
function drifted(drift: StackDrift | undefined, resource?: string): boolean {
  return (
    !!drift?.scannedAt &&
    drift.resources.some(
      r =>
        (resource === undefined || r.resource === resource) &&
        (r.state === 'drifted' || r.state === 'missing'),
    )
  );
}

const PROVIDER = 'konductor-provisioned-resources';
/** Stacks read per request. */
const LATEST_PAGE = 200;
const location = `${PROVIDER}:runs`;

/**
 * The stacks Konductor provisioned, as catalog entities: one `System` per stack and one
 * `Resource` per resource that exists, owned by the stack's owner, with `dependsOn` mirroring the
 * stack's graph and a link to the run. Each stack is described by its most recent run, so a stack
 * destroyed by `konductor:stack:destroy` disappears. Entities the last drift scan found changed
 * or gone outside Konductor are tagged {@link DRIFTED_TAG}. Every refresh is a full mutation.
 */
export class ProvisionedResourcesProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly options: {
      client: ProvisioningClient;
      logger: LoggerService;
      /** Owner of stacks whose runs name none. */
      defaultOwner: string;
      /** The portal's URL (`app.baseUrl`): entity links must be absolute. */
      appBaseUrl: string;
    },
  ) {}

  getProviderName(): string {
    return PROVIDER;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
  }

  /** Reads every stack's latest run (with its resources) and replaces the provider's entities with what exists. */
  async refresh(): Promise<void> {
    if (!this.connection)
      throw new Error(`${PROVIDER} is not connected to the catalog yet`);
    const entities: Entity[] = [];
    let stacks = 0;
    for (let offset = 0; ; offset += LATEST_PAGE) {
      const page = await this.options.client.listLatestRuns({
        limit: LATEST_PAGE,
        offset,
      });
      for (const { run, resources } of page.items)
        entities.push(
          ...this.entitiesOf(
            run,
            resources,
            await this.driftOf(run, resources),
          ),
        );
      stacks += page.items.length;
      if (stacks >= page.totalCount || !page.items.length) break;
    }
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({ entity, locationKey: location })),
    });
    this.options.logger.info(
      `${PROVIDER}: ${entities.length} entities from ${stacks} stacks`,
    );
  }

  /** The stack's last drift scan; none for a stack gone, never recorded or not readable. */
  private async driftOf(
    run: ProvisioningRun,
    resources: RunResource[],
  ): Promise<StackDrift | undefined> {
    if (!run.accountId || !run.region) return undefined;
    if (!resources.some(r => EXISTING.has(r.status))) return undefined;
    return this.options.client
      .getStackDrift({
        accountId: run.accountId,
        region: run.region,
        stackId: run.stackId,
      })
      .catch(e => {
        this.options.logger.debug(
          `${PROVIDER}: no drift of stack ${run.stackId}: ${e}`,
        );
        return undefined;
      });
  }

  private entitiesOf(
    run: ProvisioningRun,
    resources: RunResource[],
    drift: StackDrift | undefined,
  ): Entity[] {
    const existing = resources.filter(r => EXISTING.has(r.status));
    if (!existing.length) return [];
    const tags = (isDrifted: boolean) => [
      'konductor',
      run.environment,
      ...(isDrifted ? [DRIFTED_TAG] : []),
    ];
    const owner = run.owner ?? run.createdBy ?? this.options.defaultOwner;
    const names = new Set(existing.map(r => r.resource));
    const annotations: Record<string, string> = {
      [ANNOTATION_LOCATION]: location,
      [ANNOTATION_ORIGIN_LOCATION]: location,
      [ANNOTATION_STACK]: run.stackId,
      [ANNOTATION_RUN]: run.id,
      // Compliance evaluates the stack's entities where, and at the level, it was checked.
      [ANNOTATION_ENVIRONMENT]: run.environment,
      // Where its resources are, for the fact sources that read them.
      ...(run.accountId ? { [ANNOTATION_AWS_ACCOUNT]: run.accountId } : {}),
      ...(run.region ? { [ANNOTATION_AWS_REGION]: run.region } : {}),
      ...(run.complianceLevel
        ? { [ANNOTATION_COMPLIANCE_LEVEL]: run.complianceLevel }
        : {}),
    };
    // The run page is the stack's as-built documentation (every resource's settings, outputs
    // and history), so it is typed as documentation: compliance's SA-5 check reads it.
    const links = [
      {
        url: `${this.options.appBaseUrl}/provisioning/runs/${encodeURIComponent(
          run.id,
        )}`,
        title: 'Provisioning run',
        type: 'documentation',
      },
    ];
    const system: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: {
        name: run.stackId,
        title: `${run.stackName} (${run.environment})`,
        description: `Stack ${run.stackId}, provisioned by Konductor.`,
        tags: tags(drifted(drift)),
        // The template is how dependent service definitions find the stacks of a definition.
        annotations: run.templateRef
          ? { ...annotations, [ANNOTATION_TEMPLATE]: run.templateRef }
          : annotations,
        links,
      },
      spec: { owner },
    };
    return [
      system,
      ...existing.map(
        (r): Entity => ({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: `${run.stackId}-${r.resource}`,
            title: `${run.stackId} ${r.resource}`,
            tags: tags(drifted(drift, r.resource)),
            annotations: {
              ...annotations,
              // Which of the stack's resources it is: its drift is read by this name.
              [ANNOTATION_STACK_RESOURCE]: r.resource,
              ...(cloudIdOf(r.outputs)
                ? { [ANNOTATION_CLOUD_ID]: cloudIdOf(r.outputs)! }
                : {}),
            },
            links,
          },
          spec: {
            // As the run recorded it; runs recorded before name their built-in kind.
            type:
              r.catalogType ??
              BUILT_IN_RESOURCE_KINDS.get(r.kind)?.catalogType ??
              r.kind,
            owner,
            system: run.stackId,
            dependsOn: r.dependsOn
              .filter(d => names.has(d))
              .map(d => `resource:default/${run.stackId}-${d}`),
          },
        }),
      ),
    ];
  }
}
