import type { GitOpsDelivery } from '../delivery/gitops';
import type { ResourceContext } from '../provider';
import { waitForResource } from '../waitFor';
import type { AwsClientFactory } from './AwsClientFactory';

/** How the AWS provider reaches AWS and what it creates there. */
export interface AwsProviderOptions {
  /** The AWS clients (the `awsClientFactoryServiceRef` service in a backend). */
  clients: AwsClientFactory;
  /** Interval between status polls of long operations; default 10 s. */
  pollIntervalMs?: number;
  /** IAM role of EKS clusters; default `arn:aws:iam::<account>:role/konductor-eks-cluster`. */
  clusterRoleArn?(accountId: string): string;
  /** IAM role of EKS nodes; default `arn:aws:iam::<account>:role/konductor-eks-node`. */
  nodeRoleArn?(accountId: string): string;
  /**
   * Where a public cluster endpoint takes calls from (the portal's egress); default anywhere.
   */
  clusterPublicAccessCidrs?: string[];
  /** KMS key for EKS secrets encryption; default the `alias/konductor-eks` of the account. */
  kmsKeyArn?(accountId: string, region: string): string;
  /**
   * The Lambda function that rotates generated secrets (`secrets.rotationDays`); none: a stack
   * asking for their rotation is refused. Database passwords are rotated by RDS itself.
   */
  rotationLambdaArn?(accountId: string, region: string): string | undefined;
  /**
   * How long an app's pods may fail to pull their image (ImagePullBackOff) before its run fails:
   * long enough for a CI that is still pushing it; default 2 minutes.
   */
  imagePullGraceMs?: number;
  /** DNS domain under which apps get their host name; default `apps.konductor.local`. */
  appDomain?: string;
  /**
   * Apps delivered through git and the platform's Argo CD (which reaches private clusters);
   * without it, the portal applies them through each cluster's API.
   */
  gitops?: GitOpsDelivery;
}

/** The DNS domain under which apps get their host name when none is configured. */
export const DEFAULT_APP_DOMAIN = 'apps.konductor.local';

/**
 * What every AWS resource handler shares: the stack's SDK clients (from the provider's
 * {@link AwsClientFactory}) and the waiter of long operations.
 */
export class AwsClients {
  constructor(readonly options: AwsProviderOptions) {}

  /** An SDK client for the stack's account and region; cancelling the run aborts its calls. */
  client<T>(Client: new (config: any) => T, ctx: ResourceContext): Promise<T> {
    return this.options.clients.client(Client, ctx.spec.target, {
      signal: ctx.signal,
    });
  }

  /**
   * The host name the stack's app gets on its cluster's ingress, `<stackId>.<appDomain>`, which
   * the platform's wildcard record sends to the ingress's load balancer.
   */
  appHost(ctx: ResourceContext) {
    return `${ctx.stackId}.${this.options.appDomain ?? DEFAULT_APP_DOMAIN}`;
  }

  /** Polls `probe` until it is done, reporting each state, within the resource's deadline. */
  wait<T>(
    ctx: ResourceContext,
    what: string,
    probe: () => Promise<{ done: T } | { state: string }>,
  ) {
    return waitForResource(
      ctx,
      this.options.pollIntervalMs ?? 10_000,
      what,
      probe,
    );
  }
}
