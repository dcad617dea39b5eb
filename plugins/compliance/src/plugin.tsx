import {
  coreExtensionData,
  createExtension,
  createFrontendPlugin,
  ExtensionBoundary,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { RiShieldCheckLine } from '@remixicon/react';
import {
  FormFieldBlueprint,
  createFormField,
} from '@backstage/plugin-scaffolder-react/alpha';
import { complianceApi } from './api';
import { rootRouteRef } from './routes';

const EVALUATED = ['component', 'api', 'resource', 'system'];
const evaluated = (entity: { kind: string }) =>
  EVALUATED.includes(entity.kind.toLowerCase());

/** `/compliance`: the posture of everything in the catalog. */
const compliancePage = PageBlueprint.make({
  params: {
    path: '/compliance',
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/CompliancePage').then(m => <m.CompliancePage />),
  },
});

/** The compliance card on the overview of evaluated entities. */
const entityComplianceCard = EntityCardBlueprint.make({
  params: {
    filter: evaluated,
    loader: () =>
      import('./components/EntityComplianceCard').then(m => (
        <m.EntityComplianceCard />
      )),
  },
});

/** The "Compliance" tab: every check with evidence and history. */
const entityComplianceContent = EntityContentBlueprint.make({
  params: {
    path: 'compliance',
    title: 'Compliance',
    filter: evaluated,
    loader: () =>
      import('./components/EntityComplianceContent').then(m => (
        <m.EntityComplianceContent />
      )),
  },
});

/**
 * The exemption requests that wait for the user, in the Approvals inbox of the provisioning page
 * (its `approvals` input): approved there by someone who did not ask, like a waiting run.
 */
const exemptionRequestsApprovals = createExtension({
  name: 'exemption-requests',
  attachTo: { id: 'page:provisioning', input: 'approvals' },
  output: [coreExtensionData.reactElement],
  factory: ({ node }) => [
    coreExtensionData.reactElement(
      ExtensionBoundary.lazy(node, () =>
        import('./components/ExemptionsList').then(m => (
          <m.ExemptionsList waiting />
        )),
      ),
    ),
  ],
});

/** `KonductorComplianceLevel`: the scaffolder form field choosing a stack's level. */
const complianceLevelField = FormFieldBlueprint.make({
  name: 'compliance-level',
  params: {
    field: () =>
      import('./fields/ComplianceLevelField').then(m =>
        createFormField({
          name: 'KonductorComplianceLevel',
          component: m.ComplianceLevelField,
          validation: m.validateComplianceLevel,
        }),
      ),
  },
});

/** Konductor's compliance in the browser. */
export const compliancePlugin = createFrontendPlugin({
  pluginId: 'compliance',
  title: 'Compliance',
  icon: <RiShieldCheckLine />,
  routes: { root: rootRouteRef },
  extensions: [
    complianceApi,
    compliancePage,
    entityComplianceCard,
    entityComplianceContent,
    complianceLevelField,
    exemptionRequestsApprovals,
  ],
});
