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
  spec: Record<string, any>;
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
}

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
    ...(serves(v.category) && {
      ports: [{ name: 'http', containerPort: v.port, protocol: 'TCP' }],
      readinessProbe: probe(10, 3),
      // Restarted only after a minute without an answer: a slow start is not a failure.
      livenessProbe: { ...probe(20, 3), initialDelaySeconds: 30 },
    }),
  };
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
        spec: { containers: [container(v)] },
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
            spec: { restartPolicy: 'OnFailure', containers: [container(v)] },
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
  return CHARTS[values.category](values);
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
