import {
  ApiBlueprint,
  coreApis,
  createApiRef,
} from '@backstage/frontend-plugin-api';
import { ComplianceClient } from '@konductor/plugin-compliance-common';

/** The compliance backend's client, as a frontend API. */
export const complianceApiRef = createApiRef<ComplianceClient>().with({
  id: 'plugin.compliance.client',
});

/** Provides {@link complianceApiRef} with the signed-in user's fetch. */
export const complianceApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: complianceApiRef,
      deps: { discoveryApi: coreApis.discovery, fetchApi: coreApis.fetch },
      factory: ({ discoveryApi, fetchApi }) =>
        new ComplianceClient({
          discovery: discoveryApi,
          fetch: fetchApi.fetch,
        }),
    }),
});
