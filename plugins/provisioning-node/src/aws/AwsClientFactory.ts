import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { CALL_TIMEOUT_MS } from '../timeouts';
import { BackoffRetryStrategy } from './retry';

/** Retries of throttling, transient and 5xx errors. */
export interface AwsRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** How {@link AwsClientFactory} reaches AWS. */
export interface AwsClientFactoryOptions {
  /** SDK credentials for an account. */
  credentials(accountId: string): Promise<AwsCredentialIdentityProvider>;
  /** Endpoint override for every AWS client (the sandbox); unset for real AWS. */
  endpoint?: string;
  /** How long one call may take (then it is retried as transient); default 30 s. */
  callTimeoutMs?: number;
  /** Default 8 attempts, 200 ms base, 20 s cap. */
  retry?: AwsRetry;
}

const DEFAULT_RETRY: AwsRetry = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
};

/**
 * The AWS SDK clients every Konductor plugin and module uses (the provider, the compliance fact
 * sources, the EKS catalog provider): credentials per account, the endpoint override, a timeout on
 * every call, Konductor's retries, and cancellation by an abort signal.
 */
export class AwsClientFactory {
  private readonly clients = new Map<string, any>();

  /**
   * From config: credentials from the `aws` section (`@backstage/integration-aws-node`: static
   * keys, profiles or assumed roles) and the `konductor.aws.endpoint` override.
   */
  static fromConfig(config: Config): AwsClientFactory {
    const credentials = DefaultAwsCredentialsManager.fromConfig(config);
    return new AwsClientFactory({
      credentials: async accountId =>
        (await credentials.getCredentialProvider({ accountId }))
          .sdkCredentialProvider,
      endpoint: config.getOptionalString('konductor.aws.endpoint'),
    });
  }

  constructor(private readonly options: AwsClientFactoryOptions) {}

  get retry(): AwsRetry {
    return this.options.retry ?? DEFAULT_RETRY;
  }

  get callTimeoutMs(): number {
    return this.options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  }

  credentials(accountId: string): Promise<AwsCredentialIdentityProvider> {
    return this.options.credentials(accountId);
  }

  /**
   * An SDK client of `Client` for an account and region (one per combination, reused). With a
   * `signal`, aborting it aborts the call in flight too; `maxAttempts` lowers the retries, for
   * readers that would rather report a failure than wait.
   */
  async client<T>(
    Client: new (config: any) => T,
    where: { accountId: string; region: string },
    options: { signal?: AbortSignal; maxAttempts?: number } = {},
  ): Promise<T> {
    const { accountId, region } = where;
    const maxAttempts = options.maxAttempts ?? this.retry.maxAttempts;
    const key = `${Client.name}/${accountId}/${region}/${maxAttempts}`;
    if (!this.clients.has(key)) {
      this.clients.set(
        key,
        new Client({
          region,
          endpoint: this.options.endpoint,
          // One host stands for every service behind an endpoint override (the sandbox): S3
          // addresses buckets in the path there. Other clients ignore the setting.
          forcePathStyle: this.options.endpoint ? true : undefined,
          credentials: await this.options.credentials(accountId),
          // A call without an answer is abandoned (and retried as transient), never awaited forever.
          requestHandler: {
            connectionTimeout: 5_000,
            requestTimeout: this.callTimeoutMs,
            throwOnRequestTimeout: true,
          },
          retryStrategy: new BackoffRetryStrategy({
            ...this.retry,
            maxAttempts,
          }),
        }),
      );
    }
    const client = this.clients.get(key);
    const signal = options.signal;
    if (!signal) return client;
    return new Proxy(client, {
      get: (target, prop) =>
        prop === 'send'
          ? (command: unknown, sendOptions?: object) =>
              target.send(command, { abortSignal: signal, ...sendOptions })
          : Reflect.get(target, prop),
    });
  }
}

/** The {@link AwsClientFactory} service, built from config; tests and deployments may replace it. */
export const awsClientFactoryServiceRef = createServiceRef<AwsClientFactory>({
  id: 'konductor.aws.clients',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { config: coreServices.rootConfig },
      factory: ({ config }) => AwsClientFactory.fromConfig(config),
    }),
});
