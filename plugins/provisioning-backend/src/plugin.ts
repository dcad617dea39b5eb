import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  provisioningApprovalDecidePermission,
  provisioningApprovalReadPermission,
  provisioningApprovalWithdrawPermission,
  provisioningBudgetUpdatePermission,
  provisioningChangeWindowUpdatePermission,
  provisioningPermissions,
  RUN_FINISHED_TOPIC,
  type RunFinishedEvent,
  type TeamBudget,
} from '@konductor/plugin-provisioning-common';
import {
  provisioningApprovalPermissionResourceRef,
  provisioningApprovalPermissionRules,
  argoCdHubFromConfig,
  awsClientFactoryServiceRef,
  provisioningStackPermissionResourceRef,
  provisioningStackPermissionRules,
  stackPermissionResource,
  EntityNames,
} from '@konductor/plugin-provisioning-node';
import { createRouter } from './router';
import { StackInventoryStore } from './service/StackInventory';
import { provisioningDatabase } from './service/database';
import { RunStore } from './service/RunStore';
import { RunLog } from './service/RunLog';
import { RunReconciler } from './service/RunReconciler';
import { ScaffolderTasks } from './service/ScaffolderTasks';
import { StackStore } from './service/StackStore';
import { StackVersionStore } from './service/StackVersions';
import { StackDriftStore } from './service/StackDrift';
import { DriftScanRequests } from './service/DriftScanRequests';
import { StackAccess } from './service/StackAccess';
import { AppDeliveries } from './service/AppDeliveries';
import { StackExpiry } from './service/StackExpiry';
import { expiryPolicyFromConfig } from './service/expiryConfig';
import { TeamBudgets } from './service/TeamBudgets';
import { ChangeWindows } from './service/ChangeWindows';
import { budgetsFromConfig } from './service/budgetsConfig';
import { BudgetAlerts } from './service/BudgetAlerts';
import { ApprovalRules } from './service/approvalRules';
import { Approvals } from './service/Approvals';
import { ApprovalFlow } from './service/ApprovalFlow';

/** The provisioning backend: records who owns each stack and every provisioning run, and serves them. */
export const provisioningPlugin = createBackendPlugin({
  pluginId: 'provisioning',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        database: coreServices.database,
        logger: coreServices.logger,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        config: coreServices.rootConfig,
        auditor: coreServices.auditor,
        signals: signalsServiceRef,
        notifications: notificationService,
        events: eventsServiceRef,
        awsClients: awsClientFactoryServiceRef,
        catalog: catalogServiceRef,
      },
      async init({
        httpRouter,
        database,
        permissions,
        permissionsRegistry,
        signals,
        notifications,
        events,
        scheduler,
        config,
        awsClients,
        catalog,
        ...services
      }) {
        const db = await provisioningDatabase(database);
        const stacks = new StackStore(db);
        // The permission backend resolves conditional decisions on stacks through this type.
        permissionsRegistry.addResourceType({
          resourceRef: provisioningStackPermissionResourceRef,
          permissions: provisioningPermissions,
          rules: Object.values(provisioningStackPermissionRules),
          getResources: async refs =>
            (await stacks.getByRefs(refs)).map(stack =>
              stack ? stackPermissionResource(stack) : undefined,
            ),
        });
        permissionsRegistry.addPermissions([
          provisioningBudgetUpdatePermission,
          provisioningChangeWindowUpdatePermission,
        ]);
        const changeWindows = new ChangeWindows(db);
        const approvalRules = ApprovalRules.fromConfig(config, {
          declared: changeWindows,
        });
        const budgets = new TeamBudgets(db, budgetsFromConfig(config));
        // People's and teams' names in texts for people: notifications and refusals.
        const entityNames = new EntityNames({
          catalog,
          auth: services.auth,
          logger: services.logger,
        });
        const names = (refs: string[]) => entityNames.of(refs);
        const approvals = new Approvals(db, approvalRules, budgets, { names });
        // Approval requests: the policy's conditions name their approvers and requester.
        permissionsRegistry.addResourceType({
          resourceRef: provisioningApprovalPermissionResourceRef,
          permissions: [
            provisioningApprovalReadPermission,
            provisioningApprovalDecidePermission,
            provisioningApprovalWithdrawPermission,
          ],
          rules: Object.values(provisioningApprovalPermissionRules),
          getResources: async ids =>
            Promise.all(
              ids.map(id => approvals.get(id).catch(() => undefined)),
            ),
        });
        const access = new StackAccess(
          permissions,
          permissionsRegistry.getPermissionRuleset(
            provisioningStackPermissionResourceRef,
          ),
          names,
        );
        const store = new RunStore(db);
        const log = new RunLog({
          store,
          signals,
          notifications,
          events,
          logger: services.logger,
        });
        const tasks = new ScaffolderTasks(services);
        const expiry = expiryPolicyFromConfig(config);
        const versions = new StackVersionStore(db);
        const drift = new StackDriftStore(db);
        const scans = new DriftScanRequests({ drift, versions, events });
        const approvalFlow = new ApprovalFlow({
          approvals,
          notifications,
          logger: services.logger,
          taskState: id => tasks.state(id),
          retryTask: id => tasks.act(id, 'retry'),
          names,
        });
        // A run that ends, or a budget set lower, may bring its owner to 80 % or 100 %.
        const alerts = new BudgetAlerts({
          budgets,
          notifications,
          logger: services.logger,
          names,
        });
        httpRouter.use(
          await createRouter({
            store,
            log,
            tasks,
            stacks,
            inventory: new StackInventoryStore(db),
            versions,
            drift,
            scans,
            eventsService: events,
            access,
            deliveries: new AppDeliveries({
              clients: awsClients,
              hub: argoCdHubFromConfig(config),
            }),
            expiry,
            budgets,
            budgetAlerts: alerts,
            approvals: {
              rules: approvalRules,
              windows: changeWindows,
              approvals,
              flow: approvalFlow,
              ruleset: permissionsRegistry.getPermissionRuleset(
                provisioningApprovalPermissionResourceRef,
              ),
            },
            permissions,
            ...services,
          }),
        );

        // A run that ends has its stack read back at once: drift it made, or put right, shows
        // without waiting for the next sweep (a destroyed stack has no desired state to read).
        await events.subscribe({
          id: 'provisioning-drift-after-run',
          topics: [RUN_FINISHED_TOPIC],
          onEvent: async ({ eventPayload }) => {
            const { runId } = eventPayload as RunFinishedEvent;
            try {
              const run = await store.getRun(runId);
              if (run.accountId && run.region)
                await scans.request({
                  accountId: run.accountId,
                  region: run.region,
                  stackId: run.stackId,
                });
            } catch (e) {
              services.logger.warn(
                `No drift scan asked after run ${runId}: ${e}`,
              );
            }
          },
        });

        // A run that ends may bring its owner to 80 % or 100 % of their budget: they are told.
        await events.subscribe({
          id: 'provisioning-budget-alerts',
          topics: [RUN_FINISHED_TOPIC],
          onEvent: async ({ eventPayload }) => {
            const { runId } = eventPayload as RunFinishedEvent;
            try {
              const run = await store.getRun(runId);
              if (run.owner)
                await alerts.check(
                  run.owner,
                  run.environment as TeamBudget['environment'],
                );
            } catch (e) {
              services.logger.warn(
                `No budget alert checked after run ${runId}: ${e}`,
              );
            }
          },
        });

        // Runs whose task ended without the run saying so are ended too (one replica at a time).
        const reconcile = config.getOptionalConfig(
          'konductor.provisioning.reconciler',
        );
        const reconciler = new RunReconciler({
          store,
          log,
          taskState: id => tasks.state(id),
          logger: services.logger,
          quietMs: (reconcile?.getOptionalNumber('quietSeconds') ?? 60) * 1000,
        });
        await scheduler.scheduleTask({
          id: 'provisioning-run-reconciler',
          scope: 'global',
          frequency: {
            seconds: reconcile?.getOptionalNumber('intervalSeconds') ?? 60,
          },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 10 },
          fn: async () => {
            for (const run of await reconciler.reconcile())
              services.logger.info(
                `Run ${run.id} ended as ${run.status}: its task ${run.taskId} had ended without it`,
              );
          },
        });

        // Requests past their time expire; approved ones whose task is not resumed yet are.
        await scheduler.scheduleTask({
          id: 'provisioning-approvals',
          scope: 'global',
          frequency: { seconds: approvalRules.intervalSeconds },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
          fn: () => approvalFlow.sweep(),
        });

        // Expiring stacks: their owners told a day and an hour before, then destroyed.
        const stackExpiry = new StackExpiry({
          stacks,
          notifications,
          startTask: (templateRef, values) => tasks.create(templateRef, values),
          destroyTemplate: expiry.destroyTemplate,
          logger: services.logger,
        });
        await scheduler.scheduleTask({
          id: 'provisioning-stack-expiry',
          scope: 'global',
          frequency: { seconds: expiry.intervalSeconds },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 10 },
          fn: async () => {
            await stackExpiry.sweep();
          },
        });
      },
    });
  },
});
