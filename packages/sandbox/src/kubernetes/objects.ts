import { randomInt } from 'node:crypto';

import { validationError } from './validation';

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
  const invalid = validationError(kind, written);
  if (invalid) throw new InvalidObject(invalid);
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
    case 'CronJob': {
      fill(obj.spec, {
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
      });
      const job = ((obj.spec.jobTemplate ??= {}).spec ??= {});
      podSpecDefaults((job.template ??= {}).spec ?? {});
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
