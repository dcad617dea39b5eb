import { randomInt } from 'node:crypto';

type Obj = Record<string, any> & { metadata: Record<string, any> };

/** A message of the API server's, for a write it refuses as invalid (422). */
export class InvalidObject extends Error {}

const fill = (target: Record<string, any>, defaults: Record<string, any>) => {
  for (const [k, v] of Object.entries(defaults))
    if (target[k] === undefined) target[k] = v;
};

/**
 * Kubernetes' image pull policy default: `Always` for `:latest` or an image without a tag or
 * digest, `IfNotPresent` otherwise.
 */
const pullPolicy = (image: string) => {
  const name = image.split('/').pop() ?? '';
  return image.includes('@') ||
    (name.includes(':') && !name.endsWith(':latest'))
    ? 'IfNotPresent'
    : 'Always';
};

function podSpecDefaults(spec: Record<string, any>) {
  fill(spec, {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    securityContext: {},
  });
  for (const c of [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
  ]) {
    fill(c, {
      imagePullPolicy: pullPolicy(String(c.image ?? '')),
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
    });
    for (const p of c.ports ?? []) fill(p, { protocol: 'TCP' });
  }
}

/** A kind as the API server names it in its messages (`Deployment.apps`). */
export const qualifiedKind = (kind: string) =>
  ({ Deployment: 'Deployment.apps', Ingress: 'Ingress.networking.k8s.io' }[
    kind
  ] ?? kind);

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

/**
 * What the API server stores of a written object: its defaults (those of the v1 API reference for
 * the kinds the sandbox serves), a Secret's write-only `stringData` merged into `data` ("never
 * output when reading from the API"), a Service's cluster IP allocated on create and kept when an
 * update leaves it out (as the API server keeps it), and refused when an update changes it.
 */
export function stored(
  kind: string,
  written: Obj,
  previous: Obj | undefined,
  takenIps: Set<string>,
): Obj {
  const obj: Obj = JSON.parse(JSON.stringify(written));
  obj.spec ??= kind === 'Secret' ? undefined : {};
  switch (kind) {
    case 'Secret': {
      if (obj.stringData) {
        obj.data ??= {};
        for (const [k, v] of Object.entries<string>(obj.stringData))
          obj.data[k] = Buffer.from(String(v)).toString('base64');
        delete obj.stringData;
      }
      fill(obj, { type: 'Opaque' });
      if (previous && previous.type !== obj.type)
        throw new InvalidObject(
          `Secret "${obj.metadata.name}" is invalid: type: Invalid value: "${obj.type}": field is immutable`,
        );
      break;
    }
    case 'Namespace':
      obj.metadata.labels = {
        ...obj.metadata.labels,
        'kubernetes.io/metadata.name': obj.metadata.name,
      };
      fill(obj.spec, { finalizers: ['kubernetes'] });
      break;
    case 'Deployment': {
      const errors = deploymentErrors(obj);
      if (errors.length)
        throw new InvalidObject(
          `Deployment.apps "${obj.metadata.name}" is invalid: ${
            errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`
          }`,
        );
      const spec = obj.spec;
      fill(spec, {
        replicas: 1,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        strategy: { type: 'RollingUpdate' },
      });
      if (spec.strategy.type === 'RollingUpdate')
        fill((spec.strategy.rollingUpdate ??= {}), {
          maxUnavailable: '25%',
          maxSurge: '25%',
        });
      podSpecDefaults((spec.template ??= {}).spec ?? {});
      break;
    }
    case 'Service': {
      const spec = obj.spec;
      fill(spec, {
        type: 'ClusterIP',
        sessionAffinity: 'None',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
      });
      for (const p of spec.ports ?? [])
        fill(p, { protocol: 'TCP', targetPort: p.port });
      const kept = previous?.spec?.clusterIP;
      if (kept && spec.clusterIP && spec.clusterIP !== kept)
        throw new InvalidObject(
          `Service "${obj.metadata.name}" is invalid: spec.clusterIPs[0]: Invalid value: []string{"${spec.clusterIP}"}: may not change once set`,
        );
      const allocates =
        spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
      if (allocates && !spec.clusterIP) {
        let ip = kept;
        while (!ip) {
          const candidate = `10.100.${randomInt(0, 256)}.${randomInt(1, 255)}`;
          if (!takenIps.has(candidate)) ip = candidate;
        }
        spec.clusterIP = ip;
      }
      if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
      break;
    }
    default:
  }
  if (obj.spec === undefined) delete obj.spec;
  return obj;
}
