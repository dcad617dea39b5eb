import {
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { RiRocket2Line } from '@remixicon/react';
import { provisioningApi } from './api';
import { rootRouteRef } from './routes';
import { provisioningFormFields } from './fields';

/** `/provisioning`: the runs list and each run's live page. */
const provisioningPage = PageBlueprint.make({
  params: {
    path: '/provisioning',
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/RunsPage').then(m => <m.ProvisioningPage />),
  },
});

/** The "Provisioning" tab of components, resources, systems and templates. */
const entityRunsContent = EntityContentBlueprint.make({
  params: {
    path: 'provisioning',
    title: 'Provisioning',
    filter: entity =>
      ['component', 'resource', 'system', 'template'].includes(
        entity.kind.toLowerCase(),
      ),
    loader: () =>
      import('./components/EntityRunsContent').then(m => (
        <m.EntityRunsContent />
      )),
  },
});

/** Konductor's provisioning runs in the browser. */
export const provisioningPlugin = createFrontendPlugin({
  pluginId: 'provisioning',
  title: 'Provisioning',
  icon: <RiRocket2Line />,
  routes: { root: rootRouteRef },
  extensions: [
    provisioningApi,
    provisioningPage,
    entityRunsContent,
    ...provisioningFormFields,
  ],
});
