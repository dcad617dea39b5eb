import {
  coreServices,
  createServiceFactory,
  type BackstageCredentials,
  type PermissionsService,
  type PermissionsServiceRequestOptions,
} from '@backstage/backend-plugin-api';
import type {
  AuthorizePermissionRequest,
  AuthorizePermissionResponse,
  QueryPermissionRequest,
  QueryPermissionResponse,
} from '@backstage/plugin-permission-common';
import { ServerPermissionClient } from '@backstage/plugin-permission-node';

/** How long a decision is reused unless `konductor.permissions.decisionCacheSeconds` says. */
export const DEFAULT_DECISION_CACHE_SECONDS = 5;
const MAX_ENTRIES = 10_000;

/** When the caller's token expires; credentials restored from JSON (a scaffolder task's) hold a string. */
function expiry(credentials: BackstageCredentials): number | '' {
  const at: Date | string | undefined = credentials.expiresAt;
  return at ? new Date(at).getTime() : '';
}

/**
 * Who asks, as far as Konductor's policy can tell: a user's decisions depend only on the claims
 * of their token (fixed for its life, and a refreshed token has a new expiry), a service's on its
 * subject and access restrictions.
 */
function principalKey(credentials: BackstageCredentials): string {
  const { principal } = credentials as BackstageCredentials<any>;
  switch (principal.type) {
    case 'user':
      return `user:${principal.userEntityRef}:${
        principal.actor?.subject ?? ''
      }:${expiry(credentials)}`;
    case 'service':
      return `service:${principal.subject}:${JSON.stringify(
        principal.accessRestrictions ?? null,
      )}`;
    default:
      return 'none';
  }
}

/**
 * A PermissionsService that reuses a decision for a few seconds instead of asking the
 * permission backend over HTTP again (the caller-side cache Backstage's maintainers have drafted
 * for `backend-defaults`). Only decisions that depend on nothing but the caller and the
 * permission are reused: `authorizeConditional` (conditions are applied to the resources by the
 * caller, fresh every time) and `authorize` without a resource. A request about one resource is
 * always asked, since its answer depends on the resource as it is now. Concurrent identical
 * requests share one answer; a failure is never kept.
 */
export class CachedPermissionsService implements PermissionsService {
  private readonly entries = new Map<
    string,
    { expiresAt: number; answer: Promise<unknown[]> }
  >();

  constructor(
    private readonly delegate: PermissionsService,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  authorize(
    requests: AuthorizePermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<AuthorizePermissionResponse[]> {
    if (requests.some(r => r.resourceRef !== undefined))
      return this.delegate.authorize(requests, options);
    return this.reuse('authorize', requests, options, () =>
      this.delegate.authorize(requests, options),
    );
  }

  authorizeConditional(
    requests: QueryPermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<QueryPermissionResponse[]> {
    return this.reuse('authorizeConditional', requests, options, () =>
      this.delegate.authorizeConditional(requests, options),
    );
  }

  private async reuse<T>(
    method: string,
    requests: Array<{ permission: unknown }>,
    options: PermissionsServiceRequestOptions,
    ask: () => Promise<T[]>,
  ): Promise<T[]> {
    const key = `${method}|${principalKey(
      options.credentials,
    )}|${JSON.stringify(requests.map(r => r.permission))}`;
    const now = this.now();
    let entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= now) {
      this.evict(now);
      const answer: Promise<unknown[]> = ask();
      entry = { expiresAt: now + this.ttlMs, answer };
      this.entries.set(key, entry);
      answer.catch(() => {
        if (this.entries.get(key)?.answer === answer) this.entries.delete(key);
      });
    }
    // Each caller gets its own copy: none can change what another is answered.
    return structuredClone(await entry.answer) as T[];
  }

  /** Keeps the map bounded: expired entries go, then the oldest if it is still full. */
  private evict(now: number) {
    if (this.entries.size < MAX_ENTRIES) return;
    for (const [key, entry] of this.entries)
      if (entry.expiresAt <= now) this.entries.delete(key);
    while (this.entries.size >= MAX_ENTRIES)
      this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * The permissions service of every plugin, with decisions reused for
 * `konductor.permissions.decisionCacheSeconds` (default 5; 0 asks every time). Sound for
 * Konductor's policy, which decides from the caller's token claims and config alone.
 */
export const cachedPermissionsServiceFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {
    auth: coreServices.auth,
    config: coreServices.rootConfig,
    discovery: coreServices.discovery,
  },
  async factory({ auth, config, discovery }) {
    const client = ServerPermissionClient.fromConfig(config, {
      auth,
      discovery,
    });
    const seconds =
      config.getOptionalNumber('konductor.permissions.decisionCacheSeconds') ??
      DEFAULT_DECISION_CACHE_SECONDS;
    return seconds > 0
      ? new CachedPermissionsService(client, seconds * 1000)
      : client;
  },
});
