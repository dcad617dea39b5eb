import {
  coreExtensionData,
  createExtensionInput,
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { ANNOTATION_STACK_REF } from '@konductor/plugin-provisioning-common';
import { RiRocket2Line } from '@remixicon/react';
import { provisioningApi } from './api';
import { rootRouteRef } from './routes';
import { provisioningFormFields } from './fields';
import { stackKeyOf } from './components/entityStack';

/**
 * `/provisioning`: the runs list and each run's live page. Its `approvals` input takes sections
 * other plugins add to the Approvals inbox, below the runs that wait (compliance's exemption
 * requests).
 */
const provisioningPage = PageBlueprint.makeWithOverrides({
  inputs: {
    approvals: createExtensionInput([coreExtensionData.reactElement]),
  },
  factory(originalFactory, { inputs }) {
    const approvalSections = inputs.approvals.map(section =>
      section.get(coreExtensionData.reactElement),
    );
    return originalFactory({
      path: '/provisioning',
      routeRef: rootRouteRef,
      loader: () =>
        import('./components/RunsPage').then(m => (
          <m.ProvisioningPage approvalSections={approvalSections} />
        )),
    });
  },
});

/** The "Provisioning" tab of components, resources, systems, templates and service definitions. */
const entityRunsContent = EntityContentBlueprint.make({
  params: {
    path: 'provisioning',
    title: 'Provisioning',
    filter: entity =>
      [
        'component',
        'resource',
        'system',
        'template',
        'servicedefinition',
      ].includes(entity.kind.toLowerCase()),
    loader: () =>
      import('./components/EntityRunsContent').then(m => (
        <m.EntityRunsContent />
      )),
  },
});

/** The "Offering" tab of service definitions: plan and cost of its defaults, its form with Try it, its spec. */
const entityOfferingContent = EntityContentBlueprint.make({
  name: 'offering',
  params: {
    path: 'offering',
    title: 'Offering',
    filter: entity => entity.kind.toLowerCase() === 'servicedefinition',
    loader: () =>
      import('./components/EntityOfferingContent').then(m => (
        <m.EntityOfferingContent />
      )),
  },
});

/** A component's delivery through Argo CD, on its overview, when it names its stack. */
const entityDeliveryCard = EntityCardBlueprint.make({
  name: 'delivery',
  params: {
    filter: entity =>
      entity.kind.toLowerCase() === 'component' &&
      !!entity.metadata.annotations?.[ANNOTATION_STACK_REF],
    loader: () =>
      import('./components/EntityDeliveryCard').then(m => (
        <m.EntityDeliveryCard />
      )),
  },
});

/** The stack's desired state, version by version, on its System's overview. */
const entityStackHistoryCard = EntityCardBlueprint.make({
  name: 'stack-history',
  params: {
    filter: entity =>
      entity.kind.toLowerCase() === 'system' && !!stackKeyOf(entity),
    loader: () =>
      import('./components/EntityStackHistoryCard').then(m => (
        <m.EntityStackHistoryCard />
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
    entityOfferingContent,
    entityDeliveryCard,
    entityStackHistoryCard,
    ...provisioningFormFields,
  ],
});
