import {
  coreServices,
  createServiceFactory,
  type RootConfigService,
} from '@backstage/backend-plugin-api';
import {
  DefaultAuditorService,
  type AuditorEvent,
} from '@backstage/backend-defaults/auditor';
import {
  AUDIT_SEVERITIES,
  type AuditSeverity,
} from '@konductor/plugin-audit-common';
import type { JsonObject } from '@backstage/types';
import { InputError } from '@backstage/errors';
import { auditTrailServiceRef } from './auditTrailService';
import type { NewAuditRecord } from './AuditTrailStore';

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Backstage's mapping of auditor severities to log levels (`backend.auditor`), with its defaults. */
function logLevels(config: RootConfigService): Record<AuditSeverity, LogLevel> {
  const level = (severity: AuditSeverity, fallback: LogLevel) =>
    (config.getOptionalString(
      `backend.auditor.severityLogLevelMappings.${severity}`,
    ) ?? fallback) as LogLevel;
  return {
    low: level('low', 'debug'),
    medium: level('medium', 'info'),
    high: level('high', 'info'),
    critical: level('critical', 'info'),
  };
}

/** What an event acted on, from the fields plugins put in its meta. */
export function subjectOf(meta: JsonObject | undefined): string | undefined {
  if (!meta) return undefined;
  const text = (key: string) =>
    typeof meta[key] === 'string' ? (meta[key] as string) : undefined;
  if (
    text('accountId') &&
    text('region') &&
    text('name') &&
    text('environment')
  )
    return `${meta.accountId}/${meta.region}/${meta.name}-${meta.environment}`;
  return (
    text('stack') ??
    text('entityRef') ??
    text('runId') ??
    text('templateRef') ??
    text('taskId') ??
    text('id')
  );
}

/** The record of an event that ended, or undefined for one that only started. */
export function recordOf(
  event: AuditorEvent,
  at: Date,
): NewAuditRecord | undefined {
  if (event.status === 'initiated') return undefined;
  const action = event.meta?.actionType;
  // Work a plugin does for a person (a scaffolder task's execution) is that person's.
  const onBehalfOf = event.meta?.createdBy;
  const actor =
    event.actor.actorId?.startsWith('plugin:') && typeof onBehalfOf === 'string'
      ? onBehalfOf
      : event.actor.actorId;
  return {
    at: at.toISOString(),
    plugin: event.plugin,
    eventId: event.eventId,
    ...(typeof action === 'string' ? { action } : {}),
    severity: event.severityLevel,
    status: event.status,
    ...(actor ? { actor } : {}),
    ...(subjectOf(event.meta) ? { subject: subjectOf(event.meta) } : {}),
    ...(event.request ? { request: event.request } : {}),
    ...(event.meta ? { meta: event.meta } : {}),
    ...('error' in event && event.error ? { error: event.error.message } : {}),
  };
}

/**
 * Backstage's auditor, for every plugin, with a memory: each event is logged as Backstage's own
 * auditor logs it, and each that ended at or above `konductor.audit.minimumSeverity` (default
 * medium) is recorded in the audit trail. A record that cannot be written is logged as an error;
 * the audited request is not failed for it.
 */
export const auditorServiceFactory = createServiceFactory({
  service: coreServices.auditor,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.logger,
    auth: coreServices.auth,
    httpAuth: coreServices.httpAuth,
    plugin: coreServices.pluginMetadata,
    trail: auditTrailServiceRef,
  },
  factory({ config, logger, auth, httpAuth, plugin, trail }) {
    const auditLogger = logger.child({ isAuditEvent: true });
    const levels = logLevels(config);
    const least =
      config.getOptionalString('konductor.audit.minimumSeverity') ?? 'medium';
    const minimum = AUDIT_SEVERITIES.indexOf(least as AuditSeverity);
    if (minimum < 0)
      throw new InputError(
        `konductor.audit.minimumSeverity must be one of ${AUDIT_SEVERITIES.join(
          ', ',
        )}, not '${least}'`,
      );
    return DefaultAuditorService.create(
      async event => {
        const level = levels[event.severityLevel];
        if ('error' in event) {
          const { error, ...rest } = event;
          auditLogger
            .child(rest as unknown as JsonObject)
            [level](`${event.plugin}.${event.eventId}`, error);
        } else
          auditLogger[level](
            `${event.plugin}.${event.eventId}`,
            event as unknown as JsonObject,
          );
        if (AUDIT_SEVERITIES.indexOf(event.severityLevel) < minimum) return;
        const record = recordOf(event, new Date());
        if (!record) return;
        await trail
          .record(record)
          .catch(e =>
            logger.error(
              `Audit trail: could not record ${event.plugin}.${
                event.eventId
              }: ${(e as Error).message}`,
            ),
          );
      },
      { plugin, auth, httpAuth },
    );
  },
});
