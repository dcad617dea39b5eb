// The Kubernetes API of an EKS cluster: its token, its kubeconfig, and API clients whose calls
// time out, stop with the task and are retried.

import * as k8s from '@kubernetes/client-node';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Cluster } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { sleep } from '../waitFor';
import { callSignal } from '../timeouts';
import type { AwsRetry as Retry } from './AwsClientFactory';

/**
 * The bearer token EKS accepts: a presigned STS GetCallerIdentity URL bound to the cluster name
 * (what `aws eks get-token` and aws-iam-authenticator produce).
 */
export async function eksToken(
  clusterName: string,
  region: string,
  credentials: AwsCredentialIdentityProvider,
): Promise<string> {
  const signer = new SignatureV4({
    credentials,
    region,
    service: 'sts',
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: `sts.${region}.amazonaws.com`,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: {
        host: `sts.${region}.amazonaws.com`,
        'x-k8s-aws-id': clusterName,
      },
    },
    { expiresIn: 60 },
  );
  const query = Object.entries(signed.query ?? {})
    .map(
      ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`,
    )
    .join('&');
  const url = `https://${signed.hostname}${signed.path}?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

/** The HTTP status of a Kubernetes client error. */
export const code = (e: unknown) => (e as { code?: number })?.code;

/** Runs a Kubernetes API call, retrying 429 and 5xx answers with exponential backoff and jitter. */
export async function withRetry<T>(
  call: () => Promise<T>,
  retry: Retry,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const status = code(e) ?? 0;
      const timedOut = (e as Error)?.name === 'TimeoutError';
      if (
        !(status === 429 || status >= 500 || timedOut) ||
        attempt >= retry.maxAttempts
      )
        throw e;
      await sleep(
        Math.random() *
          Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt),
        signal,
      );
    }
  }
}

/** A kubeconfig for an EKS cluster, authenticated with an EKS token. */
export async function eksKubeConfig(
  cluster: Cluster,
  region: string,
  credentials: AwsCredentialIdentityProvider,
) {
  const token = await eksToken(cluster.name!, region, credentials);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    // The endpoint's certificate is verified against the cluster's own CA.
    clusters: [
      {
        name: cluster.name!,
        server: cluster.endpoint!,
        caData: cluster.certificateAuthority?.data,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'konductor', token }],
    contexts: [
      { name: 'konductor', cluster: cluster.name!, user: 'konductor' },
    ],
    currentContext: 'konductor',
  });
  return kc;
}

/**
 * A call that found no API server at all explained: from the portal, a cluster's endpoint is out
 * of reach when it is private, or public with `publicAccessCidrs` that do not hold the portal's
 * address.
 */
function unreachable(e: unknown, server: string): unknown {
  if (!(e instanceof TypeError && /fetch failed/.test(e.message))) return e;
  return new Error(
    `The cluster's API endpoint ${server} did not answer the portal (${
      (e.cause as Error | undefined)?.message ?? e.message
    }): a private endpoint, or a public one whose publicAccessCidrs do not hold the portal's address (konductor.aws.clusterPublicAccessCidrs), is out of its reach. Deliver apps through git and Argo CD (konductor.apps.gitops), or open the endpoint to the portal`,
    { cause: e },
  );
}

/**
 * An API client whose every call has a timeout (and stops with the task) and is retried on
 * 429, 5xx and timeouts.
 */
export function kubernetesApi<T extends object>(
  kc: k8s.KubeConfig,
  Api: new (configuration: k8s.Configuration) => T,
  options: { retry: Retry; callTimeoutMs: number; signal?: AbortSignal },
): T {
  const { retry, callTimeoutMs, signal } = options;
  const api = new Api(
    k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(
        kc.getCurrentCluster()!.server,
        {},
      ),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async request => {
            request.setSignal(callSignal(signal, callTimeoutMs));
            return request;
          },
          post: async response => response,
        },
      ],
    }),
  );
  const server = kc.getCurrentCluster()!.server;
  return new Proxy(api, {
    get: (target, prop) => {
      const value = (target as any)[prop];
      return typeof value === 'function'
        ? (...args: unknown[]) =>
            withRetry(() => value.apply(target, args), retry, signal).catch(e =>
              Promise.reject(unreachable(e, server)),
            )
        : value;
    },
  });
}
