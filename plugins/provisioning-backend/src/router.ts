import { EventEmitter, once } from 'node:events';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  ResponseError,
} from '@backstage/errors';
import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
  DiscoveryService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import type { EventsService } from '@backstage/plugin-events-node';
import {
  createRunRequestSchema,
  eventBatchSchema,
  ProvisioningEvent,
  ProvisioningRun,
  RUN_FINISHED_TOPIC,
  RunFinishedEvent,
  provisioningRunCancelPermission,
  provisioningRunReadPermission,
  provisioningRunRetryPermission,
} from '@konductor/plugin-provisioning-common';
import { RunStore } from './service/RunStore';

/** The signal channel of a run; its messages say that events up to `cursor` exist. */
export const runChannel = (runId: string) => `provisioning:run:${runId}`;

const runQuerySchema = z
  .object({
    owner: z.string().optional(),
    stackId: z.string().optional(),
    entityRef: z.string().optional(),
    templateRef: z.string().optional(),
    status: z.enum(['running', 'succeeded', 'failed', 'cancelled']).optional(),
    environment: z.enum(['dev', 'staging', 'prod']).optional(),
    text: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const eventsQuerySchema = z
  .object({
    after: z.coerce.number().int().min(0).default(0),
    waitSeconds: z.coerce.number().min(0).max(30).default(0),
  })
  .strict();

/** Parses with `schema`, or throws one InputError naming every bad field. */
function parse<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(
    `Invalid ${what}: ${result.error.issues
      .map(i => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ')}`,
  );
}

/** Options of {@link createRouter}. */
export interface RouterOptions {
  store: RunStore;
  httpAuth: HttpAuthService;
  signals: SignalsService;
  logger: LoggerService;
  auth: AuthService;
  discovery: DiscoveryService;
  permissions: PermissionsService;
  auditor: AuditorService;
  notifications: NotificationService;
  /** Where the end of each run is announced to other plugins (the catalog's resource provider). */
  events: EventsService;
  /** How often a long-poll re-reads the log for events written by another replica. */
  pollIntervalMs?: number;
}

/** Tells who started a run (and, on failure, its owner) that it ended. */
async function notifyCompletion(
  options: RouterOptions,
  run: ProvisioningRun,
  last?: ProvisioningEvent,
) {
  const recipients = [
    run.createdBy,
    run.status === 'failed' ? run.owner : undefined,
  ].filter((r): r is string => !!r);
  if (!recipients.length) return;
  try {
    await options.notifications.send({
      recipients: { type: 'entity', entityRef: recipients },
      payload: {
        title: `Stack ${run.stackId} ${run.status}`,
        description: last?.message,
        link: `/provisioning/runs/${run.id}`,
        severity: run.status === 'failed' ? 'high' : 'normal',
        topic: 'provisioning',
      },
    });
  } catch (e) {
    // The run's record is what matters; a notification that cannot be sent is only logged.
    options.logger.warn(
      `Could not notify ${recipients.join(', ')} about run ${run.id}: ${
        (e as Error).message
      }`,
    );
  }
}

/** The provisioning API: runs, their graph and their event log. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { store, httpAuth, signals, auth, discovery, permissions, auditor } =
    options;
  // Wakes long-polls on this replica at once; other replicas' writes are found by re-reading.
  const appended = new EventEmitter().setMaxListeners(0);
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  // Runs change by the second: no answer may be served from a cache (nor revalidated with a 304).
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.post('/runs', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['service'] });
    const body = parse(createRunRequestSchema, req.body, 'run');
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
    const result = await store.appendEvents(
      req.params.id,
      events as ProvisioningEvent[],
    );
    if (result.appended.length) {
      appended.emit(req.params.id);
      await signals.publish({
        recipients: { type: 'broadcast' },
        channel: runChannel(req.params.id),
        message: { runId: req.params.id, cursor: result.run.lastSeq },
      });
    }
    if (
      result.previousStatus === 'running' &&
      result.run.status !== 'running'
    ) {
      await notifyCompletion(
        options,
        result.run,
        result.appended[result.appended.length - 1],
      );
      const payload: RunFinishedEvent = {
        runId: result.run.id,
        stackId: result.run.stackId,
        status: result.run.status,
      };
      await options.events.publish({
        topic: RUN_FINISHED_TOPIC,
        eventPayload: payload,
      });
    }
    res.json({ cursor: result.run.lastSeq, appended: result.appended.length });
  });

  // Cancel and retry act on the run's scaffolder task, through the scaffolder's own endpoints and
  // on behalf of the user, so the scaffolder's task permissions apply as well as ours.
  router.post('/runs/:id/:action(cancel|retry)', async (req, res) => {
    const action = req.params.action as 'cancel' | 'retry';
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const run = await store.getRun(req.params.id);
    const audit = await auditor.createEvent({
      eventId: `run-${action}`,
      severityLevel: 'medium',
      request: req,
      meta: { runId: run.id, taskId: run.taskId },
    });
    try {
      const permission =
        action === 'cancel'
          ? provisioningRunCancelPermission
          : provisioningRunRetryPermission;
      const [decision] = await permissions.authorize([{ permission }], {
        credentials,
      });
      if (decision.result !== AuthorizeResult.ALLOW)
        throw new NotAllowedError(
          `You are not allowed to ${action} provisioning runs`,
        );
      if (action === 'cancel' && run.status !== 'running')
        throw new ConflictError(
          `Run ${run.id} is ${run.status}: only a running run can be cancelled`,
        );
      if (action === 'retry' && run.status === 'running')
        throw new ConflictError(
          `Run ${run.id} is still running: only a finished run can be retried`,
        );
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: credentials,
        targetPluginId: 'scaffolder',
      });
      const scaffolder = await discovery.getBaseUrl('scaffolder');
      const response = await fetch(
        `${scaffolder}/v2/tasks/${encodeURIComponent(run.taskId)}/${action}`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
          body: '{}',
        },
      );
      if (!response.ok) throw await ResponseError.fromResponse(response);
      await audit.success();
      res.status(202).json({ runId: run.id, taskId: run.taskId, action });
    } catch (e) {
      await audit.fail({ error: e as Error });
      throw e;
    }
  });

  /** Whether the caller may read every run: a backend service, or a user the policy allows. */
  async function readsAll(
    credentials: BackstageCredentials<
      BackstageUserPrincipal | BackstageServicePrincipal
    >,
  ) {
    if (credentials.principal.type === 'service') return true;
    const [decision] = await permissions.authorize(
      [{ permission: provisioningRunReadPermission }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** Reads a run the caller may read: one they started, one of an entity they may read, or any. */
  async function readableRun(
    credentials: BackstageCredentials<
      BackstageUserPrincipal | BackstageServicePrincipal
    >,
    runId: string,
  ) {
    const run = await store.getRun(runId);
    if (await readsAll(credentials)) return run;
    const user =
      credentials.principal.type === 'user'
        ? credentials.principal.userEntityRef
        : undefined;
    if (user && run.createdBy === user) return run;
    if (run.entityRef) {
      const [entity] = await permissions.authorize(
        [
          {
            permission: catalogEntityReadPermission,
            resourceRef: run.entityRef,
          },
        ],
        { credentials },
      );
      if (entity.result === AuthorizeResult.ALLOW) return run;
    }
    throw new NotAllowedError(
      `You are not allowed to read provisioning run ${runId}`,
    );
  }

  router.get('/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parse(runQuerySchema, req.query, 'query');
    // Without the read-all permission a user lists the runs they started.
    const mine =
      !(await readsAll(credentials)) && credentials.principal.type === 'user'
        ? credentials.principal.userEntityRef
        : undefined;
    res.json(await store.listRuns({ ...query, createdBy: mine }));
  });

  router.get('/runs/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const run = await readableRun(credentials, req.params.id);
    res.json({ run, resources: await store.getResources(run.id) });
  });

  // The long-poll fallback of the live page: answers as soon as there is something after the cursor.
  router.get('/runs/:id/events', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { after, waitSeconds } = parse(eventsQuerySchema, req.query, 'query');
    const runId = req.params.id;
    await readableRun(credentials, runId);
    let events = await store.listEvents(runId, after);
    const deadline = Date.now() + waitSeconds * 1000;
    // The client going away ends the wait (the response closes; the request may close earlier).
    let closed = false;
    res.on('close', () => (closed = true));
    while (!events.length && !closed && Date.now() < deadline) {
      const wait = Math.min(
        options.pollIntervalMs ?? 500,
        Math.max(deadline - Date.now(), 1),
      );
      await once(appended, runId, { signal: AbortSignal.timeout(wait) }).catch(
        () => undefined,
      );
      events = await store.listEvents(runId, after);
    }
    res.json({
      events,
      cursor: events.length ? events[events.length - 1].seq : after,
    });
  });

  return router;
}
