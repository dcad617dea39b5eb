import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  createRunRequestSchema,
  eventBatchSchema,
  ProvisioningEvent,
  RunDetails,
  provisioningRunCancelPermission,
  provisioningRunRetryPermission,
  provisioningStackDestroyPermission,
  provisioningStackOutputsReadPermission,
  provisioningStackReadPermission,
  stackAvailabilityQuerySchema,
  stackBusyMessage,
  stackClaimRequestSchema,
  stackLeaseRequestSchema,
  stackTakenMessage,
  type StackVersionList,
  type DesiredStackStateList,
  type DriftScanRequest,
  type StackDrift,
  DRIFT_REPORTED_TOPIC,
  driftReportSchema,
  type ExpiryPolicy,
  expiryRefusal,
  provisioningStackUpdatePermission,
  stackExpiryRequestSchema,
  stackInventoryQuerySchema,
  type StackInventory,
} from '@konductor/plugin-provisioning-common';
import { stackPermissionResource } from '@konductor/plugin-provisioning-node';
import { RunStore } from './service/RunStore';
import { RunLog } from './service/RunLog';
import { ScaffolderTasks } from './service/ScaffolderTasks';
import { StackStore } from './service/StackStore';
import { StackInventoryStore } from './service/StackInventory';
import {
  INVENTORY_CSV_HEADER,
  inventoryCsvLines,
} from './service/inventoryCsv';
import { StackVersionStore } from './service/StackVersions';
import { StackDriftStore } from './service/StackDrift';
import { DriftScanRequests } from './service/DriftScanRequests';
import type { EventsService } from '@backstage/plugin-events-node';
import { StackAccess } from './service/StackAccess';
import { StackOwnership } from './service/StackOwnership';
import { parse } from './parse';
import type { TeamBudgets } from './service/TeamBudgets';
import type { BudgetAlerts } from './service/BudgetAlerts';
import { createBudgetsRouter } from './budgetsRouter';
import { createChangeWindowsRouter } from './changeWindowsRouter';
import type { ChangeWindows } from './service/ChangeWindows';
import { createApprovalsRouter } from './approvalsRouter';
import type { Approvals } from './service/Approvals';
import type { ApprovalFlow } from './service/ApprovalFlow';
import type { ApprovalRules } from './service/approvalRules';
import type { PermissionRuleset } from '@backstage/plugin-permission-node';
import type {
  ApprovalPermissionQuery,
  ApprovalPermissionResource,
} from '@konductor/plugin-provisioning-node';
import { AppDeliveries } from './service/AppDeliveries';

const runQuerySchema = z
  .object({
    owner: z.string().optional(),
    stackId: z.string().optional(),
    accountId: z.string().optional(),
    region: z.string().optional(),
    entityRef: z.string().optional(),
    templateRef: z.string().optional(),
    status: z.enum(['running', 'succeeded', 'failed', 'cancelled']).optional(),
    environment: z.enum(['dev', 'staging', 'prod']).optional(),
    text: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const latestRunsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const eventsQuerySchema = z
  .object({ after: z.coerce.number().int().min(0).default(0) })
  .strict();

const desiredStatesQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
    accountId: z.string().optional(),
    region: z.string().optional(),
    stackId: z.string().optional(),
  })
  .strict();

/** Options of {@link createRouter}. */
export interface RouterOptions {
  store: RunStore;
  /** Appends to run logs and announces what changed. */
  log: RunLog;
  /** The runs' scaffolder tasks (cancel, retry). */
  tasks: ScaffolderTasks;
  stacks: StackStore;
  /** Every stack with its cost and state, for the inventory. */
  inventory: StackInventoryStore;
  /** The versions of each stack's desired state. */
  versions: StackVersionStore;
  /** What the drift scans found of each stack. */
  drift: StackDriftStore;
  /** Where a drift scan is asked for. */
  scans: DriftScanRequests;
  /** Where a drift scan's findings are announced. */
  eventsService: EventsService;
  /** Decides `provisioning-stack` permissions (with the registered rules). */
  access: StackAccess;
  /** Stacks' apps as the platform's Argo CD reports them. */
  deliveries: AppDeliveries;
  /** The platform's expiry default and maximum. */
  expiry: ExpiryPolicy;
  /** Groups' budgets and quotas, and what their stacks commit. */
  budgets: TeamBudgets;
  /** Tells a group when it reaches 80 % and 100 % of its budget. */
  budgetAlerts: BudgetAlerts;
  /** Runs that wait for approval: the rules, the requests, and what follows their decisions. */
  approvals?: {
    rules: ApprovalRules;
    /** The change windows (freezes) admins declare in the portal. */
    windows: ChangeWindows;
    approvals: Approvals;
    flow: ApprovalFlow;
    ruleset: PermissionRuleset<
      ApprovalPermissionResource,
      ApprovalPermissionQuery,
      'provisioning-approval'
    >;
  };
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  /**
   * How long an event stream stays open before the server ends it (the page reconnects from its
   * cursor, and the caller's access is decided again).
   */
  streamMs?: number;
}

/** The run without the stack's outputs, for a caller who may see the run but not the outputs. */
function withoutOutputs<T extends { outputs?: unknown }>(item: T): T {
  const { outputs: _hidden, ...rest } = item;
  return rest as T;
}

/** The provisioning API: stacks and their owners; runs, their graph and their event log. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    store,
    log,
    tasks,
    stacks,
    inventory,
    versions,
    drift,
    scans,
    eventsService,
    access,
    deliveries,
    expiry,
    budgets,
    httpAuth,
    permissions,
    auditor,
  } = options;
  const ownership = new StackOwnership(
    stacks,
    access,
    expiry,
    budgets,
    options.approvals?.rules,
  );
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  // Runs change by the second: no answer may be served from a cache (nor revalidated with a 304).
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.use(
    createBudgetsRouter({
      budgets,
      alerts: options.budgetAlerts,
      httpAuth,
      permissions,
      auditor,
    }),
  );
  if (options.approvals) {
    router.use(
      createApprovalsRouter({
        ...options.approvals,
        stacks,
        access,
        httpAuth,
        permissions,
        auditor,
      }),
    );
    router.use(
      createChangeWindowsRouter({
        ...options.approvals,
        httpAuth,
        permissions,
        auditor,
      }),
    );
  }

  // ---- stacks ---------------------------------------------------------------------------------

  /** The inventory's query, and the stacks the caller may read (none: undefined). */
  async function inventoryRequest(req: express.Request) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parse(stackInventoryQuerySchema, req.query, 'query');
    const allowed = await access.criteria(
      credentials,
      provisioningStackReadPermission,
    );
    if (allowed === 'none') return undefined;
    return { query, allowed: allowed === 'all' ? undefined : allowed };
  }

  // The inventory: every stack the caller may read, with its cost and state, and totals per team.
  router.get('/stacks', async (req, res) => {
    const asked = await inventoryRequest(req);
    const empty: StackInventory = {
      items: [],
      totalCount: 0,
      monthlyCost: 0,
      totals: [],
    };
    res.json(asked ? await inventory.list(asked.query, asked.allowed) : empty);
  });

  // The same stacks as CSV, every page of them, in the inventory's order.
  router.get('/stacks/export.csv', async (req, res) => {
    const asked = await inventoryRequest(req);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="konductor-stacks.csv"',
    });
    res.write(INVENTORY_CSV_HEADER);
    if (asked)
      for await (const items of inventory.all(asked.query, asked.allowed))
        res.write(inventoryCsvLines(items));
    res.end();
  });

  router.get('/stacks/availability', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parse(stackAvailabilityQuerySchema, req.query, 'query');
    res.json(await ownership.availability(credentials, query));
  });

  // The stack action claims its stack, as the task's user, before anything is created.
  router.post('/stacks/claims', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body = parse(stackClaimRequestSchema, req.body, 'stack claim');
    const audit = await auditor.createEvent({
      eventId: 'stack-claim',
      severityLevel: 'medium',
      request: req,
      meta: { ...body },
    });
    try {
      const result = await ownership.claim(credentials, body);
      await audit.success({ meta: { created: result.created } });
      res.status(result.created ? 201 : 200).json(result);
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  /** The recorded stack of the route's key, or a 404 that says so. */
  async function recordedStack(params: Record<string, string>) {
    const key = {
      accountId: params.accountId,
      region: params.region,
      stackId: params.stackId,
    };
    const stack = await stacks.get(key);
    if (!stack)
      throw new NotFoundError(
        `No stack ${key.stackId} is recorded in account ${key.accountId} (${key.region})`,
      );
    return stack;
  }

  /** The recorded stack the request names, when its caller may see it. */
  async function readableStack(req: express.Request) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const stack = await recordedStack(req.params);
    await access.require(
      credentials,
      provisioningStackReadPermission,
      stackPermissionResource(stack),
      () => `You may not see stack ${stack.stackId}`,
      [],
    );
    return stack;
  }

  router.get('/stacks/:accountId/:region/:stackId', async (req, res) => {
    res.json(await readableStack(req));
  });

  // The stack's app as Argo CD reports it: for whoever may see the stack.
  router.get(
    '/stacks/:accountId/:region/:stackId/delivery',
    async (req, res) => {
      res.json(await deliveries.of(await readableStack(req)));
    },
  );

  // The stack's desired state, version by version: for whoever may see the stack.
  router.get(
    '/stacks/:accountId/:region/:stackId/versions',
    async (req, res) => {
      const items = await versions.list(await readableStack(req));
      res.json({ items } satisfies StackVersionList);
    },
  );

  // *Extend*: a new expiry, for whoever may change the stack; never for prod, never past the
  // platform's maximum, never once the expiry has started the stack's destroy run.
  router.put('/stacks/:accountId/:region/:stackId/expiry', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const stack = await recordedStack(req.params);
    const { expiresAt } = parse(stackExpiryRequestSchema, req.body, 'expiry');
    const audit = await auditor.createEvent({
      eventId: 'stack-expiry',
      severityLevel: 'medium',
      request: req,
      meta: { stack: stack.ref, from: stack.expiresAt, to: expiresAt },
    });
    try {
      await access.require(
        credentials,
        provisioningStackUpdatePermission,
        stackPermissionResource(stack),
        name =>
          `You may not extend stack ${stack.stackId}: it belongs to ${name(
            stack.owner,
          )}, and only its members or a platform admin may change it`,
      );
      const refusal = expiryRefusal(stack.environment, expiresAt, expiry);
      if (refusal) throw new InputError(refusal);
      if (!(await stacks.setExpiry(stack, expiresAt)))
        throw new ConflictError(
          `Stack ${stack.stackId} has expired and is being destroyed (task ${stack.expiryTaskId}): it can no longer be extended`,
        );
      await audit.success();
      res.json(await stacks.get(stack));
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  // ---- drift ----------------------------------------------------------------------------------

  // Every stack's last version (or one stack's), a page at a time: what the platform's drift scan
  // compares with.
  router.get('/desired-states', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const query = parse(desiredStatesQuerySchema, req.query, 'query');
    res.json(
      (await versions.latest(
        query,
        new Date(),
      )) satisfies DesiredStackStateList,
    );
  });

  // What the last scan found: for whoever may see the stack.
  router.get('/stacks/:accountId/:region/:stackId/drift', async (req, res) => {
    const stack = await readableStack(req);
    res.json(
      ((await drift.get(stack)) ?? { resources: [] }) satisfies StackDrift,
    );
  });

  // A scan of this stack now: reading the cloud changes nothing, so whoever may see the stack may
  // ask. The platform's scan answers it.
  router.post(
    '/stacks/:accountId/:region/:stackId/drift/scans',
    async (req, res) => {
      const stack = await readableStack(req);
      if (!(await scans.request(stack)))
        throw new ConflictError(
          `Stack ${stack.stackId} has no desired state to compare the cloud with yet: its first run has not succeeded`,
        );
      res
        .status(202)
        .json((await drift.get(stack)) satisfies StackDrift | undefined);
    },
  );

  // A scan's findings: the platform's alone.
  router.put('/stacks/:accountId/:region/:stackId/drift', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const stack = await recordedStack(req.params);
    const report = parse(driftReportSchema, req.body, 'drift report');
    const stored = await drift.report(stack, report);
    // Compliance reads the findings as facts of the stack's resources.
    await eventsService.publish({
      topic: DRIFT_REPORTED_TOPIC,
      eventPayload: {
        accountId: stack.accountId,
        region: stack.region,
        stackId: stack.stackId,
      } satisfies DriftScanRequest,
    });
    res.json(stored satisfies StackDrift);
  });

  // The destroy action releases the name once the stack is gone.
  router.delete('/stacks/:accountId/:region/:stackId', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const stack = await recordedStack(req.params);
    const audit = await auditor.createEvent({
      eventId: 'stack-release',
      severityLevel: 'medium',
      request: req,
      meta: { stack: stack.ref, owner: stack.owner },
    });
    try {
      await access.require(
        credentials,
        provisioningStackDestroyPermission,
        stackPermissionResource(stack),
        name =>
          `You may not destroy stack ${stack.stackId}: it belongs to ${name(
            stack.owner,
          )}`,
      );
      await stacks.release(stack);
      await audit.success();
      res.status(204).end();
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  // One active run per stack: the stack actions take the lease (as this platform's service)
  // before any cloud call, renew it while they run and give it up at the end.
  router.post('/stacks/:accountId/:region/:stackId/lease', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const { holder, ttlSeconds } = parse(
      stackLeaseRequestSchema,
      req.body,
      'lease',
    );
    const stack = await recordedStack(req.params);
    const { granted, lease } = await stacks.acquireLease(
      stack,
      holder,
      ttlSeconds * 1000,
    );
    if (!granted)
      throw new ConflictError(stackBusyMessage(stack.stackId, lease!));
    res.json(lease);
  });

  router.delete(
    '/stacks/:accountId/:region/:stackId/lease',
    async (req, res) => {
      await httpAuth.credentials(req, { allow: ['service'] });
      const { holder } = parse(
        z.object({ holder: z.string().min(1) }).strict(),
        req.query,
        'query',
      );
      await stacks.releaseLease(await recordedStack(req.params), holder);
      res.status(204).end();
    },
  );

  // ---- runs -----------------------------------------------------------------------------------

  router.post('/runs', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const body = parse(createRunRequestSchema, req.body, 'run');
    // A run records the owner its stack was claimed for; anything else is a bug to refuse.
    const stack = await stacks.get({
      accountId: body.accountId,
      region: body.region,
      stackId: body.stackId,
    });
    if (stack && body.owner !== stack.owner)
      throw new ConflictError(stackTakenMessage(stack, body.owner));
    const { run, created } = await store.createRun(body);
    if (created) {
      const audit = await auditor.createEvent({
        eventId: 'run-create',
        request: req,
        meta: { runId: run.id, taskId: run.taskId, stackId: run.stackId },
      });
      await audit.success();
    }
    res.status(created ? 201 : 200).json(run);
  });

  router.post('/runs/:id/events', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const { events } = parse(eventBatchSchema, req.body, 'event batch');
    // Answered once the events are stored; the announcements follow on their own.
    const result = await log.append(
      req.params.id,
      events as ProvisioningEvent[],
    );
    res.json({ cursor: result.run.lastSeq, appended: result.appended.length });
  });

  // Cancel and retry act on the run's scaffolder task. Who may is decided here, on the run's
  // stack (the owner's members, admins); the scaffolder is then called as this plugin, since its
  // own task permissions know only the task's creator.
  router.post('/runs/:id/:action(cancel|retry)', async (req, res) => {
    const action = req.params.action as 'cancel' | 'retry';
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const run = await store.getRun(req.params.id);
    const audit = await auditor.createEvent({
      eventId: `run-${action}`,
      severityLevel: 'medium',
      request: req,
      meta: { runId: run.id, taskId: run.taskId, owner: run.owner },
    });
    try {
      await access.require(
        credentials,
        action === 'cancel'
          ? provisioningRunCancelPermission
          : provisioningRunRetryPermission,
        stackPermissionResource(run),
        name =>
          `You may not ${action} runs of stack ${run.stackId}: it belongs to ${
            run.owner ? name(run.owner) : 'no recorded owner'
          }, and only its members or a platform admin may`,
      );
      if (action === 'cancel' && run.status !== 'running')
        throw new ConflictError(
          `Run ${run.id} is ${run.status}: only a running run can be cancelled`,
        );
      if (action === 'retry' && run.status === 'running')
        throw new ConflictError(
          `Run ${run.id} is still running: only a finished run can be retried`,
        );
      await tasks.act(run.taskId, action);
      await audit.success();
      res.status(202).json({ runId: run.id, taskId: run.taskId, action });
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  /**
   * A run the caller may see, and whether they may see its stack's outputs too (a backend
   * service always may).
   */
  async function readableRun(credentials: BackstageCredentials, runId: string) {
    const run = await store.getRun(runId);
    const [read, outputs] = await access.decide(
      credentials,
      [provisioningStackReadPermission, provisioningStackOutputsReadPermission],
      stackPermissionResource(run),
    );
    if (!read)
      throw new NotAllowedError(`You may not see provisioning run ${runId}`);
    return { run, outputs };
  }

  router.get('/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parse(runQuerySchema, req.query, 'query');
    const allowed = await access.criteria(
      credentials,
      provisioningStackReadPermission,
    );
    if (allowed === 'none') {
      res.json({ items: [], totalCount: 0 });
      return;
    }
    res.json(
      await store.listRuns({
        ...query,
        allowed: allowed === 'all' ? undefined : allowed,
      }),
    );
  });

  // Each stack's latest run with its resources, a page at a time: what the catalog's provisioned
  // resources are made of. Outputs only where the caller may read them.
  router.get('/runs/latest', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { limit, offset } = parse(latestRunsQuerySchema, req.query, 'query');
    const allowed = await access.criteria(
      credentials,
      provisioningStackReadPermission,
    );
    if (allowed === 'none') {
      res.json({ items: [], totalCount: 0 });
      return;
    }
    const page = await store.listLatestRuns({
      allowed: allowed === 'all' ? undefined : allowed,
      limit,
      offset,
    });
    const outputs = await access.allows(
      credentials,
      provisioningStackOutputsReadPermission,
      page.items.map(({ run }) => stackPermissionResource(run)),
    );
    const items: RunDetails[] = page.items.map((details, i) =>
      outputs[i]
        ? details
        : {
            run: details.run,
            resources: details.resources.map(withoutOutputs),
            outputsHidden: true,
          },
    );
    res.json({ items, totalCount: page.totalCount });
  });

  router.get('/runs/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { run, outputs } = await readableRun(credentials, req.params.id);
    const resources = await store.getResources(run.id);
    const details: RunDetails = outputs
      ? { run, resources }
      : {
          run,
          resources: resources.map(withoutOutputs),
          outputsHidden: true,
        };
    res.json(details);
  });

  // Events after the cursor, a page at a time: what a page loads first and catches up with.
  router.get('/runs/:id/events', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { after } = parse(eventsQuerySchema, req.query, 'query');
    const { outputs } = await readableRun(credentials, req.params.id);
    const events = await store.listEvents(req.params.id, after);
    res.json({
      events: outputs ? events : events.map(withoutOutputs),
      cursor: events.length ? events[events.length - 1].seq : after,
    });
  });

  // The live page's stream (server-sent events): every event after the cursor as it is stored,
  // one `events` message per batch, its id the cursor after it. Ended after `streamMs`.
  router.get('/runs/:id/events/stream', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { after } = parse(eventsQuerySchema, req.query, 'query');
    const runId = req.params.id;
    const { outputs } = await readableRun(credentials, runId);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      Connection: 'keep-alive',
    });
    // The root router compresses responses: each message is flushed as it is written.
    const send = (text: string) => {
      res.write(text);
      (res as { flush?: () => void }).flush?.();
    };
    send(':\n\n');
    const done = new AbortController();
    const end = setTimeout(() => done.abort(), options.streamMs ?? 300_000);
    // A comment now and then keeps proxies from closing an idle stream.
    const keepAlive = setInterval(() => send(':\n\n'), 15_000);
    res.on('close', () => done.abort());
    try {
      await log.follow(
        runId,
        after,
        events =>
          send(
            `id: ${
              events[events.length - 1].seq
            }\nevent: events\ndata: ${JSON.stringify(
              outputs ? events : events.map(withoutOutputs),
            )}\n\n`,
          ),
        done.signal,
      );
    } finally {
      clearTimeout(end);
      clearInterval(keepAlive);
      res.end();
    }
  });

  return router;
}
