/*
 * Konductor's backend: Backstage's new backend system with the plugins the portal uses.
 * Konductor's own plugins and modules are added here as they land (see ARCHITECTURE.md).
 */
import { createBackend } from '@backstage/backend-defaults';
import { auditorServiceFactory } from '@konductor/plugin-audit-backend';
import { cachedPermissionsServiceFactory } from '@konductor/plugin-permission-backend-module-konductor';

const backend = createBackend();

// Audit: every plugin's auditor events are logged, as Backstage's auditor does, and those that
// change something are kept in the audit trail, which admins read on the Audit page.
backend.add(auditorServiceFactory);
backend.add(import('@konductor/plugin-audit-backend'));

// Serves the built frontend in production.
backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// Sign-in: GitHub OAuth (production, and the sandbox's GitHub in the embedded setup), guest in
// the embedded setup. Every sign-in resolves to a User entity of the catalog.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// Catalog, with Template entities for the scaffolder.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// Users and groups from the GitHub organisation (catalog.providers.githubOrg).
backend.add(import('@backstage/plugin-catalog-backend-module-github-org'));
// Konductor's ServiceDefinition kind, and the Template generated from each definition.
backend.add(import('@konductor/plugin-catalog-backend-module-konductor'));

// Scaffolder.
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
// Task recovery's workspace store (scaffolder.taskRecovery.workspaceProvider: database).
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-workspace-database'),
);
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
// Konductor's actions: konductor:stack:*, konductor:compliance:check, konductor:github:repo:provision,
// konductor:jira:issue:create.
backend.add(import('@konductor/plugin-scaffolder-backend-module-konductor'));
// Resource kinds beyond the built-in ones, each a module of the scaffolder.
backend.add(import('@konductor/plugin-scaffolder-backend-module-konductor-s3'));
backend.add(
  import('@konductor/plugin-scaffolder-backend-module-konductor-redis'),
);
backend.add(
  import('@konductor/plugin-scaffolder-backend-module-konductor-domain'),
);
// Konductor's provisioning runs: every run's graph and event log, with live updates.
backend.add(import('@konductor/plugin-provisioning-backend'));
// Compliance: every entity evaluated against NIST SP 800-53 checks, on a schedule and on change.
backend.add(import('@konductor/plugin-compliance-backend'));

// Permissions: Konductor's policy (platform admins, stack owners, everyone else; konductor.permissions).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@konductor/plugin-permission-backend-module-konductor'));
// Each plugin reuses a decision about the same caller for a few seconds instead of asking the
// permission backend over HTTP again (konductor.permissions.decisionCacheSeconds).
backend.add(cachedPermissionsServiceFactory);

// Search; the pg engine registers only on PostgreSQL, Lunr serves SQLite.
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

backend.add(import('@backstage/plugin-techdocs-backend'));
backend.add(import('@backstage/plugin-kubernetes-backend'));
// Clusters whose API endpoint is private: the Kubernetes tab reads them through Argo CD.
backend.add(import('@konductor/plugin-kubernetes-backend-module-konductor'));
backend.add(import('@backstage/plugin-user-settings-backend'));

// Events bus (fans events out across replicas), signals (live push) and notifications.
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));

backend.add(import('@backstage/plugin-mcp-actions-backend'));

backend.start();
