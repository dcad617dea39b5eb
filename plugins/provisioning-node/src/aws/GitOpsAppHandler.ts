import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AssociateAccessPolicyCommand,
  type Cluster,
  CreateAccessEntryCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { stringify } from 'yaml';
import {
  app,
  renderChart,
  type OutputsOf,
  type SecretSource,
  type SecretStore,
  type SpecOf,
} from '@konductor/plugin-provisioning-common';
import type {
  RemovalResult,
  ResourceContext,
  ResourceHandler,
} from '../provider';
import { waitForResource } from '../waitFor';
import type { ArgoCdClient } from '../delivery/ArgoCdClient';
import type { GitOpsRepository } from '../delivery/gitops';
import { appChart } from './appChart';
import { ensurePodSecrets, removePodSecrets } from './podSecrets';
import {
  adopt,
  keepReason,
  OWNERSHIP_TAGS,
  ownershipAnnotations,
  ownershipOf,
  stackTags,
} from './ownership';

type Ctx = ResourceContext<SpecOf<typeof app>>;

/** What the GitOps app handler needs from the AWS provider. */
export interface GitOpsAppHandlerOptions {
  cluster(ctx: ResourceContext): Promise<Cluster>;
  /** The platform's Argo CD, for this run, and the IAM role it reaches clusters as. */
  argoCd(
    ctx: ResourceContext,
  ): Promise<{ client: ArgoCdClient; roleArn: string }>;
  /** The stack's EKS client. */
  eks(ctx: ResourceContext): Promise<EKSClient>;
  repository: GitOpsRepository;
  /**
   * The IAM role, of this name in the stack's account, that apps' pods read their secrets as;
   * without it, apps with secrets are refused.
   */
  secretsRoleName?: string;
  /** Where a secret value an app receives (`database.password`) lives in Secrets Manager. */
  secretSource(ctx: ResourceContext, source: string): SecretSource | undefined;
  host(ctx: ResourceContext): string;
  pollIntervalMs: number;
  /** How long a rollout may make no progress (an image that does not pull) before it fails. */
  progressDeadlineMs: number;
}

/** The EKS access policy Argo CD needs on a cluster it deploys to (namespaces included). */
const ARGOCD_ACCESS_POLICY =
  'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** Where a stack's app lives in the GitOps repository. */
const pathOf = (ctx: ResourceContext) => `stacks/${ctx.stackId}`;
/** The branch a run's change waits on where the GitOps branch requires reviews. */
const changeBranch = (ctx: ResourceContext) =>
  `konductor/${ctx.stackId}/${ctx.runId}`;

/**
 * The stack's app delivered through git: its chart rendered and committed to the platform's
 * GitOps repository (`stacks/{stack}/app.yaml`), and an Argo CD Application (named after the
 * stack, in the platform's Argo CD) that syncs it into the stack's cluster, which Argo CD
 * reaches from inside AWS: nothing calls the cluster's API from the portal, so its endpoint
 * may be private. The run follows the Application until it has synced this commit and is
 * healthy, and fails with Argo CD's own message otherwise.
 */
export class GitOpsAppHandler implements ResourceHandler<typeof app> {
  constructor(private readonly options: GitOpsAppHandlerOptions) {}

  /**
   * Where the cluster reads the app's secret values (git holds only where they live), or an
   * error that says what to change, before anything is written.
   */
  private secretStore(ctx: Ctx): SecretStore | undefined {
    const entries = Object.entries(ctx.resource.secretEnv);
    if (!entries.length) return undefined;
    if (!this.options.secretsRoleName)
      throw new InputError(
        `resources.${ctx.name}.secretEnv: this portal delivers apps through git, and has no IAM role for apps to read their secrets with (konductor.apps.gitops.secretsRoleName): ask the platform team to set it, or remove secretEnv`,
      );
    const sources: SecretStore['sources'] = {};
    for (const [variable, source] of entries) {
      const found = this.options.secretSource(ctx, source);
      if (!found)
        throw new InputError(
          `resources.${ctx.name}.secretEnv.${variable}: "${source}" is composed by the portal (it holds a password inside a URL), and no secret holds it as such, so the cluster cannot read it: receive its parts instead (a database's username and password in secretEnv, its host, port and name in env)`,
        );
      sources[variable] = found;
    }
    return { region: ctx.spec.target.region, sources };
  }

  /** An app whose secrets this delivery cannot bring is refused before the stack is created. */
  preflight(ctx: Ctx): void {
    this.secretStore(ctx);
  }

  async create(ctx: Ctx): Promise<OutputsOf<typeof app>> {
    const spec = ctx.resource;
    const secretStore = this.secretStore(ctx);
    const { values, outputs } = appChart(ctx, this.options.host(ctx), {
      progressDeadlineSeconds: Math.ceil(
        this.options.progressDeadlineMs / 1000,
      ),
      secretStore,
    });
    const manifests = renderChart(values);
    const cluster = await this.options.cluster(ctx);
    const { client: argo, roleArn } = await this.options.argoCd(ctx);
    // Another owner's application (and so its file) is left alone, before anything is written.
    const existing = await argo.application(ctx.stackId);
    if (existing)
      adopt(
        ctx,
        `Argo CD application ${ctx.stackId}`,
        ownershipOf(existing.metadata.annotations),
      );
    const revision = await this.deliver(
      ctx,
      `${pathOf(ctx)}/app.yaml`,
      [
        `# Rendered by Konductor for stack ${ctx.stackId}; changes come through the portal.\n`,
        ...manifests.map(m => stringify(m)),
      ].join('---\n'),
      `${ctx.stackId}: ${spec.category} ${spec.image}, ${spec.replicas} replicas (run ${ctx.runId})`,
    );
    await this.grantAccess(ctx, roleArn);
    if (secretStore)
      await ensurePodSecrets(ctx, await this.options.eks(ctx), {
        roleArn: `arn:aws:iam::${ctx.spec.target.accountId}:role/${this.options
          .secretsRoleName!}`,
        serviceAccount: values.name,
        pollIntervalMs: this.options.pollIntervalMs,
      });
    await argo.registerCluster(cluster.arn!, cluster.name!);
    // An adopted Application keeps the run that created it, so this run's rollback leaves it.
    const createdBy =
      existing &&
      ownershipOf(existing.metadata.annotations)[OWNERSHIP_TAGS.run];
    const ownership = ownershipAnnotations({
      ...stackTags(ctx),
      ...(createdBy && { [OWNERSHIP_TAGS.run]: createdBy }),
    });
    await argo.upsertApplication({
      metadata: {
        name: ctx.stackId,
        labels: { 'konductor.dev/stack': ctx.stackId },
        annotations: ownership,
      },
      spec: {
        project: 'default',
        source: {
          repoURL: this.options.repository.repoURL,
          path: pathOf(ctx),
          targetRevision: this.options.repository.branch,
        },
        destination: { server: cluster.arn, namespace: ctx.stackId },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true'],
          managedNamespaceMetadata: {
            labels: { 'konductor.dev/stack': ctx.stackId },
            annotations: ownership,
          },
        },
      },
    });
    await this.follow(ctx, argo, revision);
    return { ...outputs, revision };
  }

  /**
   * Writes the app's file and answers the commit Argo CD is to sync: the branch's new head, or,
   * where the branch requires reviews, the commit that merging the pull request the write opened
   * made. The run waits for that merge within the stack's timeout, saying where the pull request
   * is; one closed without merging fails the run, the branch unchanged.
   */
  private async deliver(
    ctx: ResourceContext,
    path: string,
    content: string,
    message: string,
  ): Promise<string> {
    const { repository } = this.options;
    const written = await repository.write(
      path,
      content,
      message,
      changeBranch(ctx),
    );
    if ('revision' in written) return written.revision;
    const { number, url } = written.pullRequest;
    return waitForResource<string>(
      ctx,
      this.options.pollIntervalMs,
      `pull request #${number}`,
      async () => {
        const pr = await repository.pullRequest(number);
        if ('merged' in pr) return { done: pr.merged };
        if ('closed' in pr)
          throw new NotAllowedError(
            `Pull request #${number} (${url}) was closed without being merged: ${repository.branch} is unchanged and the app was not delivered. Run again to propose the change again`,
          );
        return {
          state: `waits for review and merge into ${repository.branch}: ${url}`,
        };
      },
    );
  }

  /**
   * Follows the stack's Application until Argo CD has synced `revision` and reports it Healthy;
   * fails with Argo CD's message when a sync fails or the app is Degraded.
   */
  private async follow(
    ctx: ResourceContext,
    argo: ArgoCdClient,
    revision: string,
  ) {
    await waitForResource(
      ctx,
      this.options.pollIntervalMs,
      `Argo CD application ${ctx.stackId} at ${revision.slice(0, 7)}`,
      async () => {
        const a = (await argo.application(ctx.stackId))?.status ?? {};
        const problem = (a.conditions ?? []).find(c => /Error$/.test(c.type));
        if (problem) throw new Error(`Argo CD: ${problem.message}`);
        const op = a.operationState;
        if (
          op?.syncResult?.revision === revision &&
          (op.phase === 'Failed' || op.phase === 'Error')
        )
          throw new Error(
            `Argo CD could not sync ${revision.slice(0, 7)}: ${op.message}`,
          );
        const synced =
          a.sync?.revision === revision && a.sync?.status === 'Synced';
        const health = a.health?.status ?? 'Unknown';
        const why = (a.resources ?? []).find(
          r => r.health?.status === health && r.health?.message,
        );
        if (synced && health === 'Healthy') return { done: true };
        // Why its pods do not run, as Argo CD's resource tree says it.
        const pods = synced ? await this.podTrouble(argo, ctx.stackId) : '';
        if (synced && health === 'Degraded')
          throw new InputError(
            `resources.${
              ctx.name
            }: Argo CD reports the app Degraded at ${revision.slice(0, 7)}: ${
              why?.kind ?? ''
            } ${why?.name ?? ''}: ${
              why?.health?.message ?? 'no reason given'
            }${pods}. If its image does not pull, push it to a registry the cluster's nodes reach, or deploy the platform's starter image`,
          );
        return {
          state: `Argo CD: ${a.sync?.status ?? 'Unknown'}, ${health}${
            why ? `: ${why.health!.message}` : ''
          }${pods}`,
        };
      },
    );
  }

  /**
   * What Argo CD's resource tree says of the app's pods that are not healthy (`; pod x:
   * Degraded: secret "y" not found`), or nothing.
   */
  private async podTrouble(argo: ArgoCdClient, name: string): Promise<string> {
    const pods = (await argo.resourceTree(name)).filter(
      n => n.kind === 'Pod' && n.health && n.health.status !== 'Healthy',
    );
    const worst = pods.find(p => p.health!.status === 'Degraded') ?? pods[0];
    if (!worst) return '';
    const reason = worst.info?.find(i => i.name === 'Status Reason')?.value;
    return `; pod ${worst.name}${
      pods.length > 1 ? ` (and ${pods.length - 1} more)` : ''
    }: ${worst.health!.status}${
      worst.health!.message ? `: ${worst.health!.message}` : ''
    }${reason && !worst.health!.message ? ` (${reason})` : ''}`;
  }

  /**
   * Lets Argo CD's role into the stack's cluster: its access entry there, with the cluster admin
   * policy (it creates the app's namespace). Both are idempotent; the cluster's deletion takes them.
   */
  private async grantAccess(ctx: ResourceContext, roleArn: string) {
    const eks = await this.options.eks(ctx);
    await eks
      .send(
        new CreateAccessEntryCommand({
          clusterName: ctx.stackId,
          principalArn: roleArn,
          tags: stackTags(ctx),
        }),
      )
      .catch(e => {
        if ((e as Error).name !== 'ResourceInUseException') throw e;
      });
    await eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: ctx.stackId,
        principalArn: roleArn,
        policyArn: ARGOCD_ACCESS_POLICY,
        accessScope: { type: 'cluster' },
      }),
    );
  }

  async exists(ctx: Ctx): Promise<boolean> {
    const a = (
      await (await this.options.argoCd(ctx)).client.application(ctx.stackId)
    )?.status;
    return a?.sync?.status === 'Synced' && a?.health?.status === 'Healthy';
  }

  /**
   * Returns the app to what git held at `revision` (a commit Argo CD synced it at, by its history:
   * a full sha or a prefix of at least 7): that file is committed again as the newest revision, so
   * git stays what runs and Argo CD's automated sync applies it, and followed until healthy. The
   * Application must be this stack's and owner's.
   */
  async rollback(ctx: Ctx, revision: string): Promise<OutputsOf<typeof app>> {
    const { client: argo } = await this.options.argoCd(ctx);
    const existing = await argo.application(ctx.stackId);
    if (!existing)
      throw new InputError(
        `Stack ${ctx.stackId} has no app delivered through git (no Argo CD application ${ctx.stackId}): there is nothing to roll back`,
      );
    adopt(
      ctx,
      `Argo CD application ${ctx.stackId}`,
      ownershipOf(existing.metadata.annotations),
    );
    const history = existing.status?.history ?? [];
    const wanted = revision.trim().toLowerCase();
    const target =
      /^[0-9a-f]{7,40}$/.test(wanted) &&
      history.find(h => h.revision.startsWith(wanted));
    if (!target)
      throw new InputError(
        `revision: "${revision}" is not a revision Argo CD delivered ${
          ctx.stackId
        } at; pick one of its history: ${
          history
            .map(
              h => `${h.revision.slice(0, 7)} (${h.deployedAt ?? 'unknown'})`,
            )
            .reverse()
            .join(', ') || 'none yet'
        }`,
      );
    const path = `${pathOf(ctx)}/app.yaml`;
    const content = await this.options.repository.read(path, target.revision);
    if (content === undefined)
      throw new InputError(
        `revision: ${target.revision.slice(
          0,
          7,
        )} holds no ${path} to return to`,
      );
    const head = await this.deliver(
      ctx,
      path,
      content,
      `${ctx.stackId}: roll back to ${target.revision.slice(0, 7)} (run ${
        ctx.runId
      })`,
    );
    await this.follow(ctx, argo, head);
    return { namespace: ctx.stackId, revision: head };
  }

  /**
   * Deletes the stack's Application (and with it what it deployed) when the removal may, and its
   * file from the GitOps repository. The namespace Argo CD created stays until the cluster goes.
   */
  async destroy(ctx: ResourceContext): Promise<RemovalResult> {
    const { client: argo } = await this.options.argoCd(ctx);
    const existing = await argo.application(ctx.stackId);
    if (existing) {
      const reason = keepReason(
        ownershipOf(existing.metadata.annotations),
        ctx,
      );
      if (reason)
        return { kept: [`Argo CD application ${ctx.stackId}: ${reason}`] };
      await argo.deleteApplication(ctx.stackId);
    }
    // The Application is gone: the file's removal need not wait for its review.
    const removed = await this.options.repository.write(
      `${pathOf(ctx)}/app.yaml`,
      undefined,
      `${ctx.stackId}: removed (run ${ctx.runId})`,
      changeBranch(ctx),
    );
    if ('pullRequest' in removed)
      ctx.progress(
        `${pathOf(
          ctx,
        )}/app.yaml: its removal waits for review in pull request #${
          removed.pullRequest.number
        } (${removed.pullRequest.url})`,
      );
    return removePodSecrets(ctx, await this.options.eks(ctx), ctx.spec.name);
  }
}
