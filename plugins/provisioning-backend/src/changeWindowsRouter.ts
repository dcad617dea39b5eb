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
  changeWindowDeclarationSchema,
  provisioningChangeWindowUpdatePermission,
} from '@konductor/plugin-provisioning-common';
import type { ApprovalRules } from './service/approvalRules';
import type { ChangeWindows } from './service/ChangeWindows';
import { parse } from './parse';

/**
 * Change windows (freezes): read by every signed-in user (a team plans around them), declared
 * and withdrawn in the portal by whoever holds `provisioning.changeWindow.update` (platform
 * admins). Config's windows are listed too; they change with config.
 */
export function createChangeWindowsRouter(options: {
  rules: ApprovalRules;
  windows: ChangeWindows;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}): express.Router {
  const { rules, windows, httpAuth, permissions, auditor } = options;
  const router = Router();

  router.get('/change-windows', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({ items: await rules.windows() });
  });

  /** The caller, when they may declare and withdraw windows. */
  async function windowAdmin(req: express.Request) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize(
      [{ permission: provisioningChangeWindowUpdatePermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        'Only platform admins may declare and withdraw change windows',
      );
    return credentials.principal.userEntityRef;
  }

  /** The window as the list shows it. */
  async function listed(id: string) {
    return (await rules.windows()).find(w => w.id === id);
  }

  router.post('/change-windows', async (req, res) => {
    const audit = await auditor.createEvent({
      eventId: 'change-window-declare',
      severityLevel: 'high',
      request: req,
      meta: { ...(req.body ?? {}) },
    });
    try {
      const user = await windowAdmin(req);
      const declaration = parse(
        changeWindowDeclarationSchema,
        req.body,
        'change window',
      );
      const window = await windows.declare(declaration, user);
      await audit.success({ meta: { id: window.id } });
      res.status(201).json(await listed(window.id));
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  router.delete('/change-windows/:id', async (req, res) => {
    const audit = await auditor.createEvent({
      eventId: 'change-window-withdraw',
      severityLevel: 'high',
      request: req,
      meta: { id: req.params.id },
    });
    try {
      await windowAdmin(req);
      const before = await listed(req.params.id);
      const window = await windows.withdraw(req.params.id);
      await audit.success({
        meta: { description: window.description, to: window.to },
      });
      res.json(before ?? window);
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  return router;
}
