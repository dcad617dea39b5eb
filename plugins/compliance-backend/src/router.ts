import type {
  AuditorService,
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
  DiscoveryService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  CONTROLS,
  CheckStatus,
  StatusCounts,
  LEVELS,
  complianceExemptionApprovePermission,
  complianceExemptionCreatePermission,
  complianceExemptionDeletePermission,
} from '@konductor/plugin-compliance-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod/v3';
import { csvLine } from '@konductor/plugin-provisioning-common';
import {
  ComplianceStore,
  StoreFilter,
  scoreOf,
} from './service/ComplianceStore';
import type { Evaluator } from './service/Evaluator';
import { toAssessmentResults } from './service/oscal';

const filterSchema = z
  .object({
    owner: z.string().min(1).optional(),
    system: z.string().min(1).optional(),
    environment: z.enum(['dev', 'staging', 'prod']).optional(),
    kind: z.string().min(1).optional(),
    level: z.enum(LEVELS).optional(),
  })
  .strict();

const entitiesQuerySchema = filterSchema
  .extend({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const summarySchema = filterSchema
  .extend({
    groupBy: z.enum(['owner', 'system', 'environment', 'control', 'check']),
    /** A second dimension: each group's counts per owner, system or environment (a heat map). */
    by: z.enum(['owner', 'system', 'environment']).optional(),
  })
  .strict();

/** An exemption request; `checkIds`: the checks that exist (Konductor's and modules'). */
const exemptionSchema = (checkIds: string[]) =>
  z
    .object({
      entityRef: z.string().min(1),
      checkId: z.enum(checkIds as [string, ...string[]]),
      justification: z
        .string()
        .min(10, 'say why the check does not apply (10 characters or more)'),
      expiresAt: z
        .string()
        .datetime({ offset: true, message: 'must be an ISO date-time' })
        .refine(d => new Date(d) > new Date(), 'must be in the future'),
    })
    .strict();

/** A decision's words to the requester: required for a rejection, optional for an approval. */
const comment = z.string().trim().max(2000, 'keep it to 2,000 characters');
const decisionSchemas = {
  approve: z
    .object({ comment: comment.optional() })
    .strict()
    .transform(d => ({ comment: d.comment || undefined })),
  reject: z
    .object({
      comment: comment.pipe(
        z.string().min(10, 'tell the requester why (10 characters or more)'),
      ),
    })
    .strict(),
};

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
      .map(i =>
        i.code === 'unrecognized_keys'
          ? `unknown ${i.keys.join(', ')}`
          : `${i.path.join('.') || '(body)'}: ${i.message}`,
      )
      .join('; ')}`,
  );
}

export interface RouterOptions {
  store: ComplianceStore;
  /** The longest an exemption may last, in days (`konductor.compliance.exemptions.maxDays`). */
  maxExemptionDays: number;
  evaluator: Evaluator;
  catalog: CatalogService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  discovery: DiscoveryService;
  /** Tells requesters of their exemptions' decisions. */
  notifications: NotificationService;
  logger: LoggerService;
}

/** The compliance API: entity status and history, summaries, exemptions, the control catalog. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    store,
    evaluator,
    catalog,
    httpAuth,
    permissions,
    auditor,
    notifications,
    logger,
  } = options;
  const router = Router();
  router.use(express.json());
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const refOf = (p: { kind: string; namespace: string; name: string }) =>
    stringifyEntityRef(p);

  /**
   * `filter`, narrowed to the entities the caller may read in the catalog: all of them when the
   * policy allows reading every entity, otherwise those the catalog returns to the caller.
   */
  async function readable(
    credentials: BackstageCredentials<
      BackstageUserPrincipal | BackstageServicePrincipal
    >,
    filter: StoreFilter,
  ): Promise<StoreFilter> {
    if (credentials.principal.type === 'service') return filter;
    const [decision] = await permissions.authorizeConditional(
      [{ permission: catalogEntityReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return filter;
    if (decision.result === AuthorizeResult.DENY)
      return { ...filter, entityRefs: [] };
    const { items } = await catalog.getEntities(
      { fields: ['kind', 'metadata.namespace', 'metadata.name'] },
      { credentials },
    );
    return { ...filter, entityRefs: items.map(e => stringifyEntityRef(e)) };
  }

  /** The entity as the caller may see it in the catalog, or 404. */
  async function readableEntity(req: express.Request, entityRef: string) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity)
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    return entity;
  }

  router.get('/controls', async (_req, res) => {
    res.json({
      controls: Object.values(CONTROLS),
      checks: evaluator.checks.map(({ evaluate: _, ...check }) => check),
    });
  });

  // A page of the entities, worst score first, with the posture of all that match.
  router.get('/entities', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { limit, offset, ...filter } = parse(
      entitiesQuerySchema,
      req.query,
      'filters',
    );
    const all = (
      await store.listEntities(await readable(credentials, filter))
    ).sort(
      (a, b) =>
        (a.score ?? 101) - (b.score ?? 101) ||
        a.entityRef.localeCompare(b.entityRef),
    );
    const counts: StatusCounts = {};
    for (const e of all)
      for (const [status, n] of Object.entries(e.counts))
        counts[status as CheckStatus] =
          (counts[status as CheckStatus] ?? 0) + (n ?? 0);
    const scores = all.map(e => e.score).filter((v): v is number => v !== null);
    res.json({
      items: all.slice(offset, offset + limit),
      totalCount: all.length,
      posture: {
        counts,
        score: scores.length
          ? Math.round(
              (10 * scores.reduce((a, b) => a + b, 0)) / scores.length,
            ) / 10
          : null,
      },
    });
  });

  // The values the dashboard's filters offer: those of the entities the caller may read.
  router.get('/facets', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const all = await store.listEntities(await readable(credentials, {}));
    const values = (
      key: 'owner' | 'system' | 'environment' | 'kind' | 'level',
    ) =>
      [...new Set(all.map(e => e[key]).filter((v): v is string => !!v))].sort();
    res.json({
      owner: values('owner'),
      system: values('system'),
      environment: values('environment'),
      kind: values('kind'),
      level: values('level'),
    });
  });

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    const entityRef = refOf(req.params);
    await readableEntity(req, entityRef);
    const status = await store.getEntity(entityRef);
    const since = new Date(Date.now() - 90 * 24 * 3600 * 1000);
    res.json({
      ...status,
      history: await store.history(entityRef, since),
      exemptions: await store.listExemptions({ entityRef }),
    });
  });

  // Evaluates one entity now (its facts read live), e.g. after fixing a repository setting.
  router.post('/entities/:kind/:namespace/:name/evaluate', async (req, res) => {
    const entityRef = refOf(req.params);
    const entity = await readableEntity(req, entityRef);
    await evaluator.evaluate([entity]);
    res.json(await store.getEntity(entityRef));
  });

  router.get('/summary', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { groupBy, by, ...query } = parse(
      summarySchema,
      req.query,
      'summary query',
    );
    const filter = await readable(credentials, query);
    const groups = new Map<
      string,
      {
        entities: Set<string>;
        counts: StatusCounts;
        cells: Map<string, StatusCounts>;
      }
    >();
    const add = (
      key: string,
      cell: string | undefined,
      entityRef: string,
      status: CheckStatus,
    ) => {
      const g = groups.get(key) ?? {
        entities: new Set<string>(),
        counts: {} as StatusCounts,
        cells: new Map<string, StatusCounts>(),
      };
      g.entities.add(entityRef);
      g.counts[status] = (g.counts[status] ?? 0) + 1;
      if (cell !== undefined) {
        const c: StatusCounts = g.cells.get(cell) ?? {};
        c[status] = (c[status] ?? 0) + 1;
        g.cells.set(cell, c);
      }
      groups.set(key, g);
    };
    const attributes = new Map(
      (await store.listEntities(filter)).map(e => [e.entityRef, e]),
    );
    for (const r of await store.listResults(filter)) {
      const e = attributes.get(r.entityRef)!;
      let keys = [e[groupBy as 'owner'] ?? '(none)'];
      if (groupBy === 'control') keys = r.controls;
      if (groupBy === 'check') keys = [r.checkId];
      const cell = by ? e[by] ?? '(none)' : undefined;
      for (const key of keys) add(key, cell, r.entityRef, r.status);
    }
    res.json({
      groupBy,
      groups: [...groups]
        .map(([key, g]) => ({
          key,
          ...(groupBy === 'control' && CONTROLS[key]
            ? { title: CONTROLS[key].title, family: CONTROLS[key].family }
            : {}),
          entities: g.entities.size,
          counts: g.counts,
          score: scoreOf(g.counts),
          ...(by
            ? {
                cells: Object.fromEntries(
                  [...g.cells].map(([k, counts]) => [
                    k,
                    { counts, score: scoreOf(counts) },
                  ]),
                ),
              }
            : {}),
        }))
        .sort(
          (a, b) =>
            (a.score ?? 101) - (b.score ?? 101) || a.key.localeCompare(b.key),
        ),
    });
  });

  // The average entity score at the end of each of the last `days` days (scores carried forward).
  router.get('/trend', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { days, ...query } = parse(
      filterSchema
        .extend({ days: z.coerce.number().int().min(1).max(365).default(30) })
        .strict(),
      req.query,
      'trend query',
    );
    const changes = await store.scoreHistory(
      await readable(credentials, query),
    );
    const today = new Date();
    today.setUTCHours(23, 59, 59, 999);
    const latest = new Map<string, number | null>();
    const points = [];
    let i = 0;
    for (let d = days - 1; d >= 0; d--) {
      const end = new Date(today.getTime() - d * 86_400_000).toISOString();
      for (; i < changes.length && changes[i].at <= end; i++)
        latest.set(changes[i].entityRef, changes[i].score);
      const scores = [...latest.values()].filter(
        (s): s is number => s !== null,
      );
      if (scores.length)
        points.push({
          at: end,
          score:
            Math.round(
              (10 * scores.reduce((a, b) => a + b, 0)) / scores.length,
            ) / 10,
          entities: scores.length,
        });
    }
    res.json({ points });
  });

  // Every result of the entities matching the filters, one row per entity and check.
  router.get('/export.csv', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const filter = await readable(
      credentials,
      parse(filterSchema, req.query, 'filters'),
    );
    const attributes = new Map(
      (await store.listEntities(filter)).map(e => [e.entityRef, e]),
    );
    const header = [
      'entity',
      'kind',
      'owner',
      'system',
      'environment',
      'level',
      'check',
      'controls',
      'status',
      'message',
      'evaluated_at',
    ];
    const lines = [csvLine(header)];
    for (const r of await store.listResults(filter)) {
      const e = attributes.get(r.entityRef)!;
      lines.push(
        csvLine([
          r.entityRef,
          e.kind,
          e.owner,
          e.system,
          e.environment,
          e.level,
          r.checkId,
          r.controls.join(' '),
          r.status,
          r.message,
          r.evaluatedAt,
        ]),
      );
    }
    res
      .type('text/csv')
      .attachment('konductor-compliance.csv')
      .send(lines.join(''));
  });

  // The same results as an OSCAL assessment-results document, for auditors' tools.
  router.get('/export.oscal.json', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const filter = await readable(
      credentials,
      parse(filterSchema, req.query, 'filters'),
    );
    const document = toAssessmentResults({
      entities: await store.listEntities(filter),
      results: await store.listResults(filter),
      controlsUrl: `${await options.discovery.getExternalBaseUrl(
        'compliance',
      )}/controls`,
      now: new Date(),
      checks: evaluator.checks,
    });
    res
      .type('application/json')
      .attachment('konductor-assessment-results.json')
      .send(JSON.stringify(document, null, 2));
  });

  router.get('/exemptions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { entityRef } = parse(
      z.object({ entityRef: z.string().optional() }).strict(),
      req.query,
      'query',
    );
    const { entityRefs } = await readable(credentials, {});
    res.json({
      items: (await store.listExemptions({ entityRef })).filter(
        e => !entityRefs || entityRefs.includes(e.entityRef),
      ),
    });
  });

  router.post('/exemptions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const body = parse(
      exemptionSchema(evaluator.checks.map(c => c.id)),
      req.body,
      'exemption',
    );
    const audit = await auditor.createEvent({
      eventId: 'exemption-create',
      severityLevel: 'medium',
      request: req,
      meta: body,
    });
    try {
      const [decision] = await permissions.authorize(
        [
          {
            permission: complianceExemptionCreatePermission,
            resourceRef: body.entityRef,
          },
        ],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW)
        throw new NotAllowedError(
          `You may not request exemptions for ${body.entityRef}: only its owners and platform admins may`,
        );
      await readableEntity(req, body.entityRef);
      const latest = new Date(
        Date.now() + options.maxExemptionDays * 86_400_000,
      );
      if (new Date(body.expiresAt) > latest)
        throw new InputError(
          `expiresAt: an exemption lasts at most ${
            options.maxExemptionDays
          } days (konductor.compliance.exemptions.maxDays): choose ${latest
            .toISOString()
            .slice(0, 10)} or earlier`,
        );
      // A request: it waives nothing until someone else approves it.
      const exemption = await store.createExemption({
        ...body,
        expiresAt: new Date(body.expiresAt).toISOString(),
        createdBy: credentials.principal.userEntityRef,
      });
      await audit.success({ meta: { id: exemption.id } });
      res.status(201).json(exemption);
    } catch (error) {
      await audit.fail({ error: error as Error });
      throw error;
    }
  });

  /**
   * Approving or rejecting a request: an approver's decision, never the requester's, while the
   * request waits and has not expired. The requester is told, with the rejecter's words.
   */
  const decide =
    (action: 'approve' | 'reject') =>
    async (req: express.Request, res: express.Response) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const audit = await auditor.createEvent({
        eventId: `exemption-${action}`,
        severityLevel: 'medium',
        request: req,
        meta: { id: req.params.id },
      });
      try {
        const { comment: said } = parse(
          decisionSchemas[action],
          req.body ?? {},
          action === 'approve' ? 'approval' : 'rejection',
        );
        const [decision] = await permissions.authorize(
          [{ permission: complianceExemptionApprovePermission }],
          { credentials },
        );
        if (decision.result !== AuthorizeResult.ALLOW)
          throw new NotAllowedError(
            `You may not ${action} exemptions: only platform admins may`,
          );
        const exemption = await store.getExemption(req.params.id);
        const me = credentials.principal.userEntityRef;
        if (exemption.createdBy === me)
          throw new NotAllowedError(
            action === 'approve'
              ? 'You requested this exemption: someone else must approve it'
              : 'You requested this exemption: withdraw it instead',
          );
        if (new Date(exemption.expiresAt) <= new Date())
          throw new ConflictError(
            `Exemption ${exemption.id} expired on ${exemption.expiresAt}: request a new one`,
          );
        const decided =
          action === 'approve'
            ? await store.approveExemption(exemption.id, me, said)
            : await store.rejectExemption(exemption.id, me, said!);
        if (!decided)
          throw new ConflictError(
            `Exemption ${exemption.id} is already ${
              (await store.getExemption(exemption.id)).status
            }`,
          );
        // The waiver shows at once.
        const entity =
          action === 'approve' &&
          (await catalog.getEntityByRef(exemption.entityRef, { credentials }));
        if (entity) await evaluator.evaluate([entity]);
        const ref = parseEntityRef(exemption.entityRef);
        // The decision stands whether or not the requester could be told.
        await notifications
          .send({
            recipients: { type: 'entity', entityRef: exemption.createdBy },
            payload: {
              title: `Exemption ${
                action === 'approve' ? 'approved' : 'rejected'
              }: ${exemption.checkId} of ${exemption.entityRef}`,
              description:
                action === 'approve'
                  ? `${me} approved it: the check is waived until ${
                      exemption.expiresAt
                    }.${said ? ` ${said}` : ''}`
                  : `${me} rejected it: ${said}`,
              link: `/catalog/${ref.namespace}/${ref.kind}/${ref.name}/compliance`,
              severity: 'normal',
              topic: 'compliance-exemption',
            },
          })
          .catch(error =>
            logger.warn(
              `Exemption ${exemption.id} ${action}d, but its requester was not notified: ${error}`,
            ),
          );
        await audit.success({ meta: { entityRef: exemption.entityRef } });
        res.json(await store.getExemption(exemption.id));
      } catch (error) {
        await audit.fail({ error: error as Error });
        throw error;
      }
    };
  router.post('/exemptions/:id/approve', decide('approve'));
  router.post('/exemptions/:id/reject', decide('reject'));

  router.delete('/exemptions/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const audit = await auditor.createEvent({
      eventId: 'exemption-delete',
      severityLevel: 'medium',
      request: req,
      meta: { id: req.params.id },
    });
    try {
      const exemption = await store.getExemption(req.params.id);
      const [decision] = await permissions.authorize(
        [
          {
            permission: complianceExemptionDeletePermission,
            resourceRef: exemption.entityRef,
          },
        ],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW)
        throw new NotAllowedError(
          `You may not withdraw exemptions of ${exemption.entityRef}: only its owners and platform admins may`,
        );
      await store.deleteExemption(exemption.id);
      const entity = await catalog.getEntityByRef(exemption.entityRef, {
        credentials,
      });
      if (entity) await evaluator.evaluate([entity]);
      await audit.success();
      res.status(204).end();
    } catch (error) {
      await audit.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}
