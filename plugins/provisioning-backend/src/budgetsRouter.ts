import express from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  budgetKeySchema,
  budgetLimitsSchema,
  provisioningBudgetUpdatePermission,
} from '@konductor/plugin-provisioning-common';
import type { TeamBudgets } from './service/TeamBudgets';
import type { BudgetAlerts } from './service/BudgetAlerts';
import { parse } from './parse';

/**
 * Groups' budgets and quotas: read by every signed-in user (a team sees its numbers on the plan
 * page), set and withdrawn by whoever holds `provisioning.budget.update` (platform admins). A
 * budget set below what the group's stacks commit tells the group at once, as a run would.
 */
export function createBudgetsRouter(options: {
  budgets: TeamBudgets;
  alerts: BudgetAlerts;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}): express.Router {
  const { budgets, alerts, httpAuth, permissions, auditor } = options;
  const router = Router();

  router.get('/budgets', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({ items: await budgets.list() });
  });

  /** The caller, when they may change budgets. */
  async function budgetAdmin(req: express.Request) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize(
      [{ permission: provisioningBudgetUpdatePermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        'Only platform admins may set budgets and quotas',
      );
    return credentials.principal.userEntityRef;
  }

  router.put('/budgets', async (req, res) => {
    const audit = await auditor.createEvent({
      eventId: 'budget-set',
      severityLevel: 'high',
      request: req,
      meta: { ...(req.body ?? {}) },
    });
    try {
      const user = await budgetAdmin(req);
      const limits = parse(budgetLimitsSchema, req.body, 'budget');
      const budget = await budgets.set(limits, user);
      await audit.success();
      await alerts.check(limits.owner, limits.environment);
      res.json(budget);
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  router.delete('/budgets', async (req, res) => {
    const audit = await auditor.createEvent({
      eventId: 'budget-withdraw',
      severityLevel: 'high',
      request: req,
      meta: { ...req.query },
    });
    try {
      await budgetAdmin(req);
      const key = parse(budgetKeySchema, req.query, 'query');
      const withdrawn = await budgets.withdraw(key);
      await audit.success({ meta: { withdrawn } });
      res.json(await budgets.get(key));
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  return router;
}
