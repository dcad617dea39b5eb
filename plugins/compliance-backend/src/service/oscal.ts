import {
  CHECKS,
  ComplianceCheck,
  CONTROLS,
  CONTROL_CATALOG_SOURCE,
  CheckStatus,
  EntityAttributes,
  StoredResult,
} from '@konductor/plugin-compliance-common';
import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';

/** The OSCAL release the export follows. */
export const OSCAL_VERSION = '1.1.2';
/** Namespace of Konductor's own properties (`props[].ns`) and of its name-based UUIDs. */
export const KONDUCTOR_OSCAL_NS = 'https://konductor.dev/ns/oscal';
const UUID_NS = uuidv5(KONDUCTOR_OSCAL_NS, uuidv5.URL);

/** One stored result, as the export reads it. */
export type ExportedResult = Pick<
  StoredResult,
  'checkId' | 'status' | 'controls' | 'message' | 'evidence' | 'evaluatedAt'
> & { entityRef: string };

/** `IA-5(1)` as the OSCAL SP 800-53 catalog names it: `ia-5.1`. */
export function oscalControlId(id: string): string {
  return id.toLowerCase().replace(/\((\d+)\)/g, '.$1');
}

const componentType = (kind: string) => {
  switch (kind.toLowerCase()) {
    case 'system':
      return 'system';
    case 'component':
      return 'software';
    default:
      return 'service';
  }
};

const prop = (name: string, value: string) => ({
  name,
  ns: KONDUCTOR_OSCAL_NS,
  value,
});

/** Statuses that satisfy a control: a pass, or nothing to check. */
const satisfies = (status: CheckStatus) =>
  status === 'pass' || status === 'not-applicable';

/**
 * The stored results as an OSCAL assessment-results document: one result (this continuous
 * evaluation), the catalog entities as components, one observation per applicable check and
 * entity with its evidence, and one finding per entity and control: `satisfied` when every check
 * evidencing the control passed for that entity. A waived check is `not-satisfied`, with the
 * exemption in its remarks: a waiver accepts a risk, it does not meet the control.
 *
 * Components, observations and findings get name-based (v5) UUIDs, so the same entity, check or
 * finding keeps its id from one export to the next; the document and the result get fresh ones.
 */
export function toAssessmentResults(options: {
  entities: EntityAttributes[];
  results: ExportedResult[];
  /** Where the assessment plan (the checks) can be read: the compliance API's `/controls`. */
  controlsUrl: string;
  now: Date;
  /** The checks evaluated (for their titles); default Konductor's. */
  checks?: ComplianceCheck[];
}) {
  const { entities, now } = options;
  const componentUuid = (ref: string) => uuidv5(`entity:${ref}`, UUID_NS);
  const applicable = options.results.filter(r => r.status !== 'not-applicable');
  const checks = options.checks ?? CHECKS;
  const checkTitle = (id: string) => checks.find(c => c.id === id)?.title ?? id;

  const observations = applicable.map(r => ({
    uuid: uuidv5(`observation:${r.entityRef}:${r.checkId}`, UUID_NS),
    title: checkTitle(r.checkId),
    description: r.message || checkTitle(r.checkId),
    props: [prop('check-id', r.checkId), prop('check-status', r.status)],
    methods: ['TEST'],
    subjects: [
      {
        'subject-uuid': componentUuid(r.entityRef),
        type: 'component',
        title: r.entityRef,
      },
    ],
    ...(r.evidence.length
      ? {
          'relevant-evidence': r.evidence.map(e => ({
            description: e.error
              ? `${e.fact}: could not be read from ${e.source} at ${e.readAt}: ${e.error}`
              : `${e.fact} = ${JSON.stringify(e.value ?? null)} (read from ${
                  e.source
                } at ${e.readAt})`,
          })),
        }
      : {}),
    collected: r.evaluatedAt,
  }));
  const observationOf = new Map(
    applicable.map((r, i) => [`${r.entityRef}:${r.checkId}`, observations[i]]),
  );

  // One finding per entity and control, over the checks that evidence it.
  const byEntityControl = new Map<string, ExportedResult[]>();
  for (const r of applicable)
    for (const control of r.controls) {
      const key = `${r.entityRef}\u0000${control}`;
      byEntityControl.set(key, [...(byEntityControl.get(key) ?? []), r]);
    }
  const findings = [...byEntityControl].map(([key, rs]) => {
    const [entityRef, control] = key.split('\u0000');
    const ok = rs.every(r => satisfies(r.status));
    const waived = rs.filter(r => r.status === 'waived');
    const errors = rs.filter(r => r.status === 'error');
    const title = CONTROLS[control]?.title ?? control;
    return {
      uuid: uuidv5(`finding:${entityRef}:${control}`, UUID_NS),
      title: `${control} ${title}: ${entityRef}`,
      description: rs
        .map(r => `${checkTitle(r.checkId)}: ${r.status}. ${r.message}`)
        .join('\n'),
      props: [prop('entity-ref', entityRef), prop('control-id', control)],
      target: {
        type: 'objective-id',
        'target-id': `${oscalControlId(control)}_obj`,
        status: {
          state: ok ? 'satisfied' : 'not-satisfied',
          ...(ok ? {} : { reason: errors.length ? 'other' : 'fail' }),
        },
        ...(waived.length || errors.length
          ? {
              remarks: [
                ...waived.map(
                  r => `${r.checkId} is waived by an exemption: ${r.message}`,
                ),
                ...errors.map(
                  r =>
                    `${r.checkId} could not be evaluated (a fact source failed): ${r.message}`,
                ),
              ].join('\n'),
            }
          : {}),
      },
      'related-observations': rs.map(r => ({
        'observation-uuid': observationOf.get(`${r.entityRef}:${r.checkId}`)!
          .uuid,
      })),
    };
  });

  const controls = [
    ...new Set(applicable.flatMap(r => r.controls).map(oscalControlId)),
  ].sort();
  const evaluated = applicable.map(r => r.evaluatedAt).sort();
  const planUuid = uuidv5('assessment-plan', UUID_NS);
  const stamp = now.toISOString();

  return {
    'assessment-results': {
      uuid: uuidv4(),
      metadata: {
        title: 'Konductor compliance assessment results',
        'last-modified': stamp,
        version: stamp,
        'oscal-version': OSCAL_VERSION,
        remarks: `Continuous evaluation of catalog entities against NIST SP 800-53 rev 5 controls (${CONTROL_CATALOG_SOURCE}).`,
      },
      'import-ap': { href: `#${planUuid}` },
      results: [
        {
          uuid: uuidv4(),
          title: 'Konductor continuous compliance evaluation',
          description: `The latest result of every check for ${entities.length} catalog entities.`,
          start: evaluated[0] ?? stamp,
          end: stamp,
          ...(entities.length
            ? {
                'local-definitions': {
                  components: entities.map(e => ({
                    uuid: componentUuid(e.entityRef),
                    type: componentType(e.kind),
                    title: e.entityRef,
                    description: `Catalog entity ${e.entityRef}, held to the ${e.level} level.`,
                    props: [
                      prop('entity-ref', e.entityRef),
                      prop('compliance-level', e.level),
                      ...(e.owner ? [prop('owner', e.owner)] : []),
                      ...(e.system ? [prop('system', e.system)] : []),
                      ...(e.environment
                        ? [prop('environment', e.environment)]
                        : []),
                    ],
                    status: { state: 'operational' },
                  })),
                },
              }
            : {}),
          'reviewed-controls': {
            'control-selections': [
              controls.length
                ? {
                    'include-controls': controls.map(id => ({
                      'control-id': id,
                    })),
                  }
                : { description: 'No applicable results.' },
            ],
          },
          ...(observations.length ? { observations } : {}),
          ...(findings.length ? { findings } : {}),
        },
      ],
      'back-matter': {
        resources: [
          {
            uuid: planUuid,
            title: "Konductor's compliance checks (the assessment plan)",
            description:
              'Every check, the controls it evidences, the entities it applies to and its thresholds per level.',
            rlinks: [
              { href: options.controlsUrl, 'media-type': 'application/json' },
            ],
          },
        ],
      },
    },
  };
}
