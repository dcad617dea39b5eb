import {
  coreApis,
  createApiRef,
  ApiBlueprint,
} from '@backstage/frontend-plugin-api';
import { ProvisioningClient } from '@konductor/plugin-provisioning-common';

/** The provisioning backend's client, as a frontend API. */
export const provisioningApiRef = createApiRef<ProvisioningClient>().with({
  id: 'plugin.provisioning.client',
});

/** Provides {@link provisioningApiRef} with the signed-in user's fetch. */
export const provisioningApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: provisioningApiRef,
      deps: { discoveryApi: coreApis.discovery, fetchApi: coreApis.fetch },
      factory: ({ discoveryApi, fetchApi }) =>
        new ProvisioningClient({
          discovery: discoveryApi,
          fetch: fetchApi.fetch,
        }),
    }),
});
