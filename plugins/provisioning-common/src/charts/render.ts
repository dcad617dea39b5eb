/**
 * Konductor's chart library: the Kubernetes objects of an app, rendered from its category and the
 * values the stack gives it. One renderer per category, sharing the container and the labels, so
 * every app of a category is shaped the same way. Pure, so the backend applies what the frontend
 * could preview.
 */

/** The kinds of app the library renders. */
export const APP_CATEGORIES = [
  'web-service',
  'api',
  'worker',
  'cron-job',
] as const;
export type AppCategory = (typeof APP_CATEGORIES)[number];

/** What each category is, in words for forms and plans. */
export const APP_CATEGORY_TITLES: Record<AppCategory, string> = {
  'web-service': 'web service (served on its ingress)',
  api: 'API (reached inside the cluster through its Service)',
  worker: 'worker (no port, always running)',
  'cron-job': 'cron job (runs on its schedule)',
};

/** A Kubernetes object as a chart renders it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** Absent for kinds without one (ServiceAccount). */
  spec?: Record<string, any>;
}

/** The values a chart is rendered with. */
export interface ChartValues {
  category: AppCategory;
  /** The app's name: its objects', its container's, its label `app.kubernetes.io/name`. */
  name: string;
  namespace: string;
  /** The stack's id: the `konductor.dev/stack` label the Kubernetes tab selects by. */
  stack: string;
  image: string;
  replicas: number;
  cpu: string;
  memory: string;
  /** The container's port (web services and APIs). */
  port: number;
  /** The path of the readiness and liveness probes (web services and APIs). */
  healthCheckPath: string;
  /** Plain environment variables, their references already resolved. */
  env: Record<string, string>;
  /** Environment variables read from the app's Secret, under the variable's own name. */
  secretEnv: string[];
  /** The Secret that holds `secretEnv` (kept out of charts: its values never reach git). */
  secretName: string;
  /** The host names the ingress serves (web services). */
  hosts: string[];
  tls: boolean;
  /** An ACM certificate for the ingress (a domain resource's). */
  certificateArn?: string;
  /** When a cron job runs, in cron syntax (cron jobs). */
  schedule?: string;
  /** How long a rollout may make no progress before its Deployment reports it failed. */
  progressDeadlineSeconds?: number;
  /**
   * Where each `secretEnv` value lives in Secrets Manager, when the chart brings the Secret itself
   * (delivery through git, where values may not go): the app's pods read them as their service
   * account (an EKS Pod Identity) through the Secrets Store CSI driver with AWS's provider, which
   * syncs them into the app's Secret. Without it, the Secret is written beside the chart.
   */
  secretStore?: SecretStore;
}

/** Where one secret value lives in Secrets Manager: the secret (ARN or name), and for a JSON secret the key that holds it. */
export interface SecretSource {
  secretId: string;
  jsonKey?: string;
}

/** Where an app's secret values live in Secrets Manager (see `ChartValues.secretStore`). */
export interface SecretStore {
  region: string;
  /** By variable. */
  sources: Record<string, SecretSource>;
}

/** The CSI driver that mounts Secrets Manager values into pods, and where they are mounted. */
const CSI_DRIVER = 'secrets-store.csi.k8s.io';
const SECRETS_VOLUME = 'secrets-store';
const SECRETS_MOUNT = '/mnt/secrets-store';

/** The port the Service of a web service or API listens on. */
export const SERVICE_PORT = 80;

const labelsOf = (v: ChartValues) => ({
  'app.kubernetes.io/name': v.name,
  'app.kubernetes.io/component': v.category,
  'app.kubernetes.io/managed-by': 'konductor',
  'konductor.dev/stack': v.stack,
});

const selectorOf = (v: ChartValues) => ({ 'app.kubernetes.io/name': v.name });

const serves = (category: AppCategory) =>
  category === 'web-service' || category === 'api';

const mountsSecrets = (v: ChartValues) =>
  !!v.secretStore && v.secretEnv.length > 0;

function container(v: ChartValues) {
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: v.healthCheckPath, port: 'http' },
    periodSeconds,
    failureThreshold,
  });
  return {
    name: v.name,
    image: v.image,
    env: [
      ...Object.entries(v.env).map(([name, value]) => ({ name, value })),
      ...v.secretEnv.map(name => ({
        name,
        valueFrom: { secretKeyRef: { name: v.secretName, key: name } },
      })),
    ],
    resources: {
      requests: { cpu: v.cpu, memory: v.memory },
      limits: { memory: v.memory },
    },
    securityContext: { allowPrivilegeEscalation: false },
    ...(mountsSecrets(v) && {
      volumeMounts: [
        { name: SECRETS_VOLUME, mountPath: SECRETS_MOUNT, readOnly: true },
      ],
    }),
    ...(serves(v.category) && {
      ports: [{ name: 'http', containerPort: v.port, protocol: 'TCP' }],
      readinessProbe: probe(10, 3),
      // Restarted only after a minute without an answer: a slow start is not a failure.
      livenessProbe: { ...probe(20, 3), initialDelaySeconds: 30 },
    }),
  };
}

/**
 * A pod's spec: its container and, when it mounts its secrets, its service account (the one its
 * Pod Identity names) and the CSI volume whose mount syncs the Secret its env reads.
 */
function podSpec(v: ChartValues) {
  return {
    ...(mountsSecrets(v) && { serviceAccountName: v.name }),
    containers: [container(v)],
    ...(mountsSecrets(v) && {
      volumes: [
        {
          name: SECRETS_VOLUME,
          csi: {
            driver: CSI_DRIVER,
            readOnly: true,
            volumeAttributes: { secretProviderClass: v.secretName },
          },
        },
      ],
    }),
  };
}

/**
 * The app's service account and the SecretProviderClass that reads its secret values from
 * Secrets Manager (one object per secret, a JSON key picked with `jmesPath`) and syncs them into
 * the app's Secret under each variable's name.
 */
function secretStore(v: ChartValues): Manifest[] {
  const store = v.secretStore!;
  const objects = new Map<
    string,
    {
      objectName: string;
      objectType: string;
      objectAlias: string;
      jmesPath: { path: string; objectAlias: string }[];
    }
  >();
  const data: { objectName: string; key: string }[] = [];
  for (const variable of v.secretEnv) {
    const source = store.sources[variable];
    if (!source)
      throw new Error(`secretStore.sources has no source for ${variable}`);
    let o = objects.get(source.secretId);
    if (!o) {
      o = {
        objectName: source.secretId,
        objectType: 'secretsmanager',
        objectAlias: `secret-${objects.size}`,
        jmesPath: [],
      };
      objects.set(source.secretId, o);
    }
    // A JSON key is a file of its own, named after the variable; a whole value is the object's.
    if (source.jsonKey)
      o.jmesPath.push({ path: source.jsonKey, objectAlias: variable });
    data.push({
      objectName: source.jsonKey ? variable : o.objectAlias,
      key: variable,
    });
  }
  const labels = labelsOf(v);
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: v.name, namespace: v.namespace, labels },
    },
    {
      apiVersion: 'secrets-store.csi.x-k8s.io/v1',
      kind: 'SecretProviderClass',
      metadata: { name: v.secretName, namespace: v.namespace, labels },
      spec: {
        provider: 'aws',
        parameters: {
          region: store.region,
          usePodIdentity: 'true',
          // A YAML string, as the AWS provider reads it (JSON is YAML).
          objects: JSON.stringify(
            [...objects.values()].map(({ jmesPath, ...o }) => ({
              ...o,
              ...(jmesPath.length && { jmesPath }),
            })),
          ),
        },
        secretObjects: [
          { secretName: v.secretName, type: 'Opaque', labels, data },
        ],
      },
    },
  ];
}

function deployment(v: ChartValues): Manifest {
  const labels = labelsOf(v);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: v.name, namespace: v.namespace, labels },
    spec: {
      replicas: v.replicas,
      ...(v.progressDeadlineSeconds && {
        progressDeadlineSeconds: v.progressDeadlineSeconds,
      }),
      selector: { matchLabels: selectorOf(v) },
      template: {
        metadata: { labels },
        spec: podSpec(v),
      },
    },
  };
}

function service(v: ChartValues): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: v.name, namespace: v.namespace, labels: labelsOf(v) },
    spec: {
      selector: selectorOf(v),
      ports: [
        {
          name: 'http',
          port: SERVICE_PORT,
          targetPort: v.port,
          protocol: 'TCP',
        },
      ],
    },
  };
}

function ingress(v: ChartValues): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: v.name,
      namespace: v.namespace,
      labels: labelsOf(v),
      ...(v.certificateArn && {
        annotations: {
          'alb.ingress.kubernetes.io/certificate-arn': v.certificateArn,
        },
      }),
    },
    spec: {
      ...(v.tls && { tls: [{ hosts: v.hosts, secretName: `${v.name}-tls` }] }),
      rules: v.hosts.map(host => ({
        host,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: {
                service: { name: v.name, port: { number: SERVICE_PORT } },
              },
            },
          ],
        },
      })),
    },
  };
}

function cronJob(v: ChartValues): Manifest {
  const labels = labelsOf(v);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: v.name, namespace: v.namespace, labels },
    spec: {
      schedule: v.schedule,
      // A run still going when the next is due is left to finish; the next one is skipped.
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels },
            spec: { restartPolicy: 'OnFailure', ...podSpec(v) },
          },
        },
      },
    },
  };
}

const CHARTS: Record<AppCategory, (v: ChartValues) => Manifest[]> = {
  'web-service': v => [deployment(v), service(v), ingress(v)],
  api: v => [deployment(v), service(v)],
  worker: v => [deployment(v)],
  'cron-job': v => [cronJob(v)],
};

/** The app's objects, in the order they are applied. */
export function renderChart(values: ChartValues): Manifest[] {
  return [
    ...(mountsSecrets(values) ? secretStore(values) : []),
    ...CHARTS[values.category](values),
  ];
}

/** The kinds of object a category's chart renders, for plans. */
export function chartKinds(category: AppCategory): string[] {
  return CHARTS[category]({
    category,
    name: 'x',
    namespace: 'x',
    stack: 'x',
    image: 'x',
    replicas: 1,
    cpu: '1',
    memory: '1Gi',
    port: 1,
    healthCheckPath: '/',
    env: {},
    secretEnv: [],
    secretName: 'x',
    hosts: ['x'],
    tls: false,
  }).map(m => m.kind.toLowerCase());
}
