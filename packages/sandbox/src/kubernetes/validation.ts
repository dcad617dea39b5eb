type Obj = Record<string, any> & { metadata: Record<string, any> };

/** A kind as the API server names it in its messages (`Deployment.apps`). */
export const qualifiedKind = (kind: string) =>
  ({
    Deployment: 'Deployment.apps',
    Ingress: 'Ingress.networking.k8s.io',
    CronJob: 'CronJob.batch',
    SecretProviderClass: 'SecretProviderClass.secrets-store.csi.x-k8s.io',
  }[kind] ?? kind);

const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/**
 * Why the API server refuses `name` for an object of `kind`, in its words, or undefined: a
 * Namespace's is an RFC 1123 label, a Service's a DNS-1035 label (it becomes a DNS name), every
 * other kind's an RFC 1123 subdomain.
 */
export function nameError(kind: string, name: unknown): string | undefined {
  const prefix = `${qualifiedKind(kind)} "${
    name ?? ''
  }" is invalid: metadata.name:`;
  if (typeof name !== 'string' || !name)
    return `${prefix} Required value: name or generateName is required`;
  const rules: Record<string, [RegExp, string, number]> = {
    Namespace: [/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, LABEL, 63],
    Service: [/^[a-z]([-a-z0-9]*[a-z0-9])?$/, DNS1035, 63],
  };
  const [pattern, rule, max] = rules[kind] ?? [
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    SUBDOMAIN,
    253,
  ];
  const problems = [
    ...(name.length > max ? [`must be no more than ${max} characters`] : []),
    ...(pattern.test(name) ? [] : [rule]),
  ];
  return problems.length
    ? `${prefix} Invalid value: ${JSON.stringify(name)}: ${problems.join(', ')}`
    : undefined;
}

/** Go's `%#v` of a string map, as the API server prints an invalid value. */
const goMap = (m: Record<string, string> = {}) =>
  `map[string]string{${Object.keys(m)
    .sort()
    .map(k => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`)
    .join(', ')}}`;

/** Whether `labels` satisfy a LabelSelector's matchLabels and matchExpressions. */
function selects(selector: Obj, labels: Record<string, string> = {}) {
  const exprs: Obj[] = selector.matchExpressions ?? [];
  return (
    Object.entries<string>(selector.matchLabels ?? {}).every(
      ([k, v]) => labels[k] === v,
    ) &&
    exprs.every(e => {
      const has = e.key in labels;
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(labels[e.key]);
        case 'NotIn':
          return !has || !(e.values ?? []).includes(labels[e.key]);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    })
  );
}

/**
 * What the API server's validation refuses in a Deployment (apps/v1), in its words: no selector,
 * a selector its template's labels do not satisfy, no containers, a container without a name or
 * an image. The rest of its validation is not modelled.
 */
function deploymentErrors(obj: Obj): string[] {
  const errors: string[] = [];
  const selector = obj.spec?.selector;
  const labels = obj.spec?.template?.metadata?.labels;
  if (
    !selector ||
    (!Object.keys(selector.matchLabels ?? {}).length &&
      !(selector.matchExpressions ?? []).length)
  )
    errors.push('spec.selector: Required value');
  else if (!selects(selector, labels))
    errors.push(
      `spec.template.metadata.labels: Invalid value: ${goMap(
        labels,
      )}: \`selector\` does not match template \`labels\``,
    );
  const containers: Obj[] = obj.spec?.template?.spec?.containers ?? [];
  if (!containers.length)
    errors.push('spec.template.spec.containers: Required value');
  containers.forEach((c, i) => {
    for (const field of ['name', 'image'])
      if (!c[field])
        errors.push(
          `spec.template.spec.containers[${i}].${field}: Required value`,
        );
  });
  return errors;
}

const between = (v: unknown) =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

/**
 * What the API server's validation refuses in a Service's ports: none (unless headless or
 * ExternalName), a port or numeric target port outside 1-65535, a protocol other than TCP, UDP or
 * SCTP, and an unnamed port among several.
 */
function serviceErrors(obj: Obj): string[] {
  const errors: string[] = [];
  const spec = obj.spec ?? {};
  const ports: Obj[] = spec.ports ?? [];
  if (
    !ports.length &&
    spec.clusterIP !== 'None' &&
    spec.type !== 'ExternalName'
  )
    errors.push('spec.ports: Required value');
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errors.push(`${at}.name: Required value`);
    if (!between(p.port))
      errors.push(
        `${at}.port: Invalid value: ${JSON.stringify(
          p.port ?? 0,
        )}: must be between 1 and 65535, inclusive`,
      );
    if (
      p.protocol !== undefined &&
      !['TCP', 'UDP', 'SCTP'].includes(p.protocol)
    )
      errors.push(
        `${at}.protocol: Unsupported value: ${JSON.stringify(
          p.protocol,
        )}: supported values: "SCTP", "TCP", "UDP"`,
      );
    if (typeof p.targetPort === 'number' && !between(p.targetPort))
      errors.push(
        `${at}.targetPort: Invalid value: ${p.targetPort}: must be between 1 and 65535, inclusive`,
      );
  });
  return errors;
}

/** What the API server's validation refuses in an Ingress's paths: a missing or unknown path type, a relative path. */
function ingressErrors(obj: Obj): string[] {
  const errors: string[] = [];
  (obj.spec?.rules ?? []).forEach((rule: Obj, r: number) =>
    (rule.http?.paths ?? []).forEach((p: Obj, i: number) => {
      const at = `spec.rules[${r}].http.paths[${i}]`;
      if (!p.pathType)
        errors.push(
          `${at}.pathType: Required value: pathType must be specified`,
        );
      else if (
        !['Exact', 'Prefix', 'ImplementationSpecific'].includes(p.pathType)
      )
        errors.push(
          `${at}.pathType: Unsupported value: ${JSON.stringify(
            p.pathType,
          )}: supported values: "Exact", "ImplementationSpecific", "Prefix"`,
        );
      else if (
        p.pathType !== 'ImplementationSpecific' &&
        !String(p.path ?? '').startsWith('/')
      )
        errors.push(
          `${at}.path: Invalid value: ${JSON.stringify(
            p.path ?? '',
          )}: must be an absolute path`,
        );
    }),
  );
  return errors;
}

const CONFIG_KEY =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** What the API server's validation refuses in a Secret: a key that is not a valid config key. */
function secretErrors(obj: Obj): string[] {
  return [...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})]
    .filter(
      key => !/^[-._a-zA-Z0-9]+$/.test(key) || key === '.' || key === '..',
    )
    .map(
      key =>
        `data[${key}]: Invalid value: ${JSON.stringify(key)}: ${CONFIG_KEY}`,
    );
}

const CRON_MACROS = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
];
/** Each field's range, as the cron parser Kubernetes uses (robfig/cron's standard parser) has it. */
const CRON_RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];
const CRON_NAMES =
  /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$/i;

/** The cron parser's complaint about `schedule`, in its words, or undefined. */
function cronError(schedule: string): string | undefined {
  if (schedule.startsWith('@'))
    return CRON_MACROS.includes(schedule)
      ? undefined
      : `unrecognized descriptor: ${schedule}`;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5)
    return `expected exactly 5 fields, found ${fields.length}: [${fields.join(
      ' ',
    )}]`;
  for (const [i, field] of fields.entries()) {
    const [min, max] = CRON_RANGES[i];
    for (const part of field.split(',')) {
      const [range, step] = part.split('/');
      if (range === '*' || range === '?') continue;
      const [low, high = low] = range.split('-');
      for (const n of [low, high]) {
        if (CRON_NAMES.test(n) && i >= 3) continue;
        if (!/^\d+$/.test(n))
          return `failed to parse int from ${n}: strconv.Atoi: parsing ${JSON.stringify(
            n,
          )}: invalid syntax`;
      }
      if (/^\d+$/.test(low) && Number(low) < min)
        return `beginning of range (${low}) below minimum (${min}): ${part}`;
      if (/^\d+$/.test(high) && Number(high) > max)
        return `end of range (${high}) above maximum (${max}): ${part}`;
      if (step !== undefined && !/^\d+$/.test(step))
        return `failed to parse int from ${step}: strconv.Atoi: parsing ${JSON.stringify(
          step,
        )}: invalid syntax`;
    }
  }
  return undefined;
}

/**
 * What the API server's validation refuses in a CronJob (batch/v1), in its words: no schedule or
 * one its cron parser refuses, a job template whose pods would restart Always, no containers.
 */
function cronJobErrors(obj: Obj): string[] {
  const errors: string[] = [];
  const schedule = obj.spec?.schedule;
  if (!schedule) errors.push('spec.schedule: Required value');
  else {
    const why = cronError(String(schedule));
    if (why)
      errors.push(
        `spec.schedule: Invalid value: ${JSON.stringify(schedule)}: ${why}`,
      );
  }
  const pod = obj.spec?.jobTemplate?.spec?.template?.spec ?? {};
  const at = 'spec.jobTemplate.spec.template.spec';
  if (!pod.restartPolicy || pod.restartPolicy === 'Always')
    errors.push(
      `${at}.restartPolicy: Required value: valid values: "OnFailure", "Never"`,
    );
  else if (!['OnFailure', 'Never'].includes(pod.restartPolicy))
    errors.push(
      `${at}.restartPolicy: Unsupported value: ${JSON.stringify(
        pod.restartPolicy,
      )}: supported values: "OnFailure", "Never"`,
    );
  const containers: Obj[] = pod.containers ?? [];
  if (!containers.length) errors.push(`${at}.containers: Required value`);
  containers.forEach((c, i) => {
    for (const field of ['name', 'image'])
      if (!c[field])
        errors.push(`${at}.containers[${i}].${field}: Required value`);
  });
  return errors;
}

/**
 * What the SecretProviderClass CRD's schema refuses, in the API server's words: no provider,
 * parameters that are not strings (the AWS provider's `objects` is a YAML string, not a list),
 * secret objects without a name or with data that names no file or key.
 */
function secretProviderClassErrors(obj: Obj): string[] {
  const errors: string[] = [];
  const type = (v: unknown) => {
    if (Array.isArray(v)) return 'array';
    return v === null ? 'null' : typeof v;
  };
  if (typeof obj.spec?.provider !== 'string' || !obj.spec.provider)
    errors.push('spec.provider: Required value');
  for (const [k, v] of Object.entries(obj.spec?.parameters ?? {}))
    if (typeof v !== 'string')
      errors.push(
        `spec.parameters.${k}: Invalid value: "${type(
          v,
        )}": spec.parameters.${k} in body must be of type string: "${type(v)}"`,
      );
  ((obj.spec?.secretObjects ?? []) as Obj[]).forEach((so, i) => {
    if (!so.secretName)
      errors.push(`spec.secretObjects[${i}].secretName: Required value`);
    ((so.data ?? []) as Obj[]).forEach((d, j) => {
      for (const field of ['objectName', 'key'])
        if (typeof d[field] !== 'string' || !d[field])
          errors.push(
            `spec.secretObjects[${i}].data[${j}].${field}: Required value`,
          );
    });
  });
  return errors;
}

const VALIDATORS: Record<string, (obj: Obj) => string[]> = {
  SecretProviderClass: secretProviderClassErrors,
  CronJob: cronJobErrors,
  Deployment: deploymentErrors,
  Service: serviceErrors,
  Ingress: ingressErrors,
  Secret: secretErrors,
};

/**
 * Why the API server's validation refuses `obj` of `kind`, in its words (422), or undefined. The
 * rules modelled are the ones named by each kind's validator; the rest are not.
 */
export function validationError(kind: string, obj: Obj): string | undefined {
  const errors = VALIDATORS[kind]?.(obj) ?? [];
  if (!errors.length) return undefined;
  return `${qualifiedKind(kind)} "${obj.metadata?.name}" is invalid: ${
    errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`
  }`;
}
