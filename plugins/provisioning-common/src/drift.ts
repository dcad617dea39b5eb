import { z } from 'zod/v3';

/**
 * What a drift scan found of one resource: `in-sync` (every attribute it reads is as desired),
 * `drifted` (some differ), `missing` (gone, or no longer this stack's and owner's), `unchecked`
 * (its kind reads nothing back, or the read failed: `detail` says which).
 */
export type DriftState = 'in-sync' | 'drifted' | 'missing' | 'unchecked';

/** One attribute whose live value is not the desired one. */
export interface DriftedAttribute {
  /** The resource's spec field, such as `instanceClass`. */
  field: string;
  /** Absent: not set (as a node group that is gone leaves its fields). */
  desired?: unknown;
  actual?: unknown;
  /** When a scan first found this field drifted (it stays while the field stays drifted). */
  firstSeenAt: string;
}

/** A resource of a stack, as the last drift scan found it. */
export interface ResourceDrift {
  resource: string;
  kind: string;
  state: DriftState;
  attributes: DriftedAttribute[];
  detail?: string;
}

/** Answer of `GET /stacks/:accountId/:region/:stackId/drift`. */
export interface StackDrift {
  /** The desired-state version the last scan compared with (none before the first scan). */
  version?: number;
  scannedAt?: string;
  resources: ResourceDrift[];
  /** Set while a scan someone asked for has not reported yet. */
  scanRequestedAt?: string;
}

/** Body of `PUT /stacks/:accountId/:region/:stackId/drift`: a scan's findings (the platform's). */
export const driftReportSchema = z
  .object({
    version: z.number().int().min(1),
    scannedAt: z.string().datetime(),
    resources: z.array(
      z
        .object({
          resource: z.string().min(1),
          kind: z.string().min(1),
          state: z.enum(['in-sync', 'drifted', 'missing', 'unchecked']),
          attributes: z.array(
            z
              .object({
                field: z.string().min(1),
                desired: z.unknown(),
                actual: z.unknown(),
              })
              .strict(),
          ),
          detail: z.string().optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type DriftReport = z.input<typeof driftReportSchema>;

/**
 * The events-service topic on which the provisioning backend asks for one stack's drift scan
 * (someone pressed *Check for drift*), with payload {@link DriftScanRequest}.
 */
export const DRIFT_SCAN_REQUESTED_TOPIC =
  'konductor.provisioning.drift-scan-requested';

/**
 * The events-service topic on which the provisioning backend announces a drift scan's findings
 * (compliance evaluates the stack's resources again), with payload {@link DriftScanRequest}: the
 * stack scanned.
 */
export const DRIFT_REPORTED_TOPIC = 'konductor.provisioning.drift-reported';

/** Payload of {@link DRIFT_SCAN_REQUESTED_TOPIC}: the stack to scan. */
export interface DriftScanRequest {
  accountId: string;
  region: string;
  stackId: string;
}

/** A stack's current desired state, as a drift scan reads it (`GET /desired-states`). */
export interface DesiredStackState {
  accountId: string;
  region: string;
  stackId: string;
  owner: string;
  /** The stack's last version, and its spec. */
  version: number;
  spec: Record<string, unknown>;
  /** Whether a run holds the stack now (a scan would see it half-changed). */
  running: boolean;
}

/** Answer of `GET /desired-states`: a page of every stack that has a version, in key order. */
export interface DesiredStackStateList {
  items: DesiredStackState[];
  totalCount: number;
}

/** Whether a scan found the resource other than its desired state (changed, or gone). */
export function isDrifted(resource: Pick<ResourceDrift, 'state'>): boolean {
  return resource.state === 'drifted' || resource.state === 'missing';
}

/**
 * The spec as the cloud has it, by the last drift scan: `spec` (the version the scan compared
 * with) with each drifted attribute's actual value, and without the resources found missing.
 * Undefined when the scan is of another version or found nothing that differs.
 */
export function liveSpecOf<S extends { resources: Record<string, unknown> }>(
  spec: S,
  version: number,
  drift: StackDrift | undefined,
): S | undefined {
  if (drift?.version !== version) return undefined;
  const differing = drift.resources.filter(isDrifted);
  if (!differing.length) return undefined;
  const resources: Record<string, unknown> = { ...spec.resources };
  for (const r of differing) {
    const recorded = resources[r.resource] as
      | Record<string, unknown>
      | undefined;
    if (!recorded) continue;
    if (r.state === 'missing') {
      delete resources[r.resource];
      continue;
    }
    const live = { ...recorded };
    for (const a of r.attributes) live[a.field] = a.actual;
    resources[r.resource] = live;
  }
  return { ...spec, resources };
}

/** What *Accept* would fill the change form with, or why it cannot. */
export interface DriftAcceptance {
  /** The form's values with each drifted attribute's live value; absent when anything is refused. */
  values?: Record<string, unknown>;
  /** Each drift the form cannot take, saying why and what to do instead. */
  refusals: string[];
}

const PARAMETER_EXPRESSION =
  /^\$\{\{\s*parameters\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}\}$/;

const at = (value: unknown, path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? (v as Record<string, unknown>)[key]
        : undefined,
    value,
  );

function withValue(
  values: Record<string, unknown>,
  path: string[],
  value: unknown,
): Record<string, unknown> {
  const [key, ...rest] = path;
  if (!rest.length) return { ...values, [key]: value };
  const inner = values[key];
  return {
    ...values,
    [key]: withValue(
      inner && typeof inner === 'object' && !Array.isArray(inner)
        ? (inner as Record<string, unknown>)
        : {},
      rest,
      value,
    ),
  };
}

/**
 * *Accept*: the stack's form values (`values`, those of the run that made the version the scan
 * compared with) with each drifted attribute's live value, so the change run records the live
 * state as the next desired version, through the same plan and compliance gate as any change.
 * An attribute is accepted only where the template's stack step (`steps`) takes it straight
 * from one form parameter (`${{ parameters.x }}`); one the template fixes or computes, and a
 * resource deleted outside Konductor, are refused with the reason.
 */
export function acceptDrift(
  steps: { action: string; input?: unknown }[],
  values: Record<string, unknown>,
  drift: StackDrift,
): DriftAcceptance {
  const stackInputs = steps
    .filter(s => s.action === 'konductor:stack:provision')
    .map(s => s.input);
  const refusals: string[] = [];
  let accepted = values;
  for (const r of drift.resources) {
    if (r.state === 'missing') {
      refusals.push(
        `${r.resource} is gone (${
          r.detail ?? 'deleted outside Konductor'
        }): Revert creates it again, Destroy removes the rest`,
      );
      continue;
    }
    if (r.state !== 'drifted') continue;
    for (const a of r.attributes) {
      const parameters = new Set(
        stackInputs
          .map(input =>
            at(input, ['resources', r.resource, ...a.field.split('.')]),
          )
          .map(expr =>
            typeof expr === 'string'
              ? PARAMETER_EXPRESSION.exec(expr)?.[1]
              : undefined,
          ),
      );
      const [parameter] = [...parameters];
      if (parameters.size !== 1 || !parameter) {
        refusals.push(
          `${r.resource}.${a.field} is not a field of the stack's form (its template sets it or leaves it to the default): Revert, or ask the template's owners to offer it`,
        );
        continue;
      }
      accepted = withValue(accepted, parameter.split('.'), a.actual);
    }
  }
  return refusals.length ? { refusals } : { values: accepted, refusals };
}
