import * as k8s from '@kubernetes/client-node';
import { InputError } from '@backstage/errors';
import type { Cluster } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { renderChart } from '@konductor/plugin-provisioning-common';
import {
  app,
  type OutputsOf,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type {
  RemovalResult,
  ResourceContext,
  ResourceHandler,
} from '../provider';
import {
  adopt,
  keepReason,
  ownershipAnnotations,
  ownershipOf,
  stackTags,
} from './ownership';
import { waitForResource } from '../waitFor';
import type { AwsRetry } from './AwsClientFactory';
import { code, eksKubeConfig, kubernetesApi } from './eksApi';
import { appChart } from './appChart';

type Ctx = ResourceContext<SpecOf<typeof app>>;
type Outputs = OutputsOf<typeof app>;

/** The kubelet's reasons for a container that waits because its image does not pull. */
const PULL_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

/** What the app handler needs from the AWS provider. */
export interface KubernetesAppHandlerOptions {
  cluster(ctx: ResourceContext): Promise<Cluster>;
  credentials(ctx: ResourceContext): Promise<AwsCredentialIdentityProvider>;
  /** Reads a secret value (`database.password`, `SESSION_KEY`) for injection; never logged. */
  secretValue(ctx: ResourceContext, source: string): Promise<string>;
  pollIntervalMs: number;
  /** The app's host name on the cluster's ingress. */
  host(ctx: ResourceContext): string;
  /** Retries of throttled (429), failed (5xx) and timed-out API calls. */
  retry: AwsRetry;
  /** How long one API call may take before it is abandoned and retried. */
  callTimeoutMs: number;
  /** How long the app's pods may fail to pull their image before its run fails. */
  imagePullGraceMs: number;
}

/** The stack's app on its EKS cluster: its namespace and Secret, and its category's chart. */
export class KubernetesAppHandler implements ResourceHandler<typeof app> {
  constructor(private readonly options: KubernetesAppHandlerOptions) {}

  private async kubeConfig(ctx: ResourceContext) {
    return eksKubeConfig(
      await this.options.cluster(ctx),
      ctx.spec.target.region,
      await this.options.credentials(ctx),
    );
  }

  /** An API client whose calls time out, stop with the task and are retried (429, 5xx). */
  private client<T extends object>(
    kc: k8s.KubeConfig,
    Api: new (configuration: k8s.Configuration) => T,
    signal?: AbortSignal,
  ): T {
    const { retry, callTimeoutMs } = this.options;
    return kubernetesApi(kc, Api, { retry, callTimeoutMs, signal });
  }

  private names(ctx: ResourceContext) {
    return {
      namespace: ctx.stackId,
      app: ctx.spec.name,
      secret: `${ctx.spec.name}-secrets`,
      host: this.options.host(ctx),
    };
  }

  async create(ctx: Ctx): Promise<Outputs> {
    const spec = ctx.resource;
    const kc = await this.kubeConfig(ctx);
    const core = this.client(kc, k8s.CoreV1Api, ctx.signal);
    const apps = this.client(kc, k8s.AppsV1Api, ctx.signal);
    const n = this.names(ctx);
    const labels = {
      'app.kubernetes.io/name': n.app,
      'app.kubernetes.io/managed-by': 'konductor',
      'konductor.dev/stack': ctx.stackId,
    };

    /** Creates, or replaces what is already there: a re-run converges instead of failing. */
    const apply = async (
      create: () => Promise<unknown>,
      replace: () => Promise<unknown>,
    ) => {
      try {
        await create();
      } catch (e) {
        if (code(e) !== 409) throw e;
        await replace();
      }
    };

    // Created, or adopted when it is this stack's; one still terminating (deleted moments ago)
    // takes no content, so it is waited out and created again.
    await waitForResource(
      ctx,
      this.options.pollIntervalMs,
      `namespace ${n.namespace}`,
      async () => {
        try {
          await core.createNamespace({
            body: {
              metadata: {
                name: n.namespace,
                labels,
                annotations: ownershipAnnotations(stackTags(ctx)),
              },
            },
          });
          return { done: true };
        } catch (e) {
          if (code(e) !== 409) throw e;
        }
        const existing = await core
          .readNamespace({ name: n.namespace })
          .catch(e => (code(e) === 404 ? undefined : Promise.reject(e)));
        if (!existing || existing.metadata?.deletionTimestamp)
          return { state: 'terminating' };
        adopt(
          ctx,
          `namespace ${n.namespace}`,
          ownershipOf(existing.metadata?.annotations),
        );
        return { done: true };
      },
    );

    const secretData: Record<string, string> = {};
    for (const [name, source] of Object.entries(spec.secretEnv))
      secretData[name] = await this.options.secretValue(ctx, source);
    const secret = {
      metadata: { name: n.secret, namespace: n.namespace, labels },
      type: 'Opaque',
      stringData: secretData,
    };
    await apply(
      () =>
        core.createNamespacedSecret({ namespace: n.namespace, body: secret }),
      () =>
        core.replaceNamespacedSecret({
          name: n.secret,
          namespace: n.namespace,
          body: secret,
        }),
    );

    const { values, outputs } = appChart(ctx, n.host);
    const manifests = renderChart(values);
    const objects = this.client(kc, k8s.KubernetesObjectApi, ctx.signal);
    for (const manifest of manifests)
      await apply(
        () => objects.create(manifest),
        () => objects.replace(manifest),
      );
    // A cron job has no pods until its schedule comes.
    if (spec.category === 'cron-job') return outputs;

    // Pods that cannot pull their image fail the run once that has lasted imagePullGraceMs (the
    // image may still be being pushed); an image name that does not parse fails it at once.
    let pullFailingSince: number | undefined;
    // A back-off says only "Back-off pulling image"; the kubelet's last attempt says why.
    let pullCause: { reason: string; message: string } | undefined;
    await waitForResource(
      ctx,
      this.options.pollIntervalMs,
      `deployment ${n.namespace}/${n.app}`,
      async () => {
        const status = (
          await apps.readNamespacedDeploymentStatus({
            name: n.app,
            namespace: n.namespace,
          })
        ).status;
        const stalled = status?.conditions?.find(
          c => c.type === 'Progressing' && c.status === 'False',
        );
        if (stalled)
          throw new Error(
            `Deployment ${n.namespace}/${n.app} did not become available: ${stalled.reason}: ${stalled.message}`,
          );
        const ready = status?.availableReplicas ?? 0;
        if (ready >= spec.replicas) return { done: true };
        const pull = await this.pullFailure(core, n.namespace, n.app);
        if (!pull) {
          pullFailingSince = undefined;
          return { state: `${ready}/${spec.replicas} replicas available` };
        }
        pullFailingSince ??= Date.now();
        if (pull.reason !== 'ImagePullBackOff') pullCause = pull;
        const why = pullCause ?? pull;
        if (
          pull.reason === 'InvalidImageName' ||
          Date.now() - pullFailingSince >= this.options.imagePullGraceMs
        )
          throw new InputError(
            `resources.${ctx.name}.image: the cluster cannot run ${spec.image} (${why.reason}: ${why.message}). Push the image to a registry the cluster's nodes can reach (they reach the internet through the network's NAT gateways, natGateways), or deploy the platform's starter image until the service's CI has pushed its own`,
          );
        return { state: `pods ${pull.reason}: ${pull.message}` };
      },
    );
    return outputs;
  }

  /** The first image pull failure the kubelet reports among the app's pods. */
  private async pullFailure(
    core: k8s.CoreV1Api,
    namespace: string,
    appName: string,
  ): Promise<{ reason: string; message: string } | undefined> {
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: `app.kubernetes.io/name=${appName}`,
    });
    for (const pod of pods.items)
      for (const c of pod.status?.containerStatuses ?? []) {
        const waiting = c.state?.waiting;
        if (waiting?.reason && PULL_FAILURES.has(waiting.reason))
          return { reason: waiting.reason, message: waiting.message ?? '' };
      }
    return undefined;
  }

  async exists(ctx: Ctx): Promise<boolean> {
    try {
      const kc = await this.kubeConfig(ctx);
      const n = this.names(ctx);
      if (ctx.resource.category === 'cron-job') {
        await this.client(kc, k8s.BatchV1Api, ctx.signal).readNamespacedCronJob(
          { name: n.app, namespace: n.namespace },
        );
        return true;
      }
      const apps = this.client(kc, k8s.AppsV1Api, ctx.signal);
      const s = (
        await apps.readNamespacedDeploymentStatus({
          name: n.app,
          namespace: n.namespace,
        })
      ).status;
      return (s?.availableReplicas ?? 0) >= ctx.resource.replicas;
    } catch (e) {
      if (code(e) === 404 || /NotFound/.test((e as Error).name)) return false;
      throw e;
    }
  }

  /**
   * Deletes the app's namespace (and with it everything in it) when the removal may; a missing
   * cluster or namespace means it is gone.
   */
  async destroy(ctx: ResourceContext): Promise<RemovalResult> {
    let kc: k8s.KubeConfig;
    try {
      kc = await this.kubeConfig(ctx);
    } catch (e) {
      if (/NotFound/.test((e as Error).name)) return { kept: [] };
      throw e;
    }
    const core = this.client(kc, k8s.CoreV1Api);
    const name = this.names(ctx).namespace;
    const existing = await core.readNamespace({ name }).catch(e => {
      if (code(e) === 404 || code(e) === 503) return undefined;
      throw e;
    });
    if (!existing) return { kept: [] };
    const reason = keepReason(ownershipOf(existing.metadata?.annotations), ctx);
    if (reason) return { kept: [`namespace ${name}: ${reason}`] };
    // Deleting an already terminating namespace answers 409: it is on its way.
    await core.deleteNamespace({ name }).catch(e => {
      if (![404, 409, 503].includes(code(e) ?? 0)) throw e;
    });
    // Gone once its content is removed and it is purged (Terminating until then).
    await waitForResource(
      ctx,
      this.options.pollIntervalMs,
      `namespace ${name} to terminate`,
      () =>
        core.readNamespace({ name }).then(
          ns => ({ state: ns.status?.phase ?? 'Terminating' }),
          e => {
            if (code(e) === 404 || code(e) === 503) return { done: true };
            throw e;
          },
        ),
    );
    return { kept: [] };
  }
}
