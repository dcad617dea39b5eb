import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { ResourceContext } from '../provider';
import { waitFor } from '../waitFor';
import { CALL_TIMEOUT_MS } from '../timeouts';
import { BackoffRetryStrategy } from './retry';

/** How the AWS provider reaches AWS. */
export interface AwsProviderOptions {
  /** SDK credentials for an account (from `@backstage/integration-aws-node` in the module). */
  credentials(accountId: string): Promise<AwsCredentialIdentityProvider>;
  /** Endpoint override for every AWS client (the sandbox); unset for real AWS. */
  endpoint?: string;
  /** Interval between status polls of long operations; default 10 s. */
  pollIntervalMs?: number;
  /** How long one AWS or Kubernetes call may take (then it is retried); default 30 s. */
  callTimeoutMs?: number;
  /** Retries of throttling and 5xx errors; default 8 attempts, 200 ms base, 20 s cap. */
  retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** IAM role of EKS clusters; default `arn:aws:iam::<account>:role/konductor-eks-cluster`. */
  clusterRoleArn?(accountId: string): string;
  /** IAM role of EKS nodes; default `arn:aws:iam::<account>:role/konductor-eks-node`. */
  nodeRoleArn?(accountId: string): string;
  /** KMS key for EKS secrets encryption; default the `alias/konductor-eks` of the account. */
  kmsKeyArn?(accountId: string, region: string): string;
  /** Lambda that rotates secrets, when rotation is asked for. */
  rotationLambdaArn?(accountId: string, region: string): string | undefined;
  /** DNS domain under which apps get their host name; default `apps.konductor.local`. */
  appDomain?: string;
}

export const DEFAULT_RETRY = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
};

/**
 * What every AWS resource handler shares: SDK clients per account and region with Konductor's
 * timeouts and retries, and the waiter of long operations.
 */
export class AwsClients {
  private readonly clients = new Map<string, any>();

  constructor(readonly options: AwsProviderOptions) {}

  /** An SDK client of `Client` for the stack's account and region, with Konductor's retries. */
  async client<T>(
    Client: new (config: any) => T,
    ctx: ResourceContext,
  ): Promise<T> {
    const { accountId, region } = ctx.spec.aws;
    const key = `${Client.name}/${accountId}/${region}`;
    if (!this.clients.has(key)) {
      this.clients.set(
        key,
        new Client({
          region,
          endpoint: this.options.endpoint,
          credentials: await this.options.credentials(accountId),
          // A call without an answer is abandoned (and retried as transient), never awaited forever.
          requestHandler: {
            connectionTimeout: 5_000,
            requestTimeout: this.options.callTimeoutMs ?? CALL_TIMEOUT_MS,
            throwOnRequestTimeout: true,
          },
          retryStrategy: new BackoffRetryStrategy(
            this.options.retry ?? DEFAULT_RETRY,
          ),
        }),
      );
    }
    const client = this.clients.get(key);
    // Cancelling a run aborts the call in flight too, not only the next one. (Rollback runs with
    // a signal of its own.)
    return new Proxy(client, {
      get: (target, prop) =>
        prop === 'send'
          ? (command: unknown, options?: object) =>
              target.send(command, { abortSignal: ctx.signal, ...options })
          : Reflect.get(target, prop),
    });
  }

  /** Polls `probe` until it is done, reporting each state, within the resource's deadline. */
  wait<T>(
    ctx: ResourceContext,
    what: string,
    probe: () => Promise<{ done: T } | { state: string }>,
  ) {
    return waitFor({
      what,
      probe,
      intervalMs: this.options.pollIntervalMs ?? 10_000,
      deadline: ctx.deadline,
      signal: ctx.signal,
      progress: ctx.progress,
    });
  }
}
