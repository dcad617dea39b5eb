import {
  coreServices,
  createBackendPlugin,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import {
  ScmIntegrations,
  DefaultGithubCredentialsProvider,
} from '@backstage/integration';
import { awsClientFactoryServiceRef } from '@konductor/plugin-provisioning-node';
import {
  complianceChecksExtensionPoint,
  complianceFactSourcesExtensionPoint,
  FactSource,
} from '@konductor/plugin-compliance-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  DRIFT_REPORTED_TOPIC,
  type DriftScanRequest,
} from '@konductor/plugin-provisioning-common';
import {
  CHECKS,
  ComplianceCheck,
  Level,
  compliancePermissions,
} from '@konductor/plugin-compliance-common';
import { Octokit } from '@octokit/rest';
import { createRouter } from './router';
import { CatalogSync } from './service/CatalogSync';
import { ComplianceStore } from './service/ComplianceStore';
import { Evaluator } from './service/Evaluator';
import {
  awsFacts,
  driftFacts,
  catalogFacts,
  githubFacts,
  techdocsFacts,
} from './service/factSources';

const quiet = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/**
 * The compliance backend: evaluates every catalog entity against Konductor's checks on a schedule
 * (replicas share the work through SchedulerService) and when entities change, and serves the
 * results, history and exemptions.
 */
export const compliancePlugin = createBackendPlugin({
  pluginId: 'compliance',
  register(env) {
    // Fact sources added by modules (another cloud, another code host), read beside our own.
    const addedSources: FactSource[] = [];
    env.registerExtensionPoint(complianceFactSourcesExtensionPoint, {
      addFactSource: (...sources) => addedSources.push(...sources),
    });
    // Checks added by modules (those of the resource kinds they add), run beside our own.
    const checks: ComplianceCheck[] = [...CHECKS];
    env.registerExtensionPoint(complianceChecksExtensionPoint, {
      addChecks: (...added) => {
        for (const check of added) {
          if (checks.some(c => c.id === check.id))
            throw new Error(
              `A compliance check with id '${check.id}' is already registered`,
            );
          checks.push(check);
        }
      },
    });
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        database: coreServices.database,
        logger: coreServices.logger,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        scheduler: coreServices.scheduler,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        discovery: coreServices.discovery,
        catalog: catalogServiceRef,
        awsClients: awsClientFactoryServiceRef,
        events: eventsServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const { config, scheduler, logger } = deps;
        deps.permissionsRegistry.addPermissions(compliancePermissions);
        const store = await ComplianceStore.create(deps.database, checks);

        const integrations = ScmIntegrations.fromConfig(config);
        const github =
          DefaultGithubCredentialsProvider.fromIntegrations(integrations);
        const evaluator = new Evaluator({
          store,
          checks,
          defaultLevel: (config.getOptionalString(
            'konductor.compliance.defaultLevel',
          ) ?? 'moderate') as Level,
          sources: [
            catalogFacts,
            techdocsFacts({ discovery: deps.discovery, auth: deps.auth }),
            driftFacts({ discovery: deps.discovery, auth: deps.auth }),
            ...awsFacts(deps.awsClients),
            githubFacts({
              octokit: async (slug, host) => {
                const integration = integrations.github.byHost(host);
                if (!integration)
                  throw new Error(
                    `No GitHub integration for ${host} is configured`,
                  );
                const { token } = await github.getCredentials({
                  url: `https://${host}/${slug}`,
                });
                return new Octokit({
                  auth: token,
                  baseUrl: integration.config.apiBaseUrl,
                  // Absent settings answer 404: expected, and reported as facts.
                  log: quiet,
                });
              },
            }),
            ...addedSources,
          ],
        });
        const sync = new CatalogSync({
          catalog: deps.catalog,
          auth: deps.auth,
          evaluator,
          store,
          logger,
        });
        const schedule = (key: string, fallback: object) => {
          const path = `konductor.compliance.${key}`;
          return config.has(path)
            ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
                config.getConfig(path),
              )
            : fallback;
        };
        await scheduler.scheduleTask({
          id: 'konductor-compliance-full',
          ...(schedule('schedule', {
            frequency: { hours: 1 },
            timeout: { minutes: 30 },
            initialDelay: { seconds: 30 },
          }) as any),
          fn: () => sync.full(),
        });
        await scheduler.scheduleTask({
          id: 'konductor-compliance-changes',
          ...(schedule('changes', {
            frequency: { seconds: 30 },
            timeout: { minutes: 5 },
            initialDelay: { seconds: 20 },
          }) as any),
          fn: async () => void (await sync.changed()),
        });
        // A drift scan's findings are facts of the stack's resources: evaluated at once.
        await deps.events.subscribe({
          id: 'konductor-compliance-drift',
          topics: [DRIFT_REPORTED_TOPIC],
          onEvent: async ({ eventPayload }) => {
            const { stackId } = eventPayload as DriftScanRequest;
            await sync
              .stack(stackId)
              .catch(e =>
                logger.warn(
                  `Compliance: could not evaluate stack ${stackId} after its drift scan: ${
                    (e as Error).message
                  }`,
                ),
              );
          },
        });
        deps.httpRouter.use(
          await createRouter({
            store,
            evaluator,
            maxExemptionDays:
              config.getOptionalNumber(
                'konductor.compliance.exemptions.maxDays',
              ) ?? 90,
            ...deps,
          }),
        );
      },
    });
  },
});
