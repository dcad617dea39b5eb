import type { Manifest } from './render';

/**
 * What `helm lint` and a reviewer would refuse in a chart's rendered objects: names and labels
 * Kubernetes refuses, workloads whose selector misses their pods, containers without requests,
 * Services and Ingresses that route nowhere, cron schedules that do not parse. The API server's
 * own validation of each object is the sandbox's (server-side dry run).
 */
export interface LintProblem {
  /** `Deployment/shop` */
  object: string;
  field: string;
  message: string;
}

const SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CRON_MACROS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);
const CRON_ATOM = String.raw`(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?`;
const CRON_FIELD = new RegExp(`^${CRON_ATOM}(,${CRON_ATOM})*$`);

/** Whether `schedule` is a standard five-field cron expression or one of cron's macros. */
export function isCronSchedule(schedule: string): boolean {
  if (CRON_MACROS.has(schedule)) return true;
  const fields = schedule.trim().split(/\s+/);
  return fields.length === 5 && fields.every(f => CRON_FIELD.test(f));
}

const selects = (
  selector: Record<string, string>,
  labels: Record<string, string>,
) =>
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function podTemplate(
  m: Manifest,
): { path: string; spec: any; labels: any } | undefined {
  if (m.kind === 'Deployment')
    return {
      path: 'spec.template',
      spec: m.spec?.template?.spec,
      labels: m.spec?.template?.metadata?.labels ?? {},
    };
  if (m.kind === 'CronJob')
    return {
      path: 'spec.jobTemplate.spec.template',
      spec: m.spec?.jobTemplate?.spec?.template?.spec,
      labels: m.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {},
    };
  return undefined;
}

/** The problems of a chart's rendered objects; none when it may be applied. */
export function lintChart(
  manifests: Manifest[],
  secretName: string,
): LintProblem[] {
  const problems: LintProblem[] = [];
  for (const m of manifests) {
    const object = `${m.kind}/${m.metadata?.name}`;
    const problem = (field: string, message: string) =>
      problems.push({ object, field, message });
    if (!m.apiVersion) problem('apiVersion', 'is required');
    const name = m.metadata?.name ?? '';
    const nameRule = m.kind === 'Service' ? DNS1035 : SUBDOMAIN;
    if (!nameRule.test(name) || name.length > (m.kind === 'Service' ? 63 : 253))
      problem(
        'metadata.name',
        `"${name}" is not a valid ${
          m.kind
        } name (lower-case letters, digits and dashes${
          m.kind === 'Service' ? ', starting with a letter, at most 63' : ''
        })`,
      );
    for (const [key, value] of Object.entries(m.metadata?.labels ?? {}))
      if (!LABEL_VALUE.test(value) || value.length > 63)
        problem(
          `metadata.labels[${key}]`,
          `"${value}" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`,
        );
    const pod = podTemplate(m);
    if (pod) {
      if (
        m.kind === 'Deployment' &&
        !selects(m.spec?.selector?.matchLabels ?? {}, pod.labels)
      )
        problem(
          'spec.selector',
          'does not select the labels of its pod template',
        );
      if (
        m.kind === 'CronJob' &&
        !['OnFailure', 'Never'].includes(pod.spec?.restartPolicy)
      )
        problem(
          `${pod.path}.spec.restartPolicy`,
          'must be OnFailure or Never for a job',
        );
      const containers: any[] = pod.spec?.containers ?? [];
      if (!containers.length)
        problem(`${pod.path}.spec.containers`, 'is empty');
      containers.forEach((c, i) => {
        const at = `${pod.path}.spec.containers[${i}]`;
        if (!c.image) problem(`${at}.image`, 'is required');
        const requests = c.resources?.requests ?? {};
        if (!requests.cpu || !requests.memory)
          problem(
            `${at}.resources.requests`,
            'must set cpu and memory: the scheduler places pods by them',
          );
        if (!c.resources?.limits?.memory)
          problem(
            `${at}.resources.limits.memory`,
            "must be set: a pod without it may take its node's memory",
          );
        for (const e of c.env ?? []) {
          if (!ENV_NAME.test(e.name))
            problem(
              `${at}.env[${e.name}]`,
              'is not a valid environment variable name',
            );
          const ref = e.valueFrom?.secretKeyRef;
          if (ref && ref.name !== secretName)
            problem(
              `${at}.env[${e.name}]`,
              `reads Secret ${ref.name}, not the app's Secret ${secretName}`,
            );
        }
        if (c.ports?.length && !c.readinessProbe)
          problem(
            `${at}.readinessProbe`,
            'is required for a container that serves a port',
          );
      });
    }
    if (m.kind === 'CronJob' && !isCronSchedule(String(m.spec?.schedule ?? '')))
      problem(
        'spec.schedule',
        `"${
          m.spec?.schedule ?? ''
        }" is not a cron schedule (five fields, or @hourly, @daily...)`,
      );
    if (m.kind === 'Service') {
      const pods = manifests
        .map(podTemplate)
        .filter(p => p && selects(m.spec?.selector ?? {}, p.labels));
      if (!pods.length)
        problem('spec.selector', 'selects no pods of the chart');
      const containerPorts = new Set(
        pods.flatMap(p =>
          (p!.spec?.containers ?? []).flatMap((c: any) =>
            (c.ports ?? []).map((cp: any) => cp.containerPort),
          ),
        ),
      );
      for (const p of m.spec?.ports ?? [])
        if (!containerPorts.has(p.targetPort))
          problem(
            'spec.ports',
            `targetPort ${p.targetPort} is no port of the pods it selects`,
          );
    }
    if (m.kind === 'Ingress')
      for (const rule of m.spec?.rules ?? [])
        for (const path of rule.http?.paths ?? []) {
          const backend = path.backend?.service;
          const target = manifests.find(
            s => s.kind === 'Service' && s.metadata.name === backend?.name,
          );
          if (
            !target ||
            !(target.spec?.ports ?? []).some(
              (p: any) => p.port === backend?.port?.number,
            )
          )
            problem(
              'spec.rules',
              `${rule.host}${path.path} routes to ${backend?.name}:${backend?.port?.number}, which is no Service port of the chart`,
            );
        }
  }
  return problems;
}
