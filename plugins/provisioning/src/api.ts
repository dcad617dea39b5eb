import {
  createApiRef,
  discoveryApiRef,
  fetchApiRef,
  ApiBlueprint,
} from '@backstage/frontend-plugin-api';
import { ProvisioningClient } from '@konductor/plugin-provisioning-common';

/** The provisioning backend's client, as a frontend API. */
export const provisioningApiRef = createApiRef<ProvisioningClient>({
  id: 'plugin.provisioning.client',
});

/** Provides {@link provisioningApiRef} with the signed-in user's fetch. */
export const provisioningApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: provisioningApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ProvisioningClient({
          discovery: discoveryApi,
          fetch: fetchApi.fetch,
        }),
    }),
});
