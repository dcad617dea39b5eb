import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { stackTargetOf } from '@konductor/plugin-provisioning-common';
import type { CloudProvider } from './provider';
import type { ResourceKindModule } from './resourceKinds';

/** A cloud provider a module adds: built once the backend starts, with every registered kind. */
export interface CloudProviderFactory {
  /** The provider's id, what a stack's `target.provider` names. */
  id: string;
  /** The provider, given every kind module registered (it takes those with a handler for it). */
  create(kinds: ResourceKindModule[]): CloudProvider;
}

/** Adds cloud providers to Konductor's stack actions. */
export interface ProvisioningCloudProvidersExtensionPoint {
  addCloudProvider(...providers: CloudProviderFactory[]): void;
}

/**
 * The extension point of Konductor's cloud providers, provided by its scaffolder module beside
 * AWS, the provider built in: a module of the scaffolder plugin adds another cloud with
 * `reg.registerInit({ deps: { providers: provisioningCloudProvidersExtensionPoint }, ... })`.
 */
export const provisioningCloudProvidersExtensionPoint =
  createExtensionPoint<ProvisioningCloudProvidersExtensionPoint>({
    id: 'konductor.cloud-providers',
  });

/** The cloud providers of this backend, by id: a stack goes to the one its target names. */
export class CloudProviders {
  private readonly byId = new Map<string, CloudProvider>();

  constructor(providers: CloudProvider[]) {
    if (!providers.length)
      throw new Error('Konductor needs at least one cloud provider');
    for (const provider of providers) {
      if (this.byId.has(provider.id))
        throw new Error(
          `The cloud provider '${provider.id}' is registered twice`,
        );
      this.byId.set(provider.id, provider);
    }
  }

  list(): CloudProvider[] {
    return [...this.byId.values()];
  }

  /** The provider called `id`; an InputError naming those there are when there is none. */
  get(id: string): CloudProvider {
    const provider = this.byId.get(id);
    if (!provider)
      throw new InputError(
        `target.provider: no cloud provider '${id}' is registered here: use ${[
          ...this.byId.keys(),
        ].join(' or ')}`,
      );
    return provider;
  }

  /**
   * The provider of a stack spec as written (`target.provider`, or the deprecated `aws` section);
   * the first registered when it names none, whose validation then reports the missing target.
   */
  of(input: unknown): CloudProvider {
    const provider = (stackTargetOf(input) as { provider?: unknown })?.provider;
    return typeof provider === 'string' ? this.get(provider) : this.list()[0];
  }
}
